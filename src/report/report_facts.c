/* Per-trial facts of a report: overfitting and divergence (docs/report.md
 * has the rules). */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"
#include "report/report_internal.h"

/* ---- Overfitting and divergence ------------------------------------------- */
/* A trial overfits when, on fold 0: the curve metric's best validation epoch
 * b has at least 2 epochs after it; the last validation value is worse than
 * the best by more than tol = max(10% of the improvement made up to b,
 * 1e-3 * max(1, |best|)); the training loss at the last epoch is below
 * that at b; for a metric other than loss, the validation loss at the
 * last epoch is above that at b; and at the last epoch the training metric
 * is better than the validation metric by more than tol. */
static int detect_overfit(const rtrial *t, const char *metric, nnt_report_overfit *out)
{
    int n = t->n_rows0;
    if (n < 4) return 0;
    int up = nnt__report_metric_up(metric);
    int b = -1;
    double vb = NAN, vfirst_worst = NAN;
    for (int e = 0; e < n; e++) {
        double v = nnt__report_metric(&t->rows[e].valid, metric);
        if (!isfinite(v)) continue;
        double o = up ? -v : v;
        if (b < 0 || o < vb) {
            b = e;
            vb = o;
        }
    }
    if (b < 0 || n - 1 - b < 2) return 0;
    for (int e = 0; e <= b; e++) {
        double v = nnt__report_metric(&t->rows[e].valid, metric);
        if (!isfinite(v)) continue;
        double o = up ? -v : v;
        if (!(o <= vfirst_worst)) vfirst_worst = o;
    }
    const nnt_epoch_row *last = &t->rows[n - 1], *best = &t->rows[b];
    double vl = nnt__report_metric(&last->valid, metric);
    if (!isfinite(vl)) return 0;
    double ol = up ? -vl : vl;
    double improvement = vfirst_worst - vb;
    double tol = fmax(0.1 * improvement, 1e-3 * fmax(1.0, fabs(vb)));
    if (!(ol - vb > tol)) return 0;
    if (!(last->train.loss < best->train.loss)) return 0;
    /* a metric such as accuracy moves in steps on small validation sets:
     * require the validation loss to have risen too, when it is recorded */
    if (strcmp(metric, "loss") && isfinite(last->valid.loss) && isfinite(best->valid.loss) &&
        !(last->valid.loss > best->valid.loss))
        return 0;
    /* overfitting leaves the model better on its training data than on the
     * validation data; without that gap it is instability, not overfitting */
    double tr = nnt__report_metric(&last->train, metric);
    double gap = up ? tr - vl : vl - tr;
    if (!(gap > tol)) return 0;
    out->number = t->rec->number;
    out->best_epoch = best->epoch;
    out->last_epoch = last->epoch;
    out->best_valid = nnt__report_metric(&best->valid, metric);
    out->last_valid = vl;
    out->train_loss_best = best->train.loss;
    out->train_loss_last = last->train.loss;
    out->gap = gap;
    out->train_best = nnt__report_metric(&best->train, metric);
    out->train_last = tr;
    return 1;
}

static int is_diverged(const nnt_trial_record *rec)
{
    return rec->state == NNT_TRIAL_FAILED && rec->error && !strncmp(rec->error, "diverged", 8);
}

/* The learning rate of a diverged trial: its "lr" parameter, else the
 * "lr=" in its error ("diverged (lr=3)"), else its last epoch's rate. */
static double diverged_lr(const nnt_report *r, const rtrial *t)
{
    int p = r->space ? nnt_space_find(r->space, "lr") : -1;
    if (p >= 0 && t->x_ok && t->active[p]) return t->x[p];
    const char *s = strstr(t->rec->error, "lr=");
    if (s) {
        char *end;
        double v = strtod(s + 3, &end);
        if (end != s + 3 && isfinite(v)) return v;
    }
    if (t->n_rows > 0) return t->rows[t->n_rows - 1].lr;
    return NAN;
}

int nnt__report_compute_trial_facts(nnt_report *r, nnt_error *err)
{
    size_t n = r->n ? (size_t)r->n : 1;
    r->overfit = nnt__calloc(n, sizeof *r->overfit);
    r->diverged = nnt__calloc(n, sizeof *r->diverged);
    if (!r->overfit || !r->diverged) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    /* the curves use the objective metric when epochs record it, else loss */
    const char *metric = "loss";
    for (int i = 0; i < r->n && strcmp(metric, r->study.metric); i++)
        for (int e = 0; e < r->t[i].n_rows0; e++)
            if (isfinite(nnt__report_metric(&r->t[i].rows[e].valid, r->study.metric))) {
                metric = r->study.metric;
                break;
            }
    r->sum.curve_metric = metric;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (is_diverged(t->rec)) {
            nnt_report_diverged *d = &r->diverged[r->sum.n_diverged++];
            d->number = t->rec->number;
            d->lr = diverged_lr(r, t);
            d->error = t->rec->error;
        } else if (detect_overfit(t, metric, &r->overfit[r->sum.n_overfit])) {
            r->sum.n_overfit++;
        }
        r->sum.n_with_epochs += t->n_rows0 > 0;
    }
    /* The ones worth naming: the best-ranked. A trial's value is its best
     * epoch's, so overfitting after it matters for the trials one would pick. */
    int *rank = nnt__calloc(n, sizeof *rank);
    r->overfit_listed = nnt__malloc_array(n, sizeof *r->overfit_listed);
    if (!rank || !r->overfit_listed) {
        nnt__free(rank);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    for (int k = 0; k < r->n_ranked; k++) rank[r->ranked[k]] = k + 1;
    for (int i = 0, o = 0; i < r->n && o < r->sum.n_overfit; i++)
        if (r->overfit[o].number == r->t[i].rec->number) r->overfit[o++].rank = rank[i];
    nnt__free(rank);
    /* selection of the REPORT_OVERFIT_LISTED smallest ranks (unranked last) */
    int m = 0;
    for (int i = 0; i < r->sum.n_overfit; i++) {
        int key = r->overfit[i].rank > 0 ? r->overfit[i].rank : 1 << 30;
        int at = m < REPORT_OVERFIT_LISTED ? m++ : m;
        while (at > 0) {
            const nnt_report_overfit *q = &r->overfit[r->overfit_listed[at - 1]];
            if ((q->rank > 0 ? q->rank : 1 << 30) <= key) break;
            if (at < REPORT_OVERFIT_LISTED) r->overfit_listed[at] = r->overfit_listed[at - 1];
            at--;
        }
        if (at < REPORT_OVERFIT_LISTED) r->overfit_listed[at] = i;
    }
    r->n_overfit_listed = m;
    return NNT_OK;
}
