/* Row index splits: hold-out, k-fold and all-rows. A split never copies data;
 * both index sets come out in ascending row order (the trainer shuffles). */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/dataset_internal.h"
#include "nntune/rng.h"

static uint32_t *shuffled_rows(size_t n, uint64_t seed)
{
    uint32_t *perm = nnt__malloc_array(n, sizeof(uint32_t));
    if (!perm) return NULL;
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    nnt_rng rng;
    nnt_rng_seed(&rng, seed);
    nnt_rng_shuffle_u32(&rng, perm, n);
    return perm;
}

/* Builds out from a per-row flag (1 = validation), both sets ascending. */
static int split_from_marks(const unsigned char *valid, size_t n, size_t n_valid, nnt_split *out,
                            nnt_error *err)
{
    out->n_valid = n_valid;
    out->n_train = n - n_valid;
    out->train = nnt__malloc_array(out->n_train ? out->n_train : 1, sizeof(uint32_t));
    out->valid = nnt__malloc_array(out->n_valid ? out->n_valid : 1, sizeof(uint32_t));
    if (!out->train || !out->valid) {
        nnt_split_free(out);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for a split of %zu rows", n);
    }
    size_t t = 0, v = 0;
    for (size_t i = 0; i < n; i++) {
        if (valid[i]) out->valid[v++] = (uint32_t)i;
        else out->train[t++] = (uint32_t)i;
    }
    return NNT_OK;
}

static int check_common(const nnt_dataset *ds, nnt_split *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "split: out is NULL");
    memset(out, 0, sizeof *out);
    if (!ds) return nnt_fail(err, NNT_ERR_ARG, "split: data set is NULL");
    return NNT_OK;
}

static size_t round_count(double f, size_t n) { return (size_t)floor(f * (double)n + 0.5); }

int nnt_split_holdout(const nnt_dataset *ds, double valid_fraction, uint64_t seed, int stratify,
                      nnt_split *out, nnt_error *err)
{
    int rc = check_common(ds, out, err);
    if (rc < 0) return rc;
    if (!(valid_fraction > 0.0 && valid_fraction < 1.0))
        return nnt_fail(err, NNT_ERR_ARG, "validation fraction %g must be strictly between 0 and 1",
                        valid_fraction);
    size_t n = ds->rows;
    if (n < 2)
        return nnt_fail(err, NNT_ERR_ARG, "cannot hold out validation rows from %zu row%s: need at "
                        "least 2", n, n == 1 ? "" : "s");
    uint32_t *perm = shuffled_rows(n, seed);
    unsigned char *mark = nnt__calloc(n, 1);
    size_t *quota = NULL;
    int K = ds->n_classes;
    int strat = stratify && ds->labels && K > 0;
    if (strat) quota = nnt__calloc((size_t)K, sizeof(size_t));
    if (!perm || !mark || (strat && !quota)) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "out of memory for a split of %zu rows", n);
        goto done;
    }
    size_t n_valid = 0;
    if (strat) {
        /* Each class gives round(fraction * count) rows; then nudge so that
         * neither side ends up empty. */
        size_t *count = quota; /* counts first, turned into quotas below */
        for (size_t i = 0; i < n; i++) count[ds->labels[i]]++;
        int biggest = 0;
        for (int c = 0; c < K; c++) {
            if (count[c] > count[biggest]) biggest = c;
            quota[c] = round_count(valid_fraction, count[c]);
            n_valid += quota[c];
        }
        if (n_valid == 0) {
            quota[biggest]++;
            n_valid++;
        } else if (n_valid == n) {
            int most = 0;
            for (int c = 0; c < K; c++)
                if (quota[c] > quota[most]) most = c;
            quota[most]--;
            n_valid--;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t r = perm[i];
            int c = ds->labels[r];
            if (quota[c] > 0) {
                quota[c]--;
                mark[r] = 1;
            }
        }
    } else {
        n_valid = round_count(valid_fraction, n);
        if (n_valid < 1) n_valid = 1;
        if (n_valid > n - 1) n_valid = n - 1;
        for (size_t i = 0; i < n_valid; i++) mark[perm[i]] = 1;
    }
    rc = split_from_marks(mark, n, n_valid, out, err);
done:
    nnt__free(perm);
    nnt__free(mark);
    nnt__free(quota);
    return rc;
}

int nnt_split_kfold(const nnt_dataset *ds, int k, int fold, uint64_t seed, int stratify,
                    nnt_split *out, nnt_error *err)
{
    int rc = check_common(ds, out, err);
    if (rc < 0) return rc;
    if (k < 2) return nnt_fail(err, NNT_ERR_ARG, "k-fold needs k >= 2 (got %d)", k);
    if (fold < 0 || fold >= k)
        return nnt_fail(err, NNT_ERR_ARG, "fold %d is out of range for k = %d (0 .. %d)", fold, k, k - 1);
    size_t n = ds->rows;
    if (n < (size_t)k)
        return nnt_fail(err, NNT_ERR_ARG, "cannot make %d folds from %zu rows: need at least one "
                        "row per fold", k, n);
    uint32_t *perm = shuffled_rows(n, seed);
    uint32_t *order = NULL;
    size_t *start = NULL;
    unsigned char *mark = nnt__calloc(n, 1);
    int K = ds->n_classes;
    int strat = stratify && ds->labels && K > 0;
    if (strat) {
        order = nnt__malloc_array(n, sizeof(uint32_t));
        start = nnt__calloc((size_t)K + 1, sizeof(size_t));
    }
    if (!perm || !mark || (strat && (!order || !start))) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "out of memory for a split of %zu rows", n);
        goto done;
    }
    if (strat) {
        /* Group the shuffled rows by class (stable), then deal them round-robin
         * with one running counter so fold sizes differ by at most one. */
        for (size_t i = 0; i < n; i++) start[ds->labels[i] + 1]++;
        for (int c = 0; c < K; c++) start[c + 1] += start[c];
        for (size_t i = 0; i < n; i++) order[start[ds->labels[perm[i]]]++] = perm[i];
        nnt__free(perm);
        perm = order;
        order = NULL;
    }
    size_t n_valid = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)(i % (size_t)k) == fold) {
            mark[perm[i]] = 1;
            n_valid++;
        }
    rc = split_from_marks(mark, n, n_valid, out, err);
done:
    nnt__free(perm);
    nnt__free(order);
    nnt__free(start);
    nnt__free(mark);
    return rc;
}

int nnt_split_all(const nnt_dataset *ds, nnt_split *out, nnt_error *err)
{
    int rc = check_common(ds, out, err);
    if (rc < 0) return rc;
    if (ds->rows == 0) return nnt_fail(err, NNT_ERR_ARG, "data set has no rows");
    out->train = nnt__malloc_array(ds->rows, sizeof(uint32_t));
    if (!out->train) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for %zu row indices", ds->rows);
    for (size_t i = 0; i < ds->rows; i++) out->train[i] = (uint32_t)i;
    out->n_train = ds->rows;
    return NNT_OK;
}

void nnt_split_free(nnt_split *s)
{
    if (!s) return;
    nnt__free(s->train);
    nnt__free(s->valid);
    memset(s, 0, sizeof *s);
}
