#include "backtest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/duration.h"
#include "common/file.h"
#include "common/idtab.h"
#include "labels.h"
#include "report_html.h"

#define NONE INT64_MIN

struct cust {
        int applied;  /* in the population */
        int labelled; /* in the labels: a churner */
        int64_t churned_at;
};

struct cw_backtest {
        const cw_config_t *c;
        const cw_engine_conf_t *e; /* &c->engine */
        char *labels;
        int64_t from, to;
        int64_t *days;    /* ascending, days since the epoch */
        uint32_t *counts; /* [day * n_base + alert]: FIRING warnings */
        size_t n_days, cap_days;
        int oom;           /* memory ran out while counting: no report */
        cw_idtab_t *ids;   /* customers, numbered as cust[] */
        struct cust *cust; /* [number] */
        int64_t *first;    /* [customer * n_alerts + alert]: first FIRING */
        size_t n, cap;
};

/* The customer's index, added when new; -1 when memory runs out. Room
 * for a new one is made first, so that the table and the arrays agree. */
static long find(cw_backtest_t *b, const char *id, size_t len) {
        size_t na = (size_t)b->e->n_alerts;
        int added;
        long i;

        if (b->n == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 1024;
                struct cust *nc = realloc(b->cust, cap * sizeof(*nc));
                if (!nc)
                        return -1;
                b->cust = nc;
                int64_t *nf =
                        realloc(b->first, cap * (na ? na : 1) * sizeof(*nf));
                if (!nf)
                        return -1;
                b->first = nf;
                b->cap = cap;
        }
        if ((i = cw_idtab_add(b->ids, id, len, &added)) < 0 || !added)
                return i;
        b->cust[b->n].applied = b->cust[b->n].labelled = 0;
        b->cust[b->n].churned_at = NONE;
        for (size_t a = 0; a < na; a++)
                b->first[b->n * na + a] = NONE;
        return (long)b->n++;
}

/* The population's table starts with the labelled customers. */
static int read_labels(cw_backtest_t *b, const char *path, char *errstr,
                       size_t errstr_size) {
        cw_labels_t *l = cw_labels_read(path, errstr, errstr_size);
        int rc = 0;

        if (!l)
                return -1;
        for (size_t k = 0; k < cw_labels_count(l) && !rc; k++) {
                const char *id;
                size_t len;
                int64_t at;
                long i;

                cw_labels_entry(l, k, &id, &len, &at);
                if ((i = find(b, id, len)) < 0) {
                        snprintf(errstr, errstr_size, "out of memory");
                        rc = -1;
                } else {
                        b->cust[i].labelled = 1;
                        b->cust[i].churned_at = at;
                }
        }
        cw_labels_destroy(l);
        return rc;
}

cw_backtest_t *cw_backtest_new(const cw_config_t *c, const char *labels,
                               int64_t from, int64_t to, char *errstr,
                               size_t errstr_size) {
        cw_backtest_t *b = calloc(1, sizeof(*b));

        if (!b) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        b->c = c;
        b->e = &c->engine;
        b->from = from;
        b->to = to;
        if (!(b->ids = cw_idtab_new()) || !(b->labels = strdup(labels))) {
                snprintf(errstr, errstr_size, "out of memory");
                cw_backtest_destroy(b);
                return NULL;
        }
        if (read_labels(b, labels, errstr, errstr_size)) {
                cw_backtest_destroy(b);
                return NULL;
        }
        return b;
}

void cw_backtest_destroy(cw_backtest_t *b) {
        if (!b)
                return;
        cw_idtab_destroy(b->ids);
        free(b->cust);
        free(b->first);
        free(b->days);
        free(b->counts);
        free(b->labels);
        free(b);
}

int cw_backtest_applied(cw_backtest_t *b, const char *id, size_t len) {
        long i = find(b, id, len);
        if (i < 0) {
                b->oom = 1;
                return -1;
        }
        b->cust[i].applied = 1;
        return 0;
}

static size_t n_base(const cw_backtest_t *b) {
        return (size_t)(b->e->n_alerts - b->e->n_variants);
}

/* Counts a FIRING warning of alert a (as written) on its day. */
static int count_day(cw_backtest_t *b, int64_t ts, size_t a) {
        size_t na = n_base(b), lo = 0, hi = b->n_days;
        int64_t day = ts / CW_MS_PER_DAY;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (b->days[mid] < day)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == b->n_days || b->days[lo] != day) {
                if (b->n_days == b->cap_days) {
                        size_t cap = b->cap_days ? b->cap_days * 2 : 64;
                        int64_t *d = realloc(b->days, cap * sizeof(*d));
                        if (!d)
                                return -1;
                        b->days = d;
                        uint32_t *n = realloc(b->counts, cap * na * sizeof(*n));
                        if (!n)
                                return -1;
                        b->counts = n;
                        b->cap_days = cap;
                }
                memmove(b->days + lo + 1, b->days + lo,
                        (b->n_days - lo) * sizeof(*b->days));
                memmove(b->counts + (lo + 1) * na, b->counts + lo * na,
                        (b->n_days - lo) * na * sizeof(*b->counts));
                b->days[lo] = day;
                memset(b->counts + lo * na, 0, na * sizeof(*b->counts));
                b->n_days++;
        }
        b->counts[lo * na + a]++;
        return 0;
}

int cw_backtest_warning(cw_backtest_t *b, const struct cw_warning *w) {
        long i;
        int a = w->alert_index;
        int64_t *first;

        if (w->state != CW_STATE_FIRING || w->eval_ts < b->from ||
            w->eval_ts > b->to || a < 0 || a >= b->e->n_alerts)
                return 0;
        if ((i = find(b, w->customer_id.p, w->customer_id.len)) < 0) {
                b->oom = 1;
                return -1;
        }
        first = &b->first[(size_t)i * (size_t)b->e->n_alerts + (size_t)a];
        if (*first == NONE || w->eval_ts < *first)
                *first = w->eval_ts;
        if ((size_t)a < n_base(b) && count_day(b, w->eval_ts, (size_t)a)) {
                b->oom = 1;
                return -1;
        }
        return 0;
}

static int cmp_double(const void *x, const void *y) {
        double a = *(const double *)x, b = *(const double *)y;
        return (a > b) - (a < b);
}

/* Nearest rank: the smallest value with at least q of them at or below. */
static double nearest_rank(const double *v, size_t n, double q) {
        size_t r = (size_t)(q * (double)n);
        if ((double)r < q * (double)n)
                r++;
        return v[r ? r - 1 : 0];
}

int cw_backtest_rows(const cw_backtest_t *b) {
        return b->e->n_alerts + 1;
}

int cw_backtest_row(const cw_backtest_t *b, int row,
                    struct cw_backtest_row *r) {
        size_t na = (size_t)b->e->n_alerts, nb = n_base(b), tp = 0;
        int a = row < (int)nb ? row : row == (int)nb ? -1 : row - 1;

        memset(r, 0, sizeof(*r));
        r->alert_index = a;
        r->model = -1;
        r->alert = a < 0 ? "any" : b->e->alerts[a].name;
        r->variant = "base";
        if (a >= 0 && b->e->alerts[a].variant) {
                r->variant = b->e->alerts[a].variant;
                r->model = b->e->alerts[a].base;
        } else if (a >= 0) {
                r->model = a;
        }
        if (!(r->lead = malloc((b->n ? b->n : 1) * sizeof(*r->lead))))
                return -1;
        for (size_t i = 0; i < b->n; i++) {
                const struct cust *c = &b->cust[i];
                int64_t first = NONE;
                if (!c->applied)
                        continue;
                r->positives += c->labelled;
                for (size_t k = a < 0 ? 0 : (size_t)a;
                     k < (a < 0 ? nb : (size_t)a + 1); k++) {
                        int64_t f = b->first[i * na + k];
                        if (f != NONE && (first == NONE || f < first))
                                first = f;
                }
                if (first == NONE)
                        continue;
                r->warned++;
                if (c->labelled && first <= c->churned_at)
                        r->lead[tp++] = (double)(c->churned_at - first) /
                                        (double)CW_MS_PER_DAY;
        }
        r->true_positives = tp;
        r->precision = r->warned ? (double)tp / (double)r->warned : 0;
        r->recall = r->positives ? (double)tp / (double)r->positives : 0;
        if (tp) {
                qsort(r->lead, tp, sizeof(*r->lead), cmp_double);
                r->has_lead = 1;
                r->lead_p10 = nearest_rank(r->lead, tp, 0.1);
                r->lead_p50 = nearest_rank(r->lead, tp, 0.5);
                r->lead_p90 = nearest_rank(r->lead, tp, 0.9);
        }
        return 0;
}

void cw_backtest_row_free(struct cw_backtest_row *r) {
        free(r->lead);
        r->lead = NULL;
}

size_t cw_backtest_days(const cw_backtest_t *b, const int64_t **days,
                        const uint32_t **counts) {
        *days = b->days;
        *counts = b->counts;
        return b->n_days;
}

const cw_config_t *cw_backtest_config(const cw_backtest_t *b) {
        return b->c;
}

uint64_t cw_backtest_population(const cw_backtest_t *b) {
        uint64_t n = 0;
        for (size_t i = 0; i < b->n; i++)
                n += b->cust[i].applied != 0;
        return n;
}

const char *cw_backtest_labels(const cw_backtest_t *b) {
        return b->labels;
}

void cw_backtest_window(const cw_backtest_t *b, int64_t *from, int64_t *to) {
        *from = b->from;
        *to = b->to;
}

static void json_str(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fprintf(f, "\\%c", *s);
                else if ((unsigned char)*s < 0x20)
                        fprintf(f, "\\u%04x", *s);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

static void write_json(FILE *f, const struct cw_backtest_row *rows, int n) {
        fputs("{\"rows\": [", f);
        for (int i = 0; i < n; i++) {
                const struct cw_backtest_row *r = &rows[i];
                fputs(i ? ",\n  {\"alert\": " : "\n  {\"alert\": ", f);
                json_str(f, r->alert);
                fputs(", \"variant\": ", f);
                json_str(f, r->variant);
                fprintf(f,
                        ", \"warned\": %llu, \"true_positives\": %llu, "
                        "\"positives\": %llu, \"precision\": %.17g, "
                        "\"recall\": %.17g, \"lead_time_days\": ",
                        (unsigned long long)r->warned,
                        (unsigned long long)r->true_positives,
                        (unsigned long long)r->positives, r->precision,
                        r->recall);
                if (r->has_lead)
                        fprintf(f,
                                "{\"p10\": %.17g, \"p50\": %.17g, "
                                "\"p90\": %.17g}}",
                                r->lead_p10, r->lead_p50, r->lead_p90);
                else
                        fputs("{\"p10\": null, \"p50\": null, \"p90\": "
                              "null}}",
                              f);
        }
        fputs("\n]}\n", f);
}

/* Writes DIR/NAME with `write`; 0, or -1 with a sentence (a regular file
 * left incomplete is removed). */
static int write_file(const char *dir, const char *name,
                      void (*write)(FILE *f, const void *arg), const void *arg,
                      char *errstr, size_t errstr_size) {
        char path[4096];
        FILE *f;
        int failed;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (!(f = fopen(path, "w"))) {
                snprintf(errstr, errstr_size, "cannot create %s: %s", path,
                         strerror(errno));
                return -1;
        }
        write(f, arg);
        failed = ferror(f) ? (errno ? errno : EIO) : 0;
        if (fclose(f) && !failed)
                failed = errno ? errno : EIO;
        if (failed) {
                snprintf(errstr, errstr_size, "cannot write %s: %s%s", path,
                         strerror(failed),
                         cw_file_is_regular(path) && unlink(path) == 0
                                 ? "; removed it, as it is incomplete"
                                 : "");
                return -1;
        }
        return 0;
}

struct report {
        const cw_backtest_t *b;
        struct cw_backtest_row *rows;
        int n;
};

static void report_json(FILE *f, const void *arg) {
        const struct report *r = arg;
        write_json(f, r->rows, r->n);
}

static void report_html(FILE *f, const void *arg) {
        const struct report *r = arg;
        cw_report_html(f, r->b, r->rows, r->n);
}

int cw_backtest_write(const cw_backtest_t *b, const char *dir, char *errstr,
                      size_t errstr_size) {
        struct report rep = {b, NULL, cw_backtest_rows(b)};
        struct stat st;
        int rc = -1, made = 0;

        if (b->oom) {
                snprintf(errstr, errstr_size,
                         "memory ran out while scoring: no report");
                return -1;
        }

        if (mkdir(dir, 0777) &&
            !(errno == EEXIST && !stat(dir, &st) && S_ISDIR(st.st_mode))) {
                snprintf(errstr, errstr_size, "cannot create the folder %s: %s",
                         dir, strerror(errno));
                return -1;
        }
        if (!(rep.rows = calloc((size_t)rep.n, sizeof(*rep.rows))))
                goto oom;
        for (; made < rep.n; made++)
                if (cw_backtest_row(b, made, &rep.rows[made]))
                        goto oom;
        rc = write_file(dir, "report.json", report_json, &rep, errstr,
                        errstr_size) ||
                             write_file(dir, "report.html", report_html, &rep,
                                        errstr, errstr_size)
                     ? -1
                     : 0;
        goto out;
oom:
        snprintf(errstr, errstr_size, "out of memory");
out:
        for (int i = 0; rep.rows && i < rep.n; i++)
                cw_backtest_row_free(&rep.rows[i]);
        free(rep.rows);
        return rc;
}

/* ---- sweeps ---------------------------------------------------------------
 */

/* Variants cost each customer 17 bytes of alert state apiece. */
#define MAX_VARIANTS 256

/* A value is START + i * STEP rounded to 12 significant digits, so
 * 0.1:0.9:0.1 gives 0.3 as a configuration file would, not
 * 0.30000000000000004. */
int cw_backtest_add_sweep(cw_engine_conf_t *c, const char *spec, char *errstr,
                          size_t errstr_size) {
        const char *p = NULL, *q;
        double v[3];
        char *name, *end, buf[64];
        int model;
        long n;

        for (q = strstr(spec, ".fire="); q; q = strstr(q + 1, ".fire="))
                p = q;
        if (!p || p == spec) {
                snprintf(errstr, errstr_size,
                         "--sweep %s: expected MODEL.fire=START:STOP:STEP",
                         spec);
                return -1;
        }
        q = p + strlen(".fire=");
        for (int i = 0; i < 3; i++) {
                v[i] = strtod(q, &end);
                if (end == q || *end != (i < 2 ? ':' : 0)) {
                        snprintf(errstr, errstr_size,
                                 "--sweep %s: expected MODEL.fire="
                                 "START:STOP:STEP with three numbers",
                                 spec);
                        return -1;
                }
                q = end + 1;
        }
        if (!(v[2] > 0) || !(v[1] >= v[0])) {
                snprintf(errstr, errstr_size,
                         "--sweep %s: STEP must be above 0 and STOP at or "
                         "above START",
                         spec);
                return -1;
        }
        n = (long)floor((v[1] - v[0]) / v[2] + 1e-9) + 1;
        if (n > MAX_VARIANTS || c->n_variants + n > MAX_VARIANTS) {
                snprintf(errstr, errstr_size,
                         "--sweep %s: more than %d variants in all", spec,
                         MAX_VARIANTS);
                return -1;
        }
        if (!(name = strndup(spec, (size_t)(p - spec)))) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        model = cw_engine_conf_alert(c, name);
        if (model < 0)
                snprintf(errstr, errstr_size,
                         "--sweep %s: the configuration has no alert named "
                         "%s",
                         spec, name);
        free(name);
        if (model < 0)
                return -1;
        for (long i = 0; i < n; i++) {
                snprintf(buf, sizeof(buf), "%.12g", v[0] + (double)i * v[2]);
                if (cw_engine_conf_add_variant(c, model, strtod(buf, NULL),
                                               errstr, errstr_size))
                        return -1;
        }
        return 0;
}
