/* The shortest round-trip number formatter (numfmt.h), shared by the search
 * space's canonical values and the report's exact numbers. */
#include "core/numfmt.h"

#include <stdio.h>
#include <stdlib.h>

const char *nnt__fmt_shortest(char *buf, double v)
{
    if (v == 0) v = 0; /* no "-0" */
    /* Starting at 15 digits loses nothing: when a shorter text reads back
     * to v, v is within half an ulp of it, so %.15g rounds v to that text
     * (and %g drops the trailing zeros). */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}
