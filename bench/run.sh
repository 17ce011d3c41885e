#!/usr/bin/env bash
# Training-throughput benchmark: nntune (bench_train) and, when python3-torch
# is installed, the same network in PyTorch (bench/torch_mlp.py); one thread
# each. Prints the figures and writes them to BUILD_DIR/bench_train.txt.
# Usage: bench/run.sh BUILD_DIR [--quick] [--seconds S] [--batch N]... [--synthetic] [--ftz]
#        [--cpu-time] [--rounds R] [--threads N]
# Not a test: never registered with CTest.
set -euo pipefail
build=${1:?usage: bench/run.sh BUILD_DIR [bench options]}
shift
here=$(cd "$(dirname "$0")" && pwd)
cmake --build "$build" --target bench_train >/dev/null
# One thread everywhere (the BLAS pools, OpenMP: PyTorch, BLIS, oneDNN) unless
# --threads N asks for N (OpenBLAS's pool size is capped by its variable).
threads=1
prev=
for a in "$@"; do
  [ "$prev" = "--threads" ] && threads=$a
  prev=$a
done
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads BLIS_NUM_THREADS=$threads \
  MKL_NUM_THREADS=$threads
out="$build/bench_train.txt"
torch_out="$build/torch_mlp.txt"
: >"$torch_out"
{
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(getconf _NPROCESSORS_ONLN) CPUs online"
  flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
  isa=baseline
  for f in avx2 fma avx512f avx512bw avx512vl avx512dq avx512_fp16 amx_tile; do
    case " $flags " in *" $f "*) isa="$isa $f" ;; esac
  done
  echo "vector ISA (widest used by the FMA-peak loop: avx512f, else avx2+fma): $isa"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    /usr/bin/python3 "$here/torch_mlp.py" "$@" | tee "$torch_out"
  else
    echo "PyTorch: not available (install python3-torch for the comparison)"
  fi
  "$build/bench_train" --torch "$torch_out" "$@"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
