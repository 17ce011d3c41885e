/* The check that runs before nntune opens a database file for writing: an
 * existing SQLite file of another program is refused before SQLite is asked to
 * switch it to WAL mode or create tables in it (either would change the file),
 * and a damaged file or one from a newer nntune is a clear error. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "store/sqlite_inspect.h"

/* The SQLite error as an nntune status with a message that says what kind of
 * file this is. */
static int db_error(const char *path, sqlite3 *db, int rc, const char *what, nnt_error *err)
{
    int prim = rc & 0xff;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (prim == SQLITE_NOTADB)
        return nnt_fail(err, NNT_ERR_CORRUPT, "%s: not an nntune storage: not an SQLite database (%s)",
                        path, msg);
    if (prim == SQLITE_CORRUPT)
        return nnt_fail(err, NNT_ERR_CORRUPT,
                        "%s: the storage file is corrupted or truncated (%s)", path, msg);
    return nnt_fail(err, NNT_ERR_STORAGE, "%s: %s: %s", path, what, msg);
}

int nnt__sqlite_inspect(const char *path, int max_version, int *empty, int *version,
                        nnt_error *err)
{
    *empty = 0;
    *version = 0;
    struct stat fst;
    if (stat(path, &fst) != 0) {
        if (errno == ENOENT) {
            *empty = 1;
            return NNT_OK;
        }
        return nnt_fail(err, NNT_ERR_STORAGE, "%s: %s", path, strerror(errno));
    }
    if (S_ISDIR(fst.st_mode))
        return nnt_fail(err, NNT_ERR_STORAGE, "%s: is a directory, not a storage file", path);
    if (S_ISREG(fst.st_mode) && fst.st_size == 0) {
        *empty = 1;
        return NNT_OK;
    }

    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int r = db_error(path, db, rc, "cannot open storage", err);
        sqlite3_close(db);
        return r;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 10000);

    /* Table names, a few kept for the message. */
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) {
        int r = db_error(path, db, rc, "cannot read the schema", err);
        sqlite3_close(db);
        return r;
    }
    int n_tables = 0, has_meta = 0;
    char names[160] = "";
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name) continue;
        if (!strcmp(name, "meta")) has_meta = 1;
        if (n_tables < 4) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s'%.30s'", n_tables ? ", " : "", name);
        } else if (n_tables == 4) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, ", ...");
        }
        n_tables++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        int r = db_error(path, db, rc, "cannot read the schema", err);
        sqlite3_close(db);
        return r;
    }
    if (n_tables == 0) {
        sqlite3_close(db);
        *empty = 1;
        return NNT_OK;
    }
    if (!has_meta) {
        sqlite3_close(db);
        return nnt_fail(err, NNT_ERR_FORMAT,
                        "%s: not an nntune storage: an SQLite database with other tables (%s) and "
                        "no nntune schema; it was left unchanged (use another --storage file)",
                        path, names);
    }
    rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, NULL);
    int v = 0;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            char *end = NULL;
            long lv = t ? strtol(t, &end, 10) : 0;
            v = (t && end != t && *end == '\0' && lv > 0 && lv < 1000000) ? (int)lv : -1;
            rc = SQLITE_DONE;
        }
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_DONE) {
        /* a "meta" table of another program, without nntune's columns */
        int prim = rc & 0xff;
        int r = (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
                  ? db_error(path, db, rc, "cannot read the schema version", err)
                  : nnt_fail(err, NNT_ERR_FORMAT,
                             "%s: not an nntune storage: its table 'meta' has no nntune schema "
                             "version (%s); it was left unchanged",
                             path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return r;
    }
    sqlite3_close(db);
    if (v == 0)
        return nnt_fail(err, NNT_ERR_FORMAT,
                        "%s: not an nntune storage: tables (%s) but no schema_version in table "
                        "'meta'; it was left unchanged",
                        path, names);
    if (v < 0)
        return nnt_fail(err, NNT_ERR_CORRUPT, "%s: unreadable schema_version in table 'meta'", path);
    if (v > max_version)
        return nnt_fail(err, NNT_ERR_UNSUPPORTED,
                        "%s: storage schema version %d is newer than this nntune understands (%d); "
                        "use a newer nntune",
                        path, v, max_version);
    *version = v;
    return NNT_OK;
}
