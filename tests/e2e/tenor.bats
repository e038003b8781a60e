#!/usr/bin/env bats
#
# tenor.bats - the tenor program: its subcommands and their aliases
# (bin/train, bin/classify), help, --version in every form, the messages'
# prefixes, an unknown option or command with the nearest one suggested, and
# a missing file named with the reason.
#
# TENOR_BIN names the folder with tenor, train and classify (tests/run.sh).

bats_require_minimum_version 1.5.0

setup() {
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	BIN="${TENOR_BIN:-$ROOT/bin}"
	DATA="$ROOT/tests/data"
	mkdir "$BATS_TEST_TMPDIR/work" && cd "$BATS_TEST_TMPDIR/work" || return 1
}

@test "tenor --help, -h and tenor help list the subcommands; no command is a usage error" {
	run --separate-stderr "$BIN/tenor" --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	help="$output"
	[[ "${lines[0]}" == "Usage: tenor COMMAND [options] [ARG...]" ]]
	grep -qE '^  train +turn a labeled corpus' <<<"$help"
	grep -qE '^  classify +tag documents' <<<"$help"
	grep -qE '^  help \[COMMAND\] ' <<<"$help"
	run "$BIN/tenor" -h
	[ "$output" = "$help" ]
	run "$BIN/tenor" help
	[ "$status" -eq 0 ]
	[ "$output" = "$help" ]
	run --separate-stderr "$BIN/tenor"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "$help" ]
}

@test "tenor help COMMAND is tenor COMMAND --help, and bin/COMMAND --help the same text under its own name" {
	local cmd
	for cmd in train classify; do
		run --separate-stderr "$BIN/tenor" help "$cmd"
		[ "$status" -eq 0 ]
		help="$output"
		[[ "${lines[0]}" == "Usage: tenor $cmd "* ]]
		run "$BIN/tenor" "$cmd" --help
		[ "$output" = "$help" ]
		run "$BIN/$cmd" --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: $cmd "* ]]
		# The synopsis lines (Usage: and the indented forms under it) name the program as called.
		[ "$(sed -E "s/^(Usage: |       )$cmd /\\1tenor $cmd /" <<<"$output")" = "$help" ]
	done
	run --separate-stderr "$BIN/tenor" help clasify
	[ "$status" -eq 2 ]
	[[ "$stderr" == "tenor: unknown command 'clasify'; did you mean classify?"* ]]
}

@test "--version in every form: the version, the libraries and the build" {
	local v
	for v in "tenor --version" "tenor -V" "tenor version" "tenor train --version" "tenor classify -V" \
		"train --version" "classify --version"; do
		set -- $v
		run --separate-stderr "$BIN/$1" "${@:2}"
		[ "$status" -eq 0 ] || { echo "$v: $status"; false; }
		[ -z "$stderr" ]
		case "$v" in
		"tenor train"*) name="tenor train" ;;
		"tenor classify"*) name="tenor classify" ;;
		*) name=$1 ;;
		esac
		[[ "${lines[0]}" =~ ^$name\ \(Tenor\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "$v: ${lines[0]}"; false; }
		# Every library with a version number, as the libraries report it.
		for lib in "libsvm [0-9]+\.[0-9]+" "liblinear [0-9]+\.[0-9]+" "zstd [0-9]+\.[0-9]+\.[0-9]+" \
			"libarchive [0-9]+\.[0-9]+" "jansson [0-9]+\.[0-9]+" "cJSON [0-9]+\.[0-9]+" \
			"utf8proc [0-9]+\.[0-9]+" "xxhash [0-9]+\.[0-9]+\.[0-9]+"; do
			grep -qE "$lib" <<<"$output" || { echo "$v: no '$lib' in: $output"; false; }
		done
		grep -qE '^  compiler [a-z]+ [0-9]' <<<"$output"
		grep -qE '^  CFLAGS .*-std=c11' <<<"$output"
		grep -qE '^  LDFLAGS ' <<<"$output"
		grep -qE '^  PREFIX /' <<<"$output"
		grep -q 'BSD-3-Clause' <<<"$output"
	done
	# The run-time zstd is the one zstd(1) of the same package reports.
	zstd_v=$(zstd --version | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | tr -d v)
	grep -q "zstd $zstd_v" <<<"$("$BIN/tenor" --version)"
}

@test "messages carry the name the command was called by" {
	run --separate-stderr "$BIN/tenor" classify -o out "$DATA/mini-test.jsonl"
	[ "$status" -eq 2 ]
	[ "$stderr" = "tenor classify: no model: name a bundle with -m DIR (e.g. models/news)
try 'tenor classify --help'" ]
	run --separate-stderr "$BIN/classify" -o out "$DATA/mini-test.jsonl"
	[ "$status" -eq 2 ]
	[ "$stderr" = "classify: no model: name a bundle with -m DIR (e.g. models/news)
try 'classify --help'" ]
	run --separate-stderr "$BIN/tenor" train -q -o model --cv 2 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	run --separate-stderr "$BIN/tenor" classify -m model -o - "$DATA/mini-test.jsonl"
	[ "$status" -eq 0 ]
	# Every line of stderr (summary, evaluation aside) starts with the prefix.
	grep -q "^tenor classify: [0-9]* documents" <<<"$stderr"
	! grep -qE '^classify:' <<<"$stderr"
	run --separate-stderr "$BIN/tenor" train -o model2 "$DATA/mini.jsonl"
	[ "$status" -eq 0 ]
	grep -q "^tenor train: read " <<<"$stderr"
	grep -q "^tenor train: wrote 'model2'" <<<"$stderr"
	! grep -qE '^train:' <<<"$stderr"
}

@test "an unknown option suggests the nearest long option, with the command's prefix" {
	run --separate-stderr "$BIN/tenor" classify --modle x -o - "$DATA/mini-test.jsonl"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "tenor classify: unknown option '--modle'; did you mean --model?
try 'tenor classify --help'" ]
	run --separate-stderr "$BIN/classify" --outptu=x
	[ "$status" -eq 2 ]
	[[ "$stderr" == "classify: unknown option '--outptu'; did you mean --output?"* ]]
	run --separate-stderr "$BIN/tenor" train --lables topic -o m "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "tenor train: unknown option '--lables'; did you mean --labels?"* ]]
	[ ! -e m ]
	# Nothing near: no guess.
	run --separate-stderr "$BIN/tenor" train --frobnicate -o m "$DATA/mini.jsonl"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "tenor train: unknown option '--frobnicate'"$'\n'* ]]
	# The other refusals, worded alike.
	run --separate-stderr "$BIN/tenor" classify -o - -m
	[ "$status" -eq 2 ]
	[[ "$stderr" == "tenor classify: option '-m' needs an argument"* ]]
	run --separate-stderr "$BIN/tenor" classify --quiet=yes
	[[ "$stderr" == "tenor classify: option '--quiet' takes no argument"* ]]
	run --separate-stderr "$BIN/tenor" classify -Z
	[[ "$stderr" == "tenor classify: unknown option '-Z'"* ]]
	# tenor's own options and commands.
	run --separate-stderr "$BIN/tenor" --verison
	[ "$status" -eq 2 ]
	[[ "$stderr" == "tenor: unknown option '--verison'; did you mean --version?"* ]]
	run --separate-stderr "$BIN/tenor" trian -o m
	[ "$status" -eq 2 ]
	[[ "$stderr" == "tenor: unknown command 'trian'; did you mean train?"* ]]
	run --separate-stderr "$BIN/tenor" frobnicate
	[ "$stderr" = "tenor: unknown command 'frobnicate'
try 'tenor --help'" ]
}

@test "a missing file is named with the reason" {
	run --separate-stderr "$BIN/tenor" classify -m "$ROOT/tests/data" -o - no-such.jsonl
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"'$ROOT/tests/data' is not a model bundle"* ]]
	"$BIN/train" -q -o model "$DATA/mini.jsonl"
	run --separate-stderr "$BIN/tenor" classify -m model -o out no-such.jsonl
	[ "$status" -eq 1 ]
	grep -qx "tenor classify: cannot read input 'no-such.jsonl': No such file or directory" <<<"$stderr"
	run --separate-stderr "$BIN/tenor" classify -m ./no-model -o out "$DATA/mini-test.jsonl"
	[ "$status" -eq 1 ]
	grep -qx "tenor classify: no model bundle at './no-model': No such file or directory" <<<"$stderr"
	[ ! -e out ]
	run --separate-stderr "$BIN/tenor" train -o m2 no-such.jsonl
	[ "$status" -eq 1 ]
	grep -qx "tenor train: open 'no-such.jsonl': No such file or directory" <<<"$stderr"
	# A --test file that is not there stops train before it trains.
	run --separate-stderr "$BIN/tenor" train -o m2 --test no-such.jsonl "$DATA/mini.jsonl"
	[ "$status" -eq 1 ]
	grep -qx "tenor train: cannot read --test file 'no-such.jsonl': No such file or directory" <<<"$stderr"
	! grep -q "read .* documents" <<<"$stderr"
	[ ! -e m2 ]
}

@test "-m NAME: a folder that exists wins, then \$TENOR_MODELS, and the error lists where it looked" {
	"$BIN/train" -q -o models/mini "$DATA/mini.jsonl"
	mkdir elsewhere
	# By name through $TENOR_MODELS (a list; empty entries skipped).
	TENOR_MODELS="$PWD/elsewhere::$PWD/models" run --separate-stderr "$BIN/tenor" classify -q -m mini -o - "$DATA/mini-test.jsonl"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	expected="$output"
	[ "$(wc -l <<<"$expected")" -eq "$(wc -l <"$DATA/mini-test.jsonl")" ]
	# A folder named like that here wins over $TENOR_MODELS.
	"$BIN/train" -q -o mini -l topic "$DATA/mini.jsonl"
	TENOR_MODELS="$PWD/models" run --separate-stderr "$BIN/tenor" classify -q -m mini -o out "$DATA/mini-test.jsonl"
	[ "$status" -eq 0 ]
	python3 -c 'import json; m = json.load(open("out/manifest.json")); assert m["model"]["path"] == "mini", m["model"]'
	rm -rf mini out
	# Nowhere: every place, and the reason for the name itself.
	TENOR_MODELS="$PWD/elsewhere" run --separate-stderr "$BIN/tenor" classify -m mini -o out "$DATA/mini-test.jsonl"
	[ "$status" -eq 1 ]
	prefix=$("$BIN/tenor" --version | sed -n 's/^  PREFIX \([^ ]*\) .*/\1/p')
	[ "$stderr" = "tenor classify: no model 'mini': looked at 'mini' (No such file or directory), '$PWD/elsewhere/mini' (\$TENOR_MODELS), '$prefix/share/tenor/models/mini' (the installed models)" ]
	[ ! -e out ]
}
