/* nntune: the clock.
 *
 * One place that reads the time, for the library and the CLI: a monotonic
 * clock for durations, deadlines and time budgets (it never goes back when
 * the system time is set), and the wall clock for the unix times stored with
 * studies and trials. */
#ifndef NNTUNE_CLOCK_H
#define NNTUNE_CLOCK_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC): only differences
 * mean something. */
NNT_API double nnt_clock_monotonic(void);
/* Unix time in seconds, with sub-second resolution. */
NNT_API double nnt_clock_wall(void);

#ifdef __cplusplus
}
#endif
#endif
