/* nntune: pruners, which stop unpromising trials early from their per-epoch
 * validation curves.
 *
 * A pruner is a plug-in table of functions plus ctx. should_prune() has the
 * signature of study.h's nnt_prune_fn, so a study is wired with
 *     opt.prune = pruner.should_prune; opt.prune_ctx = pruner.ctx;
 * It is called after each epoch of a trial (fold 0) with the history of all
 * trials, the trial's number, the 1-based epoch just finished and that
 * epoch's value, oriented so that LOWER IS BETTER. In a view, intermediate[k]
 * is the value at epoch k+1. The history may (as the study does) or may not
 * already hold the current epoch's value of the trial: the pruner uses
 * value_oriented for that epoch either way. NaN values count as the worst.
 *
 * Every built-in pruner is a pure function of its arguments: it keeps no
 * state between calls, so decisions survive a resume (the history is rebuilt
 * from storage) and the same pruner may be asked from several threads.
 * Pruning works on any sampler (grid, random, sobol, tpe) since it only reads
 * values. The rules are documented in docs/tpe-and-pruning.md. */
#ifndef NNTUNE_PRUNE_H
#define NNTUNE_PRUNE_H

#include "common.h"
#include "tune.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nnt_pruner {
    const char *name; /* "median", "asha", "hyperband"; NULL for "none" */
    void *ctx;
    /* NNT_PRUNED (1) to stop the trial, 0 to go on. Never fails. */
    int (*should_prune)(void *ctx, const nnt_history *hist, int number, int epoch,
                        double value_oriented);
    void (*free_ctx)(void *ctx);
} nnt_pruner;

/* ---- Median stopping rule -------------------------------------------------- */
/* Prunes trial t at epoch e when e > n_warmup_epochs, at least
 * n_startup_trials other trials are COMPLETE, and t's best value up to e is
 * strictly worse than the median, over the other COMPLETE trials, of their best
 * value up to epoch e (a trial that finished before e counts with its best
 * over all its epochs). */
typedef struct nnt_median_options {
    int n_startup_trials; /* default 5 */
    int n_warmup_epochs;  /* default 3: no pruning at epochs 1..3 */
} nnt_median_options;

/* ---- Asynchronous successive halving (ASHA) ------------------------------- */
/* Rungs at epochs min_resource * eta^k (k = 0, 1, ...), below max_resource
 * when that is > 0. At a rung epoch, the trial's score is its best value up to
 * that epoch; the competitors are every trial of the history (any state) that
 * reached the rung, scored the same way, plus the trial itself. With m
 * competitors the trial goes on iff its score is <= the floor(m/eta)-th
 * smallest score (top 1/eta, ties promoted); while m < eta it goes on only
 * if its score is the smallest so far (a trial alone at a rung goes on).
 * Between rungs a trial always goes on. */
typedef struct nnt_asha_options {
    int min_resource; /* epochs of the first rung; default 1 */
    int eta;          /* reduction factor; default 3 */
    int max_resource; /* no rung at or after this epoch; 0 (default) = unbounded */
} nnt_asha_options;

/* ---- Hyperband ------------------------------------------------------------- */
/* Brackets s = s_max..0, s_max = floor(log_eta(max_resource / min_resource)).
 * Bracket s starts n_s = ceil((s_max+1)/(s+1) * eta^s) configurations at
 * r_s = max_resource * eta^-s epochs; its rung i (0..s) keeps
 * floor(n_s * eta^-i) configurations at r_s * eta^i epochs (rounded to whole
 * epochs, at least 1). A trial's bracket comes from its number alone: a smooth
 * weighted round-robin over the brackets with weights n_s, so any run of
 * sum(n_s) consecutive trial numbers fills every bracket with exactly n_s
 * trials, interleaved. Inside its bracket a trial follows the ASHA rule above
 * with the bracket's rungs (all but the last, where it ends anyway) and
 * competes only with the trials of the same bracket. */
typedef struct nnt_hyperband_options {
    int min_resource; /* default 1 */
    int max_resource; /* R; default 81 (set it to the trials' epoch budget) */
    int eta;          /* default 3 */
} nnt_hyperband_options;

#define NNT_HYPERBAND_MAX_BRACKETS 32

/* One bracket: s, its rungs (s + 1 of them) as (configurations, epochs). */
typedef struct nnt_hyperband_bracket {
    int s;
    int n_rungs;
    long n[NNT_HYPERBAND_MAX_BRACKETS]; /* n_i: configurations kept at rung i */
    int r[NNT_HYPERBAND_MAX_BRACKETS];  /* r_i: epochs of rung i */
} nnt_hyperband_bracket;

NNT_API nnt_median_options nnt_median_options_default(void);
NNT_API nnt_asha_options nnt_asha_options_default(void);
NNT_API nnt_hyperband_options nnt_hyperband_options_default(void);

/* Constructors. opt NULL means the defaults. Invalid options (eta < 2,
 * min_resource < 1, negative counts, max_resource < min_resource for
 * Hyperband) give NNT_ERR_ARG naming the option; on failure *out is zeroed. */
NNT_API int nnt_pruner_median_create(const nnt_median_options *opt, nnt_pruner *out,
                                     nnt_error *err);
NNT_API int nnt_pruner_asha_create(const nnt_asha_options *opt, nnt_pruner *out, nnt_error *err);
NNT_API int nnt_pruner_hyperband_create(const nnt_hyperband_options *opt, nnt_pruner *out,
                                        nnt_error *err);

/* Creates a pruner by name with default options: "none" (a zeroed table:
 * should_prune NULL, i.e. never prune), "median", "asha" or "hyperband".
 * max_epochs > 0 is the trials' epoch budget: it becomes Hyperband's
 * max_resource (and ASHA's, so that no rung sits at the last epoch); 0 keeps
 * the defaults. NNT_ERR_ARG for an unknown name (the message lists the
 * names); on failure *out is zeroed. */
NNT_API int nnt_pruner_create(const char *name, int max_epochs, nnt_pruner *out, nnt_error *err);

/* Frees the context and zeroes the table; NULL and zeroed tables are no-ops. */
NNT_API void nnt_pruner_free(nnt_pruner *p);

/* Lists Hyperband's brackets for (min_resource, max_resource, eta), from
 * s = s_max down to 0, into out (room for max entries). Returns the number of
 * brackets (s_max + 1), or NNT_ERR_ARG for invalid options or more than
 * min(max, NNT_HYPERBAND_MAX_BRACKETS) brackets. */
NNT_API int nnt_hyperband_brackets(const nnt_hyperband_options *opt, nnt_hyperband_bracket *out,
                                   int max);

/* The bracket (index into nnt_hyperband_brackets' list, 0 = s_max) that
 * trial `number` (>= 0) belongs to; negative on invalid options. */
NNT_API int nnt_hyperband_bracket_of(const nnt_hyperband_options *opt, int number);

#ifdef __cplusplus
}
#endif
#endif
