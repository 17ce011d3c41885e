/* Output files (src/core/atomic_file.c): regular files replaced atomically
 * with their mode kept, links followed, devices and FIFOs written in place,
 * bad paths refused before anything is written, and a failed write leaving
 * the previous file intact. */
#define _GNU_SOURCE /* mknod's S_IFCHR, makedev */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/alloc.h"
#include "nntune/nntune.h"

/* A fresh sub-directory of the test's temporary directory. */
static const char *fresh_dir(const char *name)
{
    const char *d = tu_path(name);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s'", d, d);
    assert_int_equal(system(cmd), 0);
    return d;
}

static char *join(const char *dir, const char *name)
{
    static char buf[4][4096];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 4096, "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void write_ok(const char *path, const char *text)
{
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_write_file(path, text, strlen(text), &err);
    if (rc != NNT_OK) fail_msg("write %s: %s", path, err.message);
}

static void test_new_and_replaced_regular_file(void **state)
{
    (void)state;
    const char *d = fresh_dir("regular");
    const char *p = join(d, "out.txt");
    write_ok(p, "first\n");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);
    /* an existing file's mode is kept, its inode replaced (atomic rename) */
    assert_int_equal(chmod(p, 0600), 0);
    ino_t before = st.st_ino;
    write_ok(p, "second\n");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_true(st.st_ino != before);
    assert_string_equal(slurp(p), "second\n");
    assert_int_equal(count_entries(d), 1); /* no temporary file left */
}

static void test_stream_writer_and_abort(void **state)
{
    (void)state;
    const char *d = fresh_dir("abort");
    const char *p = join(d, "out.txt");
    write_ok(p, "keep me\n");
    nnt_file_writer *w;
    nnt_error err;
    assert_int_equal(nnt_file_writer_open(p, &w, &err), NNT_OK);
    fprintf(nnt_file_writer_stream(w), "half-written");
    assert_int_equal(count_entries(d), 2); /* the temporary file */
    assert_string_equal(slurp(p), "keep me\n");
    nnt_file_writer_abort(w);
    assert_string_equal(slurp(p), "keep me\n");
    assert_int_equal(count_entries(d), 1);
    nnt_file_writer_abort(NULL);
    assert_int_equal(nnt_file_writer_commit(NULL, &err), NNT_ERR_ARG);

    assert_int_equal(nnt_file_writer_open(p, &w, &err), NNT_OK);
    fprintf(nnt_file_writer_stream(w), "%d lines\n", 3);
    assert_int_equal(nnt_file_writer_commit(w, &err), NNT_OK);
    assert_string_equal(slurp(p), "3 lines\n");
}

/* A write that fails half-way (here: RLIMIT_FSIZE, as a full disk would)
 * reports the error, removes the temporary file and leaves the old file. */
static void test_failed_write_keeps_previous_file(void **state)
{
    (void)state;
    const char *d = fresh_dir("efbig");
    const char *p = join(d, "model.bin");
    write_ok(p, "previous contents\n");
    static char big[1 << 16];
    memset(big, 'x', sizeof big);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    nnt_error err;
    nnt_error_clear(&err);
    int rc = nnt_write_file(p, big, sizeof big, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, NNT_ERR_IO);
    tu_assert_contains(err.message, "cannot write '");
    tu_assert_contains(err.message, "File too large");
    assert_string_equal(slurp(p), "previous contents\n");
    assert_int_equal(count_entries(d), 1);
}

static void test_symlink_followed(void **state)
{
    (void)state;
    const char *d = fresh_dir("links");
    char sub[2048];
    snprintf(sub, sizeof sub, "%s/sub", d);
    assert_int_equal(mkdir(sub, 0755), 0);
    write_ok(join(sub, "real.txt"), "old\n");
    assert_int_equal(chmod(join(sub, "real.txt"), 0640), 0);
    /* a -> sub/b -> real.txt (relative links, resolved from each link's directory) */
    assert_int_equal(symlink("real.txt", join(sub, "b")), 0);
    assert_int_equal(symlink("sub/b", join(d, "a")), 0);
    write_ok(join(d, "a"), "new\n");
    struct stat st;
    assert_int_equal(lstat(join(d, "a"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(join(sub, "b"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(join(sub, "real.txt"), &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_string_equal(slurp(join(sub, "real.txt")), "new\n");
    assert_int_equal(count_entries(sub), 2); /* the temporary file went in the target's directory */
    assert_int_equal(count_entries(d), 2);

    /* a dangling link creates its target */
    assert_int_equal(symlink("sub/made.txt", join(d, "dangling")), 0);
    write_ok(join(d, "dangling"), "made\n");
    assert_int_equal(lstat(join(d, "dangling"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_string_equal(slurp(join(sub, "made.txt")), "made\n");

    /* a loop is an error, not a hang */
    assert_int_equal(symlink("loop2", join(d, "loop1")), 0);
    assert_int_equal(symlink("loop1", join(d, "loop2")), 0);
    nnt_error err;
    assert_int_equal(nnt_write_file(join(d, "loop1"), "x", 1, &err), NNT_ERR_IO);
    tu_assert_contains(err.message, "Too many levels of symbolic links");
    assert_int_equal(nnt_output_path_check(join(d, "loop1"), &err), NNT_ERR_IO);
}

static void test_fifo_written_in_place(void **state)
{
    (void)state;
    const char *d = fresh_dir("fifo");
    const char *p = join(d, "pipe");
    assert_int_equal(mkfifo(p, 0600), 0);
    nnt_error err;
    /* checking never opens it (that would wait for a reader) */
    assert_int_equal(nnt_output_path_check(p, &err), NNT_OK);
    int rd = open(p, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    write_ok(p, "through the pipe\n");
    char buf[64] = {0};
    assert_int_equal(read(rd, buf, sizeof buf - 1), 17);
    assert_string_equal(buf, "through the pipe\n");
    close(rd);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(count_entries(d), 1);
}

static void test_char_device_written_in_place(void **state)
{
    (void)state;
    const char *d = fresh_dir("dev");
    const char *p = join(d, "null");
    if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        printf("# skipped the private device node: mknod: %s (not root?)\n", strerror(errno));
    } else {
        write_ok(p, "discarded\n");
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(count_entries(d), 1);
    }
    /* The real /dev/null only once the private node behaved. */
    write_ok("/dev/null", "discarded\n");
    struct stat st;
    assert_int_equal(lstat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* /dev/full: the write error reaches the caller */
    nnt_error err;
    static char big[1 << 14];
    if (access("/dev/full", W_OK) == 0) {
        assert_int_equal(nnt_write_file("/dev/full", big, sizeof big, &err), NNT_ERR_IO);
        tu_assert_contains(err.message, "No space left on device");
        assert_int_equal(lstat("/dev/full", &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    }
}

static void test_bad_paths_refused(void **state)
{
    (void)state;
    const char *d = fresh_dir("bad");
    nnt_error err;
    nnt_file_writer *w = (nnt_file_writer *)&err; /* must be reset to NULL */
    assert_int_equal(nnt_file_writer_open(d, &w, &err), NNT_ERR_IO);
    assert_null(w);
    tu_assert_contains(err.message, "it is a directory");
    assert_int_equal(nnt_output_path_check(d, &err), NNT_ERR_IO);
    tu_assert_contains(err.message, "it is a directory");

    const char *missing = join(d, "no/such/dir/out.csv");
    assert_int_equal(nnt_output_path_check(missing, &err), NNT_ERR_IO);
    tu_assert_contains(err.message, "/no/such/dir' does not exist");
    assert_int_equal(nnt_write_file(missing, "x", 1, &err), NNT_ERR_IO);
    tu_assert_contains(err.message, "does not exist");

    write_ok(join(d, "file"), "x");
    assert_int_equal(nnt_output_path_check(join(d, "file/out"), &err), NNT_ERR_IO);
    tu_assert_contains(err.message, "Not a directory");

    assert_int_equal(nnt_output_path_check("", &err), NNT_ERR_ARG);
    assert_int_equal(nnt_output_path_check(NULL, &err), NNT_ERR_ARG);
    assert_int_equal(nnt_output_path_check("-", &err), NNT_OK);
    assert_int_equal(nnt_output_path_check(join(d, "new.txt"), &err), NNT_OK);
    assert_int_equal(access(join(d, "new.txt"), F_OK), -1); /* the check creates nothing */
    assert_int_equal(count_entries(d), 1);
}

/* Each allocation in turn fails: a clean NNT_ERR_NOMEM, the old file intact,
 * no temporary file left (ASan: no leak). */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *d = fresh_dir("nomem");
    const char *p = join(d, "out.txt");
    write_ok(p, "old\n");
    assert_int_equal(symlink("out.txt", join(d, "link")), 0);
    int ok = 0;
    for (long k = 0; k < 40 && !ok; k++) {
        nnt_error err;
        nnt_error_clear(&err);
        nnt__alloc_fail_after(k);
        int rc = nnt_write_file(join(d, "link"), "new\n", 4, &err);
        nnt_error err2;
        int rc2 = nnt_output_path_check(join(d, "link"), &err2);
        nnt__alloc_fail_after(-1);
        if (rc == NNT_OK) {
            assert_string_equal(slurp(p), "new\n");
            ok = rc2 == NNT_OK;
            if (!ok) assert_int_equal(rc2, NNT_ERR_NOMEM);
        } else {
            assert_int_equal(rc, NNT_ERR_NOMEM);
            tu_assert_contains(err.message, "out of memory");
            assert_string_equal(slurp(p), "old\n");
        }
        assert_int_equal(count_entries(d), 2);
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_replaced_regular_file),
        cmocka_unit_test(test_stream_writer_and_abort),
        cmocka_unit_test(test_failed_write_keeps_previous_file),
        cmocka_unit_test(test_symlink_followed),
        cmocka_unit_test(test_fifo_written_in_place),
        cmocka_unit_test(test_char_device_written_in_place),
        cmocka_unit_test(test_bad_paths_refused),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
