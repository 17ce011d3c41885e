/* nntune tune, shared between its parts: the settings (tune_args.c), the
 * live view of a running study (tune_view.c) and the closing summaries
 * (tune_summary.c); cmd_tune.c joins them. Public headers only. */
#ifndef NNTUNE_TOOLS_TUNE_CLI_H
#define NNTUNE_TOOLS_TUNE_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "nntune/nntune.h"

#define TUNE_CMD "tune"
#define TUNE_MAX_PARAMS 64
#define TUNE_MAX_WORKERS 256

/* ---- settings (tune_args.c) */

/* Settings: the study file's, then the flags' on top. */
typedef struct tune_settings {
    const char *study_path; /* the study file; NULL: none */
    const char *data, *labels, *target, *valid, *valid_labels, *test, *test_labels;
    nnt_task task;
    int task_set;
    double valid_fraction;
    long max_rows;
    const char *params[TUNE_MAX_PARAMS];
    int n_params;
    const char *sampler, *metric, *direction, *storage, *study, *model_out;
    const char *sampler_options, *pruner, *pruner_options;
    int n_costs, costs_set;
    nnt_cost costs[NNT_MAX_OBJECTIVES - 1];
    char metric_buf[32];
    int trials;
    double time_s, trial_limit;
    int cv, jobs, force, quiet, json, refit;
    int deterministic; /* --deterministic (or --slots) */
    int slots;         /* --slots; 0: --jobs */
    int ensemble; /* nnt_study_options.ensemble */
    uint64_t seed;
    int seed_set;
    double mpi_timeout; /* --mpi-timeout; 0: the default */
    int mpi_data_each;  /* --mpi-data each: every rank reads the data paths */
} tune_settings;

/* Returned by tune_parse_args when the command goes on (any other value is
 * the exit status: help shown or a usage error printed). */
#define TUNE_ARGS_GO (-1)

/* Reads the study file (the optional operand) into *sf and the settings from
 * it, then the flags on top, then the defaults of what is still unset.
 * Returns TUNE_ARGS_GO, or an exit status with *sf freed. */
int tune_parse_args(int argc, char **argv, tune_settings *s, nnt_study_file *sf);

/* ---- live view (tune_view.c) */

typedef struct tune_view {
    int mode; /* 0 quiet, 1 lines, 2 live (terminal), 3 json */
    int block_lines;  /* lines of the status block now on screen */
    double last_draw;
    struct {
        int number, epoch, max_epochs, fold, n_folds;
        double value;
    } running[TUNE_MAX_WORKERS];
    nnt_study *study;
    const nnt_cost *costs; /* of the study being run, for trial lines */
    nnt_study_event last;  /* study progress of the last event */
    int have_last;
} tune_view;

/* mode as in tune_view; costs: the study's (kept, not copied). */
void tune_view_init(tune_view *v, int mode, const nnt_cost *costs);
/* The study's event callback (userdata: the tune_view). */
void tune_view_on_event(const nnt_study_event *e, void *ud);
/* Clears the live status block, if any, at the end of the run. */
void tune_view_finish(tune_view *v);

/* ---- summaries (tune_summary.c) */

/* The header line of a study about to run (lines and live modes). */
void tune_print_header(const tune_settings *s, const nnt_study_options *so,
                       const nnt_study_summary *sum, int has_valid);
/* The closing summary: one JSON object (json mode), or the leaderboard,
 * ties, Pareto table and best-trial lines read back from the storage. */
void tune_print_summary_json(const tune_settings *s, nnt_study *study,
                             const nnt_study_summary *sum);
void tune_print_summary_text(const tune_settings *s, nnt_storage *storage,
                             const nnt_study_summary *sum, int has_valid);

#endif
