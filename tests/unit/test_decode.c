#include <avro.h>
#include <criterion/criterion.h>

#include "test_util.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schemas/decode.h"
#include "schemas/fastread.h"

/* Debian's python3 has python3-avro; the python3 first on PATH may not. */
#define PYTHON "/usr/bin/python3"
#define EVENTS2AVRO CW_SOURCE_DIR "/tools/events2avro.py"

static cw_schemas_t *schemas;
static char dir[64];

static void setup(void) {
        schemas = schemas_or_fail();
        tmpdir_make(dir, "decode");
}

static void teardown(void) {
        tmpdir_remove(dir);
        cw_schemas_destroy(schemas);
}

TestSuite(avro_input, .init = setup, .fini = teardown);
TestSuite(schema_evolution, .init = setup, .fini = teardown);
TestSuite(decoder, .init = setup, .fini = teardown);

/* ---- helpers ----------------------------------------------------------- */

/* DIR/name, in one of a few rotating buffers. */
static const char *in_dir(const char *name) {
        static char buf[4][256];
        static int next;
        char *p = buf[next++ % 4];
        snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
        return p;
}

/* JSON written with single quotes, so that tests stay readable. */
static char *dq(const char *s) {
        char *t = strdup(s);
        cr_assert_not_null(t);
        for (char *p = t; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return t;
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f, "cannot create %s", path);
        fputs(text, f);
        fclose(f);
}

static avro_schema_t parse_schema(const char *single_quoted) {
        char *json = dq(single_quoted);
        avro_schema_t s;
        cr_assert_eq(avro_schema_from_json_length(json, strlen(json), &s), 0,
                     "%s: %s", json, avro_strerror());
        free(json);
        return s;
}

/*
 * Sets a record's fields from "name=value" words, converting each value
 * as the field's type says: long, int, boolean (true/false), string, enum
 * (a symbol) or ["null", string] ("null" or a string). Values contain no
 * spaces; "name=" sets an empty string.
 */
static void set_fields(avro_value_t *rec, const char *spec) {
        char *copy = strdup(spec), *save = NULL;
        for (char *w = strtok_r(copy, " ", &save); w;
             w = strtok_r(NULL, " ", &save)) {
                char *val = strchr(w, '=');
                avro_value_t f, branch;
                cr_assert_not_null(val, "bad word %s", w);
                *val++ = '\0';
                cr_assert_eq(avro_value_get_by_name(rec, w, &f, NULL), 0,
                             "no field %s", w);
                switch (avro_value_get_type(&f)) {
                case AVRO_INT64:
                        avro_value_set_long(&f, strtoll(val, NULL, 10));
                        break;
                case AVRO_INT32:
                        avro_value_set_int(&f, (int32_t)strtol(val, NULL, 10));
                        break;
                case AVRO_BOOLEAN:
                        avro_value_set_boolean(&f, !strcmp(val, "true"));
                        break;
                case AVRO_STRING:
                        avro_value_set_string(&f, val);
                        break;
                case AVRO_ENUM: {
                        int sym = avro_schema_enum_get_by_name(
                                avro_value_get_schema(&f), val);
                        cr_assert_geq(sym, 0, "no symbol %s", val);
                        avro_value_set_enum(&f, sym);
                        break;
                }
                case AVRO_UNION:
                        if (!strcmp(val, "null")) {
                                avro_value_set_branch(&f, 0, &branch);
                                avro_value_set_null(&branch);
                        } else {
                                avro_value_set_branch(&f, 1, &branch);
                                avro_value_set_string(&branch, val);
                        }
                        break;
                default:
                        cr_assert_fail("field %s: unhandled type", w);
                }
        }
        free(copy);
}

/* Writes `n` records with avro-c's own container file writer. */
static void write_avro_c(const char *path, const char *codec,
                         avro_schema_t schema, const char *const *records,
                         int n) {
        avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
        avro_file_writer_t w;
        avro_value_t rec;

        cr_assert_eq(
                avro_file_writer_create_with_codec(path, schema, &w, codec, 0),
                0, "%s: %s", path, avro_strerror());
        avro_generic_value_new(iface, &rec);
        for (int i = 0; i < n; i++) {
                avro_value_reset(&rec);
                set_fields(&rec, records[i]);
                cr_assert_eq(avro_file_writer_append_value(w, &rec), 0, "%s",
                             avro_strerror());
        }
        cr_assert_eq(avro_file_writer_close(w), 0);
        avro_value_decref(&rec);
        avro_value_iface_decref(iface);
}

#define NREC(a) ((int)(sizeof(a) / sizeof(*(a))))

/* Runs a command, returning its exit status and its output in `out`. */
static int run(const char *cmd, char *out, size_t out_size) {
        FILE *p = popen(cmd, "r");
        size_t n;
        cr_assert_not_null(p, "popen %s", cmd);
        n = fread(out, 1, out_size - 1, p);
        out[n] = '\0';
        return pclose(p);
}

/*
 * Writes NAME.avro from JSONL lines (single-quoted JSON) with Debian's
 * python3-avro, through tools/events2avro.py: a writer whose schema is
 * `schema` (single-quoted JSON), or ours when NULL.
 */
static const char *write_py(const char *name, const char *stream,
                            const char *codec, const char *schema,
                            const char *jsonl) {
        char jsonl_path[256], avsc_path[256], cmd[1024], out[2048];
        static char avro_path[256];
        char *text = dq(jsonl);

        snprintf(jsonl_path, sizeof(jsonl_path), "%s/%s.jsonl", dir, name);
        snprintf(avsc_path, sizeof(avsc_path), "%s/%s.avsc", dir, name);
        snprintf(avro_path, sizeof(avro_path), "%s/%s.avro", dir, name);
        write_text(jsonl_path, text);
        free(text);
        if (schema) {
                text = dq(schema);
                write_text(avsc_path, text);
                free(text);
        }
        snprintf(cmd, sizeof(cmd),
                 "%s %s --stream %s --codec %s %s%s %s %s 2>&1", PYTHON,
                 EVENTS2AVRO, stream, codec, schema ? "--schema " : "",
                 schema ? avsc_path : "", jsonl_path, avro_path);
        cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s\n%s", cmd, out);
        return avro_path;
}

static cw_avro_input_t *open_input(const char *path) {
        char err[512] = "";
        cw_avro_input_t *in =
                cw_avro_input_open(path, schemas, err, sizeof(err));
        cr_assert_not_null(in, "%s", err);
        return in;
}

/* The sentence cw_avro_input_open gives when it fails. */
static void open_fails(const char *path, char *err, size_t err_size) {
        err[0] = '\0';
        cr_assert_null(cw_avro_input_open(path, schemas, err, err_size));
        cr_assert_neq(err[0], '\0');
        cr_assert_not_null(strstr(err, path), "'%s' names no file", err);
}

static void next_event(cw_avro_input_t *in, struct cw_event *ev) {
        char err[512] = "";
        cr_assert_eq(cw_avro_input_next(in, ev, err, sizeof(err)), 1, "%s",
                     err);
}

static void next_end(cw_avro_input_t *in) {
        struct cw_event ev;
        char err[512] = "";
        cr_assert_eq(cw_avro_input_next(in, &ev, err, sizeof(err)), 0, "%s",
                     err);
}

/* The error of the next record, which must be one. */
static void next_error(cw_avro_input_t *in, char *err, size_t err_size) {
        struct cw_event ev;
        err[0] = '\0';
        cr_assert_eq(cw_avro_input_next(in, &ev, err, err_size), -1);
}

static void assert_str(cw_str_t s, const char *want, const char *what) {
        if (!want) {
                cr_assert_null(s.p, "%s should be null", what);
                return;
        }
        cr_assert_not_null(s.p, "%s is null, expected '%s'", what, want);
        cr_assert(s.len == strlen(want) && !memcmp(s.p, want, s.len),
                  "%s is '%.*s', expected '%s'", what, (int)s.len, s.p, want);
}

static void assert_contains(const char *s, const char *part) {
        cr_assert_not_null(strstr(s, part), "'%s' does not say '%s'", s, part);
}

static avro_schema_t ours(cw_stream_t stream) {
        return cw_schemas_get(schemas, (cw_schema_id_t)stream);
}

/* ---- container files: the four streams --------------------------------- */

Test(avro_input, a_purchase_file_decodes_every_field_to_its_slot) {
        static const char *const recs[] = {
                "event_id=e1 customer_id=c-42 ts=1700000000123 "
                "amount_cents=1999 currency=EUR channel=web",
                "event_id=e2 customer_id=c-43 ts=1700000000456 "
                "amount_cents=-250 currency=USD channel=null",
        };
        const char *path = in_dir("purchases.avro");
        struct cw_event ev;
        write_avro_c(path, "null", ours(CW_STREAM_PURCHASE), recs, NREC(recs));

        cw_avro_input_t *in = open_input(path);
        cr_assert_eq(cw_avro_input_stream(in), CW_STREAM_PURCHASE);
        cr_assert_str_eq(cw_avro_input_path(in), path);
        cr_assert_eq(cw_avro_input_position(in), -1);

        next_event(in, &ev);
        cr_assert_eq(ev.stream, CW_STREAM_PURCHASE);
        cr_assert_eq(ev.ts, 1700000000123);
        cr_assert_eq(ev.num[CW_FIELD_TS], 1700000000123.0);
        assert_str(ev.customer_id, "c-42", "customer_id");
        assert_str(ev.str[CW_FIELD_CUSTOMER_ID], "c-42", "str[customer_id]");
        assert_str(ev.str[CW_FIELD_EVENT_ID], "e1", "event_id");
        cr_assert_eq(ev.num[3], 1999.0);
        assert_str(ev.str[4], "EUR", "currency");
        assert_str(ev.str[5], "web", "channel");
        cr_assert_eq(cw_avro_input_position(in), 0);

        next_event(in, &ev);
        cr_assert_eq(ev.ts, 1700000000456);
        cr_assert_eq(ev.num[3], -250.0);
        assert_str(ev.str[4], "USD", "currency");
        assert_str(ev.str[5], NULL, "channel");
        cr_assert_eq(cw_avro_input_position(in), 1);

        next_end(in);
        next_end(in);
        cr_assert_eq(cw_avro_input_position(in), 1);
        cw_avro_input_close(in);
}

Test(avro_input, a_login_file_decodes_every_field_to_its_slot) {
        static const char *const recs[] = {
                "event_id=l1 customer_id=c1 ts=86400000 session_seconds=300 "
                "success=false device=ios",
                "event_id=l2 customer_id=c2 ts=0 session_seconds=7 "
                "success=true device=null",
        };
        const char *path = in_dir("logins.avro");
        struct cw_event ev;
        write_avro_c(path, "null", ours(CW_STREAM_LOGIN), recs, NREC(recs));

        cw_avro_input_t *in = open_input(path);
        cr_assert_eq(cw_avro_input_stream(in), CW_STREAM_LOGIN);
        next_event(in, &ev);
        cr_assert_eq(ev.stream, CW_STREAM_LOGIN);
        assert_str(ev.str[0], "l1", "event_id");
        assert_str(ev.customer_id, "c1", "customer_id");
        cr_assert_eq(ev.ts, 86400000);
        cr_assert_eq(ev.num[3], 300.0);
        cr_assert_eq(ev.num[4], 0.0);
        assert_str(ev.str[5], "ios", "device");
        next_event(in, &ev);
        cr_assert_eq(ev.ts, 0, "ts 0 is valid");
        cr_assert_eq(ev.num[3], 7.0);
        cr_assert_eq(ev.num[4], 1.0);
        assert_str(ev.str[5], NULL, "device");
        next_end(in);
        cw_avro_input_close(in);
}

Test(avro_input, a_ticket_file_decodes_every_field_to_its_slot) {
        static const char *const recs[] = {
                "event_id=t1 customer_id=c1 ts=5 ticket_id=T-9 "
                "status=RESOLVED category=complaint severity=4",
                "event_id=t2 customer_id=c1 ts=6 ticket_id=T-10 "
                "status=REOPENED category=billing severity=-1",
                "event_id=t3 customer_id=c1 ts=7 ticket_id=T-11 "
                "status=OPENED category= severity=0",
        };
        const char *path = in_dir("tickets.avro");
        struct cw_event ev;
        write_avro_c(path, "null", ours(CW_STREAM_TICKET), recs, NREC(recs));

        cw_avro_input_t *in = open_input(path);
        cr_assert_eq(cw_avro_input_stream(in), CW_STREAM_TICKET);
        next_event(in, &ev);
        cr_assert_eq(ev.stream, CW_STREAM_TICKET);
        assert_str(ev.str[0], "t1", "event_id");
        cr_assert_eq(ev.ts, 5);
        assert_str(ev.str[3], "T-9", "ticket_id");
        cr_assert_eq(ev.num[4], 2.0, "RESOLVED is our symbol 2");
        assert_str(ev.str[5], "complaint", "category");
        cr_assert_eq(ev.num[6], 4.0);
        next_event(in, &ev);
        cr_assert_eq(ev.num[4], 3.0, "REOPENED is our symbol 3");
        assert_str(ev.str[5], "billing", "category");
        cr_assert_eq(ev.num[6], -1.0);
        next_event(in, &ev);
        cr_assert_eq(ev.num[4], 0.0, "OPENED is our symbol 0");
        assert_str(ev.str[5], "", "an empty category is not null");
        next_end(in);
        cw_avro_input_close(in);
}

Test(avro_input, a_survey_file_decodes_every_field_to_its_slot) {
        static const char *const recs[] = {
                "event_id=s1 customer_id=c9 ts=1000 kind=CES score=6 "
                "comment=slow!",
                "event_id=s2 customer_id=c9 ts=2000 kind=NPS score=10 "
                "comment=null",
        };
        const char *path = in_dir("surveys.avro");
        struct cw_event ev;
        write_avro_c(path, "null", ours(CW_STREAM_SURVEY), recs, NREC(recs));

        cw_avro_input_t *in = open_input(path);
        cr_assert_eq(cw_avro_input_stream(in), CW_STREAM_SURVEY);
        next_event(in, &ev);
        cr_assert_eq(ev.stream, CW_STREAM_SURVEY);
        assert_str(ev.str[0], "s1", "event_id");
        assert_str(ev.customer_id, "c9", "customer_id");
        cr_assert_eq(ev.ts, 1000);
        cr_assert_eq(ev.num[3], 2.0, "CES is our symbol 2");
        cr_assert_eq(ev.num[4], 6.0);
        assert_str(ev.str[5], "slow!", "comment");
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], 0.0, "NPS is our symbol 0");
        cr_assert_eq(ev.num[4], 10.0);
        assert_str(ev.str[5], NULL, "comment");
        next_end(in);
        cw_avro_input_close(in);
}

Test(avro_input, a_deflate_file_of_many_blocks_reads_every_record) {
        enum { N = 5000 };
        static char text[N][128];
        static const char *recs[N];
        const char *path = in_dir("deflate.avro");
        struct cw_event ev;
        double sum = 0;

        for (int i = 0; i < N; i++) {
                snprintf(text[i], sizeof(text[i]),
                         "event_id=e%d customer_id=c%d ts=%d amount_cents=%d "
                         "currency=EUR channel=%s",
                         i, i % 97, 1000 + i, i, i % 2 ? "app" : "null");
                recs[i] = text[i];
        }
        write_avro_c(path, "deflate", ours(CW_STREAM_PURCHASE), recs, N);

        cw_avro_input_t *in = open_input(path);
        for (int i = 0; i < N; i++) {
                char cid[16];
                next_event(in, &ev);
                snprintf(cid, sizeof(cid), "c%d", i % 97);
                cr_assert_eq(ev.ts, 1000 + i);
                assert_str(ev.customer_id, cid, "customer_id");
                assert_str(ev.str[5], i % 2 ? "app" : NULL, "channel");
                sum += ev.num[3];
        }
        next_end(in);
        cr_assert_eq(sum, (double)N * (N - 1) / 2);
        cr_assert_eq(cw_avro_input_position(in), N - 1);
        cw_avro_input_close(in);
}

Test(avro_input, a_deflate_file_from_python_reads) {
        const char *path = write_py(
                "py_deflate", "login", "deflate", NULL,
                "{'event_id':'l1','customer_id':'c1','ts':1700000000000,"
                "'session_seconds':42,'success':false,'device':'web'}\n"
                "{'event_id':'l2','customer_id':'c2',"
                "'ts':'2024-03-01T00:00:00Z','session_seconds':1,"
                "'success':true,'device':null}\n");
        struct cw_event ev;
        cw_avro_input_t *in = open_input(path);
        cr_assert_eq(cw_avro_input_stream(in), CW_STREAM_LOGIN);
        next_event(in, &ev);
        cr_assert_eq(ev.ts, 1700000000000);
        cr_assert_eq(ev.num[3], 42.0);
        cr_assert_eq(ev.num[4], 0.0);
        assert_str(ev.str[5], "web", "device");
        next_event(in, &ev);
        cr_assert_eq(ev.ts, 1709251200000, "ISO-8601 ts in the JSONL");
        cr_assert_eq(ev.num[4], 1.0);
        assert_str(ev.str[5], NULL, "device");
        next_end(in);
        cw_avro_input_close(in);
}

Test(avro_input, an_empty_file_ends_at_once) {
        const char *path = in_dir("empty.avro");
        write_avro_c(path, "null", ours(CW_STREAM_SURVEY), NULL, 0);
        cw_avro_input_t *in = open_input(path);
        cr_assert_eq(cw_avro_input_stream(in), CW_STREAM_SURVEY);
        next_end(in);
        cr_assert_eq(cw_avro_input_position(in), -1);
        cw_avro_input_close(in);
}

/* ---- container files: bad records and bad files ------------------------ */

Test(avro_input, an_empty_customer_id_fails_that_record_and_the_next_decodes) {
        static const char *const recs[] = {
                "event_id=e1 customer_id=c1 ts=1 amount_cents=1 currency=EUR "
                "channel=null",
                "event_id=e2 customer_id= ts=2 amount_cents=2 currency=EUR "
                "channel=null",
                "event_id=e3 customer_id=c3 ts=3 amount_cents=3 currency=EUR "
                "channel=store",
        };
        const char *path = in_dir("purchases.avro");
        char err[512], want[512];
        struct cw_event ev;
        write_avro_c(path, "null", ours(CW_STREAM_PURCHASE), recs, NREC(recs));

        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        next_error(in, err, sizeof(err));
        snprintf(want, sizeof(want), "%s: record 1: customer_id is empty",
                 path);
        cr_assert_str_eq(err, want);
        cr_assert_eq(cw_avro_input_position(in), 1);
        next_event(in, &ev);
        assert_str(ev.customer_id, "c3", "customer_id");
        assert_str(ev.str[5], "store", "channel");
        cr_assert_eq(cw_avro_input_position(in), 2);
        next_end(in);
        cw_avro_input_close(in);
}

Test(avro_input, a_negative_ts_fails_that_record_and_the_next_decodes) {
        static const char *const recs[] = {
                "event_id=s1 customer_id=c1 ts=-5 kind=NPS score=1 "
                "comment=null",
                "event_id=s2 customer_id=c2 ts=5 kind=CSAT score=2 "
                "comment=ok",
        };
        const char *path = in_dir("surveys.avro");
        char err[512], want[512];
        struct cw_event ev;
        write_avro_c(path, "null", ours(CW_STREAM_SURVEY), recs, NREC(recs));

        cw_avro_input_t *in = open_input(path);
        next_error(in, err, sizeof(err));
        snprintf(want, sizeof(want), "%s: record 0: ts -5 is negative", path);
        cr_assert_str_eq(err, want);
        next_event(in, &ev);
        assert_str(ev.customer_id, "c2", "customer_id");
        cr_assert_eq(ev.num[3], 1.0, "CSAT is our symbol 1");
        next_end(in);
        cw_avro_input_close(in);
}

Test(avro_input, a_customer_id_of_257_bytes_fails_and_256_bytes_pass) {
        char long_id[258], rec0[400], rec1[400], err[512];
        const char *recs[2] = {rec0, rec1};
        const char *path = in_dir("logins.avro");
        struct cw_event ev;

        memset(long_id, 'x', 257);
        long_id[257] = '\0';
        snprintf(rec0, sizeof(rec0),
                 "event_id=l1 customer_id=%s ts=1 session_seconds=1 "
                 "success=true device=null",
                 long_id);
        long_id[256] = '\0';
        snprintf(rec1, sizeof(rec1),
                 "event_id=l2 customer_id=%s ts=1 session_seconds=1 "
                 "success=true device=null",
                 long_id);
        write_avro_c(path, "null", ours(CW_STREAM_LOGIN), recs, 2);

        cw_avro_input_t *in = open_input(path);
        next_error(in, err, sizeof(err));
        assert_contains(err, "record 0: customer_id is 257 bytes long");
        next_event(in, &ev);
        cr_assert_eq(ev.customer_id.len, 256);
        next_end(in);
        cw_avro_input_close(in);
}

Test(avro_input, a_truncated_file_fails_for_good) {
        /* Several blocks: avro-c reads the first one when it opens. */
        enum { N = 3000 };
        static char text[N][128];
        static const char *recs[N];
        const char *path = in_dir("cut.avro");
        struct cw_event ev;
        char err[512], again[512];
        long size;
        int rc, events = 0;
        FILE *f;

        for (int i = 0; i < N; i++) {
                snprintf(text[i], sizeof(text[i]),
                         "event_id=e%d customer_id=c%d ts=%d ticket_id=t "
                         "status=UPDATED category=question severity=1",
                         i, i, i);
                recs[i] = text[i];
        }
        write_avro_c(path, "null", ours(CW_STREAM_TICKET), recs, N);
        f = fopen(path, "rb");
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
        cr_assert_eq(truncate(path, size - 100), 0);

        cw_avro_input_t *in = open_input(path);
        while ((rc = cw_avro_input_next(in, &ev, err, sizeof(err))) == 1)
                events++;
        cr_assert_eq(rc, -1, "a cut block is an error, not the end");
        cr_assert(events > 0 && events < N, "%d events", events);
        cr_assert_eq(cw_avro_input_position(in), events - 1);
        assert_contains(err, path);
        assert_contains(err, ": record ");
        cr_assert_eq(cw_avro_input_next(in, &ev, again, sizeof(again)), -1);
        cr_assert_str_eq(again, err);
        cw_avro_input_close(in);
}

Test(avro_input, a_missing_file_is_an_error_naming_it) {
        char err[512];
        open_fails(in_dir("nope.avro"), err, sizeof(err));
        assert_contains(err, "No such file");
}

Test(avro_input, a_file_that_is_not_avro_is_an_error_naming_it) {
        char err[512];
        const char *path = in_dir("text.avro");
        write_text(path, "event_id,customer_id\ne1,c1\n");
        open_fails(path, err, sizeof(err));
        assert_contains(err, "not an Avro object container file");
}

Test(avro_input, an_unknown_record_name_is_rejected_listing_the_known_ones) {
        const char *path =
                write_py("refunds", "purchase", "null",
                         "{'type':'record','name':'Refund','namespace':"
                         "'churnwatch.events','fields':["
                         "{'name':'event_id','type':'string'},"
                         "{'name':'customer_id','type':'string'},"
                         "{'name':'ts','type':'long'}]}",
                         "{'event_id':'r1','customer_id':'c1','ts':1}\n");
        char err[512];
        open_fails(path, err, sizeof(err));
        assert_contains(err, "Refund");
        assert_contains(err, "Purchase, Login, SupportTicket, Survey");
}

Test(avro_input, close_and_destroy_accept_null) {
        cw_avro_input_close(NULL);
        cw_decoder_destroy(NULL);
}

/* ---- schema evolution: writers other than ours ------------------------- */

#define COMMON_FIELDS                                                          \
        "{'name':'event_id','type':'string'},"                                 \
        "{'name':'customer_id','type':'string'},"                              \
        "{'name':'ts','type':{'type':'long','logicalType':'timestamp-millis'}" \
        "}"

Test(schema_evolution, writer_fields_we_do_not_know_are_skipped) {
        const char *path = write_py(
                "extra", "purchase", "deflate",
                "{'type':'record','name':'Purchase','namespace':"
                "'churnwatch.events','fields':["
                "{'name':'event_id','type':'string'},"
                "{'name':'coupon','type':['null','string']},"
                "{'name':'customer_id','type':'string'},"
                "{'name':'ts','type':{'type':'long','logicalType':"
                "'timestamp-millis'}},"
                "{'name':'amount_cents','type':'long'},"
                "{'name':'tags','type':{'type':'array','items':'string'}},"
                "{'name':'currency','type':'string'},"
                "{'name':'channel','type':['null','string']},"
                "{'name':'meta','type':{'type':'map','values':'long'}},"
                "{'name':'where','type':{'type':'record','name':'Place',"
                "'fields':[{'name':'lat','type':'double'},"
                "{'name':'shop','type':['null','string']}]}}]}",
                "{'event_id':'e1','coupon':'XMAS','customer_id':'c1','ts':10,"
                "'amount_cents':500,'tags':['a','bb'],'currency':'EUR',"
                "'channel':'app','meta':{'k':1,'l':2},"
                "'where':{'lat':1.5,'shop':'S1'}}\n"
                "{'event_id':'e2','coupon':null,'customer_id':'c2','ts':11,"
                "'amount_cents':7,'tags':[],'currency':'GBP',"
                "'channel':null,'meta':{},'where':{'lat':0,'shop':null}}\n");
        struct cw_event ev;
        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        assert_str(ev.str[0], "e1", "event_id");
        assert_str(ev.customer_id, "c1", "customer_id");
        cr_assert_eq(ev.ts, 10);
        cr_assert_eq(ev.num[3], 500.0);
        assert_str(ev.str[4], "EUR", "currency");
        assert_str(ev.str[5], "app", "channel");
        next_event(in, &ev);
        assert_str(ev.customer_id, "c2", "customer_id");
        cr_assert_eq(ev.num[3], 7.0);
        assert_str(ev.str[4], "GBP", "currency");
        assert_str(ev.str[5], NULL, "channel");
        next_end(in);
        cw_avro_input_close(in);
}

Test(schema_evolution, a_writer_without_channel_gets_the_null_default) {
        const char *path =
                write_py("no_channel", "purchase", "null",
                         "{'type':'record','name':'Purchase','namespace':"
                         "'churnwatch.events','fields':[" COMMON_FIELDS ","
                         "{'name':'amount_cents','type':'long'},"
                         "{'name':'currency','type':'string'}]}",
                         "{'event_id':'e1','customer_id':'c1','ts':10,"
                         "'amount_cents':500,'currency':'EUR'}\n");
        struct cw_event ev;
        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], 500.0);
        assert_str(ev.str[4], "EUR", "currency");
        assert_str(ev.str[5], NULL, "channel");
        next_end(in);
        cw_avro_input_close(in);
}

Test(schema_evolution,
     a_login_writer_without_success_and_device_gets_defaults) {
        const char *path = write_py(
                "old_login", "login", "null",
                "{'type':'record','name':'Login','fields':[" COMMON_FIELDS ","
                "{'name':'session_seconds','type':'int'}]}",
                "{'event_id':'l1','customer_id':'c1','ts':10,"
                "'session_seconds':60}\n");
        struct cw_event ev;
        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], 60.0);
        cr_assert_eq(ev.num[4], 1.0, "success defaults to true");
        assert_str(ev.str[5], NULL, "device");
        next_end(in);
        cw_avro_input_close(in);
}

Test(schema_evolution, reordered_writer_fields_land_in_our_slots) {
        const char *path = write_py(
                "reordered", "ticket", "null",
                "{'type':'record','name':'SupportTicket','namespace':"
                "'churnwatch.events','fields':["
                "{'name':'severity','type':'int'},"
                "{'name':'category','type':'string'},"
                "{'name':'status','type':{'type':'enum','name':"
                "'TicketStatus','symbols':['OPENED','UPDATED','RESOLVED',"
                "'REOPENED']}},"
                "{'name':'ticket_id','type':'string'},"
                "{'name':'ts','type':{'type':'long','logicalType':"
                "'timestamp-millis'}},"
                "{'name':'customer_id','type':'string'},"
                "{'name':'event_id','type':'string'}]}",
                "{'severity':3,'category':'complaint','status':'UPDATED',"
                "'ticket_id':'T1','ts':99,'customer_id':'c7',"
                "'event_id':'e7'}\n");
        struct cw_event ev;
        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        assert_str(ev.str[0], "e7", "event_id");
        assert_str(ev.customer_id, "c7", "customer_id");
        cr_assert_eq(ev.ts, 99);
        assert_str(ev.str[3], "T1", "ticket_id");
        cr_assert_eq(ev.num[4], 1.0, "UPDATED is our symbol 1");
        assert_str(ev.str[5], "complaint", "category");
        cr_assert_eq(ev.num[6], 3.0);
        next_end(in);
        cw_avro_input_close(in);
}

Test(schema_evolution, enum_symbols_in_another_order_map_by_name) {
        const char *path = write_py(
                "kinds", "survey", "null",
                "{'type':'record','name':'Survey','namespace':"
                "'churnwatch.events','fields':[" COMMON_FIELDS ","
                "{'name':'kind','type':{'type':'enum','name':'SurveyKind',"
                "'symbols':['CES','NPS','CSAT']}},"
                "{'name':'score','type':'int'},"
                "{'name':'comment','type':['null','string']}]}",
                "{'event_id':'s1','customer_id':'c1','ts':1,'kind':'NPS',"
                "'score':9,'comment':null}\n"
                "{'event_id':'s2','customer_id':'c1','ts':2,'kind':'CES',"
                "'score':5,'comment':'meh'}\n"
                "{'event_id':'s3','customer_id':'c1','ts':3,'kind':'CSAT',"
                "'score':4,'comment':null}\n");
        struct cw_event ev;
        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], 0.0, "NPS is our symbol 0, the writer's 1");
        cr_assert_eq(ev.num[4], 9.0);
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], 2.0, "CES is our symbol 2, the writer's 0");
        assert_str(ev.str[5], "meh", "comment");
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], 1.0, "CSAT is our symbol 1, the writer's 2");
        next_end(in);
        cw_avro_input_close(in);
}

Test(schema_evolution, an_enum_symbol_we_do_not_know_fails_only_that_record) {
        const char *path = write_py(
                "new_kind", "survey", "null",
                "{'type':'record','name':'Survey','namespace':"
                "'churnwatch.events','fields':[" COMMON_FIELDS ","
                "{'name':'kind','type':{'type':'enum','name':'SurveyKind',"
                "'symbols':['NPS','CSAT','CES','PULSE']}},"
                "{'name':'score','type':'int'},"
                "{'name':'comment','type':['null','string']}]}",
                "{'event_id':'s1','customer_id':'c1','ts':1,'kind':'NPS',"
                "'score':9,'comment':null}\n"
                "{'event_id':'s2','customer_id':'c1','ts':2,'kind':'PULSE',"
                "'score':5,'comment':null}\n"
                "{'event_id':'s3','customer_id':'c1','ts':3,'kind':'CES',"
                "'score':4,'comment':null}\n");
        struct cw_event ev;
        char err[512];
        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], 0.0);
        next_error(in, err, sizeof(err));
        assert_contains(err, "record 1: kind: PULSE is not a symbol");
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], 2.0);
        next_end(in);
        cw_avro_input_close(in);
}

Test(schema_evolution, an_int_writer_field_is_promoted_to_our_long) {
        const char *path =
                write_py("int_amount", "purchase", "null",
                         "{'type':'record','name':'Purchase','namespace':"
                         "'churnwatch.events','fields':[" COMMON_FIELDS ","
                         "{'name':'amount_cents','type':'int'},"
                         "{'name':'currency','type':'string'},"
                         "{'name':'channel','type':'string'}]}",
                         "{'event_id':'e1','customer_id':'c1','ts':10,"
                         "'amount_cents':-2147483648,'currency':'EUR',"
                         "'channel':'web'}\n");
        struct cw_event ev;
        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        cr_assert_eq(ev.num[3], -2147483648.0);
        assert_str(ev.str[5], "web", "a plain string resolves to our union");
        next_end(in);
        cw_avro_input_close(in);
}

Test(schema_evolution, a_writer_without_amount_cents_cannot_be_opened) {
        const char *path =
                write_py("no_amount", "purchase", "null",
                         "{'type':'record','name':'Purchase','namespace':"
                         "'churnwatch.events','fields':[" COMMON_FIELDS ","
                         "{'name':'currency','type':'string'},"
                         "{'name':'channel','type':['null','string']}]}",
                         "{'event_id':'e1','customer_id':'c1','ts':10,"
                         "'currency':'EUR','channel':null}\n");
        char err[512];
        open_fails(path, err, sizeof(err));
        assert_contains(err, "writer schema churnwatch.events.Purchase has "
                             "no field amount_cents");
        assert_contains(err, "no default");
}

Test(schema_evolution,
     a_writer_field_of_an_unresolvable_type_cannot_be_opened) {
        const char *path = write_py(
                "text_amount", "purchase", "null",
                "{'type':'record','name':'Purchase','namespace':"
                "'churnwatch.events','fields':[" COMMON_FIELDS ","
                "{'name':'amount_cents','type':'string'},"
                "{'name':'currency','type':'string'},"
                "{'name':'channel','type':['null','string']}]}",
                "{'event_id':'e1','customer_id':'c1','ts':10,"
                "'amount_cents':'12.50','currency':'EUR','channel':null}\n");
        char err[512];
        open_fails(path, err, sizeof(err));
        assert_contains(err, "does not resolve");
        assert_contains(err, "amount_cents");
}

Test(schema_evolution, a_null_in_a_writer_union_for_a_required_field_fails) {
        const char *path =
                write_py("null_currency", "purchase", "null",
                         "{'type':'record','name':'Purchase','namespace':"
                         "'churnwatch.events','fields':[" COMMON_FIELDS ","
                         "{'name':'amount_cents','type':'long'},"
                         "{'name':'currency','type':['null','string']},"
                         "{'name':'channel','type':['null','string']}]}",
                         "{'event_id':'e1','customer_id':'c1','ts':10,"
                         "'amount_cents':1,'currency':null,'channel':null}\n"
                         "{'event_id':'e2','customer_id':'c2','ts':11,"
                         "'amount_cents':2,'currency':'EUR','channel':null}\n");
        struct cw_event ev;
        char err[512];
        cw_avro_input_t *in = open_input(path);
        next_error(in, err, sizeof(err));
        assert_contains(err, ": record 0: currency is null");
        next_event(in, &ev);
        assert_str(ev.customer_id, "c2", "customer_id");
        assert_str(ev.str[4], "EUR", "currency");
        next_end(in);
        cw_avro_input_close(in);
}

/*
 * "\nNAME=DEFAULT" for each field of the stream's .avsc file that has a
 * default, the JSON read by Python's json module rather than by avro-c
 * (which drops defaults).
 */
static void avsc_defaults(cw_stream_t stream, char *out, size_t out_size) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "%s -c 'import json,sys\n"
                 "for f in json.load(open(sys.argv[1]))[\"fields\"]:\n"
                 "    if \"default\" in f:\n"
                 "        print(f[\"name\"] + \"=\" + "
                 "json.dumps(f[\"default\"]))' %s/schemas/%s",
                 PYTHON, CW_SOURCE_DIR,
                 cw_schemas_file((cw_schema_id_t)stream));
        /* A leading newline lets callers look for "\nNAME=". */
        out[0] = '\n';
        cr_assert_eq(run(cmd, out + 1, out_size - 1), 0, "%s\n%s", cmd, out);
}

/* Gives every field of a record some value of its type. */
static void fill_any(avro_value_t *rec) {
        size_t n;
        avro_value_get_size(rec, &n);
        for (size_t i = 0; i < n; i++) {
                avro_value_t f, branch;
                avro_value_get_by_index(rec, i, &f, NULL);
                switch (avro_value_get_type(&f)) {
                case AVRO_STRING:
                        avro_value_set_string(&f, "x");
                        break;
                case AVRO_INT64:
                        avro_value_set_long(&f, 1);
                        break;
                case AVRO_INT32:
                        avro_value_set_int(&f, 1);
                        break;
                case AVRO_BOOLEAN:
                        avro_value_set_boolean(&f, 0);
                        break;
                case AVRO_ENUM:
                        avro_value_set_enum(&f, 0);
                        break;
                case AVRO_UNION:
                        avro_value_set_branch(&f, 1, &branch);
                        avro_value_set_string(&branch, "y");
                        break;
                default:
                        cr_assert_fail("unhandled type");
                }
        }
}

/* Our schema of `stream` without field `drop`. */
static avro_schema_t without_field(cw_stream_t stream, int drop) {
        const struct cw_stream_def *def = &cw_streams[stream];
        avro_schema_t w = avro_schema_record(def->record, "churnwatch.events");
        for (int i = 0; i < def->n_fields; i++)
                if (i != drop)
                        avro_schema_record_field_append(
                                w, def->fields[i].name,
                                avro_schema_record_field_get_by_index(
                                        ours(stream), i));
        return w;
}

/* Encodes a record of `writer` holding anything and decodes it with d. */
static void decode_any(cw_decoder_t *d, avro_schema_t writer,
                       struct cw_event *ev) {
        avro_value_iface_t *iface = avro_generic_class_from_schema(writer);
        char buf[512], err[512] = "";
        avro_writer_t w = avro_writer_memory(buf, sizeof(buf));
        avro_value_t rec;

        avro_generic_value_new(iface, &rec);
        fill_any(&rec);
        cr_assert_eq(avro_value_write(w, &rec), 0);
        cr_assert_eq(cw_decoder_decode(d, buf, (size_t)avro_writer_tell(w), ev,
                                       err, sizeof(err)),
                     0, "%s", err);
        avro_writer_free(w);
        avro_value_decref(&rec);
        avro_value_iface_decref(iface);
}

/*
 * For every field of every stream: a writer without that field can be
 * decoded exactly when the .avsc gives it a default, and the decoded event
 * then holds that default. Catches the decoder's table of defaults
 * drifting from the schema files.
 */
Test(schema_evolution, a_writer_may_drop_exactly_the_fields_with_defaults) {
        for (int st = 0; st < CW_STREAM_COUNT; st++) {
                const struct cw_stream_def *def = &cw_streams[st];
                char defaults[1024];
                avsc_defaults((cw_stream_t)st, defaults, sizeof(defaults));

                for (int drop = 0; drop < def->n_fields; drop++) {
                        const char *name = def->fields[drop].name;
                        avro_schema_t w = without_field((cw_stream_t)st, drop);
                        char key[64], err[512] = "";
                        const char *dflt;
                        struct cw_event ev;
                        cw_decoder_t *d = cw_decoder_new(
                                schemas, (cw_stream_t)st, w, err, sizeof(err));

                        snprintf(key, sizeof(key), "\n%s=", name);
                        dflt = strstr(defaults, key);
                        if (!dflt) {
                                cr_assert_null(d, "%s.%s has no default",
                                               def->record, name);
                                assert_contains(err, name);
                                avro_schema_decref(w);
                                continue;
                        }
                        cr_assert_not_null(d, "%s.%s: %s", def->record, name,
                                           err);
                        decode_any(d, w, &ev);
                        dflt += strlen(key);
                        if (!strncmp(dflt, "null\n", 5))
                                assert_str(ev.str[drop], NULL, name);
                        else if (!strncmp(dflt, "true\n", 5))
                                cr_assert_eq(ev.num[drop], 1.0, "%s", name);
                        else if (!strncmp(dflt, "false\n", 6))
                                cr_assert_eq(ev.num[drop], 0.0, "%s", name);
                        else
                                cr_assert_eq(ev.num[drop], atof(dflt), "%s",
                                             name);
                        cw_decoder_destroy(d);
                        avro_schema_decref(w);
                }
        }
}

/* ---- single records (Kafka message values) ----------------------------- */

/* Encodes one record of `schema` from "name=value" words into buf. */
static size_t encode(avro_schema_t schema, const char *spec, char *buf,
                     size_t size) {
        avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
        avro_value_t rec;
        avro_writer_t w = avro_writer_memory(buf, (int64_t)size);
        size_t n;
        avro_generic_value_new(iface, &rec);
        set_fields(&rec, spec);
        cr_assert_eq(avro_value_write(w, &rec), 0, "%s", avro_strerror());
        n = (size_t)avro_writer_tell(w);
        avro_writer_free(w);
        avro_value_decref(&rec);
        avro_value_iface_decref(iface);
        return n;
}

static cw_decoder_t *new_decoder(cw_stream_t stream, avro_schema_t writer) {
        char err[512] = "";
        cw_decoder_t *d =
                cw_decoder_new(schemas, stream, writer, err, sizeof(err));
        cr_assert_not_null(d, "%s", err);
        return d;
}

Test(decoder, a_record_written_with_avro_value_write_round_trips) {
        char buf[256], err[512] = "";
        struct cw_event ev;
        size_t n = encode(ours(CW_STREAM_PURCHASE),
                          "event_id=e-1 customer_id=c-42 ts=1700000000000 "
                          "amount_cents=1999 currency=EUR channel=web",
                          buf, sizeof(buf));
        cw_decoder_t *d =
                new_decoder(CW_STREAM_PURCHASE, ours(CW_STREAM_PURCHASE));

        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), 0,
                     "%s", err);
        cr_assert_eq(ev.stream, CW_STREAM_PURCHASE);
        assert_str(ev.str[0], "e-1", "event_id");
        assert_str(ev.customer_id, "c-42", "customer_id");
        assert_str(ev.str[1], "c-42", "str[customer_id]");
        cr_assert_eq(ev.ts, 1700000000000);
        cr_assert_eq(ev.num[2], 1700000000000.0);
        cr_assert_eq(ev.num[3], 1999.0);
        assert_str(ev.str[4], "EUR", "currency");
        assert_str(ev.str[5], "web", "channel");

        /* The same decoder again: the union must not keep its old branch. */
        n = encode(ours(CW_STREAM_PURCHASE),
                   "event_id=e-2 customer_id=c-43 ts=1 amount_cents=0 "
                   "currency=SEK channel=null",
                   buf, sizeof(buf));
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), 0,
                     "%s", err);
        assert_str(ev.customer_id, "c-43", "customer_id");
        assert_str(ev.str[5], NULL, "channel");
        cw_decoder_destroy(d);
}

Test(decoder, every_truncation_of_a_record_is_an_error) {
        char buf[256], err[512];
        struct cw_event ev;
        size_t n = encode(ours(CW_STREAM_LOGIN),
                          "event_id=e1 customer_id=customer-1 ts=123456789 "
                          "session_seconds=99999 success=true device=android",
                          buf, sizeof(buf));
        cw_decoder_t *d = new_decoder(CW_STREAM_LOGIN, ours(CW_STREAM_LOGIN));

        for (size_t len = 0; len < n; len++) {
                err[0] = '\0';
                cr_assert_eq(
                        cw_decoder_decode(d, buf, len, &ev, err, sizeof(err)),
                        -1, "%zu of %zu bytes decoded", len, n);
                assert_contains(err, "not a Login record");
        }
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), 0,
                     "%s", err);
        assert_str(ev.str[5], "android", "device");
        cw_decoder_destroy(d);
}

Test(decoder, trailing_bytes_after_a_record_are_an_error) {
        char buf[256], err[512] = "";
        struct cw_event ev;
        size_t n = encode(ours(CW_STREAM_SURVEY),
                          "event_id=s1 customer_id=c1 ts=1 kind=NPS score=3 "
                          "comment=null",
                          buf, sizeof(buf));
        cw_decoder_t *d = new_decoder(CW_STREAM_SURVEY, ours(CW_STREAM_SURVEY));

        memcpy(buf + n, "\x02\x04", 2);
        cr_assert_eq(cw_decoder_decode(d, buf, n + 2, &ev, err, sizeof(err)),
                     -1);
        assert_contains(err, "2 trailing bytes");
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), 0,
                     "%s", err);
        cw_decoder_destroy(d);
}

Test(decoder, a_record_of_another_writer_schema_is_resolved) {
        avro_schema_t writer = parse_schema(
                "{'type':'record','name':'Survey','namespace':'old','fields':["
                "{'name':'comment','type':'string'},"
                "{'name':'kind','type':{'type':'enum','name':'SurveyKind',"
                "'symbols':['CSAT','CES','NPS','PULSE']}},"
                "{'name':'version','type':'int'},"
                "{'name':'customer_id','type':'string'},"
                "{'name':'score','type':'int'},"
                "{'name':'ts','type':'int'},"
                "{'name':'event_id','type':'string'}]}");
        char buf[256], err[512] = "";
        struct cw_event ev;
        cw_decoder_t *d = new_decoder(CW_STREAM_SURVEY, writer);
        size_t n = encode(writer,
                          "comment=fine kind=NPS version=3 customer_id=c5 "
                          "score=8 ts=77 event_id=s9",
                          buf, sizeof(buf));

        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), 0,
                     "%s", err);
        assert_str(ev.str[0], "s9", "event_id");
        assert_str(ev.customer_id, "c5", "customer_id");
        cr_assert_eq(ev.ts, 77, "int ts promoted to long");
        cr_assert_eq(ev.num[3], 0.0, "NPS is our symbol 0, the writer's 2");
        cr_assert_eq(ev.num[4], 8.0);
        assert_str(ev.str[5], "fine", "a plain string resolves to our union");

        n = encode(writer,
                   "comment=x kind=PULSE version=3 customer_id=c5 score=8 "
                   "ts=78 event_id=s10",
                   buf, sizeof(buf));
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), -1);
        assert_contains(err, "kind: PULSE is not a symbol of our SurveyKind");
        cw_decoder_destroy(d);
        avro_schema_decref(writer);
}

Test(decoder, invalid_records_are_errors_that_name_the_problem) {
        char buf[256], err[512] = "";
        struct cw_event ev;
        cw_decoder_t *d = new_decoder(CW_STREAM_TICKET, ours(CW_STREAM_TICKET));
        size_t n = encode(ours(CW_STREAM_TICKET),
                          "event_id=t1 customer_id= ts=1 ticket_id=T "
                          "status=OPENED category=c severity=1",
                          buf, sizeof(buf));
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), -1);
        cr_assert_str_eq(err, "customer_id is empty");

        n = encode(ours(CW_STREAM_TICKET),
                   "event_id=t1 customer_id=c ts=-86400000 ticket_id=T "
                   "status=OPENED category=c severity=1",
                   buf, sizeof(buf));
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), -1);
        cr_assert_str_eq(err, "ts -86400000 is negative");
        cw_decoder_destroy(d);
}

Test(decoder, an_enum_index_past_the_writer_symbols_is_an_error) {
        /* Our Survey record by hand: kind index 7 of 3 symbols. */
        static const char msg[] = {2, 's', 2, 'c', 2, 14 /* kind 7 */, 2, 0};
        char err[512] = "";
        struct cw_event ev;
        cw_decoder_t *d = new_decoder(CW_STREAM_SURVEY, ours(CW_STREAM_SURVEY));
        cr_assert_eq(
                cw_decoder_decode(d, msg, sizeof(msg), &ev, err, sizeof(err)),
                -1);
        assert_contains(err, "kind");
        cw_decoder_destroy(d);
}

Test(decoder, the_reader_cw_decoder_read_decodes_records_in_sequence) {
        char buf[512], err[512] = "";
        struct cw_event ev;
        size_t n = encode(ours(CW_STREAM_LOGIN),
                          "event_id=a customer_id=c1 ts=1 session_seconds=1 "
                          "success=true device=web",
                          buf, sizeof(buf));
        n += encode(ours(CW_STREAM_LOGIN),
                    "event_id=b customer_id=c2 ts=2 session_seconds=2 "
                    "success=false device=null",
                    buf + n, sizeof(buf) - n);
        avro_reader_t r = avro_reader_memory(buf, (int64_t)n);
        cw_decoder_t *d = new_decoder(CW_STREAM_LOGIN, ours(CW_STREAM_LOGIN));

        cr_assert_eq(cw_decoder_read(d, r, &ev, err, sizeof(err)), 0, "%s",
                     err);
        assert_str(ev.customer_id, "c1", "customer_id");
        assert_str(ev.str[5], "web", "device");
        cr_assert_eq(cw_decoder_read(d, r, &ev, err, sizeof(err)), 0, "%s",
                     err);
        assert_str(ev.customer_id, "c2", "customer_id");
        cr_assert_eq(ev.num[4], 0.0);
        assert_str(ev.str[5], NULL, "device");
        cr_assert_eq(cw_decoder_read(d, r, &ev, err, sizeof(err)), -1);
        assert_contains(err, "cannot read a Login record");
        avro_reader_free(r);
        cw_decoder_destroy(d);
}

Test(decoder, a_writer_record_of_another_stream_is_refused) {
        char err[512] = "";
        cr_assert_null(cw_decoder_new(schemas, CW_STREAM_PURCHASE,
                                      ours(CW_STREAM_LOGIN), err, sizeof(err)));
        assert_contains(err, "churnwatch.events.Login is not a Purchase");
}

Test(decoder, a_writer_enum_of_another_name_is_refused) {
        avro_schema_t writer = parse_schema(
                "{'type':'record','name':'SupportTicket','fields':"
                "[" COMMON_FIELDS ","
                "{'name':'ticket_id','type':'string'},"
                "{'name':'status','type':{'type':'enum','name':'State',"
                "'symbols':['OPENED']}},"
                "{'name':'category','type':'string'},"
                "{'name':'severity','type':'int'}]}");
        char err[512] = "";
        cr_assert_null(cw_decoder_new(schemas, CW_STREAM_TICKET, writer, err,
                                      sizeof(err)));
        assert_contains(err, "status");
        assert_contains(err, "TicketStatus");
        avro_schema_decref(writer);
}

Test(avro_input, a_damaged_sync_marker_stops_the_file_at_that_block) {
        enum { N = 3000 };
        static char text[N][128];
        static const char *recs[N];
        const char *path = in_dir("sync.avro");
        struct cw_event ev;
        char err[512];
        int rc, events = 0;
        FILE *f;

        for (int i = 0; i < N; i++) {
                snprintf(text[i], sizeof(text[i]),
                         "event_id=e%d customer_id=c%d ts=%d ticket_id=t "
                         "status=OPENED category=complaint severity=2",
                         i, i, i);
                recs[i] = text[i];
        }
        write_avro_c(path, "null", ours(CW_STREAM_TICKET), recs, N);
        /* The file ends with the last block's sync marker. */
        f = fopen(path, "r+b");
        fseek(f, -1, SEEK_END);
        int last = fgetc(f);
        fseek(f, -1, SEEK_END);
        fputc(last ^ 0xff, f);
        fclose(f);

        cw_avro_input_t *in = open_input(path);
        while ((rc = cw_avro_input_next(in, &ev, err, sizeof(err))) == 1)
                cr_assert_eq(ev.ts, events++, "records stay in order");
        cr_assert_eq(rc, -1);
        cr_assert(events > 0 && events < N, "%d events", events);
        assert_contains(err, path);
        cw_avro_input_close(in);
}

/* ---- hostile bytes (fuzz/, docs/fuzzing.md) ----------------------------
 * avro-c trusts every length and count it reads; the walk in front of it
 * (schemas/walk_int.h) must not. Records are written by hand here. */

static size_t put_long(char *p, int64_t v) {
        uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        size_t n = 0;
        do {
                p[n++] = (char)((u & 0x7f) | (u > 0x7f ? 0x80 : 0));
                u >>= 7;
        } while (u);
        return n;
}

static size_t put_str(char *p, const char *s) {
        size_t n = put_long(p, (int64_t)strlen(s));
        memcpy(p + n, s, strlen(s));
        return n + strlen(s);
}

/* A record of our `stream` schema: every string "x", every number 1 but
 * slot `slot`, which is `value` (a long), every union its string branch. */
static size_t hand_record(cw_stream_t stream, int slot, int64_t value,
                          char *buf) {
        const struct cw_stream_def *d = &cw_streams[stream];
        size_t n = 0;

        for (int i = 0; i < d->n_fields; i++) {
                const struct cw_field_def *f = &d->fields[i];
                if (f->type == CW_FIELD_STR && f->nullable)
                        n += put_long(buf + n, 1);
                if (i == slot)
                        n += put_long(buf + n, value);
                else if (f->type == CW_FIELD_STR)
                        n += put_str(buf + n, "x");
                else if (f->type == CW_FIELD_ENUM)
                        n += put_long(buf + n, 0);
                else if (f->type == CW_FIELD_BOOL)
                        buf[n++] = 1;
                else
                        n += put_long(buf + n, 1);
        }
        return n;
}

Test(decoder, a_negative_string_length_is_refused_before_avro_c_reads_it) {
        /* fuzz/regressions/decode/ticket-negative-string-length: the first
         * bug libFuzzer found, a length avro-c took for a size near 2^64. */
        char buf[64], err[512] = "";
        size_t n = hand_record(CW_STREAM_TICKET, 3, -2, buf);
        cw_decoder_t *d = new_decoder(CW_STREAM_TICKET, ours(CW_STREAM_TICKET));
        struct cw_event ev;

        cr_assert_eq(cw_fast_decode(CW_STREAM_TICKET, buf, n, &ev), -1);
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), -1);
        assert_contains(err, "ticket_id: string length -2 is negative");
        cw_decoder_destroy(d);
}

Test(decoder, an_int_field_is_read_as_an_int_by_both_readers) {
        /* Every number field of every stream: 2^31 is a long, no int. */
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                cw_decoder_t *d = new_decoder((cw_stream_t)s, ours(s));
                for (int i = 0; i < cw_streams[s].n_fields; i++) {
                        avro_schema_t t = avro_schema_record_field_get_by_index(
                                ours(s), i);
                        char buf[128], err[512] = "";
                        struct cw_event ev;
                        size_t n;
                        int want;
                        if (cw_streams[s].fields[i].type != CW_FIELD_NUM ||
                            i == CW_FIELD_TS)
                                continue;
                        n = hand_record((cw_stream_t)s, i, INT64_C(1) << 31,
                                        buf);
                        want = is_avro_int32(t) ? -1 : 0;
                        cr_assert_eq(cw_fast_decode(s, buf, n, &ev), want, "%s",
                                     cw_streams[s].fields[i].name);
                        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err,
                                                       sizeof(err)),
                                     want, "%s: %s",
                                     cw_streams[s].fields[i].name, err);
                        if (want)
                                assert_contains(err, "is out of range");
                }
                cw_decoder_destroy(d);
        }
}

Test(decoder, an_int_in_more_than_five_bytes_is_refused_by_both_readers) {
        /* fuzz/regressions/decode/login-int-in-six-bytes: the fast reader
         * took an int written in 6 bytes, which avro-c and the walk refuse
         * (an Avro int has at most 5). The same for an enum's index; 1 in
         * 5 bytes (continuation bits and zeros) is still an int. */
        static const struct {
                cw_stream_t stream;
                const char *bytes;
                size_t len;
                int want;
        } cases[] = {
                {CW_STREAM_LOGIN, "\x82\x80\x80\x80\x00", 5, 0},
                {CW_STREAM_LOGIN, "\x82\x80\x80\x80\x80\x00", 6, -1},
                {CW_STREAM_SURVEY, "\x82\x80\x80\x80\x00", 5, 0},
                {CW_STREAM_SURVEY, "\x82\x80\x80\x80\x80\x00", 6, -1},
        };

        for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
                cw_stream_t s = cases[k].stream;
                cw_decoder_t *d = new_decoder(s, ours(s));
                char one[128], buf[128], err[512] = "";
                /* Slot 3, session_seconds or kind, is byte 5 of hand_record:
                 * event_id "x", customer_id "x", ts 1 come first. */
                size_t n = hand_record(s, 3, 1, one);
                struct cw_event ev;

                cr_assert_eq(one[5], 2);
                memcpy(buf, one, 5);
                memcpy(buf + 5, cases[k].bytes, cases[k].len);
                memcpy(buf + 5 + cases[k].len, one + 6, n - 6);
                n += cases[k].len - 1;
                cr_assert_eq(cw_fast_decode(s, buf, n, &ev), cases[k].want,
                             "case %zu", k);
                cr_assert_eq(
                        cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)),
                        cases[k].want, "case %zu: %s", k, err);
                if (!cases[k].want)
                        cr_assert_eq(ev.num[3], 1);
                else
                        assert_contains(err, "a number longer than 5 bytes");
                cw_decoder_destroy(d);
        }
}

/* Our Purchase without channel (whose union and "x" take the last 3 bytes
 * of hand_record()), then a field of the writer's that we skip. */
static avro_schema_t purchase_and(const char *field_type) {
        char text[1024];
        snprintf(text, sizeof(text),
                 "{'type':'record','name':'Purchase','fields':["
                 "{'name':'event_id','type':'string'},"
                 "{'name':'customer_id','type':'string'},"
                 "{'name':'ts','type':'long'},"
                 "{'name':'amount_cents','type':'long'},"
                 "{'name':'currency','type':'string'},"
                 "{'name':'extra','type':%s}]}",
                 field_type);
        return parse_schema(text);
}

Test(decoder, more_items_than_bytes_are_refused) {
        /* An array of nulls takes no bytes per item: avro-c would loop. */
        avro_schema_t w = purchase_and("{'type':'array','items':'null'}");
        cw_decoder_t *d = new_decoder(CW_STREAM_PURCHASE, w);
        char buf[64], err[512] = "";
        struct cw_event ev;
        size_t n = hand_record(CW_STREAM_PURCHASE, -1, 0, buf) - 3;

        n += put_long(buf + n, INT64_C(1) << 40);
        n += put_long(buf + n, 0);
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), -1);
        assert_contains(err, "extra: 1099511627776 more items than a");
        n = hand_record(CW_STREAM_PURCHASE, -1, 0, buf) - 3;
        n += put_long(buf + n, 3);
        n += put_long(buf + n, 0);
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), 0,
                     "%s", err);
        cw_decoder_destroy(d);
        avro_schema_decref(w);
}

Test(decoder, values_nested_too_deep_are_refused) {
        avro_schema_t w =
                purchase_and("{'type':'record','name':'Node','fields':["
                             "{'name':'next','type':['null','Node']}]}");
        cw_decoder_t *d = new_decoder(CW_STREAM_PURCHASE, w);
        char buf[256], err[512] = "";
        struct cw_event ev;
        size_t n = hand_record(CW_STREAM_PURCHASE, -1, 0, buf) - 3;

        for (int i = 0; i < 100; i++)
                n += put_long(buf + n, 1);
        n += put_long(buf + n, 0);
        cr_assert_eq(cw_decoder_decode(d, buf, n, &ev, err, sizeof(err)), -1);
        assert_contains(err, "nested more than 64 deep");
        cw_decoder_destroy(d);
        avro_schema_decref(w);
}

Test(avro_input, a_bad_length_in_a_file_of_another_writer_fails_it_for_good) {
        /* Records of another writer schema are cut out by the walk: a
         * negative length stops the file there, avro-c never sees it. */
        avro_schema_t w = purchase_and("'string'");
        const char *recs[] = {
                "event_id=e1 customer_id=c1 ts=1 amount_cents=5 currency=EUR "
                "extra=fine",
                "event_id=e2 customer_id=c1 ts=2 amount_cents=5 currency=EUR "
                "extra=ZZZZ"};
        const char *path = in_dir("negative.avro");
        struct cw_event ev;
        char err[512], text[4096];
        size_t n;
        FILE *f;
        char *z;

        write_avro_c(path, "null", w, recs, 2);
        f = fopen(path, "r+b");
        n = fread(text, 1, sizeof(text), f);
        z = memmem(text, n, "ZZZZ", 4);
        cr_assert_not_null(z);
        fseek(f, z - text - 1, SEEK_SET);
        fputc(0x03, f); /* the length 4 becomes -2 */
        fclose(f);

        cw_avro_input_t *in = open_input(path);
        next_event(in, &ev);
        cr_assert_eq(cw_avro_input_next(in, &ev, err, sizeof(err)), -1);
        assert_contains(err, "record 1: the record's bytes do not decode");
        assert_contains(err, "extra: string length -2 is negative");
        cr_assert_eq(cw_avro_input_next(in, &ev, err, sizeof(err)), -1);
        cw_avro_input_close(in);
        avro_schema_decref(w);
}

Test(avro_input, a_codec_we_do_not_read_is_named) {
        const char *recs[] = {"event_id=e1 customer_id=c1 ts=1 "
                              "session_seconds=5 success=true device=null"};
        const char *path = in_dir("snappy.avro");
        char err[512];

        write_avro_c(path, "snappy", ours(CW_STREAM_LOGIN), recs, 1);
        open_fails(path, err, sizeof(err));
        assert_contains(err, "codec snappy is not supported (churnwatch "
                             "reads the null and deflate codecs)");
}

Test(avro_input, a_header_length_past_the_end_of_the_file_is_refused) {
        /* One metadata entry, avro.schema, of 2^40 bytes. */
        char text[64] = "Obj\x01";
        size_t n = 4;
        const char *path = in_dir("header.avro");
        char err[512];
        FILE *f;

        n += put_long(text + n, 1);
        n += put_str(text + n, "avro.schema");
        n += put_long(text + n, INT64_C(1) << 40);
        memcpy(text + n, "{\"type\":", 8);
        f = fopen(path, "wb");
        fwrite(text, 1, n + 8, f);
        fclose(f);
        open_fails(path, err, sizeof(err));
        assert_contains(err, "not a valid Avro container header");
}
