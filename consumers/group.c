/* Group membership: assignments become shards (restored through the
 * assigned hook), revocations drop them after a last commit, and an
 * aborted transaction rewinds every shard to the committed offsets. */
#include "consumer_int.h"

#include <errno.h>
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
        /* Whoever gets them next starts from what was committed. */
        for (int p = 0; p < k->partitions; p++)
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        k->origin[p][s] = -1;
        return rc;
}

/* Where an input starts: the offset committed or looked up
 * (look_up_starts), else what auto.offset.reset says (librdkafka reports
 * its error). An explicit RD_KAFKA_OFFSET_BEGINNING instead made shards
 * process records ahead of inputs not yet fetched, as late events
 * (run_parity caught it; librdkafka 2.0.2 looks such an offset up). */
static int64_t start_offset(int64_t committed) {
        return committed >= 0 ? committed : RD_KAFKA_OFFSET_INVALID;
}

int cw_consumer_add_shard(cw_consumer_t *k, int p, int64_t now,
                          const struct cw_shard_start *start) {
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
        sh->start = *start;
        /* An end offset looked up is committed with the next snapshot
         * (at least once), as if a record before it had been done. */
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                int64_t o = start->offset[s];
                cw_merge_set_known(sh->merge, (cw_stream_t)s, o,
                                   start->on_broker[s]);
                sh->in[s].next_offset = o;
                sh->in[s].snapshot =
                        k->origin && o >= 0 && o == k->origin[p][s] ? -1 : o;
        }
        k->shards[p] = sh;
        if (k->hooks.assigned &&
            (sh->held = k->hooks.assigned(k->hooks.opaque, p, &sh->start)) <
                    0) {
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

/* The stream time a committed offset's metadata carries (written by the
 * pipeline with each transaction); INT64_MAX when it carries none. */
static int64_t meta_stream_time(const rd_kafka_topic_partition_t *t) {
        size_t n = strlen(CW_COMMIT_META_PREFIX);
        char buf[32], *end;
        long long v;

        if (!t->metadata || t->metadata_size <= n ||
            t->metadata_size - n >= sizeof(buf) ||
            memcmp(t->metadata, CW_COMMIT_META_PREFIX, n))
                return INT64_MAX;
        memcpy(buf, (const char *)t->metadata + n, t->metadata_size - n);
        buf[t->metadata_size - n] = 0;
        errno = 0;
        v = strtoll(buf, &end, 10);
        return errno || *end || end == buf ? INT64_MAX : (int64_t)v;
}

/* Fills start[] (by partition) with the group's committed offsets of `l`
 * and the stream time they carry. 0, or -1 (failed). */
static int read_committed(cw_consumer_t *k,
                          const rd_kafka_topic_partition_list_t *l,
                          struct cw_shard_start *start) {
        rd_kafka_topic_partition_list_t *c;
        rd_kafka_resp_err_t e;

        for (int p = 0; p < k->partitions; p++) {
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        start[p].offset[s] = start[p].on_broker[s] = -1;
                start[p].committed = 0;
                start[p].stream_time = INT64_MAX;
        }
        if (!(c = rd_kafka_topic_partition_list_copy(l))) {
                cw_consumer_fail(k, "%s", "out of memory");
                return -1;
        }
        e = rd_kafka_committed(k->rk, c, 15000);
        for (int i = 0; !e && i < c->cnt; i++) {
                struct cw_shard_start *st = &start[c->elems[i].partition];
                int s = cw_consumer_stream_of(k, c->elems[i].topic);
                int64_t t = meta_stream_time(&c->elems[i]);
                if ((e = c->elems[i].err))
                        break;
                if (s < 0 || c->elems[i].offset < 0)
                        continue;
                st->offset[s] = c->elems[i].offset;
                st->committed = 1;
                if (t != INT64_MAX &&
                    (st->stream_time == INT64_MAX || t > st->stream_time))
                        st->stream_time = t;
        }
        rd_kafka_topic_partition_list_destroy(c);
        if (e)
                cw_consumer_fail(k, "cannot read the committed offsets: %s",
                                 rd_kafka_err2str(e));
        return e ? -1 : 0;
}

/* Where auto.offset.reset sends an input without a committed offset:
 * RD_KAFKA_OFFSET_BEGINNING or RD_KAFKA_OFFSET_END (as ListOffsets asks
 * for them), or 0 for anything else (error: librdkafka reports it). */
static int64_t reset_to(const cw_config_t *c) {
        const char *v = cw_config_kafka_get(c, "auto.offset.reset");

        if (!v || !strcmp(v, "earliest") || !strcmp(v, "smallest") ||
            !strcmp(v, "beginning"))
                return RD_KAFKA_OFFSET_BEGINNING;
        if (!strcmp(v, "latest") || !strcmp(v, "largest") || !strcmp(v, "end"))
                return RD_KAFKA_OFFSET_END;
        return 0;
}

/*
 * Each input of `l` without a committed offset starts at the offset
 * auto.offset.reset points to, looked up when its shard was first
 * assigned and kept in k->origin until a revocation; looked up now when
 * there is none yet (ListOffsets with the timestamp -2 or -1 answers the
 * earliest or latest offset, as librdkafka's own reset asks). So a rewind
 * goes back to that offset, never to the end of the moment (latest),
 * which would skip the records in between. And librdkafka 2.0.2 never
 * looks a start up itself: when a partition whose lookup is in flight is
 * revoked, the outdated answer makes it query again and fetch the
 * partition for good, into a queue no one reads (memory growing with the
 * partition's traffic; bench/soak.sh found it). 0, or -1 (failed).
 */
static int look_up_starts(cw_consumer_t *k,
                          const rd_kafka_topic_partition_list_t *l,
                          struct cw_shard_start *start) {
        int64_t to = reset_to(k->c);
        rd_kafka_topic_partition_list_t *q;
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;

        if (!to)
                return 0;
        q = rd_kafka_topic_partition_list_new(l->cnt);
        for (int i = 0; i < l->cnt; i++) {
                int p = l->elems[i].partition,
                    s = cw_consumer_stream_of(k, l->elems[i].topic);
                if (s < 0 || start[p].offset[s] >= 0)
                        continue;
                if (k->origin[p][s] >= 0)
                        start[p].offset[s] = k->origin[p][s];
                else
                        rd_kafka_topic_partition_list_add(q, l->elems[i].topic,
                                                          p)
                                ->offset = to;
        }
        if (q->cnt)
                e = rd_kafka_offsets_for_times(k->rk, q, 15000);
        for (int i = 0; !e && i < q->cnt; i++) {
                int p = q->elems[i].partition,
                    s = cw_consumer_stream_of(k, q->elems[i].topic);
                if (!(e = q->elems[i].err) && q->elems[i].offset < 0)
                        e = RD_KAFKA_RESP_ERR__NO_OFFSET;
                if (!e)
                        start[p].offset[s] = k->origin[p][s] =
                                q->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(q);
        if (e)
                cw_consumer_fail(k,
                                 "cannot look up the offsets where "
                                 "auto.offset.reset starts the inputs "
                                 "without a committed offset: %s",
                                 rd_kafka_err2str(e));
        return e ? -1 : 0;
}

/*
 * The end offset of every input of `l` now (ListOffsets, latest): the
 * records up to there are on the broker, and their shard waits for them
 * however long their fetch takes (merge.c, has_records). Without it a
 * shard would know of them only from a fetch response, and would give up
 * on an input whose first fetch is slow (a loaded machine, a broker
 * down) after max_idle_ms, taking its records as late. A failed lookup
 * leaves them unknown, said in a warning.
 */
static void look_up_ends(cw_consumer_t *k,
                         const rd_kafka_topic_partition_list_t *l,
                         struct cw_shard_start *start) {
        rd_kafka_topic_partition_list_t *q =
                rd_kafka_topic_partition_list_new(l->cnt);
        rd_kafka_resp_err_t e;

        for (int i = 0; i < l->cnt; i++)
                if (cw_consumer_stream_of(k, l->elems[i].topic) >= 0)
                        rd_kafka_topic_partition_list_add(q, l->elems[i].topic,
                                                          l->elems[i].partition)
                                ->offset = RD_KAFKA_OFFSET_END;
        e = q->cnt ? rd_kafka_offsets_for_times(k->rk, q, 15000)
                   : RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int i = 0; !e && i < q->cnt; i++) {
                int p = q->elems[i].partition,
                    s = cw_consumer_stream_of(k, q->elems[i].topic);
                if (!q->elems[i].err && q->elems[i].offset >= 0)
                        start[p].on_broker[s] = q->elems[i].offset;
        }
        if (e)
                cw_warn("consumer: cannot look up the end offsets of the "
                        "assigned inputs (%s): a shard waits for an input "
                        "only max_idle_ms until its first fetch answers",
                        rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(q);
}

/*
 * Makes the shards of assignment `l` ours and assigns it, every input at
 * exactly the committed offset its shard's state is restored for (read
 * once for the whole assignment, so a commit landing meanwhile cannot
 * part them), or where auto.offset.reset says when there is none.
 * 0, or -1 (failed).
 */
static int assign_shards(cw_consumer_t *k, rd_kafka_topic_partition_list_t *l) {
        int64_t now = cw_mono_ms();
        struct cw_shard_start *start;
        rd_kafka_resp_err_t e;

        if (!(start = malloc((size_t)k->partitions * sizeof(*start)))) {
                cw_consumer_fail(k, "%s", "out of memory");
                return -1;
        }
        if (!read_committed(k, l, start) && !look_up_starts(k, l, start)) {
                look_up_ends(k, l, start);
                if (k->hooks.assigning)
                        k->hooks.assigning(k->hooks.opaque, new_shards(k, l));
        }
        for (int i = 0; !k->fatal && i < l->cnt; i++) {
                int p = l->elems[i].partition,
                    st = cw_consumer_stream_of(k, l->elems[i].topic);
                if (!cw_consumer_add_shard(k, p, now, &start[p]) && st >= 0)
                        l->elems[i].offset = start_offset(start[p].offset[st]);
        }
        free(start);
        if (k->fatal)
                return -1;
        /* librdkafka keeps an application pause through unassign and
         * assign: each partition gets its own before the assignment, the
         * shard that paused it being gone. A held shard's inputs are
         * paused before they start, or a start offset (no lookup first)
         * would fetch at once what the pause then throws away, and with
         * a small queued.max.messages.kbytes librdkafka would look at
         * them again only a second later. */
        rd_kafka_resume_partitions(k->rk, l);
        for (int p = 0; p < k->partitions; p++)
                if (k->shards[p] && k->shards[p]->held)
                        cw_consumer_pause_shard(k, p, 1);
        if ((e = rd_kafka_assign(k->rk, l))) {
                cw_consumer_fail(k, "cannot assign the partitions: %s",
                                 rd_kafka_err2str(e));
                return -1;
        }
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
