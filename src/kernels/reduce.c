/* -O2 in GCC 12 only vectorises loops whose trip count needs no epilogue;
 * these elementwise passes are the non-GEMM part of every training step, so
 * let them vectorise with the dynamic cost model (clang does at -O2). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif
#include "kernels/reduce.h"

#include <string.h>

void nnt__k_colsum(const float *restrict x, size_t n, size_t d, float *restrict out)
{
    /* Row-outer order streams x once and vectorises over j. */
    for (size_t j = 0; j < d; j++) out[j] = 0.0f;
    for (size_t i = 0; i < n; i++) {
        const float *restrict r = x + i * d;
        for (size_t j = 0; j < d; j++) out[j] += r[j];
    }
}

void nnt__k_dropout_apply(float *restrict x, float *restrict mask, size_t count, uint32_t thresh,
                          float scale)
{
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, mask + i, sizeof u);
        float k = u < thresh ? 0.0f : scale; /* P(0) = thresh / 2^32 = p */
        mask[i] = k;
        x[i] *= k;
    }
}
