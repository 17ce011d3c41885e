/* Model files: a versioned little-endian binary record of a model's
 * architecture, metadata and weights, protected by a CRC-32.
 *
 * Layout (versions 3 and 4), all integers little-endian:
 *   "NNTM"            magic, 4 bytes
 *   u32 version       = 3 for a single model, 4 for an ensemble (versions 1
 *                     and 2 load too: version 1 has no target scaling,
 *                     versions 1-2 no input schema)
 *   u64 file_size     total bytes including the trailing CRC; lets a loader
 *                     tell truncation from corruption before parsing anything
 *   options           u32 inputs, u32 outputs, u32 n_hidden, u32 hidden[n_hidden],
 *                     u32 activation, u32 loss, f32 input_dropout,
 *                     f32 dropout[n_hidden], f32 leaky_slope, f32 elu_alpha
 *   u32 task
 *   scaler            u32 kind, u64 features, f32 shift[features], f32 mul[features]
 *   target scaling    f32 target_shift, f32 target_mul (version >= 2; see nnt_scaler)
 *   u64 n_features    then n_features strings (feature names)
 *   u8 has_target     then one string when 1 (target name)
 *   u32 n_classes     then n_classes strings (class names)
 *   input schema      (version >= 3) u64 n_columns, then per column: string
 *                     name, u8 categorical, f32 fill, u32 n_categories, then
 *                     n_categories strings; the features it gives must equal
 *                     inputs (or n_columns is 0)
 *   u64 n_params      then n_params f32 weights
 *   members           (version 4 only) an ensemble's other models, each its
 *                     scaler and weights: model_io_internal.h
 *   u32 crc32         zlib crc32 of every byte before it
 * A string is a u32 byte length followed by that many bytes of UTF-8 (no NUL).
 * Fields are written one by one, never as raw structs, so the format does not
 * depend on padding, enum sizes or the host's byte order. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nn/model_io_internal.h"
#include "nn/model_internal.h"
#include "nntune/file.h"

#define MODEL_MAGIC "NNTM"
#define MODEL_VERSION 4u
#define MODEL_VERSION_SINGLE 3u /* what a single model is written as */
#define MODEL_VERSION_MIN 1u /* the oldest version this build reads */
#define HEADER_BYTES 16u
/* Sanity bounds that reject absurd counts in a damaged or hostile file
 * before anything is allocated from them. */
#define MAX_WIDTH (1u << 24)
#define MAX_CLASSES (1u << 20)

/* ---- Writing ------------------------------------------------------------ */

static void le_u64_at(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* zlib's crc32 takes a uInt length; feed large buffers in pieces. */
static uint32_t crc_of(const unsigned char *p, size_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}

static int serialise(const nnt_model *m, wbuf *b)
{
    const nnt_model_options *o = &m->opt;
    wb_put(b, MODEL_MAGIC, 4);
    wb_u32(b, m->n_members > 0 ? MODEL_VERSION : MODEL_VERSION_SINGLE);
    wb_u64(b, 0); /* file size, patched below */

    wb_u32(b, (uint32_t)o->inputs);
    wb_u32(b, (uint32_t)o->outputs);
    wb_u32(b, (uint32_t)o->n_hidden);
    for (int i = 0; i < o->n_hidden; i++) wb_u32(b, (uint32_t)o->hidden[i]);
    wb_u32(b, (uint32_t)o->activation);
    wb_u32(b, (uint32_t)o->loss);
    wb_f32(b, o->input_dropout);
    for (int i = 0; i < o->n_hidden; i++) wb_f32(b, o->dropout[i]);
    wb_f32(b, o->leaky_slope);
    wb_f32(b, o->elu_alpha);

    wb_u32(b, (uint32_t)m->task);

    wb_scaler(b, &m->scaler);

    size_t nf = m->feature_names ? m->n_features : 0;
    wb_u64(b, nf);
    for (size_t j = 0; j < nf; j++) wb_str(b, m->feature_names[j]);

    wb_u8(b, m->target_name != NULL);
    if (m->target_name) wb_str(b, m->target_name);

    int nc = m->class_names ? m->n_classes : 0;
    wb_u32(b, (uint32_t)nc);
    for (int c = 0; c < nc; c++) wb_str(b, m->class_names[c]);

    nnt__mio_write_schema(b, &m->schema);

    wb_u64(b, m->n_params);
    for (size_t i = 0; i < m->n_params; i++) wb_f32(b, m->params[i]);
    if (m->n_members > 0) nnt__mio_write_members(b, m);

    if (b->failed) return NNT_ERR_NOMEM;
    le_u64_at(b->p + 8, (uint64_t)b->len + 4);
    uint32_t crc = crc_of(b->p, b->len);
    wb_u32(b, crc);
    return b->failed ? NNT_ERR_NOMEM : NNT_OK;
}

int nnt_model_save(const nnt_model *m, const char *path, nnt_error *err)
{
    if (!m || !path || !*path)
        return nnt_fail(err, NNT_ERR_ARG, "nnt_model_save: model and path are required");

    /* Refuse what the loader would reject, so every saved file loads. */
    size_t nf = m->feature_names ? m->n_features : 0;
    for (size_t j = 0; j < nf; j++)
        if (m->feature_names[j] && strlen(m->feature_names[j]) > MAX_STRING)
            return nnt_fail(err, NNT_ERR_ARG, "model file '%s': feature name %zu is longer than %u bytes",
                            path, j + 1, MAX_STRING);
    if (m->target_name && strlen(m->target_name) > MAX_STRING)
        return nnt_fail(err, NNT_ERR_ARG, "model file '%s': target name is longer than %u bytes", path,
                        MAX_STRING);
    if (m->class_names && (m->n_classes < 0 || (uint32_t)m->n_classes > MAX_CLASSES))
        return nnt_fail(err, NNT_ERR_ARG, "model file '%s': %d classes (at most %u)", path,
                        m->n_classes, MAX_CLASSES);
    for (int c = 0; m->class_names && c < m->n_classes; c++)
        if (m->class_names[c] && strlen(m->class_names[c]) > MAX_STRING)
            return nnt_fail(err, NNT_ERR_ARG, "model file '%s': class name %d is longer than %u bytes",
                            path, c + 1, MAX_STRING);

    wbuf b = {0};
    int rc = serialise(m, &b);
    if (rc != NNT_OK) {
        nnt__free(b.p);
        return nnt_fail(err, rc, "model file '%s': out of memory while serialising", path);
    }

    /* One writer for every output file (src/core/atomic_file.c): atomic for
     * regular files, in place for devices and FIFOs, links followed. */
    rc = nnt_write_file(path, b.p, b.len, err);
    nnt__free(b.p);
    return rc;
}

/* ---- Reading ------------------------------------------------------------ */

static int check_header(load_state *s, const unsigned char *h, size_t size)
{
    /* A file shorter than the magic is "truncated" only if what is there
     * could be the start of a model file. */
    size_t m = size < 4 ? size : 4;
    if (memcmp(h, MODEL_MAGIC, m) != 0) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "'%s' is not an nntune model file (bad magic)",
                        s->path);
    }
    if (size < 8)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s' is truncated at byte %zu", s->path,
                        size);
    uint32_t version = get_u32(h + 4);
    if (version < MODEL_VERSION_MIN || version > MODEL_VERSION) {
        return nnt_fail(s->err, NNT_ERR_UNSUPPORTED,
                        "model file '%s' has format version %u; this build of nntune reads versions "
                        "%u to %u",
                        s->path, version, MODEL_VERSION_MIN, MODEL_VERSION);
    }
    s->version = version;
    if (size < HEADER_BYTES)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s' is truncated at byte %zu", s->path,
                        size);
    uint64_t declared = get_u64(h + 8);
    if (declared > size) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s' is truncated at byte %zu (expected %llu bytes)", s->path,
                        size, (unsigned long long)declared);
    }
    if (declared < size) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s': checksum mismatch: file is corrupted (%zu bytes, header says %llu)",
                        s->path, size, (unsigned long long)declared);
    }
    if (size < HEADER_BYTES + 4)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s' is truncated at byte %zu", s->path,
                        size);
    return NNT_OK;
}

static int read_file(load_state *s)
{
    int fd = open(s->path, O_RDONLY);
    if (fd < 0)
        return nnt_fail(s->err, NNT_ERR_IO, "cannot open model file '%s': %s", s->path,
                        strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return nnt_fail(s->err, NNT_ERR_IO, "cannot read model file '%s': %s", s->path,
                        strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return nnt_fail(s->err, NNT_ERR_IO, "cannot read model file '%s': not a regular file",
                        s->path);
    }
    size_t size = (size_t)st.st_size;

    unsigned char h[HEADER_BYTES];
    size_t got = 0;
    while (got < sizeof h && got < size) {
        ssize_t n = read(fd, h + got, sizeof h - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got < (size < sizeof h ? size : sizeof h)) {
        close(fd);
        return nnt_fail(s->err, NNT_ERR_IO, "cannot read model file '%s': %s", s->path,
                        strerror(errno));
    }
    int rc = check_header(s, h, size);
    if (rc != NNT_OK) {
        close(fd);
        return rc;
    }

    /* The size is now known to match the header, so this allocation is
     * bounded by a file that really exists. */
    s->data = nnt__malloc(size);
    if (!s->data) {
        close(fd);
        return nnt_fail(s->err, NNT_ERR_NOMEM, "model file '%s': out of memory (%zu bytes)",
                        s->path, size);
    }
    memcpy(s->data, h, HEADER_BYTES);
    got = HEADER_BYTES;
    while (got < size) {
        ssize_t n = read(fd, s->data + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return nnt_fail(s->err, NNT_ERR_IO, "cannot read model file '%s': %s", s->path,
                            strerror(e));
        }
        if (n == 0) break; /* shrank while we read */
        got += (size_t)n;
    }
    close(fd);
    if (got < size)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s' is truncated at byte %zu", s->path,
                        got);

    uint32_t stored = get_u32(s->data + size - 4);
    if (crc_of(s->data, size - 4) != stored)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': checksum mismatch: file is corrupted",
                        s->path);
    s->r.p = s->data;
    s->r.len = size - 4; /* the CRC is not part of the record */
    s->r.pos = HEADER_BYTES;
    return NNT_OK;
}

static int parse_options(load_state *s)
{
    rbuf *r = &s->r;
    nnt_model_options *o = &s->opt;
    *o = nnt_model_options_default();
    size_t at = r->pos;
    uint32_t inputs = rb_u32(r), outputs = rb_u32(r), n_hidden = rb_u32(r);
    if (r->overrun) return overrun(s, at);
    if (inputs < 1 || inputs > MAX_WIDTH || outputs < 1 || outputs > MAX_WIDTH) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s': absurd layer sizes (inputs %u, outputs %u)", s->path,
                        inputs, outputs);
    }
    if (n_hidden > NNT_MAX_HIDDEN) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s': %u hidden layers (at most %d supported)", s->path,
                        n_hidden, NNT_MAX_HIDDEN);
    }
    o->inputs = (int)inputs;
    o->outputs = (int)outputs;
    o->n_hidden = (int)n_hidden;
    for (uint32_t i = 0; i < n_hidden; i++) {
        uint32_t w = rb_u32(r);
        if (!r->overrun && (w < 1 || w > MAX_WIDTH))
            return nnt_fail(s->err, NNT_ERR_CORRUPT,
                            "model file '%s': hidden layer %u has an absurd width %u", s->path,
                            i + 1, w);
        o->hidden[i] = (int)w;
    }
    uint32_t act = rb_u32(r), loss = rb_u32(r);
    if (r->overrun) return overrun(s, at);
    if (act > NNT_ACT_SOFTMAX) return corrupt(s, "unknown hidden activation");
    if (loss > NNT_LOSS_RECONSTRUCTION_CE) return corrupt(s, "unknown loss");
    o->activation = (nnt_activation)act;
    o->loss = (nnt_loss)loss;
    o->input_dropout = rb_f32(r);
    for (uint32_t i = 0; i < n_hidden; i++) o->dropout[i] = rb_f32(r);
    o->leaky_slope = rb_f32(r);
    o->elu_alpha = rb_f32(r);
    if (r->overrun) return overrun(s, at);
    return NNT_OK;
}

static int parse_metadata(load_state *s)
{
    rbuf *r = &s->r;
    size_t at = r->pos;
    s->task = rb_u32(r);
    s->scaler_kind = rb_u32(r);
    s->scaler_n = rb_u64(r);
    if (r->overrun) return overrun(s, at);
    if (s->task > NNT_TASK_AUTOENCODE) return corrupt(s, "unknown task");
    if (s->scaler_kind > NNT_SCALE_PIXELS) return corrupt(s, "unknown scaling kind");
    if (s->scaler_n != 0 && s->scaler_n != (uint64_t)s->opt.inputs) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s': scaler has %llu features but the model has %d inputs",
                        s->path, (unsigned long long)s->scaler_n, s->opt.inputs);
    }
    if (s->scaler_n) {
        size_t n = (size_t)s->scaler_n;
        if (n > (r->len - r->pos) / 8) return overrun(s, r->pos);
        s->shift = nnt__malloc_array(n, sizeof(float));
        s->mul = nnt__malloc_array(n, sizeof(float));
        if (!s->shift || !s->mul)
            return nnt_fail(s->err, NNT_ERR_NOMEM, "model file '%s': out of memory", s->path);
        for (size_t j = 0; j < n; j++) s->shift[j] = rb_f32(r);
        for (size_t j = 0; j < n; j++) s->mul[j] = rb_f32(r);
    }
    if (s->version >= 2) {
        at = r->pos;
        s->target_shift = rb_f32(r);
        s->target_mul = rb_f32(r);
        if (r->overrun) return overrun(s, at);
        if (!isfinite(s->target_shift) || !isfinite(s->target_mul) || s->target_mul < 0)
            return corrupt(s, "invalid target scaling");
    }

    at = r->pos;
    s->n_names = rb_u64(r);
    if (r->overrun) return overrun(s, at);
    if (s->n_names != 0 && s->n_names != (uint64_t)s->opt.inputs) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s': %llu feature names but the model has %d inputs", s->path,
                        (unsigned long long)s->n_names, s->opt.inputs);
    }
    int rc = read_strs(s, s->n_names, &s->names, "feature name");
    if (rc != NNT_OK) return rc;

    at = r->pos;
    unsigned has_target = rb_u8(r);
    if (r->overrun) return overrun(s, at);
    if (has_target > 1) return corrupt(s, "bad target-name flag");
    if (has_target) {
        rc = read_str(s, &s->target, "target name");
        if (rc != NNT_OK) return rc;
    }

    at = r->pos;
    s->n_classes = rb_u32(r);
    if (r->overrun) return overrun(s, at);
    if (s->n_classes > MAX_CLASSES) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': absurd class count %u", s->path,
                        s->n_classes);
    }
    if (s->n_classes) {
        /* Classifiers index class names by output unit, so the counts must
         * agree; other tasks may carry the training set's classes unused. */
        int ok;
        switch (s->task) {
        case NNT_TASK_CLASSIFY: ok = s->n_classes == (uint32_t)s->opt.outputs; break;
        case NNT_TASK_BINARY: ok = s->n_classes == 2 && s->opt.outputs == 1; break;
        case NNT_TASK_AUTO: ok = s->n_classes == (uint32_t)s->opt.outputs ||
                                 (s->n_classes == 2 && s->opt.outputs == 1);
            break;
        default: ok = 1;
        }
        if (!ok) {
            return nnt_fail(s->err, NNT_ERR_CORRUPT,
                            "model file '%s': %u class names do not fit %d outputs for this task",
                            s->path, s->n_classes, s->opt.outputs);
        }
    }
    rc = read_strs(s, s->n_classes, &s->classes, "class name");
    if (rc != NNT_OK) return rc;
    rc = s->version >= 3 ? nnt__mio_parse_schema(s) : nnt__mio_schema_from_names(s);
    if (rc != NNT_OK) return rc;

    at = r->pos;
    s->n_params = rb_u64(r);
    if (r->overrun) return overrun(s, at);
    s->params_pos = r->pos;
    /* Version 4 has the ensemble's members after the weights. */
    if (s->n_params > (r->len - r->pos) / 4 ||
        (s->version < 4 && (r->len - r->pos) != s->n_params * 4)) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s': weight count %llu does not match the %zu bytes of weights",
                        s->path, (unsigned long long)s->n_params, r->len - r->pos);
    }
    return NNT_OK;
}

/* Weights and biases the parsed architecture needs. Widths are at most
 * MAX_WIDTH (2^24), so no product or sum here overflows 64 bits. */
static uint64_t params_needed(const nnt_model_options *o)
{
    uint64_t n = 0, in = (uint64_t)o->inputs;
    for (int l = 0; l <= o->n_hidden; l++) {
        uint64_t out = (uint64_t)(l < o->n_hidden ? o->hidden[l] : o->outputs);
        n += in * out + out;
        in = out;
    }
    return n;
}

static void load_state_free(load_state *s)
{
    nnt__free(s->data);
    nnt__free(s->shift);
    nnt__free(s->mul);
    free_strs(s->names, (size_t)s->n_names);
    nnt__free(s->target);
    free_strs(s->classes, s->n_classes);
    nnt_schema_free(&s->schema);
}

int nnt_model_load(const char *path, nnt_model **out, nnt_error *err)
{
    if (out) *out = NULL;
    if (!path || !out) return nnt_fail(err, NNT_ERR_ARG, "nnt_model_load: path and out are required");

    load_state s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.err = err;
    nnt_model *m = NULL;

    int rc = read_file(&s);
    if (rc == NNT_OK) rc = parse_options(&s);
    if (rc == NNT_OK) rc = parse_metadata(&s);
    if (rc != NNT_OK) goto fail;
    /* Checked before the model is built: widths from a damaged file must not
     * make nnt_model_create allocate (and initialise) gigabytes. */
    if (params_needed(&s.opt) != s.n_params) {
        rc = nnt_fail(err, NNT_ERR_CORRUPT,
                      "model file '%s': %llu weights stored but the architecture needs %llu", path,
                      (unsigned long long)s.n_params, (unsigned long long)params_needed(&s.opt));
        goto fail;
    }

    nnt_error cerr;
    nnt_error_clear(&cerr);
    rc = nnt_model_create(&s.opt, 0, &m, &cerr);
    if (rc != NNT_OK) {
        rc = nnt_fail(err, rc == NNT_ERR_NOMEM ? rc : NNT_ERR_CORRUPT,
                      "model file '%s': invalid architecture: %s", path, cerr.message);
        goto fail;
    }
    if (m->n_params != s.n_params) {
        rc = nnt_fail(err, NNT_ERR_CORRUPT,
                      "model file '%s': %llu weights stored but the architecture needs %zu", path,
                      (unsigned long long)s.n_params, m->n_params);
        goto fail;
    }
    const unsigned char *q = s.data + s.params_pos;
    for (size_t i = 0; i < m->n_params; i++) {
        uint32_t v = get_u32(q + 4 * i);
        memcpy(&m->params[i], &v, 4);
    }

    /* Hand the parsed metadata over to the model (it frees it from here on). */
    nnt_scaler_free(&m->scaler);
    m->scaler.kind = (nnt_scaling)s.scaler_kind;
    m->scaler.features = (size_t)s.scaler_n;
    m->scaler.shift = s.shift;
    m->scaler.mul = s.mul;
    m->scaler.target_shift = s.target_shift;
    m->scaler.target_mul = s.target_mul;
    s.shift = s.mul = NULL;
    m->task = (nnt_task)s.task;
    m->n_features = (size_t)s.n_names;
    m->feature_names = s.names;
    s.names = NULL;
    m->target_name = s.target;
    s.target = NULL;
    m->n_classes = (int)s.n_classes;
    m->class_names = s.classes;
    s.classes = NULL;
    m->schema = s.schema;
    memset(&s.schema, 0, sizeof s.schema);
    if (s.version >= 4) {
        s.r.pos = s.params_pos + 4 * m->n_params;
        rc = nnt__mio_parse_members(&s, m);
        if (rc != NNT_OK) goto fail;
    }

    load_state_free(&s);
    *out = m;
    return NNT_OK;

fail:
    nnt_model_free(m);
    load_state_free(&s);
    return rc;
}
