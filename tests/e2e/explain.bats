#!/usr/bin/env bats
#
# explain.bats - what a record says beyond its label: calibrated scores (the
# chosen class's the highest, on 100k generated documents), --top,
# --min-score, --explain naming the document's own n-grams, --no-probability,
# and train's --top-features / --inspect and the reliability table and plot.
#
# One bundle is trained per file (setup_file) on data/news/train.jsonl with
# train's default options (the real-text part of models/news is fetched, so it
# is left out here).

bats_require_minimum_version 1.5.0
load common

setup_file() {
	tenor_paths
	"$TENOR_BIN/train" -q -o "$MODEL" --labels topic,tone "$ROOT/data/news/train.jsonl"
}

setup() {
	C="$TENOR_BIN/classify"
	T="$TENOR_BIN/train"
	cd "$BATS_TEST_TMPDIR"
}

# Runs python3 with json, os and sys imported and check(cond, *what) defined.
py() {
	python3 -c "import json, os, sys
def check(cond, *what):
    if not cond:
        print('check failed:', *what, file=sys.stderr)
        sys.exit(1)
$1"
}

@test "--explain 5 names n-grams of the sentence that pushed toward each chosen class" {
	echo '{"id": "s", "text": "There was no way his country would disarm first"}' >s.jsonl
	run --separate-stderr "$C" -q -m "$MODEL" -o - --explain 5 s.jsonl
	[ "$status" -eq 0 ]
	echo "$output" >r.jsonl
	py '
r = json.loads(open("r.jsonl").read())
check(list(r) == ["id", "topic", "topic_score", "topic_explain", "tone", "tone_score", "tone_explain"], r)
words = "there was no way his country would disarm first".split()
grams = set(words) | {a + " " + b for a, b in zip(words, words[1:])}
for h in ("topic", "tone"):
    e = r[h + "_explain"]
    check(len(e) == 5, e)
    check(all(x["ngram"] in grams for x in e), "n-grams of the sentence", e)
    w = [x["weight"] for x in e]
    check(w == sorted(w, reverse=True), "strongest first", w)
    check(w[0] > 0, "the first pushed toward the class", w)
'
}

@test "--explain with word 1-2-grams names bigrams; a one-vs-one model is refused" {
	"$T" -q -o bi --labels topic --ngrams 1-2 --min-df 1 "$ROOT/data/news/train.jsonl"
	echo '{"id": "s", "text": "There was no way his country would disarm first"}' >s.jsonl
	run --separate-stderr "$C" -q -m bi -o - --explain 64 s.jsonl
	[ "$status" -eq 0 ]
	has_bigram=$(echo "$output" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(any(" " in x["ngram"] for x in r["topic_explain"]))')
	[ "$has_bigram" = True ]
	"$T" -q -o ovo --labels topic --multiclass ovo "$ROOT/data/news/train.jsonl"
	run --separate-stderr "$C" -q -m ovo -o - --explain 3 s.jsonl
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"head 'topic' cannot be explained: it is one-vs-one"* ]]
	# Without --explain the same model classifies.
	run --separate-stderr "$C" -q -m ovo -o - s.jsonl
	[ "$status" -eq 0 ]
}

@test "--top 2 lists the two best classes, best first; --min-score writes null below it" {
	head -n 300 "$ROOT/data/news/test.jsonl" >in.jsonl
	"$C" -q -m "$MODEL" -o - --all-scores --top 2 in.jsonl >top.jsonl
	"$C" -q -m "$MODEL" -o out --min-score 0.9 in.jsonl
	zstdcat out/part-00000.jsonl.zst >min.jsonl
	py '
top = [json.loads(l) for l in open("top.jsonl")]
low = [json.loads(l) for l in open("min.jsonl")]
check(len(top) == len(low) == 300)
nulls = 0
for t, m in zip(top, low):
    for h in ("topic", "tone"):
        tt = t[h + "_top"]
        check(len(tt) == 2 and tt[0]["class"] == t[h] and tt[0]["score"] == t[h + "_score"], t)
        check(tt[0]["score"] >= tt[1]["score"] == sorted(t[h + "_scores"].values())[-2], t)
        check(m[h + "_score"] == t[h + "_score"], m, t)
        if t[h + "_score"] < 0.9:
            check(m[h] is None, "below 0.9: null", m)
            nulls += 1
        else:
            check(m[h] == t[h], m, t)
check(0 < nulls < 600, "some heads abstain, not all", nulls)
man = json.load(open("out/manifest.json"))
check(man["options"]["min_score"] == 0.9 and man["options"]["probability"] is True, man["options"])
'
}

@test "on 100k documents the chosen class's score is the highest, scores sum to 1" {
	python3 - "$ROOT/data/news/train.jsonl" big.jsonl <<'EOF'
import json, random, sys
rng = random.Random(12)
words = [w for l in open(sys.argv[1]) for w in json.loads(l)["text"].split()]
with open(sys.argv[2], "w") as o:
    for i in range(100000):
        n = rng.randint(1, 40)
        o.write(json.dumps({"id": "g%06d" % i, "text": " ".join(rng.choice(words) for _ in range(n))}) + "\n")
EOF
	run --separate-stderr "$C" -q -m "$MODEL" -o - --all-scores big.jsonl
	[ "$status" -eq 0 ]
	echo "$output" >all.jsonl
	py '
n = 0
for line in open("all.jsonl"):
    r = json.loads(line)
    for h in ("topic", "tone"):
        s = r[h + "_scores"]
        check(s[r[h]] == r[h + "_score"] == max(s.values()), "the chosen class scores highest", r)
        check(abs(sum(s.values()) - 1) <= 0.0005 * len(s), "a probability distribution", r)
    n += 1
check(n == 100000, n)
'
}

@test "--no-probability gives the margin scores: the decision's labels, 0.5 at a tie" {
	head -n 200 "$ROOT/data/news/test.jsonl" >in.jsonl
	# The default bundle labels by the most probable class (Platt), the
	# margins by the decision: mostly the same label, not always.
	"$C" -q -m "$MODEL" -o - --all-scores in.jsonl >p.jsonl
	"$C" -q -m "$MODEL" -o - --all-scores --no-probability in.jsonl >m.jsonl
	# A softmax bundle keeps the decision as its label: always the same.
	"$T" -q -o soft --calibration softmax --labels topic,tone "$ROOT/data/news/train.jsonl"
	"$C" -q -m soft -o - --all-scores in.jsonl >sp.jsonl
	"$C" -q -m soft -o - --all-scores --no-probability in.jsonl >sm.jsonl
	py '
same = 0
for a, b, sa, sb in zip(open("p.jsonl"), open("m.jsonl"), open("sp.jsonl"), open("sm.jsonl")):
    a, b, sa, sb = (json.loads(x) for x in (a, b, sa, sb))
    for h in ("topic", "tone"):
        check(a[h] == max(a[h + "_scores"], key=a[h + "_scores"].get), "Platt: the most probable class", a)
        check(abs(sum(a[h + "_scores"].values()) - 1) < 1e-3, "a distribution (4 decimals)", a)
        same += a[h] == b[h]
        check(sa[h] == sb[h], "softmax: the same label as the margins", sa, sb)
        for r in (b, sb):
            check(r[h + "_score"] >= 0.5, "the winner has a positive margin", r)
            check(abs(sum(r[h + "_scores"].values()) - 1) > 1e-3 or len(r[h + "_scores"]) == 2, "not a distribution", r)
check(same >= 0.9 * 400, "Platt and the decision agree on most labels", same)
'
}

@test "the bundle keeps n-gram names, the reliability table and plot; --inspect prints each class's n-grams" {
	[ -f "$MODEL/names.tsv.zst" ] && [ -f "$MODEL/reliability-topic.svg" ] && [ -f "$MODEL/reliability-tone.svg" ]
	py '
m = json.load(open(os.environ["MODEL"] + "/manifest.json"))
import xml.etree.ElementTree as ET
for h in m["heads"]:
    c = h["calibration"]
    check(c["method"] == "platt-pairwise" and "temperature" not in c, c)
    check(set(c["compared"]) == {"softmax-temperature", "platt-pairwise"}, c)
    bins = c["reliability"]["bins"]
    check(len(bins) == 10 and sum(b["documents"] for b in bins) == h["documents"], bins)
    check(all(b["documents"] == 0 or b["from"] <= b["predicted"] <= b["to"] for b in bins), bins)
    for f in ("reliability-%s.svg" % h["name"], "names.tsv.zst"):
        check(f in m["files"] and m["files"][f]["bytes"] == os.path.getsize(os.environ["MODEL"] + "/" + f), f)
    ET.parse(os.environ["MODEL"] + "/reliability-%s.svg" % h["name"])
'
	zstdcat "$MODEL/names.tsv.zst" | grep -qP '^\d+\t\d+\tdisarmament$'
	run --separate-stderr "$T" --inspect "$MODEL" --top-features 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"head 'topic': the n-grams of the largest weight toward each class"* ]]
	[ "$(grep -c '^  [a-z]*:$' <<<"$output")" -eq 7 ]     # 4 topics + 3 tones
	[ "$(grep -cE '^ +[0-9]+\.[0-9]{4}  [^ ]' <<<"$output")" -eq 21 ]   # 3 n-grams each (a word, a number)
	run --separate-stderr "$T" --inspect "$MODEL" -o x
	[ "$status" -eq 2 ]
	# A changed names file is refused like any bundle file.
	cp -r "$MODEL" m2
	printf 'x' >>m2/names.tsv.zst
	run --separate-stderr "$T" --inspect m2
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"names.tsv.zst"* ]]
}
