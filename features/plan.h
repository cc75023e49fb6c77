/*
 * The engine's plan: the configuration compiled into the few arrays the hot
 * path walks. Built once per engine from a validated struct cw_engine_conf.
 *
 * Per stream, events are filtered by the distinct `where` expressions of the
 * features on it. Windowed aggregates share ONE sorted list of day buckets
 * per stream and customer (slicing): a bucket holds, per filter, the count
 * of matching events and, per (filter, field), the sum, min or max of the
 * field over that day. A window of N days is then a set of running totals
 * over the buckets of the last N days ("group"), updated when an event lands
 * and when a day leaves the window, so reading a window costs O(1).
 * `last` and `days_since_last` need no buckets: a tracker keeps the latest
 * matching event's ts (and field value).
 */
#ifndef CW_PLAN_H
#define CW_PLAN_H

#include <stdint.h>

#include "engine_conf.h"

#define CW_PLAN_MAX_FILTERS 32
/* Most running totals one window length of one stream may have. */
#define CW_PLAN_MAX_GROUP_RUNS 64
/* Most bucket columns, and window lengths, one stream may have: a bucket
 * is decoded into an array of its columns, and a day's move tracks each
 * window length's extremes in an array. */
#define CW_PLAN_MAX_COLS 256
#define CW_PLAN_MAX_GROUPS 64

typedef enum cw_col_kind {
        CW_COL_COUNT = 0, /* per filter: matching events that day */
        CW_COL_SUM,
        CW_COL_MIN,
        CW_COL_MAX,
} cw_col_kind_t;

/* A bucket column. Counts are uint32, values int64: every numeric input
 * field is an int, long or boolean, so sums stay exact. */
struct cw_col {
        cw_col_kind_t kind;
        int filter;
        int field;     /* value columns */
        int count_col; /* value columns: the COUNT column of their filter */
        int index;     /* among the stream's counts, or its values */
};

typedef enum cw_run_kind {
        CW_RUN_SUM = 0, /* sum of a column over the window (count or sum) */
        CW_RUN_DAYS,    /* days in the window whose count column is > 0 */
        CW_RUN_MIN,     /* min of a MIN column over the window (cached) */
        CW_RUN_MAX,     /* max of a MAX column over the window (cached) */
} cw_run_kind_t;

/* A running total: one int64 per customer. */
struct cw_run {
        cw_run_kind_t kind;
        int col;
        int count_run; /* MIN/MAX/SUM of values: the run counting the filter */
};

/* The running totals of one window length on one stream, and the
 * planned features that read them. */
struct cw_group {
        int days;
        int *runs;
        int n_runs;
        int *feats;
        int n_feats;
};

struct cw_stream_plan {
        cw_expr_t *filters[CW_PLAN_MAX_FILTERS]; /* NULL: matches all */
        int n_filters;
        struct cw_col *cols;
        int n_cols, n_counts, n_values;
        int max_days;    /* longest window; 0: no buckets for this stream */
        int bucket_slot; /* index of this stream's bucket area */
        struct cw_group *groups;
        int n_groups;
        int gid0;      /* its groups' numbers among every stream's (wake.c) */
        int *trackers; /* indexes into cw_plan.trackers */
        int n_trackers;
};

/* The latest matching event of one filter of a stream (last,
 * days_since_last): its ts, and the fields `last` features read of it. */
struct cw_tracker {
        cw_stream_t stream;
        int filter;
        int fields[CW_EVENT_MAX_FIELDS]; /* value index per field, or -1 */
};

/* How each feature reads its value. */
struct cw_feature_plan {
        cw_agg_t agg;
        int used;      /* read by some alert, directly or through expressions */
        int run;       /* count/sum/min/max/distinct_days: main run */
        int count_run; /* sum/avg/min/max: run holding the count */
        int group;     /* windows: index in its stream's groups */
        int tracker;   /* last/days_since_last */
        int value;     /* last: index among tracker values */
};

struct cw_plan {
        const cw_engine_conf_t *config;
        struct cw_stream_plan streams[CW_STREAM_COUNT];
        struct cw_run *runs;
        int n_runs;
        struct cw_tracker *trackers;
        int n_trackers;
        int n_tracker_values;
        struct cw_feature_plan *features;
        int *eval_order; /* the config's eval_order, used features only */
        int n_eval;
        int n_bucket_streams;
        int slot_stream[CW_STREAM_COUNT]; /* by bucket slot */
        int n_gids;                       /* window groups of every stream */
        /* Per-customer layout, bytes from the start of its record. */
        int off_runs;   /* int64[n_runs] */
        int off_tr_ts;  /* int64[n_trackers] */
        int off_tr_val; /* int64[n_tracker_values] */
        int off_alerts; /* int64[n_alerts]: each alert's timer */
        int off_bmeta;  /* uint16 {n, cap}[n_bucket_streams] */
        int off_bwid;   /* uint8[n_bucket_streams]: bucket widths */
        int off_states; /* uint8[n_alerts] */
        int fixed_size; /* the customer id, then the bucket areas, follow */
};

/* Plans the features some alert reads, directly or through expressions,
 * or with all_features every configured one (point-in-time rows,
 * cw_engine_new_sampling): a customer's record then grows by the state of
 * the features no alert reads, and only then. */
struct cw_plan *cw_plan_new(const cw_engine_conf_t *c, int all_features,
                            char *errstr, size_t errstr_size);
void cw_plan_destroy(struct cw_plan *p);

/* A 64-bit hash of everything that decides the meaning of a customer's
 * encoded state: state encoded under another fingerprint is refused. */
uint64_t cw_plan_fingerprint(const struct cw_plan *p);

#endif
