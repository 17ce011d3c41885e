/* The study's results: the best trial's model on the test set, the summary
 * and the Pareto front of a multi-objective study. */
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

/* ---- test evaluation ---------------------------------------------------------- */

int nnt__study_test_model(const nnt_study *s, const nnt_model *m, nnt_metrics *out, size_t *n,
                          nnt_error *err)
{
    nnt_eval ev;
    memset(&ev, 0, sizeof ev);
    int r = nnt_model_evaluate(m, s->data.test, NULL, nnt_dataset_rows(s->data.test), &ev, err);
    if (r < 0) return r;
    *out = ev.metrics;
    *n = ev.n;
    nnt_eval_free(&ev);
    return NNT_OK;
}

/* The best trial's model: the one kept in memory, or (when the best came from
 * an earlier run) loaded from its model file into *loaded, which the caller
 * frees. *m = NULL with NNT_OK when neither exists. */
int nnt__study_best_trial_model(const nnt_study *s, const slot *b, const nnt_model **m,
                                nnt_model **loaded, nnt_error *err)
{
    *loaded = NULL;
    *m = s->best_model;
    if (*m || !b->model_path) return NNT_OK;
    int r = nnt_model_load(b->model_path, loaded, err);
    if (r == NNT_OK) *m = *loaded;
    return r;
}

/* {"rows": N, "loss": ..., "accuracy": ...}: the metrics that apply. */
json_object *nnt__study_metrics_json(const nnt_metrics *m, size_t rows)
{
    json_object *info = json_object_new_object();
    json_object_object_add(info, "rows", json_object_new_int64((int64_t)rows));
    const nnt_metric ms[] = {NNT_METRIC_LOSS, NNT_METRIC_ACCURACY, NNT_METRIC_RMSE,
                             NNT_METRIC_MAE, NNT_METRIC_R2};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        double v = nnt_metrics_get(m, ms[i]);
        if (isfinite(v)) json_object_object_add(info, nnt_metric_name(ms[i]), json_object_new_double(v));
    }
    return info;
}

int nnt__study_evaluate_best(nnt_study *s, nnt_error *err)
{
    if (!s->data.test || s->best < 0) return NNT_OK;
    slot *b = s->slots[s->best];
    nnt_model *loaded;
    const nnt_model *m;
    int r = nnt__study_best_trial_model(s, b, &m, &loaded, err);
    if (r < 0) return r;
    if (!m) return NNT_OK; /* best from an earlier run, model not kept */
    r = nnt__study_test_model(s, m, &s->test, &s->n_test, err);
    nnt_model_free(loaded);
    if (r < 0) return r;
    s->has_test = 1;

    json_object *info = nnt__study_metrics_json(&s->test, s->n_test);
    if (s->refit_state == 1) json_object_object_add(info, "refit", nnt__study_refit_json(s));
    r = nnt_storage_artifact_add(s->storage, s->study_id, b->number, "test",
                                 b->model_path ? b->model_path : "",
                                 json_object_to_json_string_ext(info, JSON_C_TO_STRING_PLAIN), err);
    json_object_put(info);
    return r;
}

void nnt_study_get_summary(const nnt_study *s, nnt_study_summary *o)
{
    memset(o, 0, sizeof *o);
    o->best_number = -1;
    o->best_value = o->best_spread = NAN;
    if (!s) return;
    nnt_study *m = (nnt_study *)s; /* the mutex only; state is not changed */
    pthread_mutex_lock(&m->mu);
    o->n_trials = s->n_slots;
    for (int i = 0; i < s->n_slots; i++) {
        switch (s->slots[i]->state) {
        case NNT_TRIAL_COMPLETE: o->n_complete++; break;
        case NNT_TRIAL_PRUNED: o->n_pruned++; break;
        case NNT_TRIAL_FAILED: o->n_failed++; break;
        default: o->n_running++; break;
        }
    }
    o->n_done = s->n_done;
    if (s->best >= 0) {
        const slot *b = s->slots[s->best];
        o->best_number = b->number;
        o->best_value = b->value;
        o->best_spread = b->spread;
        o->best_params = b->params;
        o->model_path = b->model_path;
    }
    o->has_test = s->has_test;
    o->test = s->test;
    o->n_test = s->n_test;
    o->metric = s->value_name;
    o->maximize = s->maximize;
    o->seed = s->seed;
    o->resumed = s->resumed;
    o->stopped = atomic_load(&m->stop) && !s->fatal;
    o->n_objectives = 1 + s->n_costs;
    o->pruner = s->pruner_name;
    o->sampler = s->sampler_name;
    o->refit = s->refit_state;
    o->refit_epochs = s->refit_epochs;
    o->refit_rows = s->refit_rows;
    o->refit_seconds = s->refit_seconds;
    o->refit_rank = s->refit_rank;
    o->refit_note = s->refit_note;
    o->refit_trial_n_test = s->refit_trial_n_test;
    o->refit_trial_test = s->refit_trial_test;
    o->n_folds = s->n_folds;
    o->tuned_rows = s->tuned_rows;
    o->small_data = s->small_data;
    o->cv_auto = s->cv_auto;
    o->refit_auto = s->refit_auto;
    o->refit_planned = s->refit_on;
    o->ensemble = s->ensemble_on;
    o->model_members = s->best_model ? nnt_model_ensemble_size(s->best_model) : 0;
    if (s->best >= 0) {
        for (int i = 0; i < s->n_slots; i++)
            o->n_tied += s->slots[i]->state == NNT_TRIAL_COMPLETE &&
                         s->slots[i]->value == s->slots[s->best]->value;
        o->ties_noteworthy = nnt_ties_noteworthy(o->n_tied, o->n_complete);
    }
    pthread_mutex_unlock(&m->mu);
    if (o->n_objectives > 1) {
        int np = nnt_study_pareto(s, NULL, 0, NULL);
        o->n_pareto = np > 0 ? np : 0;
    }
}

int nnt_study_pareto(const nnt_study *s, int *numbers, int max, nnt_error *err)
{
    if (!s || s->n_costs == 0) return 0;
    nnt_study *m = (nnt_study *)s; /* the mutex only */
    int k = 1 + s->n_costs;
    pthread_mutex_lock(&m->mu);
    int n = s->n_slots;
    double *pts = nnt__malloc((size_t)(n > 0 ? n : 1) * (size_t)k * sizeof *pts);
    int *num = nnt__malloc((size_t)(n > 0 ? n : 1) * sizeof *num);
    int *idx = nnt__malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    int r = NNT_OK, m_pts = 0;
    if (!pts || !num || !idx) {
        r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    } else {
        for (int i = 0; i < n; i++) {
            const slot *sl = s->slots[i];
            if (sl->state != NNT_TRIAL_COMPLETE || sl->n_values != k) continue;
            for (int j = 0; j < k; j++) pts[(size_t)m_pts * k + j] = sl->values[j];
            num[m_pts++] = sl->number;
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (r == NNT_OK) {
        int maximize[NNT_MAX_OBJECTIVES] = {0};
        maximize[0] = s->maximize;
        r = nnt_pareto_front(pts, m_pts, k, maximize, idx, err);
        /* Slots are in number order, so the front comes out ascending. */
        for (int i = 0; r > 0 && i < r && i < max; i++) numbers[i] = num[idx[i]];
    }
    nnt__free(pts);
    nnt__free(num);
    nnt__free(idx);
    return r;
}
