/*
 * Day sweeps that skip customers (features/wake.c) against sweeps that
 * evaluate every customer (cw_engine_sweep_everyone), as CONTRACT.md
 * section 2 reads: on random configurations and random events, every
 * warning, every changelog record, every point-in-time row and the final
 * state of every customer must be the same bytes. A restored engine goes
 * on exactly as the original too.
 */
#include "engine_helpers.h"

#include <stdarg.h>
#include <stdint.h>

#define SCENARIOS 500
#define CUSTOMERS 24
#define DAYS 100
#define START 1767225600000LL /* 2026-01-01 */

static uint64_t rnd(uint64_t *s) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

static int pick(uint64_t *s, int n) {
        return (int)(rnd(s) % (uint64_t)n);
}

static double uniform(uint64_t *s, double lo, double hi) {
        return lo + (hi - lo) * (double)(rnd(s) % 1000000) / 1e6;
}

/* ---- configurations ------------------------------------------------------ */

struct text {
        char *p;
        size_t n, cap;
};

static void add(struct text *t, const char *fmt, ...) {
        va_list ap;
        int n;
        if (t->cap - t->n < 4096) {
                t->cap = t->cap ? t->cap * 2 : 16384;
                t->p = realloc(t->p, t->cap);
                cr_assert_not_null(t->p);
        }
        va_start(ap, fmt);
        n = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        t->n += (size_t)n;
}

/* Per stream: the numeric field windows and `last` read, `where` filters,
 * and the scale of that field's values (for thresholds). */
static const struct {
        const char *name, *field, *where[3];
        double scale;
} streams[] = {
        {"purchase",
         "amount_cents",
         {"", "amount_cents > 2000", "channel == 'app'"},
         4000},
        {"login", "session_seconds", {"", "success", "!success"}, 1500},
        {"ticket",
         "severity",
         {"", "status == 'OPENED'", "category == 'complaint'"},
         4},
        {"survey", "score", {"", "kind == 'NPS'", "score >= 7"}, 8},
};

/* One feature: its name is f<i>; `scale`: the size of its values. */
static double feature(struct text *t, uint64_t *s, int i) {
        static const char *const aggs[] = {
                "count",           "sum", "avg", "min", "max", "distinct_days",
                "days_since_last", "last"};
        int k = pick(s, 4), a = pick(s, 8), w = pick(s, 3);
        const char *where = streams[k].where[w];

        add(t, "  { name = \"f%d\"; stream = \"%s\"; agg = \"%s\";", i,
            streams[k].name, aggs[a]);
        if (a >= 1 && a <= 4)
                add(t, " field = \"%s\";", streams[k].field);
        if (a == 7)
                add(t, " field = \"%s\";", streams[k].field);
        if (a <= 5)
                add(t, " window = \"%dd\";", 1 + pick(s, 40));
        if (*where)
                add(t, " where = \"%s\";", where);
        add(t, " },\n");
        return a == 0 || a == 5 ? 5 : a == 6 ? 25 : streams[k].scale;
}

static double expr_feature(struct text *t, uint64_t *s, int i, int n) {
        static const char *const forms[] = {
                "f%d / (f%d + 1)",      "coalesce(f%d, 0) - f%d",
                "max(f%d, f%d) * 2",    "log1p(abs(f%d)) + 0 * f%d",
                "-f%d + f%d / 3",       "min(f%d, 5) + coalesce(f%d, 1)",
                "f%d >= 3 && f%d < 10",
        };
        char src[128];
        snprintf(src, sizeof(src), forms[pick(s, 7)], pick(s, n), pick(s, n));
        add(t, "  { name = \"f%d\"; expr = \"%s\"; },\n", i, src);
        return 4;
}

static const char *duration(uint64_t *s, int cooldown) {
        static const char *const fors[] = {"0d", "0d", "1d", "36h", "3d"};
        static const char *const cools[] = {"0d", "0d", "2d", "7d", "20h"};
        return cooldown ? cools[pick(s, 5)] : fors[pick(s, 5)];
}

static void rule(struct text *t, uint64_t *s, int r, const double *scale,
                 int n) {
        int a = pick(s, n), b = pick(s, n);
        const char *cmp[] = {">=", "<", ">", "<="};

        add(t, "  { name = \"r%d\"; when = \"", r);
        if (pick(s, 2))
                add(t, "f%d %s %.3f", a, cmp[pick(s, 4)],
                    uniform(s, 0, scale[a]));
        else
                add(t, "coalesce(f%d, -1) %s %.3f %s f%d %s %.3f", a,
                    cmp[pick(s, 4)], uniform(s, 0, scale[a]),
                    pick(s, 2) ? "&&" : "||", b, cmp[pick(s, 4)],
                    uniform(s, 0, scale[b]));
        add(t, "\";");
        if (pick(s, 2))
                add(t, " clear = \"f%d %s %.3f\";", a, cmp[pick(s, 4)],
                    uniform(s, 0, scale[a]));
        add(t, " for = \"%s\"; cooldown = \"%s\"; },\n", duration(s, 0),
            duration(s, 1));
}

static void model(struct text *t, uint64_t *s, int m, const double *scale,
                  int n) {
        double fire = uniform(s, 0.2, 0.9);
        int inputs = 1 + pick(s, 3);

        add(t, "  { name = \"m%d\"; type = \"logistic\"; intercept = %.6f;\n",
            m, uniform(s, -3, 1));
        add(t, "    inputs = (\n");
        for (int i = 0; i < inputs; i++) {
                int f = pick(s, n), tr = pick(s, 3);
                add(t, "      { feature = \"f%d\"; weight = %.6f;", f,
                    uniform(s, -1, 1) / (scale[f] > 10 ? scale[f] / 10 : 1));
                if (tr == 1)
                        add(t, " transform = \"log1p\";");
                if (tr == 2)
                        add(t,
                            " transform = \"standardize\"; mean = %.6f; "
                            "std = %.6f;",
                            uniform(s, 0, scale[f]), uniform(s, 1, scale[f]));
                if (pick(s, 2))
                        add(t, " missing = %.6f;", uniform(s, 0, scale[f]));
                if (pick(s, 3) == 0)
                        add(t, " clip = [0.0, %.6f];", uniform(s, 1, scale[f]));
                add(t, " }%s\n", i + 1 < inputs ? "," : "");
        }
        add(t,
            "    ); fire = %.6f; clear = %.6f; for = \"%s\"; cooldown = "
            "\"%s\"; },\n",
            fire, fire - uniform(s, 0, 0.2), duration(s, 0), duration(s, 1));
}

/* A configuration of 4 to 10 features, 1 to 3 rules and 0 to 2 models. */
static char *random_config(uint64_t *s) {
        struct text t = {0};
        double scale[16];
        int n = 3 + pick(s, 6), x = 1 + pick(s, 3), r = 1 + pick(s, 3),
            m = pick(s, 3);

        add(&t, "features = (\n");
        for (int i = 0; i < n; i++)
                scale[i] = feature(&t, s, i);
        for (int i = n; i < n + x; i++)
                scale[i] = expr_feature(&t, s, i, i);
        t.n -= 2; /* the last comma */
        add(&t, "\n);\nrules = (\n");
        for (int i = 0; i < r; i++)
                rule(&t, s, i, scale, n + x);
        t.n -= 2;
        add(&t, "\n);\n");
        if (m) {
                add(&t, "models = (\n");
                for (int i = 0; i < m; i++)
                        model(&t, s, i, scale, n + x);
                t.n -= 2;
                add(&t, "\n);\n");
        }
        add(&t, "lateness = \"2d\";\nstate_ttl = \"%dd\";\n", 12 + pick(s, 40));
        return t.p;
}

/* ---- events ----------------------------------------------------------------
 * Customers of three kinds of activity, some of whom stop (and are
 * evicted), delivered with some events up to two days late and a few too
 * late to count; now and then the clock alone moves stream time on. */

struct op {
        int64_t at; /* arrival */
        int seq;
        int advance; /* cw_engine_advance to ev.ts instead of an event */
        struct cw_event ev;
        char id[16], str[3][16];
};

struct ops {
        struct op *v;
        int n, cap;
};

static struct op *push(struct ops *o) {
        if (o->n == o->cap) {
                o->cap = o->cap ? o->cap * 2 : 4096;
                o->v = realloc(o->v, (size_t)o->cap * sizeof(*o->v));
                cr_assert_not_null(o->v);
        }
        memset(&o->v[o->n], 0, sizeof(o->v[o->n]));
        o->v[o->n].seq = o->n;
        return &o->v[o->n++];
}

static void random_event(uint64_t *s, struct op *o, int c, int64_t ts) {
        static const char *const channels[] = {"app", "web", NULL};
        static const char *const categories[] = {"complaint", "billing"};
        cw_stream_t k = (cw_stream_t)pick(s, 4);
        double nums[4] = {0, 0, 0, 0};
        const char *strs[4] = {NULL, NULL, NULL, NULL};

        switch (k) {
        case CW_STREAM_PURCHASE:
                nums[0] = pick(s, 8000) - (pick(s, 20) ? 0 : 3000);
                strs[1] = "EUR";
                strs[2] = channels[pick(s, 3)];
                break;
        case CW_STREAM_LOGIN:
                nums[0] = pick(s, 3000);
                nums[1] = pick(s, 4) != 0;
                break;
        case CW_STREAM_TICKET:
                strs[0] = "t";
                nums[1] = pick(s, 4);
                strs[2] = categories[pick(s, 2)];
                nums[3] = 1 + pick(s, 5);
                break;
        default:
                nums[0] = pick(s, 3);
                nums[1] = pick(s, 11);
                break;
        }
        snprintf(o->id, sizeof(o->id), "c%02d", c);
        for (int i = 0; i < 3; i++)
                if (strs[i])
                        snprintf(o->str[i], sizeof(o->str[i]), "%s", strs[i]);
        o->ev = make_event(k, o->id, ts, nums, NULL);
        for (int i = 0; i < 3 && 3 + i < cw_streams[k].n_fields; i++)
                if (strs[i]) {
                        o->ev.str[3 + i].p = o->str[i];
                        o->ev.str[3 + i].len = strlen(o->str[i]);
                }
}

static int op_cmp(const void *a, const void *b) {
        const struct op *x = a, *y = b;
        if (x->at != y->at)
                return x->at < y->at ? -1 : 1;
        return (x->seq > y->seq) - (x->seq < y->seq);
}

static void random_ops(uint64_t *s, struct ops *o) {
        for (int c = 0; c < CUSTOMERS; c++) {
                static const double rates[] = {0.05, 0.3, 1.5};
                double rate = rates[pick(s, 3)];
                int from = pick(s, DAYS / 2), to = from + pick(s, DAYS);
                for (int d = from; d < to && d < DAYS; d++) {
                        int n = (int)rate +
                                (uniform(s, 0, 1) < rate - (int)rate);
                        for (int i = 0; i < n; i++) {
                                int64_t ts = START + (int64_t)d * DAY +
                                             pick(s, (int)DAY);
                                struct op *op = push(o);
                                int r = pick(s, 100);
                                random_event(s, op, c, ts);
                                op->at = ts + (r < 5   ? pick(s, (int)(2 * DAY))
                                               : r < 6 ? 3 * DAY
                                                       : 0);
                        }
                }
        }
        for (int d = 2; d < DAYS; d += 1 + pick(s, 9)) {
                struct op *op = push(o);
                op->advance = 1;
                op->ev.ts = START + (int64_t)d * DAY + pick(s, (int)DAY);
                op->at = op->ev.ts;
        }
        qsort(o->v, (size_t)o->n, sizeof(*o->v), op_cmp);
        for (int i = 0; i < o->n; i++) /* the moved strings */
                for (int k = 0; k < 3 && !o->v[i].advance; k++) {
                        o->v[i].ev.customer_id.p = o->v[i].id;
                        o->v[i].ev.str[CW_FIELD_CUSTOMER_ID].p = o->v[i].id;
                        if (o->v[i].ev.str[3 + k].p)
                                o->v[i].ev.str[3 + k].p = o->v[i].str[k];
                }
}

/* ---- what an engine writes, as lines --------------------------------------
 */

static void line(struct lines *l, const char *fmt, ...) {
        char buf[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        lines_add(l, buf);
}

/* Every field of a warning, numbers to the last bit. */
static void on_warning(void *opaque, const struct cw_warning *w) {
        char f[2048] = "";
        size_t n = 0;
        for (int i = 0; i < w->n_features; i++)
                n += (size_t)snprintf(f + n, sizeof(f) - n, " %s=%a",
                                      w->features[i].name,
                                      w->features[i].value);
        for (int i = 0; i < w->n_reasons; i++)
                n += (size_t)snprintf(f + n, sizeof(f) - n, " r=%s",
                                      w->reasons[i]);
        line(opaque, "W %s %.*s %s %d %d %s %lld %d %d/%a %lld%s",
             w->warning_id, (int)w->customer_id.len, w->customer_id.p, w->alert,
             w->kind, w->state, w->severity, (long long)w->eval_ts, w->trigger,
             w->has_score, w->has_score ? w->score : 0.0,
             (long long)w->emitted_at, f);
}

static void hex(char *out, const uint8_t *b, size_t n) {
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", b[i]);
        out[2 * n] = '\0';
}

static int on_change(void *opaque, const char *id, size_t len, const uint8_t *b,
                     size_t n) {
        char h[8192];
        cr_assert_lt(2 * n, sizeof(h));
        hex(h, b, n);
        line(opaque, "C %.*s %s", (int)len, id, b ? h : "-");
        return 0;
}

static void on_row(void *opaque, const char *id, size_t len, int64_t t,
                   const double *values) {
        line(opaque, "R %.*s %lld %a %a", (int)len, id, (long long)t, values[0],
             values[1]);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The engine's changes so far, sorted (their order is the engine's). */
static void changes(cw_engine_t *e, struct lines *l) {
        size_t from = l->n;
        cr_assert_eq(cw_engine_collect_changes(e, on_change, l), 0);
        if (l->n > from)
                qsort(l->v + from, l->n - from, sizeof(*l->v), cmp_str);
}

/* Every customer's encoded state, sorted by id. */
static void states(cw_engine_t *e, struct lines *l) {
        uint8_t b[8192];
        char h[16384];
        size_t from = l->n;
        for (size_t k = 0; k < cw_engine_customers(e); k++) {
                size_t n = cw_engine_encode_customer(e, k, b, sizeof(b));
                cr_assert_lt(n, sizeof(b));
                hex(h, b, n);
                line(l, "S %s", h);
        }
        if (l->n > from)
                qsort(l->v + from, l->n - from, sizeof(*l->v), cmp_str);
}

static void same(const struct lines *a, const struct lines *b, size_t from_b,
                 const char *what, const char *cfg) {
        for (size_t i = 0; getenv("SWEEPS_DEBUG") && i < a->n + b->n; i++)
                fprintf(stderr, "%-3zu %.100s | %.100s\n", i,
                        i < a->n ? a->v[i] : "", i < b->n ? b->v[i] : "");
        cr_assert_eq(a->n, b->n - from_b,
                     "%s: %zu lines, sweeping everyone %zu\n%s", what, a->n,
                     b->n - from_b, cfg);
        for (size_t i = 0; i < a->n; i++)
                cr_assert_str_eq(a->v[i], b->v[from_b + i], "%s, line %zu\n%s",
                                 what, i, cfg);
}

/* ---- the scenario ---------------------------------------------------------
 * Engine a skips what it proved, b sweeps everyone; r is rebuilt from a's
 * encoded customers part of the way through. Each writes its warnings
 * (and rows) to w, its changes and final states to k. */

struct eng {
        cw_engine_t *e;
        struct lines w, k;
};

static void engine(struct eng *x, const cw_config_t *c, int rows,
                   int everyone) {
        char err[256];
        struct cw_engine_sampling smp = {3,    INT64_MIN, INT64_MAX,
                                         NULL, on_row,    &x->w};
        memset(x, 0, sizeof(*x));
        x->e = rows ? cw_engine_new_sampling(&c->engine, on_warning, &x->w,
                                             &smp, err, sizeof(err))
                    : cw_engine_new(&c->engine, on_warning, &x->w, err,
                                    sizeof(err));
        cr_assert_not_null(x->e, "%s", err);
        cw_engine_track_changes(x->e);
        cw_engine_sweep_everyone(x->e, everyone);
}

static void finish(struct eng *x) {
        cw_engine_advance(x->e, START + (DAYS + 30) * DAY);
        changes(x->e, &x->k);
        states(x->e, &x->k);
}

static void drop(struct eng *x) {
        cw_engine_destroy(x->e);
        lines_free(&x->w);
        lines_free(&x->k);
}

static void run(cw_engine_t *e, const struct op *o) {
        if (o->advance)
                cw_engine_advance(e, o->ev.ts);
        else
                cw_engine_process(e, &o->ev);
}

/* An engine rebuilt from a's encoded customers and stream time. */
static void restore(struct eng *r, const cw_config_t *c, cw_engine_t *a) {
        uint8_t buf[8192];
        char err[256];
        engine(r, c, 0, 0);
        for (size_t k = 0; k < cw_engine_customers(a); k++) {
                size_t n = cw_engine_encode_customer(a, k, buf, sizeof(buf));
                cr_assert_eq(cw_engine_decode_customer(r->e, buf, n, err,
                                                       sizeof(err)),
                             0, "%s", err);
        }
        cw_engine_restored(r->e, cw_engine_stream_time(a));
        changes(r->e, &r->k);
        lines_free(&r->k);
}

/* Over all scenarios: warnings, customers a sweep skipped, evictions. */
static uint64_t n_warnings, n_skipped, n_evicted;

static void scenario(uint64_t seed, int rows) {
        uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
        char *text = random_config(&s);
        cw_config_t *c = config_from(text);
        struct ops o = {0};
        struct eng a, b, r = {0};
        int cut;
        size_t from = 0;

        engine(&a, c, rows, 0);
        engine(&b, c, rows, 1);
        random_ops(&s, &o);
        cut = rows ? -1 : o.n / 2 + pick(&s, o.n / 4 + 1);
        for (int i = 0; i < o.n; i++) {
                run(a.e, &o.v[i]);
                run(b.e, &o.v[i]);
                if (r.e)
                        run(r.e, &o.v[i]);
                if (i % 97 == 0) {
                        changes(a.e, &a.k);
                        changes(b.e, &b.k);
                }
                if (i == cut) {
                        changes(a.e, &a.k);
                        changes(b.e, &b.k);
                        restore(&r, c, a.e);
                        from = a.w.n;
                }
        }
        finish(&a);
        finish(&b);
        n_warnings += (uint64_t)a.w.n;
        n_skipped += cw_engine_stats(a.e)->skipped;
        n_evicted += cw_engine_stats(a.e)->evicted;
        cr_assert_eq(cw_engine_stats(b.e)->skipped, 0);
        same(&a.w, &b.w, 0, "warnings and rows", text);
        same(&a.k, &b.k, 0, "changes and states", text);
        if (r.e) {
                struct lines tail = {0};
                finish(&r);
                for (size_t i = from; i < a.w.n; i++)
                        line(&tail, "%s", a.w.v[i]);
                same(&r.w, &tail, 0, "a restored engine's warnings", text);
                lines_free(&tail);
                /* Its changes differ (it wrote everyone at the cut); its
                 * states do not. */
                for (size_t i = 0; i < r.k.n; i++)
                        if (r.k.v[i][0] == 'S')
                                line(&tail, "%s", r.k.v[i]);
                for (size_t i = 0, j = 0; i < a.k.n; i++)
                        if (a.k.v[i][0] == 'S') {
                                cr_assert_lt(j, tail.n, "%s", text);
                                cr_assert_str_eq(
                                        a.k.v[i], tail.v[j++],
                                        "a restored engine's state\n%s", text);
                        }
                lines_free(&tail);
                drop(&r);
        }
        drop(&a);
        drop(&b);
        cw_config_destroy(c);
        free(o.v);
        free(text);
}

TestSuite(sweeps, .timeout = 120);

Test(sweeps, skipping_customers_changes_no_byte_on_random_configurations) {
        for (uint64_t seed = 1; seed <= SCENARIOS; seed++)
                scenario(seed, 0);
        /* The scenarios warn, evict, and skip most customers' sweeps. */
        cr_assert_gt(n_warnings, 20 * SCENARIOS, "%llu warnings",
                     (unsigned long long)n_warnings);
        cr_assert_gt(n_evicted, 5 * SCENARIOS);
        cr_assert_gt(n_skipped, 500 * SCENARIOS, "%llu skipped",
                     (unsigned long long)n_skipped);
        fprintf(stderr,
                "%d scenarios: %llu warnings, %llu evictions, %llu "
                "customers skipped\n",
                SCENARIOS, (unsigned long long)n_warnings,
                (unsigned long long)n_evicted, (unsigned long long)n_skipped);
}

Test(sweeps, skipping_customers_changes_no_training_row) {
        for (uint64_t seed = 1001; seed <= 1000 + SCENARIOS / 3; seed++)
                scenario(seed, 1);
}
