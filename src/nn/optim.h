/* Optimisers over the flat parameter buffer: the kernels are pure functions of
 * arrays `(n, w, g, state)`; nnt_optim wraps them with the state allocated
 * once and the weight-decay ranges of a model (weights decay, biases don't). */
#ifndef NNT_NN_OPTIM_H
#define NNT_NN_OPTIM_H

#include <stddef.h>

#include "nntune/train.h"

/* ---- Kernels: one fused pass each, no allocation ----------------------------
 * g' = g + wd*w is the L2-decayed gradient (wd = 0 for bias ranges).
 *
 * SGD:       w -= lr*g'
 * Momentum:  v = mu*v + g';           w -= lr*v            (heavy ball)
 * Nesterov:  v = mu*v + g';           w -= lr*(g' + mu*v)
 * Adam:      m = b1*m + (1-b1)*g';    s = b2*s + (1-b2)*g'^2
 *            w -= step*m / (sqrt(s*bc2) + eps) + dwd*w
 *   with step = lr/(1-b1^t), bc2 = 1/(1-b2^t) (bias correction at step t >= 1),
 *   and dwd = lr*decay for AdamW's decoupled decay (then wd = 0), else 0.
 * All buffers have n floats and must not overlap. nnt__optim_update runs them
 * (static in optim.c); Adam's is here for the tests. */
void nnt__adam_kernel(size_t n, float *w, const float *g, float *m, float *s, float step,
                      float b1, float b2, float bc2, float eps, float wd, float dwd);

/* A contiguous run of parameters that shares a weight-decay setting. */
typedef struct nnt_param_range {
    size_t off, len;
    int decay; /* 1: weight decay applies (weights), 0: it doesn't (biases) */
} nnt_param_range;

#define NNT_OPTIM_MAX_RANGES (2 * (NNT_MAX_HIDDEN + 1))

typedef struct nnt_optim {
    nnt_optimizer kind;
    double momentum, beta1, beta2, eps, weight_decay;
    size_t n;
    float *state;  /* 0 (sgd), n (momentum, nesterov) or 2n (adam: m then s) floats */
    long t;        /* steps taken */
    double lr;     /* the current step's (nnt__optim_begin) */
    float adam_step, adam_bc2; /* Adam's lr/(1-b1^t) and 1/(1-b2^t) at step t */
    int n_ranges;
    nnt_param_range ranges[NNT_OPTIM_MAX_RANGES];
} nnt_optim;

/* Fills ranges from a model's layout: W_l with decay, b_l without. Returns the
 * number of ranges. */
struct nnt_model;
int nnt__optim_model_ranges(const struct nnt_model *m, nnt_param_range *ranges);

/* Sets up an optimiser for n parameters with the hyper-parameters of topt and
 * the decay ranges given (n_ranges <= NNT_OPTIM_MAX_RANGES; parameters outside
 * every range are not updated). Allocates the zeroed state; NNT_ERR_NOMEM on
 * failure (o is then safe to free). */
int nnt__optim_init(nnt_optim *o, const nnt_train_options *topt, size_t n,
                    const nnt_param_range *ranges, int n_ranges, nnt_error *err);
/* Zeroes the state and the step count. */
void nnt__optim_reset(nnt_optim *o);
/* One update of w (n floats) from gradient g with learning rate lr. Never
 * allocates, can't fail. */
void nnt__optim_step(nnt_optim *o, float *w, const float *g, double lr);
/* The same step in pieces, so that a layer's parameters can be updated right
 * after its gradient is computed, while it is in cache (nnt__backward_update):
 * nnt__optim_begin starts step t+1 with learning rate lr, then
 * nnt__optim_update applies it to ranges [first, first + count) (indices into
 * o->ranges); every range once per step, in any order, gives the same bits as
 * nnt__optim_step. Never allocate, can't fail. */
void nnt__optim_begin(nnt_optim *o, double lr);
void nnt__optim_update(nnt_optim *o, float *w, const float *g, int first, int count);
void nnt__optim_free(nnt_optim *o); /* frees the state, zeroes o */

#endif
