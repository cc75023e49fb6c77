/* churnwatch check-config -c FILE: validate a configuration. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config/config.h"

static const char usage[] = "Usage: churnwatch check-config -c FILE\n"
                            "\n"
                            "Validates a configuration file. Prints a one-line "
                            "summary and exits 0\n"
                            "when it is valid; otherwise prints every problem "
                            "as file:line: message\n"
                            "and exits 1.\n"
                            "\n"
                            "Options:\n"
                            "  -c, --config FILE        the configuration file "
                            "(libconfig syntax)\n" CW_CLI_COMMON_HELP;

static void print_summary(const cw_config_t *c) {
        int streams[CW_STREAM_COUNT] = {0}, n_expr = 0, first = 1;

        for (int i = 0; i < c->engine.n_features; i++) {
                if (c->engine.features[i].agg == CW_AGG_EXPR)
                        n_expr++;
                else
                        streams[c->engine.features[i].stream] = 1;
        }
        printf("%s: OK: %d feature%s (%d expression%s), %d rule%s, %d model%s; "
               "streams:",
               c->path, c->engine.n_features,
               c->engine.n_features == 1 ? "" : "s", n_expr,
               n_expr == 1 ? "" : "s", c->engine.n_rules,
               c->engine.n_rules == 1 ? "" : "s",
               c->engine.n_alerts - c->engine.n_rules,
               c->engine.n_alerts - c->engine.n_rules == 1 ? "" : "s");
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (streams[s]) {
                        printf("%s%s", first ? " " : ", ", cw_streams[s].name);
                        first = 0;
                }
        printf("%s; largest window %dd\n", first ? " none" : "",
               c->engine.max_window_days);
}

int cw_cmd_check_config(int argc, char **argv) {
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        const char *path = NULL;
        struct cw_diags diags;
        cw_config_t *c;
        int opt, rc;

        while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
                if (opt == 'c') {
                        path = optarg;
                        continue;
                }
                rc = cw_cli_common_option(opt, optarg, usage);
                if (rc != CW_CLI_CONTINUE)
                        return rc;
        }
        if (!path || optind != argc) {
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }

        cw_diags_init(&diags);
        c = cw_config_load(path, &diags);
        for (int i = 0; i < diags.n; i++)
                fprintf(stderr, "%s\n", diags.msgs[i]);
        if (!c) {
                fprintf(stderr, "%s: %d error%s\n", path, diags.n,
                        diags.n == 1 ? "" : "s");
                cw_diags_free(&diags);
                return CW_EXIT_FAIL;
        }
        print_summary(c);
        cw_config_destroy(c);
        cw_diags_free(&diags);
        return CW_EXIT_OK;
}
