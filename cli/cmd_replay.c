/* churnwatch replay: the engine over Avro container files or the input
 * topics (CONTRACT.md sections 5, 7 and 10). Parses the options, opens the
 * source, the sink, the scoring and the training set, and hands them to
 * the replay driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/backtest.h"
#include "cli.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/timeparse.h"
#include "config/config.h"
#include "learn/trainset.h"
#include "pipeline/replay.h"
#include "pipeline/source.h"
#include "schemas/schemas.h"
#include "sinks/sink.h"

static const char usage[] =
        "Usage: churnwatch replay -c FILE --input PATH... [--from T] [--to T]\n"
        "       churnwatch replay -c FILE --source kafka [--from T] [--to T]\n"
        "                         [--sort] --output OUT\n"
        "                         [--labels LABELS.csv --report DIR]\n"
        "                         [--sweep MODEL.fire=START:STOP:STEP]...\n"
        "       churnwatch replay -c FILE (--input PATH... | --source kafka)\n"
        "                         [--from T] [--to T] [--output OUT]\n"
        "                         --features TRAIN.csv [--sample-every Nd]\n"
        "                         [--sample-customers F]\n"
        "                         [--labels LABELS.csv --horizon D]\n"
        "\n"
        "Replays Avro container files through the engine, exactly as live\n"
        "processing would, and writes the warnings to OUT; with --features,\n"
        "also a training set: every feature of every customer at sample\n"
        "times, exactly as the engine saw it then.\n"
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
        "                           every alert against (with --report), "
        "or to label\n"
        "                           the training set (with --features and "
        "--horizon)\n"
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
        "      --features TRAIN.csv write customer_id,as_of, every "
        "feature's value\n"
        "                           [,label] for each customer held at each "
        "sample\n"
        "                           time (a day boundary B the sweeps pass, "
        "right\n"
        "                           after its sweep); OUT is then optional\n"
        "      --sample-every Nd    sample times: day(B) % N == 0 "
        "(default 1d)\n"
        "      --sample-customers F only customers whose FNV-1a 64 hash of "
        "the id is\n"
        "                           below F * 2^64 (0 < F <= 1)\n"
        "      --horizon D          with --features and --labels: label = 1 "
        "when\n"
        "                           churned_at is in (B, B + D]; no row once "
        "churned\n"
        "T is ISO-8601 UTC (2026-11-23, 2026-11-23T13:33:18Z) or epoch "
        "millis.\n"
        "\n" CW_CLI_COMMON_HELP;

struct args {
        const char *config, *output, *labels, *report;
        char **inputs; /* [argc] */
        const char **sweeps;
        int n_inputs, n_sweeps, sort, kafka;
        struct cw_replay_opts o;
        const char *features; /* --features TRAIN.csv */
        int every_days, has_every, has_fraction;
        double fraction;
        int64_t horizon_ms;
        int has_horizon;
};

/* A value of --from or --to; -1 after saying what is wrong. */
static int parse_time(const char *opt, const char *arg, int64_t *out,
                      int *has) {
        char err[256];

        if (cw_time_parse(arg, out, err, sizeof(err))) {
                fprintf(stderr, "churnwatch replay: --%s: %s\n", opt, err);
                return -1;
        }
        *has = 1;
        return 0;
}

/* --sample-every Nd: whole days, N >= 1. */
static int parse_every(struct args *a, const char *arg) {
        char err[256];
        int64_t ms;

        if (cw_duration_parse(arg, &ms, err, sizeof(err)) ||
            ms % CW_MS_PER_DAY || ms < CW_MS_PER_DAY) {
                fprintf(stderr,
                        "churnwatch replay: --sample-every '%s': use whole "
                        "days, 1d or more (e.g. 7d)\n",
                        arg);
                return -1;
        }
        a->every_days = (int)(ms / CW_MS_PER_DAY);
        a->has_every = 1;
        return 0;
}

/* --sample-customers F: 0 < F <= 1. */
static int parse_fraction(struct args *a, const char *arg) {
        char *end;
        double f = strtod(arg, &end);

        if (end == arg || *end || !(f > 0 && f <= 1)) {
                fprintf(stderr,
                        "churnwatch replay: --sample-customers '%s': use a "
                        "share of customers, 0 < F <= 1 (e.g. 0.1)\n",
                        arg);
                return -1;
        }
        a->fraction = f;
        a->has_fraction = 1;
        return 0;
}

/* --horizon D: a duration above 0. */
static int parse_horizon(struct args *a, const char *arg) {
        char err[256];

        if (cw_duration_parse(arg, &a->horizon_ms, err, sizeof(err)) ||
            a->horizon_ms <= 0) {
                fprintf(stderr,
                        "churnwatch replay: --horizon '%s': use a duration "
                        "above 0, e.g. 30d\n",
                        arg);
                return -1;
        }
        a->has_horizon = 1;
        return 0;
}

/* One option of the replay's own: 0; -1 after saying what is wrong; 1
 * when `opt` is not one of them. */
static int option(struct args *a, int opt, const char *arg) {
        switch (opt) {
        case 'c':
                a->config = arg;
                return 0;
        case 'i':
                a->inputs[a->n_inputs++] = (char *)arg;
                return 0;
        case 'o':
                a->output = arg;
                return 0;
        case 1:
                return parse_time("from", arg, &a->o.from, &a->o.has_from);
        case 2:
                return parse_time("to", arg, &a->o.to, &a->o.has_to);
        case 3:
                a->sort = 1;
                return 0;
        case 4:
                a->labels = arg;
                return 0;
        case 5:
                a->report = arg;
                return 0;
        case 6:
                if (strcmp(arg, "kafka") && strcmp(arg, "files")) {
                        fprintf(stderr,
                                "churnwatch replay: --source '%s': use files "
                                "or kafka\n",
                                arg);
                        return -1;
                }
                a->kafka = !strcmp(arg, "kafka");
                return 0;
        case 7:
                a->sweeps[a->n_sweeps++] = arg;
                return 0;
        case 8:
                a->features = arg;
                return 0;
        case 9:
                return parse_every(a, arg);
        case 10:
                return parse_fraction(a, arg);
        case 11:
                return parse_horizon(a, arg);
        default:
                return 1;
        }
}

/* What goes together; a sentence for the first missing piece, or NULL. */
static const char *incomplete(const struct args *a) {
        if (a->report && !a->labels)
                return "--labels and --report go together";
        if (a->labels && !a->report && !a->features)
                return "--labels and --report go together (or --labels "
                       "with --features and --horizon)";
        if (!a->features && (a->has_every || a->has_fraction))
                return "--sample-every and --sample-customers shape the "
                       "training set: they need --features";
        if (a->has_horizon && !(a->features && a->labels))
                return "--horizon labels the training set: it needs "
                       "--features and --labels";
        if (a->features && a->labels && !a->has_horizon)
                return "--features with --labels needs --horizon D: label "
                       "= 1 when churned_at is in (as_of, as_of + D]";
        if (a->kafka && a->n_inputs)
                return "--source kafka reads the configured topics: no "
                       "--input";
        if (!a->config)
                return "-c FILE is required";
        if (!a->output && !a->features)
                return "--output OUT is required (or --features TRAIN.csv)";
        if (!a->n_inputs && !a->kafka)
                return "--input PATH is required";
        if (a->n_sweeps && !a->report)
                return "--sweep scores variants: it needs --labels and "
                       "--report";
        return NULL;
}

/* Parses argv into a; CW_CLI_CONTINUE, or the exit code to return. */
static int parse(int argc, char **argv, struct args *a) {
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
                {"features", required_argument, NULL, 8},
                {"sample-every", required_argument, NULL, 9},
                {"sample-customers", required_argument, NULL, 10},
                {"horizon", required_argument, NULL, 11},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        const char *missing;
        int opt, rc;

        while ((opt = getopt_long(argc, argv, "c:i:o:h", longopts, NULL)) !=
               -1) {
                if ((rc = option(a, opt, optarg)) < 0)
                        return CW_EXIT_USAGE;
                if (rc > 0 && (rc = cw_cli_common_option(opt, optarg, usage)) !=
                                      CW_CLI_CONTINUE)
                        return rc;
        }
        /* More inputs may follow --input without repeating it. */
        while (optind < argc)
                a->inputs[a->n_inputs++] = argv[optind++];
        if ((missing = incomplete(a))) {
                fprintf(stderr, "churnwatch replay: %s\n\n", missing);
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }
        return CW_CLI_CONTINUE;
}

/* --features: the labels (with --labels) and the training set. 0, or -1
 * with a sentence. */
static int open_trainset(struct args *a, const cw_config_t *c,
                         cw_labels_t **labels, char *err, size_t err_size) {
        struct cw_trainset_opts t = {
                .path = a->features,
                .every_days = a->has_every ? a->every_days : 1,
                .fraction = a->has_fraction ? a->fraction : 1,
                .horizon_ms = a->horizon_ms,
                .from = a->o.has_from ? a->o.from : INT64_MIN,
                .to = a->o.has_to ? a->o.to : INT64_MAX};

        if (a->labels && !(*labels = cw_labels_read(a->labels, err, err_size)))
                return -1;
        t.labels = *labels;
        return (a->o.ts = cw_trainset_open(&c->engine, &t, err, err_size)) ? 0
                                                                           : -1;
}

/* Opens the source and what the replay writes. 0, or -1 with a sentence. */
static int open_all(struct args *a, cw_config_t *c, cw_schemas_t **schemas,
                    cw_source_t **src, cw_labels_t **labels, char *err,
                    size_t err_size) {
        int64_t start_ms = a->o.has_from ? a->o.from - c->warmup_ms : -1;

        if (!(*schemas = cw_schemas_load(err, err_size)) ||
            !(*src = a->kafka
                             ? cw_source_kafka(c, *schemas,
                                               start_ms < -1 ? 0 : start_ms,
                                               err, err_size)
                             : cw_source_files(a->inputs, a->n_inputs, *schemas,
                                               a->sort, err, err_size)))
                return -1;
        /* The labels first: a broken label file leaves no output behind. */
        if (a->report &&
            !(a->o.bt = cw_backtest_new(
                      c, a->labels, a->o.has_from ? a->o.from : INT64_MIN,
                      a->o.has_to ? a->o.to : INT64_MAX, err, err_size)))
                return -1;
        if (a->features && open_trainset(a, c, labels, err, err_size))
                return -1;
        if (a->output &&
            !(a->o.sink = cw_sink_open(a->output, *schemas, err, err_size)))
                return -1;
        return 0;
}

/* Closes the warnings and the training set, which must then be complete.
 * 0, or -1 (logged). */
static int close_outputs(struct args *a) {
        char err[1024];
        int rc = 0;

        if (cw_sink_close(a->o.sink, err, sizeof(err))) {
                cw_error("replay: %s", err);
                rc = -1;
        }
        a->o.sink = NULL;
        if (cw_trainset_close(a->o.ts, err, sizeof(err))) {
                cw_error("replay: %s", err);
                rc = -1;
        }
        a->o.ts = NULL;
        return rc;
}

/* After a failure: what was written is incomplete, and removed. */
static void discard_outputs(struct args *a) {
        if (cw_sink_discard(a->o.sink))
                cw_error("replay: removed %s, which the failure left "
                         "incomplete",
                         a->output);
        if (cw_trainset_discard(a->o.ts))
                cw_error("replay: removed %s, which the failure left "
                         "incomplete",
                         a->features);
        a->o.sink = NULL;
        a->o.ts = NULL;
}

/* Opens what the replay reads and writes, runs it, writes the report.
 * An exit code. */
static int replay(struct args *a, cw_config_t *c) {
        cw_schemas_t *schemas = NULL;
        cw_source_t *src = NULL;
        cw_labels_t *labels = NULL;
        int rc = CW_EXIT_FAIL;
        char err[1024];

        if (open_all(a, c, &schemas, &src, &labels, err, sizeof(err))) {
                cw_error("replay: %s", err);
                goto out;
        }
        if (cw_replay_run(c, src, &a->o) || close_outputs(a))
                goto out;
        if (a->o.bt) {
                if (cw_backtest_write(a->o.bt, a->report, err, sizeof(err))) {
                        cw_error("replay: %s", err);
                        goto out;
                }
                cw_info("replay: report in %s/report.json and "
                        "%s/report.html",
                        a->report, a->report);
        }
        rc = CW_EXIT_OK;
out:
        discard_outputs(a);
        cw_labels_destroy(labels);
        cw_backtest_destroy(a->o.bt);
        cw_source_close(src);
        cw_schemas_destroy(schemas);
        return rc;
}

int cw_cmd_replay(int argc, char **argv) {
        struct args a = {0};
        cw_config_t *c = NULL;
        char err[1024];
        int rc;

        a.inputs = calloc((size_t)argc + 1, sizeof(char *));
        a.sweeps = calloc((size_t)argc + 1, sizeof(char *));
        if (!a.inputs || !a.sweeps) {
                rc = CW_EXIT_FAIL;
                goto out;
        }
        if ((rc = parse(argc, argv, &a)) != CW_CLI_CONTINUE)
                goto out;
        rc = CW_EXIT_FAIL;
        if (!(c = cw_cli_load_config(a.config)))
                goto out;
        for (int i = 0; i < a.n_sweeps; i++)
                if (cw_backtest_add_sweep(&c->engine, a.sweeps[i], err,
                                          sizeof(err))) {
                        fprintf(stderr, "churnwatch replay: %s\n", err);
                        rc = CW_EXIT_USAGE;
                        goto out;
                }
        rc = replay(&a, c);
out:
        cw_config_destroy(c);
        free(a.inputs);
        free(a.sweeps);
        return rc;
}
