/* A test-only hook that holds one trial of `nntune tune` until a file appears,
 * so that shell tests can kill or race a study that is certainly running,
 * however fast or slow the machine is (tests/cli_tune.sh). Without the two
 * environment variables below (the normal case) it does nothing.
 *
 *   NNT_TEST_HOLD_TRIAL=N   the trial number to hold
 *   NNT_TEST_HOLD_DIR=DIR   an existing folder
 *
 * At trial N's trial_start event (the trial is already on record as running)
 * the CLI creates DIR/held, then waits until DIR/go exists. Events are
 * delivered under the study's lock, so the whole study pauses: no other trial
 * starts or finishes meanwhile, and the storage state the test sees is fixed.
 * It lives in the CLI, not in the library, so no library path ever waits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "test_hold.h"

void cli_test_hold(const nnt_study_event *e)
{
    if (e->kind != NNT_EVENT_TRIAL_START) return;
    const char *n = getenv("NNT_TEST_HOLD_TRIAL");
    const char *dir = getenv("NNT_TEST_HOLD_DIR");
    if (!n || !dir || atoi(n) != e->number) return;
    char held[4096], go[4096];
    snprintf(held, sizeof held, "%s/held", dir);
    snprintf(go, sizeof go, "%s/go", dir);
    FILE *f = fopen(held, "w");
    if (f) fclose(f);
    const struct timespec tick = {0, 10 * 1000 * 1000};
    while (access(go, F_OK) != 0) {
        if (errno != ENOENT) return; /* an unusable DIR: never hang */
        nanosleep(&tick, NULL);
    }
}
