#!/usr/bin/env bats
#
# formats.bats - input formats told by content and CSV: classify reads a file
# whose first line is a JSON object as JSONL whatever its name (and a text
# that merely starts with '{' as one text); CSV (RFC 4180, header row) for
# classify and train, with quoted commas, line breaks and doubled quotes,
# columns chosen by header name, and bad rows as error records or messages
# naming file and line.  Also: confusion matrices as wide as the longest
# class name.
#
# A model is trained once per file (setup_file) on data/news/train.jsonl.
# Each test runs in its own $BATS_TEST_TMPDIR; binaries come from $TENOR_BIN.
# Python 3's csv module writes the reference CSV files.

bats_require_minimum_version 1.5.0
load common

setup_file() {
	tenor_paths
	train_news_model
}

setup() {
	C="$TENOR_BIN/classify"
	T="$TENOR_BIN/train"
	cd "$BATS_TEST_TMPDIR"
}

# ids of a JSONL stream, space-separated.
ids() {
	python3 -c 'import json, sys; print(" ".join(str(json.loads(l).get("id")) for l in sys.stdin))'
}

# ---- JSONL told by its first line ----

@test "classify: a .txt file of JSON lines is JSONL (one record a line), as train reads it" {
	head -n 3 "$ROOT/data/news/test.jsonl" >news.txt
	run -0 --separate-stderr "$C" -m "$MODEL" -o - news.txt
	[ "${#lines[@]}" -eq 3 ]
	[ "$(ids <<<"$output")" = "$(head -n 3 "$ROOT/data/news/test.jsonl" | ids)" ]
	# The same records as the file named .jsonl.
	cp news.txt news.jsonl
	"$C" -m "$MODEL" -o - news.jsonl >want 2>/dev/null
	[ "$output" = "$(cat want)" ]
	# Blank lines first, gzip, and a member of a tar: the same rule.
	{ printf '\n  \n'; cat news.txt; } | gzip >lead.dat.gz
	run -0 --separate-stderr "$C" -m "$MODEL" -o - lead.dat.gz
	[ "$(ids <<<"$output")" = "$(head -n 3 "$ROOT/data/news/test.jsonl" | ids)" ]
	tar cf t.tar news.txt
	run -0 --separate-stderr "$C" -m "$MODEL" -o - t.tar
	[ "${#lines[@]}" -eq 3 ]
}

@test "classify: a text starting with '{' whose first line is not a JSON object stays one text document" {
	printf '{\\rtf1\\ansi The ministers signed a trade treaty}\nSecond line of the letter.\n' >letter.rtf
	printf '{"unclosed": "a JSON-looking first line\nthen prose about the budget\n' >notes.txt
	printf '[1, 2]\n' >array.txt
	run -0 --separate-stderr "$C" -m "$MODEL" -o - letter.rtf notes.txt array.txt
	[ "$(ids <<<"$output")" = "letter.rtf notes.txt array.txt" ]
	[[ "$output" != *'"error"'* ]]
}

@test "classify: once JSONL, a later line that is not JSON is an error record with its line; -f text forces one text" {
	head -n 2 "$ROOT/data/news/test.jsonl" >mixed.txt
	echo 'not json at all' >>mixed.txt
	run -3 --separate-stderr "$C" -m "$MODEL" -o - mixed.txt
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == '{"id": "mixed.txt:3", "error": '* ]]
	grep -q "classify: mixed.txt:3: " <<<"$stderr"
	run -0 --separate-stderr "$C" -m "$MODEL" -o - -f text mixed.txt
	[ "${#lines[@]}" -eq 1 ]
	[ "$(ids <<<"$output")" = "mixed.txt" ]
}

# ---- CSV ----

# Writes news.csv and news-ref.jsonl: the same documents, with quoted commas,
# line breaks and doubled quotes, columns in another order than the JSONL.
make_csv() {
	python3 - "$ROOT/data/news/test.jsonl" <<'EOF'
import csv, json, sys
docs = [json.loads(l) for l in open(sys.argv[1])][:40]
docs[0]["text"] = 'He said "peace, at last", and\nleft; then ""quoted"" twice'
docs[1]["text"] = "a line\r\nbreak inside, with a comma"
with open("news.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["tone", "text", "id", "topic"])
    for d in docs:
        w.writerow([d["tone"], d["text"], d["id"], d["topic"]])
with open("news-ref.jsonl", "w") as f:
    for d in docs:
        # A CRLF inside a quoted field is read as LF (lines are split first).
        f.write(json.dumps({"id": d["id"], "text": d["text"].replace("\r\n", "\n"), "topic": d["topic"], "tone": d["tone"]}) + "\n")
EOF
}

@test "classify: a .csv file gives the records of the same documents in JSONL, quoted commas, line breaks and quotes included" {
	make_csv
	run -0 --separate-stderr "$C" -m "$MODEL" -o - news.csv
	[ "${#lines[@]}" -eq 40 ]
	"$C" -m "$MODEL" -o - news-ref.jsonl >want 2>/dev/null
	[ "$output" = "$(cat want)" ]
	# The labels in the CSV columns are evaluated as JSONL fields are.
	grep -q "head 'topic' against the input's labels" <<<"$stderr"
	grep -q "(40 documents)" <<<"$stderr"
	# -f csv reads any name, standard input too; compressed as well.
	cp news.csv news.dat
	gzip -k news.csv
	run -0 --separate-stderr "$C" -m "$MODEL" -o - -f csv news.dat
	[ "$output" = "$(cat want)" ]
	run -0 --separate-stderr "$C" -m "$MODEL" -o - news.csv.gz
	[ "$output" = "$(cat want)" ]
	run -0 --separate-stderr "$C" -m "$MODEL" -o - -f csv - <news.csv
	[ "$output" = "$(cat want)" ]
}

@test "classify: CSV columns by header name (--text-field, --id-field); an empty id gives FILE:LINE" {
	printf 'body,key,topic\n"the budget deficit, and taxes",k1,economy\n"troops at the border",,security\n' >t.csv
	run -0 --separate-stderr "$C" -m "$MODEL" -o - --text-field body --id-field key t.csv
	[ "$(ids <<<"$output")" = "k1 t.csv:3" ]
	# Without them: no "text" column, so each row is an error record naming what is missing.
	run -3 --separate-stderr "$C" -m "$MODEL" -o - t.csv
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = '{"id": "t.csv:2", "error": "no text field '"'"'text'"'"'"}' ]
	[ "${lines[1]}" = '{"id": "t.csv:3", "error": "no text field '"'"'text'"'"'"}' ]
}

@test "classify: bad CSV rows are error records with file and line; malformed CSV ends the file with one" {
	printf 'id,text\na1,"fine, really"\na2,too,many\na3,"a\nbreak"\n\na4,ok\na5,bad "quote" here\na6,never read\n' >bad.csv
	printf 'id,text\nb1,"opened\nand never closed\n' >open.csv
	run -3 --separate-stderr "$C" -m "$MODEL" -o - bad.csv open.csv
	echo "$output"
	[ "$(ids <<<"$output")" = "a1 bad.csv:3 a3 a4 bad.csv:8 open.csv:2" ]
	[[ "${lines[1]}" == '{"id": "bad.csv:3", "error": "row has 3 fields, the header 2"}' ]]
	[[ "${lines[4]}" == '{"id": "bad.csv:8", "error": "malformed CSV at line 8: a quote inside an unquoted field'* ]]
	[[ "${lines[5]}" == *'"error": "malformed CSV: the quoted field opened at line 2 is never closed"}' ]]
	grep -qF "classify: bad.csv:3: row has 3 fields, the header 2" <<<"$stderr"
	grep -qF "classify: 6 documents (3 ok, 3 errors)" <<<"$stderr"
	# A header naming a column twice: one error record for the file.
	printf 'id,text,id\n1,x,2\n' >dup.csv
	run -3 --separate-stderr "$C" -m "$MODEL" -o - dup.csv
	[ "$output" = '{"id": "dup.csv:1", "error": "its header (line 1) names column '"'"'id'"'"' twice"}' ]
}

@test "classify: an interrupted CSV run resumes after its last shard, row by row, as if never stopped" {
	make_csv
	run -0 "$C" -q -m "$MODEL" -o full --shard-docs 7 news.csv
	run -0 "$C" -q -m "$MODEL" -o out --shard-docs 7 news.csv
	# Made an interrupted run after two shards (14 rows), as a kill would leave it.
	python3 - <<'EOF'
import json, os
m = json.load(open("out/manifest.json"))
m["complete"] = False
for s in m["shards"][2:]:
    os.remove("out/" + s["name"])
m["shards"] = m["shards"][:2]
m["counts"] = {"documents": 14, "ok": 14, "errors": 0, "text_bytes": 0}
m.pop("evaluation", None)
json.dump(m, open("out/manifest.json", "w"))
EOF
	rm out/_SUCCESS
	run -0 --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 7 --resume news.csv
	for f in full/part-*.jsonl.zst; do
		cmp "$f" "out/${f##*/}"
	done
	[ "$(ls out/part-* | wc -l)" -eq 6 ]
}

@test "train: a CSV corpus trains the same bundle as the JSONL one" {
	python3 - "$ROOT/data/news/train.jsonl" <<'EOF'
import csv, json, sys
with open("train.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "text", "topic", "tone"])
    for l in open(sys.argv[1]):
        d = json.loads(l)
        w.writerow([d["id"], d["text"], d["topic"], d["tone"]])
EOF
	run -0 "$T" -q -o m-csv train.csv
	run -0 "$T" -q -o m-jsonl --labels topic,tone "$ROOT/data/news/train.jsonl"
	cmp m-csv/idf.bin m-jsonl/idf.bin
	cmp m-csv/topic.svm m-jsonl/topic.svm
	cmp m-csv/tone.svm m-jsonl/tone.svm
	# -f csv and --text-field by header name.
	sed '1s/^id,text,/id,body,/' train.csv >renamed.dat
	run -0 "$T" -q -o m-renamed -f csv --text-field body renamed.dat
	cmp m-renamed/topic.svm m-jsonl/topic.svm
}

@test "train: CSV errors name the file and line; --on-error skip skips a bad row" {
	printf 'id,body\n1,x\n' >notext.csv
	run -1 "$T" -q -o m notext.csv
	[[ "$output" == *"train: read 'notext.csv' line 1: the header has no 'text' column (it has id, body)"* ]]
	{ head -n 1 /dev/null; printf 'text,topic\n'; for i in $(seq 1 30); do printf '"budget, taxes %d",economy\n"troops %d",security\n' "$i" "$i"; done; printf 'a,b,c\n'; } >rows.csv
	run -1 "$T" -q -o m rows.csv
	[[ "$output" == *"train: read 'rows.csv' line 62: row has 3 fields, the header 2"* ]]
	run -0 "$T" -o m --on-error skip rows.csv
	[[ "$output" == *"train: skipped 1 malformed record"* ]]
	printf 'text,topic\n"a, b" x,economy\n' >malformed.csv
	run -1 "$T" -q -o m2 malformed.csv
	[[ "$output" == *"train: read 'malformed.csv': malformed CSV at line 2"* ]]
}

# ---- confusion matrices ----

@test "train --cv: confusion-matrix columns as wide as the longest class name" {
	python3 - <<'EOF'
import json
with open("long.jsonl", "w") as f:
    for i in range(40):
        lab = "international-diplomacy" if i % 2 else "economy"
        text = ("envoys ministers treaty talks summit %d" if i % 2 else "budget taxes tariff deficit %d") % i
        f.write(json.dumps({"text": text, "topic": lab}) + "\n")
EOF
	run -0 --separate-stderr "$T" -q -o m --cv 2 long.jsonl
	echo "$output"
	# The header: the names in full, right-aligned in columns of 23.
	grep -qF "                                          economy international-diplomacy" <<<"$output"
	grep -qE "^  international-diplomacy +[0-9]+ +[0-9]+$" <<<"$output"
	grep -qE "^  economy {17} {1,}[0-9]+ {1,}[0-9]+$" <<<"$output"
}

@test "CSV: a row whose JSON outgrows --max-doc-bytes (escaped control bytes) is an error record naming its line" {
	printf 'id,text\na,%s\nb,fine\n' "$(printf 'x\001%.0s' $(seq 1 30))" >rows.csv
	run --separate-stderr "$C" -q -m "$MODEL" -o - --max-doc-bytes 100 rows.csv
	[ "$status" -eq 3 ]
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'"error": '*"row longer than --max-doc-bytes (100) as a JSON object"* ]]
	[[ "${lines[1]}" == '{"id": "b", '* ]]
}
