/* Search spaces in JSON: the "space" object of a study file, the stored
 * definition of a space, and a trial's parameters. */
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/space_internal.h"

/* ==== A growing string ======================================================== */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t len)
{
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1) cap *= 2;
        char *np = nnt__realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_num(sbuf *b, double v)
{
    char buf[32];
    sb_puts(b, nnt__space_fmt_double(buf, v));
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_add(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sb_puts(b, esc);
        } else {
            sb_add(b, s, 1);
        }
    }
    sb_add(b, "\"", 1);
}

static void sb_value(sbuf *b, const space_value *v)
{
    if (v->kind == SV_STRING) sb_str(b, v->text);
    else sb_puts(b, v->text); /* canonical number text, or true/false */
}

static char *sb_finish(sbuf *b)
{
    if (b->oom || !b->p) {
        nnt__free(b->p);
        return NULL;
    }
    return b->p;
}

/* ==== Reading a space ========================================================= */

static const char *type_name(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null: return "null";
    case json_type_boolean: return "boolean";
    case json_type_double:
    case json_type_int: return "number";
    case json_type_object: return "object";
    case json_type_array: return "array";
    case json_type_string: return "string";
    }
    return "unknown";
}

static int is_number(json_object *o)
{
    return json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double);
}

static int get_number(json_object *o, const char *where, double *out, nnt_error *err)
{
    if (!is_number(o))
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected a number, got %s", where, type_name(o));
    double v = json_object_get_double(o);
    if (!isfinite(v)) return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected a finite number", where);
    *out = v;
    return NNT_OK;
}

/* A choice, fixed value or condition value: number, string or boolean. */
static int get_value(json_object *o, const char *where, space_value *v, nnt_error *err)
{
    int rc;
    switch (json_object_get_type(o)) {
    case json_type_int:
    case json_type_double: {
        double d;
        rc = get_number(o, where, &d, err);
        if (rc != NNT_OK) return rc;
        rc = nnt__space_value_number(v, d);
        break;
    }
    case json_type_string: rc = nnt__space_value_string(v, json_object_get_string(o)); break;
    case json_type_boolean: rc = nnt__space_value_bool(v, json_object_get_boolean(o)); break;
    default:
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected a number, string or boolean, got %s",
                        where, type_name(o));
    }
    return rc == NNT_OK ? NNT_OK : nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", where);
}

static void free_value_list(space_value *v, int n)
{
    if (!v) return;
    for (int i = 0; i < n; i++) nnt__space_value_clear(&v[i]);
    nnt__free(v);
}

/* A JSON array (or a single value when `single` is allowed) to values. */
static int get_value_list(json_object *o, const char *where, space_value **out, int *n_out,
                          nnt_error *err)
{
    *out = NULL;
    *n_out = 0;
    int is_array = json_object_is_type(o, json_type_array);
    int n = is_array ? (int)json_object_array_length(o) : 1;
    if (n == 0) return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected a non-empty list", where);
    space_value *v = nnt__calloc((size_t)n, sizeof *v);
    if (!v) return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", where);
    char item[256];
    for (int i = 0; i < n; i++) {
        json_object *e = is_array ? json_object_array_get_idx(o, (size_t)i) : o;
        if (is_array) snprintf(item, sizeof item, "%s[%d]", where, i);
        else snprintf(item, sizeof item, "%s", where);
        int rc = get_value(e, item, &v[i], err);
        if (rc != NNT_OK) {
            free_value_list(v, i);
            return rc;
        }
    }
    *out = v;
    *n_out = n;
    return NNT_OK;
}

static int parse_condition(json_object *o, const char *path, space_param *p, nnt_error *err)
{
    char where[256];
    snprintf(where, sizeof where, "%s.if", path);
    if (!json_object_is_type(o, json_type_object))
        return nnt_fail(err, NNT_ERR_FORMAT,
                        "%s: expected an object {\"PARENT\": [values] or {\"min\": A, \"max\": B}}, "
                        "got %s",
                        where, type_name(o));
    int n = json_object_object_length(o);
    if (n != 1)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected exactly one parent parameter, got %d",
                        where, n);
    space_cond *c = &p->cond;
    memset(c, 0, sizeof *c);
    c->min = -INFINITY;
    c->max = INFINITY;
    json_object_object_foreach(o, key, val)
    {
        snprintf(where, sizeof where, "%s.if.%s", path, key);
        c->parent = nnt__strdup(key);
        if (!c->parent) return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", where);
        p->has_cond = 1;
        if (json_object_is_type(val, json_type_object)) {
            c->is_range = 1;
            if (json_object_object_length(val) == 0)
                return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected \"min\" and/or \"max\"", where);
            json_object_object_foreach(val, k2, v2)
            {
                char w2[300];
                snprintf(w2, sizeof w2, "%s.%s", where, k2);
                double d;
                if (strcmp(k2, "min") == 0 || strcmp(k2, "max") == 0) {
                    int rc = get_number(v2, w2, &d, err);
                    if (rc != NNT_OK) return rc;
                    if (k2[1] == 'i') c->min = d; else c->max = d;
                } else {
                    return nnt_fail(err, NNT_ERR_FORMAT, "%s: unknown key; expected min or max", w2);
                }
            }
            if (c->min > c->max)
                return nnt_fail(err, NNT_ERR_FORMAT, "%s: min (%g) > max (%g)", where, c->min,
                                c->max);
        } else {
            int rc = get_value_list(val, where, &c->values, &c->n_values, err);
            if (rc != NNT_OK) return rc;
        }
    }
    return NNT_OK;
}

static const char *param_keys = "type, low, high, log, step, points, choices, value, if";

static int parse_param_object(json_object *o, const char *name, const char *path,
                              space_param *p, nnt_error *err)
{
    char where[256];
    json_object *type = NULL, *low = NULL, *high = NULL, *logv = NULL, *step = NULL,
                *points = NULL, *choices = NULL, *value = NULL, *cond = NULL;
    json_object_object_foreach(o, key, val)
    {
        if (strcmp(key, "type") == 0) type = val;
        else if (strcmp(key, "low") == 0) low = val;
        else if (strcmp(key, "high") == 0) high = val;
        else if (strcmp(key, "log") == 0) logv = val;
        else if (strcmp(key, "step") == 0) step = val;
        else if (strcmp(key, "points") == 0) points = val;
        else if (strcmp(key, "choices") == 0) choices = val;
        else if (strcmp(key, "value") == 0) value = val;
        else if (strcmp(key, "if") == 0) cond = val;
        else
            return nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: unknown key; expected one of %s", path,
                            key, param_keys);
    }
    const space_domain *dom = nnt__space_domain_find(name); /* NULL in a user objective's space */
    if (type) {
        snprintf(where, sizeof where, "%s.type", path);
        if (!json_object_is_type(type, json_type_string))
            return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected a string, got %s", where,
                            type_name(type));
        const char *t = json_object_get_string(type);
        if (strcmp(t, "int") == 0) p->kind = NNT_PARAM_INT;
        else if (strcmp(t, "float") == 0) p->kind = NNT_PARAM_FLOAT;
        else if (strcmp(t, "categorical") == 0) p->kind = NNT_PARAM_CATEGORICAL;
        else if (strcmp(t, "fixed") == 0) p->kind = NNT_PARAM_FIXED;
        else
            return nnt_fail(err, NNT_ERR_FORMAT,
                            "%s: expected one of int, float, categorical, fixed, got \"%s\"", where,
                            t);
    } else if (choices) {
        p->kind = NNT_PARAM_CATEGORICAL;
    } else if (value) {
        p->kind = NNT_PARAM_FIXED;
    } else if (low || high) {
        /* A user objective's name has no domain: integer ends make an
         * int range. */
        p->kind = dom ? ((dom->kind == DOM_INT || dom->kind == DOM_BOOL) ? NNT_PARAM_INT
                                                                         : NNT_PARAM_FLOAT)
              : (json_object_is_type(low ? low : high, json_type_int) &&
                 (!high || json_object_is_type(high, json_type_int)))
                  ? NNT_PARAM_INT
                  : NNT_PARAM_FLOAT;
    } else {
        return nnt_fail(err, NNT_ERR_FORMAT,
                        "%s: expected \"low\"/\"high\", \"choices\" or \"value\" (or a \"type\")",
                        path);
    }
    int range = p->kind == NNT_PARAM_INT || p->kind == NNT_PARAM_FLOAT;
    const char *kind_text = p->kind == NNT_PARAM_INT     ? "an int"
                            : p->kind == NNT_PARAM_FLOAT ? "a float"
                            : p->kind == NNT_PARAM_FIXED ? "a fixed"
                                                         : "a categorical";
    struct {
        json_object *o;
        const char *key;
        int allowed;
    } use[] = {{low, "low", range},          {high, "high", range},
               {logv, "log", range},         {step, "step", range},
               {points, "points", range},    {choices, "choices", p->kind == NNT_PARAM_CATEGORICAL},
               {value, "value", p->kind == NNT_PARAM_FIXED}};
    for (size_t i = 0; i < sizeof use / sizeof use[0]; i++)
        if (use[i].o && !use[i].allowed)
            return nnt_fail(err, NNT_ERR_FORMAT, "%s.%s: not used by %s parameter", path,
                            use[i].key, kind_text);
    int rc;
    if (range) {
        if (!low) return nnt_fail(err, NNT_ERR_FORMAT, "%s: missing key \"low\"", path);
        if (!high) return nnt_fail(err, NNT_ERR_FORMAT, "%s: missing key \"high\"", path);
        snprintf(where, sizeof where, "%s.low", path);
        if ((rc = get_number(low, where, &p->low, err)) != NNT_OK) return rc;
        snprintf(where, sizeof where, "%s.high", path);
        if ((rc = get_number(high, where, &p->high, err)) != NNT_OK) return rc;
        if (p->kind == NNT_PARAM_INT) {
            if (p->low != floor(p->low))
                return nnt_fail(err, NNT_ERR_FORMAT, "%s.low: expected an integer, got %g", path,
                                p->low);
            if (p->high != floor(p->high))
                return nnt_fail(err, NNT_ERR_FORMAT, "%s.high: expected an integer, got %g", path,
                                p->high);
        }
        if (logv) {
            if (!json_object_is_type(logv, json_type_boolean))
                return nnt_fail(err, NNT_ERR_FORMAT, "%s.log: expected true or false, got %s",
                                path, type_name(logv));
            p->log = json_object_get_boolean(logv);
        }
        if (step) {
            snprintf(where, sizeof where, "%s.step", path);
            if ((rc = get_number(step, where, &p->step, err)) != NNT_OK) return rc;
            if (p->step <= 0)
                return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected a number > 0, got %g", where,
                                p->step);
        }
        if (points) {
            double d = 0;
            snprintf(where, sizeof where, "%s.points", path);
            if (!is_number(points) || (d = json_object_get_double(points)) < 1 || d != floor(d) ||
                d > 1e6)
                return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected an integer >= 1, got %s",
                                where, is_number(points) ? json_object_get_string(points)
                                                         : type_name(points));
            p->points = (int)d;
        }
    } else if (p->kind == NNT_PARAM_CATEGORICAL) {
        if (!choices) return nnt_fail(err, NNT_ERR_FORMAT, "%s: missing key \"choices\"", path);
        snprintf(where, sizeof where, "%s.choices", path);
        if (!json_object_is_type(choices, json_type_array))
            return nnt_fail(err, NNT_ERR_FORMAT, "%s: expected a list, got %s", where,
                            type_name(choices));
        if ((rc = get_value_list(choices, where, &p->choices, &p->n_choices, err)) != NNT_OK)
            return rc;
    } else {
        if (!value) return nnt_fail(err, NNT_ERR_FORMAT, "%s: missing key \"value\"", path);
        snprintf(where, sizeof where, "%s.value", path);
        p->choices = nnt__calloc(1, sizeof *p->choices);
        if (!p->choices) return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", where);
        if ((rc = get_value(value, where, &p->choices[0], err)) != NNT_OK) return rc;
        p->n_choices = 1;
    }
    if (cond) return parse_condition(cond, path, p, err);
    return NNT_OK;
}

static int parse_param(nnt_space *s, const char *name, json_object *val, nnt_error *err)
{
    char path[200];
    snprintf(path, sizeof path, "space.%s", name);
    if (!s->any_names && !nnt__space_domain_find(name))
        return nnt_fail(err, NNT_ERR_ARG, "%s: unknown parameter; expected one of %s", path,
                        nnt_space_known_params());
    space_param p;
    memset(&p, 0, sizeof p);
    p.name = nnt__strdup(name);
    if (!p.name) return nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", path);
    int rc;
    switch (json_object_get_type(val)) {
    case json_type_object: rc = parse_param_object(val, name, path, &p, err); break;
    case json_type_array:
        p.kind = NNT_PARAM_CATEGORICAL;
        rc = get_value_list(val, path, &p.choices, &p.n_choices, err);
        break;
    case json_type_int:
    case json_type_double:
    case json_type_string:
    case json_type_boolean:
        p.kind = NNT_PARAM_FIXED;
        p.choices = nnt__calloc(1, sizeof *p.choices);
        if (!p.choices) {
            rc = nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        rc = get_value(val, path, &p.choices[0], err);
        if (rc == NNT_OK) p.n_choices = 1;
        break;
    default:
        rc = nnt_fail(err, NNT_ERR_FORMAT,
                      "%s: expected an object, a list of choices or a fixed value, got %s", path,
                      type_name(val));
    }
    if (rc == NNT_OK) rc = nnt__space_check_param(&p, path, 1, s->any_names, err);
    if (rc == NNT_OK) return nnt__space_put(s, &p, err);
    nnt__space_param_clear(&p);
    return rc;
}

/* json-c's parse with the position of a syntax error as line:column. */
static json_object *parse_json(const char *text, const char *what, nnt_error *err)
{
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory", what);
        return NULL;
    }
    size_t len = strlen(text);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (!o && e == json_tokener_success) e = json_tokener_error_parse_eof;
    if (e == json_tokener_continue) e = json_tokener_error_parse_eof;
    if (o && e == json_tokener_success) {
        /* Only whitespace may follow the value. */
        size_t k = end;
        while (k < len && (text[k] == ' ' || text[k] == '\n' || text[k] == '\t' || text[k] == '\r'))
            k++;
        if (k < len) {
            json_object_put(o);
            o = NULL;
            end = k;
            e = json_tokener_error_parse_unexpected;
        }
    }
    if (!o) {
        int line = 1, col = 1;
        for (size_t k = 0; k < end && k < len; k++) {
            if (text[k] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        nnt_fail(err, NNT_ERR_FORMAT, "%s: invalid JSON at line %d, column %d: %s", what, line,
                 col, json_tokener_error_desc(e));
    }
    json_tokener_free(tok);
    return o;
}

static int space_from_json(const char *json_text, int any_names, nnt_space **out,
                           nnt_error *err);

int nnt_space_from_json(const char *json_text, nnt_space **out, nnt_error *err)
{
    return space_from_json(json_text, 0, out, err);
}

int nnt_space_from_json_any(const char *json_text, nnt_space **out, nnt_error *err)
{
    return space_from_json(json_text, 1, out, err);
}

static int space_from_json(const char *json_text, int any_names, nnt_space **out,
                           nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "space: NULL output");
    *out = NULL;
    if (!json_text) return nnt_fail(err, NNT_ERR_ARG, "space: NULL text");
    json_object *root = parse_json(json_text, "space", err);
    if (!root) return err ? err->code : NNT_ERR_FORMAT;
    int rc = NNT_OK;
    nnt_space *s = NULL;
    if (!json_object_is_type(root, json_type_object)) {
        rc = nnt_fail(err, NNT_ERR_FORMAT,
                      "space: expected an object {\"name\": definition, ...}, got %s",
                      type_name(root));
        goto done;
    }
    s = any_names ? nnt_space_new_any() : nnt_space_new();
    if (!s) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "space: out of memory");
        goto done;
    }
    json_object_object_foreach(root, key, val)
    {
        rc = parse_param(s, key, val, err);
        if (rc != NNT_OK) goto done;
    }
    rc = nnt_space_validate(s, err);
done:
    json_object_put(root);
    if (rc != NNT_OK) {
        nnt_space_free(s);
        return rc;
    }
    *out = s;
    return NNT_OK;
}

/* ==== Writing a space ========================================================= */

static void write_param(sbuf *b, const space_param *p)
{
    sb_str(b, p->name);
    sb_puts(b, ": {\"type\": ");
    switch (p->kind) {
    case NNT_PARAM_INT:
    case NNT_PARAM_FLOAT:
        sb_puts(b, p->kind == NNT_PARAM_INT ? "\"int\", \"low\": " : "\"float\", \"low\": ");
        sb_num(b, p->low);
        sb_puts(b, ", \"high\": ");
        sb_num(b, p->high);
        if (p->log) sb_puts(b, ", \"log\": true");
        if (p->step > 0) {
            sb_puts(b, ", \"step\": ");
            sb_num(b, p->step);
        }
        if (p->points > 0) {
            sb_puts(b, ", \"points\": ");
            sb_num(b, p->points);
        }
        break;
    case NNT_PARAM_CATEGORICAL:
        sb_puts(b, "\"categorical\", \"choices\": [");
        for (int c = 0; c < p->n_choices; c++) {
            if (c) sb_puts(b, ", ");
            sb_value(b, &p->choices[c]);
        }
        sb_puts(b, "]");
        break;
    case NNT_PARAM_FIXED:
        sb_puts(b, "\"fixed\", \"value\": ");
        sb_value(b, &p->choices[0]);
        break;
    }
    if (p->has_cond) {
        const space_cond *c = &p->cond;
        sb_puts(b, ", \"if\": {");
        sb_str(b, c->parent);
        sb_puts(b, ": ");
        if (c->is_range) {
            sb_puts(b, "{");
            if (!isinf(c->min)) {
                sb_puts(b, "\"min\": ");
                sb_num(b, c->min);
            }
            if (!isinf(c->max)) {
                if (!isinf(c->min)) sb_puts(b, ", ");
                sb_puts(b, "\"max\": ");
                sb_num(b, c->max);
            }
            sb_puts(b, "}");
        } else {
            sb_puts(b, "[");
            for (int k = 0; k < c->n_values; k++) {
                if (k) sb_puts(b, ", ");
                sb_value(b, &c->values[k]);
            }
            sb_puts(b, "]");
        }
        sb_puts(b, "}");
    }
    sb_puts(b, "}");
}

char *nnt_space_to_json(const nnt_space *s)
{
    if (!s) return NULL;
    sbuf b = {0};
    sb_puts(&b, "{");
    for (int i = 0; i < s->n; i++) {
        sb_puts(&b, i ? ",\n " : "");
        write_param(&b, &s->p[i]);
    }
    sb_puts(&b, "}");
    return sb_finish(&b);
}

/* ==== A trial's parameters ===================================================== */

char *nnt_space_params_json(const nnt_space *s, const double *x, const uint8_t *active)
{
    if (!s || !x || !active) return NULL;
    sbuf b = {0};
    sb_puts(&b, "{");
    int first = 1;
    for (int i = 0; i < s->n; i++) {
        if (!active[i]) continue;
        const space_param *p = &s->p[i];
        if (!first) sb_puts(&b, ", ");
        first = 0;
        sb_str(&b, p->name);
        sb_puts(&b, ": ");
        if (p->kind == NNT_PARAM_INT || p->kind == NNT_PARAM_FLOAT) {
            if (!isfinite(x[i])) sb_puts(&b, "null");
            else sb_num(&b, x[i]);
        } else {
            int k = (int)x[i];
            if (!(x[i] >= 0) || k >= p->n_choices) sb_puts(&b, "null");
            else sb_value(&b, &p->choices[k]);
        }
    }
    sb_puts(&b, "}");
    return sb_finish(&b);
}

static int match_choice(const space_param *p, json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_string: {
        const char *t = json_object_get_string(v);
        for (int c = 0; c < p->n_choices; c++)
            if (p->choices[c].kind == SV_STRING && strcmp(p->choices[c].text, t) == 0) return c;
        return -1;
    }
    case json_type_int:
    case json_type_double: {
        double d = json_object_get_double(v);
        for (int c = 0; c < p->n_choices; c++)
            if (p->choices[c].kind == SV_NUMBER && p->choices[c].num == d) return c;
        for (int c = 0; c < p->n_choices; c++)
            if (p->choices[c].kind == SV_BOOL && p->choices[c].num == d) return c;
        return -1;
    }
    case json_type_boolean: {
        double d = json_object_get_boolean(v) ? 1 : 0;
        for (int c = 0; c < p->n_choices; c++)
            if (p->choices[c].kind == SV_BOOL && p->choices[c].num == d) return c;
        for (int c = 0; c < p->n_choices; c++)
            if (p->choices[c].kind == SV_NUMBER && p->choices[c].num == d) return c;
        return -1;
    }
    default: return -1;
    }
}

int nnt_space_params_from_json(const nnt_space *s, const char *json, double *x, uint8_t *active,
                               nnt_error *err)
{
    if (!s || !json || !x || !active) return nnt_fail(err, NNT_ERR_ARG, "params: NULL argument");
    int *order = nnt__malloc_array((size_t)s->n + 1, sizeof *order);
    uint8_t *given = nnt__calloc((size_t)s->n + 1, 1);
    json_object *root = NULL;
    int rc = NNT_OK;
    if (!order || !given) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "params: out of memory");
        goto done;
    }
    if ((rc = nnt__space_order(s, order, err)) != NNT_OK) goto done;
    root = parse_json(json, "params", err);
    if (!root) {
        rc = err ? err->code : NNT_ERR_FORMAT;
        goto done;
    }
    if (!json_object_is_type(root, json_type_object)) {
        rc = nnt_fail(err, NNT_ERR_FORMAT, "params: expected an object, got %s", type_name(root));
        goto done;
    }
    for (int i = 0; i < s->n; i++) x[i] = NAN;
    json_object_object_foreach(root, key, val)
    {
        int i = nnt_space_find(s, key);
        if (i < 0) {
            rc = nnt_fail(err, NNT_ERR_FORMAT, "params.%s: not a parameter of the space", key);
            goto done;
        }
        const space_param *p = &s->p[i];
        char a[32], b[32];
        if (p->kind == NNT_PARAM_INT || p->kind == NNT_PARAM_FLOAT) {
            double d = is_number(val) ? json_object_get_double(val) : NAN;
            if (!isfinite(d) || d < p->low || d > p->high ||
                (p->kind == NNT_PARAM_INT && d != floor(d))) {
                rc = nnt_fail(err, NNT_ERR_FORMAT, "params.%s: expected %s in [%s, %s], got %s",
                              key, p->kind == NNT_PARAM_INT ? "an integer" : "a number",
                              nnt__space_fmt_double(a, p->low), nnt__space_fmt_double(b, p->high),
                              json_object_to_json_string(val));
                goto done;
            }
            x[i] = d;
        } else {
            int c = match_choice(p, val);
            if (c < 0) {
                rc = nnt_fail(err, NNT_ERR_FORMAT, "params.%s: %s is not one of the choices", key,
                              json_object_to_json_string(val));
                goto done;
            }
            x[i] = c;
        }
        given[i] = 1;
    }
    /* In dependency order, so that a parent's activity is final when its
     * children are decided; a fixed value needs no storing. */
    for (int pos = 0; pos < s->n; pos++) {
        int i = order[pos];
        int j = nnt__space_parent(s, i);
        int on = j < 0 || (active[j] && nnt__space_cond_holds(s, i, j, x));
        active[i] = (uint8_t)on;
        if (!on) {
            x[i] = NAN;
        } else if (!given[i]) {
            if (s->p[i].kind != NNT_PARAM_FIXED) {
                rc = nnt_fail(err, NNT_ERR_FORMAT, "params.%s: missing (the parameter is active)",
                              s->p[i].name);
                goto done;
            }
            x[i] = 0;
        }
    }
done:
    if (root) json_object_put(root);
    nnt__free(order);
    nnt__free(given);
    return rc;
}
