#include "walk_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

struct walk {
        const unsigned char *p, *end;
        size_t items;      /* array and map items so far */
        size_t max_items;  /* the value's size: each item costs avro-c work */
        const char *field; /* innermost record field, for messages */
        char *why;
        size_t why_size;
};

static int fail(struct walk *w, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int fail(struct walk *w, const char *fmt, ...) {
        size_t n = 0;
        va_list ap;

        if (w->field)
                n = (size_t)snprintf(w->why, w->why_size, "%s: ", w->field);
        if (n >= w->why_size)
                return -1;
        va_start(ap, fmt);
        vsnprintf(w->why + n, w->why_size - n, fmt, ap);
        va_end(ap);
        return -1;
}

static size_t left(const struct walk *w) {
        return (size_t)(w->end - w->p);
}

/* A zig-zag varint of at most max_bytes bytes (5 for an int, 10 for a
 * long), as Avro writes them. */
static int varint(struct walk *w, int max_bytes, int64_t *out) {
        uint64_t v = 0;

        for (int i = 0; i < max_bytes; i++) {
                unsigned char c;
                if (w->p == w->end)
                        return fail(w, "the bytes end inside a number");
                c = *w->p++;
                v |= (uint64_t)(c & 0x7f) << (7 * i);
                if (!(c & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return 0;
                }
        }
        return fail(w, "a number longer than %d bytes", max_bytes);
}

static int int32(struct walk *w, int64_t *out) {
        if (varint(w, 5, out))
                return -1;
        if (*out < INT32_MIN || *out > INT32_MAX)
                return fail(w, "int %lld is out of range", (long long)*out);
        return 0;
}

static int skip(struct walk *w, int64_t n, const char *what) {
        if (n < 0)
                return fail(w, "%s length %lld is negative", what,
                            (long long)n);
        if ((uint64_t)n > left(w))
                return fail(w, "%s of %lld bytes runs past the end (%zu left)",
                            what, (long long)n, left(w));
        w->p += n;
        return 0;
}

static int string(struct walk *w, const char *what) {
        int64_t n = 0;
        return varint(w, 10, &n) || skip(w, n, what) ? -1 : 0;
}

static int value(struct walk *w, avro_schema_t s, int depth);

/* An array's or a map's blocks: count, [size,] items; a count of 0 ends. */
static int blocks(struct walk *w, avro_schema_t s, int depth) {
        int is_map = is_avro_map(s);
        avro_schema_t items =
                is_map ? avro_schema_map_values(s) : avro_schema_array_items(s);
        int64_t count = 0, size = 0;

        for (;;) {
                if (varint(w, 10, &count))
                        return -1;
                if (count == 0)
                        return 0;
                if (count < 0) {
                        if (count == INT64_MIN)
                                return fail(w, "block count out of range");
                        count = -count;
                        if (varint(w, 10, &size))
                                return -1;
                        if (size < 0 || (uint64_t)size > left(w))
                                return fail(w,
                                            "block size %lld with %zu "
                                            "bytes left",
                                            (long long)size, left(w));
                }
                if ((uint64_t)count > w->max_items - w->items)
                        return fail(w,
                                    "%lld more items than a %zu-byte "
                                    "value can hold",
                                    (long long)count, w->max_items);
                w->items += (size_t)count;
                for (int64_t i = 0; i < count; i++)
                        if ((is_map && string(w, "map key")) ||
                            value(w, items, depth))
                                return -1;
        }
}

static int record(struct walk *w, avro_schema_t s, int depth) {
        const char *outer = w->field;
        size_t n = avro_schema_record_size(s);

        for (size_t i = 0; i < n; i++) {
                w->field = avro_schema_record_field_name(s, (int)i);
                if (value(w, avro_schema_record_field_get_by_index(s, (int)i),
                          depth))
                        return -1;
        }
        w->field = outer;
        return 0;
}

static int branch(struct walk *w, avro_schema_t s, int depth) {
        int64_t i = 0;

        if (varint(w, 10, &i))
                return -1;
        if (i < 0 || (uint64_t)i >= avro_schema_union_size(s))
                return fail(w, "union branch %lld of %zu", (long long)i,
                            avro_schema_union_size(s));
        return value(w, avro_schema_union_branch(s, (int)i), depth);
}

static int symbol(struct walk *w, avro_schema_t s) {
        int64_t i = 0;

        if (int32(w, &i))
                return -1;
        if (i < 0 || i >= avro_schema_enum_number_of_symbols(s))
                return fail(w, "enum index %lld is out of range (%d symbols)",
                            (long long)i,
                            avro_schema_enum_number_of_symbols(s));
        return 0;
}

static int value(struct walk *w, avro_schema_t s, int depth) {
        int64_t v;

        if (++depth > CW_WALK_MAX_DEPTH)
                return fail(w, "values nested more than %d deep",
                            CW_WALK_MAX_DEPTH);
        switch (avro_typeof(s)) {
        case AVRO_NULL:
                return 0;
        case AVRO_BOOLEAN:
                if (w->p == w->end || *w->p > 1)
                        return fail(w, "not a boolean (0 or 1)");
                w->p++;
                return 0;
        case AVRO_INT32:
                return int32(w, &v);
        case AVRO_INT64:
                return varint(w, 10, &v);
        case AVRO_FLOAT:
                return skip(w, 4, "float");
        case AVRO_DOUBLE:
                return skip(w, 8, "double");
        case AVRO_STRING:
                return string(w, "string");
        case AVRO_BYTES:
                return string(w, "bytes");
        case AVRO_FIXED:
                return skip(w, avro_schema_fixed_size(s), "fixed");
        case AVRO_ENUM:
                return symbol(w, s);
        case AVRO_ARRAY:
        case AVRO_MAP:
                return blocks(w, s, depth);
        case AVRO_UNION:
                return branch(w, s, depth);
        case AVRO_RECORD:
                return record(w, s, depth);
        case AVRO_LINK:
                return value(w, avro_schema_link_target(s), depth);
        default:
                return fail(w, "a value of type %s cannot be read",
                            avro_schema_type_name(s));
        }
}

int cw_avro_walk(avro_schema_t s, const void *buf, size_t len, size_t *used,
                 char *why, size_t why_size) {
        struct walk w = {.p = buf,
                         .end = (const unsigned char *)buf + len,
                         .max_items = len,
                         .why = why,
                         .why_size = why_size};

        if (value(&w, s, 0))
                return -1;
        *used = len - left(&w);
        return 0;
}
