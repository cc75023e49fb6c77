/*
 * Writer schemas that come from outside (the header of an input file, the
 * Schema Registry), parsed with avro-c.
 *
 * avro-c 1.11 refuses a schema that defines one named type (record, enum
 * or fixed) twice, but leaks the second definition as it does: one leak
 * per refusal, which fuzz/ found (fuzz/regressions/registry/). The JSON is
 * walked first, with avro-c's own rules for full names, and such a schema
 * is refused here, with the name, before avro-c sees it.
 */
#ifndef CW_SCHEMAS_PARSE_H
#define CW_SCHEMAS_PARSE_H

#include <avro.h>
#include <stddef.h>

/*
 * Parses the `len` bytes of JSON at text: 0 with *out (the caller decrefs
 * it), or -1 with a sentence in why ("type a.Kind is defined twice", or
 * avro-c's own words).
 */
int cw_schema_parse(const char *text, size_t len, avro_schema_t *out, char *why,
                    size_t why_size);

#endif
