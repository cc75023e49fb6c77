/*
 * Avro container files: the container (header, blocks, deflate) is parsed
 * here for every input file, and a file whose writer schema is exactly
 * ours (the common case: files made by `churnwatch gen`, or by producers
 * using the .avsc files under schemas/) has its records decoded straight
 * from the block bytes, strings pointing into the block, with no
 * allocation per record. avro-c's generic values allocate every string and
 * walk a value tree; this path costs a few tens of nanoseconds a record.
 * Records of any other writer schema go through avro-c's resolver
 * (schemas/decode.c), each handed to it as bytes this reader cut out of
 * its block. avro-c's own file reader is not used: it trusts the lengths
 * in the file.
 */
#ifndef CW_FASTREAD_H
#define CW_FASTREAD_H

#include <avro.h>
#include <stddef.h>

#include "features/event.h"

typedef struct cw_fast_file cw_fast_file_t;

/*
 * Opens the container file `path` and reads its header: magic, metadata
 * (every length checked against the file's size) and sync marker. Codecs
 * null and deflate. NULL with a sentence (without the path) on error.
 */
cw_fast_file_t *cw_fast_file_open(const char *path, char *errstr,
                                  size_t errstr_size);

/* The writer schema of the header (avro.schema), as JSON text. */
const char *cw_fast_file_schema(const cw_fast_file_t *f);

/*
 * The next record, for a file whose writer schema is our `stream` schema
 * (the caller has checked): 1 with ev filled (strings valid until the next
 * call), 0 at the end, -1 with a sentence. *final is set when the error is
 * in the file itself (nothing after it can be read) rather than in one
 * record (customer_id empty or too long, ts negative).
 */
int cw_fast_file_next(cw_fast_file_t *f, cw_stream_t stream,
                      struct cw_event *ev, int *final, char *errstr,
                      size_t errstr_size);

/*
 * For a file written with another schema, `writer` (whose records avro-c
 * then reads, schemas/decode.c): the next record's bytes, found by walking
 * them (walk_int.h), which checks every length on the way. 1 with *rec and
 * *len (valid until the next call), 0 at the end, -1 with a sentence:
 * always final, as the record's end is not known.
 */
int cw_fast_file_next_raw(cw_fast_file_t *f, avro_schema_t writer,
                          const void **rec, size_t *len, char *errstr,
                          size_t errstr_size);

/* NULL is a no-op. */
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
