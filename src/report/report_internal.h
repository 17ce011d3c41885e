/* Internals of the report module: the loaded study, the text buffer with its
 * escapers, number formatting and the plot helpers shared by the renderers. */
#ifndef NNT_REPORT_INTERNAL_H
#define NNT_REPORT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "nntune/report.h"
#include "nntune/store.h"
#include "nntune/tune.h"

/* ---- Text buffer ---------------------------------------------------------- */
/* A growing text buffer. An allocation failure sets oom and turns further
 * appends into no-ops, so renderers check once at the end. */
typedef struct rbuf {
    char *p;
    size_t len, cap;
    int oom;
} rbuf;

void nnt__rb_add(rbuf *b, const char *s, size_t n);
void nnt__rb_puts(rbuf *b, const char *s);
void nnt__rb_printf(rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text escaped for XML/HTML text and attribute values: & < > " ' become
 * entities; control characters XML forbids and invalid UTF-8 become U+FFFD. */
void nnt__rb_xml(rbuf *b, const char *s);
/* Text for Markdown: inline markup characters backslash-escaped, < > &
 * as entities, newlines as spaces, | escaped (safe in table cells). */
void nnt__rb_md(rbuf *b, const char *s);
/* One CSV field (RFC 4180): quoted when it holds , " CR or LF; invalid
 * UTF-8 becomes U+FFFD (also in nnt__rb_md). */
void nnt__rb_csv(rbuf *b, const char *s);
/* s as is, except that invalid UTF-8 becomes U+FFFD (JSON text from json-c,
 * which copies string bytes unchecked). */
void nnt__rb_utf8(rbuf *b, const char *s);
/* Takes the text (NUL-terminated) out of b; NULL on out of memory (b freed). */
char *nnt__rb_take(rbuf *b, size_t *len);
void nnt__rb_free(rbuf *b);

/* Writes n bytes to path through a temporary file renamed over it. */
int nnt__report_write_atomic(const char *path, const char *data, size_t n, nnt_error *err);

/* ---- Numbers ---------------------------------------------------------------- */
/* "%.4f" for values in [1e-3, 1e4] (and 0), else "%.4g"; "-" when not finite. */
const char *nnt__fmt_value(char buf[32], double v);
/* Compact text: "%.3g", whole numbers up to 1e9 in full ("-" when not
 * finite). */
const char *nnt__fmt_short(char buf[32], double v);
/* Shortest text that reads back to the same double. */
const char *nnt__fmt_exact(char buf[32], double v);

/* ---- Robust value ranges ------------------------------------------------------ */
/* The range of the bulk of a set of values, so that one wild value (a
 * diverged trial's RMSE of 1e4 among values near 60) does not flatten a
 * plot. Direction-aware: the good end is never cut. With the values oriented
 * so that lower is better, best = the lowest and s = the distance from best
 * to the median (or, when at least half tie with the best, to the 75th, then
 * the 90th percentile); values worse than best + RANGE_SPREADS * s are
 * off-scale. Fewer than RANGE_MIN_VALUES values, or no spread, cut nothing. */
#define RANGE_SPREADS 10.0
#define RANGE_MIN_VALUES 10
typedef struct vrange {
    double lo, hi;    /* the values shown, in value units; NAN when there are none */
    int n_clipped;    /* values outside [lo, hi] */
    double extreme;   /* the farthest of them (value units); NAN when none */
} vrange;

/* v: n values (NANs skipped); up: larger is better. Reorders v. */
vrange nnt__robust_range(double *v, int n, int up);

/* ---- Large studies ------------------------------------------------------------- */
/* Studies up to REPORT_DETAIL_ALL trials draw every point as its own marker
 * with hover text. Larger ones keep that for the REPORT_DETAIL_TOP best
 * complete trials and the first REPORT_DETAIL_TOP failed ones (rtrial.detail)
 * and draw the others as a cloud: small dots in one path, on a 1-pixel grid
 * with repeats dropped, and at most REPORT_CLOUD_LINES lines (an even sample)
 * in the line plots. So a 2000-trial page stays under about 1 MB. */
#define REPORT_DETAIL_ALL 300
#define REPORT_DETAIL_TOP 40
#define REPORT_CLOUD_LINES 300

/* ---- The loaded study ----------------------------------------------------- */
typedef struct rtrial {
    const nnt_trial_record *rec;
    double *x;            /* space size slots, from rec->params; NULL if !x_ok */
    uint8_t *active;
    int x_ok;             /* params read back into the current space */
    nnt_epoch_row *rows;  /* all epoch rows; fold 0 first */
    size_t n_rows;
    int n_rows0;          /* rows of fold 0 (the curves use these) */
    double oriented;      /* value, lower is better; NAN: none */
    int detail;           /* drawn as its own marker with hover text (see
                             REPORT_DETAIL_ALL); else part of a cloud */
} rtrial;

struct nnt_report {
    nnt_report_options opt;
    nnt_study_record study;
    nnt_trial_record *recs;
    size_t n_recs;
    rtrial *t;
    int n;
    nnt_space *space;     /* NULL when the definition has no readable space */
    int np;
    nnt_param_info *info;
    nnt_report_param *params;
    int *ranked;          /* indices into t of complete trials, best first */
    int n_ranked;
    int *overfit_listed;  /* indices into overfit of those the page lists (at
                             most REPORT_OVERFIT_LISTED, best trials first) */
    int n_overfit_listed;
    int *imp_order;
    nnt_report_overfit *overfit;
    nnt_report_diverged *diverged;
    char *importance_note;
    char *suggested;
    char *space_json;     /* the stored "space" object, for the suggestion */
    char *objective_json; /* the stored objective ({"metric":..,"direction":..}) */
    int n_objectives;
    char *obj_names[NNT_MAX_OBJECTIVES];
    int obj_max[NNT_MAX_OBJECTIVES];
    int *pareto;          /* indices into t of the front, best first by the metric */
    int *pareto_numbers;
    int n_pareto;
    nnt_report_summary sum;
};

/* Importance below this share counts as "did not matter": such parameters
 * are neither described by a best region nor narrowed in the suggestion. */
#define REPORT_IMPORTANT_SHARE 0.05
/* How an importance share is written as a percentage wherever it is shown
 * (summary, HTML bars, Markdown; `nntune importance` uses the same): one
 * decimal, so the same study reads the same everywhere. */
#define REPORT_PCT_FORMAT "%.1f%%"
/* Overfit trials named in the summary and the tables (the best by value);
 * the JSON form lists them all. */
#define REPORT_OVERFIT_LISTED 5
/* Rows of the "top trials" table at most; and of the trial table of a large
 * study (more than REPORT_DETAIL_ALL trials: its best ones; the CSV and JSON
 * forms have every trial). */
#define REPORT_TOP_TABLE_MAX 20
#define REPORT_TRIAL_TABLE_MAX 100

/* Value of a metric by name ("accuracy", "loss", "rmse", "mae", "r2"); NAN
 * for an unknown name. */
double nnt__report_metric(const nnt_metrics *m, const char *name);
/* 1 when every objective value of t is stored and finite. */
int nnt__report_has_values(const nnt_report *r, const rtrial *t);
/* Oriented so that lower is better. */
double nnt__report_orient(const nnt_report *r, double v);
/* 1 for metrics where larger is better ("accuracy", "r2"). */
int nnt__report_metric_up(const char *name);

/* ---- Summary steps of nnt_report_load (each fails only with NNT_ERR_NOMEM) - */
int nnt__report_compute_importance(nnt_report *r, nnt_error *err); /* report_importance.c */
int nnt__report_compute_trial_facts(nnt_report *r, nnt_error *err); /* report_facts.c */
int nnt__report_compute_suggestion(nnt_report *r, nnt_error *err); /* report_suggest.c */
/* Writes the findings as a list: each one as open, the sentence escaped by
 * esc (nnt__rb_xml, nnt__rb_md), close. Returns NNT_OK or NNT_ERR_NOMEM. */
int nnt__report_findings_list(const nnt_report *r, rbuf *b, const char *open, const char *close,
                              void (*esc)(rbuf *, const char *));
/* Display text of parameter p of trial t ("0.01", "relu", "-" inactive). */
const char *nnt__report_param_text(const nnt_report *r, const rtrial *t, int p, char buf[32]);
/* "trial 3: accuracy 0.95; lr=0.01, batch_size=32": hover text of a point. */
void nnt__report_hover(const nnt_report *r, const rtrial *t, rbuf *b);

/* ---- Renderers ------------------------------------------------------------ */
int nnt__report_render_html(const nnt_report *r, rbuf *b);
int nnt__report_render_md(const nnt_report *r, rbuf *b);
int nnt__report_render_csv(const nnt_report *r, rbuf *b);
int nnt__report_render_json(const nnt_report *r, rbuf *b);

/* ---- SVG plots (report_svg.c) ------------------------------------------- */
/* Each appends one complete <svg> element, or nothing and returns 0 when the
 * study has no data for the plot (then note gets why, a static string). */
int nnt__svg_history(const nnt_report *r, rbuf *b, const char **note);
int nnt__svg_parallel(const nnt_report *r, rbuf *b, const char **note);
int nnt__svg_slices(const nnt_report *r, rbuf *b, const char **note);
int nnt__svg_importance(const nnt_report *r, rbuf *b, const char **note);
int nnt__svg_curves(const nnt_report *r, rbuf *b, const char **note);
int nnt__svg_intermediate(const nnt_report *r, rbuf *b, const char **note);
int nnt__svg_batch_lr(const nnt_report *r, rbuf *b, const char **note);
int nnt__svg_pareto(const nnt_report *r, rbuf *b, const char **note);

#endif
