/* Tune any C function with nntune: a noisy two-parameter function,
 * searched by TPE with median pruning, stored in SQLite.
 *
 *   example_tune_function [STORAGE.db]   (default tune_function.db)
 *
 * Run it again on the same file and the study resumes; `nntune trials`,
 * `nntune best` and `nntune report` read the file like any study's.
 * Exits non-zero if a step fails or the best point is far from (1, -0.5). */
#include <math.h>
#include <stdio.h>

#include <nntune/nntune.h>

#define STEPS 20

/* f(x, y) = (x - 1)^2 + 10 (y + 0.5)^2, measured with noise: step k reports
 * the mean of k noisy samples, so a pruner can drop poor points early. */
static int evaluate(void *ctx, const nnt_params *p, nnt_trial *trial, double *values,
                    nnt_error *err)
{
    (void)ctx;
    (void)err;
    double x = nnt_params_number(p, "x", 0), y = nnt_params_number(p, "y", 0);
    double f = (x - 1) * (x - 1) + 10 * (y + 0.5) * (y + 0.5), sum = 0;
    nnt_rng rng;
    nnt_rng_seed(&rng, nnt_trial_seed(trial)); /* same seed, same study */
    for (int step = 1; step <= STEPS; step++) {
        sum += f + 0.3 * nnt_rng_normal(&rng);
        if (nnt_trial_report(trial, step, sum / step) != 0) return NNT_PRUNED;
    }
    values[0] = sum / STEPS;
    return NNT_OK;
}

int main(int argc, char **argv)
{
    nnt_error err;
    nnt_error_clear(&err);
    nnt_space *space = nnt_space_new_any(); /* any parameter names */
    if (!space || nnt_space_set_spec(space, "x", "-3.0:3.0", &err) < 0 ||
        nnt_space_set_spec(space, "y", "-2.0:2.0", &err) < 0) {
        fprintf(stderr, "space: %s\n", err.message);
        return 1;
    }
    nnt_objective obj = {0};
    obj.name = "noisy_quadratic"; /* stored: a resume must tune the same function */
    obj.version = "1";
    obj.value_name = "f";
    obj.max_steps = STEPS;
    obj.evaluate = evaluate;

    nnt_study_options o = nnt_study_options_default(); /* the tpe sampler */
    o.objective = &obj;
    o.pruner = "median"; /* stop a trial whose mean is worse than the median's so far */
    o.name = "noisy";
    o.max_trials = 40;
    o.jobs = 1;

    nnt_storage *st = NULL;
    nnt_study *study = NULL;
    int rc = nnt_storage_open_sqlite(argc > 1 ? argv[1] : "tune_function.db", 0, &st, &err);
    if (rc < 0) {
        fprintf(stderr, "storage: %s\n", err.message);
        nnt_space_free(space);
        return 1;
    }
    rc = nnt_study_create(&o, space, NULL, st, &study, &err);
    if (rc == NNT_OK) rc = nnt_study_run(study, &err);
    int ok = rc == NNT_OK;
    if (!ok) fprintf(stderr, "study: %s\n", err.message);
    nnt_study_summary sum;
    nnt_study_get_summary(study, &sum);
    if (ok) {
        printf("%d trials: %d complete, %d pruned, %d failed\n", sum.n_trials, sum.n_complete,
               sum.n_pruned, sum.n_failed);
        printf("best: trial %d, f = %.4f at %s\n", sum.best_number, sum.best_value,
               sum.best_params ? sum.best_params : "-");
        ok = sum.best_number >= 0 && sum.best_value < 1.0;
        if (!ok) fprintf(stderr, "the best point is far from the minimum\n");
    }
    nnt_study_free(study);
    nnt_storage_close(st);
    nnt_space_free(space);
    return ok ? 0 : 1;
}
