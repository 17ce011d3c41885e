/* Reproducible parallel studies (nnt_study_options.deterministic,
 * docs/reproducible.md): the fixed history each trial is proposed from and
 * pruned with, and the rule that says when the next trial may be proposed.
 *
 * With J slots, trial k is proposed from the trials numbered below k - J + 1
 * (all finished by then: its ask waits for them), with the J - 1 trials
 * before it seen as running with nothing reported, whatever they have
 * reported by now; later trials are not seen. Pruning decisions for trial k
 * see the same set (plus trial k's own curve), which is complete when k
 * runs, so reports never wait. What a proposal or a decision sees is then a
 * function of trial numbers alone, never of timing, and by induction every
 * trial's parameters, values and pruning steps are too.
 *
 * Slots are kept in trial-number order (loaded by number, new trials
 * appended with increasing numbers), which the tail scans below rely on. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "tune/study_state.h"

int nnt__study_det_slots(const nnt_study_options *opt)
{
    if (!opt->deterministic) return 0;
    if (opt->slots > 0) return opt->slots;
    if (opt->jobs > 0) return opt->jobs;
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    return nc > 0 ? (int)nc : 1;
}

int nnt__study_det_ready(nnt_study *s)
{
    while (s->done_prefix < s->n_slots && s->slots[s->done_prefix]->state != NNT_TRIAL_RUNNING)
        s->done_prefix++;
    int cut = s->next_number - s->det_slots + 1;
    return s->done_prefix >= s->n_slots || s->slots[s->done_prefix]->number >= cut;
}

int nnt__study_det_history(nnt_study *s, int number, nnt_history *h)
{
    int r = nnt__study_build_history(s, h);
    if (r < 0) return r;
    int n = h->n;
    while (n > 0 && s->slots[n - 1]->number > number) n--;
    int cut = number - s->det_slots + 1;
    /* These edits last for this one call: the next nnt__study_build_history
     * rewrites the views from masked_from on. */
    for (int i = n - 1; i >= 0 && s->slots[i]->number >= cut; i--) {
        if (i < s->masked_from) s->masked_from = i;
        if (s->slots[i]->number == number) continue;
        nnt_trial_view *v = &s->views[i];
        v->state = NNT_TRIAL_RUNNING;
        v->value = NAN;
        v->epochs = 0;
        v->intermediate = NULL;
        v->retry = 0;
    }
    h->n = n;
    return NNT_OK;
}
