/* MPI set-up for a study over MPI: init and finalize, rank 0's bytes to every
 * rank (the data files), what rank 0 tells the workers about its study
 * (seed, folds, data fingerprint) and the check of it on each worker; and
 * the model file blobs the best models travel in. Compiled only with MPI
 * (libnntune_mpi). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "mpi/mpi_wire.h"
#include "nntune/mpi.h"
#include "tune/study_state.h"

static int initialised;

nnt_mpi_options nnt_mpi_options_default(void)
{
    nnt_mpi_options o;
    memset(&o, 0, sizeof o);
    o.timeout_s = 120;
    o.heartbeat_s = 0;
    return o;
}

int nnt_mpi_init(int *rank, int *size, nnt_error *err)
{
    int provided = 0;
    /* A worker rank's threads send one at a time (under a lock), so
     * SERIALIZED is enough; Open MPI 4.1 gives MULTIPLE as well. */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return nnt_fail(err, NNT_ERR_IO, "MPI: MPI_Init_thread failed");
    initialised = 1;
    if (provided < MPI_THREAD_SERIALIZED) {
        MPI_Finalize();
        initialised = 0;
        return nnt_fail(err, NNT_ERR_IO,
                        "MPI: the MPI library gives thread level %d, nntune needs "
                        "MPI_THREAD_SERIALIZED (%d) or better",
                        provided, MPI_THREAD_SERIALIZED);
    }
    /* Errors come back as codes: a dead peer must not abort rank 0 in a send. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return NNT_OK;
}

void nnt_mpi_finalize(void)
{
    if (initialised) MPI_Finalize();
    initialised = 0;
}

void nnt_mpi_abort(int code)
{
    if (initialised) MPI_Abort(MPI_COMM_WORLD, code);
}

int nnt_mpi_all_ok(int ok)
{
    int in = ok ? 1 : 0, out = 0;
    if (MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS) return 0;
    return out;
}

int nnt_mpi_bcast_bytes(void **data, long *len, nnt_error *err)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    long n = rank == 0 ? *len : 0;
    if (MPI_Bcast(&n, 1, MPI_LONG, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return nnt_fail(err, NNT_ERR_IO, "MPI: broadcast failed");
    if (rank != 0) {
        *len = n;
        *data = NULL;
    }
    if (n < 0) return NNT_OK;
    unsigned char *buf = rank == 0 ? *data : malloc(n > 0 ? (size_t)n : 1);
    int ok = buf != NULL;
    /* Everyone learns whether every rank could hold the bytes. */
    if (!nnt_mpi_all_ok(ok)) {
        if (rank != 0) free(buf);
        return nnt_fail(err, NNT_ERR_NOMEM, "MPI: out of memory for %ld bytes of data on a rank", n);
    }
    /* In pieces below INT_MAX bytes (MPI counts are ints). */
    for (long at = 0; at < n;) {
        long k = n - at > (1L << 30) ? (1L << 30) : n - at;
        if (MPI_Bcast(buf + at, (int)k, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
            if (rank != 0) free(buf);
            return nnt_fail(err, NNT_ERR_IO, "MPI: broadcast failed");
        }
        at += k;
    }
    if (rank != 0) *data = buf;
    return NNT_OK;
}

int nnt_mpi_setup_send(const nnt_study *s, nnt_error *err)
{
    nnt_mpi_setup su;
    memset(&su, 0, sizeof su);
    if (s) {
        su.ok = 1;
        su.seed = s->seed;
        su.n_folds = s->n_folds;
        su.space_size = s->nspace;
        su.train_hash = s->data.train ? nnt__dataset_content_hash(s->data.train) : 0;
        su.valid_hash = s->data.valid ? nnt__dataset_content_hash(s->data.valid) : 0;
    }
    if (MPI_Bcast(&su, (int)sizeof su, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return nnt_fail(err, NNT_ERR_IO, "MPI: broadcast of the study set-up failed");
    return NNT_OK;
}

int nnt_mpi_setup_recv(nnt_mpi_setup *su, nnt_error *err)
{
    memset(su, 0, sizeof *su);
    if (MPI_Bcast(su, (int)sizeof *su, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        return nnt_fail(err, NNT_ERR_IO, "MPI: broadcast of the study set-up failed");
    return NNT_OK;
}

void nnt_mpi_setup_apply(const nnt_mpi_setup *su, nnt_study_options *opt)
{
    opt->seed = su->seed;
    opt->seed_set = 1;
    if (!opt->objective) {
        opt->cv_folds = su->n_folds >= 2 ? su->n_folds : 0;
        opt->refit = 0;
    }
    opt->model_out = NULL;
    opt->on_event = NULL;
    opt->userdata = NULL;
    opt->force = 1; /* its scratch storage holds nothing to protect */
}

int nnt_mpi_setup_check(const nnt_study *s, const nnt_mpi_setup *su, int rank, nnt_error *err)
{
    uint64_t th = s->data.train ? nnt__dataset_content_hash(s->data.train) : 0;
    uint64_t vh = s->data.valid ? nnt__dataset_content_hash(s->data.valid) : 0;
    if (th != su->train_hash)
        return nnt_fail(err, NNT_ERR_ARG,
                        "MPI rank %d: the training data differs from rank 0's (fingerprint %016llx, "
                        "rank 0 %016llx): give every rank the same file",
                        rank, (unsigned long long)th, (unsigned long long)su->train_hash);
    if (vh != su->valid_hash)
        return nnt_fail(err, NNT_ERR_ARG,
                        "MPI rank %d: the validation data differs from rank 0's (fingerprint "
                        "%016llx, rank 0 %016llx)",
                        rank, (unsigned long long)vh, (unsigned long long)su->valid_hash);
    if (s->n_folds != su->n_folds || s->nspace != su->space_size)
        return nnt_fail(err, NNT_ERR_ARG,
                        "MPI rank %d: the study differs from rank 0's (%d folds and %d parameters, "
                        "rank 0 %d and %d)",
                        rank, s->n_folds, s->nspace, su->n_folds, su->space_size);
    return NNT_OK;
}

/* ---- scratch folder and model blobs ----------------------------------------- */

char *nnt__mpi_scratch_dir(void)
{
    const char *t = getenv("TMPDIR");
    if (!t || !t[0]) t = "/tmp";
    size_t n = strlen(t) + 32;
    char *d = nnt__malloc(n);
    if (!d) return NULL;
    snprintf(d, n, "%s/nntune-mpi-XXXXXX", t);
    if (!mkdtemp(d)) {
        nnt__free(d);
        return NULL;
    }
    return d;
}

void nnt__mpi_scratch_remove(char *dir)
{
    if (!dir) return;
    rmdir(dir);
    nnt__free(dir);
}

static char *blob_path(const char *dir)
{
    static _Atomic int counter;
    size_t n = strlen(dir) + 48;
    char *p = nnt__malloc(n);
    if (p) snprintf(p, n, "%s/model-%d.nnt", dir, counter++);
    return p;
}

int nnt__mpi_model_to_blob(const nnt_model *m, const char *dir, unsigned char **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char *path = blob_path(dir);
    if (!path) return NNT_ERR_NOMEM;
    nnt_error err;
    int r = nnt_model_save(m, path, &err);
    FILE *f = r == NNT_OK ? fopen(path, "rb") : NULL;
    if (f) {
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && (*out = nnt__malloc((size_t)st.st_size + 1)) &&
            fread(*out, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
            *n = (size_t)st.st_size;
        } else {
            nnt__free(*out);
            *out = NULL;
            r = NNT_ERR_IO;
        }
        fclose(f);
    } else if (r == NNT_OK) {
        r = NNT_ERR_IO;
    }
    unlink(path);
    nnt__free(path);
    return r;
}

nnt_model *nnt__mpi_model_from_blob(const unsigned char *p, size_t n, const char *dir)
{
    char *path = blob_path(dir);
    if (!path) return NULL;
    nnt_model *m = NULL;
    FILE *f = fopen(path, "wb");
    if (f) {
        int ok = fwrite(p, 1, n, f) == n;
        ok &= fclose(f) == 0;
        nnt_error err;
        if (ok && nnt_model_load(path, &m, &err) != NNT_OK) m = NULL;
    }
    unlink(path);
    nnt__free(path);
    return m;
}
