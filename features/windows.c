/*
 * Day buckets and running totals (plan.h): an event lands in its day's
 * bucket and in the totals of the windows that cover that day; when a
 * customer's day moves on, the days that left each window come out of its
 * totals. Reading any windowed feature is then O(1). The buckets are
 * narrow fixed-size records, oldest first (buckets_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "engine_int.h"

/* Takes bucket i out of group g's totals; returns the mask of the group's
 * min/max totals whose extreme left with it. */
static uint64_t take_bucket(const struct cw_plan *p, const struct cw_area *a,
                            int i, const struct cw_group *g, int64_t *runs) {
        const struct cw_stream_plan *sp = a->sp;
        uint64_t dirty = 0;

        for (int r = 0; r < g->n_runs; r++) {
                const struct cw_run *run = &p->runs[g->runs[r]];
                int64_t *rv = &runs[g->runs[r]];
                switch (run->kind) {
                case CW_RUN_SUM:
                        *rv = cw_wrap_sub(*rv, cw_area_get(a, i, run->col));
                        break;
                case CW_RUN_DAYS:
                        *rv = cw_wrap_sub(*rv, cw_area_get(a, i, run->col) > 0);
                        break;
                case CW_RUN_MIN:
                case CW_RUN_MAX:
                        if (cw_area_get(a, i, sp->cols[run->col].count_col) &&
                            cw_area_get(a, i, run->col) == *rv)
                                dirty |= UINT64_C(1) << r;
                        break;
                }
        }
        return dirty;
}

/*
 * Finds again the extremes of `dirty` over the buckets from index `from`
 * on (the window's), with a pass over them; called only when a cached
 * extreme left. When the window has no value left (which always evicts
 * the extreme) the total is 0, as when the whole window leaves at once.
 * Then a customer's state depends only on its buckets and its day, not on
 * how many days each move spanned: cw_engine_restored() moves a restored
 * customer in one step where the sweeps took one a day, and a customer a
 * sweep skipped catches up in one step too.
 */
static void rescan_dirty(const struct cw_plan *p, const struct cw_area *a,
                         int from, const struct cw_group *g, int64_t *runs,
                         uint64_t dirty) {
        for (int r = 0; dirty && r < g->n_runs; r++) {
                const struct cw_run *run = &p->runs[g->runs[r]];
                int cc = a->sp->cols[run->col].count_col;
                int is_min = run->kind == CW_RUN_MIN;
                int64_t best = is_min ? INT64_MAX : INT64_MIN;
                if (!(dirty & (UINT64_C(1) << r)))
                        continue;
                for (int i = from; i < a->n; i++) {
                        int64_t v = cw_area_get(a, i, run->col);
                        if (cw_area_get(a, i, cc) &&
                            (is_min ? v < best : v > best))
                                best = v;
                }
                runs[g->runs[r]] = runs[run->count_run] ? best : 0;
        }
}

/*
 * Moves one stream's windows of c from c->cur_day to `day`: each group
 * takes the days that left it out of its totals (subtract-on-evict), then
 * buckets older than the longest window go. Costs a binary search a
 * group, and O(buckets leaving).
 */
static void advance_area(const struct cw_plan *p,
                         const struct cw_stream_plan *sp, struct cw_customer *c,
                         int32_t day) {
        struct cw_area a = cw_cust_area(p, c, sp->bucket_slot);
        int64_t *runs = cw_cust_runs(p, c);
        int keep;

        if (!a.n)
                return;
        for (int gi = 0; gi < sp->n_groups; gi++) {
                const struct cw_group *g = &sp->groups[gi];
                int32_t new_lo = day - g->days + 1;
                uint64_t dirty = 0;
                int i;
                if (new_lo > c->cur_day) {
                        /* Everything left: start from zero. */
                        for (int r = 0; r < g->n_runs; r++)
                                runs[g->runs[r]] = 0;
                        continue;
                }
                /* Nothing leaves a window whose days are all older than
                 * it, or all newer than its new start. */
                if (cw_area_day(&a, a.n - 1) < c->cur_day - g->days + 1 ||
                    cw_area_day(&a, 0) >= new_lo)
                        continue;
                i = cw_area_find(&a, c->cur_day - g->days + 1);
                for (; i < a.n && cw_area_day(&a, i) < new_lo; i++)
                        dirty |= take_bucket(p, &a, i, g, runs);
                rescan_dirty(p, &a, i, g, runs, dirty);
        }
        keep = cw_area_find(&a, day - sp->max_days + 1);
        if (keep) {
                memmove(a.b, cw_area_at(&a, keep),
                        (size_t)(a.n - keep) * (size_t)a.size);
                cw_cust_bmeta(p, c, sp->bucket_slot)[0] =
                        (uint16_t)(a.n - keep);
        }
}

void cw_engine_advance_customer(const struct cw_plan *p, struct cw_customer *c,
                                int32_t day) {
        unsigned span;

        if (c->cur_day == CW_DAY_NONE || day <= c->cur_day) {
                if (c->cur_day == CW_DAY_NONE)
                        c->cur_day = day;
                return;
        }
        /* The cached alert results hold for `span` more days at most. */
        span = (unsigned)c->flags >> CW_CUST_SPAN_SHIFT;
        c->flags &= (uint16_t)~CW_CUST_SPAN_MASK;
        if ((int64_t)day - c->cur_day > span)
                c->flags &= (uint16_t)~CW_CUST_CACHED;
        else
                c->flags |= (uint16_t)((span - (unsigned)(day - c->cur_day))
                                       << CW_CUST_SPAN_SHIFT);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (p->streams[s].bucket_slot >= 0)
                        advance_area(p, &p->streams[s], c, day);
        c->cur_day = day;
}

/* The event (whose filters matched `mask`) added to a bucket's columns v:
 * counts first, so that a value column knows from its count whether this
 * is the first matching event of the day. */
static void add_to_bucket(const struct cw_stream_plan *sp,
                          const struct cw_event *ev, uint32_t mask,
                          int64_t *v) {
        for (int i = 0; i < sp->n_cols; i++)
                if (sp->cols[i].kind == CW_COL_COUNT &&
                    mask >> sp->cols[i].filter & 1)
                        v[i] = (uint32_t)(v[i] + 1);
        for (int i = 0; i < sp->n_cols; i++) {
                const struct cw_col *col = &sp->cols[i];
                int64_t x;
                if (col->kind == CW_COL_COUNT || !(mask >> col->filter & 1))
                        continue;
                x = cw_field_i64(ev->num[col->field]);
                if (col->kind == CW_COL_SUM)
                        v[i] = cw_wrap_add(v[i], x);
                else if (v[col->count_col] == 1 ||
                         (col->kind == CW_COL_MIN ? x < v[i] : x > v[i]))
                        v[i] = x;
        }
}

/*
 * Adds the event to the bucket of its day in customer k's area of its
 * stream (created in order when missing), leaving the bucket's columns in
 * v. Returns the customer (it may have moved), NULL when out of memory or
 * when the area holds as many days as the longest window.
 */
static struct cw_customer *add_to_area(cw_engine_t *e, size_t k,
                                       const struct cw_stream_plan *sp,
                                       const struct cw_event *ev, uint32_t mask,
                                       int64_t *v) {
        const struct cw_plan *p = e->plan;
        struct cw_customer *c = e->cust[k];
        int j = sp->bucket_slot, i;
        struct cw_area a = cw_cust_area(p, c, j);
        int32_t day = cw_day_of(ev->ts);
        int found;
        uint8_t wid;

        /* Events mostly land on the newest day: search from the end. */
        for (i = a.n; i > 0 && cw_area_day(&a, i - 1) > day; i--)
                ;
        found = i > 0 && cw_area_day(&a, i - 1) == day;
        for (int col = 0; col < sp->n_cols; col++)
                v[col] = found ? cw_area_get(&a, i - 1, col) : 0;
        add_to_bucket(sp, ev, mask, v);
        wid = cw_area_widths(sp, v, *cw_cust_bwid(p, c, j));
        if (!found && a.n == a.cap) {
                int cap = a.cap < 8 ? a.cap + 2 : a.cap + a.cap / 2;
                if (a.n == sp->max_days)
                        return NULL; /* more days than the longest window */
                if (!(c = cw_engine_reserve(
                              e, k, j, cap > sp->max_days ? sp->max_days : cap,
                              wid)))
                        return NULL;
        } else if (wid != *cw_cust_bwid(p, c, j) &&
                   !(c = cw_engine_reserve(e, k, j, a.cap, wid))) {
                return NULL;
        }
        a = cw_cust_area(p, c, j);
        if (found) {
                i--;
        } else {
                memmove(cw_area_at(&a, i + 1), cw_area_at(&a, i),
                        (size_t)(a.n - i) * (size_t)a.size);
                cw_area_set_day(&a, i, day);
                cw_cust_bmeta(p, c, j)[0] = (uint16_t)++a.n;
        }
        for (int col = 0; col < sp->n_cols; col++)
                cw_area_put(&a, i, col, v[col]);
        return c;
}

/* Adds an event (whose filters matched `mask`) to its stream's buckets and
 * to the totals of every window that covers its day. */
void cw_engine_add_to_windows(cw_engine_t *e, size_t k,
                              const struct cw_stream_plan *sp,
                              const struct cw_event *ev, uint32_t mask) {
        const struct cw_plan *p = e->plan;
        int32_t day = cw_day_of(ev->ts);
        int64_t v[CW_PLAN_MAX_COLS], *runs;
        struct cw_customer *c;

        if (day < e->cust[k]->cur_day - sp->max_days + 1)
                return; /* older than every window */
        if (!(c = add_to_area(e, k, sp, ev, mask, v)))
                return;
        runs = cw_cust_runs(p, c);
        for (int gi = 0; gi < sp->n_groups; gi++) {
                const struct cw_group *g = &sp->groups[gi];
                if (day < c->cur_day - g->days + 1)
                        continue;
                for (int pass = 0; pass < 2; pass++)
                        for (int r = 0; r < g->n_runs; r++) {
                                const struct cw_run *run = &p->runs[g->runs[r]];
                                const struct cw_col *col = &sp->cols[run->col];
                                int64_t *rv = &runs[g->runs[r]], x = 0;
                                if (!(mask >> col->filter & 1))
                                        continue;
                                if (col->kind != CW_COL_COUNT)
                                        x = cw_field_i64(ev->num[col->field]);
                                if (pass == 0 && run->kind == CW_RUN_SUM)
                                        *rv = cw_wrap_add(
                                                *rv, col->kind == CW_COL_COUNT
                                                             ? 1
                                                             : x);
                                else if (pass == 0 && run->kind == CW_RUN_DAYS)
                                        *rv = cw_wrap_add(*rv,
                                                          v[run->col] == 1);
                                else if (pass == 1 &&
                                         (run->kind == CW_RUN_MIN ||
                                          run->kind == CW_RUN_MAX) &&
                                         /* After pass 0 the window count
                                          * is 1 when this is its only
                                          * event. */
                                         (runs[run->count_run] == 1 ||
                                          (run->kind == CW_RUN_MIN ? x < *rv
                                                                   : x > *rv)))
                                        *rv = x;
                        }
        }
}

/* ---- the days to come ------------------------------------------------------
 * What a day sweep needs to know to skip a customer (wake.c): the totals
 * cw_engine_advance_customer() would leave at each day after cur_day if
 * no event came. A group's window loses its oldest bucket, then the next;
 * the totals after each loss are what a move to that day leaves (which
 * depends only on the buckets and the day). The buckets are read in
 * place. */

struct cw_winsim {
        const struct cw_plan *p;
        int64_t *runs; /* [n_runs]: the totals at `day` */
        int32_t day;
        struct cw_area area[CW_STREAM_COUNT]; /* by slot */
        int *first;    /* [gid]: the oldest bucket in the group's window */
        int32_t *exit; /* [gid]: the day that one leaves, or INT32_MAX */
        /* [gid]: its stream's slot and its group there */
        int *slot, *group;
};

struct cw_winsim *cw_winsim_new(const struct cw_plan *p) {
        struct cw_winsim *s = calloc(1, sizeof(*s));
        size_t n = (size_t)p->n_gids + 1;

        if (!s)
                return NULL;
        s->p = p;
        s->runs = calloc((size_t)p->n_runs + 1, sizeof(*s->runs));
        s->first = calloc(n, sizeof(*s->first));
        s->exit = calloc(n, sizeof(*s->exit));
        s->slot = calloc(n, sizeof(*s->slot));
        s->group = calloc(n, sizeof(*s->group));
        if (!s->runs || !s->first || !s->exit || !s->slot || !s->group) {
                cw_winsim_free(s);
                return NULL;
        }
        for (int k = 0; k < CW_STREAM_COUNT; k++)
                for (int gi = 0; gi < p->streams[k].n_groups; gi++) {
                        s->slot[p->streams[k].gid0 + gi] =
                                p->streams[k].bucket_slot;
                        s->group[p->streams[k].gid0 + gi] = gi;
                }
        return s;
}

void cw_winsim_free(struct cw_winsim *s) {
        if (!s)
                return;
        free(s->runs);
        free(s->first);
        free(s->exit);
        free(s->slot);
        free(s->group);
        free(s);
}

/* Group gid's next loss: the day its oldest bucket leaves. */
static void set_exit(struct cw_winsim *s, int gid) {
        const struct cw_area *a = &s->area[s->slot[gid]];
        int i = s->first[gid];

        s->exit[gid] =
                i < a->n ? cw_area_day(a, i) + a->sp->groups[s->group[gid]].days
                         : INT32_MAX;
}

const int32_t *cw_winsim_start(struct cw_winsim *s, struct cw_customer *c,
                               uint64_t groups) {
        const struct cw_plan *p = s->p;
        unsigned char *b = c->data + p->fixed_size + c->id_len;

        memcpy(s->runs, cw_cust_runs(p, c),
               (size_t)p->n_runs * sizeof(int64_t));
        s->day = c->cur_day;
        for (int j = 0; j < p->n_bucket_streams; j++) {
                uint8_t wid = *cw_cust_bwid(p, c, j);
                struct cw_area *a = &s->area[j];
                a->sp = cw_slot_plan(p, j);
                a->b = b;
                a->n = cw_cust_bmeta(p, c, j)[0];
                a->cap = cw_cust_bmeta(p, c, j)[1];
                a->cw = 1 << (wid & 3);
                a->vw = 1 << (wid >> 2);
                a->size = cw_bucket_size(a->sp, wid);
                a->ref = c->cur_day;
                b += (size_t)a->cap * (size_t)a->size;
        }
        for (int gid = 0; gid < p->n_gids; gid++) {
                const struct cw_area *a = &s->area[s->slot[gid]];
                if (!(cw_gid_bit(gid) & groups)) {
                        s->exit[gid] = INT32_MAX;
                        continue;
                }
                s->first[gid] = cw_area_find(
                        a, c->cur_day - a->sp->groups[s->group[gid]].days + 1);
                set_exit(s, gid);
        }
        return s->exit;
}

const int64_t *cw_winsim_runs(const struct cw_winsim *s) {
        return s->runs;
}

uint64_t cw_winsim_move(struct cw_winsim *s, int32_t day, uint64_t groups) {
        uint64_t moved = 0;

        for (int gid = 0; gid < s->p->n_gids; gid++) {
                const struct cw_area *a = &s->area[s->slot[gid]];
                const struct cw_group *g = &a->sp->groups[s->group[gid]];
                int *first = &s->first[gid];
                uint64_t dirty = 0;
                if (s->exit[gid] > day || !(cw_gid_bit(gid) & groups))
                        continue;
                for (; *first < a->n && cw_area_day(a, *first) + g->days <= day;
                     (*first)++)
                        dirty |= take_bucket(s->p, a, *first, g, s->runs);
                rescan_dirty(s->p, a, *first, g, s->runs, dirty);
                set_exit(s, gid);
                moved |= cw_gid_bit(gid);
        }
        s->day = day;
        return moved;
}
