/* CSV task rule, input schemas (columns by name, categories, fill values),
 * --ignore, delimiter detection and missing-value policies. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/nntune.h"

static nnt_dataset *load_ok(const char *name, const char *text, const nnt_csv_options *o)
{
    const char *p = tu_write(name, text);
    nnt_dataset *ds = NULL;
    nnt_error e;
    nnt_error_clear(&e);
    int rc = nnt_dataset_load_csv(p, o, &ds, &e);
    if (rc != 0) fail_msg("%s: %s", name, e.message);
    return ds;
}

static void expect_fail(const char *name, const char *text, const nnt_csv_options *o, int code,
                        const char *needle)
{
    const char *p = tu_write(name, text);
    nnt_dataset *ds = (nnt_dataset *)1;
    nnt_error e;
    nnt_error_clear(&e);
    int rc = nnt_dataset_load_csv(p, o, &ds, &e);
    if (rc != code) fail_msg("%s: expected code %d, got %d (%s)", name, code, rc, e.message);
    assert_null(ds);
    tu_assert_contains(e.message, needle);
}

/* A CSV "x,y" with n rows and target value i % k written as "%d.0". */
static char *target_csv(size_t n, int k, int integral)
{
    size_t cap = 64 + n * 48;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = (size_t)snprintf(s, cap, "x,y\n");
    for (size_t i = 0; i < n; i++) {
        int v = (int)(i % (size_t)k) * 7 + 25;
        if (integral) len += (size_t)snprintf(s + len, cap - len, "%zu,%d.0\n", i, v);
        else len += (size_t)snprintf(s + len, cap - len, "%zu,%d.5\n", i, v);
    }
    return s;
}

static nnt_task task_of(size_t n, int k, int integral, const nnt_csv_options *o,
                        nnt_csv_info *info)
{
    char *text = target_csv(n, k, integral);
    nnt_dataset *ds = load_ok("target.csv", text, o);
    free(text);
    nnt_task t = nnt_dataset_task(ds);
    *info = *nnt_dataset_csv_info(ds);
    nnt_dataset_free(ds);
    return t;
}

/* ---- Task rule ---------------------------------------------------------- */

static void test_task_rule(void **state)
{
    (void)state;
    nnt_csv_info in;
    /* A 442-row target with 214 distinct integral values ("68.0"): regression. */
    assert_int_equal(task_of(442, 214, 1, NULL, &in), NNT_TASK_REGRESS);
    assert_int_equal(in.target_distinct, 214);
    assert_true(in.target_integral);
    assert_false(in.task_forced);
    assert_int_equal(in.max_classes, NNT_CSV_MAX_CLASSES);
    assert_true(in.target_min == 25.0 && in.target_max == 25.0 + 213 * 7);
    /* A 100-row 0/1 target: binary classes; two values are classes at any size. */
    assert_int_equal(task_of(100, 2, 1, NULL, &in), NNT_TASK_CLASSIFY);
    assert_int_equal(task_of(2, 2, 1, NULL, &in), NNT_TASK_CLASSIFY);
    /* At most 20 distinct values ... */
    assert_int_equal(task_of(1000, 20, 1, NULL, &in), NNT_TASK_CLASSIFY);
    assert_int_equal(task_of(1000, 21, 1, NULL, &in), NNT_TASK_REGRESS);
    /* ... and two rows a value. */
    assert_int_equal(task_of(30, 15, 1, NULL, &in), NNT_TASK_CLASSIFY);
    assert_int_equal(task_of(30, 16, 1, NULL, &in), NNT_TASK_REGRESS);
    /* Fractions: regression at any count. */
    assert_int_equal(task_of(100, 2, 0, NULL, &in), NNT_TASK_REGRESS);
    assert_false(in.target_integral);
    /* The limit is an option; a forced task wins and says so. */
    nnt_csv_options o = nnt_csv_options_default();
    o.max_classes = 3;
    assert_int_equal(task_of(100, 4, 1, &o, &in), NNT_TASK_REGRESS);
    assert_int_equal(in.max_classes, 3);
    o = nnt_csv_options_default();
    o.task = NNT_TASK_CLASSIFY;
    assert_int_equal(task_of(442, 214, 1, &o, &in), NNT_TASK_CLASSIFY);
    assert_true(in.task_forced);
    /* Text is classes. */
    nnt_dataset *ds = load_ok("text.csv", "a,y\n1,cat\n2,dog\n", NULL);
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_CLASSIFY);
    assert_true(nnt_dataset_csv_info(ds)->target_text);
    assert_true(isnan(nnt_dataset_csv_info(ds)->target_min));
    nnt_dataset_free(ds);
}

/* ---- Delimiters ---------------------------------------------------------- */

static void test_delimiter_detection(void **state)
{
    (void)state;
    nnt_dataset *ds = load_ok("semi.csv", "a;b;y\n1.5;2;x\n3;4;z\n", NULL);
    assert_int_equal(nnt_dataset_features(ds), 2);
    assert_float_equal(nnt_dataset_x(ds)[0], 1.5, 0);
    assert_int_equal(nnt_dataset_csv_info(ds)->delimiter, ';');
    nnt_dataset_free(ds);
    ds = load_ok("tab.tsv", "a\tb\ty\n1\t2\tx\n3\t4\tz\n", NULL);
    assert_int_equal(nnt_dataset_features(ds), 2);
    assert_int_equal(nnt_dataset_csv_info(ds)->delimiter, '\t');
    nnt_dataset_free(ds);
    /* A quoted ';' does not count. */
    ds = load_ok("q.csv", "\"a;1\",b,y\n1,2,x\n3,4,z\n", NULL);
    assert_string_equal(nnt_dataset_feature_name(ds, 0), "a;1");
    nnt_dataset_free(ds);
    /* An explicit ',' on a ';' file: the one-column header says so. */
    nnt_csv_options o = nnt_csv_options_default();
    o.delimiter = ',';
    expect_fail("semi1.csv", "a;b;y\n1;2;x\n", &o, NNT_ERR_FORMAT,
                "semi1.csv:1: the header is a single column but contains ';': is ';' the "
                "delimiter? (delimiter in use: ','; --delimiter ';')");
    expect_fail("tab1.csv", "a\tb\ty\n1\t2\tx\n", &o, NNT_ERR_FORMAT,
                "the header is a single column but contains a tab: is a tab the delimiter?");
}

/* ---- Ignore -------------------------------------------------------------- */

static void test_ignore_columns(void **state)
{
    (void)state;
    const char *text = "id,a,note,b,y\n1,1.5,hello,2,x\n2,3,world,4,z\n";
    const char *const ig[2] = {"id", "note"};
    nnt_csv_options o = nnt_csv_options_default();
    o.ignore = ig;
    o.n_ignore = 2;
    nnt_dataset *ds = load_ok("ig.csv", text, &o);
    assert_int_equal(nnt_dataset_features(ds), 2);
    assert_string_equal(nnt_dataset_feature_name(ds, 0), "a");
    assert_string_equal(nnt_dataset_feature_name(ds, 1), "b");
    assert_float_equal(nnt_dataset_x(ds)[3], 4, 0);
    assert_int_equal(nnt_dataset_schema(ds)->n_columns, 2);
    assert_int_equal(nnt_dataset_csv_info(ds)->columns, 5);
    nnt_dataset_free(ds);
    const char *const bad[1] = {"nope"};
    o.ignore = bad;
    o.n_ignore = 1;
    expect_fail("ig2.csv", text, &o, NNT_ERR_NOT_FOUND,
                "ig2.csv: no column named 'nope' to ignore; columns are 'id', 'a', 'note'");
    const char *const tgt[1] = {"y"};
    o.ignore = tgt;
    expect_fail("ig3.csv", text, &o, NNT_ERR_ARG, "cannot ignore 'y': it is the target column");
    /* A numeric column with a stray word names the option. */
    expect_fail("ig4.csv", "id,a,y\n1,2,x\n2,oops,z\n", NULL, NNT_ERR_FORMAT,
                "ig4.csv:3: column 'a': expected a number, got 'oops' (the column mixes numbers "
                "and text); drop the column with --ignore a");
}

/* ---- Missing values ------------------------------------------------------ */

static void test_missing_policies(void **state)
{
    (void)state;
    const char *text = "a,b,y\n1,10,x\n,20,z\n3,NA,x\n5,40,z\n7,?,x\n";
    nnt_csv_options o = nnt_csv_options_default();
    expect_fail("m0.csv", text, &o, NNT_ERR_FORMAT,
                "m0.csv: 3 missing values (empty, NA, NaN or ?) in 3 rows and 2 columns ('a' 1, "
                "'b' 2); first at line 3, column 'a'; drop those rows or fill the values with "
                "--missing drop|mean|median");
    o.missing = NNT_MISSING_DROP;
    nnt_dataset *ds = load_ok("m1.csv", text, &o);
    assert_int_equal(nnt_dataset_rows(ds), 2);
    assert_int_equal(nnt_dataset_csv_info(ds)->rows_dropped, 3);
    assert_int_equal(nnt_dataset_csv_info(ds)->rows_read, 5);
    assert_float_equal(nnt_dataset_x(ds)[2], 5, 0);
    assert_float_equal(nnt_dataset_x(ds)[3], 40, 0);
    assert_true(isnan(nnt_dataset_schema(ds)->columns[0].fill));
    nnt_dataset_free(ds);
    /* Drop also takes rows without a target, which are otherwise an error. */
    ds = load_ok("m1t.csv", "a,y\n1,x\n2,\n3,z\n", &o);
    assert_int_equal(nnt_dataset_rows(ds), 2);
    nnt_dataset_free(ds);
    o.missing = NNT_MISSING_MEAN;
    ds = load_ok("m2.csv", text, &o);
    assert_int_equal(nnt_dataset_rows(ds), 5);
    const float *x = nnt_dataset_x(ds);
    assert_float_equal(x[2], 4, 1e-6);        /* mean of 1, 3, 5, 7 */
    assert_float_equal(x[5], 70.0 / 3, 1e-5); /* mean of 10, 20, 40 */
    assert_float_equal(nnt_dataset_schema(ds)->columns[1].fill, 70.0 / 3, 1e-5);
    assert_int_equal(nnt_dataset_csv_info(ds)->missing_filled, 3);
    nnt_dataset_free(ds);
    o.missing = NNT_MISSING_MEDIAN;
    ds = load_ok("m3.csv", text, &o);
    x = nnt_dataset_x(ds);
    assert_float_equal(x[2], 4, 0);   /* median of 1, 3, 5, 7 */
    assert_float_equal(x[5], 20, 0);  /* median of 10, 20, 40 */
    assert_float_equal(x[9], 20, 0);
    /* Prediction data through the schema: missing values take the fills,
     * also in a column that had none in training. */
    nnt_csv_options p = nnt_csv_options_default();
    p.schema = nnt_dataset_schema(ds);
    p.target = "y";
    p.target_optional = 1;
    nnt_dataset *pd = load_ok("m3p.csv", "b,a\n,NA\n1,2\n", &p);
    assert_float_equal(nnt_dataset_x(pd)[0], 4, 0);
    assert_float_equal(nnt_dataset_x(pd)[1], 20, 0);
    assert_int_equal(nnt_dataset_csv_info(pd)->missing_filled, 2);
    nnt_dataset_free(pd);
    nnt_dataset_free(ds);
    /* A schema without fill values keeps missing values an error. */
    o.missing = NNT_MISSING_DROP;
    ds = load_ok("m4.csv", text, &o);
    p.schema = nnt_dataset_schema(ds);
    expect_fail("m4p.csv", "a,b\n1,\n", &p, NNT_ERR_FORMAT,
                "1 missing value (empty, NA, NaN or ?) in 1 row and 1 column ('b' 1); first at "
                "line 2, column 'b'; the model has no fill values for them");
    nnt_dataset_free(ds);
}

/* ---- Categorical columns ------------------------------------------------- */

static void test_categorical_columns(void **state)
{
    (void)state;
    const char *text = "size,city,y\n1,Paris,x\n2,Lyon,z\n3,Paris,x\n4,Nice,z\n";
    nnt_dataset *ds = load_ok("cat.csv", text, NULL);
    assert_int_equal(nnt_dataset_features(ds), 4);
    assert_string_equal(nnt_dataset_feature_name(ds, 0), "size");
    assert_string_equal(nnt_dataset_feature_name(ds, 1), "city=Lyon");
    assert_string_equal(nnt_dataset_feature_name(ds, 2), "city=Nice");
    assert_string_equal(nnt_dataset_feature_name(ds, 3), "city=Paris");
    const float want[16] = {1, 0, 0, 1, 2, 1, 0, 0, 3, 0, 0, 1, 4, 0, 1, 0};
    assert_memory_equal(nnt_dataset_x(ds), want, sizeof want);
    const nnt_schema *s = nnt_dataset_schema(ds);
    assert_int_equal(s->n_columns, 2);
    assert_true(s->columns[1].categorical);
    assert_int_equal(s->columns[1].n_categories, 3);
    assert_int_equal(nnt_schema_features(s), 4);
    assert_int_equal(nnt_dataset_csv_info(ds)->categorical, 1);
    /* Prediction: an unseen category is all zeros and counted. */
    nnt_csv_options p = nnt_csv_options_default();
    p.schema = s;
    p.target_optional = 1;
    p.target = "y";
    nnt_dataset *pd = load_ok("catp.csv", "city,size\nNice,7\nMarseille,8\nToulouse,9\n", &p);
    const float pw[12] = {7, 0, 1, 0, 8, 0, 0, 0, 9, 0, 0, 0};
    assert_memory_equal(nnt_dataset_x(pd), pw, sizeof pw);
    assert_int_equal(nnt_dataset_csv_info(pd)->unseen, 2);
    assert_int_equal(nnt_dataset_csv_info(pd)->unseen_rows, 2);
    nnt_dataset_free(pd);
    /* A text value in a column the schema reads as numeric. */
    expect_fail("catq.csv", "city,size\nNice,big\n", &p, NNT_ERR_FORMAT,
                "catq.csv:2: column 'size': expected a number, got 'big' (the model reads "
                "'size' as a numeric column)");
    nnt_dataset_free(ds);

    /* Too many distinct values: an error naming the column and --ignore. */
    size_t cap = 4096, len = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    len += (size_t)snprintf(big + len, cap - len, "a,name,y\n");
    for (int i = 0; i < 40; i++)
        len += (size_t)snprintf(big + len, cap - len, "%d,n%02d,%s\n", i, i, i % 2 ? "x" : "z");
    expect_fail("many.csv", big, NULL, NNT_ERR_FORMAT,
                "many.csv: column 'name' has text values ('n00' at line 2) and more than 32 "
                "distinct values, too many to encode as categories; drop the column with "
                "--ignore name");
    nnt_csv_options o = nnt_csv_options_default();
    o.max_categories = 40;
    ds = load_ok("many2.csv", big, &o);
    assert_int_equal(nnt_dataset_features(ds), 41);
    nnt_dataset_free(ds);
    o.max_categories = 0;
    expect_fail("many3.csv", big, &o, NNT_ERR_FORMAT,
                "many3.csv:2: column 'name': expected a number, got 'n00'; drop the column with "
                "--ignore name");
    free(big);
    /* Missing categorical values fill with all zeros under mean/median. */
    o = nnt_csv_options_default();
    o.missing = NNT_MISSING_MEAN;
    ds = load_ok("catm.csv", "c,y\nu,x\n,z\nv,x\n", &o);
    const float mw[6] = {1, 0, 0, 0, 0, 1};
    assert_memory_equal(nnt_dataset_x(ds), mw, sizeof mw);
    assert_true(nnt_dataset_schema(ds)->columns[0].fill == 0.0f);
    nnt_dataset_free(ds);
}

/* ---- Columns by name ------------------------------------------------------ */

static void test_columns_by_name(void **state)
{
    (void)state;
    const char *train = "sepal_len,sepal_wid,colour,petal_width,species\n"
                        "5.1,3.5,red,0.2,a\n4.9,3.0,blue,0.2,b\n6.3,3.3,red,2.5,c\n"
                        "5.8,2.7,green,1.9,a\n7.1,3.0,blue,2.1,b\n5.0,3.6,red,0.2,c\n";
    nnt_dataset *ds = load_ok("tr.csv", train, NULL);
    size_t F = nnt_dataset_features(ds);
    assert_int_equal(F, 6);
    nnt_model_options mo = nnt_model_options_default();
    mo.inputs = (int)F;
    mo.outputs = 3;
    mo.n_hidden = 1;
    mo.hidden[0] = 5;
    nnt_model *m = NULL;
    nnt_error e;
    assert_int_equal(nnt_model_create(&mo, 11, &m, &e), NNT_OK);
    nnt_scaler sc;
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &sc, &e), NNT_OK);
    assert_int_equal(nnt_model_set_metadata_from(m, ds, NNT_TASK_CLASSIFY, &sc, &e), NNT_OK);
    nnt_scaler_free(&sc);

    nnt_csv_options p = nnt_csv_options_default();
    p.schema = nnt_model_schema(m);
    p.target = nnt_model_target_name(m);
    p.target_optional = 1;
    /* The training file itself, through the schema. */
    nnt_dataset *a = load_ok("a.csv", train, &p);
    /* Permuted, with an ID column and the target in the middle. */
    const char *perm = "id,petal_width,species,colour,sepal_wid,sepal_len\n"
                       "1,0.2,a,red,3.5,5.1\n2,0.2,b,blue,3.0,4.9\n3,2.5,c,red,3.3,6.3\n"
                       "4,1.9,a,green,2.7,5.8\n5,2.1,b,blue,3.0,7.1\n6,0.2,c,red,3.6,5.0\n";
    nnt_dataset *b = load_ok("b.csv", perm, &p);
    assert_int_equal(nnt_dataset_features(b), F);
    assert_memory_equal(nnt_dataset_x(a), nnt_dataset_x(ds), 6 * F * sizeof(float));
    assert_memory_equal(nnt_dataset_x(b), nnt_dataset_x(ds), 6 * F * sizeof(float));
    float ya[18], yb[18];
    assert_int_equal(nnt_model_predict(m, a, NULL, 6, ya, &e), NNT_OK);
    assert_int_equal(nnt_model_predict(m, b, NULL, 6, yb, &e), NNT_OK);
    assert_memory_equal(ya, yb, sizeof ya); /* bit-identical */
    assert_int_equal(nnt_dataset_csv_info(b)->columns, 6);
    assert_int_equal(nnt_dataset_csv_info(b)->columns_used, 4);
    nnt_dataset_free(a);
    nnt_dataset_free(b);
    /* Missing columns: every one named. */
    expect_fail("c.csv", "colour,sepal_wid\nred,1\n", &p, NNT_ERR_FORMAT,
                "c.csv: missing feature columns 'sepal_len', 'petal_width' that the model needs "
                "(2 of 4)");
    expect_fail("d.csv", "colour,sepal_wid,sepal_len\nred,1,2\n", &p, NNT_ERR_FORMAT,
                "d.csv: missing feature column 'petal_width' that the model needs (1 of 4)");
    /* Evaluation input needs the target. */
    p.target_optional = 0;
    expect_fail("e.csv", "colour,sepal_wid,sepal_len,petal_width\nred,1,2,3\n", &p,
                NNT_ERR_NOT_FOUND, "no target column named 'species'");
    nnt_dataset *c = load_ok("f.csv", perm, &p);
    assert_memory_equal(nnt_dataset_labels(c), nnt_dataset_labels(ds), 6 * sizeof(int32_t));
    nnt_dataset_free(c);
    nnt_model_free(m);
    nnt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_rule),
        cmocka_unit_test(test_delimiter_detection),
        cmocka_unit_test(test_ignore_columns),
        cmocka_unit_test(test_missing_policies),
        cmocka_unit_test(test_categorical_columns),
        cmocka_unit_test(test_columns_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
