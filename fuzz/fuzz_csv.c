/* libFuzzer target: the CSV reader (nnt_dataset_load_csv).
 * Input: two option bytes, then the file.
 * Byte 0: bits 0-1 delimiter (detect, ',', ';', TAB), bits 2-4 task (mod 5),
 * bit 5 target_optional, bit 6 target column named "y" (else the last
 * column), bit 7 ignore column "b".
 * Byte 1: bits 0-1 missing-value policy (error, drop, mean, median), bits 2-3
 * max_categories (default, 0, 2, 100), bit 4 max_classes 3 (else default),
 * bit 5 reload the file as prediction input through the schema of the first
 * load (as `nntune predict` does with a model's schema). */
#include <math.h>

#include "fuzz_util.h"

static void check_dataset(const nnt_dataset *ds)
{
    size_t rows = nnt_dataset_rows(ds), cols = nnt_dataset_features(ds);
    const float *x = nnt_dataset_x(ds);
    for (size_t i = 0; i < rows * cols; i++)
        if (!isfinite(x[i])) abort(); /* features are documented finite */
    for (size_t j = 0; j < cols; j++)
        if (!nnt_dataset_feature_name(ds, j)) abort();
    int k = nnt_dataset_num_classes(ds);
    const int32_t *lab = nnt_dataset_labels(ds);
    for (int c = 0; c < k; c++)
        if (!nnt_dataset_class_name(ds, c)) abort();
    if (lab)
        for (size_t i = 0; i < rows; i++)
            if (lab[i] < 0 || lab[i] >= k) abort();
    const nnt_schema *sc = nnt_dataset_schema(ds);
    if (sc && sc->n_columns && nnt_schema_features(sc) != cols) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    static const char delims[4] = {0, ',', ';', '\t'};
    static const int max_cat[4] = {-1, 0, 2, 100};
    static const char *const ignore[] = {"b"};
    nnt_csv_options o = nnt_csv_options_default();
    o.delimiter = delims[data[0] & 3];
    o.task = (nnt_task)(((data[0] >> 2) & 7) % 5);
    o.target_optional = (data[0] >> 5) & 1;
    o.target = (data[0] & 0x40) ? "y" : NULL;
    if (data[0] & 0x80) {
        o.ignore = ignore;
        o.n_ignore = 1;
    }
    o.missing = (nnt_missing)(data[1] & 3);
    if (max_cat[(data[1] >> 2) & 3] >= 0) o.max_categories = max_cat[(data[1] >> 2) & 3];
    if (data[1] & 0x10) o.max_classes = 3;
    int reload = (data[1] >> 5) & 1;
    const char *path = fz_write(0, "in.csv", data + 2, size - 2);

    nnt_dataset *ds = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_dataset_load_csv(path, &o, &ds, &err);
    fz_check(rc, &err);
    if (rc < 0) {
        if (ds) abort(); /* *out = NULL on failure */
        return 0;
    }
    check_dataset(ds);
    const nnt_schema *sc = nnt_dataset_schema(ds);
    if (reload && sc && sc->n_columns) {
        nnt_csv_options p = nnt_csv_options_default();
        p.delimiter = o.delimiter;
        p.target = o.target;
        p.target_optional = 1;
        p.schema = sc;
        nnt_dataset *again = NULL;
        nnt_error_clear(&err);
        rc = nnt_dataset_load_csv(path, &p, &again, &err);
        fz_check(rc, &err);
        if (rc == NNT_OK) {
            check_dataset(again);
            if (nnt_dataset_features(again) != nnt_dataset_features(ds)) abort();
        }
        nnt_dataset_free(again);
    }
    nnt_dataset_free(ds);
    return 0;
}
