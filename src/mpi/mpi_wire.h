/* The messages between a worker rank and rank 0 (the coordinator), and a
 * small byte buffer to pack them. Internal to src/mpi/.
 *
 * Worker -> rank 0 (tag = kind): every message starts with the sending
 * thread's local index (int32). ASK, REPORT and TELL carry the seam's
 * messages (study_internal.h); BEAT says the rank is alive while a long epoch
 * runs; DONE says all its threads have finished.
 * Rank 0 -> worker: the answer to an ASK or a REPORT, tag MPI_TAG_REPLY +
 * local index, so that each thread receives its own. After DONE a worker
 * rank waits for a refit task or END (mpi_refit.c).
 * Structs travel as their bytes (the same build on every rank). Deadlines
 * travel as seconds left, since monotonic clocks differ between machines. */
#ifndef NNT_MPI_WIRE_H
#define NNT_MPI_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

enum {
    MPI_TAG_ASK = 1,
    MPI_TAG_REPORT = 2,
    MPI_TAG_TELL = 3,
    MPI_TAG_BEAT = 4,
    MPI_TAG_DONE = 5,
    MPI_TAG_SETUP = 6,
    /* Once the trials are over (mpi_refit.c), rank 0 -> a worker: REFIT (a
     * refit task), REFIT_STOP (the study was stopped), END (no more work);
     * the worker -> rank 0: REFIT_DONE (its result and the model's blob). */
    MPI_TAG_REFIT = 7,
    MPI_TAG_REFIT_DONE = 8,
    MPI_TAG_REFIT_STOP = 9,
    MPI_TAG_END = 10,
    MPI_TAG_REPLY = 100
};

typedef struct mbuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} mbuf;

static inline void mb_put(mbuf *b, const void *src, size_t n)
{
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n) nc *= 2;
        unsigned char *q = nnt__realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}

static inline void mb_i32(mbuf *b, int32_t v) { mb_put(b, &v, sizeof v); }
static inline void mb_u64(mbuf *b, uint64_t v) { mb_put(b, &v, sizeof v); }
static inline void mb_f64(mbuf *b, double v) { mb_put(b, &v, sizeof v); }
static inline void mb_blob(mbuf *b, const void *p, size_t n)
{
    mb_u64(b, (uint64_t)n);
    mb_put(b, p, n);
}

/* Reading: a cursor that turns short input into bad = 1 and zeroes. */
typedef struct mread {
    const unsigned char *p;
    size_t n, at;
    int bad;
} mread;

static inline void mr_get(mread *r, void *dst, size_t n)
{
    if (r->bad || r->n - r->at < n) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    if (n) memcpy(dst, r->p + r->at, n);
    r->at += n;
}

static inline int32_t mr_i32(mread *r) { int32_t v; mr_get(r, &v, sizeof v); return v; }
static inline uint64_t mr_u64(mread *r) { uint64_t v; mr_get(r, &v, sizeof v); return v; }
static inline double mr_f64(mread *r) { double v; mr_get(r, &v, sizeof v); return v; }
/* A pointer into the message (no copy), *n its length; NULL when short. */
static inline const unsigned char *mr_blob(mread *r, size_t *n)
{
    uint64_t l = mr_u64(r);
    if (r->bad || r->n - r->at < l) {
        r->bad = 1;
        *n = 0;
        return NULL;
    }
    const unsigned char *q = r->p + r->at;
    r->at += (size_t)l;
    *n = (size_t)l;
    return q;
}

/* A model file's bytes (the model as nnt_model_save writes it) and back,
 * through a scratch file in dir (mpi_setup.c). */
struct nnt_model;
int nnt__mpi_model_to_blob(const struct nnt_model *m, const char *dir, unsigned char **out, size_t *n);
struct nnt_model *nnt__mpi_model_from_blob(const unsigned char *p, size_t n, const char *dir);
/* A fresh scratch folder under $TMPDIR (or /tmp); malloc'd path, NULL on failure. */
char *nnt__mpi_scratch_dir(void);
void nnt__mpi_scratch_remove(char *dir);

#endif
