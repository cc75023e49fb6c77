/*
 * Churn labels: LABELS.csv, header `customer_id,churned_at`, then one
 * customer a line, churned_at ISO-8601 UTC or epoch millis (CONTRACT.md
 * section 7). The backtest scores warnings against them; a training set
 * (`replay --features`) labels its rows with them (section 10).
 *
 * Memory: one entry per line, found by id through a hash table. A line is
 * read into a buffer of CW_LABELS_LINE_MAX bytes, and one that does not
 * fit is an error at its line: a line of a gigabyte costs no more memory
 * or time than one of a kilobyte.
 */
#ifndef CW_LABELS_H
#define CW_LABELS_H

#include <stddef.h>
#include <stdint.h>

/* The longest line, its end included: a customer_id is at most 256 bytes. */
#define CW_LABELS_LINE_MAX 1024

typedef struct cw_labels cw_labels_t;

/* Reads the file; a customer listed twice keeps its last line. NULL with
 * "file:line: sentence" (or "file: ...") on error. */
cw_labels_t *cw_labels_read(const char *path, char *errstr, size_t errstr_size);
void cw_labels_destroy(cw_labels_t *l); /* NULL is a no-op */

/* Customers labelled; entry i (0 .. count - 1) in file order of first
 * appearance. */
size_t cw_labels_count(const cw_labels_t *l);
void cw_labels_entry(const cw_labels_t *l, size_t i, const char **id,
                     size_t *len, int64_t *churned_at);

/* 1 and *churned_at when customer `id` is labelled, else 0. */
int cw_labels_find(const cw_labels_t *l, const char *id, size_t len,
                   int64_t *churned_at);

#endif
