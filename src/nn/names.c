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

int nnt_activation_from_name(const char *name)
{
    return find_name(activation_names, COUNT(activation_names), name, 0);
}

const char *nnt_activation_name(nnt_activation a)
{
    return name_at(activation_names, COUNT(activation_names), (int)a);
}

int nnt_loss_from_name(const char *name)
{
    return find_name(loss_names, COUNT(loss_names), name, 0);
}

const char *nnt_loss_name(nnt_loss l)
{
    return name_at(loss_names, COUNT(loss_names), (int)l);
}

int nnt_optimizer_from_name(const char *name)
{
    return find_name(optimizer_names, COUNT(optimizer_names), name, 0);
}

const char *nnt_optimizer_name(nnt_optimizer o)
{
    return name_at(optimizer_names, COUNT(optimizer_names), (int)o);
}

int nnt_schedule_from_name(const char *name)
{
    return find_name(schedule_names, COUNT(schedule_names), name, 0);
}

const char *nnt_schedule_name(nnt_schedule s)
{
    return name_at(schedule_names, COUNT(schedule_names), (int)s);
}

/* "auto" parses too so that a printed default round-trips. */
int nnt_metric_from_name(const char *name)
{
    return find_name(metric_names, COUNT(metric_names), name, 0);
}

const char *nnt_metric_name(nnt_metric m)
{
    return name_at(metric_names, COUNT(metric_names), (int)m);
}

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
