/* A small random forest for regression (bootstrap, random feature subsets,
 * variance-reduction splits), the surrogate behind nnt_param_importance. Not
 * a public header. */
#ifndef NNT_TUNE_FOREST_H
#define NNT_TUNE_FOREST_H

#include <stdint.h>

typedef struct rf_options {
    int n_trees;   /* >= 1 */
    int max_depth; /* >= 0 (0: each tree is one leaf) */
    int min_leaf;  /* >= 1 */
    int mtry;      /* features tried per split; 0: ceil(d/2) */
    uint64_t seed;
} rf_options;

typedef struct rf_forest rf_forest;

/* Fits a forest on n rows of d features (X row-major, n*d) and targets y.
 * NNT_OK, NNT_ERR_ARG or NNT_ERR_NOMEM; on failure *out = NULL. */
int nnt__rf_fit(const double *X, const double *y, int n, int d, const rf_options *o, rf_forest **out);
/* Mean of the trees' predictions at x (d features). */
double nnt__rf_predict(const rf_forest *f, const double *x);
void nnt__rf_free(rf_forest *f);

#endif
