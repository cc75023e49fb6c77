/* churnwatch replay: the engine over Avro container files (CONTRACT.md
 * section 5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backtest/backtest.h"
#include "cli.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/timeparse.h"
#include "config/config.h"
#include "consumers/consumer.h"
#include "features/engine.h"
#include "pipeline/file_merge.h"
#include "schemas/schemas.h"
#include "sinks/sink.h"

/* Late events beyond this many are counted but not logged one by one. */
#define LOG_LATE_MAX 10

static const char usage[] =
        "Usage: churnwatch replay -c FILE --input PATH... [--from T] [--to T]\n"
        "       churnwatch replay -c FILE --source kafka [--from T] [--to T]\n"
        "                         [--sort] --output OUT\n"
        "                         [--labels LABELS.csv --report DIR]\n"
        "                         [--sweep MODEL.fire=START:STOP:STEP]...\n"
        "\n"
        "Replays Avro container files through the engine, exactly as live\n"
        "processing would, and writes the warnings to OUT.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE        the configuration file\n"
        "  -i, --input PATH         an Avro container file, or a folder of "
        "*.avro\n"
        "                           files; repeat for more. The writer "
        "schema's\n"
        "                           record name tells the stream.\n"
        "  -o, --output OUT         OUT.jsonl (one JSON warning per line), "
        "OUT.avro\n"
        "                           (Avro container file), or - for JSONL on "
        "stdout\n"
        "      --from T             build state from earlier events, but write "
        "only\n"
        "                           warnings with eval_ts >= T\n"
        "      --to T               ignore events after T; advance stream time "
        "to T\n"
        "                           (running the day sweeps up to it)\n"
        "      --source kafka       read the configured input topics instead, "
        "shard by\n"
        "                           shard as `run` does, from their "
        "beginning (or\n"
        "                           from --from less warmup) to their end "
        "now; no\n"
        "                           consumer group, no commits\n"
        "      --sort               sort each file by ts in memory (otherwise "
        "a file\n"
        "                           out of ts order is an error)\n"
        "      --labels LABELS.csv  churn labels (customer_id,churned_at) to "
        "score\n"
        "                           every alert against; with --report\n"
        "      --report DIR         write DIR/report.json and "
        "DIR/report.html: per\n"
        "                           alert, warned, true positives, "
        "precision, recall,\n"
        "                           lead time; with charts in the HTML\n"
        "      --sweep MODEL.fire=START:STOP:STEP\n"
        "                           also score MODEL with fire = START, "
        "START+STEP,\n"
        "                           ... STOP (and clear = min(clear, fire)) "
        "in the\n"
        "                           same pass: one report row each; "
        "repeatable.\n"
        "                           Only the configuration's own warnings "
        "go to OUT\n"
        "T is ISO-8601 UTC (2026-11-23, 2026-11-23T13:33:18Z) or epoch "
        "millis.\n"
        "\n" CW_CLI_COMMON_HELP;

struct replay {
        const cw_config_t *c;
        cw_sink_t *sink;
        cw_backtest_t *bt; /* --labels/--report, or NULL */
        int64_t from;
        int has_from;
        int sink_failed;
        char sink_err[512];
        unsigned long long written;
};

static void on_warning(void *opaque, const struct cw_warning *w) {
        struct replay *r = opaque;
        if (r->sink_failed || (r->has_from && w->eval_ts < r->from))
                return;
        if (r->bt && cw_backtest_warning(r->bt, w)) {
                snprintf(r->sink_err, sizeof(r->sink_err), "out of memory");
                r->sink_failed = 1;
                return;
        }
        if (r->c->engine.alerts[w->alert_index].variant)
                return; /* a sweep variant: only scored */
        if (cw_sink_write(r->sink, w, r->sink_err, sizeof(r->sink_err)))
                r->sink_failed = 1;
        else
                r->written++;
}

static void progress(const cw_engine_t *e, double start) {
        char when[40];
        const struct cw_engine_stats *st = cw_engine_stats(e);
        double el = cw_mono_s() - start;
        cw_time_format(cw_engine_stream_time(e), when, sizeof(when));
        fprintf(stderr,
                "\rreplay: %llu events, %.0f events/s, stream time %s, %llu "
                "customers   ",
                (unsigned long long)st->events,
                el > 0 ? (double)st->events / el : 0, when,
                (unsigned long long)st->customers);
}

static void summary(const cw_config_t *c, const cw_engine_t *e,
                    const cw_file_merge_t *m, const struct replay *r,
                    double elapsed) {
        const struct cw_engine_stats *st = cw_engine_stats(e);
        cw_info("replay: %d files, %llu events read, %llu invalid, %llu "
                "applied, %llu late, %llu customers evicted, %llu held",
                cw_file_merge_files(m), cw_file_merge_read(m),
                cw_file_merge_invalid(m), (unsigned long long)st->applied,
                (unsigned long long)st->late, (unsigned long long)st->evicted,
                (unsigned long long)st->customers);
        for (int a = 0; a < c->engine.n_alerts; a++)
                cw_info("replay: alert %s%s%s: %llu FIRING, %llu RESOLVED",
                        c->engine.alerts[a].name,
                        c->engine.alerts[a].variant ? " " : "",
                        c->engine.alerts[a].variant
                                ? c->engine.alerts[a].variant
                                : "",
                        (unsigned long long)st->warnings[2 * a],
                        (unsigned long long)st->warnings[2 * a + 1]);
        cw_info("replay: %llu warnings written; %.3f s, %.0f events/s",
                r->written, elapsed,
                elapsed > 0 ? (double)st->events / elapsed : 0);
}

/*
 * Events are read a few ahead of the one the engine processes, so that the
 * memory of their customers can be fetched early (cw_engine_prefetch): the
 * engine's cost is mostly waiting for memory. A held event owns a copy of
 * its strings, as the merge's next call invalidates them.
 */
#define AHEAD 16

struct ahead {
        struct cw_event ev;
        char *buf;
        size_t cap;
        const char *file;
        long long pos;
        uint32_t hash;
};

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
 * A customer the engine has just added joins the backtest's population
 * (every customer with an applied event): once per customer rather than a
 * lookup per event. Memory running out fails the report when written.
 */
static void population(cw_backtest_t *bt, const struct cw_event *ev) {
        (void)cw_backtest_applied(bt, ev->customer_id.p, ev->customer_id.len);
}

static void process(cw_engine_t *e, const struct ahead *a,
                    unsigned long long *late, cw_backtest_t *bt) {
        uint64_t created = cw_engine_stats(e)->created;
        cw_process_result_t res = cw_engine_process_hashed(e, &a->ev, a->hash);
        if (bt && cw_engine_stats(e)->created != created)
                population(bt, &a->ev);
        if (res == CW_PROCESS_LATE && ++*late <= LOG_LATE_MAX)
                cw_warn("%s: record %lld: late event (ts %lld is more than "
                        "lateness before stream time %lld); skipped%s",
                        a->file, a->pos, (long long)a->ev.ts,
                        (long long)cw_engine_stream_time(e),
                        *late == LOG_LATE_MAX
                                ? "; further late events are only counted"
                                : "");
}

/* Feeds every event to the engine; 0, or -1 after logging why. */
static int run(cw_engine_t *e, cw_file_merge_t *m, int has_to, int64_t to,
               cw_backtest_t *bt) {
        struct ahead ring[AHEAD];
        struct cw_event ev;
        char err[1024];
        unsigned long long late = 0;
        int tty = isatty(STDERR_FILENO), r = 0, done = 0;
        size_t head = 0, tail = 0;
        double start = cw_mono_s(), last = start;

        memset(ring, 0, sizeof(ring));
        for (;;) {
                while (!done && tail - head < AHEAD) {
                        struct ahead *a = &ring[tail % AHEAD];
                        r = cw_file_merge_next(m, &ev, err, sizeof(err));
                        /* In processing order: after one event beyond --to,
                         * all later ones are too. */
                        if (r <= 0 || (has_to && ev.ts > to)) {
                                done = 1;
                                r = r < 0 ? -1 : 0;
                                break;
                        }
                        if (hold(a, &ev)) {
                                snprintf(err, sizeof(err), "out of memory");
                                r = -1;
                                done = 1;
                                break;
                        }
                        a->file = cw_file_merge_file(m);
                        a->pos = cw_file_merge_position(m);
                        a->hash = cw_engine_id_hash(ev.customer_id.p,
                                                    ev.customer_id.len);
                        cw_engine_prefetch(e, a->hash, 0);
                        tail++;
                }
                if (r < 0 || head == tail)
                        break;
                if (tail - head > 8)
                        cw_engine_prefetch(e, ring[(head + 8) % AHEAD].hash, 1);
                if (tail - head > 4)
                        cw_engine_prefetch(e, ring[(head + 4) % AHEAD].hash, 2);
                process(e, &ring[head % AHEAD], &late, bt);
                head++;
                if (tty && !(cw_engine_stats(e)->events & 0xffff) &&
                    cw_mono_s() - last > 0.5) {
                        last = cw_mono_s();
                        progress(e, start);
                }
        }
        for (int i = 0; i < AHEAD; i++)
                free(ring[i].buf);
        if (tty)
                fputc('\n', stderr);
        if (r < 0) {
                cw_error("replay: %s", err);
                return -1;
        }
        if (has_to)
                cw_engine_advance(e, to);
        return 0;
}

/* The progress of --source kafka on a terminal: share of the records the
 * topics held at the start, events/s, time left at that rate. */
static void bar(int shard, int shards, unsigned long long done, int64_t total,
                double elapsed) {
        double f = total > 0 ? (double)done / (double)total : 0, rate;
        char line[41];
        int w = (int)(f > 1 ? 40 : f * 40);

        rate = elapsed > 0 ? (double)done / elapsed : 0;
        memset(line, '#', (size_t)w);
        memset(line + w, '.', (size_t)(40 - w));
        line[40] = 0;
        fprintf(stderr,
                "\rreplay: [%s] %3.0f%%  shard %d/%d  %.0f events/s  ETA %.0f "
                "s   ",
                line, f > 1 ? 100 : f * 100, shard, shards, rate,
                rate > 0 && total > (int64_t)done
                        ? (double)(total - (int64_t)done) / rate
                        : 0);
}

/*
 * --source kafka: each shard in turn (deterministic output, one engine in
 * memory at a time), read by consumers/ exactly as `run` merges it, from
 * the beginning or from `from - warmup`, up to the end offsets seen when
 * the shard starts. No group, no commits. 0, or -1 after logging why.
 */
static int replay_kafka(const cw_config_t *c, const cw_schemas_t *s,
                        struct replay *r, int has_to, int64_t to) {
        static const struct cw_consumer_hooks no_hooks = {0};
        int64_t start_ms = r->has_from ? r->from - c->warmup_ms : -1;
        unsigned long long events = 0, bad = 0, late = 0;
        int partitions = 1, tty = isatty(STDERR_FILENO);
        int64_t total = 0;
        char err[1024];
        double t0 = cw_mono_s(), shown = t0;

        if (start_ms < -1)
                start_ms = 0;
        for (int p = 0; p < partitions; p++) {
                struct cw_record rec;
                cw_consumer_t *k;
                cw_engine_t *e;
                int wait;

                if (!(e = cw_engine_new(&c->engine, on_warning, r, err,
                                        sizeof(err))) ||
                    !(k = cw_consumer_new_reader(c, s, &no_hooks, p, start_ms,
                                                 err, sizeof(err)))) {
                        cw_engine_destroy(e);
                        cw_error("replay: %s", err);
                        return -1;
                }
                partitions = cw_consumer_partitions(k);
                if (p == 0)
                        total = cw_consumer_records_on_broker(k);
                while (!cw_consumer_at_end(k)) {
                        if (cw_consumer_poll(k, 100, err, sizeof(err))) {
                                cw_error("replay: %s", err);
                                cw_consumer_destroy(k);
                                cw_engine_destroy(e);
                                return -1;
                        }
                        while (cw_consumer_next(k, cw_mono_ms(), &rec, &wait)) {
                                cw_process_result_t res;
                                events++;
                                if (rec.bad) {
                                        if (++bad <= LOG_LATE_MAX)
                                                cw_warn("replay: topic %s [%d] "
                                                        "offset %lld: %s; "
                                                        "skipped",
                                                        rd_kafka_topic_name(
                                                                rec.msg->rkt),
                                                        p,
                                                        (long long)
                                                                rec.msg->offset,
                                                        rec.bad);
                                } else if (!has_to || rec.ev.ts <= to) {
                                        uint64_t created =
                                                cw_engine_stats(e)->created;
                                        res = cw_engine_process(e, &rec.ev);
                                        late += res == CW_PROCESS_LATE;
                                        if (r->bt &&
                                            cw_engine_stats(e)->created !=
                                                    created)
                                                population(r->bt, &rec.ev);
                                }
                                cw_consumer_done(k, &rec);
                        }
                        if (tty && cw_mono_s() - shown > 0.5) {
                                shown = cw_mono_s();
                                bar(p, partitions, events, total, shown - t0);
                        }
                }
                if (has_to)
                        cw_engine_advance(e, to);
                cw_consumer_destroy(k);
                cw_engine_destroy(e);
                if (tty)
                        bar(p + 1, partitions, events, total, cw_mono_s() - t0);
        }
        if (tty)
                fputc('\n', stderr);
        cw_info("replay: %d shards from Kafka, %llu records, %llu bad, %llu "
                "late; %llu warnings written; %.3f s",
                partitions, events, bad, late, r->written, cw_mono_s() - t0);
        return 0;
}

/* Variants cost each customer 17 bytes of alert state apiece. */
#define MAX_VARIANTS 256

/*
 * --sweep MODEL.fire=START:STOP:STEP: a variant of MODEL for each of START,
 * START + STEP, ... up to STOP inclusive. A value is START + i * STEP
 * rounded to 12 significant digits, so 0.1:0.9:0.1 gives 0.3 as a
 * configuration file would, not 0.30000000000000004. 0, or -1 with a
 * sentence.
 */
static int add_sweep(cw_config_t *c, const char *spec, char *errstr,
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
        if (n > MAX_VARIANTS || c->engine.n_variants + n > MAX_VARIANTS) {
                snprintf(errstr, errstr_size,
                         "--sweep %s: more than %d variants in all", spec,
                         MAX_VARIANTS);
                return -1;
        }
        if (!(name = strndup(spec, (size_t)(p - spec)))) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        model = cw_engine_conf_alert(&c->engine, name);
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
                if (cw_engine_conf_add_variant(&c->engine, model,
                                               strtod(buf, NULL), errstr,
                                               errstr_size))
                        return -1;
        }
        return 0;
}

int cw_cmd_replay(int argc, char **argv) {
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"input", required_argument, NULL, 'i'},
                {"output", required_argument, NULL, 'o'},
                {"from", required_argument, NULL, 1},
                {"to", required_argument, NULL, 2},
                {"sort", no_argument, NULL, 3},
                {"labels", required_argument, NULL, 4},
                {"source", required_argument, NULL, 6},
                {"report", required_argument, NULL, 5},
                {"sweep", required_argument, NULL, 7},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        const char *cfg_path = NULL, *out = NULL, *labels = NULL,
                   *report = NULL;
        char **inputs = calloc((size_t)argc + 1, sizeof(char *));
        const char **sweeps = calloc((size_t)argc + 1, sizeof(char *));
        int n_inputs = 0, n_sweeps = 0, sort = 0, has_to = 0, opt,
            rc = CW_EXIT_FAIL;
        int kafka = 0;
        int64_t to = 0;
        struct replay r = {0};
        char err[1024];
        cw_config_t *c = NULL;
        cw_schemas_t *schemas = NULL;
        cw_file_merge_t *m = NULL;
        cw_engine_t *e = NULL;
        double start;

        if (!inputs || !sweeps) {
                free(inputs);
                free(sweeps);
                return CW_EXIT_FAIL;
        }
        while ((opt = getopt_long(argc, argv, "c:i:o:h", longopts, NULL)) !=
               -1) {
                switch (opt) {
                case 'c':
                        cfg_path = optarg;
                        break;
                case 'i':
                        inputs[n_inputs++] = optarg;
                        break;
                case 'o':
                        out = optarg;
                        break;
                case 1:
                case 2:
                        if (cw_time_parse(optarg, opt == 1 ? &r.from : &to, err,
                                          sizeof(err))) {
                                fprintf(stderr, "churnwatch replay: --%s: %s\n",
                                        opt == 1 ? "from" : "to", err);
                                goto out_usage;
                        }
                        if (opt == 1)
                                r.has_from = 1;
                        else
                                has_to = 1;
                        break;
                case 3:
                        sort = 1;
                        break;
                case 4:
                        labels = optarg;
                        break;
                case 5:
                        report = optarg;
                        break;
                case 7:
                        sweeps[n_sweeps++] = optarg;
                        break;
                case 6:
                        if (strcmp(optarg, "kafka") &&
                            strcmp(optarg, "files")) {
                                fprintf(stderr,
                                        "churnwatch replay: --source '%s': "
                                        "use files or kafka\n",
                                        optarg);
                                goto out_usage;
                        }
                        kafka = !strcmp(optarg, "kafka");
                        break;
                default:
                        rc = cw_cli_common_option(opt, optarg, usage);
                        if (rc < 0) {
                                fputs(usage, stderr);
                                goto out_usage;
                        }
                        if (rc != CW_CLI_CONTINUE) {
                                free(inputs);
                                free(sweeps);
                                return rc;
                        }
                }
        }
        rc = CW_EXIT_FAIL; /* a common option may have left CONTINUE */
        /* More inputs may follow --input without repeating it. */
        while (optind < argc)
                inputs[n_inputs++] = argv[optind++];
        if (!labels != !report) {
                fprintf(stderr, "churnwatch replay: --labels and --report "
                                "go together\n\n");
                fputs(usage, stderr);
                goto out_usage;
        }
        if (kafka && n_inputs) {
                fprintf(stderr, "churnwatch replay: --source kafka reads "
                                "the configured topics: no --input\n\n");
                fputs(usage, stderr);
                goto out_usage;
        }
        if (!cfg_path || !out || (!n_inputs && !kafka)) {
                fprintf(stderr, "churnwatch replay: %s is required\n\n",
                        !cfg_path ? "-c FILE"
                        : !out    ? "--output OUT"
                                  : "--input PATH");
                fputs(usage, stderr);
                goto out_usage;
        }

        if (n_sweeps && !report) {
                fprintf(stderr, "churnwatch replay: --sweep scores "
                                "variants: it needs --labels and --report\n\n");
                fputs(usage, stderr);
                goto out_usage;
        }
        if (!(c = cw_cli_load_config(cfg_path)))
                goto out_free;
        for (int i = 0; i < n_sweeps; i++)
                if (add_sweep(c, sweeps[i], err, sizeof(err))) {
                        fprintf(stderr, "churnwatch replay: %s\n", err);
                        rc = CW_EXIT_USAGE;
                        goto out_free;
                }
        r.c = c;
        if (!(schemas = cw_schemas_load(err, sizeof(err))) ||
            (!kafka && !(m = cw_file_merge_open(inputs, n_inputs, schemas, sort,
                                                err, sizeof(err)))) ||
            !(r.sink = cw_sink_open(out, schemas, err, sizeof(err))) ||
            (!kafka && !(e = cw_engine_new(&c->engine, on_warning, &r, err,
                                           sizeof(err)))) ||
            (labels && !(r.bt = cw_backtest_new(
                                 c, labels, r.has_from ? r.from : INT64_MIN,
                                 has_to ? to : INT64_MAX, err, sizeof(err))))) {
                cw_error("replay: %s", err);
                goto out_free;
        }
        start = cw_mono_s();
        if (kafka ? replay_kafka(c, schemas, &r, has_to, to)
                  : run(e, m, has_to, to, r.bt))
                goto out_free;
        if (r.sink_failed) {
                cw_error("replay: %s: %s", out, r.sink_err);
                goto out_free;
        }
        if (!kafka)
                summary(c, e, m, &r, cw_mono_s() - start);
        if (r.bt) {
                if (cw_backtest_write(r.bt, report, err, sizeof(err))) {
                        cw_error("replay: %s", err);
                        goto out_free;
                }
                cw_info("replay: report in %s/report.json and "
                        "%s/report.html",
                        report, report);
        }
        rc = CW_EXIT_OK;

out_free:
        if (r.sink && cw_sink_close(r.sink, err, sizeof(err)) &&
            rc == CW_EXIT_OK) {
                cw_error("replay: %s: %s", out, err);
                rc = CW_EXIT_FAIL;
        }
        cw_engine_destroy(e);
        cw_backtest_destroy(r.bt);
        cw_file_merge_close(m);
        cw_schemas_destroy(schemas);
        cw_config_destroy(c);
        free(inputs);
        free(sweeps);
        return rc;
out_usage:
        free(inputs);
        free(sweeps);
        return CW_EXIT_USAGE;
}
