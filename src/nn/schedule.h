/* Learning-rate schedules: the rate at a point of training from the options. */
#ifndef NNT_NN_SCHEDULE_H
#define NNT_NN_SCHEDULE_H

#include "nntune/train.h"

/* Base rate after the batch scaling rule: lr * batch_size / lr_reference_batch
 * when scale_lr_with_batch, else lr. */
double nnt__schedule_base_lr(const nnt_train_options *o);

/* Rate of epoch `epoch` (1-based) from the decay schedule alone, starting from
 * base (nnt__schedule_base_lr):
 *   constant: base
 *   step:     base * step_gamma^floor((epoch-1) / step_epochs)  (epochs 1..step_epochs use base)
 *   cosine:   floor + (base-floor) * (1 + cos(pi*(epoch-1)/max_epochs)) / 2,
 *             floor = base*min_lr_fraction; epoch 1 uses base and the floor
 *             would be reached just after the last epoch (as PyTorch's
 *             CosineAnnealingLR with T_max = max_epochs). */
double nnt__schedule_epoch_lr(const nnt_train_options *o, double base, int epoch);

/* Linear warm-up factor, applied per batch on top of the epoch rate:
 * min(1, ((epoch-1) + batch/n_batches) / warmup_epochs) for batch 1..n_batches,
 * so the rate climbs smoothly and reaches the schedule's value at the last
 * batch of epoch warmup_epochs. 1 when warmup_epochs is 0. */
double nnt__schedule_warmup(const nnt_train_options *o, int epoch, int batch, int n_batches);

/* The rate of one batch: epoch rate times warm-up factor. */
double nnt__schedule_lr(const nnt_train_options *o, int epoch, int batch, int n_batches);

#endif
