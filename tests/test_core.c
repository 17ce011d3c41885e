/* Core: status table, error messages, RNG determinism and ranges, the
 * clock, the shortest round-trip number formatter. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/numfmt.h"
#include "nntune/nntune.h"

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(nnt_strerror(NNT_OK), "success");
    assert_string_equal(nnt_strerror(NNT_ERR_FORMAT), "malformed input data");
    assert_string_equal(nnt_strerror(12345), "unknown status");
    assert_true(NNT_PRUNED > 0 && NNT_ERR_NOMEM < 0);
}

static void test_fail_message(void **state)
{
    (void)state;
    nnt_error e;
    nnt_error_clear(&e);
    assert_int_equal(nnt_fail(&e, NNT_ERR_ARG, "key '%s': expected %d", "lr", 3), NNT_ERR_ARG);
    assert_int_equal(e.code, NNT_ERR_ARG);
    assert_string_equal(e.message, "key 'lr': expected 3");
    assert_int_equal(nnt_fail(NULL, NNT_ERR_IO, "x"), NNT_ERR_IO);
}

static void test_rng_reproducible_and_in_range(void **state)
{
    (void)state;
    nnt_rng a, b;
    nnt_rng_seed(&a, 42);
    nnt_rng_seed(&b, 42);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = nnt_rng_u64(&a);
        assert_true(x == nnt_rng_u64(&b));
        double u = nnt_rng_uniform(&a);
        (void)nnt_rng_uniform(&b);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    assert_true(fabs(sum / 100000 - 0.5) < 0.01);
    assert_true(nnt_seed_derive(1, 0) != nnt_seed_derive(1, 1));
    assert_true(nnt_seed_derive(1, 7) == nnt_seed_derive(1, 7));
}

static void test_rng_normal_moments(void **state)
{
    (void)state;
    nnt_rng r;
    nnt_rng_seed(&r, 7);
    double s = 0, s2 = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double z = nnt_rng_normal(&r);
        s += z;
        s2 += z * z;
    }
    assert_true(fabs(s / n) < 0.01);
    assert_true(fabs(s2 / n - 1.0) < 0.02);
}

static void test_shuffle_is_permutation(void **state)
{
    (void)state;
    nnt_rng r;
    nnt_rng_seed(&r, 3);
    uint32_t a[100];
    int seen[100] = {0};
    for (int i = 0; i < 100; i++) a[i] = (uint32_t)i;
    nnt_rng_shuffle_u32(&r, a, 100);
    int moved = 0;
    for (int i = 0; i < 100; i++) {
        seen[a[i]]++;
        moved += a[i] != (uint32_t)i;
    }
    for (int i = 0; i < 100; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 80);
}

/* One rule for valid UTF-8 (include/nntune/utf8.h): lengths of valid
 * sequences, 0 for every kind of invalid one. */
static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(nnt_utf8_len("a"), 1);
    assert_int_equal(nnt_utf8_len("\xC3\xA9"), 2);          /* e-acute */
    assert_int_equal(nnt_utf8_len("\xE2\x82\xAC"), 3);      /* euro sign */
    assert_int_equal(nnt_utf8_len("\xF0\x9F\x98\x80"), 4);  /* U+1F600 */
    assert_int_equal(nnt_utf8_len("\xFF"), 0);               /* never valid */
    assert_int_equal(nnt_utf8_len("\x80"), 0);               /* stray continuation */
    assert_int_equal(nnt_utf8_len("\xC3"), 0);               /* cut short by the NUL */
    assert_int_equal(nnt_utf8_len("\xC0\xAF"), 0);          /* overlong '/' */
    assert_int_equal(nnt_utf8_len("\xED\xA0\x80"), 0);      /* surrogate U+D800 */
    assert_int_equal(nnt_utf8_len("\xF4\x90\x80\x80"), 0);  /* past U+10FFFF */
}

static void test_clock(void **state)
{
    (void)state;
    double m0 = nnt_clock_monotonic(), w0 = nnt_clock_wall();
    double m1 = nnt_clock_monotonic();
    assert_true(m1 >= m0);
    /* The wall clock is unix time: after 2020-01-01 and within a second of time(). */
    assert_true(w0 > 1577836800.0);
    assert_true(fabs(w0 - (double)time(NULL)) < 2.0);
}

static void test_fmt_shortest(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(nnt__fmt_shortest(b, 0.1), "0.1");
    assert_string_equal(nnt__fmt_shortest(b, -0.0), "0");
    assert_string_equal(nnt__fmt_shortest(b, 5000), "5000");
    assert_string_equal(nnt__fmt_shortest(b, 1e-4), "0.0001");
    assert_string_equal(nnt__fmt_shortest(b, 0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(nnt__fmt_shortest(b, 1e300), "1e+300");
    /* Every value reads back exactly. */
    nnt_rng rng;
    nnt_rng_seed(&rng, 99);
    for (int i = 0; i < 1000; i++) {
        double v = (nnt_rng_uniform(&rng) - 0.5) * pow(10.0, (double)(i % 40) - 20.0);
        assert_true(strtod(nnt__fmt_shortest(b, v), NULL) == v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_fail_message),
        cmocka_unit_test(test_rng_reproducible_and_in_range),
        cmocka_unit_test(test_rng_normal_moments),
        cmocka_unit_test(test_shuffle_is_permutation),
        cmocka_unit_test(test_utf8_len),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_fmt_shortest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
