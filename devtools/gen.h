/*
 * A synthetic customer population for demos, backtests and benchmarks:
 * purchases, logins, support tickets and surveys of customers who stay,
 * fade away, leave at once, complain and leave, or join late (and in the
 * rich scenario also go quiet for a while and come back), with the
 * ground truth of who churned when.
 *
 * Generation is deterministic for a seed and goes day by day: memory is
 * O(customers) plus one day's events, never O(events), so a million
 * customers over months fit in a few hundred megabytes. No I/O here: each
 * day's events are handed to a callback in processing order.
 */
#ifndef CW_GEN_H
#define CW_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "features/event.h"

#define CW_GEN_MAX_CUSTOMERS 100000000
#define CW_GEN_MAX_DAYS 3650

/*
 * CW_GEN_CLASSIC: the five archetypes as they have always been drawn
 * (a seed gives the same events as before the rich scenario existed).
 * CW_GEN_RICH: single signals are ambiguous, for learning: customers who
 * dip and recover, decliners who complain or grow unhappy first (or not
 * at all), churn spread over the whole period. Shares are in gen_customer.c.
 */
typedef enum cw_gen_scenario {
        CW_GEN_CLASSIC = 0,
        CW_GEN_RICH
} cw_gen_scenario_t;

struct cw_gen_params {
        uint64_t seed;
        int customers; /* 1 .. CW_GEN_MAX_CUSTOMERS */
        int days;      /* 1 .. CW_GEN_MAX_DAYS */
        /* Epoch millis of the period's start; day d covers
         * [start_ms + d * 86400000, start_ms + (d + 1) * 86400000). */
        int64_t start_ms;
        cw_gen_scenario_t scenario; /* CW_GEN_CLASSIC (0) by default */
};

/* What kind of customer one is; the proportions are in gen_customer.c.
 * Dippers (who stay) are only in the rich scenario. */
typedef enum cw_archetype {
        CW_ARCH_STEADY = 0,
        CW_ARCH_DECLINING,
        CW_ARCH_ABRUPT,
        CW_ARCH_COMPLAINING,
        CW_ARCH_LATE_JOINER,
        CW_ARCH_DIPPING,
        CW_ARCH_COUNT
} cw_archetype_t;

extern const char *const cw_archetype_names[CW_ARCH_COUNT];

typedef struct cw_gen cw_gen_t;

/*
 * Receives one event; its strings are valid until the callback returns.
 * Returns 0 to go on, or a positive value to stop the day there.
 */
typedef int (*cw_gen_emit_fn)(void *opaque, const struct cw_event *ev);

/*
 * Draws the whole population (archetype, rates, churn time of every
 * customer). Returns NULL with a sentence in errstr when a parameter is out
 * of range or memory runs out.
 */
cw_gen_t *cw_gen_new(const struct cw_gen_params *p, char *errstr,
                     size_t errstr_size);
void cw_gen_destroy(cw_gen_t *g); /* NULL is a no-op */

/*
 * Generates the next day (0, 1, ... days - 1) and passes its events to
 * `emit` in ascending ts order, ties in stream order (purchase, login,
 * ticket, survey), then by customer. Returns 0; the callback's positive
 * value when it stopped; or -1 with a sentence in errstr when memory ran
 * out or every day has been generated.
 */
int cw_gen_day(cw_gen_t *g, cw_gen_emit_fn emit, void *opaque, char *errstr,
               size_t errstr_size);

/* The next day cw_gen_day() will generate; days when all are done. */
int cw_gen_next_day(const cw_gen_t *g);

/* Events passed to callbacks so far, by stream. */
unsigned long long cw_gen_events(const cw_gen_t *g, cw_stream_t stream);

int cw_gen_customers(const cw_gen_t *g);
cw_archetype_t cw_gen_archetype(const cw_gen_t *g, int customer);

/*
 * Whether `customer` churns within the period; if so *churned_at is when
 * (epoch millis): the customer has no event at or after it. A customer who
 * will churn only after the period is not a churner here.
 */
int cw_gen_churned_at(const cw_gen_t *g, int customer, int64_t *churned_at);

/* Longest customer id, NUL included: "cust-" and up to 9 digits. */
#define CW_GEN_ID_MAX 16

/*
 * "cust-0000042": the id of customer 42 as the events carry it, with as
 * many digits as the largest id needs (at least 7), so that ids sort as
 * their numbers do. Returns its length.
 */
size_t cw_gen_customer_id(const cw_gen_t *g, int customer,
                          char buf[CW_GEN_ID_MAX]);

#endif
