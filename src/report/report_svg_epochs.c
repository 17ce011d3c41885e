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
        double v = nnt__report_metric(m, metric);
        if (!isfinite(v)) continue;
        if (!any)
            nnt__rb_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"",
                           col, valid ? " stroke-dasharray=\"5 3\"" : "");
        any = 1;
        nnt__rb_printf(b, "%.1f,%.1f ", nnt__amap(ax, t->rows[e].epoch), nnt__amap(ay, v));
    }
    if (!any) return;
    nnt__rb_printf(b, "\"><title>%s %s: ", valid ? "validation" : "train", metric);
    nnt__report_hover(r, t, b);
    nnt__rb_puts(b, "</title></polyline>");
}

int nnt__svg_curves(const nnt_report *r, rbuf *b, const char **note)
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
    nnt__svg_open(b, W, H, "learning curves of the top trials");
    for (int pnl = 0; pnl < n_panels; pnl++) {
        const char *m = metrics[pnl];
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < k; i++) {
            const rtrial *t = &r->t[r->ranked[i]];
            for (int e = 0; e < t->n_rows0; e++) {
                double a = nnt__report_metric(&t->rows[e].train, m), c = nnt__report_metric(&t->rows[e].valid, m);
                if (isfinite(a)) { lo = fmin(lo, a); hi = fmax(hi, a); }
                if (isfinite(c)) { lo = fmin(lo, c); hi = fmax(hi, c); }
            }
        }
        axis ax, ay;
        nnt__axis_fit(&ax, 1, max_epoch, 0, 0.02);
        ax.integer = 1;
        nnt__axis_fit(&ay, lo, hi, 0, 0.06);
        nnt__axes_place(&ax, &ay, pnl * pw + 70, (pnl + 1) * pw - 16, H - 90, 20);
        char lab[64];
        snprintf(lab, sizeof lab, "train and validation %s", m);
        nnt__draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, "epoch");
        nnt__draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, lab);
        for (int i = k - 1; i >= 0; i--) {
            const rtrial *t = &r->t[r->ranked[i]];
            curve_line(r, b, t, &ax, &ay, m, 0, nnt__plot_palette[i % 10]);
            curve_line(r, b, t, &ax, &ay, m, 1, nnt__plot_palette[i % 10]);
        }
    }
    double ly = H - 24, lx = 80;
    char lab[48];
    for (int i = 0; i < k; i++) {
        snprintf(lab, sizeof lab, "#%d trial %d", i + 1, r->t[r->ranked[i]].rec->number);
        nnt__legend_item(b, lx + i * 105, ly, "line", NULL, nnt__plot_palette[i % 10], lab);
    }
    nnt__legend_item(b, lx, ly + 16, "line", NULL, "#555555", "train");
    nnt__legend_item(b, lx + 105, ly + 16, "line", "dash", "#555555", "validation");
    nnt__svg_close(b);
    return 1;
}

/* ---- 6. Intermediate values and pruning -------------------------------------- */
/* Off-scale vertices of the curves get hover text up to this many. */
#define MAX_OFFSCALE_TITLES 200

static const char *state_colour(const rtrial *t)
{
    switch (t->rec->state) {
    case NNT_TRIAL_COMPLETE: return C_COMPLETE;
    case NNT_TRIAL_PRUNED: return C_PRUNED;
    case NNT_TRIAL_FAILED: return C_FAILED;
    default: return C_RUNNING;
    }
}

/* The validation curve of t: vertices clamped to the plot, one off-scale
 * triangle (into offs) for the farthest clipped epoch. Detail trials get a
 * polyline with hover text; the others append to the path data in cl.
 * Sets *lx, *ly to the last vertex; returns the off-scale vertices. */
static int curve_path(const nnt_report *r, rbuf *b, rbuf *cl, rbuf *offs, const rtrial *t,
                      const axis *ax, const axis *ay, const char *m, double *lx, double *ly,
                      int *titles)
{
    int any = 0, n_off = 0, far_e = -1, far_off = 0;
    double far_v = NAN;
    for (int e = 0; e < t->n_rows0; e++) {
        double v = nnt__report_metric(&t->rows[e].valid, m);
        if (!isfinite(v)) continue;
        int off;
        double x = nnt__amap(ax, t->rows[e].epoch), y = nnt__amap_clip(ay, v, &off);
        if (off) {
            n_off++;
            if (far_e < 0 || fabs(v) > fabs(far_v)) {
                far_e = e;
                far_v = v;
                far_off = off;
            }
        }
        if (t->detail) {
            if (!any)
                nnt__rb_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" "
                             "stroke-opacity=\"%s\" points=\"",
                               state_colour(t), t->rec->state == NNT_TRIAL_COMPLETE ? "0.45" : "0.85");
            nnt__rb_printf(b, "%.1f,%.1f ", x, y);
        } else {
            nnt__rb_printf(cl, "%c%ld %ld", any ? 'L' : 'M', lround(x), lround(y));
        }
        any = 1;
        *lx = x;
        *ly = y;
    }
    if (any && t->detail) {
        nnt__rb_puts(b, "\"><title>");
        nnt__report_hover(r, t, b);
        nnt__rb_puts(b, "</title></polyline>");
    }
    if (far_e >= 0) {
        char buf[32];
        int top = (ay->p1 < ay->p0) == (far_off > 0);
        double y = nnt__amap_clip(ay, far_v, &far_off);
        nnt__offscale_open(offs, nnt__amap(ax, t->rows[far_e].epoch), y, top, state_colour(t));
        if ((*titles)++ < MAX_OFFSCALE_TITLES) {
            nnt__rb_printf(offs, "<title>off-scale: trial %d (%s), epoch %d: validation ",
                           t->rec->number, nnt_trial_state_name(t->rec->state), t->rows[far_e].epoch);
            nnt__rb_xml(offs, m);
            nnt__rb_printf(offs, " %s</title>", nnt__fmt_value(buf, far_v));
        }
        nnt__marker_close(offs, "triangle");
    }
    return any ? n_off : -1;
}

/* 1 when a value of t's curve lies off the axis: such trials are always drawn. */
static int offscale_curve(const rtrial *t, const axis *ay, const char *m)
{
    for (int e = 0; e < t->n_rows0; e++) {
        double v = nnt__report_metric(&t->rows[e].valid, m);
        if (isfinite(v) && (v < ay->lo || v > ay->hi)) return 1;
    }
    return 0;
}

int nnt__svg_intermediate(const nnt_report *r, rbuf *b, const char **note)
{
    const char *m = r->sum.curve_metric;
    int max_epoch = 0;
    size_t n_points = 0;
    for (int i = 0; i < r->n; i++) n_points += (size_t)r->t[i].n_rows0;
    double *vals = nnt__malloc_array(n_points ? n_points : 1, sizeof *vals);
    if (!vals) {
        b->oom = 1;
        return 0;
    }
    int nv = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        for (int e = 0; e < t->n_rows0; e++) {
            double v = nnt__report_metric(&t->rows[e].valid, m);
            if (!isfinite(v)) continue;
            vals[nv++] = v;
            if (t->rows[e].epoch > max_epoch) max_epoch = t->rows[e].epoch;
        }
    }
    /* the bulk of the values: one diverged epoch must not flatten the rest */
    int up = nnt__report_metric_up(m);
    vrange vr = nnt__robust_range(vals, nv, up);
    nnt__free(vals);
    if (max_epoch == 0) {
        *note = "no trial has recorded a validation value per epoch yet";
        return 0;
    }
    const int W = 760, H = 340;
    axis ax, ay;
    nnt__axis_fit(&ax, 1, max_epoch, 0, 0.02);
    ax.integer = 1;
    nnt__axis_fit(&ay, vr.lo, vr.hi, 0, 0.06);
    nnt__axes_place(&ax, &ay, 70, W - 20, H - 66, 36);
    char lab[64];
    snprintf(lab, sizeof lab, "validation %s", m);
    nnt__svg_open(b, W, H, "intermediate values");
    nnt__draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, "epoch");
    nnt__draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, lab);
    /* In a large study the trials without hover text are an even sample of
     * at most REPORT_CLOUD_LINES, drawn as one path per state. */
    int rest = 0, n_detail = 0;
    for (int i = 0; i < r->n; i++) {
        rest += !r->t[i].detail && r->t[i].n_rows0 > 0;
        n_detail += r->t[i].detail && r->t[i].n_rows0 > 0;
    }
    int stride = nnt__sample_stride(rest, REPORT_CLOUD_LINES);
    int n_off = 0, titles = 0, seen = 0, drawn = 0;
    rbuf offs = {0}, cl[4] = {{0}}, top = {0};
    cloud stops, fails;
    nnt__cloud_init(&stops, W, H);
    nnt__cloud_init(&fails, W, H);
    static const char *const cl_colour[4] = {C_COMPLETE, C_PRUNED, C_FAILED, C_RUNNING};
    for (int pass = 0; pass < 2; pass++) { /* complete trials below the others */
        for (int i = 0; i < r->n; i++) {
            const rtrial *t = &r->t[i];
            int complete = t->rec->state == NNT_TRIAL_COMPLETE;
            if (complete != (pass == 0) || t->n_rows0 == 0) continue;
            if (!t->detail && seen++ % stride && !offscale_curve(t, &ay, m)) continue;
            int k = complete ? 0 : t->rec->state == NNT_TRIAL_PRUNED ? 1
                               : t->rec->state == NNT_TRIAL_FAILED ? 2 : 3;
            double lx = NAN, lyv = NAN;
            int o = curve_path(r, t->detail ? &top : b, &cl[k], &offs, t, &ax, &ay, m, &lx, &lyv,
                               &titles);
            if (o < 0) continue;
            n_off += o;
            drawn++;
            if (t->rec->state == NNT_TRIAL_PRUNED) {
                if (!t->detail) {
                    nnt__cloud_add(&stops, lx, lyv);
                    continue;
                }
                nnt__marker_open(&top, "square", lx, lyv, C_PRUNED, "#ffffff");
                nnt__rb_printf(&top, "<title>trial %d pruned after epoch %d: ", t->rec->number,
                               t->rows[t->n_rows0 - 1].epoch);
                nnt__report_hover(r, t, &top);
                nnt__rb_puts(&top, "</title>");
                nnt__marker_close(&top, "square");
            } else if (t->rec->state == NNT_TRIAL_FAILED) {
                if (t->detail) nnt__trial_marker(r, &top, t, "cross", lx, lyv, "none", C_FAILED);
                else nnt__cloud_add(&fails, lx, lyv);
            }
        }
    }
    for (int k = 0; k < 4; k++) {
        if (cl[k].len > 0)
            nnt__rb_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1\" stroke-opacity=\"%s\" "
                         "d=\"%s\" />",
                           cl_colour[k], k == 0 ? "0.35" : "0.6", cl[k].p);
        if (cl[k].oom) b->oom = 1;
        nnt__rb_free(&cl[k]);
    }
    if (top.oom || offs.oom) b->oom = 1;
    nnt__rb_add(b, top.p, top.len);
    nnt__cloud_emit(b, &stops, C_PRUNED, 6, 1, "0.9");
    nnt__cloud_emit(b, &fails, C_FAILED, 6, 0, "0.9");
    nnt__rb_add(b, offs.p, offs.len);
    nnt__rb_free(&top);
    nnt__rb_free(&offs);
    if (n_off > 0) {
        int at_top = (ay.p1 < ay.p0) == !up;
        char v[32], text[200];
        snprintf(text, sizeof text,
                 "%d value%s off-scale (farthest %s): clipped at the %s edge, a triangle per trial",
                 n_off, n_off == 1 ? "" : "s", nnt__fmt_short(v, vr.extreme), at_top ? "top" : "bottom");
        nnt__text_at(b, ax.p1, at_top ? ay.p1 + 14 : ay.p0 - 6, "end", " fill=\"" C_FAILED "\"" HALO, text);
    }
    if (stride > 1) {
        char text[160];
        snprintf(text, sizeof text,
                 "%d of %d curves drawn: the best, the off-scale ones and every %d%s of the rest",
                 drawn, n_detail + rest, stride,
                 stride == 2 ? "nd" : stride == 3 ? "rd" : "th");
        nnt__text_at(b, ax.p1, H - 6, "end", " fill=\"#555555\"", text);
    }
    double lx = ax.p0 + 16, ly = 16;
    nnt__legend_item(b, lx, ly, "line", NULL, C_COMPLETE, "complete");
    nnt__legend_item(b, lx + 100, ly, "line", NULL, C_PRUNED, "pruned");
    nnt__legend_item(b, lx + 180, ly, "square", C_PRUNED, "#ffffff", "where pruning stopped a trial");
    nnt__legend_item(b, lx + 390, ly, "cross", "none", C_FAILED, "failed");
    nnt__svg_close(b);
    return 1;
}
