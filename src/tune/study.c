/* The study coordinator: owns the space, the sampler, the pruning hook, the
 * storage handle and the budget, and hands trials to workers through the
 * ask / report / tell seam of study_internal.h. Every coordinator call runs
 * under one mutex, which also serialises storage writes (one writer) and the
 * event callback.
 *
 * Trial numbers are given out in order, and parameters are proposed in that
 * order from the history as it stands (running trials included), so the
 * parameter sequence does not depend on how many workers there are. */
#include <json-c/json.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"
#include "tune/study_internal.h"

/* Seeds derived from the study seed for things that are not trials. */
#define SPLIT_SEED_INDEX 0x5917u
#define REFIT_SEED_INDEX 0x2ef17u

typedef struct slot {
    int number;
    nnt_trial_state state;
    int interrupted;
    int retry_of;
    int retried; /* a rerun of this interrupted trial has been handed out */
    uint64_t seed;
    double *x;
    uint8_t *active;
    double value;    /* raw metric, NAN: none */
    double oriented; /* lower is better, NAN: none */
    double spread;
    double valid_loss; /* tie-breakers of nnt_trial_compare; NAN: unknown */
    double n_params;
    int epochs;
    int best_epoch;  /* the restored epoch (median over folds); 0: unknown */
    double duration; /* seconds the trial ran; NAN: unknown */
    double *inter;   /* fold-0 epoch values, oriented */
    int n_inter, cap_inter;
    char *params;
    char *model_path;
    int n_values; /* multi-objective: metric then costs (raw); 0: none */
    double values[NNT_MAX_OBJECTIVES];
} slot;

struct nnt_study {
    /* configuration */
    nnt_study_options opt;
    char *name, *sampler_name, *model_out;
    char *sampler_options, *pruner_name, *pruner_options; /* NULL: defaults / none */
    nnt_space *space;
    int nspace;
    nnt_sampler sampler;
    nnt_pruner pruner; /* built-in pruner (zeroed: none or a custom hook) */
    int max_epochs;    /* the trials' epoch budget (pruners' max_resource) */
    nnt_storage *storage;
    int64_t study_id;
    nnt_study_data data;
    nnt_mlp_objective obj;    /* the MLP trainer's state (zeroed for a user objective) */
    nnt_objective objective;  /* what trials run: the user's, or the MLP trainer's */
    int user;                 /* 1: a user objective (opt.objective) */
    study_runner runner;
    char *value_name;         /* the metric's name: nntune's, or the user value's */
    char *obj_name, *obj_version;
    char *cost_names[NNT_MAX_OBJECTIVES - 1]; /* user objective costs */
    int n_costs;              /* secondary objectives */
    int n_folds;              /* 1 for user objectives */
    nnt_metric metric;        /* user objectives: the epoch-row column of their value */
    int maximize;
    uint64_t seed;
    int resumed;
    /* model selection policy, resolved in create */
    int refit_on;       /* a refit runs at the end */
    int cv_auto, refit_auto, small_data;
    size_t tuned_rows;

    /* state, under mu */
    pthread_mutex_t mu;
    slot **slots;
    int n_slots, cap_slots;
    int *retry;        /* slot indices of interrupted trials to rerun, in order */
    int n_retry;
    int next_number;
    int n_done, n_running;
    int *worker_slot;  /* current slot per worker */
    int n_workers;
    int best;          /* slot index, -1 */
    nnt_model *best_model;
    nnt_trial_view *views;
    int cap_views;
    double t_start, deadline;
    int fatal;
    nnt_error fatal_err;
    int has_test;
    nnt_metrics test;
    size_t n_test;
    atomic_int stop;
    /* refit (opt.refit) */
    double budget_end;  /* t_start + max_seconds; deadline is earlier by the refit's reserve */
    _Atomic double live_deadline; /* copy of deadline that workers read between batches */
    int refit_state;    /* 0 not run, 1 done, -1 skipped or unfinished */
    int refit_epochs;
    size_t refit_rows;
    double refit_seconds;
    char refit_note[1200];
    double refit_estimate; /* seconds the current best's refit should take */
    nnt_metrics refit_trial_test; /* the best trial's own model on the test set */
    size_t refit_trial_n_test;    /* 0: not measured */
};

static double unix_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

static double orient(const nnt_study *s, double v)
{
    return isfinite(v) ? (s->maximize ? -v : v) : NAN;
}

static void slot_free(slot *sl)
{
    if (!sl) return;
    nnt_free(sl->x);
    nnt_free(sl->active);
    nnt_free(sl->inter);
    nnt_free(sl->params);
    nnt_free(sl->model_path);
    nnt_free(sl);
}

static slot *slot_new(int nspace)
{
    slot *sl = nnt_calloc(1, sizeof *sl);
    if (!sl) return NULL;
    sl->x = nnt_calloc((size_t)(nspace > 0 ? nspace : 1), sizeof *sl->x);
    sl->active = nnt_calloc((size_t)(nspace > 0 ? nspace : 1), 1);
    if (!sl->x || !sl->active) {
        slot_free(sl);
        return NULL;
    }
    sl->retry_of = -1;
    sl->value = sl->oriented = sl->spread = sl->duration = NAN;
    sl->valid_loss = sl->n_params = NAN;
    return sl;
}

static int slot_push(nnt_study *s, slot *sl)
{
    if (s->n_slots == s->cap_slots) {
        int nc = s->cap_slots ? s->cap_slots * 2 : 64;
        slot **ns = nnt_realloc(s->slots, (size_t)nc * sizeof *ns);
        if (!ns) return NNT_ERR_NOMEM;
        s->slots = ns;
        s->cap_slots = nc;
    }
    s->slots[s->n_slots++] = sl;
    return NNT_OK;
}

/* A slot as the best-trial rule sees it. */
static nnt_trial_record slot_key(const slot *sl)
{
    nnt_trial_record r;
    memset(&r, 0, sizeof r);
    r.number = sl->number;
    r.state = sl->state;
    r.value = sl->value;
    r.valid_loss = sl->valid_loss;
    r.n_params = sl->n_params;
    return r;
}

/* Whether a complete trial beats the best slot, by the one rule of
 * nnt_trial_compare (value, then validation loss, then parameter count), so
 * the best never depends on finishing order. */
static int better(const nnt_study *s, const slot *a, int best_idx)
{
    if (a->state != NNT_TRIAL_COMPLETE || !isfinite(a->oriented)) return 0;
    if (best_idx < 0) return 1;
    nnt_trial_record ka = slot_key(a), kb = slot_key(s->slots[best_idx]);
    return nnt_trial_compare(&ka, &kb, s->maximize) < 0;
}

/* The history as the sampler and pruner see it. Views point into the slots,
 * which stay put (the slot array holds pointers). */
static int build_history(nnt_study *s, nnt_history *h)
{
    if (s->n_slots > s->cap_views) {
        int nc = s->n_slots * 2;
        nnt_trial_view *nv = nnt_realloc(s->views, (size_t)nc * sizeof *nv);
        if (!nv) return NNT_ERR_NOMEM;
        s->views = nv;
        s->cap_views = nc;
    }
    for (int i = 0; i < s->n_slots; i++) {
        const slot *sl = s->slots[i];
        nnt_trial_view *v = &s->views[i];
        memset(v, 0, sizeof *v);
        v->number = sl->number;
        v->state = sl->state;
        v->x = sl->x;
        v->active = sl->active;
        v->value = sl->oriented;
        v->epochs = sl->n_inter;
        v->intermediate = sl->inter;
        v->retry = sl->interrupted;
    }
    h->trials = s->views;
    h->n = s->n_slots;
    return NNT_OK;
}

static void set_fatal(nnt_study *s, const nnt_error *e, int code)
{
    if (s->fatal) return;
    s->fatal = code < 0 ? code : NNT_ERR_INTERNAL;
    if (e && e->message[0]) s->fatal_err = *e;
    else nnt_fail(&s->fatal_err, s->fatal, "%s", nnt_strerror(s->fatal));
    s->fatal_err.code = s->fatal;
    atomic_store(&s->stop, 1);
}

/* ---- events --------------------------------------------------------------- */

static void event_init(const nnt_study *s, nnt_study_event *e, nnt_study_event_kind kind,
                       int worker, const slot *sl)
{
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->worker = worker;
    e->number = sl ? sl->number : -1;
    e->params = sl ? sl->params : NULL;
    e->retry_of = sl ? sl->retry_of : -1;
    e->value = e->value_spread = e->epoch_value = NAN;
    e->n_done = s->n_done;
    e->n_running = s->n_running;
    e->max_trials = s->opt.max_trials;
    e->elapsed_s = s->t_start > 0 ? nnt_mono_now() - s->t_start : 0;
    e->max_seconds = s->opt.max_seconds;
    e->best_number = s->best >= 0 ? s->slots[s->best]->number : -1;
    e->best_value = s->best >= 0 ? s->slots[s->best]->value : NAN;
    e->metric = s->value_name;
    e->maximize = s->maximize;
    e->n_folds = s->n_folds;
}

static void emit(const nnt_study *s, const nnt_study_event *e)
{
    if (s->opt.on_event) s->opt.on_event(e, s->opt.userdata);
}

/* ---- test evaluation ---------------------------------------------------------- */

static int test_model(const nnt_study *s, const nnt_model *m, nnt_metrics *out, size_t *n,
                      nnt_error *err)
{
    nnt_eval ev;
    memset(&ev, 0, sizeof ev);
    int r = nnt_model_evaluate(m, s->data.test, NULL, nnt_dataset_rows(s->data.test), &ev, err);
    if (r < 0) return r;
    *out = ev.metrics;
    *n = ev.n;
    nnt_eval_free(&ev);
    return NNT_OK;
}

/* The best trial's model: the one kept in memory, or (when the best came from
 * an earlier run) loaded from its model file into *loaded, which the caller
 * frees. *m = NULL with NNT_OK when neither exists. */
static int best_trial_model(const nnt_study *s, const slot *b, const nnt_model **m,
                            nnt_model **loaded, nnt_error *err)
{
    *loaded = NULL;
    *m = s->best_model;
    if (*m || !b->model_path) return NNT_OK;
    int r = nnt_model_load(b->model_path, loaded, err);
    if (r == NNT_OK) *m = *loaded;
    return r;
}

/* {"rows": N, "loss": ..., "accuracy": ...}: the metrics that apply. */
static json_object *metrics_json(const nnt_metrics *m, size_t rows)
{
    json_object *info = json_object_new_object();
    json_object_object_add(info, "rows", json_object_new_int64((int64_t)rows));
    const nnt_metric ms[] = {NNT_METRIC_LOSS, NNT_METRIC_ACCURACY, NNT_METRIC_RMSE,
                             NNT_METRIC_MAE, NNT_METRIC_R2};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        double v = nnt_metrics_get(m, ms[i]);
        if (isfinite(v)) json_object_object_add(info, nnt_metric_name(ms[i]), json_object_new_double(v));
    }
    return info;
}

/* ---- refit ------------------------------------------------------------------ */

/* The 1-based epoch whose weights the trial kept (fold 0): the trainer's
 * own choice when this run saw the trial (it breaks accuracy ties by the
 * validation loss); for trials loaded from storage, the first epoch with the
 * best stored metric; the epoch count when no curve is known. */
static int best_epoch(const slot *sl)
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
static void reserve_refit_time(nnt_study *s)
{
    if (!s->refit_on || s->budget_end <= 0 || s->best < 0) return;
    const slot *b = s->slots[s->best];
    double need = nnt_mlp_refit_estimate(&s->obj, b->duration, b->epochs, best_epoch(b));
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
     * refit is skipped (run_refit) and the trials use the time instead. */
    double end = s->budget_end - need;
    if (nnt_mono_now() >= end) end = s->budget_end;
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
    event_init(s, &e, NNT_EVENT_REFIT_EPOCH, -1, s->best >= 0 ? s->slots[s->best] : NULL);
    e.epoch = epoch;
    e.max_epochs = s->refit_epochs;
    e.duration = seconds;
    emit(s, &e);
    pthread_mutex_unlock(&s->mu);
}

/* Whether the study is stopping, for nnt_trial_should_stop (no lock). */
static int co_stopping(void *ctx)
{
    nnt_study *s = ctx;
    return atomic_load(&s->stop) != 0;
}

/* The deadline as it stands, for workers between batches (no lock). */
static double co_deadline(void *ctx)
{
    nnt_study *s = ctx;
    return atomic_load(&s->live_deadline);
}

/* {"trial": N, "epochs": E, "rows": R, "seconds": S, "trial_test": {...}} of
 * the refit done; trial_test holds the test metrics of the trial's own model,
 * so what the refit changed stays on record. */
static json_object *refit_json(const nnt_study *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "trial", json_object_new_int(s->slots[s->best]->number));
    json_object_object_add(o, "epochs", json_object_new_int(s->refit_epochs));
    json_object_object_add(o, "rows", json_object_new_int64((int64_t)s->refit_rows));
    json_object_object_add(o, "seconds", json_object_new_double(s->refit_seconds));
    if (s->refit_trial_n_test > 0)
        json_object_object_add(o, "trial_test", metrics_json(&s->refit_trial_test, s->refit_trial_n_test));
    return o;
}

/* Retrains the best configuration on every tuned row (study_refit.c) once the
 * trials are over; the refit model becomes the study's model. Failures to
 * refit are not study failures: the best trial's model stays and the note
 * says why. Storage errors are. */
static int run_refit(nnt_study *s, int threads, nnt_error *err)
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
    double left = s->budget_end > 0 ? s->budget_end - nnt_mono_now() : INFINITY;
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
    task.epochs = best_epoch(b);
    task.seed = nnt_seed_derive(s->seed, REFIT_SEED_INDEX);
    task.threads = threads;
    task.should_stop = refit_should_stop;
    task.on_epoch = refit_on_epoch;
    task.stop_ctx = s;
    if (s->budget_end > 0) {
        task.time_limit_s = s->budget_end - nnt_mono_now();
        if (task.time_limit_s < 0.001) task.time_limit_s = 0.001;
    }
    s->refit_epochs = task.epochs;
    s->refit_rows = nnt_mlp_refit_rows(&s->obj);

    pthread_mutex_lock(&s->mu);
    nnt_study_event e;
    event_init(s, &e, NNT_EVENT_REFIT_START, -1, b);
    e.max_epochs = task.epochs;
    emit(s, &e);
    pthread_mutex_unlock(&s->mu);

    nnt_model *model = NULL;
    nnt_refit_result res;
    nnt_error rerr;
    nnt_error_clear(&rerr);
    int r = nnt_mlp_refit(&s->obj, &task, &model, &res, &rerr);
    s->refit_seconds = res.seconds;
    if (r != NNT_OK) {
        const char *why = rerr.message;
        if (!strncmp(why, "refit: ", 7)) why += 7;
        snprintf(s->refit_note, sizeof s->refit_note, "%s; kept trial %d's model", why, b->number);
    } else {
        s->refit_state = 1;
        s->refit_note[0] = '\0';
        if (s->data.test) {
            /* The trial's model, tested before the refit replaces it; one
             * that cannot be loaded back is simply not compared. */
            nnt_model *loaded;
            const nnt_model *tm;
            best_trial_model(s, b, &tm, &loaded, NULL);
            int tr = tm ? test_model(s, tm, &s->refit_trial_test, &s->refit_trial_n_test, err)
                        : NNT_OK;
            nnt_model_free(loaded);
            if (tr < 0) {
                nnt_model_free(model);
                return tr;
            }
        }
        json_object *info = json_object_new_object();
        json_object_object_add(info, "refit", refit_json(s));
        if (s->model_out) {
            r = nnt_model_save(model, s->model_out, err);
            if (r == NNT_OK)
                r = s->storage->artifact_add(
                    s->storage->ctx, s->study_id, b->number, "model", s->model_out,
                    json_object_to_json_string_ext(info, JSON_C_TO_STRING_PLAIN), err);
            if (r == NNT_OK && !b->model_path) b->model_path = nnt_strdup(s->model_out);
        }
        json_object_put(info);
        nnt_model_free(s->best_model);
        s->best_model = model;
        if (r < 0) return r;
    }
    pthread_mutex_lock(&s->mu);
    event_init(s, &e, NNT_EVENT_REFIT_END, -1, b);
    e.epochs = res.epochs;
    e.max_epochs = task.epochs;
    e.duration = res.seconds;
    e.error = s->refit_note[0] ? s->refit_note : NULL;
    emit(s, &e);
    pthread_mutex_unlock(&s->mu);
    return NNT_OK;
}

/* ---- the three messages ------------------------------------------------- */

static int co_ask(void *ctx, int worker, nnt_trial_task *t)
{
    nnt_study *s = ctx;
    int result = NNT_ERR_NOT_FOUND;
    pthread_mutex_lock(&s->mu);
    if (atomic_load(&s->stop) || s->fatal) goto out;
    if (s->deadline > 0 && nnt_mono_now() >= s->deadline) goto out;
    if (s->opt.max_trials > 0 && s->n_done + s->n_running >= s->opt.max_trials) goto out;

    slot *sl = slot_new(s->nspace);
    if (!sl) {
        set_fatal(s, NULL, NNT_ERR_NOMEM);
        goto out;
    }
    nnt_error err;
    nnt_error_clear(&err);
    if (s->n_retry > 0) {
        /* Interrupted trials rerun first, with their parameters and seed. */
        slot *src = s->slots[s->retry[0]];
        memmove(s->retry, s->retry + 1, (size_t)(s->n_retry - 1) * sizeof *s->retry);
        s->n_retry--;
        memcpy(sl->x, src->x, (size_t)s->nspace * sizeof *sl->x);
        memcpy(sl->active, src->active, (size_t)s->nspace);
        sl->seed = src->seed;
        sl->retry_of = src->number;
        sl->params = nnt_strdup(src->params ? src->params : "{}");
        src->retried = 1;
    } else {
        nnt_history h;
        int r = build_history(s, &h);
        if (r == NNT_OK) {
            sl->seed = nnt_seed_derive(s->seed, (uint64_t)s->next_number);
            r = s->sampler.propose(s->sampler.ctx, s->space, &h, s->next_number, sl->seed, sl->x,
                                   sl->active, &err);
        }
        if (r == NNT_ERR_NOT_FOUND) { /* the sampler is done (grid exhausted) */
            slot_free(sl);
            goto out;
        }
        if (r < 0) {
            slot_free(sl);
            set_fatal(s, &err, r);
            goto out;
        }
        sl->params = nnt_space_params_json(s->space, sl->x, sl->active);
    }
    if (!sl->params) {
        slot_free(sl);
        set_fatal(s, NULL, NNT_ERR_NOMEM);
        goto out;
    }
    sl->number = s->next_number;
    sl->state = NNT_TRIAL_RUNNING;
    int r = s->storage->trial_start(s->storage->ctx, s->study_id, sl->number, sl->params, sl->seed,
                                    sl->retry_of, unix_now(), &err);
    if (r == NNT_OK) r = slot_push(s, sl);
    if (r < 0) {
        slot_free(sl);
        set_fatal(s, &err, r);
        goto out;
    }
    s->next_number++;
    s->n_running++;
    s->worker_slot[worker] = s->n_slots - 1;

    t->number = sl->number;
    t->seed = sl->seed;
    t->retry_of = sl->retry_of;
    memcpy(t->x, sl->x, (size_t)s->nspace * sizeof *t->x);
    memcpy(t->active, sl->active, (size_t)s->nspace);
    t->params = nnt_strdup(sl->params);
    t->deadline = s->deadline;
    nnt_study_event e;
    event_init(s, &e, NNT_EVENT_TRIAL_START, worker, sl);
    emit(s, &e);
    result = NNT_OK;
out:
    pthread_mutex_unlock(&s->mu);
    return result;
}

static int co_report(void *ctx, int worker, const nnt_report_msg *rp)
{
    nnt_study *s = ctx;
    int answer = NNT_REPORT_CONTINUE;
    pthread_mutex_lock(&s->mu);
    slot *sl = s->slots[s->worker_slot[worker]];
    const nnt_progress *p = rp->progress;
    nnt_epoch_row row;
    memset(&row, 0, sizeof row);
    row.fold = rp->fold;
    row.epoch = p->epoch;
    row.train = p->train;
    if (p->has_valid) row.valid = p->valid;
    else row.valid.loss = row.valid.accuracy = row.valid.rmse = row.valid.mae = row.valid.r2 = NAN;
    row.lr = p->lr;
    row.elapsed_s = p->elapsed_s;
    nnt_error err;
    nnt_error_clear(&err);
    int r = s->storage->trial_epoch(s->storage->ctx, s->study_id, sl->number, &row, &err);
    if (r < 0) set_fatal(s, &err, r);
    if (rp->fold == 0) {
        if (sl->n_inter == sl->cap_inter) {
            int nc = sl->cap_inter ? sl->cap_inter * 2 : 16;
            double *ni = nnt_realloc(sl->inter, (size_t)nc * sizeof *ni);
            if (ni) {
                sl->inter = ni;
                sl->cap_inter = nc;
            }
        }
        if (sl->n_inter < sl->cap_inter) sl->inter[sl->n_inter++] = orient(s, rp->value);
    }
    if (p->epoch > sl->epochs) sl->epochs = p->epoch;

    if (atomic_load(&s->stop) || s->fatal ||
        (s->deadline > 0 && nnt_mono_now() >= s->deadline)) {
        answer = NNT_REPORT_ABORT;
    } else if (s->opt.prune && rp->fold == 0) {
        nnt_history h;
        if (build_history(s, &h) == NNT_OK &&
            s->opt.prune(s->opt.prune_ctx, &h, sl->number, p->epoch, orient(s, rp->value)) ==
                NNT_PRUNED)
            answer = NNT_REPORT_PRUNE;
    }
    nnt_study_event e;
    event_init(s, &e, NNT_EVENT_EPOCH, worker, sl);
    e.fold = rp->fold;
    e.epoch = p->epoch;
    e.max_epochs = p->max_epochs;
    e.epoch_value = rp->value;
    emit(s, &e);
    pthread_mutex_unlock(&s->mu);
    return answer;
}

static void co_tell(void *ctx, int worker, nnt_trial_outcome *o)
{
    nnt_study *s = ctx;
    pthread_mutex_lock(&s->mu);
    int idx = s->worker_slot[worker];
    slot *sl = s->slots[idx];
    sl->state = o->state;
    sl->interrupted = o->interrupted;
    sl->epochs = o->epochs;
    sl->duration = o->duration;
    sl->best_epoch = o->best_epoch;
    if (o->state == NNT_TRIAL_COMPLETE || o->state == NNT_TRIAL_PRUNED) {
        sl->value = o->value;
        sl->oriented = orient(s, o->value);
        sl->spread = o->value_spread;
        sl->valid_loss = o->valid_loss;
        sl->n_params = o->n_params;
    }
    sl->n_values = o->n_values > NNT_MAX_OBJECTIVES ? NNT_MAX_OBJECTIVES : o->n_values;
    for (int k = 0; k < sl->n_values; k++) sl->values[k] = o->values[k];
    if (o->interrupted && s->deadline > 0 && nnt_mono_now() >= s->deadline)
        snprintf(o->error, sizeof o->error, "interrupted (study time budget)");

    /* A new best is saved (atomically) before it goes on record, so that a
     * killed study still leaves its best model behind. A trial whose model
     * cannot be saved (disk full) is not complete: it goes on record as
     * interrupted, which a resume reruns with the same parameters and seed,
     * and the study stops with the save's error. */
    nnt_error err;
    nnt_error_clear(&err);
    int save_r = NNT_OK, saved = 0;
    if (o->model && s->model_out && better(s, sl, s->best)) {
        save_r = nnt_model_save(o->model, s->model_out, &err);
        if (save_r == NNT_OK) {
            saved = 1;
        } else {
            sl->state = o->state = NNT_TRIAL_FAILED;
            sl->interrupted = o->interrupted = 1;
            sl->value = sl->oriented = sl->spread = sl->valid_loss = sl->n_params = NAN;
            sl->n_values = 0;
            snprintf(o->error, sizeof o->error, "interrupted (model not saved)");
        }
    }

    nnt_trial_record rec;
    memset(&rec, 0, sizeof rec);
    rec.number = sl->number;
    rec.state = sl->state;
    rec.value = sl->value;
    rec.value_spread = sl->spread;
    rec.finished = unix_now();
    rec.duration = o->duration;
    rec.error = o->error[0] ? o->error : NULL;
    rec.epochs = o->epochs;
    rec.interrupted = o->interrupted;
    rec.n_values = sl->n_values;
    for (int k = 0; k < sl->n_values; k++) rec.values[k] = sl->values[k];
    rec.valid_loss = sl->valid_loss;
    rec.n_params = sl->n_params;
    int r = save_r;
    if (r < 0) set_fatal(s, &err, r);
    nnt_error ferr;
    nnt_error_clear(&ferr);
    int fr = s->storage->trial_finish(s->storage->ctx, s->study_id, &rec, &ferr);
    if (fr < 0 && r == NNT_OK) set_fatal(s, &ferr, fr);
    if (r == NNT_OK) r = fr;

    int is_best = 0;
    if (r == NNT_OK && better(s, sl, s->best)) {
        is_best = 1;
        if (saved) {
            r = s->storage->artifact_add(s->storage->ctx, s->study_id, sl->number, "model",
                                         s->model_out, NULL, &err);
            if (r < 0) set_fatal(s, &err, r);
            else sl->model_path = nnt_strdup(s->model_out);
        }
        s->best = idx;
        nnt_model_free(s->best_model);
        s->best_model = o->model;
        o->model = NULL;
    }
    nnt_model_free(o->model);
    o->model = NULL;
    if (is_best) reserve_refit_time(s);
    s->n_running--;
    if (!sl->interrupted) s->n_done++;

    nnt_study_event e;
    event_init(s, &e, NNT_EVENT_TRIAL_END, worker, sl);
    e.state = sl->state;
    e.value = sl->value;
    e.value_spread = sl->spread;
    e.error = o->error[0] ? o->error : NULL;
    e.duration = o->duration;
    e.epochs = o->epochs;
    e.is_best = is_best;
    e.n_values = sl->n_values;
    e.values = sl->n_values > 0 ? sl->values : NULL;
    emit(s, &e);
    pthread_mutex_unlock(&s->mu);
}

/* ---- create ----------------------------------------------------------------- */

/* The most epochs a trial may train: the largest value of an "epochs"
 * parameter of the space, else the base option. */
static int max_epochs_of(const nnt_space *sp, const nnt_train_options *base)
{
    int i = nnt_space_find(sp, "epochs");
    if (i < 0) return base->max_epochs;
    nnt_param_info info;
    if (nnt_space_info(sp, i, &info) != NNT_OK) return base->max_epochs;
    if (info.kind == NNT_PARAM_INT || info.kind == NNT_PARAM_FLOAT) return (int)info.high;
    double mx = 0;
    for (int c = 0; c < info.n_choices; c++) {
        const char *t = nnt_space_choice(sp, i, c);
        double v = t ? atof(t) : 0;
        if (v > mx) mx = v;
    }
    return mx >= 1 ? (int)mx : base->max_epochs;
}

static int check_metric(const nnt_dataset *ds, nnt_metric m, nnt_error *err)
{
    int cls = nnt_dataset_task(ds) == NNT_TASK_CLASSIFY;
    if (cls && (m == NNT_METRIC_RMSE || m == NNT_METRIC_MAE || m == NNT_METRIC_R2))
        return nnt_fail(err, NNT_ERR_ARG,
                        "objective.metric: '%s' is a regression metric but the data set has "
                        "classes (use accuracy or loss)",
                        nnt_metric_name(m));
    if (!cls && m == NNT_METRIC_ACCURACY)
        return nnt_fail(err, NNT_ERR_ARG,
                        "objective.metric: 'accuracy' needs classes but the target is numeric "
                        "(use rmse, mae, r2 or loss)");
    return NNT_OK;
}

/* Loads the stored trials into slots; collects interrupted trials to rerun. */
static int load_history(nnt_study *s, nnt_error *err)
{
    nnt_trial_record *recs = NULL;
    size_t n = 0;
    int r = s->storage->trials_load(s->storage->ctx, s->study_id, &recs, &n, err);
    if (r < 0) return r;
    for (size_t i = 0; i < n && r == NNT_OK; i++) {
        const nnt_trial_record *tr = &recs[i];
        slot *sl = slot_new(s->nspace);
        if (!sl) {
            r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
            break;
        }
        sl->number = tr->number;
        sl->state = tr->state;
        sl->interrupted = tr->interrupted;
        sl->retry_of = tr->retry_of;
        sl->seed = tr->seed;
        sl->epochs = tr->epochs;
        sl->duration = tr->duration;
        sl->params = nnt_strdup(tr->params ? tr->params : "{}");
        if (tr->model_path) sl->model_path = nnt_strdup(tr->model_path);
        if (tr->state == NNT_TRIAL_COMPLETE || tr->state == NNT_TRIAL_PRUNED) {
            sl->value = tr->value;
            sl->oriented = orient(s, tr->value);
            sl->spread = tr->value_spread;
            sl->valid_loss = tr->valid_loss;
            sl->n_params = tr->n_params;
        }
        sl->n_values = tr->n_values > NNT_MAX_OBJECTIVES ? NNT_MAX_OBJECTIVES : tr->n_values;
        for (int k = 0; k < sl->n_values; k++) sl->values[k] = tr->values[k];
        nnt_error perr;
        if (nnt_space_params_from_json(s->space, sl->params, sl->x, sl->active, &perr) < 0) {
            /* Only after --force with another space: the old trial stays on
             * record but its parameters do not map onto this space. */
            for (int k = 0; k < s->nspace; k++) {
                sl->x[k] = NAN;
                sl->active[k] = 0;
            }
        }
        /* Fold-0 validation curve, for pruners; the refit epoch. */
        nnt_epoch_row *rows = NULL;
        size_t nr = 0;
        if (s->storage->epochs_load(s->storage->ctx, s->study_id, tr->number, &rows, &nr, err) ==
                NNT_OK &&
            nr > 0) {
            sl->inter = nnt_malloc(nr * sizeof *sl->inter);
            if (sl->inter) {
                sl->cap_inter = (int)nr;
                for (size_t k = 0; k < nr; k++)
                    if (rows[k].fold == 0)
                        sl->inter[sl->n_inter++] = orient(s, nnt_metrics_get(&rows[k].valid, s->metric));
            }
            sl->best_epoch = nnt_stored_best_epoch(rows, nr, s->metric, s->maximize);
        }
        nnt_epoch_rows_free(rows);
        nnt_error_clear(err);
        if (slot_push(s, sl) < 0) {
            slot_free(sl);
            r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
            break;
        }
        if (tr->number >= s->next_number) s->next_number = tr->number + 1;
        if (sl->state != NNT_TRIAL_RUNNING && !sl->interrupted) s->n_done++;
        if (better(s, sl, s->best)) s->best = s->n_slots - 1;
    }
    nnt_trial_records_free(recs, n);
    if (r < 0) return r;
    /* Which interrupted trials still need a rerun: those no later trial reran. */
    s->retry = nnt_calloc((size_t)(s->n_slots > 0 ? s->n_slots : 1), sizeof *s->retry);
    if (!s->retry) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    for (int i = 0; i < s->n_slots; i++) {
        slot *sl = s->slots[i];
        if (sl->retry_of < 0) continue;
        for (int j = 0; j < s->n_slots; j++)
            if (s->slots[j]->number == sl->retry_of) s->slots[j]->retried = 1;
    }
    for (int i = 0; i < s->n_slots; i++)
        if (s->slots[i]->interrupted && !s->slots[i]->retried) s->retry[s->n_retry++] = i;
    return NNT_OK;
}

/* The MLP trainer's splits, built once the seed is known. */
static int init_mlp(nnt_study *s, const nnt_study_options *opt, const nnt_study_data *data,
                    int cv_folds, nnt_error *err)
{
    nnt_mlp_setup su;
    memset(&su, 0, sizeof su);
    su.data = *data;
    su.space = s->space;
    su.base_model = opt->base_model;
    su.base_train = opt->base_train;
    su.metric = s->metric;
    su.maximize = s->maximize;
    su.cv_folds = cv_folds;
    su.valid_fraction = opt->valid_fraction;
    su.max_rows = opt->max_rows;
    su.split_seed = nnt_seed_derive(s->seed, SPLIT_SEED_INDEX);
    su.trial_time_limit_s = opt->trial_time_limit_s;
    su.n_costs = opt->n_costs;
    for (int k = 0; k < opt->n_costs; k++) su.costs[k] = opt->costs[k];
    int r = nnt_mlp_init(&s->obj, &su, err);
    if (r == NNT_OK) s->n_folds = s->obj.n_folds;
    return r;
}

/* What trials run: the user's objective (its strings copied), or the MLP
 * trainer behind the same interface. */
static int setup_objective(nnt_study *s, const nnt_study_options *opt, nnt_error *err)
{
    s->n_folds = 1;
    study_runner *rn = &s->runner;
    rn->space = s->space;
    if (!opt->objective) {
        s->objective.name = "mlp";
        s->objective.evaluate = nnt_mlp_evaluate;
        s->objective.ctx = &s->obj;
        s->n_costs = opt->n_costs;
        rn->objective = &s->objective;
        return NNT_OK;
    }
    const nnt_objective *ob = opt->objective;
    s->user = 1;
    s->objective = *ob;
    s->obj_name = nnt_strdup(ob->name);
    s->obj_version = ob->version ? nnt_strdup(ob->version) : NULL;
    s->value_name = nnt_strdup(ob->value_name ? ob->value_name : "value");
    int oom = !s->obj_name || (ob->version && !s->obj_version) || !s->value_name;
    s->n_costs = ob->n_costs;
    for (int k = 0; k < ob->n_costs; k++) {
        s->cost_names[k] = nnt_strdup(ob->cost_names[k]);
        oom |= !s->cost_names[k];
        s->objective.cost_names[k] = s->cost_names[k];
    }
    if (oom) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    s->objective.name = s->obj_name;
    s->objective.version = s->obj_version;
    s->objective.value_name = s->value_name;
    s->maximize = ob->maximize != 0;
    /* Reported values go to the epoch-row column of the metric of that
     * name, or to loss for names of the user's own. */
    int m = nnt_metric_from_name(s->value_name);
    s->metric = m > 0 ? (nnt_metric)m : NNT_METRIC_LOSS;
    rn->objective = &s->objective;
    rn->column = s->metric;
    rn->maximize = s->maximize;
    rn->n_costs = s->n_costs;
    rn->trial_time_limit_s = opt->trial_time_limit_s;
    return NNT_OK;
}

/* This run's definition, from study_definition.c. */
static char *make_definition(const nnt_study *s, const nnt_study_options *opt)
{
    study_definition_in in;
    memset(&in, 0, sizeof in);
    in.sampler = s->sampler_name;
    in.sampler_options = s->sampler_options;
    in.pruner = s->pruner_name;
    in.pruner_options = s->pruner_options;
    in.metric = s->value_name;
    in.maximize = s->maximize;
    in.n_costs = s->n_costs;
    for (int k = 0; k < s->n_costs; k++)
        in.cost_names[k] = s->user ? s->cost_names[k] : nnt_cost_name(opt->costs[k]);
    in.space = s->space;
    in.trial_time_limit_s = opt->trial_time_limit_s;
    if (s->user) {
        in.objective = s->obj_name;
        in.objective_version = s->obj_version;
    } else {
        in.mlp = 1;
        in.n_folds = s->obj.n_folds;
        in.use_valid_set = s->obj.use_valid_set;
        in.valid_fraction = opt->valid_fraction;
        in.max_rows = opt->max_rows;
        in.base_model = &opt->base_model;
        in.base_train = &opt->base_train;
        in.train = s->data.train;
        in.valid = s->data.valid;
        in.data_desc = opt->data_desc;
    }
    return nnt_study_definition_build(&in);
}

int nnt_study_create(const nnt_study_options *opt, const nnt_space *space,
                     const nnt_study_data *data, nnt_storage *storage, nnt_study **out,
                     nnt_error *err)
{
    *out = NULL;
    static const nnt_study_data no_data;
    if (!data && opt && opt->objective) data = &no_data;
    if (!opt || !space || !data || !storage || !storage->ctx)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_study_create: missing argument");
    if (opt->objective) {
        if (data->train || data->valid || data->test)
            return nnt_fail(err, NNT_ERR_ARG,
                            "data: a user objective takes no data set (its evaluate function "
                            "reads its own)");
    } else {
        if (!data->train) return nnt_fail(err, NNT_ERR_ARG, "study: no training data");
        if (!nnt_dataset_has_target(data->train))
            return nnt_fail(err, NNT_ERR_ARG, "study: the training data has no target column");
        if (opt->cv_folds >= 2 && data->valid)
            return nnt_fail(err, NNT_ERR_ARG,
                            "options.cv_folds: cross-validation needs no separate validation set");
    }
    int r = nnt_study_options_check(opt, err);
    if (r < 0) return r;

    nnt_study *s = nnt_calloc(1, sizeof *s);
    if (!s) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    atomic_init(&s->stop, 0);
    s->best = -1;
    s->opt = *opt;
    s->storage = storage;
    s->data = *data;
    s->name = nnt_strdup(opt->name && opt->name[0] ? opt->name : "default");
    s->sampler_name = nnt_strdup(nnt_study_sampler_name(opt));
    s->model_out = opt->model_out ? nnt_strdup(opt->model_out) : NULL;
    s->sampler_options = opt->sampler_options ? nnt_strdup(opt->sampler_options) : NULL;
    s->pruner_name = nnt_strdup(nnt_study_pruner_name(opt));
    s->pruner_options = opt->pruner_options ? nnt_strdup(opt->pruner_options) : NULL;
    s->space = nnt_space_clone(space);
    if (!s->name || !s->sampler_name || (opt->model_out && !s->model_out) || !s->space ||
        (opt->sampler_options && !s->sampler_options) || !s->pruner_name ||
        (opt->pruner_options && !s->pruner_options)) {
        r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    s->opt.name = s->name;
    s->opt.sampler = s->sampler_name;
    s->opt.model_out = s->model_out;
    s->opt.sampler_options = s->sampler_options;
    s->opt.pruner = s->pruner_name;
    s->opt.pruner_options = s->pruner_options;
    s->opt.data_desc = NULL; /* only read during create */
    s->opt.objective = NULL;  /* copied into s->objective */
    s->nspace = nnt_space_size(s->space);
    if ((r = nnt_space_validate(s->space, err)) < 0) goto fail;
    if (opt->objective && !nnt_space_any_names(s->space)) {
        r = nnt_fail(err, NNT_ERR_ARG,
                     "space: a user objective's space is made with nnt_space_new_any or "
                     "nnt_space_from_json_any (its names are not nntune's MLP parameters)");
        goto fail;
    }
    if (!opt->objective && nnt_space_any_names(s->space)) {
        r = nnt_fail(err, NNT_ERR_ARG,
                     "space: made for a user objective (nnt_space_new_any); nntune's MLP "
                     "trainer takes its own parameter names");
        goto fail;
    }
    if ((r = setup_objective(s, opt, err)) < 0) goto fail;
    s->max_epochs = s->user ? opt->objective->max_steps : max_epochs_of(s->space, &opt->base_train);
    {
        /* Sampler and pruner options are checked before any storage work. */
        nnt_tpe_options tpe;
        study_pruner_conf pc;
        if ((r = study_sampler_parse(s->sampler_name, s->sampler_options, "sampler", &tpe, err)) < 0 ||
            (strcmp(s->pruner_name, "custom") &&
             (r = study_pruner_parse(s->pruner_name, s->pruner_options, "pruner", s->max_epochs, &pc,
                                     err)) < 0)) {
            if (r == NNT_ERR_FORMAT) r = NNT_ERR_ARG;
            if (err) err->code = r;
            goto fail;
        }
        if (strcmp(s->pruner_name, "custom") && (r = study_pruner_make(&pc, "pruner", &s->pruner, err)) < 0)
            goto fail;
        if (s->pruner.should_prune) {
            s->opt.prune = s->pruner.should_prune;
            s->opt.prune_ctx = s->pruner.ctx;
        }
    }
    if (opt->refit > 0 && data->valid) {
        r = nnt_fail(err, NNT_ERR_ARG, "%s", NNT_REFIT_NEEDS_HOLDOUT);
        goto fail;
    }
    if (!s->user) {
        s->metric = opt->metric;
        if (s->metric == NNT_METRIC_AUTO)
            s->metric = nnt_dataset_task(data->train) == NNT_TASK_CLASSIFY ? NNT_METRIC_ACCURACY
                                                                            : NNT_METRIC_RMSE;
        if ((r = check_metric(data->train, s->metric, err)) < 0) goto fail;
        s->maximize = nnt_metric_maximize(s->metric);
        s->value_name = nnt_strdup(nnt_metric_name(s->metric));
        if (!s->value_name) {
            r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    if (opt->direction != 0 && (opt->direction > 0) != s->maximize) {
        r = nnt_fail(err, NNT_ERR_ARG, "objective.direction: %s must be %s", s->value_name,
                     s->maximize ? "maximized" : "minimized");
        goto fail;
    }

    /* Open (or create) the study; the seed may come from storage. */
    nnt_study_record rec;
    int created = 0;
    {
        nnt_study_open_request req;
        memset(&req, 0, sizeof req);
        req.name = s->name;
        req.seed = opt->seed;
        req.metric = s->value_name;
        req.maximize = s->maximize;
        req.create = 1;
        req.exclusive = 1;
        req.recover = 1;
        req.definition = "{}"; /* replaced below once the splits exist */
        r = storage->study_open(storage->ctx, &req, &rec, &created, err);
        if (r < 0) goto fail;
    }
    s->study_id = rec.id;
    s->resumed = !created;
    s->seed = opt->seed;
    if (!created && !opt->seed_set) s->seed = rec.seed;
    if (!s->user) {
        study_policy pol = nnt_study_resolve_policy(opt, data, created ? NULL : rec.definition);
        s->tuned_rows = pol.tuned_rows;
        s->small_data = pol.small_data;
        s->cv_auto = pol.cv_auto;
        s->refit_auto = pol.refit_auto;
        s->refit_on = pol.refit;
        r = init_mlp(s, opt, data, pol.cv_folds, err);
    }
    if (r < 0) {
        nnt_study_record_free(&rec);
        goto fail;
    }

    char *def = make_definition(s, opt);
    if (!def) {
        nnt_study_record_free(&rec);
        r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    {
        study_definition_check ck = {s->storage, s->study_id, s->name, s->seed,
                                     s->value_name, opt->force, created};
        r = nnt_study_check_definition(&ck, &rec, def, err);
    }
    nnt_free(def);
    nnt_study_record_free(&rec);
    if (r < 0) goto fail;

    if ((r = nnt_study_sampler_create(s->sampler_name, s->sampler_options, s->space, s->seed,
                                      &s->sampler, err)) < 0) {
        if (r == NNT_ERR_FORMAT) r = NNT_ERR_ARG;
        if (err) err->code = r;
        goto fail;
    }
    if ((r = load_history(s, err)) < 0) goto fail;
    *out = s;
    return NNT_OK;
fail:
    nnt_study_free(s);
    return r;
}

/* ---- run -------------------------------------------------------------------- */

typedef struct worker_arg {
    nnt_study *s;
    const nnt_coordinator_ops *ops;
    int id;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg *a = p;
    nnt_worker_loop(&a->s->runner, a->ops, a->id, a->s->nspace);
    return NULL;
}

static int evaluate_best(nnt_study *s, nnt_error *err)
{
    if (!s->data.test || s->best < 0) return NNT_OK;
    slot *b = s->slots[s->best];
    nnt_model *loaded;
    const nnt_model *m;
    int r = best_trial_model(s, b, &m, &loaded, err);
    if (r < 0) return r;
    if (!m) return NNT_OK; /* best from an earlier run, model not kept */
    r = test_model(s, m, &s->test, &s->n_test, err);
    nnt_model_free(loaded);
    if (r < 0) return r;
    s->has_test = 1;

    json_object *info = metrics_json(&s->test, s->n_test);
    if (s->refit_state == 1) json_object_object_add(info, "refit", refit_json(s));
    r = s->storage->artifact_add(s->storage->ctx, s->study_id, b->number, "test",
                                 b->model_path ? b->model_path : "",
                                 json_object_to_json_string_ext(info, JSON_C_TO_STRING_PLAIN), err);
    json_object_put(info);
    return r;
}

int nnt_study_run(nnt_study *s, nnt_error *err)
{
    if (!s) return nnt_fail(err, NNT_ERR_ARG, "nnt_study_run: no study");
    int jobs = s->opt.jobs;
    if (jobs <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = nc > 0 ? (int)nc : 1;
    }
    int refit_threads = jobs; /* before the trial budget trims the worker count */
    if (s->opt.max_trials > 0) {
        int left = s->opt.max_trials - s->n_done;
        if (left < 1) left = 1;
        if (jobs > left) jobs = left;
    }
    if (jobs > 256) jobs = 256;
    s->worker_slot = nnt_calloc((size_t)jobs, sizeof *s->worker_slot);
    if (!s->worker_slot) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    s->n_workers = jobs;

    /* Trials run side by side, so each one's BLAS gets one thread. */
    int prev_threads = nnt_blas_set_threads(1);
    s->t_start = nnt_mono_now();
    s->deadline = s->opt.max_seconds > 0 ? s->t_start + s->opt.max_seconds : 0;
    s->budget_end = s->deadline;
    atomic_store(&s->live_deadline, s->deadline);
    pthread_mutex_lock(&s->mu);
    reserve_refit_time(s); /* a resumed study may have its best already */
    pthread_mutex_unlock(&s->mu);

    nnt_coordinator_ops ops = {s, co_ask, co_report, co_tell, NULL, co_stopping};
    /* The refit's reserve moves the deadline earlier while trials run; they
     * then check it between batches, so a long epoch does not eat the
     * refit's time. */
    if (s->refit_on && s->budget_end > 0) ops.deadline = co_deadline;
    pthread_mutex_lock(&s->mu);
    nnt_study_event e;
    event_init(s, &e, NNT_EVENT_STUDY_START, -1, NULL);
    emit(s, &e);
    pthread_mutex_unlock(&s->mu);

    if (jobs == 1) {
        nnt_worker_loop(&s->runner, &ops, 0, s->nspace);
    } else {
        pthread_t *th = nnt_calloc((size_t)jobs, sizeof *th);
        worker_arg *args = nnt_calloc((size_t)jobs, sizeof *args);
        int started = 0;
        if (th && args) {
            for (int i = 0; i < jobs; i++) {
                args[i].s = s;
                args[i].ops = &ops;
                args[i].id = i;
                if (pthread_create(&th[i], NULL, worker_main, &args[i]) != 0) break;
                started++;
            }
        }
        if (started == 0) nnt_worker_loop(&s->runner, &ops, 0, s->nspace);
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        nnt_free(th);
        nnt_free(args);
    }

    int r = NNT_OK;
    if (s->fatal) {
        if (err) *err = s->fatal_err;
        r = s->fatal;
    } else {
        /* The cores the workers used are free now: the refit gets them all. */
        if (s->refit_on) r = run_refit(s, refit_threads, err);
        if (r == NNT_OK) r = evaluate_best(s, err);
    }
    if (prev_threads > 0) nnt_blas_set_threads(prev_threads);
    pthread_mutex_lock(&s->mu);
    event_init(s, &e, NNT_EVENT_STUDY_END, -1, NULL);
    emit(s, &e);
    pthread_mutex_unlock(&s->mu);
    return r;
}

void nnt_study_stop(nnt_study *s)
{
    if (s) atomic_store(&s->stop, 1);
}

void nnt_study_get_summary(const nnt_study *s, nnt_study_summary *o)
{
    memset(o, 0, sizeof *o);
    o->best_number = -1;
    o->best_value = o->best_spread = NAN;
    if (!s) return;
    nnt_study *m = (nnt_study *)s; /* the mutex only; state is not changed */
    pthread_mutex_lock(&m->mu);
    o->n_trials = s->n_slots;
    for (int i = 0; i < s->n_slots; i++) {
        switch (s->slots[i]->state) {
        case NNT_TRIAL_COMPLETE: o->n_complete++; break;
        case NNT_TRIAL_PRUNED: o->n_pruned++; break;
        case NNT_TRIAL_FAILED: o->n_failed++; break;
        default: o->n_running++; break;
        }
    }
    o->n_done = s->n_done;
    if (s->best >= 0) {
        const slot *b = s->slots[s->best];
        o->best_number = b->number;
        o->best_value = b->value;
        o->best_spread = b->spread;
        o->best_params = b->params;
        o->model_path = b->model_path;
    }
    o->has_test = s->has_test;
    o->test = s->test;
    o->n_test = s->n_test;
    o->metric = s->value_name;
    o->maximize = s->maximize;
    o->seed = s->seed;
    o->resumed = s->resumed;
    o->stopped = atomic_load(&m->stop) && !s->fatal;
    o->n_objectives = 1 + s->n_costs;
    o->pruner = s->pruner_name;
    o->sampler = s->sampler_name;
    o->refit = s->refit_state;
    o->refit_epochs = s->refit_epochs;
    o->refit_rows = s->refit_rows;
    o->refit_seconds = s->refit_seconds;
    o->refit_note = s->refit_note;
    o->refit_trial_n_test = s->refit_trial_n_test;
    o->refit_trial_test = s->refit_trial_test;
    o->n_folds = s->n_folds;
    o->tuned_rows = s->tuned_rows;
    o->small_data = s->small_data;
    o->cv_auto = s->cv_auto;
    o->refit_auto = s->refit_auto;
    o->refit_planned = s->refit_on;
    if (s->best >= 0) {
        for (int i = 0; i < s->n_slots; i++)
            o->n_tied += s->slots[i]->state == NNT_TRIAL_COMPLETE &&
                         s->slots[i]->value == s->slots[s->best]->value;
        o->ties_noteworthy = nnt_ties_noteworthy(o->n_tied, o->n_complete);
    }
    pthread_mutex_unlock(&m->mu);
    if (o->n_objectives > 1) {
        int np = nnt_study_pareto(s, NULL, 0, NULL);
        o->n_pareto = np > 0 ? np : 0;
    }
}

int nnt_study_pareto(const nnt_study *s, int *numbers, int max, nnt_error *err)
{
    if (!s || s->n_costs == 0) return 0;
    nnt_study *m = (nnt_study *)s; /* the mutex only */
    int k = 1 + s->n_costs;
    pthread_mutex_lock(&m->mu);
    int n = s->n_slots;
    double *pts = nnt_malloc((size_t)(n > 0 ? n : 1) * (size_t)k * sizeof *pts);
    int *num = nnt_malloc((size_t)(n > 0 ? n : 1) * sizeof *num);
    int *idx = nnt_malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    int r = NNT_OK, m_pts = 0;
    if (!pts || !num || !idx) {
        r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    } else {
        for (int i = 0; i < n; i++) {
            const slot *sl = s->slots[i];
            if (sl->state != NNT_TRIAL_COMPLETE || sl->n_values != k) continue;
            for (int j = 0; j < k; j++) pts[(size_t)m_pts * k + j] = sl->values[j];
            num[m_pts++] = sl->number;
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (r == NNT_OK) {
        int maximize[NNT_MAX_OBJECTIVES] = {0};
        maximize[0] = s->maximize;
        r = nnt_pareto_front(pts, m_pts, k, maximize, idx, err);
        /* Slots are in number order, so the front comes out ascending. */
        for (int i = 0; r > 0 && i < r && i < max; i++) numbers[i] = num[idx[i]];
    }
    nnt_free(pts);
    nnt_free(num);
    nnt_free(idx);
    return r;
}

void nnt_study_free(nnt_study *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_slots; i++) slot_free(s->slots[i]);
    nnt_free(s->slots);
    nnt_free(s->retry);
    nnt_free(s->worker_slot);
    nnt_free(s->views);
    nnt_model_free(s->best_model);
    if (s->sampler.name) nnt_sampler_free(&s->sampler);
    nnt_pruner_free(&s->pruner);
    nnt_free(s->sampler_options);
    nnt_free(s->pruner_name);
    nnt_free(s->pruner_options);
    nnt_mlp_free(&s->obj);
    nnt_space_free(s->space);
    nnt_free(s->name);
    nnt_free(s->sampler_name);
    nnt_free(s->model_out);
    nnt_free(s->value_name);
    nnt_free(s->obj_name);
    nnt_free(s->obj_version);
    for (int k = 0; k < NNT_MAX_OBJECTIVES - 1; k++) nnt_free(s->cost_names[k]);
    pthread_mutex_destroy(&s->mu);
    nnt_free(s);
}
