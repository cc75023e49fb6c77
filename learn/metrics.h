/*
 * How well scores rank and flag labelled rows: the area under the ROC
 * curve, precision and recall at a threshold, and the smallest threshold
 * that reaches a precision. A row is flagged when its score >= fire, as a
 * model's alert fires (CONTRACT.md section 3).
 */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* The probability that a random positive row scores above a random
 * negative one, ties counting one half (Mann-Whitney U / (pos * neg)).
 * NaN when the rows hold only one class. O(n log n). */
double cw_metrics_auc(const double *score, const uint8_t *y, size_t n);

struct cw_flagged {
        size_t flagged, true_positives, positives;
        double precision; /* true_positives / flagged; 0 when none flagged */
        double recall;    /* true_positives / positives; 0 when none */
};

/* The rows flagged at fire, and how many of them are positive. */
struct cw_flagged cw_metrics_at(const double *score, const uint8_t *y, size_t n,
                                double fire);

/*
 * The smallest fire with precision >= target: among the rows' distinct
 * scores (any fire between two of them flags the same rows as the upper
 * one). 0 with *fire and its precision in *best, or -1 when no fire
 * reaches the target (memory running out included): then *fire is the
 * threshold of the best precision, *best that precision. O(n log n).
 */
int cw_metrics_fire_for_precision(const double *score, const uint8_t *y,
                                  size_t n, double target, double *fire,
                                  double *best);

#endif
