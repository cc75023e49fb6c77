/*
 * The numbers of a running pipeline (pipeline.h): one source for the
 * stats log line, the demo's status and /metrics (metrics/), so that they
 * always agree. Counters count since the process started.
 *
 * Threads. cw_pipeline_stats() reads the live numbers and runs only on the
 * pipeline's own thread (inside its tick, or after cw_pipeline_run()).
 * Other threads read what that thread publishes: with
 * cw_pipeline_opts.publish_ms it copies a snapshot every publish_ms into
 * a shared one, swapped under a lock held only for the swap, and keeps its
 * phase and heartbeat where cw_pipeline_health() reads them at any time.
 * A reader never waits for processing, and processing never waits for a
 * reader longer than one copy of the snapshot.
 */
#ifndef CW_PIPELINE_STATS_H
#define CW_PIPELINE_STATS_H

#include <stdint.h>

#include "common/histogram.h"
#include "features/event.h"

typedef struct cw_pipeline cw_pipeline_t;

struct cw_pipeline_stats {
        /* counters */
        uint64_t applied[CW_STREAM_COUNT];      /* events applied, by stream */
        uint64_t late[CW_STREAM_COUNT];         /* events skipped as late */
        uint64_t dead_letters[CW_STREAM_COUNT]; /* records sent there */
        uint64_t warnings;                      /* produced, every alert */
        uint64_t txn_committed, txn_aborted;    /* exactly once */
        uint64_t restores;                      /* shards restored */
        uint64_t restore_records;    /* changelog records read restoring */
        uint64_t restored_customers; /* customers held after restores */
        double restore_seconds;      /* time spent restoring */
        struct cw_hist latency;      /* input record's timestamp to the
                                        warning's acknowledgement, s */
        struct cw_hist commit;       /* a commit on the processing thread, s */
        /* gauges */
        uint64_t customers; /* held, every shard */
        int shards;         /* assigned */
        int64_t lag;        /* records on the broker not yet done */
        double latency_p50_ms, latency_p99_ms; /* of `latency`, finer */
        /* Schema Registry (zero without one): schemas fetched, requests
         * failed and tried again (counters), ids waiting for their schema
         * now (a gauge). */
        uint64_t registry_fetched, registry_failures, registry_pending;
        /* Details, filled only where the arrays are (stats_new). */
        int n_alerts;
        uint64_t *alert_warnings; /* [n_alerts][2]: FIRING, RESOLVED */
        int partitions;
        /* [partitions][CW_STREAM_COUNT]: records on the broker not yet
         * done; -1 unknown yet; CW_LAG_UNASSIGNED for another instance's */
        int64_t *partition_lag;
        /* [partitions]: the shard's stream time (ms), CW_TIME_NONE when
         * it has none or is not assigned */
        int64_t *stream_time;
};

#define CW_LAG_UNASSIGNED (-2)

/* Events applied, late, ... summed over the streams. */
static inline uint64_t cw_stats_sum(const uint64_t v[CW_STREAM_COUNT]) {
        uint64_t n = 0;
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                n += v[s];
        return n;
}

/* A snapshot with room for p's details (zeroed), or NULL. */
struct cw_pipeline_stats *cw_pipeline_stats_new(const cw_pipeline_t *p);
void cw_pipeline_stats_free(struct cw_pipeline_stats *st);

/* The live numbers (the pipeline's thread only) into `out`: zeroed, or
 * from cw_pipeline_stats_new() to have the details too. */
void cw_pipeline_stats(const cw_pipeline_t *p, struct cw_pipeline_stats *out);

/* Any thread: the last published snapshot into `out` (from
 * cw_pipeline_stats_new(p)). 0, or -1 when none is published yet. */
int cw_pipeline_snapshot(const cw_pipeline_t *p, struct cw_pipeline_stats *out);

/* What /readyz says: see cw_pipeline_health. */
enum cw_pipeline_phase {
        CW_PHASE_JOINING,   /* not in the group, or between assignments */
        CW_PHASE_RESTORING, /* rebuilding assigned shards from the changelog */
        CW_PHASE_RUNNING,   /* every assigned shard restored and consuming */
        CW_PHASE_STOPPING,  /* asked to stop, or failed */
};

struct cw_pipeline_health {
        enum cw_pipeline_phase phase;
        /* RESTORING: shards of the assignment not restored yet (the one
         * being restored included), of `assigned` */
        int restoring, assigned;
        /* Monotonic ms (common/clock.h) of the processing loop's last
         * turn; a restore reading its changelog counts as turning. */
        int64_t heartbeat_ms;
};

/* Any thread. */
void cw_pipeline_health(const cw_pipeline_t *p, struct cw_pipeline_health *out);

#endif
