#include <criterion/criterion.h>
#include <string.h>

#include "common/timeparse.h"

static int64_t ok(const char *s) {
        char err[256] = "";
        int64_t ms = -1;
        cr_assert_eq(cw_time_parse(s, &ms, err, sizeof(err)), 0, "%s: %s", s,
                     err);
        return ms;
}

static void bad(const char *s) {
        char err[256] = "";
        int64_t ms;
        cr_assert_eq(cw_time_parse(s, &ms, err, sizeof(err)), -1, "%s", s);
        cr_assert(strstr(err, "ISO-8601"), "%s", err);
}

Test(timeparse, epoch_millis_and_iso_dates_agree) {
        cr_assert_eq(ok("0"), 0);
        cr_assert_eq(ok("1700000000000"), 1700000000000LL);
        cr_assert_eq(ok("1970-01-01"), 0);
        cr_assert_eq(ok("2023-11-14T22:13:20Z"), 1700000000000LL);
        cr_assert_eq(ok("2023-11-14T22:13:20.000Z"), 1700000000000LL);
        cr_assert_eq(ok("2023-11-14 22:13:20+00:00"), 1700000000000LL);
        cr_assert_eq(ok("2023-11-14T22:13:20.5"), 1700000000500LL);
        cr_assert_eq(ok("2023-11-14T22:13:20.123Z"), 1700000000123LL);
        cr_assert_eq(ok("2024-02-29T00:00"), 1709164800000LL);
        cr_assert_eq(ok("2000-03-01"), 951868800000LL);
}

Test(timeparse, malformed_times_and_other_zones_are_refused) {
        bad("");
        bad("yesterday");
        bad("2023-13-01");
        bad("2023-02-29");
        bad("1900-02-29");
        bad("2023-11-14T25:00");
        bad("2023-11-14T22:13:20+01:00");
        bad("2023-11-14T22:13:20.Z");
        bad("-5");
        bad("12e3");
}

Test(timeparse, formatting_inverts_parsing) {
        char buf[40];
        cw_time_format(1700000000123LL, buf, sizeof(buf));
        cr_assert_str_eq(buf, "2023-11-14T22:13:20.123Z");
        cw_time_format(-1, buf, sizeof(buf));
        cr_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
        cw_time_format(951868800000LL, buf, sizeof(buf));
        cr_assert_str_eq(buf, "2000-03-01T00:00:00.000Z");
}
