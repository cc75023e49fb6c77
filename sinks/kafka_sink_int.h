/*
 * Inside the Kafka sink: shared by kafka_sink.c (the producer, producing,
 * acknowledgements) and kafka_txn.c (transactions, and the output held
 * while one commits).
 */
#ifndef CW_KAFKA_SINK_INT_H
#define CW_KAFKA_SINK_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "common/histogram.h"
#include "kafka_sink.h"
#include "registry/framed.h"
#include "schemas/warning_codec.h"

/*
 * In-flight messages are tracked in a ring indexed by sequence number: a
 * slot holds the cause timestamp until the message is acknowledged. When
 * the ring is full the producer waits for acknowledgements, which bounds
 * memory at 9 bytes a slot whatever the rate.
 */
#define RING (1u << 17)
#define RING_MASK (RING - 1)

#define LAT_BUCKET_US 50
#define LAT_BUCKETS 20000

/* Messages held while a transaction commits, at most; past it the sink
 * says it is full and `run` stops taking records until the commit ends. */
#define HELD_MAX 65536

enum { OUT_WARNING = 0, OUT_DEAD_LETTER = 1, OUT_STATE = 2 };

/* Latencies in 50 µs buckets up to one second, then one overflow. */
struct lat {
        uint32_t *b; /* [LAT_BUCKETS + 1] */
        uint64_t n;
        double max_ms;
};

void cw_lat_add(struct lat *l, double ms);
double cw_lat_quantile(const struct lat *l, double q);

/* One message for the cluster; key, value and header values are borrowed
 * (librdkafka copies them, or the sink does when it holds the message). */
struct out {
        int kind;          /* OUT_* */
        int32_t partition; /* RD_KAFKA_PARTITION_UA: the partitioner's */
        const void *key;
        size_t key_len;
        const void *value;
        size_t len;
        int64_t cause_ms; /* the input record's timestamp, or -1 */
        int n_hdr;
        struct {
                const char *name; /* a string literal */
                const void *v;
                size_t len;
        } hdr[4];
};

/* A held message and the memory that owns its bytes. */
struct held {
        struct out o;
        unsigned char *mem;
};

struct cw_kafka_sink {
        const cw_config_t *c;
        rd_kafka_t *rk;
        rd_kafka_topic_t *warnings, *dead_letter, *state;
        char *txn_id; /* transactional.id, or NULL: at least once */
        int in_txn;   /* a transaction is open */
        /* A transaction is committing (cw_kafka_sink_commit_start): output
         * is held until it has, then opens the next. The commit runs on a
         * thread of its own, which serves the delivery reports meanwhile:
         * the processing thread touches nothing they write (the counters,
         * the ring, `failed`) until it has joined it, and shows `snap`. */
        int committing;
        struct held *held;
        size_t n_held, cap_held;
        int held_failed; /* holding failed: the next transaction aborts */
        char held_err[512];
        pthread_t commit_thread;
        pthread_mutex_t commit_mu;
        pthread_cond_t commit_cv;
        int commit_done;              /* under commit_mu */
        rd_kafka_error_t *commit_err; /* its outcome, NULL: committed */
        const char *commit_what;      /* what failed */
        int64_t commit_end_us;        /* wall clock when it ended */
        rd_kafka_topic_partition_list_t *commit_offsets; /* its own copy */
        rd_kafka_consumer_group_metadata_t *commit_group;
        struct cw_kafka_sink_stats snap;
        cw_warning_encoder_t *enc;
        int framed; /* Schema Registry: values framed with schema_id */
        int32_t schema_id;
        struct cw_frame_buf frame; /* a framed value */
        uint64_t produced, acked;
        uint8_t *done;    /* [RING] acknowledged, not yet passed */
        int64_t *cause;   /* [RING] µs from the cause to produce(), or
                             -1 */
        uint8_t *is_dead; /* [RING] OUT_* */
        uint64_t n_warnings, n_dead, n_state;
        struct lat lat;     /* cause to acknowledgement */
        struct lat visible; /* exactly once: cause to its commit's end */
        int64_t *sent_us;   /* [RING] wall clock of produce() */
        uint64_t txn_first; /* the open transaction's first sequence */
        struct cw_hist lat_hist;
        uint64_t discard_below; /* reports of aborted messages: ignored */
        int failed;
        char fail_err[512];
        volatile sig_atomic_t *stop; /* asked to stop: waits give up */
};

/* Fails the sink with `what` (unless it failed already); the first
 * failure's sentence in errstr. Returns -1. */
int cw_kafka_sink_fail(cw_kafka_sink_t *k, const char *what, char *errstr,
                       size_t errstr_size);

/* Produces o now (opening a transaction, exactly once). 0, or -1 with a
 * sentence (the sink has failed). */
int cw_kafka_sink_send(cw_kafka_sink_t *k, const struct out *o, char *errstr,
                       size_t errstr_size);

/* Keeps o until the commit in progress ends. 0, or -1 with a sentence. */
int cw_kafka_sink_hold(cw_kafka_sink_t *k, const struct out *o, char *errstr,
                       size_t errstr_size);

/* Everything produced or held so far belongs to an aborted transaction:
 * its reports are ignored, nothing of it is waited for, held output is
 * dropped. */
void cw_kafka_sink_forget(cw_kafka_sink_t *k);

/* Waits for the commit in progress, if any, and frees the held output
 * (the sink's end, or a new producer). */
void cw_kafka_sink_free_held(cw_kafka_sink_t *k);

#endif
