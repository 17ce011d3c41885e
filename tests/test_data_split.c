/* Data sets from arrays, hold-out and k-fold splits, and scalers. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nntune/data.h"

/* n rows, 2 features (row index, constant 7), labels: first n0 rows class 0,
 * the rest class 1. */
static nnt_dataset *make_classes(size_t n, size_t n0)
{
    float *x = malloc(n * 2 * sizeof(float));
    int32_t *l = malloc(n * sizeof(int32_t));
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = (float)i;
        x[2 * i + 1] = 7.0f;
        l[i] = i < n0 ? 0 : 1;
    }
    const char *names[2] = {"neg", "pos"};
    nnt_dataset_spec s;
    memset(&s, 0, sizeof s);
    s.rows = n;
    s.features = 2;
    s.x = x;
    s.labels = l;
    s.n_classes = 2;
    s.class_names = names;
    nnt_dataset *ds;
    nnt_error e;
    int rc = nnt_dataset_from_arrays(&s, &ds, &e);
    if (rc != 0) fail_msg("%s", e.message);
    free(x);
    free(l);
    return ds;
}

static void test_from_arrays(void **state)
{
    (void)state;
    nnt_dataset *ds = make_classes(10, 4);
    assert_int_equal(nnt_dataset_rows(ds), 10);
    assert_int_equal(nnt_dataset_features(ds), 2);
    assert_string_equal(nnt_dataset_feature_name(ds, 1), "x1");
    assert_string_equal(nnt_dataset_target_name(ds), "target");
    assert_string_equal(nnt_dataset_class_name(ds, 1), "pos");
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_CLASSIFY);
    assert_int_equal(nnt_dataset_labels(ds)[5], 1);
    nnt_dataset_free(ds);
    nnt_dataset_free(NULL);

    float x[4] = {1, 2, 3, 4}, t[2] = {0.5f, 1.5f};
    int32_t bad[2] = {0, 2};
    const char *fn[2] = {"u", "v"};
    nnt_dataset_spec s;
    memset(&s, 0, sizeof s);
    s.rows = 2;
    s.features = 2;
    s.x = x;
    s.targets = t;
    s.feature_names = fn;
    s.target_name = "price";
    nnt_error e;
    assert_int_equal(nnt_dataset_from_arrays(&s, &ds, &e), 0);
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_REGRESS);
    assert_string_equal(nnt_dataset_target_name(ds), "price");
    assert_string_equal(nnt_dataset_feature_name(ds, 0), "u");
    assert_float_equal(nnt_dataset_targets(ds)[1], 1.5, 0);
    x[0] = 99; /* copied, not borrowed */
    assert_float_equal(nnt_dataset_x(ds)[0], 1, 0);
    nnt_dataset_free(ds);

    s.targets = NULL;
    s.labels = bad;
    s.n_classes = 2;
    assert_int_equal(nnt_dataset_from_arrays(&s, &ds, &e), NNT_ERR_ARG);
    assert_null(ds);
    tu_assert_contains(e.message, "label 2 of row 1 is outside [0, 2)");
    s.labels = NULL;
    s.rows = 0;
    assert_int_equal(nnt_dataset_from_arrays(&s, &ds, &e), NNT_ERR_ARG);
}

static void check_partition(const nnt_split *sp, size_t n)
{
    assert_int_equal(sp->n_train + sp->n_valid, n);
    char *seen = calloc(n, 1);
    for (size_t i = 0; i < sp->n_train; i++) {
        assert_true(sp->train[i] < n);
        if (i) assert_true(sp->train[i] > sp->train[i - 1]);
        seen[sp->train[i]]++;
    }
    for (size_t i = 0; i < sp->n_valid; i++) {
        assert_true(sp->valid[i] < n);
        if (i) assert_true(sp->valid[i] > sp->valid[i - 1]);
        seen[sp->valid[i]]++;
    }
    for (size_t i = 0; i < n; i++) assert_int_equal(seen[i], 1);
    free(seen);
}

static size_t count_class(const nnt_dataset *ds, const uint32_t *rows, size_t n, int c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += nnt_dataset_labels(ds)[rows[i]] == c;
    return k;
}

static void test_holdout_stratified(void **state)
{
    (void)state;
    nnt_dataset *ds = make_classes(103, 71);
    nnt_split sp;
    nnt_error e;
    assert_int_equal(nnt_split_holdout(ds, 0.2, 42, 1, &sp, &e), 0);
    check_partition(&sp, 103);
    /* round(0.2 * 71) + round(0.2 * 32) = 14 + 6 */
    assert_int_equal(sp.n_valid, 20);
    assert_int_equal(count_class(ds, sp.valid, sp.n_valid, 0), 14);
    assert_int_equal(count_class(ds, sp.valid, sp.n_valid, 1), 6);
    /* Proportions within one row of the whole set's. */
    double want = 0.2 * 71;
    assert_true(fabs((double)count_class(ds, sp.valid, sp.n_valid, 0) - want) <= 1.0);

    /* Same seed, same split; another seed, another split. */
    nnt_split sp2, sp3;
    assert_int_equal(nnt_split_holdout(ds, 0.2, 42, 1, &sp2, &e), 0);
    assert_int_equal(sp2.n_valid, sp.n_valid);
    assert_memory_equal(sp2.valid, sp.valid, sp.n_valid * sizeof(uint32_t));
    assert_int_equal(nnt_split_holdout(ds, 0.2, 43, 1, &sp3, &e), 0);
    assert_int_equal(sp3.n_valid, sp.n_valid);
    assert_memory_not_equal(sp3.valid, sp.valid, sp.n_valid * sizeof(uint32_t));
    nnt_split_free(&sp);
    nnt_split_free(&sp2);
    nnt_split_free(&sp3);
    assert_null(sp.train);
    assert_int_equal(sp.n_train, 0);
    nnt_split_free(NULL);

    /* A rare class still contributes its share. */
    nnt_dataset *rare = make_classes(1000, 990);
    assert_int_equal(nnt_split_holdout(rare, 0.3, 1, 1, &sp, &e), 0);
    assert_int_equal(count_class(rare, sp.valid, sp.n_valid, 1), 3);
    assert_int_equal(count_class(rare, sp.valid, sp.n_valid, 0), 297);
    nnt_split_free(&sp);
    nnt_dataset_free(rare);
    nnt_dataset_free(ds);
}

static void test_holdout_plain_and_edges(void **state)
{
    (void)state;
    nnt_dataset *ds = make_classes(10, 5);
    nnt_split sp;
    nnt_error e;
    assert_int_equal(nnt_split_holdout(ds, 0.25, 5, 0, &sp, &e), 0);
    check_partition(&sp, 10);
    assert_int_equal(sp.n_valid, 3); /* round(2.5) */
    nnt_split_free(&sp);
    /* Tiny fractions still give one validation row, huge ones one train row. */
    assert_int_equal(nnt_split_holdout(ds, 0.001, 5, 1, &sp, &e), 0);
    assert_int_equal(sp.n_valid, 1);
    check_partition(&sp, 10);
    nnt_split_free(&sp);
    assert_int_equal(nnt_split_holdout(ds, 0.999, 5, 1, &sp, &e), 0);
    assert_int_equal(sp.n_train, 1);
    check_partition(&sp, 10);
    nnt_split_free(&sp);
    assert_int_equal(nnt_split_holdout(ds, 0.001, 5, 0, &sp, &e), 0);
    assert_int_equal(sp.n_valid, 1);
    nnt_split_free(&sp);

    const double bad[4] = {0.0, 1.0, -0.5, NAN};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(nnt_split_holdout(ds, bad[i], 5, 1, &sp, &e), NNT_ERR_ARG);
        tu_assert_contains(e.message, "strictly between 0 and 1");
        assert_null(sp.train);
    }
    nnt_dataset_free(ds);
    ds = make_classes(1, 1);
    assert_int_equal(nnt_split_holdout(ds, 0.5, 5, 1, &sp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "from 1 row: need at least 2");
    nnt_dataset_free(ds);
}

static void test_kfold(void **state)
{
    (void)state;
    const size_t n = 53;
    const int k = 5;
    nnt_dataset *ds = make_classes(n, 31);
    nnt_error e;
    for (int strat = 0; strat <= 1; strat++) {
        int *times = calloc(n, sizeof(int));
        for (int f = 0; f < k; f++) {
            nnt_split sp, again;
            assert_int_equal(nnt_split_kfold(ds, k, f, 9, strat, &sp, &e), 0);
            check_partition(&sp, n);
            assert_true(sp.n_valid == 10 || sp.n_valid == 11);
            for (size_t i = 0; i < sp.n_valid; i++) times[sp.valid[i]]++;
            if (strat) {
                /* 31 / 5 and 22 / 5 rows per fold, within one. */
                size_t c0 = count_class(ds, sp.valid, sp.n_valid, 0);
                size_t c1 = count_class(ds, sp.valid, sp.n_valid, 1);
                assert_true(c0 == 6 || c0 == 7);
                assert_true(c1 == 4 || c1 == 5);
            }
            assert_int_equal(nnt_split_kfold(ds, k, f, 9, strat, &again, &e), 0);
            assert_memory_equal(again.valid, sp.valid, sp.n_valid * sizeof(uint32_t));
            nnt_split_free(&sp);
            nnt_split_free(&again);
        }
        /* Every row validates exactly once across the folds. */
        for (size_t i = 0; i < n; i++) assert_int_equal(times[i], 1);
        free(times);
    }
    nnt_split sp;
    assert_int_equal(nnt_split_kfold(ds, 1, 0, 9, 1, &sp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "k >= 2 (got 1)");
    assert_int_equal(nnt_split_kfold(ds, 5, 5, 9, 1, &sp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "fold 5 is out of range for k = 5");
    assert_int_equal(nnt_split_kfold(ds, 5, -1, 9, 1, &sp, &e), NNT_ERR_ARG);
    assert_int_equal(nnt_split_kfold(ds, 54, 0, 9, 1, &sp, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "cannot make 54 folds from 53 rows");
    nnt_dataset_free(ds);
}

static void test_split_all(void **state)
{
    (void)state;
    nnt_dataset *ds = make_classes(7, 3);
    nnt_split sp;
    nnt_error e;
    assert_int_equal(nnt_split_all(ds, &sp, &e), 0);
    assert_int_equal(sp.n_train, 7);
    assert_int_equal(sp.n_valid, 0);
    check_partition(&sp, 7);
    nnt_split_free(&sp);
    nnt_dataset_free(ds);
}

/* ---- Scaler --------------------------------------------------------------- */

static void test_scaler_standard_on_train_rows_only(void **state)
{
    (void)state;
    /* Column 0 is the row index; column 1 is constant. Fit on rows 0..9 only:
     * mean 4.5, population std sqrt(8.25). */
    nnt_dataset *ds = make_classes(100, 50);
    uint32_t rows[10];
    for (uint32_t i = 0; i < 10; i++) rows[i] = i;
    nnt_scaler s;
    nnt_error e;
    assert_int_equal(nnt_scaler_fit(ds, rows, 10, NNT_SCALE_AUTO, &s, &e), 0);
    assert_int_equal(s.kind, NNT_SCALE_STANDARD);
    assert_int_equal(s.features, 2);
    assert_float_equal(s.shift[0], 4.5, 1e-6);
    assert_float_equal(s.mul[0], 1.0 / sqrt(8.25), 1e-6);
    assert_float_equal(s.shift[1], 7.0, 0);
    assert_float_equal(s.mul[1], 1.0, 0);
    float src[2] = {4.5f + (float)sqrt(8.25), 7.0f}, dst[2];
    nnt_scaler_apply_row(&s, src, dst);
    assert_float_equal(dst[0], 1.0, 1e-5);
    assert_float_equal(dst[1], 0.0, 0);

    nnt_scaler c;
    assert_int_equal(nnt_scaler_copy(&s, &c, &e), 0);
    nnt_scaler_free(&s);
    assert_null(s.shift);
    assert_int_equal(s.features, 0);
    assert_float_equal(c.shift[0], 4.5, 1e-6);
    nnt_scaler_free(&c);

    /* All rows when rows is NULL. */
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &s, &e), 0);
    assert_float_equal(s.shift[0], 49.5, 1e-5);
    nnt_scaler_free(&s);

    uint32_t bad = 100;
    assert_int_equal(nnt_scaler_fit(ds, &bad, 1, NNT_SCALE_STANDARD, &s, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "row index 100 is out of range");
    nnt_dataset_free(ds);
}

static void test_scaler_precision_and_kinds(void **state)
{
    (void)state;
    /* A large offset with a small spread: naive float sums would lose it. */
    const size_t n = 20000;
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = 100000.0f + (i % 2 ? 0.5f : -0.5f);
    nnt_dataset_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.rows = n;
    sp.features = 1;
    sp.x = x;
    nnt_dataset *ds;
    nnt_error e;
    assert_int_equal(nnt_dataset_from_arrays(&sp, &ds, &e), 0);
    nnt_scaler s;
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_AUTO, &s, &e), 0);
    assert_float_equal(s.shift[0], 100000.0, 1e-3);
    assert_float_equal(s.mul[0], 2.0, 1e-4);
    nnt_scaler_free(&s);
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_PIXELS, &s, &e), 0);
    assert_float_equal(s.shift[0], 0, 0);
    assert_float_equal(s.mul[0], 1.0 / 255, 1e-9);
    nnt_scaler_free(&s);
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_NONE, &s, &e), 0);
    assert_int_equal(s.kind, NNT_SCALE_NONE);
    assert_float_equal(s.mul[0], 1, 0);
    nnt_scaler_free(&s);
    nnt_dataset_free(ds);

    sp.kind = NNT_FEATURES_PIXELS;
    assert_int_equal(nnt_dataset_from_arrays(&sp, &ds, &e), 0);
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_AUTO, &s, &e), 0);
    assert_int_equal(s.kind, NNT_SCALE_PIXELS);
    nnt_scaler_free(&s);
    nnt_dataset_free(ds);
    free(x);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    nnt_dataset *ds = make_classes(20, 8);
    int ok = 0;
    for (long n = 0; n < 50 && !ok; n++) {
        nnt_split sp;
        nnt_scaler s;
        nnt_error e;
        nnt__alloc_fail_after(n);
        int rc = nnt_split_kfold(ds, 3, 1, 1, 1, &sp, &e);
        int rc2 = rc == 0 ? nnt_scaler_fit(ds, sp.train, sp.n_train, NNT_SCALE_STANDARD, &s, &e) : rc;
        nnt__alloc_fail_after(-1);
        if (rc == 0) nnt_split_free(&sp);
        if (rc2 == 0) {
            nnt_scaler_free(&s);
            ok = 1;
        } else {
            assert_int_equal(rc2, NNT_ERR_NOMEM);
        }
    }
    assert_true(ok);
    nnt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_arrays),
        cmocka_unit_test(test_holdout_stratified),
        cmocka_unit_test(test_holdout_plain_and_edges),
        cmocka_unit_test(test_kfold),
        cmocka_unit_test(test_split_all),
        cmocka_unit_test(test_scaler_standard_on_train_rows_only),
        cmocka_unit_test(test_scaler_precision_and_kinds),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
