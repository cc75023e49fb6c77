/*
 * One model alone: the time of a score (what every evaluation pays) and of
 * its contributions (what every warning of the model pays), over rows of
 * feature values taken from a replay's warnings. Prints the best of 5
 * passes over the rows.
 *
 *   bench_model -c FILE -m MODEL WARNINGS.jsonl
 *
 * A row is the `features` map of one warning (an absent feature is NaN);
 * bench/xgboost.sh feeds it its probe rule's warnings, which carry every
 * feature.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "features/model.h"

#define MAX_ROWS 200000

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rows of every feature's value, from the "features" maps of the lines. */
static double *read_rows(FILE *in, const cw_engine_conf_t *e, int *n_rows) {
        int nf = e->n_features;
        double *v = malloc((size_t)MAX_ROWS * (size_t)nf * sizeof(*v));
        char line[8192], key[160];

        *n_rows = 0;
        while (v && *n_rows < MAX_ROWS && fgets(line, sizeof(line), in)) {
                const char *map = strstr(line, "\"features\":{");
                for (int f = 0; f < nf; f++) {
                        const char *p;
                        snprintf(key, sizeof(key),
                                 "\"%s\":", e->features[f].name);
                        p = map ? strstr(map, key) : NULL;
                        v[*n_rows * nf + f] =
                                p ? strtod(p + strlen(key), NULL) : NAN;
                }
                (*n_rows)++;
        }
        return v;
}

/* Best of 5 passes, in ns per row: scores, or contributions. */
static double time_rows(const struct cw_alert *a, const double *v, int n,
                        int nf, int contributions, double *sink) {
        double contrib[64], best = 1e30;
        for (int pass = 0; pass < 5; pass++) {
                double start = now_s();
                for (int i = 0; i < n; i++) {
                        if (contributions) {
                                cw_model_contrib(a, v + (size_t)i * nf,
                                                 contrib);
                                *sink += contrib[0];
                        } else {
                                *sink += cw_model_score(a, v + (size_t)i * nf,
                                                        contrib);
                        }
                }
                double t = (now_s() - start) / n * 1e9;
                best = t < best ? t : best;
        }
        return best;
}

int main(int argc, char **argv) {
        struct cw_diags d;
        cw_config_t *c;
        FILE *in;
        double *rows, sink = 0;
        int ai, n;

        if (argc != 6 || strcmp(argv[1], "-c") || strcmp(argv[3], "-m")) {
                fprintf(stderr,
                        "usage: bench_model -c FILE -m MODEL WARNINGS.jsonl\n");
                return 2;
        }
        cw_diags_init(&d);
        if (!(c = cw_config_load(argv[2], &d))) {
                fprintf(stderr, "%s\n", d.n ? d.msgs[0] : "bad configuration");
                return 1;
        }
        cw_diags_free(&d);
        ai = cw_engine_conf_alert(&c->engine, argv[4]);
        if (ai < 0 || c->engine.alerts[ai].kind != CW_ALERT_MODEL ||
            !(in = fopen(argv[5], "r"))) {
                fprintf(stderr, "no model %s, or no file %s\n", argv[4],
                        argv[5]);
                return 1;
        }
        rows = read_rows(in, &c->engine, &n);
        fclose(in);
        if (!rows || !n) {
                fprintf(stderr, "no rows in %s\n", argv[5]);
                return 1;
        }
        const struct cw_alert *a = &c->engine.alerts[ai];
        int nf = c->engine.n_features;
        double score = time_rows(a, rows, n, nf, 0, &sink);
        double contrib = time_rows(a, rows, n, nf, 1, &sink);
        printf("model %s: %d rows, %.1f ns per score, %.1f ns per "
               "contributions (checksum %.6g)\n",
               argv[4], n, score, contrib, sink);
        free(rows);
        cw_config_destroy(c);
        return 0;
}
