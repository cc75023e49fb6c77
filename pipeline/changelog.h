/*
 * The state changelog (<group_id>-state): each shard's engine state as a
 * compacted Kafka topic co-partitioned with the inputs, as Kafka Streams
 * keeps a state store's changelog. Records:
 * - key customer_id, value the customer's encoded state (features/state.c),
 *   or no value (a tombstone) for a customer evicted;
 * - key CW_CHANGELOG_META_KEY (longer than any valid customer_id, so it
 *   cannot collide), value the shard's metadata: stream time (its sweep
 *   position is the day of it), applied events, input positions.
 * Every record carries the header churnwatch.offsets: the next offsets of
 * the shard's four input partitions (purchase, login, ticket, survey) the
 * state reflects, then the shard's stream time (records written before
 * that was added have only the offsets).
 *
 * Restore applies a record only when its offsets are all at or below the
 * committed offsets of the consumer group, and its stream time at or
 * below the one those offsets carry in their metadata. On real Kafka a
 * read_committed reader never sees the records of aborted transactions;
 * librdkafka's mock cluster shows them, and at least once writes the
 * changelog ahead of the commit: both leave records past the committed
 * offsets, which restore skips. An interval that read no record but moved
 * stream time (idle_advance_ms) leaves the offsets as they were: its
 * stream time tells its records apart. A record of an aborted interval
 * that is at or below both was written again, later, by the re-processing
 * of the same input, so the latest record of each key is still the
 * committed state.
 */
#ifndef CW_CHANGELOG_H
#define CW_CHANGELOG_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "features/engine.h"
#include "features/event.h"

#define CW_CHANGELOG_META_KEY_LEN 257
extern const char cw_changelog_meta_key[CW_CHANGELOG_META_KEY_LEN + 1];

/* Next offset of each input partition of a shard; -1 for none yet. */
struct cw_positions {
        int64_t next[CW_STREAM_COUNT];
};

/* Bytes of the positions, of the header (positions and stream time, or
 * positions only in records of earlier versions), of the metadata. */
#define CW_CHANGELOG_OFFSETS_LEN (8 * CW_STREAM_COUNT)
#define CW_CHANGELOG_HEADER_LEN (CW_CHANGELOG_OFFSETS_LEN + 8)
#define CW_CHANGELOG_META_LEN (1 + 8 + 8 + CW_CHANGELOG_OFFSETS_LEN)

struct cw_shard_meta {
        int64_t stream_time; /* CW_TIME_NONE before any event */
        uint64_t applied;    /* events applied since the shard began */
        struct cw_positions pos;
};

void cw_changelog_encode_offsets(const struct cw_positions *p,
                                 uint8_t out[CW_CHANGELOG_OFFSETS_LEN]);
/* The churnwatch.offsets header: the positions, then the stream time. */
void cw_changelog_encode_header(const struct cw_positions *p,
                                int64_t stream_time,
                                uint8_t out[CW_CHANGELOG_HEADER_LEN]);
void cw_changelog_encode_meta(const struct cw_shard_meta *m,
                              uint8_t out[CW_CHANGELOG_META_LEN]);
int cw_changelog_decode_meta(const uint8_t *buf, size_t len,
                             struct cw_shard_meta *m);

typedef struct cw_changelog cw_changelog_t;

/*
 * Opens a reader of the changelog (no consumer group, read_committed) and
 * makes sure the topic exists with `partitions` partitions: creates it
 * (cleanup.policy=compact) when missing, fails clearly when it has another
 * count. NULL with a sentence.
 */
cw_changelog_t *cw_changelog_open(const cw_config_t *c, int partitions,
                                  char *errstr, size_t errstr_size);
void cw_changelog_close(cw_changelog_t *cl);

struct cw_restore_stats {
        uint64_t records;   /* read */
        uint64_t skipped;   /* past the committed offsets */
        uint64_t metas;     /* metadata records applied */
        uint64_t customers; /* held after the restore */
        double seconds;
};

/* While restores read, fn(opaque, records the restores in progress have
 * read) about every 100 ms and when one finishes: the caller shows
 * progress and stays alive to its probes. */
void cw_changelog_on_progress(cw_changelog_t *cl,
                              void (*fn)(void *opaque, uint64_t records),
                              void *opaque);

/* ---- restores ---------------------------------------------------------------
 * Every shard being restored is read through the one reader, in parallel
 * with the others: a shard starts when it is assigned and is restored when
 * its partition is read to its end (a partition EOF: read_committed, the
 * last stable offset). The caller polls between its own work, so that
 * shards already restored go on while others restore.
 *
 * Exactly once (`filter`), a record applies only when its offsets are all
 * at or below the committed ones. At least once (no filter), as Kafka
 * Streams: the changelog is written ahead of the offset commit, so after a
 * crash the state may include events that are then processed again; on a
 * compacted topic skipping those records could lose a customer whose
 * older record was compacted away. */

/*
 * Starts restoring shard `partition` into `e` (an engine just made) from
 * its changelog partition's beginning, as of the committed offsets
 * `committed` and the stream time `committed_time` they carry (INT64_MAX
 * when unknown). A restore of that shard in progress starts over. 0, or
 * -1 with a sentence.
 */
int cw_changelog_start(cw_changelog_t *cl, int partition,
                       const struct cw_positions *committed,
                       int64_t committed_time, int filter, cw_engine_t *e,
                       char *errstr, size_t errstr_size);

/* Stops restoring shard `partition` (revoked; its engine is the
 * caller's). Nothing when it is not restoring. */
void cw_changelog_cancel(cw_changelog_t *cl, int partition);

/* Shards being restored. */
int cw_changelog_restoring(const cw_changelog_t *cl);

/* A shard restored: its engine holds the state (cw_engine_restored() has
 * run), *meta is the latest metadata applied (stream_time CW_TIME_NONE,
 * applied 0 and the committed positions when there was none). */
typedef void(cw_restored_cb)(void *opaque, int partition,
                             const struct cw_shard_meta *meta,
                             const struct cw_restore_stats *st);

/*
 * Takes what the reader fetched, waiting up to timeout_ms for the first
 * record, and applies it in batches of records; each shard read to its end
 * is finished and handed to done(). Logs progress every second. 0, or -1
 * with a sentence (a record that does not decode names its offset).
 */
int cw_changelog_poll(cw_changelog_t *cl, int timeout_ms, cw_restored_cb *done,
                      void *opaque, char *errstr, size_t errstr_size);

#endif
