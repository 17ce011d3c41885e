/* nntune: explicit random number state. Nothing in the library reads a global
 * RNG: each consumer is handed an nnt_rng derived from a seed. */
#ifndef NNTUNE_RNG_H
#define NNTUNE_RNG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* xoshiro256** state: a plain value, copy it to fork a stream. */
typedef struct nnt_rng {
    uint64_t s[4];
} nnt_rng;

/* Seeds the state from a 64-bit seed (expanded with splitmix64). */
NNT_API void nnt_rng_seed(nnt_rng *r, uint64_t seed);
/* Derives an independent seed from (seed, index): trial seeds, stream seeds. */
NNT_API uint64_t nnt_seed_derive(uint64_t seed, uint64_t index);
NNT_API uint64_t nnt_rng_u64(nnt_rng *r);
/* Uniform double in [0, 1). */
NNT_API double nnt_rng_uniform(nnt_rng *r);
/* Uniform integer in [0, n); n > 0. Unbiased. */
NNT_API uint64_t nnt_rng_below(nnt_rng *r, uint64_t n);
/* Standard normal deviate. */
NNT_API double nnt_rng_normal(nnt_rng *r);
/* Fisher-Yates shuffle of n 32-bit indices. */
NNT_API void nnt_rng_shuffle_u32(nnt_rng *r, uint32_t *a, size_t n);

#ifdef __cplusplus
}
#endif
#endif
