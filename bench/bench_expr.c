/*
 * How long one cw_expr_eval takes, for a typical rule condition and for a
 * logistic-model-like linear score.
 *
 * Each expression runs over 1024 precomputed input rows (some with NaN, as
 * missing features are) so that branches are not perfectly predicted, and
 * every result is added into a volatile sink so no call can be dropped.
 * Prints the median of 5 runs, in ns/eval and evals/s.
 *
 *   build/bench_expr [evals_per_run]     (default 50000000)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "features/expr.h"

#define BENCH_ROWS 1024 /* power of two: the row is i & (BENCH_ROWS - 1) */
#define BENCH_RUNS 5

static const char *const bench_names[] = {"purchases_30d", "purchases_90d",
                                          "nps_last", "days_since_purchase"};
#define BENCH_VARS 4

static const char *const bench_exprs[] = {
        "purchases_90d >= 3 && purchases_30d / (purchases_90d / 3) < 0.5",
        "-2.0 + -0.35 * log1p(purchases_30d) + -0.25 * coalesce(nps_last, 7) + "
        "0.03 * min(max(days_since_purchase, 0), 365)",
};

static int bench_lookup(void *opaque, const char *name, size_t len,
                        struct cw_expr_var *out) {
        (void)opaque;
        for (int i = 0; i < BENCH_VARS; i++)
                if (strlen(bench_names[i]) == len &&
                    !memcmp(bench_names[i], name, len)) {
                        *out = (struct cw_expr_var){CW_EXPR_VAR_NUM, i, NULL};
                        return 0;
                }
        return -1;
}

static double now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

/* Deterministic inputs, so that every run of the benchmark sees the same. */
static void fill_rows(double *rows) {
        uint32_t x = 12345;
        for (int r = 0; r < BENCH_ROWS; r++) {
                double *v = rows + r * BENCH_VARS;
                x = x * 1103515245u + 12345u;
                v[1] = (double)((x >> 8) % 12); /* purchases_90d */
                v[0] = (double)((x >> 16) % 5); /* purchases_30d */
                v[2] = (x >> 20) % 3 ? (double)((x >> 24) % 11) : NAN;
                v[3] = (x >> 4) % 7 ? (double)((x >> 12) % 400) : NAN;
        }
}

int main(int argc, char **argv) {
        static double rows[BENCH_ROWS * BENCH_VARS];
        const struct cw_expr_scope scope = {"feature", bench_lookup, NULL};
        long evals = argc > 1 ? atol(argv[1]) : 50000000L;
        volatile double sink = 0;
        char err[256];

        if (evals <= 0) {
                fprintf(stderr, "usage: %s [evals_per_run]\n", argv[0]);
                return 2;
        }
        fill_rows(rows);
        printf("# reproduce: gcc -std=c11 -D_GNU_SOURCE -O2 -Ifeatures "
               "features/expr.c bench/bench_expr.c -lm -o bench_expr && "
               "./bench_expr %ld\n",
               evals);
        printf("# (or: cmake --build build --target bench_expr && "
               "build/bench_expr %ld)\n",
               evals);
        for (size_t x = 0; x < sizeof(bench_exprs) / sizeof(bench_exprs[0]);
             x++) {
                cw_expr_t *e = cw_expr_compile(bench_exprs[x], &scope, err,
                                               sizeof(err));
                double ns[BENCH_RUNS];

                if (!e) {
                        fprintf(stderr, "%s: %s\n", bench_exprs[x], err);
                        return 1;
                }
                sink = 0;
                for (int run = 0; run < BENCH_RUNS; run++) {
                        double t0 = now_ns();
                        for (long i = 0; i < evals; i++) {
                                const double *row =
                                        rows +
                                        (i & (BENCH_ROWS - 1)) * BENCH_VARS;
                                sink += cw_expr_eval(e, row, NULL);
                        }
                        ns[run] = (now_ns() - t0) / (double)evals;
                }
                qsort(ns, BENCH_RUNS, sizeof(ns[0]), cmp_double);
                /* The mean result doubles as a check that every run
                 * computed the same thing. */
                printf("%8.2f ns/eval %12.0f evals/s  (median of %d runs x "
                       "%ld, mean result %.4f)  %s\n",
                       ns[BENCH_RUNS / 2], 1e9 / ns[BENCH_RUNS / 2], BENCH_RUNS,
                       evals, sink / ((double)evals * BENCH_RUNS),
                       bench_exprs[x]);
                cw_expr_destroy(e);
        }
        return 0;
}
