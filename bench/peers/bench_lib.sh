# shellcheck shell=bash
# bench/peers/bench_lib.sh - shell functions shared by bench/run.sh and
# bench/train.sh (sourced, not run).  The caller sets T0 (start time, seconds),
# NAME (message prefix) and NOTES (a file the notes are appended to), and
# runs from the top of the repository.

say() { printf '%s: [%4ds] %s\n' "$NAME" $(($(date +%s) - T0)) "$*" >&2; }
die() { printf '%s: %s\n' "$NAME" "$*" >&2; exit 1; }
note() { printf '%s\n' "$*" >>"$NOTES"; say "note: $*"; }
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# digest FILE...: a short SHA-256 over the files' contents, for cache keys.
digest() { sha256sum "$@" | sha256sum | cut -c1-16; }

# fetch_corpora LOGDIR: runs the data/fetch/ scripts whose output is missing.
fetch_corpora() {
	if [ ! -s data/external/reuters/grain-train.jsonl ] || [ ! -s data/external/reuters/grain-test.jsonl ]; then
		say "fetching Reuters-21578 (data/fetch/reuters.py)"
		python3 data/fetch/reuters.py >"$1/fetch-reuters.log" 2>&1 \
			|| die "data/fetch/reuters.py failed: see $1/fetch-reuters.log"
	fi
	if [ ! -s data/external/spam/train.jsonl ] || [ ! -s data/external/spam/test.jsonl ]; then
		[ -f data/fetch/spamassassin.py ] || die "data/fetch/spamassassin.py is missing"
		say "fetching SpamAssassin (data/fetch/spamassassin.py)"
		python3 data/fetch/spamassassin.py >"$1/fetch-spam.log" 2>&1 \
			|| die "data/fetch/spamassassin.py failed: see $1/fetch-spam.log"
	fi
}

# sklearn_python: prints the first python3 that imports sklearn (Debian's
# python3-sklearn lives in /usr/bin/python3, which another python3 earlier
# in PATH may hide), or nothing.
sklearn_python() {
	local py
	for py in python3 /usr/bin/python3; do
		if command -v "$py" >/dev/null && "$py" -c 'import sklearn' 2>/dev/null; then
			command -v "$py"
			return 0
		fi
	done
}

# lock_work: one make bench or make bench-train at a time.  Two at once
# would share bench/work/ and, worse, each other's cores: the lock is held
# (flock on fd 9) until the script exits.
lock_work() {
	mkdir -p bench/work
	exec 9>bench/work/.lock
	command -v flock >/dev/null || return 0
	flock -n 9 || die "another make bench or make bench-train is running (bench/work/.lock is held)"
}

# check_tools: what both scripts need.
check_tools() {
	local b
	for b in bin/train bin/classify; do
		[ -x "$b" ] || die "'$b' is missing: run make build first"
	done
	command -v zstd >/dev/null || die "zstd not found: run make deps"
	command -v python3 >/dev/null || die "python3 not found: run make deps"
	[ -x /usr/bin/time ] || die "/usr/bin/time not found (peak RSS needs it): apt-get install time"
}
