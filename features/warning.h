/*
 * A churn warning as the engine emits it (CONTRACT.md section 4). Sinks turn
 * it into JSONL, an Avro container record or a Kafka message; every pointer
 * in it is borrowed and valid only during the callback that delivers it.
 */
#ifndef CW_WARNING_H
#define CW_WARNING_H

#include <stdint.h>

#include "event.h"

typedef enum cw_warning_kind {
        CW_KIND_RULE = 0,
        CW_KIND_MODEL
} cw_warning_kind_t;
typedef enum cw_warning_state {
        CW_STATE_FIRING = 0,
        CW_STATE_RESOLVED
} cw_warning_state_t;
typedef enum cw_trigger { CW_TRIGGER_EVENT = 0, CW_TRIGGER_TIMER } cw_trigger_t;

/* Longest reasons list (contract: up to 3). */
#define CW_WARNING_MAX_REASONS 3

struct cw_warning_feature {
        const char *name;
        double value; /* always finite: NaN and infinities are left out */
};

struct cw_warning {
        char warning_id[33]; /* 32 lowercase hex digits, NUL-terminated */
        cw_str_t customer_id;
        const char *alert;
        cw_warning_kind_t kind;
        cw_warning_state_t state;
        const char *severity;
        int64_t eval_ts;
        cw_trigger_t trigger;
        int has_score; /* models: 1, rules: 0 (score is null) */
        double score;
        const struct cw_warning_feature *features;
        int n_features;
        const char *reasons[CW_WARNING_MAX_REASONS];
        int n_reasons;
        int64_t emitted_at;
        /* Not in the schema: the configuration's alert (an index of
         * cw_engine_conf.alerts) that emitted it; -1 when not from an engine.
         */
        int alert_index;
};

/* Enum symbols as in schemas/churn_warning.avsc. */
extern const char *const cw_warning_kind_names[2];
extern const char *const cw_warning_state_names[2];
extern const char *const cw_trigger_names[2];

/*
 * The deterministic warning_id: a 128-bit hash of (customer_id, alert,
 * state, eval_ts) as 32 hex digits. The same input and configuration always
 * give the same id; distinct tuples collide with probability ~2^-128.
 */
void cw_warning_id(char out[33], cw_str_t customer_id, const char *alert,
                   cw_warning_state_t state, int64_t eval_ts);

#endif
