#include "hostport.h"

#include <stdio.h>
#include <string.h>

int cw_hostport_parse(const char *s, char *host, size_t host_size, int *port,
                      char *errstr, size_t errstr_size) {
        const char *colon = strrchr(s, ':'), *h = s, *h_end = colon;
        long p = 0;

        if (!colon || colon == s || !colon[1])
                goto bad;
        if (*s == '[') { /* [v6]:port */
                if (colon[-1] != ']' || colon - s < 3)
                        goto bad;
                h = s + 1;
                h_end = colon - 1;
        } else if (memchr(s, ':', (size_t)(colon - s))) {
                goto bad; /* an IPv6 host must be in brackets */
        }
        for (const char *q = colon + 1; *q; q++) {
                if (*q < '0' || *q > '9' || q - colon > 5)
                        goto bad;
                p = p * 10 + (*q - '0');
        }
        if (p > 65535 || (size_t)(h_end - h) >= host_size)
                goto bad;
        memcpy(host, h, (size_t)(h_end - h));
        host[h_end - h] = 0;
        *port = (int)p;
        return 0;
bad:
        snprintf(errstr, errstr_size,
                 "\"%s\" is not HOST:PORT (a port 0..65535; e.g. "
                 "\"0.0.0.0:9464\", \"127.0.0.1:9464\" or \"[::]:9464\")",
                 s);
        return -1;
}
