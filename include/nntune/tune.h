/* nntune: hyperparameter search spaces, samplers and studies.
 *
 * A search space is a list of named parameters (int, float, categorical,
 * fixed), some conditional on others. A trial's parameters are a vector x
 * with one slot per space parameter plus an `active` flag per slot (inactive
 * conditional parameters have active = 0 and x = NAN). INT and FLOAT slots hold
 * the value itself; CATEGORICAL slots hold the choice index (0-based); FIXED
 * slots hold 0 (the index of their one value). The syntax of spaces (study-file
 * JSON and `--param NAME=SPEC`) and the parameter names are documented in
 * docs/search-space.md. */
#ifndef NNTUNE_TUNE_H
#define NNTUNE_TUNE_H

#include "common.h"
#include "model.h"
#include "rng.h"
#include "train.h"
#include "trial.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Search spaces -------------------------------------------------------- */
typedef enum nnt_param_kind {
    NNT_PARAM_INT = 0,
    NNT_PARAM_FLOAT,
    NNT_PARAM_CATEGORICAL,
    NNT_PARAM_FIXED
} nnt_param_kind;

typedef struct nnt_space nnt_space;

/* Read-only view of one parameter. */
typedef struct nnt_param_info {
    const char *name;
    nnt_param_kind kind;
    double low, high;     /* INT/FLOAT range (inclusive) */
    int log;              /* log scale */
    double step;          /* FLOAT: 0 = continuous; INT: >= 1 (default 1) */
    int grid_points;      /* points per range in grid search (0 = default) */
    int n_choices;        /* CATEGORICAL: choices; FIXED: 1 */
    int parent;           /* index of the parameter this one depends on, -1 if none
                             (also -1 while the parent is not in the space) */
} nnt_param_info;

NNT_API nnt_space *nnt_space_new(void);        /* NULL on out of memory */
/* A space for a user objective (objective.h): parameters may have any name
 * of 1-64 letters, digits, '_', '-' and '.'; ranges and choices get the
 * generic checks (finite ends, low <= high, log > 0, no repeated choice)
 * instead of the checks of nntune's MLP names. In the SPEC language a range
 * written in integers ("1:10") is an int range, any other ("0.0:1") a float
 * one. Clones and stored copies keep the mode. NULL on out of memory. */
NNT_API nnt_space *nnt_space_new_any(void);
/* 1 for a space made by nnt_space_new_any / nnt_space_from_json_any. */
NNT_API int nnt_space_any_names(const nnt_space *s);
NNT_API void nnt_space_free(nnt_space *s);      /* NULL is a no-op */
NNT_API int nnt_space_size(const nnt_space *s);
NNT_API int nnt_space_find(const nnt_space *s, const char *name); /* index or -1 */
NNT_API int nnt_space_info(const nnt_space *s, int i, nnt_param_info *out);
/* Text of choice c of categorical parameter i ("relu", "0.5", ...), or of the
 * value of a fixed one (c = 0). NULL when out of range. */
NNT_API const char *nnt_space_choice(const nnt_space *s, int i, int c);

/* Adds or replaces a parameter from a command-line SPEC (the same language as
 * `--param NAME=SPEC`): a single value (fixed), a list "a,b,c" (categorical),
 * or a range "low:high[:log][:step=S][:points=N]"; int or float by name. A
 * replaced parameter keeps its position and its condition. Errors (NNT_ERR_ARG)
 * name the parameter and what was expected; the space is then unchanged. */
NNT_API int nnt_space_set_spec(nnt_space *s, const char *name, const char *spec, nnt_error *err);
/* Parses the "space" object of a study file (JSON text) and validates it;
 * errors name the key path, e.g. "space.lr.low: expected a number > 0 for a
 * log scale": NNT_ERR_FORMAT for bad JSON and wrong types, NNT_ERR_ARG for bad
 * names, values and conditions. On failure *out = NULL. */
NNT_API int nnt_space_from_json(const char *json_text, nnt_space **out, nnt_error *err);
/* nnt_space_from_json for a user objective's space (any names, see
 * nnt_space_new_any); a JSON range without "type" is int when both ends are
 * written as integers. */
NNT_API int nnt_space_from_json_any(const char *json_text, nnt_space **out, nnt_error *err);
/* The default space from common practice (see docs/search-space.md). */
NNT_API int nnt_space_default(nnt_space **out, nnt_error *err);
/* Rows tuned on below which nnt_space_default_for_rows gives the small-data
 * space; the same threshold as the study's small-data model selection. */
#define NNT_SMALL_DATA_ROWS 5000
/* The default space for a study that trains on `rows` rows: with fewer than
 * NNT_SMALL_DATA_ROWS, the small-data space (docs/search-space.md: smaller
 * networks, weight decay, small batches, more epochs; trials are cheap there),
 * otherwise nnt_space_default's. Fails only for lack of memory; on failure
 * *out = NULL. */
NNT_API int nnt_space_default_for_rows(size_t rows, nnt_space **out, nnt_error *err);
/* Deep copy; NULL on out of memory. */
NNT_API nnt_space *nnt_space_clone(const nnt_space *s);
/* Makes parameter `name` conditional on another one, from a command-line
 * condition "PARENT=v1,v2" (active when the parent's value is one of the
 * list), "PARENT>=A", "PARENT<=B" or "PARENT=A:B" (inclusive numeric range).
 * Replaces any earlier condition of `name`. The parent is checked by
 * nnt_space_validate. NNT_ERR_NOT_FOUND if `name` is not in the space. */
NNT_API int nnt_space_set_condition(nnt_space *s, const char *name, const char *cond,
                                    nnt_error *err);
/* Sets active[] from the conditions and the parent values in x (every slot
 * whose parents are active must hold a value); inactive slots get x = NAN.
 * Fails only on an invalid space (see nnt_space_validate). */
NNT_API int nnt_space_resolve(const nnt_space *s, double *x, uint8_t *active, nnt_error *err);
/* Comma-separated list of the parameter names nnt_space_apply knows (static). */
NNT_API const char *nnt_space_known_params(void);
/* Checks conditions (unknown parents, cycles) and names; called by samplers
 * and studies before any trial runs. */
NNT_API int nnt_space_validate(const nnt_space *s, nnt_error *err);
/* JSON object {"name": value, ...} of the active parameters of x, numbers in
 * their shortest exact text (malloc'd; free() it). NULL on out of memory. */
NNT_API char *nnt_space_params_json(const nnt_space *s, const double *x, const uint8_t *active);
/* Inverse of params_json: parses stored parameters back into x/active (exact
 * doubles). Every active non-fixed parameter must be present; values must lie
 * in the space (range, integers, one of the choices); unknown names are
 * errors (NNT_ERR_FORMAT naming "params.NAME"). */
NNT_API int nnt_space_params_from_json(const nnt_space *s, const char *json, double *x,
                                       uint8_t *active, nnt_error *err);
/* JSON definition of the whole space (stored with the study, reloadable with
 * nnt_space_from_json to an identical space). malloc'd; NULL on out of memory. */
NNT_API char *nnt_space_to_json(const nnt_space *s);

/* Applies a trial's parameters to model and training options (hidden_layers,
 * neurons / neurons_K, activation, optimizer, lr, momentum, batch_size, epochs,
 * patience, dropout, weight_decay, schedule, scale_lr, pretrain, pretrain_epochs,
 * ...; the full list is in docs/search-space.md). Parameters not in the space
 * or inactive keep the base options. Values outside a name's domain, or a
 * hidden layer left without a width, are NNT_ERR_ARG; both option structs are
 * then unchanged. */
NNT_API int nnt_space_apply(const nnt_space *s, const double *x, const uint8_t *active,
                            nnt_model_options *mopt, nnt_train_options *topt, nnt_error *err);

/* ---- Samplers ------------------------------------------------------------- */
/* nnt_trial_state is in trial.h. */

/* What a sampler may see of earlier trials. value is the objective oriented
 * so that LOWER IS BETTER (maximised metrics are negated); NAN when none. */
typedef struct nnt_trial_view {
    int number;
    nnt_trial_state state;
    const double *x;
    const uint8_t *active;
    double value;
    int epochs;                 /* epochs reported */
    const double *intermediate; /* epochs values, oriented like value */
    int retry;                  /* 1: the trial was interrupted (not a real failure):
                                   samplers that avoid repeats (grid) may propose
                                   its parameters again */
} nnt_trial_view;

typedef struct nnt_history {
    const nnt_trial_view *trials;
    int n;
} nnt_history;

/* Sampler plug-in: a table of functions plus ctx. propose() fills x/active
 * (space size slots) for trial `number` with a seed derived from the study seed
 * and number; returns NNT_OK, or NNT_ERR_NOT_FOUND when the sampler has
 * nothing left to propose (grid exhausted). */
typedef struct nnt_sampler {
    const char *name;
    void *ctx;
    int (*propose)(void *ctx, const nnt_space *space, const nnt_history *hist, int number,
                   uint64_t seed, double *x, uint8_t *active, nnt_error *err);
    void (*free_ctx)(void *ctx);
} nnt_sampler;

/* Creates "grid", "random", "sobol" or "tpe" (with default TPE options); same
 * as nnt_sampler_create_seeded with study_seed 0. Validates the space first.
 * On failure *out is zeroed (name NULL). The sampler keeps no pointer to the
 * space: propose() must be given the same space each time. propose() does not
 * modify ctx, so the same sampler may be asked from several threads.
 *   grid:   the first cell, in a fixed order, that no trial of the history has
 *           taken (trials with `retry` set do not count); NNT_ERR_NOT_FOUND when
 *           all cells are taken. Ignores number and seed.
 *   random: independent draws from an nnt_rng seeded with `seed`.
 *   sobol:  point `number` (>= 0) of an Owen-scrambled Sobol sequence whose
 *           scramble comes from study_seed; ignores seed and history.
 *   tpe:    Tree-structured Parzen Estimator over the history (complete,
 *           pruned and, as constant liars, running trials); startup trials
 *           from the Sobol sequence of study_seed. See nnt_sampler_tpe_create. */
NNT_API int nnt_sampler_create(const char *name, const nnt_space *space, nnt_sampler *out,
                               nnt_error *err);
/* As nnt_sampler_create, with the study seed that fixes the Sobol scramble. */
NNT_API int nnt_sampler_create_seeded(const char *name, const nnt_space *space,
                                      uint64_t study_seed, nnt_sampler *out, nnt_error *err);
NNT_API void nnt_sampler_free(nnt_sampler *s);
/* Number of grid cells of a space (conditional parameters expand only where
 * active); 0 on overflow. */
NNT_API size_t nnt_grid_size(const nnt_space *space);

/* ---- TPE ------------------------------------------------------------------ */
/* Options of the Tree-structured Parzen Estimator (docs/tpe-and-pruning.md). */
typedef struct nnt_tpe_options {
    int n_startup_trials; /* finished trials (complete + pruned) before TPE takes
                             over; default 10 */
    int n_candidates;     /* draws from l(x) per proposal; default 24 */
    double gamma;         /* good fraction: n_good = min(ceil(gamma*n), gamma_max);
                             default 0.1 */
    int gamma_max;        /* default 25 */
    double prior_weight;  /* weight of the prior component; default 1.0 */
    int magic_clip;       /* 1 (default): bandwidths >= range / min(100, 1 + n) */
    int multivariate;     /* 0 (default): one estimator per parameter; 1: joint
                             kernels over the unconditional parameters */
    int independent;      /* 0 (default): n_candidates whole vectors drawn from
                             l(x) = prod l_i(x_i), the one with the largest
                             l(x)/g(x) wins; 1: each parameter picks its own best
                             of n_candidates draws (Hyperopt, Optuna) */
    int constant_liar;    /* 1 (default): RUNNING trials count as bad observations
                             (the worst value), so that concurrent proposals differ */
    const char *startup;  /* sampler for the startup trials: "sobol" (default, falls
                             back to "random" beyond its dimensions) or "random" */
    uint64_t study_seed;  /* for the Sobol scramble; default 0 */
    int n_bad_max;        /* > 0: the bad density g uses only the n_bad_max most recent
                             bad observations (in history order; running trials
                             under the constant liar are among them), while the
                             good ones still come from the whole history: bounds a
                             proposal's cost in long studies
                             (bench/bench_coordinator.c); 0 (default): all */
} nnt_tpe_options;

/* The defaults listed above. Can't fail. */
NNT_API nnt_tpe_options nnt_tpe_options_default(void);

/* Creates the TPE sampler (docs/tpe-and-pruning.md). opt NULL means the
 * defaults. Validates the space and the options (NNT_ERR_ARG naming the
 * option); on failure *out is zeroed. Like the other samplers, propose() does
 * not modify ctx (safe from several threads), keeps no pointer to the space
 * and is deterministic given (space, history, number, seed). Free with
 * nnt_sampler_free. */
NNT_API int nnt_sampler_tpe_create(const nnt_space *space, const nnt_tpe_options *opt,
                                   nnt_sampler *out, nnt_error *err);

#ifdef __cplusplus
}
#endif
#endif
