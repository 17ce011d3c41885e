/* Test-only hold of one trial (tools/test_hold.c). */
#ifndef NNTUNE_TOOLS_TEST_HOLD_H
#define NNTUNE_TOOLS_TEST_HOLD_H

#include "nntune/nntune.h"

/* Waits at trial NNT_TEST_HOLD_TRIAL's start until $NNT_TEST_HOLD_DIR/go
 * exists; a no-op unless both variables are set. */
void cli_test_hold(const nnt_study_event *e);

#endif
