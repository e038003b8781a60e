#!/usr/bin/env bash
# bench/run.sh - make bench: Tenor's classify throughput against its peers.
#
# Fetches the public corpora if missing, builds (once) a benchmark archive of
# BENCH_MB megabytes of JSONL and its zstd copy (bench/build_archive.py),
# trains the peers' models on its labeled part,
# then times, BENCH_RUNS times each and round-robin, on this machine:
#   Tenor     bin/classify with models/news as shipped on archive.jsonl.zst,
#             1 and 2 threads (and a variant with character n-grams, 2 threads)
#   fastText  fasttext predict, default model and -wordNgrams 2, one process
#             per thread on pre-normalised text split in halves
#   sklearn   HashingVectorizer + TF-IDF + LinearSVC (bench/peers/bench_sklearn.py),
#             one process per thread
#   floor     zstd -dc archive.jsonl.zst > /dev/null
# and writes bench/results.md, bench/throughput.png and prints the table
# (bench/peers/bench_report.py).  Peers that are not installed are skipped
# with a note.  Everything it makes goes into bench/work/ (git-ignored).
#
# Environment:
#   BENCH_MB=1000        archive size, 10^6 bytes of uncompressed JSONL
#   BENCH_RUNS=3         timed runs per configuration (the median is reported)
#   BENCH_SLICE_MB=64    slow peers (fastText -wordNgrams 2, scikit-learn) run
#                        on the archive's first BENCH_SLICE_MB MB; their rate
#                        is extrapolated to the whole archive (see README.md)
#   BENCH_OUT=bench      where results.md and throughput.png are written
#   BENCH_MODEL=models/news  the Tenor model timed (the shipped one)
#   BENCH_NEWS_TRAIN=    bin/train inputs and options of that model; when set,
#                        the same with --char-ngrams 3-5 is timed beside it
# Exit codes: 0 done, 1 a step failed (the message says which), 2 bad setting.
set -euo pipefail

cd "$(dirname "$0")/.."
MB=${BENCH_MB:-1000}
RUNS=${BENCH_RUNS:-3}
SLICE_MB=${BENCH_SLICE_MB:-64}
OUT=${BENCH_OUT:-bench}
WORK=bench/work
A=$WORK/archive-${MB}mb          # the archive and the models trained on it
R=$WORK/run-${MB}mb              # this invocation's measurements and logs
T0=$(date +%s)

NAME=bench
NOTES=$R/notes.txt
. bench/peers/bench_lib.sh

is_count "$MB" || { echo "bench: BENCH_MB must be a positive integer, not '$MB'" >&2; exit 2; }
is_count "$RUNS" || { echo "bench: BENCH_RUNS must be a positive integer, not '$RUNS'" >&2; exit 2; }
is_count "$SLICE_MB" || { echo "bench: BENCH_SLICE_MB must be a positive integer, not '$SLICE_MB'" >&2; exit 2; }
check_tools
lock_work

rm -rf "$R"
mkdir -p "$R/logs"
: >"$NOTES"
: >"$R/runs.tsv"
: >"$R/commands.tsv"
[ "$RUNS" -ge 3 ] || note "BENCH_RUNS=$RUNS: medians of fewer than 3 runs"
# The tree the binaries were built from, for the report.
if rev=$(git rev-parse --short HEAD 2>/dev/null); then
	[ -z "$(git status --porcelain -- lib train classify Makefile 2>/dev/null)" ] \
		|| rev+=", with uncommitted changes to lib/, train/, classify/ or the Makefile"
	printf '%s\n' "$rev" >"$R/git.txt"
fi

# --- corpora and archive -----------------------------------------------------
fetch_corpora "$R/logs"

say "archive: $MB MB in $A"
python3 bench/build_archive.py --out "$A" --mb "$MB" --slice-mb "$SLICE_MB" \
	|| die "bench/build_archive.py failed"
: >"$A/empty.txt"

# --- models ------------------------------------------------------------------
# Tenor: the shipped model as users run it (BENCH_MODEL, default models/news,
# which make bench trains first), and beside it the same training data with
# character n-grams 3-5, to show what they cost (BENCH_NEWS_TRAIN: the
# training command's inputs and options, passed by the Makefile).
MODEL=${BENCH_MODEL:-models/news}
[ -f "$MODEL/manifest.json" ] || die "no model at $MODEL (make models trains models/news)"
CHARS=$A/tenor-chars
if [ -n "${BENCH_NEWS_TRAIN:-}" ]; then
	read -r -a news_train <<<"$BENCH_NEWS_TRAIN"
	key="$(digest bin/train) ${news_train[*]}"
	if [ ! -f "$CHARS.key" ] || [ "$(cat "$CHARS.key")" != "$key" ] || [ ! -f "$CHARS/manifest.json" ]; then
		say "training the variant with character n-grams 3-5"
		rm -f "$CHARS.key"
		bin/train -q -o "$CHARS" --char-ngrams 3-5 "${news_train[@]}" 2>"$R/logs/tenor-chars-train.log" \
			|| die "bin/train failed: see $R/logs/tenor-chars-train.log"
		printf '%s\n' "$key" >"$CHARS.key"
	fi
else
	CHARS=
	note "BENCH_NEWS_TRAIN is not set: the character n-gram variant is skipped"
fi

# Peers: retrained whenever their training file changes.
P=$A/peers
mkdir -p "$P"
ftkey=$(digest "$A/ft-train.txt")

HAVE_FT=0
if command -v fasttext >/dev/null; then
	HAVE_FT=1
	for m in default ng2; do
		extra=(); [ "$m" = ng2 ] && extra=(-wordNgrams 2)
		k="$ftkey ${extra[*]:-}"
		if [ ! -f "$P/ft-$m.key" ] || [ "$(cat "$P/ft-$m.key")" != "$k" ] || [ ! -f "$P/ft-$m.bin" ]; then
			say "training fastText ($m)"
			fasttext supervised -input "$A/ft-train.txt" -output "$P/ft-$m" -verbose 0 "${extra[@]}" \
				>"$R/logs/ft-$m-train.log" 2>&1 || die "fasttext supervised failed: see $R/logs/ft-$m-train.log"
			rm -f "$P/ft-$m.vec"
			printf '%s\n' "$k" >"$P/ft-$m.key"
		fi
	done
else
	note "fastText is not installed (make bench-deps): fastText rows skipped"
fi

PYSK=$(sklearn_python)
HAVE_SK=0
if [ -n "$PYSK" ]; then
	HAVE_SK=1
	k="$ftkey $(digest bench/peers/bench_sklearn.py)"
	if [ ! -f "$P/sklearn.key" ] || [ "$(cat "$P/sklearn.key")" != "$k" ] || [ ! -f "$P/sklearn.pkl" ]; then
		say "training scikit-learn ($PYSK)"
		"$PYSK" bench/peers/bench_sklearn.py train "$A/ft-train.txt" "$P/sklearn.pkl" \
			>"$R/logs/sklearn-train.log" 2>&1 || die "bench_sklearn.py train failed: see $R/logs/sklearn-train.log"
		printf '%s\n' "$k" >"$P/sklearn.key"
	fi
else
	note "scikit-learn is not installed (python3-sklearn, make bench-deps): scikit-learn rows skipped"
fi

# --- measurement ---------------------------------------------------------------
# measure CONFIG RUN CMD...: starts every CMD (a shell command line, one
# process each) at once, waits for all, and appends to runs.tsv
#   CONFIG RUN WALL_SECONDS PEAK_RSS_KB STATUS CPU_SECONDS OTHERS_CPU_SECONDS
# where PEAK_RSS_KB is the sum over the processes of each one's peak,
# CPU_SECONDS their user + system time, and OTHERS_CPU_SECONDS the CPU time
# the rest of the machine used meanwhile (/proc/stat): other work competing
# for the cores shows there.
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
HZ=$(getconf CLK_TCK)
measure() {
	local config=$1 run=$2 k=0 rc=0 rss=0 cpu=0 start end i b0 b1 pids=()
	shift 2
	b0=$(busy_ticks)
	start=$(date +%s%N)
	for cmd in "$@"; do
		/usr/bin/time -f '%M %U %S' -o "$R/rss.$k" sh -c "exec $cmd" 2>"$R/logs/$config.$run.$k.log" &
		pids+=($!)
		k=$((k + 1))
	done
	for i in "${pids[@]}"; do wait "$i" || rc=$?; done
	end=$(date +%s%N)
	b1=$(busy_ticks)
	# bin/classify's exit code 3: done, but some documents became error records.
	if [[ $config == tenor-* && $rc == 3 ]]; then
		rc=0
		[[ $run != 1 ]] || note "$config: some documents were error records (exit code 3): see $R/logs/$config.1.0.log"
	fi
	for ((i = 0; i < k; i++)); do
		read -r m u s < <(tail -n 1 "$R/rss.$i")
		rss=$((rss + m))
		cpu=$(awk -v a="$cpu" -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", a + u + s }')
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$run" \
		"$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')" "$rss" "$rc" "$cpu" \
		"$(awk -v d=$((b1 - b0)) -v hz="$HZ" -v c="$cpu" 'BEGIN { x = d / hz - c; printf "%.2f", x < 0 ? 0 : x }')" \
		>>"$R/runs.tsv"
	return "$rc"
}

# Configurations: name, then its command lines (one per process).
CONFIGS=()
declare -A CMDS
add() {
	local name=$1; shift
	CONFIGS+=("$name")
	CMDS[$name]=$(printf '%s\x1f' "$@")
	printf '%s\t%s\n' "$name" "$(printf '%s & ' "$@" | sed 's/ & $//')" >>"$R/commands.tsv"
}

ZST=$A/archive.jsonl.zst
for j in 1 2; do
	add "tenor-$j" "bin/classify -q -m $MODEL -o $R/out-tenor-$j --force -j $j $ZST"
done
# The same documents uncompressed: fastText and scikit-learn read plain text, so
# this row compares like with like; the .zst rows include zstd's decompression.
add "tenor-plain-2" "bin/classify -q -m $MODEL -o $R/out-tenor-plain-2 --force -j 2 $A/archive.jsonl"
[ -z "$CHARS" ] || add "tenor-chars-2" "bin/classify -q -m $CHARS -o $R/out-tenor-chars-2 --force -j 2 $ZST"
add "zstd-1" "zstd -dc $ZST > /dev/null"
if [ "$HAVE_FT" = 1 ]; then
	add "ft-default-1" "fasttext predict $P/ft-default.bin $A/text-all.txt > /dev/null"
	add "ft-default-2" "fasttext predict $P/ft-default.bin $A/text-half-1.txt > /dev/null" \
		"fasttext predict $P/ft-default.bin $A/text-half-2.txt > /dev/null"
	add "ft-ng2-load" "fasttext predict $P/ft-ng2.bin $A/empty.txt > /dev/null"
	add "ft-ng2-1" "fasttext predict $P/ft-ng2.bin $A/slice-all.txt > /dev/null"
	add "ft-ng2-2" "fasttext predict $P/ft-ng2.bin $A/slice-half-1.txt > /dev/null" \
		"fasttext predict $P/ft-ng2.bin $A/slice-half-2.txt > /dev/null"
fi
if [ "$HAVE_SK" = 1 ]; then
	SK="env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $PYSK bench/peers/bench_sklearn.py predict $P/sklearn.pkl"
	add "sklearn-load" "$SK $A/empty.txt > /dev/null"
	add "sklearn-1" "$SK $A/slice-all.txt > /dev/null"
	add "sklearn-2" "$SK $A/slice-half-1.txt > /dev/null" "$SK $A/slice-half-2.txt > /dev/null"
fi

# Bring the inputs into the page cache, so that no tool pays for the disk.
cat "$ZST" "$A"/archive.jsonl "$A"/text-*.txt "$A"/slice-*.txt "$A"/slice.jsonl.zst >/dev/null

FAILED=" "
run_config() {
	local name=$1 run=$2 cmds
	[[ $FAILED == *" $name "* ]] && return 0
	IFS=$'\x1f' read -r -d '' -a cmds < <(printf '%s\0' "${CMDS[$name]%$'\x1f'}") || true
	if ! measure "$name" "$run" "${cmds[@]}"; then
		FAILED+="$name "
		case $name in
		tenor-*) die "$name failed: $(tail -n 3 "$R/logs/$name.$run.0.log")" ;;
		*) note "$name failed (run $run), its rows are left out: see $R/logs/$name.$run.*.log" ;;
		esac
	fi
	case $name in
	tenor-*) cp "$R/out-$name/manifest.json" "$R/$name.$run.manifest.json" ;;
	esac
}

say "timing ${#CONFIGS[@]} configurations x $RUNS runs, round-robin"
for ((run = 1; run <= RUNS; run++)); do
	for name in "${CONFIGS[@]}"; do
		run_config "$name" "$run"
		say "run $run/$RUNS $name: $(awk -F'\t' -v c="$name" -v r="$run" '$1 == c && $2 == r {
			print $3 " s, " int($4 / 1024) " MB, CPU " $6 " s (others " $7 " s)" }' "$R/runs.tsv")"
	done
done

# Peak memory must not grow with the input: Tenor once more, 2 threads, on the slice.
add "tenor-2-slice" "bin/classify -q -m $MODEL -o $R/out-tenor-2-slice --force -j 2 $A/slice.jsonl.zst"
run_config "tenor-2-slice" 1
rm -rf "$R"/out-*

# --- report --------------------------------------------------------------------
say "writing $OUT/results.md and $OUT/throughput.png"
python3 bench/peers/bench_report.py --archive "$A" --run "$R" --out "$OUT" \
	--elapsed $(( $(date +%s) - T0 )) --sklearn-python "${PYSK:-}" \
	|| die "bench/peers/bench_report.py failed"
say "done in $(( $(date +%s) - T0 )) s"
