/* Numbers as text that reads back as the very same double. */
#ifndef CW_NUMFMT_H
#define CW_NUMFMT_H

#include <stddef.h>

/* Room for any double cw_double_format() writes, NUL included. */
#define CW_DOUBLE_BUF 32

/*
 * Writes v into buf (CW_DOUBLE_BUF bytes) as the shortest of %.15g, %.16g
 * and %.17g that strtod reads back as the same double (17 digits always
 * do), so 0.8 stays 0.8 and 3 stays 3, and the text depends on the value
 * alone; infinities are "inf" and "-inf", NaN "nan" or "-nan". A whole
 * number below 10^15 in magnitude, what counts and sums mostly are, takes
 * a fast path with the same text. Returns the length. Like all of
 * churnwatch it assumes the "C" numeric locale (no setlocale).
 */
size_t cw_double_format(double v, char *buf);

#endif
