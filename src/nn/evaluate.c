/* Prediction and evaluation of a model, plus the batch gathering and metric
 * accumulation the trainer shares with them. */
#include "nn/evaluate.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* Chunk size of prediction and evaluation: bounds the temporary workspace. */
#define NNT_EVAL_CHUNK 1024

/* ---- Task and classes of a model ------------------------------------------ */

/* The task a model solves: its metadata when set, else implied by its loss
 * (CE -> CLASSIFY, BCE with one output -> BINARY, squared error -> REGRESS,
 * reconstruction CE -> AUTOENCODE). */
nnt_task nnt__model_effective_task(const nnt_model *m)
{
    if (m->task != NNT_TASK_AUTO) return m->task;
    switch (m->opt.loss) {
    case NNT_LOSS_BINARY_CROSS_ENTROPY:
        return m->sizes[m->n_layers] == 1 ? NNT_TASK_BINARY : NNT_TASK_CLASSIFY;
    case NNT_LOSS_SQUARED_ERROR: return NNT_TASK_REGRESS;
    case NNT_LOSS_RECONSTRUCTION_CE: return NNT_TASK_AUTOENCODE;
    case NNT_LOSS_AUTO:
    case NNT_LOSS_CROSS_ENTROPY: break;
    }
    return NNT_TASK_CLASSIFY;
}

/* Number of classes of a classification model: metadata, else outputs (2 for
 * a binary model). 0 for regression and autoencoders. */
int nnt__model_effective_classes(const nnt_model *m, nnt_task task)
{
    switch (task) {
    case NNT_TASK_CLASSIFY:
        return m->n_classes > 0 ? m->n_classes : m->sizes[m->n_layers];
    case NNT_TASK_BINARY: return 2;
    default: return 0;
    }
}

/* ---- Gathering ------------------------------------------------------------ */

void nnt__scale_row(const nnt_scaler *s, const float *src, float *dst, size_t features)
{
    if (!s || s->kind == NNT_SCALE_NONE || !s->shift || !s->mul || s->features != features)
        memcpy(dst, src, features * sizeof(float));
    else
        nnt_scaler_apply_row(s, src, dst);
}

void nnt__gather_batch(const nnt_dataset *ds, const uint32_t *rows, size_t start, int n,
                       const nnt_scaler *s, nnt_task task, float *x, int32_t *labels,
                       float *targets)
{
    const size_t f = nnt_dataset_features(ds);
    const float *xs = nnt_dataset_x(ds);
    const int32_t *ls = nnt_dataset_labels(ds);
    const float *ts = nnt_dataset_targets(ds);
    for (int i = 0; i < n; i++) {
        size_t r = rows ? rows[start + (size_t)i] : start + (size_t)i;
        float *xi = x + (size_t)i * f;
        /* Shuffled rows defeat the hardware prefetcher: fetch the lines of the
         * row four ahead while this one is scaled. */
        if (rows && i + 4 < n) {
            const char *next = (const char *)(xs + (size_t)rows[start + (size_t)i + 4] * f);
            for (size_t b = 0; b < f * sizeof(float); b += 64) __builtin_prefetch(next + b);
        }
        nnt__scale_row(s, xs + r * f, xi, f);
        switch (task) {
        case NNT_TASK_CLASSIFY:
            if (labels) labels[i] = ls[r];
            break;
        case NNT_TASK_BINARY:
            if (labels) labels[i] = ls[r];
            if (targets) targets[i] = (float)ls[r];
            break;
        case NNT_TASK_REGRESS:
            /* Standardised when the scaler says so (see nnt_scaler). */
            if (targets)
                targets[i] = s && s->target_mul != 0.0f ? (ts[r] - s->target_shift) * s->target_mul
                                                        : ts[r];
            break;
        case NNT_TASK_AUTOENCODE:
            /* A copy: input dropout may rewrite x in place. */
            if (targets) memcpy(targets + (size_t)i * f, xi, f * sizeof(float));
            break;
        case NNT_TASK_AUTO: break;
        }
    }
}

static const char *task_word(nnt_task t)
{
    switch (t) {
    case NNT_TASK_CLASSIFY: return "classification";
    case NNT_TASK_BINARY: return "binary classification";
    case NNT_TASK_REGRESS: return "regression";
    case NNT_TASK_AUTOENCODE: return "autoencoder";
    case NNT_TASK_AUTO: break;
    }
    return "auto";
}

int nnt__check_data(const nnt_dataset *ds, const uint32_t *rows, size_t n, nnt_task task,
                    int n_classes, size_t features, const char *what, nnt_error *err)
{
    size_t nrows = nnt_dataset_rows(ds);
    if (nnt_dataset_features(ds) != features)
        return nnt_fail(err, NNT_ERR_ARG, "%s has %zu features, model expects %zu", what,
                        nnt_dataset_features(ds), features);
    if (rows) {
        for (size_t i = 0; i < n; i++)
            if (rows[i] >= nrows)
                return nnt_fail(err, NNT_ERR_ARG,
                                "%s: row index %u at position %zu is out of range (%zu rows)",
                                what, rows[i], i, nrows);
    } else if (n > nrows) {
        return nnt_fail(err, NNT_ERR_ARG, "%s: %zu rows requested, data set has %zu", what, n,
                        nrows);
    }
    if (task == NNT_TASK_CLASSIFY || task == NNT_TASK_BINARY) {
        const int32_t *ls = nnt_dataset_labels(ds);
        if (!ls)
            return nnt_fail(err, NNT_ERR_ARG, "%s has no class labels, needed for %s", what,
                            task_word(task));
        for (size_t i = 0; i < n; i++) {
            size_t r = rows ? rows[i] : i;
            if (ls[r] < 0 || ls[r] >= n_classes)
                return nnt_fail(err, NNT_ERR_ARG,
                                "%s: row %zu has class %d, outside the model's %d classes", what,
                                r, (int)ls[r], n_classes);
        }
    } else if (task == NNT_TASK_REGRESS) {
        if (!nnt_dataset_targets(ds))
            return nnt_fail(err, NNT_ERR_ARG, "%s has no numeric target, needed for regression",
                            what);
    }
    return NNT_OK;
}

/* ---- Metrics -------------------------------------------------------------- */

void nnt__metric_acc_init(nnt_metric_acc *a, nnt_task task, int n_outputs, int n_classes,
                          uint64_t *confusion)
{
    memset(a, 0, sizeof *a);
    a->task = task;
    a->n_outputs = n_outputs;
    a->n_classes = n_classes;
    a->confusion = confusion;
    if (confusion && n_classes > 0)
        memset(confusion, 0, (size_t)n_classes * (size_t)n_classes * sizeof *confusion);
}

void nnt__metric_acc_target_scale(nnt_metric_acc *a, const nnt_scaler *s)
{
    a->t_shift = s ? s->target_shift : 0;
    a->t_mul = s ? s->target_mul : 0;
}

/* Maps n rows of a regression model's outputs back to the target's units
 * (nothing for other tasks or without target scaling). */
static void nnt_unscale_outputs(const nnt_model *m, float *out, size_t n)
{
    const nnt_scaler *s = &m->scaler;
    if (nnt__model_effective_task(m) != NNT_TASK_REGRESS || s->target_mul == 0.0f) return;
    const size_t total = n * (size_t)m->sizes[m->n_layers];
    for (size_t i = 0; i < total; i++) out[i] = out[i] / s->target_mul + s->target_shift;
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        if (v[j] > v[best]) best = j;
    return best;
}

void nnt__metric_acc_add(nnt_metric_acc *a, const float *out, int n, const int32_t *labels,
                         const float *targets, double mean_loss)
{
    a->loss_sum += mean_loss * n;
    for (int i = 0; i < n; i++) {
        const float *o = out + (size_t)i * (size_t)a->n_outputs;
        switch (a->task) {
        case NNT_TASK_CLASSIFY:
        case NNT_TASK_BINARY: {
            int pred = a->task == NNT_TASK_BINARY ? (o[0] >= 0.5f) : argmax(o, a->n_outputs);
            int truth = labels[i];
            a->correct += pred == truth;
            if (a->confusion && truth >= 0 && truth < a->n_classes && pred < a->n_classes)
                a->confusion[(size_t)truth * (size_t)a->n_classes + (size_t)pred]++;
            break;
        }
        case NNT_TASK_REGRESS: {
            /* Metrics in the target's own units: undo the standardisation. */
            double y = targets[i], p = o[0];
            if (a->t_mul != 0) {
                y = y / a->t_mul + a->t_shift;
                p = p / a->t_mul + a->t_shift;
            }
            double e = p - y;
            a->sse += e * e;
            a->sae += fabs(e);
            double k = (double)(a->n + (size_t)i + 1), d = y - a->y_mean;
            a->y_mean += d / k;
            a->y_m2 += d * (y - a->y_mean);
            break;
        }
        case NNT_TASK_AUTOENCODE:
        case NNT_TASK_AUTO: break;
        }
    }
    a->n += (size_t)n;
}

void nnt__metric_acc_result(const nnt_metric_acc *a, nnt_metrics *out)
{
    out->loss = out->accuracy = out->rmse = out->mae = out->r2 = NAN;
    if (a->n == 0) return;
    double n = (double)a->n;
    out->loss = a->loss_sum / n;
    if (a->task == NNT_TASK_CLASSIFY || a->task == NNT_TASK_BINARY) {
        out->accuracy = (double)a->correct / n;
    } else if (a->task == NNT_TASK_REGRESS) {
        out->rmse = sqrt(a->sse / n);
        out->mae = a->sae / n;
        /* Constant targets: 1 for a perfect fit, else 0 (as scikit-learn). */
        out->r2 = a->y_m2 > 0 ? 1.0 - a->sse / a->y_m2 : (a->sse == 0 ? 1.0 : 0.0);
    }
}

double nnt__eval_rows(const nnt_model *m, nnt_workspace *ws, const nnt_dataset *ds,
                      const uint32_t *rows, size_t n, const nnt_scaler *s, nnt_task task,
                      int32_t *labels, float *targets, nnt_metric_acc *acc)
{
    const int L = m->n_layers;
    double loss_sum = 0;
    for (size_t start = 0; start < n; start += (size_t)ws->max_batch) {
        int nb = (int)(n - start < (size_t)ws->max_batch ? n - start : (size_t)ws->max_batch);
        nnt__gather_batch(ds, rows, start, nb, s, task, ws->act[0], labels, targets);
        nnt__forward(m, ws, nb, 0, NULL);
        double loss = nnt__loss_value(m, ws, nb, labels, targets);
        loss_sum += loss * nb;
        nnt__metric_acc_add(acc, ws->act[L], nb, labels, targets, loss);
    }
    return n ? loss_sum / (double)n : NAN;
}

/* ---- Public: prediction ----------------------------------------------------- */

static int chunk_for(size_t n) { return n < NNT_EVAL_CHUNK ? (n ? (int)n : 1) : NNT_EVAL_CHUNK; }

int nnt_model_forward(const nnt_model *m, const float *x, size_t n, float *out, nnt_error *err)
{
    if (!m || (n && (!x || !out)))
        return nnt_fail(err, NNT_ERR_ARG, "nnt_model_forward: NULL model, input or output");
    if (m->n_members > 0)
        return nnt_fail(err, NNT_ERR_ARG,
                        "nnt_model_forward: the model is an ensemble of %d models, each with its "
                        "own input scaling; use nnt_model_predict on unscaled data",
                        nnt_model_ensemble_size(m));
    if (n == 0) return NNT_OK;
    nnt_workspace ws;
    int rc = nnt__workspace_init_forward(&ws, m, chunk_for(n), err);
    if (rc < 0) return rc;
    const size_t in = (size_t)m->sizes[0], outw = (size_t)m->sizes[m->n_layers];
    for (size_t start = 0; start < n; start += (size_t)ws.max_batch) {
        int nb = (int)(n - start < (size_t)ws.max_batch ? n - start : (size_t)ws.max_batch);
        memcpy(ws.act[0], x + start * in, (size_t)nb * in * sizeof(float));
        nnt__forward(m, &ws, nb, 0, NULL);
        memcpy(out + start * outw, ws.act[m->n_layers], (size_t)nb * outw * sizeof(float));
    }
    nnt__workspace_free(&ws);
    nnt_unscale_outputs(m, out, n);
    return NNT_OK;
}

/* rows NULL means all rows; n must then be 0 or the row count. */
static int resolve_rows(const nnt_dataset *ds, const uint32_t *rows, size_t *n, const char *fn,
                        nnt_error *err)
{
    if (!rows) {
        size_t all = nnt_dataset_rows(ds);
        if (*n != 0 && *n != all)
            return nnt_fail(err, NNT_ERR_ARG, "%s: rows NULL means all %zu rows, but n = %zu",
                            fn, all, *n);
        *n = all;
    }
    return NNT_OK;
}

int nnt_model_predict(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows, size_t n,
                      float *out, nnt_error *err)
{
    int rc = nnt__model_predict_single(m, ds, rows, n, out, err);
    if (rc < 0 || m->n_members == 0) return rc;
    if (!rows) n = nnt_dataset_rows(ds);
    return nnt__ensemble_predict_members(m, ds, rows, n, out, err);
}

int nnt__model_predict_single(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows,
                              size_t n, float *out, nnt_error *err)
{
    if (!m || !ds)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_model_predict: NULL model or data set");
    int rc = resolve_rows(ds, rows, &n, "nnt_model_predict", err);
    if (rc < 0) return rc;
    const size_t in = (size_t)m->sizes[0], outw = (size_t)m->sizes[m->n_layers];
    if (nnt_dataset_features(ds) != in)
        return nnt_fail(err, NNT_ERR_ARG, "data has %zu features, model expects %zu",
                        nnt_dataset_features(ds), in);
    rc = nnt__check_data(ds, rows, n, NNT_TASK_AUTO, 0, in, "data", err);
    if (rc < 0) return rc;
    if (n == 0) return NNT_OK;
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "nnt_model_predict: NULL output buffer");
    nnt_workspace ws;
    rc = nnt__workspace_init_forward(&ws, m, chunk_for(n), err);
    if (rc < 0) return rc;
    for (size_t start = 0; start < n; start += (size_t)ws.max_batch) {
        int nb = (int)(n - start < (size_t)ws.max_batch ? n - start : (size_t)ws.max_batch);
        nnt__gather_batch(ds, rows, start, nb, &m->scaler, NNT_TASK_AUTO, ws.act[0], NULL, NULL);
        nnt__forward(m, &ws, nb, 0, NULL);
        memcpy(out + start * outw, ws.act[m->n_layers], (size_t)nb * outw * sizeof(float));
    }
    nnt__workspace_free(&ws);
    nnt_unscale_outputs(m, out, n);
    return NNT_OK;
}

/* ---- Public: evaluation ------------------------------------------------------ */

int nnt_model_evaluate(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows, size_t n,
                       nnt_eval *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "nnt_model_evaluate: NULL result");
    memset(out, 0, sizeof *out);
    if (!m || !ds)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_model_evaluate: NULL model or data set");
    int rc = resolve_rows(ds, rows, &n, "nnt_model_evaluate", err);
    if (rc < 0) return rc;
    nnt_task task = nnt__model_effective_task(m);
    int classes = nnt__model_effective_classes(m, task);
    const size_t in = (size_t)m->sizes[0], outw = (size_t)m->sizes[m->n_layers];
    if (nnt_dataset_features(ds) != in)
        return nnt_fail(err, NNT_ERR_ARG, "data has %zu features, model expects %zu",
                        nnt_dataset_features(ds), in);
    rc = nnt__check_data(ds, rows, n, task, classes, in, "data", err);
    if (rc < 0) return rc;
    if (n == 0) return nnt_fail(err, NNT_ERR_ARG, "nnt_model_evaluate: no rows to evaluate");
    if (m->n_members > 0) return nnt__ensemble_evaluate(m, ds, rows, n, out, err);

    nnt_workspace ws;
    int chunk = chunk_for(n);
    int32_t *labels = nnt__malloc_array((size_t)chunk, sizeof *labels);
    float *targets = nnt__malloc_array((size_t)chunk * outw, sizeof *targets);
    uint64_t *confusion =
        classes > 0 ? nnt__calloc((size_t)classes * (size_t)classes, sizeof *confusion) : NULL;
    if (!labels || !targets || (classes > 0 && !confusion)) {
        nnt__free(labels);
        nnt__free(targets);
        nnt__free(confusion);
        return nnt_fail(err, NNT_ERR_NOMEM, "nnt_model_evaluate: out of memory");
    }
    rc = nnt__workspace_init_forward(&ws, m, chunk, err);
    if (rc < 0) {
        nnt__free(labels);
        nnt__free(targets);
        nnt__free(confusion);
        return rc;
    }
    nnt_metric_acc acc;
    nnt__metric_acc_init(&acc, task, (int)outw, classes, confusion);
    nnt__metric_acc_target_scale(&acc, &m->scaler);
    nnt__eval_rows(m, &ws, ds, rows, n, &m->scaler, task, labels, targets, &acc);
    nnt__metric_acc_result(&acc, &out->metrics);
    out->n = n;
    out->n_classes = classes;
    out->confusion = confusion;
    nnt__workspace_free(&ws);
    nnt__free(labels);
    nnt__free(targets);
    return NNT_OK;
}

void nnt_eval_free(nnt_eval *e)
{
    if (!e) return;
    nnt__free(e->confusion);
    memset(e, 0, sizeof *e);
}
