/*
 * Values in the Confluent wire format (CONTRACT.md section 8): byte 0 is 0,
 * bytes 1-4 the schema id (big-endian), then the Avro binary body written
 * with the schema of that id.
 *
 * A framed decoder turns an input stream's framed values into events: the
 * writer schema of the id comes from the cache (cache.h), is resolved
 * against ours exactly as a file's writer schema is (schemas/decode.h:
 * fields added, removed or reordered, promotions, enum symbols by name),
 * and a body written with exactly our schema takes the fast path of raw
 * values (schemas/fastread.h). The decoders of each (id, stream) are built
 * once. Not thread-safe: one per consumer, used by its thread.
 */
#ifndef CW_FRAMED_H
#define CW_FRAMED_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "features/event.h"
#include "schemas/schemas.h"

#define CW_FRAME_HEADER_LEN 5

/* Writes the header of a value framed with schema `id`. */
void cw_frame_header(uint8_t out[CW_FRAME_HEADER_LEN], int32_t id);

/* A buffer that frames values, reused: after the first few, framing
 * costs one copy and no allocation. */
struct cw_frame_buf {
        uint8_t *p;
        size_t cap;
};

/* Frames the `len` bytes of `body` with schema `id` in b: *value and
 * *value_len (borrowed from b until its next use). -1 when memory runs
 * out. */
int cw_frame_value(struct cw_frame_buf *b, int32_t id, const void *body,
                   size_t len, const void **value, size_t *value_len);
void cw_frame_buf_free(struct cw_frame_buf *b);

/* The schema id of a framed value; -1 with a sentence when it is shorter
 * than the header, its first byte is not 0 or the id is not positive. */
int cw_frame_id(const void *value, size_t len, int32_t *id, char *why,
                size_t why_size);

typedef struct cw_framed cw_framed_t;

/* `cache` and `s` must outlive the decoder. NULL when memory runs out. */
cw_framed_t *cw_framed_new(cw_schema_cache_t *cache, const cw_schemas_t *s);
void cw_framed_destroy(cw_framed_t *f); /* NULL is a no-op */

typedef enum cw_framed_result {
        CW_FRAMED_OK = 0,
        CW_FRAMED_BAD,     /* bad input: *why names the id when known */
        CW_FRAMED_WAIT,    /* the schema is being fetched: try again */
        CW_FRAMED_REFUSED, /* the registry refused to answer: *why */
} cw_framed_result_t;

/*
 * Decodes a framed value of `stream` into ev, whose strings then point
 * into the value or the decoder's buffers (valid until the next call).
 * Only the reading: the caller checks the event (cw_event_check).
 */
cw_framed_result_t cw_framed_decode(cw_framed_t *f, cw_stream_t stream,
                                    const void *value, size_t len,
                                    struct cw_event *ev, char *why,
                                    size_t why_size);

#endif
