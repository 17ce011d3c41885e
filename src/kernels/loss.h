/* Loss kernels, fused with the gradient of the output layer's
 * pre-activation z. Pure functions of arrays; every loss is computed from the
 * logits z (not from rounded probabilities), so it stays finite and exact for
 * any finite z. Each returns the SUM of the per-row losses, in double; the
 * caller divides by the row count. delta (when asked for) gets scale * dL/dz,
 * scale usually being 1/n. */
#ifndef NNT_KERNELS_LOSS_H
#define NNT_KERNELS_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* Softmax cross-entropy, per row: L = logsumexp(z) - z[label].
 * z, p: n x k (p = softmax(z)); labels: n in [0, k).
 * Fused form: delta = scale * (p - onehot(label)) (n x k). */
double nnt__k_softmax_ce(const float *z, const int32_t *labels, size_t n, size_t k);
double nnt__k_softmax_ce_grad(const float *z, const float *p, const int32_t *labels, float scale,
                              float *delta, size_t n, size_t k);

/* Sigmoid binary cross-entropy on logits, per element:
 * L = log(1 + exp(-|z|)) + max(z, 0) - z*t, t in [0,1] (summed over all
 * count = n x outputs elements). p = sigmoid(z).
 * Fused form: delta = scale * (p - t). The _labels variants take t from int
 * labels in {0,1} (one output per row). */
double nnt__k_bce_logits(const float *z, const float *t, size_t count);
double nnt__k_bce_logits_grad(const float *z, const float *p, const float *t, float scale,
                              float *delta, size_t count);
double nnt__k_bce_logits_labels(const float *z, const int32_t *labels, size_t count);
double nnt__k_bce_logits_labels_grad(const float *z, const float *p, const int32_t *labels,
                                     float scale, float *delta, size_t count);

/* Squared error, per element: L = 0.5 * (y - t)^2 (summed over count).
 * Fused form: delta = scale * (y - t). */
double nnt__k_sq_err(const float *y, const float *t, size_t count);
double nnt__k_sq_err_grad(const float *y, const float *t, float scale, float *delta,
                          size_t count);

#endif
