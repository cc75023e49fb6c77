/*
 * The configuration file (CONTRACT.md sections 3 and 6): read with libconfig,
 * validated as a whole, and turned into one immutable structure that the
 * engine, consumers and sinks read without further checks.
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "features/engine_conf.h"
#include "features/event.h"

struct cw_kafka_prop {
        char *name; /* librdkafka's dotted name */
        char *value;
        int line;
};

/* schema_registry (CONTRACT.md section 8): values are framed the
 * Confluent way and their schemas live in a Schema Registry. */
struct cw_registry_conf {
        char **urls; /* base URLs, tried in turn, no trailing '/' */
        int n_urls;
        char *user_info;       /* "user:password" or NULL: a secret, never
                                  logged */
        int auto_register;     /* register ChurnWarning (default), or only
                                  look it up */
        char *ssl_ca_location; /* CA file for HTTPS, or NULL: the system's */
        int timeout_ms;        /* per request (default 10000) */
        int line;              /* of the group, for messages */
};

void cw_registry_conf_destroy(struct cw_registry_conf *r);

/* processing_guarantee, in the order settings.c lists the choices. */
typedef enum cw_guarantee {
        CW_EXACTLY_ONCE = 0, /* transactions */
        CW_AT_LEAST_ONCE,
} cw_guarantee_t;

/* The validated file. Root settings: config/settings.c's table. */
struct cw_config {
        char *path;
        cw_engine_conf_t engine; /* features, alerts, lateness, state_ttl */
        int64_t warmup_ms; /* backtests; default largest window + lateness */
        /* Kafka mode (CONTRACT.md section 6 and docs/kafka.md) */
        int max_idle_ms;
        int64_t max_future_ms;    /* ts beyond wall clock + this: dead letter */
        cw_guarantee_t guarantee; /* processing_guarantee */
        int commit_interval_ms;   /* how often a transaction commits (or,
                                     at least once, acknowledged offsets) */
        int idle_advance_ms;   /* 0: off; else quiet shards follow the clock */
        int stats_interval_ms; /* 0: no periodic stats line */
        char *http_listen;     /* "HOST:PORT" of /metrics etc., or NULL */
        struct cw_kafka_prop *kafka;
        int n_kafka;
        char *topics[CW_STREAM_COUNT]; /* input topics by stream */
        char *warnings_topic;
        char *dead_letter_topic;
        struct cw_registry_conf *registry; /* NULL: raw Avro values */
};

typedef struct cw_config cw_config_t;

/* Problems found while loading, each "file:line: sentence". */
struct cw_diags {
        char **msgs;
        int *lines; /* the line of each message, 0 for the whole file */
        int n;
        int cap;
};

void cw_diags_init(struct cw_diags *d);
void cw_diags_free(struct cw_diags *d);
void cw_diags_add(struct cw_diags *d, const char *file, int line,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Loads and validates `path`. Returns the configuration, or NULL when any
 * problem was found; every problem is appended to `diags`.
 */
cw_config_t *cw_config_load(const char *path, struct cw_diags *diags);
void cw_config_destroy(cw_config_t *c);

/* Sets librdkafka property `name` (dotted), replacing any configured
 * value (the demo points the configuration at its own broker). 0, or -1
 * when memory runs out. */
int cw_config_kafka_set(cw_config_t *c, const char *name, const char *value);

/* Whether librdkafka property `name` (dotted) is configured. */
int cw_config_kafka_has(const cw_config_t *c, const char *name);

/* The value of librdkafka property `name` (dotted), or NULL. */
const char *cw_config_kafka_get(const cw_config_t *c, const char *name);

/* The state changelog topic: "<group.id>-state" ("churnwatch-state"
 * without a group.id). */
void cw_config_state_topic(const cw_config_t *c, char *buf, size_t size);

#endif
