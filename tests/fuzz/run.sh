#!/usr/bin/env bash
#
# tests/fuzz/run.sh - runs every libFuzzer harness in $FUZZ_BIN (make fuzz).
#
# For each harness NAME: first the saved crashes in tests/fuzz/regress/NAME/
# and the seeds in tests/fuzz/corpus/NAME/ are replayed once, then libFuzzer
# runs for $FUZZ_SECONDS (default 60) from the seeds, writing new inputs to
# build/fuzz/work/NAME/ (not committed).  A crash's input is saved as
# build/fuzz/artifacts/NAME-crash-*; copy it to tests/fuzz/regress/NAME/ when
# fixed, so that make fuzz and the unit test test_fuzz replay it for good.
# Prints one line per harness with its executions; exit 1 if any crashed.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
bin="${FUZZ_BIN:-$root/build/fuzz}"
secs="${FUZZ_SECONDS:-60}"
names="${FUZZERS:-corpus input record bundle}"
out="$root/build/fuzz"
mkdir -p "$out/artifacts"
failed=0
summary=()
# The harnesses write each input to a file: in memory, they run several times faster.
[ -z "${FUZZ_TMPDIR:-}" ] && [ -w /dev/shm ] && FUZZ_TMPDIR=/dev/shm
export TMPDIR="${FUZZ_TMPDIR:-${TMPDIR:-/tmp}}"
# A single allocation over 2 GiB fails (returns NULL), as under a memory limit,
# instead of being reported: libarchive's 7-Zip reader asks calloc for sizes
# read from the header (7 GB for the 76 bytes of
# tests/fuzz/regress/input/7z-header-7gb-calloc), which outside the sanitizer
# costs nothing (the pages are never touched) and then fails cleanly.  What
# the code does with the NULL is still checked; memory actually used still
# counts against -rss_limit_mb.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=2048}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for name in $names; do
	exe="$bin/fuzz_$name"
	work="$out/work/$name"
	log="$out/fuzz_$name.log"
	mkdir -p "$work"
	replay=()
	for d in tests/fuzz/regress/$name tests/fuzz/corpus/$name; do
		[ -d "$d" ] && replay+=("$d"/*)
	done
	if [ ${#replay[@]} -gt 0 ] && ! "$exe" -runs=1 "${replay[@]}" >"$log" 2>&1; then
		tail -40 "$log"
		summary+=("fuzz_$name: a seed or saved crash fails (see $log)")
		failed=1
		continue
	fi
	"$exe" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$name-" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
	status=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
	if [ "$status" -ne 0 ]; then
		tail -60 "$log"
		summary+=("fuzz_$name: CRASH after ${execs:-?} executions; input saved as $(ls -t "$out"/artifacts/"$name"-* 2>/dev/null | head -1)")
		failed=1
	else
		summary+=("fuzz_$name: ${execs:-?} executions in ${secs} s, no crash")
	fi
done
printf '%s\n' "${summary[@]}"
exit $failed
