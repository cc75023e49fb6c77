/*
 * Where a replay's events come from: one interface, two backends chosen
 * once, as Redis's ae.c picks its event loop. A source hands out shards
 * one after another, and each shard's events in the contract's processing
 * order (CONTRACT.md section 2); the replay driver (replay.h) runs one
 * engine per shard over them, the same per-event loop for both:
 * - files: Avro container files merged into one shard (file_merge.h);
 * - Kafka: each partition number of the four input topics read by
 *   consumers/ exactly as `run` merges it, from the beginning (or from a
 *   start time) to the end offsets seen when the shard starts, with no
 *   consumer group and no commits (CONTRACT.md section 7).
 * Records that cannot be decoded are logged with their place, counted as
 * invalid and skipped by the source.
 */
#ifndef CW_SOURCE_H
#define CW_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "features/event.h"
#include "schemas/schemas.h"

typedef struct cw_source cw_source_t;

/* A place in a source: record `pos` of file `name` (partition -1), or
 * offset `pos` of partition `partition` of topic `name`. */
struct cw_source_mark {
        const char *name; /* valid while the source's shard is open */
        int partition;
        int64_t pos;
};

/* "FILE: record N" or "topic T [P] offset O", for a log line. */
void cw_source_where(const struct cw_source_mark *m, char *buf, size_t size);

struct cw_source_stats {
        unsigned long long read;    /* records read, invalid ones included */
        unsigned long long invalid; /* skipped: could not be decoded */
        int64_t total; /* records expected in all (Kafka: what the topics
                          held at the start), or -1 when not known */
};

struct cw_source_ops {
        /* Starts the next shard: 1 (its number in *shard), 0 when every
         * shard is done, -1 with a sentence. */
        int (*next_shard)(void *impl, int *shard, char *errstr,
                          size_t errstr_size);
        /* The shard's next event: 1, 0 at its end, -1 with a sentence on
         * an error that stops the replay. ev's strings are valid until
         * the next call. */
        int (*next)(void *impl, struct cw_event *ev, char *errstr,
                    size_t errstr_size);
        /* Where the event last returned came from (a few stores: taken
         * for every event, formatted only for a log line). */
        void (*mark)(void *impl, struct cw_source_mark *m);
        /* What was read, e.g. "3 files" or "16 shards from Kafka". */
        void (*describe)(void *impl, char *buf, size_t size);
        void (*stats)(void *impl, struct cw_source_stats *out);
        void (*close)(void *impl);
        /* Every shard's events come in ascending ts (files: each file is
         * sorted or refused), so that past the first event after --to
         * all are; Kafka partitions may hold late events. */
        int ordered;
};

struct cw_source {
        const struct cw_source_ops *ops;
        void *impl;
};

/* Avro container files or folders of them (file_merge.h), one shard. NULL
 * with a sentence naming the file. */
cw_source_t *cw_source_files(char *const *paths, int n_paths,
                             const cw_schemas_t *s, int sort, char *errstr,
                             size_t errstr_size);

/* The configured input topics, shard by shard, each from its beginning
 * or, with start_ms >= 0, from the first record whose Kafka timestamp is
 * at or after it. `c` and `s` must outlive the source. NULL with a
 * sentence. */
cw_source_t *cw_source_kafka(const cw_config_t *c, const cw_schemas_t *s,
                             int64_t start_ms, char *errstr,
                             size_t errstr_size);

/* Frees. NULL is a no-op. */
void cw_source_close(cw_source_t *src);

#endif
