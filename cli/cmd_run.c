/* churnwatch run: the live pipeline on Kafka (CONTRACT.md section 6). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/log.h"
#include "config/config.h"
#include "pipeline/pipeline.h"
#include "schemas/schemas.h"

static const char usage[] =
        "Usage: churnwatch run -c FILE [--output FILE.jsonl] [--exit-at-end]\n"
        "                      [--dump-state DIR]\n"
        "\n"
        "Consumes the four input topics as a member of the consumer group\n"
        "kafka.group_id, runs the engine on each shard (one partition number\n"
        "of the four co-partitioned topics), and publishes warnings to the\n"
        "warning topic; undecodable records go to the dead-letter topic.\n"
        "Each shard's state goes to the changelog topic <group_id>-state and\n"
        "is restored from it when the shard is assigned. With\n"
        "processing_guarantee = \"exactly_once\" (the default) one "
        "transaction\n"
        "per commit interval holds the warnings, the changelog and the input\n"
        "offsets; at least once, offsets commit once all they caused is\n"
        "acknowledged.\n"
        "Runs until SIGINT or SIGTERM, then stops within 10 seconds.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE        the configuration file\n"
        "  -o, --output FILE        also write every warning to FILE.jsonl "
        "(or - for\n"
        "                           stdout), for debugging\n"
        "      --exit-at-end        stop (gracefully) once every assigned "
        "input is\n"
        "                           read to its end: for tests, benchmarks "
        "and\n"
        "                           catching up in batch\n"
        "      --dump-state DIR     after restoring a shard, write its state "
        "to\n"
        "                           DIR/shard-<p>.state (tests compare "
        "them)\n" CW_CLI_COMMON_HELP;

int cw_cmd_run(int argc, char **argv) {
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"output", required_argument, NULL, 'o'},
                {"exit-at-end", no_argument, NULL, 1},
                {"dump-state", required_argument, NULL, 2},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        struct cw_pipeline_opts o = {0};
        const char *cfg_path = NULL;
        int opt, rc;
        char err[1024];
        cw_config_t *c;
        cw_schemas_t *s;
        cw_pipeline_t *p;
        cw_metrics_t *m;

        while ((opt = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
                switch (opt) {
                case 'c':
                        cfg_path = optarg;
                        break;
                case 'o':
                        o.output = optarg;
                        break;
                case 1:
                        o.exit_at_end = 1;
                        break;
                case 2:
                        o.dump_state = optarg;
                        break;
                default:
                        rc = cw_cli_common_option(opt, optarg, usage);
                        if (rc != CW_CLI_CONTINUE)
                                return rc;
                }
        }
        if (!cfg_path || optind < argc) {
                fprintf(stderr, "churnwatch run: %s\n\n",
                        !cfg_path ? "-c FILE is required"
                                  : "unexpected argument");
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }
        if (!(c = cw_cli_load_config(cfg_path)))
                return CW_EXIT_FAIL;
        rc = CW_EXIT_FAIL;
        if (!(s = cw_schemas_load(err, sizeof(err)))) {
                cw_error("run: %s", err);
                goto out_config;
        }
        cw_cli_catch_signals();
        o.publish_ms = c->http_listen ? CW_METRICS_PUBLISH_MS : 0;
        if (!(p = cw_pipeline_new(c, s, &o, err, sizeof(err)))) {
                cw_error("run: %s", err);
                goto out_schemas;
        }
        if (cw_cli_serve_metrics("run", c, p, &m))
                goto out_pipeline;
        cw_info("run: consuming %s, %s, %s and %s as group member; warnings "
                "to %s, dead letters to %s",
                c->topics[0], c->topics[1], c->topics[2], c->topics[3],
                c->warnings_topic, c->dead_letter_topic);
        if (!cw_pipeline_run(p, &cw_cli_stop))
                rc = CW_EXIT_OK;
        cw_metrics_stop(m);
out_pipeline:
        cw_pipeline_destroy(p);
out_schemas:
        cw_schemas_destroy(s);
out_config:
        cw_config_destroy(c);
        return rc;
}
