/* Reports: the summary's facts on a synthetic study with a known answer
 * (which parameter matters, where overfitting starts, which trials
 * diverged), escaping, well-formed XHTML with one SVG per plot section, the
 * CSV / JSON / Markdown forms, the suggested space, and empty and
 * single-trial studies. The study is written through the storage table,
 * as `nntune tune` would. */
#include "testutil.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nntune/nntune.h"

#define N_TRIALS 40
#define N_EPOCHS 12

static const char *SPACE =
    "{\"lr\": {\"type\": \"float\", \"low\": 0.0001, \"high\": 1, \"log\": true},"
    " \"batch_size\": [16, 32, 64, 128],"
    " \"dropout\": {\"type\": \"float\", \"low\": 0, \"high\": 0.5},"
    " \"activation\": [\"relu\", \"tanh\"],"
    " \"neurons\": {\"type\": \"int\", \"low\": 8, \"high\": 128, \"log\": true},"
    " \"epochs\": 12}";

/* The known answer. */
static const int OVERFIT_NUM[3] = {5, 17, 23};
static const int OVERFIT_EPOCH[3] = {4, 6, 7};
static const int DIVERGED_NUM[2] = {11, 29};
static const double DIVERGED_LR[2] = {0.5, 0.8};
#define PRUNED_NUM 33
#define ODD_NUM 37 /* failed, with params outside the space and markup in its error */
static const char *EVIL = "<script>alert(\"x\")</script> & 'co'";

static int overfit_epoch(int number)
{
    for (int i = 0; i < 3; i++)
        if (OVERFIT_NUM[i] == number) return OVERFIT_EPOCH[i];
    return 0;
}

static int diverged_index(int number)
{
    for (int i = 0; i < 2; i++)
        if (DIVERGED_NUM[i] == number) return i;
    return -1;
}

static nnt_storage *open_rw(const char *path)
{
    nnt_storage *st = NULL;
    nnt_error err;
    int r = nnt_storage_open_sqlite(path, 0, &st, &err);
    if (r != NNT_OK) fail_msg("open %s: %s", path, err.message);
    return st;
}

static int64_t create_study(nnt_storage *st, const char *name, const char *space_json)
{
    char def[2048];
    snprintf(def, sizeof def, "{\"sampler\": \"random\", \"metric\": \"accuracy\", \"space\": %s}",
             space_json);
    nnt_study_open_request req;
    memset(&req, 0, sizeof req);
    req.name = name;
    req.definition = def;
    req.seed = 3;
    req.metric = "accuracy";
    req.maximize = 1;
    req.create = 1;
    nnt_study_record rec;
    nnt_error err;
    int created = 0;
    int r = nnt_storage_study_open(st, &req, &rec, &created, &err);
    if (r != NNT_OK) fail_msg("study_open: %s", err.message);
    int64_t id = rec.id;
    nnt_study_record_free(&rec);
    return id;
}

static nnt_metrics metrics(double loss, double acc)
{
    nnt_metrics m = {loss, acc, NAN, NAN, NAN};
    return m;
}

static void finish(nnt_storage *st, int64_t id, int number, nnt_trial_state state, double value,
                   int epochs, const char *error)
{
    nnt_trial_record fin;
    memset(&fin, 0, sizeof fin);
    fin.number = number;
    fin.state = state;
    fin.value = value;
    fin.value_spread = NAN;
    fin.finished = 2000.0 + number;
    fin.duration = 1.5;
    fin.error = (char *)error;
    fin.epochs = epochs;
    fin.retry_of = -1;
    nnt_error err;
    int r = nnt_storage_trial_finish(st, id, &fin, &err);
    if (r != NNT_OK) fail_msg("trial_finish %d: %s", number, err.message);
}

static void epoch(nnt_storage *st, int64_t id, int number, int e, nnt_metrics train,
                  nnt_metrics valid, double lr)
{
    nnt_epoch_row row;
    memset(&row, 0, sizeof row);
    row.epoch = e;
    row.train = train;
    row.valid = valid;
    row.lr = lr;
    row.elapsed_s = 0.1 * e;
    nnt_error err;
    int r = nnt_storage_trial_epoch(st, id, number, &row, &err);
    if (r != NNT_OK) fail_msg("trial_epoch %d/%d: %s", number, e, err.message);
}

/* Accuracy depends on lr only (best at 0.01), plus a little noise. */
static double objective(double lr, nnt_rng *rng)
{
    double d = log10(lr) + 2;
    return 0.95 - 0.08 * d * d + 0.003 * (nnt_rng_uniform(rng) - 0.5);
}

/* Writes the synthetic study: 40 trials, lr log-uniform in [1e-4, 0.3],
 * the other parameters noise. */
static void build_synthetic(const char *path, const char *name)
{
    nnt_storage *st = open_rw(path);
    int64_t id = create_study(st, name, SPACE);
    nnt_rng rng;
    nnt_rng_seed(&rng, 12345);
    static const int bs[4] = {16, 32, 64, 128};
    static const char *act[2] = {"relu", "tanh"};
    nnt_error err;
    for (int n = 0; n < N_TRIALS; n++) {
        double lr = pow(10, -4 + nnt_rng_uniform(&rng) * log10(3000.0));
        int b = bs[nnt_rng_below(&rng, 4)];
        double drop = 0.5 * nnt_rng_uniform(&rng);
        const char *a = act[nnt_rng_below(&rng, 2)];
        int neurons = (int)lround(pow(2, 3 + 4 * nnt_rng_uniform(&rng)));
        int dv = diverged_index(n);
        if (dv >= 0) lr = DIVERGED_LR[dv];
        char params[512];
        if (n == ODD_NUM)
            snprintf(params, sizeof params, "{\"lr\": 0.01, \"colour\": \"%s\"}", "<b>red</b>");
        else
            snprintf(params, sizeof params,
                     "{\"lr\": %.17g, \"batch_size\": %d, \"dropout\": %.17g, \"activation\": "
                     "\"%s\", \"neurons\": %d, \"epochs\": 12}",
                     lr, b, drop, a, neurons);
        if (nnt_storage_trial_start(st, id, n, params, 100 + (uint64_t)n, -1, 1000.0 + n, &err) != NNT_OK)
            fail_msg("trial_start %d: %s", n, err.message);
        double value = objective(lr, &rng);
        if (dv >= 0) {
            epoch(st, id, n, 1, metrics(2.5, 0.3), metrics(3.0, 0.3), lr);
            char e[64];
            snprintf(e, sizeof e, "diverged (lr=%g)", lr);
            finish(st, id, n, NNT_TRIAL_FAILED, NAN, 1, e);
            continue;
        }
        if (n == ODD_NUM) {
            finish(st, id, n, NNT_TRIAL_FAILED, NAN, 0, EVIL);
            continue;
        }
        int E = overfit_epoch(n);
        int last = n == PRUNED_NUM ? 4 : N_EPOCHS;
        double best = -1;
        for (int e = 1; e <= last; e++) {
            double tl = 1.0 / e, va, vl, ta;
            if (E > 0) {
                if (e <= E) {
                    va = value - 0.3 * (double)(E - e) / E;
                    vl = 0.3 + 0.5 * (double)(E - e) / E;
                } else {
                    va = value - 0.02 * (e - E);
                    vl = 0.3 + 0.05 * (e - E);
                }
                ta = fmin(0.999, value + 0.005 * e);
            } else {
                double wiggle = 0.001 * (nnt_rng_uniform(&rng) - 0.5);
                va = value - 0.3 * exp(-(e - 1) / 2.0) + wiggle;
                vl = 0.3 + 0.5 * exp(-(e - 1) / 2.0) + wiggle;
                ta = fmin(0.999, va + 0.01);
            }
            if (va > best) best = va;
            epoch(st, id, n, e, metrics(tl, ta), metrics(vl, va), lr);
        }
        finish(st, id, n, n == PRUNED_NUM ? NNT_TRIAL_PRUNED : NNT_TRIAL_COMPLETE, best, last, NULL);
    }
    nnt_storage_close(st);
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

static char *render(const nnt_report *r, nnt_report_format f)
{
    char *text = NULL;
    size_t len = 0;
    nnt_error err;
    int rc = nnt_report_render(r, f, &text, &len, &err);
    if (rc != NNT_OK) fail_msg("render: %s", err.message);
    assert_int_equal(strlen(text), len);
    return text;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* The HTML must parse as XML, every drawn plot section hold exactly one
 * <svg>, the others none, and the page hold no script and no external
 * reference. Prints "plots=N notes=M". */
static const char *XML_CHECK =
    "import sys, xml.etree.ElementTree as ET\n"
    "H = '{http://www.w3.org/1999/xhtml}'\n"
    "S = '{http://www.w3.org/2000/svg}'\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "assert root.tag == H + 'html', root.tag\n"
    "plots = notes = 0\n"
    "for sec in root.iter(H + 'section'):\n"
    "    cls = (sec.get('class') or '').split()\n"
    "    if 'plot' not in cls: continue\n"
    "    n = len(list(sec.iter(S + 'svg')))\n"
    "    if 'noplot' in cls:\n"
    "        assert n == 0, sec.get('id'); notes += 1\n"
    "    else:\n"
    "        assert n == 1, (sec.get('id'), n); plots += 1\n"
    "for el in root.iter():\n"
    "    assert not el.tag.endswith('}script'), 'script element'\n"
    "    for k, v in el.attrib.items():\n"
    "        if k in ('href', 'src') or k.endswith('}href'):\n"
    "            assert v.startswith('#'), (k, v)\n"
    "print('plots=%d notes=%d' % (plots, notes))\n";

static void check_xml(const char *html, const char *name, int plots, int notes)
{
    const char *script = tu_write("xmlcheck.py", XML_CHECK);
    const char *file = tu_write(name, html);
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s'", script, file);
    int rc = tu_run(cmd, &out);
    if (rc != 0) fail_msg("%s is not well-formed or misses plots: %s", name, out ? out : "");
    char want[64];
    snprintf(want, sizeof want, "plots=%d notes=%d", plots, notes);
    tu_assert_contains(out, want);
    free(out);
}

static const char *synthetic_db(void)
{
    static int built;
    const char *path = tu_path("synthetic.db");
    if (!built) {
        build_synthetic(path, "synthetic");
        built = 1;
    }
    return path;
}

/* ---- Tests -------------------------------------------------------------- */

/* A study where a pruner stopped most trials: 4 complete trials whose final
 * values are unrelated to lr, 26 pruned after 2 epochs whose curves follow
 * objective(lr). Importance is then measured at epoch 2 over all 30 and finds
 * lr; on the 4 complete trials alone it could not. */
static void test_importance_of_pruned_study(void **state)
{
    (void)state;
    const char *path = tu_path("pruned.db");
    nnt_storage *st = open_rw(path);
    int64_t id = create_study(st, "pruned", SPACE);
    nnt_rng rng;
    nnt_rng_seed(&rng, 777);
    nnt_error err;
    for (int n = 0; n < 30; n++) {
        double lr = pow(10, -4 + nnt_rng_uniform(&rng) * log10(3000.0));
        char params[256];
        snprintf(params, sizeof params,
                 "{\"lr\": %.17g, \"batch_size\": %d, \"dropout\": %.17g, \"activation\": "
                 "\"relu\", \"neurons\": 16, \"epochs\": 12}",
                 lr, 16 << nnt_rng_below(&rng, 4), 0.5 * nnt_rng_uniform(&rng));
        if (nnt_storage_trial_start(st, id, n, params, 100 + (uint64_t)n, -1, 1000.0 + n, &err) != NNT_OK)
            fail_msg("trial_start %d: %s", n, err.message);
        double value = objective(lr, &rng);
        int complete = n % 8 == 0; /* 0, 8, 16, 24 */
        int last = complete ? 6 : 2;
        for (int e = 1; e <= last; e++)
            epoch(st, id, n, e, metrics(1.0 / e, value), metrics(0.5, value - 0.01 * (last - e)), lr);
        double final = complete ? 0.8 + 0.1 * nnt_rng_uniform(&rng) : value;
        finish(st, id, n, complete ? NNT_TRIAL_COMPLETE : NNT_TRIAL_PRUNED, final, last, NULL);
    }
    nnt_storage_close(st);
    nnt_report *r = load(path, "pruned");
    const nnt_report_summary *s = nnt_report_get_summary(r);
    assert_null(s->importance_note);
    assert_int_equal(s->importance_epoch, 2);
    assert_int_equal(s->importance_trials, 30);
    const nnt_report_param *top = &s->params[s->importance_order[0]];
    assert_string_equal(top->name, "lr");
    assert_true(top->importance > 0.5);
    char *md = render(r, NNT_REPORT_MD);
    tu_assert_contains(md, "Most trials were pruned, so importance is measured on the 30 trials that "
                           "reached epoch 2, by their best accuracy up to it. Parameters that mattered "
                           "most: lr (");
    free(md);
    nnt_report_free(r);
}

static void test_summary_facts(void **state)
{
    (void)state;
    nnt_report *r = load(synthetic_db(), "synthetic");
    const nnt_report_summary *s = nnt_report_get_summary(r);
    assert_int_equal(s->n_trials, N_TRIALS);
    assert_int_equal(s->n_failed, 3);
    assert_int_equal(s->n_pruned, 1);
    assert_int_equal(s->n_complete, N_TRIALS - 4);
    assert_string_equal(s->metric, "accuracy");
    assert_string_equal(s->curve_metric, "accuracy");
    assert_true(s->maximize);
    assert_non_null(s->best_params);
    /* the best trial is the one whose lr is closest to 0.01 */
    assert_true(s->best_value > 0.93);

    /* lr is the parameter that matters, by far */
    assert_null(s->importance_note);
    assert_int_equal(s->n_params, 6);
    const nnt_report_param *top = &s->params[s->importance_order[0]];
    assert_string_equal(top->name, "lr");
    assert_true(top->importance > 0.5);
    for (int k = 1; k < s->n_params; k++)
        assert_true(s->params[s->importance_order[k]].importance < 0.2);

    /* its best region is around 0.01 and narrower than the search */
    assert_int_equal(s->n_top, 8); /* ceil(0.2 * 36) */
    assert_true(top->top_low <= 0.01 && top->top_high >= 0.01);
    assert_true(top->top_low > 0.001 && top->top_high < 0.1);
    assert_int_equal(top->n_top_active, s->n_top);

    /* overfitting: exactly the three trials, from their known epochs */
    assert_int_equal(s->n_overfit, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s->overfit[i].number, OVERFIT_NUM[i]);
        assert_int_equal(s->overfit[i].best_epoch, OVERFIT_EPOCH[i]);
        assert_int_equal(s->overfit[i].last_epoch, N_EPOCHS);
        assert_true(s->overfit[i].gap > 0.1);
        assert_true(s->overfit[i].last_valid < s->overfit[i].best_valid);
        assert_true(s->overfit[i].train_loss_last < s->overfit[i].train_loss_best);
        /* training and validation in the same units: the accuracy at both ends */
        assert_true(s->overfit[i].train_last > s->overfit[i].train_best);
        assert_true(s->overfit[i].train_best > 0 && s->overfit[i].train_last <= 1);
        assert_true(fabs(s->overfit[i].train_last - s->overfit[i].last_valid - s->overfit[i].gap) <
                    1e-12);
        assert_true(s->overfit[i].rank >= 1 && s->overfit[i].rank <= N_TRIALS - 4);
    }
    /* all three are listed, best-ranked first */
    assert_int_equal(s->n_overfit_listed, 3);
    assert_int_equal(s->n_with_epochs, 39);
    for (int k = 1; k < 3; k++)
        assert_true(s->overfit[s->overfit_listed[k - 1]].rank <
                    s->overfit[s->overfit_listed[k]].rank);
    /* divergence: the two trials and their learning rates */
    assert_int_equal(s->n_diverged, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(s->diverged[i].number, DIVERGED_NUM[i]);
        assert_true(fabs(s->diverged[i].lr - DIVERGED_LR[i]) < 1e-12);
        tu_assert_contains(s->diverged[i].error, "diverged");
    }
    assert_false(s->multi_objective);
    assert_false(s->has_test);

    /* the words say the same */
    char *md = render(r, NNT_REPORT_MD);
    tu_assert_contains(md, "Parameters that mattered most: lr (");
    tu_assert_contains(md, "3 of the 39 trials with per-epoch values overfit");
    tu_assert_contains(md, "best at epoch 4 of 12: validation accuracy");
    tu_assert_contains(md, "best at epoch 6 of 12: validation accuracy");
    tu_assert_contains(md, "2 trials diverged: trial 11 (lr 0.5), trial 29 (lr 0.8)");
    tu_assert_contains(md, "## Suggested search space");
    free(md);
    nnt_report_free(r);
}

static void test_suggested_space(void **state)
{
    (void)state;
    nnt_report *r = load(synthetic_db(), "synthetic");
    const nnt_report_summary *s = nnt_report_get_summary(r);
    const char *file = tu_path("suggested.json");
    nnt_error err;
    assert_int_equal(nnt_report_save_suggested_space(r, file, &err), NNT_OK);
    /* the file is a study file whose space nnt_space_from_json reads */
    json_object *o = json_object_from_file(file);
    assert_non_null(o);
    json_object *space, *obj;
    assert_true(json_object_object_get_ex(o, "space", &space));
    assert_true(json_object_object_get_ex(o, "objective", &obj));
    nnt_space *sp = NULL;
    int rc = nnt_space_from_json(json_object_to_json_string(space), &sp, &err);
    if (rc != NNT_OK) fail_msg("suggested space: %s", err.message);
    assert_int_equal(nnt_space_size(sp), 6);
    int lr = nnt_space_find(sp, "lr");
    assert_true(lr >= 0);
    nnt_param_info in;
    assert_int_equal(nnt_space_info(sp, lr, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_FLOAT);
    assert_true(in.log); /* log scale kept */
    assert_true(in.low <= 0.01 && in.high >= 0.01);
    assert_true(in.low > 0.0001 && in.high < 1); /* narrower */
    const nnt_report_param *q = &s->params[s->importance_order[0]];
    assert_true(in.low <= q->top_low && in.high >= q->top_high);
    /* parameters that did not matter are left as they were */
    int bs = nnt_space_find(sp, "batch_size"), dr = nnt_space_find(sp, "dropout");
    assert_int_equal(nnt_space_info(sp, bs, &in), NNT_OK);
    assert_int_equal(in.n_choices, 4);
    assert_int_equal(nnt_space_info(sp, dr, &in), NNT_OK);
    assert_true(in.low == 0 && in.high == 0.5);
    /* the study file parses as a whole, too */
    nnt_study_file sf;
    char *text = strdup(json_object_to_json_string(o));
    char *with_data = malloc(strlen(text) + 64);
    sprintf(with_data, "{\"data\": \"x.csv\", %s", text + 1);
    rc = nnt_study_file_parse(with_data, "suggested.json", &sf, &err);
    if (rc != NNT_OK) fail_msg("suggested study file: %s", err.message);
    nnt_study_file_free(&sf);
    free(with_data);
    free(text);
    nnt_space_free(sp);
    json_object_put(o);
    nnt_report_free(r);
}

/* Choices that no top trial used are dropped, and conditions follow. */
static void test_suggested_choices(void **state)
{
    (void)state;
    const char *path = tu_path("choices.db");
    nnt_storage *st = open_rw(path);
    int64_t id = create_study(st, "choices",
                              "{\"optimizer\": [\"adam\", \"momentum\"],"
                              " \"momentum\": {\"type\": \"float\", \"low\": 0.5, \"high\": 0.99,"
                              "  \"if\": {\"optimizer\": [\"momentum\"]}},"
                              " \"lr\": {\"type\": \"float\", \"low\": 0.001, \"high\": 0.1, \"log\": true}}");
    nnt_error err;
    for (int n = 0; n < 10; n++) {
        char p[256];
        int adam = n % 2 == 0;
        double lr = 0.001 * pow(100, n / 9.0);
        if (adam) snprintf(p, sizeof p, "{\"optimizer\": \"adam\", \"lr\": %.17g}", lr);
        else snprintf(p, sizeof p, "{\"optimizer\": \"momentum\", \"momentum\": 0.9, \"lr\": %.17g}", lr);
        assert_int_equal(nnt_storage_trial_start(st, id, n, p, 1, -1, 1.0, &err), NNT_OK);
        finish(st, id, n, NNT_TRIAL_COMPLETE, adam ? 0.9 + 0.001 * n : 0.5, 3, NULL);
    }
    nnt_storage_close(st);
    nnt_report *r = load(path, NULL);
    const nnt_report_summary *s = nnt_report_get_summary(r);
    assert_int_equal(s->n_top, 3);
    json_object *o = json_tokener_parse(s->suggested_space), *space, *opt;
    assert_true(json_object_object_get_ex(o, "space", &space));
    assert_true(json_object_object_get_ex(space, "optimizer", &opt));
    assert_int_equal(json_object_array_length(opt), 1);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(opt, 0)), "adam");
    /* momentum could never be active any more: gone */
    assert_false(json_object_object_get_ex(space, "momentum", NULL));
    nnt_space *sp = NULL;
    assert_int_equal(nnt_space_from_json(json_object_to_json_string(space), &sp, &err), NNT_OK);
    nnt_space_free(sp);
    json_object_put(o);
    char *md = render(r, NNT_REPORT_MD);
    tu_assert_contains(md, "optimizer adam (was adam, momentum)");
    tu_assert_contains(md, "drop momentum");
    free(md);
    nnt_report_free(r);
}

static void test_html_escaping_and_xml(void **state)
{
    (void)state;
    /* a study whose name is markup */
    const char *path = tu_path("evil.db");
    build_synthetic(path, EVIL);
    nnt_report *r = load(path, EVIL);
    char *html = render(r, NNT_REPORT_HTML);
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<b>red"));
    tu_assert_contains(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;");
    tu_assert_contains(html, "&lt;b&gt;red&lt;/b&gt;");
    /* plots: history, parallel, slices, importance, curves, intermediate,
     * batch-lr drawn; pareto a note (single objective) */
    assert_int_equal(count(html, "<svg"), 7);
    assert_int_equal(count(html, "<section class=\"plot\""), 7);
    tu_assert_contains(html, "<section class=\"plot noplot\" id=\"pareto\">");
    tu_assert_contains(html, "single-objective study");
    /* hover text: trial number and parameters */
    tu_assert_contains(html, "<title>trial 5 (complete): accuracy ");
    tu_assert_contains(html, "lr=");
    /* self-contained */
    for (const char *p = strstr(html, "http://"); p; p = strstr(p + 1, "http://"))
        assert_int_equal(strncmp(p, "http://www.w3.org/", 18), 0); /* namespaces only */
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "url("));
    check_xml(html, "evil.html", 7, 1);
    free(html);

    char *md = render(r, NNT_REPORT_MD);
    assert_null(strstr(md, "<script"));
    tu_assert_contains(md, "&lt;script&gt;");
    free(md);
    nnt_report_free(r);
}

static void test_csv_and_json(void **state)
{
    (void)state;
    nnt_report *r = load(synthetic_db(), "synthetic");
    char *csv = render(r, NNT_REPORT_CSV);
    const char *header = "number,state,value,value_spread,epochs,duration,error,params_lr,"
                         "params_batch_size,params_dropout,params_activation,params_neurons,"
                         "params_epochs,params_colour\n";
    assert_int_equal(strncmp(csv, header, strlen(header)), 0);
    int lines = count(csv, "\n");
    assert_int_equal(lines, N_TRIALS + 1);
    /* an error with a comma and quotes is one quoted field, quotes doubled */
    tu_assert_contains(csv, "\"<script>alert(\"\"x\"\")</script> & 'co'\"");
    tu_assert_contains(csv, "\n11,failed,,,1,1.5,diverged (lr=0.5),0.5,");
    free(csv);

    char *js = render(r, NNT_REPORT_JSON);
    json_object *o = json_tokener_parse(js);
    assert_non_null(o);
    json_object *trials, *sum, *cols;
    assert_true(json_object_object_get_ex(o, "trials", &trials));
    assert_true(json_object_object_get_ex(o, "summary", &sum));
    assert_true(json_object_object_get_ex(o, "columns", &cols));
    assert_int_equal(json_object_array_length(trials), N_TRIALS);
    assert_int_equal(json_object_array_length(cols), 7 + 7);
    json_object *t5 = json_object_array_get_idx(trials, 5), *v;
    assert_true(json_object_object_get_ex(t5, "params_lr", &v));
    assert_true(json_object_is_type(v, json_type_double));
    assert_true(json_object_object_get_ex(t5, "params_activation", &v));
    assert_true(json_object_is_type(v, json_type_string));
    assert_true(json_object_object_get_ex(t5, "state", &v));
    assert_string_equal(json_object_get_string(v), "complete");
    json_object *of;
    assert_true(json_object_object_get_ex(sum, "overfit", &of));
    assert_int_equal(json_object_array_length(of), 3);
    json_object_put(o);
    free(js);
    nnt_report_free(r);
}

static void test_empty_study(void **state)
{
    (void)state;
    const char *path = tu_path("empty.db");
    nnt_storage *st = open_rw(path);
    create_study(st, "empty", SPACE);
    nnt_storage_close(st);
    nnt_report *r = load(path, "empty");
    const nnt_report_summary *s = nnt_report_get_summary(r);
    assert_int_equal(s->n_trials, 0);
    assert_int_equal(s->best_number, -1);
    assert_null(s->suggested_space);
    assert_non_null(s->importance_note);
    char *html = render(r, NNT_REPORT_HTML);
    tu_assert_contains(html, "No completed trials yet");
    assert_int_equal(count(html, "<svg"), 0);
    check_xml(html, "empty.html", 0, 8);
    free(html);
    for (int f = NNT_REPORT_MD; f <= NNT_REPORT_JSON; f++) free(render(r, (nnt_report_format)f));
    nnt_error err;
    assert_int_equal(nnt_report_save_suggested_space(r, tu_path("none.json"), &err), NNT_ERR_NOT_FOUND);
    tu_assert_contains(err.message, "no complete trial");
    nnt_report_free(r);
}

/* One running and one complete trial, and a study whose definition has no
 * space: clear pages, no crash. */
static void test_single_trial(void **state)
{
    (void)state;
    const char *path = tu_path("single.db");
    nnt_storage *st = open_rw(path);
    int64_t id = create_study(st, "single", SPACE);
    nnt_error err;
    assert_int_equal(nnt_storage_trial_start(st, id, 0,
                                     "{\"lr\": 0.01, \"batch_size\": 32, \"dropout\": 0.1, "
                                     "\"activation\": \"relu\", \"neurons\": 16, \"epochs\": 12}",
                                     1, -1, 1.0, &err), NNT_OK);
    epoch(st, id, 0, 1, metrics(0.9, 0.6), metrics(0.8, 0.7), 0.01);
    epoch(st, id, 0, 2, metrics(0.5, 0.8), metrics(0.6, 0.8), 0.01);
    finish(st, id, 0, NNT_TRIAL_COMPLETE, 0.8, 2, NULL);
    /* the study's test evaluation of the best model, as nnt_study_run stores it */
    assert_int_equal(nnt_storage_artifact_add(st, id, 0, "test", "best.nnt",
                                     "{\"rows\": 100, \"loss\": 0.5, \"accuracy\": 0.75}", &err),
                     NNT_OK);
    nnt_storage_close(st);

    nnt_report *r = load(path, NULL);
    const nnt_report_summary *s = nnt_report_get_summary(r);
    assert_int_equal(s->best_number, 0);
    assert_true(s->has_test);
    assert_true(s->test_value == 0.75);
    assert_int_equal(s->n_top, 1);
    tu_assert_contains(s->importance_note,
                       "this study has 1 complete trial; importance needs at least 4");
    char *html = render(r, NNT_REPORT_HTML);
    assert_null(strstr(html, "No completed trials yet"));
    /* importance and pareto are notes; the rest are drawn */
    check_xml(html, "single.html", 6, 2);
    free(html);
    assert_non_null(s->suggested_space);
    nnt_space *sp = NULL;
    json_object *o = json_tokener_parse(s->suggested_space), *space;
    assert_true(json_object_object_get_ex(o, "space", &space));
    assert_int_equal(nnt_space_from_json(json_object_to_json_string(space), &sp, &err), NNT_OK);
    nnt_space_free(sp);
    json_object_put(o);
    nnt_report_free(r);

    /* a definition without a space */
    st = open_rw(path);
    nnt_study_open_request req;
    memset(&req, 0, sizeof req);
    req.name = "nospace";
    req.definition = "{}";
    req.metric = "rmse";
    req.create = 1;
    nnt_study_record rec;
    int created;
    assert_int_equal(nnt_storage_study_open(st, &req, &rec, &created, &err), NNT_OK);
    assert_int_equal(nnt_storage_trial_start(st, rec.id, 0, "{\"lr\": 0.1}", 1, -1, 1.0, &err), NNT_OK);
    nnt_trial_record fin;
    memset(&fin, 0, sizeof fin);
    fin.number = 0;
    fin.state = NNT_TRIAL_COMPLETE;
    fin.value = 1.25;
    fin.value_spread = NAN;
    fin.duration = 1;
    fin.finished = 2;
    assert_int_equal(nnt_storage_trial_finish(st, rec.id, &fin, &err), NNT_OK);
    nnt_study_record_free(&rec);
    nnt_storage_close(st);
    r = load(path, "nospace");
    html = render(r, NNT_REPORT_HTML);
    tu_assert_contains(html, "rmse");
    check_xml(html, "nospace.html", 1, 7); /* only the history: no space, no epochs */
    free(html);
    nnt_report_free(r);
}

static void test_not_found_and_atomic_save(void **state)
{
    (void)state;
    nnt_storage *st = NULL;
    nnt_error err;
    assert_int_equal(nnt_storage_open_sqlite(synthetic_db(), NNT_STORAGE_READONLY, &st, &err), NNT_OK);
    nnt_report *r = (nnt_report *)1;
    assert_int_equal(nnt_report_load(st, "nope", NULL, &r, &err), NNT_ERR_NOT_FOUND);
    assert_null(r);
    tu_assert_contains(err.message, "nope");
    nnt_storage_close(st);

    r = load(synthetic_db(), "synthetic");
    const char *out = tu_path("report.html");
    assert_int_equal(nnt_report_save(r, NNT_REPORT_HTML, out, &err), NNT_OK);
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    char head[16] = {0};
    assert_int_equal(fread(head, 1, 15, f), 15);
    fclose(f);
    assert_string_equal(head, "<!DOCTYPE html>");
    /* a directory that does not exist: an error naming the file */
    assert_int_equal(nnt_report_save(r, NNT_REPORT_HTML, "/nonexistent-dir/r.html", &err), NNT_ERR_IO);
    tu_assert_contains(err.message, "/nonexistent-dir/r.html");
    assert_int_equal(nnt_report_format_from_name("md"), NNT_REPORT_MD);
    assert_int_equal(nnt_report_format_from_name("pdf"), -1);
    nnt_report_free(r);
}

/* A study with two objectives (accuracy up, parameter count down): the
 * front, its plot, and the cost columns. */
static void test_pareto(void **state)
{
    (void)state;
    const char *path = tu_path("pareto.db");
    nnt_storage *st = open_rw(path);
    nnt_study_open_request req;
    memset(&req, 0, sizeof req);
    req.name = "pareto";
    req.definition = "{\"objectives\": [\"accuracy\", \"params\"], \"space\": {\"lr\": "
                     "{\"type\": \"float\", \"low\": 0.001, \"high\": 0.1, \"log\": true}}}";
    req.metric = "accuracy";
    req.maximize = 1;
    req.create = 1;
    nnt_study_record rec;
    nnt_error err;
    int created;
    assert_int_equal(nnt_storage_study_open(st, &req, &rec, &created, &err), NNT_OK);
    /* (accuracy, params): 3 is dominated by 1, 4 by 0; 6 has no cost measured */
    static const double acc[7] = {0.90, 0.95, 0.85, 0.93, 0.80, 0.97, 0.99};
    static const double params[7] = {1000, 5000, 800, 6000, 2000, 20000, NAN};
    for (int n = 0; n < 7; n++) {
        char p[64];
        snprintf(p, sizeof p, "{\"lr\": %g}", 0.001 * (n + 1));
        assert_int_equal(nnt_storage_trial_start(st, rec.id, n, p, 1, -1, 1.0, &err), NNT_OK);
        nnt_trial_record fin;
        memset(&fin, 0, sizeof fin);
        fin.number = n;
        fin.state = NNT_TRIAL_COMPLETE;
        fin.value = acc[n];
        fin.value_spread = NAN;
        fin.duration = fin.finished = 2;
        fin.n_values = 2;
        fin.values[0] = acc[n];
        fin.values[1] = params[n];
        assert_int_equal(nnt_storage_trial_finish(st, rec.id, &fin, &err), NNT_OK);
    }
    nnt_study_record_free(&rec);
    nnt_storage_close(st);

    nnt_report *r = load(path, "pareto");
    const nnt_report_summary *s = nnt_report_get_summary(r);
    assert_true(s->multi_objective);
    assert_int_equal(s->n_objectives, 2);
    assert_string_equal(s->objective_names[1], "params");
    assert_int_equal(s->objective_maximize[0], 1);
    assert_int_equal(s->objective_maximize[1], 0);
    assert_int_equal(s->n_pareto, 4);
    static const int front[4] = {5, 1, 0, 2}; /* best accuracy first */
    for (int i = 0; i < 4; i++) assert_int_equal(s->pareto[i], front[i]);
    char *html = render(r, NNT_REPORT_HTML);
    tu_assert_contains(html, "<section class=\"plot\" id=\"pareto\">");
    tu_assert_contains(html, "accuracy 0.9500, params 5000");
    /* history, parallel, slices, importance, pareto drawn; no epochs: curves,
     * intermediate; no batch_size: batch-lr */
    check_xml(html, "pareto.html", 5, 3);
    free(html);
    char *md = render(r, NNT_REPORT_MD);
    tu_assert_contains(md, "Pareto front over accuracy and params: 4 trials");
    free(md);
    char *csv = render(r, NNT_REPORT_CSV);
    tu_assert_contains(csv, "number,state,value,value_spread,epochs,duration,error,value_params,params_lr\n");
    tu_assert_contains(csv, "\n1,complete,0.95,,0,2,,5000,0.002\n");
    tu_assert_contains(csv, "\n6,complete,0.99,,0,2,,,0.007\n");
    free(csv);
    nnt_report_free(r);
}

/* Every allocation failure inside load and render is reported as
 * NNT_ERR_NOMEM (or a storage error), never a crash or a leak (ASan). */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *path = tu_path("alloc.db");
    nnt_storage *st = open_rw(path);
    int64_t id = create_study(st, "alloc", SPACE);
    nnt_error err;
    for (int n = 0; n < 6; n++) {
        char p[256];
        snprintf(p, sizeof p,
                 "{\"lr\": %g, \"batch_size\": 32, \"dropout\": 0.1, \"activation\": \"relu\", "
                 "\"neurons\": 16, \"epochs\": 12}",
                 0.001 * (n + 1));
        assert_int_equal(nnt_storage_trial_start(st, id, n, p, 1, -1, 1.0, &err), NNT_OK);
        for (int e = 1; e <= 5; e++)
            epoch(st, id, n, e, metrics(1.0 / e, 0.5 + 0.05 * e), metrics(1.0 / e, 0.5 + 0.04 * e), 0.01);
        finish(st, id, n, n == 5 ? NNT_TRIAL_FAILED : NNT_TRIAL_COMPLETE, n == 5 ? NAN : 0.7 + 0.01 * n,
               5, n == 5 ? "diverged (lr=0.006)" : NULL);
    }
    nnt_storage_close(st);
    assert_int_equal(nnt_storage_open_sqlite(path, NNT_STORAGE_READONLY, &st, &err), NNT_OK);
    int done = 0, failures = 0;
    for (long k = 0; k < 100000 && !done; k += tu_quick() ? 7 : 1) {
        nnt_report *r = NULL;
        char *text = NULL;
        nnt__alloc_fail_after(k);
        int rc = nnt_report_load(st, "alloc", NULL, &r, &err);
        for (int f = 0; rc == NNT_OK && f <= NNT_REPORT_JSON; f++) {
            rc = nnt_report_render(r, (nnt_report_format)f, &text, NULL, &err);
            free(text);
            text = NULL;
        }
        nnt__alloc_fail_after(-1);
        if (rc == NNT_OK) done = 1;
        else {
            assert_true(rc == NNT_ERR_NOMEM || rc == NNT_ERR_STORAGE);
            failures++;
        }
        nnt_report_free(r);
    }
    assert_true(done);
    assert_true(failures > 20);
    nnt_storage_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_facts),
        cmocka_unit_test(test_importance_of_pruned_study),
        cmocka_unit_test(test_suggested_space),
        cmocka_unit_test(test_suggested_choices),
        cmocka_unit_test(test_html_escaping_and_xml),
        cmocka_unit_test(test_csv_and_json),
        cmocka_unit_test(test_empty_study),
        cmocka_unit_test(test_single_trial),
        cmocka_unit_test(test_not_found_and_atomic_save),
        cmocka_unit_test(test_pareto),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
