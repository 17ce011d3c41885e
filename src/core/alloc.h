/* Library allocation goes through these wrappers so tests can inject
 * allocation failures (nnt_alloc_fail_after). */
#ifndef NNT_CORE_ALLOC_H
#define NNT_CORE_ALLOC_H

#include <stddef.h>

void *nnt_malloc(size_t n);
void *nnt_calloc(size_t count, size_t size);
void *nnt_realloc(void *p, size_t n);
void nnt_free(void *p);
char *nnt_strdup(const char *s);
/* malloc of count*size with overflow check (NULL on overflow). */
void *nnt_malloc_array(size_t count, size_t size);

/* Test hook: the (n+1)-th allocation from now on fails; n < 0 disables.
 * Only in the test build of the library (NNT_ALLOC_TEST_HOOK, which the
 * tests link: nntune_testlib); in the released library it does nothing.
 * Not thread-safe; for single-threaded tests only. */
void nnt_alloc_fail_after(long n);

#endif
