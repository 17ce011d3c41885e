/* Internal helpers for filling nnt_error. */
#ifndef NNT_CORE_ERROR_H
#define NNT_CORE_ERROR_H

#include "nntune/common.h"

/* Sets err->code and a printf-style message (truncated to fit); returns code so
 * callers can write `return nnt_fail(err, NNT_ERR_ARG, "...")`. err may be NULL.
 * The library's name for the public nnt_error_set (one function, not two
 * copies). */
#define nnt_fail nnt_error_set

#endif
