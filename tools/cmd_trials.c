/* nntune trials: list the trials of a study. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "study_common.h"

#define CMD "trials"

static void usage(FILE *f)
{
    fprintf(f,
"usage: nntune trials STORAGE [--study NAME] [--sort] [--format table|csv|json]\n"
"\n"
"Lists the trials of a study (default: the most recent study in STORAGE).\n"
"Works while the study runs.\n"
"\n"
"  --study NAME     the study to list\n"
"  --sort           best first (complete trials by value, ties by validation loss\n"
"                   then parameter count; then pruned ones, then the rest)\n"
"                   instead of by trial number\n"
"  --format F       table (default), csv or json\n"
"  -h, --help       this help\n"
"\n"
"Exit status: 0 listed, 1 storage error, 2 usage error.\n"
"\n"
"Examples:\n"
"  nntune trials study.db --sort\n"
"  nntune trials study.db --study wide --format csv > trials.csv\n");
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.17g", v);
}

int cmd_trials(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, NULL, 's'},
        {"sort", no_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *study = NULL, *format = "table";
    int sort = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's': study = optarg; break;
        case 'S': sort = 1; break;
        case 'f':
            if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
                return cli_usage_error(CMD, "--format: expected table, csv or json, got '%s'", optarg);
            format = optarg;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_getopt_error(CMD, c, argv, opts);
        }
    }
    sc_study sd;
    int rc = sc_study_open(CMD, argc, argv, study, &sd);
    if (rc != EXIT_OK) return rc;
    size_t *order = malloc((sd.n ? sd.n : 1) * sizeof *order);
    if (!order) {
        cli_error(CMD, "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    if (sort) sc_rank(sd.t, sd.n, sd.rec.maximize, order);
    else
        for (size_t i = 0; i < sd.n; i++) order[i] = i;
    /* A study run over MPI shows the worker rank of each trial. */
    int ranks = 0;
    for (size_t i = 0; i < sd.n; i++) ranks |= sd.t[i].rank >= 1;

    if (!strcmp(format, "csv")) {
        printf("number,state,value,value_spread,epochs,duration,seed,started,finished,interrupted,"
               "retry_of,model,params,error%s\n", ranks ? ",rank" : "");
        for (size_t k = 0; k < sd.n; k++) {
            const nnt_trial_record *r = &sd.t[order[k]];
            printf("%d,%s,", r->number, nnt_trial_state_name(r->state));
            csv_num(stdout, r->value);
            putchar(',');
            csv_num(stdout, r->value_spread);
            printf(",%d,", r->epochs);
            csv_num(stdout, r->duration);
            printf(",%llu,", (unsigned long long)r->seed);
            csv_num(stdout, r->started);
            putchar(',');
            csv_num(stdout, r->finished);
            printf(",%d,", r->interrupted);
            if (r->retry_of >= 0) printf("%d", r->retry_of);
            putchar(',');
            cli_csv_field(stdout, r->model_path ? r->model_path : "");
            putchar(',');
            cli_csv_field(stdout, r->params ? r->params : "");
            putchar(',');
            cli_csv_field(stdout, r->error ? r->error : "");
            if (ranks && r->rank >= 1) printf(",%d", r->rank);
            else if (ranks) putchar(',');
            putchar('\n');
        }
    } else if (!strcmp(format, "json")) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "study", json_object_new_string(sd.rec.name));
        json_object_object_add(o, "metric", json_object_new_string(sd.rec.metric));
        json_object_object_add(o, "direction",
                               json_object_new_string(sd.rec.maximize ? "maximize" : "minimize"));
        json_object *a = json_object_new_array();
        for (size_t k = 0; k < sd.n; k++) {
            const nnt_trial_record *r = &sd.t[order[k]];
            json_object *j = json_object_new_object();
            json_object_object_add(j, "number", json_object_new_int(r->number));
            json_object_object_add(j, "state", json_object_new_string(nnt_trial_state_name(r->state)));
            json_object_object_add(j, "value", cli_json_num(r->value));
            json_object_object_add(j, "value_spread", cli_json_num(r->value_spread));
            /* The tie-breakers of the best-trial rule (nnt_trial_compare). */
            json_object_object_add(j, "valid_loss", cli_json_num(r->valid_loss));
            json_object_object_add(j, "n_params", cli_json_num(r->n_params));
            json_object_object_add(j, "epochs", json_object_new_int(r->epochs));
            json_object_object_add(j, "duration", cli_json_num(r->duration));
            json_object_object_add(j, "seed", json_object_new_uint64(r->seed));
            json_object_object_add(j, "params", r->params ? json_tokener_parse(r->params) : NULL);
            if (r->error) json_object_object_add(j, "error", json_object_new_string(r->error));
            if (r->interrupted) json_object_object_add(j, "interrupted", json_object_new_boolean(1));
            if (r->retry_of >= 0) json_object_object_add(j, "retry_of", json_object_new_int(r->retry_of));
            if (r->model_path) json_object_object_add(j, "model", json_object_new_string(r->model_path));
            if (r->rank >= 1) json_object_object_add(j, "rank", json_object_new_int(r->rank));
            json_object_array_add(a, j);
        }
        json_object_object_add(o, "trials", a);
        cli_json_print(o);
        json_object_put(o);
    } else {
        char name[160], error[400], params[2048];
        printf("study '%s': %zu trial%s (%s, %s is better)\n", cli_shown(sd.rec.name, name, sizeof name),
               sd.n, sd.n == 1 ? "" : "s", sd.rec.metric, sd.rec.maximize ? "higher" : "lower");
        printf("%-6s  %s%-8s  %-10s  %-8s  %-6s  %-8s  %s\n", "trial", ranks ? "rank  " : "", "state",
               sd.rec.metric, "spread", "epochs", "time", "params / error");
        for (size_t k = 0; k < sd.n; k++) {
            const nnt_trial_record *r = &sd.t[order[k]];
            char v[32], s[32], d[32], rk[16] = "";
            if (ranks && r->rank >= 1) snprintf(rk, sizeof rk, "%-4d  ", r->rank);
            else if (ranks) snprintf(rk, sizeof rk, "%-4s  ", "-");
            printf("%-6d  %s%-8s  %-10s  %-8s  %-6d  %-8s  %s%s%s\n", r->number,
                   rk, nnt_trial_state_name(r->state), sc_fmt_value(v, sizeof v, r->value),
                   sc_fmt_value(s, sizeof s, r->value_spread), r->epochs,
                   isfinite(r->duration) ? cli_fmt_duration(r->duration, d, sizeof d) : "-",
                   cli_shown(r->params, params, sizeof params), r->error ? "  " : "",
                   r->error ? cli_shown(r->error, error, sizeof error) : "");
        }
    }
done:
    free(order);
    sc_study_close(&sd);
    return rc;
}
