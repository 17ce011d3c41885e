/* The core's FP32 FMA peak, measured: a register-only loop of independent
 * fused multiply-adds with the widest vector ISA the CPU has (chosen at run
 * time with __builtin_cpu_supports; each kernel is compiled for its ISA with
 * a target attribute, so the benchmark itself builds for the x86-64
 * baseline). This is the physical ceiling a training step is compared with
 * (issue 13): no memory traffic, no loads, only FMAs.
 *
 * Enough independent accumulators to hide the FMA latency on every port: a
 * core with two 512-bit FMA units and 4-cycle latency needs 8 chains in
 * flight; 16 zmm (AVX-512) or 12 ymm (AVX2, leaving registers for the two
 * operands) cover that with margin. Header-only (static functions) so each
 * benchmark that wants it includes it; each bench/ source is its own executable. */
#ifndef NNT_BENCH_FMA_PEAK_H
#define NNT_BENCH_FMA_PEAK_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct fma_peak {
    double gflops;   /* best of the rounds */
    const char *isa; /* "avx512f (16 x zmm)", "avx2+fma (12 x ymm)", "scalar" */
} fma_peak;

static double fma_peak_now(clockid_t clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Each kernel returns a value derived from all accumulators so the compiler
 * cannot drop the loop; a * x + b with a < 1 keeps every lane near b/(1-a)
 * (no overflow, no subnormals). FLOP per iteration: accumulators x lanes x 2. */
#if defined(__x86_64__)
__attribute__((target("avx512f"), noinline)) static float fma_loop_avx512(long iters)
{
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
    __m512 c0 = _mm512_set1_ps(0.0f), c1 = _mm512_set1_ps(0.1f), c2 = _mm512_set1_ps(0.2f),
           c3 = _mm512_set1_ps(0.3f), c4 = _mm512_set1_ps(0.4f), c5 = _mm512_set1_ps(0.5f),
           c6 = _mm512_set1_ps(0.6f), c7 = _mm512_set1_ps(0.7f), c8 = _mm512_set1_ps(0.8f),
           c9 = _mm512_set1_ps(0.9f), c10 = _mm512_set1_ps(1.0f), c11 = _mm512_set1_ps(1.1f),
           c12 = _mm512_set1_ps(1.2f), c13 = _mm512_set1_ps(1.3f), c14 = _mm512_set1_ps(1.4f),
           c15 = _mm512_set1_ps(1.5f);
    for (long i = 0; i < iters; i++) {
        c0 = _mm512_fmadd_ps(c0, a, b);
        c1 = _mm512_fmadd_ps(c1, a, b);
        c2 = _mm512_fmadd_ps(c2, a, b);
        c3 = _mm512_fmadd_ps(c3, a, b);
        c4 = _mm512_fmadd_ps(c4, a, b);
        c5 = _mm512_fmadd_ps(c5, a, b);
        c6 = _mm512_fmadd_ps(c6, a, b);
        c7 = _mm512_fmadd_ps(c7, a, b);
        c8 = _mm512_fmadd_ps(c8, a, b);
        c9 = _mm512_fmadd_ps(c9, a, b);
        c10 = _mm512_fmadd_ps(c10, a, b);
        c11 = _mm512_fmadd_ps(c11, a, b);
        c12 = _mm512_fmadd_ps(c12, a, b);
        c13 = _mm512_fmadd_ps(c13, a, b);
        c14 = _mm512_fmadd_ps(c14, a, b);
        c15 = _mm512_fmadd_ps(c15, a, b);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)),
                                       _mm512_add_ps(_mm512_add_ps(c12, c13),
                                                     _mm512_add_ps(c14, c15))));
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"), noinline)) static float fma_loop_avx2(long iters)
{
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
    __m256 c0 = _mm256_set1_ps(0.0f), c1 = _mm256_set1_ps(0.1f), c2 = _mm256_set1_ps(0.2f),
           c3 = _mm256_set1_ps(0.3f), c4 = _mm256_set1_ps(0.4f), c5 = _mm256_set1_ps(0.5f),
           c6 = _mm256_set1_ps(0.6f), c7 = _mm256_set1_ps(0.7f), c8 = _mm256_set1_ps(0.8f),
           c9 = _mm256_set1_ps(0.9f), c10 = _mm256_set1_ps(1.0f), c11 = _mm256_set1_ps(1.1f);
    for (long i = 0; i < iters; i++) {
        c0 = _mm256_fmadd_ps(c0, a, b);
        c1 = _mm256_fmadd_ps(c1, a, b);
        c2 = _mm256_fmadd_ps(c2, a, b);
        c3 = _mm256_fmadd_ps(c3, a, b);
        c4 = _mm256_fmadd_ps(c4, a, b);
        c5 = _mm256_fmadd_ps(c5, a, b);
        c6 = _mm256_fmadd_ps(c6, a, b);
        c7 = _mm256_fmadd_ps(c7, a, b);
        c8 = _mm256_fmadd_ps(c8, a, b);
        c9 = _mm256_fmadd_ps(c9, a, b);
        c10 = _mm256_fmadd_ps(c10, a, b);
        c11 = _mm256_fmadd_ps(c11, a, b);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float v[8];
    _mm256_storeu_ps(v, s);
    return v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
}
#endif

/* Scalar fallback (no AVX2): 8 chains of a*x+b, counted as 2 FLOP each. */
__attribute__((noinline)) static float fma_loop_scalar(long iters)
{
    float c[8] = {0, .1f, .2f, .3f, .4f, .5f, .6f, .7f};
    volatile float av = 0.999999f, bv = 1e-6f;
    float a = av, b = bv;
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < 8; j++) c[j] = c[j] * a + b;
    return c[0] + c[1] + c[2] + c[3] + c[4] + c[5] + c[6] + c[7];
}

enum { FMA_PEAK_AVX512 = 3, FMA_PEAK_AVX2 = 2, FMA_PEAK_SCALAR = 1 };

/* The widest ISA this CPU runs; `force` (one of the enum, 0 = auto) picks a
 * narrower one for comparison. */
static int fma_peak_isa(int force)
{
    int best = FMA_PEAK_SCALAR;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = FMA_PEAK_AVX2;
    if (__builtin_cpu_supports("avx512f")) best = FMA_PEAK_AVX512;
#endif
    return force > 0 && force < best ? force : best;
}

/* Best of `rounds` runs of about `seconds` each, timed with `clk`. */
static fma_peak fma_peak_measure(double seconds, int rounds, clockid_t clk, int force)
{
    int isa = fma_peak_isa(force);
    fma_peak p = {0.0, "scalar (8 chains)"};
    double flop_per_iter = 16.0;
    float (*loop)(long) = fma_loop_scalar;
#if defined(__x86_64__)
    if (isa == FMA_PEAK_AVX512) {
        loop = fma_loop_avx512;
        flop_per_iter = 16.0 * 16 * 2;
        p.isa = "avx512f (16 independent zmm FMAs)";
    } else if (isa == FMA_PEAK_AVX2) {
        loop = fma_loop_avx2;
        flop_per_iter = 12.0 * 8 * 2;
        p.isa = "avx2+fma (12 independent ymm FMAs)";
    }
#endif
    volatile float sink = loop(10000); /* warm-up: wakes the wide units */
    for (int r = 0; r < rounds; r++) {
        long iters = 100000;
        double t;
        for (;;) {
            double t0 = fma_peak_now(clk);
            sink = loop(iters);
            t = fma_peak_now(clk) - t0;
            if (t >= seconds || iters > (1L << 40)) break;
            iters = t > 1e-4 ? (long)((double)iters * seconds / t * 1.05) : iters * 16;
        }
        double gf = flop_per_iter * (double)iters / t / 1e9;
        if (gf > p.gflops) p.gflops = gf;
    }
    (void)sink;
    return p;
}

/* "model name" from /proc/cpuinfo into buf ("unknown" when absent). */
static const char *fma_peak_cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return buf;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(buf, n, "%s", v);
        buf[strcspn(buf, "\n")] = '\0';
        break;
    }
    fclose(f);
    return buf;
}

#endif
