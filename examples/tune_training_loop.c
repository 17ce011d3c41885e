/* Tune your own training loop with nntune: a logistic regression written in
 * plain C, trained by mini-batch SGD on generated data, reports its
 * validation log-loss after every epoch; ASHA stops poor runs early.
 *
 *   example_tune_training_loop [STORAGE.db]   (default tune_training_loop.db)
 *
 * The data is made once in main and only read by the trials, which run on
 * two threads at once. Exits non-zero if a step fails or the best model is
 * no better than chance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <nntune/nntune.h>

#define ROWS 600
#define FEATS 8
#define EPOCHS 30

typedef struct data {
    double x[ROWS][FEATS];
    int y[ROWS];
} data;

/* Two overlapping classes: y = 1 when w . x + noise > 0. */
static void make_data(data *d)
{
    nnt_rng r;
    nnt_rng_seed(&r, 42);
    double w[FEATS];
    for (int j = 0; j < FEATS; j++) w[j] = nnt_rng_normal(&r);
    for (int i = 0; i < ROWS; i++) {
        double z = 0;
        for (int j = 0; j < FEATS; j++) z += w[j] * (d->x[i][j] = nnt_rng_normal(&r));
        d->y[i] = z + 1.5 * nnt_rng_normal(&r) > 0;
    }
}

static double sigmoid(double z) { return 1 / (1 + exp(-z)); }

/* Mean log-loss of weights w (bias last) on rows [from, to). */
static double log_loss(const data *d, const double *w, int from, int to)
{
    double s = 0;
    for (int i = from; i < to; i++) {
        double z = w[FEATS];
        for (int j = 0; j < FEATS; j++) z += w[j] * d->x[i][j];
        double p = fmin(fmax(sigmoid(z), 1e-12), 1 - 1e-12);
        s -= d->y[i] ? log(p) : log(1 - p);
    }
    return s / (to - from);
}

/* One trial: the first 480 rows train, the other 120 validate. */
static int evaluate(void *ctx, const nnt_params *p, nnt_trial *trial, double *values,
                    nnt_error *err)
{
    const data *d = ctx;
    double lr = nnt_params_number(p, "lr", 0.1), l2 = nnt_params_number(p, "l2", 0);
    int batch = (int)nnt_params_number(p, "batch", 32);
    if (batch < 1) return nnt_error_set(err, NNT_ERR_ARG, "batch: expected >= 1, got %d", batch);
    const int n_train = 480;
    double w[FEATS + 1] = {0}, g[FEATS + 1];
    nnt_rng r;
    nnt_rng_seed(&r, nnt_trial_seed(trial));
    int order[480];
    for (int i = 0; i < n_train; i++) order[i] = i;
    double loss = NAN;
    for (int epoch = 1; epoch <= EPOCHS; epoch++) {
        for (int i = n_train - 1; i > 0; i--) { /* shuffle */
            int k = (int)nnt_rng_below(&r, (uint64_t)i + 1), t = order[i];
            order[i] = order[k];
            order[k] = t;
        }
        for (int b = 0; b < n_train; b += batch) {
            int e = b + batch < n_train ? b + batch : n_train;
            for (int j = 0; j <= FEATS; j++) g[j] = j < FEATS ? l2 * w[j] : 0;
            for (int k = b; k < e; k++) {
                const double *x = d->x[order[k]];
                double z = w[FEATS];
                for (int j = 0; j < FEATS; j++) z += w[j] * x[j];
                double r_ = (sigmoid(z) - d->y[order[k]]) / (e - b);
                for (int j = 0; j < FEATS; j++) g[j] += r_ * x[j];
                g[FEATS] += r_;
            }
            for (int j = 0; j <= FEATS; j++) w[j] -= lr * g[j];
        }
        loss = log_loss(d, w, n_train, ROWS);
        if (!isfinite(loss)) return nnt_error_set(err, NNT_ERR_ARG, "diverged (lr=%g)", lr);
        if (nnt_trial_report(trial, epoch, loss) != 0) return NNT_PRUNED;
    }
    values[0] = loss;
    return NNT_OK;
}

int main(int argc, char **argv)
{
    static data d;
    make_data(&d);
    nnt_error err;
    nnt_error_clear(&err);
    nnt_space *space = nnt_space_new_any();
    const char *specs[][2] = {{"lr", "0.001:3.0:log"}, {"l2", "0.00001:0.1:log"}, {"batch", "8,32,128"}};
    for (int i = 0; i < 3; i++)
        if (!space || nnt_space_set_spec(space, specs[i][0], specs[i][1], &err) < 0) {
            fprintf(stderr, "space: %s\n", err.message);
            return 1;
        }
    nnt_objective obj = {0};
    obj.name = "logreg";
    obj.value_name = "val_loss"; /* minimised: maximize = 0 */
    obj.max_steps = EPOCHS;      /* ASHA's max_resource */
    obj.evaluate = evaluate;
    obj.ctx = &d;

    nnt_study_options o = nnt_study_options_default();
    o.objective = &obj;
    o.name = "logreg";
    o.sampler = "tpe";
    o.pruner = "asha";
    o.pruner_options = "{\"min_resource\": 2, \"eta\": 3}";
    o.max_trials = 30;
    o.jobs = 2;

    nnt_storage *st = NULL;
    nnt_study *study = NULL;
    int rc = nnt_storage_open_sqlite(argc > 1 ? argv[1] : "tune_training_loop.db", 0, &st, &err);
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
        printf("best: trial %d, val_loss %.4f with %s\n", sum.best_number, sum.best_value,
               sum.best_params ? sum.best_params : "-");
        ok = sum.best_number >= 0 && sum.best_value < log(2.0); /* better than chance */
        if (!ok) fprintf(stderr, "no trial beat chance\n");
    }
    nnt_study_free(study);
    nnt_storage_close(st);
    nnt_space_free(space);
    return ok ? 0 : 1;
}
