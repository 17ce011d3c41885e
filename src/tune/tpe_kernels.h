/* The TPE sampler's shared pieces (sampler_tpe.c, sampler_tpe_joint.c): the
 * parameter domains as TPE models them, the ranked observations, and the
 * kernel arithmetic both the univariate and the multivariate Parzen
 * estimators use. The arithmetic is static inline on purpose: it runs in the
 * estimators' innermost loops (hundreds of thousands of kernel evaluations
 * per proposal), where a call across files would cost. Internal. */
#ifndef NNT_TUNE_TPE_KERNELS_H
#define NNT_TUNE_TPE_KERNELS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nntune/rng.h"
#include "tune/space_internal.h"

#define SQRT2PI 2.5066282746310002
#define SQRT1_2 0.70710678118654752
#define FORGET_FLAT 25    /* most recent observations at full weight */
#define FAR_Z 9.0         /* beyond 9 sigma a kernel's mass is < 1e-19 */
#define FAR_Z2 (FAR_Z * FAR_Z)
#define SCOTT_SIGMA0 0.2  /* multivariate bandwidth: 0.2 n^(-1/(d+4)) * range */

enum { DIM_CONT = 0, DIM_DISC, DIM_CAT, DIM_FIXED };

/* A parameter as TPE models it: numeric ones in transformed space t = log(v)
 * or v, on [lo, hi]; discrete ones (ints, steps) over the cells around their
 * grid points. */
typedef struct dim_info {
    int kind;
    int log;
    double low, high, st;
    long kmax;
    double lo, hi;
    int K;
} dim_info;

static inline double tf(const dim_info *d, double v) { return d->log ? log(v) : v; }

/* The parameter value whose cell holds t (discrete) or t itself mapped back. */
static inline double untf(const dim_info *d, double t)
{
    double v = d->log ? exp(t) : t;
    if (d->kind == DIM_DISC) {
        double k = floor((v - d->low) / d->st + 0.5);
        if (k < 0) k = 0;
        if (k > (double)d->kmax) k = (double)d->kmax;
        v = d->low + k * d->st;
    }
    if (v < d->low) v = d->low;
    if (v > d->high) v = d->high;
    return v;
}

/* The cell [a, b] of discrete value v in transformed space, inside [lo, hi]. */
static inline void cell(const dim_info *d, double v, double *a, double *b)
{
    double x0 = v - 0.5 * d->st, x1 = v + 0.5 * d->st;
    *a = d->log && x0 <= 0 ? d->lo : tf(d, x0);
    *b = tf(d, x1);
    if (*a < d->lo) *a = d->lo;
    if (*b > d->hi) *b = d->hi;
    if (*b < *a) *b = *a;
}

/* e^x for x in [-745, 0] to ~2e-7 relative: x log2(e) = n + f with
 * |f| <= 1/2, 2^f from its degree-6 Taylor series, 2^n from the exponent
 * bits. Kernel sums call exp hundreds of thousands of times per proposal;
 * libm's exactness buys nothing in a density ratio. */
static inline double fast_exp(double x)
{
    if (x < -700) return 0;
    double t = x * 1.4426950408889634;
    double n = (t + 6755399441055744.0) - 6755399441055744.0; /* round to nearest */
    double u = (t - n) * 0.6931471805599453;
    double p = 1 + u * (1 + u * (0.5 + u * (1.0 / 6 + u * (1.0 / 24 + u * (1.0 / 120 + u * (1.0 / 720))))));
    union {
        uint64_t i;
        double d;
    } b;
    b.i = (uint64_t)((int64_t)n + 1023) << 52;
    return p * b.d;
}

/* erfc(x) for x >= 0 to 1.5e-7 absolute (Abramowitz & Stegun 7.1.26, from
 * Hastings 1955). Every mass TPE computes is added to a sum that the prior
 * component keeps well above 1e-4, so absolute accuracy is what counts. */
static inline double fast_erfc(double x)
{
    double t = 1.0 / (1.0 + 0.3275911 * x);
    double p = t * (0.254829592 +
                    t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return p * fast_exp(-x * x);
}

/* Phi(zb) - Phi(za), za <= zb, from the tail on each side. */
static inline double ncdf_diff(double za, double zb)
{
    if (za >= 0) return 0.5 * (fast_erfc(za * SQRT1_2) - fast_erfc(zb * SQRT1_2));
    if (zb <= 0) return 0.5 * (fast_erfc(-zb * SQRT1_2) - fast_erfc(-za * SQRT1_2));
    return 1.0 - 0.5 * (fast_erfc(-za * SQRT1_2) + fast_erfc(zb * SQRT1_2));
}

/* A draw from N(mu, s) truncated to [lo, hi]. mu lies in [lo, hi] and
 * s <= hi - lo, so each try lands inside with probability > 0.34. */
static inline double draw_truncnorm(nnt_rng *r, double mu, double s, double lo, double hi)
{
    for (int t = 0; t < 64; t++) {
        double v = mu + s * nnt_rng_normal(r);
        if (v >= lo && v <= hi) return v;
    }
    return mu < lo ? lo : (mu > hi ? hi : mu);
}

typedef struct obs {
    const nnt_trial_view *v;
    int group;     /* 0 complete, 1 pruned, 2 running (constant liar) */
    double key1;   /* complete: value; pruned: -epochs */
    double key2;   /* pruned: value at its last epoch */
} obs;

static inline int obs_active(const obs *b, int i)
{
    return b->v->active[i] && !isnan(b->v->x[i]);
}

/* Hyperopt's linear forgetting: the FORGET_FLAT most recent observations
 * weigh 1, older ones ramp up from 1/m. */
static inline void forget_weights(int m, double *w)
{
    int ramp = m - FORGET_FLAT;
    double w0 = 1.0 / m, step = ramp > 1 ? (1.0 - w0) / (double)(ramp - 1) : 0;
    for (int k = 0; k < m; k++) w[k] = k >= ramp ? 1 : w0 + step * (double)k;
}

typedef struct sortpair {
    double mu, w;
} sortpair;

static inline double max2(double a, double b) { return a > b ? a : b; }

/* Mass of N(mu, 1/inv_s) inside [lo, hi]. */
static inline double trunc_mass(double mu, double inv_s, double lo, double hi)
{
    double za = (lo - mu) * inv_s, zb = (hi - mu) * inv_s;
    if (za < -FAR_Z && zb > FAR_Z) return 1;
    return ncdf_diff(za, zb);
}

/* Mass of a kernel on [a, b]. A cell narrower than the kernel's sigma uses
 * Simpson's rule (error < h^5/2400 for a width of h sigmas, well below 1e-3
 * of the cell's mass where that mass matters): three fast exps cost a
 * fraction of the two erfc evaluations. */
static inline double kernel_mass(double mu, double inv_s, double a, double b)
{
    double za = (a - mu) * inv_s, zb = (b - mu) * inv_s;
    if (za > FAR_Z || zb < -FAR_Z) return 0; /* < 1e-19: as in mixture_logpdf */
    if (za < -FAR_Z && zb > FAR_Z) return 1;
    double h = zb - za;
    if (h <= 1) {
        double zm = 0.5 * (za + zb);
        return h / (6 * SQRT2PI) *
               (fast_exp(-0.5 * za * za) + 4 * fast_exp(-0.5 * zm * zm) + fast_exp(-0.5 * zb * zb));
    }
    return ncdf_diff(za, zb);
}

static inline int draw_index(const double *p, int K, nnt_rng *r)
{
    double u = nnt_rng_uniform(r), c = 0;
    for (int k = 0; k < K; k++) {
        c += p[k];
        if (u < c) return k;
    }
    return K - 1;
}

/* Scratch for one proposal: sized once from the history. */
typedef struct scratch {
    sortpair *sp, *tmp;
    uint32_t *key;
    double *wbuf;
    double *pl, *pg; /* categorical probabilities */
} scratch;

/* sampler_tpe_joint.c: the multivariate estimator's proposal over the dims J. */
int nnt__tpe_propose_joint(const nnt_tpe_options *opt, const dim_info *dims, const int *J, int nd,
                           const obs *o, int n_good, int n_all, scratch *sc, nnt_rng *r, double *x);

#endif
