/* The coordinator benchmark (issue 12, section 3a): a discrete-event
 * simulation of N workers driving the real study coordinator -- TPE sampler,
 * ASHA pruner, SQLite storage in a temporary file -- through its ask /
 * report / tell entry points (nnt__study_co_ask_try, nnt__study_co_report,
 * nnt__study_co_tell), the ones an MPI transport forwards to.
 *
 * Workers live in simulated time: a trial lasts 10 to 120 s (drawn from its
 * seed) and reports every 2 s a value from a cheap synthetic curve of its
 * parameters; a prune answer ends it at once. The coordinator is one server
 * queue: a message waits until the coordinator is free, then takes the real
 * CPU time its call took (measured with the thread's CPU clock), scaled 1:1
 * into simulated time, and the worker waits for the answer (ask, report and
 * tell are all synchronous, as over MPI). A worker is busy while it trains
 * and idle while its message waits or is served; utilisation is busy time
 * over busy plus idle time, over all workers. The coordinator's own clock
 * (time budget, elapsed times) is the simulated one (nnt__study_set_clock).
 *
 * Printed per worker count: trials, events, utilisation, the coordinator's
 * busy fraction of simulated time, CPU microseconds per ask, report and tell
 * (mean and 99th percentile), ask cost over the last tenth of the run, and
 * events per second at saturation (events / coordinator CPU seconds: what a
 * coordinator busy all the time would serve). A benchmark, not a test; a
 * small run is a smoke test in CTest (bench_coordinator_smoke).
 *
 * --window S adds, per S seconds of simulated time, the trials handed out so
 * far, the mean ask cost, the coordinator's busy fraction and the workers'
 * idle fraction: how the cost grows with the history.
 *
 * --deterministic runs a reproducible study (docs/reproducible.md) with as
 * many slots as workers (--slots J: J): an ask that must wait is answered
 * NNT_ASK_WAIT (nnt__study_co_ask_try) and asked again after the next tell, as a
 * transport serving many workers from one loop does; the waits count as
 * idle time.
 *
 * --tpe-bad-max N sets TPE's n_bad_max (the bad density from the N most
 * recent bad trials), which bounds the cost of an ask in long studies.
 *
 * Usage: bench_coordinator [--workers N[,N...]] [--seconds S] [--seed K]
 *                          [--trials T] [--window S] [--deterministic]
 *                          [--slots J] [--tpe-bad-max N] [--quiet] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "nntune/nntune.h"
#include "tune/study_state.h"

/* ---- clocks and statistics --------------------------------------------------- */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct costs {
    double *v;
    size_t n, cap;
    double sum;
} costs;

static int costs_add(costs *c, double x)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 1024;
        double *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv) return -1;
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = x;
    c->sum += x;
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean of v[from..n) */
static double mean_from(const costs *c, size_t from)
{
    double s = 0;
    for (size_t i = from; i < c->n; i++) s += c->v[i];
    return c->n > from ? s / (double)(c->n - from) : 0;
}

static double p99(costs *c)
{
    if (!c->n) return 0;
    double *t = malloc(c->n * sizeof *t);
    if (!t) return NAN;
    memcpy(t, c->v, c->n * sizeof *t);
    qsort(t, c->n, sizeof *t, cmp_d);
    double r = t[(size_t)(0.99 * (double)(c->n - 1))];
    free(t);
    return r;
}

/* ---- the simulated workers ----------------------------------------------------- */

enum { MSG_ASK, MSG_REPORT, MSG_TELL };

typedef struct worker {
    int msg;            /* the message it sends next */
    nnt_trial_task task;
    int steps;          /* reports of this trial */
    int step;           /* reported so far */
    double duration;    /* simulated seconds of the trial */
    double quality;     /* the curve's floor */
    double noise;
    double best;
    int outcome;        /* a tell's state: complete, pruned, interrupted */
    int done;
    int parked;         /* a deterministic ask said NNT_ASK_WAIT at parked_at */
    double parked_at;
} worker;

typedef struct event {
    double t;
    long seq;
    int w;
} event;

typedef struct heap {
    event *e;
    int n;
} heap;

static int ev_less(const event *a, const event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(heap *h, event e)
{
    int i = h->n++;
    while (i > 0 && ev_less(&e, &h->e[(i - 1) / 2])) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = e;
}

static event heap_pop(heap *h)
{
    event top = h->e[0], last = h->e[--h->n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && ev_less(&h->e[c + 1], &h->e[c])) c++;
        if (!ev_less(&h->e[c], &last)) break;
        h->e[i] = h->e[c];
        i = c;
    }
    h->e[i] = last;
    return top;
}

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double unit(uint64_t z) { return (double)(mix(z) >> 11) * 0x1.0p-53; }

/* The synthetic objective: a floor from the parameters, a curve that falls
 * to it, and per-trial noise; duration 10-120 s from the trial seed. */
static void start_trial(worker *w, const nnt_space *sp)
{
    const double *x = w->task.x;
    int c = (int)x[nnt_space_find(sp, "kind")];
    double lr = x[nnt_space_find(sp, "lr")], mom = x[nnt_space_find(sp, "momentum")];
    double width = x[nnt_space_find(sp, "width")];
    double l = log10(lr) + 2.5;
    w->quality = l * l + 2 * (mom - 0.8) * (mom - 0.8) + 0.02 * fabs(width - 96) / 32 + 0.1 * (c != 1);
    w->noise = 0.05 * (unit(w->task.seed) - 0.5);
    w->duration = 10 + 110 * unit(w->task.seed ^ 0x51ed);
    w->steps = (int)(w->duration / 2);
    w->step = 0;
    w->best = INFINITY;
}

static double curve(const worker *w, int k)
{
    return w->quality + w->noise + 1.0 / (1.0 + 0.15 * k);
}

/* ---- one simulation -------------------------------------------------------- */

typedef struct sim_clock {
    double t;
} sim_clock;

static double sim_time(void *ctx) { return ((sim_clock *)ctx)->t; }

typedef struct result {
    int workers;
    double seconds;
    long trials, events, complete, pruned;
    double busy, idle;   /* worker-seconds */
    double server_busy;  /* coordinator CPU seconds */
    double end_t;
    double wall;
    double ask_mean, ask_p99, ask_late, report_mean, report_p99, tell_mean, tell_p99;
    /* per window of simulated time (--window): asks, their CPU, the
     * coordinator's CPU, the workers' idle time, trials handed out so far */
    double window;
    int n_win;
    struct win {
        long asks, trials;
        double ask_cpu, cpu, idle;
    } *win;
} result;

static nnt_space *bench_space(void)
{
    nnt_space *sp = nnt_space_new_any();
    nnt_error err;
    if (!sp || nnt_space_set_spec(sp, "lr", "0.0001:0.1:log", &err) < 0 ||
        nnt_space_set_spec(sp, "momentum", "0.5:0.99", &err) < 0 ||
        nnt_space_set_spec(sp, "width", "16:256", &err) < 0 ||
        nnt_space_set_spec(sp, "kind", "a,b,c,d", &err) < 0) {
        fprintf(stderr, "bench_coordinator: space: %s\n", err.message);
        nnt_space_free(sp);
        return NULL;
    }
    return sp;
}

static int never_called(void *ctx, const nnt_params *p, nnt_trial *t, double *v, nnt_error *err)
{
    (void)ctx, (void)p, (void)t, (void)v;
    return nnt_error_set(err, NNT_ERR_INTERNAL, "simulated workers do not evaluate");
}

/* Serves one message of worker w at simulated time `start`; returns the
 * simulated time the worker sends its next message (or -1 when done). */
static double serve(nnt_study *s, const nnt_space *sp, worker *w, int id, sim_clock *clk,
                    result *res, costs *ca, costs *cr, costs *ct, double *server_free)
{
    double c0 = cpu_now(), c;
    double next = -1;
    if (w->msg == MSG_ASK) {
        int r = nnt__study_co_ask_try(s, id, &w->task);
        c = cpu_now() - c0;
        if (r == NNT_OK) costs_add(ca, c); /* a refusal at the end costs nothing to speak of */
        else res->server_busy += c;
        double end = clk->t + c;
        if (r == NNT_OK) {
            nnt__free(w->task.params);
            w->task.params = NULL;
            start_trial(w, sp);
            res->trials++;
            w->msg = w->steps > 0 ? MSG_REPORT : MSG_TELL;
            w->outcome = NNT_TRIAL_COMPLETE;
            double work = w->steps > 0 ? 2.0 : w->duration;
            res->busy += work;
            next = end + work;
        } else if (r == NNT_ASK_WAIT) {
            w->parked = 1; /* asks again after the next tell, as an MPI rank 0 would */
            w->parked_at = end;
        } else {
            w->done = 1;
        }
        *server_free = end;
        return next;
    }
    if (w->msg == MSG_REPORT) {
        int k = ++w->step;
        double v = curve(w, k);
        if (v < w->best) w->best = v;
        nnt_progress p;
        memset(&p, 0, sizeof p);
        p.epoch = k;
        p.max_epochs = 60;
        p.train.loss = p.train.accuracy = p.train.rmse = p.train.mae = p.train.r2 = NAN;
        p.valid = p.train;
        p.valid.loss = v;
        p.has_valid = 1;
        p.monitored = v;
        p.lr = NAN;
        p.elapsed_s = 2.0 * k;
        nnt_report_msg m = {w->task.number, 0, 1, &p, v};
        int a = nnt__study_co_report(s, id, &m);
        c = cpu_now() - c0;
        costs_add(cr, c);
        double end = clk->t + c;
        *server_free = end;
        if (a == NNT_REPORT_CONTINUE && k < w->steps) {
            res->busy += 2.0;
            return end + 2.0;
        }
        w->msg = MSG_TELL;
        if (a == NNT_REPORT_PRUNE) w->outcome = NNT_TRIAL_PRUNED;
        else if (a == NNT_REPORT_ABORT) w->outcome = -1;
        double rest = a == NNT_REPORT_CONTINUE ? w->duration - 2.0 * w->steps : 0;
        res->busy += rest;
        return end + rest;
    }
    nnt_trial_outcome o;
    memset(&o, 0, sizeof o);
    o.number = w->task.number;
    o.value = o.value_spread = o.valid_loss = o.n_params = NAN;
    o.epochs = w->step;
    o.duration = w->outcome == NNT_TRIAL_COMPLETE ? w->duration : 2.0 * w->step;
    if (w->outcome == NNT_TRIAL_COMPLETE) {
        o.state = NNT_TRIAL_COMPLETE;
        o.value = w->steps > 0 ? curve(w, w->steps) : w->quality + w->noise + 1;
        res->complete++;
    } else if (w->outcome == NNT_TRIAL_PRUNED) {
        o.state = NNT_TRIAL_PRUNED;
        o.value = w->best;
        res->pruned++;
    } else {
        o.state = NNT_TRIAL_FAILED;
        o.interrupted = 1;
        snprintf(o.error, sizeof o.error, "interrupted");
    }
    nnt__study_co_tell(s, id, &o);
    c = cpu_now() - c0;
    costs_add(ct, c);
    *server_free = clk->t + c;
    w->msg = MSG_ASK;
    return *server_free;
}

/* What the storage holds after the run: every trial handed out, none left
 * running, the complete and pruned counts the workers told (the smoke test's
 * check that the coordinator and the storage kept up). */
static int check_stored(nnt_storage *st, const nnt_study *s, const result *res, nnt_error *err)
{
    nnt_trial_record *t = NULL;
    size_t n = 0;
    int r = nnt_storage_trials_load(st, s->study_id, &t, &n, err);
    if (r < 0) return r;
    long complete = 0, pruned = 0, running = 0;
    for (size_t i = 0; i < n; i++) {
        complete += t[i].state == NNT_TRIAL_COMPLETE;
        pruned += t[i].state == NNT_TRIAL_PRUNED;
        running += t[i].state == NNT_TRIAL_RUNNING;
    }
    nnt_trial_records_free(t, n);
    if ((long)n != res->trials || complete != res->complete || pruned != res->pruned || running)
        return nnt_error_set(err, NNT_ERR_INTERNAL,
                             "stored %zu trials (%ld complete, %ld pruned, %ld running), "
                             "handed out %ld (%ld complete, %ld pruned)",
                             n, complete, pruned, running, res->trials, res->complete, res->pruned);
    return NNT_OK;
}

typedef struct sim_opts {
    double seconds, window;
    int max_trials;
    uint64_t seed;
    int slots; /* > 0: a deterministic study with this many slots */
    const char *sampler_options;
} sim_opts;

static int simulate(int n_workers, const sim_opts *so, result *res)
{
    double seconds = so->seconds, window = so->window;
    int max_trials = so->max_trials;
    uint64_t seed = so->seed;
    memset(res, 0, sizeof *res);
    res->window = window;
    res->workers = n_workers;
    res->seconds = seconds;
    char dir[] = "/tmp/nnt-bench-coord-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_coordinator: mkdtemp");
        return -1;
    }
    char db[128];
    snprintf(db, sizeof db, "%s/study.db", dir);
    nnt_space *sp = bench_space();
    nnt_storage *st = NULL;
    nnt_study *s = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = sp ? nnt_storage_open_sqlite(db, 0, &st, &err) : -1;
    nnt_objective ob;
    memset(&ob, 0, sizeof ob);
    ob.name = "simulated";
    ob.value_name = "loss";
    ob.evaluate = never_called;
    ob.max_steps = 60;
    nnt_study_options o = nnt_study_options_default();
    o.objective = &ob;
    o.name = "bench";
    o.sampler = "tpe";
    o.sampler_options = so->sampler_options;
    o.pruner = "asha";
    o.seed = seed;
    o.seed_set = 1;
    o.max_seconds = seconds;
    o.max_trials = max_trials;
    o.jobs = n_workers;
    o.deterministic = so->slots > 0;
    o.slots = so->slots;
    if (rc == NNT_OK) rc = nnt_study_create(&o, sp, NULL, st, &s, &err);
    sim_clock clk = {0};
    if (rc == NNT_OK) {
        nnt__study_set_clock(s, sim_time, &clk);
        rc = nnt__study_co_begin(s, n_workers, &err);
    }
    worker *ws = calloc((size_t)n_workers, sizeof *ws);
    heap h = {calloc((size_t)n_workers + 1, sizeof(event)), 0};
    int nspace = sp ? nnt_space_size(sp) : 0;
    if (rc == NNT_OK && (!ws || !h.e)) rc = NNT_ERR_NOMEM;
    for (int i = 0; rc == NNT_OK && i < n_workers; i++) {
        ws[i].task.x = calloc((size_t)nspace, sizeof(double));
        ws[i].task.active = calloc((size_t)nspace, 1);
        if (!ws[i].task.x || !ws[i].task.active) rc = NNT_ERR_NOMEM;
        /* Workers start within the first 10 ms, as launched processes do. */
        heap_push(&h, (event){0.01 * unit(seed + (uint64_t)i), i, i});
    }
    costs ca = {0}, cr = {0}, ct = {0};
    int *parked = calloc((size_t)n_workers, sizeof *parked), n_parked = 0;
    if (!parked) rc = NNT_ERR_NOMEM;
    double server_free = 0, w0 = wall_now();
    long seq = n_workers;
    while (rc == NNT_OK && h.n > 0) {
        event e = heap_pop(&h);
        double start = e.t > server_free ? e.t : server_free;
        clk.t = start;
        worker *w = &ws[e.w];
        int was_ask = w->msg == MSG_ASK, was_tell = w->msg == MSG_TELL;
        double next = serve(s, sp, w, e.w, &clk, res, &ca, &cr, &ct, &server_free);
        res->idle += server_free - e.t;
        if (w->parked) {
            w->parked = 0;
            parked[n_parked++] = e.w;
        }
        double woken_idle = 0;
        if (was_tell && n_parked > 0) {
            /* A result came in: the waiting asks go again, in the order they waited. */
            for (int k = 0; k < n_parked; k++) {
                woken_idle += server_free - ws[parked[k]].parked_at;
                heap_push(&h, (event){server_free, seq++, parked[k]});
            }
            res->idle += woken_idle;
            n_parked = 0;
        }
        if (res->window > 0) {
            int k = (int)(start / res->window);
            if (k >= res->n_win) {
                struct win *nw = realloc(res->win, (size_t)(k + 1) * sizeof *nw);
                if (!nw) {
                    rc = NNT_ERR_NOMEM;
                    break;
                }
                memset(nw + res->n_win, 0, (size_t)(k + 1 - res->n_win) * sizeof *nw);
                res->win = nw;
                res->n_win = k + 1;
            }
            struct win *wd = &res->win[k];
            double c = server_free - start;
            wd->cpu += c;
            wd->idle += server_free - e.t + woken_idle;
            wd->trials = res->trials;
            if (was_ask) {
                wd->asks++;
                wd->ask_cpu += c;
            }
        }
        res->events++;
        if (next >= 0) heap_push(&h, (event){next, seq++, e.w});
        res->end_t = server_free;
    }
    res->wall = wall_now() - w0;
    if (rc == NNT_OK) rc = check_stored(st, s, res, &err);
    if (rc != NNT_OK) fprintf(stderr, "bench_coordinator: %s\n", err.message[0] ? err.message : nnt_strerror(rc));
    res->server_busy += ca.sum + cr.sum + ct.sum;
    res->ask_mean = ca.n ? ca.sum / (double)ca.n : 0;
    res->ask_p99 = p99(&ca);
    res->ask_late = mean_from(&ca, ca.n - ca.n / 10);
    res->report_mean = cr.n ? cr.sum / (double)cr.n : 0;
    res->report_p99 = p99(&cr);
    res->tell_mean = ct.n ? ct.sum / (double)ct.n : 0;
    res->tell_p99 = p99(&ct);
    for (int i = 0; ws && i < n_workers; i++) {
        free(ws[i].task.x);
        free(ws[i].task.active);
    }
    free(ws);
    free(parked);
    free(h.e);
    free(ca.v);
    free(cr.v);
    free(ct.v);
    nnt_study_free(s);
    nnt_storage_close(st);
    nnt_space_free(sp);
    const char *tails[] = {"", "-wal", "-shm", ".lock"};
    for (int k = 0; k < 4; k++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", db, tails[k]);
        unlink(p);
    }
    rmdir(dir);
    return rc;
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    const char *workers = "10,100,1000";
    double seconds = 600, window = 0;
    int max_trials = 0, quiet = 0, det = 0, slots = 0, bad_max = 0;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--workers") && i + 1 < argc) workers = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--trials") && i + 1 < argc) max_trials = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--window") && i + 1 < argc) window = atof(argv[++i]);
        else if (!strcmp(argv[i], "--tpe-bad-max") && i + 1 < argc) bad_max = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--deterministic")) det = 1;
        else if (!strcmp(argv[i], "--slots") && i + 1 < argc) det = slots = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quiet")) quiet = 1;
        else {
            fprintf(stderr, "usage: bench_coordinator [--workers N[,N...]] [--seconds S] "
                            "[--trials T] [--seed K] [--window S] [--deterministic] [--slots J] "
                            "[--tpe-bad-max N] [--quiet]\n");
            return 2;
        }
    }
    if (!(seconds > 0)) {
        fprintf(stderr, "bench_coordinator: --seconds: expected a positive number\n");
        return 2;
    }
    if (!quiet)
        printf("coordinator benchmark: TPE + ASHA + SQLite (temp file), trials 10-120 s reporting "
               "every 2 s, %.0f s simulated%s%s\n",
               seconds, max_trials > 0 ? " or the trial budget" : "",
               det ? ", deterministic (slots: --slots, else the workers)" : ", free-running");
    if (!quiet && bad_max > 0) printf("TPE n_bad_max %d\n", bad_max);
    printf("%7s %7s %8s %7s %7s %16s %16s %16s %10s %9s %7s\n", "workers", "trials", "events",
           "util%", "coord%", "ask us mean/p99", "report us", "tell us", "ask late us",
           "events/s", "wall s");
    char list[256];
    snprintf(list, sizeof list, "%s", workers);
    int status = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int n = atoi(tok);
        if (n < 1 || n > 100000) {
            fprintf(stderr, "bench_coordinator: --workers: expected 1..100000, got '%s'\n", tok);
            return 2;
        }
        result r;
        char sopt[64];
        snprintf(sopt, sizeof sopt, "{\"n_bad_max\": %d}", bad_max);
        sim_opts so = {seconds, window, max_trials, seed, det ? (slots > 0 ? slots : n) : 0,
                       bad_max > 0 ? sopt : NULL};
        if (simulate(n, &so, &r) != NNT_OK) {
            free(r.win);
            status = 1;
            continue;
        }
        double util = r.busy + r.idle > 0 ? 100 * r.busy / (r.busy + r.idle) : 0;
        printf("%7d %7ld %8ld %7.2f %7.2f %7.0f/%-8.0f %7.0f/%-8.0f %7.0f/%-8.0f %10.0f %9.0f %7.1f\n",
               n, r.trials, r.events, util, r.end_t > 0 ? 100 * r.server_busy / r.end_t : 0,
               1e6 * r.ask_mean, 1e6 * r.ask_p99, 1e6 * r.report_mean, 1e6 * r.report_p99,
               1e6 * r.tell_mean, 1e6 * r.tell_p99, 1e6 * r.ask_late,
               r.server_busy > 0 ? (double)r.events / r.server_busy : 0, r.wall);
        fflush(stdout);
        if (!quiet)
            printf("        complete %ld, pruned %ld, simulated %.0f s\n", r.complete, r.pruned,
                   r.end_t);
        for (int k = 0; k < r.n_win && k * window < seconds; k++) {
            const struct win *wd = &r.win[k];
            printf("        %5.0f-%-5.0f s: trials so far %6ld, ask mean %6.0f us, coordinator busy "
                   "%5.1f %%, worker idle %6.3f %%\n",
                   k * window, (k + 1) * window, wd->trials,
                   wd->asks ? 1e6 * wd->ask_cpu / (double)wd->asks : 0, 100 * wd->cpu / window,
                   100 * wd->idle / ((double)n * window));
        }
        free(r.win);
    }
    return status;
}
