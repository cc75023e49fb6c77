/*
 * Warning output files (CONTRACT.md sections 4 and 5): JSON lines or an
 * Avro object container file, chosen by the output name.
 *
 * Both formats carry the fields of schemas/churn_warning.avsc, with the
 * same names, in schema order. Neither depends on anything but the
 * warnings written, so replay output is byte-identical from run to run.
 */
#ifndef CW_SINK_H
#define CW_SINK_H

#include <stddef.h>

#include "features/warning.h"
#include "schemas/schemas.h"

typedef struct cw_sink cw_sink_t;

/*
 * Opens an output by its name: "*.jsonl" gives JSON lines, "*.avro" an
 * Avro container file, "-" JSON lines on stdout. Any other name is an
 * error that says so. `s` is borrowed and must outlive the sink.
 * Returns NULL and fills errstr on failure.
 */
cw_sink_t *cw_sink_open(const char *path, const cw_schemas_t *s, char *errstr,
                        size_t errstr_size);

/*
 * Writes one warning (buffered). A score that is not finite is written as
 * null and non-finite feature values are left out, as the contract says.
 * Returns 0, or -1 and fills errstr.
 */
int cw_sink_write(cw_sink_t *sink, const struct cw_warning *w, char *errstr,
                  size_t errstr_size);

/*
 * Flushes and closes (stdout is flushed, not closed). Returns -1 and fills
 * errstr when any write failed, e.g. on a full disk: then a regular file
 * is removed, as it is incomplete (errstr says so; a device such as
 * /dev/full is left alone). The sink is freed either way. NULL is a no-op.
 */
int cw_sink_close(cw_sink_t *sink, char *errstr, size_t errstr_size);

/*
 * Closes the output of a run that failed: a regular file is removed, so
 * that no incomplete output is taken for a complete one. 1 when it removed
 * one, else 0. NULL is a no-op.
 */
int cw_sink_discard(cw_sink_t *sink);

/* Warnings written so far. */
long long cw_sink_count(const cw_sink_t *sink);

#endif
