/*
 * How one synthetic customer behaves, for the population of devtools/gen.c:
 * its archetype and habits, how active it is when, its moods, and the
 * events it makes one after the other. Internal to devtools/.
 *
 * Each customer draws from a random generator of its own, seeded from
 * (seed, customer number), so its events do not depend on any other
 * customer's.
 */
#ifndef CW_GEN_CUSTOMER_H
#define CW_GEN_CUSTOMER_H

#include <stdint.h>

#include "devtools/gen.h"

#define CW_GEN_NEVER INT64_MAX

/* Ticket categories, and how many comments each mood has: indexes into
 * the value tables of gen.c. */
enum { CW_GEN_BILLING, CW_GEN_QUESTION, CW_GEN_DELIVERY, CW_GEN_COMPLAINT };
#define CW_GEN_COMMENTS 4

/* 88 bytes: a million customers take 88 MB. Times are ms from start. */
struct cw_gen_customer {
        uint64_t rng;
        int64_t next[CW_STREAM_COUNT]; /* next event of each stream */
        int64_t churn_at;              /* CW_GEN_NEVER for those who stay */
        /* declining: the fade starts; complaining: the complaint;
         * late joiner: the first activity; abrupt: the exit survey;
         * dipping: the lull starts */
        int64_t change_at;
        float purchase_days, login_days; /* mean gaps when fully active */
        float amount_cents;              /* the customer's median */
        float span_days;  /* declining: e-folding time; dipping: the lull */
        float level;      /* dipping: activity during the lull */
        uint32_t tickets; /* opened so far */
        uint8_t arch, currency, channel, device, flags;
        uint8_t ticket_stage, ticket_category, ticket_severity;
};

/* An event of the day being generated, before it is sorted. */
struct cw_gen_event {
        uint32_t key;  /* ms of the day << 2 | stream: the sort key */
        uint32_t cust; /* customer number */
        int32_t a;     /* amount_cents, session_seconds, ticket, score */
        uint8_t b;     /* success, ticket status, survey kind */
        uint8_t c;     /* currency, ticket category, comment */
        uint8_t d;     /* channel, device, ticket severity */
        uint8_t e;     /* comment is happy (1) or unhappy (2), 0: none */
};

/* Draws customer number c of the population p describes (period_ms
 * long): archetype, habits, changes and the first events. */
void cw_gen_customer_init(struct cw_gen_customer *k,
                          const struct cw_gen_params *p, int64_t period_ms,
                          uint32_t c);

/* The stream of k's next event, with its time in *t, when it comes
 * before `end` and before k churns; -1 otherwise. */
int cw_gen_customer_next(const struct cw_gen_customer *k, int64_t end,
                         int64_t *t);

/* Makes k's event of stream s at t: fills e->a .. e->e and schedules k's
 * next event of that stream. */
void cw_gen_customer_event(struct cw_gen_customer *k, int s, int64_t t,
                           struct cw_gen_event *e);

#endif
