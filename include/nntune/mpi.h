/* nntune: studies over MPI (libnntune_mpi, built only when CMake finds MPI).
 *
 * Under `mpirun -np N` (or `srun`), rank 0 is the coordinator: it alone owns
 * the study (sampler, pruner, storage, budget) and runs no trials; ranks 1 ..
 * N-1 are workers, each running `jobs` trials at a time. A worker rank's
 * threads ask, report and tell over MPI what local threads ask, report and
 * tell through direct calls (the same coordinator code serves both), so a
 * study run over MPI is stored exactly as a local one. Every trial row keeps
 * the rank that ran it (nnt_trial_record.rank).
 *
 * The steps, on every rank (docs/cluster.md; tools/tune_mpi.c does them for
 * `nntune tune`):
 *   nnt_mpi_init                              all ranks
 *   (data: nnt_mpi_bcast_bytes from rank 0, or each rank reads a path)
 *   rank 0: nnt_study_create on the storage, then nnt_mpi_setup_send
 *   workers: nnt_mpi_setup_recv, nnt_mpi_setup_apply on their options,
 *            nnt_study_create on a private scratch storage, nnt_mpi_setup_check
 *   nnt_mpi_all_ok                            all ranks (anyone failed: all stop)
 *   rank 0: nnt_mpi_study_run      workers: nnt_mpi_worker_run
 *   nnt_mpi_finalize (or nnt_mpi_abort when a rank was given up)
 *
 * The ranks are assumed to run the same build on the same kind of machine
 * (messages carry C structs as they are). Fault behaviour: docs/cluster.md. */
#ifndef NNTUNE_MPI_H
#define NNTUNE_MPI_H

#include "common.h"
#include "study.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nnt_mpi_options {
    /* A worker rank silent this long (no message, no heartbeat) is given
     * up: its running trials are stored as interrupted and the study goes
     * on without it. Default 120 s. */
    double timeout_s;
    /* Seconds between a worker rank's heartbeats; 0: timeout_s / 4. */
    double heartbeat_s;
} nnt_mpi_options;

NNT_API nnt_mpi_options nnt_mpi_options_default(void);

/* Initialises MPI (MPI_THREAD_SERIALIZED at least: each worker rank sends
 * from several threads, one at a time) and sets *rank and *size. */
NNT_API int nnt_mpi_init(int *rank, int *size, nnt_error *err);
/* MPI_Finalize, when nnt_mpi_init succeeded. */
NNT_API void nnt_mpi_finalize(void);
/* Ends every rank of the job (MPI_Abort) with this exit status. */
NNT_API void nnt_mpi_abort(int code);
/* 1 when ok is nonzero on every rank, else 0 (a collective call). */
NNT_API int nnt_mpi_all_ok(int ok);

/* Rank 0's bytes to every rank: the root passes *data and *len (len < 0:
 * nothing, e.g. a failed read); the others get a malloc'd copy (free()) or
 * NULL with *len < 0. NNT_ERR_NOMEM when a rank cannot hold them. */
NNT_API int nnt_mpi_bcast_bytes(void **data, long *len, nnt_error *err);

/* What rank 0 tells the workers once its study is open: the seed and fold
 * count (which a resume takes from the storage) and the data fingerprint. */
typedef struct nnt_mpi_setup {
    int ok;         /* 0: rank 0 failed to open the study; workers stop */
    uint64_t seed;
    int n_folds;
    int space_size;
    uint64_t train_hash, valid_hash; /* 0: no such data set */
} nnt_mpi_setup;

/* Rank 0: s NULL sends ok = 0. */
NNT_API int nnt_mpi_setup_send(const nnt_study *s, nnt_error *err);
NNT_API int nnt_mpi_setup_recv(nnt_mpi_setup *su, nnt_error *err);
/* A worker's study options made to match rank 0's study: seed, folds, and
 * nothing a worker must not do (refit, best-model file, events). */
NNT_API void nnt_mpi_setup_apply(const nnt_mpi_setup *su, nnt_study_options *opt);
/* NNT_ERR_ARG naming what differs when the worker's study (its data, folds,
 * space) is not rank 0's. */
NNT_API int nnt_mpi_setup_check(const nnt_study *worker_study, const nnt_mpi_setup *su, int rank,
                                nnt_error *err);

/* Rank 0: runs the study (as nnt_study_run: trials, refit, test evaluation)
 * with the trials on ranks 1 .. size-1 and the refit on the first worker
 * rank still in the job (rank 0 refits itself when that rank is lost); at
 * the end it tells the worker ranks to stop. *given_up is the number of worker
 * ranks given up for silence (the job then cannot finalize: end it with
 * nnt_mpi_abort once the storage is closed). */
NNT_API int nnt_mpi_study_run(nnt_study *s, const nnt_mpi_options *o, int *given_up,
                              nnt_error *err);
/* A worker rank: runs trials for rank 0 with opt.jobs threads, then the
 * refit when rank 0 sends it, until rank 0 has no more work. s: the worker's study (nnt_mpi_setup_apply). */
NNT_API int nnt_mpi_worker_run(nnt_study *s, int jobs, const nnt_mpi_options *o, nnt_error *err);

#ifdef __cplusplus
}
#endif
#endif
