#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"

#define NEVER INT64_MAX

/*
 * The population, by archetype (shares of customers):
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
 * The shares are cumulative thresholds on one uniform draw per customer.
 */
static const double arch_upto[CW_ARCH_COUNT] = {0.55, 0.70, 0.80, 0.90, 1.0};

const char *const cw_archetype_names[CW_ARCH_COUNT] = {
        "steady", "declining", "abrupt", "complaining", "late_joiner"};

#define COMPLAINER_CHURN_SHARE 0.7
#define EXIT_SURVEY_SHARE 0.4
#define TICKET_MEAN_DAYS 240.0
#define SURVEY_MEAN_DAYS 45.0
#define UNHAPPY_BEFORE_CHURN_MS (28 * CW_MS_PER_DAY)

/* ---- value tables: strings with their lengths, index 0 = null ------ */

#define S(lit)                                                                 \
        { lit, sizeof(lit) - 1 }
static const cw_str_t currencies[] = {S("EUR"), S("USD"), S("GBP")};
static const cw_str_t channels[] = {{NULL, 0}, S("web"), S("app"), S("store")};
static const cw_str_t devices[] = {{NULL, 0}, S("web"), S("ios"), S("android")};
enum { CAT_BILLING, CAT_QUESTION, CAT_DELIVERY, CAT_COMPLAINT };
static const cw_str_t categories[] = {S("billing"), S("question"),
                                      S("delivery"), S("complaint")};
static const cw_str_t happy_comments[] = {S("great service"),
                                          S("fast delivery"), S("love the app"),
                                          S("easy to use")};
static const cw_str_t unhappy_comments[] = {
        S("too expensive"), S("delivery was late"), S("support never answered"),
        S("thinking of cancelling")};
#undef S

#define N_OF(a) (int)(sizeof(a) / sizeof((a)[0]))

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

/* ---- the customers ------------------------------------------------- */

enum { F_NPS_DUE = 1, F_EXIT_SURVEY = 2 };

/* Ticket stages: what the next ticket event of a customer will be. */
enum { TK_NONE, TK_OPEN, TK_UPDATED, TK_RESOLVED };

/* 88 bytes: a million customers take 88 MB. Times are ms from start. */
struct customer {
        uint64_t rng;
        int64_t next[CW_STREAM_COUNT]; /* next event of each stream */
        int64_t churn_at;              /* NEVER for customers who stay */
        /* declining: the fade starts; complaining: the complaint;
         * late joiner: the first activity; abrupt: the exit survey */
        int64_t change_at;
        float purchase_days, login_days; /* mean gaps when fully active */
        float amount_cents;              /* the customer's median */
        float tau_days;                  /* declining: e-folding time */
        uint32_t tickets;                /* opened so far */
        uint8_t arch, currency, channel, device, flags;
        uint8_t ticket_stage, ticket_category, ticket_severity;
};

/* An event of the day being generated, before it is sorted. */
struct gev {
        uint32_t key;  /* ms of the day << 2 | stream: the sort key */
        uint32_t cust; /* customer number */
        int32_t a;     /* amount_cents, session_seconds, ticket, score */
        uint8_t b;     /* success, ticket status, survey kind */
        uint8_t c;     /* currency, ticket category, comment */
        uint8_t d;     /* channel, device, ticket severity */
        uint8_t e;     /* comment is happy (1) or unhappy (2), 0: none */
};

#define SORT_BITS 15

struct cw_gen {
        struct cw_gen_params p;
        int64_t period_ms;
        struct customer *cust;
        int next_day;
        int id_width; /* digits in customer ids: all of the same length */
        struct gev *evs, *tmp; /* the day's events; tmp for sorting */
        size_t n, cap;
        uint32_t *hist; /* 1 << SORT_BITS counters */
        unsigned long long count[CW_STREAM_COUNT];
        char event_id[32];
        char customer_id[CW_GEN_ID_MAX];
        char ticket_id[48];
};

/* How active a customer is at t, from 1 down to 0. */
static double activity(const struct customer *k, int64_t t) {
        if (t < k->change_at)
                return 1.0;
        switch (k->arch) {
        case CW_ARCH_DECLINING:
                return exp(-(double)(t - k->change_at) /
                           ((double)k->tau_days * CW_MS_PER_DAY));
        case CW_ARCH_COMPLAINING:
                if (k->churn_at != NEVER)
                        return 0.2;
                return t - k->change_at < 21 * CW_MS_PER_DAY ? 0.6 : 1.0;
        default:
                return 1.0;
        }
}

static int64_t after(int64_t t, double days) {
        if (!(days < 1e6))
                return NEVER;
        return t + (int64_t)(days * CW_MS_PER_DAY);
}

/* Purchases come at a fairly regular pace (gaps of 50-150% of the
 * mean), as regular customers' do; that keeps the 30-day count of a
 * steady customer close to its average, so that a rule on a falling
 * count fires for few of them (about 2.5% over 120 days). */
static void schedule_purchase(struct customer *k, int64_t t) {
        double gap = k->purchase_days * between(&k->rng, 0.5, 1.5);
        k->next[CW_STREAM_PURCHASE] = after(t, gap / activity(k, t));
}

static void schedule_login(struct customer *k, int64_t t) {
        double gap = k->login_days * between(&k->rng, 0.1, 1.9);
        k->next[CW_STREAM_LOGIN] = after(t, gap / activity(k, t));
}

/* The next new ticket: rare, of a random category. */
static void schedule_ticket(struct customer *k, int64_t t) {
        double u = uniform(&k->rng);
        k->ticket_stage = TK_NONE;
        k->ticket_category = u < 0.35   ? CAT_BILLING
                             : u < 0.70 ? CAT_QUESTION
                             : u < 0.95 ? CAT_DELIVERY
                                        : CAT_COMPLAINT;
        k->next[CW_STREAM_TICKET] =
                after(t, -TICKET_MEAN_DAYS * log1p(-uniform(&k->rng)));
}

static void schedule_survey(struct customer *k, int64_t t) {
        int64_t n = after(t, -SURVEY_MEAN_DAYS * log1p(-uniform(&k->rng)));
        if ((k->flags & F_EXIT_SURVEY) && n > k->change_at)
                n = k->change_at;
        k->next[CW_STREAM_SURVEY] = n;
}

static void draw_change(struct customer *k, int64_t period) {
        uint64_t *r = &k->rng;

        switch (k->arch) {
        case CW_ARCH_DECLINING:
                k->change_at = (int64_t)(period * between(r, 0.05, 0.70));
                k->tau_days = (float)between(r, 8, 20);
                /* activity = exp(-x / tau) is down to 5% at x = tau ln 20 */
                k->churn_at = after(k->change_at, k->tau_days * log(20.0));
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
                k->change_at = (int64_t)(period * between(r, 0.05, 0.55));
                if (uniform(r) < COMPLAINER_CHURN_SHARE)
                        k->churn_at = after(k->change_at, between(r, 21, 56));
                break;
        case CW_ARCH_LATE_JOINER:
                k->change_at = (int64_t)(period * between(r, 0.15, 0.85));
                break;
        default:
                k->change_at = NEVER;
        }
}

static cw_archetype_t draw_archetype(uint64_t *r) {
        double u = uniform(r);
        int a = 0;
        while (a < CW_ARCH_COUNT - 1 && u >= arch_upto[a])
                a++;
        return (cw_archetype_t)a;
}

static void draw_habits(struct customer *k) {
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

static void init_customer(const cw_gen_t *g, uint32_t c, struct customer *k) {
        uint64_t seed = g->p.seed * 0x9e3779b97f4a7c15ULL + c;
        int64_t first;

        memset(k, 0, sizeof(*k));
        k->rng = next_u64(&seed) ^ g->p.seed;
        k->churn_at = NEVER;
        k->arch = (uint8_t)draw_archetype(&k->rng);
        draw_habits(k);
        draw_change(k, g->period_ms);
        first = k->arch == CW_ARCH_LATE_JOINER ? k->change_at : 0;
        /* A random phase, so that the period does not start with a burst. */
        k->next[CW_STREAM_PURCHASE] =
                after(first, k->purchase_days * uniform(&k->rng));
        k->next[CW_STREAM_LOGIN] =
                after(first, k->login_days * uniform(&k->rng));
        schedule_survey(k, first);
        if (k->arch == CW_ARCH_COMPLAINING) {
                k->ticket_category = CAT_COMPLAINT;
                k->next[CW_STREAM_TICKET] = k->change_at;
        } else {
                schedule_ticket(k, first);
        }
}

/* ---- events of one customer ---------------------------------------- */

static void purchase(struct customer *k, struct gev *e) {
        uint64_t *r = &k->rng;
        double u = uniform(r);

        e->a = (int32_t)clamp(k->amount_cents * exp(0.5 * normal(r)), 500,
                              50000);
        e->c = k->currency;
        e->d = u < 0.1 ? 0 : u < 0.3 ? (uint8_t)(1 + below(r, 3)) : k->channel;
}

static void login(struct customer *k, struct gev *e) {
        uint64_t *r = &k->rng;
        double u = uniform(r);

        e->a = (int32_t)clamp(240.0 * exp(0.9 * normal(r)), 30, 3600);
        e->b = uniform(r) < 0.95;
        e->d = u < 0.1 ? 0 : u < 0.25 ? (uint8_t)(1 + below(r, 3)) : k->device;
}

/* A new ticket: severity 1-4, mostly low; complaints are 3-4. */
static void open_ticket(struct customer *k, int64_t t) {
        uint64_t *r = &k->rng;
        static const uint8_t severity[8] = {1, 1, 1, 2, 2, 2, 3, 4};

        k->tickets++;
        k->ticket_stage = TK_OPEN;
        k->ticket_severity = k->ticket_category == CAT_COMPLAINT
                                     ? (uint8_t)(3 + below(r, 2))
                                     : severity[below(r, 8)];
        if (k->ticket_category == CAT_COMPLAINT && !(k->flags & F_NPS_DUE)) {
                /* Asked how likely they are to recommend us, days later. */
                int64_t ask = after(t, between(r, 1, 5));
                k->flags |= F_NPS_DUE;
                if (ask < k->next[CW_STREAM_SURVEY])
                        k->next[CW_STREAM_SURVEY] = ask;
        }
}

/* One step of a ticket's life: OPENED, UPDATED..., RESOLVED, and now
 * and then REOPENED and round again. */
static void ticket(struct customer *k, int64_t t, struct gev *e) {
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

static int exit_survey(const struct customer *k, int64_t t) {
        return (k->flags & F_EXIT_SURVEY) && t >= k->change_at;
}

static int mood(const struct customer *k, int64_t t) {
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

static void survey(struct customer *k, int64_t t, struct gev *e) {
        uint64_t *r = &k->rng;
        int m = mood(k, t);
        double u = uniform(r);

        e->b = m == ANGRY ? KIND_NPS
               : u < 0.5  ? KIND_NPS
               : u < 0.8  ? KIND_CSAT
                          : KIND_CES;
        if (e->b == KIND_NPS)
                e->a = nps(r, m);
        else if (e->b == KIND_CSAT) /* 1-5, 5 = very satisfied */
                e->a = m == HAPPY ? 3 + below(r, 3) : 1 + below(r, 3);
        else /* CES 1-7, 7 = very easy */
                e->a = m == HAPPY ? 4 + below(r, 4) : 1 + below(r, 4);
        e->e = uniform(r) < 0.15 ? (m == HAPPY ? 1 : 2) : 0;
        e->c = (uint8_t)below(r, N_OF(happy_comments));
        if (exit_survey(k, t))
                k->flags &= (uint8_t)~F_EXIT_SURVEY;
        k->flags &= (uint8_t)~F_NPS_DUE;
        schedule_survey(k, t);
}

/* Adds an event of stream s at t (ms from the start) to the day. */
static struct gev *push(cw_gen_t *g, uint32_t c, int s, int64_t t,
                        int64_t day_start) {
        struct gev *e;

        if (g->n == g->cap) {
                size_t cap = g->cap ? 2 * g->cap : 4096;
                struct gev *a = realloc(g->evs, cap * sizeof(*a));
                struct gev *b = a ? realloc(g->tmp, cap * sizeof(*b)) : NULL;
                if (a)
                        g->evs = a;
                if (!b)
                        return NULL;
                g->tmp = b;
                g->cap = cap;
        }
        e = &g->evs[g->n++];
        memset(e, 0, sizeof(*e));
        e->key = (uint32_t)((t - day_start) << 2) | (uint32_t)s;
        e->cust = c;
        return e;
}

/* The stream whose next event comes first (ties in stream order). */
static int first_stream(const struct customer *k) {
        int s = 0;
        for (int i = 1; i < CW_STREAM_COUNT; i++)
                if (k->next[i] < k->next[s])
                        s = i;
        return s;
}

/*
 * Every event of customer c before `end` (and before it churns), in time
 * order across the streams, since one may change another: a complaint
 * makes the next survey an angry one.
 */
static int customer_day(cw_gen_t *g, uint32_t c, int64_t day_start,
                        int64_t end) {
        struct customer *k = &g->cust[c];
        struct gev *e;
        int64_t t;
        int s;

        if (k->churn_at < end)
                end = k->churn_at;
        while ((t = k->next[s = first_stream(k)]) < end) {
                if (!(e = push(g, c, s, t, day_start)))
                        return -1;
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
        return 0;
}

/* ---- sorting and emitting a day ------------------------------------ */

/*
 * LSD radix sort on the 29-bit key in two passes of 15 and 14 bits:
 * stable, so ties (same ms and stream) keep customer order. About 10 ns
 * an event, against ~100 ns for qsort on a million.
 */
static void sort_day(cw_gen_t *g) {
        for (int shift = 0; shift < 2 * SORT_BITS; shift += SORT_BITS) {
                uint32_t sum = 0, mask = (1u << SORT_BITS) - 1;
                struct gev *t;

                memset(g->hist, 0, sizeof(*g->hist) << SORT_BITS);
                for (size_t i = 0; i < g->n; i++)
                        g->hist[(g->evs[i].key >> shift) & mask]++;
                for (uint32_t b = 0; b <= mask; b++) {
                        uint32_t n = g->hist[b];
                        g->hist[b] = sum;
                        sum += n;
                }
                for (size_t i = 0; i < g->n; i++)
                        g->tmp[g->hist[(g->evs[i].key >> shift) & mask]++] =
                                g->evs[i];
                t = g->evs;
                g->evs = g->tmp;
                g->tmp = t;
        }
}

/* Decimal digits of n at p, at least `width` of them, zero-padded. */
static size_t put_uint(char *p, unsigned long long n, int width) {
        char tmp[24];
        size_t len = 0;

        do {
                tmp[len++] = (char)('0' + n % 10);
                n /= 10;
        } while (n || (int)len < width);
        for (size_t i = 0; i < len; i++)
                p[i] = tmp[len - 1 - i];
        p[len] = '\0';
        return len;
}

size_t cw_gen_customer_id(const cw_gen_t *g, int customer,
                          char buf[CW_GEN_ID_MAX]) {
        memcpy(buf, "cust-", 5);
        return 5 + put_uint(buf + 5, (unsigned)customer, g->id_width);
}

static cw_str_t set_id(char *buf, const char *prefix, unsigned long long n) {
        size_t k = strlen(prefix);
        memcpy(buf, prefix, k);
        return (cw_str_t){buf, k + put_uint(buf + k, n, 1)};
}

static cw_str_t set_ticket_id(cw_gen_t *g, uint32_t c, uint32_t n) {
        size_t k = 3;
        memcpy(g->ticket_id, "tk-", 3);
        k += put_uint(g->ticket_id + k, c, g->id_width);
        g->ticket_id[k++] = '-';
        k += put_uint(g->ticket_id + k, n, 1);
        return (cw_str_t){g->ticket_id, k};
}

static void fill_fields(cw_gen_t *g, const struct gev *e, struct cw_event *ev) {
        switch (ev->stream) {
        case CW_STREAM_PURCHASE:
                ev->num[3] = e->a;
                ev->str[4] = currencies[e->c];
                ev->str[5] = channels[e->d];
                break;
        case CW_STREAM_LOGIN:
                ev->num[3] = e->a;
                ev->num[4] = e->b;
                ev->str[5] = devices[e->d];
                break;
        case CW_STREAM_TICKET:
                ev->str[3] = set_ticket_id(g, e->cust, (uint32_t)e->a);
                ev->num[4] = e->b;
                ev->str[5] = categories[e->c];
                ev->num[6] = e->d;
                break;
        default:
                ev->num[3] = e->b;
                ev->num[4] = e->a;
                ev->str[5] = e->e == 0   ? (cw_str_t){NULL, 0}
                             : e->e == 1 ? happy_comments[e->c]
                                         : unhappy_comments[e->c];
        }
}

static int emit_day(cw_gen_t *g, int64_t day_start, cw_gen_emit_fn emit,
                    void *opaque) {
        static const char *const prefix[CW_STREAM_COUNT] = {"p-", "l-", "t-",
                                                            "s-"};
        struct cw_event ev;
        int rc;

        memset(&ev, 0, sizeof(ev));
        for (size_t i = 0; i < g->n; i++) {
                const struct gev *e = &g->evs[i];
                int s = (int)(e->key & 3);

                ev.stream = (cw_stream_t)s;
                ev.ts = g->p.start_ms + day_start + (e->key >> 2);
                ev.num[CW_FIELD_TS] = (double)ev.ts;
                ev.str[CW_FIELD_EVENT_ID] =
                        set_id(g->event_id, prefix[s], ++g->count[s]);
                ev.customer_id.p = g->customer_id;
                ev.customer_id.len =
                        cw_gen_customer_id(g, (int)e->cust, g->customer_id);
                ev.str[CW_FIELD_CUSTOMER_ID] = ev.customer_id;
                fill_fields(g, e, &ev);
                if ((rc = emit(opaque, &ev)))
                        return rc;
        }
        return 0;
}

/* ---- the generator ------------------------------------------------- */

static int check_params(const struct cw_gen_params *p, char *errstr,
                        size_t errstr_size) {
        if (p->customers < 1 || p->customers > CW_GEN_MAX_CUSTOMERS)
                snprintf(errstr, errstr_size,
                         "the number of customers must be 1 to %d, not %d",
                         CW_GEN_MAX_CUSTOMERS, p->customers);
        else if (p->days < 1 || p->days > CW_GEN_MAX_DAYS)
                snprintf(errstr, errstr_size,
                         "the number of days must be 1 to %d, not %d",
                         CW_GEN_MAX_DAYS, p->days);
        else if (p->start_ms < 0 ||
                 p->start_ms > INT64_MAX / 2 - (int64_t)p->days * CW_MS_PER_DAY)
                snprintf(errstr, errstr_size,
                         "the start time %lld is out of range (it must be "
                         "at or after 1970-01-01)",
                         (long long)p->start_ms);
        else
                return 0;
        return -1;
}

cw_gen_t *cw_gen_new(const struct cw_gen_params *p, char *errstr,
                     size_t errstr_size) {
        cw_gen_t *g;

        if (check_params(p, errstr, errstr_size))
                return NULL;
        g = calloc(1, sizeof(*g));
        if (!g || !(g->hist = malloc(sizeof(*g->hist) << SORT_BITS)) ||
            !(g->cust = malloc((size_t)p->customers * sizeof(*g->cust)))) {
                snprintf(errstr, errstr_size,
                         "out of memory for a population of %d customers",
                         p->customers);
                cw_gen_destroy(g);
                return NULL;
        }
        g->p = *p;
        g->period_ms = (int64_t)p->days * CW_MS_PER_DAY;
        /* Ids of equal length sort as their numbers do, as labels are. */
        g->id_width = 7;
        for (int n = 10000000; n < p->customers && n < 1000000000; n *= 10)
                g->id_width++;
        for (int c = 0; c < p->customers; c++)
                init_customer(g, (uint32_t)c, &g->cust[c]);
        return g;
}

void cw_gen_destroy(cw_gen_t *g) {
        if (!g)
                return;
        free(g->cust);
        free(g->evs);
        free(g->tmp);
        free(g->hist);
        free(g);
}

int cw_gen_day(cw_gen_t *g, cw_gen_emit_fn emit, void *opaque, char *errstr,
               size_t errstr_size) {
        int64_t start = (int64_t)g->next_day * CW_MS_PER_DAY,
                end = start + CW_MS_PER_DAY;

        if (g->next_day >= g->p.days) {
                snprintf(errstr, errstr_size, "all %d days have been generated",
                         g->p.days);
                return -1;
        }
        g->n = 0;
        for (int c = 0; c < g->p.customers; c++)
                if (customer_day(g, (uint32_t)c, start, end)) {
                        snprintf(errstr, errstr_size,
                                 "out of memory for the events of day %d",
                                 g->next_day);
                        return -1;
                }
        g->next_day++;
        sort_day(g);
        return emit_day(g, start, emit, opaque);
}

int cw_gen_next_day(const cw_gen_t *g) {
        return g->next_day;
}

unsigned long long cw_gen_events(const cw_gen_t *g, cw_stream_t stream) {
        return g->count[stream];
}

int cw_gen_customers(const cw_gen_t *g) {
        return g->p.customers;
}

cw_archetype_t cw_gen_archetype(const cw_gen_t *g, int customer) {
        return (cw_archetype_t)g->cust[customer].arch;
}

int cw_gen_churned_at(const cw_gen_t *g, int customer, int64_t *churned_at) {
        int64_t t = g->cust[customer].churn_at;

        if (t >= g->period_ms)
                return 0;
        *churned_at = g->p.start_ms + t;
        return 1;
}
