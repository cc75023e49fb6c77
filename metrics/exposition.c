#include "exposition.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/engine.h"
#include "features/warning.h"

/*
 * Metrics of one sample each, or of a few with fixed labels (consecutive
 * rows of one name share its HELP and TYPE). A new counter or gauge of
 * the pipeline is a field of struct cw_pipeline_stats, filled in
 * pipeline/stats.c, and one row here.
 */
enum kind { U64, INT, DBL };

struct scalar {
        const char *name, *type, *help;
        const char *labels; /* e.g. result="committed", or NULL */
        size_t offset;      /* in struct cw_pipeline_stats */
        enum kind kind;
};

#define ST(field) offsetof(struct cw_pipeline_stats, field)

static const struct scalar scalars[] = {
        {"churnwatch_customers", "gauge",
         "Customers held in state, over every assigned shard.", NULL,
         ST(customers), U64},
        {"churnwatch_assigned_shards", "gauge",
         "Shards (one partition number of the four input topics) assigned "
         "to this instance.",
         NULL, ST(shards), INT},
        {"churnwatch_transactions_total", "counter",
         "Transactions of the exactly-once guarantee, by result (an "
         "aborted one is processed again).",
         "result=\"committed\"", ST(txn_committed), U64},
        {"churnwatch_transactions_total", "counter", NULL, "result=\"aborted\"",
         ST(txn_aborted), U64},
        {"churnwatch_restored_shards_total", "counter",
         "Shards restored from the state changelog.", NULL, ST(restores), U64},
        {"churnwatch_restore_records_total", "counter",
         "State changelog records read by restores, the running one "
         "included.",
         NULL, ST(restore_records), U64},
        {"churnwatch_restored_customers_total", "counter",
         "Customers held after each restore, summed over restores.", NULL,
         ST(restored_customers), U64},
        {"churnwatch_restore_seconds_total", "counter",
         "Time spent restoring shards from the state changelog.", NULL,
         ST(restore_seconds), DBL},
        {"churnwatch_registry_schemas_fetched_total", "counter",
         "Writer schemas fetched from the Schema Registry (each id once).",
         NULL, ST(registry_fetched), U64},
        {"churnwatch_registry_failures_total", "counter",
         "Schema Registry requests that failed (unreachable, timeout, 5xx) "
         "and will be tried again.",
         NULL, ST(registry_failures), U64},
        {"churnwatch_registry_pending_schemas", "gauge",
         "Schema ids whose writer schema is being fetched; their records "
         "wait.",
         NULL, ST(registry_pending), U64},
};

/* Counters by input stream. */
static const struct {
        const char *name, *help;
        size_t offset; /* of a uint64_t[CW_STREAM_COUNT] */
} by_stream[] = {
        {"churnwatch_events_applied_total",
         "Input events applied to the state, by stream.", ST(applied)},
        {"churnwatch_events_late_total",
         "Input events skipped as late (ts before stream time less "
         "lateness), by stream.",
         ST(late)},
        {"churnwatch_dead_letters_total",
         "Input records sent to the dead-letter topic, by the stream of "
         "their topic.",
         ST(dead_letters)},
};

static void header(FILE *f, const char *name, const char *type,
                   const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and line feed escaped. */
static void label_value(FILE *f, const char *v) {
        for (; *v; v++) {
                if (*v == '\\' || *v == '"')
                        fputc('\\', f);
                if (*v == '\n')
                        fputs("\\n", f);
                else
                        fputc(*v, f);
        }
}

static void put_scalars(FILE *f, const struct cw_pipeline_stats *st) {
        const char *last = "";

        for (size_t i = 0; i < sizeof(scalars) / sizeof(*scalars); i++) {
                const struct scalar *m = &scalars[i];
                const char *at = (const char *)st + m->offset;
                if (strcmp(m->name, last))
                        header(f, m->name, m->type, m->help);
                last = m->name;
                fprintf(f, "%s%s%s%s ", m->name, m->labels ? "{" : "",
                        m->labels ? m->labels : "", m->labels ? "}" : "");
                if (m->kind == U64)
                        fprintf(f, "%" PRIu64 "\n", *(const uint64_t *)at);
                else if (m->kind == INT)
                        fprintf(f, "%d\n", *(const int *)at);
                else
                        fprintf(f, "%.10g\n", *(const double *)at);
        }
}

static void put_streams(FILE *f, const struct cw_pipeline_stats *st) {
        for (size_t i = 0; i < sizeof(by_stream) / sizeof(*by_stream); i++) {
                const uint64_t *v = (const uint64_t *)((const char *)st +
                                                       by_stream[i].offset);
                header(f, by_stream[i].name, "counter", by_stream[i].help);
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        fprintf(f, "%s{stream=\"%s\"} %" PRIu64 "\n",
                                by_stream[i].name, cw_streams[s].name, v[s]);
        }
}

static void put_warnings(FILE *f, const cw_config_t *c,
                         const struct cw_pipeline_stats *st) {
        header(f, "churnwatch_warnings_total", "counter",
               "Warnings produced, by alert (rule or model) and state.");
        for (int a = 0; a < st->n_alerts && a < c->engine.n_alerts; a++)
                for (int s = 0; s < 2; s++) {
                        fputs("churnwatch_warnings_total{alert=\"", f);
                        label_value(f, c->engine.alerts[a].name);
                        fprintf(f, "\",state=\"%s\"} %" PRIu64 "\n",
                                cw_warning_state_names[s],
                                st->alert_warnings[a * 2 + s]);
                }
}

static void put_partitions(FILE *f, const cw_config_t *c,
                           const struct cw_pipeline_stats *st) {
        header(f, "churnwatch_consumer_lag_records", "gauge",
               "Records on the broker not yet processed, by input topic "
               "and partition (assigned partitions with a known high "
               "watermark).");
        for (int p = 0; p < st->partitions; p++)
                for (int s = 0; s < CW_STREAM_COUNT; s++) {
                        int64_t lag =
                                st->partition_lag[p * CW_STREAM_COUNT + s];
                        if (lag < 0)
                                continue;
                        fputs("churnwatch_consumer_lag_records{topic=\"", f);
                        label_value(f, c->topics[s]);
                        fprintf(f, "\",partition=\"%d\"} %" PRId64 "\n", p,
                                lag);
                }
        header(f, "churnwatch_stream_time_seconds", "gauge",
               "Stream time of each assigned shard (the largest event ts it "
               "processed), epoch seconds.");
        for (int p = 0; p < st->partitions; p++)
                if (st->stream_time[p] != CW_TIME_NONE)
                        fprintf(f,
                                "churnwatch_stream_time_seconds{shard=\"%d\"} "
                                "%.3f\n",
                                p, (double)st->stream_time[p] / 1000.0);
}

static void put_histogram(FILE *f, const char *name, const char *help,
                          const struct cw_hist *h) {
        uint64_t below = 0;

        header(f, name, "histogram", help);
        for (int i = 0; i < h->n; i++) {
                below += h->counts[i];
                fprintf(f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
                        h->bounds[i], below);
        }
        fprintf(f,
                "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.10g\n"
                "%s_count %" PRIu64 "\n",
                name, h->total, name, h->sum, name, h->total);
}

static void put_health(FILE *f, const struct cw_pipeline_health *h) {
        char why[64];

        header(f, "churnwatch_build_info", "gauge",
               "Always 1; the version of churnwatch in its label.");
        fputs("churnwatch_build_info{version=\"", f);
        label_value(f, CW_VERSION);
        fputs("\"} 1\n", f);
        header(f, "churnwatch_ready", "gauge",
               "1 when /readyz answers 200: in the group, every assigned "
               "shard restored and consuming.");
        fprintf(f, "churnwatch_ready %d\n", cw_metrics_ready(h, why, 64));
        header(f, "churnwatch_restoring_shards", "gauge",
               "Shards of the current assignment not restored yet.");
        fprintf(f, "churnwatch_restoring_shards %d\n",
                h->phase == CW_PHASE_RESTORING ? h->restoring : 0);
}

char *cw_metrics_text(const cw_config_t *c, const struct cw_pipeline_stats *st,
                      const struct cw_pipeline_health *h, size_t *len) {
        char *buf = NULL;
        FILE *f = open_memstream(&buf, len);
        int bad;

        if (!f)
                return NULL;
        put_health(f, h);
        put_streams(f, st);
        put_warnings(f, c, st);
        put_scalars(f, st);
        put_partitions(f, c, st);
        put_histogram(f, "churnwatch_event_to_warning_seconds",
                      "From an input record's Kafka timestamp to the "
                      "broker's acknowledgement of a warning its processing "
                      "produced.",
                      &st->latency);
        put_histogram(f, "churnwatch_commit_duration_seconds",
                      "Time the processing thread spent per commit interval "
                      "on the changelog and the commit (exactly once: the "
                      "transaction's commit).",
                      &st->commit);
        bad = ferror(f);
        if (fclose(f) || bad) {
                free(buf);
                return NULL;
        }
        return buf;
}

int cw_metrics_ready(const struct cw_pipeline_health *h, char *why,
                     size_t why_size) {
        switch (h->phase) {
        case CW_PHASE_RUNNING:
                snprintf(why, why_size, "ready");
                return 1;
        case CW_PHASE_JOINING:
                snprintf(why, why_size, "joining");
                break;
        case CW_PHASE_RESTORING:
                snprintf(why, why_size, "restoring %d of %d shards",
                         h->restoring, h->assigned);
                break;
        case CW_PHASE_STOPPING:
                snprintf(why, why_size, "stopping");
                break;
        }
        return 0;
}

int cw_metrics_live(const struct cw_pipeline_health *h, int64_t now_ms) {
        return now_ms - h->heartbeat_ms <= CW_LIVE_WITHIN_MS;
}
