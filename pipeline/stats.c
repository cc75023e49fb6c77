/* The pipeline's numbers: filled from its counters, the consumer and the
 * producer; the stats line; the snapshot other threads read. */
#include "pipeline_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "common/clock.h"
#include "common/log.h"

struct cw_pipeline_stats *cw_pipeline_stats_new(const cw_pipeline_t *p) {
        struct cw_pipeline_stats *st = calloc(1, sizeof(*st));
        size_t alerts = (size_t)p->c->engine.n_alerts * 2 + 1,
               parts = (size_t)p->partitions + 1;

        if (!st || !(st->alert_warnings = calloc(alerts, sizeof(uint64_t))) ||
            !(st->partition_lag =
                      calloc(parts * CW_STREAM_COUNT, sizeof(int64_t))) ||
            !(st->stream_time = calloc(parts, sizeof(int64_t)))) {
                cw_pipeline_stats_free(st);
                return NULL;
        }
        st->n_alerts = p->c->engine.n_alerts;
        st->partitions = p->partitions;
        return st;
}

void cw_pipeline_stats_free(struct cw_pipeline_stats *st) {
        if (!st)
                return;
        free(st->alert_warnings);
        free(st->partition_lag);
        free(st->stream_time);
        free(st);
}

/* Per alert and per partition, into the arrays of `out`. */
static void details(const cw_pipeline_t *p, struct cw_pipeline_stats *out) {
        memcpy(out->alert_warnings, p->n.alert_warnings,
               (size_t)out->n_alerts * 2 * sizeof(uint64_t));
        for (int i = 0; i < out->partitions; i++) {
                int64_t *lag = &out->partition_lag[i * CW_STREAM_COUNT];
                out->stream_time[i] =
                        p->engines[i] ? cw_engine_stream_time(p->engines[i])
                                      : CW_TIME_NONE;
                if (!p->k || cw_consumer_shard_lag(p->k, i, lag))
                        for (int s = 0; s < CW_STREAM_COUNT; s++)
                                lag[s] = CW_LAG_UNASSIGNED;
        }
}

void cw_pipeline_stats(const cw_pipeline_t *p, struct cw_pipeline_stats *out) {
        struct cw_consumer_stats cs;
        struct cw_kafka_sink_stats ks;

        memcpy(out->applied, p->n.applied, sizeof(out->applied));
        memcpy(out->late, p->n.late, sizeof(out->late));
        memcpy(out->dead_letters, p->n.dead, sizeof(out->dead_letters));
        out->warnings = p->n.warnings;
        out->txn_committed = p->n.txn_commits;
        out->txn_aborted = p->n.txn_aborts;
        out->restores = p->n.restores;
        out->restore_records = p->n.restore_records + p->n.restore_reading;
        out->restored_customers = p->n.restored_customers;
        out->restore_seconds = p->n.restore_seconds;
        out->commit = p->n.commit;
        out->customers = 0;
        for (int i = 0; i < p->partitions; i++)
                if (p->engines[i])
                        out->customers +=
                                cw_engine_stats(p->engines[i])->customers;
        out->lag = 0;
        out->shards = 0;
        if (p->k) {
                cw_consumer_stats(p->k, &cs);
                out->lag = cs.lag;
                out->shards = cs.shards;
        }
        cw_kafka_sink_stats(p->out, &ks);
        out->latency = ks.latency;
        out->latency_p50_ms = ks.latency_p50_ms;
        out->latency_p99_ms = ks.latency_p99_ms;
        if (p->registry) {
                struct cw_schema_cache_stats rs;
                cw_schema_cache_stats(p->registry, &rs);
                out->registry_fetched = rs.fetched;
                out->registry_failures = rs.failures;
                out->registry_pending = rs.pending;
        }
        if (out->alert_warnings && out->n_alerts == p->c->engine.n_alerts &&
            out->partition_lag && out->partitions == p->partitions)
                details(p, out);
}

/* Field `name` of /proc/self/status in kB; -1 when there is none. */
static long status_kb(const char *text, const char *name) {
        const char *at = strstr(text, name);

        return at ? strtol(at + strlen(name), NULL, 10) : -1;
}

/*
 * The memory line: what malloc holds in use (mallinfo2: in the arenas and
 * mapped on its own) beside the resident set (/proc/self/status), which
 * also counts memory freed but kept, and its two parts: anonymous (the
 * process's own) and file-backed (library code, shared with other
 * processes). bench/soak.sh reads it.
 */
static void memory_line(void) {
#if defined(__GLIBC__) &&                                                      \
        (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
        struct mallinfo2 mi = mallinfo2();
        char text[4096];
        size_t n = 0;
        FILE *f = fopen("/proc/self/status", "r");

        if (f) {
                n = fread(text, 1, sizeof(text) - 1, f);
                fclose(f);
        }
        text[n] = 0;
        cw_info("stats: memory: heap in use %zu kB, resident %ld kB "
                "(anonymous %ld kB, files %ld kB)",
                (mi.uordblks + mi.hblkhd) / 1024, status_kb(text, "VmRSS:"),
                status_kb(text, "RssAnon:"), status_kb(text, "RssFile:"));
#endif
}

void cw_pipeline_stats_line(cw_pipeline_t *p, int64_t now) {
        struct cw_pipeline_stats st = {0};
        double el = (double)(now - p->last_stats) / 1000.0,
               rate[CW_STREAM_COUNT];

        cw_pipeline_stats(p, &st);
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                rate[s] =
                        el > 0 ? (double)(st.applied[s] - p->stats_applied[s]) /
                                         el
                               : 0;
                p->stats_applied[s] = st.applied[s];
        }
        if (!p->o.quiet && el > 0) {
                memory_line(); /* first: the events line stays the last */
                cw_info("stats: events/s purchase %.0f login %.0f ticket %.0f "
                        "survey %.0f (%" PRIu64 " applied in all), lag %" PRId64
                        ", warnings/s %.1f (%" PRIu64
                        " in all), dead letters %" PRIu64 ", late %" PRIu64
                        ", customers %" PRIu64
                        ", shards %d, latency p50 %.1f ms p99 %.1f ms, "
                        "transactions %" PRIu64 " committed %" PRIu64
                        " aborted",
                        rate[0], rate[1], rate[2], rate[3],
                        cw_stats_sum(st.applied), st.lag,
                        (double)(st.warnings - p->stats_warnings) / el,
                        st.warnings, cw_stats_sum(st.dead_letters),
                        cw_stats_sum(st.late), st.customers, st.shards,
                        st.latency_p50_ms, st.latency_p99_ms, st.txn_committed,
                        st.txn_aborted);
        }
        if (!p->o.quiet && el > 0 && p->registry)
                cw_info("stats: Schema Registry: %" PRIu64
                        " schemas fetched, %" PRIu64
                        " failed requests tried again, %" PRIu64
                        " ids waiting for their schema",
                        st.registry_fetched, st.registry_failures,
                        st.registry_pending);
        p->stats_warnings = st.warnings;
        p->last_stats = now;
}

/* ---- what other threads read ----------------------------------------------
 */

int cw_pipeline_pub_init(cw_pipeline_t *p) {
        if (!(p->pub = calloc(1, sizeof(*p->pub))))
                return -1;
        if (pthread_mutex_init(&p->pub->lock, NULL)) {
                free(p->pub);
                p->pub = NULL;
                return -1;
        }
        p->pub->phase = CW_PHASE_JOINING;
        cw_pipeline_beat(p, cw_mono_ms());
        if (p->o.publish_ms > 0 &&
            (!(p->pub->shared = cw_pipeline_stats_new(p)) ||
             !(p->pub->spare = cw_pipeline_stats_new(p))))
                return -1; /* pub_destroy frees */
        return 0;
}

void cw_pipeline_pub_destroy(cw_pipeline_t *p) {
        if (!p->pub)
                return;
        cw_pipeline_stats_free(p->pub->shared);
        cw_pipeline_stats_free(p->pub->spare);
        pthread_mutex_destroy(&p->pub->lock);
        free(p->pub);
        p->pub = NULL;
}

void cw_pipeline_publish(cw_pipeline_t *p, int64_t now, int force) {
        struct pub *b = p->pub;
        struct cw_pipeline_stats *t;

        if (!b->spare || (!force && now - b->last_ms < p->o.publish_ms))
                return;
        cw_pipeline_stats(p, b->spare);
        pthread_mutex_lock(&b->lock);
        t = b->shared;
        b->shared = b->spare;
        b->published = 1;
        pthread_mutex_unlock(&b->lock);
        b->spare = t;
        b->last_ms = now;
}

int cw_pipeline_snapshot(const cw_pipeline_t *p,
                         struct cw_pipeline_stats *out) {
        struct pub *b = p->pub;
        struct cw_pipeline_stats keep = *out;
        int rc = -1;

        pthread_mutex_lock(&b->lock);
        if (b->published && out->n_alerts == b->shared->n_alerts &&
            out->partitions == b->shared->partitions) {
                *out = *b->shared;
                out->alert_warnings = keep.alert_warnings;
                out->partition_lag = keep.partition_lag;
                out->stream_time = keep.stream_time;
                memcpy(out->alert_warnings, b->shared->alert_warnings,
                       (size_t)out->n_alerts * 2 * sizeof(uint64_t));
                memcpy(out->partition_lag, b->shared->partition_lag,
                       (size_t)out->partitions * CW_STREAM_COUNT *
                               sizeof(int64_t));
                memcpy(out->stream_time, b->shared->stream_time,
                       (size_t)out->partitions * sizeof(int64_t));
                rc = 0;
        }
        pthread_mutex_unlock(&b->lock);
        return rc;
}

void cw_pipeline_set_phase(cw_pipeline_t *p, enum cw_pipeline_phase phase,
                           int restoring, int assigned) {
        if (!p->pub) /* a pipeline_new that failed, destroying its consumer */
                return;
        pthread_mutex_lock(&p->pub->lock);
        p->pub->phase = phase;
        p->pub->restoring = restoring;
        p->pub->assigned = assigned;
        pthread_mutex_unlock(&p->pub->lock);
}

enum cw_pipeline_phase cw_pipeline_phase(cw_pipeline_t *p) {
        enum cw_pipeline_phase ph;

        if (!p->pub)
                return CW_PHASE_STOPPING;
        pthread_mutex_lock(&p->pub->lock);
        ph = p->pub->phase;
        pthread_mutex_unlock(&p->pub->lock);
        return ph;
}

void cw_pipeline_health(const cw_pipeline_t *p,
                        struct cw_pipeline_health *out) {
        pthread_mutex_lock(&p->pub->lock);
        out->phase = p->pub->stop && *p->pub->stop ? CW_PHASE_STOPPING
                                                   : p->pub->phase;
        out->restoring = p->pub->restoring;
        out->assigned = p->pub->assigned;
        pthread_mutex_unlock(&p->pub->lock);
        out->heartbeat_ms = atomic_load_explicit(&p->pub->heartbeat_ms,
                                                 memory_order_relaxed);
}

void cw_pipeline_stop_line(cw_pipeline_t *p, int64_t stop_ms) {
        double n = (double)p->n.commit.total;

        cw_info("run: stopped in %.1f s; %" PRIu64
                " commits, the processing thread blocked by one at most "
                "%.1f ms at a time, %.2f ms a commit on average; a commit "
                "took %.1f ms from start to end on average, %.1f ms at most",
                (double)stop_ms / 1e3, p->n.commit.total,
                p->n.commit_block_max * 1e3,
                n > 0 ? p->n.commit.sum * 1e3 / n : 0.0,
                n > 0 ? p->n.commit_took_sum * 1e3 / n : 0.0,
                p->n.commit_took_max * 1e3);
        if (p->eos) {
                struct cw_kafka_sink_stats ks;
                cw_kafka_sink_stats(p->out, &ks);
                cw_info("run: %" PRIu64 " warnings caused by records became "
                        "visible to read_committed subscribers (their "
                        "transaction committed) p50 %.1f ms, p99 %.1f ms, "
                        "at most %.1f ms after the record",
                        ks.visible_n, ks.visible_p50_ms, ks.visible_p99_ms,
                        ks.visible_max_ms);
        }
}
