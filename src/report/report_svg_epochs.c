/* Inline SVG plots of a report, per epoch: learning curves, intermediate values.
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

/* ---- 5. Learning curves of the top trials ------------------------------------ */
static void curve_line(const nnt_report *r, rbuf *b, const rtrial *t, const axis *ax,
                       const axis *ay, const char *metric, int valid, const char *col)
{
    int any = 0;
    for (int e = 0; e < t->n_rows0; e++) {
        const nnt_metrics *m = valid ? &t->rows[e].valid : &t->rows[e].train;
        double v = report_metric(m, metric);
        if (!isfinite(v)) continue;
        if (!any)
            rb_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"",
                      col, valid ? " stroke-dasharray=\"5 3\"" : "");
        any = 1;
        rb_printf(b, "%.1f,%.1f ", amap(ax, t->rows[e].epoch), amap(ay, v));
    }
    if (!any) return;
    rb_printf(b, "\"><title>%s %s: ", valid ? "validation" : "train", metric);
    report_hover(r, t, b);
    rb_puts(b, "</title></polyline>");
}

int svg_curves(const nnt_report *r, rbuf *b, const char **note)
{
    int k = r->n_ranked < r->opt.top_k ? r->n_ranked : r->opt.top_k;
    if (k > 10) k = 10;
    int max_epoch = 0;
    for (int i = 0; i < k; i++) {
        const rtrial *t = &r->t[r->ranked[i]];
        if (t->n_rows0 > 0 && t->rows[t->n_rows0 - 1].epoch > max_epoch)
            max_epoch = t->rows[t->n_rows0 - 1].epoch;
    }
    if (k == 0 || max_epoch == 0) {
        *note = k == 0 ? "no completed trials yet" : "the top trials recorded no epochs";
        return 0;
    }
    const char *metrics[2] = {"loss", r->sum.curve_metric};
    int n_panels = strcmp(r->sum.curve_metric, "loss") ? 2 : 1;
    const int W = 760, H = 340;
    double pw = (W - 10) / n_panels;
    svg_open(b, W, H, "learning curves of the top trials");
    for (int pnl = 0; pnl < n_panels; pnl++) {
        const char *m = metrics[pnl];
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < k; i++) {
            const rtrial *t = &r->t[r->ranked[i]];
            for (int e = 0; e < t->n_rows0; e++) {
                double a = report_metric(&t->rows[e].train, m), c = report_metric(&t->rows[e].valid, m);
                if (isfinite(a)) { lo = fmin(lo, a); hi = fmax(hi, a); }
                if (isfinite(c)) { lo = fmin(lo, c); hi = fmax(hi, c); }
            }
        }
        axis ax, ay;
        axis_fit(&ax, 1, max_epoch, 0, 0.02);
        ax.integer = 1;
        axis_fit(&ay, lo, hi, 0, 0.06);
        ax.p0 = pnl * pw + 70;
        ax.p1 = (pnl + 1) * pw - 16;
        ay.p0 = H - 90;
        ay.p1 = 20;
        char lab[64];
        snprintf(lab, sizeof lab, "train and validation %s", m);
        draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, "epoch");
        draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, lab);
        for (int i = k - 1; i >= 0; i--) {
            const rtrial *t = &r->t[r->ranked[i]];
            curve_line(r, b, t, &ax, &ay, m, 0, plot_palette[i % 10]);
            curve_line(r, b, t, &ax, &ay, m, 1, plot_palette[i % 10]);
        }
    }
    double ly = H - 24, lx = 80;
    char lab[48];
    for (int i = 0; i < k; i++) {
        snprintf(lab, sizeof lab, "#%d trial %d", i + 1, r->t[r->ranked[i]].rec->number);
        legend_item(b, lx + i * 105, ly, "line", NULL, plot_palette[i % 10], lab);
    }
    legend_item(b, lx, ly + 16, "line", NULL, "#555555", "train");
    legend_item(b, lx + 105, ly + 16, "line", "dash", "#555555", "validation");
    svg_close(b);
    return 1;
}

/* ---- 6. Intermediate values and pruning -------------------------------------- */
int svg_intermediate(const nnt_report *r, rbuf *b, const char **note)
{
    const char *m = r->sum.curve_metric;
    double lo = INFINITY, hi = -INFINITY;
    int max_epoch = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        for (int e = 0; e < t->n_rows0; e++) {
            double v = report_metric(&t->rows[e].valid, m);
            if (!isfinite(v)) continue;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
            if (t->rows[e].epoch > max_epoch) max_epoch = t->rows[e].epoch;
        }
    }
    if (max_epoch == 0) {
        *note = "no trial has recorded a validation value per epoch yet";
        return 0;
    }
    const int W = 760, H = 340;
    axis ax, ay;
    axis_fit(&ax, 1, max_epoch, 0, 0.02);
    ax.integer = 1;
    axis_fit(&ay, lo, hi, 0, 0.06);
    ax.p0 = 70;
    ax.p1 = W - 20;
    ay.p0 = H - 66;
    ay.p1 = 36;
    char lab[64];
    snprintf(lab, sizeof lab, "validation %s", m);
    svg_open(b, W, H, "intermediate values");
    draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, "epoch");
    draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, lab);
    for (int pass = 0; pass < 2; pass++) { /* complete trials below the others */
        for (int i = 0; i < r->n; i++) {
            const rtrial *t = &r->t[i];
            int complete = t->rec->state == NNT_TRIAL_COMPLETE;
            if (complete != (pass == 0)) continue;
            const char *col = complete ? C_COMPLETE
                              : t->rec->state == NNT_TRIAL_PRUNED ? C_PRUNED
                              : t->rec->state == NNT_TRIAL_FAILED ? C_FAILED : C_RUNNING;
            int any = 0;
            double lx = NAN, lyv = NAN;
            for (int e = 0; e < t->n_rows0; e++) {
                double v = report_metric(&t->rows[e].valid, m);
                if (!isfinite(v)) continue;
                if (!any)
                    rb_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" "
                                 "stroke-opacity=\"%s\" points=\"",
                              col, complete ? "0.45" : "0.85");
                any = 1;
                lx = amap(&ax, t->rows[e].epoch);
                lyv = amap(&ay, v);
                rb_printf(b, "%.1f,%.1f ", lx, lyv);
            }
            if (!any) continue;
            rb_puts(b, "\"><title>");
            report_hover(r, t, b);
            rb_puts(b, "</title></polyline>");
            if (t->rec->state == NNT_TRIAL_PRUNED) {
                marker_open(b, "square", lx, lyv, C_PRUNED, "#ffffff");
                rb_printf(b, "<title>trial %d pruned after epoch %d: ", t->rec->number,
                          t->rows[t->n_rows0 - 1].epoch);
                report_hover(r, t, b);
                rb_puts(b, "</title>");
                marker_close(b, "square");
            } else if (t->rec->state == NNT_TRIAL_FAILED) {
                trial_marker(r, b, t, "cross", lx, lyv, "none", C_FAILED);
            }
        }
    }
    double lx = ax.p0 + 16, ly = 16;
    legend_item(b, lx, ly, "line", NULL, C_COMPLETE, "complete");
    legend_item(b, lx + 100, ly, "line", NULL, C_PRUNED, "pruned");
    legend_item(b, lx + 180, ly, "square", C_PRUNED, "#ffffff", "where pruning stopped a trial");
    legend_item(b, lx + 390, ly, "cross", "none", C_FAILED, "failed");
    svg_close(b);
    return 1;
}
