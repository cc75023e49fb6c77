/* schemas/encode.c: our events as Avro binary records, checked by
 * decoding them back with our own schema as the writer's. */
#include <criterion/criterion.h>

#include "test_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemas/decode.h"
#include "schemas/encode.h"

static cw_schemas_t *schemas;

static void setup(void) {
        schemas = schemas_or_fail();
}

static void teardown(void) {
        cw_schemas_destroy(schemas);
}

TestSuite(encoder, .init = setup, .fini = teardown);

/* ---- encoder ------------------------------------------------------- */

static cw_str_t str(const char *s) {
        return (cw_str_t){s, s ? strlen(s) : 0};
}

static struct cw_event event(cw_stream_t stream, const char *id,
                             const char *customer, int64_t ts) {
        struct cw_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.stream = stream;
        ev.ts = ts;
        ev.customer_id = str(customer);
        ev.str[CW_FIELD_EVENT_ID] = str(id);
        return ev;
}

/* Encodes ev, decodes it back with our own schema as the writer's, and
 * checks every field of the stream. */
static void round_trip(const struct cw_event *ev) {
        const struct cw_stream_def *def = &cw_streams[ev->stream];
        char err[512] = "";
        cw_event_encoder_t *enc =
                cw_event_encoder_new(schemas, ev->stream, err, sizeof(err));
        cw_decoder_t *dec;
        struct cw_event out;
        const void *buf;
        size_t len;

        cr_assert_not_null(enc, "%s", err);
        dec = cw_decoder_new(
                schemas, ev->stream,
                cw_schemas_get(schemas, (cw_schema_id_t)ev->stream), err,
                sizeof(err));
        cr_assert_not_null(dec, "%s", err);
        cr_assert_eq(cw_event_encode(enc, ev, &buf, &len, err, sizeof(err)), 0,
                     "%s", err);
        cr_assert_eq(cw_decoder_decode(dec, buf, len, &out, err, sizeof(err)),
                     0, "%s", err);
        cr_assert_eq(out.stream, ev->stream);
        cr_assert_eq(out.ts, ev->ts);
        cr_assert_eq(out.customer_id.len, ev->customer_id.len);
        cr_assert_arr_eq(out.customer_id.p, ev->customer_id.p,
                         ev->customer_id.len);
        for (int i = 3; i < def->n_fields; i++) {
                const struct cw_field_def *f = &def->fields[i];
                if (f->type != CW_FIELD_STR) {
                        cr_assert_eq(out.num[i], ev->num[i], "%s: %g != %g",
                                     f->name, out.num[i], ev->num[i]);
                        continue;
                }
                cr_assert_eq(!out.str[i].p, !ev->str[i].p, "%s nullness",
                             f->name);
                cr_assert_eq(out.str[i].len, ev->str[i].len, "%s", f->name);
                if (ev->str[i].p)
                        cr_assert_arr_eq(out.str[i].p, ev->str[i].p,
                                         ev->str[i].len, "%s", f->name);
        }
        cr_assert_eq(out.str[0].len, ev->str[0].len);
        cr_assert_arr_eq(out.str[0].p, ev->str[0].p, ev->str[0].len);
        cw_decoder_destroy(dec);
        cw_event_encoder_destroy(enc);
}

Test(encoder, purchases_round_trip_with_and_without_a_channel) {
        struct cw_event ev = event(CW_STREAM_PURCHASE, "p-1", "cust-0000042",
                                   1767225600123LL);
        ev.num[3] = 123456789012LL; /* a long beyond 2^32 */
        ev.str[4] = str("EUR");
        ev.str[5] = str("web");
        round_trip(&ev);
        ev.str[5] = str(NULL);
        ev.num[3] = -5;
        round_trip(&ev);
}

Test(encoder, logins_round_trip_with_false_success_and_a_null_device) {
        struct cw_event ev =
                event(CW_STREAM_LOGIN, "l-7", "cust-0000001", 1767225600000LL);
        ev.num[3] = 3600;
        ev.num[4] = 0;
        ev.str[5] = str(NULL);
        round_trip(&ev);
        ev.num[4] = 1;
        ev.str[5] = str("android");
        round_trip(&ev);
}

Test(encoder, tickets_round_trip_with_every_status) {
        struct cw_event ev =
                event(CW_STREAM_TICKET, "t-3", "cust-0000009", 1767225600000LL);
        ev.str[3] = str("tk-0000009-1");
        ev.str[5] = str("complaint");
        ev.num[6] = 4;
        for (int st = 0; st < 4; st++) {
                ev.num[4] = st;
                round_trip(&ev);
        }
}

Test(encoder, surveys_round_trip_with_every_kind_and_null_or_utf8_comments) {
        struct cw_event ev = event(CW_STREAM_SURVEY, "s-1", "cust-0000003", 0);
        for (int kind = 0; kind < 3; kind++) {
                ev.num[3] = kind;
                ev.num[4] = kind + 4;
                ev.str[5] =
                        str(kind == 1 ? NULL : "trop cher, d\xc3\xa9\xc3\xa7u");
                round_trip(&ev);
        }
        ev.str[5] = str(""); /* empty is not null */
        round_trip(&ev);
}

Test(encoder, a_record_bigger_than_the_buffer_grows_it) {
        static char big[20000];
        struct cw_event ev = event(CW_STREAM_SURVEY, "s-1", "c", 1);
        memset(big, 'x', sizeof(big) - 1);
        ev.str[5] = str(big);
        round_trip(&ev);
}

/* The sentence cw_event_encode gives when it refuses ev. */
static void encode_fails(const struct cw_event *ev, cw_stream_t as,
                         const char *expect) {
        char err[512] = "";
        const void *buf;
        size_t len;
        cw_event_encoder_t *enc =
                cw_event_encoder_new(schemas, as, err, sizeof(err));
        cr_assert_not_null(enc, "%s", err);
        cr_assert_eq(cw_event_encode(enc, ev, &buf, &len, err, sizeof(err)),
                     -1);
        cr_assert_not_null(strstr(err, expect), "'%s' lacks '%s'", err, expect);
        cw_event_encoder_destroy(enc);
}

Test(encoder, values_the_schema_cannot_hold_are_refused_by_name) {
        struct cw_event ev = event(CW_STREAM_LOGIN, "l-1", "c", 1);
        ev.num[3] = 3e9; /* session_seconds is an int */
        encode_fails(&ev, CW_STREAM_LOGIN, "session_seconds = 3e+09");
        ev.num[3] = 1.5;
        encode_fails(&ev, CW_STREAM_LOGIN, "session_seconds = 1.5");
        ev.num[3] = NAN;
        encode_fails(&ev, CW_STREAM_LOGIN, "session_seconds");
        ev.num[3] = 10;
        encode_fails(&ev, CW_STREAM_PURCHASE, "login event as a Purchase");
        ev.customer_id = str(NULL);
        encode_fails(&ev, CW_STREAM_LOGIN, "customer_id is null");

        ev = event(CW_STREAM_SURVEY, "s-1", "c", 1);
        ev.num[3] = 3; /* SurveyKind has three symbols */
        encode_fails(&ev, CW_STREAM_SURVEY, "kind = 3");
}

Test(encoder, an_unknown_stream_is_refused_and_destroy_accepts_null) {
        char err[256] = "";
        cr_assert_null(cw_event_encoder_new(schemas, CW_STREAM_COUNT, err,
                                            sizeof(err)));
        cr_assert_neq(err[0], '\0');
        cw_event_encoder_destroy(NULL);
}
