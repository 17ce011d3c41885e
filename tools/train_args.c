/* nntune train: its usage text and its options. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "train_cli.h"

#define CMD TRAIN_CMD

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

/* The name tables of the library's enums (the X-macros next to them). */
#define NAME_(id, name) name,
static const char *const activation_names[] = {NNT_ACTIVATION_MAP(NAME_)};
static const char *const optimizer_names[] = {NNT_OPTIMIZER_MAP(NAME_)};
static const char *const schedule_names[] = {NNT_SCHEDULE_MAP(NAME_)};
static const char *const metric_names[] = {NNT_METRIC_MAP(NAME_)};
#undef NAME_
static const char *const scaling_names[] = {"auto", "none", "standard", "pixels"};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A name for option opt (from_name). An unknown one is named by its kind
 * (word), as the library does, with the first count names of the table:
 * "unknown activation 'x' (expected relu, ... or identity)". Returns 0, or
 * -1 with the usage error printed. */
static int parse_name(const char *opt, const char *word, const char *s,
                      int (*from_name)(const char *), const char *const *names, int count,
                      int *out)
{
    int v = from_name(s);
    if (v < 0) {
        char list[256];
        size_t used = 0;
        list[0] = '\0';
        for (int i = 0; i < count && used < sizeof list; i++) {
            const char *sep = i == 0 ? "" : i == count - 1 ? " or " : ", ";
            int w = snprintf(list + used, sizeof list - used, "%s%s", sep, names[i]);
            if (w < 0) break;
            used += (size_t)w;
        }
        cli_usage_error(CMD, "%s: unknown %s '%s' (expected %s)", opt, word, s, list);
        return -1;
    }
    *out = v;
    return 0;
}

static int scaling_from_name(const char *s)
{
    for (int i = 0; i < COUNT(scaling_names); i++)
        if (!strcmp(s, scaling_names[i])) return i;
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

/* The defaults of the command (not all the library's: see --help). */
static void set_defaults(train_args *a)
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
}

/* What no single option can check: options that need or exclude each
 * other, the output file, the dropout list against the hidden layers.
 * Returns -1 to go on, else the exit status (error printed). */
static int check_args(train_args *a)
{
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

int train_parse_args(int argc, char **argv, train_args *a)
{
    set_defaults(a);
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
            if (parse_name(on, "scaling", optarg, scaling_from_name, scaling_names,
                           COUNT(scaling_names), &v))
                return EXIT_USAGE;
            a->topt.scaling = (nnt_scaling)v;
            break;
        case O_HIDDEN:
            if (cli_parse_int_list(CMD, on, optarg, 1, 1 << 20, a->mopt.hidden, NNT_MAX_HIDDEN,
                                   &a->mopt.n_hidden))
                return EXIT_USAGE;
            break;
        case O_ACTIVATION:
            if (parse_name(on, "activation", optarg, nnt_activation_from_name, activation_names,
                           NNT_ACT_SOFTMAX, &v))
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
            if (parse_name(on, "optimizer", optarg, nnt_optimizer_from_name, optimizer_names,
                           COUNT(optimizer_names), &v))
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
            if (parse_name(on, "schedule", optarg, nnt_schedule_from_name, schedule_names,
                           COUNT(schedule_names), &v))
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
            if (parse_name(on, "metric", optarg, monitor_from_name, metric_names,
                           COUNT(metric_names), &v))
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
    return check_args(a);
}
