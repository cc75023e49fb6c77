/* "HOST:PORT" addresses, as `http_listen` writes them. */
#ifndef CW_HOSTPORT_H
#define CW_HOSTPORT_H

#include <stddef.h>

/*
 * Splits `s` into host and port: "0.0.0.0:9464", "localhost:9464",
 * "[::]:9464" (an IPv6 host in brackets, given back without them). The
 * port is a whole number 0..65535 (0: any free port). 0, or -1 with a
 * sentence in errstr.
 */
int cw_hostport_parse(const char *s, char *host, size_t host_size, int *port,
                      char *errstr, size_t errstr_size);

#endif
