/* Ensembles: a model (the head) plus members of the same architecture whose
 * outputs are averaged with the head's. A study that scores its trials by
 * k-fold cross-validation already trains k models of the best configuration;
 * averaging them (with or without the refit on every row) is the usual way
 * to use them, and lowers the variance that a single small-data fit has.
 * Each member keeps the scaler fitted on its own rows, so members are run on
 * the raw rows one by one (prediction), never on one shared scaled batch. */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nn/evaluate.h"
#include "nn/model_internal.h"

/* Chunk of rows scored at a time by the ensemble's evaluation. */
#define ENSEMBLE_CHUNK 1024
/* Most members one ensemble may have (also the model file's bound). */
#define MAX_MEMBERS 1024

int nnt_model_ensemble_size(const nnt_model *m) { return m ? 1 + m->n_members : 0; }

void nnt__ensemble_free_members(nnt_model *m)
{
    for (int i = 0; i < m->n_members; i++) nnt_model_free(m->members[i]);
    nnt__free(m->members);
    m->members = NULL;
    m->n_members = 0;
}

/* What differs between two architectures, in words; NULL when none does. */
static const char *arch_difference(const nnt_model *a, const nnt_model *b)
{
    if (a->opt.inputs != b->opt.inputs) return "inputs";
    if (a->opt.outputs != b->opt.outputs) return "outputs";
    if (a->opt.n_hidden != b->opt.n_hidden) return "number of hidden layers";
    for (int l = 0; l < a->opt.n_hidden; l++)
        if (a->opt.hidden[l] != b->opt.hidden[l]) return "hidden layer widths";
    if (a->opt.activation != b->opt.activation) return "activation";
    if (a->opt.loss != b->opt.loss) return "loss";
    if (a->task != b->task) return "task";
    return NULL;
}

int nnt_model_ensemble_add(nnt_model *m, nnt_model *member, nnt_error *err)
{
    if (!m || !member || m == member)
        return nnt_fail(err, NNT_ERR_ARG, "ensemble: a model and a different member are required");
    const char *diff = arch_difference(m, member);
    if (diff)
        return nnt_fail(err, NNT_ERR_ARG,
                        "ensemble: the member's %s differs from the model's (members must have "
                        "the same layers, activation, loss and task)",
                        diff);
    int add = 1 + member->n_members;
    if (m->n_members + add > MAX_MEMBERS)
        return nnt_fail(err, NNT_ERR_ARG, "ensemble: at most %d members, got %d", MAX_MEMBERS,
                        m->n_members + add);
    nnt_model **v = nnt__realloc(m->members, (size_t)(m->n_members + add) * sizeof *v);
    if (!v) return nnt_fail(err, NNT_ERR_NOMEM, "ensemble: out of memory");
    m->members = v;
    /* Flattened: the member's own members join m directly. */
    for (int i = 0; i < member->n_members; i++) m->members[m->n_members++] = member->members[i];
    nnt__free(member->members);
    member->members = NULL;
    member->n_members = 0;
    m->members[m->n_members++] = member;
    return NNT_OK;
}

int nnt__ensemble_clone_members(const nnt_model *src, nnt_model *dst, nnt_error *err)
{
    dst->members = NULL;
    dst->n_members = 0;
    if (src->n_members == 0) return NNT_OK;
    dst->members = nnt__calloc((size_t)src->n_members, sizeof *dst->members);
    if (!dst->members) return nnt_fail(err, NNT_ERR_NOMEM, "clone: out of memory");
    for (int i = 0; i < src->n_members; i++) {
        int rc = nnt_model_clone(src->members[i], &dst->members[i], err);
        if (rc < 0) {
            nnt__ensemble_free_members(dst);
            return rc;
        }
        dst->n_members = i + 1;
    }
    return NNT_OK;
}

int nnt__ensemble_predict_members(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows,
                                  size_t n, float *out, nnt_error *err)
{
    if (n == 0) return NNT_OK;
    size_t total = n * (size_t)m->sizes[m->n_layers];
    float *tmp = nnt__malloc_array(total, sizeof *tmp);
    if (!tmp) return nnt_fail(err, NNT_ERR_NOMEM, "nnt_model_predict: out of memory");
    for (int k = 0; k < m->n_members; k++) {
        int rc = nnt__model_predict_single(m->members[k], ds, rows, rows ? n : 0, tmp, err);
        if (rc < 0) {
            nnt__free(tmp);
            return rc;
        }
        for (size_t i = 0; i < total; i++) out[i] += tmp[i];
    }
    nnt__free(tmp);
    float inv = 1.0f / (float)(1 + m->n_members);
    for (size_t i = 0; i < total; i++) out[i] *= inv;
    return NNT_OK;
}

/* The loss of one row's averaged output o, as the single model's loss is
 * defined (model_internal.h), computed from the outputs rather than logits:
 * cross-entropy -log p[label]; binary cross-entropy; half the squared error
 * in the head's standardised target units. */
static double row_loss(const nnt_model *m, nnt_task task, const float *o, int32_t label,
                       double target)
{
    const double tiny = 1e-12;
    switch (task) {
    case NNT_TASK_CLASSIFY:
        return -log(fmax((double)o[label], tiny));
    case NNT_TASK_BINARY: {
        double p = fmin(fmax((double)o[0], tiny), 1.0 - tiny);
        return label ? -log(p) : -log(1.0 - p);
    }
    case NNT_TASK_REGRESS: {
        double e = (double)o[0] - target;
        if (m->scaler.target_mul != 0.0f) e *= (double)m->scaler.target_mul;
        return 0.5 * e * e;
    }
    default: return NAN;
    }
}

int nnt__ensemble_evaluate(const nnt_model *m, const nnt_dataset *ds, const uint32_t *rows,
                           size_t n, nnt_eval *out, nnt_error *err)
{
    nnt_task task = nnt__model_effective_task(m);
    int classes = nnt__model_effective_classes(m, task);
    const size_t outw = (size_t)m->sizes[m->n_layers];
    size_t chunk = n < ENSEMBLE_CHUNK ? n : ENSEMBLE_CHUNK;
    float *pred = nnt__malloc_array(chunk * outw, sizeof *pred);
    uint32_t *idx = nnt__malloc_array(chunk, sizeof *idx);
    int32_t *labels = nnt__malloc_array(chunk, sizeof *labels);
    float *targets = nnt__malloc_array(chunk, sizeof *targets);
    uint64_t *confusion =
        classes > 0 ? nnt__calloc((size_t)classes * (size_t)classes, sizeof *confusion) : NULL;
    int rc = NNT_OK;
    if (!pred || !idx || !labels || !targets || (classes > 0 && !confusion))
        rc = nnt_fail(err, NNT_ERR_NOMEM, "nnt_model_evaluate: out of memory");
    nnt_metric_acc acc;
    /* Outputs and targets in the target's units: no standardisation to undo. */
    nnt__metric_acc_init(&acc, task, (int)outw, classes, confusion);
    nnt__metric_acc_target_scale(&acc, NULL);
    const int32_t *ls = nnt_dataset_labels(ds);
    const float *ts = nnt_dataset_targets(ds);
    for (size_t start = 0; start < n && rc == NNT_OK; start += chunk) {
        size_t nb = n - start < chunk ? n - start : chunk;
        for (size_t i = 0; i < nb; i++) idx[i] = rows ? rows[start + i] : (uint32_t)(start + i);
        rc = nnt_model_predict(m, ds, idx, nb, pred, err);
        if (rc < 0) break;
        double loss = 0;
        for (size_t i = 0; i < nb; i++) {
            labels[i] = ls ? ls[idx[i]] : 0;
            targets[i] = ts ? ts[idx[i]] : 0.0f;
            loss += row_loss(m, task, pred + i * outw, labels[i], targets[i]);
        }
        nnt__metric_acc_add(&acc, pred, (int)nb, labels, targets, loss / (double)nb);
    }
    nnt__free(pred);
    nnt__free(idx);
    nnt__free(labels);
    nnt__free(targets);
    if (rc < 0) {
        nnt__free(confusion);
        return rc;
    }
    nnt__metric_acc_result(&acc, &out->metrics);
    out->n = n;
    out->n_classes = classes;
    out->confusion = confusion;
    return NNT_OK;
}
