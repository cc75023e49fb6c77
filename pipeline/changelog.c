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

/* Messages taken from the reader at a time. */
#define BATCH 4096

/* A shard being restored. */
struct restore {
        int active;
        int filter; /* only records at or below committed */
        struct cw_positions committed;
        int64_t committed_time; /* INT64_MAX: unknown */
        cw_engine_t *e;
        struct cw_shard_meta meta; /* the latest applied */
        struct cw_restore_stats st;
        double start;
};

struct cw_changelog {
        rd_kafka_t *rk;
        rd_kafka_queue_t *q; /* the reader's messages */
        char topic[512];
        int partitions;
        struct restore *restores; /* [partitions] */
        int restoring;            /* active ones */
        uint64_t records;         /* read, every restore */
        uint64_t reading;         /* read by the restores in progress */
        int64_t told, shown;      /* monotonic ms of the last progress */
        rd_kafka_message_t *batch[BATCH];
        uint32_t hash[BATCH]; /* of each batch message's key */
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

void cw_changelog_encode_header(const struct cw_positions *p,
                                int64_t stream_time,
                                uint8_t out[CW_CHANGELOG_HEADER_LEN]) {
        cw_changelog_encode_offsets(p, out);
        put64(out + CW_CHANGELOG_OFFSETS_LEN, stream_time);
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
        /* A stream time no event can have would make the first event
         * sweep billions of days. */
        if (m->stream_time != CW_TIME_NONE &&
            (m->stream_time < 0 || m->stream_time > CW_TS_MAX))
                return -1;
        return 0;
}

/* Creates the topic (compacted, `partitions`, the cluster's replication
 * factor). 0, or -1 with a sentence. */
static int create_topic(cw_changelog_t *cl, int partitions, char *errstr,
                        size_t errstr_size) {
        rd_kafka_NewTopic_t *nt;
        rd_kafka_queue_t *q;
        rd_kafka_event_t *ev;
        char err[1024];
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
                /* Only when the beginning looked up has moved on. */
                {"auto.offset.reset", "earliest", CW_KAFKA_ALWAYS},
                {"fetch.wait.max.ms", "0", CW_KAFKA_ALWAYS},
                {"queued.max.messages.kbytes", "65536", CW_KAFKA_ALWAYS},
                {"max.partition.fetch.bytes", "8388608", CW_KAFKA_ALWAYS},
                /* librdkafka stops fetching once the queue all the
                 * partitions share holds this many messages, and looks
                 * again only a second later (see consumers/consumer.c). */
                {"queued.min.messages", "2000000", CW_KAFKA_ALWAYS},
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
        if (n == partitions &&
            !(cl->restores = calloc((size_t)n, sizeof(*cl->restores)))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_free;
        }
        cl->partitions = n;
        rd_kafka_poll_set_consumer(cl->rk);
        cl->q = rd_kafka_queue_get_consumer(cl->rk);
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
                if (cl->q)
                        rd_kafka_queue_destroy(cl->q);
                rd_kafka_consumer_close(cl->rk);
                rd_kafka_destroy(cl->rk);
        }
        free(cl->restores);
        free(cl);
}

/* Whether every offset of the record is at or below the committed one,
 * and its stream time (when it has one) at or below the committed one:
 * 1 or 0; -1 without the header. */
static int committed_record(const rd_kafka_message_t *m,
                            const struct restore *r) {
        rd_kafka_headers_t *h;
        const void *v;
        size_t len;
        struct cw_positions p;

        if (rd_kafka_message_headers(m, &h) ||
            rd_kafka_header_get_last(h, "churnwatch.offsets", &v, &len) ||
            (len != CW_CHANGELOG_OFFSETS_LEN && len != CW_CHANGELOG_HEADER_LEN))
                return -1;
        decode_offsets(v, &p);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (p.next[s] > r->committed.next[s])
                        return 0;
        if (len == CW_CHANGELOG_HEADER_LEN &&
            get64((const uint8_t *)v + CW_CHANGELOG_OFFSETS_LEN) >
                    r->committed_time)
                return 0;
        return 1;
}

/* Applies one record; 0, or -1 with a sentence. */
static int apply(cw_changelog_t *cl, const rd_kafka_message_t *m,
                 struct restore *r, char *errstr, size_t errstr_size) {
        char err[256];

        if (m->key_len == CW_CHANGELOG_META_KEY_LEN &&
            !memcmp(m->key, cw_changelog_meta_key, m->key_len)) {
                if (cw_changelog_decode_meta(m->payload, m->len, &r->meta) ==
                    0) {
                        r->st.metas++;
                        return 0;
                }
                snprintf(err, sizeof(err), "malformed shard metadata");
        } else if (!m->payload) {
                cw_engine_forget_customer(r->e, m->key, m->key_len);
                return 0;
        } else if (!cw_engine_decode_customer(r->e, m->payload, m->len, err,
                                              sizeof(err))) {
                return 0;
        }
        snprintf(errstr, errstr_size,
                 "topic %s [%" PRId32 "] offset %" PRId64 ": %s", cl->topic,
                 m->partition, m->offset, err);
        return -1;
}

/* Adds (or with `add` 0 removes) partition p to what the reader reads, from
 * its beginning. The beginning is looked up here, not left to librdkafka
 * as RD_KAFKA_OFFSET_BEGINNING: librdkafka 2.0.2 goes on fetching a
 * partition removed while its own lookup is in flight, into a queue no
 * one reads (consumers/group.c, look_up_starts). 0, or -1 with a
 * sentence. */
static int reassign(cw_changelog_t *cl, int p, int add, char *errstr,
                    size_t errstr_size) {
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t qe = RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_error_t *e = NULL;
        int64_t lo = 0, hi = 0;

        if (add)
                qe = rd_kafka_query_watermark_offsets(cl->rk, cl->topic, p, &lo,
                                                      &hi, TIMEOUT_MS);
        rd_kafka_topic_partition_list_add(l, cl->topic, p)->offset = lo;
        if (qe) {
                rd_kafka_topic_partition_list_destroy(l);
                snprintf(errstr, errstr_size,
                         "cannot read topic %s [%d]: its beginning: %s",
                         cl->topic, p, rd_kafka_err2str(qe));
                return -1;
        }
        e = add ? rd_kafka_incremental_assign(cl->rk, l)
                : rd_kafka_incremental_unassign(cl->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (!e)
                return 0;
        snprintf(errstr, errstr_size, "cannot %s topic %s [%d]: %s",
                 add ? "read" : "stop reading", cl->topic, p,
                 rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return -1;
}

int cw_changelog_start(cw_changelog_t *cl, int partition,
                       const struct cw_positions *committed,
                       int64_t committed_time, int filter, cw_engine_t *e,
                       char *errstr, size_t errstr_size) {
        struct restore *r = &cl->restores[partition];

        if (r->active)
                cw_changelog_cancel(cl, partition);
        memset(r, 0, sizeof(*r));
        r->filter = filter;
        r->committed = *committed;
        r->committed_time = committed_time;
        r->e = e;
        r->meta.stream_time = CW_TIME_NONE;
        r->meta.pos = *committed;
        r->start = cw_mono_s();
        if (reassign(cl, partition, 1, errstr, errstr_size))
                return -1;
        r->active = 1;
        cl->restoring++;
        return 0;
}

void cw_changelog_cancel(cw_changelog_t *cl, int partition) {
        struct restore *r = &cl->restores[partition];
        char err[1024];

        if (!r->active)
                return;
        r->active = 0;
        cl->restoring--;
        cl->reading -= r->st.records;
        if (reassign(cl, partition, 0, err, sizeof(err)))
                cw_warn("restore: %s", err);
}

int cw_changelog_restoring(const cw_changelog_t *cl) {
        return cl->restoring;
}

/* Partition p is read to its end: its shard is restored. */
static void finish(cw_changelog_t *cl, int p, cw_restored_cb *done,
                   void *opaque) {
        struct restore *r = &cl->restores[p];
        char err[1024];

        r->active = 0;
        cl->restoring--;
        cl->reading -= r->st.records;
        if (cl->progress)
                cl->progress(cl->progress_opaque, cl->reading);
        if (reassign(cl, p, 0, err, sizeof(err)))
                cw_warn("restore: %s", err);
        cw_engine_restored(r->e, r->meta.stream_time);
        r->st.customers = cw_engine_stats(r->e)->customers;
        r->st.seconds = cw_mono_s() - r->start;
        done(opaque, p, &r->meta, &r->st);
}

/* One record of a shard being restored; 0, or -1 with a sentence. */
static int take(cw_changelog_t *cl, struct restore *r,
                const rd_kafka_message_t *m, char *errstr, size_t errstr_size) {
        int ok = committed_record(m, r);

        if (ok >= 0 && !r->filter)
                ok = 1;
        r->st.records++;
        cl->records++;
        cl->reading++;
        if (ok < 0) {
                snprintf(errstr, errstr_size,
                         "topic %s [%d] offset %" PRId64
                         ": no churnwatch.offsets header",
                         cl->topic, m->partition, m->offset);
                return -1;
        }
        if (!ok) {
                r->st.skipped++;
                return 0;
        }
        return apply(cl, m, r, errstr, errstr_size);
}

/* One message of the reader; 0, or -1 with a sentence. */
static int dispatch(cw_changelog_t *cl, const rd_kafka_message_t *m,
                    cw_restored_cb *done, void *opaque, char *errstr,
                    size_t errstr_size) {
        struct restore *r = m->partition >= 0 && m->partition < cl->partitions
                                    ? &cl->restores[m->partition]
                                    : NULL;

        if (m->err && !m->rkt) {
                /* The client's, not a partition's (a broker down):
                 * librdkafka retries. */
                cw_warn("restore: %s", rd_kafka_message_errstr(m));
                return 0;
        }
        if (!r || !r->active)
                return 0; /* cancelled, or read before a new start */
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                finish(cl, m->partition, done, opaque);
                return 0;
        }
        if (m->err) {
                snprintf(errstr, errstr_size, "reading topic %s [%d]: %s",
                         cl->topic, m->partition, rd_kafka_message_errstr(m));
                return -1;
        }
        return take(cl, r, m, errstr, errstr_size);
}

/* The engine that message i of the batch restores into, or NULL. */
static cw_engine_t *engine_of(const cw_changelog_t *cl, int i) {
        const rd_kafka_message_t *m = cl->batch[i];

        if (m->err || !m->key || m->partition < 0 ||
            m->partition >= cl->partitions ||
            !cl->restores[m->partition].active)
                return NULL;
        return cl->restores[m->partition].e;
}

/* Batches are read in partition runs from a heap of shards that far
 * outgrows the caches: every record misses on its hash slot and its
 * customer. Hashing a batch's keys first lets the loop fetch the memory a
 * dozen records ahead, in the stages cw_engine_prefetch takes (the same
 * pipelining as replay's). */
static void hash_batch(cw_changelog_t *cl, int n) {
        for (int i = 0; i < n; i++)
                if (engine_of(cl, i))
                        cl->hash[i] = cw_engine_id_hash(cl->batch[i]->key,
                                                        cl->batch[i]->key_len);
}

static void prefetch(const cw_changelog_t *cl, int i, int stage, int n) {
        cw_engine_t *e;

        if (i < n && (e = engine_of(cl, i)))
                cw_engine_prefetch(e, cl->hash[i], stage);
}

/* Progress: to the caller every 100 ms, to the log every second. */
static void progress(cw_changelog_t *cl) {
        int64_t now = cw_mono_ms();

        if (cl->progress && now - cl->told >= 100) {
                cl->progress(cl->progress_opaque, cl->reading);
                cl->told = now;
        }
        if (now - cl->shown >= 1000) {
                cw_info("restore: %" PRIu64 " records read, %d shards still "
                        "restoring",
                        cl->records, cl->restoring);
                cl->shown = now;
        }
}

int cw_changelog_poll(cw_changelog_t *cl, int timeout_ms, cw_restored_cb *done,
                      void *opaque, char *errstr, size_t errstr_size) {
        ssize_t n = 0;
        int rc = 0;

        if (!cl->restoring)
                return 0;
        if (!cl->shown)
                cl->shown = cl->told = cw_mono_ms();
        /* Waits for one message only (a batch call waits for a full batch
         * until its timeout), then takes what is there in batches. */
        if (timeout_ms > 0) {
                rd_kafka_message_t *m =
                        rd_kafka_consume_queue(cl->q, timeout_ms);
                if (m) {
                        rc = dispatch(cl, m, done, opaque, errstr, errstr_size);
                        rd_kafka_message_destroy(m);
                }
        }
        while (!rc && cl->restoring &&
               (n = rd_kafka_consume_batch_queue(cl->q, 0, cl->batch, BATCH)) >
                       0) {
                hash_batch(cl, (int)n);
                for (ssize_t i = 0; i < n; i++) {
                        prefetch(cl, (int)i + 12, 0, (int)n);
                        prefetch(cl, (int)i + 8, 1, (int)n);
                        prefetch(cl, (int)i + 4, 2, (int)n);
                        if (!rc)
                                rc = dispatch(cl, cl->batch[i], done, opaque,
                                              errstr, errstr_size);
                        rd_kafka_message_destroy(cl->batch[i]);
                }
                if (n < BATCH)
                        break;
        }
        progress(cl);
        return rc;
}
