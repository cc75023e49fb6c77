#include "plan.h"

#include "common/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grows *arr (of elements of `size` bytes) to hold n + 1; 0 or -1. */
static int grow(void **arr, int n, size_t size) {
        void *a = realloc(*arr, (size_t)(n + 1) * size);
        if (!a)
                return -1;
        *arr = a;
        return 0;
}

/* The filter index of `where` on stream sp, added when new. Filters are the
 * same when their source text is: "kind == 'NPS'" is evaluated once. */
static int filter_of(struct cw_stream_plan *sp, cw_expr_t *where) {
        for (int i = 0; i < sp->n_filters; i++) {
                cw_expr_t *f = sp->filters[i];
                if (f == where ||
                    (f && where &&
                     !strcmp(cw_expr_source(f), cw_expr_source(where))))
                        return i;
        }
        if (sp->n_filters == CW_PLAN_MAX_FILTERS)
                return -1;
        sp->filters[sp->n_filters] = where;
        return sp->n_filters++;
}

static int col_of(struct cw_stream_plan *sp, cw_col_kind_t kind, int filter,
                  int field) {
        for (int i = 0; i < sp->n_cols; i++)
                if (sp->cols[i].kind == kind && sp->cols[i].filter == filter &&
                    sp->cols[i].field == field)
                        return i;
        if (sp->n_cols == CW_PLAN_MAX_COLS ||
            grow((void **)&sp->cols, sp->n_cols, sizeof(*sp->cols)))
                return -1;
        sp->cols[sp->n_cols] = (struct cw_col){
                kind, filter, field, -1,
                kind == CW_COL_COUNT ? sp->n_counts++ : sp->n_values++};
        return sp->n_cols++;
}

static int group_of(struct cw_stream_plan *sp, int days) {
        for (int i = 0; i < sp->n_groups; i++)
                if (sp->groups[i].days == days)
                        return i;
        if (sp->n_groups == CW_PLAN_MAX_GROUPS ||
            grow((void **)&sp->groups, sp->n_groups, sizeof(*sp->groups)))
                return -1;
        sp->groups[sp->n_groups] = (struct cw_group){days, NULL, 0, NULL, 0};
        if (days > sp->max_days)
                sp->max_days = days;
        return sp->n_groups++;
}

static int run_of(struct cw_plan *p, struct cw_group *g, cw_run_kind_t kind,
                  int col, int count_run) {
        for (int i = 0; i < g->n_runs; i++) {
                struct cw_run *r = &p->runs[g->runs[i]];
                if (r->kind == kind && r->col == col)
                        return g->runs[i];
        }
        /* evict_days() tracks a group's runs in a 64-bit mask. */
        if (g->n_runs == CW_PLAN_MAX_GROUP_RUNS ||
            grow((void **)&p->runs, p->n_runs, sizeof(*p->runs)) ||
            grow((void **)&g->runs, g->n_runs, sizeof(int)))
                return -1;
        p->runs[p->n_runs] = (struct cw_run){kind, col, count_run};
        if (count_run < 0)
                p->runs[p->n_runs].count_run = p->n_runs;
        g->runs[g->n_runs++] = p->n_runs;
        return p->n_runs++;
}

static int tracker_of(struct cw_plan *p, struct cw_stream_plan *sp,
                      cw_stream_t s, int filter) {
        for (int i = 0; i < sp->n_trackers; i++)
                if (p->trackers[sp->trackers[i]].filter == filter)
                        return sp->trackers[i];
        if (grow((void **)&p->trackers, p->n_trackers, sizeof(*p->trackers)) ||
            grow((void **)&sp->trackers, sp->n_trackers, sizeof(int)))
                return -1;
        struct cw_tracker *t = &p->trackers[p->n_trackers];
        t->stream = s;
        t->filter = filter;
        for (int f = 0; f < CW_EVENT_MAX_FIELDS; f++)
                t->fields[f] = -1;
        sp->trackers[sp->n_trackers++] = p->n_trackers;
        return p->n_trackers++;
}

/* Plans a windowed feature; returns 0 or -1 (out of memory / filters). */
static int plan_window(struct cw_plan *p, const struct cw_feature *f,
                       struct cw_feature_plan *fp, int filter) {
        struct cw_stream_plan *sp = &p->streams[f->stream];
        int gi = group_of(sp, f->window_days), count_col, col;
        cw_col_kind_t vk = f->agg == CW_AGG_MIN   ? CW_COL_MIN
                           : f->agg == CW_AGG_MAX ? CW_COL_MAX
                                                  : CW_COL_SUM;
        cw_run_kind_t rk = f->agg == CW_AGG_MIN   ? CW_RUN_MIN
                           : f->agg == CW_AGG_MAX ? CW_RUN_MAX
                                                  : CW_RUN_SUM;

        count_col = col_of(sp, CW_COL_COUNT, filter, -1);
        if (gi < 0 || count_col < 0)
                return -1;
        fp->count_run = run_of(p, &sp->groups[gi], CW_RUN_SUM, count_col, -1);
        if (fp->count_run < 0 || grow((void **)&sp->groups[gi].feats,
                                      sp->groups[gi].n_feats, sizeof(int)))
                return -1;
        sp->groups[gi].feats[sp->groups[gi].n_feats++] =
                (int)(f - p->config->features);
        fp->group = gi;
        switch (f->agg) {
        case CW_AGG_COUNT:
                fp->run = fp->count_run;
                return 0;
        case CW_AGG_DISTINCT_DAYS:
                fp->run = run_of(p, &sp->groups[gi], CW_RUN_DAYS, count_col,
                                 fp->count_run);
                return fp->run < 0 ? -1 : 0;
        default:
                col = col_of(sp, vk, filter, f->field);
                if (col < 0)
                        return -1;
                sp->cols[col].count_col = count_col;
                fp->run = run_of(p, &sp->groups[gi], rk, col, fp->count_run);
                return fp->run < 0 ? -1 : 0;
        }
}

/* Marks the features alerts read, and the features those read, in turn;
 * with `all`, every feature. */
static int mark_used(struct cw_plan *p, int all) {
        const cw_engine_conf_t *c = p->config;
        int *stack = malloc(((size_t)c->n_features + 1) * sizeof(int)), n = 0;

        if (!stack)
                return -1;
        for (int f = 0; all && f < c->n_features; f++)
                p->features[f].used = 1;
        for (int a = 0; a < c->n_alerts; a++)
                for (int r = 0; r < c->alerts[a].n_refs; r++)
                        if (!p->features[c->alerts[a].refs[r]].used++)
                                stack[n++] = c->alerts[a].refs[r];
        /* Model inputs are in refs too, and `clear` slots join `when`'s. */
        while (n > 0) {
                int f = stack[--n], k;
                const int *slots;
                if (!c->features[f].expr)
                        continue;
                slots = cw_expr_slots(c->features[f].expr, &k);
                for (int j = 0; j < k; j++)
                        if (!p->features[slots[j]].used++)
                                stack[n++] = slots[j];
        }
        free(stack);
        return 0;
}

struct cw_plan *cw_plan_new(const cw_engine_conf_t *c, int all_features,
                            char *errstr, size_t errstr_size) {
        struct cw_plan *p = calloc(1, sizeof(*p));
        if (!p || !(p->features = calloc((size_t)c->n_features + 1,
                                         sizeof(*p->features))))
                goto out_nomem;
        p->config = c;
        if (mark_used(p, all_features) ||
            !(p->eval_order = calloc((size_t)c->n_features + 1, sizeof(int))))
                goto out_nomem;
        for (int k = 0; k < c->n_features; k++)
                if (p->features[c->eval_order[k]].used)
                        p->eval_order[p->n_eval++] = c->eval_order[k];
        for (int i = 0; i < c->n_features; i++) {
                const struct cw_feature *f = &c->features[i];
                struct cw_feature_plan *fp = &p->features[i];
                struct cw_stream_plan *sp = &p->streams[f->stream];
                int filter, t;

                fp->agg = f->agg;
                fp->run = fp->count_run = fp->tracker = fp->value = -1;
                fp->group = -1;
                /* A feature no alert reads can never show in a warning:
                 * it gets no buckets, totals or trackers at all (unless
                 * the plan is for point-in-time rows). */
                if (f->agg == CW_AGG_EXPR || !fp->used)
                        continue;
                filter = filter_of(sp, f->where);
                if (filter < 0) {
                        snprintf(errstr, errstr_size,
                                 "stream '%s' has more than %d distinct "
                                 "where filters",
                                 cw_streams[f->stream].name,
                                 CW_PLAN_MAX_FILTERS);
                        goto out_destroy;
                }
                if (f->window_days > 0) {
                        if (plan_window(p, f, fp, filter)) {
                                snprintf(errstr, errstr_size,
                                         "feature '%s': out of memory, or "
                                         "more than %d aggregations of one "
                                         "window length, %d window lengths "
                                         "or %d columns on stream '%s'",
                                         f->name, CW_PLAN_MAX_GROUP_RUNS,
                                         CW_PLAN_MAX_GROUPS, CW_PLAN_MAX_COLS,
                                         cw_streams[f->stream].name);
                                goto out_destroy;
                        }
                        continue;
                }
                t = tracker_of(p, sp, f->stream, filter);
                if (t < 0)
                        goto out_nomem;
                fp->tracker = t;
                if (f->agg == CW_AGG_LAST) {
                        int *v = &p->trackers[t].fields[f->field];
                        if (*v < 0)
                                *v = p->n_tracker_values++;
                        fp->value = *v;
                }
        }
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                struct cw_stream_plan *sp = &p->streams[s];
                sp->bucket_slot = sp->max_days ? p->n_bucket_streams++ : -1;
                if (sp->bucket_slot >= 0)
                        p->slot_stream[sp->bucket_slot] = s;
                sp->gid0 = p->n_gids;
                p->n_gids += sp->n_groups;
        }
        /* Offsets are from cw_customer.data, widest fields first; the
         * id and the bucket areas, bytes, follow unaligned. */
        p->off_runs = 0;
        p->off_tr_ts = p->off_runs + 8 * p->n_runs;
        p->off_tr_val = p->off_tr_ts + 8 * p->n_trackers;
        p->off_alerts = p->off_tr_val + 8 * p->n_tracker_values;
        p->off_bmeta = p->off_alerts + 8 * c->n_alerts;
        p->off_bwid = p->off_bmeta + 4 * p->n_bucket_streams;
        p->off_states = p->off_bwid + p->n_bucket_streams;
        p->fixed_size = p->off_states + c->n_alerts;
        return p;

out_nomem:
        snprintf(errstr, errstr_size, "out of memory planning the engine");
out_destroy:
        cw_plan_destroy(p);
        return NULL;
}

/*
 * The numbers of the record layout of the engine that first wrote state
 * version 2, which its fingerprint was made of: bucket columns at fixed
 * offsets (int32 day, uint32 counts, 8-aligned int64 values) and the size
 * of the fixed part. The encoded format has not changed since, so they
 * still go into the fingerprint: changelogs written before stay readable.
 */
static int v2_bucket_size(const struct cw_stream_plan *sp, int *offset) {
        int off = 4;
        for (int i = 0; i < sp->n_cols; i++)
                if (sp->cols[i].kind == CW_COL_COUNT) {
                        offset[i] = off;
                        off += 4;
                }
        off = (off + 7) & ~7;
        for (int i = 0; i < sp->n_cols; i++)
                if (sp->cols[i].kind != CW_COL_COUNT) {
                        offset[i] = off;
                        off += 8;
                }
        return off;
}

static void fingerprint_stream(FILE *f, int s,
                               const struct cw_stream_plan *sp) {
        int offset[CW_PLAN_MAX_COLS];
        int size = v2_bucket_size(sp, offset);

        fprintf(f, "S%d %d %d %d %d|", s, size, sp->max_days, sp->bucket_slot,
                sp->n_filters);
        for (int i = 0; i < sp->n_filters; i++)
                fprintf(f, "F%s|",
                        sp->filters[i] ? cw_expr_source(sp->filters[i]) : "");
        for (int i = 0; i < sp->n_cols; i++)
                fprintf(f, "C%d %d %d %d|", sp->cols[i].kind,
                        sp->cols[i].filter, sp->cols[i].field, offset[i]);
        for (int g = 0; g < sp->n_groups; g++) {
                fprintf(f, "G%d", sp->groups[g].days);
                for (int r = 0; r < sp->groups[g].n_runs; r++)
                        fprintf(f, " %d", sp->groups[g].runs[r]);
                fputc('|', f);
        }
}

uint64_t cw_plan_fingerprint(const struct cw_plan *p) {
        const cw_engine_conf_t *c = p->config;
        char *text = NULL;
        size_t len = 0;
        uint64_t h[2] = {0, 0};
        FILE *f = open_memstream(&text, &len);
        int v2_alerts = 8 * (p->n_runs + p->n_trackers + p->n_tracker_values);
        int v2_bmeta = (v2_alerts + 17 * c->n_alerts + 1) & ~1;

        if (!f)
                return 0;
        /* Everything that decides what a customer's bytes mean. */
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                fingerprint_stream(f, s, &p->streams[s]);
        for (int i = 0; i < p->n_runs; i++)
                fprintf(f, "R%d %d %d|", p->runs[i].kind, p->runs[i].col,
                        p->runs[i].count_run);
        for (int i = 0; i < p->n_trackers; i++) {
                fprintf(f, "T%d %d", p->trackers[i].stream,
                        p->trackers[i].filter);
                for (int k = 0; k < CW_EVENT_MAX_FIELDS; k++)
                        fprintf(f, " %d", p->trackers[i].fields[k]);
                fputc('|', f);
        }
        for (int i = 0; i < c->n_alerts; i++)
                fprintf(f, "A%s|", c->alerts[i].name);
        fprintf(f, "L%d %d %d", p->n_tracker_values,
                v2_bmeta + 4 * p->n_bucket_streams, v2_bmeta);
        if (fclose(f) == 0)
                cw_hash128(text, len, h);
        free(text);
        return h[0];
}

void cw_plan_destroy(struct cw_plan *p) {
        if (!p)
                return;
        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                struct cw_stream_plan *sp = &p->streams[s];
                for (int g = 0; g < sp->n_groups; g++) {
                        free(sp->groups[g].runs);
                        free(sp->groups[g].feats);
                }
                free(sp->groups);
                free(sp->cols);
                free(sp->trackers);
        }
        free(p->runs);
        free(p->trackers);
        free(p->features);
        free(p->eval_order);
        free(p);
}
