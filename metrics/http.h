/*
 * A small HTTP/1.1 server on its own thread (GNU libmicrohttpd, Debian's
 * libmicrohttpd12): GET and HEAD only (405 with `Allow: GET, HEAD`
 * otherwise), one handler for every path. It parses HTTP, so churnwatch
 * does not; all it adds is the listening socket (so that a port taken is
 * a clear error, and port 0 a free port) and the method rule.
 */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <stddef.h>

typedef struct cw_http cw_http_t;

struct cw_http_response {
        int status;               /* 200 unless the handler says otherwise */
        const char *content_type; /* static; "text/plain; charset=utf-8" */
        char *body;               /* malloc'd, taken; NULL: empty */
        size_t len;
};

/* Answers a GET or HEAD of `path` (no query string) into r; unknown paths
 * get 404. Runs on the server's thread, one request at a time. */
typedef void (*cw_http_handler_t)(void *opaque, const char *path,
                                  struct cw_http_response *r);

/*
 * Listens on `listen` ("HOST:PORT", common/hostport.h) and serves with
 * h(opaque, ...) until cw_http_stop(). NULL with a sentence (an address
 * that does not resolve, a port in use) otherwise.
 */
cw_http_t *cw_http_start(const char *listen, cw_http_handler_t h, void *opaque,
                         char *errstr, size_t errstr_size);

/* The port it listens on (the one chosen, for port 0). */
int cw_http_port(const cw_http_t *s);

/* Stops serving (waiting for a request being answered) and frees. NULL
 * is a no-op. */
void cw_http_stop(cw_http_t *s);

#endif
