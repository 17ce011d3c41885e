/* The pruner table: creating a pruner by name, freeing it, and the pieces the
 * built-in pruners share (curve scores and the successive-halving decision). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/pruner_internal.h"

/* ==== Curve scores ============================================================= */

static double finite_or_inf(double v) { return isnan(v) ? INFINITY : v; }

double nnt__prune_best_upto(const nnt_trial_view *v, int epoch)
{
    int m = v->epochs < epoch ? v->epochs : epoch;
    if (m <= 0 || !v->intermediate) return NAN;
    double best = INFINITY;
    for (int k = 0; k < m; k++) {
        double x = finite_or_inf(v->intermediate[k]);
        if (x < best) best = x;
    }
    return best;
}

double nnt__prune_current_best(const nnt_history *hist, int number, int epoch, double value_oriented)
{
    double best = finite_or_inf(value_oriented);
    if (!hist) return best;
    for (int i = 0; i < hist->n; i++) {
        const nnt_trial_view *v = &hist->trials[i];
        if (v->number != number) continue;
        /* Epochs before this one only: the history may or may not hold this
         * epoch's value already, and value_oriented is authoritative. */
        double b = nnt__prune_best_upto(v, epoch - 1);
        if (b < best) best = b;
        break;
    }
    return best;
}

/* ==== Successive halving at one rung ========================================== */

int nnt__prune_rung_decision(const nnt_history *hist, int number, int rung_epoch,
                             double value_oriented, int eta, prune_group_fn same_group,
                             const void *gctx)
{
    double mine = nnt__prune_current_best(hist, number, rung_epoch, value_oriented);
    int n_hist = hist ? hist->n : 0;
    double *vals = nnt__malloc_array((size_t)n_hist + 1, sizeof *vals);
    int m = 0;
    if (vals) vals[m++] = mine;
    for (int i = 0; vals && i < n_hist; i++) {
        const nnt_trial_view *v = &hist->trials[i];
        if (v->number == number || v->epochs < rung_epoch) continue;
        if (same_group && !same_group(gctx, number, v->number)) continue;
        vals[m++] = nnt__prune_best_upto(v, rung_epoch);
    }
    if (!vals) return 0; /* out of memory: keep training rather than guess */
    double best_other = INFINITY;
    for (int k = 1; k < m; k++)
        if (vals[k] < best_other) best_other = vals[k];
    int stop;
    if (m < eta) {
        /* Too few results to fill a top 1/eta: ASHA would start a new
         * configuration instead of promoting, but a trial cannot be paused, so
         * it goes on only while it leads the rung (as Optuna does). */
        stop = !(mine <= best_other);
    } else {
        /* Promotable: the k best. mine <= the k-th smallest value exactly
         * when fewer than k values are below mine: a count, not a sort,
         * since this runs at every rung report of every trial (the
         * coordinator's hot path, bench/bench_coordinator.c). */
        int k = m / eta, below = 0;
        for (int i = 0; i < m; i++) below += vals[i] < mine;
        stop = below >= k;
    }
    nnt__free(vals);
    return stop;
}

/* ==== The table ================================================================= */

int nnt_pruner_create(const char *name, int max_epochs, nnt_pruner *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "pruner: NULL output");
    memset(out, 0, sizeof *out);
    if (!name) return nnt_fail(err, NNT_ERR_ARG, "pruner: missing name");
    if (max_epochs < 0)
        return nnt_fail(err, NNT_ERR_ARG, "pruner \"%s\": max_epochs %d < 0", name, max_epochs);
    if (strcmp(name, "none") == 0) return NNT_OK;
    if (strcmp(name, "median") == 0) return nnt_pruner_median_create(NULL, out, err);
    if (strcmp(name, "asha") == 0) {
        nnt_asha_options o = nnt_asha_options_default();
        if (max_epochs > 0) o.max_resource = max_epochs;
        return nnt_pruner_asha_create(&o, out, err);
    }
    if (strcmp(name, "hyperband") == 0) {
        nnt_hyperband_options o = nnt_hyperband_options_default();
        if (max_epochs > 0) {
            o.max_resource = max_epochs;
            if (o.min_resource > max_epochs) o.min_resource = max_epochs;
        }
        return nnt_pruner_hyperband_create(&o, out, err);
    }
    return nnt_fail(err, NNT_ERR_ARG,
                    "pruner \"%s\": unknown; expected none, median, asha or hyperband", name);
}

void nnt_pruner_free(nnt_pruner *p)
{
    if (!p) return;
    if (p->free_ctx) p->free_ctx(p->ctx);
    memset(p, 0, sizeof *p);
}
