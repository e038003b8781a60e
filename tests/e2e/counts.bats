#!/usr/bin/env bats
#
# counts.bats - what a user sees of a run: the manifest's and the summary's
# class counts recounted from the shards (zstdcat | python3) on the sample of
# make run and on 100k bench-like documents, the counts across --resume,
# --keep-text, and OUT/report.html rendered by headless Chromium (screenshot
# not blank, the counts in its DOM), with everything from data escaped.
#
# The model is models/news (make test trains it first).  The 100k documents
# are generated at setup from data/news passages (bench/build_archive.py's
# record shape: id, text, source, label), with some broken lines among them.

bats_require_minimum_version 1.5.0

setup_file() {
	local bin="${TENOR_BIN:-$BATS_TEST_DIRNAME/../../bin}"

	TENOR_BIN="$(cd "$bin" && pwd)"
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	MODEL="$ROOT/models/news"
	SAMPLE="$ROOT/data/sample/news.jsonl $ROOT/data/sample/articles.tar.zst"
	BENCH="$BATS_FILE_TMPDIR/bench100k.jsonl"
	BENCH_DOCS=100000
	export TENOR_BIN ROOT MODEL SAMPLE BENCH BENCH_DOCS
	python3 - "$ROOT/data/news" "$BENCH" "$BENCH_DOCS" <<'EOF'
import glob, json, random, sys
news, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
texts = [json.loads(l)["text"] for f in sorted(glob.glob(news + "/*.jsonl")) for l in open(f)]
rng = random.Random(12)
with open(out, "w") as o:
    for i in range(n):
        if i % 9973 == 17:
            o.write('{"id": "bench-%010d", "text": "cut off\n' % i)       # invalid JSON
        elif i % 9973 == 42:
            o.write('{"id": "bench-%010d", "body": "no text"}\n' % i)     # no text field
        else:
            words = texts[rng.randrange(len(texts))].split()
            words = [w for w in words if rng.random() > 0.1]
            o.write(json.dumps({"id": "bench-%010d" % i, "text": " ".join(words),
                                "source": "news", "label": "other"}) + "\n")
EOF
}

setup() {
	C="$TENOR_BIN/classify"
	cd "$BATS_TEST_TMPDIR"
	[ -f "$MODEL/manifest.json" ] || skip "models/news is missing: run make models (make test does)"
}

teardown() {
	local p
	for p in ${BG_PIDS:-}; do
		kill -9 "$p" 2>/dev/null || true
	done
}

# Recounts a run folder's shards (zstdcat | python3) and compares the result
# with its manifest's counts and, when given, the summary printed in file $2.
recount() {
	zstdcat "$1"/part-*.jsonl.zst | python3 -c '
import json, re, sys
d, summary = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
m = json.load(open(d + "/manifest.json"))
heads = m["model"]["heads"]
c = m["counts"]
got = {h: {k: 0 for k in c["heads"][h]} for h in heads}
abst = {h: 0 for h in heads}
cross = {a: {b: 0 for b in c["heads"][heads[1]]} for a in c["heads"][heads[0]]}
ok = err = 0
for line in sys.stdin:
    r = json.loads(line)
    if "error" in r:
        err += 1
        continue
    ok += 1
    for h in heads:
        if r[h] is None:
            abst[h] += 1
        else:
            got[h][r[h]] += 1
    if r[heads[0]] is not None and r[heads[1]] is not None:
        cross[r[heads[0]]][r[heads[1]]] += 1
def check(cond, *msg):
    if not cond:
        print("check failed:", *msg, file=sys.stderr)
        sys.exit(1)
check(c["ok"] == ok and c["errors"] == err and c["documents"] == ok + err, c, ok, err)
check(c["heads"] == got, c["heads"], got)
check(c["abstained"] == abst, c["abstained"], abst)
check(c["cross"] == {"rows": heads[0], "cols": heads[1], "table": cross}, c["cross"], cross)
check(sum(map(sum, (x.values() for x in got.values()))) == ok * len(heads) - sum(abst.values()), "sums")
if summary:
    text = open(summary).read()
    check("class counts of the %d result%s:" % (ok, "" if ok == 1 else "s") in text, "summary header")
    for h in heads:
        line = re.search(r"^  %s: *(.*)$" % re.escape(h), text, re.M)
        check(line, "summary line of", h)
        pairs = dict((k, int(v)) for k, v in re.findall(r"(\S+) (\d+)", line.group(1).split(";")[0]))
        check(pairs == got[h], "summary", h, pairs, got[h])
    rows = re.search(r"^  %s x %s.*\n((?:  .*\n){%d})" % (heads[0], heads[1], len(cross)), text, re.M)
    check(rows, "summary cross-table")
    for row in rows.group(1).splitlines():
        name, *nums = row.split()
        check([int(x) for x in nums] == list(cross[name].values()), "summary cross row", row)
    check("%d documents (%d ok, %d error" % (ok + err, ok, err) in text, "summary totals")
print("recounted", ok, "results and", err, "errors")
' "$@"
}

# Runs Chromium headless on a page: chrome OUTPUT_FLAG PAGE.  Sets CHROME_OK=0
# when it cannot start at all (then the caller skips).
chrome() {
	local flag="$1" page="$2"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--user-data-dir="$BATS_TEST_TMPDIR/chrome-profile" --window-size=1200,2600 \
		--hide-scrollbars "$flag" "file://$page" 2>chrome.err
}

need_chromium() {
	[ "${TENOR_SANITIZED:-0}" != 1 ] || skip "browser test: make test runs it; the report's C code runs under the sanitizers in the other tests"
	command -v chromium >/dev/null 2>&1 || skip "chromium is not installed (make test installs it: apt-get install chromium)"
	if ! chrome --dump-dom "$ROOT/tests/data/README.md" >/dev/null; then
		cat chrome.err >&2
		skip "chromium cannot start here: $(tail -1 chrome.err)"
	fi
}

@test "the sample of make run: manifest counts and the summary equal the shards' recount" {
	run --separate-stderr "$C" -m "$MODEL" -o out $SAMPLE
	[ "$status" -eq 0 ]
	echo "$stderr" >summary.txt
	recount out summary.txt
	# Everything of the contract is there: times, version, model identity.
	python3 - "$MODEL" <<'EOF'
import json, re, sys
m = json.load(open("out/manifest.json"))
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
assert iso.match(m["started_at"]) and iso.match(m["finished_at"]), m
assert m["started_at"] <= m["finished_at"], m
assert re.match(r"^\d+\.\d+\.\d+", m["tenor_version"]), m["tenor_version"]
assert re.match(r"^[0-9a-f]{16}$", m["model"]["manifest_xxh64"]), m["model"]
assert m["counts"]["heads"]["topic"] and m["counts"]["heads"]["tone"], m["counts"]
assert m["counts"]["ok"] == 180 and all(v > 0 for h in m["counts"]["heads"].values() for v in h.values())
p = m["progress"]["points"]
assert p[-1][1] == m["counts"]["documents"] and p[-1][2] == m["counts"]["text_bytes"], p
assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(p, p[1:])), p
EOF
	grep -q "^classify: report in 'out/report.html'$" <<<"$stderr"
	[ -s out/report.html ]
}

@test "100k bench-like documents in 4 shards: manifest and summary counts equal the recount, errors included" {
	run --separate-stderr "$C" -m "$MODEL" -o out --shard-docs 30000 "$BENCH"
	[ "$status" -eq 3 ]
	echo "$stderr" >summary.txt
	[ "$(ls out/part-*.jsonl.zst | wc -l)" -eq 4 ]
	recount out summary.txt
	python3 -c '
import json
c = json.load(open("out/manifest.json"))["counts"]
assert c["documents"] == 100000 and c["errors"] == 22, c
' 
	# The report counts the same records; the run gathered its figures as it
	# wrote them, and reading the shards back gives the same page.
	grep -qF "id=\"recount\">The shards' 100000 records agree" out/report.html
	grep -qF '<tr><td>no text field &#39;text&#39;</td><td class="n">11</td><td>bench-0000000042<br>bench-0000010015<br>bench-0000019988</td></tr>' out/report.html
	mv out/report.html run.html
	"$C" --report out
	cmp run.html out/report.html
}

@test "--resume after SIGTERM: the counts of the kept shards carry over and equal a clean run's" {
	"$C" -q -m "$MODEL" -o clean --shard-docs 10000 "$BENCH" 2>/dev/null || [ $? -eq 3 ]
	"$C" -q -j 1 -m "$MODEL" -o out --shard-docs 10000 "$BENCH" 2>/dev/null &
	BG_PIDS=$!
	for i in $(seq 1 3000); do
		[ -e out/part-00001.jsonl.zst ] && break
		sleep 0.01
	done
	kill -TERM "$BG_PIDS"
	rc=0
	wait "$BG_PIDS" || rc=$?
	BG_PIDS=
	[ "$rc" -eq 143 ]
	[ ! -e out/_SUCCESS ]
	python3 -c '
import json
m = json.load(open("out/manifest.json"))
c = m["counts"]
assert not m["complete"] and m["finished_at"] is None, m["finished_at"]
assert 0 < c["documents"] < 100000 and c["documents"] % 10000 == 0, c
assert sum(c["heads"]["topic"].values()) + c["abstained"]["topic"] == c["ok"], c
'
	# The interrupted run's counts are those of its complete shards.
	recount out
	cp out/manifest.json interrupted.json
	run --separate-stderr "$C" -m "$MODEL" -o out --shard-docs 10000 --resume "$BENCH"
	[ "$status" -eq 3 ]
	echo "$stderr" >summary.txt
	recount out summary.txt
	python3 -c '
import json
a, b, i = (json.load(open(p)) for p in ("clean/manifest.json", "out/manifest.json", "interrupted.json"))
assert a["counts"] == b["counts"], (a["counts"], b["counts"])
assert b["started_at"] == i["started_at"], "the start is the interrupted run'"'"'s"
p = b["progress"]["points"]
assert p[-1][1] == 100000 and all(x[0] <= y[0] and x[1] <= y[1] for x, y in zip(p, p[1:])), p
'
}

@test "--resume of a manifest without class counts recounts its kept shards; a wrong class count is refused" {
	"$C" -q -m "$MODEL" -o clean --shard-docs 50 $SAMPLE 2>/dev/null
	for edit in 'del c["heads"], c["abstained"], c["cross"]' 'c["heads"]["topic"]["economy"] += 1'; do
		rm -rf out
		cp -r clean out
		python3 - "$edit" <<'EOF'
import json, os, sys
m = json.load(open("out/manifest.json"))
m["complete"], m["finished_at"] = False, None
m["shards"] = m["shards"][:2]
os.remove("out/part-00002.jsonl.zst"); os.remove("out/part-00003.jsonl.zst"); os.remove("out/_SUCCESS")
# Counts and evaluation of the two kept shards (100 JSONL passages, all with labels).
recs = [json.loads(l) for l in os.popen("zstdcat out/part-00000.jsonl.zst out/part-00001.jsonl.zst")]
inp = {json.loads(l)["id"]: json.loads(l) for l in open(os.environ["ROOT"] + "/data/sample/news.jsonl")}
c = m["counts"]
c["documents"] = c["ok"] = 100
c["text_bytes"] = sum(len(inp[r["id"]]["text"].encode()) for r in recs)
c["heads"] = {h: {k: sum(r[h] == k for r in recs) for k in c["heads"][h]} for h in ("topic", "tone")}
c["cross"]["table"] = {a: {b: sum(r["topic"] == a and r["tone"] == b for r in recs) for b in c["heads"]["tone"]}
                       for a in c["heads"]["topic"]}
for h, e in m["evaluation"].items():
    labels = e["confusion"]["labels"]
    e["confusion"]["matrix"] = [[sum(inp[r["id"]][h] == t and r[h] == p for r in recs) for p in labels] for t in labels]
exec(sys.argv[1])
json.dump(m, open("out/manifest.json", "w"))
EOF
		run --separate-stderr "$C" -q -m "$MODEL" -o out --shard-docs 50 --resume $SAMPLE
		if [[ "$edit" == del* ]]; then
			[ "$status" -eq 0 ] || { echo "$stderr"; false; }
			python3 -c '
import json
a, b = json.load(open("clean/manifest.json"))["counts"], json.load(open("out/manifest.json"))["counts"]
assert a == b, (a, b)'
			recount out
		else
			[ "$status" -eq 1 ]
			grep -q "cannot resume 'out': its manifest is inconsistent (its class counts do not add up)" <<<"$stderr"
			[ ! -e out/_SUCCESS ]
		fi
	done
}

@test "--keep-text N: the text's first N bytes, cut on a character boundary, as a valid JSON string" {
	python3 - <<'EOF'
import json
docs = [("ascii", "The envoys met to talk about the border treaty again"),
        ("accents", "\u00e9\u00e9\u00e9 caf\u00e9 na\u00efve"),          # 2-byte characters
        ("cjk", "\u5916\u4ea4\u90e8\u957f\u4f1a\u8c08"),                 # 3-byte characters
        ("emoji", "a\U0001F600\U0001F600 trade"),                         # 4-byte characters
        ("quotes", 'say "no" \\ then\ttab'),
        ("short", "ok")]
with open("in.jsonl", "w") as o:
    for i, t in docs:
        o.write(json.dumps({"id": i, "text": t}) + "\n")
EOF
	for n in 1 2 5 7 11 400; do
		"$C" -q -m "$MODEL" -o - --keep-text "$n" in.jsonl >out.jsonl
		python3 - "$n" <<'EOF'
import json, sys
n = int(sys.argv[1])
src = {json.loads(l)["id"]: json.loads(l)["text"] for l in open("in.jsonl")}
recs = [json.loads(l) for l in open("out.jsonl", "rb")]   # json.loads rejects invalid UTF-8
assert [r["id"] for r in recs] == list(src), recs
for r in recs:
    full, kept = src[r["id"]].encode(), r["text"].encode()
    assert full.startswith(kept) and len(kept) <= n, (n, r)
    # The longest such prefix: one more character would pass n bytes.
    if len(kept) < len(full):
        nxt = len(full[len(kept):].decode()[0].encode())
        assert len(kept) + nxt > n, (n, r)
    assert list(r)[-1] == "text", r
EOF
	done
	# Without the option, no text; it is an option of the run (resume compares it).
	"$C" -q -m "$MODEL" -o - in.jsonl | python3 -c 'import json, sys; assert all("text" not in json.loads(l) for l in sys.stdin)'
	"$C" -q -m "$MODEL" -o out --keep-text 2K in.jsonl
	python3 -c 'import json; assert json.load(open("out/manifest.json"))["options"]["keep_text"] == 2048'
	run "$C" -m "$MODEL" -o - --keep-text lots in.jsonl
	[ "$status" -eq 2 ]
	[[ "$output" == *"classify: --keep-text takes a size from 0 to 1G, not 'lots'"* ]]
}

@test "classify --report OUT rewrites the report from the manifest and shards, and refuses what is not a run" {
	"$C" -q -m "$MODEL" -o out --keep-text 300 $SAMPLE
	mv out/report.html first.html
	run --separate-stderr "$C" --report out
	[ "$status" -eq 0 ]
	[ "$stderr" = "classify: report in 'out/report.html'" ]
	cmp first.html out/report.html
	# The report is classify's: --force removes it with the run, and a
	# folder holding only a report is no run of classify's.
	"$C" -q -m "$MODEL" -o out --force "$ROOT/data/sample/news.jsonl"
	grep -q '<td class="n" id="n-documents">120</td>' out/report.html
	mkdir lone
	cp first.html lone/report.html
	run --separate-stderr "$C" -q -m "$MODEL" -o lone $SAMPLE
	[ "$status" -eq 1 ]
	cmp first.html lone/report.html
	run --separate-stderr "$C" --report lone
	[ "$status" -eq 1 ]
	[ "$stderr" = "classify: cannot write the report: 'lone' holds no classify run (no readable manifest.json of one)" ]
	run --separate-stderr "$C" --report out -m "$MODEL" in.jsonl
	[ "$status" -eq 2 ]
	grep -q "classify: --report OUT takes no model, output or input" <<<"$stderr"
	# -o - writes no report.
	"$C" -q -m "$MODEL" -o - $SAMPLE >/dev/null 2>err
	! grep -q report err
}

@test "report.html renders in headless Chromium: a screenshot that is not blank, the counts in its DOM" {
	need_chromium
	"$C" -q -m "$MODEL" -o out --keep-text 300 $SAMPLE "$ROOT/tests/data/bad-json.jsonl" 2>/dev/null || [ $? -eq 3 ]
	chrome --screenshot="$BATS_TEST_TMPDIR/shot.png" "$BATS_TEST_TMPDIR/out/report.html"
	chrome --dump-dom "$BATS_TEST_TMPDIR/out/report.html" >dom.html
	# PNG decoded with the standard library: size, many colours, not one colour.
	python3 - shot.png <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, hdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        hdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype = hdr[:4]
assert depth == 8 and ctype in (2, 6), hdr
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, nonwhite = bytearray(stride), {}, 0
i = 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, w, 4):
            px = bytes(line[x * bpp:x * bpp + 3])
            colours[px] = colours.get(px, 0) + 1
            nonwhite += px != b"\xff\xff\xff"
total = sum(colours.values())
top = max(colours.values())
print("%dx%d, %d colours, %.1f%% not white, the commonest colour %.1f%%" %
      (w, h, len(colours), 100 * nonwhite / total, 100 * top / total))
assert w >= 1000 and h >= 2000, (w, h)
assert len(colours) >= 50, len(colours)
assert nonwhite / total > 0.05 and top / total < 0.95, (nonwhite, top, total)
EOF
	# The DOM: the counts of every class and cross-table cell, the totals, the error kinds, examples.
	python3 - <<'EOF'
import html.parser, json
m = json.load(open("out/manifest.json"))
c = m["counts"]
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.cells, self.ids, self.tags = [], [], {}, set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.stack.append((tag, dict(attrs), []))
    def handle_endtag(self, tag):
        while self.stack:
            t, a, text = self.stack.pop()
            s = "".join(text).strip()
            if self.stack:
                self.stack[-1][2].append(" %s " % s)
            if "id" in a:
                self.ids[a["id"]] = s
            if t in ("tr", "td"):
                self.cells.append((t, a, s))
            if t == tag:
                break
    def handle_data(self, d):
        if self.stack:
            self.stack[-1][2].append(d)
p = P()
p.feed(open("dom.html").read())
assert "svg" in p.tags and "script" not in p.tags, p.tags
assert p.ids["n-documents"] == str(c["documents"]) and p.ids["n-errors"] == str(c["errors"]), p.ids
assert p.ids["n-ok"] == str(c["ok"]), p.ids
assert c["errors"] > 0
rows = {(a["data-head"], a["data-class"]): s for t, a, s in p.cells if t == "tr" and "data-class" in a}
want = {(h, k): v for h, cl in c["heads"].items() for k, v in cl.items()}
assert len(rows) == len(want) == 7, rows
for (h, k), v in want.items():
    assert rows[(h, k)].split()[-1] == str(v), (h, k, rows[(h, k)], v)
cross = [(a["data-row"], a["data-col"], s) for t, a, s in p.cells if t == "td" and "data-row" in a]
for r, k in ((r, k) for r in c["cross"]["table"] for k in c["cross"]["table"][r]):
    assert (r, k, str(c["cross"]["table"][r][k])) in cross, (r, k)
assert "Confident and uncertain documents" in open("dom.html").read()
kinds = {s.split("\n")[0]: s for t, a, s in p.cells if t == "tr" and "bad-json.jsonl:" in s}
assert kinds, "error kinds with their places"
print("DOM: %d class rows, %d cells, ids %s" % (len(rows), len(cross), sorted(p.ids)))
EOF
}

@test "the report escapes whatever comes from the data: ids, texts and error messages stay text" {
	python3 - <<'EOF'
import json
with open("in.jsonl", "w") as o:
    o.write(json.dumps({"id": "<script>alert(1)</script>", "text": "Talks on the <b>border</b> & \"trade\" <img src=x onerror=alert(2)>"}) + "\n")
    o.write(json.dumps({"id": "x\" onmouseover=\"alert(3)", "text": "</td></tr></table><h1>injected</h1> envoys met"}) + "\n")
    o.write('{"id": "<i>broken</i>", "text": <svg onload=alert(4)>}\n')
EOF
	"$C" -q -m "$MODEL" -o out --keep-text 200 in.jsonl || [ $? -eq 3 ]
	! grep -q "<script\|<img\|<h1>injected\|<i>broken\|<b>border\|<svg onload" out/report.html
	grep -q "&lt;script&gt;alert(1)&lt;/script&gt;" out/report.html
	grep -q "&lt;b&gt;border&lt;/b&gt; &amp; &quot;trade&quot;" out/report.html
	grep -q "x&quot; onmouseover=&quot;alert(3)" out/report.html
	# The broken line is an error kind with its place (its id could not be read).
	grep -qF '<tr><td>invalid JSON at byte N</td><td class="n">1</td><td>in.jsonl:3</td></tr>' out/report.html
	if command -v chromium >/dev/null 2>&1 && chrome --dump-dom "$BATS_TEST_TMPDIR/out/report.html" >dom.html; then
		python3 -c '
import html.parser
tags = []
class P(html.parser.HTMLParser):
    def handle_starttag(self, t, a):
        tags.append(t)
        assert not any(k.startswith("on") for k, v in a), (t, a)
P().feed(open("dom.html").read())
assert not set(tags) & {"script", "img", "b", "i"} and "h2" in tags, tags
assert tags.count("h1") == 1, "only the page title"
'
	fi
}
