#!/usr/bin/env bash
# Model selection on small data: how many trials tie at the best validation
# value, and the test accuracy of the saved model, for nntune's default study
# (5-fold cross-validation + refit below 5000 rows) against a single hold-out
# (--cv 1 --no-refit), and optionally against an older nntune binary.
# Data: two generated 3-class problems (bench/small_data_gen.py; Debian
# python3-numpy), 178 and 300 training rows, 2000 test rows each.
# usage: bench/small_data_selection.sh BUILD_DIR [OLD_NNTUNE] [TRIALS] [SEEDS]
#   e.g. bash bench/small_data_selection.sh build /tmp/old/build/nntune 60 "1 2 3 4 5"
set -euo pipefail
BUILD=${1:?usage: small_data_selection.sh BUILD_DIR [OLD_NNTUNE] [TRIALS] [SEEDS]}
NNT=$(cd "$BUILD" && pwd)/nntune
OLD=${2:-}
TRIALS=${3:-60}
SEEDS=${4:-1 2 3 4 5}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/nnt-small-sel-XXXXXX)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 "$HERE/small_data_gen.py" "$T"
cd "$T"

variants=(default holdout)
[ -n "$OLD" ] && variants=(old "${variants[@]}")
printf "%-5s %-8s %-5s %-14s %-10s %-9s %s\n" data variant seed tied/complete best_trial valid test
for d in easy med; do
  for seed in $SEEDS; do
    for v in "${variants[@]}"; do
      bin=$NNT
      extra=()
      [ "$v" = old ] && bin=$OLD
      [ "$v" = holdout ] && extra=(--cv 1 --no-refit)
      db=$d-$v-$seed.db
      "$bin" tune --data ${d}_train.csv --test ${d}_test.csv --trials "$TRIALS" --jobs 1 \
          --seed "$seed" --storage "$db" "${extra[@]}" --quiet > out.txt 2>&1
      tied=$("$NNT" trials "$db" --format json | /usr/bin/python3 -c '
import json, sys
c = [t["value"] for t in json.load(sys.stdin)["trials"] if t["state"] == "complete"]
print(f"{sum(v == max(c) for v in c)}/{len(c)}")')
      best=$(sed -n 's/^Best: trial \([0-9]*\), accuracy \([0-9.]*\).*/\1 \2/p' out.txt)
      test=$(sed -n 's/^Test accuracy of the [a-z]* model: \([0-9.]*\).*/\1/p' out.txt)
      printf "%-5s %-8s %-5s %-14s %-10s %-9s %s\n" $d $v $seed "$tied" $best "$test"
    done
  done
done
