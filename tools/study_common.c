/* Helpers shared by the study commands. */
#include "study_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"

int sc_open_read(const char *cmd, const char *path, const char *name, nnt_storage **st,
                 nnt_study_record *rec, nnt_trial_record **trials, size_t *n)
{
    nnt_error err;
    nnt_error_clear(&err);
    int r = nnt_storage_open_sqlite(path, NNT_STORAGE_READONLY, st, &err);
    if (r < 0) return cli_lib_error(cmd, r, &err);
    r = nnt_storage_find_study(*st, name, rec, &err);
    if (r < 0) {
        nnt_storage_close(*st);
        *st = NULL;
        return cli_lib_error(cmd, r, &err);
    }
    r = nnt_storage_trials_load(*st, rec->id, trials, n, &err);
    if (r < 0) {
        nnt_study_record_free(rec);
        nnt_storage_close(*st);
        *st = NULL;
        return cli_lib_error(cmd, r, &err);
    }
    return EXIT_OK;
}

int sc_best(const nnt_trial_record *t, size_t n, int maximize)
{
    return nnt_trials_best(t, n, maximize);
}

static const nnt_trial_record *rank_t;
static int rank_max;

static int cmp_rank(const void *a, const void *b)
{
    return nnt_trial_compare(&rank_t[*(const size_t *)a], &rank_t[*(const size_t *)b], rank_max);
}

void sc_rank(const nnt_trial_record *t, size_t n, int maximize, size_t *order)
{
    for (size_t i = 0; i < n; i++) order[i] = i;
    rank_t = t; /* qsort has no context argument; the CLI is single-threaded here */
    rank_max = maximize;
    qsort(order, n, sizeof *order, cmp_rank);
}

const char *sc_selection_text(char *buf, size_t n, const nnt_study_summary *sum, int has_valid)
{
    int k = 0;
    if (sum->n_folds > 1) {
        k = snprintf(buf, n, "%d-fold cross-validation", sum->n_folds);
        if (sum->cv_auto && sum->small_data)
            k += snprintf(buf + k, n - (size_t)k, " (small data: %zu rows < %d)", sum->tuned_rows,
                          NNT_SMALL_DATA_ROWS);
    } else if (has_valid) {
        k = snprintf(buf, n, "hold-out validation on the separate validation set");
    } else {
        k = snprintf(buf, n, "hold-out validation");
        if (sum->cv_auto && !sum->small_data)
            k += snprintf(buf + k, n - (size_t)k, " (%zu rows >= %d)", sum->tuned_rows,
                          NNT_SMALL_DATA_ROWS);
    }
    if (k < 0 || (size_t)k >= n) return buf;
    if (sum->refit_planned)
        k += snprintf(buf + k, n - (size_t)k, "; best configuration refit on all %zu training rows",
                      sum->tuned_rows);
    else if (sum->small_data && !has_valid)
        k += snprintf(buf + k, n - (size_t)k, "; no refit: the best trial's own model is kept");
    if (k < 0 || (size_t)k >= n) return buf;
    if (sum->ensemble && sum->n_folds > 1)
        snprintf(buf + k, n - (size_t)k, "%s the %d fold models averaged",
                 sum->refit_planned ? ", with" : ";", sum->n_folds);
    return buf;
}

int sc_ties_line(FILE *f, const nnt_study_record *rec, const nnt_trial_record *t, size_t n)
{
    int tied = nnt_trials_tied(t, n, rec->maximize);
    if (tied < 2) return tied;
    int b = nnt_trials_best(t, n, rec->maximize);
    size_t complete = 0;
    for (size_t i = 0; i < n; i++) complete += t[i].state == NNT_TRIAL_COMPLETE;
    char v[32], l[32];
    fprintf(f, "Ties: %d of %zu complete trials have %s %s; trial %d has the lowest validation "
               "loss among them (%s)",
            tied, complete, rec->metric, sc_fmt_value(v, sizeof v, t[b].value), t[b].number,
            sc_fmt_value(l, sizeof l, t[b].valid_loss));
    if (isfinite(t[b].n_params)) fprintf(f, ", %.0f parameters", t[b].n_params);
    fprintf(f, "\n");
    if (nnt_ties_noteworthy(tied, (int)complete)) {
        int folds = 1;
        nnt_study_definition d;
        if (nnt_study_definition_parse(rec->definition, &d, NULL) == NNT_OK) folds = d.cv_folds;
        nnt_study_definition_free(&d);
        if (folds > 1)
            fprintf(f, "Note: %d trials tie at the best value: the data is too small to tell "
                       "them apart by %s. More data, or more folds (--cv), would separate them.\n",
                    tied, rec->metric);
        else
            fprintf(f, "Note: %d trials tie at the best value: the validation data is too small "
                       "to tell them apart. Use more validation data (--valid-fraction) or "
                       "cross-validation (--cv 5).\n",
                    tied);
    }
    return tied;
}

const char *sc_fmt_value(char *buf, size_t n, double v)
{
    if (!isfinite(v)) snprintf(buf, n, "-");
    else if (fabs(v) <= 1e4 && (v == 0 || fabs(v) >= 1e-3)) snprintf(buf, n, "%.4f", v);
    else snprintf(buf, n, "%.4g", v);
    return buf;
}

void sc_leaderboard(FILE *f, const nnt_study_record *rec, const nnt_trial_record *t, size_t n,
                    int top)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return;
    sc_rank(t, n, rec->maximize, order);
    size_t complete = 0;
    for (size_t i = 0; i < n; i++) complete += t[i].state == NNT_TRIAL_COMPLETE;
    char name[160];
    fprintf(f, "Leaderboard of study '%s' (%zu trial%s, %zu complete; %s, %s is better):\n",
            cli_shown(rec->name, name, sizeof name), n, n == 1 ? "" : "s", complete, rec->metric, rec->maximize ? "higher" : "lower");
    fprintf(f, "  %-4s  %-6s  %-10s  %-8s  %-6s  %-8s  %s\n", "rank", "trial", rec->metric,
            "spread", "epochs", "time", "params");
    int shown = 0;
    for (size_t k = 0; k < n && shown < top; k++) {
        const nnt_trial_record *r = &t[order[k]];
        if (r->state != NNT_TRIAL_COMPLETE || !isfinite(r->value)) break;
        char v[32], s[32], d[32], params[2048];
        fprintf(f, "  %-4d  %-6d  %-10s  %-8s  %-6d  %-8s  %s\n", shown + 1, r->number,
                sc_fmt_value(v, sizeof v, r->value), sc_fmt_value(s, sizeof s, r->value_spread),
                r->epochs, cli_fmt_duration(r->duration, d, sizeof d),
                cli_shown(r->params, params, sizeof params));
        shown++;
    }
    if (shown == 0) fprintf(f, "  (no complete trial)\n");
    free(order);
}

/* ---- multi-objective ---------------------------------------------------------- */

/* Cost names of user objectives, kept for the life of the command (its
 * tables print them after sc_objectives returns). */
static char sc_cost_names[NNT_MAX_OBJECTIVES][65];

int sc_objectives(const nnt_study_record *rec, const char **names, int *maximize)
{
    int k = 1;
    names[0] = rec->metric ? rec->metric : "value";
    maximize[0] = rec->maximize;
    nnt_study_definition d;
    if (nnt_study_definition_parse(rec->definition, &d, NULL) == NNT_OK) {
        for (int i = 1; i < d.n_objectives && k < NNT_MAX_OBJECTIVES; i++) {
            /* nntune's costs, or the names a user objective gave its own */
            if (!d.objective && nnt_cost_from_name(d.objectives[i]) < 0) continue;
            snprintf(sc_cost_names[k], sizeof sc_cost_names[k], "%s", d.objectives[i]);
            names[k] = sc_cost_names[k];
            maximize[k++] = 0;
        }
    }
    nnt_study_definition_free(&d);
    return k;
}

/* Library messages name option keys; the command's user knows flags. */
int sc_study_error(const char *cmd, int code, const nnt_error *err)
{
    static const char *const map[][2] = {
        {"set options.force", "pass --force"}, {"not even options.force", "not even --force"},
        {"options.force", "--force"},
        {"another study.name", "another --study name"}, {"study.name", "--study name"},        {"another storage file", "another --storage file"},
        {"(budget.trials)", "(--trials)"},     {"(budget.time)", "(--time)"},
    };
    if (!err || !err->message[0]) return cli_lib_error(cmd, code, err);
    nnt_error e = *err;
    char out[sizeof e.message];
    for (size_t m = 0; m < sizeof map / sizeof map[0]; m++) {
        const char *hit = strstr(e.message, map[m][0]);
        if (!hit) continue;
        snprintf(out, sizeof out, "%.*s%s%s", (int)(hit - e.message), e.message, map[m][1],
                 hit + strlen(map[m][0]));
        snprintf(e.message, sizeof e.message, "%s", out);
    }
    return cli_lib_error(cmd, code, &e);
}

int sc_pareto(const nnt_study_record *rec, const nnt_trial_record *t, size_t n, size_t *idx)
{
    const char *names[NNT_MAX_OBJECTIVES];
    int maximize[NNT_MAX_OBJECTIVES];
    int k = sc_objectives(rec, names, maximize);
    if (k < 2) return 0;
    double *pts = malloc((n ? n : 1) * (size_t)k * sizeof *pts);
    int *map = malloc((n ? n : 1) * sizeof *map);
    int *front = malloc((n ? n : 1) * sizeof *front);
    int m = 0, r = NNT_ERR_NOMEM;
    if (pts && map && front) {
        for (size_t i = 0; i < n; i++) {
            if (t[i].state != NNT_TRIAL_COMPLETE || t[i].n_values != k) continue;
            for (int j = 0; j < k; j++) pts[(size_t)m * k + j] = t[i].values[j];
            map[m++] = (int)i;
        }
        nnt_error err;
        r = nnt_pareto_front(pts, m, k, maximize, front, &err);
        if (r > 0) {
            nnt_pareto_sort(pts, k, maximize, 0, front, r);
            for (int i = 0; i < r; i++) idx[i] = (size_t)map[front[i]];
        }
    }
    free(pts);
    free(map);
    free(front);
    return r;
}

const char *sc_fmt_objective(char *buf, size_t n, const char *name, double v)
{
    if (!isfinite(v)) snprintf(buf, n, "-");
    else if (!strcmp(name, "params")) {
        if (v >= 1e6) snprintf(buf, n, "%.2fM", v / 1e6);
        else if (v >= 1e4) snprintf(buf, n, "%.1fk", v / 1e3);
        else snprintf(buf, n, "%.0f", v);
    } else if (!strcmp(name, "infer_time")) snprintf(buf, n, "%.3g us", v);
    else if (!strcmp(name, "train_time")) snprintf(buf, n, "%.3g s", v);
    else sc_fmt_value(buf, n, v);
    return buf;
}

int sc_pareto_table(FILE *f, const nnt_study_record *rec, const nnt_trial_record *t, size_t n)
{
    const char *names[NNT_MAX_OBJECTIVES];
    int maximize[NNT_MAX_OBJECTIVES];
    int k = sc_objectives(rec, names, maximize);
    if (k < 2) return 0;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) return 0;
    int m = sc_pareto(rec, t, n, idx);
    size_t complete = 0;
    for (size_t i = 0; i < n; i++) complete += t[i].state == NNT_TRIAL_COMPLETE;
    char shown[160];
    fprintf(f, "Pareto front of study '%s' (%d of %zu complete trials; %s %s",
            cli_shown(rec->name, shown, sizeof shown),
            m > 0 ? m : 0, complete, names[0], maximize[0] ? "higher" : "lower");
    for (int j = 1; j < k; j++) fprintf(f, ", %s lower", names[j]);
    fprintf(f, " is better):\n");
    fprintf(f, "  %-6s  %-10s", "trial", names[0]);
    for (int j = 1; j < k; j++) fprintf(f, "  %-10s", names[j]);
    fprintf(f, "  %-6s  %s\n", "epochs", "hyperparameters");
    for (int i = 0; i < m; i++) {
        const nnt_trial_record *r = &t[idx[i]];
        char v[32];
        fprintf(f, "  %-6d  %-10s", r->number, sc_fmt_value(v, sizeof v, r->values[0]));
        for (int j = 1; j < k; j++) fprintf(f, "  %-10s", sc_fmt_objective(v, sizeof v, names[j], r->values[j]));
        fprintf(f, "  %-6d  %s\n", r->epochs, r->params ? r->params : "");
    }
    if (m <= 0) fprintf(f, "  (no complete trial with every objective measured)\n");
    free(idx);
    return m > 0 ? m : 0;
}

int sc_report_load(const char *cmd, const char *path, const char *study,
                   const nnt_report_options *ro, nnt_report **out)
{
    nnt_error err;
    nnt_error_clear(&err);
    nnt_storage *st = NULL;
    *out = NULL;
    int r = nnt_storage_open_sqlite(path, NNT_STORAGE_READONLY, &st, &err);
    if (r < 0) return cli_lib_error(cmd, r, &err);
    r = nnt_report_load(st, study, ro, out, &err);
    nnt_storage_close(st);
    if (r < 0) return cli_lib_error(cmd, r, &err);
    return EXIT_OK;
}

int sc_study_open(const char *cmd, int argc, char **argv, const char *name, sc_study *s)
{
    const char *path;
    memset(s, 0, sizeof *s);
    int rc = cli_one_operand(cmd, argc, argv, "STORAGE", &path);
    if (rc == EXIT_OK) rc = sc_open_read(cmd, path, name, &s->st, &s->rec, &s->t, &s->n);
    if (rc != EXIT_OK) return rc;
    nnt_study_definition d;
    if (nnt_study_definition_parse(s->rec.definition, &d, NULL) == NNT_OK)
        s->user = d.objective != NULL;
    nnt_study_definition_free(&d);
    return EXIT_OK;
}

void sc_study_close(sc_study *s)
{
    nnt_trial_records_free(s->t, s->n);
    nnt_study_record_free(&s->rec);
    nnt_storage_close(s->st);
    memset(s, 0, sizeof *s);
}

int sc_report_operand(const char *cmd, int argc, char **argv, const char *study,
                      const nnt_report_options *ro, nnt_report **out)
{
    const char *path;
    *out = NULL;
    int rc = cli_one_operand(cmd, argc, argv, "STORAGE", &path);
    if (rc != EXIT_OK) return rc;
    return sc_report_load(cmd, path, study, ro, out);
}

/* A study that ends without a completed trial has nothing to show for it:
 * exit 1 and say why (what the trials ended as, and the first error). */
int sc_no_complete_trial(const char *cmd, nnt_storage *storage, const char *study,
                         const nnt_study_summary *sum)
{
    nnt_study_record rec;
    memset(&rec, 0, sizeof rec);
    nnt_trial_record *trials = NULL;
    size_t nt = 0;
    nnt_error err;
    nnt_error_clear(&err);
    const char *why = NULL;
    if (nnt_storage_find_study(storage, study, &rec, &err) == NNT_OK &&
        nnt_storage_trials_load(storage, rec.id, &trials, &nt, &err) == NNT_OK)
        for (size_t i = 0; i < nt && !why; i++)
            if (trials[i].state == NNT_TRIAL_FAILED && trials[i].error) why = trials[i].error;
    if (sum->n_trials == 0)
        cli_error(cmd, "no trial completed: the study ran no trial (is the budget spent?)");
    else if (why)
        cli_error(cmd, "no trial completed (%d failed, %d pruned); first error: %s", sum->n_failed,
                  sum->n_pruned, why);
    else
        cli_error(cmd, "no trial completed (%d failed, %d pruned)%s", sum->n_failed, sum->n_pruned,
                  sum->n_pruned > 0 && sum->n_failed == 0 ? ": the pruner stopped every trial" : "");
    nnt_trial_records_free(trials, nt);
    nnt_study_record_free(&rec);
    return EXIT_RUNTIME;
}

int sc_base_options_vs_space(const char *cmd, const char *src, nnt_space *space,
                             int default_space, const nnt_study_file *sf)
{
    for (int i = 0; i < sf->n_base; i++) {
        int k = nnt_space_find(space, sf->base_names[i]);
        if (k < 0) continue;
        nnt_param_info info;
        nnt_space_info(space, k, &info);
        if (default_space && info.kind == NNT_PARAM_FIXED) {
            nnt_error err;
            if (nnt_space_set_spec(space, sf->base_names[i], sf->base_values[i], &err) < 0) {
                cli_error(cmd, "%s: study.options.%s: %s", src, sf->base_names[i], err.message);
                return -1;
            }
            continue;
        }
        cli_warn(cmd, "%s: study.options.%s (%s) has no effect: the search space %s '%s' "
                 "(a parameter of the space overrides the base option; remove it from the space "
                 "to fix its value)", src, sf->base_names[i], sf->base_values[i],
                 info.kind == NNT_PARAM_FIXED ? "fixes" : "searches", sf->base_names[i]);
    }
    return 0;
}
