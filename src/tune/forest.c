/* Random forest regression: each tree is grown on a bootstrap sample, trying
 * mtry random features per node and the split that most reduces the sum of
 * squared errors, down to max_depth or min_leaf rows. Trees are flat node
 * arrays. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nntune/common.h"
#include "nntune/rng.h"
#include "tune/forest.h"

typedef struct rf_node {
    int feature; /* -1: leaf */
    double threshold; /* go left when x[feature] <= threshold */
    int left, right;
    double value; /* leaf: mean target */
} rf_node;

typedef struct rf_tree {
    rf_node *nodes;
    int n, cap;
} rf_tree;

struct rf_forest {
    int n_trees, d;
    rf_tree *trees;
};

typedef struct pair {
    double x, y;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *p = a, *q = b;
    return (p->x > q->x) - (p->x < q->x);
}

/* Scratch shared by the nodes of one fit. */
typedef struct grow_ctx {
    const double *X, *y;
    int d;
    const rf_options *o;
    nnt_rng rng;
    pair *pairs;   /* n */
    int *features; /* d */
} grow_ctx;

static int push_node(rf_tree *t)
{
    if (t->n == t->cap) {
        int nc = t->cap ? 2 * t->cap : 64;
        rf_node *nn = nnt__realloc(t->nodes, (size_t)nc * sizeof *nn);
        if (!nn) return -1;
        t->nodes = nn;
        t->cap = nc;
    }
    rf_node *nd = &t->nodes[t->n];
    memset(nd, 0, sizeof *nd);
    nd->feature = -1;
    return t->n++;
}

/* Grows the subtree of rows idx[0..m-1]; returns its node index or -1. */
static int grow(grow_ctx *g, rf_tree *t, int *idx, int m, int depth)
{
    int me = push_node(t);
    if (me < 0) return -1;
    double sum = 0, sumsq = 0;
    for (int i = 0; i < m; i++) {
        double v = g->y[idx[i]];
        sum += v;
        sumsq += v * v;
    }
    double mean = sum / m;
    t->nodes[me].value = mean;
    double sse = sumsq - sum * mean;
    if (depth >= g->o->max_depth || m < 2 * g->o->min_leaf || sse <= 1e-12 * (sumsq + 1e-300))
        return me;

    /* mtry distinct features: a partial Fisher-Yates shuffle. */
    int d = g->d, mtry = g->o->mtry > 0 && g->o->mtry < d ? g->o->mtry : (d + 1) / 2;
    for (int f = 0; f < d; f++) g->features[f] = f;
    int best_f = -1;
    double best_gain = 1e-12 * (sse + 1e-300), best_thr = 0;
    for (int k = 0; k < mtry; k++) {
        int j = k + (int)nnt_rng_below(&g->rng, (uint64_t)(d - k));
        int f = g->features[j];
        g->features[j] = g->features[k];
        g->features[k] = f;
        for (int i = 0; i < m; i++) {
            g->pairs[i].x = g->X[(size_t)idx[i] * d + f];
            g->pairs[i].y = g->y[idx[i]];
        }
        qsort(g->pairs, (size_t)m, sizeof *g->pairs, cmp_pair);
        double ls = 0, lss = 0;
        for (int i = 0; i + 1 < m; i++) {
            double v = g->pairs[i].y;
            ls += v;
            lss += v * v;
            int nl = i + 1, nr = m - nl;
            if (nl < g->o->min_leaf || nr < g->o->min_leaf) continue;
            if (g->pairs[i].x == g->pairs[i + 1].x) continue;
            double rs = sum - ls, rss = sumsq - lss;
            double child = (lss - ls * ls / nl) + (rss - rs * rs / nr);
            double gain = sse - child;
            if (gain > best_gain) {
                best_gain = gain;
                best_f = f;
                best_thr = 0.5 * (g->pairs[i].x + g->pairs[i + 1].x);
            }
        }
    }
    if (best_f < 0) return me;
    /* Partition idx in place: left rows first. */
    int nl = 0;
    for (int i = 0; i < m; i++)
        if (g->X[(size_t)idx[i] * d + best_f] <= best_thr) {
            int tmp = idx[nl];
            idx[nl] = idx[i];
            idx[i] = tmp;
            nl++;
        }
    if (nl == 0 || nl == m) return me;
    int l = grow(g, t, idx, nl, depth + 1);
    if (l < 0) return -1;
    int r = grow(g, t, idx + nl, m - nl, depth + 1);
    if (r < 0) return -1;
    t->nodes[me].feature = best_f;
    t->nodes[me].threshold = best_thr;
    t->nodes[me].left = l;
    t->nodes[me].right = r;
    return me;
}

void nnt__rf_free(rf_forest *f)
{
    if (!f) return;
    for (int t = 0; f->trees && t < f->n_trees; t++) nnt__free(f->trees[t].nodes);
    nnt__free(f->trees);
    nnt__free(f);
}

int nnt__rf_fit(const double *X, const double *y, int n, int d, const rf_options *o, rf_forest **out)
{
    *out = NULL;
    if (!X || !y || n < 1 || d < 1 || !o || o->n_trees < 1 || o->max_depth < 0 || o->min_leaf < 1)
        return NNT_ERR_ARG;
    rf_forest *f = nnt__calloc(1, sizeof *f);
    if (!f) return NNT_ERR_NOMEM;
    f->n_trees = o->n_trees;
    f->d = d;
    f->trees = nnt__calloc((size_t)o->n_trees, sizeof *f->trees);
    grow_ctx g = {X, y, d, o, {{0}}, NULL, NULL};
    g.pairs = nnt__malloc_array((size_t)n, sizeof *g.pairs);
    g.features = nnt__malloc_array((size_t)d, sizeof *g.features);
    int *idx = nnt__malloc_array((size_t)n, sizeof *idx);
    int rc = f->trees && g.pairs && g.features && idx ? NNT_OK : NNT_ERR_NOMEM;
    for (int t = 0; rc == NNT_OK && t < o->n_trees; t++) {
        /* One stream per tree: a tree does not depend on how many came before. */
        nnt_rng_seed(&g.rng, nnt_seed_derive(o->seed, (uint64_t)t));
        for (int i = 0; i < n; i++) idx[i] = (int)nnt_rng_below(&g.rng, (uint64_t)n);
        if (grow(&g, &f->trees[t], idx, n, 0) < 0) rc = NNT_ERR_NOMEM;
    }
    nnt__free(g.pairs);
    nnt__free(g.features);
    nnt__free(idx);
    if (rc != NNT_OK) {
        nnt__rf_free(f);
        return rc;
    }
    *out = f;
    return NNT_OK;
}

double nnt__rf_predict(const rf_forest *f, const double *x)
{
    double s = 0;
    for (int t = 0; t < f->n_trees; t++) {
        const rf_node *nodes = f->trees[t].nodes;
        int i = 0;
        while (nodes[i].feature >= 0)
            i = x[nodes[i].feature] <= nodes[i].threshold ? nodes[i].left : nodes[i].right;
        s += nodes[i].value;
    }
    return s / f->n_trees;
}
