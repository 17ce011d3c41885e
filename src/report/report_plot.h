/* Internals shared by the SVG plots (report_plot.c has the helpers, one
 * file per group of plots draws them): colours, the value colour scale,
             * axes with ticks, markers with hover text, legends. */
#ifndef NNT_REPORT_PLOT_H
#define NNT_REPORT_PLOT_H

#include "report/report_internal.h"

/* ---- Colours ---------------------------------------------------------------- */
#define C_COMPLETE "#1f77b4"
#define C_PRUNED "#ff7f0e"
#define C_FAILED "#d62728"
#define C_RUNNING "#7f7f7f"
#define C_BEST "#111111"
#define C_AXIS "#444444"
#define C_GRID "#e4e4e4"

/* Distinct colours for a handful of lines (learning curves). */
extern const char *const nnt__plot_palette[10];

/* Position of an oriented value on the colour scale: 1 best, 0 worst. */
typedef struct vscale {
    double best, worst; /* oriented */
} vscale;

/* A plot axis: a numeric range (linear or log) or categories, mapped to pixels. */
typedef struct axis {
    double lo, hi;   /* data range shown */
    int log;
    double p0, p1;   /* pixels of lo and hi */
    int n_cat;       /* > 0: categorical, positions 0..n_cat-1 */
    const char *const *cat;
    int integer;     /* integer data: whole-number ticks (powers of 2 on log axes) */
    int boxed;       /* tick labels on a white box: lines drawn before them pass
                        under the text, not through it (parallel coordinates) */
} axis;

#define MAX_TICKS 24
#define HALO " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\""

/* Viridis-like scale, t in [0, 1]: dark purple (worst) to yellow (best). */
void nnt__value_colour(double t, char out[8]);

vscale nnt__value_scale(const nnt_report *r);

double nnt__vscale_t(const vscale *s, double oriented);

double nnt__amap(const axis *a, double v);

/* Sets the range from data (NANs ignored by the caller), padded by pad of
 * the span on each side; a log axis needs lo > 0 (else it becomes linear). */
void nnt__axis_fit(axis *a, double lo, double hi, int lg, double pad);
/* Places a plot's axes in pixels: x from left to right, y from bottom up to
 * top (SVG rows grow downwards, so bottom > top). */
void nnt__axes_place(axis *ax, axis *ay, double left, double right, double bottom, double top);

void nnt__text_at(rbuf *b, double x, double y, const char *anchor, const char *extra,
                  const char *s);

/* Horizontal axis at pixel row y; grid lines up to y_top. */
void nnt__draw_xaxis(rbuf *b, const axis *a, double y, double y_top, const char *label);

/* Vertical axis at pixel column x; grid lines to x_right (0: none). */
void nnt__draw_yaxis(rbuf *b, const axis *a, double x, double x_right, const char *label);

void nnt__svg_open(rbuf *b, int w, int h, const char *label);

void nnt__svg_close(rbuf *b);

/* Vertical colour bar of the value scale at x, from y0 (best) to y1. */
void nnt__colour_bar(const nnt_report *r, rbuf *b, const vscale *vs, double x, double y0, double y1);

/* Point markers. */
void nnt__marker_open(rbuf *b, const char *shape, double x, double y, const char *fill,
             const char *stroke);

void nnt__marker_close(rbuf *b, const char *shape);

void nnt__trial_marker(const nnt_report *r, rbuf *b, const rtrial *t, const char *shape,
             double x, double y, const char *fill, const char *stroke);

void nnt__legend_item(rbuf *b, double x, double y, const char *shape, const char *fill,
             const char *stroke, const char *label);

/* Numeric value of parameter p in trial t (choice texts read as numbers);
 * NAN when inactive or not numeric. */
double nnt__param_number(const nnt_report *r, const rtrial *t, int p);

/* Axis for parameter p over its searched range (choices for categorical). */
void nnt__param_axis(const nnt_report *r, int p, axis *a);

/* Position of trial t on parameter p's axis (categorical: jittered). */
double nnt__param_pos(const nnt_report *r, const rtrial *t, int p, const axis *a, double jitter);

/* Pixel of v on a numeric axis, clamped to the axis ends; *off is 1 when v
 * lies beyond the high end, -1 beyond the low end, 0 inside. */
double nnt__amap_clip(const axis *a, double v, int *off);

/* Opens a marker for an off-scale point: a filled triangle at pixel (x, y)
 * (on the plot's edge) pointing out of the plot (up when up != 0). Close it
 * with nnt__marker_close(b, "triangle") after an optional <title>. */
void nnt__offscale_open(rbuf *b, double x, double y, int up, const char *fill);

/* "3 points off-scale (farthest 3.5e+09): triangles at the top edge" (or
 * "1 point off-scale (value ...)"), right-aligned at (x, y). */
void nnt__offscale_note(rbuf *b, double x, double y, int n, double extreme, int top);

/* ---- Clouds: the compact form of large studies (REPORT_DETAIL_ALL) ----------- */
typedef struct cloud {
    rbuf d;           /* path data */
    uint8_t *seen;    /* w x h bits: pixels already holding a dot */
    int w, h, n, oom;
} cloud;

/* A cloud for a plot of w x h pixels. Can't fail (an allocation failure is
 * reported when the cloud is emitted). */
void nnt__cloud_init(cloud *c, int w, int h);
/* Adds a dot at (x, y), unless that pixel already has one. */
void nnt__cloud_add(cloud *c, double x, double y);
/* Appends the dots as one <path> (round or square dots of this size) and
 * frees the cloud; nothing when it is empty. */
void nnt__cloud_emit(rbuf *b, cloud *c, const char *colour, double size, int square,
                     const char *opacity);
/* Colour of bin k of n of the value scale (the middle of the bin). */
void nnt__value_colour_bin(int k, int n, char out[8]);
#define COLOUR_BINS 8
int nnt__value_bin(double t); /* bin of a position t in [0, 1] on the value scale */
/* Stride that keeps at most max of n items: 1, 2, ... */
int nnt__sample_stride(int n, int max);

#endif
