/* The summary in words (shared by HTML and Markdown), and the Markdown, CSV
 * and JSON renderers. */
#include <json-c/json.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "report/report_internal.h"

/* Findings listed at most for this many trials each (then "and N more"). */
#define MAX_LISTED 8
#define IMPORTANT_SHARE REPORT_IMPORTANT_SHARE

/* ---- Findings --------------------------------------------------------------- */
static int add_finding(char ***list, int *n, int *cap, rbuf *b)
{
    char *s = nnt__rb_take(b, NULL);
    if (!s) return -1;
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        char **nl = nnt__realloc(*list, (size_t)nc * sizeof *nl);
        if (!nl) {
            nnt__free(s);
            return -1;
        }
        *list = nl;
        *cap = nc;
    }
    (*list)[(*n)++] = s;
    return 0;
}

static void report_findings_free(char **f, int n)
{
    if (!f) return;
    for (int i = 0; i < n; i++) nnt__free(f[i]);
    nnt__free(f);
}

/* Importance as a percentage: REPORT_PCT_FORMAT, the same text the HTML bars
 * and `nntune importance` print. */
static const char *pct(char buf[32], double share)
{
    snprintf(buf, 32, REPORT_PCT_FORMAT, 100 * share);
    return buf;
}

/* "0.003 to 0.02" / "32" in a parameter's own terms. */
static void range_text(rbuf *b, const nnt_report_param *q, double lo, double hi)
{
    char x[32], y[32];
    if (q->kind == NNT_PARAM_INT) {
        if (lo == hi) nnt__rb_printf(b, "%.0f", lo);
        else nnt__rb_printf(b, "%.0f to %.0f", lo, hi);
    } else {
        if (lo == hi) nnt__rb_puts(b, nnt__fmt_short(x, lo));
        else nnt__rb_printf(b, "%s to %s", nnt__fmt_short(x, lo), nnt__fmt_short(y, hi));
    }
}

/* Description of one parameter definition of a space object. */
static void def_text(rbuf *b, json_object *def)
{
    json_object *v;
    if (json_object_is_type(def, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(def); i++) {
            if (i) nnt__rb_puts(b, ", ");
            nnt__rb_puts(b, json_object_get_string(json_object_array_get_idx(def, i)));
        }
    } else if (json_object_is_type(def, json_type_object)) {
        if (json_object_object_get_ex(def, "choices", &v)) {
            def_text(b, v);
        } else if (json_object_object_get_ex(def, "value", &v)) {
            nnt__rb_puts(b, json_object_get_string(v));
        } else {
            json_object *lo = NULL, *hi = NULL;
            json_object_object_get_ex(def, "low", &lo);
            json_object_object_get_ex(def, "high", &hi);
            char x[32], y[32];
            nnt__rb_printf(b, "%s to %s", nnt__fmt_short(x, json_object_get_double(lo)),
                           nnt__fmt_short(y, json_object_get_double(hi)));
        }
    } else {
        nnt__rb_puts(b, json_object_get_string(def));
    }
}

static int findings_suggestion(const nnt_report *r, rbuf *b)
{
    json_object *file = json_tokener_parse(r->suggested);
    json_object *orig = r->space_json ? json_tokener_parse(r->space_json) : NULL;
    json_object *space = NULL;
    int changed = 0;
    if (file && orig && json_object_object_get_ex(file, "space", &space)) {
        nnt__rb_puts(b, "Suggested search space for the next study: ");
        json_object_object_foreach(orig, name, odef)
        {
            json_object *ndef;
            if (!json_object_object_get_ex(space, name, &ndef)) {
                nnt__rb_puts(b, changed++ ? "; " : "");
                nnt__rb_printf(b, "drop %s (never active with the choices kept)", name);
                continue;
            }
            if (!strcmp(json_object_to_json_string(odef), json_object_to_json_string(ndef)))
                continue;
            nnt__rb_puts(b, changed++ ? "; " : "");
            json_object *lg;
            nnt__rb_printf(b, "%s ", name);
            def_text(b, ndef);
            if (json_object_is_type(ndef, json_type_object) &&
                json_object_object_get_ex(ndef, "log", &lg) && json_object_get_boolean(lg))
                nnt__rb_puts(b, " on a log scale");
            nnt__rb_puts(b, " (was ");
            def_text(b, odef);
            nnt__rb_puts(b, ")");
        }
        if (!changed && r->sum.importance_note)
            nnt__rb_puts(b, "too few complete trials to narrow it (importance is not known); keep the "
                       "study's space");
        else if (!changed)
            nnt__rb_puts(b, "the top trials spread over the whole space; keep it as it is");
        nnt__rb_puts(b, " (nntune report --suggest-space FILE writes it as a study file).");
    }
    json_object_put(file);
    json_object_put(orig);
    return space != NULL;
}

/* The best trial: its value, parameters and test result. */
static int finding_best(const nnt_report *r, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    char v[32], w[32];
    const rtrial *bt = &r->t[r->ranked[0]];
    nnt__rb_printf(b, "Best: trial %d with %s %s (%s is better)", s->best_number, s->metric,
                   nnt__fmt_value(v, s->best_value), s->maximize ? "higher" : "lower");
    if (bt->x_ok) {
        int first = 1;
        for (int p = 0; p < r->np; p++) {
            if (!bt->active[p] || r->info[p].kind == NNT_PARAM_FIXED) continue;
            nnt__rb_puts(b, first ? ": " : ", ");
            first = 0;
            nnt__rb_printf(b, "%s=%s", r->info[p].name, nnt__report_param_text(r, bt, p, w));
        }
    } else if (s->best_params) {
        nnt__rb_printf(b, ": %s", s->best_params);
    }
    nnt__rb_puts(b, ".");
    if (s->has_test && s->refit_epochs > 0)
        nnt__rb_printf(b, " Refit on %ld rows (training + validation) for %d epochs, its test %s is %s.",
                       s->refit_rows, s->refit_epochs, s->metric, nnt__fmt_value(v, s->test_value));
    else if (s->has_test)
        nnt__rb_printf(b, " Its test %s is %s.", s->metric, nnt__fmt_value(v, s->test_value));
    return 1;
}

/* What mattered: the parameters' importance (or why it is not known). */
static int finding_importance(const nnt_report *r, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    char v[32], w[32];
    if (s->importance_note && s->best_number >= 0) {
        nnt__rb_printf(b, "%c%s.", toupper((unsigned char)s->importance_note[0]),
                       s->importance_note + 1);
        return 1;
    } else if (s->importance_note) {
        /* no complete trial: the line above says it all */
    } else if (s->n_params > 0) {
        int shown = 0;
        if (s->importance_epoch > 0)
            nnt__rb_printf(b, "Most trials were pruned, so importance is measured on the %d trials "
                          "that reached epoch %d, by their best %s up to it. ",
                           s->importance_trials, s->importance_epoch, s->metric);
        for (int k = 0; k < s->n_params && shown < 3; k++) {
            const nnt_report_param *q = &s->params[s->importance_order[k]];
            if (!(q->importance >= IMPORTANT_SHARE)) break;
            nnt__rb_puts(b, shown ? ", " : "Parameters that mattered most: ");
            nnt__rb_printf(b, "%s (%s%s)", q->name, pct(v, q->importance),
                           shown ? "" : " of the variance on its own");
            shown++;
        }
        double rest = NAN;
        for (int k = shown; k < s->n_params && !isfinite(rest); k++) {
            const nnt_report_param *q = &s->params[s->importance_order[k]];
            if (q->kind != NNT_PARAM_FIXED) rest = q->importance;
        }
        if (shown) {
            nnt__rb_puts(b, ".");
            if (isfinite(rest))
                nnt__rb_printf(b, " The other searched parameters explain %s or less each.",
                               pct(w, rest));
        } else {
            snprintf(w, sizeof w, "%.0f%%", 100 * IMPORTANT_SHARE);
            nnt__rb_printf(b, "No parameter explains %s or more of the variance on its own.", w);
        }
        if (isfinite(s->importance_explained))
            nnt__rb_printf(b, " Main effects together explain %s; the rest comes from interactions "
                          "between parameters and noise.",
                           pct(w, s->importance_explained));
        return 1;
    }
    return 0;
}

/* The best region of the k-th parameter by importance (0: none to show). */
static int finding_region(const nnt_report *r, int k, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    int p = s->importance_order[k];
    const nnt_report_param *q = &s->params[p];
    if (q->kind == NNT_PARAM_FIXED || q->n_top_active == 0) return 0;
    if (!s->importance_note && !(q->importance >= IMPORTANT_SHARE)) return 0;
    nnt__rb_printf(b, "Best region of %s (top %d trials): ", q->name, s->n_top);
    if (q->kind == NNT_PARAM_CATEGORICAL) {
        int first = 1;
        for (int c = 0; c < q->n_choices; c++) {
            if (!q->choice_top[c]) continue;
            nnt__rb_printf(b, "%s%s (%d of %d)", first ? "" : ", ", q->choices[c],
                           q->choice_top[c], q->n_top_active);
            first = 0;
        }
        nnt__rb_puts(b, "; searched ");
        for (int c = 0; c < q->n_choices; c++)
            nnt__rb_printf(b, "%s%s", c ? ", " : "", q->choices[c]);
    } else {
        range_text(b, q, q->top_low, q->top_high);
        nnt__rb_puts(b, "; searched ");
        range_text(b, q, q->low, q->high);
        if (q->log) nnt__rb_puts(b, ", log scale");
    }
    nnt__rb_puts(b, ".");
    return 1;
}

/* Trials that overfit, or that none did. */
static int finding_overfit(const nnt_report *r, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    char v[32], w[32];
    if (s->n_overfit > 0) {
        /* a count and the few that matter: the best-ranked, whose value (from
         * their best epoch) one would pick */
        nnt__rb_printf(b, "%d of the %d trials with per-epoch values overfit (validation %s got "
                      "worse after its best epoch while the training loss kept falling); a "
                      "trial's value is from its best epoch, so the ranking stands. ",
                       s->n_overfit, s->n_with_epochs, s->curve_metric);
        nnt__rb_puts(b, s->n_overfit > s->n_overfit_listed ? "The best-ranked of them: "
                                                        : s->n_overfit == 1 ? "It is " : "They are ");
        for (int k = 0; k < s->n_overfit_listed; k++) {
            const nnt_report_overfit *o = &s->overfit[s->overfit_listed[k]];
            char x[32], y[32];
            nnt__rb_printf(b, "%strial %d", k ? "; " : "", o->number);
            if (o->rank > 0) nnt__rb_printf(b, " (rank %d)", o->rank);
            nnt__rb_printf(b, ", best at epoch %d of %d: validation %s %s then %s, training %s %s "
                          "then %s",
                           o->best_epoch, o->last_epoch, s->curve_metric, nnt__fmt_value(v, o->best_valid),
                           nnt__fmt_value(w, o->last_valid), s->curve_metric, nnt__fmt_value(x, o->train_best),
                           nnt__fmt_value(y, o->train_last));
        }
        nnt__rb_puts(b, ". More regularisation (dropout, weight decay) would let them train longer.");
        return 1;
    } else if (s->n_trials > 0) {
        nnt__rb_puts(b, "No trial overfit (no validation metric got worse while the training loss "
                    "kept falling).");
        return 1;
    }
    return 0;
}

/* Diverged trials and the learning rates around them. */
static int finding_diverged(const nnt_report *r, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    char v[32], w[32];
    if (s->n_diverged > 0) {
        double min_lr = INFINITY, max_ok = -INFINITY;
        nnt__rb_printf(b, "%d trial%s diverged: ", s->n_diverged, s->n_diverged == 1 ? "" : "s");
        for (int i = 0; i < s->n_diverged; i++) {
            const nnt_report_diverged *d = &s->diverged[i];
            if (d->lr < min_lr) min_lr = d->lr;
            if (i < MAX_LISTED)
                nnt__rb_printf(b, "%strial %d (lr %s)", i ? ", " : "", d->number, nnt__fmt_short(v, d->lr));
        }
        if (s->n_diverged > MAX_LISTED) nnt__rb_printf(b, ", and %d more", s->n_diverged - MAX_LISTED);
        nnt__rb_puts(b, ".");
        int plr = r->space ? nnt_space_find(r->space, "lr") : -1;
        for (int k = 0; plr >= 0 && k < r->n_ranked; k++) {
            const rtrial *t = &r->t[r->ranked[k]];
            if (t->x_ok && t->active[plr] && r->info[plr].kind != NNT_PARAM_CATEGORICAL)
                max_ok = fmax(max_ok, t->x[plr]);
        }
        if (isfinite(min_lr)) {
            nnt__rb_printf(b, " The smallest learning rate that diverged was %s", nnt__fmt_short(v, min_lr));
            if (isfinite(max_ok))
                nnt__rb_printf(b, "; the largest that completed was %s", nnt__fmt_short(w, max_ok));
            nnt__rb_puts(b, ".");
        }
        return 1;
    }
    return 0;
}

/* The Pareto front of a multi-objective study. */
static int finding_pareto(const nnt_report *r, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    char v[32];
    if (s->multi_objective) {
        nnt__rb_printf(b, "Pareto front over %s", r->obj_names[0]);
        for (int k = 1; k < r->n_objectives; k++)
            nnt__rb_printf(b, "%s%s", k + 1 == r->n_objectives ? " and " : ", ", r->obj_names[k]);
        if (r->n_pareto == 0) {
            nnt__rb_puts(b, ": no complete trial has every objective measured yet.");
        } else {
            nnt__rb_printf(b, ": %d trial%s no other trial beats in every objective: ", r->n_pareto,
                           r->n_pareto == 1 ? "" : "s");
            for (int i = 0; i < r->n_pareto && i < MAX_LISTED; i++) {
                const nnt_trial_record *t = r->t[r->pareto[i]].rec;
                nnt__rb_printf(b, "%strial %d (", i ? "; " : "", t->number);
                for (int k = 0; k < r->n_objectives; k++)
                    nnt__rb_printf(b, "%s%s %s", k ? ", " : "", r->obj_names[k],
                                   k ? nnt__fmt_short(v, t->values[k]) : nnt__fmt_value(v, t->values[k]));
                nnt__rb_puts(b, ")");
            }
            if (r->n_pareto > MAX_LISTED) nnt__rb_printf(b, "; and %d more", r->n_pareto - MAX_LISTED);
            nnt__rb_puts(b, ". The ranking above uses the first objective only.");
        }
        return 1;
    }
    return 0;
}

/* Plain-text sentences of the summary (shared by HTML and Markdown):
 * malloc'd array of malloc'd strings, NULL on out of memory. */
static char **report_findings(const nnt_report *r, int *n_out)
{
    const nnt_report_summary *s = &r->sum;
    char **list = NULL;
    int n = 0, cap = 0;
    rbuf b = {0};
#define EMIT()                                          \
    do {                                                \
        if (b.oom || add_finding(&list, &n, &cap, &b)) \
            goto oom;                                   \
    } while (0)

    nnt__rb_printf(&b, "%d trials: %d complete, %d pruned, %d failed, %d running.", s->n_trials,
                   s->n_complete, s->n_pruned, s->n_failed, s->n_running);
    EMIT();
    if (s->best_number < 0) {
        nnt__rb_puts(&b, "No completed trials yet: there is no best configuration, importance or "
                    "suggestion to show. Run the study further (it can be resumed) and report again.");
        EMIT();
    } else if (finding_best(r, &b)) {
        EMIT();
    }
    if (finding_importance(r, &b)) EMIT();
    /* best regions: important parameters (all of them when importance is unknown) */
    for (int k = 0; s->best_number >= 0 && k < s->n_params; k++)
        if (finding_region(r, k, &b)) EMIT();
    if (finding_overfit(r, &b)) EMIT();
    if (finding_diverged(r, &b)) EMIT();
    if (finding_pareto(r, &b)) EMIT();
    if (s->suggested_space) {
        if (findings_suggestion(r, &b)) EMIT();
        else nnt__rb_free(&b);
    }
#undef EMIT
    *n_out = n;
    if (!list) list = nnt__calloc(1, sizeof *list);
    return list;
oom:
    nnt__rb_free(&b);
    report_findings_free(list, n);
    return NULL;
}

int nnt__report_findings_list(const nnt_report *r, rbuf *b, const char *open, const char *close,
                              void (*esc)(rbuf *, const char *))
{
    int nf = 0;
    char **f = report_findings(r, &nf);
    if (!f) return NNT_ERR_NOMEM;
    for (int i = 0; i < nf; i++) {
        nnt__rb_puts(b, open);
        esc(b, f[i]);
        nnt__rb_puts(b, close);
    }
    report_findings_free(f, nf);
    return NNT_OK;
}

/* ---- Trial table columns ---------------------------------------------------- */
typedef struct columns {
    char **names; /* parameter names: the space's, then others seen in trials */
    int n, cap;
} columns;

static void columns_free(columns *c)
{
    for (int i = 0; i < c->n; i++) nnt__free(c->names[i]);
    nnt__free(c->names);
}

static int columns_add(columns *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->names[i], name)) return 0;
    if (c->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 16;
        char **nn = nnt__realloc(c->names, (size_t)nc * sizeof *nn);
        if (!nn) return -1;
        c->names = nn;
        c->cap = nc;
    }
    if (!(c->names[c->n] = nnt__strdup(name))) return -1;
    c->n++;
    return 0;
}

static int columns_build(const nnt_report *r, columns *c)
{
    memset(c, 0, sizeof *c);
    for (int p = 0; p < r->np; p++)
        if (columns_add(c, r->info[p].name)) return -1;
    for (int i = 0; i < r->n; i++) {
        json_object *o = r->t[i].rec->params ? json_tokener_parse(r->t[i].rec->params) : NULL;
        if (o && json_object_is_type(o, json_type_object)) {
            json_object_object_foreach(o, key, val)
            {
                (void)val;
                if (columns_add(c, key)) {
                    json_object_put(o);
                    return -1;
                }
            }
        }
        json_object_put(o);
    }
    return 0;
}

/* ---- CSV ---------------------------------------------------------------------- */
static void csv_num(rbuf *b, double v)
{
    char buf[32];
    if (isfinite(v)) nnt__rb_puts(b, nnt__fmt_exact(buf, v));
}

int nnt__report_render_csv(const nnt_report *r, rbuf *b)
{
    columns c;
    if (columns_build(r, &c)) {
        columns_free(&c);
        return NNT_ERR_NOMEM;
    }
    nnt__rb_puts(b, "number,state,value,value_spread,epochs,duration,error");
    for (int k = 1; k < r->n_objectives; k++) {
        nnt__rb_puts(b, ",value_");
        nnt__rb_csv(b, r->obj_names[k]);
    }
    for (int i = 0; i < c.n; i++) {
        nnt__rb_puts(b, ",");
        char *name = nnt__malloc(strlen(c.names[i]) + 8);
        if (!name) {
            columns_free(&c);
            return NNT_ERR_NOMEM;
        }
        snprintf(name, strlen(c.names[i]) + 8, "params_%s", c.names[i]);
        nnt__rb_csv(b, name);
        nnt__free(name);
    }
    nnt__rb_puts(b, "\n");
    for (int i = 0; i < r->n; i++) {
        const nnt_trial_record *t = r->t[i].rec;
        nnt__rb_printf(b, "%d,%s,", t->number, nnt_trial_state_name(t->state));
        csv_num(b, t->value);
        nnt__rb_puts(b, ",");
        csv_num(b, t->value_spread);
        nnt__rb_printf(b, ",%d,", t->epochs);
        csv_num(b, t->duration);
        nnt__rb_puts(b, ",");
        nnt__rb_csv(b, t->error ? t->error : "");
        for (int k = 1; k < r->n_objectives; k++) {
            nnt__rb_puts(b, ",");
            if (k < t->n_values) csv_num(b, t->values[k]);
        }
        json_object *o = t->params ? json_tokener_parse(t->params) : NULL;
        for (int k = 0; k < c.n; k++) {
            nnt__rb_puts(b, ",");
            json_object *v;
            if (o && json_object_object_get_ex(o, c.names[k], &v) && v)
                nnt__rb_csv(b, json_object_get_string(v));
        }
        json_object_put(o);
        nnt__rb_puts(b, "\n");
    }
    columns_free(&c);
    return NNT_OK;
}

/* ---- JSON --------------------------------------------------------------------- */
static json_object *jnum(double v)
{
    char buf[32];
    return isfinite(v) ? json_object_new_double_s(v, nnt__fmt_exact(buf, v)) : NULL;
}

static json_object *summary_json(const nnt_report *r)
{
    const nnt_report_summary *s = &r->sum;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "n_trials", json_object_new_int(s->n_trials));
    json_object_object_add(o, "n_complete", json_object_new_int(s->n_complete));
    json_object_object_add(o, "n_pruned", json_object_new_int(s->n_pruned));
    json_object_object_add(o, "n_failed", json_object_new_int(s->n_failed));
    json_object_object_add(o, "n_running", json_object_new_int(s->n_running));
    if (s->best_number >= 0) {
        json_object *b = json_object_new_object();
        json_object_object_add(b, "number", json_object_new_int(s->best_number));
        json_object_object_add(b, "value", jnum(s->best_value));
        json_object_object_add(b, "params", s->best_params ? json_tokener_parse(s->best_params) : NULL);
        json_object_object_add(o, "best", b);
    }
    json_object *imp = json_object_new_object();
    for (int k = 0; k < s->n_params; k++) {
        const nnt_report_param *q = &s->params[s->importance_order[k]];
        json_object_object_add(imp, q->name, jnum(q->importance));
    }
    json_object_object_add(o, "importance", imp);
    if (s->importance_note)
        json_object_object_add(o, "importance_note", json_object_new_string(s->importance_note));
    json_object *reg = json_object_new_object();
    for (int p = 0; p < s->n_params; p++) {
        const nnt_report_param *q = &s->params[p];
        if (q->kind == NNT_PARAM_FIXED || q->n_top_active == 0) continue;
        if (q->kind == NNT_PARAM_CATEGORICAL) {
            json_object *a = json_object_new_array();
            for (int c = 0; c < q->n_choices; c++)
                if (q->choice_top[c]) json_object_array_add(a, json_object_new_string(q->choices[c]));
            json_object_object_add(reg, q->name, a);
        } else {
            json_object *a = json_object_new_array();
            json_object_array_add(a, jnum(q->top_low));
            json_object_array_add(a, jnum(q->top_high));
            json_object_object_add(reg, q->name, a);
        }
    }
    json_object_object_add(o, "n_top", json_object_new_int(s->n_top));
    json_object_object_add(o, "best_region", reg);
    json_object_object_add(o, "curve_metric", json_object_new_string(s->curve_metric));
    json_object *of = json_object_new_array();
    for (int i = 0; i < s->n_overfit; i++) {
        const nnt_report_overfit *x = &s->overfit[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "number", json_object_new_int(x->number));
        json_object_object_add(j, "best_epoch", json_object_new_int(x->best_epoch));
        json_object_object_add(j, "last_epoch", json_object_new_int(x->last_epoch));
        json_object_object_add(j, "best_valid", jnum(x->best_valid));
        json_object_object_add(j, "last_valid", jnum(x->last_valid));
        json_object_object_add(j, "train_best", jnum(x->train_best));
        json_object_object_add(j, "train_last", jnum(x->train_last));
        json_object_object_add(j, "gap", jnum(x->gap));
        json_object_object_add(j, "rank", x->rank > 0 ? json_object_new_int(x->rank) : NULL);
        json_object_array_add(of, j);
    }
    json_object_object_add(o, "overfit", of);
    json_object *dv = json_object_new_array();
    for (int i = 0; i < s->n_diverged; i++) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "number", json_object_new_int(s->diverged[i].number));
        json_object_object_add(j, "lr", jnum(s->diverged[i].lr));
        json_object_object_add(j, "error", json_object_new_string(s->diverged[i].error));
        json_object_array_add(dv, j);
    }
    json_object_object_add(o, "diverged", dv);
    if (s->suggested_space)
        json_object_object_add(o, "suggested_study", json_tokener_parse(s->suggested_space));
    if (s->multi_objective) {
        json_object *names = json_object_new_array(), *front = json_object_new_array();
        for (int k = 0; k < s->n_objectives; k++)
            json_object_array_add(names, json_object_new_string(s->objective_names[k]));
        for (int i = 0; i < s->n_pareto; i++)
            json_object_array_add(front, json_object_new_int(s->pareto[i]));
        json_object_object_add(o, "objectives", names);
        json_object_object_add(o, "pareto_front", front);
    }
    return o;
}

int nnt__report_render_json(const nnt_report *r, rbuf *b)
{
    columns c;
    if (columns_build(r, &c)) {
        columns_free(&c);
        return NNT_ERR_NOMEM;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "study", json_object_new_string(r->study.name));
    json_object_object_add(o, "metric", json_object_new_string(r->study.metric));
    json_object_object_add(o, "direction",
                           json_object_new_string(r->study.maximize ? "maximize" : "minimize"));
    json_object *cols = json_object_new_array();
    static const char *const fixed_cols[] = {"number", "state", "value", "value_spread",
                                             "epochs", "duration", "error"};
    for (int i = 0; i < 7; i++) json_object_array_add(cols, json_object_new_string(fixed_cols[i]));
    char name[512];
    for (int k = 1; k < r->n_objectives; k++) {
        snprintf(name, sizeof name, "value_%s", r->obj_names[k]);
        json_object_array_add(cols, json_object_new_string(name));
    }
    for (int i = 0; i < c.n; i++) {
        snprintf(name, sizeof name, "params_%s", c.names[i]);
        json_object_array_add(cols, json_object_new_string(name));
    }
    json_object_object_add(o, "columns", cols);
    json_object *a = json_object_new_array();
    for (int i = 0; i < r->n; i++) {
        const nnt_trial_record *t = r->t[i].rec;
        json_object *j = json_object_new_object();
        json_object_object_add(j, "number", json_object_new_int(t->number));
        json_object_object_add(j, "state", json_object_new_string(nnt_trial_state_name(t->state)));
        json_object_object_add(j, "value", jnum(t->value));
        json_object_object_add(j, "value_spread", jnum(t->value_spread));
        json_object_object_add(j, "epochs", json_object_new_int(t->epochs));
        json_object_object_add(j, "duration", jnum(t->duration));
        json_object_object_add(j, "error", t->error ? json_object_new_string(t->error) : NULL);
        for (int k = 1; k < r->n_objectives; k++) {
            snprintf(name, sizeof name, "value_%s", r->obj_names[k]);
            json_object_object_add(j, name, k < t->n_values ? jnum(t->values[k]) : NULL);
        }
        json_object *p = t->params ? json_tokener_parse(t->params) : NULL;
        for (int k = 0; k < c.n; k++) {
            json_object *v = NULL;
            snprintf(name, sizeof name, "params_%s", c.names[k]);
            if (p && json_object_object_get_ex(p, c.names[k], &v) && v) v = json_object_get(v);
            else v = NULL;
            json_object_object_add(j, name, v);
        }
        json_object_put(p);
        json_object_array_add(a, j);
    }
    json_object_object_add(o, "trials", a);
    json_object_object_add(o, "summary", summary_json(r));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = text ? NNT_OK : NNT_ERR_NOMEM;
    if (text) {
        nnt__rb_utf8(b, text); /* names and errors from storage may hold any bytes */
        nnt__rb_puts(b, "\n");
    }
    json_object_put(o);
    columns_free(&c);
    return rc;
}

/* ---- Markdown ----------------------------------------------------------------- */
static void md_trial_row(const nnt_report *r, const rtrial *t, rbuf *b, int rank)
{
    char v[32];
    if (rank > 0) nnt__rb_printf(b, "| %d ", rank);
    nnt__rb_printf(b, "| %d | %s | %s | %d | ", t->rec->number, nnt_trial_state_name(t->rec->state),
                   nnt__fmt_value(v, t->rec->value), t->rec->epochs);
    if (t->x_ok) {
        for (int p = 0; p < r->np; p++) {
            nnt__rb_md(b, nnt__report_param_text(r, t, p, v));
            nnt__rb_puts(b, " | ");
        }
    } else {
        nnt__rb_md(b, t->rec->params ? t->rec->params : "");
        nnt__rb_puts(b, " | ");
    }
    if (rank == 0) {
        nnt__rb_md(b, t->rec->error ? t->rec->error : "");
        nnt__rb_puts(b, " |");
    }
    nnt__rb_puts(b, "\n");
}

static void md_trial_header(const nnt_report *r, rbuf *b, int ranked)
{
    nnt__rb_puts(b, ranked ? "| rank | trial | state | " : "| trial | state | ");
    nnt__rb_md(b, r->study.metric);
    nnt__rb_puts(b, " | epochs run | ");
    int ncol = 4 + (ranked ? 1 : 0);
    if (r->np > 0) {
        for (int p = 0; p < r->np; p++) {
            nnt__rb_md(b, r->info[p].name);
            nnt__rb_puts(b, " | ");
        }
        ncol += r->np;
    } else {
        nnt__rb_puts(b, "params | ");
        ncol++;
    }
    if (!ranked) {
        nnt__rb_puts(b, "error |");
        ncol++;
    }
    nnt__rb_puts(b, "\n|");
    for (int i = 0; i < ncol; i++) nnt__rb_puts(b, "---|");
    nnt__rb_puts(b, "\n");
}

int nnt__report_render_md(const nnt_report *r, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    char v[32];
    nnt__rb_puts(b, "# Study ");
    nnt__rb_md(b, s->study);
    nnt__rb_puts(b, "\n\nObjective: ");
    nnt__rb_md(b, s->metric);
    nnt__rb_printf(b, " (%s). Generated by nntune %s.\n\n## Summary\n\n",
                   s->maximize ? "maximize" : "minimize", nnt_version());
    if (nnt__report_findings_list(r, b, "- ", "\n", nnt__rb_md) != NNT_OK) return NNT_ERR_NOMEM;
    if (r->n_ranked > 0) {
        int k = s->n_top > r->opt.top_k ? s->n_top : r->opt.top_k;
        if (k > REPORT_TOP_TABLE_MAX) k = REPORT_TOP_TABLE_MAX;
        if (k > r->n_ranked) k = r->n_ranked;
        nnt__rb_printf(b, "\n## Top %d trials\n\n", k);
        md_trial_header(r, b, 1);
        for (int i = 0; i < k; i++) md_trial_row(r, &r->t[r->ranked[i]], b, i + 1);
    }
    if (s->n_params > 0 && !s->importance_note) {
        char v[32];
        nnt__rb_puts(b, "\n## Hyperparameter importance\n\n| parameter | share of variance |\n|---|---|\n");
        for (int k = 0; k < s->n_params; k++) {
            const nnt_report_param *q = &s->params[s->importance_order[k]];
            if (q->kind == NNT_PARAM_FIXED) continue;
            nnt__rb_puts(b, "| ");
            nnt__rb_md(b, q->name);
            nnt__rb_printf(b, " | %s |\n", pct(v, q->importance));
        }
        nnt__rb_printf(b, "\nMain effects together: %s of the variance; the rest is interactions "
                     "and noise.\n",
                       pct(v, s->importance_explained));
    }
    if (s->n_overfit > 0) {
        nnt__rb_printf(b, "\n## Overfitting\n\n%d of the %d trials with per-epoch values overfit; the "
                     "%d best-ranked (every one is in `--format json`). Validation and training "
                     "are the same metric, %s; the gap is training minus validation at the last "
                     "epoch (positive: training is better).\n\n",
                       s->n_overfit, s->n_with_epochs, s->n_overfit_listed, s->curve_metric);
        nnt__rb_puts(b, "| trial | rank | best epoch | last epoch | validation (best, last) | "
                   "training (best, last) | gap at end | training loss (best, last) |\n"
                   "|---|---|---|---|---|---|---|---|\n");
        for (int k = 0; k < s->n_overfit_listed; k++) {
            const nnt_report_overfit *o = &s->overfit[s->overfit_listed[k]];
            char a[32], c[32], d[32], e[32], f[32], g[32];
            nnt__rb_printf(b, "| %d | ", o->number);
            if (o->rank > 0) nnt__rb_printf(b, "%d", o->rank);
            else nnt__rb_puts(b, "-");
            nnt__rb_printf(b, " | %d | %d | %s, %s | %s, %s | %s | %s, %s |\n", o->best_epoch,
                           o->last_epoch, nnt__fmt_value(v, o->best_valid), nnt__fmt_value(a, o->last_valid),
                           nnt__fmt_value(c, o->train_best), nnt__fmt_value(d, o->train_last),
                           nnt__fmt_value(e, o->gap), nnt__fmt_value(f, o->train_loss_best),
                           nnt__fmt_value(g, o->train_loss_last));
        }
    }
    if (s->n_diverged > 0) {
        nnt__rb_puts(b, "\n## Diverged trials\n\n| trial | lr | error |\n|---|---|---|\n");
        for (int i = 0; i < s->n_diverged; i++) {
            nnt__rb_printf(b, "| %d | %s | ", s->diverged[i].number, nnt__fmt_short(v, s->diverged[i].lr));
            nnt__rb_md(b, s->diverged[i].error);
            nnt__rb_puts(b, " |\n");
        }
    }
    if (s->suggested_space) {
        nnt__rb_puts(b, "\n## Suggested search space\n\nWritten by `nntune report --suggest-space FILE`:\n\n"
                   "```json\n");
        nnt__rb_puts(b, s->suggested_space); /* JSON of known parameter names: no fence inside */
        nnt__rb_puts(b, "\n```\n");
    }
    if (r->n > 0) {
        nnt__rb_printf(b, "\n## All trials (%d)\n\n", r->n);
        md_trial_header(r, b, 0);
        for (int i = 0; i < r->n; i++) md_trial_row(r, &r->t[i], b, 0);
    }
    return NNT_OK;
}
