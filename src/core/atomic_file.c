/* Output files: the one place that decides how nntune writes a path
 * (include/nntune/file.h). Regular files are replaced atomically; symbolic
 * links are followed so the link survives; devices, FIFOs and sockets are
 * written in place, because renaming a temporary file over /dev/null (as root)
 * would replace the device with a regular file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "nntune/file.h"

#define MAX_LINKS 40 /* Linux's own limit on a symbolic link chain */

struct nnt_file_writer {
    FILE *f;
    char *path;   /* as the caller gave it (for messages) */
    char *target; /* the file that ends up written: path with links resolved */
    char *tmp;    /* the temporary file; NULL when writing in place */
    int is_stdout;
};

/* ---- Paths ------------------------------------------------------------------ */

/* The directory part of p ("." for a bare name, "/" for "/x"); NULL on OOM. */
static char *dir_of(const char *p)
{
    const char *slash = strrchr(p, '/');
    if (!slash) return nnt__strdup(".");
    size_t n = slash == p ? 1 : (size_t)(slash - p);
    char *d = nnt__malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

/* Reads the symbolic link at p and returns the path it points to, relative
 * links taken from p's directory. NULL with errno set on failure. */
static char *follow_link(const char *p, off_t size_hint)
{
    size_t cap = size_hint > 0 ? (size_t)size_hint + 1 : 256;
    char *buf = NULL;
    for (;;) {
        buf = nnt__malloc(cap);
        if (!buf) {
            errno = ENOMEM;
            return NULL;
        }
        ssize_t n = readlink(p, buf, cap);
        if (n < 0) {
            int e = errno;
            nnt__free(buf);
            errno = e;
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            break;
        }
        nnt__free(buf); /* the link grew or the hint was wrong: retry larger */
        if (cap > 1 << 20) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        cap *= 2;
    }
    if (buf[0] == '/' || !strchr(p, '/')) return buf;
    char *dir = dir_of(p);
    size_t dl = dir ? strlen(dir) : 0, bl = strlen(buf);
    char *joined = dir ? nnt__malloc(dl + 1 + bl + 1) : NULL;
    if (!joined) {
        nnt__free(dir);
        nnt__free(buf);
        errno = ENOMEM;
        return NULL;
    }
    memcpy(joined, dir, dl);
    joined[dl] = '/';
    memcpy(joined + dl + 1, buf, bl + 1);
    nnt__free(dir);
    nnt__free(buf);
    return joined;
}

/* What path finally names: *target gets the path with every symbolic link
 * followed, *exists whether it exists, *st its lstat when it does. Links under
 * /proc (/dev/stdout -> /proc/self/fd/1 -> "pipe:[123]") are not paths one
 * can write next to: resolution stops there, *magic is set, *st is what the
 * link leads to, and the file is written in place through the link. Returns
 * NNT_OK or an error naming path. */
static int resolve(const char *path, char **target, int *exists, int *magic, struct stat *st,
                   nnt_error *err)
{
    *target = NULL;
    *magic = 0;
    char *cur = nnt__strdup(path);
    if (!cur) return nnt_fail(err, NNT_ERR_NOMEM, "cannot write '%s': out of memory", path);
    /* A device, FIFO or socket at the end of the chain is written through the
     * path as given: the kernel follows the links, including /proc's. */
    if (stat(path, st) == 0 && !S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
        *exists = 1;
        *target = cur;
        return NNT_OK;
    }
    for (int hops = 0;; hops++) {
        if (lstat(cur, st) != 0) {
            int e = errno;
            if (e == ENOENT) {
                *exists = 0;
                *target = cur;
                return NNT_OK;
            }
            nnt__free(cur);
            return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", path, strerror(e));
        }
        if (!S_ISLNK(st->st_mode)) {
            *exists = 1;
            *target = cur;
            return NNT_OK;
        }
        if (!strncmp(cur, "/proc/", 6) || !strncmp(cur, "/dev/fd/", 8)) {
            if (stat(cur, st) != 0) {
                int e = errno;
                nnt__free(cur);
                return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", path, strerror(e));
            }
            *exists = *magic = 1;
            *target = cur;
            return NNT_OK;
        }
        if (hops >= MAX_LINKS) {
            nnt__free(cur);
            return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", path, strerror(ELOOP));
        }
        char *next = follow_link(cur, st->st_size);
        if (!next) {
            int e = errno;
            nnt__free(cur);
            if (e == ENOMEM) return nnt_fail(err, NNT_ERR_NOMEM, "cannot write '%s': out of memory", path);
            return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': cannot read symbolic link: %s", path,
                            strerror(e));
        }
        nnt__free(cur);
        cur = next;
    }
}

/* The directory that will hold a new or replaced target must exist and be
 * writable by us (faccessat with the effective ids: as root that still fails
 * on a read-only mount). */
static int check_dir(const char *path, const char *target, nnt_error *err)
{
    char *dir = dir_of(target);
    if (!dir) return nnt_fail(err, NNT_ERR_NOMEM, "cannot write '%s': out of memory", path);
    struct stat st;
    int rc = NNT_OK;
    if (stat(dir, &st) != 0) {
        int e = errno;
        if (e == ENOENT)
            rc = nnt_fail(err, NNT_ERR_IO, "cannot write '%s': directory '%s' does not exist", path, dir);
        else
            rc = nnt_fail(err, NNT_ERR_IO, "cannot write '%s': directory '%s': %s", path, dir, strerror(e));
    } else if (!S_ISDIR(st.st_mode)) {
        rc = nnt_fail(err, NNT_ERR_IO, "cannot write '%s': '%s' is not a directory", path, dir);
    } else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
        rc = nnt_fail(err, NNT_ERR_IO, "cannot write '%s': directory '%s' is not writable (%s)", path,
                      dir, strerror(errno));
    }
    nnt__free(dir);
    return rc;
}

/* Checks what resolve() found; *in_place says the target is written where it
 * is (not replaced). */
static int check_resolved(const char *path, const char *target, int exists, int magic,
                          const struct stat *st, int *in_place, nnt_error *err)
{
    *in_place = 0;
    if (exists && S_ISDIR(st->st_mode))
        return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': it is a directory", path);
    if (exists && (magic || !S_ISREG(st->st_mode))) {
        *in_place = 1;
        if (faccessat(AT_FDCWD, target, W_OK, AT_EACCESS) != 0)
            return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        return NNT_OK;
    }
    return check_dir(path, target, err);
}

int nnt_output_path_check(const char *path, nnt_error *err)
{
    if (!path || !*path) return nnt_fail(err, NNT_ERR_ARG, "output path is empty");
    if (!strcmp(path, "-")) return NNT_OK;
    char *target;
    int exists, magic, in_place;
    struct stat st;
    int rc = resolve(path, &target, &exists, &magic, &st, err);
    if (rc != NNT_OK) return rc;
    rc = check_resolved(path, target, exists, magic, &st, &in_place, err);
    nnt__free(target);
    return rc;
}

/* ---- Writer ----------------------------------------------------------------- */

static void writer_free(nnt_file_writer *w)
{
    nnt__free(w->path);
    nnt__free(w->target);
    nnt__free(w->tmp);
    nnt__free(w);
}

/* Opens the existing non-regular target (device, FIFO) for writing in place.
 * A regular file reached through /proc (standard output redirected to a file)
 * is appended to, as the shell's `>` or `>>` left it. Anything else that is a
 * regular file once opened was swapped in after the check: refused rather than
 * overwritten without the atomic rename. */
static int open_in_place(nnt_file_writer *w, int magic, nnt_error *err)
{
    int fd;
    do fd = open(w->target, O_WRONLY | O_NOCTTY | O_CLOEXEC | (magic ? O_APPEND : 0));
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", w->path, strerror(errno));
    struct stat st;
    if (!magic && (fstat(fd, &st) != 0 || S_ISREG(st.st_mode))) {
        close(fd);
        return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': it changed while being opened", w->path);
    }
    w->f = fdopen(fd, "w");
    if (!w->f) {
        int e = errno;
        close(fd);
        return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", w->path, strerror(e));
    }
    return NNT_OK;
}

/* Creates the temporary file next to the target. mkstemp makes it 0600: an
 * existing target's mode (and owner, where we may) is copied, else 0644 (not
 * derived from the umask: reading it means changing it, which races with
 * other threads creating files). */
static int open_temp(nnt_file_writer *w, int exists, const struct stat *st, nnt_error *err)
{
    static const char suffix[] = ".tmpXXXXXX";
    size_t n = strlen(w->target);
    w->tmp = nnt__malloc(n + sizeof suffix);
    if (!w->tmp) return nnt_fail(err, NNT_ERR_NOMEM, "cannot write '%s': out of memory", w->path);
    memcpy(w->tmp, w->target, n);
    memcpy(w->tmp + n, suffix, sizeof suffix);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        int e = errno;
        nnt__free(w->tmp);
        w->tmp = NULL;
        return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': cannot create a temporary file: %s",
                        w->path, strerror(e));
    }
    mode_t mode;
    if (exists) {
        mode = st->st_mode & 07777;
        if (st->st_uid != geteuid() || st->st_gid != getegid())
            (void)!fchown(fd, st->st_uid, st->st_gid); /* best effort: only root may */
    } else {
        mode = 0644;
    }
    (void)fchmod(fd, mode);
    w->f = fdopen(fd, "w");
    if (!w->f) {
        int e = errno;
        close(fd);
        unlink(w->tmp);
        return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", w->path, strerror(e));
    }
    return NNT_OK;
}

int nnt_file_writer_open(const char *path, nnt_file_writer **out, nnt_error *err)
{
    if (out) *out = NULL;
    if (!out) return nnt_fail(err, NNT_ERR_ARG, "nnt_file_writer_open: out is required");
    if (!path || !*path) return nnt_fail(err, NNT_ERR_ARG, "output path is empty");
    nnt_file_writer *w = nnt__calloc(1, sizeof *w);
    if (!w || !(w->path = nnt__strdup(path))) {
        nnt__free(w);
        return nnt_fail(err, NNT_ERR_NOMEM, "cannot write '%s': out of memory", path);
    }
    if (!strcmp(path, "-")) {
        w->f = stdout;
        w->is_stdout = 1;
        *out = w;
        return NNT_OK;
    }
    int exists, magic, in_place;
    struct stat st;
    int rc = resolve(path, &w->target, &exists, &magic, &st, err);
    if (rc == NNT_OK) rc = check_resolved(path, w->target, exists, magic, &st, &in_place, err);
    if (rc == NNT_OK) rc = in_place ? open_in_place(w, magic, err) : open_temp(w, exists, &st, err);
    if (rc != NNT_OK) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return NNT_OK;
}

FILE *nnt_file_writer_stream(nnt_file_writer *w) { return w ? w->f : NULL; }

/* fsync of the directory makes the rename itself durable; some file systems
 * refuse fsync on a directory, which is not an error worth failing for. */
static void sync_dir(const char *target)
{
    char *dir = dir_of(target);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    nnt__free(dir);
}

int nnt_file_writer_commit(nnt_file_writer *w, nnt_error *err)
{
    if (!w) return nnt_fail(err, NNT_ERR_ARG, "nnt_file_writer_commit: no writer");
    int e = 0;
    if (fflush(w->f) != 0) e = errno ? errno : EIO;
    if (!e && ferror(w->f)) e = EIO;
    if (w->is_stdout) {
        writer_free(w);
        return e ? nnt_fail(err, NNT_ERR_IO, "cannot write to standard output: %s", strerror(e))
                 : NNT_OK;
    }
    if (!e && w->tmp && fsync(fileno(w->f)) != 0) e = errno;
    if (fclose(w->f) != 0 && !e) e = errno ? errno : EIO;
    w->f = NULL;
    if (!e && w->tmp && rename(w->tmp, w->target) != 0) e = errno;
    if (e) {
        if (w->tmp) unlink(w->tmp);
        int rc = nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", w->path, strerror(e));
        writer_free(w);
        return rc;
    }
    if (w->tmp) sync_dir(w->target);
    writer_free(w);
    return NNT_OK;
}

void nnt_file_writer_abort(nnt_file_writer *w)
{
    if (!w) return;
    if (w->is_stdout) {
        fflush(w->f);
    } else if (w->f) {
        /* In place (a FIFO whose reader stopped reading): the bytes still in
         * the stdio buffer are dropped, not flushed, or fclose could block
         * for ever. /dev/null is put under the descriptor (dup2 swaps it
         * atomically, unlike a close() another thread could race with). */
        if (!w->tmp) {
            int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
            if (nul >= 0) {
                (void)dup2(nul, fileno(w->f));
                close(nul);
            }
        }
        fclose(w->f);
    }
    if (w->tmp) unlink(w->tmp);
    writer_free(w);
}

int nnt_write_file(const char *path, const void *data, size_t n, nnt_error *err)
{
    nnt_file_writer *w;
    int rc = nnt_file_writer_open(path, &w, err);
    if (rc != NNT_OK) return rc;
    if (n > 0 && fwrite(data, 1, n, w->f) != n) {
        int e = errno ? errno : EIO;
        nnt_file_writer_abort(w);
        return nnt_fail(err, NNT_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    return nnt_file_writer_commit(w, err);
}
