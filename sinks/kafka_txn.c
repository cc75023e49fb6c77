/*
 * Exactly once: one transaction at a time, committed off the processing
 * thread. cw_kafka_sink_commit_start() adds the offsets (two round trips
 * to the transaction coordinator) and hands rd_kafka_commit_transaction()
 * to a thread of its own; the processing thread goes on with the next
 * records and polls for the end between them. Meanwhile no message may
 * join the committing transaction, nor may the next one begin: what the
 * records produce is held in memory, and goes into the next transaction
 * as soon as the commit is done. An abort drops it with the rest of the
 * output: the records behind it are processed again from the committed
 * offsets.
 *
 * Why a thread rather than calling the resumable commit with a timeout of
 * 0 between records: librdkafka 2.0.2 then takes the EndTxn response of a
 * resumed commit for a failure and aborts on an assertion
 * ("CommittingTransaction -> AbortedNotAcked", its debug=eos log shows the
 * EndTxn returning NO_ERROR just before); with the timeout -1 it
 * recommends, the call blocks until the commit ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "kafka_sink_int.h"

int cw_kafka_sink_begin(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        rd_kafka_error_t *e;

        if (!k->txn_id || k->in_txn)
                return 0;
        if ((e = rd_kafka_begin_transaction(k->rk))) {
                snprintf(errstr, errstr_size, "cannot begin a transaction: %s",
                         rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                return -1;
        }
        k->in_txn = 1;
        k->txn_first = k->produced;
        return 0;
}

/* The transaction of sequences [k->txn_first, end) committed at wall
 * clock now_us: when its warnings became visible. */
static void committed(cw_kafka_sink_t *k, uint64_t end, int64_t now_us) {
        for (uint64_t seq = k->txn_first; seq < end; seq++) {
                uint32_t slot = (uint32_t)(seq & RING_MASK);
                if (k->is_dead[slot] == OUT_WARNING && k->cause[slot] >= 0)
                        cw_lat_add(&k->visible,
                                   (double)(now_us - k->sent_us[slot] +
                                            k->cause[slot]) /
                                           1000.0);
        }
}

static void drop_held(cw_kafka_sink_t *k) {
        for (size_t i = 0; i < k->n_held; i++)
                free(k->held[i].mem);
        k->n_held = 0;
}

void cw_kafka_sink_forget(cw_kafka_sink_t *k) {
        k->discard_below = k->produced;
        k->acked = k->produced;
        memset(k->done, 0, RING);
        k->failed = 0;
        k->fail_err[0] = 0;
        drop_held(k);
        k->held_failed = 0;
}

/* What a commit left behind. */
static void commit_clear(cw_kafka_sink_t *k) {
        if (k->commit_offsets)
                rd_kafka_topic_partition_list_destroy(k->commit_offsets);
        if (k->commit_group)
                rd_kafka_consumer_group_metadata_destroy(k->commit_group);
        k->commit_offsets = NULL;
        k->commit_group = NULL;
}

/* The commit thread's result, waiting up to timeout_ms (-1: for as long as
 * it takes) for it: 1 when it ended (and was joined), else 0. */
static int commit_ended(cw_kafka_sink_t *k, int timeout_ms) {
        struct timespec until;
        int done;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&k->commit_mu);
        while (!k->commit_done && timeout_ms != 0)
                if (timeout_ms < 0)
                        pthread_cond_wait(&k->commit_cv, &k->commit_mu);
                else if (pthread_cond_timedwait(&k->commit_cv, &k->commit_mu,
                                                &until))
                        break;
        done = k->commit_done;
        pthread_mutex_unlock(&k->commit_mu);
        if (done)
                pthread_join(k->commit_thread, NULL);
        return done;
}

void cw_kafka_sink_free_held(cw_kafka_sink_t *k) {
        if (k->committing) {
                commit_ended(k, -1);
                if (k->commit_err)
                        rd_kafka_error_destroy(k->commit_err);
                k->commit_err = NULL;
                k->committing = 0;
                commit_clear(k);
        }
        drop_held(k);
        free(k->held);
        k->held = NULL;
        k->cap_held = 0;
}

/* Holding failed: the transaction after the commit must abort. */
static int hold_failed(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        if (!k->held_failed)
                snprintf(k->held_err, sizeof(k->held_err), "out of memory");
        k->held_failed = 1;
        snprintf(errstr, errstr_size, "%s", k->held_err);
        return -1;
}

int cw_kafka_sink_hold(cw_kafka_sink_t *k, const struct out *o, char *errstr,
                       size_t errstr_size) {
        struct held *h;
        size_t size = o->key_len + o->len;
        unsigned char *p;

        if (k->held_failed)
                return hold_failed(k, errstr, errstr_size);
        for (int i = 0; i < o->n_hdr; i++)
                size += o->hdr[i].len;
        if (k->n_held == k->cap_held) {
                size_t cap = k->cap_held ? 2 * k->cap_held : 256;
                struct held *a = realloc(k->held, cap * sizeof(*a));
                if (!a)
                        return hold_failed(k, errstr, errstr_size);
                k->held = a;
                k->cap_held = cap;
        }
        h = &k->held[k->n_held];
        if (!(h->mem = p = malloc(size ? size : 1)))
                return hold_failed(k, errstr, errstr_size);
        h->o = *o;
#define TAKE(ptr, n)                                                           \
        do {                                                                   \
                if (ptr)                                                       \
                        memcpy(p, ptr, n);                                     \
                ptr = ptr ? p : NULL;                                          \
                p += n;                                                        \
        } while (0)
        TAKE(h->o.key, o->key_len);
        TAKE(h->o.value, o->len);
        for (int i = 0; i < o->n_hdr; i++)
                TAKE(h->o.hdr[i].v, o->hdr[i].len);
#undef TAKE
        k->n_held++;
        return 0;
}

int cw_kafka_sink_full(const cw_kafka_sink_t *k) {
        return k->committing && k->n_held >= HELD_MAX;
}

int cw_kafka_sink_committing(const cw_kafka_sink_t *k) {
        return k->committing;
}

/* The commit is done: the held output opens the next transaction. A
 * failure there (or while holding) fails the sink, and the next commit
 * aborts. */
static void release_held(cw_kafka_sink_t *k) {
        char err[512];

        if (k->held_failed)
                cw_kafka_sink_fail(k, k->held_err, err, sizeof(err));
        for (size_t i = 0; i < k->n_held; i++)
                if (!k->failed)
                        cw_kafka_sink_send(k, &k->held[i].o, err, sizeof(err));
        drop_held(k);
        k->held_failed = 0;
}

/* Sorts a librdkafka error into the outcomes of a transaction. */
static int txn_error(cw_kafka_sink_t *k, rd_kafka_error_t *e, const char *what,
                     char *errstr, size_t errstr_size) {
        int fatal = rd_kafka_error_is_fatal(e) ||
                    !rd_kafka_error_txn_requires_abort(e);
        snprintf(errstr, errstr_size, "%s: %s", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        if (!fatal && !cw_kafka_sink_abort(k, errstr + strlen(errstr),
                                           errstr_size - strlen(errstr)))
                return CW_TXN_ABORTED;
        return CW_TXN_FATAL;
}

/* What a commit of a sink that has failed, or has nothing open, comes
 * to; CW_TXN_PENDING when the commit is to be asked for. */
static int before_commit(cw_kafka_sink_t *k,
                         const rd_kafka_topic_partition_list_t *offsets,
                         char *errstr, size_t errstr_size) {
        if (!k->txn_id)
                return CW_TXN_OK;
        if (!k->in_txn && k->failed) { /* e.g. a transaction never began */
                snprintf(errstr, errstr_size, "%s", k->fail_err);
                cw_kafka_sink_forget(k);
                return CW_TXN_FATAL;
        }
        if (!k->in_txn) {
                /* Nothing produced: offsets alone still commit. */
                if (!offsets || !offsets->cnt)
                        return CW_TXN_OK;
                if (cw_kafka_sink_begin(k, errstr, errstr_size))
                        return CW_TXN_FATAL;
        }
        if (k->failed) {
                char why[600];
                snprintf(why, sizeof(why), "%s", k->fail_err);
                if (cw_kafka_sink_abort(k, errstr, errstr_size))
                        return CW_TXN_FATAL;
                snprintf(errstr, errstr_size, "%s", why);
                return CW_TXN_ABORTED;
        }
        return CW_TXN_PENDING;
}

/* The commit thread: the call librdkafka recommends, retried while it
 * says so (as the processing thread did before it had this thread). */
/* The commit, blocking: the offsets (retriable errors are retried by the
 * call itself until its timeout; what is left is abortable or fatal),
 * then the commit itself, with the timeout librdkafka recommends and
 * retried while it says so. NULL, or the error with `what` failed. */
static rd_kafka_error_t *commit_blocking(cw_kafka_sink_t *k,
                                         const char **what) {
        rd_kafka_error_t *e = NULL;

        *what = "cannot add the offsets to the transaction";
        while (k->commit_offsets &&
               (e = rd_kafka_send_offsets_to_transaction(
                        k->rk, k->commit_offsets, k->commit_group, 30000)) &&
               rd_kafka_error_is_retriable(e))
                rd_kafka_error_destroy(e);
        if (e)
                return e;
        *what = "cannot commit the transaction";
        while ((e = rd_kafka_commit_transaction(k->rk, -1)) &&
               rd_kafka_error_is_retriable(e))
                rd_kafka_error_destroy(e);
        return e;
}

static void *commit_main(void *arg) {
        cw_kafka_sink_t *k = arg;
        const char *what;
        rd_kafka_error_t *e = commit_blocking(k, &what);
        int64_t end = cw_wall_us();

        pthread_mutex_lock(&k->commit_mu);
        k->commit_end_us = end;
        k->commit_err = e;
        k->commit_what = what;
        k->commit_done = 1;
        pthread_cond_signal(&k->commit_cv);
        pthread_mutex_unlock(&k->commit_mu);
        return NULL;
}

/* The outcome of commit_blocking(). */
static int commit_outcome(cw_kafka_sink_t *k, rd_kafka_error_t *e,
                          const char *what, char *errstr, size_t errstr_size) {
        commit_clear(k);
        if (e)
                return txn_error(k, e, what, errstr, errstr_size);
        committed(k, k->produced, k->commit_end_us);
        k->in_txn = 0;
        release_held(k);
        return CW_TXN_OK;
}

int cw_kafka_sink_commit_start(cw_kafka_sink_t *k,
                               const rd_kafka_topic_partition_list_t *offsets,
                               rd_kafka_consumer_group_metadata_t *group,
                               char *errstr, size_t errstr_size) {
        const char *what;
        int r;

        if (k->committing) {
                rd_kafka_consumer_group_metadata_destroy(group);
                snprintf(errstr, errstr_size, "a commit is in progress");
                return CW_TXN_FATAL;
        }
        k->commit_group = group;
        if ((r = before_commit(k, offsets, errstr, errstr_size)) !=
            CW_TXN_PENDING) {
                commit_clear(k);
                return r;
        }
        if (offsets && offsets->cnt)
                k->commit_offsets = rd_kafka_topic_partition_list_copy(offsets);
        cw_kafka_sink_stats(k, &k->snap);
        k->commit_done = 0;
        k->commit_err = NULL;
        if (pthread_create(&k->commit_thread, NULL, commit_main, k)) {
                /* No thread to spare: the commit blocks here. */
                rd_kafka_error_t *e = commit_blocking(k, &what);
                k->commit_end_us = cw_wall_us();
                return commit_outcome(k, e, what, errstr, errstr_size);
        }
        k->committing = 1;
        return CW_TXN_PENDING;
}

int cw_kafka_sink_commit_poll(cw_kafka_sink_t *k, int timeout_ms, char *errstr,
                              size_t errstr_size) {
        rd_kafka_error_t *e;

        if (!k->committing)
                return CW_TXN_OK;
        if (!commit_ended(k, timeout_ms))
                return CW_TXN_PENDING;
        k->committing = 0;
        e = k->commit_err;
        k->commit_err = NULL;
        return commit_outcome(k, e, k->commit_what, errstr, errstr_size);
}

int cw_kafka_sink_abort(cw_kafka_sink_t *k, char *errstr, size_t errstr_size) {
        rd_kafka_error_t *e;
        char why[512];

        /* A commit in progress ends first (the caller should have seen it
         * end: its outcome is lost here). */
        while (k->committing &&
               cw_kafka_sink_commit_poll(k, 1000, why, sizeof(why)) ==
                       CW_TXN_PENDING)
                ;
        if (!k->in_txn)
                return 0;
        while ((e = rd_kafka_abort_transaction(k->rk, 30000)) &&
               rd_kafka_error_is_retriable(e))
                rd_kafka_error_destroy(e);
        if (e) {
                snprintf(errstr, errstr_size,
                         "; cannot abort the transaction: %s",
                         rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                return -1;
        }
        k->in_txn = 0;
        cw_kafka_sink_forget(k);
        return 0;
}

int cw_kafka_sink_transactional(const cw_kafka_sink_t *k) {
        return k->txn_id != NULL;
}

int cw_kafka_sink_in_transaction(const cw_kafka_sink_t *k) {
        return k->in_txn;
}
