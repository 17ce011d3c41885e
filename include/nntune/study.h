/* nntune: hyperparameter studies.
 *
 * A study tries parameter sets (trials) from a search space on one data set,
 * keeps every trial in a storage (store.h) and the best model on disk. A
 * coordinator owns the sampler, the pruner, the storage and the budget; workers ask it for trials, report every epoch and tell it the
 * result. Today the workers are threads of this process; the message set
 * (ask / report / tell) is kept narrow so that other transports can replace
 * them.
 *
 * Determinism: trial n trains with seed nnt_seed_derive(study seed, n); the
 * sampler proposes trials in number order, so the same study seed gives the
 * same parameter sequence for grid, random and sobol whatever the number of
 * jobs, and with one job bit-identical metrics. TPE and pruning read the
 * history, so with one job they reproduce exactly; with several jobs the
 * history a proposal or a pruning decision sees depends on timing, unless
 * the study is deterministic (nnt_study_options.deterministic), which fixes
 * that history by trial number.
 *
 * Multi-objective studies optimise the validation metric together with
 * costs (parameter count, inference or training time); the metric stays the
 * primary objective (samplers and pruners see it alone), every objective's
 * value is stored per trial, and the study keeps the Pareto front.
 *
 * What a trial runs is an objective (objective.h): nntune's MLP trainer on
 * the study's data, or a C function of the caller's (nnt_study_options.
 * objective; docs/objectives.md), with the same samplers, pruners, storage
 * and resume.
 *
 * The study file format is documented in docs/study-file.md, the storage
 * schema in docs/storage.md. */
#ifndef NNTUNE_STUDY_H
#define NNTUNE_STUDY_H

#include "common.h"
#include "data.h"
#include "model.h"
#include "objective.h"
#include "prune.h"
#include "store.h"
#include "train.h"
#include "tune.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Events (progress of a running study) --------------------------------- */
typedef enum nnt_study_event_kind {
    NNT_EVENT_STUDY_START = 0, /* after resume bookkeeping, before any trial */
    NNT_EVENT_TRIAL_START,
    NNT_EVENT_EPOCH,           /* one epoch of one fold of a running trial */
    NNT_EVENT_TRIAL_END,
    NNT_EVENT_STUDY_END,
    NNT_EVENT_REFIT_START,     /* the best trial's configuration is retrained
                                  (nnt_study_options.refit): number = that trial,
                                  max_epochs = the epochs to run */
    NNT_EVENT_REFIT_END,       /* epochs = epochs run, duration = seconds, error =
                                  why it did not finish (NULL when it did) */
    NNT_EVENT_REFIT_EPOCH      /* an epoch of the refit ended: epoch of max_epochs,
                                  duration = seconds so far */
} nnt_study_event_kind;

typedef struct nnt_study_event {
    nnt_study_event_kind kind;
    int worker;            /* 0..jobs-1; -1 for study events */
    /* trial events */
    int number;            /* trial number; -1 for study events */
    const char *params;    /* JSON object */
    int retry_of;          /* the interrupted trial this one reruns, or -1 */
    int fold, n_folds;     /* epoch events: fold (0-based) of n_folds (1 = hold-out) */
    int epoch, max_epochs; /* epoch events */
    double epoch_value;    /* epoch events: objective metric of this epoch */
    nnt_trial_state state; /* TRIAL_END */
    double value;          /* TRIAL_END: objective metric (NAN: none) */
    double value_spread;   /* TRIAL_END: std over folds (NAN: none) */
    const char *error;     /* TRIAL_END: failure reason, else NULL */
    double duration;       /* TRIAL_END: seconds */
    int epochs;            /* TRIAL_END: epochs reached */
    int is_best;           /* TRIAL_END: new best of the study */
    /* study progress, in every event */
    int n_done;            /* finished trials that count against the budget */
    int n_running;
    int max_trials;        /* 0: no trial budget */
    double elapsed_s;      /* since nnt_study_run started */
    double max_seconds;    /* 0: no time budget */
    int best_number;       /* -1: none yet */
    double best_value;
    const char *metric;    /* objective metric name */
    int maximize;
    /* TRIAL_END of a complete trial in a multi-objective study: the values
     * of every objective (metric first, then the costs); else 0 / NULL. */
    int n_values;
    const double *values;
} nnt_study_event;

/* Events are delivered one at a time (serialised by the coordinator), from
 * worker threads. The callback must be quick and must not call into the study,
 * except nnt_study_stop. */
typedef void (*nnt_study_event_fn)(const nnt_study_event *e, void *userdata);

/* Pruning hook: called after every epoch report of fold 0 with the history of
 * all trials (value oriented so that lower is better). Return NNT_PRUNED to
 * stop the trial (recorded as pruned with its best value so far), 0 to go on.
 * NULL means never prune. Built-in pruners (prune.h) are chosen by name with
 * nnt_study_options.pruner instead. */
typedef int (*nnt_prune_fn)(void *ctx, const nnt_history *hist, int number, int epoch,
                            double value_oriented);

/* ---- Objectives --------------------------------------------------------------- */
/* Costs a multi-objective study minimises next to its validation metric. */
/* The one table of costs (enum suffix, name, value; values from 1):
 * PARAMS: trainable parameters of the model; INFER_TIME: microseconds per
 * sample of a forward pass on (up to 2048 of) the validation rows after
 * training, median of 5 runs, one thread; TRAIN_TIME: seconds the trial
 * trained (all folds). */
#define NNT_COST_MAP(X)                                                       \
    X(PARAMS, "params", 1)                                                   \
    X(INFER_TIME, "infer_time", 2)                                           \
    X(TRAIN_TIME, "train_time", 3)

typedef enum nnt_cost {
#define NNT_COST_ENUM_(id, name, value) NNT_COST_##id = value,
    NNT_COST_MAP(NNT_COST_ENUM_)
#undef NNT_COST_ENUM_
} nnt_cost;

/* "params", "infer_time", "train_time"; "?" for other values. */
NNT_API const char *nnt_cost_name(nnt_cost c);
/* Parses a cost name; -1 if unknown. */
NNT_API int nnt_cost_from_name(const char *name);

/* ---- Model selection policy ------------------------------------------------ */
/* Studies with fewer training rows than this (after max_rows) are "small":
 * with the defaults (cv_folds = NNT_CV_AUTO, refit = NNT_REFIT_AUTO) they
 * score every trial by NNT_SMALL_DATA_FOLDS-fold cross-validation and refit
 * the best configuration on all training rows at the end, as scikit-learn's
 * GridSearchCV(cv=5, refit=True) does. A hold-out of 20 % of 5000 rows
 * (1000 validation rows) resolves accuracy steps of 0.1 %; below that, ties
 * and luck of the split dominate. Larger studies keep the single hold-out
 * (cross-validation would cost 5x the time where it matters least).
 * NNT_SMALL_DATA_ROWS (tune.h) is the threshold. */
#define NNT_SMALL_DATA_FOLDS 5
#define NNT_CV_AUTO (-1)    /* nnt_study_options.cv_folds: decided by the rows */
#define NNT_REFIT_AUTO (-1) /* nnt_study_options.refit: decided by the rows */
#define NNT_ENSEMBLE_AUTO (-1) /* nnt_study_options.ensemble: decided by the folds */

/* ---- The best trial --------------------------------------------------------- */
/* The one rule by which a trial is better than another, used for the
 * study's best (and so the saved model), `nntune best`, leaderboards,
 * `nntune trials --sort` and reports:
 *   1. complete trials with a value, then pruned ones with a value, then the rest;
 *   2. the better value in the study's direction;
 *   3. on equal values, the lower validation loss (valid_loss);
 *   4. then fewer trainable parameters (n_params);
 *   5. only when all of these are equal, the lower trial number.
 * An unknown (NAN) tie-breaker ranks after a known one. Returns < 0 when a is
 * better, > 0 when b is, 0 only for equal numbers. Can't fail. */
NNT_API int nnt_trial_compare(const nnt_trial_record *a, const nnt_trial_record *b, int maximize);
/* Index of the best complete trial of t[0..n), -1 if none. */
NNT_API int nnt_trials_best(const nnt_trial_record *t, size_t n, int maximize);
/* Complete trials whose value equals the best one's (the best included); 0 if none. */
NNT_API int nnt_trials_tied(const nnt_trial_record *t, size_t n, int maximize);
/* Whether so many trials tie at the best value that the validation data
 * cannot tell them apart: at least NNT_TIES_NOTE_MIN of them and at least
 * NNT_TIES_NOTE_FRACTION of the complete trials. */
#define NNT_TIES_NOTE_MIN 5
#define NNT_TIES_NOTE_FRACTION 0.10
NNT_API int nnt_ties_noteworthy(int tied, int n_complete);

/* ---- Options -------------------------------------------------------------- */
typedef struct nnt_study_options {
    const char *name;          /* study name in the storage; default "default" */
    const char *sampler;       /* "grid", "random", "sobol", "tpe"; NULL (the default):
                                  NNT_DEFAULT_SAMPLER */
    uint64_t seed;             /* study seed; default 1 */
    int seed_set;              /* 0: on resume, keep the stored seed */
    int jobs;                  /* worker threads; 0 = number of online cores */
    int max_trials;            /* trial budget; 0 = none (a grid stops when done) */
    double max_seconds;        /* time budget; 0 = none */
    nnt_metric metric;         /* objective; AUTO: accuracy (classification) / rmse */
    int direction;             /* 0: the metric's natural one; 1 maximise; -1 minimise */
    int cv_folds;              /* >= 2: k-fold cross-validation per trial; 0/1: hold-out;
                                  NNT_CV_AUTO (the default): NNT_SMALL_DATA_FOLDS folds
                                  when the study tunes on fewer than
                                  NNT_SMALL_DATA_ROWS rows without a separate
                                  validation set, else hold-out. On resume, AUTO
                                  keeps the stored study's choice. */
    double valid_fraction;     /* hold-out fraction when no validation set; default 0.2 */
    size_t max_rows;           /* tune on a seeded subsample of this many rows; 0 = all */
    double trial_time_limit_s; /* per trial (per fold under k-fold); 0 = none */
    const char *model_out;     /* where each new best model is saved; NULL: not saved
                                  (kept in memory for the test evaluation) */
    int force;                 /* resume even if the search space, sampler, pruner or
                                  budget changed (stores the new definition); never
                                  when the data changed (see nnt_study_create) */
    const char *data_desc;     /* JSON object of extra keys describing the data, merged
                                  into the stored data fingerprint; NULL: none */
    nnt_model_options base_model; /* options not in the space */
    nnt_train_options base_train;
    nnt_study_event_fn on_event;
    void *userdata;
    nnt_prune_fn prune;        /* a custom pruning hook; NULL: opt.pruner decides */
    void *prune_ctx;
    /* Sampler options as a JSON object ({"n_startup": 10, "multivariate":
     * true} for tpe; see nnt_study_sampler_create); NULL: the defaults. */
    const char *sampler_options;
    /* Built-in pruner: "none" (never prune), "median", "asha", "hyperband";
     * with pruner_options a JSON object of its options (see
     * nnt_study_pruner_create). NULL (the default): NNT_DEFAULT_PRUNER, or
     * none for a grid search or with a custom prune hook, which excludes
     * the built-in pruners. */
    const char *pruner;
    const char *pruner_options;
    /* Secondary objectives (costs, minimised) after the metric; 0: a
     * single-objective study. */
    int n_costs;
    nnt_cost costs[NNT_MAX_OBJECTIVES - 1];
    /* 1: after the search, retrain the best trial's configuration on all the
     * rows the study tuned on (the training and the validation part of the
     * hold-out; every row under k-fold) for the epoch count at which its
     * validation metric peaked (fold 0), and make that model the study's
     * result: saved to model_out and evaluated on the test set. With a time budget, the search stops early enough
     * to leave the refit its estimated time (from the best trial's seconds
     * per epoch, scaled to the refit's rows, at most 40 % of the budget); a
     * best found too late for that is not refit, and a refit that does not
     * finish in what is left is dropped: the best trial's model stays. Needs validation rows drawn from the training data (not a
     * separate validation set). 0: never. NNT_REFIT_AUTO (the default): on
     * small data (fewer than NNT_SMALL_DATA_ROWS tuned rows) without a
     * separate validation set; under k-fold the refit runs for the epoch at
     * which the folds' mean validation curve peaked (the trial's score). */
    int refit;
    /* 1: n_costs / costs were given (0 costs then means a single objective
     * also on resume); 0: nnt_study_options_inherit takes the stored ones. */
    int costs_set;
    /* The function the study tunes (objective.h); NULL: nntune's MLP
     * trainer on `data`. With a user objective the study takes no data set
     * (nnt_study_create's data may be NULL), the space takes any names
     * (nnt_space_new_any), n_costs must be 0 (the objective names its own
     * costs), cv_folds and refit do not apply, metric and direction come
     * from the objective (a direction given must agree), and
     * trial_time_limit_s fails trials that run longer at their next report
     * or nnt_trial_should_stop. Borrowed for the study's life. */
    const nnt_objective *objective;
    /* 1: a reproducible parallel study (docs/reproducible.md): the same seed
     * and the same number of slots give the same trials -- parameters,
     * values, states and pruning decisions -- whatever the timing of the
     * workers. Trial k is proposed from the finished trials numbered below
     * k - slots + 1, with the slots - 1 trials before it seen as running
     * (nothing reported), and its ask waits until those results are in;
     * a pruning decision for trial k sees the same fixed set. A time budget
     * then only stops handing out trials: running trials finish, so the
     * stored trials are a prefix 0..n-1 of the same study with any budget.
     * Excludes what depends on timing: trial_time_limit_s (and the base
     * time_limit_s) and the infer_time / train_time costs. Stored in the
     * study's definition, so a resume keeps it (nnt_study_options_inherit).
     * 0 (the default): free-running, every proposal sees the history as it
     * stands. */
    int deterministic;
    /* Parallel slots of a deterministic study; 0: jobs (the online cores
     * when jobs is 0) when the study is created, the stored count on resume
     * (nnt_study_options_inherit). More workers than slots wait; fewer run
     * the same study, slower. */
    int slots;
    /* Under k-fold cross-validation, 1: a trial's model is the ensemble of
     * its k fold models (their outputs averaged; model.h), and a refit is
     * averaged with the best trial's k fold models (the study's model is
     * then k + 1 models); 0: a trial's model is its best fold's, and the
     * refit (when one runs) alone is the study's model. NNT_ENSEMBLE_AUTO
     * (the default): 1 under k-fold (bench/README.md, the small-data final
     * model). 1 without k-fold, or with a user objective, is an error. */
    int ensemble;
} nnt_study_options;

/* What a study searches with when the options name no sampler (pruner):
 * chosen by the Fashion-MNIST benchmark (bench/fmnist_tune.sh,
 * docs/tpe-and-pruning.md). A grid search prunes nothing by default. */
#define NNT_DEFAULT_SAMPLER "tpe"
#define NNT_DEFAULT_PRUNER "asha"

/* The sampler (pruner) a study with these options uses: the one named, else
 * the default above ("custom" for a custom prune hook). Static strings or
 * the options' own; never NULL. */
NNT_API const char *nnt_study_sampler_name(const nnt_study_options *o);
NNT_API const char *nnt_study_pruner_name(const nnt_study_options *o);

/* Checks what can be checked of the options without data or storage
 * (nnt_study_create checks them again): budgets, fold and refit settings,
 * costs, the sampler and its options, a user objective's fields, and that a
 * search other than a grid has a budget. Messages name option keys
 * ("budget: a tpe search needs a trial budget (budget.trials) or a time
 * budget (budget.time)"). NNT_ERR_ARG on failure. */
NNT_API int nnt_study_options_check(const nnt_study_options *o, nnt_error *err);

/* Defaults as documented above (sampler and pruner NULL: the defaults;
 * cv_folds NNT_CV_AUTO, refit NNT_REFIT_AUTO: cross-validation and a refit
 * on small data); base options from nnt_*_options_default(). A zeroed
 * struct means hold-out, no refit. */
NNT_API nnt_study_options nnt_study_options_default(void);

/* What a study tunes on. All borrowed and read-only for the study's life. */
typedef struct nnt_study_data {
    const nnt_dataset *train; /* required: rows to train (and validate) on */
    const nnt_dataset *valid; /* optional fixed validation set (train's class order) */
    const nnt_dataset *test;  /* optional: the best model is evaluated on it */
} nnt_study_data;

typedef struct nnt_study nnt_study;

/* ---- Stored definitions ------------------------------------------------------ */
/* A study's stored definition (nnt_study_record.definition; the JSON is
 * documented in docs/storage.md), read by nnt_study_definition_parse: the
 * one reader of that JSON outside the study itself. Strings are owned by
 * the struct (nnt_study_definition_free). */
typedef struct nnt_study_definition {
    char *objective;         /* NULL: nntune's MLP trainer; else the user
                                objective's name (nnt_objective.name) */
    char *objective_version; /* NULL: none */
    char *sampler;           /* NULL only for a blank definition ("{}") */
    char *sampler_options;   /* JSON object text; NULL: the defaults */
    char *pruner;            /* "none" when the study prunes nothing */
    char *pruner_options;    /* JSON object text; NULL: the defaults */
    char *metric;            /* the value's name; NULL when not stored */
    int maximize;
    int n_objectives;        /* 1 + the number of costs */
    char *objectives[NNT_MAX_OBJECTIVES]; /* [0] the metric, then the costs
                                (minimised); [0] NULL when not stored */
    int cv_folds;            /* 1: hold-out (also user objectives) */
    char *space;             /* the search space, JSON object text; NULL: none */
    int slots;               /* a deterministic study's parallel slots; 0: free-running */
} nnt_study_definition;

/* Parses stored definition text. NNT_ERR_FORMAT (naming the key) when it is
 * not JSON or a known key has the wrong type; unknown keys are ignored. On
 * failure *out is zeroed. */
NNT_API int nnt_study_definition_parse(const char *json, nnt_study_definition *out,
                                       nnt_error *err);
NNT_API void nnt_study_definition_free(nnt_study_definition *d); /* zeroes d; NULL ok */
/* The stored space, parsed as the objective wants it (nntune's names for
 * the MLP trainer, any names for a user objective). NNT_ERR_NOT_FOUND when
 * none is stored; on failure *out = NULL. */
NNT_API int nnt_study_definition_space(const nnt_study_definition *d, nnt_space **out,
                                       nnt_error *err);
/* Resume defaults: what the options leave unsaid comes from the stored
 * definition, so that a resume needs no settings and a change of the
 * defaults never makes an old study unresumable. Takes the stored sampler
 * (and its options) when o->sampler is NULL, or names the stored sampler
 * without options; the same for the pruner (not with a custom prune hook);
 * the stored costs when !o->costs_set; a stored deterministic study stays
 * deterministic, with its stored slots unless o->slots is set. Pointers into stored: it must
 * outlive the options' use. nnt_study_create does not call it (a library
 * caller decides); the CLI does. */
NNT_API void nnt_study_options_inherit(nnt_study_options *o, const nnt_study_definition *stored);

/* Prepares a study: checks options, space (copied) and data, opens or creates
 * study `opt->name` in storage (locked for this process; trials left
 * 'running' by a dead process become failed "interrupted"), and loads its
 * trials. A stored definition that differs from this one is an NNT_ERR_ARG
 * naming the first difference, unless opt->force. No trial runs here. The
 * storage is borrowed and must outlive the study. On failure *out = NULL. */
NNT_API int nnt_study_create(const nnt_study_options *opt, const nnt_space *space,
                             const nnt_study_data *data, nnt_storage *storage,
                             nnt_study **out, nnt_error *err);

/* Runs trials until the budget is spent, the grid is exhausted or
 * nnt_study_stop is called, then evaluates the best model on the test set.
 * Trials that fail are recorded and the study goes on. Returns NNT_OK, or a
 * negative code when the storage fails (the study stops; what was written
 * stays). */
NNT_API int nnt_study_run(nnt_study *s, nnt_error *err);

/* Asks a running study to stop: no new trial starts, running trials stop at
 * their next epoch and are recorded as failed "interrupted" (rerun on
 * resume). Async-signal-safe; can be called from any thread. */
NNT_API void nnt_study_stop(nnt_study *s);

typedef struct nnt_study_summary {
    int n_trials;                 /* stored trials, all states */
    int n_complete, n_pruned, n_failed, n_running;
    int n_done;                   /* counting against the budget */
    int best_number;              /* -1: no complete trial */
    double best_value;
    double best_spread;
    const char *best_params;      /* owned by the study */
    const char *model_path;       /* where the best model is; NULL if unknown */
    int has_test;                 /* test metrics below are valid */
    nnt_metrics test;
    size_t n_test;
    const char *metric;
    int maximize;
    uint64_t seed;                /* the study seed in use */
    int resumed;                  /* 1: the study existed before create */
    int stopped;                  /* 1: nnt_study_stop ended the run */
    int n_objectives;             /* 1 + the number of costs */
    int n_pareto;                 /* trials on the Pareto front (multi-objective) */
    const char *pruner;           /* "none", "median", "asha", "hyperband", "custom" */
    const char *sampler;          /* "grid", "random", "sobol", "tpe" */
    /* Refit (nnt_study_options.refit) of this run: 0 not asked, 1 done (its
     * model is the study's result and the test metrics are its), -1 skipped
     * or not finished (refit_note says why; the best trial's model stays). */
    int refit;
    int refit_epochs;
    size_t refit_rows;
    double refit_seconds;
    int refit_rank;               /* the MPI rank that ran the refit (0: this process) */
    const char *refit_note;       /* owned by the study; "" when none */
    size_t refit_trial_n_test;    /* > 0: refit_trial_test holds the test metrics of */
    nnt_metrics refit_trial_test; /* the best trial's own model, for comparison */
    /* Model selection in use: n_folds folds (1: hold-out) on tuned_rows rows;
     * small_data: tuned_rows < NNT_SMALL_DATA_ROWS; cv_auto / refit_auto: the
     * fold count / the refit were chosen by the NNT_CV_AUTO / NNT_REFIT_AUTO
     * policy (not asked for explicitly); refit_planned: a refit runs (or
     * ran) at the end. */
    int n_folds;
    size_t tuned_rows;
    int small_data, cv_auto, refit_auto, refit_planned;
    /* ensemble: k-fold trials' models average their fold models
     * (nnt_study_options.ensemble); model_members: models the study's model
     * averages (1: a single model; k: a trial's folds; k + 1: the refit
     * with the best trial's folds); 0 when there is no model. */
    int ensemble, model_members;
    /* Complete trials tied at the best value (the best included), and
     * whether that is many enough for a note (nnt_ties_noteworthy). */
    int n_tied;
    int ties_noteworthy;
} nnt_study_summary;

/* Fills a summary of the current state. Can't fail. */
NNT_API void nnt_study_get_summary(const nnt_study *s, nnt_study_summary *out);

/* Pareto front of a multi-objective study: the numbers of the COMPLETE
 * trials whose objective values (metric in its direction, costs minimised;
 * nnt_pareto_front) no other complete trial dominates, ascending, into
 * numbers (room for max). Returns how many there are (which may exceed max),
 * 0 for a single-objective study, or NNT_ERR_NOMEM. */
NNT_API int nnt_study_pareto(const nnt_study *s, int *numbers, int max, nnt_error *err);

NNT_API void nnt_study_free(nnt_study *s); /* NULL is a no-op; closes nothing it borrowed */

/* ---- Samplers and pruners by name and options ----------------------------- */
/* Creates sampler `name` ("grid", "random", "sobol", "tpe") with options from
 * a JSON object (NULL or "{}": the defaults). tpe knows n_startup (alias
 * n_startup_trials), n_candidates, gamma, gamma_max, prior_weight (numbers),
 * magic_clip, multivariate, independent, constant_liar (booleans) and startup
 * ("sobol" or "random"); the other samplers take no options. Errors name the
 * key path, "sampler.n_startup: expected an integer >= 0"; unknown keys are
 * errors. On failure *out is zeroed. */
NNT_API int nnt_study_sampler_create(const char *name, const char *options_json,
                                     const nnt_space *space, uint64_t study_seed,
                                     nnt_sampler *out, nnt_error *err);
/* Creates pruner `name` ("none", "median", "asha", "hyperband") with options
 * from a JSON object (NULL or "{}": the defaults): median takes n_startup
 * (alias n_startup_trials) and n_warmup_epochs; asha min_resource, eta and
 * max_resource; hyperband min_resource, max_resource and eta. max_epochs > 0
 * (the trials' epoch budget) is the default max_resource of asha and
 * hyperband. Errors name the key path ("pruner.eta: expected an integer
 * >= 2"); on failure *out is zeroed. */
NNT_API int nnt_study_pruner_create(const char *name, const char *options_json, int max_epochs,
                                    nnt_pruner *out, nnt_error *err);

/* ---- Study files ---------------------------------------------------------- */
/* A parsed study file (docs/study-file.md). Strings are NULL when the key is
 * absent; numbers 0 when absent unless noted. */
typedef struct nnt_study_file {
    char *data, *labels, *target;  /* data: path or built-in name */
    nnt_task task;                 /* AUTO when absent */
    char *valid, *valid_labels;
    double valid_fraction;
    char *test, *test_labels;
    char *metric, *direction;      /* objective */
    char *space_json;              /* the "space" object as JSON text */
    char *sampler;
    int trials;
    double time_s;
    int jobs;
    uint64_t seed;
    int seed_set;
    int cv_folds;                  /* 0/1 hold-out; NNT_CV_AUTO when absent */
    double trial_time_limit_s;
    char *storage, *study_name, *model_out;
    long max_rows;
    /* Base training options ("options" keys that are parameter names):
     * n_base pairs of name and value text, in file order. */
    int n_base;
    char **base_names, **base_values;
    /* "sampler": {"name": ..., options...}: the options as a JSON object
     * without "name" (NULL when the sampler is a plain string). */
    char *sampler_options;
    /* "pruner": "asha" or {"name": "asha", "eta": 3, ...}. */
    char *pruner, *pruner_options;
    /* "objectives": ["accuracy", "params"]: the metric goes to `metric`,
     * the costs here. */
    int n_costs;
    nnt_cost costs[NNT_MAX_OBJECTIVES - 1];
    int refit;                     /* "options": {"refit": true}: 1, false: 0;
                                      NNT_REFIT_AUTO when absent */
    int ensemble;                  /* "options": {"ensemble": true}: 1, false: 0;
                                      NNT_ENSEMBLE_AUTO when absent */
    /* How a CSV is read, as --ignore, --delimiter and --missing: "ignore"
     * (a column name or a list of them), "delimiter" (one character, "tab",
     * "semicolon" or "comma") and "missing" ("error", "drop", "mean",
     * "median"). */
    char **ignore;                 /* n_ignore column names to drop; NULL when absent */
    int n_ignore;
    char delimiter;                /* 0 when absent: detected from the header */
    nnt_missing missing;           /* NNT_MISSING_ERROR when absent */
} nnt_study_file;

/* Parses study-file JSON text. source names the file in messages. Every
 * error names the key path and what was expected ("study.budget.trials:
 * expected a positive integer"); unknown keys are errors. On failure *out is
 * zeroed. */
NNT_API int nnt_study_file_parse(const char *json_text, const char *source, nnt_study_file *out,
                                 nnt_error *err);
/* Reads and parses a study file. */
NNT_API int nnt_study_file_load(const char *path, nnt_study_file *out, nnt_error *err);
NNT_API void nnt_study_file_free(nnt_study_file *f); /* zeroes f; NULL ok */

/* Sets one base training/model option from a parameter name and a value text
 * ("epochs", "30"; "optimizer", "sgd"), with the same names and checks as the
 * search space. path prefixes messages. */
NNT_API int nnt_study_set_base_option(nnt_model_options *mopt, nnt_train_options *topt,
                                      const char *name, const char *value, const char *path,
                                      nnt_error *err);

/* Parses a duration "90", "90s", "10m", "1.5h" into seconds (> 0). */
NNT_API int nnt_parse_duration(const char *text, double *seconds);

#ifdef __cplusplus
}
#endif
#endif
