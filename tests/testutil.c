#include "testutil.h"

#include "nntune/nntune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static void cleanup(void)
{
    if (tmpdir[0] && !getenv("NNT_KEEP_TMP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *tu_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/nnt-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(cleanup);
    }
    return tmpdir;
}

const char *tu_path(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 512, "%s/%s", tu_tmpdir(), name);
    return b;
}

unsigned char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

void tu_write_file(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

const char *tu_write(const char *name, const char *text)
{
    const char *p = tu_path(name);
    FILE *f = fopen(p, "wb");
    if (!f) {
        perror(p);
        abort();
    }
    fputs(text, f);
    fclose(f);
    return p;
}

int tu_run(const char *cmd, char **output)
{
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 1024) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    int st = pclose(p);
    if (output) *output = buf;
    else free(buf);
    if (st == -1) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tu_quick(void) { return getenv("NNT_TEST_QUICK") != NULL; }

void tu_assert_contains_(const char *haystack, const char *needle, const char *file, int line)
{
    if (!haystack || !strstr(haystack, needle)) {
        fail_msg("%s:%d: expected to find \"%s\" in \"%s\"", file, line, needle,
                 haystack ? haystack : "(null)");
    }
}

#define TU_BLOB_FEATS 4

struct nnt_dataset *tu_blobs(uint64_t seed, size_t rows)
{
    float *x = malloc(rows * TU_BLOB_FEATS * sizeof *x);
    int32_t *y = malloc(rows * sizeof *y);
    nnt_rng r;
    nnt_rng_seed(&r, seed);
    for (size_t i = 0; i < rows; i++) {
        int c = (int)(i % 3);
        y[i] = c;
        for (int j = 0; j < TU_BLOB_FEATS; j++)
            x[i * TU_BLOB_FEATS + j] = (float)(nnt_rng_normal(&r) * 1.2 + (j == c ? 2.5 : 0.0));
    }
    const char *names[] = {"a", "b", "c"};
    nnt_dataset_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.rows = rows;
    spec.features = TU_BLOB_FEATS;
    spec.x = x;
    spec.labels = y;
    spec.n_classes = 3;
    spec.class_names = names;
    nnt_dataset *ds = NULL;
    nnt_error err;
    if (nnt_dataset_from_arrays(&spec, &ds, &err) != NNT_OK) fail_msg("dataset: %s", err.message);
    free(x);
    free(y);
    return ds;
}

int tu_study_run(const char *db, const nnt_study_options *o, const nnt_space *sp,
                 nnt_storage **st, nnt_study **s, char *msg, size_t cap)
{
    nnt_error err;
    nnt_error_clear(&err);
    *st = NULL;
    *s = NULL;
    assert_int_equal(nnt_storage_open_sqlite(db, 0, st, &err), NNT_OK);
    int rc = nnt_study_create(o, sp, NULL, *st, s, &err);
    if (rc == NNT_OK) rc = nnt_study_run(*s, &err);
    snprintf(msg, cap, "%s", err.message);
    return rc;
}
