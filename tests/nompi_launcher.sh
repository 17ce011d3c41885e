#!/usr/bin/env bash
# A build without MPI run under an MPI launcher (issue 12): `nntune tune` sees
# the launcher's environment, says how to get MPI and exits 2 before reading
# any data or touching the storage. Registered only when MPI is not found.
# usage: nompi_launcher.sh NNTUNE_BINARY
set -u
NNT=${1:?usage: nompi_launcher.sh NNTUNE_BINARY}
case $NNT in /*) ;; *) NNT="$PWD/$NNT" ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/nnt-nompi-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
for var in OMPI_COMM_WORLD_SIZE PMI_SIZE SLURM_STEP_NUM_TASKS; do
    env "$var=3" "$NNT" tune --data "$HERE/data/blobs.csv" --trials 1 --storage s.db > out 2>&1
    rc=$?
    if [ $rc = 2 ] && grep -q "started by an MPI launcher ($var=3), but this nntune was built without MPI: install Open MPI" out &&
        [ ! -e s.db ]; then
        echo "ok: $var=3: a clear error, nothing written"
    else
        echo "FAIL: $var=3 (exit $rc):"; cat out; fails=$((fails + 1))
    fi
done
# One rank (or SLURM_NTASKS alone, as in a batch script) is a plain run.
env OMPI_COMM_WORLD_SIZE=1 SLURM_NTASKS=4 "$NNT" tune --data "$HERE/data/blobs.csv" --trials 1 \
    --param epochs=1 --storage s.db --quiet > out 2>&1
if [ $? = 0 ]; then echo "ok: one rank runs as usual"; else echo "FAIL: one rank:"; cat out; fails=$((fails + 1)); fi
exit $((fails > 0))
