/* The `rules` and `models` sections of the configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "loader_int.h"

/* ---- rules and models ---------------------------------------------------- */

static const char *const rule_keys[] = {"name",     "when", "clear",
                                        "severity", "for",  "cooldown"};
static const char *const model_keys[] = {"name",     "type", "intercept",
                                         "inputs",   "fire", "clear",
                                         "severity", "for",  "cooldown"};
static const char *const xgboost_keys[] = {"name",     "type", "file",
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
        const config_setting_t *s =
                cw_cfg_get_str(L, g, what, "severity", 0, &sev);

        a->line = cw_cfg_src_line(g);
        if (s && !*sev)
                DIAG(L, s, "%s: severity must not be empty", what);
        a->severity = strdup(sev && *sev ? sev : "medium");
        cw_cfg_get_duration(L, g, what, "for", &a->for_ms);
        cw_cfg_get_duration(L, g, what, "cooldown", &a->cooldown_ms);
}

static void load_rule(struct loader *L, const config_setting_t *g,
                      struct cw_alert *a) {
        struct cw_expr_scope scope = {"feature", cw_cfg_feature_lookup, L->e};
        const config_setting_t *s;
        const char *v;
        char what[160];
        const int *slots;
        int n;

        snprintf(what, sizeof(what), "rule '%s'", a->name);
        a->kind = CW_ALERT_RULE;
        cw_cfg_check_keys(L, g, what, rule_keys, CW_COUNT_OF(rule_keys));
        load_alert_common(L, g, what, a);
        if ((s = cw_cfg_get_str(L, g, what, "when", 1, &v)) &&
            (a->when = cw_cfg_compile(L, s, what, "when", &scope))) {
                slots = cw_expr_slots(a->when, &n);
                add_refs(a, slots, n);
        }
        if ((s = cw_cfg_get_str(L, g, what, "clear", 0, &v)) &&
            (a->clear = cw_cfg_compile(L, s, what, "clear", &scope))) {
                slots = cw_expr_slots(a->clear, &n);
                add_refs(a, slots, n);
        }
}

/* The index of the feature a model input names, or -1 (reported). */
static int input_feature(struct loader *L, const config_setting_t *s,
                         const char *what, const char *name) {
        int f = cw_engine_conf_feature(L->e, name, strlen(name));
        const char **names;
        char hint[96];

        if (f >= 0)
                return f;
        names = calloc((size_t)L->e->n_features + 1, sizeof(*names));
        for (int i = 0; names && i < L->e->n_features; i++)
                names[i] = L->e->features[i].name ? L->e->features[i].name : "";
        DIAG(L, s,
             "%s: unknown feature '%s'%s; a model input must name a "
             "feature",
             what, name,
             names ? cw_cfg_suggest(hint, sizeof(hint), name, names,
                                    L->e->n_features)
                   : "");
        free(names);
        return -1;
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
        cw_cfg_check_keys(L, g, what, input_keys, CW_COUNT_OF(input_keys));
        in->feature = -1;
        if ((s = cw_cfg_get_str(L, g, what, "feature", 1, &v)) &&
            (in->feature = input_feature(L, s, what, v)) >= 0)
                add_refs(a, &in->feature, 1);
        cw_cfg_get_num(L, g, what, "weight", 1, &in->weight);
        cw_cfg_get_num(L, g, what, "missing", 0, &in->missing);
        if ((s = config_setting_get_member(g, "clip"))) {
                const config_setting_t *lo = config_setting_get_elem(s, 0);
                const config_setting_t *hi = config_setting_get_elem(s, 1);
                if ((config_setting_type(s) != CONFIG_TYPE_ARRAY &&
                     config_setting_type(s) != CONFIG_TYPE_LIST) ||
                    config_setting_length(s) != 2 || !cw_cfg_is_number(lo) ||
                    !cw_cfg_is_number(hi)) {
                        DIAG(L, s,
                             "%s: clip must be two numbers, e.g. "
                             "clip = [0.0, 365.0];",
                             what);
                } else {
                        in->has_clip = 1;
                        in->clip_lo = cw_cfg_number_of(lo);
                        in->clip_hi = cw_cfg_number_of(hi);
                        if (in->clip_lo > in->clip_hi)
                                DIAG(L, s,
                                     "%s: clip = [%g, %g] has lo > hi; "
                                     "write the lower bound first",
                                     what, in->clip_lo, in->clip_hi);
                }
        }
        if ((s = cw_cfg_get_str(L, g, what, "transform", 0, &v))) {
                int t = 0;
                while (t < 3 && strcmp(transform_names[t], v))
                        t++;
                if (t == 3)
                        DIAG(L, s, "%s: unknown transform \"%s\"%s (known: %s)",
                             what, v,
                             cw_cfg_suggest(hint, sizeof(hint), v,
                                            transform_names, 3),
                             cw_cfg_join(list, sizeof(list), transform_names,
                                         3));
                else
                        in->transform = (cw_transform_t)t;
        }
        if (in->transform == CW_TRANSFORM_STANDARDIZE) {
                cw_cfg_get_num(L, g, what, "mean", 1, &in->mean);
                if (cw_cfg_get_num(L, g, what, "std", 1, &in->std) &&
                    !(in->std > 0))
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

static void load_logistic(struct loader *L, const config_setting_t *g,
                          const char *what, struct cw_alert *a) {
        const config_setting_t *s = config_setting_get_member(g, "inputs");

        cw_cfg_get_num(L, g, what, "intercept", 0, &a->intercept);
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
}

/* inputs = ["f1", "f2"]: model feature i is the i-th name; each must be a
 * known feature, named once (reported). Fills names[] (borrowed from the
 * setting); returns how many, or -1 when one is not a string. */
static int load_xgboost_inputs(struct loader *L, const config_setting_t *s,
                               const char *what, struct cw_alert *a,
                               const char **names) {
        int n = config_setting_length(s), strings = 1;

        if (!(a->inputs = calloc((size_t)n, sizeof(*a->inputs))))
                return -1;
        a->n_inputs = n;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e =
                        config_setting_get_elem(s, (unsigned)i);
                struct cw_model_input *in = &a->inputs[i];

                in->feature = -1;
                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                        DIAG(L, s,
                             "%s: inputs[%d] must be a feature name in "
                             "double quotes",
                             what, i);
                        strings = 0;
                        continue;
                }
                names[i] = config_setting_get_string(e);
                if ((in->feature = input_feature(L, s, what, names[i])) < 0)
                        continue;
                for (int k = 0; k < i; k++)
                        if (a->inputs[k].feature == in->feature)
                                DIAG(L, s,
                                     "%s: '%s' is inputs[%d] and "
                                     "inputs[%d]; name each model "
                                     "feature once",
                                     what, names[i], k, i);
                add_refs(a, &in->feature, 1);
        }
        return strings ? n : -1;
}

static void load_xgboost(struct loader *L, const config_setting_t *g,
                         const char *what, struct cw_alert *a) {
        const config_setting_t *s = config_setting_get_member(g, "inputs"), *f;
        const char *file, *names[CW_TREES_MAX_FEATURES];
        int n = -1;

        if (!s) {
                DIAG(L, g,
                     "%s has no 'inputs'; add inputs = [\"feature\", ...]; "
                     "with the model's features in order",
                     what);
        } else if ((config_setting_type(s) != CONFIG_TYPE_ARRAY &&
                    config_setting_type(s) != CONFIG_TYPE_LIST) ||
                   config_setting_length(s) < 1 ||
                   config_setting_length(s) > CW_TREES_MAX_FEATURES) {
                DIAG(L, s,
                     "%s: inputs must list 1 to %d feature names, e.g. "
                     "inputs = [\"f1\", \"f2\"];",
                     what, CW_TREES_MAX_FEATURES);
        } else {
                n = load_xgboost_inputs(L, s, what, a, names);
        }
        if ((f = cw_cfg_get_str(L, g, what, "file", 1, &file)) && !*file)
                DIAG(L, f, "%s: file must name the model's JSON file", what);
        else if (f && n > 0)
                a->trees = cw_cfg_load_xgboost(L, f, what, names, n);
}

static void load_model(struct loader *L, const config_setting_t *g,
                       struct cw_alert *a) {
        const config_setting_t *s;
        const char *type;
        char what[160];
        int has_clear, xgboost, known;

        snprintf(what, sizeof(what), "model '%s'", a->name);
        a->kind = CW_ALERT_MODEL;
        s = cw_cfg_get_str(L, g, what, "type", 1, &type);
        xgboost = s && !strcmp(type, "xgboost");
        known = !s || xgboost || !strcmp(type, "logistic");
        if (!known)
                DIAG(L, s,
                     "%s: unknown type \"%s\"; the model types are "
                     "\"logistic\" and \"xgboost\"",
                     what, type);
        if (xgboost)
                cw_cfg_check_keys(L, g, what, xgboost_keys,
                                  CW_COUNT_OF(xgboost_keys));
        else if (known)
                cw_cfg_check_keys(L, g, what, model_keys,
                                  CW_COUNT_OF(model_keys));
        load_alert_common(L, g, what, a);
        if (xgboost)
                load_xgboost(L, g, what, a);
        else if (known)
                load_logistic(L, g, what, a);

        if (cw_cfg_get_num(L, g, what, "fire", 1, &a->fire) &&
            !(a->fire >= 0 && a->fire <= 1))
                DIAG(L, config_setting_get_member(g, "fire"),
                     "%s: fire = %g is outside [0, 1]; a score is a "
                     "probability",
                     what, a->fire);
        has_clear = cw_cfg_get_num(L, g, what, "clear", 0, &a->clear_below);
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

void cw_cfg_load_alerts(struct loader *L, const config_setting_t *rules,
                        const config_setting_t *models) {
        cw_engine_conf_t *c = L->e;
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
        if (nr &&
            !(rnames = cw_cfg_load_names(L, rules, "alert", NULL, 0, NULL)))
                goto out_free;
        for (int i = 0; i < nr; i++)
                rlines[i] = cw_cfg_src_line(
                        config_setting_get_elem(rules, (unsigned)i));
        if (nm && !(mnames = cw_cfg_load_names(L, models, "alert", rnames, nr,
                                               rlines)))
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
