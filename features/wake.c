/*
 * Which customers a day sweep may skip. CONTRACT.md section 2 evaluates
 * every customer at every day boundary, and allows skipping those whose
 * result provably cannot change. After an evaluation of a customer on day
 * D, cw_engine_wake() finds the first boundary after D at which one of
 * its alerts may change state if no event comes; the sweeps leave the
 * customer alone until then, or until an event changes its features.
 *
 * Without events the days to come are known: a windowed feature changes
 * only when a day leaves its window (windows.c replays those losses
 * exactly), days_since_last grows by one a day, `last` stays. Each
 * alert's machine is asked whether it could move on those days:
 *
 *   OK        `when` may be true (once any cooldown is over);
 *   PENDING   `when` may be false, or `for` runs out;
 *   FIRING    `clear` may be true.
 *
 * First cheaply, all days at once (holds_all()): a windowed feature as
 * every value it passes through, days_since_last as an interval, the
 * expressions and models over those (range.c, a sound over-approximation).
 * Windows only lose days, so counts and sums mostly go one way, and an
 * alert far from its thresholds passes at one look. When one might move,
 * the days are walked in segments between losses: there every windowed
 * feature has one exact value, only days_since_last is an interval, and
 * where an alert reading it may move, a bisection finds the first day it
 * may move on (on one day every input is exact).
 *
 * An alert that reads no window moved since D and no days_since_last
 * keeps the `when` and `clear` it had on D, which its state byte holds:
 * nothing is computed for it. Features are computed as an alert asks for
 * them, and those that read nothing that moved are D's. Expressions and
 * models whose inputs are all exact are evaluated by the engine's own
 * code, so they give the engine's own doubles.
 *
 * A skipped evaluation would have changed nothing but the windows' day
 * and the last evaluation time, which follow from the sweep position:
 * engine.c brings a skipped customer up to date before anything reads it,
 * so everything the engine writes is byte for byte what sweeping everyone
 * writes. The `when` and `clear` bits of the evaluation on D hold on the
 * days proved too (an OK alert's `when` is looked at from the day its
 * cooldown ends), so an event on those days that changes no feature needs
 * no evaluation either (CW_CUST_CACHED and its span).
 */
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "engine_int.h"
#include "model.h"

/* How far a proof reaches: twice as long as the customer's features have
 * been quiet (an event voids a proof, and one that came every day is
 * likely to come tomorrow), at least a day, at most the span a record
 * holds; and how many segments a walk takes at most. Measured with
 * bench_engine under callgrind (docs/performance.md): four times as far
 * cost more at events than it saved in sweeps, a day at every event left
 * quiet customers visited every other day. */
#define WAKE_MAX_DAYS CW_CUST_SPAN_MAX
#define WAKE_MAX_SEGMENTS 16

/*
 * Whether a proof pays: it costs about one evaluation (contract
 * configuration) to two or more (alerts that read windows losing days,
 * models over days_since_last), and saves a sweep's visit for each day it
 * covers until an event voids it. So a proof is made only where it may
 * reach PAY_DAYS days, and where the proofs made lately at the same quiet
 * (a bucket: 0-7 days each, then 8-15, 16-31, ...) and in the same place
 * (at events or at visits) covered PAY_DAYS days on average, the days an
 * event cut short taken back; where they did not, one in PAY_PROBE is
 * made anyway, so that the average follows the stream. A customer not
 * proved is due at the next boundary, as every customer was before
 * proofs: output never depends on this. Measured with bench_engine under
 * callgrind (docs/performance.md): 1 and 3 days cost more in all.
 */
#define PAY_DAYS 2
#define PAY_LEARN 16
#define PAY_HALVE 1024
#define PAY_PROBE 32
#define PAY_BUCKETS 13

/* What cond() may find an alert's condition to be on the days looked at. */
#define MAY_TRUE 1
#define MAY_FALSE 2

/* What a model's score may be next to a threshold: at or above it,
 * below it, NaN. */
#define S_GE 1
#define S_LT 2
#define S_NAN 4

/* A model's score as score_of() knows it: the engine's own (every input
 * exact), the range of its z, or nothing. */
enum { SCORE, Z, ANY };

/* Logit of a threshold, where comparing z with it decides: not too near
 * 0 or 1 (NaN there). 1e-6 of z is then over a million times the error
 * of the score's own rounding. */
#define Z_MARGIN 1e-6

static const struct cw_range anything = {-INFINITY, INFINITY, 1, 1};

struct cw_probe {
        struct cw_winsim *sim;
        /* What each feature and alert reads, directly or through
         * expressions: window groups (cw_gid_bit) and days_since_last. */
        uint64_t *fg, *ag;
        unsigned char *fds, *ads;
        /* The features on the days looked at, computed when asked for
         * (at == stamp): exact (pt, the value in pv) or not; their ranges
         * either way. */
        unsigned char *pt;
        double *pv;
        struct cw_range *r;
        uint32_t *at, stamp;
        /* The windowed features some alert reads, and every value each
         * takes over the days proved (spans()). */
        int *win, n_win;
        struct cw_range *span;
        /* Per alert: the first day its state may move on, whether it has
         * been looked at, and up to which day (one reading
         * days_since_last). */
        int32_t *from, *upto;
        unsigned char *seen;
        /* Model scores of the days looked at, by alert (score_of); the
         * logits of alerts' thresholds (NaN: not used). */
        struct cw_range *score;
        unsigned char *score_kind;
        uint32_t *score_at;
        double *zfire, *zclear, *contrib;
        /* What the proofs covered lately, by place (0 at events, 1 at
         * visits) and quiet bucket: proofs, days covered, proofs left
         * out. */
        uint32_t pay_n[2][PAY_BUCKETS], pay_days[2][PAY_BUCKETS],
                pay_out[2][PAY_BUCKETS];
};

/* One proof: the engine, the customer and its day D; the days looked at
 * (x .. y); the window groups moved since D; the first day after the
 * segment being looked at that an alert may move on. */
struct proof {
        struct cw_probe *pr;
        const cw_engine_t *e;
        struct cw_customer *c;
        int32_t D, x, y, cap;
        uint64_t moved;
        int spans;           /* windowed features are their spans (spans()) */
        const int32_t *exit; /* by window group: its next loss */
        const int64_t *runs; /* the windows' totals on day x */
};

/* The first day boundary at or after ts. */
static int64_t boundary_from(int64_t ts) {
        return ts / CW_MS_PER_DAY + (ts % CW_MS_PER_DAY != 0);
}

static double logit(double p) {
        return p > 1e-6 && p < 1 - 1e-6 ? log(p / (1 - p)) : NAN;
}

/* What feature f reads, from what its inputs read (eval_order has them
 * first). */
static void reads_of(struct cw_probe *pr, const cw_engine_conf_t *c,
                     const struct cw_plan *p, int f) {
        const struct cw_feature_plan *fp = &p->features[f];
        const int *slots;
        int n;

        switch (fp->agg) {
        case CW_AGG_DAYS_SINCE_LAST:
                pr->fds[f] = 1;
                return;
        case CW_AGG_LAST:
                return;
        case CW_AGG_EXPR:
                slots = cw_expr_slots(c->features[f].expr, &n);
                for (int i = 0; i < n; i++) {
                        pr->fg[f] |= pr->fg[slots[i]];
                        pr->fds[f] |= pr->fds[slots[i]];
                }
                return;
        default:
                pr->fg[f] = cw_gid_bit(p->streams[c->features[f].stream].gid0 +
                                       fp->group);
        }
}

struct cw_probe *cw_probe_new(const cw_engine_conf_t *c,
                              const struct cw_plan *p) {
        struct cw_probe *pr = calloc(1, sizeof(*pr));
        size_t nf = (size_t)c->n_features + 1, na = (size_t)c->n_alerts + 1;
        size_t ni = 1;

        if (!pr)
                return NULL;
        for (int a = 0; a < c->n_alerts; a++)
                if ((size_t)c->alerts[a].n_inputs >= ni)
                        ni = (size_t)c->alerts[a].n_inputs + 1;
        pr->sim = cw_winsim_new(p);
        pr->fg = calloc(nf, sizeof(*pr->fg));
        pr->ag = calloc(na, sizeof(*pr->ag));
        pr->fds = calloc(nf, 1);
        pr->ads = calloc(na, 1);
        pr->pt = calloc(nf, 1);
        pr->pv = calloc(nf, sizeof(*pr->pv));
        pr->r = calloc(nf, sizeof(*pr->r));
        pr->at = calloc(nf, sizeof(*pr->at));
        pr->from = calloc(na, sizeof(*pr->from));
        pr->upto = calloc(na, sizeof(*pr->upto));
        pr->seen = calloc(na, 1);
        pr->score = calloc(na, sizeof(*pr->score));
        pr->score_kind = calloc(na, 1);
        pr->score_at = calloc(na, sizeof(*pr->score_at));
        pr->zfire = calloc(na, sizeof(*pr->zfire));
        pr->zclear = calloc(na, sizeof(*pr->zclear));
        pr->contrib = calloc(ni, sizeof(*pr->contrib));
        pr->win = calloc(nf, sizeof(*pr->win));
        pr->span = calloc(nf, sizeof(*pr->span));
        if (!pr->sim || !pr->fg || !pr->ag || !pr->fds || !pr->ads || !pr->pt ||
            !pr->pv || !pr->r || !pr->at || !pr->from || !pr->upto ||
            !pr->seen || !pr->score || !pr->score_kind || !pr->score_at ||
            !pr->zfire || !pr->zclear || !pr->contrib || !pr->win ||
            !pr->span) {
                cw_probe_destroy(pr);
                return NULL;
        }
        for (int k = 0; k < p->n_eval; k++) {
                int f = p->eval_order[k];
                reads_of(pr, c, p, f);
                if (p->features[f].group >= 0)
                        pr->win[pr->n_win++] = f;
        }
        for (int a = 0; a < c->n_alerts; a++) {
                pr->zfire[a] = logit(c->alerts[a].fire);
                pr->zclear[a] = logit(c->alerts[a].clear_below);
                for (int i = 0; i < c->alerts[a].n_refs; i++) {
                        pr->ag[a] |= pr->fg[c->alerts[a].refs[i]];
                        pr->ads[a] |= pr->fds[c->alerts[a].refs[i]];
                }
        }
        return pr;
}

void cw_probe_destroy(struct cw_probe *pr) {
        if (!pr)
                return;
        cw_winsim_free(pr->sim);
        free(pr->fg);
        free(pr->ag);
        free(pr->fds);
        free(pr->ads);
        free(pr->pt);
        free(pr->pv);
        free(pr->r);
        free(pr->at);
        free(pr->from);
        free(pr->upto);
        free(pr->seen);
        free(pr->score);
        free(pr->score_kind);
        free(pr->score_at);
        free(pr->zfire);
        free(pr->zclear);
        free(pr->contrib);
        free(pr->win);
        free(pr->span);
        free(pr);
}

/* Looks at days x .. y from here on (the windows are the simulation's,
 * which moves only to a later x): what was computed for other days is
 * forgotten. */
static void look(struct proof *q, int32_t x, int32_t y) {
        struct cw_probe *pr = q->pr;

        if (q->x == x && q->y == y)
                return;
        q->x = x;
        q->y = y;
        if (++pr->stamp == 0) { /* wrapped: forget every stamp */
                memset(pr->at, 0,
                       (size_t)q->e->config->n_features * sizeof(*pr->at));
                memset(pr->score_at, 0,
                       (size_t)q->e->config->n_alerts * sizeof(*pr->score_at));
                pr->stamp = 1;
        }
}

static void set_point(struct cw_probe *pr, int f, double v) {
        pr->pt[f] = 1;
        pr->pv[f] = v;
        pr->r[f] = cw_range_point(v);
}

static void need(struct proof *q, int f);

/* Whether every input of x is exact on the days looked at. */
static int exact(struct proof *q, const cw_expr_t *x) {
        int n, all = 1;
        const int *slots = cw_expr_slots(x, &n);
        for (int i = 0; i < n; i++) {
                need(q, slots[i]);
                all &= q->pr->pt[slots[i]];
        }
        return all;
}

/* Feature f on the days looked at, computed once (`last` never moves). */
static void need(struct proof *q, int f) {
        struct cw_probe *pr = q->pr;
        const struct cw_feature_plan *fp = &q->e->plan->features[f];
        const cw_expr_t *expr;
        int64_t ts;

        if (pr->at[f] == pr->stamp)
                return;
        pr->at[f] = pr->stamp;
        /* Nothing it reads moved since D: its value of D. */
        if (!pr->fds[f] && !(pr->fg[f] & q->moved)) {
                set_point(pr, f, q->e->values[f]);
                return;
        }
        switch (fp->agg) {
        case CW_AGG_DAYS_SINCE_LAST:
                ts = cw_cust_tr_ts(q->e->plan, q->c)[fp->tracker];
                if (ts == CW_TIME_NONE) {
                        set_point(pr, f, NAN);
                        return;
                }
                set_point(pr, f, (double)(q->x - cw_day_of(ts)));
                if (q->y > q->x) {
                        pr->pt[f] = 0;
                        pr->r[f].hi = (double)(q->y - cw_day_of(ts));
                }
                return;
        case CW_AGG_EXPR:
                expr = q->e->config->features[f].expr;
                if (exact(q, expr)) {
                        set_point(pr, f, cw_expr_eval(expr, pr->pv, NULL));
                } else {
                        pr->pt[f] = 0;
                        pr->r[f] = cw_expr_eval_range(expr, pr->r);
                }
                return;
        default:
                if (!q->spans) {
                        set_point(pr, f, cw_window_value(fp, q->runs));
                        return;
                }
                pr->r[f] = pr->span[f];
                pr->pt[f] = pr->span[f].num
                                    ? !pr->span[f].nan &&
                                              pr->span[f].lo == pr->span[f].hi
                                    : 1;
                pr->pv[f] = pr->span[f].num ? pr->span[f].lo : NAN;
        }
}

/*
 * The range of a logistic model's z = intercept + sum of contributions.
 * Each input's contribution is monotone in its feature (model.h), so its
 * range is spanned by the contributions of the ends of the feature's
 * range (and of `missing` when the feature may be NaN), each widened so
 * that log1p's rounding and a contracted multiply-add stay inside. A NaN
 * that may come gives up.
 */
static struct cw_range z_range(const struct cw_probe *pr,
                               const struct cw_alert *a) {
        struct cw_range z = {a->intercept, a->intercept, 1, 0};

        for (int i = 0; i < a->n_inputs; i++) {
                const struct cw_model_input *in = &a->inputs[i];
                const struct cw_range *x = &pr->r[in->feature];
                struct cw_range cr = {0, 0, 0, 0};
                if (x->num) {
                        cw_range_add(&cr, cw_model_input_contrib(in, x->lo));
                        if (x->hi != x->lo)
                                cw_range_add(&cr,
                                             cw_model_input_contrib(in, x->hi));
                }
                if (x->nan)
                        cw_range_add(&cr, cw_model_input_contrib(in, NAN));
                if (cr.nan)
                        return anything;
                cr = cw_range_widen(cr);
                z.lo += cr.lo;
                z.hi += cr.hi;
        }
        return isnan(z.lo) || isnan(z.hi) ? anything : z;
}

/* Model m's score on the days looked at (SCORE, Z or ANY). */
static int score_of(struct proof *q, int m) {
        struct cw_probe *pr = q->pr;
        const struct cw_alert *a = &q->e->config->alerts[m];
        int all = 1;

        if (pr->score_at[m] == pr->stamp)
                return pr->score_kind[m];
        pr->score_at[m] = pr->stamp;
        for (int i = 0; i < a->n_inputs; i++) {
                need(q, a->inputs[i].feature);
                all &= pr->pt[a->inputs[i].feature];
        }
        if (all) {
                pr->score[m] =
                        cw_range_point(cw_model_score(a, pr->pv, pr->contrib));
                return pr->score_kind[m] = SCORE;
        }
        if (a->trees)
                return pr->score_kind[m] = ANY;
        pr->score[m] = z_range(pr, a);
        return pr->score_kind[m] = pr->score[m].nan ? ANY : Z;
}

/* Model m's score next to threshold `at` (S_* bits); `zat` is logit(at),
 * or NaN: a range of z well clear of it decides without the sigmoid. */
static int score_vs(struct proof *q, int m, double at, double zat) {
        int kind = score_of(q, m);
        struct cw_range s = q->pr->score[m];

        if (kind == ANY)
                return S_GE | S_LT | S_NAN;
        if (kind == Z) {
                if (s.hi < zat - Z_MARGIN)
                        return S_LT;
                if (s.lo > zat + Z_MARGIN)
                        return S_GE;
                s.lo = 1.0 / (1.0 + exp(-s.lo));
                s.hi = 1.0 / (1.0 + exp(-s.hi));
                s = cw_range_widen(s);
        }
        return (s.num && s.hi >= at ? S_GE : 0) |
               (s.num && s.lo < at ? S_LT : 0) | (s.nan ? S_NAN : 0);
}

/* What alert ai's `when` (or `clear`) may be on the days looked at:
 * MAY_TRUE, MAY_FALSE or both. */
static int cond(struct proof *q, int ai, int when) {
        const struct cw_alert *a = &q->e->config->alerts[ai];
        const cw_expr_t *x = when ? a->when : a->clear;
        struct cw_range r;
        int v, w;

        if (a->kind == CW_ALERT_MODEL) {
                /* when: score >= fire; clear: score < clear_below; a NaN
                 * score is neither. */
                int m = a->variant ? a->base : ai;
                if (when) {
                        v = score_vs(q, m, a->fire, q->pr->zfire[ai]);
                        return (v & S_GE ? MAY_TRUE : 0) |
                               (v & (S_LT | S_NAN) ? MAY_FALSE : 0);
                }
                v = score_vs(q, m, a->clear_below, q->pr->zclear[ai]);
                return (v & S_LT ? MAY_TRUE : 0) |
                       (v & (S_GE | S_NAN) ? MAY_FALSE : 0);
        }
        if (!x) { /* clear = !(when) */
                w = cond(q, ai, 1);
                return (w & MAY_TRUE ? MAY_FALSE : 0) |
                       (w & MAY_FALSE ? MAY_TRUE : 0);
        }
        if (exact(q, x))
                return cw_expr_truthy(cw_expr_eval(x, q->pr->pv, NULL))
                               ? MAY_TRUE
                               : MAY_FALSE;
        r = cw_expr_eval_range(x, q->pr->r);
        return (cw_range_may_true(&r) ? MAY_TRUE : 0) |
               (cw_range_may_false(&r) ? MAY_FALSE : 0);
}

/* Whether alert ai's machine may move on the days looked at. One that
 * reads no window moved since D and no days_since_last has the `when`
 * and `clear` of D, in its state byte. */
static int may_move(struct proof *q, int ai) {
        uint8_t st = cw_cust_states(q->e->plan, q->c)[ai];
        int still = !q->pr->ads[ai] && !(q->pr->ag[ai] & q->moved);

        switch (st & CW_ALERT_STATE) {
        case CW_ALERT_OK:
                return still ? st & CW_ALERT_WHEN : cond(q, ai, 1) & MAY_TRUE;
        case CW_ALERT_PENDING:
                return still ? !(st & CW_ALERT_WHEN)
                             : cond(q, ai, 1) & MAY_FALSE;
        default:
                return still ? st & CW_ALERT_CLEAR : cond(q, ai, 0) & MAY_TRUE;
        }
}

/*
 * The first day in lo .. hi alert ai, which reads days_since_last, may
 * move on, or hi + 1: a bisection over the days, looking at lo .. m each
 * time. A day it returns follows a look at lo .. day - 1 that found no
 * move, so it is sound even where a wider look is not always the more
 * pessimistic.
 */
static int32_t first_move(struct proof *q, int ai, int32_t lo, int32_t hi) {
        int32_t a = lo, b = hi;

        look(q, lo, hi);
        if (!may_move(q, ai))
                return hi + 1;
        while (a < b) {
                int32_t mid = a + (b - a) / 2;
                look(q, lo, mid);
                if (may_move(q, ai))
                        b = mid;
                else
                        a = mid + 1;
        }
        return a;
}

/* The next day a window of `groups` loses a bucket on. */
static int32_t next_exit(const struct proof *q, uint64_t groups) {
        int32_t next = INT32_MAX;

        for (int g = 0; g < q->e->plan->n_gids; g++)
                if (cw_gid_bit(g) & groups) {
                        int32_t d = q->exit[g];
                        next = d < next ? d : next;
                }
        return next;
}

/*
 * Segment x .. y, whose windows the simulation holds: the first day in
 * it an alert may move on, or y + 1; a later day one may move on, found
 * looking ahead, lowers q->cap. An alert is looked at when it has not
 * been yet, or a window it reads moved at x. One reading days_since_last
 * is looked at up to the next loss of a window it reads at once (over the
 * segments the other alerts' windows cut there), and again only after.
 */
static int32_t segment(struct proof *q, int32_t x, int32_t y, uint64_t moved) {
        struct cw_probe *pr = q->pr;
        int32_t m = y + 1;

        for (int ai = 0; ai < q->e->config->n_alerts; ai++) {
                int32_t lo = pr->from[ai] > x ? pr->from[ai] : x, ya, mm;
                if (lo >= m || (pr->seen[ai] && !(pr->ag[ai] & moved) &&
                                (!pr->ads[ai] || pr->upto[ai] >= y)))
                        continue;
                pr->seen[ai] = 1;
                if (!pr->ads[ai]) {
                        look(q, x, y);
                        if (may_move(q, ai))
                                m = lo;
                        continue;
                }
                ya = next_exit(q, pr->ag[ai]) - 1;
                ya = ya < q->cap - 1 ? ya : q->cap - 1;
                look(q, x, ya);
                if (!may_move(q, ai)) {
                        pr->upto[ai] = ya;
                        continue;
                }
                mm = first_move(q, ai, lo, ya);
                if (mm < m)
                        m = mm;
                else if (mm < q->cap)
                        q->cap = mm;
        }
        return m;
}

/* Per alert, the first day its state may move on, as far as its state
 * and timers tell; the last day `for` leaves a PENDING alert alone
 * bounds *limit. Returns the window groups the alerts to look at read. */
static uint64_t alert_days(struct proof *q, int32_t *limit) {
        struct cw_probe *pr = q->pr;
        const cw_engine_conf_t *cfg = q->e->config;
        const uint8_t *st = cw_cust_states(q->e->plan, q->c);
        const int64_t *at = cw_cust_timers(q->e->plan, q->c);
        uint64_t groups = 0;

        for (int ai = 0; ai < cfg->n_alerts; ai++) {
                int64_t from = q->D + 1, due;
                switch (st[ai] & CW_ALERT_STATE) {
                case CW_ALERT_OK:
                        /* Nothing moves it before its cooldown ends; its
                         * `when` counts from the day that happens on. */
                        if (at[ai] != CW_TIME_NONE && cw_day_of(at[ai]) > from)
                                from = cw_day_of(at[ai]);
                        break;
                case CW_ALERT_PENDING:
                        due = boundary_from(at[ai] + cfg->alerts[ai].for_ms);
                        if (due - 1 < *limit)
                                *limit = (int32_t)(due - 1);
                        break;
                default:
                        break;
                }
                pr->from[ai] = from > INT32_MAX ? INT32_MAX : (int32_t)from;
                pr->seen[ai] = 0;
                pr->upto[ai] = q->D;
        }
        for (int ai = 0; ai < cfg->n_alerts; ai++)
                if (pr->from[ai] <= *limit)
                        groups |= pr->ag[ai];
        return groups;
}

int32_t cw_engine_quiet(const struct cw_plan *p, struct cw_customer *c) {
        int32_t last = CW_DAY_NONE;

        for (int j = 0; j < p->n_bucket_streams; j++) {
                struct cw_area a = cw_cust_area(p, c, j);
                if (a.n && cw_area_day(&a, a.n - 1) > last)
                        last = cw_area_day(&a, a.n - 1);
        }
        for (int i = 0; i < p->n_trackers; i++) {
                int64_t ts = cw_cust_tr_ts(p, c)[i];
                if (ts != CW_TIME_NONE && cw_day_of(ts) > last)
                        last = cw_day_of(ts);
        }
        return last == CW_DAY_NONE || c->cur_day - last > WAKE_MAX_DAYS
                       ? WAKE_MAX_DAYS
                       : c->cur_day - last;
}

/*
 * Every value each windowed feature reading `groups` takes from day x
 * (where the simulation is) to `limit`, in pr->span; the simulation goes
 * through every loss on the way. Returns the groups that moved.
 */
static uint64_t spans(struct proof *q, int32_t limit, uint64_t groups) {
        struct cw_probe *pr = q->pr;
        const struct cw_plan *p = q->e->plan;
        uint64_t moved = 0, now = ~UINT64_C(0);

        for (int first = 1;; first = 0) {
                int32_t x = next_exit(q, groups);
                for (int k = 0; k < pr->n_win; k++) {
                        int f = pr->win[k];
                        double v;
                        if (!(pr->fg[f] & groups & now))
                                continue;
                        v = cw_window_value(&p->features[f], q->runs);
                        if (first)
                                pr->span[f] = cw_range_point(v);
                        else
                                cw_range_add(&pr->span[f], v);
                }
                if (x > limit)
                        return moved;
                now = cw_winsim_move(pr->sim, x, groups);
                moved |= now;
        }
}

/*
 * The cheap proof first: each alert looked at once over all of D+1 ..
 * limit, windowed features as every value they take there. Windows only
 * lose days, so counts and sums mostly go one way, and an alert far from
 * its thresholds passes without a walk. Leaves the simulation at limit.
 */
static int holds_all(struct proof *q, int32_t limit, uint64_t groups) {
        q->moved |= spans(q, limit, groups);
        q->spans = 1;
        look(q, q->D + 1, limit);
        for (int ai = 0; ai < q->e->config->n_alerts; ai++)
                if (q->pr->from[ai] <= limit && may_move(q, ai))
                        return 0;
        return 1;
}

static int pay_bucket(int32_t quiet) {
        int b = 8;

        if (quiet < 8)
                return quiet < 0 ? 0 : quiet;
        for (; quiet >= 16 && b < PAY_BUCKETS - 1; quiet >>= 1)
                b++;
        return b;
}

/* Whether a proof reaching `reach` days pays in bucket b (see
 * PAY_DAYS). */
static int pays(struct cw_probe *pr, int at, int b, int32_t reach) {
        if (reach < PAY_DAYS)
                return 0;
        if (pr->pay_n[at][b] < PAY_LEARN ||
            pr->pay_days[at][b] >= (uint32_t)PAY_DAYS * pr->pay_n[at][b])
                return 1;
        return ++pr->pay_out[at][b] % PAY_PROBE == 0;
}

static void paid(struct cw_probe *pr, int at, int b, int32_t days) {
        if (pr->pay_n[at][b] == PAY_HALVE) {
                pr->pay_n[at][b] /= 2;
                pr->pay_days[at][b] /= 2;
        }
        pr->pay_n[at][b]++;
        pr->pay_days[at][b] += (uint32_t)days;
}

static void set_proof(struct cw_customer *c, unsigned which) {
        c->flags = (uint16_t)((c->flags & ~CW_CUST_PROOF_MASK) |
                              which << CW_CUST_PROOF_SHIFT);
}

void cw_engine_unproved(cw_engine_t *e, struct cw_customer *c, int32_t due) {
        unsigned which = (c->flags & CW_CUST_PROOF_MASK) >> CW_CUST_PROOF_SHIFT;
        int64_t lost = (int64_t)due - 1 - c->cur_day;
        uint32_t *days;

        if (!which)
                return;
        set_proof(c, 0);
        days = &e->probe->pay_days[which > PAY_BUCKETS]
                                  [(which - 1) % PAY_BUCKETS];
        if (lost > 0)
                *days = *days > lost ? *days - (uint32_t)lost : 0;
}

static int32_t prove(cw_engine_t *e, struct cw_customer *c, int32_t limit);

int32_t cw_engine_wake(cw_engine_t *e, struct cw_customer *c, int32_t quiet,
                       int at_visit) {
        int64_t evict = boundary_from(c->last_ts + e->config->state_ttl_ms) - 1;
        int32_t limit =
                c->cur_day + (quiet < 1                   ? 1
                              : quiet < WAKE_MAX_DAYS / 2 ? 2 * quiet
                                                          : WAKE_MAX_DAYS);
        int b = pay_bucket(quiet);

        if (evict < limit)
                limit = (int32_t)evict;
        /* Not proved: the evaluation's results hold for its day only. */
        if (!pays(e->probe, at_visit, b, limit - c->cur_day)) {
                set_proof(c, 0);
                return c->cur_day + 1;
        }
        e->stats.proofs++;
        limit = prove(e, c, limit);
        paid(e->probe, at_visit, b, limit - c->cur_day);
        set_proof(c, (unsigned)(at_visit * PAY_BUCKETS + b + 1));
        return limit + 1;
}

/* The proof itself: the last day up to `limit` on which no alert of c
 * may move (D when it may move on D + 1). */
static int32_t prove(cw_engine_t *e, struct cw_customer *c, int32_t limit) {
        struct proof q = {e->probe, e, c, c->cur_day, 0,   0,
                          0,        0, 0, NULL,       NULL};
        int32_t x = q.D + 1;
        uint64_t groups, moved;

        groups = alert_days(&q, &limit);
        q.cap = limit + 1;
        q.exit = cw_winsim_start(q.pr->sim, c, groups);
        q.runs = cw_winsim_runs(q.pr->sim);
        moved = q.moved = cw_winsim_move(q.pr->sim, x, groups);
        if (limit > q.D && holds_all(&q, limit, groups))
                x = limit + 1;
        else if (limit == x)
                limit = q.D; /* that one day was looked at exactly */
        else if (q.spans) {
                /* Then segment by segment, from D + 1 again. */
                q.exit = cw_winsim_start(q.pr->sim, c, groups);
                moved = q.moved = cw_winsim_move(q.pr->sim, x, groups);
                q.spans = 0;
                q.x = q.y = 0;
        }
        for (int n = 0; x <= limit; n++) {
                int32_t y = next_exit(&q, groups) - 1, m;
                if (q.cap <= limit)
                        limit = q.cap - 1;
                if (y > limit)
                        y = limit;
                if (x > limit)
                        break;
                if (n == WAKE_MAX_SEGMENTS) {
                        limit = x - 1;
                        break;
                }
                if ((m = segment(&q, x, y, moved)) <= y) {
                        limit = m - 1;
                        break;
                }
                x = y + 1;
                moved = cw_winsim_move(q.pr->sim, x, groups);
                q.moved |= moved;
        }
        if (limit < q.D)
                limit = q.D;
        c->flags = (uint16_t)((c->flags & ~CW_CUST_SPAN_MASK) |
                              (unsigned)(limit - q.D) << CW_CUST_SPAN_SHIFT);
        return limit;
}
