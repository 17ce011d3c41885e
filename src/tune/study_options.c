/* Study options: their defaults, the checks that need no data or storage,
 * the default sampler and pruner, and the defaults a resume takes from the
 * stored definition. The CLI sets only what its user typed and leaves the
 * rest to these, so that `nntune tune` and a library caller get the same
 * study from the same settings. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "tune/study_internal.h"

nnt_study_options nnt_study_options_default(void)
{
    nnt_study_options o;
    memset(&o, 0, sizeof o);
    o.name = "default";
    o.sampler = NULL; /* NNT_DEFAULT_SAMPLER */
    o.pruner = NULL;  /* NNT_DEFAULT_PRUNER, none for a grid search */
    o.seed = 1;
    o.valid_fraction = 0.2;
    o.cv_folds = NNT_CV_AUTO;
    o.refit = NNT_REFIT_AUTO;
    o.ensemble = NNT_ENSEMBLE_AUTO;
    o.base_model = nnt_model_options_default();
    o.base_train = nnt_train_options_default();
    return o;
}

const char *nnt_study_sampler_name(const nnt_study_options *o)
{
    return o && o->sampler && o->sampler[0] ? o->sampler : NNT_DEFAULT_SAMPLER;
}

const char *nnt_study_pruner_name(const nnt_study_options *o)
{
    if (o && o->pruner && o->pruner[0]) return o->pruner;
    if (o && o->prune) return "custom";
    /* Pruning suits every search but a grid, which is meant to be exhaustive. */
    return strcmp(nnt_study_sampler_name(o), "grid") ? NNT_DEFAULT_PRUNER : "none";
}

/* Identity strings of a user objective: what a file name may hold. */
static int identity_ok(const char *t, int required)
{
    if (!t) return !required;
    size_t n = strlen(t);
    if (n == 0 || n > 64) return 0;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
              *t == '_' || *t == '-' || *t == '.'))
            return 0;
    return 1;
}

static int check_user_objective(const nnt_study_options *opt, nnt_error *err)
{
    const nnt_objective *ob = opt->objective;
    if (!ob->evaluate) return nnt_fail(err, NNT_ERR_ARG, "objective.evaluate: expected a function");
    if (!identity_ok(ob->name, 1))
        return nnt_fail(err, NNT_ERR_ARG,
                        "objective.name: expected 1-64 letters, digits, '_', '-' or '.', got '%s'",
                        ob->name ? ob->name : "(null)");
    if (!identity_ok(ob->version, 0))
        return nnt_fail(err, NNT_ERR_ARG,
                        "objective.version: expected 1-64 letters, digits, '_', '-' or '.', got '%s'",
                        ob->version);
    if (ob->value_name && !identity_ok(ob->value_name, 1))
        return nnt_fail(err, NNT_ERR_ARG,
                        "objective.value_name: expected 1-64 letters, digits, '_', '-' or '.', got '%s'",
                        ob->value_name);
    if (ob->n_costs < 0 || ob->n_costs > NNT_MAX_OBJECTIVES - 1)
        return nnt_fail(err, NNT_ERR_ARG, "objective.n_costs: expected 0..%d, got %d",
                        NNT_MAX_OBJECTIVES - 1, ob->n_costs);
    for (int k = 0; k < ob->n_costs; k++)
        if (!identity_ok(ob->cost_names[k], 1))
            return nnt_fail(err, NNT_ERR_ARG,
                            "objective.cost_names[%d]: expected 1-64 letters, digits, '_', '-' or '.'",
                            k);
    if (ob->max_steps < 0)
        return nnt_fail(err, NNT_ERR_ARG, "objective.max_steps: expected an integer >= 0");
    if (opt->n_costs != 0)
        return nnt_fail(err, NNT_ERR_ARG,
                        "objectives: the costs params, infer_time and train_time measure the MLP "
                        "trainer; a user objective names its own (objective.cost_names)");
    if (opt->cv_folds >= 2)
        return nnt_fail(err, NNT_ERR_ARG,
                        "options.cv_folds: cross-validation is the MLP trainer's; a user objective "
                        "scores its trials itself");
    if (opt->refit > 0)
        return nnt_fail(err, NNT_ERR_ARG,
                        "options.refit: a refit retrains the MLP trainer's best configuration; a "
                        "user objective has none");
    if (opt->ensemble > 0)
        return nnt_fail(err, NNT_ERR_ARG,
                        "options.ensemble: an ensemble averages the MLP trainer's fold models; a "
                        "user objective has none");
    return NNT_OK;
}

/* A deterministic study excludes what depends on timing. */
static int check_deterministic(const nnt_study_options *opt, nnt_error *err)
{
    if (opt->deterministic != 1)
        return nnt_fail(err, NNT_ERR_ARG, "options.deterministic: expected 0 or 1, got %d",
                        opt->deterministic);
    if (opt->trial_time_limit_s > 0 || opt->base_train.time_limit_s > 0)
        return nnt_fail(err, NNT_ERR_ARG,
                        "options.trial_time_limit: a deterministic study cannot have a trial "
                        "time limit (whether a trial runs past it depends on timing)");
    for (int k = 0; k < opt->n_costs; k++)
        if (opt->costs[k] == NNT_COST_INFER_TIME || opt->costs[k] == NNT_COST_TRAIN_TIME)
            return nnt_fail(err, NNT_ERR_ARG,
                            "objectives: %s is a measured time, which a deterministic study "
                            "cannot reproduce (use params)",
                            nnt_cost_name(opt->costs[k]));
    return NNT_OK;
}

int nnt_study_options_check(const nnt_study_options *opt, nnt_error *err)
{
    if (!opt) return nnt_fail(err, NNT_ERR_ARG, "nnt_study_options_check: no options");
    if (opt->max_trials < 0) return nnt_fail(err, NNT_ERR_ARG, "budget.trials: expected a positive integer");
    if (opt->max_seconds < 0 || !isfinite(opt->max_seconds))
        return nnt_fail(err, NNT_ERR_ARG, "budget.time: expected a positive duration");
    if ((opt->cv_folds < 0 && opt->cv_folds != NNT_CV_AUTO) || opt->cv_folds > 64)
        return nnt_fail(err, NNT_ERR_ARG,
                        "options.cv_folds: expected 0 or 1 (hold-out), 2..64 or NNT_CV_AUTO, got %d",
                        opt->cv_folds);
    if (opt->refit < 0 && opt->refit != NNT_REFIT_AUTO)
        return nnt_fail(err, NNT_ERR_ARG, "options.refit: expected 0, 1 or NNT_REFIT_AUTO, got %d",
                        opt->refit);
    if (opt->ensemble < 0 && opt->ensemble != NNT_ENSEMBLE_AUTO)
        return nnt_fail(err, NNT_ERR_ARG,
                        "options.ensemble: expected 0, 1 or NNT_ENSEMBLE_AUTO, got %d", opt->ensemble);
    if (opt->ensemble > 0 && opt->cv_folds != NNT_CV_AUTO && opt->cv_folds < 2 && !opt->objective)
        return nnt_fail(err, NNT_ERR_ARG,
                        "options.ensemble: an ensemble averages the fold models of k-fold "
                        "cross-validation, and this study validates on a single hold-out "
                        "(cv_folds %d)",
                        opt->cv_folds);
    if (!(opt->valid_fraction > 0 && opt->valid_fraction < 1))
        return nnt_fail(err, NNT_ERR_ARG, "valid_fraction: expected a number in (0, 1), got %g",
                        opt->valid_fraction);
    if (opt->trial_time_limit_s < 0)
        return nnt_fail(err, NNT_ERR_ARG, "options.trial_time_limit: expected seconds >= 0");
    if (opt->jobs < 0) return nnt_fail(err, NNT_ERR_ARG, "options.jobs: expected a positive integer");
    if (opt->slots < 0 || opt->slots > 4096)
        return nnt_fail(err, NNT_ERR_ARG, "options.slots: expected 1..4096 (0: jobs), got %d",
                        opt->slots);
    if (opt->n_costs < 0 || opt->n_costs > NNT_MAX_OBJECTIVES - 1)
        return nnt_fail(err, NNT_ERR_ARG, "objectives: expected at most %d costs, got %d",
                        NNT_MAX_OBJECTIVES - 1, opt->n_costs);
    for (int k = 0; k < opt->n_costs; k++) {
        if (!strcmp(nnt_cost_name(opt->costs[k]), "?"))
            return nnt_fail(err, NNT_ERR_ARG, "objectives[%d]: unknown cost %d", k + 1,
                            (int)opt->costs[k]);
        for (int j = 0; j < k; j++)
            if (opt->costs[j] == opt->costs[k])
                return nnt_fail(err, NNT_ERR_ARG, "objectives[%d]: %s is given twice", k + 1,
                                nnt_cost_name(opt->costs[k]));
    }
    if (opt->prune && opt->pruner && strcmp(opt->pruner, "none"))
        return nnt_fail(err, NNT_ERR_ARG,
                        "pruner: a custom prune hook and the built-in pruner '%s' exclude each other",
                        opt->pruner);
    if (opt->deterministic) {
        int r = check_deterministic(opt, err);
        if (r < 0) return r;
    }
    if (opt->objective) {
        int r = check_user_objective(opt, err);
        if (r < 0) return r;
    }
    const char *sampler = nnt_study_sampler_name(opt);
    nnt_tpe_options tpe;
    int r = nnt__study_sampler_parse(sampler, opt->sampler_options, "sampler", &tpe, err);
    if (r < 0) {
        if (err) err->code = NNT_ERR_ARG;
        return NNT_ERR_ARG;
    }
    if (strcmp(sampler, "grid") && opt->max_trials == 0 && opt->max_seconds == 0)
        return nnt_fail(err, NNT_ERR_ARG,
                        "budget: a %s search needs a trial budget (budget.trials) or a time "
                        "budget (budget.time)",
                        sampler);
    return NNT_OK;
}

void nnt_study_options_inherit(nnt_study_options *o, const nnt_study_definition *stored)
{
    if (!o || !stored || !stored->sampler) return;
    /* Options go with their sampler (pruner): naming the stored one again
     * without options keeps its stored options. */
    if (!o->sampler || (!o->sampler_options && !strcmp(o->sampler, stored->sampler))) {
        o->sampler = stored->sampler;
        o->sampler_options = stored->sampler_options;
    }
    const char *sp = stored->pruner ? stored->pruner : "none";
    if (!o->prune && strcmp(sp, "custom") &&
        (!o->pruner || (!o->pruner_options && !strcmp(o->pruner, sp)))) {
        o->pruner = sp;
        o->pruner_options = stored->pruner_options;
    }
    if (stored->slots > 0) {
        o->deterministic = 1;
        if (!o->slots) o->slots = stored->slots;
    }
    if (!o->costs_set && !o->objective) {
        o->n_costs = 0;
        for (int k = 1; k < stored->n_objectives && o->n_costs < NNT_MAX_OBJECTIVES - 1; k++) {
            int c = nnt_cost_from_name(stored->objectives[k]);
            if (c > 0) o->costs[o->n_costs++] = (nnt_cost)c;
        }
    }
}
