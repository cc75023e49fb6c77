/* pipeline/file_merge.c: Avro container files merged into the contract's
 * processing order (CONTRACT.md section 2): ascending ts, ties by stream
 * (purchase, login, ticket, survey), then by file in command-line order (a
 * folder's files by name), then by position. The files are written with
 * our own encoder and container file writer; every event carries a tag in
 * its event_id, and a merge is checked as the sequence of those tags. */
#include <criterion/criterion.h>

#include "test_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/file_merge.h"
#include "schemas/encode.h"
#include "sinks/avro_file.h"

static cw_schemas_t *schemas;
static char dir[64];

static void setup(void) {
        schemas = schemas_or_fail();
        tmpdir_make(dir, "file_merge");
}

static void teardown(void) {
        tmpdir_remove(dir);
        cw_schemas_destroy(schemas);
}

TestSuite(file_merge, .init = setup, .fini = teardown);

/* ---- helpers ----------------------------------------------------------- */

/* One record to write: its tag (the event_id), customer and ts. A NULL
 * customer writes an invalid record (an empty customer_id). */
struct rec {
        const char *tag;
        const char *customer;
        int64_t ts;
};

#define NREC(a) ((int)(sizeof(a) / sizeof(*(a))))
#define DAY 86400000LL

/* DIR/name, in one of a few rotating buffers. */
static const char *in_dir(const char *name) {
        static char buf[8][256];
        static int next;
        char *p = buf[next++ % 8];
        snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
        return p;
}

static cw_str_t str(const char *s) {
        return (cw_str_t){s, strlen(s)};
}

/* A valid event of `stream` with every field the schema needs set. */
static struct cw_event event(cw_stream_t stream, const struct rec *r) {
        struct cw_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.stream = stream;
        ev.ts = r->ts;
        ev.customer_id = str(r->customer ? r->customer : "");
        ev.str[CW_FIELD_EVENT_ID] = str(r->tag);
        switch (stream) {
        case CW_STREAM_PURCHASE:
                ev.num[3] = 1000;
                ev.str[4] = str("EUR");
                break;
        case CW_STREAM_LOGIN:
                ev.num[3] = 60;
                ev.num[4] = 1;
                break;
        case CW_STREAM_TICKET:
                ev.str[3] = str("tk-1");
                ev.num[4] = 0;
                ev.str[5] = str("complaint");
                ev.num[6] = 2;
                break;
        case CW_STREAM_SURVEY:
                ev.num[3] = 0;
                ev.num[4] = 9;
                break;
        default:
                cr_assert_fail("stream %d", stream);
        }
        return ev;
}

/* Writes DIR/name: an Avro container file of `stream` holding `recs` in
 * the order given. Returns the path. */
static const char *write_file(const char *name, cw_stream_t stream,
                              const struct rec *recs, int n) {
        const char *path = in_dir(name);
        char err[512] = "";
        cw_event_encoder_t *enc =
                cw_event_encoder_new(schemas, stream, err, sizeof(err));
        cw_avro_file_t *f;

        cr_assert_not_null(enc, "%s", err);
        f = cw_avro_file_open(path, cw_schemas_text((cw_schema_id_t)stream),
                              err, sizeof(err));
        cr_assert_not_null(f, "%s", err);
        for (int i = 0; i < n; i++) {
                struct cw_event ev = event(stream, &recs[i]);
                const void *buf;
                size_t len;
                cr_assert_eq(
                        cw_event_encode(enc, &ev, &buf, &len, err, sizeof(err)),
                        0, "%s", err);
                cr_assert_eq(cw_avro_file_append(f, buf, len, err, sizeof(err)),
                             0, "%s", err);
        }
        cr_assert_eq(cw_avro_file_close(f, err, sizeof(err)), 0, "%s", err);
        cw_event_encoder_destroy(enc);
        return path;
}

static cw_file_merge_t *open_merge(const char *const *paths, int n, int sort) {
        char err[512] = "";
        cw_file_merge_t *m = cw_file_merge_open(
                (char *const *)paths, n, schemas, sort, err, sizeof(err));
        cr_assert_not_null(m, "%s", err);
        return m;
}

/* The error cw_file_merge_open gives, which it must give. */
static void open_fails(const char *const *paths, int n, int sort, char *err,
                       size_t err_size) {
        err[0] = '\0';
        cr_assert_null(cw_file_merge_open((char *const *)paths, n, schemas,
                                          sort, err, err_size));
        cr_assert_neq(err[0], '\0', "no sentence");
}

/* Every event of the merge, as "tag tag ...", up to its end. */
static void drain(cw_file_merge_t *m, char *out, size_t size) {
        struct cw_event ev;
        char err[512] = "";
        size_t pos = 0;
        int r;

        out[0] = '\0';
        while ((r = cw_file_merge_next(m, &ev, err, sizeof(err))) == 1) {
                const cw_str_t *tag = &ev.str[CW_FIELD_EVENT_ID];
                pos += (size_t)snprintf(out + pos, size - pos, "%s%.*s",
                                        pos ? " " : "", (int)tag->len, tag->p);
                cr_assert_lt(pos, size, "too many events");
        }
        cr_assert_eq(r, 0, "the merge stopped: %s", err);
}

/* Merges `paths` (without sort) and checks the order of the tags. */
static void assert_merge(const char *const *paths, int n, const char *want) {
        char got[4096];
        cw_file_merge_t *m = open_merge(paths, n, 0);
        drain(m, got, sizeof(got));
        cr_assert_str_eq(got, want);
        cw_file_merge_close(m);
}

static void next_ok(cw_file_merge_t *m, struct cw_event *ev) {
        char err[512] = "";
        cr_assert_eq(cw_file_merge_next(m, ev, err, sizeof(err)), 1, "%s", err);
}

static void assert_tag(const struct cw_event *ev, const char *want) {
        const cw_str_t *tag = &ev->str[CW_FIELD_EVENT_ID];
        cr_assert(tag->len == strlen(want) && !memcmp(tag->p, want, tag->len),
                  "got event '%.*s', expected '%s'", (int)tag->len, tag->p,
                  want);
}

/* ---- processing order ------------------------------------------------ */

Test(file_merge, events_come_in_ascending_ts_across_the_four_streams) {
        static const struct rec p[] = {{"p10", "A", 10}, {"p40", "B", 40}};
        static const struct rec l[] = {{"l5", "A", 5}, {"l30", "C", 30}};
        static const struct rec t[] = {{"t20", "B", 20}, {"t50", "A", 50}};
        static const struct rec s[] = {{"s1", "C", 1}, {"s45", "B", 45}};
        const char *paths[] = {
                write_file("s.avro", CW_STREAM_SURVEY, s, NREC(s)),
                write_file("t.avro", CW_STREAM_TICKET, t, NREC(t)),
                write_file("l.avro", CW_STREAM_LOGIN, l, NREC(l)),
                write_file("p.avro", CW_STREAM_PURCHASE, p, NREC(p)),
        };
        assert_merge(paths, NREC(paths), "s1 l5 p10 t20 l30 p40 s45 t50");
}

Test(file_merge, equal_ts_go_purchase_login_ticket_survey_whatever_the_files) {
        static const struct rec p[] = {{"p", "A", 100}};
        static const struct rec l[] = {{"l", "A", 100}};
        static const struct rec t[] = {{"t", "A", 100}};
        static const struct rec s[] = {{"s", "A", 100}};
        /* Given in reverse stream order on the command line. */
        const char *paths[] = {
                write_file("s.avro", CW_STREAM_SURVEY, s, NREC(s)),
                write_file("t.avro", CW_STREAM_TICKET, t, NREC(t)),
                write_file("l.avro", CW_STREAM_LOGIN, l, NREC(l)),
                write_file("p.avro", CW_STREAM_PURCHASE, p, NREC(p)),
        };
        assert_merge(paths, NREC(paths), "p l t s");
}

Test(file_merge, equal_ts_and_stream_go_by_command_line_order_not_by_name) {
        static const struct rec z[] = {{"z1", "A", 7}, {"z2", "A", 9}};
        static const struct rec a[] = {{"a1", "B", 7}, {"a2", "B", 9}};
        /* z.avro is named first on the command line, a.avro sorts first. */
        const char *paths[] = {
                write_file("z.avro", CW_STREAM_LOGIN, z, NREC(z)),
                write_file("a.avro", CW_STREAM_LOGIN, a, NREC(a)),
        };
        assert_merge(paths, NREC(paths), "z1 a1 z2 a2");
        {
                const char *swapped[] = {paths[1], paths[0]};
                assert_merge(swapped, NREC(swapped), "a1 z1 a2 z2");
        }
}

Test(file_merge, equal_ts_in_one_file_keep_their_positions) {
        static const struct rec l[] = {
                {"l0", "A", 5}, {"l1", "B", 5}, {"l2", "C", 5}, {"l3", "A", 6}};
        static const struct rec p[] = {{"p0", "Z", 6}};
        const char *paths[] = {
                write_file("l.avro", CW_STREAM_LOGIN, l, NREC(l)),
                write_file("p.avro", CW_STREAM_PURCHASE, p, NREC(p)),
        };
        assert_merge(paths, NREC(paths), "l0 l1 l2 p0 l3");
}

Test(file_merge, stream_wins_over_file_and_file_over_position) {
        /* At ts 3: a login of the first file, two purchases of the second
         * and one of the third. Purchases first (stream), the second
         * file's before the third's (file), in their order (position). */
        static const struct rec l[] = {{"l", "A", 3}};
        static const struct rec p1[] = {{"p1a", "A", 3}, {"p1b", "B", 3}};
        static const struct rec p2[] = {{"p2", "C", 3}};
        const char *paths[] = {
                write_file("1.avro", CW_STREAM_LOGIN, l, NREC(l)),
                write_file("2.avro", CW_STREAM_PURCHASE, p1, NREC(p1)),
                write_file("3.avro", CW_STREAM_PURCHASE, p2, NREC(p2)),
        };
        assert_merge(paths, NREC(paths), "p1a p1b p2 l");
}

Test(file_merge, two_files_of_one_stream_interleave_by_ts) {
        static const struct rec a[] = {{"a1", "A", 1 * DAY},
                                       {"a4", "A", 4 * DAY},
                                       {"a5", "A", 5 * DAY}};
        static const struct rec b[] = {{"b2", "B", 2 * DAY},
                                       {"b3", "B", 3 * DAY},
                                       {"b6", "B", 6 * DAY}};
        const char *paths[] = {
                write_file("a.avro", CW_STREAM_TICKET, a, NREC(a)),
                write_file("b.avro", CW_STREAM_TICKET, b, NREC(b)),
        };
        assert_merge(paths, NREC(paths), "a1 b2 b3 a4 a5 b6");
}

Test(file_merge, many_files_merge_as_one_sorted_sequence) {
        /* Eight files of two records each; record j of file i at ts
         * (8 * j + 7 - i): the merge visits the files in reverse, twice. */
        const char *paths[8];
        char want[512] = "";
        size_t pos = 0;
        static char tags[8][2][8];
        static char names[8][16];

        for (int i = 0; i < 8; i++) {
                struct rec r[2];
                for (int j = 0; j < 2; j++) {
                        snprintf(tags[i][j], sizeof(tags[i][j]), "f%dr%d", i,
                                 j);
                        r[j] = (struct rec){tags[i][j], "A",
                                            (int64_t)(8 * j + 7 - i)};
                }
                snprintf(names[i], sizeof(names[i]), "f%d.avro", i);
                paths[i] = strdup(
                        write_file(names[i], (cw_stream_t)(i % 4), r, 2));
        }
        for (int j = 0; j < 2; j++)
                for (int i = 7; i >= 0; i--)
                        pos += (size_t)snprintf(want + pos, sizeof(want) - pos,
                                                "%sf%dr%d", pos ? " " : "", i,
                                                j);
        assert_merge(paths, 8, want);
        for (int i = 0; i < 8; i++)
                free((void *)paths[i]);
}

/* ---- folders ------------------------------------------------------- */

Test(file_merge, a_folder_contributes_its_avro_files_in_name_order) {
        static const struct rec b[] = {{"b", "A", 50}};
        static const struct rec a[] = {{"a", "B", 50}};
        static const struct rec c[] = {{"c", "C", 50}};
        static const struct rec x[] = {{"x", "D", 10}};
        char folder[256];
        cw_file_merge_t *m;
        char got[256];

        snprintf(folder, sizeof(folder), "%s", in_dir("in"));
        cr_assert_eq(mkdir(folder, 0777), 0);
        /* Written out of name order, so that directory order may differ. */
        write_file("in/b.avro", CW_STREAM_SURVEY, b, 1);
        write_file("in/c.avro", CW_STREAM_SURVEY, c, 1);
        write_file("in/a.avro", CW_STREAM_SURVEY, a, 1);
        /* Not *.avro, or hidden: left out (x would come first). */
        write_file("in/x.avro.bak", CW_STREAM_SURVEY, x, 1);
        write_file("in/.x.avro", CW_STREAM_SURVEY, x, 1);
        {
                const char *paths[] = {folder};
                m = open_merge(paths, 1, 0);
                cr_assert_eq(cw_file_merge_files(m), 3);
                drain(m, got, sizeof(got));
                cr_assert_str_eq(got, "a b c");
                cw_file_merge_close(m);
        }
        /* A file named before the folder comes before its files. */
        {
                static const struct rec z[] = {{"z", "E", 50}};
                const char *paths[] = {
                        write_file("z.avro", CW_STREAM_SURVEY, z, 1), folder};
                assert_merge(paths, 2, "z a b c");
        }
}

Test(file_merge, a_folder_without_avro_files_is_an_error_naming_it) {
        const char *folder = in_dir("empty");
        const char *paths[] = {folder};
        char err[512];
        cr_assert_eq(mkdir(folder, 0777), 0);
        open_fails(paths, 1, 0, err, sizeof(err));
        cr_assert_not_null(strstr(err, folder), "'%s' names no folder", err);
}

Test(file_merge, a_missing_path_is_an_error_naming_it) {
        const char *paths[] = {in_dir("nowhere.avro")};
        char err[512];
        open_fails(paths, 1, 0, err, sizeof(err));
        cr_assert_not_null(strstr(err, paths[0]), "'%s' names no file", err);
}

/* ---- files out of ts order ------------------------------------------- */

static const struct rec unsorted[] = {
        {"u0", "A", 30}, {"u1", "B", 10}, {"u2", "C", 20}, {"u3", "D", 10}};

Test(file_merge, a_file_out_of_ts_order_stops_the_merge_naming_the_file) {
        static const struct rec ok[] = {{"k", "A", 1}, {"k2", "A", 100}};
        const char *paths[] = {
                write_file("ok.avro", CW_STREAM_PURCHASE, ok, NREC(ok)),
                write_file("unsorted.avro", CW_STREAM_LOGIN, unsorted,
                           NREC(unsorted)),
        };
        char err[512] = "";
        struct cw_event ev;
        cw_file_merge_t *m = open_merge(paths, NREC(paths), 0);
        int r;

        /* k (ts 1) and u0 (ts 30) come out; reading u1 (ts 10 < 30) fails. */
        next_ok(m, &ev);
        assert_tag(&ev, "k");
        next_ok(m, &ev);
        assert_tag(&ev, "u0");
        r = cw_file_merge_next(m, &ev, err, sizeof(err));
        cr_assert_eq(r, -1, "an out-of-order record was accepted");
        cr_assert_not_null(strstr(err, paths[1]), "'%s' names no file", err);
        cr_assert_not_null(strstr(err, "record 1"), "'%s' names no record",
                           err);
        cr_assert_not_null(strstr(err, "--sort"), "'%s' gives no way out", err);
        cw_file_merge_close(m);
}

Test(file_merge, sort_reads_an_unsorted_file_in_ts_order_keeping_ties) {
        static const struct rec p[] = {{"p", "Z", 10}};
        const char *paths[] = {
                write_file("unsorted.avro", CW_STREAM_LOGIN, unsorted,
                           NREC(unsorted)),
                write_file("p.avro", CW_STREAM_PURCHASE, p, NREC(p)),
        };
        cw_file_merge_t *m = open_merge(paths, NREC(paths), 1);
        struct cw_event ev;
        static const char *const tags[] = {"p", "u1", "u3", "u2", "u0"};
        /* Each event's record index in its own file. */
        static const long long want_pos[] = {0, 1, 3, 2, 0};
        char err[512] = "";

        for (int i = 0; i < NREC(tags); i++) {
                next_ok(m, &ev);
                assert_tag(&ev, tags[i]);
                cr_assert_eq(cw_file_merge_position(m), want_pos[i],
                             "%s: position %lld, expected %lld", tags[i],
                             cw_file_merge_position(m), want_pos[i]);
                cr_assert_str_eq(cw_file_merge_file(m),
                                 paths[tags[i][0] == 'p' ? 1 : 0]);
        }
        cr_assert_eq(cw_file_merge_next(m, &ev, err, sizeof(err)), 0, "%s",
                     err);
        cr_assert_eq(cw_file_merge_read(m), 5);
        cw_file_merge_close(m);
}

Test(file_merge, sorted_events_keep_their_strings_after_the_file_is_read) {
        /* With sort the whole file is read before the first event is
         * returned: each event's strings must be its own. */
        static const struct rec r[] = {{"third", "customer-3", 3},
                                       {"first", "customer-1", 1},
                                       {"second", "customer-2", 2}};
        const char *paths[] = {
                write_file("r.avro", CW_STREAM_SURVEY, r, NREC(r))};
        cw_file_merge_t *m = open_merge(paths, 1, 1);
        static const char *const want[][2] = {{"first", "customer-1"},
                                              {"second", "customer-2"},
                                              {"third", "customer-3"}};
        struct cw_event ev;

        for (int i = 0; i < 3; i++) {
                next_ok(m, &ev);
                assert_tag(&ev, want[i][0]);
                cr_assert(ev.customer_id.len == strlen(want[i][1]) &&
                                  !memcmp(ev.customer_id.p, want[i][1],
                                          ev.customer_id.len),
                          "customer '%.*s', expected %s",
                          (int)ev.customer_id.len, ev.customer_id.p,
                          want[i][1]);
                cr_assert_eq(ev.ts, i + 1);
                cr_assert_eq(ev.stream, CW_STREAM_SURVEY);
        }
        cw_file_merge_close(m);
}

Test(file_merge, sort_reports_record_indexes_that_count_skipped_records) {
        /* Index 1 is invalid: the others keep their indexes in the file. */
        static const struct rec r[] = {{"r0", "A", 40},
                                       {"bad", NULL, 10},
                                       {"r2", "B", 30},
                                       {"r3", "C", 20}};
        const char *paths[] = {
                write_file("r.avro", CW_STREAM_LOGIN, r, NREC(r))};
        cw_file_merge_t *m = open_merge(paths, 1, 1);
        static const char *const tags[] = {"r3", "r2", "r0"};
        static const long long want_pos[] = {3, 2, 0};
        struct cw_event ev;

        for (int i = 0; i < NREC(tags); i++) {
                next_ok(m, &ev);
                assert_tag(&ev, tags[i]);
                cr_assert_eq(cw_file_merge_position(m), want_pos[i],
                             "%s: position %lld, expected %lld", tags[i],
                             cw_file_merge_position(m), want_pos[i]);
        }
        cr_assert_eq(cw_file_merge_read(m), 4);
        cr_assert_eq(cw_file_merge_invalid(m), 1);
        cw_file_merge_close(m);
}

/* ---- invalid records, positions, counts -------------------------------- */

Test(file_merge, an_invalid_record_is_counted_and_skipped) {
        /* Record 1 has an empty customer_id, record 3 a negative ts. */
        static const struct rec l[] = {{"l0", "A", 10},
                                       {"bad1", NULL, 20},
                                       {"l2", "B", 30},
                                       {"bad3", "C", -5},
                                       {"l4", "C", 40}};
        const char *paths[] = {
                write_file("l.avro", CW_STREAM_LOGIN, l, NREC(l))};
        cw_file_merge_t *m = open_merge(paths, 1, 0);
        char got[256];

        drain(m, got, sizeof(got));
        cr_assert_str_eq(got, "l0 l2 l4");
        cr_assert_eq(cw_file_merge_read(m), 5, "read %llu",
                     cw_file_merge_read(m));
        cr_assert_eq(cw_file_merge_invalid(m), 2, "invalid %llu",
                     cw_file_merge_invalid(m));
        cw_file_merge_close(m);
}

Test(file_merge, invalid_records_beyond_the_log_limit_are_still_counted) {
        struct rec r[31];
        const char *paths[1];
        cw_file_merge_t *m;
        char got[256];

        for (int i = 0; i < 30; i++)
                r[i] = (struct rec){"bad", NULL, i};
        r[30] = (struct rec){"good", "A", 30};
        paths[0] = write_file("l.avro", CW_STREAM_LOGIN, r, NREC(r));
        m = open_merge(paths, 1, 1);
        drain(m, got, sizeof(got));
        cr_assert_str_eq(got, "good");
        cr_assert_eq(cw_file_merge_read(m), 31);
        cr_assert_eq(cw_file_merge_invalid(m), 30);
        cw_file_merge_close(m);
}

Test(file_merge, each_event_reports_its_file_and_record_index) {
        static const struct rec a[] = {
                {"a0", "A", 1}, {"bad", NULL, 2}, {"a2", "A", 4}};
        static const struct rec b[] = {{"b0", "B", 3}};
        const char *paths[] = {
                write_file("a.avro", CW_STREAM_PURCHASE, a, NREC(a)),
                write_file("b.avro", CW_STREAM_PURCHASE, b, NREC(b)),
        };
        static const char *const tags[] = {"a0", "b0", "a2"};
        static const int file[] = {0, 1, 0};
        static const long long pos[] = {0, 0, 2}; /* a2 follows the bad one */
        cw_file_merge_t *m = open_merge(paths, NREC(paths), 0);
        struct cw_event ev;

        cr_assert_eq(cw_file_merge_position(m), -1);
        cr_assert_str_eq(cw_file_merge_file(m), "");
        for (int i = 0; i < NREC(tags); i++) {
                next_ok(m, &ev);
                assert_tag(&ev, tags[i]);
                cr_assert_str_eq(cw_file_merge_file(m), paths[file[i]], "%s",
                                 tags[i]);
                cr_assert_eq(cw_file_merge_position(m), pos[i],
                             "%s: position %lld, expected %lld", tags[i],
                             cw_file_merge_position(m), pos[i]);
        }
        cr_assert_eq(cw_file_merge_read(m), 4);
        cr_assert_eq(cw_file_merge_invalid(m), 1);
        cw_file_merge_close(m);
}

Test(file_merge, events_carry_their_stream_customer_and_ts) {
        static const struct rec t[] = {{"t", "cust-0000042", 1767225600123LL}};
        const char *paths[] = {
                write_file("t.avro", CW_STREAM_TICKET, t, NREC(t))};
        cw_file_merge_t *m = open_merge(paths, 1, 0);
        struct cw_event ev;

        next_ok(m, &ev);
        cr_assert_eq(ev.stream, CW_STREAM_TICKET);
        cr_assert_eq(ev.ts, 1767225600123LL);
        cr_assert_eq(ev.customer_id.len, strlen("cust-0000042"));
        cr_assert_arr_eq(ev.customer_id.p, "cust-0000042", ev.customer_id.len);
        cr_assert_eq(ev.num[6], 2, "severity %g", ev.num[6]);
        cw_file_merge_close(m);
}

/* ---- empty files ------------------------------------------------------ */

Test(file_merge, empty_files_end_the_merge_at_once) {
        const char *paths[] = {
                write_file("p.avro", CW_STREAM_PURCHASE, NULL, 0),
                write_file("s.avro", CW_STREAM_SURVEY, NULL, 0),
        };
        for (int sort = 0; sort < 2; sort++) {
                cw_file_merge_t *m = open_merge(paths, 2, sort);
                struct cw_event ev;
                char err[512] = "";
                cr_assert_eq(cw_file_merge_files(m), 2);
                cr_assert_eq(cw_file_merge_next(m, &ev, err, sizeof(err)), 0,
                             "%s", err);
                cr_assert_eq(cw_file_merge_read(m), 0);
                cw_file_merge_close(m);
        }
}

Test(file_merge, an_empty_file_among_others_changes_nothing) {
        static const struct rec l[] = {{"l1", "A", 1}, {"l2", "A", 2}};
        static const struct rec p[] = {{"p2", "B", 2}};
        const char *paths[] = {
                write_file("l.avro", CW_STREAM_LOGIN, l, NREC(l)),
                write_file("empty.avro", CW_STREAM_PURCHASE, NULL, 0),
                write_file("p.avro", CW_STREAM_PURCHASE, p, NREC(p)),
        };
        assert_merge(paths, NREC(paths), "l1 p2 l2");
}
