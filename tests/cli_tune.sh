#!/usr/bin/env bash
# CLI tests of `nntune tune`, `nntune trials` and `nntune best`: a grid search
# over the learning rate, listing and best, a real kill -9 of a running study
# and its resume, and bad study files.
# usage: cli_tune.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_tune.sh NNTUNE_BINARY}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
T=$(mktemp -d /tmp/nnt-cli-tune-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }

# A CSV column of `nntune trials --format csv` rows in state $2 (column $1).
col() { awk -F, -v c="$1" -v s="$2" 'NR > 1 && $2 == s { print $c }' "$3"; }

# ---- 1. grid search over lr finds every cell -------------------------------
"$NNT" tune --data "$DATA" --param lr=0.001:0.3:log:points=5 --param epochs=15 \
    --jobs 2 --storage grid.db --seed 4 > grid.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "grid tune exits 0 (got $rc)"
check "grep -q 'grid search' grid.out" "grid sampler chosen for --param without budget"
check "grep -q 'Leaderboard' grid.out" "tune ends with a leaderboard"
"$NNT" trials grid.db --format csv > grid.csv
check "[ \$(col 2 complete grid.csv | wc -l) -eq 5 ]" "5 grid cells complete"
check "[ \$(tail -n +2 grid.csv | cut -d, -f13- | sort -u | wc -l) -eq 5 ]" "5 different parameter sets"
check "grep -q 'lr\"\": 0.001,' grid.csv && grep -q 'lr\"\": 0.3,' grid.csv" "grid includes both range ends"
"$NNT" best grid.db > best.out
check "[ $? -eq 0 ] && grep -q '^best:    trial' best.out && grep -q 'grid.default.best.nnt' best.out" "best prints the best trial and its model"
check "[ -s grid.default.best.nnt ]" "best model file saved"
"$NNT" trials grid.db --sort --format json > sorted.json
check "python3 -c \"import json,sys; d=json.load(open('sorted.json')); v=[t['value'] for t in d['trials']]; sys.exit(0 if v==sorted(v, reverse=True) and len(v)==5 else 1)\"" "trials --sort --format json is best first"
"$NNT" trials grid.db > table.out
check "grep -q 'complete' table.out" "trials table"

# Two studies share one database by name; `trials --study` picks one.
"$NNT" tune --data "$DATA" --param lr=0.01,0.1 --param epochs=5 --storage grid.db \
    --study second --quiet > second.out 2>&1
check "[ $? -eq 0 ]" "second study in the same database"
check "[ \$(\"$NNT\" trials grid.db --study second --format csv | tail -n +2 | wc -l) -eq 2 ]" "second study has its own trials"
check "[ \$(\"$NNT\" trials grid.db --study default --format csv | tail -n +2 | wc -l) -eq 5 ]" "first study unchanged"

# --json: one object per event, ending with a summary.
"$NNT" tune --data "$DATA" --param lr=0.01,0.1 --param epochs=5 --storage json.db --json > events.json 2>/dev/null
check "python3 -c \"import json; ev=[json.loads(l) for l in open('events.json')]; k=[e['event'] for e in ev]; assert k.count('trial_end')==2 and k[-1]=='summary' and 'epoch' in k\"" "--json events"

# ---- 2. kill -9 of a running study, then resume ----------------------------
# The kill must land while trials run, however fast the machine is: the CLI's
# test-only hold (tools/test_hold.c) pauses the study at trial 3's start until
# $HOLD/go exists. With 2 jobs, trial 3 starts once at least 2 of trials 0-2
# have finished, so at the kill 2 or 3 are complete and the others of trials
# 0-3 (trial 3 at least) are running.
# No pruning (pruning is tested in cli_tune_search.sh).
HOLD="$T/hold"
mkdir -p "$HOLD"
# Waits (at most 300 s, with a message) until file $1 exists or process $2 ends.
wait_file() {
    local i
    for i in $(seq 3000); do
        [ -e "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    [ -e "$1" ] || echo "note: $1 did not appear (process $2 ended or 300 s passed)"
    [ -e "$1" ]
}
ARGS=(--data "$DATA" --storage kill.db --trials 10 --jobs 2 --seed 9 --pruner none
      --param epochs=6 --param early_stopping=false --param hidden_layers=2
      --param neurons=16 --param batch_size=16 --param lr=0.001:0.01:log)
NNT_TEST_HOLD_TRIAL=3 NNT_TEST_HOLD_DIR="$HOLD" "$NNT" tune "${ARGS[@]}" > kill1.out 2>&1 &
pid=$!
wait_file "$HOLD/held" "$pid"
held=$?
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "[ $held -eq 0 ]" "the study was held at trial 3's start"
"$NNT" trials kill.db --format csv > before.csv
awk -F, 'NR > 1 && $2 == "complete" { print $1 "," $3 "," $13 }' before.csv | sort > before.done
done_before=$(wc -l < before.done)
running_before=$(awk -F, 'NR > 1 && $2 == "running"' before.csv | wc -l)
check "[ $done_before -ge 2 ] && [ $running_before -ge 1 ] && [ $((done_before + running_before)) -eq 4 ]" \
    "killed with trials 0-3 complete ($done_before) or running ($running_before)"

"$NNT" tune "${ARGS[@]}" > kill2.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "resume exits 0 (got $rc)"
check "grep -q 'resumed' kill2.out" "resume is announced"
"$NNT" trials kill.db --format csv > after.csv
awk -F, 'NR > 1 && $2 == "complete" { print $1 "," $3 "," $13 }' after.csv | sort > after.done
check "[ -z \"\$(comm -23 before.done after.done)\" ]" "every completed trial kept with its number, value and params"
# Budget: complete + pruned + failed-not-interrupted = 10.
counted=$(awk -F, 'NR > 1 && $2 != "running" && $10 == 0' after.csv | wc -l)
check "[ $counted -eq 10 ]" "the budget of 10 is finished ($counted counted trials)"
check "[ \$(awk -F, 'NR > 1 && \$2 == \"running\"' after.csv | wc -l) -eq 0 ]" "no trial left running"
interrupted=$(awk -F, 'NR > 1 && $10 == 1' after.csv | wc -l)
check "[ $interrupted -eq $running_before ]" "the $running_before running trial(s) are on record as interrupted ($interrupted)"
check "[ \$(awk -F, 'NR > 1 && \$10 == 1 && \$2 != \"failed\"' after.csv | wc -l) -eq 0 ]" "interrupted trials are failed"
check "grep -q ',interrupted\$' after.csv" "interrupted trials carry the error 'interrupted'"
reruns=$(awk -F, 'NR > 1 && $11 != ""' after.csv | wc -l)
check "[ $reruns -eq $interrupted ]" "each interrupted trial was rerun ($reruns reruns)"

# A second runner on a study that is running is refused: the first one is
# held at the start of its first new trial (trial numbers run 0..rows-1).
rm -f "$HOLD/held"
next=$(tail -n +2 after.csv | wc -l)
NNT_TEST_HOLD_TRIAL=$next NNT_TEST_HOLD_DIR="$HOLD" "$NNT" tune "${ARGS[@]}" --trials 14 > lock1.out 2>&1 &
pid=$!
wait_file "$HOLD/held" "$pid"
held=$?
"$NNT" tune "${ARGS[@]}" --trials 14 > lock2.out 2>&1
rc=$?
touch "$HOLD/go"
wait "$pid"
rc1=$?
check "[ $held -eq 0 ]" "the first runner was held at trial $next's start"
check "[ $rc -eq 1 ] && grep -q 'being run by another process' lock2.out" "a second runner of a running study is refused (rc $rc)"
check "[ $rc1 -eq 0 ]" "the first runner finishes once released (rc $rc1)"
check "[ \$(\"$NNT\" trials kill.db --format csv | awk -F, 'NR > 1 && \$2 != \"running\" && \$10 == 0' | wc -l) -eq 14 ]" \
    "the first runner finished the budget of 14"

# A resume with another definition is an error, unless --force.
"$NNT" tune --data "$DATA" --param lr=0.02,0.2 --param epochs=5 --storage grid.db \
    --study second > redef.out 2>&1
rc=$?
check "[ $rc -eq 2 ] && grep -q 'different space' redef.out" "changed definition refused (rc $rc)"

# ---- 3. bad study files: key path, exit 2, no trial ------------------------
bad() { # name, json, expected text
    printf '%s\n' "$2" > "$1.json"
    "$NNT" tune "$1.json" --storage bad.db > "$1.out" 2>&1
    local rc=$?
    if [ $rc -eq 2 ] && grep -qF -- "$3" "$1.out"; then echo "ok: bad study file $1"
    else fail "bad study file $1 (rc $rc): $(cat "$1.out")"; fi
}
bad unknown "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"colour\": 1}" "study.colour: unknown key"
bad type "{\"data\": \"$DATA\", \"budget\": {\"trials\": \"two\"}}" "study.budget.trials: expected a positive integer"
bad lowhigh "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"space\": {\"lr\": {\"low\": 0.5, \"high\": 0.1}}}" "study.space.lr"
bad logzero "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"space\": {\"lr\": {\"low\": 0, \"high\": 0.1, \"log\": true}}}" "study.space.lr.low"
bad option "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}, \"options\": {\"epochs\": -3}}" "study.options.epochs"
bad json "{\"data\": \"$DATA\", \"budget\": {\"trials\": 2}" "invalid JSON"
check "! \"$NNT\" trials bad.db > /dev/null 2>&1" "no study was created by a bad file"

"$NNT" tune --data "$DATA" --sampler random --storage bad.db > nobudget.out 2>&1
check "[ $? -eq 2 ]" "random search without a budget is a usage error"
"$NNT" tune --data "$DATA" --param bogus=1 --storage bad.db > badparam.out 2>&1
check "[ $? -eq 2 ] && grep -q 'bogus' badparam.out" "unknown --param is a usage error"
"$NNT" tune --help > help.out
check "[ $? -eq 0 ] && grep -q -- '--trials' help.out" "tune --help"
"$NNT" trials > /dev/null 2>&1
check "[ $? -eq 2 ]" "trials without STORAGE is a usage error"
"$NNT" best missing.db > /dev/null 2>&1
check "[ $? -eq 1 ]" "best on a missing storage is a runtime error"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
