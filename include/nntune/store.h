/* nntune: study storage.
 *
 * A storage keeps studies, their trials, the per-epoch metrics of every trial
 * and artifacts (saved models). It is an opaque handle (nnt_storage *), SQLite
 * style: open it with a back end's open function, call nnt_storage_* on it,
 * close it. The study code talks to it only through these calls, so another
 * back end (a server, an MPI relay) can replace the embedded SQLite one
 * without touching the study code: back ends implement the interface in
 * storage_backend.h.
 *
 * The SQLite back end (nnt_storage_open_sqlite) is the default; its schema is
 * documented in docs/storage.md. Every state change is one transaction, the
 * database runs in WAL mode, so readers (another nntune command, the sqlite3
 * shell) can look at a study while it runs.
 *
 * A storage handle is not thread-safe: one thread at a time (the study
 * coordinator serialises its calls). */
#ifndef NNTUNE_STORE_H
#define NNTUNE_STORE_H

#include "common.h"
#include "trial.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One study as stored. Strings are owned by the record (nnt_study_record_free). */
typedef struct nnt_study_record {
    int64_t id;
    char *name;
    char *definition;  /* JSON: space, sampler, objective, options (docs/storage.md) */
    uint64_t seed;
    char *metric;      /* objective metric name ("accuracy", "rmse", ...) */
    int maximize;      /* 1: larger values are better */
    double created;    /* unix time, seconds */
    int n_trials;      /* filled by list/find: trials stored */
} nnt_study_record;

/* How the study code opens a study for running. */
typedef struct nnt_study_open_request {
    const char *name;
    const char *definition; /* JSON text stored on creation */
    uint64_t seed;
    const char *metric;
    int maximize;
    int create;             /* 1: create the study when it does not exist */
    int exclusive;          /* 1: lock it for this process (a runner);
                               fails with NNT_ERR_STORAGE while another live
                               process holds it. The lock is released by
                               close or by the process's death. */
    int recover;            /* 1: trials left 'running' are marked failed,
                               error "interrupted" (needs exclusive) */
} nnt_study_open_request;

/* An open storage (opaque). */
typedef struct nnt_storage nnt_storage;

/* Flags of nnt_storage_open_sqlite. */
enum {
    NNT_STORAGE_READONLY = 1 /* open for reading only (never creates the file) */
};

/* Opens (creating when missing and not NNT_STORAGE_READONLY) the SQLite
 * storage at path: WAL mode, a 10 s busy timeout, schema created or checked
 * (a newer schema version is NNT_ERR_UNSUPPORTED). On failure returns a
 * negative code, *out is NULL and err names the file. */
NNT_API int nnt_storage_open_sqlite(const char *path, unsigned flags, nnt_storage **out,
                                    nnt_error *err);
/* Closes a storage opened by any back end (releases the study lock); NULL is
 * a no-op. */
NNT_API void nnt_storage_close(nnt_storage *st);
/* The back end's name, e.g. "sqlite". */
NNT_API const char *nnt_storage_backend_name(const nnt_storage *st);

/* The calls below return NNT_OK or a negative code with err filled; records
 * they return are malloc'd and freed with the *_free helpers. Write calls are
 * each one transaction: on failure nothing of that call is stored. */

/* Finds study `req->name`; creates it when missing and req->create, else
 * NNT_ERR_NOT_FOUND. *out gets the stored record (its definition may differ
 * from req->definition: the caller decides). *created (may be NULL) = 1 when
 * this call created it. */
NNT_API int nnt_storage_study_open(nnt_storage *st, const nnt_study_open_request *req,
                                   nnt_study_record *out, int *created, nnt_error *err);
/* All studies, ordered by creation. */
NNT_API int nnt_storage_study_list(nnt_storage *st, nnt_study_record **out, size_t *n,
                                   nnt_error *err);
/* Replaces the stored definition and seed of a study (resume --force). */
NNT_API int nnt_storage_study_redefine(nnt_storage *st, int64_t study, const char *definition,
                                       uint64_t seed, nnt_error *err);
/* Inserts trial `number` in state running. */
NNT_API int nnt_storage_trial_start(nnt_storage *st, int64_t study, int number,
                                    const char *params, uint64_t seed, int retry_of,
                                    double started, nnt_error *err);
/* Appends one epoch row to a running trial. The SQLite back end buffers
 * rows and writes them in groups (docs/storage.md): another connection
 * sees them at the latest when the trial finishes, the buffer holds
 * 256 rows, or a write call comes 25 ms after the oldest row; this handle's
 * own reads, nnt_storage_flush and nnt_storage_close write them at once. */
NNT_API int nnt_storage_trial_epoch(nnt_storage *st, int64_t study, int number,
                                    const nnt_epoch_row *row, nnt_error *err);
/* Writes whatever the back end buffered (epoch rows) now; NNT_OK at once
 * for a back end that buffers nothing. */
NNT_API int nnt_storage_flush(nnt_storage *st, nnt_error *err);
/* Final state of a trial: state, value, value_spread, finished, duration,
 * error, epochs, interrupted, the objective values (n_values, values) and
 * the tie-breakers (valid_loss, n_params) are taken from rec (matched by
 * number). */
NNT_API int nnt_storage_trial_finish(nnt_storage *st, int64_t study, const nnt_trial_record *rec,
                                     nnt_error *err);
/* Records the MPI rank that runs trial `number` (a study over MPI). */
NNT_API int nnt_storage_trial_rank(nnt_storage *st, int64_t study, int number, int rank,
                                   nnt_error *err);
/* Records an artifact (kind "model") of a trial: a path and optional JSON
 * info (test metrics). */
NNT_API int nnt_storage_artifact_add(nnt_storage *st, int64_t study, int number,
                                     const char *kind, const char *path, const char *info_json,
                                     nnt_error *err);
/* All trials of a study ordered by number. */
NNT_API int nnt_storage_trials_load(nnt_storage *st, int64_t study, nnt_trial_record **out,
                                    size_t *n, nnt_error *err);
/* The epoch rows of one trial ordered by fold, epoch. */
NNT_API int nnt_storage_epochs_load(nnt_storage *st, int64_t study, int number,
                                    nnt_epoch_row **out, size_t *n, nnt_error *err);

/* Convenience for readers: finds a study by name (name NULL: the only study,
 * or the most recently created one when there are several). Never creates,
 * never locks. NNT_ERR_NOT_FOUND names the study and the storage's studies. */
NNT_API int nnt_storage_find_study(nnt_storage *st, const char *name, nnt_study_record *out,
                                   nnt_error *err);

NNT_API void nnt_study_record_free(nnt_study_record *r);       /* strings; zeroes r */
NNT_API void nnt_study_records_free(nnt_study_record *r, size_t n); /* and the array */

#ifdef __cplusplus
}
#endif
#endif
