#include "broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

struct cw_broker {
        rd_kafka_t *rk; /* the mock cluster lives inside a client handle */
        rd_kafka_mock_cluster_t *mc;
};

cw_broker_t *cw_broker_start(const cw_config_t *c, int partitions, int brokers,
                             char *errstr, size_t errstr_size) {
        cw_broker_t *b = calloc(1, sizeof(*b));
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        const char *topics[CW_STREAM_COUNT + 2];

        if (!b) {
                snprintf(errstr, errstr_size, "out of memory");
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        /* This handle never produces anything: quiet. */
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr, errstr_size) !=
                    RD_KAFKA_CONF_OK ||
            !(b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                   errstr_size))) {
                rd_kafka_conf_destroy(conf);
                free(b);
                return NULL;
        }
        if (!(b->mc = rd_kafka_mock_cluster_new(b->rk, brokers))) {
                snprintf(errstr, errstr_size, "cannot start the mock cluster");
                goto out_stop;
        }
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                topics[s] = c->topics[s];
        topics[CW_STREAM_COUNT] = c->warnings_topic;
        topics[CW_STREAM_COUNT + 1] = c->dead_letter_topic;
        for (int i = 0; i < CW_STREAM_COUNT + 2; i++) {
                rd_kafka_resp_err_t e =
                        rd_kafka_mock_topic_create(b->mc, topics[i], partitions,
                                                   brokers < 3 ? brokers : 3);
                if (e) {
                        snprintf(errstr, errstr_size, "creating topic %s: %s",
                                 topics[i], rd_kafka_err2str(e));
                        goto out_stop;
                }
        }
        return b;
out_stop:
        cw_broker_stop(b);
        return NULL;
}

const char *cw_broker_bootstraps(const cw_broker_t *b) {
        return rd_kafka_mock_cluster_bootstraps(b->mc);
}

void cw_broker_stop(cw_broker_t *b) {
        if (!b)
                return;
        if (b->mc)
                rd_kafka_mock_cluster_destroy(b->mc);
        rd_kafka_destroy(b->rk);
        free(b);
}
