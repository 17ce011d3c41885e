/* CLI side of reading tables: the data options shared by train, tune,
 * predict and eval (--ignore, --delimiter, --missing), the line that says
 * which task was chosen and why, and the warnings about prediction input.
 * Included by cli_common.h. */
#ifndef NNTUNE_TOOLS_CLI_DATA_H
#define NNTUNE_TOOLS_CLI_DATA_H

#include <stdio.h>

#include "nntune/nntune.h"

/* getopt_long codes of the shared data options; far above every command's
 * own enum. */
enum { CLI_O_IGNORE = 900, CLI_O_DELIMITER, CLI_O_MISSING };
#define CLI_DATA_LONG_OPTS \
    {"ignore", required_argument, NULL, CLI_O_IGNORE}, \
    {"delimiter", required_argument, NULL, CLI_O_DELIMITER}, \
    {"missing", required_argument, NULL, CLI_O_MISSING}
#define CLI_DATA_USAGE \
"      --ignore COL[,COL]   drop these CSV columns (IDs, free text)\n" \
"      --delimiter C        CSV field delimiter: one character, 'tab' or\n" \
"                           'semicolon' (default: ',', ';' or tab, detected\n" \
"                           from the header)\n" \
"      --missing P          missing CSV values (empty, NA, NaN, ?): error\n" \
"                           (default), drop (the rows), mean or median (fill;\n" \
"                           the values are stored in the model and fill\n" \
"                           missing values at prediction too)\n"

/* The same, laid out like tune's help. */
#define CLI_DATA_USAGE_TUNE \
"  --ignore COL[,COL]         drop these CSV columns (IDs, free text)\n" \
"  --delimiter C              CSV delimiter: one character or 'tab' (default:\n" \
"                             ',', ';' or tab, detected from the header)\n" \
"  --missing P                missing CSV values: error (default), drop, mean or\n" \
"                             median (fills stored in the model)\n"

/* Parses one of the shared data options into the process-wide CSV settings
 * that cli_load_data applies. Returns 0, or -1 after a usage error. */
int cli_data_option(const char *cmd, int code, const char *arg);

/* The default branch of the option switch of the commands that read data
 * with a saved model (predict, eval): --delimiter applies; --ignore and
 * --missing are refused, the model's schema deciding its columns and fill
 * values; any other code is getopt's error (cli_getopt_error with opts).
 * Returns EXIT_OK when the option was taken, else EXIT_USAGE after the
 * message. */
struct option;
int cli_model_data_option(const char *cmd, int code, const char *arg, char **argv,
                          const struct option *opts);

/* After the options of a command that runs a saved model (predict, eval):
 * no operands, and --model and --data given. Returns EXIT_OK, or EXIT_USAGE
 * after a usage error. */
int cli_model_data_required(const char *cmd, int argc, char **argv, const char *model,
                            const char *data);

/* Loads data to run saved model m (read from model_path) on: through the
 * model's schema and target column, as the given task (target_optional: the
 * target may be absent), the test part of a built-in set, and the feature
 * count checked against the model's inputs. Returns EXIT_OK, or
 * EXIT_RUNTIME with the message printed and *out NULL. */
int cli_load_model_data(const char *cmd, const nnt_model *m, const char *model_path,
                        const char *data, const char *labels, nnt_task task,
                        int target_optional, nnt_dataset **out);

/* Takes the study file's "ignore", "delimiter" and "missing" as the starting
 * values of the shared data options (the flags, read after, override them).
 * Returns 0, or -1 after an error message. */
int cli_data_from_study_file(const char *cmd, const nnt_study_file *sf);

/* The CSV options cli_load_data uses (defaults plus the shared options). */
nnt_csv_options cli_csv_options(void);

/* "task: regression (target 'y' is numeric with 214 distinct values; use
 * --task classification to override); 442 rows, 10 features, target 25 to
 * 346" on f. task is the task in use; model_path names the model the task
 * came from (eval), else NULL. */
void cli_print_task_line(FILE *f, const char *data_path, const nnt_dataset *ds, nnt_task task,
                         const char *model_path);
/* Warns when a forced classification has very many classes for its rows
 * (more than 20 classes and fewer than 5 rows a class on average). */
void cli_warn_many_classes(const char *cmd, const char *data_path, const nnt_dataset *ds,
                           nnt_task task);
/* Warns about each numeric feature column of training data that looks like
 * a row ID: a different whole number in every row, and a name like "id",
 * "Id", "customer_id", "index" or "row", or values packed densely (like row
 * numbers). Such a column teaches a model nothing general, and where rows
 * are ordered by class (many public tables are) it leaks the labels. */
void cli_warn_id_columns(const char *cmd, const char *data_path, const nnt_dataset *ds);
/* Warns when early stopping picks the best epoch on fewer than 20
 * validation rows (train): one row then moves accuracy by several points,
 * so the kept epoch is mostly chance. */
void cli_warn_small_validation(const char *cmd, size_t n_valid, int classification);
/* Warnings about prediction input read through a model's schema: unseen
 * categories (encoded as all zeros) and filled missing values. */
void cli_warn_prediction_input(const char *cmd, const char *data_path, const nnt_dataset *ds);

#endif
