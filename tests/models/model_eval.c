/*
 * Scores rows with one model of a configuration through the engine's own
 * functions (features/model.h: the score at every evaluation, the
 * contributions and reasons of a warning), for the tests that compare
 * churnwatch with XGBoost's predict() on thousands of rows.
 *
 *   model_eval -c FILE -m MODEL ROWS.csv
 *
 * ROWS.csv: a header of feature names, then one row of numbers per line
 * (an empty field is NaN; a feature not in the header is NaN). Prints one
 * line per row: the score (%.17g), a tab, the reasons joined by ",", a
 * tab, each input's contribution (%.9g) joined by ",".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "features/model.h"
#include "features/warning.h"

#define MAX_COLS 256

/* Splits line at commas in place; returns the number of fields. */
static int split(char *line, char **fields) {
        int n = 0;
        line[strcspn(line, "\r\n")] = '\0';
        fields[n++] = line;
        for (char *p = line; *p && n < MAX_COLS; p++)
                if (*p == ',') {
                        *p = '\0';
                        fields[n++] = p + 1;
                }
        return n;
}

static int score_rows(const cw_engine_conf_t *e, const struct cw_alert *a,
                      FILE *in) {
        char line[65536], *fields[MAX_COLS];
        int col_feature[MAX_COLS], n_cols;
        double *values = calloc((size_t)e->n_features + 1, sizeof(double));
        double contrib[CW_TREES_MAX_FEATURES];
        const char *reasons[CW_WARNING_MAX_REASONS];
        int rc = 1;

        if (!values || !fgets(line, sizeof(line), in))
                goto out_free;
        n_cols = split(line, fields);
        for (int c = 0; c < n_cols; c++)
                if ((col_feature[c] = cw_engine_conf_feature(
                             e, fields[c], strlen(fields[c]))) < 0) {
                        fprintf(stderr, "no feature '%s'\n", fields[c]);
                        goto out_free;
                }
        while (fgets(line, sizeof(line), in)) {
                if (split(line, fields) != n_cols) {
                        fprintf(stderr, "a row without %d fields\n", n_cols);
                        goto out_free;
                }
                for (int f = 0; f < e->n_features; f++)
                        values[f] = NAN;
                for (int c = 0; c < n_cols; c++)
                        if (*fields[c])
                                values[col_feature[c]] =
                                        strtod(fields[c], NULL);
                double score = cw_model_score(a, values, contrib);
                cw_model_contrib(a, values, contrib);
                int n = cw_model_reasons(e, a, contrib, reasons,
                                         CW_WARNING_MAX_REASONS);
                printf("%.17g\t", score);
                for (int i = 0; i < n; i++)
                        printf("%s%s", i ? "," : "", reasons[i]);
                for (int i = 0; i < a->n_inputs; i++)
                        printf("%s%.9g", i ? "," : "\t", contrib[i]);
                printf("\n");
        }
        rc = 0;
out_free:
        free(values);
        return rc;
}

int main(int argc, char **argv) {
        struct cw_diags d;
        cw_config_t *c;
        FILE *in;
        int ai, rc;

        if (argc != 6 || strcmp(argv[1], "-c") || strcmp(argv[3], "-m")) {
                fprintf(stderr,
                        "usage: model_eval -c FILE -m MODEL ROWS.csv\n");
                return 2;
        }
        cw_diags_init(&d);
        if (!(c = cw_config_load(argv[2], &d))) {
                for (int i = 0; i < d.n; i++)
                        fprintf(stderr, "%s\n", d.msgs[i]);
                cw_diags_free(&d);
                return 1;
        }
        cw_diags_free(&d);
        ai = cw_engine_conf_alert(&c->engine, argv[4]);
        if (ai < 0 || c->engine.alerts[ai].kind != CW_ALERT_MODEL ||
            !(in = fopen(argv[5], "r"))) {
                fprintf(stderr, "no model '%s' or no file %s\n", argv[4],
                        argv[5]);
                cw_config_destroy(c);
                return 1;
        }
        rc = score_rows(&c->engine, &c->engine.alerts[ai], in);
        fclose(in);
        cw_config_destroy(c);
        return rc;
}
