/*
 * The Avro schemas of CONTRACT.md sections 1 and 4, compiled into the binary
 * from the .avsc files under schemas/ and parsed once with avro-c.
 */
#ifndef CW_SCHEMAS_H
#define CW_SCHEMAS_H

#include <avro.h>
#include <stddef.h>

#include "features/event.h"

/* The four input schemas use the cw_stream_t numbering. */
typedef enum cw_schema_id {
        CW_SCHEMA_PURCHASE = CW_STREAM_PURCHASE,
        CW_SCHEMA_LOGIN = CW_STREAM_LOGIN,
        CW_SCHEMA_TICKET = CW_STREAM_TICKET,
        CW_SCHEMA_SURVEY = CW_STREAM_SURVEY,
        CW_SCHEMA_WARNING,
        CW_SCHEMA_COUNT
} cw_schema_id_t;

typedef struct cw_schemas cw_schemas_t;

/*
 * Parses every schema and checks that each input schema's fields match the
 * engine's field table (features/event.c) in name, order and type, so that
 * the two can never drift apart. Returns NULL and fills errstr on failure.
 */
cw_schemas_t *cw_schemas_load(char *errstr, size_t errstr_size);
void cw_schemas_destroy(cw_schemas_t *s);

/* Borrowed: valid until cw_schemas_destroy(). */
avro_schema_t cw_schemas_get(const cw_schemas_t *s, cw_schema_id_t id);

/* The .avsc text and its file name under schemas/, e.g. "purchase.avsc". */
const char *cw_schemas_text(cw_schema_id_t id);
const char *cw_schemas_file(cw_schema_id_t id);

/*
 * One record value reused for every record (avro_value_reset between
 * them), and the buffer it is encoded into, reused too: encoding a record
 * allocates nothing once the buffer has grown to fit.
 */
struct cw_avro_out {
        avro_value_iface_t *iface;
        avro_value_t rec;
        avro_writer_t writer; /* memory writer over out */
        char *out;
        size_t cap;
};

/* 0, or -1 with avro_strerror() set (cw_avro_out_free() still needed). */
int cw_avro_out_init(struct cw_avro_out *o, avro_schema_t schema, size_t cap);
void cw_avro_out_free(struct cw_avro_out *o);

/*
 * Encodes o->rec into o->out; only when a record does not fit is it sized
 * exactly (a second walk over the value) and the buffer grown. *len gets
 * the encoded size. Returns 0, or -1 with avro_strerror() set.
 */
int cw_avro_out_write(struct cw_avro_out *o, size_t *len);

#endif
