/*
 * A histogram with fixed upper bounds, as Prometheus keeps one: a count per
 * bucket, the sum and the number of observations. Observing is a short
 * linear scan (a dozen bounds); the cumulative `le` counts are formed only
 * when the histogram is shown.
 */
#ifndef CW_HISTOGRAM_H
#define CW_HISTOGRAM_H

#include <stdint.h>

#define CW_HIST_MAX_BOUNDS 20

struct cw_hist {
        const double *bounds; /* ascending, n of them; borrowed */
        int n;
        /* counts[i]: observations <= bounds[i] and above bounds[i - 1];
         * counts[n]: above the last bound (+Inf) */
        uint64_t counts[CW_HIST_MAX_BOUNDS + 1];
        double sum;
        uint64_t total;
        double max; /* the largest observation, 0 before the first */
};

/* An empty histogram over `bounds` (static storage; n at most
 * CW_HIST_MAX_BOUNDS). */
static inline void cw_hist_init(struct cw_hist *h, const double *bounds,
                                int n) {
        *h = (struct cw_hist){.bounds = bounds,
                              .n = n > CW_HIST_MAX_BOUNDS ? CW_HIST_MAX_BOUNDS
                                                          : n};
}

static inline void cw_hist_observe(struct cw_hist *h, double v) {
        int i = 0;

        while (i < h->n && v > h->bounds[i])
                i++;
        h->counts[i]++;
        h->sum += v;
        h->total++;
        if (v > h->max)
                h->max = v;
}

#endif
