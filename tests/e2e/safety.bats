#!/usr/bin/env bats
#
# safety.bats - nothing lost, nothing overwritten (issue #10): what classify
# may delete or replace in a run folder, what --resume checks before it
# trusts a manifest, stdout closed by its reader, SIGINT with -o -, --resume
# of a finished run with error records, CRLF lines, numeric ids, and options
# that must be UTF-8.  (train -o is in train.bats.)
#
# A small model is trained once (setup_file) on the mini fixture; inputs are
# generated.  Each test runs in its own $BATS_TEST_TMPDIR.

bats_require_minimum_version 1.5.0

setup_file() {
	local bin="${TENOR_BIN:-$BATS_TEST_DIRNAME/../../bin}"

	TENOR_BIN="$(cd "$bin" && pwd)"
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	DATA="${TENOR_DATA:-$ROOT/tests/data}"
	MODEL="$BATS_FILE_TMPDIR/model"
	IN="$BATS_FILE_TMPDIR/in.jsonl"
	export TENOR_BIN ROOT DATA MODEL IN
	"$TENOR_BIN/train" -q -o "$MODEL" "$DATA/mini.jsonl"
	python3 - "$IN" <<'EOF'
import json, sys
words = ["match", "goal", "team", "market", "shares", "profit", "election", "vote"]
with open(sys.argv[1], "w") as o:
    for i in range(350):
        o.write(json.dumps({"id": "d%04d" % i, "text": "the %s and the %s, item %d"
                            % (words[i % 8], words[i * 3 % 8], i)}) + "\n")
EOF
}

setup() {
	C="$TENOR_BIN/classify"
	cd "$BATS_TEST_TMPDIR" || return 1
}

teardown() {
	local p
	for p in ${BG_PIDS:-}; do
		kill -9 "$p" 2>/dev/null || true
	done
}

# Runs classify with separate stdout and stderr; no sanitizer report allowed.
cl() {
	run --separate-stderr "$C" "$@"
	if grep -qE 'Sanitizer|runtime error:' <<<"${output:-}${stderr:-}"; then
		echo "sanitizer report: $stderr" >&2
		return 1
	fi
}

# Fails unless the text in $1 contains $2.
has() {
	if [[ "$1" != *"$2"* ]]; then
		printf 'expected to find: %s\nin: %s\n' "$2" "$1" >&2
		return 1
	fi
}

# Edits out/manifest.json with the Python statements in $1 (m is the manifest).
edit_manifest() {
	python3 - "$1" <<'EOF'
import json, sys
m = json.load(open("out/manifest.json"))
exec(sys.argv[1])
json.dump(m, open("out/manifest.json", "w"))
EOF
}

# A finished run of $IN in out/ (4 shards of 100) made to look interrupted
# after 2, killed just after renaming the third into place.
interrupted_run() {
	"$C" -q -m "$MODEL" -o out --shard-docs 100 "$IN" 2>/dev/null
	edit_manifest '
m["complete"] = False
m["shards"] = m["shards"][:2]
m["counts"] = {"documents": 200, "ok": 200, "errors": 0, "text_bytes": 0}'
	rm out/_SUCCESS out/part-00003.jsonl.zst
}

# ---- what a run folder may lose ----

@test "a non-empty OUT without a classify manifest is refused, with or without --force, and left as it was" {
	mkdir out
	echo data >out/part-00000.jsonl.zst
	touch out/_SUCCESS
	echo mine >out/notes.txt
	for flag in "" --force --resume; do
		cl -q -m "$MODEL" -o out $flag "$IN"
		[ "$status" -eq 1 ]
		has "$stderr" "classify: 'out' is not empty and holds no classify run (no manifest.json): not touching it"
		[ "$(ls -A out | tr '\n' ' ')" = "_SUCCESS notes.txt part-00000.jsonl.zst " ]
		[ "$(cat out/part-00000.jsonl.zst)" = "data" ]
	done
	# _SUCCESS alone is not ours either.
	mkdir out2
	touch out2/_SUCCESS
	cl -q -m "$MODEL" -o out2 "$IN"
	[ "$status" -eq 1 ]
	[ "$(ls -A out2)" = "_SUCCESS" ]
}

@test "a manifest.json that is not a classify run's is refused even with --force (a model bundle, say)" {
	cp -r "$MODEL" bundle
	cl -q -m "$MODEL" -o bundle --force "$IN"
	[ "$status" -eq 1 ]
	has "$stderr" "'bundle' holds a manifest.json that is not a classify run's: not touching it"
	diff -r "$MODEL" bundle
	echo '{"format": "tenor-classify",' >bundle/manifest.json
	cl -q -m "$MODEL" -o bundle --force "$IN"
	[ "$status" -eq 1 ]
	has "$stderr" "not a classify run's ("
}

@test "an empty OUT is used, and its manifest is written before the first shard" {
	mkdir out
	cl -q -m "$MODEL" -o out --shard-docs 100 "$IN"
	[ "$status" -eq 0 ]
	[ "$(ls out | tr '\n' ' ')" = "_SUCCESS manifest.json part-00000.jsonl.zst part-00001.jsonl.zst part-00002.jsonl.zst part-00003.jsonl.zst report.html " ]
	# A run stopped before its first shard still leaves a classify manifest.
	# (stdin stays open 20 s, far longer than the check takes even on a loaded machine)
	(head -n 5 "$IN"; sleep 20) 3>&- | "$C" -q -m "$MODEL" -o early - 2>/dev/null 3>&- &
	BG_PIDS=$!
	for _ in $(seq 1 1000); do [ -e early/manifest.json ] && break; sleep 0.01; done
	python3 -c 'import json; m = json.load(open("early/manifest.json")); assert m["format"] == "tenor-classify" and m["shards"] == [], m'
	kill -9 $BG_PIDS
	BG_PIDS=
	[ "$(ls early)" = "manifest.json" ]
}

@test "--force removes only the shards its manifest lists and temporary files" {
	"$C" -q -m "$MODEL" -o out --shard-docs 100 "$IN" 2>/dev/null
	echo mine >out/notes.txt
	echo mine >out/part-00009.jsonl.zst
	before=$(md5sum out/*)
	# An unlisted shard beyond the run's would be replaced: refused, nothing removed.
	cl -q -m "$MODEL" -o out --shard-docs 200 --force "$IN"
	[ "$status" -eq 1 ]
	has "$stderr" "'out' holds 'part-00009.jsonl.zst', which its manifest does not list: not touching it"
	[ "$(md5sum out/*)" = "$before" ]
	rm out/part-00009.jsonl.zst
	touch out/.part-00002.jsonl.zst.tmp out/manifest.json.tmp
	cl -q -m "$MODEL" -o out --shard-docs 200 --force "$IN"
	[ "$status" -eq 0 ]
	[ "$(ls -A out | tr '\n' ' ')" = "_SUCCESS manifest.json notes.txt part-00000.jsonl.zst part-00001.jsonl.zst report.html " ]
	[ "$(cat out/notes.txt)" = "mine" ]
}

# ---- what --resume checks ----

@test "--resume refuses a listed shard that is missing, naming it" {
	interrupted_run
	rm out/part-00001.jsonl.zst
	cl -q -m "$MODEL" -o out --shard-docs 100 --resume "$IN"
	[ "$status" -eq 1 ]
	has "$stderr" "cannot resume 'out': shard 'part-00001.jsonl.zst' listed in its manifest is missing or unreadable"
}

@test "--resume refuses a listed shard that is truncated, naming it and both sizes" {
	interrupted_run
	truncate -s -1 out/part-00000.jsonl.zst
	cl -q -m "$MODEL" -o out --shard-docs 100 --resume "$IN"
	[ "$status" -eq 1 ]
	has "$stderr" "shard 'part-00000.jsonl.zst' has"
	has "$stderr" "bytes, its manifest says"
}

@test "--resume refuses a listed shard of the right size with one byte changed, by its checksum" {
	interrupted_run
	python3 -c 'p = "out/part-00001.jsonl.zst"; b = bytearray(open(p, "rb").read()); b[20] ^= 1; open(p, "wb").write(b)'
	cl -q -m "$MODEL" -o out --shard-docs 100 --resume "$IN"
	[ "$status" -eq 1 ]
	has "$stderr" "shard 'part-00001.jsonl.zst' does not match its checksum in the manifest"
}

@test "--resume of an untouched interrupted run ends with the shards of an uninterrupted run" {
	interrupted_run
	cl -q -m "$MODEL" -o out --shard-docs 100 --resume "$IN"
	[ "$status" -eq 0 ]
	"$C" -q -m "$MODEL" -o clean --shard-docs 100 "$IN" 2>/dev/null
	for f in clean/part-*; do cmp "$f" "out/${f##*/}"; done
	[ "$(ls out/part-* | wc -l)" -eq 4 ]
}

# With the interrupted run of interrupted_run in out: applies the Python edit $1
# to a fresh copy of its manifest and checks that --resume refuses it, saying
# $2, and writes no _SUCCESS.
refused_edit() {
	[ -f saved.json ] || cp out/manifest.json saved.json
	cp saved.json out/manifest.json
	edit_manifest "$1"
	cl -q -m "$MODEL" -o out --shard-docs 100 --resume "$IN"
	[ "$status" -eq 1 ] || { echo "accepted: $1"; return 1; }
	has "$stderr" "$2"
	[ ! -e out/_SUCCESS ]
}

@test "--resume refuses shard end positions this run could not reach" {
	interrupted_run
	refused_edit 'm["shards"][1]["end"]["ordinal"] = 3000' "the end of 'part-00001.jsonl.zst' is not a position this run could reach"
	refused_edit 'm["shards"][1]["end"]["ordinal"] = 150; m["shards"][1]["end"]["enumerated"] = 150' "is not a position"
	refused_edit 'm["shards"][1]["end"]["input"] = 1' "is not a position"
	refused_edit 'm["shards"][0]["end"]["documents"] = 50' "is not a position"
	refused_edit 'm["shards"][1]["end"]["ordinal"] = -1' "is not a position"
}

@test "--resume refuses a listed shard short of documents or under another name" {
	interrupted_run
	refused_edit 'm["shards"][1]["documents"] = 99' "holds 99 documents of 100"
	refused_edit 'm["shards"][1]["name"] = "../../etc/passwd"' "shard 1 is not 'part-00001.jsonl.zst'"
}

@test "--resume refuses counts that disagree with the shards" {
	interrupted_run
	refused_edit 'm["counts"]["documents"] = 100' "its counts disagree with its shards"
	refused_edit 'm["counts"]["ok"] = 150' "its counts disagree with its shards"
}

@test "--resume refuses a manifest without a shard list" {
	interrupted_run
	refused_edit 'm["shards"] = {}' "no shard list"
}

@test "after refused manifests, the real one still resumes: refusals remove nothing" {
	interrupted_run
	refused_edit 'm["counts"]["documents"] = 100' "its counts disagree with its shards"
	refused_edit 'm["shards"] = {}' "no shard list"
	cp saved.json out/manifest.json
	cl -q -m "$MODEL" -o out --shard-docs 100 --resume "$IN"
	[ "$status" -eq 0 ]
	has "$stderr" "350 documents (350 ok, 0 errors)"
}

# Runs classify "$@" into clean, copies it to out and makes out what a run
# killed after half its shards (just after renaming the next) leaves, then
# checks that --resume accepts it and ends with clean's shards.
resume_real_interruption() {
	"$C" -q -m "$MODEL" -o clean "$@" 2>/dev/null
	cp -r clean out
	python3 - <<'EOF'
import glob, json, os
# A single run's manifest, or a part's (which has no _SUCCESS of its own).
path = (glob.glob("out/manifest-part-*.json") or ["out/manifest.json"])[0]
m = json.load(open(path))
k = len(m["shards"]) // 2
for s in m["shards"][k + 1:]:
    os.remove("out/" + s["name"])
m["complete"] = False
m["shards"] = m["shards"][:k]
n = m["shards"][-1]["end"]["documents"]
m["counts"] = {"documents": n, "ok": n, "errors": 0, "text_bytes": 0}
json.dump(m, open(path, "w"))
if os.path.exists("out/_SUCCESS"):
    os.remove("out/_SUCCESS")
EOF
	cl -q -m "$MODEL" -o out --resume "$@"
	[ "$status" -eq 0 ] || { echo "$*: $stderr"; return 1; }
	for f in clean/part-*; do cmp "$f" "out/${f##*/}"; done
	[ "$(ls clean | wc -l)" -eq "$(ls out | wc -l)" ]
}

# Seven files of 40 passages each in dir/.
make_dir_of_seven() {
	mkdir dir
	for i in 1 2 3 4 5 6 7; do head -n $((i * 40)) "$IN" | tail -n 40 >"dir/f$i.jsonl"; done
}

@test "the manifest checks accept a real interruption of a --part run by document" {
	resume_real_interruption --shard-docs 20 --part 2/3 "$IN"
}

@test "the manifest checks accept a real interruption of a --part run by file" {
	make_dir_of_seven
	resume_real_interruption --shard-docs 15 --part 2/3 dir
}

@test "the manifest checks accept a real interruption of a run over a folder" {
	make_dir_of_seven
	resume_real_interruption --shard-docs 15 dir
}

@test "--resume of a run that read standard input is refused once it kept a shard" {
	"$C" -q -m "$MODEL" -o out --shard-docs 100 - <"$IN" 2>/dev/null
	edit_manifest '
m["complete"] = False
m["shards"] = m["shards"][:2]
m["counts"] = {"documents": 200, "ok": 200, "errors": 0, "text_bytes": 0}'
	rm out/_SUCCESS out/part-00002.jsonl.zst out/part-00003.jsonl.zst
	# A shorter, different stream must not complete the run.
	head -n 120 "$IN" | tail -n 50 >short.jsonl
	cl -q -m "$MODEL" -o out --shard-docs 100 --resume - <short.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "cannot resume 'out': it reads standard input, which cannot be checked to be the same stream; start over with --force"
	[ ! -e out/_SUCCESS ]
	cl -q -m "$MODEL" -o out --shard-docs 100 --force - <"$IN"
	[ "$status" -eq 0 ]
	[ -e out/_SUCCESS ]
}

@test "--resume of a finished run with error records exits 3, as the run did" {
	{ head -n 20 "$IN"; echo 'not json'; } >errs.jsonl
	cl -q -m "$MODEL" -o out errs.jsonl
	[ "$status" -eq 3 ]
	cl -q -m "$MODEL" -o out --resume errs.jsonl
	[ "$status" -eq 3 ]
	has "$stderr" "'out' is complete already; nothing to resume (21 documents, 1 error)"
	cl -q -m "$MODEL" -o clean --shard-docs 5 "$IN"
	cl -q -m "$MODEL" -o clean --shard-docs 5 --resume "$IN"
	[ "$status" -eq 0 ]
	# A finished run's shards are checked too.
	rm clean/part-00003.jsonl.zst
	cl -q -m "$MODEL" -o clean --shard-docs 5 --resume "$IN"
	[ "$status" -eq 1 ]
	has "$stderr" "shard 'part-00003.jsonl.zst' listed in its manifest is missing"
}

# ---- standard output ----

@test "-o - into a reader that stops early: exit 4, no SIGPIPE death, documented" {
	for _ in 1 2 3 4 5 6; do cat "$IN"; done >six.jsonl
	for _ in 1 2 3 4 5 6 7 8 9 10; do cat six.jsonl; done >big.jsonl
	run bash -c '"$0" -m "$1" -o - --batch-docs 50 big.jsonl 2>err | head -n 1; echo "status ${PIPESTATUS[0]}"' "$C" "$MODEL"
	[ "${lines[0]:0:15}" = '{"id": "d0000",' ]
	[ "${lines[1]}" = "status 4" ]
	grep -q "classify: stopped: standard output was closed by its reader" err
	! grep -q "Broken pipe\|--resume" err
	"$C" --help | grep -q "4 stopped because standard output was closed by its reader"
	grep -q "4 stopped because standard output was closed by its reader" "$ROOT/README.md"
}

@test "SIGINT with -o - stops with 130 and does not advise --resume" {
	# More than libarchive's 1 MiB read block, then a pause in which to stop it.
	for _ in $(seq 1 60); do cat "$IN"; done >big.jsonl
	(cat big.jsonl; sleep 2) 3>&- | "$C" -m "$MODEL" -o - --batch-docs 50 - >records 2>err 3>&- &
	pid=$!
	BG_PIDS=$pid
	for _ in $(seq 1 300); do [ -s records ] && break; sleep 0.01; done
	[ -s records ]
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	BG_PIDS=
	[ "$rc" -eq 130 ]
	grep -q "classify: stopped: [0-9]* records written to standard output" err
	! grep -q -- "--resume" err
	n=$(wc -l <records)
	[ "$n" -lt 21000 ]
	grep -q "stopped: $n records" err
}

# ---- smaller ----

@test "a blank CRLF line is skipped like a blank LF line; CR does not count against --max-doc-bytes" {
	printf '{"id": "a", "text": "the match"}\r\n\r\n \t\r\n{"id": "b", "text": "goal"}\n' >crlf.jsonl
	cl -q -m "$MODEL" -o - crlf.jsonl
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	# 30 bytes of JSON with CRLF under --max-doc-bytes 30; 31 bytes is too long.
	printf '{"id": "c", "text": "goal 12"}\r\n{"id": "d", "text": "goal 123"}\r\n' >limit.jsonl
	[ "$(head -n 1 limit.jsonl | tr -d '\r\n' | wc -c)" -eq 30 ]
	cl -q -m "$MODEL" -o - --max-doc-bytes 30 limit.jsonl
	[ "$status" -eq 3 ]
	[[ "${lines[0]}" == '{"id": "c", "topic": '* ]]
	has "${lines[1]}" '"error": "line longer than --max-doc-bytes (30)"'
}

@test "numeric ids beyond integers are written as numbers, never cast (1e19, 1e400)" {
	printf '%s\n' '{"id": 1e19, "text": "goal"}' '{"id": 1e400, "text": "goal"}' '{"id": -1e400, "text": "goal"}' \
		'{"id": 12, "text": "goal"}' '{"id": -0.5, "text": "goal"}' '{"id": 9007199254740993, "text": "goal"}' >ids.jsonl
	cl -q -m "$MODEL" -o - ids.jsonl
	[ "$status" -eq 0 ]
	ids=$(for l in "${lines[@]}"; do cut -d'"' -f4 <<<"$l"; done | tr '\n' ' ')
	[ "$ids" = "1e+19 inf -inf 12 -0.5 9007199254740992 " ]
}

@test "a non-UTF-8 --id-field, --text-field or model path is a usage error before any work" {
	cl -q -m "$MODEL" -o out --id-field $'\xff' "$IN"
	[ "$status" -eq 2 ]
	has "$stderr" "--id-field"
	has "$stderr" "is not valid UTF-8"
	cl -q -m "$MODEL" -o out --text-field $'t\xc3' "$IN"
	[ "$status" -eq 2 ]
	has "$stderr" "--text-field"
	cp -r "$MODEL" $'m\xe9'
	cl -q -m $'m\xe9' -o out "$IN"
	[ "$status" -eq 2 ]
	has "$stderr" "the model path"
	[ ! -e out ]
}

@test "a model that yields NaN scores is refused or writes null, never a cast number" {
	"$TENOR_BIN/train" -q -o lin --solver liblinear "$DATA/mini.jsonl"
	f=$(ls lin/*.liblinear | head -n 1)
	# Every weight NaN.
	python3 - "$f" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
w = lines.index("w")
out = lines[:w + 1] + [" ".join("nan" for _ in l.split()) if l.strip() else l for l in lines[w + 1:]]
open(p, "w").write("\n".join(out))
EOF
	cl -q -m lin -o - "$IN"
	if [ "$status" -eq 0 ]; then
		has "${lines[0]}" '_score": null'
	else
		[ "$status" -eq 1 ]
	fi
}
