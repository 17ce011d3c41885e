/* Ensemble models (src/nn/model_ensemble.c, model_io_ensemble.c): the
 * averaged prediction and evaluation, each member's own scaling, model
 * files (version 4, bit-identical reload; single models stay version 3),
 * clones, and the errors: another architecture, nnt_model_forward, damaged
 * member records. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nntune/nntune.h"

/* ---- Fixtures ------------------------------------------------------------ */

#define ROWS 30
#define FEATS 3

static const char *const NAMES[] = {"a", "b", "c"};
static const char *const CLASSES[] = {"x", "y", "z"};

/* Three classes (or a numeric target) from three noisy features. */
static nnt_dataset *make_data(int regress)
{
    float x[ROWS * FEATS], t[ROWS];
    int32_t y[ROWS];
    nnt_rng r;
    nnt_rng_seed(&r, 7);
    for (int i = 0; i < ROWS; i++) {
        y[i] = i % 3;
        for (int j = 0; j < FEATS; j++)
            x[i * FEATS + j] = (float)(nnt_rng_normal(&r) * (j + 1) + 10.0 * j + y[i]);
        t[i] = 100.0f + 5.0f * x[i * FEATS] - 2.0f * x[i * FEATS + 2];
    }
    nnt_dataset_spec spec = {0};
    spec.rows = ROWS;
    spec.features = FEATS;
    spec.x = x;
    if (regress) {
        spec.targets = t;
    } else {
        spec.labels = y;
        spec.n_classes = 3;
        spec.class_names = CLASSES;
    }
    spec.feature_names = NAMES;
    spec.kind = NNT_FEATURES_TABULAR;
    nnt_dataset *ds = NULL;
    nnt_error err;
    assert_int_equal(nnt_dataset_from_arrays(&spec, &ds, &err), NNT_OK);
    return ds;
}

/* A model with random weights (seed) and a scaler fitted on the rows
 * [from, from + n): each member of an ensemble scales with its own. */
static nnt_model *make_member(const nnt_dataset *ds, int regress, int width, uint64_t seed,
                              uint32_t from, size_t n)
{
    nnt_model_options o = nnt_model_options_default();
    o.inputs = FEATS;
    o.outputs = regress ? 1 : 3;
    o.n_hidden = 1;
    o.hidden[0] = width;
    o.activation = NNT_ACT_TANH;
    o.loss = regress ? NNT_LOSS_SQUARED_ERROR : NNT_LOSS_CROSS_ENTROPY;
    nnt_model *m = NULL;
    nnt_error err;
    assert_int_equal(nnt_model_create(&o, seed, &m, &err), NNT_OK);
    uint32_t rows[ROWS];
    for (size_t i = 0; i < n; i++) rows[i] = from + (uint32_t)i;
    nnt_scaler sc;
    assert_int_equal(nnt_scaler_fit(ds, rows, n, NNT_SCALE_STANDARD, &sc, &err), NNT_OK);
    if (regress) assert_int_equal(nnt_scaler_fit_target(ds, rows, n, &sc, &err), NNT_OK);
    assert_int_equal(nnt_model_set_metadata_from(m, ds, regress ? NNT_TASK_REGRESS : NNT_TASK_CLASSIFY,
                                                 &sc, &err),
                     NNT_OK);
    nnt_scaler_free(&sc);
    return m;
}

/* A head and two members, each with its own weights and scaler; *parts
 * gets clones of the three single models, for comparison. */
static nnt_model *make_ensemble(const nnt_dataset *ds, int regress, nnt_model *parts[3])
{
    nnt_model *m[3];
    for (int k = 0; k < 3; k++) m[k] = make_member(ds, regress, 6, 100 + (uint64_t)k, (uint32_t)(5 * k), 15);
    nnt_error err;
    for (int k = 0; k < 3; k++) assert_int_equal(nnt_model_clone(m[k], &parts[k], &err), NNT_OK);
    assert_int_equal(nnt_model_ensemble_add(m[0], m[1], &err), NNT_OK);
    assert_int_equal(nnt_model_ensemble_add(m[0], m[2], &err), NNT_OK);
    return m[0];
}

static void predict_all(const nnt_model *m, const nnt_dataset *ds, float *out)
{
    nnt_error err;
    assert_int_equal(nnt_model_predict(m, ds, NULL, 0, out, &err), NNT_OK);
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Sets the header's size to len and rewrites the CRC. */
static void fix_file(unsigned char *b, size_t len)
{
    put_u32(b + 8, (uint32_t)len);
    put_u32(b + 12, 0);
    uint32_t c = (uint32_t)crc32(0L, b, (uInt)(len - 4));
    put_u32(b + len - 4, c);
}

static void expect_load_error(const char *path, int code, const char *needle)
{
    nnt_model *m = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_model_load(path, &m, &err);
    if (rc != code) fail_msg("loading %s: expected %d, got %d (%s)", path, code, rc, err.message);
    assert_null(m);
    tu_assert_contains(err.message, needle);
}

/* ---- Prediction and evaluation -------------------------------------------- */

/* Probabilities are the mean of the three models' probabilities, each model
 * scaling the raw rows with its own scaler; evaluation scores that mean. */
static void test_classifier_average(void **state)
{
    (void)state;
    nnt_dataset *ds = make_data(0);
    nnt_model *parts[3];
    nnt_model *e = make_ensemble(ds, 0, parts);
    assert_int_equal(nnt_model_ensemble_size(e), 3);
    assert_int_equal(nnt_model_ensemble_size(parts[0]), 1);
    float got[ROWS * 3], p[3][ROWS * 3];
    predict_all(e, ds, got);
    for (int k = 0; k < 3; k++) predict_all(parts[k], ds, p[k]);
    const int32_t *y = nnt_dataset_labels(ds);
    double loss = 0;
    size_t correct = 0;
    int differs = 0;
    for (int i = 0; i < ROWS; i++) {
        int best = 0;
        for (int c = 0; c < 3; c++) {
            float want = (p[0][i * 3 + c] + p[1][i * 3 + c] + p[2][i * 3 + c]) / 3.0f;
            assert_true(fabsf(got[i * 3 + c] - want) < 1e-6f);
            differs |= fabsf(p[0][i * 3 + c] - want) > 1e-3f;
            if (got[i * 3 + c] > got[i * 3 + best]) best = c;
        }
        correct += best == y[i];
        loss += -log(got[i * 3 + y[i]]);
    }
    assert_true(differs); /* the members do matter */
    nnt_eval ev;
    nnt_error err;
    assert_int_equal(nnt_model_evaluate(e, ds, NULL, 0, &ev, &err), NNT_OK);
    assert_int_equal(ev.n, ROWS);
    assert_true(fabs(ev.metrics.accuracy - (double)correct / ROWS) < 1e-12);
    assert_true(fabs(ev.metrics.loss - loss / ROWS) < 1e-5);
    uint64_t total = 0;
    for (int k = 0; k < 9; k++) total += ev.confusion[k];
    assert_int_equal(total, ROWS);
    nnt_eval_free(&ev);

    /* A subset of rows, in any order, gives those rows' predictions (to
     * rounding: a GEMM backend may block a 4-row batch otherwise). */
    uint32_t rows[4] = {7, 2, 29, 2};
    float sub[4 * 3];
    assert_int_equal(nnt_model_predict(e, ds, rows, 4, sub, &err), NNT_OK);
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++) assert_true(fabsf(sub[i * 3 + c] - got[rows[i] * 3 + c]) < 1e-6f);

    /* nnt_model_forward takes rows scaled by one scaler: refused. */
    float x[FEATS] = {0}, o[3];
    assert_int_equal(nnt_model_forward(e, x, 1, o, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "ensemble of 3 models");
    tu_assert_contains(err.message, "nnt_model_predict");
    assert_int_equal(nnt_model_forward(parts[1], x, 1, o, &err), NNT_OK);

    for (int k = 0; k < 3; k++) nnt_model_free(parts[k]);
    nnt_model_free(e);
    nnt_dataset_free(ds);
}

/* Regression: values in the target's units (each member undoes its own
 * target standardisation), then averaged; RMSE of the average. */
static void test_regression_average(void **state)
{
    (void)state;
    nnt_dataset *ds = make_data(1);
    nnt_model *parts[3];
    nnt_model *e = make_ensemble(ds, 1, parts);
    assert_true(nnt_model_scaler(parts[0])->target_shift != nnt_model_scaler(parts[2])->target_shift);
    float got[ROWS], p[3][ROWS];
    predict_all(e, ds, got);
    for (int k = 0; k < 3; k++) predict_all(parts[k], ds, p[k]);
    const float *t = nnt_dataset_targets(ds);
    double sse = 0;
    for (int i = 0; i < ROWS; i++) {
        float want = (p[0][i] + p[1][i] + p[2][i]) / 3.0f;
        assert_true(fabsf(got[i] - want) <= 1e-5f * fmaxf(1.0f, fabsf(want)));
        sse += ((double)got[i] - t[i]) * ((double)got[i] - t[i]);
    }
    nnt_eval ev;
    nnt_error err;
    assert_int_equal(nnt_model_evaluate(e, ds, NULL, 0, &ev, &err), NNT_OK);
    assert_true(fabs(ev.metrics.rmse - sqrt(sse / ROWS)) < 1e-4 * sqrt(sse / ROWS));
    assert_true(isfinite(ev.metrics.r2) && isfinite(ev.metrics.loss));
    assert_null(ev.confusion);
    nnt_eval_free(&ev);
    for (int k = 0; k < 3; k++) nnt_model_free(parts[k]);
    nnt_model_free(e);
    nnt_dataset_free(ds);
}

/* Members must share the architecture; the message names what differs, and
 * a refused member stays the caller's (freed below, so ASan sees no leak
 * or double free). Adding an ensemble flattens it. */
static void test_add_errors_and_flattening(void **state)
{
    (void)state;
    nnt_dataset *ds = make_data(0);
    nnt_model *a = make_member(ds, 0, 6, 1, 0, 30);
    nnt_model *wide = make_member(ds, 0, 7, 2, 0, 30);
    nnt_error err;
    assert_int_equal(nnt_model_ensemble_add(a, wide, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "the member's hidden layer widths differs from the model's");
    assert_int_equal(nnt_model_ensemble_size(a), 1);
    assert_int_equal(nnt_model_ensemble_add(a, a, &err), NNT_ERR_ARG);
    nnt_dataset *rs = make_data(1);
    nnt_model *reg = make_member(rs, 1, 6, 3, 0, 30);
    assert_int_equal(nnt_model_ensemble_add(a, reg, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "outputs");

    nnt_model *b = make_member(ds, 0, 6, 4, 0, 30), *c = make_member(ds, 0, 6, 5, 0, 30);
    assert_int_equal(nnt_model_ensemble_add(b, c, &err), NNT_OK);
    assert_int_equal(nnt_model_ensemble_add(a, b, &err), NNT_OK);
    assert_int_equal(nnt_model_ensemble_size(a), 3);
    nnt_model_free(a);
    nnt_model_free(wide);
    nnt_model_free(reg);
    nnt_dataset_free(rs);
    nnt_dataset_free(ds);
}

/* ---- Files and clones ----------------------------------------------------- */

/* An ensemble's file is version 4 and reloads bit for bit (predictions, and
 * the file written again); a clone predicts the same; a single model is
 * still written as version 3. */
static void test_file_round_trip(void **state)
{
    (void)state;
    for (int regress = 0; regress <= 1; regress++) {
        nnt_dataset *ds = make_data(regress);
        nnt_model *parts[3];
        nnt_model *e = make_ensemble(ds, regress, parts);
        const size_t outs = regress ? 1 : 3;
        float want[ROWS * 3], got[ROWS * 3];
        predict_all(e, ds, want);
        nnt_error err;
        const char *path = tu_path("ens.nnt");
        assert_int_equal(nnt_model_save(e, path, &err), NNT_OK);
        size_t len;
        unsigned char *b = tu_read_file(path, &len);
        assert_int_equal(get_u32(b + 4), 4);
        nnt_model *l = NULL;
        assert_int_equal(nnt_model_load(path, &l, &err), NNT_OK);
        assert_int_equal(nnt_model_ensemble_size(l), 3);
        predict_all(l, ds, got);
        assert_memory_equal(got, want, ROWS * outs * sizeof(float));
        assert_string_equal(nnt_model_feature_name(l, 2), "c");
        const char *again = tu_path("ens2.nnt");
        assert_int_equal(nnt_model_save(l, again, &err), NNT_OK);
        size_t len2;
        unsigned char *b2 = tu_read_file(again, &len2);
        assert_int_equal(len2, len);
        assert_memory_equal(b2, b, len);
        nnt_model *c = NULL;
        assert_int_equal(nnt_model_clone(l, &c, &err), NNT_OK);
        predict_all(c, ds, got);
        assert_memory_equal(got, want, ROWS * outs * sizeof(float));

        const char *single = tu_path("single.nnt");
        assert_int_equal(nnt_model_save(parts[1], single, &err), NNT_OK);
        size_t len1;
        unsigned char *b1 = tu_read_file(single, &len1);
        assert_int_equal(get_u32(b1 + 4), 3);
        free(b1);
        free(b2);
        free(b);
        nnt_model_free(c);
        nnt_model_free(l);
        for (int k = 0; k < 3; k++) nnt_model_free(parts[k]);
        nnt_model_free(e);
        nnt_dataset_free(ds);
    }
}

/* Damaged member records: a count past the data, bytes after the last
 * member, a member of another size; every byte flip is rejected. */
static void test_damaged_members(void **state)
{
    (void)state;
    nnt_dataset *ds = make_data(0);
    nnt_model *parts[3];
    nnt_model *e = make_ensemble(ds, 0, parts);
    nnt_error err;
    const char *single = tu_path("head.nnt"), *path = tu_path("ens.nnt");
    assert_int_equal(nnt_model_save(parts[0], single, &err), NNT_OK);
    assert_int_equal(nnt_model_save(e, path, &err), NNT_OK);
    size_t len1, len;
    unsigned char *b1 = tu_read_file(single, &len1);
    unsigned char *b = tu_read_file(path, &len);
    size_t count_at = len1 - 4; /* the head's record, then the member count */
    assert_int_equal(get_u32(b + count_at), 2);
    const char *bad = tu_path("bad.nnt");

    put_u32(b + count_at, 3);
    fix_file(b, len);
    tu_write_file(bad, b, len);
    expect_load_error(bad, NNT_ERR_CORRUPT, "ensemble member 3: record runs past the end of the data");
    put_u32(b + count_at, 1);
    fix_file(b, len);
    tu_write_file(bad, b, len);
    expect_load_error(bad, NNT_ERR_CORRUPT, "bytes after the last ensemble member");
    put_u32(b + count_at, 5000);
    fix_file(b, len);
    tu_write_file(bad, b, len);
    expect_load_error(bad, NNT_ERR_CORRUPT, "absurd ensemble member count 5000");
    put_u32(b + count_at, 2);
    /* Member 1's weight count (after its scaler: kind, size, 2 x 3 floats,
     * target pair) one too many. */
    size_t np_at = count_at + 4 + 4 + 8 + 4 * 2 * FEATS + 8;
    put_u32(b + np_at, get_u32(b + np_at) + 1);
    fix_file(b, len);
    tu_write_file(bad, b, len);
    expect_load_error(bad, NNT_ERR_CORRUPT, "ensemble member 1: weight count does not match");
    put_u32(b + np_at, get_u32(b + np_at) - 1);
    fix_file(b, len);
    tu_write_file(bad, b, len);
    nnt_model *ok = NULL;
    assert_int_equal(nnt_model_load(bad, &ok, &err), NNT_OK); /* restored */
    nnt_model_free(ok);

    size_t step = tu_quick() ? 13 : 1;
    for (size_t i = 0; i < len; i += step) {
        b[i] ^= 0x5A;
        tu_write_file(bad, b, len);
        nnt_model *m = NULL;
        if (nnt_model_load(bad, &m, &err) >= 0) fail_msg("flip at byte %zu was accepted", i);
        assert_null(m);
        b[i] ^= 0x5A;
    }
    free(b);
    free(b1);
    for (int k = 0; k < 3; k++) nnt_model_free(parts[k]);
    nnt_model_free(e);
    nnt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classifier_average),
        cmocka_unit_test(test_regression_average),
        cmocka_unit_test(test_add_errors_and_flattening),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_damaged_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
