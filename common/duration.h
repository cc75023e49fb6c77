/* Durations of the configuration language: "<n>d" or "<n>h". */
#ifndef CW_DURATION_H
#define CW_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define CW_MS_PER_HOUR INT64_C(3600000)
#define CW_MS_PER_DAY INT64_C(86400000)

/* The UTC day of ts (CONTRACT.md section 2): floor(ts / 86400000). */
static inline int32_t cw_day_of(int64_t ts) {
        int64_t d = ts / CW_MS_PER_DAY;
        if (ts % CW_MS_PER_DAY < 0)
                d--;
        return (int32_t)d;
}

/* Longest accepted duration: 100 years keeps every sum of times in range. */
#define CW_DURATION_MAX_DAYS 36500

/*
 * Parses "<n>d" or "<n>h" (n a non-negative decimal integer, no sign, no
 * spaces) into milliseconds. Returns 0, or -1 with a sentence in errstr.
 */
int cw_duration_parse(const char *s, int64_t *ms, char *errstr,
                      size_t errstr_size);

#endif
