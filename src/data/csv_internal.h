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

int nnt__csv_reader_open(csv_reader *r, const char *path, nnt_error *err);
void nnt__csv_reader_close(csv_reader *r);
/* Next record, NUL-terminated in place without its line end. A quoted field
 * may span lines; *line is where the record starts. Returns 1, 0 at end of
 * file, or a negative status. */
int nnt__csv_reader_next(csv_reader *r, char **rec, size_t *rec_len, size_t *line, nnt_error *err);

/* Splits rec in place into fields (quotes removed, "" unescaped, unquoted
 * fields trimmed). Stores up to cap field pointers and returns the total
 * count, or a negative status for a malformed quoted field. */
long nnt__csv_split_fields(char *rec, char delim, char **fields, size_t cap, const char *path,
                           size_t line, nnt_error *err);
int nnt__csv_is_blank(const char *s);
/* Empty, "NA", "N/A", "?", "nan" (any case). */
int nnt__csv_is_missing(const char *s);
/* A short, printable rendering of a field for messages. */
const char *nnt__csv_shorten(const char *s, char *buf, size_t len);
/* s as one shell word for a suggested command line ("--ignore 'petal width
 * (cm)'"): as it is when it holds only safe characters, else in single
 * quotes. A fresh string (nnt__free it), or NULL when out of memory. */
char *nnt__csv_shell_word(const char *s);
/* 1 if s is a number written with a decimal comma ("3,5", "-0,25",
 * "1.234,5"), as European spreadsheets export them. */
int nnt__csv_decimal_comma(const char *s);
/* A finite float; 0 for anything else. */
int nnt__csv_parse_float(const char *s, float *out);

/* String -> first-seen index. */
typedef struct csv_dict {
    char **names;    /* insertion order */
    size_t n, names_cap;
    int32_t *slots;  /* open addressing: index into names, -1 empty */
    size_t n_slots;  /* power of two */
} csv_dict;

void nnt__csv_dict_free(csv_dict *d);
/* Index of key, inserting it if new; -1 when out of memory. */
int32_t nnt__csv_dict_get(csv_dict *d, const char *key);
/* Index of key, or -1 when it is not there. */
int32_t nnt__csv_dict_find(const csv_dict *d, const char *key);

/* ==== Loader state (csv.c; column planning and encoding in csv_columns.c) */

/* Pass 1 findings about one used column. */
typedef struct col_stat {
    size_t missing;      /* missing values that need a policy */
    size_t text;         /* values that are not numbers */
    size_t numbers;      /* values that are */
    size_t text_line;    /* line of the first one */
    char *text_first;    /* its value */
} col_stat;

typedef struct csv_load {
    const char *path;
    nnt_csv_options opt;
    size_t ncols;
    char **header;       /* ncols names */
    char **fields;       /* ncols pointers into the current record */
    csv_dict names;      /* header name -> column index */
    size_t header_line;
    long target_col;     /* -1: none */
    size_t rows;         /* data records in the file */
    nnt_schema sch;      /* the columns in use, in feature order */
    int from_schema;     /* sch copies the caller's schema (prediction input) */
    size_t n_used;       /* sch.n_columns once planned; raw and st have this many */
    size_t *raw;         /* header index of each used column */
    col_stat *st;
    size_t *offset;      /* first feature of each used column */
    size_t missing_rows, missing_total, first_missing_line, first_missing_col;
    /* Target column. */
    int target_text;     /* some value is not a number */
    int target_nonint;   /* some numeric value is not an integer */
    int target_words;    /* some text value is not a decimal-comma number */
    csv_dict tvals;      /* distinct values (numbers in canonical form) */
    double tmin, tmax;
    int classify;        /* decided after pass 1 */
    int int_classes;     /* classes are integers: numeric order, canonical names */
    nnt_csv_info info;
} csv_load;

int nnt__csv_oom(csv_load *L, nnt_error *err);
/* "'a', 'b', 'c'" into buf, at most max names, then ", ..." */
void nnt__csv_name_list(char *buf, size_t len, const char *const *names, size_t n, size_t max);
/* Splits a data record and checks it has as many fields as the header. */
int nnt__csv_data_fields(csv_load *L, char *rec, size_t line, nnt_error *err);
/* Header index of a column name, or -1. */
long nnt__csv_find_column(const csv_load *L, const char *name);

/* The used columns: the schema's, found by name, or every column but the
 * target and the ignored ones (after read_header). */
int nnt__csv_plan_columns(csv_load *L, nnt_error *err);
/* The counted missing-value error (after pass 1). */
int nnt__csv_missing_error(csv_load *L, nnt_error *err);
/* A text value in numeric column c (after pass 1). */
int nnt__csv_text_error(csv_load *L, size_t c, nnt_error *err);
/* The extra pass that turns all-text columns into categories. */
int nnt__csv_collect_categories(csv_load *L, nnt_error *err);
/* MEAN / MEDIAN fill values, or NAN fills, for the schema (after pass 2). */
int nnt__csv_fit_fills(csv_load *L, nnt_dataset *ds, nnt_error *err);
/* Feature names from the schema (numeric: the name; one-hot: name=category). */
int nnt__csv_feature_names(csv_load *L, nnt_dataset *ds, nnt_error *err);

#endif
