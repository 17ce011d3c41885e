/* Inline SVG plots of a report. Each plot is one self-contained <svg> with
 * axes, ticks and labels; every point or line carries a <title> (hover
 * text) naming the trial and its parameters. Colours and sizes are set as
 * attributes, so the plots look the same with or without the page's CSS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "report/report_internal.h"

/* ---- Colours ---------------------------------------------------------------- */
#define C_COMPLETE "#1f77b4"
#define C_PRUNED "#ff7f0e"
#define C_FAILED "#d62728"
#define C_RUNNING "#7f7f7f"
#define C_BEST "#111111"
#define C_AXIS "#444444"
#define C_GRID "#e4e4e4"

/* Viridis-like scale, t in [0, 1]: dark purple (worst) to yellow (best). */
static void value_colour(double t, char out[8])
{
    static const unsigned char stops[5][3] = {
        {0x44, 0x01, 0x54}, {0x3b, 0x52, 0x8b}, {0x21, 0x91, 0x8c}, {0x5e, 0xc9, 0x62},
        {0xfd, 0xe7, 0x25}};
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    double f = t * 4;
    int i = (int)f;
    if (i > 3) i = 3;
    f -= i;
    int c[3];
    for (int k = 0; k < 3; k++)
        c[k] = (int)lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]));
    snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* Distinct colours for a handful of lines (learning curves). */
static const char *const palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* Position of an oriented value on the colour scale: 1 best, 0 worst. */
typedef struct vscale {
    double best, worst; /* oriented */
} vscale;

static vscale value_scale(const nnt_report *r)
{
    vscale s = {NAN, NAN};
    for (int k = 0; k < r->n_ranked; k++) {
        double o = r->t[r->ranked[k]].oriented;
        if (!(o >= s.best)) s.best = o;
        if (!(o <= s.worst)) s.worst = o;
    }
    return s;
}

static double vscale_t(const vscale *s, double oriented)
{
    if (!(s->worst > s->best)) return 1;
    return (s->worst - oriented) / (s->worst - s->best);
}

/* ---- Axes ------------------------------------------------------------------- */
typedef struct axis {
    double lo, hi;   /* data range shown */
    int log;
    double p0, p1;   /* pixels of lo and hi */
    int n_cat;       /* > 0: categorical, positions 0..n_cat-1 */
    const char *const *cat;
    int integer;     /* integer data: whole-number ticks (powers of 2 on log axes) */
} axis;

static double amap(const axis *a, double v)
{
    double t;
    if (a->log) t = (log(v) - log(a->lo)) / (log(a->hi) - log(a->lo));
    else t = (v - a->lo) / (a->hi - a->lo);
    return a->p0 + t * (a->p1 - a->p0);
}

/* Sets the range from data (NANs ignored by the caller), padded by pad of
 * the span on each side; a log axis needs lo > 0 (else it becomes linear). */
static void axis_fit(axis *a, double lo, double hi, int lg, double pad)
{
    a->n_cat = 0;
    a->cat = NULL;
    a->integer = 0;
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lg && !(lo > 0)) lg = 0;
    a->log = lg;
    if (lg) {
        double l = log(lo), h = log(hi);
        if (h - l < 1e-12) {
            l -= log(2);
            h += log(2);
        }
        double p = pad * (h - l);
        a->lo = exp(l - p);
        a->hi = exp(h + p);
    } else {
        if (hi - lo < 1e-12 * fmax(1, fabs(lo))) {
            double d = lo == 0 ? 0.5 : 0.1 * fabs(lo);
            lo -= d;
            hi += d;
        }
        double p = pad * (hi - lo);
        a->lo = lo - p;
        a->hi = hi + p;
    }
}

static void axis_cat(axis *a, int n, const char *const *names)
{
    a->log = 0;
    a->lo = -0.5;
    a->hi = n - 0.5;
    a->n_cat = n;
    a->cat = names;
    a->integer = 0;
}

#define MAX_TICKS 24

/* Tick values of a numeric axis: about max of them (t has MAX_TICKS slots). */
static int axis_ticks(const axis *a, double *t, int max)
{
    int n = 0;
    if (a->log && a->integer && a->hi / a->lo <= 8192) {
        int stride = 1;
        while ((log2(a->hi / a->lo) + 1) / stride > max) stride++;
        for (double v = pow(2, ceil(log2(a->lo) - 1e-9)); v <= a->hi * (1 + 1e-9) && n < MAX_TICKS;
             v *= pow(2, stride))
            t[n++] = v;
        if (n >= 2) return n;
        n = 0;
    }
    if (a->log) {
        double e0 = floor(log10(a->lo)), e1 = ceil(log10(a->hi));
        int decades = 0;
        for (double e = e0; e <= e1; e++) {
            double v = pow(10, e);
            if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9)) decades++;
        }
        static const double sub[3] = {1, 2, 5};
        int n_sub = decades >= 3 ? 1 : 3;
        int stride = 1;
        while ((e1 - e0 + 1) * n_sub / stride > max) stride++;
        for (double e = e0; e <= e1 && n < MAX_TICKS; e += stride)
            for (int k = 0; k < n_sub && n < MAX_TICKS; k++) {
                double v = sub[k] * pow(10, e);
                if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9)) t[n++] = v;
            }
        if (n >= 2) return n;
        n = 0; /* less than a decade: fall through to linear ticks */
    }
    double span = a->hi - a->lo;
    double raw = span / (max < 5 ? max : 5);
    double mag = pow(10, floor(log10(raw)));
    /* 1, 2, 5 or 10 times a power of ten, whichever is nearest in ratio */
    double step = mag, q = raw / mag;
    if (q >= 7.07) step = 10 * mag;
    else if (q >= 3.16) step = 5 * mag;
    else if (q >= 1.41) step = 2 * mag;
    if (a->integer && step < 1) step = 1;
    for (double v = ceil(a->lo / step - 1e-9) * step; v <= a->hi + 1e-9 * span && n < MAX_TICKS;
         v += step)
        t[n++] = fabs(v) < 1e-12 * span ? 0 : v;
    return n;
}

#define HALO " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\""

/* Tick marks that fit an axis of this many pixels. */
static int ticks_for(double pixels, double per_tick, int lo, int hi)
{
    int n = (int)(fabs(pixels) / per_tick);
    return n < lo ? lo : n > hi ? hi : n;
}

static void text_at(rbuf *b, double x, double y, const char *anchor, const char *extra,
                    const char *s)
{
    rb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor, extra);
    rb_xml(b, s);
    rb_puts(b, "</text>");
}

/* Horizontal axis at pixel row y; grid lines up to y_top. */
static void draw_xaxis(rbuf *b, const axis *a, double y, double y_top, const char *label)
{
    rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
              a->p0, y, a->p1, y);
    char buf[32];
    if (a->n_cat > 0) {
        for (int c = 0; c < a->n_cat; c++) {
            double x = amap(a, c);
            rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                      x, y, x, y + 4);
            text_at(b, x, y + 15, "middle", HALO, a->cat[c]);
        }
    } else {
        double t[MAX_TICKS];
        int n = axis_ticks(a, t, ticks_for(a->p1 - a->p0, 48, 2, 12));
        for (int i = 0; i < n; i++) {
            double x = amap(a, t[i]);
            rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_GRID "\" />",
                      x, y_top, x, y);
            rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                      x, y, x, y + 4);
            text_at(b, x, y + 15, "middle", HALO, fmt_short(buf, t[i]));
        }
    }
    if (label) {
        char lab[160];
        snprintf(lab, sizeof lab, "%s%s", label, a->log ? " (log scale)" : "");
        text_at(b, (a->p0 + a->p1) / 2, y + 32, "middle", " font-weight=\"bold\"", lab);
    }
}

/* Vertical axis at pixel column x; grid lines to x_right (0: none). */
static void draw_yaxis(rbuf *b, const axis *a, double x, double x_right, const char *label)
{
    rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
              x, a->p0, x, a->p1);
    char buf[32];
    if (a->n_cat > 0) {
        for (int c = 0; c < a->n_cat; c++) {
            double y = amap(a, c);
            rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                      x - 4, y, x, y);
            text_at(b, x - 6, y + 4, "end", HALO, a->cat[c]);
        }
    } else {
        double t[MAX_TICKS];
        int n = axis_ticks(a, t, ticks_for(a->p0 - a->p1, 26, 2, 10));
        for (int i = 0; i < n; i++) {
            double y = amap(a, t[i]);
            if (x_right > x)
                rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_GRID "\" />",
                          x, y, x_right, y);
            rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                      x - 4, y, x, y);
            text_at(b, x - 6, y + 4, "end", HALO, fmt_short(buf, t[i]));
        }
    }
    if (label) {
        char lab[160];
        snprintf(lab, sizeof lab, "%s%s", label, a->log ? " (log scale)" : "");
        double cy = (a->p0 + a->p1) / 2;
        rb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"bold\" "
                     "transform=\"rotate(-90 %.1f %.1f)\">",
                  x - 46, cy, x - 46, cy);
        rb_xml(b, lab);
        rb_puts(b, "</text>");
    }
}

static void svg_open(rbuf *b, int w, int h, const char *label)
{
    rb_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                 "height=\"%d\" role=\"img\" aria-label=\"",
              w, h, w, h);
    rb_xml(b, label);
    rb_puts(b, "\" font-size=\"11\">");
}

static void svg_close(rbuf *b) { rb_puts(b, "</svg>"); }

/* Vertical colour bar of the value scale at x, from y0 (best) to y1. */
static void colour_bar(const nnt_report *r, rbuf *b, const vscale *vs, double x, double y0,
                       double y1)
{
    int steps = 24;
    double h = (y1 - y0) / steps;
    char col[8], buf[32];
    for (int i = 0; i < steps; i++) {
        value_colour(1 - (i + 0.5) / steps, col);
        rb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.2f\" fill=\"%s\" />", x,
                  y0 + i * h, h + 0.3, col);
    }
    double best = r->study.maximize ? -vs->best : vs->best;
    double worst = r->study.maximize ? -vs->worst : vs->worst;
    text_at(b, x + 6, y0 - 16, "middle", "", r->study.metric);
    text_at(b, x + 16, y0 + 8, "start", "", fmt_short(buf, best));
    text_at(b, x + 16, y1, "start", "", fmt_short(buf, worst));
    text_at(b, x + 6, y1 + 14, "middle", " fill=\"#666666\"", "worse");
    text_at(b, x + 6, y0 - 4, "middle", " fill=\"#666666\"", "better");
}

/* Point markers. */
static void marker_open(rbuf *b, const char *shape, double x, double y, const char *fill,
                        const char *stroke)
{
    if (!strcmp(shape, "circle")) {
        rb_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"%s\">", x, y, fill,
                  stroke);
    } else if (!strcmp(shape, "triangle")) {
        rb_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" stroke=\"%s\">", x, y - 5,
                  x + 4.5, y + 3.5, x - 4.5, y + 3.5, fill, stroke);
    } else if (!strcmp(shape, "square")) {
        rb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\" stroke=\"%s\">",
                  x - 4, y - 4, fill, stroke);
    } else { /* cross */
        rb_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" fill=\"none\" "
                     "stroke=\"%s\" stroke-width=\"2\">",
                  x - 4, y - 4, x + 4, y + 4, x - 4, y + 4, x + 4, y - 4, stroke);
    }
}

static void marker_close(rbuf *b, const char *shape)
{
    if (!strcmp(shape, "circle")) rb_puts(b, "</circle>");
    else if (!strcmp(shape, "square")) rb_puts(b, "</rect>");
    else rb_puts(b, "</path>");
}

static void trial_marker(const nnt_report *r, rbuf *b, const rtrial *t, const char *shape,
                         double x, double y, const char *fill, const char *stroke)
{
    marker_open(b, shape, x, y, fill, stroke);
    rb_puts(b, "<title>");
    report_hover(r, t, b);
    rb_puts(b, "</title>");
    marker_close(b, shape);
}

static void legend_item(rbuf *b, double x, double y, const char *shape, const char *fill,
                        const char *stroke, const char *label)
{
    if (!strcmp(shape, "line")) {
        rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"2\"%s />",
                  x - 8, y, x + 8, y, stroke, fill ? " stroke-dasharray=\"5 3\"" : "");
    } else {
        marker_open(b, shape, x, y, fill, stroke);
        marker_close(b, shape);
    }
    text_at(b, x + 12, y + 4, "start", "", label);
}

/* Numeric value of parameter p in trial t (choice texts read as numbers);
 * NAN when inactive or not numeric. */
static double param_number(const nnt_report *r, const rtrial *t, int p)
{
    if (!t->x_ok || !t->active[p]) return NAN;
    nnt_param_kind k = r->info[p].kind;
    if (k == NNT_PARAM_INT || k == NNT_PARAM_FLOAT) return t->x[p];
    const char *s = nnt_space_choice(r->space, p, (int)t->x[p]);
    if (!s) return NAN;
    char *end;
    double v = strtod(s, &end);
    return end != s && *end == '\0' ? v : NAN;
}

/* Axis for parameter p over its searched range (choices for categorical). */
static void param_axis(const nnt_report *r, int p, axis *a)
{
    const nnt_param_info *in = &r->info[p];
    if (in->kind == NNT_PARAM_CATEGORICAL || in->kind == NNT_PARAM_FIXED)
        axis_cat(a, r->params[p].n_choices, r->params[p].choices);
    else
        axis_fit(a, in->low, in->high, in->log, 0.04);
    a->integer = in->kind == NNT_PARAM_INT;
}

/* Position of trial t on parameter p's axis (categorical: jittered). */
static double param_pos(const nnt_report *r, const rtrial *t, int p, const axis *a, double jitter)
{
    const nnt_param_info *in = &r->info[p];
    double v = t->x[p];
    if (in->kind == NNT_PARAM_CATEGORICAL || in->kind == NNT_PARAM_FIXED) {
        /* deterministic jitter keeps overlapping points apart */
        unsigned h = (unsigned)t->rec->number * 2654435761u;
        v += jitter * (((h >> 16) % 1000) / 1000.0 - 0.5);
    }
    return amap(a, v);
}

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

/* ---- 4. Importance ----------------------------------------------------------- */
int svg_importance(const nnt_report *r, rbuf *b, const char **note)
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
    const int W = 760, bar = 24;
    int H = 70 + n * bar;
    axis ax;
    axis_fit(&ax, 0, mx > 0.05 ? fmin(1, mx * 1.1) : 0.1, 0, 0);
    ax.lo = 0;
    ax.p0 = 150;
    ax.p1 = W - 60;
    svg_open(b, W, H, "hyperparameter importance");
    draw_xaxis(b, &ax, 20 + n * bar + 6, 14, "share of the objective's variance");
    int i = 0;
    char buf[32];
    for (int k = 0; k < s->n_params; k++) {
        const nnt_report_param *q = &s->params[s->importance_order[k]];
        if (q->kind == NNT_PARAM_FIXED || !isfinite(q->importance)) continue;
        double y = 20 + i * bar;
        double w = amap(&ax, q->importance) - ax.p0;
        text_at(b, ax.p0 - 8, y + bar / 2 + 4, "end", "", q->name);
        rb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"" C_COMPLETE "\">"
                     "<title>",
                  ax.p0, y + 3, w > 0 ? w : 0, bar - 6);
        rb_xml(b, q->name);
        rb_printf(b, ": %.1f%% of the variance</title></rect>", 100 * q->importance);
        snprintf(buf, sizeof buf, "%.1f%%", 100 * q->importance);
        text_at(b, ax.p0 + (w > 0 ? w : 0) + 4, y + bar / 2 + 4, "start", "", buf);
        i++;
    }
    svg_close(b);
    return 1;
}

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
            curve_line(r, b, t, &ax, &ay, m, 0, palette[i % 10]);
            curve_line(r, b, t, &ax, &ay, m, 1, palette[i % 10]);
        }
    }
    double ly = H - 24, lx = 80;
    char lab[48];
    for (int i = 0; i < k; i++) {
        snprintf(lab, sizeof lab, "#%d trial %d", i + 1, r->t[r->ranked[i]].rec->number);
        legend_item(b, lx + i * 105, ly, "line", NULL, palette[i % 10], lab);
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

/* ---- 8. Pareto front -------------------------------------------------------- */
/* The metric (y) against the first cost (x); with more objectives the front
 * is still computed over all of them, and the hover text gives every value. */
int svg_pareto(const nnt_report *r, rbuf *b, const char **note)
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
        if (t->rec->state != NNT_TRIAL_COMPLETE || !report_has_values(r, t)) continue;
        xlo = fmin(xlo, t->rec->values[1]);
        xhi = fmax(xhi, t->rec->values[1]);
        ylo = fmin(ylo, t->rec->values[0]);
        yhi = fmax(yhi, t->rec->values[0]);
    }
    const int W = 760, H = 360;
    axis ax, ay;
    axis_fit(&ax, xlo, xhi, xlo > 0 && xhi / xlo > 20, 0.06);
    axis_fit(&ay, ylo, yhi, 0, 0.08);
    ax.p0 = 70;
    ax.p1 = W - 20;
    ay.p0 = H - 66;
    ay.p1 = 40;
    svg_open(b, W, H, "Pareto front");
    char lab[96];
    snprintf(lab, sizeof lab, "%s (%s is better)", r->obj_names[1],
             r->obj_max[1] ? "higher" : "lower");
    draw_xaxis(b, &ax, ay.p0 + 4, ay.p1, lab);
    snprintf(lab, sizeof lab, "%s (%s is better)", r->obj_names[0],
             r->obj_max[0] ? "higher" : "lower");
    draw_yaxis(b, &ay, ax.p0 - 4, ax.p1, lab);
    if (r->n_objectives == 2) {
        /* the front as a staircase, in order of the cost */
        rb_puts(b, "<polyline fill=\"none\" stroke=\"" C_FAILED "\" stroke-width=\"1.2\" "
                   "stroke-dasharray=\"4 3\" points=\"");
        for (int i = r->n_pareto - 1; i >= 0; i--) {
            const nnt_trial_record *t = r->t[r->pareto[i]].rec;
            double x = amap(&ax, t->values[1]), y = amap(&ay, t->values[0]);
            if (i < r->n_pareto - 1) /* along at the previous level, then up */
                rb_printf(b, "%.1f,%.1f ", x, amap(&ay, r->t[r->pareto[i + 1]].rec->values[0]));
            rb_printf(b, "%.1f,%.1f ", x, y);
        }
        rb_puts(b, "\"><title>Pareto front</title></polyline>");
    }
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (t->rec->state != NNT_TRIAL_COMPLETE || !report_has_values(r, t)) continue;
        int on = 0;
        for (int j = 0; j < r->n_pareto && !on; j++) on = r->pareto[j] == i;
        if (on) continue;
        trial_marker(r, b, t, "circle", amap(&ax, t->rec->values[1]), amap(&ay, t->rec->values[0]),
                     "#c7c7c7", "#777777");
    }
    for (int j = 0; j < r->n_pareto; j++) {
        const rtrial *t = &r->t[r->pareto[j]];
        trial_marker(r, b, t, "circle", amap(&ax, t->rec->values[1]), amap(&ay, t->rec->values[0]),
                     C_FAILED, "#ffffff");
    }
    legend_item(b, ax.p0 + 16, 16, "circle", C_FAILED, "#ffffff", "on the Pareto front");
    legend_item(b, ax.p0 + 180, 16, "circle", "#c7c7c7", "#777777", "dominated");
    svg_close(b);
    return 1;
}
