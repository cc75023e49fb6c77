/*
 * What the engine computes (CONTRACT.md section 3): the features, the
 * rules and models, lateness and state_ttl, as one validated structure.
 * config/ fills it from the configuration file; replay's sweeps add
 * variants to it. Nothing here knows the file format, Kafka or Avro.
 */
#ifndef CW_ENGINE_CONF_H
#define CW_ENGINE_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "expr.h"
#include "trees.h"

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
        /* CW_ALERT_MODEL: when = score >= fire, clear = score < clear_below.
         * A logistic model uses intercept and every field of its inputs; an
         * xgboost model (trees != NULL, owned) only the inputs' features:
         * model feature i is inputs[i].feature. */
        double intercept;
        struct cw_model_input *inputs;
        int n_inputs;
        cw_trees_t *trees;
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

struct cw_engine_conf {
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
        int max_window_days;
};

typedef struct cw_engine_conf cw_engine_conf_t;

/* Frees what the structure holds (not the structure itself). */
void cw_engine_conf_free(cw_engine_conf_t *c);

/* Whether s is a name the configuration may give a feature or an alert:
 * letters, digits and '_', not starting with a digit. */
int cw_engine_conf_valid_name(const char *s);

/* Index of the feature named `name` (len bytes), or -1. */
int cw_engine_conf_feature(const cw_engine_conf_t *c, const char *name,
                           size_t len);

/* Index of the alert named `name` (as written, not a variant), or -1. */
int cw_engine_conf_alert(const cw_engine_conf_t *c, const char *name);

/*
 * Adds a sweep variant of model `model` (CONTRACT.md section 7): its own
 * alert machines with fire = v and clear = min(clear, v), label "fire=%g".
 * A variant equal to one added before is not added twice. Returns 0, or -1
 * with a sentence. Engines made before the call do not see the variant.
 */
int cw_engine_conf_add_variant(cw_engine_conf_t *c, int model, double v,
                               char *errstr, size_t errstr_size);

#endif
