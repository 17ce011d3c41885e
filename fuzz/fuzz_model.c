/* libFuzzer target: the model-file loader (nnt_model_load).
 * Input: a mode byte, then the file. With bit 0 of the mode byte clear the
 * harness first makes the header's size field and the trailing CRC-32 agree
 * with the bytes (when the file is long enough to have them), so mutations
 * reach the parser behind the checksum instead of dying at it; with bit 0 set
 * the bytes go to the loader untouched (header, size and checksum checks).
 * A model that loads is run forward on one row and saved and reloaded. */
#include <zlib.h>

#include "fuzz_util.h"

#define HEADER 16

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    /* NNT_FUZZ_MODEL_RAW=1 never fixes the checksum: the comparison run
     * that shows what the fix buys (fuzz/README.md). */
    static int force_raw = -1;
    if (force_raw < 0) force_raw = getenv("NNT_FUZZ_MODEL_RAW") != NULL;
    int raw = (data[0] & 1) || force_raw;
    size_t n = size - 1;
    uint8_t *file = malloc(n ? n : 1);
    if (!file) abort();
    memcpy(file, data + 1, n);
    if (!raw && n >= HEADER + 4) {
        uint64_t len = n;
        for (int i = 0; i < 8; i++) file[8 + i] = (uint8_t)(len >> (8 * i));
        le32(file + n - 4, (uint32_t)crc32(0L, file, (uInt)(n - 4)));
    }
    const char *path = fz_write(0, "in.nnt", file, n);
    free(file);

    nnt_model *m = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_model_load(path, &m, &err);
    fz_check(rc, &err);
    if (rc < 0) {
        if (m) abort();
        return 0;
    }
    const nnt_model_options *o = nnt_model_get_options(m);
    float *x = calloc((size_t)o->inputs, sizeof *x), *y = calloc((size_t)o->outputs, sizeof *y);
    if (!x || !y) abort();
    rc = nnt_model_forward(m, x, 1, y, &err);
    fz_check(rc, &err);
    for (int c = 0; c < nnt_model_num_classes(m); c++)
        if (!nnt_model_class_name(m, c)) abort();
    free(x);
    free(y);

    /* What loads must save and load again to the same weights. */
    const char *again = fz_write(1, "again.nnt", NULL, 0);
    rc = nnt_model_save(m, again, &err);
    fz_check(rc, &err);
    if (rc == NNT_OK) {
        nnt_model *m2 = NULL;
        rc = nnt_model_load(again, &m2, &err);
        if (rc != NNT_OK) {
            fprintf(stderr, "fuzz: a saved model does not reload: %s\n", err.message);
            abort();
        }
        size_t np = nnt_model_num_params(m);
        if (nnt_model_num_params(m2) != np ||
            memcmp(nnt_model_params(m), nnt_model_params(m2), np * sizeof(float)) != 0)
            abort();
        nnt_model_free(m2);
    }
    nnt_model_free(m);
    return 0;
}
