/* Internal layout of a data set, shared by the loaders in src/data/. Other
 * layers use the accessors in nntune/data.h. Not a public header. */
#ifndef NNT_DATA_DATASET_INTERNAL_H
#define NNT_DATA_DATASET_INTERNAL_H

#include "nntune/data.h"

struct nnt_dataset {
    size_t rows, features;
    float *x;             /* rows x features, row-major */
    int32_t *labels;      /* rows class indices (classification), else NULL */
    float *targets;       /* rows values (regression), else NULL */
    nnt_task task;        /* CLASSIFY, REGRESS, or AUTO when there is no target */
    int n_classes;        /* 0 unless classification */
    char **class_names;   /* n_classes strings */
    char **feature_names; /* features strings */
    char *target_name;    /* may be NULL when there is no target */
    nnt_feature_kind kind;
    nnt_schema schema;    /* CSV: raw columns -> features; n_columns 0 otherwise */
    int has_csv_info;
    nnt_csv_info csv_info;
};

/* A zeroed data set (NULL when out of memory). */
nnt_dataset *nnt__dataset_alloc(void);

/* Frees n strings and the array itself; NULL ok. */
void nnt__free_strings(char **s, size_t n);

/* Fills feature_names with prefix0, prefix1, ... (ds->features names). */
int nnt__dataset_default_feature_names(nnt_dataset *ds, const char *prefix, nnt_error *err);

/* Fills class_names with "0".."n-1" and sets n_classes. */
int nnt__dataset_numbered_classes(nnt_dataset *ds, int n, nnt_error *err);

/* Thread-safe strerror into buf; returns buf. */
const char *nnt__errno_text(int errnum, char *buf, size_t len);

#endif
