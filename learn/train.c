#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/numfmt.h"
#include "common/timeparse.h"
#include "logreg.h"
#include "metrics.h"
#include "trainfile.h"

/* The share of sample times that validate by default. */
#define VALIDATE_SHARE 0.2

#define SWAP(type, a, b)                                                       \
        do {                                                                   \
                type t_ = (a);                                                 \
                (a) = (b);                                                     \
                (b) = t_;                                                      \
        } while (0)

struct split {
        int64_t T; /* rows with as_of < T train */
        size_t n_times;
        int64_t first, last; /* the earliest and latest sample time */
        size_t n_train, pos_train, n_valid, pos_valid;
};

struct scaler {
        double mean[CW_LOGREG_MAX_INPUTS], std[CW_LOGREG_MAX_INPUTS];
};

/* Everything one run holds, freed in one place. */
struct run {
        const struct cw_train_opts *o;
        struct cw_trainfile *tf;
        int d;
        struct split sp;
        struct scaler sc;
        struct cw_logreg m;
        double *score;     /* validation rows' scores */
        const uint8_t *yv; /* their labels (in tf) */
        double fire;
        struct cw_flagged at;
        double auc;
};

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

/* T: --validate-from, or the first of the last 20 % of sample times. */
static int split_time(struct run *r, char *errstr, size_t errstr_size) {
        const struct cw_trainfile *tf = r->tf;
        int64_t *t = malloc((tf->n_rows ? tf->n_rows : 1) * sizeof(*t));
        size_t n = 0, k;

        if (!t) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        if (tf->n_rows) {
                memcpy(t, tf->as_of, tf->n_rows * sizeof(*t));
                qsort(t, tf->n_rows, sizeof(*t), cmp_i64);
        }
        for (size_t i = 0; i < tf->n_rows; i++)
                if (!n || t[i] != t[n - 1])
                        t[n++] = t[i];
        r->sp.n_times = n;
        r->sp.first = n ? t[0] : 0;
        r->sp.last = n ? t[n - 1] : 0;
        if (r->o->has_validate_from) {
                r->sp.T = r->o->validate_from;
        } else if (n >= 2) {
                k = (size_t)ceil((double)n * VALIDATE_SHARE);
                r->sp.T = t[n - (k < 1 ? 1 : k >= n ? n - 1 : k)];
        }
        free(t);
        if (!n)
                snprintf(errstr, errstr_size,
                         "%s: no rows: nothing to train on", r->o->features);
        else if (!r->o->has_validate_from && n < 2)
                snprintf(errstr, errstr_size,
                         "%s: every row has the same as_of; a time-based "
                         "split needs two sample times or more: export more "
                         "or give --validate-from",
                         r->o->features);
        else
                return 0;
        return -1;
}

/* Counts the rows and positives on each side of T; a sentence for a
 * split that leaves nothing to fit or to validate. */
static int count_split(struct run *r, char *errstr, size_t errstr_size) {
        const struct cw_trainfile *tf = r->tf;
        struct split *sp = &r->sp;
        char when[40];

        for (size_t i = 0; i < tf->n_rows; i++)
                if (tf->as_of[i] < sp->T) {
                        sp->n_train++;
                        sp->pos_train += tf->label[i];
                } else {
                        sp->n_valid++;
                        sp->pos_valid += tf->label[i];
                }
        cw_time_format_seconds(sp->T, when, sizeof(when));
        if (!sp->n_train || !sp->n_valid)
                snprintf(errstr, errstr_size,
                         "%s: no %s rows (as_of %s %s): choose another "
                         "--validate-from",
                         r->o->features,
                         sp->n_train ? "validation" : "training",
                         sp->n_train ? "at or after" : "before", when);
        else if (!sp->pos_train || sp->pos_train == sp->n_train)
                snprintf(errstr, errstr_size,
                         "%s: %s training row is positive: a model needs "
                         "both classes; export with --labels and a "
                         "--horizon that catches churners",
                         r->o->features, sp->pos_train ? "every" : "no");
        else
                return 0;
        return -1;
}

/* Mean and population std of each input over the training rows' values;
 * an input constant there, or never present, gets std 1. */
static void fit_scaler(struct run *r) {
        const struct cw_trainfile *tf = r->tf;
        size_t d = (size_t)r->d;

        for (size_t j = 0; j < d; j++) {
                double sum = 0, ss = 0, n = 0, mean;
                for (size_t i = 0; i < tf->n_rows; i++) {
                        double v = tf->x[i * d + j];
                        if (tf->as_of[i] < r->sp.T && !isnan(v)) {
                                sum += v;
                                n++;
                        }
                }
                mean = n ? sum / n : 0;
                for (size_t i = 0; i < tf->n_rows; i++) {
                        double v = tf->x[i * d + j];
                        if (tf->as_of[i] < r->sp.T && !isnan(v))
                                ss += (v - mean) * (v - mean);
                }
                r->sc.mean[j] = mean;
                r->sc.std[j] = n && ss > 0 ? sqrt(ss / n) : 1;
                if (!(n && ss > 0))
                        cw_warn("train: input %s is %s in the training rows; "
                                "it standardises to 0 and gets no weight",
                                tf->inputs[j],
                                n ? "constant" : "always missing");
        }
}

/*
 * Standardises every row in place, as the engine computes an input with
 * missing = mean and transform = "standardize" (CONTRACT.md section 3):
 * x = NaN ? mean : x, then (x - mean) / std, the same operations in the
 * same order, so that the validation scores below are the engine's. Then
 * moves the training rows (as_of < T) before the validation rows; the
 * order within each side does not matter. No copy: a training set may
 * hold millions of rows.
 */
static void standardise_and_split(struct run *r) {
        struct cw_trainfile *tf = r->tf;
        size_t d = (size_t)r->d, lo = 0, hi = tf->n_rows;
        double tmp[CW_LOGREG_MAX_INPUTS];

        for (size_t i = 0; i < tf->n_rows; i++)
                for (size_t j = 0; j < d; j++) {
                        double *x = &tf->x[i * d + j];
                        if (isnan(*x))
                                *x = r->sc.mean[j];
                        *x = (*x - r->sc.mean[j]) / r->sc.std[j];
                }
        while (lo < hi) {
                if (tf->as_of[lo] < r->sp.T) {
                        lo++;
                        continue;
                }
                hi--;
                memcpy(tmp, tf->x + lo * d, d * sizeof(*tmp));
                memcpy(tf->x + lo * d, tf->x + hi * d, d * sizeof(*tmp));
                memcpy(tf->x + hi * d, tmp, d * sizeof(*tmp));
                SWAP(int64_t, tf->as_of[lo], tf->as_of[hi]);
                SWAP(uint8_t, tf->label[lo], tf->label[hi]);
        }
}

/* The validation rows' scores: the engine's 1 / (1 + exp(-z)), z the
 * intercept plus each weight times its standardised input, in order. */
static int validation_scores(struct run *r) {
        const struct cw_trainfile *tf = r->tf;
        size_t d = (size_t)r->d, first = r->sp.n_train;

        r->score = malloc((r->sp.n_valid + 1) * sizeof(*r->score));
        if (!r->score)
                return -1;
        for (size_t k = 0; k < r->sp.n_valid; k++) {
                const double *x = tf->x + (first + k) * d;
                double z = r->m.intercept;
                for (size_t j = 0; j < d; j++)
                        z += r->m.w[j] * x[j];
                r->score[k] = 1.0 / (1.0 + exp(-z));
        }
        r->yv = tf->label + first;
        return 0;
}

/* The inputs must be usable: a label column, at most 64 inputs, no
 * infinite value (the engine would not treat it as missing). */
static int check_inputs(const struct run *r, char *errstr, size_t errstr_size) {
        const struct cw_trainfile *tf = r->tf;

        if (!tf->has_label) {
                snprintf(errstr, errstr_size,
                         "%s: no label column: export the training set "
                         "with --labels LABELS.csv --horizon D",
                         r->o->features);
                return -1;
        }
        if (r->d < 1 || r->d > CW_LOGREG_MAX_INPUTS) {
                snprintf(errstr, errstr_size,
                         "%s: %d inputs; a model takes 1 to %d: choose them "
                         "with --inputs",
                         r->o->features, r->d, CW_LOGREG_MAX_INPUTS);
                return -1;
        }
        for (int j = 0; j < r->d; j++)
                if (tf->inf_line[j]) {
                        snprintf(errstr, errstr_size,
                                 "%s:%ld: input %s is infinite; a model "
                                 "input must be finite or missing: leave it "
                                 "out with --inputs",
                                 r->o->features, tf->inf_line[j],
                                 tf->inputs[j]);
                        return -1;
                }
        return 0;
}

/* fire: --fire, or the smallest reaching --target-precision. */
static int choose_fire(struct run *r, char *errstr, size_t errstr_size) {
        double best;

        if (r->o->has_fire) {
                r->fire = r->o->fire;
        } else if (cw_metrics_fire_for_precision(r->score, r->yv, r->sp.n_valid,
                                                 r->o->target_precision,
                                                 &r->fire, &best)) {
                snprintf(errstr, errstr_size,
                         "no fire reaches precision %g on the %zu "
                         "validation rows (the best is %.4f, at fire = %g): "
                         "lower --target-precision, or give --fire",
                         r->o->target_precision, r->sp.n_valid, best, r->fire);
                return -1;
        }
        r->at = cw_metrics_at(r->score, r->yv, r->sp.n_valid, r->fire);
        r->auc = cw_metrics_auc(r->score, r->yv, r->sp.n_valid);
        return 0;
}

static void log_figures(const struct run *r) {
        char first[40], last[40], T[40], auc[64];

        cw_time_format_seconds(r->sp.first, first, sizeof(first));
        cw_time_format_seconds(r->sp.last, last, sizeof(last));
        cw_time_format_seconds(r->sp.T, T, sizeof(T));
        cw_info("train: %s: %zu rows, %zu sample times from %s to %s, %d "
                "inputs",
                r->o->features, r->tf->n_rows, r->sp.n_times, first, last,
                r->d);
        cw_info("train: training rows (as_of before %s): %zu, %zu positive", T,
                r->sp.n_train, r->sp.pos_train);
        cw_info("train: validation rows (as_of from %s): %zu, %zu positive", T,
                r->sp.n_valid, r->sp.pos_valid);
        cw_info("train: fitted in %d Newton steps (l2 = %g, objective %.6g)",
                r->m.steps, r->o->l2, r->m.loss);
        if (isnan(r->auc))
                snprintf(auc, sizeof(auc),
                         "undefined (the validation rows hold one class)");
        else
                snprintf(auc, sizeof(auc), "%.4f", r->auc);
        cw_info("train: validation AUC %s", auc);
        cw_info("train: at fire = %g on the validation rows: precision %.4f "
                "(%zu of %zu flagged rows positive), recall %.4f (%zu of %zu "
                "positive rows flagged)",
                r->fire, r->at.precision, r->at.true_positives, r->at.flagged,
                r->at.recall, r->at.true_positives, r->at.positives);
}

/* A number as the configuration reads it back: the shortest round-trip
 * text, with ".0" added to a whole number so libconfig reads a float. */
static void put_number(FILE *out, double v) {
        char buf[CW_DOUBLE_BUF + 2];
        size_t n = cw_double_format(v, buf);

        if (!strpbrk(buf, ".eEn"))
                strcpy(buf + n, ".0");
        fputs(buf, out);
}

/* The comment line: the data and the options that made the entry. */
static void put_comment(FILE *out, const struct run *r) {
        const struct cw_train_opts *o = r->o;
        char T[40], fire[CW_DOUBLE_BUF];

        cw_time_format_seconds(r->sp.T, T, sizeof(T));
        fprintf(out, "# churnwatch train --features %s --model %s --inputs ",
                o->features, o->model);
        for (int j = 0; j < r->d; j++)
                fprintf(out, "%s%s", j ? "," : "", r->tf->inputs[j]);
        fprintf(out, " --l2 %g --validate-from %s ", o->l2, T);
        if (o->has_fire)
                fprintf(out, "--fire %g", o->fire);
        else
                fprintf(out, "--target-precision %g", o->target_precision);
        cw_double_format(r->fire, fire);
        fprintf(out,
                ": %zu training rows (%zu positive), %zu validation rows "
                "(%zu positive); validation AUC %.4f; at fire %s "
                "precision %.4f, recall %.4f\n",
                r->sp.n_train, r->sp.pos_train, r->sp.n_valid, r->sp.pos_valid,
                r->auc, fire, r->at.precision, r->at.recall);
}

static void put_entry(FILE *out, const struct run *r) {
        put_comment(out, r);
        fprintf(out, "{ name = \"%s\"; type = \"logistic\"; intercept = ",
                r->o->model);
        put_number(out, r->m.intercept);
        fputs(";\n  inputs = (\n", out);
        for (int j = 0; j < r->d; j++) {
                fprintf(out,
                        "    { feature = \"%s\"; weight = ", r->tf->inputs[j]);
                put_number(out, r->m.w[j]);
                fputs("; transform = \"standardize\"; mean = ", out);
                put_number(out, r->sc.mean[j]);
                fputs("; std = ", out);
                put_number(out, r->sc.std[j]);
                fputs("; missing = ", out);
                put_number(out, r->sc.mean[j]);
                fputs(j + 1 < r->d ? "; },\n" : "; }\n", out);
        }
        fputs("  );\n  fire = ", out);
        put_number(out, r->fire);
        fputs("; }\n", out);
}

int cw_train(const struct cw_train_opts *o, FILE *out, char *errstr,
             size_t errstr_size) {
        struct run r = {.o = o};
        int rc = -1;

        if (!(r.tf = cw_trainfile_read(o->features, o->inputs, o->n_inputs,
                                       errstr, errstr_size)))
                return -1;
        r.d = r.tf->n_inputs;
        if (check_inputs(&r, errstr, errstr_size) ||
            split_time(&r, errstr, errstr_size) ||
            count_split(&r, errstr, errstr_size))
                goto out;
        fit_scaler(&r);
        standardise_and_split(&r);
        if (cw_logreg_fit(r.tf->x, r.tf->label, r.sp.n_train, r.d, o->l2, &r.m,
                          errstr, errstr_size))
                goto out;
        if (validation_scores(&r)) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        if (choose_fire(&r, errstr, errstr_size))
                goto out;
        log_figures(&r);
        put_entry(out, &r);
        rc = 0;
out:
        cw_trainfile_destroy(r.tf);
        free(r.score);
        return rc;
}
