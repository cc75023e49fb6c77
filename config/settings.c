#include "settings.h"

#include <stddef.h>
#include <string.h>

#include "common/duration.h"
#include "config.h"

#define OFF(field) ((long)offsetof(cw_config_t, field))

static const char *const guarantees[] = {"exactly_once", "at_least_once", NULL};

/* In the order `check-config` lists them for an unknown setting. */
const struct cw_setting cw_settings[] = {
        {"features", CW_SETTING_SECTION, -1, NULL, "required", 0, 0, NULL,
         "list of groups", "the per-customer features"},
        {"rules", CW_SETTING_SECTION, -1, NULL, "none", 0, 0, NULL,
         "list of groups", "threshold rules"},
        {"models", CW_SETTING_SECTION, -1, NULL, "none", 0, 0, NULL,
         "list of groups", "logistic and xgboost models"},
        {"lateness", CW_SETTING_DURATION, OFF(engine.lateness_ms), "7d", NULL,
         0, 0, NULL, "duration",
         "events with `ts < stream_time - lateness` are skipped as late"},
        {"state_ttl", CW_SETTING_DURATION, OFF(engine.state_ttl_ms), "365d",
         NULL, 1, 0, NULL, "duration > 0",
         "customers inactive this long are evicted at a day sweep"},
        {"warmup", CW_SETTING_DURATION, OFF(warmup_ms), NULL,
         "largest window + `lateness`", 0, 0, NULL, "duration",
         "history a backtest with `--from` replays first"},
        {"kafka", CW_SETTING_GROUP, -1, NULL, "none", 0, 0, NULL, "group",
         "librdkafka properties, `_` for `.`"},
        {"topics", CW_SETTING_GROUP, -1, NULL, "see below", 0, 0, NULL, "group",
         "topic names"},
        {"schema_registry", CW_SETTING_GROUP, -1, NULL,
         "none (raw Avro values)", 0, 0, NULL, "group",
         "the Confluent Schema Registry: values framed the Confluent way "
         "([docs/kafka.md](kafka.md#schema-registry))"},
        {"max_idle_ms", CW_SETTING_MS, OFF(max_idle_ms), "1000", NULL, 0,
         3600000, NULL, NULL,
         "how long a shard waits for an empty input partition that may "
         "still have records on the broker (Kafka Streams' "
         "`max.task.idle.ms`); one known to have records there (its end "
         "offset when assigned, or a fetch's high watermark) is waited "
         "for however long its fetch takes"},
        {"max_future", CW_SETTING_DURATION, OFF(max_future_ms), "1d", NULL, 0,
         0, NULL, "duration",
         "`run`: a record whose `ts` is more than this ahead of the wall "
         "clock goes to the dead-letter topic (file replay does not look at "
         "the clock)"},
        {"commit_interval_ms", CW_SETTING_MS, OFF(commit_interval_ms), NULL,
         "`100` exactly once, `1000` at least once", 1, 3600000, NULL, NULL,
         "`run`: one transaction per interval; at least once, how often "
         "processed offsets are queued for commit (each commits once all it "
         "caused is acknowledged)"},
        {"idle_advance_ms", CW_SETTING_MS, OFF(idle_advance_ms), "0",
         "`0` (off)", 0, 3600000, NULL, NULL,
         "`run`: when a shard has received nothing for this long (wall "
         "clock), its stream time moves to the wall clock, so that timers "
         "(`days_since_last`) still fire on a quiet partition. **Not "
         "deterministic**: results then depend on when records arrive, and "
         "a replay will not reproduce them"},
        {"stats_interval_ms", CW_SETTING_MS, OFF(stats_interval_ms), "10000",
         NULL, 0, 3600000, NULL, NULL,
         "`run`: period of the one-line stats log; 0 turns it off"},
        {"processing_guarantee", CW_SETTING_CHOICE, OFF(guarantee),
         "exactly_once", NULL, 0, 0, guarantees,
         "`\"exactly_once\"` or `\"at_least_once\"`",
         "`run`: transactions (each warning once for `read_committed` "
         "subscribers), or none (a crash may repeat warnings, with the same "
         "`warning_id`)"},
        {"http_listen", CW_SETTING_ADDRESS, OFF(http_listen), NULL,
         "none (no HTTP server)", 0, 0, NULL, "`\"HOST:PORT\"`",
         "`run` and `demo`: serve `/metrics` (Prometheus), `/livez` and "
         "`/readyz` on this address, e.g. `\"0.0.0.0:9464\"` (port 0: any "
         "free port, logged); see [kafka.md](kafka.md#metrics-and-health)"},
};

const int cw_n_settings = (int)(sizeof(cw_settings) / sizeof(cw_settings[0]));

const struct cw_setting *cw_setting_find(const char *name) {
        for (int i = 0; i < cw_n_settings; i++)
                if (!strcmp(cw_settings[i].name, name))
                        return &cw_settings[i];
        return NULL;
}

/* The type column: given, or from the kind and bounds. */
static void type_of(const struct cw_setting *s, char *buf, size_t size) {
        if (s->type_doc)
                snprintf(buf, size, "%s", s->type_doc);
        else
                snprintf(buf, size, "integer %lld..%lld", (long long)s->lo,
                         (long long)s->hi);
}

/* The default column: given, or the default value as a file writes it. */
static void default_of(const struct cw_setting *s, char *buf, size_t size) {
        if (s->default_doc)
                snprintf(buf, size, "%s", s->default_doc);
        else if (s->kind == CW_SETTING_MS)
                snprintf(buf, size, "`%s`", s->default_value);
        else
                snprintf(buf, size, "`\"%s\"`", s->default_value);
}

void cw_settings_markdown(FILE *out) {
        char type[128], def[128];

        fputs("| setting | type | default | meaning |\n|---|---|---|---|\n",
              out);
        for (int i = 0; i < cw_n_settings; i++) {
                const struct cw_setting *s = &cw_settings[i];
                type_of(s, type, sizeof(type));
                default_of(s, def, sizeof(def));
                fprintf(out, "| `%s` | %s | %s | %s |\n", s->name, type, def,
                        s->help);
        }
}
