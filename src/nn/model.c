/* Model creation, options, parameter layout, initialisation and metadata.
 * The forward/backward engine lives in engine.c. */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nn/model_internal.h"

/* ---- Names ----------------------------------------------------------------- */
/* (the activation and loss names are in names.c, with the others) */

nnt_activation nnt__loss_output_activation(nnt_loss loss)
{
    switch (loss) {
    case NNT_LOSS_BINARY_CROSS_ENTROPY:
    case NNT_LOSS_RECONSTRUCTION_CE:
        return NNT_ACT_SIGMOID;
    case NNT_LOSS_SQUARED_ERROR:
        return NNT_ACT_IDENTITY;
    case NNT_LOSS_AUTO:
    case NNT_LOSS_CROSS_ENTROPY:
    default:
        return NNT_ACT_SOFTMAX;
    }
}

static nnt_task task_for_loss(nnt_loss loss)
{
    switch (loss) {
    case NNT_LOSS_BINARY_CROSS_ENTROPY: return NNT_TASK_BINARY;
    case NNT_LOSS_SQUARED_ERROR: return NNT_TASK_REGRESS;
    case NNT_LOSS_RECONSTRUCTION_CE: return NNT_TASK_AUTOENCODE;
    default: return NNT_TASK_CLASSIFY;
    }
}

/* ---- Options ----------------------------------------------------------------- */

nnt_model_options nnt_model_options_default(void)
{
    nnt_model_options o;
    memset(&o, 0, sizeof o);
    o.inputs = 0;
    o.outputs = 0;
    o.n_hidden = 2;
    o.hidden[0] = 128;
    o.hidden[1] = 64;
    o.activation = NNT_ACT_RELU;
    o.loss = NNT_LOSS_AUTO;
    o.input_dropout = 0.0f;
    o.leaky_slope = 0.01f;
    o.elu_alpha = 1.0f;
    return o;
}

static int bad_rate(float p) { return !(p >= 0.0f && p < 1.0f); } /* NaN-safe */

static int validate(const nnt_model_options *o, nnt_error *err)
{
    if (o->inputs <= 0)
        return nnt_fail(err, NNT_ERR_ARG, "inputs: must be > 0, got %d", o->inputs);
    if (o->outputs <= 0)
        return nnt_fail(err, NNT_ERR_ARG, "outputs: must be > 0, got %d", o->outputs);
    if (o->n_hidden < 0 || o->n_hidden > NNT_MAX_HIDDEN)
        return nnt_fail(err, NNT_ERR_ARG, "n_hidden: must be in [0, %d], got %d", NNT_MAX_HIDDEN,
                        o->n_hidden);
    for (int l = 0; l < o->n_hidden; l++)
        if (o->hidden[l] <= 0)
            return nnt_fail(err, NNT_ERR_ARG, "hidden[%d]: width must be > 0, got %d", l,
                            o->hidden[l]);
    if ((int)o->activation < 0 || (int)o->activation >= (int)NNT_ACT_SOFTMAX)
        return nnt_fail(err, NNT_ERR_ARG,
                        "activation: must be relu, leaky_relu, elu, tanh, sigmoid or identity "
                        "(softmax is for the output layer only), got %d",
                        (int)o->activation);
    if ((int)o->loss < 0 || (int)o->loss >= NNT_LOSS_COUNT)
        return nnt_fail(err, NNT_ERR_ARG, "loss: unknown loss %d", (int)o->loss);
    if ((o->loss == NNT_LOSS_CROSS_ENTROPY || o->loss == NNT_LOSS_AUTO) && o->outputs < 2)
        return nnt_fail(err, NNT_ERR_ARG,
                        "outputs: cross-entropy (softmax) needs >= 2 outputs, got %d; use "
                        "binary_cross_entropy for one output",
                        o->outputs);
    if (bad_rate(o->input_dropout))
        return nnt_fail(err, NNT_ERR_ARG, "input_dropout: must be in [0, 1), got %g",
                        (double)o->input_dropout);
    for (int l = 0; l < o->n_hidden; l++)
        if (bad_rate(o->dropout[l]))
            return nnt_fail(err, NNT_ERR_ARG, "dropout[%d]: must be in [0, 1), got %g", l,
                            (double)o->dropout[l]);
    /* The backward pass reads the derivative off the output, which needs f to
     * keep the sign of x (slope >= 0) and elu's y + alpha > 0 for x < 0. */
    if (o->activation == NNT_ACT_LEAKY_RELU && !(o->leaky_slope >= 0.0f && o->leaky_slope < 1.0f))
        return nnt_fail(err, NNT_ERR_ARG, "leaky_slope: must be in [0, 1), got %g",
                        (double)o->leaky_slope);
    if (o->activation == NNT_ACT_ELU && !(o->elu_alpha > 0.0f && isfinite(o->elu_alpha)))
        return nnt_fail(err, NNT_ERR_ARG, "elu_alpha: must be a finite value > 0, got %g",
                        (double)o->elu_alpha);
    return NNT_OK;
}

/* ---- Create / free / clone --------------------------------------------------- */

/* No names, no scaler (nothing freed: the caller owns what was there). */
static void clear_metadata(nnt_model *m)
{
    m->feature_names = NULL;
    m->class_names = NULL;
    m->target_name = NULL;
    m->n_features = 0;
    m->n_classes = 0;
    memset(&m->scaler, 0, sizeof m->scaler);
    m->scaler.kind = NNT_SCALE_NONE;
}

static void free_metadata(nnt_model *m)
{
    if (m->feature_names) {
        for (size_t j = 0; j < m->n_features; j++) nnt__free(m->feature_names[j]);
        nnt__free(m->feature_names);
    }
    if (m->class_names) {
        for (int c = 0; c < m->n_classes; c++) nnt__free(m->class_names[c]);
        nnt__free(m->class_names);
    }
    nnt__free(m->target_name);
    nnt_scaler_free(&m->scaler);
    nnt_schema_free(&m->schema);
    clear_metadata(m);
}

/* Xavier/He initialisation of all weights from rng, biases 0: hidden layers
 * He-normal (std sqrt(2/fan_in)) for relu, leaky_relu and elu, Glorot-uniform
 * (limit sqrt(6/(fan_in+fan_out))) otherwise; the output layer (softmax,
 * sigmoid, identity) is always Glorot-uniform. Draws layer by layer, W
 * row-major, so the same seed gives the same weights. */
static void nnt_model_init_weights(nnt_model *m, nnt_rng *rng)
{
    nnt_activation a = m->opt.activation;
    int he = a == NNT_ACT_RELU || a == NNT_ACT_LEAKY_RELU || a == NNT_ACT_ELU;
    for (int l = 0; l < m->n_layers; l++) {
        size_t in = (size_t)m->sizes[l], o = (size_t)m->sizes[l + 1];
        float *w = m->params + m->w_off[l];
        int hidden = l < m->n_layers - 1;
        if (hidden && he) {
            double sd = sqrt(2.0 / (double)in); /* He: Var = 2 / fan_in */
            for (size_t i = 0; i < o * in; i++) w[i] = (float)(sd * nnt_rng_normal(rng));
        } else {
            double lim = sqrt(6.0 / (double)(in + o)); /* Glorot: U(-lim, lim) */
            for (size_t i = 0; i < o * in; i++)
                w[i] = (float)(lim * (2.0 * nnt_rng_uniform(rng) - 1.0));
        }
        memset(m->params + m->b_off[l], 0, o * sizeof(float));
    }
}

void nnt_model_free(nnt_model *m)
{
    if (!m) return;
    free_metadata(m);
    nnt__ensemble_free_members(m);
    nnt__free(m->params);
    nnt__free(m);
}

int nnt_model_create(const nnt_model_options *opt, uint64_t seed, nnt_model **out, nnt_error *err)
{
    if (out) *out = NULL;
    if (!opt || !out) return nnt_fail(err, NNT_ERR_ARG, "model options and out must not be NULL");
    int rc = validate(opt, err);
    if (rc) return rc;

    nnt_model *m = nnt__calloc(1, sizeof *m);
    if (!m) return nnt_fail(err, NNT_ERR_NOMEM, "model: out of memory");
    m->opt = *opt;
    if (m->opt.loss == NNT_LOSS_AUTO) m->opt.loss = NNT_LOSS_CROSS_ENTROPY;
    /* Unused dropout slots are zeroed so clones and files compare equal. */
    for (int l = m->opt.n_hidden; l < NNT_MAX_HIDDEN; l++) {
        m->opt.dropout[l] = 0.0f;
        m->opt.hidden[l] = 0;
    }
    m->n_layers = opt->n_hidden + 1;
    m->sizes[0] = opt->inputs;
    for (int l = 0; l < opt->n_hidden; l++) m->sizes[l + 1] = opt->hidden[l];
    m->sizes[m->n_layers] = opt->outputs;

    size_t off = 0;
    for (int l = 0; l < m->n_layers; l++) {
        size_t in = (size_t)m->sizes[l], o = (size_t)m->sizes[l + 1];
        size_t limit = SIZE_MAX / sizeof(float) / 2;
        if (in > limit / o || in * o > limit - o || off > limit - in * o - o) {
            nnt__free(m);
            return nnt_fail(err, NNT_ERR_ARG, "layer %d: %zu x %zu weights overflow the parameter count",
                            l, o, in);
        }
        m->w_off[l] = off;
        off += o * in;
        m->b_off[l] = off;
        off += o;
    }
    m->n_params = off;
    m->out_act = nnt__loss_output_activation(m->opt.loss);
    m->task = task_for_loss(m->opt.loss);
    m->scaler.kind = NNT_SCALE_NONE;

    m->params = nnt__malloc_array(m->n_params, sizeof(float));
    if (!m->params) {
        nnt__free(m);
        return nnt_fail(err, NNT_ERR_NOMEM, "model: out of memory for %zu parameters", off);
    }
    nnt_rng rng;
    nnt_rng_seed(&rng, seed);
    nnt_model_init_weights(m, &rng);
    *out = m;
    return NNT_OK;
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s) return NULL;
    char *d = nnt__strdup(s);
    if (!d) *oom = 1;
    return d;
}

int nnt_model_clone(const nnt_model *m, nnt_model **out, nnt_error *err)
{
    if (out) *out = NULL;
    if (!m || !out) return nnt_fail(err, NNT_ERR_ARG, "clone: model and out must not be NULL");
    nnt_model *c = nnt__calloc(1, sizeof *c);
    if (!c) return nnt_fail(err, NNT_ERR_NOMEM, "clone: out of memory");
    *c = *m;
    c->params = NULL;
    c->members = NULL;
    c->n_members = 0;
    clear_metadata(c);
    memset(&c->schema, 0, sizeof c->schema);

    int oom = 0;
    c->params = nnt__malloc_array(m->n_params, sizeof(float));
    if (!c->params) oom = 1;
    else memcpy(c->params, m->params, m->n_params * sizeof(float));
    if (!oom && m->n_features && m->feature_names) {
        c->feature_names = nnt__calloc(m->n_features, sizeof(char *));
        if (!c->feature_names) oom = 1;
        else {
            c->n_features = m->n_features;
            for (size_t j = 0; j < m->n_features; j++)
                c->feature_names[j] = dup_or_null(m->feature_names[j], &oom);
        }
    }
    if (!oom && m->n_classes > 0 && m->class_names) {
        c->class_names = nnt__calloc((size_t)m->n_classes, sizeof(char *));
        if (!c->class_names) oom = 1;
        else {
            for (int k = 0; k < m->n_classes; k++)
                c->class_names[k] = dup_or_null(m->class_names[k], &oom);
        }
    }
    if (!oom) c->n_classes = m->n_classes;
    if (!oom) c->target_name = dup_or_null(m->target_name, &oom);
    if (oom) {
        if (c->class_names) c->n_classes = m->n_classes; /* so free sees every slot */
        nnt_model_free(c);
        return nnt_fail(err, NNT_ERR_NOMEM, "clone: out of memory");
    }
    if (m->scaler.kind != NNT_SCALE_NONE || m->scaler.features) {
        int rc = nnt_scaler_copy(&m->scaler, &c->scaler, err);
        if (rc) {
            memset(&c->scaler, 0, sizeof c->scaler);
            nnt_model_free(c);
            return rc;
        }
    }
    int src = nnt_schema_copy(&m->schema, &c->schema, err);
    if (src == NNT_OK) src = nnt__ensemble_clone_members(m, c, err);
    if (src) {
        nnt_model_free(c);
        return src;
    }
    *out = c;
    return NNT_OK;
}

/* ---- Accessors -------------------------------------------------------------- */

const nnt_model_options *nnt_model_get_options(const nnt_model *m) { return &m->opt; }
size_t nnt_model_num_params(const nnt_model *m) { return m->n_params; }
float *nnt_model_params(nnt_model *m) { return m->params; }
nnt_task nnt_model_task(const nnt_model *m) { return m->task; }
const nnt_scaler *nnt_model_scaler(const nnt_model *m) { return &m->scaler; }
int nnt_model_num_classes(const nnt_model *m) { return m->n_classes; }

const char *nnt_model_class_name(const nnt_model *m, int c)
{
    if (!m->class_names || c < 0 || c >= m->n_classes) return NULL;
    return m->class_names[c];
}

const char *nnt_model_feature_name(const nnt_model *m, size_t j)
{
    if (!m->feature_names || j >= m->n_features) return NULL;
    return m->feature_names[j];
}

const char *nnt_model_target_name(const nnt_model *m) { return m->target_name; }

/* ---- Metadata ---------------------------------------------------------------- */

int nnt_model_set_metadata_from(nnt_model *m, const nnt_dataset *train_ds, nnt_task task,
                                const nnt_scaler *scaler, nnt_error *err)
{
    if (!m) return nnt_fail(err, NNT_ERR_ARG, "set_metadata: model must not be NULL");
    if (train_ds && nnt_dataset_features(train_ds) != (size_t)m->opt.inputs)
        return nnt_fail(err, NNT_ERR_ARG,
                        "set_metadata: the data set has %zu features but the model has %d inputs",
                        nnt_dataset_features(train_ds), m->opt.inputs);
    if (scaler && scaler->kind != NNT_SCALE_NONE && scaler->features != (size_t)m->opt.inputs)
        return nnt_fail(err, NNT_ERR_ARG,
                        "set_metadata: the scaler has %zu features but the model has %d inputs",
                        scaler->features, m->opt.inputs);

    /* Build everything aside and swap at the end: on failure the model keeps
     * its old metadata. */
    nnt_model tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.scaler.kind = NNT_SCALE_NONE;
    int oom = 0;
    if (train_ds) {
        size_t nf = nnt_dataset_features(train_ds);
        if (nf) {
            tmp.feature_names = nnt__calloc(nf, sizeof(char *));
            if (!tmp.feature_names) oom = 1;
            else {
                tmp.n_features = nf;
                for (size_t j = 0; j < nf && !oom; j++)
                    tmp.feature_names[j] = dup_or_null(nnt_dataset_feature_name(train_ds, j), &oom);
            }
        }
        int nc = nnt_dataset_num_classes(train_ds);
        if (!oom && nc > 0) {
            tmp.class_names = nnt__calloc((size_t)nc, sizeof(char *));
            if (!tmp.class_names) oom = 1;
            else {
                tmp.n_classes = nc;
                for (int c = 0; c < nc && !oom; c++)
                    tmp.class_names[c] = dup_or_null(nnt_dataset_class_name(train_ds, c), &oom);
            }
        }
        if (!oom) tmp.target_name = dup_or_null(nnt_dataset_target_name(train_ds), &oom);
        const nnt_schema *sch = nnt_dataset_schema(train_ds);
        if (!oom && sch && nnt_schema_features(sch) == nf &&
            nnt_schema_copy(sch, &tmp.schema, NULL) < 0)
            oom = 1;
    }
    if (oom) {
        free_metadata(&tmp);
        return nnt_fail(err, NNT_ERR_NOMEM, "set_metadata: out of memory");
    }
    if (scaler && (scaler->kind != NNT_SCALE_NONE || scaler->features)) {
        int rc = nnt_scaler_copy(scaler, &tmp.scaler, err);
        if (rc) {
            memset(&tmp.scaler, 0, sizeof tmp.scaler);
            free_metadata(&tmp);
            return rc;
        }
    }
    free_metadata(m);
    m->task = task == NNT_TASK_AUTO ? task_for_loss(m->opt.loss) : task;
    m->scaler = tmp.scaler;
    m->n_features = tmp.n_features;
    m->feature_names = tmp.feature_names;
    m->target_name = tmp.target_name;
    m->n_classes = tmp.n_classes;
    m->class_names = tmp.class_names;
    m->schema = tmp.schema;
    return NNT_OK;
}

const nnt_schema *nnt_model_schema(const nnt_model *m)
{
    return m && m->schema.n_columns ? &m->schema : NULL;
}
