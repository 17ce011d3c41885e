/* A worker rank of a study over MPI: its threads run the ordinary worker
 * loop (objective.c) against a proxy coordinator whose ask, report and tell
 * are round trips to rank 0. One lock keeps the rank's MPI calls one at a
 * time (MPI_THREAD_SERIALIZED), never held while an answer is awaited; a
 * heartbeat thread tells rank 0 the rank is alive while long epochs run.
 * Models travel as model file blobs. */
#include <mpi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "mpi/mpi_refit.h"
#include "mpi/mpi_wire.h"
#include "nntune/mpi.h"
#include "tune/study_state.h"

typedef struct mpi_worker {
    pthread_mutex_t mu; /* one MPI call at a time on this rank */
    int nspace;
    char *scratch;
    double beat_s;
    double last_send;   /* under mu */
    _Atomic double deadline; /* this machine's monotonic seconds; 0: none */
    atomic_int stopping;
    atomic_int quit;
} mpi_worker;

static void set_deadline(mpi_worker *w, double left)
{
    if (left >= 0) atomic_store(&w->deadline, nnt_clock_monotonic() + left);
}

/* Receives local's answer into *ans (malloc'd, *n bytes) once it is there.
 * The lock is not held while waiting: an answer may wait for another
 * thread's trial to end (a deterministic study's ask), and that thread
 * needs the lock to send its reports and its tell. Returns 0 or -1. */
static int await_reply(mpi_worker *w, int local, unsigned char **ans, size_t *n)
{
    long nap_ns = 50000; /* 50 us, doubling to 2 ms while the answer is late */
    for (;;) {
        int flag = 0, cnt = 0, r = -1;
        MPI_Status st;
        pthread_mutex_lock(&w->mu);
        if (MPI_Iprobe(0, MPI_TAG_REPLY + local, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS) {
            pthread_mutex_unlock(&w->mu);
            return -1;
        }
        if (flag) {
            if (MPI_Get_count(&st, MPI_BYTE, &cnt) == MPI_SUCCESS &&
                (*ans = nnt__malloc((size_t)cnt + 1)) != NULL) {
                if (MPI_Recv(*ans, cnt, MPI_BYTE, 0, MPI_TAG_REPLY + local, MPI_COMM_WORLD,
                             MPI_STATUS_IGNORE) == MPI_SUCCESS) {
                    *n = (size_t)cnt;
                    r = 0;
                } else {
                    nnt__free(*ans);
                    *ans = NULL;
                }
            }
            pthread_mutex_unlock(&w->mu);
            return r;
        }
        pthread_mutex_unlock(&w->mu);
        struct timespec ts = {0, nap_ns};
        nanosleep(&ts, NULL);
        if (nap_ns < 2000000) nap_ns *= 2;
    }
}

/* Sends b with tag; with ans, receives local's answer (await_reply).
 * Returns 0 or -1. */
static int round_trip(mpi_worker *w, int tag, int local, const mbuf *b, unsigned char **ans,
                      size_t *n)
{
    pthread_mutex_lock(&w->mu);
    int r = MPI_Send(b->p, (int)b->n, MPI_BYTE, 0, tag, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
    if (r == 0) w->last_send = nnt_clock_monotonic();
    pthread_mutex_unlock(&w->mu);
    if (r == 0 && ans) r = await_reply(w, local, ans, n);
    return r;
}

static int px_ask(void *ctx, int local, nnt_trial_task *t)
{
    mpi_worker *w = ctx;
    mbuf b = {0};
    mb_i32(&b, local);
    unsigned char *ans = NULL;
    size_t n = 0;
    int r = NNT_ERR_NOT_FOUND;
    if (!b.oom && round_trip(w, MPI_TAG_ASK, local, &b, &ans, &n) == 0) {
        mread m = {ans, n, 0, 0};
        r = mr_i32(&m);
        if (r == NNT_OK) {
            t->number = mr_i32(&m);
            t->seed = mr_u64(&m);
            t->retry_of = mr_i32(&m);
            double left = mr_f64(&m);
            mr_get(&m, t->x, (size_t)w->nspace * sizeof *t->x);
            mr_get(&m, t->active, (size_t)w->nspace);
            size_t pl = 0;
            const unsigned char *p = mr_blob(&m, &pl);
            t->params = !m.bad && pl > 0 && p[pl - 1] == '\0' ? nnt__strdup((const char *)p) : NULL;
            set_deadline(w, left);
            t->deadline = left >= 0 ? atomic_load(&w->deadline) : 0;
            if (!t->params) r = NNT_ERR_NOT_FOUND; /* a garbled answer: this thread stops */
        } else {
            r = NNT_ERR_NOT_FOUND;
        }
    }
    nnt__free(ans);
    nnt__free(b.p);
    return r;
}

static int px_report(void *ctx, int local, const nnt_report_msg *rp)
{
    mpi_worker *w = ctx;
    mbuf b = {0};
    mb_i32(&b, local);
    mb_i32(&b, rp->number);
    mb_i32(&b, rp->fold);
    mb_i32(&b, rp->n_folds);
    mb_f64(&b, rp->value);
    mb_put(&b, rp->progress, sizeof *rp->progress);
    unsigned char *ans = NULL;
    size_t n = 0;
    int answer = NNT_REPORT_ABORT; /* rank 0 unreachable: stop the trial */
    if (!b.oom && round_trip(w, MPI_TAG_REPORT, local, &b, &ans, &n) == 0) {
        mread m = {ans, n, 0, 0};
        answer = mr_i32(&m);
        double left = mr_f64(&m);
        if (m.bad) answer = NNT_REPORT_ABORT;
        else set_deadline(w, left);
    }
    if (answer == NNT_REPORT_ABORT) atomic_store(&w->stopping, 1);
    nnt__free(ans);
    nnt__free(b.p);
    return answer;
}

static void px_tell(void *ctx, int local, nnt_trial_outcome *o)
{
    mpi_worker *w = ctx;
    unsigned char *blob = NULL;
    size_t bn = 0;
    if (o->model && nnt__mpi_model_to_blob(o->model, w->scratch, &blob, &bn) != NNT_OK) bn = 0;
    nnt_model_free(o->model);
    o->model = NULL;
    mbuf b = {0};
    mb_i32(&b, local);
    mb_put(&b, o, sizeof *o);
    mb_blob(&b, blob, bn);
    nnt__free(blob);
    if (b.oom) { /* the result without its model */
        nnt__free(b.p);
        b = (mbuf){0};
        mb_i32(&b, local);
        mb_put(&b, o, sizeof *o);
        mb_blob(&b, NULL, 0);
    }
    if (!b.oom) round_trip(w, MPI_TAG_TELL, local, &b, NULL, NULL);
    nnt__free(b.p);
}

static double px_deadline(void *ctx)
{
    return atomic_load(&((mpi_worker *)ctx)->deadline);
}

static int px_stopping(void *ctx)
{
    return atomic_load(&((mpi_worker *)ctx)->stopping);
}

static void *heartbeat_main(void *p)
{
    mpi_worker *w = p;
    struct timespec ts = {0, 50 * 1000 * 1000};
    while (!atomic_load(&w->quit)) {
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&w->mu);
        if (nnt_clock_monotonic() - w->last_send >= w->beat_s) {
            int32_t local = 0;
            if (MPI_Send(&local, (int)sizeof local, MPI_BYTE, 0, MPI_TAG_BEAT, MPI_COMM_WORLD) ==
                MPI_SUCCESS)
                w->last_send = nnt_clock_monotonic();
        }
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

typedef struct thread_arg {
    nnt_study *s;
    const nnt_coordinator_ops *ops;
    int local;
} thread_arg;

static void *worker_main(void *p)
{
    thread_arg *a = p;
    nnt__worker_loop(&a->s->runner, a->ops, a->local, a->s->nspace);
    return NULL;
}

static int run_threads(nnt_study *s, const nnt_coordinator_ops *ops, int jobs)
{
    pthread_t th[256];
    thread_arg args[256];
    int started = 0;
    for (int i = 0; i < jobs; i++) {
        args[i] = (thread_arg){s, ops, i};
        if (pthread_create(&th[i], NULL, worker_main, &args[i]) != 0) break;
        started++;
    }
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    return started;
}

int nnt_mpi_worker_run(nnt_study *s, int jobs, const nnt_mpi_options *o, nnt_error *err)
{
    if (!s) return nnt_fail(err, NNT_ERR_ARG, "nnt_mpi_worker_run: no study");
    nnt_mpi_options mo = o ? *o : nnt_mpi_options_default();
    if (jobs <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = nc > 0 ? (int)nc : 1;
    }
    if (jobs > 256) jobs = 256;
    mpi_worker w;
    memset(&w, 0, sizeof w);
    pthread_mutex_init(&w.mu, NULL);
    w.nspace = s->nspace;
    w.beat_s = mo.heartbeat_s > 0 ? mo.heartbeat_s : (mo.timeout_s > 0 ? mo.timeout_s : 120) / 4;
    atomic_init(&w.deadline, 0);
    atomic_init(&w.stopping, 0);
    atomic_init(&w.quit, 0);
    w.scratch = nnt__mpi_scratch_dir();
    int r = NNT_OK;
    /* Rank 0 learns every rank's thread count (a collective call: made
     * even when this rank cannot run, with 0 threads). */
    int njobs = w.scratch ? jobs : 0;
    if (MPI_Gather(&njobs, 1, MPI_INT, NULL, 0, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        r = nnt_fail(err, NNT_ERR_IO, "MPI: cannot reach rank 0");
    else if (!w.scratch)
        r = nnt_fail(err, NNT_ERR_IO, "MPI: no scratch folder in $TMPDIR for model files");
    if (r == NNT_OK) {
        nnt_coordinator_ops ops = {&w, px_ask, px_report, px_tell, px_deadline, px_stopping};
        pthread_t hb;
        int hb_ok = pthread_create(&hb, NULL, heartbeat_main, &w) == 0;
        int prev = nnt_blas_set_threads(1); /* trials run side by side */
        w.last_send = nnt_clock_monotonic();
        if (run_threads(s, &ops, jobs) == 0) nnt__worker_loop(&s->runner, &ops, 0, s->nspace);
        if (prev > 0) nnt_blas_set_threads(prev);
        atomic_store(&w.quit, 1);
        if (hb_ok) pthread_join(hb, NULL);
        int32_t local = 0;
        mbuf b = {0};
        mb_i32(&b, local);
        if (!b.oom && round_trip(&w, MPI_TAG_DONE, 0, &b, NULL, NULL) == 0)
            nnt__mpi_worker_serve_refits(s, jobs, w.beat_s, w.scratch); /* until rank 0's END */
        nnt__free(b.p);
    }
    nnt__mpi_scratch_remove(w.scratch);
    pthread_mutex_destroy(&w.mu);
    return r;
}
