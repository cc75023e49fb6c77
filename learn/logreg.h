/*
 * L2-regularised logistic regression, fitted exactly: Newton's method
 * (iteratively reweighted least squares) with a backtracking line search,
 * to convergence. It minimises, over the intercept b (not penalised) and
 * the weights w,
 *
 *     sum_i [ log(1 + exp(z_i)) - y_i z_i ] + l2 / 2 * |w|^2,
 *     z_i = b + w . x_i,
 *
 * which is scikit-learn's LogisticRegression(C = 1 / l2) objective. Each
 * step costs O(n d^2) for the Hessian and O(d^3) to solve it; it takes a
 * handful of steps (quadratic convergence near the optimum). It stops once
 * the Newton decrement is 1e-12 of the objective, after that last step.
 */
#ifndef CW_LOGREG_H
#define CW_LOGREG_H

#include <stddef.h>
#include <stdint.h>

/* The most inputs a model takes (the engine's limit). */
#define CW_LOGREG_MAX_INPUTS 64

struct cw_logreg {
        double intercept;
        double w[CW_LOGREG_MAX_INPUTS];
        int steps;   /* Newton steps taken */
        double loss; /* the objective at the optimum */
};

/*
 * Fits rows x[i * d + j] (no NaN or infinity; 1 <= d <= 64) with labels
 * y[i] in {0, 1}, l2 > 0. Then the optimum exists and is unique as soon
 * as both classes are present. 0, or -1 with a sentence: one class only,
 * l2 <= 0, or (guards that should not fire) a Hessian that rounding made
 * indefinite or steps that do not converge.
 */
int cw_logreg_fit(const double *x, const uint8_t *y, size_t n, int d, double l2,
                  struct cw_logreg *out, char *errstr, size_t errstr_size);

/* The model's probability for row xi: 1 / (1 + exp(-(b + w . xi))). */
double cw_logreg_predict(const struct cw_logreg *m, const double *xi, int d);

#endif
