/* Pruners: the median stopping rule (warm-up, startup trials, best-so-far
 * medians), ASHA on hand-made learning curves (every decision asserted, and a
 * whole asynchronous run), Hyperband's brackets against the paper's table and
 * its dealing of trials to brackets, and the pruner table. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/nntune.h"
#include "nntune/prune.h"

#define MAXT 64
#define MAXE 100

/* Trials with learning curves (oriented: lower is better). */
typedef struct curves {
    int n;
    double c[MAXT][MAXE];
    nnt_trial_view v[MAXT];
    double x0[MAXT];
    uint8_t a0[MAXT];
} curves;

static nnt_trial_view *add(curves *h, int number, nnt_trial_state st, const double *vals, int n)
{
    assert_true(h->n < MAXT && n <= MAXE);
    int t = h->n++;
    memcpy(h->c[t], vals, (size_t)n * sizeof *vals);
    nnt_trial_view *v = &h->v[t];
    memset(v, 0, sizeof *v);
    v->number = number;
    v->state = st;
    v->x = &h->x0[t];
    v->active = &h->a0[t];
    v->epochs = n;
    v->intermediate = h->c[t];
    double best = INFINITY;
    for (int k = 0; k < n; k++)
        if (vals[k] < best) best = vals[k];
    v->value = st == NNT_TRIAL_RUNNING ? NAN : best;
    return v;
}

/* A flat curve of n epochs. */
static nnt_trial_view *add_flat(curves *h, int number, nnt_trial_state st, double val, int n)
{
    double vals[MAXE];
    for (int k = 0; k < n; k++) vals[k] = val;
    return add(h, number, st, vals, n);
}

static int ask(const nnt_pruner *p, curves *h, int number, int epoch, double value)
{
    nnt_history hv = {h->v, h->n};
    int r = p->should_prune(p->ctx, &hv, number, epoch, value);
    assert_true(r == 0 || r == NNT_PRUNED);
    return r == NNT_PRUNED;
}

/* ==== Median rule ===================================================================== */

static void test_median_rule(void **state)
{
    (void)state;
    nnt_pruner p;
    assert_int_equal(nnt_pruner_median_create(NULL, &p, NULL), NNT_OK);
    assert_string_equal(p.name, "median");
    static curves h;
    h.n = 0;
    /* Four complete trials: c_k(e) = base_k + 1/e, 10 epochs. */
    const double base[6] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    for (int k = 0; k < 4; k++) {
        double vals[10];
        for (int e = 1; e <= 10; e++) vals[e - 1] = base[k] + 1.0 / e;
        add(&h, k, NNT_TRIAL_COMPLETE, vals, 10);
    }
    /* Pruned and running trials, however good, are not in the median nor
     * count as startup trials. */
    add_flat(&h, 20, NNT_TRIAL_PRUNED, 0.0, 6);
    add_flat(&h, 21, NNT_TRIAL_RUNNING, 0.0, 8);
    add_flat(&h, 22, NNT_TRIAL_FAILED, 0.0, 8);
    /* Only 4 complete trials (< n_startup_trials 5): never prune. */
    assert_false(ask(&p, &h, 30, 4, 100));
    assert_false(ask(&p, &h, 30, 10, 100));
    double vals[10];
    for (int e = 1; e <= 10; e++) vals[e - 1] = base[4] + 1.0 / e;
    add(&h, 4, NNT_TRIAL_COMPLETE, vals, 10);
    /* Epoch 4: others' best so far = base + 0.25 -> median 0.55. */
    assert_true(ask(&p, &h, 30, 4, 0.6));
    assert_false(ask(&p, &h, 30, 4, 0.55)); /* not strictly worse */
    assert_false(ask(&p, &h, 30, 4, 0.5));
    assert_true(ask(&p, &h, 30, 4, NAN)); /* NaN is the worst */
    /* Warm-up: epochs 1..3 never prune. */
    for (int e = 1; e <= 3; e++) assert_false(ask(&p, &h, 30, e, 100));
    /* The judged trial counts with its best so far (from the history). */
    const double cur[4] = {0.9, 0.4, 0.9, 0.9};
    add(&h, 30, NNT_TRIAL_RUNNING, cur, 4);
    assert_false(ask(&p, &h, 30, 4, 0.9)); /* best 0.4 < 0.55 */
    h.n--;
    const double cur2[4] = {0.9, 0.7, 0.9, 0.9};
    add(&h, 30, NNT_TRIAL_RUNNING, cur2, 3); /* history without epoch 4 yet */
    assert_true(ask(&p, &h, 30, 4, 0.9));     /* best 0.7 > 0.55 */
    assert_false(ask(&p, &h, 30, 4, 0.5));    /* this epoch's value counts */
    h.n--;
    /* Epoch 10: medians of base + 0.1 = 0.4. */
    assert_true(ask(&p, &h, 30, 10, 0.41));
    assert_false(ask(&p, &h, 30, 10, 0.4));
    /* A complete trial that stopped early (2 epochs) counts with its best:
     * six values {0.35, 0.45, 0.55, 0.65, 0.75, 0.3} at epoch 4 -> median of
     * the middle two (0.45 + 0.55) / 2 = 0.5. */
    const double early[2] = {0.8, 0.3};
    add(&h, 5, NNT_TRIAL_COMPLETE, early, 2);
    assert_true(ask(&p, &h, 30, 4, 0.51));
    assert_false(ask(&p, &h, 30, 4, 0.5));
    nnt_pruner_free(&p);

    /* Options: no warm-up and 1 startup trial. */
    nnt_median_options o = nnt_median_options_default();
    assert_int_equal(o.n_startup_trials, 5);
    assert_int_equal(o.n_warmup_epochs, 3);
    o.n_startup_trials = 1;
    o.n_warmup_epochs = 0;
    assert_int_equal(nnt_pruner_median_create(&o, &p, NULL), NNT_OK);
    h.n = 0;
    add_flat(&h, 0, NNT_TRIAL_COMPLETE, 0.5, 5);
    assert_true(ask(&p, &h, 1, 1, 0.6));
    assert_false(ask(&p, &h, 1, 1, 0.4));
    /* The trial itself is never its own reference. */
    assert_false(ask(&p, &h, 0, 1, 0.6));
    nnt_pruner_free(&p);
    o.n_warmup_epochs = -1;
    nnt_error e;
    assert_int_equal(nnt_pruner_median_create(&o, &p, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "n_warmup_epochs -1");
    assert_null(p.should_prune);
}

/* ==== ASHA ============================================================================= */

static void test_asha_decisions(void **state)
{
    (void)state;
    nnt_pruner p;
    assert_int_equal(nnt_pruner_asha_create(NULL, &p, NULL), NNT_OK);
    assert_string_equal(p.name, "asha");
    static curves h;
    h.n = 0;
    /* Rung 1 with fewer than eta = 3 results: go on only while leading. */
    assert_false(ask(&p, &h, 0, 1, 0.5)); /* alone at the rung */
    add_flat(&h, 0, NNT_TRIAL_RUNNING, 0.5, 1);
    assert_true(ask(&p, &h, 1, 1, 0.7));
    assert_false(ask(&p, &h, 1, 1, 0.5)); /* a tie is promoted */
    assert_false(ask(&p, &h, 1, 1, 0.4));
    /* Between rungs nothing is decided. */
    assert_false(ask(&p, &h, 1, 2, 100));
    assert_false(ask(&p, &h, 1, 4, 100));
    assert_false(ask(&p, &h, 1, 8, 100));
    /* Six results at rung 1: {0.5, 0.7, 0.4, 0.9, 0.6, 0.8}; with the new
     * one m = 7, top floor(7/3) = 2. */
    const double r1[5] = {0.7, 0.4, 0.9, 0.6, 0.8};
    for (int k = 0; k < 5; k++) add_flat(&h, k + 1, NNT_TRIAL_PRUNED, r1[k], 1);
    assert_false(ask(&p, &h, 6, 1, 0.45)); /* 2nd best */
    assert_false(ask(&p, &h, 6, 1, 0.5));  /* ties the 2nd best */
    assert_true(ask(&p, &h, 6, 1, 0.55));
    assert_false(ask(&p, &h, 6, 1, 0.1));
    assert_true(ask(&p, &h, 6, 1, NAN));
    /* Rung 3 scores each trial by its best value up to epoch 3, and only
     * trials that reached epoch 3 compete. */
    h.n = 0;
    const double a[5] = {0.9, 0.3, 0.8, 0.8, 0.8}; /* best by 3: 0.3 */
    const double b[5] = {0.5, 0.5, 0.5, 0.1, 0.1}; /* best by 3: 0.5 */
    const double c[3] = {0.6, 0.6, 0.6};
    add(&h, 0, NNT_TRIAL_COMPLETE, a, 5);
    add(&h, 1, NNT_TRIAL_RUNNING, b, 5);
    add(&h, 2, NNT_TRIAL_PRUNED, c, 3);
    add_flat(&h, 3, NNT_TRIAL_COMPLETE, 0.0, 2); /* stopped before rung 3 */
    /* m = 4 with the new trial: top 1 -> must beat 0.3 */
    assert_true(ask(&p, &h, 4, 3, 0.35));
    assert_false(ask(&p, &h, 4, 3, 0.3));
    /* The judged trial's own earlier epochs count (best so far). */
    const double d[2] = {0.2, 0.9};
    add(&h, 4, NNT_TRIAL_RUNNING, d, 2);
    assert_false(ask(&p, &h, 4, 3, 0.9)); /* best by 3 = 0.2 */
    nnt_pruner_free(&p);

    /* max_resource: no rung at or after it; min_resource moves the rungs. */
    nnt_asha_options o = nnt_asha_options_default();
    assert_int_equal(o.min_resource, 1);
    assert_int_equal(o.eta, 3);
    o.min_resource = 2;
    o.eta = 2;
    o.max_resource = 16;
    assert_int_equal(nnt_pruner_asha_create(&o, &p, NULL), NNT_OK);
    h.n = 0;
    add_flat(&h, 0, NNT_TRIAL_COMPLETE, 0.1, 20);
    add_flat(&h, 1, NNT_TRIAL_COMPLETE, 0.2, 20);
    for (int e = 1; e <= 20; e++) {
        int rung = e == 2 || e == 4 || e == 8;
        assert_int_equal(ask(&p, &h, 2, e, 0.5), rung);
    }
    nnt_pruner_free(&p);
    o.eta = 1;
    nnt_error e;
    assert_int_equal(nnt_pruner_asha_create(&o, &p, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "asha pruner: eta 1: expected >= 2");
}

/* Runs trials one after another (each to its end or its pruning) with the
 * given flat-or-not curves; returns the epoch where each stopped. Trials
 * before the current one are in the history as complete or pruned; the
 * current one as running with its curve so far (as a study shows it). */
static void simulate(const nnt_pruner *p, const double (*curve)[9], int n, int max_epochs,
                     int *stopped)
{
    static curves h;
    h.n = 0;
    for (int t = 0; t < n; t++) {
        int e = 1;
        for (; e <= max_epochs; e++) {
            nnt_trial_view *v = add(&h, t, NNT_TRIAL_RUNNING, curve[t], e);
            (void)v;
            nnt_history hv = {h.v, h.n};
            int r = p->should_prune(p->ctx, &hv, t, e, curve[t][e - 1]);
            h.n--;
            if (r == NNT_PRUNED) break;
        }
        stopped[t] = e > max_epochs ? max_epochs : e;
        add(&h, t, e > max_epochs ? NNT_TRIAL_COMPLETE : NNT_TRIAL_PRUNED, curve[t], stopped[t]);
    }
}

static void test_asha_run(void **state)
{
    (void)state;
    /* eta 3, rungs at 1 and 3 (max_resource 9). Flat curves but for trial 9,
     * which is good at epoch 1 and worse afterwards. */
    double curve[10][9];
    const double flat[9] = {0.5, 0.7, 0.4, 0.9, 0.6, 0.3, 0.8, 0.45, 0.2};
    for (int t = 0; t < 9; t++)
        for (int e = 0; e < 9; e++) curve[t][e] = flat[t];
    const double late[9] = {0.35, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    memcpy(curve[9], late, sizeof late);
    nnt_asha_options o = nnt_asha_options_default();
    o.max_resource = 9;
    nnt_pruner p;
    assert_int_equal(nnt_pruner_asha_create(&o, &p, NULL), NNT_OK);
    int stopped[10];
    simulate(&p, (const double(*)[9])curve, 10, 9, stopped);
    /* By hand:
     * t0 0.5: alone at rungs 1 and 3 -> runs to 9.
     * t1 0.7: rung 1 {0.5, 0.7}, 2 < eta and not leading -> stops at 1.
     * t2 0.4: rung 1 m=3, top 1 = 0.4 -> on; rung 3 {0.5, 0.4} leading -> 9.
     * t3 0.9, t4 0.6: rung 1 m=4, 5: top 1 = 0.4 -> stop at 1.
     * t5 0.3: rung 1 m=6, top 2 (0.3, 0.4) -> on; rung 3 m=3, top 1 = 0.3 -> 9.
     * t6 0.8: rung 1 m=7, top 2 (0.3, 0.4) -> stop.
     * t7 0.45: rung 1 m=8, top 2 (0.3, 0.4) -> stop.
     * t8 0.2: rung 1 m=9, top 3 -> on; rung 3 m=4, top 1 = 0.2 -> 9.
     * t9: rung 1 0.35, m=10, top 3 (0.2, 0.3, 0.35) -> on; rung 3 best so far
     *     0.35, m=5 top 1 = 0.2 -> stop at 3. */
    const int want[10] = {9, 1, 9, 1, 1, 9, 1, 1, 9, 3};
    for (int t = 0; t < 10; t++)
        if (stopped[t] != want[t]) fail_msg("trial %d stopped at %d, expected %d", t, stopped[t], want[t]);
    nnt_pruner_free(&p);
}

/* ==== Hyperband ======================================================================= */

static void test_hyperband_brackets(void **state)
{
    (void)state;
    nnt_hyperband_options o = nnt_hyperband_options_default();
    assert_int_equal(o.max_resource, 81);
    assert_int_equal(o.eta, 3);
    nnt_hyperband_bracket br[NNT_HYPERBAND_MAX_BRACKETS];
    assert_int_equal(nnt_hyperband_brackets(&o, br, NNT_HYPERBAND_MAX_BRACKETS), 5);
    /* Li et al. 2018, Table 1 (R = 81, eta = 3): n_i and r_i per rung. */
    const long n[5][5] = {{81, 27, 9, 3, 1}, {34, 11, 3, 1}, {15, 5, 1}, {8, 2}, {5}};
    const int r[5][5] = {{1, 3, 9, 27, 81}, {3, 9, 27, 81}, {9, 27, 81}, {27, 81}, {81}};
    for (int b = 0; b < 5; b++) {
        assert_int_equal(br[b].s, 4 - b);
        assert_int_equal(br[b].n_rungs, 5 - b);
        for (int i = 0; i < br[b].n_rungs; i++) {
            assert_int_equal(br[b].n[i], n[b][i]);
            assert_int_equal(br[b].r[i], r[b][i]);
        }
    }
    assert_int_equal(nnt_hyperband_brackets(&o, br, 4), NNT_ERR_ARG);
    /* R = 27, eta = 3: s_max = 3; n = ceil(4/(s+1) 3^s) = 27, 12, 6, 4. */
    o.max_resource = 27;
    assert_int_equal(nnt_hyperband_brackets(&o, br, NNT_HYPERBAND_MAX_BRACKETS), 4);
    assert_int_equal(br[0].n[0], 27);
    assert_int_equal(br[1].n[0], 12);
    assert_int_equal(br[2].n[0], 6);
    assert_int_equal(br[3].n[0], 4);
    assert_int_equal(br[1].r[0], 3);
    /* Epoch budgets that are not powers of eta round to whole epochs. */
    o.max_resource = 30;
    assert_int_equal(nnt_hyperband_brackets(&o, br, NNT_HYPERBAND_MAX_BRACKETS), 4);
    const int r30[4] = {1, 3, 10, 30};
    for (int i = 0; i < 4; i++) assert_int_equal(br[0].r[i], r30[i]);
    o.eta = 1;
    assert_int_equal(nnt_hyperband_brackets(&o, br, NNT_HYPERBAND_MAX_BRACKETS), NNT_ERR_ARG);
}

static void test_hyperband_dealing(void **state)
{
    (void)state;
    nnt_hyperband_options o = nnt_hyperband_options_default();
    /* Any 143 consecutive trial numbers fill the brackets with 81, 34, 15, 8
     * and 5 trials. */
    const int want[5] = {81, 34, 15, 8, 5};
    for (int start = 0; start <= 1000; start += 500) {
        int count[5] = {0};
        for (int t = start; t < start + 143; t++) {
            int b = nnt_hyperband_bracket_of(&o, t);
            assert_true(b >= 0 && b < 5);
            count[b]++;
        }
        assert_memory_equal(count, want, sizeof want);
    }
    /* Interleaved, not in blocks: the first five trials already span three
     * brackets, and every bracket has a trial among the first 30. */
    int seen[5] = {0}, distinct = 0;
    for (int t = 0; t < 30; t++) {
        int b = nnt_hyperband_bracket_of(&o, t);
        if (t < 5 && !seen[b]) distinct++;
        seen[b] = 1;
    }
    assert_true(distinct >= 3);
    for (int b = 0; b < 5; b++) assert_true(seen[b]);
    assert_true(nnt_hyperband_bracket_of(&o, -1) < 0);
}

static void test_hyperband_decisions(void **state)
{
    (void)state;
    nnt_hyperband_options o = nnt_hyperband_options_default();
    nnt_pruner p;
    assert_int_equal(nnt_pruner_hyperband_create(&o, &p, NULL), NNT_OK);
    assert_string_equal(p.name, "hyperband");
    /* Trial numbers per bracket. */
    int of[5][8], cnt[5] = {0};
    for (int t = 0; t < 200; t++) {
        int b = nnt_hyperband_bracket_of(&o, t);
        if (cnt[b] < 8) of[b][cnt[b]++] = t;
    }
    static curves h;
    h.n = 0;
    /* Bracket s=4 (rungs 1, 3, 9, 27): two same-bracket trials better at
     * epoch 1 -> m = 3, top 1: a worse one stops. */
    add_flat(&h, of[0][0], NNT_TRIAL_COMPLETE, 0.2, 81);
    add_flat(&h, of[0][1], NNT_TRIAL_PRUNED, 0.3, 1);
    assert_true(ask(&p, &h, of[0][2], 1, 0.5));
    assert_false(ask(&p, &h, of[0][2], 1, 0.1));
    assert_false(ask(&p, &h, of[0][2], 2, 0.9)); /* not a rung */
    assert_true(ask(&p, &h, of[0][2], 3, 0.5));  /* rung 3: {0.2} + me, not leading */
    assert_false(ask(&p, &h, of[0][2], 81, 9));  /* the last rung: no decision */
    /* Trials of other brackets are not competitors: in bracket s=3 (rungs 3,
     * 9, 27) the same curve is alone at rung 3 and goes on; at epoch 1 there
     * is no rung. */
    assert_false(ask(&p, &h, of[1][0], 1, 0.5));
    assert_false(ask(&p, &h, of[1][0], 3, 0.5));
    add_flat(&h, of[1][1], NNT_TRIAL_COMPLETE, 0.1, 81);
    assert_true(ask(&p, &h, of[1][0], 3, 0.5));
    assert_false(ask(&p, &h, of[1][0], 3, 0.1));
    /* Bracket s=0 runs every trial to R: never pruned. */
    add_flat(&h, of[4][0], NNT_TRIAL_COMPLETE, 0.01, 81);
    for (int e = 1; e <= 81; e++) assert_false(ask(&p, &h, of[4][1], e, 100));
    nnt_pruner_free(&p);
    o.max_resource = 0;
    nnt_error e;
    assert_int_equal(nnt_pruner_hyperband_create(&o, &p, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "max_resource 0: expected >= min_resource (1)");
}

/* ==== The table ====================================================================== */

static void test_pruner_create(void **state)
{
    (void)state;
    nnt_pruner p;
    nnt_error e;
    assert_int_equal(nnt_pruner_create("none", 0, &p, NULL), NNT_OK);
    assert_null(p.should_prune);
    assert_null(p.name);
    nnt_pruner_free(&p);
    const char *names[3] = {"median", "asha", "hyperband"};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(nnt_pruner_create(names[k], 30, &p, NULL), NNT_OK);
        assert_string_equal(p.name, names[k]);
        assert_non_null(p.should_prune);
        nnt_pruner_free(&p);
        assert_null(p.ctx);
    }
    assert_int_equal(nnt_pruner_create("sha", 0, &p, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "pruner \"sha\": unknown; expected none, median, asha or hyperband");
    /* max_epochs sets Hyperband's R: with 30 epochs bracket s=3 starts at
     * round(30/27) = 1 epoch, and a trial dealt to it is judged at epoch 1. */
    assert_int_equal(nnt_pruner_create("hyperband", 30, &p, NULL), NNT_OK);
    static curves h;
    h.n = 0;
    nnt_hyperband_options o = nnt_hyperband_options_default();
    o.max_resource = 30;
    int t0 = -1, t1 = -1, t2 = -1;
    for (int t = 0; t < 100 && t2 < 0; t++) {
        if (nnt_hyperband_bracket_of(&o, t) != 0) continue;
        if (t0 < 0) t0 = t;
        else if (t1 < 0) t1 = t;
        else t2 = t;
    }
    add_flat(&h, t0, NNT_TRIAL_COMPLETE, 0.2, 30);
    add_flat(&h, t1, NNT_TRIAL_COMPLETE, 0.3, 30);
    assert_true(ask(&p, &h, t2, 1, 0.5));
    assert_false(ask(&p, &h, t2, 30, 0.5));
    nnt_pruner_free(&p);
    nnt_pruner_free(NULL);
    /* ASHA with max_epochs: no rung at the last epoch. */
    assert_int_equal(nnt_pruner_create("asha", 9, &p, NULL), NNT_OK);
    h.n = 0;
    add_flat(&h, 0, NNT_TRIAL_COMPLETE, 0.1, 9);
    assert_true(ask(&p, &h, 1, 3, 0.5));
    assert_false(ask(&p, &h, 1, 9, 0.5));
    nnt_pruner_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median_rule),
        cmocka_unit_test(test_asha_decisions),
        cmocka_unit_test(test_asha_run),
        cmocka_unit_test(test_hyperband_brackets),
        cmocka_unit_test(test_hyperband_dealing),
        cmocka_unit_test(test_hyperband_decisions),
        cmocka_unit_test(test_pruner_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
