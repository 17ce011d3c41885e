/* The TPE sampler (sampler_tpe.c): options and constructor, to be wired into
 * the sampler factory (sampler.c, "tpe") and, once the options are public,
 * moved to include/nntune/tune.h. Not a public header yet. */
#ifndef NNT_TUNE_TPE_INTERNAL_H
#define NNT_TUNE_TPE_INTERNAL_H

#include "nntune/tune.h"

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
} nnt_tpe_options;

NNT_API nnt_tpe_options nnt_tpe_options_default(void);

/* Creates the TPE sampler (docs/tpe-and-pruning.md). opt NULL means the
 * defaults. Validates the space and the options (NNT_ERR_ARG naming the
 * option); on failure *out is zeroed. Like the other samplers, propose() does
 * not modify ctx (safe from several threads), keeps no pointer to the space
 * and is deterministic given (space, history, number, seed). */
NNT_API int nnt_sampler_tpe_create(const nnt_space *space, const nnt_tpe_options *opt,
                                   nnt_sampler *out, nnt_error *err);

/* For tests: the number of good and bad observations each parameter's
 * estimators would be built from for this history (0 for fixed parameters;
 * before the startup trials are done, all 0). n_good/n_bad have space size
 * slots. */
int tpe_observation_counts(const nnt_sampler *tpe, const nnt_space *space,
                           const nnt_history *hist, int *n_good, int *n_bad, nnt_error *err);

/* For tests: the trial numbers of the good observations for this history
 * (history order) into numbers (room for max); returns their count (0
 * before the startup trials are done) or a negative code. */
int tpe_good_trials(const nnt_sampler *tpe, const nnt_history *hist, int *numbers, int max,
                    nnt_error *err);

#endif
