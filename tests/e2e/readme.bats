#!/usr/bin/env bats
#
# readme.bats - README.md stays true: every command example of it (a line
# starting with "$ " in a fenced block) runs, in order, in a fresh folder, and
# prints what the README shows under it (tests/e2e/readme_examples.py says how).

bats_require_minimum_version 1.5.0

setup() {
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	BIN="${TENOR_BIN:-$ROOT/bin}"
	RUNNER="$BATS_TEST_DIRNAME/readme_examples.py"
	mkdir "$BATS_TEST_TMPDIR/work" && cd "$BATS_TEST_TMPDIR/work" || return 1
}

@test "every \$ example of README.md runs and prints what the README shows" {
	run python3 "$RUNNER" "$ROOT/README.md" "$ROOT" "$BIN" "$PWD"
	echo "$output"
	[ "$status" -eq 0 ]
	# The usage sections' examples are there to be checked (a README that lost
	# its "$ " lines would pass with none).
	n=$(grep -c '^ok ' <<<"$output")
	[ "$n" -ge 8 ]
	grep -q '^ok .*: tenor classify -m news ' <<<"$output"
	grep -q '^ok .*: tenor train ' <<<"$output"
}

@test "the example runner fails on an example that fails or prints something else" {
	cat >README.md <<'MD'
Text with `$ not an example`.

```sh
$ echo one; echo two
one
two
$ printf 'a\nb\nc\nd\n'
a
...
d
$ false
$ echo three
four
$ ls does-not-exist | cat
```
```json
{"not": "run"}
```
MD
	run python3 "$RUNNER" README.md "$ROOT" "$BIN" "$PWD/w"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qx 'ok 1 line 4: echo one; echo two' <<<"$output"
	grep -qx 'ok 2 line 7: printf .a\\nb\\nc\\nd\\n.' <<<"$output"
	grep -qx 'not ok 3 line 11: false' <<<"$output"
	grep -qx 'not ok 4 line 12: echo three' <<<"$output"
	grep -qx '  printed something else' <<<"$output"
	# A pipeline's status is its last command's.
	grep -qx 'ok 5 line 14: ls does-not-exist | cat' <<<"$output"
	grep -qx '5 examples, 2 failed' <<<"$output"
	# Examples run in WORK, with the tree's programs first on PATH.
	printf '```\n$ command -v tenor\n%s\n$ readlink models/news\n%s\n```\n' "$BIN/tenor" "$ROOT/models/news" >README.md
	run python3 "$RUNNER" README.md "$ROOT" "$BIN" "$PWD/w2"
	echo "$output"
	[ "$status" -eq 0 ]
}
