/* Feature scaling x' = (x - shift) * mul, fitted on training rows only so
 * that validation rows never leak into the statistics. */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/dataset_internal.h"

static int scaler_alloc(nnt_scaler *s, nnt_scaling kind, size_t features, nnt_error *err)
{
    s->kind = kind;
    s->features = features;
    s->shift = nnt__malloc_array(features ? features : 1, sizeof(float));
    s->mul = nnt__malloc_array(features ? features : 1, sizeof(float));
    if (!s->shift || !s->mul) {
        nnt_scaler_free(s);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for a scaler of %zu features", features);
    }
    return NNT_OK;
}

int nnt_scaler_fit(const nnt_dataset *ds, const uint32_t *rows, size_t n_rows, nnt_scaling kind,
                   nnt_scaler *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "nnt_scaler_fit: out is NULL");
    memset(out, 0, sizeof *out);
    if (!ds) return nnt_fail(err, NNT_ERR_ARG, "nnt_scaler_fit: data set is NULL");
    if (!rows) n_rows = ds->rows;
    if (kind == NNT_SCALE_AUTO)
        kind = ds->kind == NNT_FEATURES_PIXELS ? NNT_SCALE_PIXELS : NNT_SCALE_STANDARD;
    if (kind != NNT_SCALE_NONE && kind != NNT_SCALE_STANDARD && kind != NNT_SCALE_PIXELS)
        return nnt_fail(err, NNT_ERR_ARG, "unknown scaling kind %d", (int)kind);
    if (kind == NNT_SCALE_STANDARD && n_rows == 0)
        return nnt_fail(err, NNT_ERR_ARG, "cannot fit a standard scaler on zero rows");
    if (rows)
        for (size_t i = 0; i < n_rows; i++)
            if (rows[i] >= ds->rows)
                return nnt_fail(err, NNT_ERR_ARG, "scaler row index %u is out of range (%zu rows)",
                                (unsigned)rows[i], ds->rows);
    size_t F = ds->features;
    int rc = scaler_alloc(out, kind, F, err);
    if (rc < 0) return rc;
    if (kind != NNT_SCALE_STANDARD) {
        for (size_t j = 0; j < F; j++) {
            out->shift[j] = 0.0f;
            out->mul[j] = kind == NNT_SCALE_PIXELS ? 1.0f / 255.0f : 1.0f;
        }
        return NNT_OK;
    }

    /* Two passes in double (mean, then squared deviations) so large offsets
     * do not swamp the variance; min/max spot exactly constant columns. */
    double *mean = nnt__calloc(F ? F : 1, sizeof(double));
    double *m2 = nnt__calloc(F ? F : 1, sizeof(double));
    float *lo = nnt__malloc_array(F ? F : 1, sizeof(float));
    float *hi = nnt__malloc_array(F ? F : 1, sizeof(float));
    if (!mean || !m2 || !lo || !hi) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "out of memory fitting a scaler");
        nnt_scaler_free(out);
        goto done;
    }
    const float *x0 = ds->x + (size_t)(rows ? rows[0] : 0) * F;
    for (size_t j = 0; j < F; j++) lo[j] = hi[j] = x0[j];
    for (size_t i = 0; i < n_rows; i++) {
        const float *x = ds->x + (size_t)(rows ? rows[i] : i) * F;
        for (size_t j = 0; j < F; j++) {
            mean[j] += x[j];
            if (x[j] < lo[j]) lo[j] = x[j];
            if (x[j] > hi[j]) hi[j] = x[j];
        }
    }
    for (size_t j = 0; j < F; j++) mean[j] /= (double)n_rows;
    for (size_t i = 0; i < n_rows; i++) {
        const float *x = ds->x + (size_t)(rows ? rows[i] : i) * F;
        for (size_t j = 0; j < F; j++) {
            double d = x[j] - mean[j];
            m2[j] += d * d;
        }
    }
    for (size_t j = 0; j < F; j++) {
        double sd = sqrt(m2[j] / (double)n_rows);
        out->shift[j] = (float)mean[j];
        out->mul[j] = (lo[j] == hi[j] || !(sd > 0.0) || !isfinite(1.0 / sd)) ? 1.0f : (float)(1.0 / sd);
    }
    rc = NNT_OK;
done:
    nnt__free(mean);
    nnt__free(m2);
    nnt__free(lo);
    nnt__free(hi);
    return rc;
}

void nnt_scaler_apply_row(const nnt_scaler *s, const float *src, float *dst)
{
    for (size_t j = 0; j < s->features; j++) dst[j] = (src[j] - s->shift[j]) * s->mul[j];
}

int nnt_scaler_copy(const nnt_scaler *src, nnt_scaler *dst, nnt_error *err)
{
    if (!src || !dst) return nnt_fail(err, NNT_ERR_ARG, "nnt_scaler_copy: NULL argument");
    memset(dst, 0, sizeof *dst);
    int rc = scaler_alloc(dst, src->kind, src->features, err);
    if (rc < 0) return rc;
    if (src->features) {
        memcpy(dst->shift, src->shift, src->features * sizeof(float));
        memcpy(dst->mul, src->mul, src->features * sizeof(float));
    }
    dst->target_shift = src->target_shift;
    dst->target_mul = src->target_mul;
    return NNT_OK;
}

int nnt_scaler_fit_target(const nnt_dataset *ds, const uint32_t *rows, size_t n_rows,
                          nnt_scaler *s, nnt_error *err)
{
    if (!ds || !s) return nnt_fail(err, NNT_ERR_ARG, "nnt_scaler_fit_target: NULL argument");
    const float *t = nnt_dataset_targets(ds);
    if (!t) return nnt_fail(err, NNT_ERR_ARG, "target scaling: the data set has no numeric target");
    if (!rows) n_rows = ds->rows;
    if (n_rows == 0) return nnt_fail(err, NNT_ERR_ARG, "target scaling: no rows");
    /* Welford in double: targets can be large (prices, counts) and many. */
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < n_rows; i++) {
        double v = t[rows ? rows[i] : i], d = v - mean;
        mean += d / (double)(i + 1);
        m2 += d * (v - mean);
    }
    double sd = sqrt(m2 / (double)n_rows);
    s->target_shift = (float)mean;
    s->target_mul = sd > 0 && isfinite(1.0 / sd) ? (float)(1.0 / sd) : 1.0f;
    return NNT_OK;
}

void nnt_scaler_free(nnt_scaler *s)
{
    if (!s) return;
    nnt__free(s->shift);
    nnt__free(s->mul);
    memset(s, 0, sizeof *s);
}
