/* Studies with 3-4 worker threads through every path that crosses threads:
 * pruning (ASHA, median), the refit with the best model saved as it is found,
 * and nnt_study_stop during the trials and during the refit. Small enough for
 * the ThreadSanitizer build (make test-tsan), which is what these are for;
 * the normal build checks the same outcomes. */
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "nntune/nntune.h"

#define ROWS 150

static nnt_space *space_lr_neurons(void)
{
    nnt_space *sp = nnt_space_new();
    nnt_error err;
    if (nnt_space_set_spec(sp, "lr", "0.003:0.3:log", &err) != NNT_OK) fail_msg("%s", err.message);
    if (nnt_space_set_spec(sp, "neurons", "4:16", &err) != NNT_OK) fail_msg("%s", err.message);
    return sp;
}

static nnt_study_options options(const char *sampler, int trials, int jobs)
{
    nnt_study_options o = nnt_study_options_default();
    o.sampler = sampler;
    o.max_trials = trials;
    o.jobs = jobs;
    o.seed = 5;
    o.seed_set = 1;
    o.base_train.max_epochs = 9;
    o.base_train.early_stopping = 0;
    o.base_model.n_hidden = 1;
    o.base_model.hidden[0] = 8;
    return o;
}

typedef struct stop_ctx {
    nnt_study *study;
    nnt_study_event_kind on; /* stop at the n-th event of this kind */
    int n;
    atomic_int seen;
    atomic_int refit_events;
} stop_ctx;

static void on_event(const nnt_study_event *e, void *ud)
{
    stop_ctx *c = ud;
    if (e->kind == NNT_EVENT_REFIT_START || e->kind == NNT_EVENT_REFIT_END)
        atomic_fetch_add(&c->refit_events, 1);
    if (c->n > 0 && e->kind == c->on && atomic_fetch_add(&c->seen, 1) + 1 == c->n && c->study)
        nnt_study_stop(c->study);
}

/* Runs a study to its end; returns the summary's copy in *sum (strings not
 * kept) and run's status. */
static int run(const char *db, nnt_study_options *o, stop_ctx *c, nnt_study_summary *sum,
               char *msg, size_t msg_size)
{
    nnt_dataset *ds = tu_blobs(21, ROWS);
    nnt_dataset *test = tu_blobs(22, 60);
    nnt_study_data data = {ds, NULL, test};
    nnt_space *sp = space_lr_neurons();
    nnt_storage *st = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &st, &err), NNT_OK);
    o->on_event = on_event;
    o->userdata = c;
    nnt_study *s = NULL;
    int rc = nnt_study_create(o, sp, &data, st, &s, &err);
    c->study = s;
    if (rc == NNT_OK) rc = nnt_study_run(s, &err);
    snprintf(msg, msg_size, "%s", err.message);
    if (s) nnt_study_get_summary(s, sum);
    nnt_study_free(s);
    nnt_storage_close(st);
    nnt_space_free(sp);
    nnt_dataset_free(test);
    nnt_dataset_free(ds);
    return rc;
}

static void test_pruning_and_refit_4_jobs(void **state)
{
    (void)state;
    const char *pruners[] = {"asha", "median"};
    for (int k = 0; k < 2; k++) {
        nnt_study_options o = options(k == 0 ? "random" : "tpe", 16, 4);
        o.pruner = pruners[k];
        if (k == 1) o.pruner_options = "{\"n_startup\": 2, \"n_warmup_epochs\": 1}";
        o.refit = 1;
        char db[64], model[64];
        snprintf(db, sizeof db, "prune-%s.db", pruners[k]);
        snprintf(model, sizeof model, "prune-%s.nnt", pruners[k]);
        const char *model_path = tu_path(model);
        o.model_out = model_path;
        stop_ctx c;
        memset(&c, 0, sizeof c);
        nnt_study_summary sum;
        char msg[NNT_ERRMSG_MAX];
        int rc = run(tu_path(db), &o, &c, &sum, msg, sizeof msg);
        if (rc != NNT_OK) fail_msg("%s: %s", pruners[k], msg);
        assert_int_equal(sum.n_trials, 16);
        assert_int_equal(sum.n_running, 0);
        assert_int_equal(sum.n_complete + sum.n_pruned, 16);
        assert_true(sum.best_number >= 0);
        assert_int_equal(sum.refit, 1);
        assert_int_equal(atomic_load(&c.refit_events), 2);
        nnt_model *m = NULL;
        nnt_error err;
        assert_int_equal(nnt_model_load(model_path, &m, &err), NNT_OK);
        nnt_model_free(m);
    }
}

/* A stop while 3 workers train: no new trial starts, every trial on record
 * is finished (the interrupted ones as failed), none is left running. */
static void test_stop_during_trials_3_jobs(void **state)
{
    (void)state;
    nnt_study_options o = options("random", 40, 3);
    o.pruner = "asha";
    stop_ctx c;
    memset(&c, 0, sizeof c);
    c.on = NNT_EVENT_TRIAL_END;
    c.n = 4;
    nnt_study_summary sum;
    char msg[NNT_ERRMSG_MAX];
    int rc = run(tu_path("stop.db"), &o, &c, &sum, msg, sizeof msg);
    if (rc != NNT_OK) fail_msg("%s", msg);
    assert_true(sum.stopped);
    assert_true(sum.n_trials >= 4 && sum.n_trials < 40);
    assert_int_equal(sum.n_running, 0);
    assert_int_equal(sum.n_complete + sum.n_pruned + sum.n_failed, sum.n_trials);
}

/* A stop at the refit's start (Ctrl-C in the CLI) ends the refit and keeps
 * the best trial's model. */
static void test_stop_during_refit_4_jobs(void **state)
{
    (void)state;
    nnt_study_options o = options("random", 8, 4);
    o.refit = 1;
    const char *model_path = tu_path("stopped.nnt");
    o.model_out = model_path;
    stop_ctx c;
    memset(&c, 0, sizeof c);
    c.on = NNT_EVENT_REFIT_START;
    c.n = 1;
    nnt_study_summary sum;
    char msg[NNT_ERRMSG_MAX];
    int rc = run(tu_path("stop-refit.db"), &o, &c, &sum, msg, sizeof msg);
    if (rc != NNT_OK) fail_msg("%s", msg);
    assert_true(sum.stopped);
    assert_int_equal(sum.refit, -1);
    assert_int_equal(sum.n_running, 0);
    assert_int_equal(sum.n_trials, 8);
    nnt_model *m = NULL;
    nnt_error err;
    assert_int_equal(nnt_model_load(model_path, &m, &err), NNT_OK);
    nnt_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pruning_and_refit_4_jobs),
        cmocka_unit_test(test_stop_during_trials_3_jobs),
        cmocka_unit_test(test_stop_during_refit_4_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
