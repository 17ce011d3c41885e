/* Helpers shared by the study commands (tune, trials, best): reading a study
 * from storage, ranking trials, leaderboards. Public headers only. */
#ifndef NNTUNE_TOOLS_STUDY_COMMON_H
#define NNTUNE_TOOLS_STUDY_COMMON_H

#include <stdio.h>

#include "nntune/analysis.h"
#include "nntune/nntune.h"

/* Opens storage read-only and finds the study (name NULL: the most recent).
 * Prints the error and returns EXIT_RUNTIME on failure (nothing left open). */
int sc_open_read(const char *cmd, const char *path, const char *name, nnt_storage **st,
                 nnt_study_record *rec, nnt_trial_record **trials, size_t *n);

/* A stored study as the reading commands (best, trials) hold it. */
typedef struct sc_study {
    nnt_storage *st;
    nnt_study_record rec;
    nnt_trial_record *t; /* the trials, by number */
    size_t n;
    int user;            /* a user objective's study (else nntune's MLP trainer) */
} sc_study;

/* The commands' one STORAGE operand, then sc_open_read on it into s.
 * Returns EXIT_OK (close s with sc_study_close), EXIT_USAGE (operands wrong)
 * or EXIT_RUNTIME, the error printed and nothing left open. */
int sc_study_open(const char *cmd, int argc, char **argv, const char *name, sc_study *s);
void sc_study_close(sc_study *s);

/* Opens storage read-only, loads the report of the study (name NULL: the
 * most recent) and closes the storage. Returns EXIT_OK, or the exit status
 * with the error printed and *out NULL. */
int sc_report_load(const char *cmd, const char *path, const char *study,
                   const nnt_report_options *ro, nnt_report **out);

/* The commands' one STORAGE operand, then sc_report_load on it. */
int sc_report_operand(const char *cmd, int argc, char **argv, const char *study,
                      const nnt_report_options *ro, nnt_report **out);

/* For a study that ended without a completed trial: prints why ("no trial
 * completed (N failed, M pruned); first error: ...") and returns
 * EXIT_RUNTIME. */
int sc_no_complete_trial(const char *cmd, nnt_storage *storage, const char *study,
                         const nnt_study_summary *sum);

/* Index of the best complete trial, -1 if none: nnt_trials_best (value, then
 * validation loss, then parameter count). */
int sc_best(const nnt_trial_record *t, size_t n, int maximize);

/* Fills order[] (n entries) with trial indices by nnt_trial_compare:
 * complete trials best first, then pruned ones by value, then the rest by
 * number. */
void sc_rank(const nnt_trial_record *t, size_t n, int maximize, size_t *order);

/* When several complete trials share the best value: a line saying how the
 * best was chosen among them (validation loss, then parameter count), and a
 * note when the ties are many (nnt_ties_noteworthy). Nothing otherwise.
 * Returns the number of tied trials. */
int sc_ties_line(FILE *f, const nnt_study_record *rec, const nnt_trial_record *t, size_t n);

/* Writes how the study selects its model, e.g. "5-fold cross-validation
 * (small data: 178 rows < 5000); best configuration refit on all 178
 * training rows", into buf. */
const char *sc_selection_text(char *buf, size_t n, const nnt_study_summary *sum, int has_valid);

/* Prints the top `top` complete trials as a table. */
void sc_leaderboard(FILE *f, const nnt_study_record *rec, const nnt_trial_record *t, size_t n,
                    int top);

/* "%.4f" for values in [-1e4, 1e4] (else %.4g); "-" when not finite. */
const char *sc_fmt_value(char *buf, size_t n, double v);

/* The objectives of a study, from its stored definition: names[0] is the
 * metric, then the costs ("params", "infer_time", "train_time", or a user
 * objective's own names); names point into static storage or rec. Returns their count (1 for single-objective
 * studies), at most NNT_MAX_OBJECTIVES. */
int sc_objectives(const nnt_study_record *rec, const char **names, int *maximize);

/* Prints a library error of the study layer (nnt_study_options_check,
 * nnt_study_create) with the option keys it names ("options.force",
 * "budget.trials") as this command's flags ("--force", "--trials"). */
int sc_study_error(const char *cmd, int code, const nnt_error *err);

/* The Pareto front over the stored COMPLETE trials with all k objective
 * values: fills idx (indices into t, room for n) in display order (best
 * metric first; nnt_pareto_sort). Returns its size, or a negative code. */
int sc_pareto(const nnt_study_record *rec, const nnt_trial_record *t, size_t n, size_t *idx);

/* Prints the Pareto front of a multi-objective study as a table (nothing for
 * a single-objective one). Returns the number of trials on it. */
int sc_pareto_table(FILE *f, const nnt_study_record *rec, const nnt_trial_record *t, size_t n);

/* A cost value for tables: "12.3k" parameters, "4.1 us", "12.5 s". */
const char *sc_fmt_objective(char *buf, size_t n, const char *name, double v);

/* A study file's base options ("options": {"epochs": 3}) against the space.
 * In the default space (default_space 1) a base option that names one of
 * its fixed parameters (epochs, patience, ...) sets that parameter, so the
 * option does what it says; a base option that names a searched parameter
 * is overridden by the search, which a warning says. Returns 0, or -1 after
 * an error message. */
int sc_base_options_vs_space(const char *cmd, const char *src, nnt_space *space,
                             int default_space, const nnt_study_file *sf);

#endif
