/* nntune tune: what is printed around the run -- the header line of the
 * study, and the closing summary (text, or one JSON object). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "study_common.h"
#include "tune_cli.h"

void tune_print_header(const tune_settings *s, const nnt_study_options *so,
                       const nnt_study_summary *sum, int has_valid)
{
    char name[160];
    printf("study '%s' in %s: %s search, ", cli_shown(s->study, name, sizeof name), s->storage, s->sampler);
    if (strcmp(sum->pruner, "none")) printf("%s pruning, ", sum->pruner);
    else printf("no pruning, ");
    printf("%s", sum->metric);
    for (int k = 0; k < so->n_costs; k++) printf(" + %s", nnt_cost_name(so->costs[k]));
    printf(", seed %llu%s", (unsigned long long)sum->seed, sum->resumed ? ", resumed" : "");
    if (sum->resumed)
        printf(" (%d trial%s on record, %d count%s against the budget)", sum->n_trials,
               sum->n_trials == 1 ? "" : "s", sum->n_done, sum->n_done == 1 ? "s" : "");
    char sel[256];
    printf("\nselection: %s\n", sc_selection_text(sel, sizeof sel, sum, has_valid));
    fflush(stdout);
}

void tune_print_summary_json(const tune_settings *s, nnt_study *study,
                             const nnt_study_summary *sum)
{
    nnt_error err;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string("summary"));
    json_object_object_add(o, "study", json_object_new_string(s->study));
    json_object_object_add(o, "metric", json_object_new_string(sum->metric));
    json_object_object_add(o, "trials", json_object_new_int(sum->n_trials));
    json_object_object_add(o, "complete", json_object_new_int(sum->n_complete));
    json_object_object_add(o, "failed", json_object_new_int(sum->n_failed));
    json_object_object_add(o, "pruned", json_object_new_int(sum->n_pruned));
    json_object_object_add(o, "sampler", json_object_new_string(s->sampler));
    json_object_object_add(o, "pruner", json_object_new_string(sum->pruner));
    if (sum->n_objectives > 1) {
        int *front = malloc((size_t)(sum->n_pareto > 0 ? sum->n_pareto : 1) * sizeof *front);
        json_object *a = json_object_new_array();
        int m = front ? nnt_study_pareto(study, front, sum->n_pareto, &err) : 0;
        for (int i = 0; i < m && i < sum->n_pareto; i++) json_object_array_add(a, json_object_new_int(front[i]));
        json_object_object_add(o, "pareto_front", a);
        free(front);
    }
    if (sum->best_number >= 0) {
        json_object_object_add(o, "best_trial", json_object_new_int(sum->best_number));
        json_object_object_add(o, "best_value", cli_json_num(sum->best_value));
        json_object_object_add(o, "best_params", json_tokener_parse(sum->best_params));
        if (sum->model_path) json_object_object_add(o, "model", json_object_new_string(sum->model_path));
    }
    if (sum->refit != 0) {
        json_object *rf = json_object_new_object();
        json_object_object_add(rf, "done", json_object_new_boolean(sum->refit > 0));
        json_object_object_add(rf, "epochs", json_object_new_int(sum->refit_epochs));
        json_object_object_add(rf, "rows", json_object_new_int64((int64_t)sum->refit_rows));
        json_object_object_add(rf, "seconds", cli_json_num(sum->refit_seconds));
        if (sum->refit_rank > 0) json_object_object_add(rf, "rank", json_object_new_int(sum->refit_rank));
        if (sum->refit_note[0]) json_object_object_add(rf, "note", json_object_new_string(sum->refit_note));
        if (sum->refit_trial_n_test > 0)
            json_object_object_add(rf, "trial_test", cli_json_metrics(&sum->refit_trial_test));
        json_object_object_add(o, "refit", rf);
    }
    json_object *sel = json_object_new_object();
    json_object_object_add(sel, "cv_folds", json_object_new_int(sum->n_folds));
    json_object_object_add(sel, "refit", json_object_new_boolean(sum->refit_planned));
    json_object_object_add(sel, "ensemble", json_object_new_boolean(sum->ensemble && sum->n_folds > 1));
    if (sum->model_members > 0)
        json_object_object_add(sel, "model_members", json_object_new_int(sum->model_members));
    json_object_object_add(sel, "rows", json_object_new_int64((int64_t)sum->tuned_rows));
    json_object_object_add(sel, "small_data", json_object_new_boolean(sum->small_data));
    json_object_object_add(o, "selection", sel);
    json_object_object_add(o, "tied", json_object_new_int(sum->n_tied));
    if (sum->has_test) json_object_object_add(o, "test", cli_json_metrics(&sum->test));
    if (sum->stopped) json_object_object_add(o, "stopped", json_object_new_boolean(1));
    cli_json_emit(o);
}

void tune_print_summary_text(const tune_settings *s, nnt_storage *storage,
                             const nnt_study_summary *sum, int has_valid)
{
    nnt_error err;
    nnt_study_record rec;
    memset(&rec, 0, sizeof rec);
    nnt_trial_record *trials = NULL;
    size_t nt = 0;
    if (nnt_storage_find_study(storage, s->study, &rec, &err) == NNT_OK &&
        nnt_storage_trials_load(storage, rec.id, &trials, &nt, &err) == NNT_OK) {
        printf("\n");
        sc_leaderboard(stdout, &rec, trials, nt, 5);
        sc_ties_line(stdout, &rec, trials, nt);
        if (sum->n_objectives > 1) {
            printf("\n");
            sc_pareto_table(stdout, &rec, trials, nt);
        }
    }
    nnt_trial_records_free(trials, nt);
    nnt_study_record_free(&rec);
    printf("Trials: %d complete, %d pruned, %d failed\n", sum->n_complete, sum->n_pruned,
           sum->n_failed);
    char sel[256];
    printf("Selection: %s\n", sc_selection_text(sel, sizeof sel, sum, has_valid));
    if (sum->best_number >= 0) {
        char v[32];
        printf("Best: trial %d, %s %s", sum->best_number, sum->metric,
               sc_fmt_value(v, sizeof v, sum->best_value));
        if (sum->model_path) printf(", model saved to %s", sum->model_path);
        printf("\n");
        if (sum->refit > 0) {
            char d[32];
            printf("Refit: trial %d's configuration on %zu rows for %d epochs (%s", sum->best_number,
                   sum->refit_rows, sum->refit_epochs, cli_fmt_duration(sum->refit_seconds, d, sizeof d));
            if (sum->refit_rank > 0) printf(", on MPI rank %d", sum->refit_rank);
            printf("); the saved model is the refit");
            if (sum->model_members > 1)
                printf(" averaged with trial %d's %d fold models", sum->best_number,
                       sum->model_members - 1);
            printf("\n");
        } else if (sum->refit < 0) {
            printf("Refit: %s\n", sum->refit_note);
        }
        const char *which = sum->refit > 0 ? "refit model" : "best model";
        if (sum->has_test) {
            char m[256];
            if (isfinite(sum->test.accuracy)) {
                printf("Test accuracy of the %s: %.4f (%zu rows; %s)\n", which,
                       sum->test.accuracy, sum->n_test, cli_fmt_metrics(m, sizeof m, "", &sum->test));
                if (sum->refit_trial_n_test > 0)
                    printf("Test accuracy of trial %d's own model: %.4f\n", sum->best_number,
                           sum->refit_trial_test.accuracy);
            } else {
                printf("Test metrics of the %s (%zu rows): %s\n", which, sum->n_test,
                       cli_fmt_metrics(m, sizeof m, "", &sum->test));
            }
        }
    } else {
        printf("No trial completed.\n");
    }
    if (sum->stopped)
        printf("Stopped: run the same command again to resume the study.\n");
}
