/* Fold curves and their mean's peak (fold_curves.h). */
#include "tune/fold_curves.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

int nnt__fold_curves_init(nnt__fold_curves *c, int n_folds, int cap)
{
    memset(c, 0, sizeof *c);
    if (n_folds < 1) n_folds = 1;
    if (cap < 1) cap = 1;
    size_t n = (size_t)n_folds * (size_t)cap;
    c->value = nnt__malloc(n * sizeof *c->value);
    c->loss = nnt__malloc(n * sizeof *c->loss);
    c->reached = nnt__calloc((size_t)n_folds, sizeof *c->reached);
    if (!c->value || !c->loss || !c->reached) {
        nnt__fold_curves_free(c);
        return NNT_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) c->value[i] = c->loss[i] = NAN;
    c->n_folds = n_folds;
    c->cap = cap;
    return NNT_OK;
}

void nnt__fold_curves_free(nnt__fold_curves *c)
{
    nnt__free(c->value);
    nnt__free(c->loss);
    nnt__free(c->reached);
    memset(c, 0, sizeof *c);
}

void nnt__fold_curves_set(nnt__fold_curves *c, int fold, int epoch, double value, double loss)
{
    if (fold < 0 || fold >= c->n_folds || epoch < 1 || epoch > c->cap) return;
    size_t at = (size_t)fold * (size_t)c->cap + (size_t)(epoch - 1);
    c->value[at] = value;
    c->loss[at] = loss;
    if (epoch > c->reached[fold]) c->reached[fold] = epoch;
}

nnt__curve_peak nnt__fold_curves_peak(const nnt__fold_curves *c, int maximize)
{
    nnt__curve_peak p = {0, NAN, NAN, NAN};
    int last = c->cap, folds = 0;
    for (int f = 0; f < c->n_folds; f++) {
        if (c->reached[f] == 0) continue; /* a fold never run (a pruned trial's later ones) */
        folds++;
        if (c->reached[f] < last) last = c->reached[f];
    }
    if (folds == 0) return p;
    for (int e = 0; e < last; e++) {
        double sv = 0, sl = 0;
        for (int f = 0; f < c->n_folds; f++) {
            if (c->reached[f] == 0) continue;
            sv += c->value[(size_t)f * (size_t)c->cap + (size_t)e];
            sl += c->loss[(size_t)f * (size_t)c->cap + (size_t)e];
        }
        double v = sv / folds, l = sl / folds;
        if (!isfinite(v)) continue;
        int better = p.epoch == 0 || (maximize ? v > p.value : v < p.value) ||
                     (v == p.value && isfinite(l) && !(l >= p.loss));
        if (!better) continue;
        p.epoch = e + 1;
        p.value = v;
        p.loss = l;
    }
    if (p.epoch > 0 && folds > 1) {
        double ss = 0;
        for (int f = 0; f < c->n_folds; f++) {
            if (c->reached[f] == 0) continue;
            double d = c->value[(size_t)f * (size_t)c->cap + (size_t)(p.epoch - 1)] - p.value;
            ss += d * d;
        }
        p.spread = sqrt(ss / (folds - 1));
    }
    return p;
}

int nnt__fold_curves_peak_rows(const nnt_epoch_row *rows, size_t nr, nnt_metric metric,
                               int maximize, nnt__curve_peak *peak)
{
    nnt__curve_peak none = {0, NAN, NAN, NAN};
    *peak = none;
    int folds = 0, cap = 0;
    for (size_t i = 0; i < nr; i++) {
        if (rows[i].fold < 0 || rows[i].epoch < 1) continue;
        if (rows[i].fold >= folds) folds = rows[i].fold + 1;
        if (rows[i].epoch > cap) cap = rows[i].epoch;
    }
    if (folds == 0) return NNT_OK;
    nnt__fold_curves c;
    if (nnt__fold_curves_init(&c, folds, cap) < 0) return NNT_ERR_NOMEM;
    for (size_t i = 0; i < nr; i++)
        nnt__fold_curves_set(&c, rows[i].fold, rows[i].epoch, nnt_metrics_get(&rows[i].valid, metric),
                             rows[i].valid.loss);
    *peak = nnt__fold_curves_peak(&c, maximize);
    nnt__fold_curves_free(&c);
    return NNT_OK;
}
