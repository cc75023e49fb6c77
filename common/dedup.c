#include "dedup.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct gen {
        uint64_t (*ids)[2]; /* {0, 0}: empty slot */
        size_t mask, n;
};

struct cw_dedup {
        struct gen cur, old;
        size_t half; /* ids per generation */
};

static int gen_init(struct gen *g, size_t half) {
        size_t cap = 4;
        while (cap < half * 2)
                cap *= 2;
        g->ids = calloc(cap, sizeof(*g->ids));
        g->mask = cap - 1;
        g->n = 0;
        return g->ids ? 0 : -1;
}

/* The id's two 64-bit halves; an id parses to {0, 0} only if invalid. */
static int parse(const char *s, uint64_t out[2]) {
        out[0] = out[1] = 0;
        for (int i = 0; i < 32; i++) {
                int c = s[i], v = c >= '0' && c <= '9'   ? c - '0'
                                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                         : -1;
                if (v < 0)
                        return -1;
                out[i / 16] = out[i / 16] << 4 | (uint64_t)v;
        }
        return s[32] || (!out[0] && !out[1]) ? -1 : 0;
}

/* The slot holding id, or the empty slot where it would go. The ids are
 * hashes already, so their low bits index the table directly. */
static size_t find(const struct gen *g, const uint64_t id[2]) {
        size_t i = id[0] & g->mask;
        while ((g->ids[i][0] || g->ids[i][1]) &&
               (g->ids[i][0] != id[0] || g->ids[i][1] != id[1]))
                i = (i + 1) & g->mask;
        return i;
}

static int holds(const struct gen *g, const uint64_t id[2]) {
        size_t i = find(g, id);
        return g->ids[i][0] || g->ids[i][1];
}

cw_dedup_t *cw_dedup_new(size_t capacity) {
        cw_dedup_t *d = calloc(1, sizeof(*d));
        if (!d)
                return NULL;
        d->half = capacity < 2 ? 1 : capacity / 2;
        if (gen_init(&d->cur, d->half) || gen_init(&d->old, d->half)) {
                cw_dedup_destroy(d);
                return NULL;
        }
        return d;
}

void cw_dedup_destroy(cw_dedup_t *d) {
        if (!d)
                return;
        free(d->cur.ids);
        free(d->old.ids);
        free(d);
}

int cw_dedup_seen(cw_dedup_t *d, const char *warning_id) {
        uint64_t id[2];
        size_t i;

        if (strlen(warning_id) != 32 || parse(warning_id, id))
                return 0;
        if (holds(&d->cur, id) || holds(&d->old, id))
                return 1;
        if (d->cur.n == d->half) {
                /* The older generation is forgotten; its table is reused. */
                struct gen t = d->old;
                d->old = d->cur;
                memset(t.ids, 0, (t.mask + 1) * sizeof(*t.ids));
                t.n = 0;
                d->cur = t;
        }
        i = find(&d->cur, id);
        d->cur.ids[i][0] = id[0];
        d->cur.ids[i][1] = id[1];
        d->cur.n++;
        return 0;
}
