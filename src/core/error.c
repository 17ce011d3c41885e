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

static int set_error(nnt_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        err->code = code;
    }
    return code;
}

int nnt_fail(nnt_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(err, code, fmt, ap);
    va_end(ap);
    return code;
}

/* The public name of nnt_fail (nntune/common.h). */
int nnt_error_set(nnt_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(err, code, fmt, ap);
    va_end(ap);
    return code;
}

const char *nnt_version(void) { return "0.1.0"; }
