#include "consumer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "kafka/client.h"
#include "schemas/decode.h"
#include "schemas/fastread.h"

/* Messages taken from librdkafka per poll. */
#define BATCH 2048
/* A partition with this many records buffered is paused until it is down
 * to LOW_MARK: memory stays bounded when one input runs ahead of the
 * others (about 300 bytes a buffered message). */
#define HIGH_MARK 50000
#define LOW_MARK 10000
/* How long the consumer queue must stay empty before a poll returns. */
#define QUIET_US 300
/* ... but no longer than this in all. */
#define SETTLE_MAX_US 1000
/* Records taken from one shard before the next gets its turn. */
#define SHARD_BUDGET 4096

/* One input partition of a shard: a FIFO of fetched messages. */
struct input {
        rd_kafka_message_t **q;
        size_t cap, head, n;
        int eof; /* seen at its end since its last record */
        int paused;
        int64_t empty_since; /* ms the shard started waiting for it; 0 */
        int decoded;         /* q[head] decoded into ev, or found bad */
        struct cw_event ev;
        const char *bad;
        char bad_buf[512];
        int64_t end;         /* reader: offsets from here are not read;
                                -1 in a group */
        int64_t received;    /* fetched up to (after the last record, or
                                where the last partition EOF was); -1: none */
        int64_t next_offset; /* after the last record done; -1: none */
        int64_t snapshot;    /* next_offset at the last snapshot */
};

struct shard {
        int partition;
        int64_t last_rx;
        int64_t start[CW_STREAM_COUNT]; /* committed offsets at assignment */
        struct input in[CW_STREAM_COUNT];
};

struct cw_consumer {
        const cw_config_t *c;
        struct cw_consumer_hooks hooks;
        rd_kafka_t *rk;
        rd_kafka_queue_t *q;
        int partitions;
        struct shard **shards; /* [partitions]: NULL when not ours */
        int rr, budget;        /* shard whose turn it is, and what is left */
        cw_decoder_t *decoder[CW_STREAM_COUNT]; /* to explain bad records */
        rd_kafka_message_t *batch[BATCH];
        int group; /* a group member, not a reader */
        rd_kafka_topic_t *rkt[CW_STREAM_COUNT]; /* our topics' handles */
        int64_t last_poll; /* monotonic ms the last poll began */
        int64_t on_broker; /* reader of shard 0: records in all partitions */
        int fatal;
        char fatal_err[512];
        uint64_t bad, idle_waits;
};

static int stream_of(const cw_consumer_t *k, const char *topic) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (!strcmp(k->c->topics[s], topic))
                        return s;
        return -1;
}

/* A message's stream by its topic handle: librdkafka has one per topic and
 * client, and k->rkt holds a reference to each of ours, so comparing
 * pointers is enough; no name comparison per message. */
static int stream_of_rkt(const cw_consumer_t *k, const rd_kafka_topic_t *rkt) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (k->rkt[s] == rkt)
                        return s;
        return -1;
}

static void fail(cw_consumer_t *k, const char *fmt, const char *detail) {
        if (!k->fatal)
                snprintf(k->fatal_err, sizeof(k->fatal_err), fmt, detail);
        k->fatal = 1;
}

/* ---- shards ---------------------------------------------------------------
 */

static void input_drop(struct input *in) {
        for (; in->n; in->n--, in->head++)
                rd_kafka_message_destroy(in->q[in->head % in->cap]);
        free(in->q);
}

static void shard_destroy(struct shard *sh) {
        if (!sh)
                return;
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                input_drop(&sh->in[s]);
        free(sh);
}

static int input_push(struct input *in, rd_kafka_message_t *m) {
        if (in->n == in->cap) {
                size_t cap = in->cap ? in->cap * 2 : 256;
                rd_kafka_message_t **q = malloc(cap * sizeof(*q));
                if (!q)
                        return -1;
                for (size_t i = 0; i < in->n; i++)
                        q[i] = in->q[(in->head + i) % in->cap];
                free(in->q);
                in->q = q;
                in->cap = cap;
                in->head = 0;
        }
        in->q[(in->head + in->n) % in->cap] = m;
        in->n++;
        return 0;
}

/* Decodes the message at the head of `in`, or says why it is bad. */
static void decode_head(cw_consumer_t *k, cw_stream_t stream,
                        struct input *in) {
        const rd_kafka_message_t *m = in->q[in->head % in->cap];
        char err[400];

        in->decoded = 1;
        in->bad = NULL;
        if (!m->payload || !m->len) {
                snprintf(in->bad_buf, sizeof(in->bad_buf),
                         "the record has no value; a %s record was expected",
                         cw_streams[stream].record);
        } else if (cw_fast_decode(stream, m->payload, m->len, &in->ev)) {
                /* avro-c names what is wrong; should it accept what the
                 * strict reader refused, the record is still refused. */
                struct cw_event ev;
                if (!cw_decoder_decode(k->decoder[stream], m->payload, m->len,
                                       &ev, err, sizeof(err)))
                        snprintf(err, sizeof(err),
                                 "%zu bytes are not a valid %s record", m->len,
                                 cw_streams[stream].record);
                snprintf(in->bad_buf, sizeof(in->bad_buf), "%s", err);
        } else if (cw_event_check(&in->ev, err, sizeof(err))) {
                snprintf(in->bad_buf, sizeof(in->bad_buf), "%s", err);
        } else if (in->ev.ts > cw_wall_ms() + k->c->max_future_ms) {
                snprintf(in->bad_buf, sizeof(in->bad_buf),
                         "ts %" PRId64 " is more than max_future (%" PRId64
                         " ms) ahead of the wall clock",
                         in->ev.ts, k->c->max_future_ms);
        } else {
                return;
        }
        in->bad = in->bad_buf;
}

/*
 * Whether an empty input has fetched everything the broker had at its last
 * fetch response (the high watermark librdkafka caches from it), as Kafka
 * Streams (KIP-695) looks at the fetched lag: waiting for the partition
 * EOF event instead would cost a whole fetch round (up to fetch.wait.max.ms)
 * of latency on every caught-up input. A lock and a lookup; only empty
 * inputs pay it.
 *
 * The watermark overrules an EOF event, which may be stale: a later fetch
 * may already have raised it while its records are still on their way to
 * the queue, and processing past the input then would take its records out
 * of ts order. Only before any fetch response is the EOF flag the answer.
 */
static int caught_up(cw_consumer_t *k, int stream, int partition,
                     const struct input *in) {
        int64_t lo, hi;
        if (in->end >= 0) /* a reader: its end is fixed */
                return in->received >= in->end;
        if (rd_kafka_get_watermark_offsets(k->rk, k->c->topics[stream],
                                           partition, &lo, &hi) ||
            hi < 0)
                return in->eof;
        return in->received >= 0 && hi <= in->received;
}

/*
 * The shard's next record in processing order; 1, or 0 when it is empty or
 * waiting for an input (then *wait_ms is lowered to the time left).
 */
static int shard_next(cw_consumer_t *k, struct shard *sh, int64_t now,
                      struct cw_record *r, int *wait_ms) {
        int best = -1, waiting = 0;

        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                struct input *in = &sh->in[s];
                if (in->n && !in->decoded)
                        decode_head(k, (cw_stream_t)s, in);
                if (in->n && in->bad) {
                        best = s; /* bad records have no place in the order */
                        break;
                }
                if (in->n) {
                        if (best < 0 || in->ev.ts < sh->in[best].ev.ts)
                                best = s;
                        continue;
                }
                if (caught_up(k, s, sh->partition, in)) {
                        in->empty_since = 0; /* a later wait starts afresh */
                        continue;
                }
                if (!in->empty_since)
                        in->empty_since = now;
                /* Gives up only once a poll that began after the deadline
                 * brought nothing for it: a main loop busy for longer
                 * (a flush during a rebalance) must not count as waiting. */
                if (in->empty_since > 0 &&
                    (now - in->empty_since < k->c->max_idle_ms ||
                     k->last_poll < in->empty_since + k->c->max_idle_ms)) {
                        int64_t left =
                                k->c->max_idle_ms - (now - in->empty_since);
                        if (left < 0)
                                left = 0;
                        if (*wait_ms < 0 || left < *wait_ms)
                                *wait_ms = (int)left;
                        waiting = 1;
                } else if (in->empty_since > 0) {
                        k->idle_waits++;
                        in->empty_since = -1; /* counted: gave up */
                }
        }
        if (best < 0 || (waiting && !sh->in[best].bad))
                return 0;
        r->shard = sh->partition;
        r->stream = (cw_stream_t)best;
        r->msg = sh->in[best].q[sh->in[best].head % sh->in[best].cap];
        r->bad = sh->in[best].bad;
        r->ev = sh->in[best].ev;
        return 1;
}

int cw_consumer_next(cw_consumer_t *k, int64_t now_ms, struct cw_record *r,
                     int *wait_ms) {
        *wait_ms = -1;
        if (!k->shards)
                return 0;
        if (k->budget <= 0) { /* its turn is over */
                k->rr = (k->rr + 1) % k->partitions;
                k->budget = SHARD_BUDGET;
        }
        for (int i = 0; i < k->partitions; i++) {
                int p = (k->rr + i) % k->partitions;
                if (!k->shards[p] ||
                    !shard_next(k, k->shards[p], now_ms, r, wait_ms))
                        continue;
                if (p != k->rr) {
                        k->rr = p;
                        k->budget = SHARD_BUDGET;
                }
                k->budget--;
                return 1;
        }
        return 0;
}

void cw_consumer_done(cw_consumer_t *k, const struct cw_record *r) {
        struct shard *sh = k->shards[r->shard];
        struct input *in = &sh->in[r->stream];
        rd_kafka_message_t *m = in->q[in->head % in->cap];

        if (r->bad)
                k->bad++;
        in->next_offset = m->offset + 1;
        rd_kafka_message_destroy(m);
        in->head++;
        in->n--;
        in->decoded = 0;
        if (in->paused && in->n <= LOW_MARK) {
                rd_kafka_topic_partition_list_t *l =
                        rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(l, k->c->topics[r->stream],
                                                  r->shard);
                rd_kafka_resume_partitions(k->rk, l);
                rd_kafka_topic_partition_list_destroy(l);
                in->paused = 0;
        }
}

/* ---- group membership ------------------------------------------------------
 */

/* Every partition number of the assignment must come with all four input
 * topics, or a shard could not merge its streams. */
static int check_copartitioned(cw_consumer_t *k,
                               const rd_kafka_topic_partition_list_t *parts) {
        unsigned char *seen = calloc((size_t)k->partitions, 1);
        char msg[256];
        int ok = 1;

        if (!seen)
                return 0;
        for (int i = 0; i < parts->cnt; i++) {
                int s = stream_of(k, parts->elems[i].topic);
                int p = parts->elems[i].partition;
                if (s < 0 || p < 0 || p >= k->partitions) {
                        snprintf(msg, sizeof(msg), "%s [%d]",
                                 parts->elems[i].topic, p);
                        fail(k,
                             "the group assigned %s, which is not an input "
                             "partition this instance knows; were partitions "
                             "added to a topic?",
                             msg);
                        ok = 0;
                        break;
                }
                seen[p] |= (unsigned char)(1u << s);
        }
        for (int p = 0; ok && p < k->partitions; p++)
                if (seen[p] && seen[p] != (1u << CW_STREAM_COUNT) - 1) {
                        snprintf(msg, sizeof(msg), "%d", p);
                        fail(k,
                             "the group assigned partition %s of some input "
                             "topics but not of all four: co-partitioning "
                             "needs the range assignor "
                             "(partition.assignment.strategy = \"range\") on "
                             "every member",
                             msg);
                        ok = 0;
                }
        free(seen);
        return ok;
}

/* Every shard is gone: its buffered records dropped, the revoked hook run. */
static void drop_shards(cw_consumer_t *k) {
        for (int p = 0; p < k->partitions; p++) {
                if (!k->shards[p])
                        continue;
                shard_destroy(k->shards[p]);
                k->shards[p] = NULL;
                if (k->hooks.revoked)
                        k->hooks.revoked(k->hooks.opaque, p);
        }
}

static int revoke_all(cw_consumer_t *k, int lost) {
        rd_kafka_topic_partition_list_t *l;
        char err[512];
        int rc = 0;

        if (!k->shards)
                return 0;
        if (k->hooks.revoking && k->hooks.revoking(k->hooks.opaque, lost)) {
                cw_error("consumer: output not acknowledged; not committing "
                         "the revoked partitions (their records will be "
                         "processed again)");
                rc = -1;
        } else if (lost) {
                rc = -1; /* no longer ours: commits would be refused */
        } else if ((l = cw_consumer_snapshot(k)) &&
                   cw_consumer_commit(k, l, 1, err, sizeof(err))) {
                cw_error("consumer: %s", err);
                rc = -1;
        }
        drop_shards(k);
        return rc;
}

/* Where an input starts: its committed offset, or without one what
 * auto.offset.reset says (earliest unless configured). An explicit
 * RD_KAFKA_OFFSET_BEGINNING instead made shards process records ahead of
 * inputs not yet fetched, as late events (run_parity caught it; the cause
 * inside librdkafka 2.0.2 was not looked into). */
static int64_t start_offset(int64_t committed) {
        return committed >= 0 ? committed : RD_KAFKA_OFFSET_INVALID;
}

/* Shard p is ours (once; later calls do nothing), its inputs read from
 * start[] (committed offsets, -1: none). 0, or -1 failed. */
static int add_shard(cw_consumer_t *k, int p, int64_t now,
                     const int64_t start[CW_STREAM_COUNT]) {
        struct shard *sh;

        if (k->shards[p])
                return 0;
        if (!(sh = calloc(1, sizeof(*sh)))) {
                fail(k, "%s", "out of memory");
                return -1;
        }
        sh->partition = p;
        sh->last_rx = now;
        memcpy(sh->start, start, sizeof(sh->start));
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                sh->in[s].next_offset = sh->in[s].snapshot =
                        sh->in[s].received = -1;
                sh->in[s].end = -1;
        }
        k->shards[p] = sh;
        if (k->hooks.assigned &&
            k->hooks.assigned(k->hooks.opaque, p, sh->start)) {
                fail(k, "%s", "could not set up an assigned shard");
                return -1;
        }
        if (k->group)
                cw_info("consumer: shard %d assigned", p);
        return 0;
}

/*
 * Makes the shards of assignment `l` ours and assigns it, every input at
 * exactly the committed offset its shard's state is restored for (read
 * once for the whole assignment, so a commit landing meanwhile cannot
 * part them), or where auto.offset.reset says when there is none.
 * 0, or -1 (failed).
 */
static int assign_shards(cw_consumer_t *k, rd_kafka_topic_partition_list_t *l) {
        int64_t now = cw_mono_ms(), (*start)[CW_STREAM_COUNT];
        rd_kafka_topic_partition_list_t *c;
        rd_kafka_resp_err_t e;

        if (!(start = malloc((size_t)k->partitions * sizeof(*start))) ||
            !(c = rd_kafka_topic_partition_list_copy(l))) {
                free(start);
                fail(k, "%s", "out of memory");
                return -1;
        }
        for (int p = 0; p < k->partitions; p++)
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        start[p][s] = -1;
        e = rd_kafka_committed(k->rk, c, 15000);
        for (int i = 0; !e && i < c->cnt; i++) {
                int st = stream_of(k, c->elems[i].topic);
                if ((e = c->elems[i].err))
                        break;
                if (st >= 0 && c->elems[i].offset >= 0)
                        start[c->elems[i].partition][st] = c->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(c);
        if (e)
                fail(k, "cannot read the committed offsets: %s",
                     rd_kafka_err2str(e));
        for (int i = 0; !k->fatal && i < l->cnt; i++) {
                int p = l->elems[i].partition,
                    st = stream_of(k, l->elems[i].topic);
                if (!add_shard(k, p, now, start[p]) && st >= 0)
                        l->elems[i].offset = start_offset(start[p][st]);
        }
        free(start);
        if (k->fatal)
                return -1;
        if ((e = rd_kafka_assign(k->rk, l))) {
                fail(k, "cannot assign the partitions: %s",
                     rd_kafka_err2str(e));
                return -1;
        }
        /* librdkafka keeps an application pause through unassign and
         * assign, and the shard that paused is gone. */
        rd_kafka_resume_partitions(k->rk, l);
        return 0;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
        cw_consumer_t *k = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                if (!check_copartitioned(k, parts) || assign_shards(k, parts))
                        rd_kafka_assign(rk, NULL);
        } else {
                if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
                        cw_error("consumer: rebalance failed: %s",
                                 rd_kafka_err2str(err));
                int lost = rd_kafka_assignment_lost(rk);
                revoke_all(k, lost);
                rd_kafka_assign(rk, NULL);
                cw_info("consumer: partitions %s", lost ? "lost" : "revoked");
        }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
        cw_consumer_t *k = opaque;
        char buf[400];

        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_fatal_error(rk, buf, sizeof(buf));
                fail(k, "fatal consumer error: %s", buf);
                return;
        }
        cw_warn("consumer: %s: %s", rd_kafka_err2name(err), reason);
}

/* Asynchronous commits report here: a failure is worth a warning (the
 * next commit covers the same offsets again). */
static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque) {
        (void)rk;
        (void)opaque;
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                cw_warn("consumer: commit failed: %s", rd_kafka_err2str(err));
        for (int i = 0; !err && offsets && i < offsets->cnt; i++)
                if (offsets->elems[i].err)
                        cw_warn("consumer: commit of topic %s [%d] failed: %s",
                                offsets->elems[i].topic,
                                (int)offsets->elems[i].partition,
                                rd_kafka_err2str(offsets->elems[i].err));
}

/* Every input topic exists with the same number of partitions. */
static int check_topics(cw_consumer_t *k, char *errstr, size_t errstr_size) {
        int counts[CW_STREAM_COUNT], same = 1;
        rd_kafka_resp_err_t e;

        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                counts[s] = cw_kafka_partitions(k->rk, k->c->topics[s], 10000,
                                                &e, errstr, errstr_size);
                if (counts[s] < 0)
                        return -1;
                if (counts[s] == 0) {
                        snprintf(errstr, errstr_size,
                                 "input topic %s (%s) does not exist: create "
                                 "the four input topics with the same number "
                                 "of partitions",
                                 k->c->topics[s],
                                 e ? rd_kafka_err2str(e) : "no partitions");
                        return -1;
                }
                same &= counts[s] == counts[0];
        }
        if (!same) {
                snprintf(errstr, errstr_size,
                         "the input topics have different partition counts: "
                         "%s %d, %s %d, %s %d, %s %d; co-partitioning needs "
                         "them equal (and keyed by customer_id alike)",
                         k->c->topics[0], counts[0], k->c->topics[1], counts[1],
                         k->c->topics[2], counts[2], k->c->topics[3],
                         counts[3]);
                return -1;
        }
        k->partitions = counts[0];
        return 0;
}

/* What a member and a reader share: the client, checked topics, shards. */
static cw_consumer_t *open_consumer(const cw_config_t *c, const cw_schemas_t *s,
                                    const struct cw_consumer_hooks *hooks,
                                    int group, char *errstr,
                                    size_t errstr_size) {
        cw_consumer_t *k = calloc(1, sizeof(*k));
        /* A new group starts at the beginning of the topics, so that no
         * event already there is missed; the user may say otherwise.
         * librdkafka compares queued.min.messages with the length of the
         * queue a partition's messages go to, here the consumer queue that
         * all partitions share: at the default (100000) a few fetches of
         * many partitions stop every fetch until a one-second timer looks
         * again, which cut throughput to a third in bench/kafka.sh. Memory
         * stays bounded by queued.max.messages.kbytes and HIGH_MARK. */
        static const struct cw_kafka_setting settings[] = {
                {"enable.auto.commit", "false", CW_KAFKA_ALWAYS},
                {"enable.auto.offset.store", "false", CW_KAFKA_ALWAYS},
                {"enable.partition.eof", "true", CW_KAFKA_ALWAYS},
                {"partition.assignment.strategy", "range", CW_KAFKA_ALWAYS},
                {"auto.offset.reset", "earliest", CW_KAFKA_DEFAULT},
                {"queued.min.messages", "2000000", CW_KAFKA_DEFAULT},
                {NULL, NULL, CW_KAFKA_ALWAYS}};
        struct cw_kafka_callbacks cb = {.opaque = k,
                                        .rebalance = on_rebalance,
                                        .error = on_error,
                                        .offset_commit = on_commit};

        if (!k) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        k->c = c;
        k->hooks = *hooks;
        k->group = group;
        for (int st = 0; st < CW_STREAM_COUNT; st++)
                if (!(k->decoder[st] = cw_decoder_new(
                              s, (cw_stream_t)st,
                              cw_schemas_get(s, (cw_schema_id_t)st), errstr,
                              errstr_size)))
                        goto out_free;
        if (group && !cw_config_kafka_has(c, "group.id")) {
                snprintf(errstr, errstr_size,
                         "%s: no consumer group: set kafka = { group_id = "
                         "\"churnwatch\"; ... };",
                         c->path);
                goto out_free;
        }
        if (!(k->rk = cw_kafka_new(c, RD_KAFKA_CONSUMER, settings, &cb, errstr,
                                   errstr_size)))
                goto out_free;
        for (int st = 0; st < CW_STREAM_COUNT; st++)
                if (!(k->rkt[st] =
                              rd_kafka_topic_new(k->rk, c->topics[st], NULL))) {
                        snprintf(errstr, errstr_size, "topic %s: %s",
                                 c->topics[st],
                                 rd_kafka_err2str(rd_kafka_last_error()));
                        goto out_free;
                }
        if (check_topics(k, errstr, errstr_size))
                goto out_free;
        if (!(k->shards = calloc((size_t)k->partitions, sizeof(*k->shards)))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_free;
        }
        rd_kafka_poll_set_consumer(k->rk);
        k->q = rd_kafka_queue_get_consumer(k->rk);
        return k;
out_free:
        cw_consumer_destroy(k);
        return NULL;
}

cw_consumer_t *cw_consumer_new(const cw_config_t *c, const cw_schemas_t *s,
                               const struct cw_consumer_hooks *hooks,
                               char *errstr, size_t errstr_size) {
        cw_consumer_t *k = open_consumer(c, s, hooks, 1, errstr, errstr_size);
        rd_kafka_topic_partition_list_t *sub;
        rd_kafka_resp_err_t e;

        if (!k)
                return NULL;
        sub = rd_kafka_topic_partition_list_new(CW_STREAM_COUNT);
        for (int st = 0; st < CW_STREAM_COUNT; st++)
                rd_kafka_topic_partition_list_add(sub, c->topics[st],
                                                  RD_KAFKA_PARTITION_UA);
        e = rd_kafka_subscribe(k->rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (e) {
                snprintf(errstr, errstr_size, "cannot subscribe: %s",
                         rd_kafka_err2str(e));
                cw_consumer_destroy(k);
                return NULL;
        }
        return k;
}

cw_consumer_t *cw_consumer_new_reader(const cw_config_t *c,
                                      const cw_schemas_t *s,
                                      const struct cw_consumer_hooks *hooks,
                                      int partition, int64_t start_ms,
                                      char *errstr, size_t errstr_size) {
        cw_consumer_t *k = open_consumer(c, s, hooks, 0, errstr, errstr_size);
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;

        if (!k)
                return NULL;
        if (partition < 0 || partition >= k->partitions) {
                snprintf(errstr, errstr_size,
                         "no partition %d: the input topics have %d", partition,
                         k->partitions);
                cw_consumer_destroy(k);
                return NULL;
        }
        static const int64_t none[CW_STREAM_COUNT] = {-1, -1, -1, -1};
        if (add_shard(k, partition, cw_mono_ms(), none)) {
                snprintf(errstr, errstr_size, "%s", k->fatal_err);
                cw_consumer_destroy(k);
                return NULL;
        }
        /* Before any fetch is in flight: a lookup then waits behind it. */
        for (int p = 0; partition == 0 && p < k->partitions; p++)
                for (int st = 0; st < CW_STREAM_COUNT; st++) {
                        int64_t lo, hi;
                        if (!rd_kafka_query_watermark_offsets(
                                    k->rk, c->topics[st], p, &lo, &hi, 10000) &&
                            hi > lo)
                                k->on_broker += hi - lo;
                }
        l = rd_kafka_topic_partition_list_new(CW_STREAM_COUNT);
        for (int st = 0; st < CW_STREAM_COUNT; st++) {
                struct input *in = &k->shards[partition]->in[st];
                int64_t lo = 0, hi = 0;
                if (!e)
                        e = rd_kafka_query_watermark_offsets(
                                k->rk, c->topics[st], partition, &lo, &hi,
                                10000);
                in->end = hi;
                in->received = lo;
                rd_kafka_topic_partition_list_add(l, c->topics[st], partition)
                        ->offset = start_ms >= 0 ? start_ms : lo;
        }
        if (!e && start_ms >= 0) {
                e = rd_kafka_offsets_for_times(k->rk, l, 10000);
                for (int i = 0; !e && i < l->cnt; i++) {
                        struct input *in = &k->shards[partition]->in[i];
                        /* No answer (librdkafka's mock cluster answers no
                         * time lookup; a cluster answers -1 when every
                         * timestamp is older): read from the beginning,
                         * which builds the same state or more. */
                        if (l->elems[i].offset < 0)
                                l->elems[i].offset = in->received;
                        in->received = l->elems[i].offset;
                }
        }
        if (!e)
                e = rd_kafka_assign(k->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (e) {
                snprintf(errstr, errstr_size,
                         "cannot read partition %d of the input topics: %s",
                         partition, rd_kafka_err2str(e));
                cw_consumer_destroy(k);
                return NULL;
        }
        return k;
}

void cw_consumer_destroy(cw_consumer_t *k) {
        if (!k)
                return;
        if (k->rk) {
                /* Revokes (the hooks flush and the last commit happens),
                 * then leaves the group. */
                rd_kafka_consumer_close(k->rk);
                if (k->q)
                        rd_kafka_queue_destroy(k->q);
                if (k->shards) /* revoked already, unless never assigned */
                        for (int p = 0; p < k->partitions; p++)
                                shard_destroy(k->shards[p]);
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        if (k->rkt[s])
                                rd_kafka_topic_destroy(k->rkt[s]);
                rd_kafka_destroy(k->rk);
        }
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                cw_decoder_destroy(k->decoder[s]);
        free(k->shards);
        free(k);
}

int cw_consumer_partitions(const cw_consumer_t *k) {
        return k->partitions;
}

/* ---- fetching --------------------------------------------------------------
 */

static void pause_input(cw_consumer_t *k, int stream, int partition) {
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, k->c->topics[stream], partition);
        rd_kafka_pause_partitions(k->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
}

static void take(cw_consumer_t *k, rd_kafka_message_t *m, int64_t now) {
        int s = stream_of_rkt(k, m->rkt);
        struct shard *sh =
                s >= 0 && m->partition >= 0 && m->partition < k->partitions
                        ? k->shards[m->partition]
                        : NULL;
        struct input *in = sh ? &sh->in[s] : NULL;

        if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        if (in) { /* nothing more beyond what is buffered */
                                in->eof = 1;
                                in->empty_since = 0;
                                if (m->offset > in->received)
                                        in->received = m->offset;
                        }
                } else if (m->rkt) {
                        cw_warn("consumer: topic %s [%" PRId32 "]: %s",
                                rd_kafka_topic_name(m->rkt), m->partition,
                                rd_kafka_message_errstr(m));
                } else {
                        cw_warn("consumer: %s", rd_kafka_message_errstr(m));
                }
                if (m->err == RD_KAFKA_RESP_ERR__FATAL)
                        fail(k, "fatal consumer error: %s",
                             rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                return;
        }
        /* A message of a partition no longer ours (a rebalance raced the
         * fetch): its next owner reads it again. A reader drops what lies
         * past the end it set itself. */
        if (!in || (in->end >= 0 && m->offset >= in->end)) {
                rd_kafka_message_destroy(m);
                return;
        }
        if (input_push(in, m)) {
                fail(k, "%s", "out of memory buffering input records");
                rd_kafka_message_destroy(m);
                return;
        }
        in->eof = 0;
        in->empty_since = 0;
        in->received = m->offset + 1;
        sh->last_rx = now;
        if (!in->paused && in->n >= HIGH_MARK) {
                pause_input(k, s, m->partition);
                in->paused = 1;
        }
}

int cw_consumer_poll(cw_consumer_t *k, int timeout_ms, char *errstr,
                     size_t errstr_size) {
        /* Waits for one message only (rd_kafka_consume_batch_queue() would
         * wait for a full batch until its timeout), then takes what follows
         * until the queue has been quiet for QUIET_US. A fetch response
         * reaches the queue partition by partition, and the partitions not
         * there yet still show the previous response's high watermark:
         * judged on that, an input would look caught up while its records
         * are on their way, and the shard would take the other inputs'
         * later records first (tests/run_order.sh). Costs QUIET_US of
         * latency a poll that brings records; a heuristic, not a guarantee
         * (the broker thread could be descheduled mid-response for
         * longer). */
        rd_kafka_message_t *m;

        k->last_poll = cw_mono_ms();
        m = rd_kafka_consume_queue(k->q, timeout_ms);
        int64_t now = cw_mono_ms(), quiet_until, start;
        ssize_t n, total = 0;

        if (m) {
                take(k, m, now);
                total++;
        }
        start = cw_clock_us(CLOCK_MONOTONIC);
        quiet_until = start + QUIET_US;
        /* A steady trickle (a record every 200 µs at 5,000/s) is never
         * quiet: SETTLE_MAX_US bounds the wait, a response takes far less
         * to reach the queue. */
        while (m && total < 16 * BATCH &&
               cw_clock_us(CLOCK_MONOTONIC) < start + SETTLE_MAX_US) {
                struct timespec nap = {0, QUIET_US * 1000 / 8};
                n = rd_kafka_consume_batch_queue(k->q, 0, k->batch, BATCH);
                for (ssize_t i = 0; i < n; i++)
                        take(k, k->batch[i], now);
                total += n > 0 ? n : 0;
                if (n > 0)
                        quiet_until = cw_clock_us(CLOCK_MONOTONIC) + QUIET_US;
                else if (cw_clock_us(CLOCK_MONOTONIC) >= quiet_until)
                        break;
                else
                        nanosleep(&nap, NULL);
        }
        if (k->fatal) {
                snprintf(errstr, errstr_size, "%s", k->fatal_err);
                return -1;
        }
        return 0;
}

/* ---- offsets ---------------------------------------------------------------
 */

rd_kafka_topic_partition_list_t *cw_consumer_snapshot(cw_consumer_t *k) {
        rd_kafka_topic_partition_list_t *l = NULL;

        for (int p = 0; k->shards && p < k->partitions; p++)
                for (int s = 0; k->shards[p] && s < CW_STREAM_COUNT; s++) {
                        struct input *in = &k->shards[p]->in[s];
                        if (in->next_offset < 0 ||
                            in->next_offset == in->snapshot)
                                continue;
                        if (!l)
                                l = rd_kafka_topic_partition_list_new(8);
                        rd_kafka_topic_partition_list_add(l, k->c->topics[s], p)
                                ->offset = in->next_offset;
                        in->snapshot = in->next_offset;
                }
        return l;
}

int cw_consumer_commit(cw_consumer_t *k,
                       rd_kafka_topic_partition_list_t *offsets, int sync,
                       char *errstr, size_t errstr_size) {
        rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, offsets, !sync);
        int rc = 0;

        if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
                snprintf(errstr, errstr_size, "cannot commit offsets: %s",
                         rd_kafka_err2str(e));
                rc = -1;
        }
        for (int i = 0; sync && !rc && i < offsets->cnt; i++)
                if (offsets->elems[i].err) {
                        snprintf(errstr, errstr_size,
                                 "cannot commit topic %s [%" PRId32 "]: %s",
                                 offsets->elems[i].topic,
                                 offsets->elems[i].partition,
                                 rd_kafka_err2str(offsets->elems[i].err));
                        rc = -1;
                }
        rd_kafka_topic_partition_list_destroy(offsets);
        return rc;
}

void cw_consumer_stats(const cw_consumer_t *k, struct cw_consumer_stats *out) {
        memset(out, 0, sizeof(*out));
        out->bad = k->bad;
        out->idle_waits = k->idle_waits;
        for (int p = 0; k->shards && p < k->partitions; p++) {
                if (!k->shards[p])
                        continue;
                out->shards++;
                for (int s = 0; s < CW_STREAM_COUNT; s++) {
                        const struct input *in = &k->shards[p]->in[s];
                        int64_t lo, hi;
                        out->buffered += in->n;
                        if (rd_kafka_get_watermark_offsets(
                                    k->rk, k->c->topics[s], p, &lo, &hi) ||
                            hi < 0)
                                continue;
                        if (in->next_offset > lo)
                                lo = in->next_offset;
                        if (hi > lo)
                                out->lag += hi - lo;
                }
        }
}

int64_t cw_consumer_records_on_broker(const cw_consumer_t *k) {
        return k->on_broker;
}

int cw_consumer_at_end(cw_consumer_t *k) {
        int shards = 0;

        for (int p = 0; k->shards && p < k->partitions; p++) {
                if (!k->shards[p])
                        continue;
                shards++;
                for (int s = 0; s < CW_STREAM_COUNT; s++) {
                        const struct input *in = &k->shards[p]->in[s];
                        if (in->n || !caught_up(k, s, p, in))
                                return 0;
                }
        }
        return shards > 0;
}

rd_kafka_consumer_group_metadata_t *
cw_consumer_group_metadata(cw_consumer_t *k) {
        return rd_kafka_consumer_group_metadata(k->rk);
}

int cw_consumer_rewind(cw_consumer_t *k, char *errstr, size_t errstr_size) {
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_resp_err_t e;
        int rc;

        if ((e = rd_kafka_assignment(k->rk, &l))) {
                snprintf(errstr, errstr_size, "cannot rewind: %s",
                         rd_kafka_err2str(e));
                return -1;
        }
        rd_kafka_assign(k->rk, NULL);
        drop_shards(k);
        for (int i = 0; i < l->cnt; i++)
                l->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        if ((rc = assign_shards(k, l)))
                snprintf(errstr, errstr_size, "cannot rewind: %s",
                         k->fatal_err);
        rd_kafka_topic_partition_list_destroy(l);
        return rc;
}

int64_t cw_consumer_last_received(const cw_consumer_t *k, int shard) {
        return k->shards && shard >= 0 && shard < k->partitions &&
                               k->shards[shard]
                       ? k->shards[shard]->last_rx
                       : -1;
}
