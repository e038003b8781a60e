#!/usr/bin/env bats
#
# tests/e2e/tone.bats - the tone features end to end: train --negation,
# --lexicon and --attribution recorded in the bundle, classify adding the same
# features from the bundle alone, bad settings refused with a message.
#
# Each test runs in its own empty folder (under BATS_TEST_TMPDIR).  TENOR_BIN names the
# folder with the programs (tests/run.sh sets it).

bats_require_minimum_version 1.5.0

setup() {
	SRC="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	BIN="${TENOR_BIN:-$SRC/bin}"
	mkdir "$BATS_TEST_TMPDIR/work" && cd "$BATS_TEST_TMPDIR/work" || return 1
}

no_sanitizer_report() {
	if grep -qE 'Sanitizer|runtime error:' <<<"${output:-}${stderr:-}"; then
		echo "${stderr:-}" >&2
		return 1
	fi
}

manifest() {
	python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1/manifest.json" "$2"
}

# A corpus where the label follows the valence of one word and the other words
# are shared noise; the valence words of the test documents never occur in it.
make_corpus() {
	python3 - <<'PY'
import json
pos = ["glad", "happy", "cheerful", "delighted", "pleased", "grateful"]
neg = ["sad", "grim", "gloomy", "miserable", "upset", "bitter"]
noise = ["the", "day", "was", "for", "everyone", "here", "today", "again"]
with open("train.jsonl", "w") as f:
    for i in range(60):
        for label, words in (("up", pos), ("down", neg)):
            w = words[i % len(words)]
            text = " ".join([noise[(i + k) % len(noise)] for k in range(3)] + [w])
            f.write(json.dumps({"text": text, "mood": label}) + "\n")
with open("unseen.jsonl", "w") as f:
    f.write(json.dumps({"id": "joyful", "text": "the day was joyful"}) + "\n")
    f.write(json.dumps({"id": "awful", "text": "the day was awful"}) + "\n")
    f.write(json.dumps({"id": "not-awful", "text": "the day was not awful"}) + "\n")
with open("lex.tsv", "w") as f:
    for w in pos + ["joyful"]:
        f.write("%s\t3\n" % w)
    for w in neg + ["awful"]:
        f.write("%s\t-3\n" % w)
    f.write("not bad\t2\n")
PY
}

@test "--lexicon: classify labels words train never saw by their lexicon class, from the bundle alone" {
	make_corpus
	run --separate-stderr "$BIN/train" -o lexm --min-df 1 --negation 1 --lexicon lex.tsv train.jsonl
	no_sanitizer_report
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"train: lexicon 'lex.tsv': 14 words (phrases and repeated words skipped)"* ]]
	[ "$(manifest lexm 'm["version"]')" = 2 ]
	[ "$(manifest lexm 'm["features"]["lexicon"]["name"]')" = lex.tsv ]
	[ "$(manifest lexm 'm["features"]["lexicon"]["words"]["joyful"]')" = 3 ]
	[ "$(manifest lexm 'm["features"]["negation"]')" = 1 ]
	[ "$(manifest lexm '"attribution" in m["features"]')" = False ]
	rm lex.tsv   # classify must not need it
	run --separate-stderr "$BIN/classify" -q -m lexm -o - unseen.jsonl
	no_sanitizer_report
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$(grep '"id": "joyful"' <<<"$output")" == *'"mood": "up"'* ]]
	[[ "$(grep '"id": "awful"' <<<"$output")" == *'"mood": "down"'* ]]
	# Negated, "awful" counts as the +3 class.
	[[ "$(grep '"id": "not-awful"' <<<"$output")" == *'"mood": "up"'* ]]
}

@test "--explain and --inspect name the tone features ([lexicon +3]), no unnamed bucket" {
	make_corpus
	"$BIN/train" -q -o lexm --min-df 1 --negation 1 --lexicon lex.tsv train.jsonl
	run --separate-stderr "$BIN/train" --inspect lexm --top-features 3
	no_sanitizer_report
	[ "$status" -eq 0 ]
	echo "$output"
	# The lexicon classes carry the label: the strongest feature of each class.
	[ "$(grep -A1 '^  up:' <<<"$output" | tail -1 | awk '{print $2, $3}')" = "[lexicon +3]" ]
	[ "$(grep -A1 '^  down:' <<<"$output" | tail -1 | awk '{print $2, $3}')" = "[lexicon -3]" ]
	! grep -q "unnamed bucket" <<<"$output"
	run --separate-stderr "$BIN/classify" -q -m lexm -o - --explain 10 unseen.jsonl
	no_sanitizer_report
	[ "$status" -eq 0 ]
	echo "$output"
	# Negated, "awful" counts as the +3 class and is explained so (NOT_awful
	# has no weight: train saw no negation; test_tone.c checks every name).
	line=$(grep '"id": "not-awful"' <<<"$output")
	[[ "$line" == *'"mood_explain": [{"ngram": "[lexicon +3]", "weight": '* ]]
	[[ "$line" != *"[tone feature]"* ]]
}

@test "without tone options the bundle is format version 1 with no tone keys, and unseen words say nothing" {
	make_corpus
	run --separate-stderr "$BIN/train" -o plain --min-df 1 train.jsonl
	[ "$status" -eq 0 ]
	[ "$(manifest plain 'm["version"]')" = 1 ]
	[ "$(manifest plain 'sorted(set(m["features"]) & {"negation", "lexicon", "attribution"})')" = "[]" ]
	run --separate-stderr "$BIN/classify" -q -m plain -o - unseen.jsonl
	[ "$status" -eq 0 ]
	# "joyful" and "awful" are unknown: both documents read the same shared words.
	a=$(grep '"id": "joyful"' <<<"$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mood"])')
	b=$(grep '"id": "awful"' <<<"$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mood"])')
	[ "$a" = "$b" ]
}

@test "--attribution and --negation are recorded; the same bundle twice gives the same bytes" {
	make_corpus
	for i in 1 2 3 4 5; do echo '{"text": "\"fine\" he said, according to aides", "mood": "up"}'; done >>train.jsonl
	run "$BIN/train" -q -o a1 --negation 3 --attribution train.jsonl
	[ "$status" -eq 0 ]
	run "$BIN/train" -q -o a2 --negation 3 --attribution train.jsonl
	[ "$status" -eq 0 ]
	[ "$(manifest a1 'm["features"]["attribution"]')" = True ]
	[ "$(manifest a1 'm["features"]["negation"]')" = 3 ]
	cmp a1/idf.bin a2/idf.bin
	cmp a1/mood.svm a2/mood.svm
	# The features count: the reporting words and quotation marks add buckets.
	run "$BIN/train" -q -o a3 --negation 3 train.jsonl
	! cmp -s a1/idf.bin a3/idf.bin
}

@test "bad tone options: usage errors exit 2, a bad lexicon exits 1 naming the file and line" {
	make_corpus
	run --separate-stderr "$BIN/train" -o x --negation 17 train.jsonl
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--negation takes a number of words, 0..16, not '17'"* ]]
	run --separate-stderr "$BIN/train" -o x --negation two train.jsonl
	[ "$status" -eq 2 ]
	run --separate-stderr "$BIN/train" -o x --lexicon missing.tsv train.jsonl
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"train: cannot read lexicon 'missing.tsv'"* ]]
	printf 'good\t3\nbad\tworse\n' >badlex.tsv
	run --separate-stderr "$BIN/train" -o x --lexicon badlex.tsv train.jsonl
	no_sanitizer_report
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"'badlex.tsv' line 2: score must be an integer within -9..9"* ]]
	[ ! -e x ]
	run "$BIN/train" --help
	[[ "$output" == *"--negation N"* && "$output" == *"--lexicon FILE"* && "$output" == *"--attribution"* ]]
}

@test "classify refuses a bundle whose tone settings are damaged or do not match its version" {
	make_corpus
	run "$BIN/train" -q -o m --negation 2 --lexicon lex.tsv train.jsonl
	[ "$status" -eq 0 ]
	edit() {   # copy m to $1 and apply the Python statement $2 to its manifest as m
		cp -r m "$1"
		python3 -c 'import json, sys
p = sys.argv[1] + "/manifest.json"; m = json.load(open(p)); exec(sys.argv[2]); json.dump(m, open(p, "w"))' "$1" "$2"
	}
	edit neg99 'm["features"]["negation"] = 99'
	edit badword 'm["features"]["lexicon"]["words"]["two words"] = 1'
	edit badscore 'm["features"]["lexicon"]["words"]["glad"] = 40'
	edit v1 'm["version"] = 1'
	edit nolex 'm["features"]["lexicon"] = {"name": "x"}'
	for b in neg99 badword badscore v1 nolex; do
		run --separate-stderr "$BIN/classify" -q -m "$b" -o - unseen.jsonl
		no_sanitizer_report
		echo "$b: $status $stderr"
		[ "$status" -ne 0 ]
		[ -z "$output" ]
		[[ "$stderr" == *"classify: "*"$b/manifest.json"* ]]
	done
	run --separate-stderr "$BIN/classify" -q -m neg99 -o - unseen.jsonl
	[[ "$stderr" == *'"negation" must be 1..16 tokens'* ]]
	run --separate-stderr "$BIN/classify" -q -m badword -o - unseen.jsonl
	[[ "$stderr" == *"bad lexicon entry 'two words'"* ]]
	run --separate-stderr "$BIN/classify" -q -m v1 -o - unseen.jsonl
	[[ "$stderr" == *"format version 2 goes with tone features, and only it"* ]]
}
