#include "duration.h"

#include <stdio.h>

int cw_duration_parse(const char *s, int64_t *ms, char *errstr,
                      size_t errstr_size) {
        int64_t n = 0;
        const char *p = s;

        if (*p < '0' || *p > '9')
                goto out_bad;
        for (; *p >= '0' && *p <= '9'; p++) {
                n = n * 10 + (*p - '0');
                if (n > CW_DURATION_MAX_DAYS * 24)
                        goto out_too_long;
        }
        if (p[0] == 'd' && p[1] == '\0') {
                if (n > CW_DURATION_MAX_DAYS)
                        goto out_too_long;
                *ms = n * CW_MS_PER_DAY;
                return 0;
        }
        if (p[0] == 'h' && p[1] == '\0') {
                *ms = n * CW_MS_PER_HOUR;
                return 0;
        }
out_bad:
        snprintf(errstr, errstr_size,
                 "bad duration \"%s\": write a whole number of days or hours, "
                 "e.g. \"30d\" or \"12h\"",
                 s);
        return -1;
out_too_long:
        snprintf(errstr, errstr_size,
                 "duration \"%s\" is longer than the maximum of %d days", s,
                 CW_DURATION_MAX_DAYS);
        return -1;
}
