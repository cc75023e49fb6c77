/* registry/framed.c: the Confluent wire format of a value (magic byte 0,
 * the schema id big-endian, the Avro body). */
#include <criterion/criterion.h>

#include <string.h>

#include "registry/framed.h"

TestSuite(framed);

Test(framed, the_header_is_the_magic_byte_then_the_id_big_endian) {
        uint8_t h[CW_FRAME_HEADER_LEN];
        static const uint8_t want[] = {0, 0x01, 0x02, 0x03, 0x04};
        cw_frame_header(h, 0x01020304);
        cr_assert_eq(memcmp(h, want, sizeof(want)), 0);
}

Test(framed, a_framed_value_reads_back_its_id_and_keeps_its_body) {
        struct cw_frame_buf b = {0};
        const void *v;
        size_t len;
        int32_t id = 0;
        char why[256];

        for (int round = 0; round < 2; round++) {
                cr_assert_eq(
                        cw_frame_value(&b, 123456 + round, "body", 4, &v, &len),
                        0);
                cr_assert_eq(len, CW_FRAME_HEADER_LEN + 4);
                cr_assert_eq(memcmp((const char *)v + 5, "body", 4), 0);
                cr_assert_eq(cw_frame_id(v, len, &id, why, sizeof(why)), 0);
                cr_assert_eq(id, 123456 + round);
        }
        cw_frame_buf_free(&b);
        cr_assert_null(b.p);
}

Test(framed, short_values_other_magic_bytes_and_ids_not_positive_are_bad) {
        static const uint8_t shrt[] = {0, 0, 0, 1};
        static const uint8_t magic[] = {1, 0, 0, 0, 1, 9};
        static const uint8_t zero[] = {0, 0, 0, 0, 0, 9};
        static const uint8_t neg[] = {0, 0x80, 0, 0, 1, 9};
        char why[256];
        int32_t id;

        cr_assert_eq(cw_frame_id(shrt, sizeof(shrt), &id, why, sizeof(why)),
                     -1);
        cr_assert_not_null(strstr(why, "4 bytes is shorter than the 5-byte"));
        cr_assert_eq(cw_frame_id(magic, sizeof(magic), &id, why, sizeof(why)),
                     -1);
        cr_assert_not_null(strstr(why, "0x01, not the Confluent magic byte"));
        cr_assert_eq(cw_frame_id(zero, sizeof(zero), &id, why, sizeof(why)),
                     -1);
        cr_assert_not_null(strstr(why, "schema id 0 is not"));
        cr_assert_eq(cw_frame_id(neg, sizeof(neg), &id, why, sizeof(why)), -1);
        cr_assert_not_null(strstr(why, "schema id -2147483647 is not"), "%s",
                           why);
}
