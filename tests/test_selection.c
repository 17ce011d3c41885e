/* Model selection that can be trusted on small data, and studies that never
 * mix data sets:
 *  - the best-trial rule (nnt_trial_compare): value, then validation loss,
 *    then parameter count, never trial order; ties counted and noted;
 *  - the small-data policy of nnt_study_options_default: 5-fold
 *    cross-validation and a refit below NNT_SMALL_DATA_ROWS rows, a hold-out
 *    above, and cv_folds 1 / refit 0 turning either off;
 *  - the data fingerprint: a study is never resumed on other data, not even
 *    with force, and old fingerprints are compared on what they recorded. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/nntune.h"

/* ---- fixtures ---------------------------------------------------------------- */

static nnt_space *space_of(const char *spec1, const char *spec2)
{
    nnt_space *sp = nnt_space_new();
    const char *specs[2] = {spec1, spec2};
    nnt_error err;
    for (int i = 0; i < 2 && specs[i]; i++) {
        char name[64];
        const char *eq = strchr(specs[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - specs[i]), specs[i]);
        if (nnt_space_set_spec(sp, name, eq + 1, &err) != NNT_OK)
            fail_msg("%s: %s", specs[i], err.message);
    }
    return sp;
}

static nnt_study_options small_options(void)
{
    nnt_study_options o = nnt_study_options_default();
    o.sampler = "grid";
    o.jobs = 1;
    o.seed = 5;
    o.seed_set = 1;
    o.base_train.max_epochs = 6;
    o.base_train.patience = 3;
    o.base_model.n_hidden = 1;
    o.base_model.hidden[0] = 8;
    return o;
}

/* A copy of ds with other feature names (and optionally another target name). */
static nnt_dataset *renamed(const nnt_dataset *ds, const char *const *names, const char *target)
{
    nnt_dataset_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.rows = nnt_dataset_rows(ds);
    spec.features = nnt_dataset_features(ds);
    spec.x = nnt_dataset_x(ds);
    spec.labels = nnt_dataset_labels(ds);
    spec.n_classes = nnt_dataset_num_classes(ds);
    const char *cn[3] = {"a", "b", "c"};
    spec.class_names = cn;
    spec.feature_names = names;
    spec.target_name = target;
    nnt_dataset *out = NULL;
    nnt_error err;
    if (nnt_dataset_from_arrays(&spec, &out, &err) != NNT_OK) fail_msg("dataset: %s", err.message);
    return out;
}

typedef struct run_out {
    int rc;
    char msg[NNT_ERRMSG_MAX];
    nnt_study_summary sum; /* strings invalid after the run */
    nnt_trial_record *t;
    size_t n;
    char definition[8192];
    char refit_note[512];
} run_out;

static run_out run_study(const char *db, const nnt_study_options *o, const nnt_space *sp,
                         const nnt_study_data *data, int run)
{
    run_out out;
    memset(&out, 0, sizeof out);
    nnt_storage *st = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study *s = NULL;
    out.rc = nnt_study_create(o, sp, data, st, &s, &err);
    if (out.rc == NNT_OK && run) out.rc = nnt_study_run(s, &err);
    snprintf(out.msg, sizeof out.msg, "%s", err.message);
    if (s) {
        nnt_study_get_summary(s, &out.sum);
        snprintf(out.refit_note, sizeof out.refit_note, "%s", out.sum.refit_note);
    }
    nnt_study_free(s);
    nnt_study_record rec;
    if (nnt_storage_find_study(st, o->name, &rec, &err) == NNT_OK) {
        assert_int_equal(nnt_storage_trials_load(st, rec.id, &out.t, &out.n, &err), NNT_OK);
        snprintf(out.definition, sizeof out.definition, "%s", rec.definition);
        nnt_study_record_free(&rec);
    }
    nnt_storage_close(st);
    return out;
}

static void run_free(run_out *r) { nnt_trial_records_free(r->t, r->n); }

/* ---- the best-trial rule ------------------------------------------------------ */

static nnt_trial_record rec(int number, nnt_trial_state state, double value, double loss,
                            double params)
{
    nnt_trial_record r;
    memset(&r, 0, sizeof r);
    r.number = number;
    r.state = state;
    r.value = value;
    r.valid_loss = loss;
    r.n_params = params;
    return r;
}

static void test_compare_rule(void **state)
{
    (void)state;
    nnt_trial_record t[6];
    t[0] = rec(0, NNT_TRIAL_COMPLETE, 1.0, 0.30, 500);
    t[1] = rec(1, NNT_TRIAL_COMPLETE, 1.0, 0.10, 900);  /* lower loss: best */
    t[2] = rec(2, NNT_TRIAL_COMPLETE, 1.0, 0.10, 300);  /* same loss, fewer params: better still */
    t[3] = rec(3, NNT_TRIAL_COMPLETE, 0.9, 0.01, 10);   /* worse value: loss does not matter */
    t[4] = rec(4, NNT_TRIAL_PRUNED, 1.0, 0.001, 1);     /* pruned never wins */
    t[5] = rec(5, NNT_TRIAL_COMPLETE, 1.0, NAN, 100);   /* unknown loss ranks after known */
    assert_int_equal(nnt_trials_best(t, 6, 1), 2);
    assert_true(nnt_trial_compare(&t[1], &t[0], 1) < 0);
    assert_true(nnt_trial_compare(&t[2], &t[1], 1) < 0);
    assert_true(nnt_trial_compare(&t[0], &t[5], 1) < 0);
    assert_true(nnt_trial_compare(&t[3], &t[0], 1) > 0);
    assert_true(nnt_trial_compare(&t[4], &t[3], 1) > 0);
    assert_int_equal(nnt_trial_compare(&t[0], &t[0], 1), 0);
    /* Minimising: the lower value wins, ties the same way. */
    nnt_trial_record m[3] = {rec(0, NNT_TRIAL_COMPLETE, 2.0, 0.5, 10),
                             rec(1, NNT_TRIAL_COMPLETE, 1.5, 0.9, 10),
                             rec(2, NNT_TRIAL_COMPLETE, 1.5, 0.4, 10)};
    assert_int_equal(nnt_trials_best(m, 3, 0), 2);
    /* Equal in everything: the lower number, so the result is stable. */
    nnt_trial_record e[2] = {rec(7, NNT_TRIAL_COMPLETE, 1.0, 0.1, 5),
                             rec(3, NNT_TRIAL_COMPLETE, 1.0, 0.1, 5)};
    assert_int_equal(nnt_trials_best(e, 2, 1), 1);
    /* Ties at the best value and when they call for a note. */
    assert_int_equal(nnt_trials_tied(t, 6, 1), 4);
    assert_int_equal(nnt_trials_tied(m, 3, 0), 2);
    assert_int_equal(nnt_trials_best(t, 0, 1), -1);
    assert_int_equal(nnt_trials_tied(t, 0, 1), 0);
    assert_false(nnt_ties_noteworthy(4, 10));  /* fewer than 5 */
    assert_false(nnt_ties_noteworthy(5, 60));  /* under 10 % */
    assert_true(nnt_ties_noteworthy(5, 50));
    assert_true(nnt_ties_noteworthy(678, 1826));
}

/* A grid whose cells all reach the same accuracy on easy data: the best is
 * the tied trial with the lowest validation loss (then fewest parameters),
 * not trial 0, and the saved model is that trial's. */
static void test_ties_broken_by_loss_in_a_study(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(31, 120);
    nnt_space *sp = space_of("lr=0.02,0.05,0.1,0.2,0.3,0.4", "neurons=8,16");
    nnt_study_options o = small_options();
    o.cv_folds = 1; /* hold-out on 24 validation rows: many ties */
    o.refit = 0;
    o.base_train.max_epochs = 25;
    o.base_train.patience = 25;
    o.model_out = tu_path("ties.nnt");
    nnt_study_data data = {ds, NULL, NULL};
    run_out a = run_study(tu_path("ties.db"), &o, sp, &data, 1);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.n, 12);
    int b = nnt_trials_best(a.t, a.n, 1);
    assert_true(b >= 0);
    assert_int_equal(a.t[b].number, a.sum.best_number);
    int tied = nnt_trials_tied(a.t, a.n, 1);
    assert_int_equal(tied, a.sum.n_tied);
    assert_true(tied >= 5); /* the premise: this data ties */
    assert_int_equal(a.sum.ties_noteworthy, 1);
    /* Every tied trial has stored tie-breakers; the best has the least loss. */
    int first_tied = -1;
    for (size_t i = 0; i < a.n; i++) {
        if (a.t[i].state != NNT_TRIAL_COMPLETE || a.t[i].value != a.t[b].value) continue;
        if (first_tied < 0) first_tied = a.t[i].number;
        assert_true(isfinite(a.t[i].valid_loss) && a.t[i].n_params > 0);
        assert_true(a.t[b].valid_loss <= a.t[i].valid_loss);
    }
    assert_true(first_tied != a.sum.best_number); /* trial order would have picked wrong */
    /* The saved model is the best trial's: its parameter count matches. */
    nnt_model *m = NULL;
    nnt_error err;
    assert_int_equal(nnt_model_load(tu_path("ties.nnt"), &m, &err), NNT_OK);
    assert_true((double)nnt_model_num_params(m) == a.t[b].n_params);
    nnt_model_free(m);
    /* A resume sees the same best (the rule reads the stored tie-breakers). */
    o.max_trials = 0;
    run_out r = run_study(tu_path("ties.db"), &o, sp, &data, 0);
    assert_int_equal(r.rc, NNT_OK);
    assert_int_equal(r.sum.best_number, a.sum.best_number);
    run_free(&a);
    run_free(&r);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

/* ---- the small-data policy ------------------------------------------------------ */

static void test_small_data_cv_and_refit_by_default(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(3, 150);
    nnt_space *sp = space_of("lr=0.05,0.2", NULL);
    nnt_study_options o = small_options();
    assert_int_equal(o.cv_folds, NNT_CV_AUTO);
    assert_int_equal(o.refit, NNT_REFIT_AUTO);
    o.model_out = tu_path("small.nnt");
    nnt_study_data data = {ds, NULL, NULL};
    run_out a = run_study(tu_path("small.db"), &o, sp, &data, 1);
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.sum.n_folds, NNT_SMALL_DATA_FOLDS);
    assert_int_equal(a.sum.small_data, 1);
    assert_int_equal(a.sum.cv_auto, 1);
    assert_int_equal(a.sum.refit_planned, 1);
    assert_int_equal(a.sum.refit, 1);           /* the refit ran */
    assert_int_equal(a.sum.refit_rows, 150);    /* on every training row */
    assert_int_equal(a.sum.tuned_rows, 150);
    assert_true(a.sum.refit_epochs >= 1);
    tu_assert_contains(a.definition, "\"cv_folds\":5");
    for (size_t i = 0; i < a.n; i++) assert_true(isfinite(a.t[i].value_spread)); /* per-fold sd */

    /* cv_folds 1 and refit 0: a hold-out without refit. */
    o.cv_folds = 1;
    o.refit = 0;
    o.model_out = tu_path("small_ho.nnt");
    run_out b = run_study(tu_path("small_ho.db"), &o, sp, &data, 1);
    assert_int_equal(b.rc, NNT_OK);
    assert_int_equal(b.sum.n_folds, 1);
    assert_int_equal(b.sum.refit_planned, 0);
    assert_int_equal(b.sum.refit, 0);
    tu_assert_contains(b.definition, "\"cv_folds\":1");

    /* A resume with the defaults keeps the stored hold-out (old studies
     * resume unchanged), and the refit follows the data size. */
    o.cv_folds = NNT_CV_AUTO;
    o.refit = NNT_REFIT_AUTO;
    run_out c = run_study(tu_path("small_ho.db"), &o, sp, &data, 0);
    assert_int_equal(c.rc, NNT_OK);
    assert_int_equal(c.sum.n_folds, 1);
    assert_int_equal(c.sum.refit_planned, 1);

    /* A separate validation set: hold-out on it, no refit by default. */
    nnt_dataset *va = tu_blobs(4, 60);
    nnt_study_data withv = {ds, va, NULL};
    run_out d = run_study(tu_path("small_v.db"), &o, sp, &withv, 0);
    assert_int_equal(d.rc, NNT_OK);
    assert_int_equal(d.sum.n_folds, 1);
    assert_int_equal(d.sum.refit_planned, 0);
    nnt_dataset_free(va);

    run_free(&a);
    run_free(&b);
    run_free(&c);
    run_free(&d);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

/* With a time budget the trials stop early enough for the refit even when
 * it takes hundredths of a second (small data): the reserve has a floor
 * (min(2 s, 5 % of the budget)) for the moment the trials take to stop.
 * Without it, 30-second studies on 178 and 300 rows skipped their refits
 * with "needs about 0 s and 0 s of the time budget were left". */
static void test_small_refit_fits_time_budget(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(6, 90);
    nnt_space *sp = space_of("lr=0.01:0.3:log", NULL);
    nnt_study_options o = small_options();
    o.sampler = "random";
    o.max_seconds = 4;
    o.model_out = tu_path("budget.nnt");
    nnt_study_data data = {ds, NULL, NULL};
    run_out a = run_study(tu_path("budget.db"), &o, sp, &data, 1);
    assert_int_equal(a.rc, NNT_OK);
    assert_true(a.n > 5); /* the budget, not the trials, ended the search */
    if (a.sum.refit != 1) fail_msg("refit %d: %s", a.sum.refit, a.refit_note);
    run_free(&a);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

static void test_large_data_keeps_holdout(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(5, NNT_SMALL_DATA_ROWS);
    nnt_space *sp = space_of("lr=0.05", NULL);
    nnt_study_options o = small_options();
    nnt_study_data data = {ds, NULL, NULL};
    run_out a = run_study(tu_path("large.db"), &o, sp, &data, 0); /* create only */
    assert_int_equal(a.rc, NNT_OK);
    assert_int_equal(a.sum.n_folds, 1);
    assert_int_equal(a.sum.small_data, 0);
    assert_int_equal(a.sum.refit_planned, 0);
    /* Tuning on a subsample makes it small again. */
    o.max_rows = 1000;
    o.name = "sub";
    run_out b = run_study(tu_path("large.db"), &o, sp, &data, 0);
    assert_int_equal(b.rc, NNT_OK);
    assert_int_equal(b.sum.n_folds, NNT_SMALL_DATA_FOLDS);
    assert_int_equal(b.sum.tuned_rows, 1000);
    run_free(&a);
    run_free(&b);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

/* ---- the data fingerprint ------------------------------------------------------- */

static void test_other_data_refused_even_with_force(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(7, 90);
    nnt_space *sp = space_of("lr=0.05,0.1", NULL);
    nnt_space *sp2 = space_of("lr=0.05,0.2", NULL);
    nnt_study_options o = small_options();
    o.cv_folds = 1;
    o.refit = 0;
    const char *db = tu_path("fp.db");
    nnt_study_data data = {ds, NULL, NULL};
    run_out a = run_study(db, &o, sp, &data, 1);
    assert_int_equal(a.rc, NNT_OK);
    tu_assert_contains(a.definition, "\"rows\":90,\"features\":4,\"task\":\"classify\",\"classes\":3");
    tu_assert_contains(a.definition, "\"feature_names\":[\"x0\",\"x1\",\"x2\",\"x3\"]");
    tu_assert_contains(a.definition, "\"hash\":\"");

    o.force = 1;
    /* More rows. */
    nnt_dataset *more = tu_blobs(7, 120);
    nnt_study_data d_more = {more, NULL, NULL};
    run_out b = run_study(db, &o, sp, &d_more, 0);
    assert_int_equal(b.rc, NNT_ERR_ARG);
    tu_assert_contains(b.msg, "study 'default' was run on other data: rows (stored 90, now 120)");
    /* Library messages name option keys; the CLI says --force and --study. */
    tu_assert_contains(b.msg, "not even with options.force");
    tu_assert_contains(b.msg, "choose a new study.name");
    /* Same shape, other values. */
    nnt_dataset *other = tu_blobs(8, 90);
    nnt_study_data d_other = {other, NULL, NULL};
    run_out c = run_study(db, &o, sp, &d_other, 0);
    assert_int_equal(c.rc, NNT_ERR_ARG);
    tu_assert_contains(c.msg, "content (same columns and rows, different values");
    /* Other column names (same values). */
    const char *names[] = {"x0", "height", "x2", "x3"};
    nnt_dataset *ren = renamed(ds, names, "kind");
    nnt_study_data d_ren = {ren, NULL, NULL};
    run_out d = run_study(db, &o, sp, &d_ren, 0);
    assert_int_equal(d.rc, NNT_ERR_ARG);
    tu_assert_contains(d.msg, "target (stored \"target\", now \"kind\")");
    tu_assert_contains(d.msg, "feature column 2 (stored 'x1', now 'height')");
    /* Without force the changed data is named and force is not offered as the way out. */
    o.force = 0;
    run_out e = run_study(db, &o, sp, &d_more, 0);
    assert_int_equal(e.rc, NNT_ERR_ARG);
    tu_assert_contains(e.msg, "rows (stored 90, now 120)");
    assert_null(strstr(e.msg, "set options.force"));
    /* The same data with another space: force accepts it, trials kept. */
    o.force = 1;
    run_out f = run_study(db, &o, sp2, &data, 1);
    assert_int_equal(f.rc, NNT_OK);
    assert_int_equal(f.n, 3);
    run_free(&a);
    run_free(&b);
    run_free(&c);
    run_free(&d);
    run_free(&e);
    run_free(&f);
    nnt_dataset_free(more);
    nnt_dataset_free(other);
    nnt_dataset_free(ren);
    nnt_space_free(sp);
    nnt_space_free(sp2);
    nnt_dataset_free(ds);
}

/* A study stored before the fingerprint (data: rows, features, task,
 * classes, target) resumes on the same data, upgrading its definition, and
 * is refused on data whose recorded keys differ. */
static void test_old_fingerprint(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(9, 90);
    nnt_space *sp = space_of("lr=0.05,0.1", NULL);
    nnt_study_options o = small_options();
    o.cv_folds = 1;
    o.refit = 0;
    const char *db = tu_path("oldfp.db");
    nnt_study_data data = {ds, NULL, NULL};
    run_out a = run_study(db, &o, sp, &data, 1);
    assert_int_equal(a.rc, NNT_OK);
    /* Rewrite the stored data description as older versions wrote it. */
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    nnt_study_record r;
    assert_int_equal(nnt_storage_find_study(st, "default", &r, &err), NNT_OK);
    char def[8192];
    snprintf(def, sizeof def, "%s", r.definition);
    char *at = strstr(def, "\"data\":");
    assert_non_null(at);
    snprintf(at, sizeof def - (size_t)(at - def),
             "\"data\":{\"rows\":90,\"features\":4,\"task\":\"classify\",\"classes\":3,"
             "\"target\":\"target\"}}");
    int rr = nnt_storage_study_redefine(st, r.id, def, r.seed, &err);
    if (rr != NNT_OK) fail_msg("redefine: %s", err.message);
    nnt_study_record_free(&r);
    nnt_storage_close(st);

    /* The same data resumes; the definition is then upgraded to the full
     * fingerprint (hash, feature names). */
    run_out b = run_study(db, &o, sp, &data, 0);
    assert_int_equal(b.rc, NNT_OK);
    tu_assert_contains(b.definition, "\"hash\":\"");
    /* Back to the old form; other rows are refused. */
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    assert_int_equal(nnt_storage_find_study(st, "default", &r, &err), NNT_OK);
    assert_int_equal(nnt_storage_study_redefine(st, r.id, def, r.seed, &err), NNT_OK);
    nnt_study_record_free(&r);
    nnt_storage_close(st);
    nnt_dataset *more = tu_blobs(9, 100);
    nnt_study_data d_more = {more, NULL, NULL};
    o.force = 1;
    run_out c = run_study(db, &o, sp, &d_more, 0);
    assert_int_equal(c.rc, NNT_ERR_ARG);
    tu_assert_contains(c.msg, "rows (stored 90, now 100)");
    run_free(&a);
    run_free(&b);
    run_free(&c);
    nnt_dataset_free(more);
    nnt_space_free(sp);
    nnt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_rule),
        cmocka_unit_test(test_ties_broken_by_loss_in_a_study),
        cmocka_unit_test(test_small_data_cv_and_refit_by_default),
        cmocka_unit_test(test_small_refit_fits_time_budget),
        cmocka_unit_test(test_large_data_keeps_holdout),
        cmocka_unit_test(test_other_data_refused_even_with_force),
        cmocka_unit_test(test_old_fingerprint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
