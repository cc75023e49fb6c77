#include "trainset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/hash.h"
#include "common/numfmt.h"
#include "common/timeparse.h"

/* Rows are formatted into one line buffer and written with one fwrite
 * through a large stdio buffer: a training set runs to millions of rows. */
#define OUT_BUFFER (1 << 20)
/* Slots of the cache of formatted numbers (a power of 2). */
#define NUM_CACHE 1024

/* A number and its text. Feature values repeat a lot (ratios and averages
 * of small counts), and the shortest round-trip text of a fraction costs
 * up to three snprintf and strtod calls, the cache a lookup. */
struct num {
        uint64_t bits;
        uint8_t len; /* 0: empty slot */
        char text[CW_DOUBLE_BUF - 1];
};

struct cw_trainset {
        const cw_engine_conf_t *c;
        struct cw_trainset_opts o;
        uint64_t below; /* keep a hash h when h < below; fraction 1: all */
        FILE *f;
        char *fbuf;
        char *line; /* one row */
        size_t line_cap;
        int64_t as_of_t; /* the sample time as_of holds */
        char as_of[40];
        uint64_t rows;
        int err;     /* errno of the first failed write, or 0 */
        int regular; /* a regular file: removed when left incomplete */
        struct num cache[NUM_CACHE];
};

/* The hashes below which customers are sampled; UINT64_MAX: all of them.
 * fraction * 2^64 is exact in a double; for fraction < 1 it is at most
 * 2^64 - 2^11, and h < x for a whole h means h < ceil(x). */
static uint64_t threshold(double fraction) {
        return fraction >= 1 ? UINT64_MAX : (uint64_t)ceil(ldexp(fraction, 64));
}

static int sampled(uint64_t below, const char *id, size_t len) {
        return below == UINT64_MAX || cw_fnv1a64(id, len) < below;
}

int cw_trainset_sampled(double fraction, const char *id, size_t len) {
        return sampled(threshold(fraction), id, len);
}

/* Appends s (n bytes) to the line; the caller made room. */
static size_t put(char *line, size_t at, const char *s, size_t n) {
        memcpy(line + at, s, n);
        return at + n;
}

/* The customer_id field: as is, or quoted when it holds a comma, a quote
 * or a line break. Needs up to 2 * len + 2 bytes. */
static size_t put_id(char *line, size_t at, const char *id, size_t len) {
        size_t i = 0;

        while (i < len && id[i] != ',' && id[i] != '"' && id[i] != '\n' &&
               id[i] != '\r')
                i++;
        if (i == len)
                return put(line, at, id, len);
        line[at++] = '"';
        for (i = 0; i < len; i++) {
                if (id[i] == '"')
                        line[at++] = '"';
                line[at++] = id[i];
        }
        line[at++] = '"';
        return at;
}

/* v (not NaN) at line + at; returns the new end. Whole numbers take
 * cw_double_format's fast path; others go through the cache. */
static size_t put_number(cw_trainset_t *ts, char *line, size_t at, double v) {
        struct num *slot;
        uint64_t bits;
        size_t n;

        if (v == trunc(v) && fabs(v) < 1e15)
                return at + cw_double_format(v, line + at);
        memcpy(&bits, &v, sizeof(bits));
        slot = &ts->cache[(bits * UINT64_C(0x9E3779B97F4A7C15)) >> 54];
        if (!slot->len || slot->bits != bits) {
                n = cw_double_format(v, line + at);
                if (n >= sizeof(slot->text))
                        return at + n;
                slot->bits = bits;
                slot->len = (uint8_t)n;
                memcpy(slot->text, line + at, n);
                return at + n;
        }
        memcpy(line + at, slot->text, slot->len);
        return at + slot->len;
}

static int keep(void *opaque, const char *id, size_t len, int64_t t) {
        cw_trainset_t *ts = opaque;
        int64_t at;

        if (!sampled(ts->below, id, len))
                return 0;
        /* A customer who churned at or before t has no row at t. */
        return !(ts->o.labels && cw_labels_find(ts->o.labels, id, len, &at) &&
                 at <= t);
}

static void row(void *opaque, const char *id, size_t len, int64_t t,
                const double *values) {
        cw_trainset_t *ts = opaque;
        const cw_engine_conf_t *c = ts->c;
        size_t need = 2 * len + 64 + (size_t)c->n_features * CW_DOUBLE_BUF,
               n = 0;
        int64_t at;

        if (ts->err)
                return;
        if (need > ts->line_cap) {
                char *l = realloc(ts->line, need);
                if (!l) {
                        ts->err = ENOMEM;
                        return;
                }
                ts->line = l;
                ts->line_cap = need;
        }
        if (t != ts->as_of_t) {
                cw_time_format_seconds(t, ts->as_of, sizeof(ts->as_of));
                ts->as_of_t = t;
        }
        n = put_id(ts->line, n, id, len);
        ts->line[n++] = ',';
        n = put(ts->line, n, ts->as_of, strlen(ts->as_of));
        for (int i = 0; i < c->n_features; i++) {
                ts->line[n++] = ',';
                if (!isnan(values[i]))
                        n = put_number(ts, ts->line, n, values[i]);
        }
        if (ts->o.labels) {
                int churns = cw_labels_find(ts->o.labels, id, len, &at) &&
                             at > t && at - t <= ts->o.horizon_ms;
                n = put(ts->line, n, churns ? ",1" : ",0", 2);
        }
        ts->line[n++] = '\n';
        errno = 0;
        if (fwrite(ts->line, 1, n, ts->f) != n)
                ts->err = errno ? errno : EIO;
        else
                ts->rows++;
}

static int write_header(cw_trainset_t *ts) {
        fputs("customer_id,as_of", ts->f);
        for (int i = 0; i < ts->c->n_features; i++)
                fprintf(ts->f, ",%s", ts->c->features[i].name);
        fputs(ts->o.labels ? ",label\n" : "\n", ts->f);
        return ferror(ts->f) ? -1 : 0;
}

cw_trainset_t *cw_trainset_open(const cw_engine_conf_t *c,
                                const struct cw_trainset_opts *o, char *errstr,
                                size_t errstr_size) {
        cw_trainset_t *ts = calloc(1, sizeof(*ts));

        if (!ts || !(ts->fbuf = malloc(OUT_BUFFER))) {
                snprintf(errstr, errstr_size, "out of memory");
                free(ts);
                return NULL;
        }
        ts->c = c;
        ts->o = *o;
        ts->as_of_t = INT64_MIN;
        ts->below = threshold(o->fraction);
        if (!(ts->f = fopen(o->path, "w"))) {
                snprintf(errstr, errstr_size, "%s: %s", o->path,
                         strerror(errno));
                free(ts->fbuf);
                free(ts);
                return NULL;
        }
        setvbuf(ts->f, ts->fbuf, _IOFBF, OUT_BUFFER);
        ts->regular = cw_file_is_regular(o->path);
        if (write_header(ts)) {
                snprintf(errstr, errstr_size, "%s: %s", o->path,
                         strerror(errno));
                cw_trainset_close(ts, NULL, 0);
                return NULL;
        }
        return ts;
}

void cw_trainset_sampling(cw_trainset_t *t, struct cw_engine_sampling *s) {
        s->every_days = t->o.every_days;
        s->from = t->o.from;
        s->to = t->o.to;
        s->keep = keep;
        s->row = row;
        s->opaque = t;
}

uint64_t cw_trainset_rows(const cw_trainset_t *t) {
        return t->rows;
}

/* Closes; a regular file that a failed write or the caller (discard)
 * leaves incomplete is removed. As cw_trainset_close(), or with discard
 * whether it removed the file. */
static int finish(cw_trainset_t *t, int discard, char *errstr,
                  size_t errstr_size) {
        int err = t->err, removed;

        if (fclose(t->f) && !err)
                err = errno ? errno : EIO;
        removed = (err || discard) && t->regular && unlink(t->o.path) == 0;
        if (err && errstr && !discard)
                snprintf(errstr, errstr_size, "%s: %s%s", t->o.path,
                         strerror(err),
                         removed ? "; removed it, as it is incomplete" : "");
        free(t->fbuf);
        free(t->line);
        free(t);
        return discard ? removed : err ? -1 : 0;
}

int cw_trainset_close(cw_trainset_t *t, char *errstr, size_t errstr_size) {
        return t ? finish(t, 0, errstr, errstr_size) : 0;
}

int cw_trainset_discard(cw_trainset_t *t) {
        return t ? finish(t, 1, NULL, 0) : 0;
}
