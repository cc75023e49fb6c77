#include "decode.h"

#include "fastread.h"
#include "parse.h"
#include "walk_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The defaults of our reader schemas (the "default" attributes in the
 * .avsc files, CONTRACT.md section 1). avro-c 1.11 does not keep field
 * defaults when it parses a schema, and its resolver rejects a reader
 * field that the writer lacks instead of applying the default, so they
 * are applied here. String fields default to null.
 */
static const struct field_default {
        cw_stream_t stream;
        const char *field;
        double num; /* CW_FIELD_NUM and CW_FIELD_BOOL */
} field_defaults[] = {
        {CW_STREAM_PURCHASE, "channel", 0.0},
        {CW_STREAM_LOGIN, "success", 1.0},
        {CW_STREAM_LOGIN, "device", 0.0},
        {CW_STREAM_SURVEY, "comment", 0.0},
};

/* Where the decoder finds one of our fields (a slot of the event). */
struct slot {
        int index;        /* in the projected record; -1: the writer lacks the
                             field, which takes its default */
        double def;       /* the default when index is -1 */
        int is_long;      /* CW_FIELD_NUM: long (else int) once resolved */
        int null_wrapped; /* projected as ["null", ours]: see project() */
        /* CW_FIELD_ENUM: the writer's enum, and for each of its symbols
         * the index of the same symbol in ours, or -1. */
        avro_schema_t wenum;
        int *enum_map;
        int enum_count;
};

struct cw_decoder {
        cw_stream_t stream;
        avro_schema_t writer;    /* our reference */
        avro_schema_t projected; /* our record, less the fields the writer
                                    lacks */
        avro_value_iface_t *value_iface;
        avro_value_iface_t *resolver_iface; /* NULL: writer == projected */
        avro_value_t value;                 /* instance of projected */
        avro_value_t resolved;              /* writer view of value, fills it */
        avro_value_t *target;               /* what avro_value_read fills */
        avro_reader_t mem; /* repointed at each cw_decoder_decode() */
        struct slot slots[CW_EVENT_MAX_FIELDS];
};

struct cw_avro_input {
        char *path;
        cw_fast_file_t *fast; /* the container */
        int raw;              /* the writer schema is not ours: avro-c reads
                                 the records */
        cw_decoder_t *dec;
        long long position;
        int at_end;
        int failed; /* reading the file failed; failure says why */
        char failure[512];
};

/*
 * avro-c appends to its thread's error text (avro_prefix_error) instead of
 * replacing it, so an error would read as the previous one's tail unless
 * the text is cleared before each operation that may fail (25 ns).
 */
static void clear_avro_error(void) {
        avro_set_error("%s", "");
}

/* "churnwatch.events.Purchase", for messages about writer schemas. */
static void full_name(avro_schema_t s, char *buf, size_t size) {
        const char *ns = avro_schema_namespace(s);
        if (ns && *ns)
                snprintf(buf, size, "%s.%s", ns, avro_schema_name(s));
        else
                snprintf(buf, size, "%s", avro_schema_name(s));
}

static const struct field_default *find_default(cw_stream_t stream,
                                                const char *field) {
        for (size_t i = 0; i < sizeof(field_defaults) / sizeof(*field_defaults);
             i++)
                if (field_defaults[i].stream == stream &&
                    !strcmp(field_defaults[i].field, field))
                        return &field_defaults[i];
        return NULL;
}

/*
 * avro-c's resolver checks only that two enums have the same name and
 * then passes the writer's symbol index through unchanged, so the
 * projected record keeps the writer's enum and the index is mapped to ours
 * by symbol name, once, here.
 */
static int map_enum(struct slot *sl, const struct cw_field_def *f,
                    avro_schema_t wt, avro_schema_t rt, const char *wname,
                    char *errstr, size_t errstr_size) {
        if (!is_avro_enum(wt)) {
                snprintf(errstr, errstr_size,
                         "field %s of writer schema %s is a %s, but ours is "
                         "the enum %s",
                         f->name, wname, avro_schema_type_name(wt),
                         avro_schema_name(rt));
                return -1;
        }
        if (strcmp(avro_schema_name(wt), avro_schema_name(rt))) {
                snprintf(errstr, errstr_size,
                         "field %s of writer schema %s is the enum %s, but "
                         "ours is the enum %s",
                         f->name, wname, avro_schema_name(wt),
                         avro_schema_name(rt));
                return -1;
        }
        sl->wenum = wt;
        sl->enum_count = avro_schema_enum_number_of_symbols(wt);
        sl->enum_map = calloc(sl->enum_count > 0 ? (size_t)sl->enum_count : 1,
                              sizeof(*sl->enum_map));
        if (!sl->enum_map) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (int j = 0; j < sl->enum_count; j++) {
                const char *sym = avro_schema_enum_get(wt, j);
                sl->enum_map[j] = -1;
                for (int k = 0; f->symbols[k]; k++)
                        if (!strcmp(sym, f->symbols[k]))
                                sl->enum_map[j] = k;
        }
        return 0;
}

/* Whether a writer type is a union with a "null" branch. */
static int may_be_null(avro_schema_t t) {
        if (!is_avro_union(t))
                return 0;
        for (size_t i = 0; i < avro_schema_union_size(t); i++)
                if (is_avro_null(avro_schema_union_branch(t, (int)i)))
                        return 1;
        return 0;
}

/* A new ["null", t] union. */
static avro_schema_t null_or(avro_schema_t t) {
        avro_schema_t u = avro_schema_union(), null = avro_schema_null();
        if (!u || avro_schema_union_append(u, null) ||
            avro_schema_union_append(u, t)) {
                if (u)
                        avro_schema_decref(u);
                u = NULL;
        }
        avro_schema_decref(null);
        return u;
}

/*
 * Appends each of our fields that the writer has to d->projected, in our
 * order, and records in d->slots where each field will be found.
 *
 * A writer may make one of our required fields nullable (["null", T]
 * resolves to T as long as no null comes). avro-c's resolver would stop
 * in the middle of a record at the first null, which in a container file
 * loses the place of every later record; projecting the field as
 * ["null", ours] instead lets the resolver read the null and fill_event()
 * reject just that record.
 */
static int project(cw_decoder_t *d, avro_schema_t reader, const char *wname,
                   char *errstr, size_t errstr_size) {
        const struct cw_stream_def *def = &cw_streams[d->stream];
        int n = 0;

        for (int i = 0; i < def->n_fields; i++) {
                const struct cw_field_def *f = &def->fields[i];
                struct slot *sl = &d->slots[i];
                avro_schema_t rt =
                        avro_schema_record_field_get_by_index(reader, i);
                avro_schema_t t = rt, wt;
                int wi = avro_schema_record_field_get_index(d->writer, f->name);
                int rc;

                if (wi < 0) {
                        const struct field_default *fd =
                                find_default(d->stream, f->name);
                        if (!fd) {
                                snprintf(errstr, errstr_size,
                                         "writer schema %s has no field %s, "
                                         "and ours gives it no default",
                                         wname, f->name);
                                return -1;
                        }
                        sl->index = -1;
                        sl->def = fd->num;
                        continue;
                }
                wt = avro_schema_record_field_get_by_index(d->writer, wi);
                if (f->type == CW_FIELD_ENUM) {
                        if (map_enum(sl, f, wt, rt, wname, errstr, errstr_size))
                                return -1;
                        t = wt;
                } else if (!f->nullable && may_be_null(wt)) {
                        t = null_or(rt);
                        if (!t) {
                                snprintf(errstr, errstr_size, "out of memory");
                                return -1;
                        }
                        sl->null_wrapped = 1;
                }
                rc = avro_schema_record_field_append(d->projected, f->name, t);
                if (sl->null_wrapped)
                        avro_schema_decref(t);
                if (rc) {
                        snprintf(errstr, errstr_size,
                                 "cannot build the reader schema for %s: %s",
                                 wname, avro_strerror());
                        return -1;
                }
                sl->index = n++;
                sl->is_long = is_avro_int64(rt);
        }
        return 0;
}

cw_decoder_t *cw_decoder_new(const cw_schemas_t *s, cw_stream_t stream,
                             avro_schema_t writer, char *errstr,
                             size_t errstr_size) {
        avro_schema_t reader = cw_schemas_get(s, (cw_schema_id_t)stream);
        const char *record = cw_streams[stream].record;
        char wname[256];
        cw_decoder_t *d;

        if (!is_avro_record(writer)) {
                snprintf(errstr, errstr_size,
                         "the writer schema is a %s, not a %s record",
                         avro_schema_type_name(writer), record);
                return NULL;
        }
        full_name(writer, wname, sizeof(wname));
        if (strcmp(avro_schema_name(writer), record)) {
                snprintf(errstr, errstr_size,
                         "writer schema %s is not a %s record (stream %s)",
                         wname, record, cw_streams[stream].name);
                return NULL;
        }

        d = calloc(1, sizeof(*d));
        if (!d) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        d->stream = stream;
        d->writer = avro_schema_incref(writer);
        clear_avro_error();
        d->projected = avro_schema_record(avro_schema_name(reader),
                                          avro_schema_namespace(reader));
        if (!d->projected) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_destroy;
        }
        if (project(d, reader, wname, errstr, errstr_size))
                goto out_destroy;

        d->value_iface = avro_generic_class_from_schema(d->projected);
        if (!d->value_iface ||
            avro_generic_value_new(d->value_iface, &d->value)) {
                snprintf(errstr, errstr_size, "cannot build a %s value: %s",
                         record, avro_strerror());
                goto out_destroy;
        }
        d->target = &d->value;
        /* Kafka messages carry our own schema: skip the resolver's
         * indirection on every field when it would change nothing. */
        if (!avro_schema_equal(writer, d->projected)) {
                d->resolver_iface =
                        avro_resolved_writer_new(writer, d->projected);
                if (!d->resolver_iface) {
                        snprintf(errstr, errstr_size,
                                 "writer schema %s does not resolve against "
                                 "ours: %s",
                                 wname, avro_strerror());
                        goto out_destroy;
                }
                if (avro_resolved_writer_new_value(d->resolver_iface,
                                                   &d->resolved)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out_destroy;
                }
                avro_resolved_writer_set_dest(&d->resolved, &d->value);
                d->target = &d->resolved;
        }
        d->mem = avro_reader_memory(NULL, 0);
        if (!d->mem) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_destroy;
        }
        return d;

out_destroy:
        cw_decoder_destroy(d);
        return NULL;
}

void cw_decoder_destroy(cw_decoder_t *d) {
        if (!d)
                return;
        if (d->mem)
                avro_reader_free(d->mem);
        /* Values first, then their interfaces, then the schemas. */
        if (d->resolved.self)
                avro_value_decref(&d->resolved);
        if (d->value.self)
                avro_value_decref(&d->value);
        if (d->resolver_iface)
                avro_value_iface_decref(d->resolver_iface);
        if (d->value_iface)
                avro_value_iface_decref(d->value_iface);
        for (int i = 0; i < CW_EVENT_MAX_FIELDS; i++)
                free(d->slots[i].enum_map);
        if (d->projected)
                avro_schema_decref(d->projected);
        avro_schema_decref(d->writer);
        free(d);
}

static int avro_failed(const char *what, char *errstr, size_t errstr_size) {
        snprintf(errstr, errstr_size, "%s: %s", what, avro_strerror());
        return -1;
}

static int get_enum(const struct slot *sl, const struct cw_field_def *f,
                    const avro_value_t *v, double *out, char *errstr,
                    size_t errstr_size) {
        int e;
        if (avro_value_get_enum(v, &e))
                return avro_failed(f->name, errstr, errstr_size);
        if (e < 0 || e >= sl->enum_count) {
                snprintf(errstr, errstr_size,
                         "%s: enum index %d is out of range", f->name, e);
                return -1;
        }
        if (sl->enum_map[e] < 0) {
                snprintf(errstr, errstr_size,
                         "%s: %s is not a symbol of our %s enum", f->name,
                         avro_schema_enum_get(sl->wenum, e),
                         avro_schema_name(sl->wenum));
                return -1;
        }
        *out = sl->enum_map[e];
        return 0;
}

static int get_str(const struct cw_field_def *f, const avro_value_t *v,
                   cw_str_t *out, char *errstr, size_t errstr_size) {
        avro_value_t branch;
        const char *p;
        size_t size;

        if (f->nullable) {
                int disc;
                /* Branch 0 is "null": schemas.c checks our unions. */
                if (avro_value_get_discriminant(v, &disc))
                        return avro_failed(f->name, errstr, errstr_size);
                if (disc == 0) {
                        out->p = NULL;
                        out->len = 0;
                        return 0;
                }
                if (avro_value_get_current_branch(v, &branch))
                        return avro_failed(f->name, errstr, errstr_size);
                v = &branch;
        }
        if (avro_value_get_string(v, &p, &size))
                return avro_failed(f->name, errstr, errstr_size);
        /* avro-c counts the terminating NUL in size. */
        out->p = p ? p : "";
        out->len = size ? size - 1 : 0;
        return 0;
}

/*
 * Copies the decoded record into ev and validates it: a handful of
 * indirect calls per field, no allocation.
 */
static int fill_event(const cw_decoder_t *d, struct cw_event *ev, char *errstr,
                      size_t errstr_size) {
        const struct cw_stream_def *def = &cw_streams[d->stream];

        ev->stream = d->stream;
        for (int i = 0; i < def->n_fields; i++) {
                const struct cw_field_def *f = &def->fields[i];
                const struct slot *sl = &d->slots[i];
                avro_value_t v;
                int32_t i32;
                int64_t i64;
                int b;

                if (sl->index < 0) {
                        ev->num[i] = sl->def;
                        ev->str[i].p = NULL;
                        ev->str[i].len = 0;
                        continue;
                }
                if (avro_value_get_by_index(&d->value, (size_t)sl->index, &v,
                                            NULL))
                        return avro_failed(f->name, errstr, errstr_size);
                if (sl->null_wrapped) {
                        avro_value_t branch;
                        int disc;
                        if (avro_value_get_discriminant(&v, &disc) ||
                            (disc != 0 &&
                             avro_value_get_current_branch(&v, &branch)))
                                return avro_failed(f->name, errstr,
                                                   errstr_size);
                        if (disc == 0) {
                                snprintf(errstr, errstr_size, "%s is null",
                                         f->name);
                                return -1;
                        }
                        v = branch;
                }
                switch (f->type) {
                case CW_FIELD_NUM:
                        if (sl->is_long) {
                                if (avro_value_get_long(&v, &i64))
                                        return avro_failed(f->name, errstr,
                                                           errstr_size);
                        } else {
                                if (avro_value_get_int(&v, &i32))
                                        return avro_failed(f->name, errstr,
                                                           errstr_size);
                                i64 = i32;
                        }
                        ev->num[i] = (double)i64;
                        if (i == CW_FIELD_TS)
                                ev->ts = i64;
                        break;
                case CW_FIELD_BOOL:
                        if (avro_value_get_boolean(&v, &b))
                                return avro_failed(f->name, errstr,
                                                   errstr_size);
                        ev->num[i] = b ? 1.0 : 0.0;
                        break;
                case CW_FIELD_ENUM:
                        if (get_enum(sl, f, &v, &ev->num[i], errstr,
                                     errstr_size))
                                return -1;
                        break;
                case CW_FIELD_STR:
                        if (get_str(f, &v, &ev->str[i], errstr, errstr_size))
                                return -1;
                        break;
                }
        }

        ev->customer_id = ev->str[CW_FIELD_CUSTOMER_ID];
        return cw_event_check(ev, errstr, errstr_size);
}

int cw_event_check(const struct cw_event *ev, char *errstr,
                   size_t errstr_size) {
        if (ev->customer_id.len == 0) {
                snprintf(errstr, errstr_size, "customer_id is empty");
                return -1;
        }
        if (ev->customer_id.len > CW_CUSTOMER_ID_MAX) {
                snprintf(errstr, errstr_size,
                         "customer_id is %zu bytes long, more than the %d "
                         "allowed",
                         ev->customer_id.len, CW_CUSTOMER_ID_MAX);
                return -1;
        }
        if (ev->ts < 0) {
                snprintf(errstr, errstr_size, "ts %lld is negative",
                         (long long)ev->ts);
                return -1;
        }
        if (ev->ts > CW_TS_MAX) {
                snprintf(errstr, errstr_size,
                         "ts %lld is after the year 9999; is it in "
                         "milliseconds?",
                         (long long)ev->ts);
                return -1;
        }
        return 0;
}

int cw_decoder_read(cw_decoder_t *d, avro_reader_t r, struct cw_event *ev,
                    char *errstr, size_t errstr_size) {
        clear_avro_error();
        if (avro_value_read(r, d->target)) {
                snprintf(errstr, errstr_size, "cannot read a %s record: %s",
                         cw_streams[d->stream].record, avro_strerror());
                return -1;
        }
        return fill_event(d, ev, errstr, errstr_size);
}

int cw_decoder_decode(cw_decoder_t *d, const void *buf, size_t len,
                      struct cw_event *ev, char *errstr, size_t errstr_size) {
        const char *record = cw_streams[d->stream].record;
        char why[256];
        size_t used;

        /* The walk (walk_int.h) allocates nothing and stops at the first
         * length, count or index the bytes cannot back: only then does
         * avro-c read the value. */
        if (cw_avro_walk(d->writer, buf, len, &used, why, sizeof(why))) {
                snprintf(errstr, errstr_size,
                         "%zu bytes are not a %s record: %s", len, record, why);
                return -1;
        }
        if (used < len) {
                snprintf(errstr, errstr_size,
                         "%zu trailing bytes after the %zu-byte %s record",
                         len - used, used, record);
                return -1;
        }
        avro_reader_memory_set_source(d->mem, buf, (int64_t)len);
        return cw_decoder_read(d, d->mem, ev, errstr, errstr_size);
}

/* "PATH: its records are named X, which is none of the input records
 * (Purchase, ...)". */
static void unknown_record(const char *path, avro_schema_t writer, char *errstr,
                           size_t errstr_size) {
        char known[256];
        size_t n = 0;

        known[0] = '\0';
        for (int i = 0; i < CW_STREAM_COUNT && n < sizeof(known); i++)
                n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s",
                                      i ? ", " : "", cw_streams[i].record);
        snprintf(errstr, errstr_size,
                 "%s: its records are named %s, which is none of the input "
                 "records (%s)",
                 path,
                 is_avro_record(writer) ? avro_schema_name(writer)
                                        : avro_schema_type_name(writer),
                 known);
}

/* The writer schema of the header, and the decoder of its stream. */
static int open_writer(cw_avro_input_t *in, const cw_schemas_t *s, char *errstr,
                       size_t errstr_size) {
        const char *text = cw_fast_file_schema(in->fast);
        avro_schema_t writer;
        char why[512];
        int stream;

        clear_avro_error();
        if (cw_schema_parse(text, strlen(text), &writer, why, sizeof(why))) {
                snprintf(errstr, errstr_size,
                         "%s: the avro.schema of its header is not an Avro "
                         "schema: %s",
                         in->path, why);
                return -1;
        }
        stream = is_avro_record(writer)
                         ? cw_stream_by_record(avro_schema_name(writer))
                         : -1;
        if (stream < 0)
                unknown_record(in->path, writer, errstr, errstr_size);
        else if (!(in->dec = cw_decoder_new(s, (cw_stream_t)stream, writer, why,
                                            sizeof(why))))
                snprintf(errstr, errstr_size, "%s: %s", in->path, why);
        else
                in->raw = !avro_schema_equal(
                        writer, cw_schemas_get(s, (cw_schema_id_t)stream));
        avro_schema_decref(writer);
        return in->dec ? 0 : -1;
}

cw_avro_input_t *cw_avro_input_open(const char *path, const cw_schemas_t *s,
                                    char *errstr, size_t errstr_size) {
        cw_avro_input_t *in = calloc(1, sizeof(*in));
        char why[512];

        if (!in || !(in->path = strdup(path))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_close;
        }
        in->position = -1;
        /* fastread.c reads the container; records of our own schema are
         * decoded straight from its blocks, those of another are cut out
         * of them by walking and read by avro-c's resolver. */
        if (!(in->fast = cw_fast_file_open(path, why, sizeof(why)))) {
                snprintf(errstr, errstr_size, "%s: %s", path, why);
                goto out_close;
        }
        if (open_writer(in, s, errstr, errstr_size))
                goto out_close;
        return in;

out_close:
        cw_avro_input_close(in);
        return NULL;
}

cw_stream_t cw_avro_input_stream(const cw_avro_input_t *in) {
        return in->dec->stream;
}

const char *cw_avro_input_path(const cw_avro_input_t *in) {
        return in->path;
}

long long cw_avro_input_position(const cw_avro_input_t *in) {
        return in->position;
}

/* A failure of the file itself: this one and every later call say why. */
static int fail_for_good(cw_avro_input_t *in, const char *why, char *errstr,
                         size_t errstr_size) {
        snprintf(in->failure, sizeof(in->failure), "%s: record %lld: %s",
                 in->path, in->position + 1, why);
        in->failed = 1;
        snprintf(errstr, errstr_size, "%s", in->failure);
        return -1;
}

/* cw_avro_input_next() on the fast path, with the same error contract. */
static int next_fast(cw_avro_input_t *in, struct cw_event *ev, char *errstr,
                     size_t errstr_size) {
        char why[384];
        int final;
        int rc = cw_fast_file_next(in->fast, in->dec->stream, ev, &final, why,
                                   sizeof(why));

        if (rc == 0)
                in->at_end = 1;
        if (rc >= 0) {
                in->position += rc;
                return rc;
        }
        if (final)
                return fail_for_good(in, why, errstr, errstr_size);
        in->position++;
        snprintf(errstr, errstr_size, "%s: record %lld: %s", in->path,
                 in->position, why);
        return -1;
}

/* cw_avro_input_next() for another writer schema: fastread.c cuts the
 * record out of its block, avro-c reads it. */
static int next_raw(cw_avro_input_t *in, struct cw_event *ev, char *errstr,
                    size_t errstr_size) {
        char why[384];
        const void *rec;
        size_t len;
        int rc = cw_fast_file_next_raw(in->fast, in->dec->writer, &rec, &len,
                                       why, sizeof(why));

        if (rc <= 0) {
                in->at_end = rc == 0;
                return rc ? fail_for_good(in, why, errstr, errstr_size) : 0;
        }
        in->position++;
        avro_reader_memory_set_source(in->dec->mem, rec, (int64_t)len);
        if (cw_decoder_read(in->dec, in->dec->mem, ev, why, sizeof(why))) {
                snprintf(errstr, errstr_size, "%s: record %lld: %s", in->path,
                         in->position, why);
                return -1;
        }
        return 1;
}

int cw_avro_input_next(cw_avro_input_t *in, struct cw_event *ev, char *errstr,
                       size_t errstr_size) {
        if (in->failed) {
                snprintf(errstr, errstr_size, "%s", in->failure);
                return -1;
        }
        if (in->at_end)
                return 0;
        return in->raw ? next_raw(in, ev, errstr, errstr_size)
                       : next_fast(in, ev, errstr, errstr_size);
}

void cw_avro_input_close(cw_avro_input_t *in) {
        if (!in)
                return;
        cw_decoder_destroy(in->dec);
        cw_fast_file_close(in->fast);
        free(in->path);
        free(in);
}
