#include "idtab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

struct cw_idtab {
        char *bytes; /* the ids end to end */
        size_t bytes_len, bytes_cap;
        size_t *off, *len; /* [n] */
        size_t n, cap;
        uint32_t *slots; /* number + 1; 0 empty */
        size_t n_slots;  /* a power of 2 */
};

/* The slot of id: its own, or the empty one where it would go. */
static size_t slot_of(const cw_idtab_t *t, const char *id, size_t len) {
        size_t j = (size_t)cw_fnv1a64(id, len) & (t->n_slots - 1);
        for (; t->slots[j]; j = (j + 1) & (t->n_slots - 1)) {
                size_t i = t->slots[j] - 1;
                if (t->len[i] == len && !memcmp(t->bytes + t->off[i], id, len))
                        break;
        }
        return j;
}

static int grow_slots(cw_idtab_t *t) {
        size_t n = t->n_slots * 2;
        uint32_t *s = calloc(n, sizeof(*s)), *old = t->slots;
        if (!s)
                return -1;
        t->slots = s;
        t->n_slots = n;
        for (size_t i = 0; i < t->n; i++)
                s[slot_of(t, t->bytes + t->off[i], t->len[i])] =
                        (uint32_t)i + 1;
        free(old);
        return 0;
}

cw_idtab_t *cw_idtab_new(void) {
        cw_idtab_t *t = calloc(1, sizeof(*t));
        if (!t || !(t->slots = calloc(1024, sizeof(*t->slots))) ||
            !(t->bytes = malloc(64))) {
                cw_idtab_destroy(t);
                return NULL;
        }
        t->n_slots = 1024;
        t->bytes_cap = 64;
        return t;
}

void cw_idtab_destroy(cw_idtab_t *t) {
        if (!t)
                return;
        free(t->bytes);
        free(t->off);
        free(t->len);
        free(t->slots);
        free(t);
}

long cw_idtab_find(const cw_idtab_t *t, const char *id, size_t len) {
        size_t j = slot_of(t, id, len);
        return t->slots[j] ? (long)t->slots[j] - 1 : -1;
}

/* Room for one more id of len bytes. */
static int reserve(cw_idtab_t *t, size_t len) {
        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 1024;
                size_t *o = realloc(t->off, cap * sizeof(*o));
                if (o)
                        t->off = o;
                size_t *l = realloc(t->len, cap * sizeof(*l));
                if (l)
                        t->len = l;
                if (!o || !l)
                        return -1;
                t->cap = cap;
        }
        if (t->bytes_len + len > t->bytes_cap) {
                size_t cap = (t->bytes_len + len) * 2;
                char *b = realloc(t->bytes, cap);
                if (!b)
                        return -1;
                t->bytes = b;
                t->bytes_cap = cap;
        }
        return 0;
}

long cw_idtab_add(cw_idtab_t *t, const char *id, size_t len, int *added) {
        size_t j;

        *added = 0;
        if ((t->n + 1) * 2 > t->n_slots && grow_slots(t))
                return -1;
        j = slot_of(t, id, len);
        if (t->slots[j])
                return (long)t->slots[j] - 1;
        if (t->n >= UINT32_MAX - 1 || reserve(t, len))
                return -1;
        if (len)
                memcpy(t->bytes + t->bytes_len, id, len);
        t->off[t->n] = t->bytes_len;
        t->len[t->n] = len;
        t->bytes_len += len;
        t->slots[j] = (uint32_t)++t->n;
        *added = 1;
        return (long)t->n - 1;
}

size_t cw_idtab_count(const cw_idtab_t *t) {
        return t->n;
}

const char *cw_idtab_id(const cw_idtab_t *t, size_t i, size_t *len) {
        *len = t->len[i];
        return t->bytes + t->off[i];
}
