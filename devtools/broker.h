/*
 * The embedded broker: librdkafka's mock cluster, a real Kafka-protocol
 * broker inside this process, with every topic of the configuration
 * created. For development, demos and tests only: data lives in memory,
 * and only about the latest 5 MB of each partition is kept (a fixed limit
 * of librdkafka 2.0.2's mock cluster).
 */
#ifndef CW_BROKER_H
#define CW_BROKER_H

#include <stddef.h>

#include "config/config.h"

typedef struct cw_broker cw_broker_t;

/* Starts `brokers` brokers on 127.0.0.1 and creates the four input topics,
 * the warning topic, the dead-letter topic and the state changelog
 * (<group_id>-state) with `partitions` each.
 * NULL with a sentence on error. */
cw_broker_t *cw_broker_start(const cw_config_t *c, int partitions, int brokers,
                             char *errstr, size_t errstr_size);

/* "HOST:PORT[,HOST:PORT...]", valid until cw_broker_stop(). */
const char *cw_broker_bootstraps(const cw_broker_t *b);

/* NULL is a no-op. */
void cw_broker_stop(cw_broker_t *b);

/*
 * Fault injection for tests, one command a line:
 *   errors API ERROR COUNT   the next COUNT requests of API (a name such as
 *                            EndTxn, Produce, TxnOffsetCommit) fail with
 *                            ERROR (librdkafka's name, e.g. NOT_COORDINATOR)
 *   down ID / up ID          broker ID stops or starts answering
 *   create TOPIC PARTITIONS  creates a topic
 *   coordinator transaction|group KEY ID
 *                            moves that coordinator to broker ID
 * 0, or -1 with a sentence.
 */
int cw_broker_command(cw_broker_t *b, const char *line, char *errstr,
                      size_t errstr_size);

#endif
