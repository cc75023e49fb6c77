/*
 * DIR/report.html of a backtest (CONTRACT.md section 7): one self-contained
 * page, no script and no network, that an analyst opens in any browser.
 * The table holds every row of report.json; the charts are inline SVG
 * drawn here: warnings per day per alert (stacked), precision and recall
 * per alert, the lead-time distribution, and the precision-recall curve
 * across sweep variants. Marks carry native tooltips (<title>).
 *
 * The elements a test can find: table.rows with tr[data-alert][data-variant]
 * and td[data-field]; svg.chart[data-chart] for warnings-per-day,
 * precision-recall, lead-time and pr-curve; rect.bar[data-alert] (and
 * [data-metric] in precision-recall); circle.point[data-alert][data-variant].
 */
#ifndef CW_REPORT_HTML_H
#define CW_REPORT_HTML_H

#include <stdio.h>

#include "backtest.h"

/* Writes the page of rows[0 .. n - 1] (cw_backtest_row order) to f. */
void cw_report_html(FILE *f, const cw_backtest_t *b,
                    const struct cw_backtest_row *rows, int n);

#endif
