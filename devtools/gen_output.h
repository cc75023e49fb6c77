/*
 * Where `gen` (and the demo's generator) puts events: the four configured
 * Kafka topics, keyed by customer_id and partitioned with murmur2 as Java
 * clients do, optionally paced to a rate; or four Avro container files.
 */
#ifndef CW_GEN_OUTPUT_H
#define CW_GEN_OUTPUT_H

#include <stdatomic.h>
#include <stddef.h>

#include "config/config.h"
#include "features/event.h"
#include "schemas/schemas.h"

typedef struct cw_gen_output cw_gen_output_t;

/* DIR/purchases.avro, logins.avro, tickets.avro and surveys.avro; or with
 * `partitions` > 0 the same four in each of DIR/0 .. DIR/<partitions - 1>,
 * each event in the folder of the partition the Kafka output would send
 * it to on topics of that many partitions (murmur2 of the customer_id):
 * the input of each shard, for replays to compare with `run`. Folders are
 * created when missing. NULL with a sentence on error. */
cw_gen_output_t *cw_gen_output_files(const char *dir, int partitions,
                                     const cw_schemas_t *s, char *errstr,
                                     size_t errstr_size);

/*
 * The configured topics; at most `rate` events/s when rate > 0. Records
 * wait up to linger_ms to be sent in batches: 0 for the latency benchmark
 * (a record's timestamp is taken when it is produced), more for anything
 * that keeps a partition long: librdkafka 2.0.2's mock cluster looks
 * records up by walking a partition's batches, so many one-record batches
 * make its fetches cost O(batches) each. A linger.ms in the configuration's
 * `kafka` wins.
 */
cw_gen_output_t *cw_gen_output_kafka(const cw_config_t *c,
                                     const cw_schemas_t *s, double rate,
                                     int linger_ms, char *errstr,
                                     size_t errstr_size);

/* Only the events of the streams in `mask` (bit 1 << stream) are written;
 * the others are generated all the same (the population does not change)
 * and dropped. All are written unless this is called. */
void cw_gen_output_streams(cw_gen_output_t *o, unsigned mask);

/* Generation stops (cw_gen_output_event returns 1) once *stop is set. */
void cw_gen_output_stop_on(cw_gen_output_t *o, const atomic_int *stop);

/* A cw_gen_emit_fn: writes one event. 0, or 1 to stop (after an error,
 * then in cw_gen_output_error(), or when asked to stop). */
int cw_gen_output_event(void *opaque, const struct cw_event *ev);

/* The last error, "" when none. */
const char *cw_gen_output_error(const cw_gen_output_t *o);

/* Flushes (Kafka: every event acknowledged; files: the last blocks) and
 * frees. 0, or -1 with a sentence; files that could not be written whole
 * are removed (regular files only: never a device such as /dev/full), and
 * the sentence says so. NULL is a no-op. */
int cw_gen_output_close(cw_gen_output_t *o, char *errstr, size_t errstr_size);

/* After a failure: cw_gen_output_close(), and the files written are
 * removed (regular files only), which the failure left incomplete. How
 * many were removed. NULL is a no-op. */
int cw_gen_output_discard(cw_gen_output_t *o);

#endif
