/*
 * The live pipeline of `run` and `demo`: the consumer's shards (consumers/),
 * one engine per shard (features/) restored from and written to the state
 * changelog (changelog.h), warnings and dead letters to Kafka
 * (sinks/kafka_sink.h). Exactly once: one transaction per commit interval
 * holds the interval's output, changelog records and input offsets; an
 * aborted one makes every shard start again from the committed offsets. At
 * least once: offsets commit once all they caused is acknowledged. Plus a
 * periodic stats line, numbers other threads can read (stats.h) and a
 * graceful stop.
 *
 * One thread drives everything; librdkafka's own threads do the network.
 */
#ifndef CW_PIPELINE_H
#define CW_PIPELINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "features/warning.h"
#include "schemas/schemas.h"
#include "stats.h"

struct cw_pipeline_opts {
        /* Also write every warning to this file (".jsonl", or "-"). */
        const char *output;
        /* Called with every warning produced (borrowed), e.g. to show it. */
        void (*on_warning)(void *opaque, const struct cw_warning *w);
        void *opaque;
        /* Stats lines go to the log unless quiet (the demo shows its own). */
        int quiet;
        /* Stop once every assigned input is read to its end (tests,
         * benchmarks, catching up in batch). */
        int exit_at_end;
        /* Tests: after restoring a shard, write its state to
         * DIR/shard-<p>.state (stream time, applied events, then every
         * customer's encoded state in hex, sorted). */
        const char *dump_state;
        /* Called between batches; a non-zero return stops the pipeline as
         * a signal would. */
        int (*tick)(void *opaque, const struct cw_pipeline *p);
        /* Publish a snapshot of the numbers for other threads every this
         * many ms (stats.h; /metrics); 0: never. */
        int publish_ms;
};

/*
 * Connects: the consumer (which checks the input topics), the producer
 * (transactional when exactly once), the state changelog (created when
 * missing). `c` and `s` must outlive the pipeline. NULL with a sentence on
 * error.
 */
cw_pipeline_t *cw_pipeline_new(const cw_config_t *c, const cw_schemas_t *s,
                               const struct cw_pipeline_opts *o, char *errstr,
                               size_t errstr_size);

/*
 * Processes until *stop is set (by a signal handler) or an error, then
 * stops within 10 s: no more fetching, output flushed and acknowledged,
 * offsets committed, group left. Returns 0, or -1 after logging why.
 */
int cw_pipeline_run(cw_pipeline_t *p, volatile sig_atomic_t *stop);

/* Frees (after cw_pipeline_run() returned). NULL is a no-op. */
void cw_pipeline_destroy(cw_pipeline_t *p);

#endif
