/* The study and its storage: opening (or creating) the stored study, the
 * resume policy and definition check, and loading the stored history into
 * the coordinator's slots on resume. */
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

/* Loads the stored trials into slots; collects interrupted trials to rerun. */
int nnt__study_load_history(nnt_study *s, nnt_error *err)
{
    nnt_trial_record *recs = NULL;
    size_t n = 0;
    int r = nnt_storage_trials_load(s->storage, s->study_id, &recs, &n, err);
    if (r < 0) return r;
    for (size_t i = 0; i < n && r == NNT_OK; i++) {
        const nnt_trial_record *tr = &recs[i];
        slot *sl = nnt__study_slot_new(s->nspace);
        if (!sl) {
            r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
            break;
        }
        sl->number = tr->number;
        sl->state = tr->state;
        sl->interrupted = tr->interrupted;
        sl->retry_of = tr->retry_of;
        sl->seed = tr->seed;
        sl->epochs = tr->epochs;
        sl->duration = tr->duration;
        sl->params = nnt__strdup(tr->params ? tr->params : "{}");
        if (tr->model_path) sl->model_path = nnt__strdup(tr->model_path);
        nnt__study_slot_set_results(s, sl, tr->value, tr->value_spread, tr->valid_loss, tr->n_params,
                                    tr->n_values, tr->values);
        nnt_error perr;
        if (nnt_space_params_from_json(s->space, sl->params, sl->x, sl->active, &perr) < 0) {
            /* Only after --force with another space: the old trial stays on
             * record but its parameters do not map onto this space. */
            for (int k = 0; k < s->nspace; k++) {
                sl->x[k] = NAN;
                sl->active[k] = 0;
            }
        }
        /* Fold-0 validation curve, for pruners; the refit epoch. */
        nnt_epoch_row *rows = NULL;
        size_t nr = 0;
        if (nnt_storage_epochs_load(s->storage, s->study_id, tr->number, &rows, &nr, err) ==
                NNT_OK &&
            nr > 0) {
            sl->inter = nnt__malloc(nr * sizeof *sl->inter);
            if (sl->inter) {
                sl->cap_inter = (int)nr;
                for (size_t k = 0; k < nr; k++)
                    if (rows[k].fold == 0)
                        sl->inter[sl->n_inter++] = nnt__study_orient(s, nnt_metrics_get(&rows[k].valid, s->metric));
            }
            sl->best_epoch = nnt__stored_best_epoch(rows, nr, s->metric, s->maximize);
        }
        nnt_epoch_rows_free(rows);
        nnt_error_clear(err);
        if (nnt__study_slot_push(s, sl) < 0) {
            nnt__study_slot_free(sl);
            r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
            break;
        }
        if (tr->number >= s->next_number) s->next_number = tr->number + 1;
        if (sl->state != NNT_TRIAL_RUNNING && !sl->interrupted) s->n_done++;
        if (nnt__study_better(s, sl, s->best)) s->best = s->n_slots - 1;
    }
    nnt_trial_records_free(recs, n);
    if (r < 0) return r;
    /* Which interrupted trials still need a rerun: those no later trial reran. */
    s->retry = nnt__calloc((size_t)(s->n_slots > 0 ? s->n_slots : 1), sizeof *s->retry);
    if (!s->retry) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    for (int i = 0; i < s->n_slots; i++) {
        slot *sl = s->slots[i];
        if (sl->retry_of < 0) continue;
        for (int j = 0; j < s->n_slots; j++)
            if (s->slots[j]->number == sl->retry_of) s->slots[j]->retried = 1;
    }
    for (int i = 0; i < s->n_slots; i++)
        if (s->slots[i]->interrupted && !s->slots[i]->retried) s->retry[s->n_retry++] = i;
    return NNT_OK;
}

/* This run's definition, from study_definition.c. */
static char *study_make_definition(const nnt_study *s, const nnt_study_options *opt)
{
    study_definition_in in;
    memset(&in, 0, sizeof in);
    in.sampler = s->sampler_name;
    in.sampler_options = s->sampler_options;
    in.pruner = s->pruner_name;
    in.pruner_options = s->pruner_options;
    in.metric = s->value_name;
    in.maximize = s->maximize;
    in.n_costs = s->n_costs;
    for (int k = 0; k < s->n_costs; k++)
        in.cost_names[k] = s->user ? s->cost_names[k] : nnt_cost_name(opt->costs[k]);
    in.space = s->space;
    in.trial_time_limit_s = opt->trial_time_limit_s;
    in.slots = s->det_slots;
    if (s->user) {
        in.objective = s->obj_name;
        in.objective_version = s->obj_version;
    } else {
        in.mlp = 1;
        in.n_folds = s->obj.n_folds;
        in.use_valid_set = s->obj.use_valid_set;
        in.valid_fraction = opt->valid_fraction;
        in.max_rows = opt->max_rows;
        in.base_model = &opt->base_model;
        in.base_train = &opt->base_train;
        in.train = s->data.train;
        in.valid = s->data.valid;
        in.data_desc = opt->data_desc;
    }
    return nnt__study_definition_build(&in);
}

/* Opens (or creates) the stored study, exclusive and recovering interrupted
 * trials; takes the stored seed unless one was set; resolves the model
 * selection policy of an MLP study (a resumed study keeps its stored one)
 * and sets up the MLP objective; then checks the definition against the
 * stored one (study_definition.c). */
int nnt__study_open_stored(nnt_study *s, const nnt_study_options *opt, const nnt_study_data *data,
                           nnt_error *err)
{
    int r = NNT_OK;
    nnt_study_record rec;
    int created = 0;
    {
        nnt_study_open_request req;
        memset(&req, 0, sizeof req);
        req.name = s->name;
        req.seed = opt->seed;
        req.metric = s->value_name;
        req.maximize = s->maximize;
        req.create = 1;
        req.exclusive = 1;
        req.recover = 1;
        req.definition = "{}"; /* replaced below once the splits exist */
        r = nnt_storage_study_open(s->storage, &req, &rec, &created, err);
        if (r < 0) return r;
    }
    s->study_id = rec.id;
    s->resumed = !created;
    s->seed = opt->seed;
    if (!created && !opt->seed_set) s->seed = rec.seed;
    if (!s->user) {
        study_policy pol = nnt__study_resolve_policy(opt, data, created ? NULL : rec.definition);
        s->tuned_rows = pol.tuned_rows;
        s->small_data = pol.small_data;
        s->cv_auto = pol.cv_auto;
        s->refit_auto = pol.refit_auto;
        s->refit_on = pol.refit;
        s->ensemble_on = pol.ensemble;
        if (pol.ensemble && pol.cv_folds < 2)
            r = nnt_fail(err, NNT_ERR_ARG, STUDY_ENSEMBLE_NEEDS_FOLDS,
                         data->valid ? "separate validation set" : "single hold-out (cv_folds 1)");
        else
            r = nnt__study_init_mlp(s, opt, data, pol.cv_folds, err);
    }
    if (r < 0) {
        nnt_study_record_free(&rec);
        return r;
    }

    char *def = study_make_definition(s, opt);
    if (!def) {
        nnt_study_record_free(&rec);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    }
    {
        study_definition_check ck = {s->storage, s->study_id, s->name, s->seed,
                                     s->value_name, opt->force, created};
        r = nnt__study_check_definition(&ck, &rec, def, err);
    }
    nnt__free(def);
    nnt_study_record_free(&rec);
    return r;
}
