/* Reproducible parallel studies (nnt_study_options.deterministic): with the
 * same seed and slots, studies whose workers are perturbed by random sleeps
 * (a different interleaving each run) store the same trials -- parameters,
 * values, states, errors, every reported step and so the pruning decisions --
 * for TPE + ASHA and random + median with 2 and 3 slots; fewer workers than
 * slots give the same study; a resume continues it identically; a time
 * budget leaves a prefix of the same study; a stopped study resumes; and
 * the option checks. */
#include "testutil.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nntune/nntune.h"

/* ---- the objective ------------------------------------------------------------ */

#define STEPS 9

/* Each evaluate call sleeps a pseudo-random 0-2 ms per step, drawn from the
 * run's salt and the order in which calls arrive, so every run interleaves
 * its workers differently. */
typedef struct jitter {
    unsigned salt;
    atomic_uint calls;
    int step_us; /* extra sleep per step (time-budget test) */
} jitter;

static void nap(unsigned *r, int extra_us)
{
    *r = *r * 1103515245u + 12345u;
    long us = (long)((*r >> 16) % 2000u) + extra_us;
    struct timespec ts = {0, us * 1000L};
    nanosleep(&ts, NULL);
}

/* f = (a - 0.3)^2 + (b - 2)^2 / 10, reported at step k as f + 1/k (with a
 * bend that makes the curves cross, so pruning depends on the history);
 * a > 0.85 fails. */
static int curve(void *ctx, const nnt_params *p, nnt_trial *t, double *values, nnt_error *err)
{
    jitter *j = ctx;
    unsigned r = j->salt * 2654435761u + atomic_fetch_add(&j->calls, 1) * 40503u;
    double a = nnt_params_number(p, "a", 0), b = nnt_params_number(p, "b", 0);
    if (a > 0.85) {
        nap(&r, j->step_us);
        return nnt_error_set(err, NNT_ERR_ARG, "a too large: %.4f", a);
    }
    double f = (a - 0.3) * (a - 0.3) + (b - 2) * (b - 2) / 10;
    for (int k = 1; k <= STEPS; k++) {
        nap(&r, j->step_us);
        double v = f + 1.0 / k + 0.2 * sin(3 * a * k) / k;
        if (nnt_trial_report(t, k, v) != 0) return NNT_PRUNED;
    }
    values[0] = f + 1.0 / STEPS;
    return NNT_OK;
}

/* ---- running and comparing ---------------------------------------------------- */

static nnt_space *space_ab(void)
{
    nnt_space *sp = nnt_space_new_any();
    nnt_error err;
    assert_non_null(sp);
    if (nnt_space_set_spec(sp, "a", "-1.0:1.0", &err) < 0 ||
        nnt_space_set_spec(sp, "b", "0.0:4.0", &err) < 0 ||
        nnt_space_set_spec(sp, "c", "x,y,z", &err) < 0)
        fail_msg("space: %s", err.message);
    return sp;
}

static nnt_objective objective_of(jitter *j)
{
    nnt_objective o;
    memset(&o, 0, sizeof o);
    o.name = "curve";
    o.value_name = "cost";
    o.evaluate = curve;
    o.ctx = j;
    o.max_steps = STEPS;
    return o;
}

static nnt_study_options options_of(const nnt_objective *ob, const char *sampler,
                                    const char *pruner, int trials, int jobs, int slots)
{
    nnt_study_options o = nnt_study_options_default();
    o.objective = ob;
    o.name = "det";
    o.sampler = sampler;
    o.sampler_options = !strcmp(sampler, "tpe") ? "{\"n_startup\": 5}" : NULL;
    o.pruner = pruner;
    o.max_trials = trials;
    o.jobs = jobs;
    o.seed = 11;
    o.seed_set = 1;
    o.deterministic = 1;
    o.slots = slots;
    return o;
}

/* One trial as stored, with its reported steps. */
typedef struct stored {
    nnt_trial_record *t;
    size_t n;
    nnt_epoch_row **rows;
    size_t *nr;
    char definition[4096];
    int rc;
    char msg[NNT_ERRMSG_MAX];
} stored;

static stored run(const char *db, const nnt_study_options *o)
{
    stored out;
    memset(&out, 0, sizeof out);
    nnt_space *sp = space_ab();
    nnt_storage *st = NULL;
    nnt_study *s = NULL;
    nnt_error err;
    nnt_error_clear(&err);
    out.rc = tu_study_run(db, o, sp, &st, &s, out.msg, sizeof out.msg);
    nnt_study_free(s);
    nnt_study_record rec;
    if (nnt_storage_find_study(st, o->name, &rec, &err) == NNT_OK) {
        assert_int_equal(nnt_storage_trials_load(st, rec.id, &out.t, &out.n, &err), NNT_OK);
        snprintf(out.definition, sizeof out.definition, "%s", rec.definition ? rec.definition : "");
        out.rows = calloc(out.n + 1, sizeof *out.rows);
        out.nr = calloc(out.n + 1, sizeof *out.nr);
        assert_non_null(out.rows);
        assert_non_null(out.nr);
        for (size_t i = 0; i < out.n; i++)
            assert_int_equal(nnt_storage_epochs_load(st, rec.id, out.t[i].number, &out.rows[i],
                                                     &out.nr[i], &err),
                             NNT_OK);
        nnt_study_record_free(&rec);
    }
    nnt_storage_close(st);
    nnt_space_free(sp);
    return out;
}

static void stored_free(stored *s)
{
    for (size_t i = 0; i < s->n; i++) nnt_epoch_rows_free(s->rows[i]);
    free(s->rows);
    free(s->nr);
    nnt_trial_records_free(s->t, s->n);
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static int count(const stored *s, nnt_trial_state st)
{
    int n = 0;
    for (size_t i = 0; i < s->n; i++) n += s->t[i].state == st;
    return n;
}

/* Trials 0..n-1 of a and b are the same study: everything but times. */
static void assert_same_trials(const stored *a, const stored *b, size_t n)
{
    assert_true(a->n >= n && b->n >= n);
    for (size_t i = 0; i < n; i++) {
        const nnt_trial_record *x = &a->t[i], *y = &b->t[i];
        if (x->number != y->number || x->state != y->state || strcmp(x->params, y->params) ||
            !same_double(x->value, y->value) || x->epochs != y->epochs || x->seed != y->seed ||
            x->interrupted != y->interrupted || x->retry_of != y->retry_of ||
            strcmp(x->error ? x->error : "", y->error ? y->error : "") || a->nr[i] != b->nr[i])
            fail_msg("trial %zu differs: %d %s %.17g e%d '%s' vs %d %s %.17g e%d '%s'", i,
                     (int)x->state, x->params, x->value, x->epochs, x->error ? x->error : "",
                     (int)y->state, y->params, y->value, y->epochs, y->error ? y->error : "");
        for (size_t k = 0; k < a->nr[i]; k++)
            if (a->rows[i][k].epoch != b->rows[i][k].epoch ||
                !same_double(a->rows[i][k].valid.loss, b->rows[i][k].valid.loss))
                fail_msg("trial %zu step %zu differs", i, k);
    }
}

/* ---- tests -------------------------------------------------------------------- */

/* Two perturbed runs (and a run with one worker: the slower, simplest
 * interleaving) of the same study agree. */
static void check_reproducible(const char *sampler, const char *pruner, int slots, int trials)
{
    jitter j1 = {1, 0, 0}, j2 = {2, 0, 0}, j3 = {3, 0, 0};
    nnt_objective o1 = objective_of(&j1), o2 = objective_of(&j2), o3 = objective_of(&j3);
    nnt_study_options a = options_of(&o1, sampler, pruner, trials, slots, 0);
    nnt_study_options b = options_of(&o2, sampler, pruner, trials, slots, 0);
    nnt_study_options c = options_of(&o3, sampler, pruner, trials, 1, slots);
    char pa[64], pb[64], pc[64];
    snprintf(pa, sizeof pa, "%s-%s-%d-a.db", sampler, pruner, slots);
    snprintf(pb, sizeof pb, "%s-%s-%d-b.db", sampler, pruner, slots);
    snprintf(pc, sizeof pc, "%s-%s-%d-c.db", sampler, pruner, slots);
    stored ra = run(tu_path(pa), &a), rb = run(tu_path(pb), &b), rc = run(tu_path(pc), &c);
    assert_int_equal(ra.rc, NNT_OK);
    assert_int_equal(rb.rc, NNT_OK);
    assert_int_equal(rc.rc, NNT_OK);
    assert_int_equal(ra.n, (size_t)trials);
    assert_int_equal(rb.n, (size_t)trials);
    assert_int_equal(rc.n, (size_t)trials);
    /* The study exercises what must reproduce: pruning, failures, completions. */
    assert_true(count(&ra, NNT_TRIAL_PRUNED) > 0);
    assert_true(count(&ra, NNT_TRIAL_COMPLETE) > 0);
    assert_true(count(&ra, NNT_TRIAL_FAILED) > 0);
    assert_same_trials(&ra, &rb, (size_t)trials);
    assert_same_trials(&ra, &rc, (size_t)trials);
    char key[32];
    snprintf(key, sizeof key, "\"slots\":%d", slots);
    tu_assert_contains(ra.definition, key);
    stored_free(&ra);
    stored_free(&rb);
    stored_free(&rc);
}

static void test_tpe_asha_two_slots(void **state)
{
    (void)state;
    check_reproducible("tpe", "asha", 2, 30);
}

static void test_tpe_asha_three_slots(void **state)
{
    (void)state;
    check_reproducible("tpe", "asha", 3, 30);
}

static void test_random_median(void **state)
{
    (void)state;
    check_reproducible("random", "median", 2, 30);
}

/* 10 trials, then a resume to 20, equal a straight run of 20. */
static void test_resume_continues(void **state)
{
    (void)state;
    jitter j1 = {4, 0, 0}, j2 = {5, 0, 0};
    nnt_objective o1 = objective_of(&j1), o2 = objective_of(&j2);
    nnt_study_options straight = options_of(&o1, "tpe", "asha", 20, 2, 0);
    stored rs = run(tu_path("straight.db"), &straight);
    nnt_study_options first = options_of(&o2, "tpe", "asha", 10, 2, 0);
    stored r1 = run(tu_path("resumed.db"), &first);
    assert_int_equal(r1.rc, NNT_OK);
    assert_int_equal(r1.n, 10);
    /* The resume says nothing of determinism: it is inherited from the
     * stored definition, as the CLI does. */
    nnt_study_definition def;
    nnt_error err;
    assert_int_equal(nnt_study_definition_parse(r1.definition, &def, &err), NNT_OK);
    assert_int_equal(def.slots, 2);
    nnt_study_options second = options_of(&o2, "tpe", "asha", 20, 2, 0);
    second.deterministic = 0;
    nnt_study_options_inherit(&second, &def);
    assert_int_equal(second.deterministic, 1);
    assert_int_equal(second.slots, 2);
    stored r2 = run(tu_path("resumed.db"), &second);
    nnt_study_definition_free(&def);
    assert_int_equal(r2.rc, NNT_OK);
    assert_int_equal(rs.n, 20);
    assert_int_equal(r2.n, 20);
    assert_true(count(&rs, NNT_TRIAL_PRUNED) > 0);
    assert_same_trials(&rs, &r2, 20);
    stored_free(&rs);
    stored_free(&r1);
    stored_free(&r2);
}

/* A time budget stops handing out trials; running ones finish, so the
 * stored trials are the first n of the study a trial budget of n gives. */
static void test_time_budget_prefix(void **state)
{
    (void)state;
    jitter j1 = {6, 0, 3000}, j2 = {7, 0, 0};
    nnt_objective o1 = objective_of(&j1), o2 = objective_of(&j2);
    nnt_study_options timed = options_of(&o1, "tpe", "asha", 0, 2, 0);
    timed.max_seconds = 0.3;
    stored rt = run(tu_path("timed.db"), &timed);
    assert_int_equal(rt.rc, NNT_OK);
    assert_true(rt.n >= 2);
    for (size_t i = 0; i < rt.n; i++) {
        assert_int_equal(rt.t[i].number, (int)i);
        assert_int_equal(rt.t[i].interrupted, 0);
        assert_true(rt.t[i].state != NNT_TRIAL_RUNNING);
    }
    nnt_study_options counted = options_of(&o2, "tpe", "asha", (int)rt.n, 2, 0);
    stored rc = run(tu_path("counted.db"), &counted);
    assert_int_equal(rc.rc, NNT_OK);
    assert_int_equal(rc.n, rt.n);
    assert_same_trials(&rt, &rc, rt.n);
    stored_free(&rt);
    stored_free(&rc);
}

/* Stops the study (ctx) at its 6th evaluate call. */
typedef struct stopper {
    jitter j;
    nnt_study *study;
} stopper;

static int stopping(void *ctx, const nnt_params *p, nnt_trial *t, double *values, nnt_error *err)
{
    stopper *st = ctx;
    if (atomic_load(&st->j.calls) == 5 && st->study) nnt_study_stop(st->study);
    return curve(&st->j, p, t, values, err);
}

/* A stop interrupts the running trials; the resume reruns them first and
 * goes on to the budget (no wait is left hanging). */
static void test_stop_and_resume(void **state)
{
    (void)state;
    stopper st = {{9, 0, 0}, NULL};
    nnt_objective ob = objective_of(&st.j);
    ob.evaluate = stopping;
    ob.ctx = &st;
    nnt_study_options o = options_of(&ob, "tpe", "asha", 16, 2, 0);
    nnt_space *sp = space_ab();
    nnt_storage *stg = NULL;
    nnt_error err;
    const char *db = tu_path("stopped.db");
    assert_int_equal(nnt_storage_open_sqlite(db, 0, &stg, &err), NNT_OK);
    assert_int_equal(nnt_study_create(&o, sp, NULL, stg, &st.study, &err), NNT_OK);
    assert_int_equal(nnt_study_run(st.study, &err), NNT_OK);
    nnt_study_free(st.study);
    st.study = NULL;
    nnt_storage_close(stg);
    nnt_space_free(sp);
    stored r2 = run(db, &o);
    assert_int_equal(r2.rc, NNT_OK);
    int interrupted = 0, retries = 0, done = 0;
    for (size_t i = 0; i < r2.n; i++) {
        interrupted += r2.t[i].interrupted;
        retries += r2.t[i].retry_of >= 0;
        done += !r2.t[i].interrupted;
        assert_true(r2.t[i].state != NNT_TRIAL_RUNNING);
    }
    assert_true(interrupted >= 1);
    assert_int_equal(retries, interrupted);
    assert_int_equal(done, 16);
    stored_free(&r2);
}

/* What depends on timing is refused, and another slot count is another study. */
static void test_option_checks(void **state)
{
    (void)state;
    jitter j = {8, 0, 0};
    nnt_objective ob = objective_of(&j);
    nnt_error err;
    nnt_study_options o = options_of(&ob, "random", "none", 4, 2, 0);
    o.trial_time_limit_s = 5;
    assert_int_equal(nnt_study_options_check(&o, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "a deterministic study cannot have a trial time limit");
    o = options_of(&ob, "random", "none", 4, 2, 0);
    o.objective = NULL;
    o.n_costs = 1;
    o.costs[0] = NNT_COST_TRAIN_TIME;
    assert_int_equal(nnt_study_options_check(&o, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "objectives: train_time is a measured time");
    o = options_of(&ob, "random", "none", 4, 2, 0);
    o.deterministic = 2;
    assert_int_equal(nnt_study_options_check(&o, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "options.deterministic: expected 0 or 1, got 2");
    o = options_of(&ob, "random", "none", 4, 2, -1);
    assert_int_equal(nnt_study_options_check(&o, &err), NNT_ERR_ARG);
    tu_assert_contains(err.message, "options.slots: expected 1..4096 (0: jobs), got -1");

    /* Stored with 2 slots; resumed with 3 is another study. */
    o = options_of(&ob, "random", "none", 4, 2, 0);
    stored r1 = run(tu_path("slots.db"), &o);
    assert_int_equal(r1.rc, NNT_OK);
    tu_assert_contains(r1.definition, "\"slots\":2");
    nnt_study_options o3 = options_of(&ob, "random", "none", 6, 3, 0);
    stored r2 = run(tu_path("slots.db"), &o3);
    assert_int_equal(r2.rc, NNT_ERR_ARG);
    tu_assert_contains(r2.msg, "slots");
    assert_int_equal(r2.n, 4);
    /* A free-running study stores no slots. */
    nnt_study_options fr = options_of(&ob, "random", "none", 2, 2, 0);
    fr.deterministic = 0;
    fr.name = "free";
    stored r3 = run(tu_path("slots.db"), &fr);
    assert_int_equal(r3.rc, NNT_OK);
    assert_null(strstr(r3.definition, "\"slots\""));
    stored_free(&r1);
    stored_free(&r2);
    stored_free(&r3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tpe_asha_two_slots),
        cmocka_unit_test(test_tpe_asha_three_slots),
        cmocka_unit_test(test_random_median),
        cmocka_unit_test(test_resume_continues),
        cmocka_unit_test(test_time_budget_prefix),
        cmocka_unit_test(test_stop_and_resume),
        cmocka_unit_test(test_option_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
