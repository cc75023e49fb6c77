/*
 * consumers/consumer.c against the embedded broker (librdkafka's mock
 * cluster, in this process): the merge order of a shard, bad records, and
 * the offsets a snapshot names.
 */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "config/config.h"
#include "consumers/consumer.h"
#include "devtools/broker.h"
#include "schemas/encode.h"
#include "test_util.h"

#define DAY INT64_C(86400000)
#define T0 (INT64_C(1767225600000)) /* 2026-01-01 */

static cw_config_t *cfg;
static cw_schemas_t *schemas;
static cw_broker_t *broker;
static rd_kafka_t *producer;
static int assigned;

static void setup(void) {
        struct cw_diags d;
        char err[512], group[64];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();

        cw_diags_init(&d);
        cfg = cw_config_load(
                CW_SOURCE_DIR "/tests/data/configs/good/contract.cfg", &d);
        cw_diags_free(&d);
        cr_assert_not_null(cfg);
        schemas = schemas_or_fail();
        broker = cw_broker_start(cfg, 2, 1, err, sizeof(err));
        cr_assert_not_null(broker, "%s", err);
        snprintf(group, sizeof(group), "test-%ld", (long)time(NULL));
        cr_assert_eq(cw_config_kafka_set(cfg, "bootstrap.servers",
                                         cw_broker_bootstraps(broker)),
                     0);
        cr_assert_eq(cw_config_kafka_set(cfg, "group.id", group), 0);
        cfg->max_idle_ms = 2000;
        cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers",
                                       cw_broker_bootstraps(broker), err,
                                       sizeof(err)),
                     RD_KAFKA_CONF_OK);
        producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        cr_assert_not_null(producer, "%s", err);
        assigned = 0;
}

static void teardown(void) {
        rd_kafka_destroy(producer);
        cw_broker_stop(broker);
        cw_schemas_destroy(schemas);
        cw_config_destroy(cfg);
}

static void produce_raw(cw_stream_t s, int partition, const char *key,
                        const void *value, size_t len) {
        cr_assert_eq(rd_kafka_producev(producer,
                                       RD_KAFKA_V_TOPIC(cfg->topics[s]),
                                       RD_KAFKA_V_PARTITION(partition),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_KEY(key, strlen(key)),
                                       RD_KAFKA_V_VALUE((void *)value, len),
                                       RD_KAFKA_V_END),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* One event of stream s for customer id at ts, with plausible fields. */
static void produce_event(cw_stream_t s, int partition, const char *id,
                          int64_t ts) {
        cw_event_encoder_t *enc;
        struct cw_event ev;
        const void *buf;
        size_t len;
        char err[256];

        memset(&ev, 0, sizeof(ev));
        ev.stream = s;
        ev.ts = ts;
        for (int f = 0; f < cw_streams[s].n_fields; f++) {
                ev.str[f].p = "x";
                ev.str[f].len = 1;
                ev.num[f] = 1;
        }
        ev.str[CW_FIELD_CUSTOMER_ID].p = id;
        ev.str[CW_FIELD_CUSTOMER_ID].len = strlen(id);
        ev.num[CW_FIELD_TS] = (double)ts;
        ev.customer_id = ev.str[CW_FIELD_CUSTOMER_ID];
        enc = cw_event_encoder_new(schemas, s, err, sizeof(err));
        cr_assert_not_null(enc, "%s", err);
        cr_assert_eq(cw_event_encode(enc, &ev, &buf, &len, err, sizeof(err)), 0,
                     "%s", err);
        produce_raw(s, partition, id, buf, len);
        cw_event_encoder_destroy(enc);
}

static int on_assigned(void *opaque, int shard,
                       const struct cw_shard_start *start) {
        (void)opaque;
        (void)shard;
        (void)start;
        assigned++;
        return 0;
}

static const struct cw_consumer_hooks hooks = {.assigned = on_assigned};

static int64_t mono_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Takes up to max records in processing order within 20 s. */
static int take(cw_consumer_t *k, struct cw_record *out, int64_t *offsets,
                const char **bad, int max) {
        char err[512];
        int n = 0, wait;
        int64_t until = mono_ms() + 20000;

        while (n < max && mono_ms() < until) {
                struct cw_record r;
                cr_assert_eq(cw_consumer_poll(k, 100, err, sizeof(err)), 0,
                             "%s", err);
                while (n < max && cw_consumer_next(k, mono_ms(), &r, &wait)) {
                        out[n] = r;
                        offsets[n] = r.msg->offset;
                        bad[n] = r.bad ? strdup(r.bad) : NULL;
                        n++;
                        cw_consumer_done(k, &r);
                }
        }
        return n;
}

/* Polls for up to 10 s until cw_consumer_at_end(k) is `want`. */
static int poll_until_at_end(cw_consumer_t *k, int want) {
        char err[512];
        int64_t until = mono_ms() + 10000;

        while (mono_ms() < until) {
                cr_assert_eq(cw_consumer_poll(k, 100, err, sizeof(err)), 0,
                             "%s", err);
                if (cw_consumer_at_end(k) == want)
                        return 1;
        }
        return 0;
}

TestSuite(consumer, .init = setup, .fini = teardown, .timeout = 60);

Test(consumer, merges_a_shards_four_partitions_by_ts_then_stream) {
        /* Partition 1 of every topic; produced out of ts order across
         * topics, in order within each. */
        struct {
                cw_stream_t s;
                int64_t ts;
        } in[] = {
                {CW_STREAM_SURVEY, T0 + 1 * DAY},
                {CW_STREAM_SURVEY, T0 + 5 * DAY},
                {CW_STREAM_LOGIN, T0 + 1 * DAY},
                {CW_STREAM_LOGIN, T0 + 3 * DAY},
                {CW_STREAM_PURCHASE, T0 + 2 * DAY},
                {CW_STREAM_PURCHASE, T0 + 3 * DAY},
                {CW_STREAM_TICKET, T0 + 1 * DAY},
        };
        /* Expected: ts ascending, ties purchase < login < ticket < survey. */
        const cw_stream_t want_s[] = {CW_STREAM_LOGIN,    CW_STREAM_TICKET,
                                      CW_STREAM_SURVEY,   CW_STREAM_PURCHASE,
                                      CW_STREAM_PURCHASE, CW_STREAM_LOGIN,
                                      CW_STREAM_SURVEY};
        const int64_t want_ts[] = {1, 1, 1, 2, 3, 3, 5};
        struct cw_record got[8];
        int64_t off[8];
        const char *bad[8];
        char err[512];
        cw_consumer_t *k;
        int n;

        for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
                produce_event(in[i].s, 1, "cust-1", in[i].ts);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        k = cw_consumer_new(cfg, schemas, NULL, &hooks, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        cr_assert_eq(cw_consumer_partitions(k), 2);
        n = take(k, got, off, bad, 7);
        cr_assert_eq(n, 7, "took %d records", n);
        cr_assert_eq(assigned, 2);
        for (int i = 0; i < n; i++) {
                cr_expect_eq(got[i].shard, 1);
                cr_expect_null(bad[i]);
                cr_expect_eq(got[i].stream, want_s[i], "record %d: stream %d",
                             i, got[i].stream);
                cr_expect_eq(got[i].ev.ts, T0 + want_ts[i] * DAY, "record %d",
                             i);
        }
        /* The empty partitions of shard 0 are at their end once their
         * EOF events are polled. */
        cr_expect(poll_until_at_end(k, 1));
        cw_consumer_destroy(k);
}

Test(consumer, hands_out_undecodable_and_invalid_records_as_bad) {
        static const unsigned char garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
        struct cw_record got[4];
        int64_t off[4];
        const char *bad[4];
        char err[512];
        cw_consumer_t *k;
        int n;

        produce_event(CW_STREAM_PURCHASE, 0, "cust-2", T0);
        produce_raw(CW_STREAM_PURCHASE, 0, "cust-2", garbage, sizeof(garbage));
        produce_event(CW_STREAM_PURCHASE, 0, "", T0 + 1);
        /* Ten years ahead of the wall clock: more than max_future. */
        produce_event(CW_STREAM_PURCHASE, 0, "cust-3",
                      (int64_t)time(NULL) * 1000 + 3650 * DAY);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        k = cw_consumer_new(cfg, schemas, NULL, &hooks, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        n = take(k, got, off, bad, 4);
        cr_assert_eq(n, 4);
        cr_expect_null(bad[0]);
        cr_expect_eq(off[0], 0);
        cr_assert_not_null(bad[1]);
        cr_expect_eq(off[1], 1);
        cr_assert_not_null(bad[2]);
        cr_expect(strstr(bad[2], "customer_id is empty"), "%s", bad[2]);
        cr_assert_not_null(bad[3]);
        cr_expect(strstr(bad[3], "max_future"), "%s", bad[3]);
        for (int i = 0; i < n; i++)
                free((void *)bad[i]);
        cw_consumer_destroy(k);
}

/* The offset of topic/partition in l, or -2 when it is not there. */
static int64_t offset_in(const rd_kafka_topic_partition_list_t *l,
                         const char *topic, int partition) {
        for (int i = 0; i < l->cnt; i++)
                if (!strcmp(l->elems[i].topic, topic) &&
                    l->elems[i].partition == partition)
                        return l->elems[i].offset;
        return -2;
}

Test(consumer, snapshot_names_the_next_offset_of_each_partition_done) {
        struct cw_record got[4];
        int64_t off[4];
        const char *bad[4];
        char err[512];
        rd_kafka_topic_partition_list_t *l;
        cw_consumer_t *k;

        produce_event(CW_STREAM_LOGIN, 0, "cust-4", T0);
        produce_event(CW_STREAM_LOGIN, 0, "cust-4", T0 + DAY);
        produce_event(CW_STREAM_TICKET, 1, "cust-5", T0);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        k = cw_consumer_new(cfg, schemas, NULL, &hooks, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        cr_assert_eq(take(k, got, off, bad, 3), 3);
        /* The first names every input: the group had no offsets, and the
         * starts looked up (auto.offset.reset) commit too. */
        l = cw_consumer_snapshot(k);
        cr_assert_not_null(l);
        cr_assert_eq(l->cnt, 2 * CW_STREAM_COUNT);
        for (int p = 0; p < 2; p++)
                for (int s = 0; s < CW_STREAM_COUNT; s++) {
                        int64_t want = s == CW_STREAM_LOGIN && p == 0    ? 2
                                       : s == CW_STREAM_TICKET && p == 1 ? 1
                                                                         : 0;
                        cr_expect_eq(offset_in(l, cfg->topics[s], p), want,
                                     "%s [%d]", cfg->topics[s], p);
                }
        cr_assert_eq(cw_consumer_commit(k, l, 1, err, sizeof(err)), 0, "%s",
                     err);
        /* Nothing new since: no snapshot. */
        cr_expect_null(cw_consumer_snapshot(k));
        /* Then only what was done since. */
        produce_event(CW_STREAM_SURVEY, 1, "cust-5", T0 + DAY);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        cr_assert_eq(take(k, got, off, bad, 1), 1);
        l = cw_consumer_snapshot(k);
        cr_assert_not_null(l);
        cr_assert_eq(l->cnt, 1);
        cr_expect_eq(offset_in(l, cfg->topics[CW_STREAM_SURVEY], 1), 1);
        rd_kafka_topic_partition_list_destroy(l);
        cw_consumer_destroy(k);
}

/*
 * With shard 1 read to its end: a purchase of day 3 arrives and is
 * buffered, then a login of day 2. Once librdkafka has fetched the login
 * (its cached high watermark moves on) but before it is polled, the shard
 * must wait for it: nothing may be handed out. Then both come in order.
 */
static void expect_wait_for_the_late_login(cw_consumer_t *k) {
        struct cw_record got[2], r;
        int64_t off[2];
        const char *bad[2];
        int wait;
        /* More than fetch.wait.max.ms, which the mock cluster holds an empty
         * fetch for: the fetch after that brings the login. */
        struct timespec fetched = {2, 0};

        produce_event(CW_STREAM_PURCHASE, 1, "cust-6", T0 + 3 * DAY);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        cr_assert(poll_until_at_end(k, 0), "the day-3 purchase never came");
        produce_event(CW_STREAM_LOGIN, 1, "cust-6", T0 + 2 * DAY);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        nanosleep(&fetched, NULL);
        cr_expect_not(cw_consumer_next(k, mono_ms(), &r, &wait),
                      "handed out stream %d ts %+.1f d before the day-2 "
                      "login the broker has",
                      r.stream, (double)(r.ev.ts - T0) / DAY);
        cr_assert_eq(take(k, got, off, bad, 2), 2);
        cr_expect_eq(got[0].stream, CW_STREAM_LOGIN);
        cr_expect_eq(got[0].ev.ts, T0 + 2 * DAY);
        cr_expect_eq(got[1].stream, CW_STREAM_PURCHASE);
        cr_expect_eq(got[1].ev.ts, T0 + 3 * DAY);
}

Test(consumer, waits_for_an_input_at_eof_whose_watermark_has_moved_on) {
        /* Partition 1: a purchase and a login of day 1, read to the end:
         * the logins' EOF is then stale once the day-2 login is fetched. */
        struct cw_record got[2];
        int64_t off[2];
        const char *bad[2];
        char err[512];
        cw_consumer_t *k;

        produce_event(CW_STREAM_PURCHASE, 1, "cust-6", T0 + DAY);
        produce_event(CW_STREAM_LOGIN, 1, "cust-6", T0 + DAY);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        k = cw_consumer_new(cfg, schemas, NULL, &hooks, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        cr_assert_eq(take(k, got, off, bad, 2), 2);
        cr_assert(poll_until_at_end(k, 1), "never at the end");
        expect_wait_for_the_late_login(k);
        cw_consumer_destroy(k);
}

Test(consumer, waits_for_an_input_that_was_caught_up_without_records) {
        /* As above, but the logins partition is empty at start: its first
         * EOF comes after the shard started waiting for it, and more than
         * max_idle_ms passes with every input caught up. */
        struct cw_record got[1];
        int64_t off[1];
        const char *bad[1];
        char err[512];
        cw_consumer_t *k;
        struct timespec idle = {2, 500000000};

        produce_event(CW_STREAM_PURCHASE, 1, "cust-6", T0 + DAY);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        k = cw_consumer_new(cfg, schemas, NULL, &hooks, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        cr_assert_eq(take(k, got, off, bad, 1), 1);
        cr_assert(poll_until_at_end(k, 1), "never at the end");
        nanosleep(&idle, NULL);
        cr_assert(poll_until_at_end(k, 1), "never at the end");
        expect_wait_for_the_late_login(k);
        cw_consumer_destroy(k);
}

/* Whether the file holds a line with `text`. */
static int file_has(FILE *f, const char *text) {
        char line[4096];
        rewind(f);
        while (fgets(line, sizeof(line), f))
                if (strstr(line, text))
                        return 1;
        return 0;
}

Test(consumer, never_leaves_a_start_for_librdkafka_to_look_up) {
        /* librdkafka 2.0.2 fetches a partition revoked while its own
         * lookup of a logical offset is in flight for good, into a queue
         * no one reads (bench/soak.sh saw its memory grow by its share of
         * the input): the consumer looks the starts of a new group up
         * itself and assigns numeric offsets. librdkafka's topic debug log
         * says when it looks one up. */
        struct cw_record got[2];
        int64_t off[2];
        const char *bad[2];
        char err[512];
        FILE *log = tmpfile();
        cw_consumer_t *k;

        cr_assert_not_null(log);
        produce_event(CW_STREAM_PURCHASE, 0, "cust-7", T0);
        produce_event(CW_STREAM_PURCHASE, 1, "cust-8", T0);
        cr_assert_eq(rd_kafka_flush(producer, 10000), 0);
        cr_assert_eq(cw_config_kafka_set(cfg, "debug", "topic"), 0);
        cw_log_setup(CW_LOG_DEBUG, CW_LOG_TEXT, log);
        k = cw_consumer_new(cfg, schemas, NULL, &hooks, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        cr_assert_eq(take(k, got, off, bad, 2), 2);
        cw_consumer_destroy(k);
        cw_log_setup(CW_LOG_INFO, CW_LOG_TEXT, stderr);
        fflush(log);
        cr_assert(file_has(log, "PARTSTATE"),
                  "no topic debug lines: the check would see nothing");
        cr_expect_not(file_has(log, "querying for logical offset"),
                      "librdkafka looked a start up");
        fclose(log);
}

static void poll_both(cw_consumer_t *a, cw_consumer_t *b, int ms) {
        char err[512];
        int64_t until = mono_ms() + ms;
        while (mono_ms() < until) {
                cw_consumer_poll(a, 50, err, sizeof(err));
                if (b)
                        cw_consumer_poll(b, 50, err, sizeof(err));
        }
}

Test(consumer, a_paused_input_flows_again_after_a_rebalance) {
        char err[512];
        cw_consumer_t *k, *k2;
        struct cw_record r;
        struct cw_consumer_stats st;
        int wait, n = 0;

        for (int i = 0; i < 60000; i++)
                produce_event(CW_STREAM_LOGIN, 0, "cust-1", T0 + DAY + i);
        cr_assert_eq(rd_kafka_flush(producer, 30000), 0);
        cw_config_kafka_set(cfg, "session.timeout.ms", "6000");
        cw_config_kafka_set(cfg, "heartbeat.interval.ms", "500");
        k = cw_consumer_new(cfg, schemas, NULL, &hooks, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        /* Buffer without processing until it pauses (a slow group join
         * on a loaded machine may take a while). The consumer pauses an
         * input once 50,000 records are buffered (HIGH_MARK), and no more
         * come after: when that record was the last of what a poll took
         * (a fetched message set ends there), exactly 50,000 are. */
        for (int64_t until = mono_ms() + 20000; mono_ms() < until;) {
                poll_both(k, NULL, 500);
                cw_consumer_stats(k, &st);
                if (st.buffered >= 50000)
                        break;
        }
        cw_consumer_stats(k, &st);
        cr_assert_geq(st.buffered, 50000,
                      "not enough buffered to pause: %llu records after "
                      "%d shard assignments",
                      (unsigned long long)st.buffered, assigned);
        k2 = cw_consumer_new(cfg, schemas, NULL, &hooks, err, sizeof(err));
        cr_assert_not_null(k2, "%s", err);
        poll_both(k, k2, 8000);
        cw_consumer_destroy(k2);
        for (int64_t until = mono_ms() + 30000; mono_ms() < until;) {
                poll_both(k, NULL, 500);
                cw_consumer_stats(k, &st);
                if (st.shards == 2)
                        break;
        }
        cw_consumer_stats(k, &st);
        cr_assert_eq(st.shards, 2, "the shards never came back");
        for (int64_t until = mono_ms() + 20000; mono_ms() < until;) {
                cw_consumer_poll(k, 50, err, sizeof(err));
                while (cw_consumer_next(k, mono_ms(), &r, &wait)) {
                        n++;
                        cw_consumer_done(k, &r);
                }
                if (n >= 60000)
                        break;
        }
        cr_expect_eq(n, 60000, "only %d of 60000 logins after the rebalance",
                     n);
        cw_consumer_destroy(k);
}
