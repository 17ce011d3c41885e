#!/usr/bin/env bash
# Storage hygiene (issue 10.3): another program's SQLite file is refused and
# left byte-for-byte unchanged; corrupted, truncated and newer-schema files are
# a clear error (exit 1, never a crash) for every command that opens storage;
# names, parameters and error texts with quotes, newlines, invalid UTF-8 and
# great length keep every output (JSON, CSV, XHTML, Markdown) valid.
# usage: cli_storage_hygiene.sh NNTUNE_BINARY [BUILD_DIR]
set -u
NNT=${1:?usage: cli_storage_hygiene.sh NNTUNE_BINARY}
case $NNT in /*) ;; *) NNT="$PWD/$NNT" ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/data/blobs.csv"
T=$(mktemp -d /tmp/nnt-cli-store-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$1"; then echo "ok: $2"; else fail "$2"; fi; }
for tool in sqlite3 python3 xmllint; do
    command -v "$tool" > /dev/null || { echo "FAIL: $tool is needed (scripts/install-deps.sh)"; exit 1; }
done
TUNE=(--data "$DATA" --param lr=0.01,0.1 --param epochs=2 --quiet)

# ---- 1. another program's SQLite database: refused, unchanged ----------------
sqlite3 other.db "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);
                  INSERT INTO users VALUES(1, 'ada'), (2, 'alan');"
cp other.db other.orig
"$NNT" tune "${TUNE[@]}" --storage other.db > out 2>&1
rc=$?
check "[ $rc -eq 1 ]" "tune on another program's database exits 1 (got $rc)"
check "grep -q \"other.db: not an nntune storage: an SQLite database with other tables ('users') and no nntune schema; it was left unchanged\" out" "...and says why"
check "cmp -s other.db other.orig" "...and leaves the file byte-for-byte unchanged"
check "[ ! -e other.db-wal ] && [ ! -e other.db-shm ] && [ ! -e other.db.lock ] && [ \$(sqlite3 other.db 'PRAGMA journal_mode') = delete ]" "...not switched to WAL, no side files"
check "[ ! -e other.default.best.nnt ]" "...and trains nothing"
# a table named 'meta' is not enough
sqlite3 meta.db "CREATE TABLE meta(k TEXT, v TEXT); INSERT INTO meta VALUES('a', 'b');"
cp meta.db meta.orig
"$NNT" tune "${TUNE[@]}" --storage meta.db > out 2>&1
check "[ $? -eq 1 ] && grep -q 'meta.db: not an nntune storage' out && cmp -s meta.db meta.orig" "a foreign 'meta' table is refused too, file unchanged"
# an empty file (e.g. from mktemp) is a fine new storage
: > empty.db
"$NNT" tune "${TUNE[@]}" --storage empty.db > out 2>&1
check "[ $? -eq 0 ] && [ \$(sqlite3 empty.db 'SELECT count(*) FROM trials') -eq 2 ]" "an empty file becomes a storage"
# the read commands refuse it as well, without writing
for c in trials best importance report; do
    "$NNT" $c other.db > out 2>&1
    check "[ $? -eq 1 ] && grep -q 'not an nntune storage' out && cmp -s other.db other.orig" "$c on another program's database: clear error, unchanged"
done

# ---- 2. corrupted, truncated, newer-schema storage ----------------------------
"$NNT" tune --data "$DATA" --param lr=0.001:0.3:log --trials 6 --param epochs=3 --storage good.db --quiet > /dev/null 2>&1
check "[ \$(sqlite3 good.db 'SELECT count(*) FROM trials') -eq 6 ]" "a good storage to damage"
sqlite3 good.db "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;" > /dev/null
size=$(stat -c %s good.db)
python3 - "$size" <<'EOF'
import random, shutil, sys
size = int(sys.argv[1])
data = open("good.db", "rb").read()
def put(name, b):
    open(name, "wb").write(bytes(b))
put("random.db", random.Random(1).randbytes(size))          # not SQLite at all
b = bytearray(data); b[0:16] = b"garbage header!!"; put("header.db", b)
put("trunc-half.db", data[: size // 2])
put("trunc-page.db", data[:4096])
put("trunc-100.db", data[:100])
b = bytearray(data); r = random.Random(2)
for i in range(4096, size): b[i] = r.randrange(256)
put("pages.db", b)                                          # every page but the first
b = bytearray(data); r = random.Random(3)
for _ in range(300): b[r.randrange(100, size)] = r.randrange(256)
put("bytes.db", b)                                          # scattered damage
b = bytearray(data); r = random.Random(4)
for i in range(size - 8192, size): b[i] = r.randrange(256)
put("tail.db", b)                                           # the last pages (trial or epoch rows)
EOF
cp good.db newer.db
sqlite3 newer.db "UPDATE meta SET value = '99' WHERE key = 'schema_version'"
for f in random header trunc-half trunc-page trunc-100 pages bytes tail newer; do
    for c in trials best importance report tune; do
        cp $f.db x.db
        rm -f x.db-wal x.db-shm
        if [ $c = tune ]; then
            "$NNT" tune --data "$DATA" --param lr=0.001:0.3:log --trials 7 --param epochs=3 --storage x.db --quiet > out 2>&1
        elif [ $c = report ]; then
            "$NNT" report x.db -o r.html > out 2>&1
        else
            "$NNT" $c x.db > out 2>&1
        fi
        rc=$?
        # exit 1 and a message naming the file; rc >= 128 would be a crash
        if [ $rc -eq 1 ] && grep -q "^nntune $c: x.db: " out; then
            echo "ok: $c on $f.db: $(head -c 160 out)"
        elif { [ $f = bytes ] || [ $f = tail ]; } && [ $rc -eq 0 ]; then
            # scattered bytes, or the last pages: which rows lie there depends on
            # the stored timings' sizes, so a command may not read them
            echo "ok: $c on $f.db: damage missed the pages it reads"
        else
            fail "$c on $f.db: exit $rc: $(head -c 300 out)"
        fi
    done
done
"$NNT" trials newer.db > out 2>&1
check "grep -q 'storage schema version 99 is newer than this nntune understands' out" "newer schema: says so"
"$NNT" trials random.db > out 2>&1
check "grep -q 'not an SQLite database' out" "random bytes: says it is not an SQLite database"
"$NNT" trials pages.db > out 2>&1
check "grep -q 'corrupted or truncated' out" "damaged pages: says the file is corrupted or truncated"

# ---- 3. hostile names, parameters and error texts ------------------------------
long=$(head -c 5000 /dev/zero | tr '\0' L)
NAME=$(printf 'q"uo\x27te <b>&amp;</b>\nnew\tline \xff\xfe\xc3 , comma;%s' "$long")
"$NNT" tune "${TUNE[@]}" --param 'activation=relu,tanh' --storage w.db --study "$NAME" > out 2>&1
check "[ $? -eq 0 ]" "a study with a hostile 5 kB name runs"
# error texts and parameter values as another writer (a plug-in objective) might store them
sqlite3 w.db "UPDATE trials SET state = 'failed', value = NULL,
    error = 'bad \"quote\" ' || char(10) || 'line2 ' || char(27) || '[31m red ' || CAST(X'FFC328' AS TEXT) || ' <x>&' || '$long'
    WHERE number = 1;
  UPDATE trials SET params = '{\"lr\": 0.01, \"epochs\": 2, \"activation\": \"re\\\"lu' || char(9) || CAST(X'FE' AS TEXT) || '\"}'
    WHERE number = 0;"
check "[ \$(sqlite3 w.db 'SELECT length(name) FROM studies') -gt 5000 ]" "the name is stored whole"
"$NNT" trials w.db --format json > t.json 2> err
check "[ $? -eq 0 ] && python3 -m json.tool t.json > /dev/null" "trials --format json is valid JSON"
check "python3 -c \"import json; d=json.load(open('t.json')); assert d['study'].startswith('q\\\"uo'), d['study'][:20]; assert any('quote' in (t.get('error') or '') for t in d['trials'])\"" "...and keeps the name and the error text"
"$NNT" trials w.db --format csv > t.csv 2> err
check "[ $? -eq 0 ] && python3 -c \"import csv; r=list(csv.reader(open('t.csv', encoding='utf-8', newline=''))); assert len(r) == 5 and len(set(map(len, r))) == 1, len(r)\"" "trials --format csv: valid UTF-8, 5 rows of equal width"
# terminal outputs: no control character but the line ends (an ESC could
# start a terminal escape sequence; a newline inside a name breaks the table)
no_ctl() { python3 -c "import sys; b=open(sys.argv[1],'rb').read(); bad=sorted(set(c for c in b if (c < 32 and c != 10) or c == 127)); sys.exit(1 if bad else 0)" "$1"; }
"$NNT" trials w.db > t.txt 2> err
check "[ $? -eq 0 ] && no_ctl t.txt && grep -q 'line2 ?\[31m red' t.txt" "trials table: control characters shown safely"
"$NNT" best w.db > b.txt 2> err
check "[ $? -eq 0 ] && no_ctl b.txt" "best: no control characters"
"$NNT" tune --data "$DATA" --param lr=0.01,0.1 --param epochs=2 --param 'activation=relu,tanh' \
    --storage w.db --study "$NAME" > tune.txt 2> err
check "[ $? -eq 0 ] && no_ctl tune.txt && grep -q Leaderboard tune.txt" "tune live lines and leaderboard: no control characters"
"$NNT" best w.db --json > b.json 2> err
check "[ $? -eq 0 ] && python3 -m json.tool b.json > /dev/null" "best --json is valid JSON"
"$NNT" importance w.db --format json > i.json 2> err
rc=$?
check "[ $rc -eq 0 -o $rc -eq 1 ] && { [ $rc -eq 1 ] || python3 -m json.tool i.json > /dev/null; }" "importance --format json: valid JSON or a clear refusal (exit $rc)"
for f in json csv md html; do
    "$NNT" report w.db -o "r.$f" > out 2>&1
    check "[ $? -eq 0 ]" "report -o r.$f"
done
check "python3 -m json.tool r.json > /dev/null" "report JSON is valid"
check "python3 -c \"import csv; r=list(csv.reader(open('r.csv', encoding='utf-8', newline=''))); assert len(r) >= 3 and len(set(map(len, r))) == 1\"" "report CSV is valid UTF-8 with rows of equal width"
check "xmllint --noout r.html" "report HTML is well-formed XHTML"
check "python3 -c \"open('r.md', encoding='utf-8').read()\"" "report Markdown is valid UTF-8"
check "! grep -q '<b>&amp;</b>' r.html" "the name's markup is escaped in HTML"
"$NNT" tune "${TUNE[@]}" --param 'activation=relu,tanh' --storage w.db --study "$NAME" --json > ev.json 2> err
check "[ $? -eq 0 ] && python3 -c \"import json; [json.loads(l) for l in open('ev.json')]\"" "tune --json events are valid JSON (resumed study)"

echo "cli_storage_hygiene: $fails failure(s)"
[ "$fails" -eq 0 ]
