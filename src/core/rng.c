/* xoshiro256** (Blackman & Vigna) seeded through splitmix64. */
#include "nntune/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void nnt_rng_seed(nnt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t nnt_seed_derive(uint64_t seed, uint64_t index)
{
    uint64_t x = seed ^ (index * 0xD1B54A32D192ED03ull);
    splitmix64(&x);
    return splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nnt_rng_u64(nnt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nnt_rng_uniform(nnt_rng *r) { return (double)(nnt_rng_u64(r) >> 11) * 0x1.0p-53; }

uint64_t nnt_rng_below(nnt_rng *r, uint64_t n)
{
    /* Rejection sampling keeps it unbiased for any n. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = nnt_rng_u64(r); while (x >= limit);
    return x % n;
}

double nnt_rng_normal(nnt_rng *r)
{
    /* Box-Muller; one deviate per call keeps the state a plain value. */
    double u1 = nnt_rng_uniform(r), u2 = nnt_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void nnt_rng_shuffle_u32(nnt_rng *r, uint32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)nnt_rng_below(r, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
