/* -O2 in GCC 12 only vectorises loops whose trip count needs no epilogue;
 * these elementwise passes are the non-GEMM part of every training step, so
 * let them vectorise with the dynamic cost model (clang does at -O2). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif
#include "kernels/loss.h"

#include <math.h>

/* ---- Softmax cross-entropy ------------------------------------------------- */

/* logsumexp(z) - z[label] = (m - z[label]) + log(sum exp(z - m)), m = max z. */
static double softmax_ce_row(const float *z, int32_t label, size_t k)
{
    float m = z[0];
    for (size_t j = 1; j < k; j++) m = z[j] > m ? z[j] : m;
    double s = 0.0;
    for (size_t j = 0; j < k; j++) s += exp((double)z[j] - (double)m);
    return ((double)m - (double)z[label]) + log(s);
}

double nnt__k_softmax_ce(const float *z, const int32_t *labels, size_t n, size_t k)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += softmax_ce_row(z + i * k, labels[i], k);
    return sum;
}

double nnt__k_softmax_ce_grad(const float *z, const float *restrict p, const int32_t *labels,
                              float scale, float *restrict delta, size_t n, size_t k)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        /* dL/dz = p - onehot(label) */
        const float *restrict pr = p + i * k;
        float *restrict dr = delta + i * k;
        sum += softmax_ce_row(z + i * k, labels[i], k);
        for (size_t j = 0; j < k; j++) dr[j] = scale * pr[j];
        dr[labels[i]] -= scale;
    }
    return sum;
}

/* ---- Binary cross-entropy on logits ---------------------------------------- */

/* log(1 + exp(-|z|)) + max(z, 0) - z t: never exponentiates a positive number. */
static inline double bce_elem(float z, float t)
{
    double zd = z;
    return log1p(exp(-fabs(zd))) + (zd > 0.0 ? zd : 0.0) - zd * (double)t;
}

double nnt__k_bce_logits(const float *z, const float *t, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) sum += bce_elem(z[i], t[i]);
    return sum;
}

double nnt__k_bce_logits_grad(const float *z, const float *restrict p, const float *restrict t,
                              float scale, float *restrict delta, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        sum += bce_elem(z[i], t[i]);
        delta[i] = scale * (p[i] - t[i]); /* dL/dz = p - t */
    }
    return sum;
}

double nnt__k_bce_logits_labels(const float *z, const int32_t *labels, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) sum += bce_elem(z[i], (float)labels[i]);
    return sum;
}

double nnt__k_bce_logits_labels_grad(const float *z, const float *restrict p,
                                     const int32_t *labels, float scale, float *restrict delta,
                                     size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        float t = (float)labels[i];
        sum += bce_elem(z[i], t);
        delta[i] = scale * (p[i] - t);
    }
    return sum;
}

/* ---- Squared error --------------------------------------------------------- */

double nnt__k_sq_err(const float *y, const float *t, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double e = (double)y[i] - (double)t[i];
        sum += e * e;
    }
    return 0.5 * sum;
}

double nnt__k_sq_err_grad(const float *restrict y, const float *restrict t, float scale,
                          float *restrict delta, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double e = (double)y[i] - (double)t[i];
        sum += e * e;
        delta[i] = scale * (y[i] - t[i]);
    }
    return 0.5 * sum;
}
