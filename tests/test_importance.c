/* Hyperparameter importance: the one relevant parameter of four ranks first
 * with most of the variance (numeric and categorical cases), conditional
 * parameters, determinism, a constant objective and argument errors. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nntune/analysis.h"
#include "nntune/nntune.h"

#define MAXP 8
#define MAXT 300

static nnt_space *parse_ok(const char *json)
{
    nnt_space *s = NULL;
    nnt_error e;
    if (nnt_space_from_json(json, &s, &e) != NNT_OK) fail_msg("%s\nfor %s", e.message, json);
    return s;
}

typedef struct hist_store {
    int n;
    double x[MAXT][MAXP];
    uint8_t a[MAXT][MAXP];
    nnt_trial_view v[MAXT];
} hist_store;

typedef double (*objective_fn)(const nnt_space *s, const double *x, const uint8_t *a, nnt_rng *r);

/* n random trials of the space, valued by f. */
static nnt_history make_history(hist_store *h, const nnt_space *s, int n, objective_fn f,
                                uint64_t seed)
{
    nnt_sampler rnd;
    assert_int_equal(nnt_sampler_create("random", s, &rnd, NULL), NNT_OK);
    nnt_rng r;
    nnt_rng_seed(&r, seed);
    h->n = 0;
    for (int t = 0; t < n; t++) {
        assert_int_equal(rnd.propose(rnd.ctx, s, NULL, t, nnt_seed_derive(seed, (uint64_t)t),
                                     h->x[t], h->a[t], NULL),
                         NNT_OK);
        nnt_trial_view *v = &h->v[t];
        memset(v, 0, sizeof *v);
        v->number = t;
        v->state = NNT_TRIAL_COMPLETE;
        v->x = h->x[t];
        v->active = h->a[t];
        v->value = f(s, h->x[t], h->a[t], &r);
        h->n++;
    }
    nnt_sampler_free(&rnd);
    nnt_history hv = {h->v, h->n};
    return hv;
}

static const char *space4 =
    "{\"lr\": {\"type\": \"float\", \"low\": 1e-5, \"high\": 1, \"log\": true},"
    " \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5},"
    " \"neurons\": {\"type\": \"int\", \"low\": 16, \"high\": 512, \"log\": true},"
    " \"activation\": [\"relu\", \"tanh\", \"sigmoid\"],"
    " \"epochs\": 10}";

static double only_lr(const nnt_space *s, const double *x, const uint8_t *a, nnt_rng *r)
{
    (void)s;
    (void)a;
    return pow(log10(x[0]) + 2, 2) + 0.05 * nnt_rng_normal(r);
}

static double only_activation(const nnt_space *s, const double *x, const uint8_t *a, nnt_rng *r)
{
    (void)s;
    (void)a;
    const double eff[3] = {0.2, 1.0, 2.0};
    return eff[(int)x[3]] + 0.05 * nnt_rng_normal(r);
}

static void check_ranking(const double *imp, int n, int relevant, const char *what)
{
    double sum = 0;
    for (int p = 0; p < n; p++) {
        assert_true(imp[p] >= 0 && imp[p] <= 1);
        sum += imp[p];
        if (p != relevant && imp[p] >= imp[relevant])
            fail_msg("%s: parameter %d (%.3f) >= the relevant one %d (%.3f)", what, p, imp[p],
                     relevant, imp[relevant]);
    }
    assert_true(sum <= 1 + 1e-9);
    if (!(imp[relevant] > 0.5)) fail_msg("%s: importance %.3f <= 0.5", what, imp[relevant]);
    printf("%s: importance", what);
    for (int p = 0; p < n; p++) printf(" %.3f", imp[p]);
    printf("\n");
}

static void test_one_relevant_numeric(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(space4);
    static hist_store h;
    nnt_history hv = make_history(&h, s, 120, only_lr, 11);
    double imp[MAXP], imp2[MAXP];
    nnt_error e;
    assert_int_equal(nnt_param_importance(s, &hv, NULL, imp, &e), NNT_OK);
    check_ranking(imp, 5, 0, "y(lr)");
    assert_true(imp[4] == 0); /* fixed */
    /* Deterministic for a seed. */
    assert_int_equal(nnt_param_importance(s, &hv, NULL, imp2, &e), NNT_OK);
    assert_memory_equal(imp, imp2, sizeof(double) * 5);
    nnt_importance_options o = nnt_importance_options_default();
    assert_int_equal(o.n_trees, 32);
    assert_int_equal(o.max_depth, 8);
    o.seed = 99;
    assert_int_equal(nnt_param_importance(s, &hv, &o, imp2, &e), NNT_OK);
    check_ranking(imp2, 5, 0, "y(lr), seed 99");
    nnt_space_free(s);
}

static void test_one_relevant_categorical(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(space4);
    static hist_store h;
    nnt_history hv = make_history(&h, s, 80, only_activation, 12);
    double imp[MAXP];
    assert_int_equal(nnt_param_importance(s, &hv, NULL, imp, NULL), NNT_OK);
    check_ranking(imp, 5, 3, "y(activation)");
    nnt_space_free(s);
}

/* A pruned study: 5 complete trials whose final values are noise, and 55
 * pruned at epoch 1 or 3 whose curves depend on lr alone. Scored at the
 * deepest epoch that 20 trials reached (3), lr ranks first. */
static void test_pruned_study_scored_at_common_epoch(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(space4);
    static hist_store h;
    nnt_history hv = make_history(&h, s, 60, only_lr, 13);
    static double inter[MAXT][10];
    nnt_rng r;
    nnt_rng_seed(&r, 5);
    for (int t = 0; t < hv.n; t++) {
        nnt_trial_view *v = &h.v[t];
        double level = v->value; /* only_lr's value: lower is better */
        v->state = t < 5 ? NNT_TRIAL_COMPLETE : NNT_TRIAL_PRUNED;
        v->epochs = t < 5 ? 10 : t < 35 ? 1 : 3;
        for (int e = 0; e < v->epochs; e++) inter[t][e] = level + 1.0 / (e + 1);
        v->intermediate = inter[t];
        v->value = t < 5 ? nnt_rng_normal(&r) : level; /* pruned: their best so far */
    }
    /* 5 complete < 20: the deepest epoch with 20 trials is 3 (25 pruned + 5). */
    assert_int_equal(nnt_importance_pick_epoch(&hv, 20), 3);
    nnt_importance_options o = nnt_importance_options_default();
    assert_int_equal(o.epoch, 0);
    o.epoch = 3;
    double imp[MAXP];
    nnt_error e;
    assert_int_equal(nnt_param_importance(s, &hv, &o, imp, &e), NNT_OK);
    check_ranking(imp, 5, 0, "pruned study at epoch 3");
    /* Beyond every curve: no trial takes part. */
    o.epoch = 11;
    assert_int_equal(nnt_param_importance(s, &hv, &o, imp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "0 trials reached epoch 11; at least 4 are needed");
    o.epoch = -1;
    assert_int_equal(nnt_param_importance(s, &hv, &o, imp, &e), NNT_ERR_ARG);
    /* Enough complete trials: final values. */
    for (int t = 0; t < 25; t++) h.v[t].state = NNT_TRIAL_COMPLETE;
    assert_int_equal(nnt_importance_pick_epoch(&hv, 20), 0);
    /* No trial has a curve: nothing better than the complete ones. */
    for (int t = 0; t < hv.n; t++) h.v[t].intermediate = NULL;
    for (int t = 5; t < hv.n; t++) h.v[t].state = NNT_TRIAL_PRUNED;
    assert_int_equal(nnt_importance_pick_epoch(&hv, 20), 0);
    nnt_space_free(s);
}

static const char *cond_space =
    "{\"optimizer\": [\"sgd\", \"momentum\"],"
    " \"momentum\": {\"type\": \"float\", \"low\": 0.5, \"high\": 0.99,"
    "                \"if\": {\"optimizer\": [\"momentum\"]}},"
    " \"lr\": {\"type\": \"float\", \"low\": 1e-5, \"high\": 1, \"log\": true},"
    " \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5}}";

/* Only momentum matters, where it is active (sgd sits at the mean). */
static double only_momentum(const nnt_space *s, const double *x, const uint8_t *a, nnt_rng *r)
{
    int im = nnt_space_find(s, "momentum");
    double v = a[im] ? 20 * pow(x[im] - 0.9, 2) : 0.8;
    return v + 0.02 * nnt_rng_normal(r);
}

static void test_conditional(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(cond_space);
    static hist_store h;
    nnt_history hv = make_history(&h, s, 150, only_momentum, 13);
    double imp[MAXP];
    assert_int_equal(nnt_param_importance(s, &hv, NULL, imp, NULL), NNT_OK);
    int im = nnt_space_find(s, "momentum");
    printf("conditional: optimizer %.3f momentum %.3f lr %.3f dropout %.3f\n", imp[0], imp[im],
           imp[nnt_space_find(s, "lr")], imp[nnt_space_find(s, "dropout")]);
    /* Momentum explains more than the parameters that do nothing. */
    assert_true(imp[im] > imp[nnt_space_find(s, "lr")]);
    assert_true(imp[im] > imp[nnt_space_find(s, "dropout")]);
    assert_true(imp[im] > 0.2);
    nnt_space_free(s);
}

static double constant(const nnt_space *s, const double *x, const uint8_t *a, nnt_rng *r)
{
    (void)s;
    (void)x;
    (void)a;
    (void)r;
    return 0.5;
}

static void test_degenerate(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(space4);
    static hist_store h;
    nnt_history hv = make_history(&h, s, 30, constant, 14);
    double imp[MAXP];
    nnt_error e;
    assert_int_equal(nnt_param_importance(s, &hv, NULL, imp, &e), NNT_OK);
    for (int p = 0; p < 5; p++) assert_true(imp[p] == 0);
    /* Too few complete trials: failed, pruned and NaN values do not count. */
    hv.n = 5;
    h.v[0].state = NNT_TRIAL_FAILED;
    h.v[1].state = NNT_TRIAL_PRUNED;
    h.v[2].value = NAN;
    assert_int_equal(nnt_param_importance(s, &hv, NULL, imp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "importance: 2 complete trials with a value; at least 4 are needed");
    nnt_importance_options o = nnt_importance_options_default();
    o.n_trees = 0;
    assert_int_equal(nnt_param_importance(s, &hv, &o, imp, &e), NNT_ERR_ARG);
    assert_int_equal(nnt_param_importance(NULL, &hv, NULL, imp, &e), NNT_ERR_ARG);
    nnt_space_free(s);
}

static void test_importance_out_of_memory(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(space4);
    static hist_store h;
    nnt_history hv = make_history(&h, s, 40, only_lr, 15);
    double want[MAXP], imp[MAXP];
    nnt_importance_options o = nnt_importance_options_default();
    o.n_trees = 4;
    assert_int_equal(nnt_param_importance(s, &hv, &o, want, NULL), NNT_OK);
    int rc = NNT_ERR_NOMEM, k = 0;
    for (; rc != NNT_OK && k < 500; k++) {
        nnt_error e;
        nnt__alloc_fail_after(k);
        rc = nnt_param_importance(s, &hv, &o, imp, &e);
        nnt__alloc_fail_after(-1);
        if (rc != NNT_OK) {
            assert_int_equal(rc, NNT_ERR_NOMEM);
            tu_assert_contains(e.message, "importance:");
        }
    }
    assert_int_equal(rc, NNT_OK);
    assert_true(k > 5);
    assert_memory_equal(want, imp, sizeof(double) * 5);
    nnt_space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_relevant_numeric),
        cmocka_unit_test(test_one_relevant_categorical),
        cmocka_unit_test(test_conditional),
        cmocka_unit_test(test_pruned_study_scored_at_common_epoch),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_importance_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
