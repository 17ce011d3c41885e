/* nntune: study storage.
 *
 * A storage keeps studies, their trials, the per-epoch metrics of every trial
 * and artifacts (saved models). The study code talks to it only through the
 * function table below, so another back end (a server, an MPI relay) can
 * replace the embedded SQLite one without touching the study code.
 *
 * The SQLite back end (nnt_storage_open) is the default; its schema is
 * documented in docs/storage.md. Every state change is one transaction, the
 * database runs in WAL mode, so readers (another nntune command, the sqlite3
 * shell) can look at a study while it runs.
 *
 * A storage handle is not thread-safe: one thread at a time (the study
 * coordinator serialises its calls). */
#ifndef NNTUNE_STORE_H
#define NNTUNE_STORE_H

#include "common.h"
#include "model.h"
#include "tune.h"

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

/* Most objectives a study can have: the validation metric plus costs. */
#define NNT_MAX_OBJECTIVES 4

/* One trial as stored. value is the raw objective metric (not oriented);
 * NAN when the trial has none (running, failed). Strings owned by the record. */
typedef struct nnt_trial_record {
    int number;
    nnt_trial_state state;
    char *params;        /* JSON object of the active parameters */
    double value;        /* NAN: none */
    double value_spread; /* std over cross-validation folds; NAN: none */
    uint64_t seed;
    double started;      /* unix time, seconds */
    double finished;     /* unix time; NAN while running */
    double duration;     /* seconds; NAN while running */
    char *error;         /* NULL unless failed (or a note on a stopped trial) */
    int epochs;          /* epochs reached (the longest fold under k-fold) */
    int interrupted;     /* 1: the process running it died (state FAILED) */
    int retry_of;        /* number of the interrupted trial this one reruns, -1 */
    char *model_path;    /* latest model artifact of the trial, NULL if none */
    char *test_info;     /* JSON of the latest test evaluation of the trial's model
                            ({"rows": N, "accuracy": ..., ...}), NULL if none */
    /* Multi-objective studies: the values of all objectives, in the order of
     * the study definition's "objectives" list (values[0] is `value`, then
     * the costs, e.g. parameter count). n_values is 0 when none were stored
     * (single-objective studies; trials that did not complete); NAN where
     * an objective could not be measured. */
    int n_values;
    double values[NNT_MAX_OBJECTIVES];
    /* Tie-breakers of the best-trial rule (nnt_trial_compare): the
     * validation loss at the kept epoch (mean over folds under k-fold) and
     * the model's trainable parameter count of a complete trial; NAN when
     * not known (trials stored before schema version 3, failed trials). */
    double valid_loss;
    double n_params;
} nnt_trial_record;

/* One epoch of one trial (one fold under k-fold cross-validation). */
typedef struct nnt_epoch_row {
    int fold;            /* 0 without cross-validation */
    int epoch;           /* 1-based */
    nnt_metrics train, valid; /* NAN where not measured */
    double lr;
    double elapsed_s;
} nnt_epoch_row;

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

/* The storage plug-in: functions plus ctx. All return NNT_OK or a negative
 * code with err filled; records they return are malloc'd and freed with the
 * *_free helpers below. Write functions are each one transaction: on failure
 * nothing of that call is stored. */
typedef struct nnt_storage {
    const char *name; /* back end, e.g. "sqlite" */
    void *ctx;
    /* Finds study `req->name`; creates it when missing and req->create, else
     * NNT_ERR_NOT_FOUND. *out gets the stored record (its definition may
     * differ from req->definition: the caller decides). *created = 1 when
     * this call created it. */
    int (*study_open)(void *ctx, const nnt_study_open_request *req, nnt_study_record *out,
                      int *created, nnt_error *err);
    /* All studies, ordered by creation. */
    int (*study_list)(void *ctx, nnt_study_record **out, size_t *n, nnt_error *err);
    /* Replaces the stored definition and seed of a study (resume --force). */
    int (*study_redefine)(void *ctx, int64_t study, const char *definition, uint64_t seed,
                          nnt_error *err);
    /* Inserts trial `number` in state running. */
    int (*trial_start)(void *ctx, int64_t study, int number, const char *params, uint64_t seed,
                       int retry_of, double started, nnt_error *err);
    /* Appends one epoch row to a running trial. */
    int (*trial_epoch)(void *ctx, int64_t study, int number, const nnt_epoch_row *row,
                       nnt_error *err);
    /* Final state of a trial: state, value, value_spread, finished, duration,
     * error, epochs, interrupted, the objective values (n_values, values)
     * and the tie-breakers (valid_loss, n_params) are taken from rec
     * (matched by number). */
    int (*trial_finish)(void *ctx, int64_t study, const nnt_trial_record *rec, nnt_error *err);
    /* Records an artifact (kind "model") of a trial: a path and optional JSON
     * info (test metrics). */
    int (*artifact_add)(void *ctx, int64_t study, int number, const char *kind, const char *path,
                        const char *info_json, nnt_error *err);
    /* All trials of a study ordered by number. */
    int (*trials_load)(void *ctx, int64_t study, nnt_trial_record **out, size_t *n,
                       nnt_error *err);
    /* The epoch rows of one trial ordered by fold, epoch. */
    int (*epochs_load)(void *ctx, int64_t study, int number, nnt_epoch_row **out, size_t *n,
                       nnt_error *err);
    /* Closes the back end and frees ctx (releases the study lock). */
    void (*close)(void *ctx);
} nnt_storage;

typedef struct nnt_storage_options {
    int readonly;         /* 1: open for reading only (never creates the file) */
    int busy_timeout_ms;  /* wait this long for another writer; default 10000 */
} nnt_storage_options;

NNT_API nnt_storage_options nnt_storage_options_default(void);

/* Opens (creating when missing and not readonly) the SQLite storage at path:
 * WAL mode, busy timeout, schema created or checked (a newer schema version
 * is NNT_ERR_UNSUPPORTED). On failure returns a negative code, *out is zeroed
 * and err names the file. opt NULL: defaults. */
NNT_API int nnt_storage_open(const char *path, const nnt_storage_options *opt, nnt_storage *out,
                             nnt_error *err);
/* Closes a storage opened by any back end and zeroes it; NULL or a zeroed
 * storage is a no-op. */
NNT_API void nnt_storage_close(nnt_storage *s);

/* Convenience for readers: finds a study by name (name NULL: the only study,
 * or the most recently created one when there are several). Never creates,
 * never locks. NNT_ERR_NOT_FOUND names the study and the storage's studies. */
NNT_API int nnt_storage_find_study(nnt_storage *s, const char *name, nnt_study_record *out,
                                   nnt_error *err);

NNT_API void nnt_study_record_free(nnt_study_record *r);       /* strings; zeroes r */
NNT_API void nnt_study_records_free(nnt_study_record *r, size_t n); /* and the array */
NNT_API void nnt_trial_record_free(nnt_trial_record *r);       /* strings; zeroes r */
NNT_API void nnt_trial_records_free(nnt_trial_record *r, size_t n); /* and the array */
NNT_API void nnt_epoch_rows_free(nnt_epoch_row *rows);             /* from epochs_load */

/* Name of a trial state: "running", "complete", "pruned", "failed". */
NNT_API const char *nnt_trial_state_name(nnt_trial_state s);
/* Parses a state name; -1 if unknown. */
NNT_API int nnt_trial_state_from_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
