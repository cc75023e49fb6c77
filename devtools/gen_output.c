#include "gen_output.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/file.h"
#include "kafka/client.h"
#include "registry/client.h"
#include "registry/framed.h"
#include "schemas/encode.h"
#include "sinks/avro_file.h"

static const char *const file_names[CW_STREAM_COUNT] = {
        "purchases.avro", "logins.avro", "tickets.avro", "surveys.avro"};

struct cw_gen_output {
        cw_event_encoder_t *enc[CW_STREAM_COUNT];
        /* Files: [partition * CW_STREAM_COUNT + stream]; `parts` folders
         * of them, or one (parts 0). */
        cw_avro_file_t **file;
        char **name; /* each file's path: removed when a failure cuts it */
        int parts;
        unsigned streams; /* streams written (bit 1 << stream) */
        rd_kafka_t *rk;   /* Kafka output */
        rd_kafka_topic_t *topic[CW_STREAM_COUNT];
        long long undelivered; /* delivery reports with an error */
        double rate, start;
        unsigned long long sent;
        const atomic_int *stop;
        int32_t schema_id[CW_STREAM_COUNT]; /* framed values; -1: raw */
        struct cw_frame_buf frame;
        char path[CW_STREAM_COUNT][PATH_MAX];
        char err[PATH_MAX + 1024]; /* a path and what went wrong there */
};

static cw_gen_output_t *new_output(const cw_schemas_t *s, char *errstr,
                                   size_t errstr_size) {
        cw_gen_output_t *o = calloc(1, sizeof(*o));

        if (!o) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        o->streams = (1u << CW_STREAM_COUNT) - 1;
        for (int st = 0; st < CW_STREAM_COUNT; st++)
                o->schema_id[st] = -1;
        for (int st = 0; st < CW_STREAM_COUNT; st++)
                if (!(o->enc[st] = cw_event_encoder_new(s, (cw_stream_t)st,
                                                        errstr, errstr_size))) {
                        cw_gen_output_close(o, NULL, 0);
                        return NULL;
                }
        return o;
}

static int make_dir(const char *dir, char *errstr, size_t errstr_size) {
        struct stat st;

        if (mkdir(dir, 0777) == 0 ||
            (errno == EEXIST && !stat(dir, &st) && S_ISDIR(st.st_mode)))
                return 0;
        snprintf(errstr, errstr_size, "cannot create the folder %s: %s", dir,
                 errno == EEXIST ? "a file of that name is in the way"
                                 : strerror(errno));
        return -1;
}

/* The four files of folder `dir` at o->file[first...]. 0, or -1 with a
 * sentence. */
static int open_files(cw_gen_output_t *o, const char *dir, int first,
                      char *errstr, size_t errstr_size) {
        char path[PATH_MAX];

        if (make_dir(dir, errstr, errstr_size))
                return -1;
        for (int st = 0; st < CW_STREAM_COUNT; st++) {
                if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
                                     file_names[st]) >= sizeof(path)) {
                        snprintf(errstr, errstr_size,
                                 "%s: the folder name is too long", dir);
                        return -1;
                }
                if (!(o->name[first + st] = strdup(path))) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return -1;
                }
                if (!(o->file[first + st] = cw_avro_file_open(
                              path, cw_schemas_text((cw_schema_id_t)st), errstr,
                              errstr_size)))
                        return -1;
        }
        return 0;
}

cw_gen_output_t *cw_gen_output_files(const char *dir, int partitions,
                                     const cw_schemas_t *s, char *errstr,
                                     size_t errstr_size) {
        int folders = partitions > 0 ? partitions : 1;
        char sub[PATH_MAX];
        cw_gen_output_t *o;

        if (make_dir(dir, errstr, errstr_size) ||
            !(o = new_output(s, errstr, errstr_size)))
                return NULL;
        o->parts = partitions > 0 ? partitions : 0;
        /* What an encoding error names. */
        for (int st = 0; st < CW_STREAM_COUNT; st++)
                snprintf(o->path[st], sizeof(o->path[st]),
                         o->parts ? "%s/<partition>/%s" : "%s/%s", dir,
                         file_names[st]);
        if (!(o->file = calloc((size_t)folders * CW_STREAM_COUNT,
                               sizeof(*o->file))) ||
            !(o->name = calloc((size_t)folders * CW_STREAM_COUNT,
                               sizeof(*o->name)))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_close;
        }
        for (int p = 0; p < folders; p++) {
                if (!o->parts)
                        snprintf(sub, sizeof(sub), "%s", dir);
                else if ((size_t)snprintf(sub, sizeof(sub), "%s/%d", dir, p) >=
                         sizeof(sub)) {
                        snprintf(errstr, errstr_size,
                                 "%s: the folder name is too long", dir);
                        goto out_close;
                }
                if (open_files(o, sub, p * CW_STREAM_COUNT, errstr,
                               errstr_size))
                        goto out_close;
        }
        return o;
out_close:
        cw_gen_output_discard(o);
        return NULL;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
        cw_gen_output_t *o = opaque;
        (void)rk;
        if (m->err && o->undelivered++ == 0)
                snprintf(o->err, sizeof(o->err), "topic %s [%d]: %s",
                         rd_kafka_topic_name(m->rkt), (int)m->partition,
                         rd_kafka_err2str(m->err));
}

/* Schema Registry: each input schema's id under "<topic>-value"; values
 * are framed with it. 0, or -1 with a sentence. */
static int register_inputs(cw_gen_output_t *o, const cw_config_t *c,
                           char *errstr, size_t errstr_size) {
        char subject[600];

        for (int st = 0; st < CW_STREAM_COUNT; st++) {
                snprintf(subject, sizeof(subject), "%s-value", c->topics[st]);
                if (cw_registry_subject_id(c->registry, subject,
                                           cw_schemas_text((cw_schema_id_t)st),
                                           NULL, &o->schema_id[st], errstr,
                                           errstr_size))
                        return -1;
        }
        return 0;
}

cw_gen_output_t *cw_gen_output_kafka(const cw_config_t *c,
                                     const cw_schemas_t *s, double rate,
                                     int linger_ms, char *errstr,
                                     size_t errstr_size) {
        cw_gen_output_t *o;
        char linger[16];
        /* murmur2 on the customer id, as Java clients partition, keeps each
         * customer on one partition number of every (equally partitioned)
         * topic. */
        const struct cw_kafka_setting settings[] = {
                {"partitioner", "murmur2_random", CW_KAFKA_ALWAYS},
                {"linger.ms", linger, CW_KAFKA_DEFAULT},
                {NULL, NULL, CW_KAFKA_ALWAYS}};
        struct cw_kafka_callbacks cb = {.delivery = on_delivery};

        snprintf(linger, sizeof(linger), "%d", linger_ms);
        if (!(o = new_output(s, errstr, errstr_size)))
                return NULL;
        o->rate = rate;
        cb.opaque = o;
        if (!(o->rk = cw_kafka_new(c, RD_KAFKA_PRODUCER, settings, &cb, errstr,
                                   errstr_size)))
                goto out_close;
        for (int st = 0; st < CW_STREAM_COUNT; st++) {
                snprintf(o->path[st], sizeof(o->path[st]), "topic %s",
                         c->topics[st]);
                o->topic[st] = rd_kafka_topic_new(o->rk, c->topics[st], NULL);
        }
        if (c->registry && register_inputs(o, c, errstr, errstr_size))
                goto out_close;
        o->start = cw_mono_s();
        return o;
out_close:
        cw_gen_output_discard(o);
        return NULL;
}

void cw_gen_output_streams(cw_gen_output_t *o, unsigned mask) {
        o->streams = mask;
}

void cw_gen_output_stop_on(cw_gen_output_t *o, const atomic_int *stop) {
        o->stop = stop;
}

/* Produces one encoded event; waits while the local queue is full, and
 * paces to the rate. */
static int produce(cw_gen_output_t *o, const struct cw_event *ev,
                   const void *buf, size_t len) {
        while (rd_kafka_produce(o->topic[ev->stream], RD_KAFKA_PARTITION_UA,
                                RD_KAFKA_MSG_F_COPY, (void *)buf, len,
                                ev->customer_id.p, ev->customer_id.len,
                                NULL) == -1) {
                if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        snprintf(o->err, sizeof(o->err), "%s: %s",
                                 o->path[ev->stream],
                                 rd_kafka_err2str(rd_kafka_last_error()));
                        return 1;
                }
                rd_kafka_poll(o->rk, 100);
        }
        rd_kafka_poll(o->rk, 0);
        o->sent++;
        if (o->rate > 0) {
                double ahead =
                        o->start + (double)o->sent / o->rate - cw_mono_s();
                if (ahead > 0.001) {
                        struct timespec t = {
                                (time_t)ahead,
                                (long)((ahead - (double)(time_t)ahead) * 1e9)};
                        nanosleep(&t, NULL);
                }
        }
        return o->undelivered ? 1 : 0;
}

int cw_gen_output_event(void *opaque, const struct cw_event *ev) {
        cw_gen_output_t *o = opaque;
        const void *buf;
        size_t len;
        int32_t part;
        char why[512];

        if (o->stop && atomic_load(o->stop))
                return 1;
        if (!(o->streams & (1u << ev->stream)))
                return 0;
        if (cw_event_encode(o->enc[ev->stream], ev, &buf, &len, why,
                            sizeof(why))) {
                snprintf(o->err, sizeof(o->err), "%s: %s", o->path[ev->stream],
                         why);
                return 1;
        }
        if (o->schema_id[ev->stream] >= 0 &&
            cw_frame_value(&o->frame, o->schema_id[ev->stream], buf, len, &buf,
                           &len)) {
                snprintf(o->err, sizeof(o->err), "out of memory");
                return 1;
        }
        if (o->rk)
                return produce(o, ev, buf, len);
        /* The partition the Kafka output's murmur2 partitioner picks. */
        part = o->parts ? rd_kafka_msg_partitioner_murmur2(
                                  NULL, ev->customer_id.p, ev->customer_id.len,
                                  o->parts, NULL, NULL)
                        : 0;
        return cw_avro_file_append(o->file[part * CW_STREAM_COUNT + ev->stream],
                                   buf, len, o->err, sizeof(o->err))
                       ? 1
                       : 0;
}

const char *cw_gen_output_error(const cw_gen_output_t *o) {
        return o->err;
}

/* Frees the files' names; with `remove`, removes those that are regular
 * files first (never a device such as /dev/full): how many. */
static int drop_names(cw_gen_output_t *o, int remove) {
        int removed = 0;

        for (int i = 0;
             o->name && i < (o->parts ? o->parts : 1) * CW_STREAM_COUNT; i++) {
                if (remove && o->name[i] && cw_file_is_regular(o->name[i]) &&
                    unlink(o->name[i]) == 0)
                        removed++;
                free(o->name[i]);
        }
        free(o->name);
        o->name = NULL;
        return removed;
}

/* Flushes and frees; with `discard`, or when writing the files failed,
 * removes them. rc 0 or -1 (with a sentence in err); *removed files. */
static int finish(cw_gen_output_t *o, int discard, char *err, size_t err_size,
                  int *removed) {
        int rc = 0;

        err[0] = 0;
        if (o->rk) {
                /* Every event must be acknowledged before gen says done. */
                if (rd_kafka_flush(o->rk, 60000) || o->undelivered) {
                        snprintf(err, err_size, "%d events not delivered%s%s",
                                 rd_kafka_outq_len(o->rk) + (int)o->undelivered,
                                 o->undelivered ? "; first: " : " within 60 s",
                                 o->undelivered ? o->err : "");
                        rc = -1;
                }
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        if (o->topic[s])
                                rd_kafka_topic_destroy(o->topic[s]);
                rd_kafka_destroy(o->rk);
        }
        for (int i = 0;
             o->file && i < (o->parts ? o->parts : 1) * CW_STREAM_COUNT; i++)
                if (cw_avro_file_close(o->file[i], o->err, sizeof(o->err)) &&
                    !rc) {
                        snprintf(err, err_size, "%s", o->err);
                        rc = -1;
                }
        free(o->file);
        *removed = drop_names(o, discard || rc);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                cw_event_encoder_destroy(o->enc[s]);
        cw_frame_buf_free(&o->frame);
        free(o);
        return rc;
}

int cw_gen_output_close(cw_gen_output_t *o, char *errstr, size_t errstr_size) {
        char err[sizeof(o->err) + 64];
        int removed, rc;

        if (!o)
                return 0;
        rc = finish(o, 0, err, sizeof(err), &removed);
        if (rc && errstr)
                snprintf(errstr, errstr_size, "%s%s", err,
                         removed ? "; the files written, incomplete, were "
                                   "removed"
                                 : "");
        return rc;
}

int cw_gen_output_discard(cw_gen_output_t *o) {
        char err[sizeof(o->err) + 64];
        int removed;

        if (!o)
                return 0;
        finish(o, 1, err, sizeof(err), &removed);
        return removed;
}
