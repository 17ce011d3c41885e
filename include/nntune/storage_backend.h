/* nntune: the storage back-end interface.
 *
 * What a storage back end implements: the SQLite one (src/store/sqlite_store.c)
 * and, later, others such as the MPI coordinator's forwarding. A back end
 * fills an nnt_storage_backend table and wraps its context in a handle with
 * nnt_storage_wrap; users only see the nnt_storage_* calls of store.h, which
 * check their arguments and forward here. Each function has the contract of
 * the store.h call of the same name, with ctx in place of the handle. */
#ifndef NNTUNE_STORAGE_BACKEND_H
#define NNTUNE_STORAGE_BACKEND_H

#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nnt_storage_backend {
    const char *name; /* e.g. "sqlite" */
    int (*study_open)(void *ctx, const nnt_study_open_request *req, nnt_study_record *out,
                      int *created, nnt_error *err);
    int (*study_list)(void *ctx, nnt_study_record **out, size_t *n, nnt_error *err);
    int (*study_redefine)(void *ctx, int64_t study, const char *definition, uint64_t seed,
                          nnt_error *err);
    int (*trial_start)(void *ctx, int64_t study, int number, const char *params, uint64_t seed,
                       int retry_of, double started, nnt_error *err);
    int (*trial_epoch)(void *ctx, int64_t study, int number, const nnt_epoch_row *row,
                       nnt_error *err);
    int (*trial_finish)(void *ctx, int64_t study, const nnt_trial_record *rec, nnt_error *err);
    int (*artifact_add)(void *ctx, int64_t study, int number, const char *kind, const char *path,
                        const char *info_json, nnt_error *err);
    int (*trials_load)(void *ctx, int64_t study, nnt_trial_record **out, size_t *n,
                       nnt_error *err);
    int (*epochs_load)(void *ctx, int64_t study, int number, nnt_epoch_row **out, size_t *n,
                       nnt_error *err);
    /* Closes the back end and frees ctx (releases the study lock). */
    void (*close)(void *ctx);
    /* Optional (NULL: studies over MPI keep no rank): the MPI rank running
     * a trial (nnt_trial_record.rank). Last, so that older back ends'
     * tables stay valid. */
    int (*trial_rank)(void *ctx, int64_t study, int number, int rank, nnt_error *err);
    /* Optional (NULL: the back end writes at once): writes what the back end
     * buffered (epoch rows) so that other readers see it; see
     * nnt_storage_flush. After trial_rank, for the same reason. */
    int (*flush)(void *ctx, nnt_error *err);
} nnt_storage_backend;

/* Wraps a back end's context in a handle. ops must outlive the handle (a
 * static table); every function in it must be set. The handle owns ctx from
 * here on: nnt_storage_close calls ops->close(ctx), and so does a failure of
 * this call (NNT_ERR_NOMEM; *out NULL). */
NNT_API int nnt_storage_wrap(const nnt_storage_backend *ops, void *ctx, nnt_storage **out,
                             nnt_error *err);

#ifdef __cplusplus
}
#endif
#endif
