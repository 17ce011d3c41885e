/* Asynchronous successive halving (Li et al. 2020, "A System for Massively
 * Parallel Hyperparameter Tuning"), as a stop/continue rule: at each rung a
 * trial goes on only if it is in the top 1/eta of the results recorded at
 * that rung so far (prune.h has the exact rule). */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/pruner_internal.h"

nnt_asha_options nnt_asha_options_default(void)
{
    nnt_asha_options o;
    o.min_resource = 1;
    o.eta = 3;
    o.max_resource = 0;
    return o;
}

/* Whether epoch is min_resource * eta^k for some k >= 0. */
static int is_rung(const nnt_asha_options *o, int epoch)
{
    if (o->max_resource > 0 && epoch >= o->max_resource) return 0;
    long r = o->min_resource;
    while (r < epoch) r *= o->eta;
    return r == epoch;
}

static int asha_should_prune(void *vctx, const nnt_history *hist, int number, int epoch,
                             double value_oriented)
{
    const nnt_asha_options *o = vctx;
    if (!is_rung(o, epoch)) return 0;
    return nnt__prune_rung_decision(hist, number, epoch, value_oriented, o->eta, NULL, NULL);
}

static void asha_free(void *ctx) { nnt__free(ctx); }

int nnt_pruner_asha_create(const nnt_asha_options *opt, nnt_pruner *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "asha pruner: NULL output");
    memset(out, 0, sizeof *out);
    nnt_asha_options o = opt ? *opt : nnt_asha_options_default();
    if (o.min_resource < 1)
        return nnt_fail(err, NNT_ERR_ARG, "asha pruner: min_resource %d: expected >= 1",
                        o.min_resource);
    if (o.eta < 2) return nnt_fail(err, NNT_ERR_ARG, "asha pruner: eta %d: expected >= 2", o.eta);
    if (o.max_resource < 0)
        return nnt_fail(err, NNT_ERR_ARG, "asha pruner: max_resource %d: expected >= 0",
                        o.max_resource);
    nnt_asha_options *c = nnt__malloc(sizeof *c);
    if (!c) return nnt_fail(err, NNT_ERR_NOMEM, "asha pruner: out of memory");
    *c = o;
    out->name = "asha";
    out->ctx = c;
    out->should_prune = asha_should_prune;
    out->free_ctx = asha_free;
    return NNT_OK;
}
