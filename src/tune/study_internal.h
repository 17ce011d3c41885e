/* The seam between the study coordinator and its workers, and the objective
 * a worker evaluates. Not a public header.
 *
 * The coordinator (study_coord.c) is reached only through nnt_coordinator_ops: a
 * worker asks for a trial, reports each epoch and tells the result. Today the
 * ops are direct calls under a mutex from worker threads; an MPI transport
 * would implement the same three messages with sends and receives (the model
 * in a tell travelling as a model file), leaving the coordinator and the objective
 * unchanged. */
#ifndef NNT_TUNE_STUDY_INTERNAL_H
#define NNT_TUNE_STUDY_INTERNAL_H

#include "nntune/clock.h" /* nnt_clock_monotonic: deadlines and durations */
#include "nntune/study.h"

/* ---- Messages ------------------------------------------------------------ */

/* ask -> a trial to run. x/active are worker-owned buffers of space size
 * that the coordinator fills; params is malloc'd by the coordinator and
 * freed by the worker. */
typedef struct nnt_trial_task {
    int number;
    uint64_t seed;
    int retry_of;
    double *x;
    uint8_t *active;
    char *params;
    double deadline; /* monotonic seconds when the study's time budget ends; 0: none */
} nnt_trial_task;

/* report: one epoch of one fold. */
typedef struct nnt_report_msg {
    int number;
    int fold, n_folds;
    const nnt_progress *progress;
    double value; /* the objective metric of this epoch (raw) */
} nnt_report_msg;

/* Answers to a report. */
enum { NNT_REPORT_CONTINUE = 0, NNT_REPORT_PRUNE = 1, NNT_REPORT_ABORT = 2 };
/* Not a coordinator answer: a user objective's trial ran past
 * trial_time_limit_s (it then fails with "time limit", as MLP trials do). */
#define NNT_REPORT_TIME_LIMIT 3

/* tell: the result of a trial. The model (NULL if none) passes to the
 * coordinator. */
typedef struct nnt_trial_outcome {
    int number;
    nnt_trial_state state;
    double value, value_spread; /* raw metric; NAN: none */
    int epochs;
    int best_epoch;             /* the restored (best) epoch under a hold-out; under
                                   k-fold the epoch where the folds' mean validation
                                   curve peaks (fold_curves.h), or for a pruned trial
                                   the median of its folds' best; 0: unknown */
    double valid_loss;          /* validation loss at that epoch (mean over folds);
                                   NAN: none. Tie-breaker (nnt_trial_compare) */
    double n_params;            /* trainable parameters of the model; NAN: none */
    double duration;
    int interrupted;            /* stopped by the study (stop request, time budget) */
    char error[512];            /* failure reason; empty if none */
    nnt_model *model;
    int n_values;               /* multi-objective: value then the costs; 0: none */
    double values[NNT_MAX_OBJECTIVES];
} nnt_trial_outcome;

/* An ask's answer when a deterministic study (nnt_study_options.
 * deterministic) cannot propose the next trial yet: the results it is
 * proposed from are not all in. Not an error; the transport asks again after
 * the next tell (nnt__study_co_ask_try). nnt__study_co_ask, for worker threads, waits
 * instead and never returns it. */
#define NNT_ASK_WAIT 1

typedef struct nnt_coordinator_ops {
    void *ctx;
    /* NNT_OK: task filled; NNT_ERR_NOT_FOUND: no more work. */
    int (*ask)(void *ctx, int worker, nnt_trial_task *task);
    /* NNT_REPORT_CONTINUE, _PRUNE or _ABORT. */
    int (*report)(void *ctx, int worker, const nnt_report_msg *r);
    void (*tell)(void *ctx, int worker, nnt_trial_outcome *o);
    /* Optional (NULL: none): the study's current deadline in monotonic
     * seconds (0: none), which may move earlier while a trial runs; workers
     * check it between batches and stop the trial as interrupted. Lock-free. */
    double (*deadline)(void *ctx);
    /* Optional (NULL: never): nonzero once the study is stopping (stop
     * request, storage failure), for nnt_trial_should_stop. Lock-free. */
    int (*stopping)(void *ctx);
} nnt_coordinator_ops;

/* ---- Objective --------------------------------------------------------- */

/* What the MLP trainer is set up with (study.c fills it from the options). */
typedef struct nnt_mlp_setup {
    nnt_study_data data;
    const nnt_space *space;
    nnt_model_options base_model;
    nnt_train_options base_train;
    nnt_metric metric;
    int maximize;
    int cv_folds;
    int ensemble; /* nnt_mlp_objective.ensemble, when cv_folds >= 2 */
    double valid_fraction;
    size_t max_rows;
    uint64_t split_seed;
    double trial_time_limit_s;
    int n_costs;             /* secondary objectives measured on complete trials */
    nnt_cost costs[NNT_MAX_OBJECTIVES - 1];
} nnt_mlp_setup;

typedef struct nnt_mlp_objective {
    nnt_mlp_setup su;        /* as given to nnt__mlp_init */
    int n_folds;             /* 1: one hold-out (or the separate validation set) */
    int ensemble;            /* 1 (k-fold only): a trial's model averages its fold models */
    int use_valid_set;       /* validate on data.valid (all rows) */
    nnt_split *splits;       /* n_folds splits (valid rows unused with use_valid_set) */
} nnt_mlp_objective;

/* Builds the splits once (hold-out, k folds, or the separate validation set;
 * optionally subsampled). */
int nnt__mlp_init(nnt_mlp_objective *o, const nnt_mlp_setup *setup, nnt_error *err);
void nnt__mlp_free(nnt_mlp_objective *o);

/* The refit epoch of a stored trial from its epoch rows (ordered by fold,
 * epoch): per fold the first epoch with the best metric (the lower
 * validation loss on equal metrics, as the trainer restores), then the
 * median over folds as nnt_mlp_run computes it; 0 when none. */
int nnt__stored_best_epoch(const nnt_epoch_row *rows, size_t nr, nnt_metric metric, int maximize);

/* ---- Objectives through the public interface (objective.c) ---------------- */

/* The view evaluate() gets of a trial's parameters. */
struct nnt_params {
    const nnt_space *space;
    const double *x;
    const uint8_t *active;
    const char *json;
    char (*num_text)[32]; /* text of INT / FLOAT values, per slot */
};

/* The running trial behind nnt_trial_report (objective.h). */
struct nnt_trial {
    const nnt_coordinator_ops *ops;
    int worker;
    const nnt_trial_task *task;
    nnt_metric column; /* the epoch-row column reports are stored in */
    int maximize;
    int max_steps;
    int last_step;
    double best;       /* best finite value reported (raw); NAN: none */
    double t0;         /* monotonic start of the trial */
    double time_limit_s; /* 0: none */
    int answer;        /* the coordinator's last non-continue answer */
    /* Built-in objectives fill the outcome themselves (the MLP trainer's
     * model, folds and tie-breakers) and set outcome_filled. */
    nnt_trial_outcome *out;
    int outcome_filled;
};

/* Passes one report (an epoch of a fold) to the coordinator; returns its
 * answer (NNT_REPORT_*), remembering a non-continue one in t->answer. */
int nnt__study_trial_send_report(nnt_trial *t, const nnt_report_msg *r);

/* How a study runs trials: the objective (the public interface; the MLP
 * trainer is one) and what the runner needs to turn its result into an
 * outcome. */
typedef struct study_runner {
    const nnt_objective *objective;
    const nnt_space *space;
    nnt_metric column; /* epoch-row column of reported values */
    int maximize;
    int n_costs;
    double trial_time_limit_s; /* user objectives: a trial over it fails */
} study_runner;


/* Worker loop: ask, run, tell until no more work. */
void nnt__worker_loop(const study_runner *rn, const nnt_coordinator_ops *ops, int worker,
                      int space_size);

/* The MLP trainer as an nnt_objective (ctx: an initialised nnt_mlp_objective). */
int nnt__mlp_evaluate(void *ctx, const nnt_params *params, nnt_trial *trial, double *values,
                      nnt_error *err);

/* ---- Refit (study_refit.c) ------------------------------------------------- */

/* Retraining the best configuration on every row the study tuned on. */
typedef struct nnt_refit_task {
    const double *x;       /* the best trial's parameters */
    const uint8_t *active;
    int epochs;            /* stop after this epoch (the best trial's best epoch) */
    /* 0: lay the learning-rate schedule out over the trial's max_epochs, as
     * the trial did; > 0 (>= epochs): over this many epochs instead. */
    int schedule_epochs;
    uint64_t seed;
    double time_limit_s;   /* 0: none */
    int threads;           /* BLAS threads for the refit (>= 1) */
    /* Optional: polled between batches; nonzero stops the refit
     * (NNT_PRUNED, no model), as nnt_study_stop does trials. */
    int (*should_stop)(void *ctx);
    void *stop_ctx;
    /* Optional: called after each epoch (1-based) with stop_ctx. */
    void (*on_epoch)(void *ctx, int epoch, double seconds);
} nnt_refit_task;

typedef struct nnt_refit_result {
    int status;            /* NNT_OK, or NNT_TIMEOUT / NNT_DIVERGED (no model then) */
    int epochs;            /* epochs completed */
    size_t rows;
    double seconds;
} nnt_refit_result;

/* Why a study that validates on a separate set cannot refit. */
#define NNT_REFIT_NEEDS_HOLDOUT                                                                  \
    "refit: the study validates on a separate validation set, so there are no held-out "        \
    "training rows to add; drop the validation set (hold-out or cv_folds) to refit"

/* Rows a refit trains on: fold 0's training and validation rows. */
size_t nnt__mlp_refit_rows(const nnt_mlp_objective *o);

/* Trains the refit model. Returns NNT_OK with *out set when all task->epochs
 * ran; a positive status (NNT_TIMEOUT, NNT_DIVERGED, NNT_PRUNED when
 * should_stop said so) with *out = NULL and a message in err; a negative
 * error. NNT_ERR_ARG when the objective validates
 * on a separate validation set (nothing to add to the training rows). */
int nnt__mlp_refit(const nnt_mlp_objective *o, const nnt_refit_task *task, nnt_model **out,
                        nnt_refit_result *res, nnt_error *err);

/* Seconds a refit is expected to take: the trial's seconds per epoch (per
 * fold) scaled by the refit's rows over the trial's training rows, for
 * `epochs` epochs, with a 10 % margin. */
double nnt__mlp_refit_estimate(const nnt_mlp_objective *o, double trial_seconds,
                                    int trial_epochs, int epochs);

/* ---- Samplers and pruners from options (study_plugins.c) ------------------ */

/* Checks a sampler name and its options (JSON object text or NULL) into TPE
 * options (left at the defaults for other samplers); errors name path. */
int nnt__study_sampler_parse(const char *name, const char *options_json, const char *path,
                             nnt_tpe_options *tpe, nnt_error *err);

typedef struct study_pruner_conf {
    int kind; /* 0 none, 1 median, 2 asha, 3 hyperband */
    nnt_median_options median;
    nnt_asha_options asha;
    nnt_hyperband_options hyperband;
} study_pruner_conf;

/* Checks a pruner name and its options; max_epochs > 0 is the default
 * max_resource of asha and hyperband. */
int nnt__study_pruner_parse(const char *name, const char *options_json, const char *path,
                            int max_epochs, study_pruner_conf *c, nnt_error *err);
/* Creates the pruner of a checked configuration (zeroed table for none). */
int nnt__study_pruner_make(const study_pruner_conf *c, const char *path, nnt_pruner *out,
                           nnt_error *err);

/* ---- Definition and data fingerprint (study_definition.c) ------------------- */

/* 64-bit hash of a data set's shape, feature matrix and targets: the data
 * fingerprint's "hash", and what each MPI rank's data is checked by. */
uint64_t nnt__dataset_content_hash(const nnt_dataset *ds);

struct json_object;

/* The model selection policy resolved for one run (NNT_CV_AUTO,
 * NNT_REFIT_AUTO): small data -- fewer than NNT_SMALL_DATA_ROWS tuned rows,
 * no separate validation set -- gets NNT_SMALL_DATA_FOLDS folds and a refit;
 * a resumed study (stored_definition not NULL) keeps its stored fold count. */
typedef struct study_policy {
    int cv_folds;      /* to use: 0/1 hold-out, >= 2 folds */
    int refit;         /* 1: refit at the end */
    int ensemble;      /* 1: fold ensembles (k-fold only) */
    int cv_auto, refit_auto, small_data;
    size_t tuned_rows; /* rows of the training data, or max_rows when fewer */
} study_policy;
study_policy nnt__study_resolve_policy(const nnt_study_options *opt, const nnt_study_data *data,
                                       const char *stored_definition);

/* What a study's definition is built from (nnt__study_definition_build). */
typedef struct study_definition_in {
    const char *sampler, *sampler_options, *pruner, *pruner_options;
    const char *metric; /* the value's name */
    int maximize;
    int n_costs;
    const char *cost_names[NNT_MAX_OBJECTIVES - 1];
    const nnt_space *space;
    double trial_time_limit_s;
    int slots; /* a deterministic study's parallel slots; 0: free-running */
    /* a user objective */
    const char *objective, *objective_version;
    /* the MLP trainer (mlp = 1) */
    int mlp;
    int n_folds, use_valid_set;
    double valid_fraction;
    size_t max_rows;
    const nnt_model_options *base_model;
    const nnt_train_options *base_train;
    const nnt_dataset *train, *valid;
    const char *data_desc;
} study_definition_in;

/* The stored description of what the study searches and how it scores
 * (docs/storage.md); a resume must match it. Budgets, jobs and paths are
 * not part of it. malloc'd; NULL when out of memory. */
char *nnt__study_definition_build(const study_definition_in *in);

/* What the definition check needs to know of the study. */
typedef struct study_definition_check {
    nnt_storage *storage;
    int64_t study_id;
    const char *name;
    uint64_t seed;
    const char *metric;
    int force;   /* nnt_study_options.force */
    int created; /* this process created the study */
} study_definition_check;

/* Checks the stored study (rec) against this run's definition (def): a new
 * or blank study stores def; other data is an NNT_ERR_ARG naming every
 * difference, force or not; any other difference (or another seed) is an
 * NNT_ERR_ARG naming the first one unless force, which stores def; an older
 * data fingerprint that matches is upgraded to def silently; another metric
 * is an NNT_ERR_ARG. */
int nnt__study_check_definition(const study_definition_check *c, const nnt_study_record *rec,
                                const char *def, nnt_error *err);

#endif
