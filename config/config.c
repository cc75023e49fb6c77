#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "common/file.h"
#include "common/hostport.h"
#include "common/log.h"
#include "loader_int.h"
#include "settings.h"

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

const char *cw_cfg_src_file(const struct loader *L, const config_setting_t *s) {
        const char *f = s ? config_setting_source_file(s) : NULL;
        return f ? f : L->path;
}

int cw_cfg_src_line(const config_setting_t *s) {
        return s ? (int)config_setting_source_line(s) : 0;
}

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
const char *cw_cfg_suggest(char *buf, size_t size, const char *name,
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
const char *cw_cfg_join(char *buf, size_t size, const char *const *names,
                        int n) {
        size_t pos = 0;
        buf[0] = '\0';
        for (int i = 0; i < n && pos < size; i++)
                pos += (size_t)snprintf(buf + pos, size - pos, "%s%s",
                                        i ? ", " : "", names[i]);
        return buf;
}

/* Reports every member of `group` whose name is not in `known`. */
void cw_cfg_check_keys(struct loader *L, const config_setting_t *group,
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
                             cw_cfg_suggest(hint, sizeof(hint), name, known, n),
                             cw_cfg_join(list, sizeof(list), known, n));
        }
}

int cw_cfg_is_number(const config_setting_t *s) {
        int t = config_setting_type(s);
        return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
               t == CONFIG_TYPE_FLOAT;
}

double cw_cfg_number_of(const config_setting_t *s) {
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
const config_setting_t *cw_cfg_get_str(struct loader *L,
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

/* Like cw_cfg_get_str for numbers; returns 1 when found and valid. */
int cw_cfg_get_num(struct loader *L, const config_setting_t *group,
                   const char *what, const char *key, int required,
                   double *out) {
        const config_setting_t *s = config_setting_get_member(group, key);
        if (!s) {
                if (required)
                        DIAG(L, group, "%s has no '%s'; add %s = <number>;",
                             what, key, key);
                return 0;
        }
        if (!cw_cfg_is_number(s)) {
                DIAG(L, s, "%s: '%s' must be a number", what, key);
                return 0;
        }
        *out = cw_cfg_number_of(s);
        return 1;
}

/* A duration setting; keeps *ms when absent. Returns 0 unless invalid. */
int cw_cfg_get_duration(struct loader *L, const config_setting_t *group,
                        const char *what, const char *key, int64_t *ms) {
        char err[256];
        const char *v;
        const config_setting_t *s = cw_cfg_get_str(L, group, what, key, 0, &v);
        if (!s)
                return config_setting_get_member(group, key) ? -1 : 0;
        if (cw_duration_parse(v, ms, err, sizeof(err))) {
                DIAG(L, s, "%s: %s: %s", what, key, err);
                return -1;
        }
        return 0;
}

/* ---- expression scopes --------------------------------------------------- */

int cw_cfg_feature_lookup(void *opaque, const char *name, size_t len,
                          struct cw_expr_var *out) {
        int i = cw_engine_conf_feature(opaque, name, len);
        if (i < 0)
                return -1;
        out->kind = CW_EXPR_VAR_NUM;
        out->slot = i;
        out->symbols = NULL;
        return 0;
}

/* Compiles the expression in setting s; reports and returns NULL on error. */
cw_expr_t *cw_cfg_compile(struct loader *L, const config_setting_t *s,
                          const char *what, const char *key,
                          const struct cw_expr_scope *scope) {
        char err[512];
        cw_expr_t *e = cw_expr_compile(config_setting_get_string(s), scope, err,
                                       sizeof(err));
        if (!e)
                DIAG(L, s, "%s: %s: %s", what, key, err);
        return e;
}

/* Names every entry of a list of groups; reports missing and duplicates. */
char **cw_cfg_load_names(struct loader *L, const config_setting_t *list,
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
                if (!cw_cfg_get_str(L, g, what, "name", 1, &name))
                        continue;
                if (!cw_engine_conf_valid_name(name)) {
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
                                             : cw_cfg_src_line(
                                                       config_setting_get_elem(
                                                               list,
                                                               j - n_seen)));
                                name = NULL;
                                break;
                        }
                }
                if (name)
                        names[i] = strdup(name);
        }
        return names;
}

/* ---- Kafka settings ------------------------------------------------------ */

/* The members of `topics`: the four input topics by stream, then the
 * warning topic and the dead-letter topic; each with its default. */
enum { TOPIC_WARNINGS = CW_STREAM_COUNT, TOPIC_DEAD_LETTER, TOPIC_COUNT };
static const char *const topic_keys[TOPIC_COUNT] = {
        "purchase", "login", "ticket", "survey", "warnings", "dead_letter"};
static const char *const topic_defaults[TOPIC_COUNT] = {
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
                p->line = cw_cfg_src_line(s);
                c->n_kafka++;
                /* librdkafka takes "" and waits for brokers forever. */
                if (p->name && !strcmp(p->name, "bootstrap.servers") && !*v)
                        DIAG(L, s,
                             "kafka.bootstrap_servers is empty: give the "
                             "brokers as \"host:port[,host:port...]\"");
                if (p->name &&
                    rd_kafka_conf_set(scratch, p->name, v, err, sizeof(err)) !=
                            RD_KAFKA_CONF_OK)
                        DIAG(L, s, "kafka.%s: %s", config_setting_name(s), err);
        }
        rd_kafka_conf_destroy(scratch);
}

static void load_topics(struct loader *L, const config_setting_t *t) {
        cw_config_t *c = L->c;
        char *names[TOPIC_COUNT] = {NULL};

        if (t && config_setting_type(t) != CONFIG_TYPE_GROUP) {
                DIAG(L, t,
                     "'topics' must be a group: topics = { purchase = "
                     "\"purchases\"; ... };");
                t = NULL;
        }
        if (t)
                cw_cfg_check_keys(L, t, "topics", topic_keys, TOPIC_COUNT);
        for (int i = 0; i < TOPIC_COUNT; i++) {
                const char *v = NULL;
                const config_setting_t *s =
                        t ? cw_cfg_get_str(L, t, "topics", topic_keys[i], 0, &v)
                          : NULL;
                if (s && !*v)
                        DIAG(L, s, "topics.%s must not be empty",
                             topic_keys[i]);
                names[i] = strdup(v && *v ? v : topic_defaults[i]);
        }
        for (int i = 0; i < TOPIC_COUNT; i++)
                for (int j = 0; j < i; j++)
                        if (!strcmp(names[i], names[j]))
                                DIAG(L, t,
                                     "topics.%s and topics.%s are both "
                                     "\"%s\"; every stream needs its own topic",
                                     topic_keys[j], topic_keys[i], names[i]);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                c->topics[s] = names[s];
        c->warnings_topic = names[TOPIC_WARNINGS];
        c->dead_letter_topic = names[TOPIC_DEAD_LETTER];
}

/* ---- the whole file ------------------------------------------------------ */

/* Where setting s of the table (settings.h) goes in c. */
static void *field_of(cw_config_t *c, const struct cw_setting *s) {
        return (char *)c + s->offset;
}

/* The table's default of s, parsed as the file's value would be. */
static void set_default(cw_config_t *c, const struct cw_setting *s) {
        char err[128];

        if (!s->default_value)
                return;
        switch (s->kind) {
        case CW_SETTING_DURATION:
                cw_duration_parse(s->default_value, field_of(c, s), err,
                                  sizeof(err));
                break;
        case CW_SETTING_MS:
                *(int *)field_of(c, s) = atoi(s->default_value);
                break;
        case CW_SETTING_CHOICE:
                for (int i = 0; s->choices[i]; i++)
                        if (!strcmp(s->choices[i], s->default_value))
                                *(int *)field_of(c, s) = i;
                break;
        default:
                break;
        }
}

/* "use "a" (the default) or "b"": the choices of s, for a message. */
static const char *choices_of(const struct cw_setting *s, char *buf,
                              size_t size) {
        size_t pos = (size_t)snprintf(buf, size, "use");
        for (int i = 0; s->choices[i] && pos < size; i++)
                pos += (size_t)snprintf(
                        buf + pos, size - pos, "%s\"%s\"%s",
                        i == 0              ? " "
                        : s->choices[i + 1] ? ", "
                                            : " or ",
                        s->choices[i],
                        s->default_value &&
                                        !strcmp(s->choices[i], s->default_value)
                                ? " (the default)"
                                : "");
        return buf;
}

/* A whole number of milliseconds within the setting's bounds. */
static void load_ms(struct loader *L, const config_setting_t *root,
                    const struct cw_setting *s) {
        double v;

        if (!cw_cfg_get_num(L, root, "the configuration", s->name, 0, &v))
                return;
        if (v < (double)s->lo || v > (double)s->hi || v != (int)v)
                DIAG(L, config_setting_get_member(root, s->name),
                     "%s = %g must be a whole number of milliseconds from "
                     "%lld to %lld",
                     s->name, v, (long long)s->lo, (long long)s->hi);
        else
                *(int *)field_of(L->c, s) = (int)v;
}

/* "HOST:PORT", kept as written once it parses. */
static void load_address(struct loader *L, const config_setting_t *root,
                         const struct cw_setting *s) {
        const config_setting_t *m;
        char host[256], err[256];
        const char *v;
        int port;

        if (!(m = cw_cfg_get_str(L, root, "the configuration", s->name, 0, &v)))
                return;
        if (cw_hostport_parse(v, host, sizeof(host), &port, err, sizeof(err)))
                DIAG(L, m, "%s: %s", s->name, err);
        else if (!(*(char **)field_of(L->c, s) = strdup(v)))
                DIAG(L, m, "out of memory");
}

/* One setting of the table, when the file has it. */
static void load_setting(struct loader *L, const config_setting_t *root,
                         const struct cw_setting *s) {
        const config_setting_t *m;
        char buf[256];
        const char *v;
        int64_t *ms;

        switch (s->kind) {
        case CW_SETTING_DURATION:
                ms = field_of(L->c, s);
                if (!cw_cfg_get_duration(L, root, "the configuration", s->name,
                                         ms) &&
                    (m = config_setting_get_member(root, s->name)) &&
                    *ms < s->lo)
                        DIAG(L, m, "%s must be longer than 0: %s", s->name,
                             s->help);
                break;
        case CW_SETTING_MS:
                load_ms(L, root, s);
                break;
        case CW_SETTING_CHOICE:
                if (!(m = cw_cfg_get_str(L, root, "the configuration", s->name,
                                         0, &v)))
                        break;
                for (int i = 0; s->choices[i]; i++)
                        if (!strcmp(s->choices[i], v)) {
                                *(int *)field_of(L->c, s) = i;
                                return;
                        }
                DIAG(L, m, "%s = \"%s\": %s", s->name, v,
                     choices_of(s, buf, sizeof(buf)));
                break;
        case CW_SETTING_ADDRESS:
                load_address(L, root, s);
                break;
        default: /* sections and groups have loaders of their own */
                break;
        }
}

/* The defaults that follow from other settings, where the file has none. */
static void derived_defaults(struct loader *L, const config_setting_t *root) {
        cw_config_t *c = L->c;
        cw_engine_conf_t *e = L->e;

        for (int i = 0; i < e->n_features; i++)
                if (e->features[i].window_days > e->max_window_days)
                        e->max_window_days = e->features[i].window_days;
        if (!config_setting_get_member(root, "warmup"))
                c->warmup_ms =
                        e->max_window_days * CW_MS_PER_DAY + e->lateness_ms;
        /* As Kafka Streams: a transaction per 100 ms; without them,
         * offsets commit less often. */
        if (!config_setting_get_member(root, "commit_interval_ms"))
                c->commit_interval_ms =
                        c->guarantee == CW_EXACTLY_ONCE ? 100 : 1000;
}

static void load_root(struct loader *L) {
        const config_setting_t *root = config_root_setting(&L->lc);
        const char *names[64]; /* more than the table holds */
        const config_setting_t *s;
        int n = 0;

        for (; n < cw_n_settings && n < 64; n++)
                names[n] = cw_settings[n].name;
        cw_cfg_check_keys(L, root, "the configuration", names, n);
        s = config_setting_get_member(root, "features");
        if (s)
                cw_cfg_load_features(L, s);
        else
                DIAG(L, root,
                     "no 'features': add features = ( { name = ...; "
                     "stream = ...; agg = ...; } );");
        cw_cfg_load_alerts(L, config_setting_get_member(root, "rules"),
                           config_setting_get_member(root, "models"));
        for (int i = 0; i < cw_n_settings; i++) {
                set_default(L->c, &cw_settings[i]);
                load_setting(L, root, &cw_settings[i]);
        }
        derived_defaults(L, root);
        if ((s = config_setting_get_member(root, "kafka")))
                load_kafka(L, s);
        load_topics(L, config_setting_get_member(root, "topics"));
        if ((s = config_setting_get_member(root, "schema_registry")))
                cw_cfg_load_registry(L, s);
}

cw_config_t *cw_config_load(const char *path, struct cw_diags *diags) {
        struct loader L = {.d = diags, .path = path};
        int before = diags->n;
        char why[128];

        if (cw_file_special(path, why, sizeof(why))) {
                cw_diags_add(diags, path, 0,
                             "%s; give the configuration file itself", why);
                return NULL;
        }
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
        L.e = &L.c->engine;
        cw_cfg_expand_env(&L, config_root_setting(&L.lc));
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
        cw_engine_conf_free(&c->engine);
        for (int i = 0; i < c->n_kafka; i++) {
                free(c->kafka[i].name);
                free(c->kafka[i].value);
        }
        free(c->kafka);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                free(c->topics[s]);
        free(c->warnings_topic);
        free(c->dead_letter_topic);
        free(c->http_listen);
        cw_registry_conf_destroy(c->registry);
        free(c->path);
        free(c);
}

int cw_config_kafka_set(cw_config_t *c, const char *name, const char *value) {
        struct cw_kafka_prop *p = NULL, *grown;
        char *v = strdup(value), *n;

        if (!v)
                return -1;
        for (int i = 0; i < c->n_kafka; i++)
                if (!strcmp(c->kafka[i].name, name))
                        p = &c->kafka[i]; /* the last one counts */
        if (p) {
                free(p->value);
                p->value = v;
                return 0;
        }
        if (!(n = strdup(name)) ||
            !(grown = realloc(c->kafka,
                              (size_t)(c->n_kafka + 1) * sizeof(*grown)))) {
                free(n);
                free(v);
                return -1;
        }
        c->kafka = grown;
        c->kafka[c->n_kafka++] = (struct cw_kafka_prop){n, v, 0};
        return 0;
}

const char *cw_config_kafka_get(const cw_config_t *c, const char *name) {
        for (int i = 0; i < c->n_kafka; i++)
                if (!strcmp(c->kafka[i].name, name))
                        return c->kafka[i].value;
        return NULL;
}

int cw_config_kafka_has(const cw_config_t *c, const char *name) {
        return cw_config_kafka_get(c, name) != NULL;
}

void cw_config_state_topic(const cw_config_t *c, char *buf, size_t size) {
        const char *g = cw_config_kafka_get(c, "group.id");
        snprintf(buf, size, "%s-state", g ? g : "churnwatch");
}
