/* nntune importance: how much of the objective's variation each tuned
 * hyperparameter explains (nnt_param_importance: main effects over a random
 * forest fitted to the complete trials, or, when a pruner stopped most
 * trials, to every trial that reached a common epoch; docs/report.md).
 * The numbers come from nnt_report_load's summary, the same computation the
 * HTML report and its summary in words show, so they agree to the digit. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "study_common.h"

#define CMD "importance"
#define MIN_TRIALS 4
#define WANT_TRIALS NNT_IMPORTANCE_WANT_TRIALS

static void usage(FILE *f)
{
    fprintf(f,
"usage: nntune importance STORAGE [--study NAME] [--format table|json]\n"
"\n"
"Estimates how much of the variation of the objective each tuned\n"
"hyperparameter explains on its own (main effect), from the complete trials\n"
"of a study (default: the most recent study in STORAGE): a random forest is\n"
"fitted to (parameters -> value) and each parameter's partial dependence is\n"
"compared with the total variance. Each share is the part of the variance\n"
"that parameter explains on its own; together they explain at most 100 %%,\n"
"the rest comes from interactions and noise. The same numbers as in\n"
"`nntune report`. When a pruner stopped most trials (fewer than %d\n"
"complete), every trial that reached a common epoch is scored by its best\n"
"validation value up to it: the deepest epoch %d trials reached. Needs at\n"
"least %d trials; estimates firm up with a few dozen.\n"
"\n"
"  --study NAME          the study\n"
"  --format table|json   output format (default table)\n"
"  --seed S              seed of the forest (default 1)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 done, 1 too few complete trials or a storage error, 2 usage error.\n"
"\n"
"Examples:\n"
"  nntune importance study.db\n"
"  nntune importance study.db --study wide --format json\n",
            WANT_TRIALS, WANT_TRIALS, MIN_TRIALS);
}

/* The shortest text that reads back to the same double, as the report's JSON
 * writes it: both JSON forms carry the same numbers, digit for digit. */
static json_object *exact_num(double v)
{
    if (!isfinite(v)) return NULL;
    char s[32];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(s, sizeof s, "%.*g", prec, v);
        if (strtod(s, NULL) == v) break;
    }
    return json_object_new_double_s(v, s);
}

int cmd_importance(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *study = NULL;
    int json = 0, c;
    nnt_report_options ro = nnt_report_options_default();
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's': study = optarg; break;
        case 'f':
            if (!strcmp(optarg, "json")) json = 1;
            else if (!strcmp(optarg, "table")) json = 0;
            else return cli_usage_error(CMD, "--format: expected table or json, got '%s'", optarg);
            break;
        case 'S':
            if (cli_parse_u64(CMD, "--seed", optarg, &ro.seed) < 0) return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_getopt_error(CMD, c, argv, opts);
        }
    }
    const char *path;
    int urc = cli_one_operand(CMD, argc, argv, "STORAGE", &path);
    if (urc != EXIT_OK) return urc;

    nnt_report *rep = NULL;
    int r = sc_report_load(CMD, path, study, &ro, &rep);
    if (r != EXIT_OK) return r;
    const nnt_report_summary *s = nnt_report_get_summary(rep);
    if (s->importance_note || s->n_params == 0) {
        const char *why = s->importance_note ? s->importance_note : "its search space is empty";
        cli_error(CMD, "study '%s': %s%s", s->study, why,
                  strstr(why, "needs at least") ? ": run more trials first" : "");
        nnt_report_free(rep);
        return EXIT_RUNTIME;
    }

    if (json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "study", json_object_new_string(s->study));
        json_object_object_add(o, "metric", json_object_new_string(s->metric));
        json_object_object_add(o, "trials", json_object_new_int(s->importance_trials));
        /* 0: final values of complete trials; E: best value up to epoch E */
        json_object_object_add(o, "epoch", json_object_new_int(s->importance_epoch));
        json_object_object_add(o, "explained", exact_num(s->importance_explained));
        json_object *a = json_object_new_array();
        for (int k = 0; k < s->n_params; k++) {
            const nnt_report_param *q = &s->params[s->importance_order[k]];
            if (q->kind == NNT_PARAM_FIXED) continue;
            json_object *e = json_object_new_object();
            json_object_object_add(e, "param", json_object_new_string(q->name));
            json_object_object_add(e, "importance", exact_num(q->importance));
            json_object_array_add(a, e);
        }
        json_object_object_add(o, "importance", a);
        cli_json_print(o);
        json_object_put(o);
    } else {
        char name[160];
        cli_shown(s->study, name, sizeof name);
        if (s->importance_epoch > 0)
            printf("Hyperparameter importance of study '%s' (%s; %d trials scored by their best "
                   "value up to epoch %d,\nas only %d of %d trials completed):\n",
                   name, s->metric, s->importance_trials, s->importance_epoch, s->n_complete,
                   s->n_complete + s->n_pruned);
        else
            printf("Hyperparameter importance of study '%s' (%d complete trials, %s):\n", name,
                   s->importance_trials, s->metric);
        printf("Share of the variance each parameter explains on its own:\n");
        int w = 0;
        for (int k = 0; k < s->n_params; k++)
            if ((int)strlen(s->params[k].name) > w) w = (int)strlen(s->params[k].name);
        const int bar = 40; /* characters for 100 % */
        for (int k = 0; k < s->n_params; k++) {
            const nnt_report_param *q = &s->params[s->importance_order[k]];
            if (q->kind == NNT_PARAM_FIXED) continue;
            double v = isfinite(q->importance) ? q->importance : 0;
            /* the format of the HTML bars and the summary ("%.1f%%") */
            printf("  %-*s  %5.1f%%  ", w, q->name, 100 * v);
            for (int b = 0; b < (int)lround(v * bar); b++) fputs("#", stdout);
            printf("\n");
        }
        if (s->importance_explained > 0)
            printf("Main effects together explain %.1f%% of the variance; the rest comes from "
                   "interactions between parameters and noise.\n",
                   100 * s->importance_explained);
        else
            printf("The objective does not vary with any parameter over these trials.\n");
        if (s->importance_trials < WANT_TRIALS)
            printf("Few trials: treat these shares as a rough guide.\n");
    }
    nnt_report_free(rep);
    return EXIT_OK;
}
