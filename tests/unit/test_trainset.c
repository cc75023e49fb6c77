/* Training sets: the CSV replay --features writes (learn/trainset.h) and
 * train reads back (learn/trainfile.h). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_helpers.h"
#include "learn/trainfile.h"
#include "learn/trainset.h"

static char dir[64], path[128];

static void setup(void) {
        snprintf(dir, sizeof(dir), "/tmp/cw_test_trainset_XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/t.csv", dir);
}

static void teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *p, const char *text) {
        FILE *f = fopen(p, "w");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
}

static char *read_file(const char *p) {
        static char buf[4096];
        FILE *f = fopen(p, "r");
        size_t n;
        cr_assert_not_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        return buf;
}

#define THREE_FEATURES                                                         \
        "features = ( { name = \"a\"; stream = \"login\"; agg = \"count\"; "   \
        "window = \"2d\"; },\n"                                                \
        "  { name = \"b\"; stream = \"login\"; agg = \"count\"; window = "     \
        "\"3d\"; },\n"                                                         \
        "  { name = \"c\"; expr = \"a / b\"; } );\n"

TestSuite(trainset, .init = setup, .fini = teardown);
TestSuite(trainfile, .init = setup, .fini = teardown);

Test(trainset, header_numbers_labels_and_the_rows_a_churner_no_longer_gets) {
        char lpath[128], err[256];
        cw_config_t *c = config_from(THREE_FEATURES);
        struct cw_trainset_opts o = {.path = path,
                                     .every_days = 1,
                                     .fraction = 1,
                                     .horizon_ms = 10 * DAY,
                                     .from = INT64_MIN,
                                     .to = INT64_MAX};
        struct cw_engine_sampling s;
        cw_labels_t *l;
        cw_trainset_t *t;
        double v1[3] = {3, 0.1, 1e300}, v2[3] = {NAN, INFINITY, -INFINITY},
               v3[3] = {-0.0, 1.0 / 3, 123456789012345678.0};

        snprintf(lpath, sizeof(lpath), "%s/labels.csv", dir);
        write_file(lpath, "customer_id,churned_at\nsoon,1970-01-12\n"
                          "late,1970-02-10\n");
        l = cw_labels_read(lpath, err, sizeof(err));
        cr_assert_not_null(l, "%s", err);
        o.labels = l;
        t = cw_trainset_open(&c->engine, &o, err, sizeof(err));
        cr_assert_not_null(t, "%s", err);
        cw_trainset_sampling(t, &s);
        cr_assert_eq(s.every_days, 1);
        /* churned_at in (t, t + 10d] is 1; at or before t, no row. */
        cr_assert(s.keep(s.opaque, "soon", 4, 2 * DAY));
        s.row(s.opaque, "soon", 4, 2 * DAY, v1);
        s.row(s.opaque, "late", 4, 2 * DAY, v2);
        s.row(s.opaque, "other", 5, 31 * DAY, v3);
        s.row(s.opaque, "late", 4, 31 * DAY, v1);
        cr_assert_not(s.keep(s.opaque, "soon", 4, 11 * DAY));
        cr_assert(s.keep(s.opaque, "soon", 4, 11 * DAY - 1));
        cr_assert_eq(cw_trainset_rows(t), 4);
        cr_assert_eq(cw_trainset_close(t, err, sizeof(err)), 0, "%s", err);
        cr_assert_str_eq(read_file(path),
                         "customer_id,as_of,a,b,c,label\n"
                         "soon,1970-01-03T00:00:00Z,3,0.1,1e+300,1\n"
                         "late,1970-01-03T00:00:00Z,,inf,-inf,0\n"
                         "other,1970-02-01T00:00:00Z,-0,0.3333333333333333,"
                         "1.2345678901234568e+17,0\n"
                         "late,1970-02-01T00:00:00Z,3,0.1,1e+300,1\n");
        cw_labels_destroy(l);
        cw_config_destroy(c);
}

Test(trainset, ids_with_commas_quotes_or_line_breaks_are_quoted) {
        char err[256];
        cw_config_t *c = config_from(THREE_FEATURES);
        struct cw_trainset_opts o = {.path = path,
                                     .every_days = 7,
                                     .fraction = 1,
                                     .from = INT64_MIN,
                                     .to = INT64_MAX};
        struct cw_engine_sampling s;
        struct cw_trainfile *f;
        cw_trainset_t *t = cw_trainset_open(&c->engine, &o, err, sizeof(err));
        double v[3] = {1, 2, 0.5};

        cr_assert_not_null(t, "%s", err);
        cw_trainset_sampling(t, &s);
        s.row(s.opaque, "a,b", 3, 0, v);
        s.row(s.opaque, "say \"hi\"", 8, 0, v);
        s.row(s.opaque, "two\nlines", 9, DAY, v);
        cr_assert_eq(cw_trainset_close(t, err, sizeof(err)), 0);
        cr_assert_str_eq(read_file(path),
                         "customer_id,as_of,a,b,c\n"
                         "\"a,b\",1970-01-01T00:00:00Z,1,2,0.5\n"
                         "\"say \"\"hi\"\"\",1970-01-01T00:00:00Z,1,2,0.5\n"
                         "\"two\nlines\",1970-01-02T00:00:00Z,1,2,0.5\n");
        /* ... and read back as three rows. */
        f = cw_trainfile_read(path, NULL, 0, err, sizeof(err));
        cr_assert_not_null(f, "%s", err);
        cr_assert_eq(f->n_rows, 3);
        cr_assert_eq(f->as_of[2], DAY);
        cr_assert_eq(f->x[2 * 3 + 2], 0.5);
        cr_assert_not(f->has_label);
        cw_trainfile_destroy(f);
        cw_config_destroy(c);
}

Test(trainset, fnv1a_sampling_keeps_hashes_below_the_share) {
        /* FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c, 0.68511... of 2^64. */
        cr_assert(cw_trainset_sampled(0.6852, "a", 1));
        cr_assert_not(cw_trainset_sampled(0.6851, "a", 1));
        /* Of "" it is the offset basis 0xcbf29ce484222325 (0.7966...). */
        cr_assert(cw_trainset_sampled(0.7967, "", 0));
        cr_assert_not(cw_trainset_sampled(0.7966, "", 0));
        cr_assert(cw_trainset_sampled(1, "anything", 8));
}

Test(trainset, a_file_that_cannot_be_created_is_named) {
        char err[256];
        cw_config_t *c = config_from(THREE_FEATURES);
        struct cw_trainset_opts o = {
                .path = "/nonexistent/t.csv", .every_days = 1, .fraction = 1};
        cr_assert_null(cw_trainset_open(&c->engine, &o, err, sizeof(err)));
        cr_assert_str_eq(err, "/nonexistent/t.csv: No such file or directory");
        cw_config_destroy(c);
}

Test(trainfile, inputs_in_the_order_asked_blank_lines_and_crlf) {
        char err[256];
        char *inputs[] = {"c", "a"};
        struct cw_trainfile *f;

        write_file(path, "customer_id,as_of,a,b,c,label\r\n"
                         "x,2026-03-01T00:00:00Z,1,,inf,1\r\n"
                         "\r\n"
                         "y,2026-03-02T00:00:00Z,-2.5,7,3,0\r\n");
        f = cw_trainfile_read(path, inputs, 2, err, sizeof(err));
        cr_assert_not_null(f, "%s", err);
        cr_assert_eq(f->n_inputs, 2);
        cr_assert_str_eq(f->inputs[0], "c");
        cr_assert_eq(f->n_rows, 2);
        cr_assert(isinf(f->x[0]) && f->x[1] == 1);
        cr_assert_eq(f->x[2], 3);
        cr_assert_eq(f->x[3], -2.5);
        cr_assert_eq(f->label[0], 1);
        cr_assert_eq(f->label[1], 0);
        cr_assert_eq(f->as_of[1], 1772409600000);
        cr_assert_eq(f->inf_line[0], 2);
        cr_assert_eq(f->inf_line[1], 0);
        cw_trainfile_destroy(f);
}

/* Reading `text` fails with exactly `want` (after "<path>:"). */
static void fails(const char *text, char *const *inputs, int n,
                  const char *want) {
        char err[256], full[300];
        write_file(path, text);
        cr_assert_null(cw_trainfile_read(path, inputs, n, err, sizeof(err)),
                       "read: %s", text);
        snprintf(full, sizeof(full), "%s:%s", path, want);
        cr_assert_str_eq(err, full);
}

Test(trainfile, every_problem_names_its_line) {
        char *nope[] = {"nope"};
        fails("", NULL, 0,
              "1: empty; the first line must be customer_id,as_of,"
              "<features>[,label]");
        fails("id,when,a\n", NULL, 0,
              "1: the header must start with customer_id,as_of: this is "
              "not a training set of replay --features");
        fails("customer_id,as_of,a,a\n", NULL, 0,
              "1: column 4, 'a', is not a feature name, or appears twice");
        fails("customer_id,as_of,a-b\n", NULL, 0,
              "1: column 3, 'a-b', is not a feature name, or appears twice");
        fails("customer_id,as_of,a\n", nope, 1,
              "1: no column 'nope' in the header");
        fails("customer_id,as_of,a\nx,2026-01-01,1\ny,2026-01-01\n", NULL, 0,
              "3: 2 fields where the header has 3");
        fails("customer_id,as_of,a\nx,2026-01-01,1x\n", NULL, 0,
              "2: column 'a': '1x' is not a number");
        fails("customer_id,as_of,a\nx,yesterday,1\n", NULL, 0,
              "2: as_of: bad time \"yesterday\": write epoch milliseconds or "
              "ISO-8601 UTC, e.g. 2026-11-23 or 2026-11-23T13:33:18Z");
        fails("customer_id,as_of,a,label\nx,2026-01-01,1,2\n", NULL, 0,
              "2: label: '2'; a label is 0 or 1");
        fails("customer_id,as_of,a\n\"x\ny,2026-01-01,1\n", NULL, 0,
              "2: a quoted field has no closing quote");
        fails("customer_id,as_of,a\n\"x\"y,2026-01-01,1\n", NULL, 0,
              "2: text after the closing quote of a field");
        /* A record over two lines: the next one's line is right. */
        fails("customer_id,as_of,a\n\"x\ny\",2026-01-01,1\nz,2026-01-01,?\n",
              NULL, 0, "4: column 'a': '?' is not a number");
}
