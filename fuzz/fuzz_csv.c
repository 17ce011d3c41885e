/* libFuzzer target: the CSV reader (nnt_dataset_load_csv).
 * Input: one option byte, then the file. Option byte: bits 0-1 delimiter
 * (',' ';' TAB ','), bits 2-4 task (mod 5), bit 5 target_optional, bit 6 target
 * column named "y" (else the last column). */
#include <math.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char delims[4] = {',', ';', '\t', ','};
    nnt_csv_options o = nnt_csv_options_default();
    o.delimiter = delims[data[0] & 3];
    o.task = (nnt_task)(((data[0] >> 2) & 7) % 5);
    o.target_optional = (data[0] >> 5) & 1;
    o.target = (data[0] & 0x40) ? "y" : NULL;
    const char *path = fz_write(0, "in.csv", data + 1, size - 1);

    nnt_dataset *ds = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_dataset_load_csv(path, &o, &ds, &err);
    fz_check(rc, &err);
    if (rc < 0) {
        if (ds) abort(); /* *out = NULL on failure */
        return 0;
    }
    /* Touch everything a caller would read. */
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
    nnt_dataset_free(ds);
    return 0;
}
