/* The median stopping rule (Golovin et al. 2017, "Google Vizier"): stop a
 * trial whose best value so far is worse than the median of the other
 * completed trials' best values up to the same epoch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/pruner_internal.h"

nnt_median_options nnt_median_options_default(void)
{
    nnt_median_options o;
    o.n_startup_trials = 5;
    o.n_warmup_epochs = 3;
    return o;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int median_should_prune(void *vctx, const nnt_history *hist, int number, int epoch,
                               double value_oriented)
{
    const nnt_median_options *o = vctx;
    if (epoch <= o->n_warmup_epochs || !hist) return 0;
    double *vals = nnt__malloc_array((size_t)hist->n + 1, sizeof *vals);
    if (!vals) return 0; /* out of memory: keep training rather than guess */
    int m = 0;
    for (int i = 0; i < hist->n; i++) {
        const nnt_trial_view *v = &hist->trials[i];
        if (v->number == number || v->state != NNT_TRIAL_COMPLETE) continue;
        /* A trial that stopped before `epoch` (early stopping, a shorter
         * budget) had converged: it counts with its best over all epochs. */
        double b = nnt__prune_best_upto(v, epoch);
        if (!isnan(b)) vals[m++] = b;
    }
    int stop = 0;
    if (m > 0 && m >= o->n_startup_trials) {
        qsort(vals, (size_t)m, sizeof *vals, cmp_double);
        double med = m % 2 ? vals[m / 2] : 0.5 * (vals[m / 2 - 1] + vals[m / 2]);
        double mine = nnt__prune_current_best(hist, number, epoch, value_oriented);
        stop = mine > med;
    }
    nnt__free(vals);
    return stop;
}

static void median_free(void *ctx) { nnt__free(ctx); }

int nnt_pruner_median_create(const nnt_median_options *opt, nnt_pruner *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "median pruner: NULL output");
    memset(out, 0, sizeof *out);
    nnt_median_options o = opt ? *opt : nnt_median_options_default();
    if (o.n_startup_trials < 0)
        return nnt_fail(err, NNT_ERR_ARG, "median pruner: n_startup_trials %d: expected >= 0",
                        o.n_startup_trials);
    if (o.n_warmup_epochs < 0)
        return nnt_fail(err, NNT_ERR_ARG, "median pruner: n_warmup_epochs %d: expected >= 0",
                        o.n_warmup_epochs);
    nnt_median_options *c = nnt__malloc(sizeof *c);
    if (!c) return nnt_fail(err, NNT_ERR_NOMEM, "median pruner: out of memory");
    *c = o;
    out->name = "median";
    out->ctx = c;
    out->should_prune = median_should_prune;
    out->free_ctx = median_free;
    return NNT_OK;
}
