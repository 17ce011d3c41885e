/* The MPI transport's throughput (issue 12, benchmark part b; run by
 * bench/coordinator_mpi.sh): a study whose trials sleep (a user objective
 * reporting every step_s seconds for `steps` steps), run under mpirun with
 * rank 0 coordinating (sampler, storage) and every other rank running
 * `jobs` trials at a time. Rank 0 prints the trials per hour against the
 * ideal of workers * 3600 / trial seconds. Built only with MPI.
 * usage: mpirun -np N bench_mpi_sleep STORAGE TRIALS_PER_SLOT STEPS STEP_S JOBS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nntune/mpi.h"
#include "nntune/nntune.h"

static double step_s = 0.1;

static int evaluate(void *ctx, const nnt_params *p, nnt_trial *trial, double *values, nnt_error *err)
{
    (void)ctx;
    (void)err;
    int steps = *(const int *)ctx;
    double x = nnt_params_number(p, "x", 0);
    struct timespec ts = {(time_t)step_s, (long)((step_s - (time_t)step_s) * 1e9)};
    for (int k = 1; k <= steps; k++) {
        nanosleep(&ts, NULL);
        if (nnt_trial_report(trial, k, x) != 0) return NNT_PRUNED;
    }
    values[0] = x;
    return NNT_OK;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: mpirun -np N %s STORAGE TRIALS_PER_SLOT STEPS STEP_S JOBS\n", argv[0]);
        return 2;
    }
    int rank = 0, size = 1;
    nnt_error err;
    nnt_error_clear(&err);
    if (nnt_mpi_init(&rank, &size, &err) < 0 || size < 2) {
        fprintf(stderr, "bench_mpi_sleep: %s\n", size < 2 ? "run it under mpirun -np 2 or more" : err.message);
        return 1;
    }
    int per_slot = atoi(argv[2]), steps = atoi(argv[3]), jobs = atoi(argv[5]);
    step_s = atof(argv[4]);
    nnt_space *space = nnt_space_new_any();
    nnt_space_set_spec(space, "x", "0.0:1.0", &err);
    nnt_objective obj = {0};
    obj.name = "sleep";
    obj.value_name = "value";
    obj.max_steps = steps;
    obj.evaluate = evaluate;
    obj.ctx = &steps;
    nnt_study_options o = nnt_study_options_default();
    o.objective = &obj;
    o.sampler = "random";
    o.pruner = "none";
    o.max_trials = per_slot * jobs * (size - 1);
    o.jobs = jobs;
    nnt_mpi_options mo = nnt_mpi_options_default();
    char scratch[64];
    snprintf(scratch, sizeof scratch, "%s.rank%d", argv[1], rank);
    nnt_storage *st = NULL;
    nnt_study *study = NULL;
    int ok = nnt_storage_open_sqlite(rank == 0 ? argv[1] : scratch, 0, &st, &err) == NNT_OK;
    nnt_mpi_setup su;
    if (rank == 0) {
        ok = ok && nnt_study_create(&o, space, NULL, st, &study, &err) == NNT_OK;
        nnt_mpi_setup_send(ok ? study : NULL, &err);
    } else {
        ok = nnt_mpi_setup_recv(&su, &err) == NNT_OK && su.ok && ok;
        if (ok) {
            nnt_mpi_setup_apply(&su, &o);
            ok = nnt_study_create(&o, space, NULL, st, &study, &err) == NNT_OK &&
                 nnt_mpi_setup_check(study, &su, rank, &err) == NNT_OK;
        }
    }
    if (!ok) fprintf(stderr, "rank %d: %s\n", rank, err.message);
    if (!nnt_mpi_all_ok(ok)) {
        nnt_mpi_finalize();
        return 1;
    }
    int r;
    if (rank == 0) {
        double t0 = nnt_clock_monotonic();
        r = nnt_mpi_study_run(study, &mo, NULL, &err);
        double secs = nnt_clock_monotonic() - t0;
        nnt_study_summary sum;
        nnt_study_get_summary(study, &sum);
        int slots = (size - 1) * jobs;
        double trial_s = steps * step_s;
        double tph = sum.n_complete * 3600.0 / secs, ideal = slots * 3600.0 / trial_s;
        printf("workers %d (ranks %d x jobs %d)  trials %d  seconds %.2f  trials/hour %.0f  "
               "ideal %.0f  efficiency %.1f %%\n",
               slots, size - 1, jobs, sum.n_complete, secs, tph, ideal, 100 * tph / ideal);
    } else {
        r = nnt_mpi_worker_run(study, jobs, &mo, &err);
    }
    if (r < 0) fprintf(stderr, "rank %d: %s\n", rank, err.message);
    nnt_study_free(study);
    nnt_storage_close(st);
    if (rank != 0) {
        unlink(scratch);
        char p[96];
        const char *sfx[] = {"-wal", "-shm", ".lock"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", scratch, sfx[i]);
            unlink(p);
        }
    }
    nnt_space_free(space);
    nnt_mpi_finalize();
    return r < 0;
}
