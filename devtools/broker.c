#include "broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * librdkafka 2.0.2's mock brokers leave Nagle's algorithm on for the
 * connections they accept, where Kafka's brokers turn it off (TCP_NODELAY
 * on every accepted socket). With it on, a response written while the
 * client has not yet acknowledged the previous one waits for the client's
 * delayed ACK, 40 ms on Linux: that was the p99 of event-to-warning latency
 * (48 ms at least once) and most of every transaction commit. The mock's
 * listener lives inside librdkafka, which calls accept(): this definition
 * in the executable is found first, accepts through the system call and
 * turns Nagle off, as a Kafka broker does. (Other accepted sockets, the
 * metrics endpoint's, only gain from it.)
 */
int accept(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len) {
        int s = (int)syscall(SYS_accept4, fd, addr.__sockaddr__, len, 0);
        int one = 1;

        if (s >= 0)
                (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
                                 sizeof(one));
        return s;
}

struct cw_broker {
        rd_kafka_t *rk; /* the mock cluster lives inside a client handle */
        rd_kafka_mock_cluster_t *mc;
};

cw_broker_t *cw_broker_start(const cw_config_t *c, int partitions, int brokers,
                             char *errstr, size_t errstr_size) {
        cw_broker_t *b = calloc(1, sizeof(*b));
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        const char *topics[CW_STREAM_COUNT + 3];
        char state[512];

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
        /* The mock cluster has no CreateTopics: `run` finds the state
         * changelog here, co-partitioned with the inputs. */
        cw_config_state_topic(c, state, sizeof(state));
        topics[CW_STREAM_COUNT + 2] = state;
        for (int i = 0; i < CW_STREAM_COUNT + 3; i++) {
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

/* Kafka API keys by name, for fault injection. */
static const struct {
        const char *name;
        int16_t key;
} apis[] = {{"Produce", 0},
            {"Fetch", 1},
            {"ListOffsets", 2},
            {"Metadata", 3},
            {"OffsetCommit", 8},
            {"OffsetFetch", 9},
            {"FindCoordinator", 10},
            {"JoinGroup", 11},
            {"Heartbeat", 12},
            {"LeaveGroup", 13},
            {"SyncGroup", 14},
            {"InitProducerId", 22},
            {"AddPartitionsToTxn", 24},
            {"AddOffsetsToTxn", 25},
            {"EndTxn", 26},
            {"TxnOffsetCommit", 28}};

static int api_key(const char *name) {
        for (size_t i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
                if (!strcmp(apis[i].name, name))
                        return apis[i].key;
        return -1;
}

static int err_code(const char *name, rd_kafka_resp_err_t *out) {
        const struct rd_kafka_err_desc *d;
        size_t n;

        rd_kafka_get_err_descs(&d, &n);
        for (size_t i = 0; i < n; i++)
                if (d[i].name && !strcmp(d[i].name, name)) {
                        *out = d[i].code;
                        return 0;
                }
        return -1;
}

int cw_broker_command(cw_broker_t *b, const char *line, char *errstr,
                      size_t errstr_size) {
        char cmd[32] = "", a[128] = "", c[128] = "";
        long x = 0;
        int n = sscanf(line, "%31s %127s %127s %ld", cmd, a, c, &x);
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;

        if (n >= 4 && !strcmp(cmd, "errors")) {
                /* errors API ERROR COUNT: the next COUNT requests of API
                 * (to any broker) fail with ERROR. */
                int key = api_key(a);
                if (key < 0 || err_code(c, &e) || x < 1 || x > 1000) {
                        snprintf(errstr, errstr_size,
                                 "errors API ERROR COUNT: unknown API or "
                                 "error, or COUNT not 1..1000: %s",
                                 line);
                        return -1;
                }
                for (long i = 0; i < x; i++)
                        rd_kafka_mock_push_request_errors(b->mc, (int16_t)key,
                                                          1, e);
                return 0;
        }
        if (n >= 2 && (!strcmp(cmd, "down") || !strcmp(cmd, "up"))) {
                int id = atoi(a);
                e = !strcmp(cmd, "down")
                            ? rd_kafka_mock_broker_set_down(b->mc, id)
                            : rd_kafka_mock_broker_set_up(b->mc, id);
        } else if (n >= 3 && !strcmp(cmd, "create")) {
                /* create TOPIC PARTITIONS */
                int parts = atoi(c);
                e = parts < 1 ? RD_KAFKA_RESP_ERR__INVALID_ARG
                              : rd_kafka_mock_topic_create(b->mc, a, parts, 1);
        } else if (n >= 4 && !strcmp(cmd, "coordinator")) {
                /* coordinator transaction|group KEY BROKER */
                e = rd_kafka_mock_coordinator_set(b->mc, a, c, (int32_t)x);
        } else {
                snprintf(errstr, errstr_size,
                         "unknown command (errors API ERROR COUNT, down ID, "
                         "up ID, create TOPIC PARTITIONS, coordinator "
                         "transaction|group KEY ID): %s",
                         line);
                return -1;
        }
        if (e) {
                snprintf(errstr, errstr_size, "%s: %s", line,
                         rd_kafka_err2str(e));
                return -1;
        }
        return 0;
}
