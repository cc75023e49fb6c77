/*
 * The engine of one shard (CONTRACT.md sections 2 and 3): per-customer
 * state, day sweeps, eviction, lateness, features and the alert machines.
 * It takes decoded events in processing order and calls back with warnings;
 * it knows nothing of Kafka, Avro or files, so `replay` and `run` share it.
 *
 * Not thread-safe: one engine per shard, driven by one thread.
 */
#ifndef CW_ENGINE_H
#define CW_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "engine_conf.h"
#include "event.h"
#include "warning.h"

#define CW_TIME_NONE INT64_MIN

typedef struct cw_engine cw_engine_t;

/* Receives each warning; `w` and everything it points to is borrowed. */
typedef void(cw_warning_cb)(void *opaque, const struct cw_warning *w);

struct cw_engine_stats {
        uint64_t events; /* offered to cw_engine_process */
        uint64_t applied;
        uint64_t late;        /* older than stream time - lateness */
        uint64_t invalid;     /* unusable customer_id */
        uint64_t evicted;     /* customers dropped by state_ttl */
        uint64_t sweeps;      /* day boundaries swept */
        uint64_t skipped;     /* customers a sweep left alone: none of
                                 their alerts could change (wake.c) */
        uint64_t proofs;      /* proofs made of the days to come (wake.c) */
        double sweep_seconds; /* wall time spent in sweeps */
        uint64_t evaluations; /* customer evaluations, events and sweeps */
        uint64_t customers;   /* held now */
        uint64_t created;     /* customers added by an event (a customer
                                 evicted and seen again counts twice) */
        uint64_t *warnings;   /* [alert * 2 + state]: FIRING, RESOLVED */
        uint64_t rows;        /* point-in-time rows handed out */
        int rows_lost; /* memory ran out at a sample time: rows missing */
};

typedef enum cw_process_result {
        CW_PROCESS_APPLIED = 0,
        CW_PROCESS_LATE,
        CW_PROCESS_INVALID, /* customer_id empty or over 256 bytes, ts
                               outside [0, CW_TS_MAX] */
} cw_process_result_t;

/* The config must outlive the engine. */
cw_engine_t *cw_engine_new(const cw_engine_conf_t *c, cw_warning_cb *cb,
                           void *opaque, char *errstr, size_t errstr_size);
void cw_engine_destroy(cw_engine_t *e);

/* ---- point-in-time rows (CONTRACT.md section 10) -------------------------
 * A training set needs every feature at a past moment exactly as the engine
 * saw it then. An engine made with sampling plans every configured
 * feature, also those no alert reads (an ordinary engine gives those no
 * state at all), and right after the day sweep of each sample time B
 * (evictions, then evaluations, then the sweep's warnings) hands out one
 * row per customer it holds, in bytewise customer_id order: its value of
 * every feature at t = B, the values the sweep's evaluation computed. The
 * sweep copies them (and the id) into a compact buffer while the record
 * is in cache; the buffer is radix-sorted by id and handed out after the
 * sweep: one more pass at sample times, over compact memory, and no
 * second replay. Warnings are the same as without sampling.
 */

/* Whether customer `id` gets a row at t (sampling, labels); 1 or 0. */
typedef int(cw_sample_keep_cb)(void *opaque, const char *id, size_t len,
                               int64_t t);
/* One row: values[i] is feature i's value at t. Everything is borrowed
 * for the call, which must not call into the engine. */
typedef void(cw_sample_row_cb)(void *opaque, const char *id, size_t len,
                               int64_t t, const double *values);

struct cw_engine_sampling {
        int every_days;   /* sample at the boundaries B with day(B) % N == 0 */
        int64_t from, to; /* and from <= B <= to (INT64_MIN, INT64_MAX) */
        cw_sample_keep_cb *keep; /* NULL: every customer */
        cw_sample_row_cb *row;
        void *opaque;
};

/* cw_engine_new() with sampling (copied; every_days >= 1, row set). */
cw_engine_t *cw_engine_new_sampling(const cw_engine_conf_t *c,
                                    cw_warning_cb *cb, void *opaque,
                                    const struct cw_engine_sampling *s,
                                    char *errstr, size_t errstr_size);

/*
 * Processes one event: runs the day sweeps its ts starts (before applying
 * it), applies it and evaluates its customer. Events must come in the
 * contract's processing order; a late one is only counted.
 */
cw_process_result_t cw_engine_process(cw_engine_t *e,
                                      const struct cw_event *ev);

/*
 * Memory latency bounds the engine: each event lands on a customer whose
 * table slot and record are anywhere in memory. A caller that knows the
 * events ahead can hide that latency by calling, for the customer id hash
 * h = cw_engine_id_hash() of an event to come, stage 0 (table slot) about
 * 12 events ahead, stage 1 (record pointer) about 8 ahead and stage 2 (the
 * record) about 4 ahead. Only hints: results never depend on them.
 */
uint32_t cw_engine_id_hash(const char *id, size_t len);
void cw_engine_prefetch(const cw_engine_t *e, uint32_t h, int stage);
/* cw_engine_process() for a caller that has the id's hash already. */
cw_process_result_t
cw_engine_process_hashed(cw_engine_t *e, const struct cw_event *ev, uint32_t h);

/*
 * A day sweep evaluates only the customers whose alerts may change at its
 * boundary (or that it evicts); the others it proved could not are left
 * alone, and the output is the same as evaluating everyone. With on != 0
 * every sweep evaluates every customer, as CONTRACT.md section 2 reads:
 * for tests that compare the two, and for benchmarks.
 */
void cw_engine_sweep_everyone(cw_engine_t *e, int on);

/* Moves stream time forward to t, running the day sweeps on the way (the
 * replay horizon, --to). Earlier t: no effect. */
void cw_engine_advance(cw_engine_t *e, int64_t t);

/* Largest ts processed, or CW_TIME_NONE. */
int64_t cw_engine_stream_time(const cw_engine_t *e);

const struct cw_engine_stats *cw_engine_stats(const cw_engine_t *e);

/* Bytes of customer state held (records, bucket lists, hash table). */
size_t cw_engine_memory(const cw_engine_t *e);

/* ---- state serialisation ------------------------------------------------
 * A customer's whole state (buckets, running totals, latest events, alert
 * states) as compact bytes: varints, bucket days as deltas. */

/* Number of customers held; customers are indexed 0 .. n-1 (the order
 * changes when customers are added or evicted). */
size_t cw_engine_customers(const cw_engine_t *e);

/* Encodes customer i into buf (cap bytes). Returns the encoded size; when
 * it exceeds cap nothing useful was written: call again with a larger buf. */
size_t cw_engine_encode_customer(const cw_engine_t *e, size_t i, uint8_t *buf,
                                 size_t cap);

/* Encodes the customer with this id; 0 when it is not held. */
size_t cw_engine_encode_customer_id(const cw_engine_t *e, const char *id,
                                    size_t len, uint8_t *buf, size_t cap);

/* Decodes an encoded customer into the engine, replacing any state held for
 * that id. Returns 0, or -1 with a sentence when the bytes are malformed or
 * were made by an engine with another configuration. */
int cw_engine_decode_customer(cw_engine_t *e, const uint8_t *buf, size_t len,
                              char *errstr, size_t errstr_size);

/* Sets stream time directly (restoring a shard's metadata). */
void cw_engine_set_stream_time(cw_engine_t *e, int64_t t);

/* Drops the customer with this id, if held (a changelog's tombstone). Marks
 * nothing changed. */
void cw_engine_forget_customer(cw_engine_t *e, const char *id, size_t len);

/* ---- changelog ------------------------------------------------------------
 * A shard's state as a compacted changelog: per commit interval the
 * customers that changed, tombstones for the evicted, and the stream time.
 * Events mark their customer changed. A day sweep marks only the customers
 * whose alert states change (or that it evicts): what else it does to a
 * customer (windows moved to the day, last evaluation at the boundary)
 * follows from the sweep position, which cw_engine_restored() re-derives.
 */

/* Starts tracking changes for cw_engine_collect_changes() (off by default:
 * replay does not need it). Customers held before are not marked. */
void cw_engine_track_changes(cw_engine_t *e);

/* One change: a customer's encoded state (cw_engine_encode_customer's
 * bytes), or state == NULL for a customer evicted (a tombstone). Everything
 * is borrowed for the call; the callback must not call into the engine.
 * Non-zero stops the collection. */
typedef int(cw_change_cb)(void *opaque, const char *id, size_t id_len,
                          const uint8_t *state, size_t state_len);

/*
 * Hands every change since the last call to cb: first the customers evicted
 * (tombstones), then the customers changed and still held, each once, with
 * their state as of now. A customer evicted and seen again gives its
 * tombstone, then its state. Costs O(changes) and one encoding each.
 *
 * Returns 0, or -1 when cb returned non-zero or memory ran out. A change
 * is dropped only once cb returned 0 for it: on -1 the one that failed and
 * those not yet handed out stay pending, and the next call hands them out
 * again (tombstones first, as always). The one exception: when memory ran
 * out while keeping a tombstone, that tombstone is lost and every call
 * returns -1 without handing anything out; the changelog can no longer be
 * made exact and the shard must be rebuilt from its last commit.
 */
int cw_engine_collect_changes(cw_engine_t *e, cw_change_cb *cb, void *opaque);

/* Number of changes pending (customers changed + evicted), for stats. */
size_t cw_engine_pending_changes(const cw_engine_t *e);

/*
 * After the customers of a changelog were decoded into a new engine: sets
 * stream time and brings every customer to the state the day sweeps up to
 * cw_day_of(stream_time) left it in. Decoding marks nothing changed. Costs
 * one window move per customer.
 */
void cw_engine_restored(cw_engine_t *e, int64_t stream_time);

#endif
