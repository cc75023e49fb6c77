/*
 * What /metrics, /livez and /readyz say (CONTRACT.md section 9), from a
 * snapshot of the pipeline's numbers (pipeline/stats.h): the Prometheus
 * text exposition format 0.0.4, and the health rules. Pure functions: the
 * HTTP server (http.h) and metrics.c call them on the server's thread.
 */
#ifndef CW_EXPOSITION_H
#define CW_EXPOSITION_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "pipeline/stats.h"

/* The loop must have turned within this long for /livez. */
#define CW_LIVE_WITHIN_MS 30000

/*
 * The exposition of `st` (its details included) and `h`, labelled with
 * the alert and topic names of `c`. A malloc'd string (its length in
 * *len), or NULL when memory runs out.
 */
char *cw_metrics_text(const cw_config_t *c, const struct cw_pipeline_stats *st,
                      const struct cw_pipeline_health *h, size_t *len);

/* Whether the instance is ready; if not, the one-line reason ("joining",
 * "restoring 3 of 8 shards", "stopping") in why. */
int cw_metrics_ready(const struct cw_pipeline_health *h, char *why,
                     size_t why_size);

/* Whether the processing loop turned within CW_LIVE_WITHIN_MS of now_ms
 * (monotonic). */
int cw_metrics_live(const struct cw_pipeline_health *h, int64_t now_ms);

#endif
