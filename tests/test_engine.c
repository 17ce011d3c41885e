/* Engine and model: options, validation messages, parameter layout,
 * known-answer forward/backward with hand-set weights, softmax/BCE stability,
 * shapes for 0 and 16+ hidden layers, initialisation statistics, determinism,
 * dropout masks, workspace reuse and metadata. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/model_internal.h"
#include "nntune/nntune.h"

static nnt_model *make(nnt_model_options *o, uint64_t seed)
{
    nnt_model *m = NULL;
    nnt_error e;
    nnt_error_clear(&e);
    int rc = nnt_model_create(o, seed, &m, &e);
    if (rc != NNT_OK) fail_msg("nnt_model_create: %s", e.message);
    assert_non_null(m);
    return m;
}

/* ---- Options and names -------------------------------------------------------- */

static void test_options_default(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    assert_int_equal(o.inputs, 0);
    assert_int_equal(o.outputs, 0);
    assert_int_equal(o.n_hidden, 2);
    assert_int_equal(o.hidden[0], 128);
    assert_int_equal(o.hidden[1], 64);
    assert_int_equal(o.activation, NNT_ACT_RELU);
    assert_int_equal(o.loss, NNT_LOSS_AUTO);
    assert_true(o.leaky_slope == 0.01f);
    assert_true(o.elu_alpha == 1.0f);
    assert_true(o.input_dropout == 0.0f && o.dropout[0] == 0.0f && o.dropout[1] == 0.0f);
}

static void test_names(void **state)
{
    (void)state;
    for (int a = NNT_ACT_RELU; a <= NNT_ACT_SOFTMAX; a++)
        assert_int_equal(nnt_activation_from_name(nnt_activation_name((nnt_activation)a)), a);
    assert_string_equal(nnt_activation_name(NNT_ACT_LEAKY_RELU), "leaky_relu");
    assert_int_equal(nnt_activation_from_name("swish"), -1);
    assert_int_equal(nnt_activation_from_name(NULL), -1);
    assert_string_equal(nnt_activation_name((nnt_activation)99), "unknown");
    for (int l = NNT_LOSS_AUTO; l <= NNT_LOSS_RECONSTRUCTION_CE; l++)
        assert_int_equal(nnt_loss_from_name(nnt_loss_name((nnt_loss)l)), l);
    assert_int_equal(nnt_loss_from_name("hinge"), -1);
    assert_int_equal(nnt__loss_output_activation(NNT_LOSS_AUTO), NNT_ACT_SOFTMAX);
    assert_int_equal(nnt__loss_output_activation(NNT_LOSS_CROSS_ENTROPY), NNT_ACT_SOFTMAX);
    assert_int_equal(nnt__loss_output_activation(NNT_LOSS_BINARY_CROSS_ENTROPY), NNT_ACT_SIGMOID);
    assert_int_equal(nnt__loss_output_activation(NNT_LOSS_SQUARED_ERROR), NNT_ACT_IDENTITY);
    assert_int_equal(nnt__loss_output_activation(NNT_LOSS_RECONSTRUCTION_CE), NNT_ACT_SIGMOID);
}

/* ---- Validation ---------------------------------------------------------------- */

static void expect_arg_error(const nnt_model_options *o, const char *needle)
{
    nnt_model *m = (nnt_model *)0x1;
    nnt_error e;
    nnt_error_clear(&e);
    assert_int_equal(nnt_model_create(o, 1, &m, &e), NNT_ERR_ARG);
    assert_null(m);
    assert_int_equal(e.code, NNT_ERR_ARG);
    tu_assert_contains(e.message, needle);
}

static void test_create_validation(void **state)
{
    (void)state;
    nnt_model_options base = nnt_model_options_default();
    base.inputs = 4;
    base.outputs = 3;
    nnt_model_options o;

    o = base; o.inputs = 0;
    expect_arg_error(&o, "inputs: must be > 0, got 0");
    o = base; o.outputs = -2;
    expect_arg_error(&o, "outputs: must be > 0, got -2");
    o = base; o.n_hidden = 3; o.hidden[2] = 0;
    expect_arg_error(&o, "hidden[2]: width must be > 0, got 0");
    o = base; o.n_hidden = NNT_MAX_HIDDEN + 1;
    expect_arg_error(&o, "n_hidden: must be in [0, 64], got 65");
    o = base; o.n_hidden = -1;
    expect_arg_error(&o, "n_hidden");
    o = base; o.dropout[1] = 1.0f;
    expect_arg_error(&o, "dropout[1]: must be in [0, 1), got 1");
    o = base; o.dropout[0] = NAN;
    expect_arg_error(&o, "dropout[0]");
    o = base; o.input_dropout = -0.1f;
    expect_arg_error(&o, "input_dropout: must be in [0, 1)");
    o = base; o.activation = NNT_ACT_SOFTMAX;
    expect_arg_error(&o, "activation: ");
    o = base; o.activation = (nnt_activation)42;
    expect_arg_error(&o, "activation: ");
    o = base; o.loss = (nnt_loss)17;
    expect_arg_error(&o, "loss: unknown loss 17");
    o = base; o.outputs = 1; /* AUTO resolves to softmax CE */
    expect_arg_error(&o, "outputs: cross-entropy (softmax) needs >= 2 outputs, got 1");
    o = base; o.activation = NNT_ACT_LEAKY_RELU; o.leaky_slope = -0.5f;
    expect_arg_error(&o, "leaky_slope: must be in [0, 1), got -0.5");
    o = base; o.activation = NNT_ACT_ELU; o.elu_alpha = 0.0f;
    expect_arg_error(&o, "elu_alpha: must be a finite value > 0, got 0");

    /* Parameters a given activation does not use are not checked. */
    o = base; o.activation = NNT_ACT_TANH; o.elu_alpha = 0.0f; o.leaky_slope = -1.0f;
    nnt_model *m = make(&o, 1);
    nnt_model_free(m);
    /* Dropout slots past n_hidden are ignored. */
    o = base; o.n_hidden = 1; o.dropout[5] = 7.0f;
    m = make(&o, 1);
    assert_true(nnt_model_get_options(m)->dropout[5] == 0.0f);
    nnt_model_free(m);

    nnt_error e;
    nnt_error_clear(&e);
    assert_int_equal(nnt_model_create(NULL, 1, &m, &e), NNT_ERR_ARG);
    assert_null(m);
    nnt_model_free(NULL);
}

static void test_create_out_of_memory(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 5;
    o.outputs = 2;
    for (long k = 0; k < 3; k++) {
        nnt_model *m = (nnt_model *)0x1;
        nnt_error e;
        nnt__alloc_fail_after(k);
        int rc = nnt_model_create(&o, 1, &m, &e);
        nnt__alloc_fail_after(-1);
        if (rc == NNT_OK) {
            nnt_model_free(m);
            break;
        }
        assert_int_equal(rc, NNT_ERR_NOMEM);
        assert_null(m);
    }
    nnt_model *m = make(&o, 1);
    for (long k = 0; k < 12; k++) {
        nnt_workspace ws;
        nnt__alloc_fail_after(k);
        int rc = nnt__workspace_init(&ws, m, 8, NULL);
        nnt__alloc_fail_after(-1);
        if (rc == NNT_OK) {
            nnt__workspace_free(&ws);
            break;
        }
        assert_int_equal(rc, NNT_ERR_NOMEM);
        assert_null(ws.grad);
    }
    nnt_model_free(m);
}

/* ---- Layout ------------------------------------------------------------------- */

static void test_layout(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 3;
    o.outputs = 2;
    o.n_hidden = 1;
    o.hidden[0] = 4;
    nnt_model *m = make(&o, 9);
    assert_int_equal(m->n_layers, 2);
    assert_int_equal(m->sizes[0], 3);
    assert_int_equal(m->sizes[1], 4);
    assert_int_equal(m->sizes[2], 2);
    assert_int_equal(nnt_model_num_params(m), 4 * 3 + 4 + 2 * 4 + 2);
    assert_int_equal(m->w_off[0], 0);
    assert_int_equal(m->b_off[0], 12);
    assert_int_equal(m->w_off[1], 16);
    assert_int_equal(m->b_off[1], 24);
    assert_int_equal(nnt_model_get_options(m)->loss, NNT_LOSS_CROSS_ENTROPY);
    assert_int_equal(m->out_act, NNT_ACT_SOFTMAX);
    assert_int_equal(nnt_model_task(m), NNT_TASK_CLASSIFY);
    assert_int_equal(nnt_model_scaler(m)->kind, NNT_SCALE_NONE);
    assert_int_equal(nnt_model_num_classes(m), 0);
    assert_null(nnt_model_class_name(m, 0));
    assert_null(nnt_model_feature_name(m, 0));
    assert_null(nnt_model_target_name(m));
    nnt_model_free(m);
}

/* ---- Known answers ------------------------------------------------------------- */

/* 2-2-1 relu network, weights by hand:
 *   W1 = [[0.5, -1], [1, 0.25]], b1 = [0.1, -0.2], W2 = [[2, -0.5]], b2 = [0.3]
 *   x = (1, 2): z1 = (-1.4, 1.3), h = (0, 1.3), z2 = -0.65 + 0.3 = -0.35 */
static nnt_model *hand_221(nnt_loss loss, nnt_activation act)
{
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 2;
    o.outputs = 1;
    o.n_hidden = 1;
    o.hidden[0] = 2;
    o.activation = act;
    o.loss = loss;
    nnt_model *m = make(&o, 1);
    const float p[] = {0.5f, -1.0f, 1.0f, 0.25f, 0.1f, -0.2f, 2.0f, -0.5f, 0.3f};
    assert_int_equal(nnt_model_num_params(m), 9);
    memcpy(nnt_model_params(m), p, sizeof p);
    return m;
}

static void test_known_answer_221(void **state)
{
    (void)state;
    nnt_model *m = hand_221(NNT_LOSS_SQUARED_ERROR, NNT_ACT_RELU);
    nnt_workspace ws;
    assert_int_equal(nnt__workspace_init(&ws, m, 4, NULL), NNT_OK);
    ws.act[0][0] = 1.0f;
    ws.act[0][1] = 2.0f;
    nnt__forward(m, &ws, 1, 0, NULL);
    assert_float_equal(ws.act[1][0], 0.0f, 1e-7);
    assert_float_equal(ws.act[1][1], 1.3f, 1e-6);
    assert_float_equal(ws.act[2][0], -0.35f, 1e-6);
    assert_float_equal(ws.logits[0], -0.35f, 1e-6);

    /* Squared error against t = 1: L = 0.5 * 1.35^2; by hand:
     * dz2 = -1.35, dW2 = (0, -1.755), db2 = -1.35,
     * dh = dz2 * W2 = (-2.7, 0.675), dz1 = (0, 0.675) (relu),
     * dW1 = dz1^T x = [[0, 0], [0.675, 1.35]], db1 = (0, 0.675). */
    const float t = 1.0f;
    double L = nnt__loss_delta(m, &ws, 1, NULL, &t);
    assert_float_equal(L, 0.5 * 1.35 * 1.35, 1e-6);
    assert_float_equal(nnt__loss_value(m, &ws, 1, NULL, &t), L, 1e-12);
    nnt__backward(m, &ws, 1);
    const float want[] = {0.0f, 0.0f, 0.675f, 1.35f, 0.0f, 0.675f, 0.0f, -1.755f, -1.35f};
    for (int i = 0; i < 9; i++) assert_float_equal(ws.grad[i], want[i], 1e-5);

    /* Two rows: the same row twice and a row of zeros averages the gradient:
     * x = (0, 0): z1 = (0.1, -0.2), h = (0.1, 0), z2 = 0.5; t = 0.5 gives dz2 = 0. */
    ws.act[0][0] = 1.0f;
    ws.act[0][1] = 2.0f;
    ws.act[0][2] = 0.0f;
    ws.act[0][3] = 0.0f;
    const float t2[] = {1.0f, 0.5f};
    nnt__forward(m, &ws, 2, 0, NULL);
    assert_float_equal(ws.act[2][1], 0.5f, 1e-6);
    L = nnt__loss_delta(m, &ws, 2, NULL, t2);
    assert_float_equal(L, 0.5 * (0.5 * 1.35 * 1.35), 1e-6);
    nnt__backward(m, &ws, 2);
    for (int i = 0; i < 9; i++) assert_float_equal(ws.grad[i], 0.5f * want[i], 1e-5);
    nnt__workspace_free(&ws);
    nnt_model_free(m);

    /* Same weights, tanh hidden layer and a sigmoid output with BCE:
     * h = tanh(-1.4), tanh(1.3); z2 = 2 h0 - 0.5 h1 + 0.3. */
    m = hand_221(NNT_LOSS_BINARY_CROSS_ENTROPY, NNT_ACT_TANH);
    assert_int_equal(nnt__workspace_init(&ws, m, 1, NULL), NNT_OK);
    ws.act[0][0] = 1.0f;
    ws.act[0][1] = 2.0f;
    nnt__forward(m, &ws, 1, 0, NULL);
    double h0 = tanh(-1.4), h1 = tanh(1.3), z2 = 2 * h0 - 0.5 * h1 + 0.3;
    double p = 1.0 / (1.0 + exp(-z2));
    assert_float_equal(ws.act[1][0], h0, 1e-6);
    assert_float_equal(ws.act[1][1], h1, 1e-6);
    assert_float_equal(ws.act[2][0], p, 1e-6);
    const int32_t lab = 1;
    L = nnt__loss_delta(m, &ws, 1, &lab, NULL); /* labels stand in for targets */
    assert_float_equal(L, -log(p), 1e-5);
    assert_float_equal(ws.delta[0], p - 1.0, 1e-6);
    const float tf = 1.0f;
    assert_float_equal(nnt__loss_value(m, &ws, 1, NULL, &tf), L, 1e-9);
    nnt__backward(m, &ws, 1);
    /* db1_j = (p-1) * W2_j * (1 - h_j^2) */
    assert_float_equal(ws.grad[4], (p - 1) * 2.0 * (1 - h0 * h0), 1e-5);
    assert_float_equal(ws.grad[5], (p - 1) * -0.5 * (1 - h1 * h1), 1e-5);
    assert_float_equal(ws.grad[8], p - 1, 1e-6);
    nnt__workspace_free(&ws);
    nnt_model_free(m);
}

/* Logistic regression (no hidden layer): softmax(x W^T + b) by hand. */
static void test_zero_hidden(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 3;
    o.outputs = 2;
    o.n_hidden = 0;
    nnt_model *m = make(&o, 5);
    assert_int_equal(m->n_layers, 1);
    assert_int_equal(nnt_model_num_params(m), 2 * 3 + 2);
    float *w = nnt_model_params(m);
    const float p[] = {1, 0, -1, 0.5f, 0.5f, 0.5f, 0.25f, -0.25f};
    memcpy(w, p, sizeof p);
    nnt_workspace ws;
    assert_int_equal(nnt__workspace_init(&ws, m, 3, NULL), NNT_OK);
    const float x[] = {1, 2, 3, -1, 0, 1, 0, 0, 0};
    memcpy(ws.act[0], x, sizeof x);
    nnt__forward(m, &ws, 3, 0, NULL);
    for (int i = 0; i < 3; i++) {
        const float *r = x + 3 * i;
        double z0 = r[0] - r[2] + 0.25, z1 = 0.5 * (r[0] + r[1] + r[2]) - 0.25;
        double p1 = 1.0 / (1.0 + exp(z0 - z1));
        assert_float_equal(ws.act[1][2 * i + 1], p1, 1e-6);
        assert_float_equal(ws.act[1][2 * i], 1.0 - p1, 1e-6);
    }
    const int32_t labels[] = {0, 1, 1};
    double L = nnt__loss_delta(m, &ws, 3, labels, NULL);
    assert_true(isfinite(L) && L > 0);
    nnt__backward(m, &ws, 3);
    /* db = mean(p - onehot) */
    double db0 = 0;
    for (int i = 0; i < 3; i++) db0 += (ws.act[1][2 * i] - (labels[i] == 0)) / 3.0;
    assert_float_equal(ws.grad[6], db0, 1e-6);
    assert_float_equal(ws.grad[6] + ws.grad[7], 0.0, 1e-6);
    nnt__workspace_free(&ws);
    nnt_model_free(m);
}

/* ---- Stability ----------------------------------------------------------------- */

static void test_softmax_extreme_logits(void **state)
{
    (void)state;
    /* Identity weights so the logits are the inputs. */
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 3;
    o.outputs = 3;
    o.n_hidden = 0;
    nnt_model *m = make(&o, 1);
    float *w = nnt_model_params(m);
    memset(w, 0, nnt_model_num_params(m) * sizeof(float));
    w[0] = w[4] = w[8] = 1.0f;
    nnt_workspace ws;
    assert_int_equal(nnt__workspace_init(&ws, m, 4, NULL), NNT_OK);
    const float x[] = {1e4f, -1e4f, 0.0f, 1e4f, 1e4f, -1e4f, -1e4f, -1e4f, -1e4f, 3e4f, 0.0f, -3e4f};
    memcpy(ws.act[0], x, sizeof x);
    nnt__forward(m, &ws, 4, 0, NULL);
    const float *P = ws.act[1];
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int j = 0; j < 3; j++) {
            assert_true(isfinite(P[3 * i + j]) && P[3 * i + j] >= 0.0f);
            s += P[3 * i + j];
        }
        assert_float_equal(s, 1.0, 1e-6);
    }
    assert_true(P[0] == 1.0f && P[1] == 0.0f && P[2] == 0.0f);
    assert_float_equal(P[3], 0.5f, 1e-7);
    assert_float_equal(P[4], 0.5f, 1e-7);
    assert_true(P[5] == 0.0f);
    for (int j = 0; j < 3; j++) assert_float_equal(P[6 + j], 1.0f / 3.0f, 1e-7);

    /* Row 0 right: loss 0; row 0 wrong (label 1): loss 2e4 exactly. */
    int32_t lab[] = {0, 0, 2, 0};
    double L = nnt__loss_value(m, &ws, 1, lab, NULL);
    assert_float_equal(L, 0.0, 1e-12);
    lab[0] = 1;
    L = nnt__loss_delta(m, &ws, 1, lab, NULL);
    assert_float_equal(L, 2e4, 1e-6);
    assert_float_equal(ws.delta[0], 1.0f, 0);
    assert_float_equal(ws.delta[1], -1.0f, 0);
    /* All rows: loss = (2e4 + log 2 + log 3 + 6e4)/4 */
    lab[0] = 1;
    lab[1] = 0;
    lab[2] = 2;
    lab[3] = 2;
    L = nnt__loss_delta(m, &ws, 4, lab, NULL);
    assert_true(isfinite(L));
    assert_float_equal(L, (2e4 + log(2.0) + log(3.0) + 6e4) / 4, 1e-3);
    for (int i = 0; i < 12; i++) assert_true(isfinite(ws.delta[i]));
    nnt__workspace_free(&ws);
    nnt_model_free(m);

    /* Sigmoid BCE with logits of +-1e4: finite loss, probabilities 0 and 1. */
    o.outputs = 1;
    o.inputs = 1;
    o.loss = NNT_LOSS_BINARY_CROSS_ENTROPY;
    m = make(&o, 1);
    nnt_model_params(m)[0] = 1.0f;
    nnt_model_params(m)[1] = 0.0f;
    assert_int_equal(nnt__workspace_init(&ws, m, 2, NULL), NNT_OK);
    ws.act[0][0] = 1e4f;
    ws.act[0][1] = -1e4f;
    nnt__forward(m, &ws, 2, 0, NULL);
    assert_true(ws.act[1][0] == 1.0f && ws.act[1][1] == 0.0f);
    const float t_right[] = {1.0f, 0.0f}, t_wrong[] = {0.0f, 1.0f};
    assert_float_equal(nnt__loss_value(m, &ws, 2, NULL, t_right), 0.0, 1e-12);
    assert_float_equal(nnt__loss_delta(m, &ws, 2, NULL, t_wrong), 1e4, 1e-6);
    assert_float_equal(ws.delta[0], 0.5f, 0);
    assert_float_equal(ws.delta[1], -0.5f, 0);
    nnt__workspace_free(&ws);
    nnt_model_free(m);
}

/* ---- Depth --------------------------------------------------------------------- */

static void deep_forward(int n_hidden)
{
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 7;
    o.outputs = 4;
    o.n_hidden = n_hidden;
    for (int l = 0; l < n_hidden; l++) o.hidden[l] = 5 + l % 4;
    nnt_model *m = make(&o, 11);
    assert_int_equal(m->n_layers, n_hidden + 1);
    size_t want = 0;
    for (int l = 0; l <= n_hidden; l++) {
        assert_int_equal(m->sizes[l + 1], l < n_hidden ? 5 + l % 4 : 4);
        want += (size_t)m->sizes[l + 1] * (size_t)(m->sizes[l] + 1);
    }
    assert_int_equal(nnt_model_num_params(m), want);
    nnt_workspace ws;
    assert_int_equal(nnt__workspace_init(&ws, m, 6, NULL), NNT_OK);
    nnt_rng r;
    nnt_rng_seed(&r, 3);
    for (int i = 0; i < 6 * 7; i++) ws.act[0][i] = (float)nnt_rng_normal(&r);
    nnt__forward(m, &ws, 6, 0, NULL);
    for (int i = 0; i < 6; i++) {
        double s = 0;
        for (int j = 0; j < 4; j++) {
            float p = ws.act[n_hidden + 1][4 * i + j];
            assert_true(isfinite(p) && p >= 0.0f && p <= 1.0f);
            s += p;
        }
        assert_float_equal(s, 1.0, 1e-5);
    }
    int32_t lab[6] = {0, 1, 2, 3, 0, 1};
    assert_true(isfinite(nnt__loss_delta(m, &ws, 6, lab, NULL)));
    nnt__backward(m, &ws, 6);
    for (size_t i = 0; i < nnt_model_num_params(m); i++) assert_true(isfinite(ws.grad[i]));
    nnt__workspace_free(&ws);
    nnt_model_free(m);
}

static void test_deep_networks(void **state)
{
    (void)state;
    deep_forward(16);
    deep_forward(17);
    deep_forward(NNT_MAX_HIDDEN);
}

/* ---- Initialisation ------------------------------------------------------------- */

static void test_init_statistics(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 512;
    o.outputs = 10;
    o.n_hidden = 1;
    o.hidden[0] = 512;
    nnt_model *m = make(&o, 123);
    const float *w = nnt_model_params(m);
    size_t n = 512 * 512;
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s += w[i];
        s2 += (double)w[i] * w[i];
    }
    double mean = s / n, sd = sqrt(s2 / n - mean * mean);
    assert_true(fabs(mean) < 0.002);
    assert_float_equal(sd, sqrt(2.0 / 512), 0.02 * sqrt(2.0 / 512));
    for (int j = 0; j < 512; j++) assert_true(w[m->b_off[0] + j] == 0.0f);
    /* Output layer: Glorot uniform. */
    double lim = sqrt(6.0 / (512 + 10));
    const float *w2 = w + m->w_off[1];
    double mx = 0;
    for (int i = 0; i < 10 * 512; i++) mx = fmax(mx, fabs(w2[i]));
    assert_true(mx <= (float)lim && mx > 0.95 * lim);
    nnt_model_free(m);

    /* tanh: Glorot uniform on the hidden layer too, bound respected, variance lim^2/3. */
    o.activation = NNT_ACT_TANH;
    m = make(&o, 123);
    w = nnt_model_params(m);
    lim = sqrt(6.0 / (512 + 512));
    s = s2 = mx = 0;
    for (size_t i = 0; i < n; i++) {
        s += w[i];
        s2 += (double)w[i] * w[i];
        mx = fmax(mx, fabs(w[i]));
    }
    assert_true(mx <= (float)lim && mx > 0.99 * lim);
    assert_true(fabs(s / n) < 0.002);
    assert_float_equal(s2 / n, lim * lim / 3, 0.02 * lim * lim / 3);
    nnt_model_free(m);
}

static void test_determinism_and_clone(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 20;
    o.outputs = 3;
    nnt_model *a = make(&o, 77), *b = make(&o, 77), *c = make(&o, 78);
    size_t np = nnt_model_num_params(a);
    assert_int_equal(np, nnt_model_num_params(c));
    assert_memory_equal(nnt_model_params(a), nnt_model_params(b), np * sizeof(float));
    assert_memory_not_equal(nnt_model_params(a), nnt_model_params(c), np * sizeof(float));

    nnt_model *d = NULL;
    assert_int_equal(nnt_model_clone(a, &d, NULL), NNT_OK);
    assert_true(nnt_model_params(d) != nnt_model_params(a));
    assert_memory_equal(nnt_model_params(a), nnt_model_params(d), np * sizeof(float));
    assert_memory_equal(nnt_model_get_options(a), nnt_model_get_options(d), sizeof(nnt_model_options));
    nnt_model_params(d)[0] += 1.0f;
    assert_true(nnt_model_params(d)[0] != nnt_model_params(a)[0]);
    nnt_model_free(a);
    nnt_model_free(b);
    nnt_model_free(c);
    nnt_model_free(d);
}

/* ---- Workspace reuse and dropout ---------------------------------------------- */

static void test_workspace_reuse(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 9;
    o.outputs = 4;
    o.hidden[0] = 16;
    o.hidden[1] = 8;
    nnt_model *m = make(&o, 4);
    nnt_workspace big, small;
    assert_int_equal(nnt__workspace_init(&big, m, 32, NULL), NNT_OK);
    assert_int_equal(nnt__workspace_init(&small, m, 5, NULL), NNT_OK);
    nnt_rng r;
    nnt_rng_seed(&r, 8);
    float x[32 * 9];
    int32_t lab[32];
    for (int i = 0; i < 32 * 9; i++) x[i] = (float)nnt_rng_normal(&r);
    for (int i = 0; i < 32; i++) lab[i] = (int32_t)nnt_rng_below(&r, 4);

    memcpy(big.act[0], x, sizeof x);
    nnt__forward(m, &big, 32, 0, NULL);
    float out32[32 * 4];
    memcpy(out32, big.act[3], sizeof out32);
    nnt__loss_delta(m, &big, 32, lab, NULL);
    nnt__backward(m, &big, 32);

    /* The big workspace, now used for 5 rows, agrees with a 5-row workspace. */
    memcpy(big.act[0], x, 5 * 9 * sizeof(float));
    memcpy(small.act[0], x, 5 * 9 * sizeof(float));
    nnt__forward(m, &big, 5, 0, NULL);
    nnt__forward(m, &small, 5, 0, NULL);
    for (int i = 0; i < 5 * 4; i++) {
        assert_float_equal(big.act[3][i], small.act[3][i], 0);
        assert_float_equal(big.act[3][i], out32[i], 1e-6);
    }
    double lb = nnt__loss_delta(m, &big, 5, lab, NULL), ls = nnt__loss_delta(m, &small, 5, lab, NULL);
    assert_float_equal(lb, ls, 0);
    nnt__backward(m, &big, 5);
    nnt__backward(m, &small, 5);
    assert_memory_equal(big.grad, small.grad, nnt_model_num_params(m) * sizeof(float));

    /* An empty batch gives zero loss and zero gradients. */
    nnt__forward(m, &big, 0, 0, NULL);
    assert_float_equal(nnt__loss_delta(m, &big, 0, lab, NULL), 0.0, 0);
    nnt__backward(m, &big, 0);
    for (size_t i = 0; i < nnt_model_num_params(m); i++) assert_true(big.grad[i] == 0.0f);

    nnt__workspace_free(&big);
    nnt__workspace_free(&small);
    nnt__workspace_free(&small); /* zeroed: freeing again is harmless */
    nnt_workspace bad;
    nnt_error e;
    assert_int_equal(nnt__workspace_init(&bad, m, 0, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "max_batch must be > 0, got 0");
    assert_null(bad.act[0]);
    nnt__workspace_free(&bad);
    nnt_model_free(m);
}

static void test_dropout_masks(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 50;
    o.outputs = 3;
    o.n_hidden = 2;
    o.hidden[0] = 200;
    o.hidden[1] = 100;
    o.input_dropout = 0.2f;
    o.dropout[0] = 0.5f;
    o.dropout[1] = 0.0f;
    nnt_model *m = make(&o, 2);
    nnt_workspace ws;
    int n = 64;
    assert_int_equal(nnt__workspace_init(&ws, m, n, NULL), NNT_OK);
    assert_non_null(ws.mask[0]);
    assert_non_null(ws.mask[1]);
    assert_null(ws.mask[2]);
    float *x = malloc((size_t)n * 50 * sizeof(float));
    for (int i = 0; i < n * 50; i++) x[i] = 1.0f + (float)(i % 7);

    /* Inference: no dropout, inputs untouched. */
    memcpy(ws.act[0], x, (size_t)n * 50 * sizeof(float));
    nnt__forward(m, &ws, n, 0, NULL);
    assert_int_equal(ws.masks_live, 0);
    assert_memory_equal(ws.act[0], x, (size_t)n * 50 * sizeof(float));
    float *y_eval = malloc((size_t)n * 3 * sizeof(float));
    memcpy(y_eval, ws.act[3], (size_t)n * 3 * sizeof(float));

    nnt_rng r0, r;
    nnt_rng_seed(&r0, 99);
    r = r0;
    memcpy(ws.act[0], x, (size_t)n * 50 * sizeof(float));
    nnt__forward(m, &ws, n, 1, &r);
    assert_int_equal(ws.masks_live, 1);
    const float rates[2] = {0.2f, 0.5f};
    const int widths[2] = {50, 200};
    for (int l = 0; l < 2; l++) {
        size_t cnt = (size_t)n * (size_t)widths[l], zeros = 0;
        float keep = 1.0f / (1.0f - rates[l]);
        for (size_t i = 0; i < cnt; i++) {
            float k = ws.mask[l][i];
            assert_true(k == 0.0f || k == keep);
            zeros += k == 0.0f;
        }
        double frac = (double)zeros / (double)cnt;
        assert_float_equal(frac, rates[l], 0.03);
    }
    /* Input dropout was applied in place. */
    for (int i = 0; i < n * 50; i++) assert_float_equal(ws.act[0][i], x[i] * ws.mask[0][i], 0);
    float *y1 = malloc((size_t)n * 3 * sizeof(float));
    memcpy(y1, ws.act[3], (size_t)n * 3 * sizeof(float));
    assert_memory_not_equal(y1, y_eval, (size_t)n * 3 * sizeof(float));

    /* Same rng state, same masks and outputs. */
    r = r0;
    memcpy(ws.act[0], x, (size_t)n * 50 * sizeof(float));
    nnt__forward(m, &ws, n, 1, &r);
    assert_memory_equal(ws.act[3], y1, (size_t)n * 3 * sizeof(float));
    free(x);
    free(y1);
    free(y_eval);
    nnt__workspace_free(&ws);
    nnt_model_free(m);
}

/* ---- Metadata ------------------------------------------------------------------ */

static void test_metadata(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 4, 5, 6};
    const int32_t labels[] = {0, 2, 1};
    const char *classes[] = {"cat", "dog", "eel"};
    const char *feats[] = {"height", "weight"};
    nnt_dataset_spec spec = {0};
    spec.rows = 3;
    spec.features = 2;
    spec.x = x;
    spec.labels = labels;
    spec.n_classes = 3;
    spec.class_names = classes;
    spec.feature_names = feats;
    spec.target_name = "animal";
    nnt_dataset *ds = NULL;
    nnt_error e;
    assert_int_equal(nnt_dataset_from_arrays(&spec, &ds, &e), NNT_OK);
    nnt_scaler sc;
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &sc, &e), NNT_OK);

    nnt_model_options o = nnt_model_options_default();
    o.inputs = 2;
    o.outputs = 3;
    nnt_model *m = make(&o, 1);
    assert_int_equal(nnt_model_set_metadata_from(m, ds, NNT_TASK_CLASSIFY, &sc, &e), NNT_OK);
    nnt_scaler_free(&sc);
    /* Setting twice replaces (no leak under ASan). */
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &sc, &e), NNT_OK);
    assert_int_equal(nnt_model_set_metadata_from(m, ds, NNT_TASK_CLASSIFY, &sc, &e), NNT_OK);
    nnt_scaler_free(&sc);

    nnt_model *c = NULL;
    assert_int_equal(nnt_model_clone(m, &c, &e), NNT_OK);
    nnt_model *both[2] = {m, c};
    for (int k = 0; k < 2; k++) {
        nnt_model *q = both[k];
        assert_int_equal(nnt_model_task(q), NNT_TASK_CLASSIFY);
        assert_int_equal(nnt_model_num_classes(q), 3);
        assert_string_equal(nnt_model_class_name(q, 2), "eel");
        assert_null(nnt_model_class_name(q, 3));
        assert_null(nnt_model_class_name(q, -1));
        assert_string_equal(nnt_model_feature_name(q, 1), "weight");
        assert_null(nnt_model_feature_name(q, 2));
        assert_string_equal(nnt_model_target_name(q), "animal");
        const nnt_scaler *s = nnt_model_scaler(q);
        assert_int_equal(s->kind, NNT_SCALE_STANDARD);
        assert_int_equal(s->features, 2);
        assert_float_equal(s->shift[0], 3.0f, 1e-6);
        assert_float_equal(s->shift[1], 4.0f, 1e-6);
    }
    assert_true(nnt_model_class_name(c, 0) != nnt_model_class_name(m, 0));
    assert_true(nnt_model_scaler(c)->shift != nnt_model_scaler(m)->shift);

    /* A data set of the wrong width is refused and leaves the metadata alone. */
    nnt_model_options o3 = o;
    o3.inputs = 3;
    nnt_model *m3 = make(&o3, 1);
    assert_int_equal(nnt_model_set_metadata_from(m3, ds, NNT_TASK_CLASSIFY, NULL, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "2 features but the model has 3 inputs");
    assert_int_equal(nnt_model_num_classes(m3), 0);

    /* NULL data set and scaler: task only, names cleared. */
    assert_int_equal(nnt_model_set_metadata_from(c, NULL, NNT_TASK_AUTO, NULL, &e), NNT_OK);
    assert_int_equal(nnt_model_task(c), NNT_TASK_CLASSIFY);
    assert_int_equal(nnt_model_num_classes(c), 0);
    assert_null(nnt_model_target_name(c));
    assert_int_equal(nnt_model_scaler(c)->kind, NNT_SCALE_NONE);

    nnt_model_free(m);
    nnt_model_free(m3);
    nnt_model_free(c);
    nnt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_default),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_create_validation),
        cmocka_unit_test(test_create_out_of_memory),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_known_answer_221),
        cmocka_unit_test(test_zero_hidden),
        cmocka_unit_test(test_softmax_extreme_logits),
        cmocka_unit_test(test_deep_networks),
        cmocka_unit_test(test_init_statistics),
        cmocka_unit_test(test_determinism_and_clone),
        cmocka_unit_test(test_workspace_reuse),
        cmocka_unit_test(test_dropout_masks),
        cmocka_unit_test(test_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
