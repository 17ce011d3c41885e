/* Search spaces: parameters, the command-line SPEC language, conditions and
 * their dependency order, and the mapping of unit draws and grid points onto
 * parameter values. JSON lives in space_json.c, names and options in
 * space_apply.c. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/numfmt.h"
#include "tune/space_internal.h"

/* ==== Values ================================================================ */

const char *nnt__space_fmt_double(char *buf, double v) { return nnt__fmt_shortest(buf, v); }

void nnt__space_value_clear(space_value *v)
{
    if (!v) return;
    nnt__free(v->text);
    v->text = NULL;
}

int nnt__space_value_number(space_value *v, double num)
{
    char buf[32];
    v->kind = SV_NUMBER;
    v->num = num == 0 ? 0 : num;
    v->text = nnt__strdup(nnt__space_fmt_double(buf, num));
    return v->text ? NNT_OK : NNT_ERR_NOMEM;
}

int nnt__space_value_string(space_value *v, const char *text)
{
    v->kind = SV_STRING;
    v->num = NAN;
    v->text = nnt__strdup(text);
    return v->text ? NNT_OK : NNT_ERR_NOMEM;
}

int nnt__space_value_bool(space_value *v, int b)
{
    v->kind = SV_BOOL;
    v->num = b ? 1 : 0;
    v->text = nnt__strdup(b ? "true" : "false");
    return v->text ? NNT_OK : NNT_ERR_NOMEM;
}

static int space_value_copy(space_value *dst, const space_value *src)
{
    *dst = *src;
    dst->text = nnt__strdup(src->text);
    return dst->text ? NNT_OK : NNT_ERR_NOMEM;
}

static void free_values(space_value *v, int n)
{
    if (!v) return;
    for (int i = 0; i < n; i++) nnt__space_value_clear(&v[i]);
    nnt__free(v);
}

static void cond_clear(space_cond *c)
{
    nnt__free(c->parent);
    free_values(c->values, c->n_values);
    memset(c, 0, sizeof *c);
}

void nnt__space_param_clear(space_param *p)
{
    if (!p) return;
    nnt__free(p->name);
    free_values(p->choices, p->n_choices);
    cond_clear(&p->cond);
    memset(p, 0, sizeof *p);
}

static int values_copy(space_value **dst, const space_value *src, int n)
{
    *dst = NULL;
    if (n == 0) return NNT_OK;
    space_value *v = nnt__calloc((size_t)n, sizeof *v);
    if (!v) return NNT_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        if (space_value_copy(&v[i], &src[i]) != NNT_OK) {
            free_values(v, i);
            return NNT_ERR_NOMEM;
        }
    }
    *dst = v;
    return NNT_OK;
}

static int param_copy(space_param *dst, const space_param *src)
{
    *dst = *src;
    dst->name = NULL;
    dst->choices = NULL;
    dst->cond.parent = NULL;
    dst->cond.values = NULL;
    dst->name = nnt__strdup(src->name);
    if (!dst->name) goto oom;
    if (values_copy(&dst->choices, src->choices, src->n_choices) != NNT_OK) goto oom;
    if (src->has_cond) {
        dst->cond.parent = nnt__strdup(src->cond.parent);
        if (!dst->cond.parent) goto oom;
        if (values_copy(&dst->cond.values, src->cond.values, src->cond.n_values) != NNT_OK)
            goto oom;
    }
    return NNT_OK;
oom:
    dst->n_choices = src->choices && !dst->choices ? 0 : dst->n_choices;
    dst->cond.n_values = src->cond.values && !dst->cond.values ? 0 : dst->cond.n_values;
    nnt__space_param_clear(dst);
    return NNT_ERR_NOMEM;
}

/* ==== Space handle ========================================================== */

nnt_space *nnt_space_new(void) { return nnt__calloc(1, sizeof(nnt_space)); }

nnt_space *nnt_space_new_any(void)
{
    nnt_space *s = nnt_space_new();
    if (s) s->any_names = 1;
    return s;
}

int nnt_space_any_names(const nnt_space *s)
{
    return s ? s->any_names : 0;
}

void nnt_space_free(nnt_space *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) nnt__space_param_clear(&s->p[i]);
    nnt__free(s->p);
    nnt__free(s);
}

nnt_space *nnt_space_clone(const nnt_space *s)
{
    nnt_space *c = nnt_space_new();
    if (!c) return NULL;
    c->any_names = s->any_names;
    if (s->n > 0) {
        c->p = nnt__calloc((size_t)s->n, sizeof *c->p);
        if (!c->p) {
            nnt__free(c);
            return NULL;
        }
        c->cap = s->n;
        for (int i = 0; i < s->n; i++) {
            if (param_copy(&c->p[i], &s->p[i]) != NNT_OK) {
                nnt_space_free(c);
                return NULL;
            }
            c->n++;
        }
    }
    return c;
}

int nnt_space_size(const nnt_space *s) { return s ? s->n : 0; }

int nnt_space_find(const nnt_space *s, const char *name)
{
    if (!s || !name) return -1;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->p[i].name, name) == 0) return i;
    return -1;
}

int nnt__space_parent(const nnt_space *s, int i)
{
    if (!s->p[i].has_cond) return -1;
    int j = nnt_space_find(s, s->p[i].cond.parent);
    return j < 0 ? -2 : j;
}

double nnt__space_effective_step(const space_param *p)
{
    if (p->kind == NNT_PARAM_INT) return p->step > 0 ? p->step : 1;
    return p->kind == NNT_PARAM_FLOAT ? p->step : 0;
}

int nnt_space_info(const nnt_space *s, int i, nnt_param_info *out)
{
    if (!s || i < 0 || i >= s->n || !out) return NNT_ERR_ARG;
    const space_param *p = &s->p[i];
    memset(out, 0, sizeof *out);
    out->name = p->name;
    out->kind = p->kind;
    out->low = p->low;
    out->high = p->high;
    out->log = p->log;
    out->step = nnt__space_effective_step(p);
    out->grid_points = p->points;
    out->n_choices = p->n_choices;
    int par = nnt__space_parent(s, i);
    out->parent = par < 0 ? -1 : par;
    return NNT_OK;
}

const char *nnt_space_choice(const nnt_space *s, int i, int c)
{
    if (!s || i < 0 || i >= s->n) return NULL;
    const space_param *p = &s->p[i];
    if (c < 0 || c >= p->n_choices) return NULL;
    return p->choices[c].text;
}

int nnt__space_put(nnt_space *s, space_param *p, nnt_error *err)
{
    int i = nnt_space_find(s, p->name);
    if (i >= 0) {
        space_param *old = &s->p[i];
        if (!p->has_cond && old->has_cond) {
            p->has_cond = 1;
            p->cond = old->cond;
            memset(&old->cond, 0, sizeof old->cond);
            old->has_cond = 0;
        }
        nnt__space_param_clear(old);
        *old = *p;
        memset(p, 0, sizeof *p);
        return NNT_OK;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        space_param *np = nnt__realloc(s->p, (size_t)cap * sizeof *np);
        if (!np) {
            nnt__space_param_clear(p);
            return nnt_fail(err, NNT_ERR_NOMEM, "space: out of memory");
        }
        s->p = np;
        s->cap = cap;
    }
    s->p[s->n++] = *p;
    memset(p, 0, sizeof *p);
    return NNT_OK;
}

/* ==== The command-line SPEC language ======================================= */

static char *trim(char *t)
{
    while (isspace((unsigned char)*t)) t++;
    size_t n = strlen(t);
    while (n > 0 && isspace((unsigned char)t[n - 1])) t[--n] = '\0';
    return t;
}

/* Strict number: the whole token, finite. */
static int parse_number(const char *t, double *out)
{
    if (!*t) return 0;
    char *end;
    errno = 0;
    double v = strtod(t, &end);
    if (*end != '\0' || end == t || !isfinite(v) || errno == ERANGE) return 0;
    *out = v;
    return 1;
}

/* A token of a list or a fixed value: number, true/false, or a name. */
static int token_value(const char *t, space_value *v)
{
    double d;
    if (parse_number(t, &d)) return nnt__space_value_number(v, d);
    if (strcmp(t, "true") == 0) return nnt__space_value_bool(v, 1);
    if (strcmp(t, "false") == 0) return nnt__space_value_bool(v, 0);
    return nnt__space_value_string(v, t);
}

/* Splits a comma list into values; empty items are errors. */
static int parse_list(char *text, const char *path, space_value **out, int *n_out,
                      nnt_error *err)
{
    int cap = 1;
    for (const char *c = text; *c; c++) cap += *c == ',';
    space_value *v = nnt__calloc((size_t)cap, sizeof *v);
    if (!v) return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", path);
    int n = 0;
    char *item = text;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma) *comma = '\0';
        char *t = trim(item);
        if (!*t) {
            free_values(v, n);
            return nnt_fail(err, NNT_ERR_ARG, "%s: empty item %d in the list; expected A,B,C",
                            path, n + 1);
        }
        if (token_value(t, &v[n]) != NNT_OK) {
            free_values(v, n);
            return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", path);
        }
        n++;
        if (!comma) break;
        item = comma + 1;
    }
    *out = v;
    *n_out = n;
    return NNT_OK;
}

static int spec_range(char *text, const char *name, const char *path, const space_domain *dom,
                      space_param *p, nnt_error *err)
{
    static const char *usage = "LOW:HIGH[:log][:step=S][:points=N]";
    if (dom && (dom->kind == DOM_ACTIVATION || dom->kind == DOM_OPTIMIZER || dom->kind == DOM_SCHEDULE))
        return nnt_fail(err, NNT_ERR_ARG, "%s: %s takes names, not a range; expected A,B,C or one name",
                        path, name);
    if (dom) {
        p->kind = (dom->kind == DOM_INT || dom->kind == DOM_BOOL) ? NNT_PARAM_INT : NNT_PARAM_FLOAT;
    }
    /* A user objective's name has no domain: a range written in integers
     * ("1:10", "2:64:log:step=2") is an int range, any other ("0.0:1",
     * "1e-4:1e-1:log") a float one. */
    int decimal = 0;
    int part = 0;
    char *item = text;
    for (;;) {
        char *colon = strchr(item, ':');
        if (colon) *colon = '\0';
        char *t = trim(item);
        if (part < 2) {
            double v;
            decimal |= strpbrk(t, ".eE") != NULL;
            if (!parse_number(t, &v))
                return nnt_fail(err, NNT_ERR_ARG, "%s: expected a number for %s, got '%s' (%s)",
                                path, part == 0 ? "LOW" : "HIGH", t, usage);
            if (part == 0) p->low = v; else p->high = v;
        } else if (strcmp(t, "log") == 0) {
            p->log = 1;
        } else if (strncmp(t, "step=", 5) == 0) {
            double v;
            if (!parse_number(t + 5, &v) || v <= 0)
                return nnt_fail(err, NNT_ERR_ARG, "%s: expected step=S with a number S > 0, got '%s'",
                                path, t);
            decimal |= strpbrk(t + 5, ".eE") != NULL;
            p->step = v;
        } else if (strncmp(t, "points=", 7) == 0) {
            double v;
            if (!parse_number(t + 7, &v) || v < 1 || v != floor(v) || v > 1e6)
                return nnt_fail(err, NNT_ERR_ARG,
                                "%s: expected points=N with an integer N >= 1, got '%s'", path, t);
            p->points = (int)v;
        } else {
            return nnt_fail(err, NNT_ERR_ARG,
                            "%s: unknown range option '%s'; expected log, step=S or points=N (%s)",
                            path, t, usage);
        }
        part++;
        if (!colon) break;
        item = colon + 1;
    }
    if (part < 2)
        return nnt_fail(err, NNT_ERR_ARG, "%s: expected %s", path, usage);
    if (!dom) p->kind = decimal ? NNT_PARAM_FLOAT : NNT_PARAM_INT;
    return NNT_OK;
}

int nnt_space_set_spec(nnt_space *s, const char *name, const char *spec, nnt_error *err)
{
    if (!s || !name || !spec) return nnt_fail(err, NNT_ERR_ARG, "--param: missing name or value");
    char path[160];
    snprintf(path, sizeof path, "--param %s", name);
    const space_domain *dom = s->any_names ? NULL : nnt__space_domain_find(name);
    if (!dom && !s->any_names)
        return nnt_fail(err, NNT_ERR_ARG, "%s: unknown parameter; expected one of %s", path,
                        nnt_space_known_params());
    char *copy = nnt__strdup(spec);
    if (!copy) return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", path);
    char *text = trim(copy);
    space_param p;
    memset(&p, 0, sizeof p);
    int rc;
    if (!*text) {
        rc = nnt_fail(err, NNT_ERR_ARG,
                      "%s: empty value; expected VALUE, A,B,C or LOW:HIGH[:log][:step=S][:points=N]",
                      path);
    } else if (strchr(text, ':')) {
        rc = spec_range(text, name, path, dom, &p, err);
    } else {
        rc = parse_list(text, path, &p.choices, &p.n_choices, err);
        if (rc == NNT_OK) p.kind = p.n_choices == 1 ? NNT_PARAM_FIXED : NNT_PARAM_CATEGORICAL;
    }
    nnt__free(copy);
    if (rc == NNT_OK) {
        p.name = nnt__strdup(name);
        if (!p.name) rc = nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", path);
    }
    if (rc == NNT_OK) rc = nnt__space_check_param(&p, path, 0, s->any_names, err);
    if (rc == NNT_OK) return nnt__space_put(s, &p, err);
    nnt__space_param_clear(&p);
    return rc;
}

int nnt_space_set_condition(nnt_space *s, const char *name, const char *cond, nnt_error *err)
{
    if (!s || !name || !cond) return nnt_fail(err, NNT_ERR_ARG, "condition: missing name or text");
    int i = nnt_space_find(s, name);
    if (i < 0)
        return nnt_fail(err, NNT_ERR_NOT_FOUND, "condition on %s: no such parameter in the space",
                        name);
    char path[160];
    snprintf(path, sizeof path, "condition on %s", name);
    static const char *usage = "PARENT=A,B, PARENT>=A, PARENT<=B or PARENT=A:B";
    char *copy = nnt__strdup(cond);
    if (!copy) return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", path);
    space_cond c;
    memset(&c, 0, sizeof c);
    c.min = -INFINITY;
    c.max = INFINITY;
    int rc = NNT_OK;
    char *op = strpbrk(copy, "<>=");
    if (!op) {
        rc = nnt_fail(err, NNT_ERR_ARG, "%s: expected %s, got '%s'", path, usage, cond);
        goto done;
    }
    char opch = *op;
    *op = '\0';
    char *rhs = op + 1;
    if (opch != '=') {
        if (*rhs != '=') {
            rc = nnt_fail(err, NNT_ERR_ARG, "%s: expected %s, got '%s'", path, usage, cond);
            goto done;
        }
        rhs++;
    }
    char *parent = trim(copy);
    rhs = trim(rhs);
    if (!*parent) {
        rc = nnt_fail(err, NNT_ERR_ARG, "%s: missing parent name; expected %s", path, usage);
        goto done;
    }
    if (opch != '=' || strchr(rhs, ':')) {
        c.is_range = 1;
        double a = 0, b = 0;
        char *colon = strchr(rhs, ':');
        int ok;
        if (opch == '=') {
            *colon = '\0';
            ok = parse_number(trim(rhs), &a) && parse_number(trim(colon + 1), &b);
            c.min = a;
            c.max = b;
        } else {
            ok = parse_number(rhs, &a);
            if (opch == '>') c.min = a; else c.max = a;
        }
        if (!ok) {
            rc = nnt_fail(err, NNT_ERR_ARG, "%s: expected numbers in the range, got '%s'", path,
                          cond);
            goto done;
        }
        if (c.min > c.max) {
            rc = nnt_fail(err, NNT_ERR_ARG, "%s: range min %g > max %g", path, c.min, c.max);
            goto done;
        }
    } else {
        rc = parse_list(rhs, path, &c.values, &c.n_values, err);
        if (rc != NNT_OK) goto done;
    }
    c.parent = nnt__strdup(parent);
    if (!c.parent) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    cond_clear(&s->p[i].cond);
    s->p[i].cond = c;
    s->p[i].has_cond = 1;
    memset(&c, 0, sizeof c);
done:
    cond_clear(&c);
    nnt__free(copy);
    return rc;
}

/* ==== Conditions and their order =========================================== */

static int value_is_numeric(const space_value *v) { return v->kind != SV_STRING; }

static int choices_numeric(const space_param *p)
{
    for (int c = 0; c < p->n_choices; c++)
        if (!value_is_numeric(&p->choices[c])) return 0;
    return 1;
}

int nnt__space_cond_holds(const nnt_space *s, int i, int parent, const double *x)
{
    const space_cond *c = &s->p[i].cond;
    const space_param *pp = &s->p[parent];
    double v = x[parent];
    if (isnan(v)) return 0;
    if (pp->kind == NNT_PARAM_INT || pp->kind == NNT_PARAM_FLOAT) {
        if (c->is_range) return v >= c->min && v <= c->max;
        for (int k = 0; k < c->n_values; k++)
            if (value_is_numeric(&c->values[k]) && c->values[k].num == v) return 1;
        return 0;
    }
    int k = (int)v;
    if (k < 0 || k >= pp->n_choices) return 0;
    const space_value *ch = &pp->choices[k];
    if (c->is_range) return value_is_numeric(ch) && ch->num >= c->min && ch->num <= c->max;
    for (int j = 0; j < c->n_values; j++) {
        const space_value *cv = &c->values[j];
        if (value_is_numeric(cv) && value_is_numeric(ch) ? cv->num == ch->num
                                                        : strcmp(cv->text, ch->text) == 0)
            return 1;
    }
    return 0;
}

int nnt_space_validate(const nnt_space *s, nnt_error *err)
{
    if (!s) return nnt_fail(err, NNT_ERR_ARG, "space: NULL");
    char path[160];
    for (int i = 0; i < s->n; i++) {
        snprintf(path, sizeof path, "space.%s", s->p[i].name);
        int rc = nnt__space_check_param(&s->p[i], path, 1, s->any_names, err);
        if (rc != NNT_OK) return rc;
    }
    for (int i = 0; i < s->n; i++) {
        const space_param *p = &s->p[i];
        if (!p->has_cond) continue;
        int j = nnt__space_parent(s, i);
        if (j == -2)
            return nnt_fail(err, NNT_ERR_ARG,
                            "space.%s.if.%s: condition on a parameter that is not in the space",
                            p->name, p->cond.parent);
        const space_param *pp = &s->p[j];
        int numeric_parent = pp->kind == NNT_PARAM_INT || pp->kind == NNT_PARAM_FLOAT;
        if (p->cond.is_range && !numeric_parent && !choices_numeric(pp))
            return nnt_fail(err, NNT_ERR_ARG,
                            "space.%s.if.%s: a min/max condition needs a numeric parent, but %s "
                            "has non-numeric values",
                            p->name, pp->name, pp->name);
        if (!p->cond.is_range && numeric_parent) {
            for (int k = 0; k < p->cond.n_values; k++)
                if (!value_is_numeric(&p->cond.values[k]))
                    return nnt_fail(err, NNT_ERR_ARG,
                                    "space.%s.if.%s: expected numbers (%s is numeric), got \"%s\"",
                                    p->name, pp->name, pp->name, p->cond.values[k].text);
        }
    }
    /* Each parameter has at most one parent, so a cycle shows up as a parent
     * chain longer than the space. */
    for (int i = 0; i < s->n; i++) {
        int j = i, steps = 0;
        while (j >= 0 && steps <= s->n) {
            j = nnt__space_parent(s, j);
            steps++;
        }
        if (j < 0) continue;
        /* j is on the cycle now: print it from its first parameter in space
         * order, so the message does not depend on where the walk began. */
        for (int k = nnt__space_parent(s, j), first = j; k != first; k = nnt__space_parent(s, k))
            if (k < j) j = k;
        char msg[600];
        size_t len = 0;
        int k = j;
        do {
            int w = snprintf(msg + len, sizeof msg - len, "%s -> ", s->p[k].name);
            if (w < 0 || (size_t)w >= sizeof msg - len) break;
            len += (size_t)w;
            k = nnt__space_parent(s, k);
        } while (k != j);
        snprintf(msg + len, sizeof msg - len, "%s", s->p[j].name);
        return nnt_fail(err, NNT_ERR_ARG,
                        "space.%s.if: conditions form a cycle (each depends on the next): %s",
                        s->p[j].name, msg);
    }
    return NNT_OK;
}

int nnt__space_order(const nnt_space *s, int *order, nnt_error *err)
{
    int rc = nnt_space_validate(s, err);
    if (rc != NNT_OK) return rc;
    uint8_t *placed = nnt__calloc((size_t)s->n + 1, 1);
    if (!placed) return nnt_fail(err, NNT_ERR_NOMEM, "space: out of memory");
    /* Smallest index first among the ready ones, so that a space without
     * conditions keeps its own order. */
    for (int pos = 0; pos < s->n; pos++) {
        for (int i = 0; i < s->n; i++) {
            if (placed[i]) continue;
            int j = nnt__space_parent(s, i);
            if (j < 0 || placed[j]) {
                placed[i] = 1;
                order[pos] = i;
                break;
            }
        }
    }
    nnt__free(placed);
    return NNT_OK;
}

void nnt__space_resolve_order(const nnt_space *s, const int *order, double *x, uint8_t *active)
{
    for (int pos = 0; pos < s->n; pos++) {
        int i = order[pos];
        int j = nnt__space_parent(s, i);
        int on = j < 0 || (active[j] && nnt__space_cond_holds(s, i, j, x));
        active[i] = (uint8_t)on;
        if (!on) x[i] = NAN;
    }
}

int nnt_space_resolve(const nnt_space *s, double *x, uint8_t *active, nnt_error *err)
{
    if (!s) return nnt_fail(err, NNT_ERR_ARG, "space: NULL");
    int *order = nnt__malloc_array((size_t)s->n + 1, sizeof *order);
    if (!order) return nnt_fail(err, NNT_ERR_NOMEM, "space: out of memory");
    int rc = nnt__space_order(s, order, err);
    if (rc == NNT_OK) nnt__space_resolve_order(s, order, x, active);
    nnt__free(order);
    return rc;
}

/* ==== From the unit interval and grids to values ============================= */

long nnt__space_step_count(const space_param *p)
{
    double st = nnt__space_effective_step(p);
    if (st <= 0) return 0;
    double r = (p->high - p->low) / st;
    /* 0.3/0.1 = 2.9999999999999996 must still count 3 steps. */
    double k = floor(r + 1e-12 * (r > 1 ? r : 1));
    return k < 0 ? 0 : (k > 1e15 ? (long)1e15 : (long)k);
}

static double snap(const space_param *p, double v, double st, long kmax)
{
    double k = floor((v - p->low) / st + 0.5);
    if (k < 0) k = 0;
    if (k > (double)kmax) k = (double)kmax;
    double r = p->low + k * st;
    return r > p->high ? p->high : r;
}

double nnt__space_map_unit(const space_param *p, double u)
{
    if (!(u >= 0)) u = 0;
    if (u >= 1) u = nextafter(1.0, 0.0);
    switch (p->kind) {
    case NNT_PARAM_CATEGORICAL: {
        int k = (int)(u * p->n_choices);
        return k >= p->n_choices ? p->n_choices - 1 : k;
    }
    case NNT_PARAM_FIXED: return 0;
    default: break;
    }
    double st = nnt__space_effective_step(p);
    if (st > 0) {
        long kmax = nnt__space_step_count(p);
        if (p->log) {
            /* Log-uniform over the cells around each step point, so that each
             * point gets the log-width of its own cell. */
            double lo = p->low - 0.5 * st, hi = p->low + ((double)kmax + 0.5) * st;
            if (lo <= 0) lo = 0.5 * p->low;
            double r = exp(log(lo) + u * (log(hi) - log(lo)));
            return snap(p, r, st, kmax);
        }
        double k = floor(u * (double)(kmax + 1));
        if (k > (double)kmax) k = (double)kmax;
        double r = p->low + k * st;
        return r > p->high ? p->high : r;
    }
    double v;
    if (p->log) v = exp(log(p->low) + u * (log(p->high) - log(p->low)));
    else v = p->low + u * (p->high - p->low);
    if (v < p->low) v = p->low;
    if (v > p->high) v = p->high;
    return v;
}

long nnt__space_grid_values(const space_param *p, double *out, long max_count)
{
    if (p->kind == NNT_PARAM_CATEGORICAL || p->kind == NNT_PARAM_FIXED) {
        long n = p->kind == NNT_PARAM_FIXED ? 1 : p->n_choices;
        if (n > max_count) return -1;
        if (out)
            for (long k = 0; k < n; k++) out[k] = (double)k;
        return n;
    }
    double st = nnt__space_effective_step(p);
    long kmax = nnt__space_step_count(p);
    if (p->points == 0 && p->step > 0) {
        /* An explicit step without a point count: every step point. */
        if (kmax + 1 > max_count) return -1;
        if (out)
            for (long k = 0; k <= kmax; k++) {
                double v = p->low + (double)k * st;
                out[k] = v > p->high ? p->high : v;
            }
        return kmax + 1;
    }
    long P = p->points > 0 ? p->points : 3;
    if (P > max_count) return -1;
    long n = 0;
    double prev = NAN;
    for (long j = 0; j < P; j++) {
        double t = P == 1 ? 0.5 : (double)j / (double)(P - 1);
        double v;
        if (P > 1 && j == 0) v = p->low;
        else if (P > 1 && j == P - 1) v = p->high;
        else if (p->log) v = exp(log(p->low) + t * (log(p->high) - log(p->low)));
        else v = p->low + t * (p->high - p->low);
        if (st > 0) v = snap(p, v, st, kmax);
        if (v < p->low) v = p->low;
        if (v > p->high) v = p->high;
        if (n > 0 && v == prev) continue;
        if (out) out[n] = v;
        prev = v;
        n++;
    }
    return n;
}

/* ==== The default space ====================================================== */

/* Kept in the study-file syntax so that docs/search-space.md can show it
 * verbatim. */
static const char default_space_json[] =
    "{\n"
    "  \"hidden_layers\": {\"type\": \"int\", \"low\": 1, \"high\": 3},\n"
    "  \"neurons\": {\"type\": \"int\", \"low\": 50, \"high\": 512, \"log\": true},\n"
    "  \"activation\": [\"relu\", \"tanh\"],\n"
    "  \"optimizer\": [\"adam\", \"momentum\"],\n"
    "  \"lr\": {\"type\": \"float\", \"low\": 0.0001, \"high\": 0.1, \"log\": true},\n"
    "  \"momentum\": {\"type\": \"float\", \"low\": 0.8, \"high\": 0.99,\n"
    "               \"if\": {\"optimizer\": [\"momentum\"]}},\n"
    "  \"batch_size\": [32, 64, 128, 256],\n"
    "  \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.3},\n"
    "  \"epochs\": 30,\n"
    "  \"schedule\": \"cosine\",\n"
    "  \"patience\": 5,\n"
    "  \"early_stopping\": true\n"
    "}\n";

/* The small-data space (fewer than NNT_SMALL_DATA_ROWS training rows): why
 * each value, with the figures of bench/generalisation.sh, is in
 * docs/search-space.md. In short: a trial is cheap there, so it trains for
 * more epochs with more patience; weight decay (scikit-learn's alpha) is the
 * regulariser that matters; small batches give enough steps per epoch. */
static const char small_space_json[] =
    "{\n"
    "  \"hidden_layers\": {\"type\": \"int\", \"low\": 1, \"high\": 3},\n"
    "  \"neurons\": {\"type\": \"int\", \"low\": 16, \"high\": 256, \"log\": true},\n"
    "  \"activation\": [\"relu\", \"tanh\"],\n"
    "  \"optimizer\": \"adam\",\n"
    "  \"lr\": {\"type\": \"float\", \"low\": 0.0001, \"high\": 0.03, \"log\": true},\n"
    "  \"weight_decay\": {\"type\": \"float\", \"low\": 1e-06, \"high\": 0.1, \"log\": true},\n"
    "  \"batch_size\": [16, 32, 64, 128],\n"
    "  \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.2},\n"
    "  \"epochs\": 100,\n"
    "  \"schedule\": \"cosine\",\n"
    "  \"patience\": 20,\n"
    "  \"early_stopping\": true\n"
    "}\n";

int nnt_space_default(nnt_space **out, nnt_error *err)
{
    return nnt_space_from_json(default_space_json, out, err);
}

int nnt_space_default_for_rows(size_t rows, nnt_space **out, nnt_error *err)
{
    return nnt_space_from_json(rows < NNT_SMALL_DATA_ROWS ? small_space_json : default_space_json,
                               out, err);
}
