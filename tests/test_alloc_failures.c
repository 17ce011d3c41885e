/* Allocation-failure injection (nnt__alloc_fail_after): the 1st, 2nd, ...
 * allocation of an operation fails in turn, until the operation succeeds
 * with no failure left to inject. Every failure must be a clean error: a
 * negative status, a message, no output handle, no crash, and no leak (the
 * ASan build, `make test-asan`, runs with detect_leaks=1). Covered: loading
 * CSV data, IDX data (plain and gzipped), a model file, an ensemble's model
 * file and its clone, and opening a SQLite
 * storage and creating a study in it. SQLite and json-c allocate through
 * their own allocators; only the library's own allocations fail here. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "nntune/nntune.h"

/* An operation under test: returns its status; fills err on failure. */
typedef int (*op_fn)(void *ctx, nnt_error *err);

/* Runs op with the k-th allocation failing, for k = 0, 1, ..., until it
 * succeeds; checks every failure. Returns the number of failures seen. */
static int fail_each_allocation(op_fn op, void *ctx, int want_nomem)
{
    for (long k = 0; k < 100000; k++) {
        nnt_error err;
        nnt_error_clear(&err);
        nnt__alloc_fail_after(k);
        int rc = op(ctx, &err);
        nnt__alloc_fail_after(-1);
        if (rc == NNT_OK) {
            print_message("  %ld allocations failed in turn, each cleanly\n", k);
            return (int)k;
        }
        if (rc >= 0) fail_msg("allocation %ld: status %d is not an error", k, rc);
        if (err.message[0] == '\0') fail_msg("allocation %ld: status %d without a message", k, rc);
        if (want_nomem) {
            if (rc != NNT_ERR_NOMEM)
                fail_msg("allocation %ld: status %d (%s), expected NNT_ERR_NOMEM", k, rc,
                         err.message);
            tu_assert_contains(err.message, "out of memory");
        }
    }
    fail_msg("the operation never succeeded");
    return -1;
}

/* ---- CSV --------------------------------------------------------------------- */

static int load_csv(void *ctx, nnt_error *err)
{
    nnt_dataset *ds = NULL;
    int rc = nnt_dataset_load_csv(ctx, NULL, &ds, err);
    if (rc < 0) {
        assert_null(ds);
        return rc;
    }
    assert_int_equal(nnt_dataset_rows(ds), 4);
    assert_int_equal(nnt_dataset_num_classes(ds), 3);
    assert_string_equal(nnt_dataset_feature_name(ds, 1), "b, quoted");
    nnt_dataset_free(ds);
    return rc;
}

static void test_csv(void **state)
{
    (void)state;
    const char *p = tu_write("data.csv", "a,\"b, quoted\",y\n1,2,cat\n3,4,dog\n"
                                         "5,6,\"bird\"\n7,8,cat\n");
    int n = fail_each_allocation(load_csv, (void *)p, 1);
    assert_true(n > 5); /* the loader does allocate, so failures were injected */
}

/* ---- IDX --------------------------------------------------------------------- */

typedef struct idx_files {
    char images[512], labels[512];
} idx_files;

static void write_file(const char *path, const unsigned char *b, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, b, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(b, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
    }
}

static void make_idx(idx_files *f, int gz)
{
    enum { N = 6, R = 3, C = 2 };
    unsigned char img[16 + N * R * C] = {0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, R, 0, 0, 0, C};
    unsigned char lab[8 + N] = {0, 0, 8, 1, 0, 0, 0, N};
    for (int i = 0; i < N * R * C; i++) img[16 + i] = (unsigned char)(i * 11);
    for (int i = 0; i < N; i++) lab[8 + i] = (unsigned char)(i % 3);
    snprintf(f->images, sizeof f->images, "%s", tu_path(gz ? "img.idx.gz" : "img.idx"));
    snprintf(f->labels, sizeof f->labels, "%s", tu_path(gz ? "lab.idx.gz" : "lab.idx"));
    write_file(f->images, img, sizeof img, gz);
    write_file(f->labels, lab, sizeof lab, gz);
}

static int load_idx(void *ctx, nnt_error *err)
{
    const idx_files *f = ctx;
    nnt_dataset *ds = NULL;
    int rc = nnt_dataset_load_idx(f->images, f->labels, &ds, err);
    if (rc < 0) {
        assert_null(ds);
        return rc;
    }
    assert_int_equal(nnt_dataset_rows(ds), 6);
    assert_int_equal(nnt_dataset_features(ds), 6);
    assert_int_equal(nnt_dataset_labels(ds)[4], 1);
    nnt_dataset_free(ds);
    return rc;
}

static void test_idx(void **state)
{
    (void)state;
    for (int gz = 0; gz <= 1; gz++) {
        idx_files f;
        make_idx(&f, gz);
        /* gzopen's own malloc is zlib's: it does not go through the hook. */
        int n = fail_each_allocation(load_idx, &f, 1);
        assert_true(n > 3);
    }
}

/* ---- Model files ------------------------------------------------------------- */

static int load_model(void *ctx, nnt_error *err)
{
    nnt_model *m = NULL;
    int rc = nnt_model_load(ctx, &m, err);
    if (rc < 0) {
        assert_null(m);
        return rc;
    }
    assert_int_equal(nnt_model_num_classes(m), 3);
    assert_string_equal(nnt_model_class_name(m, 2), "c");
    nnt_model_free(m);
    return rc;
}

static void test_model(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(3, 30);
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 4;
    o.outputs = 3;
    o.n_hidden = 2;
    o.hidden[0] = 5;
    o.hidden[1] = 4;
    nnt_model *m = NULL;
    nnt_error err;
    assert_int_equal(nnt_model_create(&o, 1, &m, &err), NNT_OK);
    nnt_scaler sc;
    assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &sc, &err), NNT_OK);
    assert_int_equal(nnt_model_set_metadata_from(m, ds, NNT_TASK_CLASSIFY, &sc, &err), NNT_OK);
    nnt_scaler_free(&sc);
    const char *path = tu_path("model.nnt");
    assert_int_equal(nnt_model_save(m, path, &err), NNT_OK);
    nnt_model_free(m);
    nnt_dataset_free(ds);
    int n = fail_each_allocation(load_model, (void *)path, 1);
    assert_true(n > 5);
}

/* An ensemble (three models, each with its own scaler): loading its file
 * and cloning it. */
static int load_ensemble(void *ctx, nnt_error *err)
{
    nnt_model *m = NULL;
    int rc = nnt_model_load(ctx, &m, err);
    if (rc < 0) {
        assert_null(m);
        return rc;
    }
    assert_int_equal(nnt_model_ensemble_size(m), 3);
    assert_string_equal(nnt_model_class_name(m, 2), "c");
    nnt_model_free(m);
    return rc;
}

static int clone_ensemble(void *ctx, nnt_error *err)
{
    nnt_model *c = NULL;
    int rc = nnt_model_clone(ctx, &c, err);
    if (rc < 0) {
        assert_null(c);
        return rc;
    }
    assert_int_equal(nnt_model_ensemble_size(c), 3);
    nnt_model_free(c);
    return rc;
}

static void test_model_ensemble(void **state)
{
    (void)state;
    nnt_dataset *ds = tu_blobs(3, 30);
    nnt_model_options o = nnt_model_options_default();
    o.inputs = 4;
    o.outputs = 3;
    o.n_hidden = 1;
    o.hidden[0] = 5;
    nnt_model *m[3];
    nnt_error err;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(nnt_model_create(&o, (uint64_t)k + 1, &m[k], &err), NNT_OK);
        nnt_scaler sc;
        assert_int_equal(nnt_scaler_fit(ds, NULL, 0, NNT_SCALE_STANDARD, &sc, &err), NNT_OK);
        assert_int_equal(nnt_model_set_metadata_from(m[k], ds, NNT_TASK_CLASSIFY, &sc, &err), NNT_OK);
        nnt_scaler_free(&sc);
    }
    assert_int_equal(nnt_model_ensemble_add(m[0], m[1], &err), NNT_OK);
    assert_int_equal(nnt_model_ensemble_add(m[0], m[2], &err), NNT_OK);
    const char *path = tu_path("ensemble.nnt");
    assert_int_equal(nnt_model_save(m[0], path, &err), NNT_OK);
    int n = fail_each_allocation(load_ensemble, (void *)path, 1);
    assert_true(n > 10);
    n = fail_each_allocation(clone_ensemble, m[0], 1);
    assert_true(n > 10);
    nnt_model_free(m[0]);
    nnt_dataset_free(ds);
}

/* ---- Storage and study creation ---------------------------------------------- */

typedef struct study_ctx {
    nnt_dataset *ds;
    nnt_space *space;
    int attempt;
    char db[512];
} study_ctx;

static nnt_study_options study_options(void)
{
    nnt_study_options o = nnt_study_options_default();
    o.name = "oom";
    o.sampler = "tpe";
    o.pruner = "asha";
    o.max_trials = 3;
    o.jobs = 1;
    o.seed = 5;
    o.seed_set = 1;
    o.base_train.max_epochs = 2;
    return o;
}

static int open_and_create(const char *db, const study_ctx *c, nnt_error *err)
{
    nnt_storage *st = NULL;
    int rc = nnt_storage_open_sqlite(db, 0, &st, err);
    if (rc < 0) {
        assert_null(st);
        return rc;
    }
    nnt_study_options o = study_options();
    nnt_study_data data = {c->ds, NULL, NULL};
    nnt_study *s = NULL;
    rc = nnt_study_create(&o, c->space, &data, st, &s, err);
    if (rc < 0) assert_null(s);
    nnt_study_free(s);
    nnt_storage_close(st);
    return rc;
}

/* Each attempt gets a fresh database; after a failed attempt the same
 * database must still open and take the study (nothing half-written). */
static int create_study(void *ctx, nnt_error *err)
{
    study_ctx *c = ctx;
    snprintf(c->db, sizeof c->db, "%s/study-%d.db", tu_tmpdir(), c->attempt++);
    return open_and_create(c->db, c, err);
}

static void test_study_create(void **state)
{
    (void)state;
    study_ctx c;
    memset(&c, 0, sizeof c);
    c.ds = tu_blobs(2, 40);
    nnt_error err;
    c.space = nnt_space_new();
    assert_non_null(c.space);
    assert_int_equal(nnt_space_set_spec(c.space, "lr", "0.001:0.1:log", &err), NNT_OK);
    assert_int_equal(nnt_space_set_spec(c.space, "neurons", "4,8", &err), NNT_OK);
    int n = fail_each_allocation(create_study, &c, 0);
    assert_true(n > 5);
    /* Recovery: every database a failed attempt left behind takes the study. */
    for (int i = 0; i < c.attempt - 1; i++) {
        char db[512];
        snprintf(db, sizeof db, "%s/study-%d.db", tu_tmpdir(), i);
        nnt_error_clear(&err);
        int rc = open_and_create(db, &c, &err);
        if (rc != NNT_OK) fail_msg("%s after a failed attempt: %s", db, err.message);
    }
    nnt_space_free(c.space);
    nnt_dataset_free(c.ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_idx),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_model_ensemble),
        cmocka_unit_test(test_study_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
