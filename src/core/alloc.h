/* Library allocation goes through these wrappers so tests can inject
 * allocation failures (nnt__alloc_fail_after). */
#ifndef NNT_CORE_ALLOC_H
#define NNT_CORE_ALLOC_H

#include <stddef.h>

void *nnt__malloc(size_t n);
void *nnt__calloc(size_t count, size_t size);
void *nnt__realloc(void *p, size_t n);
void nnt__free(void *p);
char *nnt__strdup(const char *s);
/* malloc of count*size with overflow check (NULL on overflow). */
void *nnt__malloc_array(size_t count, size_t size);

/* Test hook: the (n+1)-th allocation from now on fails; n < 0 disables.
 * Only in the test build of the library (NNT_ALLOC_TEST_HOOK, which the
 * tests link: nntune_testlib); in the released library it does nothing.
 * Not thread-safe; for single-threaded tests only. */
void nnt__alloc_fail_after(long n);

#endif
