/* nntune tune: run (or resume) a hyperparameter study. */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "study_common.h"
#include "test_hold.h"

#define CMD "tune"
/* The defaults (tpe, asha; none for a grid) are the library's
 * (NNT_DEFAULT_SAMPLER, NNT_DEFAULT_PRUNER): the command sets only what its
 * user typed. */
#define DEFAULT_SAMPLER NNT_DEFAULT_SAMPLER
#define DEFAULT_PRUNER NNT_DEFAULT_PRUNER
#define MAX_PARAMS 64
#define MAX_WORKERS 256

static void usage(FILE *f)
{
    fprintf(f,
"usage: nntune tune [STUDY.json] [OPTIONS]\n"
"\n"
"Runs a hyperparameter study, or resumes it when the storage already holds a\n"
"study of that name: completed trials are kept, interrupted ones rerun.\n"
"Command-line options override the study file (docs/study-file.md).\n"
"\n"
"Data:\n"
"  --data FILE|fashion-mnist  training data (CSV, IDX, or a built-in set)\n"
"  --labels FILE              IDX label file of --data\n"
"  --target COL               CSV target column (default: the last one)\n"
"  --task T                   auto|classification|binary|regression (default auto)\n"
CLI_DATA_USAGE_TUNE
"  --valid FILE               separate validation set (default: a hold-out of --data)\n"
"  --valid-labels FILE        IDX labels of --valid\n"
"  --valid-fraction F         hold-out fraction (default 0.2, twice train's 0.1:\n"
"                             choosing among many trials on a small hold-out\n"
"                             rewards its noise)\n"
"  --test FILE                test set: the best model is evaluated on it\n"
"  --test-labels FILE         IDX labels of --test\n"
"  --max-rows N               tune on a seeded subsample of N rows of --data\n"
"Search:\n"
"  --param NAME=SPEC          a parameter: VALUE (fixed), A,B,C (choice) or\n"
"                             LOW:HIGH[:log][:step=S][:points=N] (range); repeatable.\n"
"                             Without a study-file space, --param options make the\n"
"                             whole space; with none, the default space is used\n"
"  --sampler S                grid|random|sobol|tpe (default " DEFAULT_SAMPLER "; grid with\n"
"                             --param and no budget; on resume: the stored one)\n"
"  --pruner P                 none|median|asha|hyperband: stop unpromising trials\n"
"                             early (default " DEFAULT_PRUNER ", none for a grid search;\n"
"                             on resume: the stored one)\n"
"  --trials N                 trial budget\n"
"  --time D                   time budget: 90, 90s, 10m, 2h\n"
"  --metric M                 accuracy|loss|rmse|mae|r2 (default accuracy for\n"
"                             classification, rmse for regression)\n"
"  --objective M,C...         multi-objective: the metric, then costs to minimise:\n"
"                             params, infer_time (us/sample), train_time (s);\n"
"                             e.g. accuracy,params. Ends with the Pareto front\n"
"  --cv K                     K-fold cross-validation per trial; 1: a hold-out.\n"
"                             Default: 5 on small data (fewer than 5000 rows\n"
"                             and no --valid), else a hold-out\n"
"  --trial-time-limit D       per-trial wall-clock limit (a trial over it fails)\n"
"  --refit                    at the end, retrain the best configuration on the\n"
"                             training + validation rows for its best epoch count;\n"
"                             that model is saved and tested (the time budget\n"
"                             includes it). Default on small data (see --cv)\n"
"  --no-refit                 keep the best trial's own model\n"
"  --seed S                   study seed (default 1; on resume: the stored one)\n"
"Execution and storage:\n"
"  --jobs J                   parallel trials (default: the number of cores)\n"
"  --storage FILE             SQLite storage (default nntune.db)\n"
"  --study NAME               study name in the storage (default \"default\")\n"
"  --model-out PATH           where the best model is saved (default\n"
"                             <storage stem>.<study>.best.nnt)\n"
"  --force                    resume even if the search settings changed (never\n"
"                             on other data: use a new --study name)\n"
"Output:\n"
"  --quiet                    only the final summary\n"
"  --json                     one JSON object per trial event on stdout\n"
"  -h, --help                 this help\n"
"\n"
"Ctrl-C (SIGINT) or SIGTERM stops the study cleanly: finished trials are kept,\n"
"running ones are recorded as interrupted and rerun when the same command is\n"
"run again.\n"
"\n"
"Exit status: 0 done, 1 runtime or data error or no trial completed, 2 usage or\n"
"study-file error, 130 / 143 stopped by SIGINT / SIGTERM (resumable).\n"
"\n"
"Examples:\n"
"  nntune tune --data data.csv --trials 50 --storage study.db\n"
"  nntune tune --data data.csv --param lr=0.0001:0.1:log --param neurons=64,128,256 \\\n"
"              --trials 30 --jobs 2 --storage study.db --study wide\n"
"  nntune tune study.json --time 10m      (run it again to resume)\n");
}

/* ---- live view --------------------------------------------------------------- */

typedef struct run_view {
    int mode; /* 0 quiet, 1 lines, 2 live (terminal), 3 json */
    int block_lines;  /* lines of the status block now on screen */
    double last_draw;
    struct {
        int number, epoch, max_epochs, fold, n_folds;
        double value;
    } running[MAX_WORKERS];
    nnt_study *study;
    nnt_study_event last; /* study progress of the last event */
    int have_last;
} run_view;

static void clear_block(run_view *v)
{
    if (v->block_lines > 0) {
        fprintf(stdout, "\033[%dA\r\033[J", v->block_lines);
        v->block_lines = 0;
    }
}

static void draw_block(run_view *v, const nnt_study_event *e)
{
    char el[32], left[32], bv[32];
    int w = cli_term_width() - 1;
    char line[512];
    int n = snprintf(line, sizeof line, "trials %d", e->n_done);
    if (e->max_trials > 0) n += snprintf(line + n, sizeof line - n, "/%d", e->max_trials);
    n += snprintf(line + n, sizeof line - n, "  running %d  elapsed %s", e->n_running,
                  cli_fmt_duration(e->elapsed_s, el, sizeof el));
    if (e->max_seconds > 0)
        n += snprintf(line + n, sizeof line - n, "  time left %s",
                      cli_fmt_duration(e->max_seconds - e->elapsed_s, left, sizeof left));
    if (e->best_number >= 0)
        snprintf(line + n, sizeof line - n, "  best #%d %s %s", e->best_number, e->metric,
                 sc_fmt_value(bv, sizeof bv, e->best_value));
    fprintf(stdout, "%.*s\n", w, line);
    int lines = 1;
    for (int i = 0; i < MAX_WORKERS; i++) {
        if (v->running[i].number < 0) continue;
        n = snprintf(line, sizeof line, "  job %d: trial %d", i, v->running[i].number);
        if (v->running[i].n_folds > 1)
            n += snprintf(line + n, sizeof line - n, " fold %d/%d", v->running[i].fold + 1,
                          v->running[i].n_folds);
        if (v->running[i].epoch > 0)
            snprintf(line + n, sizeof line - n, "  epoch %d/%d  val %s %s", v->running[i].epoch,
                     v->running[i].max_epochs, e->metric,
                     sc_fmt_value(bv, sizeof bv, v->running[i].value));
        fprintf(stdout, "%.*s\n", w, line);
        lines++;
    }
    fflush(stdout);
    v->block_lines = lines;
}

/* The costs of the study being run, for trial lines (set once before the run). */
static const nnt_cost *v_costs;

static void print_trial_line(FILE *f, const nnt_study_event *e)
{
    char v[32], s[32], d[32], params[2048];
    fprintf(f, "trial %-4d %-8s ", e->number, nnt_trial_state_name(e->state));
    if (isfinite(e->value)) {
        fprintf(f, "%s %s", e->metric, sc_fmt_value(v, sizeof v, e->value));
        if (isfinite(e->value_spread)) fprintf(f, " (sd %s)", sc_fmt_value(s, sizeof s, e->value_spread));
        for (int k = 1; k < e->n_values && v_costs; k++)
            fprintf(f, "  %s %s", nnt_cost_name(v_costs[k - 1]),
                    sc_fmt_objective(s, sizeof s, nnt_cost_name(v_costs[k - 1]), e->values[k]));
    } else {
        char error[400];
        fprintf(f, "%s", e->error ? cli_shown(e->error, error, sizeof error) : "-");
    }
    fprintf(f, "  %d epochs  %s  %s%s\n", e->epochs, cli_fmt_duration(e->duration, d, sizeof d),
            cli_shown(e->params, params, sizeof params), e->is_best ? "  *best*" : "");
}

static void emit_json(const nnt_study_event *e)
{
    static const char *const kinds[] = {"study_start", "trial_start", "epoch", "trial_end",
                                        "study_end", "refit_start", "refit_end", "refit_epoch"};
    json_object *o = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string(kinds[e->kind]));
    if (e->number >= 0) {
        json_object_object_add(o, "trial", json_object_new_int(e->number));
        json_object_object_add(o, "worker", json_object_new_int(e->worker));
    }
    if (e->kind == NNT_EVENT_TRIAL_START || e->kind == NNT_EVENT_TRIAL_END) {
        json_object *p = e->params ? json_tokener_parse(e->params) : NULL;
        json_object_object_add(o, "params", p);
        if (e->retry_of >= 0) json_object_object_add(o, "retry_of", json_object_new_int(e->retry_of));
    }
    if (e->kind == NNT_EVENT_EPOCH) {
        if (e->n_folds > 1) json_object_object_add(o, "fold", json_object_new_int(e->fold));
        json_object_object_add(o, "epoch", json_object_new_int(e->epoch));
        json_object_object_add(o, e->metric, cli_json_num(e->epoch_value));
    }
    if (e->kind == NNT_EVENT_TRIAL_END) {
        json_object_object_add(o, "state", json_object_new_string(nnt_trial_state_name(e->state)));
        json_object_object_add(o, "value", cli_json_num(e->value));
        if (isfinite(e->value_spread))
            json_object_object_add(o, "value_spread", cli_json_num(e->value_spread));
        json_object_object_add(o, "epochs", json_object_new_int(e->epochs));
        json_object_object_add(o, "duration", cli_json_num(e->duration));
        if (e->error) json_object_object_add(o, "error", json_object_new_string(e->error));
        if (e->n_values > 0) {
            json_object *a = json_object_new_array();
            for (int k = 0; k < e->n_values; k++) json_object_array_add(a, cli_json_num(e->values[k]));
            json_object_object_add(o, "values", a);
        }
        json_object_object_add(o, "is_best", json_object_new_boolean(e->is_best));
    }
    if (e->kind == NNT_EVENT_REFIT_EPOCH) {
        json_object_object_add(o, "epoch", json_object_new_int(e->epoch));
        json_object_object_add(o, "epochs", json_object_new_int(e->max_epochs));
        json_object_object_add(o, "elapsed", cli_json_num(e->duration));
    }
    if (e->kind == NNT_EVENT_REFIT_START || e->kind == NNT_EVENT_REFIT_END) {
        json_object_object_add(o, "epochs", json_object_new_int(e->kind == NNT_EVENT_REFIT_END
                                                                    ? e->epochs
                                                                    : e->max_epochs));
        if (e->kind == NNT_EVENT_REFIT_END) {
            json_object_object_add(o, "duration", cli_json_num(e->duration));
            if (e->error) json_object_object_add(o, "error", json_object_new_string(e->error));
        }
    }
    if (e->kind == NNT_EVENT_STUDY_START || e->kind == NNT_EVENT_TRIAL_END ||
        e->kind == NNT_EVENT_STUDY_END) {
        json_object_object_add(o, "metric", json_object_new_string(e->metric));
        json_object_object_add(o, "done", json_object_new_int(e->n_done));
        if (e->max_trials > 0) json_object_object_add(o, "budget_trials", json_object_new_int(e->max_trials));
        if (e->max_seconds > 0) json_object_object_add(o, "budget_seconds", cli_json_num(e->max_seconds));
        json_object_object_add(o, "elapsed", cli_json_num(e->elapsed_s));
        if (e->best_number >= 0) {
            json_object_object_add(o, "best_trial", json_object_new_int(e->best_number));
            json_object_object_add(o, "best_value", cli_json_num(e->best_value));
        }
    }
    cli_json_emit(o);
}

static void on_event(const nnt_study_event *e, void *ud)
{
    run_view *v = ud;
    /* Ctrl-C: stop cleanly; running trials are recorded as interrupted. */
    if (cli_interrupted()) nnt_study_stop(v->study);
    cli_test_hold(e);
    v->last = *e;
    v->have_last = 1;
    int w = e->worker >= 0 && e->worker < MAX_WORKERS ? e->worker : -1;
    if (w >= 0) {
        if (e->kind == NNT_EVENT_TRIAL_START) {
            v->running[w].number = e->number;
            v->running[w].epoch = 0;
            v->running[w].n_folds = e->n_folds;
            v->running[w].fold = 0;
            v->running[w].value = NAN;
        } else if (e->kind == NNT_EVENT_EPOCH) {
            v->running[w].epoch = e->epoch;
            v->running[w].max_epochs = e->max_epochs;
            v->running[w].fold = e->fold;
            v->running[w].value = e->epoch_value;
        } else if (e->kind == NNT_EVENT_TRIAL_END) {
            v->running[w].number = -1;
        }
    }
    if (e->kind == NNT_EVENT_REFIT_EPOCH && v->mode != 3) {
        /* A line per refit epoch would be noise; the live view shows one. */
        if (v->mode == 2) {
            char d[32];
            clear_block(v);
            printf("  refit: epoch %d/%d  %s\n", e->epoch, e->max_epochs,
                   cli_fmt_duration(e->duration, d, sizeof d));
            v->block_lines = 1;
            fflush(stdout);
        }
        return;
    }
    if ((v->mode == 1 || v->mode == 2) &&
        (e->kind == NNT_EVENT_REFIT_START || e->kind == NNT_EVENT_REFIT_END)) {
        char d[32];
        if (v->mode == 2) clear_block(v);
        if (e->kind == NNT_EVENT_REFIT_START)
            printf("refit: trial %d's configuration on the training + validation rows, %d "
                   "epochs...\n",
                   e->number, e->max_epochs);
        else if (e->error)
            printf("refit: %s\n", e->error);
        else
            printf("refit: done, %d epochs in %s\n", e->epochs,
                   cli_fmt_duration(e->duration, d, sizeof d));
        fflush(stdout);
        return;
    }
    switch (v->mode) {
    case 1:
        if (e->kind == NNT_EVENT_TRIAL_END) {
            print_trial_line(stdout, e);
            fflush(stdout);
        }
        break;
    case 2: {
        double now = cli_now();
        if (e->kind == NNT_EVENT_EPOCH && now - v->last_draw < 0.1) break;
        clear_block(v);
        if (e->kind == NNT_EVENT_TRIAL_END) print_trial_line(stdout, e);
        if (e->kind != NNT_EVENT_STUDY_END) draw_block(v, e);
        v->last_draw = now;
        break;
    }
    case 3:
        emit_json(e);
        break;
    default: break;
    }
}

/* ---- options ------------------------------------------------------------------- */

enum {
    O_DATA = 256, O_LABELS, O_TARGET, O_TASK, O_VALID, O_VALID_LABELS, O_VALID_FRACTION, O_TEST,
    O_TEST_LABELS, O_MAX_ROWS, O_PARAM, O_SAMPLER, O_TRIALS, O_TIME, O_METRIC, O_CV,
    O_TRIAL_LIMIT, O_SEED, O_JOBS, O_STORAGE, O_STUDY, O_MODEL_OUT, O_FORCE, O_QUIET, O_JSON,
    O_PRUNER, O_OBJECTIVE, O_REFIT, O_NO_REFIT
};

static const struct option long_opts[] = {
    {"data", required_argument, NULL, O_DATA},
    {"labels", required_argument, NULL, O_LABELS},
    {"target", required_argument, NULL, O_TARGET},
    {"task", required_argument, NULL, O_TASK},
    {"valid", required_argument, NULL, O_VALID},
    {"valid-labels", required_argument, NULL, O_VALID_LABELS},
    {"valid-fraction", required_argument, NULL, O_VALID_FRACTION},
    {"test", required_argument, NULL, O_TEST},
    {"test-labels", required_argument, NULL, O_TEST_LABELS},
    {"max-rows", required_argument, NULL, O_MAX_ROWS},
    {"param", required_argument, NULL, O_PARAM},
    {"sampler", required_argument, NULL, O_SAMPLER},
    {"pruner", required_argument, NULL, O_PRUNER},
    {"objective", required_argument, NULL, O_OBJECTIVE},
    {"trials", required_argument, NULL, O_TRIALS},
    {"time", required_argument, NULL, O_TIME},
    {"metric", required_argument, NULL, O_METRIC},
    {"cv", required_argument, NULL, O_CV},
    {"trial-time-limit", required_argument, NULL, O_TRIAL_LIMIT},
    {"seed", required_argument, NULL, O_SEED},
    {"jobs", required_argument, NULL, O_JOBS},
    {"storage", required_argument, NULL, O_STORAGE},
    {"study", required_argument, NULL, O_STUDY},
    {"model-out", required_argument, NULL, O_MODEL_OUT},
    {"force", no_argument, NULL, O_FORCE},
    {"refit", no_argument, NULL, O_REFIT},
    {"no-refit", no_argument, NULL, O_NO_REFIT},
    {"quiet", no_argument, NULL, O_QUIET},
    {"json", no_argument, NULL, O_JSON},
    CLI_DATA_LONG_OPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Settings: the study file's, then the flags' on top. */
typedef struct settings {
    const char *data, *labels, *target, *valid, *valid_labels, *test, *test_labels;
    nnt_task task;
    int task_set;
    double valid_fraction;
    long max_rows;
    const char *params[MAX_PARAMS];
    int n_params;
    const char *sampler, *metric, *direction, *storage, *study, *model_out;
    const char *sampler_options, *pruner, *pruner_options;
    int n_costs, costs_set;
    nnt_cost costs[NNT_MAX_OBJECTIVES - 1];
    char metric_buf[32];
    int trials;
    double time_s, trial_limit;
    int cv, jobs, force, quiet, json, refit;
    uint64_t seed;
    int seed_set;
} settings;

/* The stored definition of a study already in the storage, read through the
 * library (nnt_study_definition_parse): its settings are the resume
 * defaults (nnt_study_options_inherit) and its space is kept when the
 * command gives none. found = 0 when there is no such study. */
static int read_stored(const char *storage_path, const char *study, nnt_study_definition *out)
{
    memset(out, 0, sizeof *out);
    if (access(storage_path, F_OK) != 0) return 0;
    nnt_storage st;
    nnt_storage_options so = nnt_storage_options_default();
    so.readonly = 1;
    nnt_error err;
    if (nnt_storage_open(storage_path, &so, &st, &err) < 0) return 0; /* the real open reports it */
    nnt_study_record rec;
    int found = 0;
    if (nnt_storage_find_study(&st, study, &rec, &err) == NNT_OK) {
        found = rec.definition && nnt_study_definition_parse(rec.definition, out, &err) == NNT_OK &&
                out->sampler;
        if (!found) nnt_study_definition_free(out);
        nnt_study_record_free(&rec);
    }
    nnt_storage_close(&st);
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

int cmd_tune(int argc, char **argv)
{
    settings s;
    memset(&s, 0, sizeof s);
    s.cv = NNT_CV_AUTO; /* the library's small-data policy unless told */
    s.refit = NNT_REFIT_AUTO;
    int rc = EXIT_OK;
    const char *study_path = NULL;
    nnt_study_file sf;
    memset(&sf, 0, sizeof sf);

    opterr = 0;
    optind = 1;
    int c;
    /* Flags are read twice: first to find the study file, which the flags then override. */
    struct {
        int c;
        const char *arg;
    } flags[512];
    int n_flags = 0;
    while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return EXIT_OK;
        }
        if (c == ':' || c == '?') return cli_getopt_error(CMD, c, argv, long_opts);
        if (n_flags == (int)(sizeof flags / sizeof flags[0]))
            return cli_usage_error(CMD, "too many options");
        flags[n_flags].c = c;
        flags[n_flags].arg = optarg;
        n_flags++;
    }
    if (optind < argc) study_path = argv[optind++];
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);

    nnt_error err;
    nnt_error_clear(&err);
    if (study_path) {
        int r = nnt_study_file_load(study_path, &sf, &err);
        if (r < 0) {
            cli_lib_error(CMD, r, &err);
            return r == NNT_ERR_IO ? EXIT_RUNTIME : EXIT_USAGE;
        }
        s.data = sf.data;
        s.labels = sf.labels;
        s.target = sf.target;
        s.task = sf.task;
        s.task_set = sf.task != NNT_TASK_AUTO;
        s.valid = sf.valid;
        s.valid_labels = sf.valid_labels;
        s.valid_fraction = sf.valid_fraction;
        s.test = sf.test;
        s.test_labels = sf.test_labels;
        s.max_rows = sf.max_rows;
        s.refit = sf.refit;
        s.sampler = sf.sampler;
        s.sampler_options = sf.sampler_options;
        s.pruner = sf.pruner;
        s.pruner_options = sf.pruner_options;
        s.n_costs = sf.n_costs;
        s.costs_set = sf.n_costs > 0;
        for (int k = 0; k < sf.n_costs; k++) s.costs[k] = sf.costs[k];
        s.metric = sf.metric;
        s.direction = sf.direction;
        s.storage = sf.storage;
        s.study = sf.study_name;
        s.model_out = sf.model_out;
        s.trials = sf.trials;
        s.time_s = sf.time_s;
        s.trial_limit = sf.trial_time_limit_s;
        s.cv = sf.cv_folds;
        s.jobs = sf.jobs;
        s.seed = sf.seed;
        s.seed_set = sf.seed_set;
    }
    for (int i = 0; i < n_flags; i++) {
        const char *a = flags[i].arg;
        int bad = 0;
        switch (flags[i].c) {
        case O_DATA: s.data = a; break;
        case O_LABELS: s.labels = a; break;
        case O_TARGET: s.target = a; break;
        case O_TASK: bad = cli_parse_task(CMD, "--task", a, &s.task) < 0; s.task_set = 1; break;
        case CLI_O_IGNORE: case CLI_O_DELIMITER: case CLI_O_MISSING:
            bad = cli_data_option(CMD, flags[i].c, a) < 0; break;
        case O_VALID: s.valid = a; break;
        case O_VALID_LABELS: s.valid_labels = a; break;
        case O_VALID_FRACTION:
            bad = cli_parse_double(CMD, "--valid-fraction", a, 1e-9, 1 - 1e-9, &s.valid_fraction) < 0;
            break;
        case O_TEST: s.test = a; break;
        case O_TEST_LABELS: s.test_labels = a; break;
        case O_MAX_ROWS: {
            int v;
            bad = cli_parse_int(CMD, "--max-rows", a, 1, 2000000000L, &v) < 0;
            s.max_rows = v;
            break;
        }
        case O_PARAM:
            if (s.n_params == MAX_PARAMS) return cli_usage_error(CMD, "too many --param options");
            s.params[s.n_params++] = a;
            break;
        case O_SAMPLER:
            if (strcmp(a, "grid") && strcmp(a, "random") && strcmp(a, "sobol") && strcmp(a, "tpe"))
                return cli_usage_error(CMD, "--sampler: expected grid, random, sobol or tpe, got '%s'", a);
            /* Options of the study file belong to its sampler only. */
            if (!s.sampler || strcmp(s.sampler, a)) s.sampler_options = NULL;
            s.sampler = a;
            break;
        case O_PRUNER:
            if (strcmp(a, "none") && strcmp(a, "median") && strcmp(a, "asha") && strcmp(a, "hyperband"))
                return cli_usage_error(CMD, "--pruner: expected none, median, asha or hyperband, got '%s'", a);
            if (!s.pruner || strcmp(s.pruner, a)) s.pruner_options = NULL;
            s.pruner = a;
            break;
        case O_OBJECTIVE: {
            /* METRIC[,COST...] */
            char buf[256];
            snprintf(buf, sizeof buf, "%s", a);
            int k = 0;
            s.n_costs = 0;
            char *save = NULL;
            for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), k++) {
                if (k == 0) {
                    if (nnt_metric_from_name(tok) < 0 || !strcmp(tok, "auto"))
                        return cli_usage_error(CMD, "--objective: expected the metric first "
                                               "(accuracy, loss, rmse, mae or r2), got '%s'", tok);
                    snprintf(s.metric_buf, sizeof s.metric_buf, "%s", tok);
                    s.metric = s.metric_buf;
                    s.direction = NULL;
                    continue;
                }
                int c = nnt_cost_from_name(tok);
                if (c < 0)
                    return cli_usage_error(CMD, "--objective: expected costs params, infer_time or "
                                           "train_time after the metric, got '%s'", tok);
                if (s.n_costs == NNT_MAX_OBJECTIVES - 1)
                    return cli_usage_error(CMD, "--objective: at most %d costs", NNT_MAX_OBJECTIVES - 1);
                for (int j = 0; j < s.n_costs; j++)
                    if (s.costs[j] == (nnt_cost)c)
                        return cli_usage_error(CMD, "--objective: '%s' is given twice", tok);
                s.costs[s.n_costs++] = (nnt_cost)c;
            }
            if (k == 0) return cli_usage_error(CMD, "--objective: expected METRIC[,COST...]");
            s.costs_set = 1;
            break;
        }
        case O_TRIALS: bad = cli_parse_int(CMD, "--trials", a, 1, 100000000, &s.trials) < 0; break;
        case O_TIME:
            if (nnt_parse_duration(a, &s.time_s) < 0)
                return cli_usage_error(CMD, "--time: expected a duration like 90s, 10m or 2h, got '%s'", a);
            break;
        case O_METRIC:
            if (nnt_metric_from_name(a) < 0 || !strcmp(a, "auto"))
                return cli_usage_error(CMD, "--metric: expected accuracy, loss, rmse, mae or r2, got '%s'", a);
            s.metric = a;
            s.direction = NULL;
            break;
        case O_CV:
            bad = cli_parse_int(CMD, "--cv", a, 0, 64, &s.cv) < 0;
            break;
        case O_TRIAL_LIMIT:
            if (nnt_parse_duration(a, &s.trial_limit) < 0)
                return cli_usage_error(CMD, "--trial-time-limit: expected a duration like 30s or 5m, got '%s'", a);
            break;
        case O_SEED: bad = cli_parse_u64(CMD, "--seed", a, &s.seed) < 0; s.seed_set = 1; break;
        case O_JOBS: bad = cli_parse_int(CMD, "--jobs", a, 1, MAX_WORKERS, &s.jobs) < 0; break;
        case O_STORAGE: s.storage = a; break;
        case O_STUDY:
            if (!a[0]) return cli_usage_error(CMD, "--study: expected a name");
            s.study = a;
            break;
        case O_MODEL_OUT: s.model_out = a; break;
        case O_FORCE: s.force = 1; break;
        case O_REFIT: s.refit = 1; break;
        case O_NO_REFIT: s.refit = 0; break;
        case O_QUIET: s.quiet = 1; break;
        case O_JSON: s.json = 1; break;
        }
        if (bad) {
            nnt_study_file_free(&sf);
            return EXIT_USAGE;
        }
    }
    if (!s.data) {
        nnt_study_file_free(&sf);
        return cli_usage_error(CMD, "no data: give --data FILE (or \"data\" in a study file)");
    }
    if (!s.storage) s.storage = "nntune.db";
    if (!s.study) s.study = "default";
    if (!s.valid_fraction) s.valid_fraction = 0.2;

    /* ---- the space and base options: every check before any data or trial */
    nnt_space *space = NULL;
    nnt_dataset *train = NULL, *valid = NULL, *test = NULL, *builtin_test = NULL;
    nnt_storage storage;
    memset(&storage, 0, sizeof storage);
    nnt_study *study = NULL;
    char *model_path = NULL;
    nnt_study_definition stored;
    int r;
    int found = read_stored(s.storage, s.study, &stored);
    /* Without a space of its own, a resume keeps the stored space, so that a
     * change of the default space never makes an old study unresumable. */
    if (sf.space_json) r = nnt_space_from_json(sf.space_json, &space, &err);
    else if (s.n_params > 0) r = (space = nnt_space_new()) ? NNT_OK : NNT_ERR_NOMEM;
    /* (a user objective's space means nothing to the MLP trainer: the
     * study is refused below, naming its objective) */
    else if (found && stored.space && !stored.objective)
        r = nnt_study_definition_space(&stored, &space, &err);
    else r = nnt_space_default(&space, &err);
    for (int i = 0; r == NNT_OK && i < s.n_params; i++) {
        char *eq = strchr(s.params[i], '=');
        if (!eq || eq == s.params[i]) {
            rc = cli_usage_error(CMD, "--param: expected NAME=SPEC, got '%s'", s.params[i]);
            goto done;
        }
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - s.params[i]), s.params[i]);
        r = nnt_space_set_spec(space, name, eq + 1, &err);
    }
    if (r == NNT_OK) r = nnt_space_validate(space, &err);
    if (r < 0) {
        cli_lib_error(CMD, r, &err);
        rc = EXIT_USAGE;
        goto done;
    }
    nnt_study_options so = nnt_study_options_default();
    for (int i = 0; i < sf.n_base; i++) {
        char path[160];
        snprintf(path, sizeof path, "study.options.%s", sf.base_names[i]);
        r = nnt_study_set_base_option(&so.base_model, &so.base_train, sf.base_names[i],
                                      sf.base_values[i], path, &err);
        if (r < 0) {
            cli_lib_error(CMD, r, &err);
            rc = EXIT_USAGE;
            goto done;
        }
    }
    so.name = s.study;
    so.sampler = s.sampler;
    so.sampler_options = s.sampler_options;
    so.pruner = s.pruner;
    so.pruner_options = s.pruner_options;
    so.n_costs = s.n_costs;
    so.costs_set = s.costs_set;
    for (int k = 0; k < s.n_costs; k++) so.costs[k] = s.costs[k];
    /* What the command leaves unsaid, a resume takes from the stored study. */
    if (found) nnt_study_options_inherit(&so, &stored);
    /* --param without a study-file space or a budget means: try them all. */
    if (!so.sampler && s.n_params > 0 && !sf.space_json && !s.trials && !s.time_s)
        so.sampler = "grid";
    so.seed = s.seed_set ? s.seed : 1;
    so.seed_set = s.seed_set;
    so.jobs = s.jobs;
    so.max_trials = s.trials;
    so.max_seconds = s.time_s;
    so.metric = s.metric ? (nnt_metric)nnt_metric_from_name(s.metric) : NNT_METRIC_AUTO;
    so.direction = s.direction ? (!strcmp(s.direction, "maximize") ? 1 : -1) : 0;
    so.cv_folds = s.cv;
    so.valid_fraction = s.valid_fraction;
    so.max_rows = (size_t)s.max_rows;
    so.trial_time_limit_s = s.trial_limit;
    so.force = s.force;
    so.refit = s.refit;
    if (s.task_set) so.base_train.task = s.task;
    s.sampler = nnt_study_sampler_name(&so);
    /* Everything the options can be checked for before any data is read. */
    if ((r = nnt_study_options_check(&so, &err)) < 0) {
        sc_study_error(CMD, r, &err);
        fprintf(stderr, "Try 'nntune %s --help' for more information.\n", CMD);
        rc = EXIT_USAGE;
        goto done;
    }

    /* The model file is checked before any data is loaded or trained on. */
    model_path = s.model_out ? strdup(s.model_out) : default_model_path(s.storage, s.study);
    if (!model_path) {
        cli_error(CMD, "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if ((rc = cli_check_output(CMD, "--model-out", model_path)) != EXIT_OK) goto done;

    /* ---- data */
    cli_data_opts dopt = {s.data, s.labels, s.target, s.task_set ? s.task : NNT_TASK_AUTO, 0, NULL};
    if ((rc = cli_load_data(CMD, &dopt, &train, &builtin_test)) != EXIT_OK) goto done;
    if (!nnt_dataset_has_target(train)) {
        cli_error(CMD, "%s: no target to tune on", s.data);
        rc = EXIT_RUNTIME;
        goto done;
    }
    nnt_task shown = s.task_set && s.task != NNT_TASK_AUTO ? s.task : nnt_dataset_task(train);
    if (!s.json && !s.quiet) cli_print_task_line(stdout, s.data, train, shown, NULL);
    cli_warn_many_classes(CMD, s.data, train, shown);
    int nc = nnt_dataset_num_classes(train);
    const char **names = NULL;
    if (nc > 0) {
        names = calloc((size_t)nc, sizeof *names);
        if (!names) {
            cli_error(CMD, "out of memory");
            rc = EXIT_RUNTIME;
            goto done;
        }
        for (int k = 0; k < nc; k++) names[k] = nnt_dataset_class_name(train, k);
    }
    if (s.valid) {
        cli_data_opts vo = {s.valid, s.valid_labels, s.target, dopt.task, 0, nnt_dataset_schema(train)};
        if ((rc = cli_load_data(CMD, &vo, &valid, NULL)) == EXIT_OK && nc > 0)
            rc = cli_remap_classes(CMD, s.valid, valid, names, nc);
    }
    if (rc == EXIT_OK && s.test) {
        cli_data_opts to = {s.test, s.test_labels, s.target, dopt.task, 0, nnt_dataset_schema(train)};
        if ((rc = cli_load_data(CMD, &to, &test, NULL)) == EXIT_OK && nc > 0)
            rc = cli_remap_classes(CMD, s.test, test, names, nc);
    } else if (rc == EXIT_OK && builtin_test) {
        test = builtin_test;
        builtin_test = NULL;
    }
    free(names);
    if (rc != EXIT_OK) goto done;

    /* ---- storage and study */
    r = nnt_storage_open(s.storage, NULL, &storage, &err);
    if (r < 0) {
        rc = cli_lib_error(CMD, r, &err);
        goto done;
    }
    so.model_out = model_path;
    run_view view;
    memset(&view, 0, sizeof view);
    for (int i = 0; i < MAX_WORKERS; i++) view.running[i].number = -1;
    view.mode = s.json ? 3 : s.quiet ? 0 : cli_isatty(stdout) ? 2 : 1;
    so.on_event = on_event;
    so.userdata = &view;
    nnt_study_data sd = {train, valid, test};
    r = nnt_study_create(&so, space, &sd, &storage, &study, &err);
    if (r < 0) {
        sc_study_error(CMD, r, &err);
        rc = r == NNT_ERR_ARG ? EXIT_USAGE : EXIT_RUNTIME;
        goto done;
    }
    view.study = study;
    nnt_study_summary sum;
    nnt_study_get_summary(study, &sum);
    if (view.mode == 1 || view.mode == 2) {
        char name[160];
        printf("study '%s' in %s: %s search, ", cli_shown(s.study, name, sizeof name), s.storage, s.sampler);
        if (strcmp(sum.pruner, "none")) printf("%s pruning, ", sum.pruner);
        else printf("no pruning, ");
        printf("%s", sum.metric);
        for (int k = 0; k < so.n_costs; k++) printf(" + %s", nnt_cost_name(so.costs[k]));
        printf(", seed %llu%s", (unsigned long long)sum.seed, sum.resumed ? ", resumed" : "");
        if (sum.resumed)
            printf(" (%d trials on record, %d count against the budget)", sum.n_trials, sum.n_done);
        char sel[256];
        printf("\nselection: %s\n", sc_selection_text(sel, sizeof sel, &sum, valid != NULL));
        fflush(stdout);
    }
    v_costs = so.costs;
    cli_catch_interrupt();
    r = nnt_study_run(study, &err);
    if (view.mode == 2) clear_block(&view);
    nnt_study_get_summary(study, &sum);
    if (r < 0) {
        rc = cli_lib_error(CMD, r, &err);
        goto done;
    }

    /* ---- summary */
    if (view.mode == 3) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "event", json_object_new_string("summary"));
        json_object_object_add(o, "study", json_object_new_string(s.study));
        json_object_object_add(o, "metric", json_object_new_string(sum.metric));
        json_object_object_add(o, "trials", json_object_new_int(sum.n_trials));
        json_object_object_add(o, "complete", json_object_new_int(sum.n_complete));
        json_object_object_add(o, "failed", json_object_new_int(sum.n_failed));
        json_object_object_add(o, "pruned", json_object_new_int(sum.n_pruned));
        json_object_object_add(o, "sampler", json_object_new_string(s.sampler));
        json_object_object_add(o, "pruner", json_object_new_string(sum.pruner));
        if (sum.n_objectives > 1) {
            int *front = malloc((size_t)(sum.n_pareto > 0 ? sum.n_pareto : 1) * sizeof *front);
            json_object *a = json_object_new_array();
            int m = front ? nnt_study_pareto(study, front, sum.n_pareto, &err) : 0;
            for (int i = 0; i < m && i < sum.n_pareto; i++) json_object_array_add(a, json_object_new_int(front[i]));
            json_object_object_add(o, "pareto_front", a);
            free(front);
        }
        if (sum.best_number >= 0) {
            json_object_object_add(o, "best_trial", json_object_new_int(sum.best_number));
            json_object_object_add(o, "best_value", cli_json_num(sum.best_value));
            json_object_object_add(o, "best_params", json_tokener_parse(sum.best_params));
            if (sum.model_path) json_object_object_add(o, "model", json_object_new_string(sum.model_path));
        }
        if (sum.refit != 0) {
            json_object *rf = json_object_new_object();
            json_object_object_add(rf, "done", json_object_new_boolean(sum.refit > 0));
            json_object_object_add(rf, "epochs", json_object_new_int(sum.refit_epochs));
            json_object_object_add(rf, "rows", json_object_new_int64((int64_t)sum.refit_rows));
            json_object_object_add(rf, "seconds", cli_json_num(sum.refit_seconds));
            if (sum.refit_note[0]) json_object_object_add(rf, "note", json_object_new_string(sum.refit_note));
            if (sum.refit_trial_n_test > 0)
                json_object_object_add(rf, "trial_test", cli_json_metrics(&sum.refit_trial_test));
            json_object_object_add(o, "refit", rf);
        }
        json_object *sel = json_object_new_object();
        json_object_object_add(sel, "cv_folds", json_object_new_int(sum.n_folds));
        json_object_object_add(sel, "refit", json_object_new_boolean(sum.refit_planned));
        json_object_object_add(sel, "rows", json_object_new_int64((int64_t)sum.tuned_rows));
        json_object_object_add(sel, "small_data", json_object_new_boolean(sum.small_data));
        json_object_object_add(o, "selection", sel);
        json_object_object_add(o, "tied", json_object_new_int(sum.n_tied));
        if (sum.has_test) json_object_object_add(o, "test", cli_json_metrics(&sum.test));
        if (sum.stopped) json_object_object_add(o, "stopped", json_object_new_boolean(1));
        cli_json_emit(o);
    } else {
        nnt_study_record rec;
        memset(&rec, 0, sizeof rec);
        nnt_trial_record *trials = NULL;
        size_t nt = 0;
        if (nnt_storage_find_study(&storage, s.study, &rec, &err) == NNT_OK &&
            storage.trials_load(storage.ctx, rec.id, &trials, &nt, &err) == NNT_OK) {
            printf("\n");
            sc_leaderboard(stdout, &rec, trials, nt, 5);
            sc_ties_line(stdout, &rec, trials, nt);
            if (sum.n_objectives > 1) {
                printf("\n");
                sc_pareto_table(stdout, &rec, trials, nt);
            }
        }
        nnt_trial_records_free(trials, nt);
        nnt_study_record_free(&rec);
        printf("Trials: %d complete, %d pruned, %d failed\n", sum.n_complete, sum.n_pruned,
               sum.n_failed);
        char sel[256];
        printf("Selection: %s\n", sc_selection_text(sel, sizeof sel, &sum, valid != NULL));
        if (sum.best_number >= 0) {
            char v[32];
            printf("Best: trial %d, %s %s", sum.best_number, sum.metric,
                   sc_fmt_value(v, sizeof v, sum.best_value));
            if (sum.model_path) printf(", model saved to %s", sum.model_path);
            printf("\n");
            if (sum.refit > 0) {
                char d[32];
                printf("Refit: trial %d's configuration on %zu rows for %d epochs (%s); the saved "
                       "model is the refit\n",
                       sum.best_number, sum.refit_rows, sum.refit_epochs,
                       cli_fmt_duration(sum.refit_seconds, d, sizeof d));
            } else if (sum.refit < 0) {
                printf("Refit: %s\n", sum.refit_note);
            }
            const char *which = sum.refit > 0 ? "refit model" : "best model";
            if (sum.has_test) {
                char m[256];
                if (isfinite(sum.test.accuracy)) {
                    printf("Test accuracy of the %s: %.4f (%zu rows; %s)\n", which,
                           sum.test.accuracy, sum.n_test, cli_fmt_metrics(m, sizeof m, "", &sum.test));
                    if (sum.refit_trial_n_test > 0)
                        printf("Test accuracy of trial %d's own model: %.4f\n", sum.best_number,
                               sum.refit_trial_test.accuracy);
                } else {
                    printf("Test metrics of the %s (%zu rows): %s\n", which, sum.n_test,
                           cli_fmt_metrics(m, sizeof m, "", &sum.test));
                }
            }
        } else {
            printf("No trial completed.\n");
        }
        if (sum.stopped)
            printf("Stopped: run the same command again to resume the study.\n");
    }
    if (cli_interrupted()) {
        /* Every finished trial is in the storage and the running ones are
         * marked interrupted: the same command resumes the study. */
        cli_error(CMD, "stopped by %s; the study is saved in %s: run the same command again to resume it",
                  cli_interrupt_name(), s.storage);
        rc = cli_interrupt_exit();
    } else if (sum.stopped) {
        rc = EXIT_RUNTIME;
    } else if (sum.n_complete == 0) {
        rc = sc_no_complete_trial(CMD, &storage, s.study, &sum);
    }

done:
    nnt_study_free(study);
    nnt_storage_close(&storage);
    nnt_space_free(space);
    nnt_dataset_free(train);
    nnt_dataset_free(valid);
    nnt_dataset_free(test);
    nnt_dataset_free(builtin_test);
    free(model_path);
    nnt_study_definition_free(&stored);
    nnt_study_file_free(&sf);
    return rc;
}
