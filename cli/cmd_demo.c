/*
 * churnwatch demo: everything in one process with nothing else installed.
 * The embedded broker, a generator producing a synthetic population in
 * accelerated time (devtools/gen.h) from a second thread, and the live pipeline
 * of `run` (pipeline/pipeline.h) consuming it; warnings are shown as they are
 * published, and a summary says how many labelled churners were warned,
 * and how early.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/log.h"
#include "config/config.h"
#include "devtools/broker.h"
#include "devtools/gen.h"
#include "devtools/gen_output.h"
#include "pipeline/pipeline.h"
#include "schemas/schemas.h"
#include "sinks/table.h"

static const char usage[] =
        "Usage: churnwatch demo [-c FILE] [--customers N] [--days N] "
        "[--rate EV/S]\n"
        "                       [--partitions N] [--duration S] [--seed S]\n"
        "\n"
        "Starts the embedded broker, generates a synthetic population of\n"
        "customers over the last N days into its topics at EV/S events a\n"
        "second (accelerated time), and runs the live pipeline on them,\n"
        "showing every warning as it is published. Stops when everything\n"
        "generated is processed, after --duration seconds, or on Ctrl-C,\n"
        "and then tells how many of the customers who churned were warned\n"
        "before they did, and how early.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE        rules and models (default: the "
        "contract's example);\n"
        "                           its kafka settings are replaced by the "
        "embedded\n"
        "                           broker's\n"
        "  -n, --customers N        customers (default 1000)\n"
        "  -d, --days N             days of history, ending today (default "
        "120)\n"
        "      --rate EV/S          events per second produced (default "
        "5000)\n"
        "  -p, --partitions N       partitions per topic (default 4)\n"
        "      --duration S         stop after S seconds (default: when done)\n"
        "  -s, --seed S             random seed (default "
        "1)\n" CW_CLI_COMMON_HELP;

/* The contract's example configuration (CONTRACT.md section 3). */
static const char default_config[] =
        "features = (\n"
        "  { name = \"purchases_30d\"; stream = \"purchase\"; agg = \"count\"; "
        "window = \"30d\"; },\n"
        "  { name = \"purchases_90d\"; stream = \"purchase\"; agg = \"count\"; "
        "window = \"90d\"; },\n"
        "  { name = \"spend_90d\"; stream = \"purchase\"; agg = \"sum\"; "
        "field = \"amount_cents\"; window = \"90d\"; },\n"
        "  { name = \"days_since_purchase\"; stream = \"purchase\"; "
        "agg = \"days_since_last\"; },\n"
        "  { name = \"complaints_30d\"; stream = \"ticket\"; agg = \"count\"; "
        "window = \"30d\";\n"
        "    where = \"category == 'complaint' && status == 'OPENED'\"; },\n"
        "  { name = \"nps_last\"; stream = \"survey\"; agg = \"last\"; "
        "field = \"score\"; where = \"kind == 'NPS'\"; },\n"
        "  { name = \"purchase_trend\"; expr = \"purchases_30d / "
        "(purchases_90d / 3)\"; }\n"
        ");\n"
        "rules = (\n"
        "  { name = \"purchase_drop\"; when = \"purchases_90d >= 3 && "
        "purchase_trend < 0.5\";\n"
        "    clear = \"purchase_trend >= 0.8\"; severity = \"high\"; "
        "for = \"0d\"; cooldown = \"14d\"; }\n"
        ");\n"
        "models = (\n"
        "  { name = \"churn_lr_v1\"; type = \"logistic\"; intercept = -2.0;\n"
        "    inputs = (\n"
        "      { feature = \"purchases_30d\"; weight = -0.35; "
        "transform = \"log1p\"; },\n"
        "      { feature = \"nps_last\"; weight = -0.25; missing = 7.0; },\n"
        "      { feature = \"days_since_purchase\"; weight = 0.03; "
        "clip = [0.0, 365.0]; }\n"
        "    );\n"
        "    fire = 0.8; clear = 0.6; severity = \"high\"; }\n"
        ");\n"
        "lateness = \"7d\";\n"
        "state_ttl = \"365d\";\n";

/* The generator thread's stop: set by the main thread once the pipeline
 * has stopped (a signal handler may only touch cw_cli_stop). */
static atomic_int gen_stop;

struct demo {
        const cw_config_t *c;
        const cw_schemas_t *schemas;
        cw_gen_t *g;
        const char *cfg_path; /* NULL: the contract's example */
        int customers, days, duration, partitions, seed;
        double rate;
        /* The generator thread's outcome, published with release order. */
        atomic_int gen_done; /* 1: finished, -1: failed */
        unsigned long long generated;
        char gen_err[1024];
        /* Per customer (by number): the first FIRING eval_ts, or none. */
        int64_t *first_warned;
        uint64_t firing, resolved;
        double start, last_status;
};

static void *generate(void *opaque) {
        struct demo *d = opaque;
        char err[1024];
        cw_gen_output_t *o;
        int rc = 0;

        if (!(o = cw_gen_output_kafka(d->c, d->schemas, d->rate, 10, err,
                                      sizeof(err)))) {
                snprintf(d->gen_err, sizeof(d->gen_err), "%s", err);
                atomic_store(&d->gen_done, -1);
                return NULL;
        }
        cw_gen_output_stop_on(o, &gen_stop);
        while (!rc && !atomic_load(&gen_stop) &&
               cw_gen_next_day(d->g) < d->days)
                if ((rc = cw_gen_day(d->g, cw_gen_output_event, o, err,
                                     sizeof(err))) &&
                    !atomic_load(&gen_stop))
                        snprintf(d->gen_err, sizeof(d->gen_err), "%s",
                                 rc > 0 ? cw_gen_output_error(o) : err);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                d->generated += cw_gen_events(d->g, (cw_stream_t)s);
        if (cw_gen_output_close(o, err, sizeof(err)) && !rc) {
                snprintf(d->gen_err, sizeof(d->gen_err), "%s", err);
                rc = -1;
        }
        atomic_store(&d->gen_done, rc && !atomic_load(&gen_stop) ? -1 : 1);
        return NULL;
}

static void show_warning(void *opaque, const struct cw_warning *w) {
        struct demo *d = opaque;
        char id[32];
        long n;

        cw_table_print(stdout, w);
        if (w->state == CW_STATE_RESOLVED) {
                d->resolved++;
                return;
        }
        d->firing++;
        /* "cust-0000042" is customer 42. */
        snprintf(id, sizeof(id), "%.*s", (int)w->customer_id.len,
                 w->customer_id.p);
        if (strlen(id) > 5 && (n = strtol(id + 5, NULL, 10)) >= 0 &&
            n < d->customers &&
            (d->first_warned[n] == INT64_MIN ||
             w->eval_ts < d->first_warned[n]))
                d->first_warned[n] = w->eval_ts;
}

/* Events applied or late, every stream. */
static uint64_t all_events(const struct cw_pipeline_stats *st) {
        return cw_stats_sum(st->applied) + cw_stats_sum(st->late);
}

static int tick(void *opaque, const cw_pipeline_t *p) {
        struct demo *d = opaque;
        struct cw_pipeline_stats st = {0};
        unsigned long long seen;
        double now = cw_mono_s();
        int done = atomic_load(&d->gen_done);

        cw_pipeline_stats(p, &st);
        seen = all_events(&st) + cw_stats_sum(st.dead_letters);
        if (now - d->last_status >= 2.0) {
                d->last_status = now;
                printf("-- %5.1f s: %llu events processed, lag %" PRId64
                       ", %" PRIu64 " customers; warnings: %" PRIu64
                       " FIRING, %" PRIu64 " RESOLVED\n",
                       now - d->start, seen, st.lag, st.customers, d->firing,
                       d->resolved);
                fflush(stdout);
        }
        if (d->duration && now - d->start >= d->duration)
                return 1;
        if (done < 0)
                return 1;
        return done > 0 && seen >= d->generated && st.lag == 0;
}

/* Nearest-rank percentile of sorted v[0..n-1]. */
static double rank(const double *v, int n, double q) {
        int i = (int)(q * n + 0.999999) - 1;
        return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void summary(const struct demo *d, const cw_pipeline_t *p) {
        struct cw_pipeline_stats st = {0};
        double *lead = calloc((size_t)d->customers, sizeof(*lead));
        int churners = 0, caught = 0, late = 0, false_alarms = 0;
        int64_t at;

        cw_pipeline_stats(p, &st);
        for (int c = 0; c < d->customers; c++) {
                int64_t first = d->first_warned[c];
                if (!cw_gen_churned_at(d->g, c, &at)) {
                        false_alarms += first != INT64_MIN;
                        continue;
                }
                churners++;
                if (first == INT64_MIN)
                        continue;
                if (first > at) {
                        late++;
                        continue;
                }
                if (lead)
                        lead[caught] =
                                (double)(at - first) / (double)CW_MS_PER_DAY;
                caught++;
        }
        printf("\nSummary after %.1f s: %llu events generated, %" PRIu64
               " processed (%" PRIu64 " late, %" PRIu64
               " dead letters); %" PRIu64 " FIRING and %" PRIu64
               " RESOLVED warnings.\n",
               cw_mono_s() - d->start, d->generated, all_events(&st),
               cw_stats_sum(st.late), cw_stats_sum(st.dead_letters), d->firing,
               d->resolved);
        printf("Churners (ground truth): %d of %d customers. Warned before "
               "churning: %d (%.0f%%)",
               churners, d->customers, caught,
               churners ? 100.0 * caught / churners : 0.0);
        if (caught && lead) {
                qsort(lead, (size_t)caught, sizeof(*lead), cmp_double);
                printf(", lead time p10 %.0f / p50 %.0f / p90 %.0f days",
                       rank(lead, caught, 0.1), rank(lead, caught, 0.5),
                       rank(lead, caught, 0.9));
        }
        printf(".\nWarned only after churning: %d. Warned but did not churn: "
               "%d of %d.\n",
               late, false_alarms, d->customers - churners);
        if (st.latency.total)
                printf("Event-to-warning latency: p50 %.1f ms, p99 %.1f ms "
                       "(%" PRIu64 " warnings; from the generator's "
                       "produce call, its 10 ms batching included).\n",
                       st.latency_p50_ms, st.latency_p99_ms, st.latency.total);
        free(lead);
}

/* Writes the default configuration to a temporary file and loads it. */
static cw_config_t *load_default(void) {
        char path[] = "/tmp/churnwatch-demo-XXXXXX";
        int fd = mkstemp(path);
        cw_config_t *c = NULL;

        if (fd < 0) {
                cw_error("demo: cannot create a temporary file: %s",
                         strerror(errno));
                return NULL;
        }
        if (write(fd, default_config, sizeof(default_config) - 1) ==
            (ssize_t)sizeof(default_config) - 1)
                c = cw_cli_load_config(path);
        else
                cw_error("demo: cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return c;
}

/* Parses argv into d; CW_CLI_CONTINUE, or the exit code to return. */
static int parse(int argc, char **argv, struct demo *d) {
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"customers", required_argument, NULL, 'n'},
                {"days", required_argument, NULL, 'd'},
                {"rate", required_argument, NULL, 1},
                {"partitions", required_argument, NULL, 'p'},
                {"duration", required_argument, NULL, 2},
                {"seed", required_argument, NULL, 's'},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        char *end;
        int opt, rc, bad;

        while ((opt = getopt_long(argc, argv, "c:n:d:p:s:h", longopts, NULL)) !=
               -1) {
                switch (opt) {
                case 'c':
                        d->cfg_path = optarg;
                        bad = 0;
                        break;
                case 'n':
                        bad = cw_cli_parse_int("demo", "--customers", optarg, 1,
                                               10000000, &d->customers);
                        break;
                case 'd':
                        bad = cw_cli_parse_int("demo", "--days", optarg, 1,
                                               3650, &d->days);
                        break;
                case 'p':
                        bad = cw_cli_parse_int("demo", "--partitions", optarg,
                                               1, 256, &d->partitions);
                        break;
                case 2:
                        bad = cw_cli_parse_int("demo", "--duration", optarg, 1,
                                               86400 * 365, &d->duration);
                        break;
                case 's':
                        bad = cw_cli_parse_int("demo", "--seed", optarg, 0,
                                               2147483647, &d->seed);
                        break;
                case 1:
                        d->rate = strtod(optarg, &end);
                        if ((bad = *end || !(d->rate > 0)))
                                fprintf(stderr,
                                        "churnwatch demo: --rate '%s': use "
                                        "a number of events per second "
                                        "above 0\n",
                                        optarg);
                        break;
                default:
                        rc = cw_cli_common_option(opt, optarg, usage);
                        if (rc != CW_CLI_CONTINUE)
                                return rc;
                        bad = 0;
                }
                if (bad)
                        return CW_EXIT_USAGE;
        }
        if (optind < argc) {
                fprintf(stderr, "churnwatch demo: unexpected argument '%s'\n\n",
                        argv[optind]);
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }
        return CW_CLI_CONTINUE;
}

/* Points the configuration at the embedded broker `b`. 0, or -1. */
static int use_broker(cw_config_t *c, const cw_broker_t *b) {
        if (cw_config_kafka_set(c, "bootstrap.servers",
                                cw_broker_bootstraps(b)) ||
            cw_config_kafka_set(c, "group.id", "churnwatch-demo") ||
            /* The mock broker answers a fetch only when this runs out, not
             * when data arrives as Kafka does: keep it short. */
            cw_config_kafka_set(c, "fetch.wait.max.ms", "5")) {
                cw_error("demo: out of memory");
                return -1;
        }
        return 0;
}

/* The population: d->customers over the d->days ending at today's
 * midnight (UTC), so that every event is in the past, as live events
 * would be. 0, or -1 after logging why. */
static int make_population(struct demo *d) {
        struct cw_gen_params gp = {.seed = (uint64_t)d->seed,
                                   .customers = d->customers,
                                   .days = d->days};
        char err[1024];

        gp.start_ms = ((int64_t)time(NULL) * 1000 / CW_MS_PER_DAY - d->days) *
                      CW_MS_PER_DAY;
        if (!(d->g = cw_gen_new(&gp, err, sizeof(err))) ||
            !(d->first_warned = malloc((size_t)d->customers *
                                       sizeof(*d->first_warned)))) {
                cw_error("demo: %s", d->g ? "out of memory" : err);
                return -1;
        }
        for (int i = 0; i < d->customers; i++)
                d->first_warned[i] = INT64_MIN;
        return 0;
}

/* The generator thread feeding pipeline p until it stops; an exit code. */
static int run(struct demo *d, cw_pipeline_t *p, const cw_broker_t *b) {
        pthread_t gen_thread;
        int rc;

        cw_cli_catch_signals();
        cw_info("demo: embedded broker at %s (development use only); %d "
                "customers over %d days at %.0f events/s; Ctrl-C stops",
                cw_broker_bootstraps(b), d->customers, d->days, d->rate);
        d->start = d->last_status = cw_mono_s();
        if (pthread_create(&gen_thread, NULL, generate, d)) {
                cw_error("demo: cannot start the generator thread");
                return CW_EXIT_FAIL;
        }
        cw_table_header(stdout);
        rc = cw_pipeline_run(p, &cw_cli_stop) ? CW_EXIT_FAIL : CW_EXIT_OK;
        atomic_store(&gen_stop, 1);
        pthread_join(gen_thread, NULL);
        if (atomic_load(&d->gen_done) < 0) {
                cw_error("demo: generator: %s", d->gen_err);
                rc = CW_EXIT_FAIL;
        }
        summary(d, p);
        return rc;
}

int cw_cmd_demo(int argc, char **argv) {
        struct demo d = {.customers = 1000,
                         .days = 120,
                         .rate = 5000,
                         .partitions = 4,
                         .seed = 1};
        struct cw_pipeline_opts po = {.on_warning = show_warning,
                                      .tick = tick,
                                      .opaque = &d,
                                      .quiet = 1};
        int rc;
        char err[1024];
        cw_config_t *c = NULL;
        cw_schemas_t *schemas = NULL;
        cw_broker_t *b = NULL;
        cw_pipeline_t *p = NULL;
        cw_metrics_t *m = NULL;

        if ((rc = parse(argc, argv, &d)) != CW_CLI_CONTINUE)
                return rc;
        rc = CW_EXIT_FAIL;
        if (!(c = d.cfg_path ? cw_cli_load_config(d.cfg_path) : load_default()))
                return CW_EXIT_FAIL;
        if (!(schemas = cw_schemas_load(err, sizeof(err))) ||
            !(b = cw_broker_start(c, d.partitions, 1, err, sizeof(err)))) {
                cw_error("demo: %s", err);
                goto out_free;
        }
        d.c = c;
        d.schemas = schemas;
        if (use_broker(c, b) || make_population(&d))
                goto out_free;
        po.publish_ms = c->http_listen ? CW_METRICS_PUBLISH_MS : 0;
        if (!(p = cw_pipeline_new(c, schemas, &po, err, sizeof(err)))) {
                cw_error("demo: %s", err);
                goto out_free;
        }
        if (!cw_cli_serve_metrics("demo", c, p, &m))
                rc = run(&d, p, b);
out_free:
        cw_metrics_stop(m);
        cw_pipeline_destroy(p);
        cw_gen_destroy(d.g);
        free(d.first_warned);
        cw_broker_stop(b);
        cw_schemas_destroy(schemas);
        cw_config_destroy(c);
        return rc;
}
