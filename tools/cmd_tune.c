/* nntune tune: run (or resume) a hyperparameter study. This file is the
 * command itself: the space, the study options, the data, the run. Its
 * settings are read in tune_args.c, the run is shown by tune_view.c and
 * summed up by tune_summary.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "study_common.h"
#include "tune_cli.h"
#include "tune_mpi.h"

#define CMD TUNE_CMD

/* The stored definition of a study already in the storage (malloc'd JSON
 * text; NULL: none). */
static char *read_definition(const char *storage_path, const char *study)
{
    if (access(storage_path, F_OK) != 0) return NULL;
    nnt_storage *st = NULL;
    nnt_error err;
    if (nnt_storage_open_sqlite(storage_path, NNT_STORAGE_READONLY, &st, &err) < 0)
        return NULL; /* the real open reports it */
    nnt_study_record rec;
    char *text = NULL;
    if (nnt_storage_find_study(st, study, &rec, &err) == NNT_OK) {
        text = rec.definition ? strdup(rec.definition) : NULL;
        nnt_study_record_free(&rec);
    }
    nnt_storage_close(st);
    return text;
}

/* The stored definition of a study already in the storage, read through the
 * library (nnt_study_definition_parse): its settings are the resume
 * defaults (nnt_study_options_inherit) and its space is kept when the
 * command gives none. found = 0 when there is no such study. Under MPI,
 * rank 0 reads it and the workers get its text. */
static int read_stored(tune_mpi *m, const char *storage_path, const char *study,
                       nnt_study_definition *out)
{
    memset(out, 0, sizeof *out);
    char *text = !m->on || m->rank == 0 ? read_definition(storage_path, study) : NULL;
    if (tune_mpi_share_text(m, &text) != EXIT_OK) {
        free(text);
        return 0;
    }
    nnt_error err;
    int found = text && nnt_study_definition_parse(text, out, &err) == NNT_OK && out->sampler;
    if (!found) nnt_study_definition_free(out);
    free(text);
    return found;
}

static char *default_model_path(const char *storage, const char *study)
{
    size_t ls = strlen(storage);
    const char *exts[] = {".db", ".sqlite", ".sqlite3"};
    for (size_t i = 0; i < 3; i++) {
        size_t le = strlen(exts[i]);
        if (ls > le && !strcmp(storage + ls - le, exts[i])) {
            ls -= le;
            break;
        }
    }
    size_t n = ls + strlen(study) + 32;
    char *p = malloc(n);
    if (!p) return NULL;
    int k = snprintf(p, n, "%.*s.", (int)ls, storage);
    /* The study name goes into a file name: keep it to safe characters, and
     * short (a file name has at most 255 bytes): a long name is cut and a
     * hash of the whole name keeps different studies apart. */
    const size_t max_name = 80;
    size_t i = 0;
    for (const char *c = study; *c && i < max_name; c++, i++)
        p[k++] = (isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.') ? *c : '_';
    if (strlen(study) > max_name) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const char *c = study; *c; c++) h = (h ^ (unsigned char)*c) * 16777619u;
        k += snprintf(p + k, n - (size_t)k, "-%08x", (unsigned)h);
    }
    snprintf(p + k, n - (size_t)k, ".best.nnt");
    return p;
}

/* The search space: the study file's, else the --param options alone, else
 * (on resume) the stored one, else the default (*default_space = 1: it is
 * replaced by the default for the data's size once the data is loaded);
 * --param options on top. Returns EXIT_OK or EXIT_USAGE (message printed). */
static int build_space(const tune_settings *s, const nnt_study_file *sf, int found,
                       const nnt_study_definition *stored, nnt_space **space,
                       int *default_space)
{
    *default_space = 0;
    nnt_error err;
    nnt_error_clear(&err);
    int r;
    /* Without a space of its own, a resume keeps the stored space, so that a
     * change of the default space never makes an old study unresumable. */
    if (sf->space_json) r = nnt_space_from_json(sf->space_json, space, &err);
    else if (s->n_params > 0) r = (*space = nnt_space_new()) ? NNT_OK : NNT_ERR_NOMEM;
    /* (a user objective's space means nothing to the MLP trainer: the
     * study is refused below, naming its objective) */
    else if (found && stored->space && !stored->objective)
        r = nnt_study_definition_space(stored, space, &err);
    else {
        r = nnt_space_default(space, &err);
        *default_space = 1;
    }
    for (int i = 0; r == NNT_OK && i < s->n_params; i++) {
        char *eq = strchr(s->params[i], '=');
        if (!eq || eq == s->params[i])
            return cli_usage_error(CMD, "--param: expected NAME=SPEC, got '%s'", s->params[i]);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - s->params[i]), s->params[i]);
        r = nnt_space_set_spec(*space, name, eq + 1, &err);
    }
    if (r == NNT_OK) r = nnt_space_validate(*space, &err);
    if (r < 0) {
        cli_lib_error(CMD, r, &err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The study options: what the user typed (study file, then flags), the rest
 * from the stored study on resume, then checked as far as they can be
 * before any data is read. s->sampler is set to the sampler that will run.
 * Returns EXIT_OK or EXIT_USAGE (message printed). */
static int build_options(tune_settings *s, const nnt_study_file *sf, int found,
                         const nnt_study_definition *stored, nnt_study_options *so)
{
    nnt_error err;
    nnt_error_clear(&err);
    int r;
    *so = nnt_study_options_default();
    for (int i = 0; i < sf->n_base; i++) {
        char path[160];
        snprintf(path, sizeof path, "study.options.%s", sf->base_names[i]);
        r = nnt_study_set_base_option(&so->base_model, &so->base_train, sf->base_names[i],
                                      sf->base_values[i], path, &err);
        if (r < 0) {
            cli_lib_error(CMD, r, &err);
            return EXIT_USAGE;
        }
    }
    so->name = s->study;
    so->sampler = s->sampler;
    so->sampler_options = s->sampler_options;
    so->pruner = s->pruner;
    so->pruner_options = s->pruner_options;
    so->n_costs = s->n_costs;
    so->costs_set = s->costs_set;
    for (int k = 0; k < s->n_costs; k++) so->costs[k] = s->costs[k];
    so->deterministic = s->deterministic;
    so->slots = s->slots;
    /* What the command leaves unsaid, a resume takes from the stored study. */
    if (found) nnt_study_options_inherit(so, stored);
    /* --param without a study-file space or a budget means: try them all. */
    if (!so->sampler && s->n_params > 0 && !sf->space_json && !s->trials && !s->time_s)
        so->sampler = "grid";
    so->seed = s->seed_set ? s->seed : 1;
    so->seed_set = s->seed_set;
    so->jobs = s->jobs;
    so->max_trials = s->trials;
    so->max_seconds = s->time_s;
    so->metric = s->metric ? (nnt_metric)nnt_metric_from_name(s->metric) : NNT_METRIC_AUTO;
    so->direction = s->direction ? (!strcmp(s->direction, "maximize") ? 1 : -1) : 0;
    so->cv_folds = s->cv;
    so->valid_fraction = s->valid_fraction;
    so->max_rows = (size_t)s->max_rows;
    so->trial_time_limit_s = s->trial_limit;
    so->force = s->force;
    so->refit = s->refit;
    so->ensemble = s->ensemble;
    if (s->task_set) so->base_train.task = s->task;
    s->sampler = nnt_study_sampler_name(so);
    /* Everything the options can be checked for before any data is read. */
    if ((r = nnt_study_options_check(so, &err)) < 0) {
        sc_study_error(CMD, r, &err);
        fprintf(stderr, "Try 'nntune %s --help' for more information.\n", CMD);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The training data, and the validation and test sets with the training
 * set's schema and classes. With default_space, *space becomes the default
 * for the data's size, and the study file's base options are checked
 * against it. Returns EXIT_OK, or an exit status (message printed). */
static int load_data(const tune_settings *s, const nnt_study_file *sf, int default_space,
                     nnt_space **space, nnt_dataset **train, nnt_dataset **valid,
                     nnt_dataset **test, nnt_dataset **builtin_test)
{
    int rc;
    cli_data_opts dopt = {s->data, s->labels, s->target, s->task_set ? s->task : NNT_TASK_AUTO, 0, NULL};
    if ((rc = cli_load_data(CMD, &dopt, train, builtin_test)) != EXIT_OK) return rc;
    if (!nnt_dataset_has_target(*train)) {
        cli_error(CMD, "%s: no target to tune on", s->data);
        return EXIT_RUNTIME;
    }
    nnt_task shown = s->task_set && s->task != NNT_TASK_AUTO ? s->task : nnt_dataset_task(*train);
    if (!s->json && !s->quiet) cli_print_task_line(stdout, s->data, *train, shown, NULL);
    cli_warn_many_classes(CMD, s->data, *train, shown);
    cli_warn_id_columns(CMD, s->data, *train);
    if (default_space) {
        /* The default space for the data's size; the study file's base
         * options are applied to it here rather than before the data. */
        size_t rows = nnt_dataset_rows(*train);
        if (s->max_rows > 0 && (size_t)s->max_rows < rows) rows = (size_t)s->max_rows;
        nnt_space_free(*space);
        *space = NULL;
        nnt_error err;
        int r = nnt_space_default_for_rows(rows, space, &err);
        if (r < 0) return cli_lib_error(CMD, r, &err);
        if (s->study_path && sc_base_options_vs_space(CMD, s->study_path, *space, 1, sf) < 0)
            return EXIT_USAGE;
    }
    int nc = nnt_dataset_num_classes(*train);
    const char **names = NULL;
    if (nc > 0) {
        names = calloc((size_t)nc, sizeof *names);
        if (!names) {
            cli_error(CMD, "out of memory");
            return EXIT_RUNTIME;
        }
        for (int k = 0; k < nc; k++) names[k] = nnt_dataset_class_name(*train, k);
    }
    /* Validation and test files: the training set's target by name (the
     * last column of a file with its columns in another order is not it). */
    const char *target = s->target ? s->target : nnt_dataset_target_name(*train);
    if (s->valid) {
        cli_data_opts vo = {s->valid, s->valid_labels, target, dopt.task, 0, nnt_dataset_schema(*train)};
        if ((rc = cli_load_data(CMD, &vo, valid, NULL)) == EXIT_OK && nc > 0)
            rc = cli_remap_classes(CMD, s->valid, *valid, names, nc);
    }
    if (rc == EXIT_OK && s->test) {
        cli_data_opts to = {s->test, s->test_labels, target, dopt.task, 0, nnt_dataset_schema(*train)};
        if ((rc = cli_load_data(CMD, &to, test, NULL)) == EXIT_OK && nc > 0)
            rc = cli_remap_classes(CMD, s->test, *test, names, nc);
    } else if (rc == EXIT_OK && *builtin_test) {
        *test = *builtin_test;
        *builtin_test = NULL;
    }
    free(names);
    return rc;
}

int cmd_tune(int argc, char **argv)
{
    tune_settings s;
    nnt_study_file sf;
    int rc = tune_parse_args(argc, argv, &s, &sf);
    if (rc != TUNE_ARGS_GO) return rc;

    nnt_error err;
    nnt_error_clear(&err);
    nnt_space *space = NULL;
    nnt_dataset *train = NULL, *valid = NULL, *test = NULL, *builtin_test = NULL;
    nnt_storage *storage = NULL;
    nnt_study *study = NULL;
    char *model_path = NULL;
    nnt_study_definition stored;
    nnt_study_options so;
    int r, default_space;
    tune_mpi mpi;
    if ((rc = tune_mpi_begin(&mpi, &s)) != EXIT_OK) {
        nnt_study_file_free(&sf);
        return rc;
    }
    int worker = mpi.on && mpi.rank != 0;
    /* Every check of the space and the options before any data or trial. */
    int found = read_stored(&mpi, s.storage, s.study, &stored);
    if ((rc = build_space(&s, &sf, found, &stored, &space, &default_space)) != EXIT_OK) goto sync;
    /* The file's base options against the space (a stored space had them
     * applied when the study was created). */
    int stored_space = !sf.space_json && s.n_params == 0 && found && stored.space && !stored.objective;
    if (s.study_path && !stored_space && !default_space &&
        sc_base_options_vs_space(CMD, s.study_path, space, !sf.space_json && s.n_params == 0, &sf) < 0) {
        rc = EXIT_USAGE;
        goto sync;
    }
    if ((rc = build_options(&s, &sf, found, &stored, &so)) != EXIT_OK) goto sync;
    tune_mpi_slots(&mpi, &s, &so);

    /* The model file is checked before any data is loaded or trained on. */
    model_path = s.model_out ? strdup(s.model_out) : default_model_path(s.storage, s.study);
    if (!model_path) {
        cli_error(CMD, "out of memory");
        rc = EXIT_RUNTIME;
        goto sync;
    }
    if (!worker) rc = cli_check_output(CMD, "--model-out", model_path);
sync: /* under MPI, every rank stops when one does (tools/tune_mpi.c) */
    if (!tune_mpi_agree(&mpi, &rc)) goto done;
    if ((rc = tune_mpi_share_data(&mpi, &s)) != EXIT_OK) goto done;
    rc = load_data(&s, &sf, default_space, &space, &train, &valid, &test, &builtin_test);
    if (!tune_mpi_agree(&mpi, &rc)) goto done;

    /* ---- storage and study (a worker rank's is a scratch file of its own) */
    r = nnt_storage_open_sqlite(worker ? tune_mpi_worker_storage(&mpi) : s.storage, 0, &storage, &err);
    if (r < 0) rc = cli_lib_error(CMD, r, &err);
    so.model_out = model_path;
    tune_view view;
    tune_view_init(&view, s.json ? 3 : s.quiet ? 0 : cli_isatty(stdout) ? 2 : 1, so.costs);
    so.on_event = tune_view_on_event;
    so.userdata = &view;
    nnt_study_data sd = {train, valid, test};
    /* Under MPI rank 0 opens the study first: the workers take its seed and
     * folds (a resume's come from the storage). */
    if (worker && (rc = tune_mpi_setup(&mpi, NULL, &so)) != EXIT_OK) goto agree;
    r = rc == EXIT_OK ? nnt_study_create(&so, space, &sd, storage, &study, &err) : NNT_OK;
    if (r < 0) {
        sc_study_error(CMD, r, &err);
        rc = r == NNT_ERR_ARG ? EXIT_USAGE : EXIT_RUNTIME;
    }
    if (mpi.on && !worker && tune_mpi_setup(&mpi, study, &so) != EXIT_OK && rc == EXIT_OK) rc = EXIT_RUNTIME;
    if (worker && rc == EXIT_OK) rc = tune_mpi_check(&mpi, study);
agree:
    if (!tune_mpi_agree(&mpi, &rc)) goto done;
    view.study = study;
    nnt_study_summary sum;
    nnt_study_get_summary(study, &sum);
    if (view.mode == 1 || view.mode == 2) tune_print_header(&s, &so, &sum, valid != NULL);
    cli_catch_interrupt();
    r = tune_mpi_run(&mpi, &s, study, &err);
    if (worker) {
        if (r < 0) rc = cli_lib_error(CMD, r, &err);
        goto done;
    }
    tune_view_finish(&view);
    nnt_study_get_summary(study, &sum);
    if (r < 0) {
        rc = cli_lib_error(CMD, r, &err);
        goto done;
    }
    if (view.mode == 3) tune_print_summary_json(&s, study, &sum);
    else tune_print_summary_text(&s, storage, &sum, valid != NULL);
    if (cli_interrupted()) {
        /* Every finished trial is in the storage and the running ones are
         * marked interrupted: the same command resumes the study. */
        cli_error(CMD, "stopped by %s; the study is saved in %s: run the same command again to resume it",
                  cli_interrupt_name(), s.storage);
        rc = cli_interrupt_exit();
    } else if (sum.stopped) {
        rc = EXIT_RUNTIME;
    } else if (sum.n_complete == 0) {
        rc = sc_no_complete_trial(CMD, storage, s.study, &sum);
    }

done:
    nnt_study_free(study);
    nnt_storage_close(storage);
    nnt_space_free(space);
    nnt_dataset_free(train);
    nnt_dataset_free(valid);
    nnt_dataset_free(test);
    nnt_dataset_free(builtin_test);
    free(model_path);
    nnt_study_definition_free(&stored);
    nnt_study_file_free(&sf);
    return tune_mpi_end(&mpi, rc);
}

