/* The fused backward + optimiser step (nnt__backward_update, src/nn/engine.c)
 * against nnt__backward followed by nnt__optim_step: the same weights, the same
 * gradient buffer and the same optimiser state, bit for bit, after many
 * steps, for every optimiser (with weight decay), with dropout (masks in the
 * backward), full, partial and empty batches; and the fallback for an
 * optimiser whose ranges are not the model's layers. The gradient itself is
 * checked against finite differences in test_gradcheck.c. */
#include "testutil.h"

#include <string.h>

#include "nn/model_internal.h"
#include "nn/optim.h"
#include "nntune/nntune.h"

enum { N_IN = 9, N_OUT = 4, MAX_BATCH = 13, N_STEPS = 40 };

typedef struct side {
    nnt_model *m;
    nnt_workspace ws;
    nnt_optim opt;
    nnt_rng drop;
} side;

static void side_init(side *s, const nnt_model *proto, const nnt_train_options *to,
                      int layer_ranges)
{
    nnt_error err;
    nnt_error_clear(&err);
    assert_int_equal(nnt_model_clone(proto, &s->m, &err), NNT_OK);
    assert_int_equal(nnt__workspace_init(&s->ws, s->m, MAX_BATCH, &err), NNT_OK);
    nnt_param_range ranges[NNT_OPTIM_MAX_RANGES];
    int nr = nnt__optim_model_ranges(s->m, ranges);
    if (!layer_ranges) {
        /* One range over everything: not the layers' own, so the fused call
         * must fall back to the two calls. */
        ranges[0] = (nnt_param_range){0, s->m->n_params, 1};
        nr = 1;
    }
    assert_int_equal(nnt__optim_init(&s->opt, to, s->m->n_params, ranges, nr, &err), NNT_OK);
    nnt_rng_seed(&s->drop, 99);
}

static void side_free(side *s)
{
    nnt__optim_free(&s->opt);
    nnt__workspace_free(&s->ws);
    nnt_model_free(s->m);
}

/* n rows of the batch (n may be 0) into both workspaces, forward, loss. */
static void forward_both(side *a, side *b, nnt_rng *data, int n, int32_t *labels)
{
    for (int i = 0; i < n * N_IN; i++) {
        float v = (float)nnt_rng_uniform(data) * 2.0f - 1.0f;
        a->ws.act[0][i] = v;
        b->ws.act[0][i] = v;
    }
    for (int i = 0; i < n; i++) labels[i] = (int32_t)(nnt_rng_u64(data) % N_OUT);
    nnt__forward(a->m, &a->ws, n, 1, &a->drop);
    nnt__forward(b->m, &b->ws, n, 1, &b->drop);
    double la = nnt__loss_delta(a->m, &a->ws, n, labels, NULL);
    double lb = nnt__loss_delta(b->m, &b->ws, n, labels, NULL);
    assert_memory_equal(&la, &lb, sizeof la);
}

static void assert_same(const side *a, const side *b)
{
    size_t np = a->m->n_params;
    assert_memory_equal(a->m->params, b->m->params, np * sizeof(float));
    assert_memory_equal(a->ws.grad, b->ws.grad, np * sizeof(float));
    size_t sn = a->opt.kind == NNT_OPT_SGD ? 0
                : (a->opt.kind == NNT_OPT_ADAM || a->opt.kind == NNT_OPT_ADAMW) ? 2 * np
                                                                                 : np;
    if (sn) assert_memory_equal(a->opt.state, b->opt.state, sn * sizeof(float));
    assert_int_equal(a->opt.t, b->opt.t);
}

static void run_case(nnt_optimizer kind, nnt_activation act, int layer_ranges)
{
    nnt_model_options mo = nnt_model_options_default();
    mo.inputs = N_IN;
    mo.outputs = N_OUT;
    mo.n_hidden = 2;
    mo.hidden[0] = 11;
    mo.hidden[1] = 6;
    mo.activation = act;
    mo.loss = NNT_LOSS_CROSS_ENTROPY;
    mo.input_dropout = 0.1f;
    mo.dropout[0] = 0.3f;
    mo.dropout[1] = 0.2f;
    nnt_model *proto = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    assert_int_equal(nnt_model_create(&mo, 5, &proto, &err), NNT_OK);
    nnt_train_options to = nnt_train_options_default();
    to.optimizer = kind;
    to.lr = 0.05;
    to.weight_decay = 1e-3;
    side a, b;
    side_init(&a, proto, &to, layer_ranges);
    side_init(&b, proto, &to, layer_ranges);
    nnt_rng data;
    nnt_rng_seed(&data, 1234);
    int32_t labels[MAX_BATCH];
    float start0 = a.m->params[0];
    for (int step = 0; step < N_STEPS; step++) {
        /* Full batches, a partial one, and an empty one (zero gradient). */
        int n = step % 7 == 3 ? 5 : step % 11 == 6 ? 0 : MAX_BATCH;
        double lr = 0.05 / (1.0 + 0.1 * step);
        forward_both(&a, &b, &data, n, labels);
        nnt__backward(a.m, &a.ws, n);
        nnt__optim_step(&a.opt, a.m->params, a.ws.grad, lr);
        nnt__backward_update(b.m, &b.ws, n, &b.opt, lr);
        assert_same(&a, &b);
    }
    /* The steps did move the weights (the comparison is not of two idle
     * models). */
    assert_true(a.m->params[0] != start0);
    side_free(&a);
    side_free(&b);
    nnt_model_free(proto);
}

static void test_fused_matches_two_calls(void **state)
{
    (void)state;
    static const nnt_optimizer kinds[] = {NNT_OPT_SGD, NNT_OPT_MOMENTUM, NNT_OPT_NESTEROV,
                                          NNT_OPT_ADAM, NNT_OPT_ADAMW};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        run_case(kinds[i], NNT_ACT_RELU, 1);
        run_case(kinds[i], NNT_ACT_TANH, 1);
    }
}

static void test_fused_fallback_other_ranges(void **state)
{
    (void)state;
    run_case(NNT_OPT_ADAM, NNT_ACT_RELU, 0);
    run_case(NNT_OPT_MOMENTUM, NNT_ACT_ELU, 0);
}

/* nnt__optim_begin + nnt__optim_update over the ranges in any order = one
 * nnt__optim_step. */
static void test_optim_pieces_match_step(void **state)
{
    (void)state;
    enum { N = 37 };
    float w1[N], w2[N], g[N];
    for (int i = 0; i < N; i++) {
        w1[i] = w2[i] = 0.1f * (float)(i % 9) - 0.4f;
        g[i] = 0.03f * (float)((i * 7) % 11) - 0.15f;
    }
    nnt_param_range ranges[3] = {{0, 20, 1}, {20, 10, 0}, {30, 7, 1}};
    nnt_train_options to = nnt_train_options_default();
    to.optimizer = NNT_OPT_ADAMW;
    to.weight_decay = 0.01;
    nnt_optim o1, o2;
    assert_int_equal(nnt__optim_init(&o1, &to, N, ranges, 3, NULL), NNT_OK);
    assert_int_equal(nnt__optim_init(&o2, &to, N, ranges, 3, NULL), NNT_OK);
    for (int t = 0; t < 5; t++) {
        nnt__optim_step(&o1, w1, g, 0.01 * (t + 1));
        nnt__optim_begin(&o2, 0.01 * (t + 1));
        nnt__optim_update(&o2, w2, g, 2, 1);
        nnt__optim_update(&o2, w2, g, 0, 2);
    }
    assert_memory_equal(w1, w2, sizeof w1);
    assert_memory_equal(o1.state, o2.state, 2 * N * sizeof(float));
    assert_true(w1[0] != -0.4f);
    nnt__optim_free(&o1);
    nnt__optim_free(&o2);
}

int main(void)
{
    nnt_blas_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_matches_two_calls),
        cmocka_unit_test(test_fused_fallback_other_ranges),
        cmocka_unit_test(test_optim_pieces_match_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
