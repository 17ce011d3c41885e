/* Studies: determinism across jobs, failure isolation, budgets, k-fold
 * values, best model files, resume of interrupted trials, definitions,
 * study files, TPE with ASHA pruning and its resume, sampler and pruner
 * options. A tiny synthetic data set keeps every study to a fraction of
 * a second. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/nntune.h"
#include "tune/fold_curves.h"
#include "tune/study_internal.h"

/* ---- fixtures ---------------------------------------------------------------- */

#define ROWS 150


static nnt_space *space_of(const char *const *specs, int n)
{
    nnt_space *sp = nnt_space_new();
    nnt_error err;
    for (int i = 0; i < n; i++) {
        char name[64];
        const char *eq = strchr(specs[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - specs[i]), specs[i]);
        if (nnt_space_set_spec(sp, name, eq + 1, &err) != NNT_OK)
            fail_msg("%s: %s", specs[i], err.message);
    }
    return sp;
}

static nnt_study_options base_options(const char *sampler, int trials, int jobs)
{
    nnt_study_options o = nnt_study_options_default();
    o.sampler = sampler;
    o.max_trials = trials;
    o.jobs = jobs;
    o.seed = 11;
    o.seed_set = 1;
    o.base_train.max_epochs = 8;
    o.base_train.patience = 3;
    o.base_model.n_hidden = 1;
    o.base_model.hidden[0] = 8;
    /* These tests are about hold-out studies; the small-data policy
     * (cross-validation and a refit by default) has tests of its own. */
    o.cv_folds = 1;
    o.refit = 0;
    /* The default pruner (asha) would stop trials: these tests are about
     * studies without pruning unless they ask for one. */
    o.pruner = "none";
    return o;
}

typedef struct run_out {
    nnt_trial_record *t;
    size_t n;
    nnt_study_summary sum; /* strings invalid after the run */
    int best_number;
    char model_path[512];
    int rc;
    char msg[NNT_ERRMSG_MAX];
} run_out;

/* Runs (or resumes) a study in db and reads its trials back. */
static run_out run_study(const char *db, const nnt_study_options *o, const nnt_space *sp,
                         const nnt_study_data *data)
{
    run_out out;
    memset(&out, 0, sizeof out);
    nnt_storage *st = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study *s = NULL;
    out.rc = nnt_study_create(o, sp, data, st, &s, &err);
    if (out.rc == NNT_OK) out.rc = nnt_study_run(s, &err);
    snprintf(out.msg, sizeof out.msg, "%s", err.message);
    if (s) {
        nnt_study_get_summary(s, &out.sum);
        out.best_number = out.sum.best_number;
        if (out.sum.model_path) snprintf(out.model_path, sizeof out.model_path, "%s", out.sum.model_path);
        nnt_study_free(s);
    }
    nnt_study_record rec;
    if (nnt_storage_find_study(st, o->name, &rec, &err) == NNT_OK) {
        assert_int_equal(nnt_storage_trials_load(st, rec.id, &out.t, &out.n, &err), NNT_OK);
        nnt_study_record_free(&rec);
    }
    nnt_storage_close(st);
    return out;
}

static void run_free(run_out *r) { nnt_trial_records_free(r->t, r->n); }

static int count_state(const run_out *r, nnt_trial_state s)
{
    int n = 0;
    for (size_t i = 0; i < r->n; i++) n += r->t[i].state == s;
    return n;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_jobs_give_same_trials(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(1, ROWS);
    const char *specs[] = {"lr=0.003:0.3:log", "neurons=4,8,16", "activation=relu,tanh"};
    nnt_space *sp = space_of(specs, 3);
    nnt_study_data data = {ds, NULL, NULL};
    int trials = tu_quick() ? 4 : 8;
    const char *samplers[] = {"random", "sobol", "grid"};
    for (int k = 0; k < 3; k++) {
        nnt_study_options o = base_options(samplers[k], trials, 1);
        char db1[64], db1b[64], db2[64];
        snprintf(db1, sizeof db1, "jobs1-%s.db", samplers[k]);
        snprintf(db1b, sizeof db1b, "jobs1b-%s.db", samplers[k]);
        snprintf(db2, sizeof db2, "jobs2-%s.db", samplers[k]);
        run_out a = run_study(tu_path(db1), &o, sp, &data);
        run_out b = run_study(tu_path(db1b), &o, sp, &data);
        o.jobs = 2;
        run_out c = run_study(tu_path(db2), &o, sp, &data);
        assert_int_equal(a.rc, NNT_OK);
        assert_int_equal(c.rc, NNT_OK);
        assert_int_equal(a.n, (size_t)trials);
        assert_int_equal(b.n, a.n);
        assert_int_equal(c.n, a.n);
        for (size_t i = 0; i < a.n; i++) {
            assert_int_equal(a.t[i].number, (int)i);
            assert_int_equal(c.t[i].number, (int)i);
            assert_int_equal(a.t[i].state, NNT_TRIAL_COMPLETE);
            /* Same parameters and seeds whatever the number of jobs. */
            assert_string_equal(a.t[i].params, c.t[i].params);
            assert_true(a.t[i].seed == c.t[i].seed);
            assert_true(a.t[i].seed == nnt_seed_derive(11, i));
            /* One job twice: bit-identical values and epochs. */
            assert_true(a.t[i].value == b.t[i].value);
            assert_int_equal(a.t[i].epochs, b.t[i].epochs);
            /* Training a trial does not depend on what runs beside it. */
            assert_true(a.t[i].value == c.t[i].value);
        }
        /* Grid cells are all different. */
        if (k == 2)
            for (size_t i = 0; i < a.n; i++)
                for (size_t j = i + 1; j < a.n; j++) assert_string_not_equal(a.t[i].params, a.t[j].params);
        assert_int_equal(a.best_number, c.best_number);
        run_free(&a);
        run_free(&b);
        run_free(&c);
    }
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_grid_exhausts(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(2, ROWS);
    const char *specs[] = {"lr=0.01:0.1:log:points=3", "activation=relu,tanh"};
    nnt_space *sp = space_of(specs, 2);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = base_options("grid", 0, 2); /* no budget: the grid decides */
    run_out a = run_study(tu_path("grid.db"), &o, sp, &data);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.n, nnt_grid_size(sp));
    assert_int_equal(a.n, 6);
    assert_int_equal(count_state(&a, NNT_TRIAL_COMPLETE), 6);
    /* Resuming a finished grid runs nothing more. */
    run_out b = run_study(tu_path("grid.db"), &o, sp, &data);
    assert_int_equal(b.rc, NNT_OK);
    assert_int_equal(b.n, 6);
    assert_true(b.sum.resumed);
    run_free(&a);
    run_free(&b);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_diverging_trial_fails_study_goes_on(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(3, ROWS);
    const char *specs[] = {"lr=0.05,1e12", "optimizer=sgd"};
    nnt_space *sp = space_of(specs, 2);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = base_options("grid", 0, 2);
    o.base_train.early_stopping = 0;
    run_out a = run_study(tu_path("diverge.db"), &o, sp, &data);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.n, 2);
    int failed = -1, complete = -1;
    for (size_t i = 0; i < a.n; i++) {
        if (a.t[i].state == NNT_TRIAL_FAILED) failed = (int)i;
        if (a.t[i].state == NNT_TRIAL_COMPLETE) complete = (int)i;
    }
    assert_true(failed >= 0 && complete >= 0);
    tu_assert_contains(a.t[failed].error, "diverged (lr=1e+12)");
    assert_true(isnan(a.t[failed].value));
    assert_int_equal(a.t[failed].interrupted, 0);
    assert_int_equal(a.best_number, a.t[complete].number);
    run_free(&a);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_time_limit_fails_trial(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(4, ROWS);
    const char *specs[] = {"lr=0.01"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = base_options("random", 2, 1);
    o.trial_time_limit_s = 1e-9;
    run_out a = run_study(tu_path("limit.db"), &o, sp, &data);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.n, 2);
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.t[i].state, NNT_TRIAL_FAILED);
        assert_string_equal(a.t[i].error, "time limit");
    }
    assert_int_equal(a.best_number, -1);
    run_free(&a);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_budget_and_extension(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(5, ROWS);
    const char *specs[] = {"lr=0.003:0.3:log"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = base_options("random", 5, 2);
    run_out a = run_study(tu_path("budget.db"), &o, sp, &data);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.n, 5);
    /* Same budget again: nothing to do. */
    run_out b = run_study(tu_path("budget.db"), &o, sp, &data);
    assert_int_equal(b.n, 5);
    /* A larger budget continues the numbering. */
    o.max_trials = 7;
    run_out c = run_study(tu_path("budget.db"), &o, sp, &data);
    assert_int_equal(c.rc, NNT_OK);
    assert_int_equal(c.n, 7);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(a.t[i].params, c.t[i].params);
        assert_true(a.t[i].value == c.t[i].value);
    }
    assert_int_equal(c.t[6].number, 6);
    /* A random study without any budget is refused before any trial. */
    o.max_trials = 0;
    run_out d = run_study(tu_path("nobudget.db"), &o, sp, &data);
    assert_int_equal(d.rc, NNT_ERR_ARG);
    tu_assert_contains(d.msg, "budget");
    assert_int_equal(d.n, 0);
    run_free(&a);
    run_free(&b);
    run_free(&c);
    run_free(&d);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_kfold_value_is_mean_curve_peak(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(6, ROWS);
    const char *specs[] = {"lr=0.02,0.2"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = base_options("grid", 0, 2);
    o.cv_folds = 3;
    o.base_train.early_stopping = 0;
    const char *db = tu_path("kfold.db");
    run_out a = run_study(db, &o, sp, &data);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.n, 2);
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study_record rec;
    assert_int_equal(nnt_storage_find_study(st, "default", &rec, &err), NNT_OK);
    int n_below = 0;
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.t[i].state, NNT_TRIAL_COMPLETE);
        nnt_epoch_row *rows = NULL;
        size_t n = 0;
        assert_int_equal(nnt_storage_epochs_load(st, rec.id, a.t[i].number, &rows, &n, &err), NNT_OK);
        assert_int_equal(n, 3 * 8); /* 3 folds x 8 epochs */
        /* The value is the peak of the folds' mean validation accuracy over
         * the epochs (ties to the lower mean loss), not the mean of each
         * fold's own best; the spread is the folds' at that epoch. */
        double acc[3][8], loss[3][8];
        for (size_t k = 0; k < n; k++) {
            acc[rows[k].fold][rows[k].epoch - 1] = rows[k].valid.accuracy;
            loss[rows[k].fold][rows[k].epoch - 1] = rows[k].valid.loss;
        }
        int be = 0;
        double bv = -1, bl = INFINITY, own_best = 0;
        for (int e = 0; e < 8; e++) {
            double v = (acc[0][e] + acc[1][e] + acc[2][e]) / 3;
            double l = (loss[0][e] + loss[1][e] + loss[2][e]) / 3;
            if (v > bv || (v == bv && l < bl)) {
                be = e;
                bv = v;
                bl = l;
            }
        }
        for (int f = 0; f < 3; f++) {
            double m = -1;
            for (int e = 0; e < 8; e++) m = acc[f][e] > m ? acc[f][e] : m;
            own_best += m / 3;
        }
        double var = 0;
        for (int f = 0; f < 3; f++) var += (acc[f][be] - bv) * (acc[f][be] - bv);
        assert_true(fabs(a.t[i].value - bv) < 1e-12);
        assert_true(fabs(a.t[i].value_spread - sqrt(var / 2)) < 1e-12);
        assert_true(a.t[i].value <= own_best + 1e-12);
        if (a.t[i].value < own_best - 1e-12) n_below++;
        /* The refit epoch read back from storage (resume) is the same peak. */
        assert_int_equal(nnt__stored_best_epoch(rows, n, NNT_METRIC_ACCURACY, 1), be + 1);
        nnt_epoch_rows_free(rows);
    }
    /* Shows the rule is not the old one on this data: at least one trial's
     * folds peak at different epochs. */
    assert_true(n_below >= 1);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    run_free(&a);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

/* The fold-curve peak: only epochs every run fold reached; a fold never run
 * (a pruned trial's later ones) does not count; ties to the lower mean loss,
 * then the earlier epoch; a minimised metric. */
static void test_fold_curves_peak(void **state)
{
    (void)state;
    nnt__fold_curves c;
    assert_int_equal(nnt__fold_curves_init(&c, 3, 6), NNT_OK);
    /* fold 0 reaches 5 epochs, fold 1 only 3; fold 2 is never run. Fold 0's
     * own best (0.9 at epoch 5) lies past fold 1's last epoch. */
    const double a0[] = {0.5, 0.7, 0.6, 0.6, 0.9}, a1[] = {0.6, 0.5, 0.6};
    const double l0[] = {1.0, 0.8, 0.9, 0.9, 0.4}, l1[] = {0.9, 1.0, 0.7};
    for (int e = 0; e < 5; e++) nnt__fold_curves_set(&c, 0, e + 1, a0[e], l0[e]);
    for (int e = 0; e < 3; e++) nnt__fold_curves_set(&c, 1, e + 1, a1[e], l1[e]);
    nnt__fold_curves_set(&c, 1, 7, 1.0, 0.0); /* past the held range: ignored */
    /* Means: 0.55, 0.6, 0.6 -- epochs 2 and 3 tie; epoch 3's mean loss 0.8 < 0.9. */
    nnt__curve_peak p = nnt__fold_curves_peak(&c, 1);
    assert_int_equal(p.epoch, 3);
    assert_true(fabs(p.value - 0.6) < 1e-12);
    assert_true(fabs(p.loss - 0.8) < 1e-12);
    assert_true(fabs(p.spread - 0.0) < 1e-12);
    /* Minimising the same numbers: epoch 1 (mean 0.55). */
    p = nnt__fold_curves_peak(&c, 0);
    assert_int_equal(p.epoch, 1);
    assert_true(fabs(p.spread - sqrt(0.005)) < 1e-12);
    nnt__fold_curves_free(&c);

    /* From stored rows in any order, with a NaN epoch skipped; one fold is
     * that fold's best epoch. */
    nnt_epoch_row rows[4];
    memset(rows, 0, sizeof rows);
    const double acc[] = {0.8, NAN, 0.7, 0.8}, los[] = {0.5, 0.1, 0.6, 0.4};
    const int ep[] = {2, 3, 1, 4};
    for (int i = 0; i < 4; i++) {
        rows[i].epoch = ep[i];
        rows[i].valid.accuracy = acc[i];
        rows[i].valid.loss = los[i];
    }
    assert_int_equal(nnt__stored_best_epoch(rows, 4, NNT_METRIC_ACCURACY, 1), 4);
    assert_int_equal(nnt__stored_best_epoch(rows, 4, NNT_METRIC_LOSS, 0), 3);
    assert_int_equal(nnt__stored_best_epoch(rows, 0, NNT_METRIC_ACCURACY, 1), 0);
}

static void test_best_model_saved_and_tested(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(7, ROWS);
    nnt_dataset *test = tu_blobs(70, 90);
    const char *specs[] = {"lr=0.003:0.3:log"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, test};
    nnt_study_options o = base_options("random", 4, 2);
    const char *model = tu_path("best.nnt");
    o.model_out = model;
    run_out a = run_study(tu_path("best.db"), &o, sp, &data);
    assert_int_equal(a.rc, NNT_OK);
    assert_true(a.best_number >= 0);
    assert_string_equal(a.model_path, model);
    /* The best is the highest accuracy, ties to the lowest number. */
    for (size_t i = 0; i < a.n; i++) {
        if ((int)i == a.best_number) continue;
        assert_true(a.t[i].value < a.t[a.best_number].value ||
                    (a.t[i].value == a.t[a.best_number].value && (int)i > a.best_number));
    }
    assert_string_equal(a.t[a.best_number].model_path, model);
    nnt_model *m = NULL;
    nnt_error err;
    assert_int_equal(nnt_model_load(model, &m, &err), NNT_OK);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, test, NULL, nnt_dataset_rows(test), &ev, &err), NNT_OK);
    assert_true(a.sum.has_test);
    assert_true(ev.metrics.accuracy == a.sum.test.accuracy);
    assert_int_equal(a.sum.n_test, 90);
    assert_true(ev.metrics.accuracy > 0.6); /* the blobs are separable enough */
    nnt_eval_free(&ev);
    nnt_model_free(m);
    run_free(&a);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
    nnt_dataset_free(test);
}

static void test_interrupted_trial_reruns(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(8, ROWS);
    const char *specs[] = {"lr=0.003:0.3:log:points=4"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, NULL};
    const char *db = tu_path("resume.db");
    nnt_study_options o = base_options("grid", 2, 1);
    run_out a = run_study(db, &o, sp, &data);
    assert_int_equal(a.n, 2);
    o.max_trials = 0;
    run_out full = run_study(tu_path("resume-ref.db"), &o, sp, &data);
    assert_int_equal(full.n, 4);
    o.max_trials = 2;

    /* Pretend a process died while running trial 2 (cell 3 of the grid). */
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study_record rec;
    assert_int_equal(nnt_storage_find_study(st, "default", &rec, &err), NNT_OK);
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 2, full.t[2].params, 123, -1, 1.0, &err), NNT_OK);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);

    o.max_trials = 0; /* finish the grid */
    run_out b = run_study(db, &o, sp, &data);
    assert_int_equal(b.rc, NNT_OK);
    assert_int_equal(b.n, 5);
    assert_int_equal(b.t[2].state, NNT_TRIAL_FAILED);
    assert_int_equal(b.t[2].interrupted, 1);
    assert_string_equal(b.t[2].error, "interrupted");
    /* The rerun keeps parameters and seed, under a new number. */
    assert_int_equal(b.t[3].retry_of, 2);
    assert_string_equal(b.t[3].params, full.t[2].params);
    assert_true(b.t[3].seed == 123);
    assert_int_equal(b.t[3].state, NNT_TRIAL_COMPLETE);
    /* Completed trials are untouched; the grid is complete (4 cells). */
    for (int i = 0; i < 2; i++) {
        assert_string_equal(a.t[i].params, b.t[i].params);
        assert_true(a.t[i].value == b.t[i].value);
    }
    assert_int_equal(count_state(&b, NNT_TRIAL_COMPLETE), 4);
    assert_string_equal(b.t[4].params, full.t[3].params);
    run_free(&full);
    run_free(&a);
    run_free(&b);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_definition_mismatch(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(9, ROWS);
    const char *s1[] = {"lr=0.01,0.1"};
    const char *s2[] = {"lr=0.01,0.2"};
    nnt_space *sp1 = space_of(s1, 1), *sp2 = space_of(s2, 1);
    nnt_study_data data = {ds, NULL, NULL};
    const char *db = tu_path("def.db");
    nnt_study_options o = base_options("grid", 0, 1);
    run_out a = run_study(db, &o, sp1, &data);
    assert_int_equal(a.rc, NNT_OK);
    run_out b = run_study(db, &o, sp2, &data);
    assert_int_equal(b.rc, NNT_ERR_ARG);
    tu_assert_contains(b.msg, "different space");
    assert_int_equal(b.n, 2);
    /* Another seed is a different study too. */
    o.seed = 12;
    run_out c = run_study(db, &o, sp1, &data);
    assert_int_equal(c.rc, NNT_ERR_ARG);
    tu_assert_contains(c.msg, "seed");
    /* Without an explicit seed the stored one is used. */
    o.seed_set = 0;
    run_out d = run_study(db, &o, sp1, &data);
    assert_int_equal(d.rc, NNT_OK);
    assert_true(d.sum.seed == 11);
    /* --force replaces the definition and goes on. */
    o.force = 1;
    o.seed_set = 1;
    o.seed = 11;
    run_out e = run_study(db, &o, sp2, &data);
    assert_int_equal(e.rc, NNT_OK);
    assert_int_equal(e.n, 3); /* lr 0.2 was the only new cell */
    run_free(&a);
    run_free(&b);
    run_free(&c);
    run_free(&d);
    run_free(&e);
    nnt_space_free(sp1);
    nnt_space_free(sp2);
    nnt_dataset_free(ds);
}

static void stop_after_first(const nnt_study_event *e, void *ud)
{
    nnt_study **s = ud;
    if (e->kind == NNT_EVENT_TRIAL_END && *s) nnt_study_stop(*s);
}

static void test_stop_marks_interrupted(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(10, ROWS);
    const char *specs[] = {"lr=0.003:0.3:log"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = base_options("random", 10, 2);
    o.base_train.early_stopping = 0;
    o.base_train.max_epochs = 30;
    nnt_study *s = NULL;
    o.on_event = stop_after_first;
    o.userdata = &s;
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(tu_path("stop.db"), 0, &st, &err), NNT_OK);
    assert_int_equal(nnt_study_create(&o, sp, &data, st, &s, &err), NNT_OK);
    assert_int_equal(nnt_study_run(s, &err), NNT_OK);
    nnt_study_summary sum;
    nnt_study_get_summary(s, &sum);
    assert_true(sum.stopped);
    assert_true(sum.n_trials < 10);
    assert_int_equal(sum.n_running, 0);
    /* Every trial is finished on record: complete, or failed as interrupted. */
    assert_int_equal(sum.n_complete + sum.n_failed, sum.n_trials);
    assert_int_equal(sum.n_done, sum.n_complete);
    nnt_study_free(s);
    nnt_storage_close(st);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_study_file(void **state)
{
    (void)state;
    nnt_study_file f;
    nnt_error err;
    const char *good =
        "{\"data\": \"x.csv\", \"target\": \"y\", \"test\": \"t.csv\", \"task\": \"classify\","
        " \"objective\": {\"metric\": \"loss\", \"direction\": \"minimize\"},"
        " \"space\": {\"lr\": {\"low\": 0.001, \"high\": 0.1, \"log\": true}},"
        " \"sampler\": \"sobol\", \"budget\": {\"trials\": 20, \"time\": \"10m\"},"
        " \"options\": {\"jobs\": 2, \"seed\": 7, \"cv_folds\": 3, \"trial_time_limit\": 30,"
        "  \"storage\": \"s.db\", \"study_name\": \"n\", \"epochs\": 15, \"optimizer\": \"sgd\","
        "  \"early_stopping\": false, \"refit\": true}}";
    assert_int_equal(nnt_study_file_parse(good, "good.json", &f, &err), NNT_OK);
    assert_string_equal(f.data, "x.csv");
    assert_string_equal(f.metric, "loss");
    assert_string_equal(f.sampler, "sobol");
    assert_int_equal(f.trials, 20);
    assert_true(f.time_s == 600);
    assert_int_equal(f.jobs, 2);
    assert_true(f.seed == 7 && f.seed_set);
    assert_int_equal(f.cv_folds, 3);
    assert_true(f.trial_time_limit_s == 30);
    assert_int_equal(f.task, NNT_TASK_CLASSIFY);
    assert_int_equal(f.refit, 1);
    assert_int_equal(f.n_base, 3);
    assert_non_null(f.space_json);
    nnt_model_options mo = nnt_model_options_default();
    nnt_train_options to = nnt_train_options_default();
    for (int i = 0; i < f.n_base; i++)
        assert_int_equal(nnt_study_set_base_option(&mo, &to, f.base_names[i], f.base_values[i], "x", &err), NNT_OK);
    assert_int_equal(to.max_epochs, 15);
    assert_int_equal(to.optimizer, NNT_OPT_SGD);
    assert_int_equal(to.early_stopping, 0);
    /* Absent CSV keys: no columns dropped, delimiter detected, missing values an error. */
    assert_int_equal(f.n_ignore, 0);
    assert_null(f.ignore);
    assert_int_equal(f.delimiter, 0);
    assert_int_equal(f.missing, NNT_MISSING_ERROR);
    nnt_study_file_free(&f);

    /* The CSV keys, as --ignore, --delimiter and --missing. */
    assert_int_equal(nnt_study_file_parse("{\"ignore\": [\"id\", \"name\"], \"delimiter\": \";\","
                                          " \"missing\": \"median\"}", "csv.json", &f, &err), NNT_OK);
    assert_int_equal(f.n_ignore, 2);
    assert_string_equal(f.ignore[0], "id");
    assert_string_equal(f.ignore[1], "name");
    assert_int_equal(f.delimiter, ';');
    assert_int_equal(f.missing, NNT_MISSING_MEDIAN);
    nnt_study_file_free(&f);
    assert_int_equal(nnt_study_file_parse("{\"ignore\": \"id\", \"delimiter\": \"tab\", \"missing\": \"drop\"}",
                                          "csv.json", &f, &err), NNT_OK);
    assert_int_equal(f.n_ignore, 1);
    assert_string_equal(f.ignore[0], "id");
    assert_int_equal(f.delimiter, '\t');
    assert_int_equal(f.missing, NNT_MISSING_DROP);
    nnt_study_file_free(&f);
    assert_int_equal(nnt_study_file_parse("{\"delimiter\": \"\\t\", \"missing\": \"mean\"}", "csv.json", &f, &err),
                     NNT_OK);
    assert_int_equal(f.delimiter, '\t');
    assert_int_equal(f.missing, NNT_MISSING_MEAN);
    nnt_study_file_free(&f);

    static const struct {
        const char *text, *expect;
    } bad[] = {
        {"{\"data\": \"x\", \"bogus\": 1}", "study.bogus: unknown key"},
        {"{\"budget\": {\"trials\": \"ten\"}}", "study.budget.trials: expected a positive integer"},
        {"{\"budget\": {\"trials\": 0}}", "study.budget.trials"},
        {"{\"budget\": {\"time\": \"soon\"}}", "study.budget.time"},
        {"{\"budget\": {\"rounds\": 3}}", "study.budget.rounds: unknown key"},
        {"{\"data\": 3}", "study.data: expected a string"},
        {"{\"sampler\": \"tpe2\"}", "study.sampler"},
        {"{\"objective\": {\"metric\": \"f1\"}}", "study.objective.metric"},
        {"{\"objective\": {\"direction\": \"up\"}}", "study.objective.direction"},
        {"{\"space\": {\"lr\": {\"low\": 0.1, \"high\": 0.01}}}", "study.space.lr"},
        {"{\"space\": {\"lr\": {\"low\": 0, \"high\": 0.1, \"log\": true}}}", "study.space.lr.low"},
        {"{\"space\": {\"activation\": {\"choices\": []}}}", "study.space.activation"},
        {"{\"space\": 5}", "study.space: expected an object"},
        {"{\"options\": {\"cv_folds\": 65}}", "study.options.cv_folds"},
        {"{\"options\": {\"epochs\": \"many\"}}", "study.options.epochs"},
        {"{\"options\": {\"colour\": \"red\"}}", "study.options.colour: unknown key"},
        {"{\"options\": {\"refit\": 1}}", "study.options.refit: expected true or false, got an integer"},
        {"{\"options\": {\"lr\": \"0.1,0.2\"}}", "study.options.lr: expected a single value"},
        {"[1, 2]", "study: expected a JSON object"},
        {"{\"data\": \"x\",\n \"budget\": }", "bad.json:2: invalid JSON"},
        {"{\"task\": \"cluster\"}", "study.task: expected \"auto\", \"classification\" (or \"classify\")"},
        {"{\"ignore\": 3}", "study.ignore: expected a column name or a list of column names, got an integer"},
        {"{\"ignore\": []}", "study.ignore: expected at least one column name, got an empty list"},
        {"{\"ignore\": [\"id\", \"\"]}", "study.ignore[1]: expected a column name, got an empty string"},
        {"{\"ignore\": [\"id\", \"id\"]}", "study.ignore[1]: column 'id' is given twice"},
        {"{\"ignore\": [\"id\", null]}", "study.ignore[1]: expected a column name, got null"},
        {"{\"delimiter\": \";;\"}", "study.delimiter: expected one character, \"tab\", \"semicolon\" or \"comma\", got \";;\""},
        {"{\"delimiter\": 59}", "study.delimiter: expected one character, \"tab\", \"semicolon\" or \"comma\", got an integer"},
        {"{\"delimiter\": \"\\\"\"}", "study.delimiter: expected one character"},
        {"{\"missing\": \"zero\"}", "study.missing: expected \"error\", \"drop\", \"mean\" or \"median\", got \"zero\""},
        {"{\"missing\": true}", "study.missing: expected \"error\", \"drop\", \"mean\" or \"median\", got a boolean"},
        {"{\"data\": \"x\", \"ignore\": [\"id\"], \"missing\": \"nope\"}", "study.missing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nnt_error_clear(&err);
        int r = nnt_study_file_parse(bad[i].text, "bad.json", &f, &err);
        if (r >= 0) fail_msg("accepted: %s", bad[i].text);
        tu_assert_contains(err.message, bad[i].expect);
        assert_null(f.data);
        assert_null(f.ignore);
    }
    double s;
    assert_int_equal(nnt_parse_duration("90", &s), NNT_OK);
    assert_true(s == 90);
    assert_int_equal(nnt_parse_duration("1.5h", &s), NNT_OK);
    assert_true(s == 5400);
    assert_true(nnt_parse_duration("-3m", &s) < 0);
    assert_true(nnt_parse_duration("3x", &s) < 0);
}

/* The stored epoch rows of trial `number` of study "default" in db (the
 * caller frees them with nnt_epoch_rows_free). */
static nnt_epoch_row *stored_epochs(const char *db, int number, size_t *n)
{
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study_record rec;
    assert_int_equal(nnt_storage_find_study(st, "default", &rec, &err), NNT_OK);
    nnt_epoch_row *rows = NULL;
    *n = 0;
    assert_int_equal(nnt_storage_epochs_load(st, rec.id, number, &rows, n, &err), NNT_OK);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    return rows;
}

/* The 1-based epoch at which fold 0's validation accuracy peaked, ties to the
 * lower validation loss as the trainer's early stopping breaks them, read
 * back from the storage. */
static int stored_best_epoch(const char *db, int number)
{
    size_t n;
    nnt_epoch_row *rows = stored_epochs(db, number, &n);
    int best = 0;
    double bv = -1, bl = INFINITY;
    for (size_t i = 0; i < n; i++)
        if (rows[i].fold == 0 && (rows[i].valid.accuracy > bv ||
                                  (rows[i].valid.accuracy == bv && rows[i].valid.loss < bl))) {
            bv = rows[i].valid.accuracy;
            bl = rows[i].valid.loss;
            best = rows[i].epoch;
        }
    nnt_epoch_rows_free(rows);
    return best;
}

static void test_refit(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(7, ROWS);
    nnt_dataset *test = tu_blobs(70, 90);
    const char *specs[] = {"lr=0.003:0.3:log"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, test};
    nnt_study_options o = base_options("random", 4, 1);
    o.base_train.max_epochs = 12;
    o.base_train.patience = 4;
    o.refit = 1;
    const char *model = tu_path("refit.nnt");
    o.model_out = model;
    run_out a = run_study(tu_path("refit.db"), &o, sp, &data);
    assert_int_equal(a.rc, NNT_OK);
    assert_true(a.best_number >= 0);
    /* Refit on every row (hold-out training + validation part), for the best
     * trial's best epoch. */
    assert_int_equal(a.sum.refit, 1);
    assert_int_equal(a.sum.refit_rows, ROWS);
    int be = stored_best_epoch(tu_path("refit.db"), a.best_number);
    assert_true(be >= 1);
    assert_int_equal(a.sum.refit_epochs, be);
    /* The saved model is the refit one: what the summary's test metrics were
     * measured on, and recorded as such with the best trial. */
    nnt_model *m = NULL;
    nnt_error err;
    assert_int_equal(nnt_model_load(model, &m, &err), NNT_OK);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, test, NULL, nnt_dataset_rows(test), &ev, &err), NNT_OK);
    assert_true(a.sum.has_test);
    assert_true(ev.metrics.accuracy == a.sum.test.accuracy);
    assert_true(ev.metrics.accuracy > 0.6);
    nnt_eval_free(&ev);
    assert_non_null(a.t[a.best_number].test_info);
    tu_assert_contains(a.t[a.best_number].test_info, "\"refit\":{\"trial\":");
    /* ...with the trial's own model's test figures next to it. */
    tu_assert_contains(a.t[a.best_number].test_info, "\"trial_test\":{\"rows\":90,");

    /* The same study without refit keeps the trial's own model: different
     * weights (more rows, another seed), same best trial. */
    o.refit = 0;
    o.model_out = tu_path("norefit.nnt");
    run_out b = run_study(tu_path("norefit.db"), &o, sp, &data);
    assert_int_equal(b.rc, NNT_OK);
    assert_int_equal(b.best_number, a.best_number);
    assert_int_equal(b.sum.refit, 0);
    nnt_model *mb = NULL;
    assert_int_equal(nnt_model_load(tu_path("norefit.nnt"), &mb, &err), NNT_OK);
    size_t np = nnt_model_num_params(m);
    assert_int_equal(np, nnt_model_num_params(mb));
    assert_true(memcmp(nnt_model_params(m), nnt_model_params(mb), np * sizeof(float)) != 0);
    nnt_model_free(mb);
    run_free(&b);

    /* One job: the refit is reproducible bit for bit. */
    o.refit = 1;
    o.model_out = tu_path("refit2.nnt");
    run_out c = run_study(tu_path("refit2.db"), &o, sp, &data);
    assert_int_equal(c.rc, NNT_OK);
    nnt_model *mc = NULL;
    assert_int_equal(nnt_model_load(tu_path("refit2.nnt"), &mc, &err), NNT_OK);
    assert_memory_equal(nnt_model_params(m), nnt_model_params(mc), np * sizeof(float));
    nnt_model_free(mc);
    nnt_model_free(m);
    run_free(&c);

    /* A separate validation set leaves nothing to add: refused up front. */
    nnt_dataset *valid = tu_blobs(71, 40);
    nnt_study_data with_valid = {ds, valid, test};
    run_out d = run_study(tu_path("refit3.db"), &o, sp, &with_valid);
    assert_int_equal(d.rc, NNT_ERR_ARG);
    tu_assert_contains(d.msg, "refit: the study validates on a separate validation set");
    run_free(&d);
    nnt_dataset_free(valid);

    run_free(&a);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
    nnt_dataset_free(test);
}

/* Stopping a study while it refits (Ctrl-C in the CLI) stops the refit too:
 * no refit model, the best trial's model stays, and the summary says why. */
static void stop_on_refit(const nnt_study_event *e, void *userdata)
{
    if (e->kind == NNT_EVENT_REFIT_START) nnt_study_stop(*(nnt_study **)userdata);
}

static void test_refit_stopped(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(7, ROWS);
    const char *specs[] = {"lr=0.003:0.3:log"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = base_options("random", 3, 1);
    o.refit = 1;
    o.model_out = tu_path("stopped.nnt");
    nnt_study *s = NULL;
    o.on_event = stop_on_refit;
    o.userdata = &s;
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(tu_path("stopped.db"), 0, &st, &err), NNT_OK);
    assert_int_equal(nnt_study_create(&o, sp, &data, st, &s, &err), NNT_OK);
    assert_int_equal(nnt_study_run(s, &err), NNT_OK);
    nnt_study_summary sum;
    nnt_study_get_summary(s, &sum);
    assert_int_equal(sum.refit, -1);
    assert_true(sum.stopped);
    tu_assert_contains(sum.refit_note, "stopped after 0 of");
    tu_assert_contains(sum.refit_note, "kept trial");
    nnt_study_free(s);
    nnt_storage_close(st);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

/* The time a refit is reserved: seconds per epoch of the trial, scaled to the
 * refit's rows, times its epochs, plus 10 %. */
static void test_refit_estimate(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(7, 200);
    nnt_mlp_objective obj;
    nnt_mlp_setup su;
    memset(&su, 0, sizeof su);
    su.data.train = ds;
    su.metric = NNT_METRIC_ACCURACY;
    su.maximize = 1;
    su.valid_fraction = 0.2;
    su.split_seed = 3;
    nnt_error err;
    assert_int_equal(nnt__mlp_init(&obj, &su, &err), NNT_OK);
    assert_int_equal(nnt__mlp_refit_rows(&obj), 200);
    double scale = 200.0 / (double)obj.splits[0].n_train;
    /* 20 s for 10 epochs: 2 s/epoch; 5 epochs on 200/160 of the rows. */
    assert_float_equal(nnt__mlp_refit_estimate(&obj, 20.0, 10, 5), 1.1 * 2.0 * scale * 5, 1e-9);
    assert_true(nnt__mlp_refit_estimate(&obj, NAN, 10, 5) == 0);
    assert_true(nnt__mlp_refit_estimate(&obj, 20.0, 0, 5) == 0);
    nnt__mlp_free(&obj);
    nnt_dataset_free(ds);
}

/* schedule_epochs lays the learning-rate schedule out over the refit's own
 * epochs: a cosine refit of 6 epochs with schedule_epochs 6 is the same run
 * as one whose options say 6 epochs, and not the one that replays the
 * 40-epoch schedule and stops after epoch 6 (learning rate still high). */
static nnt_model *refit_cosine(nnt_dataset *ds, int max_epochs, int schedule_epochs)
{
    nnt_space *sp = nnt_space_new();
    nnt_mlp_setup su;
    memset(&su, 0, sizeof su);
    su.data.train = ds;
    su.space = sp;
    su.base_model = nnt_model_options_default();
    su.base_model.n_hidden = 1;
    su.base_model.hidden[0] = 8;
    su.base_train = nnt_train_options_default();
    su.base_train.max_epochs = max_epochs;
    su.base_train.schedule = NNT_SCHED_COSINE;
    su.base_train.lr = 0.05;
    su.metric = NNT_METRIC_ACCURACY;
    su.maximize = 1;
    su.cv_folds = 5;
    su.split_seed = 3;
    nnt_mlp_objective obj;
    nnt_error err;
    assert_int_equal(nnt__mlp_init(&obj, &su, &err), NNT_OK);
    double x = 0;
    uint8_t active = 0;
    nnt_refit_task t;
    memset(&t, 0, sizeof t);
    t.x = &x;
    t.active = &active;
    t.epochs = 6;
    t.schedule_epochs = schedule_epochs;
    t.seed = 9;
    t.threads = 1;
    nnt_model *m = NULL;
    nnt_refit_result res;
    assert_int_equal(nnt__mlp_refit(&obj, &t, &m, &res, &err), NNT_OK);
    assert_int_equal(res.epochs, 6);
    assert_int_equal(res.rows, 200);
    nnt__mlp_free(&obj);
    nnt_space_free(sp);
    return m;
}

static void test_refit_schedule_epochs(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(7, 200);
    nnt_model *own = refit_cosine(ds, 6, 0);
    nnt_model *compressed = refit_cosine(ds, 40, 6);
    nnt_model *replayed = refit_cosine(ds, 40, 0);
    size_t np = nnt_model_num_params(own);
    assert_memory_equal(nnt_model_params(own), nnt_model_params(compressed), np * sizeof(float));
    assert_true(memcmp(nnt_model_params(own), nnt_model_params(replayed), np * sizeof(float)) != 0);
    nnt_model_free(own);
    nnt_model_free(compressed);
    nnt_model_free(replayed);
    nnt_dataset_free(ds);
}

static void test_metric_checks(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(11, ROWS);
    const char *specs[] = {"lr=0.01"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study_options o = base_options("grid", 0, 1);
    o.metric = NNT_METRIC_RMSE;
    run_out a = run_study(tu_path("metric.db"), &o, sp, &data);
    assert_int_equal(a.rc, NNT_ERR_ARG);
    tu_assert_contains(a.msg, "rmse");
    o.metric = NNT_METRIC_LOSS;
    run_out b = run_study(tu_path("metric.db"), &o, sp, &data);
    assert_int_equal(b.rc, NNT_OK);
    assert_int_equal(b.n, 1);
    assert_true(b.t[0].value > 0);
    run_free(&a);
    run_free(&b);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}


/* Best validation accuracy over the fold-0 epochs of a stored trial, and
 * how many epochs it stored. */
static double stored_best(const char *db, int number, int *n_epochs)
{
    size_t n;
    nnt_epoch_row *rows = stored_epochs(db, number, &n);
    double best = -1;
    for (size_t k = 0; k < n; k++)
        if (rows[k].valid.accuracy > best) best = rows[k].valid.accuracy;
    *n_epochs = (int)n;
    nnt_epoch_rows_free(rows);
    return best;
}

static void test_tpe_asha_prunes_and_resumes(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(12, ROWS);
    const char *specs[] = {"lr=0.0005:0.5:log", "neurons=2:32:log", "activation=relu,tanh"};
    nnt_space *sp = space_of(specs, 3);
    nnt_study_data data = {ds, NULL, NULL};
    int first = tu_quick() ? 8 : 12, total = tu_quick() ? 12 : 20;
    nnt_study_options o = base_options("tpe", total, 1);
    o.sampler_options = "{\"n_startup\": 4}";
    o.pruner = "asha";
    o.pruner_options = "{\"min_resource\": 1, \"eta\": 3}";
    o.base_train.max_epochs = 9;
    o.base_train.early_stopping = 0;

    /* One go. */
    const char *ref = tu_path("tpe-asha-ref.db");
    run_out a = run_study(ref, &o, sp, &data);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.n, (size_t)total);
    int pruned = count_state(&a, NNT_TRIAL_PRUNED), complete = count_state(&a, NNT_TRIAL_COMPLETE);
    assert_true(pruned >= 2);
    assert_true(complete >= 2);
    assert_int_equal(pruned + complete, total);
    for (size_t i = 0; i < a.n; i++) {
        int ne = 0;
        double best = stored_best(ref, a.t[i].number, &ne);
        assert_int_equal(ne, a.t[i].epochs);
        if (a.t[i].state == NNT_TRIAL_PRUNED) {
            /* Stopped at a rung (epochs 1 and 3 with eta 3 below 9), with
             * its best value so far. */
            assert_true(a.t[i].epochs == 1 || a.t[i].epochs == 3);
            assert_true(a.t[i].value == best);
        } else {
            assert_int_equal(a.t[i].epochs, 9);
        }
    }
    /* The first trial is alone at every rung: it always goes on. */
    assert_int_equal(a.t[0].state, NNT_TRIAL_COMPLETE);

    /* Part of the budget, then a resume: the pruner keeps no state and the
     * history comes back from storage, so with one job the resumed study
     * makes exactly the same proposals and decisions. */
    const char *db = tu_path("tpe-asha.db");
    o.max_trials = first;
    run_out b = run_study(db, &o, sp, &data);
    assert_int_equal(b.rc, NNT_OK);
    assert_int_equal(b.n, (size_t)first);
    o.max_trials = total;
    run_out c = run_study(db, &o, sp, &data);
    assert_int_equal(c.rc, NNT_OK);
    assert_true(c.sum.resumed);
    assert_int_equal(c.n, (size_t)total);
    for (size_t i = 0; i < c.n; i++) {
        assert_string_equal(c.t[i].params, a.t[i].params);
        assert_int_equal(c.t[i].state, a.t[i].state);
        assert_int_equal(c.t[i].epochs, a.t[i].epochs);
        assert_true(c.t[i].value == a.t[i].value);
    }
    /* Dropping the pruner is a change of definition, named as such. */
    nnt_study_options np = o;
    np.pruner = NULL;
    np.pruner_options = NULL;
    run_out e = run_study(db, &np, sp, &data);
    assert_int_equal(e.rc, NNT_ERR_ARG);
    tu_assert_contains(e.msg, "different pruner (stored {\"name\":\"asha\"");
    run_free(&e);
    /* TPE took over after the startup trials: proposals differ from what
     * the Sobol sequence alone would give (the sobol sampler of the same
     * seed), at least somewhere. */
    nnt_study_options so = o;
    so.sampler = "sobol";
    so.sampler_options = NULL;
    run_out d = run_study(tu_path("sobol-asha.db"), &so, sp, &data);
    assert_int_equal(d.rc, NNT_OK);
    for (int i = 0; i < 4; i++) assert_string_equal(d.t[i].params, a.t[i].params);
    int differ = 0;
    for (size_t i = 4; i < a.n; i++) differ += strcmp(d.t[i].params, a.t[i].params) != 0;
    assert_true(differ > 0);
    run_free(&a);
    run_free(&b);
    run_free(&c);
    run_free(&d);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_pruning_with_grid_and_random(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(13, ROWS);
    const char *specs[] = {"lr=0.0003:0.3:log:points=9"};
    nnt_space *sp = space_of(specs, 1);
    nnt_study_data data = {ds, NULL, NULL};
    const char *pruners[] = {"median", "asha", "hyperband"};
    for (int k = 0; k < 3; k++) {
        /* One job: pruning decisions read the history, so they are only
         * reproducible when trials run one after the other. */
        nnt_study_options o = base_options("grid", 0, 1);
        o.pruner = pruners[k];
        if (k == 0) o.pruner_options = "{\"n_startup\": 2, \"n_warmup_epochs\": 1}";
        o.base_train.max_epochs = 9;
        o.base_train.early_stopping = 0;
        char name[64];
        snprintf(name, sizeof name, "grid-%s.db", pruners[k]);
        run_out a = run_study(tu_path(name), &o, sp, &data);
        assert_int_equal(a.rc, NNT_OK);
        assert_int_equal(a.n, 9); /* the grid still runs every cell */
        assert_true(count_state(&a, NNT_TRIAL_PRUNED) >= 1);
        for (size_t i = 0; i < a.n; i++)
            if (a.t[i].state == NNT_TRIAL_PRUNED) assert_true(a.t[i].epochs < 9);
        run_free(&a);
    }
    /* A custom hook and a built-in pruner exclude each other. */
    nnt_study_options o = base_options("random", 2, 1);
    o.pruner = "asha";
    o.prune = (nnt_prune_fn)1;
    run_out b = run_study(tu_path("both.db"), &o, sp, &data);
    assert_int_equal(b.rc, NNT_ERR_ARG);
    tu_assert_contains(b.msg, "exclude each other");
    run_free(&b);
    /* Bad options stop the study before any trial, naming the key. */
    o = base_options("tpe", 2, 1);
    o.sampler_options = "{\"gamma\": 2}";
    run_out c = run_study(tu_path("badopt.db"), &o, sp, &data);
    assert_int_equal(c.rc, NNT_ERR_ARG);
    tu_assert_contains(c.msg, "sampler.gamma: expected a number in (0, 1]");
    assert_int_equal(c.n, 0);
    run_free(&c);
    o = base_options("random", 2, 1);
    o.pruner = "asha";
    o.pruner_options = "{\"eta\": 1}";
    run_out e = run_study(tu_path("badopt2.db"), &o, sp, &data);
    assert_int_equal(e.rc, NNT_ERR_ARG);
    tu_assert_contains(e.msg, "pruner.eta: expected an integer >= 2");
    run_free(&e);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_plugin_options(void **state)
{
    (void)state;
    nnt_error err;
    const char *specs[] = {"lr=0.001:0.1:log"};
    nnt_space *sp = space_of(specs, 1);
    nnt_sampler smp;
    assert_int_equal(nnt_study_sampler_create("tpe", "{\"n_startup\": 3, \"multivariate\": true, "
                                              "\"startup\": \"random\"}", sp, 5, &smp, &err), NNT_OK);
    assert_string_equal(smp.name, "tpe");
    nnt_sampler_free(&smp);
    assert_int_equal(nnt_study_sampler_create("sobol", NULL, sp, 5, &smp, &err), NNT_OK);
    nnt_sampler_free(&smp);
    static const struct {
        const char *name, *opts, *expect;
    } bad_s[] = {
        {"tpe", "{\"n_startup\": -1}", "sampler.n_startup: expected an integer >= 0"},
        {"tpe", "{\"n_startup\": 2.5}", "sampler.n_startup: expected an integer"},
        {"tpe", "{\"multivariate\": 1}", "sampler.multivariate: expected true or false"},
        {"tpe", "{\"startup\": \"grid\"}", "sampler.startup: expected \"sobol\" or \"random\""},
        {"tpe", "{\"bandwidth\": 1}", "sampler.bandwidth: unknown key; expected one of n_startup"},
        {"random", "{\"n_startup\": 3}", "sampler.n_startup: unknown key"},
        {"anneal", NULL, "sampler: expected \"grid\", \"random\", \"sobol\" or \"tpe\""},
        {"tpe", "[1]", "sampler: expected a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad_s / sizeof bad_s[0]; i++) {
        nnt_error_clear(&err);
        assert_true(nnt_study_sampler_create(bad_s[i].name, bad_s[i].opts, sp, 5, &smp, &err) < 0);
        tu_assert_contains(err.message, bad_s[i].expect);
        assert_null(smp.name);
    }
    nnt_pruner p;
    assert_int_equal(nnt_study_pruner_create("hyperband", "{\"min_resource\": 1, \"eta\": 3}", 27, &p, &err),
                     NNT_OK);
    assert_string_equal(p.name, "hyperband");
    nnt_pruner_free(&p);
    assert_int_equal(nnt_study_pruner_create("none", NULL, 27, &p, &err), NNT_OK);
    assert_null(p.should_prune);
    static const struct {
        const char *name, *opts, *expect;
    } bad_p[] = {
        {"asha", "{\"min_resource\": 0}", "pruner.min_resource: expected an integer >= 1"},
        {"median", "{\"warmup\": 2}", "pruner.warmup: unknown key; expected one of n_startup, n_warmup_epochs"},
        {"hyperband", "{\"min_resource\": 50}", "pruner.max_resource: expected >= min_resource (50), got 27"},
        {"none", "{\"eta\": 3}", "pruner.eta: unknown key"},
        {"fast", NULL, "pruner: expected \"none\", \"median\", \"asha\" or \"hyperband\", got \"fast\""},
    };
    for (size_t i = 0; i < sizeof bad_p / sizeof bad_p[0]; i++) {
        nnt_error_clear(&err);
        assert_true(nnt_study_pruner_create(bad_p[i].name, bad_p[i].opts, 27, &p, &err) < 0);
        tu_assert_contains(err.message, bad_p[i].expect);
        assert_null(p.should_prune);
    }

    /* The same keys in study files, with the file's key path. */
    nnt_study_file f;
    const char *good =
        "{\"sampler\": {\"name\": \"tpe\", \"n_startup\": 10, \"multivariate\": true},"
        " \"pruner\": {\"name\": \"asha\", \"min_resource\": 1, \"eta\": 3},"
        " \"objectives\": [\"accuracy\", \"params\", \"infer_time\"]}";
    assert_int_equal(nnt_study_file_parse(good, "s.json", &f, &err), NNT_OK);
    assert_string_equal(f.sampler, "tpe");
    assert_string_equal(f.sampler_options, "{\"n_startup\":10,\"multivariate\":true}");
    assert_string_equal(f.pruner, "asha");
    assert_string_equal(f.pruner_options, "{\"min_resource\":1,\"eta\":3}");
    assert_string_equal(f.metric, "accuracy");
    assert_int_equal(f.n_costs, 2);
    assert_int_equal(f.costs[0], NNT_COST_PARAMS);
    assert_int_equal(f.costs[1], NNT_COST_INFER_TIME);
    nnt_study_file_free(&f);
    assert_int_equal(nnt_study_file_parse("{\"sampler\": \"tpe\", \"pruner\": \"hyperband\"}", "s.json", &f, &err),
                     NNT_OK);
    assert_string_equal(f.pruner, "hyperband");
    assert_null(f.pruner_options);
    nnt_study_file_free(&f);
    static const struct {
        const char *text, *expect;
    } bad_f[] = {
        {"{\"sampler\": {\"name\": \"tpe\", \"n_startup\": -1}}", "s.json: study.sampler.n_startup: expected an integer >= 0"},
        {"{\"sampler\": {\"name\": \"tpe\", \"gamma\": \"x\"}}", "study.sampler.gamma: expected a number"},
        {"{\"sampler\": {\"name\": \"random\", \"n_startup\": 3}}", "study.sampler.n_startup: unknown key"},
        {"{\"sampler\": {\"n_startup\": 3}}", "study.sampler.name: missing"},
        {"{\"sampler\": {\"name\": \"bayes\"}}", "study.sampler.name: expected \"grid\", \"random\", \"sobol\" or \"tpe\""},
        {"{\"sampler\": 3}", "study.sampler: expected a name or an object"},
        {"{\"pruner\": \"fast\"}", "study.pruner: expected \"none\", \"median\", \"asha\" or \"hyperband\""},
        {"{\"pruner\": {\"name\": \"asha\", \"eta\": 1}}", "study.pruner.eta: expected an integer >= 2"},
        {"{\"pruner\": {\"name\": \"median\", \"warmup\": 2}}", "study.pruner.warmup: unknown key"},
        {"{\"objectives\": [\"params\"]}", "study.objectives[0]: expected the validation metric first"},
        {"{\"objectives\": [\"accuracy\", \"flops\"]}", "study.objectives[1]: expected a cost"},
        {"{\"objectives\": [\"accuracy\", \"params\", \"params\"]}", "study.objectives[2]: \"params\" is given twice"},
        {"{\"objectives\": \"accuracy\"}", "study.objectives: expected a list"},
        {"{\"objective\": \"loss\", \"objectives\": [\"accuracy\", \"params\"]}", "study.objectives[0]"},
        {"{\"objectives\": [\"accuracy\", \"params\"], \"objective\": \"loss\"}", "study.objectives[0]"},
    };
    for (size_t i = 0; i < sizeof bad_f / sizeof bad_f[0]; i++) {
        nnt_error_clear(&err);
        if (nnt_study_file_parse(bad_f[i].text, "s.json", &f, &err) >= 0) fail_msg("accepted: %s", bad_f[i].text);
        tu_assert_contains(err.message, bad_f[i].expect);
        assert_null(f.sampler);
    }
    nnt_space_free(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_give_same_trials),
        cmocka_unit_test(test_grid_exhausts),
        cmocka_unit_test(test_diverging_trial_fails_study_goes_on),
        cmocka_unit_test(test_time_limit_fails_trial),
        cmocka_unit_test(test_budget_and_extension),
        cmocka_unit_test(test_kfold_value_is_mean_curve_peak),
        cmocka_unit_test(test_fold_curves_peak),
        cmocka_unit_test(test_best_model_saved_and_tested),
        cmocka_unit_test(test_interrupted_trial_reruns),
        cmocka_unit_test(test_definition_mismatch),
        cmocka_unit_test(test_stop_marks_interrupted),
        cmocka_unit_test(test_study_file),
        cmocka_unit_test(test_metric_checks),
        cmocka_unit_test(test_refit),
        cmocka_unit_test(test_refit_estimate),
        cmocka_unit_test(test_refit_schedule_epochs),
        cmocka_unit_test(test_refit_stopped),
        cmocka_unit_test(test_tpe_asha_prunes_and_resumes),
        cmocka_unit_test(test_pruning_with_grid_and_random),
        cmocka_unit_test(test_plugin_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
