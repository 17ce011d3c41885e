/* Helpers of the SVG plots: colours, the value colour scale, axes and
 * ticks, markers with hover text, legends, parameter positions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "report/report_plot.h"

/* Viridis-like scale, t in [0, 1]: dark purple (worst) to yellow (best). */
void nnt__value_colour(double t, char out[8])
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
const char *const nnt__plot_palette[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};


vscale nnt__value_scale(const nnt_report *r)
{
    vscale s = {NAN, NAN};
    for (int k = 0; k < r->n_ranked; k++) {
        double o = r->t[r->ranked[k]].oriented;
        if (!(o >= s.best)) s.best = o;
        if (!(o <= s.worst)) s.worst = o;
    }
    /* the worst end of the colours at the bulk's edge: one wild value would
     * otherwise paint every other trial the same yellow */
    double *v = nnt__malloc_array(r->n_ranked ? (size_t)r->n_ranked : 1, sizeof *v);
    if (v) {
        for (int k = 0; k < r->n_ranked; k++) v[k] = r->t[r->ranked[k]].oriented;
        vrange vr = nnt__robust_range(v, r->n_ranked, 0);
        if (vr.n_clipped > 0) s.worst = vr.hi;
        nnt__free(v);
    }
    return s;
}

double nnt__vscale_t(const vscale *s, double oriented)
{
    if (!(s->worst > s->best)) return 1;
    return (s->worst - oriented) / (s->worst - s->best);
}

/* ---- Axes ------------------------------------------------------------------- */


double nnt__amap(const axis *a, double v)
{
    double t;
    if (a->log) t = (log(v) - log(a->lo)) / (log(a->hi) - log(a->lo));
    else t = (v - a->lo) / (a->hi - a->lo);
    return a->p0 + t * (a->p1 - a->p0);
}

/* Sets the range from data (NANs ignored by the caller), padded by pad of
 * the span on each side; a log axis needs lo > 0 (else it becomes linear). */
void nnt__axes_place(axis *ax, axis *ay, double left, double right, double bottom, double top)
{
    ax->p0 = left;
    ax->p1 = right;
    ay->p0 = bottom;
    ay->p1 = top;
}

void nnt__axis_fit(axis *a, double lo, double hi, int lg, double pad)
{
    a->n_cat = 0;
    a->cat = NULL;
    a->integer = 0;
    a->boxed = 0;
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
    a->boxed = 0;
}


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


/* Tick marks that fit an axis of this many pixels. */
static int ticks_for(double pixels, double per_tick, int lo, int hi)
{
    int n = (int)(fabs(pixels) / per_tick);
    return n < lo ? lo : n > hi ? hi : n;
}

void nnt__text_at(rbuf *b, double x, double y, const char *anchor, const char *extra,
                  const char *s)
{
    nnt__rb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor, extra);
    nnt__rb_xml(b, s);
    nnt__rb_puts(b, "</text>");
}

/* Horizontal axis at pixel row y; grid lines up to y_top. */
void nnt__draw_xaxis(rbuf *b, const axis *a, double y, double y_top, const char *label)
{
    nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                   a->p0, y, a->p1, y);
    char buf[32];
    if (a->n_cat > 0) {
        for (int c = 0; c < a->n_cat; c++) {
            double x = nnt__amap(a, c);
            nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                           x, y, x, y + 4);
            nnt__text_at(b, x, y + 15, "middle", HALO, a->cat[c]);
        }
    } else {
        double t[MAX_TICKS];
        int n = axis_ticks(a, t, ticks_for(a->p1 - a->p0, 48, 2, 12));
        for (int i = 0; i < n; i++) {
            double x = nnt__amap(a, t[i]);
            nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_GRID "\" />",
                           x, y_top, x, y);
            nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                           x, y, x, y + 4);
            nnt__text_at(b, x, y + 15, "middle", HALO, nnt__fmt_short(buf, t[i]));
        }
    }
    if (label) {
        char lab[160];
        snprintf(lab, sizeof lab, "%s%s", label, a->log ? " (log scale)" : "");
        nnt__text_at(b, (a->p0 + a->p1) / 2, y + 32, "middle", " font-weight=\"bold\"", lab);
    }
}

/* A tick label of a vertical axis, right-aligned at (x, y); on a white box
 * when the axis is boxed (about 6.2 pixels a character at font-size 11). */
static void ytick_label(rbuf *b, const axis *a, double x, double y, const char *s)
{
    if (a->boxed) {
        double w = 6.2 * (double)strlen(s) + 4;
        nnt__rb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" rx=\"2\" "
                     "fill=\"#ffffff\" fill-opacity=\"0.9\" />",
                       x - w + 2, y - 11, w);
        nnt__text_at(b, x, y, "end", "", s);
    } else {
        nnt__text_at(b, x, y, "end", HALO, s);
    }
}

/* Vertical axis at pixel column x; grid lines to x_right (0: none). */
void nnt__draw_yaxis(rbuf *b, const axis *a, double x, double x_right, const char *label)
{
    nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                   x, a->p0, x, a->p1);
    char buf[32];
    if (a->n_cat > 0) {
        for (int c = 0; c < a->n_cat; c++) {
            double y = nnt__amap(a, c);
            nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                           x - 4, y, x, y);
            ytick_label(b, a, x - 6, y + 4, a->cat[c]);
        }
    } else {
        double t[MAX_TICKS];
        int n = axis_ticks(a, t, ticks_for(a->p0 - a->p1, 26, 2, 10));
        for (int i = 0; i < n; i++) {
            double y = nnt__amap(a, t[i]);
            if (x_right > x)
                nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_GRID "\" />",
                               x, y, x_right, y);
            nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS "\" />",
                           x - 4, y, x, y);
            ytick_label(b, a, x - 6, y + 4, nnt__fmt_short(buf, t[i]));
        }
    }
    if (label) {
        char lab[160];
        snprintf(lab, sizeof lab, "%s%s", label, a->log ? " (log scale)" : "");
        double cy = (a->p0 + a->p1) / 2;
        nnt__rb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"bold\" "
                     "transform=\"rotate(-90 %.1f %.1f)\">",
                       x - 46, cy, x - 46, cy);
        nnt__rb_xml(b, lab);
        nnt__rb_puts(b, "</text>");
    }
}

void nnt__svg_open(rbuf *b, int w, int h, const char *label)
{
    nnt__rb_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                 "height=\"%d\" role=\"img\" aria-label=\"",
                   w, h, w, h);
    nnt__rb_xml(b, label);
    nnt__rb_puts(b, "\" font-size=\"11\">");
}

void nnt__svg_close(rbuf *b) { nnt__rb_puts(b, "</svg>"); }

/* Vertical colour bar of the value scale at x, from y0 (best) to y1. */
void nnt__colour_bar(const nnt_report *r, rbuf *b, const vscale *vs, double x, double y0,
                     double y1)
{
    int steps = 24;
    double h = (y1 - y0) / steps;
    char col[8], buf[32];
    for (int i = 0; i < steps; i++) {
        nnt__value_colour(1 - (i + 0.5) / steps, col);
        nnt__rb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.2f\" fill=\"%s\" />", x,
                       y0 + i * h, h + 0.3, col);
    }
    double best = r->study.maximize ? -vs->best : vs->best;
    double worst = r->study.maximize ? -vs->worst : vs->worst;
    nnt__text_at(b, x + 6, y0 - 16, "middle", "", r->study.metric);
    nnt__text_at(b, x + 16, y0 + 8, "start", "", nnt__fmt_short(buf, best));
    nnt__text_at(b, x + 16, y1, "start", "", nnt__fmt_short(buf, worst));
    nnt__text_at(b, x + 6, y1 + 14, "middle", " fill=\"#666666\"", "worse");
    nnt__text_at(b, x + 6, y0 - 4, "middle", " fill=\"#666666\"", "better");
}

/* Point markers. */
void nnt__marker_open(rbuf *b, const char *shape, double x, double y, const char *fill,
                      const char *stroke)
{
    if (!strcmp(shape, "circle")) {
        nnt__rb_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"%s\">", x, y, fill,
                       stroke);
    } else if (!strcmp(shape, "triangle")) {
        nnt__rb_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" stroke=\"%s\">", x, y - 5,
                       x + 4.5, y + 3.5, x - 4.5, y + 3.5, fill, stroke);
    } else if (!strcmp(shape, "square")) {
        nnt__rb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\" stroke=\"%s\">",
                       x - 4, y - 4, fill, stroke);
    } else { /* cross */
        nnt__rb_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" fill=\"none\" "
                     "stroke=\"%s\" stroke-width=\"2\">",
                       x - 4, y - 4, x + 4, y + 4, x - 4, y + 4, x + 4, y - 4, stroke);
    }
}

void nnt__marker_close(rbuf *b, const char *shape)
{
    if (!strcmp(shape, "circle")) nnt__rb_puts(b, "</circle>");
    else if (!strcmp(shape, "square")) nnt__rb_puts(b, "</rect>");
    else nnt__rb_puts(b, "</path>");
}

void nnt__trial_marker(const nnt_report *r, rbuf *b, const rtrial *t, const char *shape,
                       double x, double y, const char *fill, const char *stroke)
{
    nnt__marker_open(b, shape, x, y, fill, stroke);
    nnt__rb_puts(b, "<title>");
    nnt__report_hover(r, t, b);
    nnt__rb_puts(b, "</title>");
    nnt__marker_close(b, shape);
}

void nnt__legend_item(rbuf *b, double x, double y, const char *shape, const char *fill,
                      const char *stroke, const char *label)
{
    if (!strcmp(shape, "line")) {
        nnt__rb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"2\"%s />",
                       x - 8, y, x + 8, y, stroke, fill ? " stroke-dasharray=\"5 3\"" : "");
    } else {
        nnt__marker_open(b, shape, x, y, fill, stroke);
        nnt__marker_close(b, shape);
    }
    nnt__text_at(b, x + 12, y + 4, "start", "", label);
}

/* Numeric value of parameter p in trial t (choice texts read as numbers);
 * NAN when inactive or not numeric. */
double nnt__param_number(const nnt_report *r, const rtrial *t, int p)
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
void nnt__param_axis(const nnt_report *r, int p, axis *a)
{
    const nnt_param_info *in = &r->info[p];
    if (in->kind == NNT_PARAM_CATEGORICAL || in->kind == NNT_PARAM_FIXED)
        axis_cat(a, r->params[p].n_choices, r->params[p].choices);
    else
        nnt__axis_fit(a, in->low, in->high, in->log, 0.04);
    a->integer = in->kind == NNT_PARAM_INT;
}

/* Position of trial t on parameter p's axis (categorical: jittered). */
double nnt__param_pos(const nnt_report *r, const rtrial *t, int p, const axis *a, double jitter)
{
    const nnt_param_info *in = &r->info[p];
    double v = t->x[p];
    if (in->kind == NNT_PARAM_CATEGORICAL || in->kind == NNT_PARAM_FIXED) {
        /* deterministic jitter keeps overlapping points apart */
        unsigned h = (unsigned)t->rec->number * 2654435761u;
        v += jitter * (((h >> 16) % 1000) / 1000.0 - 0.5);
    }
    return nnt__amap(a, v);
}

/* ---- Robust value ranges ------------------------------------------------------ */
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

vrange nnt__robust_range(double *v, int n, int up)
{
    vrange r = {NAN, NAN, 0, NAN};
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) v[m++] = up ? -v[i] : v[i]; /* oriented: lower is better */
    if (m == 0) return r;
    qsort(v, (size_t)m, sizeof *v, cmp_dbl);
    double best = v[0], worst = v[m - 1], cut = worst;
    if (m >= RANGE_MIN_VALUES) {
        static const double q[3] = {0.5, 0.75, 0.9};
        for (int k = 0; k < 3; k++) {
            double s = v[(int)(q[k] * (m - 1))] - best;
            if (s > 0) {
                cut = fmin(worst, best + RANGE_SPREADS * s);
                break;
            }
        }
    }
    if (cut < worst) {
        for (int i = m - 1; i >= 0 && v[i] > cut; i--) r.n_clipped++;
        r.extreme = up ? -worst : worst;
        /* the highest value kept, so the axis ends at the data */
        cut = v[m - 1 - r.n_clipped];
    }
    r.lo = up ? -cut : best;
    r.hi = up ? -best : cut;
    return r;
}

double nnt__amap_clip(const axis *a, double v, int *off)
{
    *off = v > a->hi ? 1 : v < a->lo ? -1 : 0;
    return nnt__amap(a, *off > 0 ? a->hi : *off < 0 ? a->lo : v);
}

void nnt__offscale_open(rbuf *b, double x, double y, int up, const char *fill)
{
    double d = up ? -1 : 1; /* the tip points out of the plot */
    nnt__rb_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" stroke=\"#ffffff\" "
                 "stroke-width=\"0.8\">",
                   x, y + 6 * d, x + 5, y - 2 * d, x - 5, y - 2 * d, fill);
}

void nnt__offscale_note(rbuf *b, double x, double y, int n, double extreme, int top)
{
    char v[32], text[160];
    snprintf(text, sizeof text, "%d point%s off-scale (%s %s): triangles at the %s edge", n,
             n == 1 ? "" : "s", n == 1 ? "value" : "farthest", nnt__fmt_short(v, extreme),
             top ? "top" : "bottom");
    nnt__text_at(b, x, y, "end", " fill=\"" C_FAILED "\"" HALO, text);
}

/* ---- Clouds ------------------------------------------------------------------- */
void nnt__cloud_init(cloud *c, int w, int h)
{
    memset(c, 0, sizeof *c);
    c->w = w > 0 ? w : 1;
    c->h = h > 0 ? h : 1;
    c->seen = nnt__calloc(((size_t)c->w * (size_t)c->h + 7) / 8, 1);
    if (!c->seen) c->oom = 1;
}

void nnt__cloud_add(cloud *c, double x, double y)
{
    if (c->oom || !isfinite(x) || !isfinite(y)) return;
    long px = lround(x), py = lround(y);
    if (px < 0 || py < 0 || px >= c->w || py >= c->h) return;
    size_t bit = (size_t)py * (size_t)c->w + (size_t)px;
    if (c->seen[bit / 8] & (1u << (bit % 8))) return;
    c->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
    nnt__rb_printf(&c->d, "M%ld %ldh0", px, py);
    c->n++;
}

void nnt__cloud_emit(rbuf *b, cloud *c, const char *colour, double size, int square,
                     const char *opacity)
{
    if (c->oom || c->d.oom) b->oom = 1;
    if (c->n > 0 && !b->oom) {
        nnt__rb_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" stroke-linecap=\"%s\" "
                     "stroke-opacity=\"%s\" d=\"",
                       colour, size, square ? "square" : "round", opacity);
        nnt__rb_add(b, c->d.p, c->d.len);
        nnt__rb_puts(b, "\" />");
    }
    nnt__rb_free(&c->d);
    nnt__free(c->seen);
    memset(c, 0, sizeof *c);
}

void nnt__value_colour_bin(int k, int n, char out[8]) { nnt__value_colour((k + 0.5) / n, out); }

int nnt__value_bin(double t)
{
    if (!(t >= 0)) t = 0;
    int k = (int)(t * COLOUR_BINS);
    return k >= COLOUR_BINS ? COLOUR_BINS - 1 : k;
}

int nnt__sample_stride(int n, int max)
{
    if (max < 1 || n <= max) return 1;
    return (n + max - 1) / max;
}
