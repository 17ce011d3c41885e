#!/usr/bin/env bash
# CLI: the task line and its reasons, --task names, the many-classes warning,
# --delimiter, --ignore, --missing and categorical columns from training to
# prediction.  Usage: cli_data.sh NNTUNE BUILD_DIR
set -euo pipefail
NNTUNE=${1:?usage: cli_data.sh NNTUNE BUILD_DIR}
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
lacks() { if grep -qF -- "$2" "$1"; then fail "did not expect '$2' in $1: $(cat "$1")"; fi; }

BLOBS=$DATA/blobs.csv
REG=$DATA/regress.csv
TR="--epochs 5 --hidden 8 --seed 1"

# ---- Task line: one line on stdout before the work, with the reason.
run 0 "$NNTUNE" train --data "$BLOBS" $TR --out "$T/c.nnt"
contains "$T/out" "task: classification (target 'label' has text values); 240 rows, 4 features, 3 classes"
[ "$(head -1 "$T/out" | cut -c1-5)" = "task:" ] || fail "the task line is not first: $(head -1 "$T/out")"
run 0 "$NNTUNE" train --data "$REG" $TR --out "$T/r.nnt"
contains "$T/out" "task: regression (target 'y' is numeric with non-integral values); 160 rows, 3 features, target range"
# An integral target with many distinct values (like 68.0, 109.0) is regression.
/usr/bin/python3 - "$T/int.csv" <<'PY'
import random, sys
random.seed(4)
with open(sys.argv[1], "w") as f:
    f.write("a,b,y\n")
    for i in range(200):
        a, b = random.gauss(0, 1), random.gauss(0, 1)
        f.write(f"{a:.4f},{b:.4f},{float(round(150 + 40 * a - 20 * b)):.1f}\n")
PY
distinct=$(tail -n +2 "$T/int.csv" | cut -d, -f3 | sort -u | wc -l)
run 0 "$NNTUNE" train --data "$T/int.csv" $TR --out "$T/i.nnt"
contains "$T/out" "task: regression (target 'y' is numeric with $distinct distinct values, more than the 20 that make classes; use --task classification to override); 200 rows, 2 features, target range"
# Forced classification on it: the long name works, and a warning.
run 0 "$NNTUNE" train --data "$T/int.csv" $TR --task classification --out "$T/i2.nnt"
contains "$T/out" "task: classification (--task classification); 200 rows, 2 features, $distinct classes"
contains "$T/err" "warning: $T/int.csv: $distinct classes for 200 rows"
contains "$T/err" "use --task regression"
run 0 "$NNTUNE" train --data "$REG" $TR --task regression --out "$T/r2.nnt"
contains "$T/out" "task: regression (--task regression)"
# A 0/1 target is classes.
awk -F, 'NR == 1 { print "a,b,y"; next } { print $1 "," $2 "," ($3 > 0 ? 1 : 0) }' "$REG" >"$T/bin.csv"
run 0 "$NNTUNE" train --data "$T/bin.csv" $TR --out "$T/b.nnt"
contains "$T/out" "task: classification (target 'y' has 2 distinct integral values; use --task regression to override); 160 rows, 2 features, 2 classes"
# --json and --quiet stay free of it; eval names the model.
run 0 "$NNTUNE" train --data "$BLOBS" $TR --json --out "$T/j.nnt"
lacks "$T/out" "task:"
run 0 "$NNTUNE" eval --model "$T/r.nnt" --data "$REG"
contains "$T/out" "task: regression (the task of model '$T/r.nnt'); 160 rows, 3 features, target range"
# eval counts the model's classes, also on a file where some are absent;
# a class the model does not know is an error before any task line.
grep -v ',gamma$' "$BLOBS" >"$T/two.csv"
run 0 "$NNTUNE" eval --model "$T/c.nnt" --data "$T/two.csv"
contains "$T/out" "task: classification (the task of model '$T/c.nnt'); 160 rows, 4 features, 3 classes"
sed 's/,gamma$/,delta/' "$BLOBS" >"$T/new_class.csv"
run 1 "$NNTUNE" eval --model "$T/c.nnt" --data "$T/new_class.csv"
contains "$T/err" "class 'delta' in the data is not one of the 3 known classes ('alpha', 'beta', 'gamma')"
lacks "$T/out" "task:"
# tune prints it before the study line.
run 0 "$NNTUNE" tune --data "$BLOBS" --trials 1 --param epochs=2 --storage "$T/s.db" --study s1
head -1 "$T/out" | grep -qF "task: classification (target 'label' has text values); 240 rows" \
    || fail "tune: task line not first: $(head -3 "$T/out")"
# One trial is "1 trial" in the summaries; an MLP study's best has epochs.
run 0 "$NNTUNE" trials "$T/s.db"
contains "$T/out" "study 's1': 1 trial ("
run 0 "$NNTUNE" best "$T/s.db"
contains "$T/out" "(1 trial)"
contains "$T/out" "epochs:  "

# ---- A messy table: ';', an ID column, missing values, a categorical column.
/usr/bin/python3 - "$T/messy.csv" "$T/new.csv" <<'PY'
import random, sys
random.seed(7)
def rows(n):
    out = []
    for i in range(n):
        city = ["Lyon", "Paris", "Nice"][i % 3]
        age = 20 + (i * 7) % 60
        inc = 30 + (city == "Paris") * 15 + age * 0.3 + random.gauss(0, 3)
        out.append([f"C{1000 + i}", "" if i % 17 == 5 else str(age), city,
                    "NA" if i % 19 == 3 else f"{inc:.2f}", "yes" if inc > 45 else "no"])
    return out
with open(sys.argv[1], "w") as f:
    f.write("customer;age;city;income;bought\n")
    for r in rows(120): f.write(";".join(r) + "\n")
with open(sys.argv[2], "w") as f:  # prediction input: other order, no target
    f.write("income;city;customer;age\n")
    f.write("50.0;Paris;X1;40\n")
    f.write("NA;Lyon;X2;30\n")
    f.write("40.0;Marseille;X3;\n")
PY
# Default: a clear error counting the missing values.
run 1 "$NNTUNE" train --data "$T/messy.csv" $TR --out "$T/m.nnt"
contains "$T/err" "messy.csv: 14 missing values (empty, NA, NaN or ?) in 13 rows and 2 columns ('age' 7, 'income' 7); first at line 5, column 'income'; drop those rows or fill the values with --missing drop|mean|median"
# The ID column: too many distinct values to be categories; the option is named.
run 1 "$NNTUNE" train --data "$T/messy.csv" $TR --missing median --out "$T/m.nnt"
contains "$T/err" "column 'customer' has text values ('C1000' at line 2) and more than 32 distinct values, too many to encode as categories; drop the column with --ignore customer"
# An explicit wrong delimiter: the one-column header says so.
run 1 "$NNTUNE" train --data "$T/messy.csv" $TR --delimiter , --out "$T/m.nnt"
contains "$T/err" "the header is a single column but contains ';': is ';' the delimiter?"
run 0 "$NNTUNE" train --data "$T/messy.csv" $TR --missing drop --ignore customer --delimiter ';' --out "$T/md.nnt"
contains "$T/out" "107 rows, 5 features (from 3 columns, 1 of them categorical), 2 classes, 13 rows with missing values dropped"
run 0 "$NNTUNE" train --data "$T/messy.csv" $TR --missing median --ignore customer --out "$T/m.nnt"
contains "$T/out" "120 rows, 5 features (from 3 columns, 1 of them categorical), 2 classes, 14 missing values filled"
# Prediction: by name, fills applied, the unseen city counted in a warning.
run 0 "$NNTUNE" predict --model "$T/m.nnt" --data "$T/new.csv"
[ "$(wc -l <"$T/out")" -eq 4 ] || fail "expected 4 prediction lines: $(cat "$T/out")"
contains "$T/err" "new.csv: 1 categorical value in 1 row not seen in training (encoded as all zeros)"
contains "$T/err" "new.csv: 2 missing values filled with the model's fill values"
# The model trained with --missing drop has no fill values.
run 1 "$NNTUNE" predict --model "$T/md.nnt" --data "$T/new.csv"
contains "$T/err" "the model has no fill values for them (train it with --missing mean or median)"
# Evaluation on the training file through the schema.
run 0 "$NNTUNE" eval --model "$T/m.nnt" --data "$T/messy.csv"
contains "$T/out" "rows      120"
contains "$T/err" "14 missing values filled"

# ---- Validation and test files with their columns in another order: the
# target is found by the training set's name (it was taken as the last column).
awk -F, 'BEGIN { OFS = "," } { print $4, $5, $2, $1, $3 }' "$BLOBS" >"$T/perm.csv"
run 0 "$NNTUNE" train --data "$BLOBS" $TR --valid "$T/perm.csv" --test "$T/perm.csv" --out "$T/p.nnt"
contains "$T/out" "test (240 rows)"
run 0 "$NNTUNE" tune --data "$BLOBS" --param neurons=8 --param epochs=3 --trials 1 --cv 1 --no-refit \
    --valid "$T/perm.csv" --test "$T/perm.csv" --storage "$T/perm.db" --model-out "$T/pt.nnt"
contains "$T/out" "Test accuracy of the best model"
# A test file without the target is an error before the study, not after it.
cut -d, -f1-4 "$BLOBS" >"$T/notarget.csv"
run 1 "$NNTUNE" tune --data "$BLOBS" --param epochs=3 --trials 1 --test "$T/notarget.csv" --storage "$T/nt.db"
contains "$T/err" "notarget.csv:1: no target column named 'label'"
lacks "$T/out" "trial 0"

# ---- A column that looks like a row ID is warned about (train and tune), once dropped not.
/usr/bin/python3 - "$T/ids.csv" <<'PY'
import random, sys
random.seed(5)
rows = list(range(60))
random.shuffle(rows)  # a shuffled sample of the row numbers, as after a split
with open(sys.argv[1], "w") as f:
    f.write("PassengerId,ticket,age,fare,y\n")
    for k, i in enumerate(rows):
        age = 20 + i % 30                      # whole numbers, repeated: a feature
        f.write(f"{7000 + 13 * i},{100 + i},{age},{random.random():.3f},{'a' if i < 30 else 'b'}\n")
PY
run 0 "$NNTUNE" train --data "$T/ids.csv" $TR --out "$T/id.nnt"
contains "$T/err" "warning: $T/ids.csv: column 'PassengerId' looks like a row ID (a different whole number in each of the 60 rows): a model learns nothing general from it, and it leaks the labels where rows are ordered by class; if it is an ID, drop it with --ignore PassengerId"
contains "$T/err" "column 'ticket' looks like a row ID"
sed '1s/^PassengerId,/Row ID,/' "$T/ids.csv" >"$T/ids2.csv"
run 0 "$NNTUNE" train --data "$T/ids2.csv" $TR --out "$T/id.nnt"
contains "$T/err" "drop it with --ignore 'Row ID'"
lacks "$T/err" "column 'age'"
lacks "$T/err" "column 'fare'"
run 0 "$NNTUNE" train --data "$T/ids.csv" $TR --ignore PassengerId,ticket --out "$T/id.nnt"
lacks "$T/err" "row ID"
# Early stopping on a handful of validation rows is warned about (6 of 60 rows here).
contains "$T/err" "warning: only 6 validation rows: the epoch early stopping keeps is mostly chance at this size (one row moves the validation accuracy by 17 points); on small data 'nntune tune' scores by 5-fold cross-validation and refits on every row, or give validation more rows (--valid-fraction)"
run 0 "$NNTUNE" train --data "$T/ids.csv" $TR --ignore PassengerId,ticket --valid-fraction 0.4 --out "$T/id.nnt"
lacks "$T/err" "validation rows"
run 0 "$NNTUNE" train --data "$T/ids.csv" $TR --ignore PassengerId,ticket --no-early-stopping --out "$T/id.nnt"
lacks "$T/err" "validation rows"
run 0 "$NNTUNE" tune --data "$T/ids.csv" --param neurons=8 --param epochs=2 --trials 1 --cv 1 --no-refit --storage "$T/id.db"
contains "$T/err" "nntune tune: warning: $T/ids.csv: column 'PassengerId' looks like a row ID"

# ---- Study files: "ignore", "delimiter" and "missing" as the flags; flags override them.
cat >"$T/messy.json" <<JSON
{"data": "$T/messy.csv", "ignore": ["customer"], "delimiter": ";", "missing": "median",
 "space": {"neurons": [8]}, "budget": {"trials": 2},
 "options": {"epochs": 3, "cv_folds": 1, "refit": false, "jobs": 1, "storage": "$T/s.db",
             "model_out": "$T/s.nnt"}}
JSON
run 0 "$NNTUNE" tune "$T/messy.json"
contains "$T/out" "120 rows, 5 features (from 3 columns, 1 of them categorical), 2 classes, 14 missing values filled"
# The fills went into the study's model.
run 0 "$NNTUNE" predict --model "$T/s.nnt" --data "$T/new.csv"
contains "$T/err" "new.csv: 2 missing values filled with the model's fill values"
run 0 "$NNTUNE" tune "$T/messy.json" --missing drop --storage "$T/s2.db"
contains "$T/out" "107 rows, 5 features (from 3 columns, 1 of them categorical), 2 classes, 13 rows with missing values dropped"
# --ignore replaces the file's list (customer is back: too many categories).
run 1 "$NNTUNE" tune "$T/messy.json" --ignore city --storage "$T/s3.db"
contains "$T/err" "column 'customer' has text values"
# --delimiter overrides the file's.
run 1 "$NNTUNE" tune "$T/messy.json" --delimiter , --storage "$T/s3.db"
contains "$T/err" "the header is a single column but contains ';'"
# Base options against the default space: a fixed parameter of it (epochs)
# takes the option's value; a searched one (lr) warns that the option does nothing.
cat >"$T/base.json" <<JSON
{"data": "$BLOBS", "budget": {"trials": 2},
 "options": {"epochs": 2, "lr": 0.01, "jobs": 1, "storage": "$T/base.db", "model_out": "$T/base.nnt"}}
JSON
run 0 "$NNTUNE" tune "$T/base.json"
contains "$T/err" "base.json: study.options.lr (0.01) has no effect: the search space searches 'lr' (a parameter of the space overrides the base option; remove it from the space to fix its value)"
lacks "$T/err" "study.options.epochs"
run 0 "$NNTUNE" trials "$T/base.db" --format json
/usr/bin/python3 -c "import json, sys; t = json.load(open(sys.argv[1]))['trials']; assert t and all(x['params']['epochs'] == 2 for x in t), t" "$T/out" \
    || fail "the study file's epochs did not reach the trials"
# Resuming (the stored space) repeats no warning.
run 0 "$NNTUNE" tune "$T/base.json" --trials 3
lacks "$T/err" "has no effect"
# Bad values: exit 2 naming the key.
echo '{"data": "x.csv", "missing": "zero"}' >"$T/bad.json"
run 2 "$NNTUNE" tune "$T/bad.json"
contains "$T/err" 'bad.json: study.missing: expected "error", "drop", "mean" or "median", got "zero"'
echo '{"data": "x.csv", "ignore": ["id", 3]}' >"$T/bad.json"
run 2 "$NNTUNE" tune "$T/bad.json"
contains "$T/err" "bad.json: study.ignore[1]: expected a column name, got an integer"
echo '{"data": "x.csv", "delimiter": "::"}' >"$T/bad.json"
run 2 "$NNTUNE" tune "$T/bad.json"
contains "$T/err" 'bad.json: study.delimiter: expected one character, "tab", "semicolon" or "comma", got "::"'

# ---- Usage errors.
run 2 "$NNTUNE" train --data "$BLOBS" --missing zero
contains "$T/err" "--missing: unknown policy 'zero' (expected error, drop, mean or median)"
run 2 "$NNTUNE" train --data "$BLOBS" --delimiter ';;'
contains "$T/err" "--delimiter: expected one character (or 'tab'), got ';;'"
run 2 "$NNTUNE" train --data "$BLOBS" --ignore a,,b
contains "$T/err" "--ignore: empty column name in 'a,,b'"
run 1 "$NNTUNE" train --data "$BLOBS" --ignore nope --out "$T/x.nnt"
contains "$T/err" "no column named 'nope' to ignore"
run 2 "$NNTUNE" predict --model "$T/m.nnt" --data "$T/new.csv" --missing mean
contains "$T/err" "--missing applies to training data"
run 2 "$NNTUNE" train --data "$BLOBS" --task cluster
contains "$T/err" "expected auto, classification (classify), binary, regression (regress) or autoencode"
echo "cli_data: all checks passed"
