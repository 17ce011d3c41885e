#!/usr/bin/env bash
# CLI: nntune predict and eval on a model trained from the fixtures, and
# damaged model files.  Usage: cli_predict_eval.sh NNTUNE BUILD_DIR
set -euo pipefail
NNTUNE=${1:?usage: cli_predict_eval.sh NNTUNE BUILD_DIR}
DATA="$(cd "$(dirname "$0")" && pwd)/data"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
run() {
    local want=$1 rc=0; shift
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    if [ "$rc" != "$want" ]; then
        echo "--- stdout:" >&2; cat "$T/out" >&2; echo "--- stderr:" >&2; cat "$T/err" >&2
        fail "expected exit $want, got $rc: $*"
    fi
}
contains() { grep -qF -- "$2" "$1" || fail "expected '$2' in $1, got: $(cat "$1")"; }

BLOBS=$DATA/blobs.csv
REG=$DATA/regress.csv
run 0 "$NNTUNE" train --data "$BLOBS" --hidden 16 --epochs 40 --seed 2 --quiet --out "$T/c.nnt"
run 0 "$NNTUNE" train --data "$REG" --hidden 16 --epochs 60 --seed 2 --quiet --out "$T/r.nnt"

# ---- predict: classification
run 0 "$NNTUNE" predict --model "$T/c.nnt" --data "$BLOBS"
cp "$T/out" "$T/pred.csv"
[ "$(head -1 "$T/pred.csv")" = "prediction,p_alpha,p_beta,p_gamma" ] \
    || fail "bad header: $(head -1 "$T/pred.csv")"
[ "$(wc -l <"$T/pred.csv")" -eq 241 ] || fail "expected 241 lines, got $(wc -l <"$T/pred.csv")"
/usr/bin/python3 - "$T/pred.csv" "$BLOBS" <<'PY' || fail "predictions are wrong"
import csv, sys
pred = list(csv.reader(open(sys.argv[1])))[1:]
truth = [r[-1] for r in list(csv.reader(open(sys.argv[2])))[1:]]
names = ["alpha", "beta", "gamma"]
right = 0
for row, t in zip(pred, truth):
    p = [float(v) for v in row[1:]]
    assert len(p) == 3 and abs(sum(p) - 1) < 1e-4, row
    assert row[0] == names[p.index(max(p))], row
    right += row[0] == t
assert right / len(truth) > 0.85, right
PY

# Input without the target column gives the same predictions; --out is atomic.
cut -d, -f1-4 "$BLOBS" >"$T/features.csv"
run 0 "$NNTUNE" predict -m "$T/c.nnt" -d "$T/features.csv" -o "$T/pred2.csv"
[ -s "$T/out" ] && fail "predict --out also wrote to stdout"
cmp -s "$T/pred.csv" "$T/pred2.csv" || fail "predictions differ without the target column"
ls "$T" | grep -q '\.tmp' && fail "temporary files left behind: $(ls "$T")"
# A failed predict leaves an existing --out file alone.
cp "$T/pred2.csv" "$T/keep.csv"
run 1 "$NNTUNE" predict -m "$T/c.nnt" -d "$T/nope.csv" -o "$T/pred2.csv"
cmp -s "$T/keep.csv" "$T/pred2.csv" || fail "failed predict changed the --out file"

# Columns go by name: a missing column is an error naming it ...
cut -d, -f1-3 "$BLOBS" >"$T/three.csv"
run 1 "$NNTUNE" predict -m "$T/c.nnt" -d "$T/three.csv"
contains "$T/err" "three.csv: missing feature column 'f4' that the model needs (1 of 4)"
cut -d, -f1,3,5 "$BLOBS" >"$T/two.csv"
run 1 "$NNTUNE" eval -m "$T/c.nnt" -d "$T/two.csv"
contains "$T/err" "two.csv: missing feature columns 'f2', 'f4' that the model needs (2 of 4)"
# ... a permutation with an extra ID column gives bit-identical predictions
# (and the target column in the middle is not a feature) ...
/usr/bin/python3 - "$BLOBS" "$T/perm.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
order = [3, 4, 1, 0, 2]  # f4, label, f2, f1, f3
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    for i, r in enumerate(rows):
        w.writerow(["id" if i == 0 else str(1000 + i)] + [r[j] for j in order])
PY
run 0 "$NNTUNE" predict -m "$T/c.nnt" -d "$T/perm.csv" -o "$T/pred3.csv"
cmp -s "$T/pred.csv" "$T/pred3.csv" || fail "permuted columns changed the predictions"
[ -s "$T/err" ] && fail "predict on permuted columns warned: $(cat "$T/err")"
run 0 "$NNTUNE" eval -m "$T/c.nnt" -d "$BLOBS"
cp "$T/out" "$T/eval1.txt"
run 0 "$NNTUNE" eval -m "$T/c.nnt" -d "$T/perm.csv"
cmp -s "$T/eval1.txt" "$T/out" || fail "eval on permuted columns differs: $(diff "$T/eval1.txt" "$T/out")"
# ... and ';' is detected from the header.
tr , ';' <"$T/perm.csv" >"$T/semi.csv"
run 0 "$NNTUNE" predict -m "$T/c.nnt" -d "$T/semi.csv" -o "$T/pred4.csv"
cmp -s "$T/pred.csv" "$T/pred4.csv" || fail "';'-delimited input changed the predictions"

# ---- predict: regression
run 0 "$NNTUNE" predict -m "$T/r.nnt" -d "$REG"
[ "$(head -1 "$T/out")" = "prediction" ] || fail "bad regression header: $(head -1 "$T/out")"
[ "$(wc -l <"$T/out")" -eq 161 ] || fail "expected 161 regression lines"

# ---- eval
run 0 "$NNTUNE" eval --model "$T/c.nnt" --data "$BLOBS"
contains "$T/out" "task: classification (the task of model '$T/c.nnt'); 240 rows, 4 features, 3 classes"
contains "$T/out" "accuracy  0."
contains "$T/out" "confusion matrix"
contains "$T/out" "gamma"
run 0 "$NNTUNE" eval --model "$T/c.nnt" --data "$BLOBS" --json
/usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["classes"] == ["alpha", "beta", "gamma"], o
assert sum(map(sum, o["confusion"])) == 240 == o["n"]
assert o["accuracy"] > 0.85 and o["loss"] > 0
' <"$T/out" || fail "eval --json: $(cat "$T/out")"
run 0 "$NNTUNE" eval -m "$T/r.nnt" -d "$REG"
contains "$T/out" "rmse"
contains "$T/out" "mae"
contains "$T/out" "r2"
run 1 "$NNTUNE" eval -m "$T/c.nnt" -d "$T/features.csv"
contains "$T/err" "nntune eval: "

# ---- damaged model files
cp "$T/c.nnt" "$T/flip.nnt"
printf '\x5a' | dd of="$T/flip.nnt" bs=1 seek=300 conv=notrunc 2>/dev/null
cmp -s "$T/c.nnt" "$T/flip.nnt" && fail "byte flip did not change the file"
run 1 "$NNTUNE" predict -m "$T/flip.nnt" -d "$BLOBS"
contains "$T/err" "nntune predict: "
contains "$T/err" "checksum"
head -c 100 "$T/c.nnt" >"$T/short.nnt"
run 1 "$NNTUNE" eval -m "$T/short.nnt" -d "$BLOBS"
contains "$T/err" "truncated at byte 100"
run 1 "$NNTUNE" predict -m "$BLOBS" -d "$BLOBS"
contains "$T/err" "not an nntune model file"
run 1 "$NNTUNE" predict -m "$T/missing.nnt" -d "$BLOBS"
contains "$T/err" "missing.nnt"

echo "cli_predict_eval: all checks passed"
