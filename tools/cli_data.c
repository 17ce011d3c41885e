/* CLI side of reading tables: shared data options, the task line and
 * prediction-input warnings (see cli_data.h). */
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
        fprintf(f, " (from %zu columns, %zu of them categorical)", in->columns_used,
                in->categorical);
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
