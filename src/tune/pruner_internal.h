/* Helpers shared by the pruners (pruner*.c). Not a public header. */
#ifndef NNT_TUNE_PRUNER_INTERNAL_H
#define NNT_TUNE_PRUNER_INTERNAL_H

#include "nntune/prune.h"

/* Best (lowest) value of trial v over epochs 1..min(epoch, v->epochs); NaN
 * values count as +INF. NAN when the trial reported no epoch. */
double nnt__prune_best_upto(const nnt_trial_view *v, int epoch);

/* Best value of the trial being judged over epochs 1..epoch, taking
 * value_oriented for `epoch` and the history's view of the trial (if any) for
 * the earlier ones. */
double nnt__prune_current_best(const nnt_history *hist, int number, int epoch, double value_oriented);

/* Which trials compete with `number` (Hyperband: the same bracket). */
typedef int (*prune_group_fn)(const void *gctx, int number, int other);

/* The successive-halving decision at a rung (prune.h, ASHA): 1 to stop. */
int nnt__prune_rung_decision(const nnt_history *hist, int number, int rung_epoch,
                             double value_oriented, int eta, prune_group_fn same_group,
                             const void *gctx);

#endif
