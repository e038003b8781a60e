#!/usr/bin/env bats
#
# classify.bats - end-to-end tests of bin/classify: help and usage, run
# folders (shards, manifest, _SUCCESS, lock), determinism across threads,
# interruption (kill -9, SIGTERM, SIGINT) and --resume, error records, --part, every
# input kind, stdout output and --all-scores.
#
# A model is trained once per file (setup_file) on data/news/train.jsonl;
# The first 348 passages of data/news/test.jsonl are the labeled input.  Bigger
# inputs are generated from data/news at setup, never committed.  Each test
# runs in its own $BATS_TEST_TMPDIR.  Binaries come from $TENOR_BIN.
#
# Python 3 (a build dependency) reads JSON and recomputes checksums; zstd
# decodes and verifies shards.

bats_require_minimum_version 1.5.0

setup_file() {
	local bin="${TENOR_BIN:-$BATS_TEST_DIRNAME/../../bin}"

	TENOR_BIN="$(cd "$bin" && pwd)"
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	MODEL="$BATS_FILE_TMPDIR/model"
	# A fixed 348 passages of the held-out split, so counts below do not move
	# when the corpus grows.
	NEWS_TEST="$BATS_FILE_TMPDIR/news-test.jsonl"
	head -n 348 "$ROOT/data/news/test.jsonl" >"$NEWS_TEST"
	export TENOR_BIN ROOT MODEL NEWS_TEST
	"$TENOR_BIN/train" -q -o "$MODEL" --labels topic,tone --char-ngrams off "$ROOT/data/news/train.jsonl"

	# 50k real passages with unique ids (for threads); many short labeled
	# documents (a run long enough to interrupt; fewer under sanitizers).
	export BIG="$BATS_FILE_TMPDIR/news50k.jsonl" LONG="$BATS_FILE_TMPDIR/short.jsonl"
	export LONG_DOCS=300000
	[ "${TENOR_SANITIZED:-0}" != 1 ] || LONG_DOCS=100000
	python3 - "$ROOT/data/news" "$BIG" "$LONG" "$LONG_DOCS" <<'EOF'
import glob, json, sys
news, big, long_, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
docs = [json.loads(l) for f in sorted(glob.glob(news + "/*.jsonl")) for l in open(f)]
with open(big, "w") as o:
    for i in range(50000):
        d = dict(docs[i % len(docs)])
        d["id"] = "g%06d" % i
        o.write(json.dumps(d) + "\n")
topics = ["diplomacy", "domestic", "economy", "security"]
words = ["trade", "border", "budget", "envoys", "troops", "election", "tariff", "treaty"]
with open(long_, "w") as o:
    for i in range(n):
        o.write('{"id": "s%06d", "text": "the minister spoke about %s and %s, item %d", "topic": "%s"}\n'
                % (i, words[i % 8], words[i * 7 % 8], i % 997, topics[i % 4]))
EOF
}

setup() {
	C="$TENOR_BIN/classify"
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	# Background runs of a failed test must not outlive it.
	local p
	for p in ${BG_PIDS:-}; do
		kill -9 "$p" 2>/dev/null || true
	done
}

# ---- helpers ----

# Decoded records of a run folder, shards in order.
decode() {
	local f
	for f in "$1"/part-*.jsonl.zst; do
		zstd -dcq "$f" || return 1
	done
}

# Runs Python with json/os/sys imported and helpers: records(dir),
# manifest(dir), xxh64(bytes), lines(path).
py() {
	local code="$1"
	shift
	python3 - "$@" <<EOF
import json, os, subprocess, sys, glob
M64 = (1 << 64) - 1
P1, P2, P3, P4, P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                      9650029242287828579, 2870177450012600261)
def _rotl(x, r): return ((x << r) | (x >> (64 - r))) & M64
def _round(acc, v): return (_rotl((acc + v * P2) & M64, 31) * P1) & M64
def _merge(h, v): return ((h ^ _round(0, v)) * P1 + P4) & M64
def xxh64(b, seed=0):
    n, i = len(b), 0
    u64 = lambda j: int.from_bytes(b[j:j + 8], "little")
    if n >= 32:
        v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64]
        while i + 32 <= n:
            v = [_round(v[k], u64(i + 8 * k)) for k in range(4)]
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M64
        for k in range(4):
            h = _merge(h, v[k])
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while i + 8 <= n:
        h = (_rotl(h ^ _round(0, u64(i)), 27) * P1 + P4) & M64
        i += 8
    if i + 4 <= n:
        h = (_rotl(h ^ (int.from_bytes(b[i:i + 4], "little") * P1 & M64), 23) * P2 + P3) & M64
        i += 4
    while i < n:
        h = (_rotl(h ^ (b[i] * P5 & M64), 11) * P1) & M64
        i += 1
    h ^= h >> 33; h = h * P2 & M64; h ^= h >> 29; h = h * P3 & M64; h ^= h >> 32
    return "%016x" % h
def records(d):
    out = []
    for f in sorted(glob.glob(d + "/part-*.jsonl.zst")):
        raw = subprocess.run(["zstd", "-dcq", f], check=True, stdout=subprocess.PIPE).stdout
        out += [json.loads(l) for l in raw.decode().splitlines()]
    return out
def manifest(d):
    # A single run's, or the one part's in a folder of one part (--part).
    parts = glob.glob(d + "/manifest-part-*.json")
    return json.load(open(d + "/manifest.json" if not parts else parts[0]))
def lines(p): return [json.loads(l) for l in open(p) if l.strip()]
def check(cond, *msg):
    if not cond:
        print("check failed:", *msg, file=sys.stderr)
        sys.exit(1)
$code
EOF
}

# Waits (up to ~20 s) until the glob $1 matches a file.
wait_for() {
	local i
	for i in $(seq 1 2000); do
		compgen -G "$1" >/dev/null && return 0
		sleep 0.01
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# Starts classifying $LONG into out (one thread, shards of 5000) in the
# background, waits for a path matching $2, sends signal $1 and sets RC to the
# run's exit status; its stderr is in err.
interrupt_run() {
	local pid
	"$C" -q -j 1 -m "$MODEL" -o out --shard-docs 5000 "$LONG" >/dev/null 2>err 3>&- &
	pid=$!
	BG_PIDS=$pid
	wait_for "$2"
	kill -"$1" "$pid"
	RC=0
	wait "$pid" || RC=$?
	BG_PIDS=
}

# The shard files of two run folders are the same names with the same bytes.
same_shards() {
	local a="$1" b="$2" f
	diff <(cd "$a" && ls part-*.jsonl.zst) <(cd "$b" && ls part-*.jsonl.zst)
	for f in "$a"/part-*.jsonl.zst; do
		cmp "$f" "$b/${f##*/}"
	done
}

# A run folder holds complete shards only, each listed in the manifest with
# its size, XXH64 and record count, each decoding with zstd (which verifies
# the frame's content checksum, as zstd -t does).
consistent_folder() {
	local d="$1"
	[ -z "$(compgen -G "$d/.part-*")" ]
	[ -z "$(compgen -G "$d/*.tmp")" ]
	py '
d = sys.argv[1]
m = manifest(d)
on_disk = sorted(f for f in os.listdir(d) if f.startswith("part-"))
listed = [s["name"] for s in m["shards"]]
check(listed == on_disk, "manifest lists", listed, "on disk", on_disk)
total = 0
for s in m["shards"]:
    b = open(d + "/" + s["name"], "rb").read()
    check(s["bytes"] == len(b), s["name"], "size")
    check(s["xxh64"] == xxh64(b), s["name"], "xxh64", s["xxh64"], xxh64(b))
    raw = subprocess.run(["zstd", "-dcq"], input=b, check=True, stdout=subprocess.PIPE).stdout
    check(s["raw_bytes"] == len(raw), s["name"], "raw_bytes")
    check(s["documents"] == raw.count(b"\n"), s["name"], "documents")
    total += s["documents"]
    check(s["end"]["documents"] == total, s["name"], "end.documents")
check(m["counts"]["documents"] == total, "counts", m["counts"], total)
check(m["counts"]["ok"] + m["counts"]["errors"] == total, "ok + errors")
' "$d"
}

# ---- help and usage ----

@test "--help documents every long option, the record format and the exit codes" {
	run --separate-stderr "$C" --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	help="$output"
	# Every long option of the getopt table in classify/main.c.
	opts=$(sed -n '/longopts\[\] = {/,/^[[:space:]]*};/p' "$ROOT/classify/main.c" |
		grep -o '{ "[a-z-]*"' | cut -d'"' -f2)
	[ "$(echo "$opts" | wc -l)" -ge 15 ]
	for o in $opts; do
		grep -Eq -- "^ +(-[a-zA-Z], )?--$o( |$)" <<<"$help" || { echo "--$o undocumented"; false; }
	done
	# Every short option of the optstring, beside its long form.
	shorts=$(grep -o 'getopt_long(argc, argv, "[^"]*"' "$ROOT/classify/main.c" | cut -d'"' -f2 | tr -d :)
	[ -n "$shorts" ]
	for s in $(echo "$shorts" | grep -o .); do
		grep -Eq -- "^ +-$s, --" <<<"$help" || { echo "-$s undocumented"; false; }
	done
	# Inputs, the record format, the exit codes.
	grep -q 'ARCHIVE:MEMBER' <<<"$help"
	grep -q 'FILE:LINE' <<<"$help"
	grep -q 'id = the path' <<<"$help"
	grep -q '{"id": ID, "topic": ' <<<"$help"
	grep -q '{"id": ID, "error": ' <<<"$help"
	grep -q 'HEAD_scores' <<<"$help"
	grep -q 'part-00000.jsonl.zst' <<<"$help"
	grep -q 'manifest.json' <<<"$help"
	grep -q '_SUCCESS' <<<"$help"
	grep -q '^Exit codes: 0 ' <<<"$help"
	for code in '3 done' '1 runtime error' '2 usage error' '130 or 143'; do
		grep -q "$code" <<<"$help" || { echo "exit code '$code' undocumented"; false; }
	done
	# -h is the same text; -V prints the version.
	run "$C" -h
	[ "$status" -eq 0 ]
	[ "$output" = "$help" ]
	run "$C" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^classify\ \(Tenor\)\ [0-9] ]]
}

# Runs classify expecting a usage error: exit 2, nothing on stdout, the --help
# hint on stderr, no OUT created.
usage_error() {
	run --separate-stderr "$C" "$@"
	[ "$status" -eq 2 ] || { echo "status $status for $*: $stderr"; return 1; }
	[ -z "$output" ]
	grep -q "try 'classify --help'" <<<"$stderr"
	[ ! -e out ]
}

@test "no -m is a usage error: no model" {
	usage_error -o out "$NEWS_TEST"
	grep -q 'no model' <<<"$stderr"
}

@test "no -o is a usage error: no output" {
	usage_error -m "$MODEL" "$NEWS_TEST"
	grep -q 'no output' <<<"$stderr"
}

@test "no input is a usage error" {
	usage_error -m "$MODEL" -o out
	grep -q 'no input' <<<"$stderr"
}

@test "--part with I > N is a usage error" {
	usage_error -m "$MODEL" -o out --part 4/3 "$NEWS_TEST"
	grep -q -- "--part takes I/N" <<<"$stderr"
}

@test "--part with I = 0 is a usage error" {
	usage_error -m "$MODEL" -o out --part 0/3 "$NEWS_TEST"
	grep -q -- "--part" <<<"$stderr"
}

@test "--shard-docs 0 is a usage error" {
	usage_error -m "$MODEL" -o out --shard-docs 0 "$NEWS_TEST"
	grep -q -- "--shard-docs" <<<"$stderr"
}

@test "--shard-docs with trailing bytes is a usage error quoting them" {
	usage_error -m "$MODEL" -o out --shard-docs 1x "$NEWS_TEST"
	grep -q -- "'1x'" <<<"$stderr"
}

@test "--zstd-level above 19 is a usage error" {
	usage_error -m "$MODEL" -o out --zstd-level 20 "$NEWS_TEST"
	grep -q -- "--zstd-level" <<<"$stderr"
}

@test "--max-doc-bytes above 1G is a usage error" {
	usage_error -m "$MODEL" -o out --max-doc-bytes 2G "$NEWS_TEST"
	grep -q -- "--max-doc-bytes" <<<"$stderr"
}

@test "-j 0 is a usage error" {
	usage_error -m "$MODEL" -o out -j 0 "$NEWS_TEST"
	grep -q -- "--threads" <<<"$stderr"
}

@test "an unknown --input-format is a usage error listing the choices" {
	usage_error -m "$MODEL" -o out -f xml "$NEWS_TEST"
	grep -q -- "--input-format takes auto, jsonl, text or csv, not 'xml'" <<<"$stderr"
}

@test "--resume with --force is a usage error: they contradict" {
	usage_error -m "$MODEL" -o out --resume --force "$NEWS_TEST"
	grep -q 'contradict' <<<"$stderr"
}

@test "--resume with -o - is a usage error: it needs a run folder" {
	usage_error -m "$MODEL" -o - --resume "$NEWS_TEST"
	grep -q 'need a run folder' <<<"$stderr"
}

@test "an unknown option is a usage error" {
	usage_error -m "$MODEL" -o out --no-such-option "$NEWS_TEST"
	grep -q "classify: unknown option '--no-such-option'" <<<"$stderr"
}

@test "runtime errors exit 1 and name the path" {
	run --separate-stderr "$C" -m "$MODEL" -o out "$NEWS_TEST" no-such.jsonl
	[ "$status" -eq 1 ]
	grep -q "cannot read input 'no-such.jsonl'" <<<"$stderr"
	[ ! -e out/manifest.json ]
	run --separate-stderr "$C" -m no-model -o out "$NEWS_TEST"
	[ "$status" -eq 1 ]
	grep -q "no-model" <<<"$stderr"
	run --separate-stderr "$C" -m "$MODEL" -o - - - <"$NEWS_TEST"
	[ "$status" -eq 1 ]
	grep -q "standard input ('-') is named twice" <<<"$stderr"
}

# ---- run folders ----

@test "shard rotation: part files, sizes and checksums, _SUCCESS, model and counts, evaluation" {
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 "$NEWS_TEST"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	grep -q "348 documents (348 ok, 0 errors)" <<<"$stderr"
	grep -q "4 shards in 'out'" <<<"$stderr"
	# The evaluation is printed too: the inputs carry both heads' labels.
	grep -q "head 'topic' against the input's labels" <<<"$stderr"
	grep -q "head 'tone' against the input's labels" <<<"$stderr"
	[ "$(cd out && ls part-*)" = "$(printf 'part-%05d.jsonl.zst\n' 0 1 2 3)" ]
	[ -f out/_SUCCESS ] && [ ! -s out/_SUCCESS ]
	for f in out/part-*.jsonl.zst; do
		zstd -t "$f"
	done
	consistent_folder out
	py '
m, recs, inp = manifest("out"), records("out"), lines(sys.argv[1])
check(m["format"] == "tenor-classify" and m["complete"] is True, "header")
check([s["documents"] for s in m["shards"]] == [100, 100, 100, 48], "rotation")
mod = json.load(open(os.environ["MODEL"] + "/manifest.json"))
# The counts are those of the records: per head and class, none abstained, the cross-table.
heads = {h["name"]: {c: sum(r[h["name"]] == c for r in recs) for c in h["classes"]} for h in mod["heads"]}
cross = {a: {b: sum(r["topic"] == a and r["tone"] == b for r in recs) for b in heads["tone"]} for a in heads["topic"]}
check(m["counts"] == {"documents": 348, "ok": 348, "errors": 0,
                      "text_bytes": sum(len(d["text"].encode()) for d in inp),
                      "heads": heads, "abstained": {"topic": 0, "tone": 0},
                      "cross": {"rows": "topic", "cols": "tone", "table": cross}}, m["counts"])
check(min(n for c in heads.values() for n in c.values()) > 0, "every class occurs")
check(m["model"]["path"] == os.environ["MODEL"], m["model"])
check(m["model"]["manifest_xxh64"] == xxh64(open(os.environ["MODEL"] + "/manifest.json", "rb").read()), m["model"])
check(len(m["model"]["identity"]) == 16 and int(m["model"]["identity"], 16) >= 0, m["model"])
check(m["model"]["heads"] == ["topic", "tone"], m["model"])
check(m["options"]["shard_docs"] == 100 and m["options"]["part"] == "1/1", m["options"])
check(m["inputs"]["files"] == 1 and m["inputs"]["list"][0]["path"] == sys.argv[1], m["inputs"])
check(m["inputs"]["list"][0]["bytes"] == os.path.getsize(sys.argv[1]), m["inputs"])
# One record per document, in input order.
check([r["id"] for r in recs] == [d["id"] for d in inp], "order")
# The evaluation is that of the records against the labels.
for h in mod["heads"]:
    name, classes = h["name"], h["classes"]
    ev = m["evaluation"][name]
    k = len(classes)
    cm = [[0] * k for _ in range(k)]
    for r, d in zip(recs, inp):
        cm[classes.index(d[name])][classes.index(r[name])] += 1
    check(ev["documents"] == 348, name, "documents")
    check(ev["confusion"]["labels"] == classes, name, "labels")
    check(ev["confusion"]["matrix"] == cm, name, "matrix", ev["confusion"]["matrix"], cm)
    acc = sum(cm[i][i] for i in range(k)) / 348
    check(abs(ev["accuracy"] - acc) < 1e-5, name, "accuracy", ev["accuracy"], acc)
    f1 = []
    for i in range(k):
        tp, pp, sup = cm[i][i], sum(cm[j][i] for j in range(k)), sum(cm[i])
        p, rc = (tp / pp if pp else 0), (tp / sup if sup else 0)
        f1.append(2 * p * rc / (p + rc) if p + rc else 0)
    check(abs(ev["macro_f1"] - sum(f1) / k) < 1e-5, name, "macro_f1", ev["macro_f1"], sum(f1) / k)
    check(acc > 0.8, name, "the model learned something")
' "$NEWS_TEST"
	# Every record: id, each head with its score, nothing else.
	decode out | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    assert list(r) == ["id", "topic", "topic_score", "tone", "tone_score"], r
    assert 0 <= r["topic_score"] <= 1 and 0 <= r["tone_score"] <= 1, r
'
}

@test "threads 1 and 2 give byte-identical shards and manifests equal but for timings" {
	"$C" -q -j 1 -m "$MODEL" -o one --shard-docs 5000 "$BIG" 2>/dev/null
	"$C" -q -j 2 -m "$MODEL" -o two --shard-docs 5000 "$BIG" 2>/dev/null
	[ "$(ls one/part-* | wc -l)" -eq 10 ]
	same_shards one two
	py '
a, b = manifest("one"), manifest("two")
# Every key, not a chosen few; only the measured times (and clock times) may differ.
check(set(a) == set(b), (sorted(a), sorted(b)))
for k in a:
    if k not in ("timings", "started_at", "finished_at", "progress"):
        check(a[k] == b[k], k)
check(set(a["timings"]) == set(b["timings"]), "timings keys")
check(a["counts"]["documents"] == 50000, a["counts"])
'
}

@test "kill -9 mid-run, then --resume: shards byte-identical to a clean run, counts complete" {
	"$C" -q -m "$MODEL" -o clean --shard-docs 5000 "$LONG" 2>/dev/null
	interrupt_run KILL 'out/part-*.jsonl.zst'
	[ "$RC" -eq 137 ]
	# It was stopped in the middle: some shards, not all, no _SUCCESS.
	[ ! -e out/_SUCCESS ]
	n=$(ls out/part-* | wc -l)
	total=$(ls clean/part-* | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -lt "$total" ]
	run --separate-stderr "$C" -q -j 2 -m "$MODEL" -o out --shard-docs 5000 --resume "$LONG"
	[ "$status" -eq 0 ]
	grep -q "$LONG_DOCS documents ($LONG_DOCS ok, 0 errors)" <<<"$stderr"
	[ -f out/_SUCCESS ]
	same_shards clean out
	consistent_folder out
	py '
a, b = manifest("clean"), manifest("out")
check(b["complete"] is True, "complete")
check(b["counts"] == a["counts"], b["counts"], a["counts"])
check(b["counts"]["documents"] == int(sys.argv[1]), b["counts"])
check(b["shards"] == a["shards"], "shards")
# The evaluation carried over from the interrupted part is exact.
check(b["evaluation"] == a["evaluation"], "evaluation")
check(b["evaluation"]["topic"]["documents"] == int(sys.argv[1]), "evaluated all")
' "$LONG_DOCS"
}

@test "SIGTERM stops cleanly: exit 143, complete shards only, the manifest marked incomplete" {
	# The manifest is written at the start; wait for the first complete shard.
	interrupt_run TERM 'out/part-*.jsonl.zst'
	[ "$RC" -eq 143 ]
	grep -q "classify: stopped: [0-9]* complete shards\? kept in 'out'; continue with --resume" err
	[ ! -e out/_SUCCESS ]
	consistent_folder out
	py '
m = manifest("out")
check(m["complete"] is False, "complete")
check(0 < m["counts"]["documents"] < int(sys.argv[1]), m["counts"])
check(m["counts"]["documents"] % 5000 == 0, m["counts"])
' "$LONG_DOCS"
}

@test "an interrupted run folder is refused without --resume, and left alone" {
	interrupt_run TERM 'out/part-*.jsonl.zst'
	[ "$RC" -eq 143 ]
	before=$(cd out && ls -l part-* manifest.json | md5sum)
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 5000 "$LONG"
	[ "$status" -eq 1 ]
	grep -q "'out' holds a classify run already: continue it with --resume, or start over with --force" <<<"$stderr"
	[ "$(cd out && ls -l part-* manifest.json | md5sum)" = "$before" ]
}

@test "--resume after SIGTERM completes with the shards, counts and evaluation of a clean run" {
	interrupt_run TERM 'out/part-*.jsonl.zst'
	[ "$RC" -eq 143 ]
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 5000 --resume "$LONG"
	[ "$status" -eq 0 ]
	[ -f out/_SUCCESS ]
	"$C" -q -m "$MODEL" -o clean --shard-docs 5000 "$LONG" 2>/dev/null
	same_shards clean out
	py '
a, b = manifest("clean"), manifest("out")
check(b["complete"] is True, "complete")
for k in ("shards", "counts", "evaluation"):
    check(a[k] == b[k], k)
'
}

@test "SIGINT stops cleanly with 130, --resume completes" {
	interrupt_run INT out/manifest.json
	[ "$RC" -eq 130 ]
	grep -q "continue with --resume" err
	[ ! -e out/_SUCCESS ]
	consistent_folder out
	py 'check(manifest("out")["complete"] is False, "complete")'
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 5000 --resume "$LONG"
	[ "$status" -eq 0 ]
	[ -f out/_SUCCESS ]
	py '
m = manifest("out")
check(m["complete"] is True and m["counts"]["documents"] == int(sys.argv[1]), m["counts"])
check(m["evaluation"]["topic"]["documents"] == int(sys.argv[1]), "evaluation")
' "$LONG_DOCS"
	# Every document once: as many records as distinct ids.
	decode out | cut -d'"' -f4 >ids
	[ "$(wc -l <ids)" -eq "$LONG_DOCS" ]
	[ "$(sort -u ids | wc -l)" -eq "$LONG_DOCS" ]
}

@test "a locked OUT is refused and left empty; once the lock is released the run goes ahead" {
	mkdir out
	# Hold the lock from this shell, as another classify run would.
	exec 8>out/.lock
	flock -n 8
	run --separate-stderr "$C" -q -m "$MODEL" -o out "$NEWS_TEST"
	[ "$status" -eq 1 ]
	grep -q "'out' is in use by another classify run" <<<"$stderr"
	[ -z "$(ls out)" ]
	exec 8>&-
	run --separate-stderr "$C" -q -m "$MODEL" -o out "$NEWS_TEST"
	[ "$status" -eq 0 ]
	[ -f out/_SUCCESS ]
}

@test "OUT/.lock is removed when the run ends: finished, stopped by SIGTERM, resumed; a lock file classify did not make stays" {
	interrupt_run TERM 'out/part-00000.jsonl.zst'
	[ "$RC" -eq 143 ]
	[ ! -e out/.lock ]
	# A lock left by a killed run (in a run's folder) is taken over and removed at the end.
	touch out/.lock
	run --separate-stderr "$C" -q -j 1 -m "$MODEL" -o out --shard-docs 5000 --resume "$LONG"
	[ "$status" -eq 0 ]
	[ -f out/_SUCCESS ]
	[ ! -e out/.lock ]
	run --separate-stderr "$C" -q -m "$MODEL" -o done "$NEWS_TEST"
	[ "$status" -eq 0 ]
	[ -f done/_SUCCESS ]
	[ ! -e done/.lock ]
	# A refused run removes the lock it made, and leaves one it did not make.
	run --separate-stderr "$C" -q -m "$MODEL" -o done "$NEWS_TEST"
	[ "$status" -eq 1 ]
	[ ! -e done/.lock ]
	mkdir mine
	touch mine/.lock
	run --separate-stderr "$C" -q -m "$MODEL" -o mine "$NEWS_TEST"
	[ "$status" -eq 0 ]
	[ -e mine/.lock ]
}

@test "a run in progress holds its lock: a second run is refused, even with --force, and the first completes" {
	"$C" -q -j 1 -m "$MODEL" -o slow --shard-docs 5000 "$LONG" >/dev/null 2>&1 3>&- &
	pid=$!
	BG_PIDS=$pid
	wait_for 'slow/part-*.jsonl.zst'
	run --separate-stderr "$C" -q -m "$MODEL" -o slow --shard-docs 5000 --force "$LONG"
	[ "$status" -eq 1 ]
	grep -q "'slow' is in use by another classify run" <<<"$stderr"
	rc=0
	wait "$pid" || rc=$?
	BG_PIDS=
	[ "$rc" -eq 0 ]
	[ -f slow/_SUCCESS ]
	consistent_folder slow
	py 'check(manifest("slow")["counts"]["documents"] == int(sys.argv[1]), "all")' "$LONG_DOCS"
}

@test "an OUT holding a run is refused without --resume or --force" {
	"$C" -q -m "$MODEL" -o out --shard-docs 100 "$NEWS_TEST" 2>/dev/null
	sums=$(md5sum out/part-* out/manifest.json)
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 "$NEWS_TEST"
	[ "$status" -eq 1 ]
	grep -q "'out' holds a classify run already: continue it with --resume, or start over with --force" <<<"$stderr"
	[ "$(md5sum out/part-* out/manifest.json)" = "$sums" ]
	# --resume of a finished run has nothing to do.
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 --resume "$NEWS_TEST"
	[ "$status" -eq 0 ]
	grep -q "'out' is complete already; nothing to resume" <<<"$stderr"
	[ "$(md5sum out/part-* out/manifest.json)" = "$sums" ]
	# --force starts over: other options, the old shards gone.
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 200 --force "$NEWS_TEST"
	[ "$status" -eq 0 ]
	[ "$(cd out && ls part-*)" = "$(printf 'part-%05d.jsonl.zst\n' 0 1)" ]
	consistent_folder out
}

# Classifies a copy of the labeled passages into out in shards of 100, then
# makes it an interrupted run after two shards.
interrupted_after_two() {
	cp "$NEWS_TEST" in.jsonl
	"$C" -q -m "$MODEL" -o out --shard-docs 100 in.jsonl 2>/dev/null
	py '
m = manifest("out")
m["complete"] = False
m["shards"] = m["shards"][:2]
m["counts"] = {"documents": 200, "ok": 200, "errors": 0, "text_bytes": 0}
json.dump(m, open("out/manifest.json", "w"))
'
	rm out/_SUCCESS
}

# A refused --resume leaves the interrupted run as it was.
left_as_it_was() {
	[ "$(cd out && ls part-*)" = "$(printf 'part-%05d.jsonl.zst\n' 0 1 2 3)" ]
	[ ! -e out/_SUCCESS ]
}

@test "--resume refuses another model and leaves the run as it was" {
	interrupted_after_two
	"$TENOR_BIN/train" -q -o model2 --labels topic "$NEWS_TEST"
	run --separate-stderr "$C" -q -m model2 -o out --shard-docs 100 --resume in.jsonl
	[ "$status" -eq 1 ]
	grep -q "cannot resume 'out': it was started with another model: 'model2' (identity [0-9a-f]\{16\}) now, '$MODEL' (identity [0-9a-f]\{16\}) then" <<<"$stderr"
	left_as_it_was
}

@test "--resume refuses other options (--shard-docs, --all-scores, the scores' options) and leaves the run as it was" {
	interrupted_after_two
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 50 --resume in.jsonl
	[ "$status" -eq 1 ]
	# Which option, with the value of now and of the interrupted run.
	grep -qF "cannot resume 'out': the options differ from the interrupted run's: 'shard_docs' is 50, was 100" <<<"$stderr"
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 --all-scores --resume in.jsonl
	[ "$status" -eq 1 ]
	grep -qF "the options differ from the interrupted run's: 'all_scores' is true, was false" <<<"$stderr"
	# The scores' options too: margins, --top, --min-score, --explain.
	for opt in --no-probability "--top 2" "--min-score 0.5" "--explain 3"; do
		run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 $opt --resume in.jsonl
		[ "$status" -eq 1 ]
		grep -q "the options differ" <<<"$stderr"
	done
	left_as_it_was
}

@test "--resume refuses changed inputs (a modification time) and leaves the run as it was" {
	interrupted_after_two
	touch -d '2001-01-01' in.jsonl
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 --resume in.jsonl
	[ "$status" -eq 1 ]
	grep -qF "cannot resume 'out': the inputs differ from the interrupted run's: same names and sizes, but a modification time differs" <<<"$stderr"
	left_as_it_was
}

@test "--resume names the input that differs: another name, another size, one more" {
	interrupted_after_two
	cp -p in.jsonl other.jsonl
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 --resume other.jsonl
	[ "$status" -eq 1 ]
	grep -qF "cannot resume 'out': the inputs differ from the interrupted run's: input 1 ('in.jsonl'): path is \"other.jsonl\", was \"in.jsonl\"" <<<"$stderr"
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 --resume in.jsonl other.jsonl
	[ "$status" -eq 1 ]
	grep -qF "the inputs differ from the interrupted run's: 2 files now, 1 then" <<<"$stderr"
	cp -p in.jsonl saved.jsonl
	echo '{"id": "extra", "text": "one more"}' >>in.jsonl
	run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 100 --resume in.jsonl
	[ "$status" -eq 1 ]
	grep -qE "the inputs differ from the interrupted run's: input 1 \('in.jsonl'\): bytes is [0-9]+, was [0-9]+" <<<"$stderr"
	cp -p saved.jsonl in.jsonl
	left_as_it_was
}

# ---- error records ----

@test "bad documents in JSONL and text files: one error record each, exit 3, file:line on stderr" {
	printf '%s\n' \
		'{"id": "good-1", "text": "The minister met envoys to discuss the treaty."}' \
		'{"id": "bad-utf8", "text": "caf\xe9 au lait"}' \
		'{"id": "malformed", "text": ' \
		'{"id": "no-text", "body": "the text is under another name"}' \
		'{"id": "non-string", "text": 42}' \
		'{"id": "nul-json", "text": "a\u0000b"}' \
		"{\"id\": \"too-long\", \"text\": \"$(printf 'word %.0s' $(seq 60))\"}" \
		'{"id": "good-8", "text": "Parliament passed the budget after a long debate."}' >bad.jsonl
	# printf %s keeps \xe9 literal: put the raw byte in with python.
	python3 -c '
import sys
p = "bad.jsonl"
b = open(p, "rb").read().replace(b"caf\\xe9", b"caf\xe9")
open(p, "wb").write(b)'
	grep -qa $'caf\xe9' bad.jsonl
	printf 'caf\xe9 au lait is a drink' >raw-utf8.txt
	printf 'a text with a \0 NUL inside' >raw-nul.txt
	head -c 400 /dev/zero | tr '\0' 'x' >big.txt
	run --separate-stderr "$C" -q -m "$MODEL" -o out --max-doc-bytes 300 bad.jsonl raw-utf8.txt raw-nul.txt big.txt
	[ "$status" -eq 3 ]
	grep -q "11 documents (2 ok, 9 errors)" <<<"$stderr"
	consistent_folder out
	[ -f out/_SUCCESS ]
	decode out >records.jsonl
	py '
recs = [json.loads(l) for l in open("records.jsonl")]
want = [
    ("good-1", None),
    ("bad-utf8", "invalid UTF-8 at byte 3"),  # cJSON parses it; the tokenizer rejects it
    ("bad.jsonl:3", "invalid JSON"),
    ("no-text", "no text field \u0027text\u0027"),
    ("non-string", "field \u0027text\u0027 is not a string"),
    ("bad.jsonl:6", "\\u0000"),
    ("bad.jsonl:7", "longer than --max-doc-bytes (300)"),
    ("good-8", None),
    ("raw-utf8.txt", "invalid UTF-8 at byte 3"),
    ("raw-nul.txt", "NUL byte at byte 14"),
    ("big.txt", "longer than --max-doc-bytes (300)"),
]
check(len(recs) == len(want), len(recs), recs)
for r, (id_, err) in zip(recs, want):
    check(r["id"] == id_, "id", r, id_)
    if err is None:
        check("error" not in r and "topic" in r and "tone" in r, r)
    else:
        check(list(r) == ["id", "error"] and err in r["error"], r, err)
m = manifest("out")
check(m["counts"]["documents"] == 11 and m["counts"]["ok"] == 2 and m["counts"]["errors"] == 9, m["counts"])
'
	# stderr names each bad document by file:line (text files by path).
	for w in 'bad.jsonl:2: invalid UTF-8 at byte 3' 'bad.jsonl:3: invalid JSON' "bad.jsonl:4: no text field 'text'" \
		"bad.jsonl:5: field 'text' is not a string" 'bad.jsonl:6: NUL byte (\u0000) in a string' \
		'bad.jsonl:7: line longer than --max-doc-bytes (300)' 'raw-utf8.txt: invalid UTF-8 at byte 3' \
		'raw-nul.txt: NUL byte at byte 14' 'big.txt: document longer than --max-doc-bytes (300)'; do
		grep -qF "classify: $w" <<<"$stderr" || { echo "missing on stderr: $w"; false; }
	done
	[ "$(grep -c '^classify: [^ ]*: ' <<<"$stderr")" -eq 9 ]
}

@test "bad containers: truncated .zst and .gz, binary tar member, unreadable file: one error record each" {
	head -n 3000 "$BIG" >lines.jsonl
	zstd -q lines.jsonl -o full.jsonl.zst
	gzip -c lines.jsonl >full.jsonl.gz
	for z in zst gz; do
		head -c $(($(stat -c %s full.jsonl.$z) / 2)) full.jsonl.$z >cut.jsonl.$z
	done
	mkdir members
	echo "The central bank raised interest rates again." >members/ok.txt
	printf 'MZP\x00\x03\x00\xff\xfe' >members/prog.bin
	tar -cf mixed.tar -C members ok.txt prog.bin
	mkdir folder
	echo "Troops were deployed to the border." >folder/a.txt
	ln -s /nonexistent/target folder/b-dangling.txt
	echo "The senate approved the new budget." >folder/c.txt
	run --separate-stderr "$C" -q -m "$MODEL" -o out cut.jsonl.zst cut.jsonl.gz mixed.tar folder
	[ "$status" -eq 3 ]
	consistent_folder out
	decode out >records.jsonl
	# What each truncated file still holds in whole lines.
	zst_lines=$( (zstd -dcq cut.jsonl.zst 2>/dev/null || true) | wc -l)
	gz_lines=$( (gzip -dc cut.jsonl.gz 2>/dev/null || true) | wc -l)
	py '
recs = [json.loads(l) for l in open("records.jsonl")]
src = [json.loads(l)["id"] for l in open("lines.jsonl")]
i = 0
docs_in = 0
for name, avail in (("cut.jsonl.zst", int(sys.argv[1])), ("cut.jsonl.gz", int(sys.argv[2]))):
    k = 0
    while i < len(recs) and "error" not in recs[i]:
        check(recs[i]["id"] == src[k], name, "line", k + 1, recs[i])
        i += 1
        k += 1
    # Whole lines come first, then one error in place of the line being read.
    check(0 < k <= avail < len(src), name, k, avail)
    check(recs[i]["id"] == "%s:%d" % (name, k + 1), recs[i])
    check("runcated" in recs[i]["error"], recs[i])
    i += 1
    docs_in += k + 1
rest = recs[i:]
check([r["id"] for r in rest] == ["mixed.tar:ok.txt", "mixed.tar:prog.bin", "folder/a.txt",
                                  "folder/b-dangling.txt", "folder/c.txt"], rest)
check("error" not in rest[0] and "error" not in rest[2] and "error" not in rest[4], rest)
check(rest[1]["error"] == "NUL byte at byte 3", rest[1])
check("folder/b-dangling.txt" in rest[3]["error"], rest[3])
docs_in += 5
check(len(recs) == docs_in, len(recs), docs_in)
check(sum("error" in r for r in recs) == 4, "errors")
m = manifest("out")
check(m["counts"]["documents"] == docs_in and m["counts"]["errors"] == 4, m["counts"])
' "$zst_lines" "$gz_lines"
	grep -Eq "^classify: cut.jsonl.zst:[0-9]+: .*runcated" <<<"$stderr"
	grep -Eq "^classify: cut.jsonl.gz:[0-9]+: .*runcated" <<<"$stderr"
	grep -q "^classify: mixed.tar:prog.bin: NUL byte at byte 3$" <<<"$stderr"
	grep -q "^classify: folder/b-dangling.txt: " <<<"$stderr"
	[ "$(grep -c '^classify: [^ ]*: ' <<<"$stderr")" -eq 4 ]
}

@test "an unreadable file (chmod 000) is one error record" {
	[ "$(id -u)" -ne 0 ] || skip "root reads a chmod 000 file (the dangling symlink test covers this)"
	echo "Readable text about trade." >a.txt
	echo "Unreadable text about trade." >b.txt
	chmod 000 b.txt
	run --separate-stderr "$C" -q -m "$MODEL" -o - a.txt b.txt
	chmod 644 b.txt
	[ "$status" -eq 3 ]
	[ "$(wc -l <<<"$output")" -eq 2 ]
	grep -q '^{"id": "b.txt", "error": ".*b.txt' <<<"$output"
	grep -q "^classify: b.txt: " <<<"$stderr"
}

# ---- --part ----

@test "--part 1/3, 2/3, 3/3 of one file (by document) together equal the whole" {
	"$C" -q -m "$MODEL" -o whole "$NEWS_TEST" 2>/dev/null
	for i in 1 2 3; do
		"$C" -q -m "$MODEL" -o p$i --part $i/3 "$NEWS_TEST" 2>/dev/null
		consistent_folder p$i
	done
	# Contiguous ranges: the parts in order are the whole, in order.
	decode whole >whole.txt
	cat <(decode p1) <(decode p2) <(decode p3) >parts.txt
	[ "$(wc -l <whole.txt)" -eq 348 ]
	cmp whole.txt parts.txt
	py '
ids = [d["id"] for d in lines(sys.argv[1])]
for i in (1, 2, 3):
    m = manifest("p%d" % i)
    check(m["options"]["part"] == "%d/3" % i, m["options"])
    # By document: documents [(i-1)*348/3, i*348/3) of the whole, in order.
    check(m["part"]["by"] == "document" and m["part"]["total"] == 348, m["part"])
    check(m["part"]["first"] == (i - 1) * 116 and m["part"]["end"] == i * 116, m["part"])
    check([r["id"] for r in records("p%d" % i)] == ids[(i - 1) * 116:i * 116], i)
' "$NEWS_TEST"
}

@test "--part 1/3, 2/3, 3/3 of a folder of 7 files (by file) together equal the whole" {
	mkdir in
	python3 - "$NEWS_TEST" <<'EOF'
import sys
lines = open(sys.argv[1]).readlines()
for k in range(7):
    open("in/chunk-%d.jsonl" % k, "w").writelines(lines[k::7])
EOF
	"$C" -q -m "$MODEL" -o whole in 2>/dev/null
	for i in 1 2 3; do
		"$C" -q -m "$MODEL" -o p$i --part $i/3 in 2>/dev/null
		consistent_folder p$i
	done
	decode whole >whole.txt
	cat <(decode p1) <(decode p2) <(decode p3) >parts.txt
	[ "$(wc -l <whole.txt)" -eq 348 ]
	cmp whole.txt parts.txt
	py '
end = 0
for i in (1, 2, 3):
    # By file: part i holds a run of whole files, right after part i - 1s.
    p = manifest("p%d" % i)["part"]
    check(p["by"] == "file" and p["total"] == 7 and p["first"] == end and p["end"] > p["first"], p)
    end = p["end"]
    want = [d["id"] for k in range(p["first"], p["end"]) for d in lines("in/chunk-%d.jsonl" % k)]
    check([r["id"] for r in records("p%d" % i)] == want, i)
    check(manifest("p%d" % i)["inputs"]["files"] == 7, "every file is listed")
check(end == 7, "the parts end at the last file")
'
}

# ---- inputs ----

# Builds src/ (two text files, an empty one, a JSONL file of four lines, an
# empty folder) and x.tar, x.tar.gz, x.tar.zst and x.zip of three of its files;
# sets IDS3 to the ids of the JSONL file's first three lines.
make_inputs() {
	mkdir -p src/sub
	echo "The finance ministry raised interest rates to curb inflation." >src/b.txt
	echo "Troops were deployed along the border after the attack." >src/sub/a.txt
	: >src/empty.txt
	head -n 3 "$NEWS_TEST" >src/c.jsonl
	echo '{"text": "Trade talks resumed between the two governments.", "topic": "economy"}' >>src/c.jsonl
	mkdir src/empty-folder
	tar -cf x.tar -C src b.txt sub/a.txt c.jsonl
	tar -czf x.tar.gz -C src b.txt sub/a.txt c.jsonl
	tar --zstd -cf x.tar.zst -C src b.txt sub/a.txt c.jsonl
	(cd src && zip -q ../x.zip b.txt sub/a.txt c.jsonl)
	IDS3=$(head -n 3 "$NEWS_TEST" | python3 -c 'import json,sys; print(" ".join(json.loads(l)["id"] for l in sys.stdin))')
}

# Classifies "$@" to stdout into file $1.out (the first argument names it).
classify_to() {
	local name=$1
	shift
	run --separate-stderr "$C" -q -m "$MODEL" -o - "$@"
	[ "$status" -eq 0 ] || { echo "status $status: $stderr"; return 1; }
	echo "$output" >"$name.out"
}

@test "tar, tar.gz, tar.zst and zip members are documents with ARCHIVE:MEMBER ids, a JSONL member one per line" {
	make_inputs
	for a in x.tar x.tar.gz x.tar.zst x.zip; do
		classify_to "$a" "$a"
		py '
a, ids3 = sys.argv[1], sys.argv[2].split()
recs = [json.loads(l) for l in open(a + ".out")]
check([r["id"] for r in recs] == [a + ":b.txt", a + ":sub/a.txt"] + ids3 + [a + ":c.jsonl:4"], recs)
check(all("error" not in r for r in recs), recs)
' "$a" "$IDS3"
	done
}

@test "a folder is walked recursively in bytewise name order; an empty text file is one document" {
	make_inputs
	classify_to folder src
	py '
ids3 = sys.argv[1].split()
folder = [json.loads(l) for l in open("folder.out")]
check([r["id"] for r in folder] == ["src/b.txt"] + ids3 + ["src/c.jsonl:4", "src/empty.txt", "src/sub/a.txt"],
      folder)
check("error" not in folder[5], folder[5])
' "$IDS3"
}

@test "standard input is read as JSONL with stdin:LINE fallback ids" {
	make_inputs
	run --separate-stderr "$C" -q -m "$MODEL" -o - - <src/c.jsonl
	[ "$status" -eq 0 ]
	echo "$output" >stdin.out
	py '
ids3 = sys.argv[1].split()
stdin = [json.loads(l) for l in open("stdin.out")]
check([r["id"] for r in stdin] == ids3 + ["stdin:4"], stdin)
' "$IDS3"
}

@test "a plain text file named by an absolute path keeps that path as its id" {
	make_inputs
	classify_to abs "$PWD/src/b.txt"
	py 'check(json.loads(open("abs.out").readline())["id"] == os.getcwd() + "/src/b.txt", "abs")'
}

@test "the same text gives the same record whatever holds it: folder, tar, tar.gz, tar.zst, zip, stdin" {
	make_inputs
	classify_to folder src
	for a in x.tar x.tar.gz x.tar.zst x.zip; do
		classify_to "$a" "$a"
	done
	run --separate-stderr "$C" -q -m "$MODEL" -o - - <src/c.jsonl
	[ "$status" -eq 0 ]
	echo "$output" >stdin.out
	py '
load = lambda f: [json.loads(l) for l in open(f)]
folder, stdin, tar, zip_ = load("folder.out"), load("stdin.out"), load("x.tar.out"), load("x.zip.out")
strip = lambda r: {k: v for k, v in r.items() if k != "id"}
check(strip(folder[0]) == strip(tar[0]) == strip(zip_[0]), "b.txt")
check(strip(folder[6]) == strip(tar[1]), "sub/a.txt")
check([strip(r) for r in stdin] == [strip(r) for r in folder[1:5]] == [strip(r) for r in tar[2:]], "jsonl")
for a in ("x.tar.gz", "x.tar.zst"):
    check([strip(r) for r in load(a + ".out")] == [strip(r) for r in tar], a)
'
}

@test "--text-field, --id-field and --input-format" {
	printf '%s\n' '{"key": "k1", "body": "Parliament passed the budget.", "text": 7}' \
		'{"key": 42, "body": "Troops crossed the border."}' \
		'{"body": "Envoys met to discuss the treaty."}' >in.jsonl
	run --separate-stderr "$C" -q -m "$MODEL" -o - --text-field body --id-field key in.jsonl
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["id"]) for l in sys.stdin))')" = "k1 42 in.jsonl:3" ]
	# -f text: the whole file is one document; -f jsonl: a .txt file is read by line.
	run --separate-stderr "$C" -q -m "$MODEL" -o - -f text in.jsonl
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	grep -q '^{"id": "in.jsonl", "topic": ' <<<"$output"
	cp in.jsonl lines.txt
	run --separate-stderr "$C" -q -m "$MODEL" -o - -f jsonl -t body lines.txt
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 3 ]
	grep -q '^{"id": "lines.txt:3", "topic": ' <<<"$output"
}

# ---- output ----

@test "-o - writes plain JSONL to stdout, no run folder, no manifest" {
	mkdir cwd
	cd cwd
	run --separate-stderr "$C" -m "$MODEL" -o - "$NEWS_TEST"
	[ "$status" -eq 0 ]
	# Nothing was written in the current folder.
	[ -z "$(ls -A)" ]
	cd ..
	# Only records on stdout; the summary and evaluation on stderr.
	[ "$(wc -l <<<"$output")" -eq 348 ]
	echo "$output" >out.jsonl
	py '
recs = [json.loads(l) for l in open("out.jsonl")]
check([r["id"] for r in recs] == [d["id"] for d in lines(sys.argv[1])], "order")
check(all(list(r) == ["id", "topic", "topic_score", "tone", "tone_score"] for r in recs), "fields")
' "$NEWS_TEST"
	grep -q "348 documents (348 ok, 0 errors)" <<<"$stderr"
	grep -q "head 'topic' against the input's labels" <<<"$stderr"
	[ "$(grep -c 'shard' <<<"$stderr")" -eq 0 ]
	# The same records as a run folder's shards.
	"$C" -q -m "$MODEL" -o dir "$NEWS_TEST" 2>/dev/null
	diff <(decode dir) out.jsonl
}

@test "--all-scores adds topic_scores and tone_scores with every class" {
	run --separate-stderr "$C" -q -m "$MODEL" -o - --all-scores "$NEWS_TEST"
	[ "$status" -eq 0 ]
	echo "$output" >all.jsonl
	run --separate-stderr "$C" -q -m "$MODEL" -o - "$NEWS_TEST"
	echo "$output" >plain.jsonl
	py '
mod = json.load(open(os.environ["MODEL"] + "/manifest.json"))
classes = {h["name"]: h["classes"] for h in mod["heads"]}
check(sorted(classes) == ["tone", "topic"], classes)
allr = [json.loads(l) for l in open("all.jsonl")]
plain = [json.loads(l) for l in open("plain.jsonl")]
check(len(allr) == len(plain) == 348, "count")
for a, p in zip(allr, plain):
    check(list(a) == ["id", "topic", "topic_score", "topic_scores", "tone", "tone_score", "tone_scores"], a)
    for h in ("topic", "tone"):
        s = a[h + "_scores"]
        check(list(s) == classes[h], "every class, in model order", s)
        check(all(0 <= v <= 1 for v in s.values()), s)
        check(s[a[h]] == a[h + "_score"], "the chosen class has its score", a)
        # Same prediction as without --all-scores.
        check(a[h] == p[h] and a[h + "_score"] == p[h + "_score"], a, p)
'
}
