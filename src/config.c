#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

const char *const cw_agg_names[CW_AGG_COUNT_] = {
        "count",           "sum", "avg", "min", "max", "distinct_days", "last",
        "days_since_last", "expr"};

#define MAX_WINDOW_DAYS 3650

/* ---- diagnostics --------------------------------------------------------- */

void cw_diags_init(struct cw_diags *d) {
        memset(d, 0, sizeof(*d));
}

void cw_diags_free(struct cw_diags *d) {
        for (int i = 0; i < d->n; i++)
                free(d->msgs[i]);
        free(d->msgs);
        free(d->lines);
        memset(d, 0, sizeof(*d));
}

void cw_diags_add(struct cw_diags *d, const char *file, int line,
                  const char *fmt, ...) {
        char msg[1024], *full;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (d->n == d->cap) {
                int cap = d->cap ? d->cap * 2 : 16;
                char **m = realloc(d->msgs, (size_t)cap * sizeof(*m));
                int *l;
                if (!m)
                        return;
                d->msgs = m;
                if (!(l = realloc(d->lines, (size_t)cap * sizeof(*l))))
                        return;
                d->lines = l;
                d->cap = cap;
        }
        /* Line 0: the problem is with the file as a whole. */
        if ((line > 0 ? asprintf(&full, "%s:%d: %s", file, line, msg)
                      : asprintf(&full, "%s: %s", file, msg)) < 0)
                return;
        d->lines[d->n] = line;
        d->msgs[d->n++] = full;
}

/* Orders messages from index `from` on by line, stably: checks run in
 * passes, but a user reads the file top to bottom. */
static void diags_sort(struct cw_diags *d, int from) {
        for (int i = from + 1; i < d->n; i++) {
                char *m = d->msgs[i];
                int line = d->lines[i], j = i;
                for (; j > from && d->lines[j - 1] > line; j--) {
                        d->msgs[j] = d->msgs[j - 1];
                        d->lines[j] = d->lines[j - 1];
                }
                d->msgs[j] = m;
                d->lines[j] = line;
        }
}

/* ---- helpers ------------------------------------------------------------- */

struct loader {
        config_t lc;
        cw_config_t *c;
        struct cw_diags *d;
        const char *path;
};

static const char *src_file(const struct loader *L, const config_setting_t *s) {
        const char *f = s ? config_setting_source_file(s) : NULL;
        return f ? f : L->path;
}

static int src_line(const config_setting_t *s) {
        return s ? (int)config_setting_source_line(s) : 0;
}

#define DIAG(L, s, ...)                                                        \
        cw_diags_add((L)->d, src_file(L, s), src_line(s), __VA_ARGS__)

/* Levenshtein distance, capped: names are short, so O(n*m) is nothing. */
static int edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        int row[64];

        if (la >= 63 || lb >= 63)
                return 99;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (int)j;
        for (size_t i = 1; i <= la; i++) {
                int prev = row[0];
                row[0] = (int)i;
                for (size_t j = 1; j <= lb; j++) {
                        int cur = row[j];
                        int best = prev + (a[i - 1] != b[j - 1]);
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        prev = cur;
                }
        }
        return row[lb];
}

/* Writes "; did you mean 'x'?" for the closest of `names`, or "". */
static const char *suggest(char *buf, size_t size, const char *name,
                           const char *const *names, int n) {
        int best = -1, best_d = 3;
        for (int i = 0; i < n; i++) {
                int dist = edit_distance(name, names[i]);
                if (dist < best_d) {
                        best_d = dist;
                        best = i;
                }
        }
        if (best < 0)
                buf[0] = '\0';
        else
                snprintf(buf, size, "; did you mean '%s'?", names[best]);
        return buf;
}

/* Writes "a, b, c" into buf. */
static const char *join(char *buf, size_t size, const char *const *names,
                        int n) {
        size_t pos = 0;
        buf[0] = '\0';
        for (int i = 0; i < n && pos < size; i++)
                pos += (size_t)snprintf(buf + pos, size - pos, "%s%s",
                                        i ? ", " : "", names[i]);
        return buf;
}

/* Reports every member of `group` whose name is not in `known`. */
static void check_keys(struct loader *L, const config_setting_t *group,
                       const char *what, const char *const *known, int n) {
        char hint[96], list[256];
        for (int i = 0; i < config_setting_length(group); i++) {
                const config_setting_t *s = config_setting_get_elem(group, i);
                const char *name = config_setting_name(s);
                int found = 0;
                if (!name)
                        continue;
                for (int k = 0; k < n && !found; k++)
                        found = !strcmp(name, known[k]);
                if (!found)
                        DIAG(L, s, "unknown setting '%s' in %s%s (known: %s)",
                             name, what,
                             suggest(hint, sizeof(hint), name, known, n),
                             join(list, sizeof(list), known, n));
        }
}

static int is_number(const config_setting_t *s) {
        int t = config_setting_type(s);
        return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
               t == CONFIG_TYPE_FLOAT;
}

static double number_of(const config_setting_t *s) {
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
                return config_setting_get_int(s);
        case CONFIG_TYPE_INT64:
                return (double)config_setting_get_int64(s);
        default:
                return config_setting_get_float(s);
        }
}

/*
 * Looks up `key` in `group` as a string. Returns the setting (NULL when
 * absent or of another type; both reported when `required`/mistyped).
 */
static const config_setting_t *get_str(struct loader *L,
                                       const config_setting_t *group,
                                       const char *what, const char *key,
                                       int required, const char **out) {
        const config_setting_t *s = config_setting_get_member(group, key);
        *out = NULL;
        if (!s) {
                if (required)
                        DIAG(L, group, "%s has no '%s'; add %s = \"...\";",
                             what, key, key);
                return NULL;
        }
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                DIAG(L, s, "%s: '%s' must be a string in double quotes", what,
                     key);
                return NULL;
        }
        *out = config_setting_get_string(s);
        return s;
}

/* Like get_str for numbers; returns 1 when found and valid. */
static int get_num(struct loader *L, const config_setting_t *group,
                   const char *what, const char *key, int required,
                   double *out) {
        const config_setting_t *s = config_setting_get_member(group, key);
        if (!s) {
                if (required)
                        DIAG(L, group, "%s has no '%s'; add %s = <number>;",
                             what, key, key);
                return 0;
        }
        if (!is_number(s)) {
                DIAG(L, s, "%s: '%s' must be a number", what, key);
                return 0;
        }
        *out = number_of(s);
        return 1;
}

/* A duration setting; keeps *ms when absent. Returns 0 unless invalid. */
static int get_duration(struct loader *L, const config_setting_t *group,
                        const char *what, const char *key, int64_t *ms) {
        char err[256];
        const char *v;
        const config_setting_t *s = get_str(L, group, what, key, 0, &v);
        if (!s)
                return config_setting_get_member(group, key) ? -1 : 0;
        if (cw_duration_parse(v, ms, err, sizeof(err))) {
                DIAG(L, s, "%s: %s: %s", what, key, err);
                return -1;
        }
        return 0;
}

static int valid_identifier(const char *s) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              *s == '_'))
                return 0;
        for (s++; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_'))
                        return 0;
        return 1;
}

/* ---- expression scopes --------------------------------------------------- */

static int feature_lookup(void *opaque, const char *name, size_t len,
                          struct cw_expr_var *out) {
        int i = cw_config_feature(opaque, name, len);
        if (i < 0)
                return -1;
        out->kind = CW_EXPR_VAR_NUM;
        out->slot = i;
        out->symbols = NULL;
        return 0;
}

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

/* Compiles the expression in setting s; reports and returns NULL on error. */
static cw_expr_t *compile(struct loader *L, const config_setting_t *s,
                          const char *what, const char *key,
                          const struct cw_expr_scope *scope) {
        char err[512];
        cw_expr_t *e = cw_expr_compile(config_setting_get_string(s), scope, err,
                                       sizeof(err));
        if (!e)
                DIAG(L, s, "%s: %s: %s", what, key, err);
        return e;
}

int cw_config_feature(const cw_config_t *c, const char *name, size_t len) {
        for (int i = 0; i < c->n_features; i++)
                if (c->features[i].name && strlen(c->features[i].name) == len &&
                    !memcmp(c->features[i].name, name, len))
                        return i;
        return -1;
}

/* ---- features ------------------------------------------------------------ */

static const char *const feature_keys[] = {"name",   "stream", "agg", "field",
                                           "window", "where",  "expr"};

/* Names every entry of a list of groups; reports missing and duplicates. */
static char **load_names(struct loader *L, const config_setting_t *list,
                         const char *kind, char **seen, int n_seen,
                         const int *seen_lines) {
        int n = config_setting_length(list);
        char **names = calloc((size_t)n + 1, sizeof(*names));

        for (int i = 0; names && i < n; i++) {
                const config_setting_t *g = config_setting_get_elem(list, i);
                const char *name;
                char what[64];

                snprintf(what, sizeof(what), "%s #%d", kind, i + 1);
                if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                        DIAG(L, g, "%s must be a group { name = ...; ... }",
                             what);
                        continue;
                }
                if (!get_str(L, g, what, "name", 1, &name))
                        continue;
                if (!valid_identifier(name)) {
                        DIAG(L, config_setting_get_member(g, "name"),
                             "%s name '%s' is not an identifier: use letters, "
                             "digits and '_', not starting with a digit",
                             kind, name);
                        continue;
                }
                for (int j = 0; j < i + n_seen; j++) {
                        const char *other =
                                j < n_seen ? seen[j] : names[j - n_seen];
                        if (other && !strcmp(other, name)) {
                                DIAG(L, config_setting_get_member(g, "name"),
                                     "duplicate %s name '%s' (first defined "
                                     "at line %d); names must be unique",
                                     kind, name,
                                     j < n_seen
                                             ? seen_lines[j]
                                             : src_line(config_setting_get_elem(
                                                       list, j - n_seen)));
                                name = NULL;
                                break;
                        }
                }
                if (name)
                        names[i] = strdup(name);
        }
        return names;
}

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
        const config_setting_t *s =
                get_str(L, g, what, "field", agg_takes_field(f->agg), &name);
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
                     suggest(hint, sizeof(hint), name, names, d->n_fields),
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
        const config_setting_t *s = get_str(L, g, what, "window", 0, &v);
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
        f->line = src_line(g);
        f->field = -1;
        check_keys(L, g, what, feature_keys, 7);

        get_str(L, g, what, "expr", 0, &expr);
        s = get_str(L, g, what, "agg", !expr, &agg);
        if (agg) {
                int a = 0;
                while (a < CW_AGG_COUNT_ && strcmp(cw_agg_names[a], agg))
                        a++;
                if (a == CW_AGG_COUNT_) {
                        DIAG(L, s, "%s: unknown agg \"%s\"%s (known: %s)", what,
                             agg,
                             suggest(hint, sizeof(hint), agg, cw_agg_names,
                                     CW_AGG_COUNT_),
                             join(list, sizeof(list), cw_agg_names,
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
                for (int i = 0; i < 4; i++)
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

        s = get_str(L, g, what, "stream", 1, &stream);
        if (!stream)
                return;
        if (cw_stream_by_name(stream) < 0) {
                const char *names[CW_STREAM_COUNT];
                for (int i = 0; i < CW_STREAM_COUNT; i++)
                        names[i] = cw_streams[i].name;
                DIAG(L, s, "%s: unknown stream \"%s\"%s (known: %s)", what,
                     stream,
                     suggest(hint, sizeof(hint), stream, names,
                             CW_STREAM_COUNT),
                     join(list, sizeof(list), names, CW_STREAM_COUNT));
                return;
        }
        f->stream = (cw_stream_t)cw_stream_by_name(stream);
        load_field(L, g, what, f);
        load_window(L, g, what, f);
        if ((s = get_str(L, g, what, "where", 0, &expr))) {
                struct field_scope fs = {f->stream};
                char noun[64];
                struct cw_expr_scope scope = {noun, field_lookup, &fs};
                snprintf(noun, sizeof(noun), "%s field",
                         cw_streams[f->stream].name);
                f->where = compile(L, s, what, "where", &scope);
        }
}

/*
 * Depth-first search for cycles among expression features, appending each
 * feature to eval_order after everything it reads. mark: 0 new, 1 on the
 * current path, 2 done.
 */
static int order_feature(struct loader *L, const config_setting_t *list, int i,
                         char *mark, int *path, int depth, int *n_out) {
        cw_config_t *c = L->c;
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

static void load_features(struct loader *L, const config_setting_t *list) {
        cw_config_t *c = L->c;
        struct cw_expr_scope scope = {"feature", feature_lookup, c};
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
        names = load_names(L, list, "feature", NULL, 0, NULL);
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
                f->expr = compile(L, s, what, "expr", &scope);
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

/* ---- rules and models ---------------------------------------------------- */

static const char *const rule_keys[] = {"name",     "when", "clear",
                                        "severity", "for",  "cooldown"};
static const char *const model_keys[] = {"name",     "type", "intercept",
                                         "inputs",   "fire", "clear",
                                         "severity", "for",  "cooldown"};
static const char *const input_keys[] = {
        "feature", "weight", "missing", "clip", "transform", "mean", "std"};
static const char *const transform_names[] = {"none", "log1p", "standardize"};

/* Appends the slots of e to a's refs, skipping ones already there. */
static void add_refs(struct cw_alert *a, const int *slots, int n) {
        int *r = realloc(a->refs, (size_t)(a->n_refs + n + 1) * sizeof(int));
        if (!r)
                return;
        a->refs = r;
        for (int k = 0; k < n; k++) {
                int dup = 0;
                for (int j = 0; j < a->n_refs && !dup; j++)
                        dup = a->refs[j] == slots[k];
                if (!dup)
                        a->refs[a->n_refs++] = slots[k];
        }
}

static void load_alert_common(struct loader *L, const config_setting_t *g,
                              const char *what, struct cw_alert *a) {
        const char *sev;
        const config_setting_t *s = get_str(L, g, what, "severity", 0, &sev);

        a->line = src_line(g);
        if (s && !*sev)
                DIAG(L, s, "%s: severity must not be empty", what);
        a->severity = strdup(sev && *sev ? sev : "medium");
        get_duration(L, g, what, "for", &a->for_ms);
        get_duration(L, g, what, "cooldown", &a->cooldown_ms);
}

static void load_rule(struct loader *L, const config_setting_t *g,
                      struct cw_alert *a) {
        struct cw_expr_scope scope = {"feature", feature_lookup, L->c};
        const config_setting_t *s;
        const char *v;
        char what[160];
        const int *slots;
        int n;

        snprintf(what, sizeof(what), "rule '%s'", a->name);
        a->kind = CW_ALERT_RULE;
        check_keys(L, g, what, rule_keys, 6);
        load_alert_common(L, g, what, a);
        if ((s = get_str(L, g, what, "when", 1, &v)) &&
            (a->when = compile(L, s, what, "when", &scope))) {
                slots = cw_expr_slots(a->when, &n);
                add_refs(a, slots, n);
        }
        if ((s = get_str(L, g, what, "clear", 0, &v)) &&
            (a->clear = compile(L, s, what, "clear", &scope))) {
                slots = cw_expr_slots(a->clear, &n);
                add_refs(a, slots, n);
        }
}

static void load_input(struct loader *L, const config_setting_t *g,
                       const char *model, int idx, struct cw_alert *a,
                       struct cw_model_input *in) {
        char what[200], hint[96], list[256];
        const config_setting_t *s;
        const char *v;

        snprintf(what, sizeof(what), "model '%s' input #%d", model, idx + 1);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                DIAG(L, g,
                     "%s must be a group { feature = ...; weight = ...; }",
                     what);
                return;
        }
        check_keys(L, g, what, input_keys, 7);
        in->feature = -1;
        if ((s = get_str(L, g, what, "feature", 1, &v))) {
                in->feature = cw_config_feature(L->c, v, strlen(v));
                if (in->feature < 0) {
                        const char **names = calloc(
                                (size_t)L->c->n_features + 1, sizeof(*names));
                        for (int i = 0; names && i < L->c->n_features; i++)
                                names[i] = L->c->features[i].name
                                                   ? L->c->features[i].name
                                                   : "";
                        DIAG(L, s,
                             "%s: unknown feature '%s'%s; a model "
                             "input must name a feature",
                             what, v,
                             names ? suggest(hint, sizeof(hint), v, names,
                                             L->c->n_features)
                                   : "");
                        free(names);
                } else {
                        add_refs(a, &in->feature, 1);
                }
        }
        get_num(L, g, what, "weight", 1, &in->weight);
        get_num(L, g, what, "missing", 0, &in->missing);
        if ((s = config_setting_get_member(g, "clip"))) {
                const config_setting_t *lo = config_setting_get_elem(s, 0);
                const config_setting_t *hi = config_setting_get_elem(s, 1);
                if ((config_setting_type(s) != CONFIG_TYPE_ARRAY &&
                     config_setting_type(s) != CONFIG_TYPE_LIST) ||
                    config_setting_length(s) != 2 || !is_number(lo) ||
                    !is_number(hi)) {
                        DIAG(L, s,
                             "%s: clip must be two numbers, e.g. "
                             "clip = [0.0, 365.0];",
                             what);
                } else {
                        in->has_clip = 1;
                        in->clip_lo = number_of(lo);
                        in->clip_hi = number_of(hi);
                        if (in->clip_lo > in->clip_hi)
                                DIAG(L, s,
                                     "%s: clip = [%g, %g] has lo > hi; "
                                     "write the lower bound first",
                                     what, in->clip_lo, in->clip_hi);
                }
        }
        if ((s = get_str(L, g, what, "transform", 0, &v))) {
                int t = 0;
                while (t < 3 && strcmp(transform_names[t], v))
                        t++;
                if (t == 3)
                        DIAG(L, s, "%s: unknown transform \"%s\"%s (known: %s)",
                             what, v,
                             suggest(hint, sizeof(hint), v, transform_names, 3),
                             join(list, sizeof(list), transform_names, 3));
                else
                        in->transform = (cw_transform_t)t;
        }
        if (in->transform == CW_TRANSFORM_STANDARDIZE) {
                get_num(L, g, what, "mean", 1, &in->mean);
                if (get_num(L, g, what, "std", 1, &in->std) && !(in->std > 0))
                        DIAG(L, config_setting_get_member(g, "std"),
                             "%s: std = %g must be greater than 0", what,
                             in->std);
        } else {
                static const char *const only_std[] = {"mean", "std"};
                for (int i = 0; i < 2; i++)
                        if ((s = config_setting_get_member(g, only_std[i])))
                                DIAG(L, s,
                                     "%s: %s is only used with "
                                     "transform = \"standardize\"",
                                     what, only_std[i]);
        }
}

static void load_model(struct loader *L, const config_setting_t *g,
                       struct cw_alert *a) {
        const config_setting_t *s;
        const char *type;
        char what[160];
        int has_clear;

        snprintf(what, sizeof(what), "model '%s'", a->name);
        a->kind = CW_ALERT_MODEL;
        check_keys(L, g, what, model_keys, 9);
        load_alert_common(L, g, what, a);
        if ((s = get_str(L, g, what, "type", 1, &type)) &&
            strcmp(type, "logistic"))
                DIAG(L, s,
                     "%s: unknown type \"%s\"; the only model type is "
                     "\"logistic\"",
                     what, type);
        get_num(L, g, what, "intercept", 0, &a->intercept);

        s = config_setting_get_member(g, "inputs");
        if (!s) {
                DIAG(L, g,
                     "%s has no 'inputs'; add inputs = ( { feature = "
                     "\"...\"; weight = ...; } );",
                     what);
        } else if (config_setting_type(s) != CONFIG_TYPE_LIST ||
                   config_setting_length(s) == 0) {
                DIAG(L, s, "%s: inputs must be a non-empty list of groups",
                     what);
        } else {
                a->n_inputs = config_setting_length(s);
                a->inputs = calloc((size_t)a->n_inputs, sizeof(*a->inputs));
                for (int i = 0; a->inputs && i < a->n_inputs; i++)
                        load_input(L, config_setting_get_elem(s, (unsigned)i),
                                   a->name, i, a, &a->inputs[i]);
        }

        if (get_num(L, g, what, "fire", 1, &a->fire) &&
            !(a->fire >= 0 && a->fire <= 1))
                DIAG(L, config_setting_get_member(g, "fire"),
                     "%s: fire = %g is outside [0, 1]; a score is a "
                     "probability",
                     what, a->fire);
        has_clear = get_num(L, g, what, "clear", 0, &a->clear_below);
        if (!has_clear) {
                a->clear_below = a->fire;
        } else if (!(a->clear_below >= 0 && a->clear_below <= 1)) {
                DIAG(L, config_setting_get_member(g, "clear"),
                     "%s: clear = %g is outside [0, 1]", what, a->clear_below);
        } else if (a->clear_below > a->fire) {
                DIAG(L, config_setting_get_member(g, "clear"),
                     "%s: clear = %g is above fire = %g; the alert would "
                     "resolve while still firing: set clear <= fire",
                     what, a->clear_below, a->fire);
        }
}

static void load_alerts(struct loader *L, const config_setting_t *rules,
                        const config_setting_t *models) {
        cw_config_t *c = L->c;
        int nr = rules ? config_setting_length(rules) : 0;
        int nm = models ? config_setting_length(models) : 0;
        char **rnames = NULL, **mnames = NULL;
        int *rlines = NULL;

        if (rules && config_setting_type(rules) != CONFIG_TYPE_LIST) {
                DIAG(L, rules, "'rules' must be a list: rules = ( {...} );");
                nr = 0;
        }
        if (models && config_setting_type(models) != CONFIG_TYPE_LIST) {
                DIAG(L, models, "'models' must be a list: models = ( {...} );");
                nm = 0;
        }
        c->alerts = calloc((size_t)(nr + nm) + 1, sizeof(*c->alerts));
        rlines = calloc((size_t)nr + 1, sizeof(int));
        if (!c->alerts || !rlines)
                goto out_free;
        /* Rules and models share one namespace: a warning names its alert. */
        if (nr && !(rnames = load_names(L, rules, "alert", NULL, 0, NULL)))
                goto out_free;
        for (int i = 0; i < nr; i++)
                rlines[i] =
                        src_line(config_setting_get_elem(rules, (unsigned)i));
        if (nm &&
            !(mnames = load_names(L, models, "alert", rnames, nr, rlines)))
                goto out_free;
        c->n_rules = nr;
        c->n_alerts = nr + nm;
        for (int i = 0; i < nr; i++) {
                c->alerts[i].name = rnames[i];
                if (rnames[i])
                        load_rule(L,
                                  config_setting_get_elem(rules, (unsigned)i),
                                  &c->alerts[i]);
        }
        for (int i = 0; i < nm; i++) {
                c->alerts[nr + i].name = mnames[i];
                if (mnames[i])
                        load_model(L,
                                   config_setting_get_elem(models, (unsigned)i),
                                   &c->alerts[nr + i]);
        }
out_free:
        free(rnames);
        free(mnames);
        free(rlines);
}

/* ---- Kafka settings ------------------------------------------------------ */

static const char *const topic_keys[] = {"purchase", "login",    "ticket",
                                         "survey",   "warnings", "dead_letter"};
static const char *const topic_defaults[] = {
        "purchases", "logins",         "support-tickets",
        "surveys",   "churn-warnings", "churnwatch-dlq"};

/*
 * Every member of `kafka` is a librdkafka property with '_' for '.'. Each is
 * tried on a scratch configuration so that a misspelt or invalid property is
 * reported here, with its line, rather than when a client starts.
 */
static void load_kafka(struct loader *L, const config_setting_t *k) {
        cw_config_t *c = L->c;
        rd_kafka_conf_t *scratch;
        int n;

        if (config_setting_type(k) != CONFIG_TYPE_GROUP) {
                DIAG(L, k,
                     "'kafka' must be a group: kafka = { "
                     "bootstrap_servers = \"host:9092\"; };");
                return;
        }
        n = config_setting_length(k);
        c->kafka = calloc((size_t)n + 1, sizeof(*c->kafka));
        scratch = rd_kafka_conf_new();
        for (int i = 0; c->kafka && i < n; i++) {
                const config_setting_t *s =
                        config_setting_get_elem(k, (unsigned)i);
                struct cw_kafka_prop *p = &c->kafka[c->n_kafka];
                char value[64], err[512];
                const char *v = value;

                switch (config_setting_type(s)) {
                case CONFIG_TYPE_STRING:
                        v = config_setting_get_string(s);
                        break;
                case CONFIG_TYPE_INT:
                case CONFIG_TYPE_INT64:
                        snprintf(value, sizeof(value), "%lld",
                                 (long long)config_setting_get_int64(s));
                        break;
                case CONFIG_TYPE_BOOL:
                        snprintf(value, sizeof(value), "%s",
                                 config_setting_get_bool(s) ? "true" : "false");
                        break;
                case CONFIG_TYPE_FLOAT:
                        snprintf(value, sizeof(value), "%.17g",
                                 config_setting_get_float(s));
                        break;
                default:
                        DIAG(L, s,
                             "kafka.%s must be a string, number or "
                             "boolean",
                             config_setting_name(s));
                        continue;
                }
                p->name = strdup(config_setting_name(s));
                for (char *q = p->name; q && *q; q++)
                        if (*q == '_')
                                *q = '.';
                p->value = strdup(v);
                p->line = src_line(s);
                c->n_kafka++;
                if (p->name &&
                    rd_kafka_conf_set(scratch, p->name, v, err, sizeof(err)) !=
                            RD_KAFKA_CONF_OK)
                        DIAG(L, s, "kafka.%s: %s", config_setting_name(s), err);
        }
        rd_kafka_conf_destroy(scratch);
}

static void load_topics(struct loader *L, const config_setting_t *t) {
        cw_config_t *c = L->c;
        char *names[6] = {NULL};

        if (t && config_setting_type(t) != CONFIG_TYPE_GROUP) {
                DIAG(L, t,
                     "'topics' must be a group: topics = { purchase = "
                     "\"purchases\"; ... };");
                t = NULL;
        }
        if (t)
                check_keys(L, t, "topics", topic_keys, 6);
        for (int i = 0; i < 6; i++) {
                const char *v = NULL;
                const config_setting_t *s =
                        t ? get_str(L, t, "topics", topic_keys[i], 0, &v)
                          : NULL;
                if (s && !*v)
                        DIAG(L, s, "topics.%s must not be empty",
                             topic_keys[i]);
                names[i] = strdup(v && *v ? v : topic_defaults[i]);
        }
        for (int i = 0; i < 6; i++)
                for (int j = 0; j < i; j++)
                        if (!strcmp(names[i], names[j]))
                                DIAG(L, t,
                                     "topics.%s and topics.%s are both "
                                     "\"%s\"; every stream needs its own topic",
                                     topic_keys[j], topic_keys[i], names[i]);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                c->topics[s] = names[s];
        c->warnings_topic = names[4];
        c->dead_letter_topic = names[5];
}

/* ---- the whole file ------------------------------------------------------ */

static const char *const root_keys[] = {"features", "rules",     "models",
                                        "lateness", "state_ttl", "warmup",
                                        "kafka",    "topics",    "max_idle_ms"};

static void load_root(struct loader *L) {
        cw_config_t *c = L->c;
        const config_setting_t *root = config_root_setting(&L->lc);
        const config_setting_t *s;
        double idle;

        check_keys(L, root, "the configuration", root_keys, 9);
        s = config_setting_get_member(root, "features");
        if (s)
                load_features(L, s);
        else
                DIAG(L, root,
                     "no 'features': add features = ( { name = ...; "
                     "stream = ...; agg = ...; } );");
        load_alerts(L, config_setting_get_member(root, "rules"),
                    config_setting_get_member(root, "models"));

        c->lateness_ms = 7 * CW_MS_PER_DAY;
        c->state_ttl_ms = 365 * CW_MS_PER_DAY;
        get_duration(L, root, "the configuration", "lateness", &c->lateness_ms);
        if (!get_duration(L, root, "the configuration", "state_ttl",
                          &c->state_ttl_ms) &&
            c->state_ttl_ms <= 0)
                DIAG(L, config_setting_get_member(root, "state_ttl"),
                     "state_ttl must be longer than 0; it is how long an "
                     "inactive customer is kept");
        for (int i = 0; i < c->n_features; i++)
                if (c->features[i].window_days > c->max_window_days)
                        c->max_window_days = c->features[i].window_days;
        c->warmup_ms = c->max_window_days * CW_MS_PER_DAY + c->lateness_ms;
        get_duration(L, root, "the configuration", "warmup", &c->warmup_ms);

        c->max_idle_ms = 1000;
        if (get_num(L, root, "the configuration", "max_idle_ms", 0, &idle)) {
                if (idle < 0 || idle > 3600000 || idle != (int)idle)
                        DIAG(L, config_setting_get_member(root, "max_idle_ms"),
                             "max_idle_ms = %g must be a whole number of "
                             "milliseconds from 0 to 3600000",
                             idle);
                else
                        c->max_idle_ms = (int)idle;
        }
        if ((s = config_setting_get_member(root, "kafka")))
                load_kafka(L, s);
        load_topics(L, config_setting_get_member(root, "topics"));
}

cw_config_t *cw_config_load(const char *path, struct cw_diags *diags) {
        struct loader L = {.d = diags, .path = path};
        int before = diags->n;

        config_init(&L.lc);
        if (config_read_file(&L.lc, path) != CONFIG_TRUE) {
                if (config_error_type(&L.lc) == CONFIG_ERR_FILE_IO)
                        cw_diags_add(diags, path, 0, "cannot read the file: %s",
                                     strerror(errno));
                else
                        cw_diags_add(
                                diags,
                                config_error_file(&L.lc)
                                        ? config_error_file(&L.lc)
                                        : path,
                                config_error_line(&L.lc), "syntax error: %s%s",
                                config_error_text(&L.lc),
                                strstr(config_error_text(&L.lc), "include")
                                        ? ""
                                        : "; settings look like name = value; "
                                          "lists ( ... ), groups { ... }");
                config_destroy(&L.lc);
                return NULL;
        }
        L.c = calloc(1, sizeof(*L.c));
        if (!L.c) {
                cw_diags_add(diags, path, 0, "out of memory");
                config_destroy(&L.lc);
                return NULL;
        }
        L.c->path = strdup(path);
        load_root(&L);
        config_destroy(&L.lc);
        diags_sort(diags, before);
        if (diags->n > before) {
                cw_config_destroy(L.c);
                return NULL;
        }
        return L.c;
}

void cw_config_destroy(cw_config_t *c) {
        if (!c)
                return;
        for (int i = 0; i < c->n_features; i++) {
                free(c->features[i].name);
                cw_expr_destroy(c->features[i].where);
                cw_expr_destroy(c->features[i].expr);
        }
        free(c->features);
        free(c->eval_order);
        for (int i = 0; i < c->n_alerts; i++) {
                struct cw_alert *a = &c->alerts[i];
                free(a->name);
                free(a->severity);
                cw_expr_destroy(a->when);
                cw_expr_destroy(a->clear);
                free(a->inputs);
                free(a->refs);
        }
        free(c->alerts);
        for (int i = 0; i < c->n_kafka; i++) {
                free(c->kafka[i].name);
                free(c->kafka[i].value);
        }
        free(c->kafka);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                free(c->topics[s]);
        free(c->warnings_topic);
        free(c->dead_letter_topic);
        free(c->path);
        free(c);
}
