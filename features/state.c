/*
 * Customer state as bytes, for the changelog topic: a version byte, the
 * plan's layout fingerprint, then the record field by field as varints
 * (signed ones zig-zag encoded), bucket days as deltas. A typical customer
 * of the contract's example configuration encodes to a few dozen bytes.
 */
#include <stdio.h>
#include <string.h>

#include "common/duration.h"
#include "engine_int.h"

/* 2: the flags after cur_day. */
#define STATE_VERSION 2

struct out {
        uint8_t *buf;
        size_t cap, n;
};

static void put_u(struct out *o, uint64_t v) {
        do {
                uint8_t b = v & 0x7f;
                v >>= 7;
                if (o->n < o->cap)
                        o->buf[o->n] = b | (v ? 0x80 : 0);
                o->n++;
        } while (v);
}

static void put_s(struct out *o, int64_t v) {
        put_u(o, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* One stream's buckets, oldest first, days as deltas back from cur_day
 * (signed: the first is positive, the others negative). */
static void encode_buckets(const struct cw_plan *p,
                           const struct cw_stream_plan *sp,
                           struct cw_customer *c, struct out *o) {
        struct cw_area a = cw_cust_area(p, c, sp->bucket_slot);
        int32_t prev = c->cur_day;

        put_u(o, (uint64_t)a.n);
        for (int i = 0; i < a.n; i++) {
                int32_t day = cw_area_day(&a, i);
                put_s(o, (int64_t)prev - day);
                prev = day;
                for (int k = 0; k < sp->n_cols; k++)
                        if (sp->cols[k].kind == CW_COL_COUNT)
                                put_u(o, (uint64_t)cw_area_get(&a, i, k));
                        else
                                put_s(o, cw_area_get(&a, i, k));
        }
}

static size_t encode(const cw_engine_t *e, struct cw_customer *c, uint8_t *buf,
                     size_t cap) {
        const struct cw_plan *p = e->plan;
        struct out o = {buf, cap, 0};

        /* A customer the sweeps skipped is written as they would have
         * left it (which changes nothing it would compute). */
        cw_engine_catch_up(e, c);
        put_u(&o, STATE_VERSION);
        put_u(&o, e->layout_id);
        put_u(&o, c->id_len);
        if (o.n + c->id_len <= o.cap)
                memcpy(o.buf + o.n, cw_cust_id(p, c), c->id_len);
        o.n += c->id_len;
        put_s(&o, c->last_ts);
        put_s(&o, c->last_eval);
        put_s(&o, c->cur_day);
        /* Of the flags only UNSWEPT is state; CHANGED is the engine's. */
        put_u(&o, c->flags & CW_CUST_UNSWEPT ? 1 : 0);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (p->streams[s].bucket_slot >= 0)
                        encode_buckets(p, &p->streams[s], c, &o);
        for (int i = 0; i < p->n_runs; i++)
                put_s(&o, cw_cust_runs(p, c)[i]);
        for (int i = 0; i < p->n_trackers; i++)
                put_s(&o, cw_cust_tr_ts(p, c)[i]);
        for (int i = 0; i < p->n_tracker_values; i++)
                put_s(&o, cw_cust_tr_val(p, c)[i]);
        /* An alert's timer is its PENDING since or its OK cooldown. */
        for (int i = 0; i < p->config->n_alerts; i++) {
                int st = cw_cust_states(p, c)[i] & CW_ALERT_STATE;
                int64_t at = cw_cust_timers(p, c)[i];
                put_u(&o, (uint64_t)st);
                put_s(&o, st == CW_ALERT_PENDING ? at : 0);
                put_s(&o, st == CW_ALERT_OK ? at : CW_TIME_NONE);
        }
        return o.n;
}

size_t cw_engine_encode_customer(const cw_engine_t *e, size_t i, uint8_t *buf,
                                 size_t cap) {
        return i < e->n_cust ? encode(e, e->cust[i], buf, cap) : 0;
}

size_t cw_engine_encode_customer_id(const cw_engine_t *e, const char *id,
                                    size_t len, uint8_t *buf, size_t cap) {
        long k = cw_engine_find(e, id, len, cw_engine_hash(id, len), NULL);
        return k < 0 ? 0 : encode(e, e->cust[k], buf, cap);
}

struct in {
        const uint8_t *p, *end;
        int bad;
};

static uint64_t get_u(struct in *in) {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
                uint8_t b;
                if (in->p >= in->end) {
                        in->bad = 1;
                        return 0;
                }
                b = *in->p++;
                v |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80))
                        return v;
        }
        in->bad = 1;
        return 0;
}

static int64_t get_s(struct in *in) {
        uint64_t u = get_u(in);
        return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* A time of the state: CW_TIME_NONE, or one an event or a sweep can give
 * (a cooldown may end after the year 9999). Any other is malformed: the
 * engine's arithmetic on times would overflow. */
static int64_t get_time(struct in *in) {
        int64_t t = get_s(in);
        if (t != CW_TIME_NONE && (t < 0 || t > 2 * CW_TS_MAX))
                in->bad = 1;
        return t;
}

/*
 * The day buckets of one stream of customer k, days as deltas back from
 * cur_day: they must ascend inside the longest window, as the engine's
 * bucket code relies on. Returns the customer (it may have moved), or
 * NULL when the count is out of range or memory runs out; in->bad is set
 * on malformed bytes.
 */
static struct cw_customer *decode_buckets(cw_engine_t *e, size_t k,
                                          const struct cw_stream_plan *sp,
                                          struct in *in) {
        const struct cw_plan *p = e->plan;
        struct cw_customer *c = e->cust[k];
        int j = sp->bucket_slot;
        uint64_t n = get_u(in);
        int32_t day = c->cur_day;
        int64_t v[CW_PLAN_MAX_COLS];

        if (n > (uint64_t)sp->max_days ||
            !(c = cw_engine_reserve(e, k, j, (int)n, 0)))
                return NULL;
        for (uint64_t i = 0; i < n && !in->bad; i++) {
                int64_t d = get_s(in);
                struct cw_area a;
                uint8_t wid;
                if (d < -INT32_MAX || d > INT32_MAX) { /* not a day delta */
                        in->bad = 1;
                        d = 0;
                }
                d = (int64_t)day - d;
                if ((i > 0 && d <= day) || d > c->cur_day ||
                    d < (int64_t)c->cur_day - sp->max_days + 1)
                        in->bad = 1;
                day = (int32_t)d;
                for (int q = 0; q < sp->n_cols; q++)
                        v[q] = sp->cols[q].kind == CW_COL_COUNT
                                       ? (int64_t)(uint32_t)get_u(in)
                                       : get_s(in);
                /* As wide as the widest number needs. */
                wid = cw_area_widths(sp, v, *cw_cust_bwid(p, c, j));
                if (!(c = cw_engine_reserve(e, k, j, (int)n, wid)))
                        return NULL;
                a = cw_cust_area(p, c, j);
                cw_area_set_day(&a, (int)i, day);
                for (int q = 0; q < sp->n_cols; q++)
                        cw_area_put(&a, (int)i, q, v[q]);
                cw_cust_bmeta(p, c, j)[0] = (uint16_t)(i + 1);
        }
        return c;
}

int cw_engine_decode_customer(cw_engine_t *e, const uint8_t *buf, size_t len,
                              char *errstr, size_t errstr_size) {
        const struct cw_plan *p = e->plan;
        struct in in = {buf, buf + len, 0};
        struct cw_customer *c;
        uint64_t id_len;
        uint32_t h;
        long k;

        if (get_u(&in) != STATE_VERSION || get_u(&in) != e->layout_id) {
                snprintf(errstr, errstr_size,
                         "customer state of another version or configuration");
                return -1;
        }
        id_len = get_u(&in);
        if (in.bad || id_len == 0 || id_len > 256 ||
            (size_t)(in.end - in.p) < id_len)
                goto out_malformed;
        h = cw_engine_hash((const char *)in.p, id_len);
        /* A customer already held (written again later in the changelog)
         * starts afresh in its own memory. */
        k = cw_engine_find(e, (const char *)in.p, id_len, h, NULL);
        if (k >= 0) {
                c = cw_engine_renew(e, (size_t)k);
        } else if ((c = cw_engine_add(e, (const char *)in.p, id_len, h))) {
                k = (long)e->n_cust - 1;
        } else {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        in.p += id_len;
        c->last_ts = get_time(&in);
        if (c->last_ts < 0 || c->last_ts > CW_TS_MAX) /* it has had one */
                in.bad = 1;
        c->last_eval = get_time(&in);
        c->cur_day = (int32_t)get_s(&in);
        if (c->cur_day != CW_DAY_NONE &&
            (c->cur_day < 0 || c->cur_day > cw_day_of(CW_TS_MAX)))
                in.bad = 1;
        switch (get_u(&in)) {
        case 0:
                break;
        case 1:
                c->flags |= CW_CUST_UNSWEPT;
                break;
        default:
                in.bad = 1;
        }
        for (int s = 0; s < CW_STREAM_COUNT && !in.bad; s++) {
                struct cw_customer *moved;
                if (p->streams[s].bucket_slot < 0)
                        continue;
                if (!(moved = decode_buckets(e, (size_t)k, &p->streams[s],
                                             &in)))
                        goto out_remove;
                c = moved;
        }
        for (int i = 0; i < p->n_runs; i++)
                cw_cust_runs(p, c)[i] = get_s(&in);
        for (int i = 0; i < p->n_trackers; i++)
                cw_cust_tr_ts(p, c)[i] = get_time(&in);
        for (int i = 0; i < p->n_tracker_values; i++)
                cw_cust_tr_val(p, c)[i] = get_s(&in);
        for (int i = 0; i < p->config->n_alerts; i++) {
                uint64_t st = get_u(&in);
                int64_t since = get_time(&in), cooldown_until = get_time(&in);
                if (st > CW_ALERT_FIRING)
                        in.bad = 1;
                cw_cust_states(p, c)[i] = (uint8_t)st;
                cw_cust_timers(p, c)[i] = st == CW_ALERT_PENDING ? since
                                          : st == CW_ALERT_OK ? cooldown_until
                                                              : CW_TIME_NONE;
        }
        if (in.bad || in.p != in.end)
                goto out_remove;
        return 0;

out_remove:
        cw_engine_remove(e, (size_t)k);
out_malformed:
        snprintf(errstr, errstr_size, "malformed customer state (%zu bytes)",
                 len);
        return -1;
}
