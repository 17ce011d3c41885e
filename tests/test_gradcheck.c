/* Finite-difference gradient checks of nnt__loss_delta + nnt__backward, for
 * every hidden activation, every loss, 0 to 5 hidden layers and dropout.
 *
 * The numerical side is an independent double-precision forward pass written
 * here, evaluated with central differences around the model's float
 * parameters. In double the differences are accurate to ~1e-10, so the
 * comparison measures the engine's float gradient alone (relative tolerance
 * 1e-2), and a second check ties the engine's float loss to the reference.
 * Dropout masks are drawn once by the engine and reused by the reference.
 * Kinks (relu, leaky relu, elu with alpha != 1): inputs are redrawn until no
 * hidden pre-activation lies within KINK_MARGIN of 0, which a step of STEP
 * cannot cross. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model_internal.h"
#include "nntune/nntune.h"

#define N_ROWS 5
#define N_IN 4
#define MAX_W 16
#define STEP 1e-5
#define KINK_MARGIN 1e-3
#define REL_TOL 1e-2
#define ABS_TOL 1e-5

typedef struct gc_case {
    nnt_activation act;
    nnt_loss loss;
    int outputs;
    int n_hidden;
    float input_dropout, dropout;
} gc_case;

typedef struct gc_fixture {
    nnt_model *m;
    nnt_workspace ws;
    float x[N_ROWS * N_IN];
    int32_t labels[N_ROWS];
    float *targets; /* N_ROWS x outputs, or NULL for cross-entropy */
    int training;
} gc_fixture;

/* ---- Reference forward pass in double ---------------------------------------- */

static double act_ref(const nnt_model *m, double z)
{
    double a = m->opt.elu_alpha, s = m->opt.leaky_slope;
    switch (m->opt.activation) {
    case NNT_ACT_RELU: return z > 0 ? z : 0;
    case NNT_ACT_LEAKY_RELU: return z > 0 ? z : s * z;
    case NNT_ACT_ELU: return z > 0 ? z : a * expm1(z);
    case NNT_ACT_TANH: return tanh(z);
    case NNT_ACT_SIGMOID: return 1 / (1 + exp(-z));
    default: return z;
    }
}

/* Mean loss with parameter `pi` replaced by pv (pi = SIZE_MAX: none), using
 * the dropout masks of the engine's last training pass. *min_abs_z gets the
 * smallest |hidden pre-activation| (may be NULL). */
static double ref_loss(const gc_fixture *f, size_t pi, double pv, double *min_abs_z)
{
    const nnt_model *m = f->m;
    double a[N_ROWS * MAX_W], z[N_ROWS * MAX_W];
    double minz = INFINITY;
    for (int i = 0; i < N_ROWS * N_IN; i++)
        a[i] = (double)f->x[i] * (f->training && f->ws.mask[0] ? f->ws.mask[0][i] : 1.0f);
#define PARAM(idx) ((idx) == pi ? pv : (double)m->params[idx])
    int L = m->n_layers;
    for (int l = 0; l < L; l++) {
        int in = m->sizes[l], out = m->sizes[l + 1];
        assert_true(in <= MAX_W && out <= MAX_W);
        for (int i = 0; i < N_ROWS; i++)
            for (int j = 0; j < out; j++) {
                double s = PARAM(m->b_off[l] + (size_t)j);
                for (int k = 0; k < in; k++)
                    s += a[i * in + k] * PARAM(m->w_off[l] + (size_t)j * (size_t)in + (size_t)k);
                z[i * out + j] = s;
            }
        if (l == L - 1) break;
        const float *mask = f->training ? f->ws.mask[l + 1] : NULL;
        for (int i = 0; i < N_ROWS * out; i++) {
            minz = fmin(minz, fabs(z[i]));
            a[i] = act_ref(m, z[i]) * (mask ? mask[i] : 1.0f);
        }
    }
#undef PARAM
    int k = m->sizes[L];
    double sum = 0;
    for (int i = 0; i < N_ROWS; i++) {
        const double *zr = z + i * k;
        const float *t = f->targets ? f->targets + i * k : NULL;
        switch (m->opt.loss) {
        case NNT_LOSS_CROSS_ENTROPY: {
            double mx = zr[0], s = 0;
            for (int j = 1; j < k; j++) mx = fmax(mx, zr[j]);
            for (int j = 0; j < k; j++) s += exp(zr[j] - mx);
            sum += mx + log(s) - zr[f->labels[i]];
            break;
        }
        case NNT_LOSS_BINARY_CROSS_ENTROPY:
        case NNT_LOSS_RECONSTRUCTION_CE:
            for (int j = 0; j < k; j++) /* -t log p - (1-t) log(1-p), p = sigmoid(z) */
                sum += -t[j] * log(1 / (1 + exp(-zr[j]))) - (1 - t[j]) * log(1 / (1 + exp(zr[j])));
            break;
        default:
            for (int j = 0; j < k; j++) sum += 0.5 * (zr[j] - t[j]) * (zr[j] - t[j]);
            break;
        }
    }
    if (min_abs_z) *min_abs_z = minz;
    return sum / N_ROWS;
}

/* ---- Cases ---------------------------------------------------------------------- */

static int is_kinked(const nnt_model *m)
{
    nnt_activation a = m->opt.activation;
    return a == NNT_ACT_RELU || a == NNT_ACT_LEAKY_RELU ||
           (a == NNT_ACT_ELU && m->opt.elu_alpha != 1.0f);
}

/* Engine forward + loss on the fixture's rows; with dropout, masks come from
 * a fresh copy of the stream seeded by mask_seed. */
static double engine_pass(gc_fixture *f, uint64_t mask_seed)
{
    nnt_rng r;
    nnt_rng_seed(&r, mask_seed);
    memcpy(f->ws.act[0], f->x, sizeof f->x);
    nnt__forward(f->m, &f->ws, N_ROWS, f->training, &r);
    return nnt__loss_delta(f->m, &f->ws, N_ROWS, f->labels, f->targets);
}

static void draw_data(gc_fixture *f, nnt_rng *r)
{
    const nnt_model *m = f->m;
    int k = m->sizes[m->n_layers];
    int unit = m->opt.loss == NNT_LOSS_RECONSTRUCTION_CE;
    for (int i = 0; i < N_ROWS * N_IN; i++)
        f->x[i] = unit ? (float)nnt_rng_uniform(r) : (float)nnt_rng_normal(r);
    for (int i = 0; i < N_ROWS; i++) f->labels[i] = (int32_t)nnt_rng_below(r, (uint64_t)k);
    if (!f->targets) return;
    for (int i = 0; i < N_ROWS * k; i++) {
        switch (m->opt.loss) {
        case NNT_LOSS_BINARY_CROSS_ENTROPY: f->targets[i] = (float)nnt_rng_below(r, 2); break;
        case NNT_LOSS_RECONSTRUCTION_CE: f->targets[i] = f->x[i]; break; /* outputs == inputs */
        default: f->targets[i] = (float)nnt_rng_normal(r); break;
        }
    }
}

/* Builds the model and data; leaves the engine's forward, loss delta and
 * masks of the chosen data in f->ws. */
static void setup_case(const gc_case *c, uint64_t seed, gc_fixture *f)
{
    memset(f, 0, sizeof *f);
    nnt_model_options o = nnt_model_options_default();
    o.inputs = N_IN;
    o.outputs = c->outputs;
    o.n_hidden = c->n_hidden;
    for (int l = 0; l < c->n_hidden; l++) {
        o.hidden[l] = 5 + (l % 3);
        o.dropout[l] = c->dropout;
    }
    o.input_dropout = c->input_dropout;
    o.activation = c->act;
    o.loss = c->loss;
    o.leaky_slope = 0.1f; /* large enough that a wrong slope would show */
    o.elu_alpha = 1.3f;   /* != 1 so the derivative's alpha term is exercised */
    nnt_error e;
    if (nnt_model_create(&o, seed, &f->m, &e) != NNT_OK) fail_msg("create: %s", e.message);
    assert_int_equal(nnt__workspace_init(&f->ws, f->m, N_ROWS, &e), NNT_OK);
    nnt_rng r;
    nnt_rng_seed(&r, seed ^ 0x5eed);
    /* Non-zero biases, so their gradients and the bias add are checked too. */
    for (int l = 0; l < f->m->n_layers; l++)
        for (int j = 0; j < f->m->sizes[l + 1]; j++)
            f->m->params[f->m->b_off[l] + (size_t)j] = (float)(0.2 * nnt_rng_normal(&r));
    if (c->loss != NNT_LOSS_CROSS_ENTROPY)
        f->targets = calloc((size_t)N_ROWS * (size_t)c->outputs, sizeof(float));
    f->training = c->input_dropout > 0.0f || c->dropout > 0.0f;
    for (int attempt = 0;; attempt++) {
        draw_data(f, &r);
        double le = engine_pass(f, seed * 31 + (uint64_t)attempt);
        double minz, lr = ref_loss(f, SIZE_MAX, 0, &minz);
        /* The engine's float loss matches the double reference. */
        assert_float_equal(le, lr, 1e-5 * (1 + fabs(lr)));
        assert_int_equal(f->ws.masks_live, f->training);
        if (!is_kinked(f->m) || minz > KINK_MARGIN) break;
        if (attempt == 100) fail_msg("no kink-free inputs found");
    }
}

static void free_case(gc_fixture *f)
{
    nnt__workspace_free(&f->ws);
    nnt_model_free(f->m);
    free(f->targets);
}

/* Compares fudge * (engine gradient) with central differences of the
 * reference loss; returns the number of mismatches. fudge != 1 shows that
 * the check can fail. */
static int compare_gradients(gc_fixture *f, double fudge, double *worst, double *gmax)
{
    size_t np = nnt_model_num_params(f->m);
    int bad = 0;
    *worst = 0;
    *gmax = 0;
    for (size_t i = 0; i < np; i++) {
        double p0 = f->m->params[i];
        double num = (ref_loss(f, i, p0 + STEP, NULL) - ref_loss(f, i, p0 - STEP, NULL)) / (2 * STEP);
        double g = fudge * f->ws.grad[i];
        double diff = fabs(num - g), scale = fmax(fabs(num), fabs(g));
        *gmax = fmax(*gmax, fabs(num));
        if (diff > REL_TOL * scale + ABS_TOL) {
            if (fudge == 1.0) print_message("param %zu: analytic %.7g numeric %.7g\n", i, g, num);
            bad++;
        }
        if (scale > 1e-4) *worst = fmax(*worst, diff / scale);
    }
    return bad;
}

static double worst_seen;

static void check_case(const gc_case *c, uint64_t seed)
{
    const char *env = getenv("GC_SEED_OFFSET"); /* for probing robustness by hand */
    if (env) seed += strtoull(env, NULL, 10) * 100003u;
    gc_fixture f;
    setup_case(c, seed, &f);
    nnt__backward(f.m, &f.ws, N_ROWS);
    double worst, gmax;
    int bad = compare_gradients(&f, 1.0, &worst, &gmax);
    if (bad)
        fail_msg("%s/%s outputs=%d hidden=%d dropout=%g/%g: %d gradients off (worst rel %.3g)",
                 nnt_activation_name(c->act), nnt_loss_name(c->loss), c->outputs, c->n_hidden,
                 (double)c->input_dropout, (double)c->dropout, bad, worst);
    worst_seen = fmax(worst_seen, worst);
    /* Not vacuous: the gradients are sizeable and a 5% error is caught. */
    assert_true(gmax > 1e-3);
    double w2, g2;
    assert_true(compare_gradients(&f, 1.05, &w2, &g2) > 0);
    free_case(&f);
}

static const nnt_activation all_acts[] = {NNT_ACT_RELU, NNT_ACT_LEAKY_RELU, NNT_ACT_ELU,
                                          NNT_ACT_TANH, NNT_ACT_SIGMOID,   NNT_ACT_IDENTITY};
#define N_ACTS ((int)(sizeof all_acts / sizeof all_acts[0]))

/* Every hidden activation with 1, 2 and 3 hidden layers (softmax CE). */
static void test_activations(void **state)
{
    (void)state;
    for (int a = 0; a < N_ACTS; a++)
        for (int h = 1; h <= 3; h++) {
            gc_case c = {all_acts[a], NNT_LOSS_CROSS_ENTROPY, 3, h, 0, 0};
            check_case(&c, (uint64_t)(100 * a + h));
        }
}

/* Every loss with 0, 1, 2 and 3 hidden layers (activations rotating). */
static void test_losses(void **state)
{
    (void)state;
    const struct {
        nnt_loss loss;
        int outputs;
    } losses[] = {
        {NNT_LOSS_CROSS_ENTROPY, 3},        {NNT_LOSS_CROSS_ENTROPY, 2},
        {NNT_LOSS_BINARY_CROSS_ENTROPY, 1}, {NNT_LOSS_BINARY_CROSS_ENTROPY, 3},
        {NNT_LOSS_SQUARED_ERROR, 1},        {NNT_LOSS_SQUARED_ERROR, 2},
        {NNT_LOSS_RECONSTRUCTION_CE, N_IN},
    };
    for (size_t k = 0; k < sizeof losses / sizeof losses[0]; k++)
        for (int h = 0; h <= 3; h++) {
            gc_case c = {all_acts[(k + (size_t)h) % N_ACTS], losses[k].loss, losses[k].outputs, h,
                         0, 0};
            check_case(&c, 1000 + 10 * k + (uint64_t)h);
        }
}

/* Dropout on the inputs and after every hidden layer, masks held fixed. */
static void test_dropout(void **state)
{
    (void)state;
    for (int a = 0; a < N_ACTS; a++) {
        gc_case c = {all_acts[a], NNT_LOSS_SQUARED_ERROR, 2, 2, 0.2f, 0.3f};
        check_case(&c, 2000 + (uint64_t)a);
        gc_case d = {all_acts[a], NNT_LOSS_CROSS_ENTROPY, 3, 3, 0.0f, 0.5f};
        check_case(&d, 2100 + (uint64_t)a);
    }
    gc_case e = {NNT_ACT_TANH, NNT_LOSS_BINARY_CROSS_ENTROPY, 1, 0, 0.25f, 0.0f};
    check_case(&e, 2200);
}

/* Deeper nets: the chain rule through five layers. */
static void test_deep(void **state)
{
    (void)state;
    gc_case a = {NNT_ACT_TANH, NNT_LOSS_SQUARED_ERROR, 2, 5, 0, 0};
    check_case(&a, 3000);
    gc_case b = {NNT_ACT_LEAKY_RELU, NNT_LOSS_CROSS_ENTROPY, 3, 5, 0, 0.2f};
    check_case(&b, 3001);
    gc_case c = {NNT_ACT_ELU, NNT_LOSS_RECONSTRUCTION_CE, N_IN, 4, 0, 0};
    check_case(&c, 3002);
    gc_case d = {NNT_ACT_SIGMOID, NNT_LOSS_BINARY_CROSS_ENTROPY, 3, 5, 0.1f, 0.1f};
    check_case(&d, 3003);
    if (getenv("GC_VERBOSE")) print_message("worst relative error seen: %.3g\n", worst_seen);
}

/* The labels form of BCE (one output, labels in {0,1}) equals the targets form. */
static void test_bce_labels_match_targets(void **state)
{
    (void)state;
    gc_case c = {NNT_ACT_RELU, NNT_LOSS_BINARY_CROSS_ENTROPY, 1, 1, 0, 0};
    gc_fixture f;
    setup_case(&c, 42, &f);
    for (int i = 0; i < N_ROWS; i++) f.labels[i] = f.targets[i] > 0.5f;
    size_t np = nnt_model_num_params(f.m);
    double lt = nnt__loss_delta(f.m, &f.ws, N_ROWS, NULL, f.targets);
    nnt__backward(f.m, &f.ws, N_ROWS);
    float *gt = malloc(np * sizeof *gt);
    memcpy(gt, f.ws.grad, np * sizeof *gt);
    double ll = nnt__loss_delta(f.m, &f.ws, N_ROWS, f.labels, NULL);
    nnt__backward(f.m, &f.ws, N_ROWS);
    assert_float_equal(lt, ll, 0);
    assert_memory_equal(gt, f.ws.grad, np * sizeof *gt);
    assert_float_equal(nnt__loss_value(f.m, &f.ws, N_ROWS, f.labels, NULL), lt, 0);
    free(gt);
    free_case(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_losses),
        cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_deep),
        cmocka_unit_test(test_bce_labels_match_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
