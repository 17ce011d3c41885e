/* Shared helpers for the test executables (cmocka). */
#ifndef NNT_TESTS_TESTUTIL_H
#define NNT_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh temporary directory for this test process (removed at exit). */
const char *tu_tmpdir(void);
/* Path inside tu_tmpdir(); returns a static buffer rotated over 8 slots. */
const char *tu_path(const char *name);
/* Writes text to a file in tu_tmpdir() and returns its path. */
const char *tu_write(const char *name, const char *text);
/* Reads a whole file (malloc'd, one spare byte); *len gets its size. Fails
 * the test on error. */
unsigned char *tu_read_file(const char *path, size_t *len);
/* Writes len bytes to path (created or truncated). Fails the test on error. */
void tu_write_file(const char *path, const unsigned char *b, size_t len);
/* Runs a shell command, captures stdout+stderr into *output (malloc'd, may be
 * NULL), returns the exit status (or -1). */
int tu_run(const char *cmd, char **output);
/* 1 when NNT_TEST_QUICK is set (sanitizer builds: smaller workloads). */
int tu_quick(void);
/* Asserts that haystack contains needle, printing both otherwise. */
#define tu_assert_contains(haystack, needle) \
    tu_assert_contains_(haystack, needle, __FILE__, __LINE__)
void tu_assert_contains_(const char *haystack, const char *needle, const char *file, int line);

/* A 3-class data set of `rows` rows and 4 features (classes "a", "b", "c"):
 * Gaussian blobs, seeded. Fails the test on error. */
struct nnt_dataset;
struct nnt_dataset *tu_blobs(uint64_t seed, size_t rows);

/* Opens (creating) SQLite storage at `db`, creates the study (options o,
 * space sp, no data) in it and runs it. Returns the status of the create or
 * the run, with its message in msg (cap bytes). *st is the open storage (the
 * caller closes it), *s the study or NULL (the caller frees it). Fails the
 * test if the storage cannot be opened. */
struct nnt_study_options;
struct nnt_space;
struct nnt_storage;
struct nnt_study;
int tu_study_run(const char *db, const struct nnt_study_options *o, const struct nnt_space *sp,
                 struct nnt_storage **st, struct nnt_study **s, char *msg, size_t cap);

#endif
