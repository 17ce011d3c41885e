/* Rank 0 of a study over MPI: the coordinator's side of the transport. One
 * thread receives the worker ranks' messages (ask, report, tell, heartbeat,
 * done) and passes them to the same coordinator calls that local worker
 * threads make (study_coord.c), answering asks and reports. A worker rank
 * that stays silent past the timeout is given up: its running trials are
 * stored as interrupted (a resume reruns them) and the study goes on. */
#include <math.h>
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "mpi/mpi_refit.h"
#include "mpi/mpi_wire.h"
#include "nntune/mpi.h"
#include "tune/study_state.h"

typedef struct peer {
    double last_seen;
    int jobs, first; /* its threads are workers first .. first+jobs-1 */
    int done, given_up;
} peer;

typedef struct mpi_coord {
    int size;
    nnt_mpi_options o;
    peer *peers;
    int n_workers;
    int *running;      /* per worker: its trial's number, -1: none */
    int *epochs;       /* per worker: the last epoch its trial reported */
    int given_up;      /* ranks given up */
    int *waiting;      /* workers whose ask waits (a deterministic study), in order */
    int n_waiting;
    char *scratch;
    nnt_trial_task task;
    unsigned char *in;
    size_t in_cap;
} mpi_coord;

static void nap(void)
{
    /* Idle rank 0 sleeps rather than spins: on an oversubscribed node its
     * core goes to the workers. 0.2 ms is far below a trial's epoch. */
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
}

static void reply(int rank, int local, const mbuf *b)
{
    MPI_Send(b->p, (int)b->n, MPI_BYTE, rank, MPI_TAG_REPLY + local, MPI_COMM_WORLD);
}

/* Answers worker w's ask, or returns 0 when a deterministic study makes it
 * wait for earlier trials (it is asked again after the next tell). */
static int try_ask(mpi_coord *c, nnt_study *s, int w)
{
    int rank = 1;
    while (rank + 1 < c->size && c->peers[rank + 1].first <= w) rank++;
    int local = w - c->peers[rank].first;
    int r = nnt__study_co_ask_try(s, w, &c->task);
    if (r == NNT_ASK_WAIT) return 0;
    mbuf b = {0};
    mb_i32(&b, r);
    if (r == NNT_OK) {
        c->running[w] = c->task.number;
        c->epochs[w] = 0;
        double now = nnt_clock_monotonic();
        mb_i32(&b, c->task.number);
        mb_u64(&b, c->task.seed);
        mb_i32(&b, c->task.retry_of);
        mb_f64(&b, c->task.deadline > 0 ? c->task.deadline - now : -1);
        mb_put(&b, c->task.x, (size_t)s->nspace * sizeof *c->task.x);
        mb_put(&b, c->task.active, (size_t)s->nspace);
        mb_blob(&b, c->task.params, strlen(c->task.params) + 1);
        nnt__free(c->task.params);
        c->task.params = NULL;
        /* Which rank runs it (a column of its own, for `nntune trials` and
         * the report); a failure to store it loses only that. Under the
         * study's lock, as every storage write of the coordinator. */
        nnt_error err;
        pthread_mutex_lock(&s->mu);
        nnt_storage_trial_rank(s->storage, s->study_id, c->running[w], rank, &err);
        pthread_mutex_unlock(&s->mu);
    }
    if (b.oom) { /* nothing to send: the worker would wait forever */
        nnt__free(b.p);
        b = (mbuf){0};
        mb_i32(&b, NNT_ERR_NOT_FOUND);
    }
    reply(rank, local, &b);
    nnt__free(b.p);
    return 1;
}

static void on_ask(mpi_coord *c, nnt_study *s, int rank, int local)
{
    int w = c->peers[rank].first + local;
    if (c->n_waiting > 0 || !try_ask(c, s, w)) c->waiting[c->n_waiting++] = w;
}

/* Asks that waited, in order, until one still has to wait. */
static void retry_waiting(mpi_coord *c, nnt_study *s)
{
    int k = 0;
    while (k < c->n_waiting && try_ask(c, s, c->waiting[k])) k++;
    if (k > 0) {
        memmove(c->waiting, c->waiting + k, (size_t)(c->n_waiting - k) * sizeof *c->waiting);
        c->n_waiting -= k;
    }
}

static void on_report(mpi_coord *c, const nnt_coordinator_ops *ops, int rank, int local, mread *m)
{
    int w = c->peers[rank].first + local;
    nnt_report_msg rp;
    nnt_progress p;
    rp.number = mr_i32(m);
    rp.fold = mr_i32(m);
    rp.n_folds = mr_i32(m);
    rp.value = mr_f64(m);
    mr_get(m, &p, sizeof p);
    rp.progress = &p;
    int answer = NNT_REPORT_ABORT;
    if (!m->bad && c->running[w] == rp.number) {
        answer = ops->report(ops->ctx, w, &rp);
        if (p.epoch > c->epochs[w]) c->epochs[w] = p.epoch;
    }
    double dl = ops->deadline ? ops->deadline(ops->ctx) : 0;
    mbuf b = {0};
    mb_i32(&b, answer);
    mb_f64(&b, dl > 0 ? dl - nnt_clock_monotonic() : -1);
    if (!b.oom) reply(rank, local, &b);
    nnt__free(b.p);
}

static void on_tell(mpi_coord *c, const nnt_coordinator_ops *ops, int rank, int local, mread *m)
{
    int w = c->peers[rank].first + local;
    nnt_trial_outcome o;
    mr_get(m, &o, sizeof o);
    o.model = NULL;
    o.error[sizeof o.error - 1] = '\0';
    size_t n = 0;
    const unsigned char *blob = mr_blob(m, &n);
    if (m->bad || c->running[w] != o.number) return;
    if (blob && n > 0) {
        o.model = nnt__mpi_model_from_blob(blob, n, c->scratch);
        /* A model that did not arrive leaves the trial without one (as a
         * user objective's); its value still counts. */
    }
    ops->tell(ops->ctx, w, &o);
    c->running[w] = -1;
}

/* Gives up a silent rank: its running trials become interrupted. */
static void give_up(mpi_coord *c, const nnt_coordinator_ops *ops, int rank, double silent)
{
    peer *p = &c->peers[rank];
    for (int w = p->first; w < p->first + p->jobs; w++) {
        if (c->running[w] < 0) continue;
        nnt_trial_outcome o;
        memset(&o, 0, sizeof o);
        o.number = c->running[w];
        o.state = NNT_TRIAL_FAILED;
        o.value = o.value_spread = o.valid_loss = o.n_params = NAN;
        o.duration = NAN;
        o.epochs = c->epochs[w];
        o.interrupted = 1;
        snprintf(o.error, sizeof o.error, "interrupted (MPI rank %d silent for %.0f s)", rank, silent);
        ops->tell(ops->ctx, w, &o);
        c->running[w] = -1;
    }
    int k = 0; /* its waiting asks go */
    for (int i = 0; i < c->n_waiting; i++)
        if (c->waiting[i] < p->first || c->waiting[i] >= p->first + p->jobs) c->waiting[k++] = c->waiting[i];
    c->n_waiting = k;
    p->given_up = 1;
    c->given_up++;
}

static void check_silent(mpi_coord *c, const nnt_coordinator_ops *ops, int *live)
{
    double now = nnt_clock_monotonic();
    for (int r = 1; r < c->size; r++) {
        peer *p = &c->peers[r];
        if (p->done || p->given_up || now - p->last_seen <= c->o.timeout_s) continue;
        give_up(c, ops, r, now - p->last_seen);
        (*live)--;
    }
}

static int receive(mpi_coord *c, MPI_Status *st, size_t *n)
{
    int cnt = 0;
    MPI_Get_count(st, MPI_BYTE, &cnt);
    if ((size_t)cnt > c->in_cap) {
        unsigned char *q = nnt__realloc(c->in, (size_t)cnt);
        if (!q) return -1;
        c->in = q;
        c->in_cap = (size_t)cnt;
    }
    *n = (size_t)cnt;
    return MPI_Recv(c->in, cnt, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
                    MPI_STATUS_IGNORE) == MPI_SUCCESS ? 0 : -1;
}

static void serve(void *ctx, nnt_study *s, const nnt_coordinator_ops *ops)
{
    mpi_coord *c = ctx;
    int live = c->size - 1;
    double t0 = nnt_clock_monotonic();
    for (int r = 1; r < c->size; r++) c->peers[r].last_seen = t0;
    while (live > 0) {
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS) flag = 0;
        if (!flag) {
            check_silent(c, ops, &live);
            retry_waiting(c, s); /* also sees a stop request */
            nap();
            continue;
        }
        size_t n = 0;
        if (receive(c, &st, &n) < 0) {
            nap();
            continue;
        }
        int rank = st.MPI_SOURCE;
        if (rank <= 0 || rank >= c->size) continue;
        peer *p = &c->peers[rank];
        if (p->done || p->given_up) continue; /* too late: its trials were given up */
        p->last_seen = nnt_clock_monotonic();
        mread m = {c->in, n, 0, 0};
        int local = mr_i32(&m);
        if (m.bad || local < 0 || local >= p->jobs) continue;
        switch (st.MPI_TAG) {
        case MPI_TAG_ASK: on_ask(c, s, rank, local); break;
        case MPI_TAG_REPORT: on_report(c, ops, rank, local, &m); break;
        case MPI_TAG_TELL:
            on_tell(c, ops, rank, local, &m);
            retry_waiting(c, s);
            break;
        case MPI_TAG_DONE:
            p->done = 1;
            live--;
            break;
        default: break; /* heartbeat */
        }
    }
}

/* usable[r]: rank r finished its trials and was not given up (it waits for
 * a refit task or the end, mpi_refit.c). NULL when out of memory. */
static int *usable_ranks(const mpi_coord *c)
{
    int *u = nnt__calloc((size_t)c->size, sizeof *u);
    for (int r = 1; u && r < c->size; r++) u[r] = c->peers[r].done && !c->peers[r].given_up;
    return u;
}

/* The transport's refit: on the first usable worker rank (mpi_refit.c); a
 * rank lost meanwhile is given up (the job then ends with nnt_mpi_abort). */
static int coord_refit(void *ctx, nnt_study *s, const nnt_refit_task *task, nnt_model **out,
                       nnt_refit_result *res, int *status, nnt_error *err)
{
    mpi_coord *c = ctx;
    int *u = usable_ranks(c);
    if (!u) return 0;
    int lost = 0;
    int rank = nnt__mpi_refit_remote(s, task, u, c->size, c->o.timeout_s, c->scratch, &lost, out, res,
                                     status, err);
    if (lost > 0) {
        c->peers[lost].given_up = 1;
        c->given_up++;
    }
    nnt__free(u);
    return rank;
}

int nnt_mpi_study_run(nnt_study *s, const nnt_mpi_options *o, int *given_up, nnt_error *err)
{
    if (given_up) *given_up = 0;
    if (!s) return nnt_fail(err, NNT_ERR_ARG, "nnt_mpi_study_run: no study");
    mpi_coord c;
    memset(&c, 0, sizeof c);
    c.o = o ? *o : nnt_mpi_options_default();
    if (!(c.o.timeout_s > 0)) c.o.timeout_s = 120;
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    int *jobs = nnt__calloc((size_t)c.size, sizeof *jobs);
    c.peers = nnt__calloc((size_t)c.size, sizeof *c.peers);
    int zero = 0, r = NNT_OK;
    /* Every worker rank says how many trials it runs at a time. */
    if (!jobs || !c.peers ||
        MPI_Gather(&zero, 1, MPI_INT, jobs, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
        r = nnt_fail(err, jobs && c.peers ? NNT_ERR_IO : NNT_ERR_NOMEM, "MPI: cannot start the workers");
        goto out;
    }
    for (int k = 1; k < c.size; k++) {
        c.peers[k].jobs = jobs[k];
        c.peers[k].first = c.n_workers;
        c.n_workers += jobs[k];
    }
    c.running = nnt__calloc((size_t)(c.n_workers > 0 ? c.n_workers : 1), sizeof *c.running);
    c.epochs = nnt__calloc((size_t)(c.n_workers > 0 ? c.n_workers : 1), sizeof *c.epochs);
    c.waiting = nnt__calloc((size_t)(c.n_workers > 0 ? c.n_workers : 1), sizeof *c.waiting);
    c.task.x = nnt__calloc((size_t)(s->nspace > 0 ? s->nspace : 1), sizeof *c.task.x);
    c.task.active = nnt__calloc((size_t)(s->nspace > 0 ? s->nspace : 1), 1);
    c.scratch = nnt__mpi_scratch_dir();
    if (!c.running || !c.epochs || !c.waiting || !c.task.x || !c.task.active || !c.scratch) {
        r = nnt_fail(err, NNT_ERR_NOMEM, "MPI: out of memory (or no scratch folder in $TMPDIR)");
        goto out;
    }
    for (int w = 0; w < c.n_workers; w++) c.running[w] = -1;
    study_transport tp = {c.n_workers > 0 ? c.n_workers : 1, serve, &c, coord_refit};
    r = nnt__study_run_with(s, &tp, err);
    int *u = usable_ranks(&c); /* the workers that wait for the end */
    if (u) nnt__mpi_end_workers(u, c.size);
    nnt__free(u);
    if (given_up) *given_up = c.given_up;
out:
    nnt__free(jobs);
    nnt__free(c.peers);
    nnt__free(c.running);
    nnt__free(c.epochs);
    nnt__free(c.waiting);
    nnt__free(c.task.x);
    nnt__free(c.task.active);
    nnt__free(c.in);
    nnt__mpi_scratch_remove(c.scratch);
    return r;
}
