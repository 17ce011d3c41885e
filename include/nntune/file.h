/* nntune: the one way nntune writes an output file (models, reports, study
 * files, predictions). */
#ifndef NNTUNE_FILE_H
#define NNTUNE_FILE_H

#include <stdio.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What happens to an output path:
 *  - "-": standard output (written in place, never closed);
 *  - a regular file or a path that does not exist yet: written atomically, a
 *    temporary file in the same directory that is fsync'ed and renamed over
 *    the path, then the directory is fsync'ed. An existing file keeps its
 *    permission bits (and, when allowed, its owner). Until the rename the old
 *    file is untouched, so any failure (disk full, I/O error, abort) leaves
 *    the previous contents intact;
 *  - a symbolic link: followed (the whole chain, up to 40 links); its final
 *    target is written as above in the target's directory, the link stays a
 *    link. A dangling link creates its target;
 *  - anything else that exists (a character device such as /dev/null, a FIFO,
 *    a socket): opened and written in place, never renamed over;
 *  - a directory, a path whose directory does not exist or is not writable:
 *    an error (NNT_ERR_IO) before anything is written. */

/* Checks, without creating or opening anything, that path can be written as
 * described above. Call it for every output option before long work starts so
 * that a bad path fails at once. Returns NNT_OK, or NNT_ERR_IO / NNT_ERR_ARG
 * with a message naming the path and the reason. A FIFO is not opened (that
 * would wait for a reader). */
NNT_API int nnt_output_path_check(const char *path, nnt_error *err);

typedef struct nnt_file_writer nnt_file_writer;

/* Opens path for writing as described above. *out gets a writer whose stream
 * (nnt_file_writer_stream) takes the contents; nothing is visible at path
 * until nnt_file_writer_commit (except for in-place targets such as devices
 * and FIFOs, which see the bytes as they are written). On failure *out = NULL,
 * nothing was created, and err says why. Opening a FIFO waits for a reader. */
NNT_API int nnt_file_writer_open(const char *path, nnt_file_writer **out, nnt_error *err);

/* The stdio stream to write the contents to; owned by the writer. */
NNT_API FILE *nnt_file_writer_stream(nnt_file_writer *w);

/* Finishes the write: flushes, syncs, renames the temporary file over the
 * target and syncs the directory. Always releases w. Returns NNT_OK, or
 * NNT_ERR_IO (a write, flush, sync or rename failed; the temporary file is
 * removed and the previous file is intact). w may be NULL (NNT_ERR_ARG). */
NNT_API int nnt_file_writer_commit(nnt_file_writer *w, nnt_error *err);

/* Abandons the write: removes the temporary file, leaves the target as it was,
 * releases w. No-op on NULL. This function can't fail. */
NNT_API void nnt_file_writer_abort(nnt_file_writer *w);

/* Writes the n bytes at data to path in one call (open, write, commit).
 * Same rules and failure guarantees as the writer above. */
NNT_API int nnt_write_file(const char *path, const void *data, size_t n, nnt_error *err);

#ifdef __cplusplus
}
#endif
#endif
