/* The command line: one function per command, shared option handling. */
#ifndef CW_CLI_H
#define CW_CLI_H

#include <getopt.h>
#include <signal.h>

#include "config/config.h"
#include "metrics/metrics.h"
#include "pipeline/pipeline.h"

/* Exit codes: only main() and the commands decide them. */
#define CW_EXIT_OK 0
#define CW_EXIT_FAIL 1
#define CW_EXIT_USAGE 2

/* Options every command accepts, to splice into its getopt_long table. */
#define CW_CLI_COMMON_OPTIONS                                                  \
        {"help", no_argument, NULL, 'h'},                                      \
                {"log-level", required_argument, NULL, 'L'}, {                 \
                "log-format", required_argument, NULL, 'F'                     \
        }

#define CW_CLI_COMMON_HELP                                                     \
        "  -h, --help               show this help and exit\n"                 \
        "      --log-level LEVEL    debug, info (default), warn or error\n"    \
        "      --log-format FORMAT  text (default) or json: one line per "     \
        "event on stderr\n"

/*
 * Handles an option that is not the command's own: one of
 * CW_CLI_COMMON_OPTIONS (CW_CLI_CONTINUE, or after --help or a bad value
 * the exit code for the command to return at once), or an unknown one
 * (the usage on stderr, CW_EXIT_USAGE).
 */
#define CW_CLI_CONTINUE (-2)
int cw_cli_common_option(int opt, const char *arg, const char *usage);

/* Set by SIGINT or SIGTERM once cw_cli_catch_signals() ran: the command
 * stops gracefully. The only global of the command line. */
extern volatile sig_atomic_t cw_cli_stop;

/* The first SIGINT or SIGTERM asks for a graceful stop (cw_cli_stop); a
 * second one kills. */
void cw_cli_catch_signals(void);

/* Parses a whole number in [lo, hi] into *out; -1 after saying on stderr
 * what `opt` of command `cmd` takes. */
int cw_cli_parse_int(const char *cmd, const char *opt, const char *s, long lo,
                     long hi, int *out);

/* Loads and validates a configuration, logging every problem as an error;
 * NULL when there was one. */
cw_config_t *cw_cli_load_config(const char *path);

/* With `http_listen`, serves the metrics of p (made with publish_ms
 * CW_METRICS_PUBLISH_MS) into *out; otherwise *out is NULL. 0, or -1
 * after logging why as command `cmd`. */
int cw_cli_serve_metrics(const char *cmd, const cw_config_t *c,
                         const cw_pipeline_t *p, cw_metrics_t **out);

int cw_cmd_check_config(int argc, char **argv);
int cw_cmd_replay(int argc, char **argv);
int cw_cmd_run(int argc, char **argv);
int cw_cmd_demo(int argc, char **argv);
int cw_cmd_broker(int argc, char **argv);
int cw_cmd_tail(int argc, char **argv);
int cw_cmd_gen(int argc, char **argv);
int cw_cmd_train(int argc, char **argv);

#endif
