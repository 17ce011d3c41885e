/* nntune tune: the view of a running study -- a line per trial, a live
 * status block on a terminal, or one JSON object per event. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "study_common.h"
#include "tune_cli.h"

static void clear_block(tune_view *v)
{
    if (v->block_lines > 0) {
        fprintf(stdout, "\033[%dA\r\033[J", v->block_lines);
        v->block_lines = 0;
    }
}

static void draw_block(tune_view *v, const nnt_study_event *e)
{
    char el[32], left[32], bv[32];
    int w = cli_term_width() - 1;
    char line[512];
    int n = snprintf(line, sizeof line, "trials %d", e->n_done);
    if (e->max_trials > 0) n += snprintf(line + n, sizeof line - n, "/%d", e->max_trials);
    n += snprintf(line + n, sizeof line - n, "  running %d  elapsed %s", e->n_running,
                  cli_fmt_duration(e->elapsed_s, el, sizeof el));
    if (e->max_seconds > 0)
        n += snprintf(line + n, sizeof line - n, "  time left %s",
                      cli_fmt_duration(e->max_seconds - e->elapsed_s, left, sizeof left));
    if (e->best_number >= 0)
        snprintf(line + n, sizeof line - n, "  best #%d %s %s", e->best_number, e->metric,
                 sc_fmt_value(bv, sizeof bv, e->best_value));
    fprintf(stdout, "%.*s\n", w, line);
    int lines = 1;
    for (int i = 0; i < TUNE_MAX_WORKERS; i++) {
        if (v->running[i].number < 0) continue;
        n = snprintf(line, sizeof line, "  job %d: trial %d", i, v->running[i].number);
        if (v->running[i].n_folds > 1)
            n += snprintf(line + n, sizeof line - n, " fold %d/%d", v->running[i].fold + 1,
                          v->running[i].n_folds);
        if (v->running[i].epoch > 0)
            snprintf(line + n, sizeof line - n, "  epoch %d/%d  val %s %s", v->running[i].epoch,
                     v->running[i].max_epochs, e->metric,
                     sc_fmt_value(bv, sizeof bv, v->running[i].value));
        fprintf(stdout, "%.*s\n", w, line);
        lines++;
    }
    fflush(stdout);
    v->block_lines = lines;
}

static void print_trial_line(FILE *f, const nnt_study_event *e, const nnt_cost *costs)
{
    char v[32], s[32], d[32], params[2048];
    fprintf(f, "trial %-4d %-8s ", e->number, nnt_trial_state_name(e->state));
    if (isfinite(e->value)) {
        fprintf(f, "%s %s", e->metric, sc_fmt_value(v, sizeof v, e->value));
        if (isfinite(e->value_spread)) fprintf(f, " (sd %s)", sc_fmt_value(s, sizeof s, e->value_spread));
        for (int k = 1; k < e->n_values && costs; k++)
            fprintf(f, "  %s %s", nnt_cost_name(costs[k - 1]),
                    sc_fmt_objective(s, sizeof s, nnt_cost_name(costs[k - 1]), e->values[k]));
    } else {
        char error[400];
        fprintf(f, "%s", e->error ? cli_shown(e->error, error, sizeof error) : "-");
    }
    fprintf(f, "  %d epochs  %s  %s%s\n", e->epochs, cli_fmt_duration(e->duration, d, sizeof d),
            cli_shown(e->params, params, sizeof params), e->is_best ? "  *best*" : "");
}

static void emit_json(const nnt_study_event *e)
{
    static const char *const kinds[] = {"study_start", "trial_start", "epoch", "trial_end",
                                        "study_end", "refit_start", "refit_end", "refit_epoch"};
    json_object *o = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string(kinds[e->kind]));
    if (e->number >= 0) {
        json_object_object_add(o, "trial", json_object_new_int(e->number));
        json_object_object_add(o, "worker", json_object_new_int(e->worker));
    }
    if (e->kind == NNT_EVENT_TRIAL_START || e->kind == NNT_EVENT_TRIAL_END) {
        json_object *p = e->params ? json_tokener_parse(e->params) : NULL;
        json_object_object_add(o, "params", p);
        if (e->retry_of >= 0) json_object_object_add(o, "retry_of", json_object_new_int(e->retry_of));
    }
    if (e->kind == NNT_EVENT_EPOCH) {
        if (e->n_folds > 1) json_object_object_add(o, "fold", json_object_new_int(e->fold));
        json_object_object_add(o, "epoch", json_object_new_int(e->epoch));
        json_object_object_add(o, e->metric, cli_json_num(e->epoch_value));
    }
    if (e->kind == NNT_EVENT_TRIAL_END) {
        json_object_object_add(o, "state", json_object_new_string(nnt_trial_state_name(e->state)));
        json_object_object_add(o, "value", cli_json_num(e->value));
        if (isfinite(e->value_spread))
            json_object_object_add(o, "value_spread", cli_json_num(e->value_spread));
        json_object_object_add(o, "epochs", json_object_new_int(e->epochs));
        json_object_object_add(o, "duration", cli_json_num(e->duration));
        if (e->error) json_object_object_add(o, "error", json_object_new_string(e->error));
        if (e->n_values > 0) {
            json_object *a = json_object_new_array();
            for (int k = 0; k < e->n_values; k++) json_object_array_add(a, cli_json_num(e->values[k]));
            json_object_object_add(o, "values", a);
        }
        json_object_object_add(o, "is_best", json_object_new_boolean(e->is_best));
    }
    if (e->kind == NNT_EVENT_REFIT_EPOCH) {
        json_object_object_add(o, "epoch", json_object_new_int(e->epoch));
        json_object_object_add(o, "epochs", json_object_new_int(e->max_epochs));
        json_object_object_add(o, "elapsed", cli_json_num(e->duration));
    }
    if (e->kind == NNT_EVENT_REFIT_START || e->kind == NNT_EVENT_REFIT_END) {
        json_object_object_add(o, "epochs", json_object_new_int(e->kind == NNT_EVENT_REFIT_END
                                                                    ? e->epochs
                                                                    : e->max_epochs));
        if (e->kind == NNT_EVENT_REFIT_END) {
            json_object_object_add(o, "duration", cli_json_num(e->duration));
            if (e->error) json_object_object_add(o, "error", json_object_new_string(e->error));
        }
    }
    if (e->kind == NNT_EVENT_STUDY_START || e->kind == NNT_EVENT_TRIAL_END ||
        e->kind == NNT_EVENT_STUDY_END) {
        json_object_object_add(o, "metric", json_object_new_string(e->metric));
        json_object_object_add(o, "done", json_object_new_int(e->n_done));
        if (e->max_trials > 0) json_object_object_add(o, "budget_trials", json_object_new_int(e->max_trials));
        if (e->max_seconds > 0) json_object_object_add(o, "budget_seconds", cli_json_num(e->max_seconds));
        json_object_object_add(o, "elapsed", cli_json_num(e->elapsed_s));
        if (e->best_number >= 0) {
            json_object_object_add(o, "best_trial", json_object_new_int(e->best_number));
            json_object_object_add(o, "best_value", cli_json_num(e->best_value));
        }
    }
    cli_json_emit(o);
}

void tune_view_on_event(const nnt_study_event *e, void *ud)
{
    tune_view *v = ud;
    /* Ctrl-C: stop cleanly; running trials are recorded as interrupted. */
    if (cli_interrupted()) nnt_study_stop(v->study);
    v->last = *e;
    v->have_last = 1;
    int w = e->worker >= 0 && e->worker < TUNE_MAX_WORKERS ? e->worker : -1;
    if (w >= 0) {
        if (e->kind == NNT_EVENT_TRIAL_START) {
            v->running[w].number = e->number;
            v->running[w].epoch = 0;
            v->running[w].n_folds = e->n_folds;
            v->running[w].fold = 0;
            v->running[w].value = NAN;
        } else if (e->kind == NNT_EVENT_EPOCH) {
            v->running[w].epoch = e->epoch;
            v->running[w].max_epochs = e->max_epochs;
            v->running[w].fold = e->fold;
            v->running[w].value = e->epoch_value;
        } else if (e->kind == NNT_EVENT_TRIAL_END) {
            v->running[w].number = -1;
        }
    }
    if (e->kind == NNT_EVENT_REFIT_EPOCH && v->mode != 3) {
        /* A line per refit epoch would be noise; the live view shows one. */
        if (v->mode == 2) {
            char d[32];
            clear_block(v);
            printf("  refit: epoch %d/%d  %s\n", e->epoch, e->max_epochs,
                   cli_fmt_duration(e->duration, d, sizeof d));
            v->block_lines = 1;
            fflush(stdout);
        }
        return;
    }
    if ((v->mode == 1 || v->mode == 2) &&
        (e->kind == NNT_EVENT_REFIT_START || e->kind == NNT_EVENT_REFIT_END)) {
        char d[32];
        if (v->mode == 2) clear_block(v);
        if (e->kind == NNT_EVENT_REFIT_START)
            printf("refit: trial %d's configuration on the training + validation rows, %d "
                   "epochs...\n",
                   e->number, e->max_epochs);
        else if (e->error)
            printf("refit: %s\n", e->error);
        else
            printf("refit: done, %d epochs in %s\n", e->epochs,
                   cli_fmt_duration(e->duration, d, sizeof d));
        fflush(stdout);
        return;
    }
    switch (v->mode) {
    case 1:
        if (e->kind == NNT_EVENT_TRIAL_END) {
            print_trial_line(stdout, e, v->costs);
            fflush(stdout);
        }
        break;
    case 2: {
        double now = cli_now();
        if (e->kind == NNT_EVENT_EPOCH && now - v->last_draw < 0.1) break;
        clear_block(v);
        if (e->kind == NNT_EVENT_TRIAL_END) print_trial_line(stdout, e, v->costs);
        if (e->kind != NNT_EVENT_STUDY_END) draw_block(v, e);
        v->last_draw = now;
        break;
    }
    case 3:
        emit_json(e);
        break;
    default: break;
    }
}

void tune_view_init(tune_view *v, int mode, const nnt_cost *costs)
{
    memset(v, 0, sizeof *v);
    for (int i = 0; i < TUNE_MAX_WORKERS; i++) v->running[i].number = -1;
    v->mode = mode;
    v->costs = costs;
}

void tune_view_finish(tune_view *v)
{
    if (v->mode == 2) clear_block(v);
}
