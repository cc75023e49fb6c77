/*
 * Decoding input records into struct cw_event: Avro binary records (Kafka
 * message values, no framing) and Avro object container files (replay).
 *
 * A decoder serves one (stream, writer schema) pair and accepts any writer
 * schema that Avro schema resolution allows against ours (CONTRACT.md
 * section 1): writer fields we do not know are skipped, fields may come in
 * any order, int is promoted to long, enum symbols are matched by name,
 * and our fields that the writer lacks take their defaults (channel,
 * device and comment null, success true). A writer that lacks a field
 * without a default cannot be decoded at all: cw_decoder_new() fails.
 *
 * Everything is built once per decoder; decoding a record allocates
 * nothing in this module (avro-c itself still allocates each string it
 * reads).
 */
#ifndef CW_DECODE_H
#define CW_DECODE_H

#include <avro.h>
#include <stddef.h>

#include "features/event.h"
#include "schemas.h"

/* Longest customer_id accepted, in bytes (UTF-8). */
#define CW_CUSTOMER_ID_MAX 256

typedef struct cw_decoder cw_decoder_t;

/*
 * A decoder of `stream` records written with `writer` (which may be our
 * own schema, cw_schemas_get(s, stream), as for Kafka messages). Takes its
 * own reference to `writer`; `s` must outlive the decoder. Returns NULL
 * with a sentence in errstr when the writer is not a record of that
 * stream, lacks a field that has no default, or has a field of a type
 * that does not resolve to ours.
 */
cw_decoder_t *cw_decoder_new(const cw_schemas_t *s, cw_stream_t stream,
                             avro_schema_t writer, char *errstr,
                             size_t errstr_size);
void cw_decoder_destroy(cw_decoder_t *d);

/*
 * Reads one record from `r` into ev. Returns 0, or -1 with a sentence in
 * errstr: the data could not be read, an enum symbol is unknown to us, a
 * field the writer made nullable is null where ours needs a value, or the
 * record is invalid (customer_id empty or longer than CW_CUSTOMER_ID_MAX
 * bytes, ts negative). Strings in ev are borrowed from the decoder and
 * valid until its next read or decode.
 *
 * avro-c trusts the data it reads from `r`; for untrusted bytes in memory
 * use cw_decoder_decode(), which checks them first.
 */
int cw_decoder_read(cw_decoder_t *d, avro_reader_t r, struct cw_event *ev,
                    char *errstr, size_t errstr_size);

/*
 * Decodes one Avro binary record of exactly `len` bytes (a Kafka message
 * value): truncated input and trailing bytes are errors. Otherwise as
 * cw_decoder_read(). The bytes are walked once before they are decoded
 * (walk_int.h), so that a corrupt length, count or index can neither make
 * avro-c allocate what it claims (a negative string length is a size near
 * 2^64 to it), loop, nor leak (avro-c 1.11 leaks the buffer of a truncated
 * string).
 */
int cw_decoder_decode(cw_decoder_t *d, const void *buf, size_t len,
                      struct cw_event *ev, char *errstr, size_t errstr_size);

/* The checks every decoded event must pass before the engine sees it:
 * customer_id of 1 to CW_CUSTOMER_ID_MAX bytes, ts from 0 to CW_TS_MAX. */
int cw_event_check(const struct cw_event *ev, char *errstr, size_t errstr_size);

/* An Avro object container file of one input stream. */
typedef struct cw_avro_input cw_avro_input_t;

/*
 * Opens `path` (codecs null and deflate) and tells its stream by the
 * writer schema's record name (Purchase, Login, SupportTicket, Survey). Returns
 * NULL with a sentence naming the file in errstr when it cannot be opened or
 * decoded.
 */
cw_avro_input_t *cw_avro_input_open(const char *path, const cw_schemas_t *s,
                                    char *errstr, size_t errstr_size);

cw_stream_t cw_avro_input_stream(const cw_avro_input_t *in);
/* The path as given to cw_avro_input_open(). */
const char *cw_avro_input_path(const cw_avro_input_t *in);

/*
 * Reads the next record. Returns 1 with an event in ev, 0 at the end of
 * the file, or -1 with "PATH: record N: what is wrong" in errstr (N is the
 * 0-based record index). After an invalid record (see cw_decoder_read:
 * a bad customer_id or ts, an unknown enum symbol, a null where ours
 * needs a value, a writer union branch that resolves to nothing of ours)
 * the caller may call again to go on with the next record. An error in
 * the file itself (a cut or corrupt block, a record whose bytes do not
 * walk with the writer schema) leaves no way to find the next record: it
 * is final and every later call returns it again. ev's strings are valid
 * until the next call.
 */
int cw_avro_input_next(cw_avro_input_t *in, struct cw_event *ev, char *errstr,
                       size_t errstr_size);

/* Index of the last record read (returned or rejected), -1 before any. */
long long cw_avro_input_position(const cw_avro_input_t *in);

/* NULL is a no-op. */
void cw_avro_input_close(cw_avro_input_t *in);

#endif
