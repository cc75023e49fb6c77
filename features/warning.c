#include "warning.h"

#include <string.h>

#include "common/hash.h"

const char *const cw_warning_kind_names[2] = {"RULE", "MODEL"};
const char *const cw_warning_state_names[2] = {"FIRING", "RESOLVED"};
const char *const cw_trigger_names[2] = {"EVENT", "TIMER"};

void cw_warning_id(char out[33], cw_str_t customer_id, const char *alert,
                   cw_warning_state_t state, int64_t eval_ts) {
        /* customer_id (<= 256 bytes) NUL alert NUL state eval_ts: the NULs
         * keep ("ab","c") and ("a","bc") apart. */
        unsigned char buf[256 + 1 + 256 + 1 + 1 + 8];
        size_t n = 0, alen = strlen(alert);
        static const char hex[] = "0123456789abcdef";
        uint64_t h[2];

        if (customer_id.len > 256)
                customer_id.len = 256;
        if (alen > 256)
                alen = 256;
        memcpy(buf, customer_id.p, customer_id.len);
        n += customer_id.len;
        buf[n++] = 0;
        memcpy(buf + n, alert, alen);
        n += alen;
        buf[n++] = 0;
        buf[n++] = (unsigned char)state;
        for (int b = 0; b < 8; b++)
                buf[n++] = (unsigned char)((uint64_t)eval_ts >> (8 * b));
        cw_hash128(buf, n, h);
        for (int i = 0; i < 32; i++)
                out[i] = hex[(h[i / 16] >> (60 - 4 * (i % 16))) & 15];
        out[32] = '\0';
}
