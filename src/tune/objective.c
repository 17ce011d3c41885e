/* Objectives through the public interface (objective.h): the view of a
 * trial's parameters, the trial handle behind nnt_trial_report, and the
 * runner that calls an objective's evaluate() for a worker and turns what
 * it returns into the outcome the coordinator is told. The MLP trainer
 * (study_objective.c) runs through the same runner. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/space_internal.h"
#include "tune/study_internal.h"

/* ---- parameters ------------------------------------------------------------ */

int nnt_params_count(const nnt_params *p)
{
    return p ? nnt_space_size(p->space) : 0;
}

const char *nnt_params_name(const nnt_params *p, int i)
{
    if (!p || i < 0 || i >= p->space->n) return NULL;
    return p->space->p[i].name;
}

/* Slot of an active parameter, -1 otherwise. */
static int active_slot(const nnt_params *p, const char *name)
{
    if (!p || !name) return -1;
    int i = nnt_space_find(p->space, name);
    return i >= 0 && p->active[i] ? i : -1;
}

int nnt_params_has(const nnt_params *p, const char *name)
{
    return active_slot(p, name) >= 0;
}

double nnt_params_number(const nnt_params *p, const char *name, double fallback)
{
    int i = active_slot(p, name);
    if (i < 0) return fallback;
    const space_param *sp = &p->space->p[i];
    if (sp->kind == NNT_PARAM_INT || sp->kind == NNT_PARAM_FLOAT) return p->x[i];
    int c = (int)p->x[i];
    if (c < 0 || c >= sp->n_choices) return fallback;
    const space_value *v = &sp->choices[c];
    return v->kind == SV_STRING ? fallback : v->num;
}

const char *nnt_params_text(const nnt_params *p, const char *name)
{
    int i = active_slot(p, name);
    if (i < 0) return NULL;
    const space_param *sp = &p->space->p[i];
    if (sp->kind == NNT_PARAM_INT || sp->kind == NNT_PARAM_FLOAT) return p->num_text[i];
    return nnt_space_choice(p->space, i, (int)p->x[i]);
}

const char *nnt_params_json(const nnt_params *p)
{
    return p && p->json ? p->json : "{}";
}

/* ---- the trial handle ------------------------------------------------------- */

int nnt__study_trial_send_report(nnt_trial *t, const nnt_report_msg *r)
{
    int a = t->ops->report(t->ops->ctx, t->worker, r);
    if (a != NNT_REPORT_CONTINUE) t->answer = a;
    return a;
}

static int over_time_limit(const nnt_trial *t)
{
    return t->time_limit_s > 0 && nnt_clock_monotonic() - t->t0 > t->time_limit_s;
}

int nnt_trial_should_stop(const nnt_trial *t)
{
    if (!t) return 1;
    if (t->answer != NNT_REPORT_CONTINUE) return 1;
    nnt_trial *m = (nnt_trial *)t; /* remembers why, as a report would */
    const nnt_coordinator_ops *ops = t->ops;
    if (ops->stopping && ops->stopping(ops->ctx)) {
        m->answer = NNT_REPORT_ABORT;
        return 1;
    }
    double d = ops->deadline ? ops->deadline(ops->ctx) : t->task->deadline;
    if (d > 0 && nnt_clock_monotonic() >= d) {
        m->answer = NNT_REPORT_ABORT;
        return 1;
    }
    if (over_time_limit(t)) {
        m->answer = NNT_REPORT_TIME_LIMIT;
        return 1;
    }
    return 0;
}

int nnt_trial_report(nnt_trial *t, int step, double value)
{
    if (!t || step != t->last_step + 1) return NNT_ERR_ARG;
    if (t->answer != NNT_REPORT_CONTINUE) return NNT_PRUNED; /* already told to stop */
    t->last_step = step;
    if (isfinite(value) && (!isfinite(t->best) || (t->maximize ? value > t->best : value < t->best)))
        t->best = value;
    nnt_progress p;
    memset(&p, 0, sizeof p);
    p.epoch = step;
    p.max_epochs = t->max_steps > 0 ? t->max_steps : 0;
    p.train.loss = p.train.accuracy = p.train.rmse = p.train.mae = p.train.r2 = NAN;
    p.valid = p.train;
    /* The value goes to the column of the study's metric (loss for names
     * that are not nntune metrics), where pruners and reports read it. */
    switch (t->column) {
    case NNT_METRIC_ACCURACY: p.valid.accuracy = value; break;
    case NNT_METRIC_RMSE: p.valid.rmse = value; break;
    case NNT_METRIC_MAE: p.valid.mae = value; break;
    case NNT_METRIC_R2: p.valid.r2 = value; break;
    default: p.valid.loss = value; break;
    }
    p.has_valid = 1;
    p.monitored = value;
    p.lr = NAN;
    p.elapsed_s = nnt_clock_monotonic() - t->t0;
    nnt_report_msg r;
    r.number = t->task->number;
    r.fold = 0;
    r.n_folds = 1;
    r.progress = &p;
    r.value = value;
    int a = nnt__study_trial_send_report(t, &r);
    if (a == NNT_REPORT_CONTINUE && over_time_limit(t)) t->answer = a = NNT_REPORT_TIME_LIMIT;
    return a == NNT_REPORT_CONTINUE ? 0 : NNT_PRUNED;
}

int nnt_trial_number(const nnt_trial *t)
{
    return t ? t->task->number : -1;
}

uint64_t nnt_trial_seed(const nnt_trial *t)
{
    return t ? t->task->seed : 0;
}

/* ---- the runner ------------------------------------------------------------- */

static void copy_text(char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    if (l >= n) l = n - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

static void fail_outcome(nnt_trial_outcome *out, const char *why)
{
    out->state = NNT_TRIAL_FAILED;
    out->value = NAN;
    out->n_values = 0;
    copy_text(out->error, sizeof out->error, why);
}

/* Runs one trial through the objective and fills out. Never fails as a
 * call: failures become a failed outcome. */
static void study_run_trial(const study_runner *rn, const nnt_coordinator_ops *ops, int worker,
                            const nnt_trial_task *task, nnt_trial_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->number = task->number;
    out->value = out->value_spread = out->valid_loss = out->n_params = NAN;

    int n = nnt_space_size(rn->space);
    char(*texts)[32] = nnt__calloc((size_t)(n > 0 ? n : 1), sizeof *texts);
    if (!texts) {
        fail_outcome(out, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++)
        if (task->active[i]) nnt__space_fmt_double(texts[i], task->x[i]);
    nnt_params params = {rn->space, task->x, task->active, task->params, texts};
    nnt_trial tr;
    memset(&tr, 0, sizeof tr);
    tr.ops = ops;
    tr.worker = worker;
    tr.task = task;
    tr.column = rn->column;
    tr.maximize = rn->maximize;
    tr.max_steps = rn->objective->max_steps;
    tr.best = NAN;
    tr.t0 = nnt_clock_monotonic();
    tr.time_limit_s = rn->trial_time_limit_s;
    tr.answer = NNT_REPORT_CONTINUE;
    tr.out = out;
    double values[NNT_MAX_OBJECTIVES];
    for (int k = 0; k < NNT_MAX_OBJECTIVES; k++) values[k] = NAN;
    nnt_error err;
    nnt_error_clear(&err);
    int r = rn->objective->evaluate(rn->objective->ctx, &params, &tr, values, &err);
    nnt__free(texts);
    if (tr.outcome_filled) return;

    out->duration = nnt_clock_monotonic() - tr.t0;
    out->epochs = tr.last_step;
    char buf[sizeof out->error];
    if (r == NNT_OK) {
        if (!isfinite(values[0])) {
            snprintf(buf, sizeof buf, "objective: no finite value (got %g)", values[0]);
            fail_outcome(out, buf);
            return;
        }
        out->state = NNT_TRIAL_COMPLETE;
        out->value = values[0];
        if (rn->n_costs > 0) {
            out->n_values = 1 + rn->n_costs;
            for (int k = 0; k < out->n_values; k++) out->values[k] = values[k];
        }
    } else if (tr.answer == NNT_REPORT_ABORT) {
        fail_outcome(out, "interrupted");
        out->interrupted = 1;
    } else if (tr.answer == NNT_REPORT_TIME_LIMIT) {
        fail_outcome(out, "time limit");
    } else if (r == NNT_PRUNED && tr.answer == NNT_REPORT_PRUNE) {
        out->state = NNT_TRIAL_PRUNED;
        out->value = tr.best;
    } else if (r == NNT_PRUNED) {
        fail_outcome(out, "objective: returned NNT_PRUNED, but the study did not prune the trial");
    } else if (r < 0) {
        fail_outcome(out, err.message[0] ? err.message : nnt_strerror(r));
    } else {
        snprintf(buf, sizeof buf, "objective: unexpected return value %d", r);
        fail_outcome(out, buf);
    }
}

void nnt__worker_loop(const study_runner *rn, const nnt_coordinator_ops *ops, int worker,
                      int space_size)
{
    nnt_trial_task task;
    memset(&task, 0, sizeof task);
    task.x = nnt__calloc((size_t)(space_size > 0 ? space_size : 1), sizeof *task.x);
    task.active = nnt__calloc((size_t)(space_size > 0 ? space_size : 1), 1);
    if (!task.x || !task.active) {
        nnt__free(task.x);
        nnt__free(task.active);
        return;
    }
    while (ops->ask(ops->ctx, worker, &task) == NNT_OK) {
        nnt_trial_outcome out;
        study_run_trial(rn, ops, worker, &task, &out);
        nnt__free(task.params);
        task.params = NULL;
        ops->tell(ops->ctx, worker, &out);
    }
    nnt__free(task.x);
    nnt__free(task.active);
}
