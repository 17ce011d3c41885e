/* Pareto fronts: dominance, the non-dominated set, non-dominated sorting,
 * display order and the two-objective hypervolume. All quadratic in the
 * number of points, which is fine for studies of a few thousand trials. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/analysis.h"

/* Objective j of a point, turned so that lower is better. */
static double lo(const double *p, int j, const int *maximize)
{
    return maximize && maximize[j] ? -p[j] : p[j];
}

static int has_nan(const double *p, int k)
{
    for (int j = 0; j < k; j++)
        if (isnan(p[j])) return 1;
    return 0;
}

int nnt_dominates(const double *a, const double *b, int k, const int *maximize)
{
    if (has_nan(a, k) || has_nan(b, k)) return 0;
    int better = 0;
    for (int j = 0; j < k; j++) {
        double x = lo(a, j, maximize), y = lo(b, j, maximize);
        if (x > y) return 0;
        if (x < y) better = 1;
    }
    return better;
}

int nnt_pareto_ranks(const double *points, int n, int k, const int *maximize, int *rank,
                     nnt_error *err)
{
    if (n < 0 || k < 1 || (n > 0 && (!points || !rank)))
        return nnt_fail(err, NNT_ERR_ARG, "pareto: bad arguments (n %d, k %d)", n, k);
    int left = 0;
    for (int i = 0; i < n; i++) {
        rank[i] = has_nan(points + (size_t)i * k, k) ? -1 : -2; /* -2: not ranked yet */
        left += rank[i] == -2;
    }
    uint8_t *in_front = nnt__calloc((size_t)n + 1, 1);
    if (!in_front) return nnt_fail(err, NNT_ERR_NOMEM, "pareto: out of memory");
    int fronts = 0;
    while (left > 0) {
        /* The front of what remains: not dominated by any point still unranked. */
        for (int i = 0; i < n; i++) {
            in_front[i] = 0;
            if (rank[i] != -2) continue;
            int dominated = 0;
            for (int j = 0; j < n && !dominated; j++)
                dominated = j != i && rank[j] == -2 &&
                            nnt_dominates(points + (size_t)j * k, points + (size_t)i * k, k,
                                          maximize);
            in_front[i] = !dominated;
        }
        for (int i = 0; i < n; i++)
            if (in_front[i]) {
                rank[i] = fronts;
                left--;
            }
        fronts++;
    }
    nnt__free(in_front);
    return fronts;
}

int nnt_pareto_front(const double *points, int n, int k, const int *maximize, int *out_idx,
                     nnt_error *err)
{
    if (n < 0 || k < 1 || (n > 0 && (!points || !out_idx)))
        return nnt_fail(err, NNT_ERR_ARG, "pareto: bad arguments (n %d, k %d)", n, k);
    int m = 0;
    for (int i = 0; i < n; i++) {
        const double *p = points + (size_t)i * k;
        if (has_nan(p, k)) continue;
        int dominated = 0;
        for (int j = 0; j < n && !dominated; j++)
            dominated = j != i && nnt_dominates(points + (size_t)j * k, p, k, maximize);
        if (!dominated) out_idx[m++] = i;
    }
    return m;
}

/* ==== Display order ============================================================== */

typedef struct sort_key {
    const double *points;
    int k, by;
    const int *maximize;
} sort_key;

static int compare(const sort_key *s, int a, int b)
{
    const double *pa = s->points + (size_t)a * s->k, *pb = s->points + (size_t)b * s->k;
    for (int t = -1; t < s->k; t++) {
        int j = t < 0 ? s->by : t;
        if (t == s->by) continue;
        double x = lo(pa, j, s->maximize), y = lo(pb, j, s->maximize);
        /* NaN last */
        if (isnan(x) || isnan(y)) {
            if (isnan(x) != isnan(y)) return isnan(x) ? 1 : -1;
            continue;
        }
        if (x != y) return x < y ? -1 : 1;
    }
    return (a > b) - (a < b);
}

void nnt_pareto_sort(const double *points, int k, const int *maximize, int by, int *idx, int m)
{
    if (!points || !idx || k < 1 || by < 0 || by >= k) return;
    sort_key s = {points, k, by, maximize};
    /* Insertion sort: fronts are small and qsort has no context pointer. */
    for (int i = 1; i < m; i++) {
        int v = idx[i], j = i - 1;
        while (j >= 0 && compare(&s, idx[j], v) > 0) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = v;
    }
}

/* ==== Hypervolume ================================================================ */

typedef struct pt2 {
    double x, y;
} pt2;

static int cmp_pt2(const void *a, const void *b)
{
    const pt2 *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

double nnt_hypervolume_2d(const double *points, int n, const int *maximize, const double ref[2])
{
    if (n < 0 || (n > 0 && !points) || !ref || isnan(ref[0]) || isnan(ref[1])) return NAN;
    pt2 *p = nnt__malloc_array((size_t)n + 1, sizeof *p);
    if (!p) return NAN;
    double r0 = lo(ref, 0, maximize), r1 = lo(ref, 1, maximize);
    int m = 0;
    for (int i = 0; i < n; i++) {
        double x = lo(points + 2 * (size_t)i, 0, maximize);
        double y = lo(points + 2 * (size_t)i, 1, maximize);
        if (x < r0 && y < r1) p[m++] = (pt2){x, y};
    }
    qsort(p, (size_t)m, sizeof *p, cmp_pt2);
    /* Sweep in x: each point that improves y adds the slab under the
     * staircase from its x to the reference. */
    double hv = 0, prev_y = r1;
    for (int i = 0; i < m; i++) {
        if (p[i].y >= prev_y) continue;
        hv += (r0 - p[i].x) * (prev_y - p[i].y);
        prev_y = p[i].y;
    }
    nnt__free(p);
    return hv;
}
