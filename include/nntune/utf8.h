/* nntune: UTF-8 validation.
 *
 * One rule for "is this valid UTF-8" that the library's outputs (reports) and
 * the CLI's (JSON, CSV, terminal) share, so stored text with invalid bytes is
 * shown the same way everywhere. */
#ifndef NNTUNE_UTF8_H
#define NNTUNE_UTF8_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Length in bytes (1..4) of the valid UTF-8 sequence that starts at s, or 0
 * if it is invalid: a stray or cut-short continuation byte, an overlong
 * form, a surrogate, or a value past U+10FFFF. s must be NUL-terminated (the
 * NUL stops a sequence as an invalid byte would). This function can't fail. */
NNT_API int nnt_utf8_len(const char *s);

#ifdef __cplusplus
}
#endif

#endif
