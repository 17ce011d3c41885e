/* Hyperband (Li et al. 2018, "Hyperband: A Novel Bandit-Based Approach to
 * Hyperparameter Optimization"): several brackets of successive halving that
 * trade the number of configurations against the epochs each gets first.
 * Trials are dealt to brackets by number, and each bracket runs the ASHA rule
 * on its own rungs (prune.h). */
#include <limits.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/pruner_internal.h"

nnt_hyperband_options nnt_hyperband_options_default(void)
{
    nnt_hyperband_options o;
    o.min_resource = 1;
    o.max_resource = 81;
    o.eta = 3;
    return o;
}

static int check_options(const nnt_hyperband_options *o, nnt_error *err)
{
    if (o->min_resource < 1)
        return nnt_fail(err, NNT_ERR_ARG, "hyperband pruner: min_resource %d: expected >= 1",
                        o->min_resource);
    if (o->max_resource < o->min_resource)
        return nnt_fail(err, NNT_ERR_ARG,
                        "hyperband pruner: max_resource %d: expected >= min_resource (%d)",
                        o->max_resource, o->min_resource);
    if (o->eta < 2)
        return nnt_fail(err, NNT_ERR_ARG, "hyperband pruner: eta %d: expected >= 2", o->eta);
    return NNT_OK;
}

/* eta^k as a double (exact for the sizes allowed here). */
static double ipow(int eta, int k)
{
    double r = 1;
    for (int i = 0; i < k; i++) r *= eta;
    return r;
}

int nnt_hyperband_brackets(const nnt_hyperband_options *opt, nnt_hyperband_bracket *out, int max)
{
    nnt_hyperband_options o = opt ? *opt : nnt_hyperband_options_default();
    if (check_options(&o, NULL) != NNT_OK) return NNT_ERR_ARG;
    /* s_max = floor(log_eta(R / r_min)), in integers to dodge log rounding. */
    int s_max = 0;
    long long p = o.min_resource;
    while (p * o.eta <= o.max_resource) {
        p *= o.eta;
        s_max++;
    }
    int nb = s_max + 1;
    if (nb > max || nb > NNT_HYPERBAND_MAX_BRACKETS) return NNT_ERR_ARG;
    for (int b = 0; b < nb; b++) {
        int s = s_max - b;
        nnt_hyperband_bracket *br = &out[b];
        memset(br, 0, sizeof *br);
        br->s = s;
        br->n_rungs = s + 1;
        /* n = ceil((s_max+1)/(s+1) * eta^s), r = R * eta^-s */
        long long es = (long long)ipow(o.eta, s);
        long long n = ((long long)(s_max + 1) * es + s) / (s + 1);
        for (int i = 0; i <= s; i++) {
            br->n[i] = (long)(n / (long long)ipow(o.eta, i));
            double r = (double)o.max_resource * ipow(o.eta, i) / (double)es;
            long ri = (long)(r + 0.5);
            br->r[i] = ri < 1 ? 1 : (ri > INT_MAX ? INT_MAX : (int)ri);
        }
    }
    return nb;
}

/* ==== Dealing trials to brackets =============================================== */

/* Smooth weighted round-robin (as in nginx's upstream balancer): each step
 * every bracket earns its weight, the richest (lowest index on ties) is
 * chosen and pays the total. Over sum(w) steps bracket b is chosen exactly
 * w_b times, spread evenly. Fills seq[0..total-1]. */
static void deal(const nnt_hyperband_bracket *br, int nb, int *seq, long total)
{
    long long cur[NNT_HYPERBAND_MAX_BRACKETS] = {0};
    for (long t = 0; t < total; t++) {
        int pick = 0;
        for (int b = 0; b < nb; b++) {
            cur[b] += br[b].n[0];
            if (cur[b] > cur[pick]) pick = b;
        }
        cur[pick] -= total;
        seq[t] = pick;
    }
}

#define MAX_CYCLE 10000000L

static long cycle_length(const nnt_hyperband_bracket *br, int nb)
{
    long total = 0;
    for (int b = 0; b < nb; b++) {
        total += br[b].n[0];
        if (total > MAX_CYCLE) return -1;
    }
    return total;
}

int nnt_hyperband_bracket_of(const nnt_hyperband_options *opt, int number)
{
    nnt_hyperband_bracket br[NNT_HYPERBAND_MAX_BRACKETS];
    int nb = nnt_hyperband_brackets(opt, br, NNT_HYPERBAND_MAX_BRACKETS);
    if (nb < 0 || number < 0) return NNT_ERR_ARG;
    long total = cycle_length(br, nb);
    if (total < 0) return NNT_ERR_ARG;
    int *seq = nnt__malloc_array((size_t)total, sizeof *seq);
    if (!seq) return NNT_ERR_NOMEM;
    deal(br, nb, seq, total);
    int b = seq[number % total];
    nnt__free(seq);
    return b;
}

/* ==== The pruner ================================================================ */

typedef struct hb_ctx {
    nnt_hyperband_options opt;
    int nb;
    nnt_hyperband_bracket br[NNT_HYPERBAND_MAX_BRACKETS];
    long total;
    int *seq;
} hb_ctx;

static int bracket_of(const hb_ctx *c, int number)
{
    return number < 0 ? 0 : c->seq[number % c->total];
}

static int same_bracket(const void *gctx, int number, int other)
{
    const hb_ctx *c = gctx;
    return bracket_of(c, number) == bracket_of(c, other);
}

static int hb_should_prune(void *vctx, const nnt_history *hist, int number, int epoch,
                           double value_oriented)
{
    const hb_ctx *c = vctx;
    const nnt_hyperband_bracket *br = &c->br[bracket_of(c, number)];
    /* The last rung is the full budget: the trial ends there anyway. */
    for (int i = 0; i + 1 < br->n_rungs; i++) {
        if (br->r[i] != epoch) continue;
        return nnt__prune_rung_decision(hist, number, epoch, value_oriented, c->opt.eta, same_bracket,
                                        c);
    }
    return 0;
}

static void hb_free(void *vctx)
{
    hb_ctx *c = vctx;
    if (!c) return;
    nnt__free(c->seq);
    nnt__free(c);
}

int nnt_pruner_hyperband_create(const nnt_hyperband_options *opt, nnt_pruner *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "hyperband pruner: NULL output");
    memset(out, 0, sizeof *out);
    nnt_hyperband_options o = opt ? *opt : nnt_hyperband_options_default();
    int rc = check_options(&o, err);
    if (rc != NNT_OK) return rc;
    hb_ctx *c = nnt__calloc(1, sizeof *c);
    if (!c) return nnt_fail(err, NNT_ERR_NOMEM, "hyperband pruner: out of memory");
    c->opt = o;
    c->nb = nnt_hyperband_brackets(&o, c->br, NNT_HYPERBAND_MAX_BRACKETS);
    c->total = c->nb > 0 ? cycle_length(c->br, c->nb) : -1;
    if (c->nb < 0 || c->total < 0) {
        hb_free(c);
        return nnt_fail(err, NNT_ERR_ARG,
                        "hyperband pruner: max_resource %d / min_resource %d with eta %d gives "
                        "too many brackets",
                        o.max_resource, o.min_resource, o.eta);
    }
    c->seq = nnt__malloc_array((size_t)c->total, sizeof *c->seq);
    if (!c->seq) {
        hb_free(c);
        return nnt_fail(err, NNT_ERR_NOMEM, "hyperband pruner: out of memory");
    }
    deal(c->br, c->nb, c->seq, c->total);
    out->name = "hyperband";
    out->ctx = c;
    out->should_prune = hb_should_prune;
    out->free_ctx = hb_free;
    return NNT_OK;
}
