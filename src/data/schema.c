/* Input schemas: the raw columns a model's features come from (see
 * nnt_schema in nntune/data.h). */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/dataset_internal.h"

size_t nnt_schema_features(const nnt_schema *s)
{
    if (!s) return 0;
    size_t n = 0;
    for (size_t c = 0; c < s->n_columns; c++)
        n += s->columns[c].categorical ? s->columns[c].n_categories : 1;
    return n;
}

void nnt_schema_free(nnt_schema *s)
{
    if (!s) return;
    for (size_t c = 0; s->columns && c < s->n_columns; c++) {
        nnt_column *col = &s->columns[c];
        nnt__free(col->name);
        nnt__free_strings(col->categories, col->n_categories);
    }
    nnt__free(s->columns);
    memset(s, 0, sizeof *s);
}

int nnt_schema_copy(const nnt_schema *src, nnt_schema *dst, nnt_error *err)
{
    if (!dst) return nnt_fail(err, NNT_ERR_ARG, "nnt_schema_copy: dst is NULL");
    memset(dst, 0, sizeof *dst);
    if (!src || src->n_columns == 0) return NNT_OK;
    dst->columns = nnt__calloc(src->n_columns, sizeof(nnt_column));
    if (!dst->columns) goto nomem;
    dst->n_columns = src->n_columns;
    for (size_t c = 0; c < src->n_columns; c++) {
        const nnt_column *a = &src->columns[c];
        nnt_column *b = &dst->columns[c];
        b->categorical = a->categorical;
        b->fill = a->fill;
        if (!(b->name = nnt__strdup(a->name ? a->name : ""))) goto nomem;
        if (a->n_categories) {
            if (!(b->categories = nnt__calloc(a->n_categories, sizeof(char *)))) goto nomem;
            b->n_categories = a->n_categories;
            for (size_t k = 0; k < a->n_categories; k++)
                if (!(b->categories[k] = nnt__strdup(a->categories[k] ? a->categories[k] : "")))
                    goto nomem;
        }
    }
    return NNT_OK;
nomem:
    nnt_schema_free(dst);
    return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for an input schema");
}
