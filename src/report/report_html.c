/* The HTML report: one self-contained page (inline CSS and SVG, no scripts,
 * no external resources) that is also well-formed XML, so it can be checked
 * with any XML parser and printed as it is. */
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"

/* No '<' or '&' in here: the page must stay well-formed XML. */
static const char CSS[] =
    ":root { color-scheme: light; }\n"
    "body { margin: 0; background: #f6f6f4; color: #1d1d1f;\n"
    "  font-family: system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, "
    "sans-serif;\n"
    "  font-size: 15px; line-height: 1.45; }\n"
    "main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 48px; background: #ffffff; }\n"
    "h1 { font-size: 26px; margin: 0 0 4px; word-break: break-word; }\n"
    "h2 { font-size: 19px; margin: 0 0 8px; border-bottom: 1px solid #dddddd; padding-bottom: 4px; }\n"
    "section { margin: 28px 0; }\n"
    ".meta, .caption, .note, footer { color: #555555; font-size: 13px; }\n"
    ".note { font-style: italic; }\n"
    ".empty { font-size: 18px; padding: 14px 18px; background: #fff6e0; border: 1px solid #e9c46a;"
    " border-radius: 6px; }\n"
    "nav { font-size: 13px; margin: 12px 0; }\n"
    "nav a { margin-right: 12px; color: #1f5fa8; text-decoration: none; }\n"
    "ul.findings li { margin: 4px 0; }\n"
    ".figure { overflow-x: auto; }\n"
    "svg { max-width: 100%; height: auto; display: block; background: #ffffff; }\n"
    "svg text:not([fill]) { fill: #333333; }\n"
    "table { border-collapse: collapse; font-size: 12px; margin: 6px 0; }\n"
    "th, td { border: 1px solid #dddddd; padding: 3px 7px; text-align: left; vertical-align: top; }\n"
    "th { background: #f0f0ee; }\n"
    "td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
    "tr.complete td:first-child { border-left: 3px solid #1f77b4; }\n"
    "tr.pruned td:first-child { border-left: 3px solid #ff7f0e; }\n"
    "tr.failed td:first-child { border-left: 3px solid #d62728; }\n"
    ".scroll { overflow-x: auto; }\n"
    "pre { background: #f4f4f2; padding: 10px 12px; border-radius: 4px; overflow-x: auto;"
    " font-size: 12px; }\n"
    "@media print {\n"
    "  body { background: #ffffff; font-size: 10pt; }\n"
    "  main { max-width: none; padding: 0; }\n"
    "  nav { display: none; }\n"
    "  section.plot, section.keep { break-inside: avoid; page-break-inside: avoid; }\n"
    "  .figure, .scroll { overflow: visible; }\n"
    "  table { font-size: 8pt; }\n"
    "}\n";

typedef int (*plot_fn)(const nnt_report *r, rbuf *b, const char **note);

typedef struct plot_def {
    const char *id, *title, *caption;
    plot_fn fn;
} plot_def;

static const plot_def PLOTS[] = {
    {"history", "Optimisation history",
     "Each trial's value in trial order; the line is the best value so far. Pruned trials show "
     "the best value they reached; failed and running trials sit in the band below the axis.",
     nnt__svg_history},
    {"parallel", "Parallel coordinates",
     "One line per complete trial across every searched parameter and the objective, coloured "
     "by value (yellow is best). Categorical axes list their choices; log parameters have log "
     "axes; a line breaks where a conditional parameter is inactive.",
     nnt__svg_parallel},
    {"slices", "Slice plots",
     "The objective against each parameter on its own (complete trials, coloured by value).",
     nnt__svg_slices},
    {"importance", "Hyperparameter importance",
     "Share of the objective's variance that each parameter explains on its own (main effects "
     "from a random forest fitted to the complete trials).",
     nnt__svg_importance},
    {"curves", "Learning curves of the top trials",
     "Training (solid) and validation (dashed) metrics per epoch of the best trials.",
     nnt__svg_curves},
    {"intermediate", "Intermediate values and pruning",
     "Validation metric per epoch of every trial; squares mark where pruning stopped a trial, "
     "crosses where a trial failed.",
     nnt__svg_intermediate},
    {"batch-lr", "Batch size against learning rate",
     "Each trial's batch size and learning rate, coloured by value; failed trials (for example "
     "diverged ones) are crosses.",
     nnt__svg_batch_lr},
    {"pareto", "Pareto front", "Trials that no other trial beats in every objective.",
     nnt__svg_pareto},
};
#define N_PLOTS (int)(sizeof PLOTS / sizeof *PLOTS)

static void th(rbuf *b, const char *s)
{
    nnt__rb_puts(b, "<th>");
    nnt__rb_xml(b, s);
    nnt__rb_puts(b, "</th>");
}

static void td(rbuf *b, const char *s, int num)
{
    nnt__rb_puts(b, num ? "<td class=\"num\">" : "<td>");
    nnt__rb_xml(b, s);
    nnt__rb_puts(b, "</td>");
}

static void trial_table(const nnt_report *r, rbuf *b, const int *idx, int n, int ranked)
{
    char v[32];
    /* A study run over MPI: the worker rank of each trial. */
    int mpi = 0;
    for (int i = 0; i < r->n; i++) mpi |= r->t[i].rec->rank >= 1;
    nnt__rb_puts(b, "<div class=\"scroll\"><table><thead><tr>");
    if (ranked) th(b, "rank");
    th(b, "trial");
    th(b, "state");
    th(b, r->study.metric);
    th(b, "spread");
    th(b, "epochs run");
    th(b, "seconds");
    if (mpi) th(b, "MPI rank");
    if (r->np > 0)
        for (int p = 0; p < r->np; p++) th(b, r->info[p].name);
    else
        th(b, "params");
    th(b, "error");
    nnt__rb_puts(b, "</tr></thead><tbody>");
    for (int k = 0; k < n; k++) {
        const rtrial *t = &r->t[idx ? idx[k] : k];
        nnt__rb_printf(b, "<tr class=\"%s\">", nnt_trial_state_name(t->rec->state));
        if (ranked) nnt__rb_printf(b, "<td class=\"num\">%d</td>", k + 1);
        nnt__rb_printf(b, "<td class=\"num\">%d</td>", t->rec->number);
        td(b, nnt_trial_state_name(t->rec->state), 0);
        td(b, nnt__fmt_value(v, t->rec->value), 1);
        td(b, nnt__fmt_value(v, t->rec->value_spread), 1);
        nnt__rb_printf(b, "<td class=\"num\">%d</td>", t->rec->epochs);
        td(b, nnt__fmt_short(v, t->rec->duration), 1);
        if (mpi && t->rec->rank >= 1) nnt__rb_printf(b, "<td class=\"num\">%d</td>", t->rec->rank);
        else if (mpi) td(b, "-", 1);
        if (r->np > 0) {
            if (t->x_ok) {
                for (int p = 0; p < r->np; p++) td(b, nnt__report_param_text(r, t, p, v), 0);
            } else {
                nnt__rb_printf(b, "<td colspan=\"%d\">", r->np);
                nnt__rb_xml(b, t->rec->params);
                nnt__rb_puts(b, "</td>");
            }
        } else {
            td(b, t->rec->params ? t->rec->params : "", 0);
        }
        td(b, t->rec->error ? t->rec->error : "", 0);
        nnt__rb_puts(b, "</tr>");
    }
    nnt__rb_puts(b, "</tbody></table></div>");
}

static void tables(const nnt_report *r, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    char v[32], w[32];
    if (r->n_ranked > 0) {
        int k = s->n_top > r->opt.top_k ? s->n_top : r->opt.top_k;
        if (k > REPORT_TOP_TABLE_MAX) k = REPORT_TOP_TABLE_MAX;
        if (k > r->n_ranked) k = r->n_ranked;
        nnt__rb_printf(b, "<section id=\"top-trials\"><h2>Top %d trials</h2>", k);
        trial_table(r, b, r->ranked, k, 1);
        nnt__rb_puts(b, "</section>\n");
    }
    if (s->n_overfit > 0) {
        nnt__rb_printf(b, "<section id=\"overfitting\" class=\"keep\"><h2>Overfitting</h2><p class=\"caption\">"
                     "%d of the %d trials with per-epoch values overfit: their validation ",
                       s->n_overfit, s->n_with_epochs);
        nnt__rb_xml(b, s->curve_metric);
        nnt__rb_printf(b, " got worse after their best epoch while the training loss kept falling. A "
                     "trial's value is from its best epoch, so the ranking stands. The %d "
                     "best-ranked are listed (every one is in the JSON form). Validation and "
                     "training are the same metric; the gap is training minus validation at the "
                     "last epoch (positive: training is better).</p><table><thead><tr>",
                       s->n_overfit_listed);
        char hv[64], ht[64];
        snprintf(hv, sizeof hv, "validation %s (best, last)", s->curve_metric);
        snprintf(ht, sizeof ht, "training %s (best, last)", s->curve_metric);
        const char *hd[] = {"trial", "rank", "best epoch", "last epoch", hv, ht, "gap at end",
                            "training loss (best, last)"};
        for (int i = 0; i < 8; i++) th(b, hd[i]);
        nnt__rb_puts(b, "</tr></thead><tbody>");
        char p[80];
        for (int k = 0; k < s->n_overfit_listed; k++) {
            const nnt_report_overfit *o = &s->overfit[s->overfit_listed[k]];
            nnt__rb_printf(b, "<tr><td class=\"num\">%d</td>", o->number);
            if (o->rank > 0) nnt__rb_printf(b, "<td class=\"num\">%d</td>", o->rank);
            else td(b, "-", 1);
            nnt__rb_printf(b, "<td class=\"num\">%d</td><td class=\"num\">%d</td>", o->best_epoch,
                           o->last_epoch);
            snprintf(p, sizeof p, "%s, %s", nnt__fmt_value(v, o->best_valid), nnt__fmt_value(w, o->last_valid));
            td(b, p, 1);
            snprintf(p, sizeof p, "%s, %s", nnt__fmt_value(v, o->train_best), nnt__fmt_value(w, o->train_last));
            td(b, p, 1);
            td(b, nnt__fmt_value(v, o->gap), 1);
            snprintf(p, sizeof p, "%s, %s", nnt__fmt_value(v, o->train_loss_best),
                     nnt__fmt_value(w, o->train_loss_last));
            td(b, p, 1);
            nnt__rb_puts(b, "</tr>");
        }
        nnt__rb_puts(b, "</tbody></table></section>\n");
    }
    if (s->n_diverged > 0) {
        nnt__rb_puts(b, "<section id=\"diverged\" class=\"keep\"><h2>Diverged trials</h2><table><thead><tr>");
        th(b, "trial");
        th(b, "lr");
        th(b, "error");
        nnt__rb_puts(b, "</tr></thead><tbody>");
        for (int i = 0; i < s->n_diverged; i++) {
            nnt__rb_printf(b, "<tr><td class=\"num\">%d</td>", s->diverged[i].number);
            td(b, nnt__fmt_short(v, s->diverged[i].lr), 1);
            td(b, s->diverged[i].error, 0);
            nnt__rb_puts(b, "</tr>");
        }
        nnt__rb_puts(b, "</tbody></table></section>\n");
    }
    if (s->suggested_space) {
        nnt__rb_puts(b, "<section id=\"suggested-space\" class=\"keep\"><h2>Suggested search space</h2>"
                   "<p class=\"caption\">Ranges shrunk around the top trials (log scales kept, "
                   "choices no top trial used dropped). <code>nntune report --suggest-space "
                   "FILE</code> writes this study file; run it with <code>nntune tune FILE --data "
                   "...</code>.</p><pre>");
        nnt__rb_xml(b, s->suggested_space);
        nnt__rb_puts(b, "</pre></section>\n");
    }
    if (r->n > REPORT_DETAIL_ALL) {
        /* a large study: its best trials; every one is in the CSV and JSON forms */
        int k = r->n_ranked < REPORT_TRIAL_TABLE_MAX ? r->n_ranked : REPORT_TRIAL_TABLE_MAX;
        nnt__rb_printf(b, "<section id=\"all-trials\"><h2>Trials (%d)</h2><p class=\"caption\">The "
                     "best %d of %d trials, by value. Every trial is in <code>nntune report "
                     "--format csv</code> (or <code>json</code>).</p>",
                       r->n, k, r->n);
        trial_table(r, b, r->ranked, k, 1);
        nnt__rb_puts(b, "</section>\n");
    } else if (r->n > 0) {
        nnt__rb_printf(b, "<section id=\"all-trials\"><h2>All trials (%d)</h2>", r->n);
        trial_table(r, b, NULL, r->n, 0);
        nnt__rb_puts(b, "</section>\n");
    }
}

int nnt__report_render_html(const nnt_report *r, rbuf *b)
{
    const nnt_report_summary *s = &r->sum;
    nnt__rb_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
               "<meta charset=\"utf-8\" />\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n");
    nnt__rb_printf(b, "<meta name=\"generator\" content=\"nntune %s\" />\n<title>nntune report: ",
                   nnt_version());
    nnt__rb_xml(b, s->study);
    nnt__rb_puts(b, "</title>\n<style>\n");
    nnt__rb_puts(b, CSS);
    nnt__rb_puts(b, "</style>\n</head>\n<body>\n<main>\n<header><h1>Study <q>");
    nnt__rb_xml(b, s->study);
    nnt__rb_puts(b, "</q></h1><p class=\"meta\">Objective: ");
    nnt__rb_xml(b, s->metric);
    nnt__rb_printf(b, " (%s is better) &#183; %d trials &#183; report by nntune %s</p></header>\n",
                   s->maximize ? "higher" : "lower", s->n_trials, nnt_version());
    nnt__rb_puts(b, "<nav><a href=\"#summary\">Summary</a>");
    for (int i = 0; i < N_PLOTS; i++) {
        nnt__rb_printf(b, "<a href=\"#%s\">", PLOTS[i].id);
        nnt__rb_xml(b, PLOTS[i].title);
        nnt__rb_puts(b, "</a>");
    }
    nnt__rb_puts(b, "<a href=\"#all-trials\">Trials</a></nav>\n");
    if (r->n > REPORT_DETAIL_ALL)
        nnt__rb_printf(b, "<p class=\"note\">A large study: in the plots its %d best trials (and its "
                     "first %d failed ones) are drawn one by one with hover text, the others as "
                     "small dots or an even sample of lines; the tables list the best trials. "
                     "<code>nntune report --format csv</code> has every trial.</p>\n",
                       REPORT_DETAIL_TOP, REPORT_DETAIL_TOP);
    if (s->best_number < 0)
        nnt__rb_puts(b, "<p class=\"empty\" id=\"empty\">No completed trials yet. The plots and the summary "
                   "fill in as trials complete; this report can be made again while the study runs.</p>\n");
    nnt__rb_puts(b, "<section id=\"summary\" class=\"keep\"><h2>Summary</h2><ul class=\"findings\">");
    if (nnt__report_findings_list(r, b, "<li>", "</li>", nnt__rb_xml) != NNT_OK) return NNT_ERR_NOMEM;
    nnt__rb_puts(b, "</ul></section>\n");
    for (int i = 0; i < N_PLOTS; i++) {
        const plot_def *pd = &PLOTS[i];
        rbuf svg = {0};
        const char *note = NULL;
        int drawn = pd->fn(r, &svg, &note);
        if (svg.oom) {
            nnt__rb_free(&svg);
            return NNT_ERR_NOMEM;
        }
        nnt__rb_printf(b, "<section class=\"%s\" id=\"%s\"><h2>", drawn ? "plot" : "plot noplot", pd->id);
        nnt__rb_xml(b, pd->title);
        nnt__rb_puts(b, "</h2>");
        if (drawn) {
            nnt__rb_puts(b, "<p class=\"caption\">");
            nnt__rb_xml(b, pd->caption);
            nnt__rb_puts(b, "</p><div class=\"figure\">");
            nnt__rb_add(b, svg.p, svg.len);
            nnt__rb_puts(b, "</div>");
        } else {
            nnt__rb_puts(b, "<p class=\"note\">Not shown: ");
            nnt__rb_xml(b, note ? note : "no data");
            nnt__rb_puts(b, ".</p>");
        }
        nnt__rb_puts(b, "</section>\n");
        nnt__rb_free(&svg);
    }
    tables(r, b);
    nnt__rb_puts(b, "<footer>Self-contained report: no scripts, no network requests. Hover over a point "
               "or a line for its trial and parameters. Methods: docs/report.md.</footer>\n"
               "</main>\n</body>\n</html>\n");
    return NNT_OK;
}
