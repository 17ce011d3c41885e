/* TPE's multivariate Parzen estimator (docs/tpe-and-pruning.md): joint
 * kernels over the unconditional parameters, built from the good and bad
 * observations, and the proposal that draws candidates from l(x) and keeps
 * the one with the largest l(x)/g(x). Split from sampler_tpe.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/tpe_kernels.h"

/* ==== Multivariate Parzen estimator =========================================== */

/* Joint kernels over the dims J: component c is an observation (or, last,
 * the prior) with one kernel per dim: a truncated Gaussian for numeric dims
 * (bandwidth from Scott's rule, shared by the observation components; the
 * prior's is the range), and for categorical dims a distribution that puts
 * (1 + eps) / (1 + K eps) on the observed choice, eps = prior_weight /
 * components (Optuna's kernel; the prior's is uniform). Densities are
 * products over dims, evaluated in linear scale: the prior component keeps
 * the sum far from underflow. Storage is by dim (column t of mu is
 * mu[t*m .. t*m + m-1]) so that each dim is one tight loop over the
 * components. */
typedef struct joint {
    int m, n, nd;  /* components, observations (m - 1), dims */
    double *w;     /* m: normalised weights */
    double *cw;    /* m: w / prod(Z) * prod over continuous dims of inv_s/sqrt(2 pi),
                      and 1/K per categorical dim for the prior */
    double *mu;    /* nd x m: transformed value, or choice index */
    double *s;     /* nd: observation bandwidth */
    double *inv_s; /* 2 nd: observation, prior */
    double *cat_on, *cat_off; /* nd */
    int *cell;     /* nd x m: grid index of a discrete dim's mu when memoised */
    int *uniq;     /* per memoised dim, the distinct grid indices observed... */
    int *n_uniq;   /* ...their count (0 for other dims), and where they start */
    int *uniq_at;
    double *block;
} joint;

/* Discrete dims with at most this many grid points compute their kernel
 * masses once per distinct observed grid point and candidate: the
 * observation components share one bandwidth, so the mass depends only on
 * the component's grid point. */
#define JOINT_MEMO_MAX 1024

static int memoised(const dim_info *d) { return d->kind == DIM_DISC && d->kmax < JOINT_MEMO_MAX; }

static void joint_free(joint *j)
{
    nnt__free(j->block);
    nnt__free(j->cell);
    nnt__free(j->uniq);
    nnt__free(j->n_uniq);
    nnt__free(j->uniq_at);
    memset(j, 0, sizeof *j);
}

static int joint_usable(const obs *b, const int *J, int nd)
{
    for (int t = 0; t < nd; t++)
        if (!obs_active(b, J[t])) return 0;
    return 1;
}

static int grid_index(const dim_info *d, double v)
{
    double kk = floor((v - d->low) / d->st + 0.5);
    return kk < 0 ? 0 : (kk > (double)d->kmax ? (int)d->kmax : (int)kk);
}

static int joint_build(const nnt_tpe_options *opt, const dim_info *dims, const int *J, int nd,
                       const obs *o, int from, int to, double *wbuf, joint *j)
{
    memset(j, 0, sizeof *j);
    int n = 0;
    for (int q = from; q < to; q++) n += joint_usable(&o[q], J, nd);
    int m = n + 1;
    size_t sz = (size_t)m * 2 + (size_t)m * nd + (size_t)nd * 5;
    j->block = nnt__malloc_array(sz, sizeof *j->block);
    j->cell = nnt__malloc_array((size_t)m * nd, sizeof *j->cell);
    j->uniq = nnt__malloc_array((size_t)m * nd, sizeof *j->uniq);
    j->n_uniq = nnt__calloc((size_t)nd, sizeof *j->n_uniq);
    j->uniq_at = nnt__calloc((size_t)nd, sizeof *j->uniq_at);
    if (!j->block || !j->cell || !j->uniq || !j->n_uniq || !j->uniq_at) {
        joint_free(j);
        return NNT_ERR_NOMEM;
    }
    j->m = m;
    j->n = n;
    j->nd = nd;
    j->w = j->block;
    j->cw = j->w + m;
    j->mu = j->cw + m;
    j->s = j->mu + (size_t)m * nd;
    j->inv_s = j->s + nd;
    j->cat_on = j->inv_s + 2 * nd;
    j->cat_off = j->cat_on + nd;
    forget_weights(n, wbuf);
    double wsum = opt->prior_weight;
    int k = 0;
    for (int q = from; q < to; q++) {
        if (!joint_usable(&o[q], J, nd)) continue;
        for (int t = 0; t < nd; t++) {
            const dim_info *d = &dims[J[t]];
            double v = o[q].v->x[J[t]];
            size_t at = (size_t)t * m + k;
            j->cell[at] = memoised(d) ? grid_index(d, v) : -1;
            j->mu[at] = d->kind == DIM_CAT ? v : (d->log && !(v > 0) ? d->lo : tf(d, v));
        }
        j->w[k] = wbuf[k];
        wsum += wbuf[k];
        k++;
    }
    j->w[n] = opt->prior_weight;
    for (int c = 0; c < m; c++) {
        j->w[c] /= wsum;
        j->cw[c] = j->w[c];
    }
    double eps = opt->prior_weight / m;
    int n_u = 0;
    for (int t = 0; t < nd; t++) {
        const dim_info *d = &dims[J[t]];
        double *col = j->mu + (size_t)t * m;
        j->cell[(size_t)t * m + n] = -1;
        if (d->kind == DIM_CAT) {
            j->cat_on[t] = (1 + eps) / (1 + d->K * eps);
            j->cat_off[t] = eps / (1 + d->K * eps);
            col[n] = -1; /* the prior: uniform */
            j->cw[n] /= d->K;
            continue;
        }
        double range = d->hi - d->lo;
        double s = SCOTT_SIGMA0 * pow((double)(n > 0 ? n : 1), -1.0 / (nd + 4)) * range;
        double minsig = opt->magic_clip ? range / (n + 1 < 100 ? n + 1 : 100) : 1e-12 * range;
        if (s < minsig) s = minsig;
        if (s > range) s = range;
        j->s[t] = s;
        j->inv_s[2 * t] = 1.0 / s;
        j->inv_s[2 * t + 1] = 1.0 / range;
        col[n] = 0.5 * (d->lo + d->hi);
        if (memoised(d)) {
            /* The distinct grid points, each with its truncation mass (the
             * components of one grid point share it). */
            double *z = nnt__malloc_array((size_t)d->kmax + 1, sizeof *z);
            if (!z) {
                joint_free(j);
                return NNT_ERR_NOMEM;
            }
            for (long q = 0; q <= d->kmax; q++) z[q] = -1;
            j->uniq_at[t] = n_u;
            for (int c = 0; c < n; c++) {
                int q = j->cell[(size_t)t * m + c];
                if (z[q] < 0) {
                    z[q] = trunc_mass(col[c], j->inv_s[2 * t], d->lo, d->hi);
                    j->uniq[n_u++] = q;
                }
                j->cw[c] /= z[q];
            }
            j->n_uniq[t] = n_u - j->uniq_at[t];
            j->cw[n] /= trunc_mass(col[n], j->inv_s[2 * t + 1], d->lo, d->hi);
            nnt__free(z);
            continue;
        }
        for (int c = 0; c < m; c++) {
            double is = j->inv_s[2 * t + (c == n)];
            j->cw[c] /= trunc_mass(col[c], is, d->lo, d->hi);
            if (d->kind == DIM_CONT) j->cw[c] *= is / SQRT2PI;
        }
    }
    return NNT_OK;
}

/* log of the joint density at candidate y (model coordinates; ya/yb: the
 * cells of discrete dims). memo has kmax + 1 slots per memoised dim (NULL
 * for the others); z2 and f have room for the components. */
static double joint_logpdf(const joint *j, const dim_info *dims, const int *J, const double *y,
                           const double *ya, const double *yb, double **memo, double *z2,
                           double *f)
{
    int n = j->n, m = j->m, nd = j->nd;
    for (int c = 0; c < n; c++) {
        z2[c] = 0;
        f[c] = j->cw[c];
    }
    double z2p = 0, fp = j->cw[n];
    for (int t = 0; t < nd; t++) {
        const dim_info *d = &dims[J[t]];
        const double *col = j->mu + (size_t)t * m;
        double is = j->inv_s[2 * t], isp = j->inv_s[2 * t + 1], yt = y[t];
        if (d->kind == DIM_CAT) {
            double on = j->cat_on[t], off = j->cat_off[t];
            for (int c = 0; c < n; c++) f[c] *= col[c] == yt ? on : off;
        } else if (d->kind == DIM_CONT) {
            for (int c = 0; c < n; c++) {
                double z = (yt - col[c]) * is;
                z2[c] += z * z;
            }
            double z = (yt - col[n]) * isp;
            z2p += z * z;
        } else {
            if (memo[t]) {
                const int *u = j->uniq + j->uniq_at[t];
                for (int q = 0; q < j->n_uniq[t]; q++) {
                    double mu = tf(d, fmin(d->low + u[q] * d->st, d->high));
                    memo[t][u[q]] = kernel_mass(mu, is, ya[t], yb[t]);
                }
                const int *cl = j->cell + (size_t)t * m;
                for (int c = 0; c < n; c++) f[c] *= memo[t][cl[c]];
            } else {
                for (int c = 0; c < n; c++) f[c] *= kernel_mass(col[c], is, ya[t], yb[t]);
            }
            fp *= kernel_mass(col[n], isp, ya[t], yb[t]);
        }
    }
    double sum = fp * fast_exp(-0.5 * z2p);
    for (int c = 0; c < n; c++)
        if (z2[c] < 2 * FAR_Z2 && f[c] > 0) sum += f[c] * fast_exp(-0.5 * z2[c]);
    return log(sum);
}

int nnt__tpe_propose_joint(const nnt_tpe_options *opt, const dim_info *dims, const int *J, int nd,
                           const obs *o, int n_good, int n_all, scratch *sc, nnt_rng *r, double *x)
{
    joint l, g;
    int rc = joint_build(opt, dims, J, nd, o, 0, n_good, sc->wbuf, &l);
    if (rc != NNT_OK) return rc;
    rc = joint_build(opt, dims, J, nd, o, n_good, n_all, sc->wbuf, &g);
    if (rc != NNT_OK) {
        joint_free(&l);
        return rc;
    }
    /* y: candidate in model coordinates; v: parameter values; ya/yb: cells;
     * best; then per-component scratch and the memo slots. */
    size_t n_memo = 0;
    for (int t = 0; t < nd; t++)
        if (memoised(&dims[J[t]])) n_memo += (size_t)dims[J[t]].kmax + 1;
    size_t m_max = (size_t)(l.m > g.m ? l.m : g.m);
    double *buf = nnt__malloc_array((size_t)nd * 5 + 2 * m_max + n_memo + 1, sizeof *buf);
    double **memo = nnt__calloc((size_t)nd + 1, sizeof *memo);
    if (!buf || !memo) {
        nnt__free(buf);
        nnt__free(memo);
        joint_free(&l);
        joint_free(&g);
        return NNT_ERR_NOMEM;
    }
    double *y = buf, *v = y + nd, *ya = v + nd, *yb = ya + nd, *best = yb + nd;
    double *z2 = best + nd, *f = z2 + m_max, *slots = f + m_max;
    for (int t = 0; t < nd; t++)
        if (memoised(&dims[J[t]])) {
            memo[t] = slots;
            slots += dims[J[t]].kmax + 1;
        }
    double best_score = -INFINITY;
    for (int c = 0; c < opt->n_candidates; c++) {
        int k = draw_index(l.w, l.m, r);
        int prior = k == l.m - 1;
        for (int t = 0; t < nd; t++) {
            const dim_info *d = &dims[J[t]];
            double mu = l.mu[(size_t)t * l.m + k];
            ya[t] = yb[t] = 0;
            if (d->kind == DIM_CAT) {
                /* The kernel's own distribution: observed choice or any other. */
                if (prior) {
                    y[t] = (double)nnt_rng_below(r, (uint64_t)d->K);
                } else if (d->K == 1 || nnt_rng_uniform(r) < l.cat_on[t]) {
                    y[t] = mu;
                } else {
                    int other = (int)nnt_rng_below(r, (uint64_t)(d->K - 1));
                    y[t] = other >= (int)mu ? other + 1 : other;
                }
                v[t] = y[t];
                continue;
            }
            double s = prior ? d->hi - d->lo : l.s[t];
            double t0 = draw_truncnorm(r, mu, s, d->lo, d->hi);
            v[t] = untf(d, t0);
            y[t] = d->kind == DIM_DISC ? tf(d, v[t]) : t0;
            if (d->kind == DIM_DISC) cell(d, v[t], &ya[t], &yb[t]);
        }
        double score = joint_logpdf(&l, dims, J, y, ya, yb, memo, z2, f) -
                       joint_logpdf(&g, dims, J, y, ya, yb, memo, z2, f);
        if (c == 0 || score > best_score) {
            best_score = score;
            memcpy(best, v, (size_t)nd * sizeof *v);
        }
    }
    for (int t = 0; t < nd; t++) x[J[t]] = best[t];
    nnt__free(buf);
    nnt__free(memo);
    joint_free(&l);
    joint_free(&g);
    return NNT_OK;
}
