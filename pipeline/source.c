/* The two sources of a replay behind one interface (source.h). */
#include "source.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "consumers/consumer.h"
#include "file_merge.h"

/* Bad Kafka records beyond this many are counted, not logged one by one. */
#define LOG_BAD_MAX 10

void cw_source_where(const struct cw_source_mark *m, char *buf, size_t size) {
        if (m->partition < 0)
                snprintf(buf, size, "%s: record %" PRId64, m->name, m->pos);
        else
                snprintf(buf, size, "topic %s [%d] offset %" PRId64, m->name,
                         m->partition, m->pos);
}

void cw_source_close(cw_source_t *src) {
        if (!src)
                return;
        src->ops->close(src->impl);
        free(src);
}

static cw_source_t *source_new(const struct cw_source_ops *ops, void *impl,
                               char *errstr, size_t errstr_size) {
        cw_source_t *src = malloc(sizeof(*src));

        if (!src) {
                snprintf(errstr, errstr_size, "out of memory");
                ops->close(impl);
                return NULL;
        }
        src->ops = ops;
        src->impl = impl;
        return src;
}

/* ---- files ----------------------------------------------------------------
 */

struct files {
        cw_file_merge_t *m;
        int started; /* the one shard was handed out */
};

static int files_next_shard(void *impl, int *shard, char *errstr,
                            size_t errstr_size) {
        struct files *f = impl;
        (void)errstr;
        (void)errstr_size;
        if (f->started)
                return 0;
        f->started = 1;
        *shard = 0;
        return 1;
}

static int files_next(void *impl, struct cw_event *ev, char *errstr,
                      size_t errstr_size) {
        struct files *f = impl;
        int r = cw_file_merge_next(f->m, ev, errstr, errstr_size);
        return r < 0 ? -1 : r;
}

static void files_mark(void *impl, struct cw_source_mark *m) {
        struct files *f = impl;
        m->name = cw_file_merge_file(f->m);
        m->partition = -1;
        m->pos = cw_file_merge_position(f->m);
}

static void files_describe(void *impl, char *buf, size_t size) {
        struct files *f = impl;
        snprintf(buf, size, "%d files", cw_file_merge_files(f->m));
}

static void files_stats(void *impl, struct cw_source_stats *out) {
        struct files *f = impl;
        out->read = cw_file_merge_read(f->m);
        out->invalid = cw_file_merge_invalid(f->m);
        out->total = -1;
}

static void files_close(void *impl) {
        struct files *f = impl;
        cw_file_merge_close(f->m);
        free(f);
}

static const struct cw_source_ops files_ops = {.next_shard = files_next_shard,
                                               .next = files_next,
                                               .mark = files_mark,
                                               .describe = files_describe,
                                               .stats = files_stats,
                                               .close = files_close,
                                               .ordered = 1};

cw_source_t *cw_source_files(char *const *paths, int n_paths,
                             const cw_schemas_t *s, int sort, char *errstr,
                             size_t errstr_size) {
        struct files *f = calloc(1, sizeof(*f));

        if (!f) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (!(f->m = cw_file_merge_open(paths, n_paths, s, sort, errstr,
                                        errstr_size))) {
                free(f);
                return NULL;
        }
        return source_new(&files_ops, f, errstr, errstr_size);
}

/* ---- Kafka ----------------------------------------------------------------
 */

struct kafka {
        const cw_config_t *c;
        const cw_schemas_t *s;
        int64_t start_ms;
        int partitions; /* known once shard 0 is open */
        int shard;      /* the open shard, or -1 */
        cw_consumer_t *k;
        cw_schema_cache_t *registry; /* every shard's; NULL: raw values */
        struct cw_record rec;        /* handed out; done at the next call */
        int holding;
        struct cw_source_stats st;
};

static void kafka_close_shard(struct kafka *x) {
        if (x->holding)
                cw_consumer_done(x->k, &x->rec);
        x->holding = 0;
        cw_consumer_destroy(x->k);
        x->k = NULL;
}

static int kafka_next_shard(void *impl, int *shard, char *errstr,
                            size_t errstr_size) {
        static const struct cw_consumer_hooks no_hooks = {0};
        struct kafka *x = impl;
        int next = x->shard + 1;

        kafka_close_shard(x);
        if (next > 0 && next >= x->partitions)
                return 0;
        if (!(x->k = cw_consumer_new_reader(x->c, x->s, x->registry, &no_hooks,
                                            next, x->start_ms, errstr,
                                            errstr_size)))
                return -1;
        x->shard = next;
        if (next == 0) {
                x->partitions = cw_consumer_partitions(x->k);
                x->st.total = cw_consumer_records_on_broker(x->k);
        }
        *shard = next;
        return 1;
}

/* A record that cannot be decoded: logged, counted, skipped. */
static void kafka_bad(struct kafka *x) {
        if (++x->st.invalid <= LOG_BAD_MAX)
                cw_warn("replay: topic %s [%d] offset %" PRId64 ": %s; skipped",
                        rd_kafka_topic_name(x->rec.msg->rkt), x->shard,
                        x->rec.msg->offset, x->rec.bad);
}

static int kafka_next(void *impl, struct cw_event *ev, char *errstr,
                      size_t errstr_size) {
        struct kafka *x = impl;
        int wait;

        for (;;) {
                if (x->holding)
                        cw_consumer_done(x->k, &x->rec);
                x->holding = 0;
                while (cw_consumer_next(x->k, cw_mono_ms(), &x->rec, &wait)) {
                        x->st.read++;
                        if (!x->rec.bad) {
                                x->holding = 1;
                                *ev = x->rec.ev;
                                return 1;
                        }
                        kafka_bad(x);
                        cw_consumer_done(x->k, &x->rec);
                }
                if (cw_consumer_at_end(x->k))
                        return 0;
                if (cw_consumer_poll(x->k, 100, errstr, errstr_size))
                        return -1;
        }
}

static void kafka_mark(void *impl, struct cw_source_mark *m) {
        struct kafka *x = impl;
        m->name = x->c->topics[x->rec.stream];
        m->partition = x->shard;
        m->pos = x->holding ? x->rec.msg->offset : -1;
}

static void kafka_describe(void *impl, char *buf, size_t size) {
        struct kafka *x = impl;
        snprintf(buf, size, "%d shards from Kafka", x->partitions);
}

static void kafka_stats(void *impl, struct cw_source_stats *out) {
        struct kafka *x = impl;
        *out = x->st;
}

static void kafka_close(void *impl) {
        struct kafka *x = impl;
        kafka_close_shard(x);
        cw_schema_cache_destroy(x->registry);
        free(x);
}

static const struct cw_source_ops kafka_ops = {.next_shard = kafka_next_shard,
                                               .next = kafka_next,
                                               .mark = kafka_mark,
                                               .describe = kafka_describe,
                                               .stats = kafka_stats,
                                               .close = kafka_close,
                                               .ordered = 0};

cw_source_t *cw_source_kafka(const cw_config_t *c, const cw_schemas_t *s,
                             int64_t start_ms, char *errstr,
                             size_t errstr_size) {
        struct kafka *x = calloc(1, sizeof(*x));

        if (!x) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        x->c = c;
        x->s = s;
        x->start_ms = start_ms;
        x->shard = -1;
        x->partitions = 1;
        x->st.total = -1;
        if (c->registry && !(x->registry = cw_schema_cache_new(
                                     c->registry, errstr, errstr_size))) {
                free(x);
                return NULL;
        }
        return source_new(&kafka_ops, x, errstr, errstr_size);
}
