#include "client.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"

/* librdkafka's log lines, through ours: syslog levels to ours, and its
 * note that a shared property (group.id) means nothing to a producer is
 * not worth a warning. */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf) {
        cw_log_level_t l = level <= 3   ? CW_LOG_ERROR
                           : level == 4 ? CW_LOG_WARN
                           : level <= 6 ? CW_LOG_INFO
                                        : CW_LOG_DEBUG;
        if (!strcmp(fac, "CONFWARN") && strstr(buf, "will be ignored"))
                l = CW_LOG_DEBUG;
        if (cw_log_enabled(l))
                cw_log(l, "kafka: %s: %s: %s", rd_kafka_name(rk), fac, buf);
}

/* The file's properties; NULL with "file:line: kafka: ..." when one is
 * refused. */
static rd_kafka_conf_t *file_conf(const cw_config_t *c, char *errstr,
                                  size_t errstr_size) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char err[512];

        for (int i = 0; i < c->n_kafka; i++)
                if (rd_kafka_conf_set(conf, c->kafka[i].name, c->kafka[i].value,
                                      err, sizeof(err)) != RD_KAFKA_CONF_OK) {
                        snprintf(errstr, errstr_size, "%s:%d: kafka: %s",
                                 c->path, c->kafka[i].line, err);
                        rd_kafka_conf_destroy(conf);
                        return NULL;
                }
        return conf;
}

static void set_callbacks(rd_kafka_conf_t *conf,
                          const struct cw_kafka_callbacks *cb) {
        rd_kafka_conf_set_log_cb(conf, kafka_log);
        if (!cb)
                return;
        if (cb->delivery)
                rd_kafka_conf_set_dr_msg_cb(conf, cb->delivery);
        if (cb->rebalance)
                rd_kafka_conf_set_rebalance_cb(conf, cb->rebalance);
        if (cb->error)
                rd_kafka_conf_set_error_cb(conf, cb->error);
        if (cb->offset_commit)
                rd_kafka_conf_set_offset_commit_cb(conf, cb->offset_commit);
        rd_kafka_conf_set_opaque(conf, cb->opaque);
}

rd_kafka_t *cw_kafka_new(const cw_config_t *c, rd_kafka_type_t type,
                         const struct cw_kafka_setting *settings,
                         const struct cw_kafka_callbacks *cb, char *errstr,
                         size_t errstr_size) {
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;

        if (!(conf = file_conf(c, errstr, errstr_size)))
                return NULL;
        if (!cw_config_kafka_has(c, "bootstrap.servers")) {
                snprintf(errstr, errstr_size,
                         "%s: no Kafka cluster: set kafka = { "
                         "bootstrap_servers = \"host:9092\"; };",
                         c->path);
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        /* Every client: no Nagle's algorithm on its connections, as
         * librdkafka's own default became after 2.0: a small request
         * written while an earlier one is unacknowledged goes out at once
         * instead of after the broker's delayed ACK. */
        if (!cw_config_kafka_has(c, "socket.nagle.disable") &&
            rd_kafka_conf_set(conf, "socket.nagle.disable", "true", errstr,
                              errstr_size) != RD_KAFKA_CONF_OK) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        for (const struct cw_kafka_setting *s = settings; s && s->name; s++) {
                if (s->when == CW_KAFKA_SKIP ||
                    (s->when == CW_KAFKA_DEFAULT &&
                     cw_config_kafka_has(c, s->name)))
                        continue;
                if (rd_kafka_conf_set(conf, s->name, s->value, errstr,
                                      errstr_size) != RD_KAFKA_CONF_OK) {
                        rd_kafka_conf_destroy(conf);
                        return NULL;
                }
        }
        set_callbacks(conf, cb);
        if (!(rk = rd_kafka_new(type, conf, errstr, errstr_size)))
                rd_kafka_conf_destroy(conf);
        /* else conf is now owned by rk */
        return rk;
}

int cw_kafka_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms,
                        rd_kafka_resp_err_t *topic_err, char *errstr,
                        size_t errstr_size) {
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t e;
        int n;

        if (!t) {
                snprintf(errstr, errstr_size, "topic %s: %s", topic,
                         rd_kafka_err2str(rd_kafka_last_error()));
                return -1;
        }
        e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
        rd_kafka_topic_destroy(t);
        if (e) {
                snprintf(errstr, errstr_size,
                         "cannot read the metadata of topic %s: %s", topic,
                         rd_kafka_err2str(e));
                return -1;
        }
        e = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__FAIL;
        n = e ? 0 : md->topics[0].partition_cnt;
        if (topic_err)
                *topic_err = e;
        rd_kafka_metadata_destroy(md);
        return n;
}
