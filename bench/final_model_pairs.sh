#!/usr/bin/env bash
# Paired comparison of the small-data final models (bench/README.md, "The
# small-data final model"): for each data set of generalisation.py and each
# seed, the same study (a fixed trial budget on one job, so the trials, the
# best configuration and the refit are the same) runs twice, with
# --no-ensemble and --ensemble, and --test gives the test score of four
# final models of that one search: the best fold's model and the refit alone
# (--no-ensemble: refit.trial_test and test), the 5 fold models averaged and
# the refit averaged with them (--ensemble). Not a test.
#
# usage: bench/final_model_pairs.sh BUILD_DIR [DATASET...]   (default: all but fmnist5k)
# env:   PAIRS_TRIALS  trials per study (default 300)
#        PAIRS_SEEDS   study seeds (default "1 2 3 4 5")
#        PAIRS_DIR     work directory, kept (default: a fresh mktemp -d, removed)
# Prints a line per run (TSV: set, seed, mode, best trial, its CV value,
# refit epochs, metric, test of the saved model, test of the trial's model,
# seconds, load), then the table of means (generalisation.py pairs).
set -euo pipefail
BUILD=${1:?usage: bench/final_model_pairs.sh BUILD_DIR [DATASET...]}
shift
HERE=$(cd "$(dirname "$0")" && pwd)
NNT=$(cd "$BUILD" && pwd)/nntune
PY=/usr/bin/python3
GPY="$HERE/generalisation.py"
TRIALS=${PAIRS_TRIALS:-300}
read -r -a SEEDS <<< "${PAIRS_SEEDS:-1 2 3 4 5}"
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(binary400 friedman1 classif3 linreg moons friedman2 friedman3)
[ -x "$NNT" ] || { echo "final_model_pairs.sh: no nntune at $BUILD/nntune" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
if [ -n "${PAIRS_DIR:-}" ]; then DIR=$PAIRS_DIR; mkdir -p "$DIR"
else DIR=$(mktemp -d "${TMPDIR:-/tmp}/nntune-pairs.XXXXXX"); trap 'rm -rf "$DIR"' EXIT; fi
OUT="$DIR/pairs.tsv"
: > "$OUT"
for s in "${SETS[@]}"; do
    d="$DIR/$s"
    [ -s "$d/meta.json" ] || "$PY" "$GPY" make "$s" "$d"
    task=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["task"])' "$d/meta.json")
    [ "$task" = classification ] && nt=classify || nt=regress
    for seed in "${SEEDS[@]}"; do
        for mode in no-ensemble ensemble; do
            w="$d/$seed-$mode"
            rm -rf "$w"; mkdir -p "$w"
            t0=$(date +%s.%N)
            "$NNT" tune --data "$d/train.csv" --target y --task "$nt" --trials "$TRIALS" --jobs 1 \
                --seed "$seed" "--$mode" --test "$d/test.csv" --storage "$w/s.db" \
                --model-out "$w/m.nnt" --json --quiet > "$w/out.json" 2> "$w/err"
            t1=$(date +%s.%N)
            "$PY" - "$w/out.json" "$s" "$seed" "$mode" "$t0" "$t1" "$(cut -d' ' -f1 /proc/loadavg)" \
                <<'PY' | tee -a "$OUT"
import json, sys
p, s, seed, mode, t0, t1, load = sys.argv[1:]
j = [json.loads(l) for l in open(p) if l.startswith("{")][-1]
k = "accuracy" if "accuracy" in j["test"] else "rmse"
rf = j.get("refit", {})
print("\t".join(map(str, [s, seed, mode, j["best_trial"], j["best_value"], rf.get("epochs"), k,
                          j["test"][k], rf.get("trial_test", {}).get(k),
                          "%.1f" % (float(t1) - float(t0)), load])))
PY
        done
    done
done
echo
"$PY" "$GPY" pairs "$OUT"
