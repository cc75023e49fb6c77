/* churnwatch: real-time customer-churn early warning on Kafka. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/log.h"

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
} commands[] = {
        {"check-config", cw_cmd_check_config,
         "validate a configuration file and summarise it"},
        {"broker", cw_cmd_broker,
         "run the embedded Kafka-protocol broker (development and tests)"},
        {"demo", cw_cmd_demo,
         "everything in one process: broker, generator, live pipeline"},
        {"run", cw_cmd_run,
         "consume the input topics and publish warnings (live)"},
        {"replay", cw_cmd_replay,
         "replay Avro files through the engine into warnings (JSONL or Avro)"},
        {"tail", cw_cmd_tail,
         "print the warning topic, as a table or JSON lines"},
        {"gen", cw_cmd_gen,
         "generate a synthetic population as Avro files, with churn labels"},
        {"train", cw_cmd_train,
         "fit a logistic model on a training set of replay --features"},
};

#define N_COMMANDS (int)(sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out) {
        fprintf(out, "Usage: churnwatch [--log-level LEVEL] [--log-format "
                     "FORMAT] <command> [options]\n"
                     "       churnwatch --help | --version\n\nCommands:\n");
        for (int i = 0; i < N_COMMANDS; i++)
                fprintf(out, "  %-14s %s\n", commands[i].name,
                        commands[i].summary);
        fprintf(out, "\nRun 'churnwatch <command> --help' for a command's "
                     "options.\n\nOptions:\n"
                     "      --version            print the version and "
                     "exit\n" CW_CLI_COMMON_HELP);
}

static int run(int argc, char **argv) {
        int i = 1, rc;

        cw_log_setup(CW_LOG_INFO, CW_LOG_TEXT, stderr);
        /* Options before the command: only the common ones and --version. */
        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--version")) {
                        printf("churnwatch %s\n", CW_VERSION);
                        return CW_EXIT_OK;
                }
                if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        print_usage(stdout);
                        return CW_EXIT_OK;
                }
                if ((!strcmp(a, "--log-level") || !strcmp(a, "--log-format")) &&
                    i + 1 < argc) {
                        rc = cw_cli_common_option(a[6] == 'l' ? 'L' : 'F',
                                                  argv[i + 1], "");
                        if (rc != CW_CLI_CONTINUE)
                                return rc;
                        i++;
                        continue;
                }
                fprintf(stderr, "churnwatch: unknown option '%s'\n\n", a);
                print_usage(stderr);
                return CW_EXIT_USAGE;
        }
        if (i == argc) {
                print_usage(stderr);
                return CW_EXIT_USAGE;
        }
        for (int c = 0; c < N_COMMANDS; c++)
                if (!strcmp(argv[i], commands[c].name)) {
                        /* The command sees argv[0] = its name, as getopt
                         * expects. */
                        optind = 1;
                        return commands[c].run(argc - i, argv + i);
                }
        fprintf(stderr, "churnwatch: unknown command '%s'\n\n", argv[i]);
        print_usage(stderr);
        return CW_EXIT_USAGE;
}

int main(int argc, char **argv) {
        int rc = run(argc, argv), failed;

        /* What a command printed must have reached standard output: a full
         * disk (/dev/full) there fails the command, as it would a file. */
        errno = 0;
        failed = fflush(stdout)   ? (errno ? errno : EIO)
                 : ferror(stdout) ? EIO
                                  : 0;
        if (failed && rc == CW_EXIT_OK) {
                fprintf(stderr,
                        "churnwatch: cannot write standard output: %s\n",
                        strerror(failed));
                rc = CW_EXIT_FAIL;
        }
        return rc;
}
