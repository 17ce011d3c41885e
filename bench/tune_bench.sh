#!/usr/bin/env bash
# Study benchmarks: sampler + storage overhead per trial, trials per hour with
# 1 and 2 jobs, resident memory over a 200-trial study (bench/bench_tune.c).
# usage: bench/tune_bench.sh [BUILD_DIR] [bench_tune options, e.g. --quick]
# The trials-per-hour figure needs 2 otherwise idle cores.
set -euo pipefail
BUILD=${1:-build}
shift || true
cmake --build "$BUILD" --target bench_tune >/dev/null
echo "machine: $(nproc) cores online, load average $(cut -d' ' -f1-3 /proc/loadavg)"
OPENBLAS_NUM_THREADS=1 "$BUILD/bench_tune" "$@"
