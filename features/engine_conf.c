#include "engine_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cw_agg_names[CW_AGG_COUNT_] = {
        "count",           "sum", "avg", "min", "max", "distinct_days", "last",
        "days_since_last", "expr"};

void cw_engine_conf_free(cw_engine_conf_t *c) {
        for (int i = 0; i < c->n_features; i++) {
                free(c->features[i].name);
                cw_expr_destroy(c->features[i].where);
                cw_expr_destroy(c->features[i].expr);
        }
        free(c->features);
        free(c->eval_order);
        for (int i = 0; i < c->n_alerts; i++) {
                struct cw_alert *a = &c->alerts[i];
                if (a->variant) {
                        free(a->variant);
                        continue;
                }
                free(a->name);
                free(a->severity);
                cw_expr_destroy(a->when);
                cw_expr_destroy(a->clear);
                free(a->inputs);
                cw_trees_destroy(a->trees);
                free(a->refs);
        }
        free(c->alerts);
        memset(c, 0, sizeof(*c));
}

int cw_engine_conf_valid_name(const char *s) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              *s == '_'))
                return 0;
        for (s++; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_'))
                        return 0;
        return 1;
}

int cw_engine_conf_feature(const cw_engine_conf_t *c, const char *name,
                           size_t len) {
        for (int i = 0; i < c->n_features; i++)
                if (c->features[i].name && strlen(c->features[i].name) == len &&
                    !memcmp(c->features[i].name, name, len))
                        return i;
        return -1;
}

int cw_engine_conf_alert(const cw_engine_conf_t *c, const char *name) {
        for (int i = 0; i < c->n_alerts - c->n_variants; i++)
                if (!strcmp(c->alerts[i].name, name))
                        return i;
        return -1;
}

int cw_engine_conf_add_variant(cw_engine_conf_t *c, int model, double v,
                               char *errstr, size_t errstr_size) {
        const struct cw_alert *m = &c->alerts[model];
        struct cw_alert *grown, *a;
        char label[64];

        if (m->kind != CW_ALERT_MODEL || m->variant) {
                snprintf(errstr, errstr_size,
                         "%s is a rule: only a model's fire can be swept",
                         m->name);
                return -1;
        }
        if (!(v >= 0 && v <= 1)) {
                snprintf(errstr, errstr_size, "%s: fire = %g is outside [0, 1]",
                         m->name, v);
                return -1;
        }
        snprintf(label, sizeof(label), "fire=%g", v);
        for (int i = c->n_alerts - c->n_variants; i < c->n_alerts; i++)
                if (c->alerts[i].base == model &&
                    !strcmp(c->alerts[i].variant, label))
                        return 0;
        grown = realloc(c->alerts, ((size_t)c->n_alerts + 1) * sizeof(*a));
        if (!grown) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        c->alerts = grown;
        a = &c->alerts[c->n_alerts];
        *a = c->alerts[model];
        a->fire = v;
        a->clear_below = a->clear_below < v ? a->clear_below : v;
        a->base = model;
        if (!(a->variant = strdup(label))) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        c->n_alerts++;
        c->n_variants++;
        return 0;
}
