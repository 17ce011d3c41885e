/* Row-major single-precision GEMM through the backend chosen at build time
 * (OpenBLAS by default, BLIS with -DNNT_BLAS=blis, oneDNN's dnnl_sgemm with
 * -DNNT_GEMM=onednn), and a check of which kernel set it runs on this CPU. */
#ifndef NNT_KERNELS_GEMM_H
#define NNT_KERNELS_GEMM_H

/* C = alpha * op(A) * op(B) + beta * C, all row-major.
 * op(A): m x k (A stored m x k with lda >= k, or k x m with lda >= m when
 * trans_a); op(B): k x n (B stored k x n, ldb >= n, or n x k, ldb >= k when
 * trans_b); C: m x n, ldc >= n. beta == 0 overwrites C without reading it (NaN
 * garbage in C is ignored). Thread count: nnt_blas_set_threads(). */
void nnt__sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc);

/* ---- Kernel report -------------------------------------------------------- */

/* The CPU features that decide which BLAS kernel set fits the machine. */
typedef struct nnt_cpu_features {
    int avx2_fma; /* AVX2 and FMA3 */
    int avx512;   /* AVX-512 F, DQ, BW and VL (what BLIS's skx kernels need) */
    int amd;      /* vendor AMD (picks zen3 over haswell blocking in BLIS) */
} nnt_cpu_features;

/* Features of the running CPU (__builtin_cpu_supports). Can't fail. */
nnt_cpu_features nnt__cpu_detect(void);

/* 1 when `kernel`, an OpenBLAS core name ("Prescott", "Zen", ...) or a BLIS
 * sub-configuration name ("generic", "zen3", ...), compared without case, is a
 * generic or pre-AVX2 kernel set although cpu has AVX2+FMA: such a kernel
 * runs GEMM 3-5x below what the machine can do. 0 otherwise, and always 0 on
 * a CPU without AVX2+FMA (nothing better to run there). Pure function. */
int nnt__blas_kernel_name_is_generic(const char *kernel, const nnt_cpu_features *cpu);

/* BLIS sub-configuration to run, given the one BLIS detected: the detected
 * one unless it is generic for this CPU (nnt__blas_kernel_name_is_generic);
 * then "skx" with AVX-512 F/DQ/BW/VL, "zen3" on AMD with AVX2+FMA, "haswell"
 * on other AVX2+FMA CPUs. BLIS 0.9.0 detects an AVX-512 Zen 4 as "generic".
 * Returns `detected` itself or a static string. Pure function. */
const char *nnt__blis_pick_arch(const char *detected, const nnt_cpu_features *cpu);

/* Name of the kernel set GEMM runs: the OpenBLAS core ("Zen", "Haswell") or
 * the BLIS sub-configuration in use ("zen3", "skx"). Never NULL. */
const char *nnt__blas_kernel_name(void);

/* 1 when the BLAS runs a generic/reference kernel although the CPU supports
 * AVX2+FMA (see nnt__blas_kernel_name_is_generic), else 0. With BLIS linked
 * statically (the default for -DNNT_BLAS=blis) nnt__sgemm overrides such a
 * detection (nnt__blis_pick_arch), and env NNT_BLIS_ARCH=<sub-configuration>
 * forces one (BLIS_ARCH_TYPE aborts in Debian's BLIS 0.9.0); this reports on
 * the kernels actually used. OpenBLAS honours OPENBLAS_CORETYPE itself. */
int nnt__blas_kernel_is_generic(void);

#endif
