/* Model files: round trips, every kind of damaged file, atomic saving. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/alloc.h"
#include "nntune/nntune.h"

/* ---- Fixtures ------------------------------------------------------------ */

static const char *const CLASSES[] = {"setosa", "vers,icolor \"v\"", "virgínica"};
static const char *const FEATURES[] = {"sepal length", "sepal_width", "petal,length", "pétale"};

static nnt_dataset *make_dataset(size_t rows)
{
    float *x = malloc(rows * 4 * sizeof *x);
    int32_t *y = malloc(rows * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    nnt_rng r;
    nnt_rng_seed(&r, 99);
    for (size_t i = 0; i < rows; i++) {
        y[i] = (int32_t)(i % 3);
        for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)(nnt_rng_normal(&r) * (j + 1) + y[i] * 3);
    }
    nnt_dataset_spec spec = {0};
    spec.rows = rows;
    spec.features = 4;
    spec.x = x;
    spec.labels = y;
    spec.n_classes = 3;
    spec.class_names = CLASSES;
    spec.feature_names = FEATURES;
    spec.target_name = "species";
    spec.kind = NNT_FEATURES_TABULAR;
    nnt_dataset *ds = NULL;
    nnt_error err;
    assert_int_equal(nnt_dataset_from_arrays(&spec, &ds, &err), NNT_OK);
    free(x);
    free(y);
    return ds;
}

/* A classifier with non-default options, random weights and metadata. */
static nnt_model *make_model(const nnt_dataset *ds)
{
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 4;
    o.outputs = 3;
    o.n_hidden = 2;
    o.hidden[0] = 7;
    o.hidden[1] = 5;
    o.activation = NNT_ACT_LEAKY_RELU;
    o.loss = NNT_LOSS_CROSS_ENTROPY;
    o.input_dropout = 0.1f;
    o.dropout[0] = 0.25f;
    o.dropout[1] = 0.5f;
    o.leaky_slope = 0.05f;
    o.elu_alpha = 0.7f;
    nnt_model *m = NULL;
    nnt_error err;
    assert_int_equal(nnt_model_create(&o, 1234, &m, &err), NNT_OK);
    float *p = nnt_model_params(m);
    nnt_rng r;
    nnt_rng_seed(&r, 5);
    for (size_t i = 0; i < nnt_model_num_params(m); i++) p[i] = (float)nnt_rng_normal(&r);
    if (ds) {
        nnt_scaler sc;
        assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &sc, &err), NNT_OK);
        assert_int_equal(nnt_model_set_metadata_from(m, ds, NNT_TASK_CLASSIFY, &sc, &err), NNT_OK);
        nnt_scaler_free(&sc);
    }
    return m;
}

/* Rewrites the trailing CRC so that only the structural checks can object. */
static void fix_crc(unsigned char *b, size_t len)
{
    uint32_t c = (uint32_t)crc32(0L, b, (uInt)(len - 4));
    for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(c >> (8 * i));
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
}

/* Expects loading path to fail with code and a message holding needle. */
static void expect_load_error(const char *path, int code, const char *needle)
{
    nnt_model *m = (nnt_model *)(uintptr_t)1;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_model_load(path, &m, &err);
    if (rc != code) fail_msg("loading %s: expected code %d, got %d (%s)", path, code, rc, err.message);
    assert_null(m);
    assert_int_equal(err.code, code);
    tu_assert_contains(err.message, needle);
}

static int count_entries_with(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, needle)) n++;
    closedir(d);
    return n;
}

/* ---- Round trips ----------------------------------------------------------- */

static void test_round_trip_classifier(void **state)
{
    (void)state;
    nnt_dataset *ds = make_dataset(30);
    nnt_model *m = make_model(ds);
    nnt_error err;
    const char *path = tu_path("rt.nnt");
    assert_int_equal(nnt_model_save(m, path, &err), NNT_OK);
    nnt_model *l = NULL;
    assert_int_equal(nnt_model_load(path, &l, &err), NNT_OK);
    assert_non_null(l);

    const nnt_model_options *a = nnt_model_get_options(m), *b = nnt_model_get_options(l);
    assert_int_equal(a->inputs, b->inputs);
    assert_int_equal(a->outputs, b->outputs);
    assert_int_equal(a->n_hidden, b->n_hidden);
    for (int i = 0; i < a->n_hidden; i++) {
        assert_int_equal(a->hidden[i], b->hidden[i]);
        assert_true(a->dropout[i] == b->dropout[i]);
    }
    assert_int_equal(a->activation, b->activation);
    assert_int_equal(a->loss, b->loss);
    assert_true(a->input_dropout == b->input_dropout);
    assert_true(a->leaky_slope == b->leaky_slope);
    assert_true(a->elu_alpha == b->elu_alpha);

    assert_int_equal(nnt_model_num_params(m), nnt_model_num_params(l));
    assert_memory_equal(nnt_model_params(m), nnt_model_params(l),
                        nnt_model_num_params(m) * sizeof(float));

    assert_int_equal(nnt_model_task(l), NNT_TASK_CLASSIFY);
    assert_int_equal(nnt_model_num_classes(l), 3);
    for (int c = 0; c < 3; c++) assert_string_equal(nnt_model_class_name(l, c), CLASSES[c]);
    for (size_t j = 0; j < 4; j++) assert_string_equal(nnt_model_feature_name(l, j), FEATURES[j]);
    assert_string_equal(nnt_model_target_name(l), "species");
    const nnt_scaler *sa = nnt_model_scaler(m), *sb = nnt_model_scaler(l);
    assert_int_equal(sa->kind, sb->kind);
    assert_int_equal(sb->features, 4);
    assert_memory_equal(sa->shift, sb->shift, 4 * sizeof(float));
    assert_memory_equal(sa->mul, sb->mul, 4 * sizeof(float));

    /* Same predictions, bit for bit, through the scaler. */
    size_t n = nnt_dataset_rows(ds);
    float *pa = malloc(n * 3 * sizeof *pa), *pb = malloc(n * 3 * sizeof *pb);
    assert_int_equal(nnt_model_predict(m, ds, NULL, n, pa, &err), NNT_OK);
    assert_int_equal(nnt_model_predict(l, ds, NULL, n, pb, &err), NNT_OK);
    assert_memory_equal(pa, pb, n * 3 * sizeof *pa);
    int spread = 0;
    for (size_t i = 1; i < n * 3; i++) spread |= pa[i] != pa[0];
    assert_true(spread); /* a constant output would make the comparison vacuous */

    /* Saving the loaded model reproduces the file byte for byte. */
    const char *path2 = tu_path("rt2.nnt");
    assert_int_equal(nnt_model_save(l, path2, &err), NNT_OK);
    size_t la, lb;
    unsigned char *fa = tu_read_file(path, &la), *fb = tu_read_file(path2, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(fa, fb, la);
    free(fa);
    free(fb);

    free(pa);
    free(pb);
    nnt_model_free(l);
    nnt_model_free(m);
    nnt_dataset_free(ds);
}

static void test_round_trip_without_metadata(void **state)
{
    (void)state;
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 3;
    o.outputs = 1;
    o.n_hidden = 0;
    o.loss = NNT_LOSS_SQUARED_ERROR;
    nnt_model *m = NULL, *l = NULL;
    nnt_error err;
    assert_int_equal(nnt_model_create(&o, 3, &m, &err), NNT_OK);
    const char *path = tu_path("bare.nnt");
    assert_int_equal(nnt_model_save(m, path, &err), NNT_OK);
    assert_int_equal(nnt_model_load(path, &l, &err), NNT_OK);
    assert_int_equal(nnt_model_task(l), NNT_TASK_REGRESS);
    assert_int_equal(nnt_model_num_classes(l), 0);
    assert_null(nnt_model_target_name(l));
    assert_null(nnt_model_feature_name(l, 0));
    assert_int_equal(nnt_model_get_options(l)->n_hidden, 0);
    assert_memory_equal(nnt_model_params(m), nnt_model_params(l), nnt_model_num_params(m) * sizeof(float));
    float x[6] = {1, 2, 3, -1, 0.5f, 4}, ya[2], yb[2];
    assert_int_equal(nnt_model_forward(m, x, 2, ya, &err), NNT_OK);
    assert_int_equal(nnt_model_forward(l, x, 2, yb, &err), NNT_OK);
    assert_memory_equal(ya, yb, sizeof ya);
    nnt_model_free(l);
    nnt_model_free(m);
}

/* ---- Damaged files ------------------------------------------------------- */

static const char *saved_model_file(const char *name, size_t *len, unsigned char **bytes)
{
    nnt_dataset *ds = make_dataset(12);
    nnt_model *m = make_model(ds);
    nnt_error err;
    const char *path = tu_path(name);
    assert_int_equal(nnt_model_save(m, path, &err), NNT_OK);
    nnt_model_free(m);
    nnt_dataset_free(ds);
    *bytes = tu_read_file(path, len);
    return path;
}

/* Version 2 stores the regression target scaling; version 1 files (written
 * before it) still load, with none. */
static void test_target_scaling_and_version1(void **state)
{
    (void)state;
    nnt_dataset *ds = make_dataset(12);
    nnt_model *m = make_model(ds);
    nnt_scaler sc;
    nnt_error err;
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &sc, &err), NNT_OK);
    sc.target_shift = 12345.0f;
    sc.target_mul = 0.5f;
    assert_int_equal(nnt_model_set_metadata_from(m, ds, NNT_TASK_CLASSIFY, &sc, &err), NNT_OK);
    nnt_scaler_free(&sc);
    const char *path = tu_path("target.nnt");
    assert_int_equal(nnt_model_save(m, path, &err), NNT_OK);
    nnt_model *l = NULL;
    assert_int_equal(nnt_model_load(path, &l, &err), NNT_OK);
    assert_true(nnt_model_scaler(l)->target_shift == 12345.0f);
    assert_true(nnt_model_scaler(l)->target_mul == 0.5f);
    nnt_model_free(l);

    /* The same file as version 1 wrote it: without the input schema record
     * (a zero column count: this data set has no schema) and without the
     * two floats. */
    size_t len;
    unsigned char *b = tu_read_file(path, &len);
    size_t np_at = len - 4 - 4 * nnt_model_num_params(m) - 8;
    static const unsigned char zero8[8] = {0};
    assert_memory_equal(b + np_at - 8, zero8, 8);
    memmove(b + np_at - 8, b + np_at, len - np_at);
    len -= 8;
    const float pair[2] = {12345.0f, 0.5f}; /* little-endian host, as the format */
    size_t at = SIZE_MAX;
    for (size_t i = 16; i + 8 <= len; i++)
        if (memcmp(b + i, pair, 8) == 0) {
            assert_true(at == SIZE_MAX); /* exactly once */
            at = i;
        }
    assert_true(at != SIZE_MAX);
    memmove(b + at, b + at + 8, len - at - 8);
    len -= 8;
    put_u32(b + 4, 1);
    put_u32(b + 8, (uint32_t)len);
    put_u32(b + 12, 0);
    fix_crc(b, len);
    const char *p1 = tu_path("v1.nnt");
    tu_write_file(p1, b, len);
    free(b);
    assert_int_equal(nnt_model_load(p1, &l, &err), NNT_OK);
    assert_true(nnt_model_scaler(l)->target_mul == 0.0f); /* none */
    assert_int_equal(nnt_model_num_params(l), nnt_model_num_params(m));
    assert_memory_equal(nnt_model_params(l), nnt_model_params(m),
                        nnt_model_num_params(m) * sizeof(float));
    nnt_model_free(l);
    nnt_model_free(m);
    nnt_dataset_free(ds);
}

/* Version 3 stores the input schema (columns, categories, fill values) of a
 * CSV-trained model; version 2 files load with a numeric schema made from
 * their feature names. */
static void test_input_schema_and_version2(void **state)
{
    (void)state;
    const char *csv = tu_write("schema.csv", "size,colour,weight,y\n1,red,10,a\n2,blue,,b\n"
                                             "3,red,30,a\n4,green,40,b\n");
    nnt_csv_options co = nnt_csv_options_default();
    co.missing = NNT_MISSING_MEDIAN;
    nnt_dataset *ds = NULL;
    nnt_error err;
    assert_int_equal(nnt_dataset_load_csv(csv, &co, &ds, &err), NNT_OK);
    assert_int_equal(nnt_dataset_features(ds), 5); /* size, colour x3, weight */
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 5;
    o.outputs = 2;
    nnt_model *m = NULL;
    assert_int_equal(nnt_model_create(&o, 3, &m, &err), NNT_OK);
    assert_int_equal(nnt_model_set_metadata_from(m, ds, NNT_TASK_CLASSIFY, NULL, &err), NNT_OK);
    const char *path = tu_path("schema.nnt");
    assert_int_equal(nnt_model_save(m, path, &err), NNT_OK);
    nnt_model *l = NULL;
    assert_int_equal(nnt_model_load(path, &l, &err), NNT_OK);
    const nnt_schema *s = nnt_model_schema(l);
    assert_non_null(s);
    assert_int_equal(s->n_columns, 3);
    assert_string_equal(s->columns[0].name, "size");
    assert_false(s->columns[0].categorical);
    assert_true(s->columns[0].fill == 2.5f); /* median of 1..4 */
    assert_string_equal(s->columns[1].name, "colour");
    assert_true(s->columns[1].categorical);
    assert_int_equal(s->columns[1].n_categories, 3);
    assert_string_equal(s->columns[1].categories[0], "blue");
    assert_string_equal(s->columns[1].categories[1], "green");
    assert_string_equal(s->columns[1].categories[2], "red");
    assert_true(s->columns[2].fill == 30.0f); /* median of 10, 30, 40 */
    assert_string_equal(nnt_model_feature_name(l, 2), "colour=green");
    /* A clone carries it too. */
    nnt_model *c = NULL;
    assert_int_equal(nnt_model_clone(l, &c, &err), NNT_OK);
    assert_int_equal(nnt_model_schema(c)->n_columns, 3);
    nnt_model_free(c);
    nnt_model_free(l);

    /* A version 2 file of a numeric model: the same bytes less the schema. */
    nnt_dataset *ds2 = make_dataset(12);
    nnt_model *m2 = make_model(ds2);
    path = tu_path("v3.nnt");
    assert_int_equal(nnt_model_save(m2, path, &err), NNT_OK);
    size_t len;
    unsigned char *b = tu_read_file(path, &len);
    size_t np_at = len - 4 - 4 * nnt_model_num_params(m2) - 8;
    memmove(b + np_at - 8, b + np_at, len - np_at);
    len -= 8;
    put_u32(b + 4, 2);
    put_u32(b + 8, (uint32_t)len);
    put_u32(b + 12, 0);
    fix_crc(b, len);
    const char *p2 = tu_path("v2.nnt");
    tu_write_file(p2, b, len);
    free(b);
    assert_int_equal(nnt_model_load(p2, &l, &err), NNT_OK);
    s = nnt_model_schema(l);
    assert_non_null(s);
    assert_int_equal(s->n_columns, 4);
    for (size_t j = 0; j < 4; j++) {
        assert_string_equal(s->columns[j].name, nnt_model_feature_name(m2, j));
        assert_false(s->columns[j].categorical);
        assert_true(isnan(s->columns[j].fill));
    }
    assert_memory_equal(nnt_model_params(l), nnt_model_params(m2),
                        nnt_model_num_params(m2) * sizeof(float));
    nnt_model_free(l);
    nnt_model_free(m2);
    nnt_dataset_free(ds2);
    nnt_model_free(m);
    nnt_dataset_free(ds);
}

static void test_missing_file(void **state)
{
    (void)state;
    const char *path = tu_path("no-such-model.nnt");
    expect_load_error(path, NNT_ERR_IO, "no-such-model.nnt");
    expect_load_error(path, NNT_ERR_IO, "No such file");
    expect_load_error(tu_tmpdir(), NNT_ERR_IO, "not a regular file");
}

static void test_truncated(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b;
    saved_model_file("full.nnt", &len, &b);
    size_t cuts[] = {0, 2, 6, 12, 16, 40, len / 2, len - 5, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char name[64], needle[64];
        snprintf(name, sizeof name, "cut%zu.nnt", cuts[i]);
        const char *p = tu_path(name);
        tu_write_file(p, b, cuts[i]);
        snprintf(needle, sizeof needle, "truncated at byte %zu", cuts[i]);
        expect_load_error(p, NNT_ERR_CORRUPT, needle);
        expect_load_error(p, NNT_ERR_CORRUPT, name);
    }
    free(b);
}

static void test_checksum(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b;
    saved_model_file("crc.nnt", &len, &b);
    /* A flip in the options, in a name, in the weights and in the CRC itself. */
    size_t spots[] = {17, len / 3, len - 12, len - 2};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        b[spots[i]] ^= 0x10;
        const char *p = tu_path("flipped.nnt");
        tu_write_file(p, b, len);
        expect_load_error(p, NNT_ERR_CORRUPT, "checksum mismatch: file is corrupted");
        b[spots[i]] ^= 0x10;
    }
    /* Trailing junk after a complete record. */
    unsigned char *big = malloc(len + 3);
    memcpy(big, b, len);
    memcpy(big + len, "xyz", 3);
    tu_write_file(tu_path("junk.nnt"), big, len + 3);
    expect_load_error(tu_path("junk.nnt"), NNT_ERR_CORRUPT, "corrupted");
    free(big);
    free(b);
}

/* Every single-byte flip must be rejected without crashing or leaking. */
static void test_every_byte_flip_rejected(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b;
    saved_model_file("every.nnt", &len, &b);
    const char *p = tu_path("every-flip.nnt");
    size_t step = tu_quick() ? 7 : 1;
    for (size_t i = 0; i < len; i += step) {
        b[i] ^= 0xA5;
        tu_write_file(p, b, len);
        nnt_model *m = NULL;
        nnt_error err;
        nnt_error_clear(&err);
        int rc = nnt_model_load(p, &m, &err);
        if (rc >= 0) fail_msg("flip at byte %zu was accepted", i);
        assert_null(m);
        assert_true(err.message[0] != '\0');
        b[i] ^= 0xA5;
    }
    free(b);
}

static void test_wrong_magic_and_version(void **state)
{
    (void)state;
    const char *p = tu_write("text.nnt", "species,sepal_length\nsetosa,1\n");
    expect_load_error(p, NNT_ERR_CORRUPT, "not an nntune model file");
    p = tu_write("tiny.nnt", "x");
    expect_load_error(p, NNT_ERR_CORRUPT, "not an nntune model file");

    size_t len;
    unsigned char *b;
    saved_model_file("ver.nnt", &len, &b);
    put_u32(b + 4, 5);
    fix_crc(b, len);
    p = tu_path("future.nnt");
    tu_write_file(p, b, len);
    expect_load_error(p, NNT_ERR_UNSUPPORTED, "version 5");
    expect_load_error(p, NNT_ERR_UNSUPPORTED, "future.nnt");
    /* The version is judged before the rest, even in a short file. */
    tu_write_file(p, b, 10);
    expect_load_error(p, NNT_ERR_UNSUPPORTED, "version 5");
    put_u32(b + 4, 0);
    fix_crc(b, len);
    tu_write_file(p, b, len);
    expect_load_error(p, NNT_ERR_UNSUPPORTED, "versions 1 to 4");
    /* A single model's file marked as an ensemble's (version 4) lacks the
     * member count after its weights. */
    put_u32(b + 4, 4);
    fix_crc(b, len);
    tu_write_file(p, b, len);
    expect_load_error(p, NNT_ERR_CORRUPT, "record runs past the end of the data");
    free(b);
}

/* With a valid checksum, structural nonsense must still be caught. */
static void test_inconsistent_sizes(void **state)
{
    (void)state;
    size_t len;
    unsigned char *orig;
    saved_model_file("sizes.nnt", &len, &orig);
    unsigned char *b = malloc(len);
    const char *p = tu_path("sizes-bad.nnt");
    struct {
        size_t off;
        uint32_t value;
        const char *needle;
    } cases[] = {
        {16, 0, "absurd layer sizes"},           /* inputs = 0 */
        {20, 0xFFFFFFFFu, "absurd layer sizes"}, /* outputs */
        {24, 1000, "hidden layers"},             /* n_hidden */
        {28, 0, "absurd width"},                 /* hidden[0] */
        {28, 8, "weight"},                       /* wider layer: params no longer fit */
        {36, 42, "activation"},
        {40, 42, "loss"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(b, orig, len);
        put_u32(b + cases[i].off, cases[i].value);
        fix_crc(b, len);
        tu_write_file(p, b, len);
        expect_load_error(p, NNT_ERR_CORRUPT, cases[i].needle);
    }
    /* The weight count just before the weights and the CRC. */
    size_t n_params = 4 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3;
    size_t count_off = len - 4 - 4 * n_params - 8;
    memcpy(b, orig, len);
    assert_int_equal(b[count_off], (unsigned char)n_params);
    put_u32(b + count_off, (uint32_t)n_params + 1);
    fix_crc(b, len);
    tu_write_file(p, b, len);
    expect_load_error(p, NNT_ERR_CORRUPT, "weight count");
    put_u32(b + count_off + 4, 0x7FFFFFFFu); /* absurd 64-bit count */
    fix_crc(b, len);
    tu_write_file(p, b, len);
    expect_load_error(p, NNT_ERR_CORRUPT, "weight count");
    free(b);
    free(orig);
}

/* Allocation failures at every point of a load and a save: an error, never a
 * crash or a leak (the sanitizer build checks the leaks). */
static void test_alloc_failures(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b;
    const char *path = saved_model_file("oom.nnt", &len, &b);
    free(b);
    int failures = 0;
    for (long i = 0;; i++) {
        nnt_model *m = NULL;
        nnt_error err;
        nnt__alloc_fail_after(i);
        int rc = nnt_model_load(path, &m, &err);
        nnt__alloc_fail_after(-1);
        if (rc == NNT_OK) {
            assert_non_null(m);
            nnt_model_free(m);
            break;
        }
        assert_int_equal(rc, NNT_ERR_NOMEM);
        assert_null(m);
        failures++;
        assert_true(i < 1000);
    }
    assert_true(failures > 5);

    nnt_dataset *ds = make_dataset(12);
    nnt_model *m = make_model(ds);
    const char *out = tu_path("oom-save.nnt");
    for (long i = 0;; i++) {
        nnt_error err;
        nnt__alloc_fail_after(i);
        int rc = nnt_model_save(m, out, &err);
        nnt__alloc_fail_after(-1);
        if (rc == NNT_OK) break;
        assert_int_equal(rc, NNT_ERR_NOMEM);
        struct stat st;
        assert_int_not_equal(stat(out, &st), 0); /* nothing written */
        assert_true(i < 1000);
    }
    assert_int_equal(count_entries_with(tu_tmpdir(), ".tmp"), 0);
    nnt_model_free(m);
    nnt_dataset_free(ds);
}

/* ---- Atomic saving --------------------------------------------------------- */

static void test_save_into_missing_directory(void **state)
{
    (void)state;
    nnt_model *m = make_model(NULL);
    nnt_error err;
    nnt_error_clear(&err);
    const char *path = tu_path("no/such/dir/model.nnt");
    assert_int_equal(nnt_model_save(m, path, &err), NNT_ERR_IO);
    tu_assert_contains(err.message, "no/such/dir/model.nnt");
    assert_int_equal(count_entries_with(tu_tmpdir(), ".tmp"), 0);
    nnt_model_free(m);
}

static void test_failed_rename_leaves_no_temp_file(void **state)
{
    (void)state;
    nnt_model *m = make_model(NULL);
    nnt_error err;
    nnt_error_clear(&err);
    /* A non-empty directory cannot be replaced by a file: the rename fails
     * after the temporary file was fully written. */
    const char *dir = tu_path("occupied");
    assert_int_equal(mkdir(dir, 0755), 0);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/keep", dir);
    FILE *f = fopen(inner, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(nnt_model_save(m, dir, &err), NNT_ERR_IO);
    tu_assert_contains(err.message, "occupied");
    assert_int_equal(count_entries_with(tu_tmpdir(), "occupied.tmp"), 0);
    nnt_model_free(m);
}

static void test_save_replaces_existing(void **state)
{
    (void)state;
    nnt_dataset *ds = make_dataset(12);
    nnt_model *a = make_model(ds);
    nnt_model *b = make_model(NULL);
    nnt_model_params(b)[0] = 42.0f;
    nnt_error err;
    const char *path = tu_path("replace.nnt");
    tu_write("replace.nnt", "an old file that is not a model at all");
    struct stat st;
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(nnt_model_save(a, path, &err), NNT_OK);
    assert_int_equal(nnt_model_save(b, path, &err), NNT_OK);
    nnt_model *l = NULL;
    assert_int_equal(nnt_model_load(path, &l, &err), NNT_OK);
    assert_true(nnt_model_params(l)[0] == 42.0f);
    assert_int_equal(nnt_model_num_classes(l), 0); /* b's (empty) metadata, not a's */
    assert_memory_equal(nnt_model_params(l), nnt_model_params(b), nnt_model_num_params(b) * sizeof(float));
    assert_int_equal(count_entries_with(tu_tmpdir(), "replace.nnt.tmp"), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* the replaced file's mode is kept */
    nnt_model_free(l);
    nnt_model_free(a);
    nnt_model_free(b);
    nnt_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_classifier),
        cmocka_unit_test(test_round_trip_without_metadata),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_every_byte_flip_rejected),
        cmocka_unit_test(test_target_scaling_and_version1),
        cmocka_unit_test(test_wrong_magic_and_version),
        cmocka_unit_test(test_inconsistent_sizes),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_save_into_missing_directory),
        cmocka_unit_test(test_failed_rename_leaves_no_temp_file),
        cmocka_unit_test(test_save_replaces_existing),
        cmocka_unit_test(test_input_schema_and_version2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
