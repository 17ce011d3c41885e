/* CSV loader.
 *
 * Two streaming passes over the file keep peak memory near the size of the
 * parsed floats: pass 1 checks the shape (field counts, missing values) and
 * what kind of target there is, pass 2 parses straight into exactly-sized
 * arrays. Records are split in place inside a fixed read buffer that only
 * grows to hold the longest record. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/csv_internal.h"

nnt_csv_options nnt_csv_options_default(void)
{
    nnt_csv_options o;
    memset(&o, 0, sizeof o);
    o.target = NULL;
    o.task = NNT_TASK_AUTO;
    o.delimiter = ',';
    o.target_optional = 0;
    return o;
}

/* ==== Loader ============================================================= */

typedef struct csv_load {
    const char *path;
    nnt_csv_options opt;
    size_t ncols;
    char **header;    /* ncols names */
    char **fields;    /* ncols pointers into the current record */
    long target_col;  /* -1: none */
    size_t rows;
    /* Pass 1 findings about the target column. */
    int target_text;  /* some value is not a number */
    int target_nonint;/* some numeric value is not an integer */
    int classify;     /* decided after pass 1 */
    int int_classes;  /* classes are integers: numeric order, canonical names */
} csv_load;

/* Splits a data record and checks it has as many fields as the header. */
static int data_fields(csv_load *L, char *rec, size_t line, nnt_error *err)
{
    long n = csv_split_fields(rec, L->opt.delimiter, L->fields, L->ncols, L->path, line, err);
    if (n < 0) return (int)n;
    if ((size_t)n != L->ncols)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: expected %zu fields (as in the header), "
                        "got %ld", L->path, line, L->ncols, n);
    return NNT_OK;
}

static int missing_error(csv_load *L, size_t line, size_t col, nnt_error *err)
{
    const char *v = L->fields[col];
    if (v[0] == '\0')
        return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': missing value (empty field)",
                        L->path, line, L->header[col]);
    return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': missing value ('%s')", L->path,
                    line, L->header[col], v);
}

static int read_header(csv_load *L, csv_reader *r, nnt_error *err)
{
    char *rec;
    size_t len, line;
    int rc;
    /* Skip blank lines before the header. */
    do {
        rc = csv_reader_next(r, &rec, &len, &line, err);
        if (rc < 0) return rc;
        if (rc == 0)
            return nnt_fail(err, NNT_ERR_FORMAT, "%s: empty file (expected a header row)", L->path);
    } while (csv_is_blank(rec));
    if ((unsigned char)rec[0] == 0xEF && (unsigned char)rec[1] == 0xBB && (unsigned char)rec[2] == 0xBF)
        rec += 3; /* UTF-8 byte order mark */
    /* Count on a copy: splitting rewrites the record in place. */
    char *copy = nnt_strdup(rec);
    if (!copy) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    long n = csv_split_fields(copy, L->opt.delimiter, NULL, 0, L->path, line, err);
    nnt_free(copy);
    if (n < 0) return (int)n;
    L->ncols = (size_t)n;
    L->header = nnt_calloc(L->ncols, sizeof(char *));
    L->fields = nnt_calloc(L->ncols, sizeof(char *));
    if (!L->header || !L->fields) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    csv_split_fields(rec, L->opt.delimiter, L->fields, L->ncols, L->path, line, err);
    for (size_t j = 0; j < L->ncols; j++) {
        if (L->fields[j][0] == '\0')
            return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column %zu has an empty name in the "
                            "header", L->path, line, j + 1);
        if (!(L->header[j] = nnt_strdup(L->fields[j]))) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    }
    /* A hash of the names keeps very wide headers (pixel columns) linear. */
    csv_dict seen;
    memset(&seen, 0, sizeof seen);
    for (size_t j = 0; j < L->ncols; j++) {
        int32_t id = csv_dict_get(&seen, L->header[j]);
        if (id < 0) {
            csv_dict_free(&seen);
            return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
        }
        if ((size_t)id != j) {
            csv_dict_free(&seen);
            return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: duplicate column name '%s' "
                            "(columns %d and %zu)", L->path, line, L->header[j], (int)id + 1, j + 1);
        }
    }
    csv_dict_free(&seen);
    if (!L->opt.target) {
        L->target_col = (long)L->ncols - 1;
    } else {
        L->target_col = -1;
        for (size_t j = 0; j < L->ncols; j++)
            if (strcmp(L->header[j], L->opt.target) == 0) L->target_col = (long)j;
        if (L->target_col < 0 && !L->opt.target_optional) {
            char list[400];
            size_t used = 0;
            list[0] = '\0';
            size_t shown = L->ncols < 8 ? L->ncols : 8;
            for (size_t j = 0; j < shown; j++) {
                int w = snprintf(list + used, sizeof list - used, "%s'%s'", j ? ", " : "", L->header[j]);
                if (w < 0 || (size_t)w >= sizeof list - used) break;
                used += (size_t)w;
            }
            return nnt_fail(err, NNT_ERR_NOT_FOUND, "%s:%zu: no target column named '%s'; "
                            "columns are %s%s (%zu in all)", L->path, line, L->opt.target, list,
                            shown < L->ncols ? ", ..." : "", L->ncols);
        }
    }
    size_t nfeat = L->ncols - (L->target_col >= 0 ? 1 : 0);
    if (nfeat == 0)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: no feature columns (only the target "
                        "column '%s')", L->path, line, L->header[L->target_col]);
    return NNT_OK;
}

/* Target value as a number; 0 when it is text. */
static int target_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(*v);
}

static int is_int_value(double v) { return v == floor(v) && fabs(v) <= 9007199254740992.0; }

static int pass1(csv_load *L, nnt_error *err)
{
    csv_reader r;
    int rc = csv_reader_open(&r, L->path, err);
    if (rc < 0) return rc;
    if ((rc = read_header(L, &r, err)) < 0) goto done;
    char *rec;
    size_t len, line;
    while ((rc = csv_reader_next(&r, &rec, &len, &line, err)) > 0) {
        if (csv_is_blank(rec)) continue;
        if ((rc = data_fields(L, rec, line, err)) < 0) goto done;
        for (size_t j = 0; j < L->ncols; j++)
            if (csv_is_missing(L->fields[j])) {
                rc = missing_error(L, line, j, err);
                goto done;
            }
        if (L->target_col >= 0) {
            const char *t = L->fields[L->target_col];
            double v;
            if (!target_number(t, &v)) {
                if (L->opt.task == NNT_TASK_REGRESS) {
                    char sb[64];
                    rc = nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': expected a number "
                                  "for a regression target, got '%s'", L->path, line,
                                  L->header[L->target_col], csv_shorten(t, sb, sizeof sb));
                    goto done;
                }
                L->target_text = 1;
            } else if (!is_int_value(v)) {
                L->target_nonint = 1;
            }
        }
        if (L->rows == UINT32_MAX) {
            rc = nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: more than %u data rows", L->path, line,
                          (unsigned)UINT32_MAX);
            goto done;
        }
        L->rows++;
    }
    if (rc < 0) goto done;
    if (L->rows == 0) {
        rc = nnt_fail(err, NNT_ERR_FORMAT, "%s: no data rows after the header", L->path);
        goto done;
    }
    rc = NNT_OK;
done:
    csv_reader_close(&r);
    return rc;
}

static int class_cmp_int(const void *a, const void *b)
{
    long long x = strtoll(*(char *const *)a, NULL, 10), y = strtoll(*(char *const *)b, NULL, 10);
    return (x > y) - (x < y);
}

static int class_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the classes (numeric order for integers, else byte order) and
 * rewrites the provisional first-seen labels to sorted indices. */
static int finish_classes(csv_load *L, nnt_dataset *ds, csv_dict *d, nnt_error *err)
{
    const char *tname = L->header[L->target_col];
    if (d->n < 2)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: column '%s': only one class ('%s'); "
                        "classification needs at least 2", L->path, tname, d->n ? d->names[0] : "");
    if (L->opt.task == NNT_TASK_BINARY && d->n != 2)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: column '%s': binary task needs exactly 2 classes, "
                        "found %zu", L->path, tname, d->n);
    char **sorted = nnt_malloc_array(d->n, sizeof(char *));
    int32_t *map = nnt_malloc_array(d->n, sizeof(int32_t));
    if (!sorted || !map) {
        nnt_free(sorted);
        nnt_free(map);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for %zu classes", d->n);
    }
    memcpy(sorted, d->names, d->n * sizeof(char *));
    qsort(sorted, d->n, sizeof(char *), L->int_classes ? class_cmp_int : class_cmp_str);
    /* The names are unique, so the dictionary finds each one's first-seen index. */
    for (size_t k = 0; k < d->n; k++) map[csv_dict_get(d, sorted[k])] = (int32_t)k;
    for (size_t i = 0; i < ds->rows; i++) ds->labels[i] = map[ds->labels[i]];
    nnt_free(map);
    /* Hand the strings over to the data set. */
    ds->class_names = sorted;
    ds->n_classes = (int)d->n;
    nnt_free(d->names);
    d->names = NULL;
    d->n = 0;
    return NNT_OK;
}

static int pass2(csv_load *L, nnt_dataset *ds, nnt_error *err)
{
    csv_reader r;
    csv_dict dict;
    memset(&dict, 0, sizeof dict);
    int rc = csv_reader_open(&r, L->path, err);
    if (rc < 0) return rc;
    char *rec;
    size_t len, line;
    do {
        rc = csv_reader_next(&r, &rec, &len, &line, err);
    } while (rc > 0 && csv_is_blank(rec));
    if (rc <= 0) goto changed;
    size_t F = ds->features, row = 0;
    long tc = L->target_col;
    while ((rc = csv_reader_next(&r, &rec, &len, &line, err)) > 0) {
        if (csv_is_blank(rec)) continue;
        if (row == ds->rows) goto changed;
        if ((rc = data_fields(L, rec, line, err)) < 0) goto done;
        float *x = ds->x + row * F;
        size_t k = 0;
        for (size_t j = 0; j < L->ncols; j++) {
            if ((long)j == tc) continue;
            const char *s = L->fields[j];
            if (!csv_parse_float(s, &x[k])) {
                char sb[64];
                double v;
                if (target_number(s, &v) || errno == ERANGE)
                    rc = nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': number '%s' is "
                                  "out of the float range", L->path, line, L->header[j],
                                  csv_shorten(s, sb, sizeof sb));
                else
                    rc = nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': expected a number, "
                                  "got '%s'", L->path, line, L->header[j], csv_shorten(s, sb, sizeof sb));
                goto done;
            }
            k++;
        }
        if (tc >= 0) {
            const char *t = L->fields[tc];
            if (!L->classify) {
                double v;
                target_number(t, &v); /* pass 1 checked it */
                ds->targets[row] = (float)v;
            } else {
                char canon[32];
                if (L->int_classes) {
                    double v;
                    target_number(t, &v);
                    snprintf(canon, sizeof canon, "%lld", (long long)v);
                    t = canon;
                }
                int32_t id = csv_dict_get(&dict, t);
                if (id < 0) {
                    rc = nnt_fail(err, NNT_ERR_NOMEM, "%s:%zu: out of memory for class names",
                                  L->path, line);
                    goto done;
                }
                ds->labels[row] = id;
            }
        }
        row++;
    }
    if (rc < 0) goto done;
    if (row != ds->rows) goto changed;
    rc = L->classify ? finish_classes(L, ds, &dict, err) : NNT_OK;
    goto done;
changed:
    if (rc >= 0)
        rc = nnt_fail(err, NNT_ERR_IO, "%s: the file changed while it was being read", L->path);
done:
    csv_dict_free(&dict);
    csv_reader_close(&r);
    return rc;
}

int nnt_dataset_load_csv(const char *path, const nnt_csv_options *opt, nnt_dataset **out,
                         nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_load_csv: out is NULL");
    *out = NULL;
    if (!path) return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_load_csv: path is NULL");
    csv_load L;
    memset(&L, 0, sizeof L);
    L.path = path;
    L.opt = opt ? *opt : nnt_csv_options_default();
    if (L.opt.delimiter == '\0') L.opt.delimiter = ',';
    if (L.opt.delimiter == '"' || L.opt.delimiter == '\n' || L.opt.delimiter == '\r')
        return nnt_fail(err, NNT_ERR_ARG, "CSV delimiter cannot be a quote or a line end");
    L.target_col = -1;

    nnt_dataset *ds = NULL;
    int rc = pass1(&L, err);
    if (rc < 0) goto done;

    if (L.target_col >= 0) {
        switch (L.opt.task) {
        case NNT_TASK_REGRESS: L.classify = 0; break;
        case NNT_TASK_CLASSIFY:
        case NNT_TASK_BINARY: L.classify = 1; break;
        default: L.classify = L.target_text || !L.target_nonint; break;
        }
        L.int_classes = L.classify && !L.target_text && !L.target_nonint;
    }

    ds = nnt_dataset_alloc_();
    if (!ds) goto nomem;
    ds->kind = NNT_FEATURES_TABULAR;
    ds->rows = L.rows;
    ds->features = L.ncols - (L.target_col >= 0 ? 1 : 0);
    ds->task = L.target_col < 0 ? NNT_TASK_AUTO : L.classify ? NNT_TASK_CLASSIFY : NNT_TASK_REGRESS;
    if (ds->rows > SIZE_MAX / ds->features) goto nomem;
    ds->x = nnt_malloc_array(ds->rows * ds->features, sizeof(float));
    ds->feature_names = nnt_calloc(ds->features, sizeof(char *));
    if (!ds->x || !ds->feature_names) goto nomem;
    for (size_t j = 0, k = 0; j < L.ncols; j++) {
        if ((long)j == L.target_col) continue;
        ds->feature_names[k++] = L.header[j];
        L.header[j] = NULL;
    }
    if (L.target_col >= 0) {
        ds->target_name = L.header[L.target_col];
        L.header[L.target_col] = NULL;
        if (L.classify) ds->labels = nnt_malloc_array(ds->rows, sizeof(int32_t));
        else ds->targets = nnt_malloc_array(ds->rows, sizeof(float));
        if (!ds->labels && !ds->targets) goto nomem;
    } else if (L.opt.target && !(ds->target_name = nnt_strdup(L.opt.target))) {
        goto nomem;
    }
    /* pass2 reports with header names; keep the target's name reachable. */
    for (size_t j = 0, k = 0; j < L.ncols; j++) {
        if ((long)j == L.target_col) {
            L.header[j] = ds->target_name;
            continue;
        }
        L.header[j] = ds->feature_names[k++];
    }
    rc = pass2(&L, ds, err);
    for (size_t j = 0; j < L.ncols; j++) L.header[j] = NULL; /* owned by ds now */
    if (rc < 0) goto done;
    *out = ds;
    ds = NULL;
    rc = NNT_OK;
    goto done;
nomem:
    rc = nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory for %zu rows x %zu columns", path, L.rows,
                  L.ncols);
done:
    nnt_dataset_free(ds);
    nnt_free_strings_(L.header, L.ncols);
    nnt_free(L.fields);
    return rc;
}
