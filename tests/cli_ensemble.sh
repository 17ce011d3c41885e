#!/usr/bin/env bash
# CLI tests of the small-data final model (--ensemble / --no-ensemble): by
# default the refit is averaged with the best trial's 5 fold models and the
# file is an ensemble (model format version 4) that predict and eval read
# like any model; --no-ensemble saves the refit alone (version 3);
# --no-refit --ensemble the 5 fold models; --ensemble without k-fold is
# refused before anything is stored.
# usage: cli_ensemble.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_ensemble.sh NNTUNE_BINARY}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
REG="$HERE/data/regress.csv"
T=$(mktemp -d /tmp/nnt-cli-ens-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }
version() { od -An -tu4 -j4 -N4 "$1" | tr -d ' '; }
tune() { "$NNT" tune --param lr=0.05,0.2 --param epochs=8 --jobs 1 "$@"; }

# ---- 1. the default on small data: refit + the 5 fold models -------------------
tune --data "$DATA" --test "$DATA" --storage d.db --model-out d.nnt > d.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "default tune exits 0 (got $rc)"
check "grep -qF 'best configuration refit on all 240 training rows, with the 5 fold models averaged' d.out" \
    "the selection line names the ensemble"
check "grep -q \"^Refit: .*the saved model is the refit averaged with trial [0-9]*'s 5 fold models\" d.out" \
    "the refit line names the fold models"
check "[ \"\$(version d.nnt)\" = 4 ]" "the saved model is an ensemble file (version 4)"
"$NNT" eval --model d.nnt --data "$DATA" --json > d.eval 2>&1
rc=$?
check "[ $rc -eq 0 ]" "eval reads the ensemble (got $rc)"
check "python3 -c \"import json; e=[json.loads(l) for l in open('d.eval') if l.startswith('{')][-1]; \
s=open('d.out').read(); import re; a=float(re.search(r'Test accuracy of the refit model: ([0-9.]+)', s).group(1)); \
assert abs(e['accuracy']-a) < 1e-4, (e, a)\"" "eval's accuracy is the one tune reported for the saved model"
"$NNT" predict --model d.nnt --data "$DATA" -o d.csv > /dev/null 2>&1
rc=$?
check "[ $rc -eq 0 ] && [ \$(wc -l < d.csv) -eq 241 ]" "predict writes a row per input row (rc $rc)"
check "head -1 d.csv | grep -q '^prediction,p_'" "predict writes the probabilities header"
check "python3 -c \"import csv; r=list(csv.DictReader(open('d.csv'))); \
assert all(abs(sum(float(v) for k, v in x.items() if k.startswith('p_')) - 1) < 1e-4 for x in r)\"" \
    "the averaged probabilities sum to 1"
"$NNT" best d.db > best.out 2>&1
check "grep -q \"^refit:   the model is this configuration retrained on 240 rows for [0-9]* epochs (.*), averaged with the trial's 5 fold models\" best.out" \
    "nntune best says the model averages the refit and the fold models"
tune --data "$DATA" --storage dj.db --json > dj.json 2>&1
check "python3 -c \"import json; s=[json.loads(l) for l in open('dj.json')][-1]; \
assert s['selection']['ensemble'] is True and s['selection']['model_members'] == 6, s\"" \
    "--json: selection.ensemble and model_members 6"

# ---- 2. --no-ensemble: the refit alone, a single-model file ----------------------
tune --data "$DATA" --storage n.db --model-out n.nnt --no-ensemble > n.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "--no-ensemble exits 0 (got $rc)"
check "[ \"\$(version n.nnt)\" = 3 ]" "--no-ensemble saves a single model (version 3)"
check "! grep -q 'averaged' n.out" "--no-ensemble: no averaging in the summary"
check "\"$NNT\" eval --model n.nnt --data \"$DATA\" > /dev/null 2>&1" "eval reads the single model"

# ---- 3. --no-refit --ensemble: the best trial's fold models ------------------------
tune --data "$REG" --storage r.db --model-out r.nnt --no-refit > r.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "regression --no-refit exits 0 (got $rc)"
check "grep -qF \"no refit: the best trial's own model is kept; the 5 fold models averaged\" r.out" \
    "--no-refit: the selection line says the fold models are averaged"
check "[ \"\$(version r.nnt)\" = 4 ]" "--no-refit: the fold ensemble is saved (version 4)"
"$NNT" predict --model r.nnt --data "$REG" > r.csv 2>&1
check "[ \$? -eq 0 ] && head -1 r.csv | grep -qx 'prediction'" "predict reads the regression ensemble"

# ---- 4. --ensemble without folds is refused, nothing stored -------------------------
tune --data "$DATA" --storage h.db --model-out h.nnt --cv 1 --ensemble > h.out 2>&1
rc=$?
check "[ $rc -eq 2 ]" "--cv 1 --ensemble exits 2 (got $rc)"
check "grep -qF 'options.ensemble: an ensemble averages the fold models of k-fold cross-validation, and this study validates on a single hold-out (cv_folds 1)' h.out" \
    "the error says why"
check "[ ! -e h.db ] && [ ! -e h.nnt ]" "nothing is written"
tune --data "$DATA" --valid "$DATA" --storage v.db --ensemble > v.out 2>&1
check "grep -qF 'this study validates on a separate validation set' v.out" \
    "--valid with --ensemble: the error names the validation set"

# ---- 4b. a resumed study whose best trial ran before: the earlier run's file
# (already the refit + folds) is not mixed into the new refit ----------------------
tune() { "$NNT" tune --param lr=0.001:0.3:log --param epochs=8 --jobs 1 "$@"; }
tune --data "$DATA" --trials 2 --storage rs.db --json > rs1.json 2>&1
tune --data "$DATA" --trials 4 --storage rs.db --json > rs2.json 2>&1
check "python3 -c \"import json; a=[json.loads(l) for l in open('rs1.json')][-1]; b=[json.loads(l) for l in open('rs2.json')][-1]; \
assert a['selection']['model_members'] == 6 and b['best_trial'] == a['best_trial'] and b['selection']['model_members'] == 1, (a, b)\"" \
    "resume without a new best: the refit alone, not 7 models"
check "[ \"\$(version rs.default.best.nnt)\" = 3 ]" "resume without a new best: a single-model file"
tune() { "$NNT" tune --param lr=0.05,0.2 --param epochs=8 --jobs 1 "$@"; }

# ---- 5. the study file's "ensemble" key, and the flag over it ---------------------
cat > s.json <<JSON
{"data": "$DATA", "space": {"lr": [0.05, 0.2], "epochs": [8]}, "budget": {"trials": 2},
 "options": {"jobs": 1, "ensemble": false, "storage": "$T/s.db", "model_out": "$T/s.nnt"}}
JSON
"$NNT" tune s.json > s.out 2>&1
check "[ \$? -eq 0 ] && [ \"\$(version s.nnt)\" = 3 ]" "\"ensemble\": false saves the refit alone"
"$NNT" tune s.json --ensemble --storage s2.db --model-out s2.nnt > s2.out 2>&1
check "[ \$? -eq 0 ] && [ \"\$(version s2.nnt)\" = 4 ]" "--ensemble overrides the file"
sed 's/"ensemble": false/"ensemble": 1/' s.json > bad.json
"$NNT" tune bad.json > bad.out 2>&1
check "[ \$? -ne 0 ] && grep -qF 'study.options.ensemble: expected true or false' bad.out" \
    "a non-boolean \"ensemble\" is an error naming the key"
"$NNT" tune --help > help.out 2>&1
check "grep -q -- '--ensemble ' help.out && grep -q -- '--no-ensemble ' help.out" "--help lists both flags"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
