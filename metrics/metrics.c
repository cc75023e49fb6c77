#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "exposition.h"
#include "http.h"

struct cw_metrics {
        const cw_config_t *c;
        const cw_pipeline_t *p;
        struct cw_pipeline_stats *snap; /* the server thread's copy */
        cw_http_t *http;
};

/* A one-line plain-text body. */
static void say(struct cw_http_response *r, int status, const char *line) {
        size_t n = strlen(line);

        r->status = status;
        if ((r->body = malloc(n + 2))) {
                memcpy(r->body, line, n);
                memcpy(r->body + n, "\n", 2);
                r->len = n + 1;
        }
}

static void get_metrics(cw_metrics_t *m, struct cw_http_response *r) {
        struct cw_pipeline_health h;

        cw_pipeline_health(m->p, &h);
        if (cw_pipeline_snapshot(m->p, m->snap)) {
                say(r, 503, "no numbers published yet");
                return;
        }
        if (!(r->body = cw_metrics_text(m->c, m->snap, &h, &r->len))) {
                say(r, 500, "out of memory");
                return;
        }
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void on_request(void *opaque, const char *path,
                       struct cw_http_response *r) {
        cw_metrics_t *m = opaque;
        struct cw_pipeline_health h;
        char why[128];

        if (!strcmp(path, "/metrics")) {
                get_metrics(m, r);
        } else if (!strcmp(path, "/livez")) {
                cw_pipeline_health(m->p, &h);
                if (cw_metrics_live(&h, cw_mono_ms()))
                        say(r, 200, "ok");
                else
                        say(r, 503,
                            "the processing loop has not turned "
                            "for 30 s");
        } else if (!strcmp(path, "/readyz")) {
                cw_pipeline_health(m->p, &h);
                int ready = cw_metrics_ready(&h, why, sizeof(why));
                say(r, ready ? 200 : 503, why);
        } else {
                say(r, 404,
                    "not found: /metrics, /livez and /readyz are "
                    "served");
        }
}

cw_metrics_t *cw_metrics_start(const cw_config_t *c, const cw_pipeline_t *p,
                               char *errstr, size_t errstr_size) {
        cw_metrics_t *m = calloc(1, sizeof(*m));

        if (!m || !(m->snap = cw_pipeline_stats_new(p))) {
                snprintf(errstr, errstr_size, "out of memory");
                cw_metrics_stop(m);
                return NULL;
        }
        m->c = c;
        m->p = p;
        if (!(m->http = cw_http_start(c->http_listen, on_request, m, errstr,
                                      errstr_size))) {
                cw_metrics_stop(m);
                return NULL;
        }
        cw_info("metrics: serving /metrics, /livez and /readyz on %s "
                "(port %d)",
                c->http_listen, cw_http_port(m->http));
        return m;
}

void cw_metrics_stop(cw_metrics_t *m) {
        if (!m)
                return;
        cw_http_stop(m->http);
        cw_pipeline_stats_free(m->snap);
        free(m);
}
