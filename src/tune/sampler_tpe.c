/* Tree-structured Parzen Estimator (Bergstra et al. 2011, "Algorithms for
 * Hyper-Parameter Optimization"), with the bandwidth rules of Hyperopt and
 * Optuna. docs/tpe-and-pruning.md states every rule; in short:
 *   - until n_startup_trials trials are finished, the startup sampler (Sobol)
 *     proposes;
 *   - finished trials are ranked (complete ones by value, then pruned ones by
 *     how far they got and the value they reached there, then running ones
 *     as the constant liar) and the first n_good = min(ceil(gamma n), 25) are
 *     "good", the rest "bad";
 *   - per parameter (univariate) or jointly over the unconditional ones
 *     (multivariate), Parzen mixtures l(x) over the good and g(x) over the bad
 *     observations where the parameter was active; n_candidates draws from l,
 *     the one with the largest l(x)/g(x) wins.
 * Everything is rebuilt from the history at each proposal: propose() keeps no
 * state, so it is thread-safe and survives resumes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/rng.h"
#include "tune/sampler_internal.h"
#include "tune/space_internal.h"
#include "tune/tpe_internal.h"
#include "tune/tpe_kernels.h"

nnt_tpe_options nnt_tpe_options_default(void)
{
    nnt_tpe_options o;
    memset(&o, 0, sizeof o);
    o.n_startup_trials = 10;
    o.n_candidates = 24;
    o.gamma = 0.1;
    o.gamma_max = 25;
    o.prior_weight = 1.0;
    o.magic_clip = 1;
    o.multivariate = 0;
    o.constant_liar = 1;
    o.startup = "sobol";
    o.study_seed = 0;
    return o;
}

/* ==== Parameter domains ======================================================= */

static void dim_init(const space_param *p, dim_info *d)
{
    memset(d, 0, sizeof *d);
    d->log = p->log;
    d->low = p->low;
    d->high = p->high;
    if (p->kind == NNT_PARAM_FIXED) {
        d->kind = DIM_FIXED;
        return;
    }
    if (p->kind == NNT_PARAM_CATEGORICAL) {
        d->kind = DIM_CAT;
        d->K = p->n_choices;
        return;
    }
    d->st = nnt__space_effective_step(p);
    if (d->st > 0) {
        d->kind = DIM_DISC;
        d->kmax = nnt__space_step_count(p);
        double a = p->low - 0.5 * d->st, b = p->low + ((double)d->kmax + 0.5) * d->st;
        if (p->log && a <= 0) a = 0.5 * p->low; /* as nnt__space_map_unit does */
        d->lo = tf(d, a);
        d->hi = tf(d, b);
    } else {
        d->kind = DIM_CONT;
        d->lo = tf(d, p->low);
        d->hi = tf(d, p->high);
    }
    if (!(d->hi > d->lo)) d->hi = d->lo + 1e-12; /* low == high: a point */
}

/* ==== Observations ============================================================ */

static double nan_worst(double v) { return isnan(v) ? INFINITY : v; }

static int cmp_obs(const obs *a, const obs *b)
{
    if (a->group != b->group) return a->group - b->group;
    if (a->key1 != b->key1) return a->key1 < b->key1 ? -1 : 1;
    if (a->key2 != b->key2) return a->key2 < b->key2 ? -1 : 1;
    return (a->v->number > b->v->number) - (a->v->number < b->v->number);
}

/* Ranks the usable trials of the history into o (room for hist->n): the
 * first *n_good are good, the rest up to *n_all bad; each part keeps the
 * history's order (trial-number order in a study), which the forgetting
 * weights follow. *n_finished counts complete and pruned trials. top has
 * room for gamma_max entries. Only the good ones need ranking, and there are
 * at most gamma_max of them: a bounded insertion keeps this O(n) in practice. */
static void rank_history(const nnt_tpe_options *opt, const nnt_history *hist, obs *o, int *top,
                         int *n_good, int *n_all, int *n_finished)
{
    int m = 0, fin = 0;
    for (int i = 0; hist && i < hist->n; i++) {
        const nnt_trial_view *v = &hist->trials[i];
        if (!v->x || !v->active) continue;
        obs *b = &o[m];
        b->v = v;
        b->key1 = b->key2 = 0;
        if (v->state == NNT_TRIAL_COMPLETE) {
            b->group = 0;
            b->key1 = nan_worst(v->value);
        } else if (v->state == NNT_TRIAL_PRUNED) {
            /* Optuna's rule: below every complete trial; among pruned ones,
             * further is better, then the value reached at the last epoch. */
            b->group = 1;
            b->key1 = -(double)v->epochs;
            b->key2 = v->epochs > 0 && v->intermediate ? nan_worst(v->intermediate[v->epochs - 1])
                                                       : nan_worst(v->value);
        } else if (v->state == NNT_TRIAL_RUNNING && opt->constant_liar) {
            b->group = 2; /* the liar: ranks after every finished trial */
        } else {
            continue;
        }
        fin += b->group < 2;
        m++;
    }
    int g = (int)ceil(opt->gamma * fin);
    if (g > opt->gamma_max) g = opt->gamma_max;
    if (g < 1) g = 1;
    if (g > fin) g = fin;
    int nt = 0;
    /* g is 0 while only running trials are known: nothing is good yet. */
    for (int i = 0; g > 0 && i < m; i++) {
        if (nt == g && cmp_obs(&o[i], &o[top[nt - 1]]) >= 0) continue;
        int k = nt < g ? nt++ : g - 1;
        while (k > 0 && cmp_obs(&o[i], &o[top[k - 1]]) < 0) {
            top[k] = top[k - 1];
            k--;
        }
        top[k] = i;
    }
    /* Stable partition: good ones first, both parts in history order. */
    for (int k = 0; k < nt; k++) o[top[k]].group = -1 - o[top[k]].group;
    obs *tmp = o + m; /* o has room for 2 m */
    int ng = 0, nb = nt;
    for (int i = 0; i < m; i++) {
        if (o[i].group < 0) {
            o[i].group = -1 - o[i].group;
            tmp[ng++] = o[i];
        } else {
            tmp[nb++] = o[i];
        }
    }
    /* n_bad_max: only the most recent bad observations (the tail of the
     * bad part, which is in history order). */
    int skip = opt->n_bad_max > 0 && m - nt > opt->n_bad_max ? m - nt - opt->n_bad_max : 0;
    memcpy(o, tmp, (size_t)nt * sizeof *o);
    memcpy(o + nt, tmp + nt + skip, (size_t)(m - nt - skip) * sizeof *o);
    m -= skip;
    *n_good = g;
    *n_all = m;
    *n_finished = fin;
}

/* ==== Univariate Parzen estimators ============================================ */

/* A truncated Gaussian mixture on [lo, hi]: the observations, sorted by mu,
 * plus (last) the prior component N((lo+hi)/2, hi-lo). coef = w / (s sqrt(2
 * pi) Z) for densities, wz = w / Z for cell masses, with Z the mass of the
 * kernel inside [lo, hi]. s_max is the widest observation kernel: kernels
 * further than FAR_Z s_max from a point are not even looked at. */
typedef struct mixture {
    int m, n; /* components; observations (m - 1) */
    double s_max;
    double *mu, *s, *inv_s, *w, *coef, *wz;
    double *block;
} mixture;

/* Insertion sort by mu: for short runs, and for nearly sorted ones (an
 * element already in order is passed over). */
static void insertion_sort_pairs(sortpair *a, int n)
{
    for (int i = 1; i < n; i++) {
        if (!(a[i - 1].mu > a[i].mu)) continue;
        sortpair v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j].mu > v.mu) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

/* Quicksort by mu (median of three, insertion sort below 16): qsort's
 * comparator calls cost more than the rest of a proposal. */
static void sort_pairs(sortpair *a, int n)
{
    while (n > 16) {
        sortpair t;
        int mid = n / 2;
#define SWAP_(i, j) (t = a[i], a[i] = a[j], a[j] = t)
        if (a[mid].mu < a[0].mu) SWAP_(mid, 0);
        if (a[n - 1].mu < a[0].mu) SWAP_(n - 1, 0);
        if (a[n - 1].mu < a[mid].mu) SWAP_(n - 1, mid);
        double piv = a[mid].mu;
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i].mu < piv) i++;
            while (a[j].mu > piv) j--;
            if (i >= j) break;
            SWAP_(i, j);
            i++;
            j--;
        }
#undef SWAP_
        /* [0, j] <= piv <= [j+1, n): recurse on the smaller side. */
        int nl = j + 1;
        if (nl < n - nl) {
            sort_pairs(a, nl);
            a += nl;
            n -= nl;
        } else {
            sort_pairs(a + nl, n - nl);
            n = nl;
        }
    }
    insertion_sort_pairs(a, n);
}

/* Sorts n pairs by mu in [lo, hi]: two LSD radix passes on a 20-bit key
 * (mu's position in [lo, hi]), then an insertion pass that fixes the order
 * inside a key, in effect linear. tmp has room for n pairs, key for 2 n. */
static void sort_pairs_radix(sortpair *a, int n, double lo, double hi, sortpair *tmp,
                             uint32_t *key)
{
    if (n < 64) {
        sort_pairs(a, n);
        return;
    }
    enum { BITS = 10, BUCKETS = 1 << BITS };
    const double kmax = (double)((1u << (2 * BITS)) - 1);
    double scale = hi > lo ? kmax / (hi - lo) : 0;
    for (int i = 0; i < n; i++) {
        double q = (a[i].mu - lo) * scale;
        key[i] = q <= 0 ? 0 : (q >= kmax ? (uint32_t)kmax : (uint32_t)q);
    }
    uint32_t *ktmp = key + n;
    int count[BUCKETS];
    /* Pass 0: a -> tmp by the low digit; pass 1: tmp -> a by the high one. */
    for (int pass = 0; pass < 2; pass++) {
        const sortpair *src = pass ? tmp : a;
        sortpair *dst = pass ? a : tmp;
        const uint32_t *ks = pass ? ktmp : key;
        uint32_t *kd = pass ? key : ktmp;
        int shift = BITS * pass;
        memset(count, 0, sizeof count);
        for (int i = 0; i < n; i++) count[(ks[i] >> shift) & (BUCKETS - 1)]++;
        for (int c = 0, sum = 0; c < BUCKETS; c++) {
            int t = count[c];
            count[c] = sum;
            sum += t;
        }
        for (int i = 0; i < n; i++) {
            int at = count[(ks[i] >> shift) & (BUCKETS - 1)]++;
            dst[at] = src[i];
            kd[at] = ks[i];
        }
    }
    insertion_sort_pairs(a, n);
}

static void mixture_free(mixture *x)
{
    nnt__free(x->block);
    memset(x, 0, sizeof *x);
}

/* Builds the mixture from n observations sp (transformed values and
 * weights); sp is sorted in place (tmp: n pairs, key: 2 n keys of scratch). */
static int mixture_build(const nnt_tpe_options *opt, const dim_info *d, sortpair *sp, int n,
                         sortpair *tmp, uint32_t *key, mixture *x)
{
    memset(x, 0, sizeof *x);
    int m = n + 1;
    x->block = nnt__malloc_array((size_t)m * 6, sizeof *x->block);
    if (!x->block) return NNT_ERR_NOMEM;
    x->m = m;
    x->n = n;
    x->mu = x->block;
    x->s = x->mu + m;
    x->inv_s = x->s + m;
    x->w = x->inv_s + m;
    x->coef = x->w + m;
    x->wz = x->coef + m;
    double range = d->hi - d->lo;
    sort_pairs_radix(sp, n, d->lo, d->hi, tmp, key);
    double minsig = opt->magic_clip ? range / (n + 1 < 100 ? n + 1 : 100) : 1e-12 * range;
    double wsum = opt->prior_weight;
    x->s_max = 0;
    int nk = 0;
    for (int k = 0; k < n; k++) {
        double s;
        /* Hyperopt's rule: the larger gap to a neighbour; the domain ends
         * count as neighbours only for a lone observation. */
        if (n == 1) s = max2(sp[k].mu - d->lo, d->hi - sp[k].mu);
        else if (k == 0) s = sp[1].mu - sp[0].mu;
        else if (k == n - 1) s = sp[k].mu - sp[k - 1].mu;
        else s = max2(sp[k].mu - sp[k - 1].mu, sp[k + 1].mu - sp[k].mu);
        if (s < minsig) s = minsig;
        if (s > range) s = range;
        if (s > x->s_max) x->s_max = s;
        wsum += sp[k].w;
        /* Equal kernels (repeated values of a discrete parameter) merge
         * exactly into one with their summed weight. */
        if (nk > 0 && x->mu[nk - 1] == sp[k].mu && x->s[nk - 1] == s) {
            x->w[nk - 1] += sp[k].w;
            continue;
        }
        x->mu[nk] = sp[k].mu;
        x->s[nk] = s;
        x->w[nk] = sp[k].w;
        nk++;
    }
    n = nk;
    x->n = n;
    x->m = m = n + 1;
    x->mu[n] = 0.5 * (d->lo + d->hi);
    x->s[n] = range;
    x->w[n] = opt->prior_weight;
    for (int k = 0; k < m; k++) {
        x->w[k] /= wsum;
        x->inv_s[k] = 1.0 / x->s[k];
        x->wz[k] = x->w[k] / trunc_mass(x->mu[k], x->inv_s[k], d->lo, d->hi);
        x->coef[k] = x->wz[k] * x->inv_s[k] / SQRT2PI;
    }
    return NNT_OK;
}

static double mixture_sample(const mixture *x, const dim_info *d, nnt_rng *r)
{
    double u = nnt_rng_uniform(r), c = 0;
    int k = x->m - 1;
    for (int j = 0; j < x->m; j++) {
        c += x->w[j];
        if (u < c) {
            k = j;
            break;
        }
    }
    return draw_truncnorm(r, x->mu[k], x->s[k], d->lo, d->hi);
}

/* First observation with mu >= v (mu sorted). */
static int lower_bound(const double *mu, int n, double v)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (mu[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* log density at t. Kernels beyond FAR_Z sigma are skipped: each adds less
 * than 1e-18 w / s, while the prior component alone keeps the density above
 * ~0.35 w_prior / range, so the sum moves by less than 1e-12 relatively. */
static double mixture_logpdf(const mixture *x, double t)
{
    int n = x->n;
    double s = x->coef[n] * exp(-0.5 * (t - x->mu[n]) * (t - x->mu[n]) * x->inv_s[n] * x->inv_s[n]);
    int k0 = lower_bound(x->mu, n, t - FAR_Z * x->s_max);
    for (int k = k0; k < n && x->mu[k] <= t + FAR_Z * x->s_max; k++) {
        double z = (t - x->mu[k]) * x->inv_s[k];
        double z2 = z * z;
        if (z2 < FAR_Z2) s += x->coef[k] * fast_exp(-0.5 * z2);
    }
    return log(s);
}

/* log of the mixture's mass on [a, b]. */
static double mixture_logmass(const mixture *x, double a, double b)
{
    int n = x->n;
    double s = x->wz[n] * kernel_mass(x->mu[n], x->inv_s[n], a, b);
    int k0 = lower_bound(x->mu, n, a - FAR_Z * x->s_max);
    for (int k = k0; k < n && x->mu[k] <= b + FAR_Z * x->s_max; k++)
        s += x->wz[k] * kernel_mass(x->mu[k], x->inv_s[k], a, b);
    return log(s);
}

/* Collects the active observations of parameter i among o[from..to) into
 * sp (transformed values, forgetting weights). Returns the count. */
static int collect_numeric(const dim_info *d, const obs *o, int from, int to, int i, sortpair *sp,
                           double *wbuf)
{
    int n = 0;
    for (int j = from; j < to; j++) {
        if (!obs_active(&o[j], i)) continue;
        double v = o[j].v->x[i];
        if (d->log && !(v > 0)) continue;
        sp[n++].mu = tf(d, v);
    }
    forget_weights(n, wbuf);
    for (int k = 0; k < n; k++) sp[k].w = wbuf[k];
    return n;
}

/* Categorical probabilities: a mixture of one kernel per observation, which
 * puts (1 + eps) / (1 + K eps) on the observed choice and eps / (1 + K eps)
 * on each other one, eps = prior_weight / (observations + 1), and the
 * uniform prior with weight prior_weight (Optuna's kernel; the same as in
 * the multivariate model). With few good trials this leaves unobserved
 * choices about twice the mass plain weighted counts would. */
static void collect_categorical(const nnt_tpe_options *opt, const dim_info *d, const obs *o,
                                int from, int to, int i, double *p, double *wbuf)
{
    int n = 0;
    for (int j = from; j < to; j++) n += obs_active(&o[j], i);
    forget_weights(n, wbuf);
    double eps = opt->prior_weight / (n + 1), norm = 1 + d->K * eps;
    double wsum = 0;
    for (int c = 0; c < d->K; c++) p[c] = 0;
    int k = 0;
    for (int j = from; j < to; j++) {
        if (!obs_active(&o[j], i)) continue;
        int c = (int)o[j].v->x[i];
        double w = wbuf[k++];
        if (c < 0 || c >= d->K) continue;
        p[c] += w;
        wsum += w;
    }
    double total = wsum + opt->prior_weight;
    for (int c = 0; c < d->K; c++)
        p[c] = ((p[c] + wsum * eps) / norm + opt->prior_weight / d->K) / total;
}

/* Draws n_candidates values of parameter i from l into cand and their
 * log l - log g into score. */
static int candidates_univariate(const nnt_tpe_options *opt, const dim_info *d, int i,
                                 const obs *o, int n_good, int n_all, scratch *sc, nnt_rng *r,
                                 double *cand, double *score)
{
    int C = opt->n_candidates;
    if (d->kind == DIM_FIXED) {
        for (int c = 0; c < C; c++) cand[c] = score[c] = 0;
        return NNT_OK;
    }
    if (d->kind == DIM_CAT) {
        collect_categorical(opt, d, o, 0, n_good, i, sc->pl, sc->wbuf);
        collect_categorical(opt, d, o, n_good, n_all, i, sc->pg, sc->wbuf);
        for (int c = 0; c < C; c++) {
            int k = draw_index(sc->pl, d->K, r);
            cand[c] = k;
            score[c] = log(sc->pl[k]) - log(sc->pg[k]);
        }
        return NNT_OK;
    }
    mixture l, g;
    int nl = collect_numeric(d, o, 0, n_good, i, sc->sp, sc->wbuf);
    int rc = mixture_build(opt, d, sc->sp, nl, sc->tmp, sc->key, &l);
    if (rc != NNT_OK) return rc;
    int ng = collect_numeric(d, o, n_good, n_all, i, sc->sp, sc->wbuf);
    rc = mixture_build(opt, d, sc->sp, ng, sc->tmp, sc->key, &g);
    if (rc != NNT_OK) {
        mixture_free(&l);
        return rc;
    }
    for (int c = 0; c < C; c++) {
        double t = mixture_sample(&l, d, r);
        double v = untf(d, t);
        if (d->kind == DIM_DISC) {
            double a, b;
            cell(d, v, &a, &b);
            score[c] = mixture_logmass(&l, a, b) - mixture_logmass(&g, a, b);
        } else {
            score[c] = mixture_logpdf(&l, t) - mixture_logpdf(&g, t);
        }
        cand[c] = v;
    }
    mixture_free(&l);
    mixture_free(&g);
    return NNT_OK;
}

/* ==== The sampler ============================================================== */

typedef struct tpe_ctx {
    int n;
    int *order;
    int *parent;
    dim_info *dims;
    nnt_tpe_options opt;
    nnt_sampler startup;
} tpe_ctx;

static void tpe_free(void *vctx)
{
    tpe_ctx *c = vctx;
    if (!c) return;
    nnt_sampler_free(&c->startup);
    nnt__free(c->order);
    nnt__free(c->parent);
    nnt__free(c->dims);
    nnt__free(c);
}

/* The history ranked by rank_history into a fresh observation array (*o,
 * freed by the caller): n_good first, then the rest. */
static int ranked_history(const tpe_ctx *c, const nnt_history *hist, obs **o, int *n_good,
                          int *n_all, int *n_fin, nnt_error *err)
{
    int nh = hist ? hist->n : 0;
    *o = nnt__malloc_array(2 * (size_t)nh + 1, sizeof **o);
    int *top = nnt__malloc_array((size_t)c->opt.gamma_max, sizeof *top);
    if (!*o || !top) {
        nnt__free(*o);
        nnt__free(top);
        *o = NULL;
        return nnt_fail(err, NNT_ERR_NOMEM, "tpe: out of memory");
    }
    rank_history(&c->opt, hist, *o, top, n_good, n_all, n_fin);
    nnt__free(top);
    return NNT_OK;
}

static int tpe_propose(void *vctx, const nnt_space *space, const nnt_history *hist, int number,
                       uint64_t seed, double *x, uint8_t *active, nnt_error *err)
{
    const tpe_ctx *c = vctx;
    if (!space || space->n != c->n)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: the space does not match the sampler's");
    int n = c->n, nh = hist ? hist->n : 0;
    obs *o;
    int n_good, n_all, n_fin;
    int rc0 = ranked_history(c, hist, &o, &n_good, &n_all, &n_fin, err);
    if (rc0 != NNT_OK) return rc0;
    if (n_fin < c->opt.n_startup_trials || n_fin == 0) {
        nnt__free(o);
        return c->startup.propose(c->startup.ctx, space, hist, number, seed, x, active, err);
    }
    int maxK = 1;
    for (int i = 0; i < n; i++)
        if (c->dims[i].kind == DIM_CAT && c->dims[i].K > maxK) maxK = c->dims[i].K;
    scratch sc;
    sc.sp = nnt__malloc_array((size_t)nh + 1, sizeof *sc.sp);
    sc.tmp = nnt__malloc_array((size_t)nh + 1, sizeof *sc.tmp);
    sc.key = nnt__malloc_array(2 * (size_t)nh + 2, sizeof *sc.key);
    sc.wbuf = nnt__malloc_array((size_t)nh + 1, sizeof *sc.wbuf);
    sc.pl = nnt__malloc_array((size_t)maxK * 2, sizeof *sc.pl);
    int *J = nnt__malloc_array((size_t)n + 1, sizeof *J);
    int rc = sc.sp && sc.tmp && sc.key && sc.wbuf && sc.pl && J ? NNT_OK : NNT_ERR_NOMEM;
    sc.pg = sc.pl ? sc.pl + maxK : NULL;
    nnt_rng r;
    nnt_rng_seed(&r, seed);
    int nd = 0;
    if (rc == NNT_OK && c->opt.multivariate) {
        /* Jointly: the parameters every trial has (no condition). The
         * conditional ones stay univariate, each from the trials where it
         * was active. */
        for (int i = 0; i < n; i++)
            if (c->parent[i] < 0 && c->dims[i].kind != DIM_FIXED) J[nd++] = i;
        if (nd > 0) rc = nnt__tpe_propose_joint(&c->opt, c->dims, J, nd, o, n_good, n_all, &sc, &r, x);
    }
    double *joint_x = nnt__malloc_array((size_t)nd + 1, sizeof *joint_x);
    if (!joint_x) rc = NNT_ERR_NOMEM;
    for (int t = 0; rc == NNT_OK && t < nd; t++) joint_x[t] = x[J[t]];
    /* The other parameters: n_candidates each, drawn in space order, active
     * or not, so that a parameter's draws do not depend on which others are
     * active. cand/score: n x C. */
    int C = c->opt.n_candidates;
    double *cand = rc == NNT_OK ? nnt__malloc_array((size_t)n * C + 1, sizeof *cand) : NULL;
    double *score = rc == NNT_OK ? nnt__malloc_array((size_t)n * C + 1, sizeof *score) : NULL;
    uint8_t *in_joint = rc == NNT_OK ? nnt__calloc((size_t)n + 1, 1) : NULL;
    if (rc == NNT_OK && (!cand || !score || !in_joint)) rc = NNT_ERR_NOMEM;
    for (int t = 0; rc == NNT_OK && t < nd; t++) in_joint[J[t]] = 1;
    for (int i = 0; rc == NNT_OK && i < n; i++) {
        if (in_joint[i]) continue;
        rc = candidates_univariate(&c->opt, &c->dims[i], i, o, n_good, n_all, &sc, &r,
                                   cand + (size_t)i * C, score + (size_t)i * C);
    }
    if (rc == NNT_OK && c->opt.independent) {
        /* Hyperopt's and Optuna's choice: each parameter its own argmax. */
        for (int i = 0; i < n; i++) {
            if (in_joint[i]) continue;
            int best = 0;
            for (int k = 1; k < C; k++)
                if (score[(size_t)i * C + k] > score[(size_t)i * C + best]) best = k;
            x[i] = cand[(size_t)i * C + best];
        }
        nnt__space_resolve_order(space, c->order, x, active);
    } else if (rc == NNT_OK) {
        /* Candidate k is the vector of every parameter's k-th draw (a draw
         * from l(x) = prod l_i(x_i)); it scores the sum of log l_i - log g_i
         * over the parameters active in it (the tree: an inactive parameter
         * is not part of the configuration), and the best vector wins. */
        double best_score = -INFINITY;
        int best = 0;
        for (int k = 0; k < C; k++) {
            for (int i = 0; i < n; i++)
                if (!in_joint[i]) x[i] = cand[(size_t)i * C + k];
            nnt__space_resolve_order(space, c->order, x, active);
            double sum = 0;
            for (int i = 0; i < n; i++)
                if (!in_joint[i] && active[i]) sum += score[(size_t)i * C + k];
            if (k == 0 || sum > best_score) {
                best_score = sum;
                best = k;
            }
            /* resolve_order wrote NAN into inactive joint slots: restore. */
            for (int t = 0; t < nd; t++) x[J[t]] = joint_x[t];
        }
        for (int i = 0; i < n; i++)
            if (!in_joint[i]) x[i] = cand[(size_t)i * C + best];
        nnt__space_resolve_order(space, c->order, x, active);
    }
    nnt__free(cand);
    nnt__free(score);
    nnt__free(in_joint);
    nnt__free(joint_x);
    nnt__free(sc.sp);
    nnt__free(sc.tmp);
    nnt__free(sc.key);
    nnt__free(sc.wbuf);
    nnt__free(sc.pl);
    nnt__free(J);
    nnt__free(o);
    if (rc != NNT_OK) return nnt_fail(err, rc, "tpe: out of memory");
    return NNT_OK;
}

int nnt__tpe_observation_counts(const nnt_sampler *tpe, const nnt_space *space,
                                const nnt_history *hist, int *n_good, int *n_bad, nnt_error *err)
{
    if (!tpe || !tpe->ctx || !tpe->name || strcmp(tpe->name, "tpe") != 0)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: not a TPE sampler");
    const tpe_ctx *c = tpe->ctx;
    if (!space || space->n != c->n)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: the space does not match the sampler's");
    obs *o;
    int g, all, fin;
    int rc0 = ranked_history(c, hist, &o, &g, &all, &fin, err);
    if (rc0 != NNT_OK) return rc0;
    int on = fin >= c->opt.n_startup_trials && fin > 0;
    for (int i = 0; i < c->n; i++) {
        n_good[i] = n_bad[i] = 0;
        if (!on || c->dims[i].kind == DIM_FIXED) continue;
        for (int j = 0; j < all; j++) {
            if (!obs_active(&o[j], i)) continue;
            if (j < g) n_good[i]++;
            else n_bad[i]++;
        }
    }
    nnt__free(o);
    return NNT_OK;
}

int nnt__tpe_good_trials(const nnt_sampler *tpe, const nnt_history *hist, int *numbers, int max,
                         nnt_error *err)
{
    if (!tpe || !tpe->ctx || !tpe->name || strcmp(tpe->name, "tpe") != 0)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: not a TPE sampler");
    const tpe_ctx *c = tpe->ctx;
    obs *o;
    int g, all, fin;
    int rc = ranked_history(c, hist, &o, &g, &all, &fin, err);
    if (rc != NNT_OK) return rc;
    int on = fin >= c->opt.n_startup_trials && fin > 0, k = 0;
    for (int j = 0; on && j < g && k < max; j++) numbers[k++] = o[j].v->number;
    nnt__free(o);
    return k;
}

int nnt_sampler_tpe_create(const nnt_space *space, const nnt_tpe_options *opt, nnt_sampler *out,
                           nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "tpe: NULL output");
    memset(out, 0, sizeof *out);
    if (!space) return nnt_fail(err, NNT_ERR_ARG, "tpe: missing space");
    nnt_tpe_options o = opt ? *opt : nnt_tpe_options_default();
    if (o.n_startup_trials < 0)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: n_startup_trials %d: expected >= 0",
                        o.n_startup_trials);
    if (o.n_candidates < 1)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: n_candidates %d: expected >= 1", o.n_candidates);
    if (!(o.gamma > 0 && o.gamma <= 1))
        return nnt_fail(err, NNT_ERR_ARG, "tpe: gamma %g: expected in (0, 1]", o.gamma);
    if (o.gamma_max < 1)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: gamma_max %d: expected >= 1", o.gamma_max);
    if (o.n_bad_max < 0)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: n_bad_max %d: expected >= 0 (0: all)", o.n_bad_max);
    if (!(o.prior_weight > 0) || !isfinite(o.prior_weight))
        return nnt_fail(err, NNT_ERR_ARG, "tpe: prior_weight %g: expected > 0", o.prior_weight);
    const char *st = o.startup ? o.startup : "sobol";
    if (strcmp(st, "sobol") != 0 && strcmp(st, "random") != 0)
        return nnt_fail(err, NNT_ERR_ARG, "tpe: startup sampler \"%s\": expected sobol or random",
                        st);
    int rc = nnt_space_validate(space, err);
    if (rc != NNT_OK) return rc;
    tpe_ctx *c = nnt__calloc(1, sizeof *c);
    if (!c) return nnt_fail(err, NNT_ERR_NOMEM, "tpe: out of memory");
    c->n = space->n;
    c->opt = o;
    c->opt.startup = NULL; /* not kept: the caller's string may not outlive us */
    size_t n1 = (size_t)space->n + 1;
    c->order = nnt__malloc_array(n1, sizeof *c->order);
    c->parent = nnt__malloc_array(n1, sizeof *c->parent);
    c->dims = nnt__malloc_array(n1, sizeof *c->dims);
    if (!c->order || !c->parent || !c->dims) {
        tpe_free(c);
        return nnt_fail(err, NNT_ERR_NOMEM, "tpe: out of memory");
    }
    rc = nnt__space_order(space, c->order, err);
    if (rc != NNT_OK) {
        tpe_free(c);
        return rc;
    }
    int dims = 0;
    for (int i = 0; i < space->n; i++) {
        c->parent[i] = nnt__space_parent(space, i);
        dim_init(&space->p[i], &c->dims[i]);
        dims += space->p[i].kind != NNT_PARAM_FIXED;
    }
    if (strcmp(st, "sobol") == 0 && dims <= NNT_SOBOL_MAX_DIM)
        rc = nnt__sampler_sobol_create(space, o.study_seed, &c->startup, err);
    else
        rc = nnt__sampler_random_create(space, &c->startup, err);
    if (rc != NNT_OK) {
        memset(&c->startup, 0, sizeof c->startup);
        tpe_free(c);
        return rc;
    }
    out->name = "tpe";
    out->ctx = c;
    out->propose = tpe_propose;
    out->free_ctx = tpe_free;
    return NNT_OK;
}
