/* libFuzzer target: the IDX reader (nnt_dataset_load_idx), plain and gzip.
 * Input: a flag byte, a 2-byte little-endian split point, then the bytes of
 * the image file followed by those of the label file (split there).
 * Flags: bit 0 gzip the image bytes, bit 1 gzip the label bytes (the harness
 * compresses, so the IDX parser sees fuzzed content through zlib), bit 2 no
 * label file. Without the gzip bits the bytes are written as they are, so
 * seeds that are gzip streams fuzz the compressed path too. */
#include <zlib.h>

#include "fuzz_util.h"

static const char *put(int slot, const char *name, const uint8_t *p, size_t n, int gz)
{
    if (!gz) return fz_write(slot, name, p, n);
    const char *path = fz_write(slot, name, NULL, 0);
    gzFile f = gzopen(path, "wb1");
    if (!f) abort();
    if (n && gzwrite(f, p, (unsigned)n) != (int)n) abort();
    if (gzclose(f) != Z_OK) abort();
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    unsigned flags = data[0];
    size_t split = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (split > size) split = size;
    const char *images = put(0, "images.idx", data, split, flags & 1);
    const char *labels =
        (flags & 4) ? NULL : put(1, "labels.idx", data + split, size - split, flags & 2);

    nnt_dataset *ds = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_dataset_load_idx(images, labels, &ds, &err);
    fz_check(rc, &err);
    if (rc < 0) {
        if (ds) abort();
        return 0;
    }
    size_t rows = nnt_dataset_rows(ds), cols = nnt_dataset_features(ds);
    const float *x = nnt_dataset_x(ds);
    for (size_t i = 0; i < rows * cols; i++)
        if (!(x[i] >= 0 && x[i] <= 255)) abort();
    const int32_t *lab = nnt_dataset_labels(ds);
    int k = nnt_dataset_num_classes(ds);
    if (labels && !lab) abort();
    if (lab)
        for (size_t i = 0; i < rows; i++)
            if (lab[i] < 0 || lab[i] >= k) abort();
    nnt_dataset_free(ds);
    return 0;
}
