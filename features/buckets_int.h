/*
 * Day buckets as bytes: the bucket areas of a customer record
 * (engine_int.h). An area holds one stream's buckets oldest first, all of
 * one size: the day (its low 16 bits: every bucket is within the longest
 * window, at most 3650 days, of the customer's day), then the counts,
 * then the values, each column as narrow as the area's widths say. An
 * area starts with 1-byte counts and values and widens, rewritten whole,
 * when a number does not fit (a day of 256 matching events, a sum beyond
 * a byte): a day of a few events takes 2 bytes plus a byte a column,
 * where the layout before took 4 for the day, 4 a count and 8 a value.
 * Buckets keep their place by index, so a window's buckets are found by
 * a binary search and read in place.
 */
#ifndef CW_BUCKETS_INT_H
#define CW_BUCKETS_INT_H

#include <stdint.h>
#include <string.h>

#include "plan.h"

/* An area's widths, one byte: counts 1 << (wid & 3) bytes (1, 2, 4),
 * values 1 << (wid >> 2) bytes (1, 2, 4, 8). */
#define CW_WID(cw_log, vw_log) ((uint8_t)((cw_log) | (vw_log) << 2))

/* One area of a customer: its buckets, their widths and size, and the day
 * the bucket days are read against (the customer's cur_day). */
struct cw_area {
        unsigned char *b;
        int n, cap;
        int cw, vw, size; /* bytes: a count, a value, a bucket */
        int32_t ref;
        const struct cw_stream_plan *sp;
};

static inline int cw_bucket_size(const struct cw_stream_plan *sp, uint8_t wid) {
        return 2 + sp->n_counts * (1 << (wid & 3)) +
               sp->n_values * (1 << (wid >> 2));
}

static inline unsigned char *cw_area_at(const struct cw_area *a, int i) {
        return a->b + (size_t)i * (size_t)a->size;
}

/* Bucket i's day. */
static inline int32_t cw_area_day(const struct cw_area *a, int i) {
        uint16_t d;
        memcpy(&d, cw_area_at(a, i), 2);
        return a->ref - (int32_t)(uint16_t)((uint16_t)a->ref - d);
}

static inline void cw_area_set_day(const struct cw_area *a, int i,
                                   int32_t day) {
        uint16_t d = (uint16_t)day;
        memcpy(cw_area_at(a, i), &d, 2);
}

/* Where column col of a bucket is, and how wide. */
static inline int cw_area_col_off(const struct cw_area *a, int col, int *w) {
        const struct cw_col *c = &a->sp->cols[col];
        if (c->kind == CW_COL_COUNT) {
                *w = a->cw;
                return 2 + c->index * a->cw;
        }
        *w = a->vw;
        return 2 + a->sp->n_counts * a->cw + c->index * a->vw;
}

/* Column col of bucket i: counts unsigned, values signed. */
static inline int64_t cw_area_get(const struct cw_area *a, int i, int col) {
        int w, off = cw_area_col_off(a, col, &w);
        const unsigned char *p = cw_area_at(a, i) + off;
        int counts = a->sp->cols[col].kind == CW_COL_COUNT;
        uint8_t u8;
        uint16_t u16;
        uint32_t u32;
        int64_t v;

        switch (w) {
        case 1:
                u8 = *p;
                return counts ? (int64_t)u8 : (int64_t)(int8_t)u8;
        case 2:
                memcpy(&u16, p, 2);
                return counts ? (int64_t)u16 : (int64_t)(int16_t)u16;
        case 4:
                memcpy(&u32, p, 4);
                return counts ? (int64_t)u32 : (int64_t)(int32_t)u32;
        default:
                memcpy(&v, p, 8);
                return v;
        }
}

/* Whether v fits column col at width w. */
static inline int cw_area_fits(const struct cw_stream_plan *sp, int col,
                               int64_t v, int w) {
        if (sp->cols[col].kind == CW_COL_COUNT)
                return w >= 4 || v < (INT64_C(1) << (8 * w));
        return w >= 8 || (v >= -(INT64_C(1) << (8 * w - 1)) &&
                          v < (INT64_C(1) << (8 * w - 1)));
}

/* The narrowest widths, no narrower than `wid`, that hold columns v. */
static inline uint8_t cw_area_widths(const struct cw_stream_plan *sp,
                                     const int64_t *v, uint8_t wid) {
        int cl = wid & 3, vl = wid >> 2;

        for (int i = 0; i < sp->n_cols; i++) {
                int *l = sp->cols[i].kind == CW_COL_COUNT ? &cl : &vl;
                while (!cw_area_fits(sp, i, v[i], 1 << *l))
                        (*l)++;
        }
        return CW_WID(cl, vl);
}

/* Stores v, which fits, in column col of bucket i. */
static inline void cw_area_put(const struct cw_area *a, int i, int col,
                               int64_t v) {
        int w, off = cw_area_col_off(a, col, &w);
        unsigned char *p = cw_area_at(a, i) + off;
        uint8_t u8 = (uint8_t)v;
        uint16_t u16 = (uint16_t)v;
        uint32_t u32 = (uint32_t)v;

        switch (w) {
        case 1:
                *p = u8;
                break;
        case 2:
                memcpy(p, &u16, 2);
                break;
        case 4:
                memcpy(p, &u32, 4);
                break;
        default:
                memcpy(p, &v, 8);
        }
}

/* The first bucket of a day >= day (n when none). */
static inline int cw_area_find(const struct cw_area *a, int32_t day) {
        int lo = 0, hi = a->n;
        while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (cw_area_day(a, mid) < day)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

#endif
