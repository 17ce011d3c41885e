/* nntune: training a model: optimisers, learning-rate schedules, early
 * stopping, pretraining, progress reporting. */
#ifndef NNTUNE_TRAIN_H
#define NNTUNE_TRAIN_H

#include "blas.h" /* nnt_blas_set_threads, nnt_blas_info */
#include "common.h"
#include "data.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The tables of optimisers, schedules and metrics (enum suffix, name), in
 * enum order: the enums and the name tables (src/nn/names.c) are made from
 * them. */
#define NNT_OPTIMIZER_MAP(X)                                                  \
    X(SGD, "sgd")                                                            \
    X(MOMENTUM, "momentum") /* heavy-ball momentum */                        \
    X(NESTEROV, "nesterov")                                                  \
    X(ADAM, "adam")                                                          \
    X(ADAMW, "adamw") /* decoupled weight decay */

/* STEP: lr * gamma^floor((epoch-1) / step_epochs), epoch 1-based.
 * COSINE: cosine from lr (epoch 1) towards lr*min_lr_fraction, reached just
 * after epoch max_epochs: (1+cos(pi*(epoch-1)/max_epochs))/2. */
#define NNT_SCHEDULE_MAP(X)                                                   \
    X(CONSTANT, "constant")                                                  \
    X(STEP, "step")                                                          \
    X(COSINE, "cosine")

/* AUTO: accuracy for classification, loss otherwise. */
#define NNT_METRIC_MAP(X)                                                     \
    X(AUTO, "auto")                                                          \
    X(LOSS, "loss")                                                          \
    X(ACCURACY, "accuracy")                                                  \
    X(RMSE, "rmse")                                                          \
    X(MAE, "mae")                                                            \
    X(R2, "r2")

typedef enum nnt_optimizer {
#define NNT_OPT_ENUM_(id, name) NNT_OPT_##id,
    NNT_OPTIMIZER_MAP(NNT_OPT_ENUM_)
#undef NNT_OPT_ENUM_
} nnt_optimizer;

typedef enum nnt_schedule {
#define NNT_SCHED_ENUM_(id, name) NNT_SCHED_##id,
    NNT_SCHEDULE_MAP(NNT_SCHED_ENUM_)
#undef NNT_SCHED_ENUM_
} nnt_schedule;

/* How many optimisers and schedules there are. */
#define NNT_COUNT_(id, name) +1
enum {
    NNT_OPTIMIZER_COUNT = 0 NNT_OPTIMIZER_MAP(NNT_COUNT_),
    NNT_SCHEDULE_COUNT = 0 NNT_SCHEDULE_MAP(NNT_COUNT_)
};
#undef NNT_COUNT_

typedef enum nnt_metric {
#define NNT_METRIC_ENUM_(id, name) NNT_METRIC_##id,
    NNT_METRIC_MAP(NNT_METRIC_ENUM_)
#undef NNT_METRIC_ENUM_
} nnt_metric;

NNT_API int nnt_optimizer_from_name(const char *name);  /* "sgd","momentum","nesterov","adam","adamw"; -1 */
NNT_API const char *nnt_optimizer_name(nnt_optimizer o);
NNT_API int nnt_schedule_from_name(const char *name);   /* "constant","step","cosine"; -1 */
NNT_API const char *nnt_schedule_name(nnt_schedule s);
NNT_API int nnt_metric_from_name(const char *name);     /* "auto","loss","accuracy","rmse","mae","r2"; -1 */
NNT_API const char *nnt_metric_name(nnt_metric m);
/* 1 if larger is better for the metric (accuracy, r2), else 0. */
NNT_API int nnt_metric_maximize(nnt_metric m);
/* Reads one metric out of a metrics struct. */
NNT_API double nnt_metrics_get(const nnt_metrics *m, nnt_metric which);

/* One progress event: an epoch end (batch == 0) or, when report_batches is
 * set, a batch end (batch >= 1). */
typedef struct nnt_progress {
    int epoch;          /* 1-based */
    int max_epochs;
    int batch, n_batches;
    double batch_loss;  /* batch events: running mean loss of this epoch */
    nnt_metrics train;  /* epoch events: training metrics of the epoch */
    nnt_metrics valid;  /* epoch events, when has_valid */
    int has_valid;
    double monitored;   /* epoch events: the early-stopping metric's value */
    int is_best;        /* epoch events: this epoch is the best so far */
    double lr;          /* learning rate used in this epoch */
    double elapsed_s;   /* since training started */
    int pretraining;    /* 1 during layer-wise pretraining (layer in `batch`) */
} nnt_progress;

/* Progress callback: return 0 to continue, NNT_PRUNED to stop the run (it then
 * ends with status NNT_PRUNED and the best weights so far). */
typedef int (*nnt_progress_fn)(const nnt_progress *p, void *userdata);

typedef struct nnt_train_options {
    nnt_optimizer optimizer;  /* default momentum (SGD + 0.9 momentum): with the
                                 default lr 0.01 it beat Adam on Fashion-MNIST (0.891
                                 vs 0.866 test accuracy, 256-128 relu, 20 epochs) */
    double lr;                /* default 0.01 */
    double momentum;          /* momentum/nesterov; default 0.9 */
    double beta1, beta2, eps; /* adam; defaults 0.9, 0.999, 1e-8 */
    double weight_decay;      /* L2 (sgd/momentum/adam) or decoupled (adamw); default 0 */
    int batch_size;           /* default 32 */
    int scale_lr_with_batch;  /* 1: lr *= batch_size / lr_reference_batch; default 0 */
    int lr_reference_batch;   /* default 32 */
    nnt_schedule schedule;    /* default constant */
    double step_gamma;        /* step schedule factor; default 0.5 */
    int step_epochs;          /* step schedule period; default 10 */
    double min_lr_fraction;   /* cosine floor; default 0 */
    int warmup_epochs;        /* linear warm-up over these epochs (per batch); default 0 */
    int max_epochs;           /* default 100 */
    int early_stopping;       /* default 1 (needs validation rows) */
    int patience;             /* epochs without improvement; default 10 */
    double min_delta;         /* improvement smaller than this does not count; default 0 */
    nnt_metric monitor;       /* default AUTO */
    int restore_best;         /* restore the best epoch's weights; default 1 */
    double time_limit_s;      /* wall-clock limit, 0 = none */
    int pretrain_epochs;      /* greedy layer-wise autoencoder pretraining per hidden layer; default 0 */
    double pretrain_lr;       /* 0 (default): lr */
    nnt_task task;            /* AUTO: from the data set */
    nnt_scaling scaling;      /* AUTO: from the data set's feature kind */
    uint64_t seed;            /* init, shuffle and dropout streams derive from it; default 1 */
    int threads;              /* BLAS threads for this run; 0 = leave as is */
    nnt_progress_fn progress; /* optional */
    void *userdata;
    int report_batches;       /* also report batch events */
} nnt_train_options;

NNT_API nnt_train_options nnt_train_options_default(void);

/* What to train on: row index sets into data sets (rows NULL = all rows of
 * that set). valid may be NULL (no validation: early stopping then off). */
typedef struct nnt_train_data {
    const nnt_dataset *train;
    const uint32_t *train_rows; size_t n_train;
    const nnt_dataset *valid;
    const uint32_t *valid_rows; size_t n_valid;
} nnt_train_data;

typedef struct nnt_epoch_record {
    int epoch;
    nnt_metrics train, valid;
    double lr, elapsed_s;
} nnt_epoch_record;

typedef struct nnt_train_result {
    int status;            /* NNT_OK, NNT_PRUNED, NNT_DIVERGED, NNT_TIMEOUT */
    int epochs_run;
    int best_epoch;        /* 0 if no epoch completed */
    nnt_metrics best_valid;/* validation metrics of the best epoch */
    nnt_metrics best_train;
    double seconds;
    nnt_epoch_record *history; /* epochs_run records, owned by the result */
} nnt_train_result;

/* Trains a model from scratch. model options `inputs` and `outputs` of 0 are
 * filled from the data and task (mopt NULL: nnt_model_options_default(); topt
 * NULL: nnt_train_options_default()). Fits the scaler on the training rows and
 * stores it with names in the model. Allocates all scratch once; the training
 * step never allocates. Returns NNT_OK, or a positive status (NNT_DIVERGED,
 * NNT_TIMEOUT, NNT_PRUNED) with *out holding the best weights so far (may be
 * NULL if divergence came before any completed epoch), or a negative error
 * with *out = NULL. Same seed, data and options: bit-identical weights (with
 * threads <= 1). result may be NULL. err gets a message for positive statuses
 * too.
 *
 * Choices the options leave open:
 * - task AUTO: the data set's task (CLASSIFY or REGRESS; a set without target
 *   is AUTOENCODE). Two classes stay CLASSIFY (2-way softmax); BINARY (one
 *   sigmoid output + BCE) is used when asked for.
 * - loss AUTO: CLASSIFY cross-entropy, BINARY binary CE, REGRESS squared error
 *   on the standardised target (mean and std of the training rows, stored in
 *   the model's scaler: nnt_scaler.target_shift / target_mul), so the loss of
 *   a regression model is in standard deviations of the target, while RMSE,
 *   MAE, R^2 and predictions are in the target's own units; AUTOENCODE
 *   reconstruction CE on the scaled
 *   inputs when scaling is PIXELS (targets in [0,1]) and squared error
 *   otherwise. A loss that does not fit the task is NNT_ERR_ARG.
 * - Options are checked first: NNT_ERR_ARG names the option ("lr: ...").
 * - Warm-up is per batch, multiplying the epoch's scheduled rate (see
 *   src/nn/schedule.h); history/progress `lr` is the last batch's rate.
 * - Early stopping counts epochs whose monitored validation metric did not
 *   improve by more than min_delta; it stops after `patience` of them. Without
 *   validation rows nothing stops early and the latest epoch is the best.
 * - The time limit is checked after every batch; a run that hits it inside an
 *   epoch drops that partial epoch (restore_best) and returns NNT_TIMEOUT.
 * - Divergence: a non-finite batch or validation loss ends the run with
 *   NNT_DIVERGED and the best epoch's weights (always restored).
 * - threads > 0 sets the process-wide BLAS thread count for the call and
 *   puts the previous count back before returning (nntune/blas.h).
 * - Pretraining (pretrain_epochs > 0): see src/nn/pretrain.h; it uses the
 *   training rows only and its events have pretraining = 1. */
NNT_API int nnt_train(const nnt_train_data *data, const nnt_model_options *mopt,
                      const nnt_train_options *topt, nnt_model **out,
                      nnt_train_result *result, nnt_error *err);
NNT_API void nnt_train_result_free(nnt_train_result *r);

#ifdef __cplusplus
}
#endif
#endif
