/* Optimisers, learning-rate schedules and option names. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model_internal.h"
#include "nn/optim.h"
#include "nn/schedule.h"
#include "nntune/nntune.h"

/* 7 parameters: one 4-float vector plus a scalar tail of 3. */
#define N 7

/* f(w) = 0.5 * sum a_i (w_i - c_i)^2, g_i = a_i (w_i - c_i). */
static const float A[N] = {1.0f, 2.0f, 0.5f, 3.0f, 1.5f, 0.25f, 4.0f};
static const float C[N] = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f, 2.0f, -0.5f};
static const float W0[N] = {0.0f, 1.0f, -1.0f, 2.0f, 0.5f, -3.0f, 1.0f};

static void grad(const float *w, float *g)
{
    for (int i = 0; i < N; i++) g[i] = A[i] * (w[i] - C[i]);
}

static nnt_optim make(nnt_optimizer kind, double wd)
{
    nnt_train_options o = nnt_train_options_default();
    o.optimizer = kind;
    o.weight_decay = wd;
    nnt_param_range all = {0, N, 1};
    nnt_optim opt;
    assert_int_equal(nnt__optim_init(&opt, &o, N, &all, 1, NULL), NNT_OK);
    return opt;
}

static void test_first_steps(void **state)
{
    (void)state;
    const double lr = 0.1, mu = 0.9, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    float w[N], g0[N];
    grad(W0, g0);

    /* SGD: w1 = w0 - lr g0 */
    nnt_optim o = make(NNT_OPT_SGD, 0);
    memcpy(w, W0, sizeof w);
    nnt__optim_step(&o, w, g0, lr);
    for (int i = 0; i < N; i++) assert_float_equal(w[i], W0[i] - lr * g0[i], 1e-6);
    nnt__optim_free(&o);

    /* Momentum: v1 = g0, w1 = w0 - lr g0; v2 = mu g0 + g1, w2 = w1 - lr v2 */
    o = make(NNT_OPT_MOMENTUM, 0);
    memcpy(w, W0, sizeof w);
    nnt__optim_step(&o, w, g0, lr);
    float w1[N], g1[N];
    for (int i = 0; i < N; i++) assert_float_equal(w[i], W0[i] - lr * g0[i], 1e-6);
    memcpy(w1, w, sizeof w);
    grad(w1, g1);
    nnt__optim_step(&o, w, g1, lr);
    for (int i = 0; i < N; i++)
        assert_float_equal(w[i], w1[i] - lr * (mu * g0[i] + g1[i]), 1e-5);
    nnt__optim_free(&o);

    /* Nesterov: v1 = g0, w1 = w0 - lr (g0 + mu g0) */
    o = make(NNT_OPT_NESTEROV, 0);
    memcpy(w, W0, sizeof w);
    nnt__optim_step(&o, w, g0, lr);
    for (int i = 0; i < N; i++) assert_float_equal(w[i], W0[i] - lr * (1 + mu) * g0[i], 1e-6);
    nnt__optim_free(&o);

    /* Adam: bias correction makes m_hat = g0, s_hat = g0^2: w1 = w0 - lr g0/(|g0|+eps) */
    o = make(NNT_OPT_ADAM, 0);
    memcpy(w, W0, sizeof w);
    nnt__optim_step(&o, w, g0, lr);
    for (int i = 0; i < N; i++)
        assert_float_equal(w[i], W0[i] - lr * g0[i] / (fabs(g0[i]) + eps), 1e-6);
    /* Second step by hand. */
    memcpy(w1, w, sizeof w);
    grad(w1, g1);
    nnt__optim_step(&o, w, g1, lr);
    for (int i = 0; i < N; i++) {
        double m = b1 * (1 - b1) * g0[i] + (1 - b1) * g1[i];
        double s = b2 * (1 - b2) * g0[i] * g0[i] + (1 - b2) * g1[i] * g1[i];
        double mh = m / (1 - b1 * b1), sh = s / (1 - b2 * b2);
        assert_float_equal(w[i], w1[i] - lr * mh / (sqrt(sh) + eps), 1e-5);
    }
    nnt__optim_free(&o);

    /* Adam with L2: g' = g0 + wd w0 enters the moments. */
    const double wd = 0.5;
    o = make(NNT_OPT_ADAM, wd);
    memcpy(w, W0, sizeof w);
    nnt__optim_step(&o, w, g0, lr);
    for (int i = 0; i < N; i++) {
        double gp = g0[i] + wd * W0[i];
        assert_float_equal(w[i], W0[i] - lr * gp / (fabs(gp) + eps), 1e-6);
    }
    nnt__optim_free(&o);

    /* AdamW: decay decoupled from the moments: w1 = w0 - lr g0/(|g0|+eps) - lr wd w0 */
    o = make(NNT_OPT_ADAMW, wd);
    memcpy(w, W0, sizeof w);
    nnt__optim_step(&o, w, g0, lr);
    for (int i = 0; i < N; i++)
        assert_float_equal(w[i], W0[i] - lr * g0[i] / (fabs(g0[i]) + eps) - lr * wd * W0[i], 1e-6);
    nnt__optim_free(&o);

    /* SGD with L2: w1 = w0 - lr (g0 + wd w0) */
    o = make(NNT_OPT_SGD, wd);
    memcpy(w, W0, sizeof w);
    nnt__optim_step(&o, w, g0, lr);
    for (int i = 0; i < N; i++) assert_float_equal(w[i], W0[i] - lr * (g0[i] + wd * W0[i]), 1e-6);
    nnt__optim_free(&o);
}

static void test_converge(void **state)
{
    (void)state;
    const nnt_optimizer kinds[] = {NNT_OPT_SGD, NNT_OPT_MOMENTUM, NNT_OPT_NESTEROV, NNT_OPT_ADAM,
                                   NNT_OPT_ADAMW};
    const double lrs[] = {0.2, 0.05, 0.05, 0.05, 0.05};
    for (int k = 0; k < 5; k++) {
        nnt_optim o = make(kinds[k], 0);
        float w[N], g[N];
        memcpy(w, W0, sizeof w);
        double lr = lrs[k];
        for (int t = 0; t < 3000; t++) {
            grad(w, g);
            /* Adam's steps are ~lr in size: decay the rate to settle. */
            if (kinds[k] >= NNT_OPT_ADAM && t > 0 && t % 500 == 0) lr *= 0.3;
            nnt__optim_step(&o, w, g, lr);
        }
        for (int i = 0; i < N; i++) {
            if (fabsf(w[i] - C[i]) > 1e-3f)
                fail_msg("%s: w[%d] = %g, optimum %g", nnt_optimizer_name(kinds[k]), i,
                         (double)w[i], (double)C[i]);
        }
        assert_int_equal(o.t, 3000);
        nnt__optim_free(&o);
    }
}

/* With a zero gradient only the decay moves parameters: weights shrink,
 * biases stay. Checked on a real model layout. */
static void test_decay_skips_biases(void **state)
{
    (void)state;
    nnt_model_options mo = nnt_model_options_default();
    mo.inputs = 5;
    mo.outputs = 3;
    mo.n_hidden = 1;
    mo.hidden[0] = 6;
    nnt_model *m = NULL;
    assert_int_equal(nnt_model_create(&mo, 3, &m, NULL), NNT_OK);
    nnt_param_range ranges[NNT_OPTIM_MAX_RANGES];
    int nr = nnt__optim_model_ranges(m, ranges);
    assert_int_equal(nr, 4);
    size_t covered = 0;
    for (int r = 0; r < nr; r++) covered += ranges[r].len;
    assert_int_equal(covered, m->n_params);

    size_t n = m->n_params;
    float *w = malloc(n * sizeof *w), *w0 = malloc(n * sizeof *w0), *g = calloc(n, sizeof *g);
    for (size_t i = 0; i < n; i++) w0[i] = 0.5f + (float)(i % 7) * 0.1f; /* biases non-zero too */
    const nnt_optimizer kinds[] = {NNT_OPT_SGD, NNT_OPT_MOMENTUM, NNT_OPT_NESTEROV, NNT_OPT_ADAM,
                                   NNT_OPT_ADAMW};
    for (int k = 0; k < 5; k++) {
        nnt_train_options o = nnt_train_options_default();
        o.optimizer = kinds[k];
        o.weight_decay = 0.1;
        nnt_optim opt;
        assert_int_equal(nnt__optim_init(&opt, &o, n, ranges, nr, NULL), NNT_OK);
        memcpy(w, w0, n * sizeof *w);
        nnt__optim_step(&opt, w, g, 0.01);
        for (int l = 0; l < m->n_layers; l++) {
            size_t wo = m->w_off[l], bo = m->b_off[l];
            size_t nw = (size_t)m->sizes[l] * (size_t)m->sizes[l + 1];
            for (size_t i = 0; i < nw; i++) assert_true(w[wo + i] < w0[wo + i]);
            for (int i = 0; i < m->sizes[l + 1]; i++) assert_true(w[bo + i] == w0[bo + i]);
        }
        nnt__optim_free(&opt);
    }
    free(w);
    free(w0);
    free(g);
    nnt_model_free(m);
}

/* nnt__adam_kernel, scalar and in the documented order of operations, with
 * FLUSH (|x| < 1e-30 -> 0) on both moments. Built without FMA contraction
 * (C11 mode), like src/nn/optim.c, so it must agree bit for bit. */
static void adam_reference(size_t n, float *w, const float *g, float *m, float *s, float step,
                           float b1, float b2, float bc2, float eps, float wd, float dwd)
{
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    for (size_t i = 0; i < n; i++) {
        volatile float wi = w[i]; /* volatile: one rounding per operation, as written */
        float gi = g[i] + wd * wi;
        float mi = b1 * m[i] + c1 * gi;
        float si = b2 * s[i] + c2 * (gi * gi);
        mi = fabsf(mi) < 1e-30f ? 0.0f : mi;
        si = fabsf(si) < 1e-30f ? 0.0f : si;
        m[i] = mi;
        s[i] = si;
        w[i] = wi - (step * mi / (sqrtf(si * bc2) + eps) + dwd * wi);
    }
}

/* The kernel has a separate loop for wd = dwd = 0 (the common case): both
 * loops must match the reference exactly, over a length with a vector tail,
 * gradients of every size down to 0, and moments that flush to 0. */
static void test_adam_kernel_matches_reference(void **state)
{
    (void)state;
    enum { LEN = 1003 };
    float *w = malloc(LEN * sizeof *w), *g = malloc(LEN * sizeof *g);
    float *m = malloc(LEN * sizeof *m), *s = malloc(LEN * sizeof *s);
    float *rw = malloc(LEN * sizeof *rw), *rm = malloc(LEN * sizeof *rm);
    float *rs = malloc(LEN * sizeof *rs);
    assert_true(w && g && m && s && rw && rm && rs);
    const float decays[][2] = {{0.0f, 0.0f}, {0.01f, 0.0f}, {0.0f, 1e-3f}};
    for (size_t d = 0; d < sizeof decays / sizeof decays[0]; d++) {
        uint32_t x = 12345;
        for (size_t i = 0; i < LEN; i++) {
            x = x * 1664525u + 1013904223u;
            float u = (float)(x >> 8) / 16777216.0f - 0.5f; /* [-0.5, 0.5) */
            w[i] = u;
            g[i] = i % 11 == 0 ? 0.0f : u * powf(10.0f, -(float)(i % 9)); /* 0 .. 1e-9 */
            m[i] = i % 7 == 0 ? 1.05e-30f : u * 1e-3f; /* decay below 1e-30 in a step */
            s[i] = i % 5 == 0 ? 1.0005e-30f : fabsf(u) * 1e-6f;
        }
        memcpy(rw, w, LEN * sizeof *w);
        memcpy(rm, m, LEN * sizeof *m);
        memcpy(rs, s, LEN * sizeof *s);
        for (int t = 0; t < 3; t++) {
            nnt__adam_kernel(LEN, w, g, m, s, 0.01f, 0.9f, 0.999f, 31.6f, 1e-8f, decays[d][0],
                             decays[d][1]);
            adam_reference(LEN, rw, g, rm, rs, 0.01f, 0.9f, 0.999f, 31.6f, 1e-8f, decays[d][0],
                           decays[d][1]);
        }
        assert_memory_equal(w, rw, LEN * sizeof *w);
        assert_memory_equal(m, rm, LEN * sizeof *m);
        assert_memory_equal(s, rs, LEN * sizeof *s);
        if (decays[d][0] == 0.0f) /* g' = 0 at 0: both moments flushed */
            assert_true(m[0] == 0.0f && s[0] == 0.0f);
    }
    free(w);
    free(g);
    free(m);
    free(s);
    free(rw);
    free(rm);
    free(rs);
}

static void test_reset(void **state)
{
    (void)state;
    float a[N], b[N], g[N];
    nnt_optim o = make(NNT_OPT_ADAM, 0);
    memcpy(a, W0, sizeof a);
    grad(a, g);
    nnt__optim_step(&o, a, g, 0.1);
    nnt__optim_reset(&o);
    assert_int_equal(o.t, 0);
    memcpy(b, W0, sizeof b);
    nnt__optim_step(&o, b, g, 0.1);
    assert_memory_equal(a, b, sizeof a);
    nnt__optim_free(&o);
}

static void test_schedules(void **state)
{
    (void)state;
    nnt_train_options o = nnt_train_options_default();
    o.lr = 0.1;
    assert_float_equal(nnt__schedule_lr(&o, 1, 1, 1), 0.1, 1e-15);
    assert_float_equal(nnt__schedule_lr(&o, 57, 3, 9), 0.1, 1e-15);

    o.schedule = NNT_SCHED_STEP;
    o.step_gamma = 0.5;
    o.step_epochs = 10;
    assert_float_equal(nnt__schedule_epoch_lr(&o, 0.1, 1), 0.1, 1e-15);
    assert_float_equal(nnt__schedule_epoch_lr(&o, 0.1, 10), 0.1, 1e-15);
    assert_float_equal(nnt__schedule_epoch_lr(&o, 0.1, 11), 0.05, 1e-15);
    assert_float_equal(nnt__schedule_epoch_lr(&o, 0.1, 21), 0.025, 1e-15);

    o.schedule = NNT_SCHED_COSINE;
    o.lr = 1.0;
    o.max_epochs = 10;
    o.min_lr_fraction = 0.1;
    assert_float_equal(nnt__schedule_epoch_lr(&o, 1.0, 1), 1.0, 1e-12);
    assert_float_equal(nnt__schedule_epoch_lr(&o, 1.0, 6), 0.55, 1e-12); /* half way */
    /* epoch 3: t = 0.2, 0.1 + 0.9 * (1 + cos(0.2 pi)) / 2 */
    assert_float_equal(nnt__schedule_epoch_lr(&o, 1.0, 3), 0.1 + 0.45 * (1 + cos(0.2 * 3.14159265358979323846)),
                       1e-12);
    assert_float_equal(nnt__schedule_epoch_lr(&o, 1.0, 11), 0.1, 1e-12);
    for (int e = 2; e <= 10; e++)
        assert_true(nnt__schedule_epoch_lr(&o, 1.0, e) < nnt__schedule_epoch_lr(&o, 1.0, e - 1));

    /* Warm-up, per batch, reaches 1 at the end of epoch warmup_epochs. */
    o.schedule = NNT_SCHED_CONSTANT;
    o.warmup_epochs = 2;
    assert_float_equal(nnt__schedule_warmup(&o, 1, 2, 4), 0.25, 1e-15);
    assert_float_equal(nnt__schedule_warmup(&o, 1, 4, 4), 0.5, 1e-15);
    assert_float_equal(nnt__schedule_warmup(&o, 2, 2, 4), 0.75, 1e-15);
    assert_float_equal(nnt__schedule_warmup(&o, 2, 4, 4), 1.0, 1e-15);
    assert_float_equal(nnt__schedule_warmup(&o, 3, 1, 4), 1.0, 1e-15);
    assert_float_equal(nnt__schedule_lr(&o, 1, 1, 4), 0.125, 1e-15);
    o.warmup_epochs = 0;
    assert_float_equal(nnt__schedule_warmup(&o, 1, 1, 4), 1.0, 1e-15);

    /* Batch scaling rule. */
    o.lr = 0.01;
    o.batch_size = 128;
    o.lr_reference_batch = 32;
    assert_float_equal(nnt__schedule_base_lr(&o), 0.01, 1e-15);
    o.scale_lr_with_batch = 1;
    assert_float_equal(nnt__schedule_base_lr(&o), 0.04, 1e-15);
    assert_float_equal(nnt__schedule_lr(&o, 1, 1, 1), 0.04, 1e-15);
}

static void test_names(void **state)
{
    (void)state;
    for (int i = NNT_OPT_SGD; i <= NNT_OPT_ADAMW; i++)
        assert_int_equal(nnt_optimizer_from_name(nnt_optimizer_name((nnt_optimizer)i)), i);
    for (int i = NNT_SCHED_CONSTANT; i <= NNT_SCHED_COSINE; i++)
        assert_int_equal(nnt_schedule_from_name(nnt_schedule_name((nnt_schedule)i)), i);
    for (int i = NNT_METRIC_AUTO; i <= NNT_METRIC_R2; i++)
        assert_int_equal(nnt_metric_from_name(nnt_metric_name((nnt_metric)i)), i);
    assert_string_equal(nnt_optimizer_name(NNT_OPT_ADAMW), "adamw");
    assert_string_equal(nnt_schedule_name(NNT_SCHED_COSINE), "cosine");
    assert_int_equal(nnt_metric_from_name("r2"), NNT_METRIC_R2);
    assert_int_equal(nnt_optimizer_from_name("rmsprop"), -1);
    assert_int_equal(nnt_schedule_from_name(""), -1);
    assert_int_equal(nnt_metric_from_name(NULL), -1);
    assert_string_equal(nnt_optimizer_name((nnt_optimizer)99), "unknown");

    assert_true(nnt_metric_maximize(NNT_METRIC_ACCURACY));
    assert_true(nnt_metric_maximize(NNT_METRIC_R2));
    assert_false(nnt_metric_maximize(NNT_METRIC_LOSS));
    assert_false(nnt_metric_maximize(NNT_METRIC_RMSE));
    assert_false(nnt_metric_maximize(NNT_METRIC_MAE));

    nnt_metrics m = {.loss = 1.5, .accuracy = 0.75, .rmse = 2, .mae = 3, .r2 = 0.5};
    assert_true(nnt_metrics_get(&m, NNT_METRIC_LOSS) == 1.5);
    assert_true(nnt_metrics_get(&m, NNT_METRIC_ACCURACY) == 0.75);
    assert_true(nnt_metrics_get(&m, NNT_METRIC_RMSE) == 2);
    assert_true(nnt_metrics_get(&m, NNT_METRIC_MAE) == 3);
    assert_true(nnt_metrics_get(&m, NNT_METRIC_R2) == 0.5);
    assert_true(nnt_metrics_get(&m, NNT_METRIC_AUTO) == 0.75);
    m.accuracy = NAN;
    assert_true(nnt_metrics_get(&m, NNT_METRIC_AUTO) == 1.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_steps),  cmocka_unit_test(test_converge),
        cmocka_unit_test(test_decay_skips_biases), cmocka_unit_test(test_reset),
        cmocka_unit_test(test_adam_kernel_matches_reference),
        cmocka_unit_test(test_schedules),    cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
