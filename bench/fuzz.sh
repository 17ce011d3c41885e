#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, -fsanitize=fuzzer,address,undefined)
# and runs each for SECONDS on its corpus, one after another; prints per
# target the executions, coverage (cov = edges, ft = features, from
# libFuzzer's final line) and crashes. Exit status 1 when any target crashed
# (crash, leak, timeout or out-of-memory input), so CI fails on a finding.
# Usage: bench/fuzz.sh SECONDS [TARGET...]   (targets: csv idx model study param duration)
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_WORK (default
# FUZZ_BUILD/fuzz-work: corpora grow there between runs; crashes go to
# FUZZ_WORK/crashes), FUZZ_CC (default clang-14, else clang), FUZZ_NICE (nice level).
# Not a test: never registered with CTest.
set -euo pipefail
secs=${1:?usage: bench/fuzz.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv idx model study param duration)
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
work=${FUZZ_WORK:-$build/fuzz-work}
cc=${FUZZ_CC:-$(command -v clang-14 || command -v clang || true)}
if [ -z "$cc" ] || ! "$cc" --version 2>/dev/null | grep -q clang; then
  echo "fuzz.sh: needs clang (scripts/install-deps.sh installs clang-14)" >&2
  exit 2
fi
CC=$cc cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DNNT_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzzers >/dev/null

# Seeds: generated (fuzz/gen_seeds.c) plus the JSON examples of the docs.
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$work"
"$build/fuzz/fuzz_seeds" "$root" "$seeds"
n=0
for md in "$root"/docs/study-file.md "$root"/docs/search-space.md; do
  awk -v dir="$seeds/study" -v tag="$(basename "$md" .md)" '
    /^```json/ { inb = 1; n++; f = dir "/" tag "-" n; next }
    /^```/ && inb { inb = 0; close(f); next }
    inb { print > f }' "$md"
done
# A docs fragment ("space": {...}) becomes a whole study file.
for f in "$seeds"/study/*-*; do
  [ -f "$f" ] || continue
  if ! head -c1 "$f" | grep -q '{'; then
    { echo '{"data": "d.csv",'; cat "$f"; echo '}'; } > "$f.tmp" && mv "$f.tmp" "$f"
  fi
  n=$((n + 1))
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OPENBLAS_NUM_THREADS=1
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
mkdir -p "$work/crashes" "$work/logs"
status=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz.sh: unknown target $t" >&2; exit 2; }
  corpus=$work/corpus/$t
  mkdir -p "$corpus"
  cp -n "$seeds/$t"/* "$corpus"/ 2>/dev/null || true
  before=$(find "$work/crashes" -name "$t-*" | wc -l)
  log=$work/logs/$t.log
  # -timeout: one input may take at most 10 s; -rss_limit_mb: 2 GiB, and an
  # allocation above it counts as a finding (a hostile file must not make
  # the library ask for absurd memory).
  rc=0
  nice -n "${FUZZ_NICE:-0}" "$bin" -max_total_time="$secs" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -artifact_prefix="$work/crashes/$t-" "$corpus" >"$log" 2>&1 || rc=$?
  after=$(find "$work/crashes" -name "$t-*" | wc -l)
  crashes=$((after - before))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  files=$(find "$corpus" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    status=1
    echo "== $t: FAILED (exit $rc, $crashes new artifact(s) in $work/crashes); log: $log" >&2
    grep -E 'ERROR|runtime error|SUMMARY|fuzz:' "$log" | head -5 >&2 || true
  fi
  summary+=("$(printf '%-9s %12s %7s %7s %7s %8s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$files" "$crashes")")
done
echo "fuzz: $secs s per target, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
printf '%-9s %12s %7s %7s %7s %8s\n' target executions cov ft corpus crashes
printf '%s\n' "${summary[@]}"
exit $status
