/* The owner of a study's stored definition: writing it
 * (nnt__study_definition_build), reading it for everyone else
 * (nnt_study_definition_parse, nnt_study_definition_space), its data
 * fingerprint, and the comparison of a stored definition with the one a
 * resume would store.
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

/* 64-bit hash of a data set's shape, feature matrix and targets (also the
 * check of every MPI rank's data, src/mpi/mpi_setup.c). */
uint64_t nnt__dataset_content_hash(const nnt_dataset *ds)
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
    snprintf(hex, sizeof hex, "%016" PRIx64, nnt__dataset_content_hash(ds));
    return json_object_new_string(hex);
}

/* The "data" object of a study definition: rows, features, task, classes,
 * target, feature_names (named columns only), hash, and valid {rows, hash}
 * when a separate validation set is given; then extra_json's other keys.
 * NULL when out of memory. */
static json_object *nnt_study_fingerprint(const nnt_dataset *train, const nnt_dataset *valid,
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

/* Whether the data now (a fingerprint) differs from the stored one; buf
 * names every difference ("rows (stored 178, now 569), ..."). A stored
 * fingerprint without a hash (older studies) is compared on the keys it
 * has; NULL (none stored) never differs. */
static int nnt_study_data_differs(json_object *stored, json_object *now, char *buf, size_t n)
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
study_policy nnt__study_resolve_policy(const nnt_study_options *opt, const nnt_study_data *data,
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
        /* Fewer rows than folds: one fold a row (leave-one-out), not an
         * error about folds the user never asked for. */
        if (folds > 1 && rows < (size_t)folds) folds = rows >= 2 ? (int)rows : 1;
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
    s->ensemble = opt->ensemble == NNT_ENSEMBLE_AUTO ? folds >= 2 : opt->ensemble > 0;
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

/* "nntune's MLP trainer" (returns 0) or "the user objective 'NAME'"
 * (returns 1), from a definition's "objective" key. */
static int objective_words(json_object *def, char *buf, size_t n)
{
    json_object *o = NULL, *nm = NULL;
    if (!def || !json_object_object_get_ex(def, "objective", &o) ||
        !json_object_object_get_ex(o, "name", &nm)) {
        snprintf(buf, n, "nntune's MLP trainer");
        return 0;
    }
    snprintf(buf, n, "the user objective '%.64s'", json_object_get_string(nm));
    return 1;
}

/* Checks the stored definition against this one (def): data never may
 * differ; the rest only with s->force, which stores the new one. A stored
 * data fingerprint of an older kind that matches is upgraded silently. */
int nnt__study_check_definition(const study_definition_check *s, const nnt_study_record *rec,
                                const char *def, nnt_error *err)
{
    nnt_storage *storage = s->storage;
    int created = s->created;
    /* A study row with the placeholder definition was created by a process
     * that died before storing the real one: adopt it as new. */
    int blank = !rec->definition || !strcmp(rec->definition, "{}");
    if (created || blank)
        return nnt_storage_study_redefine(storage, s->study_id, def, s->seed, err);

    json_object *js = json_tokener_parse(rec->definition), *jn = json_tokener_parse(def);
    json_object *ds = NULL, *dn = NULL;
    if (js) json_object_object_get_ex(js, "data", &ds);
    if (jn) json_object_object_get_ex(jn, "data", &dn);
    char what[1500];
    int r = NNT_OK;
    char was[120], now[120];
    if (objective_words(js, was, sizeof was) != objective_words(jn, now, sizeof now)) {
        /* Trials of one objective mean nothing to another. */
        r = nnt_fail(err, NNT_ERR_ARG,
                     "study '%s' tunes %s, not %s; a study keeps its objective (not even "
                     "options.force changes it): choose another study.name",
                     s->name, was, now);
    } else if (nnt_study_data_differs(ds, dn, what, sizeof what)) {
        r = nnt_fail(err, NNT_ERR_ARG,
                     "study '%s' was run on other data: %s. Its trials and saved model belong to "
                     "that data, so it cannot continue on this data (not even with options.force); "
                     "choose a new study.name (or another storage file)",
                     s->name, what);
    } else {
        /* The rest of the definition, without the data. */
        char *rs = NULL, *rn = NULL;
        if (js && jn) {
            json_object_object_del(js, "data");
            json_object_object_del(jn, "data");
            rs = nnt__strdup(json_object_to_json_string_ext(js, JSON_C_TO_STRING_PLAIN));
            rn = nnt__strdup(json_object_to_json_string_ext(jn, JSON_C_TO_STRING_PLAIN));
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
                         "settings, set options.force to replace its definition (same data only), or "
                         "choose another study.name",
                         s->name, buf);
        } else if (differs || upgrade) {
            r = nnt_storage_study_redefine(storage, s->study_id, def, s->seed, err);
        }
        nnt__free(rs);
        nnt__free(rn);
    }
    json_object_put(js);
    json_object_put(jn);
    if (r == NNT_OK && strcmp(rec->metric ? rec->metric : "", s->metric) != 0)
        r = nnt_fail(err, NNT_ERR_ARG, "study '%s' was created with metric %s", s->name,
                     rec->metric ? rec->metric : "?");
    return r;
}


/* ---- writing a definition ------------------------------------------------------ */

static json_object *num_list(const double *v, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++) json_object_array_add(a, json_object_new_double(v[i]));
    return a;
}

/* The MLP trainer's base options (those not in the space). */
static json_object *base_json(const nnt_model_options *m, const nnt_train_options *t)
{
    json_object *b = json_object_new_object();
    int nh = m->n_hidden < 0 ? 0 : m->n_hidden > NNT_MAX_HIDDEN ? NNT_MAX_HIDDEN : m->n_hidden;
    double hv[NNT_MAX_HIDDEN], dv[NNT_MAX_HIDDEN];
    for (int i = 0; i < nh; i++) {
        hv[i] = m->hidden[i];
        dv[i] = m->dropout[i];
    }
    json_object_object_add(b, "hidden", num_list(hv, nh));
    json_object_object_add(b, "dropout", num_list(dv, nh));
    json_object_object_add(b, "input_dropout", json_object_new_double(m->input_dropout));
    json_object_object_add(b, "activation", json_object_new_string(nnt_activation_name(m->activation)));
    json_object_object_add(b, "loss", json_object_new_int(m->loss));
    json_object_object_add(b, "optimizer", json_object_new_string(nnt_optimizer_name(t->optimizer)));
    json_object_object_add(b, "lr", json_object_new_double(t->lr));
    json_object_object_add(b, "momentum", json_object_new_double(t->momentum));
    json_object_object_add(b, "weight_decay", json_object_new_double(t->weight_decay));
    json_object_object_add(b, "batch_size", json_object_new_int(t->batch_size));
    json_object_object_add(b, "scale_lr", json_object_new_int(t->scale_lr_with_batch));
    json_object_object_add(b, "schedule", json_object_new_string(nnt_schedule_name(t->schedule)));
    json_object_object_add(b, "warmup_epochs", json_object_new_int(t->warmup_epochs));
    json_object_object_add(b, "epochs", json_object_new_int(t->max_epochs));
    json_object_object_add(b, "early_stopping", json_object_new_int(t->early_stopping));
    json_object_object_add(b, "patience", json_object_new_int(t->patience));
    json_object_object_add(b, "min_delta", json_object_new_double(t->min_delta));
    json_object_object_add(b, "pretrain_epochs", json_object_new_int(t->pretrain_epochs));
    json_object_object_add(b, "task", json_object_new_int(t->task));
    json_object_object_add(b, "scaling", json_object_new_int(t->scaling));
    return b;
}

/* Key order is part of the format: a resume compares the stored text (less
 * its data) with this one, so the MLP trainer's keys keep the order
 * nntune has always written them in. */
char *nnt__study_definition_build(const study_definition_in *in)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "version", json_object_new_int(1));
    if (!in->mlp) {
        /* A user objective's identity; MLP definitions have no such key. */
        json_object *ob = json_object_new_object();
        json_object_object_add(ob, "name", json_object_new_string(in->objective));
        if (in->objective_version)
            json_object_object_add(ob, "version", json_object_new_string(in->objective_version));
        json_object_object_add(d, "objective", ob);
    }
    json_object_object_add(d, "sampler", json_object_new_string(in->sampler));
    /* Keys added with TPE, pruning and costs appear only when used, so that
     * studies stored before them still resume. */
    if (in->sampler_options) {
        json_object *so = json_tokener_parse(in->sampler_options);
        if (so && json_object_object_length(so) > 0) json_object_object_add(d, "sampler_options", so);
        else json_object_put(so);
    }
    if (in->pruner && strcmp(in->pruner, "none")) {
        json_object *po = in->pruner_options ? json_tokener_parse(in->pruner_options) : NULL;
        if (!po) po = json_object_new_object();
        json_object *pr = json_object_new_object();
        json_object_object_add(pr, "name", json_object_new_string(in->pruner));
        json_object_object_foreach(po, pk, pv) json_object_object_add(pr, pk, json_object_get(pv));
        json_object_put(po);
        json_object_object_add(d, "pruner", pr);
    }
    if (in->n_costs > 0) {
        json_object *ob = json_object_new_array();
        json_object_array_add(ob, json_object_new_string(in->metric));
        for (int k = 0; k < in->n_costs; k++)
            json_object_array_add(ob, json_object_new_string(in->cost_names[k]));
        json_object_object_add(d, "objectives", ob);
    }
    json_object_object_add(d, "metric", json_object_new_string(in->metric));
    json_object_object_add(d, "direction",
                           json_object_new_string(in->maximize ? "maximize" : "minimize"));
    if (in->mlp) {
        json_object_object_add(d, "cv_folds", json_object_new_int(in->n_folds));
        json_object_object_add(d, "validation",
                               json_object_new_string(in->use_valid_set ? "separate set" : "from data"));
        if (!in->use_valid_set && in->n_folds == 1)
            json_object_object_add(d, "valid_fraction", json_object_new_double(in->valid_fraction));
        json_object_object_add(d, "max_rows", json_object_new_int64((int64_t)in->max_rows));
    }
    json_object_object_add(d, "trial_time_limit", json_object_new_double(in->trial_time_limit_s));
    /* Only in deterministic studies: the slots are part of what the study
     * is (another count gives other trials). */
    if (in->slots > 0) json_object_object_add(d, "slots", json_object_new_int(in->slots));

    char *sp = nnt_space_to_json(in->space);
    json_object *spo = sp ? json_tokener_parse(sp) : NULL;
    nnt__free(sp);
    json_object_object_add(d, "space", spo ? spo : json_object_new_null());
    if (in->mlp) {
        json_object_object_add(d, "base", base_json(in->base_model, in->base_train));
        json_object *dd = nnt_study_fingerprint(in->train, in->valid, in->data_desc);
        json_object_object_add(d, "data", dd ? dd : json_object_new_null());
    }
    const char *txt = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);
    char *out = txt ? nnt__strdup(txt) : NULL;
    json_object_put(d);
    return out;
}

/* ---- reading a definition -------------------------------------------------------- */

void nnt_study_definition_free(nnt_study_definition *d)
{
    if (!d) return;
    nnt__free(d->objective);
    nnt__free(d->objective_version);
    nnt__free(d->sampler);
    nnt__free(d->sampler_options);
    nnt__free(d->pruner);
    nnt__free(d->pruner_options);
    nnt__free(d->metric);
    for (int k = 0; k < NNT_MAX_OBJECTIVES; k++) nnt__free(d->objectives[k]);
    nnt__free(d->space);
    memset(d, 0, sizeof *d);
}

/* A string key (NULL when absent); -1 when present with another type. */
static int get_string(json_object *o, const char *key, char **out)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) return 0;
    if (!json_object_is_type(v, json_type_string)) return -1;
    *out = nnt__strdup(json_object_get_string(v));
    return *out ? 0 : -2;
}

static char *plain_text(json_object *v)
{
    return nnt__strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

static int parse_objectives(json_object *v, nnt_study_definition *d)
{
    if (!json_object_is_type(v, json_type_array)) return -1;
    size_t n = json_object_array_length(v);
    for (size_t i = 0; i < n && i < NNT_MAX_OBJECTIVES; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string)) return -1;
        if (!(d->objectives[i] = nnt__strdup(json_object_get_string(e)))) return -2;
        d->n_objectives = (int)i + 1;
    }
    return 0;
}

int nnt_study_definition_parse(const char *json, nnt_study_definition *out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "definition: NULL output");
    memset(out, 0, sizeof *out);
    out->cv_folds = 1;
    out->n_objectives = 1;
    json_object *o = json ? json_tokener_parse(json) : NULL;
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return nnt_fail(err, NNT_ERR_FORMAT, "definition: expected a JSON object");
    }
    const char *bad = NULL;
    int r = 0;
    json_object *v;
    if (json_object_object_get_ex(o, "objective", &v)) {
        if (!json_object_is_type(v, json_type_object)) bad = "objective";
        else if ((r = get_string(v, "name", &out->objective)) < 0) bad = "objective.name";
        else if ((r = get_string(v, "version", &out->objective_version)) < 0) bad = "objective.version";
    }
    if (!bad && (r = get_string(o, "sampler", &out->sampler)) < 0) bad = "sampler";
    if (!bad && (r = get_string(o, "metric", &out->metric)) < 0) bad = "metric";
    if (!bad && json_object_object_get_ex(o, "sampler_options", &v)) {
        if (!json_object_is_type(v, json_type_object)) bad = "sampler_options";
        else if (!(out->sampler_options = plain_text(v))) r = -2;
    }
    if (!bad && r == 0) {
        out->pruner = nnt__strdup("none");
        if (!out->pruner) r = -2;
    }
    if (!bad && r == 0 && json_object_object_get_ex(o, "pruner", &v)) {
        if (!json_object_is_type(v, json_type_object)) {
            bad = "pruner";
        } else {
            char *name = NULL;
            if ((r = get_string(v, "name", &name)) < 0 || !name) {
                bad = "pruner.name";
            } else {
                nnt__free(out->pruner);
                out->pruner = name;
                json_object *opts = json_object_new_object();
                json_object_object_foreach(v, k, pv) if (strcmp(k, "name"))
                    json_object_object_add(opts, k, json_object_get(pv));
                if (json_object_object_length(opts) > 0 && !(out->pruner_options = plain_text(opts)))
                    r = -2;
                json_object_put(opts);
            }
        }
    }
    if (!bad && r == 0 && json_object_object_get_ex(o, "direction", &v))
        out->maximize = json_object_is_type(v, json_type_string) &&
                        !strcmp(json_object_get_string(v), "maximize");
    if (!bad && r == 0 && json_object_object_get_ex(o, "cv_folds", &v)) {
        if (!json_object_is_type(v, json_type_int)) bad = "cv_folds";
        else out->cv_folds = json_object_get_int(v);
    }
    if (!bad && r == 0 && json_object_object_get_ex(o, "slots", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < 1) bad = "slots";
        else out->slots = json_object_get_int(v);
    }
    if (!bad && r == 0 && json_object_object_get_ex(o, "objectives", &v) &&
        (r = parse_objectives(v, out)) == -1)
        bad = "objectives";
    if (!bad && r == 0 && !out->objectives[0] && out->metric &&
        !(out->objectives[0] = nnt__strdup(out->metric)))
        r = -2;
    if (!bad && r == 0 && json_object_object_get_ex(o, "space", &v) &&
        json_object_is_type(v, json_type_object) && !(out->space = plain_text(v)))
        r = -2;
    json_object_put(o);
    if (bad || r < 0) {
        nnt_study_definition_free(out);
        if (!bad) return nnt_fail(err, NNT_ERR_NOMEM, "definition: out of memory");
        return nnt_fail(err, NNT_ERR_FORMAT, "definition.%s: wrong type", bad);
    }
    return NNT_OK;
}

int nnt_study_definition_space(const nnt_study_definition *d, nnt_space **out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "definition: NULL output");
    *out = NULL;
    if (!d || !d->space) return nnt_fail(err, NNT_ERR_NOT_FOUND, "definition: no space stored");
    return d->objective ? nnt_space_from_json_any(d->space, out, err)
                        : nnt_space_from_json(d->space, out, err);
}
