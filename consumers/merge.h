/*
 * One shard's merge (CONTRACT.md section 2): the four input partitions of
 * a partition number, each a FIFO of fetched messages, merged into the
 * contract's processing order: smallest ts first, ties by stream, then
 * offset (a FIFO is in offset order).
 *
 * An input with nothing buffered holds the shard back until it is caught
 * up (it has everything the broker had at its last fetch response) or has
 * stayed silent for max_idle_ms, as Kafka Streams waits max.task.idle.ms:
 * so the order, and every result, is that of a file replay of the same
 * records unless an input is silent for longer than that while it still
 * has records on the broker.
 *
 * Records are decoded at the head of their FIFO, straight from the message
 * bytes (schemas/fastread.h; avro-c's decoder names what is wrong with one
 * that does not decode), their strings pointing into the message. A record
 * that cannot be decoded, has an unusable customer_id or ts, or a ts more
 * than max_future ahead of the wall clock, comes out first, as bad.
 *
 * Knows nothing of the consumer group: the consumer (consumer.c) pushes
 * what it fetches and says where each input's end is. Not thread-safe.
 */
#ifndef CW_MERGE_H
#define CW_MERGE_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "features/event.h"
#include "schemas/decode.h"

/* A record handed out in processing order. */
struct cw_record {
        int shard;
        cw_stream_t stream;
        const rd_kafka_message_t *msg;
        struct cw_event ev; /* when bad is NULL; strings point into msg */
        const char *bad;    /* why it goes to the dead-letter topic */
};

/* What a merge asks of its consumer. */
struct cw_merge_env {
        void *opaque;
        /* The high watermark of input `stream` of partition `partition`
         * from the client's last fetch response; -1 when unknown. */
        int64_t (*high_watermark)(void *opaque, int stream, int partition);
        /* Frees a message the merge owns (rd_kafka_message_destroy). */
        void (*release)(rd_kafka_message_t *m);
        int max_idle_ms;
        int64_t max_future_ms;
        /* Per stream, avro-c's decoder that explains a bad record. */
        cw_decoder_t *const *decoders;
        /* Decodes a value of `stream` into ev another way than as a raw
         * Avro record (Schema Registry framing), or NULL: 0; -1 when it is
         * bad (why filled); 1 to wait: the value cannot be decoded yet
         * (its schema is on its way) and the shard waits for it. The
         * event's checks (customer_id, ts, max_future) follow. */
        int (*decode)(void *opaque, cw_stream_t stream, const void *value,
                      size_t len, struct cw_event *ev, char *why,
                      size_t why_size);
};

typedef struct cw_merge cw_merge_t;

/* The merge of shard `partition`; `env` is copied, its decoders borrowed.
 * NULL when memory runs out. */
cw_merge_t *cw_merge_new(int partition, const struct cw_merge_env *env);

/* Releases every buffered message and frees. NULL is a no-op. */
void cw_merge_destroy(cw_merge_t *m);

/* Appends a fetched message of `stream` (taking it). 0, or -1 when memory
 * runs out (the message is then still the caller's). */
int cw_merge_push(cw_merge_t *m, cw_stream_t stream, rd_kafka_message_t *msg);

/* Input `stream` was seen at its end, at `offset`. */
void cw_merge_eof(cw_merge_t *m, cw_stream_t stream, int64_t offset);

/* A reader's input: fetched from `received` on, nothing at or past `end`
 * is read (its end is fixed, not the broker's). */
void cw_merge_set_range(cw_merge_t *m, cw_stream_t stream, int64_t received,
                        int64_t end);

/* A member's input `stream`: assigned from offset `start`, with records on
 * the broker up to `on_broker` (its end offset looked up then; -1: not
 * known). Until it has received them the shard waits for it, without the
 * max_idle_ms limit, and it is not at its end. */
void cw_merge_set_known(cw_merge_t *m, cw_stream_t stream, int64_t start,
                        int64_t on_broker);

/* Where a reader's input ends; -1 in a group. */
int64_t cw_merge_end(const cw_merge_t *m, cw_stream_t stream);

/* Messages buffered for `stream`. */
size_t cw_merge_buffered(const cw_merge_t *m, cw_stream_t stream);

/*
 * The shard's next record in processing order: 1 with r filled (valid
 * until cw_merge_pop()), or 0 when it is empty or waiting for an input;
 * *wait_ms is then lowered to the time left of the first wait (it is left
 * alone when nothing waits). `now` is the monotonic clock in ms and
 * `last_poll` when the consumer's last poll began: an input gives up
 * waiting only once a poll begun past its deadline brought nothing, so
 * that a main loop busy for longer does not count as waiting.
 */
int cw_merge_next(cw_merge_t *m, int64_t now, int64_t last_poll,
                  struct cw_record *r, int *wait_ms);

/* Removes the head of `stream` (the record last handed out), releasing its
 * message. Returns its offset. */
int64_t cw_merge_pop(cw_merge_t *m, cw_stream_t stream);

/* Whether every input is empty and caught up. */
int cw_merge_at_end(cw_merge_t *m);

/* Times an input was given up on after max_idle_ms. */
uint64_t cw_merge_idle_waits(const cw_merge_t *m);

#endif
