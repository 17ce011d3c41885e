/* Study files (JSON, docs/study-file.md): parsed with json-c into an
 * nnt_study_file, every error naming the key path. Nothing runs here. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/study_internal.h"

/* ---- durations --------------------------------------------------------------- */

int nnt_parse_duration(const char *text, double *seconds)
{
    if (!text) return NNT_ERR_ARG;
    while (isspace((unsigned char)*text)) text++;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || v <= 0) return NNT_ERR_ARG;
    while (isspace((unsigned char)*end)) end++;
    double mul = 1;
    if (*end == 's') mul = 1, end++;
    else if (*end == 'm') mul = 60, end++;
    else if (*end == 'h') mul = 3600, end++;
    else if (*end == 'd') mul = 86400, end++;
    while (isspace((unsigned char)*end)) end++;
    if (*end) return NNT_ERR_ARG;
    /* "1e308d" is a finite number of days but not of seconds. */
    if (!isfinite(v * mul)) return NNT_ERR_ARG;
    *seconds = v * mul;
    return NNT_OK;
}

/* ---- base options -------------------------------------------------------------- */

int nnt_study_set_base_option(nnt_model_options *mopt, nnt_train_options *topt, const char *name,
                              const char *value, const char *path, nnt_error *err)
{
    nnt_space *sp = nnt_space_new();
    if (!sp) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    nnt_error e;
    nnt_error_clear(&e);
    int r = nnt_space_set_spec(sp, name, value, &e);
    if (r == NNT_OK) {
        nnt_param_info info;
        nnt_space_info(sp, 0, &info);
        if (info.kind != NNT_PARAM_FIXED)
            r = nnt_fail(&e, NNT_ERR_ARG,
                         "--param %s: expected a single value, got '%s' (ranges and lists "
                         "belong in the space)",
                         name, value);
    }
    if (r == NNT_OK) {
        double x = 0;
        uint8_t active = 1;
        r = nnt_space_apply(sp, &x, &active, mopt, topt, &e);
    }
    nnt_space_free(sp);
    if (r < 0) {
        /* The space code says "--param NAME: ..."; say where it came from. */
        const char *msg = e.message;
        char prefix[200];
        snprintf(prefix, sizeof prefix, "--param %s", name);
        size_t pl = strlen(prefix);
        if (!strncmp(msg, prefix, pl)) {
            msg += pl;
            if (!strncmp(msg, " (value)", 8)) msg += 8;
        }
        else if (!strncmp(msg, "params.", 7) && !strncmp(msg + 7, name, strlen(name)))
            msg += 7 + strlen(name);
        if (path) return nnt_fail(err, r, "%s%s%s", path, *msg == ':' ? "" : ": ", msg);
        return nnt_fail(err, r, "%s", e.message);
    }
    return NNT_OK;
}

/* ---- study files --------------------------------------------------------------- */

typedef struct pctx {
    const char *src;
    nnt_error *err;
} pctx;

static int bad(pctx *c, const char *path, const char *fmt, const char *got)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, got ? got : "");
    return nnt_fail(c->err, NNT_ERR_FORMAT, "%s: %s: %s", c->src, path, msg);
}

static const char *type_word(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a number";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "something else";
}

static int get_string(pctx *c, const char *path, json_object *v, char **out)
{
    if (!json_object_is_type(v, json_type_string))
        return bad(c, path, "expected a string, got %s", type_word(v));
    nnt__free(*out);
    *out = nnt__strdup(json_object_get_string(v));
    if (!*out) return nnt_fail(c->err, NNT_ERR_NOMEM, "out of memory");
    return NNT_OK;
}

static int get_number(pctx *c, const char *path, json_object *v, double *out)
{
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return bad(c, path, "expected a number, got %s", type_word(v));
    *out = json_object_get_double(v);
    return NNT_OK;
}

static int get_int(pctx *c, const char *path, json_object *v, long lo, long hi, const char *what,
                   long *out)
{
    int is_int = json_object_is_type(v, json_type_int);
    if (!is_int && json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        is_int = d == floor(d) && fabs(d) < 9e15;
    }
    if (!is_int)
        return bad(c, path, "expected %s", what);
    int64_t i = json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
                                                      : (int64_t)json_object_get_double(v);
    if (i < lo || i > hi) return bad(c, path, "expected %s", what);
    *out = (long)i;
    return NNT_OK;
}

/* A duration: seconds as a number, or text "90s", "10m", "2h". */
static int get_duration(pctx *c, const char *path, json_object *v, double *out)
{
    if (json_object_is_type(v, json_type_string)) {
        if (nnt_parse_duration(json_object_get_string(v), out) < 0)
            return bad(c, path, "expected a duration like 90, \"90s\", \"10m\" or \"2h\", got \"%s\"",
                       json_object_get_string(v));
        return NNT_OK;
    }
    double d;
    if (get_number(c, path, v, &d) < 0 || !(d > 0))
        return bad(c, path, "expected a duration like 90, \"90s\", \"10m\" or \"2h\"", NULL);
    *out = d;
    return NNT_OK;
}

static int expect_object(pctx *c, const char *path, json_object *v)
{
    if (!json_object_is_type(v, json_type_object))
        return bad(c, path, "expected an object, got %s", type_word(v));
    return NNT_OK;
}

static int unknown_key(pctx *c, const char *path, const char *key, const char *known)
{
    char p[300];
    snprintf(p, sizeof p, "%s.%s", path, key);
    char msg[600];
    snprintf(msg, sizeof msg, "unknown key; expected one of %s", known);
    return nnt_fail(c->err, NNT_ERR_FORMAT, "%s: %s: %s", c->src, p, msg);
}

static int parse_budget(pctx *c, json_object *o, nnt_study_file *f)
{
    int r = expect_object(c, "study.budget", o);
    if (r < 0) return r;
    json_object_object_foreach(o, key, v) {
        if (!strcmp(key, "trials")) {
            long n;
            if ((r = get_int(c, "study.budget.trials", v, 1, 100000000, "a positive integer", &n)) < 0)
                return r;
            f->trials = (int)n;
        } else if (!strcmp(key, "time")) {
            if ((r = get_duration(c, "study.budget.time", v, &f->time_s)) < 0) return r;
        } else {
            return unknown_key(c, "study.budget", key, "trials, time");
        }
    }
    return NNT_OK;
}

/* A base option value as the text the space parser reads. */
static int option_text(pctx *c, const char *path, json_object *v, char *buf, size_t n)
{
    switch (json_object_get_type(v)) {
    case json_type_boolean: snprintf(buf, n, "%s", json_object_get_boolean(v) ? "true" : "false"); break;
    case json_type_int: snprintf(buf, n, "%lld", (long long)json_object_get_int64(v)); break;
    case json_type_double: snprintf(buf, n, "%.17g", json_object_get_double(v)); break;
    case json_type_string:
        if (strchr(json_object_get_string(v), ',') || strchr(json_object_get_string(v), ':'))
            return bad(c, path, "expected a single value, got \"%s\" (ranges and lists belong in \"space\")",
                       json_object_get_string(v));
        snprintf(buf, n, "%s", json_object_get_string(v));
        break;
    default: return bad(c, path, "expected a number, string or boolean, got %s", type_word(v));
    }
    return NNT_OK;
}

static const char *const option_keys =
    "jobs, seed, cv_folds, trial_time_limit, storage, study_name, model_out, max_rows, refit, "
    "ensemble, "
    "or a training option (";

static int parse_options(pctx *c, json_object *o, nnt_study_file *f)
{
    int r = expect_object(c, "study.options", o);
    if (r < 0) return r;
    int n = json_object_object_length(o);
    f->base_names = nnt__calloc((size_t)(n > 0 ? n : 1), sizeof *f->base_names);
    f->base_values = nnt__calloc((size_t)(n > 0 ? n : 1), sizeof *f->base_values);
    if (!f->base_names || !f->base_values) return nnt_fail(c->err, NNT_ERR_NOMEM, "out of memory");
    nnt_model_options mo = nnt_model_options_default();
    nnt_train_options to = nnt_train_options_default();
    json_object_object_foreach(o, key, v) {
        char path[200];
        snprintf(path, sizeof path, "study.options.%s", key);
        long iv;
        if (!strcmp(key, "jobs")) {
            if ((r = get_int(c, path, v, 1, 4096, "a positive integer", &iv)) < 0) return r;
            f->jobs = (int)iv;
        } else if (!strcmp(key, "seed")) {
            if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
                f->seed = json_object_is_type(v, json_type_int) ? json_object_get_uint64(v) : 0;
                f->seed_set = 1;
            } else {
                return bad(c, path, "expected a non-negative integer", NULL);
            }
        } else if (!strcmp(key, "cv_folds")) {
            if ((r = get_int(c, path, v, 0, 64, "0 or 1 (hold-out) or an integer in [2, 64]", &iv)) < 0)
                return r;
            f->cv_folds = (int)iv;
        } else if (!strcmp(key, "trial_time_limit")) {
            if ((r = get_duration(c, path, v, &f->trial_time_limit_s)) < 0) return r;
        } else if (!strcmp(key, "storage")) {
            if ((r = get_string(c, path, v, &f->storage)) < 0) return r;
        } else if (!strcmp(key, "study_name")) {
            if ((r = get_string(c, path, v, &f->study_name)) < 0) return r;
            if (!f->study_name[0]) return bad(c, path, "expected a non-empty name", NULL);
        } else if (!strcmp(key, "model_out")) {
            if ((r = get_string(c, path, v, &f->model_out)) < 0) return r;
        } else if (!strcmp(key, "refit")) {
            if (!json_object_is_type(v, json_type_boolean))
                return bad(c, path, "expected true or false, got %s", type_word(v));
            f->refit = json_object_get_boolean(v);
        } else if (!strcmp(key, "ensemble")) {
            if (!json_object_is_type(v, json_type_boolean))
                return bad(c, path, "expected true or false, got %s", type_word(v));
            f->ensemble = json_object_get_boolean(v);
        } else if (!strcmp(key, "max_rows")) {
            if ((r = get_int(c, path, v, 1, 2000000000L, "a positive integer", &iv)) < 0) return r;
            f->max_rows = iv;
        } else {
            /* A training option: checked now (same names and rules as the
             * space), applied by the caller. */
            char text[128];
            if ((r = option_text(c, path, v, text, sizeof text)) < 0) return r;
            nnt_error e;
            if (nnt_study_set_base_option(&mo, &to, key, text, path, &e) < 0) {
                if (strstr(e.message, "unknown parameter"))
                    return nnt_fail(c->err, NNT_ERR_FORMAT, "%s: %s: unknown key; expected %s%s)",
                                    c->src, path, option_keys, nnt_space_known_params());
                return nnt_fail(c->err, NNT_ERR_FORMAT, "%s: %s", c->src, e.message);
            }
            f->base_names[f->n_base] = nnt__strdup(key);
            f->base_values[f->n_base] = nnt__strdup(text);
            if (!f->base_names[f->n_base] || !f->base_values[f->n_base]) {
                nnt__free(f->base_names[f->n_base]);
                nnt__free(f->base_values[f->n_base]);
                return nnt_fail(c->err, NNT_ERR_NOMEM, "out of memory");
            }
            f->n_base++;
        }
    }
    return NNT_OK;
}

static const char *const top_keys =
    "data, labels, target, task, ignore, delimiter, missing, valid, valid_labels, "
    "valid_fraction, test, test_labels, objective, objectives, space, sampler, pruner, "
    "budget, options";

/* ---- CSV reading: "ignore", "delimiter", "missing" (as the CLI's flags) -------- */

/* "ignore": "id" or ["id", "name"]: CSV columns to drop. */
static int parse_ignore(pctx *c, const char *path, json_object *v, nnt_study_file *f)
{
    const char *expect = "expected a column name or a list of column names, got %s";
    int is_list = json_object_is_type(v, json_type_array);
    if (!is_list && !json_object_is_type(v, json_type_string)) return bad(c, path, expect, type_word(v));
    size_t n = is_list ? json_object_array_length(v) : 1;
    if (n == 0) return bad(c, path, "expected at least one column name, got an empty list", NULL);
    for (int i = 0; i < f->n_ignore; i++) nnt__free(f->ignore[i]);
    nnt__free(f->ignore);
    f->n_ignore = 0;
    f->ignore = nnt__calloc(n, sizeof *f->ignore);
    if (!f->ignore) return nnt_fail(c->err, NNT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *e = is_list ? json_object_array_get_idx(v, i) : v;
        char p[256];
        if (is_list) snprintf(p, sizeof p, "%s[%zu]", path, i);
        else snprintf(p, sizeof p, "%s", path);
        if (!json_object_is_type(e, json_type_string))
            return bad(c, p, "expected a column name, got %s", type_word(e));
        const char *name = json_object_get_string(e);
        if (!name[0]) return bad(c, p, "expected a column name, got an empty string", NULL);
        for (int j = 0; j < f->n_ignore; j++)
            if (!strcmp(f->ignore[j], name)) return bad(c, p, "column '%s' is given twice", name);
        f->ignore[f->n_ignore] = nnt__strdup(name);
        if (!f->ignore[f->n_ignore]) return nnt_fail(c->err, NNT_ERR_NOMEM, "out of memory");
        f->n_ignore++;
    }
    return NNT_OK;
}

/* "delimiter": one character, or "tab", "semicolon", "comma" (as --delimiter). */
static int parse_delimiter(pctx *c, const char *path, json_object *v, nnt_study_file *f)
{
    const char *expect = "expected one character, \"tab\", \"semicolon\" or \"comma\", got %s";
    if (!json_object_is_type(v, json_type_string)) return bad(c, path, expect, type_word(v));
    const char *t = json_object_get_string(v);
    if (!strcmp(t, "tab") || !strcmp(t, "\\t")) f->delimiter = '\t';
    else if (!strcmp(t, "semicolon")) f->delimiter = ';';
    else if (!strcmp(t, "comma")) f->delimiter = ',';
    else if (strlen(t) == 1 && t[0] != '"' && t[0] != '\n' && t[0] != '\r') f->delimiter = t[0];
    else {
        char got[80];
        snprintf(got, sizeof got, "\"%.60s\"", t);
        return bad(c, path, expect, got);
    }
    return NNT_OK;
}

/* "missing": "error", "drop", "mean" or "median" (as --missing). */
static int parse_missing(pctx *c, const char *path, json_object *v, nnt_study_file *f)
{
    const char *t = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    if (t && !strcmp(t, "error")) f->missing = NNT_MISSING_ERROR;
    else if (t && !strcmp(t, "drop")) f->missing = NNT_MISSING_DROP;
    else if (t && !strcmp(t, "mean")) f->missing = NNT_MISSING_MEAN;
    else if (t && !strcmp(t, "median")) f->missing = NNT_MISSING_MEDIAN;
    else if (t) return bad(c, path, "expected \"error\", \"drop\", \"mean\" or \"median\", got \"%s\"", t);
    else return bad(c, path, "expected \"error\", \"drop\", \"mean\" or \"median\", got %s", type_word(v));
    return NNT_OK;
}

/* "sampler" / "pruner": a name, or an object with "name" and options. The
 * options are checked here (so a typo stops the study before any trial) and
 * kept as JSON text without the name. */
static int parse_plugin(pctx *c, const char *path, json_object *v, char **name, char **options)
{
    nnt__free(*name);
    nnt__free(*options);
    *name = *options = NULL;
    if (json_object_is_type(v, json_type_string)) return get_string(c, path, v, name);
    if (!json_object_is_type(v, json_type_object))
        return bad(c, path, "expected a name or an object with \"name\" and options, got %s",
                   type_word(v));
    json_object *nm = NULL;
    if (!json_object_object_get_ex(v, "name", &nm)) {
        char p[200];
        snprintf(p, sizeof p, "%s.name", path);
        return bad(c, p, "missing; expected the %s's name", strrchr(path, '.') + 1);
    }
    char p[200];
    snprintf(p, sizeof p, "%s.name", path);
    int r = get_string(c, p, nm, name);
    if (r < 0) return r;
    json_object *o = json_object_new_object();
    if (!o) return nnt_fail(c->err, NNT_ERR_NOMEM, "out of memory");
    json_object_object_foreach(v, key, val) {
        if (strcmp(key, "name")) json_object_object_add(o, key, json_object_get(val));
    }
    *options = nnt__strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    if (!*options) return nnt_fail(c->err, NNT_ERR_NOMEM, "out of memory");
    return NNT_OK;
}

/* Wraps a plug-in check's message ("study.sampler.gamma: ...") with the file name. */
static int plugin_error(pctx *c, int r, const nnt_error *e)
{
    return nnt_fail(c->err, r == NNT_ERR_NOMEM ? r : NNT_ERR_FORMAT, "%s: %s", c->src, e->message);
}

/* A sampler's or pruner's parse error e (code pr). A bad name is reported
 * at study.sampler.name (study.pruner.name) when the plug-in is written as
 * an object, at study.sampler when it is a bare name. */
static int plugin_parse_error(pctx *c, const char *path, json_object *v, int pr, const nnt_error *e)
{
    size_t n = strlen(path);
    if (json_object_is_type(v, json_type_object) && !strncmp(e->message, path, n) &&
        e->message[n] == ':')
        return nnt_fail(c->err, NNT_ERR_FORMAT, "%s: %s.name%s", c->src, path, e->message + n);
    return plugin_error(c, pr, e);
}

/* "objectives": ["accuracy", "params"]: a metric first, then costs. */
static int parse_objectives(pctx *c, json_object *v, nnt_study_file *f)
{
    const char *path = "study.objectives";
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) < 1)
        return bad(c, path, "expected a list like [\"accuracy\", \"params\"]", NULL);
    size_t n = json_object_array_length(v);
    if (n > NNT_MAX_OBJECTIVES)
        return bad(c, path, "expected at most 4 objectives (a metric and up to 3 costs)", NULL);
    f->n_costs = 0;
    for (size_t i = 0; i < n; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string))
            return bad(c, p, "expected a string, got %s", type_word(e));
        const char *t = json_object_get_string(e);
        if (i == 0) {
            if (nnt_metric_from_name(t) < 0 || !strcmp(t, "auto"))
                return bad(c, p, "expected the validation metric first (accuracy, loss, rmse, mae or r2), got \"%s\"", t);
            if (f->metric && strcmp(f->metric, t))
                return bad(c, p, "\"%s\" differs from the metric of \"objective\"", t);
            nnt__free(f->metric);
            f->metric = nnt__strdup(t);
            if (!f->metric) return nnt_fail(c->err, NNT_ERR_NOMEM, "out of memory");
            continue;
        }
        int k = nnt_cost_from_name(t);
        if (k < 0) return bad(c, p, "expected a cost: params, infer_time or train_time, got \"%s\"", t);
        for (int j = 0; j < f->n_costs; j++)
            if (f->costs[j] == (nnt_cost)k) return bad(c, p, "\"%s\" is given twice", t);
        f->costs[f->n_costs++] = (nnt_cost)k;
    }
    return NNT_OK;
}

int nnt_study_file_parse(const char *json_text, const char *source, nnt_study_file *f,
                         nnt_error *err)
{
    memset(f, 0, sizeof *f);
    f->cv_folds = NNT_CV_AUTO; /* absent: the small-data policy decides */
    f->refit = NNT_REFIT_AUTO;
    f->ensemble = NNT_ENSEMBLE_AUTO;
    pctx c = {source ? source : "study file", err};
    json_tokener *tok = json_tokener_new();
    if (!tok) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    json_object *root = json_tokener_parse_ex(tok, json_text, (int)strlen(json_text));
    enum json_tokener_error je = json_tokener_get_error(tok);
    if (!root || je != json_tokener_success) {
        /* Where it stopped, as a line number. */
        size_t off = json_tokener_get_parse_end(tok);
        int line = 1;
        for (size_t i = 0; i < off && json_text[i]; i++) line += json_text[i] == '\n';
        int r = nnt_fail(err, NNT_ERR_FORMAT, "%s:%d: invalid JSON: %s", c.src, line,
                         je == json_tokener_success || je == json_tokener_continue
                             ? "unexpected end of input"
                             : json_tokener_error_desc(je));
        json_object_put(root);
        json_tokener_free(tok);
        return r;
    }
    json_tokener_free(tok);
    int r = NNT_OK;
    if (!json_object_is_type(root, json_type_object)) {
        r = bad(&c, "study", "expected a JSON object, got %s", type_word(root));
        goto done;
    }
    json_object_object_foreach(root, key, v) {
        char path[200];
        snprintf(path, sizeof path, "study.%s", key);
        if (!strcmp(key, "data")) r = get_string(&c, path, v, &f->data);
        else if (!strcmp(key, "labels")) r = get_string(&c, path, v, &f->labels);
        else if (!strcmp(key, "target")) r = get_string(&c, path, v, &f->target);
        else if (!strcmp(key, "valid")) r = get_string(&c, path, v, &f->valid);
        else if (!strcmp(key, "valid_labels")) r = get_string(&c, path, v, &f->valid_labels);
        else if (!strcmp(key, "test")) r = get_string(&c, path, v, &f->test);
        else if (!strcmp(key, "test_labels")) r = get_string(&c, path, v, &f->test_labels);
        else if (!strcmp(key, "ignore")) r = parse_ignore(&c, path, v, f);
        else if (!strcmp(key, "delimiter")) r = parse_delimiter(&c, path, v, f);
        else if (!strcmp(key, "missing")) r = parse_missing(&c, path, v, f);
        else if (!strcmp(key, "sampler")) {
            r = parse_plugin(&c, path, v, &f->sampler, &f->sampler_options);
            nnt_tpe_options tpe;
            nnt_error e;
            int pr;
            if (r == NNT_OK &&
                (pr = nnt__study_sampler_parse(f->sampler, f->sampler_options, path, &tpe, &e)) < 0) {
                r = plugin_parse_error(&c, path, v, pr, &e);
            }
        } else if (!strcmp(key, "pruner")) {
            r = parse_plugin(&c, path, v, &f->pruner, &f->pruner_options);
            study_pruner_conf pc;
            nnt_error e;
            int pr;
            if (r == NNT_OK &&
                (pr = nnt__study_pruner_parse(f->pruner, f->pruner_options, path, 0, &pc, &e)) < 0) {
                r = plugin_parse_error(&c, path, v, pr, &e);
            }
        } else if (!strcmp(key, "objectives")) {
            r = parse_objectives(&c, v, f);
        } else if (!strcmp(key, "task")) {
            const char *t = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
            if (t && !strcmp(t, "auto")) f->task = NNT_TASK_AUTO;
            else if (t && (!strcmp(t, "classify") || !strcmp(t, "classification"))) f->task = NNT_TASK_CLASSIFY;
            else if (t && !strcmp(t, "binary")) f->task = NNT_TASK_BINARY;
            else if (t && (!strcmp(t, "regress") || !strcmp(t, "regression"))) f->task = NNT_TASK_REGRESS;
            else r = bad(&c, path, "expected \"auto\", \"classification\" (or \"classify\"), \"binary\" or \"regression\" (or \"regress\")", NULL);
        } else if (!strcmp(key, "valid_fraction")) {
            r = get_number(&c, path, v, &f->valid_fraction);
            if (r == NNT_OK && !(f->valid_fraction > 0 && f->valid_fraction < 1))
                r = bad(&c, path, "expected a number in (0, 1)", NULL);
        } else if (!strcmp(key, "objective")) {
            /* "objectives", when it came first, already named the metric. */
            char *earlier = f->metric ? nnt__strdup(f->metric) : NULL;
            if (json_object_is_type(v, json_type_string)) {
                r = get_string(&c, "study.objective", v, &f->metric);
            } else if ((r = expect_object(&c, path, v)) == NNT_OK) {
                json_object_object_foreach(v, k2, v2) {
                    if (!strcmp(k2, "metric")) r = get_string(&c, "study.objective.metric", v2, &f->metric);
                    else if (!strcmp(k2, "direction")) {
                        r = get_string(&c, "study.objective.direction", v2, &f->direction);
                        if (r == NNT_OK && strcmp(f->direction, "maximize") &&
                            strcmp(f->direction, "minimize"))
                            r = bad(&c, "study.objective.direction",
                                    "expected \"maximize\" or \"minimize\", got \"%s\"", f->direction);
                    } else
                        r = unknown_key(&c, "study.objective", k2, "metric, direction");
                    if (r < 0) break;
                }
            }
            if (r == NNT_OK && f->metric && nnt_metric_from_name(f->metric) < 0)
                r = bad(&c, json_object_is_type(v, json_type_string) ? "study.objective"
                                                                     : "study.objective.metric",
                        "expected accuracy, loss, rmse, mae or r2, got \"%s\"", f->metric);
            if (r == NNT_OK && earlier && f->metric && strcmp(earlier, f->metric))
                r = bad(&c, "study.objectives[0]", "\"%s\" differs from the metric of \"objective\"",
                        earlier);
            nnt__free(earlier);
        } else if (!strcmp(key, "space")) {
            if ((r = expect_object(&c, path, v)) == NNT_OK) {
                /* Checked now, so that a bad space stops the study before
                 * any trial; kept as text for nnt_space_from_json. */
                const char *txt = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
                nnt_space *sp = NULL;
                nnt_error e;
                int sr = nnt_space_from_json(txt, &sp, &e);
                if (sr == NNT_OK) sr = nnt_space_validate(sp, &e);
                nnt_space_free(sp);
                if (sr < 0) {
                    r = nnt_fail(err, sr, "%s: %s%s", c.src,
                                 strncmp(e.message, "space", 5) ? "study.space: " : "study.",
                                 e.message);
                } else {
                    f->space_json = nnt__strdup(txt);
                    if (!f->space_json) r = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
                }
            }
        } else if (!strcmp(key, "budget")) r = parse_budget(&c, v, f);
        else if (!strcmp(key, "options")) r = parse_options(&c, v, f);
        else r = unknown_key(&c, "study", key, top_keys);
        if (r < 0) break;
    }
done:
    json_object_put(root);
    if (r < 0) nnt_study_file_free(f);
    return r;
}

int nnt_study_file_load(const char *path, nnt_study_file *out, nnt_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return nnt_fail(err, NNT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = nnt__malloc(cap);
    if (!buf) {
        fclose(fp);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    }
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += got;
        if (cap - len < 2) {
            if (cap > ((size_t)64 << 20)) {
                nnt__free(buf);
                fclose(fp);
                return nnt_fail(err, NNT_ERR_FORMAT, "%s: too large for a study file", path);
            }
            char *nb = nnt__realloc(buf, cap * 2);
            if (!nb) {
                nnt__free(buf);
                fclose(fp);
                return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
            }
            buf = nb;
            cap *= 2;
        }
    }
    int rerr = ferror(fp);
    fclose(fp);
    if (rerr) {
        nnt__free(buf);
        return nnt_fail(err, NNT_ERR_IO, "%s: read error", path);
    }
    buf[len] = '\0';
    int r = nnt_study_file_parse(buf, path, out, err);
    nnt__free(buf);
    return r;
}

void nnt_study_file_free(nnt_study_file *f)
{
    if (!f) return;
    nnt__free(f->data);
    nnt__free(f->labels);
    nnt__free(f->target);
    nnt__free(f->valid);
    nnt__free(f->valid_labels);
    nnt__free(f->test);
    nnt__free(f->test_labels);
    nnt__free(f->metric);
    nnt__free(f->direction);
    nnt__free(f->space_json);
    nnt__free(f->sampler);
    nnt__free(f->sampler_options);
    nnt__free(f->pruner);
    nnt__free(f->pruner_options);
    nnt__free(f->storage);
    nnt__free(f->study_name);
    nnt__free(f->model_out);
    for (int i = 0; i < f->n_base; i++) {
        nnt__free(f->base_names[i]);
        nnt__free(f->base_values[i]);
    }
    nnt__free(f->base_names);
    nnt__free(f->base_values);
    for (int i = 0; i < f->n_ignore; i++) nnt__free(f->ignore[i]);
    nnt__free(f->ignore);
    memset(f, 0, sizeof *f);
}
