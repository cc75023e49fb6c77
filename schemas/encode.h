/*
 * Encoding struct cw_event as Avro binary records of our input schemas
 * (CONTRACT.md section 1): one record per call, no framing, exactly what
 * a Kafka message value carries and what an Avro container file block
 * holds. The inverse of cw_decoder_decode() on our own writer schema.
 *
 * An encoder serves one stream. Its avro-c value is built once and reset
 * for every record, strings are lent to avro-c rather than copied, and the
 * output goes to a buffer that only grows, so encoding a record allocates
 * nothing once the buffer is big enough.
 */
#ifndef CW_ENCODE_H
#define CW_ENCODE_H

#include <stddef.h>

#include "features/event.h"
#include "schemas.h"

typedef struct cw_event_encoder cw_event_encoder_t;

/*
 * An encoder of `stream` records with our schema, cw_schemas_get(s,
 * stream); `s` must outlive the encoder. Returns NULL with a sentence in
 * errstr when avro-c cannot build the value or memory runs out.
 */
cw_event_encoder_t *cw_event_encoder_new(const cw_schemas_t *s,
                                         cw_stream_t stream, char *errstr,
                                         size_t errstr_size);

/*
 * Encodes `ev`, whose stream must be the encoder's. customer_id and ts
 * come from ev->customer_id and ev->ts (exact, unlike num[]), every other
 * field from ev->num[] or ev->str[] by slot, as features/event.h describes
 * them; a nullable string with p == NULL is written as null. On success *buf
 * and *len hold the record, borrowed from the encoder until its next call or
 * destroy. Returns 0, or -1 with a sentence in errstr: a wrong stream, a
 * null where the schema needs a string, a number that does not fit its
 * int field, an enum index out of range, or avro-c failing.
 */
int cw_event_encode(cw_event_encoder_t *enc, const struct cw_event *ev,
                    const void **buf, size_t *len, char *errstr,
                    size_t errstr_size);

/* NULL is a no-op. */
void cw_event_encoder_destroy(cw_event_encoder_t *enc);

#endif
