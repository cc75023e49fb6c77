#include "timeparse.h"

#include <stdio.h>
#include <string.h>

#include "duration.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at *p into *out; advances *p. */
static int digits(const char **p, int n, int *out) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if ((*p)[i] < '0' || (*p)[i] > '9')
                        return -1;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *out = v;
        return 0;
}

int cw_time_parse(const char *s, int64_t *ms, char *errstr,
                  size_t errstr_size) {
        static const int mdays[] = {31, 29, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
        const char *p = s;
        int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
        size_t n = strspn(s, "0123456789");

        if (n > 0 && n == strlen(s)) {
                if (n > 15)
                        goto out_bad;
                int64_t v = 0;
                for (; *p; p++)
                        v = v * 10 + (*p - '0');
                *ms = v;
                return 0;
        }
        if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
            *p++ != '-' || digits(&p, 2, &d))
                goto out_bad;
        if (*p == 'T' || *p == ' ') {
                p++;
                if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
                        goto out_bad;
                if (*p == ':') {
                        p++;
                        if (digits(&p, 2, &sec))
                                goto out_bad;
                        if (*p == '.') {
                                int scale = 100;
                                p++;
                                if (*p < '0' || *p > '9')
                                        goto out_bad;
                                for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
                                        frac += scale * (*p - '0');
                        }
                }
        }
        if (*p == 'Z')
                p++;
        else if (!strcmp(p, "+00:00"))
                p += 6;
        if (*p)
                goto out_bad;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
            mi > 59 || sec > 59 ||
            (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
                goto out_bad;
        *ms = days_from_civil(y, mo, d) * CW_MS_PER_DAY + h * CW_MS_PER_HOUR +
              mi * INT64_C(60000) + sec * INT64_C(1000) + frac;
        return 0;

out_bad:
        snprintf(errstr, errstr_size,
                 "bad time \"%s\": write epoch milliseconds or ISO-8601 UTC, "
                 "e.g. 2026-11-23 or 2026-11-23T13:33:18Z",
                 s);
        return -1;
}

void cw_time_format(int64_t ms, char *buf, size_t size) {
        int64_t days = ms / CW_MS_PER_DAY, rem = ms % CW_MS_PER_DAY;
        if (rem < 0) {
                rem += CW_MS_PER_DAY;
                days--;
        }
        /* civil_from_days, the inverse of days_from_civil. */
        int64_t z = days + 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        int d = (int)(doy - (153 * mp + 2) / 5 + 1);
        int m = (int)(mp < 10 ? mp + 3 : mp - 9);
        int64_t y = yoe + era * 400 + (m <= 2);
        snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 (long long)y, m, d, (int)(rem / CW_MS_PER_HOUR),
                 (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                 (int)(rem % 1000));
}

void cw_time_format_seconds(int64_t ms, char *buf, size_t size) {
        char full[40];
        size_t n;

        cw_time_format(ms, full, sizeof(full));
        n = strlen(full) - 5; /* ".123Z" */
        snprintf(buf, size, "%.*sZ", (int)n, full);
}
