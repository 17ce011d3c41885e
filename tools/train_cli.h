/* nntune train, shared between its parts: the arguments (train_args.c),
 * the progress display and the closing report (train_view.c); cmd_train.c
 * joins them. Public headers only. */
#ifndef NNTUNE_TOOLS_TRAIN_CLI_H
#define NNTUNE_TOOLS_TRAIN_CLI_H

#include "nntune/nntune.h"

#define TRAIN_CMD "train"

/* ---- arguments (train_args.c) */

typedef struct train_args {
    const char *data, *labels, *target, *valid, *valid_labels, *test, *test_labels, *out;
    nnt_task task;
    double valid_fraction;
    int valid_fraction_set;
    nnt_model_options mopt;
    nnt_train_options topt;
    double dropout[NNT_MAX_HIDDEN];
    int n_dropout;
    int quiet, json;
} train_args;

/* Reads the options into *a (defaults first) and checks them and the
 * output file. Returns -1 to go on, else the exit status (help shown or
 * error printed). */
int train_parse_args(int argc, char **argv, train_args *a);

/* ---- progress and report (train_view.c) */

enum { SHOW_LIVE, SHOW_LINES, SHOW_QUIET, SHOW_JSON };

typedef struct train_progress {
    int mode;
    double epoch_start;  /* elapsed_s at the end of the previous epoch */
    double last_draw;    /* cli_now() of the last live redraw */
    int in_pretraining;
} train_progress;

/* The trainer's progress callback (userdata: a train_progress). */
int train_on_progress(const nnt_progress *p, void *userdata);

/* The stop reason as a JSON key ("ok", "early_stopped", ...) and as text. */
const char *train_status_key(int status, const nnt_train_result *r, int max_epochs);
void train_status_text(char *buf, size_t n, int status, const nnt_train_result *r, int max_epochs);

/* What is reported after a trained model is saved. */
typedef struct train_outcome {
    int status;
    nnt_task task;
    int has_valid;
    const nnt_train_result *res;
    const nnt_eval *test; /* NULL: no test set */
} train_outcome;
void train_print_done(const train_args *a, const train_outcome *o);

#endif
