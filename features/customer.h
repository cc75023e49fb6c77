/*
 * Inside the engine: the per-customer record and the engine struct, shared
 * by engine.c (processing) and state.c (serialisation). Not a public API.
 *
 * A customer is ONE allocation: a 32-byte header, then the plan's layout
 * (bucket list pointers, running totals, latest-event trackers, alert
 * states) and the customer id. Bucket lists are separate allocations, one
 * per stream that has windows, absent while the customer has no bucket.
 */
#ifndef CW_CUSTOMER_H
#define CW_CUSTOMER_H

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
        uint8_t pad[6];
        _Alignas(8) unsigned char data[];
};

/* A stream's day buckets, ascending by day. */
struct cw_blist {
        uint16_t n, cap;
        uint32_t pad;
        _Alignas(8) unsigned char b[];
};

struct cw_alert_time {
        int64_t since;          /* PENDING since */
        int64_t cooldown_until; /* CW_TIME_NONE: none */
};

enum { CW_ALERT_OK = 0, CW_ALERT_PENDING, CW_ALERT_FIRING };

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

struct cw_engine {
        const cw_config_t *config;
        struct cw_plan *plan;
        cw_warning_cb *cb;
        void *opaque;

        struct cw_customer **cust; /* dense: sweeps walk this */
        size_t n_cust, cap_cust;
        struct cw_slot *tab;
        size_t tab_mask;

        int64_t stream_time;
        uint32_t layout_id; /* fingerprint of the plan, in encoded state */

        double *values;                   /* [n_features] scratch */
        struct cw_warning_feature *wfeat; /* one warning's features */
        int **alert_refs;                 /* refs sorted by name */

        int collecting; /* inside a sweep: warnings go to pending */
        struct cw_pending *pend;
        size_t n_pend, cap_pend;
        struct cw_warning_feature *pfeat;
        size_t n_pfeat, cap_pfeat;

        size_t blist_bytes;
        struct cw_engine_stats stats;
};

static inline struct cw_blist **cw_cust_blists(const struct cw_plan *p,
                                               struct cw_customer *c) {
        return (struct cw_blist **)(void *)(c->data + p->off_buckets);
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

static inline unsigned char *cw_bucket(const struct cw_stream_plan *sp,
                                       struct cw_blist *bl, int i) {
        return bl->b + (size_t)i * (size_t)sp->bucket_size;
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
struct cw_blist *cw_blist_alloc(cw_engine_t *e, const struct cw_stream_plan *sp,
                                int cap);

#endif
