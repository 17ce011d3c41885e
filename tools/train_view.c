/* nntune train: the progress display while training (a live bar on a
 * terminal, a line per epoch, or JSON) and the report at the end. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "train_cli.h"



static void show_epoch_line(const nnt_progress *p, double epoch_s)
{
    char tr[160], va[160], dur[32];
    cli_fmt_metrics(tr, sizeof tr, "", &p->train);
    if (p->has_valid) cli_fmt_metrics(va, sizeof va, "val_", &p->valid);
    else va[0] = '\0';
    fprintf(stderr, "epoch %d/%d  %s%s%s  %s%s\n", p->epoch, p->max_epochs, tr, va[0] ? "  " : "",
            va, cli_fmt_duration(epoch_s, dur, sizeof dur), p->is_best && p->has_valid ? " *" : "");
    fflush(stderr);
}

static void emit_epoch_json(const nnt_progress *p)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string("epoch"));
    json_object_object_add(o, "epoch", json_object_new_int(p->epoch));
    json_object_object_add(o, "max_epochs", json_object_new_int(p->max_epochs));
    json_object_object_add(o, "train", cli_json_metrics(&p->train));
    if (p->has_valid) json_object_object_add(o, "valid", cli_json_metrics(&p->valid));
    json_object_object_add(o, "monitored", cli_json_num(p->monitored));
    json_object_object_add(o, "is_best", json_object_new_boolean(p->is_best));
    json_object_object_add(o, "lr", cli_json_num(p->lr));
    json_object_object_add(o, "elapsed_s", cli_json_num(p->elapsed_s));
    cli_json_emit(o);
}

int train_on_progress(const nnt_progress *p, void *userdata)
{
    train_progress *st = userdata;
    if (p->pretraining) {
        st->in_pretraining = 1;
        if (st->mode == SHOW_LIVE || st->mode == SHOW_LINES) {
            char line[256];
            snprintf(line, sizeof line, "pretraining layer %d  epoch %d/%d  loss %.4f", p->batch,
                     p->epoch, p->max_epochs, isfinite(p->train.loss) ? p->train.loss : p->batch_loss);
            if (st->mode == SHOW_LIVE) cli_line_draw(line);
            else fprintf(stderr, "%s\n", line);
        }
        st->epoch_start = p->elapsed_s;
        return cli_interrupted() ? NNT_PRUNED : 0;
    }
    if (st->in_pretraining) {
        st->in_pretraining = 0;
        if (st->mode == SHOW_LIVE) cli_line_end();
    }

    if (p->batch > 0) { /* batch event: only the live bar uses them */
        double now = cli_now();
        if (st->mode == SHOW_LIVE && (now - st->last_draw >= 0.1 || p->batch == p->n_batches)) {
            st->last_draw = now;
            double frac = p->n_batches > 0 ? (double)p->batch / p->n_batches : 0;
            double spent = p->elapsed_s - st->epoch_start;
            double eta = frac > 0 ? spent * (1 - frac) / frac : 0;
            char bar[64], etas[32], line[256];
            cli_bar(bar, sizeof bar, frac, 30);
            snprintf(line, sizeof line, "epoch %d/%d %s %d/%d  loss %.4f  ETA %s", p->epoch,
                     p->max_epochs, bar, p->batch, p->n_batches, p->batch_loss,
                     cli_fmt_duration(eta, etas, sizeof etas));
            cli_line_draw(line);
        }
        return cli_interrupted() ? NNT_PRUNED : 0;
    }

    double epoch_s = p->elapsed_s - st->epoch_start;
    st->epoch_start = p->elapsed_s;
    switch (st->mode) {
    case SHOW_LIVE:
        cli_line_clear();
        show_epoch_line(p, epoch_s);
        break;
    case SHOW_LINES: show_epoch_line(p, epoch_s); break;
    case SHOW_JSON: emit_epoch_json(p); break;
    default: break;
    }
    return cli_interrupted() ? NNT_PRUNED : 0;
}

const char *train_status_key(int status, const nnt_train_result *r, int max_epochs)
{
    switch (status) {
    case NNT_OK: return r->epochs_run < max_epochs ? "early_stopped" : "ok";
    case NNT_TIMEOUT: return "time_limit";
    case NNT_DIVERGED: return "diverged";
    case NNT_PRUNED: return "interrupted";
    default: return "error";
    }
}

void train_status_text(char *buf, size_t n, int status, const nnt_train_result *r,
                        int max_epochs)
{
    switch (status) {
    case NNT_OK:
        if (r->epochs_run < max_epochs)
            snprintf(buf, n, "early-stopped at epoch %d (best %d)", r->epochs_run, r->best_epoch);
        else snprintf(buf, n, "ok (%d epochs, best %d)", r->epochs_run, r->best_epoch);
        break;
    case NNT_TIMEOUT:
        if (r->epochs_run == 0) snprintf(buf, n, "time limit reached during the first epoch");
        else snprintf(buf, n, "time limit reached at epoch %d (best %d)", r->epochs_run, r->best_epoch);
        break;
    case NNT_DIVERGED: snprintf(buf, n, "diverged at epoch %d", r->epochs_run + 1); break;
    case NNT_PRUNED:
        snprintf(buf, n, "interrupted at epoch %d (best %d)", r->epochs_run, r->best_epoch);
        break;
    default: snprintf(buf, n, "failed"); break;
    }
}

void train_print_done(const train_args *a, const train_outcome *o)
{
    const nnt_train_result *res = o->res;
    nnt_metric mon = a->topt.monitor;
    if (mon == NNT_METRIC_AUTO)
        mon = o->task == NNT_TASK_CLASSIFY || o->task == NNT_TASK_BINARY ? NNT_METRIC_ACCURACY
                                                                          : NNT_METRIC_LOSS;
    const nnt_metrics *last_train = res->epochs_run > 0 && res->history
                                        ? &res->history[res->epochs_run - 1].train
                                        : &res->best_train;
    if (a->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "event", json_object_new_string("done"));
        json_object_object_add(j, "status", json_object_new_string(train_status_key(o->status, res, a->topt.max_epochs)));
        json_object_object_add(j, "task", json_object_new_string(cli_task_name(o->task)));
        json_object_object_add(j, "epochs_run", json_object_new_int(res->epochs_run));
        json_object_object_add(j, "best_epoch", json_object_new_int(res->best_epoch));
        json_object_object_add(j, "monitor", json_object_new_string(nnt_metric_name(mon)));
        if (o->has_valid) {
            json_object_object_add(j, "best_value", cli_json_num(nnt_metrics_get(&res->best_valid, mon)));
            json_object_object_add(j, "best_valid", cli_json_metrics(&res->best_valid));
        }
        json_object_object_add(j, "best_train", cli_json_metrics(&res->best_train));
        if (o->test) {
            json_object *t = cli_json_metrics(&o->test->metrics);
            json_object_object_add(t, "n", json_object_new_int64((int64_t)o->test->n));
            json_object_object_add(j, "test", t);
        }
        json_object_object_add(j, "seconds", cli_json_num(res->seconds));
        json_object_object_add(j, "model", json_object_new_string(a->out));
        cli_json_emit(j);
    } else {
        char buf[256], dur[32], stext[128];
        train_status_text(stext, sizeof stext, o->status, res, a->topt.max_epochs);
        printf("status: %s\n", stext);
        if (o->has_valid && res->best_epoch > 0) {
            printf("best validation %s: %.4f (epoch %d)  [%s]\n", nnt_metric_name(mon),
                   nnt_metrics_get(&res->best_valid, mon), res->best_epoch,
                   cli_fmt_metrics(buf, sizeof buf, "val_", &res->best_valid));
        } else if (res->epochs_run > 0) {
            printf("final training metrics: %s\n", cli_fmt_metrics(buf, sizeof buf, "", last_train));
        }
        if (o->test)
            printf("test (%zu rows): %s\n", o->test->n,
                   cli_fmt_metrics(buf, sizeof buf, "test_", &o->test->metrics));
        printf("model saved to %s (%s)\n", a->out, cli_fmt_duration(res->seconds, dur, sizeof dur));
        fflush(stdout);
    }
}
