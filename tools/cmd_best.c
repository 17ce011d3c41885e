/* nntune best: the best trial of a study and where its model is. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "study_common.h"

#define CMD "best"

static void usage(FILE *f)
{
    fprintf(f,
"usage: nntune best STORAGE [--study NAME] [--json]\n"
"\n"
"Prints the best complete trial of a study (default: the most recent study in\n"
"STORAGE): its number, value, parameters, and where its model is. For a\n"
"multi-objective study (--objective accuracy,params) it also prints the Pareto\n"
"front: the complete trials that no other trial beats in every objective.\n"
"\n"
"  --study NAME     the study\n"
"  --json           one JSON object\n"
"  -h, --help       this help\n"
"\n"
"Exit status: 0 found, 1 no complete trial or a storage error, 2 usage error.\n"
"\n"
"Examples:\n"
"  nntune best study.db\n"
"  nntune best study.db --study wide --json\n");
}

/* A trial's objective values as a JSON array (in the order of "objectives"). */
static json_object *values_json(const nnt_trial_record *r)
{
    json_object *a = json_object_new_array();
    for (int j = 0; j < r->n_values; j++) json_object_array_add(a, cli_json_num(r->values[j]));
    return a;
}

/* The stored test evaluation of the best trial's model ({"rows": N,
 * "accuracy": ..., "refit": {...}}), in words; nothing when there is none. */
static void print_test(const char *test_info, const char *metric)
{
    json_object *o = test_info ? json_tokener_parse(test_info) : NULL, *v, *rf, *tt;
    if (!o) return;
    char a[32], d[32];
    if (json_object_object_get_ex(o, metric, &v)) {
        printf("test:    %s %s", metric, sc_fmt_value(a, sizeof a, json_object_get_double(v)));
        if (json_object_object_get_ex(o, "rows", &v)) printf(" (%lld rows)", (long long)json_object_get_int64(v));
        printf("\n");
    }
    if (json_object_object_get_ex(o, "refit", &rf)) {
        json_object *e = NULL, *rows = NULL, *sec = NULL;
        json_object_object_get_ex(rf, "epochs", &e);
        json_object_object_get_ex(rf, "rows", &rows);
        json_object_object_get_ex(rf, "seconds", &sec);
        printf("refit:   the model is this configuration retrained on %lld rows for %d epochs (%s)",
               (long long)json_object_get_int64(rows), json_object_get_int(e),
               cli_fmt_duration(json_object_get_double(sec), d, sizeof d));
        if (json_object_object_get_ex(rf, "ensemble", &v) && json_object_get_int(v) > 1)
            printf(", averaged with the trial's %d fold models", json_object_get_int(v) - 1);
        if (json_object_object_get_ex(rf, "trial_test", &tt) &&
            json_object_object_get_ex(tt, metric, &v))
            printf("; the trial's own model: test %s %s", metric,
                   sc_fmt_value(a, sizeof a, json_object_get_double(v)));
        printf("\n");
    }
    json_object_put(o);
}

int cmd_best(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *study = NULL;
    int json = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's': study = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_getopt_error(CMD, c, argv, opts);
        }
    }
    sc_study sd;
    int rc = sc_study_open(CMD, argc, argv, study, &sd);
    if (rc != EXIT_OK) return rc;
    int b = sc_best(sd.t, sd.n, sd.rec.maximize);
    if (b < 0) {
        cli_error(CMD, "study '%s' has no complete trial yet (%zu trial%s)", sd.rec.name, sd.n,
                  sd.n == 1 ? "" : "s");
        rc = EXIT_RUNTIME;
    } else {
        const nnt_trial_record *r = &sd.t[b];
        int exists = r->model_path && access(r->model_path, R_OK) == 0;
        if (json) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "study", json_object_new_string(sd.rec.name));
            json_object_object_add(o, "trial", json_object_new_int(r->number));
            json_object_object_add(o, "metric", json_object_new_string(sd.rec.metric));
            json_object_object_add(o, "value", cli_json_num(r->value));
            json_object_object_add(o, "value_spread", cli_json_num(r->value_spread));
            json_object_object_add(o, "epochs", json_object_new_int(r->epochs));
            json_object_object_add(o, "duration", cli_json_num(r->duration));
            json_object_object_add(o, "seed", json_object_new_uint64(r->seed));
            json_object_object_add(o, "params", r->params ? json_tokener_parse(r->params) : NULL);
            json_object_object_add(o, "model", r->model_path ? json_object_new_string(r->model_path) : NULL);
            json_object_object_add(o, "model_exists", json_object_new_boolean(exists));
            json_object_object_add(o, "valid_loss", cli_json_num(r->valid_loss));
            json_object_object_add(o, "n_params", cli_json_num(r->n_params));
            json_object_object_add(o, "tied", json_object_new_int(nnt_trials_tied(sd.t, sd.n, sd.rec.maximize)));
            /* The stored test evaluation, refit details included, as stored. */
            if (r->test_info) json_object_object_add(o, "test", json_tokener_parse(r->test_info));
            const char *names[NNT_MAX_OBJECTIVES];
            int maximize[NNT_MAX_OBJECTIVES];
            int k = sc_objectives(&sd.rec, names, maximize);
            if (k > 1) {
                json_object *obj = json_object_new_array();
                for (int j = 0; j < k; j++) json_object_array_add(obj, json_object_new_string(names[j]));
                json_object_object_add(o, "objectives", obj);
                json_object_object_add(o, "values", values_json(r));
                size_t *idx = malloc((sd.n ? sd.n : 1) * sizeof *idx);
                int m = idx ? sc_pareto(&sd.rec, sd.t, sd.n, idx) : 0;
                json_object *front = json_object_new_array();
                for (int i = 0; i < m; i++) {
                    json_object *e = json_object_new_object();
                    json_object_object_add(e, "trial", json_object_new_int(sd.t[idx[i]].number));
                    json_object_object_add(e, "values", values_json(&sd.t[idx[i]]));
                    json_object_object_add(e, "epochs", json_object_new_int(sd.t[idx[i]].epochs));
                    json_object_object_add(e, "params", sd.t[idx[i]].params ? json_tokener_parse(sd.t[idx[i]].params) : NULL);
                    json_object_array_add(front, e);
                }
                json_object_object_add(o, "pareto_front", front);
                free(idx);
            }
            cli_json_print(o);
            json_object_put(o);
        } else {
            char v[32], s[32], d[32];
            char name[160];
            printf("study:   %s (%zu trial%s)\n", cli_shown(sd.rec.name, name, sizeof name), sd.n,
                   sd.n == 1 ? "" : "s");
            printf("best:    trial %d\n", r->number);
            printf("%-8s %s", sd.rec.metric, sc_fmt_value(v, sizeof v, r->value));
            if (isfinite(r->value_spread)) printf(" (sd %s over folds)", sc_fmt_value(s, sizeof s, r->value_spread));
            printf("\n");
            char params[2048];
            printf("params:  %s\n", cli_shown(r->params ? r->params : "{}", params, sizeof params));
            sc_ties_line(stdout, &sd.rec, sd.t, sd.n);
            /* A user objective counts its own steps and saves no model. */
            printf("%-8s %d in %s, seed %llu\n", sd.user ? "steps:" : "epochs:", r->epochs,
                   cli_fmt_duration(r->duration, d, sizeof d), (unsigned long long)r->seed);
            if (r->model_path)
                printf("model:   %s%s\n", r->model_path, exists ? "" : " (missing)");
            else if (!sd.user)
                printf("model:   not saved\n");
            print_test(r->test_info, sd.rec.metric);
            const char *names[NNT_MAX_OBJECTIVES];
            int maximize[NNT_MAX_OBJECTIVES];
            if (sc_objectives(&sd.rec, names, maximize) > 1) {
                printf("\n");
                sc_pareto_table(stdout, &sd.rec, sd.t, sd.n);
            }
        }
    }
    sc_study_close(&sd);
    return rc;
}
