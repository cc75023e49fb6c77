/*
 * Inside the live pipeline: shared by pipeline.c (the loop, commits,
 * rebalances) and stats.c (its numbers, the stats line, publishing them to
 * other threads). Not a public API.
 */
#ifndef CW_PIPELINE_INT_H
#define CW_PIPELINE_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "changelog.h"
#include "consumers/consumer.h"
#include "features/engine.h"
#include "pipeline.h"
#include "sinks/kafka_sink.h"
#include "sinks/sink.h"
#include "stats.h"

/* Offsets waiting for the output they caused to be acknowledged. */
struct checkpoint {
        rd_kafka_topic_partition_list_t *offsets;
        uint64_t mark; /* output sequence numbers below it */
        struct checkpoint *next;
};

/* What the changelog needs of a shard besides its engine. */
struct shard {
        int restoring;           /* its engine is being restored (held by the
                                    consumer: nothing written, nothing processed) */
        int had_offsets;         /* the group had committed offsets for it */
        int meta_unwritten;      /* the changelog holds no metadata of it */
        struct cw_positions pos; /* next offset of each input: done below */
        uint64_t applied_base;   /* events applied before this engine */
        struct cw_shard_meta written; /* the last metadata written */
};

/* What other threads may read (stats.h): under `lock`, except the
 * heartbeat. */
struct pub {
        pthread_mutex_t lock;
        struct cw_pipeline_stats *shared; /* NULL unless publish_ms */
        struct cw_pipeline_stats *spare;  /* the pipeline's, filled unlocked */
        int published;                    /* shared holds a snapshot */
        enum cw_pipeline_phase phase;
        int restoring, assigned;
        _Atomic int64_t heartbeat_ms;
        int64_t last_ms; /* the pipeline's: when it last published */
        /* cw_pipeline_run's stop flag (set under the lock): /readyz says
         * stopping from the moment a signal sets it, not only once the
         * loop has seen it (up to a poll later). */
        volatile sig_atomic_t *stop;
};

/* The counters, since the process started: what stats.c shows. */
struct counts {
        uint64_t applied[CW_STREAM_COUNT], late[CW_STREAM_COUNT],
                dead[CW_STREAM_COUNT], warnings;
        uint64_t *alert_warnings; /* [n_alerts][2] */
        uint64_t txn_commits, txn_aborts;
        uint64_t restores, restore_records, restored_customers;
        uint64_t restore_reading; /* records the running restore has read */
        double restore_seconds;
        struct cw_hist commit;   /* processing-thread seconds a commit */
        double commit_block_max; /* the longest one block of it */
        double commit_took_sum, commit_took_max; /* start to end */
};

struct cw_pipeline {
        const cw_config_t *c;
        struct cw_pipeline_opts o;
        cw_consumer_t *k;
        cw_kafka_sink_t *out;
        cw_sink_t *file;
        cw_changelog_t *changelog;
        cw_schema_cache_t *registry; /* writer schemas; NULL: raw values */
        cw_engine_t **engines;       /* [partitions], by shard */
        struct shard *shards;        /* [partitions] */
        int partitions;
        int eos;           /* exactly once: transactions */
        int txn_failed;    /* the open transaction can only abort */
        int aborts_in_row; /* transactions aborted since one committed */
        /* The commit in progress: its offsets (committed directly once it
         * is), what an abort does, when it started, the processing time
         * it took so far. */
        rd_kafka_topic_partition_list_t *txn_offsets;
        int txn_rewind;
        int txn_real; /* it commits something (else it counts for none) */
        /* The positions the last transaction committed (NULL: unknown):
         * the same again need no transaction. */
        rd_kafka_topic_partition_list_t *committed_offsets;
        double commit_started, commit_blocked;
        struct checkpoint *head, *tail;
        int64_t cause_ms; /* Kafka timestamp of the record being processed */
        int failed;
        char err[1600];
        struct counts n;
        struct pub *pub;
        uint64_t logged_bad, logged_late, logged_jumps;
        int64_t last_commit, last_stats, last_idle_check, last_trim;
        uint64_t stats_applied[CW_STREAM_COUNT], stats_warnings; /* at the
                                                                   last line */
};

/* stats.c: set up (0, or -1 out of memory) and free what others read. */
int cw_pipeline_pub_init(cw_pipeline_t *p);
void cw_pipeline_pub_destroy(cw_pipeline_t *p);

/* Publishes a snapshot when publish_ms has passed since the last (or
 * `force`); a no-op without publish_ms. */
void cw_pipeline_publish(cw_pipeline_t *p, int64_t now, int force);

/* The phase /readyz reports (restoring/assigned for RESTORING). */
void cw_pipeline_set_phase(cw_pipeline_t *p, enum cw_pipeline_phase phase,
                           int restoring, int assigned);
enum cw_pipeline_phase cw_pipeline_phase(cw_pipeline_t *p);

/* The processing loop turned at monotonic ms `now`. */
static inline void cw_pipeline_beat(cw_pipeline_t *p, int64_t now) {
        atomic_store_explicit(&p->pub->heartbeat_ms, now, memory_order_relaxed);
}

/* pipeline.c: `run` fails (the first reason stays); output that could
 * not be produced (exactly once, when only the transaction failed, it is
 * aborted and its input processed again). */
void cw_pipeline_fail(cw_pipeline_t *p, const char *what, const char *err);
void cw_pipeline_output_failed(cw_pipeline_t *p, const char *what,
                               const char *err);

/* commit.c. Writes every shard's changes since the last call, then its
 * metadata when anything moved: 0, or -1 (failed). */
int cw_pipeline_write_changes(cw_pipeline_t *p);
/* The commit interval is up: exactly once, starts the transaction's commit
 * (an abort rewinds every shard); at least once, a checkpoint. */
void cw_pipeline_commit_start(cw_pipeline_t *p);
/* Exactly once: waits up to timeout_ms for the commit in progress, and
 * when it ended, what its outcome calls for. 0; or -1 when `run` failed or
 * a transaction aborted without rewinding. */
int cw_pipeline_commit_poll(cw_pipeline_t *p, int timeout_ms);
/* Exactly once: the commit in progress, then every output and position so
 * far in one more, to the end (a rebalance, a stop). 0; or -1 when `run`
 * failed or a transaction aborted (with `rewind`, the shards then start
 * again from the committed offsets, and 0). */
int cw_pipeline_commit_now(cw_pipeline_t *p, int rewind);
/* Exactly once: the positions last committed are no longer known (a
 * rebalance, an abort): the next transaction commits them whole. */
void cw_pipeline_forget_committed(cw_pipeline_t *p);
/* At least once: commits the checkpoints whose output is acknowledged,
 * oldest first; drops them all (after a failure). */
void cw_pipeline_commit_acknowledged(cw_pipeline_t *p);
void cw_pipeline_drop_checkpoints(cw_pipeline_t *p);

/* The one-line stats log (unless quiet). */
void cw_pipeline_stats_line(cw_pipeline_t *p, int64_t now);

/* The lines `run` logs when it stopped (stopping took stop_ms): what
 * commits cost, and exactly once when warnings became visible. */
void cw_pipeline_stop_line(cw_pipeline_t *p, int64_t stop_ms);

#endif
