#!/usr/bin/env bash
# CLI: nntune train on the fixture CSVs: outputs, --quiet, --json, --test,
# --valid, determinism, divergence.  Usage: cli_train.sh NNTUNE BUILD_DIR
set -euo pipefail
NNTUNE=${1:?usage: cli_train.sh NNTUNE BUILD_DIR}
DATA="$(cd "$(dirname "$0")" && pwd)/data"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# run RC CMD...: runs CMD (stdout -> $T/out, stderr -> $T/err), checks the exit code.
run() {
    local want=$1 rc=0; shift
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    if [ "$rc" != "$want" ]; then
        echo "--- stdout:" >&2; cat "$T/out" >&2; echo "--- stderr:" >&2; cat "$T/err" >&2
        fail "expected exit $want, got $rc: $*"
    fi
}
contains() { grep -qF -- "$2" "$1" || fail "expected '$2' in $1, got: $(cat "$1")"; }
lacks() { if grep -qF -- "$2" "$1"; then fail "did not expect '$2' in $1: $(cat "$1")"; fi; }

BLOBS=$DATA/blobs.csv
REG=$DATA/regress.csv

# Plain run: one line per epoch on stderr (not a terminal), summary on stdout.
run 0 "$NNTUNE" train --data "$BLOBS" --hidden 16 --epochs 25 --seed 3 --out "$T/m.nnt"
[ -s "$T/m.nnt" ] || fail "model file not written"
contains "$T/err" "epoch 1/25  loss "
contains "$T/err" "val_acc"
lacks "$T/err" $'\r'
contains "$T/out" "status: "
contains "$T/out" "best validation accuracy: "
contains "$T/out" "model saved to $T/m.nnt"
ls "$T" | grep -q '\.tmp' && fail "temporary files left behind: $(ls "$T")"

# Same seed, same model file, byte for byte.
run 0 "$NNTUNE" train --data "$BLOBS" --hidden 16 --epochs 25 --seed 3 --out "$T/m2.nnt" --quiet
cmp -s "$T/m.nnt" "$T/m2.nnt" || fail "same seed gave different model files"
run 0 "$NNTUNE" train --data "$BLOBS" --hidden 16 --epochs 25 --seed 4 --out "$T/m3.nnt" --quiet
cmp -s "$T/m.nnt" "$T/m3.nnt" && fail "different seeds gave identical model files"

# --quiet: no epoch lines, only the summary.
[ -s "$T/err" ] && fail "--quiet wrote to stderr: $(cat "$T/err")"
contains "$T/out" "status: "
lacks "$T/out" "epoch 1/"

# --no-early-stopping runs every epoch; a hidden-less model is allowed.
run 0 "$NNTUNE" train --data "$BLOBS" --hidden "" --epochs 4 --no-early-stopping --quiet --out "$T/lin.nnt"
contains "$T/out" "status: ok (4 epochs"

# --json: every stdout line is JSON; one per epoch plus a final object.
run 0 "$NNTUNE" train --data "$BLOBS" --hidden 8,8 --dropout 0.1,0.2 --epochs 6 --no-early-stopping \
    --test "$BLOBS" --json --out "$T/j.nnt"
[ -s "$T/err" ] && fail "--json wrote to stderr: $(cat "$T/err")"
/usr/bin/python3 - "$T/out" "$T/j.nnt" <<'PY' || fail "--json output is wrong: $(cat "$T/out")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
epochs = [o for o in lines if o["event"] == "epoch"]
done = lines[-1]
assert len(epochs) == 6, len(epochs)
assert [o["epoch"] for o in epochs] == list(range(1, 7))
assert all("loss" in o["train"] and "accuracy" in o["valid"] for o in epochs)
assert done["event"] == "done" and done["status"] == "ok", done
assert done["epochs_run"] == 6 and 1 <= done["best_epoch"] <= 6
assert done["model"] == sys.argv[2]
assert done["test"]["n"] == 240 and 0.5 < done["test"]["accuracy"] <= 1
PY

# --test and --valid files: test metrics in the summary.
run 0 "$NNTUNE" train --data "$BLOBS" --valid "$BLOBS" --test "$BLOBS" --epochs 10 --out "$T/t.nnt"
contains "$T/out" "test (240 rows): test_loss"
contains "$T/out" "test_acc"

# Regression: loss is monitored, rmse and r2 reported.
run 0 "$NNTUNE" train --data "$REG" --hidden 16 --epochs 40 --lr 0.01 --test "$REG" --out "$T/r.nnt"
contains "$T/out" "best validation loss: "
contains "$T/out" "test_rmse"
contains "$T/err" "val_rmse"

# Divergence: exit 1, a clear message, no model written.
run 1 "$NNTUNE" train --data "$REG" --optimizer sgd --lr 1000 --epochs 20 --out "$T/div.nnt"
contains "$T/err" "nntune train: training diverged"
[ -e "$T/div.nnt" ] && fail "a diverged run wrote a model"
run 1 "$NNTUNE" train --data "$REG" --optimizer sgd --lr 1000 --epochs 20 --json --out "$T/div.nnt"
/usr/bin/python3 -c 'import json,sys; o=[json.loads(l) for l in sys.stdin][-1]; assert o["status"]=="diverged", o' \
    <"$T/out" || fail "diverged --json final object: $(cat "$T/out")"

echo "cli_train: all checks passed"
