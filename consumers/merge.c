#include "merge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "schemas/fastread.h"

/* One input partition of a shard: a FIFO of fetched messages. */
struct input {
        rd_kafka_message_t **q;
        size_t cap, head, n;
        int eof;             /* seen at its end since its last record */
        int64_t empty_since; /* ms the shard started waiting for it; 0:
                                not waiting; -1: gave up (counted) */
        int decoded;         /* q[head] decoded into ev, or found bad */
        struct cw_event ev;
        const char *bad;
        char bad_buf[512];
        int64_t end;      /* reader: offsets from here are not read; -1 */
        int64_t received; /* fetched up to (after the last record, or
                             where the last partition EOF was); -1: none */
};

struct cw_merge {
        int partition;
        struct cw_merge_env env;
        struct input in[CW_STREAM_COUNT];
        uint64_t idle_waits;
};

cw_merge_t *cw_merge_new(int partition, const struct cw_merge_env *env) {
        cw_merge_t *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        m->partition = partition;
        m->env = *env;
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                m->in[s].received = m->in[s].end = -1;
        return m;
}

void cw_merge_destroy(cw_merge_t *m) {
        if (!m)
                return;
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                struct input *in = &m->in[s];
                for (; in->n; in->n--, in->head++)
                        m->env.release(in->q[in->head % in->cap]);
                free(in->q);
        }
        free(m);
}

int cw_merge_push(cw_merge_t *m, cw_stream_t stream, rd_kafka_message_t *msg) {
        struct input *in = &m->in[stream];

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
        in->q[(in->head + in->n) % in->cap] = msg;
        in->n++;
        in->eof = 0;
        in->empty_since = 0;
        in->received = msg->offset + 1;
        return 0;
}

void cw_merge_eof(cw_merge_t *m, cw_stream_t stream, int64_t offset) {
        struct input *in = &m->in[stream];

        in->eof = 1; /* nothing more beyond what is buffered */
        in->empty_since = 0;
        if (offset > in->received)
                in->received = offset;
}

void cw_merge_set_range(cw_merge_t *m, cw_stream_t stream, int64_t received,
                        int64_t end) {
        m->in[stream].received = received;
        m->in[stream].end = end;
}

int64_t cw_merge_end(const cw_merge_t *m, cw_stream_t stream) {
        return m->in[stream].end;
}

size_t cw_merge_buffered(const cw_merge_t *m, cw_stream_t stream) {
        return m->in[stream].n;
}

uint64_t cw_merge_idle_waits(const cw_merge_t *m) {
        return m->idle_waits;
}

/* Decodes the message at the head of `in`, or says why it is bad. */
static void decode_head(cw_merge_t *m, cw_stream_t stream, struct input *in) {
        const rd_kafka_message_t *msg = in->q[in->head % in->cap];
        char err[400];

        in->decoded = 1;
        in->bad = NULL;
        if (!msg->payload || !msg->len) {
                snprintf(in->bad_buf, sizeof(in->bad_buf),
                         "the record has no value; a %s record was expected",
                         cw_streams[stream].record);
        } else if (cw_fast_decode(stream, msg->payload, msg->len, &in->ev)) {
                /* avro-c names what is wrong; should it accept what the
                 * strict reader refused, the record is still refused. */
                struct cw_event ev;
                if (!cw_decoder_decode(m->env.decoders[stream], msg->payload,
                                       msg->len, &ev, err, sizeof(err)))
                        snprintf(err, sizeof(err),
                                 "%zu bytes are not a valid %s record",
                                 msg->len, cw_streams[stream].record);
                snprintf(in->bad_buf, sizeof(in->bad_buf), "%s", err);
        } else if (cw_event_check(&in->ev, err, sizeof(err))) {
                snprintf(in->bad_buf, sizeof(in->bad_buf), "%s", err);
        } else if (in->ev.ts > cw_wall_ms() + m->env.max_future_ms) {
                snprintf(in->bad_buf, sizeof(in->bad_buf),
                         "ts %" PRId64 " is more than max_future (%" PRId64
                         " ms) ahead of the wall clock",
                         in->ev.ts, m->env.max_future_ms);
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
static int caught_up(cw_merge_t *m, int stream, const struct input *in) {
        int64_t hi;

        if (in->end >= 0) /* a reader: its end is fixed */
                return in->received >= in->end;
        hi = m->env.high_watermark(m->env.opaque, stream, m->partition);
        if (hi < 0)
                return in->eof;
        return in->received >= 0 && hi <= in->received;
}

/* Whether the shard must wait for empty input `in` (not caught up): until
 * max_idle_ms have passed since it became empty and a poll begun after
 * that deadline brought nothing for it. Lowers *wait_ms to the time left. */
static int must_wait(cw_merge_t *m, struct input *in, int64_t now,
                     int64_t last_poll, int *wait_ms) {
        int64_t idle = m->env.max_idle_ms, left;

        if (!in->empty_since)
                in->empty_since = now;
        if (in->empty_since < 0)
                return 0; /* given up on already */
        if (now - in->empty_since >= idle &&
            last_poll >= in->empty_since + idle) {
                m->idle_waits++;
                in->empty_since = -1;
                return 0;
        }
        left = idle - (now - in->empty_since);
        if (left < 0)
                left = 0;
        if (*wait_ms < 0 || left < *wait_ms)
                *wait_ms = (int)left;
        return 1;
}

int cw_merge_next(cw_merge_t *m, int64_t now, int64_t last_poll,
                  struct cw_record *r, int *wait_ms) {
        int best = -1, waiting = 0;

        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                struct input *in = &m->in[s];
                if (in->n && !in->decoded)
                        decode_head(m, (cw_stream_t)s, in);
                if (in->n && in->bad) {
                        best = s; /* bad records have no place in the order */
                        break;
                }
                if (in->n) {
                        if (best < 0 || in->ev.ts < m->in[best].ev.ts)
                                best = s;
                        continue;
                }
                if (caught_up(m, s, in)) {
                        in->empty_since = 0; /* a later wait starts afresh */
                        continue;
                }
                waiting |= must_wait(m, in, now, last_poll, wait_ms);
        }
        if (best < 0 || (waiting && !m->in[best].bad))
                return 0;
        r->shard = m->partition;
        r->stream = (cw_stream_t)best;
        r->msg = m->in[best].q[m->in[best].head % m->in[best].cap];
        r->bad = m->in[best].bad;
        r->ev = m->in[best].ev;
        return 1;
}

int64_t cw_merge_pop(cw_merge_t *m, cw_stream_t stream) {
        struct input *in = &m->in[stream];
        rd_kafka_message_t *msg = in->q[in->head % in->cap];
        int64_t offset = msg->offset;

        m->env.release(msg);
        in->head++;
        in->n--;
        in->decoded = 0;
        return offset;
}

int cw_merge_at_end(cw_merge_t *m) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (m->in[s].n || !caught_up(m, s, &m->in[s]))
                        return 0;
        return 1;
}
