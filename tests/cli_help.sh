#!/usr/bin/env bash
# Help and usage errors (issue 10.2): `nntune help COMMAND` is `nntune COMMAND
# --help`; each --help ends with two or three examples whose options exist; an
# unknown option suggests the closest one; train and tune explain their
# different default validation fractions.
# usage: cli_help.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_help.sh NNTUNE_BINARY}
T=$(mktemp -d /tmp/nnt-cli-help-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }

for cmd in train predict eval tune trials best importance report; do
    "$NNT" help $cmd > a.out 2> a.err
    rc=$?
    "$NNT" $cmd --help > b.out 2> /dev/null
    check "[ $rc -eq 0 ] && [ ! -s a.err ] && cmp -s a.out b.out" "help $cmd is $cmd --help"
    # the last block is "Examples:" and 2-3 command lines (plus continuations)
    awk '/^Examples:$/ { found = 1; next } found' a.out > ex
    n=$(grep -c "^  nntune $cmd " ex)
    check "[ \"\$(tail -n +1 a.out | grep -n '^Examples:$' | cut -d: -f1)\" -gt 1 ] && [ $n -ge 2 ] && [ $n -le 3 ]" "$cmd --help ends with 2-3 examples ($n)"
    # every option an example uses is one the help documents
    for opt in $(grep -o -- ' --[a-z][a-z-]*' ex | sort -u); do
        check "grep -q -- \"$opt\" <(sed '/^Examples:$/,\$d' a.out)" "$cmd example option $opt is documented"
    done
done
"$NNT" help nosuch > out 2>&1
check "[ $? -eq 2 ] && grep -q \"nntune help: unknown command 'nosuch'\" out" "help with an unknown command: usage error"
"$NNT" help > out 2>&1
check "[ $? -eq 0 ] && grep -q 'nntune help COMMAND' out && grep -q '130 / 143' out" "plain help names 'help COMMAND' and the exit statuses"

# did you mean
"$NNT" train --data x.csv --bacth 8 > out 2>&1
check "[ $? -eq 2 ] && grep -q \"nntune train: unknown option '--bacth'; did you mean --batch?\" out" "--bacth suggests --batch"
"$NNT" train --data x.csv --batchsize=8 > out 2>&1
check "grep -q 'did you mean --batch?' out" "--batchsize=8 suggests --batch"
"$NNT" tune --trails 5 > out 2>&1
check "[ $? -eq 2 ] && grep -q 'did you mean --trials?' out" "tune --trails suggests --trials"
"$NNT" report s.db --fromat json > out 2>&1
check "grep -q 'did you mean --format?' out" "report --fromat suggests --format"
"$NNT" predict --modle m.nnt > out 2>&1
check "grep -q 'did you mean --model?' out" "predict --modle suggests --model"
"$NNT" train --data x.csv --valid_fraction 0.2 > out 2>&1
check "grep -q 'did you mean --valid-fraction?' out" "--valid_fraction suggests --valid-fraction"
"$NNT" train --data x.csv --zzzzzz > out 2>&1
check "[ $? -eq 2 ] && grep -q \"unknown option '--zzzzzz'\" out && ! grep -q 'did you mean' out" "no suggestion when nothing is close"

# validation fractions: different defaults, explained
check "\"$NNT\" train --help | grep -q \"'tune' holds\" && \"$NNT\" tune --help | grep -q \"default 0.2, twice train's 0.1\"" "train and tune --help explain their default validation fractions"

echo "cli_help: $fails failure(s)"
[ "$fails" -eq 0 ]
