/* Refit: the best configuration trained once more on every row the study
 * tuned on. Each trial held its validation rows out to pick its epoch and to
 * be compared with the others; once the configuration and its epoch count are
 * chosen, those rows are just more training data (about 11 % more with the
 * default 10 % hold-out). The refit replays the trial's options and stops at
 * the epoch where the trial's validation metric peaked; on large data the
 * schedule too (it keeps the trial's max_epochs), on small data the schedule
 * is laid out over the refit's epochs (nnt__study_run_refit). */
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/tune.h"
#include "tune/study_state.h"

size_t nnt__mlp_refit_rows(const nnt_mlp_objective *o)
{
    if (!o->splits || o->use_valid_set) return 0;
    return o->splits[0].n_train + o->splits[0].n_valid;
}

double nnt__mlp_refit_estimate(const nnt_mlp_objective *o, double trial_seconds,
                                    int trial_epochs, int epochs)
{
    if (!o->splits || trial_epochs <= 0 || !(trial_seconds > 0) || o->splits[0].n_train == 0)
        return 0;
    double per_epoch = trial_seconds / ((double)trial_epochs * (double)o->n_folds);
    double scale = (double)nnt__mlp_refit_rows(o) / (double)o->splits[0].n_train;
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

int nnt__mlp_refit(const nnt_mlp_objective *o, const nnt_refit_task *task, nnt_model **out,
                        nnt_refit_result *res, nnt_error *err)
{
    *out = NULL;
    memset(res, 0, sizeof *res);
    if (o->use_valid_set)
        return nnt_fail(err, NNT_ERR_ARG, "%s", NNT_REFIT_NEEDS_HOLDOUT);
    if (task->epochs < 1) return nnt_fail(err, NNT_ERR_ARG, "refit: no epoch to refit");

    nnt_model_options mopt = o->su.base_model;
    nnt_train_options topt = o->su.base_train;
    int r = nnt_space_apply(o->su.space, task->x, task->active, &mopt, &topt, err);
    if (r < 0) return r;

    const nnt_split *sp = &o->splits[0];
    size_t n = sp->n_train + sp->n_valid;
    uint32_t *rows = nnt__malloc_array(n ? n : 1, sizeof *rows);
    if (!rows) return nnt_fail(err, NNT_ERR_NOMEM, "refit: out of memory");
    memcpy(rows, sp->train, sp->n_train * sizeof *rows);
    if (sp->n_valid) memcpy(rows + sp->n_train, sp->valid, sp->n_valid * sizeof *rows);
    /* Ascending, like the splits: the gathers stay cache-friendly and the
     * row order does not depend on how the split was drawn. */
    qsort(rows, n, sizeof *rows, cmp_u32);

    stop_at stop = {task->epochs, 0, task, 0};
    if (task->schedule_epochs > 0) topt.max_epochs = task->schedule_epochs;
    if (topt.max_epochs < task->epochs) topt.max_epochs = task->epochs;
    topt.seed = task->seed;
    topt.monitor = o->su.metric;
    topt.threads = task->threads > 0 ? task->threads : 1;
    topt.report_batches = task->should_stop != NULL;
    topt.progress = on_refit_epoch;
    topt.userdata = &stop;
    topt.time_limit_s = task->time_limit_s;

    nnt_train_data td;
    memset(&td, 0, sizeof td);
    td.train = o->su.data.train;
    td.train_rows = rows;
    td.n_train = n;

    double t0 = nnt_clock_monotonic();
    nnt_model *model = NULL;
    nnt_train_result tr;
    memset(&tr, 0, sizeof tr);
    r = nnt_train(&td, &mopt, &topt, &model, &tr, err);
    res->seconds = nnt_clock_monotonic() - t0;
    res->rows = n;
    res->epochs = tr.epochs_run;
    nnt_train_result_free(&tr);
    nnt__free(rows);

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

/* ---- the study's refit ------------------------------------------------------ */

/* The 1-based epoch whose weights the trial kept (fold 0): the trainer's
 * own choice when this run saw the trial (it breaks accuracy ties by the
 * validation loss); for trials loaded from storage, the first epoch with the
 * best stored metric; the epoch count when no curve is known. */
static int study_slot_best_epoch(const slot *sl)
{
    if (sl->best_epoch > 0) return sl->best_epoch;
    int at = -1;
    for (int i = 0; i < sl->n_inter; i++)
        if (isfinite(sl->inter[i]) && (at < 0 || sl->inter[i] < sl->inter[at])) at = i;
    return at >= 0 ? at + 1 : sl->epochs;
}

/* With a refit and a time budget, trials stop early enough to leave the refit
 * of the current best its estimated time, capped at 40 % of the budget so a
 * slow best trial cannot starve the search. The estimate uses the trial's
 * own pace, measured while other trials shared the cores, plus 10 %; alone
 * with every core the refit took 0.82-0.96 of it. A best found too late for
 * its reserve does not end the search (its refit is skipped). Reserving for
 * running trials too (any of them may become the best) was tried: it stopped
 * long trials that could have won, and a 1-minute study then completed no
 * trial at all. Called under mu when the best changes. */
void nnt__study_reserve_refit_time(nnt_study *s)
{
    if (!s->refit_on || s->budget_end <= 0 || s->best < 0) return;
    const slot *b = s->slots[s->best];
    double need = nnt__mlp_refit_estimate(&s->obj, b->duration, b->epochs, study_slot_best_epoch(b));
    s->refit_estimate = need;
    /* Stopping the trials takes a moment (the batch in flight, the last
     * tells): small-data refits, estimated at hundredths of a second, found
     * nothing of the budget left once the trials had stopped and were
     * skipped. So the reserve is at least min(2 s, 5 % of the budget). */
    double floor_s = fmin(2.0, 0.05 * s->opt.max_seconds);
    if (need < floor_s) need = floor_s;
    double cap = 0.4 * s->opt.max_seconds;
    if (need > cap) need = cap;
    /* A best found too late for its refit does not stop the search: the
     * refit is skipped (nnt__study_run_refit) and the trials use the time instead. */
    double end = s->budget_end - need;
    if (nnt__study_now(s) >= end) end = s->budget_end;
    s->deadline = end;
    atomic_store(&s->live_deadline, s->deadline);
}

static int refit_should_stop(void *ctx)
{
    nnt_study *s = ctx;
    return atomic_load(&s->stop) != 0;
}

/* Progress of the refit for the event callback (which may call
 * nnt_study_stop, e.g. on Ctrl-C). */
static void refit_on_epoch(void *ctx, int epoch, double seconds)
{
    nnt_study *s = ctx;
    pthread_mutex_lock(&s->mu);
    nnt_study_event e;
    nnt__study_event_init(s, &e, NNT_EVENT_REFIT_EPOCH, -1, s->best >= 0 ? s->slots[s->best] : NULL);
    e.epoch = epoch;
    e.max_epochs = s->refit_epochs;
    e.duration = seconds;
    nnt__study_emit(s, &e);
    pthread_mutex_unlock(&s->mu);
}

/* {"trial": N, "epochs": E, "rows": R, "seconds": S, "rank": K, "trial_test":
 * {...}} of the refit done (rank: the MPI rank that ran it, when not rank 0); trial_test holds the test metrics of the trial's own model,
 * so what the refit changed stays on record. */
json_object *nnt__study_refit_json(const nnt_study *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "trial", json_object_new_int(s->slots[s->best]->number));
    json_object_object_add(o, "epochs", json_object_new_int(s->refit_epochs));
    json_object_object_add(o, "rows", json_object_new_int64((int64_t)s->refit_rows));
    json_object_object_add(o, "seconds", json_object_new_double(s->refit_seconds));
    if (s->refit_rank > 0) json_object_object_add(o, "rank", json_object_new_int(s->refit_rank));
    if (s->refit_members > 1)
        json_object_object_add(o, "ensemble", json_object_new_int(s->refit_members));
    if (s->refit_trial_n_test > 0)
        json_object_object_add(o, "trial_test", nnt__study_metrics_json(&s->refit_trial_test, s->refit_trial_n_test));
    return o;
}

/* With opt.ensemble, the refit is averaged with the best trial's fold
 * models (tm, itself their ensemble): in the generalisation benchmark's
 * paired runs (bench/README.md) the k folds plus the refit tested better on
 * average than the refit alone. Only memory can make this fail. */
static int refit_join_folds(nnt_study *s, nnt_model *refit, const nnt_model *tm, nnt_error *err)
{
    nnt_model *c = NULL;
    int r = nnt_model_clone(tm, &c, err);
    if (r == NNT_OK) r = nnt_model_ensemble_add(refit, c, err);
    if (r < 0) nnt_model_free(c);
    else s->refit_members = nnt_model_ensemble_size(refit);
    return r;
}

/* Retrains the best configuration on every tuned row (study_refit.c) once the
 * trials are over; the refit model becomes the study's model. Failures to
 * refit are not study failures: the best trial's model stays and the note
 * says why. Storage errors are. */
int nnt__study_run_refit(nnt_study *s, const study_transport *tp, int threads, nnt_error *err)
{
    s->refit_state = -1;
    if (s->best < 0) {
        snprintf(s->refit_note, sizeof s->refit_note, "no complete trial to refit");
        return NNT_OK;
    }
    if (atomic_load(&s->stop)) {
        snprintf(s->refit_note, sizeof s->refit_note, "skipped: the study was stopped");
        return NNT_OK;
    }
    slot *b = s->slots[s->best];
    /* Alone on every core a refit took 0.82 and 0.96 of its estimate (made
     * from the trial's pace under contention) in the Fashion-MNIST benchmark:
     * extra BLAS threads help little at small batches. With less than 0.8 of
     * it left, it would only be cut short. */
    double left = s->budget_end > 0 ? s->budget_end - nnt_clock_monotonic() : INFINITY;
    /* On small data a refit takes seconds at most, and one cut short (or
     * skipped) by a trial found late, or by a pace misjudged under load,
     * leaves a single fold's model: 4/5 of the rows. So the budget may
     * stretch for it, by at most twice its estimate plus the reserve's
     * 2 s floor ("Refit: stopped by the time budget after 3 of 26 epochs"
     * was seen with a 60 s budget on a loaded machine). */
    int small = nnt__mlp_refit_rows(&s->obj) < NNT_SMALL_DATA_ROWS;
    double grace = small ? 2.0 * s->refit_estimate + 2.0 : 0.0;
    if (small && left < grace) left = grace;
    if (left < 0.8 * s->refit_estimate) {
        snprintf(s->refit_note, sizeof s->refit_note,
                 "skipped: trial %d's refit needs about %.0f s and %.0f s of the time budget "
                 "were left; kept trial %d's model",
                 b->number, 0.8 * s->refit_estimate, left > 0 ? left : 0.0, b->number);
        return NNT_OK;
    }
    nnt_refit_task task;
    memset(&task, 0, sizeof task);
    task.x = b->x;
    task.active = b->active;
    task.epochs = study_slot_best_epoch(b);
    /* Small data: the schedule is laid out over the refit's own epochs, so a
     * cosine decays fully by its last one; replaying the trial's 100-epoch
     * schedule and stopping at the folds' median best epoch kept the last
     * weights at a still-high learning rate. On the generalisation
     * benchmark's small sets (bench/README.md) the mean test score over 2-4
     * refit seeds improved in 8 of 11 set x study-seed cases (all 7
     * regression ones; 3 classification ones lost 1-3 test rows). Scaling
     * the epochs by 1.25 (5/4 of the rows) did not help further. Large data
     * keeps the trial's schedule. */
    if (small) task.schedule_epochs = task.epochs;
    task.seed = nnt_seed_derive(s->seed, REFIT_SEED_INDEX);
    task.threads = threads;
    task.should_stop = refit_should_stop;
    task.on_epoch = refit_on_epoch;
    task.stop_ctx = s;
    if (s->budget_end > 0) {
        task.time_limit_s = fmax(s->budget_end - nnt_clock_monotonic(), grace);
        if (task.time_limit_s < 0.001) task.time_limit_s = 0.001;
    }
    s->refit_epochs = task.epochs;
    s->refit_rows = nnt__mlp_refit_rows(&s->obj);

    pthread_mutex_lock(&s->mu);
    nnt_study_event e;
    nnt__study_event_init(s, &e, NNT_EVENT_REFIT_START, -1, b);
    e.max_epochs = task.epochs;
    nnt__study_emit(s, &e);
    pthread_mutex_unlock(&s->mu);

    nnt_model *model = NULL;
    nnt_refit_result res;
    nnt_error rerr;
    nnt_error_clear(&rerr);
    /* Over MPI a worker rank refits (the same task: bit for bit the model
     * made here); here when none could. */
    int r = NNT_OK;
    s->refit_rank = tp && tp->refit ? tp->refit(tp->ctx, s, &task, &model, &res, &r, &rerr) : 0;
    if (s->refit_rank <= 0) {
        s->refit_rank = 0;
        r = nnt__mlp_refit(&s->obj, &task, &model, &res, &rerr);
    }
    s->refit_seconds = res.seconds;
    if (r != NNT_OK) {
        const char *why = rerr.message;
        if (!strncmp(why, "refit: ", 7)) why += 7;
        snprintf(s->refit_note, sizeof s->refit_note, "%s; kept trial %d's model", why, b->number);
    } else {
        s->refit_state = 1;
        s->refit_note[0] = '\0';
        if (s->data.test || s->ensemble_on) {
            /* The trial's model, tested before the refit replaces it; one
             * that cannot be loaded back is simply not compared. */
            nnt_model *loaded;
            const nnt_model *tm;
            nnt__study_best_trial_model(s, b, &tm, &loaded, NULL);
            int tr = tm && s->data.test
                         ? nnt__study_test_model(s, tm, &s->refit_trial_test, &s->refit_trial_n_test, err)
                         : NNT_OK;
            /* Only the fold models trained in this run: on a resumed study
             * the file at model_out may already be an earlier run's refit
             * with its folds, and the refit then stays alone. */
            if (tr == NNT_OK && tm && !loaded && s->ensemble_on)
                tr = refit_join_folds(s, model, tm, err);
            nnt_model_free(loaded);
            if (tr < 0) {
                nnt_model_free(model);
                return tr;
            }
        }
        json_object *info = json_object_new_object();
        json_object_object_add(info, "refit", nnt__study_refit_json(s));
        if (s->model_out) {
            r = nnt_model_save(model, s->model_out, err);
            if (r == NNT_OK)
                r = nnt_storage_artifact_add(
                    s->storage, s->study_id, b->number, "model", s->model_out,
                    json_object_to_json_string_ext(info, JSON_C_TO_STRING_PLAIN), err);
            if (r == NNT_OK && !b->model_path) b->model_path = nnt__strdup(s->model_out);
        }
        json_object_put(info);
        nnt_model_free(s->best_model);
        s->best_model = model;
        if (r < 0) return r;
    }
    pthread_mutex_lock(&s->mu);
    nnt__study_event_init(s, &e, NNT_EVENT_REFIT_END, -1, b);
    e.epochs = res.epochs;
    e.max_epochs = task.epochs;
    e.duration = res.seconds;
    e.error = s->refit_note[0] ? s->refit_note : NULL;
    nnt__study_emit(s, &e);
    pthread_mutex_unlock(&s->mu);
    return NNT_OK;
}
