/* Inference of the 784-256-128-10 relu MLP through the public API (issue 13):
 * nnt_model_predict throughput on 1024 rows and the latency of one row
 * (nnt_model_predict and nnt_model_forward), one thread, as a fraction of
 * the core's FP32 FMA peak measured in the same run (bench/fma_peak.h).
 * bench/torch_mlp.py --infer measures PyTorch the same way (eval mode,
 * torch.no_grad()); `--torch FILE` reads its lines and prints the ratios.
 * Thread CPU time by default (a shared machine); --wall for the wall clock.
 * A benchmark, not a test.
 * Usage: bench_predict [--seconds S] [--rounds R] [--wall] [--torch FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fma_peak.h"
#include "nntune/nntune.h"

/* Forward FLOP per sample: 2 (784*256 + 256*128 + 128*10). */
#define FWD_FLOP (2.0 * (784 * 256 + 256 * 128 + 128 * 10))
enum { ROWS = 1024, N_IN = 784 };

static clockid_t g_clock = CLOCK_THREAD_CPUTIME_ID;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(g_clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void die(const char *what, const nnt_error *e)
{
    fprintf(stderr, "bench_predict: %s: %s\n", what, e ? e->message : "");
    exit(1);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_dbl);
    return v[(n - 1) / 2];
}

/* Median over `reps` calls of the time of one call predicting row 0. */
static double latency_s(const nnt_model *m, const nnt_dataset *ds, const float *x, int use_forward,
                        int reps)
{
    double *t = malloc(sizeof(double) * (size_t)reps);
    float out[10];
    uint32_t row = 0;
    nnt_error err;
    if (!t) die("out of memory", NULL);
    for (int i = 0; i < reps + 50; i++) {
        double t0 = now_s();
        int rc = use_forward ? nnt_model_forward(m, x, 1, out, &err)
                             : nnt_model_predict(m, ds, &row, 1, out, &err);
        double dt = now_s() - t0;
        if (rc != NNT_OK) die("predict", &err);
        if (i >= 50) t[i - 50] = dt; /* the first 50 warm up */
    }
    double med = median(t, reps);
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    double seconds = 0.5;
    int rounds = 3;
    const char *torch_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--wall") == 0) g_clock = CLOCK_MONOTONIC;
        else if (strcmp(argv[i], "--torch") == 0 && i + 1 < argc) torch_path = argv[++i];
        else {
            fprintf(stderr,
                    "usage: bench_predict [--seconds S] [--rounds R] [--wall] [--torch FILE]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 15) rounds = 3;
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
    float *x = malloc(sizeof(float) * ROWS * N_IN), *out = malloc(sizeof(float) * ROWS * 10);
    if (!x || !out) die("out of memory", NULL);
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < (size_t)ROWS * N_IN; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[i] = (float)(s >> 40) / 16777216.0f;
    }
    nnt_dataset_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.rows = ROWS;
    spec.features = N_IN;
    spec.x = x;
    nnt_dataset *ds = NULL;
    if (nnt_dataset_from_arrays(&spec, &ds, &err) != NNT_OK) die("nnt_dataset_from_arrays", &err);

    char model[256];
    printf("nntune inference benchmark: 784-256-128-10 relu MLP (untrained weights), 1 thread, "
           "%s clock\nCPU: %s\nGEMM: %s\n",
           g_clock == CLOCK_MONOTONIC ? "wall" : "thread CPU-time",
           fma_peak_cpu_model(model, sizeof model), nnt_blas_info());
    double thr[15], peak[15];
    for (int r = 0; r < rounds; r++) {
        double p0 = fma_peak_measure(0.1, 2, g_clock, 0).gflops;
        long calls = 0;
        double t0 = now_s(), t;
        do {
            if (nnt_model_predict(m, ds, NULL, 0, out, &err) != NNT_OK) die("predict", &err);
            calls++;
        } while ((t = now_s() - t0) < seconds);
        double p1 = fma_peak_measure(0.1, 2, g_clock, 0).gflops;
        thr[r] = (double)calls * ROWS / t;
        peak[r] = 0.5 * (p0 + p1);
    }
    double lat_pred = latency_s(m, ds, x, 0, 2000), lat_fwd = latency_s(m, ds, x, 1, 2000);
    double pk = median(peak, rounds), sps = median(thr, rounds);
    printf("FP32 FMA peak (median of the readings around the rounds): %.1f GFLOP/s (%s)\n", pk,
           fma_peak_measure(0.05, 1, g_clock, 0).isa);
    printf("nnt_model_predict, 1024 rows: %.0f samples/s (median of %d rounds) = %.1f GFLOP/s = "
           "%.1f%% of the FMA peak\n",
           sps, rounds, sps * FWD_FLOP / 1e9, 100 * sps * FWD_FLOP / 1e9 / pk);
    printf("one row: nnt_model_predict %.1f us, nnt_model_forward %.1f us (median of 2000 calls)\n",
           1e6 * lat_pred, 1e6 * lat_fwd);

    FILE *f = torch_path ? fopen(torch_path, "r") : NULL;
    if (f) {
        char line[256];
        double t_sps = 0, t_lat = 0;
        while (fgets(line, sizeof line, f)) {
            double v;
            if (sscanf(line, "infer batch 1024 samples_per_s %lf", &v) == 1) t_sps = v;
            if (sscanf(line, "infer latency_us %lf", &v) == 1) t_lat = v;
        }
        fclose(f);
        if (t_sps > 0)
            printf("PyTorch eval + no_grad, 1024 rows: %.0f samples/s = %.1f%% of the FMA peak; "
                   "nntune/PyTorch = %.2fx (target 2x: %s)\n",
                   t_sps, 100 * t_sps * FWD_FLOP / 1e9 / pk, sps / t_sps,
                   sps / t_sps >= 2 ? "PASS" : "MISS");
        if (t_lat > 0)
            printf("PyTorch one row: %.1f us; PyTorch/nntune latency = %.2fx (target 5x: %s)\n",
                   t_lat, t_lat / (1e6 * lat_pred), t_lat / (1e6 * lat_pred) >= 5 ? "PASS" : "MISS");
    }
    nnt_dataset_free(ds);
    nnt_model_free(m);
    free(x);
    free(out);
    return 0;
}
