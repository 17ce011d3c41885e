/* Internal layout of a model and the engine interface between the model
 * (forward/backward, src/nn/model.c, src/nn/engine.c) and its users (trainer,
 * evaluation, model files). Not a public header. */
#ifndef NNT_NN_MODEL_INTERNAL_H
#define NNT_NN_MODEL_INTERNAL_H

#include "nntune/model.h"
#include "nntune/rng.h"

#define NNT_MAX_LAYERS (NNT_MAX_HIDDEN + 1)

struct nnt_model {
    nnt_model_options opt;
    int n_layers;                     /* n_hidden + 1 weight layers */
    int sizes[NNT_MAX_LAYERS + 1];    /* sizes[0] = inputs ... sizes[n_layers] = outputs */
    size_t w_off[NNT_MAX_LAYERS];     /* offset of W_l (sizes[l+1] x sizes[l]) in params */
    size_t b_off[NNT_MAX_LAYERS];     /* offset of b_l (sizes[l+1]) in params */
    size_t n_params;
    float *params;
    nnt_activation out_act;           /* derived from opt.loss */

    /* Metadata (model files, prediction). */
    nnt_task task;
    nnt_scaler scaler;                /* kind NONE with features 0 when unset */
    size_t n_features;                /* names below; 0 when unset */
    char **feature_names;
    char *target_name;                /* may be NULL */
    int n_classes;
    char **class_names;               /* n_classes entries, may be NULL when 0 */
    nnt_schema schema;                /* raw input columns; n_columns 0 when none */

    /* Ensemble (model_ensemble.c): further models of the same architecture
     * whose outputs are averaged with this one's. Each member keeps its own
     * scaler (it was fitted on its own rows); its other metadata is unused.
     * Members have no members themselves. 0 / NULL: a single model. */
    int n_members;
    struct nnt_model **members;
};

/* ---- Ensembles (model_ensemble.c) ---- */
/* Frees the members of m (not m); m becomes a single model. */
void nnt__ensemble_free_members(nnt_model *m);
/* Copies src's members onto dst (which has none). */
int nnt__ensemble_clone_members(const nnt_model *src, nnt_model *dst, nnt_error *err);
/* Adds each member's prediction of the n rows to out (n x outputs, already
 * holding the head's) and divides by the ensemble size. */
int nnt__ensemble_predict_members(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows,
                                  size_t n, float *out, nnt_error *err);
/* nnt_model_evaluate of an ensemble: metrics of the averaged outputs. */
int nnt__ensemble_evaluate(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows,
                           size_t n, nnt_eval *out, nnt_error *err);
/* Single-model prediction (evaluate.c): the head's outputs only. */
int nnt__model_predict_single(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows,
                              size_t n, float *out, nnt_error *err);

/* Output activation implied by a loss (AUTO: softmax, as cross-entropy). */
nnt_activation nnt__loss_output_activation(nnt_loss loss);

/* Metadata ownership: every string, name array and scaler array hanging off a
 * model is allocated with src/core/alloc.h (nnt__malloc / nnt__strdup; the scaler
 * through nnt_scaler_copy) and released by nnt_model_free. Code that fills the
 * fields directly (the model-file loader) must allocate the same way. The
 * stored opt.loss is never AUTO: create resolves AUTO to CROSS_ENTROPY, and the
 * task defaults to the one the loss implies (CE: CLASSIFY, BCE: BINARY, squared
 * error: REGRESS, reconstruction CE: AUTOENCODE). */

/* Scratch for forward/backward on batches of up to max_batch rows, allocated
 * once. act[0] is the input batch (max_batch x sizes[0]); act[l] the output of
 * layer l (post-activation; act[n_layers] holds probabilities or values). */
typedef struct nnt_workspace {
    int max_batch;
    int n_layers;
    float *act[NNT_MAX_LAYERS + 1];
    float *mask[NNT_MAX_LAYERS];  /* dropout multipliers (0 or 1/(1-p)) per layer input; NULL when p = 0 */
    float *delta;                 /* max_batch x max width: dL/d(pre-activation) of current layer */
    float *delta_prev;            /* ping-pong partner */
    float *grad;                  /* n_params, same layout as params */
    float *logits;                /* max_batch x outputs: output pre-activation z, kept so
                                     the losses are computed from logits (exact, stable) */
    int masks_live;               /* 1 when the last forward pass drew dropout masks */
} nnt_workspace;

int nnt__workspace_init(nnt_workspace *ws, const nnt_model *m, int max_batch, nnt_error *err);
/* Forward-only workspace (prediction): activations and logits only; no
 * gradient buffer (n_params floats, cleared: ~1 MB for a 784-256-128-10
 * network, most of a one-row prediction's time), no deltas, no dropout masks.
 * Only nnt__forward with training = 0 and the loss values may use it. */
int nnt__workspace_init_forward(nnt_workspace *ws, const nnt_model *m, int max_batch,
                                nnt_error *err);
void nnt__workspace_free(nnt_workspace *ws);

/* Forward pass of n <= max_batch rows already copied into ws->act[0].
 * training != 0 applies inverted dropout with masks drawn from rng (rng may be
 * NULL when the model has no dropout). Input dropout is applied to ws->act[0]
 * in place, so copy the batch in again before the next forward pass. The
 * output layer's pre-activation is kept in ws->logits. */
void nnt__forward(const nnt_model *m, nnt_workspace *ws, int n, int training, nnt_rng *rng);

/* Mean loss over the n rows of the current forward pass, and writes
 * dL/d(output pre-activation) / n into ws->delta (fused softmax-CE and
 * sigmoid-BCE for stability). labels: n class indices (CROSS_ENTROPY);
 * targets: n x outputs values (other losses). BINARY_CROSS_ENTROPY with one
 * output also accepts targets NULL and labels in {0, 1}.
 * Per-row losses, all computed from the logits in ws->logits:
 *   CROSS_ENTROPY        logsumexp(z) - z[label]
 *   BINARY_CROSS_ENTROPY sum_j log(1+exp(-|z_j|)) + max(z_j,0) - z_j*t_j  (summed
 *   RECONSTRUCTION_CE    over outputs, targets in [0,1])
 *   SQUARED_ERROR        0.5 * sum_j (y_j - t_j)^2
 * and the result is their mean over the n rows (0 when n == 0). */
double nnt__loss_delta(const nnt_model *m, nnt_workspace *ws, int n, const int32_t *labels,
                       const float *targets);

/* Same loss value without touching gradients (evaluation). */
double nnt__loss_value(const nnt_model *m, const nnt_workspace *ws, int n, const int32_t *labels,
                       const float *targets);

/* Backward pass: from ws->delta (set by nnt__loss_delta) fills ws->grad with the
 * gradient of the mean loss w.r.t. params (no weight decay; n == 0 gives
 * zeros). Uses the dropout masks of the last forward pass when that pass was a
 * training one (ws->masks_live). ws->delta and ws->delta_prev are scratch
 * afterwards. */
void nnt__backward(const nnt_model *m, nnt_workspace *ws, int n);

/* nnt__backward and then nnt__optim_step(o, m->params, ws->grad, lr), fused:
 * each layer's weights and bias are updated right after their gradient is
 * computed and the layer's old weights have been used, while both are in
 * cache. The same bits as the two calls in a row (same kernels, same
 * constants); ws->grad holds the gradient afterwards as with nnt__backward. o
 * must have been set up for m's parameters; with ranges other than the
 * model's own (nnt__optim_model_ranges) the two calls run one after the other. */
struct nnt_optim;
void nnt__backward_update(nnt_model *m, nnt_workspace *ws, int n, struct nnt_optim *o,
                          double lr);

#endif
