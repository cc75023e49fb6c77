/*
 * Warnings and dead letters out to Kafka (CONTRACT.md section 6): one
 * idempotent producer, Avro ChurnWarning values keyed by customer_id on the
 * warning topic, and undecodable input records, with their original key and
 * value and the churnwatch.* headers, on the dead-letter topic.
 *
 * Every message produced gets a sequence number. Delivery reports are
 * checked, and cw_kafka_sink_acked() tells below which sequence number
 * every message has been acknowledged by the cluster: the consumer commits
 * an input offset only once all that the input caused is below it
 * (at-least-once). A message that cannot be delivered after the producer's
 * own retries makes the sink failed for good: nothing after it may commit.
 *
 * Not thread-safe: one thread produces and polls.
 */
#ifndef CW_KAFKA_SINK_H
#define CW_KAFKA_SINK_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "schemas.h"
#include "warning.h"

typedef struct cw_kafka_sink cw_kafka_sink_t;

/*
 * A producer with the configuration's `kafka` properties, plus
 * enable.idempotence (messages are neither lost nor duplicated by retries)
 * and murmur2 partitioning of the warning keys, as Java clients partition.
 * `c` and `s` must outlive the sink.
 */
cw_kafka_sink_t *cw_kafka_sink_new(const cw_config_t *c, const cw_schemas_t *s,
                                   char *errstr, size_t errstr_size);

/* Flushes for up to timeout_ms, then frees. NULL is a no-op. */
void cw_kafka_sink_destroy(cw_kafka_sink_t *k, int timeout_ms);

/*
 * Produces one warning. `cause_ms` is the Kafka timestamp (ms) of the
 * input record whose evaluation emitted it, or -1: warnings with one feed
 * the event-to-warning latency figures. Waits while the local queue is
 * full. Returns 0, or -1 with a sentence (the warning could not be
 * encoded or queued).
 */
int cw_kafka_sink_warning(cw_kafka_sink_t *k, const struct cw_warning *w,
                          int64_t cause_ms, char *errstr, size_t errstr_size);

/* Produces input record `m` to the dead-letter topic with the headers
 * churnwatch.error (`why`), .topic, .partition and .offset. */
int cw_kafka_sink_dead_letter(cw_kafka_sink_t *k, const rd_kafka_message_t *m,
                              const char *why, char *errstr,
                              size_t errstr_size);

/* Once *stop is set, waits for room in the producer's queue give up and
 * fail the sink (the output is incomplete: nothing after it commits). */
void cw_kafka_sink_stop_on(cw_kafka_sink_t *k, volatile sig_atomic_t *stop);

/* Serves delivery reports, waiting up to timeout_ms for the first. */
void cw_kafka_sink_poll(cw_kafka_sink_t *k, int timeout_ms);

/* Messages produced so far: the next sequence number. */
uint64_t cw_kafka_sink_produced(const cw_kafka_sink_t *k);
/* Every message with a sequence number below this has been acknowledged. */
uint64_t cw_kafka_sink_acked(const cw_kafka_sink_t *k);

/*
 * Waits up to timeout_ms until every message produced is acknowledged.
 * Returns 0, or -1 when time ran out or a delivery failed.
 */
int cw_kafka_sink_flush(cw_kafka_sink_t *k, int timeout_ms);

/* Whether a delivery failed for good; its sentence then in errstr. */
int cw_kafka_sink_failed(const cw_kafka_sink_t *k, char *errstr,
                         size_t errstr_size);

struct cw_kafka_sink_stats {
        uint64_t warnings;     /* acknowledged */
        uint64_t dead_letters; /* acknowledged */
        uint64_t latency_n;    /* warnings with a cause timestamp */
        double latency_p50_ms; /* event timestamp to acknowledgement */
        double latency_p99_ms;
        double latency_max_ms;
};

void cw_kafka_sink_stats(const cw_kafka_sink_t *k,
                         struct cw_kafka_sink_stats *out);

/* The producer, for librdkafka calls the sink does not wrap. */
rd_kafka_t *cw_kafka_sink_handle(cw_kafka_sink_t *k);

#endif
