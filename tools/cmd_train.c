/* nntune train: train one network on a data set and save it. The options
 * are read in train_args.c; progress and the report are in train_view.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "train_cli.h"

#define CMD TRAIN_CMD

static int is_classification(nnt_task t) { return t == NNT_TASK_CLASSIFY || t == NNT_TASK_BINARY; }

/* Loads a validation or test set like the training set and puts its classes
 * in the training set's order. */
static int load_aux(const char *what, const char *path, const char *labels, const train_args *a,
                    nnt_task task, const nnt_dataset *train, nnt_dataset **out)
{
    /* The training set's target by name: in a file with its columns in
     * another order, the last column is not the target. */
    const char *target = a->target ? a->target : nnt_dataset_target_name(train);
    cli_data_opts d = {path, labels, target, task, 0, nnt_dataset_schema(train)};
    int rc = cli_load_data(CMD, &d, out, NULL);
    if (rc != EXIT_OK) return rc;
    cli_warn_prediction_input(CMD, path, *out); /* unseen categories, filled values */
    if (nnt_dataset_features(*out) != nnt_dataset_features(train)) {
        cli_error(CMD, "%s set '%s' has %zu features but the training set has %zu", what, path,
                  nnt_dataset_features(*out), nnt_dataset_features(train));
        goto fail;
    }
    if (is_classification(task)) {
        int k = nnt_dataset_num_classes(train);
        const char **names = malloc(sizeof *names * (size_t)(k > 0 ? k : 1));
        if (!names) {
            cli_error(CMD, "out of memory");
            goto fail;
        }
        for (int c = 0; c < k; c++) names[c] = nnt_dataset_class_name(train, c);
        char label[64];
        snprintf(label, sizeof label, "%s set", what);
        rc = cli_remap_classes(CMD, label, *out, names, k);
        free(names);
        if (rc != EXIT_OK) goto fail;
    }
    return EXIT_OK;
fail:
    nnt_dataset_free(*out);
    *out = NULL;
    return EXIT_RUNTIME;
}

/* ---- Command --------------------------------------------------------------- */

/* The training set, then the validation and test sets read like it; *task
 * is the task resolved from the data. Returns EXIT_OK or EXIT_RUNTIME
 * (message printed); what was loaded is the caller's to free either way. */
static int load_sets(const train_args *a, int mode, nnt_task *task, nnt_dataset **train,
                     nnt_dataset **valid, nnt_dataset **test, nnt_dataset **builtin_test)
{
    if (mode == SHOW_LIVE) {
        char line[256];
        snprintf(line, sizeof line, "loading %s ...", a->data);
        cli_line_draw(line);
    }
    cli_data_opts d = {a->data, a->labels, a->target, a->task, 0, NULL};
    int lrc = cli_load_data(CMD, &d, train, builtin_test);
    if (mode == SHOW_LIVE) cli_line_clear();
    if (lrc != EXIT_OK) return EXIT_RUNTIME;
    if (nnt_dataset_rows(*train) == 0) {
        cli_error(CMD, "'%s' has no rows", a->data);
        return EXIT_RUNTIME;
    }
    /* The trainer resolves AUTO the same way; the CLI needs the answer first
     * to read the validation and test sets alike. */
    *task = a->task != NNT_TASK_AUTO          ? a->task
          : !nnt_dataset_has_target(*train) ? NNT_TASK_AUTOENCODE
                                            : nnt_dataset_task(*train);
    if (is_classification(*task) && !nnt_dataset_has_target(*train)) {
        cli_error(CMD, "'%s' has no labels to learn", a->data);
        return EXIT_RUNTIME;
    }
    if (mode == SHOW_LIVE || mode == SHOW_LINES) {
        cli_print_task_line(stdout, a->data, *train, *task, NULL);
        fflush(stdout);
    }
    cli_warn_many_classes(CMD, a->data, *train, *task);
    cli_warn_id_columns(CMD, a->data, *train);

    if (a->valid) {
        if (load_aux("validation", a->valid, a->valid_labels, a, *task, *train, valid) != EXIT_OK)
            return EXIT_RUNTIME;
    }
    if (a->test) {
        if (load_aux("test", a->test, a->test_labels, a, *task, *train, test) != EXIT_OK)
            return EXIT_RUNTIME;
        nnt_dataset_free(*builtin_test);
        *builtin_test = NULL;
    } else if (*builtin_test) {
        *test = *builtin_test;
        *builtin_test = NULL;
    }
    return EXIT_OK;
}

/* Training ended without a model worth saving (diverged, or stopped before
 * an epoch completed): says so. Returns the exit status. */
static int report_no_model(const train_args *a, int status, const nnt_train_result *res)
{
    char stext[128];
    train_status_text(stext, sizeof stext, status, res, a->topt.max_epochs);
    if (a->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "event", json_object_new_string("done"));
        json_object_object_add(o, "status",
                               json_object_new_string(train_status_key(status, res, a->topt.max_epochs)));
        json_object_object_add(o, "epochs_run", json_object_new_int(res->epochs_run));
        cli_json_emit(o);
    }
    if (status == NNT_DIVERGED)
        cli_error(CMD, "training %s (the loss became non-finite); no model written. "
                  "Try a smaller --lr or scaling the inputs.", stext);
    else
        cli_error(CMD, "training stopped (%s) before an epoch completed; no model written",
                  train_status_key(status, res, a->topt.max_epochs));
    return cli_interrupted() ? cli_interrupt_exit() : EXIT_RUNTIME;
}

int cmd_train(int argc, char **argv)
{
    train_args a;
    int rc = train_parse_args(argc, argv, &a);
    if (rc >= 0) return rc;

    nnt_dataset *train = NULL, *valid = NULL, *test = NULL, *builtin_test = NULL;
    nnt_split split = {0};
    nnt_model *model = NULL;
    nnt_train_result res;
    memset(&res, 0, sizeof res);
    nnt_eval test_eval;
    memset(&test_eval, 0, sizeof test_eval);
    int have_test_eval = 0;
    nnt_error err;
    nnt_error_clear(&err);
    rc = EXIT_RUNTIME;

    train_progress pst = {0};
    pst.mode = a.json ? SHOW_JSON : a.quiet ? SHOW_QUIET : cli_isatty(stderr) ? SHOW_LIVE : SHOW_LINES;
    nnt_task task = NNT_TASK_AUTO;
    if (load_sets(&a, pst.mode, &task, &train, &valid, &test, &builtin_test) != EXIT_OK) goto out;

    int rcs;
    if (!a.valid && a.valid_fraction > 0) {
        rcs = nnt_split_holdout(train, a.valid_fraction, nnt_seed_derive(a.topt.seed, 0x5b117),
                                is_classification(task), &split, &err);
    } else {
        rcs = nnt_split_all(train, &split, &err);
    }
    if (rcs < 0) {
        cli_lib_error(CMD, rcs, &err);
        goto out;
    }
    nnt_train_data td = {0};
    td.train = train;
    td.train_rows = split.train;
    td.n_train = split.n_train;
    if (valid) {
        td.valid = valid;
        td.n_valid = nnt_dataset_rows(valid);
    } else if (split.n_valid > 0) {
        td.valid = train;
        td.valid_rows = split.valid;
        td.n_valid = split.n_valid;
    }

    if (a.topt.early_stopping) cli_warn_small_validation(CMD, td.n_valid, is_classification(task));
    a.mopt.loss = NNT_LOSS_AUTO; /* the trainer picks the loss that fits the task and scaling */
    a.topt.task = task;
    a.topt.progress = train_on_progress;
    a.topt.userdata = &pst;
    a.topt.report_batches = pst.mode == SHOW_LIVE;
    cli_catch_interrupt();

    int status = nnt_train(&td, &a.mopt, &a.topt, &model, &res, &err);
    if (pst.mode == SHOW_LIVE) cli_line_clear();
    if (status < 0) {
        cli_lib_error(CMD, status, &err);
        goto out;
    }
    if (status == NNT_DIVERGED || !model) {
        rc = report_no_model(&a, status, &res);
        goto out;
    }

    if (test) {
        int rce = nnt_model_evaluate(model, test, NULL, nnt_dataset_rows(test), &test_eval, &err);
        if (rce < 0) {
            cli_lib_error(CMD, rce, &err);
            goto out;
        }
        have_test_eval = 1;
    }
    int rcw = nnt_model_save(model, a.out, &err);
    if (rcw < 0) {
        cli_lib_error(CMD, rcw, &err);
        goto out;
    }

    train_outcome outcome = {status, task, td.n_valid > 0, &res, have_test_eval ? &test_eval : NULL};
    train_print_done(&a, &outcome);
    /* Interrupted (SIGINT/SIGTERM): the best weights so far are saved, as
     * promised in --help, and the exit status says which signal stopped it. */
    rc = status == NNT_PRUNED ? (cli_interrupted() ? cli_interrupt_exit() : EXIT_RUNTIME) : EXIT_OK;
    if (status == NNT_PRUNED)
        cli_error(CMD, "interrupted by %s; best weights so far saved to %s", cli_interrupt_name(), a.out);

out:
    nnt_eval_free(&test_eval);
    nnt_train_result_free(&res);
    nnt_model_free(model);
    nnt_split_free(&split);
    nnt_dataset_free(test);
    nnt_dataset_free(builtin_test);
    nnt_dataset_free(valid);
    nnt_dataset_free(train);
    return rc;
}
