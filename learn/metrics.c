#include "metrics.h"

#include <math.h>
#include <stdlib.h>

struct scored {
        double score;
        uint8_t y;
};

static int by_score_desc(const void *a, const void *b) {
        double x = ((const struct scored *)a)->score,
               z = ((const struct scored *)b)->score;
        return (x < z) - (x > z);
}

/* The rows sorted by descending score; NULL when memory runs out. */
static struct scored *sorted(const double *score, const uint8_t *y, size_t n) {
        struct scored *v = malloc((n ? n : 1) * sizeof(*v));
        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++)
                v[i] = (struct scored){score[i], y[i]};
        qsort(v, n, sizeof(*v), by_score_desc);
        return v;
}

double cw_metrics_auc(const double *score, const uint8_t *y, size_t n) {
        struct scored *v = sorted(score, y, n);
        double pos = 0, neg = 0, u = 0;

        if (!v)
                return NAN;
        /* Walking down the scores, each tie group's positives beat the
         * negatives below it, and half of those tied with them. */
        for (size_t i = 0; i < n;) {
                double p = 0, q = 0;
                size_t j = i;
                for (; j < n && v[j].score == v[i].score; j++)
                        v[j].y ? p++ : q++;
                u += q * pos + q * p / 2;
                pos += p;
                neg += q;
                i = j;
        }
        free(v);
        return pos > 0 && neg > 0 ? u / (pos * neg) : NAN;
}

struct cw_flagged cw_metrics_at(const double *score, const uint8_t *y, size_t n,
                                double fire) {
        struct cw_flagged r = {0};

        for (size_t i = 0; i < n; i++) {
                r.positives += y[i];
                if (score[i] >= fire) {
                        r.flagged++;
                        r.true_positives += y[i];
                }
        }
        r.precision =
                r.flagged ? (double)r.true_positives / (double)r.flagged : 0;
        r.recall = r.positives ? (double)r.true_positives / (double)r.positives
                               : 0;
        return r;
}

int cw_metrics_fire_for_precision(const double *score, const uint8_t *y,
                                  size_t n, double target, double *fire,
                                  double *best) {
        struct scored *v = sorted(score, y, n);
        double tp = 0, flagged = 0, top = -1, top_fire = 1;
        int found = 0;

        *fire = 1;
        *best = 0;
        if (!v)
                return -1;
        /* Lowering fire through the distinct scores flags one tie group
         * more each time; the last group reaching the target wins. */
        for (size_t i = 0; i < n;) {
                size_t j = i;
                double prec;
                for (; j < n && v[j].score == v[i].score; j++) {
                        flagged++;
                        tp += v[j].y;
                }
                prec = tp / flagged;
                if (prec >= target) {
                        *fire = v[i].score;
                        *best = prec;
                        found = 1;
                }
                if (prec > top) {
                        top = prec;
                        top_fire = v[i].score;
                }
                i = j;
        }
        free(v);
        if (!found) {
                *fire = top_fire;
                *best = top < 0 ? 0 : top;
        }
        return found ? 0 : -1;
}
