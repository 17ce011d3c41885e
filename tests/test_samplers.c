/* Samplers: grid cells (count, contents, order, conditions, resuming), random
 * draws (bounds, integers, steps, distributions, reproducibility, conditions)
 * and the Sobol sequence (known points, stratification, scrambling). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/nntune.h"
#include "tune/sampler_internal.h"

#define MAXP 16

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
    double x[4096][MAXP];
    uint8_t a[4096][MAXP];
    nnt_trial_view v[4096];
} hist_store;

static void hist_add(hist_store *h, const double *x, const uint8_t *a, int n, nnt_trial_state st,
                     int retry)
{
    int t = h->n++;
    memcpy(h->x[t], x, (size_t)n * sizeof *x);
    memcpy(h->a[t], a, (size_t)n);
    memset(&h->v[t], 0, sizeof h->v[t]);
    h->v[t].number = t;
    h->v[t].state = st;
    h->v[t].x = h->x[t];
    h->v[t].active = h->a[t];
    h->v[t].value = NAN;
    h->v[t].retry = retry;
}

static nnt_history hist_view(hist_store *h)
{
    nnt_history r = {h->v, h->n};
    return r;
}

/* ==== Grid ============================================================================ */

static const char *cond_space =
    "{\"hidden_layers\": {\"type\": \"int\", \"low\": 1, \"high\": 2},"
    " \"neurons_1\": [16, 32, 64],"
    " \"neurons_2\": {\"type\": \"categorical\", \"choices\": [8, 16],"
    "                 \"if\": {\"hidden_layers\": {\"min\": 2}}},"
    " \"lr\": 0.01}";

static void test_grid_cells_with_conditions(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(cond_space);
    /* hidden 1: |n1| cells; hidden 2: |n1| x |n2| cells. */
    assert_int_equal(nnt_grid_size(s), 3 + 3 * 2);
    nnt_sampler g;
    nnt_error e;
    assert_int_equal(nnt_sampler_create("grid", s, &g, &e), NNT_OK);
    assert_string_equal(g.name, "grid");
    static hist_store h;
    h.n = 0;
    /* Expected cells in order: (hidden_layers, neurons_1 index, neurons_2 index or -1). */
    const int expect[9][3] = {{1, 0, -1}, {1, 1, -1}, {1, 2, -1}, {2, 0, 0}, {2, 0, 1},
                              {2, 1, 0},  {2, 1, 1},  {2, 2, 0},  {2, 2, 1}};
    double x[MAXP];
    uint8_t a[MAXP];
    for (int t = 0; t < 9; t++) {
        nnt_history hv = hist_view(&h);
        assert_int_equal(g.propose(g.ctx, s, &hv, t, 0, x, a, &e), NNT_OK);
        assert_true(a[0] && a[1] && a[3]);
        assert_true(x[0] == expect[t][0]);
        assert_true(x[1] == expect[t][1]);
        assert_true(x[3] == 0);
        if (expect[t][2] < 0) {
            assert_int_equal(a[2], 0);
            assert_true(isnan(x[2]));
        } else {
            assert_int_equal(a[2], 1);
            assert_true(x[2] == expect[t][2]);
        }
        hist_add(&h, x, a, 4, NNT_TRIAL_RUNNING, 0);
    }
    nnt_history hv = hist_view(&h);
    assert_int_equal(g.propose(g.ctx, s, &hv, 9, 0, x, a, &e), NNT_ERR_NOT_FOUND);
    tu_assert_contains(e.message, "grid: all 9 cells have been taken");
    nnt_sampler_free(&g);
    assert_null(g.ctx);
    nnt_sampler_free(&g); /* twice is harmless */
    nnt_space_free(s);
}

static void test_grid_values(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(
        "{\"lr\": {\"low\": 1e-4, \"high\": 1, \"log\": true, \"points\": 5},"
        " \"neurons\": {\"low\": 10, \"high\": 20, \"points\": 4},"
        " \"hidden_layers\": {\"low\": 0, \"high\": 3},"
        " \"weight_decay\": {\"low\": 0, \"high\": 1, \"step\": 0.25},"
        " \"dropout\": {\"low\": 0, \"high\": 0.6, \"step\": 0.1, \"points\": 3},"
        " \"batch_size\": {\"low\": 1, \"high\": 3, \"points\": 7}}");
    /* lr 5 x neurons {10,13,17,20} x hidden {0,2,3} x wd 5 x dropout {0,0.3,0.6} x bs {1,2,3} */
    size_t expect_total = 5 * 4 * 3 * 5 * 3 * 3;
    assert_int_equal(nnt_grid_size(s), expect_total);
    nnt_sampler g;
    assert_int_equal(nnt_sampler_create("grid", s, &g, NULL), NNT_OK);
    static hist_store h;
    h.n = 0;
    double seen[6][8];
    int nseen[6] = {0};
    double x[MAXP];
    uint8_t a[MAXP];
    for (size_t t = 0; t < expect_total; t++) {
        nnt_history hv = hist_view(&h);
        assert_int_equal(g.propose(g.ctx, s, &hv, (int)t, 0, x, a, NULL), NNT_OK);
        for (int i = 0; i < 6; i++) {
            int k;
            for (k = 0; k < nseen[i]; k++)
                if (seen[i][k] == x[i]) break;
            if (k == nseen[i]) {
                assert_true(nseen[i] < 8);
                seen[i][nseen[i]++] = x[i];
            }
        }
        hist_add(&h, x, a, 6, NNT_TRIAL_COMPLETE, 0);
    }
    nnt_history hv = hist_view(&h);
    assert_int_equal(g.propose(g.ctx, s, &hv, 0, 0, x, a, NULL), NNT_ERR_NOT_FOUND);
    /* Values per parameter, in the order they first appear (ascending). */
    assert_int_equal(nseen[0], 5);
    for (int k = 0; k < 5; k++)
        assert_true(fabs(log10(seen[0][k]) - (-4 + k)) < 1e-12);
    assert_true(seen[0][0] == 1e-4 && seen[0][4] == 1); /* ends exact */
    const double neurons[] = {10, 13, 17, 20};
    assert_int_equal(nseen[1], 4);
    for (int k = 0; k < 4; k++) assert_true(seen[1][k] == neurons[k]);
    const double hidden[] = {0, 2, 3}; /* 1.5 rounds to 2 */
    assert_int_equal(nseen[2], 3);
    for (int k = 0; k < 3; k++) assert_true(seen[2][k] == hidden[k]);
    assert_int_equal(nseen[3], 5); /* every step point */
    for (int k = 0; k < 5; k++) assert_true(seen[3][k] == 0.25 * k);
    assert_int_equal(nseen[4], 3); /* on the step grid */
    assert_true(seen[4][0] == 0 && fabs(seen[4][1] - 0.3) < 1e-12 && seen[4][2] == 0.6);
    assert_int_equal(nseen[5], 3); /* 7 points over 3 integers: deduplicated */
    for (int k = 0; k < 3; k++) assert_true(seen[5][k] == k + 1);
    nnt_sampler_free(&g);
    nnt_space_free(s);
}

static void test_grid_resume(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(
        "{\"lr\": {\"low\": 0.001, \"high\": 0.1, \"log\": true, \"points\": 3},"
        " \"activation\": [\"relu\", \"tanh\"]}");
    assert_int_equal(nnt_grid_size(s), 6);
    nnt_sampler g;
    assert_int_equal(nnt_sampler_create("grid", s, &g, NULL), NNT_OK);
    /* All cells in order. */
    double cells[6][2];
    uint8_t act[6][2];
    static hist_store h;
    h.n = 0;
    for (int t = 0; t < 6; t++) {
        nnt_history hv = hist_view(&h);
        assert_int_equal(g.propose(g.ctx, s, &hv, t, 0, cells[t], act[t], NULL), NNT_OK);
        hist_add(&h, cells[t], act[t], 2, NNT_TRIAL_COMPLETE, 0);
    }
    /* A resumed study: its history comes back from stored parameter JSON. */
    h.n = 0;
    const nnt_trial_state states[5] = {NNT_TRIAL_COMPLETE, NNT_TRIAL_FAILED, NNT_TRIAL_PRUNED,
                                       NNT_TRIAL_FAILED, NNT_TRIAL_RUNNING};
    const int retry[5] = {0, 0, 0, 1, 0};
    for (int t = 0; t < 5; t++) {
        char *json = nnt_space_params_json(s, cells[t], act[t]);
        double x[2];
        uint8_t a[2];
        assert_int_equal(nnt_space_params_from_json(s, json, x, a, NULL), NNT_OK);
        free(json);
        hist_add(&h, x, a, 2, states[t], retry[t]);
    }
    double x[2];
    uint8_t a[2];
    nnt_history hv = hist_view(&h);
    /* Cell 3 was interrupted (retry): it comes before the untouched cell 5. */
    assert_int_equal(g.propose(g.ctx, s, &hv, 5, 0, x, a, NULL), NNT_OK);
    assert_true(x[0] == cells[3][0] && x[1] == cells[3][1]);
    hist_add(&h, x, a, 2, NNT_TRIAL_RUNNING, 0);
    hv = hist_view(&h);
    assert_int_equal(g.propose(g.ctx, s, &hv, 6, 0, x, a, NULL), NNT_OK);
    assert_true(x[0] == cells[5][0] && x[1] == cells[5][1]);
    hist_add(&h, x, a, 2, NNT_TRIAL_COMPLETE, 0);
    hv = hist_view(&h);
    assert_int_equal(g.propose(g.ctx, s, &hv, 7, 0, x, a, NULL), NNT_ERR_NOT_FOUND);
    nnt_sampler_free(&g);
    nnt_space_free(s);
}

static void test_grid_size_large(void **state)
{
    (void)state;
    /* Sizes are counted, not enumerated; overflow gives 0. */
    nnt_space *s = nnt_space_new();
    char name[32];
    for (int k = 1; k <= 16; k++) {
        snprintf(name, sizeof name, "neurons_%d", k);
        assert_int_equal(nnt_space_set_spec(s, name, "1:100000:points=100000", NULL), NNT_OK);
    }
    assert_int_equal(nnt_grid_size(s), 0);
    nnt_space_free(s);
    s = nnt_space_new();
    for (int k = 1; k <= 5; k++) {
        snprintf(name, sizeof name, "neurons_%d", k);
        assert_int_equal(nnt_space_set_spec(s, name, "1:1000:points=1000", NULL), NNT_OK);
    }
    assert_int_equal(nnt_grid_size(s), (size_t)1000 * 1000 * 1000 * 1000 * 1000);
    nnt_space_free(s);
}

/* ==== Random ============================================================================ */

static void test_random_bounds_ints_steps(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(
        "{\"lr\": {\"low\": 1e-4, \"high\": 0.1, \"log\": true},"
        " \"neurons\": {\"low\": 16, \"high\": 256, \"log\": true},"
        " \"hidden_layers\": {\"low\": 0, \"high\": 3},"
        " \"dropout\": {\"low\": 0, \"high\": 0.5, \"step\": 0.1},"
        " \"batch_size\": {\"low\": 8, \"high\": 64, \"step\": 8},"
        " \"activation\": [\"relu\", \"tanh\", \"elu\"],"
        " \"momentum\": {\"low\": 0.5, \"high\": 0.9},"
        " \"epochs\": 10}");
    nnt_sampler r;
    assert_int_equal(nnt_sampler_create("random", s, &r, NULL), NNT_OK);
    const int N = 6000;
    int act_count[3] = {0}, hidden_count[4] = {0}, dropout_count[6] = {0}, bs_count[8] = {0};
    double x[MAXP];
    uint8_t a[MAXP];
    for (int t = 0; t < N; t++) {
        assert_int_equal(r.propose(r.ctx, s, NULL, t, nnt_seed_derive(99, (uint64_t)t), x, a, NULL),
                         NNT_OK);
        for (int i = 0; i < 8; i++) assert_int_equal(a[i], 1);
        assert_true(x[0] >= 1e-4 && x[0] <= 0.1);
        assert_true(x[1] >= 16 && x[1] <= 256 && x[1] == floor(x[1]));
        assert_true(x[2] >= 0 && x[2] <= 3 && x[2] == floor(x[2]));
        hidden_count[(int)x[2]]++;
        double k = x[3] / 0.1;
        assert_true(x[3] >= 0 && x[3] <= 0.5 && fabs(k - floor(k + 0.5)) < 1e-9);
        dropout_count[(int)floor(k + 0.5)]++;
        assert_true(x[4] >= 8 && x[4] <= 64 && fmod(x[4], 8) == 0);
        bs_count[(int)x[4] / 8 - 1]++;
        assert_true(x[5] == 0 || x[5] == 1 || x[5] == 2);
        act_count[(int)x[5]]++;
        assert_true(x[6] >= 0.5 && x[6] <= 0.9);
        assert_true(x[7] == 0);
    }
    /* Uniform over the choices, integers and step points: each within 15% of
     * its share (about 5 standard deviations for these counts). */
    for (int c = 0; c < 3; c++) assert_true(fabs(act_count[c] - N / 3.0) < 0.15 * N / 3.0);
    for (int c = 0; c < 4; c++) assert_true(fabs(hidden_count[c] - N / 4.0) < 0.15 * N / 4.0);
    for (int c = 0; c < 6; c++) assert_true(fabs(dropout_count[c] - N / 6.0) < 0.15 * N / 6.0);
    for (int c = 0; c < 8; c++) assert_true(fabs(bs_count[c] - N / 8.0) < 0.2 * N / 8.0);
    nnt_sampler_free(&r);
    nnt_space_free(s);
}

static void test_random_log_uniform(void **state)
{
    (void)state;
    nnt_space *s = parse_ok("{\"lr\": {\"low\": 1e-4, \"high\": 0.1, \"log\": true},"
                            " \"momentum\": {\"low\": 0.2, \"high\": 0.8}}");
    nnt_sampler r;
    assert_int_equal(nnt_sampler_create("random", s, &r, NULL), NNT_OK);
    const int N = 20000;
    double geo = sqrt(1e-4 * 0.1), ll = log(1e-4), lh = log(0.1);
    int below = 0, below_mid = 0, dec[3] = {0};
    double sum_log = 0, sum = 0;
    double x[2];
    uint8_t a[2];
    for (int t = 0; t < N; t++) {
        assert_int_equal(r.propose(r.ctx, s, NULL, t, nnt_seed_derive(7, (uint64_t)t), x, a, NULL),
                         NNT_OK);
        below += x[0] < geo;
        sum_log += log(x[0]);
        int d = (int)floor(log10(x[0]) + 4);
        if (d >= 0 && d < 3) dec[d]++;
        below_mid += x[1] < 0.5;
        sum += x[1];
    }
    /* Half the mass below the geometric mean; log mean in the middle; each
     * decade the same share. Standard errors: 0.0035, 0.014, 0.0033. */
    assert_true(fabs((double)below / N - 0.5) < 0.02);
    assert_true(fabs(sum_log / N - 0.5 * (ll + lh)) < 0.06);
    for (int d = 0; d < 3; d++) assert_true(fabs(dec[d] / (double)N - 1.0 / 3) < 0.02);
    /* The linear one is uniform: mean in the middle, not the geometric mean. */
    assert_true(fabs((double)below_mid / N - 0.5) < 0.02);
    assert_true(fabs(sum / N - 0.5) < 0.01);
    nnt_sampler_free(&r);
    nnt_space_free(s);
}

static void test_random_reproducible(void **state)
{
    (void)state;
    nnt_space *s = NULL;
    assert_int_equal(nnt_space_default(&s, NULL), NNT_OK);
    int n = nnt_space_size(s);
    nnt_sampler r1, r2;
    assert_int_equal(nnt_sampler_create("random", s, &r1, NULL), NNT_OK);
    assert_int_equal(nnt_sampler_create("random", s, &r2, NULL), NNT_OK);
    double x[MAXP], y[MAXP];
    uint8_t a[MAXP], b[MAXP];
    int differ = 0;
    /* The same (seed, number) gives the same parameters in any order of asking. */
    for (int t = 0; t < 100; t++) {
        uint64_t seed = nnt_seed_derive(1234, (uint64_t)t);
        assert_int_equal(r1.propose(r1.ctx, s, NULL, t, seed, x, a, NULL), NNT_OK);
        int t2 = 99 - t;
        (void)r2.propose(r2.ctx, s, NULL, t2, nnt_seed_derive(1234, (uint64_t)t2), y, b, NULL);
        assert_int_equal(r2.propose(r2.ctx, s, NULL, t, seed, y, b, NULL), NNT_OK);
        for (int i = 0; i < n; i++) {
            assert_int_equal(a[i], b[i]);
            if (a[i]) assert_true(x[i] == y[i]);
        }
        assert_int_equal(r2.propose(r2.ctx, s, NULL, t, nnt_seed_derive(4321, (uint64_t)t), y, b,
                                    NULL),
                         NNT_OK);
        differ += x[nnt_space_find(s, "lr")] != y[nnt_space_find(s, "lr")];
    }
    assert_true(differ >= 99);
    nnt_sampler_free(&r1);
    nnt_sampler_free(&r2);
    nnt_space_free(s);
}

static void test_random_conditions(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(
        "{\"hidden_layers\": {\"low\": 1, \"high\": 4},"
        " \"neurons_3\": {\"low\": 8, \"high\": 64, \"if\": {\"hidden_layers\": {\"min\": 3}}},"
        " \"optimizer\": [\"adam\", \"momentum\", \"nesterov\", \"sgd\"],"
        " \"momentum\": {\"low\": 0.5, \"high\": 0.99,"
        "              \"if\": {\"optimizer\": [\"momentum\", \"nesterov\"]}},"
        " \"beta1\": {\"low\": 0.8, \"high\": 0.95, \"if\": {\"momentum\": {\"max\": 0.7}}}}");
    const char *ctor[] = {"random", "sobol"};
    for (int c = 0; c < 2; c++) {
        nnt_sampler r;
        assert_int_equal(nnt_sampler_create(ctor[c], s, &r, NULL), NNT_OK);
        int on_n3 = 0, on_mom = 0, on_b1 = 0;
        double x[5];
        uint8_t a[5];
        for (int t = 0; t < 2000; t++) {
            assert_int_equal(r.propose(r.ctx, s, NULL, t, (uint64_t)t * 31 + 1, x, a, NULL), NNT_OK);
            assert_int_equal(a[1], x[0] >= 3);
            int mom = x[2] == 1 || x[2] == 2;
            assert_int_equal(a[3], mom);
            assert_int_equal(a[4], mom && x[3] <= 0.7);
            for (int i = 0; i < 5; i++)
                if (!a[i]) assert_true(isnan(x[i]));
            on_n3 += a[1];
            on_mom += a[3];
            on_b1 += a[4];
        }
        /* Both branches of every condition occur. */
        assert_true(on_n3 > 700 && on_n3 < 1300);
        assert_true(on_mom > 700 && on_mom < 1300);
        assert_true(on_b1 > 200 && on_b1 < on_mom);
        nnt_sampler_free(&r);
    }
    nnt_space_free(s);
}

/* ==== Sobol ============================================================================== */

static void test_sobol_known_points(void **state)
{
    (void)state;
    const double d1[8] = {0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125};
    const double d2[8] = {0, 0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625};
    uint32_t v0[32], v1[32];
    assert_int_equal(nnt__sobol_directions(0, v0), NNT_OK);
    assert_int_equal(nnt__sobol_directions(1, v1), NNT_OK);
    for (uint32_t i = 0; i < 8; i++) {
        assert_true(nnt__sobol_point(v0, i) * 0x1p-32 == d1[i]);
        assert_true(nnt__sobol_point(v1, i) * 0x1p-32 == d2[i]);
    }
    uint32_t v[32];
    assert_int_equal(nnt__sobol_directions(NNT_SOBOL_MAX_DIM, v), NNT_ERR_UNSUPPORTED);
    /* Every dimension: the first 2^m points put one point in each interval
     * [k/2^m, (k+1)/2^m) (m up to 10). Any wrong direction number breaks this. */
    for (int d = 0; d < NNT_SOBOL_MAX_DIM; d++) {
        assert_int_equal(nnt__sobol_directions(d, v), NNT_OK);
        for (int m = 1; m <= 10; m++) {
            uint8_t seen[1024] = {0};
            for (uint32_t i = 0; i < (1u << m); i++) {
                uint32_t cell = nnt__sobol_point(v, i) >> (32 - m);
                assert_int_equal(seen[cell], 0);
                seen[cell] = 1;
            }
        }
    }
    /* The first two dimensions form a (0, m, 2)-net: 16 points, one in each
     * elementary box of area 1/16. */
    for (int ex = 0; ex <= 4; ex++) {
        int ey = 4 - ex;
        uint8_t seen[16] = {0};
        for (uint32_t i = 0; i < 16; i++) {
            uint32_t bx = ex ? nnt__sobol_point(v0, i) >> (32 - ex) : 0;
            uint32_t by = ey ? nnt__sobol_point(v1, i) >> (32 - ey) : 0;
            uint32_t box = (bx << ey) | by;
            assert_int_equal(seen[box], 0);
            seen[box] = 1;
        }
    }
}

static void test_sobol_scrambled(void **state)
{
    (void)state;
    uint32_t v[32];
    assert_int_equal(nnt__sobol_directions(3, v), NNT_OK);
    /* Owen scrambling keeps the stratification and moves the points. */
    int moved = 0;
    for (int m = 1; m <= 10; m++) {
        uint8_t seen[1024] = {0};
        for (uint32_t i = 0; i < (1u << m); i++) {
            uint32_t p = nnt__sobol_point(v, i);
            uint32_t q = nnt__sobol_owen(p, 77);
            assert_true(q == nnt__sobol_owen(p, 77));
            moved += q != p;
            uint32_t cell = q >> (32 - m);
            assert_int_equal(seen[cell], 0);
            seen[cell] = 1;
        }
    }
    assert_true(moved > 1000);
    assert_true(nnt__sobol_owen(0, 1) != nnt__sobol_owen(0, 2) ||
                nnt__sobol_owen(0, 3) != nnt__sobol_owen(0, 4));

    /* Through the sampler: in bounds, the mapping stratifies each parameter,
     * and the study seed fixes the points. */
    nnt_space *s = parse_ok(
        "{\"lr\": {\"low\": 1e-4, \"high\": 0.1, \"log\": true},"
        " \"epochs\": 10,"
        " \"neurons\": {\"low\": 16, \"high\": 256, \"log\": true},"
        " \"momentum\": {\"low\": 0.5, \"high\": 0.9},"
        " \"activation\": [\"relu\", \"tanh\", \"elu\", \"sigmoid\"],"
        " \"dropout\": {\"low\": 0, \"high\": 0.5, \"step\": 0.1}}");
    nnt_sampler a, b, c;
    assert_int_equal(nnt_sampler_create_seeded("sobol", s, 11, &a, NULL), NNT_OK);
    assert_int_equal(nnt_sampler_create_seeded("sobol", s, 11, &b, NULL), NNT_OK);
    assert_int_equal(nnt_sampler_create_seeded("sobol", s, 12, &c, NULL), NNT_OK);
    assert_string_equal(a.name, "sobol");
    double x[6], y[6], z[6];
    uint8_t ax[6], ay[6], az[6];
    int quarter[4] = {0}, act[4] = {0}, lr_below = 0, same_c = 0;
    const int N = 256;
    for (int t = 0; t < N; t++) {
        assert_int_equal(a.propose(a.ctx, s, NULL, t, (uint64_t)t, x, ax, NULL), NNT_OK);
        /* seed and history do not matter, the trial number does */
        assert_int_equal(b.propose(b.ctx, s, NULL, t, 999, y, ay, NULL), NNT_OK);
        assert_int_equal(c.propose(c.ctx, s, NULL, t, (uint64_t)t, z, az, NULL), NNT_OK);
        for (int i = 0; i < 6; i++) assert_true(ax[i] && x[i] == y[i]);
        same_c += x[0] == z[0];
        assert_true(x[0] >= 1e-4 && x[0] <= 0.1);
        assert_true(x[1] == 0);
        assert_true(x[2] >= 16 && x[2] <= 256 && x[2] == floor(x[2]));
        assert_true(x[3] >= 0.5 && x[3] <= 0.9);
        quarter[(int)((x[3] - 0.5) / 0.1)]++;
        assert_true(x[4] >= 0 && x[4] <= 3 && x[4] == floor(x[4]));
        act[(int)x[4]]++;
        double k = x[5] / 0.1;
        assert_true(x[5] >= 0 && x[5] <= 0.5 && fabs(k - floor(k + 0.5)) < 1e-9);
        lr_below += x[0] < sqrt(1e-5);
    }
    assert_true(same_c < 3);
    /* 256 points of a (scrambled) net: exactly even in each quarter and choice. */
    for (int q = 0; q < 4; q++) assert_int_equal(quarter[q], N / 4);
    for (int q = 0; q < 4; q++) assert_int_equal(act[q], N / 4);
    assert_int_equal(lr_below, N / 2);
    assert_int_equal(a.propose(a.ctx, s, NULL, -1, 0, x, ax, NULL), NNT_ERR_ARG);
    nnt_sampler_free(&a);
    nnt_sampler_free(&b);
    nnt_sampler_free(&c);
    nnt_space_free(s);
}

/* ==== Creation ============================================================================ */

static void test_sampler_create_errors(void **state)
{
    (void)state;
    nnt_space *s = parse_ok("{\"lr\": {\"low\": 0.001, \"high\": 0.1}}");
    nnt_sampler smp;
    nnt_error e;
    assert_int_equal(nnt_sampler_create("tpx", s, &smp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "sampler \"tpx\": unknown; expected grid, random or sobol");
    assert_null(smp.name);
    assert_null(smp.propose);
    /* An invalid space is refused before any trial. */
    assert_int_equal(nnt_space_set_spec(s, "momentum", "0.5:0.9", NULL), NNT_OK);
    assert_int_equal(nnt_space_set_condition(s, "momentum", "optimizer=momentum", NULL), NNT_OK);
    const char *names[] = {"grid", "random", "sobol"};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(nnt_sampler_create(names[k], s, &smp, &e), NNT_ERR_ARG);
        tu_assert_contains(e.message, "space.momentum.if.optimizer");
    }
    assert_int_equal(nnt_grid_size(s), 0);
    /* A grid over an enormous explicit step set asks for points. */
    nnt_space_free(s);
    s = parse_ok("{\"weight_decay\": {\"low\": 0, \"high\": 1, \"step\": 1e-9}}");
    assert_int_equal(nnt_sampler_create("grid", s, &smp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "grid: space.weight_decay has more than 1000000 grid values");
    nnt_space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_cells_with_conditions),
        cmocka_unit_test(test_grid_values),
        cmocka_unit_test(test_grid_resume),
        cmocka_unit_test(test_grid_size_large),
        cmocka_unit_test(test_random_bounds_ints_steps),
        cmocka_unit_test(test_random_log_uniform),
        cmocka_unit_test(test_random_reproducible),
        cmocka_unit_test(test_random_conditions),
        cmocka_unit_test(test_sobol_known_points),
        cmocka_unit_test(test_sobol_scrambled),
        cmocka_unit_test(test_sampler_create_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
