/*
 * The engine's change tracking for the state changelog: an engine rebuilt
 * from the changes collected so far (the latest record of each customer,
 * tombstones removing) and the stream time must equal the engine that
 * wrote them, byte for byte, and go on exactly like it.
 */
#include "engine_helpers.h"
#include "test_util.h"

#include <stdint.h>

#include "devtools/gen.h"

#define CONTRACT CW_SOURCE_DIR "/tests/data/configs/good/contract.cfg"
#define EXAMPLE CW_SOURCE_DIR "/examples/churnwatch.cfg"
/* 2026-01-01T00:00:00Z, gen's default start. */
#define START_2026 1767225600000LL
#define BUF 65536

/* ---- configurations ------------------------------------------------------ */

/* A configuration file with its state_ttl line replaced by `ttl`. */
static cw_config_t *config_with_ttl(const char *path, const char *ttl) {
        char *text = slurp(path, NULL), *out, *at = strstr(text, "\nstate_ttl");
        char *eol;
        cw_config_t *c;

        cr_assert_not_null(at, "%s has no state_ttl line", path);
        at++;
        eol = strchr(at, '\n');
        cr_assert_not_null(eol);
        out = malloc(strlen(text) + 64);
        sprintf(out, "%.*sstate_ttl = \"%s\";%s", (int)(at - text), text, ttl,
                eol);
        c = config_from(out);
        free(out);
        free(text);
        return c;
}

/* ---- warnings, every field ----------------------------------------------- */

static void log_warning(void *opaque, const struct cw_warning *w) {
        char s[2048];
        int n = snprintf(s, sizeof(s),
                         "%s %.*s %s kind=%d state=%d sev=%s eval=%lld trig=%d "
                         "score=%d/%.17g emitted=%lld alert=%d",
                         w->warning_id, (int)w->customer_id.len,
                         w->customer_id.p, w->alert, w->kind, w->state,
                         w->severity, (long long)w->eval_ts, w->trigger,
                         w->has_score, w->has_score ? w->score : 0.0,
                         (long long)w->emitted_at, w->alert_index);
        for (int i = 0; i < w->n_features; i++)
                n += snprintf(s + n, sizeof(s) - (size_t)n, " %s=%.17g",
                              w->features[i].name, w->features[i].value);
        for (int i = 0; i < w->n_reasons; i++)
                n += snprintf(s + n, sizeof(s) - (size_t)n, " r=%s",
                              w->reasons[i]);
        cr_assert_lt((size_t)n, sizeof(s));
        lines_add(opaque, s);
}

/* ---- the changelog: id -> latest state --------------------------------- */

struct kv {
        char *id;
        size_t id_len;
        uint8_t *val; /* NULL: removed */
        size_t len;
};

struct changelog {
        struct kv *t;
        size_t cap, used;
        /* The latest collection, one sorted line per change. */
        struct lines last;
        int seen_record;
};

static uint64_t fnv(const char *p, size_t n) {
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (uint8_t)p[i]) * 1099511628211ULL;
        return h;
}

static struct kv *slot_of(struct changelog *m, const char *id, size_t len) {
        if (!m->cap) {
                m->cap = 1024;
                m->t = calloc(m->cap, sizeof(*m->t));
        }
        if (m->used * 2 >= m->cap) {
                struct kv *old = m->t;
                size_t cap = m->cap;
                m->cap *= 2;
                m->t = calloc(m->cap, sizeof(*m->t));
                for (size_t i = 0; i < cap; i++)
                        if (old[i].id) {
                                size_t j = fnv(old[i].id, old[i].id_len) &
                                           (m->cap - 1);
                                while (m->t[j].id)
                                        j = (j + 1) & (m->cap - 1);
                                m->t[j] = old[i];
                        }
                free(old);
        }
        size_t i = fnv(id, len) & (m->cap - 1);
        for (; m->t[i].id; i = (i + 1) & (m->cap - 1))
                if (m->t[i].id_len == len && !memcmp(m->t[i].id, id, len))
                        return &m->t[i];
        m->t[i].id = malloc(len ? len : 1);
        memcpy(m->t[i].id, id, len);
        m->t[i].id_len = len;
        m->used++;
        return &m->t[i];
}

static int take_change(void *opaque, const char *id, size_t id_len,
                       const uint8_t *state, size_t state_len) {
        struct changelog *m = opaque;
        struct kv *kv = slot_of(m, id, id_len);
        char line[2 * BUF + 300];
        size_t n;

        /* Tombstones first, then the customers still held. */
        if (!state)
                cr_assert(!m->seen_record, "a tombstone after a record");
        m->seen_record |= state != NULL;
        free(kv->val);
        kv->val = NULL;
        n = (size_t)snprintf(line, sizeof(line), "%c %.*s ", state ? 'R' : 'T',
                             (int)id_len, id);
        if (state) {
                cr_assert(state_len > 0 && state_len <= BUF);
                kv->val = malloc(state_len);
                memcpy(kv->val, state, state_len);
                kv->len = state_len;
                for (size_t i = 0; i < state_len; i++)
                        n += (size_t)snprintf(line + n, sizeof(line) - n,
                                              "%02x", state[i]);
        }
        lines_add(&m->last, line);
        return 0;
}

static int line_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects e's changes into m; m->last gets them sorted. */
static void collect(cw_engine_t *e, struct changelog *m) {
        lines_free(&m->last);
        m->seen_record = 0;
        cr_assert_eq(cw_engine_collect_changes(e, take_change, m), 0);
        cr_assert_eq(cw_engine_pending_changes(e), 0);
        if (m->last.n)
                qsort(m->last.v, m->last.n, sizeof(char *), line_cmp);
        /* Each customer at most once as a record. */
        for (size_t i = 1; i < m->last.n; i++)
                cr_assert(strcmp(m->last.v[i - 1], m->last.v[i]) ||
                                  m->last.v[i][0] == 'T',
                          "twice: %.60s", m->last.v[i]);
}

static void changelog_free(struct changelog *m) {
        for (size_t i = 0; i < m->cap; i++) {
                free(m->t[i].id);
                free(m->t[i].val);
        }
        free(m->t);
        lines_free(&m->last);
        memset(m, 0, sizeof(*m));
}

/* A new engine rebuilt from the changelog, tracking changes. */
static cw_engine_t *restore(const cw_config_t *c, struct changelog *m,
                            int64_t stream_time, struct lines *log) {
        char err[256];
        cw_engine_t *e =
                cw_engine_new(&c->engine, log_warning, log, err, sizeof(err));

        cr_assert_not_null(e, "%s", err);
        cw_engine_track_changes(e);
        for (size_t i = 0; i < m->cap; i++)
                if (m->t[i].val)
                        cr_assert_eq(cw_engine_decode_customer(e, m->t[i].val,
                                                               m->t[i].len, err,
                                                               sizeof(err)),
                                     0, "%s", err);
        cr_assert_eq(cw_engine_pending_changes(e), 0,
                     "decoding marks nothing changed");
        cw_engine_restored(e, stream_time);
        cr_assert_eq(cw_engine_pending_changes(e), 0);
        return e;
}

/* The id inside an encoding: after the version and layout varints and the
 * id length's. */
static const char *encoded_id(const uint8_t *b, size_t n, size_t *len) {
        size_t i = 0;
        uint64_t v[3] = {0, 0, 0};
        for (int k = 0; k < 3; k++)
                for (int shift = 0; i < n; shift += 7) {
                        v[k] |= (uint64_t)(b[i] & 0x7f) << shift;
                        if (!(b[i++] & 0x80))
                                break;
                }
        *len = (size_t)v[2];
        cr_assert(*len > 0 && i + *len <= n);
        return (const char *)b + i;
}

/* Every customer of `a` is in `b` with the same bytes, and no other. */
static void assert_same_state(const cw_engine_t *a, const cw_engine_t *b,
                              const char *what) {
        uint8_t *x = malloc(BUF), *y = malloc(BUF);

        cr_assert_eq(cw_engine_stream_time(a), cw_engine_stream_time(b), "%s",
                     what);
        cr_assert_eq(cw_engine_customers(a), cw_engine_customers(b),
                     "%s: %zu customers, restored %zu", what,
                     cw_engine_customers(a), cw_engine_customers(b));
        for (size_t i = 0; i < cw_engine_customers(a); i++) {
                size_t nx = cw_engine_encode_customer(a, i, x, BUF), len;
                const char *id;
                cr_assert(nx > 0 && nx <= BUF);
                id = encoded_id(x, nx, &len);
                size_t ny = cw_engine_encode_customer_id(b, id, len, y, BUF);
                cr_assert(ny > 0, "%s: %.*s not restored", what, (int)len, id);
                cr_assert(nx == ny && !memcmp(x, y, nx),
                          "%s: %.*s restored to other bytes (%zu, %zu)", what,
                          (int)len, id, nx, ny);
        }
        free(x);
        free(y);
}

/* ---- a realistic stream -------------------------------------------------- */

enum { OP_EVENT, OP_ADVANCE };

struct op {
        int kind;
        int64_t at; /* processing order: by at, then seq */
        size_t seq;
        struct cw_event ev; /* OP_ADVANCE: ev.ts is the time */
};

struct stream {
        struct op *v;
        size_t n, cap;
        uint64_t rng;
};

static uint64_t next_rand(uint64_t *s) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

static char *copy_str(cw_str_t *s) {
        char *p;
        if (!s->p)
                return NULL;
        p = malloc(s->len + 1);
        memcpy(p, s->p, s->len);
        p[s->len] = '\0';
        s->p = p;
        return p;
}

static void push(struct stream *s, int kind, int64_t at,
                 const struct cw_event *ev) {
        struct op *o;
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 4096;
                s->v = realloc(s->v, s->cap * sizeof(*s->v));
                cr_assert_not_null(s->v);
        }
        o = &s->v[s->n];
        memset(o, 0, sizeof(*o));
        o->kind = kind;
        o->at = at;
        o->seq = s->n++;
        o->ev = *ev;
        if (kind != OP_EVENT)
                return;
        copy_str(&o->ev.customer_id);
        for (int i = 0; i < CW_EVENT_MAX_FIELDS; i++)
                if (i == CW_FIELD_CUSTOMER_ID)
                        o->ev.str[i] = o->ev.customer_id;
                else
                        copy_str(&o->ev.str[i]);
}

/* Generated events; one in 25 arrives up to two days late, one in 500
 * too late to count. */
static int take_event(void *opaque, const struct cw_event *ev) {
        struct stream *s = opaque;
        int64_t at = ev->ts;
        uint64_t r = next_rand(&s->rng) % 1000;
        if (r < 40)
                at += (int64_t)(next_rand(&s->rng) % (2 * DAY));
        else if (r < 42) /* past lateness (7d): not applied */
                at += 8 * DAY;
        push(s, OP_EVENT, at, ev);
        return 0;
}

static int op_cmp(const void *a, const void *b) {
        const struct op *x = a, *y = b;
        if (x->at != y->at)
                return x->at < y->at ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * `customers` generated over `days`, delivered partly out of order, plus
 * customers whose first event comes after its day's sweep (two hours
 * late, across midnight), and now and then a sweep started by the clock
 * (cw_engine_advance) rather than by an event.
 */
static void make_stream(struct stream *s, int customers, int days,
                        uint64_t seed) {
        struct cw_gen_params p = {seed, customers, days, START_2026,
                                  CW_GEN_CLASSIC};
        char err[256] = "";
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));

        cr_assert_not_null(g, "%s", err);
        memset(s, 0, sizeof(*s));
        s->rng = seed * 2654435761u + 1;
        for (int d = 0; d < days; d++)
                cr_assert_eq(cw_gen_day(g, take_event, s, err, sizeof(err)), 0,
                             "%s", err);
        cw_gen_destroy(g);
        for (int d = 3; d < days; d += 4) {
                int64_t midnight = START_2026 + (int64_t)d * DAY;
                char id[32];
                double nums[3] = {1999 + d, 0, 0};
                const char *strs[3] = {NULL, "EUR", "app"};
                struct cw_event ev;

                snprintf(id, sizeof(id), "newcomer-%03d", d);
                ev = make_event(CW_STREAM_PURCHASE, id, midnight - 2 * HOUR,
                                nums, strs);
                push(s, OP_EVENT, midnight + HOUR, &ev);
                if (d % 8 == 3) { /* and again, later the same day */
                        ev = make_event(CW_STREAM_PURCHASE, id,
                                        midnight + 5 * HOUR, nums, strs);
                        push(s, OP_EVENT, midnight + 5 * HOUR, &ev);
                }
                if (d % 3 == 0) { /* the clock reaches the next midnight */
                        memset(&ev, 0, sizeof(ev));
                        ev.ts = midnight + DAY;
                        push(s, OP_ADVANCE, midnight + DAY - 1, &ev);
                }
        }
        qsort(s->v, s->n, sizeof(*s->v), op_cmp);
}

static void stream_free(struct stream *s) {
        for (size_t i = 0; i < s->n; i++) {
                if (s->v[i].kind != OP_EVENT)
                        continue;
                for (int k = 0; k < CW_EVENT_MAX_FIELDS; k++)
                        if (k != CW_FIELD_CUSTOMER_ID)
                                free((char *)s->v[i].ev.str[k].p);
                free((char *)s->v[i].ev.customer_id.p);
        }
        free(s->v);
}

static void run_op(cw_engine_t *e, const struct op *o) {
        if (o->kind == OP_EVENT)
                cw_engine_process(e, &o->ev);
        else
                cw_engine_advance(e, o->ev.ts);
}

/* ---- the scenario ---------------------------------------------------------
 * Engine A tracks changes and collects them every `every` operations and
 * at each cut. At a cut an engine is rebuilt from the changelog and must
 * equal A; the first few rebuilt go on with A's operations, emit the same
 * warnings and collect the same changes, and still equal A at the end. */

#define MAX_FOLLOWERS 3

struct follower {
        cw_engine_t *e;
        struct lines log;
        size_t from; /* A's warnings before the cut */
        struct changelog m;
};

static void check_changelog(const cw_config_t *c, const struct stream *s,
                            size_t every, int cuts, uint64_t seed) {
        struct lines log = {0}, scratch = {0};
        struct changelog m = {0};
        struct follower f[MAX_FOLLOWERS];
        int n_f = 0, n_cuts = 0;
        uint64_t rng = seed;
        char err[256], what[128];
        cw_engine_t *a =
                cw_engine_new(&c->engine, log_warning, &log, err, sizeof(err));
        const struct cw_engine_stats *st;

        cr_assert_not_null(a, "%s", err);
        cw_engine_track_changes(a);
        memset(f, 0, sizeof(f));
        for (size_t i = 0; i < s->n; i++) {
                int cut = next_rand(&rng) % s->n < (uint64_t)cuts;
                run_op(a, &s->v[i]);
                for (int k = 0; k < n_f; k++)
                        run_op(f[k].e, &s->v[i]);
                if ((i + 1) % every && !cut && i + 1 < s->n)
                        continue;
                collect(a, &m);
                for (int k = 0; k < n_f; k++) {
                        collect(f[k].e, &f[k].m);
                        cr_assert_eq(f[k].m.last.n, m.last.n,
                                     "op %zu: follower %d collected %zu "
                                     "changes, the original %zu",
                                     i, k, f[k].m.last.n, m.last.n);
                        for (size_t j = 0; j < m.last.n; j++)
                                cr_assert_str_eq(f[k].m.last.v[j], m.last.v[j]);
                }
                if (!cut && i + 1 < s->n)
                        continue;
                /* Followers from about 1/4, 2/4 and 3/4 of the way. */
                int keep = n_f < MAX_FOLLOWERS && i + 1 < s->n &&
                           i >= (size_t)(n_f + 1) * s->n / (MAX_FOLLOWERS + 1);
                struct lines *blog = keep ? &f[n_f].log : &scratch;
                cw_engine_t *b = restore(c, &m, cw_engine_stream_time(a), blog);
                snprintf(what, sizeof(what), "every %zu, cut at op %zu/%zu",
                         every, i + 1, s->n);
                assert_same_state(a, b, what);
                n_cuts++;
                if (keep) {
                        f[n_f].e = b;
                        f[n_f].from = log.n;
                        n_f++;
                } else {
                        cw_engine_destroy(b);
                        lines_free(&scratch);
                }
        }
        st = cw_engine_stats(a);
        if (c->engine.state_ttl_ms < 100 * DAY)
                cr_assert_gt(st->evicted, 0, "no customer was evicted");
        cr_assert_gt(st->late, 0, "no event came late");
        cr_assert_gt(n_cuts, 1);
        for (int k = 0; k < n_f; k++) {
                snprintf(what, sizeof(what), "every %zu, follower %d", every,
                         k);
                cr_assert_gt(log.n - f[k].from, 0, "%s: no warnings", what);
                cr_assert_eq(f[k].log.n, log.n - f[k].from,
                             "%s: %zu warnings, the original %zu", what,
                             f[k].log.n, log.n - f[k].from);
                for (size_t j = 0; j < f[k].log.n; j++)
                        cr_assert_str_eq(f[k].log.v[j], log.v[f[k].from + j],
                                         "%s: warning %zu", what, j);
                assert_same_state(a, f[k].e, what);
                cw_engine_destroy(f[k].e);
                lines_free(&f[k].log);
                changelog_free(&f[k].m);
        }
        cw_engine_destroy(a);
        lines_free(&log);
        changelog_free(&m);
}

TestSuite(changes, .timeout = 600);

Test(changes, contract_config_restores_exactly_at_every_cut) {
        cw_config_t *c = config_with_ttl(CONTRACT, "30d");
        struct stream s;
        static const size_t every[] = {1, 7, 250, 4000, SIZE_MAX};

        make_stream(&s, 400, 150, 11);
        for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++)
                check_changelog(c, &s, every[i], 12, 100 + i);
        stream_free(&s);
        cw_config_destroy(c);
}

Test(changes, example_config_restores_exactly_at_every_cut) {
        cw_config_t *c = config_with_ttl(EXAMPLE, "9d");
        struct stream s;
        static const size_t every[] = {1, 13, 600, 9000, SIZE_MAX};

        make_stream(&s, 300, 150, 23);
        for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++)
                check_changelog(c, &s, every[i], 12, 200 + i);
        stream_free(&s);
        cw_config_destroy(c);
}

/* Its own state_ttl (365d): windows empty long before customers go. */
Test(changes, example_config_long_ttl_restores_exactly_at_every_cut) {
        cw_config_t *c = config_with_ttl(EXAMPLE, "365d");
        struct stream s;
        static const size_t every[] = {1, 50, 2000, SIZE_MAX};

        make_stream(&s, 300, 150, 37);
        for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++)
                check_changelog(c, &s, every[i], 12, 300 + i);
        stream_free(&s);
        cw_config_destroy(c);
}

/* ---- small cases ---------------------------------------------------- */

struct seen {
        char ids[64][64];
        int tomb[64];
        int n;
        int fail_at; /* 1-based call to fail; 0: never */
        int calls;
};

static int see_change(void *opaque, const char *id, size_t id_len,
                      const uint8_t *state, size_t state_len) {
        struct seen *s = opaque;
        (void)state_len;
        if (++s->calls == s->fail_at)
                return 1;
        cr_assert_lt(s->n, 64);
        snprintf(s->ids[s->n], 64, "%.*s", (int)id_len, id);
        s->tomb[s->n++] = state == NULL;
        return 0;
}

static cw_engine_t *engine_for(cw_config_t **c, const char *text,
                               struct recorder *r) {
        char err[256];
        cw_engine_t *e;
        *c = config_from(text);
        e = cw_engine_new(&(*c)->engine, r ? record : NULL, r, err,
                          sizeof(err));
        cr_assert_not_null(e, "%s", err);
        return e;
}

#define LOGIN_3D                                                               \
        "features = ( { name = \"c\"; stream = \"login\"; agg = \"count\"; "   \
        "window = \"3d\"; } );\n"                                              \
        "rules = ( { name = \"r\"; when = \"c >= 1\"; } );\n"

Test(changes, evicted_then_seen_again_gives_tombstone_then_record) {
        cw_config_t *c;
        cw_engine_t *e = engine_for(&c, LOGIN_3D "state_ttl = \"2d\";\n", NULL);
        struct seen s = {0};

        cw_engine_track_changes(e);
        login(e, "A", 10 * DAY, 60, 1);
        login(e, "B", 10 * DAY, 60, 1);
        cr_assert_eq(cw_engine_pending_changes(e), 2);
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), 0);
        cr_assert_eq(s.n, 2);
        memset(&s, 0, sizeof(s));
        /* Day 12's sweep evicts A and B; A comes back the same interval. */
        login(e, "A", 12 * DAY + HOUR, 60, 1);
        cr_assert_eq(cw_engine_stats(e)->evicted, 2);
        cr_assert_eq(cw_engine_pending_changes(e), 3);
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), 0);
        cr_assert_eq(s.n, 3);
        cr_assert(s.tomb[0] && s.tomb[1] && !s.tomb[2]);
        cr_assert_str_eq(s.ids[2], "A");
        cr_assert(!strcmp(s.ids[0], "A") || !strcmp(s.ids[1], "A"));
        cr_assert(!strcmp(s.ids[0], "B") || !strcmp(s.ids[1], "B"));
        cr_assert_eq(cw_engine_pending_changes(e), 0);
        cw_engine_destroy(e);
        cw_config_destroy(c);
}

Test(changes, a_sweep_marks_only_the_customers_whose_alerts_change) {
        cw_config_t *c;
        cw_engine_t *e = engine_for(&c, LOGIN_3D, NULL);
        struct seen s = {0};

        cw_engine_track_changes(e);
        login(e, "A", 10 * DAY, 60, 1);
        login(e, "B", 10 * DAY + HOUR, 60, 1);
        login(e, "C", 12 * DAY, 60, 1);
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), 0);
        cr_assert_eq(s.n, 3);
        /* Sweeps of days 11 and 12 ran and changed no alert. */
        cw_engine_advance(e, 12 * DAY + 20 * HOUR);
        cr_assert_eq(cw_engine_pending_changes(e), 0);
        /* Day 13: A and B resolve (their window is [11, 13]), C stays. */
        cw_engine_advance(e, 13 * DAY + HOUR);
        cr_assert_eq(cw_engine_pending_changes(e), 2);
        memset(&s, 0, sizeof(s));
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), 0);
        cr_assert_eq(s.n, 2);
        cr_assert(!s.tomb[0] && !s.tomb[1]);
        cr_assert(strcmp(s.ids[0], "C") && strcmp(s.ids[1], "C"));
        cw_engine_advance(e, 14 * DAY + HOUR);
        cr_assert_eq(cw_engine_pending_changes(e), 0);
        cw_engine_advance(e, 15 * DAY + HOUR);
        memset(&s, 0, sizeof(s));
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), 0);
        cr_assert_eq(s.n, 1);
        cr_assert_str_eq(s.ids[0], "C");
        cw_engine_destroy(e);
        cw_config_destroy(c);
}

/* Warned customers, for the test below. */
struct warned {
        char ids[4096][32];
        int n;
};

static void note_warned(void *opaque, const struct cw_warning *w) {
        struct warned *r = opaque;
        cr_assert_lt(r->n, 4096);
        snprintf(r->ids[r->n++], 32, "%.*s", (int)w->customer_id.len,
                 w->customer_id.p);
}

static int count_change(void *opaque, const char *id, size_t id_len,
                        const uint8_t *state, size_t state_len) {
        struct lines *l = opaque;
        char s[300];
        (void)state_len;
        snprintf(s, sizeof(s), "%c%.*s", state ? 'R' : 'T', (int)id_len, id);
        lines_add(l, s);
        return 0;
}

static int feed_event(void *opaque, const struct cw_event *ev) {
        cw_engine_process(opaque, ev);
        return 0;
}

/* The contract's alerts have no `for`: every change of state warns. */
Test(changes, generated_data_sweeps_mark_exactly_warned_and_evicted) {
        cw_config_t *c = config_with_ttl(CONTRACT, "20d");
        struct cw_gen_params p = {5, 2000, 100, START_2026, CW_GEN_CLASSIC};
        struct warned *w = calloc(1, sizeof(*w));
        struct lines got = {0};
        char err[256];
        cw_gen_t *g = cw_gen_new(&p, err, sizeof(err));
        cw_engine_t *e =
                cw_engine_new(&c->engine, note_warned, w, err, sizeof(err));
        int checked = 0;

        cr_assert_not_null(g, "%s", err);
        cw_engine_track_changes(e);
        for (int d = 0; d < p.days; d++) {
                uint64_t evicted = cw_engine_stats(e)->evicted;
                size_t held;
                cr_assert_eq(cw_gen_day(g, feed_event, e, err, sizeof(err)), 0);
                lines_free(&got);
                cr_assert_eq(cw_engine_collect_changes(e, count_change, &got),
                             0);
                /* The sweep of the next midnight, alone. */
                w->n = 0;
                held = cw_engine_customers(e);
                evicted = cw_engine_stats(e)->evicted;
                cw_engine_advance(e, START_2026 + (int64_t)(d + 1) * DAY);
                evicted = cw_engine_stats(e)->evicted - evicted;
                lines_free(&got);
                cr_assert_eq(cw_engine_collect_changes(e, count_change, &got),
                             0);
                /* Each warned customer once, as a record, plus tombstones. */
                size_t distinct = 0, tombs = 0;
                for (int i = 0; i < w->n; i++) {
                        int dup = 0;
                        for (int j = 0; j < i && !dup; j++)
                                dup = !strcmp(w->ids[i], w->ids[j]);
                        distinct += !dup;
                }
                for (size_t i = 0; i < got.n; i++) {
                        int found = got.v[i][0] == 'T';
                        tombs += found;
                        for (int j = 0; j < w->n && !found; j++)
                                found = !strcmp(got.v[i] + 1, w->ids[j]);
                        cr_assert(found, "day %d: %s changed without a warning",
                                  d, got.v[i]);
                }
                cr_assert_eq(tombs, evicted);
                cr_assert_eq(got.n, distinct + evicted,
                             "day %d: %zu changes, %zu customers warned, %llu "
                             "evicted of %zu",
                             d, got.n, distinct, (unsigned long long)evicted,
                             held);
                checked += w->n > 0;
        }
        cr_assert_gt(checked, 20, "sweeps with warnings: %d", checked);
        cr_assert_gt(cw_engine_stats(e)->evicted, 0);
        lines_free(&got);
        cw_engine_destroy(e);
        cw_gen_destroy(g);
        cw_config_destroy(c);
        free(w);
}

Test(changes, with_tracking_off_nothing_is_collected) {
        cw_config_t *c;
        cw_engine_t *e = engine_for(&c, LOGIN_3D "state_ttl = \"2d\";\n", NULL);
        struct seen s = {0};

        login(e, "A", 10 * DAY, 60, 1);
        login(e, "B", 13 * DAY, 60, 1); /* evicts A */
        cr_assert_eq(cw_engine_stats(e)->evicted, 1);
        cr_assert_eq(cw_engine_pending_changes(e), 0);
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), 0);
        cr_assert_eq(s.calls, 0);
        cw_engine_destroy(e);
        cw_config_destroy(c);
}

/* The window min/max of a customer whose window emptied day by day must
 * equal the one a restore gets by moving the windows in one step. */
Test(changes, windows_emptied_day_by_day_restore_to_the_same_bytes) {
        cw_config_t *c;
        cw_engine_t *a = engine_for(
                &c,
                "features = ( { name = \"mx\"; stream = \"purchase\"; agg = "
                "\"max\"; field = \"amount_cents\"; window = \"3d\"; },\n"
                "  { name = \"mn\"; stream = \"purchase\"; agg = \"min\"; "
                "field = \"amount_cents\"; window = \"5d\"; } );\n"
                "rules = ( { name = \"r\"; when = \"mx > 1000000\"; } );\n",
                NULL);
        struct changelog m = {0};
        struct lines log = {0};

        cw_engine_track_changes(a);
        purchase(a, "A", 10 * DAY, 500);
        purchase(a, "A", 11 * DAY, 700);
        collect(a, &m);
        for (int d = 12; d < 30; d++) {
                cw_engine_advance(a, (int64_t)d * DAY + HOUR);
                collect(a, &m);
                cw_engine_t *b = restore(c, &m, cw_engine_stream_time(a), &log);
                assert_same_state(a, b, "day by day");
                cw_engine_destroy(b);
        }
        changelog_free(&m);
        lines_free(&log);
        cw_engine_destroy(a);
        cw_config_destroy(c);
}

Test(changes, first_seen_late_after_its_days_sweep_restores_as_is) {
        cw_config_t *c;
        struct recorder *ra = calloc(1, sizeof(*ra));
        cw_engine_t *a = engine_for(&c, LOGIN_3D, ra);
        struct changelog m = {0};
        struct lines log = {0};
        cw_engine_t *b;

        cw_engine_track_changes(a);
        login(a, "A", 10 * DAY, 60, 1);
        login(a, "B", 11 * DAY + HOUR, 60, 1); /* day 11's sweep */
        login(a, "L", 11 * DAY - HOUR, 60, 1); /* day 10, after it */
        collect(a, &m);
        b = restore(c, &m, cw_engine_stream_time(a), &log);
        assert_same_state(a, b, "late newcomer");
        cw_engine_destroy(b);

        /* Its first sweep, day 12, is the one that brings it to the day:
         * that changes its record although no alert changes. */
        cw_engine_advance(a, 12 * DAY + HOUR);
        cr_assert_eq(cw_engine_pending_changes(a), 1);
        collect(a, &m);
        cr_assert_eq(m.last.n, 1);
        cr_assert_eq(strncmp(m.last.v[0], "R L ", 4), 0, "%s", m.last.v[0]);
        b = restore(c, &m, cw_engine_stream_time(a), &log);
        assert_same_state(a, b, "late newcomer, swept");
        cw_engine_destroy(b);
        changelog_free(&m);
        lines_free(&log);
        cw_engine_destroy(a);
        cw_config_destroy(c);
        free(ra);
}

Test(changes, a_failed_callback_keeps_what_it_did_not_take) {
        cw_config_t *c;
        cw_engine_t *e = engine_for(&c, LOGIN_3D "state_ttl = \"2d\";\n", NULL);
        struct seen s = {0};

        cw_engine_track_changes(e);
        login(e, "A", 10 * DAY, 60, 1);
        login(e, "B", 10 * DAY, 60, 1);
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), 0);
        login(e, "C", 12 * DAY, 60, 1); /* evicts A and B */
        login(e, "D", 12 * DAY, 60, 1);
        login(e, "E", 12 * DAY, 60, 1);
        cr_assert_eq(cw_engine_pending_changes(e), 5);
        /* Fails on the second tombstone, then on the second record. */
        memset(&s, 0, sizeof(s));
        s.fail_at = 2;
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), -1);
        cr_assert_eq(s.n, 1);
        cr_assert_eq(cw_engine_pending_changes(e), 4);
        s.fail_at = 5; /* calls 3 and 4: the tombstone left, a record */
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), -1);
        cr_assert_eq(s.n, 3);
        cr_assert(s.tomb[0] && s.tomb[1] && !s.tomb[2]);
        cr_assert_eq(cw_engine_pending_changes(e), 2);
        cr_assert_eq(cw_engine_collect_changes(e, see_change, &s), 0);
        cr_assert_eq(s.n, 5);
        cr_assert(!s.tomb[3] && !s.tomb[4]);
        cr_assert_eq(cw_engine_pending_changes(e), 0);
        /* C, D and E once each. */
        cr_assert(strcmp(s.ids[2], s.ids[3]) && strcmp(s.ids[2], s.ids[4]) &&
                  strcmp(s.ids[3], s.ids[4]));
        cw_engine_destroy(e);
        cw_config_destroy(c);
}

Test(changes, forgetting_a_customer_drops_it_and_marks_nothing) {
        cw_config_t *c;
        cw_engine_t *e = engine_for(&c, LOGIN_3D, NULL);

        login(e, "A", 10 * DAY, 60, 1);
        login(e, "B", 10 * DAY, 60, 1);
        cw_engine_track_changes(e);
        cw_engine_forget_customer(e, "A", 1);
        cw_engine_forget_customer(e, "nobody", 6);
        cr_assert_eq(cw_engine_customers(e), 1);
        cr_assert_eq(cw_engine_pending_changes(e), 0);
        cw_engine_destroy(e);
        cw_config_destroy(c);
}
