/* nntune tune under mpirun or srun: every rank runs the same command; rank 0
 * opens the storage and coordinates, the other ranks run trials (the
 * library's libnntune_mpi, include/nntune/mpi.h). This file is the CLI's
 * side: starting MPI when a launcher started several ranks, sharing rank 0's
 * stored study definition and data files, agreeing on failures so that no
 * rank waits forever, and ending the job. Built without MPI, it only tells a
 * user who runs nntune under a launcher how to get MPI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_common.h"
#include "tune_mpi.h"
#ifdef NNT_HAVE_MPI
#include "nntune/mpi.h"
#endif

#define CMD TUNE_CMD

/* The number of ranks a launcher says it started (0: none seen). SLURM's
 * SLURM_NTASKS is also set in a batch script that runs nntune once, so a
 * Slurm step is recognised by SLURM_STEP_NUM_TASKS (set by srun). */
static long launcher_size(const char **var)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                                       "SLURM_STEP_NUM_TASKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atol(v) > 0) {
            *var = vars[i];
            return atol(v);
        }
    }
    return 0;
}

#ifndef NNT_HAVE_MPI

int tune_mpi_begin(tune_mpi *m, tune_settings *s)
{
    (void)s;
    memset(m, 0, sizeof *m);
    const char *var = NULL;
    long n = launcher_size(&var);
    if (n > 1) {
        cli_error(CMD,
                  "started by an MPI launcher (%s=%ld), but this nntune was built without MPI: "
                  "install Open MPI (Debian: apt-get install libopenmpi-dev openmpi-bin, or "
                  "scripts/install-deps.sh) and rebuild (make), or run nntune without "
                  "mpirun/srun (docs/cluster.md)",
                  var, n);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int tune_mpi_share_text(tune_mpi *m, char **text) { (void)m; (void)text; return EXIT_OK; }
void tune_mpi_slots(const tune_mpi *m, const tune_settings *s, nnt_study_options *so) { (void)m; (void)s; (void)so; }
int tune_mpi_agree(tune_mpi *m, int *rc) { (void)m; return *rc == EXIT_OK; }
int tune_mpi_share_data(tune_mpi *m, tune_settings *s) { (void)m; (void)s; return EXIT_OK; }
const char *tune_mpi_worker_storage(tune_mpi *m) { (void)m; return NULL; }
int tune_mpi_run(tune_mpi *m, const tune_settings *s, nnt_study *study, nnt_error *err)
{
    (void)m;
    (void)s;
    return nnt_study_run(study, err);
}
int tune_mpi_setup(tune_mpi *m, nnt_study *st, nnt_study_options *so) { (void)m; (void)st; (void)so; return EXIT_OK; }
int tune_mpi_check(tune_mpi *m, nnt_study *study) { (void)m; (void)study; return EXIT_OK; }
int tune_mpi_end(tune_mpi *m, int rc) { (void)m; return rc; }

#else

int tune_mpi_begin(tune_mpi *m, tune_settings *s)
{
    memset(m, 0, sizeof *m);
    const char *var = NULL;
    if (launcher_size(&var) <= 1) return EXIT_OK;
    nnt_error err;
    nnt_error_clear(&err);
    if (nnt_mpi_init(&m->rank, &m->size, &err) < 0) {
        cli_error(CMD, "%s", err.message);
        return EXIT_RUNTIME;
    }
    m->on = m->size > 1;
    if (!m->on) {
        nnt_mpi_finalize();
        return EXIT_OK;
    }
    if (m->rank != 0) {
        s->quiet = 1;
        s->json = 0;
        m->scratch = NULL;
        const char *t = getenv("TMPDIR");
        char buf[4096];
        snprintf(buf, sizeof buf, "%s/nntune-rank%d-XXXXXX", t && t[0] ? t : "/tmp", m->rank);
        if (mkdtemp(buf)) m->scratch = strdup(buf);
    }
    int rc = m->rank != 0 && !m->scratch ? EXIT_RUNTIME : EXIT_OK;
    if (rc != EXIT_OK) cli_error(CMD, "MPI rank %d: cannot make a scratch folder in $TMPDIR", m->rank);
    tune_mpi_agree(m, &rc);
    return rc;
}

void tune_mpi_slots(const tune_mpi *m, const tune_settings *s, nnt_study_options *so)
{
    if (!m->on || !so->deterministic || so->slots > 0) return;
    long jobs = s->jobs > 0 ? s->jobs : sysconf(_SC_NPROCESSORS_ONLN);
    long n = (long)(m->size - 1) * (jobs > 0 ? jobs : 1);
    so->slots = n > 4096 ? 4096 : (int)n;
}

int tune_mpi_share_text(tune_mpi *m, char **text)
{
    if (!m->on) return EXIT_OK;
    long len = m->rank == 0 && *text ? (long)strlen(*text) + 1 : -1;
    void *p = m->rank == 0 ? *text : NULL;
    nnt_error err;
    if (nnt_mpi_bcast_bytes(&p, &len, &err) < 0) {
        cli_error(CMD, "%s", err.message);
        return EXIT_RUNTIME;
    }
    if (m->rank != 0) *text = len > 0 ? p : NULL;
    return EXIT_OK;
}

int tune_mpi_agree(tune_mpi *m, int *rc)
{
    if (!m->on) return *rc == EXIT_OK;
    if (nnt_mpi_all_ok(*rc == EXIT_OK)) return 1;
    if (*rc == EXIT_OK) *rc = EXIT_RUNTIME; /* another rank failed and said why */
    return 0;
}

/* A file's bytes (NULL, *len -1 when it is not a readable regular file). */
static void *slurp(const char *path, long *len)
{
    *len = -1;
    struct stat st;
    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    void *p = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (p && fread(p, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
        *len = (long)st.st_size;
    } else {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

int tune_mpi_share_data(tune_mpi *m, tune_settings *s)
{
    if (!m->on || s->mpi_data_each) return EXIT_OK;
    const char **paths[6] = {&s->data, &s->labels, &s->valid, &s->valid_labels, &s->test,
                             &s->test_labels};
    int rc = EXIT_OK;
    for (int i = 0; i < 6; i++) {
        /* A name that is no file on rank 0 (a built-in data set) stays a
         * name; a file rank 0 cannot read fails there when it loads. */
        long len = -1;
        void *p = m->rank == 0 ? slurp(*paths[i], &len) : NULL;
        nnt_error err;
        if (nnt_mpi_bcast_bytes(&p, &len, &err) < 0) {
            cli_error(CMD, "MPI rank %d: %s", m->rank, err.message);
            rc = EXIT_RUNTIME;
        } else if (m->rank != 0 && len >= 0 && rc == EXIT_OK) {
            const char *base = strrchr(*paths[i], '/');
            base = base ? base + 1 : *paths[i];
            size_t n = strlen(m->scratch) + strlen(base) + 16;
            char *local = malloc(n);
            FILE *f = NULL;
            if (local) snprintf(local, n, "%s/%d-%s", m->scratch, i, base);
            if (!local || !(f = fopen(local, "wb")) || fwrite(p, 1, (size_t)len, f) != (size_t)len ||
                fclose(f) != 0) {
                cli_error(CMD, "MPI rank %d: cannot write the copy of %s in %s", m->rank, *paths[i],
                          m->scratch);
                rc = EXIT_RUNTIME;
                free(local);
            } else {
                m->copies[i] = local;
                *paths[i] = local;
            }
        }
        free(p);
    }
    tune_mpi_agree(m, &rc);
    return rc;
}

const char *tune_mpi_worker_storage(tune_mpi *m)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/worker.db", m->scratch);
    return path;
}

int tune_mpi_setup(tune_mpi *m, nnt_study *st, nnt_study_options *so)
{
    if (!m->on) return EXIT_OK;
    nnt_error err;
    nnt_error_clear(&err);
    if (m->rank == 0) {
        if (nnt_mpi_setup_send(st, &err) < 0) {
            cli_error(CMD, "%s", err.message);
            return EXIT_RUNTIME;
        }
        return st ? EXIT_OK : EXIT_RUNTIME;
    }
    nnt_mpi_setup su;
    if (nnt_mpi_setup_recv(&su, &err) < 0) {
        cli_error(CMD, "%s", err.message);
        return EXIT_RUNTIME;
    }
    if (!su.ok) return EXIT_RUNTIME; /* rank 0 said why */
    nnt_mpi_setup_apply(&su, so);
    m->setup = malloc(sizeof su);
    if (!m->setup) {
        cli_error(CMD, "out of memory");
        return EXIT_RUNTIME;
    }
    memcpy(m->setup, &su, sizeof su);
    return EXIT_OK;
}

int tune_mpi_check(tune_mpi *m, nnt_study *study)
{
    if (!m->on || m->rank == 0) return EXIT_OK;
    nnt_error err;
    nnt_error_clear(&err);
    if (nnt_mpi_setup_check(study, m->setup, m->rank, &err) < 0) {
        cli_error(CMD, "%s", err.message);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int tune_mpi_run(tune_mpi *m, const tune_settings *s, nnt_study *study, nnt_error *err)
{
    if (!m->on) return nnt_study_run(study, err);
    nnt_mpi_options mo = nnt_mpi_options_default();
    if (s->mpi_timeout > 0) mo.timeout_s = s->mpi_timeout;
    if (m->rank == 0) return nnt_mpi_study_run(study, &mo, &m->given_up, err);
    return nnt_mpi_worker_run(study, s->jobs, &mo, err);
}

int tune_mpi_end(tune_mpi *m, int rc)
{
    if (!m->on) return rc;
    for (int i = 0; i < 6; i++) {
        if (m->copies[i]) unlink(m->copies[i]);
        free(m->copies[i]);
    }
    if (m->scratch) {
        char db[4200];
        const char *sfx[] = {"", "-wal", "-shm", ".lock"};
        for (int i = 0; i < 4; i++) {
            snprintf(db, sizeof db, "%s/worker.db%s", m->scratch, sfx[i]);
            unlink(db);
        }
        rmdir(m->scratch);
        free(m->scratch);
    }
    free(m->setup);
    if (m->given_up > 0) {
        /* A rank that was given up cannot take part in MPI_Finalize: the
         * study is complete and stored, the job ends here. */
        cli_error(CMD,
                  "%d MPI worker rank(s) went silent and were given up (their trials are stored "
                  "as interrupted); ending the job with MPI_Abort",
                  m->given_up);
        fflush(stdout);
        nnt_mpi_abort(rc == EXIT_OK ? EXIT_RUNTIME : rc);
    }
    nnt_mpi_finalize();
    return rc;
}

#endif
