#!/usr/bin/env bash
# CLI tests of model selection on small data and of studies that never mix
# data: the default 5-fold cross-validation and refit with its summary line,
# --cv 1 --no-refit, the ties line and note (tune and best), and a study on
# other data refused even with --force.
# usage: cli_tune_selection.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_tune_selection.sh NNTUNE_BINARY}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
T=$(mktemp -d /tmp/nnt-cli-sel-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }

# ---- 1. small data: 5-fold CV and a refit by default ---------------------------
"$NNT" tune --data "$DATA" --param lr=0.05,0.2 --param epochs=8 --jobs 1 --storage cv.db \
    --quiet > cv.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "default tune on small data exits 0 (got $rc)"
check "grep -qF 'Selection: 5-fold cross-validation (small data: 240 rows < 5000); best configuration refit on all 240 training rows' cv.out" "summary names CV and refit"
check "grep -q '^Refit: trial [0-9]* s configuration on 240 rows\\|^Refit: trial [0-9]*.s configuration on 240 rows' cv.out" "the refit ran on all rows"
"$NNT" tune --data "$DATA" --param lr=0.05,0.2 --param epochs=8 --jobs 1 --storage cvj.db \
    --json > cv.json 2>&1
check "python3 -c \"import json; s=[json.loads(l) for l in open('cv.json')][-1]; assert s['selection']=={'cv_folds':5,'refit':True,'ensemble':True,'model_members':6,'rows':240,'small_data':True}, s\"" "--json summary has the selection"

# ---- 2. --cv 1 --no-refit: hold-out, no refit ---------------------------------------
"$NNT" tune --data "$DATA" --param lr=0.05,0.2 --param epochs=8 --jobs 1 --storage ho.db \
    --cv 1 --no-refit --quiet > ho.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "--cv 1 --no-refit exits 0 (got $rc)"
check "grep -qF 'Selection: hold-out validation; no refit: the best trial' ho.out" "summary says hold-out, no refit"
check "! grep -q '^Refit:' ho.out" "no refit line"
check "! grep -q 'sd ' ho.out" "no fold spread"

# ---- 3. ties: broken by validation loss, noted when many --------------------------
"$NNT" tune --data "$DATA" --param lr=0.3,0.2,0.1,0.05 --param neurons=8,16,32 --param epochs=20 \
    --cv 1 --no-refit --jobs 1 --storage ties.db --quiet > ties.out 2>&1
check "[ $? -eq 0 ]" "ties study exits 0"
check "grep -q '^Ties: [0-9]* of 12 complete trials have accuracy' ties.out" "tune prints the ties line"
check "grep -q '^Note: [0-9]* trials tie at the best value' ties.out && grep -q 'cross-validation (--cv 5)' ties.out" "tune prints the ties note"
"$NNT" best ties.db > best.out
check "grep -q '^Ties: ' best.out && grep -q '^Note: ' best.out" "best prints the ties too"
"$NNT" trials ties.db --sort --format json > sorted.json
"$NNT" best ties.db --json > best.json
check "python3 -c \"
import json
t=[x for x in json.load(open('sorted.json'))['trials'] if x['state']=='complete']
b=json.load(open('best.json'))
top=[x for x in t if x['value']==t[0]['value']]
assert b['trial']==t[0]['number'] and b['tied']==len(top), (b, t[0])
assert min(x['valid_loss'] for x in top)==t[0]['valid_loss']
assert all(top[i]['valid_loss']<=top[i+1]['valid_loss'] for i in range(len(top)-1))
assert t[0]['number']!=min(x['number'] for x in top), 'the tie went to trial order'
\"" "best = the tied trial with the lowest validation loss; trials --sort agrees"

# ---- 4. other data: refused, even with --force ---------------------------------------
head -n 121 "$DATA" > half.csv
"$NNT" tune --data half.csv --param lr=0.05,0.2 --param epochs=8 --jobs 1 --storage cv.db \
    --force --quiet > other.out 2>&1
rc=$?
check "[ $rc -eq 2 ]" "other data with --force exits 2 (got $rc)"
check "grep -qF \"study 'default' was run on other data: rows (stored 240, now 120)\" other.out" "the error names the rows"
check "grep -qF 'choose a new --study name' other.out && ! grep -q 'pass --force' other.out" "the error suggests --study, not --force"
"$NNT" tune --data half.csv --param lr=0.05,0.2 --param epochs=8 --jobs 1 --storage cv.db \
    --quiet > other2.out 2>&1
check "[ $? -eq 2 ] && grep -qF 'rows (stored 240, now 120)' other2.out && ! grep -q 'pass --force' other2.out" "without --force: same message"
"$NNT" best cv.db > best_cv.out
check "grep -q 'cv.default.best.nnt' best_cv.out" "the study's model is untouched"
# The same data with another space: --force is accepted.
"$NNT" tune --data "$DATA" --param lr=0.05,0.3 --param epochs=8 --jobs 1 --storage cv.db \
    --force --quiet > force.out 2>&1
check "[ $? -eq 0 ] && [ \$(\"$NNT\" trials cv.db --format csv | tail -n +2 | wc -l) -eq 3 ]" "--force with another space on the same data goes on"
# A new study name on the other data works.
"$NNT" tune --data half.csv --param lr=0.05,0.2 --param epochs=8 --jobs 1 --storage cv.db \
    --study half --quiet > half.out 2>&1
check "[ $? -eq 0 ] && grep -qF 'small data: 120 rows' half.out" "another --study name on the other data"

# Fewer rows than the default 5 folds: one fold a row, no error about folds.
head -4 "$DATA" > tiny.csv
"$NNT" tune --data tiny.csv --param epochs=2 --param neurons=4 --trials 1 --jobs 1 \
    --storage tiny.db > tiny.out 2>&1
check "[ $? -eq 0 ] && grep -qF 'selection: 3-fold cross-validation (small data: 3 rows < 5000)' tiny.out" \
    "3 rows: 3-fold cross-validation by default"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
