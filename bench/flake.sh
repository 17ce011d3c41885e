#!/usr/bin/env bash
# Flakiness check: `make test` N times in a row on a fresh clone of the
# current commit while `stress-ng --cpu 2` keeps both cores busy. Prints each
# run's result and time, and the total; exits 1 if any run failed. Installs
# stress-ng (Debian) when it is missing, as root.
# usage: bench/flake.sh [N=30] [REPO=.] [REF=HEAD]
set -uo pipefail
N=${1:-30}
REPO=$(cd "${2:-.}" && pwd)
REF=${3:-HEAD}
if ! command -v stress-ng > /dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "flake: stress-ng missing; run as root: apt-get install -y stress-ng" >&2; exit 2; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q stress-ng > /dev/null ||
        { apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q stress-ng > /dev/null; } ||
        { echo "flake: cannot install stress-ng" >&2; exit 2; }
fi
T=$(mktemp -d /tmp/nnt-flake-XXXXXX)
stress_pid=
cleanup() {
    [ -n "$stress_pid" ] && kill "$stress_pid" 2> /dev/null && wait "$stress_pid" 2> /dev/null
    rm -rf "$T"
}
trap cleanup EXIT
commit=$(git -C "$REPO" rev-parse "$REF")
git clone -q "$REPO" "$T/src" && git -C "$T/src" checkout -q "$commit" || exit 2
echo "flake: $N x make test on a fresh clone of $commit in $T/src, with stress-ng --cpu 2"
echo "flake: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), load $(cut -d' ' -f1-3 /proc/loadavg)"
stress-ng --cpu 2 --quiet > "$T/stress.log" 2>&1 &
stress_pid=$!
passed=0
start=$(date +%s)
for i in $(seq "$N"); do
    t0=$(date +%s)
    if make -C "$T/src" test > "$T/run$i.log" 2>&1; then
        passed=$((passed + 1))
        echo "run $i: pass ($(($(date +%s) - t0)) s)"
    else
        echo "run $i: FAIL ($(($(date +%s) - t0)) s); failed tests:"
        grep -E '^\s+[0-9]+ - ' "$T/run$i.log" | sed 's/^/    /'
        cp "$T/run$i.log" "/tmp/nnt-flake-run$i.log" && echo "    log: /tmp/nnt-flake-run$i.log"
    fi
done
echo "flake: $passed of $N runs passed in $(($(date +%s) - start)) s (stress-ng --cpu 2 running throughout)"
[ "$passed" -eq "$N" ]
