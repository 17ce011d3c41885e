/* The one rule by which a trial is better than another (the study's best,
 * `nntune best`, leaderboards, `trials --sort`, reports). It lives here so
 * that every place that names "the best trial" names the same one.
 *
 * Why a secondary score: on small validation sets many trials reach the same
 * value (a 178-row data set gave 678 trials at accuracy 1.0000 on 36
 * validation rows), and picking the first of them by trial number picked by
 * luck. The validation loss still separates such trials (it measures how
 * confident the right answers were), and between equal losses the smaller
 * model is the safer bet. */
#include <math.h>
#include <stddef.h>

#include "nntune/study.h"

/* 0: complete with a value; 1: pruned with a value; 2: the rest. */
static int group(const nnt_trial_record *r)
{
    if (r->state == NNT_TRIAL_COMPLETE && isfinite(r->value)) return 0;
    if (r->state == NNT_TRIAL_PRUNED && isfinite(r->value)) return 1;
    return 2;
}

/* Lower first; unknown (NAN) after every known value. */
static int cmp_low(double a, double b)
{
    int ka = isfinite(a), kb = isfinite(b);
    if (ka != kb) return ka ? -1 : 1;
    if (!ka || a == b) return 0;
    return a < b ? -1 : 1;
}

int nnt_trial_compare(const nnt_trial_record *a, const nnt_trial_record *b, int maximize)
{
    int ga = group(a), gb = group(b);
    if (ga != gb) return ga < gb ? -1 : 1;
    if (ga < 2 && a->value != b->value) return (maximize ? a->value > b->value : a->value < b->value) ? -1 : 1;
    if (ga < 2) {
        int c = cmp_low(a->valid_loss, b->valid_loss);
        if (c) return c;
        c = cmp_low(a->n_params, b->n_params);
        if (c) return c;
    }
    return (a->number > b->number) - (a->number < b->number);
}

int nnt_trials_best(const nnt_trial_record *t, size_t n, int maximize)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (t[i].state != NNT_TRIAL_COMPLETE || !isfinite(t[i].value)) continue;
        if (best < 0 || nnt_trial_compare(&t[i], &t[best], maximize) < 0) best = (int)i;
    }
    return best;
}

int nnt_trials_tied(const nnt_trial_record *t, size_t n, int maximize)
{
    int b = nnt_trials_best(t, n, maximize);
    if (b < 0) return 0;
    int tied = 0;
    for (size_t i = 0; i < n; i++)
        tied += t[i].state == NNT_TRIAL_COMPLETE && t[i].value == t[b].value;
    return tied;
}

int nnt_ties_noteworthy(int tied, int n_complete)
{
    return tied >= NNT_TIES_NOTE_MIN && (double)tied >= NNT_TIES_NOTE_FRACTION * n_complete;
}
