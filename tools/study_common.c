/* Helpers shared by the study commands. */
#include "study_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"

int sc_open_read(const char *cmd, const char *path, const char *name, nnt_storage *st,
                 nnt_study_record *rec, nnt_trial_record **trials, size_t *n)
{
    nnt_error err;
    nnt_error_clear(&err);
    nnt_storage_options so = nnt_storage_options_default();
    so.readonly = 1;
    int r = nnt_storage_open(path, &so, st, &err);
    if (r < 0) return cli_lib_error(cmd, r, &err);
    r = nnt_storage_find_study(st, name, rec, &err);
    if (r < 0) {
        nnt_storage_close(st);
        return cli_lib_error(cmd, r, &err);
    }
    r = st->trials_load(st->ctx, rec->id, trials, n, &err);
    if (r < 0) {
        nnt_study_record_free(rec);
        nnt_storage_close(st);
        return cli_lib_error(cmd, r, &err);
    }
    return EXIT_OK;
}

int sc_best(const nnt_trial_record *t, size_t n, int maximize)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (t[i].state != NNT_TRIAL_COMPLETE || !isfinite(t[i].value)) continue;
        if (best < 0 || (maximize ? t[i].value > t[best].value : t[i].value < t[best].value))
            best = (int)i;
    }
    return best;
}

static const nnt_trial_record *rank_t;
static int rank_max;

static int group(const nnt_trial_record *r)
{
    if (r->state == NNT_TRIAL_COMPLETE && isfinite(r->value)) return 0;
    if (r->state == NNT_TRIAL_PRUNED && isfinite(r->value)) return 1;
    return 2;
}

static int cmp_rank(const void *a, const void *b)
{
    const nnt_trial_record *x = &rank_t[*(const size_t *)a], *y = &rank_t[*(const size_t *)b];
    int gx = group(x), gy = group(y);
    if (gx != gy) return gx - gy;
    if (gx < 2 && x->value != y->value)
        return (rank_max ? x->value > y->value : x->value < y->value) ? -1 : 1;
    return x->number - y->number;
}

void sc_rank(const nnt_trial_record *t, size_t n, int maximize, size_t *order)
{
    for (size_t i = 0; i < n; i++) order[i] = i;
    rank_t = t; /* qsort has no context argument; the CLI is single-threaded here */
    rank_max = maximize;
    qsort(order, n, sizeof *order, cmp_rank);
}

const char *sc_fmt_value(char *buf, size_t n, double v)
{
    if (!isfinite(v)) snprintf(buf, n, "-");
    else if (fabs(v) <= 1e4 && (v == 0 || fabs(v) >= 1e-3)) snprintf(buf, n, "%.4f", v);
    else snprintf(buf, n, "%.4g", v);
    return buf;
}

void sc_leaderboard(FILE *f, const nnt_study_record *rec, const nnt_trial_record *t, size_t n,
                    int top)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return;
    sc_rank(t, n, rec->maximize, order);
    size_t complete = 0;
    for (size_t i = 0; i < n; i++) complete += t[i].state == NNT_TRIAL_COMPLETE;
    fprintf(f, "Leaderboard of study '%s' (%zu trials, %zu complete; %s, %s is better):\n",
            rec->name, n, complete, rec->metric, rec->maximize ? "higher" : "lower");
    fprintf(f, "  %-4s  %-6s  %-10s  %-8s  %-6s  %-8s  %s\n", "rank", "trial", rec->metric,
            "spread", "epochs", "time", "params");
    int shown = 0;
    for (size_t k = 0; k < n && shown < top; k++) {
        const nnt_trial_record *r = &t[order[k]];
        if (r->state != NNT_TRIAL_COMPLETE || !isfinite(r->value)) break;
        char v[32], s[32], d[32];
        fprintf(f, "  %-4d  %-6d  %-10s  %-8s  %-6d  %-8s  %s\n", shown + 1, r->number,
                sc_fmt_value(v, sizeof v, r->value), sc_fmt_value(s, sizeof s, r->value_spread),
                r->epochs, cli_fmt_duration(r->duration, d, sizeof d), r->params ? r->params : "");
        shown++;
    }
    if (shown == 0) fprintf(f, "  (no complete trial)\n");
    free(order);
}
