/* Activation kernels on row-major batches: pure functions of arrays (no
 * allocation, no errors). Hidden-layer derivatives are expressed from the
 * layer's OUTPUT y, so the forward pass needs to keep nothing else. */
#ifndef NNT_KERNELS_ACTIVATIONS_H
#define NNT_KERNELS_ACTIVATIONS_H

#include <stddef.h>

#include "nntune/activation.h" /* nnt_activation */

/* y[i][j] = f(y[i][j] + b[j]) in place; y: n x d, b: d. param is the leaky
 * slope (LEAKY_RELU) or alpha (ELU), unused otherwise. a is a hidden
 * activation (not SOFTMAX). */
void nnt__k_bias_act(nnt_activation a, float param, float *y, const float *b, size_t n,
                     size_t d);

/* Backward through a hidden activation (and its dropout), row-wise:
 *   delta[i][j] *= mask[i][j] * f'(keep * y[i][j])
 * with f' taken from the output: relu y>0; leaky y>0 ? 1 : slope; elu
 * y>0 ? 1 : y+alpha; tanh 1-y^2; sigmoid y(1-y); identity 1. mask (n x d) may
 * be NULL (no dropout, keep must then be 1); keep = 1-p undoes the inverted
 * dropout scale on kept units. When db (d) is not NULL the new delta's column
 * sums are added to it: db[j] += sum_i delta[i][j] (the bias gradient). */
void nnt__k_act_backward(nnt_activation a, float param, float keep, const float *y,
                         const float *mask, float *delta, float *db, size_t n, size_t d);

/* Output layer: z[i][j] += b[j], then y = out(z) row-wise, where out is
 * SOFTMAX (stable: exp(z - max z) / sum), SIGMOID (stable for either sign) or
 * IDENTITY. z, y: n x k; b: k (b may be NULL: no bias). */
void nnt__k_bias_output(nnt_activation out, float *z, const float *b, float *y, size_t n,
                        size_t k);



#endif
