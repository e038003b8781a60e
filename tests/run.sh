#!/usr/bin/env bash
#
# tests/run.sh - the one test runner behind `make test` and `make asan`.
#
# Runs every unit test binary in $TENOR_UNIT (CMOCKA_MESSAGE_OUTPUT=TAP) and
# every tests/e2e/*.bats (bats --tap) against the programs in $TENOR_BIN,
# echoes their output, counts passed and failed tests over all of them and ends
# with exactly one line "N passed, N failed".  A binary that crashes, times out
# or exits non-zero without reporting a failed test (an AddressSanitizer leak
# report at exit, say) counts as one more failure, and so does every test its
# plan announced but never reported.  Exit status 1 if anything failed or
# nothing ran.
#
# Environment: TENOR_BIN (folder with train and classify), TENOR_UNIT (folder
# with the test_* binaries), TENOR_SANITIZED=1 under the sanitizers (tests may
# then skip what is too slow), TENOR_TEST_TIMEOUT (seconds per binary or bats
# file, default 900), TENOR_TEST_JOBS (suites run at once, default 2).
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
export TENOR_BIN="${TENOR_BIN:-$root/bin}"
export TENOR_UNIT="${TENOR_UNIT:-$root/build/tests}"
export TENOR_DATA="$root/tests/data"
export TENOR_SANITIZED="${TENOR_SANITIZED:-0}"
export CMOCKA_MESSAGE_OUTPUT=TAP
timeout_s="${TENOR_TEST_TIMEOUT:-900}"

passed=0
failed=0
skipped=0
failures=()
work=$(mktemp -d "${TMPDIR:-/tmp}/tenor-run.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# Counts the TAP results in log $3 for the suite named $1 that exited with $2.
tally() {
	local name=$1 status=$2 log=$3 counts p f s plan seen missing
	counts=$(awk '
		/^1\.\.[0-9]+/ { sub(/^1\.\./, ""); plan = $0 + 0; next }
		/^(not )?ok([ \t]|$)/ {
			seen++
			if ($0 ~ /#[ \t]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])/) s++
			else if ($0 ~ /^ok/) p++
			else f++
		}
		END { printf "%d %d %d %d %d\n", p, f, s, plan, seen }' "$log")
	read -r p f s plan seen <<<"$counts"
	while IFS= read -r line; do
		failures+=("$name: $line")
	done < <(grep -E '^not ok' "$log" | grep -viE '#[[:space:]]*(skip|todo)')
	missing=0
	if [ "$seen" -lt "$plan" ]; then
		missing=$((plan - seen))
		failures+=("$name: $missing planned test(s) never reported (exit status $status)")
	fi
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ] && [ "$missing" -eq 0 ]; then
		missing=1
		if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
			failures+=("$name: timed out after ${timeout_s}s")
		elif [ "$status" -gt 128 ]; then
			failures+=("$name: killed by signal $((status - 128))")
		else
			failures+=("$name: exited with status $status although no test failed")
		fi
	fi
	if [ "$seen" -eq 0 ] && [ "$missing" -eq 0 ]; then
		missing=1
		failures+=("$name: reported no test at all")
	fi
	passed=$((passed + p))
	failed=$((failed + f + missing))
	skipped=$((skipped + s))
}

# The suites run TENOR_TEST_JOBS at a time (default 2; 1: one after the
# other), each into its own log; a suite's log is echoed and tallied, whole,
# when it ends.  The longest suites start first.  Each suite's wall time goes
# to $times, the slowest listed at the end.
jobs_max="${TENOR_TEST_JOBS:-2}"
case $jobs_max in ''|*[!0-9]*|0) jobs_max=1 ;; esac
names=()   # e2e/FILE.bats (run by bats) or unit/test_NAME (a binary in $TENOR_UNIT)
times=()

start_suite() {
	local i=$1 cmd
	case ${names[$i]} in
	e2e/*) cmd=(bats --tap "tests/${names[$i]}") ;;
	*) cmd=("$TENOR_UNIT/${names[$i]#unit/}") ;;
	esac
	(
		t0=$SECONDS
		timeout -k 10 "$timeout_s" "${cmd[@]}" >"$work/$i.log" 2>&1
		status=$?
		echo "$status $((SECONDS - t0))" >"$work/$i.tmp" && mv "$work/$i.tmp" "$work/$i.done"
	) &
}

# Echoes and tallies every finished suite not reported yet.
reported=()
report_done() {
	local i status secs
	for i in "${!names[@]}"; do
		[ -z "${reported[$i]:-}" ] && [ -f "$work/$i.done" ] || continue
		reported[$i]=1
		read -r status secs <"$work/$i.done"
		echo "# --- ${names[$i]}"
		cat "$work/$i.log"
		tally "${names[$i]}" "$status" "$work/$i.log"
		times+=("$secs ${names[$i]}")
	done
}

shopt -s nullglob
bats_files=(tests/e2e/*.bats)
have_bats=1
if ! command -v bats >/dev/null 2>&1; then
	failures+=("bats is not installed: ${#bats_files[@]} end-to-end file(s) not run")
	failed=$((failed + 1))
	have_bats=0
fi
# The slowest end-to-end files first (measured), then the rest and the units.
if [ "$have_bats" = 1 ]; then
	slow=" train.bats classify.bats counts.bats "
	for b in $slow; do
		[ -f "tests/e2e/$b" ] && names+=("e2e/$b")
	done
	for b in "${bats_files[@]}"; do
		[[ $slow == *" ${b##*/} "* ]] || names+=("e2e/${b##*/}")
	done
fi
units=("$TENOR_UNIT"/test_*)
nunits=0
for t in "${units[@]}"; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	names+=("unit/${t##*/}")
	nunits=$((nunits + 1))
done
if [ "$nunits" -eq 0 ]; then
	failures+=("no unit test binaries in '$TENOR_UNIT'")
	failed=$((failed + 1))
fi

running=0
for i in "${!names[@]}"; do
	while [ "$running" -ge "$jobs_max" ]; do
		wait -n
		running=$((running - 1))
		report_done
	done
	start_suite "$i"
	running=$((running + 1))
done
wait
report_done

echo "#"
echo "# slowest suites (wall seconds):"
printf '%s\n' "${times[@]}" | sort -rn | head -n 6 | sed 's/^/#   /'
if [ ${#failures[@]} -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failures[@]}"
fi
[ "$skipped" -gt 0 ] && echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
