/* Greedy layer-wise autoencoder pretraining of a model's hidden layers. */
#ifndef NNT_NN_PRETRAIN_H
#define NNT_NN_PRETRAIN_H

#include "nn/model_internal.h"
#include "nntune/train.h"

/* Time limits and progress use nnt_clock_monotonic (nntune/clock.h). */
#include "nntune/clock.h"

/* For each hidden layer k in turn, trains a one-hidden-layer autoencoder
 * sizes[k] -> sizes[k+1] -> sizes[k] for o->pretrain_epochs epochs and copies
 * its encoder into layer k of m. The autoencoder's input is the encoding of the
 * training rows by the already pretrained layers 0..k-1 (computed on the fly
 * through ws, m's own workspace, without dropout); its hidden layer uses m's
 * activation. Its decoder and loss depend on whether that input lies in [0,1]:
 * sigmoid + reconstruction cross-entropy when it does (layer 0 with pixel
 * scaling; deeper layers when the activation is sigmoid), otherwise identity +
 * squared error (standardised tabular inputs, relu/tanh/... encodings), since
 * cross-entropy against targets outside [0,1] is not a proper loss.
 * Optimiser: o's, at a constant rate pretrain_lr (or lr when 0), batch-scaled
 * like the main rate; no dropout. Shuffling uses a stream from seed.
 *
 * idx (n row indices into ds) is reordered. Progress events have
 * pretraining = 1, epoch = the pretraining epoch, batch = the layer (1-based),
 * n_batches = the number of hidden layers, train.loss = the epoch's mean
 * reconstruction loss. Returns NNT_OK, NNT_PRUNED (callback), NNT_TIMEOUT
 * (o->time_limit_s, measured from t0), NNT_DIVERGED (non-finite loss) or a
 * negative error; m keeps the layers pretrained so far. */
int nnt__pretrain(nnt_model *m, nnt_workspace *ws, const nnt_dataset *ds, uint32_t *idx,
                  size_t n, const nnt_scaler *s, const nnt_train_options *o, uint64_t seed,
                  double t0, nnt_error *err);

#endif
