#!/usr/bin/env bats
# The embedded default: the news corpus meets its counts and has no duplicates,
# its split is what data/news/build.py makes, and models/news beats the
# majority class by a wide margin on the held-out split.

bats_require_minimum_version 1.5.0

setup() {
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	BIN="${TENOR_BIN:-$ROOT/bin}"
	cd "$BATS_TEST_TMPDIR"
}

@test "the news corpus has the counts the product promises" {
	run python3 - "$ROOT/data/news" <<'PY'
import collections, json, sys
d = sys.argv[1]
docs = [json.loads(l) for f in ("train", "test") for l in open("%s/%s.jsonl" % (d, f))]
topics = collections.Counter(x["topic"] for x in docs)
tones = collections.Counter(x["tone"] for x in docs)
cells = collections.Counter((x["topic"], x["tone"]) for x in docs)
assert len(docs) >= 1600, len(docs)
assert set(topics) == {"diplomacy", "security", "economy", "domestic"}, topics
assert set(tones) == {"conciliatory", "neutral", "adversarial"}, tones
assert min(topics.values()) >= 350, topics
assert min(tones.values()) >= 450, tones
assert len(cells) == 12 and min(cells.values()) >= 20, cells
for x in docs:
    assert 15 <= len(x["text"].split()) <= 90, x
    assert set(x) == {"id", "text", "topic", "tone"}, x
assert len({x["id"] for x in docs}) == len(docs)
print(len(docs), dict(topics), dict(tones))
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the split is stratified 80/20 and exactly what build.py makes (no duplicate or near-duplicate)" {
	run python3 "$ROOT/data/news/build.py" --check
	echo "$output"
	[ "$status" -eq 0 ]
	run python3 - "$ROOT/data/news" <<'PY'
import collections, json, sys
d = sys.argv[1]
tr = collections.Counter((x["topic"], x["tone"]) for x in map(json.loads, open(d + "/train.jsonl")))
te = collections.Counter((x["topic"], x["tone"]) for x in map(json.loads, open(d + "/test.jsonl")))
for cell in tr:
    n = tr[cell] + te[cell]
    assert abs(te[cell] - round(n * 0.2)) <= 1, (cell, tr[cell], te[cell])
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "build.py rejects a duplicate and a near-duplicate passage" {
	mkdir -p news/raw
	cp "$ROOT/data/news/build.py" news/
	head -30 "$ROOT/data/news/raw/writer-1.jsonl" >news/raw/writer-1.jsonl
	sed -n 5p news/raw/writer-1.jsonl | sed 's/\([a-z]\)\./\1!/' >news/raw/writer-2.jsonl
	run python3 news/build.py
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"duplicate of"* ]]
	# near-duplicate: the same passage with one word changed
	python3 -c '
import json, sys
d = json.loads(open("news/raw/writer-1.jsonl").readlines()[7])
w = d["text"].split(); w[len(w)//2] = "zanzibar"; d["text"] = " ".join(w)
open("news/raw/writer-2.jsonl", "w").write(json.dumps(d) + "\n")'
	run python3 news/build.py
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"near-duplicate of"* ]]
}

@test "models/news beats the majority class by a wide margin on the held-out split" {
	[ -f "$ROOT/models/news/manifest.json" ]
	run "$BIN/classify" -q -m "$ROOT/models/news" -o out "$ROOT/data/news/test.jsonl"
	[ "$status" -eq 0 ]
	run python3 - "$ROOT/data/news/test.jsonl" out/manifest.json <<'PY'
import collections, json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
ev = json.load(open(sys.argv[2]))["evaluation"]
for head in ("topic", "tone"):
    majority = max(collections.Counter(d[head] for d in docs).values()) / len(docs)
    acc, f1 = ev[head]["accuracy"], ev[head]["macro_f1"]
    print(head, "majority", round(majority, 3), "accuracy", acc, "macro-F1", f1)
    assert acc >= majority + 0.35, (head, acc, majority)
    assert f1 >= 0.75, (head, f1)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "models/news carries its held-out figures in the manifest" {
	run python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
assert m["format"] == "tenor-model"
for h in m["heads"]:
    assert h["name"] in ("topic", "tone")
    assert h["test"]["documents"] > 0 and 0 < h["test"]["macro_f1"] <= 1, h
' "$ROOT/models/news/manifest.json"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "realnews.py leaves the seed passages out with a note when there is no seeds folder" {
	[ -f "$ROOT/data/external/reuters/grain-test.jsonl" ] && [ -f "$ROOT/data/external/sotu/sotu.jsonl" ] ||
		skip "the public corpora are not fetched (make models fetches them)"
	run --separate-stderr python3 "$ROOT/data/fetch/realnews.py" --seeds "$BATS_TEST_TMPDIR/none" --out rn
	[ "$status" -eq 0 ]
	seeds=$(grep -c '"source": "seed"' "$ROOT/data/realnews/dev-labels.jsonl")
	total=$(grep -c . "$ROOT/data/realnews/dev-labels.jsonl")
	[ "$seeds" -gt 0 ]
	[[ "$stderr" == *"realnews.py: no seeds folder $BATS_TEST_TMPDIR/none: left out $seeds seed passages"* ]]
	[ "$(wc -l <rn/dev.jsonl)" -eq $((total - seeds)) ]
	# A seeds folder that is there but lacks the article is still an error.
	mkdir empty
	run --separate-stderr python3 "$ROOT/data/fetch/realnews.py" --seeds empty --out rn2
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"seed file empty/"*"not found"* ]]
	[ ! -e rn2 ]
}

@test "the real-text labels are split by source document: no document in two of train, dev, test" {
	run python3 - "$ROOT/data/realnews" <<'PY'
import json, sys, collections
where = collections.defaultdict(set)
n = collections.Counter()
for split in ("train", "dev", "test"):
    for line in open("%s/%s-labels.jsonl" % (sys.argv[1], split)):
        lab = json.loads(line)
        where[(lab["source"], lab["doc"])].add(split)
        n[split] += 1
both = [d for d, s in where.items() if len(s) > 1]
assert not both, both[:5]
assert all(n[s] > 0 for s in ("train", "dev", "test")), n
print(dict(n))
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "realnews.py refuses a document that has passages in two splits, and writes nothing" {
	[ -f "$ROOT/data/external/reuters/grain-test.jsonl" ] && [ -f "$ROOT/data/external/sotu/sotu.jsonl" ] ||
		skip "the public corpora are not fetched (make models fetches them)"
	mkdir labels
	cp "$ROOT"/data/realnews/{train,dev,test}-labels.jsonl labels/
	# The first training passage again, in test: its document is then in both.
	head -1 labels/train-labels.jsonl >>labels/test-labels.jsonl
	doc=$(head -1 labels/train-labels.jsonl | python3 -c 'import json,sys; print(json.load(sys.stdin)["doc"])')
	run --separate-stderr python3 "$ROOT/data/fetch/realnews.py" --labels labels --seeds none --out rn
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"labels/test-labels.jsonl line $(wc -l <labels/test-labels.jsonl): document '$doc' is also in the train labels"* ]]
	[ ! -e rn ]
	# Without the extra line the same folder rebuilds the three splits.
	sed -i '$d' labels/test-labels.jsonl
	run --separate-stderr python3 "$ROOT/data/fetch/realnews.py" --labels labels --seeds none --out rn
	[ "$status" -eq 0 ]
	[ -s rn/train.jsonl ] && [ -s rn/dev.jsonl ] && [ -s rn/test.jsonl ]
}

@test "the agreement table of data/realnews/README.md is what annotations.jsonl gives" {
	run --separate-stderr python3 "$ROOT/data/fetch/realnews_agree.py" --markdown
	[ "$status" -eq 0 ]
	echo "$output"
	rows=$(grep -cE '^\| [0-9a-z]+ \| (topic|tone) \|' <<<"$output")
	[ "$rows" -ge 2 ]
	while IFS= read -r line; do
		grep -qF -- "$line" "$ROOT/data/realnews/README.md"
	done < <(grep -E '^\| [0-9a-z]+ \| (topic|tone) \|' <<<"$output")
	# Every annotated passage is in exactly one split, with the adjudicated labels.
	run python3 - "$ROOT/data/realnews" <<'PY'
import json, sys
d = sys.argv[1]
final = {}
for s in ("train", "dev", "test"):
    for line in open("%s/%s-labels.jsonl" % (d, s)):
        r = json.loads(line)
        final[(r["source"], r["doc"], r["start"], r["end"])] = (r["topic"], r["tone"])
n = 0
for line in open(d + "/annotations.jsonl"):
    a = json.loads(line)
    assert final[(a["source"], a["doc"], a["start"], a["end"])] == (a["topic"], a["tone"]), a
    assert a["adjudicated"] == (a["a"] != a["b"]), a
    n += 1
assert n >= 2000, n
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "realnews_agree.py --build appends a round, refuses it twice and a passage of an earlier round" {
	python3 - <<'PY'
import json
pool = [{"pid": "p%d" % i, "source": "sotu", "doc": "d%d" % i, "start": 0, "end": 10, "text": "x"}
        for i in (1, 2, 3)]
w = lambda path, rows: open(path, "w").write("".join(json.dumps(r) + "\n" for r in rows))
w("pool1.jsonl", pool[:2])
w("pool2.jsonl", pool[2:])
w("again.jsonl", pool[1:])
lab = lambda tone: [{"pid": p["pid"], "topic": "economy", "tone": tone} for p in pool]
w("a.jsonl", lab("neutral"))
w("b.jsonl", lab("neutral"))
w("b2.jsonl", lab("adversarial"))
PY
	printf 'p3 economy adversarial\n' >adj2
	: >adj1
	agree() { python3 "$ROOT/data/fetch/realnews_agree.py" --annotations ann.jsonl "$@"; }
	# The labelers' files may hold more pids than the pool: read_rater refuses
	# unknown ones, so give each round its own.
	head -n 2 a.jsonl >a1 && head -n 2 b.jsonl >b1 && tail -n 1 a.jsonl >a2 && tail -n 1 b2.jsonl >b2
	run -0 agree --build pool1.jsonl a1 b1 adj1
	run -0 agree --build pool2.jsonl a2 b2 adj2 --round 2
	[ "$(wc -l <ann.jsonl)" -eq 3 ]
	[[ "$output" == *"round 2: tone: 1 passages, agreement 0.000"* ]]
	[[ "$output" == *"all: tone: 3 passages, agreement 0.667"* ]]
	run -1 agree --build pool2.jsonl a2 b2 adj2 --round 2
	[[ "$output" == *"already holds round 2"* ]]
	tail -n 2 a.jsonl >a3 && tail -n 2 b2.jsonl >b3 && printf 'p2 economy neutral\np3 economy neutral\n' >adj3
	run -1 agree --build again.jsonl a3 b3 adj3 --round 3
	[[ "$output" == *"passage p2 (d2) is annotated in an earlier round"* ]]
	[ "$(wc -l <ann.jsonl)" -eq 3 ]
	agree --round 2 --labels two.jsonl >/dev/null
	[ "$(cat two.jsonl)" = '{"source": "sotu", "doc": "d3", "start": 0, "end": 10, "topic": "economy", "tone": "adversarial"}' ]
}

@test "no tracked file but markdown refers to a shared folder beside the clone" {
	git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
	# The pattern is built in pieces so that this file does not match it.
	local beside='\.\./shar''ed' seeds='shar''ed/seeds'
	run git -C "$ROOT" grep -nE "$beside|$seeds" -- ':!*.md'
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}
