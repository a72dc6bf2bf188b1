#!/usr/bin/env bash
# A local stand-in for `sbatch`, for snakemake-executor-plugin-cluster-generic:
# every job runs as its own detached process from its job script, as on a cluster node,
# so no job can lean on the scheduler's memory. Prints a job id, as sbatch does.
set -euo pipefail
jobscript="${@: -1}"
setsid bash "$jobscript" >"$jobscript.log" 2>&1 </dev/null &
echo "local-$!"
