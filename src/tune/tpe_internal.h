/* The TPE sampler (sampler_tpe.c): test hooks. The options and the
 * constructor are public (include/nntune/tune.h). Not a public header. */
#ifndef NNT_TUNE_TPE_INTERNAL_H
#define NNT_TUNE_TPE_INTERNAL_H

#include "nntune/tune.h"

/* For tests: the number of good and bad observations each parameter's
 * estimators would be built from for this history (0 for fixed parameters;
 * before the startup trials are done, all 0). n_good/n_bad have space size
 * slots. */
int nnt__tpe_observation_counts(const nnt_sampler *tpe, const nnt_space *space,
                                const nnt_history *hist, int *n_good, int *n_bad, nnt_error *err);

/* For tests: the trial numbers of the good observations for this history
 * (history order) into numbers (room for max); returns their count (0
 * before the startup trials are done) or a negative code. */
int nnt__tpe_good_trials(const nnt_sampler *tpe, const nnt_history *hist, int *numbers, int max,
                         nnt_error *err);

#endif
