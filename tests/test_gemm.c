/* GEMM wrapper: nnt__sgemm against a double-precision reference (transposes,
 * odd sizes, padded leading dimensions, alpha/beta), and the kernel check. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/gemm.h"
#include "nntune/nntune.h"

#if !defined(NNT_BLAS_BLIS)
#include <cblas.h>
#endif

/* Deterministic values in [-1, 1) (xorshift), independent of the library RNG. */
static uint64_t g_state = 0x9E3779B97F4A7C15ull;
static float rnd(void)
{
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return (float)((double)(g_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* Element (i, j) of op(X) where X is stored row-major with leading dim ld. */
static double op_at(const float *x, int ld, int trans, int i, int j)
{
    return trans ? x[(size_t)j * ld + i] : x[(size_t)i * ld + j];
}

/* Runs one case and checks every element of C, including the padding
 * columns that must stay untouched. */
static void check_case(int ta, int tb, int m, int n, int k, int pad, float alpha, float beta,
                       int nan_c)
{
    /* Stored shapes: A is m x k (or k x m), B is k x n (or n x k). */
    int a_rows = ta ? k : m, a_cols = ta ? m : k;
    int b_rows = tb ? n : k, b_cols = tb ? k : n;
    int lda = a_cols + pad, ldb = b_cols + pad + 1, ldc = n + pad + 2;
    float *a = malloc(sizeof(float) * (size_t)a_rows * lda);
    float *b = malloc(sizeof(float) * (size_t)b_rows * ldb);
    float *c = malloc(sizeof(float) * (size_t)m * ldc);
    double *want = malloc(sizeof(double) * (size_t)m * n);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(want);
    for (size_t i = 0; i < (size_t)a_rows * lda; i++) a[i] = rnd();
    for (size_t i = 0; i < (size_t)b_rows * ldb; i++) b[i] = rnd();
    for (size_t i = 0; i < (size_t)m * ldc; i++) c[i] = nan_c ? NAN : rnd();
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += op_at(a, lda, ta, i, p) * op_at(b, ldb, tb, p, j);
            double c0 = beta != 0.0f ? (double)c[(size_t)i * ldc + j] : 0.0;
            want[(size_t)i * n + j] = alpha * s + beta * c0;
        }
    }
    /* Padding sentinels: the BLAS must not write past column n. */
    for (int i = 0; i < m; i++)
        for (int j = n; j < ldc; j++) c[(size_t)i * ldc + j] = 12345.0f;

    nnt__sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /* float accumulation of k products of magnitude <= |alpha|: error grows
     * with k; 1e-5 * (k + 1) * scale is far above rounding, far below a bug. */
    double scale = fabs(alpha) + fabs(beta) + 1.0;
    double tol = 1e-5 * (k + 1) * scale;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < ldc; j++) {
            double got = c[(size_t)i * ldc + j];
            if (j >= n) {
                if (got != 12345.0) {
                    print_error("wrote padding C[%d][%d] = %g (ta=%d tb=%d m=%d n=%d k=%d)\n", i,
                                j, got, ta, tb, m, n, k);
                    fail();
                }
                continue;
            }
            double w = want[(size_t)i * n + j];
            if (!(fabs(got - w) <= tol)) {
                print_error("C[%d][%d] = %.9g, want %.9g (ta=%d tb=%d m=%d n=%d k=%d "
                            "alpha=%g beta=%g nan_c=%d pad=%d)\n",
                            i, j, got, w, ta, tb, m, n, k, alpha, beta, nan_c, pad);
                fail();
            }
        }
    }
    free(a);
    free(b);
    free(c);
    free(want);
}

static const int sizes[][3] = {{1, 1, 1}, {3, 5, 7}, {33, 17, 65}, {129, 257, 63}};

static void test_all_transposes_odd_sizes(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                check_case(ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], 0, 1.0f, 0.0f, 0);
}

static void test_padded_leading_dimensions(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                check_case(ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], 3, 1.0f, 0.0f, 0);
}

static void test_alpha_beta(void **state)
{
    (void)state;
    const float ab[][2] = {{1.0f, 1.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}, {1.0f, -1.0f}, {0.0f, 2.0f}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t i = 0; i < sizeof ab / sizeof ab[0]; i++)
            for (int t = 0; t < 4; t++)
                check_case(t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2], 2, ab[i][0],
                           ab[i][1], 0);
}

/* beta == 0 must overwrite C without reading it: NaN garbage stays out. */
static void test_beta_zero_ignores_nan(void **state)
{
    (void)state;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int t = 0; t < 4; t++) {
            check_case(t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2], 1, 1.0f, 0.0f, 1);
            check_case(t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2], 0, -0.75f, 0.0f, 1);
        }
}

/* beta == 1 accumulates: two products into one C equal their sum. */
static void test_beta_one_accumulates(void **state)
{
    (void)state;
    int m = 33, n = 17, k = 65;
    float a[33 * 65], b[65 * 17], c[33 * 17];
    for (int i = 0; i < m * k; i++) a[i] = rnd();
    for (int i = 0; i < k * n; i++) b[i] = rnd();
    nnt__sgemm(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    nnt__sgemm(0, 0, m, n, k, 1.0f, a, k, b, n, 1.0f, c, n);
    nnt__sgemm(0, 0, m, n, k, -1.0f, a, k, b, n, 1.0f, c, n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
            assert_true(fabs(c[i * n + j] - s) < 1e-4);
        }
}

/* With OpenBLAS, nnt__sgemm clears C itself for beta == 0 and accumulates with
 * beta = 1 (src/kernels/gemm.c): the result must be bit-identical to OpenBLAS's
 * own beta == 0, including the weight-gradient shape of the benchmark
 * (256 x 784, K = 32, A transposed). */
static void test_beta_zero_same_bits_as_blas(void **state)
{
    (void)state;
#if defined(NNT_BLAS_BLIS) || defined(NNT_GEMM_ONEDNN)
    skip(); /* the memset + beta = 1 detour is OpenBLAS's only */
#else
    static const int shapes[][4] = {{256, 784, 32, 1}, {32, 256, 784, 0}, {33, 17, 65, 0},
                                    {10, 128, 5, 1}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], ta = shapes[s][3];
        size_t na = (size_t)m * k, nb = (size_t)k * n, nc = (size_t)m * n;
        float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b);
        float *c1 = malloc(nc * sizeof *c1), *c2 = malloc(nc * sizeof *c2);
        assert_true(a && b && c1 && c2);
        for (size_t i = 0; i < na; i++) a[i] = rnd();
        for (size_t i = 0; i < nb; i++) b[i] = rnd();
        for (size_t i = 0; i < nc; i++) c1[i] = c2[i] = NAN;
        int lda = ta ? m : k;
        nnt__sgemm(ta, 0, m, n, k, 0.5f, a, lda, b, n, 0.0f, c1, n);
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, CblasNoTrans, m, n, k, 0.5f, a,
                    lda, b, n, 0.0f, c2, n);
        assert_memory_equal(c1, c2, nc * sizeof *c1);
        free(a);
        free(b);
        free(c1);
        free(c2);
    }
#endif
}

static void test_threads_setting_round_trips(void **state)
{
    (void)state;
    nnt_blas_set_threads(1);
    int prev = nnt_blas_set_threads(2);
    assert_int_equal(prev, 1);
    nnt_blas_set_threads(1);
    check_case(0, 1, 129, 257, 63, 0, 1.0f, 0.0f, 0);
}

/* ---- Kernel classification -------------------------------------------- */

static void test_kernel_name_classification(void **state)
{
    (void)state;
    nnt_cpu_features avx2 = {1, 0, 1}, avx512 = {1, 1, 0}, old = {0, 0, 0};
    const char *generic[] = {"Prescott", "Core2", "Generic", "generic", "Sandybridge",
                             "penryn", "Excavator", "Nehalem", ""};
    const char *good[] = {"Zen", "Haswell", "SkylakeX", "Cooperlake", "zen3", "zen2",
                          "haswell", "skx"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++) {
        assert_int_equal(nnt__blas_kernel_name_is_generic(generic[i], &avx2), 1);
        assert_int_equal(nnt__blas_kernel_name_is_generic(generic[i], &old), 0);
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(nnt__blas_kernel_name_is_generic(good[i], &avx512), 0);

    /* BLIS override policy. */
    nnt_cpu_features intel_avx2 = {1, 0, 0};
    assert_string_equal(nnt__blis_pick_arch("generic", &avx512), "skx");
    assert_string_equal(nnt__blis_pick_arch("generic", &avx2), "zen3");
    assert_string_equal(nnt__blis_pick_arch("sandybridge", &intel_avx2), "haswell");
    assert_string_equal(nnt__blis_pick_arch("zen3", &avx2), "zen3");
    /* A deliberate AVX2 choice on an AVX-512 CPU (one FMA-512 unit) stays. */
    assert_string_equal(nnt__blis_pick_arch("haswell", &avx512), "haswell");
    assert_string_equal(nnt__blis_pick_arch("generic", &old), "generic");
}

/* The BLAS in use must not run a generic kernel on an AVX2+FMA machine: that
 * is a 3-5x slowdown of every training step. */
static void test_blas_kernel_not_generic(void **state)
{
    (void)state;
    const char *info = nnt_blas_info();
    const char *kernel = nnt__blas_kernel_name();
    assert_non_null(info);
    assert_non_null(kernel);
    assert_true(strstr(info, kernel) != NULL);
#if defined(NNT_GEMM_ONEDNN)
    assert_true(strncmp(info, "oneDNN ", 7) == 0);
#else
    assert_true(strncmp(info, "OpenBLAS ", 9) == 0 || strncmp(info, "BLIS ", 5) == 0);
#endif
    if (nnt__blas_kernel_is_generic()) {
        print_error("BLAS runs a generic kernel on an AVX2+FMA CPU: %s (kernel '%s')\n", info,
                    kernel);
        fail();
    }
}

/* The check must see a generic kernel when there is one, and the forced
 * kernel must still compute correctly: a child process is forced to an old
 * kernel set (OpenBLAS: OPENBLAS_CORETYPE=Prescott; oneDNN: DNNL_MAX_CPU_ISA=SSE41; static BLIS:
 * NNT_BLIS_ARCH=sandybridge) and reports. */
static void test_generic_kernel_detected(void **state)
{
    (void)state;
    nnt_cpu_features cpu = nnt__cpu_detect();
    if (!cpu.avx2_fma) {
        skip();
        return;
    }
#if defined(NNT_BLAS_BLIS) && !defined(NNT_BLIS_STATIC)
    skip(); /* shared libblis: no way to force a kernel set */
    return;
#else
#if defined(NNT_GEMM_ONEDNN)
    /* oneDNN's own cap on the ISA its JIT kernels use. */
    const char *env = "DNNL_MAX_CPU_ISA=SSE41", *want = "isa=sse41";
#elif defined(NNT_BLAS_BLIS)
    const char *env = "NNT_BLIS_ARCH=sandybridge", *want = "arch=sandybridge (forced";
#else
    const char *env = "OPENBLAS_CORETYPE=Prescott", *want = "core=Prescott";
#endif
    char cmd[4200];
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(len > 0);
    self[len] = '\0';
    snprintf(cmd, sizeof cmd, "%s '%s' --kernel-report", env, self);
    char *out = NULL;
    int rc = tu_run(cmd, &out);
    assert_non_null(out);
    if (rc != 0) print_error("%s\n", out);
    assert_int_equal(rc, 0);
    tu_assert_contains(out, want);
    tu_assert_contains(out, "generic=1");
    tu_assert_contains(out, "gemm=ok");
    free(out);
#endif
}

/* Child mode for test_generic_kernel_detected: kernel report plus one
 * checked product through whatever kernel the environment forced. */
static int kernel_report(void)
{
    int m = 129, n = 257, k = 63;
    static float a[129 * 63], b[257 * 63], c[129 * 257];
    for (int i = 0; i < m * k; i++) a[i] = rnd();
    for (int i = 0; i < n * k; i++) b[i] = rnd();
    nnt__sgemm(0, 1, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    int ok = 1;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[j * k + p];
            if (!(fabs(c[i * n + j] - s) < 1e-3)) ok = 0;
        }
    printf("%s generic=%d gemm=%s\n", nnt_blas_info(), nnt__blas_kernel_is_generic(),
           ok ? "ok" : "WRONG");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--kernel-report") == 0) return kernel_report();
    nnt_blas_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_transposes_odd_sizes),
        cmocka_unit_test(test_padded_leading_dimensions),
        cmocka_unit_test(test_alpha_beta),
        cmocka_unit_test(test_beta_zero_ignores_nan),
        cmocka_unit_test(test_beta_one_accumulates),
        cmocka_unit_test(test_beta_zero_same_bits_as_blas),
        cmocka_unit_test(test_threads_setting_round_trips),
        cmocka_unit_test(test_kernel_name_classification),
        cmocka_unit_test(test_blas_kernel_not_generic),
        cmocka_unit_test(test_generic_kernel_detected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
