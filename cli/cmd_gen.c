/* churnwatch gen: a synthetic population, to the configured Kafka topics
 * or as Avro container files, with the ground truth of who churned when
 * (devtools/gen.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common/clock.h"
#include "common/file.h"
#include "common/log.h"
#include "common/timeparse.h"
#include "config/config.h"
#include "devtools/gen.h"
#include "devtools/gen_output.h"
#include "schemas/schemas.h"

static const char usage[] =
        "Usage: churnwatch gen -c FILE [--customers N] [--days N] [--seed S]\n"
        "                      [--start T] [--rate EV/S] [--labels OUT.csv]\n"
        "                      [--scenario classic|rich]\n"
        "                      [--streams LIST] [--output-dir DIR "
        "[--partitions N]]\n"
        "\n"
        "Generates a synthetic customer population (steady, declining, "
        "abrupt,\n"
        "complaining and late-joining customers; in the rich scenario also\n"
        "customers who go quiet for a while and come back). Its events go to "
        "the\n"
        "configured Kafka topics (kafka, topics), keyed by customer_id and\n"
        "partitioned with murmur2 as Java clients do, so that one customer's\n"
        "events share a partition number across the four topics; or, with\n"
        "--output-dir, to four Avro container files DIR/purchases.avro,\n"
        "DIR/logins.avro, DIR/tickets.avro and DIR/surveys.avro, each in\n"
        "ascending ts order. The same options and seed give the same events.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE        the configuration file (validated; it "
        "will name\n"
        "                           the Kafka topics)\n"
        "  -n, --customers N        customers to generate (default 10000)\n"
        "  -d, --days N             days to generate (default 120)\n"
        "  -s, --seed S             random seed, 0 to 2^64-1 (default 1)\n"
        "      --start T            start of the first day (default "
        "2026-01-01)\n"
        "      --rate EV/S          Kafka: produce at most this many events "
        "per second\n"
        "                           (default: as fast as possible)\n"
        "  -l, --labels OUT.csv     also write the ground truth: "
        "customer_id,churned_at\n"
        "                           (epoch millis), one row per customer who "
        "churns\n"
        "                           within the period, sorted by "
        "customer_id\n"
        "      --scenario NAME      classic (default): the five archetypes; "
        "rich:\n"
        "                           single signals are ambiguous, for "
        "learning\n"
        "                           (dips that recover, decliners who "
        "complain or\n"
        "                           grow unhappy first or not at all, churn "
        "spread\n"
        "                           over the whole period)\n"
        "  -o, --output-dir DIR     write the four files to this folder "
        "(created if\n"
        "                           missing) instead of to Kafka\n"
        "      --streams LIST       write only these streams' events "
        "(comma-separated:\n"
        "                           purchase,login,ticket,survey; default "
        "all); the\n"
        "                           others are generated all the same and "
        "dropped\n"
        "      --partitions N       with --output-dir: the four files in "
        "each of\n"
        "                           DIR/0 .. DIR/N-1, every event in the "
        "folder of\n"
        "                           the partition Kafka output to topics of N\n"
        "                           partitions would get (murmur2): each "
        "shard's input\n"
        "T is ISO-8601 UTC (2026-11-23, 2026-11-23T13:33:18Z) or epoch "
        "millis.\n"
        "\n" CW_CLI_COMMON_HELP;

struct gen_opts {
        const char *cfg_path, *labels, *dir;
        double rate;      /* events/s to Kafka; 0: unlimited */
        int partitions;   /* files: folders by partition; 0: one */
        unsigned streams; /* streams written (bit 1 << stream) */
        struct cw_gen_params p;
};

static int parse_seed(const char *s, uint64_t *out) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || strchr(s, '-')) {
                fprintf(stderr,
                        "churnwatch gen: --seed '%s': use a whole number "
                        "from 0 to 18446744073709551615\n",
                        s);
                return -1;
        }
        *out = v;
        return 0;
}

/* --streams: comma-separated stream names into a mask. CW_CLI_CONTINUE,
 * or CW_EXIT_USAGE. */
static int parse_streams(const char *list, unsigned *mask) {
        char buf[256], *save = NULL, *name;
        int s;

        *mask = 0;
        snprintf(buf, sizeof(buf), "%s", list);
        for (name = strtok_r(buf, ",", &save); name;
             name = strtok_r(NULL, ",", &save)) {
                if ((s = cw_stream_by_name(name)) < 0) {
                        fprintf(stderr,
                                "churnwatch gen: --streams: unknown stream "
                                "'%s' (purchase, login, ticket, survey)\n",
                                name);
                        return CW_EXIT_USAGE;
                }
                *mask |= 1u << s;
        }
        if (!*mask) {
                fprintf(stderr, "churnwatch gen: --streams: name at least one "
                                "stream\n");
                return CW_EXIT_USAGE;
        }
        return CW_CLI_CONTINUE;
}

/* One option; CW_CLI_CONTINUE, or the exit code to return at once. */
static int take_option(int opt, struct gen_opts *o) {
        char err[256];

        switch (opt) {
        case 'c':
                o->cfg_path = optarg;
                break;
        case 'n':
                if (cw_cli_parse_int("gen", "--customers", optarg, 1,
                                     CW_GEN_MAX_CUSTOMERS, &o->p.customers))
                        return CW_EXIT_USAGE;
                break;
        case 'd':
                if (cw_cli_parse_int("gen", "--days", optarg, 1,
                                     CW_GEN_MAX_DAYS, &o->p.days))
                        return CW_EXIT_USAGE;
                break;
        case 's':
                if (parse_seed(optarg, &o->p.seed))
                        return CW_EXIT_USAGE;
                break;
        case 1:
                if (cw_time_parse(optarg, &o->p.start_ms, err, sizeof(err))) {
                        fprintf(stderr, "churnwatch gen: --start: %s\n", err);
                        return CW_EXIT_USAGE;
                }
                break;
        case 'l':
                o->labels = optarg;
                break;
        case 'o':
                o->dir = optarg;
                break;
        case 2: {
                char *end;
                o->rate = strtod(optarg, &end);
                if (*end || !(o->rate > 0)) {
                        fprintf(stderr,
                                "churnwatch gen: --rate '%s': use a "
                                "number of events per second above 0\n",
                                optarg);
                        return CW_EXIT_USAGE;
                }
                break;
        }
        case 5:
                return parse_streams(optarg, &o->streams);
        case 4:
                if (cw_cli_parse_int("gen", "--partitions", optarg, 1, 100000,
                                     &o->partitions))
                        return CW_EXIT_USAGE;
                break;
        case 3:
                if (!strcmp(optarg, "classic") || !strcmp(optarg, "rich")) {
                        o->p.scenario =
                                optarg[0] == 'r' ? CW_GEN_RICH : CW_GEN_CLASSIC;
                        break;
                }
                fprintf(stderr,
                        "churnwatch gen: --scenario '%s': use classic or "
                        "rich\n",
                        optarg);
                return CW_EXIT_USAGE;
        default:
                return cw_cli_common_option(opt, optarg, usage);
        }
        return CW_CLI_CONTINUE;
}

static int parse_args(int argc, char **argv, struct gen_opts *o) {
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"customers", required_argument, NULL, 'n'},
                {"days", required_argument, NULL, 'd'},
                {"seed", required_argument, NULL, 's'},
                {"start", required_argument, NULL, 1},
                {"labels", required_argument, NULL, 'l'},
                {"output-dir", required_argument, NULL, 'o'},
                {"rate", required_argument, NULL, 2},
                {"scenario", required_argument, NULL, 3},
                {"partitions", required_argument, NULL, 4},
                {"streams", required_argument, NULL, 5},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        char err[256];
        int opt, rc;

        memset(o, 0, sizeof(*o));
        o->streams = (1u << CW_STREAM_COUNT) - 1;
        o->p.customers = 10000;
        o->p.days = 120;
        o->p.seed = 1;
        if (cw_time_parse("2026-01-01", &o->p.start_ms, err, sizeof(err)))
                return CW_EXIT_FAIL;
        while ((opt = getopt_long(argc, argv, "c:n:d:s:l:o:h", longopts,
                                  NULL)) != -1)
                if ((rc = take_option(opt, o)) != CW_CLI_CONTINUE)
                        return rc;
        if (optind < argc || !o->cfg_path) {
                if (optind < argc)
                        fprintf(stderr,
                                "churnwatch gen: unexpected argument '%s'\n\n",
                                argv[optind]);
                else
                        fprintf(stderr,
                                "churnwatch gen: -c FILE is required\n\n");
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }
        if (o->partitions && !o->dir) {
                fprintf(stderr, "churnwatch gen: --partitions goes with "
                                "--output-dir (Kafka output goes to the "
                                "topics' own partitions)\n");
                return CW_EXIT_USAGE;
        }
        return CW_CLI_CONTINUE;
}

/* Events of the streams in `mask` generated so far: all of them are
 * written. */
static unsigned long long total_events(const cw_gen_t *g, unsigned mask) {
        unsigned long long n = 0;
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (mask & (1u << s))
                        n += cw_gen_events(g, (cw_stream_t)s);
        return n;
}

static void progress(const cw_gen_t *g, unsigned mask, int days, double start) {
        double el = cw_mono_s() - start;
        unsigned long long n = total_events(g, mask);
        fprintf(stderr, "\rgen: day %d of %d, %llu events, %.0f events/s   ",
                cw_gen_next_day(g), days, n, el > 0 ? (double)n / el : 0);
}

static int generate(cw_gen_t *g, cw_gen_output_t *o, unsigned mask, int days) {
        int tty = isatty(STDERR_FILENO), rc = 0;
        double start = cw_mono_s();

        while (cw_gen_next_day(g) < days) {
                char err[1024];
                rc = cw_gen_day(g, cw_gen_output_event, o, err, sizeof(err));
                if (rc) {
                        cw_error("gen: %s",
                                 rc > 0 ? cw_gen_output_error(o) : err);
                        break;
                }
                if (tty)
                        progress(g, mask, days, start);
        }
        if (tty)
                fputc('\n', stderr);
        return rc ? -1 : 0;
}

/*
 * The labels: header, then churners in customer order (= id order).
 * Counts them into *churners; f may be NULL to count only. Closes f.
 */
static int write_labels(const cw_gen_t *g, FILE *f, const char *path,
                        int *churners) {
        char id[CW_GEN_ID_MAX];
        int64_t at;
        int failed;

        if (f)
                fputs("customer_id,churned_at\n", f);
        for (int c = 0; c < cw_gen_customers(g); c++) {
                if (!cw_gen_churned_at(g, c, &at))
                        continue;
                ++*churners;
                if (f) {
                        cw_gen_customer_id(g, c, id);
                        fprintf(f, "%s,%" PRId64 "\n", id, at);
                }
        }
        if (!f)
                return 0;
        failed = ferror(f);
        errno = 0;
        if (fclose(f) || failed) {
                cw_error("gen: cannot write %s: %s", path,
                         errno ? strerror(errno) : "write error");
                return -1;
        }
        return 0;
}

static void summary(const cw_gen_t *g, const struct gen_opts *o, int churners,
                    double elapsed) {
        unsigned long long n = total_events(g, o->streams);

        cw_info("gen: %d customers over %d days into %s: %llu purchases, "
                "%llu logins, %llu ticket events, %llu surveys",
                o->p.customers, o->p.days, o->dir ? o->dir : "Kafka",
                cw_gen_events(g, CW_STREAM_PURCHASE),
                cw_gen_events(g, CW_STREAM_LOGIN),
                cw_gen_events(g, CW_STREAM_TICKET),
                cw_gen_events(g, CW_STREAM_SURVEY));
        cw_info("gen: %d churners%s%s; %llu events %sin %.3f s, %.0f "
                "events/s",
                churners, o->labels ? " labelled in " : " (no --labels)",
                o->labels ? o->labels : "", n,
                o->streams != (1u << CW_STREAM_COUNT) - 1 ? "written " : "",
                elapsed, elapsed > 0 ? (double)n / elapsed : 0);
}

int cw_cmd_gen(int argc, char **argv) {
        struct gen_opts o;
        cw_gen_output_t *out = NULL;
        cw_schemas_t *schemas = NULL;
        cw_gen_t *g = NULL;
        FILE *labels = NULL, *f;
        cw_config_t *c = NULL;
        char err[1024];
        int rc, failed, churners = 0;
        double start = cw_mono_s();

        if ((rc = parse_args(argc, argv, &o)) != CW_CLI_CONTINUE)
                return rc;
        rc = CW_EXIT_FAIL;
        if (!(c = cw_cli_load_config(o.cfg_path)))
                return rc;
        /* Opened first, so that a bad path fails before the long part. */
        if (o.labels && !(labels = fopen(o.labels, "w"))) {
                cw_error("gen: cannot create %s: %s", o.labels,
                         strerror(errno));
                cw_config_destroy(c);
                return rc;
        }
        if (!o.dir && !cw_config_kafka_has(c, "bootstrap.servers")) {
                cw_error("gen: %s: without --output-dir events go to Kafka: "
                         "set kafka.bootstrap_servers",
                         c->path);
                goto out_free;
        }
        if (!(schemas = cw_schemas_load(err, sizeof(err))) ||
            !(g = cw_gen_new(&o.p, err, sizeof(err))) ||
            !(out = o.dir ? cw_gen_output_files(o.dir, o.partitions, schemas,
                                                err, sizeof(err))
                          : cw_gen_output_kafka(c, schemas, o.rate,
                                                o.rate > 0 ? 0 : 20, err,
                                                sizeof(err)))) {
                cw_error("gen: %s", err);
                goto out_free;
        }
        cw_gen_output_streams(out, o.streams);
        failed = generate(g, out, o.streams, o.p.days);
        if (failed) {
                int removed = cw_gen_output_discard(out);

                if (removed > 0)
                        cw_error("gen: removed the %d files written to %s, "
                                 "which the failure left incomplete",
                                 removed, o.dir);
                out = NULL;
                goto out_free;
        }
        /* Closing writes the last blocks: a full disk may show only now. */
        failed = cw_gen_output_close(out, err, sizeof(err));
        out = NULL;
        if (failed) {
                cw_error("gen: %s", err);
                goto out_free;
        }
        f = labels;
        labels = NULL; /* write_labels closes it */
        if (write_labels(g, f, o.labels, &churners))
                goto out_free;
        summary(g, &o, churners, cw_mono_s() - start);
        rc = CW_EXIT_OK;

out_free:
        if (labels)
                fclose(labels);
        /* The labels of a failed run are incomplete (or empty). */
        if (rc != CW_EXIT_OK && o.labels && cw_file_is_regular(o.labels) &&
            unlink(o.labels) == 0)
                cw_error("gen: removed %s, which the failure left incomplete",
                         o.labels);
        cw_gen_output_discard(out);
        cw_gen_destroy(g);
        cw_schemas_destroy(schemas);
        cw_config_destroy(c);
        return rc;
}
