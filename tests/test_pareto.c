/* Pareto fronts: dominance with ties, duplicates and NaN, the front, the
 * non-dominated sorting ranks, the display order, directions and the
 * two-objective hypervolume, on hand-made points. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nntune/analysis.h"
#include "nntune/nntune.h"

/* Two objectives, both minimised unless a test says otherwise. */
static const double pts[10][2] = {
    {1, 5},   /* 0: front */
    {2, 3},   /* 1: front */
    {3, 3},   /* 2: dominated by 1 (tie in the second objective) */
    {2, 3},   /* 3: duplicate of 1: front too */
    {5, 1},   /* 4: front */
    {4, 4},   /* 5: dominated by 1 and 2 */
    {1, 5},   /* 6: duplicate of 0 */
    {NAN, 0}, /* 7: NaN: on no front */
    {5, 2},   /* 8: dominated by 4 (tie in the first objective) */
    {0.5, 6}, /* 9: front */
};

static void test_dominates(void **state)
{
    (void)state;
    assert_true(nnt_dominates(pts[1], pts[2], 2, NULL));
    assert_false(nnt_dominates(pts[2], pts[1], 2, NULL));
    assert_false(nnt_dominates(pts[1], pts[3], 2, NULL)); /* equal points */
    assert_false(nnt_dominates(pts[0], pts[4], 2, NULL)); /* trade-off */
    assert_true(nnt_dominates(pts[4], pts[8], 2, NULL));
    assert_false(nnt_dominates(pts[7], pts[5], 2, NULL)); /* NaN dominates nothing */
    assert_false(nnt_dominates(pts[1], pts[7], 2, NULL)); /* nor is dominated */
    const int max2[2] = {0, 1};                             /* maximise the second */
    assert_true(nnt_dominates(pts[2], pts[5], 2, NULL));
    assert_false(nnt_dominates(pts[2], pts[5], 2, max2));
    assert_true(nnt_dominates(pts[0], pts[1], 2, max2));
}

static void test_front(void **state)
{
    (void)state;
    int idx[10];
    nnt_error e;
    int n = nnt_pareto_front(&pts[0][0], 10, 2, NULL, idx, &e);
    const int want[6] = {0, 1, 3, 4, 6, 9};
    assert_int_equal(n, 6);
    assert_memory_equal(idx, want, sizeof want);
    /* Minimise the first, maximise the second: (0.5, 6) beats everything. */
    const int max2[2] = {0, 1};
    n = nnt_pareto_front(&pts[0][0], 10, 2, max2, idx, &e);
    assert_int_equal(n, 1);
    assert_int_equal(idx[0], 9);
    /* Maximise both: (0.5, 6), (1, 5) twice, (4, 4) and (5, 2) (which
     * dominates (5, 1) through the tie in the first objective). */
    const int maxb[2] = {1, 1};
    n = nnt_pareto_front(&pts[0][0], 10, 2, maxb, idx, &e);
    const int wantb[5] = {0, 5, 6, 8, 9};
    assert_int_equal(n, 5);
    assert_memory_equal(idx, wantb, sizeof wantb);
    /* One objective: the minima, all of them. */
    const double one[5] = {3, 1, 2, 1, NAN};
    n = nnt_pareto_front(one, 5, 1, NULL, idx, &e);
    assert_int_equal(n, 2);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 3);
    /* Three objectives with a tie pattern. */
    const double three[5][3] = {{1, 2, 3}, {1, 2, 3}, {1, 2, 4}, {0, 5, 5}, {2, 1, 3}};
    n = nnt_pareto_front(&three[0][0], 5, 3, NULL, idx, &e);
    const int want3[4] = {0, 1, 3, 4};
    assert_int_equal(n, 4);
    assert_memory_equal(idx, want3, sizeof want3);
    /* Edge cases. */
    assert_int_equal(nnt_pareto_front(NULL, 0, 2, NULL, idx, &e), 0);
    assert_int_equal(nnt_pareto_front(&pts[0][0], 10, 0, NULL, idx, &e), NNT_ERR_ARG);
    const double nan2[2][2] = {{NAN, 1}, {1, NAN}};
    assert_int_equal(nnt_pareto_front(&nan2[0][0], 2, 2, NULL, idx, &e), 0);
}

static void test_ranks_and_order(void **state)
{
    (void)state;
    int rank[10];
    int fronts = nnt_pareto_ranks(&pts[0][0], 10, 2, NULL, rank, NULL);
    assert_int_equal(fronts, 3);
    const int want[10] = {0, 0, 1, 0, 0, 2, 0, -1, 1, 0};
    assert_memory_equal(rank, want, sizeof want);
    /* Display order by the first objective, ties by the second, then index. */
    int idx[6] = {0, 1, 3, 4, 6, 9};
    nnt_pareto_sort(&pts[0][0], 2, NULL, 0, idx, 6);
    const int by0[6] = {9, 0, 6, 1, 3, 4};
    assert_memory_equal(idx, by0, sizeof by0);
    nnt_pareto_sort(&pts[0][0], 2, NULL, 1, idx, 6);
    const int by1[6] = {4, 1, 3, 0, 6, 9};
    assert_memory_equal(idx, by1, sizeof by1);
    /* Maximised objective: best (largest) first. */
    const int max2[2] = {0, 1};
    nnt_pareto_sort(&pts[0][0], 2, max2, 1, idx, 6);
    const int by1max[6] = {9, 0, 6, 1, 3, 4};
    assert_memory_equal(idx, by1max, sizeof by1max);
}

static void test_hypervolume(void **state)
{
    (void)state;
    const double ref[2] = {6, 7};
    /* Front (0.5,6), (1,5), (2,3), (5,1) under ref (6,7):
     * 5.5*1 + 5*1 + 4*2 + 1*2 = 20.5; dominated points add nothing. */
    double hv = nnt_hypervolume_2d(&pts[0][0], 10, NULL, ref);
    assert_true(fabs(hv - 20.5) < 1e-12);
    int idx[10];
    int n = nnt_pareto_front(&pts[0][0], 10, 2, NULL, idx, NULL);
    double fp[10][2];
    for (int k = 0; k < n; k++) memcpy(fp[k], pts[idx[k]], sizeof fp[k]);
    assert_true(fabs(nnt_hypervolume_2d(&fp[0][0], n, NULL, ref) - 20.5) < 1e-12);
    /* Points outside the reference box are ignored. */
    const double ref2[2] = {2, 7};
    /* (0.5,6): 1.5*1; (1,5): 1*1 -> 2.5 */
    assert_true(fabs(nnt_hypervolume_2d(&pts[0][0], 10, NULL, ref2) - 2.5) < 1e-12);
    /* Maximising the second objective mirrors it: accuracy vs size. */
    const double acc[3][2] = {{10, 0.9}, {20, 0.95}, {5, 0.8}};
    const int max2[2] = {0, 1};
    const double r3[2] = {30, 0.5};
    /* sorted by size: (5, .8): 25*.3 = 7.5; (10, .9): 20*.1 = 2; (20,.95): 10*.05 = .5 */
    assert_true(fabs(nnt_hypervolume_2d(&acc[0][0], 3, max2, r3) - 10.0) < 1e-12);
    assert_true(isnan(nnt_hypervolume_2d(&pts[0][0], 10, NULL, NULL)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dominates),
        cmocka_unit_test(test_front),
        cmocka_unit_test(test_ranks_and_order),
        cmocka_unit_test(test_hypervolume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
