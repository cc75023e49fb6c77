#include "schemas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Defined in the generated schemas_embedded.c (cmake/embed_schemas.cmake). */
extern const char cw_schema_text_purchase[];
extern const char cw_schema_text_login[];
extern const char cw_schema_text_support_ticket[];
extern const char cw_schema_text_survey[];
extern const char cw_schema_text_churn_warning[];

static const struct {
        const char *file;
        const char *text;
} schema_files[CW_SCHEMA_COUNT] = {
        [CW_SCHEMA_PURCHASE] = {"purchase.avsc", cw_schema_text_purchase},
        [CW_SCHEMA_LOGIN] = {"login.avsc", cw_schema_text_login},
        [CW_SCHEMA_TICKET] = {"support_ticket.avsc",
                              cw_schema_text_support_ticket},
        [CW_SCHEMA_SURVEY] = {"survey.avsc", cw_schema_text_survey},
        [CW_SCHEMA_WARNING] = {"churn_warning.avsc",
                               cw_schema_text_churn_warning},
};

struct cw_schemas {
        avro_schema_t schema[CW_SCHEMA_COUNT];
};

const char *cw_schemas_text(cw_schema_id_t id) {
        return schema_files[id].text;
}
const char *cw_schemas_file(cw_schema_id_t id) {
        return schema_files[id].file;
}

avro_schema_t cw_schemas_get(const cw_schemas_t *s, cw_schema_id_t id) {
        return s->schema[id];
}

/* Whether an Avro field type carries what the engine's field type expects. */
static int field_type_matches(avro_schema_t t, const struct cw_field_def *f) {
        if (f->nullable) {
                if (!is_avro_union(t) || avro_schema_union_size(t) != 2 ||
                    !is_avro_null(avro_schema_union_branch(t, 0)))
                        return 0;
                t = avro_schema_union_branch(t, 1);
        }
        switch (f->type) {
        case CW_FIELD_NUM:
                return is_avro_int32(t) || is_avro_int64(t);
        case CW_FIELD_BOOL:
                return is_avro_boolean(t);
        case CW_FIELD_STR:
                return is_avro_string(t);
        case CW_FIELD_ENUM:
                if (!is_avro_enum(t))
                        return 0;
                for (int i = 0; f->symbols[i]; i++) {
                        const char *sym = avro_schema_enum_get(t, i);
                        if (!sym || strcmp(sym, f->symbols[i]))
                                return 0;
                }
                return 1;
        }
        return 0;
}

static int check_stream_schema(avro_schema_t s, cw_stream_t stream,
                               char *errstr, size_t errstr_size) {
        const struct cw_stream_def *d = &cw_streams[stream];
        const char *file = schema_files[stream].file;

        if (!is_avro_record(s) || strcmp(avro_schema_name(s), d->record)) {
                snprintf(errstr, errstr_size, "%s: expected a record named %s",
                         file, d->record);
                return -1;
        }
        if ((int)avro_schema_record_size(s) != d->n_fields) {
                snprintf(errstr, errstr_size,
                         "%s: %d fields, but the engine expects %d", file,
                         (int)avro_schema_record_size(s), d->n_fields);
                return -1;
        }
        for (int i = 0; i < d->n_fields; i++) {
                const char *name = avro_schema_record_field_name(s, i);
                avro_schema_t t = avro_schema_record_field_get_by_index(s, i);
                if (strcmp(name, d->fields[i].name) ||
                    !field_type_matches(t, &d->fields[i])) {
                        snprintf(errstr, errstr_size,
                                 "%s: field %d is '%s', but the engine "
                                 "expects '%s' of another type",
                                 file, i, name, d->fields[i].name);
                        return -1;
                }
        }
        return 0;
}

cw_schemas_t *cw_schemas_load(char *errstr, size_t errstr_size) {
        cw_schemas_t *s = calloc(1, sizeof(*s));
        if (!s) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (int id = 0; id < CW_SCHEMA_COUNT; id++) {
                if (avro_schema_from_json_length(schema_files[id].text,
                                                 strlen(schema_files[id].text),
                                                 &s->schema[id])) {
                        snprintf(errstr, errstr_size, "%s: %s",
                                 schema_files[id].file, avro_strerror());
                        goto out_destroy;
                }
                if (id < CW_STREAM_COUNT &&
                    check_stream_schema(s->schema[id], (cw_stream_t)id, errstr,
                                        errstr_size))
                        goto out_destroy;
        }
        return s;

out_destroy:
        cw_schemas_destroy(s);
        return NULL;
}

void cw_schemas_destroy(cw_schemas_t *s) {
        if (!s)
                return;
        for (int id = 0; id < CW_SCHEMA_COUNT; id++)
                if (s->schema[id])
                        avro_schema_decref(s->schema[id]);
        free(s);
}

int cw_avro_out_init(struct cw_avro_out *o, avro_schema_t schema, size_t cap) {
        memset(o, 0, sizeof(*o));
        o->iface = avro_generic_class_from_schema(schema);
        if (!o->iface || avro_generic_value_new(o->iface, &o->rec))
                return -1;
        o->cap = cap;
        if (!(o->out = malloc(cap)) ||
            !(o->writer = avro_writer_memory(o->out, (int64_t)cap))) {
                avro_set_error("out of memory");
                return -1;
        }
        return 0;
}

void cw_avro_out_free(struct cw_avro_out *o) {
        if (o->writer)
                avro_writer_free(o->writer);
        /* The value before its interface. */
        if (o->rec.iface)
                avro_value_decref(&o->rec);
        if (o->iface)
                avro_value_iface_decref(o->iface);
        free(o->out);
        memset(o, 0, sizeof(*o));
}

int cw_avro_out_write(struct cw_avro_out *o, size_t *len) {
        size_t need;
        char *p;

        avro_writer_memory_set_dest(o->writer, o->out, (int64_t)o->cap);
        if (avro_value_write(o->writer, &o->rec) == 0)
                goto out_done;
        if (avro_value_sizeof(&o->rec, &need))
                return -1;
        if (need <= o->cap)
                return -1; /* it failed for another reason than space */
        if (need < 2 * o->cap)
                need = 2 * o->cap;
        p = realloc(o->out, need);
        if (!p) {
                avro_set_error("out of memory");
                return -1;
        }
        o->out = p;
        o->cap = need;
        avro_writer_memory_set_dest(o->writer, o->out, (int64_t)o->cap);
        if (avro_value_write(o->writer, &o->rec))
                return -1;
out_done:
        *len = (size_t)avro_writer_tell(o->writer);
        return 0;
}
