/* pipeline/changelog.c: the shard metadata and the offsets header (input
 * offsets, then stream time) of the state changelog, checked byte by byte
 * against layouts written out by hand. No broker: only the codec; the
 * restore's use of them is tested against the embedded broker
 * (tests/kafka/run_abort.sh, run_crash.sh). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "pipeline/changelog.h"
#include "schemas/decode.h"

TestSuite(changelog);

/* A metadata value whose every byte differs (but the stream time's first
 * two: a stream time is before the year 10000), so that a byte moved,
 * swapped or dropped shows. */
static struct cw_shard_meta distinct_meta(void) {
        struct cw_shard_meta m;
        m.stream_time = INT64_C(0x0000e1e2e3e4e5e6);
        m.applied = UINT64_C(0x1112131415161718);
        m.pos.next[CW_STREAM_PURCHASE] = INT64_C(0x2122232425262728);
        m.pos.next[CW_STREAM_LOGIN] = INT64_C(0x3132333435363738);
        m.pos.next[CW_STREAM_TICKET] = INT64_C(0x4142434445464748);
        m.pos.next[CW_STREAM_SURVEY] = INT64_C(0x5152535455565758);
        return m;
}

/* distinct_meta() as the contract of the codec lays it out: a version
 * byte 1, then every number as 8 bytes big-endian. */
static const uint8_t distinct_meta_bytes[] = {
        0x01,                                           /* version */
        0x00, 0x00, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, /* stream time */
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* applied */
        0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, /* purchase */
        0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, /* login */
        0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, /* ticket */
        0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, /* survey */
};

static void assert_bytes(const uint8_t *got, const uint8_t *want, size_t n) {
        for (size_t i = 0; i < n; i++)
                cr_assert_eq(got[i], want[i],
                             "byte %zu is 0x%02x, expected 0x%02x", i, got[i],
                             want[i]);
}

static void assert_same_meta(const struct cw_shard_meta *got,
                             const struct cw_shard_meta *want) {
        cr_assert_eq(got->stream_time, want->stream_time,
                     "stream time %lld, expected %lld",
                     (long long)got->stream_time, (long long)want->stream_time);
        cr_assert_eq(got->applied, want->applied, "applied %llu, expected %llu",
                     (unsigned long long)got->applied,
                     (unsigned long long)want->applied);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                cr_assert_eq(got->pos.next[s], want->pos.next[s],
                             "%s offset %lld, expected %lld",
                             cw_streams[s].name, (long long)got->pos.next[s],
                             (long long)want->pos.next[s]);
}

/* Decodes `bytes` into a structure first filled with a pattern, so that a
 * field left unwritten shows. */
static struct cw_shard_meta decode_or_fail(const uint8_t *bytes, size_t len) {
        struct cw_shard_meta m;
        memset(&m, 0xa5, sizeof(m));
        cr_assert_eq(cw_changelog_decode_meta(bytes, len, &m), 0,
                     "decoding %zu bytes failed", len);
        return m;
}

static void round_trip(const struct cw_shard_meta *m) {
        uint8_t buf[CW_CHANGELOG_META_LEN];
        struct cw_shard_meta back;
        cw_changelog_encode_meta(m, buf);
        back = decode_or_fail(buf, sizeof(buf));
        assert_same_meta(&back, m);
}

/* ---- layout ------------------------------------------------------------ */

Test(changelog, metadata_is_a_version_byte_and_six_big_endian_numbers) {
        struct cw_shard_meta m = distinct_meta();
        uint8_t buf[CW_CHANGELOG_META_LEN + 1];

        cr_assert_eq(CW_CHANGELOG_META_LEN, sizeof(distinct_meta_bytes));
        buf[CW_CHANGELOG_META_LEN] = 0xee; /* must stay as it is */
        cw_changelog_encode_meta(&m, buf);
        assert_bytes(buf, distinct_meta_bytes, sizeof(distinct_meta_bytes));
        cr_assert_eq(buf[CW_CHANGELOG_META_LEN], 0xee,
                     "the encoder wrote past the metadata");
}

Test(changelog, offsets_are_four_big_endian_offsets_in_stream_order) {
        struct cw_positions p;
        uint8_t buf[CW_CHANGELOG_OFFSETS_LEN + 1];
        static const uint8_t want[] = {
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, /* 256 */
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* -1 */
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 0 */
                0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, /* max-1 */
        };

        p.next[CW_STREAM_PURCHASE] = 256;
        p.next[CW_STREAM_LOGIN] = -1;
        p.next[CW_STREAM_TICKET] = 0;
        p.next[CW_STREAM_SURVEY] = INT64_MAX - 1;
        cr_assert_eq(CW_CHANGELOG_OFFSETS_LEN, sizeof(want));
        buf[CW_CHANGELOG_OFFSETS_LEN] = 0xee;
        cw_changelog_encode_offsets(&p, buf);
        assert_bytes(buf, want, sizeof(want));
        cr_assert_eq(buf[CW_CHANGELOG_OFFSETS_LEN], 0xee,
                     "the encoder wrote past the header");
}

Test(changelog, header_is_the_offsets_then_the_stream_time) {
        struct cw_shard_meta m = distinct_meta();
        uint8_t buf[CW_CHANGELOG_HEADER_LEN + 1];

        cr_assert_eq(CW_CHANGELOG_HEADER_LEN, 40);
        buf[CW_CHANGELOG_HEADER_LEN] = 0xee;
        cw_changelog_encode_header(&m.pos, m.stream_time, buf);
        /* distinct_meta_bytes: the positions from byte 17, the stream
         * time from byte 1. */
        assert_bytes(buf, distinct_meta_bytes + 17, CW_CHANGELOG_OFFSETS_LEN);
        assert_bytes(buf + CW_CHANGELOG_OFFSETS_LEN, distinct_meta_bytes + 1,
                     8);
        cr_assert_eq(buf[CW_CHANGELOG_HEADER_LEN], 0xee,
                     "the encoder wrote past the header");
}

Test(changelog, metadata_ends_with_the_offsets_header_of_its_positions) {
        struct cw_shard_meta m = distinct_meta();
        uint8_t meta[CW_CHANGELOG_META_LEN], offsets[CW_CHANGELOG_OFFSETS_LEN];

        cw_changelog_encode_meta(&m, meta);
        cw_changelog_encode_offsets(&m.pos, offsets);
        assert_bytes(meta + 17, offsets, sizeof(offsets));
}

Test(changelog, no_stream_time_is_the_smallest_long_on_the_wire) {
        struct cw_shard_meta m = {.stream_time = CW_TIME_NONE, .applied = 0};
        uint8_t buf[CW_CHANGELOG_META_LEN];
        static const uint8_t want[] = {0x01, 0x80, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00};

        for (int s = 0; s < CW_STREAM_COUNT; s++)
                m.pos.next[s] = -1;
        cw_changelog_encode_meta(&m, buf);
        assert_bytes(buf, want, sizeof(want));
        for (size_t i = 9; i < 17; i++)
                cr_assert_eq(buf[i], 0x00, "applied byte %zu", i);
        for (size_t i = 17; i < CW_CHANGELOG_META_LEN; i++)
                cr_assert_eq(buf[i], 0xff, "offset byte %zu", i);
}

/* ---- decoding ------------------------------------------------------ */

Test(changelog, hand_written_bytes_decode_to_their_numbers) {
        struct cw_shard_meta want = distinct_meta();
        struct cw_shard_meta got = decode_or_fail(distinct_meta_bytes,
                                                  sizeof(distinct_meta_bytes));
        assert_same_meta(&got, &want);
}

Test(changelog, a_new_shard_round_trips_with_no_stream_time_and_no_offsets) {
        struct cw_shard_meta m = {.stream_time = CW_TIME_NONE, .applied = 0};
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                m.pos.next[s] = -1;
        round_trip(&m);
}

Test(changelog, extreme_values_round_trip) {
        struct cw_shard_meta m;
        m.stream_time = CW_TS_MAX;
        m.applied = UINT64_MAX;
        m.pos.next[CW_STREAM_PURCHASE] = INT64_MAX;
        m.pos.next[CW_STREAM_LOGIN] = 0;
        m.pos.next[CW_STREAM_TICKET] = -1;
        m.pos.next[CW_STREAM_SURVEY] = INT64_C(1) << 32;
        round_trip(&m);
        m.stream_time = 0;
        m.applied = UINT64_C(1) << 63; /* the sign bit of the long */
        m.pos.next[CW_STREAM_LOGIN] = INT64_MIN;
        round_trip(&m);
}

Test(changelog, decode_refuses_a_value_one_byte_short_or_long) {
        uint8_t buf[sizeof(distinct_meta_bytes) + 1];
        struct cw_shard_meta m;

        memcpy(buf, distinct_meta_bytes, sizeof(distinct_meta_bytes));
        buf[sizeof(distinct_meta_bytes)] = 0;
        cr_assert_eq(cw_changelog_decode_meta(
                             buf, sizeof(distinct_meta_bytes) - 1, &m),
                     -1);
        cr_assert_eq(cw_changelog_decode_meta(
                             buf, sizeof(distinct_meta_bytes) + 1, &m),
                     -1);
        cr_assert_eq(cw_changelog_decode_meta(buf, 0, &m), -1);
}

Test(changelog, decode_refuses_another_version_byte) {
        uint8_t buf[sizeof(distinct_meta_bytes)];
        struct cw_shard_meta m;
        static const uint8_t versions[] = {0x00, 0x02, 0xff};

        for (size_t i = 0; i < sizeof(versions); i++) {
                memcpy(buf, distinct_meta_bytes, sizeof(buf));
                buf[0] = versions[i];
                cr_assert_eq(cw_changelog_decode_meta(buf, sizeof(buf), &m), -1,
                             "version 0x%02x accepted", versions[i]);
        }
}

Test(changelog, decode_refuses_a_stream_time_no_event_can_have) {
        /* fuzz/regressions/state/stream-time-before-1970: restored, such a
         * stream time made the next event sweep ~10^9 days. */
        static const int64_t bad[] = {-1, INT64_MIN + 1, CW_TS_MAX + 1,
                                      INT64_MAX};
        struct cw_shard_meta m = {.stream_time = 0}, back;
        uint8_t buf[CW_CHANGELOG_META_LEN];

        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                m.stream_time = bad[i];
                cw_changelog_encode_meta(&m, buf);
                cr_assert_eq(cw_changelog_decode_meta(buf, sizeof(buf), &back),
                             -1, "stream time %lld accepted",
                             (long long)bad[i]);
        }
}

/* ---- the metadata key ---------------------------------------------- */

Test(changelog, metadata_key_is_longer_than_any_valid_customer_id) {
        cr_assert_eq(strlen(cw_changelog_meta_key), 257, "the key is %zu bytes",
                     strlen(cw_changelog_meta_key));
        cr_assert_eq(strlen(cw_changelog_meta_key),
                     (size_t)CW_CHANGELOG_META_KEY_LEN);
        cr_assert_gt(strlen(cw_changelog_meta_key), CW_CUSTOMER_ID_MAX);
        cr_assert_eq(strncmp(cw_changelog_meta_key, "churnwatch.", 11), 0,
                     "'%.30s...' does not say whose it is",
                     cw_changelog_meta_key);
}
