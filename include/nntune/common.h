/* nntune: status codes, error details and the export macro shared by every
 * public header. */
#ifndef NNTUNE_COMMON_H
#define NNTUNE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NNT_BUILDING) && defined(__GNUC__)
#define NNT_API __attribute__((visibility("default")))
#else
#define NNT_API
#endif

/* One table gives the enum and nnt_strerror(). 0 is success, negative codes are
 * errors, positive codes are non-error outcomes (a run that stopped early for a
 * reason the caller asked for or must know about). */
#define NNT_STATUS_MAP(X)                                                    \
    X(OK, 0, "success")                                                      \
    X(PRUNED, 1, "stopped early by the pruner or progress callback")         \
    X(DIVERGED, 2, "training diverged (non-finite loss)")                    \
    X(TIMEOUT, 3, "wall-clock limit reached")                                \
    X(ERR_NOMEM, -1, "out of memory")                                        \
    X(ERR_IO, -2, "input/output error")                                      \
    X(ERR_FORMAT, -3, "malformed input data")                                \
    X(ERR_ARG, -4, "invalid argument or option")                             \
    X(ERR_CORRUPT, -5, "corrupted or truncated file")                        \
    X(ERR_NOT_FOUND, -6, "not found")                                        \
    X(ERR_STORAGE, -7, "storage (database) error")                           \
    X(ERR_UNSUPPORTED, -8, "unsupported operation or version")               \
    X(ERR_INTERNAL, -9, "internal error")

typedef enum nnt_status {
#define NNT_STATUS_ENUM_(name, code, text) NNT_##name = code,
    NNT_STATUS_MAP(NNT_STATUS_ENUM_)
#undef NNT_STATUS_ENUM_
} nnt_status;

/* Short fixed description of a status code; never NULL ("unknown status" for
 * codes outside the table). This function can't fail. */
NNT_API const char *nnt_strerror(int code);

/* Details of a failure, filled by the library for the caller to show. Every
 * fallible function takes an optional `nnt_error *err` (NULL: no details). The
 * message names the file, line, column or key and what was expected. */
#define NNT_ERRMSG_MAX 1024
typedef struct nnt_error {
    int code;                     /* the status the function returned */
    char message[NNT_ERRMSG_MAX]; /* NUL-terminated, human-readable */
} nnt_error;

/* Fills err (NULL: no-op) with code and a printf-style message and returns
 * code, so that `return nnt_error_set(err, NNT_ERR_ARG, "x: expected ...")`
 * reports a failure in one line (user objectives, for example). */
NNT_API int nnt_error_set(nnt_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Resets err to NNT_OK with an empty message (no-op on NULL). */
NNT_API void nnt_error_clear(nnt_error *err);

/* Library version string, e.g. "0.1.0". */
NNT_API const char *nnt_version(void);

#ifdef __cplusplus
}
#endif
#endif
