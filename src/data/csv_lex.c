/* CSV lexing: a streaming record reader, field splitting, value tests and a
 * string dictionary (see csv_internal.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/csv_internal.h"

/* ==== Record reader ====================================================== */


int nnt__csv_reader_open(csv_reader *r, const char *path, nnt_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->next_line = 1;
    errno = 0;
    r->f = fopen(path, "rb");
    if (!r->f) {
        char eb[128];
        return nnt_fail(err, NNT_ERR_IO, "%s: cannot open: %s", path,
                        nnt__errno_text(errno ? errno : EIO, eb, sizeof eb));
    }
    r->buf = nnt__malloc(CSV_BUF_INIT + 1);
    if (!r->buf) {
        fclose(r->f);
        r->f = NULL;
        return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory for the read buffer", path);
    }
    r->cap = CSV_BUF_INIT;
    return NNT_OK;
}

void nnt__csv_reader_close(csv_reader *r)
{
    if (r->f) fclose(r->f);
    nnt__free(r->buf);
    memset(r, 0, sizeof *r);
}

/* Moves the unread tail to the front, grows the buffer if it is full, and
 * reads more. Returns bytes read (0 at EOF) or a negative status. */
static int reader_fill(csv_reader *r, nnt_error *err)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len == r->cap) {
        size_t ncap = r->cap * 2;
        char *nb = nnt__realloc(r->buf, ncap + 1);
        if (!nb) return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory for a record longer than "
                                 "%zu bytes", r->path, r->cap);
        r->buf = nb;
        r->cap = ncap;
    }
    size_t got = fread(r->buf + r->len, 1, r->cap - r->len, r->f);
    if (got == 0) {
        if (ferror(r->f)) {
            char eb[128];
            return nnt_fail(err, NNT_ERR_IO, "%s: read error: %s", r->path,
                            nnt__errno_text(errno ? errno : EIO, eb, sizeof eb));
        }
        r->eof = 1;
    }
    r->len += got;
    return (int)(got > 0);
}

/* Next record, NUL-terminated in place without its line end. A quoted field
 * may span lines; *line is where the record starts. Returns 1, 0 at end of
 * file, or a negative status. */
int nnt__csv_reader_next(csv_reader *r, char **rec, size_t *rec_len, size_t *line, nnt_error *err)
{
    size_t scanned = 0;  /* bytes of the current record already scanned */
    int in_quotes = 0;
    size_t newlines = 0; /* newlines inside quotes so far */
    for (;;) {
        char *start = r->buf + r->pos;
        size_t avail = r->len - r->pos;
        char *end = NULL;
        size_t i = scanned;
        while (i < avail) {
            char *nl = memchr(start + i, '\n', avail - i);
            size_t stop = nl ? (size_t)(nl - start) : avail;
            /* Quotes only matter when there are any; most files have none. */
            char *q = memchr(start + i, '"', stop - i);
            if (!q && !in_quotes) {
                if (nl) end = nl;
                i = stop;
                break;
            }
            for (; i < stop; i++)
                if (start[i] == '"') in_quotes = !in_quotes;
            if (!nl) break;
            if (!in_quotes) {
                end = nl;
                break;
            }
            newlines++;
            i = stop + 1;
        }
        if (end) {
            size_t n = (size_t)(end - start);
            r->pos += n + 1;
            if (n > 0 && start[n - 1] == '\r') n--;
            start[n] = '\0';
            *rec = start;
            *rec_len = n;
            *line = r->next_line;
            r->next_line += newlines + 1;
            return 1;
        }
        scanned = i;
        if (r->eof) {
            if (avail == 0) return 0;
            if (in_quotes)
                return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: unterminated quoted field (the "
                                "closing '\"' is missing)", r->path, r->next_line);
            size_t n = avail;
            if (start[n - 1] == '\r') n--;
            start[avail] = '\0'; /* buf has one spare byte past cap */
            start[n] = '\0';
            r->pos = r->len;
            *rec = start;
            *rec_len = n;
            *line = r->next_line;
            r->next_line += newlines + 1;
            return 1;
        }
        int rc = reader_fill(r, err);
        if (rc < 0) return rc;
    }
}

/* ==== Field splitting ==================================================== */

static int is_space(char c, char delim) { return (c == ' ' || c == '\t') && c != delim; }

/* Splits rec in place into fields (quotes removed, "" unescaped, unquoted
 * fields trimmed). Stores up to cap field pointers and returns the total
 * count, or a negative status for a malformed quoted field. */
long nnt__csv_split_fields(char *rec, char delim, char **fields, size_t cap, const char *path,
                         size_t line, nnt_error *err)
{
    size_t n = 0;
    char *p = rec;
    for (;;) {
        while (is_space(*p, delim)) p++;
        char *field;
        if (*p == '"') {
            char *w = p, *r = p + 1;
            field = w;
            for (;;) {
                if (*r == '\0')
                    return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: field %zu: unterminated quoted "
                                    "field", path, line, n + 1);
                if (*r == '"') {
                    if (r[1] == '"') {
                        *w++ = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                *w++ = *r++;
            }
            while (is_space(*r, delim)) r++;
            if (*r != delim && *r != '\0')
                return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: field %zu: unexpected '%c' after a "
                                "closing quote (expected the delimiter '%c')", path, line, n + 1,
                                *r, delim);
            char c = *r;
            *w = '\0';
            p = r;
            if (n < cap) fields[n] = field;
            n++;
            if (c == '\0') break;
            p++;
        } else {
            field = p;
            char *q = p;
            while (*q != delim && *q != '\0') q++;
            char c = *q;
            char *e = q;
            while (e > field && is_space(e[-1], delim)) e--;
            *e = '\0';
            if (n < cap) fields[n] = field;
            n++;
            if (c == '\0') break;
            p = q + 1;
        }
    }
    return (long)n;
}

int nnt__csv_is_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

/* Common spellings of a missing value. */
int nnt__csv_is_missing(const char *s)
{
    /* The first byte settles almost every field: this runs on all of them. */
    switch (s[0]) {
    case '\0': return 1;
    case '?': return s[1] == '\0';
    case 'n':
    case 'N': return ieq(s, "na") || ieq(s, "n/a") || ieq(s, "nan");
    default: return 0;
    }
}

/* A short, printable rendering of a field for messages. */
const char *nnt__csv_shorten(const char *s, char *buf, size_t len)
{
    size_t n = strlen(s);
    if (n < len) return s;
    snprintf(buf, len, "%.*s...", (int)(len - 4), s);
    return buf;
}

char *nnt__csv_shell_word(const char *s)
{
    size_t n = strlen(s), quotes = 0;
    int safe = n > 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || strchr("_-.,:/+=@%", c) || c >= 0x80)) safe = 0;
        quotes += c == '\'';
    }
    char *w = nnt__malloc(n + 3 * quotes + 3);
    if (!w) return NULL;
    if (safe) {
        memcpy(w, s, n + 1);
        return w;
    }
    /* 'it'\''s': a quote ends the quoted part, adds an escaped quote, reopens. */
    char *p = w;
    *p++ = '\'';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = s[i];
        }
    }
    *p++ = '\'';
    *p = '\0';
    return w;
}

/* "3,5", "-0,25", "1.234,5": a number written with a decimal comma (many
 * European spreadsheets export them, with ';' as the delimiter). */
int nnt__csv_decimal_comma(const char *s)
{
    if (*s == '-' || *s == '+') s++;
    size_t digits = 0, after = 0;
    for (; isdigit((unsigned char)*s) || *s == '.'; s++) digits += *s != '.';
    if (digits == 0 || *s++ != ',') return 0;
    for (; isdigit((unsigned char)*s); s++) after++;
    return after > 0 && *s == '\0';
}

/* Fast path for plain integers of up to 9 digits (every pixel file), which
 * convert exactly; anything else goes to strtof. */
int nnt__csv_parse_float(const char *s, float *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    if (*p >= '0' && *p <= '9') {
        long v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 10) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if (*p == '\0' && digits <= 9) {
            *out = (float)(neg ? -v : v);
            return 1;
        }
    }
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (end == s || *end != '\0' || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* ==== Class dictionary (string -> first-seen index) ====================== */


static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void nnt__csv_dict_free(csv_dict *d)
{
    nnt__free_strings(d->names, d->n);
    nnt__free(d->slots);
    memset(d, 0, sizeof *d);
}

static int dict_grow(csv_dict *d)
{
    size_t ns = d->n_slots ? d->n_slots * 2 : 64;
    int32_t *slots = nnt__malloc_array(ns, sizeof(int32_t));
    if (!slots) return -1;
    for (size_t i = 0; i < ns; i++) slots[i] = -1;
    for (size_t k = 0; k < d->n; k++) {
        size_t h = (size_t)hash_str(d->names[k]) & (ns - 1);
        while (slots[h] >= 0) h = (h + 1) & (ns - 1);
        slots[h] = (int32_t)k;
    }
    nnt__free(d->slots);
    d->slots = slots;
    d->n_slots = ns;
    return 0;
}

static size_t dict_probe(const csv_dict *d, const char *key)
{
    size_t h = (size_t)hash_str(key) & (d->n_slots - 1);
    while (d->slots[h] >= 0 && strcmp(d->names[d->slots[h]], key) != 0) h = (h + 1) & (d->n_slots - 1);
    return h;
}

int32_t nnt__csv_dict_find(const csv_dict *d, const char *key)
{
    if (d->n_slots == 0) return -1;
    return d->slots[dict_probe(d, key)];
}

/* Index of key, inserting it if new; -1 when out of memory. Looking up a key
 * that is already there never allocates. */
int32_t nnt__csv_dict_get(csv_dict *d, const char *key)
{
    if (d->n_slots == 0 && dict_grow(d) < 0) return -1;
    size_t h = dict_probe(d, key);
    if (d->slots[h] >= 0) return d->slots[h];
    if (d->n >= INT32_MAX - 1) return -1;
    if (2 * (d->n + 1) > d->n_slots) {
        if (dict_grow(d) < 0) return -1;
        h = dict_probe(d, key);
    }
    if (d->n == d->names_cap) {
        size_t nc = d->names_cap ? d->names_cap * 2 : 16;
        char **nn = nnt__realloc(d->names, nc * sizeof(char *));
        if (!nn) return -1;
        d->names = nn;
        d->names_cap = nc;
    }
    char *copy = nnt__strdup(key);
    if (!copy) return -1;
    d->names[d->n] = copy;
    d->slots[h] = (int32_t)d->n;
    return (int32_t)d->n++;
}

