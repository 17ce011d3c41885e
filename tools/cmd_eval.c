/* nntune eval: evaluate a saved model on labelled data. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"

static const char *const CMD = "eval";

static void usage(FILE *f)
{
    fprintf(f,
"usage: nntune eval --model FILE --data FILE [OPTIONS]\n"
"\n"
"Evaluates a saved model on labelled data: loss, accuracy and the confusion\n"
"matrix for classification; RMSE, MAE and R^2 for regression.\n"
"\n"
"  -m, --model FILE    model file written by 'nntune train'\n"
"  -d, --data FILE     labelled data: CSV, IDX images (with --labels), or\n"
"                      'fashion-mnist' (its test set)\n"
"      --labels FILE   IDX label file\n"
"      --json          print one JSON object instead of text\n"
"\n"
"A CSV is read by column name through the model's input schema: columns may\n"
"come in any order, extra columns are ignored, missing ones are an error.\n"
"      --delimiter C   CSV field delimiter (default: detected from the header)\n"
"  -h, --help          show this help\n"
"\n"
"Exit status: 0 success, 1 data or runtime error, 2 usage error.\n"
"\n"
"Examples:\n"
"  nntune eval -m model.nnt -d test.csv\n"
"  nntune eval -m fmnist.nnt -d fashion-mnist --json\n");
}

enum { O_JSON = 256, O_LABELS };

static const struct option long_opts[] = {
    {"model", required_argument, NULL, 'm'},
    {"data", required_argument, NULL, 'd'},
    {"labels", required_argument, NULL, O_LABELS},
    {"json", no_argument, NULL, O_JSON},
    CLI_DATA_LONG_OPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *class_label(const nnt_model *m, int c, char *buf, size_t n)
{
    if (c < nnt_model_num_classes(m)) return nnt_model_class_name(m, c);
    snprintf(buf, n, "%d", c);
    return buf;
}

static void print_text(const nnt_model *m, const nnt_eval *e)
{
    const nnt_metrics *x = &e->metrics;
    printf("rows      %zu\n", e->n);
    printf("loss      %.6f\n", x->loss);
    if (isfinite(x->accuracy)) printf("accuracy  %.4f\n", x->accuracy);
    if (isfinite(x->rmse)) printf("rmse      %.6g\n", x->rmse);
    if (isfinite(x->mae)) printf("mae       %.6g\n", x->mae);
    if (isfinite(x->r2)) printf("r2        %.4f\n", x->r2);
    if (!e->confusion || e->n_classes <= 0) return;

    int k = e->n_classes;
    char buf[32];
    int *w = malloc(sizeof *w * (size_t)k);
    if (!w) return;
    int w0 = (int)strlen("true \\ predicted");
    for (int c = 0; c < k; c++) {
        int l = (int)strlen(class_label(m, c, buf, sizeof buf));
        if (l > w0) w0 = l;
        w[c] = l > 4 ? l : 4;
    }
    for (int c = 0; c < k; c++)
        for (int p = 0; p < k; p++) {
            int l = snprintf(buf, sizeof buf, "%llu", (unsigned long long)e->confusion[c * k + p]);
            if (l > w[p]) w[p] = l;
        }
    printf("\nconfusion matrix (rows: true class, columns: predicted class)\n");
    printf("%-*s", w0, "true \\ predicted");
    for (int p = 0; p < k; p++) printf("  %*s", w[p], class_label(m, p, buf, sizeof buf));
    printf("  %8s\n", "recall");
    for (int c = 0; c < k; c++) {
        printf("%-*s", w0, class_label(m, c, buf, sizeof buf));
        uint64_t row = 0;
        for (int p = 0; p < k; p++) {
            row += e->confusion[c * k + p];
            printf("  %*llu", w[p], (unsigned long long)e->confusion[c * k + p]);
        }
        if (row) printf("  %8.4f\n", (double)e->confusion[c * k + c] / (double)row);
        else printf("  %8s\n", "-");
    }
    free(w);
}

static void print_json(const nnt_model *m, const nnt_eval *e)
{
    json_object *o = cli_json_metrics(&e->metrics);
    json_object_object_add(o, "n", json_object_new_int64((int64_t)e->n));
    if (e->confusion && e->n_classes > 0) {
        int k = e->n_classes;
        char buf[32];
        json_object *names = json_object_new_array();
        json_object *conf = json_object_new_array();
        for (int c = 0; c < k; c++) {
            json_object_array_add(names, json_object_new_string(class_label(m, c, buf, sizeof buf)));
            json_object *row = json_object_new_array();
            for (int p = 0; p < k; p++)
                json_object_array_add(row, json_object_new_int64((int64_t)e->confusion[c * k + p]));
            json_object_array_add(conf, row);
        }
        json_object_object_add(o, "classes", names);
        json_object_object_add(o, "confusion", conf);
    }
    cli_json_emit(o);
}

int cmd_eval(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL, *labels = NULL;
    int json = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":m:d:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return EXIT_OK;
        case 'm': model_path = optarg; break;
        case 'd': data = optarg; break;
        case O_LABELS: labels = optarg; break;
        case O_JSON: json = 1; break;
        default: /* --delimiter, --ignore, --missing, or getopt's error */
            if (cli_model_data_option(CMD, c, optarg, argv, long_opts) != EXIT_OK) return EXIT_USAGE;
            break;
        }
    }
    if (cli_model_data_required(CMD, argc, argv, model_path, data) != EXIT_OK) return EXIT_USAGE;

    nnt_error err;
    nnt_error_clear(&err);
    nnt_model *m = NULL;
    nnt_dataset *ds = NULL;
    const char **names = NULL;
    nnt_eval ev;
    memset(&ev, 0, sizeof ev);
    int rc = nnt_model_load(model_path, &m, &err);
    if (rc < 0) return cli_lib_error(CMD, rc, &err);
    rc = EXIT_RUNTIME;

    nnt_task task = nnt_model_task(m);
    if (cli_load_model_data(CMD, m, model_path, data, labels, task, 0, &ds) != EXIT_OK) goto done;
    if (task != NNT_TASK_AUTOENCODE && !nnt_dataset_has_target(ds)) {
        cli_error(CMD, "'%s' has no target values to evaluate against", data);
        goto done;
    }
    cli_warn_prediction_input(CMD, data, ds);
    int k = nnt_model_num_classes(m);
    if ((task == NNT_TASK_CLASSIFY || task == NNT_TASK_BINARY) && k > 0) {
        names = malloc(sizeof *names * (size_t)k);
        if (!names) {
            cli_error(CMD, "out of memory");
            goto done;
        }
        for (int i = 0; i < k; i++) names[i] = nnt_model_class_name(m, i);
        if (cli_remap_classes(CMD, data, ds, names, k) != EXIT_OK) goto done;
    }
    /* After the remap: the classes counted are the model's. */
    if (!json) cli_print_task_line(stdout, data, ds, task, model_path);
    int erc = nnt_model_evaluate(m, ds, NULL, nnt_dataset_rows(ds), &ev, &err);
    if (erc < 0) {
        cli_lib_error(CMD, erc, &err);
        goto done;
    }
    if (json) print_json(m, &ev);
    else print_text(m, &ev);
    fflush(stdout);
    rc = ferror(stdout) ? EXIT_RUNTIME : EXIT_OK;

done:
    nnt_eval_free(&ev);
    free(names);
    nnt_dataset_free(ds);
    nnt_model_free(m);
    return rc;
}
