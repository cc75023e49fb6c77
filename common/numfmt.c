#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* |v| < 10^15 and whole, not -0: %.15g prints exactly its digits. */
static size_t format_whole(double v, char *buf) {
        char tmp[24];
        long long n = (long long)v;
        unsigned long long u =
                n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
        size_t len = 0, k = 0;

        do {
                tmp[k++] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (n < 0)
                buf[len++] = '-';
        while (k)
                buf[len++] = tmp[--k];
        buf[len] = 0;
        return len;
}

size_t cw_double_format(double v, char *buf) {
        int n = 0;

        if (v > -1e15 && v < 1e15 && v == trunc(v) && !(v == 0 && signbit(v)))
                return format_whole(v, buf);
        for (int prec = 15; prec <= 17; prec++) {
                n = snprintf(buf, CW_DOUBLE_BUF, "%.*g", prec, v);
                if (isnan(v) || strtod(buf, NULL) == v)
                        break;
        }
        return (size_t)n;
}
