/* The input schema in a model file (version >= 3): the raw columns the
 * model was trained on, so that prediction data is read by name, encoded and
 * filled as in training. Record layout: model_io.c. */
#include <math.h>

#include "nn/model_io_internal.h"

void nnt__mio_write_schema(wbuf *b, const nnt_schema *sch)
{
    wb_u64(b, sch->n_columns);
    for (size_t c = 0; c < sch->n_columns; c++) {
        const nnt_column *col = &sch->columns[c];
        wb_str(b, col->name);
        wb_u8(b, col->categorical ? 1u : 0u);
        wb_f32(b, col->fill);
        size_t k = col->categorical ? col->n_categories : 0;
        wb_u32(b, (uint32_t)k);
        for (size_t i = 0; i < k; i++) wb_str(b, col->categories[i]);
    }
}

int nnt__mio_parse_schema(load_state *s)
{
    rbuf *r = &s->r;
    size_t at = r->pos;
    uint64_t n = rb_u64(r);
    if (r->overrun) return overrun(s, at);
    if (n == 0) return NNT_OK;
    /* Each column needs at least 13 bytes. */
    if (n > (r->len - r->pos) / 13 || n > (uint64_t)s->opt.inputs)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': absurd input column count %llu",
                        s->path, (unsigned long long)n);
    nnt_schema *sch = &s->schema;
    sch->columns = nnt__calloc((size_t)n, sizeof(nnt_column));
    if (!sch->columns) return nnt_fail(s->err, NNT_ERR_NOMEM, "model file '%s': out of memory", s->path);
    sch->n_columns = (size_t)n;
    for (size_t c = 0; c < sch->n_columns; c++) {
        nnt_column *col = &sch->columns[c];
        int rc = read_str(s, &col->name, "input column name");
        if (rc != NNT_OK) return rc;
        at = r->pos;
        unsigned cat = rb_u8(r);
        col->fill = rb_f32(r);
        uint32_t k = rb_u32(r);
        if (r->overrun) return overrun(s, at);
        if (cat > 1 || (!cat && k) || (cat && k == 0))
            return corrupt(s, "bad input column record");
        col->categorical = (int)cat;
        rc = read_strs(s, k, &col->categories, "category");
        if (col->categories) col->n_categories = k; /* freed in full on failure too */
        if (rc != NNT_OK) return rc;
    }
    if (nnt_schema_features(sch) != (size_t)s->opt.inputs)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': the input columns give %zu "
                        "features but the model has %d inputs", s->path, nnt_schema_features(sch),
                        s->opt.inputs);
    return NNT_OK;
}

/* Files before version 3: every feature is a numeric column of its name,
 * without fill values, so prediction data is still read by name. */
int nnt__mio_schema_from_names(load_state *s)
{
    if (!s->n_names || !s->names) return NNT_OK;
    nnt_schema *sch = &s->schema;
    sch->columns = nnt__calloc((size_t)s->n_names, sizeof(nnt_column));
    if (!sch->columns) return nnt_fail(s->err, NNT_ERR_NOMEM, "model file '%s': out of memory", s->path);
    sch->n_columns = (size_t)s->n_names;
    for (size_t c = 0; c < sch->n_columns; c++) {
        sch->columns[c].fill = NAN;
        if (!(sch->columns[c].name = nnt__strdup(s->names[c])))
            return nnt_fail(s->err, NNT_ERR_NOMEM, "model file '%s': out of memory", s->path);
    }
    return NNT_OK;
}
