#!/usr/bin/env bash
# bench/train.sh - make bench-train: Tenor's training time against liblinear
# and svm-train, and Tenor's feature extraction rate.
#
# On labeled corpora of BENCH_TRAIN_SIZES documents (Reuters-21578 and
# SpamAssassin, 8,204 distinct texts, then perturbed copies: see
# bench/build_archive.py --training-sets), one head "label" (grain, other,
# spam, ham), it times once each:
#   Tenor      bin/train --labels label, all cores: with its defaults, and
#              with the vectors' settings (word 1-2 grams, no character
#              n-grams, no class weights) with libsvm and, when bin/train has
#              --solver, liblinear
#   liblinear  liblinear-train (its defaults: -s 1, C = 1) on TF-IDF vectors
#   libsvm     svm-train -t 0 -c 1 -e 0.001 -m 100 (Tenor's defaults) on the
#              same vectors
# The vectors come from bench/peers/bench_svmlight.py (scikit-learn, Tenor's
# feature settings) because Tenor does not export its own; making them is
# timed apart.  Tenor's feature extraction rate is the "features" stage of
# bin/classify -j 1 on each corpus (OUT/manifest.json timings), with the
# default and with the vectors' feature settings.  libsvm-based
# runs (svm-train, Tenor's libsvm solver) grow about quadratically with the
# corpus: they run only up to BENCH_TRAIN_LIBSVM_MAX documents, and every run
# is stopped after BENCH_TRAIN_TIMEOUT seconds (reported as such).
#
# Writes the "make bench-train" section of bench/results.md (the rest of the
# file, written by make bench, is kept) and prints the tables.
#
# Environment:
#   BENCH_TRAIN_SIZES="5000 50000 200000"
#   BENCH_TRAIN_LIBSVM_MAX=50000   largest corpus given to libsvm-based solvers
#   BENCH_TRAIN_TIMEOUT=600        seconds before a training run is stopped
#   BENCH_OUT=bench                where results.md is written
# Exit codes: 0 done, 1 a step failed, 2 bad setting.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${BENCH_TRAIN_SIZES:-5000 50000 200000}
SIZES=${SIZES//,/ }
LIBSVM_MAX=${BENCH_TRAIN_LIBSVM_MAX:-50000}
TIMEOUT=${BENCH_TRAIN_TIMEOUT:-600}
OUT=${BENCH_OUT:-bench}
W=bench/work/train
R=$W/run
T0=$(date +%s)
NAME=bench-train
NOTES=$R/notes.txt
. bench/peers/bench_lib.sh

for n in $SIZES; do
	is_count "$n" || { echo "bench-train: BENCH_TRAIN_SIZES: '$n' is not a positive integer" >&2; exit 2; }
done
[ -n "${SIZES// /}" ] || { echo "bench-train: BENCH_TRAIN_SIZES is empty" >&2; exit 2; }
is_count "$LIBSVM_MAX" || { echo "bench-train: BENCH_TRAIN_LIBSVM_MAX must be a positive integer" >&2; exit 2; }
is_count "$TIMEOUT" || { echo "bench-train: BENCH_TRAIN_TIMEOUT must be a positive integer" >&2; exit 2; }
check_tools
command -v timeout >/dev/null || die "timeout (coreutils) not found"
lock_work

rm -rf "$R"
mkdir -p "$R/logs"
: >"$NOTES"
: >"$R/runs.tsv"
: >"$R/commands.tsv"

fetch_corpora "$R/logs"

# --- corpora and vectors -------------------------------------------------------
csv=$(tr ' ' '\n' <<<"$SIZES" | grep . | sort -n | uniq | paste -sd,)
key="$(digest bench/build_archive.py data/external/reuters/grain-train.jsonl \
	data/external/reuters/grain-test.jsonl data/external/spam/train.jsonl data/external/spam/test.jsonl) $csv"
missing=0
for n in $SIZES; do [ -s "$W/train-$n.jsonl" ] || missing=1; done
if [ "$missing" = 1 ] || [ ! -f "$W/corpora.key" ] || [ "$(cat "$W/corpora.key")" != "$key" ]; then
	say "building the training corpora ($csv documents)"
	rm -f "$W/corpora.key" "$W"/vec-*
	python3 bench/build_archive.py --out "$W" --training-sets "$csv" || die "bench/build_archive.py failed"
	printf '%s\n' "$key" >"$W/corpora.key"
fi

PYSK=$(sklearn_python)
HAVE_VEC=0
if [ -n "$PYSK" ]; then
	HAVE_VEC=1
	for n in $SIZES; do
		k="$(digest "$W/train-$n.jsonl" bench/peers/bench_svmlight.py)"
		if [ ! -s "$W/vec-$n.svm" ] || [ ! -f "$W/vec-$n.key" ] || [ "$(cat "$W/vec-$n.key")" != "$k" ]; then
			say "TF-IDF vectors for $n documents (bench/peers/bench_svmlight.py)"
			"$PYSK" bench/peers/bench_svmlight.py "$W/train-$n.jsonl" label "$W/vec-$n.svm" \
				>"$W/vec-$n.json" 2>"$R/logs/vec-$n.log" || die "bench_svmlight.py failed: see $R/logs/vec-$n.log"
			printf '%s\n' "$k" >"$W/vec-$n.key"
		fi
	done
else
	note "scikit-learn is not installed (python3-sklearn, make bench-deps): no vectors, so no liblinear or svm-train rows"
fi

# --- timing --------------------------------------------------------------------
# timed TOOL N CMD...: runs CMD once, stopped after TIMEOUT seconds, and
# appends "TOOL N WALL_S PEAK_RSS_KB CPU_S STATUS" to runs.tsv, STATUS being
# ok, timeout or failed.
timed() {
	local tool=$1 n=$2 rc=0 status=ok
	shift 2
	printf '%s\t%s\t%s\n' "$tool" "$n" "$*" >>"$R/commands.tsv"
	/usr/bin/time -f '%e %M %U %S' -o "$R/time" timeout -k 10 "$TIMEOUT" "$@" \
		>"$R/logs/$tool-$n.out" 2>"$R/logs/$tool-$n.log" || rc=$?
	read -r e m u s < <(tail -n 1 "$R/time")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		status=timeout
		note "$tool on $n documents was stopped after ${TIMEOUT} s (BENCH_TRAIN_TIMEOUT)"
	elif [ "$rc" != 0 ]; then
		status=failed
		note "$tool on $n documents failed (exit $rc): see $R/logs/$tool-$n.log"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$n" "$e" "$m" \
		"$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')" "$status" >>"$R/runs.tsv"
	say "$tool, $n documents: $status, $e s"
}

# The vectors have word 1-2 grams only and the solvers weigh classes equally;
# Tenor's "matched" runs are told the same, its "default" runs get what a
# user gets.  Options that this bin/train lacks are already that way.
HELP=$(bin/train --help 2>&1)
MATCH=()
if grep -q -- '--char-ngrams' <<<"$HELP" && grep -q 'or off' <<<"$HELP"; then MATCH+=(--char-ngrams off); fi
if grep -q -- '--class-weight' <<<"$HELP"; then MATCH+=(--class-weight none); fi
printf '%s\n' "${MATCH[*]:-}" >"$R/match.txt"
HAVE_SOLVER=0
if grep -q -- '--solver' <<<"$HELP"; then
	HAVE_SOLVER=1
else
	note "bin/train has no --solver option: no Tenor liblinear row"
fi
HAVE_LL=0; command -v liblinear-train >/dev/null && HAVE_LL=1
HAVE_SVM=0; command -v svm-train >/dev/null && HAVE_SVM=1
[ "$HAVE_LL" = 1 ] || note "liblinear-train is not installed (liblinear-tools, make bench-deps): row skipped"
[ "$HAVE_SVM" = 1 ] || note "svm-train is not installed (libsvm-tools, make bench-deps): row skipped"

# libsvm_sized TOOL N CMD...: timed when N is within BENCH_TRAIN_LIBSVM_MAX.
libsvm_sized() {
	if [ "$2" -le "$LIBSVM_MAX" ]; then
		timed "$@"
	else
		printf '%s\t%s\t\t\t\tskipped\n' "$1" "$2" >>"$R/runs.tsv"
	fi
}

for n in $SIZES; do
	libsvm_sized tenor-default "$n" bin/train -q -o "$R/tenor-default-$n" --labels label "$W/train-$n.jsonl"
	libsvm_sized tenor-libsvm "$n" bin/train -q -o "$R/tenor-$n" --labels label "${MATCH[@]}" "$W/train-$n.jsonl"
	if [ "$HAVE_SOLVER" = 1 ]; then
		timed tenor-liblinear "$n" bin/train -q -o "$R/tenor-ll-$n" --solver liblinear --labels label \
			"${MATCH[@]}" "$W/train-$n.jsonl"
	fi
	if [ "$HAVE_VEC" = 1 ] && [ "$HAVE_LL" = 1 ]; then
		timed liblinear "$n" liblinear-train -q "$W/vec-$n.svm" "$R/liblinear-$n.model"
	fi
	if [ "$HAVE_VEC" = 1 ] && [ "$HAVE_SVM" = 1 ]; then
		libsvm_sized libsvm "$n" svm-train -q -t 0 -c 1 -e 0.001 -m 100 "$W/vec-$n.svm" "$R/libsvm-$n.model"
	fi
done

# Feature extraction, with the default settings and with the matched ones:
# the features stage of bin/classify -j 1 with a model of each kind (the
# solver does not matter; a small model is trained if no run left one).
smallest=$(tr ' ' '\n' <<<"$SIZES" | grep . | sort -n | head -n 1)
for kind in default matched; do
	model=""
	if [ "$kind" = default ]; then prefixes=(tenor-default-); else prefixes=(tenor- tenor-ll-); fi
	for n in $SIZES; do
		for p in "${prefixes[@]}"; do
			if [ -z "$model" ] && [ -f "$R/$p$n/manifest.json" ]; then model=$R/$p$n; fi
		done
	done
	if [ -z "$model" ]; then
		say "training a small $kind model for the feature-rate runs"
		head -n 2000 "$W/train-$smallest.jsonl" >"$R/small.jsonl"
		opts=(); [ "$kind" = default ] || opts=("${MATCH[@]}")
		bin/train -q -o "$R/small-$kind" --solver liblinear --labels label "${opts[@]}" "$R/small.jsonl" \
			2>"$R/logs/small-$kind.log" \
			|| bin/train -q -o "$R/small-$kind" --labels label "${opts[@]}" "$R/small.jsonl" \
				2>"$R/logs/small-$kind.log" \
			|| die "bin/train failed: see $R/logs/small-$kind.log"
		model=$R/small-$kind
	fi
	printf 'features-model\t0\t# MODEL_%s = %s\n' "$kind" "$model" >>"$R/commands.tsv"
	for n in $SIZES; do
		printf 'features-%s\t%s\t%s\n' "$kind" "$n" \
			"bin/classify -q -m MODEL_$kind -o $R/feat-$kind-$n --force -j 1 $W/train-$n.jsonl" >>"$R/commands.tsv"
		bin/classify -q -m "$model" -o "$R/feat-$kind-$n" --force -j 1 "$W/train-$n.jsonl" \
			2>"$R/logs/features-$kind-$n.log" || die "bin/classify failed: see $R/logs/features-$kind-$n.log"
		cp "$R/feat-$kind-$n/manifest.json" "$R/features-$kind-$n.manifest.json"
		cp "$model/manifest.json" "$R/features-$kind.model.json"
		rm -rf "$R/feat-$kind-$n"
		say "feature rate ($kind settings), $n documents: done"
	done
done

say "writing the make bench-train section of $OUT/results.md"
python3 bench/peers/bench_report.py --train "$W" --run "$R" --out "$OUT" \
	--elapsed $(($(date +%s) - T0)) --timeout "$TIMEOUT" --libsvm-max "$LIBSVM_MAX" \
	|| die "bench/peers/bench_report.py failed"
say "done in $(($(date +%s) - T0)) s"
