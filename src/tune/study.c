/* The study: create (argument checks, options, the objective, sampler and
 * pruner), run (the workers, then the refit and the test evaluation), stop
 * and free. The coordinator the workers talk to is in study_coord.c, storage
 * open / resume / history in study_storage.c, the refit in study_refit.c and
 * the results (summary, Pareto front, test evaluation) in study_results.c;
 * the state they share is struct nnt_study in study_state.h. */
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"
#include "tune/study_state.h"

/* ---- create ----------------------------------------------------------------- */

/* The most epochs a trial may train: the largest value of an "epochs"
 * parameter of the space, else the base option. */
static int max_epochs_of(const nnt_space *sp, const nnt_train_options *base)
{
    int i = nnt_space_find(sp, "epochs");
    if (i < 0) return base->max_epochs;
    nnt_param_info info;
    if (nnt_space_info(sp, i, &info) != NNT_OK) return base->max_epochs;
    if (info.kind == NNT_PARAM_INT || info.kind == NNT_PARAM_FLOAT) return (int)info.high;
    double mx = 0;
    for (int c = 0; c < info.n_choices; c++) {
        const char *t = nnt_space_choice(sp, i, c);
        double v = t ? atof(t) : 0;
        if (v > mx) mx = v;
    }
    return mx >= 1 ? (int)mx : base->max_epochs;
}

static int check_metric(const nnt_dataset *ds, nnt_metric m, nnt_error *err)
{
    int cls = nnt_dataset_task(ds) == NNT_TASK_CLASSIFY;
    if (cls && (m == NNT_METRIC_RMSE || m == NNT_METRIC_MAE || m == NNT_METRIC_R2))
        return nnt_fail(err, NNT_ERR_ARG,
                        "objective.metric: '%s' is a regression metric but the data set has "
                        "classes (use accuracy or loss)",
                        nnt_metric_name(m));
    if (!cls && m == NNT_METRIC_ACCURACY)
        return nnt_fail(err, NNT_ERR_ARG,
                        "objective.metric: 'accuracy' needs classes but the target is numeric "
                        "(use rmse, mae, r2 or loss)");
    return NNT_OK;
}

/* The MLP trainer's splits, built once the seed is known. */
int nnt__study_init_mlp(nnt_study *s, const nnt_study_options *opt, const nnt_study_data *data,
                        int cv_folds, nnt_error *err)
{
    nnt_mlp_setup su;
    memset(&su, 0, sizeof su);
    su.data = *data;
    su.space = s->space;
    su.base_model = opt->base_model;
    su.base_train = opt->base_train;
    su.metric = s->metric;
    su.maximize = s->maximize;
    su.cv_folds = cv_folds;
    su.ensemble = s->ensemble_on;
    su.valid_fraction = opt->valid_fraction;
    su.max_rows = opt->max_rows;
    su.split_seed = nnt_seed_derive(s->seed, SPLIT_SEED_INDEX);
    su.trial_time_limit_s = opt->trial_time_limit_s;
    su.n_costs = opt->n_costs;
    for (int k = 0; k < opt->n_costs; k++) su.costs[k] = opt->costs[k];
    int r = nnt__mlp_init(&s->obj, &su, err);
    if (r == NNT_OK) s->n_folds = s->obj.n_folds;
    return r;
}

/* What trials run: the user's objective (its strings copied), or the MLP
 * trainer behind the same interface. */
static int setup_objective(nnt_study *s, const nnt_study_options *opt, nnt_error *err)
{
    s->n_folds = 1;
    study_runner *rn = &s->runner;
    rn->space = s->space;
    if (!opt->objective) {
        s->objective.name = "mlp";
        s->objective.evaluate = nnt__mlp_evaluate;
        s->objective.ctx = &s->obj;
        s->n_costs = opt->n_costs;
        rn->objective = &s->objective;
        return NNT_OK;
    }
    const nnt_objective *ob = opt->objective;
    s->user = 1;
    s->objective = *ob;
    s->obj_name = nnt__strdup(ob->name);
    s->obj_version = ob->version ? nnt__strdup(ob->version) : NULL;
    s->value_name = nnt__strdup(ob->value_name ? ob->value_name : "value");
    int oom = !s->obj_name || (ob->version && !s->obj_version) || !s->value_name;
    s->n_costs = ob->n_costs;
    for (int k = 0; k < ob->n_costs; k++) {
        s->cost_names[k] = nnt__strdup(ob->cost_names[k]);
        oom |= !s->cost_names[k];
        s->objective.cost_names[k] = s->cost_names[k];
    }
    if (oom) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    s->objective.name = s->obj_name;
    s->objective.version = s->obj_version;
    s->objective.value_name = s->value_name;
    s->maximize = ob->maximize != 0;
    /* Reported values go to the epoch-row column of the metric of that
     * name, or to loss for names of the user's own. */
    int m = nnt_metric_from_name(s->value_name);
    s->metric = m > 0 ? (nnt_metric)m : NNT_METRIC_LOSS;
    rn->objective = &s->objective;
    rn->column = s->metric;
    rn->maximize = s->maximize;
    rn->n_costs = s->n_costs;
    rn->trial_time_limit_s = opt->trial_time_limit_s;
    return NNT_OK;
}

int nnt_study_create(const nnt_study_options *opt, const nnt_space *space,
                     const nnt_study_data *data, nnt_storage *storage, nnt_study **out,
                     nnt_error *err)
{
    *out = NULL;
    static const nnt_study_data no_data;
    if (!data && opt && opt->objective) data = &no_data;
    if (!opt || !space || !data || !storage)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_study_create: missing argument");
    if (opt->objective) {
        if (data->train || data->valid || data->test)
            return nnt_fail(err, NNT_ERR_ARG,
                            "data: a user objective takes no data set (its evaluate function "
                            "reads its own)");
    } else {
        if (!data->train) return nnt_fail(err, NNT_ERR_ARG, "study: no training data");
        if (!nnt_dataset_has_target(data->train))
            return nnt_fail(err, NNT_ERR_ARG, "study: the training data has no target column");
        if (opt->cv_folds >= 2 && data->valid)
            return nnt_fail(err, NNT_ERR_ARG,
                            "options.cv_folds: cross-validation needs no separate validation set");
        /* Before any storage work where the options alone decide it (the
         * fold count chosen by the rows is checked once it is resolved). */
        if (opt->ensemble > 0 && (data->valid || (opt->cv_folds != NNT_CV_AUTO && opt->cv_folds < 2)))
            return nnt_fail(err, NNT_ERR_ARG, STUDY_ENSEMBLE_NEEDS_FOLDS,
                            data->valid ? "separate validation set" : "single hold-out (cv_folds 1)");
    }
    int r = nnt_study_options_check(opt, err);
    if (r < 0) return r;

    nnt_study *s = nnt__calloc(1, sizeof *s);
    if (!s) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    atomic_init(&s->stop, 0);
    s->best = -1;
    s->opt = *opt;
    s->storage = storage;
    s->data = *data;
    s->name = nnt__strdup(opt->name && opt->name[0] ? opt->name : "default");
    s->sampler_name = nnt__strdup(nnt_study_sampler_name(opt));
    s->model_out = opt->model_out ? nnt__strdup(opt->model_out) : NULL;
    s->sampler_options = opt->sampler_options ? nnt__strdup(opt->sampler_options) : NULL;
    s->pruner_name = nnt__strdup(nnt_study_pruner_name(opt));
    s->pruner_options = opt->pruner_options ? nnt__strdup(opt->pruner_options) : NULL;
    s->space = nnt_space_clone(space);
    if (!s->name || !s->sampler_name || (opt->model_out && !s->model_out) || !s->space ||
        (opt->sampler_options && !s->sampler_options) || !s->pruner_name ||
        (opt->pruner_options && !s->pruner_options)) {
        r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    s->opt.name = s->name;
    s->opt.sampler = s->sampler_name;
    s->opt.model_out = s->model_out;
    s->opt.sampler_options = s->sampler_options;
    s->opt.pruner = s->pruner_name;
    s->opt.pruner_options = s->pruner_options;
    s->opt.data_desc = NULL; /* only read during create */
    s->opt.objective = NULL;  /* copied into s->objective */
    s->nspace = nnt_space_size(s->space);
    s->det_slots = nnt__study_det_slots(opt);
    if ((r = nnt_space_validate(s->space, err)) < 0) goto fail;
    if (opt->objective && !nnt_space_any_names(s->space)) {
        r = nnt_fail(err, NNT_ERR_ARG,
                     "space: a user objective's space is made with nnt_space_new_any or "
                     "nnt_space_from_json_any (its names are not nntune's MLP parameters)");
        goto fail;
    }
    if (!opt->objective && nnt_space_any_names(s->space)) {
        r = nnt_fail(err, NNT_ERR_ARG,
                     "space: made for a user objective (nnt_space_new_any); nntune's MLP "
                     "trainer takes its own parameter names");
        goto fail;
    }
    if ((r = setup_objective(s, opt, err)) < 0) goto fail;
    s->max_epochs = s->user ? opt->objective->max_steps : max_epochs_of(s->space, &opt->base_train);
    {
        /* Sampler and pruner options are checked before any storage work. */
        nnt_tpe_options tpe;
        study_pruner_conf pc;
        if ((r = nnt__study_sampler_parse(s->sampler_name, s->sampler_options, "sampler", &tpe, err)) < 0 ||
            (strcmp(s->pruner_name, "custom") &&
             (r = nnt__study_pruner_parse(s->pruner_name, s->pruner_options, "pruner", s->max_epochs, &pc,
                                          err)) < 0)) {
            if (r == NNT_ERR_FORMAT) r = NNT_ERR_ARG;
            if (err) err->code = r;
            goto fail;
        }
        if (strcmp(s->pruner_name, "custom") && (r = nnt__study_pruner_make(&pc, "pruner", &s->pruner, err)) < 0)
            goto fail;
        if (s->pruner.should_prune) {
            s->opt.prune = s->pruner.should_prune;
            s->opt.prune_ctx = s->pruner.ctx;
        }
    }
    if (opt->refit > 0 && data->valid) {
        r = nnt_fail(err, NNT_ERR_ARG, "%s", NNT_REFIT_NEEDS_HOLDOUT);
        goto fail;
    }
    if (!s->user) {
        s->metric = opt->metric;
        if (s->metric == NNT_METRIC_AUTO)
            s->metric = nnt_dataset_task(data->train) == NNT_TASK_CLASSIFY ? NNT_METRIC_ACCURACY
                                                                            : NNT_METRIC_RMSE;
        if ((r = check_metric(data->train, s->metric, err)) < 0) goto fail;
        s->maximize = nnt_metric_maximize(s->metric);
        s->value_name = nnt__strdup(nnt_metric_name(s->metric));
        if (!s->value_name) {
            r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    if (opt->direction != 0 && (opt->direction > 0) != s->maximize) {
        r = nnt_fail(err, NNT_ERR_ARG, "objective.direction: %s must be %s", s->value_name,
                     s->maximize ? "maximized" : "minimized");
        goto fail;
    }

    /* Open (or create) the study; the seed may come from storage. */
    if ((r = nnt__study_open_stored(s, opt, data, err)) < 0) goto fail;
    if ((r = nnt_study_sampler_create(s->sampler_name, s->sampler_options, s->space, s->seed,
                                      &s->sampler, err)) < 0) {
        if (r == NNT_ERR_FORMAT) r = NNT_ERR_ARG;
        if (err) err->code = r;
        goto fail;
    }
    if ((r = nnt__study_load_history(s, err)) < 0) goto fail;
    *out = s;
    return NNT_OK;
fail:
    nnt_study_free(s);
    return r;
}

/* ---- run -------------------------------------------------------------------- */

typedef struct worker_arg {
    nnt_study *s;
    const nnt_coordinator_ops *ops;
    int id;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg *a = p;
    nnt__worker_loop(&a->s->runner, a->ops, a->id, a->s->nspace);
    return NULL;
}

int nnt_study_run(nnt_study *s, nnt_error *err)
{
    return nnt__study_run_with(s, NULL, err);
}

int nnt__study_run_with(nnt_study *s, const study_transport *tp, nnt_error *err)
{
    if (!s) return nnt_fail(err, NNT_ERR_ARG, "nnt_study_run: no study");
    int jobs = s->opt.jobs;
    if (jobs <= 0 || tp) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = nc > 0 ? (int)nc : 1;
    }
    int refit_threads = jobs; /* before the trial budget trims the worker count */
    if (tp) {
        /* The workers are elsewhere (another process's threads); the refit
         * gets this process's cores. */
        jobs = tp->n_workers;
    } else if (s->opt.max_trials > 0) {
        int left = s->opt.max_trials - s->n_done;
        if (left < 1) left = 1;
        if (jobs > left) jobs = left;
    }
    /* A deterministic study runs at most its slots at a time; more workers
     * would only wait. (Over MPI the worker ranks' asks wait at rank 0.) */
    if (!tp && s->det_slots > 0 && jobs > s->det_slots) jobs = s->det_slots;
    if (jobs > 256 && !tp) jobs = 256;
    int r0 = nnt__study_co_begin(s, jobs, err);
    if (r0 < 0) return r0;

    /* Trials run side by side, so each one's BLAS gets one thread. */
    int prev_threads = nnt_blas_set_threads(1);
    nnt_coordinator_ops ops = {s, nnt__study_co_ask, nnt__study_co_report, nnt__study_co_tell, NULL, nnt__study_co_stopping};
    /* The refit's reserve moves the deadline earlier while trials run; they
     * then check it between batches, so a long epoch does not eat the
     * refit's time. Not in a deterministic study, whose trials always run
     * to their end. */
    if (s->refit_on && s->budget_end > 0 && s->det_slots == 0) ops.deadline = nnt__study_co_deadline;
    nnt_study_event e;

    if (tp) {
        tp->serve(tp->ctx, s, &ops);
    } else if (jobs == 1) {
        nnt__worker_loop(&s->runner, &ops, 0, s->nspace);
    } else {
        pthread_t *th = nnt__calloc((size_t)jobs, sizeof *th);
        worker_arg *args = nnt__calloc((size_t)jobs, sizeof *args);
        int started = 0;
        if (th && args) {
            for (int i = 0; i < jobs; i++) {
                args[i].s = s;
                args[i].ops = &ops;
                args[i].id = i;
                if (pthread_create(&th[i], NULL, worker_main, &args[i]) != 0) break;
                started++;
            }
        }
        if (started == 0) nnt__worker_loop(&s->runner, &ops, 0, s->nspace);
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        nnt__free(th);
        nnt__free(args);
    }

    int r = NNT_OK;
    /* Every trial was told (its epochs written with its state); this writes
     * what a trial left buffered when the study stopped on an error. */
    if (s->storage) {
        pthread_mutex_lock(&s->mu);
        nnt_error ferr;
        nnt_error_clear(&ferr);
        int fr = nnt_storage_flush(s->storage, &ferr);
        if (fr < 0 && !s->fatal) {
            s->fatal = fr;
            s->fatal_err = ferr;
        }
        pthread_mutex_unlock(&s->mu);
    }
    if (s->fatal) {
        if (err) *err = s->fatal_err;
        r = s->fatal;
    } else {
        /* The cores the workers used are free now: the refit gets them all. */
        if (s->refit_on) r = nnt__study_run_refit(s, tp, refit_threads, err);
        if (r == NNT_OK) r = nnt__study_evaluate_best(s, err);
    }
    if (prev_threads > 0) nnt_blas_set_threads(prev_threads);
    pthread_mutex_lock(&s->mu);
    nnt__study_event_init(s, &e, NNT_EVENT_STUDY_END, -1, NULL);
    nnt__study_emit(s, &e);
    pthread_mutex_unlock(&s->mu);
    return r;
}

void nnt_study_stop(nnt_study *s)
{
    if (s) atomic_store(&s->stop, 1);
}

void nnt_study_free(nnt_study *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_slots; i++) nnt__study_slot_free(s->slots[i]);
    nnt__free(s->slots);
    nnt__free(s->retry);
    nnt__free(s->worker_slot);
    nnt__free(s->views);
    nnt_model_free(s->best_model);
    if (s->sampler.name) nnt_sampler_free(&s->sampler);
    nnt_pruner_free(&s->pruner);
    nnt__free(s->sampler_options);
    nnt__free(s->pruner_name);
    nnt__free(s->pruner_options);
    nnt__mlp_free(&s->obj);
    nnt_space_free(s->space);
    nnt__free(s->name);
    nnt__free(s->sampler_name);
    nnt__free(s->model_out);
    nnt__free(s->value_name);
    nnt__free(s->obj_name);
    nnt__free(s->obj_version);
    for (int k = 0; k < NNT_MAX_OBJECTIVES - 1; k++) nnt__free(s->cost_names[k]);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    nnt__free(s);
}
