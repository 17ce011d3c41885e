/* Greedy layer-wise pretraining (see pretrain.h for the choices made). */
#include "nn/pretrain.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nn/evaluate.h"
#include "nn/optim.h"
#include "nn/schedule.h"
#include "nntune/clock.h"

/* Everything one layer's autoencoder owns. */
typedef struct ae_layer {
    nnt_model *ae;
    nnt_workspace ws;
    nnt_optim opt;
    float *targets;
} ae_layer;

static void ae_free(ae_layer *a)
{
    nnt__optim_free(&a->opt);
    nnt__workspace_free(&a->ws);
    nnt_model_free(a->ae);
    nnt__free(a->targets);
    memset(a, 0, sizeof *a);
}

static int ae_setup(ae_layer *a, const nnt_model *m, int k, int unit_input, int batch,
                    const nnt_train_options *o, uint64_t seed, nnt_error *err)
{
    memset(a, 0, sizeof *a);
    nnt_model_options ao = nnt_model_options_default();
    ao.inputs = m->sizes[k];
    ao.outputs = m->sizes[k];
    ao.n_hidden = 1;
    ao.hidden[0] = m->sizes[k + 1];
    ao.activation = m->opt.activation;
    ao.leaky_slope = m->opt.leaky_slope;
    ao.elu_alpha = m->opt.elu_alpha;
    ao.loss = unit_input ? NNT_LOSS_RECONSTRUCTION_CE : NNT_LOSS_SQUARED_ERROR;
    int rc = nnt_model_create(&ao, seed, &a->ae, err);
    if (rc < 0) return rc;
    rc = nnt__workspace_init(&a->ws, a->ae, batch, err);
    if (rc < 0) return rc;
    a->targets = nnt__malloc_array((size_t)batch * (size_t)ao.inputs, sizeof(float));
    if (!a->targets) return nnt_fail(err, NNT_ERR_NOMEM, "pretraining: out of memory");
    nnt_param_range ranges[NNT_OPTIM_MAX_RANGES];
    int nr = nnt__optim_model_ranges(a->ae, ranges);
    return nnt__optim_init(&a->opt, o, a->ae->n_params, ranges, nr, err);
}

int nnt__pretrain(nnt_model *m, nnt_workspace *ws, const nnt_dataset *ds, uint32_t *idx,
                  size_t n, const nnt_scaler *s, const nnt_train_options *o, uint64_t seed,
                  double t0, nnt_error *err)
{
    const int n_hidden = m->n_layers - 1;
    if (o->pretrain_epochs <= 0 || n_hidden <= 0 || n == 0) return NNT_OK;
    const int batch = (size_t)o->batch_size < n ? o->batch_size : (int)n;
    const int n_batches = (int)((n + (size_t)batch - 1) / (size_t)batch);
    if (batch > ws->max_batch)
        return nnt_fail(err, NNT_ERR_INTERNAL, "pretraining: batch %d exceeds workspace %d",
                        batch, ws->max_batch);

    /* Constant rate: the main rate's batch scaling applied to pretrain_lr. */
    nnt_train_options po = *o;
    po.lr = o->pretrain_lr > 0 ? o->pretrain_lr : o->lr;
    const double lr = nnt__schedule_base_lr(&po);

    nnt_rng shuffle;
    nnt_rng_seed(&shuffle, nnt_seed_derive(seed, 0));
    const float *xs = nnt_dataset_x(ds);
    const size_t F = nnt_dataset_features(ds);

    for (int k = 0; k < n_hidden; k++) {
        const int unit_input = k == 0 ? (s && s->kind == NNT_SCALE_PIXELS)
                                      : m->opt.activation == NNT_ACT_SIGMOID;
        const size_t in = (size_t)m->sizes[k];
        ae_layer a;
        int rc = ae_setup(&a, m, k, unit_input, batch, o, nnt_seed_derive(seed, 1 + (uint64_t)k),
                          err);
        if (rc < 0) {
            ae_free(&a);
            return rc;
        }
        for (int epoch = 1; epoch <= o->pretrain_epochs; epoch++) {
            nnt_rng_shuffle_u32(&shuffle, idx, n);
            double loss_sum = 0;
            for (int b = 0; b < n_batches; b++) {
                size_t start = (size_t)b * (size_t)batch;
                int nb = (int)(n - start < (size_t)batch ? n - start : (size_t)batch);
                float *x = a.ws.act[0];
                if (k == 0) {
                    for (int i = 0; i < nb; i++)
                        nnt__scale_row(s, xs + (size_t)idx[start + (size_t)i] * F,
                                       x + (size_t)i * F, F);
                } else {
                    nnt__gather_batch(ds, idx, start, nb, s, NNT_TASK_AUTO, ws->act[0], NULL,
                                      NULL);
                    nnt__forward(m, ws, nb, 0, NULL);
                    memcpy(x, ws->act[k], (size_t)nb * in * sizeof(float));
                }
                memcpy(a.targets, x, (size_t)nb * in * sizeof(float));
                nnt__forward(a.ae, &a.ws, nb, 0, NULL);
                double loss = nnt__loss_delta(a.ae, &a.ws, nb, NULL, a.targets);
                if (!isfinite(loss)) {
                    ae_free(&a);
                    nnt_fail(err, NNT_DIVERGED,
                             "pretraining layer %d, epoch %d: non-finite reconstruction loss",
                             k + 1, epoch);
                    return NNT_DIVERGED;
                }
                loss_sum += loss * nb;
                nnt__backward_update(a.ae, &a.ws, nb, &a.opt, lr);
                if (o->time_limit_s > 0 && nnt_clock_monotonic() - t0 > o->time_limit_s) {
                    ae_free(&a);
                    nnt_fail(err, NNT_TIMEOUT, "time limit of %g s reached during pretraining",
                             o->time_limit_s);
                    return NNT_TIMEOUT;
                }
            }
            if (o->progress) {
                nnt_progress p;
                memset(&p, 0, sizeof p);
                p.epoch = epoch;
                p.max_epochs = o->pretrain_epochs;
                p.batch = k + 1;
                p.n_batches = n_hidden;
                p.train.loss = loss_sum / (double)n;
                p.train.accuracy = p.train.rmse = p.train.mae = p.train.r2 = NAN;
                p.valid = p.train;
                p.valid.loss = NAN;
                p.monitored = p.train.loss;
                p.batch_loss = p.train.loss;
                p.lr = lr;
                p.elapsed_s = nnt_clock_monotonic() - t0;
                p.pretraining = 1;
                if (o->progress(&p, o->userdata) != 0) {
                    ae_free(&a);
                    return NNT_PRUNED;
                }
            }
        }
        /* The encoder (autoencoder layer 0) becomes layer k. */
        const nnt_model *ae = a.ae;
        memcpy(m->params + m->w_off[k], ae->params + ae->w_off[0],
               (size_t)m->sizes[k + 1] * in * sizeof(float));
        memcpy(m->params + m->b_off[k], ae->params + ae->b_off[0],
               (size_t)m->sizes[k + 1] * sizeof(float));
        ae_free(&a);
    }
    return NNT_OK;
}
