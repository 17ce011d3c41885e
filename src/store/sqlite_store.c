/* SQLite storage back end: the only code that includes sqlite3.h.
 *
 * One connection per handle, statements prepared once and reset after each
 * use, WAL journal with synchronous=NORMAL (a committed transaction survives
 * a killed process; only a power loss can lose the last commits), a busy
 * timeout for the rare second writer. Every write call is one statement or
 * one explicit transaction, so a kill -9 at any moment leaves the database at
 * a state-change boundary; epoch rows are the exception: they are buffered
 * and written in groups (src/store/sqlite_batch.c), so a kill -9 can lose the
 * last few milliseconds of epochs of running trials, never a finished trial's.
 *
 * A running study is locked with an open-file-description lock on byte
 * <study id> of "<database>.lock": the kernel drops it when the process dies,
 * so a later runner knows that trials still marked 'running' are orphans.
 * Schema: docs/storage.md. */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/clock.h"
#include "nntune/storage_backend.h"
#include "store/sqlite_batch.h"
#include "store/sqlite_inspect.h"
#include "store/sqlite_schema.h"



/* Statements prepared once per connection. */
enum {
    ST_STUDY_FIND,
    ST_STUDY_INSERT,
    ST_STUDY_LIST,
    ST_STUDY_REDEFINE,
    ST_STUDY_COUNT,
    ST_RECOVER,
    ST_TRIAL_START,
    ST_TRIAL_FINISH,
    ST_ARTIFACT_ADD,
    ST_TRIALS_LOAD,
    ST_EPOCHS_LOAD,
    ST_TRIAL_RANK,
    ST_TRIAL_ID,
    ST_EPOCH_INSERT,
    ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_STUDY_FIND] = "SELECT id, name, definition, seed, metric, direction, created,"
                      " (SELECT count(*) FROM trials t WHERE t.study_id = s.id)"
                      " FROM studies s WHERE name = ?1",
    [ST_STUDY_INSERT] = "INSERT INTO studies(name, definition, seed, metric, direction, created)"
                        " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_STUDY_LIST] = "SELECT id, name, definition, seed, metric, direction, created,"
                      " (SELECT count(*) FROM trials t WHERE t.study_id = s.id)"
                      " FROM studies s ORDER BY created, id",
    [ST_STUDY_REDEFINE] = "UPDATE studies SET definition = ?2, seed = ?3 WHERE id = ?1",
    [ST_STUDY_COUNT] = "SELECT count(*) FROM studies",
    [ST_RECOVER] = "UPDATE trials SET state = 'failed', error = 'interrupted', interrupted = 1,"
                   " epochs = (SELECT coalesce(max(epoch), 0) FROM trial_epochs e"
                   "  WHERE e.trial_id = trials.id)"
                   " WHERE study_id = ?1 AND state = 'running'",
    [ST_TRIAL_START] = "INSERT INTO trials(study_id, number, state, params, seed, started, retry_of)"
                       " VALUES(?1, ?2, 'running', ?3, ?4, ?5, ?6)",
    [ST_TRIAL_FINISH] = "UPDATE trials SET state = ?3, value = ?4, value_spread = ?5,"
                        " finished = ?6, duration = ?7, error = ?8, epochs = ?9, interrupted = ?10,"
                        " objective_values = ?11, valid_loss = ?12, n_params = ?13"
                        " WHERE study_id = ?1 AND number = ?2",
    [ST_ARTIFACT_ADD] = "INSERT INTO artifacts(trial_id, kind, path, info, created)"
                        " VALUES((SELECT id FROM trials WHERE study_id = ?1 AND number = ?2),"
                        " ?3, ?4, ?5, ?6)",
    [ST_TRIALS_LOAD] =
        "SELECT number, state, params, value, value_spread, seed, started, finished, duration,"
        " error, epochs, interrupted, retry_of,"
        " (SELECT path FROM artifacts a WHERE a.trial_id = t.id AND a.kind = 'model'"
        "  ORDER BY a.id DESC LIMIT 1),"
        " objective_values,"
        " (SELECT info FROM artifacts a WHERE a.trial_id = t.id AND a.kind = 'test'"
        "  ORDER BY a.id DESC LIMIT 1),"
        " valid_loss, n_params, mpi_rank"
        " FROM trials t WHERE study_id = ?1 ORDER BY number",
    [ST_EPOCHS_LOAD] =
        "SELECT fold, epoch, train_loss, train_accuracy, train_rmse, train_mae, train_r2,"
        " valid_loss, valid_accuracy, valid_rmse, valid_mae, valid_r2, lr, elapsed"
        " FROM trial_epochs WHERE trial_id ="
        " (SELECT id FROM trials WHERE study_id = ?1 AND number = ?2) ORDER BY fold, epoch",
    [ST_TRIAL_RANK] = "UPDATE trials SET mpi_rank = ?3 WHERE study_id = ?1 AND number = ?2",
    [ST_TRIAL_ID] = "SELECT id FROM trials WHERE study_id = ?1 AND number = ?2",
    [ST_EPOCH_INSERT] =
        "INSERT INTO trial_epochs(trial_id, fold, epoch,"
        " train_loss, train_accuracy, train_rmse, train_mae, train_r2,"
        " valid_loss, valid_accuracy, valid_rmse, valid_mae, valid_r2, lr, elapsed)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
};

typedef struct sq_store {
    sqlite3 *db;
    char *path;
    int readonly;
    int lock_fd; /* -1 until a study is opened exclusively */
    sqlite3_stmt *st[ST_COUNT_];
    nnt__epoch_batch batch; /* epoch rows not yet written */
} sq_store;

/* ---- helpers ---------------------------------------------------------- */

static int sq_fail(sq_store *s, nnt_error *err, const char *what)
{
    int prim = sqlite3_errcode(s->db) & 0xff;
    if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
        return nnt_fail(err, NNT_ERR_CORRUPT, "%s: %s: the storage file is corrupted or truncated (%s)",
                        s->path, what, sqlite3_errmsg(s->db));
    return nnt_fail(err, NNT_ERR_STORAGE, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(sq_store *s, int which)
{
    sqlite3_stmt *st = s->st[which];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v)) sqlite3_bind_double(st, i, v);
    else sqlite3_bind_null(st, i);
}

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
    if (t) sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Copies a text column (NULL stays NULL). Sets *oom on allocation failure. */
static char *col_text(sqlite3_stmt *st, int i, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t) return NULL;
    char *c = nnt__strdup((const char *)t);
    if (!c) *oom = 1;
    return c;
}

/* Objective values as a JSON array, null for NaN (malloc'd; NULL on out of
 * memory). */
static char *values_to_json(const double *v, int n)
{
    if (n > NNT_MAX_OBJECTIVES) n = NNT_MAX_OBJECTIVES;
    json_object *a = json_object_new_array();
    if (!a) return NULL;
    for (int i = 0; i < n; i++)
        json_object_array_add(a, isfinite(v[i]) ? json_object_new_double(v[i]) : NULL);
    const char *t = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
    char *out = t ? nnt__strdup(t) : NULL;
    json_object_put(a);
    return out;
}

/* Reads an objective_values array into r (n_values 0 when absent or not an
 * array; entries that are not numbers read as NaN). */
static void values_from_json(const char *text, nnt_trial_record *r)
{
    r->n_values = 0;
    for (int i = 0; i < NNT_MAX_OBJECTIVES; i++) r->values[i] = NAN;
    if (!text) return;
    json_object *a = json_tokener_parse(text);
    if (a && json_object_is_type(a, json_type_array)) {
        size_t n = json_object_array_length(a);
        if (n > NNT_MAX_OBJECTIVES) n = NNT_MAX_OBJECTIVES;
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(a, i);
            if (json_object_is_type(e, json_type_double) || json_object_is_type(e, json_type_int))
                r->values[i] = json_object_get_double(e);
        }
        r->n_values = (int)n;
    }
    json_object_put(a);
}

/* Runs a prepared write statement to completion; resets it. */
static int step_done(sq_store *s, sqlite3_stmt *st, nnt_error *err, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        int r = sq_fail(s, err, what);
        sqlite3_reset(st);
        return r;
    }
    sqlite3_reset(st);
    return NNT_OK;
}

static int read_study_row(sqlite3_stmt *st, nnt_study_record *r)
{
    int oom = 0;
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->name = col_text(st, 1, &oom);
    r->definition = col_text(st, 2, &oom);
    r->seed = (uint64_t)sqlite3_column_int64(st, 3);
    r->metric = col_text(st, 4, &oom);
    const unsigned char *dir = sqlite3_column_text(st, 5);
    r->maximize = dir && !strcmp((const char *)dir, "maximize");
    r->created = col_real(st, 6);
    r->n_trials = sqlite3_column_int(st, 7);
    if (oom) {
        nnt_study_record_free(r);
        return NNT_ERR_NOMEM;
    }
    return NNT_OK;
}

/* ---- study lock --------------------------------------------------------- */

static int lock_study(sq_store *s, int64_t study, const char *name, nnt_error *err)
{
    if (s->lock_fd < 0) {
        size_t n = strlen(s->path) + 6;
        char *lp = nnt__malloc(n);
        if (!lp) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
        snprintf(lp, n, "%s.lock", s->path);
        s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        int e = errno;
        if (s->lock_fd < 0) {
            int r = nnt_fail(err, NNT_ERR_IO, "%s: cannot open lock file: %s", lp, strerror(e));
            nnt__free(lp);
            return r;
        }
        nnt__free(lp);
    }
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)study;
    fl.l_len = 1;
#ifdef F_OFD_SETLK
    int rc = fcntl(s->lock_fd, F_OFD_SETLK, &fl);
#else
    int rc = fcntl(s->lock_fd, F_SETLK, &fl);
#endif
    if (rc != 0) {
        if (errno == EAGAIN || errno == EACCES)
            return nnt_fail(err, NNT_ERR_STORAGE,
                            "%s: study '%s' is being run by another process (lock %s.lock)",
                            s->path, name, s->path);
        return nnt_fail(err, NNT_ERR_IO, "%s.lock: cannot lock: %s", s->path, strerror(errno));
    }
    return NNT_OK;
}

/* ---- plug-in functions -------------------------------------------------- */

/* Writes the buffered epoch rows in one transaction (then also(arg) in it). */
static int sq_flush_with(sq_store *s, nnt__batch_also also, void *arg, nnt_error *err)
{
    return nnt__batch_flush(&s->batch, s->db, s->st[ST_EPOCH_INSERT], s->path, also, arg, err);
}

static int sq_flush(void *ctx, nnt_error *err)
{
    return sq_flush_with(ctx, NULL, NULL, err);
}

static int sq_study_open(void *ctx, const nnt_study_open_request *req, nnt_study_record *out,
                         int *created, nnt_error *err)
{
    sq_store *s = ctx;
    memset(out, 0, sizeof *out);
    if (created) *created = 0;
    if (!req || !req->name || !req->name[0])
        return nnt_fail(err, NNT_ERR_ARG, "study_open: a study name is required");
    if ((req->create || req->exclusive || req->recover) && s->readonly)
        return nnt_fail(err, NNT_ERR_ARG, "%s: opened read-only", s->path);

    sqlite3_stmt *st = stmt(s, ST_STUDY_FIND);
    sqlite3_bind_text(st, 1, req->name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        if (!req->create)
            return nnt_fail(err, NNT_ERR_NOT_FOUND, "%s: no study named '%s'", s->path, req->name);
        sqlite3_stmt *ins = stmt(s, ST_STUDY_INSERT);
        bind_text(ins, 1, req->name);
        bind_text(ins, 2, req->definition ? req->definition : "{}");
        sqlite3_bind_int64(ins, 3, (sqlite3_int64)req->seed);
        bind_text(ins, 4, req->metric ? req->metric : "");
        bind_text(ins, 5, req->maximize ? "maximize" : "minimize");
        sqlite3_bind_double(ins, 6, nnt_clock_wall());
        int r = step_done(s, ins, err, "cannot create study");
        /* A concurrent runner may have created it meanwhile: fall through to
         * the lookup, which then finds theirs. */
        if (r < 0 && sqlite3_extended_errcode(s->db) != SQLITE_CONSTRAINT_UNIQUE) return r;
        if (r == NNT_OK && created) *created = 1;
        st = stmt(s, ST_STUDY_FIND);
        sqlite3_bind_text(st, 1, req->name, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_ROW) {
        int r = sq_fail(s, err, "cannot read study");
        sqlite3_reset(st);
        return r;
    }
    int r = read_study_row(st, out);
    sqlite3_reset(st);
    if (r < 0) return nnt_fail(err, r, "out of memory");

    if (req->exclusive) {
        r = lock_study(s, out->id, req->name, err);
        if (r < 0) {
            nnt_study_record_free(out);
            return r;
        }
    }
    if (req->recover) {
        if (!req->exclusive) {
            nnt_study_record_free(out);
            return nnt_fail(err, NNT_ERR_ARG, "study_open: recover needs exclusive");
        }
        r = sq_flush(s, err);
        if (r < 0) {
            nnt_study_record_free(out);
            return r;
        }
        sqlite3_stmt *rec = stmt(s, ST_RECOVER);
        sqlite3_bind_int64(rec, 1, out->id);
        r = step_done(s, rec, err, "cannot mark interrupted trials");
        if (r < 0) {
            nnt_study_record_free(out);
            return r;
        }
    }
    return NNT_OK;
}

static int sq_study_list(void *ctx, nnt_study_record **out, size_t *n, nnt_error *err)
{
    sq_store *s = ctx;
    *out = NULL;
    *n = 0;
    size_t cap = 0, len = 0;
    nnt_study_record *a = NULL;
    sqlite3_stmt *st = stmt(s, ST_STUDY_LIST);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 8;
            nnt_study_record *na = nnt__realloc(a, nc * sizeof *na);
            if (!na) goto oom;
            a = na;
            cap = nc;
        }
        if (read_study_row(st, &a[len]) < 0) goto oom;
        len++;
    }
    if (rc != SQLITE_DONE) {
        int r = sq_fail(s, err, "cannot list studies");
        sqlite3_reset(st);
        nnt_study_records_free(a, len);
        return r;
    }
    sqlite3_reset(st);
    *out = a;
    *n = len;
    return NNT_OK;
oom:
    sqlite3_reset(st);
    nnt_study_records_free(a, len);
    return nnt_fail(err, NNT_ERR_NOMEM, "out of memory listing studies");
}

static int sq_study_redefine(void *ctx, int64_t study, const char *definition, uint64_t seed,
                             nnt_error *err)
{
    sq_store *s = ctx;
    sqlite3_stmt *st = stmt(s, ST_STUDY_REDEFINE);
    sqlite3_bind_int64(st, 1, study);
    bind_text(st, 2, definition ? definition : "{}");
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seed);
    return step_done(s, st, err, "cannot update the study definition");
}

static int sq_trial_start(void *ctx, int64_t study, int number, const char *params, uint64_t seed,
                          int retry_of, double started, nnt_error *err)
{
    sq_store *s = ctx;
    sqlite3_stmt *st = stmt(s, ST_TRIAL_START);
    sqlite3_bind_int64(st, 1, study);
    sqlite3_bind_int(st, 2, number);
    bind_text(st, 3, params ? params : "{}");
    sqlite3_bind_int64(st, 4, (sqlite3_int64)seed);
    sqlite3_bind_double(st, 5, started);
    if (retry_of >= 0) sqlite3_bind_int(st, 6, retry_of);
    else sqlite3_bind_null(st, 6);
    return step_done(s, st, err, "cannot insert trial");
}

static int sq_trial_rank(void *ctx, int64_t study, int number, int rank, nnt_error *err)
{
    sq_store *s = ctx;
    sqlite3_stmt *st = stmt(s, ST_TRIAL_RANK);
    sqlite3_bind_int64(st, 1, study);
    sqlite3_bind_int(st, 2, number);
    sqlite3_bind_int(st, 3, rank);
    return step_done(s, st, err, "cannot record the trial's rank");
}

/* Buffers the row (the trial is looked up now, so an unknown trial is an
 * error of this call); writes the group when it is due. */
static int sq_trial_epoch(void *ctx, int64_t study, int number, const nnt_epoch_row *row,
                          nnt_error *err)
{
    sq_store *s = ctx;
    if (s->readonly) return nnt_fail(err, NNT_ERR_ARG, "%s: opened read-only", s->path);
    sqlite3_stmt *st = stmt(s, ST_TRIAL_ID);
    sqlite3_bind_int64(st, 1, study);
    sqlite3_bind_int(st, 2, number);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int r = rc == SQLITE_DONE
                    ? nnt_fail(err, NNT_ERR_NOT_FOUND, "%s: cannot insert epoch: no trial %d in study %lld",
                               s->path, number, (long long)study)
                    : sq_fail(s, err, "cannot insert epoch");
        sqlite3_reset(st);
        return r;
    }
    int64_t id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    int r = nnt__batch_add(&s->batch, id, number, row, err);
    if (r == NNT_OK && nnt__batch_due(&s->batch)) r = sq_flush(s, err);
    return r;
}

typedef struct finish_args {
    sq_store *s;
    int64_t study;
    const nnt_trial_record *rec;
} finish_args;

static int finish_update(void *arg, nnt_error *err)
{
    finish_args *a = arg;
    sq_store *s = a->s;
    int64_t study = a->study;
    const nnt_trial_record *rec = a->rec;
    sqlite3_stmt *st = stmt(s, ST_TRIAL_FINISH);
    sqlite3_bind_int64(st, 1, study);
    sqlite3_bind_int(st, 2, rec->number);
    bind_text(st, 3, nnt_trial_state_name(rec->state));
    bind_real(st, 4, rec->value);
    bind_real(st, 5, rec->value_spread);
    bind_real(st, 6, rec->finished);
    bind_real(st, 7, rec->duration);
    bind_text(st, 8, rec->error);
    sqlite3_bind_int(st, 9, rec->epochs);
    sqlite3_bind_int(st, 10, rec->interrupted ? 1 : 0);
    char *vals = NULL;
    if (rec->n_values > 0) {
        vals = values_to_json(rec->values, rec->n_values);
        if (!vals) {
            sqlite3_reset(st);
            return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
        }
    }
    bind_text(st, 11, vals);
    nnt__free(vals);
    bind_real(st, 12, rec->valid_loss);
    bind_real(st, 13, rec->n_params);
    int r = step_done(s, st, err, "cannot update trial");
    if (r == NNT_OK && sqlite3_changes(s->db) != 1)
        return nnt_fail(err, NNT_ERR_NOT_FOUND, "%s: no trial %d in study %lld", s->path,
                        rec->number, (long long)study);
    return r;
}

/* The trial's buffered epochs (and everyone else's) and its state change
 * in one transaction: when this returns, the finished trial is durable. */
static int sq_trial_finish(void *ctx, int64_t study, const nnt_trial_record *rec, nnt_error *err)
{
    finish_args a = {ctx, study, rec};
    return sq_flush_with(ctx, finish_update, &a, err);
}

static int sq_artifact_add(void *ctx, int64_t study, int number, const char *kind,
                           const char *path, const char *info_json, nnt_error *err)
{
    sq_store *s = ctx;
    sqlite3_stmt *st = stmt(s, ST_ARTIFACT_ADD);
    sqlite3_bind_int64(st, 1, study);
    sqlite3_bind_int(st, 2, number);
    bind_text(st, 3, kind ? kind : "model");
    bind_text(st, 4, path ? path : "");
    bind_text(st, 5, info_json);
    sqlite3_bind_double(st, 6, nnt_clock_wall());
    return step_done(s, st, err, "cannot record artifact");
}

static int sq_trials_load(void *ctx, int64_t study, nnt_trial_record **out, size_t *n,
                          nnt_error *err)
{
    sq_store *s = ctx;
    *out = NULL;
    *n = 0;
    int fr = sq_flush(s, err); /* this handle reads its own epochs */
    if (fr < 0) return fr;
    size_t cap = 0, len = 0;
    nnt_trial_record *a = NULL;
    sqlite3_stmt *st = stmt(s, ST_TRIALS_LOAD);
    sqlite3_bind_int64(st, 1, study);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 64;
            nnt_trial_record *na = nnt__realloc(a, nc * sizeof *na);
            if (!na) goto oom;
            a = na;
            cap = nc;
        }
        nnt_trial_record *r = &a[len];
        memset(r, 0, sizeof *r);
        len++;
        int oom = 0;
        r->number = sqlite3_column_int(st, 0);
        const unsigned char *state = sqlite3_column_text(st, 1);
        int sv = nnt_trial_state_from_name(state ? (const char *)state : "");
        r->state = sv < 0 ? NNT_TRIAL_FAILED : (nnt_trial_state)sv;
        r->params = col_text(st, 2, &oom);
        r->value = col_real(st, 3);
        r->value_spread = col_real(st, 4);
        r->seed = (uint64_t)sqlite3_column_int64(st, 5);
        r->started = col_real(st, 6);
        r->finished = col_real(st, 7);
        r->duration = col_real(st, 8);
        r->error = col_text(st, 9, &oom);
        r->epochs = sqlite3_column_int(st, 10);
        r->interrupted = sqlite3_column_int(st, 11);
        r->retry_of = sqlite3_column_type(st, 12) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 12);
        r->model_path = col_text(st, 13, &oom);
        values_from_json((const char *)sqlite3_column_text(st, 14), r);
        r->test_info = col_text(st, 15, &oom);
        r->valid_loss = col_real(st, 16);
        r->n_params = col_real(st, 17);
        r->rank = sqlite3_column_type(st, 18) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 18);
        if (oom) goto oom;
    }
    if (rc != SQLITE_DONE) {
        int r = sq_fail(s, err, "cannot read trials");
        sqlite3_reset(st);
        nnt_trial_records_free(a, len);
        return r;
    }
    sqlite3_reset(st);
    *out = a;
    *n = len;
    return NNT_OK;
oom:
    sqlite3_reset(st);
    nnt_trial_records_free(a, len);
    return nnt_fail(err, NNT_ERR_NOMEM, "out of memory reading trials");
}

static int sq_epochs_load(void *ctx, int64_t study, int number, nnt_epoch_row **out, size_t *n,
                          nnt_error *err)
{
    sq_store *s = ctx;
    *out = NULL;
    *n = 0;
    int fr = sq_flush(s, err);
    if (fr < 0) return fr;
    size_t cap = 0, len = 0;
    nnt_epoch_row *a = NULL;
    sqlite3_stmt *st = stmt(s, ST_EPOCHS_LOAD);
    sqlite3_bind_int64(st, 1, study);
    sqlite3_bind_int(st, 2, number);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 32;
            nnt_epoch_row *na = nnt__realloc(a, nc * sizeof *na);
            if (!na) {
                sqlite3_reset(st);
                nnt__free(a);
                return nnt_fail(err, NNT_ERR_NOMEM, "out of memory reading epochs");
            }
            a = na;
            cap = nc;
        }
        nnt_epoch_row *r = &a[len++];
        r->fold = sqlite3_column_int(st, 0);
        r->epoch = sqlite3_column_int(st, 1);
        nnt_metrics *m[2] = {&r->train, &r->valid};
        for (int k = 0; k < 2; k++) {
            m[k]->loss = col_real(st, 2 + 5 * k);
            m[k]->accuracy = col_real(st, 3 + 5 * k);
            m[k]->rmse = col_real(st, 4 + 5 * k);
            m[k]->mae = col_real(st, 5 + 5 * k);
            m[k]->r2 = col_real(st, 6 + 5 * k);
        }
        r->lr = col_real(st, 12);
        r->elapsed_s = col_real(st, 13);
    }
    if (rc != SQLITE_DONE) {
        int r = sq_fail(s, err, "cannot read epochs");
        sqlite3_reset(st);
        nnt__free(a);
        return r;
    }
    sqlite3_reset(st);
    *out = a;
    *n = len;
    return NNT_OK;
}

static void sq_close(void *ctx)
{
    sq_store *s = ctx;
    if (!s) return;
    if (s->db && s->st[ST_EPOCH_INSERT]) sq_flush(s, NULL); /* close has no error to return */
    nnt__batch_free(&s->batch);
    for (int i = 0; i < ST_COUNT_; i++) sqlite3_finalize(s->st[i]);
    if (s->db) sqlite3_close(s->db);
    if (s->lock_fd >= 0) close(s->lock_fd); /* releases the study locks */
    nnt__free(s->path);
    nnt__free(s);
}

/* ---- open --------------------------------------------------------------- */


/* text with the first `from` replaced by `to` (malloc'd), NULL on OOM. */
static char *replace_once(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    size_t lt = strlen(text), lf = strlen(from), lo = strlen(to);
    char *out = nnt__malloc(lt - (at ? lf : 0) + (at ? lo : 0) + 1);
    if (!out) return NULL;
    if (!at) {
        memcpy(out, text, lt + 1);
        return out;
    }
    size_t pre = (size_t)(at - text);
    memcpy(out, text, pre);
    memcpy(out + pre, to, lo);
    memcpy(out + pre + lo, at + lf, lt - pre - lf + 1);
    return out;
}



static const nnt_storage_backend sqlite_backend = {
    .name = "sqlite",
    .study_open = sq_study_open,
    .study_list = sq_study_list,
    .study_redefine = sq_study_redefine,
    .trial_start = sq_trial_start,
    .trial_epoch = sq_trial_epoch,
    .trial_finish = sq_trial_finish,
    .artifact_add = sq_artifact_add,
    .trials_load = sq_trials_load,
    .epochs_load = sq_epochs_load,
    .close = sq_close,
    .trial_rank = sq_trial_rank,
    .flush = sq_flush,
};

int nnt_storage_open_sqlite(const char *path, unsigned flags_in, nnt_storage **out,
                            nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "nnt_storage_open_sqlite: out is NULL");
    *out = NULL;
    if (!path || !path[0]) return nnt_fail(err, NNT_ERR_ARG, "storage: empty path");
    const int readonly = (flags_in & NNT_STORAGE_READONLY) != 0;
    const int busy_timeout_ms = 10000; /* wait this long for another writer */

    /* Look before writing: another program's database, a damaged file or a
     * newer schema is refused before SQLite switches the file to WAL mode or
     * creates a table in it (src/store/sqlite_inspect.c). */
    int empty = 0, found_version = 0;
    int r = nnt__sqlite_inspect(path, NNT_SCHEMA_VERSION, &empty, &found_version, err);
    if (r < 0) return r;
    if (readonly && empty && access(path, F_OK) == 0)
        return nnt_fail(err, NNT_ERR_NOT_FOUND, "%s: not an nntune storage (an empty database)", path);

    sq_store *s = nnt__calloc(1, sizeof *s);
    if (!s) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    s->lock_fd = -1;
    s->readonly = readonly;
    s->path = nnt__strdup(path);
    if (!s->path) {
        nnt__free(s);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    }
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        r = nnt_fail(err, readonly && access(path, F_OK) != 0 ? NNT_ERR_NOT_FOUND : NNT_ERR_STORAGE,
                     "%s: cannot open storage: %s", path,
                     s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(s->db, busy_timeout_ms);
    sqlite3_extended_result_codes(s->db, 1);
    if (!readonly && (r = nnt__sqlite_schema_create(s->db, path, err)) < 0) goto fail;
    int version = 0;
    if ((r = nnt__sqlite_schema_version(s->db, path, &version, err)) < 0) goto fail;
    for (int i = 0; i < ST_COUNT_; i++) {
        const char *sql = stmt_sql[i];
        char *patched = NULL;
        if (version < NNT_SCHEMA_VERSION && i == ST_TRIALS_LOAD) {
            /* An older file opened read-only: columns it lacks read as NULL. */
            patched = replace_once(sql, " valid_loss, n_params, mpi_rank",
                                   version < 3 ? " NULL, NULL, NULL" : " valid_loss, n_params, NULL");
            if (patched && version < 2) {
                char *p2 = replace_once(patched, " objective_values,", " NULL,");
                nnt__free(patched);
                patched = p2;
            }
            if (!patched) {
                r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
                goto fail;
            }
            sql = patched;
        }
        int prc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        nnt__free(patched);
        if (version < NNT_SCHEMA_VERSION && (i == ST_TRIAL_FINISH || i == ST_TRIAL_RANK))
            continue; /* read-only: never used */
        if (prc != SQLITE_OK) {
            r = nnt_fail(err, NNT_ERR_STORAGE, "%s: cannot prepare statement %d: %s", path, i,
                         sqlite3_errmsg(s->db));
            goto fail;
        }
    }
    return nnt_storage_wrap(&sqlite_backend, s, out, err); /* closes s on failure */
fail:
    sq_close(s);
    return r;
}
