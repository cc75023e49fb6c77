/*
 * Kafka in (CONTRACT.md sections 2 and 6): one consumer-group member
 * subscribed to the four input topics, its assignment cut into shards (one
 * partition number across the four co-partitioned topics), each shard's
 * four partition queues merged into the contract's processing order by
 * merge.h (which says how a shard waits for a silent input, and what makes
 * a record bad, for the dead-letter topic). Records are decoded straight
 * from the message bytes: nothing is allocated per record.
 *
 * Offsets are never committed automatically: the caller says when a record
 * is done (its output acknowledged or about to be) and asks for commits.
 *
 * Not thread-safe: one thread drives the consumer; the hooks run inside
 * cw_consumer_poll() and cw_consumer_destroy() (rebalances).
 */
#ifndef CW_CONSUMER_H
#define CW_CONSUMER_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "features/event.h"
#include "merge.h"
#include "registry/cache.h"
#include "schemas/schemas.h"

typedef struct cw_consumer cw_consumer_t;

/*
 * Where an assigned shard's inputs are read from. An input the group has
 * no committed offset for starts where auto.offset.reset says: that
 * offset is looked up once, when the shard is first assigned, and kept:
 * an aborted transaction that rewinds the shard before anything was
 * committed goes back to it (with latest, the end of now would skip the
 * records in between).
 */
struct cw_shard_start {
        /* Next offset of each input: the committed one, else the one
         * looked up; -1: none (auto.offset.reset = error, or a reader). */
        int64_t offset[CW_STREAM_COUNT];
        /* Whether the group had committed an offset of the shard. */
        int committed;
        /* The shard's stream time its committed offsets carry in their
         * metadata (CW_COMMIT_META_PREFIX); INT64_MAX when they carry
         * none. */
        int64_t stream_time;
        /* Each input's end offset when it was assigned (records known to
         * be on the broker); -1: not known. */
        int64_t on_broker[CW_STREAM_COUNT];
};

/* Committed offsets' metadata: this, then the shard's stream time in
 * decimal ms, as Kafka Streams keeps a task's stream time there. */
#define CW_COMMIT_META_PREFIX "churnwatch:stream_time="

struct cw_consumer_hooks {
        void *opaque;
        /* An assignment arrived: `shards` new shards follow, each through
         * `assigned` (0 when the assignment brought none: the instance is
         * in its group with nothing to restore). May be NULL. */
        void (*assigning)(void *opaque, int shards);
        /* Shard (partition number) `shard` is now this instance's; its
         * inputs will be read from `start` (struct cw_shard_start).
         * 0: read it; 1: hold it (its state is being restored): its
         * inputs are paused and none of its records handed out until
         * cw_consumer_release(); -1 to fail the consumer. */
        int (*assigned)(void *opaque, int shard,
                        const struct cw_shard_start *start);
        /* Every shard is about to be taken away (a rebalance or close):
         * finish and acknowledge all output so far, so that the offsets
         * committed next cover only what is complete. `lost`: the group
         * took them already (a session timed out): nothing may commit.
         * 0, or -1 when that failed: nothing is committed then. */
        int (*revoking)(void *opaque, int lost);
        /* Shard `shard` is gone; its records not done are dropped (the
         * next owner fetches them again from the committed offsets). */
        void (*revoked)(void *opaque, int shard);
};

/*
 * Checks that the four input topics exist with equal partition counts (a
 * clear error naming the counts otherwise), then joins group.id with the
 * range assignor, which keeps a partition number of every topic on one
 * member. With a `registry` (the configuration's schema_registry) values
 * are framed the Confluent way (registry/framed.h); NULL: raw Avro values.
 * `c`, `s` and `registry` must outlive the consumer.
 */
cw_consumer_t *cw_consumer_new(const cw_config_t *c, const cw_schemas_t *s,
                               cw_schema_cache_t *registry,
                               const struct cw_consumer_hooks *hooks,
                               char *errstr, size_t errstr_size);

/*
 * A reader of one shard for backtests (CONTRACT.md section 7): partition
 * `partition` of the four input topics, from their beginning, or with
 * start_ms >= 0 from the first record whose Kafka timestamp is at or
 * after that time (offsets_for_times; from the beginning when the cluster
 * has no answer), up to the end offsets of now. No group, no commits;
 * hooks.assigned runs for the shard before this returns.
 * cw_consumer_at_end() tells when all of it is done.
 */
cw_consumer_t *cw_consumer_new_reader(const cw_config_t *c,
                                      const cw_schemas_t *s,
                                      cw_schema_cache_t *registry,
                                      const struct cw_consumer_hooks *hooks,
                                      int partition, int64_t start_ms,
                                      char *errstr, size_t errstr_size);

/* Leaves the group (running the revoke hooks and the final commit) and
 * frees. NULL is a no-op. */
void cw_consumer_destroy(cw_consumer_t *k);

/* Partitions of each input topic. */
int cw_consumer_partitions(const cw_consumer_t *k);

/*
 * Takes what has arrived into the shards' queues, waiting up to
 * timeout_ms when nothing has. Runs the rebalance hooks. Returns 0, or -1
 * with a sentence on an error that stops the consumer.
 */
int cw_consumer_poll(cw_consumer_t *k, int timeout_ms, char *errstr,
                     size_t errstr_size);

/*
 * The next record of some shard in its processing order: 1 with r filled,
 * valid until cw_consumer_done(); or 0 when every shard is empty or
 * waiting for an input. *wait_ms is then how long until the first waiting
 * shard gives up waiting (-1 when none waits). `now_ms` is the monotonic
 * clock in ms.
 */
int cw_consumer_next(cw_consumer_t *k, int64_t now_ms, struct cw_record *r,
                     int *wait_ms);

/* The record is processed and its output queued: its offset may commit
 * (once that output is acknowledged), and its message is freed. */
void cw_consumer_done(cw_consumer_t *k, const struct cw_record *r);

/*
 * The offsets to commit for everything done so far: next offset of every
 * input partition with a record done since the last snapshot. NULL when
 * there is nothing new. The caller owns the list.
 */
rd_kafka_topic_partition_list_t *cw_consumer_snapshot(cw_consumer_t *k);

/* Commits `offsets` (taking the list); `sync` waits for the answer.
 * 0, or -1 with a sentence. */
int cw_consumer_commit(cw_consumer_t *k,
                       rd_kafka_topic_partition_list_t *offsets, int sync,
                       char *errstr, size_t errstr_size);

struct cw_consumer_stats {
        int shards;          /* assigned now */
        int64_t lag;         /* records on the broker not yet done */
        uint64_t buffered;   /* records fetched, not yet done */
        uint64_t bad;        /* handed out as bad */
        uint64_t idle_waits; /* times a shard gave up waiting for an input */
};

void cw_consumer_stats(const cw_consumer_t *k, struct cw_consumer_stats *out);

/* The lag of each input partition of shard `shard` (records on the broker
 * not yet done, from cached high watermarks; -1 where no watermark is
 * known yet). 0, or -1 (and nothing filled) when the shard is not
 * assigned. */
int cw_consumer_shard_lag(const cw_consumer_t *k, int shard,
                          int64_t lag[CW_STREAM_COUNT]);

/* A reader of shard 0: the records its creation found in every partition
 * of the four input topics (high less low watermark); 0 otherwise. */
int64_t cw_consumer_records_on_broker(const cw_consumer_t *k);

/* Whether shards are assigned and every input of each has been read to
 * the end the broker had at the last fetch, and processed. */
int cw_consumer_at_end(cw_consumer_t *k);

/* The consumer group's metadata for transactions (the caller destroys it
 * with rd_kafka_consumer_group_metadata_destroy()). */
rd_kafka_consumer_group_metadata_t *
cw_consumer_group_metadata(cw_consumer_t *k);

/*
 * Starts every assigned shard again from the committed offsets, as after
 * a rebalance that gave them back: buffered records are dropped, the
 * revoked hook runs for each shard, then the assigned hook (which rebuilds
 * its state), then fetching resumes from the committed offsets. For an
 * aborted transaction. 0, or -1 with a sentence.
 */
int cw_consumer_rewind(cw_consumer_t *k, char *errstr, size_t errstr_size);

/* Shard `shard`, held by its assigned hook, is ready: its inputs are
 * fetched and its records handed out from now on. 0, or -1 when it is not
 * held (or not assigned). */
int cw_consumer_release(cw_consumer_t *k, int shard);

/* Monotonic ms when shard `shard` last received a record; -1 when it is
 * not assigned. */
int64_t cw_consumer_last_received(const cw_consumer_t *k, int shard);

#endif
