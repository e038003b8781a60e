#!/usr/bin/env bash
#
# submit.sh [-n N] [-c CPUS] [-m MEM] [-t TIME] OUT MODEL [classify options] INPUT...
#
# Submits a classify run as a Slurm job array of N tasks (classify.sbatch:
# task I runs --part I/N -o OUT) and a merge job (merge.sbatch: classify
# --merge OUT) with --dependency=afterok on the array, so that the merge
# starts when every task has succeeded.  Prints "ARRAY_ID MERGE_ID" on
# stdout.  Defaults: N=4 tasks of 4 CPUs and 2G each.  More sbatch arguments
# (partition, account, log files) come from SBATCH_ARGS, split on spaces:
#   SBATCH_ARGS="-p batch -A proj -o logs/%x-%A_%a.out" submit.sh -n 16 /shared/out models/news /shared/in
# TENOR_CLASSIFY (default "tenor classify") reaches the jobs through sbatch's
# environment.  Slurm writes the jobs' logs in the current folder unless told
# otherwise: keep them out of OUT, which holds only the run's files.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
n=4 cpus=4 mem=2G time=
while getopts "n:c:m:t:" opt; do
	case $opt in
	n) n=$OPTARG ;;
	c) cpus=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) time=$OPTARG ;;
	*) echo "usage: submit.sh [-n N] [-c CPUS] [-m MEM] [-t TIME] OUT MODEL [classify options] INPUT..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -lt 3 ]; then
	echo "usage: submit.sh [-n N] [-c CPUS] [-m MEM] [-t TIME] OUT MODEL [classify options] INPUT..." >&2
	exit 2
fi
out=$1
read -r -a extra <<<"${SBATCH_ARGS:-}"
array=$(sbatch --parsable --array="1-$n" --cpus-per-task="$cpus" --mem="$mem" ${time:+--time="$time"} \
	"${extra[@]}" "$here/classify.sbatch" "$n" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes ${time:+--time="$time"} \
	"${extra[@]}" "$here/merge.sbatch" "$out")
merge=${merge%%;*}
echo "submit.sh: array job $array ($n tasks: --part 1/$n..$n/$n -o $out), merge job $merge after it" >&2
echo "$array $merge"
