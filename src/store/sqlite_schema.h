/* The SQLite back end's schema: version, creation, migration. */
#ifndef NNT_STORE_SQLITE_SCHEMA_H
#define NNT_STORE_SQLITE_SCHEMA_H

#include <sqlite3.h>

#include "nntune/common.h"

/* Version 2 added trials.objective_values (multi-objective studies),
 * version 3 trials.valid_loss and trials.n_params (the tie-breakers of the
 * best-trial rule); an older file is migrated forward when opened for
 * writing. */
#define NNT_SCHEMA_VERSION 4

/* In a database opened for writing: WAL mode, then (one transaction) an
 * older schema migrated forward and the tables created where missing.
 * Errors name path. */
int nnt__sqlite_schema_create(sqlite3 *db, const char *path, nnt_error *err);

/* Reads meta.schema_version into *version; a missing one is NNT_ERR_STORAGE,
 * a newer one than NNT_SCHEMA_VERSION NNT_ERR_UNSUPPORTED (naming path). */
int nnt__sqlite_schema_version(sqlite3 *db, const char *path, int *version, nnt_error *err);

#endif
