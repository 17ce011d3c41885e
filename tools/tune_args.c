/* nntune tune: its usage text and its settings -- the study file's, then the
 * flags' on top, then the defaults of what is still unset. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "tune_cli.h"

#define CMD TUNE_CMD
/* The defaults (tpe, asha; none for a grid) are the library's
 * (NNT_DEFAULT_SAMPLER, NNT_DEFAULT_PRUNER): the command sets only what its
 * user typed. */
#define DEFAULT_SAMPLER NNT_DEFAULT_SAMPLER
#define DEFAULT_PRUNER NNT_DEFAULT_PRUNER

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
"  --ensemble                 under --cv K, a trial's model averages its K fold\n"
"                             models, and a refit is averaged with the best\n"
"                             trial's K fold models (K + 1 models in the saved\n"
"                             file). Default on with --cv K >= 2\n"
"  --no-ensemble              a trial's model is its best fold's; the refit alone\n"
"                             is the saved model\n"
"  --seed S                   study seed (default 1; on resume: the stored one)\n"
"Execution and storage:\n"
"  --jobs J                   parallel trials (default: the number of cores); under\n"
"                             mpirun/srun: per worker rank (docs/cluster.md)\n"
"  --deterministic            reproducible parallel study: the same seed and\n"
"                             --jobs give the same trials whatever the timing\n"
"                             (docs/reproducible.md); kept on resume\n"
"  --slots N                  --deterministic with N slots instead of --jobs: the\n"
"                             same study with any --jobs; more slots than jobs\n"
"                             wait less, proposals see older results\n"
"  --storage FILE             SQLite storage (default nntune.db)\n"
"  --study NAME               study name in the storage (default \"default\")\n"
"  --model-out PATH           where the best model is saved (default\n"
"                             <storage stem>.<study>.best.nnt)\n"
"  --force                    resume even if the search settings changed (never\n"
"                             on other data: use a new --study name)\n"
"Under mpirun or srun (a build with MPI; docs/cluster.md): rank 0 runs the\n"
"study and the storage, every other rank runs --jobs trials at a time.\n"
"  --mpi-timeout D            a worker rank silent this long is given up, its\n"
"                             trials stored as interrupted (default 2m)\n"
"  --mpi-data bcast|each      bcast (default): rank 0 reads the data files and\n"
"                             sends them; each: every rank reads the paths\n"
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

/* ---- options ------------------------------------------------------------------- */

enum {
    O_DATA = 256, O_LABELS, O_TARGET, O_TASK, O_VALID, O_VALID_LABELS, O_VALID_FRACTION, O_TEST,
    O_TEST_LABELS, O_MAX_ROWS, O_PARAM, O_SAMPLER, O_TRIALS, O_TIME, O_METRIC, O_CV,
    O_TRIAL_LIMIT, O_SEED, O_JOBS, O_STORAGE, O_STUDY, O_MODEL_OUT, O_FORCE, O_QUIET, O_JSON,
    O_PRUNER, O_OBJECTIVE, O_REFIT, O_NO_REFIT, O_DETERMINISTIC,
    O_SLOTS, O_ENSEMBLE, O_NO_ENSEMBLE, O_MPI_TIMEOUT, O_MPI_DATA
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
    {"deterministic", no_argument, NULL, O_DETERMINISTIC},
    {"slots", required_argument, NULL, O_SLOTS},
    {"refit", no_argument, NULL, O_REFIT},
    {"no-refit", no_argument, NULL, O_NO_REFIT},
    {"ensemble", no_argument, NULL, O_ENSEMBLE},
    {"no-ensemble", no_argument, NULL, O_NO_ENSEMBLE},
    {"quiet", no_argument, NULL, O_QUIET},
    {"json", no_argument, NULL, O_JSON},
    {"mpi-timeout", required_argument, NULL, O_MPI_TIMEOUT},
    {"mpi-data", required_argument, NULL, O_MPI_DATA},
    CLI_DATA_LONG_OPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The study file's settings, before the flags. */
static void settings_from_file(tune_settings *s, const nnt_study_file *sf)
{
    s->data = sf->data;
    s->labels = sf->labels;
    s->target = sf->target;
    s->task = sf->task;
    s->task_set = sf->task != NNT_TASK_AUTO;
    s->valid = sf->valid;
    s->valid_labels = sf->valid_labels;
    s->valid_fraction = sf->valid_fraction;
    s->test = sf->test;
    s->test_labels = sf->test_labels;
    s->max_rows = sf->max_rows;
    s->refit = sf->refit;
    s->ensemble = sf->ensemble;
    s->sampler = sf->sampler;
    s->sampler_options = sf->sampler_options;
    s->pruner = sf->pruner;
    s->pruner_options = sf->pruner_options;
    s->n_costs = sf->n_costs;
    s->costs_set = sf->n_costs > 0;
    for (int k = 0; k < sf->n_costs; k++) s->costs[k] = sf->costs[k];
    s->metric = sf->metric;
    s->direction = sf->direction;
    s->storage = sf->storage;
    s->study = sf->study_name;
    s->model_out = sf->model_out;
    s->trials = sf->trials;
    s->time_s = sf->time_s;
    s->trial_limit = sf->trial_time_limit_s;
    s->cv = sf->cv_folds;
    s->jobs = sf->jobs;
    s->seed = sf->seed;
    s->seed_set = sf->seed_set;
}

/* --objective METRIC[,COST...]. Returns 0, or EXIT_USAGE (message printed). */
static int parse_objective(tune_settings *s, const char *a)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", a);
    int k = 0;
    s->n_costs = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), k++) {
        if (k == 0) {
            if (nnt_metric_from_name(tok) < 0 || !strcmp(tok, "auto"))
                return cli_usage_error(CMD, "--objective: expected the metric first "
                                       "(accuracy, loss, rmse, mae or r2), got '%s'", tok);
            snprintf(s->metric_buf, sizeof s->metric_buf, "%s", tok);
            s->metric = s->metric_buf;
            s->direction = NULL;
            continue;
        }
        int c = nnt_cost_from_name(tok);
        if (c < 0)
            return cli_usage_error(CMD, "--objective: expected costs params, infer_time or "
                                   "train_time after the metric, got '%s'", tok);
        if (s->n_costs == NNT_MAX_OBJECTIVES - 1)
            return cli_usage_error(CMD, "--objective: at most %d costs", NNT_MAX_OBJECTIVES - 1);
        for (int j = 0; j < s->n_costs; j++)
            if (s->costs[j] == (nnt_cost)c)
                return cli_usage_error(CMD, "--objective: '%s' is given twice", tok);
        s->costs[s->n_costs++] = (nnt_cost)c;
    }
    if (k == 0) return cli_usage_error(CMD, "--objective: expected METRIC[,COST...]");
    s->costs_set = 1;
    return 0;
}

/* One flag on top of the settings. Returns 0, or EXIT_USAGE (message printed). */
static int apply_flag(tune_settings *s, int c, const char *a)
{
    int bad = 0;
    switch (c) {
    case O_DATA: s->data = a; break;
    case O_LABELS: s->labels = a; break;
    case O_TARGET: s->target = a; break;
    case O_TASK: bad = cli_parse_task(CMD, "--task", a, &s->task) < 0; s->task_set = 1; break;
    case CLI_O_IGNORE: case CLI_O_DELIMITER: case CLI_O_MISSING:
        bad = cli_data_option(CMD, c, a) < 0; break;
    case O_VALID: s->valid = a; break;
    case O_VALID_LABELS: s->valid_labels = a; break;
    case O_VALID_FRACTION:
        bad = cli_parse_double(CMD, "--valid-fraction", a, 1e-9, 1 - 1e-9, &s->valid_fraction) < 0;
        break;
    case O_TEST: s->test = a; break;
    case O_TEST_LABELS: s->test_labels = a; break;
    case O_MAX_ROWS: {
        int v;
        bad = cli_parse_int(CMD, "--max-rows", a, 1, 2000000000L, &v) < 0;
        s->max_rows = v;
        break;
    }
    case O_PARAM:
        if (s->n_params == TUNE_MAX_PARAMS) return cli_usage_error(CMD, "too many --param options");
        s->params[s->n_params++] = a;
        break;
    case O_SAMPLER:
        if (strcmp(a, "grid") && strcmp(a, "random") && strcmp(a, "sobol") && strcmp(a, "tpe"))
            return cli_usage_error(CMD, "--sampler: expected grid, random, sobol or tpe, got '%s'", a);
        /* Options of the study file belong to its sampler only. */
        if (!s->sampler || strcmp(s->sampler, a)) s->sampler_options = NULL;
        s->sampler = a;
        break;
    case O_PRUNER:
        if (strcmp(a, "none") && strcmp(a, "median") && strcmp(a, "asha") && strcmp(a, "hyperband"))
            return cli_usage_error(CMD, "--pruner: expected none, median, asha or hyperband, got '%s'", a);
        if (!s->pruner || strcmp(s->pruner, a)) s->pruner_options = NULL;
        s->pruner = a;
        break;
    case O_OBJECTIVE: return parse_objective(s, a);
    case O_TRIALS: bad = cli_parse_int(CMD, "--trials", a, 1, 100000000, &s->trials) < 0; break;
    case O_TIME:
        if (nnt_parse_duration(a, &s->time_s) < 0)
            return cli_usage_error(CMD, "--time: expected a duration like 90s, 10m or 2h, got '%s'", a);
        break;
    case O_METRIC:
        if (nnt_metric_from_name(a) < 0 || !strcmp(a, "auto"))
            return cli_usage_error(CMD, "--metric: expected accuracy, loss, rmse, mae or r2, got '%s'", a);
        s->metric = a;
        s->direction = NULL;
        break;
    case O_CV:
        bad = cli_parse_int(CMD, "--cv", a, 0, 64, &s->cv) < 0;
        break;
    case O_TRIAL_LIMIT:
        if (nnt_parse_duration(a, &s->trial_limit) < 0)
            return cli_usage_error(CMD, "--trial-time-limit: expected a duration like 30s or 5m, got '%s'", a);
        break;
    case O_SEED: bad = cli_parse_u64(CMD, "--seed", a, &s->seed) < 0; s->seed_set = 1; break;
    case O_JOBS: bad = cli_parse_int(CMD, "--jobs", a, 1, TUNE_MAX_WORKERS, &s->jobs) < 0; break;
    case O_STORAGE: s->storage = a; break;
    case O_STUDY:
        if (!a[0]) return cli_usage_error(CMD, "--study: expected a name");
        s->study = a;
        break;
    case O_MODEL_OUT: s->model_out = a; break;
    case O_FORCE: s->force = 1; break;
    case O_DETERMINISTIC: s->deterministic = 1; break;
    case O_SLOTS:
        bad = cli_parse_int(CMD, "--slots", a, 1, 4096, &s->slots) < 0;
        s->deterministic = 1;
        break;
    case O_REFIT: s->refit = 1; break;
    case O_NO_REFIT: s->refit = 0; break;
    case O_ENSEMBLE: s->ensemble = 1; break;
    case O_NO_ENSEMBLE: s->ensemble = 0; break;
    case O_QUIET: s->quiet = 1; break;
    case O_JSON: s->json = 1; break;
    case O_MPI_TIMEOUT:
        if (nnt_parse_duration(a, &s->mpi_timeout) < 0 || !(s->mpi_timeout > 0))
            return cli_usage_error(CMD, "--mpi-timeout: expected a duration like 30s or 5m, got '%s'", a);
        break;
    case O_MPI_DATA:
        if (strcmp(a, "bcast") && strcmp(a, "each"))
            return cli_usage_error(CMD, "--mpi-data: expected bcast or each, got '%s'", a);
        s->mpi_data_each = !strcmp(a, "each");
        break;
    }
    return bad ? EXIT_USAGE : 0;
}

int tune_parse_args(int argc, char **argv, tune_settings *s, nnt_study_file *sf)
{
    memset(s, 0, sizeof *s);
    memset(sf, 0, sizeof *sf);
    s->cv = NNT_CV_AUTO; /* the library's small-data policy unless told */
    s->refit = NNT_REFIT_AUTO;
    s->ensemble = NNT_ENSEMBLE_AUTO;
    const char *study_path = NULL;
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
        int r = nnt_study_file_load(study_path, sf, &err);
        if (r < 0) {
            cli_lib_error(CMD, r, &err);
            return r == NNT_ERR_IO ? EXIT_RUNTIME : EXIT_USAGE;
        }
        settings_from_file(s, sf);
        if (cli_data_from_study_file(CMD, sf) < 0) {
            nnt_study_file_free(sf);
            return EXIT_USAGE;
        }
    }
    s->study_path = study_path;
    for (int i = 0; i < n_flags; i++) {
        int rc = apply_flag(s, flags[i].c, flags[i].arg);
        if (rc != 0) {
            nnt_study_file_free(sf);
            return rc;
        }
    }
    if (!s->data) {
        nnt_study_file_free(sf);
        return cli_usage_error(CMD, "no data: give --data FILE (or \"data\" in a study file)");
    }
    if (!s->storage) s->storage = "nntune.db";
    if (!s->study) s->study = "default";
    if (!s->valid_fraction) s->valid_fraction = 0.2;

    return TUNE_ARGS_GO;
}
