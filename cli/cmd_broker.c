/*
 * churnwatch broker: librdkafka's mock cluster, a real Kafka-protocol broker
 * inside this process, with the configured topics created. For development,
 * demos and tests only: it keeps data in memory, only about the latest 5 MB
 * of each partition (a fixed limit of librdkafka 2.0.2's mock cluster), and
 * implements transactions only partly.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "common/log.h"
#include "config/config.h"
#include "devtools/broker.h"

static const char usage[] =
        "Usage: churnwatch broker -c FILE [--partitions N] [--brokers N]\n"
        "                         [--commands]\n"
        "\n"
        "Starts the embedded Kafka-protocol broker (librdkafka's mock "
        "cluster)\n"
        "on 127.0.0.1, creates every topic named in the configuration's\n"
        "`topics` with N partitions, prints bootstrap=HOST:PORT[,...] as its\n"
        "first line on stdout, and runs until SIGINT or SIGTERM.\n"
        "For development, demos and tests: data lives in memory and only "
        "about\n"
        "the latest 5 MB of each partition is kept.\n"
        "\n"
        "Options:\n"
        "  -c, --config FILE        the configuration file\n"
        "  -p, --partitions N       partitions per topic (default 4)\n"
        "      --brokers N          brokers in the cluster (default "
        "1)\n"
        "      --commands           read fault-injection commands on stdin, "
        "one a\n"
        "                           line (tests): errors API ERROR COUNT, "
        "down ID,\n"
        "                           up ID, create TOPIC PARTITIONS,\n"
        "                           coordinator transaction|group KEY "
        "ID\n" CW_CLI_COMMON_HELP;

/* Commands on standard input, read with read(2) rather than stdio: after
 * poll() says there is input, every complete line that arrived is run
 * (stdio would keep the lines after the first in its buffer, unseen by the
 * next poll). */
struct command_input {
        char buf[4096];
        size_t len;
};

/* Waits up to 100 ms for input and runs every complete line. 0 at the end
 * of the input (the broker keeps running), else 1. */
static int read_commands(cw_broker_t *b, struct command_input *in) {
        struct pollfd pfd = {0, POLLIN, 0};
        char err[512], *nl;
        ssize_t n;

        if (poll(&pfd, 1, 100) <= 0)
                return 1;
        if (in->len == sizeof(in->buf))
                in->len = 0; /* a line longer than the buffer: dropped */
        n = read(0, in->buf + in->len, sizeof(in->buf) - in->len);
        if (n <= 0)
                return 0;
        in->len += (size_t)n;
        while ((nl = memchr(in->buf, '\n', in->len))) {
                size_t used = (size_t)(nl - in->buf) + 1;
                *nl = 0;
                if (nl > in->buf && nl[-1] == '\r')
                        nl[-1] = 0;
                if (*in->buf && cw_broker_command(b, in->buf, err, sizeof(err)))
                        cw_error("broker: %s", err);
                else if (*in->buf)
                        cw_info("broker: %s", in->buf);
                memmove(in->buf, in->buf + used, in->len - used);
                in->len -= used;
        }
        return 1;
}

int cw_cmd_broker(int argc, char **argv) {
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"partitions", required_argument, NULL, 'p'},
                {"brokers", required_argument, NULL, 1},
                {"commands", no_argument, NULL, 2},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        const char *cfg_path = NULL;
        int partitions = 4, brokers = 1, commands = 0, opt, rc;
        struct command_input in = {.len = 0};
        char err[512];
        cw_config_t *c;
        cw_broker_t *b;

        while ((opt = getopt_long(argc, argv, "c:p:h", longopts, NULL)) != -1) {
                if (opt == 'c') {
                        cfg_path = optarg;
                } else if (opt == 2) {
                        commands = 1;
                } else if (opt == 'p' || opt == 1) {
                        if (cw_cli_parse_int(
                                    "broker",
                                    opt == 'p' ? "--partitions" : "--brokers",
                                    optarg, 1, opt == 'p' ? 1000 : 16,
                                    opt == 'p' ? &partitions : &brokers))
                                return CW_EXIT_USAGE;
                } else if ((rc = cw_cli_common_option(opt, optarg, usage)) !=
                           CW_CLI_CONTINUE) {
                        return rc;
                }
        }
        if (!cfg_path || optind != argc) {
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }
        if (!(c = cw_cli_load_config(cfg_path)))
                return CW_EXIT_FAIL;

        if (!(b = cw_broker_start(c, partitions, brokers, err, sizeof(err)))) {
                cw_error("broker: %s", err);
                cw_config_destroy(c);
                return CW_EXIT_FAIL;
        }
        cw_cli_catch_signals();
        printf("bootstrap=%s\n", cw_broker_bootstraps(b));
        fflush(stdout);
        cw_info("broker: %d broker%s at %s; %d topics of %d partitions; "
                "development use only (about 5 MB kept per partition)",
                brokers, brokers == 1 ? "" : "s", cw_broker_bootstraps(b),
                CW_STREAM_COUNT + 3, partitions);
        while (!cw_cli_stop) {
                if (!commands) {
                        struct timespec t = {0, 100 * 1000000L};
                        nanosleep(&t, NULL);
                        continue;
                }
                commands = read_commands(b, &in);
        }
        cw_info("broker: stopping");
        cw_broker_stop(b);
        cw_config_destroy(c);
        return CW_EXIT_OK;
}
