#include "changelog.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "kafka/client.h"

#define META_VERSION 1
#define TIMEOUT_MS 15000

/* "churnwatch.shard-metadata" and dots up to 257 bytes: a customer_id
 * has at most 256. */
const char cw_changelog_meta_key[CW_CHANGELOG_META_KEY_LEN + 1] =
        "churnwatch.shard-metadata"
        "................................................................"
        "................................................................"
        "................................................................"
        "........................................";

struct cw_changelog {
        rd_kafka_t *rk;
        char topic[512];
        void (*progress)(void *opaque, uint64_t records);
        void *progress_opaque;
};

void cw_changelog_on_progress(cw_changelog_t *cl,
                              void (*fn)(void *opaque, uint64_t records),
                              void *opaque) {
        cl->progress = fn;
        cl->progress_opaque = opaque;
}

static void put64(uint8_t *p, int64_t v) {
        for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
                p[i] = (uint8_t)v;
}

static int64_t get64(const uint8_t *p) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
                v = v << 8 | p[i];
        return (int64_t)v;
}

void cw_changelog_encode_offsets(const struct cw_positions *p,
                                 uint8_t out[CW_CHANGELOG_OFFSETS_LEN]) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                put64(out + 8 * s, p->next[s]);
}

static void decode_offsets(const uint8_t *in, struct cw_positions *p) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                p->next[s] = get64(in + 8 * s);
}

void cw_changelog_encode_meta(const struct cw_shard_meta *m,
                              uint8_t out[CW_CHANGELOG_META_LEN]) {
        out[0] = META_VERSION;
        put64(out + 1, m->stream_time);
        put64(out + 9, (int64_t)m->applied);
        cw_changelog_encode_offsets(&m->pos, out + 17);
}

int cw_changelog_decode_meta(const uint8_t *buf, size_t len,
                             struct cw_shard_meta *m) {
        if (len != CW_CHANGELOG_META_LEN || buf[0] != META_VERSION)
                return -1;
        m->stream_time = get64(buf + 1);
        m->applied = (uint64_t)get64(buf + 9);
        decode_offsets(buf + 17, &m->pos);
        return 0;
}

/* Creates the topic (compacted, `partitions`, the cluster's replication
 * factor). 0, or -1 with a sentence. */
static int create_topic(cw_changelog_t *cl, int partitions, char *errstr,
                        size_t errstr_size) {
        rd_kafka_NewTopic_t *nt;
        rd_kafka_queue_t *q;
        rd_kafka_event_t *ev;
        char err[512];
        int rc = -1;

        if (!(nt = rd_kafka_NewTopic_new(cl->topic, partitions, -1, err,
                                         sizeof(err)))) {
                snprintf(errstr, errstr_size, "topic %s: %s", cl->topic, err);
                return -1;
        }
        rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
        q = rd_kafka_queue_new(cl->rk);
        rd_kafka_CreateTopics(cl->rk, &nt, 1, NULL, q);
        ev = rd_kafka_queue_poll(q, TIMEOUT_MS);
        if (!ev) {
                snprintf(errstr, errstr_size,
                         "state changelog topic %s does not exist and the "
                         "cluster did not answer the request to create it "
                         "within %d s: create it with %d partitions and "
                         "cleanup.policy=compact",
                         cl->topic, TIMEOUT_MS / 1000, partitions);
        } else if (rd_kafka_event_error(ev)) {
                snprintf(errstr, errstr_size,
                         "cannot create the state changelog topic %s: %s",
                         cl->topic, rd_kafka_event_error_string(ev));
        } else {
                size_t n;
                const rd_kafka_topic_result_t **r =
                        rd_kafka_CreateTopics_result_topics(
                                rd_kafka_event_CreateTopics_result(ev), &n);
                rd_kafka_resp_err_t e =
                        n == 1 ? rd_kafka_topic_result_error(r[0])
                               : RD_KAFKA_RESP_ERR__FAIL;
                if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                        snprintf(errstr, errstr_size,
                                 "cannot create the state changelog topic "
                                 "%s: %s",
                                 cl->topic, rd_kafka_err2str(e));
                else
                        rc = 0;
        }
        if (!rc)
                cw_info("changelog: created topic %s (%d partitions, "
                        "compacted)",
                        cl->topic, partitions);
        if (ev)
                rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy(nt);
        return rc;
}

cw_changelog_t *cw_changelog_open(const cw_config_t *c, int partitions,
                                  char *errstr, size_t errstr_size) {
        cw_changelog_t *cl = calloc(1, sizeof(*cl));
        char group[600];
        /* A reader of its own that assigns partitions and so never joins
         * a group (librdkafka wants a group.id for that all the same) nor
         * commits, and reads only committed transactions. A bulk read: no
         * fetch should wait for more data (the mock cluster answers a
         * fetch only when fetch.wait.max.ms runs out). */
        const struct cw_kafka_setting settings[] = {
                {"group.id", group, CW_KAFKA_ALWAYS},
                {"isolation.level", "read_committed", CW_KAFKA_ALWAYS},
                {"enable.partition.eof", "true", CW_KAFKA_ALWAYS},
                {"enable.auto.commit", "false", CW_KAFKA_ALWAYS},
                {"fetch.wait.max.ms", "10", CW_KAFKA_ALWAYS},
                {"queued.max.messages.kbytes", "65536", CW_KAFKA_ALWAYS},
                {NULL, NULL, CW_KAFKA_ALWAYS}};
        int n;

        if (!cl) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        cw_config_state_topic(c, cl->topic, sizeof(cl->topic));
        snprintf(group, sizeof(group), "%s-restore", cl->topic);
        if (!(cl->rk = cw_kafka_new(c, RD_KAFKA_CONSUMER, settings, NULL,
                                    errstr, errstr_size)))
                goto out_free;
        if ((n = cw_kafka_partitions(cl->rk, cl->topic, TIMEOUT_MS, NULL,
                                     errstr, errstr_size)) < 0)
                goto out_free;
        if (n == 0 && create_topic(cl, partitions, errstr, errstr_size))
                goto out_free;
        if (n == 0 && (n = cw_kafka_partitions(cl->rk, cl->topic, TIMEOUT_MS,
                                               NULL, errstr, errstr_size)) < 0)
                goto out_free;
        if (n != partitions) {
                snprintf(errstr, errstr_size,
                         "the state changelog topic %s has %d partitions and "
                         "the input topics %d: it must be co-partitioned "
                         "with them (delete it, or use another group_id)",
                         cl->topic, n, partitions);
                goto out_free;
        }
        return cl;
out_free:
        cw_changelog_close(cl);
        return NULL;
}

void cw_changelog_close(cw_changelog_t *cl) {
        if (!cl)
                return;
        if (cl->rk) {
                rd_kafka_consumer_close(cl->rk);
                rd_kafka_destroy(cl->rk);
        }
        free(cl);
}

/* Whether every offset of the record is at or below the committed one. */
static int committed_record(const rd_kafka_message_t *m,
                            const struct cw_positions *committed) {
        rd_kafka_headers_t *h;
        const void *v;
        size_t len;
        struct cw_positions p;

        if (rd_kafka_message_headers(m, &h) ||
            rd_kafka_header_get_last(h, "churnwatch.offsets", &v, &len) ||
            len != CW_CHANGELOG_OFFSETS_LEN)
                return -1;
        decode_offsets(v, &p);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (p.next[s] > committed->next[s])
                        return 0;
        return 1;
}

/* Applies one record; 0, or -1 with a sentence. */
static int apply(cw_changelog_t *cl, const rd_kafka_message_t *m,
                 cw_engine_t *e, struct cw_shard_meta *meta, char *errstr,
                 size_t errstr_size) {
        char err[256];

        if (m->key_len == CW_CHANGELOG_META_KEY_LEN &&
            !memcmp(m->key, cw_changelog_meta_key, m->key_len)) {
                if (cw_changelog_decode_meta(m->payload, m->len, meta) == 0)
                        return 0;
                snprintf(err, sizeof(err), "malformed shard metadata");
        } else if (!m->payload) {
                cw_engine_forget_customer(e, m->key, m->key_len);
                return 0;
        } else if (!cw_engine_decode_customer(e, m->payload, m->len, err,
                                              sizeof(err))) {
                return 0;
        }
        snprintf(errstr, errstr_size,
                 "topic %s [%" PRId32 "] offset %" PRId64 ": %s", cl->topic,
                 m->partition, m->offset, err);
        return -1;
}

/* The reader reads `partition` from its beginning. 0, or -1 with a
 * sentence. */
static int read_from_start(cw_changelog_t *cl, int partition, char *errstr,
                           size_t errstr_size) {
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t ke;

        rd_kafka_topic_partition_list_add(l, cl->topic, partition)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
        ke = rd_kafka_assign(cl->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (ke) {
                snprintf(errstr, errstr_size, "cannot read topic %s [%d]: %s",
                         cl->topic, partition, rd_kafka_err2str(ke));
                return -1;
        }
        return 0;
}

int cw_changelog_restore(cw_changelog_t *cl, int partition,
                         const struct cw_positions *committed, int filter,
                         cw_engine_t *e, struct cw_shard_meta *meta,
                         struct cw_restore_stats *st, char *errstr,
                         size_t errstr_size) {
        int64_t lo = 0, hi = 0, shown = cw_mono_ms(), told = shown;
        double start = cw_mono_s();
        rd_kafka_resp_err_t ke;
        int rc = 0, done = 0;

        memset(st, 0, sizeof(*st));
        meta->stream_time = CW_TIME_NONE;
        meta->applied = 0;
        meta->pos = *committed;
        if ((ke = rd_kafka_query_watermark_offsets(cl->rk, cl->topic, partition,
                                                   &lo, &hi, TIMEOUT_MS))) {
                snprintf(errstr, errstr_size,
                         "cannot read the offsets of topic %s [%d]: %s",
                         cl->topic, partition, rd_kafka_err2str(ke));
                return -1;
        }
        if (hi > lo && read_from_start(cl, partition, errstr, errstr_size))
                return -1;
        /* Up to the end: a partition EOF (read_committed: the last stable
         * offset), or the high watermark seen before. */
        while (hi > lo && !done && !rc) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(cl->rk, 100);
                int64_t now = cw_mono_ms();
                if (cl->progress && now - told >= 100) {
                        cl->progress(cl->progress_opaque, st->records);
                        told = now;
                }
                if (now - shown >= 1000) {
                        cw_info("restore: shard %d: %" PRIu64 " of about "
                                "%" PRId64 " records",
                                partition, st->records, hi - lo);
                        shown = now;
                }
                if (!m) {
                        if (cw_mono_s() - start > 600) {
                                snprintf(errstr, errstr_size,
                                         "topic %s [%d]: no end reached in "
                                         "10 minutes",
                                         cl->topic, partition);
                                rc = -1;
                        }
                        continue;
                }
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        done = 1;
                } else if (m->err && !m->rkt) {
                        /* The client's, not the partition's (a broker
                         * down): librdkafka retries; so does this loop. */
                        cw_warn("restore: shard %d: %s", partition,
                                rd_kafka_message_errstr(m));
                } else if (m->err) {
                        snprintf(errstr, errstr_size,
                                 "reading topic %s [%d]: %s", cl->topic,
                                 partition, rd_kafka_message_errstr(m));
                        rc = -1;
                } else {
                        int ok = committed_record(m, committed);
                        if (ok >= 0 && !filter)
                                ok = 1;
                        st->records++;
                        if (ok < 0) {
                                snprintf(errstr, errstr_size,
                                         "topic %s [%d] offset %" PRId64
                                         ": no churnwatch.offsets header",
                                         cl->topic, partition, m->offset);
                                rc = -1;
                        } else if (!ok) {
                                st->skipped++;
                        } else {
                                rc = apply(cl, m, e, meta, errstr, errstr_size);
                        }
                        done = m->offset >= hi - 1;
                }
                rd_kafka_message_destroy(m);
        }
        if (hi > lo)
                rd_kafka_assign(cl->rk, NULL);
        if (rc)
                return -1;
        cw_engine_restored(e, meta->stream_time);
        st->customers = cw_engine_stats(e)->customers;
        st->seconds = cw_mono_s() - start;
        return 0;
}
