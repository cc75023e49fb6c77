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

#include "common/histogram.h"
#include "config/config.h"
#include "features/warning.h"
#include "schemas/schemas.h"

typedef struct cw_kafka_sink cw_kafka_sink_t;

/*
 * A producer with the configuration's `kafka` properties, plus
 * enable.idempotence (messages are neither lost nor duplicated by retries)
 * and murmur2 partitioning of the warning keys, as Java clients partition.
 * With txn_id (exactly once) it is transactional: transactional.id txn_id,
 * transactions initialised (fencing any earlier producer of that id); all
 * output then goes into the transaction cw_kafka_sink_begin() opens.
 * `c` and `s` must outlive the sink.
 */
cw_kafka_sink_t *cw_kafka_sink_new(const cw_config_t *c, const cw_schemas_t *s,
                                   const char *txn_id, char *errstr,
                                   size_t errstr_size);

/* Flushes for up to timeout_ms, then frees. NULL is a no-op. */
void cw_kafka_sink_destroy(cw_kafka_sink_t *k, int timeout_ms);

/*
 * With the configuration's schema_registry (CONTRACT.md section 8):
 * registers the ChurnWarning schema under "<warnings topic>-value" (or,
 * auto_register = false, looks it up), waiting while the registry cannot
 * be reached until *stop is set; every warning is then framed with its id.
 * 0 (also without the group: raw values), or -1 with a sentence when the
 * registry refused (its message) or a stop was asked for.
 */
int cw_kafka_sink_register(cw_kafka_sink_t *k, volatile sig_atomic_t *stop,
                           char *errstr, size_t errstr_size);

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

/*
 * A record of the state changelog (<group_id>-state) to `partition`: key
 * (customer id, or the shard metadata key), value (NULL: a tombstone) and
 * the header churnwatch.offsets (the shard's input positions it reflects).
 */
int cw_kafka_sink_state(cw_kafka_sink_t *k, int32_t partition, const void *key,
                        size_t key_len, const void *value, size_t len,
                        const void *offsets, size_t offsets_len, char *errstr,
                        size_t errstr_size);

/* ---- exactly once ----------------------------------------------------------
 * One transaction at a time holds warnings, dead letters, changelog records
 * and the input offsets. Without a txn_id these calls do nothing. */

enum {
        CW_TXN_OK = 0,
        CW_TXN_ABORTED = 1,
        CW_TXN_FATAL = 2,
        CW_TXN_PENDING = 3
};

/* Opens a transaction unless one is open (producing opens one too).
 * 0, or -1 with a sentence. */
int cw_kafka_sink_begin(cw_kafka_sink_t *k, char *errstr, size_t errstr_size);

/*
 * Adds `offsets` (may be NULL) for consumer group `group` (the sink takes
 * it) and commits, on a thread of the sink's: the processing thread does
 * not wait for the coordinator. CW_TXN_PENDING, while the commit goes on;
 * CW_TXN_OK; CW_TXN_ABORTED: the transaction failed and was aborted, its
 * output is void (re-process from the committed offsets); CW_TXN_FATAL:
 * the producer is fenced or broken (cw_kafka_sink_reset() makes another).
 * A sentence in errstr unless OK or PENDING. Until
 * cw_kafka_sink_commit_poll() returns an outcome, output is held in memory
 * (cw_kafka_sink_full() once HELD_MAX messages are); then it opens the
 * next transaction, or is dropped with an aborted one.
 */
int cw_kafka_sink_commit_start(cw_kafka_sink_t *k,
                               const rd_kafka_topic_partition_list_t *offsets,
                               rd_kafka_consumer_group_metadata_t *group,
                               char *errstr, size_t errstr_size);
/* Waits up to timeout_ms (0: not at all) for the commit in progress:
 * CW_TXN_PENDING while it goes on, else its outcome (CW_TXN_OK when none
 * is in progress). */
int cw_kafka_sink_commit_poll(cw_kafka_sink_t *k, int timeout_ms, char *errstr,
                              size_t errstr_size);
/* Whether a commit is in progress; whether it holds so much output that
 * no more records should be taken until it ends. */
int cw_kafka_sink_committing(const cw_kafka_sink_t *k);
int cw_kafka_sink_full(const cw_kafka_sink_t *k);

/* Aborts the open transaction (none: no-op), after the commit in progress
 * if any. 0, or -1 with a sentence. */
int cw_kafka_sink_abort(cw_kafka_sink_t *k, char *errstr, size_t errstr_size);

/* A new producer in place of a fenced or broken one (same transactional
 * id: initialising it fences the old). 0, or -1 with a sentence. */
int cw_kafka_sink_reset(cw_kafka_sink_t *k, char *errstr, size_t errstr_size);

/* Whether the sink is transactional (exactly once); whether a
 * transaction is open (something was produced into it). */
int cw_kafka_sink_transactional(const cw_kafka_sink_t *k);
int cw_kafka_sink_in_transaction(const cw_kafka_sink_t *k);

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
        uint64_t warnings;      /* acknowledged */
        uint64_t dead_letters;  /* acknowledged */
        uint64_t state_records; /* changelog records acknowledged */
        uint64_t latency_n;     /* warnings with a cause timestamp */
        double latency_p50_ms;  /* event timestamp to acknowledgement */
        double latency_p99_ms;
        double latency_max_ms;
        struct cw_hist latency; /* the same, in seconds */
        /* Exactly once: the input record's timestamp to the end of the
         * commit of the transaction that holds the warning, when a
         * read_committed subscriber of a Kafka cluster can first see it. */
        uint64_t visible_n;
        double visible_p50_ms, visible_p99_ms, visible_max_ms;
};

void cw_kafka_sink_stats(const cw_kafka_sink_t *k,
                         struct cw_kafka_sink_stats *out);

/* The producer, for librdkafka calls the sink does not wrap. */
rd_kafka_t *cw_kafka_sink_handle(cw_kafka_sink_t *k);

#endif
