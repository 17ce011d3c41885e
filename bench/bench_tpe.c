/* Time of one TPE proposal with a long history: the default search space
 * (8 tuned parameters, one conditional) and N finished trials (default
 * 1000) with a synthetic objective, univariate and multivariate. Prints the
 * mean and the best of R rounds of P proposals. A benchmark, not a test:
 * never registered with CTest.
 *
 * Usage: bench_tpe [--trials N] [--proposals P] [--rounds R] [--univariate-only] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nntune/nntune.h"
#include "tune/tpe_internal.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* This thread's CPU time: steadier than the wall clock on a shared machine. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A smooth objective over the default space, just so that good and bad differ. */
static double objective(const nnt_space *s, const double *x, const uint8_t *a)
{
    double f = 0;
    for (int i = 0; i < nnt_space_size(s); i++) {
        nnt_param_info pi;
        nnt_space_info(s, i, &pi);
        if (!a[i] || pi.kind == NNT_PARAM_FIXED) continue;
        double u;
        if (pi.kind == NNT_PARAM_CATEGORICAL) u = x[i] / (pi.n_choices > 1 ? pi.n_choices - 1 : 1);
        else if (pi.log) u = (log(x[i]) - log(pi.low)) / (log(pi.high) - log(pi.low));
        else u = pi.high > pi.low ? (x[i] - pi.low) / (pi.high - pi.low) : 0;
        f += (u - 0.3) * (u - 0.3);
    }
    return f;
}

int main(int argc, char **argv)
{
    int n_trials = 1000, proposals = 200, rounds = 5, only_uni = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--trials") && i + 1 < argc) n_trials = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--proposals") && i + 1 < argc) proposals = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--univariate-only")) only_uni = 1;
        else {
            fprintf(stderr, "usage: bench_tpe [--trials N] [--proposals P] [--rounds R]"
                            " [--univariate-only]\n");
            return 2;
        }
    }
    nnt_error err;
    nnt_space *space;
    if (nnt_space_default(&space, &err) != NNT_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    int n = nnt_space_size(space), tuned = 0;
    for (int i = 0; i < n; i++) {
        nnt_param_info pi;
        nnt_space_info(space, i, &pi);
        tuned += pi.kind != NNT_PARAM_FIXED;
    }
    double *xs = malloc((size_t)n_trials * n * sizeof *xs);
    uint8_t *as = malloc((size_t)n_trials * n);
    nnt_trial_view *v = calloc((size_t)n_trials, sizeof *v);
    nnt_sampler rnd;
    if (!xs || !as || !v || nnt_sampler_create("random", space, &rnd, &err) != NNT_OK) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    for (int t = 0; t < n_trials; t++) {
        double *x = xs + (size_t)t * n;
        uint8_t *a = as + (size_t)t * n;
        rnd.propose(rnd.ctx, space, NULL, t, nnt_seed_derive(7, (uint64_t)t), x, a, &err);
        v[t].number = t;
        v[t].state = NNT_TRIAL_COMPLETE;
        v[t].x = x;
        v[t].active = a;
        v[t].value = objective(space, x, a);
    }
    nnt_history h = {v, n_trials};
    printf("space: default (%d parameters, %d tuned); history: %d complete trials\n", n, tuned,
           n_trials);
    double *x = malloc((size_t)n * sizeof *x);
    uint8_t *a = malloc((size_t)n);
    for (int mv = 0; mv <= !only_uni; mv++) {
        nnt_tpe_options o = nnt_tpe_options_default();
        o.multivariate = mv;
        nnt_sampler tpe;
        if (nnt_sampler_tpe_create(space, &o, &tpe, &err) != NNT_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double best = INFINITY, total = 0, cpu_best = INFINITY, sink = 0;
        for (int r = 0; r < rounds; r++) {
            double t0 = now(), c0 = cpu_now();
            for (int p = 0; p < proposals; p++) {
                if (tpe.propose(tpe.ctx, space, &h, n_trials + p, nnt_seed_derive(11, (uint64_t)p),
                                x, a, &err) != NNT_OK) {
                    fprintf(stderr, "%s\n", err.message);
                    return 1;
                }
                sink += objective(space, x, a);
            }
            double per = (now() - t0) / proposals, cpu = (cpu_now() - c0) / proposals;
            total += per;
            if (per < best) best = per;
            if (cpu < cpu_best) cpu_best = cpu;
        }
        printf("tpe %-12s: %.1f us per proposal (wall, mean of %d rounds x %d), best round %.1f us"
               " wall, %.1f us CPU; mean objective of proposals %.3f\n",
               mv ? "multivariate" : "univariate", 1e6 * total / rounds, rounds, proposals,
               1e6 * best, 1e6 * cpu_best, sink / (rounds * proposals));
        nnt_sampler_free(&tpe);
    }
    double sum = 0;
    for (int t = 0; t < n_trials; t++) sum += v[t].value;
    printf("random sampler: mean objective %.3f\n", sum / n_trials);
    nnt_sampler_free(&rnd);
    nnt_space_free(space);
    free(xs);
    free(as);
    free(v);
    free(x);
    free(a);
    return 0;
}
