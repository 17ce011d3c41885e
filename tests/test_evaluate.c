/* Prediction and evaluation: known answers on hand-set weights. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/evaluate.h"
#include "nn/model_internal.h"
#include "nntune/nntune.h"

/* A model without hidden layers whose weights the test sets by hand. */
static nnt_model *linear_model(int inputs, int outputs, nnt_loss loss, const float *w,
                               const float *b)
{
    nnt_model_options mo = nnt_model_options_default();
    mo.inputs = inputs;
    mo.outputs = outputs;
    mo.n_hidden = 0;
    mo.loss = loss;
    nnt_model *m = NULL;
    assert_int_equal(nnt_model_create(&mo, 1, &m, NULL), NNT_OK);
    float *p = nnt_model_params(m);
    memcpy(p + m->w_off[0], w, (size_t)inputs * (size_t)outputs * sizeof(float));
    memcpy(p + m->b_off[0], b, (size_t)outputs * sizeof(float));
    return m;
}

static nnt_dataset *make_ds(size_t rows, size_t features, const float *x, const int32_t *labels,
                            int n_classes, const float *targets)
{
    nnt_dataset_spec s;
    memset(&s, 0, sizeof s);
    s.rows = rows;
    s.features = features;
    s.x = x;
    s.labels = labels;
    s.n_classes = n_classes;
    s.targets = targets;
    nnt_dataset *ds = NULL;
    nnt_error e;
    int rc = nnt_dataset_from_arrays(&s, &ds, &e);
    if (rc != NNT_OK) fail_msg("dataset: %s", e.message);
    return ds;
}

static void test_regression_known_answers(void **state)
{
    (void)state;
    /* y = x: predictions 1,2,3,4 against targets 1,3,2,5: errors 0,-1,1,-1.
     * SSE 3, RMSE sqrt(3/4), MAE 3/4, target mean 2.75, SST 8.75. */
    const float x[] = {1, 2, 3, 4}, t[] = {1, 3, 2, 5}, w[] = {1}, b[] = {0};
    nnt_model *m = linear_model(1, 1, NNT_LOSS_SQUARED_ERROR, w, b);
    nnt_dataset *ds = make_ds(4, 1, x, NULL, 0, t);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, NULL, 0, &ev, NULL), NNT_OK);
    assert_int_equal(ev.n, 4);
    assert_null(ev.confusion);
    assert_float_equal(ev.metrics.rmse, sqrt(0.75), 1e-9);
    assert_float_equal(ev.metrics.mae, 0.75, 1e-9);
    assert_float_equal(ev.metrics.r2, 1.0 - 3.0 / 8.75, 1e-9);
    assert_float_equal(ev.metrics.loss, 0.5 * 3.0 / 4.0, 1e-9); /* 0.5 * mean squared error */
    assert_true(isnan(ev.metrics.accuracy));
    nnt_eval_free(&ev);

    /* A subset of rows: rows 1 and 3 (errors -1, -1): RMSE 1, MAE 1, SST 2, R^2 = 0. */
    const uint32_t rows[] = {1, 3};
    assert_int_equal(nnt_model_evaluate(m, ds, rows, 2, &ev, NULL), NNT_OK);
    assert_float_equal(ev.metrics.rmse, 1.0, 1e-9);
    assert_float_equal(ev.metrics.mae, 1.0, 1e-9);
    assert_float_equal(ev.metrics.r2, 0.0, 1e-9);
    nnt_eval_free(&ev);

    /* A perfect fit. */
    float *p = nnt_model_params(m);
    p[m->w_off[0]] = 0.0f;
    p[m->b_off[0]] = 2.0f;
    const float t2[] = {2, 2, 2, 2};
    nnt_dataset *ds2 = make_ds(4, 1, x, NULL, 0, t2);
    assert_int_equal(nnt_model_evaluate(m, ds2, NULL, 4, &ev, NULL), NNT_OK);
    assert_float_equal(ev.metrics.rmse, 0.0, 1e-12);
    assert_float_equal(ev.metrics.r2, 1.0, 1e-12);
    nnt_eval_free(&ev);

    nnt_dataset_free(ds2);
    nnt_dataset_free(ds);
    nnt_model_free(m);
}

static double logsumexp3(const double *z)
{
    double mx = fmax(z[0], fmax(z[1], z[2]));
    return mx + log(exp(z[0] - mx) + exp(z[1] - mx) + exp(z[2] - mx));
}

static void test_multiclass_confusion(void **state)
{
    (void)state;
    /* logits = (x0, x1, -x0-x1): the class is the larger coordinate, or class 2
     * when both are negative. */
    const float w[] = {1, 0, 0, 1, -1, -1}, b[] = {0, 0, 0};
    nnt_model *m = linear_model(2, 3, NNT_LOSS_CROSS_ENTROPY, w, b);
    const float x[] = {5, 0, 0, 5, -5, -5, 3, 1, 1, 2};
    const int32_t labels[] = {0, 1, 2, 1, 0};
    /* predictions:            0, 1, 2, 0, 1 */
    nnt_dataset *ds = make_ds(5, 2, x, labels, 3, NULL);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, NULL, 0, &ev, NULL), NNT_OK);
    assert_int_equal(ev.n_classes, 3);
    assert_non_null(ev.confusion);
    assert_float_equal(ev.metrics.accuracy, 3.0 / 5.0, 1e-12);
    const uint64_t want[9] = {1, 1, 0, /* true 0 */ 1, 1, 0, /* true 1 */ 0, 0, 1 /* true 2 */};
    for (int i = 0; i < 9; i++) assert_int_equal(ev.confusion[i], want[i]);
    double loss = 0;
    for (int i = 0; i < 5; i++) {
        double z[3] = {x[2 * i], x[2 * i + 1], -x[2 * i] - x[2 * i + 1]};
        loss += logsumexp3(z) - z[labels[i]];
    }
    assert_float_equal(ev.metrics.loss, loss / 5, 1e-5);
    assert_true(isnan(ev.metrics.rmse) && isnan(ev.metrics.r2));
    nnt_eval_free(&ev);
    assert_null(ev.confusion);

    /* Probabilities out of predict sum to 1 and agree with the argmax. */
    float out[15];
    assert_int_equal(nnt_model_predict(m, ds, NULL, 5, out, NULL), NNT_OK);
    for (int i = 0; i < 5; i++) {
        assert_float_equal(out[3 * i] + out[3 * i + 1] + out[3 * i + 2], 1.0, 1e-5);
    }
    assert_true(out[0] > out[1] && out[0] > out[2]);

    /* A label outside the model's classes is refused. */
    const int32_t bad[] = {0, 1, 3, 1, 0};
    nnt_dataset *ds4 = make_ds(5, 2, x, bad, 4, NULL);
    nnt_error e;
    assert_int_equal(nnt_model_evaluate(m, ds4, NULL, 0, &ev, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "class 3");
    nnt_dataset_free(ds4);

    nnt_dataset_free(ds);
    nnt_model_free(m);
}

static void test_binary_threshold(void **state)
{
    (void)state;
    /* p = sigmoid(x): x = 0 gives exactly 0.5, which counts as class 1. */
    const float w[] = {1}, b[] = {0};
    nnt_model *m = linear_model(1, 1, NNT_LOSS_BINARY_CROSS_ENTROPY, w, b);
    assert_int_equal(nnt_model_task(m), NNT_TASK_BINARY);
    const float x[] = {2, -1, 0, -3, 4};
    const int32_t labels[] = {1, 1, 0, 0, 1};
    /* predictions:           1, 0, 1, 0, 1 */
    nnt_dataset *ds = make_ds(5, 1, x, labels, 2, NULL);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, NULL, 0, &ev, NULL), NNT_OK);
    assert_int_equal(ev.n_classes, 2);
    assert_float_equal(ev.metrics.accuracy, 3.0 / 5.0, 1e-12);
    /* [true][pred] */
    assert_int_equal(ev.confusion[0], 1);
    assert_int_equal(ev.confusion[1], 1);
    assert_int_equal(ev.confusion[2], 1);
    assert_int_equal(ev.confusion[3], 2);
    double loss = 0;
    for (int i = 0; i < 5; i++) {
        double p = 1 / (1 + exp(-x[i]));
        loss += labels[i] ? -log(p) : -log(1 - p);
    }
    assert_float_equal(ev.metrics.loss, loss / 5, 1e-5);
    nnt_eval_free(&ev);
    nnt_dataset_free(ds);
    nnt_model_free(m);
}

static void test_autoencoder_loss_only(void **state)
{
    (void)state;
    const float w[] = {0, 0, 0, 0}, b[] = {0, 0};
    nnt_model *m = linear_model(2, 2, NNT_LOSS_RECONSTRUCTION_CE, w, b);
    assert_int_equal(nnt_model_task(m), NNT_TASK_AUTOENCODE);
    /* Output 0.5 everywhere: the loss per element is log 2 whatever the target. */
    const float x[] = {0, 1, 1, 0, 0.5f, 0.5f};
    nnt_dataset *ds = make_ds(3, 2, x, NULL, 0, NULL);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, NULL, 0, &ev, NULL), NNT_OK);
    assert_float_equal(ev.metrics.loss, 2 * log(2.0), 1e-5);
    assert_true(isnan(ev.metrics.accuracy) && isnan(ev.metrics.rmse));
    assert_null(ev.confusion);
    nnt_eval_free(&ev);
    nnt_dataset_free(ds);
    nnt_model_free(m);
}

static void test_predict_checks_and_scales(void **state)
{
    (void)state;
    const float w[] = {1, -2}, b[] = {0.5f};
    nnt_model *m = linear_model(2, 1, NNT_LOSS_SQUARED_ERROR, w, b);
    const float x3[] = {1, 2, 3, 4, 5, 6};
    nnt_dataset *ds3 = make_ds(2, 3, x3, NULL, 0, NULL);
    float out[8];
    nnt_error e;
    assert_int_equal(nnt_model_predict(m, ds3, NULL, 0, out, &e), NNT_ERR_ARG);
    assert_string_equal(e.message, "data has 3 features, model expects 2");
    nnt_dataset_free(ds3);

    /* With a fitted scaler, predict == forward on the scaled rows. */
    const float x[] = {1, 10, 2, 20, 3, 40, 4, 80};
    const float t[] = {0, 0, 0, 0};
    nnt_dataset *ds = make_ds(4, 2, x, NULL, 0, t);
    nnt_scaler sc;
    assert_int_equal(nnt_scaler_fit(ds, NULL, 4, NNT_SCALE_STANDARD, &sc, NULL), NNT_OK);
    assert_int_equal(nnt_model_set_metadata_from(m, ds, NNT_TASK_REGRESS, &sc, NULL), NNT_OK);
    float xs[8], want[4];
    for (int i = 0; i < 4; i++) nnt_scaler_apply_row(&sc, x + 2 * i, xs + 2 * i);
    assert_int_equal(nnt_model_forward(m, xs, 4, want, NULL), NNT_OK);
    for (int i = 0; i < 4; i++)
        assert_float_equal(want[i], xs[2 * i] - 2 * xs[2 * i + 1] + 0.5f, 1e-5);
    assert_int_equal(nnt_model_predict(m, ds, NULL, 4, out, NULL), NNT_OK);
    assert_memory_equal(out, want, sizeof want);
    const uint32_t rows[] = {3, 0};
    assert_int_equal(nnt_model_predict(m, ds, rows, 2, out, NULL), NNT_OK);
    assert_true(out[0] == want[3] && out[1] == want[0]);
    const uint32_t bad[] = {4};
    assert_int_equal(nnt_model_predict(m, ds, bad, 1, out, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "out of range");
    nnt_scaler_free(&sc);
    nnt_dataset_free(ds);
    nnt_model_free(m);
}

/* More rows than one chunk: the same outputs as one row at a time. */
static void test_forward_chunks(void **state)
{
    (void)state;
    nnt_model_options mo = nnt_model_options_default();
    mo.inputs = 5;
    mo.outputs = 3;
    mo.n_hidden = 1;
    mo.hidden[0] = 7;
    nnt_model *m = NULL;
    assert_int_equal(nnt_model_create(&mo, 11, &m, NULL), NNT_OK);
    size_t n = 2500;
    float *x = malloc(n * 5 * sizeof *x), *out = malloc(n * 3 * sizeof *out);
    nnt_rng r;
    nnt_rng_seed(&r, 5);
    for (size_t i = 0; i < n * 5; i++) x[i] = (float)nnt_rng_normal(&r);
    assert_int_equal(nnt_model_forward(m, x, n, out, NULL), NNT_OK);
    const size_t probe[] = {0, 1023, 1024, 2047, 2048, 2499};
    for (int k = 0; k < 6; k++) {
        float one[3];
        assert_int_equal(nnt_model_forward(m, x + probe[k] * 5, 1, one, NULL), NNT_OK);
        for (int j = 0; j < 3; j++) assert_float_equal(one[j], out[probe[k] * 3 + j], 1e-6);
    }
    free(x);
    free(out);
    nnt_model_free(m);
}

static void test_metric_acc_direct(void **state)
{
    (void)state;
    /* Batches add up to the same as one pass. */
    nnt_metric_acc a, b;
    const float out[] = {1, 2, 3, 4}, t[] = {1, 3, 2, 5};
    nnt__metric_acc_init(&a, NNT_TASK_REGRESS, 1, 0, NULL);
    nnt__metric_acc_init(&b, NNT_TASK_REGRESS, 1, 0, NULL);
    nnt__metric_acc_add(&a, out, 4, NULL, t, 0.375);
    nnt__metric_acc_add(&b, out, 1, NULL, t, 0.0);
    nnt__metric_acc_add(&b, out + 1, 3, NULL, t + 1, 0.5);
    nnt_metrics ma, mb;
    nnt__metric_acc_result(&a, &ma);
    nnt__metric_acc_result(&b, &mb);
    assert_float_equal(ma.r2, mb.r2, 1e-12);
    assert_float_equal(ma.rmse, mb.rmse, 1e-12);
    assert_float_equal(ma.loss, mb.loss, 1e-12);
    /* Nothing added: everything NAN. */
    nnt__metric_acc_init(&a, NNT_TASK_CLASSIFY, 3, 3, NULL);
    nnt__metric_acc_result(&a, &ma);
    assert_true(isnan(ma.loss) && isnan(ma.accuracy));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regression_known_answers),
        cmocka_unit_test(test_multiclass_confusion),
        cmocka_unit_test(test_binary_threshold),
        cmocka_unit_test(test_autoencoder_loss_only),
        cmocka_unit_test(test_predict_checks_and_scales),
        cmocka_unit_test(test_forward_chunks),
        cmocka_unit_test(test_metric_acc_direct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
