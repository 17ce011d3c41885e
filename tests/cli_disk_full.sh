#!/usr/bin/env bash
# Disk full: model saves and storage writes on a full file system fail
# cleanly (exit 1, a message naming the cause, no crash), leave the previous
# model file byte for byte intact with no temporary file behind, and leave the
# study resumable once space is back. The full file system is a small tmpfs
# mounted in a temporary folder, so this needs root and permission to mount;
# elsewhere it prints why and is skipped (exit 77, ctest SKIP_RETURN_CODE).
# usage: cli_disk_full.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_disk_full.sh NNTUNE_BINARY}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
T=$(mktemp -d /tmp/nnt-cli-diskfull-XXXXXX)
M="$T/mnt"
mkdir -p "$M" "$T/hold"
trap 'umount "$M" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
cd "$T" || exit 1
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=4m nnt-diskfull "$M" 2>mount.err; then
    echo "SKIP: cannot mount a small tmpfs here (needs root and mount permission): $(cat mount.err 2>/dev/null)"
    exit 77
fi
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }

# Fills the tmpfs (one big file, then 4 KiB files for the rest) until a write
# fails, then frees $1 pages of 4 KiB (default 0) off the big file.
fill() {
    dd if=/dev/zero of="$M/fill.big" bs=64k status=none 2>/dev/null
    local i=0
    while dd if=/dev/zero of="$M/fill.$i" bs=4k count=1 status=none 2>/dev/null; do i=$((i + 1)); done
    rm -f "$M/fill.$i" # the one that failed, possibly partly written
    [ "${1:-0}" -eq 0 ] || truncate -s "-$((${1} * 4096))" "$M/fill.big"
}
unfill() { rm -f "$M"/fill.*; }
# Files in the mount other than the fill files and those named (no temporary
# file may be left behind).
strays() {
    local f keep
    for f in "$M"/* "$M"/.[!.]*; do
        [ -e "$f" ] || continue
        case "$(basename "$f")" in fill.*) continue ;; esac
        keep=0
        for k in "$@"; do [ "$(basename "$f")" = "$k" ] && keep=1; done
        [ $keep -eq 1 ] || echo "$(basename "$f")"
    done
}
# Waits (at most 300 s) until $1 exists or process $2 ends.
wait_file() {
    local i
    for i in $(seq 3000); do
        [ -e "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    [ -e "$1" ]
}

# ---- 1. nntune train --out on a full file system ---------------------------
"$NNT" train --data "$DATA" --hidden 16 --epochs 5 --seed 1 --quiet --out "$M/m.nnt" > t0.out 2>&1
check "[ $? -eq 0 ] && [ -s '$M/m.nnt' ]" "a model is saved while there is room"
cp "$M/m.nnt" m.ref
for free in 0 2; do # no page left; 8 KiB left (the model needs about 40)
    fill $free
    "$NNT" train --data "$DATA" --hidden 128,64 --epochs 5 --seed 2 --quiet --out "$M/m.nnt" > t$free.out 2>&1
    rc=$?
    check "[ $rc -eq 1 ] && grep -q \"cannot write.*'$M/m.nnt'.*No space left on device\" t$free.out" \
        "train on a full disk ($free pages free): exit 1 and the cause (rc $rc: $(tail -1 t$free.out))"
    check "cmp -s '$M/m.nnt' m.ref" "train on a full disk ($free pages free): the previous model is intact"
    check "[ -z \"\$(strays m.nnt)\" ]" "train on a full disk ($free pages free): no temporary file left ($(strays m.nnt | tr '\n' ' '))"
    unfill
done
"$NNT" eval --model "$M/m.nnt" --data "$DATA" > e1.out 2>&1
check "[ $? -eq 0 ]" "the previous model still loads"

# ---- 2. nntune tune: the best model's save on a full file system -----------
# Storage on the normal disk, --model-out on the full one. With seed 3 the
# first trial is beaten by a later one (trial 3 today), whose save then fails.
TUNE=(--data "$DATA" --param epochs=5 --param lr=0.001:0.1:log --sampler random --seed 3
      --jobs 1 --pruner none)
"$NNT" tune "${TUNE[@]}" --storage "$T/m.db" --model-out "$M/best.nnt" --trials 1 --quiet > b1.out 2>&1
check "[ $? -eq 0 ] && [ -s '$M/best.nnt' ]" "tune saves its best model while there is room"
cp "$M/best.nnt" best.ref
fill 0
"$NNT" tune "${TUNE[@]}" --storage "$T/m.db" --model-out "$M/best.nnt" --trials 4 > b2.out 2>&1
rc=$?
check "[ $rc -eq 1 ] && grep -q 'No space left on device' b2.out" \
    "tune: the best model's save on a full disk is exit 1 with the cause (rc $rc: $(tail -1 b2.out))"
check "cmp -s '$M/best.nnt' best.ref" "tune: the previous best model is intact"
check "[ -z \"\$(strays m.nnt best.nnt)\" ]" "tune: no temporary model file left ($(strays m.nnt best.nnt | tr '\n' ' '))"
"$NNT" trials "$T/m.db" --format csv > b2.csv
check "grep -q '^[1-3],failed,.*,interrupted (model not saved)\$' b2.csv" \
    "tune: the trial whose model could not be saved is on record as interrupted, to be rerun"
unfill
"$NNT" tune "${TUNE[@]}" --storage "$T/m.db" --model-out "$M/best.nnt" --trials 4 --quiet > b3.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "tune resumes once there is room (rc $rc: $(tail -1 b3.out))"
"$NNT" eval --model "$M/best.nnt" --data "$DATA" > e2.out 2>&1
check "[ $? -eq 0 ] && ! cmp -s '$M/best.nnt' best.ref" "the new best model is saved and loads"
"$NNT" best "$T/m.db" > b4.out 2>&1
check "grep -q 'best.nnt' b4.out" "nntune best names the saved model ($(head -1 b4.out))"

# ---- 3. storage writes on a full file system, mid-study --------------------
# The study is held at trial 4's start (tools/test_hold.c): storage open and
# trials 0-3 on record. The disk is filled, then the trial goes on and its
# first epoch row cannot be written.
S=(--data "$DATA" --param epochs=5 --param lr=0.001:0.1:log --sampler random --seed 3 --jobs 1
   --storage "$M/s.db" --model-out "$M/s.nnt")
"$NNT" tune "${S[@]}" --trials 4 --quiet > s1.out 2>&1
check "[ $? -eq 0 ]" "a study of 4 trials on the small file system"
"$NNT" trials "$M/s.db" --format csv > s-before.csv
awk -F, 'NR > 1 && $2 != "running" { print $1 "," $2 "," $3 "," $13 }' s-before.csv | sort > s-before.done
cp "$M/s.nnt" s.ref
NNT_TEST_HOLD_TRIAL=4 NNT_TEST_HOLD_DIR="$T/hold" "$NNT" tune "${S[@]}" --trials 8 > s2.out 2>&1 &
pid=$!
wait_file "$T/hold/held" "$pid"
held=$?
fill 0
touch "$T/hold/go"
wait "$pid"
rc=$?
check "[ $held -eq 0 ]" "the study was held at trial 4"
check "[ $rc -eq 1 ] && grep -q 'database or disk is full' s2.out" \
    "a storage write on a full disk is exit 1 with the cause (rc $rc: $(tail -1 s2.out))"
check "cmp -s '$M/s.nnt' s.ref" "the study's best model is intact"
# A resume on a disk that is still full fails cleanly too.
"$NNT" tune "${S[@]}" --trials 8 > s3.out 2>&1
rc=$?
check "[ $rc -eq 1 ] && grep -q 'disk' s3.out" "a resume on a full disk is exit 1 with the cause (rc $rc: $(tail -1 s3.out))"
unfill
check "[ \"\$(sqlite3 '$M/s.db' 'PRAGMA integrity_check')\" = ok ]" "the storage passes PRAGMA integrity_check"
"$NNT" tune "${S[@]}" --trials 8 --quiet > s4.out 2>&1
rc=$?
check "[ $rc -eq 0 ]" "the study resumes once there is room (rc $rc: $(tail -1 s4.out))"
"$NNT" trials "$M/s.db" --format csv > s-after.csv
awk -F, 'NR > 1 && $2 != "running" { print $1 "," $2 "," $3 "," $13 }' s-after.csv | sort > s-after.done
check "[ -z \"\$(comm -23 s-before.done s-after.done)\" ]" "every finished trial kept with its state, value and params"
check "[ -s s-after.done ] && [ \$(awk -F, 'NR > 1 && \$2 == \"running\"' s-after.csv | wc -l) -eq 0 ]" "no trial left running"
check "[ \$(awk -F, 'NR > 1 && \$10 == 0' s-after.csv | wc -l) -eq 8 ]" "the budget of 8 is finished"
check "awk -F, 'NR > 1 && \$1 == 4' s-after.csv | grep -q ',interrupted\$'" "the trial cut by the full disk is on record as interrupted"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
