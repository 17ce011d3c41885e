/* The monotonic and wall clocks (include/nntune/clock.h): the only code that
 * reads the time, so that every duration in the library and the CLI is
 * measured the same way. */
#include <time.h>

#include "nntune/clock.h"

double nnt_clock_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double nnt_clock_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
