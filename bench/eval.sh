#!/usr/bin/env bash
# make eval: accuracy of Tenor's defaults against peers on public corpora.
#
# Run from anywhere after `make build` (make eval does both).  Fetches what is
# missing under data/external/ (data/fetch/*.py), then for each dataset trains
# and tests Tenor and each peer on the same fixed train/test split, scores every
# tool's predictions with bench/metrics.py, and writes bench/eval.md (also
# printed).  Peers missing from the machine (make bench-deps installs them) are
# skipped with a note.  Work files go to bench/work/eval/ (ignored).
#
# The datasets are the tasks of bench/corpora.py (`bench/corpora.py list`):
# Reuters grain and corn, SpamAssassin two- and three-way, the news corpus's
# topic and tone heads, Debian package descriptions, fortune cookies, man
# pages, Austen's novels and State of the Union passages by party.
#
# Environment:
#   EVAL_DATASETS      datasets to run, e.g. "grain corn spam"  [all tasks; the
#                      Tenor defaults use libsvm, and svm-train runs each up to
#                      EVAL_SVM_TIMEOUT: an hour or more on 2 cores in all]
#   EVAL_SVM_TIMEOUT   seconds allowed per svm-train run, then skipped  [300]
#   EVAL_OUT           report path                [bench/eval.md]
#   EVAL_WORK          work folder                [bench/work/eval]
#   TENOR_BIN          folder of train/classify   [bin]
set -euo pipefail
cd "$(dirname "$0")/.."

DATASETS=${EVAL_DATASETS:-$(python3 bench/corpora.py list | tr '\n' ' ')}
SVM_TIMEOUT=${EVAL_SVM_TIMEOUT:-300}
OUT_MD=${EVAL_OUT:-bench/eval.md}
WORK=${EVAL_WORK:-bench/work/eval}
BIN=${TENOR_BIN:-bin}
NPROC=$(nproc)
T_START=$EPOCHREALTIME
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$WORK"
RESULTS=$WORK/results.tsv     # dataset tool accuracy macro_f1 train_s model_bytes
NOTES=$WORK/notes.txt
COMMANDS=$WORK/commands.txt
: >"$RESULTS"; : >"$NOTES"; : >"$COMMANDS"

say() { printf 'eval: %s\n' "$*" >&2; }
note() { say "$*"; printf -- '- %s\n' "$*" >>"$NOTES"; }

# The peers are Debian's python3-sklearn, fastText, liblinear and libsvm tools.
# A python3 earlier on PATH (pyenv, venv) may lack sklearn: take the first that
# has it.  The Tenor-only scripts (fetch, metrics) need only the stdlib.
PY=python3
PEER_PY=
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null && "$cand" -c 'import sklearn' 2>/dev/null; then
		PEER_PY=$cand; break
	fi
done
have() { command -v "$1" >/dev/null; }

# run CMD...: log CMD (shell-quoted, for the report) and run it.
run() {
	local q; printf -v q '%q ' "$@"
	printf '%s\n' "${q% }" >>"$COMMANDS"
	"$@"
}

# run_to FILE CMD...: the same, with CMD's standard output in FILE.
run_to() {
	local out=$1 q; shift
	printf -v q '%q ' "$@"
	printf '%s > %q\n' "${q% }" "$out" >>"$COMMANDS"
	"$@" >"$out"
}

# timed VAR CMD...: run (logged) CMD, put its wall-clock seconds in VAR;
# return CMD's exit code.
timed() {
	local -n _t=$1; shift
	local s=$EPOCHREALTIME rc=0
	run "$@" || rc=$?
	_t=$(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
	return $rc
}

bytes() { find "$@" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }
json_get() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# record DATASET TOOL TRAIN_S MODEL_BYTES PRED [PRED_FIELD]: score and store.
record() {
	local ds=$1 tool=$2 secs=$3 size=$4 pred=$5 pfield=${6:-} m
	if [ -n "$pfield" ]; then
		# shellcheck disable=SC2086  # PRED may list several shards
		m=$("$PY" bench/metrics.py score --truth "$TEST" --field "$FIELD" --pred $pred --pred-field "$pfield") || m=
	else
		m=$("$PY" bench/metrics.py score --truth "$TEST" --field "$FIELD" --pred "$pred") || m=
	fi
	[ -n "$m" ] || { skip "$ds" "$tool" "bench/metrics.py could not score '$pred'"; return; }
	local acc f1; acc=$(cut -f1 <<<"$m"); f1=$(cut -f2 <<<"$m")
	# The predictions too (columns 7 and 8), for the report's bootstrap intervals.
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ds" "$tool" "$acc" "$f1" "$secs" "$size" "$pred" "$pfield" >>"$RESULTS"
	say "$ds: $tool: accuracy $acc, macro-F1 $f1, train $(printf '%.2f' "$secs") s"
}

skip() {
	printf '%s\t%s\t-\t-\t-\t-\n' "$1" "$2" >>"$RESULTS"
	note "$1: $2 skipped: $3"
}

# --- data -------------------------------------------------------------------

FETCH_FAILED=" "
for ds in $DATASETS; do
	"$PY" bench/corpora.py fetch "$ds" ||
		{ note "fetch failed for $ds (bench/corpora.py fetch $ds)"; FETCH_FAILED+="$ds "; }
done
: >"$COMMANDS"   # the fetch commands are not part of the measured runs

# dataset NAME: set TRAIN TEST FIELD GROUP (bench/corpora.py paths), or fail if
# its data is missing.  A corpus of several files is joined under $WORK/corpora.
# GROUP: the field whose documents the test split keeps together (a chapter,
# a speech, a source package), or empty; Tenor's folds get it as --group.
dataset() {
	case $FETCH_FAILED in *" $1 "*) return 1 ;; esac
	local p
	p=$("$PY" bench/corpora.py paths "$1" --work "$WORK/corpora") || return 1
	IFS=$'\t' read -r TRAIN TEST FIELD GROUP <<<"$p"
}

# --- tools ------------------------------------------------------------------

# What Tenor's defaults were, as its bundle manifest records them: the
# defaults change with Tenor, the report must not go stale.
TENOR_DEFAULTS=
tenor_defaults() {
	"$PY" - "$1" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
f, h = m["features"], m["heads"][0]
r = lambda v: "off" if not v else "%d-%d" % tuple(v)
print("word n-grams %s (this task's; the others' are in each table), character n-grams %s, hashed into 2^%d buckets, min_df %d, %s tf, %s; "
      "%s solver, %s kernel, %s loss, %s, C=%g, class weights %s" % (
      r(f.get("word_ngrams")), r(f.get("char_ngrams")), f["bits"], f["min_df"],
      "1 + ln" if f.get("sublinear_tf") else "raw", f.get("weighting", "?"),
      h.get("solver", "libsvm"), h.get("kernel", "linear"), h.get("loss", "hinge"), h.get("multiclass", "?"),
      h.get("C", 1), h.get("class_weight", "none")))
EOF
}

tenor() {
	local ds=$1 w=$2 secs rc=0
	rm -rf "$w/tenor.model" "$w/tenor.out"
	timed secs "$BIN/train" -q -o "$w/tenor.model" --labels "$FIELD" ${GROUP:+--group "$GROUP"} "$TRAIN" ||
		{ skip "$ds" tenor "train failed"; return; }
	run "$BIN/classify" -q -m "$w/tenor.model" -o "$w/tenor.out" "$TEST" 2>"$w/tenor.classify.txt" || rc=$?
	[ $rc = 0 ] || [ $rc = 3 ] || { skip "$ds" tenor "classify exited $rc"; return; }
	record "$ds" tenor "$secs" "$(bytes "$w/tenor.model")" "$(echo "$w"/tenor.out/part-*.jsonl.zst)" "$FIELD"
	[ -n "$TENOR_DEFAULTS" ] || TENOR_DEFAULTS=$(tenor_defaults "$w/tenor.model/manifest.json")
	# The word n-grams train chose for this corpus (its manifest's "selection").
	"$PY" -c 'import json,sys; f = json.load(open(sys.argv[1]))["features"]["word_ngrams"]; print("%d-%d" % tuple(f))' \
		"$w/tenor.model/manifest.json" >"$w/tenor.ngrams" || true
	printf '%s\n' "$GROUP" >"$w/tenor.group"
	# Tenor's own figure must agree with metrics.py's.
	local own mine
	own=$("$PY" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["evaluation"][sys.argv[2]]["macro_f1"])' \
		"$w/tenor.out/manifest.json" "$FIELD")
	mine=$(tail -n1 "$RESULTS" | cut -f4)
	[ "$own" = "$mine" ] || note "$ds: Tenor's manifest says macro-F1 $own, metrics.py $mine"
}

sklearn_svc() {
	local ds=$1 w=$2 out
	[ -n "$PEER_PY" ] || { skip "$ds" "sklearn TF-IDF + LinearSVC" "python3-sklearn not installed (make bench-deps)"; return; }
	out=$(run "$PEER_PY" bench/peers/sklearn_svc.py "$TRAIN" "$TEST" --field "$FIELD" \
		--pred "$w/sklearn.pred" --model "$w/sklearn.pkl") ||
		{ skip "$ds" "sklearn TF-IDF + LinearSVC" "bench/peers/sklearn_svc.py failed"; return; }
	record "$ds" "sklearn TF-IDF + LinearSVC" "$(json_get "$out" train_s)" \
		"$(json_get "$out" model_bytes)" "$w/sklearn.pred"
}

fasttext_run() {
	local ds=$1 w=$2 name=$3 secs; shift 3
	have fasttext || { skip "$ds" "$name" "fasttext not installed (make bench-deps)"; return; }
	if [ ! -s "$w/ft.train.txt" ]; then
		run_to "$w/ft.train.txt" "$PY" bench/peers/fasttext_text.py "$TRAIN" --field "$FIELD"
		run_to "$w/ft.test.txt" "$PY" bench/peers/fasttext_text.py "$TEST" --field "$FIELD"
	fi
	timed secs fasttext supervised -input "$w/ft.train.txt" -output "$w/ft" -thread "$NPROC" -verbose 0 "$@" &&
		run_to "$w/ft.pred" fasttext predict "$w/ft.bin" "$w/ft.test.txt" ||
		{ rm -f "$w/ft.bin" "$w/ft.vec"; skip "$ds" "$name" "fasttext failed"; return; }
	local size; size=$(bytes "$w/ft.bin")
	rm -f "$w/ft.bin" "$w/ft.vec"   # up to 800 MB each with word bigrams
	record "$ds" "$name" "$secs" "$size" "$w/ft.pred"
}

# The libsvm-format vectors of bench/peers/tfidf_svmlight.py: 0 if present.
VEC_FIT=0 VEC_BYTES=0
vectors() {
	local w=$1 out
	[ -n "$PEER_PY" ] || return 1
	[ -s "$w/svm/train.svm" ] && return 0
	out=$(run "$PEER_PY" bench/peers/tfidf_svmlight.py vectors "$TRAIN" "$TEST" --field "$FIELD" --out "$w/svm") ||
		{ rm -f "$w/svm/train.svm"; return 1; }
	VEC_FIT=$(json_get "$out" fit_s) VEC_BYTES=$(json_get "$out" vectorizer_bytes)
}

liblinear() {
	local ds=$1 w=$2 name="liblinear-train (TF-IDF)" secs
	have liblinear-train || { skip "$ds" "$name" "liblinear-tools not installed (make bench-deps)"; return; }
	vectors "$w" || { skip "$ds" "$name" "no TF-IDF vectors (needs python3-sklearn)"; return; }
	timed secs liblinear-train -q "$w/svm/train.svm" "$w/svm/liblinear.model" &&
		run liblinear-predict "$w/svm/test.svm" "$w/svm/liblinear.model" "$w/svm/liblinear.out" >/dev/null ||
		{ skip "$ds" "$name" "liblinear failed"; return; }
	"$PEER_PY" bench/peers/tfidf_svmlight.py decode "$w/svm" "$w/svm/liblinear.out" >"$w/liblinear.pred"
	record "$ds" "$name" "$(add "$secs" "$VEC_FIT")" \
		"$(( $(bytes "$w/svm/liblinear.model") + VEC_BYTES ))" "$w/liblinear.pred"
}

# libsvm NAME TAG SVM-TRAIN-OPTIONS...: one svm-train run, bounded in time.
libsvm() {
	local ds=$1 w=$2 name=$3 tag=$4 secs rc=0 popt=(); shift 4
	have svm-train || { skip "$ds" "$name" "libsvm-tools not installed (make bench-deps)"; return; }
	vectors "$w" || { skip "$ds" "$name" "no TF-IDF vectors (needs python3-sklearn)"; return; }
	case " $* " in *" -b 1 "*) popt=(-b 1) ;; esac
	timed secs timeout "$SVM_TIMEOUT" svm-train -q "$@" "$w/svm/train.svm" "$w/svm/$tag.model" || rc=$?
	if [ $rc = 124 ]; then skip "$ds" "$name" "svm-train stopped after ${SVM_TIMEOUT} s (EVAL_SVM_TIMEOUT)"; return; fi
	[ $rc = 0 ] || { skip "$ds" "$name" "svm-train exited $rc"; return; }
	run svm-predict "${popt[@]}" "$w/svm/test.svm" "$w/svm/$tag.model" "$w/svm/$tag.out" >/dev/null ||
		{ skip "$ds" "$name" "svm-predict failed"; return; }
	"$PEER_PY" bench/peers/tfidf_svmlight.py decode "$w/svm" "$w/svm/$tag.out" >"$w/$tag.pred"
	record "$ds" "$name" "$(add "$secs" "$VEC_FIT")" \
		"$(( $(bytes "$w/svm/$tag.model") + VEC_BYTES ))" "$w/$tag.pred"
}

# --- runs -------------------------------------------------------------------

DONE=()
for ds in $DATASETS; do
	dataset "$ds" || { note "$ds: no data, skipped"; continue; }
	w=$WORK/$ds
	rm -rf "$w"; mkdir -p "$w"
	VEC_FIT=0 VEC_BYTES=0
	say "$ds: $(wc -l <"$TRAIN") train, $(wc -l <"$TEST") test documents, field '$FIELD'"
	[ -s "$COMMANDS" ] && echo >>"$COMMANDS"
	printf '# %s\n' "$ds" >>"$COMMANDS"
	tenor "$ds" "$w"
	sklearn_svc "$ds" "$w"
	fasttext_run "$ds" "$w" "fastText (defaults)"
	fasttext_run "$ds" "$w" "fastText -wordNgrams 2 -epoch 25" -wordNgrams 2 -epoch 25
	liblinear "$ds" "$w"
	libsvm "$ds" "$w" "svm-train -t 0 (TF-IDF)" svm -t 0
	libsvm "$ds" "$w" "svm-train -t 0 -b 1 (TF-IDF)" svmprob -t 0 -b 1
	rm -f "$w"/svm/*.svm    # tens of MB; rebuilt by the next run
	DONE+=("$ds:$TRAIN:$TEST:$FIELD")
done

# --- report -----------------------------------------------------------------

ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
class_counts() {
	"$PY" -c 'import json,sys,collections
c = collections.Counter(json.loads(l)[sys.argv[2]] for l in open(sys.argv[1]) if l.strip())
print(", ".join("%s %d" % kv for kv in sorted(c.items())))' "$1" "$2"
}
TOTAL=$(awk -v a="$T_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT (with uncommitted changes)"

{
	echo "# Tenor accuracy against peers (make eval)"
	echo
	echo "Generated by \`bench/eval.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') in ${TOTAL} s."
	echo "Every tool is trained on the train split and scored on the test split by"
	echo "\`bench/metrics.py\` (accuracy; macro-F1 = mean F1 over the classes present in"
	echo "the truth or the predictions).  Tenor runs with its default options (and"
	echo "\`--group FIELD\` on the corpora whose test split keeps groups of documents"
	echo "whole: debdesc by source package, austen by chapter, sotu-party by address,"
	echo "the news tasks' real passages by article; its folds then keep them whole"
	echo "too, as the split does), each"
	echo "peer with its own defaults plus the options in its name: svm-train gets"
	echo "\`-t 0\` (linear, as Tenor) because its default RBF kernel with gamma ="
	echo "1/features predicted only the majority class on grain (macro-F1 0.475)."
	echo
	echo "- **train s**: wall-clock seconds to build the model from the train split:"
	echo "  \`bin/train\` and \`fasttext supervised\` as whole commands; for scikit-learn the"
	echo "  vectorizer + SVC fit inside the process; for liblinear/libsvm the same TF-IDF"
	echo "  fit plus the \`liblinear-train\`/\`svm-train\` command."
	echo "- **model**: bytes on disk needed to classify: Tenor's bundle folder; fastText's"
	echo "  \`.bin\`; the pickled vectorizer + LinearSVC; liblinear/libsvm's model file +"
	echo "  the pickled vectorizer."
	echo "- **TF-IDF** (scikit-learn, liblinear, libsvm): scikit-learn"
	echo "  \`TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)\` fitted on the train"
	echo "  split (1-2 grams, 1 + ln tf, smooth idf, unit length, min_df 1, no hashing),"
	echo "  written in libsvm format by \`bench/peers/tfidf_svmlight.py\`."
	echo "- Tenor's defaults, from its bundle manifest: ${TENOR_DEFAULTS:-unknown (no Tenor run)}."
	echo "- fastText input: lower-cased, punctuation split off, one line per document"
	echo "  (\`bench/peers/fasttext_text.py\`); \`-thread $NPROC\`, so its figures vary slightly"
	echo "  from run to run."
	echo
	echo "## Tenor against the best peer"
	echo
	echo "Macro-F1 on each test split; gap: Tenor's minus the best peer's, in points (x 100)."
	echo "Tenor's word n-grams are those its train chose on the train split (\"selection\")."
	echo "95% interval: how far the gap moves with the choice of test documents (paired"
	echo "bootstrap, \`bench/metrics.py gap\`: 2,000 draws of the test documents with replacement,"
	echo "both tools scored on each draw; 2.5 and 97.5 percentiles); Tenor >=: the share of draws"
	echo "where Tenor scores at least the best peer.  An interval that holds 0 is a gap this test"
	echo "split cannot tell from chance; the best peer is the highest of six, picked on the same split."
	echo
	echo "| task | Tenor word n-grams | Tenor | best peer | its macro-F1 | gap | 95% interval | Tenor >= |"
	echo "|---|---|---:|---|---:|---:|---|---:|"
	for d in "${DONE[@]}"; do
		IFS=: read -r ds tr te f <<<"$d"
		# ds, Tenor's macro-F1, best peer, its macro-F1, Tenor's and the peer's predictions.
		row=$(awk -F'\t' -v ds="$ds" '
			$1 == ds && $2 == "tenor" { t = $4; tp = $7; tf = $8 }
			$1 == ds && $2 != "tenor" && $4 != "-" && $4 + 0 > best { best = $4 + 0; who = $2; bp = $7; bf = $8 }
			END { if (t != "" && t != "-" && who != "")
				printf "%s\t%.4f\t%s\t%s\t%s\t%s", t, best, who, tp, tf, bp "\t" bf }' "$RESULTS")
		[ -n "$row" ] || continue
		IFS=$'\t' read -r t best who tp tf bp bf <<<"$row"
		ci="-" share="-"
		# shellcheck disable=SC2086  # tp may list several shards
		if [ -n "$tp" ] && [ -n "$bp" ] &&
			g=$("$PY" bench/metrics.py gap --truth "$te" --field "$f" --a $tp ${tf:+--a-field "$tf"} \
				--b $bp ${bf:+--b-field "$bf"}); then
			IFS=$'\t' read -r _ lo hi sh <<<"$g"
			ci=$(awk -v a="$lo" -v b="$hi" 'BEGIN { printf "%+.1f to %+.1f", 100 * a, 100 * b }')
			share=$(awk -v s="$sh" 'BEGIN { printf "%.0f%%", 100 * s }')
		fi
		awk -v ds="$ds" -v ng="$(cat "$WORK/$ds/tenor.ngrams" 2>/dev/null || echo '?')" -v t="$t" \
			-v who="$who" -v best="$best" -v ci="$ci" -v sh="$share" 'BEGIN {
			printf "| %s | %s | %s | %s | %.4f | %+.1f | %s | %s |\n", ds, ng, t, who, best, 100 * (t - best), ci, sh }'
	done
	awk -F'\t' '
		$2 == "tenor" && $4 != "-" { t[$1] = $4; ds[$1] = 1 }
		$2 == "sklearn TF-IDF + LinearSVC" && $4 != "-" { s[$1] = $4 }
		$2 != "tenor" && $4 != "-" && $4 + 0 > b[$1] { b[$1] = $4 + 0 }
		END { for (d in ds) { n++; st += t[d]; ss += s[d]; sb += b[d] }
			if (n) printf "\nMean over the %d tasks: Tenor %.4f, scikit-learn TF-IDF + LinearSVC %.4f, the best peer of each task %.4f.\n", n, st / n, ss / n, sb / n }' "$RESULTS"
	for d in "${DONE[@]}"; do
		IFS=: read -r ds tr te f <<<"$d"
		echo
		echo "## $ds"
		echo
		echo "\`$tr\` ($(wc -l <"$tr") documents) → \`$te\` ($(wc -l <"$te")), field \`$f\`;"
		echo "test classes: $(class_counts "$te" "$f")."
		echo
		echo "| tool | accuracy | macro-F1 | train s | model |"
		echo "|---|---:|---:|---:|---:|"
		awk -F'\t' -v ds="$ds" -v ng="$(cat "$WORK/$ds/tenor.ngrams" 2>/dev/null || echo '?')" \
			-v grp="$(cat "$WORK/$ds/tenor.group" 2>/dev/null)" '
			function size(b) {
				if (b == "-") return "-"
				if (b >= 1048576) return sprintf("%.1f MB", b / 1048576)
				return sprintf("%.0f KB", b / 1024)
			}
			$1 == ds { n++; tool[n] = $2; acc[n] = $3; f1[n] = $4; t[n] = $5; sz[n] = $6
			           if ($4 != "-" && $4 + 0 > best) best = $4 + 0 }
			END {
				for (i = 1; i <= n; i++) {
					name = tool[i] == "tenor" ? "**Tenor** (defaults" (grp != "" ? ", --group " grp : "") "; word " ng " chosen)" : tool[i]
					f = f1[i]; if (f != "-" && f + 0 == best) f = "**" f "**"
					secs = t[i] == "-" ? "-" : sprintf("%.1f", t[i])
					printf "| %s | %s | %s | %s | %s |\n", name, acc[i], f, secs, size(sz[i])
				}
			}' "$RESULTS"
	done
	if [ -s "$NOTES" ]; then
		echo
		echo "## Notes"
		echo
		cat "$NOTES"
	fi
	echo
	echo "## Machine and versions"
	echo
	echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $NPROC," \
		"$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM," \
		"$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null), Linux $(uname -r)"
	echo "- load average (1, 5, 15 min) at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg):" \
		"other work on the machine slows every tool, so compare train seconds within one run"
	echo "- Tenor $("$BIN/train" --version 2>&1 | head -n1), commit $COMMIT"
	echo "- fasttext $(ver fasttext), liblinear-tools $(ver liblinear-tools)," \
		"libsvm-tools $(ver libsvm-tools), python3-sklearn $(ver python3-sklearn)" \
		"(${PEER_PY:-no python with sklearn}: $(${PEER_PY:-$PY} --version 2>&1))"
	echo
	echo "## Commands"
	echo
	echo '```sh'
	cat "$COMMANDS"
	echo '```'
} >"$OUT_MD"

cat "$OUT_MD"
say "wrote $OUT_MD in ${TOTAL} s"
