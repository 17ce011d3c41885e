/* Internal helpers for filling nnt_error. */
#ifndef NNT_CORE_ERROR_H
#define NNT_CORE_ERROR_H

#include "nntune/common.h"

/* Sets err->code and a printf-style message (truncated to fit); returns code so
 * callers can write `return nnt_fail(err, NNT_ERR_ARG, "...")`. err may be NULL. */
int nnt_fail(nnt_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
