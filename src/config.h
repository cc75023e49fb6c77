/*
 * The configuration file (CONTRACT.md sections 3 and 6): read with libconfig,
 * validated as a whole, and turned into one immutable structure that the
 * engine, consumers and sinks read without further checks.
 */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "expr.h"

typedef enum cw_agg {
        CW_AGG_COUNT = 0,
        CW_AGG_SUM,
        CW_AGG_AVG,
        CW_AGG_MIN,
        CW_AGG_MAX,
        CW_AGG_DISTINCT_DAYS,
        CW_AGG_LAST,
        CW_AGG_DAYS_SINCE_LAST,
        CW_AGG_EXPR,
        CW_AGG_COUNT_
} cw_agg_t;

extern const char *const cw_agg_names[CW_AGG_COUNT_];

struct cw_feature {
        char *name;
        int line;
        cw_agg_t agg;
        cw_stream_t stream; /* unused for CW_AGG_EXPR */
        int field;          /* slot of `field` in the stream, or -1 */
        int window_days;    /* 0 when the aggregation takes no window */
        cw_expr_t *where;   /* over the stream's fields, or NULL */
        cw_expr_t *expr;    /* CW_AGG_EXPR: over feature indexes */
};

typedef enum cw_transform {
        CW_TRANSFORM_NONE = 0,
        CW_TRANSFORM_LOG1P,
        CW_TRANSFORM_STANDARDIZE,
} cw_transform_t;

struct cw_model_input {
        int feature;
        double weight;
        double missing; /* used when the feature is NaN; default 0 */
        int has_clip;
        double clip_lo, clip_hi;
        cw_transform_t transform;
        double mean, std; /* CW_TRANSFORM_STANDARDIZE */
};

typedef enum cw_alert_kind {
        CW_ALERT_RULE = 0,
        CW_ALERT_MODEL
} cw_alert_kind_t;

/* A rule or a model: both drive the same OK/PENDING/FIRING machine. */
struct cw_alert {
        char *name;
        int line;
        cw_alert_kind_t kind;
        char *severity;
        int64_t for_ms;
        int64_t cooldown_ms;
        /* CW_ALERT_RULE. clear == NULL means "!(when)". */
        cw_expr_t *when;
        cw_expr_t *clear;
        /* CW_ALERT_MODEL: when = score >= fire, clear = score < clear_below */
        double intercept;
        struct cw_model_input *inputs;
        int n_inputs;
        double fire;
        double clear_below;
        /* Features the alert references directly, in order of appearance:
         * the `features` map of its warnings. */
        int *refs;
        int n_refs;
        /* A backtest's sweep variant (`replay --sweep`): a copy of model
         * `base` with its own fire and clear, borrowing the model's name,
         * severity, inputs and refs. `variant` is its label, "fire=<v>";
         * NULL for the alerts as written. */
        char *variant;
        int base;
};

struct cw_kafka_prop {
        char *name; /* librdkafka's dotted name */
        char *value;
        int line;
};

struct cw_config {
        char *path;
        struct cw_feature *features;
        int n_features;
        /* Feature indexes in evaluation order: every expression feature
         * after the features it reads. */
        int *eval_order;
        /* Rules first, then models, each in file order. */
        struct cw_alert *alerts;
        int n_alerts;
        int n_rules;
        int n_variants; /* sweep variants, the last n_variants alerts */
        int64_t lateness_ms;
        int64_t state_ttl_ms;
        int64_t warmup_ms; /* backtests; default largest window + lateness */
        /* Kafka mode (CONTRACT.md section 6 and the README) */
        int max_idle_ms;
        int64_t max_future_ms;  /* ts beyond wall clock + this: dead letter */
        int exactly_once;       /* processing_guarantee: transactions */
        int commit_interval_ms; /* how often a transaction commits (or,
                                   at least once, acknowledged offsets) */
        int idle_advance_ms;    /* 0: off; else quiet shards follow the clock */
        int stats_interval_ms;  /* 0: no periodic stats line */
        int max_window_days;
        struct cw_kafka_prop *kafka;
        int n_kafka;
        char *topics[CW_STREAM_COUNT]; /* input topics by stream */
        char *warnings_topic;
        char *dead_letter_topic;
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

/*
 * A librdkafka configuration holding every property of `kafka`. Returns
 * NULL with a sentence naming the file and line when one is refused, or
 * when bootstrap.servers is not set.
 */
struct rd_kafka_conf_s;
struct rd_kafka_conf_s *cw_config_kafka_conf(const cw_config_t *c, char *errstr,
                                             size_t errstr_size);

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

/* Index of the alert named `name` (as written, not a variant), or -1. */
int cw_config_alert(const cw_config_t *c, const char *name);

/*
 * Adds a sweep variant of model `model` (CONTRACT.md section 7): its own
 * alert machines with fire = v and clear = min(clear, v), label "fire=%g".
 * A variant equal to one added before is not added twice. Returns 0, or -1
 * with a sentence. Engines made before the call do not see the variant.
 */
int cw_config_add_variant(cw_config_t *c, int model, double v, char *errstr,
                          size_t errstr_size);

/* Index of the feature named `name`, or -1. */
int cw_config_feature(const cw_config_t *c, const char *name, size_t len);

#endif
