#include "encode.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A first output buffer that holds any record of our four schemas with
 * ids of ordinary length; a bigger record grows it once. */
#define OUT_INITIAL 256

struct cw_event_encoder {
        cw_stream_t stream;
        struct cw_avro_out o; /* the record, refilled for every event */
        /* CW_FIELD_NUM: whether the schema's field is a long (else int);
         * CW_FIELD_ENUM: the number of symbols. Read from the schema once
         * so that encoding never looks at it. */
        int is_long[CW_EVENT_MAX_FIELDS];
        int n_symbols[CW_EVENT_MAX_FIELDS];
};

/*
 * The schema's shape was checked against the field table when it was
 * loaded (cw_schemas_load), so only what the table leaves open is read
 * here: int or long, and how many symbols an enum has.
 */
static void read_field_types(cw_event_encoder_t *enc, avro_schema_t schema) {
        const struct cw_stream_def *def = &cw_streams[enc->stream];

        for (int i = 0; i < def->n_fields; i++) {
                avro_schema_t t =
                        avro_schema_record_field_get_by_index(schema, i);
                if (def->fields[i].type == CW_FIELD_NUM)
                        enc->is_long[i] = is_avro_int64(t);
                else if (def->fields[i].type == CW_FIELD_ENUM)
                        enc->n_symbols[i] =
                                avro_schema_enum_number_of_symbols(t);
        }
}

cw_event_encoder_t *cw_event_encoder_new(const cw_schemas_t *s,
                                         cw_stream_t stream, char *errstr,
                                         size_t errstr_size) {
        cw_event_encoder_t *enc;
        avro_schema_t schema;

        if ((unsigned)stream >= CW_STREAM_COUNT) {
                snprintf(errstr, errstr_size, "no input stream numbered %d",
                         (int)stream);
                return NULL;
        }
        schema = cw_schemas_get(s, (cw_schema_id_t)stream);
        enc = calloc(1, sizeof(*enc));
        if (!enc)
                goto out_oom;
        enc->stream = stream;
        read_field_types(enc, schema);
        if (cw_avro_out_init(&enc->o, schema, OUT_INITIAL)) {
                snprintf(errstr, errstr_size, "cannot build the %s encoder: %s",
                         cw_streams[stream].record, avro_strerror());
                goto out_destroy;
        }
        return enc;

out_oom:
        snprintf(errstr, errstr_size, "out of memory building the %s encoder",
                 cw_streams[stream].record);
out_destroy:
        cw_event_encoder_destroy(enc);
        return NULL;
}

void cw_event_encoder_destroy(cw_event_encoder_t *enc) {
        if (!enc)
                return;
        /* Strings lent to the value need no freeing (their wrapped buffers
         * have no free function). */
        cw_avro_out_free(&enc->o);
        free(enc);
}

/*
 * Lends the bytes to avro-c instead of copying them: a wrapped buffer
 * without a free function. avro-c's string size counts a terminating NUL
 * that its binary writer never reads (it writes size - 1 bytes), so the
 * string need not be terminated. The value holds the pointer until the
 * next reset, but nothing reads it after the record is written.
 */
static int lend_string(avro_value_t *v, cw_str_t s) {
        avro_wrapped_buffer_t wb;

        if (avro_wrapped_buffer_new(&wb, s.p ? s.p : "", s.len + 1))
                return -1;
        return avro_value_give_string_len(v, &wb);
}

static int set_num(const cw_event_encoder_t *enc, int slot, avro_value_t *v,
                   double x, char *errstr, size_t errstr_size) {
        const char *name = cw_streams[enc->stream].fields[slot].name;
        int is_long = enc->is_long[slot];
        /* 2^63 and 2^31: the first values out of range. */
        double limit = is_long ? 9223372036854775808.0 : 2147483648.0;

        if (!(x >= -limit && x < limit) || x != trunc(x)) {
                snprintf(errstr, errstr_size,
                         "%s = %g is not a whole number that fits an Avro "
                         "%s",
                         name, x, is_long ? "long" : "int");
                return -1;
        }
        if (is_long ? avro_value_set_long(v, (int64_t)x)
                    : avro_value_set_int(v, (int32_t)x)) {
                snprintf(errstr, errstr_size, "%s: %s", name, avro_strerror());
                return -1;
        }
        return 0;
}

static int set_enum(const cw_event_encoder_t *enc, int slot, avro_value_t *v,
                    double x, char *errstr, size_t errstr_size) {
        const char *name = cw_streams[enc->stream].fields[slot].name;

        if (!(x >= 0 && x < enc->n_symbols[slot]) || x != trunc(x)) {
                snprintf(errstr, errstr_size,
                         "%s = %g is not the index of one of its %d symbols",
                         name, x, enc->n_symbols[slot]);
                return -1;
        }
        if (avro_value_set_enum(v, (int)x)) {
                snprintf(errstr, errstr_size, "%s: %s", name, avro_strerror());
                return -1;
        }
        return 0;
}

/* Nullable strings are ["null", "string"] unions: branch 0 is null
 * (schemas.c checks that every one of ours is). */
static int set_str(const cw_event_encoder_t *enc, int slot, avro_value_t *v,
                   cw_str_t s, char *errstr, size_t errstr_size) {
        const struct cw_field_def *f = &cw_streams[enc->stream].fields[slot];
        avro_value_t branch;
        int rc;

        if (!s.p && !f->nullable) {
                snprintf(errstr, errstr_size,
                         "%s is null, but %s needs a "
                         "string there",
                         f->name, cw_streams[enc->stream].record);
                return -1;
        }
        if (!f->nullable)
                rc = lend_string(v, s);
        else if (!s.p)
                rc = avro_value_set_branch(v, 0, &branch) ||
                     avro_value_set_null(&branch);
        else
                rc = avro_value_set_branch(v, 1, &branch) ||
                     lend_string(&branch, s);
        if (rc) {
                snprintf(errstr, errstr_size, "%s: %s", f->name,
                         avro_strerror());
                return -1;
        }
        return 0;
}

static int set_field(cw_event_encoder_t *enc, const struct cw_event *ev,
                     int slot, char *errstr, size_t errstr_size) {
        const struct cw_field_def *f = &cw_streams[enc->stream].fields[slot];
        avro_value_t v;

        if (avro_value_get_by_index(&enc->o.rec, (size_t)slot, &v, NULL)) {
                snprintf(errstr, errstr_size, "%s: %s", f->name,
                         avro_strerror());
                return -1;
        }
        if (slot == CW_FIELD_TS) {
                /* From ev->ts, exact where num[] would round past 2^53;
                 * ts is a long in all our schemas. */
                if (!avro_value_set_long(&v, ev->ts))
                        return 0;
                snprintf(errstr, errstr_size, "ts: %s", avro_strerror());
                return -1;
        }
        if (slot == CW_FIELD_CUSTOMER_ID)
                return set_str(enc, slot, &v, ev->customer_id, errstr,
                               errstr_size);
        switch (f->type) {
        case CW_FIELD_NUM:
                return set_num(enc, slot, &v, ev->num[slot], errstr,
                               errstr_size);
        case CW_FIELD_BOOL:
                if (avro_value_set_boolean(&v, ev->num[slot] != 0)) {
                        snprintf(errstr, errstr_size, "%s: %s", f->name,
                                 avro_strerror());
                        return -1;
                }
                return 0;
        case CW_FIELD_ENUM:
                return set_enum(enc, slot, &v, ev->num[slot], errstr,
                                errstr_size);
        case CW_FIELD_STR:
                return set_str(enc, slot, &v, ev->str[slot], errstr,
                               errstr_size);
        }
        return 0;
}

int cw_event_encode(cw_event_encoder_t *enc, const struct cw_event *ev,
                    const void **buf, size_t *len, char *errstr,
                    size_t errstr_size) {
        const struct cw_stream_def *def = &cw_streams[enc->stream];
        char why[256];

        if (ev->stream != enc->stream) {
                snprintf(errstr, errstr_size,
                         "cannot encode a %s event as a %s record",
                         (unsigned)ev->stream < CW_STREAM_COUNT
                                 ? cw_streams[ev->stream].name
                                 : "unknown",
                         def->record);
                return -1;
        }
        avro_value_reset(&enc->o.rec);
        for (int i = 0; i < def->n_fields; i++)
                if (set_field(enc, ev, i, why, sizeof(why)))
                        goto out_failed;
        if (cw_avro_out_write(&enc->o, len)) {
                snprintf(why, sizeof(why), "%s", avro_strerror());
                goto out_failed;
        }
        *buf = enc->o.out;
        return 0;

out_failed:
        snprintf(errstr, errstr_size, "cannot encode a %s record: %s",
                 def->record, why);
        return -1;
}
