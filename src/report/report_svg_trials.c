/* Inline SVG plots of a report, per trial: history, parallel coordinates, slices, batch size against lr.
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

/* ---- 1. Optimisation history ------------------------------------------------ */
int svg_history(const nnt_report *r, rbuf *b, const char **note)
{
    if (r->n == 0) {
        *note = "no trials yet";
        return 0;
    }
    const int W = 760, H = 340;
    axis ax, ay;
    double lo = INFINITY, hi = -INFINITY, nlo = INFINITY, nhi = -INFINITY;
    for (int i = 0; i < r->n; i++) {
        double v = r->t[i].rec->value;
        if (isfinite(r->t[i].oriented)) {
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        nlo = fmin(nlo, r->t[i].rec->number);
        nhi = fmax(nhi, r->t[i].rec->number);
    }
    axis_fit(&ax, nlo, nhi, 0, 0.03);
    ax.integer = 1;
    axis_fit(&ay, lo, hi, 0, 0.08);
    ax.p0 = 70;
    ax.p1 = W - 20;
    ay.p0 = H - 70;
    ay.p1 = 36;
    double band = ay.p0 + 12; /* failed and running trials: a band below the axis */
    svg_open(b, W, H, "optimisation history");
    draw_xaxis(b, &ax, ay.p0 + 22, ay.p1, "trial number");
    draw_yaxis(b, &ay, ax.p0, ax.p1, r->study.metric);
    text_at(b, ax.p0 - 6, band + 4, "end", " fill=\"" C_FAILED "\"", "no value");
    /* best so far: a step line over complete trials in number order */
    rb_puts(b, "<polyline fill=\"none\" stroke=\"" C_BEST "\" stroke-width=\"1.5\" points=\"");
    double best = NAN, px = NAN;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (t->rec->state != NNT_TRIAL_COMPLETE || !isfinite(t->oriented)) continue;
        double x = amap(&ax, t->rec->number);
        if (isfinite(best) && t->oriented < best)
            rb_printf(b, "%.1f,%.1f ", x, amap(&ay, report_orient(r, best)));
        if (!(t->oriented >= best)) best = t->oriented;
        rb_printf(b, "%.1f,%.1f ", x, amap(&ay, report_orient(r, best)));
        px = x;
    }
    if (isfinite(best)) rb_printf(b, "%.1f,%.1f", ax.p1, amap(&ay, report_orient(r, best)));
    (void)px;
    rb_puts(b, "\"><title>best value so far</title></polyline>");
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        double x = amap(&ax, t->rec->number);
        switch (t->rec->state) {
        case NNT_TRIAL_COMPLETE:
            if (isfinite(t->rec->value))
                trial_marker(r, b, t, "circle", x, amap(&ay, t->rec->value), C_COMPLETE, "#ffffff");
            break;
        case NNT_TRIAL_PRUNED:
            if (isfinite(t->rec->value))
                trial_marker(r, b, t, "triangle", x, amap(&ay, t->rec->value), "#ffffff", C_PRUNED);
            else
                trial_marker(r, b, t, "triangle", x, band, "#ffffff", C_PRUNED);
            break;
        case NNT_TRIAL_FAILED: trial_marker(r, b, t, "cross", x, band, "none", C_FAILED); break;
        default: trial_marker(r, b, t, "circle", x, band, "#ffffff", C_RUNNING); break;
        }
    }
    double lx = ax.p0 + 16, ly = 16;
    legend_item(b, lx, ly, "circle", C_COMPLETE, "#ffffff", "complete");
    legend_item(b, lx + 90, ly, "triangle", "#ffffff", C_PRUNED, "pruned (best value reached)");
    legend_item(b, lx + 270, ly, "cross", "none", C_FAILED, "failed");
    legend_item(b, lx + 340, ly, "circle", "#ffffff", C_RUNNING, "running");
    legend_item(b, lx + 420, ly, "line", NULL, C_BEST, "best so far");
    svg_close(b);
    return 1;
}

/* ---- 2. Parallel coordinates ----------------------------------------------- */
int svg_parallel(const nnt_report *r, rbuf *b, const char **note)
{
    int axes[256];
    int na = 0;
    for (int p = 0; p < r->np && na < (int)(sizeof axes / sizeof *axes) - 1; p++)
        if (r->info[p].kind != NNT_PARAM_FIXED) axes[na++] = p;
    if (r->n_ranked == 0) {
        *note = "no completed trials yet";
        return 0;
    }
    if (na == 0) {
        *note = "the search space has no parameter that varies";
        return 0;
    }
    int n_ax = na + 1;
    /* room for each axis's name and tick labels */
    const int W = 70 + 100 * (n_ax - 1) + 100 > 760 ? 70 + 100 * (n_ax - 1) + 100 : 760, H = 360;
    double left = 70, right = W - 100, top = 50, bottom = H - 40;
    axis *ax = nnt_calloc((size_t)n_ax, sizeof *ax);
    double *xs = nnt_calloc((size_t)n_ax, sizeof *xs);
    if (!ax || !xs) {
        nnt_free(ax);
        nnt_free(xs);
        b->oom = 1;
        return 0;
    }
    for (int k = 0; k < n_ax; k++) {
        xs[k] = n_ax == 1 ? left : left + k * (right - left) / (n_ax - 1);
        if (k < na) {
            param_axis(r, axes[k], &ax[k]);
        } else {
            vscale vs = value_scale(r);
            double a = report_orient(r, vs.best), c = report_orient(r, vs.worst);
            axis_fit(&ax[k], fmin(a, c), fmax(a, c), 0, 0.04);
        }
        ax[k].p0 = bottom;
        ax[k].p1 = top;
    }
    vscale vs = value_scale(r);
    svg_open(b, W, H, "parallel coordinates");
    /* lines first, worst first so the best end on top */
    char col[8];
    for (int k = r->n_ranked - 1; k >= 0; k--) {
        const rtrial *t = &r->t[r->ranked[k]];
        if (!t->x_ok) continue;
        value_colour(vscale_t(&vs, t->oriented), col);
        rb_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" stroke-opacity=\"0.8\" d=\"",
                  col);
        int pen = 0;
        for (int j = 0; j < n_ax; j++) {
            double y;
            if (j < na) {
                if (!t->active[axes[j]]) {
                    pen = 0; /* inactive parameter: the line breaks */
                    continue;
                }
                y = param_pos(r, t, axes[j], &ax[j], 0.3);
            } else {
                y = amap(&ax[j], t->rec->value);
            }
            rb_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', xs[j], y);
            pen = 1;
        }
        rb_puts(b, "\"><title>");
        report_hover(r, t, b);
        rb_puts(b, "</title></path>");
    }
    for (int j = 0; j < n_ax; j++) {
        const char *name = j < na ? r->info[axes[j]].name : r->study.metric;
        draw_yaxis(b, &ax[j], xs[j], 0, NULL);
        text_at(b, xs[j], top - 22, "middle", " font-weight=\"bold\"", name);
        if (ax[j].log) text_at(b, xs[j], top - 10, "middle", " fill=\"#666666\"", "log");
    }
    colour_bar(r, b, &vs, W - 50, top + 10, bottom - 10);
    svg_close(b);
    nnt_free(ax);
    nnt_free(xs);
    return 1;
}

/* ---- 3. Slice plots (one panel per parameter) ------------------------------- */
int svg_slices(const nnt_report *r, rbuf *b, const char **note)
{
    int ps[256], n = 0;
    for (int p = 0; p < r->np && n < 256; p++)
        if (r->info[p].kind != NNT_PARAM_FIXED) ps[n++] = p;
    if (r->n_ranked == 0) {
        *note = "no completed trials yet";
        return 0;
    }
    if (n == 0) {
        *note = "the search space has no parameter that varies";
        return 0;
    }
    const int cols = n < 3 ? n : 3, pw = 250, ph = 210;
    int rows = (n + cols - 1) / cols;
    int W = cols * pw + 10, H = rows * ph + 10;
    if (W < 300) W = 300;
    vscale vs = value_scale(r);
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < r->n_ranked; k++) {
        lo = fmin(lo, r->t[r->ranked[k]].rec->value);
        hi = fmax(hi, r->t[r->ranked[k]].rec->value);
    }
    svg_open(b, W, H, "slice plots");
    char col[8];
    for (int i = 0; i < n; i++) {
        int p = ps[i];
        double ox = (i % cols) * pw, oy = (i / cols) * ph;
        axis ax, ay;
        param_axis(r, p, &ax);
        axis_fit(&ay, lo, hi, 0, 0.08);
        ax.p0 = ox + 62;
        ax.p1 = ox + pw - 12;
        ay.p0 = oy + ph - 52;
        ay.p1 = oy + 14;
        draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, r->info[p].name);
        draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, i % cols == 0 ? r->study.metric : NULL);
        for (int k = r->n_ranked - 1; k >= 0; k--) {
            const rtrial *t = &r->t[r->ranked[k]];
            if (!t->x_ok || !t->active[p]) continue;
            value_colour(vscale_t(&vs, t->oriented), col);
            trial_marker(r, b, t, "circle", param_pos(r, t, p, &ax, 0.4),
                         amap(&ay, t->rec->value), col, "#333333");
        }
    }
    svg_close(b);
    return 1;
}

/* ---- 7. Batch size against learning rate -------------------------------------- */
int svg_batch_lr(const nnt_report *r, rbuf *b, const char **note)
{
    int plr = r->space ? nnt_space_find(r->space, "lr") : -1;
    int pbs = r->space ? nnt_space_find(r->space, "batch_size") : -1;
    if (plr < 0 || pbs < 0 || r->info[plr].kind == NNT_PARAM_FIXED ||
        r->info[pbs].kind == NNT_PARAM_FIXED) {
        *note = "the search space does not vary both lr and batch_size";
        return 0;
    }
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int n = 0;
    for (int i = 0; i < r->n; i++) {
        double x = param_number(r, &r->t[i], plr), y = param_number(r, &r->t[i], pbs);
        if (!isfinite(x) || !isfinite(y)) continue;
        xlo = fmin(xlo, x); xhi = fmax(xhi, x);
        ylo = fmin(ylo, y); yhi = fmax(yhi, y);
        n++;
    }
    if (n == 0) {
        *note = "no trial has numeric lr and batch_size values";
        return 0;
    }
    const int W = 760, H = 360;
    axis ax, ay;
    axis_fit(&ax, xlo, xhi, xlo > 0, 0.06);
    axis_fit(&ay, ylo, yhi, ylo > 0, 0.08);
    ay.integer = r->info[pbs].kind != NNT_PARAM_FLOAT;
    ax.p0 = 70;
    ax.p1 = W - 100;
    ay.p0 = H - 66;
    ay.p1 = 40;
    vscale vs = value_scale(r);
    svg_open(b, W, H, "batch size against learning rate");
    draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, "lr");
    draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, "batch_size");
    char col[8];
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < r->n; k++) {
            /* other trials first, complete ones worst to best on top */
            const rtrial *t = pass == 0 ? &r->t[k] : (k < r->n_ranked ? &r->t[r->ranked[r->n_ranked - 1 - k]] : NULL);
            if (!t) break;
            int complete = t->rec->state == NNT_TRIAL_COMPLETE && isfinite(t->oriented);
            if (complete != (pass == 1)) continue;
            double x = param_number(r, t, plr), y = param_number(r, t, pbs);
            if (!isfinite(x) || !isfinite(y)) continue;
            unsigned h = (unsigned)t->rec->number * 2654435761u;
            double jy = ((h >> 16) % 1000 / 1000.0 - 0.5) * 8; /* batch sizes repeat: spread */
            double px = amap(&ax, x), py = amap(&ay, y) + jy;
            if (complete) {
                value_colour(vscale_t(&vs, t->oriented), col);
                trial_marker(r, b, t, "circle", px, py, col, "#333333");
            } else if (t->rec->state == NNT_TRIAL_FAILED) {
                trial_marker(r, b, t, "cross", px, py, "none", C_FAILED);
            } else {
                trial_marker(r, b, t, "triangle", px, py, "#ffffff",
                             t->rec->state == NNT_TRIAL_PRUNED ? C_PRUNED : C_RUNNING);
            }
        }
    }
    if (r->n_ranked > 0) colour_bar(r, b, &vs, W - 60, 50, H - 90);
    legend_item(b, ax.p0 + 16, 16, "cross", "none", C_FAILED, "failed (e.g. diverged)");
    legend_item(b, ax.p0 + 200, 16, "triangle", "#ffffff", C_PRUNED, "pruned");
    svg_close(b);
    return 1;
}
