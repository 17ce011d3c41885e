/* Helpers shared by the study commands (tune, trials, best): reading a study
 * from storage, ranking trials, leaderboards. Public headers only. */
#ifndef NNTUNE_TOOLS_STUDY_COMMON_H
#define NNTUNE_TOOLS_STUDY_COMMON_H

#include <stdio.h>

#include "nntune/nntune.h"

/* Opens storage read-only and finds the study (name NULL: the most recent).
 * Prints the error and returns EXIT_RUNTIME on failure (nothing left open). */
int sc_open_read(const char *cmd, const char *path, const char *name, nnt_storage *st,
                 nnt_study_record *rec, nnt_trial_record **trials, size_t *n);

/* Index of the best complete trial (by the study's direction), -1 if none. */
int sc_best(const nnt_trial_record *t, size_t n, int maximize);

/* Fills order[] (n entries) with trial indices: complete trials best first,
 * then pruned ones by value, then the rest by number. */
void sc_rank(const nnt_trial_record *t, size_t n, int maximize, size_t *order);

/* Prints the top `top` complete trials as a table. */
void sc_leaderboard(FILE *f, const nnt_study_record *rec, const nnt_trial_record *t, size_t n,
                    int top);

/* "%.4f" for values in [-1e4, 1e4] (else %.4g); "-" when not finite. */
const char *sc_fmt_value(char *buf, size_t n, double v);

#endif
