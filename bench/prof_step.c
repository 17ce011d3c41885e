/* A bare training-step loop for profilers (perf record, valgrind --tool=
 * callgrind): the 784-256-128-10 relu network of bench_train with Adam,
 * synthetic uniform [0,1] rows and random labels, one GEMM thread, for a
 * fixed number of steps at one batch size, and nothing else in the process
 * (no ceilings, no GEMM replays), so a flat profile is the step's own.
 * Usage: prof_step BATCH STEPS [--unfused]
 *   --unfused: nnt__backward then nnt__optim_step (the default is the fused
 *   nnt__backward_update the trainer runs); prints the step's CPU time.
 *   perf record -e cpu-clock -o perf.data build/prof_step 128 2000
 *   perf report -i perf.data --sort dso,symbol
 * A benchmark helper, not a test: never registered with CTest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/model_internal.h"
#include "nn/optim.h"
#include "nntune/nntune.h"

enum { N_ROWS = 8192, N_IN = 784 };

static void die(const char *what, const nnt_error *e)
{
    fprintf(stderr, "prof_step: %s: %s\n", what, e ? e->message : "");
    exit(1);
}

int main(int argc, char **argv)
{
    int batch = argc > 1 ? atoi(argv[1]) : 128;
    long steps = argc > 2 ? atol(argv[2]) : 1000;
    int fused = !(argc > 3 && strcmp(argv[3], "--unfused") == 0);
    if (batch <= 0 || batch > N_ROWS || steps <= 0) {
        fprintf(stderr, "usage: prof_step BATCH STEPS (BATCH 1..%d)\n", N_ROWS);
        return 2;
    }
    nnt_blas_set_threads(1);
    nnt_error err;
    nnt_model_options mo = nnt_model_options_default();
    mo.inputs = N_IN;
    mo.outputs = 10;
    mo.n_hidden = 2;
    mo.hidden[0] = 256;
    mo.hidden[1] = 128;
    mo.activation = NNT_ACT_RELU;
    mo.loss = NNT_LOSS_CROSS_ENTROPY;
    nnt_model *m = NULL;
    if (nnt_model_create(&mo, 1, &m, &err) != NNT_OK) die("nnt_model_create", &err);
    nnt_workspace ws;
    if (nnt__workspace_init(&ws, m, batch, &err) != NNT_OK) die("nnt_workspace_init", &err);
    nnt_train_options to = nnt_train_options_default();
    to.optimizer = NNT_OPT_ADAM;
    to.lr = 0.01;
    nnt_param_range ranges[NNT_OPTIM_MAX_RANGES];
    int nr = nnt__optim_model_ranges(m, ranges);
    nnt_optim opt;
    if (nnt__optim_init(&opt, &to, m->n_params, ranges, nr, &err) != NNT_OK)
        die("nnt_optim_init", &err);
    float *x = malloc(sizeof(float) * (size_t)N_ROWS * N_IN);
    int32_t *y = malloc(sizeof(int32_t) * N_ROWS);
    if (!x || !y) die("out of memory", NULL);
    nnt_rng rng;
    nnt_rng_seed(&rng, 3);
    for (size_t i = 0; i < (size_t)N_ROWS * N_IN; i++) x[i] = (float)nnt_rng_uniform(&rng);
    for (int i = 0; i < N_ROWS; i++) y[i] = (int32_t)(nnt_rng_u64(&rng) % 10);
    double loss = 0;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    for (long s = 0; s < steps; s++) {
        size_t start = (size_t)(s * batch) % (size_t)(N_ROWS - batch + 1);
        for (size_t i = 0; i < (size_t)batch * N_IN; i++) ws.act[0][i] = x[start * N_IN + i];
        nnt__forward(m, &ws, batch, 1, &rng);
        loss = nnt__loss_delta(m, &ws, batch, y + start, NULL);
        if (fused) {
            nnt__backward_update(m, &ws, batch, &opt, 0.01);
        } else {
            nnt__backward(m, &ws, batch);
            nnt__optim_step(&opt, m->params, ws.grad, 0.01);
        }
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
    printf("batch %d, %ld steps (%s), last loss %.6f, %.4f ms CPU per step, %s\n", batch, steps,
           fused ? "fused" : "unfused", loss, 1e3 * cpu / (double)steps, nnt_blas_info());
    free(x);
    free(y);
    nnt__optim_free(&opt);
    nnt__workspace_free(&ws);
    nnt_model_free(m);
    return 0;
}
