#!/usr/bin/env bash
# The MPI transport's scaling (issue 12, benchmark part b): a real mpirun with
# 1, 2, 4 and 16 worker ranks (oversubscribed: ranks sleep, they do not
# compute) running sleep-based trials of STEPS x STEP_S seconds that report
# every step, one trial at a time per rank; rank 0 coordinates (random
# sampler, SQLite storage in a temporary folder). Prints trials per hour per
# worker count and the speed-up against one worker (target: within 5 % of
# linear).
# usage: bench/coordinator_mpi.sh [BUILD_DIR] [TRIALS_PER_WORKER] [STEPS] [STEP_S]
set -eu
BUILD=${1:-build}
PER=${2:-5}
STEPS=${3:-20}
STEP_S=${4:-0.1}
BIN="$BUILD/bench_mpi_sleep"
[ -x "$BIN" ] || { echo "no $BIN: build with MPI (scripts/install-deps.sh, make)"; exit 1; }
case $BIN in /*) ;; *) BIN="$PWD/$BIN" ;; esac
T=$(mktemp -d /tmp/nnt-bench-mpi-XXXXXX)
trap 'rm -rf "$T"' EXIT
export TMPDIR="$T" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
echo "trials of $STEPS x ${STEP_S}s, $PER trials per worker; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
base=""
for w in 1 2 4 16; do
    line=$(mpirun --oversubscribe --allow-run-as-root -np $((w + 1)) "$BIN" "$T/w$w.db" "$PER" "$STEPS" "$STEP_S" 1)
    tph=$(echo "$line" | sed 's/.*trials\/hour \([0-9]*\).*/\1/')
    [ -z "$base" ] && base=$tph
    echo "$line  speed-up $(awk -v a="$tph" -v b="$base" -v w="$w" 'BEGIN { printf "%.2f (linear %d, %.1f %% of linear)", a / b, w, 100 * a / b / w }')"
done
