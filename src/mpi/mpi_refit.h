/* The study's refit on a worker rank (mpi_refit.c), once the trials are
 * over: rank 0's side, which sends the refit task to one worker rank and
 * takes the model back as a model file blob, and the worker's side, which
 * waits after its trials for a refit task or the end. Internal to src/mpi/. */
#ifndef NNT_MPI_REFIT_H
#define NNT_MPI_REFIT_H

#include "tune/study_state.h"

/* Rank 0: runs task on the first rank r with usable[r] (r = 1 .. size-1).
 * Returns that rank with *status, *out, *res and err as nnt__mlp_refit
 * would give them there; 0 when no rank is usable, or when the rank chosen
 * fell silent for timeout_s or could not be reached (*lost: that rank, to
 * be given up; else 0). The model blob passes through scratch. */
int nnt__mpi_refit_remote(nnt_study *s, const nnt_refit_task *task, const int *usable, int size,
                          double timeout_s, const char *scratch, int *lost, nnt_model **out,
                          nnt_refit_result *res, int *status, nnt_error *err);
/* Rank 0: tells every rank r with usable[r] that there is no more work. */
void nnt__mpi_end_workers(const int *usable, int size);
/* A worker rank after its DONE: runs the refit tasks rank 0 sends (with
 * threads BLAS threads, a heartbeat every beat_s while one runs) until END. */
void nnt__mpi_worker_serve_refits(nnt_study *s, int threads, double beat_s, const char *scratch);

#endif
