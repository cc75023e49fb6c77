#include "kafka_sink.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/duration.h"
#include "kafka/client.h"
#include "registry/client.h"
#include "registry/framed.h"
#include "schemas/warning_codec.h"

/*
 * In-flight messages are tracked in a ring indexed by sequence number: a
 * slot holds the cause timestamp until the message is acknowledged. When
 * the ring is full the producer waits for acknowledgements, which bounds
 * memory at 9 bytes a slot whatever the rate.
 */
#define RING (1u << 17)
#define RING_MASK (RING - 1)

/* Latency histogram: 50 µs buckets up to one second, then one overflow. */
#define LAT_BUCKET_US 50
#define LAT_BUCKETS 20000

/* The same latencies, in seconds, in the buckets /metrics shows. */
static const double latency_bounds_s[] = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1,     2.5,    5,     10,   30,    60,   300, 3600};

struct cw_kafka_sink {
        const cw_config_t *c;
        rd_kafka_t *rk;
        rd_kafka_topic_t *warnings, *dead_letter, *state;
        char *txn_id; /* transactional.id, or NULL: at least once */
        int in_txn;   /* a transaction is open */
        cw_warning_encoder_t *enc;
        int framed; /* Schema Registry: values framed with schema_id */
        int32_t schema_id;
        struct cw_frame_buf frame; /* a framed value */
        uint64_t produced, acked;
        uint8_t *done;    /* [RING] acknowledged, not yet passed */
        int64_t *cause;   /* [RING] µs from the cause to produce(), or
                             -1 */
        uint8_t *is_dead; /* [RING] 0 a warning, 1 a dead letter, 2 a
                             changelog record */
        uint64_t n_warnings, n_dead, n_state;
        uint32_t *lat; /* [LAT_BUCKETS + 1] */
        uint64_t lat_n;
        double lat_max_ms;
        struct cw_hist lat_hist;
        uint64_t discard_below; /* reports of aborted messages: ignored */
        int failed;
        char fail_err[512];
        volatile sig_atomic_t *stop; /* asked to stop: waits give up */
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
        cw_kafka_sink_t *k = opaque;
        uint64_t seq = (uint64_t)(uintptr_t)m->_private;
        uint32_t slot = (uint32_t)(seq & RING_MASK);
        (void)rk;

        if (seq < k->discard_below)
                return; /* of an aborted transaction: accounted for */
        if (m->err) {
                if (!k->failed)
                        snprintf(k->fail_err, sizeof(k->fail_err),
                                 "topic %s [%" PRId32 "]: delivery failed: %s",
                                 rd_kafka_topic_name(m->rkt), m->partition,
                                 rd_kafka_err2str(m->err));
                k->failed = 1;
                return; /* never acknowledged: the watermark stops here */
        }
        if (k->is_dead[slot] == 2) {
                k->n_state++;
        } else if (k->is_dead[slot]) {
                k->n_dead++;
        } else {
                k->n_warnings++;
                if (k->cause[slot] >= 0) {
                        /* Until the broker acknowledged it, whenever this
                         * report is served. */
                        int64_t acked_after = rd_kafka_message_latency(m);
                        double ms =
                                (double)(k->cause[slot] +
                                         (acked_after > 0 ? acked_after : 0)) /
                                1000.0;
                        int64_t b = (int64_t)(ms * 1000.0) / LAT_BUCKET_US;
                        k->lat[b < 0 ? 0 : b > LAT_BUCKETS ? LAT_BUCKETS : b]++;
                        k->lat_n++;
                        cw_hist_observe(&k->lat_hist, ms / 1000.0);
                        if (ms > k->lat_max_ms)
                                k->lat_max_ms = ms;
                }
        }
        k->done[slot] = 1;
        while (k->acked < k->produced && k->done[k->acked & RING_MASK]) {
                k->done[k->acked & RING_MASK] = 0;
                k->acked++;
        }
}

/* Creates the producer and its topic handles (again, after a fatal
 * error). 0, or -1 with a sentence. */
static int open_producer(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        const cw_config_t *c = k->c;
        const struct cw_kafka_callbacks cb = {.opaque = k,
                                              .delivery = on_delivery};
        /* Idempotence implies acks=all and retries without duplicates or
         * reordering. A linger of 0 (unless configured) keeps the
         * event-to-warning latency low; under load batches fill anyway. A
         * crashed instance's open transaction holds read_committed readers
         * back until it times out: 10 s, as Kafka Streams. */
        const struct cw_kafka_setting settings[] = {
                {"enable.idempotence", "true", CW_KAFKA_ALWAYS},
                {"partitioner", "murmur2_random", CW_KAFKA_ALWAYS},
                {"linger.ms", "0",
                 cw_config_kafka_has(c, "queue.buffering.max.ms")
                         ? CW_KAFKA_SKIP
                         : CW_KAFKA_DEFAULT},
                {"transactional.id", k->txn_id,
                 k->txn_id ? CW_KAFKA_ALWAYS : CW_KAFKA_SKIP},
                {"transaction.timeout.ms", "10000",
                 k->txn_id ? CW_KAFKA_DEFAULT : CW_KAFKA_SKIP},
                {NULL, NULL, CW_KAFKA_ALWAYS}};
        char state[512];

        if (!(k->rk = cw_kafka_new(c, RD_KAFKA_PRODUCER, settings, &cb, errstr,
                                   errstr_size)))
                return -1;
        cw_config_state_topic(c, state, sizeof(state));
        k->warnings = rd_kafka_topic_new(k->rk, c->warnings_topic, NULL);
        k->dead_letter = rd_kafka_topic_new(k->rk, c->dead_letter_topic, NULL);
        k->state = rd_kafka_topic_new(k->rk, state, NULL);
        if (!k->warnings || !k->dead_letter || !k->state) {
                snprintf(errstr, errstr_size,
                         "cannot use topic %s, %s or %s: %s", c->warnings_topic,
                         c->dead_letter_topic, state,
                         rd_kafka_err2str(rd_kafka_last_error()));
                return -1;
        }
        if (k->txn_id) {
                rd_kafka_error_t *e = rd_kafka_init_transactions(k->rk, 30000);
                if (e) {
                        snprintf(errstr, errstr_size,
                                 "cannot start transactions (transactional.id "
                                 "%s): %s",
                                 k->txn_id, rd_kafka_error_string(e));
                        rd_kafka_error_destroy(e);
                        return -1;
                }
        }
        return 0;
}

static void close_producer(cw_kafka_sink_t *k, int timeout_ms) {
        if (!k->rk)
                return;
        if (!k->in_txn)
                rd_kafka_flush(k->rk, timeout_ms);
        if (k->warnings)
                rd_kafka_topic_destroy(k->warnings);
        if (k->dead_letter)
                rd_kafka_topic_destroy(k->dead_letter);
        if (k->state)
                rd_kafka_topic_destroy(k->state);
        rd_kafka_destroy(k->rk);
        k->rk = NULL;
        k->warnings = k->dead_letter = k->state = NULL;
        k->in_txn = 0;
}

cw_kafka_sink_t *cw_kafka_sink_new(const cw_config_t *c, const cw_schemas_t *s,
                                   const char *txn_id, char *errstr,
                                   size_t errstr_size) {
        cw_kafka_sink_t *k = calloc(1, sizeof(*k));

        if (!k || !(k->done = calloc(RING, 1)) ||
            !(k->is_dead = calloc(RING, 1)) ||
            !(k->cause = calloc(RING, sizeof(*k->cause))) ||
            !(k->lat = calloc(LAT_BUCKETS + 1, sizeof(*k->lat))) ||
            (txn_id && !(k->txn_id = strdup(txn_id)))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_free;
        }
        k->c = c;
        cw_hist_init(
                &k->lat_hist, latency_bounds_s,
                (int)(sizeof(latency_bounds_s) / sizeof(latency_bounds_s[0])));
        if (!(k->enc = cw_warning_encoder_new(s, errstr, errstr_size)) ||
            open_producer(k, errstr, errstr_size))
                goto out_free;
        return k;
out_free:
        cw_kafka_sink_destroy(k, 0);
        return NULL;
}

void cw_kafka_sink_destroy(cw_kafka_sink_t *k, int timeout_ms) {
        if (!k)
                return;
        close_producer(k, timeout_ms);
        cw_warning_encoder_destroy(k->enc);
        cw_frame_buf_free(&k->frame);
        free(k->txn_id);
        free(k->done);
        free(k->is_dead);
        free(k->cause);
        free(k->lat);
        free(k);
}

static int fail(cw_kafka_sink_t *k, const char *what, char *errstr,
                size_t errstr_size) {
        if (!k->failed)
                snprintf(k->fail_err, sizeof(k->fail_err), "%s", what);
        k->failed = 1;
        snprintf(errstr, errstr_size, "%s", k->fail_err);
        return -1;
}

/* Waits for room: while the producer's queue is full (`full` is then
 * QUEUE_FULL) or the ring of in-flight messages is. -1 once the sink has
 * failed, or when a stop is asked for meanwhile: the output will not be
 * complete, and nothing after it may commit. Exactly once, it opens a
 * transaction first when none is. */
static int wait_room(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        if (cw_kafka_sink_begin(k, errstr, errstr_size))
                return fail(k, errstr, errstr, errstr_size);
        while (k->produced - k->acked >= RING && !k->failed) {
                if (k->stop && *k->stop)
                        return fail(k,
                                    "stopped while waiting for the cluster "
                                    "to acknowledge warnings",
                                    errstr, errstr_size);
                rd_kafka_poll(k->rk, 10);
        }
        return k->failed ? fail(k, "", errstr, errstr_size) : 0;
}

/* Takes the next sequence number (wait_room() first). */
static uint64_t next_seq(cw_kafka_sink_t *k, int dead, int64_t cause) {
        uint64_t seq = k->produced++;
        int64_t now = cw_wall_us();

        k->done[seq & RING_MASK] = 0;
        k->is_dead[seq & RING_MASK] = (uint8_t)dead;
        /* A timestamp from the future or the far past (a producer's clock)
         * must not overflow: clamp to [now - 1 day, now]. */
        if (cause > now / 1000)
                cause = now / 1000;
        k->cause[seq & RING_MASK] = cause < 0 ? -1
                                    : now / 1000 - cause > CW_MS_PER_DAY
                                            ? CW_MS_PER_DAY * 1000
                                            : now - cause * 1000;
        return seq;
}

/* rd_kafka_producev() until the local queue takes the message, or a stop
 * is asked for. */
#define PRODUCE_RETRYING(k, err, ...)                                          \
        do {                                                                   \
                while ((err = rd_kafka_producev((k)->rk, __VA_ARGS__,          \
                                                RD_KAFKA_V_END)) ==            \
                               RD_KAFKA_RESP_ERR__QUEUE_FULL &&                \
                       !((k)->stop && *(k)->stop))                             \
                        rd_kafka_poll((k)->rk, 10);                            \
        } while (0)

/* A message that was never queued fails the sink: its sequence number will
 * never be acknowledged, and nothing after it may commit. */
static int unqueued(cw_kafka_sink_t *k, rd_kafka_topic_t *t,
                    rd_kafka_resp_err_t err, char *errstr, size_t errstr_size) {
        char what[512];
        snprintf(what, sizeof(what), "topic %s: %s", rd_kafka_topic_name(t),
                 err == RD_KAFKA_RESP_ERR__QUEUE_FULL
                         ? "stopped while the producer's queue was full"
                         : rd_kafka_err2str(err));
        return fail(k, what, errstr, errstr_size);
}

int cw_kafka_sink_register(cw_kafka_sink_t *k, volatile sig_atomic_t *stop,
                           char *errstr, size_t errstr_size) {
        char subject[600];

        if (!k->c->registry)
                return 0;
        snprintf(subject, sizeof(subject), "%s-value", k->c->warnings_topic);
        if (cw_registry_subject_id(k->c->registry, subject,
                                   cw_schemas_text(CW_SCHEMA_WARNING), stop,
                                   &k->schema_id, errstr, errstr_size))
                return -1;
        k->framed = 1;
        return 0;
}

int cw_kafka_sink_warning(cw_kafka_sink_t *k, const struct cw_warning *w,
                          int64_t cause_ms, char *errstr, size_t errstr_size) {
        const void *buf;
        size_t len;
        uint64_t seq;
        rd_kafka_resp_err_t err;

        if (wait_room(k, errstr, errstr_size))
                return -1;
        if (cw_warning_encode(k->enc, w, &buf, &len, errstr, errstr_size))
                return fail(k, errstr, errstr, errstr_size);
        if (k->framed &&
            cw_frame_value(&k->frame, k->schema_id, buf, len, &buf, &len))
                return fail(k, "out of memory", errstr, errstr_size);
        seq = next_seq(k, 0, cause_ms);
        PRODUCE_RETRYING(k, err, RD_KAFKA_V_RKT(k->warnings),
                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                         RD_KAFKA_V_KEY(w->customer_id.p, w->customer_id.len),
                         RD_KAFKA_V_VALUE((void *)buf, len),
                         RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq));
        return err ? unqueued(k, k->warnings, err, errstr, errstr_size) : 0;
}

int cw_kafka_sink_state(cw_kafka_sink_t *k, int32_t partition, const void *key,
                        size_t key_len, const void *value, size_t len,
                        const void *offsets, size_t offsets_len, char *errstr,
                        size_t errstr_size) {
        uint64_t seq;
        rd_kafka_resp_err_t err;

        if (wait_room(k, errstr, errstr_size))
                return -1;
        seq = next_seq(k, 2, -1);
        PRODUCE_RETRYING(k, err, RD_KAFKA_V_RKT(k->state),
                         RD_KAFKA_V_PARTITION(partition),
                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                         RD_KAFKA_V_KEY(key, key_len),
                         RD_KAFKA_V_VALUE((void *)value, len),
                         RD_KAFKA_V_HEADER("churnwatch.offsets", offsets,
                                           (ssize_t)offsets_len),
                         RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq));
        return err ? unqueued(k, k->state, err, errstr, errstr_size) : 0;
}

/* ---- transactions ---------------------------------------------------------
 */

int cw_kafka_sink_begin(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        rd_kafka_error_t *e;

        if (!k->txn_id || k->in_txn)
                return 0;
        if ((e = rd_kafka_begin_transaction(k->rk))) {
                snprintf(errstr, errstr_size, "cannot begin a transaction: %s",
                         rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                return -1;
        }
        k->in_txn = 1;
        return 0;
}

/* Everything produced so far belongs to an aborted transaction: its
 * reports are ignored and nothing of it is waited for. */
static void forget_output(cw_kafka_sink_t *k) {
        k->discard_below = k->produced;
        k->acked = k->produced;
        memset(k->done, 0, RING);
        k->failed = 0;
        k->fail_err[0] = 0;
}

/* Sorts a librdkafka error into the three outcomes of a transaction. */
static int txn_error(cw_kafka_sink_t *k, rd_kafka_error_t *e, const char *what,
                     char *errstr, size_t errstr_size) {
        int fatal = rd_kafka_error_is_fatal(e) ||
                    !rd_kafka_error_txn_requires_abort(e);
        snprintf(errstr, errstr_size, "%s: %s", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        if (!fatal && !cw_kafka_sink_abort(k, errstr + strlen(errstr),
                                           errstr_size - strlen(errstr)))
                return CW_TXN_ABORTED;
        return CW_TXN_FATAL;
}

int cw_kafka_sink_commit(cw_kafka_sink_t *k,
                         const rd_kafka_topic_partition_list_t *offsets,
                         const rd_kafka_consumer_group_metadata_t *group,
                         int timeout_ms, char *errstr, size_t errstr_size) {
        rd_kafka_error_t *e;

        if (!k->txn_id)
                return CW_TXN_OK;
        if (!k->in_txn && k->failed) { /* e.g. a transaction never began */
                snprintf(errstr, errstr_size, "%s", k->fail_err);
                forget_output(k);
                return CW_TXN_FATAL;
        }
        if (!k->in_txn) {
                /* Nothing produced: offsets alone still commit. */
                if (!offsets || !offsets->cnt)
                        return CW_TXN_OK;
                if (cw_kafka_sink_begin(k, errstr, errstr_size))
                        return CW_TXN_FATAL;
        }
        if (k->failed) {
                char why[600];
                snprintf(why, sizeof(why), "%s", k->fail_err);
                if (cw_kafka_sink_abort(k, errstr, errstr_size))
                        return CW_TXN_FATAL;
                snprintf(errstr, errstr_size, "%s", why);
                return CW_TXN_ABORTED;
        }
        if (offsets && offsets->cnt) {
                /* Retriable errors are retried by the call itself until
                 * the timeout; what is left is abortable or fatal. */
                while ((e = rd_kafka_send_offsets_to_transaction(
                                k->rk, offsets, group, timeout_ms)) &&
                       rd_kafka_error_is_retriable(e))
                        rd_kafka_error_destroy(e);
                if (e)
                        return txn_error(k, e,
                                         "cannot add the offsets to "
                                         "the transaction",
                                         errstr, errstr_size);
        }
        while ((e = rd_kafka_commit_transaction(k->rk, timeout_ms)) &&
               rd_kafka_error_is_retriable(e))
                rd_kafka_error_destroy(e);
        if (e)
                return txn_error(k, e, "cannot commit the transaction", errstr,
                                 errstr_size);
        k->in_txn = 0;
        return CW_TXN_OK;
}

int cw_kafka_sink_abort(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        rd_kafka_error_t *e;

        if (!k->in_txn)
                return 0;
        while ((e = rd_kafka_abort_transaction(k->rk, 30000)) &&
               rd_kafka_error_is_retriable(e))
                rd_kafka_error_destroy(e);
        if (e) {
                snprintf(errstr, errstr_size,
                         "; cannot abort the transaction: %s",
                         rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                return -1;
        }
        k->in_txn = 0;
        forget_output(k);
        return 0;
}

int cw_kafka_sink_reset(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        close_producer(k, 0);
        forget_output(k);
        return open_producer(k, errstr, errstr_size);
}

int cw_kafka_sink_transactional(const cw_kafka_sink_t *k) {
        return k->txn_id != NULL;
}

int cw_kafka_sink_dead_letter(cw_kafka_sink_t *k, const rd_kafka_message_t *m,
                              const char *why, char *errstr,
                              size_t errstr_size) {
        char part[16], off[24], cut[600];
        const char *topic = rd_kafka_topic_name(m->rkt);
        const void *value = m->payload;
        size_t len = m->len;
        uint64_t seq;
        rd_kafka_resp_err_t err;

        if (wait_room(k, errstr, errstr_size))
                return -1;
        snprintf(part, sizeof(part), "%" PRId32, m->partition);
        snprintf(off, sizeof(off), "%" PRId64, m->offset);
        seq = next_seq(k, 1, -1);
        for (;;) {
                PRODUCE_RETRYING(k, err, RD_KAFKA_V_RKT(k->dead_letter),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(m->key, m->key_len),
                                 RD_KAFKA_V_VALUE((void *)value, len),
                                 RD_KAFKA_V_HEADER("churnwatch.error", why,
                                                   (ssize_t)strlen(why)),
                                 RD_KAFKA_V_HEADER("churnwatch.topic", topic,
                                                   (ssize_t)strlen(topic)),
                                 RD_KAFKA_V_HEADER("churnwatch.partition", part,
                                                   (ssize_t)strlen(part)),
                                 RD_KAFKA_V_HEADER("churnwatch.offset", off,
                                                   (ssize_t)strlen(off)),
                                 RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq));
                /* A record too large to forward with its headers goes
                 * without its value, rather than stopping processing
                 * forever. */
                if (err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || !value)
                        break;
                snprintf(cut, sizeof(cut),
                         "%s; its value (%zu bytes) is left out: too large "
                         "for the dead-letter topic",
                         why, m->len);
                why = cut;
                value = NULL;
                len = 0;
        }
        return err ? unqueued(k, k->dead_letter, err, errstr, errstr_size) : 0;
}

void cw_kafka_sink_stop_on(cw_kafka_sink_t *k, volatile sig_atomic_t *stop) {
        k->stop = stop;
}

void cw_kafka_sink_poll(cw_kafka_sink_t *k, int timeout_ms) {
        rd_kafka_poll(k->rk, timeout_ms);
}

uint64_t cw_kafka_sink_produced(const cw_kafka_sink_t *k) {
        return k->produced;
}

uint64_t cw_kafka_sink_acked(const cw_kafka_sink_t *k) {
        return k->acked;
}

int cw_kafka_sink_flush(cw_kafka_sink_t *k, int timeout_ms) {
        int64_t until = cw_mono_ms() + timeout_ms;

        while (k->acked < k->produced && !k->failed) {
                int64_t now = cw_mono_ms();
                if (now >= until)
                        return -1;
                rd_kafka_flush(k->rk,
                               (int)(until - now < 100 ? until - now : 100));
                rd_kafka_poll(k->rk, 0);
        }
        return k->failed ? -1 : 0;
}

int cw_kafka_sink_failed(const cw_kafka_sink_t *k, char *errstr,
                         size_t errstr_size) {
        if (k->failed)
                snprintf(errstr, errstr_size, "%s", k->fail_err);
        return k->failed;
}

static double percentile(const cw_kafka_sink_t *k, double q) {
        uint64_t rank = (uint64_t)(q * (double)k->lat_n + 0.999999), seen = 0;
        if (!k->lat_n)
                return 0;
        if (rank < 1)
                rank = 1;
        for (int b = 0; b <= LAT_BUCKETS; b++) {
                seen += k->lat[b];
                if (seen >= rank)
                        return b == LAT_BUCKETS
                                       ? k->lat_max_ms
                                       : (double)(b + 1) * LAT_BUCKET_US /
                                                 1000.0;
        }
        return k->lat_max_ms;
}

void cw_kafka_sink_stats(const cw_kafka_sink_t *k,
                         struct cw_kafka_sink_stats *out) {
        out->warnings = k->n_warnings;
        out->dead_letters = k->n_dead;
        out->state_records = k->n_state;
        out->latency_n = k->lat_n;
        out->latency_p50_ms = percentile(k, 0.50);
        out->latency_p99_ms = percentile(k, 0.99);
        out->latency_max_ms = k->lat_max_ms;
        out->latency = k->lat_hist;
}

rd_kafka_t *cw_kafka_sink_handle(cw_kafka_sink_t *k) {
        return k->rk;
}
