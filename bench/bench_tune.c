/* Study benchmarks (not a test):
 *   1. sampler and storage overhead per trial with 1000 trials on record
 *      (no training: propose + the storage writes of a 20-epoch trial);
 *   2. trials per hour with 1 and 2 jobs on a small fixed training task;
 *   3. resident memory over a 200-trial study: first 100 vs last 100 trials.
 * usage: bench_tune [--quick] [--jobs-only] [--rss-only] [--overhead-only] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "nntune/nntune.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static void die(const char *what, const nnt_error *e)
{
    fprintf(stderr, "bench_tune: %s: %s\n", what, e ? e->message : "");
    exit(1);
}

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 256, "%s/%s", tmpdir, name);
    return b;
}

static void remove_db(const char *path)
{
    char p[300];
    const char *suffix[] = {"", "-wal", "-shm", ".lock"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

/* ---- 1. overhead ---------------------------------------------------------------- */

static void write_trial(nnt_storage *st, int64_t study, int number, const char *params, int epochs)
{
    nnt_error err;
    if (nnt_storage_trial_start(st, study, number, params, (uint64_t)number, -1, 1.0, &err) < 0)
        die("trial_start", &err);
    nnt_epoch_row row;
    memset(&row, 0, sizeof row);
    for (int e = 1; e <= epochs; e++) {
        row.epoch = e;
        row.train.loss = 1.0 / e;
        row.train.accuracy = 0.9;
        row.train.rmse = row.train.mae = row.train.r2 = NAN;
        row.valid = row.train;
        row.lr = 0.01;
        row.elapsed_s = e * 0.1;
        if (nnt_storage_trial_epoch(st, study, number, &row, &err) < 0) die("trial_epoch", &err);
    }
    nnt_trial_record rec;
    memset(&rec, 0, sizeof rec);
    rec.number = number;
    rec.state = NNT_TRIAL_COMPLETE;
    rec.value = 0.9;
    rec.value_spread = NAN;
    rec.finished = 2.0;
    rec.duration = 1.0;
    rec.epochs = epochs;
    if (nnt_storage_trial_finish(st, study, &rec, &err) < 0) die("trial_finish", &err);
}

static void bench_overhead(int stored, int measured)
{
    nnt_error err;
    nnt_space *space = NULL;
    if (nnt_space_default(&space, &err) < 0) die("default space", &err);
    int n = nnt_space_size(space);
    const char *samplers[] = {"random", "sobol", "grid"};
    const char *db = tmp_path("overhead.db");
    printf("1. sampler + storage overhead per trial (default space, %d trials on record, "
           "20 epochs per trial)\n", stored);
    for (int k = 0; k < 3; k++) {
        remove_db(db);
        nnt_storage *st = NULL;
        if (nnt_storage_open_sqlite(db, 0, &st, &err) < 0) die("storage", &err);
        nnt_study_open_request req;
        memset(&req, 0, sizeof req);
        req.name = "bench";
        req.definition = "{}";
        req.metric = "accuracy";
        req.maximize = 1;
        req.create = req.exclusive = req.recover = 1;
        nnt_study_record rec;
        if (nnt_storage_study_open(st, &req, &rec, NULL, &err) < 0) die("study_open", &err);
        nnt_sampler sm;
        if (nnt_sampler_create_seeded(samplers[k], space, 1, &sm, &err) < 0) die("sampler", &err);
        int total = stored + measured;
        double *xs = calloc((size_t)total * n, sizeof *xs);
        uint8_t *act = calloc((size_t)total * n, 1);
        nnt_trial_view *views = calloc((size_t)total, sizeof *views);
        double t_prop = 0, t_store = 0;
        for (int i = 0; i < total; i++) {
            nnt_history h = {views, i};
            double t0 = now();
            int r = sm.propose(sm.ctx, space, &h, i, nnt_seed_derive(1, i), xs + (size_t)i * n,
                               act + (size_t)i * n, &err);
            if (r == NNT_ERR_NOT_FOUND) die("grid exhausted", NULL);
            if (r < 0) die("propose", &err);
            char *params = nnt_space_params_json(space, xs + (size_t)i * n, act + (size_t)i * n);
            double t1 = now();
            write_trial(st, rec.id, i, params, 20);
            double t2 = now();
            free(params);
            views[i].number = i;
            views[i].state = NNT_TRIAL_COMPLETE;
            views[i].x = xs + (size_t)i * n;
            views[i].active = act + (size_t)i * n;
            views[i].value = -0.9;
            if (i >= stored) {
                t_prop += t1 - t0;
                t_store += t2 - t1;
            }
        }
        printf("   %-6s  propose %8.1f us   storage %8.1f us (start, 20 epochs, finish)   total %8.1f us\n",
               samplers[k], 1e6 * t_prop / measured, 1e6 * t_store / measured,
               1e6 * (t_prop + t_store) / measured);
        /* Reading the study back, as a resume does. */
        if (k == 0) {
            double t0 = now();
            nnt_trial_record *t = NULL;
            size_t nt = 0;
            if (nnt_storage_trials_load(st, rec.id, &t, &nt, &err) < 0) die("trials_load", &err);
            double t1 = now();
            printf("   load %zu trials on resume: %.1f ms\n", nt, 1e3 * (t1 - t0));
            nnt_trial_records_free(t, nt);
        }
        free(xs);
        free(act);
        free(views);
        nnt_sampler_free(&sm);
        nnt_study_record_free(&rec);
        nnt_storage_close(st);
    }
    nnt_space_free(space);
}

/* ---- a small fixed task ------------------------------------------------------------- */

static nnt_dataset *make_data(size_t rows, size_t feats, int classes, uint64_t seed)
{
    float *x = malloc(rows * feats * sizeof *x);
    int32_t *y = malloc(rows * sizeof *y);
    nnt_rng r;
    nnt_rng_seed(&r, seed);
    for (size_t i = 0; i < rows; i++) {
        int c = (int)(i % (size_t)classes);
        y[i] = c;
        for (size_t j = 0; j < feats; j++)
            x[i * feats + j] = (float)(nnt_rng_normal(&r) + ((int)(j % (size_t)classes) == c ? 1.5 : 0));
    }
    char names[16][16];
    const char *np[16];
    for (int c = 0; c < classes; c++) {
        snprintf(names[c], sizeof names[c], "c%d", c);
        np[c] = names[c];
    }
    nnt_dataset_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.rows = rows;
    spec.features = feats;
    spec.x = x;
    spec.labels = y;
    spec.n_classes = classes;
    spec.class_names = np;
    nnt_dataset *ds = NULL;
    nnt_error err;
    if (nnt_dataset_from_arrays(&spec, &ds, &err) < 0) die("dataset", &err);
    free(x);
    free(y);
    return ds;
}

typedef struct rss_log {
    long *kb;
    int n, cap;
} rss_log;

static long vm_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) {
            kb = atol(line + 6);
            break;
        }
    fclose(f);
    return kb;
}

static void on_event(const nnt_study_event *e, void *ud)
{
    rss_log *l = ud;
    if (!l || e->kind != NNT_EVENT_TRIAL_END || l->n >= l->cap) return;
    l->kb[l->n++] = vm_rss_kb();
}

static double run_study(const char *db, nnt_dataset *ds, const char *const *specs, int n_specs,
                        int trials, int jobs, int epochs, int hidden, rss_log *log)
{
    nnt_error err;
    remove_db(db);
    nnt_space *sp = nnt_space_new();
    for (int i = 0; i < n_specs; i++) {
        char name[64];
        const char *eq = strchr(specs[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - specs[i]), specs[i]);
        if (nnt_space_set_spec(sp, name, eq + 1, &err) < 0) die("space", &err);
    }
    nnt_study_options o = nnt_study_options_default();
    o.sampler = "random";
    o.pruner = "none"; /* as before the library's default became asha */
    o.max_trials = trials;
    o.jobs = jobs;
    o.base_train.max_epochs = epochs;
    o.base_train.early_stopping = 0;
    o.base_train.batch_size = 32;
    o.base_model.n_hidden = 1;
    o.base_model.hidden[0] = hidden;
    o.model_out = tmp_path("bench-best.nnt");
    o.on_event = on_event;
    o.userdata = log;
    nnt_storage *st = NULL;
    if (nnt_storage_open_sqlite(db, 0, &st, &err) < 0) die("storage", &err);
    nnt_study_data data = {ds, NULL, NULL};
    nnt_study *s = NULL;
    if (nnt_study_create(&o, sp, &data, st, &s, &err) < 0) die("study", &err);
    double t0 = now();
    if (nnt_study_run(s, &err) < 0) die("run", &err);
    double t = now() - t0;
    nnt_study_summary sum;
    nnt_study_get_summary(s, &sum);
    if (sum.n_complete != trials) {
        fprintf(stderr, "bench_tune: %d of %d trials complete\n", sum.n_complete, trials);
        exit(1);
    }
    nnt_study_free(s);
    nnt_storage_close(st);
    nnt_space_free(sp);
    return t;
}

/* ---- 2. trials per hour --------------------------------------------------------------- */

static void bench_jobs(int trials)
{
    nnt_dataset *ds = make_data(20000, 64, 4, 5);
    const char *specs[] = {"lr=0.001:0.05:log"};
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    printf("2. trials per hour, small fixed task (20000 x 64, 4 classes; MLP 64-256-4, 10 epochs,\n"
           "   batch 32, hold-out 20%%; %d trials; %s; %ld cores online)\n", trials,
           nnt_blas_info(), nc);
    double c0 = cpu_seconds();
    double t1 = run_study(tmp_path("jobs1.db"), ds, specs, 1, trials, 1, 10, 256, NULL);
    double c1 = cpu_seconds();
    double t2 = run_study(tmp_path("jobs2.db"), ds, specs, 1, trials, 2, 10, 256, NULL);
    double c2 = cpu_seconds();
    printf("   1 job : %6.2f s  %8.0f trials/hour  (CPU %.2f s, %.2f cores busy)\n", t1,
           trials * 3600.0 / t1, c1 - c0, (c1 - c0) / t1);
    printf("   2 jobs: %6.2f s  %8.0f trials/hour  (CPU %.2f s, %.2f cores busy)\n", t2,
           trials * 3600.0 / t2, c2 - c1, (c2 - c1) / t2);
    printf("   speed-up 2 jobs / 1 job: %.2fx (target >= 1.8x)\n", t1 / t2);
    nnt_dataset_free(ds);
}

/* ---- 3. memory over a long study ----------------------------------------------------- */

static void bench_rss(int trials)
{
    nnt_dataset *ds = make_data(400, 8, 3, 9);
    const char *specs[] = {"lr=0.001:0.1:log", "neurons=8:32", "activation=relu,tanh"};
    rss_log log = {calloc((size_t)trials, sizeof(long)), 0, trials};
    double t = run_study(tmp_path("rss.db"), ds, specs, 3, trials, 2, 5, 16, &log);
    int half = log.n / 2;
    long max1 = 0, max2 = 0;
    for (int i = 0; i < log.n; i++) {
        if (i < half && log.kb[i] > max1) max1 = log.kb[i];
        if (i >= half && log.kb[i] > max2) max2 = log.kb[i];
    }
    double growth = max1 > 0 ? 100.0 * (double)(max2 - max1) / (double)max1 : 0;
    printf("3. resident memory over a %d-trial study (400 x 8, 2 jobs, %.1f s)\n", log.n, t);
    printf("   peak VmRSS trials 1-%d: %ld kB, trials %d-%d: %ld kB, growth %+.2f%% (limit +5%%) %s\n",
           half, max1, half + 1, log.n, max2, growth, growth <= 5.0 ? "OK" : "OVER");
    free(log.kb);
    nnt_dataset_free(ds);
}

int main(int argc, char **argv)
{
    int quick = 0, only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--overhead-only")) only = 1;
        else if (!strcmp(argv[i], "--jobs-only")) only = 2;
        else if (!strcmp(argv[i], "--rss-only")) only = 3;
        else {
            fprintf(stderr, "usage: bench_tune [--quick] [--overhead-only|--jobs-only|--rss-only]\n");
            return 2;
        }
    }
    const char *base = getenv("NNT_BENCH_DIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/nnt-bench-tune-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    if (!only || only == 1) bench_overhead(1000, quick ? 100 : 300);
    if (!only || only == 2) bench_jobs(quick ? 8 : 24);
    if (!only || only == 3) bench_rss(200);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return 0;
}
