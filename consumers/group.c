/* Group membership: assignments become shards (restored through the
 * assigned hook), revocations drop them after a last commit, and an
 * aborted transaction rewinds every shard to the committed offsets. */
#include "consumer_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

/* Every partition number of the assignment must come with all four input
 * topics, or a shard could not merge its streams. */
static int check_copartitioned(cw_consumer_t *k,
                               const rd_kafka_topic_partition_list_t *parts) {
        unsigned char *seen = calloc((size_t)k->partitions, 1);
        char msg[256];
        int ok = 1;

        if (!seen)
                return 0;
        for (int i = 0; i < parts->cnt; i++) {
                int s = cw_consumer_stream_of(k, parts->elems[i].topic);
                int p = parts->elems[i].partition;
                if (s < 0 || p < 0 || p >= k->partitions) {
                        snprintf(msg, sizeof(msg), "%s [%d]",
                                 parts->elems[i].topic, p);
                        cw_consumer_fail(
                                k,
                                "the group assigned %s, which is not an input "
                                "partition this instance knows; were "
                                "partitions "
                                "added to a topic?",
                                msg);
                        ok = 0;
                        break;
                }
                seen[p] |= (unsigned char)(1u << s);
        }
        for (int p = 0; ok && p < k->partitions; p++)
                if (seen[p] && seen[p] != (1u << CW_STREAM_COUNT) - 1) {
                        snprintf(msg, sizeof(msg), "%d", p);
                        cw_consumer_fail(
                                k,
                                "the group assigned partition %s of some input "
                                "topics but not of all four: co-partitioning "
                                "needs the range assignor "
                                "(partition.assignment.strategy = \"range\") "
                                "on "
                                "every member",
                                msg);
                        ok = 0;
                }
        free(seen);
        return ok;
}

/* Every shard is gone: its buffered records dropped, the revoked hook run. */
static void drop_shards(cw_consumer_t *k) {
        for (int p = 0; p < k->partitions; p++) {
                if (!k->shards[p])
                        continue;
                cw_consumer_shard_destroy(k, k->shards[p]);
                k->shards[p] = NULL;
                if (k->hooks.revoked)
                        k->hooks.revoked(k->hooks.opaque, p);
        }
}

static int revoke_all(cw_consumer_t *k, int lost) {
        rd_kafka_topic_partition_list_t *l;
        char err[512];
        int rc = 0;

        if (!k->shards)
                return 0;
        if (k->hooks.revoking && k->hooks.revoking(k->hooks.opaque, lost)) {
                cw_error("consumer: output not acknowledged; not committing "
                         "the revoked partitions (their records will be "
                         "processed again)");
                rc = -1;
        } else if (lost) {
                rc = -1; /* no longer ours: commits would be refused */
        } else if ((l = cw_consumer_snapshot(k)) &&
                   cw_consumer_commit(k, l, 1, err, sizeof(err))) {
                cw_error("consumer: %s", err);
                rc = -1;
        }
        drop_shards(k);
        return rc;
}

/* Where an input starts: its committed offset, or without one what
 * auto.offset.reset says (earliest unless configured). An explicit
 * RD_KAFKA_OFFSET_BEGINNING instead made shards process records ahead of
 * inputs not yet fetched, as late events (run_parity caught it; the cause
 * inside librdkafka 2.0.2 was not looked into). */
static int64_t start_offset(int64_t committed) {
        return committed >= 0 ? committed : RD_KAFKA_OFFSET_INVALID;
}

int cw_consumer_add_shard(cw_consumer_t *k, int p, int64_t now,
                          const int64_t start[CW_STREAM_COUNT]) {
        struct shard *sh;

        if (k->shards[p])
                return 0;
        if (!(sh = calloc(1, sizeof(*sh))) ||
            !(sh->merge = cw_merge_new(p, &k->merge_env))) {
                free(sh);
                cw_consumer_fail(k, "%s", "out of memory");
                return -1;
        }
        sh->partition = p;
        sh->last_rx = now;
        memcpy(sh->start, start, sizeof(sh->start));
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                sh->in[s].next_offset = sh->in[s].snapshot = -1;
        k->shards[p] = sh;
        if (k->hooks.assigned &&
            (sh->held = k->hooks.assigned(k->hooks.opaque, p, sh->start)) < 0) {
                cw_consumer_fail(k, "%s", "could not set up an assigned shard");
                return -1;
        }
        if (k->group)
                cw_info("consumer: shard %d assigned", p);
        return 0;
}

/* The partition numbers of `l` that are not a shard yet. */
static int new_shards(const cw_consumer_t *k,
                      const rd_kafka_topic_partition_list_t *l) {
        unsigned char *seen = calloc((size_t)k->partitions, 1);
        int n = 0;

        for (int i = 0; seen && i < l->cnt; i++) {
                int p = l->elems[i].partition;
                if (p < 0 || p >= k->partitions || seen[p] || k->shards[p])
                        continue;
                seen[p] = 1;
                n++;
        }
        free(seen);
        return n;
}

/*
 * Makes the shards of assignment `l` ours and assigns it, every input at
 * exactly the committed offset its shard's state is restored for (read
 * once for the whole assignment, so a commit landing meanwhile cannot
 * part them), or where auto.offset.reset says when there is none.
 * 0, or -1 (failed).
 */
static int assign_shards(cw_consumer_t *k, rd_kafka_topic_partition_list_t *l) {
        int64_t now = cw_mono_ms(), (*start)[CW_STREAM_COUNT];
        rd_kafka_topic_partition_list_t *c;
        rd_kafka_resp_err_t e;

        if (!(start = malloc((size_t)k->partitions * sizeof(*start))) ||
            !(c = rd_kafka_topic_partition_list_copy(l))) {
                free(start);
                cw_consumer_fail(k, "%s", "out of memory");
                return -1;
        }
        for (int p = 0; p < k->partitions; p++)
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        start[p][s] = -1;
        e = rd_kafka_committed(k->rk, c, 15000);
        for (int i = 0; !e && i < c->cnt; i++) {
                int st = cw_consumer_stream_of(k, c->elems[i].topic);
                if ((e = c->elems[i].err))
                        break;
                if (st >= 0 && c->elems[i].offset >= 0)
                        start[c->elems[i].partition][st] = c->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(c);
        if (e)
                cw_consumer_fail(k, "cannot read the committed offsets: %s",
                                 rd_kafka_err2str(e));
        else if (k->hooks.assigning)
                k->hooks.assigning(k->hooks.opaque, new_shards(k, l));
        for (int i = 0; !k->fatal && i < l->cnt; i++) {
                int p = l->elems[i].partition,
                    st = cw_consumer_stream_of(k, l->elems[i].topic);
                if (!cw_consumer_add_shard(k, p, now, start[p]) && st >= 0)
                        l->elems[i].offset = start_offset(start[p][st]);
        }
        free(start);
        if (k->fatal)
                return -1;
        if ((e = rd_kafka_assign(k->rk, l))) {
                cw_consumer_fail(k, "cannot assign the partitions: %s",
                                 rd_kafka_err2str(e));
                return -1;
        }
        /* librdkafka keeps an application pause through unassign and
         * assign, and the shard that paused is gone. */
        rd_kafka_resume_partitions(k->rk, l);
        for (int p = 0; p < k->partitions; p++)
                if (k->shards[p] && k->shards[p]->held)
                        cw_consumer_pause_shard(k, p, 1);
        return 0;
}

void cw_consumer_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t *parts,
                              void *opaque) {
        cw_consumer_t *k = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                if (!check_copartitioned(k, parts) || assign_shards(k, parts))
                        rd_kafka_assign(rk, NULL);
        } else {
                if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
                        cw_error("consumer: rebalance failed: %s",
                                 rd_kafka_err2str(err));
                int lost = rd_kafka_assignment_lost(rk);
                revoke_all(k, lost);
                rd_kafka_assign(rk, NULL);
                cw_info("consumer: partitions %s", lost ? "lost" : "revoked");
        }
}

int cw_consumer_rewind(cw_consumer_t *k, char *errstr, size_t errstr_size) {
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_resp_err_t e;
        int rc;

        if ((e = rd_kafka_assignment(k->rk, &l))) {
                snprintf(errstr, errstr_size, "cannot rewind: %s",
                         rd_kafka_err2str(e));
                return -1;
        }
        rd_kafka_assign(k->rk, NULL);
        drop_shards(k);
        for (int i = 0; i < l->cnt; i++)
                l->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        if ((rc = assign_shards(k, l)))
                snprintf(errstr, errstr_size, "cannot rewind: %s",
                         k->fatal_err);
        rd_kafka_topic_partition_list_destroy(l);
        return rc;
}
