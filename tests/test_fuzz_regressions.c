/* Inputs that made a fuzz target (fuzz/) crash, leak, hang or break the
 * library's contract, replayed through the same calls as the harness: each
 * must now give the expected status and message. The inputs are the
 * harness-format files in tests/data/fuzz/ (<target>-<what>.bin; the layouts
 * are described at the top of each fuzz/fuzz_<target>.c). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nntune/nntune.h"

typedef struct buf {
    unsigned char *p;
    size_t n;
} buf;

static buf input(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/fuzz/%s", NNT_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    buf b = {malloc(1 << 20), 0};
    assert_non_null(b.p);
    b.n = fread(b.p, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static const char *put(const char *name, const unsigned char *p, size_t n, int gz)
{
    const char *path = tu_path(name);
    if (gz) {
        gzFile f = gzopen(path, "wb1");
        assert_non_null(f);
        if (n) assert_int_equal(gzwrite(f, p, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        if (n) assert_int_equal(fwrite(p, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
    }
    return path;
}

static void expect(int rc, const nnt_error *err, int want_rc, const char *want_msg)
{
    if (rc != want_rc) fail_msg("status %d (%s), expected %d", rc, err->message, want_rc);
    if (want_msg) tu_assert_contains(err->message, want_msg);
}

/* ---- IDX: flags, u16 split, images, labels ------------------------------------ */

static int run_idx(const char *name, nnt_error *err)
{
    buf b = input(name);
    assert_true(b.n >= 3);
    size_t split = (size_t)b.p[1] | (size_t)b.p[2] << 8, n = b.n - 3;
    if (split > n) split = n;
    const char *images = put("images.idx", b.p + 3, split, b.p[0] & 1);
    char ipath[1024];
    snprintf(ipath, sizeof ipath, "%s", images);
    const char *labels =
        (b.p[0] & 4) ? NULL : put("labels.idx", b.p + 3 + split, n - split, b.p[0] & 2);
    nnt_dataset *ds = NULL;
    int rc = nnt_dataset_load_idx(ipath, labels, &ds, err);
    if (rc < 0) assert_null(ds);
    nnt_dataset_free(ds);
    free(b.p);
    return rc;
}

/* A header that promises ~2^35 pixels with none behind it: the loader asked
 * for all that memory up front (ASan: allocation of 0x343ef264cc bytes). */
static void test_idx_huge_header(void **state)
{
    (void)state;
    nnt_error err;
    int rc = run_idx("idx-huge-header.bin", &err);
    expect(rc, &err, NNT_ERR_CORRUPT, "truncated: expected");
}

/* Dimensions 2^14 x 2^24 x 2^26: the element count wrapped 64 bits to 0, so
 * the size check passed, no pixel was read, and 2^50 feature names were
 * allocated. */
static void test_idx_dims_wrap(void **state)
{
    (void)state;
    nnt_error err;
    int rc = run_idx("idx-dims-wrap.bin", &err);
    expect(rc, &err, NNT_ERR_FORMAT, "IDX dimensions too large (more than 2^40 elements)");
}

/* ---- Model files: mode byte + file; mode bit 0 clear: size and CRC fixed ------ */

static int run_model(const char *name, nnt_error *err)
{
    buf b = input(name);
    assert_true(b.n >= 1);
    unsigned char *file = b.p + 1;
    size_t n = b.n - 1;
    if (!(b.p[0] & 1) && n >= 20) {
        for (int i = 0; i < 8; i++) file[8 + i] = (unsigned char)((uint64_t)n >> (8 * i));
        uint32_t crc = (uint32_t)crc32(0L, file, (uInt)(n - 4));
        for (int i = 0; i < 4; i++) file[n - 4 + i] = (unsigned char)(crc >> (8 * i));
    }
    const char *path = put("model.nnt", file, n, 0);
    nnt_model *m = NULL;
    int rc = nnt_model_load(path, &m, err);
    if (rc < 0) assert_null(m);
    nnt_model_free(m);
    free(b.p);
    return rc;
}

/* Hidden widths 262144 and 16387 (each under the 2^24 sanity bound) with a
 * handful of stored weights: the loader built the 4-billion-weight model
 * (16 GiB, initialised) before comparing the weight counts. */
static void test_model_huge_layers(void **state)
{
    (void)state;
    nnt_error err;
    int rc = run_model("model-huge-layers.bin", &err);
    expect(rc, &err, NNT_ERR_CORRUPT, "43 weights stored but the architecture needs 4296867855");
}

/* ---- Durations: the text -------------------------------------------------------- */

/* "1e308d": finite days, infinite seconds; it parsed to inf (found by the
 * harness's finiteness check while the target was written, not by fuzzing:
 * the overflow adds no coverage for libFuzzer to steer by). */
static void test_duration_overflow(void **state)
{
    (void)state;
    buf b = input("duration-overflow.bin");
    char text[64];
    snprintf(text, sizeof text, "%.*s", (int)b.n, (const char *)b.p);
    free(b.p);
    double s = -1;
    assert_int_equal(nnt_parse_duration(text, &s), NNT_ERR_ARG);
    assert_true(s == -1); /* left alone on failure */
    assert_int_equal(nnt_parse_duration("1e300s", &s), NNT_OK);
    assert_true(s == 1e300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_overflow),
        cmocka_unit_test(test_idx_dims_wrap),
        cmocka_unit_test(test_model_huge_layers),
        cmocka_unit_test(test_idx_huge_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
