/* Hyperparameter importance of a report: one computation that the summary,
 * the HTML bars, the Markdown/JSON forms and `nntune importance` all read. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"
#include "report/report_internal.h"

/* Clamps the values importance will score (oriented, lower is better) to
 * the robust range of report_internal.h: the final values of the complete
 * trials (epoch 0) or every intermediate value (epoch > 0). */
static int clamp_wild(nnt_trial_view *v, int m, int epoch, double *curves, size_t n_curves)
{
    size_t n = epoch > 0 ? n_curves : (size_t)m;
    double *tmp = nnt__malloc_array(n ? n : 1, sizeof *tmp);
    if (!tmp) return NNT_ERR_NOMEM;
    size_t k = 0;
    if (epoch > 0) {
        for (size_t i = 0; i < n_curves; i++) tmp[k++] = curves[i];
    } else {
        for (int i = 0; i < m; i++)
            if (v[i].state == NNT_TRIAL_COMPLETE) tmp[k++] = v[i].value;
    }
    vrange vr = nnt__robust_range(tmp, (int)k, 0);
    nnt__free(tmp);
    if (vr.n_clipped == 0) return NNT_OK;
    if (epoch > 0) {
        for (size_t i = 0; i < n_curves; i++)
            if (curves[i] > vr.hi) curves[i] = vr.hi;
    } else {
        for (int i = 0; i < m; i++)
            if (v[i].value > vr.hi) v[i].value = vr.hi;
    }
    return NNT_OK;
}

/* The one place importance is computed: analysis.h's forest-based main
 * effects over the trials that read back into the space: the complete ones,
 * or, when a pruner stopped most trials, every trial that reached a common
 * epoch, scored by its best validation value up to it. */
int nnt__report_compute_importance(nnt_report *r, nnt_error *err)
{
    r->sum.importance_explained = NAN;
    if (r->np == 0) return NNT_OK;
    int m = 0, complete = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (!t->x_ok || !isfinite(t->oriented)) continue;
        m++;
        complete += t->rec->state == NNT_TRIAL_COMPLETE;
    }
    char note[NNT_ERRMSG_MAX + 64];
    note[0] = '\0';
    size_t n_points = 0;
    for (int i = 0; i < r->n; i++)
        if (r->t[i].x_ok && isfinite(r->t[i].oriented)) n_points += (size_t)r->t[i].n_rows0;
    nnt_trial_view *v = nnt__calloc(m ? (size_t)m : 1, sizeof *v);
    double *curves = nnt__malloc_array(n_points ? n_points : 1, sizeof *curves);
    double *imp = nnt__malloc_array((size_t)r->np, sizeof *imp);
    if (!v || !curves || !imp) {
        nnt__free(v);
        nnt__free(curves);
        nnt__free(imp);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    int j = 0;
    size_t at = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (!t->x_ok || !isfinite(t->oriented)) continue;
        v[j].number = t->rec->number;
        v[j].state = t->rec->state;
        v[j].x = t->x;
        v[j].active = t->active;
        v[j].value = t->oriented;
        v[j].intermediate = curves + at;
        for (int e = 0; e < t->n_rows0; e++)
            curves[at + (size_t)v[j].epochs++] =
                nnt__report_orient(r, nnt__report_metric(&t->rows[e].valid, r->study.metric));
        at += (size_t)t->n_rows0;
        j++;
    }
    nnt_history h = {v, m};
    nnt_importance_options io = nnt_importance_options_default();
    io.seed = r->opt.seed;
    io.epoch = nnt_importance_pick_epoch(&h, NNT_IMPORTANCE_WANT_TRIALS);
    int scored = complete;
    if (io.epoch > 0) {
        scored = 0;
        for (int k = 0; k < m; k++) scored += v[k].epochs >= io.epoch;
    }
    /* The scores are counted at the edge of their bulk (the plots' off-scale
     * limit): a diverged trial at RMSE 1e4 among values near 60 would
     * otherwise be most of the variance, and importance would say which
     * parameter that one trial had. */
    if (clamp_wild(v, m, io.epoch, curves, at) != NNT_OK) {
        nnt__free(v);
        nnt__free(curves);
        nnt__free(imp);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    if (scored < 4) {
        snprintf(note, sizeof note,
                 "this study has %d complete trial%s; importance needs at least 4 (a few dozen "
                 "for firm estimates)",
                 complete, complete == 1 ? "" : "s");
    } else {
        nnt_error ierr;
        nnt_error_clear(&ierr);
        int rc = nnt_param_importance(r->space, &h, &io, imp, &ierr);
        if (rc == NNT_ERR_NOMEM) {
            nnt__free(v);
            nnt__free(curves);
            nnt__free(imp);
            return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
        }
        if (rc == NNT_OK) {
            double explained = 0;
            for (int p = 0; p < r->np; p++) {
                r->params[p].importance = imp[p];
                if (r->info[p].kind != NNT_PARAM_FIXED && isfinite(imp[p])) explained += imp[p];
            }
            r->sum.importance_explained = explained;
            r->sum.importance_epoch = io.epoch;
            r->sum.importance_trials = scored;
        } else {
            snprintf(note, sizeof note, "importance could not be computed: %s", ierr.message);
        }
    }
    nnt__free(v);
    nnt__free(curves);
    nnt__free(imp);
    if (note[0]) {
        r->importance_note = nnt__strdup(note);
        if (!r->importance_note) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    r->imp_order = nnt__malloc_array((size_t)r->np, sizeof *r->imp_order);
    if (!r->imp_order) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    for (int p = 0; p < r->np; p++) r->imp_order[p] = p;
    /* insertion sort: stable, and spaces are small */
    for (int i = 1; i < r->np; i++) {
        int p = r->imp_order[i], j = i;
        double vp = r->params[p].importance;
        while (j > 0) {
            double vq = r->params[r->imp_order[j - 1]].importance;
            int before = isfinite(vp) && (!isfinite(vq) || vp > vq);
            if (!before) break;
            r->imp_order[j] = r->imp_order[j - 1];
            j--;
        }
        r->imp_order[j] = p;
    }
    return NNT_OK;
}
