/* Constructors of the built-in samplers and the Sobol building blocks (exposed
 * for tests). Not a public header. */
#ifndef NNT_TUNE_SAMPLER_INTERNAL_H
#define NNT_TUNE_SAMPLER_INTERNAL_H

#include "nntune/tune.h"

int nnt__sampler_grid_create(const nnt_space *space, nnt_sampler *out, nnt_error *err);
int nnt__sampler_random_create(const nnt_space *space, nnt_sampler *out, nnt_error *err);
int nnt__sampler_sobol_create(const nnt_space *space, uint64_t study_seed, nnt_sampler *out,
                              nnt_error *err);

/* Dimensions with direction numbers (Joe & Kuo, new-joe-kuo-6.21201). */
#define NNT_SOBOL_MAX_DIM 40
/* The 32 direction numbers of dimension dim (0-based; dimension 0 is van der
 * Corput), scaled to 2^32. NNT_ERR_UNSUPPORTED beyond NNT_SOBOL_MAX_DIM. */
int nnt__sobol_directions(int dim, uint32_t v[32]);
/* Point `index` (Gray-code order, point 0 = 0) of one dimension, as a 32-bit
 * fraction of 1. */
uint32_t nnt__sobol_point(const uint32_t v[32], uint32_t index);
/* Owen scrambling of a 32-bit fraction: each bit is flipped or not by a hash of
 * the seed, its depth and the bits above it (nested uniform scrambling). */
uint32_t nnt__sobol_owen(uint32_t x, uint64_t seed);

#endif
