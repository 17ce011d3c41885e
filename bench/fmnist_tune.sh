#!/usr/bin/env bash
# Fashion-MNIST tuning benchmark (issue 4): the same time budget, on 2 jobs,
# for
#   1. nntune, TPE + ASHA over the default space,
#   2. nntune, random search without pruning over the default space,
#   3. Optuna 3 (TPE + median pruner, PyTorch MLPs), when /usr/bin/python3
#      can import optuna and torch (bench/optuna_fmnist.py).
# Training uses the 60000 training images with a 10 % validation hold-out;
# the best model of each study is evaluated on the 10000 test images. Both
# nntune studies run with --refit: when the search ends, the best trial's
# configuration is retrained on all 60000 rows for the epoch count its
# validation curve peaked at, inside the same time budget; the script prints
# the test accuracy of that refit model and of the best trial's own model,
# and the wall time of the whole command (search + refit + test).
# Prints, per study: best validation accuracy at 1, 2, 5 and 10 minutes
# (scaled to MINUTES: 10 %, 20 %, 50 %, 100 % of the budget), from the stored
# trials' finish times; trials completed, pruned and failed; the test
# accuracy of the best model.
#
# usage: bench/fmnist_tune.sh BUILD_DIR [MINUTES=10]
# env:   FMNIST_BENCH_DIR (work directory, default BUILD_DIR/fmnist-bench),
#        FMNIST_BENCH_ONLY ("nntune", "random", "optuna": run only those,
#        comma-separated), FMNIST_BENCH_SEED (study seed, default 1),
#        FMNIST_BENCH_REFIT (1 default: nntune studies refit; 0: they don't)
# Not a test. It needs 2 otherwise idle cores for figures worth comparing.
set -euo pipefail
BUILD=${1:?usage: bench/fmnist_tune.sh BUILD_DIR [MINUTES]}
MIN=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
NNT="$BUILD/nntune"
DIR=${FMNIST_BENCH_DIR:-$BUILD/fmnist-bench}
ONLY=${FMNIST_BENCH_ONLY:-nntune,random,optuna}
SEED=${FMNIST_BENCH_SEED:-1}
REFIT=()
[ "${FMNIST_BENCH_REFIT:-1}" = 1 ] && REFIT=(--refit)
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 BLIS_NUM_THREADS=1

[ -x "$NNT" ] || cmake --build "$BUILD" --target nntune >/dev/null
mkdir -p "$DIR"
DB="$DIR/fmnist.db"
SECONDS_BUDGET=$(awk -v m="$MIN" 'BEGIN { printf "%d", m * 60 }')

echo "Fashion-MNIST tuning benchmark: ${MIN} min per study, 2 jobs"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(getconf _NPROCESSORS_ONLN) CPUs online"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# Summary of one nntune study from the storage (python3's sqlite3 module).
summarize() { # study name, label
    "$PY" - "$DB" "$1" "$2" "$SECONDS_BUDGET" <<'EOF'
import json, sqlite3, sys
db, name, label, budget = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
c = sqlite3.connect(db)
sid = c.execute("SELECT id FROM studies WHERE name = ?", (name,)).fetchone()[0]
rows = c.execute("SELECT number, state, value, started, finished, interrupted, id FROM trials "
                 "WHERE study_id = ? ORDER BY number", (sid,)).fetchall()
t0 = min(r[3] for r in rows)
def best_at(sec):
    v = [r[2] for r in rows if r[1] == "complete" and r[2] is not None and r[4] is not None
         and r[4] - t0 <= sec]
    return max(v) if v else None
fmt = lambda v: "-" if v is None else "%.4f" % v
cps = [0.1, 0.2, 0.5, 1.0]
print("%s:" % label)
print("  best validation accuracy: " + ", ".join(
    "%s min %s" % (("%g" % (budget * f / 60)), fmt(best_at(budget * f + 1e-6))) for f in cps))
n = lambda s: sum(1 for r in rows if r[1] == s and not r[5])
print("  trials: %d complete, %d pruned, %d failed, %d interrupted by the budget"
      % (n("complete"), n("pruned"), n("failed"), sum(1 for r in rows if r[5])))
art = c.execute("SELECT a.info FROM artifacts a JOIN trials t ON a.trial_id = t.id "
                "WHERE t.study_id = ? AND a.kind = 'test' ORDER BY a.id DESC LIMIT 1", (sid,)).fetchone()
info = json.loads(art[0]) if art and art[0] else {}
test = info.get("accuracy")
refit = info.get("refit")
best = max((r for r in rows if r[1] == "complete" and r[2] is not None), key=lambda r: r[2], default=None)
if best:
    p = c.execute("SELECT params, epochs FROM trials WHERE id = ?", (best[6],)).fetchone()
    print("  best trial %d (%d epochs): %s" % (best[0], p[1], p[0]))
if refit:
    own = (refit.get("trial_test") or {}).get("accuracy")
    print("  refit: trial %d's configuration on %d rows for %d epochs in %.0f s"
          % (refit["trial"], refit["rows"], refit["epochs"], refit["seconds"]))
    print("  test accuracy of the best trial's own model: %s" % fmt(own))
    print("  test accuracy of the refit model: %s" % fmt(test))
else:
    print("  test accuracy of the best model: %s" % fmt(test))
EOF
}

run_nntune() { # study name, label, extra flags...
    local name=$1 label=$2
    shift 2
    rm -f "$DIR/$name.best.nnt"
    local cmd=("$NNT" tune --data fashion-mnist --valid-fraction 0.1 --time "${MIN}m" --jobs 2
               --storage "$DB" --study "$name" --model-out "$DIR/$name.best.nnt" --seed "$SEED"
               --quiet "$@")
    echo "\$ ${cmd[*]}"
    local t0 t1
    t0=$(date +%s.%N)
    "${cmd[@]}" > "$DIR/$name.out" 2>&1 || { echo "nntune failed:"; cat "$DIR/$name.out"; exit 1; }
    t1=$(date +%s.%N)
    summarize "$name" "$label"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  wall time of the command: %.1f s\n", b - a }'
    echo
}

rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.lock"
case ",$ONLY," in *,nntune,*) run_nntune tpe-asha "nntune TPE + ASHA" --sampler tpe --pruner asha "${REFIT[@]}" ;; esac
case ",$ONLY," in *,random,*) run_nntune random "nntune random search, no pruning" --sampler random --pruner none "${REFIT[@]}" ;; esac

case ",$ONLY," in
*,optuna,*)
    if "$PY" -c 'import optuna, torch' 2>/dev/null; then
        echo "\$ $PY bench/optuna_fmnist.py --minutes $MIN --jobs 2"
        "$PY" "$HERE/optuna_fmnist.py" --minutes "$MIN" --jobs 2 --seed "$SEED" --dir "$DIR"
    else
        echo "Optuna: not run (/usr/bin/python3 cannot import optuna and torch;" \
             "install python3-optuna and python3-torch for the comparison)"
    fi
    ;;
esac
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
