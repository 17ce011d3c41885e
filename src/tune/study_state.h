/* The study's shared state: struct nnt_study and its trial slots, and the
 * functions the study's files (study.c, study_coord.c, study_storage.c,
 * study_refit.c, study_results.c) call across each other. Internal. */
#ifndef NNT_TUNE_STUDY_STATE_H
#define NNT_TUNE_STUDY_STATE_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>

#include "tune/study_internal.h"

/* Seeds derived from the study seed for things that are not trials. */
#define SPLIT_SEED_INDEX 0x5917u
#define REFIT_SEED_INDEX 0x2ef17u

/* The error for opt.ensemble without k-fold (%s: what the study validates on). */
#define STUDY_ENSEMBLE_NEEDS_FOLDS                                                          \
    "options.ensemble: an ensemble averages the fold models of k-fold cross-validation, " \
    "and this study validates on a %s"

typedef struct slot {
    int number;
    nnt_trial_state state;
    int interrupted;
    int retry_of;
    int retried; /* a rerun of this interrupted trial has been handed out */
    uint64_t seed;
    double *x;
    uint8_t *active;
    double value;    /* raw metric, NAN: none */
    double oriented; /* lower is better, NAN: none */
    double spread;
    double valid_loss; /* tie-breakers of nnt_trial_compare; NAN: unknown */
    double n_params;
    int epochs;
    int best_epoch;  /* the restored epoch (median over folds); 0: unknown */
    double duration; /* seconds the trial ran; NAN: unknown */
    double *inter;   /* fold-0 epoch values, oriented */
    int n_inter, cap_inter;
    char *params;
    char *model_path;
    int n_values; /* multi-objective: metric then costs (raw); 0: none */
    double values[NNT_MAX_OBJECTIVES];
} slot;

struct nnt_study {
    /* configuration */
    nnt_study_options opt;
    char *name, *sampler_name, *model_out;
    char *sampler_options, *pruner_name, *pruner_options; /* NULL: defaults / none */
    nnt_space *space;
    int nspace;
    nnt_sampler sampler;
    nnt_pruner pruner; /* built-in pruner (zeroed: none or a custom hook) */
    int max_epochs;    /* the trials' epoch budget (pruners' max_resource) */
    nnt_storage *storage;
    int64_t study_id;
    nnt_study_data data;
    nnt_mlp_objective obj;    /* the MLP trainer's state (zeroed for a user objective) */
    nnt_objective objective;  /* what trials run: the user's, or the MLP trainer's */
    int user;                 /* 1: a user objective (opt.objective) */
    study_runner runner;
    char *value_name;         /* the metric's name: nntune's, or the user value's */
    char *obj_name, *obj_version;
    char *cost_names[NNT_MAX_OBJECTIVES - 1]; /* user objective costs */
    int n_costs;              /* secondary objectives */
    int n_folds;              /* 1 for user objectives */
    nnt_metric metric;        /* user objectives: the epoch-row column of their value */
    int maximize;
    uint64_t seed;
    int resumed;
    /* model selection policy, resolved in create */
    int refit_on;       /* a refit runs at the end */
    int ensemble_on;    /* k-fold trials' models are fold ensembles (opt.ensemble) */
    int cv_auto, refit_auto, small_data;
    size_t tuned_rows;

    /* state, under mu */
    pthread_mutex_t mu;
    slot **slots;
    int n_slots, cap_slots;
    int *retry;        /* slot indices of interrupted trials to rerun, in order */
    int n_retry;
    int next_number;
    int n_done, n_running;
    int *worker_slot;  /* current slot per worker */
    int n_workers;
    int best;          /* slot index, -1 */
    nnt_model *best_model;
    nnt_trial_view *views; /* the history's views of slots[0..n_views) (nnt__study_build_history) */
    int cap_views, n_views;
    int masked_from;       /* views from here were changed for one call (nnt__study_det_history) */
    double t_start, deadline;
    int fatal;
    nnt_error fatal_err;
    int has_test;
    nnt_metrics test;
    size_t n_test;
    atomic_int stop;
    /* refit (opt.refit) */
    double budget_end;  /* t_start + max_seconds; deadline is earlier by the refit's reserve */
    _Atomic double live_deadline; /* copy of deadline that workers read between batches */
    int refit_state;    /* 0 not run, 1 done, -1 skipped or unfinished */
    int refit_epochs;
    int refit_members;  /* models the study's final model averages (1: the refit alone) */
    size_t refit_rows;
    double refit_seconds;
    int refit_rank;     /* the MPI rank that ran the refit; 0: this process */
    char refit_note[1200];
    double refit_estimate; /* seconds the current best's refit should take */
    nnt_metrics refit_trial_test; /* the best trial's own model on the test set */
    size_t refit_trial_n_test;    /* 0: not measured */

    /* deterministic studies (opt.deterministic; study_determ.c) */
    int det_slots;      /* J: trial k is proposed from trials < k - J + 1; 0: free-running */
    int done_prefix;    /* slots[0..done_prefix) have all finished (under mu) */
    pthread_cond_t cv;  /* a trial finished: a waiting ask may go on */

    /* The coordinator's monotonic clock (deadlines, elapsed times): NULL is
     * nnt_clock_monotonic; a simulation drives it (bench/coordinator). */
    double (*clock)(void *ctx);
    void *clock_ctx;
};

/* study.c */
/* Where the workers of a run are when they are not this process's threads
 * (src/mpi/: other MPI ranks). serve() runs until every worker is done,
 * passing their messages to ops (the coordinator) in this thread. */
typedef struct study_transport {
    int n_workers; /* worker ids 0 .. n_workers-1 */
    void (*serve)(void *ctx, nnt_study *s, const nnt_coordinator_ops *ops);
    void *ctx;
    /* Optional: runs the study's refit on a worker (src/mpi/mpi_refit.c).
     * Returns where it ran (> 0, an MPI rank) with *status, *out and *res
     * as nnt__mlp_refit gives them (err: its message), or 0 when no worker
     * could run it (none left, or the one chosen was lost): the refit then
     * runs here. */
    int (*refit)(void *ctx, nnt_study *s, const struct nnt_refit_task *task, nnt_model **out,
                 struct nnt_refit_result *res, int *status, nnt_error *err);
} study_transport;
/* nnt_study_run with the workers behind tp (NULL: threads here). */
int nnt__study_run_with(nnt_study *s, const study_transport *tp, nnt_error *err);
int nnt__study_init_mlp(nnt_study *s, const nnt_study_options *opt, const nnt_study_data *data,
                        int cv_folds, nnt_error *err);

/* study_coord.c */
double nnt__study_orient(const nnt_study *s, double v);
/* The coordinator's clock (s->clock, else nnt_clock_monotonic). */
double nnt__study_now(const nnt_study *s);
/* Drives the coordinator's clock (deadlines, budgets, elapsed times) from
 * fn(ctx) instead of nnt_clock_monotonic; NULL restores it. Before
 * nnt__study_co_begin. Workers' own checks (trial time limits) keep the real
 * clock: this is for a transport that simulates its workers. */
void nnt__study_set_clock(nnt_study *s, double (*fn)(void *ctx), void *ctx);
/* The history as the sampler and pruner see it (every slot, as it stands). */
int nnt__study_build_history(nnt_study *s, nnt_history *h);
/* Prepares the coordinator for n_workers workers (ids 0..n_workers-1):
 * their slots, the start time, the deadline, the refit reserve; emits
 * NNT_EVENT_STUDY_START. What nnt_study_run does before starting its threads,
 * and what another transport (MPI, the coordinator benchmark) calls before
 * forwarding messages. */
int nnt__study_co_begin(nnt_study *s, int n_workers, nnt_error *err);
/* ask without waiting: NNT_OK, NNT_ERR_NOT_FOUND, or NNT_ASK_WAIT when a
 * deterministic study needs results that are not in yet (ask again after the
 * next tell). nnt__study_co_ask is the same but waits (worker threads). */
int nnt__study_co_ask_try(void *ctx, int worker, nnt_trial_task *t);
/* A finished trial's results on its slot (sl->state already set): the value
 * and tie-breakers when it ended COMPLETE or PRUNED, then the objective
 * values (at most NNT_MAX_OBJECTIVES). */
void nnt__study_slot_set_results(const nnt_study *s, slot *sl, double value, double spread,
                                 double valid_loss, double n_params, int n_values,
                                 const double *values);
void nnt__study_slot_free(slot *sl);
slot *nnt__study_slot_new(int nspace);
int nnt__study_slot_push(nnt_study *s, slot *sl);
int nnt__study_better(const nnt_study *s, const slot *a, int best_idx);
void nnt__study_event_init(const nnt_study *s, nnt_study_event *e, nnt_study_event_kind kind,
                           int worker, const slot *sl);
void nnt__study_emit(const nnt_study *s, const nnt_study_event *e);
int nnt__study_co_stopping(void *ctx);
double nnt__study_co_deadline(void *ctx);
int nnt__study_co_ask(void *ctx, int worker, nnt_trial_task *t);
int nnt__study_co_report(void *ctx, int worker, const nnt_report_msg *rp);
void nnt__study_co_tell(void *ctx, int worker, nnt_trial_outcome *o);

/* study_determ.c */
/* The number of slots a deterministic study runs with (0: free-running). */
int nnt__study_det_slots(const nnt_study_options *opt);
/* Whether every trial numbered below next_number - slots + 1 has finished
 * (the next trial may be proposed). Under mu. */
int nnt__study_det_ready(nnt_study *s);
/* The fixed history trial `number` is proposed from or pruned with: trials
 * numbered below number - slots + 1 as they are, those from there up to
 * number - 1 as running with nothing reported, trial `number` itself as it
 * is, later ones left out. Under mu. */
int nnt__study_det_history(nnt_study *s, int number, nnt_history *h);

/* study_storage.c */
int nnt__study_open_stored(nnt_study *s, const nnt_study_options *opt, const nnt_study_data *data,
                           nnt_error *err);
int nnt__study_load_history(nnt_study *s, nnt_error *err);

/* study_refit.c */
void nnt__study_reserve_refit_time(nnt_study *s);
json_object *nnt__study_refit_json(const nnt_study *s);
int nnt__study_run_refit(nnt_study *s, const study_transport *tp, int threads, nnt_error *err);

/* study_results.c */
int nnt__study_test_model(const nnt_study *s, const nnt_model *m, nnt_metrics *out, size_t *n,
                          nnt_error *err);
int nnt__study_best_trial_model(const nnt_study *s, const slot *b, const nnt_model **m,
                                nnt_model **loaded, nnt_error *err);
json_object *nnt__study_metrics_json(const nnt_metrics *m, size_t rows);
int nnt__study_evaluate_best(nnt_study *s, nnt_error *err);

#endif
