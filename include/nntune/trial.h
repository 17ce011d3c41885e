/* nntune: the trial as a record.
 *
 * The records a storage keeps and hands back (a trial's state and values,
 * one epoch's metrics) without the model, training or tuning headers, so
 * that storage, its back ends and the report depend only on this file and
 * common.h. */
#ifndef NNTUNE_TRIAL_H
#define NNTUNE_TRIAL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The trial states and their stored names, in enum order (the name table
 * in storage.c comes from this list). */
#define NNT_TRIAL_STATE_MAP(X)                                                \
    X(RUNNING, "running")                                                    \
    X(COMPLETE, "complete")                                                  \
    X(PRUNED, "pruned")                                                      \
    X(FAILED, "failed")

typedef enum nnt_trial_state {
#define NNT_TRIAL_STATE_ENUM_(id, name) NNT_TRIAL_##id,
    NNT_TRIAL_STATE_MAP(NNT_TRIAL_STATE_ENUM_)
#undef NNT_TRIAL_STATE_ENUM_
} nnt_trial_state;

/* How many trial states there are. */
#define NNT_TRIAL_STATE_COUNT_(id, name) +1
enum { NNT_TRIAL_STATE_COUNT = 0 NNT_TRIAL_STATE_MAP(NNT_TRIAL_STATE_COUNT_) };
#undef NNT_TRIAL_STATE_COUNT_

/* Name of a trial state: "running", "complete", "pruned", "failed". */
NNT_API const char *nnt_trial_state_name(nnt_trial_state s);
/* Parses a state name; -1 if unknown. */
NNT_API int nnt_trial_state_from_name(const char *name);

/* The metrics of one evaluation (a data set, a split, an epoch). */
typedef struct nnt_metrics {
    double loss;     /* mean loss per sample (no weight decay term) */
    double accuracy; /* classification; NAN otherwise */
    double rmse, mae, r2; /* regression; NAN otherwise */
} nnt_metrics;

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
    int rank; /* the MPI worker rank that ran it (>= 1, include/nntune/mpi.h); -1: a local run */
} nnt_trial_record;

/* One epoch of one trial (one fold under k-fold cross-validation). */
typedef struct nnt_epoch_row {
    int fold;            /* 0 without cross-validation */
    int epoch;           /* 1-based */
    nnt_metrics train, valid; /* NAN where not measured */
    double lr;
    double elapsed_s;
} nnt_epoch_row;

NNT_API void nnt_trial_record_free(nnt_trial_record *r);       /* strings; zeroes r */
NNT_API void nnt_trial_records_free(nnt_trial_record *r, size_t n); /* and the array */
NNT_API void nnt_epoch_rows_free(nnt_epoch_row *rows);             /* from epochs_load */

#ifdef __cplusplus
}
#endif
#endif
