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
TestSuite(rich);

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

/* Whether each of the four files of dir/x equals (same != 0) or differs
 * from (same == 0) its namesake in dir/y. */
static void compare_folders(const char *x, const char *y, int same) {
        char a[64], b[64];
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                snprintf(a, sizeof(a), "%s/%s", x, files[s]);
                snprintf(b, sizeof(b), "%s/%s", y, files[s]);
                cr_assert(same_file(a, b) == same, "%s: %s %s %s", files[s], x,
                          same ? "differs from" : "is the same as", y);
        }
}

Test(gen_files, the_same_seed_gives_byte_identical_files) {
        gen_into("a", "--seed 7");
        gen_into("b", "--seed 7");
        compare_folders("a", "b", 1);
}

Test(gen_files, the_same_seed_gives_byte_identical_rich_files) {
        gen_into("a", "--seed 7 --scenario rich");
        gen_into("b", "--seed 7 --scenario rich");
        gen_into("c", "--seed 7");
        compare_folders("a", "b", 1);
        compare_folders("a", "c", 0);
}

Test(gen_files, a_different_seed_gives_different_files) {
        gen_into("a", "--seed 7");
        gen_into("b", "--seed 8");
        compare_folders("a", "b", 0);
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

/* The partition (of 3) of every customer in folder dir/name/P's file of
 * stream s: must be P. Counts the records into *n. Partitions of a few ids
 * under Kafka's murmur2 (kafka-python's, as Java clients partition), for
 * an independent check; every other customer must stay in one folder. */
static void check_partition(const char *name, int part, int s, long long *n,
                            int seen[300]) {
        static const struct {
                int customer, partition;
        } known[] = {{0, 2}, {1, 1}, {2, 2}, {7, 0}, {299, 1}};
        char path[256], err[512] = "";
        struct cw_event ev;
        cw_avro_input_t *in;
        int r, c;

        snprintf(path, sizeof(path), "%s/%s/%d/%s", dir, name, part, files[s]);
        in = cw_avro_input_open(path, schemas, err, sizeof(err));
        cr_assert_not_null(in, "%s", err);
        while ((r = cw_avro_input_next(in, &ev, err, sizeof(err))) == 1) {
                c = atoi(ev.customer_id.p + 5);
                cr_assert(c >= 0 && c < 300);
                cr_assert(seen[c] < 0 || seen[c] == part,
                          "%.*s is in folders %d and %d",
                          (int)ev.customer_id.len, ev.customer_id.p, seen[c],
                          part);
                seen[c] = part;
                for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
                        cr_assert(known[i].customer != c ||
                                          known[i].partition == part,
                                  "%s: customer %d in partition %d, murmur2 "
                                  "says %d",
                                  path, c, part, known[i].partition);
                ++*n;
        }
        cr_assert_eq(r, 0, "%s", err);
        cw_avro_input_close(in);
}

Test(gen_files, partitions_split_the_events_by_murmur2_of_the_customer_id) {
        int seen[300];
        long long n[CW_STREAM_COUNT] = {0};

        memset(seen, 0xff, sizeof(seen));
        gen_into("all", "--seed 7");
        gen_into("parts", "--seed 7 --partitions 3");
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                for (int p = 0; p < 3; p++)
                        check_partition("parts", p, s, &n[s], seen);
                cr_assert_eq(n[s],
                             check_file("all", s, START_2026,
                                        START_2026 + 40 * DAY_MS),
                             "%s: the partitions hold %lld events, not all",
                             files[s], n[s]);
        }
        for (int c = 0; c < 300; c++)
                cr_expect(seen[c] >= 0, "cust-%07d has no event", c);
}

Test(gen_files, streams_writes_only_those_and_leaves_them_as_they_were) {
        gen_into("all", "--seed 7");
        gen_into("some", "--seed 7 --streams survey,purchase");
        cr_assert(same_file("all/purchases.avro", "some/purchases.avro"));
        cr_assert(same_file("all/surveys.avro", "some/surveys.avro"));
        cr_assert_gt(check_file("all", CW_STREAM_LOGIN, START_2026,
                                START_2026 + 40 * DAY_MS),
                     0);
        cr_assert_eq(check_file("some", CW_STREAM_LOGIN, START_2026,
                                START_2026 + 40 * DAY_MS),
                     0, "logins were written");
        cr_assert_eq(check_file("some", CW_STREAM_TICKET, START_2026,
                                START_2026 + 40 * DAY_MS),
                     0, "tickets were written");
}

Test(gen_command, unknown_or_no_streams_are_usage_errors) {
        char args[512];
        snprintf(args, sizeof(args), "gen -c %s --streams purchase,lgoin",
                 CONFIG);
        cr_assert_eq(run(args), 2);
        snprintf(args, sizeof(args), "gen -c %s --streams ,", CONFIG);
        cr_assert_eq(run(args), 2);
}

Test(gen_command, partitions_without_output_dir_is_a_usage_error) {
        char args[512];
        snprintf(args, sizeof(args), "gen -c %s --partitions 3", CONFIG);
        cr_assert_eq(run(args), 2);
        snprintf(args, sizeof(args),
                 "gen -c %s --partitions 0 --output-dir %s/x", CONFIG, dir);
        cr_assert_eq(run(args), 2);
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
        struct cw_gen_params p = {seed, customers, days, START_2026,
                                  CW_GEN_CLASSIC};
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

static void check_shares(cw_gen_scenario_t scenario,
                         const double share[CW_ARCH_COUNT]) {
        struct cw_gen_params p = {1, 5000, 120, START_2026, scenario};
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

Test(population, archetype_shares_are_within_two_points_on_5000_customers) {
        /* Classic populations have no dippers. */
        static const double share[CW_ARCH_COUNT] = {0.55, 0.15, 0.10,
                                                    0.10, 0.10, 0};
        check_shares(CW_GEN_CLASSIC, share);
}

Test(population, rich_archetype_shares_are_within_two_points) {
        static const double share[CW_ARCH_COUNT] = {0.40, 0.15, 0.10,
                                                    0.10, 0.10, 0.15};
        check_shares(CW_GEN_RICH, share);
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
        struct cw_gen_params p = {11, 3000, 120, START_2026, CW_GEN_CLASSIC};
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
        struct cw_gen_params p = {1, 100, 1, 0, CW_GEN_CLASSIC};
        char err[256] = "", id[CW_GEN_ID_MAX];
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));

        cr_assert_not_null(g, "%s", err);
        cr_assert_eq(cw_gen_customer_id(g, 42, id), 12);
        cr_assert_str_eq(id, "cust-0000042");
        cw_gen_destroy(g);
}

Test(population, parameters_out_of_range_are_refused_with_a_sentence) {
        struct cw_gen_params p = {1, 0, 10, 0, CW_GEN_CLASSIC};
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

/* ---- the classic scenario stays as it was --------------------------- */

/* FNV-1a over every event's stream, time and fields (as its stream's
 * schema types them), in order. */
struct fingerprint {
        uint64_t h;
        unsigned long long n;
};

static void fnv(uint64_t *h, const void *p, size_t len) {
        const unsigned char *b = p;
        for (size_t i = 0; i < len; i++)
                *h = (*h ^ b[i]) * 0x100000001b3ULL;
}

static int fingerprint_event(void *opaque, const struct cw_event *ev) {
        struct fingerprint *f = opaque;
        const struct cw_stream_def *def = &cw_streams[ev->stream];
        int s = (int)ev->stream;

        fnv(&f->h, &s, sizeof(s));
        fnv(&f->h, &ev->ts, sizeof(ev->ts));
        for (int i = 0; i < def->n_fields; i++) {
                if (def->fields[i].type == CW_FIELD_STR) {
                        int null = ev->str[i].p == NULL;
                        fnv(&f->h, &null, sizeof(null));
                        fnv(&f->h, ev->str[i].p, ev->str[i].len);
                        fnv(&f->h, "", 1);
                } else {
                        fnv(&f->h, &ev->num[i], sizeof(ev->num[i]));
                }
        }
        f->n++;
        return 0;
}

static struct fingerprint fingerprint(uint64_t seed, int customers, int days,
                                      cw_gen_scenario_t scenario,
                                      uint64_t *labels) {
        struct cw_gen_params p = {seed, customers, days, START_2026, scenario};
        struct fingerprint f = {0xcbf29ce484222325ULL, 0};
        char err[256] = "";
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));
        int64_t at;

        cr_assert_not_null(g, "%s", err);
        for (int d = 0; d < days; d++)
                cr_assert_eq(
                        cw_gen_day(g, fingerprint_event, &f, err, sizeof(err)),
                        0, "%s", err);
        *labels = 0xcbf29ce484222325ULL;
        for (int c = 0; c < customers; c++)
                if (cw_gen_churned_at(g, c, &at)) {
                        fnv(labels, &c, sizeof(c));
                        fnv(labels, &at, sizeof(at));
                }
        cw_gen_destroy(g);
        return f;
}

/*
 * The classic scenario is what gen made before the rich one existed:
 * the golden replays, the backtests, the Kafka tests and the figures in
 * docs/ and bench/ are made from it. These fingerprints are those of the
 * generator before the rich scenario was added (its files were compared
 * byte for byte with this one's for several seeds and sizes); a change
 * here changes every classic population.
 */
Test(population, the_classic_scenario_gives_the_events_it_always_gave) {
        uint64_t labels;
        struct fingerprint f = fingerprint(7, 500, 60, CW_GEN_CLASSIC, &labels);

        cr_assert_eq(f.n, 20177ULL, "%llu events", f.n);
        cr_assert_eq(f.h, 0xef78fb018f19047bULL, "events fingerprint %#llx",
                     (unsigned long long)f.h);
        cr_assert_eq(labels, 0xd93aa9348e3e47bbULL, "labels fingerprint %#llx",
                     (unsigned long long)labels);
}

Test(population, a_seed_gives_the_same_rich_population_every_time) {
        uint64_t la, lb, lc;
        struct fingerprint a = fingerprint(3, 400, 50, CW_GEN_RICH, &la);
        struct fingerprint b = fingerprint(3, 400, 50, CW_GEN_RICH, &lb);
        struct fingerprint c = fingerprint(3, 400, 50, CW_GEN_CLASSIC, &lc);

        cr_assert(a.n == b.n && a.h == b.h && la == lb);
        cr_assert_neq(a.h, c.h, "the rich scenario made the classic events");
}

/* ---- the rich scenario ---------------------------------------------- */

/* What the rich tests learn from every event of a run, per customer. */
struct rich {
        int days;
        uint16_t *active;  /* purchases and logins, customers x days */
        int64_t *last_nps; /* the last NPS answer's time, or 0 */
        int *last_score;   /* and its score */
        char *complaint;   /* a complaint ticket OPENED */
};

static int observe_rich(void *opaque, const struct cw_event *ev) {
        struct rich *r = opaque;
        int c = customer_of(ev);
        int d = (int)((ev->ts - START_2026) / DAY_MS);

        if (ev->stream == CW_STREAM_PURCHASE || ev->stream == CW_STREAM_LOGIN)
                r->active[(size_t)c * (size_t)r->days + (size_t)d]++;
        else if (ev->stream == CW_STREAM_SURVEY && ev->num[3] == 0) {
                r->last_nps[c] = ev->ts;
                r->last_score[c] = (int)ev->num[4];
        } else if (ev->stream == CW_STREAM_TICKET && ev->num[4] == 0 &&
                   ev->str[5].len == 9 && !memcmp(ev->str[5].p, "complaint", 9))
                r->complaint[c] = 1;
        return 0;
}

static cw_gen_t *run_rich(int customers, int days, uint64_t seed,
                          cw_gen_scenario_t scenario, struct rich *r) {
        struct cw_gen_params p = {seed, customers, days, START_2026, scenario};
        char err[256] = "";
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));

        cr_assert_not_null(g, "%s", err);
        r->days = days;
        r->active = calloc((size_t)customers * (size_t)days, sizeof(uint16_t));
        r->last_nps = calloc((size_t)customers, sizeof(int64_t));
        r->last_score = calloc((size_t)customers, sizeof(int));
        r->complaint = calloc((size_t)customers, 1);
        for (int d = 0; d < days; d++)
                cr_assert_eq(cw_gen_day(g, observe_rich, r, err, sizeof(err)),
                             0, "%s", err);
        return g;
}

static void rich_done(cw_gen_t *g, struct rich *r) {
        free(r->active);
        free(r->last_nps);
        free(r->last_score);
        free(r->complaint);
        cw_gen_destroy(g);
}

/* Customer c's events per day in days [from, to), over its average. */
static double rate(const struct rich *r, int c, int from, int to) {
        const uint16_t *a = r->active + (size_t)c * (size_t)r->days;
        double all = 0, part = 0;
        for (int d = 0; d < r->days; d++) {
                all += a[d];
                part += d >= from && d < to ? a[d] : 0;
        }
        return all > 0 ? (part / (to - from)) / (all / r->days) : 0;
}

/* The first day of customer c's quietest 14 days, and its rate there. */
static int quietest(const struct rich *r, int c, double *q) {
        int best = 0;
        *q = INFINITY;
        for (int d = 0; d + 14 <= r->days; d++) {
                double x = rate(r, c, d, d + 14);
                if (x < *q) {
                        *q = x;
                        best = d;
                }
        }
        return best;
}

Test(rich, dippers_go_quiet_for_weeks_then_come_back_and_never_churn) {
        struct rich r;
        cw_gen_t *g = run_rich(2000, 150, 13, CW_GEN_RICH, &r);
        int dippers = 0, quiet = 0, early = 0, back = 0, steady = 0,
            steady_quiet = 0;
        int64_t at;

        for (int c = 0; c < 2000; c++) {
                cw_archetype_t a = cw_gen_archetype(g, c);
                double q;
                int from;

                if (a != CW_ARCH_DIPPING && a != CW_ARCH_STEADY)
                        continue;
                from = quietest(&r, c, &q);
                if (a == CW_ARCH_STEADY) {
                        steady++;
                        steady_quiet += q < 0.4;
                        continue;
                }
                cr_assert(!cw_gen_churned_at(g, c, &at), "dipper %d churns", c);
                dippers++;
                quiet += q < 0.4;
                /* A lull over by day 120 leaves a month to come back in. */
                if (from + 14 + 42 <= 120) {
                        early++;
                        back += rate(&r, c, 120, 150) > 0.6;
                }
        }
        cr_assert(dippers > 200 && quiet > 0.75 * dippers,
                  "%d of %d dippers had 14 days under 40%% of their rate",
                  quiet, dippers);
        cr_assert(steady_quiet < 0.05 * steady,
                  "%d of %d steady customers had 14 days under 40%%",
                  steady_quiet, steady);
        cr_assert(early > 80 && back > 0.9 * early,
                  "%d of %d dippers came back to over 60%% of their rate", back,
                  early);
        rich_done(g, &r);
}

/* Of the decliners who churn inside the period: how many complained,
 * and how many answered an NPS in their last 60 days, and its mean. */
static void decliners_voice(cw_gen_scenario_t scenario, double *complained,
                            double *answered, double *mean_score) {
        struct rich r;
        cw_gen_t *g = run_rich(3000, 150, 21, scenario, &r);
        int n = 0, comp = 0, ans = 0, sum = 0;
        int64_t at;

        for (int c = 0; c < 3000; c++) {
                if (cw_gen_archetype(g, c) != CW_ARCH_DECLINING ||
                    !cw_gen_churned_at(g, c, &at))
                        continue;
                n++;
                comp += r.complaint[c];
                if (r.last_nps[c] && at - r.last_nps[c] < 60 * DAY_MS) {
                        ans++;
                        sum += r.last_score[c];
                }
        }
        cr_assert_gt(n, 150, "%d decliners churned", n);
        *complained = (double)comp / n;
        *answered = (double)ans / n;
        *mean_score = ans ? (double)sum / ans : NAN;
        rich_done(g, &r);
}

Test(rich, decliners_complain_or_answer_unhappily_before_they_churn) {
        double comp, ans, score, classic_comp, classic_ans, classic_score;

        decliners_voice(CW_GEN_RICH, &comp, &ans, &score);
        decliners_voice(CW_GEN_CLASSIC, &classic_comp, &classic_ans,
                        &classic_score);
        /* 35% complain (and are asked for an NPS after), 30% are asked. */
        cr_assert(comp > 0.28 && comp < 0.45, "%.3f complained", comp);
        cr_assert(ans > 0.7, "%.3f answered an NPS in their last 60 days", ans);
        cr_assert_lt(score, 5.0, "their mean NPS is %.2f", score);
        /* Classic decliners rarely complain, and answer when their
         * survey (every 45 days on average) happens to come. */
        cr_assert(classic_comp < 0.1 && classic_ans < ans - 0.15,
                  "classic: %.3f complained, %.3f answered", classic_comp,
                  classic_ans);
}

/* Churners in each third of a 180-day period. */
static void churn_by_third(cw_gen_scenario_t scenario, int third[3]) {
        struct cw_gen_params p = {17, 6000, 180, START_2026, scenario};
        char err[256] = "";
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));
        int64_t at;

        cr_assert_not_null(g, "%s", err);
        third[0] = third[1] = third[2] = 0;
        for (int c = 0; c < 6000; c++)
                if (cw_gen_churned_at(g, c, &at))
                        third[(at - START_2026) / (60 * DAY_MS)]++;
        cw_gen_destroy(g);
}

/* Decliners and complainers change anywhere in a rich period, so that
 * months after the first are alike (a model trained on some is tested
 * on others); classic ones change early, and churn thins out. */
Test(rich, churn_comes_as_often_late_in_the_period_as_in_its_middle) {
        int rich[3], classic[3];

        churn_by_third(CW_GEN_RICH, rich);
        churn_by_third(CW_GEN_CLASSIC, classic);
        cr_assert(rich[2] > 0.85 * rich[1] && rich[2] < 1.15 * rich[1],
                  "rich churners by third: %d, %d, %d", rich[0], rich[1],
                  rich[2]);
        cr_assert(classic[2] < 0.8 * classic[1],
                  "classic churners by third: %d, %d, %d", classic[0],
                  classic[1], classic[2]);
}

Test(gen_command, a_scenario_other_than_classic_or_rich_is_a_usage_error) {
        char args[512];

        snprintf(args, sizeof(args), "gen -c %s --scenario noisy -o %s/x",
                 CONFIG, dir);
        cr_assert_eq(run(args), 2);
        snprintf(args, sizeof(args), "%s/stderr", dir);
        {
                size_t len;
                char *text = slurp(args, &len);
                cr_assert_not_null(strstr(text, "use classic or rich"), "%s",
                                   text);
                free(text);
        }
}
