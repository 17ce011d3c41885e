/* The TPE sampler: options, startup trials, determinism and domains, the
 * ranking of complete / pruned / running trials, conditional parameters,
 * the constant liar, and TPE against random search on synthetic objectives
 * (univariate and multivariate). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/nntune.h"
#include "core/alloc.h"
#include "tune/sampler_internal.h"
#include "tune/tpe_internal.h"

#define MAXP 8
#define MAXT 512

static nnt_space *parse_ok(const char *json)
{
    nnt_space *s = NULL;
    nnt_error e;
    if (nnt_space_from_json(json, &s, &e) != NNT_OK) fail_msg("%s\nfor %s", e.message, json);
    return s;
}

/* A history the tests grow trial by trial. */
typedef struct hist_store {
    int n;
    double x[MAXT][MAXP];
    uint8_t a[MAXT][MAXP];
    nnt_trial_view v[MAXT];
} hist_store;

static nnt_trial_view *hist_add(hist_store *h, const double *x, const uint8_t *a, int np,
                                nnt_trial_state st, double value)
{
    assert_true(h->n < MAXT);
    int t = h->n++;
    memcpy(h->x[t], x, (size_t)np * sizeof *x);
    memcpy(h->a[t], a, (size_t)np);
    nnt_trial_view *v = &h->v[t];
    memset(v, 0, sizeof *v);
    v->number = t;
    v->state = st;
    v->x = h->x[t];
    v->active = h->a[t];
    v->value = value;
    return v;
}

static nnt_history hist_view(hist_store *h)
{
    nnt_history r = {h->v, h->n};
    return r;
}

static nnt_sampler tpe_make(const nnt_space *s, const nnt_tpe_options *o)
{
    nnt_sampler smp;
    nnt_error e;
    if (nnt_sampler_tpe_create(s, o, &smp, &e) != NNT_OK) fail_msg("%s", e.message);
    assert_string_equal(smp.name, "tpe");
    return smp;
}

static void propose_ok(nnt_sampler *smp, const nnt_space *s, hist_store *h, int number,
                       uint64_t seed, double *x, uint8_t *a)
{
    nnt_history hv = hist_view(h);
    nnt_error e;
    if (smp->propose(smp->ctx, s, &hv, number, seed, x, a, &e) != NNT_OK)
        fail_msg("propose: %s", e.message);
}

/* ==== Options and startup ============================================================ */

static const char *quad_space;

/* n_bad_max: a proposal from a long history equals the one from the good
 * trials plus only the n_bad_max most recent bad ones, in order. */
static void test_tpe_n_bad_max(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(quad_space);
    nnt_tpe_options o = nnt_tpe_options_default();
    o.gamma = 1;
    o.gamma_max = 6; /* 6 good ones in both histories */
    o.n_startup_trials = 5;
    nnt_tpe_options capped = o;
    capped.n_bad_max = 20;
    nnt_sampler a = tpe_make(s, &capped), b = tpe_make(s, &o);
    static hist_store full, cut;
    full.n = cut.n = 0;
    uint8_t act[2] = {1, 1};
    nnt_rng r;
    nnt_rng_seed(&r, 9);
    double x[2], val[80];
    for (int t = 0; t < 80; t++) {
        x[0] = exp(log(1e-5) + nnt_rng_uniform(&r) * (log(1.0) - log(1e-5)));
        x[1] = 2 + (int)(nnt_rng_uniform(&r) * 2000);
        val[t] = t < 6 ? -1.0 - t : nnt_rng_uniform(&r); /* trials 0-5 are the good ones */
        hist_add(&full, x, act, 2, NNT_TRIAL_COMPLETE, val[t]);
    }
    for (int t = 0; t < 80; t++)
        if (t < 6 || t >= 80 - 20) hist_add(&cut, full.x[t], act, 2, NNT_TRIAL_COMPLETE, val[t]);
    double xa[2], xb[2], xc[2];
    uint8_t aa[2], ab[2], ac[2];
    propose_ok(&a, s, &full, 80, 77, xa, aa);
    propose_ok(&b, s, &cut, 80, 77, xb, ab);
    assert_memory_equal(xa, xb, sizeof xa);
    /* and it differs from using them all */
    propose_ok(&b, s, &full, 80, 77, xc, ac);
    assert_true(memcmp(xa, xc, sizeof xa) != 0);
    o.n_bad_max = -1;
    nnt_sampler bad;
    nnt_error e;
    assert_int_equal(nnt_sampler_tpe_create(s, &o, &bad, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "tpe: n_bad_max -1: expected >= 0 (0: all)");
    nnt_sampler_free(&a);
    nnt_sampler_free(&b);
    nnt_space_free(s);
}

static const char *quad_space =
    "{\"lr\": {\"type\": \"float\", \"low\": 1e-5, \"high\": 1, \"log\": true},"
    " \"neurons\": {\"type\": \"int\", \"low\": 2, \"high\": 2048, \"log\": true}}";

static void test_tpe_options(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(quad_space);
    nnt_sampler smp;
    nnt_error e;
    nnt_tpe_options o = nnt_tpe_options_default();
    assert_int_equal(o.n_startup_trials, 10);
    assert_int_equal(o.n_candidates, 24);
    assert_int_equal(o.gamma_max, 25);
    o.n_candidates = 0;
    assert_int_equal(nnt_sampler_tpe_create(s, &o, &smp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "tpe: n_candidates 0: expected >= 1");
    assert_null(smp.name);
    o = nnt_tpe_options_default();
    o.gamma = 1.5;
    assert_int_equal(nnt_sampler_tpe_create(s, &o, &smp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "tpe: gamma 1.5: expected in (0, 1]");
    o = nnt_tpe_options_default();
    o.startup = "grid";
    assert_int_equal(nnt_sampler_tpe_create(s, &o, &smp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "startup sampler \"grid\"");
    /* An invalid space is refused before any trial. */
    assert_int_equal(nnt_space_set_spec(s, "momentum", "0.5:0.9", NULL), NNT_OK);
    assert_int_equal(nnt_space_set_condition(s, "momentum", "optimizer=momentum", NULL), NNT_OK);
    assert_int_equal(nnt_sampler_tpe_create(s, NULL, &smp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "space.momentum.if.optimizer");
    nnt_space_free(s);
}

static void test_tpe_startup_is_sobol(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(quad_space);
    nnt_tpe_options o = nnt_tpe_options_default();
    o.study_seed = 42;
    nnt_sampler tpe = tpe_make(s, &o), sob;
    assert_int_equal(nnt_sampler_create_seeded("sobol", s, 42, &sob, NULL), NNT_OK);
    static hist_store h;
    h.n = 0;
    double x[MAXP], y[MAXP];
    uint8_t a[MAXP], b[MAXP];
    /* Running and failed trials do not count towards the startup trials. */
    for (int t = 0; t < 14; t++) {
        propose_ok(&tpe, s, &h, t, 1000 + t, x, a);
        propose_ok(&sob, s, &h, t, 1000 + t, y, b);
        if (t < 10 + 4) {
            assert_memory_equal(x, y, sizeof(double) * 2);
            assert_memory_equal(a, b, 2);
        }
        nnt_trial_state st = t % 4 == 3 ? NNT_TRIAL_FAILED : NNT_TRIAL_COMPLETE;
        if (t == 5) st = NNT_TRIAL_RUNNING;
        hist_add(&h, x, a, 2, st, st == NNT_TRIAL_COMPLETE ? (double)t : NAN);
    }
    /* 14 trials, 3 failed, 1 running: 10 finished, so TPE takes over. */
    int ng[MAXP], nb[MAXP];
    nnt_history hv = hist_view(&h);
    assert_int_equal(nnt__tpe_observation_counts(&tpe, s, &hv, ng, nb, NULL), NNT_OK);
    assert_int_equal(ng[0], 1);  /* ceil(0.1 * 10) */
    assert_int_equal(nb[0], 10); /* 9 finished + the running one (constant liar) */
    h.n = 13;                     /* 9 finished: still the startup sampler */
    hv = hist_view(&h);
    assert_int_equal(nnt__tpe_observation_counts(&tpe, s, &hv, ng, nb, NULL), NNT_OK);
    assert_int_equal(ng[0] + nb[0], 0);
    nnt_sampler_free(&tpe);
    nnt_sampler_free(&sob);
    nnt_space_free(s);
}

/* ==== Determinism and domains ======================================================== */

static const char *mixed_space =
    "{\"lr\": {\"type\": \"float\", \"low\": 1e-4, \"high\": 0.1, \"log\": true},"
    " \"neurons\": {\"type\": \"int\", \"low\": 50, \"high\": 200, \"log\": true},"
    " \"hidden_layers\": {\"type\": \"int\", \"low\": 1, \"high\": 3},"
    " \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5, \"step\": 0.05},"
    " \"activation\": [\"relu\", \"tanh\", \"sigmoid\"],"
    " \"epochs\": 20}";

static double mixed_value(const double *x)
{
    return pow(log10(x[0]) + 2, 2) + pow(log(x[1] / 120), 2) + 0.3 * fabs(x[2] - 2) +
           4 * pow(x[3] - 0.2, 2) + (x[4] == 1 ? 0 : 0.5);
}

static void check_domain(const double *x, const uint8_t *a)
{
    for (int i = 0; i < 6; i++) assert_int_equal(a[i], 1);
    assert_true(x[0] >= 1e-4 && x[0] <= 0.1);
    assert_true(x[1] >= 50 && x[1] <= 200 && x[1] == floor(x[1]));
    assert_true(x[2] >= 1 && x[2] <= 3 && x[2] == floor(x[2]));
    double k = x[3] / 0.05;
    assert_true(x[3] >= 0 && x[3] <= 0.5 && fabs(k - floor(k + 0.5)) < 1e-9);
    assert_true(x[4] == 0 || x[4] == 1 || x[4] == 2);
    assert_true(x[5] == 0);
}

static void run_mixed(int multivariate)
{
    nnt_space *s = parse_ok(mixed_space);
    assert_int_equal(nnt_space_size(s), 6);
    nnt_tpe_options o = nnt_tpe_options_default();
    o.multivariate = multivariate;
    nnt_sampler tpe = tpe_make(s, &o);
    static hist_store h;
    h.n = 0;
    double x[MAXP], y[MAXP];
    uint8_t a[MAXP], b[MAXP];
    int late_good = 0;
    for (int t = 0; t < 60; t++) {
        propose_ok(&tpe, s, &h, t, nnt_seed_derive(5, (uint64_t)t), x, a);
        check_domain(x, a);
        /* Same inputs, same proposal; another seed, another one. */
        propose_ok(&tpe, s, &h, t, nnt_seed_derive(5, (uint64_t)t), y, b);
        assert_memory_equal(x, y, sizeof(double) * 6);
        propose_ok(&tpe, s, &h, t, nnt_seed_derive(6, (uint64_t)t), y, b);
        if (t >= 10) assert_memory_not_equal(x, y, sizeof(double) * 6);
        double f = mixed_value(x);
        if (t >= 40) late_good += f < 1.0;
        hist_add(&h, x, a, 6, NNT_TRIAL_COMPLETE, f);
    }
    /* A random point has f < 1 with probability ~0.1; TPE's late
     * proposals concentrate there. */
    if (late_good < 8) fail_msg("multivariate=%d: %d of 20 late proposals with f < 1", multivariate,
                                late_good);
    nnt_sampler_free(&tpe);
    nnt_space_free(s);
}

static void test_tpe_domains_and_determinism(void **state)
{
    (void)state;
    run_mixed(0);
    run_mixed(1);
}

/* ==== Ranking ======================================================================== */

static void test_tpe_ranking_pruned_and_running(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(quad_space);
    nnt_tpe_options o = nnt_tpe_options_default();
    o.n_startup_trials = 0;
    o.gamma = 0.5;
    nnt_sampler tpe = tpe_make(s, &o);
    static hist_store h;
    h.n = 0;
    double x[2] = {0.01, 64};
    uint8_t a[2] = {1, 1};
    /* 0..3 complete with values 5, 1, 9, 3; 4..9 pruned. */
    const double vals[4] = {5, 1, 9, 3};
    for (int t = 0; t < 4; t++) hist_add(&h, x, a, 2, NNT_TRIAL_COMPLETE, vals[t]);
    /* pruned: (epochs, last value): a trial that went further ranks first
     * whatever its value; equal epochs rank by the last value. */
    const int ep[6] = {3, 9, 9, 1, 27, 9};
    const double last[6] = {0.1, 7, 2, 0.01, 50, 2.5};
    static double curves[6][27];
    for (int k = 0; k < 6; k++) {
        /* value: the best so far (what a study stores); the rank uses the
         * value at the last epoch. */
        nnt_trial_view *v = hist_add(&h, x, a, 2, NNT_TRIAL_PRUNED, -1);
        v->epochs = ep[k];
        for (int e = 0; e < ep[k]; e++) curves[k][e] = 100;
        curves[k][ep[k] - 1] = last[k];
        v->intermediate = curves[k];
    }
    /* Running and failed trials are never good. */
    hist_add(&h, x, a, 2, NNT_TRIAL_RUNNING, NAN);
    hist_add(&h, x, a, 2, NNT_TRIAL_FAILED, NAN);
    nnt_history hv = hist_view(&h);
    int good[16];
    /* 10 finished, gamma 0.5: 5 good: the 4 complete, then pruned trial 8
     * (27 epochs). */
    int n = nnt__tpe_good_trials(&tpe, &hv, good, 16, NULL);
    assert_int_equal(n, 5);
    const int want5[5] = {0, 1, 2, 3, 8};
    assert_memory_equal(good, want5, sizeof want5);
    nnt_sampler_free(&tpe);
    /* gamma 0.8: 8 good: + trials 6 (9 epochs, 2), 9 (9, 2.5), 5 (9, 7). */
    o.gamma = 0.8;
    tpe = tpe_make(s, &o);
    n = nnt__tpe_good_trials(&tpe, &hv, good, 16, NULL);
    assert_int_equal(n, 8);
    const int want8[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    assert_memory_equal(good, want8, sizeof want8);
    /* gamma 0.1 with the complete values: the single best complete one. */
    nnt_sampler_free(&tpe);
    o.gamma = 0.1;
    tpe = tpe_make(s, &o);
    n = nnt__tpe_good_trials(&tpe, &hv, good, 16, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(good[0], 1);
    /* gamma_max caps the good set. */
    nnt_sampler_free(&tpe);
    o.gamma = 1;
    o.gamma_max = 3;
    tpe = tpe_make(s, &o);
    n = nnt__tpe_good_trials(&tpe, &hv, good, 16, NULL);
    assert_int_equal(n, 3);
    const int want3[3] = {0, 1, 3}; /* values 5, 1, 3 */
    assert_memory_equal(good, want3, sizeof want3);
    nnt_sampler_free(&tpe);
    nnt_space_free(s);
}

/* ==== Conditional parameters ========================================================= */

static const char *cond_space =
    "{\"optimizer\": [\"sgd\", \"momentum\", \"adam\"],"
    " \"momentum\": {\"type\": \"float\", \"low\": 0.5, \"high\": 0.99,"
    "                \"if\": {\"optimizer\": [\"momentum\"]}},"
    " \"lr\": {\"type\": \"float\", \"low\": 1e-5, \"high\": 1, \"log\": true},"
    " \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5}}";

static void test_tpe_conditional_modelled_where_active(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(cond_space);
    int im = nnt_space_find(s, "momentum"), io = nnt_space_find(s, "optimizer");
    assert_true(im >= 0 && io >= 0);
    nnt_tpe_options o = nnt_tpe_options_default();
    o.gamma = 0.25;
    nnt_sampler tpe = tpe_make(s, &o);
    static hist_store h;
    h.n = 0;
    /* 40 trials: optimizer momentum in 16 of them. Good (lowest values):
     * 6 momentum trials with momentum ~0.6 and 4 adam trials; bad: the
     * momentum trials near 0.95 and everything else. */
    double x[MAXP];
    uint8_t a[MAXP];
    int n_mom_good = 0, n_mom_bad = 0;
    for (int t = 0; t < 40; t++) {
        int opt = t < 16 ? 1 : (t % 2 ? 0 : 2);
        x[io] = opt;
        x[im] = NAN;
        x[nnt_space_find(s, "lr")] = 0.01;
        x[nnt_space_find(s, "dropout")] = 0.1;
        double val;
        if (opt == 1 && t < 6) {
            x[im] = 0.58 + 0.008 * t;
            val = 0.1 * t;
            n_mom_good++;
        } else if (opt == 1) {
            x[im] = 0.93 + 0.004 * (t - 6);
            val = 5 + t;
            n_mom_bad++;
        } else {
            val = t < 24 && opt == 2 ? 1 + 0.01 * t : 10 + t;
        }
        assert_int_equal(nnt_space_resolve(s, x, a, NULL), NNT_OK);
        hist_add(&h, x, a, nnt_space_size(s), NNT_TRIAL_COMPLETE, val);
    }
    nnt_history hv = hist_view(&h);
    int ng[MAXP], nb[MAXP];
    assert_int_equal(nnt__tpe_observation_counts(&tpe, s, &hv, ng, nb, NULL), NNT_OK);
    /* 10 good of 40; momentum counts only where it was active. */
    assert_int_equal(ng[io], 10);
    assert_int_equal(nb[io], 30);
    assert_int_equal(ng[im], n_mom_good);
    assert_int_equal(nb[im], n_mom_bad);
    assert_int_equal(ng[im] + nb[im], 16);
    /* Proposals: where momentum is active it comes from its own good trials
     * (~0.6), and it is NAN/inactive elsewhere. */
    int active = 0, near = 0;
    for (int t = 0; t < 200; t++) {
        double y[MAXP];
        uint8_t b[MAXP];
        propose_ok(&tpe, s, &h, 40, nnt_seed_derive(9, (uint64_t)t), y, b);
        if (y[io] == 1) {
            assert_int_equal(b[im], 1);
            active++;
            near += fabs(y[im] - 0.6) < 0.08;
        } else {
            assert_int_equal(b[im], 0);
            assert_true(isnan(y[im]));
        }
    }
    assert_true(active >= 40);
    if (near < active * 8 / 10) fail_msg("momentum near 0.6 in %d of %d", near, active);
    nnt_sampler_free(&tpe);
    nnt_space_free(s);
}

/* ==== Constant liar ================================================================== */

static void test_tpe_constant_liar(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(quad_space);
    for (int mv = 0; mv <= 1; mv++) {
        nnt_tpe_options o = nnt_tpe_options_default();
        o.multivariate = mv;
        nnt_sampler tpe = tpe_make(s, &o);
        static hist_store h;
        h.n = 0;
        double x[MAXP], y[MAXP], z[MAXP];
        uint8_t a[MAXP], b[MAXP], c[MAXP];
        for (int t = 0; t < 30; t++) {
            propose_ok(&tpe, s, &h, t, nnt_seed_derive(3, (uint64_t)t), x, a);
            hist_add(&h, x, a, 2, NNT_TRIAL_COMPLETE,
                     pow(log10(x[0]) + 2, 2) + pow(log2(x[1]) - 7, 2) / 4);
        }
        /* Worker 1 gets trial 30; while it runs, worker 2 asks for trial 31
         * (even with the same seed: the proposal must still move). */
        propose_ok(&tpe, s, &h, 30, 77, x, a);
        hist_add(&h, x, a, 2, NNT_TRIAL_RUNNING, NAN);
        propose_ok(&tpe, s, &h, 31, 77, y, b);
        assert_memory_not_equal(x, y, sizeof(double) * 2);
        /* Without the liar (or with the trial failed) the same seed gives the
         * same point again: the running trial is what moved it. */
        h.v[h.n - 1].state = NNT_TRIAL_FAILED;
        propose_ok(&tpe, s, &h, 31, 77, z, c);
        assert_memory_equal(x, z, sizeof(double) * 2);
        nnt_sampler_free(&tpe);
        o.constant_liar = 0;
        tpe = tpe_make(s, &o);
        h.v[h.n - 1].state = NNT_TRIAL_RUNNING;
        propose_ok(&tpe, s, &h, 31, 77, z, c);
        assert_memory_equal(x, z, sizeof(double) * 2);
        nnt_sampler_free(&tpe);
        /* Several workers in a row: every proposal differs from the running
         * ones. */
        o.constant_liar = 1;
        tpe = tpe_make(s, &o);
        int first = h.n - 1;
        for (int w = 0; w < 6; w++) {
            propose_ok(&tpe, s, &h, h.n, 500, y, b);
            for (int r = first; r < h.n; r++) assert_memory_not_equal(h.x[r], y, sizeof(double) * 2);
            hist_add(&h, y, b, 2, NNT_TRIAL_RUNNING, NAN);
        }
        nnt_sampler_free(&tpe);
    }
    nnt_space_free(s);
}

/* The first proposals of a parallel study see only running trials: nothing
 * has finished, so nothing ranks as good (this once read before a buffer). */
static void test_tpe_only_running_trials(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(quad_space);
    for (int startup = 0; startup <= 10; startup += 10) {
        nnt_tpe_options o = nnt_tpe_options_default();
        o.n_startup_trials = startup;
        nnt_sampler tpe = tpe_make(s, &o);
        static hist_store h;
        h.n = 0;
        double x[MAXP];
        uint8_t a[MAXP];
        for (int t = 0; t < 3; t++) {
            propose_ok(&tpe, s, &h, t, nnt_seed_derive(5, (uint64_t)t), x, a);
            assert_true(x[0] >= 1e-5 && x[0] <= 1);
            hist_add(&h, x, a, 2, NNT_TRIAL_RUNNING, NAN);
        }
        nnt_sampler_free(&tpe);
    }
    nnt_space_free(s);
}

/* ==== TPE against random search ====================================================== */

typedef double (*objective_fn)(const nnt_space *s, const double *x, const uint8_t *a);

static double quad_objective(const nnt_space *s, const double *x, const uint8_t *a)
{
    (void)s;
    (void)a;
    return pow(log10(x[0]) + 2, 2) + pow(log2(x[1]) - 7, 2) / 4;
}

/* The optimizer is a branch: sgd and adam are fixed penalties, momentum
 * is best on average and reaches 0 only with its conditional parameter
 * tuned to 0.9 (4 (m - 0.9)^2 is 0.18 on average over its range). A
 * deceptive variant, where momentum is worse than adam unless well tuned,
 * sometimes locks TPE onto adam (a known TPE trait, docs/tpe-and-pruning.md):
 * it still wins on average over 30 seeds, but 10-seed means are too noisy to
 * assert, so that one is measured, not tested. */
static double cond_objective(const nnt_space *s, const double *x, const uint8_t *a)
{
    int io = nnt_space_find(s, "optimizer"), im = nnt_space_find(s, "momentum");
    int il = nnt_space_find(s, "lr");
    double f = pow(log10(x[il]) + 2.5, 2);
    int opt = (int)x[io];
    if (opt == 0) f += 1.2;
    else if (opt == 2) f += 0.6;
    else {
        assert_int_equal(a[im], 1);
        f += 4 * pow(x[im] - 0.9, 2);
    }
    return f;
}

/* Runs one study of n trials; returns the noise-free objective of the trial
 * with the best (noisy) value. */
static double run_study(const nnt_space *s, const char *sampler, int multivariate,
                        uint64_t study_seed, int n, objective_fn f, double noise)
{
    static hist_store h;
    h.n = 0;
    nnt_sampler smp;
    if (strcmp(sampler, "tpe") == 0) {
        nnt_tpe_options o = nnt_tpe_options_default();
        o.study_seed = study_seed;
        o.multivariate = multivariate;
        smp = tpe_make(s, &o);
    } else {
        assert_int_equal(nnt_sampler_create_seeded(sampler, s, study_seed, &smp, NULL), NNT_OK);
    }
    double best_noisy = INFINITY, best_true = NAN;
    for (int t = 0; t < n; t++) {
        double x[MAXP];
        uint8_t a[MAXP];
        uint64_t seed = nnt_seed_derive(study_seed, (uint64_t)t);
        propose_ok(&smp, s, &h, t, seed, x, a);
        double truth = f(s, x, a);
        nnt_rng r;
        nnt_rng_seed(&r, seed ^ 0xABCDEFull); /* the noise: the same for both samplers */
        double val = truth + noise * nnt_rng_normal(&r);
        if (val < best_noisy) {
            best_noisy = val;
            best_true = truth;
        }
        hist_add(&h, x, a, nnt_space_size(s), NNT_TRIAL_COMPLETE, val);
    }
    nnt_sampler_free(&smp);
    return best_true;
}

static void compare(const char *what, const char *space_json, objective_fn f, double noise,
                    double min_ratio)
{
    nnt_space *s = parse_ok(space_json);
    int seeds = 10, n = 60;
    double sum_rand = 0, sum_tpe = 0, sum_mv = 0;
    for (int k = 0; k < seeds; k++) {
        uint64_t seed = 1000 + (uint64_t)k;
        sum_rand += run_study(s, "random", 0, seed, n, f, noise);
        sum_tpe += run_study(s, "tpe", 0, seed, n, f, noise);
        sum_mv += run_study(s, "tpe", 1, seed, n, f, noise);
    }
    double r = sum_rand / seeds, t = sum_tpe / seeds, m = sum_mv / seeds;
    printf("%s: mean best over %d seeds x %d trials: random %.4f, tpe %.4f (x%.1f), "
           "tpe multivariate %.4f (x%.1f)\n",
           what, seeds, n, r, t, r / t, m, r / m);
    /* The asserted margin: TPE's mean best is at most 1/min_ratio of random's. */
    if (!(t * min_ratio <= r)) fail_msg("%s: tpe %.4f not %.1fx better than random %.4f", what, t,
                                        min_ratio, r);
    if (!(m * min_ratio <= r))
        fail_msg("%s: multivariate tpe %.4f not %.1fx better than random %.4f", what, m, min_ratio,
                 r);
    nnt_space_free(s);
}

static void test_tpe_beats_random_quadratic(void **state)
{
    (void)state;
    compare("quadratic in log lr and log width", quad_space, quad_objective, 0.1, 2.0);
}

static void test_tpe_beats_random_conditional(void **state)
{
    (void)state;
    compare("conditional (optimizer, momentum)", cond_space, cond_objective, 0.05, 2.0);
}

/* ==== Out of memory ================================================================== */

static void test_tpe_out_of_memory(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(cond_space);
    for (int mv = 0; mv <= 1; mv++) {
        nnt_tpe_options o = nnt_tpe_options_default();
        o.multivariate = mv;
        static hist_store h;
        h.n = 0;
        nnt_sampler tpe = tpe_make(s, &o);
        double x[MAXP], y[MAXP];
        uint8_t a[MAXP], b[MAXP];
        for (int t = 0; t < 30; t++) {
            propose_ok(&tpe, s, &h, t, (uint64_t)t, x, a);
            hist_add(&h, x, a, nnt_space_size(s), NNT_TRIAL_COMPLETE, (double)(t % 7));
        }
        propose_ok(&tpe, s, &h, 30, 99, x, a);
        /* Every allocation of a proposal may fail: a clean NNT_ERR_NOMEM
         * (ASan checks nothing leaks), and the same proposal once memory
         * is back. */
        int rc = NNT_ERR_NOMEM, k = 0;
        for (; rc != NNT_OK && k < 200; k++) {
            nnt_history hv = hist_view(&h);
            nnt_error e;
            nnt__alloc_fail_after(k);
            rc = tpe.propose(tpe.ctx, s, &hv, 30, 99, y, b, &e);
            nnt__alloc_fail_after(-1);
            if (rc != NNT_OK) {
                assert_int_equal(rc, NNT_ERR_NOMEM);
                tu_assert_contains(e.message, "tpe: out of memory");
            }
        }
        assert_int_equal(rc, NNT_OK);
        assert_true(k > 3);
        assert_memory_equal(x, y, sizeof(double) * (size_t)nnt_space_size(s));
        nnt_sampler_free(&tpe);
        /* Creation too. */
        for (k = 0, rc = NNT_ERR_NOMEM; rc != NNT_OK && k < 100; k++) {
            nnt__alloc_fail_after(k);
            rc = nnt_sampler_tpe_create(s, &o, &tpe, NULL);
            nnt__alloc_fail_after(-1);
            if (rc != NNT_OK) assert_null(tpe.name);
        }
        assert_int_equal(rc, NNT_OK);
        nnt_sampler_free(&tpe);
    }
    nnt_space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tpe_options),
        cmocka_unit_test(test_tpe_n_bad_max),
        cmocka_unit_test(test_tpe_startup_is_sobol),
        cmocka_unit_test(test_tpe_domains_and_determinism),
        cmocka_unit_test(test_tpe_ranking_pruned_and_running),
        cmocka_unit_test(test_tpe_conditional_modelled_where_active),
        cmocka_unit_test(test_tpe_constant_liar),
        cmocka_unit_test(test_tpe_only_running_trials),
        cmocka_unit_test(test_tpe_beats_random_quadratic),
        cmocka_unit_test(test_tpe_beats_random_conditional),
        cmocka_unit_test(test_tpe_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
