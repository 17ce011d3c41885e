/* nntune tune under an MPI launcher (tools/tune_mpi.c): which rank this is,
 * the stored definition and the data files shared from rank 0, and the end
 * of the job. Without MPI in the build, only the launcher check. */
#ifndef NNTUNE_TOOLS_TUNE_MPI_H
#define NNTUNE_TOOLS_TUNE_MPI_H

#include "tune_cli.h"

typedef struct tune_mpi {
    int on;        /* more than one rank: rank 0 coordinates, the others work */
    int rank, size;
    int given_up;  /* worker ranks rank 0 gave up (the job is aborted at the end) */
    char *scratch; /* a worker's folder for the data copies and its scratch storage */
    char *copies[6];
    void *setup;   /* a worker's copy of rank 0's nnt_mpi_setup */
} tune_mpi;

/* Starts MPI when a launcher started more than one rank (s's output is
 * made quiet on worker ranks). Without MPI in the build, a launcher's
 * environment is a clear error. Returns EXIT_OK or an exit status. */
int tune_mpi_begin(tune_mpi *m, tune_settings *s);
/* --deterministic over MPI without --slots (nor stored slots): one slot per
 * worker thread of every worker rank, (ranks - 1) x --jobs (x rank 0's
 * cores without --jobs). */
void tune_mpi_slots(const tune_mpi *m, const tune_settings *s, nnt_study_options *so);
/* Rank 0's *text (malloc'd or NULL) to every rank. */
int tune_mpi_share_text(tune_mpi *m, char **text);
/* 1 when every rank's rc is EXIT_OK; on a rank that is fine but another
 * failed, *rc becomes EXIT_RUNTIME. No-op without MPI. */
int tune_mpi_agree(tune_mpi *m, int *rc);
/* The data files from rank 0 (--mpi-data bcast): the workers' settings then
 * name their local copies. Returns EXIT_OK or EXIT_RUNTIME (message printed). */
int tune_mpi_share_data(tune_mpi *m, tune_settings *s);
/* A worker's scratch storage path (in its scratch folder). */
const char *tune_mpi_worker_storage(tune_mpi *m);
/* The study's run: rank 0 serves the worker ranks, a worker rank runs
 * trials. Status as nnt_study_run. */
int tune_mpi_run(tune_mpi *m, const tune_settings *s, nnt_study *study, nnt_error *err);
/* Rank 0 -> workers: the study as opened (or NULL: failed); a worker fits
 * its options to it. Returns EXIT_OK or an exit status. */
int tune_mpi_setup(tune_mpi *m, nnt_study *rank0_study, nnt_study_options *so);
/* A worker's check of its study against rank 0's. */
int tune_mpi_check(tune_mpi *m, nnt_study *study);
/* Ends MPI (an abort when a rank was given up) and removes the scratch
 * files. Returns rc. */
int tune_mpi_end(tune_mpi *m, int rc);

#endif
