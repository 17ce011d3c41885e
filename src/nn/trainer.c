/* The training loop: option checks, task and loss choice, one-time setup of all
 * scratch, epochs of shuffled mini-batches, validation, early stopping, best
 * weights, time limit, divergence and progress reporting.
 *
 * Random streams, all derived from topt->seed: 0 initial weights, 1 shuffling,
 * 2 dropout masks, 3 pretraining. */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nn/evaluate.h"
#include "nn/model_internal.h"
#include "nn/optim.h"
#include "nn/pretrain.h"
#include "nn/schedule.h"
#include "nntune/train.h"

/* Rows per forward pass during validation: at least the batch size, larger
 * when there are many validation rows (fewer, bigger matrix products). */
#define NNT_VALID_CHUNK 256

nnt_train_options nnt_train_options_default(void)
{
    nnt_train_options o;
    memset(&o, 0, sizeof o);
    o.optimizer = NNT_OPT_MOMENTUM;
    o.lr = 0.01;
    o.momentum = 0.9;
    o.beta1 = 0.9;
    o.beta2 = 0.999;
    o.eps = 1e-8;
    o.weight_decay = 0.0;
    o.batch_size = 32;
    o.scale_lr_with_batch = 0;
    o.lr_reference_batch = 32;
    o.schedule = NNT_SCHED_CONSTANT;
    o.step_gamma = 0.5;
    o.step_epochs = 10;
    o.min_lr_fraction = 0.0;
    o.warmup_epochs = 0;
    o.max_epochs = 100;
    o.early_stopping = 1;
    o.patience = 10;
    o.min_delta = 0.0;
    o.monitor = NNT_METRIC_AUTO;
    o.restore_best = 1;
    o.time_limit_s = 0.0;
    o.pretrain_epochs = 0;
    o.pretrain_lr = 0.0; /* 0: use lr */
    o.task = NNT_TASK_AUTO;
    o.scaling = NNT_SCALE_AUTO;
    o.seed = 1;
    o.threads = 0;
    return o;
}

void nnt_train_result_free(nnt_train_result *r)
{
    if (!r) return;
    nnt__free(r->history);
    memset(r, 0, sizeof *r);
}

/* ---- Option checks ------------------------------------------------------- */

static int is_num(double x) { return isfinite(x); }

static int validate_options(const nnt_train_options *o, nnt_error *err)
{
#define BAD(...) return nnt_fail(err, NNT_ERR_ARG, __VA_ARGS__)
    if ((int)o->optimizer < NNT_OPT_SGD || (int)o->optimizer > NNT_OPT_ADAMW)
        BAD("optimizer: unknown optimizer %d", (int)o->optimizer);
    if (!(o->lr > 0) || !is_num(o->lr)) BAD("lr: must be a finite value > 0, got %g", o->lr);
    if ((o->optimizer == NNT_OPT_MOMENTUM || o->optimizer == NNT_OPT_NESTEROV) &&
        !(o->momentum >= 0 && o->momentum < 1))
        BAD("momentum: must be in [0, 1), got %g", o->momentum);
    if (o->optimizer == NNT_OPT_ADAM || o->optimizer == NNT_OPT_ADAMW) {
        if (!(o->beta1 >= 0 && o->beta1 < 1)) BAD("beta1: must be in [0, 1), got %g", o->beta1);
        if (!(o->beta2 >= 0 && o->beta2 < 1)) BAD("beta2: must be in [0, 1), got %g", o->beta2);
        if (!(o->eps > 0) || !is_num(o->eps)) BAD("eps: must be a finite value > 0, got %g", o->eps);
    }
    if (!(o->weight_decay >= 0) || !is_num(o->weight_decay))
        BAD("weight_decay: must be a finite value >= 0, got %g", o->weight_decay);
    if (o->batch_size < 1) BAD("batch_size: must be >= 1, got %d", o->batch_size);
    if (o->scale_lr_with_batch && o->lr_reference_batch < 1)
        BAD("lr_reference_batch: must be >= 1, got %d", o->lr_reference_batch);
    if ((int)o->schedule < NNT_SCHED_CONSTANT || (int)o->schedule > NNT_SCHED_COSINE)
        BAD("schedule: unknown schedule %d", (int)o->schedule);
    if (o->schedule == NNT_SCHED_STEP) {
        if (!(o->step_gamma > 0) || !is_num(o->step_gamma))
            BAD("step_gamma: must be a finite value > 0, got %g", o->step_gamma);
        if (o->step_epochs < 1) BAD("step_epochs: must be >= 1, got %d", o->step_epochs);
    }
    if (!(o->min_lr_fraction >= 0 && o->min_lr_fraction <= 1))
        BAD("min_lr_fraction: must be in [0, 1], got %g", o->min_lr_fraction);
    if (o->warmup_epochs < 0) BAD("warmup_epochs: must be >= 0, got %d", o->warmup_epochs);
    if (o->max_epochs < 1) BAD("max_epochs: must be >= 1, got %d", o->max_epochs);
    if (o->patience < 1) BAD("patience: must be >= 1, got %d", o->patience);
    if (!(o->min_delta >= 0) || !is_num(o->min_delta))
        BAD("min_delta: must be a finite value >= 0, got %g", o->min_delta);
    if ((int)o->monitor < NNT_METRIC_AUTO || (int)o->monitor > NNT_METRIC_R2)
        BAD("monitor: unknown metric %d", (int)o->monitor);
    if (!(o->time_limit_s >= 0) || !is_num(o->time_limit_s))
        BAD("time_limit_s: must be a finite value >= 0 (0 = none), got %g", o->time_limit_s);
    if (o->pretrain_epochs < 0) BAD("pretrain_epochs: must be >= 0, got %d", o->pretrain_epochs);
    if (!(o->pretrain_lr >= 0) || !is_num(o->pretrain_lr))
        BAD("pretrain_lr: must be a finite value >= 0 (0 = lr), got %g", o->pretrain_lr);
    if ((int)o->task < NNT_TASK_AUTO || (int)o->task > NNT_TASK_AUTOENCODE)
        BAD("task: unknown task %d", (int)o->task);
    if ((int)o->scaling < NNT_SCALE_AUTO || (int)o->scaling > NNT_SCALE_PIXELS)
        BAD("scaling: unknown scaling %d", (int)o->scaling);
    if (o->threads < 0) BAD("threads: must be >= 0, got %d", o->threads);
    return NNT_OK;
#undef BAD
}

/* ---- Task, loss and shapes ----------------------------------------------- */

static int resolve_task(const nnt_dataset *ds, nnt_task asked, nnt_task *task, nnt_error *err)
{
    nnt_task t = asked;
    if (t == NNT_TASK_AUTO)
        t = nnt_dataset_has_target(ds) ? nnt_dataset_task(ds) : NNT_TASK_AUTOENCODE;
    int classes = nnt_dataset_num_classes(ds);
    switch (t) {
    case NNT_TASK_CLASSIFY:
        if (!nnt_dataset_labels(ds))
            return nnt_fail(err, NNT_ERR_ARG, "task: classification needs class labels, the "
                                              "training data has none");
        if (classes < 2)
            return nnt_fail(err, NNT_ERR_ARG,
                            "task: classification needs at least 2 classes, the training data "
                            "has %d",
                            classes);
        break;
    case NNT_TASK_BINARY:
        if (!nnt_dataset_labels(ds) || classes != 2)
            return nnt_fail(err, NNT_ERR_ARG,
                            "task: binary classification needs labels of exactly 2 classes, the "
                            "training data has %d",
                            nnt_dataset_labels(ds) ? classes : 0);
        break;
    case NNT_TASK_REGRESS:
        if (!nnt_dataset_targets(ds))
            return nnt_fail(err, NNT_ERR_ARG,
                            "task: regression needs a numeric target, the training data has none");
        break;
    case NNT_TASK_AUTOENCODE: break;
    case NNT_TASK_AUTO:
        return nnt_fail(err, NNT_ERR_ARG, "task: cannot tell the task from the training data");
    }
    *task = t;
    return NNT_OK;
}

static nnt_loss default_loss(nnt_task t, nnt_scaling scaling)
{
    switch (t) {
    case NNT_TASK_BINARY: return NNT_LOSS_BINARY_CROSS_ENTROPY;
    case NNT_TASK_REGRESS: return NNT_LOSS_SQUARED_ERROR;
    /* Reconstruction CE needs targets in [0,1]: only pixel scaling promises it. */
    case NNT_TASK_AUTOENCODE:
        return scaling == NNT_SCALE_PIXELS ? NNT_LOSS_RECONSTRUCTION_CE : NNT_LOSS_SQUARED_ERROR;
    default: return NNT_LOSS_CROSS_ENTROPY;
    }
}

static int loss_fits(nnt_loss l, nnt_task t)
{
    switch (t) {
    case NNT_TASK_CLASSIFY: return l == NNT_LOSS_CROSS_ENTROPY;
    case NNT_TASK_BINARY: return l == NNT_LOSS_BINARY_CROSS_ENTROPY;
    case NNT_TASK_REGRESS: return l == NNT_LOSS_SQUARED_ERROR;
    case NNT_TASK_AUTOENCODE:
        return l == NNT_LOSS_RECONSTRUCTION_CE || l == NNT_LOSS_SQUARED_ERROR;
    default: return 0;
    }
}

static const char *task_name(nnt_task t)
{
    switch (t) {
    case NNT_TASK_CLASSIFY: return "classification";
    case NNT_TASK_BINARY: return "binary";
    case NNT_TASK_REGRESS: return "regression";
    case NNT_TASK_AUTOENCODE: return "autoencoder";
    default: return "auto";
    }
}

/* Fills inputs, outputs and loss of mo from the data and task; checks any
 * values the caller set. */
static int resolve_model(nnt_model_options *mo, nnt_task task, int classes, size_t features,
                         nnt_scaling scaling, nnt_error *err)
{
    int outputs = task == NNT_TASK_CLASSIFY    ? classes
                  : task == NNT_TASK_AUTOENCODE ? (int)features
                                                : 1;
    if (mo->inputs == 0) mo->inputs = (int)features;
    else if ((size_t)mo->inputs != features)
        return nnt_fail(err, NNT_ERR_ARG, "inputs: model option is %d but the data has %zu features",
                        mo->inputs, features);
    if (mo->outputs == 0) mo->outputs = outputs;
    else if (mo->outputs != outputs)
        return nnt_fail(err, NNT_ERR_ARG, "outputs: model option is %d but the %s task needs %d",
                        mo->outputs, task_name(task), outputs);
    if (mo->loss == NNT_LOSS_AUTO) mo->loss = default_loss(task, scaling);
    else if (!loss_fits(mo->loss, task))
        return nnt_fail(err, NNT_ERR_ARG, "loss: '%s' does not fit the %s task (use '%s')",
                        nnt_loss_name(mo->loss), task_name(task),
                        nnt_loss_name(default_loss(task, scaling)));
    return NNT_OK;
}

static int resolve_monitor(nnt_metric asked, nnt_task task, nnt_metric *out, nnt_error *err)
{
    int classify = task == NNT_TASK_CLASSIFY || task == NNT_TASK_BINARY;
    nnt_metric m = asked;
    if (m == NNT_METRIC_AUTO) m = classify ? NNT_METRIC_ACCURACY : NNT_METRIC_LOSS;
    if (m == NNT_METRIC_ACCURACY && !classify)
        return nnt_fail(err, NNT_ERR_ARG, "monitor: 'accuracy' needs a classification task, not %s",
                        task_name(task));
    if ((m == NNT_METRIC_RMSE || m == NNT_METRIC_MAE || m == NNT_METRIC_R2) &&
        task != NNT_TASK_REGRESS)
        return nnt_fail(err, NNT_ERR_ARG, "monitor: '%s' needs a regression task, not %s",
                        nnt_metric_name(m), task_name(task));
    *out = m;
    return NNT_OK;
}

/* ---- State of one run ------------------------------------------------------ */

typedef struct run {
    nnt_train_options o;
    nnt_task task;
    nnt_metric monitor;
    const nnt_dataset *train, *valid;
    const uint32_t *train_rows, *valid_rows;
    size_t n_train, n_valid;
    nnt_model *model;
    nnt_scaler scaler;
    nnt_workspace ws;
    nnt_optim opt;
    uint32_t *idx;       /* n_train row indices, reshuffled each epoch */
    int32_t *labels;     /* ws.max_batch */
    float *targets;      /* ws.max_batch x outputs */
    float *best;         /* n_params: weights of the best epoch */
    nnt_epoch_record *history; /* max_epochs */
    int n_classes;
} run;

static void run_free(run *r)
{
    nnt_model_free(r->model);
    nnt_scaler_free(&r->scaler);
    nnt__workspace_free(&r->ws);
    nnt__optim_free(&r->opt);
    nnt__free(r->idx);
    nnt__free(r->labels);
    nnt__free(r->targets);
    nnt__free(r->best);
    nnt__free(r->history);
    memset(r, 0, sizeof *r);
}

static void fill_idx(run *r)
{
    for (size_t i = 0; i < r->n_train; i++)
        r->idx[i] = r->train_rows ? r->train_rows[i] : (uint32_t)i;
}

/* Everything that can fail or allocate, before the first epoch. */
static int setup(run *r, const nnt_train_data *d, const nnt_model_options *mopt, nnt_error *err)
{
    int rc;
    r->train = d->train;
    r->train_rows = d->train_rows;
    r->n_train = d->train_rows ? d->n_train : nnt_dataset_rows(d->train);
    if (r->n_train == 0) return nnt_fail(err, NNT_ERR_ARG, "train_rows: no training rows");
    if (r->n_train > UINT32_MAX)
        return nnt_fail(err, NNT_ERR_ARG, "train_rows: %zu rows exceed the 32-bit index limit",
                        r->n_train);
    if (d->valid) {
        r->valid = d->valid;
        r->valid_rows = d->valid_rows;
        r->n_valid = d->valid_rows ? d->n_valid : nnt_dataset_rows(d->valid);
        if (r->n_valid == 0) r->valid = NULL;
    }

    if ((rc = resolve_task(r->train, r->o.task, &r->task, err)) < 0) return rc;
    if ((rc = resolve_monitor(r->o.monitor, r->task, &r->monitor, err)) < 0) return rc;
    nnt_scaling scaling = r->o.scaling;
    if (scaling == NNT_SCALE_AUTO)
        scaling = nnt_dataset_kind(r->train) == NNT_FEATURES_PIXELS ? NNT_SCALE_PIXELS
                                                                    : NNT_SCALE_STANDARD;
    const size_t F = nnt_dataset_features(r->train);
    r->n_classes = r->task == NNT_TASK_CLASSIFY || r->task == NNT_TASK_BINARY
                       ? nnt_dataset_num_classes(r->train)
                       : 0;
    nnt_model_options mo = mopt ? *mopt : nnt_model_options_default();
    if ((rc = resolve_model(&mo, r->task, r->n_classes, F, scaling, err)) < 0) return rc;
    if ((rc = nnt__check_data(r->train, r->train_rows, r->n_train, r->task, r->n_classes, F,
                              "training data", err)) < 0)
        return rc;
    if (r->valid &&
        (rc = nnt__check_data(r->valid, r->valid_rows, r->n_valid, r->task, r->n_classes, F,
                              "validation data", err)) < 0)
        return rc;

    if ((rc = nnt_scaler_fit(r->train, r->train_rows, r->n_train, scaling, &r->scaler, err)) < 0)
        return rc;
    /* Regression trains on standardised targets: with raw targets in the
     * tens of thousands the default lr 0.01 diverges in the first epoch. */
    if (r->task == NNT_TASK_REGRESS &&
        (rc = nnt_scaler_fit_target(r->train, r->train_rows, r->n_train, &r->scaler, err)) < 0)
        return rc;
    if ((rc = nnt_model_create(&mo, nnt_seed_derive(r->o.seed, 0), &r->model, err)) < 0)
        return rc;
    if ((rc = nnt_model_set_metadata_from(r->model, r->train, r->task, &r->scaler, err)) < 0)
        return rc;

    int batch = (size_t)r->o.batch_size < r->n_train ? r->o.batch_size : (int)r->n_train;
    int wsb = batch;
    if (r->valid) {
        size_t want = r->n_valid < NNT_VALID_CHUNK ? r->n_valid : NNT_VALID_CHUNK;
        if (want > (size_t)wsb) wsb = (int)want;
    }
    if ((rc = nnt__workspace_init(&r->ws, r->model, wsb, err)) < 0) return rc;
    nnt_param_range ranges[NNT_OPTIM_MAX_RANGES];
    int nr = nnt__optim_model_ranges(r->model, ranges);
    if ((rc = nnt__optim_init(&r->opt, &r->o, r->model->n_params, ranges, nr, err)) < 0)
        return rc;
    size_t outputs = (size_t)r->model->sizes[r->model->n_layers];
    r->idx = nnt__malloc_array(r->n_train, sizeof *r->idx);
    r->labels = nnt__malloc_array((size_t)wsb, sizeof *r->labels);
    r->targets = nnt__malloc_array((size_t)wsb * outputs, sizeof *r->targets);
    r->best = nnt__malloc_array(r->model->n_params, sizeof *r->best);
    r->history = nnt__calloc((size_t)r->o.max_epochs, sizeof *r->history);
    if (!r->idx || !r->labels || !r->targets || !r->best || !r->history)
        return nnt_fail(err, NNT_ERR_NOMEM, "training: out of memory for scratch buffers");
    fill_idx(r);
    return NNT_OK;
}

/* ---- Epochs ---------------------------------------------------------------- */

static int improves(double v, double best, int maximize, double min_delta)
{
    if (!isfinite(v)) return 0;
    if (!isfinite(best)) return 1;
    return maximize ? v > best + min_delta : v < best - min_delta;
}

static int train_epochs(run *r, double t0, nnt_train_result *res, nnt_error *err)
{
    nnt_train_options *o = &r->o;
    nnt_model *m = r->model;
    nnt_workspace *ws = &r->ws;
    const int L = m->n_layers;
    const int outputs = m->sizes[L];
    const int batch = (size_t)o->batch_size < r->n_train ? o->batch_size : (int)r->n_train;
    const int n_batches = (int)((r->n_train + (size_t)batch - 1) / (size_t)batch);
    const int maximize = nnt_metric_maximize(r->monitor);
    const double base_lr = nnt__schedule_base_lr(o);
    const size_t pbytes = m->n_params * sizeof(float);

    nnt_rng shuffle, drop;
    nnt_rng_seed(&shuffle, nnt_seed_derive(o->seed, 1));
    nnt_rng_seed(&drop, nnt_seed_derive(o->seed, 2));

    double best_value = NAN;
    int since_best = 0;
    nnt_metric_acc tacc, vacc;

    for (int epoch = 1; epoch <= o->max_epochs; epoch++) {
        const double epoch_lr = nnt__schedule_epoch_lr(o, base_lr, epoch);
        double lr = epoch_lr;
        nnt_rng_shuffle_u32(&shuffle, r->idx, r->n_train);
        nnt__metric_acc_init(&tacc, r->task, outputs, r->n_classes, NULL);
        nnt__metric_acc_target_scale(&tacc, &r->scaler);
        for (int b = 0; b < n_batches; b++) {
            size_t start = (size_t)b * (size_t)batch;
            int nb = (int)(r->n_train - start < (size_t)batch ? r->n_train - start
                                                               : (size_t)batch);
            nnt__gather_batch(r->train, r->idx, start, nb, &r->scaler, r->task, ws->act[0],
                              r->labels, r->targets);
            nnt__forward(m, ws, nb, 1, &drop);
            double loss = nnt__loss_delta(m, ws, nb, r->labels, r->targets);
            if (!isfinite(loss)) {
                nnt_fail(err, NNT_DIVERGED, "epoch %d, batch %d: non-finite training loss", epoch,
                         b + 1);
                return NNT_DIVERGED;
            }
            nnt__metric_acc_add(&tacc, ws->act[L], nb, r->labels, r->targets, loss);
            lr = epoch_lr * nnt__schedule_warmup(o, epoch, b + 1, n_batches);
            nnt__backward_update(m, ws, nb, &r->opt, lr);
            if (o->progress && o->report_batches) {
                nnt_progress p;
                memset(&p, 0, sizeof p);
                p.epoch = epoch;
                p.max_epochs = o->max_epochs;
                p.batch = b + 1;
                p.n_batches = n_batches;
                p.batch_loss = tacc.loss_sum / (double)tacc.n;
                nnt__metric_acc_result(&tacc, &p.train);
                p.valid.loss = p.valid.accuracy = p.valid.rmse = p.valid.mae = p.valid.r2 = NAN;
                p.monitored = NAN;
                p.lr = lr;
                p.elapsed_s = nnt_clock_monotonic() - t0;
                if (o->progress(&p, o->userdata) != 0) {
                    nnt_fail(err, NNT_PRUNED, "stopped by the progress callback in epoch %d, "
                             "batch %d", epoch, b + 1);
                    return NNT_PRUNED;
                }
            }
            if (o->time_limit_s > 0 && nnt_clock_monotonic() - t0 > o->time_limit_s) {
                nnt_fail(err, NNT_TIMEOUT, "time limit of %g s reached in epoch %d",
                         o->time_limit_s, epoch);
                return NNT_TIMEOUT;
            }
        }

        nnt_epoch_record *rec = &r->history[epoch - 1];
        memset(rec, 0, sizeof *rec);
        rec->epoch = epoch;
        rec->lr = lr;
        nnt__metric_acc_result(&tacc, &rec->train);
        rec->valid.loss = rec->valid.accuracy = rec->valid.rmse = rec->valid.mae = rec->valid.r2 =
            NAN;
        if (r->valid) {
            nnt__metric_acc_init(&vacc, r->task, outputs, r->n_classes, NULL);
            nnt__metric_acc_target_scale(&vacc, &r->scaler);
            double vloss = nnt__eval_rows(m, ws, r->valid, r->valid_rows, r->n_valid, &r->scaler,
                                          r->task, r->labels, r->targets, &vacc);
            if (!isfinite(vloss)) {
                nnt_fail(err, NNT_DIVERGED, "epoch %d: non-finite validation loss", epoch);
                return NNT_DIVERGED;
            }
            nnt__metric_acc_result(&vacc, &rec->valid);
        }
        rec->elapsed_s = nnt_clock_monotonic() - t0;
        res->epochs_run = epoch;

        /* Without validation rows the latest epoch counts as the best. */
        double value = nnt_metrics_get(r->valid ? &rec->valid : &rec->train, r->monitor);
        int is_best = !r->valid || res->best_epoch == 0 ||
                      improves(value, best_value, maximize, o->min_delta);
        /* Accuracy is coarse on small validation sets: an equal accuracy with a
         * lower validation loss is a better model, so it counts as the best. */
        if (!is_best && r->valid && r->monitor == NNT_METRIC_ACCURACY && value == best_value &&
            rec->valid.loss < res->best_valid.loss)
            is_best = 1;
        if (is_best) {
            best_value = value;
            since_best = 0;
            res->best_epoch = epoch;
            res->best_valid = rec->valid;
            res->best_train = rec->train;
            memcpy(r->best, m->params, pbytes);
        } else {
            since_best++;
        }

        if (o->progress) {
            nnt_progress p;
            memset(&p, 0, sizeof p);
            p.epoch = epoch;
            p.max_epochs = o->max_epochs;
            p.n_batches = n_batches;
            p.batch_loss = rec->train.loss;
            p.train = rec->train;
            p.valid = rec->valid;
            p.has_valid = r->valid != NULL;
            p.monitored = value;
            p.is_best = is_best;
            p.lr = lr;
            p.elapsed_s = rec->elapsed_s;
            if (o->progress(&p, o->userdata) != 0) {
                nnt_fail(err, NNT_PRUNED, "stopped by the progress callback after epoch %d",
                         epoch);
                return NNT_PRUNED;
            }
        }
        if (r->valid && o->early_stopping && since_best >= o->patience) break;
        if (o->time_limit_s > 0 && epoch < o->max_epochs &&
            nnt_clock_monotonic() - t0 > o->time_limit_s) {
            nnt_fail(err, NNT_TIMEOUT, "time limit of %g s reached after epoch %d",
                     o->time_limit_s, epoch);
            return NNT_TIMEOUT;
        }
    }
    return NNT_OK;
}

/* ---- Entry point ----------------------------------------------------------- */

/* nnt_train after the options are checked (o) and the thread count set. */
static int train_run(const nnt_train_options *o, const nnt_train_data *data,
                     const nnt_model_options *mopt, double t0, nnt_model **out,
                     nnt_train_result *result, nnt_error *err)
{
    run r;
    memset(&r, 0, sizeof r);
    r.o = *o;
    int rc = setup(&r, data, mopt, err);
    if (rc < 0) {
        run_free(&r);
        return rc;
    }

    nnt_train_result res;
    memset(&res, 0, sizeof res);
    res.best_valid.loss = res.best_valid.accuracy = res.best_valid.rmse = res.best_valid.mae =
        res.best_valid.r2 = NAN;
    res.best_train = res.best_valid;

    int status = NNT_OK;
    if (r.o.pretrain_epochs > 0 && r.model->n_layers > 1) {
        status = nnt__pretrain(r.model, &r.ws, r.train, r.idx, r.n_train, &r.scaler, &r.o,
                               nnt_seed_derive(r.o.seed, 3), t0, err);
        fill_idx(&r); /* the main run shuffles from the same start with or without pretraining */
    }
    if (status == NNT_OK) status = train_epochs(&r, t0, &res, err);

    if (status < 0) {
        run_free(&r);
        return status;
    }
    if (res.best_epoch > 0 && (status == NNT_DIVERGED || r.o.restore_best))
        memcpy(r.model->params, r.best, r.model->n_params * sizeof(float));
    if (status == NNT_DIVERGED && res.best_epoch == 0) {
        nnt_model_free(r.model);
        r.model = NULL;
    }
    res.status = status;
    res.seconds = nnt_clock_monotonic() - t0;
    res.history = r.history;
    r.history = NULL;
    *out = r.model;
    r.model = NULL;
    run_free(&r);
    if (result) *result = res;
    else nnt__free(res.history);
    return status;
}

int nnt_train(const nnt_train_data *data, const nnt_model_options *mopt,
              const nnt_train_options *topt, nnt_model **out, nnt_train_result *result,
              nnt_error *err)
{
    if (out) *out = NULL;
    if (result) memset(result, 0, sizeof *result);
    if (!data || !data->train || !out)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_train: data, data->train and out must not be NULL");
    double t0 = nnt_clock_monotonic();

    nnt_train_options o = topt ? *topt : nnt_train_options_default();
    int rc = validate_options(&o, err);
    if (rc < 0) return rc;
    /* The BLAS thread count is process-wide: set for this call only, and
     * put back on every way out, so that a call leaves the process as it
     * found it. */
    int prev_threads = o.threads > 0 ? nnt_blas_set_threads(o.threads) : 0;
    rc = train_run(&o, data, mopt, t0, out, result, err);
    if (prev_threads > 0) nnt_blas_set_threads(prev_threads);
    return rc;
}
