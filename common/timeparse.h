/* Points in time on the command line and in label files. */
#ifndef CW_TIMEPARSE_H
#define CW_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses epoch milliseconds ("1700000000000") or ISO-8601 UTC:
 * "2026-11-23", "2026-11-23T13:33", "2026-11-23T13:33:18",
 * "2026-11-23T13:33:18.123", each optionally followed by "Z" or "+00:00"
 * (a space may stand for the "T"). Other offsets are refused: every time in
 * churnwatch is UTC. Returns 0, or -1 with a sentence in errstr.
 */
int cw_time_parse(const char *s, int64_t *ms, char *errstr, size_t errstr_size);

/* Formats ms as "2026-11-23T13:33:18.123Z" into buf (at least 32 bytes). */
void cw_time_format(int64_t ms, char *buf, size_t size);

/* The same to the second: "2026-11-23T13:33:18Z" (milliseconds dropped),
 * as training sets write their sample times. */
void cw_time_format_seconds(int64_t ms, char *buf, size_t size);

#endif
