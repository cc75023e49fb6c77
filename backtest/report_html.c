#include "report_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/duration.h"
#include "common/timeparse.h"

#define WIDTH 960
#define MAX_DAY_BARS 365
#define MAX_LEAD_BINS 30

static const char *const palette[] = {
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
#define ANY_COLOR "#555555"
#define PRECISION_COLOR "#4e79a7"
#define RECALL_COLOR "#f28e2b"

/* The plot area of a chart, in SVG user units. */
struct frame {
        double x, y, w, h;
};

static const char *color_of(const struct cw_backtest_row *r) {
        return r->model < 0 ? ANY_COLOR : palette[r->model % 10];
}

/* Text and attribute values: & < > " ' escaped. */
static void esc(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '&':
                        fputs("&amp;", f);
                        break;
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                case '"':
                        fputs("&quot;", f);
                        break;
                case '\'':
                        fputs("&#39;", f);
                        break;
                default:
                        fputc(*s, f);
                }
}

static void day_str(int64_t day, char *buf, size_t size) {
        time_t t = (time_t)(day * 86400);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, size, "%Y-%m-%d", &tm);
}

/* 1, 2 or 5 times a power of ten, so that about `ticks` steps reach max. */
static double nice_step(double max, int ticks) {
        double raw = max / ticks, p = pow(10, floor(log10(raw))), m = raw / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void svg_open(FILE *f, const char *name, int height, const char *label) {
        fprintf(f,
                "<svg class=\"chart\" data-chart=\"%s\" "
                "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
                "aria-label=\"",
                name, WIDTH, height, WIDTH, height);
        esc(f, label);
        fputs("\">\n", f);
}

/* Horizontal grid lines with their values from 0 to ymax (> 0), and the
 * frame's axes. `fmt` formats a tick value. */
static void y_axis(FILE *f, const struct frame *fr, double ymax, double step,
                   const char *fmt, const char *title) {
        for (double v = 0; v <= ymax * (1 + 1e-9); v += step) {
                double y = fr->y + fr->h - v / ymax * fr->h;
                fprintf(f,
                        "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" "
                        "x2=\"%.1f\" y2=\"%.1f\"/>",
                        fr->x, y, fr->x + fr->w, y);
                fprintf(f,
                        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
                        "text-anchor=\"end\">",
                        fr->x - 6, y + 4);
                fprintf(f, fmt, v);
                fputs("</text>\n", f);
        }
        fprintf(f,
                "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                "y2=\"%.1f\"/>\n",
                fr->x, fr->y + fr->h, fr->x + fr->w, fr->y + fr->h);
        fprintf(f,
                "<text class=\"label\" transform=\"translate(14 %.1f) "
                "rotate(-90)\" text-anchor=\"middle\">",
                fr->y + fr->h / 2);
        esc(f, title);
        fputs("</text>\n", f);
}

static void x_label(FILE *f, double x, double y, const char *anchor,
                    const char *text) {
        fprintf(f,
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"%s\">",
                x, y, anchor);
        esc(f, text);
        fputs("</text>\n", f);
}

static void empty_note(FILE *f, const struct frame *fr, const char *text) {
        fprintf(f,
                "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"middle\">",
                fr->x + fr->w / 2, fr->y + fr->h / 2);
        esc(f, text);
        fputs("</text>\n", f);
}

/* A bar; `metric` may be NULL. The tooltip is `tip`. */
static void bar(FILE *f, const char *alert, const char *metric, double x,
                double y, double w, double h, const char *color,
                const char *tip) {
        fputs("<rect class=\"bar\" data-alert=\"", f);
        esc(f, alert);
        if (metric)
                fprintf(f, "\" data-metric=\"%s", metric);
        fprintf(f,
                "\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                "fill=\"%s\"><title>",
                x, y, w, h, color);
        esc(f, tip);
        fputs("</title></rect>\n", f);
}

static void legend(FILE *f, const struct cw_backtest_row *rows, int n_base,
                   int with_any) {
        fputs("<p class=\"legend\">", f);
        for (int i = 0; i < n_base + with_any; i++) {
                fprintf(f, "<span><i style=\"background:%s\"></i>",
                        color_of(&rows[i]));
                esc(f, rows[i].alert);
                fputs("</span>", f);
        }
        fputs("</p>\n", f);
}

static void table(FILE *f, const struct cw_backtest_row *rows, int n) {
        fputs("<table class=\"rows\">\n<thead><tr><th>alert</th>"
              "<th>variant</th><th>warned</th><th>true positives</th>"
              "<th>positives</th><th>precision</th><th>recall</th>"
              "<th>lead p10 (days)</th><th>p50</th><th>p90</th>"
              "</tr></thead>\n<tbody>\n",
              f);
        for (int i = 0; i < n; i++) {
                const struct cw_backtest_row *r = &rows[i];
                const double lead[3] = {r->lead_p10, r->lead_p50, r->lead_p90};
                fprintf(f, "<tr class=\"%s\" data-alert=\"",
                        r->model < 0                 ? "any"
                        : strcmp(r->variant, "base") ? "variant"
                                                     : "base");
                esc(f, r->alert);
                fputs("\" data-variant=\"", f);
                esc(f, r->variant);
                fprintf(f, "\"><td><i style=\"background:%s\"></i>",
                        color_of(r));
                esc(f, r->alert);
                fputs("</td><td>", f);
                esc(f, r->variant);
                fprintf(f,
                        "</td><td data-field=\"warned\">%llu</td>"
                        "<td data-field=\"true_positives\">%llu</td>"
                        "<td data-field=\"positives\">%llu</td>"
                        "<td data-field=\"precision\">%.3f</td>"
                        "<td data-field=\"recall\">%.3f</td>",
                        (unsigned long long)r->warned,
                        (unsigned long long)r->true_positives,
                        (unsigned long long)r->positives, r->precision,
                        r->recall);
                for (int k = 0; k < 3; k++) {
                        fprintf(f, "<td data-field=\"lead_p%d\">",
                                k == 0   ? 10
                                : k == 1 ? 50
                                         : 90);
                        if (r->has_lead)
                                fprintf(f, "%.1f", lead[k]);
                        else
                                fputs("&ndash;", f);
                        fputs("</td>", f);
                }
                fputs("</tr>\n", f);
        }
        fputs("</tbody>\n</table>\n", f);
}

/* FIRING warnings per day (or per run of days, at most MAX_DAY_BARS bars),
 * stacked by alert. */
static void chart_days(FILE *f, const cw_backtest_t *b,
                       const struct cw_backtest_row *rows, int nb) {
        const struct frame fr = {64, 16, WIDTH - 84, 220};
        const int64_t *days;
        const uint32_t *counts;
        size_t nd = cw_backtest_days(b, &days, &counts);
        char tip[512], d0[16], d1[16];

        svg_open(f, "warnings-per-day", 280,
                 "FIRING warnings per day, stacked by alert");
        if (!nd) {
                y_axis(f, &fr, 1, 1, "%.0f", "warnings");
                empty_note(f, &fr, "No FIRING warnings in the window.");
                fputs("</svg>\n", f);
                return;
        }
        int64_t span = days[nd - 1] - days[0] + 1;
        int64_t per = (span + MAX_DAY_BARS - 1) / MAX_DAY_BARS;
        size_t nbins = (size_t)((span + per - 1) / per);
        uint64_t *sum = calloc(nbins * (size_t)nb, sizeof(*sum)), ymax = 0;
        if (!sum) {
                empty_note(f, &fr, "Out of memory drawing this chart.");
                fputs("</svg>\n", f);
                return;
        }
        for (size_t d = 0; d < nd; d++)
                for (int a = 0; a < nb; a++)
                        sum[(size_t)((days[d] - days[0]) / per) * (size_t)nb +
                            (size_t)a] += counts[d * (size_t)nb + (size_t)a];
        for (size_t k = 0; k < nbins; k++) {
                uint64_t t = 0;
                for (int a = 0; a < nb; a++)
                        t += sum[k * (size_t)nb + (size_t)a];
                ymax = t > ymax ? t : ymax;
        }
        double step = nice_step((double)ymax, 5);
        double top = ceil((double)ymax / step) * step;
        double bw = fr.w / (double)nbins, gap = bw > 4 ? 1 : 0;
        y_axis(f, &fr, top, step, "%.0f",
               per == 1 ? "warnings per day" : "warnings per bar");
        for (size_t k = 0; k < nbins; k++) {
                double y = fr.y + fr.h;
                day_str(days[0] + (int64_t)k * per, d0, sizeof(d0));
                day_str(days[0] + (int64_t)(k + 1) * per - 1, d1, sizeof(d1));
                for (int a = 0; a < nb; a++) {
                        uint64_t c = sum[k * (size_t)nb + (size_t)a];
                        double h = (double)c / top * fr.h;
                        if (!c)
                                continue;
                        y -= h;
                        if (per == 1)
                                snprintf(tip, sizeof(tip), "%s: %s, %llu", d0,
                                         rows[a].alert, (unsigned long long)c);
                        else
                                snprintf(tip, sizeof(tip), "%s to %s: %s, %llu",
                                         d0, d1, rows[a].alert,
                                         (unsigned long long)c);
                        bar(f, rows[a].alert, NULL,
                            fr.x + (double)k * bw + gap / 2, y, bw - gap, h,
                            color_of(&rows[a]), tip);
                }
        }
        for (int t = 0; t <= 5; t++) {
                size_t k = (size_t)((double)(nbins - 1) * t / 5.0 + 0.5);
                day_str(days[0] + (int64_t)k * per, d0, sizeof(d0));
                x_label(f,
                        t == 0   ? fr.x
                        : t == 5 ? fr.x + fr.w
                                 : fr.x + ((double)k + 0.5) * bw,
                        fr.y + fr.h + 18,
                        t == 0   ? "start"
                        : t == 5 ? "end"
                                 : "middle",
                        d0);
                if (nbins == 1)
                        break;
        }
        free(sum);
        fputs("</svg>\n", f);
}

/* Precision and recall of every alert as written, and of "any". */
static void chart_pr_bars(FILE *f, const struct cw_backtest_row *rows, int nb) {
        const struct frame fr = {64, 16, WIDTH - 84, 200};
        double gw = fr.w / (nb + 1);
        char tip[512], name[24];

        svg_open(f, "precision-recall", 260, "Precision and recall per alert");
        y_axis(f, &fr, 1, 0.25, "%.2f", "share");
        for (int i = 0; i <= nb; i++) {
                const struct cw_backtest_row *r = &rows[i];
                double x = fr.x + gw * i + gw * 0.15, w = gw * 0.35;
                const double v[2] = {r->precision, r->recall};
                for (int m = 0; m < 2; m++) {
                        double h = v[m] * fr.h;
                        snprintf(tip, sizeof(tip), "%s: %s %.3f", r->alert,
                                 m ? "recall" : "precision", v[m]);
                        bar(f, r->alert, m ? "recall" : "precision", x + w * m,
                            fr.y + fr.h - h, w, h,
                            m ? RECALL_COLOR : PRECISION_COLOR, tip);
                        fprintf(f,
                                "<text class=\"value\" x=\"%.1f\" "
                                "y=\"%.1f\" text-anchor=\"middle\">%.2f"
                                "</text>\n",
                                x + w * m + w / 2, fr.y + fr.h - h - 4, v[m]);
                }
                snprintf(name, sizeof(name), "%s", r->alert);
                if (strlen(r->alert) >= sizeof(name))
                        memcpy(name + sizeof(name) - 4, "...", 4);
                x_label(f, fr.x + gw * i + gw / 2, fr.y + fr.h + 18, "middle",
                        name);
        }
        fputs("</svg>\n", f);
}

/* How many days ahead of churning the true positives were first warned:
 * a histogram per alert as written, bars side by side. */
static void chart_lead(FILE *f, const struct cw_backtest_row *rows, int nb) {
        static const int widths[] = {1, 2, 5, 7, 10, 14, 30, 60, 90, 180, 365};
        const struct frame fr = {64, 16, WIDTH - 84, 220};
        double lmax = 0;
        int shown = 0, w = widths[0], nbins, slot = 0;
        char tip[512], lbl[32];

        svg_open(f, "lead-time", 280,
                 "Lead time of the true positives, days before churn");
        for (int i = 0; i < nb; i++)
                if (rows[i].true_positives) {
                        shown++;
                        if (rows[i].lead[rows[i].true_positives - 1] > lmax)
                                lmax = rows[i].lead[rows[i].true_positives - 1];
                }
        if (!shown) {
                y_axis(f, &fr, 1, 1, "%.0f", "customers");
                empty_note(f, &fr, "No true positives, so no lead times.");
                fputs("</svg>\n", f);
                return;
        }
        for (size_t k = 0; k < sizeof(widths) / sizeof(*widths); k++) {
                w = widths[k];
                if (floor(lmax / w) + 1 <= MAX_LEAD_BINS)
                        break;
        }
        nbins = (int)floor(lmax / w) + 1;
        uint64_t *hist = calloc((size_t)nbins * (size_t)nb, sizeof(*hist)),
                 ymax = 0;
        if (!hist) {
                empty_note(f, &fr, "Out of memory drawing this chart.");
                fputs("</svg>\n", f);
                return;
        }
        for (int i = 0; i < nb; i++)
                for (uint64_t k = 0; k < rows[i].true_positives; k++) {
                        uint64_t *h = &hist[(size_t)(rows[i].lead[k] / w) *
                                                    (size_t)nb +
                                            (size_t)i];
                        if (++*h > ymax)
                                ymax = *h;
                }
        double step = nice_step((double)ymax, 5);
        double top = ceil((double)ymax / step) * step;
        double bw = fr.w / nbins, sw = bw * 0.8 / shown;
        y_axis(f, &fr, top, step, "%.0f", "customers");
        for (int i = 0; i < nb; i++) {
                if (!rows[i].true_positives)
                        continue;
                for (int k = 0; k < nbins; k++) {
                        uint64_t c = hist[(size_t)k * (size_t)nb + (size_t)i];
                        double h = (double)c / top * fr.h;
                        if (!c)
                                continue;
                        snprintf(tip, sizeof(tip),
                                 "%s: %llu warned %d to %d days before "
                                 "churning",
                                 rows[i].alert, (unsigned long long)c, k * w,
                                 (k + 1) * w);
                        bar(f, rows[i].alert, NULL,
                            fr.x + bw * k + bw * 0.1 + sw * slot,
                            fr.y + fr.h - h, sw, h, color_of(&rows[i]), tip);
                }
                slot++;
        }
        for (int k = 0; k <= nbins; k += nbins > 15 ? 2 : 1) {
                snprintf(lbl, sizeof(lbl), "%d", k * w);
                x_label(f, fr.x + bw * k, fr.y + fr.h + 18, "middle", lbl);
        }
        x_label(f, fr.x + fr.w, fr.y + fr.h + 36, "end",
                "days from the first warning to churning");
        free(hist);
        fputs("</svg>\n", f);
}

static void point(FILE *f, const struct cw_backtest_row *r, double x, double y,
                  int base) {
        fputs("<circle class=\"point\" data-alert=\"", f);
        esc(f, r->alert);
        fputs("\" data-variant=\"", f);
        esc(f, r->variant);
        fprintf(f, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" ", x, y, base ? 6 : 4);
        if (base)
                fprintf(f, "fill=\"white\" stroke=\"%s\" stroke-width=\"2\"",
                        color_of(r));
        else
                fprintf(f, "fill=\"%s\"", color_of(r));
        fputs("><title>", f);
        esc(f, r->alert);
        fprintf(f, " %s: precision %.3f, recall %.3f</title></circle>\n",
                r->variant, r->precision, r->recall);
}

static int by_fire(const void *x, const void *y, void *arg) {
        const cw_engine_conf_t *c = arg;
        double a = c->alerts[((const struct cw_backtest_row *)x)->alert_index]
                           .fire,
               b = c->alerts[((const struct cw_backtest_row *)y)->alert_index]
                           .fire;
        return (a > b) - (a < b);
}

/* Precision against recall: one point per alert as written (rings), and
 * each swept model's variants joined in the order of their fire values. */
static void chart_pr_curve(FILE *f, const cw_backtest_t *b,
                           const struct cw_backtest_row *rows, int n, int nb) {
        const struct frame fr = {64, 16, 400, 400};
        const cw_engine_conf_t *c = &cw_backtest_config(b)->engine;
        struct cw_backtest_row *v = malloc((size_t)n * sizeof(*v));
        int any_variant = 0;

        svg_open(f, "pr-curve", 460,
                 "Precision against recall across sweep variants");
        y_axis(f, &fr, 1, 0.2, "%.1f", "precision");
        for (int t = 0; t <= 5; t++) {
                char lbl[8];
                snprintf(lbl, sizeof(lbl), "%.1f", t / 5.0);
                x_label(f, fr.x + fr.w * t / 5, fr.y + fr.h + 18, "middle",
                        lbl);
        }
        x_label(f, fr.x + fr.w / 2, fr.y + fr.h + 36, "middle", "recall");
        fprintf(f,
                "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                "y2=\"%.1f\"/>\n",
                fr.x, fr.y, fr.x, fr.y + fr.h);
        for (int m = 0; v && m < nb; m++) {
                int k = 0;
                for (int i = nb + 1; i < n; i++)
                        if (rows[i].model == m)
                                v[k++] = rows[i];
                if (!k)
                        continue;
                any_variant = 1;
                qsort_r(v, (size_t)k, sizeof(*v), by_fire, (void *)c);
                fprintf(f,
                        "<polyline class=\"curve\" fill=\"none\" "
                        "stroke=\"%s\" stroke-width=\"2\" points=\"",
                        color_of(&rows[m]));
                for (int i = 0; i < k; i++)
                        fprintf(f, "%s%.1f,%.1f", i ? " " : "",
                                fr.x + v[i].recall * fr.w,
                                fr.y + fr.h - v[i].precision * fr.h);
                fputs("\"/>\n", f);
                /* Labels only where they do not overlap the last one. */
                double lx = -1e9, ly = -1e9;
                for (int i = 0; i < k; i++) {
                        double x = fr.x + v[i].recall * fr.w,
                               y = fr.y + fr.h - v[i].precision * fr.h;
                        point(f, &v[i], x, y, 0);
                        if (fabs(x - lx) < 28 && fabs(y - ly) < 14)
                                continue;
                        lx = x;
                        ly = y;
                        fprintf(f,
                                "<text class=\"value\" x=\"%.1f\" "
                                "y=\"%.1f\">%g</text>\n",
                                x + 6, y - 6, c->alerts[v[i].alert_index].fire);
                }
        }
        for (int i = 0; i < nb; i++)
                point(f, &rows[i], fr.x + rows[i].recall * fr.w,
                      fr.y + fr.h - rows[i].precision * fr.h, 1);
        /* The key, right of the plot. */
        double ky = fr.y + 8;
        for (int i = 0; i < nb; i++, ky += 22) {
                fprintf(f,
                        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" "
                        "fill=\"white\" stroke=\"%s\" stroke-width=\"2\"/>",
                        fr.x + fr.w + 60, ky, color_of(&rows[i]));
                fprintf(f, "<text class=\"key\" x=\"%.1f\" y=\"%.1f\">",
                        fr.x + fr.w + 74, ky + 4);
                esc(f, rows[i].alert);
                fputs(" as configured</text>\n", f);
        }
        fprintf(f, "<text class=\"key\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                fr.x + fr.w + 52, ky + 12,
                any_variant ? "Filled points: sweep variants, labelled "
                              "with their fire value."
                            : "No sweep: run replay with --sweep "
                              "MODEL.fire=START:STOP:STEP for curves.");
        free(v);
        fputs("</svg>\n", f);
}

static const char style[] =
        "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
        "color:#222;margin:24px auto;max-width:1000px;padding:0 16px}"
        "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 "
        "6px}.meta{color:#555;margin:0 0 12px}code{font-size:13px}"
        "table{border-collapse:collapse;width:100%;font-variant-numeric:"
        "tabular-nums}th,td{padding:4px 8px;border-bottom:1px solid #e3e3e3;"
        "text-align:right}th:nth-child(-n+2),td:nth-child(-n+2){text-align:"
        "left}thead th{border-bottom:2px solid #bbb;font-weight:600}"
        "tr.any td{font-weight:600}tr.variant td{color:#555}"
        "td i,.legend i{display:inline-block;width:10px;height:10px;"
        "margin-right:6px;border-radius:2px}.legend span{margin-right:16px}"
        "svg{display:block;max-width:100%;height:auto}"
        ".grid{stroke:#e6e6e6}.axis{stroke:#888}"
        ".tick,.value,.key,.note,.label{font-size:11px;fill:#444}"
        ".note{font-size:13px;fill:#777}.label{font-size:12px}"
        ".key{font-size:12px}.defs{color:#555;font-size:13px}";

void cw_report_html(FILE *f, const cw_backtest_t *b,
                    const struct cw_backtest_row *rows, int n) {
        const cw_config_t *c = cw_backtest_config(b);
        int nb = c->engine.n_alerts - c->engine.n_variants;
        int64_t from, to;
        char t0[40], t1[40];

        cw_backtest_window(b, &from, &to);
        if (from == INT64_MIN)
                snprintf(t0, sizeof(t0), "the first event");
        else
                cw_time_format(from, t0, sizeof(t0));
        if (to == INT64_MAX)
                snprintf(t1, sizeof(t1), "the last");
        else
                cw_time_format(to, t1, sizeof(t1));
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
              "<meta charset=\"utf-8\">\n<title>churnwatch backtest: ",
              f);
        esc(f, c->path ? c->path : "");
        fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
        fputs("<h1>churnwatch backtest</h1>\n<p class=\"meta\">"
              "Configuration <code>",
              f);
        esc(f, c->path ? c->path : "");
        fputs("</code>, labels <code>", f);
        esc(f, cw_backtest_labels(b));
        fprintf(f,
                "</code>. Warnings from %s to %s. Population %llu "
                "customers, %llu of them churned (positives). churnwatch "
                "%s.</p>\n",
                t0, t1, (unsigned long long)cw_backtest_population(b),
                (unsigned long long)rows[nb].positives, CW_VERSION);
        fputs("<h2 id=\"alerts\">Alerts</h2>\n", f);
        table(f, rows, n);
        fputs("<h2 id=\"per-day\">Warnings per day</h2>\n", f);
        legend(f, rows, nb, 0);
        chart_days(f, b, rows, nb);
        fputs("<h2 id=\"precision-recall\">Precision and recall</h2>\n<p "
              "class=\"legend\">"
              "<span><i style=\"background:" PRECISION_COLOR
              "\"></i>precision</span><span><i style=\"background:" RECALL_COLOR
              "\"></i>recall</span></p>\n",
              f);
        chart_pr_bars(f, rows, nb);
        fputs("<h2 id=\"lead-time\">Lead time</h2>\n", f);
        legend(f, rows, nb, 0);
        chart_lead(f, rows, nb);
        fputs("<h2 id=\"sweep\">Precision and recall across sweep "
              "variants</h2>\n",
              f);
        chart_pr_curve(f, b, rows, n, nb);
        fputs("<h2 id=\"definitions\">Definitions</h2>\n<p class=\"defs\">The "
              "population is "
              "every customer with at least one applied event; positives "
              "are the labelled customers in it. A customer is warned when "
              "the alert has a FIRING warning for it in the window; a true "
              "positive is a warned positive first warned at or before "
              "churning. Precision = true positives / warned, recall = true "
              "positives / positives. Lead time is the days from the first "
              "warning to churning, over the true positives (nearest rank). "
              "The row <b>any</b> takes every configured alert together. A "
              "variant <b>fire=v</b> is its model with fire = v and clear = "
              "min(clear, v), computed in the same pass.</p>\n"
              "</body>\n</html>\n",
              f);
}
