/*
 * churnwatch tail: decodes and prints the warning topic, for the people
 * building retention systems. It assigns every partition itself, joins no
 * consumer group and commits nothing, so it never disturbs a deployment.
 */
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/dedup.h"
#include "common/log.h"
#include "kafka/client.h"
#include "registry/cache.h"
#include "registry/framed.h"
#include "schemas/schemas.h"
#include "schemas/warning_codec.h"
#include "sinks/sink.h"
#include "sinks/table.h"

static const char usage[] =
        "Usage: churnwatch tail -c FILE [--follow] [--json] [--dedup]\n"
        "\n"
        "Prints the warning topic (topics.warnings) from its beginning: one\n"
        "readable line per warning, or with --json the JSONL of replay.\n"
        "Without --follow it stops at the end of every partition.\n"
        "It joins no consumer group and commits nothing.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE        the configuration file (kafka, topics)\n"
        "  -f, --follow             keep waiting for new warnings (Ctrl-C "
        "stops)\n"
        "      --json               print JSON lines instead of a table\n"
        "      --dedup              drop warnings whose warning_id was seen "
        "among the\n"
        "                           last 500,000 (what an at-least-once "
        "subscriber\n"
        "                           does; memory stays under 24 "
        "MB)\n" CW_CLI_COMMON_HELP;

/* Ids remembered by --dedup; see dedup.h for the bound. */
#define DEDUP_CAPACITY 1000000

/* A consumer with the configured properties, no group, no commits, that
 * assigns every partition of `topic` from its beginning. NULL with a
 * sentence; else *n_parts is their count. */
static rd_kafka_t *open_reader(const cw_config_t *c, const char *topic,
                               int *n_parts, char *err, size_t size) {
        static const struct cw_kafka_setting settings[] = {
                {"enable.partition.eof", "true", CW_KAFKA_ALWAYS},
                {"enable.auto.commit", "false", CW_KAFKA_ALWAYS},
                {"enable.auto.offset.store", "false", CW_KAFKA_ALWAYS},
                {NULL, NULL, CW_KAFKA_ALWAYS}};
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_resp_err_t e;
        rd_kafka_t *rk;
        int n;

        if (!(rk = cw_kafka_new(c, RD_KAFKA_CONSUMER, settings, NULL, err,
                                size)))
                return NULL;
        if ((n = cw_kafka_partitions(rk, topic, 10000, &e, err, size)) <= 0) {
                if (n == 0)
                        snprintf(err, size, "topic %s: %s", topic,
                                 rd_kafka_err2str(e));
                rd_kafka_destroy(rk);
                return NULL;
        }
        parts = rd_kafka_topic_partition_list_new(n);
        for (int p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        e = rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        if (e) {
                snprintf(err, size, "topic %s: %s", topic, rd_kafka_err2str(e));
                rd_kafka_destroy(rk);
                return NULL;
        }
        *n_parts = n;
        return rk;
}

/* What tail reads with. */
struct tail {
        const cw_schemas_t *s;
        cw_warning_decoder_t *d;
        cw_schema_cache_t *registry; /* framed values; NULL: raw */
        cw_sink_t *json;             /* --json, or NULL: a table */
        cw_dedup_t *dedup;
        int follow;
};

/* The writer schema of a framed value, waiting while it is fetched: it
 * must be the ChurnWarning schema churnwatch writes. 0, or -1 with why. */
static int check_framed(struct tail *t, const void *value, size_t len,
                        char *why, size_t why_size) {
        struct timespec nap = {0, 20 * 1000000L};
        cw_schema_state_t st;
        avro_schema_t w;
        const char *no;
        int32_t id;

        if (cw_frame_id(value, len, &id, why, why_size))
                return -1;
        while ((st = cw_schema_cache_get(t->registry, id, &w, &no)) ==
                       CW_SCHEMA_PENDING &&
               !cw_cli_stop)
                nanosleep(&nap, NULL);
        if (st != CW_SCHEMA_READY)
                snprintf(why, why_size, "schema id %d: %s", id,
                         st == CW_SCHEMA_PENDING ? "stopped while fetching it"
                                                 : no);
        else if (!avro_schema_equal(w, cw_schemas_get(t->s, CW_SCHEMA_WARNING)))
                snprintf(why, why_size,
                         "schema id %d is not the ChurnWarning schema "
                         "churnwatch writes",
                         id);
        else
                return 0;
        return -1;
}

/* A warning value, raw or framed. 0, or -1 with why. */
static int decode(struct tail *t, const rd_kafka_message_t *m,
                  struct cw_warning *w, char *why, size_t why_size) {
        if (!t->registry)
                return cw_warning_decode(t->d, m->payload, m->len, w, why,
                                         why_size);
        if (check_framed(t, m->payload, m->len, why, why_size))
                return -1;
        return cw_warning_decode(
                t->d, (const char *)m->payload + CW_FRAME_HEADER_LEN,
                m->len - CW_FRAME_HEADER_LEN, w, why, why_size);
}

/* Prints messages until stopped (or, without follow, every partition's end).
 * Returns the number of records that could not be decoded. */
static long run(struct tail *t, rd_kafka_t *rk, int n_parts) {
        char err[512];
        long bad = 0, dups = 0;
        int at_end = 0;

        while (!cw_cli_stop && (t->follow || at_end < n_parts)) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
                struct cw_warning w;
                if (!m)
                        continue;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        at_end++;
                } else if (m->err) {
                        cw_warn("tail: %s", rd_kafka_message_errstr(m));
                } else if (decode(t, m, &w, err, sizeof(err))) {
                        bad++;
                        cw_warn("tail: %s [%d] at offset %lld: %s",
                                rd_kafka_topic_name(m->rkt), m->partition,
                                (long long)m->offset, err);
                } else if (t->dedup && cw_dedup_seen(t->dedup, w.warning_id)) {
                        dups++;
                } else if (t->json) {
                        if (cw_sink_write(t->json, &w, err, sizeof(err)))
                                cw_error("tail: %s", err);
                } else {
                        cw_table_print(stdout, &w);
                }
                rd_kafka_message_destroy(m);
                fflush(stdout);
        }
        if (t->dedup)
                cw_info("tail: %ld duplicate warning%s dropped", dups,
                        dups == 1 ? "" : "s");
        return bad;
}

int cw_cmd_tail(int argc, char **argv) {
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"follow", no_argument, NULL, 'f'},
                {"json", no_argument, NULL, 1},
                {"dedup", no_argument, NULL, 2},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        const char *cfg_path = NULL;
        int as_json = 0, dedup = 0, opt, rc, n;
        char err[512];
        cw_config_t *c;
        cw_schemas_t *s = NULL;
        struct tail t = {0};
        rd_kafka_t *rk = NULL;

        while ((opt = getopt_long(argc, argv, "c:fh", longopts, NULL)) != -1) {
                if (opt == 'c')
                        cfg_path = optarg;
                else if (opt == 'f')
                        t.follow = 1;
                else if (opt == 1)
                        as_json = 1;
                else if (opt == 2)
                        dedup = 1;
                else if ((rc = cw_cli_common_option(opt, optarg, usage)) !=
                         CW_CLI_CONTINUE)
                        return rc;
        }
        if (!cfg_path || optind != argc) {
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }
        if (!(c = cw_cli_load_config(cfg_path)))
                return CW_EXIT_FAIL;
        rc = CW_EXIT_FAIL;
        if (!(t.s = s = cw_schemas_load(err, sizeof(err))) ||
            !(t.d = cw_warning_decoder_new(s, err, sizeof(err))) ||
            (as_json && !(t.json = cw_sink_open("-", s, err, sizeof(err)))) ||
            (dedup && !(t.dedup = cw_dedup_new(DEDUP_CAPACITY)) &&
             snprintf(err, sizeof(err), "out of memory")) ||
            (c->registry && !(t.registry = cw_schema_cache_new(c->registry, err,
                                                               sizeof(err)))) ||
            !(rk = open_reader(c, c->warnings_topic, &n, err, sizeof(err)))) {
                cw_error("tail: %s", err);
                goto out_free;
        }
        cw_cli_catch_signals();
        if (!t.json)
                cw_table_header(stdout);
        if (run(&t, rk, n) == 0)
                rc = CW_EXIT_OK;
        else
                cw_error("tail: some records could not be decoded");

out_free:
        if (t.json && cw_sink_close(t.json, err, sizeof(err)))
                cw_error("tail: %s", err);
        if (rk) {
                rd_kafka_consumer_close(rk);
                rd_kafka_destroy(rk);
        }
        cw_warning_decoder_destroy(t.d);
        cw_dedup_destroy(t.dedup);
        cw_schema_cache_destroy(t.registry);
        cw_schemas_destroy(s);
        cw_config_destroy(c);
        return rc;
}
