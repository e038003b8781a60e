#!/usr/bin/env bats
#
# progress.bats - progress for logs: plain lines when stderr is not a
# terminal (a file here), a line kept in place on a terminal (under script),
# --progress / --no-progress / -q, the interval option and environment
# variable, the summary on a line of its own, rates after --resume, and
# train's elapsed time and ETA.
#
# A model is trained once per file (setup_file); inputs are generated at setup.
# Each test runs in its own $BATS_TEST_TMPDIR; binaries come from $TENOR_BIN.

bats_require_minimum_version 1.5.0

setup_file() {
	local bin="${TENOR_BIN:-$BATS_TEST_DIRNAME/../../bin}"

	TENOR_BIN="$(cd "$bin" && pwd)"
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	MODEL="$BATS_FILE_TMPDIR/model"
	DOCS="$BATS_FILE_TMPDIR/docs.jsonl"
	export TENOR_BIN ROOT MODEL DOCS
	"$TENOR_BIN/train" -q -o "$MODEL" --labels topic,tone --char-ngrams off "$ROOT/data/news/train.jsonl"
	python3 - "$DOCS" <<'EOF'
import sys
words = ["trade", "border", "budget", "envoys", "troops", "election", "tariff", "treaty"]
with open(sys.argv[1], "w") as o:
    for i in range(100000):
        o.write('{"id": "s%06d", "text": "the minister spoke about %s and %s, item %d"}\n'
                % (i, words[i % 8], words[i * 7 % 8], i % 997))
EOF
}

setup() {
	C="$TENOR_BIN/classify"
	T="$TENOR_BIN/train"
	cd "$BATS_TEST_TMPDIR"
	unset TENOR_PROGRESS_INTERVAL
}

teardown() {
	local p
	for p in ${BG_PIDS:-}; do
		kill -9 "$p" 2>/dev/null || true
	done
}

# The progress lines of a classify stderr file: plain, one per line.
PROGRESS_RE='^classify: [0-9]+ documents \([0-9]+ errors?\), [0-9.]+ MB in [0-9]+:[0-9]{2}:[0-9]{2}, [0-9]+ docs/s, [0-9.]+ MB/s, [0-9]+% of [0-9.]+ MB(, ETA [0-9]+:[0-9]{2}:[0-9]{2})?$'

@test "stderr to a file: plain progress lines every interval, then the summary on its own line" {
	"$C" -m "$MODEL" -o out -j 1 --batch-docs 200 --progress-interval 0.02 "$DOCS" 2>err
	cat -A err
	# No carriage return nor terminal escape anywhere: a log reads line by line.
	! grep -q $'\r' err
	! grep -q $'\033' err
	[ "$(grep -cE "$PROGRESS_RE" err)" -ge 2 ]
	# Document counts grow from line to line.
	grep -E "$PROGRESS_RE" err | awk '{ n = $2 + 0; if (n <= last) exit 1; last = n }'
	# The summary is a line of its own, whole, followed only by where the report is.
	tail -n 2 err | head -n 1 | grep -qE '^classify: 100000 documents \(100000 ok, 0 errors\) in [0-9.]+ s, [0-9]+ docs/s, [0-9.]+ MB/s; 1 shard in .out.$'
	[ "$(tail -n 1 err)" = "classify: report in 'out/report.html'" ]
}

@test "TENOR_PROGRESS_INTERVAL sets the interval; the default 30 s shows none in a short run" {
	TENOR_PROGRESS_INTERVAL=0.02 "$C" -m "$MODEL" -o out -j 1 --batch-docs 200 "$DOCS" 2>err
	[ "$(grep -cE "$PROGRESS_RE" err)" -ge 2 ]
	"$C" -m "$MODEL" -o out2 -j 1 --batch-docs 200 "$DOCS" 2>err2
	[ "$(grep -cE "$PROGRESS_RE" err2)" -eq 0 ]
	[ "$(grep -c '^classify: 100000 documents (100000 ok' err2)" -eq 1 ]
}

@test "--no-progress and -q show no progress lines; --progress wins over -q" {
	"$C" -m "$MODEL" -o o1 -j 1 --batch-docs 200 --progress-interval 0.02 --no-progress "$DOCS" 2>e1
	"$C" -m "$MODEL" -o o2 -j 1 --batch-docs 200 --progress-interval 0.02 -q "$DOCS" 2>e2
	"$C" -m "$MODEL" -o o3 -j 1 --batch-docs 200 --progress-interval 0.02 -q --progress "$DOCS" 2>e3
	[ "$(grep -cE "$PROGRESS_RE" e1)" -eq 0 ]
	[ "$(grep -cE "$PROGRESS_RE" e2)" -eq 0 ]
	[ "$(grep -cE "$PROGRESS_RE" e3)" -ge 2 ]
	[ "$(grep -c '^classify: 100000 documents (100000 ok' e1)" -eq 1 ]
}

@test "bad intervals are usage errors" {
	run -2 "$C" -m "$MODEL" -o out --progress-interval 0 "$DOCS"
	[[ "$output" == *"--progress-interval takes seconds (> 0, at most 86400), not '0'"* ]]
	TENOR_PROGRESS_INTERVAL=soon run -2 "$C" -m "$MODEL" -o out "$DOCS"
	[[ "$output" == *"TENOR_PROGRESS_INTERVAL takes seconds (> 0, at most 86400), not 'soon'"* ]]
	run -2 "$T" -o m --progress-interval -1 "$ROOT/data/news/train.jsonl"
	[[ "$output" == *"--progress-interval takes seconds"* ]]
	[ ! -e out ] && [ ! -e m ]
}

@test "on a terminal the line is kept in place and cleared before the summary" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	script -qec "'$C' -m '$MODEL' -o out -j 1 --batch-docs 2000 '$DOCS' 2>&1 >/dev/null" /dev/null >tty.txt
	cat -A tty.txt | tail -c 400
	grep -q $'\rclassify: [0-9]* documents (0 errors)' tty.txt
	# The last progress line is erased (CR, erase to end of line), then the summary (its class
	# counts first) starts the line.
	grep -q $'\r\033\\[Kclass counts of the 100000 results' tty.txt
	grep -q $'^classify: 100000 documents (100000 ok, 0 errors)' tty.txt
}

@test "after --resume the rates count only this run's documents" {
	"$C" -q -j 1 -m "$MODEL" -o out --shard-docs 10000 --batch-docs 100 "$DOCS" 2>/dev/null &
	BG_PIDS=$!
	for i in $(seq 1 3000); do
		[ -e out/part-00002.jsonl.zst ] && break
		sleep 0.01
	done
	kill -TERM "$BG_PIDS"
	wait "$BG_PIDS" || true
	BG_PIDS=
	[ ! -e out/_SUCCESS ] || skip "the run ended before it could be interrupted"
	kept=$(python3 -c 'import json; print(sum(s["documents"] for s in json.load(open("out/manifest.json"))["shards"]))')
	[ "$kept" -ge 30000 ]
	"$C" -j 1 -m "$MODEL" -o out --shard-docs 10000 --batch-docs 100 --resume --progress-interval 0.02 "$DOCS" 2>err
	cat err
	new=$((100000 - kept))
	summary=$(tail -n 2 err | head -n 1)
	[[ "$summary" == "classify: 100000 documents (100000 ok, 0 errors) in "*" ($new new after --resume); 10 shards in 'out'" ]]
	# docs/s is the new documents over the seconds, not all 100,000 over them.
	python3 - "$summary" "$new" <<'EOF'
import re, sys
m = re.search(r" in ([0-9.]+) s, ([0-9]+) docs/s", sys.argv[1])
secs, rate, new = float(m.group(1)), int(m.group(2)), int(sys.argv[2])
# The seconds are printed to 0.01: the rate lies between new over their
# bounds (2 % more each way for the rounding of the rate itself), and well
# below all 100,000 documents over them.
lo, hi = new / (secs + 0.005), new / max(secs - 0.005, 0.001)
assert 0.98 * lo - 1 <= rate <= 1.02 * hi + 1, (rate, lo, hi)
assert rate < 0.9 * 100000 / (secs + 0.005), (rate, 100000 / secs)
EOF
	# Progress lines were shown, plain, while the resumed run went on.
	[ "$(grep -cE "$PROGRESS_RE" err)" -ge 1 ]
}

@test "train: plain lines with the stage, elapsed time and an ETA when stderr is a file" {
	"$T" -o m --labels topic,tone --cv 5 --progress-interval 0.001 "$ROOT/data/news/train.jsonl" 2>err
	cat err
	! grep -q $'\r' err
	# Each word n-gram candidate's 12 fold tasks (2 heads x 5 folds + 2 models),
	# run in parallel, move with an ETA; then the final models, whose stage
	# ends once at N/N.
	grep -qE '^train: folds \(word 1-[12]\) [0-9]+/12, [0-9]+:[0-9]{2}:[0-9]{2}, ETA [0-9]+:[0-9]{2}:[0-9]{2}$' err
	[ "$(grep -cE '^train: training ([0-9]+)/\1, [0-9]+:[0-9]{2}:[0-9]{2}$' err)" -eq 1 ]
	tail -n 1 err | grep -qE "^train: wrote 'm' \(2 heads\) in [0-9.]+ s$"
	"$T" -o m2 --labels topic --progress-interval 0.001 --no-progress "$ROOT/data/news/train.jsonl" 2>err2
	! grep -q '^train: training' err2
}
