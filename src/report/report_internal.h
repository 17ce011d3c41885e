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

void rb_add(rbuf *b, const char *s, size_t n);
void rb_puts(rbuf *b, const char *s);
void rb_printf(rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text escaped for XML/HTML text and attribute values: & < > " ' become
 * entities; control characters XML forbids and invalid UTF-8 become U+FFFD. */
void rb_xml(rbuf *b, const char *s);
/* Text for Markdown: inline markup characters backslash-escaped, < > &
 * as entities, newlines as spaces, | escaped (safe in table cells). */
void rb_md(rbuf *b, const char *s);
/* One CSV field (RFC 4180): quoted when it holds , " CR or LF; invalid
 * UTF-8 becomes U+FFFD (also in rb_md). */
void rb_csv(rbuf *b, const char *s);
/* s as is, except that invalid UTF-8 becomes U+FFFD (JSON text from json-c,
 * which copies string bytes unchecked). */
void rb_utf8(rbuf *b, const char *s);
/* Takes the text (NUL-terminated) out of b; NULL on out of memory (b freed). */
char *rb_take(rbuf *b, size_t *len);
void rb_free(rbuf *b);

/* Writes n bytes to path through a temporary file renamed over it. */
int report_write_atomic(const char *path, const char *data, size_t n, nnt_error *err);

/* ---- Numbers ---------------------------------------------------------------- */
/* "%.4f" for values in [1e-3, 1e4] (and 0), else "%.4g"; "-" when not finite. */
const char *fmt_value(char buf[32], double v);
/* Compact text: "%.3g", whole numbers up to 1e9 in full ("-" when not
 * finite). */
const char *fmt_short(char buf[32], double v);
/* Shortest text that reads back to the same double. */
const char *fmt_exact(char buf[32], double v);

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

/* Value of a metric by name ("accuracy", "loss", "rmse", "mae", "r2"); NAN
 * for an unknown name. */
double report_metric(const nnt_metrics *m, const char *name);
/* 1 when every objective value of t is stored and finite. */
int report_has_values(const nnt_report *r, const rtrial *t);
/* Oriented so that lower is better. */
double report_orient(const nnt_report *r, double v);
/* Plain-text sentences of the summary (shared by HTML and Markdown):
 * malloc'd array of malloc'd strings, NULL on out of memory. */
char **report_findings(const nnt_report *r, int *n);
void report_findings_free(char **f, int n);
/* Display text of parameter p of trial t ("0.01", "relu", "-" inactive). */
const char *report_param_text(const nnt_report *r, const rtrial *t, int p, char buf[32]);
/* "trial 3: accuracy 0.95; lr=0.01, batch_size=32": hover text of a point. */
void report_hover(const nnt_report *r, const rtrial *t, rbuf *b);

/* ---- Renderers ------------------------------------------------------------ */
int report_render_html(const nnt_report *r, rbuf *b);
int report_render_md(const nnt_report *r, rbuf *b);
int report_render_csv(const nnt_report *r, rbuf *b);
int report_render_json(const nnt_report *r, rbuf *b);

/* ---- SVG plots (report_svg.c) ------------------------------------------- */
/* Each appends one complete <svg> element, or nothing and returns 0 when the
 * study has no data for the plot (then note gets why, a static string). */
int svg_history(const nnt_report *r, rbuf *b, const char **note);
int svg_parallel(const nnt_report *r, rbuf *b, const char **note);
int svg_slices(const nnt_report *r, rbuf *b, const char **note);
int svg_importance(const nnt_report *r, rbuf *b, const char **note);
int svg_curves(const nnt_report *r, rbuf *b, const char **note);
int svg_intermediate(const nnt_report *r, rbuf *b, const char **note);
int svg_batch_lr(const nnt_report *r, rbuf *b, const char **note);
int svg_pareto(const nnt_report *r, rbuf *b, const char **note);

#endif
