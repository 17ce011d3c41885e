#!/usr/bin/env bash
# CLI on the storage of a user objective: examples/tune_function.c tunes a C
# function into a study file, then `nntune trials`, `best`, `importance` and
# `report` read it like an MLP study's; a second run resumes it.
# Usage: cli_objective.sh NNTUNE BUILD_DIR
set -euo pipefail
NNTUNE=${1:?usage: cli_objective.sh NNTUNE BUILD_DIR}
BUILD=${2:?usage: cli_objective.sh NNTUNE BUILD_DIR}
EXAMPLE=$BUILD/example_tune_function
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

[ -x "$EXAMPLE" ] || fail "example not built: $EXAMPLE"
DB=$T/f.db
run 0 "$EXAMPLE" "$DB"
contains "$T/out" "40 trials:"
cp "$T/out" "$T/first"

# trials: the user's value name and parameter names, complete and pruned trials.
run 0 "$NNTUNE" trials "$DB"
contains "$T/out" "study 'noisy': 40 trials (f, lower is better)"
contains "$T/out" '{"x": '
contains "$T/out" ', "y": '
grep -q " complete " "$T/out" || fail "no complete trial listed"
grep -q " pruned " "$T/out" || fail "no pruned trial listed (median pruning)"
run 0 "$NNTUNE" trials "$DB" --format csv
[ "$(tail -n +2 "$T/out" | wc -l)" -eq 40 ] || fail "csv: expected 40 rows"

# best: the same trial the example printed.
run 0 "$NNTUNE" best "$DB"
best=$(sed -n 's/^best: trial \([0-9]*\),.*/\1/p' "$T/first")
contains "$T/out" "best:    trial $best"
contains "$T/out" "f        "
# ... in the user's terms: its steps, and no model line (it saves none).
contains "$T/out" "steps:   "
grep -q '^epochs:' "$T/out" && fail "best of a user objective says epochs: $(cat "$T/out")"
grep -q '^model:' "$T/out" && fail "best of a user objective has a model line: $(cat "$T/out")"

# importance over the user's parameter names.
run 0 "$NNTUNE" importance "$DB"
contains "$T/out" "Hyperparameter importance of study 'noisy' ("
grep -qE '^  (x|y) ' "$T/out" || fail "importance does not name x and y: $(cat "$T/out")"

# report: HTML and JSON with the space of any names.
run 0 "$NNTUNE" report "$DB" -o "$T/r.html"
[ -s "$T/r.html" ] || fail "no HTML report"
grep -q '<svg' "$T/r.html" || fail "the report has no plot"
run 0 "$NNTUNE" report "$DB" --format json -o "$T/r.json"
grep -q '"x"' "$T/r.json" || fail "the JSON report does not name parameter x"

# A second run resumes: the budget is spent, nothing new, same best.
run 0 "$EXAMPLE" "$DB"
contains "$T/out" "40 trials:"
contains "$T/out" "best: trial $best,"
run 0 "$NNTUNE" trials "$DB" --format csv
[ "$(tail -n +2 "$T/out" | wc -l)" -eq 40 ] || fail "resume added trials to a spent budget"

# `nntune tune` refuses to resume a user objective's study as an MLP study.
printf 'a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n5,6,0\n6,7,1\n' > "$T/d.csv"
run 2 "$NNTUNE" tune --data "$T/d.csv" --storage "$DB" --study noisy --trials 1 --quiet
contains "$T/err" "tunes the user objective 'noisy_quadratic', not nntune's MLP trainer"
contains "$T/err" "(not even --force changes it): choose another --study name"
echo "cli_objective: ok"
