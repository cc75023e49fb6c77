/* The `features` section of the configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "loader_int.h"

struct field_scope {
        cw_stream_t stream;
};

static int field_lookup(void *opaque, const char *name, size_t len,
                        struct cw_expr_var *out) {
        const struct field_scope *fs = opaque;
        int slot = cw_stream_field(fs->stream, name, len);
        const struct cw_field_def *f;
        if (slot < 0)
                return -1;
        f = &cw_streams[fs->stream].fields[slot];
        out->slot = slot;
        out->symbols = f->symbols;
        out->kind = f->type == CW_FIELD_STR    ? CW_EXPR_VAR_STR
                    : f->type == CW_FIELD_ENUM ? CW_EXPR_VAR_ENUM
                                               : CW_EXPR_VAR_NUM;
        return 0;
}

/* ---- features ------------------------------------------------------------ */

static const char *const feature_keys[] = {"name",   "stream", "agg", "field",
                                           "window", "where",  "expr"};

static int agg_takes_field(cw_agg_t a) {
        return a == CW_AGG_SUM || a == CW_AGG_AVG || a == CW_AGG_MIN ||
               a == CW_AGG_MAX || a == CW_AGG_LAST;
}

static int agg_takes_window(cw_agg_t a) {
        return a <= CW_AGG_DISTINCT_DAYS;
}

static void numeric_fields(char *buf, size_t size, cw_stream_t s) {
        const struct cw_stream_def *d = &cw_streams[s];
        size_t pos = 0;
        buf[0] = '\0';
        for (int i = 0; i < d->n_fields && pos < size; i++)
                if (d->fields[i].type == CW_FIELD_NUM ||
                    d->fields[i].type == CW_FIELD_BOOL)
                        pos += (size_t)snprintf(buf + pos, size - pos, "%s%s",
                                                pos ? ", " : "",
                                                d->fields[i].name);
}

static void load_field(struct loader *L, const config_setting_t *g,
                       const char *what, struct cw_feature *f) {
        const char *name;
        const config_setting_t *s = cw_cfg_get_str(
                L, g, what, "field", agg_takes_field(f->agg), &name);
        const struct cw_stream_def *d = &cw_streams[f->stream];
        char list[256], hint[96];
        const char *names[CW_EVENT_MAX_FIELDS];

        if (!s)
                return;
        if (!agg_takes_field(f->agg)) {
                DIAG(L, s, "%s: agg \"%s\" takes no field; remove 'field'",
                     what, cw_agg_names[f->agg]);
                return;
        }
        f->field = cw_stream_field(f->stream, name, strlen(name));
        numeric_fields(list, sizeof(list), f->stream);
        if (f->field < 0) {
                for (int i = 0; i < d->n_fields; i++)
                        names[i] = d->fields[i].name;
                DIAG(L, s,
                     "%s: stream '%s' has no field '%s'%s (numeric "
                     "fields: %s)",
                     what, d->name, name,
                     cw_cfg_suggest(hint, sizeof(hint), name, names,
                                    d->n_fields),
                     list);
        } else if (d->fields[f->field].type != CW_FIELD_NUM &&
                   d->fields[f->field].type != CW_FIELD_BOOL) {
                DIAG(L, s,
                     "%s: field '%s' of stream '%s' is not numeric; "
                     "%s needs one of: %s",
                     what, name, d->name, cw_agg_names[f->agg], list);
                f->field = -1;
        }
}

static void load_window(struct loader *L, const config_setting_t *g,
                        const char *what, struct cw_feature *f) {
        const char *v;
        const config_setting_t *s = cw_cfg_get_str(L, g, what, "window", 0, &v);
        char *end;
        long days;

        if (!s) {
                if (!config_setting_get_member(g, "window") &&
                    agg_takes_window(f->agg))
                        DIAG(L, g,
                             "%s: agg \"%s\" needs a window; add "
                             "window = \"30d\";",
                             what, cw_agg_names[f->agg]);
                return;
        }
        if (!agg_takes_window(f->agg)) {
                DIAG(L, s, "%s: agg \"%s\" takes no window; remove 'window'",
                     what, cw_agg_names[f->agg]);
                return;
        }
        days = (*v >= '0' && *v <= '9') ? strtol(v, &end, 10) : -1;
        if (days < 0 || end[0] != 'd' || end[1] != '\0') {
                DIAG(L, s,
                     "%s: bad window \"%s\": windows are whole days, "
                     "e.g. \"30d\"",
                     what, v);
                return;
        }
        if (days < 1 || days > MAX_WINDOW_DAYS) {
                DIAG(L, s, "%s: window \"%s\" must be from 1d to %dd", what, v,
                     MAX_WINDOW_DAYS);
                return;
        }
        f->window_days = (int)days;
}

static void load_feature(struct loader *L, const config_setting_t *g,
                         struct cw_feature *f) {
        char what[160], hint[96], list[256];
        const char *stream, *agg, *expr;
        const config_setting_t *s;

        snprintf(what, sizeof(what), "feature '%s'", f->name);
        f->line = cw_cfg_src_line(g);
        f->field = -1;
        cw_cfg_check_keys(L, g, what, feature_keys, CW_COUNT_OF(feature_keys));

        cw_cfg_get_str(L, g, what, "expr", 0, &expr);
        s = cw_cfg_get_str(L, g, what, "agg", !expr, &agg);
        if (agg) {
                int a = 0;
                while (a < CW_AGG_COUNT_ && strcmp(cw_agg_names[a], agg))
                        a++;
                if (a == CW_AGG_COUNT_) {
                        DIAG(L, s, "%s: unknown agg \"%s\"%s (known: %s)", what,
                             agg,
                             cw_cfg_suggest(hint, sizeof(hint), agg,
                                            cw_agg_names, CW_AGG_COUNT_),
                             cw_cfg_join(list, sizeof(list), cw_agg_names,
                                         CW_AGG_COUNT_));
                        return;
                }
                f->agg = (cw_agg_t)a;
        } else if (expr) {
                f->agg = CW_AGG_EXPR;
        } else {
                return;
        }

        if (f->agg == CW_AGG_EXPR) {
                static const char *const not_for_expr[] = {"stream", "field",
                                                           "window", "where"};
                if (!expr)
                        DIAG(L, g, "%s: agg \"expr\" needs expr = \"...\";",
                             what);
                for (size_t i = 0;
                     i < sizeof(not_for_expr) / sizeof(*not_for_expr); i++)
                        if ((s = config_setting_get_member(g, not_for_expr[i])))
                                DIAG(L, s,
                                     "%s: an expression feature takes "
                                     "no %s; remove it",
                                     what, not_for_expr[i]);
                return; /* compiled once every feature has a name */
        }
        if (expr)
                DIAG(L, config_setting_get_member(g, "expr"),
                     "%s: 'expr' is only for expression features; remove "
                     "agg or expr",
                     what);

        s = cw_cfg_get_str(L, g, what, "stream", 1, &stream);
        if (!stream)
                return;
        if (cw_stream_by_name(stream) < 0) {
                const char *names[CW_STREAM_COUNT];
                for (int i = 0; i < CW_STREAM_COUNT; i++)
                        names[i] = cw_streams[i].name;
                DIAG(L, s, "%s: unknown stream \"%s\"%s (known: %s)", what,
                     stream,
                     cw_cfg_suggest(hint, sizeof(hint), stream, names,
                                    CW_STREAM_COUNT),
                     cw_cfg_join(list, sizeof(list), names, CW_STREAM_COUNT));
                return;
        }
        f->stream = (cw_stream_t)cw_stream_by_name(stream);
        load_field(L, g, what, f);
        load_window(L, g, what, f);
        if ((s = cw_cfg_get_str(L, g, what, "where", 0, &expr))) {
                struct field_scope fs = {f->stream};
                char noun[64];
                struct cw_expr_scope scope = {noun, field_lookup, &fs};
                snprintf(noun, sizeof(noun), "%s field",
                         cw_streams[f->stream].name);
                f->where = cw_cfg_compile(L, s, what, "where", &scope);
        }
}

/*
 * Depth-first search for cycles among expression features, appending each
 * feature to eval_order after everything it reads. mark: 0 new, 1 on the
 * current path, 2 done.
 */
static int order_feature(struct loader *L, const config_setting_t *list, int i,
                         char *mark, int *path, int depth, int *n_out) {
        cw_engine_conf_t *c = L->e;
        const int *slots;
        int n;

        if (mark[i] == 2)
                return 0;
        if (mark[i] == 1) {
                char cycle[512];
                size_t pos = 0;
                int start = depth - 1;
                while (start > 0 && path[start] != i)
                        start--;
                for (int k = start; k < depth && pos < sizeof(cycle); k++)
                        pos += (size_t)snprintf(cycle + pos,
                                                sizeof(cycle) - pos, "%s -> ",
                                                c->features[path[k]].name);
                snprintf(cycle + (pos < sizeof(cycle) ? pos : 0),
                         sizeof(cycle) - (pos < sizeof(cycle) ? pos : 0), "%s",
                         c->features[i].name);
                DIAG(L, config_setting_get_elem(list, (unsigned)i),
                     "feature '%s': expressions form a cycle: %s; an "
                     "expression cannot depend on itself",
                     c->features[i].name, cycle);
                return -1;
        }
        mark[i] = 1;
        path[depth] = i;
        if (c->features[i].expr) {
                slots = cw_expr_slots(c->features[i].expr, &n);
                for (int k = 0; k < n; k++)
                        if (order_feature(L, list, slots[k], mark, path,
                                          depth + 1, n_out))
                                return -1;
        }
        mark[i] = 2;
        c->eval_order[(*n_out)++] = i;
        return 0;
}

void cw_cfg_load_features(struct loader *L, const config_setting_t *list) {
        cw_engine_conf_t *c = L->e;
        struct cw_expr_scope scope = {"feature", cw_cfg_feature_lookup, c};
        char **names;
        char *mark;
        int *path, n_out = 0;

        if (config_setting_type(list) != CONFIG_TYPE_LIST) {
                DIAG(L, list,
                     "'features' must be a list: features = ( {...}, "
                     "{...} );");
                return;
        }
        c->n_features = config_setting_length(list);
        c->features = calloc((size_t)c->n_features + 1, sizeof(*c->features));
        c->eval_order = calloc((size_t)c->n_features + 1, sizeof(int));
        names = cw_cfg_load_names(L, list, "feature", NULL, 0, NULL);
        if (!c->features || !c->eval_order || !names) {
                free(names);
                DIAG(L, list, "out of memory");
                return;
        }
        for (int i = 0; i < c->n_features; i++)
                c->features[i].name = names[i];
        free(names);
        for (int i = 0; i < c->n_features; i++)
                if (c->features[i].name)
                        load_feature(L,
                                     config_setting_get_elem(list, (unsigned)i),
                                     &c->features[i]);
        /* Expressions last: they may name features defined after them. */
        for (int i = 0; i < c->n_features; i++) {
                struct cw_feature *f = &c->features[i];
                const config_setting_t *g =
                        config_setting_get_elem(list, (unsigned)i);
                const config_setting_t *s;
                char what[160];
                if (!f->name || f->agg != CW_AGG_EXPR)
                        continue;
                s = config_setting_get_member(g, "expr");
                if (!s || config_setting_type(s) != CONFIG_TYPE_STRING)
                        continue;
                snprintf(what, sizeof(what), "feature '%s'", f->name);
                f->expr = cw_cfg_compile(L, s, what, "expr", &scope);
        }
        mark = calloc((size_t)c->n_features + 1, 1);
        path = calloc((size_t)c->n_features + 1, sizeof(int));
        for (int i = 0; mark && path && i < c->n_features; i++)
                if (c->features[i].name && !mark[i] &&
                    order_feature(L, list, i, mark, path, 0, &n_out))
                        break;
        free(mark);
        free(path);
}
