#include "parse.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The full names of the types defined so far. */
struct names {
        char **v;
        size_t n, cap;
        char *why;
        size_t why_size;
};

static int walk(json_t *j, const char *ns, struct names *seen);

static int out_of_memory(struct names *seen) {
        snprintf(seen->why, seen->why_size, "out of memory");
        return -1;
}

/* Adds a definition's full name (taking it): 0, or -1 when it is there. */
static int define(struct names *seen, char *full) {
        for (size_t i = 0; i < seen->n; i++)
                if (!strcmp(seen->v[i], full)) {
                        snprintf(seen->why, seen->why_size,
                                 "type %s is defined twice", full);
                        free(full);
                        return -1;
                }
        if (seen->n == seen->cap) {
                size_t cap = seen->cap ? 2 * seen->cap : 16;
                char **v = realloc(seen->v, cap * sizeof(*v));
                if (!v) {
                        free(full);
                        return out_of_memory(seen);
                }
                seen->v = v;
                seen->cap = cap;
        }
        seen->v[seen->n++] = full;
        return 0;
}

/*
 * A record, enum or fixed definition, and a record's fields. Its namespace
 * is avro-c's: a dotted name carries its own, else the "namespace"
 * attribute, else the enclosing record's; its full name "namespace.name",
 * or the name alone without a namespace.
 */
static int named(json_t *j, int is_record, const char *ns, struct names *seen) {
        json_t *name = json_object_get(j, "name"), *field;
        json_t *attr = json_object_get(j, "namespace");
        const char *n, *dot;
        char *space = NULL, *full = NULL;
        size_t i;
        int rc = 0;

        if (!json_is_string(name))
                return 0; /* avro-c refuses it, and leaks nothing */
        n = json_string_value(name);
        if ((dot = strrchr(n, '.')))
                space = strndup(n, (size_t)(dot - n));
        else if (json_is_string(attr) || ns)
                space = strdup(json_is_string(attr) ? json_string_value(attr)
                                                    : ns);
        if ((dot || json_is_string(attr) || ns) && !space)
                return out_of_memory(seen);
        if (space ? asprintf(&full, "%s.%s", space, dot ? dot + 1 : n) < 0
                  : !(full = strdup(n))) {
                free(space);
                return out_of_memory(seen);
        }
        if (define(seen, full)) {
                free(space);
                return -1;
        }
        if (is_record)
                json_array_foreach(json_object_get(j, "fields"), i, field) {
                        if ((rc = walk(json_object_get(field, "type"), space,
                                       seen)))
                                break;
                }
        free(space);
        return rc;
}

/* One schema, as avro-c reads it: a union is an array, a complex type an
 * object whose "type" is a string; anything else defines nothing. */
static int walk(json_t *j, const char *ns, struct names *seen) {
        const char *type;
        json_t *branch;
        size_t i;

        if (json_is_array(j)) {
                json_array_foreach(j, i, branch) {
                        if (walk(branch, ns, seen))
                                return -1;
                }
                return 0;
        }
        if (!(type = json_string_value(json_object_get(j, "type"))))
                return 0;
        if (!strcmp(type, "record") || !strcmp(type, "enum") ||
            !strcmp(type, "fixed"))
                return named(j, !strcmp(type, "record"), ns, seen);
        if (!strcmp(type, "array"))
                return walk(json_object_get(j, "items"), ns, seen);
        if (!strcmp(type, "map"))
                return walk(json_object_get(j, "values"), ns, seen);
        return 0;
}

int cw_schema_parse(const char *text, size_t len, avro_schema_t *out, char *why,
                    size_t why_size) {
        struct names seen = {.why = why, .why_size = why_size};
        json_error_t e;
        json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &e);
        int rc;

        /* jansson bounds the nesting (2048), and so this walk's depth. */
        if (!j) {
                snprintf(why, why_size, "not JSON: %s (line %d)", e.text,
                         e.line);
                return -1;
        }
        rc = walk(j, NULL, &seen);
        json_decref(j);
        for (size_t i = 0; i < seen.n; i++)
                free(seen.v[i]);
        free(seen.v);
        if (rc)
                return -1;
        if (avro_schema_from_json_length(text, len, out)) {
                snprintf(why, why_size, "%s", avro_strerror());
                return -1;
        }
        return 0;
}
