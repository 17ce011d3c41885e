/* A trial's validation curves, one per fold, and the epoch at which their
 * mean peaks: the epoch and value a k-fold trial is scored by.
 *
 * Why not the mean of each fold's own best epoch: on a few hundred rows a
 * fold's validation accuracy jumps by several rows from one epoch to the
 * next, so each fold's maximum is mostly luck and their mean overstates the
 * configuration (binary400: trial values 0.92-0.93 against test accuracies
 * 0.86-0.88). One epoch for all folds, chosen on their mean, keeps a single
 * maximum over a curve whose noise is averaged over the folds; the refit then
 * trains for that epoch. */
#ifndef NNT_TUNE_FOLD_CURVES_H
#define NNT_TUNE_FOLD_CURVES_H

#include <stddef.h>

#include "nntune/train.h"
#include "nntune/trial.h"

typedef struct nnt__fold_curves {
    int n_folds;
    int cap;       /* epochs held per fold */
    double *value; /* [fold * cap + epoch - 1]: the validation metric; NAN: none */
    double *loss;  /* the same for the validation loss */
    int *reached;  /* per fold: the highest epoch recorded (0: none) */
} nnt__fold_curves;

/* NNT_OK, or NNT_ERR_NOMEM (then c is empty and nnt__fold_curves_free safe). */
int nnt__fold_curves_init(nnt__fold_curves *c, int n_folds, int cap);
void nnt__fold_curves_free(nnt__fold_curves *c);
/* Records fold `fold`'s validation value and loss at 1-based `epoch`;
 * outside the held range it is ignored. */
void nnt__fold_curves_set(nnt__fold_curves *c, int fold, int epoch, double value, double loss);

typedef struct nnt__curve_peak {
    int epoch;     /* 1-based; 0: no epoch that every recorded fold reached has a value */
    double value;  /* mean over the folds at `epoch` */
    double loss;   /* mean validation loss there; NAN if a fold has none */
    double spread; /* sample standard deviation of the folds' values there; NAN for one fold */
} nnt__curve_peak;

/* Over the epochs that every fold with a record reached, the one whose mean
 * value is best (maximize: highest), ties to the lower mean loss, then to the
 * earlier epoch. With one fold this is that fold's best epoch as the
 * trainer's early stopping picks it (min_delta 0). */
nnt__curve_peak nnt__fold_curves_peak(const nnt__fold_curves *c, int maximize);

/* The same from stored epoch rows (any order): the peak of `metric`. NNT_OK
 * (peak->epoch 0 when the rows give none) or NNT_ERR_NOMEM. */
int nnt__fold_curves_peak_rows(const nnt_epoch_row *rows, size_t nr, nnt_metric metric,
                               int maximize, nnt__curve_peak *peak);

#endif
