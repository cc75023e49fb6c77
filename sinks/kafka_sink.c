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

#include "kafka_sink_int.h"

/* The latencies, in seconds, in the buckets /metrics shows. */
static const double latency_bounds_s[] = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1,     2.5,    5,     10,   30,    60,   300, 3600};

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
                        cw_lat_add(&k->lat, ms);
                        cw_hist_observe(&k->lat_hist, ms / 1000.0);
                }
        }
        k->done[slot] = 1;
        while (k->acked < k->produced && k->done[k->acked & RING_MASK]) {
                k->done[k->acked & RING_MASK] = 0;
                k->acked++;
        }
}

/*
 * The ring's arrays (2.3 MB) and the latency buckets are indexed by an
 * ever-growing sequence number and by latency: left to the kernel, their
 * pages became resident one by one as the sequence walked them, some
 * 0.4 MB a cycle of bench/soak.sh until all of it was, which looked like
 * growth there while nothing was allocated (docs/performance.md#soak).
 * One write a page makes them resident from the start: the memory they
 * will hold anyway, shown at once.
 */
static void touch_pages(void *p, size_t n) {
        for (size_t i = 0; i < n; i += 4096)
                ((volatile char *)p)[i] = 0;
}

static void make_resident(cw_kafka_sink_t *k) {
        touch_pages(k->done, RING);
        touch_pages(k->is_dead, RING);
        touch_pages(k->cause, RING * sizeof(*k->cause));
        touch_pages(k->sent_us, RING * sizeof(*k->sent_us));
        touch_pages(k->lat.b, (LAT_BUCKETS + 1) * sizeof(uint32_t));
        touch_pages(k->visible.b, (LAT_BUCKETS + 1) * sizeof(uint32_t));
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

        if (k) {
                pthread_mutex_init(&k->commit_mu, NULL);
                pthread_cond_init(&k->commit_cv, NULL);
        }
        if (!k || !(k->done = calloc(RING, 1)) ||
            !(k->is_dead = calloc(RING, 1)) ||
            !(k->cause = calloc(RING, sizeof(*k->cause))) ||
            !(k->lat.b = calloc(LAT_BUCKETS + 1, sizeof(uint32_t))) ||
            !(k->visible.b = calloc(LAT_BUCKETS + 1, sizeof(uint32_t))) ||
            !(k->sent_us = calloc(RING, sizeof(*k->sent_us))) ||
            (txn_id && !(k->txn_id = strdup(txn_id)))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_free;
        }
        k->c = c;
        make_resident(k);
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
        cw_kafka_sink_free_held(k); /* after the commit in progress */
        close_producer(k, timeout_ms);
        pthread_mutex_destroy(&k->commit_mu);
        pthread_cond_destroy(&k->commit_cv);
        cw_warning_encoder_destroy(k->enc);
        cw_frame_buf_free(&k->frame);
        free(k->txn_id);
        free(k->done);
        free(k->is_dead);
        free(k->cause);
        free(k->lat.b);
        free(k->visible.b);
        free(k->sent_us);
        free(k);
}

int cw_kafka_sink_fail(cw_kafka_sink_t *k, const char *what, char *errstr,
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
                return cw_kafka_sink_fail(k, errstr, errstr, errstr_size);
        while (k->produced - k->acked >= RING && !k->failed) {
                if (k->stop && *k->stop)
                        return cw_kafka_sink_fail(
                                k,
                                "stopped while waiting for the cluster "
                                "to acknowledge warnings",
                                errstr, errstr_size);
                rd_kafka_poll(k->rk, 10);
        }
        return k->failed ? cw_kafka_sink_fail(k, "", errstr, errstr_size) : 0;
}

/* Takes the next sequence number (wait_room() first). */
static uint64_t next_seq(cw_kafka_sink_t *k, int dead, int64_t cause) {
        uint64_t seq = k->produced++;
        int64_t now = cw_wall_us();

        k->done[seq & RING_MASK] = 0;
        k->is_dead[seq & RING_MASK] = (uint8_t)dead;
        k->sent_us[seq & RING_MASK] = now;
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
        return cw_kafka_sink_fail(k, what, errstr, errstr_size);
}

static rd_kafka_topic_t *topic_of(const cw_kafka_sink_t *k, int kind) {
        return kind == OUT_WARNING       ? k->warnings
               : kind == OUT_DEAD_LETTER ? k->dead_letter
                                         : k->state;
}

/* One producev() of o with the sequence number seq. */
static rd_kafka_resp_err_t produce_out(cw_kafka_sink_t *k, const struct out *o,
                                       uint64_t seq) {
        rd_kafka_headers_t *h;
        rd_kafka_resp_err_t err;

        if (!o->n_hdr) {
                PRODUCE_RETRYING(k, err, RD_KAFKA_V_RKT(topic_of(k, o->kind)),
                                 RD_KAFKA_V_PARTITION(o->partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(o->key, o->key_len),
                                 RD_KAFKA_V_VALUE((void *)o->value, o->len),
                                 RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq));
                return err;
        }
        h = rd_kafka_headers_new((size_t)o->n_hdr);
        for (int i = 0; i < o->n_hdr; i++)
                rd_kafka_header_add(h, o->hdr[i].name, -1, o->hdr[i].v,
                                    (ssize_t)o->hdr[i].len);
        PRODUCE_RETRYING(k, err, RD_KAFKA_V_RKT(topic_of(k, o->kind)),
                         RD_KAFKA_V_PARTITION(o->partition),
                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                         RD_KAFKA_V_KEY(o->key, o->key_len),
                         RD_KAFKA_V_VALUE((void *)o->value, o->len),
                         RD_KAFKA_V_HEADERS(h),
                         RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq));
        if (err) /* else librdkafka owns them */
                rd_kafka_headers_destroy(h);
        return err;
}

int cw_kafka_sink_send(cw_kafka_sink_t *k, const struct out *o, char *errstr,
                       size_t errstr_size) {
        struct out m = *o;
        char cut[600];
        rd_kafka_resp_err_t err;
        uint64_t seq;

        if (wait_room(k, errstr, errstr_size))
                return -1;
        seq = next_seq(k, m.kind, m.cause_ms);
        /* A dead letter too large to forward with its headers goes without
         * its value (its first header says why), rather than stopping
         * processing for ever. */
        while ((err = produce_out(k, &m, seq)) ==
                       RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE &&
               m.kind == OUT_DEAD_LETTER && m.value) {
                snprintf(cut, sizeof(cut),
                         "%.*s; its value (%zu bytes) is left out: too large "
                         "for the dead-letter topic",
                         (int)m.hdr[0].len, (const char *)m.hdr[0].v, m.len);
                m.hdr[0].v = cut;
                m.hdr[0].len = strlen(cut);
                m.value = NULL;
                m.len = 0;
        }
        return err ? unqueued(k, topic_of(k, m.kind), err, errstr, errstr_size)
                   : 0;
}

/* Produces o, or holds it while a transaction commits. */
static int emit(cw_kafka_sink_t *k, const struct out *o, char *errstr,
                size_t errstr_size) {
        if (k->committing) /* (`failed` is the commit thread's meanwhile) */
                return cw_kafka_sink_hold(k, o, errstr, errstr_size);
        if (k->failed)
                return cw_kafka_sink_fail(k, "", errstr, errstr_size);
        return cw_kafka_sink_send(k, o, errstr, errstr_size);
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
        struct out o = {.kind = OUT_WARNING,
                        .partition = RD_KAFKA_PARTITION_UA,
                        .key = w->customer_id.p,
                        .key_len = w->customer_id.len,
                        .cause_ms = cause_ms};

        if (cw_warning_encode(k->enc, w, &o.value, &o.len, errstr, errstr_size))
                return cw_kafka_sink_fail(k, errstr, errstr, errstr_size);
        if (k->framed && cw_frame_value(&k->frame, k->schema_id, o.value, o.len,
                                        &o.value, &o.len))
                return cw_kafka_sink_fail(k, "out of memory", errstr,
                                          errstr_size);
        return emit(k, &o, errstr, errstr_size);
}

int cw_kafka_sink_state(cw_kafka_sink_t *k, int32_t partition, const void *key,
                        size_t key_len, const void *value, size_t len,
                        const void *offsets, size_t offsets_len, char *errstr,
                        size_t errstr_size) {
        struct out o = {.kind = OUT_STATE,
                        .partition = partition,
                        .key = key,
                        .key_len = key_len,
                        .value = value,
                        .len = len,
                        .cause_ms = -1,
                        .n_hdr = 1,
                        .hdr = {{"churnwatch.offsets", offsets, offsets_len}}};

        return emit(k, &o, errstr, errstr_size);
}

int cw_kafka_sink_reset(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        cw_kafka_sink_free_held(k); /* after the commit in progress */
        close_producer(k, 0);
        cw_kafka_sink_forget(k);
        return open_producer(k, errstr, errstr_size);
}

int cw_kafka_sink_dead_letter(cw_kafka_sink_t *k, const rd_kafka_message_t *m,
                              const char *why, char *errstr,
                              size_t errstr_size) {
        char part[16], off[24];
        const char *topic = rd_kafka_topic_name(m->rkt);
        struct out o = {.kind = OUT_DEAD_LETTER,
                        .partition = RD_KAFKA_PARTITION_UA,
                        .key = m->key,
                        .key_len = m->key_len,
                        .value = m->payload,
                        .len = m->len,
                        .cause_ms = -1,
                        .n_hdr = 4,
                        .hdr = {{"churnwatch.error", why, strlen(why)},
                                {"churnwatch.topic", topic, strlen(topic)},
                                {"churnwatch.partition", part, 0},
                                {"churnwatch.offset", off, 0}}};

        o.hdr[2].len =
                (size_t)snprintf(part, sizeof(part), "%" PRId32, m->partition);
        o.hdr[3].len =
                (size_t)snprintf(off, sizeof(off), "%" PRId64, m->offset);
        return emit(k, &o, errstr, errstr_size);
}

void cw_kafka_sink_stop_on(cw_kafka_sink_t *k, volatile sig_atomic_t *stop) {
        k->stop = stop;
}

void cw_kafka_sink_poll(cw_kafka_sink_t *k, int timeout_ms) {
        if (!k->committing) /* else the commit thread serves the reports */
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
        if (k->committing) {
                if (k->held_failed)
                        snprintf(errstr, errstr_size, "%s", k->held_err);
                return k->held_failed;
        }
        if (k->failed)
                snprintf(errstr, errstr_size, "%s", k->fail_err);
        return k->failed;
}

void cw_lat_add(struct lat *l, double ms) {
        int64_t b = (int64_t)(ms * 1000.0) / LAT_BUCKET_US;

        l->b[b < 0 ? 0 : b > LAT_BUCKETS ? LAT_BUCKETS : b]++;
        l->n++;
        if (ms > l->max_ms)
                l->max_ms = ms;
}

double cw_lat_quantile(const struct lat *l, double q) {
        uint64_t rank = (uint64_t)(q * (double)l->n + 0.999999), seen = 0;
        if (!l->n)
                return 0;
        if (rank < 1)
                rank = 1;
        for (int b = 0; b <= LAT_BUCKETS; b++) {
                seen += l->b[b];
                if (seen >= rank)
                        return b == LAT_BUCKETS
                                       ? l->max_ms
                                       : (double)(b + 1) * LAT_BUCKET_US /
                                                 1000.0;
        }
        return l->max_ms;
}

void cw_kafka_sink_stats(const cw_kafka_sink_t *k,
                         struct cw_kafka_sink_stats *out) {
        if (k->committing) { /* the commit thread updates the counters */
                *out = k->snap;
                return;
        }
        out->warnings = k->n_warnings;
        out->dead_letters = k->n_dead;
        out->state_records = k->n_state;
        out->latency_n = k->lat.n;
        out->latency_p50_ms = cw_lat_quantile(&k->lat, 0.50);
        out->latency_p99_ms = cw_lat_quantile(&k->lat, 0.99);
        out->latency_max_ms = k->lat.max_ms;
        out->visible_n = k->visible.n;
        out->visible_p50_ms = cw_lat_quantile(&k->visible, 0.50);
        out->visible_p99_ms = cw_lat_quantile(&k->visible, 0.99);
        out->visible_max_ms = k->visible.max_ms;
        out->latency = k->lat_hist;
}

rd_kafka_t *cw_kafka_sink_handle(cw_kafka_sink_t *k) {
        return k->rk;
}
