/* The report's plots as a person reads them: robust value ranges (one wild
 * value must not flatten a plot, and the points beyond it are marked and
 * counted), a compact page for a large study (2000 trials in at most 1 MB,
 * still well-formed XHTML), the overfitting finding that names the few trials
 * that matter, and parallel-coordinate tick labels that lines do not cross.
 * Studies are written through the storage table, as `nntune tune` would. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/nntune.h"
#include "report/report_plot.h"

static const char *SPACE =
    "{\"lr\": {\"type\": \"float\", \"low\": 0.0001, \"high\": 1, \"log\": true},"
    " \"batch_size\": [16, 32, 64, 128],"
    " \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5},"
    " \"activation\": [\"relu\", \"tanh\"],"
    " \"neurons\": {\"type\": \"int\", \"low\": 8, \"high\": 128, \"log\": true}}";

/* ---- Writing a study -------------------------------------------------------- */
static nnt_storage *open_rw(const char *path)
{
    nnt_storage *st = NULL;
    nnt_error err;
    if (nnt_storage_open_sqlite(path, 0, &st, &err) != NNT_OK) fail_msg("open %s: %s", path, err.message);
    return st;
}

static int64_t create_study(nnt_storage *st, const char *name, const char *metric, int maximize)
{
    char def[2048];
    snprintf(def, sizeof def, "{\"sampler\": \"random\", \"metric\": \"%s\", \"space\": %s}", metric,
             SPACE);
    nnt_study_open_request req;
    memset(&req, 0, sizeof req);
    req.name = name;
    req.definition = def;
    req.seed = 3;
    req.metric = metric;
    req.maximize = maximize;
    req.create = 1;
    nnt_study_record rec;
    nnt_error err;
    int created = 0;
    if (nnt_storage_study_open(st, &req, &rec, &created, &err) != NNT_OK)
        fail_msg("study_open: %s", err.message);
    int64_t id = rec.id;
    nnt_study_record_free(&rec);
    return id;
}

/* Starts trial n with random parameters; returns its lr. */
static double start(nnt_storage *st, int64_t id, int n, nnt_rng *rng)
{
    static const int bs[4] = {16, 32, 64, 128};
    static const char *act[2] = {"relu", "tanh"};
    char params[512];
    double lr = pow(10, -4 + 4 * nnt_rng_uniform(rng));
    snprintf(params, sizeof params,
             "{\"lr\": %.17g, \"batch_size\": %d, \"dropout\": %.17g, \"activation\": \"%s\", "
             "\"neurons\": %d}",
             lr, bs[nnt_rng_below(rng, 4)],
             0.5 * nnt_rng_uniform(rng), act[nnt_rng_below(rng, 2)],
             (int)lround(pow(2, 3 + 4 * nnt_rng_uniform(rng))));
    nnt_error err;
    if (nnt_storage_trial_start(st, id, n, params, 100 + (uint64_t)n, -1, 1000.0 + n, &err) != NNT_OK)
        fail_msg("trial_start %d: %s", n, err.message);
    return lr;
}

/* metrics(loss, accuracy, rmse) */
static nnt_metrics metrics(double loss, double acc, double rmse)
{
    nnt_metrics m = {loss, acc, rmse, NAN, NAN};
    return m;
}

static void epoch(nnt_storage *st, int64_t id, int n, int e, nnt_metrics train, nnt_metrics valid)
{
    nnt_epoch_row row;
    memset(&row, 0, sizeof row);
    row.epoch = e;
    row.train = train;
    row.valid = valid;
    row.lr = 0.01;
    row.elapsed_s = 0.1 * e;
    nnt_error err;
    if (nnt_storage_trial_epoch(st, id, n, &row, &err) != NNT_OK)
        fail_msg("trial_epoch %d/%d: %s", n, e, err.message);
}

static void finish(nnt_storage *st, int64_t id, int n, nnt_trial_state state, double value,
                   int epochs, const char *error)
{
    nnt_trial_record fin;
    memset(&fin, 0, sizeof fin);
    fin.number = n;
    fin.state = state;
    fin.value = value;
    fin.value_spread = NAN;
    fin.finished = 2000.0 + n;
    fin.duration = 0.5;
    fin.error = (char *)error;
    fin.epochs = epochs;
    fin.retry_of = -1;
    nnt_error err;
    if (nnt_storage_trial_finish(st, id, &fin, &err) != NNT_OK)
        fail_msg("trial_finish %d: %s", n, err.message);
}

static nnt_report *load(const char *path, const char *study)
{
    nnt_storage *st = NULL;
    nnt_error err;
    if (nnt_storage_open_sqlite(path, NNT_STORAGE_READONLY, &st, &err) != NNT_OK) fail_msg("open: %s", err.message);
    nnt_report *r = NULL;
    int rc = nnt_report_load(st, study, NULL, &r, &err);
    nnt_storage_close(st);
    if (rc != NNT_OK) fail_msg("report_load: %s", err.message);
    return r;
}

static char *render(const nnt_report *r, nnt_report_format f, size_t *len)
{
    char *text = NULL;
    nnt_error err;
    int rc = nnt_report_render(r, f, &text, len, &err);
    if (rc != NNT_OK) fail_msg("render: %s", err.message);
    assert_int_equal(strlen(text), *len);
    return text;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* Runs a Python check on a page (argv[1]); fails the test with its output. */
static char *py_check(const char *name, const char *page, const char *script)
{
    const char *file = tu_write(name, page);
    char sname[64];
    snprintf(sname, sizeof sname, "%s.py", name);
    const char *py = tu_write(sname, script);
    char cmd[1200], *out = NULL;
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s'", py, file);
    if (tu_run(cmd, &out) != 0) fail_msg("%s: %s", name, out ? out : "");
    return out;
}

/* Well-formed XML, one <svg> per drawn plot section; prints the counts and
 * the section sizes. */
static const char *XML_CHECK =
    "import sys, xml.etree.ElementTree as ET\n"
    "H = '{http://www.w3.org/1999/xhtml}'\n"
    "S = '{http://www.w3.org/2000/svg}'\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "plots = notes = 0\n"
    "for sec in root.iter(H + 'section'):\n"
    "    cls = (sec.get('class') or '').split()\n"
    "    if 'plot' not in cls: continue\n"
    "    n = len(list(sec.iter(S + 'svg')))\n"
    "    if 'noplot' in cls:\n"
    "        assert n == 0, sec.get('id'); notes += 1\n"
    "    else:\n"
    "        assert n == 1, (sec.get('id'), n); plots += 1\n"
    "print('plots=%d notes=%d' % (plots, notes))\n";

/* ---- Robust ranges ----------------------------------------------------------- */
static void test_robust_range(void **state)
{
    (void)state;
    double v[64];
    /* 59 values near 60 and one diverged trial at 14000: minimised */
    for (int i = 0; i < 59; i++) v[i] = 55 + 0.3 * i;
    v[59] = 14000;
    vrange r = nnt__robust_range(v, 60, 0);
    assert_int_equal(r.n_clipped, 1);
    assert_true(r.extreme == 14000);
    assert_true(r.lo == 55);                   /* the good end is never cut */
    assert_true(r.hi == 55 + 0.3 * 58);        /* the axis ends at the last value kept */

    /* the same, maximised (accuracy near 0.9 and one at 0.02): the low end goes */
    for (int i = 0; i < 59; i++) v[i] = 0.90 + 0.001 * i;
    v[59] = 0.02;
    r = nnt__robust_range(v, 60, 1);
    assert_int_equal(r.n_clipped, 1);
    assert_true(r.extreme == 0.02);
    assert_true(fabs(r.hi - 0.958) < 1e-12 && fabs(r.lo - 0.90) < 1e-12);

    /* values spread evenly are all kept, NANs are skipped */
    for (int i = 0; i < 40; i++) v[i] = i % 7 == 0 ? NAN : 0.5 + 0.01 * i;
    r = nnt__robust_range(v, 40, 1);
    assert_int_equal(r.n_clipped, 0);
    assert_true(isnan(r.extreme));
    assert_true(fabs(r.lo - 0.51) < 1e-12 && fabs(r.hi - 0.89) < 1e-12);

    /* most values tied at the best: the spread comes from a higher quantile */
    for (int i = 0; i < 50; i++) v[i] = i < 40 ? 1.0 : 0.98;
    r = nnt__robust_range(v, 50, 1);
    assert_int_equal(r.n_clipped, 0);
    assert_true(r.lo == 0.98 && r.hi == 1.0);

    /* too few values to tell the bulk: nothing is cut */
    double few[5] = {1, 2, 3, 4, 1e6};
    r = nnt__robust_range(few, 5, 0);
    assert_int_equal(r.n_clipped, 0);
    assert_true(r.hi == 1e6);

    /* nothing finite */
    double none[2] = {NAN, INFINITY};
    r = nnt__robust_range(none, 2, 0);
    assert_true(isnan(r.lo) && isnan(r.hi));
}

/* A regression study: 42 complete trials with RMSE near 60 that depends on
 * lr, one diverged to 14000, one trial whose second epoch reached 1e35. The
 * history, slice and intermediate plots keep the bulk on scale and mark
 * what is not; importance still finds lr (the wild value, counted at the
 * edge of the bulk, does not decide it). */
static const char *AXIS_CHECK =
    "import sys, re, xml.etree.ElementTree as ET\n"
    "H = '{http://www.w3.org/1999/xhtml}'\n"
    "S = '{http://www.w3.org/2000/svg}'\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "for sid in ('history', 'slices', 'intermediate'):\n"
    "    sec = [s for s in root.iter(H + 'section') if s.get('id') == sid][0]\n"
    "    ticks = [float(t.text) for t in sec.iter(S + 'text')\n"
    "             if t.get('text-anchor') == 'end' and re.match(r'^-?[0-9.]+(e[-+][0-9]+)?$', t.text or '')]\n"
    "    assert ticks and max(ticks) < 200, (sid, ticks)\n"
    "    notes = [t.text for t in sec.iter(S + 'text') if 'off-scale' in (t.text or '')]\n"
    "    assert len(notes) == 1, (sid, notes)\n"
    "    titles = [t.text for t in sec.iter(S + 'title') if (t.text or '').startswith('off-scale')]\n"
    "    assert titles, sid\n"
    "    print(sid, max(ticks), notes[0], titles[0])\n";

static void test_wild_value_is_clipped(void **state)
{
    (void)state;
    const char *path = tu_path("wild.db");
    nnt_storage *st = open_rw(path);
    int64_t id = create_study(st, "wild", "rmse", 0);
    nnt_rng rng;
    nnt_rng_seed(&rng, 7);
    for (int n = 0; n < 42; n++) {
        double lr = start(st, id, n, &rng), d = log10(lr) + 2;
        double final = n == 13 ? 14000 : 55 + 4 * d * d + 0.5 * nnt_rng_uniform(&rng);
        for (int e = 1; e <= 5; e++) {
            double v = final * (1 + 0.5 / e);
            if (n == 13) v = final; /* diverged from the start */
            if (n == 20 && e == 2) v = 1e35;
            epoch(st, id, n, e, metrics(0.5 / e, NAN, v * 0.9), metrics(0.6 / e, NAN, v));
        }
        finish(st, id, n, NNT_TRIAL_COMPLETE, final, 5, NULL);
    }
    nnt_storage_close(st);

    nnt_report *r = load(path, "wild");
    const nnt_report_summary *s = nnt_report_get_summary(r);
    assert_null(s->importance_note);
    const nnt_report_param *top = &s->params[s->importance_order[0]];
    assert_string_equal(top->name, "lr");
    assert_true(top->importance > 0.5);
    size_t len;
    char *html = render(r, NNT_REPORT_HTML, &len);
    char *out = py_check("wild.html", html, AXIS_CHECK);
    tu_assert_contains(out, "history");
    /* the history and slice plots: the one trial, by its value */
    tu_assert_contains(html, "1 point off-scale (value 14000): triangles at the top edge");
    tu_assert_contains(html, "<title>off-scale: trial 13 (complete): rmse 1.4e+04</title>");
    tu_assert_contains(html, "1 trial off-scale in each panel");
    /* the intermediate values: trial 13's epochs and trial 20's second epoch */
    tu_assert_contains(html, "values off-scale (farthest 1e+35): clipped at the top edge");
    tu_assert_contains(html, "<title>off-scale: trial 20 (complete), epoch 2: validation rmse 1e+35");
    /* the parallel coordinates mark it too */
    tu_assert_contains(html, "1 trial off-scale, at the top end");
    free(out);
    free(html);
    nnt_report_free(r);
}

/* ---- A large study ------------------------------------------------------------ */
#define LARGE_TRIALS 2000

/* 2000 trials as an ASHA study leaves them: most pruned after 1 to 3 epochs,
 * a third complete after 8 (many overfitting from epoch 4), some diverged,
 * two still running. */
static void build_large(const char *path)
{
    nnt_storage *st = open_rw(path);
    int64_t id = create_study(st, "large", "accuracy", 1);
    nnt_rng rng;
    nnt_rng_seed(&rng, 11);
    for (int n = 0; n < LARGE_TRIALS; n++) {
        (void)start(st, id, n, &rng);
        double q = 0.6 + 0.35 * nnt_rng_uniform(&rng);
        if (n % 40 == 7) {
            epoch(st, id, n, 1, metrics(2.0, 0.3, NAN), metrics(2.5, 0.3, NAN));
            finish(st, id, n, NNT_TRIAL_FAILED, NAN, 1, "diverged (lr=0.9)");
            continue;
        }
        if (n >= LARGE_TRIALS - 2) continue; /* running */
        int complete = n % 3 == 0, last = complete ? 8 : 1 + n % 3, overfit = n % 6 == 0;
        double best = -1;
        for (int e = 1; e <= last; e++) {
            double va = q * (1 - 0.3 / e), vl = 1 - va;
            if (overfit && e > 4) {
                va = q * (1 - 0.3 / 4) - 0.03 * (e - 4);
                vl = 1 - q * (1 - 0.3 / 4) + 0.05 * (e - 4);
            }
            best = fmax(best, va);
            epoch(st, id, n, e, metrics(0.9 / e, fmin(0.999, q + 0.01 * e), NAN),
                  metrics(vl, va, NAN));
        }
        finish(st, id, n, complete ? NNT_TRIAL_COMPLETE : NNT_TRIAL_PRUNED, best, last, NULL);
    }
    nnt_storage_close(st);
}

static void test_large_study_is_compact(void **state)
{
    (void)state;
    const char *path = tu_path("large.db");
    build_large(path);
    nnt_report *r = load(path, "large");
    const nnt_report_summary *s = nnt_report_get_summary(r);
    assert_int_equal(s->n_trials, LARGE_TRIALS);
    size_t len;
    char *html = render(r, NNT_REPORT_HTML, &len);
    printf("2000-trial report: %zu bytes\n", len);
    /* at most about 1 MB, and still the whole page: every plot, well-formed */
    assert_true(len <= 1000000);
    char *out = py_check("large.html", html, XML_CHECK);
    tu_assert_contains(out, "plots=7 notes=1"); /* the Pareto front is a note */
    free(out);
    /* the top trials keep their hover text; the rest is a cloud */
    tu_assert_contains(html, "stroke-linecap=\"round\"");
    assert_true(count(html, "<title>") < 2000);
    tu_assert_contains(html, "curves drawn: the best, the off-scale ones and every");
    /* the tables: the top 20 and the best 100 of 2000 (the CSV has them all) */
    tu_assert_contains(html, "<h2>Top 20 trials</h2>");
    tu_assert_contains(html, "The best 100 of 2000 trials, by value.");
    free(html);

    /* overfitting: a count and the few that matter, best-ranked first */
    assert_true(s->n_overfit > 50);
    assert_int_equal(s->n_overfit_listed, REPORT_OVERFIT_LISTED);
    int worst_listed = 0;
    for (int k = 0; k < s->n_overfit_listed; k++) {
        const nnt_report_overfit *o = &s->overfit[s->overfit_listed[k]];
        assert_true(o->rank >= 1);
        if (k) assert_true(o->rank > s->overfit[s->overfit_listed[k - 1]].rank);
        worst_listed = o->rank;
    }
    int better_left_out = 0; /* an overfit trial ranked above a listed one, not listed */
    for (int i = 0; i < s->n_overfit; i++) {
        int listed = 0;
        for (int k = 0; k < s->n_overfit_listed; k++) listed |= s->overfit_listed[k] == i;
        better_left_out += !listed && s->overfit[i].rank > 0 && s->overfit[i].rank < worst_listed;
    }
    assert_int_equal(better_left_out, 0);
    char *md = render(r, NNT_REPORT_MD, &len);
    char want[128];
    snprintf(want, sizeof want, "%d of the %d trials with per-epoch values overfit", s->n_overfit,
             s->n_with_epochs);
    tu_assert_contains(md, want);
    tu_assert_contains(md, "The best-ranked of them: trial ");
    /* five rows in the Markdown table */
    const char *tab = strstr(md, "| trial | rank | best epoch");
    assert_non_null(tab);
    int rows = 0;
    for (const char *p = strchr(tab, '\n'); p && p[1] == '|'; p = strchr(p + 1, '\n')) rows++;
    assert_int_equal(rows, 1 + REPORT_OVERFIT_LISTED); /* the |---| line and the rows */
    free(md);
    nnt_report_free(r);
}

/* ---- Parallel coordinates ------------------------------------------------------ */
/* Every tick label sits on a white box drawn after every line. */
static const char *PARALLEL_CHECK =
    "import sys, xml.etree.ElementTree as ET\n"
    "H = '{http://www.w3.org/1999/xhtml}'\n"
    "S = '{http://www.w3.org/2000/svg}'\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "sec = [s for s in root.iter(H + 'section') if s.get('id') == 'parallel'][0]\n"
    "svg = list(sec.iter(S + 'svg'))[0]\n"
    "kids = list(svg)\n"
    "lines = [i for i, e in enumerate(kids) if e.tag == S + 'path' and e.get('fill') == 'none']\n"
    "labels = [i for i, e in enumerate(kids) if e.tag == S + 'text' and e.get('text-anchor') == 'end']\n"
    "assert lines and labels and max(lines) < min(labels), (lines[-1:], labels[:1])\n"
    "for i in labels:\n"
    "    box = kids[i - 1]\n"
    "    assert box.tag == S + 'rect' and box.get('fill') == '#ffffff', (i, box.tag, kids[i].text)\n"
    "    w = float(box.get('width')); x = float(box.get('x')); tx = float(kids[i].get('x'))\n"
    "    assert x < tx and x + w >= tx and w >= 6 * len(kids[i].text), (kids[i].text, x, w, tx)\n"
    "print('labels=%d lines=%d' % (len(labels), len(lines)))\n";

static void test_parallel_labels_on_boxes(void **state)
{
    (void)state;
    const char *path = tu_path("small.db");
    nnt_storage *st = open_rw(path);
    int64_t id = create_study(st, "small", "accuracy", 1);
    nnt_rng rng;
    nnt_rng_seed(&rng, 5);
    for (int n = 0; n < 30; n++) {
        (void)start(st, id, n, &rng);
        double q = 0.5 + 0.4 * nnt_rng_uniform(&rng);
        for (int e = 1; e <= 3; e++)
            epoch(st, id, n, e, metrics(1.0 / e, q, NAN), metrics(1.1 / e, q * (1 - 0.1 / e), NAN));
        finish(st, id, n, NNT_TRIAL_COMPLETE, q * (1 - 0.1 / 3), 3, NULL);
    }
    nnt_storage_close(st);
    nnt_report *r = load(path, "small");
    size_t len;
    char *html = render(r, NNT_REPORT_HTML, &len);
    char *out = py_check("small.html", html, PARALLEL_CHECK);
    tu_assert_contains(out, "labels=");
    free(out);
    /* a small study: every point keeps its hover text, no cloud */
    assert_null(strstr(html, "stroke-linecap=\"round\""));
    tu_assert_contains(html, "<h2>All trials (30)</h2>");
    free(html);
    nnt_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_robust_range),
        cmocka_unit_test(test_wild_value_is_clipped),
        cmocka_unit_test(test_large_study_is_compact),
        cmocka_unit_test(test_parallel_labels_on_boxes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
