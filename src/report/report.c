/* Loading a study for a report and computing its summary: ranking, best
 * regions, importance, overfitting, divergence and the suggested space. The
 * rules are documented in docs/report.md. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"
#include "nntune/study.h" /* nnt_trial_compare: the best-trial rule */
#include "report/report_internal.h"

/* Reads the objective metric out of a trial's stored test evaluation
 * ({"rows": N, "accuracy": ..., "refit": {"epochs": E, "rows": R, ...}}), and
 * the refit it was measured on, if any; 0 when there is none. */
static int best_test_value(const char *test_info, const char *metric, nnt_report_summary *s)
{
    if (!test_info || !metric) return 0;
    json_object *o = json_tokener_parse(test_info), *v = NULL, *rf = NULL;
    int ok = o && json_object_object_get_ex(o, metric, &v) &&
             (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int));
    if (ok) s->test_value = json_object_get_double(v);
    if (ok && json_object_object_get_ex(o, "refit", &rf) && json_object_is_type(rf, json_type_object)) {
        if (json_object_object_get_ex(rf, "epochs", &v)) s->refit_epochs = json_object_get_int(v);
        if (json_object_object_get_ex(rf, "rows", &v)) s->refit_rows = (long)json_object_get_int64(v);
    }
    json_object_put(o);
    return ok;
}

nnt_report_options nnt_report_options_default(void)
{
    nnt_report_options o;
    o.top_k = 5;
    o.top_fraction = 0.2;
    o.seed = 1;
    return o;
}

int nnt_report_format_from_name(const char *name)
{
    if (!name) return -1;
    if (!strcmp(name, "html")) return NNT_REPORT_HTML;
    if (!strcmp(name, "md") || !strcmp(name, "markdown")) return NNT_REPORT_MD;
    if (!strcmp(name, "csv")) return NNT_REPORT_CSV;
    if (!strcmp(name, "json")) return NNT_REPORT_JSON;
    return -1;
}

double nnt__report_metric(const nnt_metrics *m, const char *name)
{
    if (!name) return NAN;
    /* nntune's metric names map through the one table (src/nn/names.c); a
     * user objective's value of its own name is stored as loss. */
    int k = nnt_metric_from_name(name);
    return k > NNT_METRIC_AUTO ? nnt_metrics_get(m, (nnt_metric)k) : m->loss;
}

/* Metrics where larger is better, whatever the study optimises. */
int nnt__report_metric_up(const char *name)
{
    int k = nnt_metric_from_name(name);
    return k > NNT_METRIC_AUTO && nnt_metric_maximize((nnt_metric)k);
}

double nnt__report_orient(const nnt_report *r, double v)
{
    return r->study.maximize ? -v : v;
}

/* ---- Parameter text ------------------------------------------------------- */
const char *nnt__report_param_text(const nnt_report *r, const rtrial *t, int p, char buf[32])
{
    if (!t->x_ok || !t->active[p]) return "-";
    const nnt_param_info *in = &r->info[p];
    if (in->kind == NNT_PARAM_CATEGORICAL || in->kind == NNT_PARAM_FIXED) {
        const char *c = nnt_space_choice(r->space, p, (int)t->x[p]);
        return c ? c : "?";
    }
    if (in->kind == NNT_PARAM_INT) {
        snprintf(buf, 32, "%.0f", t->x[p]);
        return buf;
    }
    return nnt__fmt_short(buf, t->x[p]);
}

void nnt__report_hover(const nnt_report *r, const rtrial *t, rbuf *b)
{
    char v[32];
    nnt__rb_printf(b, "trial %d (%s)", t->rec->number, nnt_trial_state_name(t->rec->state));
    if (isfinite(t->rec->value)) {
        nnt__rb_puts(b, ": ");
        nnt__rb_xml(b, r->study.metric);
        nnt__rb_printf(b, " %s", nnt__fmt_value(v, t->rec->value));
    }
    for (int k = 1; k < r->n_objectives && k < t->rec->n_values; k++) {
        nnt__rb_puts(b, ", ");
        nnt__rb_xml(b, r->obj_names[k]);
        nnt__rb_printf(b, " %s", nnt__fmt_short(v, t->rec->values[k]));
    }
    if (t->x_ok) {
        int first = 1;
        for (int p = 0; p < r->np; p++) {
            if (!t->active[p] || r->info[p].kind == NNT_PARAM_FIXED) continue;
            nnt__rb_puts(b, first ? "; " : ", ");
            first = 0;
            nnt__rb_xml(b, r->info[p].name);
            nnt__rb_puts(b, "=");
            nnt__rb_xml(b, nnt__report_param_text(r, t, p, v));
        }
    } else if (t->rec->params) {
        nnt__rb_puts(b, "; ");
        nnt__rb_xml(b, t->rec->params);
    }
    if (t->rec->error) {
        nnt__rb_puts(b, "; error: ");
        nnt__rb_xml(b, t->rec->error);
    }
}

/* ---- Loading -------------------------------------------------------------- */
static void free_params(nnt_report *r)
{
    if (!r->params) return;
    for (int p = 0; p < r->np; p++) {
        nnt__free((void *)r->params[p].choices);
        nnt__free((void *)r->params[p].choice_count);
        nnt__free((void *)r->params[p].choice_top);
    }
    nnt__free(r->params);
}

void nnt_report_free(nnt_report *r)
{
    if (!r) return;
    for (int i = 0; r->t && i < r->n; i++) {
        nnt__free(r->t[i].x);
        nnt__free(r->t[i].active);
        nnt_epoch_rows_free(r->t[i].rows);
    }
    nnt__free(r->t);
    nnt_trial_records_free(r->recs, r->n_recs);
    nnt_study_record_free(&r->study);
    free_params(r);
    nnt_space_free(r->space);
    nnt__free(r->info);
    nnt__free(r->ranked);
    nnt__free(r->imp_order);
    nnt__free(r->overfit);
    nnt__free(r->overfit_listed);
    nnt__free(r->diverged);
    nnt__free(r->importance_note);
    nnt__free(r->suggested);
    nnt__free(r->space_json);
    nnt__free(r->objective_json);
    for (int k = 0; k < NNT_MAX_OBJECTIVES; k++) nnt__free(r->obj_names[k]);
    nnt__free(r->pareto);
    nnt__free(r->pareto_numbers);
    nnt__free(r);
}

const nnt_report_summary *nnt_report_get_summary(const nnt_report *r)
{
    return &r->sum;
}

/* Reads what the report needs from the stored definition: the space (as
 * text and parsed), the objective, and how many objectives it names. A
 * definition without a readable space is not an error: the report then has
 * no per-parameter sections. */
static int read_definition(nnt_report *r, nnt_error *err)
{
    nnt_study_definition def;
    int have = nnt_study_definition_parse(r->study.definition, &def, NULL) == NNT_OK;
    /* "objectives": [metric, cost, ...]; costs are minimised */
    r->n_objectives = 1;
    r->obj_names[0] = nnt__strdup(r->study.metric ? r->study.metric : "value");
    r->obj_max[0] = r->study.maximize;
    for (int k = 1; have && k < def.n_objectives && k < NNT_MAX_OBJECTIVES; k++) {
        r->obj_names[k] = nnt__strdup(def.objectives[k]);
        r->obj_max[k] = nnt__report_metric_up(def.objectives[k]);
        r->n_objectives = k + 1;
    }
    int rc = NNT_OK;
    for (int k = 0; k < r->n_objectives; k++)
        if (!r->obj_names[k]) rc = nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    json_object *obj = rc == NNT_OK ? json_object_new_object() : NULL;
    if (rc == NNT_OK && !obj) rc = nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    if (obj) {
        json_object_object_add(obj, "metric", json_object_new_string(r->study.metric ? r->study.metric : "accuracy"));
        json_object_object_add(obj, "direction",
                               json_object_new_string(r->study.maximize ? "maximize" : "minimize"));
        r->objective_json = nnt__strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_SPACED));
        json_object_put(obj);
        if (!r->objective_json) rc = nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    if (rc == NNT_OK && have && def.space) {
        r->space_json = nnt__strdup(def.space);
        if (!r->space_json) rc = nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
        /* the space as its objective reads it (any names for a user objective) */
        else if (nnt_study_definition_space(&def, &r->space, NULL) != NNT_OK) r->space = NULL;
    }
    if (have) nnt_study_definition_free(&def);
    return rc;
}

/* Ranking by the one best-trial rule (nnt_trial_compare). */
typedef struct rank_key {
    const nnt_trial_record *rec;
    int maximize, idx;
} rank_key;

static int cmp_rank(const void *a, const void *b)
{
    const rank_key *x = a, *y = b;
    return nnt_trial_compare(x->rec, y->rec, x->maximize);
}

static int load_trials(nnt_report *r, nnt_storage *st, nnt_error *err)
{
    int rc = nnt_storage_trials_load(st, r->study.id, &r->recs, &r->n_recs, err);
    if (rc != NNT_OK) return rc;
    r->n = (int)r->n_recs;
    r->t = nnt__calloc(r->n ? (size_t)r->n : 1, sizeof *r->t);
    if (!r->t) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    for (int i = 0; i < r->n; i++) {
        rtrial *t = &r->t[i];
        t->rec = &r->recs[i];
        t->oriented = NAN;
        if ((t->rec->state == NNT_TRIAL_COMPLETE || t->rec->state == NNT_TRIAL_PRUNED) &&
            isfinite(t->rec->value))
            t->oriented = nnt__report_orient(r, t->rec->value);
        if (r->space && r->np > 0) {
            t->x = nnt__malloc_array((size_t)r->np, sizeof *t->x);
            t->active = nnt__malloc((size_t)r->np);
            if (!t->x || !t->active) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
            t->x_ok = t->rec->params &&
                      nnt_space_params_from_json(r->space, t->rec->params, t->x, t->active, NULL) ==
                          NNT_OK;
        }
        rc = nnt_storage_epochs_load(st, r->study.id, t->rec->number, &t->rows, &t->n_rows, err);
        if (rc != NNT_OK) return rc;
        while ((size_t)t->n_rows0 < t->n_rows && t->rows[t->n_rows0].fold == 0) t->n_rows0++;
    }
    /* complete trials, best first (ties: nnt_trial_compare) */
    rank_key *k = nnt__malloc_array(r->n ? (size_t)r->n : 1, sizeof *k);
    r->ranked = nnt__malloc_array(r->n ? (size_t)r->n : 1, sizeof *r->ranked);
    if (!k || !r->ranked) {
        nnt__free(k);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    int m = 0;
    for (int i = 0; i < r->n; i++)
        if (r->t[i].rec->state == NNT_TRIAL_COMPLETE && isfinite(r->t[i].oriented))
            k[m++] = (rank_key){r->t[i].rec, r->study.maximize, i};
    qsort(k, (size_t)m, sizeof *k, cmp_rank);
    for (int i = 0; i < m; i++) r->ranked[i] = k[i].idx;
    r->n_ranked = m;
    nnt__free(k);
    /* which trials the plots draw with their own marker and hover text */
    int all = r->n <= REPORT_DETAIL_ALL, failed = 0;
    for (int i = 0; i < r->n; i++)
        r->t[i].detail = all || (r->t[i].rec->state == NNT_TRIAL_FAILED && failed++ < REPORT_DETAIL_TOP);
    for (int i = 0; i < m && i < REPORT_DETAIL_TOP; i++) r->t[r->ranked[i]].detail = 1;
    return NNT_OK;
}

/* ---- Parameters, best regions, importance --------------------------------- */
static int compute_params(nnt_report *r, nnt_error *err)
{
    if (r->np == 0) return NNT_OK;
    r->params = nnt__calloc((size_t)r->np, sizeof *r->params);
    if (!r->params) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    int n_top = r->sum.n_top;
    for (int p = 0; p < r->np; p++) {
        const nnt_param_info *in = &r->info[p];
        nnt_report_param *q = &r->params[p];
        q->name = in->name;
        q->kind = in->kind;
        q->log = in->log;
        q->low = in->low;
        q->high = in->high;
        q->importance = NAN;
        q->top_low = q->top_high = NAN;
        if (in->kind == NNT_PARAM_CATEGORICAL || in->kind == NNT_PARAM_FIXED) {
            int nc = in->n_choices > 0 ? in->n_choices : 1;
            q->n_choices = nc;
            const char **ch = nnt__calloc((size_t)nc, sizeof *ch);
            int *cnt = nnt__calloc((size_t)nc, sizeof *cnt);
            int *top = nnt__calloc((size_t)nc, sizeof *top);
            q->choices = ch;
            q->choice_count = cnt;
            q->choice_top = top;
            if (!ch || !cnt || !top) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
            for (int c = 0; c < nc; c++) {
                const char *s = nnt_space_choice(r->space, p, c);
                ch[c] = s ? s : "?";
            }
            for (int k = 0; k < r->n_ranked; k++) {
                const rtrial *t = &r->t[r->ranked[k]];
                if (!t->x_ok || !t->active[p]) continue;
                int c = (int)t->x[p];
                if (c < 0 || c >= nc) continue;
                cnt[c]++;
                if (k < n_top) top[c]++;
            }
        }
        for (int k = 0; k < n_top; k++) {
            const rtrial *t = &r->t[r->ranked[k]];
            if (!t->x_ok || !t->active[p]) continue;
            q->n_top_active++;
            if (in->kind == NNT_PARAM_INT || in->kind == NNT_PARAM_FLOAT) {
                double v = t->x[p];
                if (!(v >= q->top_low)) q->top_low = v;
                if (!(v <= q->top_high)) q->top_high = v;
            }
        }
    }
    return NNT_OK;
}

/* ---- Pareto front ---------------------------------------------------------- */
int nnt__report_has_values(const nnt_report *r, const rtrial *t)
{
    if (t->rec->n_values < r->n_objectives) return 0;
    for (int k = 0; k < r->n_objectives; k++)
        if (!isfinite(t->rec->values[k])) return 0;
    return 1;
}

/* The front over the complete trials with every objective measured, from
 * analysis.h's nnt_pareto_front, listed best first by the metric. */
static int compute_pareto(nnt_report *r, nnt_error *err)
{
    int k = r->n_objectives;
    if (k < 2 || r->n == 0) return NNT_OK;
    int *map = nnt__malloc_array((size_t)r->n, sizeof *map);
    double *pts = nnt__malloc_array((size_t)r->n * (size_t)k, sizeof *pts);
    int *idx = nnt__malloc_array((size_t)r->n, sizeof *idx);
    r->pareto = nnt__malloc_array((size_t)r->n, sizeof *r->pareto);
    r->pareto_numbers = nnt__malloc_array((size_t)r->n, sizeof *r->pareto_numbers);
    int rc = NNT_OK;
    if (!map || !pts || !idx || !r->pareto || !r->pareto_numbers) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    int m = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (t->rec->state != NNT_TRIAL_COMPLETE || !nnt__report_has_values(r, t)) continue;
        for (int j = 0; j < k; j++) pts[(size_t)m * k + j] = t->rec->values[j];
        map[m++] = i;
    }
    if (m == 0) goto done;
    int nf = nnt_pareto_front(pts, m, k, r->obj_max, idx, err);
    if (nf < 0) {
        rc = nf;
        goto done;
    }
    nnt_pareto_sort(pts, k, r->obj_max, 0, idx, nf);
    for (int i = 0; i < nf; i++) {
        r->pareto[i] = map[idx[i]];
        r->pareto_numbers[i] = r->t[map[idx[i]]].rec->number;
    }
    r->n_pareto = nf;
done:
    nnt__free(map);
    nnt__free(pts);
    nnt__free(idx);
    return rc;
}

/* ---- Entry point -------------------------------------------------------- */
int nnt_report_load(nnt_storage *storage, const char *study, const nnt_report_options *opt,
                    nnt_report **out, nnt_error *err)
{
    if (out) *out = NULL;
    if (!storage || !out)
        return nnt_fail(err, NNT_ERR_ARG, "report: missing storage or output");
    nnt_report_options o = opt ? *opt : nnt_report_options_default();
    if (o.top_k < 1) o.top_k = 1;
    if (!(o.top_fraction > 0 && o.top_fraction <= 1)) o.top_fraction = 0.2;
    nnt_report *r = nnt__calloc(1, sizeof *r);
    if (!r) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    r->opt = o;
    int rc = nnt_storage_find_study(storage, study, &r->study, err);
    if (rc == NNT_OK) rc = read_definition(r, err);
    if (rc == NNT_OK && r->space) {
        r->np = nnt_space_size(r->space);
        r->info = nnt__calloc(r->np ? (size_t)r->np : 1, sizeof *r->info);
        if (!r->info) rc = nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
        for (int p = 0; rc == NNT_OK && p < r->np; p++) nnt_space_info(r->space, p, &r->info[p]);
    }
    if (rc == NNT_OK) rc = load_trials(r, storage, err);
    if (rc == NNT_OK) {
        nnt_report_summary *s = &r->sum;
        s->study = r->study.name;
        s->metric = r->study.metric;
        s->maximize = r->study.maximize;
        s->n_trials = r->n;
        for (int i = 0; i < r->n; i++) {
            switch (r->t[i].rec->state) {
            case NNT_TRIAL_COMPLETE: s->n_complete++; break;
            case NNT_TRIAL_PRUNED: s->n_pruned++; break;
            case NNT_TRIAL_FAILED: s->n_failed++; break;
            default: s->n_running++; break;
            }
        }
        s->best_number = -1;
        s->best_value = NAN;
        s->test_value = NAN;
        if (r->n_ranked > 0) {
            const rtrial *b = &r->t[r->ranked[0]];
            s->best_number = b->rec->number;
            s->best_value = b->rec->value;
            s->best_params = b->rec->params;
            s->has_test = best_test_value(b->rec->test_info, s->metric, s);
        }
        int top = (int)ceil(o.top_fraction * r->n_ranked - 1e-9);
        int floor3 = r->n_ranked < 3 ? r->n_ranked : 3;
        s->n_top = top > floor3 ? top : floor3;
        s->multi_objective = r->n_objectives > 1;
        rc = compute_params(r, err);
    }
    if (rc == NNT_OK) rc = nnt__report_compute_importance(r, err);
    if (rc == NNT_OK) rc = nnt__report_compute_trial_facts(r, err);
    if (rc == NNT_OK) rc = nnt__report_compute_suggestion(r, err);
    if (rc == NNT_OK) rc = compute_pareto(r, err);
    if (rc != NNT_OK) {
        nnt_report_free(r);
        return rc;
    }
    nnt_report_summary *s = &r->sum;
    s->n_params = r->np;
    s->params = r->params;
    s->importance_order = r->imp_order;
    s->importance_note = r->importance_note;
    if (!r->space && !r->importance_note) s->importance_note = "the study's definition has no readable search space";
    s->overfit = r->overfit;
    s->overfit_listed = r->overfit_listed;
    s->n_overfit_listed = r->n_overfit_listed;
    s->diverged = r->diverged;
    s->suggested_space = r->suggested;
    s->n_objectives = r->n_objectives;
    s->objective_names = (const char *const *)r->obj_names;
    s->objective_maximize = r->obj_max;
    s->n_pareto = r->n_pareto;
    s->pareto = r->pareto_numbers;
    *out = r;
    return NNT_OK;
}

int nnt_report_save_suggested_space(const nnt_report *r, const char *path, nnt_error *err)
{
    if (!r || !path) return nnt_fail(err, NNT_ERR_ARG, "report: missing report or path");
    if (!r->suggested)
        return nnt_fail(err, NNT_ERR_NOT_FOUND,
                        "study '%s' has no complete trial to suggest a search space from",
                        r->study.name);
    rbuf b = {0};
    nnt__rb_puts(&b, r->suggested);
    nnt__rb_puts(&b, "\n");
    size_t len;
    char *text = nnt__rb_take(&b, &len);
    if (!text) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    int rc = nnt__report_write_atomic(path, text, len, err);
    nnt__free(text);
    return rc;
}

int nnt_report_render(const nnt_report *r, nnt_report_format fmt, char **out, size_t *len,
                      nnt_error *err)
{
    if (out) *out = NULL;
    if (!r || !out) return nnt_fail(err, NNT_ERR_ARG, "report: missing report or output");
    rbuf b = {0};
    int rc;
    switch (fmt) {
    case NNT_REPORT_HTML: rc = nnt__report_render_html(r, &b); break;
    case NNT_REPORT_MD: rc = nnt__report_render_md(r, &b); break;
    case NNT_REPORT_CSV: rc = nnt__report_render_csv(r, &b); break;
    case NNT_REPORT_JSON: rc = nnt__report_render_json(r, &b); break;
    default:
        return nnt_fail(err, NNT_ERR_ARG, "report: unknown format %d; expected html, md, csv or json",
                        (int)fmt);
    }
    if (rc != NNT_OK || b.oom) {
        nnt__rb_free(&b);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory while rendering");
    }
    size_t n = 0;
    *out = nnt__rb_take(&b, &n);
    if (!*out) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory while rendering");
    if (len) *len = n;
    return NNT_OK;
}

int nnt_report_save(const nnt_report *r, nnt_report_format fmt, const char *path, nnt_error *err)
{
    if (!path) return nnt_fail(err, NNT_ERR_ARG, "report: missing output path");
    char *text = NULL;
    size_t len = 0;
    int rc = nnt_report_render(r, fmt, &text, &len, err);
    if (rc != NNT_OK) return rc;
    rc = nnt__report_write_atomic(path, text, len, err);
    nnt__free(text);
    return rc;
}
