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

/* ---- Input schema: raw table columns -> model features ------------------- */
/* Where a CSV loader's features come from, so that prediction data can be
 * read the same way: one entry per raw input column, in feature order. A
 * numeric column gives one feature; a categorical (text) column gives one
 * 0/1 feature per category (one-hot, categories in byte order), so the
 * feature count is the sum. A plain value: the arrays are owned by whoever
 * holds the struct and released with nnt_schema_free. */
typedef struct nnt_column {
    char *name;          /* the header name */
    int categorical;     /* 0: numeric; 1: one-hot over categories */
    size_t n_categories; /* categorical only */
    char **categories;   /* n_categories strings, byte order */
    float fill;          /* a missing value becomes this (numeric) or all zeros
                            (categorical, any finite fill); NAN: missing values
                            are an error */
} nnt_column;

typedef struct nnt_schema {
    size_t n_columns; /* 0: no schema */
    nnt_column *columns;
} nnt_schema;

/* Features the schema produces (numeric 1 each, categorical n_categories). */
NNT_API size_t nnt_schema_features(const nnt_schema *s);
/* Deep copy into *dst (zeroed on failure). */
NNT_API int nnt_schema_copy(const nnt_schema *src, nnt_schema *dst, nnt_error *err);
NNT_API void nnt_schema_free(nnt_schema *s); /* frees arrays, zeroes s; NULL ok */

/* ---- CSV ---------------------------------------------------------------- */
/* Auto task rule (nnt_csv_options.task AUTO; in the spirit of scikit-learn's
 * type_of_target): a target with any text value is classes; a numeric target
 * is classes only when every value is integral ("68.0" counts as integral)
 * AND it has at most max_classes distinct values AND (two distinct values, or
 * at most one distinct value per two rows); else regression. So a 0/1 target
 * is binary at any size, a 442-row target with 214 distinct integral values
 * (68.0, 109.0, ...) is regression, and so is a 30-row target with 25
 * distinct integers. */
#define NNT_CSV_MAX_CLASSES 20
/* A text feature column with at most this many distinct values is one-hot
 * encoded; more is an error naming the column. */
#define NNT_CSV_MAX_CATEGORIES 32

typedef enum nnt_missing {
    NNT_MISSING_ERROR = 0, /* a missing value is an error (the default) */
    NNT_MISSING_DROP,      /* drop rows with a missing value in a used column */
    NNT_MISSING_MEAN,      /* fill numeric columns with the column mean */
    NNT_MISSING_MEDIAN     /* ... with the column median */
} nnt_missing;

typedef struct nnt_csv_options {
    const char *target;  /* target column name; NULL: the last column */
    nnt_task task;       /* AUTO: see the rule above; see nnt_dataset_load_csv */
    char delimiter;      /* 0 (default): detected from the header (',', ';' or
                            tab, whichever occurs most; ',' when none) */
    int target_optional; /* 1: a file without the target column loads with no
                            labels (prediction input); default 0 */
    /* Added with the input schema (all default 0/NULL unless noted). */
    const nnt_schema *schema; /* prediction input: read exactly these columns
                                 BY NAME (any order; other columns ignored),
                                 encoded and filled as the schema says */
    const char *const *ignore; /* n_ignore column names to drop (training) */
    size_t n_ignore;
    nnt_missing missing;  /* training: what to do with missing values */
    int max_categories;   /* default NNT_CSV_MAX_CATEGORIES; 0: text in a
                             feature column is an error */
    int max_classes;      /* auto rule; default NNT_CSV_MAX_CLASSES */
} nnt_csv_options;

NNT_API nnt_csv_options nnt_csv_options_default(void);

/* What a CSV load found and decided, for the caller to show. */
typedef struct nnt_csv_info {
    char delimiter;          /* the delimiter used */
    size_t columns;          /* columns in the header */
    size_t columns_used;     /* feature columns read (schema columns) */
    size_t categorical;      /* of them one-hot encoded */
    /* Target and task. */
    nnt_task task;           /* CLASSIFY, REGRESS, or AUTO when no target */
    int task_forced;         /* the caller's task decided, not the rule */
    int target_text;         /* some target value is not a number */
    int target_integral;     /* every numeric target value is integral */
    size_t target_distinct;  /* distinct target values */
    double target_min, target_max; /* numeric targets; NAN when text */
    int max_classes;         /* the limit the rule used */
    /* Missing values and categories. */
    size_t rows_read;        /* data records in the file */
    size_t rows_dropped;     /* NNT_MISSING_DROP */
    size_t missing_filled;   /* values filled (training policy or schema) */
    size_t unseen;           /* categorical values not among the schema's
                                categories: encoded as all zeros */
    size_t unseen_rows;      /* rows with at least one of them */
} nnt_csv_info;

/* Loads a CSV file with a header row. Quoted fields ("" escapes a quote; a
 * quoted field may hold delimiters and line ends), CRLF line ends, a UTF-8 BOM
 * and blank lines are accepted; spaces around unquoted fields are trimmed.
 * Empty fields, "NA", "N/A", "?" and "nan" (any case) are missing values:
 * an error that counts the affected rows and columns, unless opt->missing
 * says to drop the rows or fill the columns (mean or median of the file's
 * rows, stored in the schema as the columns' fill values; categorical
 * columns fill with all zeros). A feature column with text values is one-hot
 * encoded when it has at most max_categories distinct values, else an error
 * naming the column. Columns named in opt->ignore are dropped.
 *
 * With opt->schema (prediction or evaluation data for a model), the schema's
 * columns are looked up by name in the header in any order, other columns
 * are ignored, a missing column is an NNT_ERR_FORMAT naming every missing
 * one, categories are encoded as the schema says (unseen values: all zeros,
 * counted in nnt_csv_info.unseen) and missing values take the schema's fill
 * values (an error where a column has none).
 *
 * Target: AUTO follows the rule above (NNT_CSV_MAX_CLASSES). CLASSIFY and
 * BINARY force classes (BINARY needs exactly 2), REGRESS requires numbers.
 * Class order: numeric when every value is an integer (names are then the
 * canonical integers, "2.0" -> "2"), else byte-wise string order. AUTOENCODE
 * loads like AUTO.
 *
 * On failure returns a negative code, *out = NULL, and err names the file, line
 * and column (e.g. "iris.csv:17: column 'petal_width': expected a number, got
 * 'abc'"): NNT_ERR_IO for a file that cannot be opened or read,
 * NNT_ERR_NOT_FOUND for a named target column that is not in the header (and
 * target_optional is 0), NNT_ERR_FORMAT for everything wrong inside the file.
 * The file is read two or three times, streaming (the third pass only when
 * there are text feature columns); peak memory stays within about the parsed
 * float data plus one read buffer (1 MiB, grown to the longest record). */
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
/* The input schema of a data set loaded from CSV; NULL for other data sets. */
NNT_API const nnt_schema *nnt_dataset_schema(const nnt_dataset *ds);
/* What the CSV load found (task rule, missing values, unseen categories);
 * NULL for a data set not loaded from CSV. */
NNT_API const nnt_csv_info *nnt_dataset_csv_info(const nnt_dataset *ds);

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
