/* -O2 in GCC 12 only vectorises loops whose trip count needs no epilogue;
 * these elementwise passes are the non-GEMM part of every training step, so
 * let them vectorise with the dynamic cost model (clang does at -O2). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif
#include "kernels/activations.h"

#include <math.h>
#include <string.h>

static void nnt_k_sigmoid(const float *z, float *p, size_t count);

/* Each activation gets its own simple inner loop over a row so the compiler
 * can vectorise relu, leaky relu, identity and the polynomial derivatives;
 * the switch sits outside the loops. */

/* ---- Forward: y = f(y + b) ------------------------------------------------ */

void nnt__k_bias_act(nnt_activation a, float param, float *restrict y, const float *restrict b,
                     size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        float *restrict r = y + i * d;
        switch (a) {
        case NNT_ACT_RELU: /* f(x) = max(0, x) */
            for (size_t j = 0; j < d; j++) {
                float x = r[j] + b[j];
                r[j] = x > 0.0f ? x : 0.0f;
            }
            break;
        case NNT_ACT_LEAKY_RELU: /* f(x) = x > 0 ? x : slope*x */
            for (size_t j = 0; j < d; j++) {
                float x = r[j] + b[j];
                r[j] = x > 0.0f ? x : param * x;
            }
            break;
        case NNT_ACT_ELU: /* f(x) = x > 0 ? x : alpha*(exp(x)-1) */
            for (size_t j = 0; j < d; j++) {
                float x = r[j] + b[j];
                r[j] = x > 0.0f ? x : param * expm1f(x);
            }
            break;
        case NNT_ACT_TANH: /* f(x) = tanh(x) */
            for (size_t j = 0; j < d; j++) r[j] = tanhf(r[j] + b[j]);
            break;
        case NNT_ACT_SIGMOID: /* f(x) = 1/(1+exp(-x)) */
            for (size_t j = 0; j < d; j++) r[j] += b[j];
            nnt_k_sigmoid(r, r, d);
            break;
        case NNT_ACT_IDENTITY: /* f(x) = x */
        case NNT_ACT_SOFTMAX:  /* not a hidden activation; treated as identity */
        default:
            for (size_t j = 0; j < d; j++) r[j] += b[j];
            break;
        }
    }
}

/* ---- Backward: delta *= mask * f'(keep*y), db += colsum(delta) ------------ */

/* One row; mask NULL means all ones. Written per activation so each loop is
 * a plain select or polynomial that vectorises: every operand is loaded and
 * computed unconditionally, then selected (a conditional load or FP add
 * would keep GCC from if-converting the loop). */
static void act_backward_row(nnt_activation a, float param, float keep,
                             const float *restrict y, const float *restrict mask,
                             float *restrict delta, size_t d)
{
    if (mask) {
        switch (a) {
        case NNT_ACT_RELU: /* sign(keep*y) = sign(y) */
            for (size_t j = 0; j < d; j++) {
                float m = mask[j];
                delta[j] *= y[j] > 0.0f ? m : 0.0f;
            }
            return;
        case NNT_ACT_LEAKY_RELU:
            for (size_t j = 0; j < d; j++) {
                float m = mask[j], ms = m * param;
                delta[j] *= y[j] > 0.0f ? m : ms;
            }
            return;
        case NNT_ACT_ELU:
            for (size_t j = 0; j < d; j++) {
                float h = keep * y[j], m = mask[j], neg = m * (h + param);
                delta[j] *= h > 0.0f ? m : neg;
            }
            return;
        case NNT_ACT_TANH:
            for (size_t j = 0; j < d; j++) {
                float h = keep * y[j];
                delta[j] *= mask[j] * (1.0f - h * h);
            }
            return;
        case NNT_ACT_SIGMOID:
            for (size_t j = 0; j < d; j++) {
                float h = keep * y[j];
                delta[j] *= mask[j] * (h * (1.0f - h));
            }
            return;
        default:
            for (size_t j = 0; j < d; j++) delta[j] *= mask[j];
            return;
        }
    }
    switch (a) {
    case NNT_ACT_RELU: /* f'(y) = y > 0 */
        for (size_t j = 0; j < d; j++) {
            float g = delta[j];
            delta[j] = y[j] > 0.0f ? g : 0.0f;
        }
        return;
    case NNT_ACT_LEAKY_RELU: /* f'(y) = y > 0 ? 1 : slope */
        for (size_t j = 0; j < d; j++) {
            float g = y[j] > 0.0f ? 1.0f : param;
            delta[j] = delta[j] * g;
        }
        return;
    case NNT_ACT_ELU: /* f'(y) = y > 0 ? 1 : y + alpha */
        for (size_t j = 0; j < d; j++) {
            float v = y[j], neg = v + param;
            float g = v > 0.0f ? 1.0f : neg;
            delta[j] = delta[j] * g;
        }
        return;
    case NNT_ACT_TANH: /* f'(y) = 1 - y^2 */
        for (size_t j = 0; j < d; j++) delta[j] *= 1.0f - y[j] * y[j];
        return;
    case NNT_ACT_SIGMOID: /* f'(y) = y(1-y) */
        for (size_t j = 0; j < d; j++) delta[j] *= y[j] * (1.0f - y[j]);
        return;
    default: /* identity: f'(y) = 1 */
        return;
    }
}

void nnt__k_act_backward(nnt_activation a, float param, float keep, const float *restrict y,
                         const float *restrict mask, float *restrict delta, float *restrict db,
                         size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        float *restrict dr = delta + i * d;
        act_backward_row(a, param, keep, y + i * d, mask ? mask + i * d : NULL, dr, d);
        /* The row is still in cache: fold the bias gradient in here rather
         * than in a separate pass over delta. */
        if (db)
            for (size_t j = 0; j < d; j++) db[j] += dr[j];
    }
}

/* ---- Output layer ---------------------------------------------------------- */

/* p[i] = exp(z[i] - max z) / sum_j exp(z[j] - max z) for one row of k logits;
 * finite and summing to 1 for any finite z. */
static void nnt_k_softmax_row(const float *restrict z, float *restrict p, size_t k)
{
    /* p_j = exp(z_j - m) / sum exp(z_i - m), m = max z: no overflow, sum >= 1 */
    float m = z[0];
    for (size_t j = 1; j < k; j++) m = z[j] > m ? z[j] : m;
    double s = 0.0;
    for (size_t j = 0; j < k; j++) {
        p[j] = expf(z[j] - m);
        s += p[j];
    }
    float inv = (float)(1.0 / s);
    for (size_t j = 0; j < k; j++) p[j] *= inv;
}

/* p = 1 / (1 + exp(-z)) elementwise, without overflow for large |z|. */
static void nnt_k_sigmoid(const float *z, float *p, size_t count)
{
    /* z >= 0: 1/(1+e^-z); z < 0: e^z/(1+e^z), so exp never overflows */
    for (size_t i = 0; i < count; i++) {
        float x = z[i];
        float e = expf(-fabsf(x));
        p[i] = x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    }
}

void nnt__k_bias_output(nnt_activation out, float *restrict z, const float *restrict b,
                        float *restrict y, size_t n, size_t k)
{
    if (b)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k; j++) z[i * k + j] += b[j];
    switch (out) {
    case NNT_ACT_SOFTMAX:
        for (size_t i = 0; i < n; i++) nnt_k_softmax_row(z + i * k, y + i * k, k);
        break;
    case NNT_ACT_SIGMOID:
        nnt_k_sigmoid(z, y, n * k);
        break;
    default: /* identity */
        memcpy(y, z, n * k * sizeof *y);
        break;
    }
}
