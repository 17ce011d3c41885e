/* The members of an ensemble in a model file (version 4; model_ensemble.c
 * holds the ensembles themselves). A single model is still written as
 * version 3, byte for byte as before, so older builds keep reading it; only
 * an ensemble needs version 4. Record layout: model_io.c. */
#include <math.h>

#include "nn/model_io_internal.h"

/* Most members a file may declare (as nnt_model_ensemble_add allows). */
#define MAX_FILE_MEMBERS 1024u

void nnt__mio_write_members(wbuf *b, const nnt_model *m)
{
    wb_u32(b, (uint32_t)m->n_members);
    for (int k = 0; k < m->n_members; k++) {
        const nnt_model *e = m->members[k];
        wb_scaler(b, &e->scaler);
        wb_u64(b, e->n_params);
        for (size_t i = 0; i < e->n_params; i++) wb_f32(b, e->params[i]);
    }
}

static int member_fail(load_state *s, uint32_t k, const char *what)
{
    return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': ensemble member %u: %s", s->path,
                    k + 1, what);
}

/* One member: its scaler and weights, on a model of the head's architecture. */
static int parse_member(load_state *s, nnt_model *head, uint32_t k, nnt_model **out)
{
    rbuf *r = &s->r;
    uint32_t kind = rb_u32(r);
    uint64_t nf = rb_u64(r);
    if (r->overrun) return member_fail(s, k, "record runs past the end of the data");
    if (kind > NNT_SCALE_PIXELS) return member_fail(s, k, "unknown scaling kind");
    if (nf != 0 && nf != (uint64_t)head->opt.inputs)
        return member_fail(s, k, "scaler size does not match the model's inputs");
    if (nf > (r->len - r->pos) / 8) return member_fail(s, k, "record runs past the end of the data");
    nnt_error cerr;
    nnt_model *e = NULL;
    int rc = nnt_model_create(&head->opt, 0, &e, &cerr);
    if (rc < 0) return nnt_fail(s->err, rc, "model file '%s': %s", s->path, cerr.message);
    e->task = head->task;
    if (nf) {
        e->scaler.shift = nnt__malloc_array((size_t)nf, sizeof(float));
        e->scaler.mul = nnt__malloc_array((size_t)nf, sizeof(float));
        if (!e->scaler.shift || !e->scaler.mul) {
            nnt_model_free(e);
            return nnt_fail(s->err, NNT_ERR_NOMEM, "model file '%s': out of memory", s->path);
        }
        for (size_t j = 0; j < nf; j++) e->scaler.shift[j] = rb_f32(r);
        for (size_t j = 0; j < nf; j++) e->scaler.mul[j] = rb_f32(r);
    }
    e->scaler.kind = (nnt_scaling)kind;
    e->scaler.features = (size_t)nf;
    e->scaler.target_shift = rb_f32(r);
    e->scaler.target_mul = rb_f32(r);
    uint64_t np = rb_u64(r);
    const char *bad = NULL;
    if (r->overrun) bad = "record runs past the end of the data";
    else if (!isfinite(e->scaler.target_shift) || !isfinite(e->scaler.target_mul) ||
             e->scaler.target_mul < 0)
        bad = "invalid target scaling";
    else if (np != (uint64_t)e->n_params)
        bad = "weight count does not match the model's architecture";
    else if (np > (r->len - r->pos) / 4)
        bad = "record runs past the end of the data";
    if (bad) {
        nnt_model_free(e);
        return member_fail(s, k, bad);
    }
    for (size_t i = 0; i < e->n_params; i++) e->params[i] = rb_f32(r);
    *out = e;
    return NNT_OK;
}

int nnt__mio_parse_members(load_state *s, nnt_model *head)
{
    rbuf *r = &s->r;
    size_t at = r->pos;
    uint32_t n = rb_u32(r);
    if (r->overrun) return overrun(s, at);
    if (n > MAX_FILE_MEMBERS)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': absurd ensemble member count %u",
                        s->path, n);
    for (uint32_t k = 0; k < n; k++) {
        nnt_model *e = NULL;
        int rc = parse_member(s, head, k, &e);
        if (rc == NNT_OK) rc = nnt_model_ensemble_add(head, e, s->err);
        if (rc != NNT_OK) {
            nnt_model_free(e);
            return rc;
        }
    }
    if (r->pos != r->len)
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s': %zu bytes after the last ensemble member", s->path,
                        r->len - r->pos);
    return NNT_OK;
}
