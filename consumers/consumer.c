#include "consumer_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "kafka/client.h"
#include "schemas/decode.h"

/* How long the consumer queue must stay empty before a poll returns. */
#define QUIET_US 300
/* ... but no longer than this in all. */
#define SETTLE_MAX_US 1000
/* Records taken from one shard before the next gets its turn. */
#define SHARD_BUDGET 4096

int cw_consumer_stream_of(const cw_consumer_t *k, const char *topic) {
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

void cw_consumer_fail(cw_consumer_t *k, const char *fmt, const char *detail) {
        if (!k->fatal)
                snprintf(k->fatal_err, sizeof(k->fatal_err), fmt, detail);
        k->fatal = 1;
}

/* ---- shards ---------------------------------------------------------------
 */

void cw_consumer_shard_destroy(cw_consumer_t *k, struct shard *sh) {
        if (!sh)
                return;
        if (sh->merge)
                k->idle_waits += cw_merge_idle_waits(sh->merge);
        cw_merge_destroy(sh->merge);
        free(sh);
}

/* The high watermark librdkafka caches from the last fetch response. */
static int64_t high_watermark(void *opaque, int stream, int partition) {
        cw_consumer_t *k = opaque;
        int64_t lo, hi;

        if (rd_kafka_get_watermark_offsets(k->rk, k->c->topics[stream],
                                           partition, &lo, &hi))
                return -1;
        return hi;
}

static void release(rd_kafka_message_t *m) {
        rd_kafka_message_destroy(m);
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
                if (!k->shards[p] || k->shards[p]->held ||
                    !cw_merge_next(k->shards[p]->merge, now_ms, k->last_poll, r,
                                   wait_ms))
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

        if (r->bad)
                k->bad++;
        in->next_offset = cw_merge_pop(sh->merge, r->stream) + 1;
        if (in->paused && cw_merge_buffered(sh->merge, r->stream) <= LOW_MARK) {
                rd_kafka_topic_partition_list_t *l =
                        rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(l, k->c->topics[r->stream],
                                                  r->shard);
                rd_kafka_resume_partitions(k->rk, l);
                rd_kafka_topic_partition_list_destroy(l);
                in->paused = 0;
        }
}

static void on_error(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
        cw_consumer_t *k = opaque;
        char buf[400];

        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_fatal_error(rk, buf, sizeof(buf));
                cw_consumer_fail(k, "fatal consumer error: %s", buf);
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

/* A framed value (the merge's decode hook): a registry that refuses to
 * answer fails the consumer; a value whose schema is on its way waits. */
static int decode_framed(void *opaque, cw_stream_t stream, const void *value,
                         size_t len, struct cw_event *ev, char *why,
                         size_t why_size) {
        cw_consumer_t *k = opaque;

        switch (cw_framed_decode(k->framed, stream, value, len, ev, why,
                                 why_size)) {
        case CW_FRAMED_OK:
                return 0;
        case CW_FRAMED_BAD:
                return -1;
        case CW_FRAMED_REFUSED:
                cw_consumer_fail(k, "the Schema Registry refused: %s", why);
                return 1;
        default:
                return 1;
        }
}

/* What a member and a reader share: the client, checked topics, shards. */
static cw_consumer_t *open_consumer(const cw_config_t *c, const cw_schemas_t *s,
                                    cw_schema_cache_t *registry,
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
                                        .rebalance = cw_consumer_on_rebalance,
                                        .error = on_error,
                                        .offset_commit = on_commit};

        if (!k) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        k->c = c;
        k->hooks = *hooks;
        k->group = group;
        k->merge_env = (struct cw_merge_env){.opaque = k,
                                             .high_watermark = high_watermark,
                                             .release = release,
                                             .max_idle_ms = c->max_idle_ms,
                                             .max_future_ms = c->max_future_ms,
                                             .decoders = k->decoder};
        if (registry) {
                if (!(k->framed = cw_framed_new(registry, s))) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out_free;
                }
                k->merge_env.decode = decode_framed;
        }
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
        if (!(k->shards = calloc((size_t)k->partitions, sizeof(*k->shards))) ||
            !(k->origin = malloc((size_t)k->partitions * sizeof(*k->origin)))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_free;
        }
        for (int p = 0; p < k->partitions; p++)
                for (int st = 0; st < CW_STREAM_COUNT; st++)
                        k->origin[p][st] = -1;
        rd_kafka_poll_set_consumer(k->rk);
        k->q = rd_kafka_queue_get_consumer(k->rk);
        return k;
out_free:
        cw_consumer_destroy(k);
        return NULL;
}

cw_consumer_t *cw_consumer_new(const cw_config_t *c, const cw_schemas_t *s,
                               cw_schema_cache_t *registry,
                               const struct cw_consumer_hooks *hooks,
                               char *errstr, size_t errstr_size) {
        cw_consumer_t *k =
                open_consumer(c, s, registry, hooks, 1, errstr, errstr_size);
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
                                      cw_schema_cache_t *registry,
                                      const struct cw_consumer_hooks *hooks,
                                      int partition, int64_t start_ms,
                                      char *errstr, size_t errstr_size) {
        cw_consumer_t *k =
                open_consumer(c, s, registry, hooks, 0, errstr, errstr_size);
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        int64_t lows[CW_STREAM_COUNT];
        cw_merge_t *merge;

        if (!k)
                return NULL;
        if (partition < 0 || partition >= k->partitions) {
                snprintf(errstr, errstr_size,
                         "no partition %d: the input topics have %d", partition,
                         k->partitions);
                cw_consumer_destroy(k);
                return NULL;
        }
        static const struct cw_shard_start none = {
                {-1, -1, -1, -1}, 0, INT64_MAX, {-1, -1, -1, -1}};
        if (cw_consumer_add_shard(k, partition, cw_mono_ms(), &none)) {
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
        merge = k->shards[partition]->merge;
        l = rd_kafka_topic_partition_list_new(CW_STREAM_COUNT);
        for (int st = 0; st < CW_STREAM_COUNT; st++) {
                int64_t lo = 0, hi = 0;
                if (!e)
                        e = rd_kafka_query_watermark_offsets(
                                k->rk, c->topics[st], partition, &lo, &hi,
                                10000);
                lows[st] = lo;
                cw_merge_set_range(merge, (cw_stream_t)st, lo, hi);
                rd_kafka_topic_partition_list_add(l, c->topics[st], partition)
                        ->offset = start_ms >= 0 ? start_ms : lo;
        }
        if (!e && start_ms >= 0) {
                e = rd_kafka_offsets_for_times(k->rk, l, 10000);
                for (int i = 0; !e && i < l->cnt; i++) {
                        /* No answer (librdkafka's mock cluster answers no
                         * time lookup; a cluster answers -1 when every
                         * timestamp is older): read from the beginning,
                         * which builds the same state or more. */
                        if (l->elems[i].offset < 0)
                                l->elems[i].offset = lows[i];
                        cw_merge_set_range(merge, (cw_stream_t)i,
                                           l->elems[i].offset,
                                           cw_merge_end(merge, (cw_stream_t)i));
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
                                cw_consumer_shard_destroy(k, k->shards[p]);
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        if (k->rkt[s])
                                rd_kafka_topic_destroy(k->rkt[s]);
                rd_kafka_destroy(k->rk);
        }
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                cw_decoder_destroy(k->decoder[s]);
        cw_framed_destroy(k->framed);
        free(k->shards);
        free(k->origin);
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
        int64_t end = sh ? cw_merge_end(sh->merge, (cw_stream_t)s) : -1;

        if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        if (sh)
                                cw_merge_eof(sh->merge, (cw_stream_t)s,
                                             m->offset);
                } else if (m->rkt) {
                        cw_warn("consumer: topic %s [%" PRId32 "]: %s",
                                rd_kafka_topic_name(m->rkt), m->partition,
                                rd_kafka_message_errstr(m));
                } else {
                        cw_warn("consumer: %s", rd_kafka_message_errstr(m));
                }
                if (m->err == RD_KAFKA_RESP_ERR__FATAL)
                        cw_consumer_fail(k, "fatal consumer error: %s",
                                         rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                return;
        }
        /* A message of a partition no longer ours (a rebalance raced the
         * fetch): its next owner reads it again. A reader drops what lies
         * past the end it set itself. */
        if (!sh || (end >= 0 && m->offset >= end)) {
                rd_kafka_message_destroy(m);
                return;
        }
        if (cw_merge_push(sh->merge, (cw_stream_t)s, m)) {
                cw_consumer_fail(k, "%s",
                                 "out of memory buffering input records");
                rd_kafka_message_destroy(m);
                return;
        }
        sh->last_rx = now;
        if (!sh->in[s].paused &&
            cw_merge_buffered(sh->merge, (cw_stream_t)s) >= HIGH_MARK) {
                pause_input(k, s, m->partition);
                sh->in[s].paused = 1;
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

int cw_consumer_shard_lag(const cw_consumer_t *k, int shard,
                          int64_t lag[CW_STREAM_COUNT]) {
        if (!k->shards || shard < 0 || shard >= k->partitions ||
            !k->shards[shard])
                return -1;
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                const struct input *in = &k->shards[shard]->in[s];
                int64_t lo, hi, done;
                lag[s] = -1;
                if (rd_kafka_get_watermark_offsets(k->rk, k->c->topics[s],
                                                   shard, &lo, &hi) ||
                    hi < 0)
                        continue;
                /* Done up to next_offset or, before any record, up to
                 * the committed offset it started from. */
                done = in->next_offset >= 0 ? in->next_offset
                                            : k->shards[shard]->start.offset[s];
                if (done > lo)
                        lo = done;
                lag[s] = hi > lo ? hi - lo : 0;
        }
        return 0;
}

void cw_consumer_stats(const cw_consumer_t *k, struct cw_consumer_stats *out) {
        int64_t lag[CW_STREAM_COUNT];

        memset(out, 0, sizeof(*out));
        out->bad = k->bad;
        out->idle_waits = k->idle_waits;
        for (int p = 0; k->shards && p < k->partitions; p++) {
                if (cw_consumer_shard_lag(k, p, lag))
                        continue;
                out->shards++;
                out->idle_waits += cw_merge_idle_waits(k->shards[p]->merge);
                for (int s = 0; s < CW_STREAM_COUNT; s++) {
                        out->buffered += cw_merge_buffered(k->shards[p]->merge,
                                                           (cw_stream_t)s);
                        if (lag[s] > 0)
                                out->lag += lag[s];
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
                if (k->shards[p]->held || !cw_merge_at_end(k->shards[p]->merge))
                        return 0;
        }
        return shards > 0;
}

rd_kafka_consumer_group_metadata_t *
cw_consumer_group_metadata(cw_consumer_t *k) {
        return rd_kafka_consumer_group_metadata(k->rk);
}

void cw_consumer_pause_shard(cw_consumer_t *k, int p, int pause) {
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(CW_STREAM_COUNT);

        for (int s = 0; s < CW_STREAM_COUNT; s++)
                rd_kafka_topic_partition_list_add(l, k->c->topics[s], p);
        if (pause)
                rd_kafka_pause_partitions(k->rk, l);
        else
                rd_kafka_resume_partitions(k->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
}

/*
 * A held shard's inputs were paused before they were assigned (nothing of
 * theirs was fetched): librdkafka 2.0.2 starts fetching a resumed
 * partition only when its broker thread next looks, up to a second later,
 * unless something else wakes it. A seek to where each input starts
 * (offsets assigned at its start: committed or looked up) does.
 */
static void wake_fetch(cw_consumer_t *k, const struct shard *sh) {
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(CW_STREAM_COUNT);
        rd_kafka_error_t *e;

        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (sh->start.offset[s] >= 0 &&
                    !cw_merge_buffered(sh->merge, (cw_stream_t)s))
                        rd_kafka_topic_partition_list_add(l, k->c->topics[s],
                                                          sh->partition)
                                ->offset = sh->start.offset[s];
        if (l->cnt && (e = rd_kafka_seek_partitions(k->rk, l, 0)))
                rd_kafka_error_destroy(e);
        rd_kafka_topic_partition_list_destroy(l);
}

int cw_consumer_release(cw_consumer_t *k, int shard) {
        struct shard *sh = k->shards && shard >= 0 && shard < k->partitions
                                   ? k->shards[shard]
                                   : NULL;

        if (!sh || !sh->held)
                return -1;
        sh->held = 0;
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                sh->in[s].paused = 0;
        cw_consumer_pause_shard(k, shard, 0);
        wake_fetch(k, sh);
        return 0;
}

int64_t cw_consumer_last_received(const cw_consumer_t *k, int shard) {
        return k->shards && shard >= 0 && shard < k->partitions &&
                               k->shards[shard]
                       ? k->shards[shard]->last_rx
                       : -1;
}
