/* The data fingerprint of a study definition, and the comparison of a
 * stored definition with the one a resume would store.
 *
 * A study's trials are scores on one data set; resuming it on other data
 * would mix scores that cannot be compared, and the saved best model would
 * belong to the old data (it once named a 13-feature model for a 30-feature
 * data set). So the stored definition records what the study tuned on --
 * rows, feature columns and their names, target name, task, classes and a
 * 64-bit hash of the feature matrix and targets -- and a resume on data that
 * differs in any of them is refused, --force or not.
 *
 * Also the small-data policy (NNT_CV_AUTO, NNT_REFIT_AUTO), which decides
 * the cv_folds part of the definition. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/study_internal.h"

/* FNV-1a style mixing over 64-bit words (two 32-bit values each), in four
 * independent lanes so the multiplications overlap, then folded together
 * with the length. Fashion-MNIST's 47 M values hashed in 0.12-0.13 s on
 * the 2-vCPU development machine under a load average of 12 (32-bit words
 * took 0.3-0.46 s). Not cryptographic: it tells data
 * sets apart, it does not resist forgery. */
#define FNV_PRIME 0x100000001b3ULL
#define FNV_BASIS 0xcbf29ce484222325ULL

typedef struct hash4 {
    uint64_t h[4];
    uint64_t n;
} hash4;

static void hash_init(hash4 *s)
{
    for (int k = 0; k < 4; k++) s->h[k] = FNV_BASIS + (uint64_t)k;
    s->n = 0;
}

/* n 32-bit words (float or int32 bit patterns). */
static void hash_words(hash4 *s, const uint32_t *w, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 4; k++) {
            uint64_t v;
            memcpy(&v, w + i + 2 * (size_t)k, sizeof v);
            s->h[k] = (s->h[k] ^ v) * FNV_PRIME;
        }
    }
    for (; i < n; i++) s->h[0] = (s->h[0] ^ w[i]) * FNV_PRIME;
    s->n += n;
}

static uint64_t hash_final(const hash4 *s)
{
    uint64_t h = s->n * FNV_PRIME;
    for (int k = 0; k < 4; k++) {
        h ^= s->h[k] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= FNV_PRIME;
    }
    return h ^ (h >> 29);
}

uint64_t nnt_dataset_content_hash(const nnt_dataset *ds)
{
    hash4 s;
    hash_init(&s);
    size_t rows = nnt_dataset_rows(ds), feats = nnt_dataset_features(ds);
    uint32_t dims[2] = {(uint32_t)rows, (uint32_t)feats};
    hash_words(&s, dims, 2);
    const float *x = nnt_dataset_x(ds);
    /* float and int32 are 32-bit words; the bit patterns are hashed. */
    if (x) hash_words(&s, (const uint32_t *)(const void *)x, rows * feats);
    const int32_t *lab = nnt_dataset_labels(ds);
    const float *tg = nnt_dataset_targets(ds);
    if (lab) hash_words(&s, (const uint32_t *)(const void *)lab, rows);
    else if (tg) hash_words(&s, (const uint32_t *)(const void *)tg, rows);
    return hash_final(&s);
}

static json_object *hash_json(const nnt_dataset *ds)
{
    char hex[24];
    snprintf(hex, sizeof hex, "%016" PRIx64, nnt_dataset_content_hash(ds));
    return json_object_new_string(hex);
}

json_object *nnt_study_fingerprint(const nnt_dataset *train, const nnt_dataset *valid,
                                   const char *extra_json)
{
    json_object *o = json_object_new_object();
    if (!o) return NULL;
    size_t feats = nnt_dataset_features(train);
    /* The first five keys are those nntune tune stored before the
     * fingerprint, with the same values, so older studies still compare. */
    json_object_object_add(o, "rows", json_object_new_int64((int64_t)nnt_dataset_rows(train)));
    json_object_object_add(o, "features", json_object_new_int64((int64_t)feats));
    json_object_object_add(o, "task", json_object_new_string(nnt_dataset_task(train) == NNT_TASK_CLASSIFY
                                                                 ? "classify"
                                                                 : "regress"));
    json_object_object_add(o, "classes", json_object_new_int(nnt_dataset_num_classes(train)));
    const char *tn = nnt_dataset_target_name(train);
    if (tn) json_object_object_add(o, "target", json_object_new_string(tn));
    int named = feats > 0 && nnt_dataset_feature_name(train, 0) != NULL;
    if (named) {
        json_object *names = json_object_new_array();
        for (size_t j = 0; j < feats; j++) {
            const char *nm = nnt_dataset_feature_name(train, j);
            json_object_array_add(names, json_object_new_string(nm ? nm : ""));
        }
        json_object_object_add(o, "feature_names", names);
    }
    json_object_object_add(o, "hash", hash_json(train));
    if (valid) {
        json_object *v = json_object_new_object();
        json_object_object_add(v, "rows", json_object_new_int64((int64_t)nnt_dataset_rows(valid)));
        json_object_object_add(v, "hash", hash_json(valid));
        json_object_object_add(o, "valid", v);
    }
    /* The caller's own keys (nnt_study_options.data_desc) never replace ours. */
    json_object *extra = extra_json ? json_tokener_parse(extra_json) : NULL;
    if (extra && json_object_is_type(extra, json_type_object)) {
        json_object_object_foreach(extra, k, v) {
            if (!json_object_object_get_ex(o, k, NULL)) json_object_object_add(o, k, json_object_get(v));
        }
    }
    json_object_put(extra);
    return o;
}

/* Appends ", " and text to buf. */
static void add_part(char *buf, size_t n, const char *text)
{
    size_t l = strlen(buf);
    if (l + 1 >= n) return;
    snprintf(buf + l, n - l, "%s%s", l ? ", " : "", text);
}

/* What differs between two feature-name lists, in words. */
static void names_difference(json_object *a, json_object *b, char *out, size_t n)
{
    size_t na = json_object_array_length(a), nb = json_object_array_length(b);
    for (size_t j = 0; j < na || j < nb; j++) {
        const char *sa = j < na ? json_object_get_string(json_object_array_get_idx(a, j)) : NULL;
        const char *sb = j < nb ? json_object_get_string(json_object_array_get_idx(b, j)) : NULL;
        if (sa && sb && !strcmp(sa, sb)) continue;
        snprintf(out, n, "feature column %zu (stored '%.60s', now '%.60s')", j + 1,
                 sa ? sa : "(none)", sb ? sb : "(none)");
        return;
    }
    out[0] = '\0';
}

int nnt_study_data_differs(json_object *stored, json_object *now, char *buf, size_t n)
{
    buf[0] = '\0';
    /* A definition stored without a data description (a library study made
     * before the fingerprint, data_desc NULL) has nothing to compare. */
    if (!stored || !json_object_is_type(stored, json_type_object)) return 0;
    static const struct {
        const char *key, *word;
    } keys[] = {{"rows", "rows"},       {"features", "feature columns"},
                {"target", "target"},   {"task", "task"},
                {"classes", "classes"}, {"feature_names", NULL},
                {"hash", NULL},         {"valid", NULL}};
    int shape_differs = 0;
    /* A full fingerprint has a hash; older ones (rows, features, task,
     * classes, target) are compared on the keys they have. */
    int full = json_object_object_get_ex(stored, "hash", NULL);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_object *a = NULL, *b = NULL;
        int has_a = json_object_object_get_ex(stored, keys[i].key, &a);
        int has_b = json_object_object_get_ex(now, keys[i].key, &b);
        if (!has_a && (!full || !has_b)) continue;
        if (!has_b) b = NULL;
        const char *sa = has_a ? json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN) : "(none)";
        const char *sb = b ? json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN) : "(none)";
        if (!strcmp(sa, sb)) continue;
        char part[300];
        if (!strcmp(keys[i].key, "feature_names")) {
            if (!a || !b) {
                snprintf(part, sizeof part, "feature names (stored %s, now %s)",
                         a ? "named columns" : "none", b ? "named columns" : "none");
            } else {
                names_difference(a, b, part, sizeof part);
            }
        } else if (!strcmp(keys[i].key, "hash")) {
            if (shape_differs) continue; /* of course: say only what explains it */
            snprintf(part, sizeof part, "content (same columns and rows, different values: "
                                        "hash stored %.20s, now %.20s)",
                     a ? json_object_get_string(a) : "(none)", b ? json_object_get_string(b) : "(none)");
        } else if (!strcmp(keys[i].key, "valid")) {
            snprintf(part, sizeof part, "validation set (stored %.100s, now %.100s)", sa, sb);
        } else {
            snprintf(part, sizeof part, "%s (stored %.100s, now %.100s)", keys[i].word, sa, sb);
            shape_differs = 1;
        }
        add_part(buf, n, part);
        if (!strcmp(keys[i].key, "feature_names")) shape_differs = 1;
    }
    return buf[0] != '\0';
}

/* ---- the model selection policy -------------------------------------------- */

/* The model selection policy (NNT_CV_AUTO, NNT_REFIT_AUTO): small data --
 * fewer than NNT_SMALL_DATA_ROWS rows tuned on, no separate validation set --
 * gets k-fold cross-validation and a refit; a resumed study keeps the fold
 * count it was stored with, so old hold-out studies resume unchanged.
 */
study_policy nnt_study_resolve_policy(const nnt_study_options *opt, const nnt_study_data *data,
                                      const char *stored_definition)
{
    study_policy p;
    memset(&p, 0, sizeof p);
    study_policy *s = &p;
    size_t rows = nnt_dataset_rows(data->train);
    if (opt->max_rows > 0 && opt->max_rows < rows) rows = opt->max_rows;
    s->tuned_rows = rows;
    s->small_data = rows < NNT_SMALL_DATA_ROWS;
    int auto_ok = s->small_data && !data->valid;
    int folds = opt->cv_folds;
    if (folds == NNT_CV_AUTO) {
        s->cv_auto = 1;
        folds = auto_ok ? NNT_SMALL_DATA_FOLDS : 1;
        json_object *d = stored_definition ? json_tokener_parse(stored_definition) : NULL, *v;
        if (d && json_object_object_get_ex(d, "cv_folds", &v) && json_object_is_type(v, json_type_int))
            folds = json_object_get_int(v);
        json_object_put(d);
        if (data->valid) folds = 1;
    }
    if (opt->refit == NNT_REFIT_AUTO) {
        s->refit_auto = 1;
        s->refit = auto_ok;
    } else {
        s->refit = opt->refit > 0;
    }
    s->cv_folds = folds;
    return p;
}

/* ---- the stored definition against this one ------------------------------- */

/* Names the first top-level key whose value differs (into buf). */
static const char *first_difference(const char *a, const char *b, char *buf, size_t n)
{
    json_object *ja = json_tokener_parse(a), *jb = json_tokener_parse(b);
    snprintf(buf, n, "the definition");
    if (ja && jb && json_object_is_type(ja, json_type_object)) {
        json_object_object_foreach(jb, key, vb) {
            json_object *va = NULL;
            int has = json_object_object_get_ex(ja, key, &va);
            const char *sa = has ? json_object_to_json_string_ext(va, JSON_C_TO_STRING_PLAIN) : "(none)";
            const char *sb = json_object_to_json_string_ext(vb, JSON_C_TO_STRING_PLAIN);
            if (strcmp(sa, sb)) {
                snprintf(buf, n, "%s (stored %.200s, now %.200s)", key, sa, sb);
                break;
            }
        }
        /* A key only the stored definition has (e.g. a pruner). */
        if (!strcmp(buf, "the definition")) {
            json_object_object_foreach(ja, ka, va) {
                if (json_object_object_get_ex(jb, ka, NULL)) continue;
                snprintf(buf, n, "%s (stored %.200s, now (none))", ka,
                         json_object_to_json_string_ext(va, JSON_C_TO_STRING_PLAIN));
                break;
            }
        }
    }
    json_object_put(ja);
    json_object_put(jb);
    return buf;
}

/* Checks the stored definition against this one (def): data never may
 * differ; the rest only with s->force, which stores the new one. A stored
 * data fingerprint of an older kind that matches is upgraded silently. */
int nnt_study_check_definition(const study_definition_check *s, const nnt_study_record *rec,
                               const char *def, nnt_error *err)
{
    nnt_storage *storage = s->storage;
    int created = s->created;
    /* A study row with the placeholder definition was created by a process
     * that died before storing the real one: adopt it as new. */
    int blank = !rec->definition || !strcmp(rec->definition, "{}");
    if (created || blank) return storage->study_redefine(storage->ctx, s->study_id, def, s->seed, err);

    json_object *js = json_tokener_parse(rec->definition), *jn = json_tokener_parse(def);
    json_object *ds = NULL, *dn = NULL;
    if (js) json_object_object_get_ex(js, "data", &ds);
    if (jn) json_object_object_get_ex(jn, "data", &dn);
    char what[1500];
    int r = NNT_OK;
    if (nnt_study_data_differs(ds, dn, what, sizeof what)) {
        r = nnt_fail(err, NNT_ERR_ARG,
                     "study '%s' was run on other data: %s. Its trials and saved model belong to "
                     "that data, so it cannot continue on this data (not even with --force); "
                     "choose a new --study name (or another --storage file)",
                     s->name, what);
    } else {
        /* The rest of the definition, without the data. */
        char *rs = NULL, *rn = NULL;
        if (js && jn) {
            json_object_object_del(js, "data");
            json_object_object_del(jn, "data");
            rs = nnt_strdup(json_object_to_json_string_ext(js, JSON_C_TO_STRING_PLAIN));
            rn = nnt_strdup(json_object_to_json_string_ext(jn, JSON_C_TO_STRING_PLAIN));
        }
        int differs = !rs || !rn || strcmp(rs, rn) != 0 || rec->seed != s->seed;
        int upgrade = strcmp(rec->definition, def) != 0; /* only the data fingerprint's form */
        if (differs && !s->force) {
            char buf[600];
            if (rec->seed != s->seed)
                snprintf(buf, sizeof buf, "seed (stored %llu, now %llu)",
                         (unsigned long long)rec->seed, (unsigned long long)s->seed);
            else
                first_difference(rs ? rs : rec->definition, rn ? rn : def, buf, sizeof buf);
            r = nnt_fail(err, NNT_ERR_ARG,
                         "study '%s' exists with a different %s; resume it with the same "
                         "settings, pass --force to replace its definition (same data only), or "
                         "choose another --study name",
                         s->name, buf);
        } else if (differs || upgrade) {
            r = storage->study_redefine(storage->ctx, s->study_id, def, s->seed, err);
        }
        nnt_free(rs);
        nnt_free(rn);
    }
    json_object_put(js);
    json_object_put(jn);
    if (r == NNT_OK && strcmp(rec->metric ? rec->metric : "", s->metric) != 0)
        r = nnt_fail(err, NNT_ERR_ARG, "study '%s' was created with metric %s", s->name,
                     rec->metric ? rec->metric : "?");
    return r;
}

