/* Shared by evaluation (evaluate.c) and training (trainer.c, pretrain.c):
 * gathering batches of rows into a workspace and accumulating metrics, so the
 * trainer's validation pass and nnt_model_evaluate compute metrics the same way. */
#ifndef NNT_NN_EVALUATE_H
#define NNT_NN_EVALUATE_H

#include "nn/model_internal.h"
#include "nntune/train.h"

/* The task a model solves: its metadata when set, else implied by its loss
 * (CE -> CLASSIFY, BCE with one output -> BINARY, squared error -> REGRESS,
 * reconstruction CE -> AUTOENCODE). */
nnt_task nnt__model_effective_task(const nnt_model *m);

/* Number of classes of a classification model: metadata, else outputs (2 for
 * a binary model). 0 for regression and autoencoders. */
int nnt__model_effective_classes(const nnt_model *m, nnt_task task);

/* dst = scaled src (features floats); s NULL or of kind NONE copies. */
void nnt__scale_row(const nnt_scaler *s, const float *src, float *dst, size_t features);

/* Copies rows rows[start..start+n) (rows NULL: start..start+n) of ds, scaled,
 * into x (n x features), and their targets for the task: labels (CLASSIFY,
 * BINARY), targets = the 0/1 label (BINARY), the numeric target (REGRESS) or
 * the scaled input row (AUTOENCODE, n x features). labels/targets may be NULL
 * when the task doesn't use them. */
void nnt__gather_batch(const nnt_dataset *ds, const uint32_t *rows, size_t start, int n,
                       const nnt_scaler *s, nnt_task task, float *x, int32_t *labels,
                       float *targets);

/* Checks that ds can be scored for task on the given rows: it has labels in
 * [0, n_classes) (CLASSIFY, BINARY) or numeric targets (REGRESS), the rows are
 * in range and the feature count is `features`. `what` names the set in the
 * message ("training data", "validation data"). */
int nnt__check_data(const nnt_dataset *ds, const uint32_t *rows, size_t n, nnt_task task,
                    int n_classes, size_t features, const char *what, nnt_error *err);

/* Running metrics over batches. */
typedef struct nnt_metric_acc {
    nnt_task task;
    int n_outputs, n_classes;
    size_t n;
    double loss_sum;
    size_t correct;
    double sse, sae;          /* regression: squared and absolute errors */
    double y_mean, y_m2;      /* regression: Welford mean and sum of squares of targets */
    double t_shift, t_mul;    /* regression: the targets' standardisation, undone before
                                 the metrics (t_mul 0: none); see nnt_scaler */
    uint64_t *confusion;      /* optional, n_classes x n_classes [true][pred]; caller-owned */
} nnt_metric_acc;

/* confusion may be NULL; when given it is zeroed. */
void nnt__metric_acc_init(nnt_metric_acc *a, nnt_task task, int n_outputs, int n_classes,
                          uint64_t *confusion);
/* Regression metrics are computed in the target's units: outputs and
 * gathered targets are mapped back through s's target scaling (s NULL or
 * target_mul 0: as they are). */
void nnt__metric_acc_target_scale(nnt_metric_acc *a, const nnt_scaler *s);
/* Adds a batch: out (n x n_outputs model outputs), its labels/targets as
 * gathered by nnt__gather_batch, and the batch's mean loss. */
void nnt__metric_acc_add(nnt_metric_acc *a, const float *out, int n, const int32_t *labels,
                         const float *targets, double mean_loss);
/* Metrics so far; those that don't apply to the task are NAN. */
void nnt__metric_acc_result(const nnt_metric_acc *a, nnt_metrics *out);

/* Forward passes (no dropout) over rows of ds in batches of ws->max_batch,
 * accumulating into acc. labels (max_batch) and targets (max_batch x outputs)
 * are scratch. Returns the mean loss (non-finite when the model has diverged). */
double nnt__eval_rows(const nnt_model *m, nnt_workspace *ws, const nnt_dataset *ds,
                      const uint32_t *rows, size_t n, const nnt_scaler *s, nnt_task task,
                      int32_t *labels, float *targets, nnt_metric_acc *acc);

#endif
