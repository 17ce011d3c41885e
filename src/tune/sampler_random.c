/* Random search: each parameter drawn independently (uniform, log-uniform,
 * uniform over steps, integers and choices) from the trial's seed, so a
 * trial's parameters depend only on (study seed, trial number). */
#include <math.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/rng.h"
#include "tune/sampler_internal.h"
#include "tune/space_internal.h"

typedef struct random_ctx {
    int n;
    int *order;
} random_ctx;

static void random_free(void *vctx)
{
    random_ctx *r = vctx;
    if (!r) return;
    nnt__free(r->order);
    nnt__free(r);
}

static int random_propose(void *vctx, const nnt_space *space, const nnt_history *hist,
                          int number, uint64_t seed, double *x, uint8_t *active, nnt_error *err)
{
    (void)hist;
    (void)number;
    random_ctx *r = vctx;
    if (!space || space->n != r->n)
        return nnt_fail(err, NNT_ERR_ARG, "random: the space does not match the sampler's");
    nnt_rng rng;
    nnt_rng_seed(&rng, seed);
    /* One draw per parameter in space order, active or not, so that a
     * parameter's value does not depend on which others are active. */
    for (int i = 0; i < space->n; i++) x[i] = nnt__space_map_unit(&space->p[i], nnt_rng_uniform(&rng));
    nnt__space_resolve_order(space, r->order, x, active);
    return NNT_OK;
}

int nnt__sampler_random_create(const nnt_space *space, nnt_sampler *out, nnt_error *err)
{
    random_ctx *r = nnt__calloc(1, sizeof *r);
    if (r) r->order = nnt__malloc_array((size_t)space->n + 1, sizeof *r->order);
    if (!r || !r->order) {
        random_free(r);
        return nnt_fail(err, NNT_ERR_NOMEM, "random: out of memory");
    }
    r->n = space->n;
    int rc = nnt__space_order(space, r->order, err);
    if (rc != NNT_OK) {
        random_free(r);
        return rc;
    }
    out->name = "random";
    out->ctx = r;
    out->propose = random_propose;
    out->free_ctx = random_free;
    return NNT_OK;
}
