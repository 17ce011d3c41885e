/* Looks at an existing database file before nntune writes anything to it. */
#ifndef NNT_STORE_SQLITE_INSPECT_H
#define NNT_STORE_SQLITE_INSPECT_H

#include "nntune/common.h"

/* Opens path read-only (its own connection, closed before returning) and says
 * what it is, without writing a byte to it:
 *  - NNT_OK with *empty = 1: a missing or zero-length file, or an SQLite
 *    database without any table (nntune may create its schema there);
 *  - NNT_OK with *empty = 0 and *version: an nntune storage whose schema this
 *    build reads (1 ... max_version);
 *  - NNT_ERR_CORRUPT: not an SQLite database, or a damaged one;
 *  - NNT_ERR_FORMAT: an SQLite database of some other program (tables, but no
 *    nntune schema), which nntune must not modify;
 *  - NNT_ERR_UNSUPPORTED: an nntune storage from a newer schema version;
 *  - NNT_ERR_STORAGE / NNT_ERR_NOMEM: the file could not be read.
 * Every message names path. */
int nnt__sqlite_inspect(const char *path, int max_version, int *empty, int *version,
                        nnt_error *err);

#endif
