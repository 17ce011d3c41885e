/* nntune train: train one network on a data set and save it. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"

static const char *const CMD = "train";

static void usage(FILE *f)
{
    fprintf(f,
"usage: nntune train --data FILE|fashion-mnist [OPTIONS]\n"
"\n"
"Trains one multilayer perceptron and saves it as a model file.\n"
"\n"
"Data:\n"
"  -d, --data FILE          training data: CSV (header row), IDX images, or the\n"
"                           built-in 'fashion-mnist' (its test set becomes --test)\n"
"      --labels FILE        IDX label file (makes --data an IDX image file)\n"
"      --target COL         CSV target column (default: the last column)\n"
"      --task T             auto|classification|binary|regression|autoencode\n"
"                           (short: classify, regress; default auto: text or\n"
"                           few distinct integers are classes, see README)\n"
CLI_DATA_USAGE
"      --valid FILE         validation data (default: a split of --data)\n"
"      --valid-labels FILE  IDX labels for --valid\n"
"      --valid-fraction F   stratified hold-out fraction of --data (default 0.1;\n"
"                           0: no validation, early stopping off). 'tune' holds\n"
"                           out 0.2: picking the best of many trials on a small\n"
"                           hold-out rewards its noise; one run keeps the rows\n"
"                           for training\n"
"      --test FILE          test data, evaluated once at the end\n"
"      --test-labels FILE   IDX labels for --test\n"
"      --scaling S          auto|none|standard|pixels (default auto)\n"
"\n"
"Network:\n"
"      --hidden LIST        hidden layer widths, e.g. 128,64 ('' or 0: none;\n"
"                           default 128,64)\n"
"      --activation A       relu|leaky_relu|elu|tanh|sigmoid|identity (default relu)\n"
"      --dropout P          dropout after each hidden layer, or a list per layer\n"
"      --input-dropout P    dropout on the inputs (default 0)\n"
"\n"
"Training:\n"
"      --optimizer O        sgd|momentum|nesterov|adam|adamw (default momentum)\n"
"      --lr X               learning rate (default 0.01)\n"
"      --momentum X         momentum for momentum/nesterov (default 0.9)\n"
"      --batch N            mini-batch size (default 32)\n"
"      --scale-lr           scale the learning rate with batch/32\n"
"      --weight-decay X     L2 penalty (decoupled for adamw; default 0)\n"
"      --epochs N           maximum epochs (default 100)\n"
"      --schedule S         constant|step|cosine (default constant)\n"
"      --step-epochs N      step schedule period (default 10)\n"
"      --step-gamma X       step schedule factor (default 0.5)\n"
"      --warmup N           linear warm-up epochs (default 0)\n"
"      --patience N         early-stopping patience in epochs (default 10)\n"
"      --min-delta X        smallest improvement that counts (default 0)\n"
"      --no-early-stopping  always run --epochs epochs\n"
"      --monitor M          auto|loss|accuracy|rmse|mae|r2 (default auto: accuracy\n"
"                           for classification, loss otherwise)\n"
"      --pretrain-epochs N  greedy layer-wise autoencoder pretraining (default 0)\n"
"      --time-limit S       stop after S seconds, keeping the best weights\n"
"      --seed N             random seed (default 1)\n"
"      --threads N          BLAS threads (default 1; 0: leave as is)\n"
"\n"
"Output:\n"
"  -o, --out FILE           model file to write (default model.nnt)\n"
"  -q, --quiet              print only the final summary\n"
"      --json               one JSON object per epoch and a final one on stdout\n"
"  -h, --help               show this help\n"
"\n"
"Ctrl-C (SIGINT) or SIGTERM stops after the current batch and saves the best\n"
"weights so far to --out (when an epoch completed).\n"
"\n"
"Exit status: 0 success, 1 data or runtime error (or divergence), 2 usage error,\n"
"130 / 143 stopped by SIGINT / SIGTERM.\n"
"\n"
"Examples:\n"
"  nntune train --data data.csv --hidden 64 --epochs 50 --out data.nnt\n"
"  nntune train --data fashion-mnist --hidden 256,128 --dropout 0.2 --out fmnist.nnt\n"
"  nntune train --data houses.csv --target price --task regress --json > log.jsonl\n");
}

enum {
    O_LABELS = 256, O_TARGET, O_TASK, O_VALID, O_VALID_LABELS, O_VALID_FRACTION, O_TEST,
    O_TEST_LABELS, O_SCALING, O_HIDDEN, O_ACTIVATION, O_DROPOUT, O_INPUT_DROPOUT, O_OPTIMIZER,
    O_LR, O_MOMENTUM, O_BATCH, O_SCALE_LR, O_WEIGHT_DECAY, O_EPOCHS, O_SCHEDULE, O_STEP_EPOCHS,
    O_STEP_GAMMA, O_WARMUP, O_PATIENCE, O_MIN_DELTA, O_NO_EARLY, O_MONITOR, O_PRETRAIN,
    O_TIME_LIMIT, O_SEED, O_THREADS, O_JSON
};

static const struct option long_opts[] = {
    {"data", required_argument, NULL, 'd'},
    {"labels", required_argument, NULL, O_LABELS},
    {"target", required_argument, NULL, O_TARGET},
    {"task", required_argument, NULL, O_TASK},
    {"valid", required_argument, NULL, O_VALID},
    {"valid-labels", required_argument, NULL, O_VALID_LABELS},
    {"valid-fraction", required_argument, NULL, O_VALID_FRACTION},
    {"test", required_argument, NULL, O_TEST},
    {"test-labels", required_argument, NULL, O_TEST_LABELS},
    {"scaling", required_argument, NULL, O_SCALING},
    {"hidden", required_argument, NULL, O_HIDDEN},
    {"activation", required_argument, NULL, O_ACTIVATION},
    {"dropout", required_argument, NULL, O_DROPOUT},
    {"input-dropout", required_argument, NULL, O_INPUT_DROPOUT},
    {"optimizer", required_argument, NULL, O_OPTIMIZER},
    {"lr", required_argument, NULL, O_LR},
    {"momentum", required_argument, NULL, O_MOMENTUM},
    {"batch", required_argument, NULL, O_BATCH},
    {"scale-lr", no_argument, NULL, O_SCALE_LR},
    {"weight-decay", required_argument, NULL, O_WEIGHT_DECAY},
    {"epochs", required_argument, NULL, O_EPOCHS},
    {"schedule", required_argument, NULL, O_SCHEDULE},
    {"step-epochs", required_argument, NULL, O_STEP_EPOCHS},
    {"step-gamma", required_argument, NULL, O_STEP_GAMMA},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"patience", required_argument, NULL, O_PATIENCE},
    {"min-delta", required_argument, NULL, O_MIN_DELTA},
    {"no-early-stopping", no_argument, NULL, O_NO_EARLY},
    {"monitor", required_argument, NULL, O_MONITOR},
    {"pretrain-epochs", required_argument, NULL, O_PRETRAIN},
    {"time-limit", required_argument, NULL, O_TIME_LIMIT},
    {"seed", required_argument, NULL, O_SEED},
    {"threads", required_argument, NULL, O_THREADS},
    {"out", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"json", no_argument, NULL, O_JSON},
    CLI_DATA_LONG_OPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct args {
    const char *data, *labels, *target, *valid, *valid_labels, *test, *test_labels, *out;
    nnt_task task;
    double valid_fraction;
    int valid_fraction_set;
    nnt_model_options mopt;
    nnt_train_options topt;
    double dropout[NNT_MAX_HIDDEN];
    int n_dropout;
    int quiet, json;
} args;

/* ---- Progress display ----------------------------------------------------- */

enum { SHOW_LIVE, SHOW_LINES, SHOW_QUIET, SHOW_JSON };

typedef struct progress {
    int mode;
    double epoch_start;  /* elapsed_s at the end of the previous epoch */
    double last_draw;    /* cli_now() of the last live redraw */
    int in_pretraining;
} progress;

static void show_epoch_line(const nnt_progress *p, double epoch_s)
{
    char tr[160], va[160], dur[32];
    cli_fmt_metrics(tr, sizeof tr, "", &p->train);
    if (p->has_valid) cli_fmt_metrics(va, sizeof va, "val_", &p->valid);
    else va[0] = '\0';
    fprintf(stderr, "epoch %d/%d  %s%s%s  %s%s\n", p->epoch, p->max_epochs, tr, va[0] ? "  " : "",
            va, cli_fmt_duration(epoch_s, dur, sizeof dur), p->is_best && p->has_valid ? " *" : "");
    fflush(stderr);
}

static void emit_epoch_json(const nnt_progress *p)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string("epoch"));
    json_object_object_add(o, "epoch", json_object_new_int(p->epoch));
    json_object_object_add(o, "max_epochs", json_object_new_int(p->max_epochs));
    json_object_object_add(o, "train", cli_json_metrics(&p->train));
    if (p->has_valid) json_object_object_add(o, "valid", cli_json_metrics(&p->valid));
    json_object_object_add(o, "monitored", cli_json_num(p->monitored));
    json_object_object_add(o, "is_best", json_object_new_boolean(p->is_best));
    json_object_object_add(o, "lr", cli_json_num(p->lr));
    json_object_object_add(o, "elapsed_s", cli_json_num(p->elapsed_s));
    cli_json_emit(o);
}

static int on_progress(const nnt_progress *p, void *userdata)
{
    progress *st = userdata;
    if (p->pretraining) {
        st->in_pretraining = 1;
        if (st->mode == SHOW_LIVE || st->mode == SHOW_LINES) {
            char line[256];
            snprintf(line, sizeof line, "pretraining layer %d  epoch %d/%d  loss %.4f", p->batch,
                     p->epoch, p->max_epochs, isfinite(p->train.loss) ? p->train.loss : p->batch_loss);
            if (st->mode == SHOW_LIVE) cli_line_draw(line);
            else fprintf(stderr, "%s\n", line);
        }
        st->epoch_start = p->elapsed_s;
        return cli_interrupted() ? NNT_PRUNED : 0;
    }
    if (st->in_pretraining) {
        st->in_pretraining = 0;
        if (st->mode == SHOW_LIVE) cli_line_end();
    }

    if (p->batch > 0) { /* batch event: only the live bar uses them */
        double now = cli_now();
        if (st->mode == SHOW_LIVE && (now - st->last_draw >= 0.1 || p->batch == p->n_batches)) {
            st->last_draw = now;
            double frac = p->n_batches > 0 ? (double)p->batch / p->n_batches : 0;
            double spent = p->elapsed_s - st->epoch_start;
            double eta = frac > 0 ? spent * (1 - frac) / frac : 0;
            char bar[64], etas[32], line[256];
            cli_bar(bar, sizeof bar, frac, 30);
            snprintf(line, sizeof line, "epoch %d/%d %s %d/%d  loss %.4f  ETA %s", p->epoch,
                     p->max_epochs, bar, p->batch, p->n_batches, p->batch_loss,
                     cli_fmt_duration(eta, etas, sizeof etas));
            cli_line_draw(line);
        }
        return cli_interrupted() ? NNT_PRUNED : 0;
    }

    double epoch_s = p->elapsed_s - st->epoch_start;
    st->epoch_start = p->elapsed_s;
    switch (st->mode) {
    case SHOW_LIVE:
        cli_line_clear();
        show_epoch_line(p, epoch_s);
        break;
    case SHOW_LINES: show_epoch_line(p, epoch_s); break;
    case SHOW_JSON: emit_epoch_json(p); break;
    default: break;
    }
    return cli_interrupted() ? NNT_PRUNED : 0;
}

/* ---- Option parsing ------------------------------------------------------- */

static int parse_name(const char *opt, const char *s, int (*from_name)(const char *), int *out,
                      const char *choices)
{
    int v = from_name(s);
    if (v < 0) {
        cli_usage_error(CMD, "%s: unknown value '%s' (expected %s)", opt, s, choices);
        return -1;
    }
    *out = v;
    return 0;
}

static int scaling_from_name(const char *s)
{
    static const char *const names[] = {"auto", "none", "standard", "pixels"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) return i;
    return -1;
}

static int monitor_from_name(const char *s)
{
    return !strcmp(s, "auto") ? NNT_METRIC_AUTO : nnt_metric_from_name(s);
}

static const char *option_name(int c)
{
    for (const struct option *o = long_opts; o->name; o++)
        if (o->val == c) return o->name;
    return "?";
}

/* Returns -1 to continue, else the exit code. */
static int parse_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->out = "model.nnt";
    a->valid_fraction = 0.1;
    a->mopt = nnt_model_options_default();
    /* Defaults from practice: two hidden layers of 128 and 64 neurons. */
    a->mopt.n_hidden = 2;
    a->mopt.hidden[0] = 128;
    a->mopt.hidden[1] = 64;
    a->topt = nnt_train_options_default();
    a->topt.threads = 1;

    opterr = 0;
    optind = 1;
    int c, v;
    double d;
    while ((c = getopt_long(argc, argv, ":d:o:qh", long_opts, NULL)) != -1) {
        char optname[64];
        snprintf(optname, sizeof optname, "--%s", option_name(c));
        const char *on = optname;
        switch (c) {
        case 'h': usage(stdout); return EXIT_OK;
        case 'd': a->data = optarg; break;
        case 'o': a->out = optarg; break;
        case 'q': a->quiet = 1; break;
        case O_JSON: a->json = 1; break;
        case O_LABELS: a->labels = optarg; break;
        case O_TARGET: a->target = optarg; break;
        case O_TASK:
            if (cli_parse_task(CMD, on, optarg, &a->task)) return EXIT_USAGE;
            break;
        case CLI_O_IGNORE:
        case CLI_O_DELIMITER:
        case CLI_O_MISSING:
            if (cli_data_option(CMD, c, optarg)) return EXIT_USAGE;
            break;
        case O_VALID: a->valid = optarg; break;
        case O_VALID_LABELS: a->valid_labels = optarg; break;
        case O_VALID_FRACTION:
            if (cli_parse_double(CMD, on, optarg, 0, 0.9, &a->valid_fraction)) return EXIT_USAGE;
            a->valid_fraction_set = 1;
            break;
        case O_TEST: a->test = optarg; break;
        case O_TEST_LABELS: a->test_labels = optarg; break;
        case O_SCALING:
            if (parse_name(on, optarg, scaling_from_name, &v, "auto, none, standard or pixels"))
                return EXIT_USAGE;
            a->topt.scaling = (nnt_scaling)v;
            break;
        case O_HIDDEN:
            if (cli_parse_int_list(CMD, on, optarg, 1, 1 << 20, a->mopt.hidden, NNT_MAX_HIDDEN,
                                   &a->mopt.n_hidden))
                return EXIT_USAGE;
            break;
        case O_ACTIVATION:
            if (parse_name(on, optarg, nnt_activation_from_name, &v,
                           "relu, leaky_relu, elu, tanh, sigmoid or identity"))
                return EXIT_USAGE;
            if (v == NNT_ACT_SOFTMAX)
                return cli_usage_error(CMD, "%s: softmax is only an output activation", on);
            a->mopt.activation = (nnt_activation)v;
            break;
        case O_DROPOUT:
            if (cli_parse_double_list(CMD, on, optarg, 0, 1, a->dropout, NNT_MAX_HIDDEN,
                                      &a->n_dropout))
                return EXIT_USAGE;
            break;
        case O_INPUT_DROPOUT:
            if (cli_parse_double(CMD, on, optarg, 0, 0.99, &d)) return EXIT_USAGE;
            a->mopt.input_dropout = (float)d;
            break;
        case O_OPTIMIZER:
            if (parse_name(on, optarg, nnt_optimizer_from_name, &v,
                           "sgd, momentum, nesterov, adam or adamw"))
                return EXIT_USAGE;
            a->topt.optimizer = (nnt_optimizer)v;
            break;
        case O_LR:
            if (cli_parse_double(CMD, on, optarg, 1e-12, 1e3, &a->topt.lr)) return EXIT_USAGE;
            break;
        case O_MOMENTUM:
            if (cli_parse_double(CMD, on, optarg, 0, 0.9999, &a->topt.momentum)) return EXIT_USAGE;
            break;
        case O_BATCH:
            if (cli_parse_int(CMD, on, optarg, 1, 1 << 24, &a->topt.batch_size)) return EXIT_USAGE;
            break;
        case O_SCALE_LR: a->topt.scale_lr_with_batch = 1; break;
        case O_WEIGHT_DECAY:
            if (cli_parse_double(CMD, on, optarg, 0, 10, &a->topt.weight_decay)) return EXIT_USAGE;
            break;
        case O_EPOCHS:
            if (cli_parse_int(CMD, on, optarg, 1, 1000000, &a->topt.max_epochs)) return EXIT_USAGE;
            break;
        case O_SCHEDULE:
            if (parse_name(on, optarg, nnt_schedule_from_name, &v, "constant, step or cosine"))
                return EXIT_USAGE;
            a->topt.schedule = (nnt_schedule)v;
            break;
        case O_STEP_EPOCHS:
            if (cli_parse_int(CMD, on, optarg, 1, 1000000, &a->topt.step_epochs)) return EXIT_USAGE;
            break;
        case O_STEP_GAMMA:
            if (cli_parse_double(CMD, on, optarg, 1e-6, 1, &a->topt.step_gamma)) return EXIT_USAGE;
            break;
        case O_WARMUP:
            if (cli_parse_int(CMD, on, optarg, 0, 1000000, &a->topt.warmup_epochs)) return EXIT_USAGE;
            break;
        case O_PATIENCE:
            if (cli_parse_int(CMD, on, optarg, 1, 1000000, &a->topt.patience)) return EXIT_USAGE;
            break;
        case O_MIN_DELTA:
            if (cli_parse_double(CMD, on, optarg, 0, 1e9, &a->topt.min_delta)) return EXIT_USAGE;
            break;
        case O_NO_EARLY: a->topt.early_stopping = 0; break;
        case O_MONITOR:
            if (parse_name(on, optarg, monitor_from_name, &v, "auto, loss, accuracy, rmse, mae or r2"))
                return EXIT_USAGE;
            a->topt.monitor = (nnt_metric)v;
            break;
        case O_PRETRAIN:
            if (cli_parse_int(CMD, on, optarg, 0, 1000000, &a->topt.pretrain_epochs)) return EXIT_USAGE;
            break;
        case O_TIME_LIMIT:
            if (cli_parse_double(CMD, on, optarg, 0, 1e9, &a->topt.time_limit_s)) return EXIT_USAGE;
            break;
        case O_SEED:
            if (cli_parse_u64(CMD, on, optarg, &a->topt.seed)) return EXIT_USAGE;
            break;
        case O_THREADS:
            if (cli_parse_int(CMD, on, optarg, 0, 1024, &a->topt.threads)) return EXIT_USAGE;
            break;
        default: return cli_getopt_error(CMD, c, argv, long_opts);
        }
    }
    if (cli_no_operands(CMD, argc, argv) != EXIT_OK) return EXIT_USAGE;
    if (!a->data) return cli_usage_error(CMD, "--data is required");
    if (a->valid && a->valid_fraction_set)
        return cli_usage_error(CMD, "--valid and --valid-fraction cannot be used together");
    if (a->valid_labels && !a->valid) return cli_usage_error(CMD, "--valid-labels needs --valid");
    if (a->test_labels && !a->test) return cli_usage_error(CMD, "--test-labels needs --test");
    if (!*a->out) return cli_usage_error(CMD, "--out: empty file name");
    if (cli_check_output(CMD, "--out", a->out) != EXIT_OK) return EXIT_RUNTIME;
    if (a->n_dropout > 1 && a->n_dropout != a->mopt.n_hidden) {
        return cli_usage_error(CMD, "--dropout: %d values for %d hidden layers", a->n_dropout,
                               a->mopt.n_hidden);
    }
    for (int i = 0; i < a->mopt.n_hidden; i++)
        a->mopt.dropout[i] = a->n_dropout == 0 ? 0.0f
                           : (float)a->dropout[a->n_dropout == 1 ? 0 : i];
    return -1;
}

/* ---- Data ----------------------------------------------------------------- */

static int is_classification(nnt_task t) { return t == NNT_TASK_CLASSIFY || t == NNT_TASK_BINARY; }

/* Loads a validation or test set like the training set and puts its classes
 * in the training set's order. */
static int load_aux(const char *what, const char *path, const char *labels, const args *a,
                    nnt_task task, const nnt_dataset *train, nnt_dataset **out)
{
    cli_data_opts d = {path, labels, a->target, task, 0, nnt_dataset_schema(train)};
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

/* ---- Summary --------------------------------------------------------------- */

static const char *status_key(int status, const nnt_train_result *r, int max_epochs)
{
    switch (status) {
    case NNT_OK: return r->epochs_run < max_epochs ? "early_stopped" : "ok";
    case NNT_TIMEOUT: return "time_limit";
    case NNT_DIVERGED: return "diverged";
    case NNT_PRUNED: return "interrupted";
    default: return "error";
    }
}

static void status_text(char *buf, size_t n, int status, const nnt_train_result *r,
                        int max_epochs)
{
    switch (status) {
    case NNT_OK:
        if (r->epochs_run < max_epochs)
            snprintf(buf, n, "early-stopped at epoch %d (best %d)", r->epochs_run, r->best_epoch);
        else snprintf(buf, n, "ok (%d epochs, best %d)", r->epochs_run, r->best_epoch);
        break;
    case NNT_TIMEOUT:
        if (r->epochs_run == 0) snprintf(buf, n, "time limit reached during the first epoch");
        else snprintf(buf, n, "time limit reached at epoch %d (best %d)", r->epochs_run, r->best_epoch);
        break;
    case NNT_DIVERGED: snprintf(buf, n, "diverged at epoch %d", r->epochs_run + 1); break;
    case NNT_PRUNED:
        snprintf(buf, n, "interrupted at epoch %d (best %d)", r->epochs_run, r->best_epoch);
        break;
    default: snprintf(buf, n, "failed"); break;
    }
}

/* ---- Command --------------------------------------------------------------- */

int cmd_train(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, &a);
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

    progress pst = {0};
    pst.mode = a.json ? SHOW_JSON : a.quiet ? SHOW_QUIET : cli_isatty(stderr) ? SHOW_LIVE : SHOW_LINES;
    if (pst.mode == SHOW_LIVE) {
        char line[256];
        snprintf(line, sizeof line, "loading %s ...", a.data);
        cli_line_draw(line);
    }
    cli_data_opts d = {a.data, a.labels, a.target, a.task, 0, NULL};
    int lrc = cli_load_data(CMD, &d, &train, &builtin_test);
    if (pst.mode == SHOW_LIVE) cli_line_clear();
    if (lrc != EXIT_OK) goto out;
    if (nnt_dataset_rows(train) == 0) {
        cli_error(CMD, "'%s' has no rows", a.data);
        goto out;
    }
    /* The trainer resolves AUTO the same way; the CLI needs the answer first
     * to read the validation and test sets alike. */
    nnt_task task = a.task != NNT_TASK_AUTO          ? a.task
                  : !nnt_dataset_has_target(train) ? NNT_TASK_AUTOENCODE
                                                   : nnt_dataset_task(train);
    if (is_classification(task) && !nnt_dataset_has_target(train)) {
        cli_error(CMD, "'%s' has no labels to learn", a.data);
        goto out;
    }
    if (pst.mode == SHOW_LIVE || pst.mode == SHOW_LINES) {
        cli_print_task_line(stdout, a.data, train, task, NULL);
        fflush(stdout);
    }
    cli_warn_many_classes(CMD, a.data, train, task);

    if (a.valid) {
        if (load_aux("validation", a.valid, a.valid_labels, &a, task, train, &valid) != EXIT_OK)
            goto out;
    }
    if (a.test) {
        if (load_aux("test", a.test, a.test_labels, &a, task, train, &test) != EXIT_OK) goto out;
        nnt_dataset_free(builtin_test);
        builtin_test = NULL;
    } else if (builtin_test) {
        test = builtin_test;
        builtin_test = NULL;
    }

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

    a.mopt.loss = NNT_LOSS_AUTO; /* the trainer picks the loss that fits the task and scaling */
    a.topt.task = task;
    a.topt.progress = on_progress;
    a.topt.userdata = &pst;
    a.topt.report_batches = pst.mode == SHOW_LIVE;
    cli_catch_interrupt();

    int status = nnt_train(&td, &a.mopt, &a.topt, &model, &res, &err);
    if (pst.mode == SHOW_LIVE) cli_line_clear();
    if (status < 0) {
        cli_lib_error(CMD, status, &err);
        goto out;
    }
    char stext[128];
    status_text(stext, sizeof stext, status, &res, a.topt.max_epochs);
    if (status == NNT_DIVERGED || !model) {
        if (a.json) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "event", json_object_new_string("done"));
            json_object_object_add(o, "status",
                                   json_object_new_string(status_key(status, &res, a.topt.max_epochs)));
            json_object_object_add(o, "epochs_run", json_object_new_int(res.epochs_run));
            cli_json_emit(o);
        }
        if (status == NNT_DIVERGED)
            cli_error(CMD, "training %s (the loss became non-finite); no model written. "
                      "Try a smaller --lr or scaling the inputs.", stext);
        else
            cli_error(CMD, "training stopped (%s) before an epoch completed; no model written",
                      status_key(status, &res, a.topt.max_epochs));
        if (cli_interrupted()) rc = cli_interrupt_exit();
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

    nnt_metric mon = a.topt.monitor;
    if (mon == NNT_METRIC_AUTO) mon = is_classification(task) ? NNT_METRIC_ACCURACY : NNT_METRIC_LOSS;
    int has_valid = td.n_valid > 0;
    const nnt_metrics *last_train = res.epochs_run > 0 && res.history ? &res.history[res.epochs_run - 1].train
                                                                     : &res.best_train;
    if (a.json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "event", json_object_new_string("done"));
        json_object_object_add(o, "status", json_object_new_string(status_key(status, &res, a.topt.max_epochs)));
        json_object_object_add(o, "task", json_object_new_string(cli_task_name(task)));
        json_object_object_add(o, "epochs_run", json_object_new_int(res.epochs_run));
        json_object_object_add(o, "best_epoch", json_object_new_int(res.best_epoch));
        json_object_object_add(o, "monitor", json_object_new_string(nnt_metric_name(mon)));
        if (has_valid) {
            json_object_object_add(o, "best_value", cli_json_num(nnt_metrics_get(&res.best_valid, mon)));
            json_object_object_add(o, "best_valid", cli_json_metrics(&res.best_valid));
        }
        json_object_object_add(o, "best_train", cli_json_metrics(&res.best_train));
        if (have_test_eval) {
            json_object *t = cli_json_metrics(&test_eval.metrics);
            json_object_object_add(t, "n", json_object_new_int64((int64_t)test_eval.n));
            json_object_object_add(o, "test", t);
        }
        json_object_object_add(o, "seconds", cli_json_num(res.seconds));
        json_object_object_add(o, "model", json_object_new_string(a.out));
        cli_json_emit(o);
    } else {
        char buf[256], dur[32];
        printf("status: %s\n", stext);
        if (has_valid && res.best_epoch > 0) {
            printf("best validation %s: %.4f (epoch %d)  [%s]\n", nnt_metric_name(mon),
                   nnt_metrics_get(&res.best_valid, mon), res.best_epoch,
                   cli_fmt_metrics(buf, sizeof buf, "val_", &res.best_valid));
        } else if (res.epochs_run > 0) {
            printf("final training metrics: %s\n", cli_fmt_metrics(buf, sizeof buf, "", last_train));
        }
        if (have_test_eval)
            printf("test (%zu rows): %s\n", test_eval.n,
                   cli_fmt_metrics(buf, sizeof buf, "test_", &test_eval.metrics));
        printf("model saved to %s (%s)\n", a.out, cli_fmt_duration(res.seconds, dur, sizeof dur));
        fflush(stdout);
    }
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
