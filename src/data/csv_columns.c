/* CSV loader, column side: which columns are used (a schema's by name, or all
 * but the target and the ignored ones), the counted missing-value and text
 * errors, categories of text columns, fill values and feature names. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/csv_internal.h"

/* The used columns: the schema's, found by name, or every column but the
 * target and the ignored ones. */
int nnt__csv_plan_columns(csv_load *L, nnt_error *err)
{
    size_t n;
    if (L->from_schema) {
        n = L->sch.n_columns;
        if (!(L->raw = nnt__calloc(n ? n : 1, sizeof(size_t)))) return nnt__csv_oom(L, err);
        const char **missing = nnt__calloc(n ? n : 1, sizeof(char *));
        if (!missing) return nnt__csv_oom(L, err);
        size_t n_missing = 0;
        for (size_t c = 0; c < n; c++) {
            long j = nnt__csv_find_column(L, L->sch.columns[c].name);
            if (j < 0) missing[n_missing++] = L->sch.columns[c].name;
            else L->raw[c] = (size_t)j;
        }
        if (n_missing) {
            char list[600];
            nnt__csv_name_list(list, sizeof list, missing, n_missing, 12);
            nnt__free(missing);
            return nnt_fail(err, NNT_ERR_FORMAT, "%s: missing feature column%s %s that the model "
                            "needs (%zu of %zu)", L->path, n_missing > 1 ? "s" : "", list,
                            n_missing, n);
        }
        nnt__free(missing);
    } else {
        unsigned char *skip = nnt__calloc(L->ncols, 1);
        if (!skip) return nnt__csv_oom(L, err);
        if (L->target_col >= 0) skip[L->target_col] = 1;
        for (size_t i = 0; i < L->opt.n_ignore; i++) {
            const char *name = L->opt.ignore[i];
            long j = name ? nnt__csv_find_column(L, name) : -1;
            if (j < 0 || j == L->target_col) {
                char list[400];
                nnt__csv_name_list(list, sizeof list, (const char *const *)L->header, L->ncols, 8);
                nnt__free(skip);
                if (j >= 0)
                    return nnt_fail(err, NNT_ERR_ARG, "%s: cannot ignore '%s': it is the target "
                                    "column", L->path, name);
                return nnt_fail(err, NNT_ERR_NOT_FOUND, "%s: no column named '%s' to ignore; "
                                "columns are %s", L->path, name ? name : "(null)", list);
            }
            skip[j] = 1;
        }
        n = 0;
        for (size_t j = 0; j < L->ncols; j++) n += !skip[j];
        if (n == 0) {
            nnt__free(skip);
            return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: no feature columns (only the target "
                            "column%s)", L->path, L->header_line,
                            L->opt.n_ignore ? " and ignored columns" : "");
        }
        L->raw = nnt__calloc(n, sizeof(size_t));
        L->sch.columns = nnt__calloc(n, sizeof(nnt_column));
        if (!L->raw || !L->sch.columns) {
            nnt__free(skip);
            return nnt__csv_oom(L, err);
        }
        L->sch.n_columns = n;
        for (size_t j = 0, c = 0; j < L->ncols; j++) {
            if (skip[j]) continue;
            L->raw[c] = j;
            L->sch.columns[c].fill = NAN;
            if (!(L->sch.columns[c].name = nnt__strdup(L->header[j]))) {
                nnt__free(skip);
                return nnt__csv_oom(L, err);
            }
            c++;
        }
        nnt__free(skip);
    }
    L->n_used = n;
    if (!(L->st = nnt__calloc(n ? n : 1, sizeof(col_stat)))) return nnt__csv_oom(L, err);
    if (n == 0) return nnt_fail(err, NNT_ERR_ARG, "%s: the input schema has no columns", L->path);
    return NNT_OK;
}

/* ==== Decisions after pass 1 ============================================= */

int nnt__csv_missing_error(csv_load *L, nnt_error *err)
{
    char cols[400];
    size_t used = 0, n_cols = 0, shown = 0;
    cols[0] = '\0';
    for (size_t c = 0; c < L->n_used; c++) {
        if (!L->st[c].missing) continue;
        n_cols++;
        if (shown == 6) continue;
        int w = snprintf(cols + used, sizeof cols - used, "%s'%s' %zu", shown ? ", " : "",
                         L->sch.columns[c].name, L->st[c].missing);
        if (w < 0 || (size_t)w >= sizeof cols - used) break;
        used += (size_t)w;
        shown++;
    }
    return nnt_fail(err, NNT_ERR_FORMAT, "%s: %zu missing value%s (empty, NA, NaN or ?) in %zu "
                    "row%s and %zu column%s (%s%s); first at line %zu, column '%s'; %s", L->path,
                    L->missing_total, L->missing_total == 1 ? "" : "s", L->missing_rows,
                    L->missing_rows == 1 ? "" : "s", n_cols, n_cols == 1 ? "" : "s", cols,
                    shown < n_cols ? ", ..." : "", L->first_missing_line,
                    L->sch.columns[L->first_missing_col].name,
                    L->from_schema ? "the model has no fill values for them (train it with "
                                     "--missing mean or median)"
                                   : "drop those rows or fill the values with --missing "
                                     "drop|mean|median");
}

/* The error for a column of decimal-comma numbers: read as text they would
 * become categories (or an error suggesting --ignore), neither of which is
 * what the table means. */
static int decimal_comma_error(csv_load *L, size_t c, const char *example, size_t line,
                               nnt_error *err)
{
    char sb[64];
    return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s' holds numbers with a decimal comma "
                    "('%s'); nntune reads '.' as the decimal point: write the numbers with '.' "
                    "(with ';' or tab as the delimiter: sed 's/,/./g' on the file)", L->path, line,
                    L->sch.columns[c].name, nnt__csv_shorten(example, sb, sizeof sb));
}

int nnt__csv_text_error(csv_load *L, size_t c, nnt_error *err)
{
    char sb[64];
    const col_stat *st = &L->st[c];
    const char *name = L->sch.columns[c].name;
    if (nnt__csv_decimal_comma(st->text_first))
        return decimal_comma_error(L, c, st->text_first, st->text_line, err);
    if (L->from_schema)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': expected a number, got '%s' "
                        "(the model reads '%s' as a numeric column)", L->path, st->text_line, name,
                        nnt__csv_shorten(st->text_first, sb, sizeof sb), name);
    char *word = nnt__csv_shell_word(name);
    int rc = nnt_fail(err, NNT_ERR_FORMAT, "%s:%zu: column '%s': expected a number, got '%s'%s; "
                      "drop the column with --ignore %s", L->path, st->text_line, name,
                      nnt__csv_shorten(st->text_first, sb, sizeof sb),
                      st->numbers ? " (the column mixes numbers and text)" : "", word ? word : name);
    nnt__free(word);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Extra pass over the file for text feature columns: their distinct values
 * become categories (byte order), or an error when there are too many. A
 * column that mixes numbers and text is taken for a numeric column with a
 * bad value, not for categories. */
int nnt__csv_collect_categories(csv_load *L, nnt_error *err)
{
    size_t n_text = 0;
    int maxc = L->opt.max_categories;
    for (size_t c = 0; c < L->n_used; c++) {
        if (!L->st[c].text) continue;
        if (maxc <= 0 || L->st[c].numbers) return nnt__csv_text_error(L, c, err);
        n_text++;
    }
    if (n_text == 0) return NNT_OK;
    csv_dict *d = nnt__calloc(L->n_used, sizeof(csv_dict));
    /* comma[c]: every value looked at so far is a decimal-comma number */
    unsigned char *comma = nnt__malloc(L->n_used);
    if (!d || !comma) {
        nnt__free(d);
        nnt__free(comma);
        return nnt__csv_oom(L, err);
    }
    memset(comma, 1, L->n_used);
    csv_reader r;
    int rc = nnt__csv_reader_open(&r, L->path, err);
    if (rc < 0) {
        nnt__free(d);
        nnt__free(comma);
        return rc;
    }
    char *rec;
    size_t len, line;
    do {
        rc = nnt__csv_reader_next(&r, &rec, &len, &line, err);
    } while (rc > 0 && nnt__csv_is_blank(rec));
    while (rc >= 0 && (rc = nnt__csv_reader_next(&r, &rec, &len, &line, err)) > 0) {
        if (nnt__csv_is_blank(rec)) continue;
        if ((rc = nnt__csv_data_fields(L, rec, line, err)) < 0) break;
        for (size_t c = 0; c < L->n_used; c++) {
            if (!L->st[c].text || d[c].n > (size_t)maxc) continue;
            const char *s = L->fields[L->raw[c]];
            if (nnt__csv_is_missing(s)) continue;
            if (comma[c] && !nnt__csv_decimal_comma(s)) comma[c] = 0;
            if (nnt__csv_dict_get(&d[c], s) < 0) {
                rc = nnt__csv_oom(L, err);
                break;
            }
        }
    }
    nnt__csv_reader_close(&r);
    for (size_t c = 0; rc >= 0 && c < L->n_used; c++) {
        if (!L->st[c].text) continue;
        nnt_column *col = &L->sch.columns[c];
        if (comma[c]) {
            rc = decimal_comma_error(L, c, L->st[c].text_first, L->st[c].text_line, err);
            break;
        }
        if (d[c].n > (size_t)maxc) {
            char sb[64];
            char *word = nnt__csv_shell_word(col->name);
            rc = nnt_fail(err, NNT_ERR_FORMAT, "%s: column '%s' has text values ('%s' at line %zu) "
                          "and more than %d distinct values, too many to encode as categories; "
                          "drop the column with --ignore %s", L->path, col->name,
                          nnt__csv_shorten(L->st[c].text_first, sb, sizeof sb), L->st[c].text_line, maxc,
                          word ? word : col->name);
            nnt__free(word);
            break;
        }
        qsort(d[c].names, d[c].n, sizeof(char *), cmp_str);
        col->categorical = 1;
        col->categories = d[c].names;
        col->n_categories = d[c].n;
        d[c].names = NULL;
        d[c].n = 0;
        L->info.categorical++;
    }
    for (size_t c = 0; c < L->n_used; c++) nnt__csv_dict_free(&d[c]);
    nnt__free(d);
    nnt__free(comma);
    return rc < 0 ? rc : NNT_OK;
}

/* ==== Fill values (training) ============================================= */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* MEAN / MEDIAN: every numeric column gets a fill value from its present
 * values (so prediction data may have missing values where the training data
 * had none), and this file's missing entries (NAN so far) take it. */
int nnt__csv_fit_fills(csv_load *L, nnt_dataset *ds, nnt_error *err)
{
    if (L->from_schema) return NNT_OK;
    int fill = L->opt.missing == NNT_MISSING_MEAN || L->opt.missing == NNT_MISSING_MEDIAN;
    float *tmp = NULL;
    if (fill && L->opt.missing == NNT_MISSING_MEDIAN &&
        !(tmp = nnt__malloc_array(ds->rows, sizeof(float))))
        return nnt__csv_oom(L, err);
    size_t F = ds->features;
    for (size_t c = 0; c < L->n_used; c++) {
        nnt_column *col = &L->sch.columns[c];
        if (!fill) {
            col->fill = NAN;
            continue;
        }
        if (col->categorical) {
            col->fill = 0.0f; /* all zeros */
            continue;
        }
        size_t j = L->offset[c], n = 0;
        double sum = 0.0;
        for (size_t i = 0; i < ds->rows; i++) {
            float v = ds->x[i * F + j];
            if (isnan(v)) continue;
            sum += v;
            if (tmp) tmp[n] = v;
            n++;
        }
        float f = 0.0f; /* a column with no values at all */
        if (n && tmp) {
            qsort(tmp, n, sizeof(float), cmp_float);
            f = n % 2 ? tmp[n / 2] : (float)(0.5 * ((double)tmp[n / 2 - 1] + tmp[n / 2]));
        } else if (n) {
            f = (float)(sum / (double)n);
        }
        col->fill = f;
        for (size_t i = 0; i < ds->rows; i++)
            if (isnan(ds->x[i * F + j])) ds->x[i * F + j] = f;
    }
    nnt__free(tmp);
    return NNT_OK;
}

/* Feature names: a numeric column's name; "name=category" for one-hot. */
int nnt__csv_feature_names(csv_load *L, nnt_dataset *ds, nnt_error *err)
{
    ds->feature_names = nnt__calloc(ds->features, sizeof(char *));
    if (!ds->feature_names) return nnt__csv_oom(L, err);
    for (size_t c = 0; c < L->n_used; c++) {
        const nnt_column *col = &L->sch.columns[c];
        if (!col->categorical) {
            if (!(ds->feature_names[L->offset[c]] = nnt__strdup(col->name))) return nnt__csv_oom(L, err);
            continue;
        }
        for (size_t k = 0; k < col->n_categories; k++) {
            size_t n = strlen(col->name) + strlen(col->categories[k]) + 2;
            char *s = nnt__malloc(n);
            if (!s) return nnt__csv_oom(L, err);
            snprintf(s, n, "%s=%s", col->name, col->categories[k]);
            ds->feature_names[L->offset[c] + k] = s;
        }
    }
    return NNT_OK;
}

