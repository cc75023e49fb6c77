/*
 * Decoded input events, as the engine sees them: no Kafka, no Avro.
 *
 * Every stream's fields are numbered in schema order (CONTRACT.md section 1)
 * and described by a static table, so that `where` filters and aggregations
 * address a field by slot, never by name, on the hot path.
 */
#ifndef CW_EVENT_H
#define CW_EVENT_H

#include <stddef.h>
#include <stdint.h>

typedef enum cw_stream {
        CW_STREAM_PURCHASE = 0,
        CW_STREAM_LOGIN,
        CW_STREAM_TICKET,
        CW_STREAM_SURVEY,
        CW_STREAM_COUNT
} cw_stream_t;

/* How a field's value is carried in a struct cw_event. */
typedef enum cw_field_type {
        CW_FIELD_NUM,  /* int, long: num[slot] */
        CW_FIELD_BOOL, /* boolean: num[slot] is 1 or 0 */
        CW_FIELD_STR,  /* string, or ["null","string"] when nullable: str[slot]
                        */
        CW_FIELD_ENUM, /* enum: num[slot] is the symbol's index */
} cw_field_type_t;

#define CW_EVENT_MAX_FIELDS 8

/* Latest event time accepted: 9999-12-31T23:59:59.999Z. Days then fit in
 * 32 bits and every sum of times in 64. */
#define CW_TS_MAX INT64_C(253402300799999)

struct cw_field_def {
        const char *name;
        cw_field_type_t type;
        int nullable;               /* ["null", T] union */
        const char *const *symbols; /* CW_FIELD_ENUM: NULL-terminated */
};

struct cw_stream_def {
        const char *name;   /* config name: "purchase" */
        const char *record; /* Avro record name: "Purchase" */
        int n_fields;
        struct cw_field_def fields[CW_EVENT_MAX_FIELDS];
};

/* Slots shared by every stream: the three common fields come first. */
enum { CW_FIELD_EVENT_ID = 0, CW_FIELD_CUSTOMER_ID = 1, CW_FIELD_TS = 2 };

/* A borrowed string; p == NULL means a null optional field. */
typedef struct cw_str {
        const char *p;
        size_t len;
} cw_str_t;

/*
 * One decoded event. Strings are borrowed from the decoder's buffers and
 * valid until the next event is decoded. A field's value lives in num[slot]
 * or str[slot] according to its cw_field_type_t; the other array's entry
 * at that slot is unspecified.
 */
struct cw_event {
        cw_stream_t stream;
        int64_t ts;
        cw_str_t customer_id;
        double num[CW_EVENT_MAX_FIELDS];
        cw_str_t str[CW_EVENT_MAX_FIELDS];
};

extern const struct cw_stream_def cw_streams[CW_STREAM_COUNT];

/* The stream whose config name is `name`, or -1. */
int cw_stream_by_name(const char *name);
/* The stream whose Avro record name (without namespace) is `record`, or -1. */
int cw_stream_by_record(const char *record);
/* The slot of field `name` (len bytes) in `stream`, or -1. */
int cw_stream_field(cw_stream_t stream, const char *name, size_t len);

#endif
