/*
 * The engine alone, on events already decoded into memory: events/s, the
 * cost of one day sweep over the customers held (those due at it), and bytes of
 * state per customer. Prints medians of several runs.
 *
 *   bench_engine -c FILE [--runs N] [--stream] INPUT...  (files or folders)
 *
 * --stream feeds the engine straight from the files instead of from memory
 * (one run): for populations whose decoded events do not fit in memory;
 * then only the sweep and state figures are the engine's alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/duration.h"
#include "common/log.h"
#include "config/config.h"
#include "features/engine.h"
#include "pipeline/file_merge.h"
#include "schemas/schemas.h"

struct arena {
        char *buf;
        size_t used, cap;
};

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void count_warning(void *opaque, const struct cw_warning *w) {
        (void)w;
        (*(unsigned long long *)opaque)++;
}

/* Copies strings into one buffer as offsets; pointers are fixed later,
 * once the buffer has stopped moving. */
static size_t keep(struct arena *a, const char *p, size_t len) {
        size_t off = a->used;
        if (a->used + len + 1 > a->cap) {
                a->cap = (a->cap + len + 1) * 2;
                if (!(a->buf = realloc(a->buf, a->cap))) {
                        fprintf(stderr, "out of memory\n");
                        exit(1);
                }
        }
        memcpy(a->buf + off, p, len);
        a->buf[off + len] = '\0';
        a->used += len + 1;
        return off;
}

static struct cw_event *load(char **inputs, int n, size_t *count,
                             struct arena *a) {
        char err[1024];
        cw_schemas_t *s = cw_schemas_load(err, sizeof(err));
        cw_file_merge_t *m =
                s ? cw_file_merge_open(inputs, n, s, 0, err, sizeof(err))
                  : NULL;
        struct cw_event ev, *evs = NULL;
        size_t cap = 0;
        int r;

        if (!m) {
                fprintf(stderr, "%s\n", err);
                exit(1);
        }
        *count = 0;
        while ((r = cw_file_merge_next(m, &ev, err, sizeof(err))) == 1) {
                if (*count == cap) {
                        cap = cap ? cap * 2 : 1 << 20;
                        evs = realloc(evs, cap * sizeof(*evs));
                        if (!evs)
                                exit(1);
                }
                for (int f = 0; f < cw_streams[ev.stream].n_fields; f++)
                        if (cw_streams[ev.stream].fields[f].type ==
                                    CW_FIELD_STR &&
                            ev.str[f].p)
                                ev.str[f].p =
                                        (const char
                                                 *)(uintptr_t)(keep(a,
                                                                    ev.str[f].p,
                                                                    ev.str[f]
                                                                            .len) +
                                                               1);
                evs[(*count)++] = ev;
        }
        if (r < 0) {
                fprintf(stderr, "%s\n", err);
                exit(1);
        }
        for (size_t i = 0; i < *count; i++) {
                struct cw_event *e = &evs[i];
                for (int f = 0; f < cw_streams[e->stream].n_fields; f++)
                        if (cw_streams[e->stream].fields[f].type ==
                                    CW_FIELD_STR &&
                            e->str[f].p)
                                e->str[f].p =
                                        a->buf + ((uintptr_t)e->str[f].p - 1);
                e->customer_id = e->str[CW_FIELD_CUSTOMER_ID];
        }
        cw_file_merge_close(m);
        cw_schemas_destroy(s);
        return evs;
}

/* --stream: one pass straight from the files. Returns the event count. */
static size_t feed_from_files(const cw_config_t *c, char **inputs, int n,
                              cw_engine_t **e, unsigned long long *warnings,
                              double *seconds) {
        char err[1024];
        cw_schemas_t *s = cw_schemas_load(err, sizeof(err));
        cw_file_merge_t *m =
                s ? cw_file_merge_open(inputs, n, s, 0, err, sizeof(err))
                  : NULL;
        struct cw_event ev;
        size_t count = 0;
        double start = now_s();

        if (!m || !(*e = cw_engine_new(&c->engine, count_warning, warnings, err,
                                       sizeof(err)))) {
                fprintf(stderr, "%s\n", err);
                exit(1);
        }
        while (cw_file_merge_next(m, &ev, err, sizeof(err)) == 1) {
                cw_engine_process(*e, &ev);
                count++;
        }
        *seconds = now_s() - start;
        printf("run 1: %.3f s, %.0f events/s with decoding, %llu warnings\n",
               *seconds, (double)count / *seconds, *warnings);
        cw_file_merge_close(m);
        cw_schemas_destroy(s);
        return count;
}

int main(int argc, char **argv) {
        const char *cfg_path = NULL;
        char **inputs = calloc((size_t)argc, sizeof(char *)), err[1024];
        int n_inputs = 0, runs = 5, stream = 0;
        struct arena a = {0};
        struct cw_diags d;
        double t[64], sw[64], sweep_in[64], alone[64];
        size_t n_events;
        unsigned long long warnings = 0;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-c") && i + 1 < argc)
                        cfg_path = argv[++i];
                else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
                        runs = atoi(argv[++i]);
                else if (!strcmp(argv[i], "--stream"))
                        stream = 1;
                else
                        inputs[n_inputs++] = argv[i];
        }
        if (!cfg_path || !n_inputs || runs < 1 || runs > 64) {
                fprintf(stderr,
                        "usage: bench_engine -c FILE [--runs N] INPUT...\n");
                return 2;
        }
        cw_log_setup(CW_LOG_WARN, CW_LOG_TEXT, stderr);
        cw_diags_init(&d);
        cw_config_t *c = cw_config_load(cfg_path, &d);
        if (!c) {
                fprintf(stderr, "%s\n", d.n ? d.msgs[0] : "bad config");
                return 1;
        }
        double t0 = now_s();
        struct cw_event *evs = NULL;
        cw_engine_t *e = NULL;
        if (stream) {
                runs = 1;
                n_events = feed_from_files(c, inputs, n_inputs, &e, &warnings,
                                           &t[0]);
                sweep_in[0] = cw_engine_stats(e)->sweep_seconds;
        } else {
                evs = load(inputs, n_inputs, &n_events, &a);
                printf("loaded %zu events in %.2f s\n", n_events, now_s() - t0);
        }
        for (int r = 0; !stream && r < runs; r++) {
                cw_engine_destroy(e);
                warnings = 0;
                e = cw_engine_new(&c->engine, count_warning, &warnings, err,
                                  sizeof(err));
                double start = now_s();
                uint32_t ring[16];
                for (size_t i = 0; i < 12 && i < n_events; i++)
                        ring[i] = cw_engine_id_hash(evs[i].customer_id.p,
                                                    evs[i].customer_id.len);
                for (size_t i = 0; i < n_events; i++) {
                        if (i + 12 < n_events) {
                                const struct cw_event *x = &evs[i + 12];
                                ring[(i + 12) & 15] = cw_engine_id_hash(
                                        x->customer_id.p, x->customer_id.len);
                                cw_engine_prefetch(e, ring[(i + 12) & 15], 0);
                        }
                        if (i + 8 < n_events)
                                cw_engine_prefetch(e, ring[(i + 8) & 15], 1);
                        if (i + 4 < n_events)
                                cw_engine_prefetch(e, ring[(i + 4) & 15], 2);
                        cw_engine_process_hashed(e, &evs[i], ring[i & 15]);
                }
                t[r] = now_s() - start;
                sweep_in[r] = cw_engine_stats(e)->sweep_seconds;
                printf("run %d: %.3f s, %.0f events/s, %llu warnings\n", r + 1,
                       t[r], (double)n_events / t[r], warnings);
        }
        /* Evaluations of the last run (by events and by its sweeps): each
         * computes every feature and scores every model. */
        unsigned long long evals =
                (unsigned long long)cw_engine_stats(e)->evaluations;
        size_t customers = cw_engine_customers(e);
        size_t mem = cw_engine_memory(e);
        uint8_t buf[8192];
        size_t enc = 0;
        for (size_t i = 0; i < customers; i++)
                enc += cw_engine_encode_customer(e, i, buf, sizeof(buf));
        /* Sweeps: each advance by one day evaluates the customers due (every
         * one before the sweeps skipped what a proof covers). */
        int64_t st = cw_engine_stream_time(e);
        for (int r = 0; r < runs; r++) {
                int64_t next = (st / CW_MS_PER_DAY + 1 + r) * CW_MS_PER_DAY;
                double start = now_s();
                cw_engine_advance(e, next);
                sw[r] = now_s() - start;
        }
        for (int r = 0; r < runs; r++)
                alone[r] = t[r] - sweep_in[r];
        qsort(t, (size_t)runs, sizeof(double), cmp);
        qsort(sw, (size_t)runs, sizeof(double), cmp);
        printf("engine%s: median %.3f s, %.0f events/s (%zu events, %d runs)\n",
               stream ? " with decoding (--stream)" : "", t[runs / 2],
               (double)n_events / t[runs / 2], n_events, runs);
        if (!stream) {
                qsort(alone, (size_t)runs, sizeof(double), cmp);
                printf("events alone (the run less its %llu day sweeps): "
                       "median %.3f s, %.0f events/s\n",
                       (unsigned long long)cw_engine_stats(e)->sweeps -
                               (unsigned long long)runs,
                       alone[runs / 2], (double)n_events / alone[runs / 2]);
        }
        printf("evaluations: %llu in a run, %.2f per event; day sweeps "
               "skipped %llu customers after %llu proofs\n",
               evals, n_events ? (double)evals / (double)n_events : 0,
               (unsigned long long)cw_engine_stats(e)->skipped,
               (unsigned long long)cw_engine_stats(e)->proofs);
        printf("sweep: median %.1f ms over %zu customers = %.1f ms per million "
               "customers\n",
               sw[runs / 2] * 1e3, customers,
               customers ? sw[runs / 2] * 1e3 * 1e6 / (double)customers : 0);
        printf("state: %zu customers, %.0f bytes per customer in memory "
               "(records, bucket lists, hash table), %.0f bytes encoded\n",
               customers, customers ? (double)mem / (double)customers : 0,
               customers ? (double)enc / (double)customers : 0);
        if (stream) {
                /* Everything this process holds: the engine plus malloc's
                 * overhead and the decoders' buffers. */
                FILE *f = fopen("/proc/self/status", "r");
                char line[256];
                while (f && fgets(line, sizeof(line), f))
                        if (!strncmp(line, "VmRSS:", 6))
                                printf("process RSS: %s", line + 6);
                if (f)
                        fclose(f);
        }
        cw_engine_destroy(e);
        cw_config_destroy(c);
        free(evs);
        free(a.buf);
        free(inputs);
        return 0;
}
