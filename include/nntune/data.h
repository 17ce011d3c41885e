/* nntune: data sets (CSV, IDX, built-in), splits and feature scaling.
 *
 * A data set is loaded once and then only read: a float32 row-major feature
 * matrix, plus a label vector (classification) or a target vector
 * (regression), plus column and class names. Splits are index sets, never
 * copies. */
#ifndef NNTUNE_DATA_H
#define NNTUNE_DATA_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nnt_task {
    NNT_TASK_AUTO = 0,   /* decide from the target column */
    NNT_TASK_CLASSIFY,   /* multiclass: softmax + cross-entropy */
    NNT_TASK_BINARY,     /* two classes: one sigmoid output + binary CE */
    NNT_TASK_REGRESS,    /* real target: identity output + squared error */
    NNT_TASK_AUTOENCODE  /* reconstruct the (scaled) input: sigmoid + reconstruction CE */
} nnt_task;

/* How features were produced, which decides the default scaling. */
typedef enum nnt_feature_kind {
    NNT_FEATURES_TABULAR = 0, /* standardise (fit on train rows) */
    NNT_FEATURES_PIXELS       /* 0..255 intensities: divide by 255 */
} nnt_feature_kind;

typedef struct nnt_dataset nnt_dataset;

/* ---- CSV ---------------------------------------------------------------- */
typedef struct nnt_csv_options {
    const char *target;  /* target column name; NULL: the last column */
    nnt_task task;       /* AUTO: integers or any text make classes, other
                            numbers regression; see nnt_dataset_load_csv */
    char delimiter;      /* default ',' */
    int target_optional; /* 1: a file without the target column loads with no
                            labels (prediction input); default 0 */
} nnt_csv_options;

NNT_API nnt_csv_options nnt_csv_options_default(void);

/* Loads a CSV file with a header row. Quoted fields ("" escapes a quote; a
 * quoted field may hold delimiters and line ends), CRLF line ends, a UTF-8 BOM
 * and blank lines are accepted; spaces around unquoted fields are trimmed.
 * Feature columns must be numeric and finite. Empty fields, "NA", "N/A", "?"
 * and "nan" (any case) are missing values, which are errors.
 *
 * Target: with task AUTO a column of integers, or one with any text, becomes
 * classes; numbers with a fraction make regression. CLASSIFY and BINARY force
 * classes (BINARY needs exactly 2), REGRESS requires numbers. Class order:
 * numeric when every value is an integer (names are then the canonical
 * integers, "2.0" -> "2"), else byte-wise string order. AUTOENCODE loads like
 * AUTO.
 *
 * On failure returns a negative code, *out = NULL, and err names the file, line
 * and column (e.g. "iris.csv:17: column 'petal_width': expected a number, got
 * 'abc'"): NNT_ERR_IO for a file that cannot be opened or read,
 * NNT_ERR_NOT_FOUND for a named target column that is not in the header (and
 * target_optional is 0), NNT_ERR_FORMAT for everything wrong inside the file.
 * The file is read twice, streaming; peak memory stays within about the
 * parsed float data plus one read buffer (1 MiB, grown to the longest
 * record). */
NNT_API int nnt_dataset_load_csv(const char *path, const nnt_csv_options *opt,
                                 nnt_dataset **out, nnt_error *err);

/* Loads an IDX image file and its IDX label file (MNIST format, gzipped or
 * not; labels may be NULL for prediction input). Images are flattened to rows
 * of pixels (NNT_FEATURES_PIXELS); labels become classes "0".."9" (as many as
 * the largest label needs). Magic, dimensions, truncation and a count mismatch
 * between images and labels are reported as errors. */
NNT_API int nnt_dataset_load_idx(const char *images_path, const char *labels_path,
                                 nnt_dataset **out, nnt_error *err);

/* Loads a built-in data set by name. Known: "fashion-mnist" (Debian package
 * dataset-fashion-mnist): *train gets the 60000 training images, *test the
 * 10000 test images; class names are the Fashion-MNIST labels ("T-shirt/top",
 * ...). A missing package is an NNT_ERR_NOT_FOUND naming the package. */
NNT_API int nnt_dataset_load_builtin(const char *name, nnt_dataset **train,
                                     nnt_dataset **test, nnt_error *err);

/* Directory searched for built-in data sets; default
 * /usr/share/datasets, overridable with env NNTUNE_DATASETS_DIR (tests). */
NNT_API const char *nnt_datasets_dir(void);

/* Builds a data set from arrays (copied). labels: n ints in [0, n_classes)
 * with class_names (n_classes strings), or targets: n floats for regression
 * (labels NULL, n_classes 0). feature_names may be NULL ("x0", "x1", ...). */
typedef struct nnt_dataset_spec {
    size_t rows, features;
    const float *x;               /* rows x features, row-major */
    const int32_t *labels;        /* classification, or NULL */
    const float *targets;         /* regression, or NULL */
    int n_classes;
    const char *const *class_names;
    const char *const *feature_names;
    const char *target_name;      /* NULL: "target" */
    nnt_feature_kind kind;
} nnt_dataset_spec;
NNT_API int nnt_dataset_from_arrays(const nnt_dataset_spec *spec, nnt_dataset **out,
                                    nnt_error *err);

NNT_API void nnt_dataset_free(nnt_dataset *ds); /* NULL is a no-op */

NNT_API size_t nnt_dataset_rows(const nnt_dataset *ds);
NNT_API size_t nnt_dataset_features(const nnt_dataset *ds);
NNT_API const float *nnt_dataset_x(const nnt_dataset *ds);         /* rows x features */
NNT_API const int32_t *nnt_dataset_labels(const nnt_dataset *ds);  /* NULL if none */
NNT_API const float *nnt_dataset_targets(const nnt_dataset *ds);   /* NULL if none */
NNT_API int nnt_dataset_has_target(const nnt_dataset *ds);
/* CLASSIFY or REGRESS; AUTO when the data set has no target. */
NNT_API nnt_task nnt_dataset_task(const nnt_dataset *ds);
NNT_API int nnt_dataset_num_classes(const nnt_dataset *ds); /* 0 for regression */
/* Names are owned by ds; out-of-range indices give NULL. The target name is
 * NULL for a data set without a target unless a CSV target was named. */
NNT_API const char *nnt_dataset_class_name(const nnt_dataset *ds, int c);
NNT_API const char *nnt_dataset_feature_name(const nnt_dataset *ds, size_t j);
NNT_API const char *nnt_dataset_target_name(const nnt_dataset *ds);
NNT_API nnt_feature_kind nnt_dataset_kind(const nnt_dataset *ds);

/* Re-expresses ds's labels in the class order `names` (n names), so that a
 * validation or test file uses the training set's class indices. A class in ds
 * that is not among names is an NNT_ERR_FORMAT naming it; a regression set is
 * an NNT_ERR_ARG; a set without a target is left as it is. On failure ds is
 * unchanged. */
NNT_API int nnt_dataset_remap_classes(nnt_dataset *ds, const char *const *names, int n,
                                      nnt_error *err);

/* ---- Splits: row index sets ---------------------------------------------- */
typedef struct nnt_split {
    uint32_t *train; size_t n_train;
    uint32_t *valid; size_t n_valid;
} nnt_split;

/* Random hold-out split with valid_fraction of the rows (in (0,1)) going to
 * validation; stratified by class when ds is a classification set and
 * stratify is non-zero (each class gives round(fraction * its rows)). Both
 * sides get at least one row; index sets are in ascending order. Seeded: same
 * seed, same split. Bad fraction or fewer than 2 rows: NNT_ERR_ARG, *out
 * zeroed. */
NNT_API int nnt_split_holdout(const nnt_dataset *ds, double valid_fraction, uint64_t seed,
                              int stratify, nnt_split *out, nnt_error *err);
/* Fold `fold` of k (0 <= fold < k, k >= 2, at least k rows): that fold
 * validates, the rest train. The same seed gives the same folds for every
 * `fold`, so the k validation sets partition the rows; stratified folds deal
 * each class's shuffled rows round-robin. */
NNT_API int nnt_split_kfold(const nnt_dataset *ds, int k, int fold, uint64_t seed,
                            int stratify, nnt_split *out, nnt_error *err);
/* All rows train, no validation rows. */
NNT_API int nnt_split_all(const nnt_dataset *ds, nnt_split *out, nnt_error *err);
NNT_API void nnt_split_free(nnt_split *s); /* frees arrays, zeroes s; NULL ok */

/* ---- Scaling: x' = (x - shift[j]) * mul[j] -------------------------------- */
typedef enum nnt_scaling {
    NNT_SCALE_AUTO = 0,  /* STANDARD for tabular, PIXELS for images */
    NNT_SCALE_NONE,
    NNT_SCALE_STANDARD,  /* mean 0, unit variance on the fitted rows */
    NNT_SCALE_PIXELS     /* divide by 255 */
} nnt_scaling;

typedef struct nnt_scaler {
    nnt_scaling kind;
    size_t features;
    float *shift; /* features values */
    float *mul;   /* features values */
    /* Regression target standardisation: a model trains on
     * (target - target_shift) * target_mul and maps its outputs back with
     * output / target_mul + target_shift. target_mul == 0: none (identity). */
    float target_shift, target_mul;
} nnt_scaler;

/* Fits the scaler on the given rows only (rows NULL: all rows). STANDARD:
 * shift = mean, mul = 1/std (population, computed in double); constant
 * columns get mul = 1. PIXELS: shift 0, mul 1/255. NONE: shift 0, mul 1.
 * AUTO resolves by the data set's kind and out->kind holds the result. The
 * caller frees out with nnt_scaler_free; on failure out is zeroed. */
NNT_API int nnt_scaler_fit(const nnt_dataset *ds, const uint32_t *rows, size_t n_rows,
                           nnt_scaling kind, nnt_scaler *out, nnt_error *err);
/* Sets s->target_shift / target_mul to the mean and 1/std (population,
 * computed in double) of the data set's numeric targets over the given rows
 * (rows NULL: all rows); a constant target gets mul 1. NNT_ERR_ARG when the
 * data set has no numeric target or no rows are given. */
NNT_API int nnt_scaler_fit_target(const nnt_dataset *ds, const uint32_t *rows, size_t n_rows,
                                  nnt_scaler *s, nnt_error *err);
/* dst[j] = (src[j] - shift[j]) * mul[j] for one row. Can't fail. */
NNT_API void nnt_scaler_apply_row(const nnt_scaler *s, const float *src, float *dst);
NNT_API int nnt_scaler_copy(const nnt_scaler *src, nnt_scaler *dst, nnt_error *err);
NNT_API void nnt_scaler_free(nnt_scaler *s); /* frees arrays, zeroes s */

#ifdef __cplusplus
}
#endif
#endif
