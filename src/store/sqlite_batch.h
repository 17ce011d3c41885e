/* SQLite back end: the buffer of epoch rows written in groups.
 *
 * Every epoch report used to be its own SQLite transaction (one WAL commit
 * each); at a thousand workers those commits were most of the storage cost.
 * The back end now keeps reported rows here and writes them all in one
 * transaction when a trial finishes (before its state change, so a finished
 * trial and all its epochs are durable when its tell returns), when the
 * oldest buffered row is NNT__BATCH_MAX_DELAY_S old (checked at each write
 * call, no timer thread), when NNT__BATCH_MAX_ROWS rows wait, and on every
 * read, flush and close. A kill -9 loses at most the buffered rows of
 * running trials, which a resume marks interrupted anyway. Internal to
 * src/store/. */
#ifndef NNTUNE_STORE_SQLITE_BATCH_H
#define NNTUNE_STORE_SQLITE_BATCH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "nntune/store.h"

#define NNT__BATCH_MAX_ROWS 256
#define NNT__BATCH_MAX_DELAY_S 0.025

typedef struct nnt__batch_row {
    int64_t trial_id;
    int number; /* for error messages */
    nnt_epoch_row row;
} nnt__batch_row;

typedef struct nnt__epoch_batch {
    nnt__batch_row *rows;
    size_t n, cap;
    double oldest; /* nnt_clock_monotonic() when rows[0] came */
} nnt__epoch_batch;

/* Appends a row (NNT_ERR_NOMEM when it cannot grow). */
int nnt__batch_add(nnt__epoch_batch *b, int64_t trial_id, int number, const nnt_epoch_row *row,
                   nnt_error *err);

/* Whether the batch is due: full or its oldest row too old. */
int nnt__batch_due(const nnt__epoch_batch *b);

/* An extra write run inside the flush's transaction, after the rows. */
typedef int (*nnt__batch_also)(void *arg, nnt_error *err);

/* Writes every buffered row with `ins` (an INSERT taking trial_id, fold,
 * epoch, the ten metrics, lr and elapsed as ?1..?15) and then also(arg)
 * when set, in one transaction. If that transaction fails, it is rolled
 * back and each row, then also(), is written on its own; rows that still
 * fail (say a repeated epoch) are dropped and the first error is returned.
 * The batch is empty afterwards in every case. path names the file in
 * messages. */
int nnt__batch_flush(nnt__epoch_batch *b, sqlite3 *db, sqlite3_stmt *ins, const char *path,
                     nnt__batch_also also, void *arg, nnt_error *err);

void nnt__batch_free(nnt__epoch_batch *b);

#endif
