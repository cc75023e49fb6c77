/*
 * ${NAME} in string settings, expanded from the environment before any
 * setting is read, so that every loader sees the final values: passwords
 * from Kubernetes Secrets, group.instance.id from the pod's name. `$${`
 * is a literal `${`; any other `$` is itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader_int.h"

struct buf {
        char *p;
        size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n) {
        if (b->len + n + 1 > b->cap) {
                size_t cap = (b->len + n + 1) * 2;
                char *p = realloc(b->p, cap);
                if (!p)
                        return -1;
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = 0;
        return 0;
}

static int is_name(const char *s, size_t n) {
        if (!n || (s[0] >= '0' && s[0] <= '9'))
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9')))
                        return 0;
        return 1;
}

/* Where s is, for a message: "kafka.sasl_password", "features[2].where". */
static const char *path_of(const config_setting_t *s, char *buf, size_t size) {
        const config_setting_t *up = config_setting_parent(s);
        const char *name = config_setting_name(s);
        size_t n;

        if (!up || !config_setting_parent(up)) { /* a root setting */
                snprintf(buf, size, "%s", name ? name : "?");
                return buf;
        }
        path_of(up, buf, size);
        n = strlen(buf);
        if (name)
                snprintf(buf + n, size - n, ".%s", name);
        else
                snprintf(buf + n, size - n, "[%d]", config_setting_index(s));
        return buf;
}

/* The value of variable name[0..n-1], or NULL after reporting it unset. */
static const char *lookup(struct loader *L, const config_setting_t *s,
                          const char *name, size_t n) {
        char *var = strndup(name, n), where[256];
        const char *v = var ? getenv(var) : NULL;

        if (!var)
                DIAG(L, s, "out of memory");
        else if (!v)
                DIAG(L, s,
                     "%s: environment variable %s is not set (${%s}); set "
                     "it, or write \"$${\" for a literal \"${\"",
                     path_of(s, where, sizeof(where)), var, var);
        free(var);
        return v;
}

/*
 * Expands one string setting. 1 when it changed (out filled), 0 when it
 * has nothing to expand, -1 after reporting a problem.
 */
static int expand(struct loader *L, const config_setting_t *s, const char *in,
                  struct buf *out) {
        const char *q = in;
        char where[256];
        int changed = 0, bad = 0;

        while (*q && !bad) {
                const char *dollar = strchr(q, '$'), *end, *v;
                if (!dollar)
                        dollar = q + strlen(q);
                bad |= put(out, q, (size_t)(dollar - q));
                q = dollar;
                if (!*q)
                        break;
                changed = 1;
                if (!strncmp(q, "$${", 3)) { /* the escape */
                        bad |= put(out, "${", 2);
                        q += 3;
                        continue;
                }
                if (q[1] != '{') {
                        bad |= put(out, q++, 1);
                        continue;
                }
                if (!(end = strchr(q + 2, '}'))) {
                        DIAG(L, s,
                             "%s: \"${\" without a closing \"}\"; write "
                             "\"$${\" for a literal \"${\"",
                             path_of(s, where, sizeof(where)));
                        return -1;
                }
                if (!is_name(q + 2, (size_t)(end - q - 2))) {
                        DIAG(L, s,
                             "%s: \"%.*s\" is not ${NAME} (letters, digits "
                             "and _, not starting with a digit); write "
                             "\"$${\" for a literal \"${\"",
                             path_of(s, where, sizeof(where)),
                             (int)(end - q + 1), q);
                        return -1;
                }
                if (!(v = lookup(L, s, q + 2, (size_t)(end - q - 2))))
                        return -1;
                bad |= put(out, v, strlen(v));
                q = end + 1;
        }
        if (bad) {
                DIAG(L, s, "out of memory");
                return -1;
        }
        return changed;
}

void cw_cfg_expand_env(struct loader *L, config_setting_t *s) {
        if (config_setting_is_aggregate(s)) {
                for (int i = 0; i < config_setting_length(s); i++)
                        cw_cfg_expand_env(
                                L, config_setting_get_elem(s, (unsigned)i));
                return;
        }
        if (config_setting_type(s) == CONFIG_TYPE_STRING) {
                struct buf out = {0};
                if (expand(L, s, config_setting_get_string(s), &out) > 0 &&
                    config_setting_set_string(s, out.p ? out.p : "") !=
                            CONFIG_TRUE)
                        DIAG(L, s, "out of memory");
                free(out.p);
        }
}
