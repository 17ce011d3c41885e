/* Refit: the best configuration trained once more on every row the study
 * tuned on. Each trial held its validation rows out to pick its epoch and to
 * be compared with the others; once the configuration and its epoch count are
 * chosen, those rows are just more training data (about 11 % more with the
 * default 10 % hold-out). The refit replays the trial's options exactly
 * (schedule included, since it keeps the trial's max_epochs) and stops at the
 * epoch where the trial's validation metric peaked. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/study_internal.h"

size_t nnt_mlp_refit_rows(const nnt_mlp_objective *o)
{
    if (!o->splits || o->use_valid_set) return 0;
    return o->splits[0].n_train + o->splits[0].n_valid;
}

double nnt_mlp_refit_estimate(const nnt_mlp_objective *o, double trial_seconds,
                                    int trial_epochs, int epochs)
{
    if (!o->splits || trial_epochs <= 0 || !(trial_seconds > 0) || o->splits[0].n_train == 0)
        return 0;
    double per_epoch = trial_seconds / ((double)trial_epochs * (double)o->n_folds);
    double scale = (double)nnt_mlp_refit_rows(o) / (double)o->splits[0].n_train;
    return 1.1 * per_epoch * scale * (double)epochs;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

typedef struct stop_at {
    int epoch;
    int reached;
    const nnt_refit_task *task;
    int stopped; /* should_stop said so */
} stop_at;

/* Ends training after the target epoch. Ending it through the callback
 * rather than with max_epochs keeps the learning-rate schedule the trial saw
 * (cosine and step schedules are laid out over max_epochs). Between batches,
 * a stop request ends it too. */
static int on_refit_epoch(const nnt_progress *p, void *userdata)
{
    stop_at *s = userdata;
    if (s->task->should_stop && s->task->should_stop(s->task->stop_ctx)) {
        s->stopped = 1;
        return NNT_PRUNED;
    }
    if (p->batch != 0 || p->pretraining) return 0;
    if (p->epoch > s->reached) s->reached = p->epoch;
    if (s->task->on_epoch) s->task->on_epoch(s->task->stop_ctx, p->epoch, p->elapsed_s);
    return p->epoch >= s->epoch ? NNT_PRUNED : 0;
}

int nnt_mlp_refit(const nnt_mlp_objective *o, const nnt_refit_task *task, nnt_model **out,
                        nnt_refit_result *res, nnt_error *err)
{
    *out = NULL;
    memset(res, 0, sizeof *res);
    if (o->use_valid_set)
        return nnt_fail(err, NNT_ERR_ARG, "%s", NNT_REFIT_NEEDS_HOLDOUT);
    if (task->epochs < 1) return nnt_fail(err, NNT_ERR_ARG, "refit: no epoch to refit");

    nnt_model_options mopt = o->base_model;
    nnt_train_options topt = o->base_train;
    int r = nnt_space_apply(o->space, task->x, task->active, &mopt, &topt, err);
    if (r < 0) return r;

    const nnt_split *sp = &o->splits[0];
    size_t n = sp->n_train + sp->n_valid;
    uint32_t *rows = nnt_malloc_array(n ? n : 1, sizeof *rows);
    if (!rows) return nnt_fail(err, NNT_ERR_NOMEM, "refit: out of memory");
    memcpy(rows, sp->train, sp->n_train * sizeof *rows);
    if (sp->n_valid) memcpy(rows + sp->n_train, sp->valid, sp->n_valid * sizeof *rows);
    /* Ascending, like the splits: the gathers stay cache-friendly and the
     * row order does not depend on how the split was drawn. */
    qsort(rows, n, sizeof *rows, cmp_u32);

    stop_at stop = {task->epochs, 0, task, 0};
    if (topt.max_epochs < task->epochs) topt.max_epochs = task->epochs;
    topt.seed = task->seed;
    topt.monitor = o->metric;
    topt.threads = task->threads > 0 ? task->threads : 1;
    topt.report_batches = task->should_stop != NULL;
    topt.progress = on_refit_epoch;
    topt.userdata = &stop;
    topt.time_limit_s = task->time_limit_s;

    nnt_train_data td;
    memset(&td, 0, sizeof td);
    td.train = o->data.train;
    td.train_rows = rows;
    td.n_train = n;

    double t0 = nnt_mono_now();
    nnt_model *model = NULL;
    nnt_train_result tr;
    memset(&tr, 0, sizeof tr);
    r = nnt_train(&td, &mopt, &topt, &model, &tr, err);
    res->seconds = nnt_mono_now() - t0;
    res->rows = n;
    res->epochs = tr.epochs_run;
    nnt_train_result_free(&tr);
    nnt_free(rows);

    if (r == NNT_PRUNED && !stop.stopped && stop.reached >= task->epochs)
        r = NNT_OK; /* stopped on purpose, after the target epoch */
    if (r == NNT_OK && res->epochs < task->epochs) r = NNT_TIMEOUT;
    res->status = r;
    if (r != NNT_OK) {
        nnt_model_free(model);
        if (r == NNT_TIMEOUT)
            return nnt_fail(err, NNT_TIMEOUT, "refit: stopped by the time budget after %d of %d epochs",
                            res->epochs, task->epochs);
        if (r == NNT_DIVERGED) return nnt_fail(err, NNT_DIVERGED, "refit: diverged");
        if (stop.stopped)
            return nnt_fail(err, NNT_PRUNED, "refit: stopped after %d of %d epochs", res->epochs,
                            task->epochs);
        return r;
    }
    nnt_error_clear(err);
    *out = model;
    return NNT_OK;
}
