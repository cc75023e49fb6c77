/*
 * Inside the engine: the per-customer record and the engine struct, shared
 * by engine.c (processing) and state.c (serialisation). Not a public API.
 *
 * A customer is ONE allocation: a 24-byte header, the plan's layout
 * (running totals, latest-event trackers, alert timers and states, bucket
 * area sizes), the customer id, then one area of day buckets per stream
 * that has windows (buckets_int.h: varints, a few bytes a day). Keeping
 * the buckets inside the record means evaluating a customer touches one
 * contiguous block: a day sweep walks records allocated mostly in order
 * instead of chasing a second pointer per customer. Growing an area
 * reallocates the record, so code that may grow one takes the customer's
 * index and re-reads cw_engine.cust afterwards.
 */
#ifndef CW_CUSTOMER_H
#define CW_CUSTOMER_H

#include <math.h>
#include <stdint.h>

#include "buckets_int.h"
#include "engine.h"
#include "plan.h"
#include "range.h"

#define CW_DAY_NONE INT32_MIN

struct cw_customer {
        int64_t last_ts;   /* latest applied event ts: state_ttl */
        int64_t last_eval; /* previous evaluation time, or CW_TIME_NONE */
        int32_t cur_day;   /* the day the running totals describe */
        uint16_t id_len;
        uint16_t flags; /* CW_CUST_* */
        _Alignas(8) unsigned char data[];
};

/* Changed since the last cw_engine_collect_changes() (tracking on). */
#define CW_CUST_CHANGED 1
/* Created by a late event, with a cur_day before the engine's stream day:
 * it has not been through that day's sweep, and is as it was left, until
 * the next sweep. Serialised, so that a restore tells it from a customer
 * whose record predates sweeps (cw_engine_restored). */
#define CW_CUST_UNSWEPT 2
/* The alert states' `when` and `clear` bits hold the results of an
 * evaluation with the customer's present features, on cur_day and, per
 * bits 8-15, as many days after it (a proof of wake.c). Never serialised;
 * cw_engine_advance_customer() counts the span down. */
#define CW_CUST_CACHED 4
/* Bits 3-7: which proof made the customer's due day (wake.c: where it
 * was made and at what quiet, + 1), 0 if none. Never serialised. */
#define CW_CUST_PROOF_SHIFT 3
#define CW_CUST_PROOF_MASK 0xf8
#define CW_CUST_SPAN_SHIFT 8
#define CW_CUST_SPAN_MAX 255
#define CW_CUST_SPAN_MASK 0xff00

static inline int cw_cust_cached(const struct cw_customer *c) {
        return c->flags & CW_CUST_CACHED;
}

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

        /* Day sweeps (wake.c). due[k]: the first boundary at which a
         * sweep must evaluate customer k, parallel to cust; a sweep reads
         * this array, not the records of the customers it skips. */
        int32_t *due;
        int32_t swept_day; /* the last boundary swept, or CW_DAY_NONE */
        int sweep_everyone;
        struct cw_probe *probe; /* a proof's scratch (wake.c) */

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
/* Per alert, the one time its state needs: PENDING since, OK cooldown
 * until (CW_TIME_NONE: none), FIRING none. Once an alert has gone from
 * OK to PENDING, every later evaluation is past the cooldown, so the two
 * times are never both needed. */
static inline int64_t *cw_cust_timers(const struct cw_plan *p,
                                      struct cw_customer *c) {
        return (int64_t *)(void *)(c->data + p->off_alerts);
}
static inline uint8_t *cw_cust_states(const struct cw_plan *p,
                                      struct cw_customer *c) {
        return c->data + p->off_states;
}
static inline char *cw_cust_id(const struct cw_plan *p, struct cw_customer *c) {
        return (char *)c->data + p->fixed_size;
}

/* Bucket area j: {buckets, capacity} and its widths (buckets_int.h). */
static inline uint16_t *cw_cust_bmeta(const struct cw_plan *p,
                                      struct cw_customer *c, int j) {
        return (uint16_t *)(void *)(c->data + p->off_bmeta) + 2 * j;
}
static inline uint8_t *cw_cust_bwid(const struct cw_plan *p,
                                    struct cw_customer *c, int j) {
        return c->data + p->off_bwid + j;
}

/* The stream plan of bucket area j. */
static inline const struct cw_stream_plan *cw_slot_plan(const struct cw_plan *p,
                                                        int j) {
        return &p->streams[p->slot_stream[j]];
}

/* Bytes of bucket area j as allocated. */
static inline size_t cw_cust_area_bytes(const struct cw_plan *p,
                                        struct cw_customer *c, int j) {
        return (size_t)cw_cust_bmeta(p, c, j)[1] *
               (size_t)cw_bucket_size(cw_slot_plan(p, j),
                                      *cw_cust_bwid(p, c, j));
}

/* Bytes from c->data to the bucket area of slot j (areas follow the id). */
static inline size_t cw_cust_area_off(const struct cw_plan *p,
                                      struct cw_customer *c, int j) {
        size_t off = (size_t)p->fixed_size + c->id_len;
        for (int i = 0; i < j; i++)
                off += cw_cust_area_bytes(p, c, i);
        return off;
}

/* The whole record's size in bytes. */
static inline size_t cw_cust_size(const struct cw_plan *p,
                                  struct cw_customer *c) {
        return sizeof(*c) + cw_cust_area_off(p, c, p->n_bucket_streams);
}

/* Bucket area j of c. */
static inline struct cw_area cw_cust_area(const struct cw_plan *p,
                                          struct cw_customer *c, int j) {
        struct cw_area a;
        uint8_t wid = *cw_cust_bwid(p, c, j);
        a.sp = cw_slot_plan(p, j);
        a.b = c->data + cw_cust_area_off(p, c, j);
        a.n = cw_cust_bmeta(p, c, j)[0];
        a.cap = cw_cust_bmeta(p, c, j)[1];
        a.cw = 1 << (wid & 3);
        a.vw = 1 << (wid >> 2);
        a.size = cw_bucket_size(a.sp, wid);
        a.ref = c->cur_day;
        return a;
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

/* After an evaluation of c at day D = c->cur_day (its features in
 * e->values, its alerts updated): the first boundary after D at which its
 * alerts may change, or its eviction day if sooner. `quiet`: for how many
 * days before D its features saw no event; the proof reaches about twice
 * as far (an event voids it anyway). In wake.c. */
int32_t cw_engine_wake(cw_engine_t *e, struct cw_customer *c, int32_t quiet,
                       int at_visit);
/* For how many days before its cur_day c's features saw no event (its
 * newest bucket, its latest-event trackers), at most 255. */
int32_t cw_engine_quiet(const struct cw_plan *p, struct cw_customer *c);
/* An event on c's cur_day ends what a proof had made its due day: the
 * days it covered after cur_day were not saved (wake.c learns from it). */
void cw_engine_unproved(cw_engine_t *e, struct cw_customer *c, int32_t due);
struct cw_probe *cw_probe_new(const cw_engine_conf_t *c,
                              const struct cw_plan *p);
void cw_probe_destroy(struct cw_probe *pr);

/* Brings a customer that sweeps skipped to the state they would have left
 * it in: windows at the last boundary swept, last evaluation then. What
 * reads or writes a customer outside a sweep calls this first. */
void cw_engine_catch_up(const cw_engine_t *e, struct cw_customer *c);

/* Point-in-time rows, in sample.c. A sweep of boundary B calls begin
 * first, add for every customer it evaluated (its features at B in
 * e->values) and flush at its end, after its warnings: the rows of the
 * customers kept, in id order, when B is a sample time. */
void cw_engine_sample_begin(cw_engine_t *e, int32_t B);
void cw_engine_sample_add(cw_engine_t *e, struct cw_customer *c, int64_t t);
void cw_engine_sample_flush(cw_engine_t *e, int32_t B);
void cw_engine_sample_free(cw_engine_t *e);

/* Windows, in windows.c. Moves customer c's windows to `day`: each group
 * drops the days that left it, then buckets older than the longest window
 * go. The result depends only on the buckets and the day, not on how many
 * days each move spans. */
void cw_engine_advance_customer(const struct cw_plan *p, struct cw_customer *c,
                                int32_t day);
/* Adds an event (whose filters matched `mask`) to customer k's buckets of
 * its stream and to the totals of every window covering its day; the
 * customer may move. */
void cw_engine_add_to_windows(cw_engine_t *e, size_t k,
                              const struct cw_stream_plan *sp,
                              const struct cw_event *ev, uint32_t mask);

/* The sweeps' proofs (wake.c): customer c's windows on the days after
 * its cur_day if no event came, those of window groups `groups`
 * (cw_gid_bit). start() takes the customer (it copies the totals) and
 * returns, by window group (gid), the day each next loses a bucket
 * (INT32_MAX: never), which move() keeps current; move() brings the
 * totals to a later day, exactly as a sweep that day would find them, and
 * returns the groups whose totals moved. */
struct cw_winsim;
struct cw_winsim *cw_winsim_new(const struct cw_plan *p);
void cw_winsim_free(struct cw_winsim *s);
const int32_t *cw_winsim_start(struct cw_winsim *s, struct cw_customer *c,
                               uint64_t groups);
uint64_t cw_winsim_move(struct cw_winsim *s, int32_t day, uint64_t groups);
const int64_t *cw_winsim_runs(const struct cw_winsim *s);

/* A window group's bit in a 64-bit mask: the 64th and beyond share the
 * last (a sound over-approximation: they are taken to move together). */
static inline uint64_t cw_gid_bit(int gid) {
        return UINT64_C(1) << (gid < 63 ? gid : 63);
}

/* A windowed feature's value from the running totals: one function for
 * the evaluations and the sweeps' ranges, so both give the same doubles. */
static inline double cw_window_value(const struct cw_feature_plan *fp,
                                     const int64_t *runs) {
        int64_t n = fp->count_run >= 0 ? runs[fp->count_run] : 0;
        switch (fp->agg) {
        case CW_AGG_COUNT:
        case CW_AGG_DISTINCT_DAYS:
                return (double)runs[fp->run];
        case CW_AGG_SUM:
        case CW_AGG_MIN:
        case CW_AGG_MAX:
                return n ? (double)runs[fp->run] : NAN;
        case CW_AGG_AVG:
                return n ? (double)runs[fp->run] / (double)n : NAN;
        default:
                return NAN;
        }
}

/* Makes room for `cap` buckets in bucket area j of customer k, and makes
 * its buckets `wid` wide or wider (the customer may move). Returns the
 * customer, or NULL when out of memory. */
struct cw_customer *cw_engine_reserve(cw_engine_t *e, size_t k, int j, int cap,
                                      uint8_t wid);

#endif
