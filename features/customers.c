/*
 * The engine's customers: a dense array of records (sweeps walk it) indexed
 * by an open-addressing hash table, and the growth of a record's bucket
 * areas. Declared in customer.h.
 */
#include <stdlib.h>
#include <string.h>

#include "customer.h"
#include "hash.h"

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

static int rehash(cw_engine_t *e, size_t cap) {
        struct cw_slot *t = calloc(cap, sizeof(*t));
        if (!t)
                return -1;
        for (size_t k = 0; k < e->n_cust; k++) {
                size_t i = e->cust[k]->hash & (cap - 1);
                while (t[i].idx)
                        i = (i + 1) & (cap - 1);
                t[i].hash = e->cust[k]->hash;
                t[i].idx = (uint32_t)k + 1;
        }
        free(e->tab);
        e->tab = t;
        e->tab_mask = cap - 1;
        return 0;
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
                if (!a)
                        return NULL;
                e->cust = a;
                e->cap_cust = cap;
        }
        c = calloc(1, sizeof(*c) +
                              (((size_t)p->fixed_size + len + 7) & ~(size_t)7));
        if (!c)
                return NULL;
        c->last_ts = CW_TIME_NONE;
        c->last_eval = CW_TIME_NONE;
        c->cur_day = CW_DAY_NONE;
        c->cache_day = CW_DAY_NONE;
        c->hash = h;
        c->id_len = (uint16_t)len;
        for (int i = 0; i < p->n_trackers; i++)
                cw_cust_tr_ts(p, c)[i] = CW_TIME_NONE;
        for (int i = 0; i < p->config->n_alerts; i++)
                cw_cust_alerts(p, c)[i].cooldown_until = CW_TIME_NONE;
        memcpy(cw_cust_id(p, c), id, len);

        cw_engine_find(e, id, len, h, &slot);
        e->tab[slot].hash = h;
        e->tab[slot].idx = (uint32_t)e->n_cust + 1;
        e->cust[e->n_cust++] = c;
        e->stats.customers = e->n_cust;
        return c;
}

static size_t slot_of_index(const cw_engine_t *e, size_t k) {
        size_t i = e->cust[k]->hash & e->tab_mask;
        while (e->tab[i].idx != k + 1)
                i = (i + 1) & e->tab_mask;
        return i;
}

/* Removes customer k: backward-shift deletion keeps probe chains whole,
 * then the last customer moves into the hole of the dense array. */
void cw_engine_remove(cw_engine_t *e, size_t k) {
        size_t i = slot_of_index(e, k), j = i, last = e->n_cust - 1;

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
        }
        e->n_cust--;
        e->stats.customers = e->n_cust;
}

struct cw_customer *cw_engine_reserve(cw_engine_t *e, size_t k, int j,
                                      int cap) {
        const struct cw_plan *p = e->plan;
        struct cw_customer *c = e->cust[k];
        uint16_t *m = cw_cust_bmeta(p, c);
        size_t grow =
                (size_t)(cap - m[2 * j + 1]) * (size_t)p->slot_bucket_size[j];
        size_t size = cw_cust_size(p, c), tail;

        if (cap <= m[2 * j + 1])
                return c;
        tail = size - sizeof(*c) - cw_cust_area_off(p, c, j + 1);
        if (!(c = realloc(c, size + grow)))
                return NULL;
        e->cust[k] = c;
        m = cw_cust_bmeta(p, c);
        /* The areas after slot j move up by the growth. */
        if (tail) {
                unsigned char *from = c->data + cw_cust_area_off(p, c, j + 1);
                memmove(from + grow, from, tail);
        }
        m[2 * j + 1] = (uint16_t)cap;
        return c;
}
