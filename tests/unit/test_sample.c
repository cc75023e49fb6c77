/* Point-in-time rows (CONTRACT.md section 10, cw_engine_new_sampling). */
#include "engine_helpers.h"

/* The rows an engine handed out, one line each: "t id v0 v1 ...". */
struct rows {
        char lines[256][256];
        int n;
        const char *skip; /* keep() refuses this id */
        int warned_at;    /* rows seen when the last warning came */
};

static void on_row(void *opaque, const char *id, size_t len, int64_t t,
                   const double *v) {
        struct rows *r = opaque;
        size_t pos;
        cr_assert_lt(r->n, 256);
        pos = (size_t)snprintf(r->lines[r->n], 256, "%lld %.*s",
                               (long long)(t / DAY), (int)len, id);
        for (int i = 0; i < 3; i++)
                pos += (size_t)snprintf(r->lines[r->n] + pos, 256 - pos, " %g",
                                        v[i]);
        r->n++;
}

static int keep(void *opaque, const char *id, size_t len, int64_t t) {
        struct rows *r = opaque;
        (void)t;
        return !r->skip || strlen(r->skip) != len || memcmp(r->skip, id, len);
}

static void on_warning(void *opaque, const struct cw_warning *w) {
        struct rows *r = opaque;
        (void)w;
        r->warned_at = r->n;
}

static struct rows rows;
static cw_config_t *cfg;
static cw_engine_t *eng;

/* Three features; the rule reads only the first. */
#define CONFIG                                                                 \
        "features = (\n"                                                       \
        "  { name = \"logins_2d\"; stream = \"login\"; agg = \"count\"; "      \
        "window = \"2d\"; },\n"                                                \
        "  { name = \"spend_5d\"; stream = \"purchase\"; agg = \"sum\"; "      \
        "field = \"amount_cents\"; window = \"5d\"; },\n"                      \
        "  { name = \"since\"; stream = \"purchase\"; agg = "                  \
        "\"days_since_last\"; } );\n"                                          \
        "rules = ( { name = \"r\"; when = \"logins_2d == 0\"; } );\n"          \
        "state_ttl = \"4d\";\n"

static void start(int every, int64_t from, int64_t to) {
        struct cw_engine_sampling s = {every, from, to, keep, on_row, &rows};
        char err[256];
        memset(&rows, 0, sizeof(rows));
        cfg = config_from(CONFIG);
        eng = cw_engine_new_sampling(&cfg->engine, on_warning, &rows, &s, err,
                                     sizeof(err));
        cr_assert_not_null(eng, "%s", err);
}

static void stop(void) {
        cw_engine_destroy(eng);
        cw_config_destroy(cfg);
        eng = NULL;
        cfg = NULL;
}

TestSuite(sampling, .fini = stop);

Test(sampling, rows_at_each_boundary_in_bytewise_order_with_every_feature) {
        start(1, INT64_MIN, INT64_MAX);
        purchase(eng, "b", 10 * DAY + HOUR, 300);
        login(eng, "a", 10 * DAY + 2 * HOUR, 60, 1);
        purchase(eng, "B", 10 * DAY + 3 * HOUR, 50);
        purchase(eng, "a", 11 * DAY + HOUR, 200); /* after day 11's sweep */
        login(eng, "b", 13 * DAY, 60, 1);         /* sweeps 12 and 13 */
        /* 'B' < 'a' < 'b' bytewise; spend and since are read by no alert,
         * and purchase "a" at day 11 is not in day 11's row. */
        cr_assert_eq(rows.n, 9);
        cr_assert_str_eq(rows.lines[0], "11 B 0 50 1");
        cr_assert_str_eq(rows.lines[1], "11 a 1 nan nan");
        cr_assert_str_eq(rows.lines[2], "11 b 0 300 1");
        cr_assert_str_eq(rows.lines[3], "12 B 0 50 2");
        cr_assert_str_eq(rows.lines[4], "12 a 0 200 1");
        cr_assert_str_eq(rows.lines[5], "12 b 0 300 2");
        cr_assert_str_eq(rows.lines[6], "13 B 0 50 3");
        cr_assert_str_eq(rows.lines[7], "13 a 0 200 2");
        cr_assert_str_eq(rows.lines[8], "13 b 0 300 3");
        cr_assert_eq(cw_engine_stats(eng)->rows, 9);
}

Test(sampling, rows_come_after_the_sweeps_evictions_and_warnings) {
        int before;

        start(1, INT64_MIN, INT64_MAX);
        purchase(eng, "old", 1 * DAY, 10);
        login(eng, "a", 3 * DAY, 60, 1);
        purchase(eng, "new", 4 * DAY, 20);
        before = rows.n;
        rows.warned_at = -1;
        cw_engine_advance(eng, 5 * DAY);
        /* At 5, "old" is 4 days idle and evicted (state_ttl); "a" has no
         * login in [4, 5] and its rule fires in the sweep: that warning
         * comes before the rows, which see the boundary as it did. */
        cr_assert_eq(rows.warned_at, before);
        cr_assert_eq(rows.n, before + 2);
        cr_assert_str_eq(rows.lines[before], "5 a 0 nan nan");
        cr_assert_str_eq(rows.lines[before + 1], "5 new 0 20 1");
}

Test(sampling, every_n_days_from_to_and_keep) {
        start(3, 6 * DAY, 12 * DAY);
        rows.skip = "x";
        purchase(eng, "x", 1 * DAY, 10);
        purchase(eng, "y", 1 * DAY, 10);
        for (int d = 2; d <= 14; d++)
                login(eng, "y", d * DAY, 60, 1);
        /* Day boundaries 6, 9 and 12: multiples of 3 within [6, 12]. Each
         * sweep runs before that day's login: one login in the 2 days. */
        cr_assert_eq(rows.n, 3);
        cr_assert_str_eq(rows.lines[0], "6 y 1 nan 5");
        cr_assert_str_eq(rows.lines[1], "9 y 1 nan 8");
        cr_assert_str_eq(rows.lines[2], "12 y 1 nan 11");
}

Test(sampling, a_sample_time_that_keeps_nobody_writes_no_row) {
        start(1, INT64_MIN, INT64_MAX);
        rows.skip = "only";
        purchase(eng, "only", 1 * DAY, 10);
        cw_engine_advance(eng, 3 * DAY);
        cr_assert_eq(rows.n, 0);
        rows.skip = NULL;
        cw_engine_advance(eng, 4 * DAY);
        cr_assert_eq(rows.n, 1);
        cr_assert_str_eq(rows.lines[0], "4 only 0 10 3");
}

static int by_bytes(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(sampling, long_shared_prefixes_and_many_ids_sort_bytewise) {
        static char ids[200][40];
        char *want[200], line[64];

        start(1, INT64_MIN, INT64_MAX);
        /* Ids that share 16 bytes or more, ids that end where another
         * goes on, short ones, in a scrambled order. */
        for (int i = 0; i < 200; i++) {
                int k = (i * 73) % 200;
                if (k % 4 == 0)
                        snprintf(ids[i], 40, "customer-number-%d", k);
                else if (k % 4 == 1)
                        snprintf(ids[i], 40, "customer-number-%d0", k);
                else if (k % 4 == 2)
                        snprintf(ids[i], 40, "%c%d", 'A' + k % 50, k);
                else
                        snprintf(ids[i], 40, "customer-numbe%d", k);
                want[i] = ids[i];
                login(eng, ids[i], 1 * DAY, 60, 1);
        }
        cw_engine_advance(eng, 2 * DAY);
        qsort(want, 200, sizeof(*want), by_bytes);
        cr_assert_eq(rows.n, 200);
        for (int i = 0; i < 200; i++) {
                snprintf(line, sizeof(line), "2 %s 1 nan nan", want[i]);
                cr_assert_str_eq(rows.lines[i], line, "row %d", i);
        }
}

/* Warnings and state with and without sampling. */
static void feed(cw_engine_t *e) {
        for (int d = 0; d < 12; d++) {
                if (d % 3)
                        login(e, "a", d * DAY + HOUR, 60, 1);
                purchase(e, "b", d * DAY + 2 * HOUR, 100 + d);
        }
}

Test(sampling, warnings_are_the_same_and_only_sampling_plans_unread_features) {
        struct recorder with = {0}, without = {0};
        struct cw_engine_sampling s = {1,    INT64_MIN, INT64_MAX,
                                       NULL, on_row,    &rows};
        char err[256];
        cw_engine_t *plain;

        memset(&rows, 0, sizeof(rows));
        cfg = config_from(CONFIG);
        eng = cw_engine_new_sampling(&cfg->engine, record, &with, &s, err,
                                     sizeof(err));
        plain = cw_engine_new(&cfg->engine, record, &without, err, sizeof(err));
        cr_assert(eng && plain, "%s", err);
        feed(eng);
        feed(plain);
        cr_assert_gt(without.n, 2);
        cr_assert_eq(with.n, without.n);
        for (int i = 0; i < with.n; i++)
                cr_assert_str_eq(with.lines[i], without.lines[i]);
        /* The plain engine keeps no purchase buckets or trackers at all. */
        cr_assert_lt(cw_engine_memory(plain), cw_engine_memory(eng));
        cw_engine_destroy(plain);
}
