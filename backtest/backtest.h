/*
 * Backtest scoring (CONTRACT.md section 7): churn labels, and per alert how
 * many customers it warned, how many of them churned afterwards, precision,
 * recall and lead time. Fed by replay: every applied event's customer (the
 * population) and every warning; written as DIR/report.json.
 *
 * Memory: one entry per customer of the population (id, one first-warning
 * time per alert). Not thread-safe.
 */
#ifndef CW_BACKTEST_H
#define CW_BACKTEST_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "features/warning.h"

typedef struct cw_backtest cw_backtest_t;

/*
 * --sweep MODEL.fire=START:STOP:STEP (CONTRACT.md section 7): adds to `c`
 * a variant of model MODEL for each of START, START + STEP, ... up to STOP
 * inclusive (cw_engine_conf_add_variant), at most 256 in all. Call before
 * cw_backtest_new() and before any engine is made. 0, or -1 with a
 * sentence (a usage error).
 */
int cw_backtest_add_sweep(cw_engine_conf_t *c, const char *spec, char *errstr,
                          size_t errstr_size);

/*
 * Reads LABELS.csv: header `customer_id,churned_at`, then one customer a
 * line, churned_at ISO-8601 UTC or epoch millis. Warnings count when their
 * eval_ts is in [from, to]. NULL with "file:line: sentence" on error.
 */
cw_backtest_t *cw_backtest_new(const cw_config_t *c, const char *labels,
                               int64_t from, int64_t to, char *errstr,
                               size_t errstr_size);
void cw_backtest_destroy(cw_backtest_t *b); /* NULL is a no-op */

/* A customer with an applied event: part of the population. 0, or -1 when
 * memory runs out; then cw_backtest_write() fails too. */
int cw_backtest_applied(cw_backtest_t *b, const char *id, size_t len);

/* A warning written by the replay. 0, or -1 when memory runs out. */
int cw_backtest_warning(cw_backtest_t *b, const struct cw_warning *w);

/*
 * Writes DIR/report.json and DIR/report.html (DIR is created when missing).
 * 0, or -1 with a sentence.
 */
int cw_backtest_write(const cw_backtest_t *b, const char *dir, char *errstr,
                      size_t errstr_size);

/*
 * The report's rows: every alert as written (variant "base"), the row
 * "any" (every alert as written, together), then each sweep variant.
 */
int cw_backtest_rows(const cw_backtest_t *b);

struct cw_backtest_row {
        const char *alert;   /* alert name, or "any" */
        const char *variant; /* "base" or "fire=<v>" */
        int alert_index;     /* in the configuration; -1 for "any" */
        int model;           /* the alert as written it derives from, or -1 */
        uint64_t warned, true_positives, positives;
        double precision, recall;
        int has_lead; /* lead times exist (true_positives > 0) */
        double lead_p10, lead_p50, lead_p90; /* days */
        double *lead; /* every true positive's lead time in days, ascending;
                         cw_backtest_row_free() releases it */
};

/* Row i (0 .. cw_backtest_rows() - 1). 0, or -1 when memory runs out. */
int cw_backtest_row(const cw_backtest_t *b, int i, struct cw_backtest_row *r);
void cw_backtest_row_free(struct cw_backtest_row *r);

/*
 * FIRING warnings per UTC day with eval_ts in [from, to], of the alerts as
 * written: `days` ascending (days since the epoch), and for day d and alert
 * a, counts[d * n + a] with n = n_alerts - n_variants. Returns the number
 * of days.
 */
size_t cw_backtest_days(const cw_backtest_t *b, const int64_t **days,
                        const uint32_t **counts);

/* What the report names: the configuration, the labels file, the window
 * [from, to] and the population's size. */
const cw_config_t *cw_backtest_config(const cw_backtest_t *b);
const char *cw_backtest_labels(const cw_backtest_t *b);
void cw_backtest_window(const cw_backtest_t *b, int64_t *from, int64_t *to);
uint64_t cw_backtest_population(const cw_backtest_t *b);

#endif
