#!/usr/bin/env bash
# `make demo`: a short hyperparameter study on Fashion-MNIST with the default
# search space and the default search (TPE proposals, ASHA pruning), ending
# with a leaderboard and the test accuracy of the best model on the 10000 test
# images. About 4 minutes on 2 cores.
#
# usage: scripts/demo.sh NNTUNE_BINARY
# env:   DEMO_TIME (default 4m), DEMO_JOBS (default: number of cores, at most 2
#        unless set), DEMO_ROWS (training rows tuned on, default all 60000, of
#        which 10 % validate), DEMO_DIR (where the storage and best model go,
#        default demo-out)
set -euo pipefail
NNT=${1:?usage: demo.sh NNTUNE_BINARY}
TIME=${DEMO_TIME:-4m}
CORES=$(getconf _NPROCESSORS_ONLN)
JOBS=${DEMO_JOBS:-$((CORES < 2 ? CORES : 2))}
ROWS=${DEMO_ROWS:-0}
DIR=${DEMO_DIR:-demo-out}

mkdir -p "$DIR"
# A fresh study each time: the demo shows a whole study, not a resume.
rm -f "$DIR/demo.db" "$DIR/demo.db-wal" "$DIR/demo.db-shm" "$DIR/demo.db.lock" "$DIR/fashion-best.nnt"

cmd=("$NNT" tune --data fashion-mnist --valid-fraction 0.1 --time "$TIME" --jobs "$JOBS"
     --storage "$DIR/demo.db" --study fashion --model-out "$DIR/fashion-best.nnt" --seed 1)
[ "$ROWS" -gt 0 ] && cmd+=(--max-rows "$ROWS")
echo "nntune $("$NNT" --version | cut -d' ' -f2-)"
echo "\$ ${cmd[*]}"
echo
"${cmd[@]}"
echo
echo "Every trial is in $DIR/demo.db: nntune trials $DIR/demo.db --sort; nntune best $DIR/demo.db;"
echo "nntune importance $DIR/demo.db; nntune report $DIR/demo.db"
