/* Error codes and messages: nnt_strerror, and the error struct the library
 * fills (nnt_fail, nnt_error_clear). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *nnt_strerror(int code)
{
    switch (code) {
#define NNT_STATUS_CASE_(name, value, text) case value: return text;
        NNT_STATUS_MAP(NNT_STATUS_CASE_)
#undef NNT_STATUS_CASE_
    }
    return "unknown status";
}

void nnt_error_clear(nnt_error *err)
{
    if (!err) return;
    err->code = NNT_OK;
    err->message[0] = '\0';
}

/* nnt_fail (core/error.h) is this function under its internal name. */
int nnt_error_set(nnt_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

const char *nnt_version(void) { return "0.1.0"; }
