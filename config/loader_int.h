/*
 * Inside the configuration loader: shared by config.c (helpers, Kafka,
 * the file as a whole), config_features.c and config_alerts.c. Every
 * helper reports problems through the loader's diagnostics and carries on,
 * so that all problems of a file are found in one pass.
 */
#ifndef CW_CONFIG_LOAD_H
#define CW_CONFIG_LOAD_H

#include <libconfig.h>

#include "config.h"

struct loader {
        config_t lc;
        cw_config_t *c;
        cw_engine_conf_t *e; /* &c->engine */
        struct cw_diags *d;
        const char *path;
};

#define DIAG(L, s, ...)                                                        \
        cw_diags_add((L)->d, cw_cfg_src_file(L, s), cw_cfg_src_line(s),        \
                     __VA_ARGS__)

#define MAX_WINDOW_DAYS 3650

/* The number of entries of a static array. */
#define CW_COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *cw_cfg_src_file(const struct loader *L, const config_setting_t *s);
int cw_cfg_src_line(const config_setting_t *s);
/* "; did you mean 'x'?" for the closest of names, or "". */
const char *cw_cfg_suggest(char *buf, size_t size, const char *name,
                           const char *const *names, int n);
/* "a, b, c". */
const char *cw_cfg_join(char *buf, size_t size, const char *const *names,
                        int n);
void cw_cfg_check_keys(struct loader *L, const config_setting_t *group,
                       const char *what, const char *const *known, int n);
int cw_cfg_is_number(const config_setting_t *s);
double cw_cfg_number_of(const config_setting_t *s);
const config_setting_t *cw_cfg_get_str(struct loader *L,
                                       const config_setting_t *group,
                                       const char *what, const char *key,
                                       int required, const char **out);
int cw_cfg_get_num(struct loader *L, const config_setting_t *group,
                   const char *what, const char *key, int required,
                   double *out);
int cw_cfg_get_duration(struct loader *L, const config_setting_t *group,
                        const char *what, const char *key, int64_t *ms);
int cw_cfg_feature_lookup(void *opaque, const char *name, size_t len,
                          struct cw_expr_var *out);
cw_expr_t *cw_cfg_compile(struct loader *L, const config_setting_t *s,
                          const char *what, const char *key,
                          const struct cw_expr_scope *scope);
char **cw_cfg_load_names(struct loader *L, const config_setting_t *list,
                         const char *kind, char **seen, int n_seen,
                         const int *seen_lines);

/* Expands ${NAME} in every string setting under s (env.c), reporting
 * each unset variable with its line. */
void cw_cfg_expand_env(struct loader *L, config_setting_t *s);
/* The trees of an xgboost model from the JSON file that setting `file`
 * names (relative to the folder of the file holding it), whose feature i
 * is inputs[i]. NULL when any problem was found (reported). xgboost.c. */
cw_trees_t *cw_cfg_load_xgboost(struct loader *L, const config_setting_t *file,
                                const char *what, const char *const *inputs,
                                int n_inputs);

/* The sections: config_features.c and config_alerts.c. */
void cw_cfg_load_features(struct loader *L, const config_setting_t *list);
void cw_cfg_load_registry(struct loader *L, const config_setting_t *g);
void cw_cfg_load_alerts(struct loader *L, const config_setting_t *rules,
                        const config_setting_t *models);

#endif
