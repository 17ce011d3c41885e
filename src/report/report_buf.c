/* Text buffer, escapers for XML / Markdown / CSV, number formatting and the
 * atomic file write of the report module. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/numfmt.h"
#include "core/error.h"
#include "nntune/file.h"
#include "nntune/utf8.h"
#include "report/report_internal.h"

/* ---- Buffer --------------------------------------------------------------- */
static int rb_reserve(rbuf *b, size_t extra)
{
    if (b->oom) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = nnt__realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void nnt__rb_add(rbuf *b, const char *s, size_t n)
{
    if (n == 0) return; /* s may be NULL then (an empty buffer's text) */
    if (rb_reserve(b, n) != 0) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void nnt__rb_puts(rbuf *b, const char *s) { nnt__rb_add(b, s, strlen(s)); }

void nnt__rb_printf(rbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        nnt__rb_add(b, small, (size_t)n);
        return;
    }
    if (rb_reserve(b, (size_t)n) != 0) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *nnt__rb_take(rbuf *b, size_t *len)
{
    if (rb_reserve(b, 0) != 0) {
        nnt__rb_free(b);
        return NULL;
    }
    char *p = b->p;
    if (len) *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void nnt__rb_free(rbuf *b)
{
    nnt__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid. XML 1.0
 * allows every scalar value from U+0020 up except U+FFFE and U+FFFF. */
static int utf8_len(const unsigned char *s)
{
    int n = nnt_utf8_len((const char *)s);
    /* U+FFFE and U+FFFF are EF BF BE / EF BF BF */
    if (n == 3 && s[0] == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF)) return 0;
    return n;
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Appends the UTF-8 sequence at s, or U+FFFD for an invalid byte; returns how
 * many bytes of s it used. */
static int utf8_add(rbuf *b, const unsigned char *s)
{
    int n = utf8_len(s);
    if (n == 0) {
        nnt__rb_puts(b, REPLACEMENT);
        return 1;
    }
    nnt__rb_add(b, (const char *)s, (size_t)n);
    return n;
}

void nnt__rb_xml(rbuf *b, const char *s)
{
    if (!s) return;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        switch (c) {
        case '&': nnt__rb_puts(b, "&amp;"); p++; continue;
        case '<': nnt__rb_puts(b, "&lt;"); p++; continue;
        case '>': nnt__rb_puts(b, "&gt;"); p++; continue;
        case '"': nnt__rb_puts(b, "&quot;"); p++; continue;
        case '\'': nnt__rb_puts(b, "&#39;"); p++; continue;
        default: break;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            nnt__rb_puts(b, REPLACEMENT);
            p++;
            continue;
        }
        int n = utf8_len(p);
        if (n == 0) {
            nnt__rb_puts(b, REPLACEMENT);
            p++;
            continue;
        }
        nnt__rb_add(b, (const char *)p, (size_t)n);
        p += n;
    }
}

void nnt__rb_md(rbuf *b, const char *s)
{
    if (!s) return;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '<': nnt__rb_puts(b, "&lt;"); break;
        case '>': nnt__rb_puts(b, "&gt;"); break;
        case '&': nnt__rb_puts(b, "&amp;"); break;
        case '\n': case '\r': nnt__rb_puts(b, " "); break;
        case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '#':
        case '!':
            nnt__rb_add(b, "\\", 1);
            nnt__rb_add(b, p, 1);
            break;
        default:
            if ((unsigned char)*p >= 0x80) p += utf8_add(b, (const unsigned char *)p) - 1;
            else nnt__rb_add(b, p, 1);
        }
    }
}

void nnt__rb_csv(rbuf *b, const char *s)
{
    if (!s) return;
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) nnt__rb_add(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"') nnt__rb_add(b, "\"", 1);
        if ((unsigned char)*p >= 0x80) p += utf8_add(b, (const unsigned char *)p) - 1;
        else nnt__rb_add(b, p, 1);
    }
    if (quote) nnt__rb_add(b, "\"", 1);
}

void nnt__rb_utf8(rbuf *b, const char *s)
{
    if (!s) return;
    for (const char *p = s; *p;) {
        const char *run = p; /* copy ASCII runs in one go */
        while (*p && (unsigned char)*p < 0x80) p++;
        if (p > run) nnt__rb_add(b, run, (size_t)(p - run));
        if (*p) p += utf8_add(b, (const unsigned char *)p);
    }
}

/* ---- Numbers ---------------------------------------------------------------- */
const char *nnt__fmt_value(char buf[32], double v)
{
    if (!isfinite(v)) snprintf(buf, 32, "-");
    else if (fabs(v) <= 1e4 && (v == 0 || fabs(v) >= 1e-3)) snprintf(buf, 32, "%.4f", v);
    else snprintf(buf, 32, "%.4g", v);
    return buf;
}

const char *nnt__fmt_short(char buf[32], double v)
{
    if (!isfinite(v)) snprintf(buf, 32, "-");
    else if (v == floor(v) && fabs(v) >= 1000 && fabs(v) < 1e9) snprintf(buf, 32, "%.0f", v);
    else snprintf(buf, 32, "%.3g", v == 0 ? 0.0 : v); /* no "-0" */
    return buf;
}

const char *nnt__fmt_exact(char buf[32], double v) { return nnt__fmt_shortest(buf, v); }

/* ---- Output file ------------------------------------------------------------ */
int nnt__report_write_atomic(const char *path, const char *data, size_t n, nnt_error *err)
{
    return nnt_write_file(path, data, n, err); /* src/core/atomic_file.c */
}
