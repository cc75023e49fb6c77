/*
 * The engine's customers: a dense array of records (sweeps walk it) indexed
 * by an open-addressing hash table, and the growth of a record's bucket
 * areas. Declared in customer.h.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "engine_int.h"

/* ---- customers and the hash table ---------------------------------------
 * Open addressing with linear probing over (hash, index) pairs: 8 bytes a
 * slot at a load of at most 3/4, and a probe compares hashes before it
 * touches a customer record. */

uint32_t cw_engine_id_hash(const char *id, size_t len) {
        return cw_engine_hash(id, len);
}

uint32_t cw_engine_hash(const char *id, size_t len) {
        uint64_t h[2];
        cw_hash128(id, len, h);
        return (uint32_t)h[0];
}

long cw_engine_find(const cw_engine_t *e, const char *id, size_t len,
                    uint32_t h, size_t *slot) {
        size_t i = h & e->tab_mask;
        for (; e->tab[i].idx; i = (i + 1) & e->tab_mask) {
                const struct cw_customer *c;
                if (e->tab[i].hash != h)
                        continue;
                c = e->cust[e->tab[i].idx - 1];
                if (c->id_len == len &&
                    !memcmp(cw_cust_id(e->plan, (struct cw_customer *)c), id,
                            len))
                        return (long)e->tab[i].idx - 1;
        }
        if (slot)
                *slot = i;
        return -1;
}

void cw_engine_prefetch(const cw_engine_t *e, uint32_t h, int stage) {
        const struct cw_slot *slot = &e->tab[h & e->tab_mask];
        const char *c;

        if (stage == 0) {
                __builtin_prefetch(slot);
                return;
        }
        if (!slot->idx || slot->hash != h)
                return; /* absent, or further down the probe chain */
        if (stage == 1) {
                __builtin_prefetch(&e->cust[slot->idx - 1]);
                return;
        }
        c = (const char *)e->cust[slot->idx - 1];
        for (int l = 0; l < 512; l += 64)
                __builtin_prefetch(c + l);
}

/* The slots move to a table of `cap` slots; the records are not read
 * (the slots hold the hashes). */
static int rehash(cw_engine_t *e, size_t cap) {
        struct cw_slot *t = calloc(cap, sizeof(*t));
        if (!t)
                return -1;
        for (size_t k = 0; k <= e->tab_mask; k++) {
                size_t i;
                if (!e->tab[k].idx)
                        continue;
                i = e->tab[k].hash & (cap - 1);
                while (t[i].idx)
                        i = (i + 1) & (cap - 1);
                t[i] = e->tab[k];
        }
        free(e->tab);
        e->tab = t;
        e->tab_mask = cap - 1;
        return 0;
}

/* The fields of a new customer record, past its id and bucket areas. */
static void init_record(const struct cw_plan *p, struct cw_customer *c) {
        c->last_ts = CW_TIME_NONE;
        c->last_eval = CW_TIME_NONE;
        c->cur_day = CW_DAY_NONE;
        for (int i = 0; i < p->n_trackers; i++)
                cw_cust_tr_ts(p, c)[i] = CW_TIME_NONE;
        for (int i = 0; i < p->config->n_alerts; i++)
                cw_cust_timers(p, c)[i] = CW_TIME_NONE;
}

struct cw_customer *cw_engine_renew(cw_engine_t *e, size_t k) {
        const struct cw_plan *p = e->plan;
        struct cw_customer *c = e->cust[k];
        uint16_t cap[CW_STREAM_COUNT];
        uint8_t wid[CW_STREAM_COUNT];

        /* The areas keep their room, and their widths with it. */
        for (int j = 0; j < p->n_bucket_streams; j++) {
                cap[j] = cw_cust_bmeta(p, c, j)[1];
                wid[j] = *cw_cust_bwid(p, c, j);
        }
        memset(c->data, 0, (size_t)p->fixed_size);
        for (int j = 0; j < p->n_bucket_streams; j++) {
                cw_cust_bmeta(p, c, j)[1] = cap[j];
                *cw_cust_bwid(p, c, j) = wid[j];
        }
        c->flags &= CW_CUST_CHANGED;
        init_record(p, c);
        return c;
}

struct cw_customer *cw_engine_add(cw_engine_t *e, const char *id, size_t len,
                                  uint32_t h) {
        const struct cw_plan *p = e->plan;
        struct cw_customer *c;
        size_t slot = 0;

        if ((e->n_cust + 1) * 4 > (e->tab_mask + 1) * 3 &&
            rehash(e, (e->tab_mask + 1) * 2))
                return NULL;
        if (e->n_cust == e->cap_cust) {
                size_t cap = e->cap_cust ? e->cap_cust * 2 : 1024;
                struct cw_customer **a = realloc(e->cust, cap * sizeof(*a));
                int32_t *d;
                if (!a)
                        return NULL;
                e->cust = a;
                if (!(d = realloc(e->due, cap * sizeof(*d))))
                        return NULL;
                e->due = d;
                e->cap_cust = cap;
        }
        c = calloc(1, sizeof(*c) + (size_t)p->fixed_size + len);
        if (!c)
                return NULL;
        c->id_len = (uint16_t)len;
        init_record(p, c);
        memcpy(cw_cust_id(p, c), id, len);

        cw_engine_find(e, id, len, h, &slot);
        e->tab[slot].hash = h;
        e->tab[slot].idx = (uint32_t)e->n_cust + 1;
        e->due[e->n_cust] = CW_DAY_NONE; /* the next sweep visits it */
        e->cust[e->n_cust++] = c;
        e->stats.customers = e->n_cust;
        return c;
}

static size_t slot_of_index(const cw_engine_t *e, size_t k) {
        struct cw_customer *c = e->cust[k];
        size_t i =
                cw_engine_hash(cw_cust_id(e->plan, c), c->id_len) & e->tab_mask;
        while (e->tab[i].idx != k + 1)
                i = (i + 1) & e->tab_mask;
        return i;
}

/* Removes customer k: backward-shift deletion keeps probe chains whole,
 * then the last customer moves into the hole of the dense array. */
void cw_engine_remove(cw_engine_t *e, size_t k) {
        size_t i = slot_of_index(e, k), j = i, last = e->n_cust - 1;

        if (e->cust[k]->flags & CW_CUST_CHANGED)
                e->n_changed--;

        for (;;) {
                size_t home;
                j = (j + 1) & e->tab_mask;
                if (!e->tab[j].idx)
                        break;
                home = e->tab[j].hash & e->tab_mask;
                /* Move j back to i unless its home lies cyclically in (i, j].
                 */
                if (i <= j ? (home <= i || home > j)
                           : (home <= i && home > j)) {
                        e->tab[i] = e->tab[j];
                        i = j;
                }
        }
        e->tab[i].idx = 0;
        free(e->cust[k]);
        if (k != last) {
                e->tab[slot_of_index(e, last)].idx = (uint32_t)k + 1;
                e->cust[k] = e->cust[last];
                e->due[k] = e->due[last];
                /* Its list entry now points past the end (skipped). */
                if (e->cust[k]->flags & CW_CUST_CHANGED)
                        cw_engine_list_changed(e, k);
        }
        e->n_cust--;
        e->stats.customers = e->n_cust;
}

void cw_engine_forget_customer(cw_engine_t *e, const char *id, size_t len) {
        long k = cw_engine_find(e, id, len, cw_engine_hash(id, len), NULL);
        if (k >= 0)
                cw_engine_remove(e, (size_t)k);
}

/* Bucket i of area `from` rewritten in area `to` (other widths). */
static void rewrite_bucket(const struct cw_area *from, int i,
                           const struct cw_area *to) {
        int64_t v[CW_PLAN_MAX_COLS];
        for (int col = 0; col < from->sp->n_cols; col++)
                v[col] = cw_area_get(from, i, col);
        memmove(cw_area_at(to, i), cw_area_at(from, i), 2); /* the day */
        for (int col = 0; col < to->sp->n_cols; col++)
                cw_area_put(to, i, col, v[col]);
}

struct cw_customer *cw_engine_reserve(cw_engine_t *e, size_t k, int j, int cap,
                                      uint8_t wid) {
        const struct cw_plan *p = e->plan;
        struct cw_customer *c = e->cust[k];
        struct cw_area from = cw_cust_area(p, c, j), to;
        uint8_t old = *cw_cust_bwid(p, c, j);
        uint8_t nw = CW_WID((old & 3) > (wid & 3) ? old & 3 : wid & 3,
                            (old >> 2) > (wid >> 2) ? old >> 2 : wid >> 2);
        size_t size = cw_cust_size(p, c), before, after, tail;

        cap = cap > from.cap ? cap : from.cap;
        if (cap == from.cap && nw == old)
                return c;
        before = (size_t)from.cap * (size_t)from.size;
        after = (size_t)cap * (size_t)cw_bucket_size(from.sp, nw);
        tail = size - sizeof(*c) - cw_cust_area_off(p, c, j + 1);
        if (!(c = realloc(c, size + after - before)))
                return NULL;
        e->cust[k] = c;
        /* The areas after slot j move up by the growth. */
        from.b = c->data + cw_cust_area_off(p, c, j);
        memmove(from.b + after, from.b + before, tail);
        cw_cust_bmeta(p, c, j)[1] = (uint16_t)cap;
        *cw_cust_bwid(p, c, j) = nw;
        /* Wider buckets: the last one first, each to its place. */
        to = cw_cust_area(p, c, j);
        if (nw != old)
                for (int i = from.n - 1; i >= 0; i--)
                        rewrite_bucket(&from, i, &to);
        return c;
}

/* ---- change tracking ------------------------------------------------------
 * What a changelog needs each commit interval: the customers changed (a
 * flag in the record plus a list of their dense indices, so a collection
 * costs O(changes), not O(customers)) and the ids evicted. Per event this
 * costs a branch on the flag and, once per customer and interval, a push. */

void cw_engine_track_changes(cw_engine_t *e) {
        e->tracking = 1;
}

size_t cw_engine_pending_changes(const cw_engine_t *e) {
        return e->n_changed + e->n_tomb;
}

void cw_engine_list_changed(cw_engine_t *e, size_t k) {
        if (e->n_chg == e->cap_chg) {
                size_t cap = e->cap_chg ? e->cap_chg * 2 : 1024;
                uint32_t *a = realloc(e->chg, cap * sizeof(*a));
                if (!a) {
                        e->chg_rescan = 1;
                        return;
                }
                e->chg = a;
                e->cap_chg = cap;
        }
        e->chg[e->n_chg++] = (uint32_t)k;
}

void cw_engine_tombstone(cw_engine_t *e, size_t k) {
        const struct cw_customer *c = e->cust[k];
        size_t need = e->tomb_len + 2 + c->id_len;

        if (need > e->tomb_cap) {
                size_t cap = need * 2 > 4096 ? need * 2 : 4096;
                unsigned char *a = realloc(e->tomb, cap);
                if (!a) {
                        e->tomb_lost = 1;
                        return;
                }
                e->tomb = a;
                e->tomb_cap = cap;
        }
        memcpy(e->tomb + e->tomb_len, &c->id_len, 2);
        memcpy(e->tomb + e->tomb_len + 2,
               cw_cust_id(e->plan, (struct cw_customer *)c), c->id_len);
        e->tomb_len = need;
        e->n_tomb++;
}

/* Hands the tombstones to cb; on failure keeps the rest, the failed one
 * first. */
static int hand_tombstones(cw_engine_t *e, cw_change_cb *cb, void *opaque) {
        size_t off = 0, n = 0;
        int rc = 0;

        while (off < e->tomb_len) {
                uint16_t len;
                memcpy(&len, e->tomb + off, 2);
                if (cb(opaque, (const char *)e->tomb + off + 2, len, NULL, 0)) {
                        rc = -1;
                        break;
                }
                off += 2 + (size_t)len;
                n++;
        }
        if (off && off < e->tomb_len)
                memmove(e->tomb, e->tomb + off, e->tomb_len - off);
        e->tomb_len -= off;
        e->n_tomb -= n;
        return rc;
}

/* Encodes customer k into the engine's buffer and hands it to cb; clears
 * its flag when cb took it. 0, or -1 (out of memory, or cb failed). */
static int hand_customer(cw_engine_t *e, size_t k, cw_change_cb *cb,
                         void *opaque) {
        struct cw_customer *c = e->cust[k];
        size_t n = cw_engine_encode_customer(e, k, e->chg_buf, e->chg_buf_cap);

        if (n > e->chg_buf_cap) {
                size_t cap = n > 4096 ? n * 2 : 4096;
                uint8_t *a = realloc(e->chg_buf, cap);
                if (!a)
                        return -1;
                e->chg_buf = a;
                e->chg_buf_cap = cap;
                n = cw_engine_encode_customer(e, k, e->chg_buf, cap);
        }
        if (cb(opaque, cw_cust_id(e->plan, c), c->id_len, e->chg_buf, n))
                return -1;
        c->flags &= (uint16_t)~CW_CUST_CHANGED;
        e->n_changed--;
        return 0;
}

int cw_engine_collect_changes(cw_engine_t *e, cw_change_cb *cb, void *opaque) {
        size_t i;

        if (e->tomb_lost)
                return -1;
        if (hand_tombstones(e, cb, opaque))
                return -1;
        if (e->chg_rescan) {
                /* The list missed customers: every flag is the truth. */
                e->n_chg = 0;
                for (size_t k = 0; k < e->n_cust && e->n_changed; k++)
                        if ((e->cust[k]->flags & CW_CUST_CHANGED) &&
                            hand_customer(e, k, cb, opaque))
                                return -1;
                e->chg_rescan = 0;
                return 0;
        }
        for (i = 0; i < e->n_chg; i++) {
                size_t k = e->chg[i];
                if (k >= e->n_cust || !(e->cust[k]->flags & CW_CUST_CHANGED))
                        continue; /* stale, or handed out already */
                if (hand_customer(e, k, cb, opaque))
                        break;
        }
        if (i && i < e->n_chg)
                memmove(e->chg, e->chg + i, (e->n_chg - i) * sizeof(*e->chg));
        e->n_chg -= i;
        return e->n_chg ? -1 : 0;
}
