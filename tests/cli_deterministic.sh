#!/usr/bin/env bash
# CLI tests of `nntune tune --deterministic`: two runs with --jobs 2 (TPE +
# ASHA on the MLP trainer, small data) store the same trials -- `nntune
# trials --format csv` equal but for times and the model path -- a resume
# keeps the mode, --slots gives the same study with any --jobs, and what
# depends on timing is refused with a message.
# usage: cli_deterministic.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_deterministic.sh NNTUNE_BINARY}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
T=$(mktemp -d /tmp/nnt-cli-det-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }

# `trials --format csv` without what depends on timing: duration, started,
# finished (columns 6, 8, 9) and the model path (12, named after the storage).
stable() {
    "$NNT" trials "$1" --format csv | python3 -c '
import csv, sys
for r in csv.reader(sys.stdin):
    print(r[:5] + [r[6]] + r[9:11] + r[12:])'
}

ARGS=(--data "$DATA" --param epochs=8 --param lr=0.001:0.3:log --param neurons=4,8,16
      --sampler tpe --pruner asha --seed 5 --quiet --no-refit)
for run in a b; do
    mkdir "$run"
    (cd "$run" && "$NNT" tune "${ARGS[@]}" --deterministic --jobs 2 --trials 16 \
        --storage s.db > out.txt 2>&1)
    rc=$?
    check "[ $rc -eq 0 ]" "deterministic run $run exits 0 (got $rc)"
    stable "$run/s.db" > "$run.csv"
done
check "[ \$(wc -l < a.csv) -eq 17 ]" "16 trials stored"
check "cmp -s a.csv b.csv" "two --deterministic --jobs 2 runs store the same trials"
[ -f a.csv ] && ! cmp -s a.csv b.csv && diff a.csv b.csv | head -5
check "grep -q pruned a.csv" "ASHA pruned some trials"

# Resume: the stored mode is kept without --deterministic (the stored
# definition has the slots), and 16 + 8 trials equal a straight 24.
(cd a && "$NNT" tune "${ARGS[@]}" --jobs 2 --trials 24 --storage s.db > resume.txt 2>&1)
rc=$?
check "[ $rc -eq 0 ]" "resume exits 0 (got $rc)"
mkdir c
(cd c && "$NNT" tune "${ARGS[@]}" --deterministic --jobs 2 --trials 24 --storage s.db \
    > out.txt 2>&1)
stable a/s.db > a24.csv
stable c/s.db > c24.csv
check "[ \$(wc -l < a24.csv) -eq 25 ] && cmp -s a24.csv c24.csv" "16 then 24 trials equal a straight 24"

# --slots: the same study with any --jobs (1 runs them one at a time).
for j in 1 2; do
    mkdir "s$j"
    (cd "s$j" && "$NNT" tune "${ARGS[@]}" --slots 3 --jobs "$j" --trials 12 --storage s.db \
        > out.txt 2>&1)
    stable "s$j/s.db" > "s$j.csv"
done
check "[ \$(wc -l < s1.csv) -eq 13 ] && cmp -s s1.csv s2.csv" "--slots 3 gives the same study with --jobs 1 and 2"
(cd s1 && "$NNT" tune "${ARGS[@]}" --slots 4 --trials 14 --storage s.db > other.txt 2>&1)
rc=$?
check "[ $rc -eq 2 ] && grep -q 'different slots (stored 3, now 4)' s1/other.txt" "another slot count is refused on resume (rc $rc)"

# Timing-dependent settings are refused.
"$NNT" tune "${ARGS[@]}" --deterministic --trials 4 --trial-time-limit 30s --storage x.db \
    > limit.txt 2>&1
rc=$?
check "[ $rc -eq 2 ]" "--deterministic with --trial-time-limit is a usage error (got $rc)"
check "grep -q 'a deterministic study cannot have a trial time limit' limit.txt" "the message says why"
check "[ ! -e x.db ]" "no storage written"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
