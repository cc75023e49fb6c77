#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/duration.h"
#include "engine_int.h"
#include "model.h"

#define CW_MAX_CUSTOMER_ID 256
/* How many customers ahead a sweep prefetches (bench/run.sh measures). */
#define SWEEP_PREFETCH 8

/* ---- windows --------------------------------------------------------------
 */

/* Min or max of column `col` over the buckets of days [lo, hi] in which
 * its filter matched; called only when a cached extreme left the window.
 * Costs one pass over the window's buckets. */
static int64_t rescan_extreme(const struct cw_stream_plan *sp,
                              struct cw_bview bl, const struct cw_col *col,
                              int32_t lo, int is_min) {
        const struct cw_col *cc = &sp->cols[col->count_col];
        int64_t best = is_min ? INT64_MAX : INT64_MIN;
        for (int i = *bl.n - 1; i >= 0; i--) {
                unsigned char *b = cw_bucket(sp, bl, i);
                int64_t v;
                if (cw_bucket_day(b) < lo)
                        break;
                if (!*cw_bucket_count(cc, b))
                        continue;
                v = *cw_bucket_value(col, b);
                if (is_min ? v < best : v > best)
                        best = v;
        }
        return best;
}

/* Takes the buckets of days [old_lo, new_lo) out of group g's totals. */
static void evict_days(const struct cw_plan *p, const struct cw_stream_plan *sp,
                       const struct cw_group *g, struct cw_bview bl,
                       int64_t *runs, int32_t old_lo, int32_t new_lo) {
        uint64_t dirty = 0;

        for (int i = 0; i < *bl.n; i++) {
                unsigned char *b = cw_bucket(sp, bl, i);
                int32_t day = cw_bucket_day(b);
                if (day < old_lo)
                        continue;
                if (day >= new_lo)
                        break;
                for (int r = 0; r < g->n_runs; r++) {
                        const struct cw_run *run = &p->runs[g->runs[r]];
                        const struct cw_col *col = &sp->cols[run->col];
                        switch (run->kind) {
                        case CW_RUN_SUM:
                                runs[g->runs[r]] = cw_wrap_sub(
                                        runs[g->runs[r]],
                                        col->kind == CW_COL_COUNT
                                                ? (int64_t)*cw_bucket_count(col,
                                                                            b)
                                                : *cw_bucket_value(col, b));
                                break;
                        case CW_RUN_DAYS:
                                runs[g->runs[r]] = cw_wrap_sub(
                                        runs[g->runs[r]],
                                        *cw_bucket_count(col, b) > 0);
                                break;
                        case CW_RUN_MIN:
                        case CW_RUN_MAX:
                                if (*cw_bucket_count(&sp->cols[col->count_col],
                                                     b) &&
                                    *cw_bucket_value(col, b) ==
                                            runs[g->runs[r]])
                                        dirty |= UINT64_C(1) << r;
                                break;
                        }
                }
        }
        /* An extreme that left is found again; when the window has no
         * value left (which always evicts the extreme) it is 0, as when
         * the whole window leaves at once in advance_customer(). Then a
         * customer's state depends only on its buckets and its day, not on
         * how many days each move spanned: cw_engine_restored() moves a
         * restored customer in one step where the sweeps took one a day. */
        for (int r = 0; dirty && r < g->n_runs; r++) {
                const struct cw_run *run = &p->runs[g->runs[r]];
                if (!(dirty & (UINT64_C(1) << r)))
                        continue;
                runs[g->runs[r]] =
                        runs[run->count_run]
                                ? rescan_extreme(sp, bl, &sp->cols[run->col],
                                                 new_lo,
                                                 run->kind == CW_RUN_MIN)
                                : 0;
        }
}

/*
 * Moves a customer's windows to `day`: each group drops the days that left
 * it (subtract-on-evict), then buckets older than the longest window go.
 * Costs O(buckets leaving) per group, amortised O(1) per event.
 */
static void advance_customer(cw_engine_t *e, struct cw_customer *c,
                             int32_t day) {
        const struct cw_plan *p = e->plan;
        int64_t *runs = cw_cust_runs(p, c);

        if (c->cur_day == CW_DAY_NONE || day <= c->cur_day) {
                if (c->cur_day == CW_DAY_NONE)
                        c->cur_day = day;
                return;
        }
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                const struct cw_stream_plan *sp = &p->streams[s];
                struct cw_bview bl;
                int keep = 0;
                int32_t lo_keep;

                if (sp->bucket_slot < 0)
                        continue;
                bl = cw_cust_buckets(p, c, sp->bucket_slot);
                if (!*bl.n)
                        continue;
                for (int gi = 0; gi < sp->n_groups; gi++) {
                        const struct cw_group *g = &sp->groups[gi];
                        int32_t old_lo = c->cur_day - g->days + 1;
                        int32_t new_lo = day - g->days + 1;
                        if (new_lo > c->cur_day) {
                                /* Everything left: start from zero. */
                                for (int r = 0; r < g->n_runs; r++)
                                        runs[g->runs[r]] = 0;
                                continue;
                        }
                        evict_days(p, sp, g, bl, runs, old_lo, new_lo);
                }
                lo_keep = day - sp->max_days + 1;
                while (keep < *bl.n &&
                       cw_bucket_day(cw_bucket(sp, bl, keep)) < lo_keep)
                        keep++;
                if (keep) {
                        memmove(bl.b, cw_bucket(sp, bl, keep),
                                (size_t)(*bl.n - keep) *
                                        (size_t)sp->bucket_size);
                        *bl.n = (uint16_t)(*bl.n - keep);
                }
        }
        c->cur_day = day;
}

/* The bucket of `day` in customer k's list, created in order when
 * missing; the customer may move. NULL: out of memory. */
static unsigned char *bucket_for(cw_engine_t *e, size_t k,
                                 const struct cw_stream_plan *sp, int32_t day) {
        struct cw_bview bl =
                cw_cust_buckets(e->plan, e->cust[k], sp->bucket_slot);
        int i;

        /* Events mostly land on the newest day: search from the end. */
        for (i = *bl.n; i > 0 && cw_bucket_day(cw_bucket(sp, bl, i - 1)) >= day;
             i--)
                if (cw_bucket_day(cw_bucket(sp, bl, i - 1)) == day)
                        return cw_bucket(sp, bl, i - 1);
        if (*bl.n == *bl.cap) {
                int cap = *bl.cap < 8 ? *bl.cap + 2 : *bl.cap + *bl.cap / 2;
                if (cap > sp->max_days)
                        cap = sp->max_days;
                if (!cw_engine_reserve(e, k, sp->bucket_slot, cap))
                        return NULL;
                bl = cw_cust_buckets(e->plan, e->cust[k], sp->bucket_slot);
                if (*bl.n == *bl.cap)
                        return NULL; /* more days than the longest window */
        }
        memmove(cw_bucket(sp, bl, i + 1), cw_bucket(sp, bl, i),
                (size_t)(*bl.n - i) * (size_t)sp->bucket_size);
        (*bl.n)++;
        memset(cw_bucket(sp, bl, i), 0, (size_t)sp->bucket_size);
        *(int32_t *)(void *)cw_bucket(sp, bl, i) = day;
        return cw_bucket(sp, bl, i);
}

/* Adds an event (whose filters matched `mask`) to its stream's buckets and
 * to the totals of every window that covers its day. */
static void add_to_windows(cw_engine_t *e, size_t k,
                           const struct cw_stream_plan *sp,
                           const struct cw_event *ev, uint32_t mask) {
        const struct cw_plan *p = e->plan;
        int32_t day = cw_day_of(ev->ts);
        unsigned char *b;
        int64_t *runs;
        struct cw_customer *c;

        if (day < e->cust[k]->cur_day - sp->max_days + 1)
                return; /* older than every window */
        b = bucket_for(e, k, sp, day);
        if (!b)
                return;
        c = e->cust[k];
        runs = cw_cust_runs(p, c);
        /* Counts first: a value column knows from its count whether this
         * is the first matching event of the day. */
        for (int i = 0; i < sp->n_cols; i++)
                if (sp->cols[i].kind == CW_COL_COUNT &&
                    mask >> sp->cols[i].filter & 1)
                        (*cw_bucket_count(&sp->cols[i], b))++;
        for (int i = 0; i < sp->n_cols; i++) {
                const struct cw_col *col = &sp->cols[i];
                int64_t v, *bv;
                if (col->kind == CW_COL_COUNT || !(mask >> col->filter & 1))
                        continue;
                v = cw_field_i64(ev->num[col->field]);
                bv = cw_bucket_value(col, b);
                if (col->kind == CW_COL_SUM)
                        *bv = cw_wrap_add(*bv, v);
                else if (*cw_bucket_count(&sp->cols[col->count_col], b) == 1 ||
                         (col->kind == CW_COL_MIN ? v < *bv : v > *bv))
                        *bv = v;
        }
        for (int gi = 0; gi < sp->n_groups; gi++) {
                const struct cw_group *g = &sp->groups[gi];
                if (day < c->cur_day - g->days + 1)
                        continue;
                for (int pass = 0; pass < 2; pass++)
                        for (int r = 0; r < g->n_runs; r++) {
                                const struct cw_run *run = &p->runs[g->runs[r]];
                                const struct cw_col *col = &sp->cols[run->col];
                                int64_t *rv = &runs[g->runs[r]];
                                if (!(mask >> col->filter & 1))
                                        continue;
                                if (pass == 0 && run->kind == CW_RUN_SUM)
                                        *rv = cw_wrap_add(
                                                *rv,
                                                col->kind == CW_COL_COUNT
                                                        ? 1
                                                        : cw_field_i64(
                                                                  ev->num[col->field]));
                                else if (pass == 0 && run->kind == CW_RUN_DAYS)
                                        *rv = cw_wrap_add(
                                                *rv,
                                                *cw_bucket_count(col, b) == 1);
                                else if (pass == 1 &&
                                         (run->kind == CW_RUN_MIN ||
                                          run->kind == CW_RUN_MAX)) {
                                        /* After pass 0 the window count is
                                         * 1 when this is its only event. */
                                        int64_t v = cw_field_i64(
                                                ev->num[col->field]);
                                        if (runs[run->count_run] == 1 ||
                                            (run->kind == CW_RUN_MIN ? v < *rv
                                                                     : v > *rv))
                                                *rv = v;
                                }
                        }
        }
}

/* ---- evaluation -----------------------------------------------------------
 */

/* Every feature's value at time t (windows already at day(t)). */
static void compute_features(cw_engine_t *e, struct cw_customer *c, int64_t t) {
        const cw_engine_conf_t *cfg = e->config;
        const struct cw_plan *p = e->plan;
        const int64_t *runs = cw_cust_runs(p, c);
        const int64_t *tr_ts = cw_cust_tr_ts(p, c);
        const int64_t *tr_val = cw_cust_tr_val(p, c);
        double *v = e->values;

        for (int k = 0; k < p->n_eval; k++) {
                int i = p->eval_order[k];
                const struct cw_feature_plan *fp = &p->features[i];
                int64_t n = fp->count_run >= 0 ? runs[fp->count_run] : 0;
                switch (fp->agg) {
                case CW_AGG_COUNT:
                case CW_AGG_DISTINCT_DAYS:
                        v[i] = (double)runs[fp->run];
                        break;
                case CW_AGG_SUM:
                case CW_AGG_MIN:
                case CW_AGG_MAX:
                        v[i] = n ? (double)runs[fp->run] : NAN;
                        break;
                case CW_AGG_AVG:
                        v[i] = n ? (double)runs[fp->run] / (double)n : NAN;
                        break;
                case CW_AGG_LAST:
                        v[i] = tr_ts[fp->tracker] == CW_TIME_NONE
                                       ? NAN
                                       : (double)tr_val[fp->value];
                        break;
                case CW_AGG_DAYS_SINCE_LAST:
                        v[i] = tr_ts[fp->tracker] == CW_TIME_NONE
                                       ? NAN
                                       : (double)(cw_day_of(t) -
                                                  cw_day_of(
                                                          tr_ts[fp->tracker]));
                        break;
                case CW_AGG_EXPR:
                        v[i] = cw_expr_eval(cfg->features[i].expr, v, NULL);
                        break;
                default:
                        v[i] = NAN;
                }
        }
}

/*
 * Whether evaluating at t would change no alert, given the `when` and
 * `clear` results cached by the last full evaluation, which saw the same
 * features (same day, no state change since). Then the features, the
 * expressions and the models need not be computed at all.
 */
static int alerts_stay(const cw_engine_t *e, struct cw_customer *c, int64_t t) {
        const cw_engine_conf_t *cfg = e->config;
        const struct cw_alert_time *at = cw_cust_alerts(e->plan, c);
        const uint8_t *st = cw_cust_states(e->plan, c);

        for (int ai = 0; ai < cfg->n_alerts; ai++) {
                int when = st[ai] & CW_ALERT_WHEN,
                    clear = st[ai] & CW_ALERT_CLEAR;
                switch (st[ai] & CW_ALERT_STATE) {
                case CW_ALERT_OK:
                        if (when && (at[ai].cooldown_until == CW_TIME_NONE ||
                                     t >= at[ai].cooldown_until))
                                return 0;
                        break;
                case CW_ALERT_PENDING:
                        if (!when || t - at[ai].since >= cfg->alerts[ai].for_ms)
                                return 0;
                        break;
                default:
                        if (clear)
                                return 0;
                }
        }
        return 1;
}

/*
 * One evaluation of every alert at time t (CONTRACT.md section 3).
 * `unchanged`: the customer's features cannot differ from its previous
 * evaluation if that was on the same day (an event that touched no bucket
 * and no tracker), so the cached results decide when they change nothing.
 * Returns whether an alert changed state (the changelog records it).
 */
static int evaluate(cw_engine_t *e, struct cw_customer *c, int64_t t,
                    cw_trigger_t trigger, int unchanged) {
        const cw_engine_conf_t *cfg = e->config;
        struct cw_alert_time *at = cw_cust_alerts(e->plan, c);
        uint8_t *st = cw_cust_states(e->plan, c);
        double contrib[64];
        const double *own = NULL; /* contrib of the alert being evaluated */
        int changed = 0;

        if (unchanged && c->cache_day == cw_day_of(t) && alerts_stay(e, c, t)) {
                e->stats.evaluations++;
                c->last_eval = t;
                return 0;
        }
        advance_customer(e, c, cw_day_of(t));
        compute_features(e, c, t);
        e->stats.evaluations++;
        for (int ai = 0; ai < cfg->n_alerts; ai++) {
                const struct cw_alert *a = &cfg->alerts[ai];
                double score = NAN;
                int when, clear;

                if (a->kind == CW_ALERT_MODEL) {
                        /* Sweep variants come after their model: its score
                         * is known; contributions only matter on emit. */
                        if (a->variant) {
                                score = e->scores[a->base];
                                own = NULL;
                        } else {
                                score = cw_model_score(a, e->values, contrib);
                                own = a->trees ? NULL : contrib;
                        }
                        e->scores[ai] = score;
                        when = score >= a->fire;
                        clear = score < a->clear_below;
                } else {
                        when = cw_expr_truthy(
                                cw_expr_eval(a->when, e->values, NULL));
                        clear = a->clear ? cw_expr_truthy(cw_expr_eval(
                                                   a->clear, e->values, NULL))
                                         : !when;
                }
                st[ai] = (uint8_t)((st[ai] & CW_ALERT_STATE) |
                                   (when ? CW_ALERT_WHEN : 0) |
                                   (clear ? CW_ALERT_CLEAR : 0));
                switch (st[ai] & CW_ALERT_STATE) {
                case CW_ALERT_OK:
                        if (!when || (at[ai].cooldown_until != CW_TIME_NONE &&
                                      t < at[ai].cooldown_until))
                                break;
                        changed = 1;
                        if (a->for_ms == 0) {
                                st[ai] = (uint8_t)((st[ai] & ~CW_ALERT_STATE) |
                                                   CW_ALERT_FIRING);
                                cw_engine_emit(e, c, ai, CW_STATE_FIRING, t,
                                               trigger, score, own);
                        } else {
                                st[ai] = (uint8_t)((st[ai] & ~CW_ALERT_STATE) |
                                                   CW_ALERT_PENDING);
                                at[ai].since = t;
                        }
                        break;
                case CW_ALERT_PENDING:
                        if (!when) {
                                changed = 1;
                                st[ai] = (uint8_t)((st[ai] & ~CW_ALERT_STATE) |
                                                   CW_ALERT_OK);
                        } else if (t - at[ai].since >= a->for_ms) {
                                changed = 1;
                                st[ai] = (uint8_t)((st[ai] & ~CW_ALERT_STATE) |
                                                   CW_ALERT_FIRING);
                                cw_engine_emit(e, c, ai, CW_STATE_FIRING, t,
                                               trigger, score, own);
                        }
                        break;
                case CW_ALERT_FIRING:
                        if (clear) {
                                changed = 1;
                                st[ai] = (uint8_t)((st[ai] & ~CW_ALERT_STATE) |
                                                   CW_ALERT_OK);
                                at[ai].cooldown_until = t + a->cooldown_ms;
                                cw_engine_emit(e, c, ai, CW_STATE_RESOLVED, t,
                                               trigger, score, own);
                        }
                        break;
                }
        }
        c->last_eval = t;
        c->cache_day = cw_day_of(t);
        return changed;
}

/* ---- sweeps ---------------------------------------------------------------
 */

/*
 * The day boundary B: evicts customers idle for state_ttl, evaluates every
 * other one at B (trigger TIMER), then delivers the sweep's warnings sorted
 * by customer id and alert, so their order does not depend on how the hash
 * table happens to be laid out.
 *
 * For the changelog a sweep marks changed only the customers whose alert
 * states change, and those it first brings in (CW_CUST_UNSWEPT); evicted
 * ones leave a tombstone. What else it does to a customer (windows moved
 * to B, last_eval = B's time) cw_engine_restored() re-derives from the
 * stream time, so a day without alerts costs the changelog nothing.
 */
static void sweep(cw_engine_t *e, int32_t B) {
        int64_t t = (int64_t)B * CW_MS_PER_DAY;
        int changed;

        e->collecting = 1;
        for (size_t k = 0; k < e->n_cust;) {
                struct cw_customer *c = e->cust[k];
                /* Memory latency bounds a sweep: records are visited in
                 * array order but lie anywhere, so the next ones are
                 * fetched while this one is evaluated. */
                if (k + SWEEP_PREFETCH < e->n_cust) {
                        const char *next =
                                (const char *)e->cust[k + SWEEP_PREFETCH];
                        for (int l = 0; l < 512; l += 64)
                                __builtin_prefetch(next + l);
                }
                if (t - c->last_ts >= e->config->state_ttl_ms) {
                        if (e->tracking)
                                cw_engine_tombstone(e, k);
                        cw_engine_remove(e, k);
                        e->stats.evicted++;
                        continue;
                }
                changed = c->flags & CW_CUST_UNSWEPT;
                c->flags &= (uint16_t)~CW_CUST_UNSWEPT;
                if (evaluate(e, c, t, CW_TRIGGER_TIMER, 0) || changed)
                        if (e->tracking)
                                cw_engine_mark_changed(e, k);
                /* A full evaluation left every feature at B in e->values
                 * (skipping customers here would need them computed). */
                if (e->sample.active)
                        cw_engine_sample_add(e, c, t);
                k++;
        }
        e->collecting = 0;
        e->stats.sweeps++;
        cw_engine_deliver_pending(e);
}

static void sweep_to(cw_engine_t *e, int64_t ts) {
        int32_t to = cw_day_of(ts), from = cw_day_of(e->stream_time) + 1;
        double start;

        if (from > to)
                return; /* the same day: most events */
        start = cw_mono_s();
        for (int32_t B = from; B <= to; B++) {
                if (e->sampling_on)
                        cw_engine_sample_begin(e, B);
                sweep(e, B);
                if (e->sampling_on)
                        cw_engine_sample_flush(e, B);
        }
        e->stats.sweep_seconds += cw_mono_s() - start;
}

/* ---- processing -----------------------------------------------------------
 */

static uint32_t match_filters(const struct cw_stream_plan *sp,
                              const struct cw_event *ev) {
        uint32_t mask = 0;
        for (int i = 0; i < sp->n_filters; i++)
                if (!sp->filters[i] ||
                    cw_expr_truthy(
                            cw_expr_eval(sp->filters[i], ev->num, ev->str)))
                        mask |= UINT32_C(1) << i;
        return mask;
}

static void apply(cw_engine_t *e, size_t ci, const struct cw_event *ev) {
        const struct cw_plan *p = e->plan;
        const struct cw_stream_plan *sp = &p->streams[ev->stream];
        struct cw_customer *c = e->cust[ci];
        int64_t t = c->last_eval > ev->ts ? c->last_eval : ev->ts;
        uint32_t mask = match_filters(sp, ev);

        advance_customer(e, c, cw_day_of(t));
        if (sp->bucket_slot >= 0 && mask) {
                add_to_windows(e, ci, sp, ev, mask);
                c = e->cust[ci]; /* it may have grown */
        }
        for (int k = 0; k < sp->n_trackers; k++) {
                const struct cw_tracker *tr = &p->trackers[sp->trackers[k]];
                int64_t *ts = &cw_cust_tr_ts(p, c)[sp->trackers[k]];
                if (!(mask >> tr->filter & 1) ||
                    (*ts != CW_TIME_NONE && ev->ts < *ts))
                        continue;
                *ts = ev->ts;
                for (int f = 0; f < CW_EVENT_MAX_FIELDS; f++)
                        if (tr->fields[f] >= 0)
                                cw_cust_tr_val(p, c)[tr->fields[f]] =
                                        cw_field_i64(ev->num[f]);
        }
        if (c->last_ts == CW_TIME_NONE || ev->ts > c->last_ts)
                c->last_ts = ev->ts;
        evaluate(e, c, t, CW_TRIGGER_EVENT,
                 !mask || (sp->bucket_slot < 0 && !sp->n_trackers));
}

cw_process_result_t cw_engine_process(cw_engine_t *e,
                                      const struct cw_event *ev) {
        return cw_engine_process_hashed(
                e, ev, cw_engine_hash(ev->customer_id.p, ev->customer_id.len));
}

cw_process_result_t cw_engine_process_hashed(cw_engine_t *e,
                                             const struct cw_event *ev,
                                             uint32_t h) {
        long k;
        struct cw_customer *c;
        int created = 0;

        e->stats.events++;
        if (!ev->customer_id.len || ev->customer_id.len > CW_MAX_CUSTOMER_ID ||
            ev->ts < 0 || ev->ts > CW_TS_MAX) {
                e->stats.invalid++;
                return CW_PROCESS_INVALID;
        }
        if (e->stream_time != CW_TIME_NONE &&
            ev->ts < e->stream_time - e->config->lateness_ms) {
                e->stats.late++;
                return CW_PROCESS_LATE;
        }
        if (e->stream_time != CW_TIME_NONE && ev->ts > e->stream_time)
                sweep_to(e, ev->ts);
        if (e->stream_time == CW_TIME_NONE || ev->ts > e->stream_time)
                e->stream_time = ev->ts;

        k = cw_engine_find(e, ev->customer_id.p, ev->customer_id.len, h, NULL);
        if (k < 0) {
                c = cw_engine_add(e, ev->customer_id.p, ev->customer_id.len, h);
                if (!c) {
                        e->stats.invalid++;
                        return CW_PROCESS_INVALID;
                }
                k = (long)e->n_cust - 1;
                e->stats.created++;
                created = 1;
        }
        e->stats.applied++;
        apply(e, (size_t)k, ev);
        /* Created by a late event after its day's sweep: see sweep(). */
        if (created && e->cust[k]->cur_day < cw_day_of(e->stream_time))
                e->cust[k]->flags |= CW_CUST_UNSWEPT;
        if (e->tracking)
                cw_engine_mark_changed(e, (size_t)k);
        return CW_PROCESS_APPLIED;
}

void cw_engine_advance(cw_engine_t *e, int64_t t) {
        if (e->stream_time == CW_TIME_NONE) {
                e->stream_time = t;
                return;
        }
        if (t <= e->stream_time)
                return;
        sweep_to(e, t);
        e->stream_time = t;
}

int64_t cw_engine_stream_time(const cw_engine_t *e) {
        return e->stream_time;
}

void cw_engine_set_stream_time(cw_engine_t *e, int64_t t) {
        e->stream_time = t;
}

/*
 * A customer's changelog record is its state at the end of the last
 * interval it changed in. The sweeps since then changed no alert state
 * (that would have marked it), so all they did was what evaluate() does
 * besides the alerts: advance_customer() to each boundary and last_eval =
 * the boundary's time. A customer evaluated before the last boundary T is
 * therefore one whose record predates sweeps, and gets exactly that:
 * windows at cw_day_of(T) in one step (the same as one step a day:
 * advance_customer() leaves a state that depends only on the buckets and
 * the day) and last_eval = T. Every other customer is as recorded: swept
 * at T (last_eval >= T), or CW_CUST_UNSWEPT, created after T's sweep by a
 * late event, whose last_eval is before T but which no sweep touched.
 * cache_day and the WHEN/CLEAR bits are caches: reset, the next
 * evaluation is a full one.
 */
void cw_engine_restored(cw_engine_t *e, int64_t stream_time) {
        const struct cw_plan *p = e->plan;
        int32_t day = stream_time == CW_TIME_NONE ? CW_DAY_NONE
                                                  : cw_day_of(stream_time);
        int64_t T = (int64_t)day * CW_MS_PER_DAY;

        e->stream_time = stream_time;
        for (size_t k = 0; k < e->n_cust; k++) {
                struct cw_customer *c = e->cust[k];
                uint8_t *st = cw_cust_states(p, c);
                c->cache_day = CW_DAY_NONE;
                for (int ai = 0; ai < p->config->n_alerts; ai++)
                        st[ai] &= CW_ALERT_STATE;
                if (day == CW_DAY_NONE || (c->flags & CW_CUST_UNSWEPT) ||
                    (c->last_eval != CW_TIME_NONE && c->last_eval >= T))
                        continue;
                advance_customer(e, c, day);
                c->last_eval = T;
        }
}

const struct cw_engine_stats *cw_engine_stats(const cw_engine_t *e) {
        return &e->stats;
}

size_t cw_engine_customers(const cw_engine_t *e) {
        return e->n_cust;
}

size_t cw_engine_memory(const cw_engine_t *e) {
        size_t rec = 0;
        for (size_t k = 0; k < e->n_cust; k++)
                rec += cw_cust_size(e->plan, e->cust[k]);
        return rec + (e->tab_mask + 1) * sizeof(*e->tab) +
               e->cap_cust * sizeof(*e->cust);
}

/* ---- life cycle -----------------------------------------------------------
 */

static int ref_cmp(const void *a, const void *b, void *cfg) {
        const cw_engine_conf_t *c = cfg;
        return strcmp(c->features[*(const int *)a].name,
                      c->features[*(const int *)b].name);
}

cw_engine_t *cw_engine_new(const cw_engine_conf_t *c, cw_warning_cb *cb,
                           void *opaque, char *errstr, size_t errstr_size) {
        return cw_engine_new_sampling(c, cb, opaque, NULL, errstr, errstr_size);
}

cw_engine_t *cw_engine_new_sampling(const cw_engine_conf_t *c,
                                    cw_warning_cb *cb, void *opaque,
                                    const struct cw_engine_sampling *s,
                                    char *errstr, size_t errstr_size) {
        cw_engine_t *e = calloc(1, sizeof(*e));
        int max_refs = 1;

        if (!e)
                goto out_nomem;
        e->config = c;
        e->cb = cb;
        e->opaque = opaque;
        e->stream_time = CW_TIME_NONE;
        if (s) {
                e->sampling_on = 1;
                e->sampling = *s;
        }
        if (!(e->plan = cw_plan_new(c, e->sampling_on, errstr, errstr_size)))
                goto out_destroy;
        for (int i = 0; i < c->n_alerts; i++) {
                if (c->alerts[i].n_refs > max_refs)
                        max_refs = c->alerts[i].n_refs;
                if (c->alerts[i].n_inputs > 64) {
                        snprintf(errstr, errstr_size,
                                 "model '%s' has more than 64 inputs",
                                 c->alerts[i].name);
                        goto out_destroy;
                }
        }
        e->values = calloc((size_t)c->n_features + 1, sizeof(double));
        e->scores = calloc((size_t)c->n_alerts + 1, sizeof(double));
        e->wfeat = calloc((size_t)max_refs, sizeof(*e->wfeat));
        e->alert_refs = calloc((size_t)c->n_alerts + 1, sizeof(int *));
        e->stats.warnings =
                calloc((size_t)c->n_alerts * 2 + 1, sizeof(uint64_t));
        e->tab = calloc(1024, sizeof(*e->tab));
        e->tab_mask = 1023;
        if (!e->values || !e->scores || !e->wfeat || !e->alert_refs ||
            !e->stats.warnings || !e->tab)
                goto out_nomem;
        /* The warning's features map, by name: the same order every time. */
        for (int i = 0; i < c->n_alerts; i++) {
                e->alert_refs[i] =
                        malloc(((size_t)c->alerts[i].n_refs + 1) * sizeof(int));
                if (!e->alert_refs[i])
                        goto out_nomem;
                memcpy(e->alert_refs[i], c->alerts[i].refs,
                       (size_t)c->alerts[i].n_refs * sizeof(int));
                qsort_r(e->alert_refs[i], (size_t)c->alerts[i].n_refs,
                        sizeof(int), ref_cmp, (void *)c);
        }
        e->layout_id = cw_plan_fingerprint(e->plan);
        return e;

out_nomem:
        snprintf(errstr, errstr_size, "out of memory creating the engine");
out_destroy:
        cw_engine_destroy(e);
        return NULL;
}

void cw_engine_destroy(cw_engine_t *e) {
        if (!e)
                return;
        for (size_t k = 0; k < e->n_cust; k++)
                free(e->cust[k]);
        free(e->cust);
        free(e->tab);
        if (e->alert_refs)
                for (int i = 0; i < e->config->n_alerts; i++)
                        free(e->alert_refs[i]);
        free(e->alert_refs);
        free(e->values);
        free(e->scores);
        free(e->wfeat);
        free(e->pend);
        free(e->pfeat);
        free(e->chg);
        free(e->tomb);
        free(e->chg_buf);
        cw_engine_sample_free(e);
        free(e->stats.warnings);
        cw_plan_destroy(e->plan);
        free(e);
}
