/* Inline SVG plots of a report, of the summary: importance, Pareto front.
 * Each plot is one self-contained <svg> with axes, ticks and labels; points
 * and lines carry a <title> (hover text) naming the trial and its
 * parameters. Colours and sizes are attributes, so the plots look the same
 * with or without the page's CSS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "report/report_plot.h"

/* ---- 4. Importance ----------------------------------------------------------- */
int nnt__svg_importance(const nnt_report *r, rbuf *b, const char **note)
{
    const nnt_report_summary *s = &r->sum;
    if (s->n_params == 0 || s->importance_note) {
        *note = "importance is not available for this study (see the summary)";
        return 0;
    }
    int n = 0;
    double mx = 0;
    for (int k = 0; k < s->n_params; k++) {
        const nnt_report_param *q = &s->params[s->importance_order[k]];
        if (q->kind == NNT_PARAM_FIXED || !isfinite(q->importance)) continue;
        n++;
        mx = fmax(mx, q->importance);
    }
    if (n == 0) {
        *note = "the search space has no parameter that varies";
        return 0;
    }
    /* percent on the axis, as on the bars and everywhere else */
    const int W = 760, bar = 24;
    int H = 86 + n * bar;
    axis ax;
    nnt__axis_fit(&ax, 0, mx > 0.05 ? fmin(100, mx * 110) : 10, 0, 0);
    ax.lo = 0;
    ax.p0 = 150;
    ax.p1 = W - 60;
    nnt__svg_open(b, W, H, "hyperparameter importance");
    nnt__draw_xaxis(b, &ax, 20 + n * bar + 6, 14, "% of the objective's variance explained on its own");
    int i = 0;
    char buf[32];
    for (int k = 0; k < s->n_params; k++) {
        const nnt_report_param *q = &s->params[s->importance_order[k]];
        if (q->kind == NNT_PARAM_FIXED || !isfinite(q->importance)) continue;
        double y = 20 + i * bar;
        double w = nnt__amap(&ax, 100 * q->importance) - ax.p0;
        nnt__text_at(b, ax.p0 - 8, y + bar / 2 + 4, "end", "", q->name);
        nnt__rb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"" C_COMPLETE "\">"
                     "<title>",
                       ax.p0, y + 3, w > 0 ? w : 0, bar - 6);
        nnt__rb_xml(b, q->name);
        snprintf(buf, sizeof buf, REPORT_PCT_FORMAT, 100 * q->importance);
        nnt__rb_printf(b, ": %s of the variance</title></rect>", buf);
        nnt__text_at(b, ax.p0 + (w > 0 ? w : 0) + 4, y + bar / 2 + 4, "start", "", buf);
        i++;
    }
    if (isfinite(s->importance_explained)) {
        char lab[128];
        snprintf(lab, sizeof lab, "main effects together: " REPORT_PCT_FORMAT
                 "; the rest is interactions and noise", 100 * s->importance_explained);
        nnt__text_at(b, ax.p0, H - 8, "start", " fill=\"#555555\"", lab);
    }
    nnt__svg_close(b);
    return 1;
}

/* ---- 8. Pareto front -------------------------------------------------------- */
/* The metric (y) against the first cost (x); with more objectives the front
 * is still computed over all of them, and the hover text gives every value. */
int nnt__svg_pareto(const nnt_report *r, rbuf *b, const char **note)
{
    if (!r->sum.multi_objective) {
        *note = "single-objective study: there is no Pareto front to show";
        return 0;
    }
    if (r->n_pareto == 0) {
        *note = "no complete trial has every objective measured yet";
        return 0;
    }
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (t->rec->state != NNT_TRIAL_COMPLETE || !nnt__report_has_values(r, t)) continue;
        xlo = fmin(xlo, t->rec->values[1]);
        xhi = fmax(xhi, t->rec->values[1]);
        ylo = fmin(ylo, t->rec->values[0]);
        yhi = fmax(yhi, t->rec->values[0]);
    }
    const int W = 760, H = 360;
    axis ax, ay;
    nnt__axis_fit(&ax, xlo, xhi, xlo > 0 && xhi / xlo > 20, 0.06);
    nnt__axis_fit(&ay, ylo, yhi, 0, 0.08);
    nnt__axes_place(&ax, &ay, 70, W - 20, H - 66, 40);
    nnt__svg_open(b, W, H, "Pareto front");
    char lab[96];
    snprintf(lab, sizeof lab, "%s (%s is better)", r->obj_names[1],
             r->obj_max[1] ? "higher" : "lower");
    nnt__draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, lab);
    snprintf(lab, sizeof lab, "%s (%s is better)", r->obj_names[0],
             r->obj_max[0] ? "higher" : "lower");
    nnt__draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, lab);
    if (r->n_objectives == 2) {
        /* the front as a staircase, in order of the cost */
        nnt__rb_puts(b, "<polyline fill=\"none\" stroke=\"" C_FAILED "\" stroke-width=\"1.2\" "
                   "stroke-dasharray=\"4 3\" points=\"");
        for (int i = r->n_pareto - 1; i >= 0; i--) {
            const nnt_trial_record *t = r->t[r->pareto[i]].rec;
            double x = nnt__amap(&ax, t->values[1]), y = nnt__amap(&ay, t->values[0]);
            if (i < r->n_pareto - 1) /* along at the previous level, then up */
                nnt__rb_printf(b, "%.1f,%.1f ", x, nnt__amap(&ay, r->t[r->pareto[i + 1]].rec->values[0]));
            nnt__rb_printf(b, "%.1f,%.1f ", x, y);
        }
        nnt__rb_puts(b, "\"><title>Pareto front</title></polyline>");
    }
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (t->rec->state != NNT_TRIAL_COMPLETE || !nnt__report_has_values(r, t)) continue;
        int on = 0;
        for (int j = 0; j < r->n_pareto && !on; j++) on = r->pareto[j] == i;
        if (on) continue;
        nnt__trial_marker(r, b, t, "circle", nnt__amap(&ax, t->rec->values[1]), nnt__amap(&ay, t->rec->values[0]),
                          "#c7c7c7", "#777777");
    }
    for (int j = 0; j < r->n_pareto; j++) {
        const rtrial *t = &r->t[r->pareto[j]];
        nnt__trial_marker(r, b, t, "circle", nnt__amap(&ax, t->rec->values[1]), nnt__amap(&ay, t->rec->values[0]),
                          C_FAILED, "#ffffff");
    }
    nnt__legend_item(b, ax.p0 + 16, 16, "circle", C_FAILED, "#ffffff", "on the Pareto front");
    nnt__legend_item(b, ax.p0 + 180, 16, "circle", "#c7c7c7", "#777777", "dominated");
    nnt__svg_close(b);
    return 1;
}
