/* features/trees.c and features/model.h on hand-built trees: XGBoost
 * 1.7's predict() and approx_contribs, worked out by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "features/model.h"
#include "features/trees.h"

#define NO -1

static char err[256];

/* A tree from rows { left, right, feature, value, default_left, hess }. */
struct row {
        int32_t left, right, feature;
        float value;
        uint8_t default_left;
        float hess;
};

static int add(cw_trees_t *t, const struct row *rows, int n) {
        int32_t l[64], r[64], f[64];
        float v[64], h[64];
        uint8_t d[64];
        for (int i = 0; i < n; i++) {
                l[i] = rows[i].left;
                r[i] = rows[i].right;
                f[i] = rows[i].feature;
                v[i] = rows[i].value;
                d[i] = rows[i].default_left;
                h[i] = rows[i].hess;
        }
        struct cw_tree_spec s = {n, l, r, f, v, d, h};
        return cw_trees_add(t, &s, err, sizeof(err));
}

static cw_trees_t *model(int n_features, float base) {
        cw_trees_t *t = cw_trees_new(n_features, base, err, sizeof(err));
        cr_assert_not_null(t, "%s", err);
        return t;
}

/* Root: x0 < 0.5 (missing: left) -> leaf 1 | x1 < 2 (missing: right) ->
 * leaf 2 | leaf -1. Covers 10 = 4 + 6, 6 = 3 + 3. */
static const struct row TREE[] = {
        {1, 2, 0, 0.5f, 1, 10.0f},   {NO, NO, 0, 1.0f, 0, 4.0f},
        {3, 4, 1, 2.0f, 0, 6.0f},    {NO, NO, 0, 2.0f, 0, 3.0f},
        {NO, NO, 0, -1.0f, 0, 3.0f},
};

Test(trees, x_below_the_threshold_goes_left_and_equal_goes_right) {
        cw_trees_t *t = model(2, 0.5f);
        cr_assert_eq(add(t, TREE, 5), 0, "%s", err);
        float below[] = {nextafterf(0.5f, 0), 0}, equal[] = {0.5f, 0};
        float right_left[] = {0.5f, nextafterf(2.0f, 0)},
              right_right[] = {0.5f, 2.0f};
        /* base_score 0.5: the margin is the leaf value alone. */
        cr_assert_eq(cw_trees_margin(t, below), 1.0f);
        cr_assert_eq(cw_trees_margin(t, equal), 2.0f);
        cr_assert_eq(cw_trees_margin(t, right_left), 2.0f);
        cr_assert_eq(cw_trees_margin(t, right_right), -1.0f);
        cw_trees_destroy(t);
}

Test(trees, a_missing_input_takes_the_default_direction_of_its_split) {
        cw_trees_t *t = model(2, 0.5f);
        cr_assert_eq(add(t, TREE, 5), 0, "%s", err);
        float root_missing[] = {NAN, 5.0f}, second_missing[] = {0.7f, NAN};
        cr_assert_eq(cw_trees_margin(t, root_missing), 1.0f);    /* left */
        cr_assert_eq(cw_trees_margin(t, second_missing), -1.0f); /* right */
        cw_trees_destroy(t);
}

Test(trees, infinities_compare_as_numbers_inside_the_trees) {
        /* XGBoost writes a split above every training value as Infinity:
         * every finite input is below it. (The model layer turns infinite
         * inputs into missing ones before they get here.) */
        static const struct row above_all[] = {{1, 2, 0, INFINITY, 0, 2},
                                               {NO, NO, 0, 3.0f, 0, 1},
                                               {NO, NO, 0, -3.0f, 0, 1}};
        cw_trees_t *t = model(2, 0.5f), *u = model(1, 0.5f);
        cr_assert_eq(add(t, TREE, 5), 0, "%s", err);
        cr_assert_eq(add(u, above_all, 3), 0, "%s", err);
        float x[] = {-INFINITY, 0}, y[] = {INFINITY, INFINITY};
        float big[] = {3.4028235e38f}, nan[] = {NAN};
        cr_assert_eq(cw_trees_margin(t, x), 1.0f);
        cr_assert_eq(cw_trees_margin(t, y), -1.0f);
        cr_assert_eq(cw_trees_margin(u, big), 3.0f);
        cr_assert_eq(cw_trees_margin(u, nan), -3.0f); /* default: right */
        cw_trees_destroy(t);
        cw_trees_destroy(u);
}

Test(trees, leaf_values_are_summed_in_float_in_tree_order) {
        /* 2^24 + 1 + 1: in float each + 1 rounds back to 2^24 (to even);
         * a double sum would give 2^24 + 2. */
        static const struct row big[] = {{NO, NO, 0, 16777216.0f, 0, 1}},
                                one[] = {{NO, NO, 0, 1.0f, 0, 1}};
        cw_trees_t *t = model(1, 0.5f);
        float x[] = {0};
        cr_assert_eq(add(t, big, 1), 0);
        cr_assert_eq(add(t, one, 1), 0);
        cr_assert_eq(add(t, one, 1), 0);
        cr_assert_eq(cw_trees_count(t), 3);
        cr_assert_eq(cw_trees_margin(t, x), 16777216.0f);
        cw_trees_destroy(t);
}

Test(trees, the_margin_starts_at_the_logit_of_base_score_in_float) {
        cw_trees_t *t = model(1, 0.2f);
        float x[] = {0};
        /* -logf(1 / 0.2f - 1) = -logf(4): float all the way. */
        cr_assert_eq(cw_trees_margin(t, x), -logf(4.0f));
        cr_assert_float_eq(cw_trees_score(t, x), 0.2, 1e-7);
        cw_trees_destroy(t);
}

Test(trees, the_sigmoid_clamps_its_exponent_as_xgboost_does) {
        static const struct row low[] = {{NO, NO, 0, -100.0f, 0, 1}},
                                high[] = {{NO, NO, 0, 100.0f, 0, 1}};
        cw_trees_t *t = model(1, 0.5f), *u = model(1, 0.5f);
        float x[] = {0};
        cr_assert_eq(add(t, low, 1), 0);
        cr_assert_eq(add(u, high, 1), 0);
        /* expf(100) would overflow to inf and give 0; clamped at 88.7 the
         * score is 1 / expf(88.7f), a tiny positive float. */
        cr_assert_eq(cw_trees_score(t, x), (double)(1.0f / expf(88.7f)));
        cr_assert_gt(cw_trees_score(t, x), 0.0);
        cr_assert_eq(cw_trees_score(u, x), 1.0);
        cw_trees_destroy(t);
        cw_trees_destroy(u);
}

Test(trees, saabas_contributions_follow_the_path_through_expected_values) {
        cw_trees_t *t = model(3, 0.5f);
        cr_assert_eq(add(t, TREE, 5), 0, "%s", err);
        /* Expected values: node 2 (2*3 + -1*3) / 6 = 0.5; root
         * (1*4 + 0.5*6) / 10 = 0.7. Right then left: x0 gets 0.5 - 0.7,
         * x1 gets 2 - 0.5; x2 is on no path. */
        float x[] = {1.0f, 0.0f, 9.0f}, c[3];
        cw_trees_contrib(t, x, c);
        cr_assert_eq(c[0], 0.5f - 0.7f);
        cr_assert_eq(c[1], 1.5f);
        cr_assert_eq(c[2], 0.0f);
        /* A second tree adds its own; the path to a leaf of the root's
         * left gives x0 1 - 0.7. */
        cr_assert_eq(add(t, TREE, 5), 0, "%s", err);
        float y[] = {0.0f, 0.0f, 0.0f};
        cw_trees_contrib(t, y, c);
        cr_assert_eq(c[0], (1.0f - 0.7f) + (1.0f - 0.7f));
        cr_assert_eq(c[1], 0.0f);
        cw_trees_destroy(t);
}

Test(trees, node_order_in_the_file_does_not_matter) {
        /* TREE with its nodes shuffled and an unreachable (deleted) node
         * full of nonsense at index 1. */
        static const struct row shuffled[] = {
                {5, 3, 0, 0.5f, 1, 10.0f},   {99, 7, 42, 0, 0, 0},
                {NO, NO, 0, 2.0f, 0, 3.0f},  {2, 4, 1, 2.0f, 0, 6.0f},
                {NO, NO, 0, -1.0f, 0, 3.0f}, {NO, NO, 0, 1.0f, 0, 4.0f},
        };
        cw_trees_t *t = model(2, 0.5f), *u = model(2, 0.5f);
        float xs[][2] = {{0, 0}, {1, 1}, {1, 3}, {NAN, NAN}, {1, NAN}};
        float ct[2], cu[2];
        cr_assert_eq(add(t, TREE, 5), 0, "%s", err);
        cr_assert_eq(add(u, shuffled, 6), 0, "%s", err);
        for (int i = 0; i < 5; i++) {
                cr_assert_eq(cw_trees_margin(t, xs[i]),
                             cw_trees_margin(u, xs[i]), "row %d", i);
                cw_trees_contrib(t, xs[i], ct);
                cw_trees_contrib(u, xs[i], cu);
                cr_assert(!memcmp(ct, cu, sizeof(ct)), "row %d", i);
        }
        cw_trees_destroy(t);
        cw_trees_destroy(u);
}

static void refused(const struct row *rows, int n, int n_features,
                    const char *want) {
        cw_trees_t *t = model(n_features, 0.5f);
        cr_assert_eq(add(t, rows, n), -1, "accepted: want %s", want);
        cr_assert(strstr(err, want), "'%s' does not say '%s'", err, want);
        cr_assert_eq(cw_trees_count(t), 0);
        cw_trees_destroy(t);
}

Test(trees, what_is_not_a_tree_is_refused_with_the_node) {
        static const struct row out_of_range[] = {
                {1, 3, 0, 0, 0, 1}, {NO, NO, 0, 0, 0, 1}, {NO, NO, 0, 0, 0, 1}};
        static const struct row cycle[] = {
                {1, 2, 0, 0, 0, 1}, {0, 2, 0, 0, 0, 1}, {NO, NO, 0, 0, 0, 1}};
        static const struct row shared[] = {{1, 1, 0, 0, 0, 1},
                                            {NO, NO, 0, 0, 0, 1}};
        static const struct row one_child[] = {{1, NO, 0, 0, 0, 1},
                                               {NO, NO, 0, 0, 0, 1}};
        static const struct row feature[] = {
                {1, 2, 2, 0, 0, 1}, {NO, NO, 0, 0, 0, 1}, {NO, NO, 0, 0, 0, 1}};
        refused(out_of_range, 3, 1, "a child index 3 is outside the 3 nodes");
        refused(cycle, 3, 1, "node 0 is the child of two splits");
        refused(shared, 2, 1, "node 1 is the child of two splits");
        refused(one_child, 2, 1, "node 0 has one child");
        refused(feature, 3, 2,
                "node 0 splits on feature index 2, but the model has 2 "
                "inputs");
        refused(feature, 0, 2, "a tree has 1 to");
}

Test(trees, a_model_needs_a_base_score_inside_0_1_and_1_to_64_features) {
        cr_assert_null(cw_trees_new(2, 0.0f, err, sizeof(err)));
        cr_assert(strstr(err, "base_score = 0 is not strictly between 0 and 1"),
                  "%s", err);
        cr_assert_null(cw_trees_new(2, 1.0f, err, sizeof(err)));
        cr_assert_null(cw_trees_new(2, NAN, err, sizeof(err)));
        cr_assert_null(cw_trees_new(0, 0.5f, err, sizeof(err)));
        cr_assert_null(cw_trees_new(65, 0.5f, err, sizeof(err)));
        cr_assert(strstr(err, "1 to 64 features, not 65"), "%s", err);
}

/* The model glue the engine calls: inputs in configuration order, doubles
 * to float32, reasons by contribution then name. */
Test(trees, a_model_reads_its_inputs_as_float32_and_names_its_reasons) {
        struct cw_feature feats[] = {
                {.name = "zed"}, {.name = "amy"}, {.name = "bob"}};
        cw_engine_conf_t conf = {.features = feats, .n_features = 3};
        /* Model feature 0 is engine feature 2 (bob), 1 is 0 (zed). */
        struct cw_model_input in[] = {{.feature = 2}, {.feature = 0}};
        struct cw_alert a = {.kind = CW_ALERT_MODEL,
                             .inputs = in,
                             .n_inputs = 2,
                             .trees = model(2, 0.5f)};
        double contrib[2];
        const char *reasons[3];
        cr_assert_eq(add(a.trees, TREE, 5), 0, "%s", err);
        /* 0.49999999999 is below 0.5 as a double but 0.5 as a float: it
         * goes right, as XGBoost's float32 row does. */
        double v[] = {1.0, 7.0, 0.49999999999};
        double s = cw_model_score(&a, v, contrib);
        cr_assert_eq(s, cw_trees_score(a.trees, (float[]){0.5f, 1.0f}));
        cw_model_contrib(&a, v, contrib);
        cr_assert_eq(contrib[0], (double)(0.5f - 0.7f));
        cr_assert_eq(contrib[1], 1.5);
        cr_assert_eq(cw_model_reasons(&conf, &a, contrib, reasons, 3), 1);
        cr_assert_str_eq(reasons[0], "zed");
        /* Infinite, or beyond float32 and so infinite as a float, is
         * missing: bob takes the root's default (left, leaf 1). */
        double inf[] = {1.0, 7.0, INFINITY}, huge[] = {1.0, 7.0, -1e300};
        cr_assert_eq(cw_model_score(&a, inf, contrib),
                     cw_trees_score(a.trees, (float[]){NAN, 1.0f}));
        cr_assert_eq(cw_model_score(&a, huge, contrib),
                     cw_trees_score(a.trees, (float[]){NAN, 1.0f}));
        cr_assert_eq(cw_trees_margin(a.trees, (float[]){NAN, 1.0f}), 1.0f);
        /* Equal contributions: by name. */
        contrib[0] = contrib[1] = 0.25;
        cr_assert_eq(cw_model_reasons(&conf, &a, contrib, reasons, 3), 2);
        cr_assert_str_eq(reasons[0], "bob");
        cr_assert_str_eq(reasons[1], "zed");
        cw_trees_destroy(a.trees);
}
