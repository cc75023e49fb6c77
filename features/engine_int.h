/*
 * Inside the engine: the per-customer record and the engine struct, shared
 * by engine.c (processing) and state.c (serialisation). Not a public API.
 *
 * A customer is ONE allocation: a 32-byte header, the plan's layout
 * (running totals, latest-event trackers, alert states, bucket counts), the
 * customer id, then one area of day buckets per stream that has windows.
 * Keeping the buckets inside the record means evaluating a customer touches
 * one contiguous block: a day sweep walks records allocated mostly in
 * order instead of chasing a second pointer per customer. Growing an area
 * reallocates the record, so code that may grow one takes the customer's
 * index and re-reads cw_engine.cust afterwards.
 */
#ifndef CW_CUSTOMER_H
#define CW_CUSTOMER_H

#include <math.h>
#include <stdint.h>

#include "engine.h"
#include "plan.h"

#define CW_DAY_NONE INT32_MIN

struct cw_customer {
        int64_t last_ts;   /* latest applied event ts: state_ttl */
        int64_t last_eval; /* previous evaluation time, or CW_TIME_NONE */
        int32_t cur_day;   /* the day the running totals describe */
        uint32_t hash;
        uint16_t id_len;
        uint16_t flags;    /* CW_CUST_* */
        int32_t cache_day; /* day of the evaluation cached in alert states */
        _Alignas(8) unsigned char data[];
};

/* Changed since the last cw_engine_collect_changes() (tracking on). */
#define CW_CUST_CHANGED 1
/* Created by a late event, with a cur_day before the engine's stream day:
 * it has not been through that day's sweep, and is as it was left, until
 * the next sweep. Serialised, so that a restore tells it from a customer
 * whose record predates sweeps (cw_engine_restored). */
#define CW_CUST_UNSWEPT 2

/* A view of one stream's day buckets, ascending by day. */
struct cw_bview {
        unsigned char *b;
        uint16_t *n;
        uint16_t *cap;
};

struct cw_alert_time {
        int64_t since;          /* PENDING since */
        int64_t cooldown_until; /* CW_TIME_NONE: none */
};

/* An alert's state byte: the state, and the `when` and `clear` results of
 * the customer's last full evaluation (derived, never serialised). */
enum { CW_ALERT_OK = 0, CW_ALERT_PENDING, CW_ALERT_FIRING };
#define CW_ALERT_STATE 3
#define CW_ALERT_WHEN 4
#define CW_ALERT_CLEAR 8

struct cw_slot {
        uint32_t hash;
        uint32_t idx; /* index + 1 into cw_engine.cust; 0: empty */
};

/* A warning held back until its sweep is complete, then sorted. */
struct cw_pending {
        struct cw_warning w;
        int alert;
        size_t feat_off;
};

/* One sample time's rows, gathered during its sweep (sample.c). */
struct cw_sample_buf {
        int active; /* the boundary being swept is a sample time */
        struct cw_sample_key *keys, *tmp; /* tmp: the radix sort's */
        size_t (*count)[256];             /* its counts, [16][256] */
        double *values;                   /* [row * (n_features + 1)] */
        char *ids;                        /* the rows' ids, end to end */
        size_t *id_off;
        uint16_t *id_len;
        size_t n, cap, ids_len, ids_cap;
};

struct cw_engine {
        const cw_engine_conf_t *config;
        struct cw_plan *plan;
        cw_warning_cb *cb;
        void *opaque;

        struct cw_customer **cust; /* dense: sweeps walk this */
        size_t n_cust, cap_cust;
        struct cw_slot *tab;
        size_t tab_mask;

        int64_t stream_time;
        uint64_t layout_id; /* fingerprint of the plan, in encoded state */

        double *values;                   /* [n_features] scratch */
        struct cw_warning_feature *wfeat; /* one warning's features */
        int **alert_refs;                 /* refs sorted by name */
        double *scores; /* [n_alerts] the evaluation's model scores */

        int collecting; /* inside a sweep: warnings go to pending */
        struct cw_pending *pend;
        size_t n_pend, cap_pend;
        struct cw_warning_feature *pfeat;
        size_t n_pfeat, cap_pfeat;

        /* Change tracking (cw_engine_collect_changes). The list holds the
         * dense index of each customer when it became CW_CUST_CHANGED, and
         * its new index when cw_engine_remove moved it: entries whose
         * customer is no longer flagged are stale and skipped. */
        int tracking;
        uint32_t *chg;
        size_t n_chg, cap_chg;
        size_t n_changed;    /* customers flagged CW_CUST_CHANGED */
        int chg_rescan;      /* an index was not listed (out of memory): the
                                next collection scans every customer */
        unsigned char *tomb; /* evicted ids: uint16 length, then bytes */
        size_t tomb_len, tomb_cap, n_tomb;
        int tomb_lost;    /* a tombstone could not be kept (out of memory) */
        uint8_t *chg_buf; /* one customer's encoding, handed to the cb */
        size_t chg_buf_cap;

        /* Point-in-time rows (cw_engine_new_sampling). */
        int sampling_on;
        struct cw_engine_sampling sampling;
        struct cw_sample_buf sample;

        struct cw_engine_stats stats;
};

/*
 * A numeric field's value (an int, long or boolean, carried as a double)
 * as the buckets and trackers hold it. A long near 2^63 rounds up to
 * 2^63, which no int64 holds (converting it is undefined): it saturates.
 */
static inline int64_t cw_field_i64(double v) {
        if (v >= 9223372036854775807.0) /* 2^63 */
                return INT64_MAX;
        if (!(v >= -9223372036854775807.0)) /* -2^63, or NaN */
                return v != v ? 0 : INT64_MIN;
        return (int64_t)v;
}

/*
 * Sums of the windows and their buckets wrap around (modulo 2^64) where
 * C's would overflow, which is undefined: taking away what was added
 * gives the total back, so a window's sum is exact whenever it fits in
 * an int64 (hostile longs adding up beyond ±9.2e18 wrap), and a running
 * total restored from a corrupt changelog record cannot overflow either.
 */
static inline int64_t cw_wrap_add(int64_t a, int64_t b) {
        return (int64_t)((uint64_t)a + (uint64_t)b);
}

static inline int64_t cw_wrap_sub(int64_t a, int64_t b) {
        return (int64_t)((uint64_t)a - (uint64_t)b);
}

static inline int64_t *cw_cust_runs(const struct cw_plan *p,
                                    struct cw_customer *c) {
        return (int64_t *)(void *)(c->data + p->off_runs);
}
static inline int64_t *cw_cust_tr_ts(const struct cw_plan *p,
                                     struct cw_customer *c) {
        return (int64_t *)(void *)(c->data + p->off_tr_ts);
}
static inline int64_t *cw_cust_tr_val(const struct cw_plan *p,
                                      struct cw_customer *c) {
        return (int64_t *)(void *)(c->data + p->off_tr_val);
}
static inline struct cw_alert_time *cw_cust_alerts(const struct cw_plan *p,
                                                   struct cw_customer *c) {
        return (struct cw_alert_time *)(void *)(c->data + p->off_alerts);
}
static inline uint8_t *cw_cust_states(const struct cw_plan *p,
                                      struct cw_customer *c) {
        return c->data + p->off_alerts +
               sizeof(struct cw_alert_time) * (size_t)p->config->n_alerts;
}
static inline char *cw_cust_id(const struct cw_plan *p, struct cw_customer *c) {
        return (char *)c->data + p->fixed_size;
}

static inline uint16_t *cw_cust_bmeta(const struct cw_plan *p,
                                      struct cw_customer *c) {
        return (uint16_t *)(void *)(c->data + p->off_bmeta);
}

/* Bytes from c->data to the bucket area of slot j (areas follow the id). */
static inline size_t cw_cust_area_off(const struct cw_plan *p,
                                      struct cw_customer *c, int j) {
        size_t off = ((size_t)p->fixed_size + c->id_len + 7) & ~(size_t)7;
        const uint16_t *m = cw_cust_bmeta(p, c);
        for (int i = 0; i < j; i++)
                off += (size_t)m[2 * i + 1] * (size_t)p->slot_bucket_size[i];
        return off;
}

/* The whole record's size in bytes. */
static inline size_t cw_cust_size(const struct cw_plan *p,
                                  struct cw_customer *c) {
        return sizeof(*c) + cw_cust_area_off(p, c, p->n_bucket_streams);
}

static inline struct cw_bview cw_cust_buckets(const struct cw_plan *p,
                                              struct cw_customer *c, int j) {
        uint16_t *m = cw_cust_bmeta(p, c);
        struct cw_bview v = {c->data + cw_cust_area_off(p, c, j), &m[2 * j],
                             &m[2 * j + 1]};
        return v;
}

static inline unsigned char *cw_bucket(const struct cw_stream_plan *sp,
                                       struct cw_bview v, int i) {
        return v.b + (size_t)i * (size_t)sp->bucket_size;
}
static inline int32_t cw_bucket_day(const unsigned char *b) {
        return *(const int32_t *)(const void *)b;
}
static inline uint32_t *cw_bucket_count(const struct cw_col *col,
                                        unsigned char *b) {
        return (uint32_t *)(void *)(b + col->offset);
}
static inline int64_t *cw_bucket_value(const struct cw_col *col,
                                       unsigned char *b) {
        return (int64_t *)(void *)(b + col->offset);
}

uint32_t cw_engine_hash(const char *id, size_t len);
/* Looks id up; returns its dense index or -1 and, when absent, the free
 * table slot where it would go in *slot. */
long cw_engine_find(const cw_engine_t *e, const char *id, size_t len,
                    uint32_t h, size_t *slot);
/* Creates a fresh customer (the id must not be held). NULL: out of memory. */
struct cw_customer *cw_engine_add(cw_engine_t *e, const char *id, size_t len,
                                  uint32_t h);
void cw_engine_remove(cw_engine_t *e, size_t i);
/* Customer k as cw_engine_add makes it, in its own memory: the id and the
 * bucket areas' capacities stay, the CW_CUST_CHANGED flag too. */
struct cw_customer *cw_engine_renew(cw_engine_t *e, size_t k);
/* Change tracking, in customers.c. Lists customer k as changed: when
 * memory runs out, falls back to a scan at the next collection. */
void cw_engine_list_changed(cw_engine_t *e, size_t k);
/* Keeps customer k's id as a tombstone for the next collection. */
void cw_engine_tombstone(cw_engine_t *e, size_t k);

/* Flags customer k changed; costs a branch when it already is. The caller
 * checks e->tracking, so that an engine not tracking pays one branch. */
static inline void cw_engine_mark_changed(cw_engine_t *e, size_t k) {
        struct cw_customer *c = e->cust[k];
        if (c->flags & CW_CUST_CHANGED)
                return;
        c->flags |= CW_CUST_CHANGED;
        e->n_changed++;
        cw_engine_list_changed(e, k);
}

/* Emits the warning of alert `ai` of customer c entering `state` at t:
 * to the callback, or held while a sweep collects. `contrib`: the model's
 * input contributions, or NULL (a variant, an xgboost model): then
 * computed here. */
void cw_engine_emit(cw_engine_t *e, struct cw_customer *c, int ai, int state,
                    int64_t t, cw_trigger_t trigger, double score,
                    const double *contrib);

/* Delivers the warnings a sweep held, sorted by customer id and alert, so
 * that their order does not depend on the hash table's layout. */
void cw_engine_deliver_pending(cw_engine_t *e);

/* Point-in-time rows, in sample.c. A sweep of boundary B calls begin
 * first, add for every customer it evaluated (its features at B in
 * e->values) and flush at its end, after its warnings: the rows of the
 * customers kept, in id order, when B is a sample time. */
void cw_engine_sample_begin(cw_engine_t *e, int32_t B);
void cw_engine_sample_add(cw_engine_t *e, struct cw_customer *c, int64_t t);
void cw_engine_sample_flush(cw_engine_t *e, int32_t B);
void cw_engine_sample_free(cw_engine_t *e);

/* Makes room for `cap` buckets of stream slot j in customer k (which may
 * move). Returns the customer, or NULL when out of memory. */
struct cw_customer *cw_engine_reserve(cw_engine_t *e, size_t k, int j, int cap);

#endif
