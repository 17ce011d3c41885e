# Sourced by CLI test scripts that watch a study's storage from outside
# (cli_signals.sh, mpi_tune.sh); needs sqlite3.

# Waits (at most 120 s) until the SQL query on $1 prints a number > 0.
wait_for() {
    local db=$1 sql=$2 n
    for _ in $(seq 1200); do
        n=$(sqlite3 "$db" "$sql" 2> /dev/null)
        [ "${n:-0}" -gt 0 ] 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}
