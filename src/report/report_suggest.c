/* The suggested search space of a report: the study's space narrowed
 * around the top trials for the parameters that mattered. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"
#include "report/report_internal.h"

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
        json_object_object_add(def, "low", json_object_new_double_s(lo, nnt__fmt_exact(buf, lo)));
        json_object_object_add(def, "high", json_object_new_double_s(hi, nnt__fmt_exact(buf, hi)));
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

int nnt__report_compute_suggestion(nnt_report *r, nnt_error *err)
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
    nnt__rb_printf(&b, "{\n  \"objective\": %s,\n  \"space\": {", r->objective_json);
    int first = 1;
    json_object_object_foreach(final, name, def)
    {
        json_object *key = json_object_new_string(name);
        nnt__rb_printf(&b, "%s\n    %s: %s", first ? "" : ",", json_object_to_json_string_ext(key, flags),
                       json_object_to_json_string_ext(def, flags));
        json_object_put(key);
        first = 0;
    }
    nnt__rb_puts(&b, "\n  }\n}");
    json_object_put(final);
    r->suggested = nnt__rb_take(&b, NULL);
    if (!r->suggested) return nnt_fail(err, NNT_ERR_NOMEM, "report: out of memory");
    return NNT_OK;
}
