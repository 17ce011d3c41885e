/* Grid search: the full product of each parameter's grid values, where a
 * conditional parameter expands only in the cells where it is active. Cells
 * come in a fixed order: parameters in dependency order, the first one
 * varying slowest. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "tune/sampler_internal.h"
#include "tune/space_internal.h"

/* More grid values than this for one parameter means a forgotten "points". */
#define GRID_MAX_VALUES 1000000L

typedef struct grid_ctx {
    int n;
    int *order;         /* dependency order */
    long *nv;           /* grid values per parameter */
    double **vals;      /* vals[i][k], ascending */
    uint8_t *has_child; /* some parameter's condition reads this one */
} grid_ctx;

static void grid_free(void *vctx)
{
    grid_ctx *g = vctx;
    if (!g) return;
    if (g->vals)
        for (int i = 0; i < g->n; i++) nnt__free(g->vals[i]);
    nnt__free(g->vals);
    nnt__free(g->nv);
    nnt__free(g->order);
    nnt__free(g->has_child);
    nnt__free(g);
}

static int grid_build(const nnt_space *s, grid_ctx **out, nnt_error *err)
{
    *out = NULL;
    grid_ctx *g = nnt__calloc(1, sizeof *g);
    if (!g) return nnt_fail(err, NNT_ERR_NOMEM, "grid: out of memory");
    g->n = s->n;
    size_t n1 = (size_t)s->n + 1;
    g->order = nnt__malloc_array(n1, sizeof *g->order);
    g->nv = nnt__calloc(n1, sizeof *g->nv);
    g->vals = nnt__calloc(n1, sizeof *g->vals);
    g->has_child = nnt__calloc(n1, 1);
    if (!g->order || !g->nv || !g->vals || !g->has_child) {
        grid_free(g);
        return nnt_fail(err, NNT_ERR_NOMEM, "grid: out of memory");
    }
    int rc = nnt__space_order(s, g->order, err);
    if (rc != NNT_OK) {
        grid_free(g);
        return rc;
    }
    for (int i = 0; i < s->n; i++) {
        long c = nnt__space_grid_values(&s->p[i], NULL, GRID_MAX_VALUES);
        if (c < 0) {
            grid_free(g);
            return nnt_fail(err, NNT_ERR_ARG,
                            "grid: space.%s has more than %ld grid values; give it \"points\"",
                            s->p[i].name, GRID_MAX_VALUES);
        }
        g->vals[i] = nnt__malloc_array((size_t)c, sizeof(double));
        if (!g->vals[i]) {
            grid_free(g);
            return nnt_fail(err, NNT_ERR_NOMEM, "grid: out of memory");
        }
        g->nv[i] = nnt__space_grid_values(&s->p[i], g->vals[i], GRID_MAX_VALUES);
        int j = nnt__space_parent(s, i);
        if (j >= 0) g->has_child[j] = 1;
    }
    *out = g;
    return NNT_OK;
}

/* ==== Counting ================================================================= */

static size_t sat_add(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }
static size_t sat_mul(size_t a, size_t b)
{
    if (a == 0 || b == 0) return 0;
    return a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/* Branches only on the values of parameters that others depend on; the
 * rest multiply. */
static size_t count_from(const nnt_space *s, const grid_ctx *g, int pos, double *x,
                         uint8_t *active)
{
    if (pos == g->n) return 1;
    int i = g->order[pos];
    int j = nnt__space_parent(s, i);
    int on = j < 0 || (active[j] && nnt__space_cond_holds(s, i, j, x));
    active[i] = (uint8_t)on;
    if (!on) {
        x[i] = NAN;
        return count_from(s, g, pos + 1, x, active);
    }
    if (!g->has_child[i]) {
        x[i] = g->vals[i][0];
        return sat_mul((size_t)g->nv[i], count_from(s, g, pos + 1, x, active));
    }
    size_t total = 0;
    for (long k = 0; k < g->nv[i] && total != SIZE_MAX; k++) {
        x[i] = g->vals[i][k];
        total = sat_add(total, count_from(s, g, pos + 1, x, active));
    }
    return total;
}

size_t nnt_grid_size(const nnt_space *space)
{
    if (!space) return 0;
    grid_ctx *g;
    if (grid_build(space, &g, NULL) != NNT_OK) return 0;
    size_t n1 = (size_t)space->n + 1;
    double *x = nnt__malloc_array(n1, sizeof *x);
    uint8_t *active = nnt__calloc(n1, 1);
    size_t total = 0;
    if (x && active) total = count_from(space, g, 0, x, active);
    nnt__free(x);
    nnt__free(active);
    grid_free(g);
    return total == SIZE_MAX ? 0 : total;
}

/* ==== Walking the cells ========================================================= */

/* Sets positions pos.. to their first cell given the earlier ones. */
static void first_from(const nnt_space *s, const grid_ctx *g, int pos, long *idx, double *x,
                       uint8_t *active)
{
    for (; pos < g->n; pos++) {
        int i = g->order[pos];
        int j = nnt__space_parent(s, i);
        int on = j < 0 || (active[j] && nnt__space_cond_holds(s, i, j, x));
        active[i] = (uint8_t)on;
        idx[pos] = 0;
        x[i] = on ? g->vals[i][0] : NAN;
    }
}

/* Advances to the next cell like an odometer; 0 when past the last one. */
static int next_cell(const nnt_space *s, const grid_ctx *g, long *idx, double *x,
                     uint8_t *active)
{
    for (int pos = g->n - 1; pos >= 0; pos--) {
        int i = g->order[pos];
        if (!active[i] || idx[pos] + 1 >= g->nv[i]) continue;
        idx[pos]++;
        x[i] = g->vals[i][idx[pos]];
        first_from(s, g, pos + 1, idx, x, active);
        return 1;
    }
    return 0;
}

/* ==== Cells already taken ========================================================= */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t cell_hash(int n, const double *x, const uint8_t *active)
{
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < n; i++) {
        uint64_t bits = 0x5bd1e995u;
        if (active[i]) {
            double v = x[i] == 0 ? 0.0 : x[i]; /* -0 and 0 are the same cell */
            memcpy(&bits, &v, sizeof bits);
        }
        h = mix64(h ^ bits) + (uint64_t)i;
    }
    return h;
}

static int cell_equal(int n, const double *x1, const uint8_t *a1, const double *x2,
                      const uint8_t *a2)
{
    for (int i = 0; i < n; i++) {
        if (!a1[i] != !a2[i]) return 0;
        if (a1[i] && x1[i] != x2[i]) return 0;
    }
    return 1;
}

static int counts_as_taken(const nnt_trial_view *t)
{
    /* Every state counts, failures included (a failing cell would fail
     * again), except trials the study marks as interrupted. */
    return t->x && t->active && !t->retry;
}

static int grid_propose(void *vctx, const nnt_space *space, const nnt_history *hist, int number,
                        uint64_t seed, double *x, uint8_t *active, nnt_error *err)
{
    (void)number;
    (void)seed;
    grid_ctx *g = vctx;
    if (!space || space->n != g->n)
        return nnt_fail(err, NNT_ERR_ARG, "grid: the space does not match the sampler's");
    int n = g->n, nh = hist ? hist->n : 0;
    size_t cap = 16;
    while (cap < 2 * (size_t)nh + 2) cap *= 2;
    int *table = nnt__calloc(cap, sizeof *table);
    long *idx = nnt__calloc((size_t)n + 1, sizeof *idx);
    if (!table || !idx) {
        nnt__free(table);
        nnt__free(idx);
        return nnt_fail(err, NNT_ERR_NOMEM, "grid: out of memory");
    }
    for (int t = 0; t < nh; t++) {
        const nnt_trial_view *v = &hist->trials[t];
        if (!counts_as_taken(v)) continue;
        size_t h = (size_t)cell_hash(n, v->x, v->active) & (cap - 1);
        while (table[h]) {
            const nnt_trial_view *o = &hist->trials[table[h] - 1];
            if (cell_equal(n, o->x, o->active, v->x, v->active)) break;
            h = (h + 1) & (cap - 1);
        }
        if (!table[h]) table[h] = t + 1;
    }
    first_from(space, g, 0, idx, x, active);
    int rc = NNT_OK;
    size_t visited = 0;
    for (;;) {
        size_t h = (size_t)cell_hash(n, x, active) & (cap - 1);
        int taken = 0;
        while (table[h]) {
            const nnt_trial_view *o = &hist->trials[table[h] - 1];
            if (cell_equal(n, o->x, o->active, x, active)) {
                taken = 1;
                break;
            }
            h = (h + 1) & (cap - 1);
        }
        visited++;
        if (!taken) break;
        if (!next_cell(space, g, idx, x, active)) {
            rc = nnt_fail(err, NNT_ERR_NOT_FOUND, "grid: all %zu cells have been taken", visited);
            break;
        }
    }
    nnt__free(table);
    nnt__free(idx);
    return rc;
}

int nnt__sampler_grid_create(const nnt_space *space, nnt_sampler *out, nnt_error *err)
{
    grid_ctx *g;
    int rc = grid_build(space, &g, err);
    if (rc != NNT_OK) return rc;
    out->name = "grid";
    out->ctx = g;
    out->propose = grid_propose;
    out->free_ctx = grid_free;
    return NNT_OK;
}
