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

/* ---- state written by earlier engines ------------------------------------
 * What feed(0, 70) left encoded by the engine before the record layout
 * changed (fixed-width buckets, two times per alert): the encoded format
 * did not change with it, so changelogs written then must restore into
 * the state the engine of today reaches on the same events. */

static const char *const contract_v2[] = {
        "02bde8e9aa9f9eda8f5705616c69636584c083e32b80b0b6b52c8a01"
        "001e8a01010301030103010301030103010301030103010301030103"
        "01030103010301030103010301030103010301030103010301030103"
        "01030103010301143c80e086ab2584c083e32b040000ffffffffffff"
        "ffffff010000ffffffffffffffffff01",
        "02bde8e9aa9f9eda8f570365766580a8e1f02b80b0b6b52c8a01000c"
        "8601010b010b010b010b010b010b010b010b010b010b010b010a1880"
        "a8e1f02b84e8fe93240a0000ffffffffffffffffff010000ffffffff"
        "ffffffffff01",
        "02bde8e9aa9f9eda8f5703626f6282eaedb82c82eaedb82c8a010017"
        "86010105010501050105010501050105010501050105010501050105"
        "01050105010501050105010501050105010501142e80fabae62b84aa"
        "a2ef29000000ffffffffffffffffff010000ffffffffffffffffff01",
        "02bde8e9aa9f9eda8f57056361726f6c80d48cc52a80b0b6b52c8a01"
        "00118601010701070107010701070107010701070107010701070107"
        "0107010701070107010e2280d48cc52a8494c1fb27120000ffffffff"
        "ffffffffff010000ffffffffffffffffff01",
        "02bde8e9aa9f9eda8f57046461766580fef69a2b80b0b6b52c8a0100"
        "0e860101090109010901090109010901090109010901090109010901"
        "09010c1c80fef69a2b84fedf87260e0000ffffffffffffffffff0100"
        "00ffffffffffffffffff01",
};
static const char *const example_v2[] = {
        "02bd9de28c8adfdefb2705616c69636584c083e32b80b0b6b52c8a01"
        "001e8a0101c8010301cc010301d0010301d4010301d8010301dc0103"
        "01e0010301e4010301e8010301ec010301f0010301f4010301f80103"
        "01fc0103018002030184020301880203018c02030190020301940203"
        "01980203019c020301a0020301a4020301a8020301ac020301b00203"
        "01b4020301b8020301bc0200023200010615000106058a0100002100"
        "00210000210000210000143ca417bc3c0000000000000406000080e0"
        "86ab25ffffffffffffffffff0184c083e32b040000ffffffffffffff"
        "ffff010000ffffffffffffffffff01020084e086ab250000ffffffff"
        "ffffffffff010000ffffffffffffffffff010000ffffffffffffffff"
        "ff01",
        "02bd9de28c8adfdefb270365766580a8e1f02b80b0b6b52c8a01000c"
        "860101ec070b01f8070b0184080b0190080b019c080b01a8080b01b4"
        "080b01c0080b01cc080b01d8080b01e4080b01f00800033000010615"
        "0001061500010604800100002100002100002100000a18b82ba86400"
        "00000000000606000080a8e1f02bffffffffffffffffff0184e8fe93"
        "240a0000ffffffffffffffffff010000ffffffffffffffffff010200"
        "848882dc1d0000ffffffffffffffffff010000ffffffffffffffffff"
        "010000ffffffffffffffffff01",
        "02bd9de28c8adfdefb2703626f6282eaedb82c82eaedb82c8a010017"
        "860101940305019a030501a0030501a6030501ac030501b2030501b8"
        "030501be030501c4030501ca030501d0030501d6030501dc030501e2"
        "030501e8030501ee030501f4030501fa03050180040501860405018c"
        "04050192040501980400022c01010615010106046e00002100002100"
        "00210000142ee227ba540000000000040406000080fabae62bffffff"
        "ffffffffffff0184aaa2ef29000000ffffffffffffffffff010000ff"
        "ffffffffffffffff01020080d0a2ea200000ffffffffffffffffff01"
        "0000ffffffffffffffffff010280c083e32bffffffffffffffffff01",
        "02bd9de28c8adfdefb27056361726f6c80d48cc52a80b0b6b52c8a01"
        "0011860101dc040701e4040701ec040701f4040701fc040701840507"
        "018c050701940507019c050701a4050701ac050701b4050701bc0507"
        "01c4050701cc050701d4050701dc0500022600010615000106047400"
        "002100002100002100000e22dc26dc580000000000000406000080d4"
        "8cc52affffffffffffffffff018494c1fb27120000ffffffffffffff"
        "ffff010000ffffffffffffffffff01000084a4a5bc2c0000ffffffff"
        "ffffffffff010000ffffffffffffffffff010000ffffffffffffffff"
        "ff01",
        "02bd9de28c8adfdefb27046461766580fef69a2b80b0b6b52c8a0100"
        "0e860101a4060901ae060901b8060901c2060901cc060901d6060901"
        "e0060901ea060901f4060901fe06090188070901920709019c070901"
        "a6070003360001061501010615010106047a00002100002100002100"
        "000c1cce2a865f0000000000040606000080fef69a2bffffffffffff"
        "ffffff0184fedf87260e0000ffffffffffffffffff010000ffffffff"
        "ffffffffff010200ffffffffffffffffff010000ffffffffffffffff"
        "ff010000ffffffffffffffffff010000ffffffffffffffffff01",
};

static void restores_earlier_state(const char *path, const char *const *blobs,
                                   int n) {
        struct cw_diags d;
        cw_config_t *c;
        char err[256];
        cw_engine_t *a, *b;
        uint8_t x[4096], y[4096];

        cw_diags_init(&d);
        c = cw_config_load(path, &d);
        cr_assert_not_null(c);
        a = cw_engine_new(&c->engine, NULL, NULL, err, sizeof(err));
        b = cw_engine_new(&c->engine, NULL, NULL, err, sizeof(err));
        feed(a, 0, 70);
        for (int i = 0; i < n; i++) {
                size_t len = strlen(blobs[i]) / 2;
                for (size_t j = 0; j < len; j++)
                        sscanf(blobs[i] + 2 * j, "%2hhx", &x[j]);
                cr_assert_eq(
                        cw_engine_decode_customer(b, x, len, err, sizeof(err)),
                        0, "%s: %s", path, err);
        }
        cr_assert_eq(cw_engine_customers(b), cw_engine_customers(a));
        for (size_t i = 0; i < cw_engine_customers(a); i++) {
                size_t nx = cw_engine_encode_customer(a, i, x, sizeof(x)), ny;
                const char *id = (const char *)x + 11; /* version, layout */
                ny = cw_engine_encode_customer_id(b, id, (size_t)x[10], y,
                                                  sizeof(y));
                cr_assert(nx == ny && !memcmp(x, y, nx),
                          "%s: customer %zu restores differently", path, i);
        }
        cw_engine_destroy(a);
        cw_engine_destroy(b);
        cw_config_destroy(c);
        cw_diags_free(&d);
}

Test(state, state_written_before_the_layout_changed_restores_the_same) {
        restores_earlier_state(STATE_CFG, contract_v2, 5);
        restores_earlier_state(CW_SOURCE_DIR "/examples/churnwatch.cfg",
                               example_v2, 5);
}
