#!/usr/bin/env bash
# Installs the Debian packages that nntune's build, tests and demo need.
# As root it installs what is missing; otherwise it prints the exact apt-get
# line and fails, so a fresh Debian 12 machine needs nothing but the repository.
# Usage: scripts/install-deps.sh [--bench]   (--bench adds the peers used by bench/)
set -euo pipefail
# libdnnl-dev: oneDNN, the default GEMM backend when installed (NNT_GEMM=auto;
# -DNNT_GEMM=openblas builds without it) and a candidate of
# bench/bench_gemm_backends.c.
# clang-14 + libclang-rt-14-dev: the libFuzzer targets (bench/fuzz.sh, CI);
# llvm-14: llvm-symbolizer, so sanitizer reports name functions and lines.
pkgs=(build-essential cmake pkg-config libopenblas-dev libblis-dev libdnnl-dev zlib1g-dev
      libsqlite3-dev sqlite3 libjson-c-dev libcmocka-dev dataset-fashion-mnist chromium python3
      python3-pil clang-14 libclang-rt-14-dev llvm-14)
if [ "${1:-}" = "--bench" ]; then
  # libxsmm-dev: the third candidate of bench/bench_gemm_backends.c.
  pkgs+=(python3-torch python3-optuna python3-sklearn libxsmm-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "nntune: missing Debian packages: ${missing[*]}" >&2
  echo "run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
