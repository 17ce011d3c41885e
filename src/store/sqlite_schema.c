/* The SQLite back end's schema (docs/storage.md): creating it in a new file,
 * checking the version of an existing one and migrating an older one
 * forward. Split from sqlite_store.c, which keeps the statements. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sqlite_schema.h"

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS meta("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '4');"
    "CREATE TABLE IF NOT EXISTS studies("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  definition TEXT NOT NULL,"
    "  seed INTEGER NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  direction TEXT NOT NULL CHECK(direction IN ('maximize', 'minimize')),"
    "  created REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS trials("
    "  id INTEGER PRIMARY KEY,"
    "  study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,"
    "  number INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK(state IN ('running', 'complete', 'pruned', 'failed')),"
    "  params TEXT NOT NULL,"
    "  value REAL,"
    "  value_spread REAL,"
    "  seed INTEGER NOT NULL,"
    "  started REAL NOT NULL,"
    "  finished REAL,"
    "  duration REAL,"
    "  error TEXT,"
    "  epochs INTEGER NOT NULL DEFAULT 0,"
    "  interrupted INTEGER NOT NULL DEFAULT 0,"
    "  retry_of INTEGER,"
    "  objective_values TEXT,"
    "  valid_loss REAL,"
    "  n_params REAL,"
    "  mpi_rank INTEGER,"
    "  UNIQUE(study_id, number));"
    "CREATE INDEX IF NOT EXISTS trials_by_state ON trials(study_id, state);"
    "CREATE TABLE IF NOT EXISTS trial_epochs("
    "  trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,"
    "  fold INTEGER NOT NULL,"
    "  epoch INTEGER NOT NULL,"
    "  train_loss REAL, train_accuracy REAL, train_rmse REAL, train_mae REAL, train_r2 REAL,"
    "  valid_loss REAL, valid_accuracy REAL, valid_rmse REAL, valid_mae REAL, valid_r2 REAL,"
    "  lr REAL,"
    "  elapsed REAL,"
    "  PRIMARY KEY(trial_id, fold, epoch));"
    "CREATE TABLE IF NOT EXISTS artifacts("
    "  id INTEGER PRIMARY KEY,"
    "  trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  info TEXT,"
    "  created REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS artifacts_by_trial ON artifacts(trial_id, kind);";

static int table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        yes = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return yes;
}

/* Reads meta.schema_version into *version; refuses newer versions. */
int nnt__sqlite_schema_version(sqlite3 *db, const char *path, int *version_out, nnt_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                           NULL) != SQLITE_OK)
        return nnt_fail(err, NNT_ERR_STORAGE, "%s: not an nntune storage (no meta table): %s",
                        path, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    int version = rc == SQLITE_ROW ? atoi((const char *)sqlite3_column_text(st, 0)) : 0;
    sqlite3_finalize(st);
    if (version < 1)
        return nnt_fail(err, NNT_ERR_STORAGE, "%s: no schema_version in table meta", path);
    if (version > NNT_SCHEMA_VERSION)
        return nnt_fail(err, NNT_ERR_UNSUPPORTED,
                        "%s: schema version %d is newer than this nntune understands (%d)",
                        path, version, NNT_SCHEMA_VERSION);
    *version_out = version;
    return NNT_OK;
}

/* Brings an older file to the current version (version 2 added
 * trials.objective_values, version 3 trials.valid_loss and n_params,
 * version 4 trials.mpi_rank), in the caller's transaction. */
static int migrate(sqlite3 *db, const char *path, int version, nnt_error *err)
{
    if (version >= NNT_SCHEMA_VERSION) return NNT_OK;
    char *emsg = NULL;
    static const char *const steps[] = {
        "ALTER TABLE trials ADD COLUMN objective_values TEXT;",  /* to 2 */
        ("ALTER TABLE trials ADD COLUMN valid_loss REAL;"
         "ALTER TABLE trials ADD COLUMN n_params REAL;"),        /* to 3: two statements */
        "ALTER TABLE trials ADD COLUMN mpi_rank INTEGER;",       /* to 4 */
    };
    int rc = SQLITE_OK;
    for (int v = version; v < NNT_SCHEMA_VERSION && rc == SQLITE_OK; v++)
        rc = sqlite3_exec(db, steps[v - 1], NULL, NULL, &emsg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "UPDATE meta SET value = '4' WHERE key = 'schema_version';", NULL, NULL,
                          &emsg);
    if (rc != SQLITE_OK) {
        int r = nnt_fail(err, NNT_ERR_STORAGE, "%s: cannot migrate the schema from version %d: %s",
                         path, version, emsg ? emsg : sqlite3_errmsg(db));
        sqlite3_free(emsg);
        return r;
    }
    return NNT_OK;
}

int nnt__sqlite_schema_create(sqlite3 *db, const char *path, nnt_error *err)
{
    int r;
    /* journal_mode returns a row: run it through exec, then check. */
    sqlite3_stmt *st = NULL;
    const char *mode = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        mode = (const char *)sqlite3_column_text(st, 0);
    int wal = mode && !strcmp(mode, "wal");
    sqlite3_finalize(st);
    if (!wal) {
        r = nnt_fail(err, NNT_ERR_STORAGE, "%s: cannot switch to WAL mode: %s", path,
                     sqlite3_errmsg(db));
        return r;
    }
    char *emsg = NULL;
    if (sqlite3_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; BEGIN IMMEDIATE;",
                     NULL, NULL, &emsg) != SQLITE_OK) {
        r = nnt_fail(err, NNT_ERR_STORAGE, "%s: cannot create the schema: %s", path,
                     emsg ? emsg : sqlite3_errmsg(db));
        sqlite3_free(emsg);
        return r;
    }
    /* An existing version-1 file has a trials table without
     * objective_values: migrate it before the (IF NOT EXISTS) schema
     * statements, in the same transaction. */
    int old = 0;
    r = NNT_OK;
    if (table_exists(db, "meta")) {
        r = nnt__sqlite_schema_version(db, path, &old, err);
        if (r == NNT_OK) r = migrate(db, path, old, err);
    }
    if (r == NNT_OK && sqlite3_exec(db, schema_sql, NULL, NULL, &emsg) != SQLITE_OK) {
        r = nnt_fail(err, NNT_ERR_STORAGE, "%s: cannot create the schema: %s", path,
                     emsg ? emsg : sqlite3_errmsg(db));
        sqlite3_free(emsg);
    }
    if (r < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, &emsg) != SQLITE_OK) {
        r = nnt_fail(err, NNT_ERR_STORAGE, "%s: cannot create the schema: %s", path,
                     emsg ? emsg : sqlite3_errmsg(db));
        sqlite3_free(emsg);
        return r;
    }
    return NNT_OK;
}
