/* The sampler table: creating a sampler by name and freeing it. */
#include <string.h>

#include "core/error.h"
#include "tune/sampler_internal.h"

int nnt_sampler_create_seeded(const char *name, const nnt_space *space, uint64_t study_seed,
                              nnt_sampler *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "sampler: NULL output");
    memset(out, 0, sizeof *out);
    if (!name || !space) return nnt_fail(err, NNT_ERR_ARG, "sampler: missing name or space");
    int rc = nnt_space_validate(space, err);
    if (rc != NNT_OK) return rc;
    if (strcmp(name, "grid") == 0) rc = nnt__sampler_grid_create(space, out, err);
    else if (strcmp(name, "random") == 0) rc = nnt__sampler_random_create(space, out, err);
    else if (strcmp(name, "sobol") == 0) rc = nnt__sampler_sobol_create(space, study_seed, out, err);
    else if (strcmp(name, "tpe") == 0) {
        nnt_tpe_options o = nnt_tpe_options_default();
        o.study_seed = study_seed;
        rc = nnt_sampler_tpe_create(space, &o, out, err);
    } else
        return nnt_fail(err, NNT_ERR_ARG,
                        "sampler \"%s\": unknown; expected grid, random or sobol (model-free) "
                        "or tpe (Bayesian)",
                        name);
    if (rc != NNT_OK) memset(out, 0, sizeof *out);
    return rc;
}

int nnt_sampler_create(const char *name, const nnt_space *space, nnt_sampler *out,
                       nnt_error *err)
{
    return nnt_sampler_create_seeded(name, space, 0, out, err);
}

void nnt_sampler_free(nnt_sampler *s)
{
    if (!s) return;
    if (s->free_ctx) s->free_ctx(s->ctx);
    memset(s, 0, sizeof *s);
}
