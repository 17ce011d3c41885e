#!/usr/bin/env bash
# CLI: --help, usage errors (exit 2) and data errors (exit 1) with clear
# messages.  Usage: cli_errors.sh NNTUNE BUILD_DIR
set -euo pipefail
NNTUNE=${1:?usage: cli_errors.sh NNTUNE BUILD_DIR}
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

# --help on every command: exit 0, usage on stdout.
for cmd in train predict eval; do
    run 0 "$NNTUNE" "$cmd" --help
    contains "$T/out" "usage: nntune $cmd"
    run 0 "$NNTUNE" "$cmd" -h
done

# Usage errors: exit 2 with "nntune CMD: ..." on stderr.
run 2 "$NNTUNE" train --data "$BLOBS" --no-such-option
contains "$T/err" "nntune train: unknown option '--no-such-option'"
run 2 "$NNTUNE" train --hidden 8
contains "$T/err" "nntune train: --data is required"
run 2 "$NNTUNE" train --data "$BLOBS" --epochs
contains "$T/err" "requires a value"
run 2 "$NNTUNE" train --data "$BLOBS" --epochs ten
contains "$T/err" "--epochs: expected an integer, got 'ten'"
run 2 "$NNTUNE" train --data "$BLOBS" --lr=-1
contains "$T/err" "--lr"
run 2 "$NNTUNE" train --data "$BLOBS" --optimizer adagrad
contains "$T/err" "unknown optimizer 'adagrad' (expected sgd, momentum, nesterov, adam or adamw)"
run 2 "$NNTUNE" train --data "$BLOBS" --hidden 8,4 --dropout 0.1,0.2,0.3
contains "$T/err" "3 values for 2 hidden layers"
run 2 "$NNTUNE" train --data "$BLOBS" --dropout 1.5
run 2 "$NNTUNE" train --data "$BLOBS" --task cluster
contains "$T/err" "unknown task 'cluster'"
run 2 "$NNTUNE" train --data "$BLOBS" stray
contains "$T/err" "unexpected argument 'stray'"
run 2 "$NNTUNE" predict --data "$BLOBS"
contains "$T/err" "nntune predict: --model is required"
run 2 "$NNTUNE" predict --model x.nnt --bogus
contains "$T/err" "nntune predict: unknown option '--bogus'"
run 2 "$NNTUNE" eval --model x.nnt
contains "$T/err" "nntune eval: --data is required"
run 2 "$NNTUNE" eval -z
contains "$T/err" "nntune eval: unknown option '-z'"
run 2 "$NNTUNE"
run 2 "$NNTUNE" no-such-command

# Data errors: exit 1 with the file, line or column named.
run 1 "$NNTUNE" train --data "$T/missing.csv" --out "$T/m.nnt"
contains "$T/err" "nntune train: "
contains "$T/err" "missing.csv"
printf 'a,b,label\n1,2,x\n3,4,y\n5,zz,x\n' >"$T/bad.csv"
run 1 "$NNTUNE" train --data "$T/bad.csv" --out "$T/m.nnt"
contains "$T/err" "bad.csv:4"
contains "$T/err" "zz"
run 1 "$NNTUNE" train --data "$BLOBS" --target species --out "$T/m.nnt"
contains "$T/err" "species"
run 1 "$NNTUNE" train --data "$BLOBS" --test "$DATA/regress.csv" --out "$T/m.nnt"
contains "$T/err" "nntune train: "
[ -e "$T/m.nnt" ] && fail "a failed run wrote a model"

echo "cli_errors: all checks passed"
