#!/usr/bin/env bash
# End to end (issue 13): `nntune train` per-epoch time, validation pass
# included (fashion-mnist, 10 % stratified validation split, 784-256-128-10
# relu, Adam lr 0.01, one thread), against PyTorch's loop doing the same
# (bench/torch_mlp.py --e2e), at batch 32, 128 and 512, in the same run.
# The figure is the median epoch time over epochs 2..E (wall clock on both
# sides: nntune's elapsed_s, Python's perf_counter), so record the load.
# Usage: bench/e2e_train.sh BUILD_DIR [EPOCHS (default 3)]
# Not a test: never registered with CTest.
set -euo pipefail
build=${1:?usage: bench/e2e_train.sh BUILD_DIR [EPOCHS]}
epochs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $("$build/nntune" --version)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for b in 32 128 512; do
  "$build/nntune" train --data fashion-mnist --hidden 256,128 --activation relu --optimizer adam \
    --lr 0.01 --batch "$b" --epochs "$epochs" --no-early-stopping --threads 1 --seed 1 \
    --json -o "$tmp/m.nnt" >"$tmp/train_$b.json"
  /usr/bin/python3 - "$tmp/train_$b.json" "$b" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
el = [e["elapsed_s"] for e in ev if e.get("event") == "epoch"]
d = sorted(b - a for a, b in zip(el, el[1:])) or [0.0]
print(f"nntune e2e batch {sys.argv[2]} epoch_s {d[(len(d) - 1) // 2]:.3f}")
PY
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    /usr/bin/python3 "$here/torch_mlp.py" --e2e "$epochs" --batch "$b" | sed -n 's/^e2e/torch e2e/p'
  fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
