/* CSV loader: parsing rules, target handling, every bad-input message, and
 * peak memory on a large file. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/alloc.h"
#include "nntune/data.h"

/* Loads text written to name; returns the status and leaves details in *e. */
static int load_text(const char *name, const char *text, const nnt_csv_options *o,
                     nnt_dataset **ds, nnt_error *e)
{
    const char *p = tu_write(name, text);
    nnt_error_clear(e);
    return nnt_dataset_load_csv(p, o, ds, e);
}

/* Expects failure with code and a message containing needle. */
static void expect_fail(const char *name, const char *text, const nnt_csv_options *o, int code,
                        const char *needle)
{
    nnt_dataset *ds = (nnt_dataset *)1;
    nnt_error e;
    int rc = load_text(name, text, o, &ds, &e);
    if (rc != code) fail_msg("%s: expected code %d, got %d (%s)", name, code, rc, e.message);
    assert_null(ds);
    assert_int_equal(e.code, code);
    tu_assert_contains(e.message, needle);
}

/* ---- Memory (runs first: ru_maxrss is a high-water mark) ----------------- */

static void test_peak_memory_large_csv(void **state)
{
    (void)state;
    if (tu_quick()) skip();
    const size_t rows = 200000, cols = 50;
    const char *path = tu_path("big.csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t j = 0; j < cols; j++) fprintf(f, "f%zu,", j);
    fputs("label\n", f);
    char line[1024];
    for (size_t i = 0; i < rows; i++) {
        size_t n = 0;
        for (size_t j = 0; j < cols; j++) {
            unsigned v = (unsigned)((i * 31 + j * 7) % 1000);
            n += (size_t)snprintf(line + n, sizeof line - n, "%u.%u,", v / 10, v % 10);
        }
        n += (size_t)snprintf(line + n, sizeof line - n, "%u\n", (unsigned)(i % 3));
        fwrite(line, 1, n, f);
    }
    fclose(f);

    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    nnt_dataset *ds = NULL;
    nnt_error e;
    int rc = nnt_dataset_load_csv(path, NULL, &ds, &e);
    getrusage(RUSAGE_SELF, &after);
    if (rc != 0) fail_msg("%s", e.message);
    assert_int_equal(nnt_dataset_rows(ds), rows);
    assert_int_equal(nnt_dataset_features(ds), cols);
    assert_int_equal(nnt_dataset_num_classes(ds), 3);
    const float *x = nnt_dataset_x(ds);
    size_t i = 123457, j = 17;
    unsigned v = (unsigned)((i * 31 + j * 7) % 1000);
    assert_float_equal(x[i * cols + j], v / 10.0f, 1e-4);
    assert_int_equal(nnt_dataset_labels(ds)[i], (int)(i % 3));

    double data_bytes = (double)rows * cols * sizeof(float);
    double growth = ((double)after.ru_maxrss - (double)before.ru_maxrss) * 1024.0;
    print_message("csv peak growth %.1f MB for %.1f MB of floats (%.2fx)\n", growth / 1e6,
                  data_bytes / 1e6, growth / data_bytes);
    /* The floats themselves must show up (the measurement works) ... */
    assert_true(growth >= 0.9 * data_bytes);
    /* ... and nothing much more than them. */
    assert_true(growth <= 2.2 * data_bytes);
    nnt_dataset_free(ds);
}

/* ---- Parsing rules ------------------------------------------------------- */

static void test_regression_float_target(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    assert_int_equal(load_text("reg.csv", "a,b,y\n1,2,0.5\n3,4.25,1.5\n-1,1e-3,2\n", NULL, &ds, &e), 0);
    assert_int_equal(nnt_dataset_rows(ds), 3);
    assert_int_equal(nnt_dataset_features(ds), 2);
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_REGRESS);
    assert_int_equal(nnt_dataset_num_classes(ds), 0);
    assert_null(nnt_dataset_labels(ds));
    assert_true(nnt_dataset_has_target(ds));
    const float *t = nnt_dataset_targets(ds);
    assert_float_equal(t[0], 0.5, 1e-7);
    assert_float_equal(t[2], 2.0, 1e-7);
    const float *x = nnt_dataset_x(ds);
    assert_float_equal(x[3], 4.25, 1e-7);
    assert_float_equal(x[5], 1e-3, 1e-9);
    assert_float_equal(x[4], -1, 0);
    assert_string_equal(nnt_dataset_feature_name(ds, 1), "b");
    assert_string_equal(nnt_dataset_target_name(ds), "y");
    assert_int_equal(nnt_dataset_kind(ds), NNT_FEATURES_TABULAR);
    nnt_dataset_free(ds);
}

static void test_quoted_fields(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    const char *text = "\"x, first\",\"x \"\"two\"\"\",kind\n"
                       "\"1.5\",2,\"a, b\"\n"
                       "3, \"4\" ,\"say \"\"hi\"\"\"\n"
                       "5,6,\"a, b\"\n";
    assert_int_equal(load_text("quoted.csv", text, NULL, &ds, &e), 0);
    assert_string_equal(nnt_dataset_feature_name(ds, 0), "x, first");
    assert_string_equal(nnt_dataset_feature_name(ds, 1), "x \"two\"");
    assert_int_equal(nnt_dataset_rows(ds), 3);
    assert_int_equal(nnt_dataset_num_classes(ds), 2);
    assert_string_equal(nnt_dataset_class_name(ds, 0), "a, b");
    assert_string_equal(nnt_dataset_class_name(ds, 1), "say \"hi\"");
    const int32_t *l = nnt_dataset_labels(ds);
    assert_int_equal(l[0], 0);
    assert_int_equal(l[1], 1);
    assert_int_equal(l[2], 0);
    assert_float_equal(nnt_dataset_x(ds)[0], 1.5, 0);
    assert_float_equal(nnt_dataset_x(ds)[3], 4, 0);
    nnt_dataset_free(ds);
}

static void test_quoted_newline_keeps_line_numbers(void **state)
{
    (void)state;
    /* The record on lines 3-4 holds a newline inside quotes; the bad value is
     * on line 5. */
    expect_fail("qnl.csv", "a,b,c\n1,2,x\n3,4,\"multi\nline\"\n5,oops,y\n", NULL, NNT_ERR_FORMAT,
                "qnl.csv:5: column 'b': expected a number, got 'oops'");
    expect_fail("unterminated.csv", "a,b\n1,2\n3,\"4\n", NULL, NNT_ERR_FORMAT,
                "unterminated.csv:3: unterminated quoted field");
    expect_fail("afterquote.csv", "a,b\n1,2\n\"3\"x,4\n", NULL, NNT_ERR_FORMAT,
                "afterquote.csv:3: field 1: unexpected 'x' after a closing quote");
}

static void test_crlf_blank_trailing_lines_and_bom(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    assert_int_equal(load_text("crlf.csv", "\xEF\xBB\xBFp,q,cls\r\n1,2,b\r\n3,4,a\r\n\r\n\r\n  \n",
                               NULL, &ds, &e), 0);
    assert_int_equal(nnt_dataset_rows(ds), 2);
    assert_string_equal(nnt_dataset_feature_name(ds, 0), "p");
    assert_string_equal(nnt_dataset_target_name(ds), "cls");
    assert_string_equal(nnt_dataset_class_name(ds, 0), "a");
    assert_string_equal(nnt_dataset_class_name(ds, 1), "b");
    assert_int_equal(nnt_dataset_labels(ds)[0], 1);
    nnt_dataset_free(ds);
    /* No final line end at all. */
    assert_int_equal(load_text("noeol.csv", "p,y\r\n1,0\r\n2,1", NULL, &ds, &e), 0);
    assert_int_equal(nnt_dataset_rows(ds), 2);
    assert_float_equal(nnt_dataset_x(ds)[1], 2, 0);
    assert_int_equal(nnt_dataset_labels(ds)[1], 1);
    nnt_dataset_free(ds);
}

static void test_text_target_classes_sorted(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    const char *text = "a,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n5,Zebra\n";
    assert_int_equal(load_text("text.csv", text, NULL, &ds, &e), 0);
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_CLASSIFY);
    assert_int_equal(nnt_dataset_num_classes(ds), 4);
    /* Byte order: upper case first. */
    assert_string_equal(nnt_dataset_class_name(ds, 0), "Zebra");
    assert_string_equal(nnt_dataset_class_name(ds, 1), "setosa");
    assert_string_equal(nnt_dataset_class_name(ds, 2), "versicolor");
    assert_string_equal(nnt_dataset_class_name(ds, 3), "virginica");
    assert_null(nnt_dataset_class_name(ds, 4));
    const int32_t want[5] = {3, 1, 2, 1, 0};
    for (int i = 0; i < 5; i++) assert_int_equal(nnt_dataset_labels(ds)[i], want[i]);
    assert_null(nnt_dataset_targets(ds));
    nnt_dataset_free(ds);
    /* Any text makes the whole column classes, numbers included. */
    assert_int_equal(load_text("mixed.csv", "a,y\n1,1.5\n2,b\n3,10\n", NULL, &ds, &e), 0);
    assert_int_equal(nnt_dataset_num_classes(ds), 3);
    assert_string_equal(nnt_dataset_class_name(ds, 0), "1.5");
    assert_string_equal(nnt_dataset_class_name(ds, 1), "10");
    assert_string_equal(nnt_dataset_class_name(ds, 2), "b");
    nnt_dataset_free(ds);
}

static void test_integer_target_numeric_order(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    /* Lexicographic order would put "10" before "2". */
    const char *text = "a,b,y\n1,1,10\n2,2,2\n3,3,-1\n4,4,2.0\n5,5,10\n6,6,-1\n";
    assert_int_equal(load_text("int.csv", text, NULL, &ds, &e), 0);
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_CLASSIFY);
    assert_int_equal(nnt_dataset_num_classes(ds), 3);
    assert_string_equal(nnt_dataset_class_name(ds, 0), "-1");
    assert_string_equal(nnt_dataset_class_name(ds, 1), "2");
    assert_string_equal(nnt_dataset_class_name(ds, 2), "10");
    const int32_t want[6] = {2, 1, 0, 1, 2, 0};
    for (int i = 0; i < 5; i++) assert_int_equal(nnt_dataset_labels(ds)[i], want[i]);
    nnt_dataset_free(ds);
}

static void test_target_by_name_in_the_middle(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    nnt_csv_options o = nnt_csv_options_default();
    o.target = "y";
    assert_int_equal(load_text("mid.csv", "a,y,c\n1,0.25,3\n4,0.5,6\n", &o, &ds, &e), 0);
    assert_int_equal(nnt_dataset_features(ds), 2);
    assert_string_equal(nnt_dataset_feature_name(ds, 0), "a");
    assert_string_equal(nnt_dataset_feature_name(ds, 1), "c");
    assert_null(nnt_dataset_feature_name(ds, 2));
    const float *x = nnt_dataset_x(ds);
    assert_float_equal(x[0], 1, 0);
    assert_float_equal(x[1], 3, 0);
    assert_float_equal(x[2], 4, 0);
    assert_float_equal(x[3], 6, 0);
    assert_float_equal(nnt_dataset_targets(ds)[1], 0.5, 0);
    nnt_dataset_free(ds);
}

static void test_delimiters(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    nnt_csv_options o = nnt_csv_options_default();
    o.delimiter = ';';
    assert_int_equal(load_text("semi.csv", "a;b;y\n1,5;2;x\n3;4;z\n", &o, &ds, &e), NNT_ERR_FORMAT);
    tu_assert_contains(e.message, "semi.csv:2: column 'a' holds numbers with a decimal comma ('1,5')");
    assert_int_equal(load_text("semi2.csv", "a;b;y\n1.5;2;x\n3;4;z\n", &o, &ds, &e), 0);
    assert_float_equal(nnt_dataset_x(ds)[0], 1.5, 0);
    nnt_dataset_free(ds);
    o.delimiter = '\t';
    assert_int_equal(load_text("tab.tsv", "a\tb\ty\n1\t\t2\tx\n", &o, &ds, &e), NNT_ERR_FORMAT);
    tu_assert_contains(e.message, "tab.tsv:2: expected 3 fields (as in the header), got 4");
    assert_int_equal(load_text("tab2.tsv", "a\tb\ty\n1 \t 2\tx\n3\t4\tz\n", &o, &ds, &e), 0);
    assert_float_equal(nnt_dataset_x(ds)[1], 2, 0);
    nnt_dataset_free(ds);
}

static void test_forced_tasks(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    nnt_csv_options o = nnt_csv_options_default();
    o.task = NNT_TASK_CLASSIFY;
    assert_int_equal(load_text("forcec.csv", "a,y\n1,0.5\n2,1.5\n3,0.5\n", &o, &ds, &e), 0);
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_CLASSIFY);
    assert_int_equal(nnt_dataset_num_classes(ds), 2);
    nnt_dataset_free(ds);
    o.task = NNT_TASK_REGRESS;
    assert_int_equal(load_text("forcer.csv", "a,y\n1,0\n2,1\n3,4\n", &o, &ds, &e), 0);
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_REGRESS);
    assert_float_equal(nnt_dataset_targets(ds)[2], 4, 0);
    nnt_dataset_free(ds);
    expect_fail("forcer_bad.csv", "a,y\n1,0\n2,high\n", &o, NNT_ERR_FORMAT,
                "forcer_bad.csv:3: column 'y': expected a number for a regression target, got 'high'");
    o.task = NNT_TASK_BINARY;
    expect_fail("bin3.csv", "a,y\n1,a\n2,b\n3,c\n", &o, NNT_ERR_FORMAT,
                "binary task needs exactly 2 classes, found 3");
    assert_int_equal(load_text("bin2.csv", "a,y\n1,yes\n2,no\n", &o, &ds, &e), 0);
    assert_int_equal(nnt_dataset_num_classes(ds), 2);
    nnt_dataset_free(ds);
}

static void test_target_optional(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    nnt_csv_options o = nnt_csv_options_default();
    o.target = "label";
    o.target_optional = 1;
    assert_int_equal(load_text("pred.csv", "a,b\n1,2\n3,4\n", &o, &ds, &e), 0);
    assert_int_equal(nnt_dataset_features(ds), 2);
    assert_false(nnt_dataset_has_target(ds));
    assert_null(nnt_dataset_labels(ds));
    assert_null(nnt_dataset_targets(ds));
    assert_int_equal(nnt_dataset_num_classes(ds), 0);
    assert_float_equal(nnt_dataset_x(ds)[3], 4, 0);
    nnt_dataset_free(ds);
    /* When the column is there it is still the target. */
    assert_int_equal(load_text("pred2.csv", "label,a,b\nx,1,2\ny,3,4\n", &o, &ds, &e), 0);
    assert_true(nnt_dataset_has_target(ds));
    assert_int_equal(nnt_dataset_features(ds), 2);
    assert_int_equal(nnt_dataset_num_classes(ds), 2);
    nnt_dataset_free(ds);
}

static void test_remap_classes(void **state)
{
    (void)state;
    nnt_dataset *ds;
    nnt_error e;
    assert_int_equal(load_text("remap.csv", "a,y\n1,cat\n2,dog\n3,cat\n", NULL, &ds, &e), 0);
    const char *train_names[3] = {"dog", "bird", "cat"};
    assert_int_equal(nnt_dataset_remap_classes(ds, train_names, 3, &e), 0);
    assert_int_equal(nnt_dataset_num_classes(ds), 3);
    assert_string_equal(nnt_dataset_class_name(ds, 1), "bird");
    const int32_t *l = nnt_dataset_labels(ds);
    assert_int_equal(l[0], 2);
    assert_int_equal(l[1], 0);
    assert_int_equal(l[2], 2);
    const char *other[2] = {"dog", "bird"};
    assert_int_equal(nnt_dataset_remap_classes(ds, other, 2, &e), NNT_ERR_FORMAT);
    tu_assert_contains(e.message, "class 'cat'");
    /* Failure leaves the data set as it was. */
    assert_int_equal(nnt_dataset_num_classes(ds), 3);
    assert_int_equal(l[0], 2);
    nnt_dataset_free(ds);

    assert_int_equal(load_text("remapr.csv", "a,y\n1,0.5\n2,1.5\n", NULL, &ds, &e), 0);
    assert_int_equal(nnt_dataset_remap_classes(ds, other, 2, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "regression");
    nnt_dataset_free(ds);
}

/* ---- Bad input ------------------------------------------------------------ */

static void test_missing_file(void **state)
{
    (void)state;
    nnt_dataset *ds = (nnt_dataset *)1;
    nnt_error e;
    const char *p = tu_path("does-not-exist.csv");
    assert_int_equal(nnt_dataset_load_csv(p, NULL, &ds, &e), NNT_ERR_IO);
    assert_null(ds);
    tu_assert_contains(e.message, p);
    tu_assert_contains(e.message, "No such file or directory");
}

static void test_empty_and_header_only(void **state)
{
    (void)state;
    expect_fail("empty.csv", "", NULL, NNT_ERR_FORMAT, "empty.csv: empty file");
    expect_fail("blank.csv", "\n\n  \n", NULL, NNT_ERR_FORMAT, "blank.csv: empty file");
    expect_fail("header.csv", "a,b,y\n", NULL, NNT_ERR_FORMAT, "header.csv: no data rows after the header");
    expect_fail("header2.csv", "a,b,y\r\n\r\n", NULL, NNT_ERR_FORMAT, "no data rows");
    expect_fail("onlytarget.csv", "y\n1\n2\n", NULL, NNT_ERR_FORMAT, "no feature columns");
}

static void test_ragged_row(void **state)
{
    (void)state;
    expect_fail("ragged.csv", "a,b,y\n1,2,0\n3,4,1\n5,6\n", NULL, NNT_ERR_FORMAT,
                "ragged.csv:4: expected 3 fields (as in the header), got 2");
    expect_fail("ragged2.csv", "a,b,y\n1,2,0,9\n", NULL, NNT_ERR_FORMAT,
                "ragged2.csv:2: expected 3 fields (as in the header), got 4");
}

static void test_non_numeric_feature(void **state)
{
    (void)state;
    expect_fail("nonnum.csv", "a,petal_width,y\n1,2,x\n1,abc,y\n", NULL, NNT_ERR_FORMAT,
                "nonnum.csv:3: column 'petal_width': expected a number, got 'abc'");
    expect_fail("inf.csv", "a,b,y\n1,inf,x\n1,2,y\n", NULL, NNT_ERR_FORMAT,
                "inf.csv:2: column 'b': expected a number, got 'inf'");
    expect_fail("range.csv", "a,b,y\n1,2,x\n1,1e60,y\n", NULL, NNT_ERR_FORMAT,
                "range.csv:3: column 'b': number '1e60' is out of the float range");
    expect_fail("trail.csv", "a,b,y\n1,2x,x\n2,3,y\n", NULL, NNT_ERR_FORMAT,
                "trail.csv:2: column 'b': expected a number, got '2x' (the column mixes numbers "
                "and text); drop the column with --ignore b");
    /* The suggested option can be pasted into a shell: names with spaces,
     * parentheses or quotes are single-quoted. */
    expect_fail("spaced.csv", "petal width (cm),b,y\n1,2,x\n2x,3,y\n", NULL, NNT_ERR_FORMAT,
                "drop the column with --ignore 'petal width (cm)'");
    expect_fail("quote.csv", "it's,b,y\n1,2,x\n2x,3,y\n", NULL, NNT_ERR_FORMAT,
                "drop the column with --ignore 'it'\\''s'");
}

/* Numbers with a decimal comma (European spreadsheets, ';' delimiter) are
 * an error naming the cause: read as text they were one-hot encoded
 * categories, and a target of them a classifier with a class per value. */
static void test_decimal_comma(void **state)
{
    (void)state;
    static const char few[] = "a;w;y\n1;0,2;x\n2;0,2;z\n3;1,5;x\n4;1,5;z\n";
    expect_fail("comma.csv", few, NULL, NNT_ERR_FORMAT,
                "comma.csv:2: column 'w' holds numbers with a decimal comma ('0,2'); nntune reads "
                "'.' as the decimal point: write the numbers with '.' (with ';' or tab as the "
                "delimiter: sed 's/,/./g' on the file)");
    /* Mixed with whole numbers (which parse) it is not "text": same message. */
    expect_fail("mixed.csv", "a;w;y\n1;5;x\n2;5,5;z\n", NULL, NNT_ERR_FORMAT,
                "mixed.csv:3: column 'w' holds numbers with a decimal comma ('5,5')");
    expect_fail("target.csv", "a;y\n1;68,0\n2;109,5\n3;7,25\n", NULL, NNT_ERR_FORMAT,
                "target.csv: target column 'y' holds numbers with a decimal comma ('68,0'); nntune "
                "reads '.' as the decimal point, so they would be 3 classes");
    /* Forced classes keep them as class names; text categories stay categories. */
    nnt_csv_options o = nnt_csv_options_default();
    o.task = NNT_TASK_CLASSIFY;
    nnt_dataset *ds = NULL;
    nnt_error e;
    assert_int_equal(load_text("forced.csv", "a;y\n1;68,0\n2;109,5\n3;68,0\n", &o, &ds, &e), NNT_OK);
    assert_int_equal(nnt_dataset_num_classes(ds), 2);
    nnt_dataset_free(ds);
    assert_int_equal(load_text("words.csv", "a;c;y\n1;x,y;p\n2;z;q\n", NULL, &ds, &e), NNT_OK);
    assert_int_equal(nnt_dataset_features(ds), 3);
    nnt_dataset_free(ds);
}

static void test_missing_values(void **state)
{
    (void)state;
    expect_fail("miss1.csv", "a,b,y\n1,2,x\n3,,y\n", NULL, NNT_ERR_FORMAT,
                "miss1.csv: 1 missing value (empty, NA, NaN or ?) in 1 row and 1 column ('b' 1); "
                "first at line 3, column 'b'; drop those rows or fill the values with "
                "--missing drop|mean|median");
    expect_fail("miss2.csv", "a,b,y\n1,2,x\nNA,1,y\n", NULL, NNT_ERR_FORMAT,
                "1 missing value (empty, NA, NaN or ?) in 1 row and 1 column ('a' 1); "
                "first at line 3, column 'a'");
    expect_fail("miss3.csv", "a,b,y\n1,2,x\n1,2,?\n", NULL, NNT_ERR_FORMAT,
                "miss3.csv:3: column 'y': missing target value (?); rows without a target can "
                "be dropped with --missing drop");
    expect_fail("miss4.csv", "a,b,y\n1,2,x\n1,2,y\n1,nan,x\n", NULL, NNT_ERR_FORMAT,
                "first at line 4, column 'b'");
    expect_fail("miss5.csv", "a,b,y\n1,\"\",x\n", NULL, NNT_ERR_FORMAT,
                "first at line 2, column 'b'");
    /* Counting: 4 values in 3 rows and 2 columns; the first named. */
    expect_fail("miss6.csv", "a,b,c,y\n1,2,3,x\n,2,NA,y\n1,N/A,3,x\n1,2,3,y\n?,2,3,x\n", NULL,
                NNT_ERR_FORMAT, "miss6.csv: 4 missing values (empty, NA, NaN or ?) in 3 rows and "
                "3 columns ('a' 2, 'b' 1, 'c' 1); first at line 3, column 'a'");
}

static void test_unknown_target_column(void **state)
{
    (void)state;
    nnt_csv_options o = nnt_csv_options_default();
    o.target = "price";
    expect_fail("notarget.csv", "alpha,beta,gamma\n1,2,3\n", &o, NNT_ERR_NOT_FOUND,
                "no target column named 'price'; columns are 'alpha', 'beta', 'gamma' (3 in all)");
    expect_fail("notarget2.csv", "c1,c2,c3,c4,c5,c6,c7,c8,c9,c10\n1,2,3,4,5,6,7,8,9,10\n", &o,
                NNT_ERR_NOT_FOUND, "'c8', ... (10 in all)");
}

static void test_single_class(void **state)
{
    (void)state;
    expect_fail("oneclass.csv", "a,y\n1,cat\n2,cat\n", NULL, NNT_ERR_FORMAT,
                "column 'y': only one class ('cat')");
    expect_fail("oneclassint.csv", "a,y\n1,1\n2,1\n", NULL, NNT_ERR_FORMAT, "only one class ('1')");
}

static void test_duplicate_and_empty_column_names(void **state)
{
    (void)state;
    expect_fail("dup.csv", "a,b,a,y\n1,2,3,x\n", NULL, NNT_ERR_FORMAT,
                "dup.csv:1: duplicate column name 'a' (columns 1 and 3)");
    expect_fail("emptyname.csv", "a,,y\n1,2,x\n", NULL, NNT_ERR_FORMAT,
                "emptyname.csv:1: column 2 has an empty name in the header; every column needs a name");
    /* pandas' to_csv writes its row index as an unnamed first column. */
    expect_fail("pandas.csv", ",a,y\n0,2,x\n1,3,z\n", NULL, NNT_ERR_FORMAT,
                "pandas.csv:1: column 1 has an empty name in the header (a row index, as pandas' "
                "to_csv writes it by default? write the file with index=False, or name the column "
                "and drop it with --ignore NAME)");
}

/* A record far longer than the initial read buffer, and a very wide header. */
static void test_wide_rows(void **state)
{
    (void)state;
    const size_t cols = tu_quick() ? 20000 : 300000;
    const char *path = tu_path("wide.csv");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t j = 0; j < cols; j++) fprintf(f, "column_%zu,", j);
    fputs("y\n", f);
    for (int r = 0; r < 2; r++) {
        for (size_t j = 0; j < cols; j++) fprintf(f, "%zu,", (j + (size_t)r) % 256);
        fprintf(f, "%d\n", r);
    }
    fclose(f);
    nnt_dataset *ds;
    nnt_error e;
    int rc = nnt_dataset_load_csv(path, NULL, &ds, &e);
    if (rc != 0) fail_msg("%s", e.message);
    assert_int_equal(nnt_dataset_features(ds), cols);
    assert_float_equal(nnt_dataset_x(ds)[cols + cols - 1], (float)(cols % 256), 0);
    char want[32];
    snprintf(want, sizeof want, "column_%zu", cols - 1);
    assert_string_equal(nnt_dataset_feature_name(ds, cols - 1), want);
    nnt_dataset_free(ds);
}

/* Every allocation failure is a clean error (ASan finds any leak). */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *p = tu_write("alloc.csv", "a,\"b\",y\n1,2,cat\n3,4,dog\n5,6,cat\n");
    int ok = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        nnt_dataset *ds = NULL;
        nnt_error e;
        nnt__alloc_fail_after(n);
        int rc = nnt_dataset_load_csv(p, NULL, &ds, &e);
        nnt__alloc_fail_after(-1);
        if (rc == 0) {
            ok = 1;
            assert_int_equal(nnt_dataset_num_classes(ds), 2);
            nnt_dataset_free(ds);
        } else {
            assert_int_equal(rc, NNT_ERR_NOMEM);
            assert_null(ds);
        }
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peak_memory_large_csv),
        cmocka_unit_test(test_regression_float_target),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_quoted_newline_keeps_line_numbers),
        cmocka_unit_test(test_crlf_blank_trailing_lines_and_bom),
        cmocka_unit_test(test_text_target_classes_sorted),
        cmocka_unit_test(test_integer_target_numeric_order),
        cmocka_unit_test(test_target_by_name_in_the_middle),
        cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_forced_tasks),
        cmocka_unit_test(test_target_optional),
        cmocka_unit_test(test_remap_classes),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_empty_and_header_only),
        cmocka_unit_test(test_ragged_row),
        cmocka_unit_test(test_non_numeric_feature),
        cmocka_unit_test(test_decimal_comma),
        cmocka_unit_test(test_missing_values),
        cmocka_unit_test(test_unknown_target_column),
        cmocka_unit_test(test_single_class),
        cmocka_unit_test(test_duplicate_and_empty_column_names),
        cmocka_unit_test(test_wide_rows),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
