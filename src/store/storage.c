/* Back-end independent helpers of the storage interface. */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/store.h"

static const char *const state_names[] = {"running", "complete", "pruned", "failed"};

const char *nnt_trial_state_name(nnt_trial_state s)
{
    return (unsigned)s < 4 ? state_names[s] : "unknown";
}

int nnt_trial_state_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && !strcmp(name, state_names[i])) return i;
    return -1;
}

void nnt_storage_close(nnt_storage *s)
{
    if (!s) return;
    if (s->close && s->ctx) s->close(s->ctx);
    memset(s, 0, sizeof *s);
}

void nnt_study_record_free(nnt_study_record *r)
{
    if (!r) return;
    nnt_free(r->name);
    nnt_free(r->definition);
    nnt_free(r->metric);
    memset(r, 0, sizeof *r);
}

void nnt_study_records_free(nnt_study_record *r, size_t n)
{
    if (!r) return;
    for (size_t i = 0; i < n; i++) nnt_study_record_free(&r[i]);
    nnt_free(r);
}

void nnt_trial_record_free(nnt_trial_record *r)
{
    if (!r) return;
    nnt_free(r->params);
    nnt_free(r->error);
    nnt_free(r->model_path);
    nnt_free(r->test_info);
    memset(r, 0, sizeof *r);
}

void nnt_trial_records_free(nnt_trial_record *r, size_t n)
{
    if (!r) return;
    for (size_t i = 0; i < n; i++) nnt_trial_record_free(&r[i]);
    nnt_free(r);
}

int nnt_storage_find_study(nnt_storage *s, const char *name, nnt_study_record *out,
                           nnt_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s || !s->ctx) return nnt_fail(err, NNT_ERR_ARG, "storage is not open");
    if (name) {
        nnt_study_open_request req;
        memset(&req, 0, sizeof req);
        req.name = name;
        return s->study_open(s->ctx, &req, out, NULL, err);
    }
    nnt_study_record *all = NULL;
    size_t n = 0;
    int r = s->study_list(s->ctx, &all, &n, err);
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

void nnt_epoch_rows_free(nnt_epoch_row *rows) { nnt_free(rows); }
