/* nntune: reports that explain a study.
 *
 * A report reads one study from a storage (read-only use of an nnt_storage
 * handle, so it works on a running or finished study), computes a summary of
 * what the data says (best configuration, parameter importance, best regions,
 * overfitting, divergence, a narrower search space for the next study) and
 * renders it as a self-contained HTML page with inline SVG plots, as
 * Markdown, or as a CSV / JSON trial table. The two steps are separate:
 * nnt_report_load computes the summary (nnt_report_get_summary gives it as
 * plain values), nnt_report_render turns it into text. The methods and the
 * output formats are documented in docs/report.md. */
#ifndef NNTUNE_REPORT_H
#define NNTUNE_REPORT_H

#include "common.h"
#include "store.h"
#include "tune.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nnt_report_format {
    NNT_REPORT_HTML = 0, /* one self-contained XHTML-compatible page */
    NNT_REPORT_MD,       /* Markdown: the summary and tables */
    NNT_REPORT_CSV,      /* the trial table, one column per parameter */
    NNT_REPORT_JSON      /* the trial table as JSON records, plus the summary */
} nnt_report_format;

/* Parses "html", "md" (or "markdown"), "csv", "json"; -1 if unknown. */
NNT_API int nnt_report_format_from_name(const char *name);

typedef struct nnt_report_options {
    int top_k;             /* trials whose learning curves are drawn; default 5 */
    double top_fraction;   /* share of complete trials that make the "top"
                              (best regions, suggested space); default 0.2 */
    uint64_t seed;         /* importance forest seed; default 1 */
} nnt_report_options;

NNT_API nnt_report_options nnt_report_options_default(void);

/* One parameter of the study's space, as the summary sees it. Pointers are
 * owned by the report. */
typedef struct nnt_report_param {
    const char *name;
    nnt_param_kind kind;
    int log;
    double low, high;          /* INT/FLOAT: the study's range */
    double importance;         /* share of the objective's variance that the
                                  parameter explains on its own (main effect),
                                  in [0, 1]; NAN when not computed (see
                                  importance_note). The one number the HTML
                                  bars, the summary in words, the Markdown and
                                  JSON forms and `nntune importance` show */
    int n_choices;             /* CATEGORICAL: choices; FIXED: 1; else 0 */
    const char *const *choices;/* choice texts (n_choices) */
    const int *choice_count;   /* per choice: complete trials that used it */
    const int *choice_top;     /* per choice: top trials that used it */
    int n_top_active;          /* top trials where the parameter is active */
    double top_low, top_high;  /* INT/FLOAT: range of its values among the top
                                  trials (the "best region"); NAN if none */
} nnt_report_param;

/* A trial that overfit: its validation metric got worse after best_epoch
 * while its training loss kept falling (docs/report.md has the rule). */
typedef struct nnt_report_overfit {
    int number;
    int best_epoch;        /* epoch of the best validation metric */
    int last_epoch;
    double best_valid;     /* validation metric at best_epoch */
    double last_valid;     /* ... and at last_epoch */
    double train_loss_best, train_loss_last;
    double gap;            /* at last_epoch: train metric minus validation
                              metric, signed so that > 0 means train is better */
    double train_best, train_last; /* the training metric (curve_metric, the
                              units of best_valid and last_valid) at
                              best_epoch and at last_epoch */
    int rank;              /* 1-based rank of the trial among the complete
                              trials by value; 0 when it is not complete */
} nnt_report_overfit;

/* A failed trial whose error says it diverged. */
typedef struct nnt_report_diverged {
    int number;
    double lr;             /* its learning rate; NAN when unknown */
    const char *error;
} nnt_report_diverged;

/* What the report computed. Every pointer is owned by the report and lives
 * until nnt_report_free. */
typedef struct nnt_report_summary {
    const char *study;
    const char *metric;        /* objective metric name */
    int maximize;
    const char *curve_metric;  /* per-epoch metric of the curves and the
                                  overfitting rule (metric, or "loss") */
    int n_trials, n_complete, n_pruned, n_failed, n_running;
    int best_number;           /* -1: no complete trial */
    double best_value;
    const char *best_params;   /* JSON object text; NULL without a best */
    int has_test;              /* the best model was evaluated on a test set
                                  (its trial record's test_info) */
    double test_value;         /* test value of the objective metric */
    int refit_epochs;          /* > 0: the tested model is the best configuration
                                  refit on refit_rows rows for this many epochs */
    long refit_rows;
    int n_params;              /* parameters of the study's space (0 when the
                                  stored definition has no readable space) */
    const nnt_report_param *params;
    const int *importance_order; /* n_params indices, most important first
                                    (NAN importances last, in space order) */
    const char *importance_note; /* why importance is missing, else NULL */
    int importance_trials;       /* trials the importance was measured on */
    int importance_epoch;        /* 0: their final values (complete trials);
                                    E: their best value up to epoch E (complete
                                    and pruned trials that reached it), used when
                                    a pruner stopped most trials early */
    int n_top;                 /* trials in the top fraction */
    int n_overfit;
    const nnt_report_overfit *overfit;   /* by trial number */
    int n_diverged;
    const nnt_report_diverged *diverged; /* by trial number */
    int multi_objective;       /* the definition names more than one objective */
    int n_objectives;          /* 1, or the objectives of a multi-objective study */
    const char *const *objective_names; /* the metric, then the costs ("params", ...) */
    const int *objective_maximize;      /* per objective: 1 larger is better */
    int n_pareto;              /* complete trials on the Pareto front over all
                                  objectives (multi-objective studies) */
    const int *pareto;         /* their numbers, best first by the metric */
    const char *suggested_space; /* study-file JSON {"objective":..., "space":
                                    {...}}; NULL without a complete trial */
    int n_with_epochs;           /* trials with per-epoch values (those the
                                    overfitting rule can look at) */
    int n_overfit_listed;        /* overfit trials the page and the summary
                                    name: the best-ranked, at most 5 */
    const int *overfit_listed;   /* their indices into overfit */
    double importance_explained; /* sum of the importances of the searched
                                    parameters (main effects together, <= 1);
                                    the rest is interactions and noise. NAN
                                    when importance is not computed */
} nnt_report_summary;

typedef struct nnt_report nnt_report;

/* Loads study `study` (NULL: as nnt_storage_find_study) from an open storage
 * and computes its summary. It only reads: nnt_storage_find_study,
 * nnt_storage_trials_load and nnt_storage_epochs_load. A study with no trial,
 * or no complete trial, is valid (the summary says so). Fails with the storage's error, NNT_ERR_NOMEM,
 * or NNT_ERR_NOT_FOUND for an unknown study; *out = NULL then. opt NULL:
 * defaults. */
NNT_API int nnt_report_load(nnt_storage *storage, const char *study,
                            const nnt_report_options *opt, nnt_report **out, nnt_error *err);

NNT_API void nnt_report_free(nnt_report *r); /* NULL is a no-op */

/* The computed summary (owned by r). Can't fail. */
NNT_API const nnt_report_summary *nnt_report_get_summary(const nnt_report *r);

/* Renders r in a format into a malloc'd NUL-terminated text (*out, free()
 * it; *len its length without the NUL). NNT_ERR_NOMEM or NNT_ERR_ARG; *out =
 * NULL on failure. */
NNT_API int nnt_report_render(const nnt_report *r, nnt_report_format fmt, char **out,
                              size_t *len, nnt_error *err);

/* Renders and writes to path atomically (a temporary file in the same
 * directory renamed over path): a failure leaves path as it was. NNT_ERR_IO
 * names the file. */
NNT_API int nnt_report_save(const nnt_report *r, nnt_report_format fmt, const char *path,
                            nnt_error *err);

/* Writes the suggested search space as a study file (atomically). It holds
 * "objective" and "space" (docs/search-space.md syntax, readable by
 * nnt_space_from_json) and takes data and budget from the command line.
 * NNT_ERR_NOT_FOUND when the study has no complete trial to suggest from. */
NNT_API int nnt_report_save_suggested_space(const nnt_report *r, const char *path,
                                            nnt_error *err);

#ifdef __cplusplus
}
#endif
#endif
