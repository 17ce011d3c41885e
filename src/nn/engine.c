/* Forward pass, losses and backward pass over a preallocated workspace.
 *
 * Layout per weight layer l (0 .. L-1, L = n_layers):
 *   act[l]   n x sizes[l]      input of layer l (after its dropout)
 *   W_l      sizes[l+1] x sizes[l], b_l sizes[l+1]
 *   act[l+1] = f(act[l] W_l^T + b_l)
 * The matrix products go to BLAS; everything else is one fused elementwise
 * pass per layer and direction, so the step stays GEMM-bound. Nothing here
 * allocates except nnt__workspace_init. */
#include <assert.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "kernels/activations.h"
#include "kernels/gemm.h"
#include "kernels/loss.h"
#include "kernels/reduce.h"
#include "nn/model_internal.h"
#include "nn/optim.h"

/* Dropout rate applied to act[l]: the input dropout for l = 0, else the
 * dropout after hidden layer l-1. act[L] (the output) never drops. */
static float drop_rate(const nnt_model *m, int l)
{
    if (l == 0) return m->opt.input_dropout;
    if (l <= m->opt.n_hidden) return m->opt.dropout[l - 1];
    return 0.0f;
}

static float act_param(const nnt_model *m)
{
    if (m->opt.activation == NNT_ACT_LEAKY_RELU) return m->opt.leaky_slope;
    if (m->opt.activation == NNT_ACT_ELU) return m->opt.elu_alpha;
    return 0.0f;
}

/* ---- Workspace --------------------------------------------------------------- */

void nnt__workspace_free(nnt_workspace *ws)
{
    if (!ws) return;
    for (int l = 0; l <= NNT_MAX_LAYERS; l++) nnt__free(ws->act[l]);
    for (int l = 0; l < NNT_MAX_LAYERS; l++) nnt__free(ws->mask[l]);
    nnt__free(ws->delta);
    nnt__free(ws->delta_prev);
    nnt__free(ws->grad);
    nnt__free(ws->logits);
    memset(ws, 0, sizeof *ws);
}

static float *alloc_floats(size_t rows, size_t cols, int *oom)
{
    if (cols && rows > SIZE_MAX / cols) {
        *oom = 1;
        return NULL;
    }
    float *p = nnt__malloc_array(rows * cols, sizeof(float));
    if (!p) *oom = 1;
    return p;
}

static int workspace_init(nnt_workspace *ws, const nnt_model *m, int max_batch, int training,
                          nnt_error *err)
{
    if (!ws || !m) return nnt_fail(err, NNT_ERR_ARG, "workspace: model and workspace must not be NULL");
    memset(ws, 0, sizeof *ws);
    if (max_batch <= 0)
        return nnt_fail(err, NNT_ERR_ARG, "workspace: max_batch must be > 0, got %d", max_batch);
    int L = m->n_layers;
    size_t nb = (size_t)max_batch, wmax = 0;
    for (int l = 1; l <= L; l++)
        if ((size_t)m->sizes[l] > wmax) wmax = (size_t)m->sizes[l];

    int oom = 0;
    ws->max_batch = max_batch;
    ws->n_layers = L;
    for (int l = 0; l <= L && !oom; l++) ws->act[l] = alloc_floats(nb, (size_t)m->sizes[l], &oom);
    for (int l = 0; l < L && !oom && training; l++)
        if (drop_rate(m, l) > 0.0f) ws->mask[l] = alloc_floats(nb, (size_t)m->sizes[l], &oom);
    if (!oom && training) ws->delta = alloc_floats(nb, wmax, &oom);
    if (!oom && training) ws->delta_prev = alloc_floats(nb, wmax, &oom);
    if (!oom && training) ws->grad = alloc_floats(m->n_params, 1, &oom);
    if (!oom) ws->logits = alloc_floats(nb, (size_t)m->sizes[L], &oom);
    if (oom) {
        nnt__workspace_free(ws);
        return nnt_fail(err, NNT_ERR_NOMEM, "workspace: out of memory for a batch of %d rows",
                        max_batch);
    }
    if (training) memset(ws->grad, 0, m->n_params * sizeof(float));
    return NNT_OK;
}

int nnt__workspace_init(nnt_workspace *ws, const nnt_model *m, int max_batch, nnt_error *err)
{
    return workspace_init(ws, m, max_batch, 1, err);
}

int nnt__workspace_init_forward(nnt_workspace *ws, const nnt_model *m, int max_batch,
                                nnt_error *err)
{
    return workspace_init(ws, m, max_batch, 0, err);
}

/* ---- Forward ----------------------------------------------------------------- */

/* Inverted dropout: x *= mask, mask = 0 with probability p else 1/(1-p), so
 * the expected activation is unchanged and inference needs no rescaling.
 * The mask buffer first receives raw 32-bit draws (two per 64-bit number;
 * ample resolution for a rate), then one vectorised pass turns them into
 * multipliers and applies them: no data-dependent branch to mispredict. */
static void dropout_forward(float *x, float *mask, size_t count, float p, nnt_rng *rng)
{
    uint32_t thresh = (uint32_t)((double)p * 4294967296.0); /* p * 2^32 < 2^32 for p < 1 */
    size_t i = 0;
    for (; i + 2 <= count; i += 2) {
        uint64_t r = nnt_rng_u64(rng);
        memcpy(mask + i, &r, sizeof r);
    }
    if (i < count) {
        uint32_t r = (uint32_t)nnt_rng_u64(rng);
        memcpy(mask + i, &r, sizeof r);
    }
    nnt__k_dropout_apply(x, mask, count, thresh, 1.0f / (1.0f - p));
}

void nnt__forward(const nnt_model *m, nnt_workspace *ws, int n, int training, nnt_rng *rng)
{
    assert(n >= 0 && n <= ws->max_batch && ws->n_layers == m->n_layers);
    int L = m->n_layers;
    ws->masks_live = 0;
    if (n <= 0) return;
    const float *P = m->params;
    nnt_activation hid = m->opt.activation;
    float param = act_param(m);
    int drop = 0;
    for (int l = 0; l < L; l++) {
        int in = m->sizes[l], out = m->sizes[l + 1];
        if (training && ws->mask[l]) {
            assert(rng);
            dropout_forward(ws->act[l], ws->mask[l], (size_t)n * (size_t)in, drop_rate(m, l), rng);
            drop = 1;
        }
        if (l < L - 1) {
            /* act[l+1] = f(act[l] W^T + b) */
            nnt__sgemm(0, 1, n, out, in, 1.0f, ws->act[l], in, P + m->w_off[l], in, 0.0f,
                       ws->act[l + 1], out);
            nnt__k_bias_act(hid, param, ws->act[l + 1], P + m->b_off[l], (size_t)n, (size_t)out);
        } else {
            /* z = act[l] W^T + b kept for the loss; act[L] = out(z) */
            nnt__sgemm(0, 1, n, out, in, 1.0f, ws->act[l], in, P + m->w_off[l], in, 0.0f,
                       ws->logits, out);
            nnt__k_bias_output(m->out_act, ws->logits, P + m->b_off[l], ws->act[L], (size_t)n,
                               (size_t)out);
        }
    }
    ws->masks_live = drop;
}

/* ---- Losses ------------------------------------------------------------------- */

static double loss_sum(const nnt_model *m, const nnt_workspace *ws, int n, const int32_t *labels,
                       const float *targets, float *delta, float scale)
{
    int L = m->n_layers;
    size_t k = (size_t)m->sizes[L], nn = (size_t)n;
    const float *z = ws->logits, *y = ws->act[L];
    switch (m->opt.loss) {
    case NNT_LOSS_BINARY_CROSS_ENTROPY:
    case NNT_LOSS_RECONSTRUCTION_CE:
        if (!targets) {
            assert(labels && k == 1);
            return delta ? nnt__k_bce_logits_labels_grad(z, y, labels, scale, delta, nn * k)
                         : nnt__k_bce_logits_labels(z, labels, nn * k);
        }
        return delta ? nnt__k_bce_logits_grad(z, y, targets, scale, delta, nn * k)
                     : nnt__k_bce_logits(z, targets, nn * k);
    case NNT_LOSS_SQUARED_ERROR:
        assert(targets);
        return delta ? nnt__k_sq_err_grad(y, targets, scale, delta, nn * k)
                     : nnt__k_sq_err(y, targets, nn * k);
    case NNT_LOSS_CROSS_ENTROPY:
    case NNT_LOSS_AUTO:
    default:
        assert(labels);
        return delta ? nnt__k_softmax_ce_grad(z, y, labels, scale, delta, nn, k)
                     : nnt__k_softmax_ce(z, labels, nn, k);
    }
}

double nnt__loss_delta(const nnt_model *m, nnt_workspace *ws, int n, const int32_t *labels,
                       const float *targets)
{
    if (n <= 0) return 0.0;
    return loss_sum(m, ws, n, labels, targets, ws->delta, 1.0f / (float)n) / (double)n;
}

double nnt__loss_value(const nnt_model *m, const nnt_workspace *ws, int n, const int32_t *labels,
                       const float *targets)
{
    if (n <= 0) return 0.0;
    return loss_sum(m, ws, n, labels, targets, NULL, 0.0f) / (double)n;
}

/* ---- Backward ----------------------------------------------------------------- */

/* The backward pass; with o, each layer's parameters are updated as soon as
 * nothing else needs their old values: after the layer's weight gradient and
 * the product delta W_l that reads its weights (its bias gradient was made a
 * layer earlier, by the pass that produced delta). The gradient and the
 * weights it was read with are then still in cache (the first layer's 784 x
 * 256 gradient is 800 KB, within a 1-2 MB L2). Measured on an AVX-512 Xeon:
 * no faster than the two calls in a row, since Adam there is bound by its
 * square roots and divisions, not by memory (bench/README.md). m's weights
 * are written only with o (nnt__backward passes NULL). */
static void backward_pass(const nnt_model *m, nnt_workspace *ws, int n, nnt_optim *o)
{
    int L = m->n_layers;
    float *G = ws->grad;
    float *P = m->params;
    nnt_activation hid = m->opt.activation;
    float param = act_param(m);
    float *delta = ws->delta, *prev = ws->delta_prev;

    /* The output layer's bias gradient; lower layers get theirs folded into
     * the activation-derivative pass that produces their delta. */
    nnt__k_colsum(delta, (size_t)n, (size_t)m->sizes[L], G + m->b_off[L - 1]);
    for (int l = L - 1; l >= 0; l--) {
        int in = m->sizes[l], out = m->sizes[l + 1];
        /* dW_l = delta^T act[l]   (out x in) */
        nnt__sgemm(1, 0, out, in, n, 1.0f, delta, out, ws->act[l], in, 0.0f, G + m->w_off[l], in);
        if (l > 0) {
            /* delta_prev = (delta W_l) * mask * f'(act[l])   (n x in) */
            nnt__sgemm(0, 0, n, in, out, 1.0f, delta, out, P + m->w_off[l], in, 0.0f, prev, in);
            float *db = G + m->b_off[l - 1];
            memset(db, 0, (size_t)in * sizeof(float));
            const float *mask = ws->masks_live ? ws->mask[l] : NULL;
            float keep = mask ? 1.0f - drop_rate(m, l) : 1.0f;
            nnt__k_act_backward(hid, param, keep, ws->act[l], mask, prev, db, (size_t)n,
                                (size_t)in);
        }
        if (o) nnt__optim_update(o, P, G, 2 * l, 2); /* W_l and b_l */
        float *t = delta;
        delta = prev;
        prev = t;
    }
}

void nnt__backward(const nnt_model *m, nnt_workspace *ws, int n)
{
    assert(n >= 0 && n <= ws->max_batch && ws->n_layers == m->n_layers);
    if (n <= 0) {
        memset(ws->grad, 0, m->n_params * sizeof(float));
        return;
    }
    backward_pass(m, ws, n, NULL);
}

/* 1 when o's ranges are the model's own (nnt__optim_model_ranges): W_l as
 * range 2l, b_l as range 2l+1. */
static int ranges_are_layers(const nnt_model *m, const nnt_optim *o)
{
    if (o->n_ranges != 2 * m->n_layers || o->n != m->n_params) return 0;
    for (int l = 0; l < m->n_layers; l++) {
        size_t out = (size_t)m->sizes[l + 1], in = (size_t)m->sizes[l];
        const nnt_param_range *w = &o->ranges[2 * l], *b = &o->ranges[2 * l + 1];
        if (w->off != m->w_off[l] || w->len != out * in || b->off != m->b_off[l] || b->len != out)
            return 0;
    }
    return 1;
}

void nnt__backward_update(nnt_model *m, nnt_workspace *ws, int n, nnt_optim *o, double lr)
{
    assert(n >= 0 && n <= ws->max_batch && ws->n_layers == m->n_layers);
    if (n <= 0 || !ranges_are_layers(m, o)) {
        nnt__backward(m, ws, n);
        nnt__optim_step(o, m->params, ws->grad, lr);
        return;
    }
    nnt__optim_begin(o, lr);
    backward_pass(m, ws, n, o);
}
