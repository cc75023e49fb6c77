/* backtest/backtest.c: scoring against churn labels (CONTRACT.md section 7).
 * The population and the warnings are fed by hand; every expected number
 * is worked out in the test from the definitions. */
#include <criterion/criterion.h>

#include "engine_helpers.h"
#include "test_util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backtest/backtest.h"

/* 2026-01-01T00:00:00Z */
#define JAN1 1767225600000LL
#define ALL_FROM INT64_MIN
#define ALL_TO INT64_MAX

/* Two rules and a model: alerts r1 = 0, r2 = 1, m = 2 (rules first). */
#define CONFIG                                                                 \
        "features = ( { name = \"c\"; stream = \"login\"; agg = \"count\"; "   \
        "window = \"3d\"; } );\n"                                              \
        "rules = ( { name = \"r1\"; when = \"c >= 1\"; },\n"                   \
        "          { name = \"r2\"; when = \"c >= 2\"; } );\n"                 \
        "models = ( { name = \"m\"; type = \"logistic\"; intercept = 0.0;\n"   \
        "  inputs = ( { feature = \"c\"; weight = 1.0; } );\n"                 \
        "  fire = 0.8; clear = 0.6; } );\n"

enum { R1 = 0, R2 = 1, M = 2, N_ALERTS = 3 };
/* Rows: r1, r2, m, any, then variants. */
enum { ROW_R1 = 0, ROW_R2 = 1, ROW_M = 2, ROW_ANY = 3, ROW_VARIANT = 4 };

static char dir[64];
static cw_config_t *cfg;
static cw_backtest_t *bt;

static void setup(void) {
        tmpdir_make(dir, "backtest");
        cfg = config_from(CONFIG);
        cr_assert_eq(cfg->engine.n_alerts, N_ALERTS);
        cr_assert_eq(cw_engine_conf_alert(&cfg->engine, "m"), M);
}

static void teardown(void) {
        cw_backtest_destroy(bt);
        bt = NULL;
        cw_config_destroy(cfg);
        tmpdir_remove(dir);
}

TestSuite(backtest, .init = setup, .fini = teardown);

/* ---- helpers ----------------------------------------------------------- */

/* Writes DIR/name with `text`; returns its path (static, one at a time). */
static const char *write_labels(const char *name, const char *text) {
        static char path[256];
        FILE *f;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        cr_assert_not_null(f, "cannot create %s", path);
        fputs(text, f);
        fclose(f);
        return path;
}

/* The scorer over `labels` (CSV text) for warnings in [from, to]. */
static void start(const char *labels, int64_t from, int64_t to) {
        char err[512] = "";
        const char *path = write_labels("labels.csv", labels);
        bt = cw_backtest_new(cfg, path, from, to, err, sizeof(err));
        cr_assert_not_null(bt, "%s", err);
}

/* The error of cw_backtest_new on `labels`, which must fail. */
static void start_fails(const char *labels, char *err, size_t err_size,
                        const char **path) {
        *path = write_labels("bad.csv", labels);
        err[0] = '\0';
        cr_assert_null(
                cw_backtest_new(cfg, *path, ALL_FROM, ALL_TO, err, err_size),
                "labels accepted:\n%s", labels);
        cr_assert_neq(err[0], '\0');
}

static void applied(const char *customer) {
        cr_assert_eq(cw_backtest_applied(bt, customer, strlen(customer)), 0);
}

static void warning(const char *customer, int alert, cw_warning_state_t state,
                    int64_t eval_ts) {
        struct cw_warning w;
        memset(&w, 0, sizeof(w));
        w.customer_id.p = customer;
        w.customer_id.len = strlen(customer);
        w.alert = cfg->engine.alerts[alert].name;
        w.kind = cfg->engine.alerts[alert].kind == CW_ALERT_MODEL
                         ? CW_KIND_MODEL
                         : CW_KIND_RULE;
        w.state = state;
        w.severity = "medium";
        w.eval_ts = eval_ts;
        w.emitted_at = eval_ts;
        w.alert_index = alert;
        cr_assert_eq(cw_backtest_warning(bt, &w), 0);
}

static void firing(const char *customer, int alert, int64_t eval_ts) {
        warning(customer, alert, CW_STATE_FIRING, eval_ts);
}

static struct cw_backtest_row row(int i) {
        struct cw_backtest_row r;
        cr_assert_lt(i, cw_backtest_rows(bt));
        cr_assert_eq(cw_backtest_row(bt, i, &r), 0);
        return r;
}

static void assert_near(double got, double want, const char *what) {
        cr_assert(fabs(got - want) < 1e-9, "%s = %.17g, expected %.17g", what,
                  got, want);
}

/* The counts of a row: warned, true positives, positives. */
static void assert_counts(const struct cw_backtest_row *r, uint64_t warned,
                          uint64_t tp, uint64_t positives) {
        cr_assert_eq(r->warned, warned, "%s/%s: warned %llu, expected %llu",
                     r->alert, r->variant, (unsigned long long)r->warned,
                     (unsigned long long)warned);
        cr_assert_eq(r->true_positives, tp,
                     "%s/%s: true positives %llu, expected %llu", r->alert,
                     r->variant, (unsigned long long)r->true_positives,
                     (unsigned long long)tp);
        cr_assert_eq(r->positives, positives,
                     "%s/%s: positives %llu, expected %llu", r->alert,
                     r->variant, (unsigned long long)r->positives,
                     (unsigned long long)positives);
}

/* ---- labels ------------------------------------------------------------ */

Test(backtest, labels_take_iso_8601_and_epoch_millis) {
        struct cw_backtest_row r;
        /* A and B churn at 2026-01-11T00:00Z (B in epoch millis: JAN1 plus
         * ten days), C half a day later, D at 2026-01-11T06:00 written with
         * a space and +00:00. Every one warned at JAN1. */
        start("customer_id,churned_at\n"
              "A,2026-01-11T00:00:00Z\n"
              "B,1768089600000\n"
              "C,2026-01-11T12:00:00.000Z\n"
              "D,2026-01-11 06:00+00:00\n",
              ALL_FROM, ALL_TO);
        for (const char *c = "ABCD"; *c; c++) {
                char id[2] = {*c, 0};
                applied(id);
                firing(id, R1, JAN1);
        }
        r = row(ROW_R1);
        assert_counts(&r, 4, 4, 4);
        cr_assert(r.has_lead);
        assert_near(r.lead[0], 10.0, "lead A or B");
        assert_near(r.lead[1], 10.0, "lead A or B");
        assert_near(r.lead[2], 10.25, "lead D");
        assert_near(r.lead[3], 10.5, "lead C");
        cw_backtest_row_free(&r);
}

Test(backtest, a_bad_churned_at_names_the_file_and_line) {
        char err[512], want[300];
        const char *path;
        /* Line 3 is blank (skipped, still counted). */
        start_fails("customer_id,churned_at\n"
                    "A,2026-01-11\n"
                    "\n"
                    "B,yesterday\n",
                    err, sizeof(err), &path);
        snprintf(want, sizeof(want), "%s:4: ", path);
        cr_assert_eq(strncmp(err, want, strlen(want)), 0,
                     "'%s' does not start with '%s'", err, want);
}

Test(backtest, a_line_without_a_comma_names_the_file_and_line) {
        char err[512], want[300];
        const char *path;
        start_fails("customer_id,churned_at\nA\n", err, sizeof(err), &path);
        snprintf(want, sizeof(want), "%s:2: ", path);
        cr_assert_eq(strncmp(err, want, strlen(want)), 0,
                     "'%s' does not start with '%s'", err, want);
}

Test(backtest, a_wrong_header_is_an_error_at_line_1) {
        char err[512], want[300];
        const char *path;
        start_fails("customer,churn\nA,2026-01-11\n", err, sizeof(err), &path);
        snprintf(want, sizeof(want), "%s:1: ", path);
        cr_assert_eq(strncmp(err, want, strlen(want)), 0,
                     "'%s' does not start with '%s'", err, want);
}

Test(backtest, an_empty_labels_file_is_an_error_naming_it) {
        char err[512];
        const char *path;
        start_fails("", err, sizeof(err), &path);
        cr_assert_not_null(strstr(err, path), "'%s' names no file", err);
}

Test(backtest, a_label_line_too_long_or_not_text_is_an_error_at_its_line) {
        /* A line is read no further than CW_LABELS_LINE_MAX bytes: one of a
         * gigabyte costs what this one does (tests/cli/edges.py reads a
         * sparse 1 GB file). Before, fgets() cut it into "lines". */
        static char text[8192];
        const char *path;
        char err[512], want[512];

        snprintf(text, sizeof(text), "customer_id,churned_at\nA,");
        memset(text + strlen(text), '9', 5000);
        start_fails(text, err, sizeof(err), &path);
        snprintf(want, sizeof(want),
                 "%s:2: a line longer than 1023 bytes: a label is a "
                 "customer_id (at most 256 bytes), a comma and a time",
                 path);
        cr_assert_str_eq(err, want);
        path = write_labels("nul.csv", "customer_id,churned_at\nA,1\nB");
        {
                FILE *f = fopen(path, "ab");
                fputc(0, f);
                fputs(",2\n", f);
                fclose(f);
        }
        cr_assert_null(
                cw_backtest_new(cfg, path, ALL_FROM, ALL_TO, err, sizeof(err)));
        snprintf(want, sizeof(want), "%s:3: a NUL byte: a label file is text",
                 path);
        cr_assert_str_eq(err, want);
}

Test(backtest, a_label_file_that_is_a_folder_is_an_error_naming_it) {
        char err[512], want[512];

        cr_assert_null(
                cw_backtest_new(cfg, dir, ALL_FROM, ALL_TO, err, sizeof(err)));
        snprintf(want, sizeof(want), "%s: is a folder, not a file", dir);
        cr_assert_str_eq(err, want);
}

/* ---- definitions ------------------------------------------------------- */

Test(backtest, a_customer_warned_after_churning_is_not_a_true_positive) {
        struct cw_backtest_row r;
        start("customer_id,churned_at\nA,2026-01-11\nB,2026-01-11\n", ALL_FROM,
              ALL_TO);
        applied("A");
        applied("B");
        firing("A", R1, JAN1 + 10 * DAY + 1); /* a millisecond late */
        firing("B", R1, JAN1 + 10 * DAY);     /* exactly at churn: in time */
        r = row(ROW_R1);
        assert_counts(&r, 2, 1, 2);
        assert_near(r.precision, 0.5, "precision");
        assert_near(r.recall, 0.5, "recall");
        cr_assert(r.has_lead);
        assert_near(r.lead_p50, 0.0, "lead of B");
        cw_backtest_row_free(&r);
}

Test(backtest, the_first_warning_counts_whatever_order_they_arrive_in) {
        struct cw_backtest_row r;
        start("customer_id,churned_at\nA,2026-01-11\n", ALL_FROM, ALL_TO);
        applied("A");
        firing("A", R1, JAN1 + 12 * DAY); /* after churn */
        firing("A", R1, JAN1 + 8 * DAY);  /* earlier, before churn */
        firing("A", R1, JAN1 + 9 * DAY);
        r = row(ROW_R1);
        assert_counts(&r, 1, 1, 1);
        assert_near(r.lead_p50, 2.0, "lead from the first warning");
        cw_backtest_row_free(&r);
}

Test(backtest, a_labelled_customer_never_applied_is_not_a_positive) {
        struct cw_backtest_row r;
        /* Labelled: A, B, C. Applied: A, C, D (D churns not). Warned: A
         * (before churn) and D. */
        start("customer_id,churned_at\n"
              "A,2026-01-11\nB,2026-01-11\nC,2026-01-11\n",
              ALL_FROM, ALL_TO);
        applied("A");
        applied("C");
        applied("D");
        applied("A"); /* twice: still one customer */
        firing("A", R2, JAN1);
        firing("D", R2, JAN1);
        cr_assert_eq(cw_backtest_population(bt), 3);
        r = row(ROW_R2);
        assert_counts(&r, 2, 1, 2);
        assert_near(r.precision, 1.0 / 2.0, "precision");
        assert_near(r.recall, 1.0 / 2.0, "recall");
        cw_backtest_row_free(&r);
}

Test(backtest, resolved_warnings_do_not_warn) {
        struct cw_backtest_row r;
        start("customer_id,churned_at\nA,2026-01-11\nB,2026-01-11\n", ALL_FROM,
              ALL_TO);
        applied("A");
        applied("B");
        warning("A", R1, CW_STATE_RESOLVED, JAN1 + 1 * DAY);
        warning("B", R1, CW_STATE_RESOLVED, JAN1 + 2 * DAY);
        firing("B", R1, JAN1 + 6 * DAY);
        r = row(ROW_R1);
        /* Only B, and from its FIRING at day 6: 4 days ahead, not 8. */
        assert_counts(&r, 1, 1, 2);
        assert_near(r.lead_p50, 4.0, "lead of B");
        cw_backtest_row_free(&r);
}

Test(backtest, only_warnings_from_from_to_to_inclusive_count) {
        struct cw_backtest_row r;
        const int64_t from = JAN1 + 5 * DAY, to = JAN1 + 10 * DAY;
        start("customer_id,churned_at\nA,2026-01-21\nB,2026-01-21\n"
              "C,2026-01-21\nD,2026-01-21\n",
              from, to);
        for (const char *c = "ABCD"; *c; c++) {
                char id[2] = {*c, 0};
                applied(id);
        }
        firing("A", M, from - 1); /* before the window: not the first */
        firing("A", M, from + 2 * DAY);
        firing("B", M, to + 1); /* after it: B is not warned */
        firing("C", M, from);   /* the edges are inside */
        firing("D", M, to);
        r = row(ROW_M);
        assert_counts(&r, 3, 3, 4);
        /* Churn on day 20: A first on day 7, C on day 5, D on day 10. */
        assert_near(r.lead[0], 10.0, "lead of D");
        assert_near(r.lead[1], 13.0, "lead of A");
        assert_near(r.lead[2], 15.0, "lead of C");
        cw_backtest_row_free(&r);
}

Test(backtest, precision_is_zero_when_nobody_is_warned) {
        struct cw_backtest_row r;
        start("customer_id,churned_at\nA,2026-01-11\n", ALL_FROM, ALL_TO);
        applied("A");
        applied("B");
        firing("A", R1, JAN1); /* r1 only: r2 warns nobody */
        r = row(ROW_R2);
        assert_counts(&r, 0, 0, 1);
        cr_assert_eq(r.precision, 0.0, "precision %g", r.precision);
        cr_assert_eq(r.recall, 0.0, "recall %g", r.recall);
        cr_assert_not(r.has_lead);
        cw_backtest_row_free(&r);
}

/* ---- lead time percentiles (nearest rank) ------------------------------ */

/* n labelled customers c0.. churning at day 100, customer i warned
 * leads[i] days before it, in the order given. */
static struct cw_backtest_row leads_row(const int *leads, int n) {
        char labels[4096] = "customer_id,churned_at\n";
        size_t pos = strlen(labels);
        const int64_t churn = JAN1 + 100 * DAY;

        for (int i = 0; i < n; i++)
                pos += (size_t)snprintf(labels + pos, sizeof(labels) - pos,
                                        "c%d,%lld\n", i, (long long)churn);
        start(labels, ALL_FROM, ALL_TO);
        for (int i = 0; i < n; i++) {
                char id[16];
                snprintf(id, sizeof(id), "c%d", i);
                applied(id);
                firing(id, R1, churn - leads[i] * DAY);
        }
        return row(ROW_R1);
}

Test(backtest, ten_lead_times_give_the_1st_5th_and_9th_as_p10_p50_p90) {
        /* 1..10 days, shuffled. Nearest rank: ceil(0.1 * 10) = 1st,
         * ceil(0.5 * 10) = 5th, ceil(0.9 * 10) = 9th smallest. */
        static const int leads[] = {7, 3, 10, 1, 9, 5, 2, 8, 6, 4};
        struct cw_backtest_row r = leads_row(leads, 10);
        assert_counts(&r, 10, 10, 10);
        assert_near(r.lead_p10, 1.0, "p10");
        assert_near(r.lead_p50, 5.0, "p50");
        assert_near(r.lead_p90, 9.0, "p90");
        for (int i = 0; i < 10; i++)
                assert_near(r.lead[i], (double)(i + 1), "sorted lead");
        cw_backtest_row_free(&r);
}

Test(backtest, seven_lead_times_round_ranks_up) {
        /* 10, 20, ... 70 days. Ranks ceil(0.7) = 1, ceil(3.5) = 4,
         * ceil(6.3) = 7. */
        static const int leads[] = {40, 70, 10, 60, 20, 50, 30};
        struct cw_backtest_row r = leads_row(leads, 7);
        assert_near(r.lead_p10, 10.0, "p10");
        assert_near(r.lead_p50, 40.0, "p50");
        assert_near(r.lead_p90, 70.0, "p90");
        cw_backtest_row_free(&r);
}

Test(backtest, twenty_one_lead_times_take_ranks_3_11_and_19) {
        /* 0..20 days. Ranks ceil(2.1) = 3, ceil(10.5) = 11,
         * ceil(18.9) = 19: the values 2, 10 and 18. */
        int leads[21];
        for (int i = 0; i < 21; i++)
                leads[i] = (i * 8) % 21; /* a permutation of 0..20 */
        struct cw_backtest_row r = leads_row(leads, 21);
        assert_near(r.lead_p10, 2.0, "p10");
        assert_near(r.lead_p50, 10.0, "p50");
        assert_near(r.lead_p90, 18.0, "p90");
        cw_backtest_row_free(&r);
}

/* ---- the any row and sweep variants ------------------------------------ */

Test(backtest, the_any_row_takes_each_customers_first_warning_of_any_alert) {
        struct cw_backtest_row r;
        /* Churn on day 10 for A, B and C; D is labelled but never warned. */
        start("customer_id,churned_at\nA,2026-01-11\nB,2026-01-11\n"
              "C,2026-01-11\nD,2026-01-11\n",
              ALL_FROM, ALL_TO);
        for (const char *c = "ABCDE"; *c; c++) {
                char id[2] = {*c, 0};
                applied(id);
        }
        firing("A", R1, JAN1 + 8 * DAY);
        firing("A", R2, JAN1 + 6 * DAY);  /* A's first of any: day 6 */
        firing("B", M, JAN1 + 9 * DAY);   /* B: the model only */
        firing("C", R2, JAN1 + 11 * DAY); /* C: r2 too late, r1 in time */
        firing("C", R1, JAN1 + 7 * DAY);
        firing("E", R1, JAN1 + 1 * DAY); /* E does not churn */

        r = row(ROW_ANY);
        cr_assert_str_eq(r.alert, "any");
        cr_assert_str_eq(r.variant, "base");
        cr_assert_eq(r.alert_index, -1);
        assert_counts(&r, 4, 3, 4);
        assert_near(r.precision, 3.0 / 4.0, "precision");
        assert_near(r.recall, 3.0 / 4.0, "recall");
        assert_near(r.lead[0], 1.0, "lead of B");
        assert_near(r.lead[1], 3.0, "lead of C");
        assert_near(r.lead[2], 4.0, "lead of A");
        cw_backtest_row_free(&r);

        r = row(ROW_R2); /* A in time, C too late */
        cr_assert_str_eq(r.alert, "r2");
        assert_counts(&r, 2, 1, 4);
        cw_backtest_row_free(&r);
        r = row(ROW_R1); /* A, C and E */
        cr_assert_str_eq(r.alert, "r1");
        assert_counts(&r, 3, 2, 4);
        cw_backtest_row_free(&r);
        r = row(ROW_M);
        cr_assert_str_eq(r.alert, "m");
        assert_counts(&r, 1, 1, 4);
        cw_backtest_row_free(&r);
}

Test(backtest, a_sweep_variant_is_scored_on_its_own_row) {
        struct cw_backtest_row r;
        char err[512] = "";
        int v;

        cr_assert_eq(cw_engine_conf_add_variant(&cfg->engine, M, 0.5, err,
                                                sizeof(err)),
                     0, "%s", err);
        v = N_ALERTS; /* the variant's alert index */
        start("customer_id,churned_at\nA,2026-01-11\nB,2026-01-11\n", ALL_FROM,
              ALL_TO);
        cr_assert_eq(cw_backtest_rows(bt), 5);
        applied("A");
        applied("B");
        applied("C");
        firing("A", M, JAN1 + 2 * DAY);
        firing("A", v, JAN1 + 1 * DAY); /* the variant fires earlier */
        firing("B", v, JAN1 + 3 * DAY); /* and for more customers */
        firing("C", v, JAN1 + 3 * DAY);

        r = row(ROW_VARIANT);
        cr_assert_str_eq(r.alert, "m");
        cr_assert_str_eq(r.variant, "fire=0.5");
        cr_assert_eq(r.alert_index, v);
        cr_assert_eq(r.model, M);
        assert_counts(&r, 3, 2, 2);
        assert_near(r.precision, 2.0 / 3.0, "precision");
        assert_near(r.recall, 1.0, "recall");
        assert_near(r.lead[0], 7.0, "lead of B");
        assert_near(r.lead[1], 9.0, "lead of A");
        cw_backtest_row_free(&r);

        /* The model as written and `any` see none of the variant's. */
        r = row(ROW_M);
        cr_assert_str_eq(r.variant, "base");
        cr_assert_eq(r.model, M);
        assert_counts(&r, 1, 1, 2);
        assert_near(r.lead_p50, 8.0, "lead of A by the model");
        cw_backtest_row_free(&r);
        r = row(ROW_ANY);
        assert_counts(&r, 1, 1, 2);
        cw_backtest_row_free(&r);
}

/* ---- warnings per day -------------------------------------------------- */

Test(backtest, days_count_firing_warnings_per_day_and_alert) {
        const int64_t *days;
        const uint32_t *counts;
        size_t n;
        char err[512] = "";
        const int64_t d0 = JAN1 / DAY; /* day 20454 */
        /* day, alert */
        static const uint32_t want[3][N_ALERTS] = {
                {1, 0, 1}, /* d0 + 1 */
                {0, 0, 1}, /* d0 + 2 */
                {2, 1, 0}, /* d0 + 3 */
        };

        cr_assert_eq(cw_engine_conf_add_variant(&cfg->engine, M, 0.5, err,
                                                sizeof(err)),
                     0, "%s", err);
        start("customer_id,churned_at\n", JAN1, JAN1 + 4 * DAY);
        /* Fed out of day order. */
        firing("A", R1, JAN1 + 3 * DAY);
        firing("B", R1, JAN1 + 3 * DAY + 5 * HOUR);
        firing("A", R2, JAN1 + 4 * DAY - 1); /* the last ms of day d0 + 3 */
        firing("A", M, JAN1 + 1 * DAY);
        firing("A", R1, JAN1 + 2 * DAY - 1); /* the last ms of day d0 + 1 */
        firing("B", M, JAN1 + 2 * DAY);
        /* Not counted: RESOLVED, outside the window, a variant. */
        warning("A", R1, CW_STATE_RESOLVED, JAN1 + 2 * DAY);
        firing("A", R1, JAN1 + 5 * DAY);
        firing("A", R1, JAN1 - 1);
        firing("A", N_ALERTS, JAN1 + 4 * DAY);

        n = cw_backtest_days(bt, &days, &counts);
        cr_assert_eq(n, 3, "%zu days", n);
        for (size_t d = 0; d < 3; d++) {
                cr_assert_eq(days[d], d0 + 1 + (int64_t)d, "day %zu is %lld", d,
                             (long long)days[d]);
                for (int a = 0; a < N_ALERTS; a++)
                        cr_assert_eq(
                                counts[d * N_ALERTS + (size_t)a], want[d][a],
                                "day %zu alert %d: %u, expected %u", d, a,
                                counts[d * N_ALERTS + (size_t)a], want[d][a]);
        }
}

/* ---- the report ---------------------------------------------------- */

Test(backtest, the_report_is_json_that_parses_and_an_html_page) {
        char err[512] = "", path[256], cmd[1024], want[300];
        char *json;
        struct stat st;

        start("customer_id,churned_at\nA,2026-01-11\nB,2026-01-11\n", ALL_FROM,
              ALL_TO);
        applied("A");
        applied("B");
        applied("C");
        firing("A", R1, JAN1 + 1 * DAY);
        firing("C", R1, JAN1);

        snprintf(path, sizeof(path), "%s/report", dir);
        cr_assert_eq(cw_backtest_write(bt, path, err, sizeof(err)), 0, "%s",
                     err);
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 -c 'import json, sys; "
                 "rows = json.load(open(sys.argv[1]))[\"rows\"]; "
                 "sys.exit(0 if [r[\"alert\"] for r in rows] == "
                 "[\"r1\", \"r2\", \"m\", \"any\"] else 1)' %s/report.json",
                 path);
        cr_assert_eq(system(cmd), 0, "report.json does not parse as rows");

        snprintf(want, sizeof(want), "%s/report.json", path);
        json = slurp(want, NULL);
        /* r1: A and C warned, A a true positive of two positives. */
        cr_assert_not_null(strstr(json, "{\"alert\": \"r1\", \"variant\": "
                                        "\"base\", \"warned\": 2, "
                                        "\"true_positives\": 1, "
                                        "\"positives\": 2, \"precision\": "
                                        "0.5, \"recall\": 0.5"),
                           "%s", json);
        /* r2 warned nobody: no lead times. */
        cr_assert_not_null(strstr(json, "\"p10\": null"), "%s", json);
        /* A's lead: nine days. */
        cr_assert_not_null(strstr(json, "{\"p10\": 9, \"p50\": 9, "
                                        "\"p90\": 9}"),
                           "%s", json);
        free(json);

        snprintf(want, sizeof(want), "%s/report.html", path);
        cr_assert_eq(stat(want, &st), 0, "no %s", want);
        cr_assert_gt(st.st_size, 0);
}

Test(backtest, a_report_into_a_file_that_is_no_folder_fails) {
        char err[512] = "", path[256];
        start("customer_id,churned_at\n", ALL_FROM, ALL_TO);
        snprintf(path, sizeof(path), "%s/labels.csv", dir); /* a file */
        cr_assert_eq(cw_backtest_write(bt, path, err, sizeof(err)), -1);
        cr_assert_not_null(strstr(err, path), "'%s' names no folder", err);
}
