#!/usr/bin/env bash
#
# classify.sh [-n N] [-j JOBS] [-S SSHLOGINS] [-l JOBLOG] OUT MODEL
#             [classify options] INPUT...
#
# A classify run in N parts with GNU parallel, on this machine or on ssh hosts
# that share OUT (and see MODEL and the inputs at the same paths), then
# classify --merge OUT.  Part I runs classify --part I/N -o OUT, always with
# --resume: a first run starts it, a re-run continues it after its last
# complete shard.  The job log (-l, default OUT.joblog beside OUT) records
# each part's exit; run the same command again after a failure and
# --resume-failed re-runs only the parts that failed or never ran, then
# merges.  classify's exit 3 (done, some documents are error records, one
# record each) counts as success for a part and is this script's exit status
# when the merge says so.
#
#   -n N          parts  [4]
#   -j JOBS       parts running at once per host  [N locally; 1 per ssh host]
#   -S SSHLOGINS  GNU parallel --sshlogin: "host1,host2,:" (":" is this machine)
#   -l JOBLOG     GNU parallel --joblog  [OUT.joblog]
#
# TENOR_CLASSIFY is the classify command, split on spaces (default
# "tenor classify"); on ssh hosts it must name the program there.
# TENOR_THREADS sets classify -j per part (default: all cores of its host).
set -u

n=4 jobs= sshlogin= joblog=
while getopts "n:j:S:l:" opt; do
	case $opt in
	n) n=$OPTARG ;;
	j) jobs=$OPTARG ;;
	S) sshlogin=$OPTARG ;;
	l) joblog=$OPTARG ;;
	*) echo "usage: classify.sh [-n N] [-j JOBS] [-S SSHLOGINS] [-l JOBLOG] OUT MODEL [options] INPUT..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -lt 3 ]; then
	echo "usage: classify.sh [-n N] [-j JOBS] [-S SSHLOGINS] [-l JOBLOG] OUT MODEL [options] INPUT..." >&2
	exit 2
fi
out=$1 model=$2
shift 2
command -v parallel >/dev/null 2>&1 || { echo "classify.sh: GNU parallel is not installed" >&2; exit 1; }
joblog=${joblog:-${out%/}.joblog}
export TENOR_CLASSIFY=${TENOR_CLASSIFY:-tenor classify}
remote=()
if [ -n "$sshlogin" ]; then
	remote=(--sshlogin "$sshlogin" --workdir . --env TENOR_CLASSIFY --env TENOR_THREADS)
	jobs=${jobs:-1}
fi

# One part, its number in $1; exit 3 of classify is success to the engine.
part='p=$1; shift; $TENOR_CLASSIFY -q ${TENOR_THREADS:+-j $TENOR_THREADS} --resume --part "$p/'"$n"'" "$@";'\
' rc=$?; [ $rc -eq 3 ] && rc=0; exit $rc'
# -q: every argument reaches bash as it is, on this machine or over ssh.
seq 1 "$n" | parallel -q --joblog "$joblog" --resume-failed -j "${jobs:-$n}" "${remote[@]}" \
	bash -c "$part" classify-part {} -m "$model" -o "$out" "$@"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "classify.sh: $rc part(s) of $n failed (see $joblog); run the same command again to re-run only those" >&2
	exit 1
fi
read -r -a merge <<<"$TENOR_CLASSIFY"
"${merge[@]}" --merge "$out"
