/*
 * `churnwatch train` (CONTRACT.md section 11): a logistic model fitted on a
 * training set (trainfile.h) with a time-based validation split, printed
 * as a `models` entry the configuration takes as written.
 *
 * Rows with as_of < T train, the others validate; T is --validate-from or,
 * by default, the first of the last 20 % of the file's sample times
 * (rounded up to whole sample times). Each input is standardised with the
 * training rows' mean and (population) standard deviation of its values,
 * missing values left out of both, and a missing value is set to that mean
 * (so it standardises to 0): the entry says `transform = "standardize"`,
 * `mean`, `std` and `missing = mean`, exactly what the engine then
 * computes. An input constant in the training rows (or never present)
 * gets std = 1, standardises to 0 and gets weight 0.
 */
#ifndef CW_TRAIN_H
#define CW_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cw_train_opts {
        const char *features; /* TRAIN.csv */
        const char *model;    /* the entry's name (an identifier) */
        char **inputs;        /* --inputs; NULL: every feature column */
        int n_inputs;
        double l2; /* > 0; the contract's default is 1 */
        int has_validate_from;
        int64_t validate_from;
        int has_fire; /* --fire P; else --target-precision */
        double fire;
        double target_precision;
};

/*
 * Reads the training set, fits, logs the figures (rows, positives,
 * validation AUC, precision and recall at fire) and prints the entry,
 * after one comment line naming the data and options, to out. 0, or -1
 * with a sentence (then nothing is printed): a bad row as file:line, no
 * positive or no validation rows, no fire reaching --target-precision.
 */
int cw_train(const struct cw_train_opts *o, FILE *out, char *errstr,
             size_t errstr_size);

#endif
