#!/usr/bin/env bats
#
# install.bats - make install and make uninstall as a user or a packager runs
# them: into a temporary DESTDIR with a temporary PREFIX, from a build of its
# own (BUILD and BIN under the test's folder, so the tree's build/ and bin/ are
# not touched); the installed tenor classifies the sample with -m news, man -l
# reads every installed page, and make uninstall leaves the tree as it found it.
#
# Needs models/news (make test trains it first; make install would train it).

bats_require_minimum_version 1.5.0

setup_file() {
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	T="$BATS_FILE_TMPDIR"
	DEST="$T/dest"
	PREFIX="$T/prefix"
	# The make that runs the tests must not lend its flags or jobserver.
	unset MAKEFLAGS MFLAGS MAKELEVEL
	MAKE_ARGS=(-C "$ROOT" --no-print-directory BUILD="$T/build" BIN="$T/bin" PREFIX="$PREFIX")
	mkdir "$DEST"
	nice make "${MAKE_ARGS[@]}" DESTDIR="$DEST" install >"$T/install.log" 2>&1 || {
		cat "$T/install.log" >&2
		return 1
	}
	export ROOT T DEST PREFIX
}

setup() {
	unset MAKEFLAGS MFLAGS MAKELEVEL
	MAKE_ARGS=(-C "$ROOT" --no-print-directory BUILD="$T/build" BIN="$T/bin" PREFIX="$PREFIX")
	P="$DEST$PREFIX"
	mkdir "$BATS_TEST_TMPDIR/work" && cd "$BATS_TEST_TMPDIR/work" || return 1
}

# The files under $1, one relative path a line, sorted (folders with a /).
listing() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf '%p/\n' -o -printf '%p\n' \) | LC_ALL=C sort)
}

@test "make install writes the program, three man pages, the news model, README and LICENSE, and nothing else" {
	# Only PREFIX's path under DESTDIR.
	[ "$(ls "$DEST")" = "$(echo "$PREFIX" | cut -d/ -f2)" ]
	run listing "$P"
	expected="./bin/
./bin/tenor
./share/
./share/doc/
./share/doc/tenor/
./share/doc/tenor/LICENSE
./share/doc/tenor/README.md
./share/man/
./share/man/man1/
./share/man/man1/tenor-classify.1
./share/man/man1/tenor-train.1
./share/man/man1/tenor.1
./share/tenor/
./share/tenor/installed-files
./share/tenor/models/
./share/tenor/models/news/"
	for f in $(cd "$ROOT/models/news" && ls); do
		expected="$expected
./share/tenor/models/news/$f"
	done
	[ "$output" = "$(LC_ALL=C sort <<<"$expected")" ] || { diff <(echo "$output") <(LC_ALL=C sort <<<"$expected"); false; }
	# Not the aliases: liblinear's own train would collide with bin/train.
	[ ! -e "$P/bin/train" ] && [ ! -e "$P/bin/classify" ]
	[ -x "$P/bin/tenor" ]
	cmp "$ROOT/models/news/manifest.json" "$P/share/tenor/models/news/manifest.json"
	cmp "$ROOT/LICENSE" "$P/share/doc/tenor/LICENSE"
	# The record names every file it wrote, without DESTDIR.
	grep -qx "file $PREFIX/bin/tenor" "$P/share/tenor/installed-files"
	grep -qx "dir $PREFIX/share/tenor/models/news" "$P/share/tenor/installed-files"
}

@test "the installed tenor classifies the sample with -m news: \$TENOR_MODELS, then the compiled-in PREFIX" {
	run "$P/bin/tenor" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^tenor\ \(Tenor\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	grep -q "PREFIX $PREFIX " <<<"$output"
	# Staged under DESTDIR the model is not where PREFIX says: the error lists
	# where tenor looked.
	run --separate-stderr "$P/bin/tenor" classify -m news -o out "$ROOT/data/sample/news.jsonl"
	[ "$status" -eq 1 ]
	grep -qF "tenor classify: no model 'news': looked at 'news' (No such file or directory), '$PREFIX/share/tenor/models/news' (the installed models)" <<<"$stderr"
	[ ! -e out ]
	# $TENOR_MODELS finds it.
	TENOR_MODELS="$T/none:$P/share/tenor/models" run --separate-stderr "$P/bin/tenor" classify -m news -o out \
		"$ROOT/data/sample/news.jsonl" "$ROOT/data/sample/articles.tar.zst"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	grep -q "^tenor classify: .* documents (.* ok, 0 errors)" <<<"$stderr"
	python3 -c 'import json, sys; m = json.load(open("out/manifest.json")); assert m["model"]["path"] == sys.argv[1], m["model"]' \
		"$P/share/tenor/models/news"
	# The same records as the build tree's classify with models/news.
	"$T/bin/classify" -q -m "$ROOT/models/news" -o - "$ROOT/data/sample/news.jsonl" "$ROOT/data/sample/articles.tar.zst" \
		>expected.jsonl 2>/dev/null
	[ "$(wc -l <expected.jsonl)" -gt 100 ]
	diff <(zstdcat out/part-*.jsonl.zst) expected.jsonl
	# Moved to PREFIX, as a package would be, it finds its model with no
	# variable, from any folder.
	cp -a "$P/." "$PREFIX/"
	run --separate-stderr env -u TENOR_MODELS "$PREFIX/bin/tenor" classify -q -m news -o - "$ROOT/data/sample/news.jsonl"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	diff <(echo "$output") <(head -n "${#lines[@]}" expected.jsonl)
	rm -rf "${PREFIX:?}"
}

@test "man -l reads every installed page: its name, synopsis and every option of --help" {
	local page cmd help opt
	for page in tenor tenor-train tenor-classify; do
		cmd=${page/-/ }
		run env LC_ALL=C MANWIDTH=200 man -l "$P/share/man/man1/$page.1"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -gt 20 ]
		man="$output"
		grep -q "^NAME" <<<"$man"
		grep -qE "^ +$page - [a-z]" <<<"$man"
		grep -qE "^ +$cmd " <<<"$(sed -n '/^SYNOPSIS/,/^[A-Z]/p' <<<"$man")"
		grep -q "^OPTIONS" <<<"$man"
		if [ "$page" = tenor ]; then
			help=$("$P/bin/tenor" --help)
		else
			help=$("$P/bin/tenor" "${page#tenor-}" --help)
		fi
		for opt in $(grep -oE -- '(^| )--[a-z][a-z-]+' <<<"$help" | tr -d ' ' | sort -u); do
			grep -q -- "$opt" <<<"$man" || { echo "$page.1 lacks $opt"; false; }
		done
	done
	# The command pages document the options themselves, not only name them.
	grep -qE '^ +-m, --model MODEL' <<<"$(LC_ALL=C MANWIDTH=200 man -l "$P/share/man/man1/tenor-classify.1")"
	grep -qE '^ +-o, --output DIR' <<<"$(LC_ALL=C MANWIDTH=200 man -l "$P/share/man/man1/tenor-train.1")"
}

@test "make uninstall removes exactly what make install put there; files of others and folders it did not create stay" {
	# A second tree that already holds a PREFIX with another program and a man1 folder.
	local d2="$T/dest2" before
	mkdir -p "$d2$PREFIX/bin" "$d2$PREFIX/share/man/man1"
	echo other >"$d2$PREFIX/bin/other"
	before=$(listing "$d2")
	make "${MAKE_ARGS[@]}" DESTDIR="$d2" install >/dev/null
	[ -x "$d2$PREFIX/bin/tenor" ]
	# A reinstall over it changes nothing of that.
	make "${MAKE_ARGS[@]}" DESTDIR="$d2" install >/dev/null
	run make "${MAKE_ARGS[@]}" DESTDIR="$d2" uninstall
	[ "$status" -eq 0 ]
	# The program, three pages, README, LICENSE and the model's files.
	grep -q "make uninstall: removed $((6 + $(ls "$ROOT/models/news" | wc -l))) files" <<<"$output"
	[ "$(listing "$d2")" = "$before" ] || { diff <(echo "$before") <(listing "$d2"); false; }
	[ "$(cat "$d2$PREFIX/bin/other")" = other ]
	# The first tree: nothing left under DESTDIR at all.
	run make "${MAKE_ARGS[@]}" DESTDIR="$DEST" uninstall
	[ "$status" -eq 0 ]
	[ -z "$(listing "$DEST")" ] || { listing "$DEST"; false; }
	# Nothing recorded, nothing removed: uninstall says so and fails.
	run make "${MAKE_ARGS[@]}" DESTDIR="$DEST" uninstall
	[ "$status" -ne 0 ]
	grep -q "no record of an install" <<<"$output"
}

@test "plain make and make build install no package; make deps does" {
	local goal
	for goal in "" build all; do
		run make -n "${MAKE_ARGS[@]}" BUILD="$T/b2" BIN="$T/b2bin" $goal
		[ "$status" -eq 0 ]
		grep -q -- '-c lib/cli.c' <<<"$output"   # it would build
		! grep -qE 'apt-get|dpkg-query' <<<"$output"
	done
	run make -n "${MAKE_ARGS[@]}" deps
	grep -q 'apt-get install' <<<"$output"
	# run, test, asan, fuzz and bench start with deps.
	for goal in run test asan fuzz bench; do
		run make -n "${MAKE_ARGS[@]}" "$goal"
		grep -q 'apt-get install' <<<"$output" || { echo "make $goal does not call deps"; false; }
	done
}
