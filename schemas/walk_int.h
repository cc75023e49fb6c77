/*
 * The walk of an Avro binary value before avro-c reads it (decode.c).
 *
 * avro-c trusts the lengths and counts it reads: a string whose length is
 * negative reaches its realloc() as a size near 2^64 (it adds one for the
 * NUL), and an array of nulls with a count of 2^62 never ends. Its own
 * skip, avro_skip_data(), skips nothing for a negative length and loops on
 * counts just the same, so it cannot guard the read. This walk checks every
 * length, count, union branch and enum index of the writer schema against
 * the bytes that are there, allocates nothing, bounds the nesting and the
 * number of items, and so the work avro-c then does, to the value's size.
 */
#ifndef CW_WALK_INT_H
#define CW_WALK_INT_H

#include <avro.h>
#include <stddef.h>

/* Deepest nesting of records, arrays, maps and unions a value may have. */
#define CW_WALK_MAX_DEPTH 64

/*
 * Walks one value of schema `s` at the start of the `len` bytes at buf.
 * Returns 0 with the bytes it takes in *used, or -1 with a sentence naming
 * the innermost record field ("ticket_id: string length -2 is negative").
 */
int cw_avro_walk(avro_schema_t s, const void *buf, size_t len, size_t *used,
                 char *why, size_t why_size);

#endif
