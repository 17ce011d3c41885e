/* nntune: multilayer perceptron models: architecture, prediction, evaluation
 * and model files. */
#ifndef NNTUNE_MODEL_H
#define NNTUNE_MODEL_H

#include "activation.h" /* nnt_activation and its names */
#include "common.h"
#include "data.h"
#include "trial.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NNT_MAX_HIDDEN 64

/* The one table of losses (enum suffix, name), in enum order. */
#define NNT_LOSS_MAP(X)                                                                   \
    X(AUTO, "auto")                                 /* from the task */                   \
    X(CROSS_ENTROPY, "cross_entropy")               /* softmax output, multiclass */      \
    X(BINARY_CROSS_ENTROPY, "binary_cross_entropy") /* sigmoid output(s), binary /        \
                                                       multi-label */                     \
    X(SQUARED_ERROR, "squared_error")               /* identity output, regression */     \
    X(RECONSTRUCTION_CE, "reconstruction_ce")       /* sigmoid output vs inputs in [0,1]  \
                                                       (autoencoder) */

typedef enum nnt_loss {
#define NNT_LOSS_ENUM_(id, name) NNT_LOSS_##id,
    NNT_LOSS_MAP(NNT_LOSS_ENUM_)
#undef NNT_LOSS_ENUM_
} nnt_loss;

/* How many losses there are (auto included). */
#define NNT_LOSS_COUNT_(id, name) +1
enum { NNT_LOSS_COUNT = 0 NNT_LOSS_MAP(NNT_LOSS_COUNT_) };
#undef NNT_LOSS_COUNT_

/* Parses/prints loss names: "auto", "cross_entropy", "binary_cross_entropy",
 * "squared_error", "reconstruction_ce". Parse returns -1 for an unknown name;
 * print returns "unknown" for a value outside the enum. */
NNT_API int nnt_loss_from_name(const char *name);
NNT_API const char *nnt_loss_name(nnt_loss l);

typedef struct nnt_model_options {
    int inputs;                    /* required: features per row */
    int outputs;                   /* required: classes, 1 for binary/regression */
    int n_hidden;                  /* 0 = linear / logistic model */
    int hidden[NNT_MAX_HIDDEN];    /* width of each hidden layer */
    nnt_activation activation;     /* hidden layers; default relu */
    nnt_loss loss;                 /* decides the output activation; default CE */
    float input_dropout;           /* dropout on the inputs; default 0 */
    float dropout[NNT_MAX_HIDDEN]; /* inverted dropout after each hidden layer */
    float leaky_slope;             /* default 0.01 */
    float elu_alpha;               /* default 1.0 */
} nnt_model_options;

NNT_API nnt_model_options nnt_model_options_default(void);

typedef struct nnt_model nnt_model;

/* Creates a model with freshly initialised weights (He for the relu family,
 * Xavier/Glorot otherwise; biases 0) from seed. Checks the options (widths > 0,
 * n_hidden <= NNT_MAX_HIDDEN, dropout in [0,1), ...): NNT_ERR_ARG naming the
 * offending field. On failure *out = NULL. */
NNT_API int nnt_model_create(const nnt_model_options *opt, uint64_t seed, nnt_model **out,
                             nnt_error *err);
NNT_API void nnt_model_free(nnt_model *m); /* NULL is a no-op */
NNT_API int nnt_model_clone(const nnt_model *m, nnt_model **out, nnt_error *err);

NNT_API const nnt_model_options *nnt_model_get_options(const nnt_model *m);
NNT_API size_t nnt_model_num_params(const nnt_model *m);
/* The flat parameter buffer: for each layer l, W_l (out x in, row-major) then
 * b_l (out). Writable so tests can set weights by hand. */
NNT_API float *nnt_model_params(nnt_model *m);

/* ---- Metadata carried in the model file --------------------------------- */
/* The task, the feature scaling fitted on the training rows, feature names,
 * target name and class names. The trainer fills these; setters copy. */
NNT_API nnt_task nnt_model_task(const nnt_model *m);
NNT_API int nnt_model_set_metadata_from(nnt_model *m, const nnt_dataset *train_ds,
                                        nnt_task task, const nnt_scaler *scaler,
                                        nnt_error *err);
NNT_API const nnt_scaler *nnt_model_scaler(const nnt_model *m);
NNT_API int nnt_model_num_classes(const nnt_model *m);
NNT_API const char *nnt_model_class_name(const nnt_model *m, int c);
NNT_API const char *nnt_model_feature_name(const nnt_model *m, size_t j);
NNT_API const char *nnt_model_target_name(const nnt_model *m);
/* The raw input columns the model reads (names, numeric or categorical with
 * categories, fill values for missing values), taken from the training data
 * set's schema (nnt_dataset_schema) by nnt_model_set_metadata_from. Pass it
 * as nnt_csv_options.schema to read prediction data by column name. NULL when
 * the model has none (trained on IDX or array data). Model files of versions
 * 1 and 2 load with a numeric schema made from their feature names. */
NNT_API const nnt_schema *nnt_model_schema(const nnt_model *m);

/* ---- Ensembles ------------------------------------------------------------ */
/* An ensemble is a model (the head: its metadata, names and task are the
 * ensemble's) plus members of the same architecture; prediction averages the
 * outputs of all of them (probabilities for classification, values in the
 * target's units for regression), each member scaling the inputs with its own
 * scaler. nnt_model_predict, nnt_model_evaluate, nnt_model_save/load and
 * nnt_model_clone handle ensembles like single models; nnt_model_forward
 * (inputs already scaled by one scaler) refuses them, and
 * nnt_model_num_params / nnt_model_params are the head's.
 *
 * nnt_model_ensemble_add appends member (and member's own members, if any)
 * to m. On success m owns member (the caller must not free it); on failure
 * (NNT_ERR_ARG: the architecture differs, naming what; NNT_ERR_NOMEM)
 * nothing changes and the caller still owns it. */
NNT_API int nnt_model_ensemble_add(nnt_model *m, nnt_model *member, nnt_error *err);
/* Models averaged by m: 1 for a single model. */
NNT_API int nnt_model_ensemble_size(const nnt_model *m);

/* ---- Prediction --------------------------------------------------------- */
/* Forward pass on n rows of already-scaled inputs x (n x inputs). out gets
 * n x outputs values: probabilities (softmax / sigmoid) or values (identity;
 * for a regression model in the target's units: its target standardisation is
 * undone).
 * Allocates a temporary workspace; dropout is off. */
NNT_API int nnt_model_forward(const nnt_model *m, const float *x, size_t n, float *out,
                              nnt_error *err);
/* Like forward, on the rows of a data set, applying the model's scaler
 * (rows NULL: all rows). The data set's feature count must match. An
 * ensemble averages its models' outputs (see above). */
NNT_API int nnt_model_predict(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows,
                              size_t n, float *out, nnt_error *err);

/* ---- Evaluation --------------------------------------------------------- */
/* nnt_metrics (the metrics of one evaluation) is in trial.h. */

typedef struct nnt_eval {
    nnt_metrics metrics;
    size_t n;
    int n_classes;
    uint64_t *confusion; /* n_classes x n_classes, [true][predicted]; NULL for regression */
} nnt_eval;

/* Evaluates on rows of ds (NULL: all). Classification sets must have been
 * remapped to the model's classes (nnt_dataset_remap_classes) or have the same
 * class list. */
NNT_API int nnt_model_evaluate(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows,
                               size_t n, nnt_eval *out, nnt_error *err);
NNT_API void nnt_eval_free(nnt_eval *e);

/* ---- Model files -------------------------------------------------------- */
/* Writes a versioned binary model file (magic, version, architecture, scaler,
 * names, weights, CRC-32; an ensemble's members after the weights). Atomic: a temporary file in the same directory is
 * renamed over path, so a failure never leaves a half-written model. */
NNT_API int nnt_model_save(const nnt_model *m, const char *path, nnt_error *err);
/* Loads and validates a model file: wrong magic, unsupported version,
 * truncation, bad checksum or inconsistent sizes are errors naming the file. */
NNT_API int nnt_model_load(const char *path, nnt_model **out, nnt_error *err);

#ifdef __cplusplus
}
#endif
#endif
