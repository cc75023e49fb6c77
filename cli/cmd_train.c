/* churnwatch train: a logistic model fitted on a training set of
 * `replay --features` (CONTRACT.md section 11). Parses the options and
 * hands them to learn/train.h, which prints the models entry. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/log.h"
#include "common/timeparse.h"
#include "features/engine_conf.h"
#include "learn/train.h"

static const char usage[] =
        "Usage: churnwatch train --features TRAIN.csv --model NAME\n"
        "                        [--inputs f1,f2,...] [--l2 L] "
        "[--validate-from T]\n"
        "                        (--fire P | --target-precision P)\n"
        "\n"
        "Fits an L2-regularised logistic regression on a training set "
        "written by\n"
        "replay --features (with --labels and --horizon), its inputs "
        "standardised\n"
        "with the training rows' mean and standard deviation, and prints a "
        "models\n"
        "entry for the configuration on stdout, after a comment line saying "
        "what\n"
        "made it. Rows with as_of < T train, the others validate; the "
        "figures\n"
        "(rows, positives, validation AUC, precision and recall at fire) go "
        "to\n"
        "stderr.\n"
        "\n"
        "Options:\n"
        "  -f, --features TRAIN.csv the training set "
        "(customer_id,as_of,...,label)\n"
        "  -m, --model NAME         the model's name in the entry (letters, "
        "digits, _)\n"
        "      --inputs f1,f2,...   the feature columns to use (default: "
        "every one)\n"
        "      --l2 L               L2 penalty on the weights, L > 0 "
        "(default 1);\n"
        "                           the intercept is not penalised\n"
        "      --validate-from T    rows with as_of >= T validate (default: "
        "the last\n"
        "                           20 % of the sample times)\n"
        "      --fire P             the entry's fire, 0 <= P <= 1\n"
        "      --target-precision P the smallest fire whose precision on "
        "the\n"
        "                           validation rows is at least P (0 < P <= "
        "1);\n"
        "                           exit 1 when none is\n"
        "T is ISO-8601 UTC (2026-11-23, 2026-11-23T13:33:18Z) or epoch "
        "millis.\n"
        "\n" CW_CLI_COMMON_HELP;

struct args {
        struct cw_train_opts o;
        char *inputs; /* --inputs, split in place into o.inputs */
        int has_target, has_l2;
};

/* A number of option `opt` in [lo, hi] (lo excluded when open); -1 after
 * saying what it takes. */
static int number(const char *opt, const char *arg, double lo, double hi,
                  int open, double *out) {
        char *end;
        double v = strtod(arg, &end);

        if (end == arg || *end || !(open ? v > lo : v >= lo) || !(v <= hi) ||
            isinf(v)) {
                fprintf(stderr, "churnwatch train: %s '%s': use a number %s %g",
                        opt, arg, open ? ">" : ">=", lo);
                if (!isinf(hi))
                        fprintf(stderr, " and <= %g", hi);
                fputc('\n', stderr);
                return -1;
        }
        *out = v;
        return 0;
}

/* --inputs f1,f2,...: names split at commas. */
static int split_inputs(struct args *a, const char *arg) {
        int n = 1;

        free(a->inputs);
        free(a->o.inputs);
        a->o.inputs = NULL;
        if (!(a->inputs = strdup(arg)))
                return -1;
        for (const char *p = arg; *p; p++)
                n += *p == ',';
        if (!(a->o.inputs = calloc((size_t)n + 1, sizeof(char *))))
                return -1;
        a->o.n_inputs = 0;
        for (char *s = a->inputs, *next; s; s = next) {
                if ((next = strchr(s, ',')))
                        *next++ = 0;
                if (!*s) {
                        fprintf(stderr,
                                "churnwatch train: --inputs '%s': an "
                                "empty name; separate feature names "
                                "with single commas\n",
                                arg);
                        return -1;
                }
                a->o.inputs[a->o.n_inputs++] = s;
        }
        return 0;
}

/* One option of train's own: 0; -1 after saying what is wrong; 1 when
 * `opt` is not one of them. */
static int option(struct args *a, int opt, const char *arg) {
        char err[256];

        switch (opt) {
        case 'f':
                a->o.features = arg;
                return 0;
        case 'm':
                a->o.model = arg;
                return 0;
        case 1:
                return split_inputs(a, arg);
        case 2:
                a->has_l2 = 1;
                return number("--l2", arg, 0, HUGE_VAL, 1, &a->o.l2);
        case 3:
                if (cw_time_parse(arg, &a->o.validate_from, err, sizeof(err))) {
                        fprintf(stderr,
                                "churnwatch train: --validate-from: %s\n", err);
                        return -1;
                }
                a->o.has_validate_from = 1;
                return 0;
        case 4:
                a->o.has_fire = 1;
                return number("--fire", arg, 0, 1, 0, &a->o.fire);
        case 5:
                a->has_target = 1;
                return number("--target-precision", arg, 0, 1, 1,
                              &a->o.target_precision);
        default:
                return 1;
        }
}

/* What goes together; a sentence for the first problem, or NULL. */
static const char *incomplete(const struct args *a) {
        if (!a->o.features)
                return "--features TRAIN.csv is required";
        if (!a->o.model)
                return "--model NAME is required";
        if (!cw_engine_conf_valid_name(a->o.model))
                return "--model NAME: use letters, digits and '_', not "
                       "starting with a digit (a configuration name)";
        if (a->o.has_fire == a->has_target)
                return "give either --fire P or --target-precision P";
        return NULL;
}

static int parse(int argc, char **argv, struct args *a) {
        static const struct option longopts[] = {
                {"features", required_argument, NULL, 'f'},
                {"model", required_argument, NULL, 'm'},
                {"inputs", required_argument, NULL, 1},
                {"l2", required_argument, NULL, 2},
                {"validate-from", required_argument, NULL, 3},
                {"fire", required_argument, NULL, 4},
                {"target-precision", required_argument, NULL, 5},
                CW_CLI_COMMON_OPTIONS,
                {NULL, 0, NULL, 0}};
        const char *missing;
        int opt, rc;

        while ((opt = getopt_long(argc, argv, "f:m:h", longopts, NULL)) != -1) {
                if ((rc = option(a, opt, optarg)) < 0)
                        return CW_EXIT_USAGE;
                if (rc > 0 && (rc = cw_cli_common_option(opt, optarg, usage)) !=
                                      CW_CLI_CONTINUE)
                        return rc;
        }
        if (optind < argc)
                missing = "unexpected arguments after the options";
        else
                missing = incomplete(a);
        if (missing) {
                fprintf(stderr, "churnwatch train: %s\n\n", missing);
                fputs(usage, stderr);
                return CW_EXIT_USAGE;
        }
        return CW_CLI_CONTINUE;
}

int cw_cmd_train(int argc, char **argv) {
        struct args a = {.o = {.l2 = 1}};
        char err[1024];
        int rc;

        if ((rc = parse(argc, argv, &a)) == CW_CLI_CONTINUE) {
                rc = CW_EXIT_OK;
                if (cw_train(&a.o, stdout, err, sizeof(err))) {
                        cw_error("train: %s", err);
                        rc = CW_EXIT_FAIL;
                } else if (fflush(stdout)) {
                        cw_error("train: writing the entry failed");
                        rc = CW_EXIT_FAIL;
                }
        }
        free(a.inputs);
        free(a.o.inputs);
        return rc;
}
