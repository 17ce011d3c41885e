/* The MLP trainer as a study objective (nnt__mlp_evaluate, one
 * implementation of objective.h's interface): one trial = apply the
 * parameters to the base options, train (on every fold), read the
 * validation metric of the best epoch. Its outcome carries more than a
 * value (the model, the best epoch, tie-breakers, costs), which it fills in
 * through the internal side of the trial handle. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/fold_curves.h"
#include "tune/study_internal.h"

/* ---- splits ------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Keeps a seeded random `keep` of the n rows, in ascending order (the
 * gathers stay cache-friendly). */
static void subsample(uint32_t *rows, size_t *n, size_t keep, uint64_t seed)
{
    if (keep >= *n) return;
    nnt_rng r;
    nnt_rng_seed(&r, seed);
    nnt_rng_shuffle_u32(&r, rows, *n);
    *n = keep;
    qsort(rows, keep, sizeof *rows, cmp_u32);
}

int nnt__mlp_init(nnt_mlp_objective *o, const nnt_mlp_setup *su, nnt_error *err)
{
    memset(o, 0, sizeof *o);
    o->su = *su;
    if (o->su.n_costs > NNT_MAX_OBJECTIVES - 1) o->su.n_costs = NNT_MAX_OBJECTIVES - 1;
    const nnt_dataset *ds = su->data.train;
    int stratify = nnt_dataset_task(ds) == NNT_TASK_CLASSIFY;
    size_t rows = nnt_dataset_rows(ds);

    o->use_valid_set = su->data.valid != NULL;
    o->n_folds = (!o->use_valid_set && su->cv_folds >= 2) ? su->cv_folds : 1;
    o->ensemble = o->n_folds > 1 && su->ensemble;
    o->splits = nnt__calloc((size_t)o->n_folds, sizeof *o->splits);
    if (!o->splits) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    int r = NNT_OK;
    for (int f = 0; f < o->n_folds && r == NNT_OK; f++) {
        if (o->use_valid_set) r = nnt_split_all(ds, &o->splits[f], err);
        else if (o->n_folds > 1)
            r = nnt_split_kfold(ds, o->n_folds, f, su->split_seed, stratify, &o->splits[f], err);
        else
            r = nnt_split_holdout(ds, su->valid_fraction, su->split_seed, stratify, &o->splits[f],
                                  err);
    }
    if (r < 0) {
        nnt__mlp_free(o);
        return r;
    }
    if (su->max_rows > 0 && su->max_rows < rows) {
        /* Shrink train and validation alike so the hold-out fraction stays. */
        double keep = (double)su->max_rows / (double)rows;
        for (int f = 0; f < o->n_folds; f++) {
            nnt_split *sp = &o->splits[f];
            size_t nt = (size_t)ceil(keep * (double)sp->n_train);
            subsample(sp->train, &sp->n_train, nt, nnt_seed_derive(su->split_seed, 1000 + f));
            if (!o->use_valid_set) {
                size_t nv = (size_t)ceil(keep * (double)sp->n_valid);
                subsample(sp->valid, &sp->n_valid, nv, nnt_seed_derive(su->split_seed, 2000 + f));
            }
        }
    }
    for (int f = 0; f < o->n_folds; f++) {
        if (o->splits[f].n_train == 0 ||
            (!o->use_valid_set && o->splits[f].n_valid == 0)) {
            nnt__mlp_free(o);
            return nnt_fail(err, NNT_ERR_ARG,
                            "data: too few rows (%zu) for a training and a validation part",
                            rows);
        }
    }
    return NNT_OK;
}

void nnt__mlp_free(nnt_mlp_objective *o)
{
    if (!o) return;
    if (o->splits)
        for (int f = 0; f < o->n_folds; f++) nnt_split_free(&o->splits[f]);
    nnt__free(o->splits);
    memset(o, 0, sizeof *o);
}

/* Copies text into dst (size n), truncating. */
static void copy_text(char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    if (l >= n) l = n - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

/* ---- costs ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Microseconds per sample of a forward pass over (up to 2048 of) the
 * validation rows of fold 0: the median of 5 timed runs, which discounts a
 * cold cache or a preempted run. NAN when it cannot be measured. */
static double infer_time_us(const nnt_mlp_objective *o, const nnt_model *m)
{
    const nnt_split *sp = &o->splits[0];
    const nnt_dataset *ds = o->use_valid_set ? o->su.data.valid : o->su.data.train;
    size_t n = o->use_valid_set ? nnt_dataset_rows(ds) : sp->n_valid;
    if (n > 2048) n = 2048;
    if (n == 0) return NAN;
    uint32_t *rows = nnt__malloc(n * sizeof *rows);
    const nnt_model_options *mo = nnt_model_get_options(m);
    size_t outs = mo && mo->outputs > 0 ? (size_t)mo->outputs : 1;
    float *out = nnt__malloc(n * outs * sizeof *out);
    double t[5], res = NAN;
    if (rows && out) {
        for (size_t i = 0; i < n; i++) rows[i] = o->use_valid_set ? (uint32_t)i : sp->valid[i];
        int ok = 1;
        for (int k = 0; k < 5 && ok; k++) {
            nnt_error e;
            double t0 = nnt_clock_monotonic();
            ok = nnt_model_predict(m, ds, rows, n, out, &e) == NNT_OK;
            t[k] = nnt_clock_monotonic() - t0;
        }
        if (ok) {
            qsort(t, 5, sizeof t[0], cmp_double);
            res = t[2] * 1e6 / (double)n;
        }
    }
    nnt__free(rows);
    nnt__free(out);
    return res;
}

/* The values of every objective of a complete trial: its metric, then the
 * costs in the study's order. */
static void measure_costs(const nnt_mlp_objective *o, const nnt_model *m, double train_s,
                          nnt_trial_outcome *out)
{
    out->n_values = 1 + o->su.n_costs;
    out->values[0] = out->value;
    for (int k = 0; k < o->su.n_costs; k++) {
        double v = NAN;
        switch (o->su.costs[k]) {
        case NNT_COST_PARAMS: v = m ? (double)nnt_model_num_params(m) : NAN; break;
        case NNT_COST_INFER_TIME: v = m ? infer_time_us(o, m) : NAN; break;
        case NNT_COST_TRAIN_TIME: v = train_s; break;
        }
        out->values[1 + k] = v;
    }
}

/* ---- one trial ----------------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The median of the folds' best epochs (the upper one of the middle two for
 * an even count): the one fold's best epoch under a hold-out, and the epoch
 * of a pruned k-fold trial (a complete one is scored where its folds' mean
 * curve peaks, fold_curves.h). 0 when none is known. */
static int median_epoch(int *e, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (e[i] > 0) e[m++] = e[i];
    if (m == 0) return 0;
    qsort(e, (size_t)m, sizeof *e, cmp_int);
    return e[m / 2];
}

typedef struct fold_ctx {
    nnt_trial *trial;
    const nnt_mlp_objective *obj;
    int fold;
    nnt__fold_curves *curves; /* under k-fold: every fold's validation curve */
} fold_ctx;

static int on_progress(const nnt_progress *p, void *userdata)
{
    fold_ctx *fc = userdata;
    const nnt_coordinator_ops *ops = fc->trial->ops;
    if (p->batch != 0) {
        double d = ops->deadline ? ops->deadline(ops->ctx) : 0;
        if (d > 0 && nnt_clock_monotonic() >= d) {
            fc->trial->answer = NNT_REPORT_ABORT;
            return NNT_PRUNED;
        }
        return 0;
    }
    if (p->pretraining) return 0;
    nnt_report_msg r;
    r.number = fc->trial->task->number;
    r.fold = fc->fold;
    r.n_folds = fc->obj->n_folds;
    r.progress = p;
    r.value = p->has_valid ? nnt_metrics_get(&p->valid, fc->obj->su.metric) : NAN;
    if (fc->curves) nnt__fold_curves_set(fc->curves, fc->fold, p->epoch, r.value, p->valid.loss);
    return nnt__study_trial_send_report(fc->trial, &r) == NNT_REPORT_CONTINUE ? 0 : NNT_PRUNED;
}

int nnt__stored_best_epoch(const nnt_epoch_row *rows, size_t nr, nnt_metric metric, int maximize)
{
    nnt__curve_peak p;
    if (nnt__fold_curves_peak_rows(rows, nr, metric, maximize, &p) < 0) return 0;
    return p.epoch;
}

/* Under o->ensemble the trial's model averages its folds' models: the best
 * fold's (whose metadata the ensemble keeps) and the others. Fold models
 * share the configuration, so adding cannot fail but for memory; a model
 * that cannot be added is dropped (the trial keeps fewer members). */
static void fold_ensemble(nnt_model *head, nnt_model **others, int n)
{
    for (int k = 0; k < n; k++)
        if (!head || nnt_model_ensemble_add(head, others[k], NULL) < 0) nnt_model_free(others[k]);
}

/* One trial of the MLP trainer: every fold, reporting each epoch through
 * the trial handle. */
static void mlp_run(const nnt_mlp_objective *o, nnt_trial *trial, nnt_trial_outcome *out)
{
    const nnt_trial_task *task = trial->task;
    memset(out, 0, sizeof *out);
    out->number = task->number;
    out->value = NAN;
    out->value_spread = NAN;
    out->valid_loss = NAN;
    out->n_params = NAN;
    double t0 = nnt_clock_monotonic();
    nnt_error err;
    nnt_error_clear(&err);

    nnt_model_options mopt = o->su.base_model;
    nnt_train_options topt = o->su.base_train;
    int r = nnt_space_apply(o->su.space, task->x, task->active, &mopt, &topt, &err);
    if (r < 0) {
        out->state = NNT_TRIAL_FAILED;
        copy_text(out->error, sizeof out->error, err.message[0] ? err.message : nnt_strerror(r));
        out->duration = nnt_clock_monotonic() - t0;
        return;
    }
    topt.seed = task->seed;
    topt.monitor = o->su.metric;
    topt.threads = 0; /* the study set one BLAS thread for the process */
    topt.report_batches = trial->ops->deadline != NULL;
    topt.progress = on_progress;

    double values[64];
    int best_epochs[64];
    double sum = 0, loss_sum = 0;
    int n_folds = o->n_folds;
    nnt_model *best_model = NULL;
    double best_fold_value = NAN;
    /* With o->ensemble, the other folds' models, averaged with the best
     * fold's at the end (fold_ensemble). */
    nnt_model *others[64];
    int n_others = 0;
    nnt_trial_state state = NNT_TRIAL_COMPLETE;
    nnt__fold_curves curves, *cv = NULL;
    if (n_folds > 1) {
        if (nnt__fold_curves_init(&curves, n_folds, topt.max_epochs) < 0) {
            out->state = NNT_TRIAL_FAILED;
            copy_text(out->error, sizeof out->error, "out of memory");
            out->duration = nnt_clock_monotonic() - t0;
            return;
        }
        cv = &curves;
    }

    for (int f = 0; f < n_folds; f++) {
        fold_ctx fc = {trial, o, f, cv};
        trial->answer = NNT_REPORT_CONTINUE;
        topt.userdata = &fc;
        double limit = o->su.trial_time_limit_s;
        int budget_binding = 0;
        if (task->deadline > 0) {
            double left = task->deadline - nnt_clock_monotonic();
            if (left < 0.001) left = 0.001;
            if (limit <= 0 || left < limit) {
                limit = left;
                budget_binding = 1;
            }
        }
        topt.time_limit_s = limit;

        const nnt_split *sp = &o->splits[f];
        nnt_train_data td;
        memset(&td, 0, sizeof td);
        td.train = o->su.data.train;
        td.train_rows = sp->train;
        td.n_train = sp->n_train;
        if (o->use_valid_set) {
            td.valid = o->su.data.valid;
        } else {
            td.valid = o->su.data.train;
            td.valid_rows = sp->valid;
            td.n_valid = sp->n_valid;
        }
        nnt_model *model = NULL;
        nnt_train_result res;
        memset(&res, 0, sizeof res);
        nnt_error_clear(&err);
        r = nnt_train(&td, &mopt, &topt, &model, &res, &err);
        if (res.epochs_run > out->epochs) out->epochs = res.epochs_run;
        if (f < 64) best_epochs[f] = res.best_epoch;
        double v = res.best_epoch > 0 ? nnt_metrics_get(&res.best_valid, o->su.metric) : NAN;
        loss_sum += res.best_epoch > 0 ? res.best_valid.loss : NAN;
        nnt_train_result_free(&res);

        const char *fail = NULL;
        char buf[64];
        if (r < 0) {
            fail = err.message[0] ? err.message : nnt_strerror(r);
        } else if (r == NNT_DIVERGED) {
            snprintf(buf, sizeof buf, "diverged (lr=%g)", topt.lr);
            fail = buf;
        } else if (r == NNT_TIMEOUT) {
            if (budget_binding) {
                fail = "interrupted (study time budget)";
                out->interrupted = 1;
            } else {
                fail = "time limit";
            }
        } else if (r == NNT_PRUNED) {
            if (trial->answer == NNT_REPORT_PRUNE) {
                state = NNT_TRIAL_PRUNED;
            } else {
                fail = "interrupted";
                out->interrupted = 1;
            }
        } else if (!isfinite(v)) {
            fail = "no finite validation value";
        }
        if (fail) {
            nnt_model_free(model);
            nnt_model_free(best_model);
            for (int k = 0; k < n_others; k++) nnt_model_free(others[k]);
            out->state = NNT_TRIAL_FAILED;
            size_t at = 0;
            if (n_folds > 1) at = (size_t)snprintf(out->error, sizeof out->error, "fold %d: ", f + 1);
            copy_text(out->error + at, sizeof out->error - at, fail);
            out->duration = nnt_clock_monotonic() - t0;
            if (cv) nnt__fold_curves_free(cv);
            return;
        }
        if (f < (int)(sizeof values / sizeof values[0])) values[f] = v;
        sum += v;
        /* Under k-fold the trial's model is that of its best fold. */
        int better = !best_model || (o->su.maximize ? v > best_fold_value : v < best_fold_value);
        nnt_model *spare = model;
        if (better) {
            spare = best_model;
            best_model = model;
            best_fold_value = v;
        }
        if (spare && o->ensemble && n_others < 64) others[n_others++] = spare;
        else nnt_model_free(spare);
        if (state == NNT_TRIAL_PRUNED) {
            n_folds = f + 1; /* a pruned trial stops at the current fold */
            break;
        }
    }
    out->state = state;
    out->value = sum / n_folds;
    out->valid_loss = isfinite(loss_sum) ? loss_sum / n_folds : NAN;
    out->n_params = best_model ? (double)nnt_model_num_params(best_model) : NAN;
    out->best_epoch = median_epoch(best_epochs, n_folds < 64 ? n_folds : 64);
    if (n_folds > 1) {
        double ss = 0;
        for (int f = 0; f < n_folds && f < 64; f++) ss += (values[f] - out->value) * (values[f] - out->value);
        out->value_spread = sqrt(ss / (n_folds - 1));
    }
    /* A complete k-fold trial is scored at the epoch where its folds' mean
     * validation curve peaks (fold_curves.h says why); a pruned one keeps the
     * mean of its folds' best epochs, which the pruner compared. */
    if (cv && state == NNT_TRIAL_COMPLETE) {
        nnt__curve_peak pk = nnt__fold_curves_peak(cv, o->su.maximize);
        if (pk.epoch > 0) {
            out->value = pk.value;
            out->valid_loss = pk.loss;
            out->value_spread = pk.spread;
            out->best_epoch = pk.epoch;
        }
    }
    if (cv) nnt__fold_curves_free(cv);
    out->duration = nnt_clock_monotonic() - t0;
    fold_ensemble(best_model, others, n_others);
    if (o->su.n_costs > 0 && state == NNT_TRIAL_COMPLETE)
        measure_costs(o, best_model, out->duration, out);
    out->model = best_model;
}

/* ---- the MLP trainer as an objective ------------------------------------- */

int nnt__mlp_evaluate(void *ctx, const nnt_params *params, nnt_trial *trial, double *values,
                      nnt_error *err)
{
    (void)params; /* the task's x/active, which params views */
    const nnt_mlp_objective *o = ctx;
    mlp_run(o, trial, trial->out);
    trial->outcome_filled = 1;
    nnt_trial_outcome *out = trial->out;
    for (int k = 0; k < out->n_values; k++) values[k] = out->values[k];
    if (out->n_values == 0) values[0] = out->value;
    if (out->state == NNT_TRIAL_COMPLETE) return NNT_OK;
    if (out->state == NNT_TRIAL_PRUNED) return NNT_PRUNED;
    return nnt_fail(err, NNT_ERR_INTERNAL, "%s", out->error);
}
