/*
 * The metrics and health endpoint of `run` and `demo` (CONTRACT.md
 * section 9): `http_listen` serves /metrics, /livez and /readyz from the
 * numbers a pipeline publishes (pipeline/stats.h), on the HTTP server's
 * own thread. Serving reads a snapshot and the health fields, each under
 * a lock held for a copy: it never slows processing down, and a stalled
 * processing thread cannot stall it.
 */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stddef.h>

#include "config/config.h"
#include "pipeline/pipeline.h"

typedef struct cw_metrics cw_metrics_t;

/* How often the pipeline should publish its numbers for the endpoint
 * (cw_pipeline_opts.publish_ms). */
#define CW_METRICS_PUBLISH_MS 250

/*
 * Serves c->http_listen from p (made with publish_ms set) until
 * cw_metrics_stop(); logs the address. `c` and `p` must outlive it. NULL
 * with a sentence (an address in use, ...).
 */
cw_metrics_t *cw_metrics_start(const cw_config_t *c, const cw_pipeline_t *p,
                               char *errstr, size_t errstr_size);

/* Stops serving and frees (before the pipeline is destroyed). NULL is a
 * no-op. */
void cw_metrics_stop(cw_metrics_t *m);

#endif
