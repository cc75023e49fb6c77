/*
 * consumers/merge.c: a shard's four input partitions merged into the
 * contract's processing order, with the wait for a silent input. Messages
 * are built here the way librdkafka hands them over (rd_kafka_message_t
 * with an Avro value made by our encoder); the high watermark the client
 * would report is set by each test.
 */
#include <criterion/criterion.h>

#include "test_util.h"
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "consumers/merge.h"
#include "schemas/decode.h"
#include "schemas/encode.h"

#define IDLE_MS 1000
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static cw_schemas_t *schemas;
static cw_decoder_t *decoders[CW_STREAM_COUNT];
static cw_event_encoder_t *encoders[CW_STREAM_COUNT];
/* What the client would report per stream; -1: no fetch response yet. */
static int64_t watermark[CW_STREAM_COUNT];
static int64_t next_offset[CW_STREAM_COUNT];
static int released;
static cw_merge_t *m;

static int64_t high_watermark(void *opaque, int stream, int partition) {
        cr_assert_eq(opaque, &watermark);
        cr_assert_eq(partition, 3, "the merge asked about partition %d",
                     partition);
        return watermark[stream];
}

static void release(rd_kafka_message_t *msg) {
        free(msg->payload);
        free(msg);
        released++;
}

static void setup(void) {
        char err[512] = "";
        struct cw_merge_env env = {.opaque = &watermark,
                                   .high_watermark = high_watermark,
                                   .release = release,
                                   .max_idle_ms = IDLE_MS,
                                   .max_future_ms = 86400000,
                                   .decoders = decoders};

        schemas = schemas_or_fail();
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                decoders[s] = cw_decoder_new(
                        schemas, (cw_stream_t)s,
                        cw_schemas_get(schemas, (cw_schema_id_t)s), err,
                        sizeof(err));
                encoders[s] = cw_event_encoder_new(schemas, (cw_stream_t)s, err,
                                                   sizeof(err));
                cr_assert(decoders[s] && encoders[s], "%s", err);
                watermark[s] = -1;
                next_offset[s] = 0;
        }
        released = 0;
        m = cw_merge_new(3, &env);
        cr_assert_not_null(m);
}

static void teardown(void) {
        cw_merge_destroy(m);
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                cw_decoder_destroy(decoders[s]);
                cw_event_encoder_destroy(encoders[s]);
        }
        cw_schemas_destroy(schemas);
}

TestSuite(merge, .init = setup, .fini = teardown);

/* A message of `stream` with `len` bytes of `value` at the next offset. */
static void push_bytes(cw_stream_t stream, const void *value, size_t len) {
        rd_kafka_message_t *msg = calloc(1, sizeof(*msg));
        cr_assert_not_null(msg);
        msg->partition = 3;
        msg->offset = next_offset[stream]++;
        msg->len = len;
        if (len) {
                msg->payload = malloc(len);
                memcpy(msg->payload, value, len);
        }
        cr_assert_eq(cw_merge_push(m, stream, msg), 0);
}

/* An event of `stream` for customer `id` at T0 + ts_s seconds. */
static void push(cw_stream_t stream, const char *id, int64_t ts_s) {
        struct cw_event ev;
        const void *buf;
        size_t len;
        char err[256];

        memset(&ev, 0, sizeof(ev));
        ev.stream = stream;
        ev.ts = T0 + ts_s * 1000;
        ev.customer_id = (cw_str_t){id, strlen(id)};
        ev.str[CW_FIELD_EVENT_ID] = (cw_str_t){"e", 1};
        if (stream == CW_STREAM_PURCHASE)
                ev.str[4] = (cw_str_t){"EUR", 3};
        if (stream == CW_STREAM_TICKET) {
                ev.str[3] = (cw_str_t){"t", 1};
                ev.str[5] = (cw_str_t){"billing", 7};
        }
        cr_assert_eq(cw_event_encode(encoders[stream], &ev, &buf, &len, err,
                                     sizeof(err)),
                     0, "%s", err);
        push_bytes(stream, buf, len);
}

/* Every input has fetched all the broker had: the watermark of the last
 * fetch response is where it is, and it saw its end there. */
static void all_caught_up(void) {
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                watermark[s] = next_offset[s];
                cw_merge_eof(m, (cw_stream_t)s, next_offset[s]);
        }
}

/* Every input but `except` saw its end (an EOF, no watermark yet). */
static void all_at_end_but(cw_stream_t except) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (s != (int)except)
                        cw_merge_eof(m, (cw_stream_t)s, next_offset[s]);
}

/* Takes the next record (which must exist) and pops it. */
static struct cw_record take(int64_t now) {
        struct cw_record r;
        int64_t offset;
        int wait = -1;
        cr_assert_eq(cw_merge_next(m, now, now, &r, &wait), 1,
                     "no record; wait %d ms", wait);
        cr_assert_eq(r.shard, 3);
        offset = r.msg->offset;
        cr_assert_eq(cw_merge_pop(m, r.stream), offset);
        r.msg = NULL; /* released by the pop */
        return r;
}

Test(merge, records_come_out_by_ts_across_the_four_inputs) {
        static const struct {
                cw_stream_t s;
                int64_t ts;
        } in[] = {{CW_STREAM_SURVEY, 1},   {CW_STREAM_LOGIN, 5},
                  {CW_STREAM_PURCHASE, 3}, {CW_STREAM_TICKET, 2},
                  {CW_STREAM_LOGIN, 7},    {CW_STREAM_PURCHASE, 9}};
        static const int64_t order[] = {1, 2, 3, 5, 7, 9};

        for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
                push(in[i].s, "c1", in[i].ts);
        all_caught_up();
        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
                struct cw_record r = take(1);
                cr_assert_null(r.bad, "%s", r.bad);
                cr_assert_eq(r.ev.ts, T0 + order[i] * 1000,
                             "record %zu: ts %lld", i, (long long)r.ev.ts);
        }
        cr_assert(cw_merge_at_end(m));
}

Test(merge, equal_ts_go_purchase_login_ticket_survey_then_by_offset) {
        static const cw_stream_t expect[] = {
                CW_STREAM_PURCHASE, CW_STREAM_LOGIN, CW_STREAM_LOGIN,
                CW_STREAM_TICKET, CW_STREAM_SURVEY};
        static const char *const ids[] = {"p", "first", "second", "t", "s"};
        push(CW_STREAM_SURVEY, "s", 10);
        push(CW_STREAM_TICKET, "t", 10);
        push(CW_STREAM_LOGIN, "first", 10);
        push(CW_STREAM_LOGIN, "second", 10);
        push(CW_STREAM_PURCHASE, "p", 10);
        all_caught_up();
        for (int i = 0; i < 5; i++) {
                struct cw_record r;
                int wait = -1;
                cr_assert_eq(cw_merge_next(m, 1, 1, &r, &wait), 1);
                cr_assert_eq(r.stream, expect[i], "record %d: stream %d", i,
                             r.stream);
                /* The id points into the message: read it before the pop. */
                cr_assert_eq(r.ev.customer_id.len, strlen(ids[i]));
                cr_assert_eq(memcmp(r.ev.customer_id.p, ids[i], strlen(ids[i])),
                             0, "record %d", i);
                cw_merge_pop(m, r.stream);
        }
}

Test(merge, an_input_behind_the_broker_holds_the_shard_however_long) {
        struct cw_record r;
        int wait = -1;

        push(CW_STREAM_PURCHASE, "c1", 1);
        all_caught_up();
        watermark[CW_STREAM_LOGIN] = 5; /* records on the broker, none here */
        cr_assert_eq(cw_merge_next(m, 10000, 10000, &r, &wait), 0);
        cr_assert_eq(wait, IDLE_MS);
        /* Far past max_idle_ms, with polls that brought nothing: their
         * fetch is slow, and processing past them would make them late. */
        wait = -1;
        cr_assert_eq(cw_merge_next(m, 10000 + 60 * IDLE_MS,
                                   10000 + 60 * IDLE_MS, &r, &wait),
                     0);
        cr_assert_eq(wait, IDLE_MS, "it looks again within max_idle_ms");
        cr_assert_eq(cw_merge_idle_waits(m), 0, "never given up on");
        cr_assert_eq(cw_merge_at_end(m), 0);
        push(CW_STREAM_LOGIN, "c1", 0);
        cr_assert_eq(take(80000).stream, CW_STREAM_LOGIN);
}

Test(merge, an_input_not_known_to_have_records_is_waited_for_max_idle_ms) {
        struct cw_record r;
        int wait = -1;

        push(CW_STREAM_PURCHASE, "c1", 1);
        /* The login input: no fetch answered yet, nothing looked up. */
        all_at_end_but(CW_STREAM_LOGIN);
        cr_assert_eq(cw_merge_next(m, 10000, 10000, &r, &wait), 0);
        cr_assert_eq(wait, IDLE_MS);
        wait = -1;
        cr_assert_eq(cw_merge_next(m, 10400, 10400, &r, &wait), 0);
        cr_assert_eq(wait, IDLE_MS - 400);
        /* Past the deadline, but no poll began after it: still waiting. */
        wait = -1;
        cr_assert_eq(cw_merge_next(m, 11500, 10900, &r, &wait), 0);
        cr_assert_eq(wait, 0);
        cr_assert_eq(cw_merge_idle_waits(m), 0);
        /* A poll begun past the deadline brought nothing: it gives up. */
        wait = -1;
        cr_assert_eq(cw_merge_next(m, 11500, 11001, &r, &wait), 1);
        cr_assert_eq(r.stream, CW_STREAM_PURCHASE);
        cr_assert_eq(wait, -1, "nothing waits any more");
        cr_assert_eq(cw_merge_idle_waits(m), 1);
}

Test(merge, the_end_looked_up_at_assignment_holds_the_shard_before_a_fetch) {
        struct cw_record r;
        int wait = -1;

        /* Assigned from offset 10, the broker holding records up to 40. */
        cw_merge_set_known(m, CW_STREAM_LOGIN, 10, 40);
        next_offset[CW_STREAM_LOGIN] = 10;
        push(CW_STREAM_PURCHASE, "c1", 1);
        all_at_end_but(CW_STREAM_LOGIN);
        cr_assert_eq(cw_merge_next(m, 10000, 10000, &r, &wait), 0);
        wait = -1;
        cr_assert_eq(cw_merge_next(m, 90000, 90000, &r, &wait), 0,
                     "no fetch answered, but records are on the broker");
        cr_assert_eq(cw_merge_idle_waits(m), 0);
        /* A partition EOF before them cannot say it is at its end. */
        cw_merge_eof(m, CW_STREAM_LOGIN, 10);
        cr_assert_eq(cw_merge_next(m, 90000, 90000, &r, &wait), 0);
        cr_assert_eq(cw_merge_at_end(m), 0);
        /* Its records up to 40 came (a watermark says 40 too). */
        next_offset[CW_STREAM_LOGIN] = 39;
        push(CW_STREAM_LOGIN, "c1", 0);
        watermark[CW_STREAM_LOGIN] = 40;
        cr_assert_eq(take(90000).stream, CW_STREAM_LOGIN);
        cr_assert_eq(take(90000).stream, CW_STREAM_PURCHASE);
        cr_assert(cw_merge_at_end(m));
}

Test(merge, a_record_arriving_restarts_the_wait_for_its_input) {
        struct cw_record r;
        int wait = -1;

        push(CW_STREAM_PURCHASE, "c1", 1);
        all_caught_up();
        watermark[CW_STREAM_LOGIN] = 2;
        cr_assert_eq(cw_merge_next(m, 10000, 10000, &r, &wait), 0);
        push(CW_STREAM_LOGIN, "c1", 0); /* offset 0 of 2: still behind */
        cr_assert_eq(take(10500).stream, CW_STREAM_LOGIN);
        wait = -1;
        cr_assert_eq(cw_merge_next(m, 10600, 10600, &r, &wait), 0);
        cr_assert_eq(wait, IDLE_MS, "the wait starts again when it empties");
}

Test(merge, without_a_fetch_response_the_partition_eof_tells_caught_up) {
        struct cw_record r;
        int wait = -1;

        push(CW_STREAM_LOGIN, "c1", 1);
        /* No watermark known: each input waits until it has seen its EOF. */
        cr_assert_eq(cw_merge_next(m, 100, 100, &r, &wait), 0);
        cr_assert_eq(wait, IDLE_MS);
        cw_merge_eof(m, CW_STREAM_PURCHASE, 0);
        cw_merge_eof(m, CW_STREAM_TICKET, 0);
        cr_assert_eq(cw_merge_next(m, 100, 100, &r, &wait), 0,
                     "the survey input has not been seen at its end");
        cw_merge_eof(m, CW_STREAM_SURVEY, 0);
        cr_assert_eq(take(100).stream, CW_STREAM_LOGIN);
        cr_assert_eq(cw_merge_at_end(m), 0,
                     "login has no EOF since its record");
        cw_merge_eof(m, CW_STREAM_LOGIN, 1);
        cr_assert(cw_merge_at_end(m));
}

Test(merge, a_newer_watermark_overrules_a_stale_eof) {
        struct cw_record r;
        int wait = -1;

        push(CW_STREAM_PURCHASE, "c1", 1);
        all_caught_up();
        cw_merge_eof(m, CW_STREAM_LOGIN, 0);
        watermark[CW_STREAM_LOGIN] = 1; /* a later fetch saw a record */
        cr_assert_eq(cw_merge_next(m, 100, 100, &r, &wait), 0);
        cr_assert_eq(wait, IDLE_MS);
}

Test(merge, a_bad_record_comes_out_first_even_while_the_shard_waits) {
        static const unsigned char junk[] = {0x01, 0x02};
        struct cw_record r;
        int wait = -1;

        push(CW_STREAM_PURCHASE, "c1", 1);
        push_bytes(CW_STREAM_TICKET, junk, sizeof(junk));
        push_bytes(CW_STREAM_SURVEY, NULL, 0);
        all_caught_up();
        watermark[CW_STREAM_LOGIN] = 3;
        cr_assert_eq(cw_merge_next(m, 100, 100, &r, &wait), 1);
        cr_assert_eq(r.stream, CW_STREAM_TICKET);
        cr_assert_not_null(r.bad);
        cr_assert_eq(cw_merge_pop(m, r.stream), 0);
        cr_assert_eq(cw_merge_next(m, 100, 100, &r, &wait), 1);
        cr_assert_eq(r.stream, CW_STREAM_SURVEY);
        cr_assert_not_null(strstr(r.bad, "no value; a Survey record"), "%s",
                           r.bad);
        cw_merge_pop(m, r.stream);
        cr_assert_eq(cw_merge_next(m, 100, 100, &r, &wait), 0,
                     "the good record still waits for the login input");
}

Test(merge, a_ts_beyond_max_future_or_an_empty_customer_id_is_bad) {
        struct cw_record r;
        int64_t ahead_s = (cw_wall_ms() - T0) / 1000 + 2 * 86400;

        push(CW_STREAM_PURCHASE, "c1", ahead_s);
        push(CW_STREAM_LOGIN, "", 1);
        all_caught_up();
        r = take(1);
        cr_assert_eq(r.stream, CW_STREAM_PURCHASE);
        cr_assert_not_null(r.bad);
        cr_assert_not_null(strstr(r.bad, "max_future"), "%s", r.bad);
        r = take(1);
        cr_assert_eq(r.stream, CW_STREAM_LOGIN);
        cr_assert_not_null(r.bad, "an empty customer_id must be refused");
}

Test(merge, a_reader_input_ends_at_its_fixed_end_whatever_the_broker_says) {
        struct cw_record r;
        int wait = -1;

        for (int s = 0; s < CW_STREAM_COUNT; s++)
                cw_merge_set_range(m, (cw_stream_t)s, 0, s == 0 ? 2 : 0);
        watermark[0] = watermark[1] = 100; /* more arrived since */
        cr_assert_eq(cw_merge_end(m, CW_STREAM_PURCHASE), 2);
        cr_assert_eq(cw_merge_next(m, 100, 100, &r, &wait), 0);
        cr_assert_eq(wait, IDLE_MS, "offsets 0 and 1 are still to come");
        push(CW_STREAM_PURCHASE, "c1", 1);
        push(CW_STREAM_PURCHASE, "c1", 2);
        take(100);
        take(100);
        cr_assert(cw_merge_at_end(m));
}

Test(merge, destroy_releases_every_buffered_message) {
        push(CW_STREAM_PURCHASE, "c1", 1);
        push(CW_STREAM_LOGIN, "c1", 1);
        push(CW_STREAM_LOGIN, "c1", 2);
        cr_assert_eq(cw_merge_buffered(m, CW_STREAM_LOGIN), 2);
        cw_merge_destroy(m);
        m = NULL;
        cr_assert_eq(released, 3);
}

Test(merge, a_fifo_grows_past_its_first_capacity_in_order) {
        for (int i = 0; i < 600; i++)
                push(CW_STREAM_LOGIN, "c1", i);
        all_caught_up();
        for (int i = 0; i < 600; i++)
                cr_assert_eq(take(1).ev.ts, T0 + i * 1000LL);
        cr_assert_eq(released, 600);
}

/* A decode hook as a Schema Registry framing would be: values "W" wait
 * (their schema is on its way) while `waiting` is set; any other value is
 * an event whose customer_id lives in a buffer the hook reuses on its
 * next call, as a shared decoder's strings do. */
static int waiting;
static char lent[64];

static int lending_decode(void *opaque, cw_stream_t stream, const void *value,
                          size_t len, struct cw_event *ev, char *why,
                          size_t why_size) {
        (void)opaque;
        (void)why;
        (void)why_size;
        if (len == 1 && *(const char *)value == 'W' && waiting)
                return 1;
        memset(ev, 0, sizeof(*ev));
        ev->stream = stream;
        ev->ts = T0 + 1000;
        snprintf(lent, sizeof(lent), "lent-%d", (int)stream);
        ev->customer_id = (cw_str_t){lent, strlen(lent)};
        ev->str[CW_FIELD_CUSTOMER_ID] = ev->customer_id;
        ev->str[CW_FIELD_EVENT_ID] = ev->customer_id;
        if (stream == CW_STREAM_PURCHASE)
                ev->str[4] = ev->customer_id;
        if (stream == CW_STREAM_TICKET)
                ev->str[3] = ev->str[5] = ev->customer_id;
        return 0;
}

static void use_hook(void) {
        struct cw_merge_env env = {.opaque = &watermark,
                                   .high_watermark = high_watermark,
                                   .release = release,
                                   .max_idle_ms = IDLE_MS,
                                   .max_future_ms = 86400000,
                                   .decoders = decoders,
                                   .decode = lending_decode};
        cw_merge_destroy(m);
        m = cw_merge_new(3, &env);
        cr_assert_not_null(m);
}

Test(merge, strings_a_decoder_lends_are_kept_while_the_event_waits) {
        struct cw_record r;
        int wait = -1;

        use_hook();
        push_bytes(CW_STREAM_PURCHASE, "x", 1);
        push_bytes(CW_STREAM_LOGIN, "x", 1);
        all_caught_up();
        /* Both heads are decoded before either is handed out; the second
         * decode overwrote what the first one lent. */
        for (int s = 0; s < 2; s++) {
                char want[16];
                cr_assert_eq(cw_merge_next(m, 1, 1, &r, &wait), 1);
                snprintf(want, sizeof(want), "lent-%d", (int)r.stream);
                cr_assert_eq(r.ev.customer_id.len, strlen(want));
                cr_assert_eq(memcmp(r.ev.customer_id.p, want, strlen(want)), 0,
                             "stream %d's id was overwritten: %.*s", r.stream,
                             (int)r.ev.customer_id.len, r.ev.customer_id.p);
                cw_merge_pop(m, r.stream);
        }
}

Test(merge, a_value_that_cannot_be_decoded_yet_holds_the_shard) {
        struct cw_record r;
        int wait = -1;

        use_hook();
        waiting = 1;
        push_bytes(CW_STREAM_LOGIN, "W", 1);
        push_bytes(CW_STREAM_PURCHASE, "x", 1);
        all_caught_up();
        cr_assert_eq(cw_merge_next(m, 1, 1, &r, &wait), 0,
                     "a record went out while the login head waits");
        cr_assert(wait > 0 && wait <= 10, "looks again in %d ms", wait);
        cr_assert_eq(cw_merge_at_end(m), 0);
        waiting = 0;
        cr_assert_eq(cw_merge_next(m, 1, 1, &r, &wait), 1);
        cw_merge_pop(m, r.stream);
        cr_assert_eq(cw_merge_next(m, 1, 1, &r, &wait), 1);
        cw_merge_pop(m, r.stream);
        cr_assert(cw_merge_at_end(m));
}

Test(merge, a_queue_emptied_after_a_catch_up_starts_afresh) {
        /* More than the 4,096 records an emptied queue keeps room for:
         * its array is freed when it empties, and the next record gets a
         * new one. */
        for (int i = 0; i < 5000; i++)
                push(CW_STREAM_LOGIN, "c1", i);
        all_caught_up();
        for (int i = 0; i < 5000; i++)
                cr_assert_eq(take(100).ev.ts, T0 + i * 1000LL, "record %d", i);
        for (int i = 0; i < 3; i++)
                push(CW_STREAM_LOGIN, "c2", 6000 + i);
        all_caught_up();
        for (int i = 0; i < 3; i++)
                cr_assert_eq(take(100).ev.ts, T0 + (6000 + i) * 1000LL);
        cr_assert_eq(released, 5003);
        cr_assert(cw_merge_at_end(m));
}
