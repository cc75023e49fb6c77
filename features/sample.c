/*
 * Point-in-time rows (CONTRACT.md section 10, engine.h). At a sample time
 * the sweep, which evaluates every customer it keeps at the boundary,
 * hands each one's features to cw_engine_sample_add() while its record is
 * in cache: the id and the values are copied into a compact buffer. Once
 * the sweep (and its warnings) are done, cw_engine_sample_flush() sorts
 * the buffer by id and hands out the rows. So a sample time costs a copy
 * per customer, a radix sort of compact keys (touching no customer
 * record) and the rows' output; no second pass over the
 * records and no second replay. Memory: per customer kept, 8 bytes per
 * feature, its id and 32 bytes, reused from one sample time to the next.
 */
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "engine_int.h"

/* How many rows ahead a flush fetches (a miss costs about what this many
 * rows' formatting does). */
#define FLUSH_PREFETCH 16

/* A row's sort key: the id's first 16 bytes, big endian, zero-padded.
 * Rows are radix-sorted by it; only ids whose first 16 bytes agree are
 * then compared in full. */
struct cw_sample_key {
        uint64_t hi, lo;
        size_t row;
};

static uint64_t be64(const char *p, size_t n) {
        uint64_t v = 0;
        for (size_t i = 0; i < 8; i++)
                v = v << 8 | (i < n ? (unsigned char)p[i] : 0);
        return v;
}

/* Bytewise: the common prefix decides, then the shorter id first. */
static int key_cmp(const void *a, const void *b, void *buf) {
        const struct cw_sample_key *x = a, *y = b;
        const struct cw_sample_buf *s = buf;
        size_t lx, ly;
        int r;

        if (x->hi != y->hi)
                return x->hi < y->hi ? -1 : 1;
        if (x->lo != y->lo)
                return x->lo < y->lo ? -1 : 1;
        lx = s->id_len[x->row];
        ly = s->id_len[y->row];
        r = memcmp(s->ids + s->id_off[x->row], s->ids + s->id_off[y->row],
                   lx < ly ? lx : ly);
        if (r)
                return r;
        return (lx > ly) - (lx < ly);
}

static int is_sample_time(const struct cw_engine_sampling *s, int32_t B) {
        int64_t t = (int64_t)B * CW_MS_PER_DAY;
        int32_t r = B % s->every_days;

        return (r < 0 ? r + s->every_days : r) == 0 && t >= s->from &&
               t <= s->to;
}

/* Byte p (0 = most significant) of a key. */
static unsigned key_byte(const struct cw_sample_key *k, int p) {
        return (unsigned)((p < 8 ? k->hi >> (56 - 8 * p)
                                 : k->lo >> (56 - 8 * (p - 8))) &
                          0xff);
}

/*
 * Sorts the keys bytewise: a least-significant-digit radix sort, one
 * stable pass per byte position, skipping the positions where every key
 * has the same byte (ids that share a prefix such as "cust-000" cost only
 * the passes of the bytes that differ), then a comparison sort of each
 * run of equal keys. O(n) per pass; tmp holds n keys.
 */
static void sort_keys(struct cw_sample_buf *b) {
        size_t(*count)[256] = b->count;
        struct cw_sample_key *from = b->keys, *to = b->tmp, *swap;
        size_t n = b->n;

        memset(count, 0, 16 * sizeof(*count));
        for (size_t i = 0; i < n; i++)
                for (int p = 0; p < 16; p++)
                        count[p][key_byte(&from[i], p)]++;
        for (int p = 15; p >= 0; p--) {
                size_t sum = 0, *c = count[p];
                if (n && c[key_byte(&from[0], p)] == n)
                        continue; /* one byte value: nothing to order */
                for (int v = 0; v < 256; v++) {
                        size_t k = c[v];
                        c[v] = sum;
                        sum += k;
                }
                for (size_t i = 0; i < n; i++)
                        to[c[key_byte(&from[i], p)]++] = from[i];
                swap = from;
                from = to;
                to = swap;
        }
        if (from != b->keys)
                memcpy(b->keys, from, n * sizeof(*from));
        for (size_t i = 0, j; i < n; i = j) {
                for (j = i + 1; j < n && b->keys[j].hi == b->keys[i].hi &&
                                b->keys[j].lo == b->keys[i].lo;
                     j++)
                        ;
                if (j - i > 1)
                        qsort_r(b->keys + i, j - i, sizeof(*b->keys), key_cmp,
                                b);
        }
}

void cw_engine_sample_begin(cw_engine_t *e, int32_t B) {
        e->sample.active = is_sample_time(&e->sampling, B);
        e->sample.n = 0;
        e->sample.ids_len = 0;
}

/* Room for one more row of nf values and an id of len bytes. */
static int grow(struct cw_sample_buf *s, size_t nf, size_t len) {
        if (!s->count && !(s->count = malloc(16 * sizeof(*s->count))))
                return -1;
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 1024;
                struct cw_sample_key *k = realloc(s->keys, cap * sizeof(*k));
                if (k)
                        s->keys = k;
                struct cw_sample_key *t = realloc(s->tmp, cap * sizeof(*t));
                if (t)
                        s->tmp = t;
                double *v = realloc(s->values, cap * nf * sizeof(*v));
                if (v)
                        s->values = v;
                size_t *o = realloc(s->id_off, cap * sizeof(*o));
                if (o)
                        s->id_off = o;
                uint16_t *l = realloc(s->id_len, cap * sizeof(*l));
                if (l)
                        s->id_len = l;
                if (!k || !t || !v || !o || !l)
                        return -1;
                s->cap = cap;
        }
        if (s->ids_len + len > s->ids_cap) {
                size_t cap = (s->ids_len + len) * 2;
                char *a = realloc(s->ids, cap);
                if (!a)
                        return -1;
                s->ids = a;
                s->ids_cap = cap;
        }
        return 0;
}

void cw_engine_sample_add(cw_engine_t *e, struct cw_customer *c, int64_t t) {
        const struct cw_engine_sampling *s = &e->sampling;
        struct cw_sample_buf *b = &e->sample;
        size_t nf = (size_t)e->config->n_features + 1;
        const char *id = cw_cust_id(e->plan, c);
        struct cw_sample_key *k;

        if (s->keep && !s->keep(s->opaque, id, c->id_len, t))
                return;
        if (grow(b, nf, c->id_len)) {
                e->stats.rows_lost = 1;
                b->active = 0;
                return;
        }
        k = &b->keys[b->n];
        k->hi = be64(id, c->id_len);
        k->lo = c->id_len > 8 ? be64(id + 8, c->id_len - 8) : 0;
        k->row = b->n;
        memcpy(b->values + b->n * nf, e->values, nf * sizeof(double));
        memcpy(b->ids + b->ids_len, id, c->id_len);
        b->id_off[b->n] = b->ids_len;
        b->id_len[b->n] = c->id_len;
        b->ids_len += c->id_len;
        b->n++;
}

void cw_engine_sample_flush(cw_engine_t *e, int32_t B) {
        const struct cw_engine_sampling *s = &e->sampling;
        struct cw_sample_buf *b = &e->sample;
        size_t nf = (size_t)e->config->n_features + 1;
        int64_t t = (int64_t)B * CW_MS_PER_DAY;

        if (!b->active)
                return;
        if (b->n > 1)
                sort_keys(b);
        for (size_t i = 0; i < b->n; i++) {
                size_t r = b->keys[i].row;
                /* Rows are read in id order, their buffers were filled in
                 * sweep order: fetch a few ahead. */
                if (i + FLUSH_PREFETCH < b->n) {
                        size_t a = b->keys[i + FLUSH_PREFETCH].row;
                        const char *v = (const char *)(b->values + a * nf);
                        __builtin_prefetch(b->ids + b->id_off[a]);
                        for (size_t l = 0; l < nf * sizeof(double); l += 64)
                                __builtin_prefetch(v + l);
                        __builtin_prefetch(v + nf * sizeof(double) - 1);
                }
                s->row(s->opaque, b->ids + b->id_off[r], b->id_len[r], t,
                       b->values + r * nf);
        }
        e->stats.rows += b->n;
        b->active = 0;
}

void cw_engine_sample_free(cw_engine_t *e) {
        free(e->sample.keys);
        free(e->sample.tmp);
        free(e->sample.count);
        free(e->sample.values);
        free(e->sample.ids);
        free(e->sample.id_off);
        free(e->sample.id_len);
}
