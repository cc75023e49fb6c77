#include <criterion/criterion.h>
#include <string.h>

#include "common/duration.h"

static int64_t parse_ok(const char *s) {
        char err[256] = "";
        int64_t ms = -1;
        cr_assert_eq(cw_duration_parse(s, &ms, err, sizeof(err)), 0,
                     "\"%s\": %s", s, err);
        return ms;
}

static void parse_fails(const char *s, const char *why) {
        char err[256] = "";
        int64_t ms = 42;
        cr_assert_eq(cw_duration_parse(s, &ms, err, sizeof(err)), -1, "%s", s);
        cr_assert_eq(ms, 42, "a failed parse must not write the result");
        cr_assert(strstr(err, why), "\"%s\" gave: %s", s, err);
}

Test(duration, days_and_hours_become_milliseconds) {
        cr_assert_eq(parse_ok("0d"), 0);
        cr_assert_eq(parse_ok("1d"), 86400000);
        cr_assert_eq(parse_ok("90d"), INT64_C(90) * 86400000);
        cr_assert_eq(parse_ok("12h"), INT64_C(12) * 3600000);
        cr_assert_eq(parse_ok("365d"), INT64_C(365) * 86400000);
}

Test(duration, malformed_durations_are_rejected_with_an_example) {
        parse_fails("", "e.g. \"30d\"");
        parse_fails("d", "bad duration");
        parse_fails("30", "bad duration");
        parse_fails("-1d", "bad duration");
        parse_fails("+1d", "bad duration");
        parse_fails("1.5d", "bad duration");
        parse_fails("30 d", "bad duration");
        parse_fails("30D", "bad duration");
        parse_fails("2w", "bad duration");
        parse_fails("30dd", "bad duration");
}

Test(duration, absurdly_long_durations_are_rejected) {
        parse_fails("36501d", "maximum");
        parse_fails("99999999999999999999d", "maximum");
        cr_assert_eq(parse_ok("36500d"), INT64_C(36500) * 86400000);
}
