/*
 * A fast path for Avro container files whose writer schema is exactly ours
 * (the common case: files made by `churnwatch gen`, or by producers using
 * the .avsc files under schemas/): the container is parsed here and records are
 * decoded straight from the block bytes, strings pointing into the block, with
 * no allocation per record. avro-c's generic values allocate every string and
 * walk a value tree; this path costs a few tens of nanoseconds a record.
 * Files with any other writer schema go through avro-c's resolver
 * (schemas/decode.c).
 */
#ifndef CW_FASTREAD_H
#define CW_FASTREAD_H

#include <stddef.h>

#include "features/event.h"

typedef struct cw_fast_file cw_fast_file_t;

/* Opens `path`, whose records are `stream` records of our schema (the
 * caller has checked the writer schema). NULL with errstr on error. */
cw_fast_file_t *cw_fast_file_open(const char *path, cw_stream_t stream,
                                  char *errstr, size_t errstr_size);

/*
 * The next record: 1 with ev filled (strings valid until the next call),
 * 0 at the end, -1 with a sentence. *final is set when the error is in the
 * file itself (nothing after it can be read) rather than in one record
 * (customer_id empty or too long, ts negative).
 */
int cw_fast_file_next(cw_fast_file_t *f, struct cw_event *ev, int *final,
                      char *errstr, size_t errstr_size);

void cw_fast_file_close(cw_fast_file_t *f);

/*
 * Decodes one Avro binary record of our `stream` schema of exactly `len`
 * bytes (a Kafka message value), strings pointing into buf. Returns -1 when
 * the bytes run short, have bytes left over, or hold a value our schema
 * cannot have; the record's checks (cw_event_check) are the caller's.
 */
int cw_fast_decode(cw_stream_t stream, const void *buf, size_t len,
                   struct cw_event *ev);

#endif
