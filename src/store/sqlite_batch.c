/* SQLite back end: epoch rows buffered and written in one transaction per
 * group (see sqlite_batch.h for when a group is written and what a crash
 * loses). Kept apart from sqlite_store.c, which holds the statements and
 * the back-end table. */
#include "store/sqlite_batch.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/clock.h"

int nnt__batch_add(nnt__epoch_batch *b, int64_t trial_id, int number, const nnt_epoch_row *row,
                   nnt_error *err)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        nnt__batch_row *nr = nnt__realloc(b->rows, nc * sizeof *nr);
        if (!nr) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory buffering an epoch");
        b->rows = nr;
        b->cap = nc;
    }
    if (b->n == 0) b->oldest = nnt_clock_monotonic();
    nnt__batch_row *r = &b->rows[b->n++];
    r->trial_id = trial_id;
    r->number = number;
    r->row = *row;
    return NNT_OK;
}

int nnt__batch_due(const nnt__epoch_batch *b)
{
    if (b->n == 0) return 0;
    return b->n >= NNT__BATCH_MAX_ROWS ||
           nnt_clock_monotonic() - b->oldest >= NNT__BATCH_MAX_DELAY_S;
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v)) sqlite3_bind_double(st, i, v);
    else sqlite3_bind_null(st, i);
}

/* Inserts one buffered row; on failure fills err (naming the trial and the
 * epoch) and returns its code. */
static int insert_row(sqlite3 *db, sqlite3_stmt *ins, const char *path, const nnt__batch_row *br,
                      nnt_error *err)
{
    const nnt_epoch_row *row = &br->row;
    sqlite3_reset(ins);
    sqlite3_clear_bindings(ins);
    sqlite3_bind_int64(ins, 1, br->trial_id);
    sqlite3_bind_int(ins, 2, row->fold);
    sqlite3_bind_int(ins, 3, row->epoch);
    const nnt_metrics *m[2] = {&row->train, &row->valid};
    for (int k = 0; k < 2; k++) {
        bind_real(ins, 4 + 5 * k, m[k]->loss);
        bind_real(ins, 5 + 5 * k, m[k]->accuracy);
        bind_real(ins, 6 + 5 * k, m[k]->rmse);
        bind_real(ins, 7 + 5 * k, m[k]->mae);
        bind_real(ins, 8 + 5 * k, m[k]->r2);
    }
    bind_real(ins, 14, row->lr);
    bind_real(ins, 15, row->elapsed_s);
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc == SQLITE_DONE) return NNT_OK;
    int prim = sqlite3_errcode(db) & 0xff;
    return nnt_fail(err, prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ? NNT_ERR_CORRUPT
                                                                          : NNT_ERR_STORAGE,
                    "%s: cannot insert epoch %d (fold %d) of trial %d: %s", path, row->epoch,
                    row->fold, br->number, sqlite3_errmsg(db));
}

static int exec(sqlite3 *db, const char *sql, const char *path, nnt_error *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK) return NNT_OK;
    return nnt_fail(err, NNT_ERR_STORAGE, "%s: %s: %s", path, sql, sqlite3_errmsg(db));
}

/* The fallback after a failed group: each row on its own, then also(). */
static int flush_one_by_one(nnt__epoch_batch *b, sqlite3 *db, sqlite3_stmt *ins,
                            const char *path, nnt__batch_also also, void *arg, nnt_error *err)
{
    int first = NNT_OK;
    nnt_error e1;
    for (size_t i = 0; i < b->n; i++) {
        nnt_error_clear(&e1);
        int r = insert_row(db, ins, path, &b->rows[i], &e1);
        if (r < 0 && first == NNT_OK) {
            first = r;
            if (err) *err = e1;
        }
    }
    b->n = 0;
    if (also) {
        nnt_error_clear(&e1);
        int r = also(arg, &e1);
        if (r < 0 && first == NNT_OK) {
            first = r;
            if (err) *err = e1;
        }
    }
    return first;
}

int nnt__batch_flush(nnt__epoch_batch *b, sqlite3 *db, sqlite3_stmt *ins, const char *path,
                     nnt__batch_also also, void *arg, nnt_error *err)
{
    if (b->n == 0) return also ? also(arg, err) : NNT_OK;
    nnt_error scratch;
    nnt_error_clear(&scratch);
    int r = exec(db, "BEGIN IMMEDIATE", path, &scratch);
    for (size_t i = 0; r == NNT_OK && i < b->n; i++) r = insert_row(db, ins, path, &b->rows[i], &scratch);
    if (r == NNT_OK && also) r = also(arg, &scratch);
    if (r == NNT_OK) r = exec(db, "COMMIT", path, &scratch);
    if (r == NNT_OK) {
        b->n = 0;
        return NNT_OK;
    }
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return flush_one_by_one(b, db, ins, path, also, arg, err);
}

void nnt__batch_free(nnt__epoch_batch *b)
{
    nnt__free(b->rows);
    memset(b, 0, sizeof *b);
}
