#!/usr/bin/env bats
#
# stream.bats - classify as a filter on input that arrives slowly (a FIFO,
# a pipe, gzip flushed line by line): each record comes out before the next
# line is written.
#
# A model is trained once per file (setup_file) on data/news/train.jsonl.
# Each test runs in its own $BATS_TEST_TMPDIR; binaries come from $TENOR_BIN.
# Python 3 (a build dependency) plays the slow writer.

bats_require_minimum_version 1.5.0
load common

setup_file() {
	tenor_paths
	train_news_model
}

setup() {
	C="$TENOR_BIN/classify"
	cd "$BATS_TEST_TMPDIR"
}

# slow_writer MODE LINES: starts classify -o - on a FIFO (MODE fifo: the FIFO
# named as the input; stdin: the FIFO as standard input; gzip: standard input
# is a pipe carrying gzip flushed after every line), writes LINES documents one
# at a time and waits up to 2 s (10 s under the sanitizers) for each one's
# record before writing the next.  Prints one line per document: its number,
# the record's id and the milliseconds it took, then classify's exit status.
slow_writer() {
	python3 - "$C" "$MODEL" "$1" "$2" "${TENOR_SANITIZED:-0}" <<'EOF'
import json, os, select, subprocess, sys, time, zlib
prog, model, mode, n, san = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
limit = 10.0 if san else 2.0
args = [prog, "-m", model, "-o", "-", "-j", "2"]
if mode == "fifo":
    os.mkfifo("in.jsonl")
    p = subprocess.Popen(args + ["in.jsonl"], stdout=subprocess.PIPE)
    w = open("in.jsonl", "wb", buffering=0)
elif mode == "stdin":
    os.mkfifo("in.fifo")
    r = os.open("in.fifo", os.O_RDONLY | os.O_NONBLOCK)
    w = open("in.fifo", "wb", buffering=0)
    os.set_blocking(r, True)
    p = subprocess.Popen(args + ["-"], stdin=r, stdout=subprocess.PIPE)
    os.close(r)
else:
    p = subprocess.Popen(args + ["-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    w = p.stdin
z = zlib.compressobj(6, zlib.DEFLATED, 31)
for i in range(n):
    line = json.dumps({"id": "doc%d" % i, "text": "the ministers met to sign a trade treaty, item %d" % i}).encode() + b"\n"
    if mode == "gzip":
        line = z.compress(line) + z.flush(zlib.Z_SYNC_FLUSH)
    t = time.monotonic()
    w.write(line)
    w.flush()
    ready, _, _ = select.select([p.stdout], [], [], limit)
    if not ready:
        print("%d none %.0f" % (i, (time.monotonic() - t) * 1000))
        p.kill()
        sys.exit(1)
    rec = json.loads(p.stdout.readline())
    print("%d %s %.0f" % (i, rec.get("id"), (time.monotonic() - t) * 1000))
if mode == "gzip":
    w.write(z.flush())
w.close()
rest = p.stdout.read()
print("exit", p.wait(), len(rest))
EOF
}

# streams MODE N: slow_writer MODE N, and each of the N records came back
# before the next line was written, nothing more came, and classify ended
# cleanly with its input.
streams() {
	local i
	run -0 --separate-stderr slow_writer "$1" "$2"
	echo "$output"
	[ "${#lines[@]}" -eq $(($2 + 1)) ]
	for ((i = 0; i < $2; i++)); do
		[[ "${lines[$i]}" == "$i doc$i "* ]]
	done
	[ "${lines[$2]}" = "exit 0 0" ]
}

@test "a FIFO named as the input: each line's record comes back before the next line is written" {
	streams fifo 8
}

@test "a FIFO on standard input streams too" {
	streams stdin 8
}

@test "gzip on a pipe, flushed after each line, streams through the decompressor" {
	streams gzip 6
}

@test "streamed records are the records of the same lines read from a file" {
	run -0 --separate-stderr slow_writer fifo 5
	python3 -c '
import json
for i in range(5):
    print(json.dumps({"id": "doc%d" % i, "text": "the ministers met to sign a trade treaty, item %d" % i}))' >file.jsonl
	"$C" -m "$MODEL" -o - -j 2 file.jsonl >from-file.jsonl 2>/dev/null
	mkfifo f2.jsonl
	(cat file.jsonl >f2.jsonl) &
	"$C" -m "$MODEL" -o - -j 2 f2.jsonl >from-fifo.jsonl 2>/dev/null
	wait
	cmp from-file.jsonl from-fifo.jsonl
	[ "$(wc -l <from-file.jsonl)" -eq 5 ]
}

@test "SIGINT stops a filter idle on its input at once, after the records already written" {
	mkfifo in.fifo
	exec 7<>in.fifo
	"$C" -m "$MODEL" -o - -j 2 - <in.fifo >out.jsonl 2>err &
	pid=$!
	echo '{"id": "a", "text": "the budget deficit"}' >&7
	for i in $(seq 1 200); do
		[ -s out.jsonl ] && break
		sleep 0.01
	done
	kill -INT "$pid"
	# Stopped within a second, though no more input came and none ended.
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		exec 7>&-
		false
	fi
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	[ "$rc" -eq 130 ]
	[ "$(wc -l <out.jsonl)" -eq 1 ]
	grep -q '^{"id": "a", "topic": ' out.jsonl
	grep -q "classify: stopped: 1 record written to standard output" err
}
