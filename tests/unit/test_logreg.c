/* The logistic fit (learn/logreg.h) and the validation metrics
 * (learn/metrics.h), on cases small enough to work out by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "learn/logreg.h"
#include "learn/metrics.h"

TestSuite(logreg);
TestSuite(metrics);

Test(logreg, two_mirrored_rows_give_w_equal_to_2_over_1_plus_e_to_w) {
        /* Rows x = -1 (y 0) and x = 1 (y 1), l2 = 1: by symmetry b = 0,
         * and f(w) = 2 log(1 + e^-w) + w^2 / 2 is least where
         * w = 2 / (1 + e^w), near 0.6749. */
        double x[] = {-1, 1};
        uint8_t y[] = {0, 1};
        struct cw_logreg m;
        char err[256];

        cr_assert_eq(cw_logreg_fit(x, y, 2, 1, 1.0, &m, err, sizeof(err)), 0,
                     "%s", err);
        cr_assert(fabs(m.intercept) < 1e-12, "b = %g", m.intercept);
        cr_assert(fabs(m.w[0] - 2 / (1 + exp(m.w[0]))) < 1e-12, "w = %.17g",
                  m.w[0]);
        cr_assert(fabs(m.w[0] - 0.6749) < 1e-4);
        cr_assert(fabs(cw_logreg_predict(&m, x + 1, 1) -
                       1 / (1 + exp(-m.w[0]))) < 1e-15);
}

Test(logreg, a_constant_input_gets_no_weight_and_b_is_the_log_odds) {
        double x[] = {0, 0, 0, 0};
        uint8_t y[] = {1, 0, 0, 0};
        struct cw_logreg m;
        char err[256];

        cr_assert_eq(cw_logreg_fit(x, y, 4, 1, 0.5, &m, err, sizeof(err)), 0,
                     "%s", err);
        cr_assert_eq(m.w[0], 0);
        cr_assert(fabs(m.intercept - log(1.0 / 3)) < 1e-12);
}

Test(logreg, the_gradient_vanishes_at_the_fit_the_intercept_unpenalised) {
        /* 200 rows of 3 inputs from a fixed linear congruential sequence;
         * at the optimum sum(p - y) = 0 and sum((p - y) x_j) + l2 w_j = 0. */
        enum { N = 200, D = 3 };
        double x[N * D], g[D + 1] = {0}, l2 = 2.5;
        uint8_t y[N];
        uint64_t s = 42;
        struct cw_logreg m;
        char err[256];

        for (int i = 0; i < N; i++) {
                double z = 0.3;
                for (int j = 0; j < D; j++) {
                        s = s * 6364136223846793005u + 1442695040888963407u;
                        x[i * D + j] =
                                (double)(s >> 11) / 9007199254740992.0 * 4 - 2;
                        z += (j + 1) * 0.7 * x[i * D + j];
                }
                s = s * 6364136223846793005u + 1442695040888963407u;
                y[i] = (double)(s >> 11) / 9007199254740992.0 <
                       1 / (1 + exp(-z));
        }
        cr_assert_eq(cw_logreg_fit(x, y, N, D, l2, &m, err, sizeof(err)), 0,
                     "%s", err);
        for (int i = 0; i < N; i++) {
                double r = cw_logreg_predict(&m, x + i * D, D) - y[i];
                g[0] += r;
                for (int j = 0; j < D; j++)
                        g[j + 1] += r * x[i * D + j];
        }
        cr_assert(fabs(g[0]) < 1e-9, "d/db = %g", g[0]);
        for (int j = 0; j < D; j++)
                cr_assert(fabs(g[j + 1] + l2 * m.w[j]) < 1e-9, "d/dw%d = %g", j,
                          g[j + 1] + l2 * m.w[j]);
        cr_assert(m.w[2] > m.w[0] && m.w[0] > 0);
        cr_assert(m.steps >= 2 && m.steps < 20);
}

Test(logreg, without_a_unique_finite_optimum_it_refuses_to_fit) {
        double sep[] = {-2, -1, 1, 2};
        uint8_t y[] = {0, 0, 1, 1}, one[] = {1, 1, 1, 1};
        struct cw_logreg m;
        char err[256];

        /* Separable rows without a penalty: w would grow without bound. */
        cr_assert_eq(cw_logreg_fit(sep, y, 4, 1, 0, &m, err, sizeof(err)), -1);
        cr_assert(strstr(err, "l2 > 0"), "%s", err);
        /* One class: the intercept would. */
        cr_assert_eq(cw_logreg_fit(sep, one, 4, 1, 1, &m, err, sizeof(err)),
                     -1);
        cr_assert(strstr(err, "both classes"), "%s", err);
        cr_assert_eq(cw_logreg_fit(sep, y, 0, 1, 1, &m, err, sizeof(err)), -1);
        cr_assert_eq(cw_logreg_fit(sep, y, 4, 0, 1, &m, err, sizeof(err)), -1);
        /* The same separable rows with a penalty: a finite fit. */
        cr_assert_eq(cw_logreg_fit(sep, y, 4, 1, 0.1, &m, err, sizeof(err)), 0,
                     "%s", err);
        cr_assert(m.w[0] > 1 && m.w[0] < 100);
}

Test(metrics, auc_counts_ties_as_half) {
        double s[] = {0.1, 0.4, 0.35, 0.8}, t[] = {0.5, 0.5, 0.5};
        uint8_t y[] = {0, 0, 1, 1}, yt[] = {0, 1, 1}, one[] = {1, 1, 1};

        /* Pairs (pos, neg): (0.35, 0.1) (0.35, 0.4) (0.8, 0.1) (0.8, 0.4). */
        cr_assert_eq(cw_metrics_auc(s, y, 4), 0.75);
        cr_assert_eq(cw_metrics_auc(t, yt, 3), 0.5);
        cr_assert(isnan(cw_metrics_auc(t, one, 3)));
}

Test(metrics, precision_and_recall_at_fire_flag_scores_at_or_above_it) {
        double s[] = {0.9, 0.8, 0.7, 0.6, 0.5};
        uint8_t y[] = {1, 0, 1, 1, 0};
        struct cw_flagged r = cw_metrics_at(s, y, 5, 0.7);

        cr_assert_eq(r.flagged, 3);
        cr_assert_eq(r.true_positives, 2);
        cr_assert_eq(r.positives, 3);
        cr_assert_eq(r.precision, 2.0 / 3);
        cr_assert_eq(r.recall, 2.0 / 3);
        r = cw_metrics_at(s, y, 5, 0.95);
        cr_assert_eq(r.flagged, 0);
        cr_assert_eq(r.precision, 0);
}

Test(metrics, the_smallest_fire_reaching_a_precision) {
        /* Precision at fire 0.9: 1, 0.8: 1/2, 0.7: 2/3, 0.6: 3/4, 0.5: 3/5. */
        double s[] = {0.6, 0.9, 0.5, 0.7, 0.8}, fire, best;
        uint8_t y[] = {1, 1, 0, 1, 0};

        cr_assert_eq(cw_metrics_fire_for_precision(s, y, 5, 0.7, &fire, &best),
                     0);
        cr_assert_eq(fire, 0.6);
        cr_assert_eq(best, 0.75);
        cr_assert_eq(cw_metrics_fire_for_precision(s, y, 5, 0.6, &fire, &best),
                     0);
        cr_assert_eq(fire, 0.5);
        cr_assert_eq(cw_metrics_fire_for_precision(s, y, 5, 1, &fire, &best),
                     0);
        cr_assert_eq(fire, 0.9);
}

Test(metrics,
     tied_scores_are_flagged_together_and_an_unreachable_target_fails) {
        double s[] = {0.9, 0.9, 0.4}, fire, best;
        uint8_t y[] = {1, 0, 1};

        /* Fire 0.9 flags both 0.9 rows: precision 1/2, never 1. */
        cr_assert_eq(cw_metrics_fire_for_precision(s, y, 3, 0.9, &fire, &best),
                     -1);
        cr_assert_eq(best, 2.0 / 3);
        cr_assert_eq(fire, 0.4);
}
