#include "logreg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define MAX_STEPS 100
#define P (CW_LOGREG_MAX_INPUTS + 1) /* parameters: intercept, weights */

/* log(1 + exp(z)) without overflow. */
static double softplus(double z) {
        return (z > 0 ? z : 0) + log1p(exp(-fabs(z)));
}

static double margin(const double *beta, const double *xi, int d) {
        double z = beta[0];
        for (int j = 0; j < d; j++)
                z += beta[j + 1] * xi[j];
        return z;
}

/* The objective at beta (beta[0] the intercept). Sums over rows run in
 * long double: with millions of rows, double sums would carry rounding
 * noise larger than the last steps' progress. */
static double objective(const double *x, const uint8_t *y, size_t n, int d,
                        double l2, const double *beta) {
        long double f = 0;
        double r = 0;
        for (size_t i = 0; i < n; i++) {
                double z = margin(beta, x + i * (size_t)d, d);
                f += softplus(z) - (y[i] ? z : 0);
        }
        for (int j = 1; j <= d; j++)
                r += beta[j] * beta[j];
        return (double)(f + l2 / 2 * r);
}

/* The gradient g and Hessian h (k x k, k = d + 1, lower triangle filled
 * then mirrored) at beta. The gradient decides where the fit stops, so it
 * is summed in long double (the Hessian only how fast it gets there). */
static void derivatives(const double *x, const uint8_t *y, size_t n, int d,
                        double l2, const double *beta, double *g, double *h) {
        int k = d + 1;
        double xi1[P];
        long double gl[P] = {0};

        memset(h, 0, (size_t)k * (size_t)k * sizeof(*h));
        xi1[0] = 1;
        for (size_t i = 0; i < n; i++) {
                double z, p, wt;
                memcpy(xi1 + 1, x + i * (size_t)d, (size_t)d * sizeof(double));
                z = margin(beta, xi1 + 1, d);
                p = 1 / (1 + exp(-z));
                wt = p * (1 - p);
                for (int a = 0; a < k; a++) {
                        gl[a] += (p - y[i]) * xi1[a];
                        for (int b = 0; b <= a; b++)
                                h[a * k + b] += wt * xi1[a] * xi1[b];
                }
        }
        for (int a = 0; a < k; a++)
                g[a] = (double)(gl[a] + (a ? l2 * beta[a] : 0));
        for (int a = 1; a < k; a++)
                h[a * k + a] += l2;
        for (int a = 0; a < k; a++)
                for (int b = a + 1; b < k; b++)
                        h[a * k + b] = h[b * k + a];
}

/* Solves h s = g by Cholesky (h is overwritten); -1 when h is not
 * positive definite. */
static int solve(double *h, const double *g, double *s, int k) {
        for (int j = 0; j < k; j++) {
                double v = h[j * k + j];
                for (int m = 0; m < j; m++)
                        v -= h[j * k + m] * h[j * k + m];
                if (!(v > 1e-14 * (1 + fabs(h[j * k + j]))))
                        return -1;
                h[j * k + j] = sqrt(v);
                for (int i = j + 1; i < k; i++) {
                        double u = h[i * k + j];
                        for (int m = 0; m < j; m++)
                                u -= h[i * k + m] * h[j * k + m];
                        h[i * k + j] = u / h[j * k + j];
                }
        }
        for (int i = 0; i < k; i++) { /* L u = g */
                double v = g[i];
                for (int m = 0; m < i; m++)
                        v -= h[i * k + m] * s[m];
                s[i] = v / h[i * k + i];
        }
        for (int i = k - 1; i >= 0; i--) { /* L' s = u */
                double v = s[i];
                for (int m = i + 1; m < k; m++)
                        v -= h[m * k + i] * s[m];
                s[i] = v / h[i * k + i];
        }
        return 0;
}

/* beta - t * s for the largest t in 1, 1/2, 1/4, ... that lowers the
 * objective f enough (Armijo) into beta and *f; 0 when none does. */
static int line_search(const double *x, const uint8_t *y, size_t n, int d,
                       double l2, double *beta, const double *s, double *f,
                       double decrement) {
        double next[P];
        int k = d + 1;

        for (double t = 1; t > 1e-10; t /= 2) {
                double fn;
                for (int a = 0; a < k; a++)
                        next[a] = beta[a] - t * s[a];
                fn = objective(x, y, n, d, l2, next);
                if (fn <= *f - 1e-4 * t * decrement) {
                        memcpy(beta, next, (size_t)k * sizeof(*beta));
                        *f = fn;
                        return 1;
                }
        }
        return 0;
}

int cw_logreg_fit(const double *x, const uint8_t *y, size_t n, int d, double l2,
                  struct cw_logreg *out, char *errstr, size_t errstr_size) {
        double beta[P] = {0}, g[P], s[P], *h, f, pos = 0;
        int k = d + 1, step;

        for (size_t i = 0; i < n; i++)
                pos += y[i];
        /* With both classes and l2 > 0 the objective is strictly convex
         * and grows without bound in every direction: one finite optimum.
         * With one class the intercept, with l2 = 0 and separable rows
         * the weights, would run off to infinity. */
        if (d < 1 || d > CW_LOGREG_MAX_INPUTS || !(l2 > 0) || pos == 0 ||
            pos == (double)n) {
                snprintf(errstr, errstr_size,
                         "nothing to fit: %zu rows (%.0f positive), %d "
                         "inputs, l2 = %g; a fit needs both classes, 1 to "
                         "%d inputs and l2 > 0",
                         n, pos, d, l2, CW_LOGREG_MAX_INPUTS);
                return -1;
        }
        if (!(h = malloc((size_t)k * (size_t)k * sizeof(*h)))) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        /* Start from the base rate: the optimum with every weight 0. */
        beta[0] = log(pos / ((double)n - pos));
        f = objective(x, y, n, d, l2, beta);
        for (step = 0; step < MAX_STEPS; step++) {
                double dec = 0;
                derivatives(x, y, n, d, l2, beta, g, h);
                if (solve(h, g, s, k)) {
                        snprintf(errstr, errstr_size,
                                 "the Hessian is not positive definite in "
                                 "floating point (step %d): raise --l2 or "
                                 "leave out inputs that copy others",
                                 step);
                        free(h);
                        return -1;
                }
                for (int a = 0; a < k; a++)
                        dec += g[a] * s[a];
                cw_debug("logreg: step %d: objective %.17g, Newton decrement "
                         "%.3g",
                         step, f, dec);
                /* The Newton decrement: f is within about dec / 2 of its
                 * minimum. Once that is 1e-12 of f, the full Newton step
                 * lands on the optimum to rounding (convergence is
                 * quadratic): take it and stop. */
                if (dec / 2 <= 1e-12 * (1 + fabs(f))) {
                        for (int a = 0; a < k; a++)
                                beta[a] -= s[a];
                        f = objective(x, y, n, d, l2, beta);
                        break;
                }
                if (!line_search(x, y, n, d, l2, beta, s, &f, dec)) {
                        step = MAX_STEPS; /* no step lowers f: stuck */
                        break;
                }
        }
        free(h);
        if (step == MAX_STEPS) {
                snprintf(errstr, errstr_size,
                         "the fit did not converge in %d Newton steps: "
                         "raise --l2",
                         MAX_STEPS);
                return -1;
        }
        out->intercept = beta[0];
        for (int j = 0; j < d; j++)
                out->w[j] = beta[j + 1];
        out->steps = step;
        out->loss = f;
        return 0;
}

double cw_logreg_predict(const struct cw_logreg *m, const double *xi, int d) {
        double z = m->intercept;
        for (int j = 0; j < d; j++)
                z += m->w[j] * xi[j];
        return 1 / (1 + exp(-z));
}
