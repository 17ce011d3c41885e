/* The data fingerprint of a study definition, and the rule for comparing it.
 *
 * A study's trials are scores on one data set; resuming it on other data
 * would mix scores that cannot be compared, and the saved best model would
 * belong to the old data (it once named a 13-feature model for a 30-feature
 * data set). So the stored definition records what the study tuned on --
 * rows, feature columns and their names, target name, task, classes and a
 * 64-bit hash of the feature matrix and targets -- and a resume on data that
 * differs in any of them is refused, --force or not. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "tune/study_internal.h"

/* FNV-1a style mixing over 32-bit words, in four independent lanes so the
 * multiplications overlap (Fashion-MNIST's 47 M words hash in ~50 ms), then
 * folded together with the length. Not cryptographic: it tells data sets
 * apart, it does not resist forgery. */
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

static void hash_words(hash4 *s, const uint32_t *w, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) s->h[k] = (s->h[k] ^ w[i + (size_t)k]) * FNV_PRIME;
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
