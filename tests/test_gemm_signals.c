/* nnt__sgemm under a stream of signals whose handler runs while products are
 * in flight: the heap must survive and the results stay right. With the
 * oneDNN backend this failed on every run before nnt__sgemm held signals off
 * (oneDNN 2.6's JIT GEMM kernels run with the stack register pointing into a
 * heap buffer, so a handler's frame lands on the heap: glibc then aborts with
 * "corrupted size vs. prev_size"; see src/kernels/gemm.c). With OpenBLAS or
 * BLIS it checks the same properties of their products. Also checks that
 * nnt__sgemm leaves the caller's signal mask as it found it. */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "kernels/gemm.h"
#include "nntune/nntune.h"

static volatile sig_atomic_t g_hits;

/* Uses some stack, as a real handler would: its frame is what lands on the
 * heap when the interrupted code's stack register points there. */
static void on_prof(int sig)
{
    (void)sig;
    /* errno saved and restored, as every handler should: the interrupted
     * code may be between a failing call and its errno check. */
    int saved_errno = errno;
    volatile char pad[512];
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = (char)i;
    g_hits = g_hits + 1;
    errno = saved_errno;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One product of all-ones matrices (every element of C is k), allocated and
 * freed around it so that heap damage shows at the next free or malloc. */
static void ones_product(int ta, int tb, int m, int n, int k)
{
    float *a = malloc(sizeof(float) * (size_t)m * (size_t)k);
    float *b = malloc(sizeof(float) * (size_t)k * (size_t)n);
    float *c = malloc(sizeof(float) * (size_t)m * (size_t)n);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    for (size_t i = 0; i < (size_t)m * (size_t)k; i++) a[i] = 1.0f;
    for (size_t i = 0; i < (size_t)k * (size_t)n; i++) b[i] = 1.0f;
    nnt__sgemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
    assert_true(c[0] == (float)k);
    assert_true(c[(size_t)m * (size_t)n - 1] == (float)k);
    free(a);
    free(b);
    free(c);
}

static void run_under_signals(void)
{
    g_hits = 0;
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGPROF, &sa, &old_sa), 0);
    /* The shortest interval: the kernel sends one signal per tick of CPU time. */
    struct itimerval it = {{0, 100}, {0, 100}}, off;
    memset(&off, 0, sizeof off);
    assert_int_equal(setitimer(ITIMER_PROF, &it, NULL), 0);

    /* The step shapes of the small networks in the CLI tests (4 inputs, 3
     * classes, hidden 16, batches of 32 and a partial one) and of the
     * 784-256-128-10 benchmark network at batch 32. */
    static const int shapes[][3] = {{32, 16, 4},  {32, 3, 16},    {16, 4, 32},  {3, 16, 32},
                                    {7, 16, 4},   {32, 256, 784}, {256, 784, 32},
                                    {32, 128, 256}};
    const int n_shapes = (int)(sizeof shapes / sizeof shapes[0]);
    double t0 = now_s();
    long products = 0;
    while (g_hits < 150 && now_s() - t0 < 4.0) {
        const int *s = shapes[products % n_shapes];
        int ta = (int)((products / n_shapes) & 1), tb = (int)((products / n_shapes / 2) & 1);
        ones_product(ta, tb, s[0], s[1], s[2]);
        products++;
    }
    assert_int_equal(setitimer(ITIMER_PROF, &off, NULL), 0);
    assert_int_equal(sigaction(SIGPROF, &old_sa, NULL), 0);
    /* The handler really ran, many times, while the loop (mostly products)
     * was on the CPU. */
    assert_true(g_hits >= 20);
    assert_true(products > 100);
}

static void test_products_survive_signal_handlers(void **state)
{
    (void)state;
    run_under_signals();
}

/* Two GEMM threads: with oneDNN the second is an OpenMP pool thread, which
 * must not take the signal inside a kernel either. */
static void test_two_threads_survive_signal_handlers(void **state)
{
    (void)state;
    int prev = nnt_blas_set_threads(2);
    run_under_signals();
    nnt_blas_set_threads(prev > 0 ? prev : 1);
}

static void test_signal_mask_restored(void **state)
{
    (void)state;
    sigset_t mine, before, after;
    sigemptyset(&mine);
    sigaddset(&mine, SIGUSR2);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &mine, &before), 0);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &before), 0);
    ones_product(0, 1, 32, 16, 4);
    ones_product(1, 0, 16, 4, 32);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
    for (int sig = 1; sig < SIGRTMIN; sig++)
        assert_int_equal(sigismember(&before, sig), sigismember(&after, sig));
    assert_true(sigismember(&after, SIGUSR2));
    assert_false(sigismember(&after, SIGPROF));
    assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &mine, NULL), 0);
}

int main(void)
{
    nnt_blas_set_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_mask_restored),
        cmocka_unit_test(test_products_survive_signal_handlers),
        cmocka_unit_test(test_two_threads_survive_signal_handlers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
