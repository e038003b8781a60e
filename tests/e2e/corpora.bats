#!/usr/bin/env bats
# The corpus fetch scripts' own code (data/fetch/common.py, rdata.py and the
# parsers of austen.py, fortunes.py, sotu_party.py, debdesc.py, manpages.py)
# and bench/defaults.py's report, on inputs made here: no network, no packages.
# Run: bats tests/e2e/corpora.bats

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	TMP=$(mktemp -d)
	cd "$TMP"
}

teardown() {
	rm -rf "$TMP"
}

py() {
	python3 - "$ROOT" "$@"
}

@test "common.safe_member_name refuses absolute paths and '..'" {
	run py <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import common
for n in ("./package/data/a.txt", "/etc/passwd", "../x", "a/../../b", "a/b..c", ""):
    print(repr(common.safe_member_name(n)))
EOF
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf "%s\n" "'package/data/a.txt'" None None None "'a/b..c'" None)" ]
}

@test "common.extract_tgz skips climbing members and links" {
	run py <<'EOF'
import io, os, sys, tarfile
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import common
with tarfile.open("t.tgz", "w:gz") as tar:
    for name in ("package/ok.txt", "../evil.txt", "/abs.txt"):
        info = tarfile.TarInfo(name)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    link = tarfile.TarInfo("package/link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    tar.addfile(link)
print(common.extract_tgz("t.tgz", "out"))
for d, _, fs in os.walk("."):
    for f in sorted(fs):
        print(os.path.join(d, f))
EOF
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[[ "$output" == *"./out/package/ok.txt"* ]]
	[[ "$output" != *"evil"* ]]
	[[ "$output" != *"abs.txt"* ]]
	[[ "$output" != *"link"* ]]
}

@test "common.write_splits: sha256 of the key picks the test split, groups stay together" {
	run py <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import common
recs = [{"id": "%s:%d" % (g, k), "text": "t", "label": "x"} for g in "abcdefghij" for k in range(3)]
print(*common.write_splits("out", recs, key=lambda r: r["id"].split(":")[0]))
test = [json.loads(l)["id"] for l in open("out/test.jsonl")]
groups = {i.split(":")[0] for i in test}
print(len(test) == 3 * len(groups), all(common.is_test(g) for g in groups))
EOF
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "True True" ]
}

@test "rdata: an XDR character vector with NA, UTF-8 and attributes, in a lazy-load chunk" {
	run py <<'EOF'
import struct, sys, zlib
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import rdata
i = lambda v: struct.pack(">i", v)
def chars(s, utf8=False):
    b = s.encode("utf-8")
    return i(9 | ((1 << 3) << 12 if utf8 else 0)) + i(len(b)) + b
# c(a = "one", b = NA, c = "né"): STRSXP with attributes (names)
body = (i(16 | (1 << 9)) + i(3) + chars("one") + i(9) + i(-1) + chars("né", True)
        + i(2 | (1 << 10)) + i(1) + chars("names")                  # pairlist cell, tag symbol
        + i(16) + i(3) + chars("a") + chars("b") + chars("c") + i(254))
blob = b"X\n" + i(3) + i(0x040201) + i(0x030500) + i(5) + b"UTF-8" + body
obj = rdata.unserialize(blob)
print(obj.value, obj.attributes)
chunk = struct.pack(">I", len(blob)) + zlib.compress(blob)
print(rdata.unserialize(rdata._decompress_chunk(chunk)).value == obj.value)
EOF
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "['one', None, 'né'] {'names': ['a', 'b', 'c']}" ]
	[ "${lines[1]}" = "True" ]
}

@test "fortunes.py: cookies split at '%', a text in two files dropped, small files left out" {
	mkdir -p f
	printf 'one\n%%\ntwo\nlines\n%%\nshared\n%%\none\n' >f/alpha
	printf 'shared\n%%\nthree\n' >f/beta
	printf 'x\n' >f/alpha.dat
	run py <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import fortunes
fortunes.MIN_PER_CLASS = 3
for r in fortunes.build("f"):
    print(r["id"], repr(r["text"]), r["label"])
EOF
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf "%s\n" "fortune-alpha-0000 'one' alpha" "fortune-alpha-0001 'two\\nlines' alpha")" ]
}

@test "sotu_party.py: five sentences a passage, a short tail joins the last one" {
	run py <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import sotu_party
text = " ".join("Sentence %d ends here." % k for k in range(1, 11)) + ' "Quoted one." Mr. Smith of the U.S. Navy said so.'
for p in sotu_party.passages(text):
    print(p)
EOF
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "Sentence 1 ends here."*"Sentence 5 ends here." ]]
	# the closing quote kept; no break after Mr. or U.S.
	[[ "${lines[1]}" == "Sentence 6 ends here."*'Sentence 10 ends here. "Quoted one." Mr. Smith of the U.S. Navy said so.' ]]
}

@test "austen.py: title page and headings dropped, paragraphs joined to MIN_WORDS" {
	run py <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import austen
austen.MIN_WORDS = 4
lines = ["EMMA", "", "By Jane Austen", "", "CHAPTER I", "", "One two", "three.", "", "Four five six seven.",
         "", "CHAPTER II", "", "Eight.", ""]
for r in austen.passages("emma", lines):
    print(r["id"], r["chapter"], r["text"])
EOF
	[ "$status" -eq 0 ]
	# "chapter": the group the test split keeps whole (and bin/train --group chapter)
	[ "$output" = "$(printf "%s\n" "emma:c001:p000 emma:c001 One two three. Four five six seven." "emma:c002:p000 emma:c002 Eight.")" ]
}

@test "debdesc.py: deb822 stanzas and long descriptions" {
	run py <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import debdesc
tr = "Package: a\nDescription-md5: m1\nDescription-en: short a\n first line\n .\n second\n\n"
pk = ("Package: a\nSection: utils\nDescription: short a\nDescription-md5: m1\n\n"
      "Package: b\nSource: srcb (1.0)\nSection: contrib/net\nDescription: short b\n\n"
      "Package: c\nSection: utils\nDescription: short b\n")
debdesc.CLASSES, debdesc.SAMPLE = 2, 10
for r in debdesc.build(pk, tr):
    print(r["id"], repr(r["text"]), r["label"], r["source"])
EOF
	[ "$status" -eq 0 ]
	# c repeats b's text: kept once, the first by name
	[ "$output" = "$(printf "%s\n" "a 'short a\\nfirst line\\n\\nsecond' utils a" "b 'short b' net srcb")" ]
}

@test "manpages.py: header, footer and section numbers of cross-references dropped" {
	command -v groff >/dev/null || skip "groff not installed"
	run py <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/data/fetch")
import manpages
page = b""".TH FOO 3 2024-01-01 "Test"
.SH NAME
foo \\- does foo
.SH SEE ALSO
.BR bar (2),
baz(7)
"""
print(manpages.render(page))
EOF
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf "%s\n" NAME "foo - does foo" "" "SEE ALSO" "bar, baz")" ]
}

@test "bench/corpora.py: a grouped corpus fetched without its group field counts as missing" {
	run py <<'EOF'
import json, os, sys, tempfile
sys.path.insert(0, sys.argv[1] + "/bench")
import corpora
d = tempfile.mkdtemp()
corpora.REPO = d
os.makedirs(os.path.join(d, "data/external"))
ext = lambda n: "data/external/" + n
# A committed file (data/news) without the field is not a fetch to redo.
c = corpora.Corpus("x", [], [ext("tr.jsonl"), "own.jsonl"], [ext("te.jsonl")], {"label": "x"}, "", group="chapter")
for name, rec in ((ext("tr.jsonl"), {"id": "a", "text": "t", "label": "y", "chapter": "a:c1"}),
                  (ext("te.jsonl"), {"id": "b", "text": "t", "label": "y"}),
                  ("own.jsonl", {"id": "c", "text": "t", "label": "y"})):
    with open(os.path.join(d, name), "w") as f:
        f.write(json.dumps(rec) + "\n")
print(corpora.missing(c))
EOF
	[ "$status" -eq 0 ]
	[ "$output" = "['data/external/te.jsonl']" ]
}

@test "bench/corpora.py: list names the eleven tasks; an unknown task is an error" {
	run python3 "$ROOT/bench/corpora.py" list
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "grain corn spam spam3 news-topic news-tone debdesc fortunes manpages austen sotu-party" ]
	run python3 "$ROOT/bench/corpora.py" paths nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == "corpora.py: unknown task nosuch"* ]]
}

@test "bench/defaults.py: mean, worst and leave-one-corpus-out from given scores" {
	run py <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/bench")
import corpora, defaults
corpora.REPO = "."   # no corpus here: the corpora table says "not fetched"
tasks = corpora.select(["grain", "corn", "austen", "fortunes"])
# candidate 0 wins on the Reuters pair, candidate 1 on the other two
s = {(0, "grain"): 0.9, (0, "corn"): 0.8, (0, "austen"): 0.5, (0, "fortunes"): 0.4,
     (1, "grain"): 0.7, (1, "corn"): 0.6, (1, "austen"): 0.9, (1, "fortunes"): 0.6}
meta = {"date": "d", "total_s": 1, "cpu_s": 1, "load": "", "command": "c", "folds": 5,
        "version": "v", "commit": "x"}
print(defaults.report(["-A", "-B"], [1, 2], tasks, s, {}, meta))
EOF
	[ "$status" -eq 0 ]
	# columns in bench/corpora.py's order: grain corn fortunes austen mean worst
	[[ "$output" == *"| 1 | \`-A\` | **0.900** | **0.800** | 0.400 | 0.500 | 0.650 | 0.400 |"* ]]
	[[ "$output" == *"| 2 | \`-B\` | 0.700 | 0.600 | **0.600** | **0.900** | **0.700** | **0.600** |"* ]]
	# grain held out with corn: chosen on austen + fortunes (#2), loses 0.2
	[[ "$output" == *"| grain | #2 | 0.700 | #1 | 0.900 | 0.200 |"* ]]
	# austen held out: chosen on grain, corn, fortunes (#1: 0.700 vs #2: 0.633)
	[[ "$output" == *"| austen | #1 | 0.500 | #2 | 0.900 | 0.400 |"* ]]
}
