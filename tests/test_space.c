/* Search spaces: study-file JSON, the --param SPEC language, conditions,
 * errors naming the key path, parameter JSON round trips, the default space
 * and the mapping onto model/training options. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nntune/nntune.h"

static nnt_space *parse_ok(const char *json)
{
    nnt_space *s = NULL;
    nnt_error e;
    nnt_error_clear(&e);
    int rc = nnt_space_from_json(json, &s, &e);
    if (rc != NNT_OK) fail_msg("unexpected error %d: %s\nfor %s", rc, e.message, json);
    assert_non_null(s);
    return s;
}

static void parse_bad(const char *json, const char *expect)
{
    nnt_space *s = (nnt_space *)1;
    nnt_error e;
    nnt_error_clear(&e);
    int rc = nnt_space_from_json(json, &s, &e);
    if (rc >= 0) fail_msg("expected an error for %s", json);
    assert_null(s);
    assert_int_equal(e.code, rc);
    tu_assert_contains(e.message, expect);
}

static const char *example_json =
    "{\"hidden_layers\": {\"type\":\"int\",\"low\":0,\"high\":3},\n"
    " \"neurons\": {\"type\":\"int\",\"low\":50,\"high\":200,\"log\":true},\n"
    " \"neurons_3\": {\"type\":\"int\",\"low\":16,\"high\":256,\"log\":true,"
    "\"if\":{\"hidden_layers\":{\"min\":3}}},\n"
    " \"lr\":{\"type\":\"float\",\"low\":1e-4,\"high\":0.1,\"log\":true,\"points\":5},\n"
    " \"activation\":{\"type\":\"categorical\",\"choices\":[\"relu\",\"tanh\"]},\n"
    " \"optimizer\": [\"adam\", \"momentum\", \"nesterov\"],\n"
    " \"momentum\":{\"type\":\"float\",\"low\":0.5,\"high\":0.99,"
    "\"if\":{\"optimizer\":[\"momentum\",\"nesterov\"]}},\n"
    " \"batch_size\":[32,64,128,256], \"epochs\": 20}";

/* ==== Parsing ================================================================== */

static void test_json_example(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(example_json);
    assert_int_equal(nnt_space_size(s), 9);
    nnt_param_info in;

    assert_int_equal(nnt_space_info(s, nnt_space_find(s, "hidden_layers"), &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_INT);
    assert_true(in.low == 0 && in.high == 3 && in.step == 1 && !in.log && in.parent == -1);

    assert_int_equal(nnt_space_info(s, nnt_space_find(s, "neurons_3"), &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_INT);
    assert_true(in.log && in.low == 16 && in.high == 256);
    assert_int_equal(in.parent, nnt_space_find(s, "hidden_layers"));

    int lr = nnt_space_find(s, "lr");
    assert_int_equal(lr, 3);
    assert_int_equal(nnt_space_info(s, lr, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_FLOAT);
    assert_true(in.low == 1e-4 && in.high == 0.1 && in.log && in.grid_points == 5 && in.step == 0);

    int bs = nnt_space_find(s, "batch_size");
    assert_int_equal(nnt_space_info(s, bs, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_CATEGORICAL);
    assert_int_equal(in.n_choices, 4);
    assert_string_equal(nnt_space_choice(s, bs, 2), "128");
    assert_null(nnt_space_choice(s, bs, 4));

    int mom = nnt_space_find(s, "momentum");
    assert_int_equal(nnt_space_info(s, mom, &in), NNT_OK);
    assert_int_equal(in.parent, nnt_space_find(s, "optimizer"));

    int ep = nnt_space_find(s, "epochs");
    assert_int_equal(nnt_space_info(s, ep, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_FIXED);
    assert_int_equal(in.n_choices, 1);
    assert_string_equal(nnt_space_choice(s, ep, 0), "20");
    assert_int_equal(nnt_space_find(s, "nope"), -1);
    assert_int_equal(nnt_space_validate(s, NULL), NNT_OK);
    nnt_space_free(s);
    nnt_space_free(NULL);
}

static void test_json_errors(void **state)
{
    (void)state;
    parse_bad("{\"lr\": {\"type\":\"float\",\"low\":1e-4,\"lwo\":0.1}}",
              "space.lr.lwo: unknown key; expected one of type, low, high, log, step, points, "
              "choices, value, if");
    parse_bad("{\"lr\": {\"low\":\"a\",\"high\":1}}", "space.lr.low: expected a number, got string");
    parse_bad("{\"lr\": {\"low\":1,\"high\":0.1}}", "space.lr: low (1) > high (0.1)");
    parse_bad("{\"lr\": {\"low\":0,\"high\":0.1,\"log\":true}}",
              "space.lr.low: expected a number > 0 for a log scale, got 0");
    parse_bad("{\"activation\": []}", "space.activation: expected a non-empty list");
    parse_bad("{\"activation\": {\"type\":\"categorical\",\"choices\":[]}}",
              "space.activation.choices: expected a non-empty list");
    parse_bad("{\"lrr\": 0.1}", "space.lrr: unknown parameter; expected one of hidden_layers, "
                                "neurons, neurons_1..neurons_16, activation");
    parse_bad("{\"neurons_17\": 5}", "space.neurons_17: unknown parameter");
    parse_bad("{\"neurons_03\": 5}", "space.neurons_03: unknown parameter");
    parse_bad("{\"momentum\": {\"low\":0.5,\"high\":0.9,\"if\":{\"optimizer\":[\"momentum\"]}}}",
              "space.momentum.if.optimizer: condition on a parameter that is not in the space");
    parse_bad("{\"lr\": {\"low\":0.01,\"high\":0.1,\"if\":{\"momentum\":{\"min\":0.5}}},"
              " \"momentum\": {\"low\":0.5,\"high\":0.9,\"if\":{\"lr\":{\"max\":0.05}}}}",
              "conditions form a cycle (each depends on the next): lr -> momentum -> lr");
    parse_bad("{\"lr\": {\"low\":0.01,\"high\":0.1,\"if\":{\"lr\":{\"min\":0.5}}}}",
              "space.lr.if: conditions form a cycle");
    parse_bad("{\"lr\": 0.1,,}", "space: invalid JSON at line 1, column");
    parse_bad("{\"lr\": 0.1,\n \"epochs\": [1,2,}", "space: invalid JSON at line 2");
    parse_bad("{\"lr\": 0.1} x", "space: invalid JSON at line 1, column 13");
    parse_bad("[1, 2]", "space: expected an object");
    parse_bad("{\"activation\": [\"relu\", \"foo\"]}",
              "space.activation.choices[1]: unknown activation \"foo\"; expected one of relu");
    parse_bad("{\"activation\": \"softmax\"}", "space.activation.value: unknown activation");
    parse_bad("{\"optimizer\": \"adamx\"}", "unknown optimizer \"adamx\"");
    parse_bad("{\"schedule\": [\"step\", \"linear\"]}", "unknown schedule \"linear\"");
    parse_bad("{\"activation\": [\"relu\", \"relu\"]}", "\"relu\" repeats an earlier choice");
    parse_bad("{\"neurons\": {\"type\":\"float\",\"low\":1,\"high\":5}}",
              "space.neurons.type: neurons takes integers");
    parse_bad("{\"neurons\": {\"type\":\"int\",\"low\":1.5,\"high\":5}}",
              "space.neurons.low: expected an integer, got 1.5");
    parse_bad("{\"neurons\": {\"low\":0,\"high\":5}}",
              "space.neurons.low: neurons takes an integer >= 1, got 0");
    parse_bad("{\"dropout\": {\"low\":0,\"high\":1}}",
              "space.dropout.high: dropout takes a number in [0, 1), got 1");
    parse_bad("{\"batch_size\": [32, 64.5]}", "space.batch_size.choices[1]: batch_size takes an "
                                              "integer >= 1, got 64.5");
    parse_bad("{\"batch_size\": [32, \"big\"]}", "batch_size takes an integer >= 1, got \"big\"");
    parse_bad("{\"lr\": {\"type\":\"float\",\"low\":0.1,\"high\":1,\"choices\":[1]}}",
              "space.lr.choices: not used by a float parameter");
    parse_bad("{\"lr\": {\"low\":0.1,\"high\":1,\"choices\":[1]}}",
              "space.lr.low: not used by a categorical parameter");
    parse_bad("{\"lr\": {\"type\":\"flaot\",\"low\":0.1,\"high\":1}}",
              "space.lr.type: expected one of int, float, categorical, fixed, got \"flaot\"");
    parse_bad("{\"lr\": {\"low\":0.1}}", "space.lr: missing key \"high\"");
    parse_bad("{\"lr\": {\"low\":0.1,\"high\":1,\"log\":1}}",
              "space.lr.log: expected true or false, got number");
    parse_bad("{\"lr\": {\"low\":0.1,\"high\":1,\"points\":0}}",
              "space.lr.points: expected an integer >= 1");
    parse_bad("{\"lr\": {\"low\":0.1,\"high\":1,\"step\":-1}}", "space.lr.step: expected a number > 0");
    parse_bad("{\"neurons\": {\"low\":1,\"high\":9,\"step\":1.5}}",
              "space.neurons.step: expected an integer step");
    parse_bad("{\"lr\": null}", "space.lr: expected an object, a list of choices or a fixed value, "
                                "got null");
    parse_bad("{\"lr\": [0.1, [1]]}", "space.lr[1]: expected a number, string or boolean, got array");
    parse_bad("{\"lr\": {}}", "space.lr: expected \"low\"/\"high\", \"choices\" or \"value\"");
    parse_bad("{\"hidden_layers\":[1,2],\"neurons_2\":{\"low\":1,\"high\":4,"
              "\"if\":{\"hidden_layers\":{\"mn\":2}}}}",
              "space.neurons_2.if.hidden_layers.mn: unknown key; expected min or max");
    parse_bad("{\"activation\":[\"relu\",\"tanh\"],\"neurons\":{\"low\":1,\"high\":4,"
              "\"if\":{\"activation\":{\"min\":2}}}}",
              "space.neurons.if.activation: a min/max condition needs a numeric parent");
    parse_bad("{\"hidden_layers\":{\"low\":1,\"high\":3},\"neurons\":{\"low\":1,\"high\":4,"
              "\"if\":{\"hidden_layers\":[\"two\"]}}}",
              "space.neurons.if.hidden_layers: expected numbers (hidden_layers is numeric), got "
              "\"two\"");
    parse_bad("{\"lr\": {\"low\":0.1,\"high\":1,\"if\":{\"a\":[1],\"b\":[2]}}}",
              "space.lr.if: expected exactly one parent parameter, got 2");
    parse_bad("{\"lr\": {\"low\":0.1,\"high\":1,\"if\":[1]}}", "space.lr.if: expected an object");
    parse_bad("{\"lr\": {\"low\":0.1,\"high\":1,\"if\":{\"epochs\":[]}}}",
              "space.lr.if.epochs: expected a non-empty list");
}

static void test_spec_good(void **state)
{
    (void)state;
    nnt_space *s = nnt_space_new();
    nnt_error e;
    nnt_param_info in;
    assert_int_equal(nnt_space_set_spec(s, "lr", "0.01", &e), NNT_OK);
    assert_int_equal(nnt_space_info(s, 0, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_FIXED);
    assert_string_equal(nnt_space_choice(s, 0, 0), "0.01");

    assert_int_equal(nnt_space_set_spec(s, "activation", "relu, tanh", &e), NNT_OK);
    assert_int_equal(nnt_space_info(s, 1, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_CATEGORICAL);
    assert_int_equal(in.n_choices, 2);
    assert_string_equal(nnt_space_choice(s, 1, 1), "tanh");

    /* Replacing keeps the position. */
    assert_int_equal(nnt_space_set_spec(s, "lr", "1e-4:1e-1:log", &e), NNT_OK);
    assert_int_equal(nnt_space_size(s), 2);
    assert_int_equal(nnt_space_info(s, 0, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_FLOAT);
    assert_true(in.low == 1e-4 && in.high == 0.1 && in.log && in.grid_points == 0);

    assert_int_equal(nnt_space_set_spec(s, "neurons", "16:256:log:points=5", &e), NNT_OK);
    assert_int_equal(nnt_space_info(s, 2, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_INT); /* int-ness from the name */
    assert_true(in.low == 16 && in.high == 256 && in.log && in.grid_points == 5 && in.step == 1);

    assert_int_equal(nnt_space_set_spec(s, "weight_decay", "0:1:step=0.25", &e), NNT_OK);
    assert_int_equal(nnt_space_info(s, 3, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_FLOAT);
    assert_true(in.step == 0.25 && !in.log);

    assert_int_equal(nnt_space_set_spec(s, "batch_size", "32,64,128", &e), NNT_OK);
    assert_int_equal(nnt_space_set_spec(s, "scale_lr", "true,false", &e), NNT_OK);
    assert_int_equal(nnt_space_set_spec(s, "hidden_layers", "1:3", &e), NNT_OK);
    assert_int_equal(nnt_space_info(s, 6, &in), NNT_OK);
    assert_int_equal(in.kind, NNT_PARAM_INT);
    assert_int_equal(nnt_space_set_spec(s, "momentum", "0.8:0.99", &e), NNT_OK);
    assert_int_equal(nnt_space_set_spec(s, "optimizer", "adam,momentum", &e), NNT_OK);
    assert_int_equal(nnt_space_set_condition(s, "momentum", "optimizer=momentum,nesterov", &e),
                     NNT_OK);
    assert_int_equal(nnt_space_set_spec(s, "neurons_3", "8:64", &e), NNT_OK);
    assert_int_equal(nnt_space_set_condition(s, "neurons_3", "hidden_layers>=3", &e), NNT_OK);
    assert_int_equal(nnt_space_validate(s, &e), NNT_OK);
    assert_int_equal(nnt_space_info(s, nnt_space_find(s, "momentum"), &in), NNT_OK);
    assert_int_equal(in.parent, nnt_space_find(s, "optimizer"));
    /* A replaced parameter keeps its condition. */
    assert_int_equal(nnt_space_set_spec(s, "momentum", "0.5:0.9", &e), NNT_OK);
    assert_int_equal(nnt_space_info(s, nnt_space_find(s, "momentum"), &in), NNT_OK);
    assert_int_equal(in.parent, nnt_space_find(s, "optimizer"));

    /* The JSON written for the space says the same thing. */
    char *json = nnt_space_to_json(s);
    assert_non_null(json);
    tu_assert_contains(json, "\"neurons\": {\"type\": \"int\", \"low\": 16, \"high\": 256, "
                             "\"log\": true, \"points\": 5}");
    tu_assert_contains(json, "\"momentum\": {\"type\": \"float\", \"low\": 0.5, \"high\": 0.9, "
                             "\"if\": {\"optimizer\": [\"momentum\", \"nesterov\"]}}");
    tu_assert_contains(json, "\"if\": {\"hidden_layers\": {\"min\": 3}}");
    tu_assert_contains(json, "\"scale_lr\": {\"type\": \"categorical\", \"choices\": [true, false]}");
    free(json);
    nnt_space_free(s);
}

static void spec_bad(const char *name, const char *spec, const char *expect)
{
    nnt_space *s = nnt_space_new();
    nnt_error e;
    nnt_error_clear(&e);
    int rc = nnt_space_set_spec(s, name, spec, &e);
    if (rc >= 0) fail_msg("expected an error for --param %s=%s", name, spec);
    assert_int_equal(nnt_space_size(s), 0);
    tu_assert_contains(e.message, expect);
    nnt_space_free(s);
}

static void test_spec_bad(void **state)
{
    (void)state;
    spec_bad("lr", "", "--param lr: empty value; expected VALUE, A,B,C or LOW:HIGH");
    spec_bad("lr", "  ", "--param lr: empty value");
    spec_bad("lr", "a:b", "--param lr: expected a number for LOW, got 'a'");
    spec_bad("lr", "0.1:x", "--param lr: expected a number for HIGH, got 'x'");
    spec_bad("lr", "0.1:", "--param lr: expected a number for HIGH, got ''");
    spec_bad("lr", "1:2:foo", "--param lr: unknown range option 'foo'; expected log, step=S or points=N");
    spec_bad("lr", "1:2:step=0", "--param lr: expected step=S with a number S > 0, got 'step=0'");
    spec_bad("lr", "1:2:points=0", "--param lr: expected points=N with an integer N >= 1");
    spec_bad("lr", "1:2:points=2.5", "--param lr: expected points=N");
    spec_bad("lr", "2:1", "--param lr: low (2) > high (1)");
    spec_bad("lr", "0:1:log", "--param lr (low): expected a number > 0 for a log scale, got 0");
    spec_bad("lr", "0:1", "--param lr (low): lr takes a number > 0, got 0");
    spec_bad("activation", "0:1", "--param activation: activation takes names, not a range");
    spec_bad("activation", "relu,,tanh", "--param activation: empty item 2 in the list");
    spec_bad("activation", "relu,foo", "--param activation (choice 2): unknown activation \"foo\"");
    spec_bad("lrr", "1", "--param lrr: unknown parameter; expected one of hidden_layers");
    spec_bad("neurons", "1:10:step=0.5", "--param neurons (step): expected an integer step");
    spec_bad("neurons", "1.5:10", "--param neurons (low): neurons takes an integer >= 1, got 1.5");
    spec_bad("batch_size", "0", "--param batch_size (value): batch_size takes an integer >= 1, got 0");
    spec_bad("hidden_layers", "65", "hidden_layers takes an integer in [0, 64], got 65");
    spec_bad("momentum", "1", "momentum takes a number in [0, 1), got 1");
    spec_bad("scale_lr", "2", "scale_lr takes 0, 1, true or false, got 2");
    spec_bad("epochs", "ten", "epochs takes an integer >= 1, got \"ten\"");

    nnt_space *s = nnt_space_new();
    nnt_error e;
    assert_int_equal(nnt_space_set_spec(s, "momentum", "0.5:0.9", &e), NNT_OK);
    assert_int_equal(nnt_space_set_condition(s, "lr", "optimizer=adam", &e), NNT_ERR_NOT_FOUND);
    assert_int_equal(nnt_space_set_condition(s, "momentum", "optimizer", &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "condition on momentum: expected PARENT=A,B");
    assert_int_equal(nnt_space_set_condition(s, "momentum", "lr>=x", &e), NNT_ERR_ARG);
    assert_int_equal(nnt_space_set_condition(s, "momentum", "lr=0.5:0.1", &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "range min 0.5 > max 0.1");
    assert_int_equal(nnt_space_set_condition(s, "momentum", "optimizer=momentum", &e), NNT_OK);
    assert_int_equal(nnt_space_validate(s, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "space.momentum.if.optimizer: condition on a parameter that is "
                                  "not in the space");
    nnt_space_free(s);
}

/* ==== Conditions =================================================================== */

static void test_conditions_resolve(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(example_json);
    int hl = nnt_space_find(s, "hidden_layers"), n3 = nnt_space_find(s, "neurons_3");
    int opt = nnt_space_find(s, "optimizer"), mom = nnt_space_find(s, "momentum");
    double x[9];
    uint8_t active[9];
    for (int h = 0; h <= 3; h++) {
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 9; i++) x[i] = 1; /* some value everywhere */
            x[hl] = h;
            x[n3] = 32;
            x[opt] = o;
            x[mom] = 0.9;
            assert_int_equal(nnt_space_resolve(s, x, active, NULL), NNT_OK);
            assert_int_equal(active[n3], h >= 3);
            assert_int_equal(active[mom], o >= 1); /* momentum, nesterov */
            assert_true(active[n3] ? x[n3] == 32 : isnan(x[n3]));
            assert_true(active[mom] ? x[mom] == 0.9 : isnan(x[mom]));
            assert_true(active[hl] && active[opt]);
        }
    }
    nnt_space_free(s);

    /* Chains: a child of an inactive parent is inactive, whatever the value;
     * conditions on numeric categorical and boolean choices. */
    s = parse_ok("{\"neurons_3\": {\"low\":1,\"high\":9,\"if\":{\"hidden_layers\":{\"min\":3,\"max\":4}}},"
                 " \"hidden_layers\": {\"type\":\"categorical\",\"choices\":[1,3,4,5],"
                 "   \"if\":{\"pretrain\":[true]}},"
                 " \"pretrain\": [false, true],"
                 " \"pretrain_epochs\": {\"low\":1,\"high\":5,\"if\":{\"pretrain\":[1]}}}");
    double y[4];
    uint8_t a[4];
    /* order in the space: neurons_3, hidden_layers, pretrain, pretrain_epochs */
    struct {
        double hl, pre;
        int on_n3, on_hl, on_pe;
    } cases[] = {{0, 1, 0, 1, 1}, {1, 1, 1, 1, 1}, {2, 1, 1, 1, 1}, {3, 1, 0, 1, 1},
                 {1, 0, 0, 0, 0}, {2, 0, 0, 0, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        y[0] = 5;
        y[1] = cases[c].hl;
        y[2] = cases[c].pre;
        y[3] = 2;
        assert_int_equal(nnt_space_resolve(s, y, a, NULL), NNT_OK);
        assert_int_equal(a[0], cases[c].on_n3);
        assert_int_equal(a[1], cases[c].on_hl);
        assert_int_equal(a[2], 1);
        assert_int_equal(a[3], cases[c].on_pe);
    }
    nnt_space_free(s);
}

/* ==== JSON round trips ============================================================= */

static void test_space_json_round_trip(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(example_json);
    assert_int_equal(nnt_space_set_spec(s, "dropout", "0:0.3:step=0.1:points=3", NULL), NNT_OK);
    assert_int_equal(nnt_space_set_spec(s, "weight_decay", "0.1,1e-05,3", NULL), NNT_OK);
    assert_int_equal(nnt_space_set_spec(s, "early_stopping", "true", NULL), NNT_OK);
    assert_int_equal(nnt_space_set_spec(s, "schedule", "step", NULL), NNT_OK);
    char *a = nnt_space_to_json(s);
    assert_non_null(a);
    nnt_space *t = parse_ok(a);
    char *b = nnt_space_to_json(t);
    assert_string_equal(a, b);
    assert_int_equal(nnt_space_size(t), nnt_space_size(s));
    for (int i = 0; i < nnt_space_size(s); i++) {
        nnt_param_info p, q;
        assert_int_equal(nnt_space_info(s, i, &p), NNT_OK);
        assert_int_equal(nnt_space_info(t, i, &q), NNT_OK);
        assert_string_equal(p.name, q.name);
        assert_int_equal(p.kind, q.kind);
        assert_true(memcmp(&p.low, &q.low, sizeof p.low) == 0);
        assert_true(memcmp(&p.high, &q.high, sizeof p.high) == 0);
        assert_true(p.step == q.step && p.log == q.log && p.grid_points == q.grid_points);
        assert_int_equal(p.n_choices, q.n_choices);
        assert_int_equal(p.parent, q.parent);
        for (int c = 0; c < p.n_choices; c++)
            assert_string_equal(nnt_space_choice(s, i, c), nnt_space_choice(t, i, c));
    }
    tu_assert_contains(a, "\"weight_decay\": {\"type\": \"categorical\", \"choices\": [0.1, 1e-05, 3]}");
    tu_assert_contains(a, "\"early_stopping\": {\"type\": \"fixed\", \"value\": true}");
    tu_assert_contains(a, "\"schedule\": {\"type\": \"fixed\", \"value\": \"step\"}");
    /* A clone writes the same definition. */
    nnt_space *c = nnt_space_clone(s);
    assert_non_null(c);
    char *cj = nnt_space_to_json(c);
    assert_string_equal(a, cj);
    free(cj);
    nnt_space_free(c);
    free(a);
    free(b);
    nnt_space_free(t);
    nnt_space_free(s);
}

static void test_params_json_round_trip(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(example_json);
    assert_int_equal(nnt_space_set_spec(s, "scale_lr", "true,false", NULL), NNT_OK);
    int n = nnt_space_size(s);
    nnt_sampler smp;
    assert_int_equal(nnt_sampler_create("random", s, &smp, NULL), NNT_OK);
    double x[16], y[16];
    uint8_t a[16], b[16];
    for (int t = 0; t < 300; t++) {
        assert_int_equal(smp.propose(smp.ctx, s, NULL, t, nnt_seed_derive(5, (uint64_t)t), x, a,
                                     NULL),
                         NNT_OK);
        char *json = nnt_space_params_json(s, x, a);
        assert_non_null(json);
        nnt_error e;
        if (nnt_space_params_from_json(s, json, y, b, &e) != NNT_OK)
            fail_msg("%s: %s", json, e.message);
        for (int i = 0; i < n; i++) {
            assert_int_equal(a[i], b[i]);
            if (a[i]) assert_true(memcmp(&x[i], &y[i], sizeof x[i]) == 0);
            else assert_true(isnan(y[i]));
        }
        free(json);
    }
    nnt_sampler_free(&smp);

    /* The text itself. */
    for (int i = 0; i < n; i++) x[i] = NAN, a[i] = 0;
    int hl = nnt_space_find(s, "hidden_layers"), lr = nnt_space_find(s, "lr");
    int act = nnt_space_find(s, "activation"), bs = nnt_space_find(s, "batch_size");
    int ep = nnt_space_find(s, "epochs"), sc = nnt_space_find(s, "scale_lr");
    x[hl] = 2, a[hl] = 1;
    x[lr] = 0.1, a[lr] = 1;
    x[act] = 1, a[act] = 1;
    x[bs] = 3, a[bs] = 1;
    x[ep] = 0, a[ep] = 1;
    x[sc] = 1, a[sc] = 1;
    char *json = nnt_space_params_json(s, x, a);
    assert_string_equal(json, "{\"hidden_layers\": 2, \"lr\": 0.1, \"activation\": \"tanh\", "
                              "\"batch_size\": 256, \"epochs\": 20, \"scale_lr\": false}");
    free(json);
    x[lr] = 1.0 / 3;
    json = nnt_space_params_json(s, x, a);
    tu_assert_contains(json, "\"lr\": 0.3333333333333333,"); /* shortest exact text */
    free(json);

    /* Errors name the key. */
    nnt_error e;
    const char *bad[][2] = {
        {"{\"lr\": 0.5, \"hidden_layers\": 1}", "params.lr: expected a number in [0.0001, 0.1], got 0.5"},
        {"{\"hidden_layers\": 1.5}", "params.hidden_layers: expected an integer in [0, 3], got 1.5"},
        {"{\"activation\": \"elu\"}", "params.activation: \"elu\" is not one of the choices"},
        {"{\"batch_size\": \"64\"}", "params.batch_size: \"64\" is not one of the choices"},
        {"{\"foo\": 1}", "params.foo: not a parameter of the space"},
        {"{\"hidden_layers\": 1}", "missing (the parameter is active)"},
        {"[1]", "params: expected an object"},
        {"{\"lr\": ", "params: invalid JSON at line 1"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        nnt_error_clear(&e);
        assert_true(nnt_space_params_from_json(s, bad[k][0], y, b, &e) < 0);
        tu_assert_contains(e.message, bad[k][1]);
    }
    /* Fixed values need not be stored; inactive ones may be left out. */
    assert_int_equal(nnt_space_params_from_json(
                         s,
                         "{\"hidden_layers\": 3, \"neurons\": 60, \"neurons_3\": 17, \"lr\": 0.01, "
                         "\"activation\": \"relu\", \"optimizer\": \"adam\", \"batch_size\": 32, "
                         "\"scale_lr\": true}",
                         y, b, &e),
                     NNT_OK);
    assert_true(b[ep] && y[ep] == 0);
    assert_true(!b[nnt_space_find(s, "momentum")] && isnan(y[nnt_space_find(s, "momentum")]));
    assert_true(b[nnt_space_find(s, "neurons_3")] && y[nnt_space_find(s, "neurons_3")] == 17);
    assert_true(y[sc] == 0 && y[bs] == 0);
    nnt_space_free(s);
}

/* ==== Default space ================================================================ */

/* The small-data space's ranges (docs/search-space.md). */
#define SMALL_NEURONS_LOW 16
#define SMALL_NEURONS_HIGH 256
#define SMALL_LR_LOW 1e-4
#define SMALL_LR_HIGH 0.03
#define SMALL_WD_LOW 1e-6
#define SMALL_WD_HIGH 0.1
#define SMALL_BATCH_LOW 16
#define SMALL_BATCH_HIGH 128
#define SMALL_EPOCHS 100
#define SMALL_PATIENCE 20

static void test_default_space(void **state)
{
    (void)state;
    nnt_space *s = NULL;
    nnt_error e;
    assert_int_equal(nnt_space_default(&s, &e), NNT_OK);
    assert_int_equal(nnt_space_validate(s, &e), NNT_OK);
    const char *names[] = {"hidden_layers", "neurons", "activation", "optimizer", "lr",
                           "momentum", "batch_size", "dropout", "epochs", "schedule",
                           "patience", "early_stopping"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        assert_true(nnt_space_find(s, names[k]) >= 0);
    nnt_param_info in;
    assert_int_equal(nnt_space_info(s, nnt_space_find(s, "lr"), &in), NNT_OK);
    assert_true(in.log && in.low == 1e-4 && in.high == 0.1);
    assert_int_equal(nnt_space_info(s, nnt_space_find(s, "momentum"), &in), NNT_OK);
    assert_int_equal(in.parent, nnt_space_find(s, "optimizer"));
    /* 3 depths x 3 widths x 2 activations x (adam + 3 momenta) x 3 lr x 4 batch x 3 dropout */
    assert_int_equal(nnt_grid_size(s), 3 * 3 * 2 * 4 * 3 * 4 * 3);

    /* Every random draw applies cleanly. */
    nnt_sampler smp;
    assert_int_equal(nnt_sampler_create("random", s, &smp, &e), NNT_OK);
    double x[16];
    uint8_t a[16];
    for (int t = 0; t < 50; t++) {
        assert_int_equal(smp.propose(smp.ctx, s, NULL, t, (uint64_t)t, x, a, &e), NNT_OK);
        nnt_model_options m = nnt_model_options_default();
        nnt_train_options o = nnt_train_options_default();
        if (nnt_space_apply(s, x, a, &m, &o, &e) != NNT_OK) fail_msg("%s", e.message);
        assert_true(m.n_hidden >= 1 && m.n_hidden <= 3);
        for (int l = 0; l < m.n_hidden; l++) assert_true(m.hidden[l] >= 50 && m.hidden[l] <= 512);
        assert_true(o.max_epochs == 30 && o.patience == 5 && o.early_stopping == 1);
        assert_int_equal(o.schedule, NNT_SCHED_COSINE);
        assert_true(o.optimizer == NNT_OPT_ADAM || o.optimizer == NNT_OPT_MOMENTUM);
        if (o.optimizer == NNT_OPT_MOMENTUM) assert_true(o.momentum >= 0.8 && o.momentum <= 0.99);
        assert_true(o.lr >= 1e-4 && o.lr <= 0.1);
        assert_true(m.dropout[0] >= 0 && m.dropout[0] <= 0.3f);
    }
    nnt_sampler_free(&smp);
    nnt_space_free(s);
}

/* The small-data default: picked below NNT_SMALL_DATA_ROWS rows, the large-data
 * default from there on; every draw applies and stays in its documented ranges. */
static void test_default_space_for_rows(void **state)
{
    (void)state;
    nnt_space *s = NULL;
    nnt_error e;
    assert_int_equal(nnt_space_default_for_rows(NNT_SMALL_DATA_ROWS, &s, &e), NNT_OK);
    nnt_param_info in;
    assert_int_equal(nnt_space_info(s, nnt_space_find(s, "lr"), &in), NNT_OK);
    assert_true(in.low == 1e-4 && in.high == 0.1); /* the large-data space */
    assert_true(nnt_space_find(s, "weight_decay") < 0);
    nnt_space_free(s);

    assert_int_equal(nnt_space_default_for_rows(NNT_SMALL_DATA_ROWS - 1, &s, &e), NNT_OK);
    assert_int_equal(nnt_space_validate(s, &e), NNT_OK);
    assert_true(nnt_space_find(s, "weight_decay") >= 0);
    assert_true(nnt_space_find(s, "momentum") < 0);
    assert_int_equal(nnt_space_info(s, nnt_space_find(s, "weight_decay"), &in), NNT_OK);
    assert_true(in.log && in.low == SMALL_WD_LOW && in.high == SMALL_WD_HIGH);
    nnt_sampler smp;
    assert_int_equal(nnt_sampler_create("random", s, &smp, &e), NNT_OK);
    double x[16];
    uint8_t a[16];
    for (int t = 0; t < 50; t++) {
        assert_int_equal(smp.propose(smp.ctx, s, NULL, t, (uint64_t)t, x, a, &e), NNT_OK);
        nnt_model_options m = nnt_model_options_default();
        nnt_train_options o = nnt_train_options_default();
        if (nnt_space_apply(s, x, a, &m, &o, &e) != NNT_OK) fail_msg("%s", e.message);
        assert_true(m.n_hidden >= 1 && m.n_hidden <= 3);
        for (int l = 0; l < m.n_hidden; l++)
            assert_true(m.hidden[l] >= SMALL_NEURONS_LOW && m.hidden[l] <= SMALL_NEURONS_HIGH);
        assert_true(o.max_epochs == SMALL_EPOCHS && o.patience == SMALL_PATIENCE && o.early_stopping == 1);
        assert_int_equal(o.optimizer, NNT_OPT_ADAM);
        assert_true(o.lr >= SMALL_LR_LOW && o.lr <= SMALL_LR_HIGH);
        assert_true(o.weight_decay >= SMALL_WD_LOW && o.weight_decay <= SMALL_WD_HIGH);
        assert_true(o.batch_size >= SMALL_BATCH_LOW && o.batch_size <= SMALL_BATCH_HIGH);
    }
    nnt_sampler_free(&smp);
    nnt_space_free(s);
}

/* ==== Applying parameters ============================================================ */

static void all_active(const nnt_space *s, double *x, uint8_t *a)
{
    for (int i = 0; i < nnt_space_size(s); i++) x[i] = 0, a[i] = 1;
}

static void test_apply_every_name(void **state)
{
    (void)state;
    nnt_space *s = parse_ok(
        "{\"hidden_layers\": 3, \"neurons\": 100, \"neurons_2\": 50, \"activation\": \"tanh\","
        " \"optimizer\": \"nesterov\", \"lr\": 0.05, \"momentum\": 0.95, \"beta1\": 0.8,"
        " \"beta2\": 0.99, \"batch_size\": 64, \"scale_lr\": true, \"epochs\": 40,"
        " \"patience\": 7, \"min_delta\": 0.001, \"early_stopping\": false, \"dropout\": 0.2,"
        " \"input_dropout\": 0.1, \"weight_decay\": 1e-4, \"schedule\": \"cosine\","
        " \"warmup\": 3, \"step_gamma\": 0.3, \"step_epochs\": 4, \"pretrain\": 1,"
        " \"leaky_slope\": 0.05}");
    double x[32];
    uint8_t a[32];
    all_active(s, x, a);
    nnt_model_options m = nnt_model_options_default();
    nnt_train_options o = nnt_train_options_default();
    o.pretrain_epochs = 0;
    nnt_error e;
    if (nnt_space_apply(s, x, a, &m, &o, &e) != NNT_OK) fail_msg("%s", e.message);
    assert_int_equal(m.n_hidden, 3);
    assert_int_equal(m.hidden[0], 100);
    assert_int_equal(m.hidden[1], 50);
    assert_int_equal(m.hidden[2], 100);
    assert_int_equal(m.activation, NNT_ACT_TANH);
    assert_int_equal(o.optimizer, NNT_OPT_NESTEROV);
    assert_true(o.lr == 0.05 && o.momentum == 0.95 && o.beta1 == 0.8 && o.beta2 == 0.99);
    assert_int_equal(o.batch_size, 64);
    assert_int_equal(o.scale_lr_with_batch, 1);
    assert_int_equal(o.max_epochs, 40);
    assert_int_equal(o.patience, 7);
    assert_true(o.min_delta == 0.001);
    assert_int_equal(o.early_stopping, 0);
    for (int l = 0; l < 3; l++) assert_true(m.dropout[l] == 0.2f);
    assert_true(m.input_dropout == 0.1f);
    assert_true(o.weight_decay == 1e-4);
    assert_int_equal(o.schedule, NNT_SCHED_COSINE);
    assert_int_equal(o.warmup_epochs, 3);
    assert_true(o.step_gamma == 0.3);
    assert_int_equal(o.step_epochs, 4);
    assert_int_equal(o.pretrain_epochs, 5); /* pretrain on, length not given */
    assert_true(m.leaky_slope == 0.05f);
    nnt_space_free(s);

    /* Ranges and choices: values come from x; pretrain off wins over length. */
    s = parse_ok("{\"hidden_layers\": {\"low\": 0, \"high\": 4}, \"neurons_1\": [8, 16],"
                 " \"neurons\": {\"low\": 10, \"high\": 90}, \"lr\": {\"low\": 0.001, \"high\": 1},"
                 " \"activation\": [\"relu\", \"leaky_relu\", \"elu\"], \"pretrain\": [0, 1],"
                 " \"pretrain_epochs\": {\"low\": 1, \"high\": 9}, \"scale_lr\": [false, true],"
                 " \"optimizer\": [\"sgd\", \"adamw\"], \"schedule\": [\"constant\", \"step\"]}");
    double y[10] = {2, 1, 33, 0.25, 2, 1, 7, 1, 1, 1};
    uint8_t b[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    m = nnt_model_options_default();
    o = nnt_train_options_default();
    assert_int_equal(nnt_space_apply(s, y, b, &m, &o, &e), NNT_OK);
    assert_int_equal(m.n_hidden, 2);
    assert_int_equal(m.hidden[0], 16);
    assert_int_equal(m.hidden[1], 33);
    assert_true(o.lr == 0.25);
    assert_int_equal(m.activation, NNT_ACT_ELU);
    assert_int_equal(o.pretrain_epochs, 7);
    assert_int_equal(o.scale_lr_with_batch, 1);
    assert_int_equal(o.optimizer, NNT_OPT_ADAMW);
    assert_int_equal(o.schedule, NNT_SCHED_STEP);
    y[5] = 0; /* pretrain off */
    assert_int_equal(nnt_space_apply(s, y, b, &m, &o, &e), NNT_OK);
    assert_int_equal(o.pretrain_epochs, 0);
    /* Inactive parameters keep the base options. */
    m = nnt_model_options_default();
    o = nnt_train_options_default();
    nnt_train_options base = o;
    b[3] = 0;
    y[3] = NAN;
    assert_int_equal(nnt_space_apply(s, y, b, &m, &o, &e), NNT_OK);
    assert_true(o.lr == base.lr);
    /* Values out of the domain are refused, naming the parameter; options stay. */
    b[3] = 1;
    y[3] = 0.25;
    y[0] = 65;
    nnt_model_options m0 = m;
    assert_int_equal(nnt_space_apply(s, y, b, &m, &o, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "params.hidden_layers: hidden_layers takes an integer in [0, 64], got 65");
    assert_int_equal(m.n_hidden, m0.n_hidden);
    y[0] = 2;
    y[4] = 3; /* choice index out of range */
    assert_int_equal(nnt_space_apply(s, y, b, &m, &o, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "params.activation: choice index 3 out of range");
    nnt_space_free(s);

    /* A depth without any width. */
    s = parse_ok("{\"hidden_layers\": 2, \"neurons_1\": 8}");
    all_active(s, y, b);
    m = nnt_model_options_default();
    for (int l = 0; l < NNT_MAX_HIDDEN; l++) m.hidden[l] = 0;
    o = nnt_train_options_default();
    assert_int_equal(nnt_space_apply(s, y, b, &m, &o, &e), NNT_ERR_ARG);
    tu_assert_contains(e.message, "hidden layer 2 has no width");
    nnt_space_free(s);
}

/* ==== Out of memory ==================================================================== */

static void test_alloc_failures(void **state)
{
    (void)state;
    /* Every allocation failure is an error (never a crash or a half space);
     * sanitizer builds check for leaks. */
    int failures = 0;
    for (long k = 0; k < 400; k++) {
        nnt_space *s = NULL;
        nnt_error e;
        nnt__alloc_fail_after(k);
        int rc = nnt_space_from_json(example_json, &s, &e);
        char *json = rc == NNT_OK ? nnt_space_to_json(s) : NULL;
        nnt__alloc_fail_after(-1);
        if (rc == NNT_OK) {
            assert_non_null(s);
            free(json);
            nnt_space_free(s);
            break;
        }
        assert_null(s);
        assert_int_equal(rc, NNT_ERR_NOMEM);
        failures++;
    }
    assert_true(failures > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_example),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_spec_good),
        cmocka_unit_test(test_spec_bad),
        cmocka_unit_test(test_conditions_resolve),
        cmocka_unit_test(test_space_json_round_trip),
        cmocka_unit_test(test_params_json_round_trip),
        cmocka_unit_test(test_default_space),
        cmocka_unit_test(test_default_space_for_rows),
        cmocka_unit_test(test_apply_every_name),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
