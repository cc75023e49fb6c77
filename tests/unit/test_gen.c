#include <criterion/criterion.h>

#include "test_util.h"
#include <ftw.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devtools/gen.h"
#include "schemas/decode.h"
#include "schemas/encode.h"

#define CONFIG CW_SOURCE_DIR "/tests/data/configs/good/contract.cfg"
#define DAY_MS 86400000LL
/* 2026-01-01T00:00:00Z, gen's default start. */
#define START_2026 1767225600000LL

static const char *const files[CW_STREAM_COUNT] = {
        "purchases.avro", "logins.avro", "tickets.avro", "surveys.avro"};

static cw_schemas_t *schemas;
static char dir[64];

static void setup(void) {
        schemas = schemas_or_fail();
        tmpdir_make(dir, "gen");
}

static void teardown(void) {
        tmpdir_remove(dir);
        cw_schemas_destroy(schemas);
}

TestSuite(gen_files, .init = setup, .fini = teardown);
TestSuite(gen_command, .init = setup, .fini = teardown);
TestSuite(population);

/* ---- the command and its files ------------------------------------- */

/* The churnwatch binary: built next to this test. */
static const char *churnwatch(void) {
        static char path[4096];
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        cr_assert_gt(n, 0);
        self[n] = '\0';
        snprintf(path, sizeof(path), "%s/churnwatch", dirname(self));
        cr_assert_eq(access(path, X_OK), 0, "%s is not built", path);
        return path;
}

/* Runs churnwatch with `args`; its exit code, stderr in dir/stderr. */
static int run(const char *args) {
        char cmd[8192];
        int st;
        snprintf(cmd, sizeof(cmd), "%s %s >%s/stdout 2>%s/stderr", churnwatch(),
                 args, dir, dir);
        st = system(cmd);
        cr_assert(WIFEXITED(st), "%s did not exit", cmd);
        return WEXITSTATUS(st);
}

/* Generates a small population into dir/name. */
static void gen_into(const char *name, const char *more) {
        char args[4096];
        snprintf(args, sizeof(args),
                 "gen -c %s --customers 300 --days 40 %s --output-dir %s/%s",
                 CONFIG, more, dir, name);
        cr_assert_eq(run(args), 0, "gen %s failed", more);
}

static int same_file(const char *a, const char *b) {
        char pa[256], pb[256];
        size_t la, lb;
        char *x, *y;
        int same;
        snprintf(pa, sizeof(pa), "%s/%s", dir, a);
        snprintf(pb, sizeof(pb), "%s/%s", dir, b);
        x = slurp(pa, &la);
        y = slurp(pb, &lb);
        same = la == lb && memcmp(x, y, la) == 0;
        free(x);
        free(y);
        return same;
}

Test(gen_files, the_same_seed_gives_byte_identical_files) {
        char a[64], b[64];
        gen_into("a", "--seed 7");
        gen_into("b", "--seed 7");
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                snprintf(a, sizeof(a), "a/%s", files[s]);
                snprintf(b, sizeof(b), "b/%s", files[s]);
                cr_assert(same_file(a, b), "%s differs", files[s]);
        }
}

Test(gen_files, a_different_seed_gives_different_files) {
        char a[64], b[64];
        gen_into("a", "--seed 7");
        gen_into("b", "--seed 8");
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                snprintf(a, sizeof(a), "a/%s", files[s]);
                snprintf(b, sizeof(b), "b/%s", files[s]);
                cr_assert(!same_file(a, b), "%s is the same", files[s]);
        }
}

/* Reads dir/name/FILE through and checks stream, order and range. */
static long long check_file(const char *name, int s, int64_t from, int64_t to) {
        char path[256], err[512] = "";
        struct cw_event ev;
        cw_avro_input_t *in;
        int64_t last = from;
        long long n = 0;
        int r;

        snprintf(path, sizeof(path), "%s/%s/%s", dir, name, files[s]);
        in = cw_avro_input_open(path, schemas, err, sizeof(err));
        cr_assert_not_null(in, "%s", err);
        cr_assert_eq(cw_avro_input_stream(in), (cw_stream_t)s);
        while ((r = cw_avro_input_next(in, &ev, err, sizeof(err))) == 1) {
                cr_assert_geq(ev.ts, last, "%s: record %lld goes back in time",
                              path, n);
                cr_assert_lt(ev.ts, to, "%s: record %lld is after the period",
                             path, n);
                cr_assert_eq(strncmp(ev.customer_id.p, "cust-", 5), 0);
                last = ev.ts;
                n++;
        }
        cr_assert_eq(r, 0, "%s", err);
        cw_avro_input_close(in);
        return n;
}

Test(gen_files, every_file_decodes_as_its_stream_in_ascending_ts_order) {
        int64_t from = 1780000000000LL;
        gen_into("a", "--start 1780000000000");
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                cr_assert_gt(check_file("a", s, from, from + 40 * DAY_MS), 0,
                             "%s is empty", files[s]);
}

/* The labels file as lines; returns how many. */
static int read_lines(const char *path, char lines[][64], int max) {
        FILE *f = fopen(path, "r");
        int n = 0;
        cr_assert_not_null(f, "no %s", path);
        while (n < max && fgets(lines[n], 64, f))
                n++;
        cr_assert(feof(f), "%s has more than %d lines", path, max);
        fclose(f);
        return n;
}

Test(gen_command, labels_have_the_header_and_sorted_rows_inside_the_period) {
        static char lines[2000][64];
        char args[1024], path[256];
        int n;

        snprintf(path, sizeof(path), "%s/labels.csv", dir);
        snprintf(args, sizeof(args),
                 "gen -c %s --customers 1000 --days 120 --labels %s "
                 "--output-dir %s/out",
                 CONFIG, path, dir);
        cr_assert_eq(run(args), 0);
        n = read_lines(path, lines, 2000);
        cr_assert_str_eq(lines[0], "customer_id,churned_at\n");
        /* About 15% + 10% + 7% of customers churn inside 120 days. */
        cr_assert(n - 1 > 200 && n - 1 < 450, "%d churners", n - 1);
        for (int i = 1; i < n; i++) {
                char *comma = strchr(lines[i], ',');
                long long at;
                cr_assert_not_null(comma, "line %d: %s", i + 1, lines[i]);
                cr_assert_eq(comma - lines[i], 12, "line %d: %s", i + 1,
                             lines[i]);
                at = strtoll(comma + 1, NULL, 10);
                cr_assert(at >= START_2026 && at < START_2026 + 120 * DAY_MS,
                          "line %d: %s", i + 1, lines[i]);
                if (i > 1)
                        cr_assert_lt(strcmp(lines[i - 1], lines[i]), 0,
                                     "line %d is out of order", i + 1);
        }
}

Test(gen_command, without_output_dir_it_needs_a_kafka_bootstrap) {
        char args[512], *text;
        size_t len;

        /* The contract example names a broker; this config names none. */
        snprintf(args, sizeof(args), "%s/nokafka.cfg", dir);
        FILE *f = fopen(args, "w");
        cr_assert_not_null(f);
        fputs("features = ( { name = \"n\"; stream = \"login\"; "
              "agg = \"count\"; window = \"7d\"; } );\n",
              f);
        fclose(f);
        snprintf(args, sizeof(args), "gen -c %s/nokafka.cfg --customers 5",
                 dir);
        cr_assert_eq(run(args), 1);
        snprintf(args, sizeof(args), "%s/stderr", dir);
        text = slurp(args, &len);
        cr_assert_not_null(strstr(text, "without --output-dir events go to "
                                        "Kafka: set kafka.bootstrap_servers"),
                           "%s", text);
        free(text);
        cr_assert_eq(run("gen --help"), 0);
}

Test(gen_command, bad_numbers_are_usage_errors_and_a_bad_config_fails) {
        char args[512];

        snprintf(args, sizeof(args), "gen -c %s --customers 0 -o %s/x", CONFIG,
                 dir);
        cr_assert_eq(run(args), 2);
        snprintf(args, sizeof(args), "gen -c %s --days 12x -o %s/x", CONFIG,
                 dir);
        cr_assert_eq(run(args), 2);
        snprintf(args, sizeof(args), "gen -c %s --seed -1 -o %s/x", CONFIG,
                 dir);
        cr_assert_eq(run(args), 2);
        snprintf(args, sizeof(args),
                 "gen -c %s/tests/data/configs/bad/unknown_stream.cfg -o %s/x",
                 CW_SOURCE_DIR, dir);
        cr_assert_eq(run(args), 1);
        snprintf(args, sizeof(args), "%s/x", dir);
        cr_assert_eq(access(args, F_OK), -1, "%s was created", args);
}

/* ---- the population ------------------------------------------------ */

/* What the population tests learn from every event of a run. */
struct seen {
        const cw_gen_t *g;
        int64_t *last_ts; /* per customer */
        char *complaint;  /* per customer: a complaint ticket OPENED */
        unsigned long long n[CW_STREAM_COUNT];
        int64_t prev_ts;
        int prev_stream;
        int disorder; /* events out of processing order */
        int bad_id;   /* an event id out of sequence */
};

static int customer_of(const struct cw_event *ev) {
        return atoi(ev->customer_id.p + 5);
}

static int observe(void *opaque, const struct cw_event *ev) {
        static const char prefix[] = "plts";
        struct seen *s = opaque;
        int c = customer_of(ev);
        char want[32];

        if (ev->ts < s->prev_ts ||
            (ev->ts == s->prev_ts && (int)ev->stream < s->prev_stream))
                s->disorder++;
        s->prev_ts = ev->ts;
        s->prev_stream = (int)ev->stream;
        snprintf(want, sizeof(want), "%c-%llu", prefix[ev->stream],
                 ++s->n[ev->stream]);
        if (ev->str[0].len != strlen(want) ||
            memcmp(ev->str[0].p, want, ev->str[0].len))
                s->bad_id++;
        if (ev->ts > s->last_ts[c])
                s->last_ts[c] = ev->ts;
        if (ev->stream == CW_STREAM_TICKET && ev->num[4] == 0 &&
            ev->str[5].len == 9 && !memcmp(ev->str[5].p, "complaint", 9))
                s->complaint[c] = 1;
        return 0;
}

static cw_gen_t *run_population(int customers, int days, uint64_t seed,
                                struct seen *s) {
        struct cw_gen_params p = {seed, customers, days, START_2026};
        char err[256] = "";
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));

        cr_assert_not_null(g, "%s", err);
        memset(s, 0, sizeof(*s));
        s->g = g;
        s->last_ts = calloc((size_t)customers, sizeof(*s->last_ts));
        s->complaint = calloc((size_t)customers, 1);
        for (int d = 0; d < days; d++)
                cr_assert_eq(cw_gen_day(g, observe, s, err, sizeof(err)), 0,
                             "%s", err);
        cr_assert_eq(cw_gen_day(g, observe, s, err, sizeof(err)), -1,
                     "a day past the period");
        return g;
}

static void done(cw_gen_t *g, struct seen *s) {
        free(s->last_ts);
        free(s->complaint);
        cw_gen_destroy(g);
}

Test(population, archetype_shares_are_within_two_points_on_5000_customers) {
        static const double share[CW_ARCH_COUNT] = {0.55, 0.15, 0.10, 0.10,
                                                    0.10};
        struct cw_gen_params p = {1, 5000, 120, START_2026};
        char err[256] = "";
        int count[CW_ARCH_COUNT] = {0};
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));

        cr_assert_not_null(g, "%s", err);
        for (int c = 0; c < 5000; c++)
                count[cw_gen_archetype(g, c)]++;
        for (int a = 0; a < CW_ARCH_COUNT; a++)
                cr_assert(fabs(count[a] / 5000.0 - share[a]) < 0.02,
                          "%s: %d of 5000", cw_archetype_names[a], count[a]);
        cw_gen_destroy(g);
}

Test(population, events_come_in_processing_order_with_sequential_ids) {
        struct seen s;
        cw_gen_t *g = run_population(2000, 30, 3, &s);
        cr_assert_eq(s.disorder, 0);
        cr_assert_eq(s.bad_id, 0);
        for (int st = 0; st < CW_STREAM_COUNT; st++) {
                cr_assert_eq(s.n[st], cw_gen_events(g, (cw_stream_t)st));
                cr_assert_gt(s.n[st], 0, "no %s events", cw_streams[st].name);
        }
        done(g, &s);
}

Test(population, churners_have_no_events_at_or_after_churned_at) {
        struct seen s;
        cw_gen_t *g = run_population(5000, 120, 5, &s);
        int abrupt = 0, active_before = 0;
        int64_t at;

        for (int c = 0; c < 5000; c++) {
                if (!cw_gen_churned_at(g, c, &at))
                        continue;
                cr_assert_lt(s.last_ts[c], at, "customer %d", c);
                if (cw_gen_archetype(g, c) == CW_ARCH_ABRUPT) {
                        abrupt++;
                        active_before += s.last_ts[c] != 0;
                }
        }
        /* Every abrupt churner churns inside the period, most after some
         * activity. */
        cr_assert(abrupt > 400 && active_before > 0.9 * abrupt, "%d, %d",
                  abrupt, active_before);
        done(g, &s);
}

Test(population, complainers_open_complaint_tickets_and_most_churn) {
        struct seen s;
        cw_gen_t *g = run_population(5000, 120, 9, &s);
        int complainers = 0, churned = 0, others = 0, others_complained = 0;
        int64_t at;

        for (int c = 0; c < 5000; c++) {
                if (cw_gen_archetype(g, c) != CW_ARCH_COMPLAINING) {
                        others++;
                        others_complained += s.complaint[c];
                        continue;
                }
                complainers++;
                cr_assert(s.complaint[c], "complainer %d never complained", c);
                churned += cw_gen_churned_at(g, c, &at);
        }
        cr_assert(churned > 0.6 * complainers && churned < 0.8 * complainers,
                  "%d of %d complainers churned", churned, complainers);
        /* Complaints are rare among the others. */
        cr_assert_lt(others_complained, 0.05 * others);
        done(g, &s);
}

Test(population, steady_customers_never_churn_and_late_joiners_start_late) {
        struct cw_gen_params p = {11, 3000, 120, START_2026};
        char err[256] = "";
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));
        int64_t at;

        cr_assert_not_null(g, "%s", err);
        for (int c = 0; c < 3000; c++) {
                cw_archetype_t a = cw_gen_archetype(g, c);
                if (a == CW_ARCH_STEADY || a == CW_ARCH_LATE_JOINER)
                        cr_assert(!cw_gen_churned_at(g, c, &at), "%d", c);
        }
        cw_gen_destroy(g);
}

Test(population, customer_ids_are_zero_padded_to_seven_digits) {
        struct cw_gen_params p = {1, 100, 1, 0};
        char err[256] = "", id[CW_GEN_ID_MAX];
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));

        cr_assert_not_null(g, "%s", err);
        cr_assert_eq(cw_gen_customer_id(g, 42, id), 12);
        cr_assert_str_eq(id, "cust-0000042");
        cw_gen_destroy(g);
}

Test(population, parameters_out_of_range_are_refused_with_a_sentence) {
        struct cw_gen_params p = {1, 0, 10, 0};
        char err[256] = "";

        cr_assert_null(cw_gen_new(&p, err, sizeof(err)));
        cr_assert_not_null(strstr(err, "customers"), "%s", err);
        p.customers = 10;
        p.days = 0;
        cr_assert_null(cw_gen_new(&p, err, sizeof(err)));
        cr_assert_not_null(strstr(err, "days"), "%s", err);
        p.days = 10;
        p.start_ms = -1;
        cr_assert_null(cw_gen_new(&p, err, sizeof(err)));
        cr_assert_not_null(strstr(err, "start"), "%s", err);
        cw_gen_destroy(NULL);
}
