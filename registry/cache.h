/*
 * Writer schemas by id (CONTRACT.md section 8), kept for the life of the
 * process: ids never change. Lookups never wait for the network: an id not
 * seen yet is handed to a thread of its own, which fetches it
 * (GET /schemas/ids/{id}) and, when the registry cannot be reached, times
 * out or answers 5xx, tries again with a backoff growing to 30 s, logging
 * each failure. Meanwhile the lookup says PENDING, and only the shard whose
 * record needs that id waits; the lock is held for a table lookup, never
 * across a request.
 */
#ifndef CW_SCHEMA_CACHE_H
#define CW_SCHEMA_CACHE_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

typedef struct cw_schema_cache cw_schema_cache_t;

typedef enum cw_schema_state {
        CW_SCHEMA_READY = 0, /* the writer schema is known */
        CW_SCHEMA_PENDING,   /* being fetched: ask again later */
        CW_SCHEMA_UNKNOWN,   /* the registry does not know the id (404), or
                                it is not an Avro schema: bad input */
        CW_SCHEMA_REFUSED,   /* the registry refused (401, 403, ...): the
                                process cannot go on */
} cw_schema_state_t;

/* Starts the fetching thread. `conf` must outlive the cache. NULL with a
 * sentence. */
cw_schema_cache_t *cw_schema_cache_new(const struct cw_registry_conf *conf,
                                       char *errstr, size_t errstr_size);

/* Stops the thread (a request in flight ends within the timeout) and
 * frees. NULL is a no-op. */
void cw_schema_cache_destroy(cw_schema_cache_t *c);

/*
 * The writer schema of `id`: READY with *schema (borrowed, valid until the
 * cache is destroyed), or PENDING (fetching has been asked for), or
 * UNKNOWN / REFUSED with *why (borrowed, the registry's answer).
 */
cw_schema_state_t cw_schema_cache_get(cw_schema_cache_t *c, int32_t id,
                                      avro_schema_t *schema, const char **why);

struct cw_schema_cache_stats {
        uint64_t fetched;  /* schemas fetched */
        uint64_t failures; /* requests that failed and will be tried again */
        uint64_t pending;  /* ids waiting now */
};

void cw_schema_cache_stats(cw_schema_cache_t *c,
                           struct cw_schema_cache_stats *out);

#endif
