/* nntune: objectives, the functions a study tunes.
 *
 * A study runs an objective once per trial: it hands the trial's parameters
 * to evaluate(), which may report intermediate values (one per step: an
 * epoch, an iteration) through nnt_trial_report -- the pruner reads them and
 * may answer "stop" -- and returns the trial's value (and, for a
 * multi-objective study, its secondary values). nntune's MLP trainer is one
 * objective (the one a study runs when nnt_study_options.objective is NULL);
 * any C function can be another. With a user objective the study needs no
 * data set, the search space takes any parameter names (nnt_space_new_any),
 * and samplers, pruners, storage, resume, parallel jobs and the reports
 * (`nntune trials`, `best`, `importance`, `report`) work as for the MLP.
 * See docs/objectives.md. */
#ifndef NNTUNE_OBJECTIVE_H
#define NNTUNE_OBJECTIVE_H

#include "common.h"
#include "store.h" /* NNT_MAX_OBJECTIVES */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- A trial's parameters ------------------------------------------------- */
/* Read-only view of one trial's parameters, valid during evaluate(). */
typedef struct nnt_params nnt_params;

/* Number of parameters of the space (active or not). */
NNT_API int nnt_params_count(const nnt_params *p);
/* Name of parameter i (0-based), NULL when out of range. */
NNT_API const char *nnt_params_name(const nnt_params *p, int i);
/* 1 when `name` is in the space and active in this trial (conditional
 * parameters may be inactive), else 0. */
NNT_API int nnt_params_has(const nnt_params *p, const char *name);
/* The value of `name` as a number: ints and floats as they are, choices
 * and fixed values written as numbers, true/false as 1/0. `fallback` when
 * the parameter is absent, inactive or not numeric ("relu"). Can't fail. */
NNT_API double nnt_params_number(const nnt_params *p, const char *name, double fallback);
/* The value of `name` as text ("relu", "0.5", "3"), NULL when absent or
 * inactive. The text belongs to the view. */
NNT_API const char *nnt_params_text(const nnt_params *p, const char *name);
/* All active parameters as a JSON object (as stored with the trial). */
NNT_API const char *nnt_params_json(const nnt_params *p);

/* ---- The running trial ---------------------------------------------------- */
/* A running trial as its objective sees it, valid during evaluate(). */
typedef struct nnt_trial nnt_trial;

/* Reports the intermediate value of step `step`: 1 for the first report,
 * then one more each time (pruners compare trials at equal steps); another
 * step is NNT_ERR_ARG and nothing is stored. The value is in the objective's direction, raw (not negated). The study
 * stores it, shows it to the pruner and answers: 0 to go on, NNT_PRUNED to
 * stop now -- because the pruner stops the trial, or because the study is
 * stopping (nnt_study_stop, the time budget, a storage failure). Either way
 * evaluate() should return soon (NNT_PRUNED is the natural return); the
 * study records the trial as pruned or as interrupted (rerun on resume) by
 * its own answer. A NAN value is stored but not shown to the pruner. */
NNT_API int nnt_trial_report(nnt_trial *t, int step, double value);
/* 1 when the study wants the trial to stop (stop request, time budget, a
 * deadline), without reporting; for long steps. */
NNT_API int nnt_trial_should_stop(const nnt_trial *t);
/* The trial's number in the study (0, 1, ...). */
NNT_API int nnt_trial_number(const nnt_trial *t);
/* The trial's seed: nnt_seed_derive(study seed, number), or the seed of the
 * interrupted trial it reruns. Seed the objective's randomness with it and
 * the study reproduces. */
NNT_API uint64_t nnt_trial_seed(const nnt_trial *t);

/* ---- The objective -------------------------------------------------------- */
/* Evaluates one trial. values has room for 1 + n_costs numbers.
 *   NNT_OK: the trial is complete; values[0] (finite) is its value, then the
 *           secondary values (NAN: not measured).
 *   NNT_PRUNED: the trial stopped because nnt_trial_report said so; it is
 *           recorded pruned with the best value it reported (or interrupted
 *           when the study was stopping).
 *   < 0:    the trial failed; err->message (filled with nnt_fail or by hand)
 *           is stored as its error, the study goes on.
 * Called from the study's worker threads, several at once when jobs > 1:
 * what ctx holds must be safe to read from several threads (or guarded). */
typedef int (*nnt_objective_fn)(void *ctx, const nnt_params *params, nnt_trial *trial,
                                double *values, nnt_error *err);

typedef struct nnt_objective {
    /* Required. The objective's identity, stored with the study ("name" and
     * "version" in the definition): a resume with another name or version
     * is refused unless nnt_study_options.force. Letters, digits, '_', '-',
     * '.'; at most 64 characters. */
    const char *name;
    const char *version;    /* NULL: none */
    /* The name of the value, shown as the study's metric ("loss", "cost");
     * NULL: "value". The names of nntune's metrics (accuracy, loss, rmse,
     * mae, r2) are allowed too. */
    const char *value_name;
    int maximize;           /* 1: larger values are better; 0: smaller */
    /* The most steps a trial reports (nnt_trial_report): the default
     * max_resource of the asha and hyperband pruners, and the step count
     * progress events show; 0: unknown (hyperband then needs max_resource
     * in its options). */
    int max_steps;
    /* Secondary values of a multi-objective study, always minimised (a
     * time, a size), named here; the value stays the primary objective
     * that samplers and pruners see. 0: single objective. */
    int n_costs;
    const char *cost_names[NNT_MAX_OBJECTIVES - 1];
    nnt_objective_fn evaluate; /* required */
    void *ctx;
} nnt_objective;

#ifdef __cplusplus
}
#endif
#endif
