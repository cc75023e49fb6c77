#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/timeparse.h"
#include "features/engine.h"
#include "jump_int.h"

/* Late events beyond this many are counted but not logged one by one. */
#define LOG_LATE_MAX 10

/*
 * Events are read a few ahead of the one the engine processes, so that the
 * memory of their customers can be fetched early (cw_engine_prefetch): the
 * engine's cost is mostly waiting for memory. A held event owns a copy of
 * its strings, as the source's next call invalidates them.
 */
#define AHEAD 16

struct ahead {
        struct cw_event ev;
        char *buf;
        size_t cap;
        uint32_t hash;
        struct cw_source_mark mark; /* where it came from */
};

/* What a replay adds up over its shards. */
struct replay {
        const cw_config_t *c;
        const struct cw_replay_opts *o;
        cw_source_t *src;
        cw_engine_t *e; /* the shard's */
        int tty;
        double start, shown;
        unsigned long long late, written, events;
        uint64_t jumps; /* clock jumps logged (jump_int.h) */
        unsigned long long applied, evicted, held;
        int rows_lost;                /* memory ran out at a sample time */
        unsigned long long *warnings; /* [alert * 2 + state] */
        int sink_failed;
        char sink_err[512];
};

static void on_warning(void *opaque, const struct cw_warning *w) {
        struct replay *r = opaque;

        if (r->sink_failed || (r->o->has_from && w->eval_ts < r->o->from))
                return;
        if (r->o->bt && cw_backtest_warning(r->o->bt, w)) {
                snprintf(r->sink_err, sizeof(r->sink_err), "out of memory");
                r->sink_failed = 1;
                return;
        }
        if (r->c->engine.alerts[w->alert_index].variant || !r->o->sink)
                return; /* a sweep variant: only scored */
        if (cw_sink_write(r->o->sink, w, r->sink_err, sizeof(r->sink_err)))
                r->sink_failed = 1;
        else
                r->written++;
}

static int hold(struct ahead *a, const struct cw_event *ev) {
        const struct cw_stream_def *d = &cw_streams[ev->stream];
        size_t need = 0, off = 0;

        for (int f = 0; f < d->n_fields; f++)
                if (d->fields[f].type == CW_FIELD_STR && ev->str[f].p)
                        need += ev->str[f].len;
        if (need > a->cap) {
                char *b = realloc(a->buf, need * 2);
                if (!b)
                        return -1;
                a->buf = b;
                a->cap = need * 2;
        }
        a->ev = *ev;
        for (int f = 0; f < d->n_fields; f++)
                if (d->fields[f].type == CW_FIELD_STR && ev->str[f].p) {
                        memcpy(a->buf + off, ev->str[f].p, ev->str[f].len);
                        a->ev.str[f].p = a->buf + off;
                        off += ev->str[f].len;
                }
        a->ev.customer_id = a->ev.str[CW_FIELD_CUSTOMER_ID];
        return 0;
}

/*
 * Applies one event. A customer the engine has just added joins the
 * backtest's population (every customer with an applied event): once per
 * customer rather than a lookup per event. Memory running out fails the
 * report when written.
 */
static void process(struct replay *r, const struct ahead *a) {
        uint64_t created = cw_engine_stats(r->e)->created;
        int64_t before = cw_engine_stream_time(r->e);
        cw_process_result_t res =
                cw_engine_process_hashed(r->e, &a->ev, a->hash);
        char where[600];

        if (r->o->bt && cw_engine_stats(r->e)->created != created)
                (void)cw_backtest_applied(r->o->bt, a->ev.customer_id.p,
                                          a->ev.customer_id.len);
        if (res == CW_PROCESS_APPLIED &&
            cw_jump_is(&r->c->engine, before, a->ev.ts)) {
                cw_source_where(&a->mark, where, sizeof(where));
                cw_jump_warn(&r->c->engine, where, before, a->ev.ts, &r->jumps);
        }
        if (res != CW_PROCESS_LATE || ++r->late > LOG_LATE_MAX)
                return;
        cw_source_where(&a->mark, where, sizeof(where));
        cw_warn("%s: late event (ts %lld is more than lateness before "
                "stream time %lld); skipped%s",
                where, (long long)a->ev.ts,
                (long long)cw_engine_stream_time(r->e),
                r->late == LOG_LATE_MAX
                        ? "; further late events are only counted"
                        : "");
}

/* The progress on a terminal: with a known total (Kafka), the share of the
 * records, events/s and the time left at that rate; else events, events/s,
 * stream time and customers. */
static void progress(struct replay *r, int shard) {
        struct cw_source_stats st;
        double el = cw_mono_s() - r->start, rate, f;
        char line[41], when[40];
        int w;

        r->src->ops->stats(r->src->impl, &st);
        rate = el > 0 ? (double)st.read / el : 0;
        if (st.total < 0) {
                cw_time_format(cw_engine_stream_time(r->e), when, sizeof(when));
                fprintf(stderr,
                        "\rreplay: %llu events, %.0f events/s, stream time "
                        "%s, %llu customers   ",
                        st.read, rate, when,
                        (unsigned long long)cw_engine_stats(r->e)->customers);
                return;
        }
        f = st.total > 0 ? (double)st.read / (double)st.total : 0;
        w = (int)(f > 1 ? 40 : f * 40);
        memset(line, '#', (size_t)w);
        memset(line + w, '.', (size_t)(40 - w));
        line[40] = 0;
        fprintf(stderr,
                "\rreplay: [%s] %3.0f%%  shard %d  %.0f events/s  ETA %.0f s  "
                " ",
                line, f > 1 ? 100 : f * 100, shard, rate,
                rate > 0 && st.total > (int64_t)st.read
                        ? (double)(st.total - (int64_t)st.read) / rate
                        : 0);
}

/* Reads the next event into the ring slot `a`: 1, 0 at the shard's end
 * (or, ordered, past --to), -1 with a sentence. */
static int read_ahead(struct replay *r, struct ahead *a, char *err,
                      size_t err_size) {
        const struct cw_source_ops *ops = r->src->ops;
        struct cw_event ev;
        int n;

        for (;;) {
                if ((n = ops->next(r->src->impl, &ev, err, err_size)) <= 0)
                        return n;
                r->events++;
                if (!r->o->has_to || ev.ts <= r->o->to)
                        break;
                if (ops->ordered)
                        return 0; /* every later event is after --to too */
        }
        if (hold(a, &ev)) {
                snprintf(err, err_size, "out of memory");
                return -1;
        }
        ops->mark(r->src->impl, &a->mark);
        a->hash = cw_engine_id_hash(ev.customer_id.p, ev.customer_id.len);
        cw_engine_prefetch(r->e, a->hash, 0);
        return 1;
}

/* Feeds one shard's events to its engine; 0, or -1 with a sentence. */
static int run_shard(struct replay *r, int shard, struct ahead *ring, char *err,
                     size_t err_size) {
        size_t head = 0, tail = 0;
        int n = 1;

        for (;;) {
                while (n > 0 && tail - head < AHEAD &&
                       (n = read_ahead(r, &ring[tail % AHEAD], err, err_size)) >
                               0)
                        tail++;
                if (n < 0)
                        return -1;
                if (head == tail)
                        break;
                if (tail - head > 8)
                        cw_engine_prefetch(r->e, ring[(head + 8) % AHEAD].hash,
                                           1);
                if (tail - head > 4)
                        cw_engine_prefetch(r->e, ring[(head + 4) % AHEAD].hash,
                                           2);
                process(r, &ring[head % AHEAD]);
                head++;
                if (r->tty && !(r->events & 0xffff) &&
                    cw_mono_s() - r->shown > 0.5) {
                        r->shown = cw_mono_s();
                        progress(r, shard);
                }
        }
        if (r->o->has_to)
                cw_engine_advance(r->e, r->o->to);
        return 0;
}

/* Adds a finished shard's engine figures to the replay's. */
static void add_up(struct replay *r) {
        const struct cw_engine_stats *st = cw_engine_stats(r->e);

        r->applied += st->applied;
        r->rows_lost |= st->rows_lost;
        r->evicted += st->evicted;
        r->held += st->customers;
        for (int i = 0; i < 2 * r->c->engine.n_alerts; i++)
                r->warnings[i] += st->warnings[i];
}

static void summary(struct replay *r, double elapsed) {
        const cw_engine_conf_t *e = &r->c->engine;
        struct cw_source_stats st;
        char what[128];

        r->src->ops->stats(r->src->impl, &st);
        r->src->ops->describe(r->src->impl, what, sizeof(what));
        cw_info("replay: %s, %llu events read, %llu invalid, %llu applied, "
                "%llu late, %llu customers evicted, %llu held",
                what, st.read, st.invalid, r->applied, r->late, r->evicted,
                r->held);
        for (int a = 0; a < e->n_alerts; a++)
                cw_info("replay: alert %s%s%s: %llu FIRING, %llu RESOLVED",
                        e->alerts[a].name, e->alerts[a].variant ? " " : "",
                        e->alerts[a].variant ? e->alerts[a].variant : "",
                        r->warnings[2 * a], r->warnings[2 * a + 1]);
        if (r->o->ts)
                cw_info("replay: %llu training rows written",
                        (unsigned long long)cw_trainset_rows(r->o->ts));
        cw_info("replay: %llu warnings written; %.3f s, %.0f events/s",
                r->written, elapsed,
                elapsed > 0 ? (double)st.read / elapsed : 0);
}

/* A shard's engine; with a training set, one that samples its rows. */
static cw_engine_t *new_engine(struct replay *r, char *err, size_t err_size) {
        struct cw_engine_sampling s;

        if (!r->o->ts)
                return cw_engine_new(&r->c->engine, on_warning, r, err,
                                     err_size);
        cw_trainset_sampling(r->o->ts, &s);
        return cw_engine_new_sampling(&r->c->engine, on_warning, r, &s, err,
                                      err_size);
}

int cw_replay_run(const cw_config_t *c, cw_source_t *src,
                  const struct cw_replay_opts *o) {
        struct replay r = {.c = c, .o = o, .src = src};
        struct ahead ring[AHEAD];
        char err[1024];
        int shard, n, rc = -1;

        memset(ring, 0, sizeof(ring));
        r.tty = isatty(STDERR_FILENO);
        r.start = r.shown = cw_mono_s();
        if (!(r.warnings = calloc(2 * (size_t)c->engine.n_alerts + 1,
                                  sizeof(*r.warnings)))) {
                cw_error("replay: out of memory");
                return -1;
        }
        while ((n = src->ops->next_shard(src->impl, &shard, err, sizeof(err))) >
               0) {
                if (!(r.e = new_engine(&r, err, sizeof(err))) ||
                    run_shard(&r, shard, ring, err, sizeof(err)))
                        goto out;
                add_up(&r);
                cw_engine_destroy(r.e);
                r.e = NULL;
        }
        if (n < 0)
                goto out;
        if (r.tty)
                fputc('\n', stderr);
        if (r.sink_failed) {
                snprintf(err, sizeof(err), "%s", r.sink_err);
                goto out;
        }
        if (r.rows_lost) {
                snprintf(err, sizeof(err),
                         "out of memory at a sample time: the training set "
                         "misses rows");
                goto out;
        }
        summary(&r, cw_mono_s() - r.start);
        rc = 0;
out:
        if (rc)
                cw_error("replay: %s", err);
        cw_engine_destroy(r.e);
        for (int i = 0; i < AHEAD; i++)
                free(ring[i].buf);
        free(r.warnings);
        return rc;
}
