/* Row-major SGEMM through the BLAS chosen at build time (OpenBLAS or BLIS),
 * the BLAS thread count and name, and the check of which kernel set it runs
 * on this CPU (see gemm.h). */
#include "kernels/gemm.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nntune/blas.h" /* nnt_blas_set_threads, nnt_blas_info */

#if defined(NNT_BLAS_BLIS)
#include <blis.h>
#else
#include <cblas.h>
#endif
#if defined(NNT_GEMM_ONEDNN)
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdatomic.h>
#endif

/* ==== CPU features and kernel classification (pure) ======================== */

nnt_cpu_features nnt__cpu_detect(void)
{
    nnt_cpu_features f = {0, 0, 0};
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    f.amd = __builtin_cpu_is("amd");
#endif
    return f;
}

/* Kernel sets without AVX2+FMA GEMM kernels: OpenBLAS cores (dynamic.c's
 * names) and BLIS sub-configurations; the lists overlap, matching ignores
 * case. Haswell, Zen, SkylakeX, Cooperlake, SapphireRapids (OpenBLAS) and
 * haswell, zen, zen2, zen3, skx (BLIS) are the AVX2-class ones. */
static const char *const pre_avx2_kernels[] = {
    "Generic",  "Unknown",     "Katmai",    "Coppermine", "Northwood",
    "Prescott", "Banias",      "Atom",      "Core2",      "Penryn",
    "Dunnington", "Nehalem",   "Athlon",    "Opteron",    "Opteron_SSE3",
    "Barcelona", "Nano",       "Sandybridge", "Bobcat",   "Bulldozer",
    "Piledriver", "Steamroller", "Excavator", "knc",      "reference",
    "sse41",    "avx", /* oneDNN ISA levels below AVX2 */
};

int nnt__blas_kernel_name_is_generic(const char *kernel, const nnt_cpu_features *cpu)
{
    if (!cpu->avx2_fma) return 0;
    if (kernel == NULL || kernel[0] == '\0') return 1;
    for (size_t i = 0; i < sizeof pre_avx2_kernels / sizeof pre_avx2_kernels[0]; i++)
        if (strcasecmp(kernel, pre_avx2_kernels[i]) == 0) return 1;
    return 0;
}

const char *nnt__blis_pick_arch(const char *detected, const nnt_cpu_features *cpu)
{
    if (!nnt__blas_kernel_name_is_generic(detected, cpu)) return detected;
    if (cpu->avx512) return "skx";
    return cpu->amd ? "zen3" : "haswell";
}

/* ==== Backend state ==========================================================
 * The kernel choice and the report string are facts about the process (CPU
 * and loaded BLAS) computed once; after that they are read-only. */

#define INFO_MAX 128

#if defined(NNT_BLAS_BLIS)

typedef struct blis_choice {
    cntx_t *cntx;         /* forced context, or NULL for BLIS's own choice */
    const char *arch;     /* sub-configuration in use */
    const char *detected; /* what BLIS detected */
    char info[INFO_MAX];
} blis_choice;

static blis_choice g_blis;
static pthread_once_t g_blis_once = PTHREAD_ONCE_INIT;

static void blis_choose(void)
{
    bli_init();
    const char *detected = bli_arch_string(bli_arch_query_id());
    nnt_cpu_features cpu = nnt__cpu_detect();
    const char *want = nnt__blis_pick_arch(detected, &cpu);
    g_blis.detected = detected;
    g_blis.arch = detected;
    g_blis.cntx = NULL;
#if defined(NNT_BLIS_STATIC)
    /* BLIS_ARCH_TYPE aborts in Debian's BLIS 0.9.0 for every value (the arch
     * id is queried before the gks registers its contexts), and the context
     * lookup is not exported from libblis.so; linked statically, the lookup
     * is reachable and bli_sgemm_ex takes the context directly.
     * NNT_BLIS_ARCH=<name> stands in for BLIS_ARCH_TYPE (benchmarks, tests);
     * naming kernels the CPU cannot run is the caller's fault (SIGILL). */
    const char *env = getenv("NNT_BLIS_ARCH");
    if (env != NULL && env[0] != '\0') want = env;
    if (strcmp(want, detected) != 0) {
        for (int id = 0; id < (int)BLIS_NUM_ARCHS; id++) {
            if (strcmp(bli_arch_string((arch_t)id), want) != 0) continue;
            cntx_t **slot = bli_gks_lookup_id((arch_t)id);
            if (slot != NULL && slot[BLIS_NAT] != NULL) {
                g_blis.cntx = slot[BLIS_NAT];
                g_blis.arch = bli_arch_string((arch_t)id);
            }
            break;
        }
    }
#else
    (void)want;
#endif
    if (g_blis.arch != detected)
        snprintf(g_blis.info, sizeof g_blis.info, "BLIS %s arch=%s (forced; detected %s)",
                 bli_info_get_version_str(), g_blis.arch, detected);
    else
        snprintf(g_blis.info, sizeof g_blis.info, "BLIS %s arch=%s", bli_info_get_version_str(),
                 detected);
}

static const blis_choice *blis_get(void)
{
    pthread_once(&g_blis_once, blis_choose);
    return &g_blis;
}

void nnt__sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc)
{
    const blis_choice *ch = blis_get();
    /* Row-major: row stride = leading dimension, column stride 1; BLIS
     * transposes the stored operand. */
    bli_sgemm_ex(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                 trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &alpha, (float *)a,
                 lda, 1, (float *)b, ldb, 1, &beta, c, ldc, 1, ch->cntx, NULL);
}

int nnt_blas_set_threads(int n)
{
    int prev = (int)bli_thread_get_num_threads();
    bli_thread_set_num_threads(n);
    return prev;
}

const char *nnt_blas_info(void)
{
    return blis_get()->info;
}

const char *nnt__blas_kernel_name(void)
{
    return blis_get()->arch;
}

#else /* OpenBLAS */

#if defined(NNT_GEMM_ONEDNN)

/* oneDNN's dnnl_sgemm (row-major, JIT kernels for the CPU's ISA) runs the
 * step's small products 15-45 % faster than OpenBLAS 0.3.21 on an AVX-512
 * core (bench/bench_gemm_backends.c). Its threads are OpenMP's, whose thread
 * count is a per-calling-thread setting: the process-wide count set with
 * nnt_blas_set_threads is applied in each thread that calls nnt__sgemm (a
 * tune worker, the trainer) before its product. 0 = never set: OpenMP's
 * default (OMP_NUM_THREADS, else the number of CPUs). */
static atomic_int g_dnnl_threads;

/* Signals are held off while dnnl_sgemm runs. oneDNN's JIT f32 GEMM kernels
 * (jit_avx512_common_gemm_f32, and the AVX2 one) point the stack register at
 * a heap workspace while they run; a signal handler entered there pushes its
 * frame onto the heap below that buffer and corrupts the allocator's chunk
 * headers ("corrupted size vs. prev_size" at a later free). oneDNN issue
 * #4845, fixed upstream by PR #4855 (2026, oneDNN 3.x); Debian 12's 2.6.3
 * has it. It made `nntune tune` abort after SIGTERM in 2 of 10 runs of
 * tests/cli_signals.sh; tests/test_gemm_signals.c hits it every time.
 * Blocking every asynchronous signal in the calling thread for the length of
 * the product (and restoring the mask after) delays delivery by one product;
 * the fault signals stay open (a fault inside the kernel is fatal either
 * way). OpenMP's pool threads are started inside the first product with
 * more than one thread, so they inherit the blocked mask for good and never
 * take such a signal. Cost: two system calls per product (~0.5 us against
 * 25 us and more for the step's products). */
static pthread_once_t g_sigmask_once = PTHREAD_ONCE_INIT;
static sigset_t g_gemm_block;

static void gemm_block_init(void)
{
    sigfillset(&g_gemm_block);
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        sigdelset(&g_gemm_block, faults[i]);
}

void nnt__sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc)
{
    int want = atomic_load_explicit(&g_dnnl_threads, memory_order_relaxed);
    if (want > 0 && omp_get_max_threads() != want) omp_set_num_threads(want);
    pthread_once(&g_sigmask_once, gemm_block_init);
    sigset_t old;
    int masked = pthread_sigmask(SIG_BLOCK, &g_gemm_block, &old) == 0;
    /* beta == 0 never reads C (BLAS semantics; tests/test_gemm.c checks NaN
     * garbage). Arguments are valid by contract, so the status is always
     * success; a failure would leave C as it was. */
    dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a,
                                  lda, b, ldb, beta, c, ldc);
    (void)st;
    if (masked) pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int nnt_blas_set_threads(int n)
{
    int prev = atomic_exchange(&g_dnnl_threads, n);
    if (prev <= 0) prev = omp_get_max_threads();
    omp_set_num_threads(n);
    openblas_set_num_threads(n); /* the library links OpenBLAS too (fallback build) */
    return prev;
}

static const char *dnnl_isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

static char g_info[INFO_MAX];
static pthread_once_t g_info_once = PTHREAD_ONCE_INIT;

static void dnnl_describe(void)
{
    const dnnl_version_t *v = dnnl_version();
    /* The ISA oneDNN dispatches on (DNNL_MAX_CPU_ISA caps it). */
    snprintf(g_info, sizeof g_info, "oneDNN %d.%d.%d sgemm isa=%s", v->major, v->minor, v->patch,
             dnnl_isa_name(dnnl_get_effective_cpu_isa()));
}

const char *nnt_blas_info(void)
{
    pthread_once(&g_info_once, dnnl_describe);
    return g_info;
}

const char *nnt__blas_kernel_name(void)
{
    return dnnl_isa_name(dnnl_get_effective_cpu_isa());
}

#else /* OpenBLAS's own sgemm */


static char g_info[INFO_MAX];
static pthread_once_t g_info_once = PTHREAD_ONCE_INIT;

static void openblas_describe(void)
{
    /* openblas_get_config() starts "OpenBLAS 0.3.21 ...": keep the first two
     * words as name and version. */
    const char *cfg = openblas_get_config();
    int len = 0, words = 0;
    while (cfg != NULL && cfg[len] != '\0') {
        if (cfg[len] == ' ' && ++words == 2) break;
        len++;
    }
    if (len == 0 || len > 40) {
        cfg = "OpenBLAS";
        len = 8;
    }
    snprintf(g_info, sizeof g_info, "%.*s core=%s", len, cfg, openblas_get_corename());
}

/* OpenBLAS 0.3.21 clears C for beta = 0 in a pass of its own that is several
 * times slower than memset: for the 256 x 784 weight gradient of a batch of 32
 * (K = 32) it took 80 of the product's 244 us, against 15 us for memset. So C
 * is cleared here and the product accumulated with beta = 1: the same
 * arithmetic (C = 0 + alpha*AB either way), the same bits. */
static void zero_rows(float *c, int m, int n, int ldc)
{
    if (m <= 0 || n <= 0) return;
    if (ldc == n) {
        memset(c, 0, (size_t)m * (size_t)n * sizeof(float));
        return;
    }
    for (int i = 0; i < m; i++) memset(c + (size_t)i * (size_t)ldc, 0, (size_t)n * sizeof(float));
}


void nnt__sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta,
                float *c, int ldc)
{
    if (beta == 0.0f) {
        zero_rows(c, m, n, ldc);
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
                beta, c, ldc);
}

int nnt_blas_set_threads(int n)
{
    int prev = openblas_get_num_threads();
    openblas_set_num_threads(n);
    return prev;
}

const char *nnt_blas_info(void)
{
    pthread_once(&g_info_once, openblas_describe);
    return g_info;
}

const char *nnt__blas_kernel_name(void)
{
    const char *name = openblas_get_corename();
    return name != NULL ? name : "unknown";
}

#endif /* NNT_GEMM_ONEDNN */

#endif

int nnt__blas_kernel_is_generic(void)
{
    nnt_cpu_features cpu = nnt__cpu_detect();
    return nnt__blas_kernel_name_is_generic(nnt__blas_kernel_name(), &cpu);
}
