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

double report_metric(const nnt_metrics *m, const char *name)
{
    if (!name) return NAN;
    if (!strcmp(name, "loss")) return m->loss;
    if (!strcmp(name, "accuracy")) return m->accuracy;
    if (!strcmp(name, "rmse")) return m->rmse;
    if (!strcmp(name, "mae")) return m->mae;
    if (!strcmp(name, "r2")) return m->r2;
    return NAN;
}

/* Metrics where larger is better, whatever the study optimises. */
static int metric_up(const char *name)
{
    return name && (!strcmp(name, "accuracy") || !strcmp(name, "r2"));
}

double report_orient(const nnt_report *r, double v)
{
    return r->study.maximize ? -v : v;
}

/* ---- Parameter text ------------------------------------------------------- */
const char *report_param_text(const nnt_report *r, const rtrial *t, int p, char buf[32])
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
    return fmt_short(buf, t->x[p]);
}

void report_hover(const nnt_report *r, const rtrial *t, rbuf *b)
{
    char v[32];
    rb_printf(b, "trial %d (%s)", t->rec->number, nnt_trial_state_name(t->rec->state));
    if (isfinite(t->rec->value)) {
        rb_puts(b, ": ");
        rb_xml(b, r->study.metric);
        rb_printf(b, " %s", fmt_value(v, t->rec->value));
    }
    for (int k = 1; k < r->n_objectives && k < t->rec->n_values; k++) {
        rb_puts(b, ", ");
        rb_xml(b, r->obj_names[k]);
        rb_printf(b, " %s", fmt_short(v, t->rec->values[k]));
    }
    if (t->x_ok) {
        int first = 1;
        for (int p = 0; p < r->np; p++) {
            if (!t->active[p] || r->info[p].kind == NNT_PARAM_FIXED) continue;
            rb_puts(b, first ? "; " : ", ");
            first = 0;
            rb_xml(b, r->info[p].name);
            rb_puts(b, "=");
            rb_xml(b, report_param_text(r, t, p, v));
        }
    } else if (t->rec->params) {
        rb_puts(b, "; ");
        rb_xml(b, t->rec->params);
    }
    if (t->rec->error) {
        rb_puts(b, "; error: ");
        rb_xml(b, t->rec->error);
    }
}

/* ---- Loading -------------------------------------------------------------- */
static void free_params(nnt_report *r)
{
    if (!r->params) return;
    for (int p = 0; p < r->np; p++) {
        nnt_free((void *)r->params[p].choices);
        nnt_free((void *)r->params[p].choice_count);
        nnt_free((void *)r->params[p].choice_top);
    }
    nnt_free(r->params);
}

void nnt_report_free(nnt_report *r)
{
    if (!r) return;
    for (int i = 0; r->t && i < r->n; i++) {
        nnt_free(r->t[i].x);
        nnt_free(r->t[i].active);
        nnt_epoch_rows_free(r->t[i].rows);
    }
    nnt_free(r->t);
    nnt_trial_records_free(r->recs, r->n_recs);
    nnt_study_record_free(&r->study);
    free_params(r);
    nnt_space_free(r->space);
    nnt_free(r->info);
    nnt_free(r->ranked);
    nnt_free(r->imp_order);
    nnt_free(r->overfit);
    nnt_free(r->diverged);
    nnt_free(r->importance_note);
    nnt_free(r->suggested);
    nnt_free(r->space_json);
    nnt_free(r->objective_json);
    for (int k = 0; k < NNT_MAX_OBJECTIVES; k++) nnt_free(r->obj_names[k]);
    nnt_free(r->pareto);
    nnt_free(r->pareto_numbers);
    nnt_free(r);
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
    json_object *def = r->study.definition ? json_tokener_parse(r->study.definition) : NULL;
    /* "objectives": [metric, cost, ...]; costs are minimised */
    r->n_objectives = 1;
    r->obj_names[0] = nnt_strdup(r->study.metric ? r->study.metric : "value");
    r->obj_max[0] = r->study.maximize;
    json_object *o;
    if (def && json_object_object_get_ex(def, "objectives", &o) &&
        json_object_is_type(o, json_type_array)) {
        int n = (int)json_object_array_length(o);
        for (int k = 1; k < n && k < NNT_MAX_OBJECTIVES; k++) {
            const char *name = json_object_get_string(json_object_array_get_idx(o, k));
            r->obj_names[k] = nnt_strdup(name ? name : "?");
            r->obj_max[k] = metric_up(name);
            r->n_objectives = k + 1;
        }
    }
    for (int k = 0; k < r->n_objectives; k++)
        if (!r->obj_names[k]) {
            json_object_put(def);
            return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
        }
    json_object *obj = json_object_new_object();
    if (!obj) {
        json_object_put(def);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    json_object_object_add(obj, "metric", json_object_new_string(r->study.metric ? r->study.metric : "accuracy"));
    json_object_object_add(obj, "direction",
                           json_object_new_string(r->study.maximize ? "maximize" : "minimize"));
    r->objective_json = nnt_strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_SPACED));
    json_object_put(obj);
    if (!r->objective_json) {
        json_object_put(def);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    if (def && json_object_object_get_ex(def, "space", &o) &&
        json_object_is_type(o, json_type_object)) {
        r->space_json = nnt_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        if (!r->space_json) {
            json_object_put(def);
            return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
        }
        if (nnt_space_from_json(r->space_json, &r->space, NULL) != NNT_OK) r->space = NULL;
    }
    json_object_put(def);
    return NNT_OK;
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
    int rc = st->trials_load(st->ctx, r->study.id, &r->recs, &r->n_recs, err);
    if (rc != NNT_OK) return rc;
    r->n = (int)r->n_recs;
    r->t = nnt_calloc(r->n ? (size_t)r->n : 1, sizeof *r->t);
    if (!r->t) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    for (int i = 0; i < r->n; i++) {
        rtrial *t = &r->t[i];
        t->rec = &r->recs[i];
        t->oriented = NAN;
        if ((t->rec->state == NNT_TRIAL_COMPLETE || t->rec->state == NNT_TRIAL_PRUNED) &&
            isfinite(t->rec->value))
            t->oriented = report_orient(r, t->rec->value);
        if (r->space && r->np > 0) {
            t->x = nnt_malloc_array((size_t)r->np, sizeof *t->x);
            t->active = nnt_malloc((size_t)r->np);
            if (!t->x || !t->active) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
            t->x_ok = t->rec->params &&
                      nnt_space_params_from_json(r->space, t->rec->params, t->x, t->active, NULL) ==
                          NNT_OK;
        }
        rc = st->epochs_load(st->ctx, r->study.id, t->rec->number, &t->rows, &t->n_rows, err);
        if (rc != NNT_OK) return rc;
        while ((size_t)t->n_rows0 < t->n_rows && t->rows[t->n_rows0].fold == 0) t->n_rows0++;
    }
    /* complete trials, best first (ties: nnt_trial_compare) */
    rank_key *k = nnt_malloc_array(r->n ? (size_t)r->n : 1, sizeof *k);
    r->ranked = nnt_malloc_array(r->n ? (size_t)r->n : 1, sizeof *r->ranked);
    if (!k || !r->ranked) {
        nnt_free(k);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    int m = 0;
    for (int i = 0; i < r->n; i++)
        if (r->t[i].rec->state == NNT_TRIAL_COMPLETE && isfinite(r->t[i].oriented))
            k[m++] = (rank_key){r->t[i].rec, r->study.maximize, i};
    qsort(k, (size_t)m, sizeof *k, cmp_rank);
    for (int i = 0; i < m; i++) r->ranked[i] = k[i].idx;
    r->n_ranked = m;
    nnt_free(k);
    return NNT_OK;
}

/* ---- Parameters, best regions, importance --------------------------------- */
static int compute_params(nnt_report *r, nnt_error *err)
{
    if (r->np == 0) return NNT_OK;
    r->params = nnt_calloc((size_t)r->np, sizeof *r->params);
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
            const char **ch = nnt_calloc((size_t)nc, sizeof *ch);
            int *cnt = nnt_calloc((size_t)nc, sizeof *cnt);
            int *top = nnt_calloc((size_t)nc, sizeof *top);
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

/* The one place importance is computed: analysis.h's forest-based main
 * effects over the trials that read back into the space: the complete ones,
 * or, when a pruner stopped most trials, every trial that reached a common
 * epoch, scored by its best validation value up to it. */
static int compute_importance(nnt_report *r, nnt_error *err)
{
    if (r->np == 0) return NNT_OK;
    int m = 0, complete = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (!t->x_ok || !isfinite(t->oriented)) continue;
        m++;
        complete += t->rec->state == NNT_TRIAL_COMPLETE;
    }
    char note[NNT_ERRMSG_MAX + 64];
    note[0] = '\0';
    size_t n_points = 0;
    for (int i = 0; i < r->n; i++)
        if (r->t[i].x_ok && isfinite(r->t[i].oriented)) n_points += (size_t)r->t[i].n_rows0;
    nnt_trial_view *v = nnt_calloc(m ? (size_t)m : 1, sizeof *v);
    double *curves = nnt_malloc_array(n_points ? n_points : 1, sizeof *curves);
    double *imp = nnt_malloc_array((size_t)r->np, sizeof *imp);
    if (!v || !curves || !imp) {
        nnt_free(v);
        nnt_free(curves);
        nnt_free(imp);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    int j = 0;
    size_t at = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (!t->x_ok || !isfinite(t->oriented)) continue;
        v[j].number = t->rec->number;
        v[j].state = t->rec->state;
        v[j].x = t->x;
        v[j].active = t->active;
        v[j].value = t->oriented;
        v[j].intermediate = curves + at;
        for (int e = 0; e < t->n_rows0; e++)
            curves[at + (size_t)v[j].epochs++] =
                report_orient(r, report_metric(&t->rows[e].valid, r->study.metric));
        at += (size_t)t->n_rows0;
        j++;
    }
    nnt_history h = {v, m};
    nnt_importance_options io = nnt_importance_options_default();
    io.seed = r->opt.seed;
    io.epoch = nnt_importance_pick_epoch(&h, NNT_IMPORTANCE_WANT_TRIALS);
    int scored = complete;
    if (io.epoch > 0) {
        scored = 0;
        for (int k = 0; k < m; k++) scored += v[k].epochs >= io.epoch;
    }
    if (scored < 4) {
        snprintf(note, sizeof note,
                 "importance needs at least 4 complete trials; this study has %d", complete);
    } else {
        nnt_error ierr;
        nnt_error_clear(&ierr);
        int rc = nnt_param_importance(r->space, &h, &io, imp, &ierr);
        if (rc == NNT_ERR_NOMEM) {
            nnt_free(v);
            nnt_free(curves);
            nnt_free(imp);
            return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
        }
        if (rc == NNT_OK) {
            for (int p = 0; p < r->np; p++) r->params[p].importance = imp[p];
            r->sum.importance_epoch = io.epoch;
            r->sum.importance_trials = scored;
        } else {
            snprintf(note, sizeof note, "importance could not be computed: %s", ierr.message);
        }
    }
    nnt_free(v);
    nnt_free(curves);
    nnt_free(imp);
    if (note[0]) {
        r->importance_note = nnt_strdup(note);
        if (!r->importance_note) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    }
    r->imp_order = nnt_malloc_array((size_t)r->np, sizeof *r->imp_order);
    if (!r->imp_order) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    for (int p = 0; p < r->np; p++) r->imp_order[p] = p;
    /* insertion sort: stable, and spaces are small */
    for (int i = 1; i < r->np; i++) {
        int p = r->imp_order[i], j = i;
        double vp = r->params[p].importance;
        while (j > 0) {
            double vq = r->params[r->imp_order[j - 1]].importance;
            int before = isfinite(vp) && (!isfinite(vq) || vp > vq);
            if (!before) break;
            r->imp_order[j] = r->imp_order[j - 1];
            j--;
        }
        r->imp_order[j] = p;
    }
    return NNT_OK;
}

/* ---- Overfitting and divergence ------------------------------------------- */
/* A trial overfits when, on fold 0: the curve metric's best validation epoch
 * b has at least 2 epochs after it; the last validation value is worse than
 * the best by more than tol = max(10% of the improvement made up to b,
 * 1e-3 * max(1, |best|)); the training loss at the last epoch is below
 * that at b; for a metric other than loss, the validation loss at the
 * last epoch is above that at b; and at the last epoch the training metric
 * is better than the validation metric by more than tol. */
static int detect_overfit(const rtrial *t, const char *metric, nnt_report_overfit *out)
{
    int n = t->n_rows0;
    if (n < 4) return 0;
    int up = metric_up(metric);
    int b = -1;
    double vb = NAN, vfirst_worst = NAN;
    for (int e = 0; e < n; e++) {
        double v = report_metric(&t->rows[e].valid, metric);
        if (!isfinite(v)) continue;
        double o = up ? -v : v;
        if (b < 0 || o < vb) {
            b = e;
            vb = o;
        }
    }
    if (b < 0 || n - 1 - b < 2) return 0;
    for (int e = 0; e <= b; e++) {
        double v = report_metric(&t->rows[e].valid, metric);
        if (!isfinite(v)) continue;
        double o = up ? -v : v;
        if (!(o <= vfirst_worst)) vfirst_worst = o;
    }
    const nnt_epoch_row *last = &t->rows[n - 1], *best = &t->rows[b];
    double vl = report_metric(&last->valid, metric);
    if (!isfinite(vl)) return 0;
    double ol = up ? -vl : vl;
    double improvement = vfirst_worst - vb;
    double tol = fmax(0.1 * improvement, 1e-3 * fmax(1.0, fabs(vb)));
    if (!(ol - vb > tol)) return 0;
    if (!(last->train.loss < best->train.loss)) return 0;
    /* a metric such as accuracy moves in steps on small validation sets:
     * require the validation loss to have risen too, when it is recorded */
    if (strcmp(metric, "loss") && isfinite(last->valid.loss) && isfinite(best->valid.loss) &&
        !(last->valid.loss > best->valid.loss))
        return 0;
    /* overfitting leaves the model better on its training data than on the
     * validation data; without that gap it is instability, not overfitting */
    double tr = report_metric(&last->train, metric);
    double gap = up ? tr - vl : vl - tr;
    if (!(gap > tol)) return 0;
    out->number = t->rec->number;
    out->best_epoch = best->epoch;
    out->last_epoch = last->epoch;
    out->best_valid = report_metric(&best->valid, metric);
    out->last_valid = vl;
    out->train_loss_best = best->train.loss;
    out->train_loss_last = last->train.loss;
    out->gap = gap;
    return 1;
}

static int is_diverged(const nnt_trial_record *rec)
{
    return rec->state == NNT_TRIAL_FAILED && rec->error && !strncmp(rec->error, "diverged", 8);
}

/* The learning rate of a diverged trial: its "lr" parameter, else the
 * "lr=" in its error ("diverged (lr=3)"), else its last epoch's rate. */
static double diverged_lr(const nnt_report *r, const rtrial *t)
{
    int p = r->space ? nnt_space_find(r->space, "lr") : -1;
    if (p >= 0 && t->x_ok && t->active[p]) return t->x[p];
    const char *s = strstr(t->rec->error, "lr=");
    if (s) {
        char *end;
        double v = strtod(s + 3, &end);
        if (end != s + 3 && isfinite(v)) return v;
    }
    if (t->n_rows > 0) return t->rows[t->n_rows - 1].lr;
    return NAN;
}

static int compute_trial_facts(nnt_report *r, nnt_error *err)
{
    size_t n = r->n ? (size_t)r->n : 1;
    r->overfit = nnt_calloc(n, sizeof *r->overfit);
    r->diverged = nnt_calloc(n, sizeof *r->diverged);
    if (!r->overfit || !r->diverged) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    /* the curves use the objective metric when epochs record it, else loss */
    const char *metric = "loss";
    for (int i = 0; i < r->n && strcmp(metric, r->study.metric); i++)
        for (int e = 0; e < r->t[i].n_rows0; e++)
            if (isfinite(report_metric(&r->t[i].rows[e].valid, r->study.metric))) {
                metric = r->study.metric;
                break;
            }
    r->sum.curve_metric = metric;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (is_diverged(t->rec)) {
            nnt_report_diverged *d = &r->diverged[r->sum.n_diverged++];
            d->number = t->rec->number;
            d->lr = diverged_lr(r, t);
            d->error = t->rec->error;
        } else if (detect_overfit(t, metric, &r->overfit[r->sum.n_overfit])) {
            r->sum.n_overfit++;
        }
    }
    return NNT_OK;
}

/* ---- Suggested space ------------------------------------------------------ */
/* Fewest trials of a choice before the suggestion may drop it. */
#define MIN_TRIES 4
/* Share of the searched range (in its own scale) kept on each side of the
 * top trials' range, at least. */
#define MIN_MARGIN 0.1

/* Rounds v to 3 significant digits, down (dir < 0) or up. */
static double round_sig(double v, int dir)
{
    if (v == 0 || !isfinite(v)) return v;
    double e = floor(log10(fabs(v))) - 2;
    double s = pow(10, e);
    double q = v / s;
    q = dir < 0 ? floor(q + 1e-9) : ceil(q - 1e-9);
    /* q * s is not the 3-digit decimal exactly; read back its text */
    char buf[32];
    snprintf(buf, sizeof buf, "%.3g", q * s);
    return strtod(buf, NULL);
}

static double to_scale(int lg, double v) { return lg ? log(v) : v; }
static double from_scale(int lg, double v) { return lg ? exp(v) : v; }

/* Equal values of a condition and a choice: numbers (and booleans) by
 * value, strings by text. */
static int json_value_eq(json_object *a, json_object *b)
{
    int na = json_object_is_type(a, json_type_double) || json_object_is_type(a, json_type_int) ||
             json_object_is_type(a, json_type_boolean);
    int nb = json_object_is_type(b, json_type_double) || json_object_is_type(b, json_type_int) ||
             json_object_is_type(b, json_type_boolean);
    if (na && nb) return json_object_get_double(a) == json_object_get_double(b);
    if (na != nb) return 0;
    return !strcmp(json_object_get_string(a), json_object_get_string(b));
}

static void narrow_numeric(const nnt_report_param *q, const nnt_param_info *in, json_object *def)
{
    if (!json_object_is_type(def, json_type_object) || !isfinite(q->top_low)) return;
    int lg = in->log && in->low > 0;
    double slo = to_scale(lg, in->low), shi = to_scale(lg, in->high);
    double a = to_scale(lg, q->top_low), b = to_scale(lg, q->top_high);
    double margin = fmax(0.25 * (b - a), MIN_MARGIN * (shi - slo));
    double lo = from_scale(lg, fmax(slo, a - margin));
    double hi = from_scale(lg, fmin(shi, b + margin));
    double step = in->step;
    if (in->kind == NNT_PARAM_INT) {
        if (step < 1) step = 1;
        lo = in->low + floor((lo - in->low) / step + 1e-9) * step;
        hi = in->low + ceil((hi - in->low) / step - 1e-9) * step;
    } else if (step > 0) {
        lo = in->low + floor((lo - in->low) / step + 1e-9) * step;
        hi = in->low + ceil((hi - in->low) / step - 1e-9) * step;
    } else {
        lo = round_sig(lo, -1);
        hi = round_sig(hi, +1);
    }
    lo = fmax(lo, in->low);
    hi = fmin(hi, in->high);
    if (lg && !(lo > 0)) lo = in->low;
    if (hi < lo) hi = lo;
    if (in->kind == NNT_PARAM_INT) {
        json_object_object_add(def, "low", json_object_new_int64((int64_t)llround(lo)));
        json_object_object_add(def, "high", json_object_new_int64((int64_t)llround(hi)));
    } else {
        char buf[32];
        json_object_object_add(def, "low", json_object_new_double_s(lo, fmt_exact(buf, lo)));
        json_object_object_add(def, "high", json_object_new_double_s(hi, fmt_exact(buf, hi)));
    }
}

/* Drops the choices that never did well (keeps at least one). Returns the new
 * choices array (borrowed from def) or NULL when nothing changed. */
static json_object *narrow_choices(const nnt_report_param *q, json_object *space,
                                   const char *name, json_object *def)
{
    json_object *list = def;
    if (json_object_is_type(def, json_type_object) &&
        !json_object_object_get_ex(def, "choices", &list))
        return NULL;
    if (!json_object_is_type(list, json_type_array)) return NULL;
    int n = (int)json_object_array_length(list);
    if (n != q->n_choices || q->n_top_active == 0) return NULL;
    /* a choice "never did well" when it was tried MIN_TRIES times or more and
     * no top trial used it; rarely tried choices stay */
    int kept = 0;
    for (int c = 0; c < n; c++) kept += q->choice_top[c] > 0 || q->choice_count[c] < MIN_TRIES;
    if (kept == 0 || kept == n) return NULL;
    json_object *nl = json_object_new_array();
    for (int c = 0; c < n; c++)
        if (q->choice_top[c] > 0 || q->choice_count[c] < MIN_TRIES)
            json_object_array_add(nl, json_object_get(json_object_array_get_idx(list, c)));
    if (list == def) json_object_object_add(space, name, nl);
    else json_object_object_add(def, "choices", nl);
    return nl;
}

/* Conditions on a parent whose choices were narrowed keep only the values
 * still offered; a child left with none can never be active and goes. */
static void fix_conditions(json_object *space, const char *parent, json_object *choices)
{
    const char *drop[64];
    int n_drop = 0;
    json_object_object_foreach(space, name, def)
    {
        json_object *cond, *vals;
        if (!json_object_is_type(def, json_type_object) ||
            !json_object_object_get_ex(def, "if", &cond) ||
            !json_object_is_type(cond, json_type_object) ||
            !json_object_object_get_ex(cond, parent, &vals) ||
            json_object_is_type(vals, json_type_object))
            continue;
        json_object *nl = json_object_new_array();
        int in_list = json_object_is_type(vals, json_type_array);
        int nv = in_list ? (int)json_object_array_length(vals) : 1;
        for (int i = 0; i < nv; i++) {
            json_object *v = in_list ? json_object_array_get_idx(vals, i) : vals;
            for (size_t c = 0; c < json_object_array_length(choices); c++)
                if (json_value_eq(v, json_object_array_get_idx(choices, c))) {
                    json_object_array_add(nl, json_object_get(v));
                    break;
                }
        }
        if (json_object_array_length(nl) == 0) {
            json_object_put(nl);
            if (n_drop < 64) drop[n_drop++] = name;
        } else {
            json_object_object_add(cond, parent, nl);
        }
    }
    for (int i = 0; i < n_drop; i++) json_object_object_del(space, drop[i]);
}

static int compute_suggestion(nnt_report *r, nnt_error *err)
{
    if (r->n_ranked == 0 || !r->space_json) return NNT_OK;
    json_object *space = json_tokener_parse(r->space_json);
    if (!space) return NNT_OK;
    /* Only parameters that mattered are narrowed: shrinking one that
     * explains nothing would follow noise. Without importance (too few
     * trials) the space is kept. */
    for (int p = 0; p < r->np; p++) {
        const nnt_report_param *q = &r->params[p];
        json_object *def;
        if (!(q->importance >= REPORT_IMPORTANT_SHARE)) continue;
        if (!json_object_object_get_ex(space, q->name, &def)) continue;
        if (q->kind == NNT_PARAM_INT || q->kind == NNT_PARAM_FLOAT) {
            narrow_numeric(q, &r->info[p], def);
        } else if (q->kind == NNT_PARAM_CATEGORICAL) {
            json_object *nl = narrow_choices(q, space, q->name, def);
            if (nl) fix_conditions(space, q->name, nl);
        }
    }
    const char *space_text = json_object_to_json_string_ext(space, JSON_C_TO_STRING_PLAIN);
    /* Never suggest what cannot be read back: fall back to the study's space. */
    nnt_space *check = NULL;
    if (nnt_space_from_json(space_text, &check, NULL) != NNT_OK) space_text = r->space_json;
    nnt_space_free(check);
    /* one parameter per line: easy to read and to edit */
    const int flags = JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE;
    json_object *final = json_tokener_parse(space_text);
    json_object_put(space);
    rbuf b = {0};
    rb_printf(&b, "{\n  \"objective\": %s,\n  \"space\": {", r->objective_json);
    int first = 1;
    json_object_object_foreach(final, name, def)
    {
        json_object *key = json_object_new_string(name);
        rb_printf(&b, "%s\n    %s: %s", first ? "" : ",", json_object_to_json_string_ext(key, flags),
                  json_object_to_json_string_ext(def, flags));
        json_object_put(key);
        first = 0;
    }
    rb_puts(&b, "\n  }\n}");
    json_object_put(final);
    r->suggested = rb_take(&b, NULL);
    if (!r->suggested) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    return NNT_OK;
}

/* ---- Pareto front ---------------------------------------------------------- */
int report_has_values(const nnt_report *r, const rtrial *t)
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
    int *map = nnt_malloc_array((size_t)r->n, sizeof *map);
    double *pts = nnt_malloc_array((size_t)r->n * (size_t)k, sizeof *pts);
    int *idx = nnt_malloc_array((size_t)r->n, sizeof *idx);
    r->pareto = nnt_malloc_array((size_t)r->n, sizeof *r->pareto);
    r->pareto_numbers = nnt_malloc_array((size_t)r->n, sizeof *r->pareto_numbers);
    int rc = NNT_OK;
    if (!map || !pts || !idx || !r->pareto || !r->pareto_numbers) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    int m = 0;
    for (int i = 0; i < r->n; i++) {
        const rtrial *t = &r->t[i];
        if (t->rec->state != NNT_TRIAL_COMPLETE || !report_has_values(r, t)) continue;
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
    nnt_free(map);
    nnt_free(pts);
    nnt_free(idx);
    return rc;
}

/* ---- Entry point -------------------------------------------------------- */
int nnt_report_load(nnt_storage *storage, const char *study, const nnt_report_options *opt,
                    nnt_report **out, nnt_error *err)
{
    if (out) *out = NULL;
    if (!storage || !out || !storage->trials_load || !storage->epochs_load)
        return nnt_fail(err, NNT_ERR_ARG, "report: missing storage or output");
    nnt_report_options o = opt ? *opt : nnt_report_options_default();
    if (o.top_k < 1) o.top_k = 1;
    if (!(o.top_fraction > 0 && o.top_fraction <= 1)) o.top_fraction = 0.2;
    nnt_report *r = nnt_calloc(1, sizeof *r);
    if (!r) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    r->opt = o;
    int rc = nnt_storage_find_study(storage, study, &r->study, err);
    if (rc == NNT_OK) rc = read_definition(r, err);
    if (rc == NNT_OK && r->space) {
        r->np = nnt_space_size(r->space);
        r->info = nnt_calloc(r->np ? (size_t)r->np : 1, sizeof *r->info);
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
    if (rc == NNT_OK) rc = compute_importance(r, err);
    if (rc == NNT_OK) rc = compute_trial_facts(r, err);
    if (rc == NNT_OK) rc = compute_suggestion(r, err);
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
    rb_puts(&b, r->suggested);
    rb_puts(&b, "\n");
    size_t len;
    char *text = rb_take(&b, &len);
    if (!text) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    int rc = report_write_atomic(path, text, len, err);
    nnt_free(text);
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
    case NNT_REPORT_HTML: rc = report_render_html(r, &b); break;
    case NNT_REPORT_MD: rc = report_render_md(r, &b); break;
    case NNT_REPORT_CSV: rc = report_render_csv(r, &b); break;
    case NNT_REPORT_JSON: rc = report_render_json(r, &b); break;
    default:
        return nnt_fail(err, NNT_ERR_ARG, "report: unknown format %d; expected html, md, csv or json",
                        (int)fmt);
    }
    if (rc != NNT_OK || b.oom) {
        rb_free(&b);
        return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory while rendering");
    }
    size_t n = 0;
    *out = rb_take(&b, &n);
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
    rc = report_write_atomic(path, text, len, err);
    nnt_free(text);
    return rc;
}
