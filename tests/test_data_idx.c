/* IDX loader (plain and gzipped), its error reports, and the built-in
 * Fashion-MNIST data set. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nntune/data.h"

/* Writes an IDX file: magic, dims (big-endian), then payload bytes. */
static const char *write_idx(const char *name, int gz, uint32_t magic, const uint32_t *dims,
                             int ndims, const unsigned char *data, size_t n)
{
    unsigned char head[4 + 4 * 4];
    size_t h = 0;
    uint32_t words[5];
    words[0] = magic;
    for (int i = 0; i < ndims; i++) words[1 + i] = dims[i];
    for (int i = 0; i < 1 + ndims; i++) {
        head[h++] = (unsigned char)(words[i] >> 24);
        head[h++] = (unsigned char)(words[i] >> 16);
        head[h++] = (unsigned char)(words[i] >> 8);
        head[h++] = (unsigned char)words[i];
    }
    const char *p = tu_path(name);
    if (gz) {
        gzFile f = gzopen(p, "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, head, (unsigned)h), (int)h);
        if (n) assert_int_equal(gzwrite(f, data, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(head, 1, h, f), h);
        if (n) assert_int_equal(fwrite(data, 1, n, f), n);
        fclose(f);
    }
    return p;
}

enum { N_IMG = 5, H = 3, W = 4 };

static unsigned char pixels[N_IMG * H * W];
static unsigned char labels5[N_IMG] = {3, 0, 1, 3, 2};

static void fill_pixels(void)
{
    for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (unsigned char)((i * 37) % 256);
}

static void check_round_trip(int gz_images, int gz_labels)
{
    fill_pixels();
    uint32_t dims[3] = {N_IMG, H, W}, ldims[1] = {N_IMG};
    char iname[32], lname[32];
    snprintf(iname, sizeof iname, "img%d%d", gz_images, gz_labels);
    snprintf(lname, sizeof lname, "lab%d%d", gz_images, gz_labels);
    const char *ip = write_idx(iname, gz_images, 0x803, dims, 3, pixels, sizeof pixels);
    char ipath[512];
    snprintf(ipath, sizeof ipath, "%s", ip);
    const char *lp = write_idx(lname, gz_labels, 0x801, ldims, 1, labels5, N_IMG);
    nnt_dataset *ds = NULL;
    nnt_error e;
    int rc = nnt_dataset_load_idx(ipath, lp, &ds, &e);
    if (rc != 0) fail_msg("%s", e.message);
    assert_int_equal(nnt_dataset_rows(ds), N_IMG);
    assert_int_equal(nnt_dataset_features(ds), H * W);
    assert_int_equal(nnt_dataset_kind(ds), NNT_FEATURES_PIXELS);
    assert_int_equal(nnt_dataset_task(ds), NNT_TASK_CLASSIFY);
    const float *x = nnt_dataset_x(ds);
    for (size_t i = 0; i < sizeof pixels; i++) assert_float_equal(x[i], pixels[i], 0);
    assert_int_equal(nnt_dataset_num_classes(ds), 4);
    for (int i = 0; i < N_IMG; i++) assert_int_equal(nnt_dataset_labels(ds)[i], labels5[i]);
    assert_string_equal(nnt_dataset_class_name(ds, 0), "0");
    assert_string_equal(nnt_dataset_class_name(ds, 3), "3");
    assert_string_equal(nnt_dataset_feature_name(ds, 0), "px0");
    assert_string_equal(nnt_dataset_feature_name(ds, 11), "px11");
    nnt_dataset_free(ds);
}

static void test_round_trip_plain_and_gzip(void **state)
{
    (void)state;
    check_round_trip(0, 0);
    check_round_trip(1, 1);
    check_round_trip(1, 0);
}

static void test_images_without_labels_and_min_two_classes(void **state)
{
    (void)state;
    fill_pixels();
    uint32_t dims[3] = {N_IMG, H, W}, ldims[1] = {N_IMG};
    const char *ip = write_idx("nolab", 1, 0x803, dims, 3, pixels, sizeof pixels);
    char ipath[512];
    snprintf(ipath, sizeof ipath, "%s", ip);
    nnt_dataset *ds;
    nnt_error e;
    assert_int_equal(nnt_dataset_load_idx(ipath, NULL, &ds, &e), 0);
    assert_false(nnt_dataset_has_target(ds));
    assert_int_equal(nnt_dataset_num_classes(ds), 0);
    assert_int_equal(nnt_dataset_rows(ds), N_IMG);
    nnt_dataset_free(ds);
    unsigned char zeros[N_IMG] = {0};
    const char *lp = write_idx("zerolab", 0, 0x801, ldims, 1, zeros, N_IMG);
    assert_int_equal(nnt_dataset_load_idx(ipath, lp, &ds, &e), 0);
    assert_int_equal(nnt_dataset_num_classes(ds), 2);
    nnt_dataset_free(ds);
}

static void expect_idx_fail(const char *images, const char *labels, int code, const char *needle)
{
    nnt_dataset *ds = (nnt_dataset *)1;
    nnt_error e;
    nnt_error_clear(&e);
    int rc = nnt_dataset_load_idx(images, labels, &ds, &e);
    if (rc != code) fail_msg("expected code %d, got %d (%s)", code, rc, e.message);
    assert_null(ds);
    tu_assert_contains(e.message, needle);
}

static void test_bad_headers(void **state)
{
    (void)state;
    fill_pixels();
    uint32_t dims[3] = {N_IMG, H, W};
    char p[512];
    /* A label file given as images. */
    snprintf(p, sizeof p, "%s", write_idx("magic", 0, 0x801, dims, 1, pixels, 5));
    expect_idx_fail(p, NULL, NNT_ERR_FORMAT, "bad IDX magic 0x00000801, expected 0x00000803");
    snprintf(p, sizeof p, "%s", write_idx("junk", 1, 0x89504E47, dims, 3, pixels, 5));
    expect_idx_fail(p, NULL, NNT_ERR_FORMAT, "bad IDX magic 0x89504E47");
    snprintf(p, sizeof p, "%s", write_idx("float", 0, 0x00000D03, dims, 3, pixels, sizeof pixels));
    expect_idx_fail(p, NULL, NNT_ERR_FORMAT, "element type 0x0D (float) is not supported");
    uint32_t zero[3] = {N_IMG, 0, W};
    snprintf(p, sizeof p, "%s", write_idx("zero", 0, 0x803, zero, 3, pixels, 0));
    expect_idx_fail(p, NULL, NNT_ERR_FORMAT, "IDX dimension 1 is zero");
    uint32_t huge[3] = {0x7FFFFFFF, 0xFFFFFF, 0xFFFFFF};
    snprintf(p, sizeof p, "%s", write_idx("huge", 0, 0x803, huge, 3, pixels, 0));
    expect_idx_fail(p, NULL, NNT_ERR_FORMAT, "dimensions too large");
    snprintf(p, sizeof p, "%s", tu_write("short", "ab"));
    expect_idx_fail(p, NULL, NNT_ERR_CORRUPT, "truncated IDX header");
    snprintf(p, sizeof p, "%s", tu_path("nope.idx"));
    expect_idx_fail(p, NULL, NNT_ERR_IO, "nope.idx: cannot open: No such file or directory");
}

static void test_truncated_and_count_mismatch(void **state)
{
    (void)state;
    fill_pixels();
    uint32_t dims[3] = {N_IMG, H, W}, ldims[1] = {N_IMG}, l4[1] = {N_IMG - 1};
    char ip[512], lp[512];
    snprintf(ip, sizeof ip, "%s", write_idx("trunc", 1, 0x803, dims, 3, pixels, sizeof pixels - 7));
    expect_idx_fail(ip, NULL, NNT_ERR_CORRUPT, "truncated: expected 60 bytes of pixel data (5 "
                    "images of 3x4), got 53");
    snprintf(ip, sizeof ip, "%s", write_idx("good", 0, 0x803, dims, 3, pixels, sizeof pixels));
    snprintf(lp, sizeof lp, "%s", write_idx("few", 0, 0x801, l4, 1, labels5, N_IMG - 1));
    expect_idx_fail(ip, lp, NNT_ERR_FORMAT, "4 labels for 5 images");
    snprintf(lp, sizeof lp, "%s", write_idx("ltrunc", 0, 0x801, ldims, 1, labels5, N_IMG - 2));
    expect_idx_fail(ip, lp, NNT_ERR_CORRUPT, "truncated: expected 5 bytes of labels, got 3");
    snprintf(lp, sizeof lp, "%s", tu_path("nolabels.idx"));
    expect_idx_fail(ip, lp, NNT_ERR_IO, "nolabels.idx: cannot open");

    /* A gzip stream cut in the middle. */
    snprintf(ip, sizeof ip, "%s", write_idx("cut", 1, 0x803, dims, 3, pixels, sizeof pixels));
    struct stat st;
    assert_int_equal(stat(ip, &st), 0);
    assert_int_equal(truncate(ip, st.st_size / 2), 0);
    nnt_dataset *ds = (nnt_dataset *)1;
    nnt_error e;
    int rc = nnt_dataset_load_idx(ip, NULL, &ds, &e);
    assert_true(rc == NNT_ERR_CORRUPT);
    assert_null(ds);
    tu_assert_contains(e.message, ip);
}

/* ---- Built-in ------------------------------------------------------------- */

static void test_builtin_missing_names_package(void **state)
{
    (void)state;
    const char *old = getenv("NNTUNE_DATASETS_DIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("NNTUNE_DATASETS_DIR", tu_tmpdir(), 1);
    assert_string_equal(nnt_datasets_dir(), tu_tmpdir());
    nnt_dataset *tr = (nnt_dataset *)1, *te = (nnt_dataset *)1;
    nnt_error e;
    assert_int_equal(nnt_dataset_load_builtin("fashion-mnist", &tr, &te, &e), NNT_ERR_NOT_FOUND);
    assert_null(tr);
    assert_null(te);
    tu_assert_contains(e.message, "apt-get install dataset-fashion-mnist");
    tu_assert_contains(e.message, tu_tmpdir());
    assert_int_equal(nnt_dataset_load_builtin("mnist-digits", &tr, &te, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "unknown built-in data set 'mnist-digits' (known: fashion-mnist)");
    if (saved) {
        setenv("NNTUNE_DATASETS_DIR", saved, 1);
        free(saved);
    } else {
        unsetenv("NNTUNE_DATASETS_DIR");
        assert_string_equal(nnt_datasets_dir(), "/usr/share/datasets");
    }
}

static void test_builtin_fashion_mnist(void **state)
{
    (void)state;
    struct stat st;
    char p[512];
    snprintf(p, sizeof p, "%s/fashion-mnist", nnt_datasets_dir());
    if (stat(p, &st) != 0) skip();
    nnt_dataset *tr = NULL, *te = NULL;
    nnt_error e;
    int rc = nnt_dataset_load_builtin("fashion-mnist", &tr, &te, &e);
    if (rc != 0) fail_msg("%s", e.message);
    assert_int_equal(nnt_dataset_rows(tr), 60000);
    assert_int_equal(nnt_dataset_rows(te), 10000);
    assert_int_equal(nnt_dataset_features(tr), 784);
    assert_int_equal(nnt_dataset_features(te), 784);
    assert_int_equal(nnt_dataset_num_classes(tr), 10);
    assert_int_equal(nnt_dataset_num_classes(te), 10);
    assert_string_equal(nnt_dataset_class_name(tr, 0), "T-shirt/top");
    assert_string_equal(nnt_dataset_class_name(te, 9), "Ankle boot");
    assert_int_equal(nnt_dataset_kind(tr), NNT_FEATURES_PIXELS);
    /* Fashion-MNIST is balanced: 6000 / 1000 images per class. */
    int count_tr[10] = {0}, count_te[10] = {0};
    for (size_t i = 0; i < 60000; i++) count_tr[nnt_dataset_labels(tr)[i]]++;
    for (size_t i = 0; i < 10000; i++) count_te[nnt_dataset_labels(te)[i]]++;
    for (int c = 0; c < 10; c++) {
        assert_int_equal(count_tr[c], 6000);
        assert_int_equal(count_te[c], 1000);
    }
    /* The first training image is an ankle boot (label 9). */
    assert_int_equal(nnt_dataset_labels(tr)[0], 9);
    const float *x = nnt_dataset_x(tr);
    float lo = 255, hi = 0;
    for (size_t i = 0; i < 784 * 100; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    assert_float_equal(lo, 0, 0);
    assert_float_equal(hi, 255, 0);
    nnt_dataset_free(tr);
    nnt_dataset_free(te);
    /* Only one part when the other is not wanted. */
    assert_int_equal(nnt_dataset_load_builtin("fashion-mnist", NULL, &te, &e), 0);
    assert_int_equal(nnt_dataset_rows(te), 10000);
    nnt_dataset_free(te);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_plain_and_gzip),
        cmocka_unit_test(test_images_without_labels_and_min_two_classes),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_truncated_and_count_mismatch),
        cmocka_unit_test(test_builtin_missing_names_package),
        cmocka_unit_test(test_builtin_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
