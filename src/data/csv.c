/* CSV loader.
 *
 * Two streaming passes over the file keep peak memory near the size of the
 * parsed floats: pass 1 checks the shape (field counts), counts missing
 * values, finds text in feature columns and what kind of target there is,
 * pass 2 parses straight into exactly-sized arrays. Only a file with text
 * feature columns gets a pass in between that collects their categories
 * (csv_columns.c), so numeric files pay nothing for it. Records are split in
 * place inside a fixed read buffer that only grows to hold the longest
 * record. */
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
    o.delimiter = '\0'; /* detect */
    o.target_optional = 0;
    o.max_categories = NNT_CSV_MAX_CATEGORIES;
    o.max_classes = NNT_CSV_MAX_CLASSES;
    return o;
}

/* ==== Loader state (the struct is in csv_internal.h) ======================= */

static void load_free(csv_load *L)
{
    nnt__free_strings(L->header, L->ncols);
    nnt__free(L->fields);
    nnt__csv_dict_free(&L->names);
    nnt_schema_free(&L->sch);
    nnt__free(L->raw);
    for (size_t c = 0; L->st && c < L->n_used; c++) nnt__free(L->st[c].text_first);
    nnt__free(L->st);
    nnt__free(L->offset);
    nnt__csv_dict_free(&L->tvals);
}

int nnt__csv_oom(csv_load *L, nnt_error *err)
{
    return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", L->path);
}

/* "'a', 'b', 'c'" into buf, at most `max` names, then ", ..." */
void nnt__csv_name_list(char *buf, size_t len, const char *const *names, size_t n, size_t max)
{
    size_t used = 0;
    buf[0] = '\0';
    size_t shown = n < max ? n : max;
    for (size_t j = 0; j < shown; j++) {
        int w = snprintf(buf + used, len - used, "%s'%s'", j ? ", " : "", names[j]);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
    if (shown < n && used + 6 < len) snprintf(buf + used, len - used, ", ...");
}

/* Splits a data record and checks it has as many fields as the header. */
int nnt__csv_data_fields(csv_load *L, char *rec, size_t line, nnt_error *err)
{
    long n = nnt__csv_split_fields(rec, L->opt.delimiter, L->fields, L->ncols, L->path, line, err);
    if (n < 0) return (int)n;
    if ((size_t)n != L->ncols)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: expected %zu fields (as in the header), "
                        "got %ld", L->path, line, L->ncols, n);
    return NNT_OK;
}

/* ==== Header ============================================================= */

/* The delimiter that occurs most often outside quotes in the header record
 * (',' on ties and when none occurs). */
static char detect_delimiter(const char *rec)
{
    static const char cand[3] = {',', ';', '\t'};
    size_t count[3] = {0, 0, 0};
    int q = 0;
    for (const char *p = rec; *p; p++) {
        if (*p == '"') q = !q;
        else if (!q)
            for (int k = 0; k < 3; k++) count[k] += *p == cand[k];
    }
    int best = 0;
    for (int k = 1; k < 3; k++)
        if (count[k] > count[best]) best = k;
    return cand[best];
}

long nnt__csv_find_column(const csv_load *L, const char *name)
{
    return nnt__csv_dict_find(&L->names, name);
}

static int read_header(csv_load *L, csv_reader *r, nnt_error *err)
{
    char *rec;
    size_t len, line;
    int rc;
    /* Skip blank lines before the header. */
    do {
        rc = nnt__csv_reader_next(r, &rec, &len, &line, err);
        if (rc < 0) return rc;
        if (rc == 0)
            return nnt_fail(err, NNT_ERR_FORMAT, "%s: empty file (expected a header row)", L->path);
    } while (nnt__csv_is_blank(rec));
    L->header_line = line;
    if ((unsigned char)rec[0] == 0xEF && (unsigned char)rec[1] == 0xBB && (unsigned char)rec[2] == 0xBF)
        rec += 3; /* UTF-8 byte order mark */
    int detected = L->opt.delimiter == '\0';
    if (detected) L->opt.delimiter = detect_delimiter(rec);
    /* Count on a copy: splitting rewrites the record in place. */
    char *copy = nnt__strdup(rec);
    if (!copy) return nnt__csv_oom(L, err);
    long n = nnt__csv_split_fields(copy, L->opt.delimiter, NULL, 0, L->path, line, err);
    nnt__free(copy);
    if (n < 0) return (int)n;
    if (n == 1 && !detected && (strchr(rec, ';') || strchr(rec, '\t'))) {
        const char *d = strchr(rec, ';') ? "';'" : "a tab";
        return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: the header is a single column but contains "
                        "%s: is %s the delimiter? (delimiter in use: '%c'; --delimiter %s)", L->path,
                        line, d, d, L->opt.delimiter, strchr(rec, ';') ? "';'" : "tab");
    }
    L->ncols = (size_t)n;
    L->header = nnt__calloc(L->ncols, sizeof(char *));
    L->fields = nnt__calloc(L->ncols, sizeof(char *));
    if (!L->header || !L->fields) return nnt__csv_oom(L, err);
    nnt__csv_split_fields(rec, L->opt.delimiter, L->fields, L->ncols, L->path, line, err);
    for (size_t j = 0; j < L->ncols; j++) {
        if (L->fields[j][0] == '\0')
            return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column %zu has an empty name in the "
                            "header%s", L->path, line, j + 1,
                            j == 0 ? " (a row index, as pandas' to_csv writes it by default? "
                                     "write the file with index=False, or name the column and "
                                     "drop it with --ignore NAME)"
                                   : "; every column needs a name");
        if (!(L->header[j] = nnt__strdup(L->fields[j]))) return nnt__csv_oom(L, err);
    }
    /* A hash of the names keeps very wide headers (pixel columns) linear,
     * also when a schema looks its columns up by name. */
    for (size_t j = 0; j < L->ncols; j++) {
        int32_t id = nnt__csv_dict_get(&L->names, L->header[j]);
        if (id < 0) return nnt__csv_oom(L, err);
        if ((size_t)id != j)
            return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: duplicate column name '%s' "
                            "(columns %d and %zu)", L->path, line, L->header[j], (int)id + 1, j + 1);
    }
    if (!L->opt.target) {
        /* The last column, unless a schema reads it as a feature. */
        L->target_col = (long)L->ncols - 1;
        for (size_t c = 0; L->from_schema && c < L->sch.n_columns; c++)
            if (strcmp(L->sch.columns[c].name, L->header[L->ncols - 1]) == 0) L->target_col = -1;
        if (L->from_schema && L->opt.target_optional) L->target_col = -1;
    } else {
        L->target_col = nnt__csv_find_column(L, L->opt.target);
        if (L->target_col < 0 && !L->opt.target_optional) {
            char list[400];
            nnt__csv_name_list(list, sizeof list, (const char *const *)L->header, L->ncols, 8);
            return nnt_fail(err, NNT_ERR_NOT_FOUND, "%s:%zu: no target column named '%s'; "
                            "columns are %s (%zu in all)", L->path, line, L->opt.target, list,
                            L->ncols);
        }
        /* Prediction input: the target is not needed, so its values (which
         * may well be blank) are not read. */
        if (L->from_schema && L->opt.target_optional) L->target_col = -1;
    }
    return NNT_OK;
}

/* ==== Pass 1: shape, missing values, text, target ======================== */

/* Target value as a number; 0 when it is text. */
static int target_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(*v);
}

static int is_int_value(double v) { return v == floor(v) && fabs(v) <= 9007199254740992.0; }

/* [sign] digits [. digits] [e [sign] digits], with at least one digit. */
static int looks_decimal(const char *s)
{
    const char *p = s;
    int digits = 0;
    if (*p == '+' || *p == '-') p++;
    while (*p >= '0' && *p <= '9') p++, digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++) digits++;
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    return *p == '\0';
}

/* Does this missing value need a policy (as opposed to a fill the schema
 * already has)? */
static int needs_policy(const csv_load *L, size_t c)
{
    return !(L->from_schema && isfinite(L->sch.columns[c].fill));
}

static int pass1_record(csv_load *L, size_t line, nnt_error *err)
{
    int row_missing = 0;
    for (size_t c = 0; c < L->n_used; c++) {
        const char *s = L->fields[L->raw[c]];
        col_stat *st = &L->st[c];
        if (nnt__csv_is_missing(s)) {
            if (!needs_policy(L, c)) continue;
            st->missing++;
            if (L->missing_total++ == 0) {
                L->first_missing_line = line;
                L->first_missing_col = c;
            }
            row_missing = 1;
            continue;
        }
        if (L->sch.columns[c].categorical) continue;
        float f;
        /* The plain decimal grammar settles nearly every field without a
         * conversion (pass 2 converts, and reports a number out of range). */
        if (!looks_decimal(s) && !nnt__csv_parse_float(s, &f)) {
            double v;
            if (target_number(s, &v) || errno == ERANGE) {
                char sb[64];
                return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': number '%s' is out of "
                                "the float range", L->path, line, L->header[L->raw[c]],
                                nnt__csv_shorten(s, sb, sizeof sb));
            }
            if (st->text++ == 0) {
                st->text_line = line;
                if (!(st->text_first = nnt__strdup(s))) return nnt__csv_oom(L, err);
            }
        } else {
            st->numbers++;
        }
    }
    if (L->target_col >= 0) {
        const char *t = L->fields[L->target_col];
        const char *tname = L->header[L->target_col];
        double v;
        char canon[40];
        if (nnt__csv_is_missing(t)) {
            if (L->opt.missing != NNT_MISSING_DROP || L->from_schema)
                return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': missing target value "
                                "(%s)%s", L->path, line, tname, t[0] ? t : "empty field",
                                L->from_schema ? "" : "; rows without a target can be dropped "
                                "with --missing drop");
            row_missing = 1;
        } else if (!target_number(t, &v)) {
            if (L->opt.task == NNT_TASK_REGRESS) {
                char sb[64];
                return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': expected a number "
                                "for a regression target, got '%s'", L->path, line, tname,
                                nnt__csv_shorten(t, sb, sizeof sb));
            }
            L->target_text = 1;
            if (!nnt__csv_decimal_comma(t)) L->target_words = 1;
            if (nnt__csv_dict_get(&L->tvals, t) < 0) return nnt__csv_oom(L, err);
        } else {
            if (!is_int_value(v)) L->target_nonint = 1;
            if (L->tvals.n == 0 || v < L->tmin) L->tmin = v;
            if (L->tvals.n == 0 || v > L->tmax) L->tmax = v;
            snprintf(canon, sizeof canon, "%.17g", v);
            if (nnt__csv_dict_get(&L->tvals, canon) < 0) return nnt__csv_oom(L, err);
        }
    }
    if (row_missing) L->missing_rows++;
    return NNT_OK;
}

static int pass1(csv_load *L, nnt_error *err)
{
    csv_reader r;
    int rc = nnt__csv_reader_open(&r, L->path, err);
    if (rc < 0) return rc;
    if ((rc = read_header(L, &r, err)) < 0) goto done;
    if ((rc = nnt__csv_plan_columns(L, err)) < 0) goto done;
    char *rec;
    size_t len, line;
    while ((rc = nnt__csv_reader_next(&r, &rec, &len, &line, err)) > 0) {
        if (nnt__csv_is_blank(rec)) continue;
        if ((rc = nnt__csv_data_fields(L, rec, line, err)) < 0) goto done;
        if ((rc = pass1_record(L, line, err)) < 0) goto done;
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
    nnt__csv_reader_close(&r);
    return rc;
}

/* ==== Decisions after pass 1 ============================================= */

/* The task rule documented at NNT_CSV_MAX_CLASSES. A target of
 * decimal-comma numbers ("68,0") would be text, so classes: under the auto
 * rule that is an error, not a classifier with a class per number. */
static int decide_task(csv_load *L, nnt_error *err)
{
    nnt_csv_info *in = &L->info;
    in->max_classes = L->opt.max_classes > 0 ? L->opt.max_classes : NNT_CSV_MAX_CLASSES;
    in->target_text = L->target_text;
    in->target_integral = !L->target_nonint;
    in->target_distinct = L->tvals.n;
    in->target_min = L->target_text ? NAN : L->tmin;
    in->target_max = L->target_text ? NAN : L->tmax;
    if (L->target_col < 0) {
        in->task = NNT_TASK_AUTO;
        return NNT_OK;
    }
    if (L->target_text && !L->target_words && L->opt.task == NNT_TASK_AUTO && !L->from_schema) {
        const char *ex = "";
        for (size_t i = 0; i < L->tvals.n; i++)
            if (nnt__csv_decimal_comma(L->tvals.names[i])) {
                ex = L->tvals.names[i];
                break;
            }
        char sb[64];
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: target column '%s' holds numbers with a "
                        "decimal comma ('%s'); nntune reads '.' as the decimal point, so they would "
                        "be %zu classes: write the numbers with '.' (with ';' or tab as the "
                        "delimiter: sed 's/,/./g' on the file), or give --task classification "
                        "if they are class names", L->path, L->header[L->target_col],
                        nnt__csv_shorten(ex, sb, sizeof sb), L->tvals.n);
    }
    size_t rows = L->rows - (L->opt.missing == NNT_MISSING_DROP ? L->missing_rows : 0);
    switch (L->opt.task) {
    case NNT_TASK_REGRESS: L->classify = 0; in->task_forced = 1; break;
    case NNT_TASK_CLASSIFY:
    case NNT_TASK_BINARY: L->classify = 1; in->task_forced = 1; break;
    default:
        /* Two values are classes at any size; more need two rows a value. */
        L->classify = L->target_text ||
                      (!L->target_nonint && L->tvals.n <= (size_t)in->max_classes &&
                       (L->tvals.n <= 2 || 2 * L->tvals.n <= rows));
        break;
    }
    L->int_classes = L->classify && !L->target_text && !L->target_nonint;
    in->task = L->classify ? NNT_TASK_CLASSIFY : NNT_TASK_REGRESS;
    return NNT_OK;
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
    char **sorted = nnt__malloc_array(d->n, sizeof(char *));
    int32_t *map = nnt__malloc_array(d->n, sizeof(int32_t));
    if (!sorted || !map) {
        nnt__free(sorted);
        nnt__free(map);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for %zu classes", d->n);
    }
    memcpy(sorted, d->names, d->n * sizeof(char *));
    qsort(sorted, d->n, sizeof(char *), L->int_classes ? class_cmp_int : class_cmp_str);
    /* The names are unique, so the dictionary finds each one's first-seen index. */
    for (size_t k = 0; k < d->n; k++) map[nnt__csv_dict_get(d, sorted[k])] = (int32_t)k;
    for (size_t i = 0; i < ds->rows; i++) ds->labels[i] = map[ds->labels[i]];
    nnt__free(map);
    /* Hand the strings over to the data set. */
    ds->class_names = sorted;
    ds->n_classes = (int)d->n;
    nnt__free(d->names);
    d->names = NULL;
    d->n = 0;
    return NNT_OK;
}


/* ==== Pass 2: values ===================================================== */

static int find_category(const nnt_column *col, const char *s)
{
    size_t lo = 0, hi = col->n_categories;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(col->categories[mid], s);
        if (c == 0) return (int)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* Does this record have a value that makes --missing drop skip it? */
static int dropped_row(const csv_load *L)
{
    if (L->from_schema || L->opt.missing != NNT_MISSING_DROP) return 0;
    if (L->target_col >= 0 && nnt__csv_is_missing(L->fields[L->target_col])) return 1;
    for (size_t c = 0; c < L->n_used; c++)
        if (nnt__csv_is_missing(L->fields[L->raw[c]])) return 1;
    return 0;
}

/* Encodes the used columns of the current record into x (one row). Missing
 * values become the schema's fill, or NAN to be filled after the pass. */
static int encode_row(csv_load *L, float *x, size_t line, nnt_error *err)
{
    int unseen = 0;
    for (size_t c = 0; c < L->n_used; c++) {
        const nnt_column *col = &L->sch.columns[c];
        const char *s = L->fields[L->raw[c]];
        float *dst = x + L->offset[c];
        int miss = nnt__csv_is_missing(s);
        if (col->categorical) {
            memset(dst, 0, col->n_categories * sizeof(float));
            if (miss) {
                L->info.missing_filled++;
                continue;
            }
            int k = find_category(col, s);
            if (k >= 0) dst[k] = 1.0f;
            else {
                L->info.unseen++;
                unseen = 1;
            }
            continue;
        }
        if (miss) {
            *dst = isfinite(col->fill) ? col->fill : NAN;
            L->info.missing_filled++;
            continue;
        }
        if (!nnt__csv_parse_float(s, dst)) {
            char sb[64];
            double v;
            if (target_number(s, &v) || errno == ERANGE)
                return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': number '%s' is out of "
                                "the float range", L->path, line, col->name,
                                nnt__csv_shorten(s, sb, sizeof sb));
            return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': expected a number, got '%s'",
                            L->path, line, col->name, nnt__csv_shorten(s, sb, sizeof sb));
        }
    }
    L->info.unseen_rows += (size_t)unseen;
    return NNT_OK;
}

static int pass2(csv_load *L, nnt_dataset *ds, nnt_error *err)
{
    csv_reader r;
    csv_dict dict;
    memset(&dict, 0, sizeof dict);
    int rc = nnt__csv_reader_open(&r, L->path, err);
    if (rc < 0) return rc;
    char *rec;
    size_t len, line;
    do {
        rc = nnt__csv_reader_next(&r, &rec, &len, &line, err);
    } while (rc > 0 && nnt__csv_is_blank(rec));
    if (rc <= 0) goto changed;
    size_t F = ds->features, row = 0;
    long tc = L->target_col;
    while ((rc = nnt__csv_reader_next(&r, &rec, &len, &line, err)) > 0) {
        if (nnt__csv_is_blank(rec)) continue;
        if ((rc = nnt__csv_data_fields(L, rec, line, err)) < 0) goto done;
        if (dropped_row(L)) continue;
        if (row == ds->rows) goto changed;
        if ((rc = encode_row(L, ds->x + row * F, line, err)) < 0) goto done;
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
                int32_t id = nnt__csv_dict_get(&dict, t);
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
    nnt__csv_dict_free(&dict);
    nnt__csv_reader_close(&r);
    return rc;
}

/* ==== Entry point ======================================================== */

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
    if (L.opt.delimiter == '"' || L.opt.delimiter == '\n' || L.opt.delimiter == '\r')
        return nnt_fail(err, NNT_ERR_ARG, "CSV delimiter cannot be a quote or a line end");
    if (L.opt.n_ignore && !L.opt.ignore)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_load_csv: n_ignore without ignore");
    L.target_col = -1;
    nnt_dataset *ds = NULL;
    int rc;
    if (L.opt.schema && L.opt.schema->n_columns) {
        if ((rc = nnt_schema_copy(L.opt.schema, &L.sch, err)) < 0) return rc;
        L.from_schema = 1;
    }

    if ((rc = pass1(&L, err)) < 0) goto done;
    if (L.missing_total && (L.from_schema || L.opt.missing == NNT_MISSING_ERROR)) {
        rc = nnt__csv_missing_error(&L, err);
        goto done;
    }
    for (size_t c = 0; L.from_schema && c < L.n_used; c++)
        if (L.st[c].text && !L.sch.columns[c].categorical) {
            rc = nnt__csv_text_error(&L, c, err);
            goto done;
        }
    if (!L.from_schema && (rc = nnt__csv_collect_categories(&L, err)) < 0) goto done;
    if ((rc = decide_task(&L, err)) < 0) goto done;

    size_t rows = L.rows - (!L.from_schema && L.opt.missing == NNT_MISSING_DROP ? L.missing_rows : 0);
    if (rows == 0) {
        rc = nnt_fail(err, NNT_ERR_FORMAT, "%s: all %zu rows have missing values; none is left "
                      "after dropping them", path, L.rows);
        goto done;
    }
    if (!(L.offset = nnt__calloc(L.n_used, sizeof(size_t)))) goto nomem;
    size_t F = 0;
    for (size_t c = 0; c < L.n_used; c++) {
        L.offset[c] = F;
        F += L.sch.columns[c].categorical ? L.sch.columns[c].n_categories : 1;
    }
    if (F == 0) {
        rc = nnt_fail(err, NNT_ERR_FORMAT, "%s: the input schema gives no features", path);
        goto done;
    }

    ds = nnt__dataset_alloc();
    if (!ds) goto nomem;
    ds->kind = NNT_FEATURES_TABULAR;
    ds->rows = rows;
    ds->features = F;
    ds->task = L.info.task;
    if (ds->rows > SIZE_MAX / ds->features) goto nomem;
    ds->x = nnt__malloc_array(ds->rows * ds->features, sizeof(float));
    if (!ds->x) goto nomem;
    if ((rc = nnt__csv_feature_names(&L, ds, err)) < 0) goto done;
    if (L.target_col >= 0) {
        if (!(ds->target_name = nnt__strdup(L.header[L.target_col]))) goto nomem;
        if (L.classify) ds->labels = nnt__malloc_array(ds->rows, sizeof(int32_t));
        else ds->targets = nnt__malloc_array(ds->rows, sizeof(float));
        if (!ds->labels && !ds->targets) goto nomem;
    } else if (L.opt.target && !(ds->target_name = nnt__strdup(L.opt.target))) {
        goto nomem;
    }
    if ((rc = pass2(&L, ds, err)) < 0) goto done;
    if ((rc = nnt__csv_fit_fills(&L, ds, err)) < 0) goto done;

    L.info.delimiter = L.opt.delimiter;
    L.info.columns = L.ncols;
    L.info.columns_used = L.n_used;
    L.info.rows_read = L.rows;
    L.info.rows_dropped = L.rows - rows;
    if (L.from_schema)
        for (size_t c = 0; c < L.n_used; c++) L.info.categorical += L.sch.columns[c].categorical;
    ds->csv_info = L.info;
    ds->has_csv_info = 1;
    ds->schema = L.sch;
    memset(&L.sch, 0, sizeof L.sch);
    *out = ds;
    ds = NULL;
    rc = NNT_OK;
    goto done;
nomem:
    rc = nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory for %zu rows x %zu columns", path, L.rows,
                  L.ncols);
done:
    nnt_dataset_free(ds);
    load_free(&L);
    return rc;
}
