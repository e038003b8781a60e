#!/usr/bin/env bats
#
# tests/e2e/train.bats - bin/train end to end: options and help, the bundle it
# writes, quality figures, determinism, inputs (formats, compression, stdin)
# and every kind of failure with its exit code and message.
#
# Each test runs in its own empty folder (under BATS_TEST_TMPDIR).  TENOR_BIN names the
# folder with the programs, TENOR_DATA the fixtures (tests/run.sh sets both).

bats_require_minimum_version 1.5.0

setup() {
	SRC="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	DATA="${TENOR_DATA:-$SRC/tests/data}"
	TRAIN="${TENOR_BIN:-$SRC/bin}/train"
	# A folder of our own: bats keeps files of its own in BATS_TEST_TMPDIR.
	mkdir "$BATS_TEST_TMPDIR/work" && cd "$BATS_TEST_TMPDIR/work" || return 1
}

# Runs train with separate stdout ($output) and stderr ($stderr) and checks that
# no sanitizer reported anything, whatever the exit code.
train() {
	run --separate-stderr "$TRAIN" "$@"
	no_sanitizer_report
}

no_sanitizer_report() {
	if grep -qE 'Sanitizer|runtime error:' <<<"${output:-}${stderr:-}"; then
		echo "sanitizer report:" >&2
		echo "${stderr:-}" >&2
		return 1
	fi
}

# Prints a Python expression evaluated on the manifest as m.
manifest() {
	python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1/manifest.json" "$2"
}

# Fails unless the text in $1 contains $2.
has() {
	if [[ "$1" != *"$2"* ]]; then
		printf 'expected to find: %s\nin: %s\n' "$2" "$1" >&2
		return 1
	fi
}

# A seeded corpus of $1 documents, 4 classes of label "label" plus a 2-class "side".
gen_corpus() {
	python3 - "$1" "$2" <<'EOF'
import json, random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
filler = "the a of and to in is was for on with as by at from it this that".split()
for i in range(n):
    c = rnd.randrange(4)
    words = []
    for _ in range(rnd.randrange(6, 16)):
        r = rnd.random()
        if r < 0.4:
            words.append("cue%dw%d" % (c, rnd.randrange(12)))
        elif r < 0.5:
            words.append("cue%dw%d" % (rnd.randrange(4), rnd.randrange(12)))
        else:
            words.append(rnd.choice(filler))
    print(json.dumps({"id": "g%d" % i, "text": " ".join(words), "label": "c%d" % c,
                      "side": "left" if c < 2 else "right"}))
EOF
}

# Every regular file of two bundles is byte-identical, and they hold the same files.
same_bundle() {
	[ "$(cd "$1" && ls)" = "$(cd "$2" && ls)" ] || { echo "file lists differ" >&2; return 1; }
	local f
	for f in "$1"/*; do
		cmp "$f" "$2/$(basename "$f")" || return 1
	done
}

# --- help and options ---------------------------------------------------

@test "--help documents every option of the getopt table" {
	train --help
	[ "$status" -eq 0 ]
	has "$output" "Usage: train -o DIR [options] CORPUS..."
	has "$output" "Exit codes: 0 success, 1 error"
	# Every entry of longopts[] in train/main.c, with its short form if any.
	local n=0 name short
	while read -r name short; do
		n=$((n + 1))
		has "$output" "--$name"
		if [ -n "$short" ]; then
			has "$output" "-$short, --$name"
		fi
	done < <(sed -n '/longopts\[\] = {/,/{ NULL, 0, NULL, 0 }/p' "$SRC/train/main.c" |
		sed -nE "s/.*\{ \"([a-z-]+)\", [a-z_]+, NULL, ('(.)'|[A-Z_]+) \}.*/\1 \3/p")
	[ "$n" -ge 20 ]
	[ -z "$stderr" ]
}

@test "-h and --version" {
	train -h
	[ "$status" -eq 0 ]
	has "$output" "Usage: train"
	train --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^train\ \(Tenor\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "an unknown option exits 2 naming it, with the --help hint, creating nothing" {
	train --frobnicate -o model "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "train: unknown option '--frobnicate'"
	has "$stderr" "try 'train --help'"
	[ ! -e model ]
}

@test "no -o exits 2: no output bundle" {
	train "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "train: no output bundle: name one with -o DIR"
	has "$stderr" "try 'train --help'"
}

@test "no corpus exits 2: no corpus given" {
	train -o model
	[ "$status" -eq 2 ]
	has "$stderr" "train: no corpus given"
	[ ! -e model ]
}

@test "--bits out of 10..24 exits 2 quoting the value" {
	train -o model --bits 99 "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "train: --bits takes 10..24, not '99'"
	[ ! -e model ]
}

@test "--cv 1 exits 2: a number of folds" {
	train -o model --cv 1 "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "--cv takes a number of folds"
}

@test "--on-error other than stop or skip exits 2" {
	train -o model --on-error maybe "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "--on-error takes stop or skip, not 'maybe'"
}

@test "an unknown --format exits 2" {
	train -o model --format xml "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "unknown format 'xml' (auto, jsonl, tsv, csv, fasttext)"
}

@test "a negative -C exits 2" {
	train -o model -C -1 "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "-C takes a positive number, not '-1'"
}

@test "--ngrams starting at 0 exits 2 naming the range" {
	train -o model --ngrams 0-2 "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "--ngrams takes N or MIN-MAX within 1-5"
}

@test "a negative --seed exits 2" {
	train -o model --seed -5 "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "--seed takes a whole number, not '-5'"
}

@test "--threads 0 exits 2 and creates nothing" {
	train -o model --threads 0 "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "--threads takes 1..1024, not '0'"
	[ ! -e model ]
}

@test "--kernel linear is accepted, and --kernel rbf after --solver libsvm" {
	train -o lin -q --kernel linear "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	grep -qx 'kernel_type linear' lin/topic.svm
	train -o rbf -q --solver libsvm --kernel rbf "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	grep -qx 'kernel_type rbf' rbf/topic.svm
	train -o x -q --kernel poly "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "--kernel takes linear or rbf, not 'poly'"
}

@test "--seed refuses a leading space or sign that strtoull would accept" {
	train -o model --seed " -1" "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "--seed takes a whole number, not ' -1'"
	[ ! -e model ]
}

@test "N alone means 1-N for both --ngrams and --char-ngrams" {
	train -o model -q --ngrams 2 --char-ngrams 3 --min-df 1 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest model 'm["features"]["word_ngrams"], m["features"]["char_ngrams"]')" = "([1, 2], [1, 3])" ]
}

# --- the bundle -----------------------------------------------------------

@test "training on the fixture writes a complete bundle" {
	train -o model "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ -z "$output" ]                       # figures only with --cv or --test
	has "$stderr" "train: read 60 documents"
	has "$stderr" "2 heads"
	has "$stderr" "train: wrote 'model' (2 heads)"
	[ "$(ls model | tr '\n' ' ')" = "idf.bin manifest.json names.tsv.zst reliability-tone.svg reliability-topic.svg tone.svm topic.svm " ]
	[ "$(ls -a | grep -c tmp)" -eq 0 ]     # no temporary folder left
	[ "$(head -c 5 model/idf.bin)" = "TNIDF" ]
	[ "$(manifest model 'm["format"]')" = "tenor-model" ]
	# Version 3 when the chosen word n-grams reach bigrams (their keys combine token hashes), else 1.
	[ "$(manifest model '(m["version"], m["features"]["hash"]) in ((1, "xxh3-64"), (3, "xxh3-64+mix")) and (m["version"] == 3) == (m["features"]["word_ngrams"][1] == 2)')" = "True" ]
	[ "$(manifest model '[h["name"] for h in m["heads"]]')" = "['topic', 'tone']" ]
	[ "$(manifest model 'm["heads"][0]["classes"]')" = "['food', 'sports', 'tech']" ]
	[ "$(manifest model 'm["heads"][1]["classes"]')" = "['neg', 'pos']" ]
	[ "$(manifest model '[h["model_file"] for h in m["heads"]]')" = "['topic.svm', 'tone.svm']" ]
	[ "$(manifest model 'm["heads"][1]["documents"]')" = "57" ]
	[ "$(manifest model 'm["features"]["bits"]')" = "20" ]
	[ "$(manifest model 'm["corpus"]["documents"]')" = "60" ]
	[ "$(manifest model 'm["corpus"]["skipped"]')" = "0" ]
	# The head models are libsvm's own format.
	[ "$(head -n 2 model/topic.svm | tr '\n' ' ')" = "svm_type c_svc kernel_type linear " ]
	grep -qx 'nr_class 3' model/topic.svm
	grep -qx 'nr_class 2' model/tone.svm
}

@test "--cv 3 prints accuracy, macro-F1 and confusion, and stores them" {
	train -o model --cv 3 -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]                       # --quiet
	has "$output" "head 'topic', 3-fold cross-validation:"
	has "$output" "head 'tone', 3-fold cross-validation:"
	has "$output" "accuracy "
	has "$output" "macro-F1 "
	has "$output" "(60 documents)"
	has "$output" "(57 documents)"
	has "$output" "confusion (rows: true, columns: predicted)"
	[ "$(manifest model 'm["heads"][0]["cv"]["folds"]')" = "3" ]
	[ "$(manifest model 'm["heads"][0]["cv"]["documents"]')" = "60" ]
	[ "$(manifest model 'sum(map(sum, m["heads"][0]["cv"]["confusion"]["matrix"]))')" = "60" ]
	[ "$(manifest model 'sum(map(sum, m["heads"][1]["cv"]["confusion"]["matrix"]))')" = "57" ]
	[ "$(manifest model '0.5 < m["heads"][0]["cv"]["accuracy"] <= 1')" = "True" ]
	[ "$(manifest model 'sorted(m["heads"][0]["cv"]["classes"])')" = "['food', 'sports', 'tech']" ]
	# The printed accuracy is the stored one.
	local acc
	acc=$(manifest model '"%.4f" % m["heads"][0]["cv"]["accuracy"]')
	has "$output" "accuracy $acc"
}

@test "--test FILE evaluates the saved bundle and stores the figures" {
	train -o model --test "$DATA/mini-test.jsonl" "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	has "$output" "head 'topic', held-out test:"
	has "$output" "(12 documents)"
	[ "$(manifest model 'm["heads"][0]["test"]["file"]')" = "$DATA/mini-test.jsonl" ]
	[ "$(manifest model 'm["heads"][0]["test"]["documents"]')" = "12" ]
	[ "$(manifest model 'm["heads"][1]["test"]["documents"]')" = "12" ]
	[ "$(manifest model 'm["heads"][0]["test"]["accuracy"] >= 0.75')" = "True" ]
	[ "$(manifest model '"cv" in m["heads"][0]')" = "False" ]
	[ ! -e model/manifest.json.tmp ]
}

@test "the bundle does not depend on the thread count" {
	gen_corpus 800 11 > gen.jsonl
	local args=(--cv 3 --probability -q)
	train -o one --threads 1 "${args[@]}" "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	train -o two --threads 2 "${args[@]}" "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	same_bundle one two
	train -o g1 --threads 1 "${args[@]}" gen.jsonl
	[ "$status" -eq 0 ]
	train -o g2 --threads 2 "${args[@]}" gen.jsonl
	[ "$status" -eq 0 ]
	train -o g5 --threads 5 "${args[@]}" gen.jsonl
	[ "$status" -eq 0 ]
	same_bundle g1 g2
	same_bundle g1 g5
	[ "$(manifest g1 '[h["name"] for h in m["heads"]]')" = "['label', 'side']" ]
}

@test "libsvm's svm-predict reads the head models" {
	if ! command -v svm-predict >/dev/null; then
		skip "svm-predict (libsvm-tools) is not installed"
	fi
	# One-vs-rest calibrated by a softmax temperature (in the manifest; the
	# model file has no probA/probB), one-vs-rest with Platt's sigmoids (the
	# default) and one-vs-one, both with their sigmoids in the model file.
	train -o model --calibration softmax -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^prob[AB]' model/topic.svm)" = 0 ]
	svm_predict_reads model
	train -o model -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^prob[AB]' model/topic.svm)" = 2 ]
	svm_predict_reads model
	train -o model --multiclass ovo -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	svm_predict_reads model
	# With the calibration Tenor stored as probA/probB.
	run svm-predict -b 1 sv.txt model/topic.svm prob.txt
	[ "$status" -eq 0 ]
	[ "$(head -n 1 prob.txt | cut -d' ' -f1)" = "labels" ]
	awk 'NR > 1 { s = $2 + $3 + $4; if (s < 0.999 || s > 1.001) exit 1 }' prob.txt
}

# svm-predict reads MODEL/topic.svm and classifies its own support vectors (left in sv.txt).
svm_predict_reads() {
	# The support vectors, with their class, as a libsvm data file.
	python3 - "$1/topic.svm" > sv.txt <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
head = dict(l.split(" ", 1) for l in lines[:lines.index("SV")])
k = int(head["nr_class"])
labels, counts = head["label"].split(), [int(c) for c in head["nr_sv"].split()]
cls = [l for l, c in zip(labels, counts) for _ in range(c)]
for c, line in zip(cls, lines[lines.index("SV") + 1:]):
    print(c, " ".join(line.split()[k - 1:]))
EOF
	[ "$(wc -l < sv.txt)" = "$(manifest "$1" 'm["heads"][0]["support_vectors"]')" ]
	run svm-predict sv.txt "$1/topic.svm" pred.txt
	[ "$status" -eq 0 ]
	has "$output" "Accuracy = "
	[ "$(grep -cvE '^[012]$' pred.txt)" -eq 0 ]
	[ "$(wc -l < pred.txt)" = "$(wc -l < sv.txt)" ]
}

@test "--loss: squared-hinge (the default: liblinear's L2-loss) or hinge, still a libsvm model svm-predict reads" {
	train -o hinge -q --no-probability -n 1 --loss hinge "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	train -o sq -q --no-probability -n 1 "$DATA/mini.jsonl"     # the default loss
	[ "$status" -eq 0 ]
	[ "$(manifest hinge '[h["loss"] for h in m["heads"]]')" = "['hinge', 'hinge']" ]
	[ "$(manifest sq '[h["loss"] for h in m["heads"]]')" = "['squared-hinge', 'squared-hinge']" ]
	# Another loss, other weights.
	! cmp -s hinge/topic.svm sq/topic.svm
	if command -v svm-predict >/dev/null; then
		svm_predict_reads sq
	fi
	train -o ovo -q --no-probability --loss squared-hinge --multiclass ovo "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest ovo 'm["heads"][0]["loss"], m["heads"][0]["multiclass"]')" = "('squared-hinge', 'one-vs-one')" ]
	# libsvm's C-SVC has only the hinge loss (its default); a misspelt loss is named.
	train -o svm -q --no-probability --solver libsvm "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest svm 'm["heads"][0]["loss"]')" = "hinge" ]
	train -o bad -q --solver libsvm --loss squared-hinge "$DATA/mini.jsonl"
	[ "$status" -ne 0 ]
	has "$stderr" "--loss squared-hinge needs --solver linear or liblinear"
	[ ! -e bad ]
	train -o bad -q --loss squared "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "--loss takes hinge or squared-hinge, not 'squared'"
}

@test "--solver liblinear writes liblinear models, whatever the thread count" {
	local args=(--solver liblinear --bits 16 --cv 3 -q)
	train -o one --threads 1 "${args[@]}" "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	train -o two --threads 2 "${args[@]}" "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	same_bundle one two
	[ "$(ls one | tr '\n' ' ')" = "idf.bin manifest.json names.tsv.zst reliability-tone.svg reliability-topic.svg tone.liblinear topic.liblinear " ]
	[ "$(manifest one '[(h["solver"], h["model_file"], h["multiclass"]) for h in m["heads"]]')" = "[('liblinear', 'topic.liblinear', 'one-vs-rest'), ('liblinear', 'tone.liblinear', 'one-vs-rest')]" ]
	[ "$(manifest one 'm["heads"][0]["cv"]["documents"]')" = "60" ]
	grep -qx 'nr_feature 65536' one/topic.liblinear
	# The saved bundle loads back (--test evaluates it).
	train -o test -q --solver liblinear --bits 16 --test "$DATA/mini-test.jsonl" "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest test 'm["heads"][0]["test"]["documents"], m["heads"][0]["test"]["accuracy"] >= 0.75')" = "(12, True)" ]
	# liblinear is one-vs-rest whatever --multiclass says: calibrated by the softmax.
	train -o ovo -q --solver liblinear --multiclass ovo --bits 16 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest ovo '[(h["multiclass"], h["calibration"]["method"]) for h in m["heads"]]')" = "[('one-vs-rest', 'softmax-temperature'), ('one-vs-rest', 'softmax-temperature')]" ]
	# liblinear's own predict reads the model (vectors made of its features with weights).
	if command -v liblinear-predict >/dev/null; then
		awk 'f && NF { n++; for (i = 1; i <= NF; i++) if ($i != 0) { print "0 " n ":1"; break } } $0 == "w" { f = 1 }' \
			one/topic.liblinear > vec.txt
		[ "$(wc -l < vec.txt)" -gt 10 ]
		run liblinear-predict vec.txt one/topic.liblinear pred.txt
		[ "$status" -eq 0 ]
		[ "$(wc -l < pred.txt)" = "$(wc -l < vec.txt)" ]
		[ "$(grep -cvE '^[012]$' pred.txt)" -eq 0 ]
	fi
}

@test "--grid chooses settings by cross-validation and records the search" {
	train -o model --grid --cv 3 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	has "$stderr" "train: grid chose for head 'topic': C "
	has "$stderr" "train: grid chose for head 'tone': C "
	[ "$(manifest model 'm["grid"]["folds"], m["grid"]["criterion"]')" = "(3, 'mean cross-validated macro-F1')" ]
	[ "$(manifest model 'len(m["grid"]["tried"]) > 1 and all(len(t["cv_macro_f1"]) == 2 for t in m["grid"]["tried"])')" = "True" ]
	# The chosen C is one that was tried, and the figures are those of the choice.
	[ "$(manifest model 'all(h["C"] in [t["C"] for t in m["grid"]["tried"]] for h in m["heads"])')" = "True" ]
	[ "$(manifest model 'm["heads"][0]["cv"]["folds"]')" = "3" ]
}

# --- inputs -----------------------------------------------------------------

@test "TSV and fastText versions of the fixture" {
	train -o tsv -q "$DATA/mini.tsv"
	[ "$status" -eq 0 ]
	train -o jsonl -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	# Same documents and labels as the JSONL: same features and models.
	cmp tsv/idf.bin jsonl/idf.bin
	cmp tsv/topic.svm jsonl/topic.svm
	cmp tsv/tone.svm jsonl/tone.svm

	train -o ft -q "$DATA/mini.ft"
	[ "$status" -eq 0 ]
	[ "$(manifest ft '[(h["name"], h["classes"]) for h in m["heads"]]')" = "[('label', ['food', 'sports', 'tech'])]" ]

	# A name that says nothing: --format, or the first line.
	cp "$DATA/mini.tsv" corpus.data
	train -o forced -q --format tsv corpus.data
	[ "$status" -eq 0 ]
	cmp forced/topic.svm jsonl/topic.svm
	train -o sniffed -q corpus.data
	[ "$status" -eq 0 ]
	cmp sniffed/topic.svm jsonl/topic.svm
}

@test "--labels, --text-field and feature options" {
	train -o tone -q --labels tone "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(ls tone | tr '\n' ' ')" = "idf.bin manifest.json names.tsv.zst reliability-tone.svg tone.svm " ]
	sed 's/"text":/"body":/' "$DATA/mini.jsonl" > body.jsonl
	train -o body -q --text-field body body.jsonl
	[ "$status" -eq 0 ]
	train -o body2 -q body.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "line 1: no text field 'text'"
	train -o feat -q --ngrams 1-3 --char-ngrams 3-5 --bits 16 --min-df 1 --raw-tf --seed 0x1234 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest feat 'm["features"]["word_ngrams"], m["features"]["char_ngrams"], m["features"]["bits"], m["features"]["min_df"], m["features"]["sublinear_tf"], m["features"]["seed"]')" = "([1, 3], [3, 5], 16, 1, False, '0x0000000000001234')" ]
	train -o rbf -q --kernel rbf --gamma 0.5 -C 4 --balanced "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest rbf 'm["heads"][0]["kernel"], m["heads"][0]["C"], m["heads"][0]["gamma"], m["heads"][0]["class_weight"]')" = "('rbf', 4.0, 0.5, 'balanced')" ]
	grep -qx 'kernel_type rbf' rbf/topic.svm
}

@test "gzip- and zstd-compressed corpora give the bundle of the plain corpus" {
	train -o plain -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	train -o gz -q "$DATA/mini.jsonl.gz"
	[ "$status" -eq 0 ]
	train -o zst -q "$DATA/mini.jsonl.zst"
	[ "$status" -eq 0 ]
	for b in gz zst; do
		cmp plain/idf.bin $b/idf.bin
		cmp plain/topic.svm $b/topic.svm
		cmp plain/tone.svm $b/tone.svm
	done
}

@test "compression is found by magic bytes, whatever the file name says" {
	train -o plain -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	cp "$DATA/mini.jsonl.zst" zstd-inside.jsonl
	cp "$DATA/mini.jsonl.gz" gzip-inside.tsv.zst
	train -o named -q zstd-inside.jsonl
	[ "$status" -eq 0 ]
	cmp plain/topic.svm named/topic.svm
	train -o lying -q --format jsonl gzip-inside.tsv.zst
	[ "$status" -eq 0 ]
	cmp plain/topic.svm lying/topic.svm
}

@test "an xz-compressed TSV corpus gives the bundle of the plain corpus" {
	command -v xz >/dev/null || skip "no xz"
	train -o plain -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	xz -c "$DATA/mini.tsv" > mini.tsv.xz
	train -o xz -q mini.tsv.xz
	[ "$status" -eq 0 ]
	cmp plain/topic.svm xz/topic.svm
}

@test "a truncated compressed corpus is an error naming the file, and writes no bundle" {
	head -c 1000 "$DATA/mini.jsonl.gz" > cut.jsonl.gz
	train -o cut -q cut.jsonl.gz
	[ "$status" -eq 1 ]
	has "$stderr" "cut.jsonl.gz"
	[ ! -e cut ]
}

@test "'-' reads the corpus from standard input" {
	train -o file -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	run --separate-stderr bash -c '"$0" -o stdin -q - < "$1"' "$TRAIN" "$DATA/mini.jsonl"
	no_sanitizer_report
	[ "$status" -eq 0 ]
	cmp file/topic.svm stdin/topic.svm
	cmp file/idf.bin stdin/idf.bin
	[ "$(manifest stdin 'm["corpus"]["files"]')" = "['-']" ]
	# Compressed on stdin too, and mixed with a file.
	run --separate-stderr bash -c '"$0" -o mixed -q - "$2" < "$1"' "$TRAIN" "$DATA/mini.jsonl.zst" "$DATA/mini-test.jsonl"
	no_sanitizer_report
	[ "$status" -eq 0 ]
	[ "$(manifest mixed 'm["corpus"]["documents"]')" = "72" ]
}

# --- failures -----------------------------------------------------------------

@test "an empty corpus is an error" {
	: > empty.jsonl
	train -o model empty.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "train: the corpus is empty"
	[ ! -e model ]
}

@test "a head with a single class is an error" {
	grep '"tone": "pos"' "$DATA/mini.jsonl" > pos.jsonl
	train -o model pos.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "train: head 'tone' has a single class ('pos'): nothing to learn"
	[ ! -e model ]
	# Training only the other head works.
	train -o model -q --labels topic pos.jsonl
	[ "$status" -eq 0 ]
}

@test "a missing corpus file is an error naming it" {
	train -o model nothere.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "nothere.jsonl"
	[ ! -e model ]
}

@test "a malformed record stops the run with file and line" {
	train -o model "$DATA/bad-json.jsonl"
	[ "$status" -eq 1 ]
	has "$stderr" "train: read '$DATA/bad-json.jsonl' line 3: invalid JSON"
	[ ! -e model ]
	[ -z "$output" ]
	train -o model "$DATA/bad-fields.tsv"
	[ "$status" -eq 1 ]
	has "$stderr" "train: read '$DATA/bad-fields.tsv' line 4: 2 fields, the header has 3"
	printf 'text\tlabel\nfine\tx\nnul \0 here\ty\n' > nul.tsv
	train -o model nul.tsv
	[ "$status" -eq 1 ]
	has "$stderr" "read 'nul.tsv' line 3: NUL byte at byte 4"
	printf '{"text": "fine", "l": "x"}\n{"text": "caf\xe9", "l": "y"}\n' > latin1.jsonl
	train -o model latin1.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "read 'latin1.jsonl' line 2: invalid JSON"
	[ ! -e model ]
}

@test "--on-error skip counts and skips malformed records" {
	train -o model --on-error skip "$DATA/mini.jsonl" "$DATA/bad-records.jsonl"
	[ "$status" -eq 0 ]
	has "$stderr" "train: skipped 6 malformed records"
	has "$stderr" "train: skipped: read '$DATA/bad-records.jsonl' line 2: invalid JSON"
	has "$stderr" "line 6: not a JSON object"
	has "$stderr" "train: read 62 documents"
	[ "$(manifest model 'm["corpus"]["skipped"]')" = "6" ]
	[ "$(manifest model 'm["corpus"]["documents"]')" = "62" ]
	# Skipped records leave nothing behind: no head or class of their own.
	[ "$(manifest model '[(h["name"], h["classes"]) for h in m["heads"]]')" = "[('topic', ['food', 'sports', 'tech']), ('tone', ['neg', 'pos'])]" ]
	# And the bundle loads back (--test reads it).
	train -o model2 -q --on-error skip --test "$DATA/mini-test.jsonl" "$DATA/bad-records.jsonl" "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest model2 'm["heads"][0]["test"]["documents"]')" = "12" ]
}

@test "a record longer than the limit is malformed" {
	python3 -c 'import json; print(json.dumps({"text": "word " * 4000000, "topic": "food"}))' > long.jsonl
	cat "$DATA/mini.jsonl" >> long.jsonl
	train -o model long.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "read 'long.jsonl' line 1: record longer than 16777216 bytes"
	train -o model -q --on-error skip long.jsonl
	[ "$status" -eq 0 ]
	[ "$(manifest model 'm["corpus"]["documents"], m["corpus"]["skipped"]')" = "(60, 1)" ]
}

@test "a --test file with an unknown class is an error with file and line" {
	printf '{"text": "a sunny day", "topic": "weather"}\n' > unknown.jsonl
	train -o model -q --test unknown.jsonl "$DATA/mini.jsonl"
	[ "$status" -eq 1 ]
	has "$stderr" "read 'unknown.jsonl' line 1: label 'weather' of 'topic' is not a class of the model"
}

@test "an unwritable output folder is an error and creates nothing" {
	echo "a file" > file
	train -o file/model "$DATA/mini.jsonl"
	[ "$status" -eq 1 ]
	has "$stderr" "train: cannot create 'file/model.tmp-"
	[ "$(ls | tr '\n' ' ')" = "file " ]
	# Over an existing file.
	train -o file "$DATA/mini.jsonl"
	[ "$status" -eq 1 ]
	has "$stderr" "it exists and is not a folder"
	[ "$(ls | tr '\n' ' ')" = "file " ]
	[ "$(cat file)" = "a file" ]
}

@test "under a read-only folder: an error, and no temporary folder left" {
	if [ "$(id -u)" -eq 0 ]; then
		skip "root ignores folder permissions (the write-failure test covers this as root)"
	fi
	mkdir ro
	chmod 555 ro
	train -o ro/model "$DATA/mini.jsonl"
	chmod 755 ro
	[ "$status" -eq 1 ]
	has "$stderr" "ro/model"
	[ -z "$(ls -A ro)" ]
}

@test "a failed run leaves no half bundle and keeps the old one" {
	train -o model -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	cp -r model before
	# A bad corpus: the existing bundle stays as it was.
	train -o model -q "$DATA/bad-json.jsonl"
	[ "$status" -eq 1 ]
	same_bundle before model
	# Writing fails half-way (files limited to 1 KiB, SIGXFSZ ignored so write()
	# fails with EFBIG): no new bundle, no temporary folder, the old one intact.
	run --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 1; exec "$0" -o "$1" -q "$2"' "$TRAIN" model "$DATA/mini.jsonl"
	no_sanitizer_report
	[ "$status" -eq 1 ]
	has "$stderr" "cannot write"
	same_bundle before model
	[ "$(ls | tr '\n' ' ')" = "before model " ]
	run --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 1; exec "$0" -o "$1" -q "$2"' "$TRAIN" fresh "$DATA/mini.jsonl"
	no_sanitizer_report
	[ "$status" -eq 1 ]
	[ ! -e fresh ]
	[ "$(ls | tr '\n' ' ')" = "before model " ]
}

# --- what -o may replace (issue #10) --------------------------------------

@test "-o naming a folder that is not a bundle is refused before any work, and the folder kept" {
	mkdir p
	echo important > p/thesis.tex
	train -o p "$DATA/mini.jsonl"
	[ "$status" -eq 1 ]
	has "$stderr" "train: cannot write bundle 'p': it is a folder that holds no model bundle"
	[[ "$stderr" != *"read 60 documents"* ]]
	[ "$(cat p/thesis.tex)" = "important" ]
	[ "$(ls -A p)" = "thesis.tex" ]
	[ "$(ls -A | tr '\n' ' ')" = "p " ]
	# A manifest.json of another kind does not make it a bundle.
	echo '{"format": "tenor-classify"}' > p/manifest.json
	train -o p "$DATA/mini.jsonl"
	[ "$status" -eq 1 ]
	[ "$(ls -A p | tr '\n' ' ')" = "manifest.json thesis.tex " ]
}

@test "-o an empty folder is used; a bundle is replaced, its foreign files left aside with a note" {
	mkdir empty
	train -o empty -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(ls empty | tr '\n' ' ')" = "idf.bin manifest.json names.tsv.zst reliability-tone.svg reliability-topic.svg tone.svm topic.svm " ]
	echo mine > empty/notes.txt
	train -o empty -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	has "$stderr" "train: left 'empty.old-"
	has "$stderr" "held files that are not a bundle's"
	[ "$(ls empty | tr '\n' ' ')" = "idf.bin manifest.json names.tsv.zst reliability-tone.svg reliability-topic.svg tone.svm topic.svm " ]
	[ "$(cat empty.old-*/notes.txt)" = "mine" ]
	[ "$(ls -A empty.old-*)" = "notes.txt" ]
}

@test "folders left by a killed train are removed on the next run when their process is gone" {
	dead=$(sh -c 'echo $$')
	mkdir "model.tmp-$dead" "model.old-$dead" "model.tmp-$$"
	touch "model.tmp-$dead/manifest.json" "model.tmp-$dead/topic.svm" "model.old-$dead/idf.bin" \
		"model.tmp-$$/manifest.json"
	train -o model -q "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ ! -e "model.tmp-$dead" ]
	[ ! -e "model.old-$dead" ]
	# This shell is alive: its folder is not ours to remove.
	[ -e "model.tmp-$$/manifest.json" ]
	[ "$(ls model | tr '\n' ' ')" = "idf.bin manifest.json names.tsv.zst reliability-tone.svg reliability-topic.svg tone.svm topic.svm " ]
}

@test "a head name that collides with a record key, or is given twice, is refused" {
	for name in error id topic_score tone_scores; do
		train -o m "$DATA/mini.jsonl" --labels "$name"
		[ "$status" -eq 2 ]
		has "$stderr" "train: label field '$name' cannot name a head: records use the keys 'id', 'error', HEAD_score, HEAD_scores, HEAD_top and HEAD_explain"
	done
	train -o m "$DATA/mini.jsonl" --labels topic,tone,topic
	[ "$status" -eq 2 ]
	has "$stderr" "label field 'topic' is named twice"
	# Found in the corpus rather than named: refused as well.
	printf '{"text": "a b c", "topic": "x", "error": "e"}\n{"text": "d e f", "topic": "y", "error": "f"}\n' > err.jsonl
	train -o m err.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "label field 'error' cannot name a head"
	[ ! -e m ]
}

# Word order decides the class: "A bites B" against "B bites A", the same
# words in both classes.  Prints N such documents per class as JSONL.
word_order_corpus() {
	python3 - "$1" <<'PY'
import random, sys
r = random.Random(7)
names = ["dog", "man", "cat", "horse", "child", "farmer", "bird", "fox", "king", "cook"]
for i in range(int(sys.argv[1])):
    for label in ("forward", "backward"):
        a, b = r.sample(names, 2)
        verb = r.choice(["bites", "chases", "sees", "greets"])
        first, second = (a, b) if a < b else (b, a)
        if label == "backward":
            first, second = second, first
        print('{"text": "the %s %s the %s today", "label": "%s"}' % (first, verb, second, label))
PY
}

@test "without -n, train chooses word 1-1 or 1-2 by the folds' macro-F1, says which and records it" {
	train -o model --no-progress "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	# 60 documents: the mean over three splits into 5 folds.
	[[ "$stderr" =~ train:\ word\ n-grams\ (1-[12]),\ chosen\ by\ 3\ x\ 5-fold\ cross-validation\ on\ 60\ documents\ \(mean\ macro-F1\ 1-1\ 0\.[0-9]{4},\ 1-2\ 0\.[0-9]{4}\) ]]
	chosen=${BASH_REMATCH[1]}
	[ "$(manifest model 'm["selection"]["word_ngrams"]')" = "$chosen" ]
	[ "$(manifest model '"%d-%d" % tuple(m["features"]["word_ngrams"])')" = "$chosen" ]
	[ "$(manifest model '[c["word_ngrams"] for c in m["selection"]["candidates"]]')" = "['1-1', '1-2']" ]
	[ "$(manifest model 'sorted(m["selection"]["candidates"][1]["macro_f1"])')" = "['tone', 'topic']" ]
	[ "$(manifest model 'm["selection"]["splits"], [len(c["split_mean_macro_f1"]) for c in m["selection"]["candidates"]]')" = "(3, [3, 3])" ]
	[ "$(manifest model 'all(abs(c["mean_macro_f1"] - sum(c["split_mean_macro_f1"]) / 3) < 2e-4 for c in m["selection"]["candidates"])')" = "True" ]
	# The rule: 1-2 only when its mean beats 1-1's by more than the margin.
	[ "$(manifest model '(lambda c: ("1-2" if c[1]["mean_macro_f1"] > c[0]["mean_macro_f1"] + m["selection"]["margin"] else "1-1"))(m["selection"]["candidates"])')" = "$chosen" ]
	# The calibration used the same 5 folds.
	[ "$(manifest model 'm["heads"][0]["calibration"]["folds"], m["heads"][0]["calibration"]["documents"]')" = "(5, 60)" ]
}

@test "the choice follows the corpus: word order needs 1-2, a word that decides keeps 1-1" {
	word_order_corpus 60 > order.jsonl
	train -o order -q order.jsonl
	[ "$status" -eq 0 ]
	[ "$(manifest order 'm["features"]["word_ngrams"]')" = "[1, 2]" ]
	[ "$(manifest order 'm["selection"]["candidates"][1]["mean_macro_f1"] > m["selection"]["candidates"][0]["mean_macro_f1"] + 0.1')" = "True" ]
	# One word decides: both candidates are perfect, the cheaper unigrams stay.
	python3 -c 'import random
r = random.Random(3)
for i in range(120):
    c = ("red", "blue")[i % 2]
    print("{\"text\": \"%s the %s %s\", \"label\": \"%s\"}" % (r.choice(["a", "one", "this"]), c, r.choice(["car", "box", "pen"]), c))' > word.jsonl
	train -o word -q word.jsonl
	[ "$status" -eq 0 ]
	[ "$(manifest word 'm["features"]["word_ngrams"], [c["mean_macro_f1"] for c in m["selection"]["candidates"]]')" = "([1, 1], [1.0, 1.0])" ]
}

@test "-n fixes the word n-grams: nothing is chosen, the summary and manifest say nothing of a choice" {
	for n in 1 1-2; do
		train -o "m$n" --no-progress -n "$n" "$DATA/mini.jsonl"
		[ "$status" -eq 0 ]
		[[ "$stderr" != *"chosen by"* ]]
		[ "$(manifest "m$n" '"selection" in m')" = "False" ]
	done
	[ "$(manifest m1 'm["features"]["word_ngrams"]')" = "[1, 1]" ]
	[ "$(manifest m1-2 'm["features"]["word_ngrams"]')" = "[1, 2]" ]
	# The grid chooses its own, and says so.
	train -o g -q --grid --cv 2 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest g '"selection" in m, "grid" in m')" = "(False, True)" ]
}

@test "--cv K: its folds choose and calibrate, no folds of their own" {
	train -o model -q --cv 3 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest model 'm["selection"]["folds"], m["selection"]["documents"], m["selection"]["sampled"]')" = "(3, 60, False)" ]
	[ "$(manifest model 'm["heads"][0]["calibration"]["folds"], m["heads"][0]["cv"]["folds"]')" = "(3, 3)" ]
	# The reported CV figures are the chosen candidate's first split: its
	# out-of-fold macro-F1, the mean over the heads.
	[ "$(manifest model 'abs(sum(h["cv"]["macro_f1"] for h in m["heads"]) / len(m["heads"]) - m["selection"]["candidates"][m["features"]["word_ngrams"][1] - 1]["split_mean_macro_f1"][0]) < 2e-4')" = "True" ]
}

@test "--group FIELD: the folds keep each group whole, and the summary, CV and manifest say so" {
	# 60 groups of three copies of a text whose words are the group's own,
	# labels unrelated to them: split copies are remembered, whole groups not.
	python3 -c 'for g in range(60):
    for k in range(3):
        print("{\"text\": \"q%da q%db q%dc\", \"label\": \"%s\", \"src\": \"s%d\"}" % (g, g, g, ("odd", "even")[g * 37 % 11 % 2], g))' > grp.jsonl
	train -o split --no-progress --cv 5 -l label grp.jsonl
	[ "$status" -eq 0 ]
	has "$output" "head 'label', 5-fold cross-validation:"
	[ "$(manifest split 'm["heads"][0]["cv"]["accuracy"] > 0.9, "group_field" in m["heads"][0]["cv"]')" = "(True, False)" ]
	train -o grouped --no-progress --cv 5 --group src grp.jsonl
	[ "$status" -eq 0 ]
	has "$stderr" "train: 60 groups by 'src'; folds keep each group whole"
	has "$stderr" "on 180 documents grouped by src (mean macro-F1"
	has "$output" "head 'label', 5-fold cross-validation, grouped by src:"
	[ "$(manifest grouped '[h["name"] for h in m["heads"]]')" = "['label']" ]
	[ "$(manifest grouped 'm["selection"]["group_field"], m["heads"][0]["cv"]["group_field"]')" = "('src', 'src')" ]
	[ "$(manifest grouped 'm["heads"][0]["cv"]["accuracy"] < 0.7')" = "True" ]
	# The sampled folds of --fold-docs keep the groups too; without --cv as well.
	train -o sampled -q --fold-docs 60 --group src grp.jsonl
	[ "$status" -eq 0 ]
	[ "$(manifest sampled 'm["selection"]["sampled"], m["selection"]["group_field"], m["selection"]["candidates"][0]["mean_macro_f1"] < 0.7')" = "(True, 'src', True)" ]
	# --grid's folds too.
	train -o grid -q --grid --cv 3 --group src grp.jsonl
	[ "$status" -eq 0 ]
	[ "$(manifest grid 'm["grid"]["group_field"], m["heads"][0]["cv"]["group_field"]')" = "('src', 'src')" ]
	# A field no record has, fewer groups than folds, fastText: errors that say so.
	train -o bad -q --group nope grp.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "no record has the group field 'nope'"
	[ ! -e bad ]
	sed -n '1,3p;10,12p' grp.jsonl > two.jsonl   # groups s0 (odd) and s3 (even)
	train -o bad -q --group src two.jsonl
	[ "$status" -eq 1 ]
	has "$stderr" "head 'label': its documents form 2 groups, fewer than the 5 folds"
	train -o bad -q --group src "$DATA/mini.ft"
	[ "$status" -eq 1 ]
	has "$stderr" "fastText records have no fields to group by"
	train -o bad -q --group "" grp.jsonl
	[ "$status" -eq 2 ]
}

@test "--fold-docs N: a larger corpus's folds use a sample of N documents, the final models every document" {
	train -o model -q --fold-docs 40 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	[ "$(manifest model 'm["selection"]["documents"], m["selection"]["sampled"]')" = "(40, True)" ]
	[ "$(manifest model 'm["heads"][0]["documents"], m["heads"][0]["calibration"]["documents"] <= 40')" = "(60, True)" ]
	# Seeded: the same bundle again.
	train -o again -q --fold-docs 40 "$DATA/mini.jsonl"
	cmp model/topic.svm again/topic.svm
	# 0 and a corpus no larger than N: every document.
	for n in 0 60; do
		train -o "all$n" -q --fold-docs "$n" "$DATA/mini.jsonl"
		[ "$(manifest "all$n" 'm["selection"]["documents"], m["selection"]["sampled"]')" = "(60, False)" ]
	done
	train -o bad --fold-docs many "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	has "$stderr" "train: --fold-docs takes a number of documents (0: all), not 'many'"
}
