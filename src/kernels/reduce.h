/* Small array kernels: column sums, row gathers. Pure functions of arrays. */
#ifndef NNT_KERNELS_REDUCE_H
#define NNT_KERNELS_REDUCE_H

#include <stddef.h>
#include <stdint.h>

/* out[j] = sum_i x[i][j]; x: n x d, out: d (overwritten). */
void nnt__k_colsum(const float *x, size_t n, size_t d, float *out);

/* Dropout: mask holds count raw uint32 draws u (stored in the float
 * buffer's bytes); they become mask[i] = u < thresh ? 0 : scale, and
 * x[i] *= mask[i]. */
void nnt__k_dropout_apply(float *x, float *mask, size_t count, uint32_t thresh, float scale);

#endif
