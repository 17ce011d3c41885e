/* The study coordinator: owns the space, the sampler, the pruning hook, the
 * storage handle and the budget, and hands trials to workers through the
 * ask / report / tell seam of study_internal.h, emitting the study's events.
 * Every coordinator call runs under one mutex, which also serialises storage
 * writes (one writer) and the event callback.
 *
 * Trial numbers are given out in order, and parameters are proposed in that
 * order from the history as it stands (running trials included), so the
 * parameter sequence does not depend on how many workers there are. A
 * deterministic study proposes and prunes from a history fixed by trial
 * number instead (study_determ.c), its ask waiting until that is complete. */
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"
#include "tune/study_state.h"

double nnt__study_now(const nnt_study *s)
{
    return s->clock ? s->clock(s->clock_ctx) : nnt_clock_monotonic();
}

void nnt__study_set_clock(nnt_study *s, double (*fn)(void *ctx), void *ctx)
{
    s->clock = fn;
    s->clock_ctx = ctx;
}

double nnt__study_orient(const nnt_study *s, double v)
{
    return isfinite(v) ? (s->maximize ? -v : v) : NAN;
}

void nnt__study_slot_set_results(const nnt_study *s, slot *sl, double value, double spread,
                                 double valid_loss, double n_params, int n_values,
                                 const double *values)
{
    if (sl->state == NNT_TRIAL_COMPLETE || sl->state == NNT_TRIAL_PRUNED) {
        sl->value = value;
        sl->oriented = nnt__study_orient(s, value);
        sl->spread = spread;
        sl->valid_loss = valid_loss;
        sl->n_params = n_params;
    }
    sl->n_values = n_values > NNT_MAX_OBJECTIVES ? NNT_MAX_OBJECTIVES : n_values;
    for (int k = 0; k < sl->n_values; k++) sl->values[k] = values[k];
}

void nnt__study_slot_free(slot *sl)
{
    if (!sl) return;
    nnt__free(sl->x);
    nnt__free(sl->active);
    nnt__free(sl->inter);
    nnt__free(sl->params);
    nnt__free(sl->model_path);
    nnt__free(sl);
}

slot *nnt__study_slot_new(int nspace)
{
    slot *sl = nnt__calloc(1, sizeof *sl);
    if (!sl) return NULL;
    sl->x = nnt__calloc((size_t)(nspace > 0 ? nspace : 1), sizeof *sl->x);
    sl->active = nnt__calloc((size_t)(nspace > 0 ? nspace : 1), 1);
    if (!sl->x || !sl->active) {
        nnt__study_slot_free(sl);
        return NULL;
    }
    sl->retry_of = -1;
    sl->value = sl->oriented = sl->spread = sl->duration = NAN;
    sl->valid_loss = sl->n_params = NAN;
    return sl;
}

int nnt__study_slot_push(nnt_study *s, slot *sl)
{
    if (s->n_slots == s->cap_slots) {
        int nc = s->cap_slots ? s->cap_slots * 2 : 64;
        slot **ns = nnt__realloc(s->slots, (size_t)nc * sizeof *ns);
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
int nnt__study_better(const nnt_study *s, const slot *a, int best_idx)
{
    if (a->state != NNT_TRIAL_COMPLETE || !isfinite(a->oriented)) return 0;
    if (best_idx < 0) return 1;
    nnt_trial_record ka = slot_key(a), kb = slot_key(s->slots[best_idx]);
    return nnt_trial_compare(&ka, &kb, s->maximize) < 0;
}

/* A slot as the sampler and pruner see it. Views point into the slots,
 * which stay put (the slot array holds pointers). */
static void view_fill(nnt_trial_view *v, const slot *sl)
{
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

/* Slot i changed (a report, a tell): its view follows. Views are kept
 * between calls, so building the history costs only what changed, not
 * the whole history at every report (bench/bench_coordinator.c). */
static void view_touch(nnt_study *s, int i)
{
    if (i < s->n_views) view_fill(&s->views[i], s->slots[i]);
}

int nnt__study_build_history(nnt_study *s, nnt_history *h)
{
    if (s->n_slots > s->cap_views) {
        int nc = s->n_slots * 2;
        nnt_trial_view *nv = nnt__realloc(s->views, (size_t)nc * sizeof *nv);
        if (!nv) return NNT_ERR_NOMEM;
        s->views = nv;
        s->cap_views = nc;
    }
    /* Views a deterministic history hid (nnt__study_det_history) come back. */
    for (int i = s->masked_from; i < s->n_views; i++) view_fill(&s->views[i], s->slots[i]);
    s->masked_from = INT_MAX;
    for (int i = s->n_views; i < s->n_slots; i++) view_fill(&s->views[i], s->slots[i]);
    s->n_views = s->n_slots;
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

void nnt__study_event_init(const nnt_study *s, nnt_study_event *e, nnt_study_event_kind kind,
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
    e->elapsed_s = s->t_start > 0 ? nnt__study_now(s) - s->t_start : 0;
    e->max_seconds = s->opt.max_seconds;
    e->best_number = s->best >= 0 ? s->slots[s->best]->number : -1;
    e->best_value = s->best >= 0 ? s->slots[s->best]->value : NAN;
    e->metric = s->value_name;
    e->maximize = s->maximize;
    e->n_folds = s->n_folds;
}

void nnt__study_emit(const nnt_study *s, const nnt_study_event *e)
{
    if (s->opt.on_event) s->opt.on_event(e, s->opt.userdata);
}

/* Whether the study is stopping, for nnt_trial_should_stop (no lock). */
int nnt__study_co_stopping(void *ctx)
{
    nnt_study *s = ctx;
    return atomic_load(&s->stop) != 0;
}

/* The deadline as it stands, for workers between batches (no lock). */
double nnt__study_co_deadline(void *ctx)
{
    nnt_study *s = ctx;
    return atomic_load(&s->live_deadline);
}

/* ---- the three messages ------------------------------------------------- */

/* ask under the lock: NNT_OK, NNT_ERR_NOT_FOUND or NNT_ASK_WAIT. */
static int ask_locked(nnt_study *s, int worker, nnt_trial_task *t)
{
    int result = NNT_ERR_NOT_FOUND;
    if (atomic_load(&s->stop) || s->fatal) goto out;
    if (s->deadline > 0 && nnt__study_now(s) >= s->deadline) goto out;
    if (s->opt.max_trials > 0 && s->n_done + s->n_running >= s->opt.max_trials) goto out;
    if (s->det_slots > 0 && !nnt__study_det_ready(s)) return NNT_ASK_WAIT;

    slot *sl = nnt__study_slot_new(s->nspace);
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
        sl->params = nnt__strdup(src->params ? src->params : "{}");
        src->retried = 1;
    } else {
        nnt_history h;
        int r = s->det_slots > 0 ? nnt__study_det_history(s, s->next_number, &h)
                                 : nnt__study_build_history(s, &h);
        if (r == NNT_OK) {
            sl->seed = nnt_seed_derive(s->seed, (uint64_t)s->next_number);
            r = s->sampler.propose(s->sampler.ctx, s->space, &h, s->next_number, sl->seed, sl->x,
                                   sl->active, &err);
        }
        if (r == NNT_ERR_NOT_FOUND) { /* the sampler is done (grid exhausted) */
            nnt__study_slot_free(sl);
            goto out;
        }
        if (r < 0) {
            nnt__study_slot_free(sl);
            set_fatal(s, &err, r);
            goto out;
        }
        sl->params = nnt_space_params_json(s->space, sl->x, sl->active);
    }
    if (!sl->params) {
        nnt__study_slot_free(sl);
        set_fatal(s, NULL, NNT_ERR_NOMEM);
        goto out;
    }
    sl->number = s->next_number;
    sl->state = NNT_TRIAL_RUNNING;
    int r = nnt_storage_trial_start(s->storage, s->study_id, sl->number, sl->params, sl->seed,
                                    sl->retry_of, nnt_clock_wall(), &err);
    if (r == NNT_OK) r = nnt__study_slot_push(s, sl);
    if (r < 0) {
        nnt__study_slot_free(sl);
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
    t->params = nnt__strdup(sl->params);
    /* A deterministic study's budget stops handing out trials only: a
     * trial cut short by the clock would differ from run to run. */
    t->deadline = s->det_slots > 0 ? 0 : s->deadline;
    nnt_study_event e;
    nnt__study_event_init(s, &e, NNT_EVENT_TRIAL_START, worker, sl);
    nnt__study_emit(s, &e);
    result = NNT_OK;
out:
    return result;
}

int nnt__study_co_ask_try(void *ctx, int worker, nnt_trial_task *t)
{
    nnt_study *s = ctx;
    pthread_mutex_lock(&s->mu);
    int r = ask_locked(s, worker, t);
    pthread_mutex_unlock(&s->mu);
    return r;
}

int nnt__study_co_ask(void *ctx, int worker, nnt_trial_task *t)
{
    nnt_study *s = ctx;
    pthread_mutex_lock(&s->mu);
    int r;
    while ((r = ask_locked(s, worker, t)) == NNT_ASK_WAIT) {
        /* Woken by a tell; the timeout only re-checks a stop request
         * (nnt_study_stop, being async-signal-safe, cannot signal). */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return r;
}

int nnt__study_co_report(void *ctx, int worker, const nnt_report_msg *rp)
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
    int r = nnt_storage_trial_epoch(s->storage, s->study_id, sl->number, &row, &err);
    if (r < 0) set_fatal(s, &err, r);
    if (rp->fold == 0) {
        if (sl->n_inter == sl->cap_inter) {
            int nc = sl->cap_inter ? sl->cap_inter * 2 : 16;
            double *ni = nnt__realloc(sl->inter, (size_t)nc * sizeof *ni);
            if (ni) {
                sl->inter = ni;
                sl->cap_inter = nc;
            }
        }
        if (sl->n_inter < sl->cap_inter) sl->inter[sl->n_inter++] = nnt__study_orient(s, rp->value);
        view_touch(s, s->worker_slot[worker]);
    }
    if (p->epoch > sl->epochs) sl->epochs = p->epoch;

    if (atomic_load(&s->stop) || s->fatal ||
        (s->det_slots == 0 && s->deadline > 0 && nnt__study_now(s) >= s->deadline)) {
        answer = NNT_REPORT_ABORT;
    } else if (s->opt.prune && rp->fold == 0) {
        nnt_history h;
        int hr = s->det_slots > 0 ? nnt__study_det_history(s, sl->number, &h) : nnt__study_build_history(s, &h);
        if (hr == NNT_OK &&
            s->opt.prune(s->opt.prune_ctx, &h, sl->number, p->epoch, nnt__study_orient(s, rp->value)) ==
                NNT_PRUNED)
            answer = NNT_REPORT_PRUNE;
    }
    nnt_study_event e;
    nnt__study_event_init(s, &e, NNT_EVENT_EPOCH, worker, sl);
    e.fold = rp->fold;
    e.epoch = p->epoch;
    e.max_epochs = p->max_epochs;
    e.epoch_value = rp->value;
    nnt__study_emit(s, &e);
    pthread_mutex_unlock(&s->mu);
    return answer;
}

void nnt__study_co_tell(void *ctx, int worker, nnt_trial_outcome *o)
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
    nnt__study_slot_set_results(s, sl, o->value, o->value_spread, o->valid_loss, o->n_params,
                                o->n_values, o->values);
    if (o->interrupted && s->deadline > 0 && nnt__study_now(s) >= s->deadline)
        snprintf(o->error, sizeof o->error, "interrupted (study time budget)");

    /* A new best is saved (atomically) before it goes on record, so that a
     * killed study still leaves its best model behind. A trial whose model
     * cannot be saved (disk full) is not complete: it goes on record as
     * interrupted, which a resume reruns with the same parameters and seed,
     * and the study stops with the save's error (tests/cli_disk_full.sh). */
    nnt_error err;
    nnt_error_clear(&err);
    int save_r = NNT_OK, saved = 0;
    if (o->model && s->model_out && nnt__study_better(s, sl, s->best)) {
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

    nnt_trial_record rec = slot_key(sl); /* number, state, value, tie-breakers */
    rec.value_spread = sl->spread;
    rec.finished = nnt_clock_wall();
    rec.duration = o->duration;
    rec.error = o->error[0] ? o->error : NULL;
    rec.epochs = o->epochs;
    rec.interrupted = o->interrupted;
    rec.n_values = sl->n_values;
    for (int k = 0; k < sl->n_values; k++) rec.values[k] = sl->values[k];
    int r = save_r;
    if (r < 0) set_fatal(s, &err, r);
    nnt_error ferr;
    nnt_error_clear(&ferr);
    int fr = nnt_storage_trial_finish(s->storage, s->study_id, &rec, &ferr);
    if (fr < 0 && r == NNT_OK) set_fatal(s, &ferr, fr);
    if (r == NNT_OK) r = fr;

    int is_best = 0;
    if (r == NNT_OK && nnt__study_better(s, sl, s->best)) {
        is_best = 1;
        if (saved) {
            r = nnt_storage_artifact_add(s->storage, s->study_id, sl->number, "model",
                                         s->model_out, NULL, &err);
            if (r < 0) set_fatal(s, &err, r);
            else sl->model_path = nnt__strdup(s->model_out);
        }
        s->best = idx;
        nnt_model_free(s->best_model);
        s->best_model = o->model;
        o->model = NULL;
    }
    nnt_model_free(o->model);
    o->model = NULL;
    if (is_best) nnt__study_reserve_refit_time(s);
    view_touch(s, idx);
    s->n_running--;
    if (!sl->interrupted) s->n_done++;

    nnt_study_event e;
    nnt__study_event_init(s, &e, NNT_EVENT_TRIAL_END, worker, sl);
    e.state = sl->state;
    e.value = sl->value;
    e.value_spread = sl->spread;
    e.error = o->error[0] ? o->error : NULL;
    e.duration = o->duration;
    e.epochs = o->epochs;
    e.is_best = is_best;
    e.n_values = sl->n_values;
    e.values = sl->n_values > 0 ? sl->values : NULL;
    nnt__study_emit(s, &e);
    if (s->det_slots > 0) pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int nnt__study_co_begin(nnt_study *s, int n_workers, nnt_error *err)
{
    nnt__free(s->worker_slot);
    s->worker_slot = nnt__calloc((size_t)(n_workers > 0 ? n_workers : 1), sizeof *s->worker_slot);
    if (!s->worker_slot) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    s->n_workers = n_workers;
    s->t_start = nnt__study_now(s);
    s->deadline = s->opt.max_seconds > 0 ? s->t_start + s->opt.max_seconds : 0;
    s->budget_end = s->deadline;
    atomic_store(&s->live_deadline, s->deadline);
    pthread_mutex_lock(&s->mu);
    nnt__study_reserve_refit_time(s); /* a resumed study may have its best already */
    nnt_study_event e;
    nnt__study_event_init(s, &e, NNT_EVENT_STUDY_START, -1, NULL);
    nnt__study_emit(s, &e);
    pthread_mutex_unlock(&s->mu);
    return NNT_OK;
}
