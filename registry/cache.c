#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "common/log.h"
#include "schemas/parse.h"

/* Backoff between tries of an unreachable registry: doubling up to this. */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000

struct entry {
        int32_t id;
        cw_schema_state_t state;
        avro_schema_t schema; /* READY */
        char *why;            /* UNKNOWN, REFUSED */
};

struct cw_schema_cache {
        const struct cw_registry_conf *conf;
        cw_registry_client_t *client; /* the thread's */
        pthread_t thread;
        int started;
        pthread_mutex_t lock; /* entries, stop, stats */
        pthread_cond_t wake;
        struct entry *entries;
        size_t n, cap;
        int stop;
        struct cw_schema_cache_stats stats;
};

/* The entry of id, or NULL. Under the lock. */
static struct entry *find(cw_schema_cache_t *c, int32_t id) {
        for (size_t i = 0; i < c->n; i++)
                if (c->entries[i].id == id)
                        return &c->entries[i];
        return NULL;
}

/* The first PENDING id, or 0 (ids are positive). Under the lock. */
static int32_t next_pending(cw_schema_cache_t *c) {
        for (size_t i = 0; i < c->n; i++)
                if (c->entries[i].state == CW_SCHEMA_PENDING)
                        return c->entries[i].id;
        return 0;
}

/* Sleeps up to ms unless asked to stop; 1 when stopping. Under the lock. */
static int nap(cw_schema_cache_t *c, int ms) {
        struct timespec until;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
        }
        while (!c->stop &&
               pthread_cond_timedwait(&c->wake, &c->lock, &until) != ETIMEDOUT)
                ;
        return c->stop;
}

/* Stores the outcome of fetching id. Under the lock. */
static void settle(cw_schema_cache_t *c, int32_t id, cw_schema_state_t state,
                   avro_schema_t schema, const char *why) {
        struct entry *e = find(c, id);

        e->state = state;
        e->schema = schema;
        e->why = why ? strdup(why) : NULL;
        if (state == CW_SCHEMA_READY)
                c->stats.fetched++;
}

/* One try at id, without the lock: 1 when settled, 0 to try again. */
static int fetch(cw_schema_cache_t *c, int32_t id, char *err, size_t size) {
        char *text = NULL, why[1024], bad[512];
        int status;
        avro_schema_t schema = NULL;
        cw_registry_status_t st =
                cw_registry_schema(c->client, id, &text, &status, err, size);

        if (st == CW_REGISTRY_UNAVAILABLE)
                return 0;
        if (st == CW_REGISTRY_OK &&
            cw_schema_parse(text, strlen(text), &schema, bad, sizeof(bad))) {
                snprintf(why, sizeof(why), "not an Avro schema: %s", bad);
                st = CW_REGISTRY_REFUSED;
                status = 404;
        } else {
                snprintf(why, sizeof(why), "%s", err);
        }
        free(text);
        pthread_mutex_lock(&c->lock);
        settle(c, id,
               st == CW_REGISTRY_OK ? CW_SCHEMA_READY
               : status == 404      ? CW_SCHEMA_UNKNOWN
                                    : CW_SCHEMA_REFUSED,
               schema, st == CW_REGISTRY_OK ? NULL : why);
        pthread_mutex_unlock(&c->lock);
        if (st == CW_REGISTRY_OK)
                cw_debug("registry: schema id %d fetched", (int)id);
        return 1;
}

static void *fetcher(void *opaque) {
        cw_schema_cache_t *c = opaque;
        char err[1024];
        int backoff = BACKOFF_FIRST_MS;
        int32_t id;

        pthread_mutex_lock(&c->lock);
        while (!c->stop) {
                if (!(id = next_pending(c))) {
                        pthread_cond_wait(&c->wake, &c->lock);
                        continue;
                }
                pthread_mutex_unlock(&c->lock);
                if (fetch(c, id, err, sizeof(err))) {
                        backoff = BACKOFF_FIRST_MS;
                        pthread_mutex_lock(&c->lock);
                        continue;
                }
                pthread_mutex_lock(&c->lock);
                c->stats.failures++;
                cw_warn("registry: schema id %d: %s; trying again in %.1f s",
                        (int)id, err, backoff / 1000.0);
                if (nap(c, backoff))
                        break;
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                       : backoff * 2;
        }
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

cw_schema_cache_t *cw_schema_cache_new(const struct cw_registry_conf *conf,
                                       char *errstr, size_t errstr_size) {
        cw_schema_cache_t *c = calloc(1, sizeof(*c));

        if (!c) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        c->conf = conf;
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->wake, NULL);
        if (!(c->client = cw_registry_client_new(conf, errstr, errstr_size)))
                goto out_destroy;
        if (pthread_create(&c->thread, NULL, fetcher, c)) {
                snprintf(errstr, errstr_size,
                         "cannot start the Schema Registry thread");
                goto out_destroy;
        }
        c->started = 1;
        return c;
out_destroy:
        cw_schema_cache_destroy(c);
        return NULL;
}

void cw_schema_cache_destroy(cw_schema_cache_t *c) {
        if (!c)
                return;
        if (c->started) {
                pthread_mutex_lock(&c->lock);
                c->stop = 1;
                pthread_cond_signal(&c->wake);
                pthread_mutex_unlock(&c->lock);
                pthread_join(c->thread, NULL);
        }
        for (size_t i = 0; i < c->n; i++) {
                if (c->entries[i].schema)
                        avro_schema_decref(c->entries[i].schema);
                free(c->entries[i].why);
        }
        free(c->entries);
        cw_registry_client_destroy(c->client);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

/* A new PENDING entry for id, for the thread. Under the lock. */
static struct entry *ask(cw_schema_cache_t *c, int32_t id) {
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 8;
                struct entry *e = realloc(c->entries, cap * sizeof(*e));
                if (!e)
                        return NULL;
                c->entries = e;
                c->cap = cap;
        }
        c->entries[c->n] = (struct entry){.id = id, .state = CW_SCHEMA_PENDING};
        pthread_cond_signal(&c->wake);
        return &c->entries[c->n++];
}

cw_schema_state_t cw_schema_cache_get(cw_schema_cache_t *c, int32_t id,
                                      avro_schema_t *schema, const char **why) {
        cw_schema_state_t st = CW_SCHEMA_PENDING;
        struct entry *e;

        pthread_mutex_lock(&c->lock);
        if ((e = find(c, id)) || (e = ask(c, id))) {
                st = e->state;
                *schema = e->schema;
                *why = e->why ? e->why : "";
        }
        pthread_mutex_unlock(&c->lock);
        return st;
}

void cw_schema_cache_stats(cw_schema_cache_t *c,
                           struct cw_schema_cache_stats *out) {
        pthread_mutex_lock(&c->lock);
        *out = c->stats;
        out->pending = 0;
        for (size_t i = 0; i < c->n; i++)
                out->pending += c->entries[i].state == CW_SCHEMA_PENDING;
        pthread_mutex_unlock(&c->lock);
}
