/* Optimiser kernels and their state. The kernels run once per batch over every
 * parameter, so each is a single fused pass written on 4-float vectors (GCC/Clang
 * vector extensions) with a scalar tail; -O2's cheap vectoriser would leave the
 * plain loops scalar, and sqrtf's errno check keeps Adam's loop scalar anyway. */
#include "nn/optim.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nn/model_internal.h"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define NNT_HAVE_SSE 1
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define NNT_HAVE_NEON 1
#endif

/* ---- 4-float vectors ----------------------------------------------------- */

typedef float v4f __attribute__((vector_size(16)));

static inline v4f ld4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v); /* unaligned load */
    return v;
}

static inline void st4(float *p, v4f v) { memcpy(p, &v, sizeof v); }

static inline v4f sqrt4(v4f x)
{
#if defined(NNT_HAVE_SSE)
    return (v4f)_mm_sqrt_ps((__m128)x);
#elif defined(NNT_HAVE_NEON)
    return (v4f)vsqrtq_f32((float32x4_t)x);
#else
    v4f r;
    for (int i = 0; i < 4; i++) r[i] = sqrtf(x[i]);
    return r;
#endif
}

/* ---- Kernels ------------------------------------------------------------- */

void nnt_sgd_kernel(size_t n, float *restrict w, const float *restrict g, float lr, float wd)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f wi = ld4(w + i);
        st4(w + i, wi - lr * (ld4(g + i) + wd * wi));
    }
    for (; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

void nnt_momentum_kernel(size_t n, float *restrict w, const float *restrict g,
                         float *restrict v, float lr, float mu, float wd, int nesterov)
{
    size_t i = 0;
    if (nesterov) {
        for (; i + 4 <= n; i += 4) {
            v4f wi = ld4(w + i);
            v4f gi = ld4(g + i) + wd * wi;
            v4f vi = mu * ld4(v + i) + gi;
            st4(v + i, vi);
            st4(w + i, wi - lr * (gi + mu * vi));
        }
        for (; i < n; i++) {
            float gi = g[i] + wd * w[i];
            float vi = mu * v[i] + gi;
            v[i] = vi;
            w[i] -= lr * (gi + mu * vi);
        }
    } else {
        for (; i + 4 <= n; i += 4) {
            v4f wi = ld4(w + i);
            v4f vi = mu * ld4(v + i) + (ld4(g + i) + wd * wi);
            st4(v + i, vi);
            st4(w + i, wi - lr * vi);
        }
        for (; i < n; i++) {
            float vi = mu * v[i] + (g[i] + wd * w[i]);
            v[i] = vi;
            w[i] -= lr * vi;
        }
    }
}

void nnt_adam_kernel(size_t n, float *restrict w, const float *restrict g, float *restrict m,
                     float *restrict s, float step, float b1, float b2, float bc2, float eps,
                     float wd, float dwd)
{
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f wi = ld4(w + i);
        v4f gi = ld4(g + i) + wd * wi;
        v4f mi = b1 * ld4(m + i) + c1 * gi;
        v4f si = b2 * ld4(s + i) + c2 * (gi * gi);
        st4(m + i, mi);
        st4(s + i, si);
        st4(w + i, wi - (step * mi / (sqrt4(si * bc2) + eps) + dwd * wi));
    }
    for (; i < n; i++) {
        float wi = w[i];
        float gi = g[i] + wd * wi;
        float mi = b1 * m[i] + c1 * gi;
        float si = b2 * s[i] + c2 * (gi * gi);
        m[i] = mi;
        s[i] = si;
        w[i] = wi - (step * mi / (sqrtf(si * bc2) + eps) + dwd * wi);
    }
}

/* ---- State --------------------------------------------------------------- */

int nnt_optim_model_ranges(const nnt_model *m, nnt_param_range *ranges)
{
    int k = 0;
    for (int l = 0; l < m->n_layers; l++) {
        size_t out = (size_t)m->sizes[l + 1], in = (size_t)m->sizes[l];
        ranges[k++] = (nnt_param_range){m->w_off[l], out * in, 1};
        ranges[k++] = (nnt_param_range){m->b_off[l], out, 0};
    }
    return k;
}

static size_t state_floats(nnt_optimizer kind, size_t n)
{
    switch (kind) {
    case NNT_OPT_MOMENTUM:
    case NNT_OPT_NESTEROV: return n;
    case NNT_OPT_ADAM:
    case NNT_OPT_ADAMW: return 2 * n;
    case NNT_OPT_SGD: break;
    }
    return 0;
}

int nnt_optim_init(nnt_optim *o, const nnt_train_options *topt, size_t n,
                   const nnt_param_range *ranges, int n_ranges, nnt_error *err)
{
    memset(o, 0, sizeof *o);
    if (n_ranges < 0 || n_ranges > NNT_OPTIM_MAX_RANGES)
        return nnt_fail(err, NNT_ERR_INTERNAL, "optimiser: %d parameter ranges (at most %d)",
                        n_ranges, NNT_OPTIM_MAX_RANGES);
    o->kind = topt->optimizer;
    o->momentum = topt->momentum;
    o->beta1 = topt->beta1;
    o->beta2 = topt->beta2;
    o->eps = topt->eps;
    o->weight_decay = topt->weight_decay;
    o->n = n;
    o->n_ranges = n_ranges;
    for (int i = 0; i < n_ranges; i++) {
        if (ranges[i].off > n || ranges[i].len > n - ranges[i].off)
            return nnt_fail(err, NNT_ERR_INTERNAL,
                            "optimiser: range %d [%zu, +%zu) outside %zu parameters", i,
                            ranges[i].off, ranges[i].len, n);
        o->ranges[i] = ranges[i];
    }
    size_t sn = state_floats(o->kind, n);
    if (sn) {
        o->state = nnt_calloc(sn, sizeof(float));
        if (!o->state)
            return nnt_fail(err, NNT_ERR_NOMEM, "optimiser state: out of memory (%zu floats)", sn);
    }
    return NNT_OK;
}

void nnt_optim_reset(nnt_optim *o)
{
    size_t sn = state_floats(o->kind, o->n);
    if (o->state && sn) memset(o->state, 0, sn * sizeof(float));
    o->t = 0;
}

void nnt_optim_step(nnt_optim *o, float *w, const float *g, double lr)
{
    o->t++;
    const float flr = (float)lr;
    const float wd = (float)o->weight_decay;
    switch (o->kind) {
    case NNT_OPT_SGD:
        for (int r = 0; r < o->n_ranges; r++) {
            const nnt_param_range *pr = &o->ranges[r];
            nnt_sgd_kernel(pr->len, w + pr->off, g + pr->off, flr, pr->decay ? wd : 0.0f);
        }
        break;
    case NNT_OPT_MOMENTUM:
    case NNT_OPT_NESTEROV:
        for (int r = 0; r < o->n_ranges; r++) {
            const nnt_param_range *pr = &o->ranges[r];
            nnt_momentum_kernel(pr->len, w + pr->off, g + pr->off, o->state + pr->off, flr,
                                (float)o->momentum, pr->decay ? wd : 0.0f,
                                o->kind == NNT_OPT_NESTEROV);
        }
        break;
    case NNT_OPT_ADAM:
    case NNT_OPT_ADAMW: {
        /* Bias corrections in double: 1 - beta^t loses digits in float for
         * beta2 = 0.999 at small t. */
        double t = (double)o->t;
        float step = (float)(lr / (1.0 - pow(o->beta1, t)));
        float bc2 = (float)(1.0 / (1.0 - pow(o->beta2, t)));
        int decoupled = o->kind == NNT_OPT_ADAMW;
        for (int r = 0; r < o->n_ranges; r++) {
            const nnt_param_range *pr = &o->ranges[r];
            float l2 = (!decoupled && pr->decay) ? wd : 0.0f;
            float dwd = (decoupled && pr->decay) ? (float)(lr * o->weight_decay) : 0.0f;
            nnt_adam_kernel(pr->len, w + pr->off, g + pr->off, o->state + pr->off,
                            o->state + o->n + pr->off, step, (float)o->beta1, (float)o->beta2,
                            bc2, (float)o->eps, l2, dwd);
        }
        break;
    }
    }
}

void nnt_optim_free(nnt_optim *o)
{
    if (!o) return;
    nnt_free(o->state);
    memset(o, 0, sizeof *o);
}
