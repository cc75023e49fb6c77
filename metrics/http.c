#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/hostport.h"
#include "common/log.h"

/* Connections at once, and how long an idle one is kept: a scraper and a
 * few probes need little; a client that opens many, or stalls, cannot
 * take more than this. */
#define MAX_CONNECTIONS 32
#define IDLE_TIMEOUT_S 10

struct cw_http {
        struct MHD_Daemon *d;
        cw_http_handler_t handler;
        void *opaque;
        int port;
};

static enum MHD_Result reply(struct MHD_Connection *conn,
                             struct cw_http_response *r) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(
                r->len, r->body ? r->body : (void *)"",
                r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ok;

        if (!resp) {
                free(r->body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type);
        if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                        "GET, HEAD");
        ok = MHD_queue_response(conn, (unsigned)r->status, resp);
        MHD_destroy_response(resp);
        return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
        cw_http_t *s = cls;
        struct cw_http_response r = {200, "text/plain; charset=utf-8", NULL, 0};
        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)con_cls;

        if (strcmp(method, MHD_HTTP_METHOD_GET) &&
            strcmp(method, MHD_HTTP_METHOD_HEAD)) {
                static const char msg[] = "only GET and HEAD\n";
                r.status = MHD_HTTP_METHOD_NOT_ALLOWED;
                if ((r.body = strdup(msg)))
                        r.len = sizeof(msg) - 1;
                return reply(conn, &r);
        }
        s->handler(s->opaque, url, &r);
        return reply(conn, &r);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        size_t n;
        (void)cls;

        vsnprintf(msg, sizeof(msg), fmt, ap);
        n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = 0;
        cw_warn("http: %s", msg);
}

/* A listening socket on host:port (the first address that binds), or -1
 * with a sentence. *port becomes the port bound. */
static int listen_on(const char *listen_addr, int *port, char *errstr,
                     size_t errstr_size) {
        struct addrinfo hints = {.ai_family = AF_UNSPEC,
                                 .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_PASSIVE},
                        *ai, *a;
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char host[256], serv[16], why[256];
        int fd = -1, on = 1, e;

        if (cw_hostport_parse(listen_addr, host, sizeof(host), port, why,
                              sizeof(why))) {
                snprintf(errstr, errstr_size, "http_listen: %s", why);
                return -1;
        }
        snprintf(serv, sizeof(serv), "%d", *port);
        if ((e = getaddrinfo(host, serv, &hints, &ai))) {
                snprintf(errstr, errstr_size,
                         "http_listen \"%s\": cannot resolve %s: %s",
                         listen_addr, host, gai_strerror(e));
                return -1;
        }
        snprintf(why, sizeof(why), "no address");
        for (a = ai; a && fd < 0; a = a->ai_next) {
                fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
                            a->ai_protocol);
                if (fd < 0)
                        continue;
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
                if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 64)) {
                        snprintf(why, sizeof(why), "%s", strerror(errno));
                        close(fd);
                        fd = -1;
                }
        }
        freeaddrinfo(ai);
        if (fd < 0) {
                snprintf(errstr, errstr_size,
                         "http_listen \"%s\": cannot listen there: %s",
                         listen_addr, why);
                return -1;
        }
        if (!getsockname(fd, (struct sockaddr *)&ss, &len))
                *port = ntohs(ss.ss_family == AF_INET6
                                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                      : ((struct sockaddr_in *)&ss)->sin_port);
        return fd;
}

cw_http_t *cw_http_start(const char *listen_addr, cw_http_handler_t h,
                         void *opaque, char *errstr, size_t errstr_size) {
        cw_http_t *s = calloc(1, sizeof(*s));
        int fd;

        if (!s) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        s->handler = h;
        s->opaque = opaque;
        if ((fd = listen_on(listen_addr, &s->port, errstr, errstr_size)) < 0) {
                free(s);
                return NULL;
        }
        /* One thread of MHD's own polls and answers; it closes the
         * listening socket when stopped. */
        s->d = MHD_start_daemon(
                MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
                (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_END);
        if (!s->d) {
                snprintf(errstr, errstr_size,
                         "http_listen \"%s\": cannot start the HTTP server",
                         listen_addr);
                close(fd);
                free(s);
                return NULL;
        }
        return s;
}

int cw_http_port(const cw_http_t *s) {
        return s->port;
}

void cw_http_stop(cw_http_t *s) {
        if (!s)
                return;
        MHD_stop_daemon(s->d);
        free(s);
}
