/* IDX (MNIST) image and label files, read through zlib so that gzipped and
 * plain files both work. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "data/dataset_internal.h"

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u
/* Far above any real image set; keeps size arithmetic clear of overflow. */
#define IDX_MAX_ELEMENTS ((uint64_t)1 << 40)

static int idx_open(const char *path, gzFile *out, nnt_error *err)
{
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        char eb[128];
        return nnt_fail(err, NNT_ERR_IO, "%s: cannot open: %s", path,
                        errno ? nnt__errno_text(errno, eb, sizeof eb) : "out of memory");
    }
    gzbuffer(gz, 1u << 17);
    *out = gz;
    return NNT_OK;
}

/* Reads exactly n bytes; *got tells how many arrived before EOF or an error. */
static int idx_read(gzFile gz, const char *path, void *buf, size_t n, size_t *got, nnt_error *err)
{
    size_t done = 0;
    while (done < n) {
        size_t want = n - done;
        if (want > (1u << 30)) want = 1u << 30;
        int r = gzread(gz, (char *)buf + done, (unsigned)want);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            *got = done;
            return nnt_fail(err, NNT_ERR_CORRUPT, "%s: read error after %zu bytes: %s", path, done,
                            msg ? msg : "unknown zlib error");
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    *got = done;
    return NNT_OK;
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static const char *idx_type_name(unsigned t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    }
    return "unknown";
}

/* Reads and checks the magic and dimensions; dims[0..ndims) filled. */
static int idx_header(gzFile gz, const char *path, uint32_t want_magic, const char *what,
                      uint32_t *dims, nnt_error *err)
{
    unsigned char h[16];
    size_t got;
    unsigned ndims = want_magic & 0xFF;
    int rc = idx_read(gz, path, h, 4, &got, err);
    if (rc < 0) return rc;
    if (got < 4)
        return nnt_fail(err, NNT_ERR_CORRUPT, "%s: truncated IDX header: expected 4 bytes of "
                        "magic, got %zu", path, got);
    uint32_t magic = be32(h);
    if (h[0] != 0 || h[1] != 0 || h[3] != ndims)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: bad IDX magic 0x%08X, expected 0x%08X (%s: "
                        "unsigned bytes, %u dimension%s)", path, (unsigned)magic,
                        (unsigned)want_magic, what, ndims, ndims == 1 ? "" : "s");
    if (h[2] != 0x08)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: IDX element type 0x%02X (%s) is not supported, "
                        "expected 0x08 (unsigned byte)", path, h[2], idx_type_name(h[2]));
    rc = idx_read(gz, path, h, 4 * (size_t)ndims, &got, err);
    if (rc < 0) return rc;
    if (got < 4 * (size_t)ndims)
        return nnt_fail(err, NNT_ERR_CORRUPT, "%s: truncated IDX header: expected %u bytes of "
                        "dimensions, got %zu", path, 4 * ndims, got);
    uint64_t total = 1;
    for (unsigned i = 0; i < ndims; i++) {
        dims[i] = be32(h + 4 * i);
        if (dims[i] == 0)
            return nnt_fail(err, NNT_ERR_FORMAT, "%s: IDX dimension %u is zero", path, i);
        /* Divide, not multiply: three 32-bit dimensions can wrap 64 bits
         * (2^14 * 2^24 * 2^26 made 0 and passed). */
        if (dims[i] > IDX_MAX_ELEMENTS / total)
            return nnt_fail(err, NNT_ERR_FORMAT, "%s: IDX dimensions too large (more than 2^40 "
                            "elements)", path);
        total *= dims[i];
    }
    if (dims[0] > UINT32_MAX / 2)
        return nnt_fail(err, NNT_ERR_FORMAT, "%s: %u items is more than a data set can index",
                        path, (unsigned)dims[0]);
    return NNT_OK;
}

static int load_images(const char *path, nnt_dataset *ds, nnt_error *err)
{
    gzFile gz;
    int rc = idx_open(path, &gz, err);
    if (rc < 0) return rc;
    uint32_t dims[3];
    unsigned char *chunk = NULL;
    if ((rc = idx_header(gz, path, IDX_IMAGES_MAGIC, "images", dims, err)) < 0) goto done;
    ds->rows = dims[0];
    ds->features = (size_t)dims[1] * dims[2];
    size_t total = ds->rows * ds->features;
    /* The header's size is a claim: the pixel buffer grows (doubling) as
     * pixels arrive, so a 16-byte file that promises 2^40 pixels is a
     * truncation error, not a terabyte allocation. */
    enum { CHUNK = 1 << 16, FIRST = 1 << 20 };
    size_t cap = total < FIRST ? total : FIRST;
    ds->x = nnt__malloc_array(cap, sizeof(float));
    chunk = nnt__malloc(CHUNK);
    if (!ds->x || !chunk) goto nomem;
    /* Convert chunk by chunk so the bytes never exist twice in full. */
    size_t pos = 0;
    while (pos < total) {
        if (pos == cap) {
            size_t ncap = cap > total / 2 ? total : 2 * cap;
            float *nx = nnt__realloc(ds->x, ncap * sizeof(float));
            if (!nx) goto nomem;
            ds->x = nx;
            cap = ncap;
        }
        size_t want = cap - pos < CHUNK ? cap - pos : CHUNK, got;
        if ((rc = idx_read(gz, path, chunk, want, &got, err)) < 0) goto done;
        for (size_t i = 0; i < got; i++) ds->x[pos + i] = (float)chunk[i];
        pos += got;
        if (got < want) {
            rc = nnt_fail(err, NNT_ERR_CORRUPT, "%s: truncated: expected %zu bytes of pixel data "
                          "(%u images of %ux%u), got %zu", path, total, (unsigned)dims[0],
                          (unsigned)dims[1], (unsigned)dims[2], pos);
            goto done;
        }
    }
    rc = NNT_OK;
    goto done;
nomem:
    rc = nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory for %zu x %zu pixels", path, ds->rows,
                  ds->features);
done:
    nnt__free(chunk);
    gzclose(gz);
    return rc;
}

static int load_labels(const char *path, nnt_dataset *ds, nnt_error *err)
{
    gzFile gz;
    int rc = idx_open(path, &gz, err);
    if (rc < 0) return rc;
    uint32_t dims[1];
    unsigned char *bytes = NULL;
    if ((rc = idx_header(gz, path, IDX_LABELS_MAGIC, "labels", dims, err)) < 0) goto done;
    if (dims[0] != ds->rows) {
        rc = nnt_fail(err, NNT_ERR_FORMAT, "%s: %u labels for %zu images: the counts must match",
                      path, (unsigned)dims[0], ds->rows);
        goto done;
    }
    bytes = nnt__malloc(ds->rows);
    ds->labels = nnt__malloc_array(ds->rows, sizeof(int32_t));
    if (!bytes || !ds->labels) {
        rc = nnt_fail(err, NNT_ERR_NOMEM, "%s: out of memory for %zu labels", path, ds->rows);
        goto done;
    }
    size_t got;
    if ((rc = idx_read(gz, path, bytes, ds->rows, &got, err)) < 0) goto done;
    if (got < ds->rows) {
        rc = nnt_fail(err, NNT_ERR_CORRUPT, "%s: truncated: expected %zu bytes of labels, got %zu",
                      path, ds->rows, got);
        goto done;
    }
    int maxl = 0;
    for (size_t i = 0; i < ds->rows; i++) {
        ds->labels[i] = bytes[i];
        if (bytes[i] > maxl) maxl = bytes[i];
    }
    rc = nnt__dataset_numbered_classes(ds, maxl + 1 < 2 ? 2 : maxl + 1, err);
    if (rc < 0) goto done;
    ds->task = NNT_TASK_CLASSIFY;
    rc = NNT_OK;
done:
    nnt__free(bytes);
    gzclose(gz);
    return rc;
}

int nnt_dataset_load_idx(const char *images_path, const char *labels_path, nnt_dataset **out,
                         nnt_error *err)
{
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_load_idx: out is NULL");
    *out = NULL;
    if (!images_path) return nnt_fail(err, NNT_ERR_ARG, "nnt_dataset_load_idx: no images path");
    nnt_dataset *ds = nnt__dataset_alloc();
    if (!ds) return nnt_fail(err, NNT_ERR_NOMEM, "out of memory for a data set");
    ds->kind = NNT_FEATURES_PIXELS;
    ds->task = NNT_TASK_AUTO;
    int rc = load_images(images_path, ds, err);
    if (rc >= 0) rc = nnt__dataset_default_feature_names(ds, "px", err);
    if (rc >= 0 && labels_path) {
        rc = load_labels(labels_path, ds, err);
        if (rc >= 0 && !(ds->target_name = nnt__strdup("label")))
            rc = nnt_fail(err, NNT_ERR_NOMEM, "out of memory");
    }
    if (rc < 0) {
        nnt_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return NNT_OK;
}
