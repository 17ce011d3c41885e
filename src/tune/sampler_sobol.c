/* Quasi-random search: an Owen-scrambled Sobol sequence, one dimension per
 * non-fixed parameter in space order, point index = trial number. The
 * scramble comes from the study seed, so the points are fixed per study and
 * independent of how many workers ask. */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/rng.h"
#include "tune/sampler_internal.h"
#include "tune/space_internal.h"

/* ==== Direction numbers ========================================================= */

/* Joe & Kuo (2008), new-joe-kuo-6.21201, dimensions 2..40: the degree s of the
 * primitive polynomial, its inner coefficients a, and the initial m_1..m_s. */
static const struct {
    unsigned char s;
    unsigned char a;
    unsigned short m[8];
} joe_kuo[NNT_SOBOL_MAX_DIM - 1] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
    {7, 50, {1, 3, 1, 3, 5, 53, 69}},
    {7, 55, {1, 1, 5, 5, 23, 33, 13}},
    {7, 56, {1, 1, 7, 7, 1, 61, 123}},
    {7, 59, {1, 1, 7, 9, 13, 61, 49}},
    {7, 62, {1, 3, 3, 5, 3, 55, 33}},
    {8, 14, {1, 3, 1, 15, 31, 13, 49, 245}},
    {8, 21, {1, 3, 5, 15, 31, 59, 63, 97}},
    {8, 22, {1, 3, 1, 11, 11, 11, 77, 249}},
};

int nnt__sobol_directions(int dim, uint32_t v[32])
{
    if (dim < 0 || dim >= NNT_SOBOL_MAX_DIM) return NNT_ERR_UNSUPPORTED;
    if (dim == 0) {
        for (int k = 0; k < 32; k++) v[k] = 1u << (31 - k);
        return NNT_OK;
    }
    int s = joe_kuo[dim - 1].s;
    unsigned a = joe_kuo[dim - 1].a;
    for (int k = 0; k < s; k++) v[k] = (uint32_t)joe_kuo[dim - 1].m[k] << (31 - k);
    /* v_k = a_1 v_{k-1} ^ ... ^ a_{s-1} v_{k-s+1} ^ v_{k-s} ^ (v_{k-s} >> s) */
    for (int k = s; k < 32; k++) {
        uint32_t x = v[k - s] ^ (v[k - s] >> s);
        for (int j = 1; j < s; j++)
            if ((a >> (s - 1 - j)) & 1u) x ^= v[k - j];
        v[k] = x;
    }
    return NNT_OK;
}

uint32_t nnt__sobol_point(const uint32_t v[32], uint32_t index)
{
    uint32_t gray = index ^ (index >> 1), x = 0;
    for (int k = 0; gray; k++, gray >>= 1)
        if (gray & 1u) x ^= v[k];
    return x;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t nnt__sobol_owen(uint32_t x, uint64_t seed)
{
    uint32_t out = 0;
    for (int depth = 0; depth < 32; depth++) {
        int b = 31 - depth;
        uint64_t prefix = depth ? x >> (32 - depth) : 0;
        uint64_t node = mix64(seed + (uint64_t)(depth + 1) * 0x9E3779B97F4A7C15ull) ^ prefix;
        uint32_t flip = (uint32_t)(mix64(node) >> 63);
        out |= (((x >> b) & 1u) ^ flip) << b;
    }
    return out;
}

/* ==== The sampler ================================================================ */

typedef struct sobol_ctx {
    int n, dims;
    int *order;
    int *dim_of;        /* per parameter: its dimension, -1 for fixed ones */
    uint32_t (*v)[32];  /* dims x 32 direction numbers */
    uint64_t *scramble; /* per dimension */
} sobol_ctx;

static void sobol_free(void *vctx)
{
    sobol_ctx *c = vctx;
    if (!c) return;
    nnt__free(c->order);
    nnt__free(c->dim_of);
    nnt__free(c->v);
    nnt__free(c->scramble);
    nnt__free(c);
}

static int sobol_propose(void *vctx, const nnt_space *space, const nnt_history *hist, int number,
                         uint64_t seed, double *x, uint8_t *active, nnt_error *err)
{
    (void)hist;
    (void)seed;
    sobol_ctx *c = vctx;
    if (!space || space->n != c->n)
        return nnt_fail(err, NNT_ERR_ARG, "sobol: the space does not match the sampler's");
    if (number < 0) return nnt_fail(err, NNT_ERR_ARG, "sobol: trial number %d < 0", number);
    for (int i = 0; i < space->n; i++) {
        int d = c->dim_of[i];
        if (d < 0) {
            x[i] = 0;
            continue;
        }
        uint32_t bits = nnt__sobol_owen(nnt__sobol_point(c->v[d], (uint32_t)number), c->scramble[d]);
        x[i] = nnt__space_map_unit(&space->p[i], (double)bits * 0x1p-32);
    }
    nnt__space_resolve_order(space, c->order, x, active);
    return NNT_OK;
}

int nnt__sampler_sobol_create(const nnt_space *space, uint64_t study_seed, nnt_sampler *out,
                              nnt_error *err)
{
    int dims = 0;
    for (int i = 0; i < space->n; i++) dims += space->p[i].kind != NNT_PARAM_FIXED;
    if (dims > NNT_SOBOL_MAX_DIM)
        return nnt_fail(err, NNT_ERR_UNSUPPORTED,
                        "sobol: the space has %d non-fixed parameters; at most %d are supported",
                        dims, NNT_SOBOL_MAX_DIM);
    sobol_ctx *c = nnt__calloc(1, sizeof *c);
    if (!c) return nnt_fail(err, NNT_ERR_NOMEM, "sobol: out of memory");
    c->n = space->n;
    c->dims = dims;
    size_t n1 = (size_t)space->n + 1, d1 = (size_t)dims + 1;
    c->order = nnt__malloc_array(n1, sizeof *c->order);
    c->dim_of = nnt__malloc_array(n1, sizeof *c->dim_of);
    c->v = nnt__malloc_array(d1, sizeof *c->v);
    c->scramble = nnt__malloc_array(d1, sizeof *c->scramble);
    if (!c->order || !c->dim_of || !c->v || !c->scramble) {
        sobol_free(c);
        return nnt_fail(err, NNT_ERR_NOMEM, "sobol: out of memory");
    }
    int rc = nnt__space_order(space, c->order, err);
    if (rc != NNT_OK) {
        sobol_free(c);
        return rc;
    }
    int d = 0;
    for (int i = 0; i < space->n; i++) {
        if (space->p[i].kind == NNT_PARAM_FIXED) {
            c->dim_of[i] = -1;
            continue;
        }
        c->dim_of[i] = d;
        nnt__sobol_directions(d, c->v[d]);
        c->scramble[d] = nnt_seed_derive(study_seed, (uint64_t)d);
        d++;
    }
    out->name = "sobol";
    out->ctx = c;
    out->propose = sobol_propose;
    out->free_ctx = sobol_free;
    return NNT_OK;
}
