/*
 * Customer state records of the state changelog (features/state.c), as a
 * restore applies them: the input is 8 bytes of stream time (big-endian,
 * what the shard's metadata record carries: one that
 * cw_changelog_decode_meta() refuses ends the input), then the record's
 * value, decoded by cw_engine_decode_customer() into an engine of the
 * contract's example configuration (tests/data/configs/good/contract.cfg).
 *
 * A record that decodes is then restored at that stream time, encoded
 * again, and its customer goes on: one more event a day later, and sweeps
 * far enough for state_ttl to evict it. Property: the encoding of a
 * decoded record decodes, and encodes to the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "features/engine.h"
#include "fuzz.h"
#include "pipeline/changelog.h"

#define DAY_MS INT64_C(86400000)

static cw_config_t *config;
static uint8_t first[65536], second[65536];

void cw_fuzz_init(void) {
        config = cw_fuzz_config(
                CW_SOURCE_DIR "/tests/data/configs/good/contract.cfg", NULL);
}

static cw_engine_t *engine(void) {
        char err[256];
        cw_engine_t *e = cw_engine_new(&config->engine, cw_fuzz_no_warning,
                                       NULL, err, sizeof(err));
        if (!e)
                cw_fuzz_fail("engine: %s", err);
        return e;
}

/* The customer id inside an encoding: version, layout, length, id. */
static cw_str_t id_of(const uint8_t *p, size_t n) {
        uint64_t v[3] = {0};
        size_t i = 0;
        cw_str_t id = {NULL, 0};

        for (int k = 0; k < 3; k++)
                for (int shift = 0; i < n && shift < 64; shift += 7) {
                        v[k] |= (uint64_t)(p[i] & 0x7f) << shift;
                        if (!(p[i++] & 0x80))
                                break;
                }
        if (v[2] <= n - i) {
                id.p = (const char *)p + i;
                id.len = (size_t)v[2];
        }
        return id;
}

/* The customer's next event and the sweeps after it. */
static void go_on(cw_engine_t *e, cw_str_t id, int64_t now) {
        struct cw_event ev = {.stream = CW_STREAM_PURCHASE};

        if (now < 0 || now > CW_TS_MAX - 400 * DAY_MS)
                now = 1767225600000; /* 2026-01-01 */
        ev.customer_id = id;
        ev.str[CW_FIELD_CUSTOMER_ID] = id;
        ev.str[CW_FIELD_EVENT_ID] = (cw_str_t){"e", 1};
        ev.str[4] = (cw_str_t){"EUR", 3};
        ev.ts = now + DAY_MS;
        ev.num[CW_FIELD_TS] = (double)ev.ts;
        ev.num[3] = 1999;
        cw_engine_process(e, &ev);
        cw_engine_advance(e, now + 400 * DAY_MS);
}

/* The stream time of the input's first 8 bytes, through the metadata
 * record a restore reads it from: 0, or -1 when that refuses it. */
static int stream_time(const uint8_t *data, int64_t *now) {
        struct cw_shard_meta m = {0};
        uint8_t meta[CW_CHANGELOG_META_LEN];

        for (int i = 0; i < 8; i++)
                m.stream_time =
                        (int64_t)((uint64_t)m.stream_time << 8 | data[i]);
        cw_changelog_encode_meta(&m, meta);
        if (cw_changelog_decode_meta(meta, sizeof(meta), &m))
                return -1;
        *now = m.stream_time;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        cw_engine_t *e, *e2;
        char err[256];
        int64_t now;
        size_t n, n2;

        if (size < 8 || stream_time(data, &now))
                return 0;
        e = engine();
        if (cw_engine_decode_customer(e, data + 8, size - 8, err,
                                      sizeof(err))) {
                cw_engine_destroy(e);
                return 0;
        }
        cw_engine_restored(e, now);
        if (cw_engine_customers(e) != 1)
                cw_fuzz_fail("the decoded customer is not held");
        n = cw_engine_encode_customer(e, 0, first, sizeof(first));
        e2 = engine();
        if (n > sizeof(first) ||
            cw_engine_decode_customer(e2, first, n, err, sizeof(err)))
                cw_fuzz_fail("a restored customer's encoding does not "
                             "decode: %s",
                             err);
        n2 = cw_engine_encode_customer(e2, 0, second, sizeof(second));
        if (n2 != n || memcmp(first, second, n))
                cw_fuzz_fail("decoding and encoding changed the state");
        go_on(e, id_of(first, n), now);
        cw_engine_destroy(e2);
        cw_engine_destroy(e);
        return 0;
}
