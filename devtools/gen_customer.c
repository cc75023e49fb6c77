#include "gen_customer.h"

#include <math.h>
#include <string.h>

#include "common/duration.h"

#define NEVER CW_GEN_NEVER

/*
 * The classic population, by archetype (shares of customers):
 *
 *   steady       55%  buys every 2.3-14 days, logs in every 0.7-7 days,
 *                     at a fairly regular pace, for the whole period
 *   declining    15%  steady until a day in the first 70% of the period,
 *                     then purchases and logins fade by a factor e every
 *                     8-20 days; churned when activity is down to 5%
 *                     (after 3.5-8.5 weeks), nothing after that
 *   abrupt       10%  steady, then stops at a time anywhere in the period;
 *                     40% answer an exit survey (NPS, mostly 0-3) in the
 *                     hours before
 *   complaining  10%  steady until a complaint ticket in the first 55%
 *                     of the period (OPENED, then UPDATED and RESOLVED
 *                     over days) and an NPS of 0-6 within days; 70% then
 *                     buy a fifth as much and churn 3-8 weeks after the
 *                     complaint, the others buy less for three weeks
 *   late joiner  10%  nothing until a day in the middle 70% of the period,
 *                     steady after
 *
 * Everyone has rare other tickets (billing, question, delivery, now and
 * then a complaint) and a survey every 45 days on average. Churners in
 * their last four weeks and decliners answer surveys unhappily.
 *
 * The rich population (CW_GEN_RICH) makes single signals ambiguous, so
 * that combining them (learning) matters:
 *
 *   steady       40%
 *   declining    15%  the fade starts anywhere in the period (it may end
 *                     after it); 35% open a complaint ticket half an
 *                     e-folding time into it (an angry NPS follows), 30%
 *                     are asked for an NPS then, 35% fade in silence
 *   abrupt       10%  as above: most leave without a sign
 *   complaining  10%  the complaint anywhere in the period
 *   late joiner  10%
 *   dipping      15%  stay, but once go quiet (a holiday, a busy spell)
 *                     for 2-6 weeks anywhere in the period, at 5-30% of
 *                     their activity, then come back as before; their
 *                     surveys stay happy
 *
 * The churn times of the rich population are spread over the whole
 * period, so that its churn rate does not depend much on the month.
 *
 * The shares are cumulative thresholds on one uniform draw per customer.
 */
static const double arch_upto[2][CW_ARCH_COUNT] = {
        [CW_GEN_CLASSIC] = {0.55, 0.70, 0.80, 0.90, 1.0, 1.0},
        [CW_GEN_RICH] = {0.40, 0.55, 0.65, 0.75, 0.85, 1.0}};

const char *const cw_archetype_names[CW_ARCH_COUNT] = {
        "steady",      "declining",   "abrupt",
        "complaining", "late_joiner", "dipping"};

#define COMPLAINER_CHURN_SHARE 0.7
#define EXIT_SURVEY_SHARE 0.4
#define TICKET_MEAN_DAYS 240.0
#define SURVEY_MEAN_DAYS 45.0
#define UNHAPPY_BEFORE_CHURN_MS (28 * CW_MS_PER_DAY)
/* Rich decliners: shares that complain and that are asked for an NPS. */
#define DECLINER_COMPLAINS 0.35
#define DECLINER_ASKED 0.65

/* Indexes into the symbol tables of features/event.c. */
enum { ST_OPENED, ST_UPDATED, ST_RESOLVED, ST_REOPENED };
enum { KIND_NPS, KIND_CSAT, KIND_CES };

/* ---- randomness: splitmix64, one stream per customer --------------- */

/*
 * Every customer draws from a generator of its own, seeded from (seed,
 * customer), so a customer's events do not depend on anyone else's: the
 * population is the same whatever order or grouping customers are
 * generated in. splitmix64 needs 8 bytes of state and ~1 ns a draw.
 */
static uint64_t next_u64(uint64_t *s) {
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* [0, 1) */
static double uniform(uint64_t *s) {
        return (double)(next_u64(s) >> 11) * 0x1.0p-53;
}

static double between(uint64_t *s, double lo, double hi) {
        return lo + (hi - lo) * uniform(s);
}

/* 0 .. n-1 */
static int below(uint64_t *s, int n) {
        return (int)(((next_u64(s) >> 32) * (uint64_t)n) >> 32);
}

/* Roughly standard normal (Irwin-Hall of four uniforms from one draw:
 * tails stop at +-3.5, which suits bounded values well). */
static double normal(uint64_t *s) {
        uint64_t r = next_u64(s);
        double sum = 0;
        for (int i = 0; i < 4; i++, r >>= 16)
                sum += (double)(r & 0xffff) * (1.0 / 65536.0);
        return (sum - 2.0) * 1.7320508075688772;
}

static double clamp(double x, double lo, double hi) {
        return x < lo ? lo : x > hi ? hi : x;
}

/* ---- the customer's plan ------------------------------------------- */

/* F_ASK_NPS: a rich decliner is asked for an NPS at ask_at(). */
enum { F_NPS_DUE = 1, F_EXIT_SURVEY = 2, F_ASK_NPS = 4 };

/* Ticket stages: what the next ticket event of a customer will be. */
enum { TK_NONE, TK_OPEN, TK_UPDATED, TK_RESOLVED };

typedef struct cw_gen_customer customer_t;

static int64_t after(int64_t t, double days) {
        if (!(days < 1e6))
                return NEVER;
        return t + (int64_t)(days * CW_MS_PER_DAY);
}

/* Rich decliners speak up (a complaint, an NPS) half an e-folding time
 * into the fade: activity is down to 60% by then. */
static int64_t ask_at(const customer_t *k) {
        return after(k->change_at, 0.5 * k->span_days);
}

/* Dippers come back at the end of their lull. */
static int64_t lull_end(const customer_t *k) {
        return after(k->change_at, k->span_days);
}

/* How active a customer is at t, from 1 down to 0. */
static double activity(const customer_t *k, int64_t t) {
        if (t < k->change_at)
                return 1.0;
        switch (k->arch) {
        case CW_ARCH_DECLINING:
                return exp(-(double)(t - k->change_at) /
                           ((double)k->span_days * CW_MS_PER_DAY));
        case CW_ARCH_COMPLAINING:
                if (k->churn_at != NEVER)
                        return 0.2;
                return t - k->change_at < 21 * CW_MS_PER_DAY ? 0.6 : 1.0;
        case CW_ARCH_DIPPING:
                return t < lull_end(k) ? k->level : 1.0;
        default:
                return 1.0;
        }
}

/* The next event `gap` days (at full activity) after t. A dipper's gap
 * drawn during the lull stretches by 1 / level, but never past a gap
 * after the lull: they come back at their usual pace. */
static int64_t next_at(const customer_t *k, int64_t t, double gap) {
        int64_t n = after(t, gap / activity(k, t));

        if (k->arch == CW_ARCH_DIPPING && t < lull_end(k) &&
            n > after(lull_end(k), gap))
                n = after(lull_end(k), gap);
        return n;
}

/* Purchases come at a fairly regular pace (gaps of 50-150% of the
 * mean), as regular customers' do; that keeps the 30-day count of a
 * steady customer close to its average, so that a rule on a falling
 * count fires for few of them (about 2.5% over 120 days). */
static void schedule_purchase(customer_t *k, int64_t t) {
        double gap = k->purchase_days * between(&k->rng, 0.5, 1.5);
        k->next[CW_STREAM_PURCHASE] = next_at(k, t, gap);
}

static void schedule_login(customer_t *k, int64_t t) {
        double gap = k->login_days * between(&k->rng, 0.1, 1.9);
        k->next[CW_STREAM_LOGIN] = next_at(k, t, gap);
}

/* The next new ticket: rare, of a random category. */
static void schedule_ticket(customer_t *k, int64_t t) {
        double u = uniform(&k->rng);
        k->ticket_stage = TK_NONE;
        k->ticket_category = u < 0.35   ? CW_GEN_BILLING
                             : u < 0.70 ? CW_GEN_QUESTION
                             : u < 0.95 ? CW_GEN_DELIVERY
                                        : CW_GEN_COMPLAINT;
        k->next[CW_STREAM_TICKET] =
                after(t, -TICKET_MEAN_DAYS * log1p(-uniform(&k->rng)));
}

static void schedule_survey(customer_t *k, int64_t t) {
        int64_t n = after(t, -SURVEY_MEAN_DAYS * log1p(-uniform(&k->rng)));
        if ((k->flags & F_EXIT_SURVEY) && n > k->change_at)
                n = k->change_at;
        if ((k->flags & F_ASK_NPS) && n > ask_at(k))
                n = ask_at(k);
        k->next[CW_STREAM_SURVEY] = n;
}

/* A rich decliner complains, is asked for an NPS, or fades silently. */
static void draw_voice(customer_t *k) {
        double u = uniform(&k->rng);

        if (u < DECLINER_COMPLAINS)
                k->ticket_category = CW_GEN_COMPLAINT;
        else if (u < DECLINER_ASKED)
                k->flags |= F_ASK_NPS;
}

static void draw_change(customer_t *k, int64_t period, int rich) {
        uint64_t *r = &k->rng;
        /* When the change comes: rich populations anywhere in the period. */
        double lo = rich ? 0.02 : 0.05;

        switch (k->arch) {
        case CW_ARCH_DECLINING:
                k->change_at =
                        (int64_t)(period * between(r, lo, rich ? 1.0 : 0.70));
                k->span_days = (float)between(r, 8, 20);
                /* activity = exp(-x / tau) is down to 5% at x = tau ln 20 */
                k->churn_at = after(k->change_at, k->span_days * log(20.0));
                if (rich)
                        draw_voice(k);
                break;
        case CW_ARCH_ABRUPT:
                k->churn_at = (int64_t)(period * between(r, 0.02, 1.0));
                k->change_at = k->churn_at -
                               (int64_t)(between(r, 1, 12) * CW_MS_PER_HOUR);
                if (uniform(r) < EXIT_SURVEY_SHARE && k->change_at >= 0)
                        k->flags |= F_EXIT_SURVEY;
                else
                        k->change_at = NEVER;
                break;
        case CW_ARCH_COMPLAINING:
                k->change_at =
                        (int64_t)(period * between(r, lo, rich ? 1.0 : 0.55));
                if (uniform(r) < COMPLAINER_CHURN_SHARE)
                        k->churn_at = after(k->change_at, between(r, 21, 56));
                break;
        case CW_ARCH_LATE_JOINER:
                k->change_at = (int64_t)(period * between(r, 0.15, 0.85));
                break;
        case CW_ARCH_DIPPING:
                k->change_at = (int64_t)(period * between(r, 0.02, 1.0));
                k->span_days = (float)between(r, 14, 42);
                k->level = (float)between(r, 0.05, 0.3);
                break;
        default:
                k->change_at = NEVER;
        }
}

static cw_archetype_t draw_archetype(uint64_t *r, const double *upto) {
        double u = uniform(r);
        int a = 0;
        while (a < CW_ARCH_COUNT - 1 && u >= upto[a])
                a++;
        return (cw_archetype_t)a;
}

static void draw_habits(customer_t *k) {
        uint64_t *r = &k->rng;
        double u = uniform(r);

        /* Log-uniform rates: 0.5-3 purchases, 1-10 logins a week. */
        k->purchase_days = (float)(7.0 / (0.5 * pow(6.0, uniform(r))));
        k->login_days = (float)(7.0 / pow(10.0, uniform(r)));
        k->amount_cents =
                (float)clamp(3000.0 * exp(0.8 * normal(r)), 800, 30000);
        k->currency = u < 0.8 ? 0 : u < 0.92 ? 1 : 2;
        k->channel = (uint8_t)(1 + below(r, 3));
        k->device = (uint8_t)(1 + below(r, 3));
}

void cw_gen_customer_init(customer_t *k, const struct cw_gen_params *p,
                          int64_t period_ms, uint32_t c) {
        uint64_t seed = p->seed * 0x9e3779b97f4a7c15ULL + c;
        int rich = p->scenario == CW_GEN_RICH;
        int64_t first;

        memset(k, 0, sizeof(*k));
        k->rng = next_u64(&seed) ^ p->seed;
        k->churn_at = NEVER;
        k->arch = (uint8_t)draw_archetype(&k->rng, arch_upto[rich]);
        draw_habits(k);
        draw_change(k, period_ms, rich);
        first = k->arch == CW_ARCH_LATE_JOINER ? k->change_at : 0;
        /* A random phase, so that the period does not start with a burst. */
        k->next[CW_STREAM_PURCHASE] =
                after(first, k->purchase_days * uniform(&k->rng));
        k->next[CW_STREAM_LOGIN] =
                after(first, k->login_days * uniform(&k->rng));
        schedule_survey(k, first);
        if (k->arch == CW_ARCH_COMPLAINING) {
                k->ticket_category = CW_GEN_COMPLAINT;
                k->next[CW_STREAM_TICKET] = k->change_at;
        } else if (k->ticket_category == CW_GEN_COMPLAINT) {
                /* A rich decliner's first ticket is its complaint. */
                k->next[CW_STREAM_TICKET] = ask_at(k);
        } else {
                schedule_ticket(k, first);
        }
}

/* ---- events of one customer ---------------------------------------- */

static void purchase(customer_t *k, struct cw_gen_event *e) {
        uint64_t *r = &k->rng;
        double u = uniform(r);

        e->a = (int32_t)clamp(k->amount_cents * exp(0.5 * normal(r)), 500,
                              50000);
        e->c = k->currency;
        e->d = u < 0.1 ? 0 : u < 0.3 ? (uint8_t)(1 + below(r, 3)) : k->channel;
}

static void login(customer_t *k, struct cw_gen_event *e) {
        uint64_t *r = &k->rng;
        double u = uniform(r);

        e->a = (int32_t)clamp(240.0 * exp(0.9 * normal(r)), 30, 3600);
        e->b = uniform(r) < 0.95;
        e->d = u < 0.1 ? 0 : u < 0.25 ? (uint8_t)(1 + below(r, 3)) : k->device;
}

/* A new ticket: severity 1-4, mostly low; complaints are 3-4. */
static void open_ticket(customer_t *k, int64_t t) {
        uint64_t *r = &k->rng;
        static const uint8_t severity[8] = {1, 1, 1, 2, 2, 2, 3, 4};

        k->tickets++;
        k->ticket_stage = TK_OPEN;
        k->ticket_severity = k->ticket_category == CW_GEN_COMPLAINT
                                     ? (uint8_t)(3 + below(r, 2))
                                     : severity[below(r, 8)];
        if (k->ticket_category == CW_GEN_COMPLAINT && !(k->flags & F_NPS_DUE)) {
                /* Asked how likely they are to recommend us, days later. */
                int64_t ask = after(t, between(r, 1, 5));
                k->flags |= F_NPS_DUE;
                if (ask < k->next[CW_STREAM_SURVEY])
                        k->next[CW_STREAM_SURVEY] = ask;
        }
}

/* One step of a ticket's life: OPENED, UPDATED..., RESOLVED, and now
 * and then REOPENED and round again. */
static void ticket(customer_t *k, int64_t t, struct cw_gen_event *e) {
        uint64_t *r = &k->rng;
        double u;

        switch (k->ticket_stage) {
        case TK_NONE:
                e->b = ST_OPENED;
                open_ticket(k, t);
                break;
        case TK_OPEN:
        case TK_UPDATED:
                u = uniform(r);
                e->b = u < (k->ticket_stage == TK_OPEN ? 0.65 : 0.25)
                               ? ST_UPDATED
                               : ST_RESOLVED;
                k->ticket_stage = e->b == ST_UPDATED ? TK_UPDATED : TK_RESOLVED;
                break;
        default:
                e->b = ST_REOPENED;
                k->ticket_stage = TK_UPDATED;
        }
        e->a = (int32_t)k->tickets;
        e->c = k->ticket_category;
        e->d = k->ticket_severity;
        if (k->ticket_stage == TK_RESOLVED && uniform(r) >= 0.05)
                schedule_ticket(k, t);
        else
                k->next[CW_STREAM_TICKET] = after(t, between(r, 0.2, 4));
}

/* Moods, from the customer's situation at t. */
enum { HAPPY, UNHAPPY, ANGRY };

static int exit_survey(const customer_t *k, int64_t t) {
        return (k->flags & F_EXIT_SURVEY) && t >= k->change_at;
}

static int mood(const customer_t *k, int64_t t) {
        if ((k->flags & F_NPS_DUE) || exit_survey(k, t))
                return ANGRY;
        if (k->churn_at != NEVER && k->churn_at - t < UNHAPPY_BEFORE_CHURN_MS)
                return UNHAPPY;
        if (k->arch == CW_ARCH_DECLINING && t >= k->change_at)
                return UNHAPPY;
        return HAPPY;
}

/* NPS 0-10: happy customers are mostly promoters, unhappy ones mostly
 * detractors, angry ones (after a complaint, on leaving) 0-6 with 0 the
 * most common answer. */
static int nps(uint64_t *r, int m) {
        double u = uniform(r);
        if (m == ANGRY)
                return u < 0.35 ? 0 : below(r, 7);
        if (m == UNHAPPY)
                return u < 0.6   ? below(r, 7)
                       : u < 0.9 ? 7 + below(r, 2)
                                 : 9 + below(r, 2);
        return u < 0.2    ? 2 + below(r, 5)
               : u < 0.55 ? 7 + below(r, 2)
                          : 9 + below(r, 2);
}

static void survey(customer_t *k, int64_t t, struct cw_gen_event *e) {
        uint64_t *r = &k->rng;
        int m = mood(k, t);
        double u = uniform(r);
        int asked = (k->flags & F_ASK_NPS) && t >= ask_at(k);

        e->b = m == ANGRY || asked ? KIND_NPS
               : u < 0.5           ? KIND_NPS
               : u < 0.8           ? KIND_CSAT
                                   : KIND_CES;
        if (e->b == KIND_NPS)
                e->a = nps(r, m);
        else if (e->b == KIND_CSAT) /* 1-5, 5 = very satisfied */
                e->a = m == HAPPY ? 3 + below(r, 3) : 1 + below(r, 3);
        else /* CES 1-7, 7 = very easy */
                e->a = m == HAPPY ? 4 + below(r, 4) : 1 + below(r, 4);
        e->e = uniform(r) < 0.15 ? (m == HAPPY ? 1 : 2) : 0;
        e->c = (uint8_t)below(r, CW_GEN_COMMENTS);
        if (exit_survey(k, t))
                k->flags &= (uint8_t)~F_EXIT_SURVEY;
        if (asked)
                k->flags &= (uint8_t)~F_ASK_NPS;
        k->flags &= (uint8_t)~F_NPS_DUE;
        schedule_survey(k, t);
}

/* The stream whose next event comes first (ties in stream order). */
static int first_stream(const customer_t *k) {
        int s = 0;
        for (int i = 1; i < CW_STREAM_COUNT; i++)
                if (k->next[i] < k->next[s])
                        s = i;
        return s;
}

int cw_gen_customer_next(const customer_t *k, int64_t end, int64_t *t) {
        int s = first_stream(k);

        if (k->churn_at < end)
                end = k->churn_at;
        *t = k->next[s];
        return *t < end ? s : -1;
}

void cw_gen_customer_event(customer_t *k, int s, int64_t t,
                           struct cw_gen_event *e) {
        if (s == CW_STREAM_PURCHASE) {
                purchase(k, e);
                schedule_purchase(k, t);
        } else if (s == CW_STREAM_LOGIN) {
                login(k, e);
                schedule_login(k, t);
        } else if (s == CW_STREAM_TICKET) {
                ticket(k, t, e);
        } else {
                survey(k, t, e);
        }
}
