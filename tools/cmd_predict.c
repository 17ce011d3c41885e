/* nntune predict: apply a saved model to data and write predictions as CSV. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"

static const char *const CMD = "predict";

static void usage(FILE *f)
{
    fprintf(f,
"usage: nntune predict --model FILE --data FILE [OPTIONS]\n"
"\n"
"Writes one CSV row of predictions per input row. Classification:\n"
"  prediction,p_<class1>,p_<class2>,...   (predicted class and probabilities)\n"
"Regression: a single 'prediction' column. A CSV input is read by column\n"
"name through the model's input schema: any order, extra columns (the\n"
"target, IDs) ignored, a missing feature column is an error naming it;\n"
"categories and missing-value fills are applied as in training.\n"
"\n"
"  -m, --model FILE    model file written by 'nntune train'\n"
"  -d, --data FILE     input: CSV, IDX images, or 'fashion-mnist' (its test set)\n"
"      --labels FILE   IDX label file (makes --data an IDX image file)\n"
"  -o, --out FILE      write the CSV here (atomically) instead of stdout\n"
"      --delimiter C   CSV field delimiter (default: detected from the header)\n"
"  -h, --help          show this help\n"
"\n"
"Exit status: 0 success, 1 data or runtime error, 2 usage error.\n"
"\n"
"Examples:\n"
"  nntune predict -m model.nnt -d new.csv -o predictions.csv\n"
"  nntune predict -m model.nnt -d new.csv | head\n");
}

static const struct option long_opts[] = {
    {"model", required_argument, NULL, 'm'},
    {"data", required_argument, NULL, 'd'},
    {"labels", required_argument, NULL, 'L'},
    {"out", required_argument, NULL, 'o'},
    CLI_DATA_LONG_OPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* CSV header cell: prefix + name, quoted as a whole when needed. */
static void header_cell(FILE *f, const char *prefix, const char *name)
{
    size_t n = strlen(prefix) + strlen(name) + 1;
    char *s = malloc(n);
    if (!s) {
        fputs(prefix, f);
        return;
    }
    snprintf(s, n, "%s%s", prefix, name);
    cli_csv_field(f, s);
    free(s);
}

static void write_header(FILE *f, const nnt_model *m, nnt_task task, int outputs)
{
    int k = nnt_model_num_classes(m);
    char idx[32];
    if (task == NNT_TASK_CLASSIFY || task == NNT_TASK_BINARY) {
        int classes = task == NNT_TASK_BINARY ? 2 : outputs;
        fputs("prediction", f);
        for (int c = 0; c < classes; c++) {
            snprintf(idx, sizeof idx, "%d", c);
            fputc(',', f);
            header_cell(f, "p_", c < k ? nnt_model_class_name(m, c) : idx);
        }
    } else if (task == NNT_TASK_AUTOENCODE) {
        for (int j = 0; j < outputs; j++) {
            const char *name = nnt_model_feature_name(m, (size_t)j);
            snprintf(idx, sizeof idx, "x%d", j);
            if (j) fputc(',', f);
            header_cell(f, "r_", name ? name : idx);
        }
    } else if (outputs == 1) {
        fputs("prediction", f);
    } else {
        for (int j = 0; j < outputs; j++) fprintf(f, "%sprediction_%d", j ? "," : "", j);
    }
    fputc('\n', f);
}

static void write_row(FILE *f, const nnt_model *m, nnt_task task, int outputs, const float *y)
{
    int k = nnt_model_num_classes(m);
    if (task == NNT_TASK_CLASSIFY || task == NNT_TASK_BINARY) {
        float probs2[2];
        const float *p = y;
        int classes = outputs;
        if (task == NNT_TASK_BINARY) {
            probs2[0] = 1.0f - y[0];
            probs2[1] = y[0];
            p = probs2;
            classes = 2;
        }
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (p[c] > p[best]) best = c;
        if (best < k) cli_csv_field(f, nnt_model_class_name(m, best));
        else fprintf(f, "%d", best);
        for (int c = 0; c < classes; c++) fprintf(f, ",%.6g", p[c]);
    } else {
        for (int j = 0; j < outputs; j++) fprintf(f, "%s%.9g", j ? "," : "", y[j]);
    }
    fputc('\n', f);
}

int cmd_predict(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL, *labels = NULL, *out_path = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":m:d:o:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return EXIT_OK;
        case 'm': model_path = optarg; break;
        case 'd': data = optarg; break;
        case 'L': labels = optarg; break;
        case 'o': out_path = optarg; break;
        default: /* --delimiter, --ignore, --missing, or getopt's error */
            if (cli_model_data_option(CMD, c, optarg, argv, long_opts) != EXIT_OK) return EXIT_USAGE;
            break;
        }
    }
    if (cli_model_data_required(CMD, argc, argv, model_path, data) != EXIT_OK) return EXIT_USAGE;
    if (cli_check_output(CMD, "--out", out_path) != EXIT_OK) return EXIT_RUNTIME;

    nnt_error err;
    nnt_error_clear(&err);
    nnt_model *m = NULL;
    nnt_dataset *ds = NULL;
    float *y = NULL;
    uint32_t *rows = NULL;
    cli_out out = {0};
    int rc = nnt_model_load(model_path, &m, &err);
    if (rc < 0) return cli_lib_error(CMD, rc, &err);
    rc = EXIT_RUNTIME;

    nnt_task task = nnt_model_task(m);
    const nnt_model_options *mo = nnt_model_get_options(m);
    if (task == NNT_TASK_AUTO) /* a model without metadata: go by its loss */
        task = mo->loss == NNT_LOSS_SQUARED_ERROR ? NNT_TASK_REGRESS
             : mo->loss == NNT_LOSS_BINARY_CROSS_ENTROPY ? NNT_TASK_BINARY
             : mo->loss == NNT_LOSS_RECONSTRUCTION_CE ? NNT_TASK_AUTOENCODE
                                                      : NNT_TASK_CLASSIFY;

    if (cli_load_model_data(CMD, m, model_path, data, labels, task, 1, &ds) != EXIT_OK) goto done;
    size_t nf = nnt_dataset_features(ds);
    cli_warn_prediction_input(CMD, data, ds);
    /* Without a schema (a model trained on arrays) columns go by position. */
    for (size_t j = 0; !nnt_model_schema(m) && j < nf; j++) {
        const char *want = nnt_model_feature_name(m, j), *got = nnt_dataset_feature_name(ds, j);
        if (want && got && strcmp(want, got) != 0) {
            cli_warn(CMD, "column %zu of '%s' is '%s' but the model was trained on '%s'", j + 1,
                     data, got, want);
            break;
        }
    }

    int outputs = mo->outputs;
    const size_t chunk = 1024;
    size_t n = nnt_dataset_rows(ds);
    y = malloc(sizeof *y * chunk * (size_t)outputs);
    rows = malloc(sizeof *rows * chunk);
    if (!y || !rows) {
        cli_error(CMD, "out of memory");
        goto done;
    }
    if (cli_out_open(CMD, &out, out_path) != EXIT_OK) goto done;
    /* Ctrl-C / SIGTERM: the temporary file is removed and the previous output
     * file stays as it was; exit 130 / 143. */
    cli_catch_interrupt();
    write_header(out.f, m, task, outputs);
    for (size_t start = 0; start < n && !cli_interrupted(); start += chunk) {
        size_t k = n - start < chunk ? n - start : chunk;
        for (size_t i = 0; i < k; i++) rows[i] = (uint32_t)(start + i);
        int prc = nnt_model_predict(m, ds, rows, k, y, &err);
        if (prc < 0) {
            cli_lib_error(CMD, prc, &err);
            cli_out_abort(&out);
            goto done;
        }
        /* checked per row too: a signal only interrupts one blocked write
         * (a FIFO whose reader stopped reading), the next one would block */
        for (size_t i = 0; i < k && !cli_interrupted(); i++)
            write_row(out.f, m, task, outputs, y + i * (size_t)outputs);
    }
    if (cli_interrupted()) {
        if (out_path && strcmp(out_path, "-"))
            cli_error(CMD, "interrupted by %s; output to '%s' abandoned (a file keeps its "
                      "previous contents)", cli_interrupt_name(), out_path);
        else
            cli_error(CMD, "interrupted by %s; the output is incomplete", cli_interrupt_name());
        cli_out_abort(&out);
        rc = cli_interrupt_exit();
        goto done;
    }
    rc = cli_out_commit(CMD, &out);

done:
    if (rc != EXIT_OK) cli_out_abort(&out);
    free(rows);
    free(y);
    nnt_dataset_free(ds);
    nnt_model_free(m);
    return rc;
}
