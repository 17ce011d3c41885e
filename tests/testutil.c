#include "testutil.h"

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
