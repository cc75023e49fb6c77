/*
 * Training sets (CONTRACT.md section 10): the CSV file `replay --features`
 * writes. The engine hands out point-in-time rows at sample times
 * (cw_engine_new_sampling); this module decides which customers get a row
 * (FNV-1a sampling, labels) and writes them:
 *
 *   customer_id,as_of,<every feature in configuration order>[,label]
 *
 * as_of is the sample time as 2026-03-01T00:00:00Z; a number is the
 * shortest text that reads back as the same double, NaN an empty field,
 * infinities inf and -inf; label is 1 when the customer's churned_at is
 * in (as_of, as_of + horizon], else 0, and a customer whose churned_at is
 * at or before as_of gets no row. A customer_id holding a comma, a quote
 * or a line break is quoted as RFC 4180 says.
 */
#ifndef CW_TRAINSET_H
#define CW_TRAINSET_H

#include <stddef.h>
#include <stdint.h>

#include "backtest/labels.h"
#include "features/engine.h"

struct cw_trainset_opts {
        const char *path;          /* TRAIN.csv */
        int every_days;            /* --sample-every Nd: N >= 1 */
        double fraction;           /* --sample-customers F, 0 < F <= 1 */
        const cw_labels_t *labels; /* --labels (borrowed), or NULL */
        int64_t horizon_ms;        /* --horizon, with labels */
        int64_t from, to;          /* sample times in [from, to]: INT64_MIN and
                                      INT64_MAX when not bounded */
};

typedef struct cw_trainset cw_trainset_t;

/* Creates the file and writes the header. `c` (its feature names) and the
 * labels must outlive the writer. NULL with a sentence naming the file. */
cw_trainset_t *cw_trainset_open(const cw_engine_conf_t *c,
                                const struct cw_trainset_opts *o, char *errstr,
                                size_t errstr_size);

/* The hooks to make an engine with (cw_engine_new_sampling): each shard's
 * engine writes its rows through them, shard after shard. */
void cw_trainset_sampling(cw_trainset_t *t, struct cw_engine_sampling *s);

/* Rows written so far. */
uint64_t cw_trainset_rows(const cw_trainset_t *t);

/* Whether customer `id` is in the sample: its 64-bit FNV-1a hash is below
 * fraction * 2^64. */
int cw_trainset_sampled(double fraction, const char *id, size_t len);

/* Flushes, closes and frees (NULL is a no-op). 0, or -1 with a sentence
 * when a write failed: then a regular file is removed, as it is
 * incomplete (the sentence says so). */
int cw_trainset_close(cw_trainset_t *t, char *errstr, size_t errstr_size);

/* Closes the training set of a run that failed: a regular file is
 * removed. 1 when it removed one, else 0. NULL is a no-op. */
int cw_trainset_discard(cw_trainset_t *t);

#endif
