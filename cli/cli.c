/* What every command shares: the common options and loading the config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "common/log.h"

int cw_cli_common_option(int opt, const char *arg, const char *usage) {
        cw_log_level_t level;
        cw_log_format_t format;

        switch (opt) {
        case 'h':
                fputs(usage, stdout);
                return CW_EXIT_OK;
        case 'L':
                if (cw_log_level_parse(arg, &level)) {
                        fprintf(stderr,
                                "churnwatch: --log-level '%s': use "
                                "debug, info, warn or error\n",
                                arg);
                        return CW_EXIT_USAGE;
                }
                cw_log_setup(level, cw_log_format_current(), NULL);
                return CW_CLI_CONTINUE;
        case 'F':
                if (cw_log_format_parse(arg, &format)) {
                        fprintf(stderr,
                                "churnwatch: --log-format '%s': use "
                                "text or json\n",
                                arg);
                        return CW_EXIT_USAGE;
                }
                cw_log_setup(cw_log_level_current(), format, NULL);
                return CW_CLI_CONTINUE;
        default:
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }
}

volatile sig_atomic_t cw_cli_stop;

static void on_signal(int sig) {
        cw_cli_stop = 1;
        signal(sig, SIG_DFL);
}

void cw_cli_catch_signals(void) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
}

cw_config_t *cw_cli_load_config(const char *path) {
        struct cw_diags diags;
        cw_config_t *c;

        cw_diags_init(&diags);
        c = cw_config_load(path, &diags);
        for (int i = 0; i < diags.n; i++)
                cw_error("%s", diags.msgs[i]);
        cw_diags_free(&diags);
        return c;
}

int cw_cli_parse_int(const char *cmd, const char *opt, const char *s, long lo,
                     long hi, int *out) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi) {
                fprintf(stderr,
                        "churnwatch %s: %s '%s': use a whole number from "
                        "%ld to %ld\n",
                        cmd, opt, s, lo, hi);
                return -1;
        }
        *out = (int)v;
        return 0;
}

int cw_cli_serve_metrics(const char *cmd, const cw_config_t *c,
                         const cw_pipeline_t *p, cw_metrics_t **out) {
        char err[512];

        *out = NULL;
        if (!c->http_listen)
                return 0;
        if (!(*out = cw_metrics_start(c, p, err, sizeof(err)))) {
                cw_error("%s: %s", cmd, err);
                return -1;
        }
        return 0;
}
