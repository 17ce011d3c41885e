/* Helpers shared by the libFuzzer harnesses: the loaders take paths, so each
 * input is written to a file in a private temporary directory (in /dev/shm
 * when there is one, so no disk is touched). Everything here aborts on its
 * own failures, which libFuzzer then reports. */
#ifndef NNT_FUZZ_UTIL_H
#define NNT_FUZZ_UTIL_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nntune/nntune.h"

static char fz_dir[256];

static inline void fz_cleanup(void)
{
    if (!fz_dir[0]) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_dir);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fz_dir);
}

/* Writes data to fz_dir/name and returns the path (static storage per name
 * slot: callers use at most two names at once). */
static inline const char *fz_write(int slot, const char *name, const uint8_t *data, size_t n)
{
    static char paths[2][320];
    if (!fz_dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fz_dir, sizeof fz_dir, "%s/nntune-fuzz-XXXXXX", base);
        if (!mkdtemp(fz_dir)) abort();
        atexit(fz_cleanup);
    }
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", fz_dir, name);
    FILE *f = fopen(paths[slot], "wb");
    if (!f) abort();
    if (n && fwrite(data, 1, n, f) != n) abort();
    if (fclose(f) != 0) abort();
    return paths[slot];
}

/* A NUL-terminated copy (inputs may hold NULs; parsers of text see the
 * prefix up to the first one, as they would from a C string). */
static inline char *fz_text(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* The library's contract: a failure has a negative status and a message;
 * a success leaves the error clear. Breaking it is a finding. */
static inline void fz_check(int rc, const nnt_error *err)
{
    /* NNT_FUZZ_VERBOSE=1: print each outcome, to see how deep a corpus gets
     * (e.g. how many model inputs pass the checksum). */
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("NNT_FUZZ_VERBOSE") != NULL;
    if (verbose) fprintf(stderr, "outcome: %d %s\n", rc, rc < 0 ? err->message : "ok");
    if (rc < 0 && (err->code != rc || err->message[0] == '\0')) {
        fprintf(stderr, "fuzz: status %d without a matching error message (code %d, '%s')\n",
                rc, err->code, err->message);
        abort();
    }
}

#endif
