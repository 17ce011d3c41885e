/* Hyperparameter importance: main-effect variance shares from partial
 * dependence over a random-forest surrogate (analysis.h has the method). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"
#include "tune/forest.h"
#include "tune/space_internal.h"

/* Background rows for the partial dependence: more add cost, not accuracy. */
#define MAX_BACKGROUND 256
#define INACTIVE_SENTINEL (-1.0)

nnt_importance_options nnt_importance_options_default(void)
{
    nnt_importance_options o;
    o.n_trees = 32;
    o.max_depth = 8;
    o.min_leaf = 2;
    o.grid_points = 16;
    o.seed = 1;
    o.epoch = 0;
    return o;
}

/* Feature value of parameter p at x (active): numeric ones on [0, 1] in their
 * own scale, categorical ones as the choice index. */
static double feature(const space_param *p, double x)
{
    if (p->kind == NNT_PARAM_CATEGORICAL || p->kind == NNT_PARAM_FIXED) return x;
    if (p->high <= p->low) return 0;
    if (p->log && p->low > 0) return (log(x) - log(p->low)) / (log(p->high) - log(p->low));
    return (x - p->low) / (p->high - p->low);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double variance(const double *v, int n)
{
    double m = 0, s = 0;
    for (int i = 0; i < n; i++) m += v[i];
    m /= n;
    for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    return s / n;
}

/* The value a trial is scored by under option `epoch` (see analysis.h), or
 * NAN when the trial does not take part. */
static double trial_score(const nnt_trial_view *v, int epoch)
{
    if (!v->x || !v->active) return NAN;
    if (epoch <= 0) return v->state == NNT_TRIAL_COMPLETE ? v->value : NAN;
    if (v->state != NNT_TRIAL_COMPLETE && v->state != NNT_TRIAL_PRUNED) return NAN;
    if (!v->intermediate || v->epochs < epoch) return NAN;
    double best = NAN;
    for (int e = 0; e < epoch; e++)
        if (isfinite(v->intermediate[e]) && !(v->intermediate[e] >= best)) best = v->intermediate[e];
    return best;
}

static int count_scored(const nnt_history *hist, int epoch)
{
    int n = 0;
    for (int i = 0; i < hist->n; i++) n += isfinite(trial_score(&hist->trials[i], epoch));
    return n;
}

int nnt_importance_pick_epoch(const nnt_history *hist, int want)
{
    if (!hist || want < 1) return 0;
    int complete = count_scored(hist, 0);
    if (complete >= want) return 0;
    int reach1 = count_scored(hist, 1);
    if (reach1 <= complete) return 0;
    int need = reach1 < want ? reach1 : want;
    int max_e = 0;
    for (int i = 0; i < hist->n; i++)
        if (hist->trials[i].epochs > max_e) max_e = hist->trials[i].epochs;
    for (int e = max_e; e >= 1; e--)
        if (count_scored(hist, e) >= need) return e;
    return 0;
}

int nnt_param_importance(const nnt_space *space, const nnt_history *hist,
                         const nnt_importance_options *opt, double *importance, nnt_error *err)
{
    if (!space || !hist || !importance)
        return nnt_fail(err, NNT_ERR_ARG, "importance: missing space, history or output");
    nnt_importance_options o = opt ? *opt : nnt_importance_options_default();
    if (o.n_trees < 1 || o.max_depth < 1 || o.min_leaf < 1 || o.grid_points < 2)
        return nnt_fail(err, NNT_ERR_ARG,
                        "importance: options need n_trees >= 1, max_depth >= 1, min_leaf >= 1 "
                        "and grid_points >= 2");
    int d = space->n;
    for (int p = 0; p < d; p++) importance[p] = 0;
    if (o.epoch < 0) return nnt_fail(err, NNT_ERR_ARG, "importance: epoch must be >= 0");
    int n = count_scored(hist, o.epoch);
    if (n < 4) {
        if (o.epoch > 0)
            return nnt_fail(err, NNT_ERR_ARG,
                            "importance: %d trial%s reached epoch %d; at least 4 are needed", n,
                            n == 1 ? "" : "s", o.epoch);
        return nnt_fail(err, NNT_ERR_ARG,
                        "importance: %d complete trial%s with a value; at least 4 are needed", n,
                        n == 1 ? "" : "s");
    }
    if (d == 0) return NNT_OK;

    double *X = nnt__malloc_array((size_t)n * d, sizeof *X);
    double *y = nnt__malloc_array((size_t)n, sizeof *y);
    uint8_t *act = nnt__malloc_array((size_t)n * d, 1);
    double *row = nnt__malloc_array((size_t)d, sizeof *row);
    double *col = nnt__malloc_array((size_t)n, sizeof *col);
    double *fp = nnt__malloc_array((size_t)(o.grid_points > n ? o.grid_points : n), sizeof *fp);
    rf_forest *f = NULL;
    int rc = X && y && act && row && col && fp ? NNT_OK : NNT_ERR_NOMEM;
    if (rc != NNT_OK) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "importance: out of memory");
        goto done;
    }
    int r = 0;
    for (int i = 0; i < hist->n; i++) {
        const nnt_trial_view *v = &hist->trials[i];
        double score = trial_score(v, o.epoch);
        if (!isfinite(score)) continue;
        for (int p = 0; p < d; p++) {
            int on = v->active[p] && !isnan(v->x[p]);
            act[(size_t)r * d + p] = (uint8_t)on;
            X[(size_t)r * d + p] = on ? feature(&space->p[p], v->x[p]) : INACTIVE_SENTINEL;
        }
        y[r++] = score;
    }
    rf_options ro = {o.n_trees, o.max_depth, o.min_leaf, 0, o.seed};
    rc = nnt__rf_fit(X, y, n, d, &ro, &f);
    if (rc != NNT_OK) {
        rc = nnt_fail(err, rc, "importance: %s fitting the forest", nnt_strerror(rc));
        goto done;
    }
    /* Background: every observed trial, or an even stride of them. */
    int nb = n < MAX_BACKGROUND ? n : MAX_BACKGROUND;
    for (int b = 0; b < nb; b++) {
        int i = (int)((long)b * n / nb);
        fp[b] = nnt__rf_predict(f, X + (size_t)i * d);
    }
    double total = variance(fp, nb);
    if (!(total > 1e-300)) goto done; /* constant surrogate: nothing explains anything */
    double sum = 0;
    for (int p = 0; p < d; p++) {
        if (space->p[p].kind == NNT_PARAM_FIXED) continue;
        int m = 0;
        for (int i = 0; i < n; i++)
            if (act[(size_t)i * d + p]) col[m++] = X[(size_t)i * d + p];
        if (m == 0) continue;
        qsort(col, (size_t)m, sizeof *col, cmp_double);
        int G = o.grid_points;
        for (int g = 0; g < G; g++) {
            /* Quantile grid: the observed distribution of p, not its range. */
            double v = col[(int)(((double)g + 0.5) / G * m)];
            double s = 0;
            for (int b = 0; b < nb; b++) {
                int i = (int)((long)b * n / nb);
                memcpy(row, X + (size_t)i * d, (size_t)d * sizeof *row);
                if (act[(size_t)i * d + p]) row[p] = v;
                s += nnt__rf_predict(f, row);
            }
            fp[g] = s / nb;
        }
        double share = variance(fp, G) / total;
        importance[p] = share > 1 ? 1 : share;
        sum += importance[p];
    }
    if (sum > 1)
        for (int p = 0; p < d; p++) importance[p] /= sum;
done:
    nnt__rf_free(f);
    nnt__free(X);
    nnt__free(y);
    nnt__free(act);
    nnt__free(row);
    nnt__free(col);
    nnt__free(fp);
    return rc;
}
