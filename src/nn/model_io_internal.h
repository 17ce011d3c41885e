/* Internal to the model file code (model_io.c, model_io_schema.c): the
 * little-endian byte buffers the record is written to and read from, and
 * the parse state that the reading steps share. The format itself is
 * described at the top of model_io.c. */
#ifndef NNTUNE_NN_MODEL_IO_INTERNAL_H
#define NNTUNE_NN_MODEL_IO_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nn/model_internal.h"

/* Longest string (name, category) a model file may hold. */
#define MAX_STRING (1u << 20)

/* ---- Writing ------------------------------------------------------------ */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int failed; /* sticky: an allocation failed */
} wbuf;

static inline void wb_put(wbuf *b, const void *src, size_t n)
{
    if (b->failed || n == 0) return;
    if (n > SIZE_MAX - b->len) {
        b->failed = 1;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
        unsigned char *q = nnt__realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static inline void wb_u8(wbuf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    wb_put(b, &c, 1);
}

static inline void wb_u32(wbuf *b, uint32_t v)
{
    unsigned char c[4];
    for (int i = 0; i < 4; i++) c[i] = (unsigned char)(v >> (8 * i));
    wb_put(b, c, 4);
}

static inline void wb_u64(wbuf *b, uint64_t v)
{
    unsigned char c[8];
    for (int i = 0; i < 8; i++) c[i] = (unsigned char)(v >> (8 * i));
    wb_put(b, c, 8);
}

static inline void wb_f32(wbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    wb_u32(b, v);
}

static inline void wb_str(wbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    wb_u32(b, (uint32_t)n);
    wb_put(b, s, n);
}

/* A scaler record: kind, feature count (0 when unset), shifts, multipliers,
 * then the target's shift and multiplier. The head model and every ensemble
 * member write the same record. */
static inline void wb_scaler(wbuf *b, const nnt_scaler *sc)
{
    size_t sf = (sc->shift && sc->mul) ? sc->features : 0;
    wb_u32(b, (uint32_t)sc->kind);
    wb_u64(b, sf);
    for (size_t j = 0; j < sf; j++) wb_f32(b, sc->shift[j]);
    for (size_t j = 0; j < sf; j++) wb_f32(b, sc->mul[j]);
    wb_f32(b, sc->target_shift);
    wb_f32(b, sc->target_mul);
}

/* ---- Reading ------------------------------------------------------------ */

typedef struct rbuf {
    const unsigned char *p;
    size_t len, pos;
    int overrun; /* sticky: a read went past the end */
} rbuf;

static inline const unsigned char *rb_take(rbuf *r, size_t n)
{
    if (r->overrun || n > r->len - r->pos) {
        r->overrun = 1;
        return NULL;
    }
    const unsigned char *q = r->p + r->pos;
    r->pos += n;
    return q;
}

static inline uint32_t get_u32(const unsigned char *q)
{
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

static inline uint64_t get_u64(const unsigned char *q)
{
    return (uint64_t)get_u32(q) | (uint64_t)get_u32(q + 4) << 32;
}

static inline uint32_t rb_u32(rbuf *r)
{
    const unsigned char *q = rb_take(r, 4);
    return q ? get_u32(q) : 0;
}

static inline uint64_t rb_u64(rbuf *r)
{
    const unsigned char *q = rb_take(r, 8);
    return q ? get_u64(q) : 0;
}

static inline unsigned rb_u8(rbuf *r)
{
    const unsigned char *q = rb_take(r, 1);
    return q ? q[0] : 0;
}

static inline float rb_f32(rbuf *r)
{
    uint32_t v = rb_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* Parse state shared by the steps of nnt_model_load, so that one cleanup
 * path frees whatever was built. */
typedef struct load_state {
    const char *path;
    nnt_error *err;
    rbuf r;
    unsigned char *data;
    nnt_model_options opt;
    uint32_t task;
    uint32_t scaler_kind;
    uint64_t scaler_n;
    float *shift, *mul;
    uint32_t version;
    float target_shift, target_mul; /* version >= 2; else 0 (none) */
    uint64_t n_names;
    char **names;
    char *target;
    uint32_t n_classes;
    char **classes;
    nnt_schema schema;
    uint64_t n_params;
    size_t params_pos; /* offset of the weights in data */
} load_state;

static inline int corrupt(load_state *s, const char *what)
{
    return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': %s", s->path, what);
}

static inline int overrun(load_state *s, size_t at)
{
    return nnt_fail(s->err, NNT_ERR_CORRUPT,
                    "model file '%s': record runs past the end of the data at byte %zu", s->path,
                    at);
}

/* Reads a string into a fresh NUL-terminated copy. */
static inline int read_str(load_state *s, char **out, const char *what)
{
    size_t at = s->r.pos;
    uint32_t n = rb_u32(&s->r);
    if (s->r.overrun) return overrun(s, at);
    if (n > MAX_STRING || n > s->r.len - s->r.pos) {
        return nnt_fail(s->err, NNT_ERR_CORRUPT,
                        "model file '%s': %s at byte %zu has an impossible length %u", s->path,
                        what, at, n);
    }
    const unsigned char *q = rb_take(&s->r, n);
    if (memchr(q, 0, n))
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': %s at byte %zu contains a NUL byte",
                        s->path, what, at);
    char *c = nnt__malloc((size_t)n + 1);
    if (!c) return nnt_fail(s->err, NNT_ERR_NOMEM, "model file '%s': out of memory", s->path);
    memcpy(c, q, n);
    c[n] = '\0';
    *out = c;
    return NNT_OK;
}

static inline void free_strs(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) nnt__free(v[i]);
    nnt__free(v);
}

static inline int read_strs(load_state *s, uint64_t n, char ***out, const char *what)
{
    /* Each string needs at least its 4-byte length: a count the remaining
     * bytes cannot hold is damage, not a reason to allocate. */
    if (n > (s->r.len - s->r.pos) / 4)
        return nnt_fail(s->err, NNT_ERR_CORRUPT, "model file '%s': absurd %s count %llu", s->path,
                        what, (unsigned long long)n);
    if (n == 0) return NNT_OK;
    char **v = nnt__calloc((size_t)n, sizeof *v);
    if (!v) return nnt_fail(s->err, NNT_ERR_NOMEM, "model file '%s': out of memory", s->path);
    *out = v;
    for (uint64_t i = 0; i < n; i++) {
        int rc = read_str(s, &v[i], what);
        if (rc != NNT_OK) return rc;
    }
    return NNT_OK;
}

/* ---- Input schema (model_io_schema.c) ------------------------------------- */

/* Appends the input schema record (u64 n_columns, then per column: name, u8
 * categorical, f32 fill, u32 n_categories, categories). */
void nnt__mio_write_schema(wbuf *b, const nnt_schema *sch);
/* Reads the input schema record of a version >= 3 file into s->schema,
 * checking it against s->opt.inputs. On failure s->schema holds what was
 * read so far (load_state_free frees it). */
int nnt__mio_parse_schema(load_state *s);
/* Files before version 3: a numeric column for each feature name. */
int nnt__mio_schema_from_names(load_state *s);

/* ---- Ensemble members (model_io_ensemble.c) ------------------------------ */

/* Appends the members record of an ensemble (version 4): u32 n_members, then
 * per member: u32 scaler kind, u64 features, f32 shift[features], f32
 * mul[features], f32 target_shift, f32 target_mul, u64 n_params, f32
 * weights[n_params]. */
void nnt__mio_write_members(wbuf *b, const nnt_model *m);
/* Reads that record from s->r (at the end of the head's weights) and adds
 * the members to head; the record must end the data. */
int nnt__mio_parse_members(load_state *s, nnt_model *head);

#endif
