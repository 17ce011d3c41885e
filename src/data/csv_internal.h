/* CSV lexing shared by the loader (src/data/csv.c) and its helpers: a
 * streaming record reader, field splitting, value tests and a string
 * dictionary. Not a public header. */
#ifndef NNT_DATA_CSV_INTERNAL_H
#define NNT_DATA_CSV_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "data/dataset_internal.h"

#define CSV_BUF_INIT ((size_t)1 << 20)

typedef struct csv_reader {
    const char *path;
    FILE *f;
    char *buf;
    size_t cap, len, pos; /* valid bytes buf[pos, len) */
    int eof;
    size_t next_line;     /* 1-based line number where the next record starts */
} csv_reader;

int csv_reader_open(csv_reader *r, const char *path, nnt_error *err);
void csv_reader_close(csv_reader *r);
/* Next record, NUL-terminated in place without its line end. A quoted field
 * may span lines; *line is where the record starts. Returns 1, 0 at end of
 * file, or a negative status. */
int csv_reader_next(csv_reader *r, char **rec, size_t *rec_len, size_t *line, nnt_error *err);

/* Splits rec in place into fields (quotes removed, "" unescaped, unquoted
 * fields trimmed). Stores up to cap field pointers and returns the total
 * count, or a negative status for a malformed quoted field. */
long csv_split_fields(char *rec, char delim, char **fields, size_t cap, const char *path,
                      size_t line, nnt_error *err);
int csv_is_blank(const char *s);
/* Empty, "NA", "N/A", "?", "nan" (any case). */
int csv_is_missing(const char *s);
/* A short, printable rendering of a field for messages. */
const char *csv_shorten(const char *s, char *buf, size_t len);
/* A finite float; 0 for anything else. */
int csv_parse_float(const char *s, float *out);

/* String -> first-seen index. */
typedef struct csv_dict {
    char **names;    /* insertion order */
    size_t n, names_cap;
    int32_t *slots;  /* open addressing: index into names, -1 empty */
    size_t n_slots;  /* power of two */
} csv_dict;

void csv_dict_free(csv_dict *d);
/* Index of key, inserting it if new; -1 when out of memory. */
int32_t csv_dict_get(csv_dict *d, const char *key);
/* Index of key, or -1 when it is not there. */
int32_t csv_dict_find(const csv_dict *d, const char *key);

#endif
