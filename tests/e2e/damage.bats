#!/usr/bin/env bats
#
# damage.bats - nothing read disappears and nothing damaged passes for good:
# inputs that start with NUL bytes, damaged tar headers, bad zip and gzip
# CRCs, junk after a zstd frame, truncated gzip and bzip2, symbolic link
# cycles, FIFOs, deep and unreadable folders; corrupt model bundles.  Each
# case was a reproducer of issue #10 that lost documents with exit 0, or
# crashed.
#
# A small model is trained once (setup_file) on tests/data/mini.jsonl.

bats_require_minimum_version 1.5.0
load common

setup_file() {
	tenor_paths
	"$TENOR_BIN/train" -q -o "$MODEL" --bits 14 "$ROOT/tests/data/mini.jsonl"
}

setup() {
	C="$TENOR_BIN/classify"
	PUB=
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	if [ -n "$PUB" ]; then
		chmod -R u+rwX "$PUB"
		rm -rf "$PUB"
	fi
}

# Lines of JSONL with ids g1..gN.
gen() {
	seq 1 "$1" | sed 's/.*/{"id":"g&","text":"the trade deal number & was signed by both envoys"}/'
}

# Number of records, of error records and of distinct ids in $output.
count() { grep -c '^{' <<<"$output" || true; }
errors() { grep -c '"error":' <<<"$output" || true; }
distinct_ids() { grep -o '^{"id": "[^"]*"' <<<"$output" | sort -u | wc -l; }

@test "a file starting with 1024 NUL bytes: the NUL line is an error record, the JSONL after it is read (file, stdin, .zst)" {
	(head -c 1024 /dev/zero; echo; echo '{"id":"a","text":"trade deal"}') >z.jsonl
	zstd -q z.jsonl -o z.jsonl.zst
	for how in file stdin zst; do
		case $how in
		file) run --separate-stderr "$C" -q -m "$MODEL" -o - z.jsonl ;;
		stdin) run --separate-stderr "$C" -q -m "$MODEL" -o - - <z.jsonl ;;
		zst) run --separate-stderr "$C" -q -m "$MODEL" -o - z.jsonl.zst ;;
		esac
		[ "$status" -eq 3 ]
		[ "$(count)" -eq 2 ]
		grep -q '^{"id": "[a-z.]*:1", "error": "NUL byte' <<<"${lines[0]}"
		grep -q '^{"id": "a", "topic": ' <<<"${lines[1]}"
	done
	# A text file led by zero blocks is one (error) document, not an empty tar.
	(head -c 2048 /dev/zero; echo "trade") >z.txt
	run --separate-stderr "$C" -q -m "$MODEL" -o - z.txt
	[ "$status" -eq 3 ]
	[ "$output" = '{"id": "z.txt", "error": "NUL byte at byte 0"}' ]
	# An empty tar (zero blocks only) named so is still an archive of nothing.
	head -c 10240 /dev/zero >empty.tar
	run --separate-stderr "$C" -q -m "$MODEL" -o - empty.tar
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a tar member with a damaged header is an error record naming the archive and offset; the others are read" {
	mkdir m
	for i in 1 2 3; do echo "Trade talks number $i went well." >m/d$i.txt; done
	tar -cf t.tar -C m d1.txt d2.txt d3.txt
	# The second header starts at byte 1024; break its checksum field.
	printf '9' | dd of=t.tar bs=1 seek=$((1024 + 150)) conv=notrunc 2>/dev/null
	gzip -c t.tar >t.tar.gz
	for f in t.tar t.tar.gz; do
		run --separate-stderr "$C" -q -m "$MODEL" -o - $f
		[ "$status" -eq 3 ]
		[ "$(count)" -eq 3 ]
		grep -q "^{\"id\": \"$f:d1.txt\", \"topic\"" <<<"${lines[0]}"
		grep -q "^{\"id\": \"$f:@1024\", \"error\": \"read '$f': damaged member header at byte 1024, after member 'd1.txt'" <<<"${lines[1]}"
		grep -q "^{\"id\": \"$f:d3.txt\", \"topic\"" <<<"${lines[2]}"
		grep -q "^classify: $f:@1024: read '$f': damaged member header" <<<"$stderr"
	done
}

@test "a damaged 7-Zip header is one error record at a byte within the file, not at libarchive's error code" {
	# The fuzzer's input (its first byte picks the harness's file name): a
	# 7-Zip header whose sizes make libarchive ask for 7 GB, then fail.
	tail -c +2 "$ROOT/tests/fuzz/regress/input/7z-header-7gb-calloc" >d.7z
	size=$(stat -c %s d.7z)
	run --separate-stderr "$C" -q -m "$MODEL" -o - d.7z
	[ "$status" -eq 3 ]
	[ "$(count)" -eq 1 ]
	# "Damaged 7-Zip archive", or under make asan (allocations over 2 GiB fail)
	# libarchive's word for the failed allocation.
	[[ "${lines[0]}" =~ ^\{\"id\":\ \"d\.7z:@([0-9]+)\",\ \"error\":\ \"read\ \'d\.7z\':\  ]]
	[ "${BASH_REMATCH[1]}" -le "$size" ]
}

@test "a zip member with a bad CRC and a .gz with a bad trailer CRC give error records" {
	mkdir m
	for i in 1 2 3; do echo "Trade talks number $i went well." >m/d$i.txt; done
	(cd m && zip -q ../z.zip d1.txt d2.txt d3.txt)
	python3 -c '
b = bytearray(open("z.zip", "rb").read())
i = b.find(b"Trade talks number 2")
b[i] = ord("X")
open("z.zip", "wb").write(b)'
	run --separate-stderr "$C" -q -m "$MODEL" -o - z.zip
	[ "$status" -eq 3 ]
	[ "$(count)" -eq 3 ]
	grep -q '^{"id": "z.zip:d1.txt", "topic"' <<<"${lines[0]}"
	grep -q "^{\"id\": \"z.zip:d2.txt\", \"error\": \"read 'z.zip' member 'd2.txt': ZIP bad CRC" <<<"${lines[1]}"
	grep -q '^{"id": "z.zip:d3.txt", "topic"' <<<"${lines[2]}"

	gen 5 | gzip -c >g.jsonl.gz
	python3 -c '
b = bytearray(open("g.jsonl.gz", "rb").read())
b[-6] ^= 0xff
open("g.jsonl.gz", "wb").write(b)'
	! gzip -t g.jsonl.gz 2>/dev/null
	run --separate-stderr "$C" -q -m "$MODEL" -o - g.jsonl.gz
	[ "$status" -eq 3 ]
	[ "$(count)" -eq 6 ]
	[ "$(errors)" -eq 1 ]
	grep -q "^{\"id\": \"g.jsonl.gz:6\", \"error\": \"read 'g.jsonl.gz': corrupt gzip data: incorrect data check\"}$" <<<"${lines[5]}"
	# A plain text document with a bad CRC is an error record, not classified.
	echo "Trade talks went well." | gzip -c >t.txt.gz
	python3 -c '
b = bytearray(open("t.txt.gz", "rb").read())
b[-6] ^= 0xff
open("t.txt.gz", "wb").write(b)'
	run --separate-stderr "$C" -q -m "$MODEL" -o - t.txt.gz
	[ "$status" -eq 3 ]
	[ "$output" = "{\"id\": \"t.txt.gz\", \"error\": \"read 't.txt.gz': corrupt gzip data: incorrect data check\"}" ]
}

@test "junk after a zstd frame, truncated gzip and bzip2: every document the format's tool recovers, then one error" {
	gen 20000 >big.jsonl
	zstd -q -c big.jsonl >junk.jsonl.zst
	printf 'junk after the frame' >>junk.jsonl.zst
	run --separate-stderr "$C" -q -m "$MODEL" -o - junk.jsonl.zst
	[ "$status" -eq 3 ]
	[ "$(count)" -eq 20001 ]
	[ "$(errors)" -eq 1 ]
	[ "${lines[20000]}" = "{\"id\": \"junk.jsonl.zst:20001\", \"error\": \"read 'junk.jsonl.zst': junk after the end of zstd data\"}" ]
	gzip -c big.jsonl >big.jsonl.gz
	bzip2 -c big.jsonl >big.jsonl.bz2
	for z in gz bz2; do
		head -c $(( $(stat -c %s big.jsonl.$z) * 2 / 3 )) big.jsonl.$z >cut.jsonl.$z
		# Complete lines an incremental decoder recovers (zcat and bzcat may
		# not flush their last buffer before dying).
		want=$(python3 -c '
import bz2, sys, zlib
b = open(sys.argv[1], "rb").read()
d = zlib.decompressobj(31) if sys.argv[1].endswith(".gz") else bz2.BZ2Decompressor()
out = d.decompress(b)
print(out.count(b"\n"))' cut.jsonl.$z)
		[ "$want" -gt 1000 ]
		run --separate-stderr "$C" -q -m "$MODEL" -o - cut.jsonl.$z
		[ "$status" -eq 3 ]
		[ "$(count)" -eq $((want + 1)) ]
		[ "$(errors)" -eq 1 ]
		grep -q "^{\"id\": \"cut.jsonl.$z:$((want + 1))\", \"error\": \"read 'cut.jsonl.$z': truncated" <<<"${lines[$want]}"
	done
}

@test "a symbolic link cycle in a folder gives each document once and one error record" {
	mkdir -p f/sub
	echo "Trade talks went well." >f/a.txt
	echo "Troops were sent to the border." >f/sub/b.txt
	ln -s .. f/sub/loop
	ln -s . f/self
	run --separate-stderr "$C" -q -m "$MODEL" -o - f
	[ "$status" -eq 3 ]
	[ "$(count)" -eq 4 ]
	[ "$(distinct_ids)" -eq 4 ]
	grep -q '^{"id": "f/a.txt", "topic"' <<<"$output"
	grep -q '^{"id": "f/sub/b.txt", "topic"' <<<"$output"
	grep -q "^{\"id\": \"f/self\", \"error\": \"folder 'f/self' is a link back to a folder above it (a cycle); not walked again\"}$" <<<"$output"
	grep -q '^{"id": "f/sub/loop", "error": ".*cycle' <<<"$output"
}

@test "a FIFO, nesting deeper than 64 and an unreadable folder are error records; the run goes on" {
	mkdir -p f
	echo "Trade talks went well." >f/a.txt
	mkfifo f/pipe
	p=f/deep
	for i in $(seq 1 70); do p=$p/d; done
	mkdir -p $p
	echo "Deep text." >$p/x.txt
	echo "Last text." >f/z.txt
	run --separate-stderr timeout 20 "$C" -q -m "$MODEL" -o - f
	[ "$status" -eq 3 ]
	[ "$(count)" -eq 4 ]
	grep -q '^{"id": "f/a.txt", "topic"' <<<"${lines[0]}"
	grep -q '^{"id": "f/deep/d/d/.*", "error": "folder .* is nested deeper than 64 levels; not walked"}$' <<<"${lines[1]}"
	[ "${lines[2]}" = "{\"id\": \"f/pipe\", \"error\": \"'f/pipe' is not a regular file (a FIFO); not read\"}" ]
	grep -q '^{"id": "f/z.txt", "topic"' <<<"${lines[3]}"

	# An unreadable folder.  Root reads everything, so as root the run is
	# made as nobody, in a folder nobody can reach.
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv is needed to drop root"
		PUB=$(mktemp -d /tmp/tenor-damage.XXXXXX)
		chmod 755 "$PUB"
		cp -r "$MODEL" "$PUB/model"
		chmod -R a+rX "$PUB/model"
		cd "$PUB"
	fi
	mkdir -p u/locked
	echo "Readable text." >u/a.txt
	echo "Hidden text." >u/locked/b.txt
	chmod 000 u/locked
	if [ "$(id -u)" -eq 0 ]; then
		run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups "$C" -q -m model -o - u
	else
		run --separate-stderr "$C" -q -m "$MODEL" -o - u
	fi
	chmod 755 u/locked
	[ "$status" -eq 3 ]
	[ "$(count)" -eq 2 ]
	grep -q '^{"id": "u/a.txt", "topic"' <<<"${lines[0]}"
	[ "${lines[1]}" = "{\"id\": \"u/locked\", \"error\": \"cannot list folder 'u/locked': Permission denied\"}" ]
}

@test "a corrupt or old model bundle is refused with the file named, never crashes" {
	echo '{"id":"a","text":"trade deal"}' >in.jsonl
	for damage in truncate flip vt nan; do
		rm -rf m
		cp -r "$MODEL" m
		case $damage in
		truncate) head -c $(($(stat -c %s "$MODEL/topic.svm") / 2)) "$MODEL/topic.svm" >m/topic.svm ;;
		flip) python3 -c '
b = bytearray(open("m/topic.svm", "rb").read()); b[len(b) // 2] ^= 1; open("m/topic.svm", "wb").write(b)' ;;
		vt) python3 -c '
b = open("m/topic.svm", "rb").read(); i = b.index(b"\nSV\n") + 4; i = b.index(b"\n", i)
open("m/topic.svm", "wb").write(b[:i] + b"\v" + b[i + 1:])' ;;
		nan) python3 -c '
b = open("m/idf.bin", "rb").read(); open("m/idf.bin", "wb").write(b[:20] + b"\x00\x00\xc0\x7f" + b[24:])' ;;
		esac
		run --separate-stderr "$C" -q -m m -o - in.jsonl
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		grep -Eq "^classify: 'm/(topic.svm|idf.bin)' (is damaged|has [0-9]+ bytes)" <<<"$stderr"
	done
	# A bundle from before checksums.
	rm -rf m
	cp -r "$MODEL" m
	python3 -c '
import json
m = json.load(open("m/manifest.json")); del m["files"]; json.dump(m, open("m/manifest.json", "w"))'
	run --separate-stderr "$C" -q -m m -o - in.jsonl
	[ "$status" -eq 1 ]
	grep -q "no file checksums .*retrain" <<<"$stderr"
}
