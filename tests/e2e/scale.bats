#!/usr/bin/env bats
#
# scale.bats - one run across many machines: classify --part I/N sharing one
# OUT, classify --merge OUT, and the recipes in classify/engines/ under the
# real engines: GNU parallel (one part killed with kill -9 and re-run alone)
# and Slurm (a one-node cluster on loopback that the test starts and stops
# itself: munged, slurmctld and slurmd with a generated slurm.conf).  Every
# merged result is compared with a one-machine run of the same inputs: the
# records of the shards, decompressed in the order a listing of OUT gives,
# must be byte-identical to the one-machine run's.
#
# A model is trained once per file (setup_file); inputs are generated there.
# Each test runs in its own $BATS_TEST_TMPDIR.  Binaries come from $TENOR_BIN.

bats_require_minimum_version 1.5.0

setup_file() {
	local bin="${TENOR_BIN:-$BATS_TEST_DIRNAME/../../bin}"

	TENOR_BIN="$(cd "$bin" && pwd)"
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	ENGINES="$ROOT/classify/engines"
	MODEL="$BATS_FILE_TMPDIR/model"
	export TENOR_BIN ROOT ENGINES MODEL
	"$TENOR_BIN/train" -q -o "$MODEL" --labels topic,tone --char-ngrams off "$ROOT/data/news/train.jsonl"
	# BIGDIR: six files of short labeled documents, long enough for a part to
	# be killed mid-run (fewer under sanitizers); SMALL: 348 real passages in
	# one file (parts by document); SMALLDIR: the same in seven files.
	export BIGDIR="$BATS_FILE_TMPDIR/big" SMALL="$BATS_FILE_TMPDIR/small.jsonl" SMALLDIR="$BATS_FILE_TMPDIR/seven"
	local docs=300000
	[ "${TENOR_SANITIZED:-0}" != 1 ] || docs=60000
	head -n 348 "$ROOT/data/news/test.jsonl" >"$SMALL"
	python3 - "$BIGDIR" "$docs" "$SMALL" "$SMALLDIR" <<'EOF'
import os, sys
big, n, small, seven = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
topics = ["diplomacy", "domestic", "economy", "security"]
words = ["trade", "border", "budget", "envoys", "troops", "election", "tariff", "treaty"]
os.makedirs(big)
for f in range(6):
    with open("%s/f%d.jsonl" % (big, f), "w") as o:
        for i in range(f * n // 6, (f + 1) * n // 6):
            o.write('{"id": "s%06d", "text": "the minister spoke about %s and %s, item %d", "topic": "%s"}\n'
                    % (i, words[i % 8], words[i * 7 % 8], i % 997, topics[i % 4]))
os.makedirs(seven)
lines = open(small).readlines()
for k in range(7):
    open("%s/chunk-%d.jsonl" % (seven, k), "w").writelines(lines[k * 50:(k + 1) * 50])
EOF
}

setup() {
	C="$TENOR_BIN/classify"
	cd "$BATS_TEST_TMPDIR"
	BG_PIDS=
	DAEMON_PIDFILES=
	CLUSTER_DIR=
}

teardown() {
	local p f
	# Background runs of a failed test must not outlive it; nor may its daemons.
	for p in $BG_PIDS; do
		kill -9 "$p" 2>/dev/null || true
	done
	stop_daemons
	[ -z "${CLUSTER_DIR:-}" ] || rm -rf "$CLUSTER_DIR"
	true
}

# The records of a run folder: its shards decompressed in listing order.
records() {
	local f
	for f in "$1"/part-*.jsonl.zst; do
		zstd -dcq "$f"
	done
}

# Waits (up to ~60 s) until the glob $1 matches a file.
wait_for() {
	local i
	for i in $(seq 1 6000); do
		compgen -G "$1" >/dev/null && return 0
		sleep 0.01
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# Runs classify as `run` does, stderr apart.
cl() {
	run --separate-stderr "$C" "$@"
}

py() {
	local code="$1"
	shift
	python3 - "$@" <<EOF
import glob, json, os, sys
def manifest(p): return json.load(open(p))
def check(cond, *msg):
    if not cond:
        print("check failed:", *msg, file=sys.stderr)
        sys.exit(1)
$code
EOF
}

# The merged folder $1 equals the one-machine run in $2: records in listing
# order, counts and evaluation; every shard listed in order; _SUCCESS.
same_as_one_machine() {
	local merged="$1" one="$2"
	[ -f "$merged/_SUCCESS" ]
	cmp <(records "$merged") <(records "$one")
	# The merge writes the run's report (the parts do not); its counts are the run's.
	[ -s "$merged/report.html" ]
	! ls "$merged" | grep -q '^report.html.tmp$'
	py '
m, one = manifest(sys.argv[1] + "/manifest.json"), manifest(sys.argv[2] + "/manifest.json")
check(m["complete"] is True and "merged" in m, "merged and complete")
check(m["counts"] == one["counts"], m["counts"], one["counts"])
check(m["evaluation"] == one["evaluation"], "evaluation")
on_disk = sorted(f for f in os.listdir(sys.argv[1]) if f.startswith("part-"))
check([s["name"] for s in m["shards"]] == on_disk, "the merged manifest lists every shard in listing order")
check(sum(s["documents"] for s in m["shards"]) == one["counts"]["documents"], "shard documents")
' "$merged" "$one"
}

# A classify command that records its pid in $PIDS/I (I of --part I/N) and
# becomes classify: the test can kill one part's process, and no other.
make_pidwrap() {
	mkdir -p pids
	cat >pidwrap <<'EOF'
#!/usr/bin/env bash
prev=
for a; do
	[ "$prev" = --part ] && part=${a%/*}
	prev=$a
done
echo $$ >"$PIDS/${part:-0}"
exec "$@"
EOF
	chmod +x pidwrap
	export PIDS="$PWD/pids"
}

# ---- parts sharing one folder ----

@test "parts share one OUT: names carry the part, a listing sorts in input order, --force of one part touches no other" {
	"$C" -q -m "$MODEL" -o one --shard-docs 20 "$SMALLDIR" 2>/dev/null
	for i in 1 2 3; do
		"$C" -q -m "$MODEL" -o out --shard-docs 20 --part $i/3 "$SMALLDIR" 2>/dev/null
	done
	# Parts 1..3: their own names only, no _SUCCESS (the merge writes it).
	[ -z "$(ls out | grep -v -E '^(part-0000[123]-[0-9]{5}\.jsonl\.zst|manifest-part-0000[123]-of-00003\.json)$')" ]
	[ ! -e out/_SUCCESS ] && [ ! -e out/manifest.json ]
	[ "$(ls out/part-00001-* | wc -l)" -ge 2 ]
	cmp <(records out) <(records one)
	"$C" -q --merge out 2>/dev/null
	same_as_one_machine out one
	# Part 2 again from scratch: the others' files stay as they were; the
	# merge's manifest.json and _SUCCESS go (they would no longer be true).
	others=$(cd out && md5sum part-00001-* part-00003-* manifest-part-00001-* manifest-part-00003-* && ls -i part-00001-* part-00003-*)
	cl -q -m "$MODEL" -o out --shard-docs 20 --part 2/3 "$SMALLDIR"
	[ "$status" -eq 1 ]
	grep -q "'out' holds part 2/3 already: continue it with --resume, or start over with --force" <<<"$stderr"
	cl -q -m "$MODEL" -o out --shard-docs 20 --part 2/3 --force "$SMALLDIR"
	[ "$status" -eq 0 ]
	[ "$(cd out && md5sum part-00001-* part-00003-* manifest-part-00001-* manifest-part-00003-* && ls -i part-00001-* part-00003-*)" = "$others" ]
	[ ! -e out/_SUCCESS ] && [ ! -e out/manifest.json ]
	"$C" -q --merge out 2>/dev/null
	same_as_one_machine out one
}

@test "a part refuses a folder holding parts of another N, a single run's shards, or a file that is not a run's" {
	"$C" -q -m "$MODEL" -o out --part 1/3 "$SMALLDIR" 2>/dev/null
	cl -q -m "$MODEL" -o out --part 1/4 "$SMALLDIR"
	[ "$status" -eq 1 ]
	grep -q "'out' holds 'manifest-part-00001-of-00003.json', a part of a run of 3 parts, not 4: not touching it" <<<"$stderr"
	[ ! -e out/manifest-part-00001-of-00004.json ]
	"$C" -q -m "$MODEL" -o single "$SMALLDIR" 2>/dev/null
	cl -q -m "$MODEL" -o single --part 2/3 "$SMALLDIR"
	[ "$status" -eq 1 ]
	grep -q "'single' holds a manifest.json that is not a merge of parts: not touching it" <<<"$stderr"
	mkdir notes && echo mine >notes/notes.txt
	cl -q -m "$MODEL" -o notes --part 2/3 "$SMALLDIR"
	[ "$status" -eq 1 ]
	grep -q "'notes' holds 'notes.txt' and no classify run: not touching it" <<<"$stderr"
	[ "$(ls -A notes)" = "notes.txt" ]
	# A run without --part in a merged folder would mix its shards with the parts'.
	for i in 2 3; do "$C" -q -m "$MODEL" -o out --part $i/3 "$SMALLDIR" 2>/dev/null; done
	"$C" -q --merge out 2>/dev/null
	cl -q -m "$MODEL" -o out --force "$SMALLDIR"
	[ "$status" -eq 1 ]
	grep -q "'out' holds the merge of a run of 3 parts: re-run a part with --part I/3, or name a new folder" <<<"$stderr"
	[ -e out/_SUCCESS ]
}

@test "merge with a part missing refuses, names it with the command that re-runs it; that command completes the run" {
	"$C" -q -m "$MODEL" -o one "$SMALL" 2>/dev/null
	# By document (one file): part 2 of 3 never ran.
	for i in 1 3; do "$C" -q -m "$MODEL" -o out --part $i/3 --shard-docs 50 "$SMALL" 2>/dev/null; done
	cl --merge out
	[ "$status" -eq 1 ]
	grep -q "^classify: part 2/3: 'manifest-part-00002-of-00003.json' is missing or unreadable" <<<"$stderr"
	grep -q "^classify: cannot merge 'out': 1 of 3 parts is not complete and consistent" <<<"$stderr"
	[ ! -e out/manifest.json ] && [ ! -e out/_SUCCESS ]
	cmd=$(sed -n 's/^classify: part 2\/3: .*; re-run it: //p' <<<"$stderr")
	grep -q -- "--part 2/3" <<<"$cmd"
	grep -q "^cd " <<<"$cmd"
	(cd / && bash -c "$cmd") 2>/dev/null
	cl --merge out
	[ "$status" -eq 0 ]
	grep -q "merged 3 parts in 'out': 348 documents (348 ok, 0 errors)" <<<"$stderr"
	same_as_one_machine out one
	# Idempotent: merging again writes the same manifest.
	sum=$(md5sum out/manifest.json out/_SUCCESS)
	"$C" -q --merge out 2>/dev/null
	[ "$(md5sum out/manifest.json out/_SUCCESS)" = "$sum" ]
}

@test "merge refuses a part run with other options, or with a damaged shard, and says to re-run it with --force" {
	for i in 1 2 3; do "$C" -q -m "$MODEL" -o out --part $i/3 --shard-docs 40 "$SMALLDIR" 2>/dev/null; done
	"$C" -q --merge out 2>/dev/null
	cp -r out saved
	"$C" -q -m "$MODEL" -o out --part 3/3 --shard-docs 40 --all-scores --force "$SMALLDIR" 2>/dev/null
	cl --merge out
	[ "$status" -eq 1 ]
	grep -q "^classify: part 3/3: it was run with other options than the other parts; re-run it: .* --force .*--part 3/3" <<<"$stderr"
	rm -r out && cp -r saved out
	python3 -c 'p = "out/part-00002-00000.jsonl.zst"; b = bytearray(open(p, "rb").read()); b[20] ^= 1; open(p, "wb").write(b)'
	cl --merge out
	[ "$status" -eq 1 ]
	grep -q "^classify: part 2/3: its shard 'part-00002-00000.jsonl.zst' " <<<"$stderr"
	grep -q "the _SUCCESS of an earlier merge removed" <<<"$stderr"
	[ ! -e out/_SUCCESS ]
}

@test "merge sums every number under counts key by key, keeps the earliest start and latest finish, refuses another version" {
	for i in 1 2 3; do "$C" -q -m "$MODEL" -o out --part $i/3 "$SMALLDIR" 2>/dev/null; done
	# What the counts helper adds to a part's manifest (the brief's contract), made up per part.
	py '
for i in (1, 2, 3):
    p = "out/manifest-part-%05d-of-00003.json" % i
    m = manifest(p)
    m["counts"]["heads"] = {"topic": {"diplomacy": i, "economy": 10 * i}, "tone": {"neutral": 100 * i}}
    m["counts"]["abstained"] = {"topic": i}
    m["counts"]["cross"] = {"rows": "topic", "cols": "tone", "table": {"diplomacy": {"neutral": i}}}
    m["started_at"] = "2026-12-02T10:5%d:00Z" % (3 - i)
    m["finished_at"] = "2026-12-02T11:0%d:00Z" % i
    m["tenor_version"] = "9.9"
    json.dump(m, open(p, "w"))
'
	"$C" -q --merge out 2>/dev/null
	py '
m = manifest("out/manifest.json")
c = m["counts"]
check(c["documents"] == 348 and c["ok"] + c["errors"] == 348, c)
check(c["heads"] == {"topic": {"diplomacy": 6, "economy": 60}, "tone": {"neutral": 600}}, c["heads"])
check(c["abstained"] == {"topic": 6}, c["abstained"])
check(c["cross"] == {"rows": "topic", "cols": "tone", "table": {"diplomacy": {"neutral": 6}}}, c["cross"])
check(m["started_at"] == "2026-12-02T10:50:00Z" and m["finished_at"] == "2026-12-02T11:03:00Z", m["started_at"], m["finished_at"])
check(m["tenor_version"] == "9.9", "a value every part shares is kept")
'
	py '
p = "out/manifest-part-00002-of-00003.json"
m = manifest(p)
m["tenor_version"] = "9.8"
json.dump(m, open(p, "w"))
'
	cl --merge out
	[ "$status" -eq 1 ]
	grep -q "^classify: part 2/3: it was run by another version of Tenor than the other parts; re-run it: .* --force" <<<"$stderr"
}

@test "--merge of a folder without parts, or with other arguments, is refused" {
	mkdir empty
	cl --merge empty
	[ "$status" -eq 1 ]
	grep -q "'empty' holds no parts of a run (manifest-part-I-of-N.json" <<<"$stderr"
	cl --merge empty -m "$MODEL" "$SMALL"
	[ "$status" -eq 2 ]
	grep -q -- "--merge OUT takes no model, output, inputs" <<<"$stderr"
}

# ---- GNU parallel ----

# The engines drive the same --part / --merge / --resume code as the tests
# above, which also run under the sanitizers; the engine tests run once, in
# make test.
skip_sanitized() {
	[ "${TENOR_SANITIZED:-0}" != 1 ] || skip "engine test: make test runs it; under the sanitizers the tests above cover its C paths"
}

@test "GNU parallel: 3 parts, one killed with kill -9 mid-run; merge names it; the re-run resumes it alone; equal to one machine" {
	skip_sanitized
	command -v parallel >/dev/null || { echo "GNU parallel is not installed (make deps installs it)" >&2; return 1; }
	make_pidwrap
	"$C" -q -j 1 -m "$MODEL" -o one --shard-docs 5000 "$BIGDIR" 2>/dev/null
	export TENOR_CLASSIFY="$PWD/pidwrap $C" TENOR_THREADS=1
	"$ENGINES/parallel/classify.sh" -n 3 out "$MODEL" --shard-docs 5000 "$BIGDIR" >/dev/null 2>log &
	BG_PIDS=$!
	wait_for 'out/part-00002-00000.jsonl.zst'
	kill -9 "$(cat pids/2)"
	rc=0
	wait "$BG_PIDS" || rc=$?
	BG_PIDS=
	[ "$rc" -eq 1 ]
	grep -q "classify.sh: 1 part(s) of 3 failed (see out.joblog); run the same command again" log
	# Killed mid-run: part 2 kept complete shards and is not finished; the others are.
	py '
for i, done in ((1, True), (2, False), (3, True)):
    m = manifest("out/manifest-part-%05d-of-00003.json" % i)
    check(m["complete"] is done, i, m["complete"])
check(len(manifest("out/manifest-part-00002-of-00003.json")["shards"]) >= 1, "part 2 kept a shard")
'
	# The joblog has part 2 failed (bash reports its child's kill -9 as 128 + 9).
	awk -F'\t' '$1 == 2 { exit !($7 == 137) }' out.joblog
	cl --merge out
	[ "$status" -eq 1 ]
	grep -q "^classify: part 2/3: it did not finish (.*); re-run it: cd .* --resume .*--part 2/3" <<<"$stderr"
	[ ! -e out/_SUCCESS ] && [ ! -e out/manifest.json ]
	kept=$(ls -i out/part-00002-00000.jsonl.zst)
	others=$(cd out && md5sum part-00001-* part-00003-* manifest-part-00001-* manifest-part-00003-*)
	# The same command again: --resume-failed re-runs part 2 alone, then merges.
	rm -f pids/*
	"$ENGINES/parallel/classify.sh" -n 3 out "$MODEL" --shard-docs 5000 "$BIGDIR" >/dev/null 2>log
	# Only part 2 ran again (pids/0 is the merge, which has no --part).
	[ "$(ls pids | tr '\n' ' ')" = "0 2 " ]
	[ "$(awk -F'\t' 'NR > 1 && $1 == 2' out.joblog | wc -l)" -eq 2 ]
	[ "$(awk -F'\t' 'NR > 1' out.joblog | wc -l)" -eq 4 ]
	# Resumed, not restarted: its first shard is the same file.
	[ "$(ls -i out/part-00002-00000.jsonl.zst)" = "$kept" ]
	[ "$(cd out && md5sum part-00001-* part-00003-* manifest-part-00001-* manifest-part-00003-*)" = "$others" ]
	grep -q "classify: merged 3 parts in 'out'" log
	same_as_one_machine out one
	echo "# GNU parallel: 3 parts, part 2 killed (kill -9) and resumed alone; merged output equals the one-machine run" >&3
}

# ---- Slurm ----

# Daemons this test started, by pid file; stopped by teardown.
stop_daemons() {
	local f p i
	for f in $DAEMON_PIDFILES; do
		[ -s "$f" ] || continue
		p=$(cat "$f")
		kill "$p" 2>/dev/null || continue
		for i in $(seq 1 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null || true
	done
	DAEMON_PIDFILES=
}

# Two free TCP ports on loopback.
free_ports() {
	python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))'
}

# Starts munged, slurmctld and slurmd for a one-node cluster in $1; sets
# SLURM_CONF.  Returns 1 with the reason on stderr when a daemon cannot start.
start_cluster() {
	local d="$1" host ports ctl_port d_port i
	if [ "$(id -u)" != 0 ]; then
		echo "needs root: munged runs as user munge, slurmd as root" >&2
		return 1
	fi
	for p in munged mungekey slurmctld slurmd sbatch squeue sinfo; do
		command -v "$p" >/dev/null || { echo "'$p' is not installed (packages munge, slurm-wlm; make deps)" >&2; return 1; }
	done
	id munge >/dev/null 2>&1 || { echo "no user 'munge' (package munge)" >&2; return 1; }
	mkdir -p "$d/state" "$d/spool" "$d/log"
	# munged insists on folders that only its user may write.
	chmod 0755 "$d"
	install -d -m 0755 -o munge -g munge "$d/munge"
	mungekey -c -k "$d/munge/munge.key" -b 1024 2>/dev/null || dd if=/dev/urandom of="$d/munge/munge.key" bs=1 count=1024 2>/dev/null
	chown munge:munge "$d/munge/munge.key"
	chmod 0600 "$d/munge/munge.key"
	DAEMON_PIDFILES="$d/munge/munged.pid"
	runuser -u munge -- munged --key-file="$d/munge/munge.key" --socket="$d/munge/munge.sock" \
		--pid-file="$d/munge/munged.pid" --log-file="$d/munge/munged.log" --seed-file="$d/munge/munged.seed" ||
		{ echo "munged did not start" >&2; cat "$d/munge/munged.log" >&2 2>/dev/null; return 1; }
	host=$(hostname -s)
	read -r ctl_port d_port <<<"$(free_ports)"
	cat >"$d/slurm.conf" <<EOF
ClusterName=tenortest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge/munge.sock
CredType=cred/munge
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=tenor Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
	export SLURM_CONF="$d/slurm.conf"
	DAEMON_PIDFILES="$d/slurmd.pid $d/slurmctld.pid $DAEMON_PIDFILES"
	slurmctld -f "$SLURM_CONF" || { echo "slurmctld did not start:" >&2; tail -n 20 "$d/log/slurmctld.log" >&2; return 1; }
	slurmd -f "$SLURM_CONF" || { echo "slurmd did not start:" >&2; tail -n 20 "$d/log/slurmd.log" >&2; return 1; }
	for i in $(seq 1 600); do
		[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && return 0
		sleep 0.1
	done
	echo "the node never became idle: $(sinfo 2>&1)" >&2
	tail -n 20 "$d/log/slurmctld.log" "$d/log/slurmd.log" >&2
	return 1
}

# Waits (up to $2 s) until the jobs $1 (comma-separated) have left the queue's active states.
wait_jobs() {
	local deadline=$((SECONDS + $2))
	while squeue -h -j "$1" -t PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED 2>/dev/null | grep -q .; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "jobs $1 still active after $2 s:" >&2
			squeue -t all >&2
			return 1
		fi
		sleep 0.5
	done
}

@test "Slurm: a job array of 4 parts and a merge job (afterok) on a one-node cluster equal a one-machine run" {
	skip_sanitized
	local d t0
	t0=$SECONDS
	# Not under $BATS_TEST_TMPDIR: user munge must reach its folder.
	d=$(mktemp -d /tmp/tenor-slurm.XXXXXX)
	CLUSTER_DIR=$d
	# Not in a subshell: the daemons' pid files and SLURM_CONF must reach teardown and sbatch.
	if ! start_cluster "$d" 2>why; then
		stop_daemons
		skip "Slurm cluster cannot start here: $(tr '\n' ' ' <why)"
	fi
	echo "# slurm: one-node cluster up in $((SECONDS - t0)) s" >&3
	"$C" -q -j 1 -m "$MODEL" -o one --shard-docs 40 "$SMALLDIR" 2>/dev/null
	mkdir logs
	export TENOR_CLASSIFY="$C" SBATCH_ARGS="-o $PWD/logs/%x-%A_%a.out"
	read -r array merge < <("$ENGINES/slurm/submit.sh" -n 4 -c 1 -m 100M out "$MODEL" --shard-docs 40 "$SMALLDIR")
	[ -n "$array" ] && [ -n "$merge" ]
	wait_jobs "$array,$merge" 180
	squeue -h -t all -j "$array" -o '%i %T' >tasks
	squeue -h -t all -j "$merge" -o '%T' >merge_state
	cat tasks merge_state logs/* >&2
	# Every task of the array ran and succeeded, then the merge.
	[ "$(grep -c ' COMPLETED$' tasks)" -eq 4 ]
	[ "$(wc -l <tasks)" -eq 4 ]
	[ "$(cat merge_state)" = COMPLETED ]
	# afterok: the merge started after the last task ended (ISO times sort as text).
	last_end=$(for t in $(cut -d' ' -f1 tasks); do scontrol show job "$t" | sed -n 's/.* EndTime=\([^ ]*\).*/\1/p'; done | sort | tail -n 1)
	merge_start=$(scontrol show job "$merge" | sed -n 's/.* StartTime=\([^ ]*\).*/\1/p')
	[[ ! "$merge_start" < "$last_end" ]]
	for i in 1 2 3 4; do [ -f "out/manifest-part-0000$i-of-00004.json" ]; done
	grep -q "classify: merged 4 parts in 'out'" logs/tenor-merge-*
	same_as_one_machine out one
	echo "# slurm: $(grep -c ' COMPLETED$' tasks) array tasks ran (job $array), merge job $merge $(cat merge_state) after them; merged output equals the one-machine run ($((SECONDS - t0)) s)" >&3
}
