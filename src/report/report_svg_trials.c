/* Inline SVG plots of a report, one point or line per trial: optimisation
 * history, parallel coordinates, slices, batch size against learning rate.
 * Each plot is one self-contained <svg> with axes, ticks and labels; points
 * and lines carry a <title> (hover text) naming the trial and its
 * parameters. Colours and sizes are attributes, so the plots look the same
 * with or without the page's CSS. Large studies draw most trials as a cloud
 * (report_plot.h); values far off the bulk sit on the edge as triangles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "report/report_plot.h"

/* Off-scale points get hover text up to this many per plot. */
#define MAX_OFFSCALE_TITLES 200

/* Robust range of the objective over the complete (and, with pruned, the
 * pruned) trials with a value. */
static vrange objective_range(const nnt_report *r, int pruned, int *oom)
{
    vrange none = {NAN, NAN, 0, NAN};
    double *v = nnt__malloc_array(r->n ? (size_t)r->n : 1, sizeof *v);
    if (!v) {
        *oom = 1;
        return none;
    }
    int m = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        int st = t->rec->state;
        if (isfinite(t->oriented) && (st == NNT_TRIAL_COMPLETE || (pruned && st == NNT_TRIAL_PRUNED)))
            v[m++] = t->rec->value;
    }
    vrange vr = nnt__robust_range(v, m, r->study.maximize);
    nnt__free(v);
    return vr;
}

/* A point of trial t at (x, value v on ay): its own marker, a dot of the
 * cloud, or, off-scale, a triangle on the edge whose hover text gives the
 * value. Returns 1 when the point is off-scale. */
static int trial_point(const nnt_report *r, rbuf *b, cloud *cl, const rtrial *t,
                       const char *shape, double x, const axis *ay, double v, const char *fill,
                       const char *stroke, int *titles)
{
    int off;
    double y = nnt__amap_clip(ay, v, &off);
    if (off) {
        /* a pixel axis runs upwards: the high end of the values is at the top */
        int top = (ay->p1 < ay->p0) == (off > 0);
        const char *c = strcmp(fill, "#ffffff") && strcmp(fill, "none") ? fill : stroke;
        nnt__offscale_open(b, x, y, top, c);
        if ((*titles)++ < MAX_OFFSCALE_TITLES) {
            char buf[32];
            nnt__rb_printf(b, "<title>off-scale: trial %d (%s): ", t->rec->number,
                           nnt_trial_state_name(t->rec->state));
            nnt__rb_xml(b, r->study.metric);
            nnt__rb_printf(b, " %s</title>", nnt__fmt_value(buf, v));
        }
        nnt__marker_close(b, "triangle");
        return 1;
    }
    if (t->detail) nnt__trial_marker(r, b, t, shape, x, y, fill, stroke);
    else nnt__cloud_add(cl, x, y);
    return 0;
}

/* The off-scale note of a plot whose value axis is ay: right-aligned at
 * x_right, inside the plot next to the edge where the triangles are. */
static void note_offscale(rbuf *b, const axis *ay, double x_right, int n, const vrange *vr,
                          int maximize)
{
    if (n == 0) return;
    /* clipped values are the bad end: high for minimised metrics */
    int top = (ay->p1 < ay->p0) == !maximize;
    double y = (top ? fmin(ay->p0, ay->p1) + 14 : fmax(ay->p0, ay->p1) - 6);
    nnt__offscale_note(b, x_right, y, n, vr->extreme, top);
}

/* ---- 1. Optimisation history ------------------------------------------------ */
int nnt__svg_history(const nnt_report *r, rbuf *b, const char **note)
{
    if (r->n == 0) {
        *note = "no trials yet";
        return 0;
    }
    const int W = 760, H = 340;
    axis ax, ay;
    int oom = 0;
    vrange vr = objective_range(r, 1, &oom);
    if (oom) {
        b->oom = 1;
        return 0;
    }
    double nlo = INFINITY, nhi = -INFINITY;
    for (int i = 0; i < r->n; i++) {
        nlo = fmin(nlo, r->t[i].rec->number);
        nhi = fmax(nhi, r->t[i].rec->number);
    }
    nnt__axis_fit(&ax, nlo, nhi, 0, 0.03);
    ax.integer = 1;
    nnt__axis_fit(&ay, vr.lo, vr.hi, 0, 0.08);
    nnt__axes_place(&ax, &ay, 70, W - 20, H - 70, 36);
    double band = ay.p0 + 12; /* failed and running trials: a band below the axis */
    nnt__svg_open(b, W, H, "optimisation history");
    nnt__draw_xaxis(b, &ax, ay.p0 + 22, ay.p1, "trial number");
    nnt__draw_yaxis(b, &ay, ax.p0, ax.p1, r->study.metric);
    nnt__text_at(b, ax.p0 - 6, band + 4, "end", " fill=\"" C_FAILED "\"", "no value");
    /* best so far: a step line over complete trials in number order (the
     * best end is never off-scale) */
    nnt__rb_puts(b, "<polyline fill=\"none\" stroke=\"" C_BEST "\" stroke-width=\"1.5\" points=\"");
    double best = NAN;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (t->rec->state != NNT_TRIAL_COMPLETE || !isfinite(t->oriented)) continue;
        if (isfinite(best) && !(t->oriented < best)) continue;
        double x = nnt__amap(&ax, t->rec->number);
        if (isfinite(best)) nnt__rb_printf(b, "%.1f,%.1f ", x, nnt__amap(&ay, nnt__report_orient(r, best)));
        best = t->oriented;
        nnt__rb_printf(b, "%.1f,%.1f ", x, nnt__amap(&ay, nnt__report_orient(r, best)));
    }
    if (isfinite(best)) nnt__rb_printf(b, "%.1f,%.1f", ax.p1, nnt__amap(&ay, nnt__report_orient(r, best)));
    nnt__rb_puts(b, "\"><title>best value so far</title></polyline>");
    /* clouds under the trials drawn one by one */
    cloud cc, cp, cf, cr;
    nnt__cloud_init(&cc, W, H);
    nnt__cloud_init(&cp, W, H);
    nnt__cloud_init(&cf, W, H);
    nnt__cloud_init(&cr, W, H);
    rbuf top = {0};
    int n_off = 0, titles = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        double x = nnt__amap(&ax, t->rec->number);
        switch (t->rec->state) {
        case NNT_TRIAL_COMPLETE:
            if (isfinite(t->rec->value))
                n_off += trial_point(r, &top, &cc, t, "circle", x, &ay, t->rec->value, C_COMPLETE,
                                     "#ffffff", &titles);
            break;
        case NNT_TRIAL_PRUNED:
            if (isfinite(t->rec->value))
                n_off += trial_point(r, &top, &cp, t, "triangle", x, &ay, t->rec->value, "#ffffff",
                                     C_PRUNED, &titles);
            else if (t->detail)
                nnt__trial_marker(r, &top, t, "triangle", x, band, "#ffffff", C_PRUNED);
            else
                nnt__cloud_add(&cp, x, band);
            break;
        case NNT_TRIAL_FAILED:
            if (t->detail) nnt__trial_marker(r, &top, t, "cross", x, band, "none", C_FAILED);
            else nnt__cloud_add(&cf, x, band);
            break;
        default:
            if (t->detail) nnt__trial_marker(r, &top, t, "circle", x, band, "#ffffff", C_RUNNING);
            else nnt__cloud_add(&cr, x, band);
            break;
        }
    }
    nnt__cloud_emit(b, &cp, C_PRUNED, 5, 0, "0.7");
    nnt__cloud_emit(b, &cc, C_COMPLETE, 5, 0, "0.8");
    nnt__cloud_emit(b, &cf, C_FAILED, 5, 0, "0.8");
    nnt__cloud_emit(b, &cr, C_RUNNING, 5, 0, "0.8");
    if (top.oom) b->oom = 1;
    nnt__rb_add(b, top.p, top.len);
    nnt__rb_free(&top);
    note_offscale(b, &ay, ax.p1, n_off, &vr, r->study.maximize);
    double lx = ax.p0 + 16, ly = 16;
    nnt__legend_item(b, lx, ly, "circle", C_COMPLETE, "#ffffff", "complete");
    nnt__legend_item(b, lx + 90, ly, "triangle", "#ffffff", C_PRUNED, "pruned (best value reached)");
    nnt__legend_item(b, lx + 270, ly, "cross", "none", C_FAILED, "failed");
    nnt__legend_item(b, lx + 340, ly, "circle", "#ffffff", C_RUNNING, "running");
    nnt__legend_item(b, lx + 420, ly, "line", NULL, C_BEST, "best so far");
    nnt__svg_close(b);
    return 1;
}

/* ---- 2. Parallel coordinates ----------------------------------------------- */
/* One trial's line through the axes (integer pixels for cloud lines). */
static void parallel_line(const nnt_report *r, rbuf *b, const rtrial *t, const int *axes,
                          int na, const axis *ax, const double *xs, int coarse)
{
    int pen = 0, off;
    for (int j = 0; j <= na; j++) {
        double y;
        if (j < na) {
            if (!t->active[axes[j]]) {
                pen = 0; /* inactive parameter: the line breaks */
                continue;
            }
            y = nnt__param_pos(r, t, axes[j], &ax[j], 0.3);
        } else {
            y = nnt__amap_clip(&ax[j], t->rec->value, &off);
        }
        if (coarse) nnt__rb_printf(b, "%c%ld %ld", pen ? 'L' : 'M', lround(xs[j]), lround(y));
        else nnt__rb_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', xs[j], y);
        pen = 1;
    }
}

int nnt__svg_parallel(const nnt_report *r, rbuf *b, const char **note)
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
    axis *ax = nnt__calloc((size_t)n_ax, sizeof *ax);
    double *xs = nnt__calloc((size_t)n_ax, sizeof *xs);
    if (!ax || !xs) {
        nnt__free(ax);
        nnt__free(xs);
        b->oom = 1;
        return 0;
    }
    vscale vs = nnt__value_scale(r);
    for (int k = 0; k < n_ax; k++) {
        xs[k] = n_ax == 1 ? left : left + k * (right - left) / (n_ax - 1);
        if (k < na) {
            nnt__param_axis(r, axes[k], &ax[k]);
        } else {
            double a = nnt__report_orient(r, vs.best), c = nnt__report_orient(r, vs.worst);
            nnt__axis_fit(&ax[k], fmin(a, c), fmax(a, c), 0, 0.04);
        }
        ax[k].p0 = bottom;
        ax[k].p1 = top;
        ax[k].boxed = 1;
    }
    nnt__svg_open(b, W, H, "parallel coordinates");
    /* lines first, worst first so the best end on top; in a large study the
     * trials without hover text are an even sample of the rest, one path per
     * colour */
    char col[8];
    int rest = 0;
    for (int k = 0; k < r->n_ranked; k++) rest += !r->t[r->ranked[k]].detail;
    int stride = nnt__sample_stride(rest, REPORT_CLOUD_LINES);
    for (int bin = 0; bin < COLOUR_BINS && rest > 0; bin++) {
        int any = 0, seen = 0;
        for (int k = r->n_ranked - 1; k >= 0; k--) {
            const rtrial *t = &r->t[r->ranked[k]];
            if (t->detail) continue;
            if (seen++ % stride || !t->x_ok) continue;
            if (nnt__value_bin(nnt__vscale_t(&vs, t->oriented)) != bin) continue;
            if (!any) {
                nnt__value_colour_bin(bin, COLOUR_BINS, col);
                nnt__rb_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1\" "
                             "stroke-opacity=\"0.5\" d=\"",
                               col);
            }
            any = 1;
            parallel_line(r, b, t, axes, na, ax, xs, 1);
        }
        if (any) nnt__rb_puts(b, "\" />");
    }
    for (int k = r->n_ranked - 1; k >= 0; k--) {
        const rtrial *t = &r->t[r->ranked[k]];
        if (!t->x_ok || !t->detail) continue;
        nnt__value_colour(nnt__vscale_t(&vs, t->oriented), col);
        nnt__rb_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" stroke-opacity=\"0.8\" d=\"",
                       col);
        parallel_line(r, b, t, axes, na, ax, xs, 0);
        nnt__rb_puts(b, "\"><title>");
        nnt__report_hover(r, t, b);
        nnt__rb_puts(b, "</title></path>");
    }
    /* axes after the lines, their tick labels on white boxes */
    for (int j = 0; j < n_ax; j++) {
        const char *name = j < na ? r->info[axes[j]].name : r->study.metric;
        nnt__draw_yaxis(b, &ax[j], xs[j], 0, NULL);
        nnt__text_at(b, xs[j], top - 22, "middle", " font-weight=\"bold\"", name);
        if (ax[j].log) nnt__text_at(b, xs[j], top - 10, "middle", " fill=\"#666666\"", "log");
    }
    int n_off = 0, off;
    for (int k = 0; k < r->n_ranked; k++) {
        nnt__amap_clip(&ax[na], r->t[r->ranked[k]].rec->value, &off);
        n_off += off != 0;
    }
    if (n_off > 0) {
        char text[96];
        snprintf(text, sizeof text, "%d trial%s off-scale, at the %s end", n_off,
                 n_off == 1 ? "" : "s", r->study.maximize ? "bottom" : "top");
        nnt__text_at(b, xs[na], bottom + 24, "middle", " fill=\"" C_FAILED "\"" HALO, text);
    }
    nnt__colour_bar(r, b, &vs, W - 50, top + 10, bottom - 10);
    nnt__svg_close(b);
    nnt__free(ax);
    nnt__free(xs);
    return 1;
}

/* ---- 3. Slice plots (one panel per parameter) ------------------------------- */
/* The points coloured by value, one cloud per colour bin, then the layer
 * drawn over them (labelled points, markers); frees that layer. */
static void emit_value_layers(rbuf *b, cloud *bins, rbuf *top)
{
    char col[8];
    for (int k = 0; k < COLOUR_BINS; k++) {
        nnt__value_colour_bin(k, COLOUR_BINS, col);
        nnt__cloud_emit(b, &bins[k], col, 6, 0, "0.85");
    }
    if (top->oom) b->oom = 1;
    nnt__rb_add(b, top->p, top->len);
    nnt__rb_free(top);
}

int nnt__svg_slices(const nnt_report *r, rbuf *b, const char **note)
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
    int oom = 0;
    vrange vr = objective_range(r, 0, &oom);
    if (oom) {
        b->oom = 1;
        return 0;
    }
    vscale vs = nnt__value_scale(r);
    nnt__svg_open(b, W, H, "slice plots");
    char col[8];
    int n_off = 0, titles = 0;
    for (int i = 0; i < n; i++) {
        int p = ps[i];
        double ox = (i % cols) * pw, oy = (i / cols) * ph;
        axis ax, ay;
        nnt__param_axis(r, p, &ax);
        nnt__axis_fit(&ay, vr.lo, vr.hi, 0, 0.08);
        nnt__axes_place(&ax, &ay, ox + 62, ox + pw - 12, oy + ph - 52, oy + 14);
        nnt__draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, r->info[p].name);
        nnt__draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, i % cols == 0 ? r->study.metric : NULL);
        cloud bins[COLOUR_BINS];
        for (int k = 0; k < COLOUR_BINS; k++) nnt__cloud_init(&bins[k], W, H);
        rbuf top = {0};
        int off_here = 0;
        for (int k = r->n_ranked - 1; k >= 0; k--) {
            const rtrial *t = &r->t[r->ranked[k]];
            if (!t->x_ok || !t->active[p]) continue;
            double tv = nnt__vscale_t(&vs, t->oriented);
            nnt__value_colour(tv, col);
            off_here += trial_point(r, &top, &bins[nnt__value_bin(tv)], t, "circle",
                                    nnt__param_pos(r, t, p, &ax, 0.4), &ay, t->rec->value, col,
                                    "#333333", &titles);
        }
        emit_value_layers(b, bins, &top);
        if (off_here > n_off) n_off = off_here;
    }
    if (n_off > 0) {
        char text[96];
        snprintf(text, sizeof text, "%d trial%s off-scale in each panel (triangles at the edge)",
                 n_off, n_off == 1 ? "" : "s");
        nnt__text_at(b, W - 8, H - 4, "end", " fill=\"" C_FAILED "\"" HALO, text);
    }
    nnt__svg_close(b);
    return 1;
}

/* ---- 7. Batch size against learning rate -------------------------------------- */
int nnt__svg_batch_lr(const nnt_report *r, rbuf *b, const char **note)
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
        double x = nnt__param_number(r, &r->t[i], plr), y = nnt__param_number(r, &r->t[i], pbs);
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
    nnt__axis_fit(&ax, xlo, xhi, xlo > 0, 0.06);
    nnt__axis_fit(&ay, ylo, yhi, ylo > 0, 0.08);
    ay.integer = r->info[pbs].kind != NNT_PARAM_FLOAT;
    nnt__axes_place(&ax, &ay, 70, W - 100, H - 66, 40);
    vscale vs = nnt__value_scale(r);
    nnt__svg_open(b, W, H, "batch size against learning rate");
    nnt__draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, "lr");
    nnt__draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, "batch_size");
    char col[8];
    cloud bins[COLOUR_BINS], cf, cp;
    for (int k = 0; k < COLOUR_BINS; k++) nnt__cloud_init(&bins[k], W, H);
    nnt__cloud_init(&cf, W, H);
    nnt__cloud_init(&cp, W, H);
    rbuf top = {0};
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < r->n; k++) {
            /* other trials first, complete ones worst to best on top */
            const rtrial *t = pass == 0 ? &r->t[k] : (k < r->n_ranked ? &r->t[r->ranked[r->n_ranked - 1 - k]] : NULL);
            if (!t) break;
            int complete = t->rec->state == NNT_TRIAL_COMPLETE && isfinite(t->oriented);
            if (complete != (pass == 1)) continue;
            double x = nnt__param_number(r, t, plr), y = nnt__param_number(r, t, pbs);
            if (!isfinite(x) || !isfinite(y)) continue;
            unsigned h = (unsigned)t->rec->number * 2654435761u;
            double jy = ((h >> 16) % 1000 / 1000.0 - 0.5) * 8; /* batch sizes repeat: spread */
            double px = nnt__amap(&ax, x), py = nnt__amap(&ay, y) + jy;
            if (complete) {
                double tv = nnt__vscale_t(&vs, t->oriented);
                nnt__value_colour(tv, col);
                if (t->detail) nnt__trial_marker(r, &top, t, "circle", px, py, col, "#333333");
                else nnt__cloud_add(&bins[nnt__value_bin(tv)], px, py);
            } else if (t->rec->state == NNT_TRIAL_FAILED) {
                if (t->detail) nnt__trial_marker(r, &top, t, "cross", px, py, "none", C_FAILED);
                else nnt__cloud_add(&cf, px, py);
            } else if (t->detail) {
                nnt__trial_marker(r, &top, t, "triangle", px, py, "#ffffff",
                                  t->rec->state == NNT_TRIAL_PRUNED ? C_PRUNED : C_RUNNING);
            } else {
                nnt__cloud_add(&cp, px, py);
            }
        }
    }
    nnt__cloud_emit(b, &cp, C_PRUNED, 5, 0, "0.6");
    nnt__cloud_emit(b, &cf, C_FAILED, 5, 0, "0.8");
    emit_value_layers(b, bins, &top);
    if (r->n_ranked > 0) nnt__colour_bar(r, b, &vs, W - 60, 50, H - 90);
    nnt__legend_item(b, ax.p0 + 16, 16, "cross", "none", C_FAILED, "failed (e.g. diverged)");
    nnt__legend_item(b, ax.p0 + 200, 16, "triangle", "#ffffff", C_PRUNED, "pruned");
    nnt__svg_close(b);
    return 1;
}
