/* Storage (SQLite back end): schema, WAL, trial life cycle, interrupted
 * trials, several studies in one database, reopening, epoch rows written
 * in groups. */
#include "testutil.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nntune/nntune.h"
#include "nntune/storage_backend.h"

static nnt_storage *open_rw(const char *path)
{
    nnt_storage *st = NULL;
    nnt_error err;
    int r = nnt_storage_open_sqlite(path, 0, &st, &err);
    if (r != NNT_OK) fail_msg("open %s: %s", path, err.message);
    return st;
}

static nnt_study_record open_study(nnt_storage *st, const char *name, int exclusive, int recover,
                                   int *created)
{
    nnt_study_open_request req;
    memset(&req, 0, sizeof req);
    req.name = name;
    req.definition = "{\"space\":{}}";
    req.seed = 42;
    req.metric = "accuracy";
    req.maximize = 1;
    req.create = 1;
    req.exclusive = exclusive;
    req.recover = recover;
    nnt_study_record rec;
    nnt_error err;
    int r = nnt_storage_study_open(st, &req, &rec, created, &err);
    if (r != NNT_OK) fail_msg("study_open %s: %s", name, err.message);
    return rec;
}

/* One text value of a query run directly with sqlite3. */
static void query_text(const char *path, const char *sql, char *out, size_t n)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, n, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_schema_and_wal(void **state)
{
    (void)state;
    const char *path = tu_path("schema.db");
    nnt_storage *st = open_rw(path);
    assert_string_equal(nnt_storage_backend_name(st), "sqlite");
    char buf[64];
    query_text(path, "PRAGMA journal_mode", buf, sizeof buf);
    assert_string_equal(buf, "wal");
    query_text(path, "SELECT value FROM meta WHERE key = 'schema_version'", buf, sizeof buf);
    assert_string_equal(buf, "4");
    const char *tables[] = {"studies", "trials", "trial_epochs", "artifacts"};
    for (int i = 0; i < 4; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='%s'",
                 tables[i]);
        query_text(path, sql, buf, sizeof buf);
        assert_string_equal(buf, "1");
    }
    nnt_storage_close(st);
    nnt_storage_close(NULL); /* no storage: a no-op */
}

static void test_trial_life_cycle(void **state)
{
    (void)state;
    const char *path = tu_path("cycle.db");
    nnt_storage *st = open_rw(path);
    int created = 0;
    nnt_study_record rec = open_study(st, "s1", 1, 1, &created);
    assert_int_equal(created, 1);
    assert_string_equal(rec.name, "s1");
    assert_true(rec.maximize);
    assert_true(rec.seed == 42);
    nnt_error err;
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 0, "{\"lr\": 0.1}", 7, -1, 1000.0, &err), NNT_OK);
    /* The same number twice is refused. */
    assert_true(nnt_storage_trial_start(st, rec.id, 0, "{}", 7, -1, 1000.0, &err) < 0);
    for (int e = 1; e <= 3; e++) {
        nnt_epoch_row row;
        memset(&row, 0, sizeof row);
        row.epoch = e;
        row.train.loss = 1.0 / e;
        row.train.accuracy = 0.5 + 0.1 * e;
        row.train.rmse = row.train.mae = row.train.r2 = NAN;
        row.valid = row.train;
        row.valid.loss = 2.0 / e;
        row.lr = 0.1;
        row.elapsed_s = e;
        assert_int_equal(nnt_storage_trial_epoch(st, rec.id, 0, &row, &err), NNT_OK);
    }
    /* A reader sees the running trial. */
    nnt_trial_record *t = NULL;
    size_t n = 0;
    assert_int_equal(nnt_storage_trials_load(st, rec.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].state, NNT_TRIAL_RUNNING);
    assert_true(isnan(t[0].value));
    nnt_trial_records_free(t, n);

    nnt_trial_record fin;
    memset(&fin, 0, sizeof fin);
    fin.number = 0;
    fin.state = NNT_TRIAL_COMPLETE;
    fin.value = 0.8;
    fin.value_spread = NAN;
    fin.finished = 1002.5;
    fin.duration = 2.5;
    fin.epochs = 3;
    assert_int_equal(nnt_storage_trial_finish(st, rec.id, &fin, &err), NNT_OK);
    assert_int_equal(nnt_storage_artifact_add(st, rec.id, 0, "model", "/tmp/m.nnt", NULL, &err), NNT_OK);
    fin.number = 9; /* no such trial */
    assert_int_equal(nnt_storage_trial_finish(st, rec.id, &fin, &err), NNT_ERR_NOT_FOUND);

    assert_int_equal(nnt_storage_trials_load(st, rec.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].number, 0);
    assert_int_equal(t[0].state, NNT_TRIAL_COMPLETE);
    assert_true(t[0].value == 0.8);
    assert_true(isnan(t[0].value_spread));
    assert_true(t[0].seed == 7);
    assert_true(t[0].duration == 2.5);
    assert_int_equal(t[0].epochs, 3);
    assert_int_equal(t[0].retry_of, -1);
    assert_null(t[0].error);
    assert_string_equal(t[0].params, "{\"lr\": 0.1}");
    assert_string_equal(t[0].model_path, "/tmp/m.nnt");
    nnt_trial_records_free(t, n);

    nnt_epoch_row *rows = NULL;
    assert_int_equal(nnt_storage_epochs_load(st, rec.id, 0, &rows, &n, &err), NNT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(rows[2].epoch, 3);
    assert_true(rows[2].valid.loss == 2.0 / 3);
    assert_true(fabs(rows[1].train.accuracy - 0.7) < 1e-12);
    assert_true(isnan(rows[1].valid.rmse)); /* NAN goes in as NULL and comes back as NAN */
    nnt_epoch_rows_free(rows);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
}

static void test_interrupted_marking(void **state)
{
    (void)state;
    const char *path = tu_path("interrupt.db");
    nnt_error err;
    nnt_storage *a = open_rw(path);
    nnt_study_record ra = open_study(a, "run", 1, 1, NULL);
    assert_int_equal(nnt_storage_trial_start(a, ra.id, 0, "{}", 1, -1, 5.0, &err), NNT_OK);
    nnt_epoch_row row;
    memset(&row, 0, sizeof row);
    row.epoch = 1;
    assert_int_equal(nnt_storage_trial_epoch(a, ra.id, 0, &row, &err), NNT_OK);

    /* While `a` holds the study, another runner is refused and nothing is
     * marked; a plain reader is fine. */
    nnt_storage *b = open_rw(path);
    nnt_study_open_request req;
    memset(&req, 0, sizeof req);
    req.name = "run";
    req.create = 1;
    req.exclusive = 1;
    req.recover = 1;
    nnt_study_record rb;
    assert_int_equal(nnt_storage_study_open(b, &req, &rb, NULL, &err), NNT_ERR_STORAGE);
    tu_assert_contains(err.message, "being run by another process");
    nnt_study_record rr;
    assert_int_equal(nnt_storage_find_study(b, "run", &rr, &err), NNT_OK);
    nnt_trial_record *t = NULL;
    size_t n = 0;
    assert_int_equal(nnt_storage_trials_load(b, rr.id, &t, &n, &err), NNT_OK);
    assert_int_equal(t[0].state, NNT_TRIAL_RUNNING);
    nnt_trial_records_free(t, n);

    /* The runner goes away (its lock with it): the next runner recovers. */
    nnt_study_record_free(&ra);
    nnt_storage_close(a);
    assert_int_equal(nnt_storage_study_open(b, &req, &rb, NULL, &err), NNT_OK);
    assert_int_equal(nnt_storage_trials_load(b, rb.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].state, NNT_TRIAL_FAILED);
    assert_int_equal(t[0].interrupted, 1);
    assert_int_equal(t[0].epochs, 1); /* epochs reached before the death */
    assert_string_equal(t[0].error, "interrupted");
    nnt_trial_records_free(t, n);
    nnt_study_record_free(&rb);
    nnt_study_record_free(&rr);
    nnt_storage_close(b);
}

static void test_two_studies_and_reopen(void **state)
{
    (void)state;
    const char *path = tu_path("two.db");
    nnt_error err;
    nnt_storage *st = open_rw(path);
    int created;
    nnt_study_record s1 = open_study(st, "alpha", 1, 1, &created);
    nnt_study_record s2 = open_study(st, "beta", 1, 1, &created);
    assert_int_equal(created, 1);
    assert_true(s1.id != s2.id);
    assert_int_equal(nnt_storage_trial_start(st, s1.id, 0, "{\"a\":1}", 1, -1, 1, &err), NNT_OK);
    assert_int_equal(nnt_storage_trial_start(st, s2.id, 0, "{\"b\":1}", 2, -1, 1, &err), NNT_OK);
    assert_int_equal(nnt_storage_trial_start(st, s2.id, 1, "{\"b\":2}", 3, 0, 1, &err), NNT_OK);
    assert_int_equal(nnt_storage_study_redefine(st, s2.id, "{\"v\":2}", 99, &err), NNT_OK);
    nnt_study_record_free(&s1);
    nnt_study_record_free(&s2);
    nnt_storage_close(st);

    assert_int_equal(nnt_storage_open_sqlite(path, NNT_STORAGE_READONLY, &st, &err), NNT_OK);
    nnt_study_record *all = NULL;
    size_t n = 0;
    assert_int_equal(nnt_storage_study_list(st, &all, &n, &err), NNT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(all[0].name, "alpha");
    assert_int_equal(all[0].n_trials, 1);
    assert_string_equal(all[1].name, "beta");
    assert_int_equal(all[1].n_trials, 2);
    assert_string_equal(all[1].definition, "{\"v\":2}");
    assert_true(all[1].seed == 99);
    nnt_study_records_free(all, n);
    nnt_study_record latest;
    assert_int_equal(nnt_storage_find_study(st, NULL, &latest, &err), NNT_OK);
    assert_string_equal(latest.name, "beta");
    nnt_trial_record *t = NULL;
    assert_int_equal(nnt_storage_trials_load(st, latest.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(t[1].retry_of, 0);
    assert_string_equal(t[1].params, "{\"b\":2}");
    nnt_trial_records_free(t, n);
    nnt_study_record_free(&latest);
    nnt_study_record none;
    assert_int_equal(nnt_storage_find_study(st, "gamma", &none, &err), NNT_ERR_NOT_FOUND);
    tu_assert_contains(err.message, "gamma");
    /* Read-only handles cannot create or lock. */
    nnt_study_open_request req;
    memset(&req, 0, sizeof req);
    req.name = "gamma";
    req.create = 1;
    assert_int_equal(nnt_storage_study_open(st, &req, &none, NULL, &err), NNT_ERR_ARG);
    nnt_storage_close(st);
}

static void test_open_errors(void **state)
{
    (void)state;
    nnt_error err;
    nnt_storage *st = NULL;
    assert_int_equal(nnt_storage_open_sqlite(tu_path("missing.db"), NNT_STORAGE_READONLY, &st, &err), NNT_ERR_NOT_FOUND);
    tu_assert_contains(err.message, "missing.db");
    assert_null(st);

    /* Not a database. */
    const char *junk = tu_write("junk.db", "this is not sqlite, just some text that is long enough");
    assert_true(nnt_storage_open_sqlite(junk, 0, &st, &err) < 0);
    tu_assert_contains(err.message, "junk.db");

    /* A newer schema is refused. */
    const char *path = tu_path("future.db");
    st = open_rw(path);
    nnt_storage_close(st);
    char buf[8];
    query_text(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version' RETURNING value", buf,
               sizeof buf);
    assert_int_equal(nnt_storage_open_sqlite(path, 0, &st, &err), NNT_ERR_UNSUPPORTED);
    tu_assert_contains(err.message, "schema version 99");
}

/* Runs SQL statements directly with sqlite3. */
static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* Objective values of multi-objective trials round-trip (NaN as null), and
 * so do the tie-breakers (valid_loss, n_params); a version-1 file (no
 * objective_values column) is read as it is and migrated to version 3 when
 * opened for writing. */
static void test_objective_values_and_migration(void **state)
{
    (void)state;
    const char *path = tu_path("values.db");
    nnt_storage *st = open_rw(path);
    int created = 0;
    nnt_study_record rec = open_study(st, "mo", 1, 1, &created);
    nnt_error err;
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 0, "{}", 1, -1, 1.0, &err), NNT_OK);
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 1, "{}", 2, -1, 1.0, &err), NNT_OK);
    nnt_trial_record tr;
    memset(&tr, 0, sizeof tr);
    tr.number = 0;
    tr.state = NNT_TRIAL_COMPLETE;
    tr.value = 0.875;
    tr.value_spread = NAN;
    tr.finished = 2.0;
    tr.duration = 1.0;
    tr.n_values = 3;
    tr.values[0] = 0.875;
    tr.values[1] = 1234;
    tr.values[2] = NAN;
    tr.valid_loss = 0.25;
    tr.n_params = 1234;
    assert_int_equal(nnt_storage_trial_finish(st, rec.id, &tr, &err), NNT_OK);
    tr.number = 1;
    tr.n_values = 0;
    tr.valid_loss = tr.n_params = NAN;
    assert_int_equal(nnt_storage_trial_finish(st, rec.id, &tr, &err), NNT_OK);
    nnt_trial_record *t = NULL;
    size_t n = 0;
    assert_int_equal(nnt_storage_trials_load(st, rec.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(t[0].n_values, 3);
    assert_true(t[0].values[0] == 0.875 && t[0].values[1] == 1234 && isnan(t[0].values[2]));
    assert_true(t[0].valid_loss == 0.25 && t[0].n_params == 1234);
    assert_int_equal(t[1].n_values, 0);
    assert_true(isnan(t[1].valid_loss) && isnan(t[1].n_params));
    nnt_trial_records_free(t, n);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);

    /* A version-1 file as the first release wrote it. */
    const char *old = tu_path("v1.db");
    unlink(old);
    exec_sql(old,
             "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
             "INSERT INTO meta VALUES('schema_version', '1');"
             "CREATE TABLE studies(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
             " definition TEXT NOT NULL, seed INTEGER NOT NULL, metric TEXT NOT NULL,"
             " direction TEXT NOT NULL, created REAL NOT NULL);"
             "CREATE TABLE trials(id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL,"
             " number INTEGER NOT NULL, state TEXT NOT NULL, params TEXT NOT NULL, value REAL,"
             " value_spread REAL, seed INTEGER NOT NULL, started REAL NOT NULL, finished REAL,"
             " duration REAL, error TEXT, epochs INTEGER NOT NULL DEFAULT 0,"
             " interrupted INTEGER NOT NULL DEFAULT 0, retry_of INTEGER, UNIQUE(study_id, number));"
             "CREATE TABLE trial_epochs(trial_id INTEGER NOT NULL, fold INTEGER NOT NULL,"
             " epoch INTEGER NOT NULL, train_loss REAL, train_accuracy REAL, train_rmse REAL,"
             " train_mae REAL, train_r2 REAL, valid_loss REAL, valid_accuracy REAL, valid_rmse REAL,"
             " valid_mae REAL, valid_r2 REAL, lr REAL, elapsed REAL, PRIMARY KEY(trial_id, fold, epoch));"
             "CREATE TABLE artifacts(id INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL,"
             " kind TEXT NOT NULL, path TEXT NOT NULL, info TEXT, created REAL NOT NULL);"
             "INSERT INTO studies VALUES(1, 'old', '{}', 5, 'accuracy', 'maximize', 1.0);"
             "INSERT INTO trials(study_id, number, state, params, value, seed, started)"
             " VALUES(1, 0, 'complete', '{}', 0.5, 9, 1.0);");
    assert_int_equal(nnt_storage_open_sqlite(old, NNT_STORAGE_READONLY, &st, &err), NNT_OK);
    assert_int_equal(nnt_storage_find_study(st, "old", &rec, &err), NNT_OK);
    assert_int_equal(nnt_storage_trials_load(st, rec.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 1);
    assert_true(t[0].value == 0.5);
    assert_int_equal(t[0].n_values, 0);
    assert_true(isnan(t[0].valid_loss) && isnan(t[0].n_params)); /* columns it lacks */
    assert_int_equal(t[0].rank, -1);
    nnt_trial_records_free(t, n);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    char buf[16];
    query_text(old, "SELECT value FROM meta WHERE key = 'schema_version'", buf, sizeof buf);
    assert_string_equal(buf, "1"); /* reading changes nothing */

    st = open_rw(old);
    query_text(old, "SELECT value FROM meta WHERE key = 'schema_version'", buf, sizeof buf);
    assert_string_equal(buf, "4");
    rec = open_study(st, "old", 1, 1, &created);
    assert_int_equal(created, 0);
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 1, "{}", 3, -1, 1.0, &err), NNT_OK);
    tr.number = 1;
    tr.n_values = 2;
    tr.values[0] = 0.5;
    tr.values[1] = 10;
    assert_int_equal(nnt_storage_trial_finish(st, rec.id, &tr, &err), NNT_OK);
    assert_int_equal(nnt_storage_trial_rank(st, rec.id, 1, 2, &err), NNT_OK); /* a run over MPI */
    assert_int_equal(nnt_storage_trials_load(st, rec.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(t[0].n_values, 0);
    assert_int_equal(t[1].n_values, 2);
    assert_true(t[1].values[1] == 10);
    assert_int_equal(t[0].rank, -1);
    assert_int_equal(t[1].rank, 2);
    nnt_trial_records_free(t, n);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
}

/* A version-3 file (before trials.mpi_rank, issue 12) reads as it is, its
 * trials without a rank, and gains the column when opened for writing. */
static void test_version3_mpi_rank(void **state)
{
    (void)state;
    const char *path = tu_path("v3.db");
    nnt_error err;
    nnt_storage *st = open_rw(path);
    int created = 0;
    nnt_study_record rec = open_study(st, "s", 1, 1, &created);
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 0, "{}", 3, -1, 1.0, &err), NNT_OK);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    exec_sql(path, "ALTER TABLE trials DROP COLUMN mpi_rank;"
                   "UPDATE meta SET value = '3' WHERE key = 'schema_version';");
    assert_int_equal(nnt_storage_open_sqlite(path, NNT_STORAGE_READONLY, &st, &err), NNT_OK);
    assert_int_equal(nnt_storage_find_study(st, "s", &rec, &err), NNT_OK);
    nnt_trial_record *t = NULL;
    size_t n = 0;
    assert_int_equal(nnt_storage_trials_load(st, rec.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].rank, -1);
    nnt_trial_records_free(t, n);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    char buf[16];
    query_text(path, "SELECT value FROM meta WHERE key = 'schema_version'", buf, sizeof buf);
    assert_string_equal(buf, "3");
    st = open_rw(path);
    query_text(path, "SELECT value FROM meta WHERE key = 'schema_version'", buf, sizeof buf);
    assert_string_equal(buf, "4");
    rec = open_study(st, "s", 1, 1, &created);
    assert_int_equal(nnt_storage_trial_rank(st, rec.id, 0, 1, &err), NNT_OK);
    assert_int_equal(nnt_storage_trials_load(st, rec.id, &t, &n, &err), NNT_OK);
    assert_int_equal(t[0].rank, 1);
    nnt_trial_records_free(t, n);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
}

static void test_state_names(void **state)
{
    (void)state;
    for (int s = 0; s < 4; s++)
        assert_int_equal(nnt_trial_state_from_name(nnt_trial_state_name((nnt_trial_state)s)), s);
    assert_string_equal(nnt_trial_state_name(NNT_TRIAL_PRUNED), "pruned");
    assert_int_equal(nnt_trial_state_from_name("bogus"), -1);
}

/* A second back end plugs in through nnt_storage_wrap: calls reach its
 * functions with its context, a function it lacks is a clear error, and
 * closing the handle closes the back end. */
static int fake_closed;
static int fake_trials_load(void *ctx, int64_t study, nnt_trial_record **out, size_t *n,
                            nnt_error *err)
{
    (void)err;
    *out = NULL;
    *n = (size_t)study + (size_t)*(int *)ctx;
    return NNT_OK;
}
static void fake_close(void *ctx) { fake_closed += *(int *)ctx; }

static void test_second_backend(void **state)
{
    (void)state;
    static const nnt_storage_backend fake = {
        .name = "fake", .trials_load = fake_trials_load, .close = fake_close};
    int ctx = 5;
    nnt_storage *st = NULL;
    nnt_error err;
    fake_closed = 0;
    assert_int_equal(nnt_storage_wrap(&fake, &ctx, &st, &err), NNT_OK);
    assert_string_equal(nnt_storage_backend_name(st), "fake");
    nnt_trial_record *t = NULL;
    size_t n = 0;
    assert_int_equal(nnt_storage_trials_load(st, 2, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 7);
    assert_int_equal(nnt_storage_trial_start(st, 1, 0, "{}", 1, -1, 1.0, &err), NNT_ERR_UNSUPPORTED);
    assert_string_equal(err.message, "storage fake: no trial_start");
    /* No flush entry: nothing buffered, nothing to do. */
    assert_int_equal(nnt_storage_flush(st, &err), NNT_OK);
    assert_int_equal(nnt_storage_flush(NULL, &err), NNT_ERR_ARG);
    assert_int_equal(nnt_storage_trials_load(NULL, 2, &t, &n, &err), NNT_ERR_ARG);
    assert_string_equal(err.message, "storage is not open");
    nnt_storage_close(st);
    assert_int_equal(fake_closed, 5);
    /* A back end without close is refused. */
    static const nnt_storage_backend no_close = {.name = "bad"};
    assert_int_equal(nnt_storage_wrap(&no_close, &ctx, &st, &err), NNT_ERR_ARG);
    assert_null(st);
}

/* Rows of trial_epochs a second, plain sqlite3 connection sees. */
static int rows_seen(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* PRAGMA data_version of db: it changes when another connection commits. */
static int data_version(sqlite3 *db)
{
    return rows_seen(db, "PRAGMA data_version");
}

static int report(nnt_storage *st, int64_t study, int number, int fold, int epoch, nnt_error *err)
{
    nnt_epoch_row row;
    memset(&row, 0, sizeof row);
    row.fold = fold;
    row.epoch = epoch;
    row.train.loss = 1.0 / epoch;
    row.valid = row.train;
    row.lr = 0.01;
    row.elapsed_s = epoch;
    return nnt_storage_trial_epoch(st, study, number, &row, err);
}

/* Epoch reports are buffered and written in one transaction: none is seen
 * by another connection (nor any commit made) until the trial finishes,
 * the buffer fills (256 rows) or the handle flushes or closes. The 25 ms
 * age bound is timing: the invisibility checks hold when the reports took
 * less than that, which a loop of a few reports always does unless the
 * machine stalls (then they are skipped, the counts after the flushes are
 * still checked). */
static void test_epoch_batching(void **state)
{
    (void)state;
    const char *path = tu_path("batch.db");
    nnt_storage *st = open_rw(path);
    nnt_study_record rec = open_study(st, "b", 1, 1, NULL);
    nnt_error err;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    const char *count = "SELECT count(*) FROM trial_epochs";
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 0, "{}", 1, -1, 1.0, &err), NNT_OK);
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 1, "{}", 2, -1, 1.0, &err), NNT_OK);

    /* Ten reports of two trials: no commit, nothing seen. */
    int dv0 = data_version(db);
    double t0 = nnt_clock_monotonic();
    for (int e = 1; e <= 5; e++) {
        assert_int_equal(report(st, rec.id, 0, 0, e, &err), NNT_OK);
        assert_int_equal(report(st, rec.id, 1, 0, e, &err), NNT_OK);
    }
    int fast = nnt_clock_monotonic() - t0 < 0.020;
    if (fast) {
        assert_int_equal(rows_seen(db, count), 0);
        assert_int_equal(data_version(db), dv0);
    }
    /* Trial 0 finishes: all ten rows and its state in one commit. */
    nnt_trial_record fin;
    memset(&fin, 0, sizeof fin);
    fin.number = 0;
    fin.state = NNT_TRIAL_COMPLETE;
    fin.value = 0.5;
    fin.epochs = 5;
    fin.finished = 2.0;
    assert_int_equal(nnt_storage_trial_finish(st, rec.id, &fin, &err), NNT_OK);
    assert_int_equal(rows_seen(db, count), 10);
    assert_int_equal(rows_seen(db, "SELECT count(*) FROM trials WHERE state = 'complete'"), 1);

    /* The 256th buffered row writes the group. */
    t0 = nnt_clock_monotonic();
    for (int e = 6; e < 6 + 255; e++) assert_int_equal(report(st, rec.id, 1, 0, e, &err), NNT_OK);
    fast = nnt_clock_monotonic() - t0 < 0.020;
    if (fast) assert_int_equal(rows_seen(db, count), 10);
    assert_int_equal(report(st, rec.id, 1, 0, 261, &err), NNT_OK);
    assert_int_equal(rows_seen(db, count), 266);
    /* An explicit flush, and the handle's own reads, write the rest. */
    assert_int_equal(report(st, rec.id, 1, 0, 262, &err), NNT_OK);
    assert_int_equal(nnt_storage_flush(st, &err), NNT_OK);
    assert_int_equal(rows_seen(db, count), 267);
    assert_int_equal(report(st, rec.id, 1, 1, 1, &err), NNT_OK);
    nnt_epoch_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(nnt_storage_epochs_load(st, rec.id, 1, &rows, &n, &err), NNT_OK);
    assert_int_equal(n, 263);
    assert_int_equal(rows[262].fold, 1);
    nnt_epoch_rows_free(rows);

    /* An unknown trial is refused at the report, not at the flush. */
    assert_int_equal(report(st, rec.id, 9, 0, 1, &err), NNT_ERR_NOT_FOUND);
    tu_assert_contains(err.message, "cannot insert epoch: no trial 9 in study");
    /* A repeated epoch fails the group: the other rows and the trial's
     * state are written one by one, the repeat is dropped and named. */
    assert_int_equal(report(st, rec.id, 1, 0, 300, &err), NNT_OK);
    assert_int_equal(report(st, rec.id, 1, 0, 5, &err), NNT_OK); /* written already */
    fin.number = 1;
    fin.epochs = 300;
    assert_int_equal(nnt_storage_trial_finish(st, rec.id, &fin, &err), NNT_ERR_STORAGE);
    tu_assert_contains(err.message, "cannot insert epoch 5 (fold 0) of trial 1");
    tu_assert_contains(err.message, "UNIQUE");
    assert_int_equal(rows_seen(db, count), 269);
    assert_int_equal(rows_seen(db, "SELECT count(*) FROM trials WHERE state = 'complete'"), 2);

    /* Close writes what is buffered. */
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 2, "{}", 3, -1, 1.0, &err), NNT_OK);
    assert_int_equal(report(st, rec.id, 2, 0, 1, &err), NNT_OK);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    assert_int_equal(rows_seen(db, count), 270);
    sqlite3_close(db);
}

/* A writer killed with epoch rows still buffered (the child _exits without
 * closing: no flush) loses those rows only; the next runner marks its trial
 * interrupted with the last epoch on record. */
static void test_killed_with_buffered_epochs(void **state)
{
    (void)state;
    const char *path = tu_path("killed.db");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        nnt_storage *st = NULL;
        nnt_error err;
        if (nnt_storage_open_sqlite(path, 0, &st, &err) < 0) _exit(2);
        nnt_study_open_request req;
        memset(&req, 0, sizeof req);
        req.name = "k";
        req.create = req.exclusive = req.recover = 1;
        nnt_study_record rec;
        if (nnt_storage_study_open(st, &req, &rec, NULL, &err) < 0) _exit(3);
        if (nnt_storage_trial_start(st, rec.id, 0, "{}", 1, -1, 1.0, &err) < 0) _exit(4);
        for (int e = 1; e <= 4; e++) {
            if (report(st, rec.id, 0, 0, e, &err) < 0) _exit(5);
            if (e == 3 && nnt_storage_flush(st, &err) < 0) _exit(6);
        }
        /* Epoch 4 is buffered: a row is never written by its own report
         * (it is not 25 ms old then), and no report follows. */
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    nnt_storage *st = open_rw(path);
    nnt_study_record rec = open_study(st, "k", 1, 1, NULL);
    nnt_error err;
    nnt_trial_record *t = NULL;
    size_t n = 0;
    assert_int_equal(nnt_storage_trials_load(st, rec.id, &t, &n, &err), NNT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].state, NNT_TRIAL_FAILED);
    assert_int_equal(t[0].interrupted, 1);
    assert_int_equal(t[0].epochs, 3);
    nnt_trial_records_free(t, n);
    nnt_epoch_row *rows = NULL;
    assert_int_equal(nnt_storage_epochs_load(st, rec.id, 0, &rows, &n, &err), NNT_OK);
    assert_int_equal(n, 3);
    nnt_epoch_rows_free(rows);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_and_wal),
        cmocka_unit_test(test_trial_life_cycle),
        cmocka_unit_test(test_interrupted_marking),
        cmocka_unit_test(test_two_studies_and_reopen),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_objective_values_and_migration),
        cmocka_unit_test(test_version3_mpi_rank),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_second_backend),
        cmocka_unit_test(test_epoch_batching),
        cmocka_unit_test(test_killed_with_buffered_epochs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
