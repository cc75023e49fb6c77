/*
 * Which proofs wake.c makes (docs/architecture.md, "Sweeps that skip"):
 * none where it cannot pay (a customer buying several times a day), long
 * ones for a customer gone quiet, and the same warnings either way as an
 * engine that sweeps everyone.
 */
#include "engine_helpers.h"

#define BUSY_DAYS 40

static const char *const CFG =
        "features = ( { name = \"n30\"; stream = \"purchase\"; "
        "agg = \"count\"; window = \"30d\"; } );\n"
        "rules = ( { name = \"many\"; when = \"n30 >= 70\"; "
        "clear = \"n30 < 60\"; } );";

struct run {
        cw_config_t *cfg;
        cw_engine_t *e;
        struct recorder *rec;
};

/* "busy" buys three times a day for BUSY_DAYS days (its `many` fires on
 * day 23 and resolves after it stops), "quiet" once on day 0. */
static void feed(struct run *r, int everyone) {
        char err[256];

        r->rec = calloc(1, sizeof(*r->rec));
        cr_assert_not_null(r->rec);
        r->cfg = config_from(CFG);
        r->e = cw_engine_new(&r->cfg->engine, record, r->rec, err, sizeof(err));
        cr_assert_not_null(r->e, "%s", err);
        cw_engine_sweep_everyone(r->e, everyone);
        purchase(r->e, "quiet", 5 * HOUR, 10);
        for (int d = 0; d < BUSY_DAYS; d++)
                for (int h = 1; h <= 3; h++)
                        purchase(r->e, "busy", d * DAY + 8 * HOUR * h, 10);
        cw_engine_advance(r->e, (BUSY_DAYS + 40) * DAY);
}

static void done(struct run *r) {
        cw_engine_destroy(r->e);
        cw_config_destroy(r->cfg);
        free(r->rec);
}

Test(wake, proofs_only_where_they_pay_and_the_same_warnings) {
        struct run skip, all;
        const struct cw_engine_stats *s;

        feed(&skip, 0);
        feed(&all, 1);
        s = cw_engine_stats(skip.e);
        /* Every full evaluation of busy's 120 events would be a proof; a
         * proof at an event after another the same day reaches one day
         * (cannot pay), and those at its first event of a day are voided
         * by the next one: the engine learns to leave them out. */
        cr_assert_lt(s->proofs, 60, "%llu proofs",
                     (unsigned long long)s->proofs);
        /* quiet is proved at visits, further as it stays quiet: days 2-3,
         * 5-12, 14-39, ... are skipped; busy after it stops too. */
        cr_assert_gt(s->skipped, 100, "%llu skipped",
                     (unsigned long long)s->skipped);
        cr_assert_eq(cw_engine_stats(all.e)->skipped, 0);
        cr_assert_gt(skip.rec->n, 1, "busy's alert fires and resolves");
        cr_assert_eq(skip.rec->n, all.rec->n);
        for (int i = 0; i < all.rec->n; i++)
                cr_assert_str_eq(skip.rec->lines[i], all.rec->lines[i]);
        done(&skip);
        done(&all);
}
