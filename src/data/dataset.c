/* Data set construction from arrays, accessors, class remapping and the
 * built-in data sets. */
#include "data/dataset_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"

/* ---- Internal helpers ---------------------------------------------------- */

nnt_dataset *nnt__dataset_alloc(void) { return nnt__calloc(1, sizeof(nnt_dataset)); }

void nnt__free_strings(char **s, size_t n)
{
    if (!s) return;
    for (size_t i = 0; i < n; i++) nnt__free(s[i]);
    nnt__free(s);
}

const char *nnt__errno_text(int errnum, char *buf, size_t len)
{
    /* XSI strerror_r (we build with _POSIX_C_SOURCE=200809L): int result. */
    if (strerror_r(errnum, buf, len) != 0) snprintf(buf, len, "error %d", errnum);
    return buf;
}

static char **numbered_names(const char *prefix, size_t n)
{
    char **names = nnt__calloc(n ? n : 1, sizeof(char *));
    if (!names) return NULL;
    for (size_t i = 0; i < n; i++) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%s%zu", prefix, i);
        names[i] = nnt__strdup(tmp);
        if (!names[i]) {
            nnt__free_strings(names, i);
            return NULL;
        }
    }
    return names;
}

int nnt__dataset_default_feature_names(nnt_dataset *ds, const char *prefix, nnt_error *err)
{
    char **names = numbered_names(prefix, ds->features);
    if (!names) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for %zu feature names", ds->features);
    nnt__free_strings(ds->feature_names, ds->feature_names ? ds->features : 0);
    ds->feature_names = names;
    return NNT_OK;
}

int nnt__dataset_numbered_classes(nnt_dataset *ds, int n, nnt_error *err)
{
    char **names = numbered_names("", (size_t)n);
    if (!names) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for %d class names", n);
    nnt__free_strings(ds->class_names, (size_t)ds->n_classes);
    ds->class_names = names;
    ds->n_classes = n;
    return NNT_OK;
}

static char **copy_strings(const char *const *src, size_t n)
{
    char **dst = nnt__calloc(n ? n : 1, sizeof(char *));
    if (!dst) return NULL;
    for (size_t i = 0; i < n; i++) {
        dst[i] = nnt__strdup(src[i]);
        if (!dst[i]) {
            nnt__free_strings(dst, i);
            return NULL;
        }
    }
    return dst;
}

/* ---- Construction and accessors ------------------------------------------ */

void nnt_dataset_free(nnt_dataset *ds)
{
    if (!ds) return;
    nnt__free(ds->x);
    nnt__free(ds->labels);
    nnt__free(ds->targets);
    nnt__free_strings(ds->class_names, (size_t)ds->n_classes);
    nnt__free_strings(ds->feature_names, ds->features);
    nnt__free(ds->target_name);
    nnt_schema_free(&ds->schema);
    nnt__free(ds);
}

int nnt_dataset_from_arrays(const nnt_dataset_spec *spec, nnt_dataset **out, nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: out is NULL");
    *out = NULL;
    if (!spec || !spec->x)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: spec and spec->x are required");
    if (spec->rows == 0 || spec->features == 0)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: need at least one row and one "
                        "feature (got %zu x %zu)", spec->rows, spec->features);
    if (spec->rows > UINT32_MAX)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: %zu rows is more than the "
                        "%u a data set can index", spec->rows, (unsigned)UINT32_MAX);
    if (spec->labels && spec->targets)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: give labels or targets, not both");
    if (spec->labels) {
        if (spec->n_classes < 2)
            return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: labels need n_classes >= 2 "
                            "(got %d)", spec->n_classes);
        for (size_t i = 0; i < spec->rows; i++)
            if (spec->labels[i] < 0 || spec->labels[i] >= spec->n_classes)
                return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: label %d of row %zu "
                                "is outside [0, %d)", (int)spec->labels[i], i, spec->n_classes);
        if (spec->class_names)
            for (int c = 0; c < spec->n_classes; c++)
                if (!spec->class_names[c])
                    return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: class name %d is NULL", c);
    }
    if (spec->feature_names)
        for (size_t j = 0; j < spec->features; j++)
            if (!spec->feature_names[j])
                return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_from_arrays: feature name %zu is NULL", j);

    nnt_dataset *ds = nnt__dataset_alloc();
    if (!ds) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for a data set");
    ds->rows = spec->rows;
    ds->features = spec->features;
    ds->kind = spec->kind;
    ds->task = NNT_TASK_AUTO;
    int rc = NNT_ERR_NOMEM;
    if (spec->rows > SIZE_MAX / spec->features) goto nomem;
    ds->x = nnt__malloc_array(spec->rows * spec->features, sizeof(float));
    if (!ds->x) goto nomem;
    memcpy(ds->x, spec->x, spec->rows * spec->features * sizeof(float));
    if (spec->feature_names) {
        if (!(ds->feature_names = copy_strings(spec->feature_names, spec->features))) goto nomem;
    } else if ((rc = nnt__dataset_default_feature_names(ds, "x", err)) < 0) {
        goto fail;
    }
    if (spec->labels || spec->targets) {
        ds->target_name = nnt__strdup(spec->target_name ? spec->target_name : "target");
        if (!ds->target_name) goto nomem;
    }
    if (spec->labels) {
        ds->task = NNT_TASK_CLASSIFY;
        ds->labels = nnt__malloc_array(spec->rows, sizeof(int32_t));
        if (!ds->labels) goto nomem;
        memcpy(ds->labels, spec->labels, spec->rows * sizeof(int32_t));
        if (spec->class_names) {
            ds->class_names = copy_strings(spec->class_names, (size_t)spec->n_classes);
            if (!ds->class_names) goto nomem;
            ds->n_classes = spec->n_classes;
        } else if ((rc = nnt__dataset_numbered_classes(ds, spec->n_classes, err)) < 0) {
            goto fail;
        }
    } else if (spec->targets) {
        ds->task = NNT_TASK_REGRESS;
        ds->targets = nnt__malloc_array(spec->rows, sizeof(float));
        if (!ds->targets) goto nomem;
        memcpy(ds->targets, spec->targets, spec->rows * sizeof(float));
    }
    *out = ds;
    return NNT_OK;
nomem:
    rc = nnt_fail(err, NNT_ERR_NOMEM, "out of memory for a data set of %zu x %zu", spec->rows,
                  spec->features);
fail:
    nnt_dataset_free(ds);
    return rc;
}

size_t nnt_dataset_rows(const nnt_dataset *ds) { return ds->rows; }
size_t nnt_dataset_features(const nnt_dataset *ds) { return ds->features; }
const float *nnt_dataset_x(const nnt_dataset *ds) { return ds->x; }
const int32_t *nnt_dataset_labels(const nnt_dataset *ds) { return ds->labels; }
const float *nnt_dataset_targets(const nnt_dataset *ds) { return ds->targets; }
int nnt_dataset_has_target(const nnt_dataset *ds) { return ds->labels != NULL || ds->targets != NULL; }
nnt_task nnt_dataset_task(const nnt_dataset *ds) { return ds->task; }
int nnt_dataset_num_classes(const nnt_dataset *ds) { return ds->n_classes; }
nnt_feature_kind nnt_dataset_kind(const nnt_dataset *ds) { return ds->kind; }
const char *nnt_dataset_target_name(const nnt_dataset *ds) { return ds->target_name; }
const nnt_schema *nnt_dataset_schema(const nnt_dataset *ds)
{
    return ds->schema.n_columns ? &ds->schema : NULL;
}
const nnt_csv_info *nnt_dataset_csv_info(const nnt_dataset *ds)
{
    return ds->has_csv_info ? &ds->csv_info : NULL;
}

const char *nnt_dataset_class_name(const nnt_dataset *ds, int c)
{
    if (c < 0 || c >= ds->n_classes) return NULL;
    return ds->class_names[c];
}

const char *nnt_dataset_feature_name(const nnt_dataset *ds, size_t j)
{
    if (j >= ds->features) return NULL;
    return ds->feature_names[j];
}

/* ---- Class remapping ----------------------------------------------------- */

int nnt_dataset_remap_classes(nnt_dataset *ds, const char *const *names, int n, nnt_error *err)
{
    if (!ds || (n > 0 && !names) || n < 0)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_remap_classes: bad arguments");
    for (int i = 0; i < n; i++)
        if (!names[i]) return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_remap_classes: name %d is NULL", i);
    if (ds->task == NNT_TASK_REGRESS)
        return nnt_fail(err, NNT_ERR_ARG, "cannot remap classes of a regression data set "
                        "(target '%s')", ds->target_name ? ds->target_name : "?");
    if (!ds->labels) return NNT_OK; /* no target: nothing to re-express */

    int32_t *map = nnt__malloc_array((size_t)ds->n_classes, sizeof(int32_t));
    if (!map) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    for (int c = 0; c < ds->n_classes; c++) {
        map[c] = -1;
        for (int i = 0; i < n; i++)
            if (strcmp(ds->class_names[c], names[i]) == 0) {
                map[c] = i;
                break;
            }
        if (map[c] < 0) {
            char known[512];
            size_t len = 0;
            known[0] = '\0';
            for (int i = 0; i < n && len < sizeof known - 1; i++) {
                int w = snprintf(known + len, sizeof known - len, "%s'%s'", i ? ", " : "", names[i]);
                if (w < 0) break;
                len += (size_t)w;
            }
            nnt__free(map);
            return nnt_fail(err, NNT_ERR_FORMAT, "class '%s' in the data is not one of the %d "
                            "known classes (%s)", ds->class_names[c], n, known);
        }
    }
    char **copy = copy_strings(names, (size_t)n);
    if (!copy) {
        nnt__free(map);
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    }
    for (size_t r = 0; r < ds->rows; r++) ds->labels[r] = map[ds->labels[r]];
    nnt__free(map);
    nnt__free_strings(ds->class_names, (size_t)ds->n_classes);
    ds->class_names = copy;
    ds->n_classes = n;
    return NNT_OK;
}

/* ---- Built-in data sets -------------------------------------------------- */

const char *nnt_datasets_dir(void)
{
    const char *d = getenv("NNTUNE_DATASETS_DIR");
    return (d && d[0]) ? d : "/usr/share/datasets";
}

static const char *const fashion_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

static int load_fashion_part(const char *dir, const char *images, const char *labels,
                             nnt_dataset **out, nnt_error *err)
{
    char ip[4096], lp[4096];
    snprintf(ip, sizeof ip, "%s/fashion-mnist/%s", dir, images);
    snprintf(lp, sizeof lp, "%s/fashion-mnist/%s", dir, labels);
    int rc = nnt_dataset_load_idx(ip, lp, out, err);
    if (rc < 0) return rc;
    nnt_dataset *ds = *out;
    if (ds->n_classes > 10) {
        nnt_dataset_free(ds);
        *out = NULL;
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: labels go up to %d, Fashion-MNIST has 10 classes",
                        lp, ds->n_classes - 1);
    }
    char **names = copy_strings(fashion_classes, 10);
    if (!names) {
        nnt_dataset_free(ds);
        *out = NULL;
        return nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    }
    nnt__free_strings(ds->class_names, (size_t)ds->n_classes);
    ds->class_names = names;
    ds->n_classes = 10;
    return NNT_OK;
}

int nnt_dataset_load_builtin(const char *name, nnt_dataset **train, nnt_dataset **test,
                             nnt_error *err)
{
    if (train) *train = NULL;
    if (test) *test = NULL;
    if (!name) return nnt_fail(err, NNT_ERR_ARG, "no built-in data set name given (known: fashion-mnist)");
    if (!train && !test)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_load_builtin: train and test are both NULL");
    if (strcmp(name, "fashion-mnist") != 0)
        return nnt_fail(err, NNT_ERR_ARG, "unknown built-in data set '%s' (known: fashion-mnist)", name);

    static const char *const files[4] = {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    };
    const char *dir = nnt_datasets_dir();
    for (int i = 0; i < 4; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/fashion-mnist/%s", dir, files[i]);
        if (access(p, R_OK) != 0) {
            char eb[128];
            return nnt_fail(err, NNT_ERR_NOT_FOUND, "built-in data set 'fashion-mnist' not found: "
                            "%s: %s; install it with 'apt-get install dataset-fashion-mnist' "
                            "(or set NNTUNE_DATASETS_DIR to a directory holding fashion-mnist/)",
                            p, nnt__errno_text(errno, eb, sizeof eb));
        }
    }
    int rc;
    if (train && (rc = load_fashion_part(dir, files[0], files[1], train, err)) < 0) return rc;
    if (test && (rc = load_fashion_part(dir, files[2], files[3], test, err)) < 0) {
        if (train) {
            nnt_dataset_free(*train);
            *train = NULL;
        }
        return rc;
    }
    return NNT_OK;
}
