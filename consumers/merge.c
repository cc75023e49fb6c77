#include "merge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "schemas/fastread.h"

/* An input's queue array kept when it empties: 32 kB. */
#define QUEUE_KEEP 4096

/* How soon a shard waiting for a record it cannot decode yet looks again. */
#define WAIT_DECODE_MS 10

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
        char *strs; /* the head event's strings, when its decoder lent
                       them (they must outlive the decoder's next use) */
        size_t strs_cap;
        int64_t end;       /* reader: offsets from here are not read; -1 */
        int64_t received;  /* fetched up to (after the last record, or
                              where the last partition EOF was); -1: none */
        int64_t start;     /* a member: where it was assigned from; -1 */
        int64_t on_broker; /* a member: the end offset looked up when it
                              was assigned (records up to there are on the
                              broker, fetched or not); -1: not known */
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
                m->in[s].received = m->in[s].end = m->in[s].start =
                        m->in[s].on_broker = -1;
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
                free(in->strs);
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

void cw_merge_set_known(cw_merge_t *m, cw_stream_t stream, int64_t start,
                        int64_t on_broker) {
        m->in[stream].start = start;
        m->in[stream].on_broker = start >= 0 ? on_broker : -1;
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

/* A raw Avro value: 0, or -1 with why. */
static int decode_raw(cw_merge_t *m, cw_stream_t stream,
                      const rd_kafka_message_t *msg, struct cw_event *ev,
                      char *why, size_t why_size) {
        struct cw_event other;

        if (!cw_fast_decode(stream, msg->payload, msg->len, ev))
                return 0;
        /* avro-c names what is wrong; should it accept what the strict
         * reader refused, the record is still refused. */
        if (!cw_decoder_decode(m->env.decoders[stream], msg->payload, msg->len,
                               &other, why, why_size))
                snprintf(why, why_size, "%zu bytes are not a valid %s record",
                         msg->len, cw_streams[stream].record);
        return -1;
}

/*
 * A decoder shared by the shards (one per schema id and stream) lends the
 * strings of the event it decodes only until its next use, while the event
 * waits at the head of its input for its turn: strings that do not point
 * into the message are copied into the input's own buffer. Those of the
 * fast reader point into the message: nothing is copied. -1 when memory
 * runs out.
 */
static int keep_strings(struct input *in, const rd_kafka_message_t *msg) {
        const char *lo = msg->payload, *hi = lo + msg->len;
        const struct cw_stream_def *d = &cw_streams[in->ev.stream];
        size_t need = 0, off = 0;

        for (int f = 0; f < d->n_fields; f++) {
                const cw_str_t *s = &in->ev.str[f];
                if (d->fields[f].type == CW_FIELD_STR && s->p &&
                    (s->p < lo || s->p + s->len > hi))
                        need += s->len;
        }
        if (!need)
                return 0;
        if (need > in->strs_cap) {
                char *b = realloc(in->strs, need);
                if (!b)
                        return -1;
                in->strs = b;
                in->strs_cap = need;
        }
        for (int f = 0; f < d->n_fields; f++) {
                cw_str_t *s = &in->ev.str[f];
                if (d->fields[f].type != CW_FIELD_STR || !s->p ||
                    (s->p >= lo && s->p + s->len <= hi))
                        continue;
                memcpy(in->strs + off, s->p, s->len);
                s->p = in->strs + off;
                off += s->len;
        }
        in->ev.customer_id = in->ev.str[CW_FIELD_CUSTOMER_ID];
        return 0;
}

/* Decodes the message at the head of `in`, or says why it is bad; 1 when
 * it cannot be decoded yet. */
static int decode_head(cw_merge_t *m, cw_stream_t stream, struct input *in) {
        const rd_kafka_message_t *msg = in->q[in->head % in->cap];
        char err[400];
        int r;

        in->bad = NULL;
        if (!msg->payload || !msg->len) {
                snprintf(in->bad_buf, sizeof(in->bad_buf),
                         "the record has no value; a %s record was expected",
                         cw_streams[stream].record);
        } else if ((r = m->env.decode ? m->env.decode(m->env.opaque, stream,
                                                      msg->payload, msg->len,
                                                      &in->ev, err, sizeof(err))
                                      : decode_raw(m, stream, msg, &in->ev, err,
                                                   sizeof(err))) > 0) {
                return 1; /* not decoded yet */
        } else if (r < 0) {
                snprintf(in->bad_buf, sizeof(in->bad_buf), "%s", err);
        } else if (keep_strings(in, msg)) {
                snprintf(in->bad_buf, sizeof(in->bad_buf),
                         "out of memory keeping the record's strings");
        } else if (cw_event_check(&in->ev, err, sizeof(err))) {
                snprintf(in->bad_buf, sizeof(in->bad_buf), "%s", err);
        } else if (in->ev.ts > cw_wall_ms() + m->env.max_future_ms) {
                snprintf(in->bad_buf, sizeof(in->bad_buf),
                         "ts %" PRId64 " is more than max_future (%" PRId64
                         " ms) ahead of the wall clock",
                         in->ev.ts, m->env.max_future_ms);
        } else {
                in->decoded = 1;
                return 0;
        }
        in->decoded = 1;
        in->bad = in->bad_buf;
        return 0;
}

/* A member's input: where what it has received ends, or where it was
 * assigned from before it received anything; -1: neither. */
static int64_t fetched_to(const struct input *in) {
        return in->received >= 0 ? in->received : in->start;
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
        if (in->on_broker > fetched_to(in))
                return 0; /* not even what was there when assigned */
        hi = m->env.high_watermark(m->env.opaque, stream, m->partition);
        if (hi < 0)
                return in->eof;
        return in->received >= 0 && hi <= in->received;
}

/*
 * Whether an input that is not caught up certainly has records on the
 * broker that it has not received: below the end offset looked up when it
 * was assigned, or below the high watermark of a fetch response. Those are
 * waited for however long their fetch takes, as Kafka Streams waits "to
 * fetch data that is already present on the brokers" (max.task.idle.ms):
 * processing past them would make them late, skipped. Only an input whose
 * records are not known to exist (no fetch answered yet, nothing looked
 * up) is given up on after max_idle_ms.
 */
static int has_records(cw_merge_t *m, int stream, const struct input *in) {
        int64_t at = fetched_to(in);
        int64_t hi;

        if (in->end >= 0 || at < 0)
                return 0;
        if (in->on_broker > at)
                return 1;
        hi = m->env.high_watermark(m->env.opaque, stream, m->partition);
        return hi > at;
}

/* Whether the shard must wait for empty input `in` (not caught up): until
 * max_idle_ms have passed since it became empty and a poll begun after
 * that deadline brought nothing for it. Lowers *wait_ms to the time left. */
static int must_wait(cw_merge_t *m, int stream, struct input *in, int64_t now,
                     int64_t last_poll, int *wait_ms) {
        int64_t idle = m->env.max_idle_ms, left;

        if (has_records(m, stream, in)) {
                in->empty_since = 0; /* no deadline: they will come */
                if (*wait_ms < 0 || idle < *wait_ms)
                        *wait_ms = (int)idle;
                return 1;
        }
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
                if (in->n && !in->decoded &&
                    decode_head(m, (cw_stream_t)s, in)) {
                        /* Its schema is on its way: the shard waits, and
                         * looks again soon. */
                        if (*wait_ms < 0 || *wait_ms > WAIT_DECODE_MS)
                                *wait_ms = WAIT_DECODE_MS;
                        return 0;
                }
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
                waiting |= must_wait(m, s, in, now, last_poll, wait_ms);
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

/*
 * An input's queue just emptied: it starts again at the front of its
 * array, and an array grown past QUEUE_KEEP by a catch-up is freed (a
 * new one grows again when needed). Otherwise the ring's head would walk
 * the whole array however few records are buffered, making every page of
 * it resident in turn (up to 512 kB an input at HIGH_MARK), as the
 * sink's ring of in-flight messages did in bench/soak.sh.
 */
static void empty_queue(struct input *in) {
        in->head = 0;
        if (in->cap > QUEUE_KEEP) {
                free(in->q);
                in->q = NULL;
                in->cap = 0;
        }
}

int64_t cw_merge_pop(cw_merge_t *m, cw_stream_t stream) {
        struct input *in = &m->in[stream];
        rd_kafka_message_t *msg = in->q[in->head % in->cap];
        int64_t offset = msg->offset;

        m->env.release(msg);
        in->head++;
        in->n--;
        in->decoded = 0;
        if (!in->n)
                empty_queue(in);
        return offset;
}

int cw_merge_at_end(cw_merge_t *m) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (m->in[s].n || !caught_up(m, s, &m->in[s]))
                        return 0;
        return 1;
}
