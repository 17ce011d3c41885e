/* nntune: analysis of finished trials: Pareto fronts for multi-objective
 * studies and hyperparameter importance. Pure computations on values the
 * caller passes in (or on a history); nothing here touches storage. The
 * methods are documented in docs/tpe-and-pruning.md. */
#ifndef NNTUNE_ANALYSIS_H
#define NNTUNE_ANALYSIS_H

#include "common.h"
#include "tune.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Pareto fronts -------------------------------------------------------- */
/* Points are n rows of k objectives, row-major (points[i*k + j]). maximize[j]
 * is nonzero when objective j is maximised (NULL: all minimised). Point a
 * dominates b when a is at least as good in every objective and strictly
 * better in one; equal points (duplicates) do not dominate each other, so
 * all copies of a non-dominated point are on the front. A point with a NaN
 * objective is on no front and dominates nothing. Cost O(n^2 k): meant for up
 * to a few thousand points. */

/* 1 if a dominates b, else 0. */
NNT_API int nnt_dominates(const double *a, const double *b, int k, const int *maximize);

/* Writes the indices of the non-dominated points, ascending, into out_idx
 * (room for n) and returns their count (0 when n is 0 or every point has a
 * NaN), or NNT_ERR_ARG on bad arguments, NNT_ERR_NOMEM. */
NNT_API int nnt_pareto_front(const double *points, int n, int k, const int *maximize,
                             int *out_idx, nnt_error *err);

/* Non-dominated sorting: rank[i] = 0 for the front, 1 for the front of what
 * remains, ...; -1 for points with a NaN objective. Returns the number of
 * fronts, or a negative code. */
NNT_API int nnt_pareto_ranks(const double *points, int n, int k, const int *maximize, int *rank,
                             nnt_error *err);

/* Sorts idx[0..m-1] (indices into points) by objective `by` from best to
 * worst, ties broken by the other objectives in order, then by index: the
 * order in which `nntune best` lists a front. Can't fail. */
NNT_API void nnt_pareto_sort(const double *points, int k, const int *maximize, int by, int *idx,
                             int m);

/* Hypervolume of a two-objective front relative to a reference point ref[2]
 * (worse than every point in both objectives); points not strictly better
 * than ref in both are ignored. NAN on bad arguments or out of memory. */
NNT_API double nnt_hypervolume_2d(const double *points, int n, const int *maximize,
                                  const double ref[2]);

/* ---- Hyperparameter importance ------------------------------------------- */
typedef struct nnt_importance_options {
    int n_trees;       /* default 32 */
    int max_depth;     /* default 8 */
    int min_leaf;      /* fewest observations in a leaf; default 2 */
    int grid_points;   /* values per parameter in the marginals; default 16 */
    uint64_t seed;     /* bootstrap and feature draws; default 1 */
    /* What each trial is scored by. 0 (default): the final value of the
     * COMPLETE trials. E > 0: every COMPLETE or PRUNED trial that reported at
     * least E epochs, scored by its best intermediate value over epochs 1..E
     * (lower is better, like the intermediates): a common training budget,
     * for studies whose pruner stopped most trials before the end (see
     * nnt_importance_pick_epoch). */
    int epoch;
} nnt_importance_options;

NNT_API nnt_importance_options nnt_importance_options_default(void);

/* The `epoch` option for a study's history: 0 (final values) when at least
 * `want` trials are complete, or when fewer than `want` trials reported any
 * epoch and the complete ones are at least as many as those reaching any
 * epoch; otherwise the deepest epoch that min(want, trials reporting epoch 1)
 * trials reached. So an ASHA study with 5 complete and 45 pruned trials is
 * scored at the deepest rung 20 of them passed, not on 5 trials. */
NNT_API int nnt_importance_pick_epoch(const nnt_history *hist, int want);
/* The `want` of nntune importance and the report: fewer complete trials than
 * this and importance is measured at a common epoch. */
#define NNT_IMPORTANCE_WANT_TRIALS 20

/* Share of the objective's variance that each parameter explains on its own
 * (main effect), over the COMPLETE trials of hist with a finite value (or,
 * with opt->epoch > 0, the trials that reached that epoch, by their best
 * value up to it).
 *
 * Fits a random forest (bootstrap, seeded) on (parameters -> value) with
 * numeric parameters scaled to [0, 1] (log scale where the parameter is log),
 * categorical ones as their choice index, and inactive conditional
 * parameters as the sentinel -1 (below every real value, so one split
 * separates "inactive" from every active value). Then, for each parameter p,
 * the partial dependence f_p(v) = mean over the observed trials of the forest
 * with p set to v (trials where p is inactive stay as they are), at
 * grid_points quantiles v of p's observed active values; importance[p] =
 * Var_v f_p(v) / Var(forest over the observed trials), clipped to [0, 1] and
 * scaled down if the sum exceeds 1 (it does only with strong interactions).
 * Fixed parameters and parameters never observed active get 0.
 *
 * importance has space size slots. Needs at least 4 such trials
 * (NNT_ERR_ARG otherwise, naming the count); a constant objective gives all
 * zeros. Deterministic for a given seed. */
NNT_API int nnt_param_importance(const nnt_space *space, const nnt_history *hist,
                                 const nnt_importance_options *opt, double *importance,
                                 nnt_error *err);

#ifdef __cplusplus
}
#endif
#endif
