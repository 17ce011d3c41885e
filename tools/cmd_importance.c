/* nntune importance: how much of the objective's variation each tuned
 * hyperparameter explains (nnt_param_importance: main effects over a random
 * forest fitted to the complete trials, or, when a pruner stopped most
 * trials, to every trial that reached a common epoch;
 * docs/tpe-and-pruning.md). */
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
"compared with the total variance. Each share is of the whole variance, the\n"
"same number the report shows; what the shares leave out is interactions and\n"
"noise (JSON also gives each share normalised over the parameters).\n"
"When a pruner stopped most trials (fewer than %d complete), every trial that\n"
"reached a common epoch is scored by its best validation value up to it:\n"
"the deepest epoch %d trials reached. Needs at least %d trials; estimates\n"
"firm up with a few dozen.\n"
"\n"
"  --study NAME          the study\n"
"  --format table|json   output format (default table)\n"
"  --seed S              seed of the forest (default 1)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 done, 1 too few complete trials or a storage error, 2 usage error.\n",
            WANT_TRIALS, WANT_TRIALS, MIN_TRIALS);
}

typedef struct entry {
    int index;
    const char *name;
    double raw;   /* nnt_param_importance's share of the variance */
    double share; /* normalised to sum to 1 over the tuned parameters */
} entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->raw != y->raw) return x->raw > y->raw ? -1 : 1;
    return x->index - y->index;
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
    uint64_t seed = 1;
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
            if (cli_parse_u64(CMD, "--seed", optarg, &seed) < 0) return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_getopt_error(CMD, c, argv);
        }
    }
    const char *path;
    int urc = cli_one_operand(CMD, argc, argv, "STORAGE", &path);
    if (urc != EXIT_OK) return urc;

    nnt_storage st;
    nnt_study_record rec;
    nnt_trial_record *t = NULL;
    size_t n = 0;
    int rc = sc_open_read(CMD, path, study, &st, &rec, &t, &n);
    if (rc != EXIT_OK) return rc;

    nnt_space *space = NULL;
    nnt_trial_view *views = NULL;
    double *xs = NULL, *imp = NULL, **curves = NULL;
    uint8_t *act = NULL;
    entry *ent = NULL;
    nnt_error err;
    nnt_error_clear(&err);

    json_object *def = rec.definition ? json_tokener_parse(rec.definition) : NULL;
    json_object *sp = NULL;
    if (!def || !json_object_object_get_ex(def, "space", &sp) ||
        nnt_space_from_json(json_object_to_json_string_ext(sp, JSON_C_TO_STRING_PLAIN), &space,
                            &err) < 0) {
        cli_error(CMD, "study '%s': its stored definition has no readable search space%s%s",
                  rec.name, err.message[0] ? ": " : "", err.message);
        rc = EXIT_RUNTIME;
        goto done;
    }
    int d = nnt_space_size(space);
    views = calloc(n ? n : 1, sizeof *views);
    xs = calloc((n ? n : 1) * (size_t)(d ? d : 1), sizeof *xs);
    act = calloc((n ? n : 1) * (size_t)(d ? d : 1), 1);
    imp = calloc((size_t)(d ? d : 1), sizeof *imp);
    ent = calloc((size_t)(d ? d : 1), sizeof *ent);
    if (!views || !xs || !act || !imp || !ent) {
        cli_error(CMD, "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    curves = calloc(n ? n : 1, sizeof *curves);
    if (!curves) {
        cli_error(CMD, "out of memory");
        rc = EXIT_RUNTIME;
        goto done;
    }
    /* The complete and pruned trials whose parameters fit the space (a study
     * resumed with --force may hold trials of an older space), with their
     * fold-0 validation curves, oriented so that lower is better. */
    int m = 0, n_complete = 0;
    nnt_metric metric = (nnt_metric)nnt_metric_from_name(rec.metric);
    for (size_t i = 0; i < n; i++) {
        if ((t[i].state != NNT_TRIAL_COMPLETE && t[i].state != NNT_TRIAL_PRUNED) ||
            !isfinite(t[i].value))
            continue;
        double *x = xs + (size_t)m * d;
        uint8_t *a = act + (size_t)m * d;
        nnt_error perr;
        if (nnt_space_params_from_json(space, t[i].params ? t[i].params : "{}", x, a, &perr) < 0)
            continue;
        nnt_trial_view *v = &views[m];
        v->number = t[i].number;
        v->state = t[i].state;
        v->x = x;
        v->active = a;
        v->value = rec.maximize ? -t[i].value : t[i].value;
        nnt_epoch_row *rows = NULL;
        size_t nr = 0;
        if (st.epochs_load(st.ctx, rec.id, t[i].number, &rows, &nr, &err) == NNT_OK && nr > 0 &&
            (curves[m] = malloc(nr * sizeof *curves[m])) != NULL) {
            for (size_t k = 0; k < nr && rows[k].fold == 0; k++) {
                double y = nnt_metrics_get(&rows[k].valid, metric);
                curves[m][v->epochs++] = rec.maximize ? -y : y;
            }
            v->intermediate = curves[m];
        }
        nnt_epoch_rows_free(rows);
        nnt_error_clear(&err);
        n_complete += t[i].state == NNT_TRIAL_COMPLETE;
        m++;
    }
    nnt_history h = {views, m};
    nnt_importance_options io = nnt_importance_options_default();
    io.seed = seed;
    io.epoch = nnt_importance_pick_epoch(&h, WANT_TRIALS);
    int scored = n_complete;
    if (io.epoch > 0) {
        scored = 0;
        for (int i = 0; i < m; i++) scored += views[i].epochs >= io.epoch;
    }
    if (scored < MIN_TRIALS) {
        cli_error(CMD,
                  "study '%s' has %d complete trial%s; importance needs at least %d (a few "
                  "dozen for firm estimates): run more trials first",
                  rec.name, n_complete, n_complete == 1 ? "" : "s", MIN_TRIALS);
        rc = EXIT_RUNTIME;
        goto done;
    }
    int r = nnt_param_importance(space, &h, &io, imp, &err);
    if (r < 0) {
        rc = cli_lib_error(CMD, r, &err);
        goto done;
    }
    int ne = 0;
    double total = 0;
    for (int p = 0; p < d; p++) {
        nnt_param_info info;
        nnt_space_info(space, p, &info);
        if (info.kind == NNT_PARAM_FIXED) continue;
        ent[ne].index = p;
        ent[ne].name = info.name;
        ent[ne].raw = isfinite(imp[p]) ? imp[p] : 0;
        total += ent[ne].raw;
        ne++;
    }
    for (int k = 0; k < ne; k++) ent[k].share = total > 0 ? ent[k].raw / total : 0;
    qsort(ent, (size_t)ne, sizeof *ent, cmp_entry);

    if (json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "study", json_object_new_string(rec.name));
        json_object_object_add(o, "metric", json_object_new_string(rec.metric));
        json_object_object_add(o, "trials", json_object_new_int(scored));
        /* 0: final values of complete trials; E: best value up to epoch E */
        json_object_object_add(o, "epoch", json_object_new_int(io.epoch));
        json_object_object_add(o, "explained", cli_json_num(total));
        json_object *a = json_object_new_array();
        for (int k = 0; k < ne; k++) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "param", json_object_new_string(ent[k].name));
            json_object_object_add(e, "share", cli_json_num(ent[k].share));
            json_object_object_add(e, "importance", cli_json_num(ent[k].raw));
            json_object_array_add(a, e);
        }
        json_object_object_add(o, "importance", a);
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    } else {
        if (io.epoch > 0)
            printf("Hyperparameter importance of study '%s' (%s; %d trials scored by their best "
                   "value up to epoch %d,\nas only %d of %d trials completed):\n",
                   rec.name, rec.metric, scored, io.epoch, n_complete, m);
        else
            printf("Hyperparameter importance of study '%s' (%d complete trials, %s):\n", rec.name,
                   scored, rec.metric);
        int w = 0;
        for (int k = 0; k < ne; k++)
            if ((int)strlen(ent[k].name) > w) w = (int)strlen(ent[k].name);
        /* The share of the whole variance, as the report and its summary
         * give it (one number per parameter everywhere); the bars are
         * scaled to the largest share. */
        const int bar = 40;
        double top = ne > 0 ? ent[0].raw : 0;
        for (int k = 0; k < ne; k++) {
            int len = top > 0 ? (int)lround(ent[k].raw / top * bar) : 0;
            printf("  %-*s  %5.1f%%  ", w, ent[k].name, 100 * ent[k].raw);
            for (int b = 0; b < len; b++) fputs("#", stdout);
            printf("\n");
        }
        if (total > 0)
            printf("Shares of the variance of the fitted surrogate: together %.0f%%; the rest "
                   "comes from interactions between parameters and noise.\n",
                   100 * (total > 1 ? 1 : total));
        else
            printf("The objective does not vary with any parameter over these trials.\n");
        if (scored < WANT_TRIALS) printf("Few trials: treat these shares as a rough guide.\n");
    }
done:
    json_object_put(def);
    for (size_t i = 0; curves && i < n; i++) free(curves[i]);
    free(curves);
    free(views);
    free(xs);
    free(act);
    free(imp);
    free(ent);
    nnt_space_free(space);
    nnt_trial_records_free(t, n);
    nnt_study_record_free(&rec);
    nnt_storage_close(&st);
    return rc;
}
