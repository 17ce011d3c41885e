/* CLI side of reading tables: shared data options, the task line and
 * prediction-input warnings (see cli_data.h). */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"

/* ---- Shared data options ------------------------------------------------ */

#define MAX_IGNORE 256

/* One command runs per process, so process-wide settings are the simplest
 * way for every command's cli_load_data calls to read tables alike. */
static struct {
    char *ignore_buf;
    const char *ignore[MAX_IGNORE];
    size_t n_ignore;
    char delimiter;
    nnt_missing missing;
} g_csv;

int cli_model_data_option(const char *cmd, int code, const char *arg, char **argv,
                          const struct option *opts)
{
    if (code == CLI_O_DELIMITER) return cli_data_option(cmd, code, arg) ? EXIT_USAGE : EXIT_OK;
    if (code != CLI_O_IGNORE && code != CLI_O_MISSING) return cli_getopt_error(cmd, code, argv, opts);
    /* The model's schema decides: its columns by name (others are ignored
     * anyway) and its fill values. */
    return cli_usage_error(cmd, "%s applies to training data; the model reads its own columns by "
                           "name and fills missing values with the values stored at training",
                           code == CLI_O_IGNORE ? "--ignore" : "--missing");
}

int cli_model_data_required(const char *cmd, int argc, char **argv, const char *model,
                            const char *data)
{
    if (cli_no_operands(cmd, argc, argv) != EXIT_OK) return EXIT_USAGE;
    if (!model) return cli_usage_error(cmd, "--model is required");
    if (!data) return cli_usage_error(cmd, "--data is required");
    return EXIT_OK;
}

int cli_load_model_data(const char *cmd, const nnt_model *m, const char *model_path,
                        const char *data, const char *labels, nnt_task task,
                        int target_optional, nnt_dataset **out)
{
    nnt_dataset *ds = NULL, *builtin_test = NULL;
    cli_data_opts d = {data, labels, nnt_model_target_name(m), task, target_optional,
                       nnt_model_schema(m)};
    *out = NULL;
    if (cli_load_data(cmd, &d, &ds, &builtin_test) != EXIT_OK) return EXIT_RUNTIME;
    if (builtin_test) { /* run on the built-in's test part */
        nnt_dataset_free(ds);
        ds = builtin_test;
    }
    int inputs = nnt_model_get_options(m)->inputs;
    if (nnt_dataset_features(ds) != (size_t)inputs) {
        cli_error(cmd, "'%s' has %zu feature columns but model '%s' expects %d", data,
                  nnt_dataset_features(ds), model_path, inputs);
        nnt_dataset_free(ds);
        return EXIT_RUNTIME;
    }
    *out = ds;
    return EXIT_OK;
}

int cli_data_option(const char *cmd, int code, const char *arg)
{
    switch (code) {
    case CLI_O_IGNORE: {
        free(g_csv.ignore_buf);
        g_csv.ignore_buf = strdup(arg);
        g_csv.n_ignore = 0;
        if (!g_csv.ignore_buf) {
            cli_error(cmd, "out of memory");
            return -1;
        }
        for (char *p = g_csv.ignore_buf;;) {
            char *comma = strchr(p, ',');
            if (comma) *comma = '\0';
            if (!*p) {
                cli_usage_error(cmd, "--ignore: empty column name in '%s'", arg);
                return -1;
            }
            if (g_csv.n_ignore == MAX_IGNORE) {
                cli_usage_error(cmd, "--ignore: at most %d columns", MAX_IGNORE);
                return -1;
            }
            g_csv.ignore[g_csv.n_ignore++] = p;
            if (!comma) break;
            p = comma + 1;
        }
        return 0;
    }
    case CLI_O_DELIMITER:
        if (!strcmp(arg, "tab") || !strcmp(arg, "\\t")) g_csv.delimiter = '\t';
        else if (!strcmp(arg, "semicolon")) g_csv.delimiter = ';';
        else if (!strcmp(arg, "comma")) g_csv.delimiter = ',';
        else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r')
            g_csv.delimiter = arg[0];
        else {
            cli_usage_error(cmd, "--delimiter: expected one character (or 'tab'), got '%s'", arg);
            return -1;
        }
        return 0;
    case CLI_O_MISSING:
        if (!strcmp(arg, "error")) g_csv.missing = NNT_MISSING_ERROR;
        else if (!strcmp(arg, "drop")) g_csv.missing = NNT_MISSING_DROP;
        else if (!strcmp(arg, "mean")) g_csv.missing = NNT_MISSING_MEAN;
        else if (!strcmp(arg, "median")) g_csv.missing = NNT_MISSING_MEDIAN;
        else {
            cli_usage_error(cmd, "--missing: unknown policy '%s' (expected error, drop, mean or "
                            "median)", arg);
            return -1;
        }
        return 0;
    default:
        cli_usage_error(cmd, "internal: unknown data option %d", code);
        return -1;
    }
}

int cli_data_from_study_file(const char *cmd, const nnt_study_file *sf)
{
    g_csv.delimiter = sf->delimiter;
    g_csv.missing = sf->missing;
    free(g_csv.ignore_buf);
    g_csv.ignore_buf = NULL;
    g_csv.n_ignore = 0;
    if (sf->n_ignore > MAX_IGNORE) {
        cli_usage_error(cmd, "\"ignore\": at most %d columns", MAX_IGNORE);
        return -1;
    }
    /* One buffer of NUL-terminated names, so that the names outlive sf and
     * a later --ignore frees them like its own. */
    size_t len = 1;
    for (int i = 0; i < sf->n_ignore; i++) len += strlen(sf->ignore[i]) + 1;
    if (sf->n_ignore > 0) {
        g_csv.ignore_buf = malloc(len);
        if (!g_csv.ignore_buf) {
            cli_error(cmd, "out of memory");
            return -1;
        }
        char *p = g_csv.ignore_buf;
        for (int i = 0; i < sf->n_ignore; i++) {
            size_t n = strlen(sf->ignore[i]) + 1;
            memcpy(p, sf->ignore[i], n);
            g_csv.ignore[g_csv.n_ignore++] = p;
            p += n;
        }
    }
    return 0;
}

nnt_csv_options cli_csv_options(void)
{
    nnt_csv_options o = nnt_csv_options_default();
    o.delimiter = g_csv.delimiter;
    o.ignore = g_csv.ignore;
    o.n_ignore = g_csv.n_ignore;
    o.missing = g_csv.missing;
    return o;
}

/* ---- Task line ------------------------------------------------------------ */

static const char *task_word(nnt_task t)
{
    switch (t) {
    case NNT_TASK_CLASSIFY: return "classification";
    case NNT_TASK_BINARY: return "binary classification";
    case NNT_TASK_REGRESS: return "regression";
    case NNT_TASK_AUTOENCODE: return "autoencoder";
    default: return "none";
    }
}

static void task_reason(char *buf, size_t n, const nnt_dataset *ds, nnt_task task,
                        const char *model_path)
{
    const nnt_csv_info *in = nnt_dataset_csv_info(ds);
    const char *tn = nnt_dataset_target_name(ds);
    if (model_path) {
        snprintf(buf, n, "the task of model '%s'", model_path);
        return;
    }
    if (task == NNT_TASK_AUTOENCODE && !nnt_dataset_has_target(ds)) {
        snprintf(buf, n, "the data has no target");
        return;
    }
    if (!in) {
        snprintf(buf, n, "%s", nnt_dataset_num_classes(ds) > 0 ? "the data has class labels"
                                                              : "the data has numeric targets");
        return;
    }
    if (in->task_forced) {
        snprintf(buf, n, "--task %s", task == NNT_TASK_REGRESS ? "regression"
                                      : task == NNT_TASK_BINARY ? "binary" : "classification");
        return;
    }
    if (in->target_text)
        snprintf(buf, n, "target '%s' has text values", tn);
    else if (!in->target_integral)
        snprintf(buf, n, "target '%s' is numeric with non-integral values", tn);
    else if (task == NNT_TASK_REGRESS && in->target_distinct > (size_t)in->max_classes)
        snprintf(buf, n, "target '%s' is numeric with %zu distinct values, more than the %d that "
                 "make classes; use --task classification to override", tn, in->target_distinct,
                 in->max_classes);
    else if (task == NNT_TASK_REGRESS)
        snprintf(buf, n, "target '%s' is numeric with %zu distinct values for %zu rows, too few "
                 "rows a value for classes; use --task classification to override", tn,
                 in->target_distinct, nnt_dataset_rows(ds));
    else
        snprintf(buf, n, "target '%s' has %zu distinct integral values; use --task regression to "
                 "override", tn, in->target_distinct);
}

void cli_print_task_line(FILE *f, const char *data_path, const nnt_dataset *ds, nnt_task task,
                         const char *model_path)
{
    (void)data_path;
    char reason[512];
    task_reason(reason, sizeof reason, ds, task, model_path);
    fprintf(f, "task: %s (%s); %zu rows, %zu features", task_word(task), reason,
            nnt_dataset_rows(ds), nnt_dataset_features(ds));
    const nnt_csv_info *in = nnt_dataset_csv_info(ds);
    if (in && in->categorical)
    {
        if (in->columns_used == 1)
            fprintf(f, " (from 1 column, categorical)");
        else
            fprintf(f, " (from %zu columns, %zu of them categorical)", in->columns_used,
                    in->categorical);
    }
    int k = nnt_dataset_num_classes(ds);
    if (k > 0 && task != NNT_TASK_REGRESS) {
        fprintf(f, ", %d classes", k);
    } else if (nnt_dataset_targets(ds)) {
        const float *t = nnt_dataset_targets(ds);
        float lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < nnt_dataset_rows(ds); i++) {
            if (t[i] < lo) lo = t[i];
            if (t[i] > hi) hi = t[i];
        }
        fprintf(f, ", target range %.6g to %.6g", (double)lo, (double)hi);
    }
    if (in && in->rows_dropped)
        fprintf(f, ", %zu rows with missing values dropped", in->rows_dropped);
    else if (in && in->missing_filled)
        fprintf(f, ", %zu missing values filled", in->missing_filled);
    fputc('\n', f);
}

void cli_warn_many_classes(const char *cmd, const char *data_path, const nnt_dataset *ds,
                           nnt_task task)
{
    int k = nnt_dataset_num_classes(ds);
    size_t rows = nnt_dataset_rows(ds);
    if (task == NNT_TASK_REGRESS || k <= 20 || (double)rows >= 5.0 * k) return;
    const nnt_csv_info *in = nnt_dataset_csv_info(ds);
    int numeric = in && !in->target_text;
    cli_warn(cmd, "%s: %d classes for %zu rows (%.1f rows a class on average): few rows to learn "
             "each class from%s", data_path, k, rows, (double)rows / k,
             numeric ? "; if the target is a quantity, use --task regression" : "");
}

/* ---- Columns that look like row IDs ---------------------------------------- */

/* "id", "ID", "Id", "index", "idx", "row", "rowid", "row_id", "Unnamed: 0",
 * and names ending in an ID word: "customer_id", "customer id",
 * "PassengerId", "customerID". */
static int id_like_name(const char *name)
{
    static const char *const whole[] = {"id", "index", "idx", "row", "rowid", "row_id", "row id",
                                        "row_number", "rownum", "no", "#", "unnamed: 0"};
    size_t n = strlen(name);
    char low[64];
    if (n == 0 || n >= sizeof low) return 0;
    for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)name[i]);
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        if (!strcmp(low, whole[i])) return 1;
    if (n > 3 && !strcmp(low + n - 2, "id")) {
        char sep = name[n - 3];
        if (sep == '_' || sep == ' ' || sep == '-' || sep == '.') return 1;
        /* camelCase: PassengerId, customerID (not "paid", "valid") */
        if (name[n - 2] == 'I' && islower((unsigned char)sep)) return 1;
    }
    return 0;
}

/* name as one shell word for a suggested --ignore (single-quoted unless it
 * holds only safe characters); NULL when out of memory. */
static char *shell_word(const char *s)
{
    size_t n = strlen(s), quotes = 0;
    int safe = n > 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || strchr("_-.,:/+=@%", c) || c >= 0x80)) safe = 0;
        quotes += c == '\'';
    }
    char *w = malloc(n + 3 * quotes + 3), *p = w;
    if (!w || safe) return w ? memcpy(w, s, n + 1) : NULL;
    *p++ = '\'';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = s[i];
        }
    }
    memcpy(p, "'", 2);
    return w;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

void cli_warn_id_columns(const char *cmd, const char *data_path, const nnt_dataset *ds)
{
    const nnt_schema *sch = nnt_dataset_schema(ds);
    size_t rows = nnt_dataset_rows(ds), nf = nnt_dataset_features(ds);
    const float *x = nnt_dataset_x(ds);
    if (!sch || !x || rows < 10) return;
    float *v = malloc(rows * sizeof *v);
    if (!v) return; /* only a warning */
    size_t j = 0; /* the column's first feature */
    for (size_t c = 0; c < sch->n_columns && j < nf; c++) {
        const nnt_column *col = &sch->columns[c];
        size_t width = col->categorical ? col->n_categories : 1;
        const char *fname = nnt_dataset_feature_name(ds, j);
        if (col->categorical || !fname || strcmp(fname, col->name)) {
            j += width;
            continue;
        }
        int whole = 1;
        for (size_t i = 0; i < rows && whole; i++) {
            v[i] = x[i * nf + j];
            whole = isfinite(v[i]) && v[i] == floorf(v[i]);
        }
        j += width;
        if (!whole) continue;
        qsort(v, rows, sizeof *v, cmp_float);
        int distinct = 1;
        for (size_t i = 1; i < rows && distinct; i++) distinct = v[i] != v[i - 1];
        if (!distinct) continue;
        /* Row numbers of a table, or of a sample of it, are packed densely. */
        int dense = rows >= 20 && (double)v[rows - 1] - (double)v[0] + 1 <= 2.0 * (double)rows;
        if (!id_like_name(col->name) && !dense) continue;
        char *word = shell_word(col->name);
        cli_warn(cmd, "%s: column '%s' looks like a row ID (a different whole number in each of "
                 "the %zu rows): a model learns nothing general from it, and it leaks the labels "
                 "where rows are ordered by class; if it is an ID, drop it with --ignore %s",
                 data_path, col->name, rows, word ? word : col->name);
        free(word);
    }
    free(v);
}

void cli_warn_small_validation(const char *cmd, size_t n_valid, int classification)
{
    if (n_valid == 0 || n_valid >= 20) return;
    char acc[80] = "";
    if (classification)
        snprintf(acc, sizeof acc, " (one row moves the validation accuracy by %.0f points)",
                 100.0 / (double)n_valid);
    cli_warn(cmd, "only %zu validation row%s: the epoch early stopping keeps is mostly chance at "
             "this size%s; on small data 'nntune tune' scores by 5-fold cross-validation and "
             "refits on every row, or give validation more rows (--valid-fraction)", n_valid,
             n_valid == 1 ? "" : "s", acc);
}

void cli_warn_prediction_input(const char *cmd, const char *data_path, const nnt_dataset *ds)
{
    const nnt_csv_info *in = nnt_dataset_csv_info(ds);
    if (!in) return;
    if (in->unseen)
        cli_warn(cmd, "%s: %zu categorical value%s in %zu row%s not seen in training (encoded as "
                 "all zeros)", data_path, in->unseen, in->unseen == 1 ? "" : "s", in->unseen_rows,
                 in->unseen_rows == 1 ? "" : "s");
    if (in->missing_filled)
        cli_warn(cmd, "%s: %zu missing value%s filled with the model's fill values", data_path,
                 in->missing_filled, in->missing_filled == 1 ? "" : "s");
}
