/* Multi-objective studies: validation accuracy together with a cost. The
 * stored secondary values are the real costs (parameter counts checked
 * against the models the parameters describe), the study's Pareto front is
 * nnt_pareto_front over the stored trials, pruning still works on the
 * primary objective, and a resume keeps all of it. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/analysis.h"
#include "nntune/nntune.h"

#define ROWS 150
#define FEATS 4


static nnt_space *make_space(void)
{
    const char *specs[] = {"lr=0.001:0.5:log", "hidden_layers=1:2", "neurons=2:48:log"};
    nnt_space *sp = nnt_space_new();
    nnt_error err;
    for (int i = 0; i < 3; i++) {
        char name[64];
        const char *eq = strchr(specs[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - specs[i]), specs[i]);
        if (nnt_space_set_spec(sp, name, eq + 1, &err) != NNT_OK) fail_msg("%s: %s", specs[i], err.message);
    }
    return sp;
}

static nnt_study_options options(int trials)
{
    nnt_study_options o = nnt_study_options_default();
    o.sampler = "tpe";
    o.sampler_options = "{\"n_startup\": 5}";
    o.pruner = "asha";
    o.max_trials = trials;
    o.jobs = 1; /* TPE and ASHA read the history: one job keeps it reproducible */
    o.seed = 3;
    o.seed_set = 1;
    o.base_train.max_epochs = 9;
    o.base_train.early_stopping = 0;
    o.n_costs = 1;
    o.costs[0] = NNT_COST_PARAMS;
    o.cv_folds = 1; /* hold-out studies, as before the small-data policy */
    o.refit = 0;
    return o;
}

typedef struct study_run {
    nnt_trial_record *t;
    size_t n;
    char *definition;
    int front[256];
    int n_front;
    int n_objectives, n_pareto;
} study_run;

static study_run run(const char *db, const nnt_study_options *o, const nnt_space *sp,
                     const nnt_study_data *data)
{
    study_run out;
    memset(&out, 0, sizeof out);
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study *s = NULL;
    if (nnt_study_create(o, sp, data, st, &s, &err) != NNT_OK) fail_msg("create: %s", err.message);
    if (nnt_study_run(s, &err) != NNT_OK) fail_msg("run: %s", err.message);
    out.n_front = nnt_study_pareto(s, out.front, 256, &err);
    nnt_study_summary sum;
    nnt_study_get_summary(s, &sum);
    out.n_objectives = sum.n_objectives;
    out.n_pareto = sum.n_pareto;
    nnt_study_free(s);
    nnt_study_record rec;
    assert_int_equal(nnt_storage_find_study(st, o->name, &rec, &err), NNT_OK);
    assert_int_equal(nnt_storage_trials_load(st, rec.id, &out.t, &out.n, &err), NNT_OK);
    out.definition = strdup(rec.definition);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    return out;
}

static void run_free(study_run *r)
{
    nnt_trial_records_free(r->t, r->n);
    free(r->definition);
}

/* The parameter count of the model a trial's parameters describe. */
static double model_params(const nnt_space *sp, const nnt_study_options *o, const char *params)
{
    int d = nnt_space_size(sp);
    double x[16];
    uint8_t act[16];
    nnt_error err;
    assert_true(d <= 16);
    assert_int_equal(nnt_space_params_from_json(sp, params, x, act, &err), NNT_OK);
    nnt_model_options mo = o->base_model;
    nnt_train_options to = o->base_train;
    assert_int_equal(nnt_space_apply(sp, x, act, &mo, &to, &err), NNT_OK);
    mo.inputs = FEATS;
    mo.outputs = 3;
    nnt_model *m = NULL;
    if (nnt_model_create(&mo, 1, &m, &err) != NNT_OK) fail_msg("model: %s", err.message);
    double n = (double)nnt_model_num_params(m);
    nnt_model_free(m);
    return n;
}

/* The front by nnt_pareto_front over the stored complete trials, as trial
 * numbers in ascending order. */
static int stored_front(const study_run *r, int k, const int *maximize, int *numbers)
{
    double pts[256 * 4];
    int map[256], idx[256], m = 0;
    for (size_t i = 0; i < r->n && m < 256; i++) {
        if (r->t[i].state != NNT_TRIAL_COMPLETE) continue;
        assert_int_equal(r->t[i].n_values, k);
        for (int j = 0; j < k; j++) pts[m * k + j] = r->t[i].values[j];
        map[m++] = r->t[i].number;
    }
    nnt_error err;
    int nf = nnt_pareto_front(pts, m, k, maximize, idx, &err);
    assert_true(nf >= 1);
    for (int i = 0; i < nf; i++) numbers[i] = map[idx[i]];
    return nf;
}

static void test_accuracy_and_params(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(21, ROWS);
    nnt_space *sp = make_space();
    nnt_study_data data = {ds, NULL, NULL};
    int trials = tu_quick() ? 14 : 24;
    nnt_study_options o = options(trials);
    const char *db = tu_path("mo.db");
    study_run a = run(db, &o, sp, &data);
    assert_int_equal(a.n, (size_t)trials);
    assert_int_equal(a.n_objectives, 2);
    tu_assert_contains(a.definition, "\"objectives\":[\"accuracy\",\"params\"]");
    tu_assert_contains(a.definition, "\"pruner\":{\"name\":\"asha\"}");

    int complete = 0, pruned = 0;
    for (size_t i = 0; i < a.n; i++) {
        const nnt_trial_record *t = &a.t[i];
        if (t->state == NNT_TRIAL_COMPLETE) {
            complete++;
            /* values = [accuracy, parameter count of the trained model] */
            assert_int_equal(t->n_values, 2);
            assert_true(t->values[0] == t->value);
            assert_true(t->values[1] == model_params(sp, &o, t->params));
            assert_true(t->values[1] >= FEATS * 2 + 2 + 2 * 3 + 3);
        } else {
            /* Pruning works on the primary objective in a multi-objective
             * study; pruned trials have no cost values. */
            assert_int_equal(t->state, NNT_TRIAL_PRUNED);
            assert_true(t->epochs < 9);
            assert_true(isfinite(t->value));
            assert_int_equal(t->n_values, 0);
            pruned++;
        }
    }
    assert_true(pruned >= 2);
    assert_true(complete >= 3);

    /* The study's front is nnt_pareto_front over what storage holds. */
    int maximize[2] = {1, 0};
    int expect[256];
    int nf = stored_front(&a, 2, maximize, expect);
    assert_int_equal(a.n_front, nf);
    assert_int_equal(a.n_pareto, nf);
    for (int i = 0; i < nf; i++) assert_int_equal(a.front[i], expect[i]);
    /* Sanity of the front: its best accuracy is the study's best, and no
     * complete trial with fewer parameters is at least as accurate as a
     * front member without being on the front itself. */
    double best = -1, front_best = -1;
    for (size_t i = 0; i < a.n; i++)
        if (a.t[i].state == NNT_TRIAL_COMPLETE && a.t[i].value > best) best = a.t[i].value;
    for (int i = 0; i < nf; i++)
        for (size_t j = 0; j < a.n; j++)
            if (a.t[j].number == a.front[i] && a.t[j].value > front_best) front_best = a.t[j].value;
    assert_true(front_best == best);

    /* A resume rebuilds values and front from storage; extending the
     * budget adds trials with values too. */
    study_run b = run(db, &o, sp, &data);
    assert_int_equal(b.n, a.n);
    assert_int_equal(b.n_front, a.n_front);
    for (int i = 0; i < nf; i++) assert_int_equal(b.front[i], a.front[i]);
    o.max_trials = trials + 4;
    study_run c = run(db, &o, sp, &data);
    assert_int_equal(c.n, (size_t)trials + 4);
    nf = stored_front(&c, 2, maximize, expect);
    assert_int_equal(c.n_front, nf);
    for (int i = 0; i < nf; i++) assert_int_equal(c.front[i], expect[i]);

    run_free(&a);
    run_free(&b);
    run_free(&c);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_time_costs(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(22, ROWS);
    nnt_space *sp = make_space();
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = options(6);
    o.sampler = "random";
    o.sampler_options = NULL;
    o.pruner = "none";
    o.n_costs = 3;
    o.costs[0] = NNT_COST_INFER_TIME;
    o.costs[1] = NNT_COST_TRAIN_TIME;
    o.costs[2] = NNT_COST_PARAMS;
    study_run a = run(tu_path("mo-time.db"), &o, sp, &data);
    tu_assert_contains(a.definition, "\"objectives\":[\"accuracy\",\"infer_time\",\"train_time\",\"params\"]");
    assert_int_equal(a.n_objectives, 4);
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.t[i].state, NNT_TRIAL_COMPLETE);
        assert_int_equal(a.t[i].n_values, 4);
        /* Times are measured, so only their range is certain. */
        assert_true(a.t[i].values[1] > 0 && a.t[i].values[1] < 1e6);
        assert_true(a.t[i].values[2] > 0 && a.t[i].values[2] <= a.t[i].duration + 1e-9);
        assert_true(a.t[i].values[3] == model_params(sp, &o, a.t[i].params));
    }
    int maximize[4] = {1, 0, 0, 0};
    int expect[256];
    int nf = stored_front(&a, 4, maximize, expect);
    assert_int_equal(a.n_front, nf);
    for (int i = 0; i < nf; i++) assert_int_equal(a.front[i], expect[i]);

    /* Costs named twice, or too many, are refused before any trial. */
    o.n_costs = 2;
    o.costs[0] = o.costs[1] = NNT_COST_PARAMS;
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(tu_path("mo-bad.db"), 0, &st, &err), NNT_OK);
    nnt_study *s = NULL;
    assert_int_equal(nnt_study_create(&o, sp, &data, st, &s, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "params is given twice");
    assert_null(s);
    nnt_storage_close(st);

    /* Names round-trip. */
    assert_string_equal(nnt_cost_name(NNT_COST_INFER_TIME), "infer_time");
    assert_int_equal(nnt_cost_from_name("train_time"), NNT_COST_TRAIN_TIME);
    assert_int_equal(nnt_cost_from_name("flops"), -1);
    run_free(&a);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy_and_params),
        cmocka_unit_test(test_time_costs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
