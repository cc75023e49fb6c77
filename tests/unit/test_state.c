#include "engine_helpers.h"

#define STATE_CFG CW_SOURCE_DIR "/tests/data/configs/good/contract.cfg"

static cw_config_t *load_contract(void) {
        struct cw_diags d;
        cw_config_t *c;
        cw_diags_init(&d);
        c = cw_config_load(STATE_CFG, &d);
        cr_assert_not_null(c);
        cw_diags_free(&d);
        return c;
}

/* A small deterministic mix of the four streams over 120 days. */
static void feed(cw_engine_t *e, int from_day, int to_day) {
        static const char *const custs[] = {"alice", "bob", "carol", "dave",
                                            "eve"};
        for (int day = from_day; day < to_day; day++)
                for (int k = 0; k < 5; k++) {
                        int64_t ts = (int64_t)day * DAY + k * HOUR;
                        if ((day + k) % (k + 2) == 0 &&
                            (day < 60 + 10 * k || day > 110))
                                purchase(e, custs[k], ts, 100 * (k + 1) + day);
                        if ((day * 7 + k) % 11 == 0) {
                                double nums[4] = {0, (day + k) % 4, 0, 3};
                                const char *strs[4] = {
                                        "t1", NULL,
                                        k % 2 ? "complaint" : "billing", NULL};
                                struct cw_event ev =
                                        make_event(CW_STREAM_TICKET, custs[k],
                                                   ts + 1, nums, strs);
                                cw_engine_process(e, &ev);
                        }
                        if ((day + 3 * k) % 17 == 0) {
                                double nums[3] = {0, (day + k) % 11, 0};
                                struct cw_event ev =
                                        make_event(CW_STREAM_SURVEY, custs[k],
                                                   ts + 2, nums, NULL);
                                cw_engine_process(e, &ev);
                        }
                }
}

/* Copies every customer of `from` into `to` through the byte encoding. */
static void copy_state(cw_engine_t *from, cw_engine_t *to) {
        uint8_t buf[4096];
        char err[256];
        for (size_t i = 0; i < cw_engine_customers(from); i++) {
                size_t n = cw_engine_encode_customer(from, i, buf, sizeof(buf));
                cr_assert(n > 0 && n <= sizeof(buf));
                cr_assert_eq(
                        cw_engine_decode_customer(to, buf, n, err, sizeof(err)),
                        0, "%s", err);
        }
        cw_engine_set_stream_time(to, cw_engine_stream_time(from));
}

Test(state, customers_round_trip_to_identical_bytes) {
        cw_config_t *c = load_contract();
        struct recorder ra = {0}, rb = {0};
        char err[256];
        cw_engine_t *a =
                cw_engine_new(&c->engine, record, &ra, err, sizeof(err));
        cw_engine_t *b =
                cw_engine_new(&c->engine, record, &rb, err, sizeof(err));
        uint8_t x[4096], y[4096];

        feed(a, 0, 70);
        cr_assert_eq(cw_engine_customers(a), 5);
        copy_state(a, b);
        cr_assert_eq(cw_engine_customers(b), 5);
        for (size_t i = 0; i < 5; i++) {
                size_t nx = cw_engine_encode_customer(a, i, x, sizeof(x));
                /* The id is after the version, layout and length varints. */
                cr_assert(nx > 4);
                size_t ny = 0;
                for (size_t j = 0; j < 5 && !ny; j++) {
                        ny = cw_engine_encode_customer(b, j, y, sizeof(y));
                        if (ny != nx || memcmp(x, y, nx))
                                ny = 0;
                }
                cr_assert(ny, "customer %zu has no identical copy", i);
        }
        cw_engine_destroy(a);
        cw_engine_destroy(b);
        cw_config_destroy(c);
}

Test(state, a_restored_engine_continues_exactly_like_the_original) {
        cw_config_t *c = load_contract();
        struct recorder *ra = calloc(1, sizeof(*ra)),
                        *rb = calloc(1, sizeof(*rb));
        char err[256];
        cw_engine_t *a =
                cw_engine_new(&c->engine, record, ra, err, sizeof(err));
        cw_engine_t *b =
                cw_engine_new(&c->engine, record, rb, err, sizeof(err));

        feed(a, 0, 45);
        copy_state(a, b);
        int before = ra->n;
        feed(a, 45, 160);
        feed(b, 45, 160);
        cr_assert_gt(
                ra->n - before, 5,
                "the tail must produce warnings: %d before, %d after, b %d",
                before, ra->n - before, rb->n);
        cr_assert_eq(ra->n - before, rb->n);
        for (int i = 0; i < rb->n; i++)
                cr_assert_str_eq(ra->lines[before + i], rb->lines[i]);
        cw_engine_destroy(a);
        cw_engine_destroy(b);
        cw_config_destroy(c);
        free(ra);
        free(rb);
}

Test(state, malformed_or_foreign_bytes_are_rejected) {
        cw_config_t *c = load_contract();
        char err[256];
        cw_engine_t *a =
                cw_engine_new(&c->engine, NULL, NULL, err, sizeof(err));
        uint8_t buf[4096];
        static const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};

        purchase(a, "alice", DAY, 100);
        size_t n = cw_engine_encode_customer(a, 0, buf, sizeof(buf));
        for (size_t cut = 0; cut < n; cut++)
                cr_assert_eq(cw_engine_decode_customer(a, buf, cut, err,
                                                       sizeof(err)),
                             -1, "truncated to %zu bytes", cut);
        cr_assert_eq(cw_engine_decode_customer(a, junk, sizeof(junk), err,
                                               sizeof(err)),
                     -1);
        cr_assert(strstr(err, "another version or configuration"), "%s", err);
        cr_assert_eq(cw_engine_decode_customer(a, buf, n, err, sizeof(err)), 0,
                     "%s", err);
        cr_assert_eq(cw_engine_customers(a), 1);
        cw_engine_destroy(a);
        cw_config_destroy(c);
}

/* Skips one varint at p. */
static size_t skip_varint(const uint8_t *p) {
        size_t n = 0;
        while (p[n++] & 0x80)
                ;
        return n;
}

/* -2^63 as a zig-zag varint: none, as a time. */
static const uint8_t int64_min[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0x01};

/*
 * Encodes alice (one purchase) and decodes that encoding with the varint
 * `after` varints after her id replaced by int64_min: after 0 is last_ts;
 * then last_eval, cur_day, flags, the purchase buckets' count and the
 * first bucket's day delta (after 5). The decode must refuse it as
 * malformed, and take the unchanged encoding.
 */
static void refused_with_int64_min(int after) {
        cw_config_t *c = load_contract();
        char err[256];
        cw_engine_t *a =
                cw_engine_new(&c->engine, NULL, NULL, err, sizeof(err));
        uint8_t buf[256], bad[512];
        size_t n, p = 0, old;

        purchase(a, "alice", DAY, 100);
        n = cw_engine_encode_customer(a, 0, buf, sizeof(buf));
        for (int k = 0; k < 3; k++) /* version, layout, id length */
                p += skip_varint(buf + p);
        p += 5; /* "alice" */
        for (int k = 0; k < after; k++)
                p += skip_varint(buf + p);
        old = skip_varint(buf + p);
        memcpy(bad, buf, p);
        memcpy(bad + p, int64_min, sizeof(int64_min));
        memcpy(bad + p + sizeof(int64_min), buf + p + old, n - p - old);
        cr_assert_eq(cw_engine_decode_customer(a, bad,
                                               n - old + sizeof(int64_min), err,
                                               sizeof(err)),
                     -1);
        cr_assert(strstr(err, "malformed customer state"), "%s", err);
        cr_assert_eq(cw_engine_decode_customer(a, buf, n, err, sizeof(err)), 0,
                     "%s", err);
        cw_engine_destroy(a);
        cw_config_destroy(c);
}

Test(state, a_bucket_day_out_of_range_is_malformed) {
        /* fuzz/regressions/state/bucket-day-delta-overflow: a bucket's day
         * delta of -2^63 overflowed the day arithmetic. */
        refused_with_int64_min(5);
}

Test(state, a_customer_without_a_last_event_is_malformed) {
        /* fuzz/regressions/state/customer-without-a-last-event: a last_ts
         * of none (-2^63) overflowed the eviction test of the next sweep:
         * a customer in state has had an event. */
        refused_with_int64_min(0);
}

Test(state, a_time_no_event_or_sweep_can_give_is_malformed) {
        /* fuzz/regressions/state/alert-since-before-1970: an alert PENDING
         * since -2^63 overflowed `t - since` at the next sweep. The last
         * field of the encoding is the last alert's cooldown_until (-2^63
         * there is none, and allowed). */
        static const uint8_t minus_2_to_62[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0x7f};
        cw_config_t *c = load_contract();
        char err[256];
        cw_engine_t *a =
                cw_engine_new(&c->engine, NULL, NULL, err, sizeof(err));
        uint8_t buf[256], bad[512];
        size_t n, last;

        purchase(a, "alice", DAY, 100);
        n = cw_engine_encode_customer(a, 0, buf, sizeof(buf));
        for (last = n - 1; last > 0 && buf[last - 1] & 0x80; last--)
                ;
        memcpy(bad, buf, last);
        memcpy(bad + last, minus_2_to_62, sizeof(minus_2_to_62));
        cr_assert_eq(cw_engine_decode_customer(a, bad,
                                               last + sizeof(minus_2_to_62),
                                               err, sizeof(err)),
                     -1);
        cr_assert(strstr(err, "malformed customer state"), "%s", err);
        bad[last] = 0x01; /* -1 */
        cr_assert_eq(
                cw_engine_decode_customer(a, bad, last + 1, err, sizeof(err)),
                -1);
        memcpy(bad, buf, n);
        cr_assert_eq(cw_engine_decode_customer(a, bad, n, err, sizeof(err)), 0,
                     "%s", err);
        cw_engine_destroy(a);
        cw_config_destroy(c);
}

Test(state, a_typical_customer_encodes_compactly) {
        cw_config_t *c = load_contract();
        char err[256];
        cw_engine_t *a =
                cw_engine_new(&c->engine, NULL, NULL, err, sizeof(err));
        uint8_t buf[4096];
        for (int d = 0; d < 90; d += 7)
                purchase(a, "customer-000123", (int64_t)d * DAY, 2599);
        size_t n = cw_engine_encode_customer(a, 0, buf, sizeof(buf));
        /* 13 purchase days, two alerts, a 15-byte id. */
        cr_assert_lt(n, 160, "%zu bytes", n);
        cw_engine_destroy(a);
        cw_config_destroy(c);
}

Test(state, state_of_another_window_layout_is_refused) {
        char err[256];
        cw_config_t *c90 = config_from(
                "features = ( { name = \"c\"; stream = "
                "\"login\"; agg = \"count\"; window = \"90d\"; } );\n"
                "rules = ( { name = \"r\"; when = \"c > 100\"; } );");
        cw_config_t *c30 = config_from(
                "features = ( { name = \"c\"; stream = "
                "\"login\"; agg = \"count\"; window = \"30d\"; } );\n"
                "rules = ( { name = \"r\"; when = \"c > 100\"; } );");
        cw_engine_t *a =
                cw_engine_new(&c90->engine, NULL, NULL, err, sizeof(err));
        cw_engine_t *b =
                cw_engine_new(&c30->engine, NULL, NULL, err, sizeof(err));
        uint8_t buf[4096];

        for (int d = 0; d < 90; d += 3)
                login(a, "A", (int64_t)d * DAY, 1, 1);
        size_t n = cw_engine_encode_customer(a, 0, buf, sizeof(buf));
        cr_assert_eq(cw_engine_decode_customer(b, buf, n, err, sizeof(err)),
                     -1);
        cr_assert(strstr(err, "another version or configuration"), "%s", err);
        cr_assert_eq(cw_engine_customers(b), 0);
        cw_engine_destroy(a);
        cw_engine_destroy(b);
        cw_config_destroy(c90);
        cw_config_destroy(c30);
}

Test(state, a_feature_no_alert_reads_holds_no_state) {
        char err[256];
        cw_config_t *lean = config_from(
                "features = ( { name = \"n\"; stream = \"purchase\"; agg = "
                "\"count\"; window = \"30d\"; } );\n"
                "rules = ( { name = \"r\"; when = \"n >= 2\"; } );");
        cw_config_t *more = config_from(
                "features = ( { name = \"n\"; stream = \"purchase\"; agg = "
                "\"count\"; window = \"30d\"; },\n"
                "  { name = \"spend\"; stream = \"purchase\"; agg = \"sum\"; "
                "field = \"amount_cents\"; window = \"90d\"; },\n"
                "  { name = \"last_nps\"; stream = \"survey\"; agg = \"last\"; "
                "field = \"score\"; } );\n"
                "rules = ( { name = \"r\"; when = \"n >= 2\"; } );");
        struct recorder *ra = calloc(1, sizeof(*ra)),
                        *rb = calloc(1, sizeof(*rb));
        cw_engine_t *a =
                cw_engine_new(&lean->engine, record, ra, err, sizeof(err));
        cw_engine_t *b =
                cw_engine_new(&more->engine, record, rb, err, sizeof(err));
        uint8_t x[4096], y[4096];

        for (int d = 0; d < 60; d += 4) {
                purchase(a, "A", (int64_t)d * DAY, 100 + d);
                purchase(b, "A", (int64_t)d * DAY, 100 + d);
        }
        cr_assert_gt(ra->n, 0);
        cr_assert_eq(ra->n, rb->n);
        for (int i = 0; i < ra->n; i++)
                cr_assert_str_eq(ra->lines[i], rb->lines[i]);
        size_t nx = cw_engine_encode_customer(a, 0, x, sizeof(x));
        size_t ny = cw_engine_encode_customer(b, 0, y, sizeof(y));
        /* The same bytes but for the configuration fingerprint. */
        cr_assert_eq(nx, ny);
        cr_assert_eq(cw_engine_memory(a), cw_engine_memory(b));
        cw_engine_destroy(a);
        cw_engine_destroy(b);
        cw_config_destroy(lean);
        cw_config_destroy(more);
        free(ra);
        free(rb);
}
