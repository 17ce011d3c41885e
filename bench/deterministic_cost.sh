#!/usr/bin/env bash
# The cost of reproducible parallel studies (`nntune tune --deterministic`)
# against free-running ones, locally with 2 jobs: the same TPE + ASHA study of
# the MLP trainer on generated data (ROWS rows, 16 features, 4 classes), run
# REPEATS times in each mode, alternating. Printed per run: wall seconds,
# trials per hour, and the slots' idle time -- 2 x (last finish - first
# start) minus the trials' own durations, from the stored trials -- as a
# fraction of slot time. Idle time in free-running mode is the coordinator
# and the gaps between trials; in deterministic mode it adds the waits of an
# ask for the trial J before it (docs/reproducible.md). det-slots-2 is
# `--deterministic` (slots = --jobs = 2), det-slots-6 is `--slots 6` with
# --jobs 2: fewer waits, proposals from older results.
# usage: bench/deterministic_cost.sh [BUILD_DIR] [TRIALS] [REPEATS] [ROWS] [EPOCHS]
# Wall times need 2 otherwise idle cores; the idle fraction is less sensitive.
set -euo pipefail
BUILD=${1:-build}
TRIALS=${2:-40}
REPEATS=${3:-2}
ROWS=${4:-20000}
EPOCHS=${5:-20}
NNT="$BUILD/nntune"
[ -x "$NNT" ] || { echo "no $NNT: run make first" >&2; exit 2; }
T=$(mktemp -d /tmp/nnt-det-cost-XXXXXX)
trap 'rm -rf "$T"' EXIT

python3 - "$T/data.csv" "$ROWS" <<'EOF'
import random, sys
rng = random.Random(12)
centers = [[rng.gauss(0, 1.2) for _ in range(8)] for _ in range(4)]
with open(sys.argv[1], "w") as f:
    f.write(",".join(f"f{i}" for i in range(16)) + ",class\n")
    for _ in range(int(sys.argv[2])):
        c = rng.randrange(4)
        row = [centers[c][i] + rng.gauss(0, 1) for i in range(8)] + [rng.gauss(0, 1) for _ in range(8)]
        f.write(",".join(f"{v:.4f}" for v in row) + f",k{c}\n")
EOF

# DET_COST_MPI=1: the same studies over MPI (mpirun -np 3: rank 0 coordinates,
# two worker ranks with --jobs 1 each, so still 2 slots).
launcher=()
jobs=2
if [ "${DET_COST_MPI:-0}" = 1 ]; then
    launcher=(mpirun --oversubscribe --allow-run-as-root -np 3)
    jobs=1
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
echo "machine: $(nproc) cores online, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "study: TPE + ASHA, $TRIALS trials of up to $EPOCHS epochs, ${launcher[*]:-local} --jobs $jobs, hold-out, no refit, $ROWS x 16 generated rows"
printf '%-14s %4s %7s %8s %12s %8s\n' mode run trials "wall s" "trials/hour" "idle %"
for r in $(seq 1 "$REPEATS"); do
    for mode in free-running det-slots-2 det-slots-6; do
        flag=()
        [ "$mode" = det-slots-2 ] && flag=(--deterministic)
        [ "$mode" = det-slots-6 ] && flag=(--slots 6)
        db="$T/$mode-$r.db"
        t0=$(date +%s.%N)
        OPENBLAS_NUM_THREADS=1 "${launcher[@]}" "$NNT" tune --data "$T/data.csv" --jobs "$jobs" --trials "$TRIALS" \
            --seed 3 --cv 1 --no-refit --sampler tpe --pruner asha --param epochs=$EPOCHS \
            --param lr=0.0005:0.05:log --param neurons=16,32,64,128 --param batch_size=32,64,128 \
            --storage "$db" --quiet "${flag[@]}" > "$T/out.txt" 2>&1 ||
            { cat "$T/out.txt" >&2; exit 1; }
        t1=$(date +%s.%N)
        "$NNT" trials "$db" --format csv > "$T/trials.csv"
        python3 - "$T/trials.csv" "$mode" "$r" "$t0" "$t1" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
start = min(float(r["started"]) for r in rows)
end = max(float(r["finished"]) for r in rows)
busy = sum(float(r["finished"]) - float(r["started"]) for r in rows)
wall = float(sys.argv[5]) - float(sys.argv[4])
idle = 100 * (1 - busy / (2 * (end - start)))
print(f"{sys.argv[2]:<14} {sys.argv[3]:>4} {len(rows):>7} {wall:>8.1f} {3600 * len(rows) / wall:>12.0f} {idle:>8.1f}")
EOF
    done
done
