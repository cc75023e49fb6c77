#include "pipeline_int.h"

#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "jump_int.h"

/* Bad or late records beyond this many are counted, not logged one by one. */
#define LOG_MAX 20
/* Of the 10 s a stop may take, what flushing may use. */
#define STOP_FLUSH_MS 7000
/* How often free memory goes back to the OS (trim_memory). */
#define TRIM_MS 10000

/* The buckets of the commit duration (seconds). */
static const double commit_bounds_s[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05,  0.1,    0.25,  0.5,  1,
                                         2.5,   5,      10,    30};

void cw_pipeline_fail(cw_pipeline_t *p, const char *what, const char *err) {
        if (!p->failed)
                snprintf(p->err, sizeof(p->err), "%s: %s", what, err);
        p->failed = 1;
}

/*
 * Output that could not be produced. Exactly once, when the transaction
 * failed (a delivery failed or the producer broke), the interval is only
 * void: the transaction will be aborted and its input processed again.
 * Otherwise `run` stops.
 */
void cw_pipeline_output_failed(cw_pipeline_t *p, const char *what,
                               const char *err) {
        char why[8];
        if (p->eos && cw_kafka_sink_failed(p->out, why, sizeof(why)))
                p->txn_failed = 1;
        else
                cw_pipeline_fail(p, what, err);
}

static void on_warning(void *opaque, const struct cw_warning *w) {
        cw_pipeline_t *p = opaque;
        struct cw_warning out = *w;
        char err[512];

        out.emitted_at = cw_wall_ms();
        if (p->failed)
                return;
        /* A TIMER warning emitted while processing a record was caused by
         * it too: its ts moved stream time over a day boundary. */
        if (cw_kafka_sink_warning(p->out, &out, p->cause_ms, err,
                                  sizeof(err))) {
                cw_pipeline_output_failed(p, "warning", err);
                return;
        }
        p->n.warnings++;
        if (w->alert_index >= 0 && w->alert_index < p->c->engine.n_alerts)
                p->n.alert_warnings[w->alert_index * 2 + (int)w->state]++;
        if (p->file && cw_sink_write(p->file, &out, err, sizeof(err)))
                cw_pipeline_fail(p, p->o.output, err);
        if (p->o.on_warning)
                p->o.on_warning(p->o.opaque, &out);
}

/* ---- rebalance hooks ------------------------------------------------------
 */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --dump-state: the restored state of a shard, in a form tests compare. */
static void dump_state(cw_pipeline_t *p, int shard) {
        const cw_engine_t *e = p->engines[shard];
        size_t n = cw_engine_customers(e);
        char path[4096], **lines = calloc(n + 1, sizeof(*lines));
        uint8_t buf[65536];
        FILE *f;

        snprintf(path, sizeof(path), "%s/shard-%d.state", p->o.dump_state,
                 shard);
        if (!lines || !(f = fopen(path, "w"))) {
                cw_warn("run: cannot write %s", path);
                free(lines);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                size_t len = cw_engine_encode_customer(e, i, buf, sizeof(buf));
                if (len > sizeof(buf) || !(lines[i] = malloc(2 * len + 1)))
                        len = 0;
                for (size_t j = 0; lines[i] && j < len; j++)
                        sprintf(lines[i] + 2 * j, "%02x", buf[j]);
                if (lines[i])
                        lines[i][2 * len] = 0;
        }
        qsort(lines, n, sizeof(*lines), cmp_str);
        fprintf(f, "stream_time %" PRId64 " applied %" PRIu64 "\n",
                cw_engine_stream_time(e), p->shards[shard].written.applied);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s\n", lines[i] ? lines[i] : "?");
                free(lines[i]);
        }
        free(lines);
        fclose(f);
}

/* An assignment of `shards` new shards: each is restored next. */
static void on_assigning(void *opaque, int shards) {
        cw_pipeline_t *p = opaque;

        if (cw_pipeline_phase(p) != CW_PHASE_STOPPING)
                cw_pipeline_set_phase(
                        p, shards ? CW_PHASE_RESTORING : CW_PHASE_RUNNING,
                        shards, shards);
        cw_pipeline_publish(p, cw_mono_ms(), 1);
}

/* A restore is reading: it is alive, and its progress shows. */
static void on_restore_progress(void *opaque, uint64_t records) {
        cw_pipeline_t *p = opaque;
        int64_t now = cw_mono_ms();

        p->n.restore_reading = records;
        cw_pipeline_beat(p, now);
        cw_pipeline_publish(p, now, 0);
}

/* A shard is restored: counted, and the instance is ready once the whole
 * assignment is. */
static void restored(cw_pipeline_t *p, const struct cw_restore_stats *st) {
        struct cw_pipeline_health h;

        p->n.restores++;
        p->n.restore_records += st->records;
        p->n.restored_customers += st->customers;
        p->n.restore_seconds += st->seconds;
        cw_pipeline_health(p, &h);
        if (h.phase == CW_PHASE_RESTORING)
                cw_pipeline_set_phase(p,
                                      h.restoring > 1 ? CW_PHASE_RESTORING
                                                      : CW_PHASE_RUNNING,
                                      h.restoring - 1, h.assigned);
        cw_pipeline_publish(p, cw_mono_ms(), 1);
}

/* Shard `shard` is restored (cw_changelog_poll): its inputs are read from
 * the committed offsets its state is as of. */
static void on_restored(void *opaque, int shard,
                        const struct cw_shard_meta *meta,
                        const struct cw_restore_stats *st) {
        cw_pipeline_t *p = opaque;
        struct shard *sh = &p->shards[shard];

        sh->written = *meta;
        sh->applied_base = sh->written.applied;
        sh->restoring = 0;
        /* Written with the next commit, which commits the offsets (at
         * least the starts looked up): a restore then finds state for
         * them. */
        sh->meta_unwritten = !st->metas;
        restored(p, st);
        cw_info("restore: shard %d: %" PRIu64 " customers from %" PRIu64
                " records (%" PRIu64 " past the committed offsets skipped) in "
                "%.3f s, %.0f customers/s; applied events %" PRIu64
                ", offsets %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64,
                shard, st->customers, st->records, st->skipped, st->seconds,
                st->seconds > 0 ? (double)st->customers / st->seconds : 0,
                sh->written.applied, sh->pos.next[0], sh->pos.next[1],
                sh->pos.next[2], sh->pos.next[3]);
        if (sh->had_offsets && !st->metas)
                cw_warn("restore: shard %d has committed offsets but no state "
                        "in the changelog: it starts empty from them",
                        shard);
        else if (p->eos && memcmp(&sh->written.pos, &sh->pos, sizeof(sh->pos)))
                cw_warn("restore: shard %d: the state is as of offsets "
                        "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
                        ", not the committed ones",
                        shard, sh->written.pos.next[0], sh->written.pos.next[1],
                        sh->written.pos.next[2], sh->written.pos.next[3]);
        sh->written.pos = sh->pos;
        if (p->o.dump_state)
                dump_state(p, shard);
        cw_consumer_release(p->k, shard);
}

/* Shard `shard` is ours: its state is rebuilt from the changelog, as of
 * the committed offsets its inputs are read from next, with the other
 * shards being restored; the consumer holds it meanwhile (1). */
static int on_assigned(void *opaque, int shard,
                       const struct cw_shard_start *start) {
        cw_pipeline_t *p = opaque;
        struct shard *sh = &p->shards[shard];
        char err[512];

        if (p->engines[shard])
                return sh->restoring;
        if (!(p->engines[shard] = cw_engine_new(&p->c->engine, on_warning, p,
                                                err, sizeof(err)))) {
                cw_pipeline_fail(p, "engine", err);
                return -1;
        }
        cw_engine_track_changes(p->engines[shard]);
        sh->had_offsets = start->committed;
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                sh->pos.next[s] = start->offset[s];
        if (cw_changelog_start(p->changelog, shard, &sh->pos,
                               start->stream_time, p->eos, p->engines[shard],
                               err, sizeof(err))) {
                cw_pipeline_fail(p, "restore", err);
                return -1;
        }
        sh->restoring = 1;
        return 1;
}

static int on_revoking(void *opaque, int lost) {
        cw_pipeline_t *p = opaque;
        char err[512];

        if (cw_pipeline_phase(p) != CW_PHASE_STOPPING)
                cw_pipeline_set_phase(p, CW_PHASE_JOINING, 0, 0);

        if (p->failed) /* never commit past a failure */
                return -1;
        cw_pipeline_forget_committed(p); /* the shards change */
        if (lost) { /* no longer ours: drop the uncommitted output */
                p->txn_rewind = 0; /* (the commit in progress ends first) */
                while (p->eos && cw_kafka_sink_committing(p->out))
                        if (cw_pipeline_commit_poll(p, 100))
                                break;
                if (p->eos && cw_kafka_sink_abort(p->out, err, sizeof(err)))
                        cw_pipeline_fail(p, "producer", err);
                cw_pipeline_drop_checkpoints(p);
                return -1;
        }
        if (p->eos)
                return cw_pipeline_commit_now(p, 0);
        if (cw_pipeline_write_changes(p))
                return -1;
        if (cw_kafka_sink_flush(p->out, STOP_FLUSH_MS)) {
                if (!cw_kafka_sink_failed(p->out, err, sizeof(err)))
                        snprintf(err, sizeof(err),
                                 "output not acknowledged within %d ms",
                                 STOP_FLUSH_MS);
                cw_pipeline_fail(p, "producer", err);
                cw_pipeline_drop_checkpoints(p);
                return -1;
        }
        cw_pipeline_commit_acknowledged(p);
        return 0;
}

static void on_revoked(void *opaque, int shard) {
        cw_pipeline_t *p = opaque;
        if (p->shards[shard].restoring) {
                cw_changelog_cancel(p->changelog, shard);
                p->shards[shard].restoring = 0;
        }
        cw_engine_destroy(p->engines[shard]);
        p->engines[shard] = NULL;
}

/* ---- records --------------------------------------------------------------
 */

static void dead_letter(cw_pipeline_t *p, const struct cw_record *r) {
        char err[512];

        if (++p->logged_bad <= LOG_MAX)
                cw_warn("run: topic %s [%d] offset %" PRId64
                        ": %s; sent to the dead-letter topic%s",
                        rd_kafka_topic_name(r->msg->rkt), r->shard,
                        r->msg->offset, r->bad,
                        p->logged_bad == LOG_MAX
                                ? " (further bad records are only counted)"
                                : "");
        if (cw_kafka_sink_dead_letter(p->out, r->msg, r->bad, err, sizeof(err)))
                cw_pipeline_output_failed(p, "dead letter", err);
        else
                p->n.dead[r->stream]++;
}

/* A clock jump (jump_int.h), named by its topic, partition and offset. */
static void jumped(cw_pipeline_t *p, const struct cw_record *r,
                   int64_t before) {
        char where[512];

        snprintf(where, sizeof(where), "run: topic %s [%d] offset %" PRId64,
                 rd_kafka_topic_name(r->msg->rkt), r->shard, r->msg->offset);
        cw_jump_warn(&p->c->engine, where, before, r->ev.ts, &p->logged_jumps);
}

static void process(cw_pipeline_t *p, const struct cw_record *r) {
        cw_engine_t *e = p->engines[r->shard];
        cw_process_result_t res;
        int64_t before;

        p->shards[r->shard].pos.next[r->stream] = r->msg->offset + 1;
        if (r->bad) {
                dead_letter(p, r);
                return;
        }
        p->cause_ms = rd_kafka_message_timestamp(r->msg, NULL);
        before = cw_engine_stream_time(e);
        if ((res = cw_engine_process(e, &r->ev)) != CW_PROCESS_LATE) {
                p->n.applied[r->stream]++;
                if (res == CW_PROCESS_APPLIED &&
                    cw_jump_is(&p->c->engine, before, r->ev.ts))
                        jumped(p, r, before);
        } else {
                p->n.late[r->stream]++;
                if (++p->logged_late <= LOG_MAX)
                        cw_warn("run: topic %s [%d] offset %" PRId64
                                ": late event (ts %" PRId64
                                " is more than lateness before stream time "
                                "%" PRId64 "); skipped%s",
                                rd_kafka_topic_name(r->msg->rkt), r->shard,
                                r->msg->offset, r->ev.ts,
                                cw_engine_stream_time(e),
                                p->logged_late == LOG_MAX
                                        ? " (further late events are only "
                                          "counted)"
                                        : "");
        }
}

/* ---- housekeeping ---------------------------------------------------------
 */

/* idle_advance: a shard that has received nothing for that long follows
 * the wall clock, so that timers (days_since_last) still fire. */
static void idle_advance(cw_pipeline_t *p, int64_t now) {
        int64_t wall = cw_wall_ms();

        for (int i = 0; i < p->partitions; i++) {
                int64_t last = cw_consumer_last_received(p->k, i);
                if (!p->engines[i] || p->shards[i].restoring || last < 0 ||
                    now - last < p->c->idle_advance_ms ||
                    cw_engine_stream_time(p->engines[i]) == CW_TIME_NONE ||
                    cw_engine_stream_time(p->engines[i]) >= wall)
                        continue;
                p->cause_ms = -1;
                cw_engine_advance(p->engines[i], wall);
        }
}

/*
 * A restore or a catch-up after a rebalance frees tens of MB at once
 * (librdkafka's fetched messages, the consumer's queues), which glibc's
 * malloc keeps for reuse: resident memory then stays at the peak, not at
 * what the process holds. Every TRIM_MS the free pages go back to the
 * OS. bench/soak.sh saw 80 MB resident with 7 MB in use before, 22 MB
 * after one malloc_trim(); it takes about a millisecond.
 */
static void trim_memory(cw_pipeline_t *p, int64_t now) {
#ifdef __GLIBC__
        double t0;

        if (now - p->last_trim < TRIM_MS)
                return;
        p->last_trim = now;
        t0 = cw_mono_s();
        malloc_trim(0);
        cw_debug("run: malloc_trim: %.2f ms", (cw_mono_s() - t0) * 1000);
#else
        (void)p;
        (void)now;
#endif
}

static void housekeeping(cw_pipeline_t *p, int64_t now) {
        char err[512];

        cw_pipeline_beat(p, now);
        cw_kafka_sink_poll(p->out, 0);
        if (cw_kafka_sink_failed(p->out, err, sizeof(err)))
                cw_pipeline_output_failed(p, "producer", err);
        if (p->failed) /* never commit past a failure */
                return;
        if (p->eos && cw_kafka_sink_committing(p->out)) {
                cw_pipeline_commit_poll(p, 0);
        } else if (p->txn_failed ||
                   now - p->last_commit >= p->c->commit_interval_ms) {
                cw_pipeline_commit_start(p);
                p->last_commit = cw_mono_ms();
        }
        if (!p->eos)
                cw_pipeline_commit_acknowledged(p);
        if (p->c->idle_advance_ms && now - p->last_idle_check >= 1000) {
                idle_advance(p, now);
                p->last_idle_check = now;
        }
        if (p->c->stats_interval_ms &&
            now - p->last_stats >= p->c->stats_interval_ms)
                cw_pipeline_stats_line(p, now);
        trim_memory(p, now);
        cw_pipeline_publish(p, now, 0);
}

/* ---- the loop -------------------------------------------------------------
 */

/*
 * The producer's transactional.id: the configured one (each instance needs
 * its own), else "<group_id>-<host>-<pid>". A new id per process is what
 * Kafka Streams' exactly-once v2 does too: fencing a zombie relies on the
 * consumer group's generation, not on the id.
 */
static void transactional_id(const cw_config_t *c, char *buf, size_t size) {
        const char *id = cw_config_kafka_get(c, "transactional.id"),
                   *g = cw_config_kafka_get(c, "group.id");
        char host[256] = "host";

        if (id) {
                snprintf(buf, size, "%s", id);
                return;
        }
        gethostname(host, sizeof(host) - 1);
        host[sizeof(host) - 1] = 0;
        snprintf(buf, size, "%s-%s-%ld", g ? g : "churnwatch", host,
                 (long)getpid());
}

/*
 * Before any thread starts: glibc's malloc gives each thread that meets a
 * locked arena a new one, up to 8 a core, and librdkafka runs a thread a
 * broker and client. Memory freed in one arena serves only that arena, so
 * a restore's or a catch-up's buffers, freed, leave holes all over them
 * that malloc_trim() cannot hand back while a live allocation sits
 * between. Two arenas (the processing thread and librdkafka's) and a
 * fixed mmap threshold of 256 kB (left to itself glibc raises it up to
 * 32 MB after such buffers are freed, and the next ones then come from
 * the arenas) keep the resident memory at what is in use
 * (docs/performance.md#soak). The MALLOC_ARENA_MAX and
 * MALLOC_MMAP_THRESHOLD_ environment variables still decide when set.
 */
static void tune_memory(void) {
#ifdef __GLIBC__
        if (!getenv("MALLOC_ARENA_MAX"))
                mallopt(M_ARENA_MAX, 2);
        if (!getenv("MALLOC_MMAP_THRESHOLD_"))
                mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

cw_pipeline_t *cw_pipeline_new(const cw_config_t *c, const cw_schemas_t *s,
                               const struct cw_pipeline_opts *o, char *errstr,
                               size_t errstr_size) {
        cw_pipeline_t *p = calloc(1, sizeof(*p));
        char txn_id[512];
        struct cw_consumer_hooks hooks = {.assigning = on_assigning,
                                          .assigned = on_assigned,
                                          .revoking = on_revoking,
                                          .revoked = on_revoked};

        tune_memory();
        if (!p) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        p->c = c;
        p->eos = c->guarantee == CW_EXACTLY_ONCE;
        if (o)
                p->o = *o;
        hooks.opaque = p;
        transactional_id(c, txn_id, sizeof(txn_id));
        if (p->o.output &&
            !(p->file = cw_sink_open(p->o.output, s, errstr, errstr_size)))
                goto out_free;
        if (c->registry && !(p->registry = cw_schema_cache_new(
                                     c->registry, errstr, errstr_size)))
                goto out_free;
        /* The consumer first: it checks the input topics, and fails fast
         * when the cluster cannot be reached. */
        if (!(p->k = cw_consumer_new(c, s, p->registry, &hooks, errstr,
                                     errstr_size)))
                goto out_free;
        /* Assignments (and so on_assigned) come only during polls. */
        p->partitions = cw_consumer_partitions(p->k);
        cw_hist_init(&p->n.commit, commit_bounds_s,
                     (int)(sizeof(commit_bounds_s) / sizeof(*commit_bounds_s)));
        if (!(p->engines =
                      calloc((size_t)p->partitions, sizeof(*p->engines))) ||
            !(p->shards = calloc((size_t)p->partitions, sizeof(*p->shards))) ||
            !(p->n.alert_warnings = calloc((size_t)c->engine.n_alerts * 2 + 1,
                                           sizeof(*p->n.alert_warnings))) ||
            cw_pipeline_pub_init(p)) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_free;
        }
        if (!(p->changelog =
                      cw_changelog_open(c, p->partitions, errstr, errstr_size)))
                goto out_free;
        cw_changelog_on_progress(p->changelog, on_restore_progress, p);
        /* After the changelog exists: the producer's metadata requests
         * could otherwise create it with the cluster's defaults. */
        if (!(p->out = cw_kafka_sink_new(c, s, p->eos ? txn_id : NULL, errstr,
                                         errstr_size)))
                goto out_free;
        cw_pipeline_publish(p, cw_mono_ms(), 1);
        cw_info("run: %s, commit interval %d ms%s%s",
                p->eos ? "exactly once" : "at least once",
                c->commit_interval_ms, p->eos ? ", transactional.id " : "",
                p->eos ? txn_id : "");
        return p;
out_free:
        cw_pipeline_destroy(p);
        return NULL;
}

/* Stopping: the last commit (exactly once) or flush and commit (at least
 * once). */
static void last_commit(cw_pipeline_t *p) {
        rd_kafka_topic_partition_list_t *last;
        char err[512];

        if (!p->failed && p->eos) {
                if (cw_pipeline_commit_now(p, 0) && !p->failed)
                        cw_pipeline_fail(p, "commit",
                                         "the last transaction was "
                                         "aborted: its input will be "
                                         "processed again after a restart");
        } else if (!p->failed && !cw_pipeline_write_changes(p)) {
                if (cw_kafka_sink_flush(p->out, STOP_FLUSH_MS)) {
                        if (!cw_kafka_sink_failed(p->out, err, sizeof(err)))
                                snprintf(err, sizeof(err),
                                         "output not acknowledged within "
                                         "%d ms",
                                         STOP_FLUSH_MS);
                        cw_pipeline_fail(p, "producer", err);
                } else {
                        cw_pipeline_commit_acknowledged(p);
                        if ((last = cw_consumer_snapshot(p->k)) &&
                            cw_consumer_commit(p->k, last, 1, err, sizeof(err)))
                                cw_pipeline_fail(p, "commit", err);
                }
        }
}

int cw_pipeline_run(cw_pipeline_t *p, volatile sig_atomic_t *stop) {
        struct cw_record r;
        char err[512];
        int wait = -1;
        int64_t start = cw_mono_ms(), stop_at;

        p->last_commit = p->last_stats = p->last_idle_check = p->last_trim =
                start;
        cw_kafka_sink_stop_on(p->out, stop);
        pthread_mutex_lock(&p->pub->lock);
        p->pub->stop = stop;
        pthread_mutex_unlock(&p->pub->lock);
        /* Before anything is consumed: a registry that refuses our
         * schema stops `run`; one that cannot be reached is waited for. */
        if (cw_kafka_sink_register(p->out, stop, err, sizeof(err)))
                cw_pipeline_fail(p, "Schema Registry", err);
        while (!*stop && !p->failed) {
                int64_t now = cw_mono_ms();
                int n = 0, timeout;

                while (n < 65536 && !p->failed && !p->txn_failed && !*stop &&
                       !cw_kafka_sink_full(p->out) &&
                       cw_consumer_next(p->k, now, &r, &wait)) {
                        process(p, &r);
                        cw_consumer_done(p->k, &r);
                        if (!(++n & 1023)) {
                                cw_kafka_sink_poll(p->out, 0);
                                now = cw_mono_ms();
                                cw_pipeline_beat(p, now);
                                cw_pipeline_publish(p, now, 0);
                                /* A commit's end is looked for often: the
                                 * output it holds waits for it. */
                                if (cw_kafka_sink_committing(p->out))
                                        break;
                        }
                }
                housekeeping(p, cw_mono_ms());
                if (p->o.tick && p->o.tick(p->o.opaque, p))
                        break;
                if (p->o.exit_at_end && !n && cw_consumer_at_end(p->k)) {
                        cw_info("run: every input read to its end");
                        break;
                }
                timeout = n ? 0 : wait >= 0 && wait < 100 ? wait : 100;
                if (timeout > 1 && cw_kafka_sink_committing(p->out))
                        timeout = 1;
                /* Shards being restored read on between the others'
                 * records; the wait for input is spent on them. */
                if (cw_changelog_restoring(p->changelog)) {
                        if (cw_changelog_poll(p->changelog, timeout,
                                              on_restored, p, err, sizeof(err)))
                                cw_pipeline_fail(p, "restore", err);
                        timeout = 0;
                }
                if (cw_consumer_poll(p->k, timeout, err, sizeof(err)))
                        cw_pipeline_fail(p, "consumer", err);
        }

        /* Stopping: no more fetching; what was taken is processed already
         * (records still buffered are simply not done: they are fetched
         * again after a restart). Flush, commit, leave the group. */
        stop_at = cw_mono_ms();
        cw_pipeline_set_phase(p, CW_PHASE_STOPPING, 0, 0);
        last_commit(p);
        if (p->failed)
                cw_pipeline_drop_checkpoints(
                        p); /* never commit past a failure */
        cw_pipeline_stats_line(p, cw_mono_ms());
        cw_pipeline_publish(p, cw_mono_ms(), 1);
        cw_consumer_destroy(p->k); /* revokes: the hooks run once more */
        p->k = NULL;
        if (p->file && cw_sink_close(p->file, err, sizeof(err)))
                cw_pipeline_fail(p, p->o.output, err);
        p->file = NULL;
        cw_pipeline_stop_line(p, cw_mono_ms() - stop_at);
        if (p->failed) {
                cw_error("run: %s", p->err);
                return -1;
        }
        return 0;
}

void cw_pipeline_destroy(cw_pipeline_t *p) {
        char err[512];

        if (!p)
                return;
        cw_consumer_destroy(p->k);
        cw_schema_cache_destroy(p->registry);
        cw_changelog_close(p->changelog);
        cw_pipeline_drop_checkpoints(p);
        if (p->txn_offsets)
                rd_kafka_topic_partition_list_destroy(p->txn_offsets);
        cw_pipeline_forget_committed(p);
        cw_kafka_sink_destroy(p->out, 0);
        if (p->file)
                cw_sink_close(p->file, err, sizeof(err));
        for (int i = 0; p->engines && i < p->partitions; i++)
                cw_engine_destroy(p->engines[i]);
        free(p->engines);
        free(p->shards);
        free(p->n.alert_warnings);
        cw_pipeline_pub_destroy(p);
        free(p);
}
