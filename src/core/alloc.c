/* The library's allocation wrappers, with a failure-injection hook in the
 * test build only. */
#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef NNT_ALLOC_TEST_HOOK
/* Failure-injection countdown; negative = off. Compiled only into the test
 * build of the library (nntune_testlib, CMakeLists.txt): the released
 * library has no mutable global state here. */
static long fail_countdown = -1;

void nnt__alloc_fail_after(long n) { fail_countdown = n; }

static int should_fail(void)
{
    if (fail_countdown < 0) return 0;
    if (fail_countdown == 0) return 1;
    fail_countdown--;
    return 0;
}
#else
/* Release build: no hook and no state; the call does nothing. */
void nnt__alloc_fail_after(long n) { (void)n; }

static int should_fail(void) { return 0; }
#endif

void *nnt__malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }

void *nnt__calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *nnt__realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }

void nnt__free(void *p) { free(p); }

char *nnt__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = nnt__malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void *nnt__malloc_array(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    return nnt__malloc(count * size);
}
