/* GEMM backends on the training step's eight products (issue 13): the
 * 784-256-128-10 network's forward, weight-gradient and input-gradient
 * products at batch 32, 128 and 512, one thread, in GFLOP/s and as a fraction
 * of the core's FP32 FMA peak measured in the same run (bench/fma_peak.h).
 *
 * Backends: nnt__sgemm (the engine path: OpenBLAS by default), oneDNN's
 * dnnl_sgemm (row-major, Debian libdnnl-dev) and libxsmm's JIT kernels
 * (libxsmm_smmdispatch, Debian libxsmm-dev; column-major, so each row-major
 * product is dispatched as its transpose; libxsmm 1.17 returns no kernel for
 * the layouts it does not generate, reported as n/a). Each backend is compiled
 * in only when CMake finds it (NNT_HAVE_DNNL, NNT_HAVE_LIBXSMM). Every result
 * is checked against OpenBLAS's (max relative difference printed).
 *
 * Two weight layouts are measured, because the layout decides which products
 * need a transposed operand:
 *   out x in (the engine's):  fwd  act W^T (NT), dW delta^T act (TN), dX delta W (NN)
 *   in x out:                 fwd  act W   (NN), dW act^T delta (TN), dX delta W^T (NT)
 * A benchmark, not a test. Usage: bench_gemm_backends [--seconds S] [--rounds R] [--wall] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fma_peak.h"
#include "kernels/gemm.h"
#include "nntune/train.h"

#if defined(NNT_HAVE_DNNL)
#include <oneapi/dnnl/dnnl.h>
#endif
#if defined(NNT_HAVE_LIBXSMM)
#include <libxsmm.h>
#endif

/* Thread CPU time by default: the development machine is shared, and time
 * spent descheduled is not the kernel's (cache contention still counts);
 * --wall for the wall clock. */
static clockid_t g_clock = CLOCK_THREAD_CPUTIME_ID;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(g_clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct shape {
    const char *name;
    int ta, tb, m, n, k; /* row-major C (m x n) = op(A) op(B) */
} shape;

enum { N_BACKENDS = 3, B_OPENBLAS = 0, B_DNNL = 1, B_XSMM = 2 };
/* Column 0 is nnt__sgemm: OpenBLAS in the default build (its info is printed). */
static const char *const backend_name[N_BACKENDS] = {"nnt_sgemm", "onednn", "libxsmm"};

/* Row-major leading dimensions of the stored operands. */
static int lda_of(const shape *s) { return s->ta ? s->m : s->k; }
static int ldb_of(const shape *s) { return s->tb ? s->k : s->n; }

#if defined(NNT_HAVE_LIBXSMM)
/* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: B comes
 * first, and a row-major transpose of B is a column-major transpose of the
 * first operand. NULL when libxsmm has no kernel for it. */
static libxsmm_smmfunction xsmm_kernel(const shape *s)
{
    int flags = LIBXSMM_GEMM_FLAG_BETA_0;
    if (s->tb) flags |= LIBXSMM_GEMM_FLAG_TRANS_A;
    if (s->ta) flags |= LIBXSMM_GEMM_FLAG_TRANS_B;
    libxsmm_blasint lda = ldb_of(s), ldb = lda_of(s), ldc = s->n;
    float alpha = 1.0f, beta = 0.0f;
    int prefetch = LIBXSMM_PREFETCH_NONE;
    return libxsmm_smmdispatch(s->n, s->m, s->k, &lda, &ldb, &ldc, &alpha, &beta, &flags,
                               &prefetch);
}
#endif

/* One product with backend b; 0 on success, -1 when b cannot do it. */
static int run_gemm(int b, const shape *s, const float *a, const float *bm, float *c, void *kern)
{
    switch (b) {
    case B_OPENBLAS:
        nnt__sgemm(s->ta, s->tb, s->m, s->n, s->k, 1.0f, a, lda_of(s), bm, ldb_of(s), 0.0f, c, s->n);
        return 0;
#if defined(NNT_HAVE_DNNL)
    case B_DNNL:
        return dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, 1.0f, a,
                          lda_of(s), bm, ldb_of(s), 0.0f, c, s->n) == dnnl_success
                   ? 0
                   : -1;
#endif
#if defined(NNT_HAVE_LIBXSMM)
    case B_XSMM:
        if (!kern) return -1;
        ((libxsmm_smmfunction)kern)(bm, a, c);
        return 0;
#endif
    default:
        (void)kern;
        return -1;
    }
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    double seconds = 0.15;
    int rounds = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--wall") == 0) g_clock = CLOCK_MONOTONIC;
        else {
            fprintf(stderr, "usage: bench_gemm_backends [--seconds S] [--rounds R]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 15) rounds = 3;
    nnt_blas_set_threads(1);
#if defined(NNT_HAVE_DNNL)
    dnnl_set_max_cpu_isa(dnnl_cpu_isa_all);
#endif
#if defined(NNT_HAVE_LIBXSMM)
    libxsmm_init();
#endif
    char model[256];
    fma_peak pk = fma_peak_measure(0.2, 5, g_clock, 0);
    printf("CPU: %s\nFP32 FMA peak, 1 thread: %.1f GFLOP/s (%s)\n",
           fma_peak_cpu_model(model, sizeof model), pk.gflops, pk.isa);
    printf("backends: nnt_sgemm (%s)", nnt_blas_info());
#if defined(NNT_HAVE_DNNL)
    {
        const dnnl_version_t *v = dnnl_version();
        printf(", onednn %d.%d.%d", v->major, v->minor, v->patch);
    }
#endif
#if defined(NNT_HAVE_LIBXSMM)
    printf(", libxsmm %s (target %s)", LIBXSMM_VERSION, libxsmm_get_target_arch());
#endif
    printf("\nGFLOP/s: median of %d rounds of >= %.2f s each (%s clock); %% = of the FMA peak "
           "measured around each shape (mean of a reading before and after)\n\n",
           rounds, seconds, g_clock == CLOCK_MONOTONIC ? "wall" : "thread CPU-time");

    static const int batches[3] = {32, 128, 512};
    static const int sizes[4] = {784, 256, 128, 10};
    double peak_time[2][3][N_BACKENDS] = {{{0}}}; /* sum of flop / adjacent peak */
    double flop_tot[2][3][N_BACKENDS] = {{{0}}}, time_tot[2][3][N_BACKENDS] = {{{0}}};
    int complete[2][3][N_BACKENDS];
    for (int a = 0; a < 2 * 3 * N_BACKENDS; a++) (&complete[0][0][0])[a] = 1;
    for (int layout = 0; layout < 2; layout++) {
        printf("weights %s\n", layout == 0 ? "out x in (engine today)" : "in x out");
        printf("  %-5s %-28s %5s %5s %5s", "batch", "product", "M", "N", "K");
        for (int b = 0; b < N_BACKENDS; b++) printf(" %17s", backend_name[b]);
        printf("  max rel diff\n");
        for (int bi = 0; bi < 3; bi++) {
            int n = batches[bi];
            shape sh[8];
            int ns = 0;
            for (int l = 0; l < 3; l++) {
                int in = sizes[l], out = sizes[l + 1];
                static char names[2][3][3][64];
                snprintf(names[layout][l][0], 64, "fwd L%d", l + 1);
                snprintf(names[layout][l][1], 64, "dW  L%d", l + 1);
                snprintf(names[layout][l][2], 64, "dX  L%d", l + 1);
                if (layout == 0) {
                    sh[ns++] = (shape){names[layout][l][0], 0, 1, n, out, in};
                    sh[ns++] = (shape){names[layout][l][1], 1, 0, out, in, n};
                    if (l > 0) sh[ns++] = (shape){names[layout][l][2], 0, 0, n, in, out};
                } else {
                    sh[ns++] = (shape){names[layout][l][0], 0, 0, n, out, in};
                    sh[ns++] = (shape){names[layout][l][1], 1, 0, in, out, n};
                    if (l > 0) sh[ns++] = (shape){names[layout][l][2], 0, 1, n, in, out};
                }
            }
            for (int si = 0; si < ns; si++) {
                const shape *s = &sh[si];
                size_t sa = (size_t)s->m * s->k, sb = (size_t)s->k * s->n, sc = (size_t)s->m * s->n;
                float *A = malloc(sa * 4), *B = malloc(sb * 4), *C = malloc(sc * 4),
                      *R = malloc(sc * 4);
                if (!A || !B || !C || !R) return 1;
                for (size_t i = 0; i < sa; i++) A[i] = (float)((i * 7) % 101) / 101.0f - 0.5f;
                for (size_t i = 0; i < sb; i++) B[i] = (float)((i * 13) % 97) / 97.0f - 0.5f;
                run_gemm(B_OPENBLAS, s, A, B, R, NULL);
                double flop = 2.0 * s->m * s->n * s->k;
                double p0 = fma_peak_measure(0.05, 2, g_clock, 0).gflops;
                double gf[N_BACKENDS] = {0}, maxrel = 0;
                for (int b = 0; b < N_BACKENDS; b++) {
                    void *kern = NULL;
#if defined(NNT_HAVE_LIBXSMM)
                    if (b == B_XSMM) kern = (void *)xsmm_kernel(s);
#endif
                    memset(C, 0, sc * 4);
                    if (run_gemm(b, s, A, B, C, kern) != 0) {
                        gf[b] = -1;
                        complete[layout][bi][b] = 0;
                        continue;
                    }
                    for (size_t i = 0; i < sc; i++) {
                        double d = fabs((double)C[i] - R[i]) / (fabs((double)R[i]) + 1e-3);
                        if (d > maxrel) maxrel = d;
                    }
                    double r[15];
                    for (int rd = 0; rd < rounds; rd++) {
                        long it = 0;
                        double t0 = now_s(), t;
                        do {
                            run_gemm(b, s, A, B, C, kern);
                            it++;
                        } while ((t = now_s() - t0) < seconds);
                        r[rd] = flop * (double)it / t / 1e9;
                    }
                    qsort(r, (size_t)rounds, sizeof r[0], cmp_dbl);
                    gf[b] = r[(rounds - 1) / 2];
                    flop_tot[layout][bi][b] += flop;
                    time_tot[layout][bi][b] += flop / (gf[b] * 1e9);
                }
                double p1 = fma_peak_measure(0.05, 2, g_clock, 0).gflops;
                double peak = 0.5 * (p0 + p1);
                for (int b = 0; b < N_BACKENDS; b++) peak_time[layout][bi][b] += flop / (peak * 1e9);
                printf("  %5d %-28s %5d %5d %5d", n, s->name, s->m, s->n, s->k);
                printf(" (%s%s)", s->ta ? "T" : "N", s->tb ? "T" : "N");
                for (int b = 0; b < N_BACKENDS; b++) {
                    if (gf[b] < 0) printf(" %17s", "n/a");
                    else printf("  %6.1f = %5.1f%%", gf[b], 100 * gf[b] / peak);
                }
                printf("  %.1e\n", maxrel);
                free(A);
                free(B);
                free(C);
                free(R);
            }
        }
        printf("  all eight products of a step (GFLOP/s over the summed time; n/a if one is "
               "missing):\n");
        for (int bi = 0; bi < 3; bi++) {
            printf("  %5d %-28s %17s", batches[bi], "step total", "");
            for (int b = 0; b < N_BACKENDS; b++) {
                if (!complete[layout][bi][b] || time_tot[layout][bi][b] <= 0)
                    printf(" %17s", "n/a");
                else
                    printf("  %6.1f = %5.1f%%", flop_tot[layout][bi][b] / time_tot[layout][bi][b] / 1e9,
                           100 * peak_time[layout][bi][b] / time_tot[layout][bi][b]);
            }
            printf("\n");
        }
        printf("\n");
    }
    return 0;
}
