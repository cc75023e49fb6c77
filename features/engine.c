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
                switch (fp->agg) {
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
                        v[i] = cw_window_value(fp, runs);
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
        const int64_t *at = cw_cust_timers(e->plan, c);
        const uint8_t *st = cw_cust_states(e->plan, c);

        for (int ai = 0; ai < cfg->n_alerts; ai++) {
                int when = st[ai] & CW_ALERT_WHEN,
                    clear = st[ai] & CW_ALERT_CLEAR;
                switch (st[ai] & CW_ALERT_STATE) {
                case CW_ALERT_OK:
                        if (when && (at[ai] == CW_TIME_NONE || t >= at[ai]))
                                return 0;
                        break;
                case CW_ALERT_PENDING:
                        if (!when || t - at[ai] >= cfg->alerts[ai].for_ms)
                                return 0;
                        break;
                default:
                        if (clear)
                                return 0;
                }
        }
        return 1;
}

/* Sets alert ai's state, and its timer: PENDING since, OK cooldown. */
static void set_state(struct cw_customer *c, const struct cw_plan *p, int ai,
                      int state, int64_t timer) {
        uint8_t *st = &cw_cust_states(p, c)[ai];
        *st = (uint8_t)((*st & ~CW_ALERT_STATE) | state);
        cw_cust_timers(p, c)[ai] = timer;
}

/*
 * Alert ai's machine at time t, given its `when` and `clear` results
 * (CONTRACT.md section 3); emits what it enters. Returns whether it moved.
 */
static int step(cw_engine_t *e, struct cw_customer *c, int ai, int64_t t,
                cw_trigger_t trigger, int when, int clear, double score,
                const double *own) {
        const struct cw_alert *a = &e->config->alerts[ai];
        const struct cw_plan *p = e->plan;
        int64_t at = cw_cust_timers(p, c)[ai];

        switch (cw_cust_states(p, c)[ai] & CW_ALERT_STATE) {
        case CW_ALERT_OK:
                if (!when || (at != CW_TIME_NONE && t < at))
                        return 0;
                if (a->for_ms) {
                        set_state(c, p, ai, CW_ALERT_PENDING, t);
                        return 1;
                }
                set_state(c, p, ai, CW_ALERT_FIRING, CW_TIME_NONE);
                cw_engine_emit(e, c, ai, CW_STATE_FIRING, t, trigger, score,
                               own);
                return 1;
        case CW_ALERT_PENDING:
                if (!when) {
                        /* Past any cooldown, and time only goes on. */
                        set_state(c, p, ai, CW_ALERT_OK, CW_TIME_NONE);
                        return 1;
                }
                if (t - at < a->for_ms)
                        return 0;
                set_state(c, p, ai, CW_ALERT_FIRING, CW_TIME_NONE);
                cw_engine_emit(e, c, ai, CW_STATE_FIRING, t, trigger, score,
                               own);
                return 1;
        default:
                if (!clear)
                        return 0;
                set_state(c, p, ai, CW_ALERT_OK, t + a->cooldown_ms);
                cw_engine_emit(e, c, ai, CW_STATE_RESOLVED, t, trigger, score,
                               own);
                return 1;
        }
}

/* What evaluate() did: an alert changed state (the changelog records
 * it); the features were computed (they are in e->values). */
#define EVAL_CHANGED 1
#define EVAL_FULL 2

/*
 * One evaluation of every alert at time t (CONTRACT.md section 3).
 * `unchanged`: the customer's features cannot differ from its last full
 * evaluation (an event that touched no bucket and no tracker), so the
 * cached results decide when they still hold and change nothing.
 * Returns EVAL_* bits.
 */
static int evaluate(cw_engine_t *e, struct cw_customer *c, int64_t t,
                    cw_trigger_t trigger, int unchanged) {
        const cw_engine_conf_t *cfg = e->config;
        uint8_t *st = cw_cust_states(e->plan, c);
        double contrib[64];
        const double *own = NULL; /* contrib of the alert being evaluated */
        int changed = 0;

        e->stats.evaluations++;
        if (unchanged && cw_cust_cached(c) && alerts_stay(e, c, t)) {
                c->last_eval = t;
                return 0;
        }
        cw_engine_advance_customer(e->plan, c, cw_day_of(t));
        compute_features(e, c, t);
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
                changed |= step(e, c, ai, t, trigger, when, clear, score, own);
        }
        c->last_eval = t;
        /* The results hold for this day; a proof may extend them. */
        c->flags = (uint16_t)((c->flags & ~CW_CUST_SPAN_MASK) | CW_CUST_CACHED);
        return EVAL_FULL | (changed ? EVAL_CHANGED : 0);
}

/* ---- sweeps ---------------------------------------------------------------
 */

/*
 * Customer k at the day boundary B: evicted when idle for state_ttl, else
 * evaluated at B (trigger TIMER), and told when the next sweep must come
 * back (wake.c). Returns 1, or 0 when it was evicted (the last customer
 * then took index k).
 *
 * For the changelog a sweep marks changed only the customers whose alert
 * states change, and those it first brings in (CW_CUST_UNSWEPT); evicted
 * ones leave a tombstone. What else it does to a customer (windows moved
 * to B, last_eval = B's time) cw_engine_restored() re-derives from the
 * stream time, so a day without alerts costs the changelog nothing.
 */
static int visit(cw_engine_t *e, size_t k, int32_t B) {
        struct cw_customer *c = e->cust[k];
        int64_t t = (int64_t)B * CW_MS_PER_DAY;
        int changed;

        if (t - c->last_ts >= e->config->state_ttl_ms) {
                if (e->tracking)
                        cw_engine_tombstone(e, k);
                cw_engine_remove(e, k);
                e->stats.evicted++;
                return 0;
        }
        changed = c->flags & CW_CUST_UNSWEPT;
        c->flags &= (uint16_t)~CW_CUST_UNSWEPT;
        if ((evaluate(e, c, t, CW_TRIGGER_TIMER, 0) & EVAL_CHANGED) || changed)
                if (e->tracking)
                        cw_engine_mark_changed(e, k);
        /* A full evaluation left every feature at B in e->values. */
        if (e->sample.active)
                cw_engine_sample_add(e, c, t);
        e->due[k] =
                e->sweep_everyone
                        ? B + 1
                        : cw_engine_wake(e, c, cw_engine_quiet(e->plan, c), 1);
        return 1;
}

/*
 * The day boundary B: visits the customers due at B (every one with
 * cw_engine_sweep_everyone, and at a sample time, whose rows need every
 * customer's features), then delivers the sweep's warnings sorted by
 * customer id and alert, so their order does not depend on how the hash
 * table happens to be laid out. The customers skipped are as the sweep
 * would have left them, once cw_engine_catch_up() has moved their day.
 *
 * Memory latency bounds a sweep: records are visited in array order but
 * lie anywhere, so the next SWEEP_PREFETCH due ones are fetched while
 * this one is evaluated; a skipped customer costs a read of due[].
 */
static void sweep(cw_engine_t *e, int32_t B) {
        int all = e->sweep_everyone || e->sample.active, ahead = 0;
        size_t pf = 0;

        e->collecting = 1;
        for (size_t k = 0; k < e->n_cust;) {
                for (; ahead < SWEEP_PREFETCH && pf < e->n_cust; pf++) {
                        const char *next = (const char *)e->cust[pf];
                        if (!all && e->due[pf] > B)
                                continue;
                        for (int l = 0; l < 512; l += 64)
                                __builtin_prefetch(next + l);
                        ahead++;
                }
                if (!all && e->due[k] > B) {
                        e->stats.skipped++;
                        k++;
                } else if (visit(e, k, B)) {
                        ahead--;
                        k++;
                } else {
                        pf = k; /* evicted: another customer is at k */
                        ahead = 0;
                }
        }
        e->swept_day = B;
        e->collecting = 0;
        e->stats.sweeps++;
        cw_engine_deliver_pending(e);
}

void cw_engine_catch_up(const cw_engine_t *e, struct cw_customer *c) {
        int64_t T = (int64_t)e->swept_day * CW_MS_PER_DAY;

        if (e->swept_day == CW_DAY_NONE || (c->flags & CW_CUST_UNSWEPT) ||
            c->last_eval == CW_TIME_NONE || c->last_eval >= T)
                return;
        cw_engine_advance_customer(e->plan, c, e->swept_day);
        c->last_eval = T;
}

void cw_engine_sweep_everyone(cw_engine_t *e, int on) {
        e->sweep_everyone = on;
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

/* Applies an event to customer ci and evaluates it. After a full
 * evaluation (new features, or an alert moved) what wake.c proved of the
 * days to come no longer holds: it proves them anew while the record is
 * in cache, so that the sweeps of the days after an event need not visit
 * the customer. */
static void apply(cw_engine_t *e, size_t ci, const struct cw_event *ev) {
        const struct cw_plan *p = e->plan;
        const struct cw_stream_plan *sp = &p->streams[ev->stream];
        struct cw_customer *c = e->cust[ci];
        uint32_t mask = match_filters(sp, ev);
        int unchanged = !mask || (sp->bucket_slot < 0 && !sp->n_trackers);
        int32_t quiet;
        int64_t t;

        cw_engine_catch_up(e, c);
        t = c->last_eval > ev->ts ? c->last_eval : ev->ts;
        cw_engine_advance_customer(e->plan, c, cw_day_of(t));
        /* How long its features were quiet before this event. */
        quiet = unchanged ? 0 : cw_engine_quiet(p, c);
        if (sp->bucket_slot >= 0 && mask) {
                cw_engine_add_to_windows(e, ci, sp, ev, mask);
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
        if (!(evaluate(e, c, t, CW_TRIGGER_EVENT, unchanged) & EVAL_FULL))
                return;
        if (unchanged)
                quiet = cw_engine_quiet(p, c);
        cw_engine_unproved(e, c, e->due[ci]);
        /* One the sweeps have not been through yet is theirs first. */
        e->due[ci] = e->sweep_everyone || (c->flags & CW_CUST_UNSWEPT)
                             ? CW_DAY_NONE
                             : cw_engine_wake(e, c, quiet, 0);
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
        if (created && e->cust[k]->cur_day < cw_day_of(e->stream_time)) {
                e->cust[k]->flags |= CW_CUST_UNSWEPT;
                e->due[k] = CW_DAY_NONE;
        }
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
 * CW_CUST_CACHED and the WHEN/CLEAR bits are caches: reset, the next
 * evaluation is a full one.
 */
void cw_engine_restored(cw_engine_t *e, int64_t stream_time) {
        const struct cw_plan *p = e->plan;

        e->stream_time = stream_time;
        e->swept_day = stream_time == CW_TIME_NONE ? CW_DAY_NONE
                                                   : cw_day_of(stream_time);
        for (size_t k = 0; k < e->n_cust; k++) {
                struct cw_customer *c = e->cust[k];
                uint8_t *st = cw_cust_states(p, c);
                c->flags &= (uint16_t) ~(CW_CUST_CACHED | CW_CUST_SPAN_MASK);
                for (int ai = 0; ai < p->config->n_alerts; ai++)
                        st[ai] &= CW_ALERT_STATE;
                cw_engine_catch_up(e, c);
                e->due[k] = CW_DAY_NONE; /* nothing proved yet */
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
               e->cap_cust * (sizeof(*e->cust) + sizeof(*e->due));
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
        e->swept_day = CW_DAY_NONE;
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
        e->probe = cw_probe_new(c, e->plan);
        if (!e->values || !e->scores || !e->wfeat || !e->alert_refs ||
            !e->stats.warnings || !e->tab || !e->probe)
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
        free(e->due);
        cw_probe_destroy(e->probe);
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
