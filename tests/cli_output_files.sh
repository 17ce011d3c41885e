#!/usr/bin/env bash
# CLI output paths (issue 10.1): every output option writes through the one
# library writer. A FIFO, a device and standard output are written in place,
# a symbolic link is followed (the link stays), and a directory, a missing
# directory or a read-only directory fail at once, before any training.
# usage: cli_output_files.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_output_files.sh NNTUNE_BINARY}
case $NNT in /*) ;; *) NNT="$PWD/$NNT" ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
T=$(mktemp -d /tmp/nnt-cli-out-XXXXXX)
RO_MOUNT=""
cleanup() {
    [ -n "$RO_MOUNT" ] && umount "$RO_MOUNT" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }
is_char() { [ -c "$1" ] && [ ! -L "$1" ]; }

"$NNT" train --data "$DATA" --epochs 2 --out m.nnt --quiet > /dev/null 2>&1
check "[ -s m.nnt ]" "model to predict with"
"$NNT" tune --data "$DATA" --param lr=0.01,0.1 --param epochs=2 --storage s.db --quiet > /dev/null 2>&1
check "[ -s s.db ]" "study to report on"

# ---- character device: a private node first, then the real /dev/null --------
if mknod "$T/null" c 1 3 2>/dev/null; then
    "$NNT" predict -m m.nnt -d "$DATA" -o "$T/null" > out 2>&1
    check "[ $? -eq 0 ] && is_char '$T/null'" "predict -o private null device: still a character device"
    "$NNT" train --data "$DATA" --epochs 1 --out "$T/null" --quiet > out 2>&1
    check "[ $? -eq 0 ] && is_char '$T/null'" "train --out private null device"
    private_ok=1
else
    echo "skip: private device node (mknod refused: not root?)"
    private_ok=1
fi
if [ "$private_ok" = 1 ] && [ "$fails" -eq 0 ]; then
    "$NNT" predict -m m.nnt -d "$DATA" -o /dev/null > out 2>&1
    check "[ $? -eq 0 ] && is_char /dev/null" "predict -o /dev/null: /dev/null is still a character device"
    "$NNT" train --data "$DATA" --epochs 1 --out /dev/null --quiet > out 2>&1
    check "[ $? -eq 0 ] && is_char /dev/null" "train --out /dev/null"
    "$NNT" report s.db -o /dev/null --format json --suggest-space /dev/null > out 2>&1
    check "[ $? -eq 0 ] && is_char /dev/null" "report -o /dev/null --suggest-space /dev/null"
    "$NNT" tune --data "$DATA" --param lr=0.05 --param epochs=1 --storage dn.db --model-out /dev/null --quiet > out 2>&1
    check "[ $? -eq 0 ] && is_char /dev/null" "tune --model-out /dev/null"
    if ! is_char /dev/null; then
        fail "/dev/null is no longer a character device: restored"
        rm -f /dev/null && mknod -m 666 /dev/null c 1 3
    fi
fi

# ---- standard output: '-' and /dev/stdout into a pipe and into a file ---------
# /dev/stdout is a link to /proc/self/fd/1: a private link of the same kind
# first; the system's /dev/stdout only when that one survived (an unsafe binary
# would replace /dev/stdout with a regular file for every process).
n_rows=$(($(wc -l < "$DATA")))
"$NNT" predict -m m.nnt -d "$DATA" -o - | wc -l > n1
check "[ \$(cat n1) -eq $n_rows ]" "predict -o - writes every row to stdout"
ln -s /proc/self/fd/1 so-link
"$NNT" predict -m m.nnt -d "$DATA" -o so-link | wc -l > n0
check "[ \$(cat n0) -eq $n_rows ] && [ -L so-link ]" "predict -o private link to /proc/self/fd/1: rows on stdout, the link stays"
if [ "$fails" -eq 0 ]; then
    "$NNT" predict -m m.nnt -d "$DATA" -o /dev/stdout | wc -l > n2
    check "[ \$(cat n2) -eq $n_rows ]" "predict -o /dev/stdout into a pipe"
    "$NNT" predict -m m.nnt -d "$DATA" -o /dev/stdout > so.csv
    check "[ \$(wc -l < so.csv) -eq $n_rows ] && [ -f so.csv ]" "predict -o /dev/stdout redirected to a file"
    if [ ! -L /dev/stdout ]; then
        fail "/dev/stdout is no longer a symbolic link: restored"
        rm -f /dev/stdout && ln -s /proc/self/fd/1 /dev/stdout
    fi
fi
"$NNT" report s.db -o - --format json | python3 -m json.tool > /dev/null
check "[ \${PIPESTATUS[0]} -eq 0 ]" "report -o - writes JSON to stdout"

# ---- FIFO: written in place, a reader gets every row --------------------------
mkfifo fifo
timeout 60 cat fifo > fifo.got &
reader=$!
timeout 60 "$NNT" predict -m m.nnt -d "$DATA" -o fifo > out 2>&1
rc=$?
wait "$reader"
check "[ $rc -eq 0 ] && [ -p fifo ]" "predict -o FIFO: still a FIFO (rc $rc)"
check "[ \$(wc -l < fifo.got) -eq $n_rows ]" "FIFO reader got every row"
timeout 60 cat fifo > fifo2.got &
reader=$!
timeout 60 "$NNT" report s.db -o fifo --format csv > out 2>&1
rc=$?
wait "$reader"
check "[ $rc -eq 0 ] && [ -p fifo ] && head -1 fifo2.got | grep -q '^number,'" "report -o FIFO (CSV through the pipe)"

# ---- symbolic links: followed, the link stays, the target keeps its mode -----
mkdir -p sub
"$NNT" predict -m m.nnt -d "$DATA" -o sub/real.csv > out 2>&1
chmod 640 sub/real.csv
ln -s sub/real.csv link.csv
echo stale > sub/real.csv
"$NNT" predict -m m.nnt -d "$DATA" -o link.csv > out 2>&1
check "[ $? -eq 0 ] && [ -L link.csv ] && [ \$(readlink link.csv) = sub/real.csv ]" "predict -o symlink: the link stays a link"
check "[ \$(wc -l < sub/real.csv) -eq $n_rows ] && [ \$(stat -c %a sub/real.csv) = 640 ]" "the link's target is rewritten with its mode kept"
check "[ \$(ls sub | wc -l) -eq 1 ] && [ \$(ls | grep -c tmp) -eq 0 ]" "no temporary file left behind"
ln -s sub/model.nnt mlink
"$NNT" train --data "$DATA" --epochs 1 --out mlink --quiet > out 2>&1
check "[ $? -eq 0 ] && [ -L mlink ] && [ -s sub/model.nnt ]" "train --out dangling symlink creates the target"
"$NNT" predict -m mlink -d "$DATA" > /dev/null 2>&1
check "[ $? -eq 0 ]" "model written through the link loads"
cp s.db s-copy.db
ln -s sub/report.html rlink.html
"$NNT" report s.db -o rlink.html > out 2>&1
check "[ $? -eq 0 ] && [ -L rlink.html ] && grep -q '<html' sub/report.html" "report -o symlink"

# ---- a directory or a missing directory: refused before any work -------------
# The training budget is large: reaching training would take minutes.
LONG=(--data "$DATA" --epochs 100000 --no-early-stopping)
"$NNT" train "${LONG[@]}" --out sub > out 2>&1
check "[ $? -eq 1 ] && grep -q \"nntune train: --out: cannot write 'sub': it is a directory\" out && ! grep -q epoch out" "train --out DIR: clear error before training"
"$NNT" train "${LONG[@]}" --out missing/m.nnt > out 2>&1
check "[ $? -eq 1 ] && grep -q \"directory 'missing' does not exist\" out && ! grep -q epoch out" "train --out missing/...: error before training"
"$NNT" predict -m m.nnt -d "$DATA" -o missing/p.csv > out 2>&1
check "[ $? -eq 1 ] && grep -q \"nntune predict: --out: cannot write 'missing/p.csv': directory 'missing' does not exist\" out" "predict -o missing dir"
"$NNT" report s.db -o missing/r.html > out 2>&1
check "[ $? -eq 1 ] && grep -q \"nntune report: --output: cannot write 'missing/r.html'\" out" "report -o missing dir"
"$NNT" report s.db -o r.json --suggest-space missing/space.json > out 2>&1
check "[ $? -eq 1 ] && grep -q \"nntune report: --suggest-space: cannot write 'missing/space.json'\" out && [ ! -e r.json ]" "report --suggest-space missing dir: nothing written"
"$NNT" tune --data "$DATA" --param lr=0.01,0.1 --param epochs=100000 --storage fresh.db --model-out missing/best.nnt > out 2>&1
check "[ $? -eq 1 ] && grep -q \"nntune tune: --model-out: cannot write 'missing/best.nnt'\" out && [ ! -e fresh.db ]" "tune --model-out missing dir: refused before the storage is created"

# ---- a read-only directory -----------------------------------------------------
# As root, permission bits do not stop writes, so the case is made real with
# (a) a read-only tmpfs mount and (b) a 0555 directory written by 'nobody'.
ro_tested=0
mkdir ro
if mount -t tmpfs -o ro,size=1m tmpfs ro 2>/dev/null; then
    RO_MOUNT="$T/ro"
    "$NNT" train "${LONG[@]}" --out ro/m.nnt > out 2>&1
    check "[ $? -eq 1 ] && grep -q \"directory 'ro' is not writable (Read-only file system)\" out && ! grep -q epoch out" "train --out on a read-only mount: error before training"
    "$NNT" tune --data "$DATA" --param lr=0.01,0.1 --param epochs=100000 --storage ro-study.db --model-out ro/best.nnt > out 2>&1
    check "[ $? -eq 1 ] && grep -q 'Read-only file system' out && [ ! -e ro-study.db ]" "tune --model-out on a read-only mount"
    umount ro && RO_MOUNT=""
    ro_tested=1
else
    echo "skip: read-only tmpfs mount (mount refused: no CAP_SYS_ADMIN here)"
fi
mkdir rodir && chmod 555 rodir
if [ "$(id -u)" -ne 0 ]; then
    "$NNT" train "${LONG[@]}" --out rodir/m.nnt > out 2>&1
    check "[ $? -eq 1 ] && grep -q \"directory 'rodir' is not writable (Permission denied)\" out" "train --out into a 0555 directory"
    ro_tested=1
elif command -v setpriv > /dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null \
     && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NNT" 2>/dev/null; then
    chmod 755 "$T"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$NNT" train "${LONG[@]}" --out "$T/rodir/m.nnt" > out 2>&1
    check "[ $? -eq 1 ] && grep -q \"rodir' is not writable (Permission denied)\" out && ! grep -q epoch out" "train --out into a 0555 directory as 'nobody'"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$NNT" predict -m "$T/m.nnt" -d "$DATA" -o "$T/rodir/p.csv" > out 2>&1
    check "[ $? -eq 1 ] && grep -q 'Permission denied' out && [ ! -e rodir/p.csv ]" "predict -o into a 0555 directory as 'nobody'"
    ro_tested=1
else
    echo "skip: 0555 directory as another user (no setpriv, or 'nobody' cannot run $NNT)"
fi
[ "$ro_tested" = 1 ] || echo "skip: no way to make a directory read-only for this process here"

echo "cli_output_files: $fails failure(s)"
[ "$fails" -eq 0 ]
