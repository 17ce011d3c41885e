/* Back-end independent helpers of the storage interface. */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/storage_backend.h"

/* The table comes from the X-macro next to the enum (nntune/trial.h). */
#define NAME_(id, name) name,
static const char *const state_names[] = {NNT_TRIAL_STATE_MAP(NAME_)};
#undef NAME_

const char *nnt_trial_state_name(nnt_trial_state s)
{
    return (unsigned)s < NNT_TRIAL_STATE_COUNT ? state_names[s] : "unknown";
}

int nnt_trial_state_from_name(const char *name)
{
    for (int i = 0; i < NNT_TRIAL_STATE_COUNT; i++)
        if (name && !strcmp(name, state_names[i])) return i;
    return -1;
}

struct nnt_storage {
    const nnt_storage_backend *ops;
    void *ctx;
};

int nnt_storage_wrap(const nnt_storage_backend *ops, void *ctx, nnt_storage **out, nnt_error *err)
{
    if (out) *out = NULL;
    if (!ops || !ops->close || !out) {
        if (ops && ops->close && ctx) ops->close(ctx);
        return nnt_fail(err, NNT_ERR_ARG, "nnt_storage_wrap: missing back end or out");
    }
    nnt_storage *st = nnt__calloc(1, sizeof *st);
    if (!st) {
        ops->close(ctx);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    }
    st->ops = ops;
    st->ctx = ctx;
    *out = st;
    return NNT_OK;
}

void nnt_storage_close(nnt_storage *st)
{
    if (!st) return;
    if (st->ops->close) st->ops->close(st->ctx);
    nnt__free(st);
}

const char *nnt_storage_backend_name(const nnt_storage *st)
{
    return st && st->ops->name ? st->ops->name : "none";
}

/* Every forwarding call checks the handle and the back end's function the
 * same way: a missing one is an argument error, never a crash. */
#define CHECK_OP(st, op)                                                                           \
    do {                                                                                           \
        if (!(st)) return nnt_fail(err, NNT_ERR_ARG, "storage is not open");                      \
        if (!(st)->ops->op)                                                                        \
            return nnt_fail(err, NNT_ERR_UNSUPPORTED, "storage %s: no " #op,                       \
                            nnt_storage_backend_name(st));                                         \
    } while (0)

int nnt_storage_study_open(nnt_storage *st, const nnt_study_open_request *req,
                           nnt_study_record *out, int *created, nnt_error *err)
{
    CHECK_OP(st, study_open);
    return st->ops->study_open(st->ctx, req, out, created, err);
}

int nnt_storage_study_list(nnt_storage *st, nnt_study_record **out, size_t *n, nnt_error *err)
{
    CHECK_OP(st, study_list);
    return st->ops->study_list(st->ctx, out, n, err);
}

int nnt_storage_study_redefine(nnt_storage *st, int64_t study, const char *definition,
                               uint64_t seed, nnt_error *err)
{
    CHECK_OP(st, study_redefine);
    return st->ops->study_redefine(st->ctx, study, definition, seed, err);
}

int nnt_storage_trial_start(nnt_storage *st, int64_t study, int number, const char *params,
                            uint64_t seed, int retry_of, double started, nnt_error *err)
{
    CHECK_OP(st, trial_start);
    return st->ops->trial_start(st->ctx, study, number, params, seed, retry_of, started, err);
}

int nnt_storage_trial_epoch(nnt_storage *st, int64_t study, int number, const nnt_epoch_row *row,
                            nnt_error *err)
{
    CHECK_OP(st, trial_epoch);
    return st->ops->trial_epoch(st->ctx, study, number, row, err);
}

int nnt_storage_trial_finish(nnt_storage *st, int64_t study, const nnt_trial_record *rec,
                             nnt_error *err)
{
    CHECK_OP(st, trial_finish);
    return st->ops->trial_finish(st->ctx, study, rec, err);
}

int nnt_storage_flush(nnt_storage *st, nnt_error *err)
{
    if (!st) return nnt_fail(err, NNT_ERR_ARG, "storage is not open");
    return st->ops->flush ? st->ops->flush(st->ctx, err) : NNT_OK;
}

int nnt_storage_trial_rank(nnt_storage *st, int64_t study, int number, int rank, nnt_error *err)
{
    CHECK_OP(st, trial_rank);
    return st->ops->trial_rank(st->ctx, study, number, rank, err);
}

int nnt_storage_artifact_add(nnt_storage *st, int64_t study, int number, const char *kind,
                             const char *path, const char *info_json, nnt_error *err)
{
    CHECK_OP(st, artifact_add);
    return st->ops->artifact_add(st->ctx, study, number, kind, path, info_json, err);
}

int nnt_storage_trials_load(nnt_storage *st, int64_t study, nnt_trial_record **out, size_t *n,
                            nnt_error *err)
{
    CHECK_OP(st, trials_load);
    return st->ops->trials_load(st->ctx, study, out, n, err);
}

int nnt_storage_epochs_load(nnt_storage *st, int64_t study, int number, nnt_epoch_row **out,
                            size_t *n, nnt_error *err)
{
    CHECK_OP(st, epochs_load);
    return st->ops->epochs_load(st->ctx, study, number, out, n, err);
}

void nnt_study_record_free(nnt_study_record *r)
{
    if (!r) return;
    nnt__free(r->name);
    nnt__free(r->definition);
    nnt__free(r->metric);
    memset(r, 0, sizeof *r);
}

void nnt_study_records_free(nnt_study_record *r, size_t n)
{
    if (!r) return;
    for (size_t i = 0; i < n; i++) nnt_study_record_free(&r[i]);
    nnt__free(r);
}

void nnt_trial_record_free(nnt_trial_record *r)
{
    if (!r) return;
    nnt__free(r->params);
    nnt__free(r->error);
    nnt__free(r->model_path);
    nnt__free(r->test_info);
    memset(r, 0, sizeof *r);
}

void nnt_trial_records_free(nnt_trial_record *r, size_t n)
{
    if (!r) return;
    for (size_t i = 0; i < n; i++) nnt_trial_record_free(&r[i]);
    nnt__free(r);
}

int nnt_storage_find_study(nnt_storage *s, const char *name, nnt_study_record *out,
                           nnt_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s) return nnt_fail(err, NNT_ERR_ARG, "storage is not open");
    if (name) {
        nnt_study_open_request req;
        memset(&req, 0, sizeof req);
        req.name = name;
        return nnt_storage_study_open(s, &req, out, NULL, err);
    }
    nnt_study_record *all = NULL;
    size_t n = 0;
    int r = nnt_storage_study_list(s, &all, &n, err);
    if (r < 0) return r;
    if (n == 0) {
        nnt_study_records_free(all, n);
        return nnt_fail(err, NNT_ERR_NOT_FOUND, "the storage holds no study");
    }
    /* Listed by creation: the last one is the most recent. */
    *out = all[n - 1];
    memset(&all[n - 1], 0, sizeof all[n - 1]);
    nnt_study_records_free(all, n);
    return NNT_OK;
}

void nnt_epoch_rows_free(nnt_epoch_row *rows) { nnt__free(rows); }
