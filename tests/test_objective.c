/* User objectives (objective.h): a C function tuned with random and TPE
 * sampling, pruning decisions recorded, resume, two jobs, parameter names of
 * any kind, the objective's errors stored as failed trials, multi-objective
 * values, the option checks, library defaults and the stored definition
 * read back through nnt_study_definition_parse. No data set anywhere. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nntune/nntune.h"

/* ---- objectives ------------------------------------------------------------- */

/* f = (a - 0.3)^2 + (b - 2)^2 / 10 + 0.5 when shape is "ring": exact, so
 * stored values can be checked against the parameters. */
static double f_of(double a, double b, const char *shape)
{
    return (a - 0.3) * (a - 0.3) + (b - 2) * (b - 2) / 10 + (shape && !strcmp(shape, "ring") ? 0.5 : 0);
}

static int smooth(void *ctx, const nnt_params *p, nnt_trial *t, double *values, nnt_error *err)
{
    (void)ctx;
    (void)err;
    (void)t;
    values[0] = f_of(nnt_params_number(p, "alpha.1", NAN), nnt_params_number(p, "beta-x", NAN),
                     nnt_params_text(p, "shape"));
    return NNT_OK;
}

/* Reports 9 steps converging to f from above: step k reports f + 1/k. */
#define STEPS 9
static int stepped(void *ctx, const nnt_params *p, nnt_trial *t, double *values, nnt_error *err)
{
    (void)ctx;
    (void)err;
    double f = f_of(nnt_params_number(p, "alpha.1", 0), nnt_params_number(p, "beta-x", 0), NULL);
    for (int k = 1; k <= STEPS; k++)
        if (nnt_trial_report(t, k, f + 1.0 / k) != 0) return NNT_PRUNED;
    values[0] = f + 1.0 / STEPS;
    return NNT_OK;
}

/* Fails for alpha.1 > 0.5 with a message, returns NAN for beta-x > 3, and
 * reports a wrong step (which must be refused) otherwise. */
static int failing(void *ctx, const nnt_params *p, nnt_trial *t, double *values, nnt_error *err)
{
    (void)ctx;
    double a = nnt_params_number(p, "alpha.1", 0), b = nnt_params_number(p, "beta-x", 0);
    if (a > 0.5) return nnt_error_set(err, NNT_ERR_ARG, "alpha.1 too large: %.3f", a);
    if (b > 3) {
        values[0] = NAN;
        return NNT_OK;
    }
    if (nnt_trial_report(t, 2, 1.0) != NNT_ERR_ARG) return nnt_error_set(err, NNT_ERR_INTERNAL, "step 2 first accepted");
    if (nnt_trial_report(t, 1, 1.0) != 0) return nnt_error_set(err, NNT_ERR_INTERNAL, "step 1 refused");
    values[0] = a + b;
    return NNT_OK;
}

/* Two values: f and a cost that grows with beta-x. */
static int two_values(void *ctx, const nnt_params *p, nnt_trial *t, double *values, nnt_error *err)
{
    (void)ctx;
    (void)err;
    (void)t;
    double a = nnt_params_number(p, "alpha.1", 0), b = nnt_params_number(p, "beta-x", 0);
    values[0] = f_of(a, b, NULL);
    values[1] = b * b;
    return NNT_OK;
}

/* Stops the study (ctx) during its third trial. */
typedef struct stopper {
    nnt_study *study;
    int calls;
} stopper;

static int stopping(void *ctx, const nnt_params *p, nnt_trial *t, double *values, nnt_error *err)
{
    (void)err;
    stopper *st = ctx;
    if (++st->calls == 3 && st->study) nnt_study_stop(st->study);
    for (int k = 1; k <= 5; k++)
        if (nnt_trial_report(t, k, nnt_params_number(p, "alpha.1", 0)) != 0) return NNT_PRUNED;
    values[0] = nnt_params_number(p, "alpha.1", 0);
    return NNT_OK;
}

/* Runs until the study says stop (time limit), 3 s at most. */
static int slow(void *ctx, const nnt_params *p, nnt_trial *t, double *values, nnt_error *err)
{
    (void)ctx;
    (void)p;
    for (int ms = 0; ms < 3000; ms++) {
        if (nnt_trial_should_stop(t)) return NNT_PRUNED;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    (void)err;
    values[0] = 1;
    return NNT_OK;
}

/* ---- fixtures ------------------------------------------------------------------- */

static nnt_space *any_space(int with_shape)
{
    nnt_space *sp = nnt_space_new_any();
    nnt_error err;
    assert_non_null(sp);
    if (nnt_space_set_spec(sp, "alpha.1", "-1.0:1.0", &err) < 0 ||
        nnt_space_set_spec(sp, "beta-x", "0:4", &err) < 0 ||
        (with_shape && nnt_space_set_spec(sp, "shape", "ring,disc", &err) < 0))
        fail_msg("space: %s", err.message);
    return sp;
}

static nnt_objective objective_of(nnt_objective_fn fn, const char *name)
{
    nnt_objective o;
    memset(&o, 0, sizeof o);
    o.name = name;
    o.version = "1";
    o.value_name = "cost";
    o.evaluate = fn;
    o.max_steps = STEPS;
    return o;
}

static nnt_study_options options_of(const nnt_objective *ob, const char *sampler, int trials,
                                    int jobs)
{
    nnt_study_options o = nnt_study_options_default();
    o.objective = ob;
    o.name = "user";
    o.sampler = sampler;
    o.pruner = "none";
    o.max_trials = trials;
    o.jobs = jobs;
    o.seed = 7;
    o.seed_set = 1;
    return o;
}

typedef struct run_out {
    nnt_trial_record *t;
    size_t n;
    int rc, resumed, best_number, n_pareto;
    double best_value;
    char msg[NNT_ERRMSG_MAX];
    char definition[4096];
} run_out;

static run_out run(const char *db, const nnt_study_options *o, const nnt_space *sp)
{
    run_out out;
    memset(&out, 0, sizeof out);
    nnt_storage *st = NULL;
    nnt_study *s = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    out.rc = tu_study_run(db, o, sp, &st, &s, out.msg, sizeof out.msg);
    if (s) {
        nnt_study_summary sum;
        nnt_study_get_summary(s, &sum);
        out.resumed = sum.resumed;
        out.best_number = sum.best_number;
        out.best_value = sum.best_value;
        out.n_pareto = sum.n_pareto;
        nnt_study_free(s);
    }
    nnt_study_record rec;
    if (nnt_storage_find_study(st, o->name, &rec, &err) == NNT_OK) {
        assert_int_equal(nnt_storage_trials_load(st, rec.id, &out.t, &out.n, &err), NNT_OK);
        snprintf(out.definition, sizeof out.definition, "%s", rec.definition ? rec.definition : "");
        nnt_study_record_free(&rec);
    }
    nnt_storage_close(st);
    return out;
}

static void run_free(run_out *r) { nnt_trial_records_free(r->t, r->n); }

static int count(const run_out *r, nnt_trial_state s)
{
    int n = 0;
    for (size_t i = 0; i < r->n; i++) n += r->t[i].state == s;
    return n;
}

/* The value stored for a trial is f of its stored parameters. */
static void assert_values_match_params(const run_out *r)
{
    nnt_space *sp = any_space(1);
    double x[3];
    uint8_t act[3];
    for (size_t i = 0; i < r->n; i++) {
        nnt_error err;
        assert_int_equal(nnt_space_params_from_json(sp, r->t[i].params, x, act, &err), NNT_OK);
        const char *shape = nnt_space_choice(sp, 2, (int)x[2]);
        assert_true(fabs(r->t[i].value - f_of(x[0], x[1], shape)) < 1e-12);
    }
    nnt_space_free(sp);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_random_and_tpe(void **state)
{
    (void)state;
    nnt_space *sp = any_space(1);
    nnt_objective ob = objective_of(smooth, "smooth");
    const char *samplers[] = {"random", "tpe"};
    for (int k = 0; k < 2; k++) {
        nnt_study_options o = options_of(&ob, samplers[k], 24, 1);
        char db[64];
        snprintf(db, sizeof db, "rt-%s.db", samplers[k]);
        run_out r = run(tu_path(db), &o, sp);
        assert_int_equal(r.rc, NNT_OK);
        assert_int_equal(r.n, 24);
        assert_int_equal(count(&r, NNT_TRIAL_COMPLETE), 24);
        assert_values_match_params(&r);
        /* names of any kind are stored as given */
        tu_assert_contains(r.t[0].params, "\"alpha.1\": ");
        tu_assert_contains(r.t[0].params, "\"beta-x\": ");
        tu_assert_contains(r.t[0].params, "\"shape\": \"");
        /* beta-x "0:4" is an int range */
        assert_null(strstr(r.t[0].params, "\"beta-x\": 0."));
        tu_assert_contains(r.definition, "\"objective\":{\"name\":\"smooth\",\"version\":\"1\"}");
        tu_assert_contains(r.definition, "\"metric\":\"cost\",\"direction\":\"minimize\"");
        assert_null(strstr(r.definition, "\"data\""));
        /* the best is the lowest value */
        double lo = INFINITY;
        for (size_t i = 0; i < r.n; i++) lo = fmin(lo, r.t[i].value);
        assert_true(r.best_value == lo);
        run_free(&r);
    }
    nnt_space_free(sp);
}

static void test_pruning_recorded(void **state)
{
    (void)state;
    nnt_space *sp = any_space(0);
    nnt_objective ob = objective_of(stepped, "stepped");
    nnt_study_options o = options_of(&ob, "random", 30, 1);
    o.pruner = "asha";
    o.pruner_options = "{\"min_resource\": 1, \"eta\": 3}";
    const char *db = tu_path("prune.db");
    run_out r = run(db, &o, sp);
    assert_int_equal(r.rc, NNT_OK);
    assert_int_equal(r.n, 30);
    int pruned = count(&r, NNT_TRIAL_PRUNED);
    assert_true(pruned > 0);
    assert_true(count(&r, NNT_TRIAL_COMPLETE) > 0);
    assert_int_equal(count(&r, NNT_TRIAL_FAILED), 0);
    /* Every report is stored as an epoch row; a pruned trial stopped early
     * with the best value it reported (the last: values fall with k). */
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study_record rec;
    assert_int_equal(nnt_storage_find_study(st, "user", &rec, &err), NNT_OK);
    for (size_t i = 0; i < r.n; i++) {
        nnt_epoch_row *rows = NULL;
        size_t nr = 0;
        assert_int_equal(nnt_storage_epochs_load(st, rec.id, r.t[i].number, &rows, &nr, &err), NNT_OK);
        assert_int_equal((int)nr, r.t[i].epochs);
        if (r.t[i].state == NNT_TRIAL_PRUNED) {
            assert_true(r.t[i].epochs < STEPS);
            assert_true(r.t[i].value == rows[nr - 1].valid.loss);
        } else {
            assert_int_equal(r.t[i].epochs, STEPS);
        }
        for (size_t k = 0; k < nr; k++) assert_int_equal(rows[k].epoch, (int)k + 1);
        nnt_epoch_rows_free(rows);
    }
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    tu_assert_contains(r.definition, "\"pruner\":{\"name\":\"asha\",\"min_resource\":1,\"eta\":3}");
    run_free(&r);
    nnt_space_free(sp);
}

static void test_resume_continues(void **state)
{
    (void)state;
    nnt_space *sp = any_space(1);
    nnt_objective ob = objective_of(smooth, "smooth");
    nnt_study_options o = options_of(&ob, "tpe", 10, 1);
    const char *db = tu_path("resume.db");
    run_out a = run(db, &o, sp);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.n, 10);
    o.max_trials = 16;
    run_out b = run(db, &o, sp);
    assert_int_equal(b.rc, NNT_OK);
    assert_true(b.resumed);
    assert_int_equal(b.n, 16);
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.t[i].params, b.t[i].params);
        assert_true(a.t[i].value == b.t[i].value);
    }
    /* The same study from scratch proposes the same 16 (one job, TPE). */
    run_out c = run(tu_path("resume-fresh.db"), &o, sp);
    for (size_t i = 0; i < c.n; i++) assert_string_equal(b.t[i].params, c.t[i].params);
    /* Another version of the objective is another study, unless forced. */
    nnt_objective v2 = ob;
    v2.version = "2";
    nnt_study_options o2 = o;
    o2.objective = &v2;
    run_out d = run(db, &o2, sp);
    assert_int_equal(d.rc, NNT_ERR_ARG);
    tu_assert_contains(d.msg, "exists with a different objective (stored {\"name\":\"smooth\",\"version\":\"1\"}");
    tu_assert_contains(d.msg, "set options.force");
    o2.force = 1;
    run_out e = run(db, &o2, sp);
    assert_int_equal(e.rc, NNT_OK);
    /* ... but never the MLP trainer's. */
    nnt_study_options mlp = nnt_study_options_default();
    mlp.name = "user";
    mlp.max_trials = 20;
    mlp.cv_folds = 1;
    nnt_dataset *ds = tu_blobs(1, 60);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_space *msp = nnt_space_new();
    nnt_error err;
    assert_int_equal(nnt_space_set_spec(msp, "lr", "0.01,0.1", &err), NNT_OK);
    nnt_storage *st = NULL;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study *s = NULL;
    assert_int_equal(nnt_study_create(&mlp, msp, &data, st, &s, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "study 'user' tunes the user objective 'smooth', not nntune's MLP trainer");
    nnt_storage_close(st);
    nnt_space_free(msp);
    nnt_dataset_free(ds);
    run_free(&a);
    run_free(&b);
    run_free(&c);
    run_free(&d);
    run_free(&e);
    nnt_space_free(sp);
}

static void test_two_jobs(void **state)
{
    (void)state;
    nnt_space *sp = any_space(1);
    nnt_objective ob = objective_of(smooth, "smooth");
    nnt_study_options o = options_of(&ob, "random", 20, 2);
    run_out r = run(tu_path("jobs.db"), &o, sp);
    assert_int_equal(r.rc, NNT_OK);
    assert_int_equal(r.n, 20);
    assert_int_equal(count(&r, NNT_TRIAL_COMPLETE), 20);
    for (size_t i = 0; i < r.n; i++) assert_int_equal(r.t[i].number, (int)i);
    assert_values_match_params(&r);
    /* random proposals do not depend on the number of jobs */
    o.jobs = 1;
    run_out one = run(tu_path("jobs1.db"), &o, sp);
    for (size_t i = 0; i < r.n; i++) assert_string_equal(r.t[i].params, one.t[i].params);
    run_free(&r);
    run_free(&one);
    nnt_space_free(sp);
}

static void test_errors_stored(void **state)
{
    (void)state;
    nnt_space *sp = any_space(0);
    nnt_objective ob = objective_of(failing, "failing");
    nnt_study_options o = options_of(&ob, "random", 30, 1);
    run_out r = run(tu_path("errors.db"), &o, sp);
    assert_int_equal(r.rc, NNT_OK); /* failed trials do not fail the study */
    int too_large = 0, no_value = 0, complete = 0;
    for (size_t i = 0; i < r.n; i++) {
        const nnt_trial_record *t = &r.t[i];
        if (t->state == NNT_TRIAL_COMPLETE) {
            complete++;
            assert_int_equal(t->epochs, 1);
            continue;
        }
        assert_int_equal(t->state, NNT_TRIAL_FAILED);
        assert_non_null(t->error);
        if (strstr(t->error, "alpha.1 too large: ")) too_large++;
        else if (strstr(t->error, "objective: no finite value (got nan)")) no_value++;
        else fail_msg("unexpected error: %s", t->error);
    }
    assert_true(too_large > 0 && no_value > 0 && complete > 0);
    run_free(&r);
    nnt_space_free(sp);
}

static void test_stop_and_time_limit(void **state)
{
    (void)state;
    nnt_space *sp = any_space(0);
    stopper ctx = {NULL, 0};
    nnt_objective ob = objective_of(stopping, "stopping");
    ob.ctx = &ctx;
    nnt_study_options o = options_of(&ob, "random", 6, 1);
    const char *db = tu_path("stop.db");
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study *s = NULL;
    assert_int_equal(nnt_study_create(&o, sp, NULL, st, &s, &err), NNT_OK);
    ctx.study = s;
    assert_int_equal(nnt_study_run(s, &err), NNT_OK);
    nnt_study_summary sum;
    nnt_study_get_summary(s, &sum);
    assert_true(sum.stopped);
    assert_int_equal(sum.n_trials, 3);
    assert_int_equal(sum.n_failed, 1);
    nnt_study_free(s);
    nnt_storage_close(st);
    /* The interrupted trial reruns first on resume, with its parameters. */
    ctx.study = NULL;
    run_out r = run(db, &o, sp);
    assert_int_equal(r.rc, NNT_OK);
    assert_int_equal(r.n, 7); /* 6 counted + the interrupted one */
    assert_int_equal(r.t[2].state, NNT_TRIAL_FAILED);
    assert_string_equal(r.t[2].error, "interrupted");
    assert_true(r.t[2].interrupted);
    assert_int_equal(r.t[3].retry_of, 2);
    assert_string_equal(r.t[3].params, r.t[2].params);
    assert_int_equal(r.t[3].state, NNT_TRIAL_COMPLETE);
    run_free(&r);
    /* A trial past trial_time_limit_s fails with "time limit". */
    nnt_objective ob2 = objective_of(slow, "slow");
    nnt_study_options o2 = options_of(&ob2, "random", 2, 1);
    o2.trial_time_limit_s = 0.02;
    run_out t = run(tu_path("slow.db"), &o2, sp);
    assert_int_equal(t.rc, NNT_OK);
    assert_int_equal(t.n, 2);
    for (size_t i = 0; i < t.n; i++) {
        assert_int_equal(t.t[i].state, NNT_TRIAL_FAILED);
        assert_string_equal(t.t[i].error, "time limit");
        assert_true(t.t[i].duration < 2.0);
    }
    run_free(&t);
    nnt_space_free(sp);
}

static void test_multi_objective(void **state)
{
    (void)state;
    nnt_space *sp = any_space(0);
    nnt_objective ob = objective_of(two_values, "two");
    ob.n_costs = 1;
    ob.cost_names[0] = "size";
    nnt_study_options o = options_of(&ob, "random", 16, 1);
    run_out r = run(tu_path("multi.db"), &o, sp);
    assert_int_equal(r.rc, NNT_OK);
    assert_true(r.n_pareto >= 1);
    for (size_t i = 0; i < r.n; i++) {
        assert_int_equal(r.t[i].n_values, 2);
        assert_true(r.t[i].values[0] == r.t[i].value);
    }
    tu_assert_contains(r.definition, "\"objectives\":[\"cost\",\"size\"]");
    /* read back through the definition module */
    nnt_study_definition d;
    nnt_error err;
    assert_int_equal(nnt_study_definition_parse(r.definition, &d, &err), NNT_OK);
    assert_string_equal(d.objective, "two");
    assert_string_equal(d.objective_version, "1");
    assert_string_equal(d.sampler, "random");
    assert_string_equal(d.pruner, "none");
    assert_int_equal(d.n_objectives, 2);
    assert_string_equal(d.objectives[1], "size");
    nnt_space *back = NULL;
    assert_int_equal(nnt_study_definition_space(&d, &back, &err), NNT_OK);
    assert_true(nnt_space_any_names(back));
    assert_int_equal(nnt_space_find(back, "beta-x"), 1);
    nnt_space_free(back);
    /* resume defaults: the stored sampler; a pruner named again keeps its options */
    nnt_study_options inh = nnt_study_options_default();
    nnt_study_options_inherit(&inh, &d);
    assert_string_equal(inh.sampler, "random");
    assert_string_equal(inh.pruner, "none");
    nnt_study_definition_free(&d);
    run_free(&r);
    nnt_space_free(sp);
}

static void test_option_checks(void **state)
{
    (void)state;
    nnt_space *sp = any_space(0);
    nnt_objective ob = objective_of(smooth, "smooth");
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(tu_path("checks.db"), 0, &st, &err), NNT_OK);
    nnt_study *s = NULL;
    struct {
        int what;
        const char *expect;
    } cases[] = {
        {0, "data: a user objective takes no data set"},
        {1, "space: a user objective's space is made with nnt_space_new_any"},
        {2, "objectives: the costs params, infer_time and train_time measure the MLP trainer"},
        {3, "objective.name: expected 1-64 letters, digits, '_', '-' or '.', got 'a b'"},
        {4, "options.refit: a refit retrains the MLP trainer's best configuration"},
        {5, "budget: a tpe search needs a trial budget (budget.trials) or a time budget (budget.time)"},
        {6, "objective.evaluate: expected a function"},
        {7, "options.cv_folds: cross-validation is the MLP trainer's"},
    };
    nnt_dataset *ds = tu_blobs(2, 30);
    nnt_space *mlp_space = nnt_space_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nnt_objective b = ob;
        nnt_study_options o = options_of(&b, "tpe", 5, 1);
        nnt_study_data data = {NULL, NULL, NULL};
        const nnt_space *use = sp;
        switch (cases[i].what) {
        case 0: data.train = ds; break;
        case 1: use = mlp_space; break;
        case 2: o.n_costs = 1; o.costs[0] = NNT_COST_PARAMS; break;
        case 3: b.name = "a b"; break;
        case 4: o.refit = 1; break;
        case 5: o.max_trials = 0; break;
        case 6: b.evaluate = NULL; break;
        case 7: o.cv_folds = 5; break;
        }
        nnt_error_clear(&err);
        assert_int_equal(nnt_study_create(&o, use, &data, st, &s, &err), NNT_ERR_ARG);
        assert_null(s);
        tu_assert_contains(err.message, cases[i].expect);
    }
    /* Names of a user objective's space: any of letters, digits, _ - . */
    nnt_space *any = nnt_space_new_any();
    assert_int_equal(nnt_space_set_spec(any, "my_param.2", "1,2,3", &err), NNT_OK);
    assert_int_equal(nnt_space_set_spec(any, "kind", "ring,disc", &err), NNT_OK);
    assert_int_equal(nnt_space_set_spec(any, "radius", "0.1:2.0", &err), NNT_OK);
    assert_int_equal(nnt_space_set_condition(any, "radius", "kind=ring", &err), NNT_OK);
    assert_int_equal(nnt_space_validate(any, &err), NNT_OK);
    double cx[4] = {0, 1, 1.0, NAN}; /* kind = disc: radius inactive */
    uint8_t ca[4];
    assert_int_equal(nnt_space_resolve(any, cx, ca, &err), NNT_OK);
    assert_int_equal(ca[2], 0);
    assert_int_equal(nnt_space_set_spec(any, "bad name", "1", &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "--param bad name: expected a name of 1-64 letters");
    assert_int_equal(nnt_space_set_spec(mlp_space, "my_param", "1", &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "--param my_param: unknown parameter; expected one of");
    nnt_space *j = NULL;
    assert_int_equal(nnt_space_from_json_any("{\"k\": {\"low\": 1, \"high\": 5}, \"t\": {\"low\": 0, \"high\": 1.5}}", &j, &err), NNT_OK);
    nnt_param_info info;
    assert_int_equal(nnt_space_info(j, 0, &info), NNT_OK);
    assert_int_equal(info.kind, NNT_PARAM_INT);
    assert_int_equal(nnt_space_info(j, 1, &info), NNT_OK);
    assert_int_equal(info.kind, NNT_PARAM_FLOAT);
    nnt_space_free(j);
    assert_int_equal(nnt_space_from_json("{\"k\": {\"low\": 1, \"high\": 5}}", &j, &err), NNT_ERR_ARG);
    /* ... and the MLP trainer refuses such a space before touching storage. */
    nnt_study_options mo = nnt_study_options_default();
    mo.name = "mlp-any";
    mo.max_trials = 2;
    nnt_study_data md = {ds, NULL, NULL};
    assert_int_equal(nnt_study_create(&mo, any, &md, st, &s, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "space: made for a user objective (nnt_space_new_any)");
    nnt_study_record rec;
    assert_int_equal(nnt_storage_find_study(st, "mlp-any", &rec, &err), NNT_ERR_NOT_FOUND);
    nnt_space_free(any);
    nnt_space_free(mlp_space);
    nnt_dataset_free(ds);
    nnt_storage_close(st);
    nnt_space_free(sp);
}

static void test_library_defaults(void **state)
{
    (void)state;
    nnt_study_options o = nnt_study_options_default();
    assert_string_equal(nnt_study_sampler_name(&o), NNT_DEFAULT_SAMPLER);
    assert_string_equal(nnt_study_sampler_name(&o), "tpe");
    assert_string_equal(nnt_study_pruner_name(&o), "asha");
    o.sampler = "grid";
    assert_string_equal(nnt_study_pruner_name(&o), "none");
    o.sampler = "random";
    o.prune = (nnt_prune_fn)1;
    assert_string_equal(nnt_study_pruner_name(&o), "custom");
    o.prune = NULL;
    nnt_error err;
    assert_int_equal(nnt_study_options_check(&o, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "budget: a random search needs a trial budget (budget.trials)");
    o.sampler = "grid";
    assert_int_equal(nnt_study_options_check(&o, &err), NNT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_and_tpe),
        cmocka_unit_test(test_pruning_recorded),
        cmocka_unit_test(test_resume_continues),
        cmocka_unit_test(test_two_jobs),
        cmocka_unit_test(test_errors_stored),
        cmocka_unit_test(test_stop_and_time_limit),
        cmocka_unit_test(test_multi_objective),
        cmocka_unit_test(test_option_checks),
        cmocka_unit_test(test_library_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
