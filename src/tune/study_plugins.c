/* Samplers and pruners by name plus a JSON object of options (study files,
 * stored definitions), and the names of the costs of multi-objective
 * studies. Every error names the key path ("sampler.gamma: ..."). */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "tune/study_internal.h"

/* ---- costs ------------------------------------------------------------------ */

#define COST_NAME_(id, name, value) [value] = name,
static const char *const cost_names[] = {NNT_COST_MAP(COST_NAME_)};
#undef COST_NAME_

const char *nnt_cost_name(nnt_cost c)
{
    return c >= NNT_COST_PARAMS && c <= NNT_COST_TRAIN_TIME ? cost_names[c] : "?";
}

int nnt_cost_from_name(const char *name)
{
    for (int c = NNT_COST_PARAMS; c <= NNT_COST_TRAIN_TIME; c++)
        if (name && !strcmp(name, cost_names[c])) return c;
    return -1;
}

/* ---- option readers ------------------------------------------------------------ */

/* Parses options_json (NULL: empty) into an object; *out NULL when empty. */
static int parse_object(const char *json, const char *path, json_object **out, nnt_error *err)
{
    *out = NULL;
    if (!json || !json[0]) return NNT_OK;
    json_object *o = json_tokener_parse(json);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected a JSON object of options", path);
    }
    *out = o;
    return NNT_OK;
}

static int opt_int(json_object *v, const char *path, const char *key, long lo, long hi, int *out,
                   nnt_error *err)
{
    int ok = json_object_is_type(v, json_type_int);
    double d = ok ? (double)json_object_get_int64(v) : json_object_get_double(v);
    if (!ok && json_object_is_type(v, json_type_double)) ok = d == floor(d);
    if (!ok || d < lo || d > hi) {
        if (hi >= 1000000000L)
            return nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: expected an integer >= %ld", path, key, lo);
        return nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: expected an integer in [%ld, %ld]", path, key,
                        lo, hi);
    }
    *out = (int)d;
    return NNT_OK;
}

static int opt_num(json_object *v, const char *path, const char *key, double lo, double hi,
                   int open_lo, double *out, nnt_error *err)
{
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: expected a number", path, key);
    double d = json_object_get_double(v);
    if (!isfinite(d) || d < lo || d > hi || (open_lo && d == lo))
        return nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: expected a number in %c%g, %g]", path, key,
                        open_lo ? '(' : '[', lo, hi);
    *out = d;
    return NNT_OK;
}

static int opt_bool(json_object *v, const char *path, const char *key, int *out, nnt_error *err)
{
    if (!json_object_is_type(v, json_type_boolean))
        return nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: expected true or false", path, key);
    *out = json_object_get_boolean(v);
    return NNT_OK;
}

static int unknown(const char *path, const char *key, const char *what, const char *known,
                   nnt_error *err)
{
    return nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: unknown key; %s %s", path, key, what, known);
}

/* ---- samplers ------------------------------------------------------------------- */

static int known_sampler(const char *name)
{
    return name && (!strcmp(name, "grid") || !strcmp(name, "random") || !strcmp(name, "sobol") ||
                    !strcmp(name, "tpe"));
}

int nnt__study_sampler_parse(const char *name, const char *options_json, const char *path,
                             nnt_tpe_options *tpe, nnt_error *err)
{
    *tpe = nnt_tpe_options_default();
    if (!known_sampler(name))
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected \"grid\", \"random\", \"sobol\" or \"tpe\", got \"%s\"",
                        path, name ? name : "");
    json_object *o;
    int r = parse_object(options_json, path, &o, err);
    if (r < 0 || !o) return r;
    int is_tpe = !strcmp(name, "tpe");
    json_object_object_foreach(o, key, v) {
        if (!is_tpe) {
            r = unknown(path, key, "the sampler", "takes no options (only \"tpe\" has some)", err);
        } else if (!strcmp(key, "n_startup") || !strcmp(key, "n_startup_trials")) {
            r = opt_int(v, path, key, 0, 1000000000L, &tpe->n_startup_trials, err);
        } else if (!strcmp(key, "n_candidates")) {
            r = opt_int(v, path, key, 1, 1000000000L, &tpe->n_candidates, err);
        } else if (!strcmp(key, "gamma")) {
            r = opt_num(v, path, key, 0, 1, 1, &tpe->gamma, err);
        } else if (!strcmp(key, "gamma_max")) {
            r = opt_int(v, path, key, 1, 1000000000L, &tpe->gamma_max, err);
        } else if (!strcmp(key, "n_bad_max")) {
            r = opt_int(v, path, key, 0, 1000000000L, &tpe->n_bad_max, err);
        } else if (!strcmp(key, "prior_weight")) {
            r = opt_num(v, path, key, 0, 1e9, 1, &tpe->prior_weight, err);
        } else if (!strcmp(key, "magic_clip")) {
            r = opt_bool(v, path, key, &tpe->magic_clip, err);
        } else if (!strcmp(key, "multivariate")) {
            r = opt_bool(v, path, key, &tpe->multivariate, err);
        } else if (!strcmp(key, "independent")) {
            r = opt_bool(v, path, key, &tpe->independent, err);
        } else if (!strcmp(key, "constant_liar")) {
            r = opt_bool(v, path, key, &tpe->constant_liar, err);
        } else if (!strcmp(key, "startup")) {
            const char *t = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
            if (!strcmp(t, "sobol")) tpe->startup = "sobol";
            else if (!strcmp(t, "random")) tpe->startup = "random";
            else r = nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: expected \"sobol\" or \"random\"", path, key);
        } else {
            r = unknown(path, key, "expected one of",
                        "n_startup, n_candidates, gamma, gamma_max, prior_weight, magic_clip, "
                        "multivariate, independent, constant_liar, startup, n_bad_max",
                        err);
        }
        if (r < 0) break;
    }
    json_object_put(o);
    return r;
}

int nnt_study_sampler_create(const char *name, const char *options_json, const nnt_space *space,
                             uint64_t study_seed, nnt_sampler *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "sampler: NULL output");
    memset(out, 0, sizeof *out);
    nnt_tpe_options tpe;
    int r = nnt__study_sampler_parse(name, options_json, "sampler", &tpe, err);
    if (r < 0) return r;
    if (strcmp(name, "tpe")) return nnt_sampler_create_seeded(name, space, study_seed, out, err);
    if (!space) return nnt_fail(err, NNT_ERR_ARG, "sampler: missing space");
    if ((r = nnt_space_validate(space, err)) < 0) return r;
    tpe.study_seed = study_seed;
    r = nnt_sampler_tpe_create(space, &tpe, out, err);
    if (r < 0) memset(out, 0, sizeof *out);
    return r;
}

/* ---- pruners -------------------------------------------------------------------- */

int nnt__study_pruner_parse(const char *name, const char *options_json, const char *path,
                            int max_epochs, study_pruner_conf *c, nnt_error *err)
{
    memset(c, 0, sizeof *c);
    c->median = nnt_median_options_default();
    c->asha = nnt_asha_options_default();
    c->hyperband = nnt_hyperband_options_default();
    if (max_epochs > 0) {
        c->asha.max_resource = max_epochs;
        c->hyperband.max_resource = max_epochs;
    }
    if (!name || !strcmp(name, "none")) c->kind = 0;
    else if (!strcmp(name, "median")) c->kind = 1;
    else if (!strcmp(name, "asha")) c->kind = 2;
    else if (!strcmp(name, "hyperband")) c->kind = 3;
    else
        return nnt_fail(err, NNT_ERR_FORMAT,
                        "%s: expected \"none\", \"median\", \"asha\" or \"hyperband\", got \"%s\"",
                        path, name);
    json_object *o;
    int r = parse_object(options_json, path, &o, err);
    if (r < 0 || !o) return r;
    json_object_object_foreach(o, key, v) {
        const long big = 1000000000L;
        switch (c->kind) {
        case 0: r = unknown(path, key, "the pruner", "\"none\" takes no options", err); break;
        case 1:
            if (!strcmp(key, "n_startup") || !strcmp(key, "n_startup_trials"))
                r = opt_int(v, path, key, 0, big, &c->median.n_startup_trials, err);
            else if (!strcmp(key, "n_warmup_epochs"))
                r = opt_int(v, path, key, 0, big, &c->median.n_warmup_epochs, err);
            else r = unknown(path, key, "expected one of", "n_startup, n_warmup_epochs", err);
            break;
        case 2:
            if (!strcmp(key, "min_resource")) r = opt_int(v, path, key, 1, big, &c->asha.min_resource, err);
            else if (!strcmp(key, "eta")) r = opt_int(v, path, key, 2, big, &c->asha.eta, err);
            else if (!strcmp(key, "max_resource")) r = opt_int(v, path, key, 0, big, &c->asha.max_resource, err);
            else r = unknown(path, key, "expected one of", "min_resource, eta, max_resource", err);
            break;
        default:
            if (!strcmp(key, "min_resource")) r = opt_int(v, path, key, 1, big, &c->hyperband.min_resource, err);
            else if (!strcmp(key, "eta")) r = opt_int(v, path, key, 2, big, &c->hyperband.eta, err);
            else if (!strcmp(key, "max_resource")) r = opt_int(v, path, key, 1, big, &c->hyperband.max_resource, err);
            else r = unknown(path, key, "expected one of", "min_resource, max_resource, eta", err);
            break;
        }
        if (r < 0) break;
    }
    json_object_put(o);
    if (r == NNT_OK && c->kind == 3 && c->hyperband.max_resource < c->hyperband.min_resource)
        r = nnt_fail(err, NNT_ERR_FORMAT, "%s.max_resource: expected >= min_resource (%d), got %d",
                     path, c->hyperband.min_resource, c->hyperband.max_resource);
    return r;
}

int nnt__study_pruner_make(const study_pruner_conf *c, const char *path, nnt_pruner *out,
                           nnt_error *err)
{
    memset(out, 0, sizeof *out);
    nnt_error e;
    nnt_error_clear(&e);
    int r = NNT_OK;
    switch (c->kind) {
    case 0: return NNT_OK;
    case 1: r = nnt_pruner_median_create(&c->median, out, &e); break;
    case 2: r = nnt_pruner_asha_create(&c->asha, out, &e); break;
    default: r = nnt_pruner_hyperband_create(&c->hyperband, out, &e); break;
    }
    if (r < 0) return nnt_fail(err, r, "%s: %s", path, e.message);
    return r;
}

int nnt_study_pruner_create(const char *name, const char *options_json, int max_epochs,
                            nnt_pruner *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "pruner: NULL output");
    memset(out, 0, sizeof *out);
    study_pruner_conf c;
    int r = nnt__study_pruner_parse(name, options_json, "pruner", max_epochs, &c, err);
    if (r < 0) return r;
    return nnt__study_pruner_make(&c, "pruner", out, err);
}
