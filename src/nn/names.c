/* Names of activations, losses, optimisers, schedules and metrics (the
 * tables come from the X-macros next to the enums), and reading a metric
 * out of a metrics struct. */
#include <math.h>
#include <string.h>

#include "nntune/train.h"

/* The tables come from the X-macros next to the enums (nntune/activation.h,
 * nntune/model.h, nntune/train.h). */
#define NAME_(id, name) name,
static const char *const activation_names[] = {NNT_ACTIVATION_MAP(NAME_)};
static const char *const loss_names[] = {NNT_LOSS_MAP(NAME_)};
static const char *const optimizer_names[] = {NNT_OPTIMIZER_MAP(NAME_)};
static const char *const schedule_names[] = {NNT_SCHEDULE_MAP(NAME_)};
static const char *const metric_names[] = {NNT_METRIC_MAP(NAME_)};
#undef NAME_

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int find_name(const char *const *names, int n, const char *name, int first)
{
    if (!name) return -1;
    for (int i = first; i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

/* The name of value v of a table, "unknown" outside it. */
static const char *name_at(const char *const *names, int n, int v)
{
    return v >= 0 && v < n ? names[v] : "unknown";
}

/* nnt_X_from_name (-1 if unknown) and nnt_X_name ("unknown" outside the
 * enum) for each table. "auto" parses too (metrics, losses) so that a
 * printed default round-trips. */
#define NAME_FUNCTIONS(x, type, table)                                        \
    int nnt_##x##_from_name(const char *name)                                 \
    {                                                                         \
        return find_name(table, COUNT(table), name, 0);                       \
    }                                                                         \
    const char *nnt_##x##_name(type v) { return name_at(table, COUNT(table), (int)v); }

NAME_FUNCTIONS(activation, nnt_activation, activation_names)
NAME_FUNCTIONS(loss, nnt_loss, loss_names)
NAME_FUNCTIONS(optimizer, nnt_optimizer, optimizer_names)
NAME_FUNCTIONS(schedule, nnt_schedule, schedule_names)
NAME_FUNCTIONS(metric, nnt_metric, metric_names)
#undef NAME_FUNCTIONS

int nnt_metric_maximize(nnt_metric m) { return m == NNT_METRIC_ACCURACY || m == NNT_METRIC_R2; }

double nnt_metrics_get(const nnt_metrics *m, nnt_metric which)
{
    switch (which) {
    case NNT_METRIC_AUTO: return isnan(m->accuracy) ? m->loss : m->accuracy;
    case NNT_METRIC_LOSS: return m->loss;
    case NNT_METRIC_ACCURACY: return m->accuracy;
    case NNT_METRIC_RMSE: return m->rmse;
    case NNT_METRIC_MAE: return m->mae;
    case NNT_METRIC_R2: return m->r2;
    }
    return NAN;
}
