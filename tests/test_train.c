/* The trainer: learning, reproducibility, early stopping, divergence, pruning,
 * time limits, the tasks, pretraining and option checks. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nntune/nntune.h"

/* ---- Data ------------------------------------------------------------------- */

static nnt_dataset *make_ds(size_t rows, size_t features, const float *x, const int32_t *labels,
                            int n_classes, const float *targets, nnt_feature_kind kind)
{
    nnt_dataset_spec s;
    memset(&s, 0, sizeof s);
    s.rows = rows;
    s.features = features;
    s.x = x;
    s.labels = labels;
    s.n_classes = n_classes;
    s.targets = targets;
    s.kind = kind;
    nnt_dataset *ds = NULL;
    nnt_error e;
    if (nnt_dataset_from_arrays(&s, &ds, &e) != NNT_OK) fail_msg("dataset: %s", e.message);
    return ds;
}

/* k Gaussian blobs in d dimensions, centres 3 apart on the axes. */
static nnt_dataset *blobs(size_t n, int d, int k, uint64_t seed)
{
    nnt_rng r;
    nnt_rng_seed(&r, seed);
    float *x = malloc(n * (size_t)d * sizeof *x);
    int32_t *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % (size_t)k);
        y[i] = c;
        for (int j = 0; j < d; j++)
            x[i * (size_t)d + (size_t)j] = (float)(nnt_rng_normal(&r) + (j == c % d ? 3.0 : 0.0) +
                                                   (c >= d ? -3.0 : 0.0));
    }
    nnt_dataset *ds = make_ds(n, (size_t)d, x, y, k, NULL, NNT_FEATURES_TABULAR);
    free(x);
    free(y);
    return ds;
}

/* y = 2 x0 - 3 x1 + 0.5 x2 + 1 + noise. */
static nnt_dataset *linear(size_t n, double noise, uint64_t seed)
{
    nnt_rng r;
    nnt_rng_seed(&r, seed);
    float *x = malloc(n * 3 * sizeof *x), *t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 3; j++) x[i * 3 + (size_t)j] = (float)nnt_rng_normal(&r);
        t[i] = (float)(2 * x[i * 3] - 3 * x[i * 3 + 1] + 0.5 * x[i * 3 + 2] + 1 +
                       noise * nnt_rng_normal(&r));
    }
    nnt_dataset *ds = make_ds(n, 3, x, NULL, 0, t, NNT_FEATURES_TABULAR);
    free(x);
    free(t);
    return ds;
}

static nnt_model_options mlp(int h1, int h2)
{
    nnt_model_options mo = nnt_model_options_default();
    mo.n_hidden = h2 > 0 ? 2 : (h1 > 0 ? 1 : 0);
    mo.hidden[0] = h1;
    mo.hidden[1] = h2;
    return mo;
}

static nnt_train_options quiet(int epochs)
{
    nnt_train_options o = nnt_train_options_default();
    o.max_epochs = epochs;
    return o;
}

static nnt_split holdout(const nnt_dataset *ds, double frac)
{
    nnt_split s;
    assert_int_equal(nnt_split_holdout(ds, frac, 7, 1, &s, NULL), NNT_OK);
    return s;
}

static nnt_train_data tdata(const nnt_dataset *ds, const nnt_split *s)
{
    nnt_train_data d;
    memset(&d, 0, sizeof d);
    d.train = ds;
    if (s) {
        d.train_rows = s->train;
        d.n_train = s->n_train;
        d.valid = s->n_valid ? ds : NULL;
        d.valid_rows = s->valid;
        d.n_valid = s->n_valid;
    }
    return d;
}

/* ---- Learning --------------------------------------------------------------- */

static const float XOR_X[] = {0, 0, 0, 1, 1, 0, 1, 1};
static const int32_t XOR_Y[] = {0, 1, 1, 0};

static void test_xor(void **state)
{
    (void)state;
    nnt_dataset *ds = make_ds(4, 2, XOR_X, XOR_Y, 2, NULL, NNT_FEATURES_TABULAR);
    nnt_train_data d = tdata(ds, NULL);
    nnt_model_options mo = mlp(8, 0);
    mo.activation = NNT_ACT_TANH;
    nnt_train_options o = quiet(300);
    o.lr = 0.05;
    o.batch_size = 4;
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    int rc = nnt_train(&d, &mo, &o, &m, &res, &e);
    if (rc != NNT_OK) fail_msg("train: %s", e.message);
    assert_int_equal(res.status, NNT_OK);
    assert_int_equal(res.epochs_run, 300);
    assert_int_equal(res.best_epoch, 300); /* no validation: the last epoch */
    assert_int_equal(nnt_model_task(m), NNT_TASK_CLASSIFY);
    assert_int_equal(nnt_model_get_options(m)->outputs, 2);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, NULL, 0, &ev, NULL), NNT_OK);
    assert_float_equal(ev.metrics.accuracy, 1.0, 0);
    assert_true(ev.metrics.loss < 0.1);
    assert_true(res.history[299].train.loss < res.history[0].train.loss);
    assert_int_equal(res.history[0].epoch, 1);
    nnt_eval_free(&ev);
    nnt_train_result_free(&res);
    assert_null(res.history);
    nnt_model_free(m);
    nnt_dataset_free(ds);
}

static void test_binary_task(void **state)
{
    (void)state;
    nnt_dataset *ds = blobs(300, 2, 2, 3);
    nnt_split s = holdout(ds, 0.3);
    nnt_train_data d = tdata(ds, &s);
    nnt_model_options mo = mlp(8, 0);
    nnt_train_options o = quiet(20);
    o.task = NNT_TASK_BINARY;
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    assert_int_equal(nnt_model_task(m), NNT_TASK_BINARY);
    assert_int_equal(nnt_model_get_options(m)->outputs, 1);
    assert_int_equal(nnt_model_get_options(m)->loss, NNT_LOSS_BINARY_CROSS_ENTROPY);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, s.valid, s.n_valid, &ev, NULL), NNT_OK);
    assert_true(ev.metrics.accuracy > 0.9);
    assert_int_equal(ev.n_classes, 2);
    uint64_t total = ev.confusion[0] + ev.confusion[1] + ev.confusion[2] + ev.confusion[3];
    assert_int_equal(total, s.n_valid);
    /* The trainer's validation metrics of the kept epoch are the evaluation's. */
    assert_float_equal(res.best_valid.accuracy, ev.metrics.accuracy, 1e-12);
    assert_float_equal(res.best_valid.loss, ev.metrics.loss, 1e-6);
    nnt_eval_free(&ev);
    nnt_train_result_free(&res);
    nnt_model_free(m);
    nnt_split_free(&s);
    nnt_dataset_free(ds);
}

static void test_regression_linear(void **state)
{
    (void)state;
    nnt_dataset *ds = linear(400, 0.1, 5);
    nnt_split s = holdout(ds, 0.25);
    nnt_train_data d = tdata(ds, &s);
    nnt_model_options mo = mlp(16, 0);
    nnt_train_options o = quiet(60);
    o.lr = 0.01;
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    assert_int_equal(nnt_model_task(m), NNT_TASK_REGRESS);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, s.valid, s.n_valid, &ev, NULL), NNT_OK);
    if (!(ev.metrics.r2 > 0.95)) fail_msg("R^2 = %g", ev.metrics.r2);
    assert_true(isnan(ev.metrics.accuracy));
    assert_true(isnan(res.best_valid.accuracy) && res.best_valid.r2 > 0.95);
    nnt_eval_free(&ev);
    nnt_train_result_free(&res);
    nnt_model_free(m);
    nnt_split_free(&s);
    nnt_dataset_free(ds);
}

static void test_autoencoder(void **state)
{
    (void)state;
    /* Pixel rows built from 2 patterns: rank-2 structure a 3-unit code can keep. */
    size_t n = 200;
    float *x = malloc(n * 8 * sizeof *x);
    nnt_rng r;
    nnt_rng_seed(&r, 9);
    for (size_t i = 0; i < n; i++) {
        double a = nnt_rng_uniform(&r), b = nnt_rng_uniform(&r);
        for (int j = 0; j < 8; j++)
            x[i * 8 + (size_t)j] = (float)(255.0 * (j < 4 ? a : b) * (0.5 + 0.0625 * j));
    }
    nnt_dataset *ds = make_ds(n, 8, x, NULL, 0, NULL, NNT_FEATURES_PIXELS);
    free(x);
    nnt_train_data d = tdata(ds, NULL);
    nnt_model_options mo = mlp(3, 0);
    nnt_train_options o = quiet(30);
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    assert_int_equal(nnt_model_task(m), NNT_TASK_AUTOENCODE);
    assert_int_equal(nnt_model_get_options(m)->outputs, 8);
    assert_int_equal(nnt_model_get_options(m)->loss, NNT_LOSS_RECONSTRUCTION_CE);
    double first = res.history[0].train.loss, last = res.history[29].train.loss;
    if (!(last < 0.95 * first)) fail_msg("reconstruction loss %g -> %g", first, last);
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, NULL, 0, &ev, NULL), NNT_OK);
    assert_true(ev.metrics.loss < first);
    assert_true(isnan(ev.metrics.accuracy));
    nnt_eval_free(&ev);
    nnt_train_result_free(&res);
    nnt_model_free(m);
    nnt_dataset_free(ds);
}

/* ---- Reproducibility -------------------------------------------------------- */

static nnt_model *train_once(const nnt_train_data *d, uint64_t seed, nnt_train_result *res)
{
    nnt_model_options mo = mlp(16, 8);
    mo.dropout[0] = 0.2f;
    mo.input_dropout = 0.1f;
    nnt_train_options o = quiet(5);
    o.batch_size = 16;
    o.seed = seed;
    o.threads = 1;
    nnt_model *m = NULL;
    nnt_error e;
    if (nnt_train(d, &mo, &o, &m, res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    return m;
}

static void test_reproducible(void **state)
{
    (void)state;
    nnt_dataset *ds = blobs(203, 4, 3, 1); /* 203: the last batch is partial */
    nnt_split s = holdout(ds, 0.2);
    nnt_train_data d = tdata(ds, &s);
    nnt_train_result ra, rb, rc;
    nnt_model *a = train_once(&d, 42, &ra), *b = train_once(&d, 42, &rb),
              *c = train_once(&d, 43, &rc);
    size_t n = nnt_model_num_params(a);
    assert_int_equal(n, nnt_model_num_params(b));
    assert_memory_equal(nnt_model_params(a), nnt_model_params(b), n * sizeof(float));
    assert_int_equal(ra.epochs_run, rb.epochs_run);
    for (int i = 0; i < ra.epochs_run; i++) {
        assert_true(ra.history[i].train.loss == rb.history[i].train.loss);
        assert_true(ra.history[i].valid.loss == rb.history[i].valid.loss);
    }
    assert_true(memcmp(nnt_model_params(a), nnt_model_params(c), n * sizeof(float)) != 0);
    nnt_train_result_free(&ra);
    nnt_train_result_free(&rb);
    nnt_train_result_free(&rc);
    nnt_model_free(a);
    nnt_model_free(b);
    nnt_model_free(c);
    nnt_split_free(&s);
    nnt_dataset_free(ds);
}

/* Two GEMM threads (--threads 2): the same seed gives the same bits, and the
 * products are wide enough (batch 256, 200 inputs, 256 hidden units) that
 * the backend splits them across both threads. */
static nnt_model *train_threads(const nnt_train_data *d, int threads)
{
    nnt_model_options mo = mlp(256, 64);
    nnt_train_options o = quiet(2);
    o.batch_size = 256;
    o.seed = 5;
    o.threads = threads;
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    if (nnt_train(d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    nnt_train_result_free(&res);
    return m;
}

static void test_reproducible_two_threads(void **state)
{
    (void)state;
    nnt_dataset *ds = blobs(1100, 200, 5, 3);
    nnt_train_data d = tdata(ds, NULL);
    nnt_model *a = train_threads(&d, 2), *b = train_threads(&d, 2);
    nnt_blas_set_threads(1); /* process-wide: the other tests run on one */
    size_t n = nnt_model_num_params(a);
    assert_memory_equal(nnt_model_params(a), nnt_model_params(b), n * sizeof(float));
    nnt_model_free(a);
    nnt_model_free(b);
    nnt_dataset_free(ds);
}

/* ---- Early stopping ------------------------------------------------------------ */

static void test_early_stopping_restores_best(void **state)
{
    (void)state;
    /* Pure-noise targets, 30 training rows and a wide net: validation loss
     * bottoms out early and climbs as the net memorises the noise. */
    nnt_rng r;
    nnt_rng_seed(&r, 17);
    size_t n = 60;
    float *x = malloc(n * 4 * sizeof *x), *t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n * 4; i++) x[i] = (float)nnt_rng_normal(&r);
    for (size_t i = 0; i < n; i++) t[i] = (float)nnt_rng_normal(&r);
    nnt_dataset *ds = make_ds(n, 4, x, NULL, 0, t, NNT_FEATURES_TABULAR);
    free(x);
    free(t);
    nnt_split s = holdout(ds, 0.5);
    nnt_train_data d = tdata(ds, &s);
    nnt_model_options mo = mlp(64, 64);
    nnt_train_options o = quiet(300);
    o.lr = 0.01;
    o.batch_size = 8;
    o.patience = 5;
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    assert_int_equal(res.status, NNT_OK);
    assert_true(res.epochs_run < o.max_epochs);
    assert_true(res.best_epoch >= 1 && res.best_epoch < res.epochs_run);
    assert_int_equal(res.epochs_run - res.best_epoch, o.patience);
    /* The best epoch has the lowest validation loss of the run. */
    for (int i = 0; i < res.epochs_run; i++)
        assert_true(res.history[i].valid.loss >= res.best_valid.loss);
    assert_true(res.history[res.epochs_run - 1].valid.loss > res.best_valid.loss);
    assert_true(res.best_valid.loss == res.history[res.best_epoch - 1].valid.loss);
    /* The returned model is that epoch's, not the last one's. */
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, s.valid, s.n_valid, &ev, NULL), NNT_OK);
    assert_float_equal(ev.metrics.loss, res.best_valid.loss, 1e-6 * (1 + res.best_valid.loss));
    nnt_eval_free(&ev);
    nnt_model_free(m);
    nnt_train_result_free(&res);

    /* restore_best = 0 keeps the last epoch's weights. */
    o.restore_best = 0;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    assert_int_equal(nnt_model_evaluate(m, ds, s.valid, s.n_valid, &ev, NULL), NNT_OK);
    assert_float_equal(ev.metrics.loss, res.history[res.epochs_run - 1].valid.loss,
                       1e-6 * (1 + ev.metrics.loss));
    assert_true(ev.metrics.loss > res.best_valid.loss);
    nnt_eval_free(&ev);
    nnt_model_free(m);
    nnt_train_result_free(&res);

    /* Without early stopping the run goes the distance. */
    o.early_stopping = 0;
    o.max_epochs = 40;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    assert_int_equal(res.epochs_run, 40);
    nnt_model_free(m);
    nnt_train_result_free(&res);

    nnt_split_free(&s);
    nnt_dataset_free(ds);
}

/* ---- Divergence, pruning, time limit ------------------------------------------- */

/* Targets in the tens of thousands with every training default: standardised
 * targets make it train (raw ones diverged in the first epoch), predictions
 * and metrics come back in the target's units, and the scaling is the
 * training rows' mean and 1/std. */
static void test_regression_large_targets(void **state)
{
    (void)state;
    const size_t n = 600;
    nnt_rng r;
    nnt_rng_seed(&r, 9);
    float *x = malloc(n * 2 * sizeof *x), *t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        double a = 2 * nnt_rng_uniform(&r) - 1, b = 5 * nnt_rng_uniform(&r);
        x[i * 2] = (float)a;
        x[i * 2 + 1] = (float)b;
        t[i] = (float)(50000 + 3000 * a + 200 * b * b + 100 * nnt_rng_normal(&r));
    }
    nnt_dataset *ds = make_ds(n, 2, x, NULL, 0, t, NNT_FEATURES_TABULAR);
    nnt_split s = holdout(ds, 0.2);
    nnt_train_data d = tdata(ds, &s);
    nnt_model_options mo = nnt_model_options_default(); /* the CLI's 128-64 */
    mo.n_hidden = 2;
    mo.hidden[0] = 128;
    mo.hidden[1] = 64;
    nnt_train_options o = quiet(60);
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    const nnt_scaler *sc = nnt_model_scaler(m);
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < s.n_train; i++) mean += t[s.train[i]];
    mean /= (double)s.n_train;
    for (size_t i = 0; i < s.n_train; i++) m2 += (t[s.train[i]] - mean) * (t[s.train[i]] - mean);
    assert_float_equal(sc->target_shift, mean, 1e-3 * fabs(mean));
    assert_float_equal(sc->target_mul, 1.0 / sqrt(m2 / (double)s.n_train), 1e-4);

    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, s.valid, s.n_valid, &ev, NULL), NNT_OK);
    if (!(ev.metrics.r2 > 0.95)) fail_msg("R^2 = %g", ev.metrics.r2);
    /* RMSE in target units: recompute it from the predictions. */
    float *pred = malloc(s.n_valid * sizeof *pred);
    assert_int_equal(nnt_model_predict(m, ds, s.valid, s.n_valid, pred, NULL), NNT_OK);
    double sse = 0;
    for (size_t i = 0; i < s.n_valid; i++) {
        double err = (double)pred[i] - t[s.valid[i]];
        sse += err * err;
    }
    assert_float_equal(ev.metrics.rmse, sqrt(sse / (double)s.n_valid), 1e-3 * ev.metrics.rmse);
    assert_true(ev.metrics.rmse < 600); /* the targets' std is about 1900, the noise 100 */
    assert_float_equal(res.best_valid.r2, ev.metrics.r2, 1e-6);
    free(pred);
    nnt_eval_free(&ev);
    nnt_train_result_free(&res);
    nnt_model_free(m);
    nnt_split_free(&s);
    nnt_dataset_free(ds);
    free(x);
    free(t);
}

static void test_divergence(void **state)
{
    (void)state;
    nnt_dataset *ds = linear(100, 0.1, 2);
    nnt_train_data d = tdata(ds, NULL);
    nnt_model_options mo = mlp(8, 0);
    nnt_train_options o = quiet(10);
    o.optimizer = NNT_OPT_SGD;
    o.lr = 1e8;
    o.batch_size = 10;
    nnt_model *m = (nnt_model *)&m; /* must be overwritten */
    nnt_train_result res;
    nnt_error e;
    int rc = nnt_train(&d, &mo, &o, &m, &res, &e);
    assert_int_equal(rc, NNT_DIVERGED);
    assert_int_equal(res.status, NNT_DIVERGED);
    assert_int_equal(res.epochs_run, 0);
    assert_null(m);
    tu_assert_contains(e.message, "non-finite");
    nnt_train_result_free(&res);

    /* A sane first epoch, then a step schedule that blows the rate up: the
     * model comes back with the last good epoch's (finite) weights. */
    o.lr = 1e-3;
    o.schedule = NNT_SCHED_STEP;
    o.step_epochs = 1;
    o.step_gamma = 1e6;
    rc = nnt_train(&d, &mo, &o, &m, &res, &e);
    assert_int_equal(rc, NNT_DIVERGED);
    assert_non_null(m);
    assert_true(res.best_epoch >= 1 && res.epochs_run >= 1);
    const float *p = nnt_model_params(m);
    for (size_t i = 0; i < nnt_model_num_params(m); i++) assert_true(isfinite(p[i]));
    nnt_eval ev;
    assert_int_equal(nnt_model_evaluate(m, ds, NULL, 0, &ev, NULL), NNT_OK);
    assert_true(isfinite(ev.metrics.loss));
    nnt_eval_free(&ev);
    nnt_model_free(m);
    nnt_train_result_free(&res);
    nnt_dataset_free(ds);
}

typedef struct counter {
    int epochs, batches, pre, stop_at, last_n_batches, max_batch_seen;
    int layers_seen[4];
    double pre_first, pre_last;
} counter;

static int count_cb(const nnt_progress *p, void *ud)
{
    counter *c = ud;
    if (p->pretraining) {
        c->pre++;
        if (p->batch >= 1 && p->batch <= 3) c->layers_seen[p->batch]++;
        if (p->batch == 1 && p->epoch == 1) c->pre_first = p->train.loss;
        if (p->batch == 1) c->pre_last = p->train.loss;
        return 0;
    }
    if (p->batch > 0) {
        c->batches++;
        c->last_n_batches = p->n_batches;
        if (p->batch > c->max_batch_seen) c->max_batch_seen = p->batch;
        return 0;
    }
    c->epochs++;
    assert_int_equal(p->epoch, c->epochs);
    return c->stop_at && p->epoch == c->stop_at ? NNT_PRUNED : 0;
}

static void test_callback_prunes(void **state)
{
    (void)state;
    nnt_dataset *ds = blobs(150, 3, 3, 4);
    nnt_split s = holdout(ds, 0.2);
    nnt_train_data d = tdata(ds, &s);
    nnt_model_options mo = mlp(8, 0);
    nnt_train_options o = quiet(20);
    counter c;
    memset(&c, 0, sizeof c);
    c.stop_at = 3;
    o.progress = count_cb;
    o.userdata = &c;
    o.report_batches = 1;
    o.batch_size = 25;
    nnt_model *m = NULL;
    nnt_train_result res;
    int rc = nnt_train(&d, &mo, &o, &m, &res, NULL);
    assert_int_equal(rc, NNT_PRUNED);
    assert_int_equal(res.status, NNT_PRUNED);
    assert_int_equal(res.epochs_run, 3);
    assert_int_equal(c.epochs, 3);
    /* 120 training rows in batches of 25: 4 full and a partial fifth. */
    assert_int_equal(s.n_train, 120);
    assert_int_equal(c.last_n_batches, 5);
    assert_int_equal(c.max_batch_seen, 5);
    assert_int_equal(c.batches, 15);
    assert_non_null(m);
    assert_int_equal(res.history[2].epoch, 3);
    nnt_model_free(m);
    nnt_train_result_free(&res);
    nnt_split_free(&s);
    nnt_dataset_free(ds);
}

static void test_time_limit(void **state)
{
    (void)state;
    nnt_dataset *ds = blobs(200, 3, 3, 4);
    nnt_train_data d = tdata(ds, NULL);
    nnt_model_options mo = mlp(8, 0);
    nnt_train_options o = quiet(1000);
    o.time_limit_s = 1e-9; /* always exceeded after the first batch */
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    int rc = nnt_train(&d, &mo, &o, &m, &res, &e);
    assert_int_equal(rc, NNT_TIMEOUT);
    assert_int_equal(res.status, NNT_TIMEOUT);
    assert_true(res.epochs_run < 1000);
    assert_non_null(m);
    tu_assert_contains(e.message, "time limit");
    nnt_model_free(m);
    nnt_train_result_free(&res);
    nnt_dataset_free(ds);
}

/* ---- Pretraining --------------------------------------------------------------- */

static void test_pretraining(void **state)
{
    (void)state;
    nnt_dataset *ds = blobs(200, 4, 3, 8);
    nnt_split s = holdout(ds, 0.2);
    nnt_train_data d = tdata(ds, &s);
    nnt_model_options mo = mlp(8, 4);
    mo.activation = NNT_ACT_SIGMOID; /* layer 2 then pretrains with reconstruction CE */
    nnt_train_options o = quiet(5);
    o.pretrain_epochs = 4;
    counter c;
    memset(&c, 0, sizeof c);
    o.progress = count_cb;
    o.userdata = &c;
    nnt_model *m = NULL;
    nnt_train_result res;
    nnt_error e;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    assert_int_equal(c.pre, 8); /* 4 epochs x 2 hidden layers */
    assert_int_equal(c.layers_seen[1], 4);
    assert_int_equal(c.layers_seen[2], 4);
    assert_int_equal(c.epochs, 5);
    assert_true(isfinite(c.pre_first) && c.pre_last < c.pre_first);
    nnt_model_free(m);
    nnt_train_result_free(&res);

    /* Pretraining changes where the main run starts, reproducibly. */
    o.progress = NULL;
    o.max_epochs = 1;
    nnt_model *a = NULL, *b = NULL, *z = NULL;
    assert_int_equal(nnt_train(&d, &mo, &o, &a, NULL, NULL), NNT_OK);
    assert_int_equal(nnt_train(&d, &mo, &o, &b, NULL, NULL), NNT_OK);
    o.pretrain_epochs = 0;
    assert_int_equal(nnt_train(&d, &mo, &o, &z, NULL, NULL), NNT_OK);
    size_t n = nnt_model_num_params(a);
    assert_memory_equal(nnt_model_params(a), nnt_model_params(b), n * sizeof(float));
    assert_true(memcmp(nnt_model_params(a), nnt_model_params(z), n * sizeof(float)) != 0);
    nnt_model_free(a);
    nnt_model_free(b);
    nnt_model_free(z);

    /* Tabular relu net: squared-error reconstruction on standardised inputs. */
    mo.activation = NNT_ACT_RELU;
    o.pretrain_epochs = 2;
    o.max_epochs = 2;
    if (nnt_train(&d, &mo, &o, &m, &res, &e) != NNT_OK) fail_msg("train: %s", e.message);
    nnt_model_free(m);
    nnt_train_result_free(&res);

    nnt_split_free(&s);
    nnt_dataset_free(ds);
}

/* ---- Option checks ----------------------------------------------------------------- */

static void expect_arg(const nnt_train_data *d, const nnt_model_options *mo,
                       const nnt_train_options *o, const char *needle)
{
    nnt_model *m = (nnt_model *)&m;
    nnt_train_result res;
    nnt_error e;
    nnt_error_clear(&e);
    int rc = nnt_train(d, mo, o, &m, &res, &e);
    if (rc != NNT_ERR_ARG) fail_msg("expected NNT_ERR_ARG for '%s', got %d (%s)", needle, rc, e.message);
    assert_null(m);
    assert_null(res.history);
    tu_assert_contains(e.message, needle);
}

static void test_bad_options(void **state)
{
    (void)state;
    nnt_dataset *ds = blobs(40, 2, 2, 1);
    nnt_dataset *reg = linear(40, 0.1, 1);
    nnt_train_data d = tdata(ds, NULL), dr = tdata(reg, NULL);
    nnt_model_options mo = mlp(4, 0);
    nnt_train_options o;

    o = quiet(5); o.lr = 0;            expect_arg(&d, &mo, &o, "lr");
    o = quiet(5); o.lr = NAN;          expect_arg(&d, &mo, &o, "lr");
    o = quiet(5); o.batch_size = 0;    expect_arg(&d, &mo, &o, "batch_size");
    o = quiet(5); o.patience = 0;      expect_arg(&d, &mo, &o, "patience");
    o = quiet(0);                      expect_arg(&d, &mo, &o, "max_epochs");
    o = quiet(5); o.weight_decay = -1; expect_arg(&d, &mo, &o, "weight_decay");
    o = quiet(5); o.optimizer = NNT_OPT_MOMENTUM; o.momentum = 1.0;
    expect_arg(&d, &mo, &o, "momentum");
    o = quiet(5); o.optimizer = NNT_OPT_ADAM; o.beta2 = 1.0;      expect_arg(&d, &mo, &o, "beta2");
    o = quiet(5); o.schedule = NNT_SCHED_STEP; o.step_epochs = 0;
    expect_arg(&d, &mo, &o, "step_epochs");
    o = quiet(5); o.min_lr_fraction = 2; expect_arg(&d, &mo, &o, "min_lr_fraction");
    o = quiet(5); o.time_limit_s = -1; expect_arg(&d, &mo, &o, "time_limit_s");
    o = quiet(5); o.monitor = NNT_METRIC_R2; expect_arg(&d, &mo, &o, "monitor");
    o = quiet(5); o.monitor = NNT_METRIC_ACCURACY; expect_arg(&dr, &mo, &o, "monitor");
    o = quiet(5); o.task = NNT_TASK_REGRESS; expect_arg(&d, &mo, &o, "regression");
    o = quiet(5); o.task = NNT_TASK_BINARY; expect_arg(&dr, &mo, &o, "binary");
    o = quiet(5);
    nnt_model_options bad = mo;
    bad.outputs = 5;
    expect_arg(&d, &bad, &o, "outputs");
    bad = mo;
    bad.inputs = 3;
    expect_arg(&d, &bad, &o, "inputs");
    bad = mo;
    bad.loss = NNT_LOSS_SQUARED_ERROR;
    expect_arg(&d, &bad, &o, "loss");
    bad = mo;
    bad.hidden[0] = -1;
    expect_arg(&d, &bad, &o, "hidden[0]");
    const uint32_t rows[] = {0, 1, 99};
    nnt_train_data dd = d;
    dd.train_rows = rows;
    dd.n_train = 3;
    expect_arg(&dd, &mo, &o, "out of range");
    dd.n_train = 0;
    expect_arg(&dd, &mo, &o, "train_rows");
    /* Validation data of another width. */
    dd = d;
    dd.valid = reg;
    expect_arg(&dd, &mo, &o, "validation data has 3 features");
    nnt_model *m = NULL;
    assert_int_equal(nnt_train(NULL, &mo, &o, &m, NULL, NULL), NNT_ERR_ARG);
    nnt_dataset_free(ds);
    nnt_dataset_free(reg);
}

/* History records: lr per epoch follows the schedule; defaults make sense. */
static void test_history_and_schedule(void **state)
{
    (void)state;
    nnt_train_options def = nnt_train_options_default();
    assert_int_equal(def.optimizer, NNT_OPT_MOMENTUM);
    assert_float_equal(def.lr, 0.01, 0);
    assert_int_equal(def.batch_size, 32);
    assert_int_equal(def.max_epochs, 100);
    assert_int_equal(def.patience, 10);
    assert_int_equal(def.restore_best, 1);

    nnt_dataset *ds = blobs(64, 2, 2, 6);
    nnt_train_data d = tdata(ds, NULL);
    nnt_model_options mo = mlp(4, 0);
    nnt_train_options o = quiet(4);
    o.optimizer = NNT_OPT_NESTEROV;
    o.lr = 0.1;
    o.weight_decay = 1e-4;
    o.schedule = NNT_SCHED_STEP;
    o.step_epochs = 2;
    o.step_gamma = 0.1;
    nnt_model *m = NULL;
    nnt_train_result res;
    assert_int_equal(nnt_train(&d, &mo, &o, &m, &res, NULL), NNT_OK);
    assert_int_equal(res.epochs_run, 4);
    assert_float_equal(res.history[0].lr, 0.1, 1e-12);
    assert_float_equal(res.history[1].lr, 0.1, 1e-12);
    assert_float_equal(res.history[2].lr, 0.01, 1e-12);
    assert_float_equal(res.history[3].lr, 0.01, 1e-12);
    for (int i = 0; i < 4; i++) {
        assert_true(isfinite(res.history[i].train.loss));
        assert_true(res.history[i].train.accuracy >= 0 && res.history[i].train.accuracy <= 1);
        assert_true(isnan(res.history[i].valid.loss)); /* no validation rows */
        assert_true(i == 0 || res.history[i].elapsed_s >= res.history[i - 1].elapsed_s);
    }
    nnt_model_free(m);
    nnt_train_result_free(&res);
    nnt_dataset_free(ds);
}

/* Every allocation happens before the first epoch: the smallest allocation
 * budget that lets a 1-epoch run through also lets a 6-epoch run through. On
 * the way, each failing allocation must come back as NNT_ERR_NOMEM with
 * nothing leaked (checked by the sanitizer build). */
static void test_allocations_only_at_setup(void **state)
{
    (void)state;
    nnt_dataset *ds = blobs(90, 3, 3, 12);
    nnt_split s = holdout(ds, 0.3);
    nnt_train_data d = tdata(ds, &s);
    nnt_model_options mo = mlp(6, 5);
    mo.dropout[0] = 0.1f;
    nnt_train_options o = quiet(1);
    o.batch_size = 16;
    o.pretrain_epochs = 1;
    o.early_stopping = 0;
    nnt_model *m = NULL;
    nnt_train_result res;
    long budget = -1;
    for (long k = 0; k < 500; k++) {
        nnt__alloc_fail_after(k);
        int rc = nnt_train(&d, &mo, &o, &m, &res, NULL);
        nnt__alloc_fail_after(-1);
        if (rc == NNT_ERR_NOMEM) {
            assert_null(m);
            assert_null(res.history);
            continue;
        }
        assert_int_equal(rc, NNT_OK);
        budget = k;
        nnt_model_free(m);
        nnt_train_result_free(&res);
        break;
    }
    assert_true(budget > 0);
    o.max_epochs = 6;
    nnt__alloc_fail_after(budget);
    int rc = nnt_train(&d, &mo, &o, &m, &res, NULL);
    nnt__alloc_fail_after(-1);
    assert_int_equal(rc, NNT_OK);
    assert_int_equal(res.epochs_run, 6);
    nnt_model_free(m);
    nnt_train_result_free(&res);
    nnt_split_free(&s);
    nnt_dataset_free(ds);
}

/* The BLAS thread count is process-wide: nnt_train sets it for the call
 * only (threads > 0) and puts the caller's count back, so that two studies
 * or trainings in one process do not leave each other's setting behind. */
static void test_threads_restored(void **state)
{
    (void)state;
    nnt_dataset *ds = make_ds(4, 2, XOR_X, XOR_Y, 2, NULL, NNT_FEATURES_TABULAR);
    nnt_train_data d = tdata(ds, NULL);
    nnt_model_options mo = mlp(4, 0);
    nnt_train_options o = quiet(3);
    o.threads = 2;
    nnt_model *m = NULL;
    nnt_error e;
    nnt_blas_set_threads(1);
    int rc = nnt_train(&d, &mo, &o, &m, NULL, &e);
    if (rc != NNT_OK) fail_msg("train: %s", e.message);
    /* The previous count returned here is the one nnt_train put back. */
    assert_int_equal(nnt_blas_set_threads(1), 1);
    nnt_model_free(m);
    nnt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xor),
        cmocka_unit_test(test_binary_task),
        cmocka_unit_test(test_regression_linear),
        cmocka_unit_test(test_regression_large_targets),
        cmocka_unit_test(test_autoencoder),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_reproducible_two_threads),
        cmocka_unit_test(test_early_stopping_restores_best),
        cmocka_unit_test(test_divergence),
        cmocka_unit_test(test_callback_prunes),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_pretraining),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_history_and_schedule),
        cmocka_unit_test(test_allocations_only_at_setup),
        cmocka_unit_test(test_threads_restored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
