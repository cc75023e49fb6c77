/*
 * Reading a training set (CONTRACT.md section 10, trainset.h) back:
 * `churnwatch train` takes the as_of, label and input columns of every row.
 * Fields may be quoted as RFC 4180 says (a quoted customer_id may hold
 * commas, quotes and line breaks). Every problem is reported as
 * "file:line: sentence".
 *
 * Memory: 8 bytes per row for as_of, one per label and 8 per input value.
 */
#ifndef CW_TRAINFILE_H
#define CW_TRAINFILE_H

#include <stddef.h>
#include <stdint.h>

struct cw_trainfile {
        int n_inputs;
        char **inputs; /* column names read, in the order asked */
        int has_label; /* the file has a label column */
        size_t n_rows;
        int64_t *as_of; /* [n_rows] */
        double *x;      /* [row * n_inputs + input]; NaN when empty */
        uint8_t *label; /* [n_rows], 0 or 1; all 0 without a label column */
        long *inf_line; /* [input]: first line with an infinite value, 0 */
};

/*
 * Reads path, keeping the columns `inputs` (n_inputs names) or, with
 * inputs NULL, every feature column in file order. The header must be
 * customer_id,as_of, then feature names (identifiers), then optionally
 * label. NULL with a sentence.
 */
struct cw_trainfile *cw_trainfile_read(const char *path, char *const *inputs,
                                       int n_inputs, char *errstr,
                                       size_t errstr_size);
void cw_trainfile_destroy(struct cw_trainfile *f); /* NULL is a no-op */

#endif
