/*
 * Kafka clients made from the configuration: the one set-up that the
 * consumer, the producer, the changelog reader, `tail` and the generator
 * share. A client gets every property of the file's `kafka` group, then
 * the settings its caller needs (fixed ones always; defaults only where
 * the file says nothing), librdkafka's log lines through ours, and the
 * caller's callbacks. Every rd_kafka_conf_set() is checked.
 */
#ifndef CW_KAFKA_CLIENT_H
#define CW_KAFKA_CLIENT_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "config/config.h"

/* When a caller's setting applies. */
enum cw_kafka_when {
        CW_KAFKA_ALWAYS = 0, /* over whatever the file says */
        CW_KAFKA_DEFAULT,    /* only when the file does not set it */
        CW_KAFKA_SKIP,       /* not at all: it does not apply this time */
};

/* A property the caller sets on top of the file's. */
struct cw_kafka_setting {
        const char *name; /* librdkafka's dotted name; NULL ends a list */
        const char *value;
        enum cw_kafka_when when;
};

/* Callbacks and their opaque; any may be NULL. */
struct cw_kafka_callbacks {
        void *opaque;
        void (*delivery)(rd_kafka_t *rk, const rd_kafka_message_t *m,
                         void *opaque);
        void (*rebalance)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t *parts, void *opaque);
        void (*error)(rd_kafka_t *rk, int err, const char *reason,
                      void *opaque);
        void (*offset_commit)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t *offsets,
                              void *opaque);
};

/*
 * A client of `type` for the cluster of configuration `c`, with `settings`
 * (a list ended by a NULL name; may be NULL) and `cb` (may be NULL).
 * NULL with a sentence naming the file and line of a property librdkafka
 * refuses, or saying that bootstrap.servers is not set.
 */
rd_kafka_t *cw_kafka_new(const cw_config_t *c, rd_kafka_type_t type,
                         const struct cw_kafka_setting *settings,
                         const struct cw_kafka_callbacks *cb, char *errstr,
                         size_t errstr_size);

/*
 * The partition count of `topic`: > 0, or 0 when the cluster says it does
 * not exist (its error in *topic_err when not NULL), or -1 with a sentence
 * when the metadata could not be read within timeout_ms.
 */
int cw_kafka_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms,
                        rd_kafka_resp_err_t *topic_err, char *errstr,
                        size_t errstr_size);

#endif
