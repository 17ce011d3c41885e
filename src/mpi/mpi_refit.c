/* The study's refit over MPI (issue 12): once the trials are over, rank 0
 * sends the refit task (the best configuration, its epochs, the refit seed,
 * the time left) to one worker rank, which runs the same refit code as a
 * local study (nnt__mlp_refit, on the same data and splits: the model is bit
 * for bit the one rank 0 would make) and sends the model back as a model
 * file blob. Rank 0 then stores it as a local refit (study_refit.c). Rank 0
 * stays free, and the worker's cores, idle once the trials end, do the work.
 * While it refits, the worker sends heartbeats; one that falls silent past
 * the timeout (or cannot be reached) is given up and rank 0 refits itself.
 * A stop request (nnt_study_stop, Ctrl-C) is passed on to the worker. */
#include <mpi.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "mpi/mpi_refit.h"
#include "mpi/mpi_wire.h"

static void nap_ms(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* A malloc'd copy of the message probed as *st (*n bytes); NULL when it
 * cannot be held or received. */
static unsigned char *recv_probed(MPI_Status *st, size_t *n)
{
    int cnt = 0;
    if (MPI_Get_count(st, MPI_BYTE, &cnt) != MPI_SUCCESS || cnt < 0) return NULL;
    unsigned char *p = nnt__malloc((size_t)cnt + 1);
    if (!p) return NULL;
    if (MPI_Recv(p, cnt, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
        MPI_SUCCESS) {
        nnt__free(p);
        return NULL;
    }
    *n = (size_t)cnt;
    return p;
}

/* ---- rank 0 ---------------------------------------------------------------- */

static int send_task(nnt_study *s, const nnt_refit_task *task, int rank)
{
    mbuf b = {0};
    mb_put(&b, task->x, (size_t)s->nspace * sizeof *task->x);
    mb_put(&b, task->active, (size_t)s->nspace);
    mb_i32(&b, task->epochs);
    mb_i32(&b, task->schedule_epochs);
    mb_u64(&b, task->seed);
    mb_f64(&b, task->time_limit_s);
    int r = !b.oom && MPI_Send(b.p, (int)b.n, MPI_BYTE, rank, MPI_TAG_REFIT, MPI_COMM_WORLD) == MPI_SUCCESS
                ? 0
                : -1;
    nnt__free(b.p);
    return r;
}

/* The worker's REFIT_DONE: 1 when read, 0 when garbled. */
static int read_result(const unsigned char *p, size_t n, int rank, const char *scratch,
                       nnt_model **out, nnt_refit_result *res, int *status, nnt_error *err)
{
    mread m = {p, n, 0, 0};
    *status = mr_i32(&m);
    res->status = mr_i32(&m);
    res->epochs = mr_i32(&m);
    res->rows = (size_t)mr_u64(&m);
    res->seconds = mr_f64(&m);
    size_t ml = 0, bl = 0;
    const unsigned char *msg = mr_blob(&m, &ml);
    const unsigned char *blob = mr_blob(&m, &bl);
    if (m.bad || !msg || ml == 0 || msg[ml - 1] != '\0') return 0;
    if (*status != NNT_OK) {
        nnt_fail(err, *status, "%s", (const char *)msg);
        return 1;
    }
    *out = blob && bl > 0 ? nnt__mpi_model_from_blob(blob, bl, scratch) : NULL;
    if (!*out)
        *status = nnt_fail(err, NNT_ERR_IO, "refit: the model from MPI rank %d could not be read", rank);
    else
        nnt_error_clear(err);
    return 1;
}

int nnt__mpi_refit_remote(nnt_study *s, const nnt_refit_task *task, const int *usable, int size,
                          double timeout_s, const char *scratch, int *lost, nnt_model **out,
                          nnt_refit_result *res, int *status, nnt_error *err)
{
    *lost = 0;
    *out = NULL;
    memset(res, 0, sizeof *res);
    *status = NNT_OK;
    int rank = 0;
    for (int r = 1; r < size && !rank; r++)
        if (usable[r]) rank = r;
    if (!rank) return 0;
    if (send_task(s, task, rank) < 0) {
        *lost = rank;
        return 0;
    }
    double last = nnt_clock_monotonic();
    int stop_sent = 0;
    for (;;) {
        if (!stop_sent && atomic_load(&s->stop)) {
            int32_t z = 0;
            MPI_Send(&z, (int)sizeof z, MPI_BYTE, rank, MPI_TAG_REFIT_STOP, MPI_COMM_WORLD);
            stop_sent = 1;
        }
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(rank, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS) {
            *lost = rank;
            return 0;
        }
        if (!flag) {
            if (nnt_clock_monotonic() - last > timeout_s) {
                *lost = rank;
                return 0;
            }
            nap_ms();
            continue;
        }
        size_t n = 0;
        unsigned char *p = recv_probed(&st, &n);
        if (!p) {
            *lost = rank; /* what it sent cannot be taken: it is not heard */
            return 0;
        }
        last = nnt_clock_monotonic();
        int got = 0, ok = 0;
        if (st.MPI_TAG == MPI_TAG_REFIT_DONE) { /* anything else: a heartbeat */
            got = 1;
            ok = read_result(p, n, rank, scratch, out, res, status, err);
        }
        nnt__free(p);
        if (got) return ok ? rank : 0;
    }
}

void nnt__mpi_end_workers(const int *usable, int size)
{
    int32_t z = 0;
    for (int r = 1; r < size; r++)
        if (usable[r]) MPI_Send(&z, (int)sizeof z, MPI_BYTE, r, MPI_TAG_END, MPI_COMM_WORLD);
}

/* ---- a worker rank ----------------------------------------------------------- */

typedef struct refit_link {
    double beat_s, last_send;
    int stopped;
} refit_link;

/* Polled between the refit's batches: sends a heartbeat when one is due and
 * sees rank 0's stop. */
static int link_should_stop(void *ctx)
{
    refit_link *l = ctx;
    int flag = 0;
    MPI_Status st;
    if (!l->stopped && MPI_Iprobe(0, MPI_TAG_REFIT_STOP, MPI_COMM_WORLD, &flag, &st) == MPI_SUCCESS &&
        flag) {
        int32_t z;
        MPI_Recv(&z, (int)sizeof z, MPI_BYTE, 0, MPI_TAG_REFIT_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        l->stopped = 1;
    }
    double now = nnt_clock_monotonic();
    if (now - l->last_send >= l->beat_s) {
        int32_t z = 0;
        if (MPI_Send(&z, (int)sizeof z, MPI_BYTE, 0, MPI_TAG_BEAT, MPI_COMM_WORLD) == MPI_SUCCESS)
            l->last_send = now;
    }
    return l->stopped;
}

static void run_task(nnt_study *s, const unsigned char *p, size_t n, int threads, double beat_s,
                     const char *scratch)
{
    size_t ns = (size_t)(s->nspace > 0 ? s->nspace : 1);
    double *x = nnt__calloc(ns, sizeof *x);
    uint8_t *active = nnt__calloc(ns, 1);
    refit_link link = {beat_s, nnt_clock_monotonic(), 0};
    nnt_refit_task task;
    memset(&task, 0, sizeof task);
    mread m = {p, n, 0, 0};
    if (x && active) {
        mr_get(&m, x, (size_t)s->nspace * sizeof *x);
        mr_get(&m, active, (size_t)s->nspace);
    }
    task.x = x;
    task.active = active;
    task.epochs = mr_i32(&m);
    task.schedule_epochs = mr_i32(&m);
    task.seed = mr_u64(&m);
    task.time_limit_s = mr_f64(&m);
    task.threads = threads;
    task.should_stop = link_should_stop;
    task.stop_ctx = &link;
    nnt_model *model = NULL;
    nnt_refit_result res;
    memset(&res, 0, sizeof res);
    nnt_error e;
    nnt_error_clear(&e);
    int status;
    if (!x || !active) status = nnt_fail(&e, NNT_ERR_NOMEM, "refit: out of memory on a worker rank");
    else if (m.bad) status = nnt_fail(&e, NNT_ERR_ARG, "refit: a garbled task from rank 0");
    else status = nnt__mlp_refit(&s->obj, &task, &model, &res, &e);
    nnt__free(x);
    nnt__free(active);
    unsigned char *blob = NULL;
    size_t bn = 0;
    if (status == NNT_OK && nnt__mpi_model_to_blob(model, scratch, &blob, &bn) != NNT_OK)
        status = nnt_fail(&e, NNT_ERR_IO, "refit: the model could not be written for rank 0");
    nnt_model_free(model);
    mbuf b = {0};
    mb_i32(&b, status);
    mb_i32(&b, res.status);
    mb_i32(&b, res.epochs);
    mb_u64(&b, (uint64_t)res.rows);
    mb_f64(&b, res.seconds);
    mb_blob(&b, e.message, strlen(e.message) + 1);
    mb_blob(&b, blob, status == NNT_OK ? bn : 0);
    nnt__free(blob);
    if (b.oom) { /* the failure alone */
        nnt__free(b.p);
        b = (mbuf){0};
        const char *why = "refit: out of memory on a worker rank";
        mb_i32(&b, NNT_ERR_NOMEM);
        mb_i32(&b, NNT_ERR_NOMEM);
        mb_i32(&b, 0);
        mb_u64(&b, 0);
        mb_f64(&b, 0);
        mb_blob(&b, why, strlen(why) + 1);
        mb_blob(&b, NULL, 0);
    }
    if (!b.oom) MPI_Send(b.p, (int)b.n, MPI_BYTE, 0, MPI_TAG_REFIT_DONE, MPI_COMM_WORLD);
    nnt__free(b.p);
}

void nnt__mpi_worker_serve_refits(nnt_study *s, int threads, double beat_s, const char *scratch)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS) return;
        if (!flag) {
            nap_ms();
            continue;
        }
        size_t n = 0;
        unsigned char *p = recv_probed(&st, &n);
        if (!p) return; /* rank 0 gives this rank up after its timeout */
        int tag = st.MPI_TAG;
        if (tag == MPI_TAG_REFIT) run_task(s, p, n, threads, beat_s, scratch);
        nnt__free(p);
        if (tag == MPI_TAG_END) return;
        /* a REFIT_STOP after its refit ended: nothing to stop */
    }
}
