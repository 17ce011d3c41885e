/* Optimiser kernels and their state. The kernels run once per batch over every
 * parameter, so each is a single fused, vectorised pass. */
#include "nn/optim.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nn/model_internal.h"

/* ---- Kernels ------------------------------------------------------------- */
/* Plain loops that GCC vectorises (this file is built with -O3 -fno-math-errno,
 * see CMakeLists.txt); target_clones adds an AVX2+FMA version picked at load
 * time, so one binary runs everywhere and uses 8-wide vectors where it can.
 *
 * Optimiser state that only ever decays (a weight whose gradient is always 0:
 * border pixels, dead relus) would sink into subnormal floats, which cost ~100
 * cycles each on x86; FLUSH sends anything below 1e-30 to exactly 0 instead.
 * The effect on any update is below 1e-22 relative.
 *
 * Under ThreadSanitizer (make test-tsan) the kernels are plain functions:
 * target_clones dispatches through an ifunc resolver that the dynamic loader
 * runs at relocation time, before the TSan runtime has started, and the
 * instrumented resolver then crashes the program at load.
 *
 * The cloned kernels are static: GCC 12 exports the ifunc of a cloned global
 * function from the shared library whatever its visibility, and the library
 * exports only the public API (tests/check_symbols.sh). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(NNT_NO_CLONES) && !defined(__SANITIZE_THREAD__)
#define NNT_CLONES __attribute__((target_clones("fma", "default")))
#else
#define NNT_CLONES
#endif
#define FLUSH(x) (fabsf(x) < 1e-30f ? 0.0f : (x))
/* The same for a value known to be >= 0 (or NaN): one compare less. */
#define FLUSH_NONNEG(x) ((x) < 1e-30f ? 0.0f : (x))

NNT_CLONES
static void sgd_kernel(size_t n, float *restrict w, const float *restrict g, float lr, float wd)
{
    for (size_t i = 0; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

NNT_CLONES
static void momentum_kernel(size_t n, float *restrict w, const float *restrict g,
                            float *restrict v, float lr, float mu, float wd, int nesterov)
{
    if (nesterov) {
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * w[i];
            float vi = FLUSH(mu * v[i] + gi);
            v[i] = vi;
            w[i] -= lr * (gi + mu * vi);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            float vi = FLUSH(mu * v[i] + (g[i] + wd * w[i]));
            v[i] = vi;
            w[i] -= lr * vi;
        }
    }
}

/* Adam without weight decay (wd = dwd = 0: every bias range, and every range
 * unless decay is asked for): the same arithmetic minus the two decay terms,
 * so the same bits. The loop is bound by the divider (sqrt + divide, ~8 cycles
 * per 8 floats on Zen 3) and its 7 memory streams, so every operation less
 * shows: with this loop and FLUSH_NONNEG the Adam phase of bench_train at
 * batch 32 (235k parameters) fell from 0.18 to 0.145 ms (medians). */
NNT_CLONES
static void adam_no_decay(size_t n, float *restrict w, const float *restrict g, float *restrict m,
                          float *restrict s, float step, float b1, float b2, float bc2, float eps)
{
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = FLUSH(b1 * m[i] + c1 * gi);
        float si = FLUSH_NONNEG(b2 * s[i] + c2 * (gi * gi));
        m[i] = mi;
        s[i] = si;
        w[i] -= step * mi / (sqrtf(si * bc2) + eps);
    }
}

NNT_CLONES
static void adam_kernel(size_t n, float *restrict w, const float *restrict g, float *restrict m,
                        float *restrict s, float step, float b1, float b2, float bc2, float eps,
                        float wd, float dwd)
{
    if (wd == 0.0f && dwd == 0.0f) {
        adam_no_decay(n, w, g, m, s, step, b1, b2, bc2, eps);
        return;
    }
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    for (size_t i = 0; i < n; i++) {
        float wi = w[i];
        float gi = g[i] + wd * wi;
        float mi = FLUSH(b1 * m[i] + c1 * gi);
        float si = FLUSH_NONNEG(b2 * s[i] + c2 * (gi * gi));
        m[i] = mi;
        s[i] = si;
        w[i] = wi - (step * mi / (sqrtf(si * bc2) + eps) + dwd * wi);
    }
}

void nnt__adam_kernel(size_t n, float *w, const float *g, float *m, float *s, float step,
                      float b1, float b2, float bc2, float eps, float wd, float dwd)
{
    adam_kernel(n, w, g, m, s, step, b1, b2, bc2, eps, wd, dwd);
}

/* ---- State --------------------------------------------------------------- */

int nnt__optim_model_ranges(const nnt_model *m, nnt_param_range *ranges)
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

int nnt__optim_init(nnt_optim *o, const nnt_train_options *topt, size_t n,
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
        o->state = nnt__calloc(sn, sizeof(float));
        if (!o->state)
            return nnt_fail(err, NNT_ERR_NOMEM, "optimiser state: out of memory (%zu floats)", sn);
    }
    return NNT_OK;
}

void nnt__optim_reset(nnt_optim *o)
{
    size_t sn = state_floats(o->kind, o->n);
    if (o->state && sn) memset(o->state, 0, sn * sizeof(float));
    o->t = 0;
}

void nnt__optim_begin(nnt_optim *o, double lr)
{
    o->t++;
    o->lr = lr;
    if (o->kind == NNT_OPT_ADAM || o->kind == NNT_OPT_ADAMW) {
        /* Bias corrections in double: 1 - beta^t loses digits in float for
         * beta2 = 0.999 at small t. */
        double t = (double)o->t;
        o->adam_step = (float)(lr / (1.0 - pow(o->beta1, t)));
        o->adam_bc2 = (float)(1.0 / (1.0 - pow(o->beta2, t)));
    }
}

void nnt__optim_update(nnt_optim *o, float *w, const float *g, int first, int count)
{
    const double lr = o->lr;
    const float flr = (float)lr;
    const float wd = (float)o->weight_decay;
    for (int r = first; r < first + count && r < o->n_ranges; r++) {
        const nnt_param_range *pr = &o->ranges[r];
        switch (o->kind) {
        case NNT_OPT_SGD:
            sgd_kernel(pr->len, w + pr->off, g + pr->off, flr, pr->decay ? wd : 0.0f);
            break;
        case NNT_OPT_MOMENTUM:
        case NNT_OPT_NESTEROV:
            momentum_kernel(pr->len, w + pr->off, g + pr->off, o->state + pr->off, flr,
                            (float)o->momentum, pr->decay ? wd : 0.0f, o->kind == NNT_OPT_NESTEROV);
            break;
        case NNT_OPT_ADAM:
        case NNT_OPT_ADAMW: {
            int decoupled = o->kind == NNT_OPT_ADAMW;
            float l2 = (!decoupled && pr->decay) ? wd : 0.0f;
            float dwd = (decoupled && pr->decay) ? (float)(lr * o->weight_decay) : 0.0f;
            adam_kernel(pr->len, w + pr->off, g + pr->off, o->state + pr->off,
                        o->state + o->n + pr->off, o->adam_step, (float)o->beta1, (float)o->beta2,
                        o->adam_bc2, (float)o->eps, l2, dwd);
            break;
        }
        }
    }
}

void nnt__optim_step(nnt_optim *o, float *w, const float *g, double lr)
{
    nnt__optim_begin(o, lr);
    nnt__optim_update(o, w, g, 0, o->n_ranges);
}

void nnt__optim_free(nnt_optim *o)
{
    if (!o) return;
    nnt__free(o->state);
    memset(o, 0, sizeof *o);
}
