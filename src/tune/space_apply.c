/* The parameter names a space may use: their domains, the checks of ranges
 * and choices against them, and how a trial's values land in the model and
 * training options. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tune/space_internal.h"

/* ==== Names and domains ====================================================== */

#define INF_ INFINITY
static const space_domain domains[] = {
    {"hidden_layers", DOM_INT, 0, NNT_MAX_HIDDEN, 0, 0},
    {"neurons", DOM_INT, 1, 1e7, 0, 0},
    {"neurons_K", DOM_INT, 1, 1e7, 0, 0}, /* neurons_1 .. neurons_16 */
    {"activation", DOM_ACTIVATION, 0, 0, 0, 0},
    {"optimizer", DOM_OPTIMIZER, 0, 0, 0, 0},
    {"lr", DOM_REAL, 0, INF_, 1, 0},
    {"momentum", DOM_REAL, 0, 1, 0, 1},
    {"beta1", DOM_REAL, 0, 1, 0, 1},
    {"beta2", DOM_REAL, 0, 1, 0, 1},
    {"batch_size", DOM_INT, 1, 1e9, 0, 0},
    {"scale_lr", DOM_BOOL, 0, 1, 0, 0},
    {"epochs", DOM_INT, 1, 1e9, 0, 0},
    {"patience", DOM_INT, 1, 1e9, 0, 0},
    {"min_delta", DOM_REAL, 0, INF_, 0, 0},
    {"early_stopping", DOM_BOOL, 0, 1, 0, 0},
    {"dropout", DOM_REAL, 0, 1, 0, 1},
    {"input_dropout", DOM_REAL, 0, 1, 0, 1},
    {"weight_decay", DOM_REAL, 0, INF_, 0, 0},
    {"schedule", DOM_SCHEDULE, 0, 0, 0, 0},
    {"warmup", DOM_INT, 0, 1e9, 0, 0},
    {"step_gamma", DOM_REAL, 0, INF_, 1, 0},
    {"step_epochs", DOM_INT, 1, 1e9, 0, 0},
    {"pretrain", DOM_BOOL, 0, 1, 0, 0},
    {"pretrain_epochs", DOM_INT, 0, 1e9, 0, 0},
    {"leaky_slope", DOM_REAL, 0, 1, 0, 0},
};
#define N_DOMAINS ((int)(sizeof domains / sizeof domains[0]))

const char *nnt_space_known_params(void)
{
    return "hidden_layers, neurons, neurons_1..neurons_16, activation, optimizer, lr, momentum, "
           "beta1, beta2, batch_size, scale_lr, epochs, patience, min_delta, early_stopping, "
           "dropout, input_dropout, weight_decay, schedule, warmup, step_gamma, step_epochs, "
           "pretrain, pretrain_epochs, leaky_slope";
}

/* Layer number K of "neurons_K" (1..16, no leading zeros), 0 otherwise. */
static int layer_param(const char *name)
{
    if (strncmp(name, "neurons_", 8) != 0) return 0;
    const char *d = name + 8;
    if (*d < '1' || *d > '9') return 0;
    int k = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || k > SPACE_MAX_LAYER_PARAM) return 0;
        k = 10 * k + (*d - '0');
    }
    return k <= SPACE_MAX_LAYER_PARAM ? k : 0;
}

const space_domain *nnt__space_domain_find(const char *name)
{
    if (!name) return NULL;
    if (layer_param(name)) return &domains[2];
    for (int i = 0; i < N_DOMAINS; i++)
        if (i != 2 && strcmp(domains[i].name, name) == 0) return &domains[i];
    return NULL;
}

static const char *describe(const space_domain *d, char *buf, size_t size)
{
    char a[32], b[32];
    nnt__space_fmt_double(a, d->min);
    nnt__space_fmt_double(b, d->max);
    switch (d->kind) {
    case DOM_BOOL: snprintf(buf, size, "0, 1, true or false"); break;
    case DOM_INT:
        if (d->max >= 1e7) snprintf(buf, size, "an integer >= %s", a);
        else snprintf(buf, size, "an integer in [%s, %s]", a, b);
        break;
    case DOM_REAL:
        if (isinf(d->max)) snprintf(buf, size, "a number %s %s", d->min_open ? ">" : ">=", a);
        else
            snprintf(buf, size, "a number in %s%s, %s%s", d->min_open ? "(" : "[", a, b,
                     d->max_open ? ")" : "]");
        break;
    default: snprintf(buf, size, "a name"); break;
    }
    return buf;
}

static int in_domain(const space_domain *d, double v)
{
    if (!isfinite(v)) return 0;
    if (d->kind == DOM_INT || d->kind == DOM_BOOL)
        if (v != floor(v)) return 0;
    if (d->min_open ? v <= d->min : v < d->min) return 0;
    if (d->max_open ? v >= d->max : v > d->max) return 0;
    return 1;
}

/* "a, b, c": the names of a string domain, from the tables next to the
 * enums (softmax, an output activation only, left out). */
static const char *names_of(space_domain_kind k, char *buf, size_t n)
{
    int count = k == DOM_ACTIVATION  ? NNT_ACT_SOFTMAX
              : k == DOM_OPTIMIZER ? NNT_OPTIMIZER_COUNT
              : k == DOM_SCHEDULE  ? NNT_SCHEDULE_COUNT
                                   : 0;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && used < n; i++) {
        const char *name = k == DOM_ACTIVATION  ? nnt_activation_name((nnt_activation)i)
                         : k == DOM_OPTIMIZER ? nnt_optimizer_name((nnt_optimizer)i)
                                              : nnt_schedule_name((nnt_schedule)i);
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", name);
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}

static const char *kind_word(space_domain_kind k)
{
    switch (k) {
    case DOM_ACTIVATION: return "activation";
    case DOM_OPTIMIZER: return "optimizer";
    default: return "schedule";
    }
}

/* Enum value of a name in a string domain, -1 if unknown. */
static int name_code(space_domain_kind k, const char *text)
{
    switch (k) {
    case DOM_ACTIVATION: {
        int a = nnt_activation_from_name(text);
        return a == NNT_ACT_SOFTMAX ? -1 : a; /* softmax is for output layers only */
    }
    case DOM_OPTIMIZER: return nnt_optimizer_from_name(text);
    case DOM_SCHEDULE: return nnt_schedule_from_name(text);
    default: return -1;
    }
}

static int is_string_domain(space_domain_kind k)
{
    return k == DOM_ACTIVATION || k == DOM_OPTIMIZER || k == DOM_SCHEDULE;
}

/* Checks one value of a choice list / fixed value against the domain. */
static int check_value(const space_domain *d, const char *name, const space_value *v,
                       const char *where, nnt_error *err)
{
    char buf[96], names[128];
    if (is_string_domain(d->kind)) {
        if (v->kind != SV_STRING || name_code(d->kind, v->text) < 0)
            return nnt_fail(err, NNT_ERR_ARG, "%s: unknown %s \"%s\"; expected one of %s", where,
                            kind_word(d->kind), v->text, names_of(d->kind, names, sizeof names));
        return NNT_OK;
    }
    if (d->kind == DOM_BOOL && v->kind == SV_STRING &&
        (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0))
        return NNT_OK;
    if (v->kind == SV_STRING)
        return nnt_fail(err, NNT_ERR_ARG, "%s: %s takes %s, got \"%s\"", where, name,
                        describe(d, buf, sizeof buf), v->text);
    if (!in_domain(d, v->num))
        return nnt_fail(err, NNT_ERR_ARG, "%s: %s takes %s, got %s", where, name,
                        describe(d, buf, sizeof buf), v->text);
    return NNT_OK;
}

static const char *sub(char *buf, size_t size, const char *path, const char *key, int keyed)
{
    snprintf(buf, size, keyed ? "%s.%s" : "%s (%s)", path, key);
    return buf;
}

/* A user objective's parameter name: 1-64 characters, letters, digits,
 * '_', '-' and '.', so that it reads the same in JSON, in --param NAME=SPEC
 * and in conditions ("PARENT=A,B"). */
static int user_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64) return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-' || *c == '.'))
            return 0;
    return 1;
}

int nnt__space_check_param(const space_param *p, const char *path, int keyed, int any_names,
                           nnt_error *err)
{
    char where[200], num[32], num2[32], buf[96];
    const space_domain *d = any_names ? NULL : nnt__space_domain_find(p->name);
    if (!d && !any_names)
        return nnt_fail(err, NNT_ERR_ARG, "%s: unknown parameter; expected one of %s", path,
                        nnt_space_known_params());
    if (any_names && !user_name_ok(p->name))
        return nnt_fail(err, NNT_ERR_ARG,
                        "%s: expected a name of 1-64 letters, digits, '_', '-' or '.'", path);
    switch (p->kind) {
    case NNT_PARAM_INT:
    case NNT_PARAM_FLOAT: {
        char names[128];
        if (d && is_string_domain(d->kind))
            return nnt_fail(err, NNT_ERR_ARG,
                            "%s: %s takes names (%s), not a numeric range; use a list of choices",
                            path, p->name, names_of(d->kind, names, sizeof names));
        if (d && p->kind == NNT_PARAM_FLOAT && d->kind != DOM_REAL)
            return nnt_fail(err, NNT_ERR_ARG, "%s: %s takes integers; use \"type\": \"int\"",
                            sub(where, sizeof where, path, "type", keyed), p->name);
        if (!isfinite(p->low))
            return nnt_fail(err, NNT_ERR_ARG, "%s: expected a finite number",
                            sub(where, sizeof where, path, "low", keyed));
        if (!isfinite(p->high))
            return nnt_fail(err, NNT_ERR_ARG, "%s: expected a finite number",
                            sub(where, sizeof where, path, "high", keyed));
        if (p->low > p->high)
            return nnt_fail(err, NNT_ERR_ARG, "%s: low (%s) > high (%s); expected low <= high",
                            path, nnt__space_fmt_double(num, p->low), nnt__space_fmt_double(num2, p->high));
        if (p->log && p->low <= 0)
            return nnt_fail(err, NNT_ERR_ARG, "%s: expected a number > 0 for a log scale, got %s",
                            sub(where, sizeof where, path, "low", keyed),
                            nnt__space_fmt_double(num, p->low));
        if (p->step < 0 || !isfinite(p->step))
            return nnt_fail(err, NNT_ERR_ARG, "%s: expected a number > 0",
                            sub(where, sizeof where, path, "step", keyed));
        if (p->points < 0)
            return nnt_fail(err, NNT_ERR_ARG, "%s: expected an integer >= 1",
                            sub(where, sizeof where, path, "points", keyed));
        if (p->kind == NNT_PARAM_INT && p->step != floor(p->step))
            return nnt_fail(err, NNT_ERR_ARG, "%s: expected an integer step for %s, got %s",
                            sub(where, sizeof where, path, "step", keyed), p->name,
                            nnt__space_fmt_double(num, p->step));
        if (!d) return NNT_OK;
        if (!in_domain(d, p->low))
            return nnt_fail(err, NNT_ERR_ARG, "%s: %s takes %s, got %s",
                            sub(where, sizeof where, path, "low", keyed), p->name,
                            describe(d, buf, sizeof buf), nnt__space_fmt_double(num, p->low));
        if (!in_domain(d, p->high))
            return nnt_fail(err, NNT_ERR_ARG, "%s: %s takes %s, got %s",
                            sub(where, sizeof where, path, "high", keyed), p->name,
                            describe(d, buf, sizeof buf), nnt__space_fmt_double(num, p->high));
        return NNT_OK;
    }
    case NNT_PARAM_CATEGORICAL:
    case NNT_PARAM_FIXED:
        if (p->n_choices < 1)
            return nnt_fail(err, NNT_ERR_ARG, "%s: expected a non-empty list of choices",
                            sub(where, sizeof where, path, "choices", keyed));
        if (p->kind == NNT_PARAM_FIXED && p->n_choices != 1)
            return nnt_fail(err, NNT_ERR_INTERNAL, "%s: a fixed parameter holds one value", path);
        for (int c = 0; c < p->n_choices; c++) {
            if (p->kind == NNT_PARAM_FIXED) sub(where, sizeof where, path, "value", keyed);
            else if (keyed) snprintf(where, sizeof where, "%s.choices[%d]", path, c);
            else snprintf(where, sizeof where, "%s (choice %d)", path, c + 1);
            int rc = d ? check_value(d, p->name, &p->choices[c], where, err) : NNT_OK;
            if (rc != NNT_OK) return rc;
            for (int e = 0; e < c; e++) {
                const space_value *a = &p->choices[e], *b = &p->choices[c];
                int same = a->kind != SV_STRING && b->kind != SV_STRING ? a->num == b->num
                                                                        : strcmp(a->text, b->text) == 0;
                if (same)
                    return nnt_fail(err, NNT_ERR_ARG, "%s: \"%s\" repeats an earlier choice", where,
                                    b->text);
            }
        }
        return NNT_OK;
    }
    return nnt_fail(err, NNT_ERR_INTERNAL, "%s: unknown parameter kind", path);
}

/* ==== Applying a trial ======================================================== */

/* One active parameter's value: a number (ints, floats, numeric and boolean
 * choices) or a name. */
typedef struct applied {
    int present;
    double num;
    const char *text; /* string choices; NULL for numbers */
} applied;

static int value_of(const nnt_space *s, int i, const double *x, applied *out, nnt_error *err)
{
    const space_param *p = &s->p[i];
    const space_domain *d = nnt__space_domain_find(p->name);
    char buf[96];
    if (!d)
        return nnt_fail(err, NNT_ERR_ARG, "params.%s: unknown parameter; expected one of %s",
                        p->name, nnt_space_known_params());
    out->present = 1;
    out->text = NULL;
    if (p->kind == NNT_PARAM_INT || p->kind == NNT_PARAM_FLOAT) {
        out->num = x[i];
    } else {
        double xi = x[i];
        int k = (int)xi;
        if (!(xi >= 0) || xi != k || k >= p->n_choices)
            return nnt_fail(err, NNT_ERR_ARG, "params.%s: choice index %g out of range [0, %d)",
                            p->name, xi, p->n_choices);
        const space_value *v = &p->choices[k];
        if (v->kind == SV_STRING) {
            if (d->kind == DOM_BOOL) {
                out->num = strcmp(v->text, "true") == 0;
            } else {
                out->text = v->text;
                out->num = NAN;
            }
        } else {
            out->num = v->num;
        }
    }
    if (is_string_domain(d->kind)) {
        char names[128];
        if (!out->text || name_code(d->kind, out->text) < 0)
            return nnt_fail(err, NNT_ERR_ARG, "params.%s: unknown %s \"%s\"; expected one of %s",
                            p->name, kind_word(d->kind), out->text ? out->text : "(number)",
                            names_of(d->kind, names, sizeof names));
    } else if (out->text || !in_domain(d, out->num)) {
        char num[32];
        return nnt_fail(err, NNT_ERR_ARG, "params.%s: %s takes %s, got %s", p->name, p->name,
                        describe(d, buf, sizeof buf),
                        out->text ? out->text : nnt__space_fmt_double(num, out->num));
    }
    return NNT_OK;
}

enum {
    A_HIDDEN, A_NEURONS, A_ACT, A_OPT, A_LR, A_MOM, A_BETA1, A_BETA2, A_BATCH, A_SCALE_LR,
    A_EPOCHS, A_PATIENCE, A_MIN_DELTA, A_EARLY, A_DROPOUT, A_IN_DROPOUT, A_WD, A_SCHED,
    A_WARMUP, A_GAMMA, A_STEP_EPOCHS, A_PRETRAIN, A_PRETRAIN_EPOCHS, A_LEAKY, A_COUNT
};

/* Indexes in the domains table of the A_* slots (neurons_K excluded). */
static const int slot_domain[A_COUNT] = {0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                         14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};

/* Epochs of layer-wise pretraining when a space turns pretraining on without
 * saying how long. */
#define DEFAULT_PRETRAIN_EPOCHS 5

int nnt_space_apply(const nnt_space *s, const double *x, const uint8_t *active,
                    nnt_model_options *mopt, nnt_train_options *topt, nnt_error *err)
{
    if (!s || !x || !active || !mopt || !topt)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_space_apply: NULL argument");
    applied a[A_COUNT];
    applied layer[SPACE_MAX_LAYER_PARAM + 1];
    memset(a, 0, sizeof a);
    memset(layer, 0, sizeof layer);
    for (int i = 0; i < s->n; i++) {
        if (!active[i]) continue;
        const char *name = s->p[i].name;
        int k = layer_param(name);
        applied *dst = NULL;
        if (k) {
            dst = &layer[k];
        } else {
            for (int slot = 0; slot < A_COUNT; slot++)
                if (strcmp(domains[slot_domain[slot]].name, name) == 0) dst = &a[slot];
        }
        if (!dst)
            return nnt_fail(err, NNT_ERR_ARG, "params.%s: unknown parameter; expected one of %s",
                            name, nnt_space_known_params());
        int rc = value_of(s, i, x, dst, err);
        if (rc != NNT_OK) return rc;
    }

    /* Architecture: depth first, then one width for all, then per-layer widths. */
    nnt_model_options m = *mopt;
    if (a[A_HIDDEN].present) m.n_hidden = (int)a[A_HIDDEN].num;
    if (a[A_NEURONS].present)
        for (int l = 0; l < NNT_MAX_HIDDEN; l++) m.hidden[l] = (int)a[A_NEURONS].num;
    for (int k = 1; k <= SPACE_MAX_LAYER_PARAM; k++)
        if (layer[k].present) m.hidden[k - 1] = (int)layer[k].num;
    for (int l = 0; l < m.n_hidden; l++)
        if (m.hidden[l] < 1)
            return nnt_fail(err, NNT_ERR_ARG,
                            "params: hidden layer %d has no width (%d hidden layers); add neurons "
                            "or neurons_%d to the space",
                            l + 1, m.n_hidden, l + 1);
    if (a[A_ACT].present) m.activation = (nnt_activation)nnt_activation_from_name(a[A_ACT].text);
    if (a[A_LEAKY].present) m.leaky_slope = (float)a[A_LEAKY].num;
    if (a[A_DROPOUT].present)
        for (int l = 0; l < NNT_MAX_HIDDEN; l++) m.dropout[l] = (float)a[A_DROPOUT].num;
    if (a[A_IN_DROPOUT].present) m.input_dropout = (float)a[A_IN_DROPOUT].num;

    nnt_train_options t = *topt;
    if (a[A_OPT].present) t.optimizer = (nnt_optimizer)nnt_optimizer_from_name(a[A_OPT].text);
    if (a[A_LR].present) t.lr = a[A_LR].num;
    if (a[A_MOM].present) t.momentum = a[A_MOM].num;
    if (a[A_BETA1].present) t.beta1 = a[A_BETA1].num;
    if (a[A_BETA2].present) t.beta2 = a[A_BETA2].num;
    if (a[A_WD].present) t.weight_decay = a[A_WD].num;
    if (a[A_BATCH].present) t.batch_size = (int)a[A_BATCH].num;
    if (a[A_SCALE_LR].present) t.scale_lr_with_batch = a[A_SCALE_LR].num != 0;
    if (a[A_SCHED].present) t.schedule = (nnt_schedule)nnt_schedule_from_name(a[A_SCHED].text);
    if (a[A_WARMUP].present) t.warmup_epochs = (int)a[A_WARMUP].num;
    if (a[A_GAMMA].present) t.step_gamma = a[A_GAMMA].num;
    if (a[A_STEP_EPOCHS].present) t.step_epochs = (int)a[A_STEP_EPOCHS].num;
    if (a[A_EPOCHS].present) t.max_epochs = (int)a[A_EPOCHS].num;
    if (a[A_PATIENCE].present) t.patience = (int)a[A_PATIENCE].num;
    if (a[A_MIN_DELTA].present) t.min_delta = a[A_MIN_DELTA].num;
    if (a[A_EARLY].present) t.early_stopping = a[A_EARLY].num != 0;
    /* pretrain switches pretraining on or off; pretrain_epochs says how long. */
    if (a[A_PRETRAIN_EPOCHS].present) t.pretrain_epochs = (int)a[A_PRETRAIN_EPOCHS].num;
    if (a[A_PRETRAIN].present) {
        if (a[A_PRETRAIN].num == 0) t.pretrain_epochs = 0;
        else if (!a[A_PRETRAIN_EPOCHS].present && t.pretrain_epochs <= 0)
            t.pretrain_epochs = DEFAULT_PRETRAIN_EPOCHS;
    }
    *mopt = m;
    *topt = t;
    return NNT_OK;
}
