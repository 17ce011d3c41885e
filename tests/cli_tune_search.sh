#!/usr/bin/env bash
# CLI tests of the smarter search (issue 4): `nntune tune --sampler tpe
# --pruner asha` prunes trials (stored as pruned with the epoch reached) and
# resumes without repeating its flags; --objective with a cost ends with a
# Pareto front that `nntune best` shows too; `nntune importance`; sampler and
# pruner keys of study files checked with their key path.
# usage: cli_tune_search.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_tune_search.sh NNTUNE_BINARY}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
T=$(mktemp -d /tmp/nnt-cli-search-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }
py() { python3 -c "$1"; }

SPACE=(--param lr=0.0005:0.5:log --param neurons=2:32:log --param activation=relu,tanh
       --param epochs=9 --param early_stopping=false)

# ---- 1. TPE + ASHA: pruned trials, their epochs, resume ---------------------
"$NNT" tune --data "$DATA" "${SPACE[@]}" --sampler tpe --pruner asha --trials 14 --jobs 1 \
    --seed 5 --storage s.db > tpe1.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "tpe + asha study exits 0 (got $rc)"
check "grep -q 'tpe search, asha pruning' tpe1.out" "header names sampler and pruner"
check "grep -q '^Trials: [0-9]* complete, [0-9]* pruned' tpe1.out" "summary counts pruned trials"
"$NNT" trials s.db --format json > t1.json
check "py \"import json; t=json.load(open('t1.json'))['trials']; p=[x for x in t if x['state']=='pruned']; assert len(t)==14 and len(p)>=2 and all(x['epochs'] in (1,3) for x in p) and all(x['value'] is not None for x in p)\"" \
    "pruned trials stored with their rung epoch (1 or 3) and a value"
# Resume with a larger budget and no sampler or pruner flag: the stored ones.
"$NNT" tune --data "$DATA" "${SPACE[@]}" --trials 18 --jobs 1 --storage s.db > tpe2.out 2>&1
rc=$?
check "[ $rc -eq 0 ] && grep -q 'resumed' tpe2.out" "resume exits 0 (got $rc)"
check "grep -q 'tpe search, asha pruning' tpe2.out" "resume keeps the stored sampler and pruner"
"$NNT" trials s.db --format json > t2.json
check "py \"import json; a=json.load(open('t1.json'))['trials']; b=json.load(open('t2.json'))['trials']; assert len(b)==18 and [(x['params'],x['state'],x['value']) for x in a]==[(x['params'],x['state'],x['value']) for x in b[:14]]\"" \
    "resume keeps the 14 trials and adds 4"
# The same study in one go gives the same 18 trials (one job: deterministic).
"$NNT" tune --data "$DATA" "${SPACE[@]}" --sampler tpe --pruner asha --trials 18 --jobs 1 \
    --seed 5 --storage s2.db --quiet > /dev/null 2>&1
"$NNT" trials s2.db --format json > t3.json
check "py \"import json; b=json.load(open('t2.json'))['trials']; c=json.load(open('t3.json'))['trials']; assert [(x['params'],x['state'],x['epochs']) for x in b]==[(x['params'],x['state'],x['epochs']) for x in c]\"" \
    "interrupted-and-resumed study equals the one-go study"
# Switching the pruner of a stored study is a definition change.
"$NNT" tune --data "$DATA" "${SPACE[@]}" --pruner median --trials 20 --storage s.db > sw.out 2>&1
check "[ $? -eq 2 ] && grep -q 'different pruner' sw.out" "another pruner on resume is refused"

# ---- 2. importance ----------------------------------------------------------
"$NNT" tune --data "$DATA" "${SPACE[@]}" --sampler random --pruner none --trials 24 --jobs 2 \
    --storage imp.db --quiet > /dev/null 2>&1
"$NNT" importance imp.db > imp.out
rc=$?
check "[ $rc -eq 0 ] && grep -q 'Hyperparameter importance' imp.out" "importance table (rc $rc)"
check "[ \$(grep -cE '^  (lr|neurons|activation) +[0-9.]+%' imp.out) -eq 3 ]" "one row per tuned parameter, fixed ones left out"
"$NNT" importance imp.db --format json > imp.json
check "py \"import json; d=json.load(open('imp.json')); s=[e['importance'] for e in d['importance']]; assert d['trials']==24 and abs(sum(s)-d['explained'])<1e-6 and 0<d['explained']<=1 and s==sorted(s, reverse=True) and d['importance'][0]['param']=='lr'\"" \
    "importance json: shares of the variance sum to 'explained' (<= 1), sorted, lr first"
# One number per parameter: the table, the JSON importance and the report agree.
"$NNT" report imp.db --format md -o imp.md > /dev/null 2>&1
check "py \"import json, re; d=json.load(open('imp.json')); t=open('imp.out').read(); m=open('imp.md').read()
for e in d['importance']:
    assert re.search(r'^  %s +%.1f%%' % (e['param'], 100 * e['importance']), t, re.M), e
    assert '| %s | %.1f%% |' % (e['param'], 100 * e['importance']) in m, e\"" \
    "importance: the table's percentages are the report's shares of the variance"
"$NNT" tune --data "$DATA" "${SPACE[@]}" --sampler random --pruner none --trials 2 \
    --storage few.db --quiet > /dev/null 2>&1
"$NNT" importance few.db > few.out 2>&1
check "[ $? -eq 1 ] && grep -q \"study 'default': this study has 2 complete trials; importance needs at least 4\" few.out" "too few trials: clear message, exit 1"
"$NNT" importance imp.db --format xml > /dev/null 2>&1
check "[ $? -eq 2 ]" "importance --format xml is a usage error"

# ---- 3. multi-objective ------------------------------------------------------
"$NNT" tune --data "$DATA" "${SPACE[@]}" --objective accuracy,params --trials 16 --jobs 2 \
    --storage mo.db > mo.out 2>&1
rc=$?
check "[ $rc -eq 0 ] && grep -q 'accuracy + params' mo.out" "multi-objective tune (rc $rc)"
check "grep -q 'Pareto front of study' mo.out" "tune ends with the Pareto front"
"$NNT" best mo.db > mobest.out
check "grep -q 'Pareto front of study' mobest.out" "best shows the Pareto front"
"$NNT" best mo.db --json > mobest.json
"$NNT" trials mo.db --format json > mot.json
check "py \"
import json
b=json.load(open('mobest.json')); t=json.load(open('mot.json'))['trials']
assert b['objectives']==['accuracy','params']
f=set(e['trial'] for e in b['pareto_front'])
vals={e['trial']:e['values'] for e in b['pareto_front']}
# every front member is complete and no complete trial dominates it
comp=[x['number'] for x in t if x['state']=='complete']
assert f and f <= set(comp)
for a in b['pareto_front']:
    assert len(a['values'])==2 and a['values'][1] > 0
\"" "best --json lists the front with both values"
"$NNT" tune --data "$DATA" --objective accuracy,flops --trials 2 --storage bad.db > badobj.out 2>&1
check "[ $? -eq 2 ] && grep -q 'flops' badobj.out" "unknown cost is a usage error"

# ---- 4. study-file sampler and pruner keys ------------------------------------
bad() { # name, json, expected text
    printf '%s\n' "$2" > "$1.json"
    "$NNT" tune "$1.json" --storage bad.db > "$1.out" 2>&1
    local rc=$?
    if [ $rc -eq 2 ] && grep -qF -- "$3" "$1.out"; then echo "ok: bad study file $1"
    else fail "bad study file $1 (rc $rc): $(cat "$1.out")"; fi
}
bad tpeopt "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"sampler\": {\"name\": \"tpe\", \"n_startup\": -1}}" "study.sampler.n_startup: expected an integer >= 0"
bad tpekey "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"sampler\": {\"name\": \"tpe\", \"bandwidth\": 2}}" "study.sampler.bandwidth: unknown key"
bad prunername "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"pruner\": {\"name\": \"fast\"}}" "study.pruner.name: expected \"none\", \"median\", \"asha\" or \"hyperband\""
bad pruneropt "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"pruner\": {\"name\": \"asha\", \"eta\": 1}}" "study.pruner.eta: expected an integer >= 2"
bad objectives "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"objectives\": [\"accuracy\", \"flops\"]}" "study.objectives[1]: expected a cost"
printf '%s\n' "{\"data\": \"$DATA\", \"budget\": {\"trials\": 6}, \"space\": {\"lr\": {\"low\": 0.001, \"high\": 0.3, \"log\": true}, \"epochs\": 9},
 \"sampler\": {\"name\": \"tpe\", \"n_startup\": 3, \"multivariate\": true},
 \"pruner\": {\"name\": \"hyperband\", \"min_resource\": 1, \"eta\": 3},
 \"options\": {\"jobs\": 1, \"storage\": \"file.db\", \"early_stopping\": false}}" > good.json
"$NNT" tune good.json > good.out 2>&1
check "[ $? -eq 0 ] && grep -q 'tpe search, hyperband pruning' good.out" "study file with sampler and pruner options runs"
check "[ \"\$(sqlite3 file.db \"SELECT json_extract(definition, '\$.pruner.name') || ',' || json_extract(definition, '\$.sampler_options.n_startup') FROM studies\" 2>/dev/null || echo skip)\" = 'hyperband,3' ] || ! command -v sqlite3 > /dev/null" \
    "sampler and pruner options are part of the stored definition"
# ---- 5. a resume without a space keeps the stored one -------------------------
# (so that a study made with an older default space still resumes)
"$NNT" tune --data "$DATA" "${SPACE[@]}" --trials 2 --jobs 1 --storage keep.db > keep1.out 2>&1
"$NNT" tune --data "$DATA" --trials 3 --jobs 1 --storage keep.db > keep2.out 2>&1
rc=$?
check "[ $rc -eq 0 ] && grep -q 'resumed' keep2.out" "resume without --param keeps the stored space (rc $rc)"
"$NNT" trials keep.db --format json > keep.json
check "py \"import json; t=json.load(open('keep.json'))['trials']; assert len(t)==3 and all(set(x['params'])=={'lr','neurons','activation','epochs','early_stopping'} for x in t)\"" \
    "the resumed trial draws from the stored space"

# ---- 5b. small data gets the small-data default space ------------------------
# blobs.csv has 240 rows (< NNT_SMALL_DATA_ROWS): weight decay is tuned, Adam only,
# 100 epochs.
"$NNT" tune --data "$DATA" --trials 1 --jobs 1 --storage small.db > small.out 2>&1
rc=$?
"$NNT" trials small.db --format json > small.json
check "[ $rc -eq 0 ] && py \"import json; p=json.load(open('small.json'))['trials'][0]['params']; assert 'weight_decay' in p and 'momentum' not in p and p['optimizer']=='adam' and p['epochs']==100, p\"" \
    "the default space on 240 rows is the small-data space (rc $rc)"

# ---- 6. --refit: the best configuration retrained on all rows ---------------
"$NNT" tune --data "$DATA" --test "$DATA" "${SPACE[@]}" --sampler random --pruner none --trials 3 \
    --jobs 1 --storage refit.db --refit > refit.out 2>&1
rc=$?
check "[ $rc -eq 0 ] && grep -q '^refit: trial [0-9]*.s configuration' refit.out" "--refit announces the refit (rc $rc)"
check "grep -q '^Refit: trial [0-9]*.s configuration on 240 rows for [0-9]* epochs' refit.out" \
    "--refit trains on every one of the 240 rows"
check "grep -q '^Test accuracy of the refit model: ' refit.out && grep -q '^Test accuracy of trial [0-9]*.s own model: ' refit.out" \
    "the test figure is the refit model's, the trial's own model's next to it"
"$NNT" best refit.db > refitbest.out 2>&1
check "grep -q '^refit:   the model is this configuration retrained on 240 rows' refitbest.out && grep -q '^test:    accuracy' refitbest.out" \
    "nntune best shows the test figure and the refit"
"$NNT" tune --data "$DATA" "${SPACE[@]}" --trials 2 --jobs 1 --storage refit-json.db --refit --json > refit.json 2>&1
check "py \"import json; L=[json.loads(l) for l in open('refit.json')]; k=[o['event'] for o in L]; s=L[-1]; assert 'refit_start' in k and 'refit_epoch' in k and 'refit_end' in k and s['refit']['done'] and s['refit']['rows']==240\"" \
    "--json has refit events and the summary's refit record"
"$NNT" tune --data "$DATA" --valid "$DATA" "${SPACE[@]}" --trials 2 --storage refit-bad.db --refit > refitbad.out 2>&1
check "[ $? -eq 2 ] && grep -q 'refit: the study validates on a separate validation set' refitbad.out" \
    "--refit with --valid is a usage error that says why"
bad refitkey "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"options\": {\"refit\": \"yes\"}}" "study.options.refit: expected true or false, got a string"

"$NNT" tune --help > help.out
check "grep -q -- '--pruner' help.out && grep -q -- '--objective' help.out && grep -q -- '--refit' help.out && grep -q 'tpe' help.out" "tune --help documents --sampler tpe, --pruner, --objective, --refit"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
