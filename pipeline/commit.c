/*
 * Commits: exactly once, a transaction per commit interval; at least once,
 * checkpoints of offsets committed once the output they caused is
 * acknowledged. Both write the interval's changelog records first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "pipeline_int.h"

/* Transactions aborted in a row before `run` gives up. */
#define MAX_ABORTS_IN_ROW 10

struct change_ctx {
        cw_pipeline_t *p;
        int shard;
        uint8_t offsets[CW_CHANGELOG_HEADER_LEN];
        uint64_t n;
};

static int put_change(void *opaque, const char *id, size_t id_len,
                      const uint8_t *state, size_t state_len) {
        struct change_ctx *x = opaque;
        char err[512];

        if (cw_kafka_sink_state(x->p->out, x->shard, id, id_len, state,
                                state_len, x->offsets, sizeof(x->offsets), err,
                                sizeof(err))) {
                cw_pipeline_output_failed(x->p, "changelog", err);
                return -1;
        }
        x->n++;
        return 0;
}

/* Writes every shard's changes since the last call, then its metadata when
 * anything moved. 0, or -1 (failed). */
int cw_pipeline_write_changes(cw_pipeline_t *p) {
        char err[512];

        for (int i = 0; i < p->partitions && !p->failed && !p->txn_failed;
             i++) {
                struct shard *sh = &p->shards[i];
                struct change_ctx x = {p, i, {0}, 0};
                struct cw_shard_meta m;
                uint8_t buf[CW_CHANGELOG_META_LEN];

                if (!p->engines[i] || sh->restoring)
                        continue;
                cw_changelog_encode_header(&sh->pos,
                                           cw_engine_stream_time(p->engines[i]),
                                           x.offsets);
                if (cw_engine_collect_changes(p->engines[i], put_change, &x)) {
                        /* Exactly once, a change that could not be
                         * produced only voids the transaction. */
                        if (!p->txn_failed && !p->failed)
                                cw_pipeline_fail(p, "changelog",
                                                 "out of memory");
                        break;
                }
                m.stream_time = cw_engine_stream_time(p->engines[i]);
                m.applied = sh->applied_base +
                            cw_engine_stats(p->engines[i])->applied;
                m.pos = sh->pos;
                if (!x.n && !sh->meta_unwritten &&
                    !memcmp(&m, &sh->written, sizeof(m)))
                        continue;
                cw_changelog_encode_meta(&m, buf);
                if (cw_kafka_sink_state(p->out, i, cw_changelog_meta_key,
                                        CW_CHANGELOG_META_KEY_LEN, buf,
                                        sizeof(buf), x.offsets,
                                        sizeof(x.offsets), err, sizeof(err)))
                        cw_pipeline_output_failed(p, "changelog", err);
                else {
                        sh->written = m;
                        sh->meta_unwritten = 0;
                }
        }
        return p->failed ? -1 : 0;
}

/* Every assigned shard's input positions: what a transaction commits
 * (whole, each time, so that a commit that failed is made good by the
 * next), each with the shard's stream time as its metadata, which the
 * changelog records of the transaction carry too (a restore tells an
 * aborted interval that only moved stream time apart by it). NULL when
 * there is none. */
static rd_kafka_topic_partition_list_t *positions(cw_pipeline_t *p) {
        rd_kafka_topic_partition_list_t *l = NULL;
        rd_kafka_topic_partition_t *t;
        char meta[64];

        for (int i = 0; i < p->partitions; i++)
                for (int st = 0; p->engines[i] && !p->shards[i].restoring &&
                                 st < CW_STREAM_COUNT;
                     st++) {
                        if (p->shards[i].pos.next[st] < 0)
                                continue;
                        if (!l)
                                l = rd_kafka_topic_partition_list_new(
                                        4 * p->partitions);
                        t = rd_kafka_topic_partition_list_add(
                                l, p->c->topics[st], i);
                        t->offset = p->shards[i].pos.next[st];
                        snprintf(meta, sizeof(meta), "%s%lld",
                                 CW_COMMIT_META_PREFIX,
                                 (long long)cw_engine_stream_time(
                                         p->engines[i]));
                        /* The list frees it (librdkafka's rd_free). */
                        if ((t->metadata = strdup(meta)))
                                t->metadata_size = strlen(meta);
                }
        return l;
}

/* Whether two lists of positions are the same, metadata included. */
static int same_positions(const rd_kafka_topic_partition_list_t *a,
                          const rd_kafka_topic_partition_list_t *b) {
        if (!a || !b || a->cnt != b->cnt)
                return 0;
        for (int i = 0; i < a->cnt; i++) {
                const rd_kafka_topic_partition_t *x = &a->elems[i],
                                                 *y = &b->elems[i];
                if (strcmp(x->topic, y->topic) ||
                    x->partition != y->partition || x->offset != y->offset ||
                    x->metadata_size != y->metadata_size ||
                    (x->metadata_size &&
                     memcmp(x->metadata, y->metadata, x->metadata_size)))
                        return 0;
        }
        return 1;
}

void cw_pipeline_forget_committed(cw_pipeline_t *p) {
        if (p->committed_offsets)
                rd_kafka_topic_partition_list_destroy(p->committed_offsets);
        p->committed_offsets = NULL;
}

static void checkpoint(cw_pipeline_t *p) {
        rd_kafka_topic_partition_list_t *l = cw_consumer_snapshot(p->k);
        struct checkpoint *cp;

        if (!l)
                return;
        if (!(cp = calloc(1, sizeof(*cp)))) {
                rd_kafka_topic_partition_list_destroy(l);
                cw_pipeline_fail(p, "checkpoint", "out of memory");
                return;
        }
        cp->offsets = l;
        cp->mark = cw_kafka_sink_produced(p->out);
        if (p->tail)
                p->tail->next = cp;
        else
                p->head = cp;
        p->tail = cp;
}

/*
 * Exactly once: one transaction holds the interval's warnings, dead
 * letters, changelog records and input offsets. After it commits, the same
 * offsets are committed directly too: a no-op on Kafka, where the
 * transaction already did, but librdkafka's mock cluster does not keep a
 * transaction's offsets. A transaction that fails is aborted and every
 * shard starts again from the committed offsets with its state restored;
 * a fenced producer is replaced first.
 *
 * The commit itself goes on in the background (sinks/kafka_txn.c): the
 * processing thread starts it, polls it between records, and meanwhile
 * the sink holds what records produce for the next transaction. The
 * processing thread is blocked only while the changelog records are
 * produced and the offsets added (two round trips), and for the direct
 * offset commit at the end.
 */

/* Time the processing thread spent on commits since t0 (cw_mono_s). */
static void blocked(cw_pipeline_t *p, double t0) {
        double s = cw_mono_s() - t0;

        p->commit_blocked += s;
        if (s > p->n.commit_block_max)
                p->n.commit_block_max = s;
}

/* The end of a commit cycle: what it cost, what it took. */
static void cycle_done(cw_pipeline_t *p) {
        double took = cw_mono_s() - p->commit_started;

        cw_hist_observe(&p->n.commit, p->commit_blocked);
        p->commit_blocked = 0;
        p->n.commit_took_sum += took;
        if (took > p->n.commit_took_max)
                p->n.commit_took_max = took;
}

/* A transaction's outcome r: bookkeeping, and after an abort a new
 * producer when the old one is fenced or broken, and (with `rewind`) every
 * shard back to the committed offsets. 0; or -1 when `run` failed, or the
 * transaction aborted without `rewind`. */
static int commit_end(cw_pipeline_t *p, int r, const char *why) {
        rd_kafka_topic_partition_list_t *offsets = p->txn_offsets;
        int rewind = p->txn_rewind;
        char err[1024];

        p->txn_offsets = NULL;
        cycle_done(p);
        if (r == CW_TXN_OK) {
                p->n.txn_commits += p->txn_real;
                p->aborts_in_row = 0;
                if (!offsets)
                        return 0;
                cw_pipeline_forget_committed(p);
                p->committed_offsets =
                        rd_kafka_topic_partition_list_copy(offsets);
                /* Synchronously: a restore reads these offsets back. */
                if (cw_consumer_commit(p->k, offsets, 1, err, sizeof(err))) {
                        cw_warn("run: %s", err);
                        cw_pipeline_forget_committed(p);
                }
                return 0;
        }
        if (offsets)
                rd_kafka_topic_partition_list_destroy(offsets);
        cw_pipeline_forget_committed(p);
        p->n.txn_aborts++;
        /* A fault that every retry meets again (output that cannot be
         * produced at all) must not loop for ever. */
        if (++p->aborts_in_row >= MAX_ABORTS_IN_ROW) {
                cw_pipeline_fail(p, "transaction", why);
                return -1;
        }
        cw_warn("run: transaction aborted (%s); processing again from the "
                "committed offsets",
                why);
        if (r == CW_TXN_FATAL) {
                cw_warn("run: starting a new producer");
                if (cw_kafka_sink_reset(p->out, err, sizeof(err))) {
                        cw_pipeline_fail(p, "producer", err);
                        return -1;
                }
        }
        if (rewind && cw_consumer_rewind(p->k, err, sizeof(err))) {
                cw_pipeline_fail(p, "consumer", err);
                return -1;
        }
        return rewind ? 0 : -1;
}

/* Starts a transaction's commit; as commit_end(), which it calls unless
 * the commit goes on. */
static int commit_begin(cw_pipeline_t *p, int rewind) {
        rd_kafka_topic_partition_list_t *offsets;
        char err[1024];
        int r;

        p->commit_started = cw_mono_s();
        if (cw_pipeline_write_changes(p)) {
                cycle_done(p);
                return -1;
        }
        /* The consumer's own snapshot is not needed: the positions go
         * whole. Taking it keeps a revocation from committing it again. */
        if ((offsets = cw_consumer_snapshot(p->k)))
                rd_kafka_topic_partition_list_destroy(offsets);
        p->txn_offsets = positions(p);
        /* Nothing moved since the last commit (an idle instance): no
         * offsets to send; only output produced meanwhile, if any,
         * commits. */
        if (same_positions(p->txn_offsets, p->committed_offsets)) {
                rd_kafka_topic_partition_list_destroy(p->txn_offsets);
                p->txn_offsets = NULL;
        }
        p->txn_rewind = rewind;
        p->txn_real = p->txn_offsets || cw_kafka_sink_in_transaction(p->out);
        r = cw_kafka_sink_commit_start(p->out, p->txn_offsets,
                                       cw_consumer_group_metadata(p->k), err,
                                       sizeof(err));
        p->txn_failed = 0;
        return r == CW_TXN_PENDING ? 0 : commit_end(p, r, err);
}

int cw_pipeline_commit_poll(cw_pipeline_t *p, int timeout_ms) {
        double t0 = cw_mono_s();
        char err[1024];
        int r;

        if (!cw_kafka_sink_committing(p->out))
                return 0;
        r = cw_kafka_sink_commit_poll(p->out, timeout_ms, err, sizeof(err));
        blocked(p, t0);
        return r == CW_TXN_PENDING ? 0 : commit_end(p, r, err);
}

void cw_pipeline_commit_start(cw_pipeline_t *p) {
        double t0 = cw_mono_s();

        if (!p->eos) {
                p->commit_started = t0;
                if (!cw_pipeline_write_changes(p))
                        checkpoint(p);
                blocked(p, t0);
                cycle_done(p);
                return;
        }
        commit_begin(p, 1);
        blocked(p, t0);
}

int cw_pipeline_commit_now(cw_pipeline_t *p, int rewind) {
        double t0;
        int rc;

        /* The commit in progress first, its abort handled as this one's. */
        p->txn_rewind = rewind;
        while (cw_kafka_sink_committing(p->out))
                if (cw_pipeline_commit_poll(p, 100))
                        return -1;
        t0 = cw_mono_s();
        rc = commit_begin(p, rewind);
        blocked(p, t0);
        while (!rc && cw_kafka_sink_committing(p->out))
                rc = cw_pipeline_commit_poll(p, 100);
        return rc;
}

void cw_pipeline_drop_checkpoints(cw_pipeline_t *p) {
        while (p->head) {
                struct checkpoint *cp = p->head;
                p->head = cp->next;
                rd_kafka_topic_partition_list_destroy(cp->offsets);
                free(cp);
        }
        p->tail = NULL;
}

/* Commits every checkpoint whose output is acknowledged, oldest first. */
void cw_pipeline_commit_acknowledged(cw_pipeline_t *p) {
        char err[512];
        uint64_t acked = cw_kafka_sink_acked(p->out);

        while (p->head && p->head->mark <= acked) {
                struct checkpoint *cp = p->head;
                p->head = cp->next;
                if (!p->head)
                        p->tail = NULL;
                if (cw_consumer_commit(p->k, cp->offsets, 0, err, sizeof(err)))
                        cw_warn("run: %s", err);
                free(cp);
        }
}
