/* Helpers shared by the nntune subcommands: messages and exit codes, option
 * value parsing, data loading, terminal progress lines, JSON output and atomic
 * output files. Uses public headers only, like the rest of tools/. */
#ifndef NNTUNE_TOOLS_CLI_COMMON_H
#define NNTUNE_TOOLS_CLI_COMMON_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cli_data.h"
#include "commands.h"
#include "nntune/nntune.h"

/* ---- Messages ----------------------------------------------------------- */
/* "nntune CMD: message" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "nntune CMD: warning: message" on stderr. */
void cli_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the message and a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a library failure (err's message, else nnt_strerror(code)); returns
 * EXIT_RUNTIME. */
int cli_lib_error(const char *cmd, int code, const nnt_error *err);

/* The single operand NAME after the options (from getopt's optind): sets *out
 * and returns EXIT_OK, or prints the usage error (missing or extra operand)
 * and returns EXIT_USAGE. */
int cli_one_operand(const char *cmd, int argc, char **argv, const char *name, const char **out);

/* ---- getopt_long -------------------------------------------------------- */
/* Reports what getopt_long's ':' or '?' return meant (unknown option, missing
 * value) as a usage error; an unknown long option gets the closest one of
 * opts suggested ("did you mean --batch?"). Returns EXIT_USAGE. Use with an optstring that
 * starts with ':' and opterr = 0. */
int cli_getopt_error(const char *cmd, int c, char **argv, const struct option *opts);
/* The long option of opts (without "--") closest to word ("--bacth=4" ->
 * "batch") by edit distance, or NULL when none is close enough to be a typo. */
const char *cli_closest_option(const char *word, const struct option *opts);
/* Fails with a usage error if arguments are left after the options. Returns
 * EXIT_OK or EXIT_USAGE. */
int cli_no_operands(const char *cmd, int argc, char **argv);

/* ---- Option values -------------------------------------------------------
 * Each parser prints a usage error naming the option and returns -1 on bad
 * input, 0 on success. */
int cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, int *out);
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);
int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out);
/* Comma-separated list: "128,64". An empty string or "0" is an empty list
 * (*n = 0). Values must lie in [lo, hi]; at most max of them. */
int cli_parse_int_list(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out,
                       int max, int *n);
/* Comma-separated doubles in [lo, hi_excl), at least one, at most max. */
int cli_parse_double_list(const char *cmd, const char *opt, const char *s, double lo,
                          double hi_excl, double *out, int max, int *n);
/* "auto", "classify", "binary", "regress", "autoencode"; also
 * "classification" and "regression". */
int cli_parse_task(const char *cmd, const char *opt, const char *s, nnt_task *out);
const char *cli_task_name(nnt_task t);

/* ---- Data --------------------------------------------------------------- */
typedef struct cli_data_opts {
    const char *path;    /* file, or a built-in name ("fashion-mnist") */
    const char *labels;  /* IDX label file; implies IDX input */
    const char *target;  /* CSV target column; NULL: the last column */
    nnt_task task;       /* how to read the CSV target */
    int target_optional; /* prediction input: the target column may be absent */
    const nnt_schema *schema; /* read a CSV through this schema (a model's, or
                                 the training set's for validation/test) */
} cli_data_opts;

/* 1 if name is a built-in data set rather than a file. */
int cli_is_builtin(const char *name);
/* Loads a data set: a built-in name (*out gets its training part and
 * *builtin_test, when not NULL, its test part), an IDX file (labels given or
 * "idx" in the file name) or a CSV file. Prints the error and returns
 * EXIT_RUNTIME on failure, with nothing allocated. */
int cli_load_data(const char *cmd, const cli_data_opts *o, nnt_dataset **out,
                  nnt_dataset **builtin_test);
/* Re-expresses ds's classes in the order of names (n). When that fails
 * because ds's class names are plain numbers (IDX labels) they are taken as
 * indices of names, with a warning. what names the data set in messages.
 * Returns EXIT_OK or EXIT_RUNTIME (message printed). */
int cli_remap_classes(const char *cmd, const char *what, nnt_dataset *ds,
                      const char *const *names, int n);

/* ---- Time and terminal -------------------------------------------------- */
double cli_now(void); /* monotonic seconds */
/* "0.4s", "12.3s", "4m05s", "2h03m". Returns buf. */
char *cli_fmt_duration(double s, char *buf, size_t n);
int cli_isatty(FILE *f);
int cli_term_width(void); /* of stderr; 80 when unknown */
/* Writes a bar like "[=======>      ]" of total width `width` into buf. */
void cli_bar(char *buf, size_t n, double frac, int width);
/* A status line on stderr that is redrawn in place ("\r", cleared to the end)
 * until cli_line_end() finishes it with a newline. Only for terminals. */
void cli_line_draw(const char *text);
void cli_line_end(void);
/* Erases an open status line (so ordinary output can follow). */
void cli_line_clear(void);
/* Metrics as "loss 0.4123  acc 0.8512" (prefix "val_" gives val_loss...):
 * accuracy for classification, rmse and r2 for regression, loss always.
 * Returns buf. */
char *cli_fmt_metrics(char *buf, size_t n, const char *prefix, const nnt_metrics *m);

/* ---- Ctrl-C and SIGTERM ----------------------------------------------------- */
/* The first SIGINT or SIGTERM only sets a flag (the command stops cleanly,
 * saves what it promises and exits 128 + the signal: 130 or 143); a second
 * one kills the process as usual. */
void cli_catch_interrupt(void);
int cli_interrupted(void);
/* 130 after SIGINT, 143 after SIGTERM; EXIT_OK when no signal came. */
int cli_interrupt_exit(void);
/* "SIGINT (Ctrl-C)" or "SIGTERM", for messages. */
const char *cli_interrupt_name(void);

/* ---- JSON --------------------------------------------------------------- */
/* A JSON number, or null when v is not finite (JSON has no NaN). */
json_object *cli_json_num(double v);
/* {"loss":..,"accuracy":..,"rmse":..,"mae":..,"r2":..} with the finite fields only. */
json_object *cli_json_metrics(const nnt_metrics *m);
/* Prints o on one line to stdout, flushes, and releases o. */
void cli_json_emit(json_object *o);
/* Prints o on one line to stdout (o is kept). Like cli_json_emit, invalid
 * UTF-8 in its strings (names and errors may hold any bytes) becomes U+FFFD,
 * so the output is always valid JSON. */
void cli_json_print(json_object *o);
/* s made safe for a terminal line in buf (n bytes): newline and tab as \n
 * and \t, other control characters (which could start escape sequences) as
 * '?', invalid UTF-8 as U+FFFD, cut with "..." when longer than buf. Names
 * and error texts from storage may hold anything. Returns buf. */
const char *cli_shown(const char *s, char *buf, size_t n);
/* Writes s to f with each invalid UTF-8 byte replaced by U+FFFD. */
void cli_put_utf8(FILE *f, const char *s);

/* ---- Output files ------------------------------------------------------- */
/* A text output: stdout (path NULL or "-") or a file written through the
 * library's nnt_file_writer (atomic for regular files, in place for devices
 * and FIFOs, symbolic links followed; see nntune/file.h). */
typedef struct cli_out {
    FILE *f;
    nnt_file_writer *w;
} cli_out;
int cli_out_open(const char *cmd, cli_out *o, const char *path); /* EXIT_OK / EXIT_RUNTIME */
int cli_out_commit(const char *cmd, cli_out *o);                 /* EXIT_OK / EXIT_RUNTIME */
void cli_out_abort(cli_out *o);
/* Checks an output option's path before any work starts (nnt_output_path_check):
 * prints "nntune CMD: OPT: cannot write 'PATH': reason" and returns EXIT_RUNTIME
 * when it cannot be written; EXIT_OK (also for path NULL) otherwise. */
int cli_check_output(const char *cmd, const char *opt, const char *path);
/* Writes s as one CSV field, quoted when it holds a comma, quote, CR or LF. */
void cli_csv_field(FILE *f, const char *s);

#endif
