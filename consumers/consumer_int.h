/*
 * Inside the consumer: shared by consumer.c (the client, fetching,
 * offsets) and group.c (assignments and rebalances). Not a public API.
 */
#ifndef CW_CONSUMER_INT_H
#define CW_CONSUMER_INT_H

#include "consumer.h"
#include "merge.h"
#include "registry/framed.h"

/* Messages taken from librdkafka per poll. */
#define BATCH 2048
/* A partition with this many records buffered is paused until it is down
 * to LOW_MARK: memory stays bounded when one input runs ahead of the
 * others (about 300 bytes a buffered message). */
#define HIGH_MARK 50000
#define LOW_MARK 10000
/* What the consumer keeps of one input partition besides its records. */
struct input {
        int paused;
        int64_t next_offset; /* after the last record done; -1: none */
        int64_t snapshot;    /* next_offset at the last snapshot */
};

struct shard {
        int partition;
        int held; /* its assigned hook holds it (restoring): not read */
        cw_merge_t *merge; /* its records, in processing order */
        int64_t last_rx;
        struct cw_shard_start start; /* where its inputs were read from */
        struct input in[CW_STREAM_COUNT];
};

struct cw_consumer {
        const cw_config_t *c;
        struct cw_consumer_hooks hooks;
        rd_kafka_t *rk;
        rd_kafka_queue_t *q;
        int partitions;
        struct shard **shards; /* [partitions]: NULL when not ours */
        /* auto.offset.reset = latest: the end offsets looked up for inputs
         * without a committed offset, kept until the shard is revoked (a
         * rewind goes back to them); -1: none. [partitions] */
        int64_t (*origin)[CW_STREAM_COUNT];
        int rr, budget; /* shard whose turn it is, and what is left */
        cw_decoder_t *decoder[CW_STREAM_COUNT]; /* to explain bad records */
        struct cw_merge_env merge_env;          /* every shard's merge's */
        cw_framed_t *framed; /* Schema Registry framing, or NULL: raw */
        rd_kafka_message_t *batch[BATCH];
        int group; /* a group member, not a reader */
        rd_kafka_topic_t *rkt[CW_STREAM_COUNT]; /* our topics' handles */
        int64_t last_poll; /* monotonic ms the last poll began */
        int64_t on_broker; /* reader of shard 0: records in all partitions */
        int fatal;
        char fatal_err[512];
        uint64_t bad, idle_waits;
};

/* The stream of one of our topics by name, or -1. */
int cw_consumer_stream_of(const cw_consumer_t *k, const char *topic);

/* The consumer has failed: cw_consumer_poll() reports fmt (with %s for
 * detail) from now on. */
void cw_consumer_fail(cw_consumer_t *k, const char *fmt, const char *detail);

/* Shard p is ours (once; later calls do nothing), its inputs read from
 * `start`; runs the assigned hook. 0, or -1 failed. */
int cw_consumer_add_shard(cw_consumer_t *k, int p, int64_t now,
                          const struct cw_shard_start *start);

/* Frees a shard and its buffered records; its idle waits stay counted. */
void cw_consumer_shard_destroy(cw_consumer_t *k, struct shard *sh);

/* Pauses (or resumes) every input partition of shard p. */
void cw_consumer_pause_shard(cw_consumer_t *k, int p, int pause);

/* librdkafka's rebalance callback. */
void cw_consumer_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t *parts,
                              void *opaque);

#endif
