/* The `schema_registry` group (CONTRACT.md section 8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader_int.h"

static const char *const registry_keys[] = {"url", "basic_auth_user_info",
                                            "auto_register", "ssl_ca_location",
                                            "timeout_ms"};

/* Whether `u` (len bytes) is an http:// or https:// URL with a host. */
static int valid_url(const char *u, size_t len) {
        size_t skip = len >= 7 && !strncmp(u, "http://", 7)    ? 7
                      : len >= 8 && !strncmp(u, "https://", 8) ? 8
                                                               : 0;
        if (!skip || skip == len || u[skip] == '/' || u[skip] == ':')
                return 0;
        for (size_t i = 0; i < len; i++)
                if (u[i] <= ' ' || u[i] == '"' || u[i] == '\\')
                        return 0;
        return 1;
}

/* Splits `url` at commas into r->urls, each without a trailing '/'. */
static void load_urls(struct loader *L, const config_setting_t *s,
                      const char *url, struct cw_registry_conf *r) {
        const char *p = url;

        r->urls = calloc(strlen(url) / 2 + 2, sizeof(*r->urls));
        while (r->urls) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                while (len && *p == ' ')
                        p++, len--;
                while (len && (p[len - 1] == ' ' || p[len - 1] == '/'))
                        len--;
                if (!valid_url(p, len))
                        DIAG(L, s,
                             "schema_registry.url: '%.*s' is not an http:// "
                             "or https:// URL with a host; list base URLs "
                             "separated by commas",
                             (int)len, p);
                else
                        r->urls[r->n_urls++] = strndup(p, len);
                if (!end)
                        break;
                p = end + 1;
        }
}

static void load_user_info(struct loader *L, const config_setting_t *g,
                           struct cw_registry_conf *r) {
        const char *v;
        const config_setting_t *s = cw_cfg_get_str(
                L, g, "schema_registry", "basic_auth_user_info", 0, &v);

        if (!s)
                return;
        /* The value is a secret: the message never shows it. */
        if (!strchr(v, ':'))
                DIAG(L, s,
                     "schema_registry.basic_auth_user_info must be "
                     "\"user:password\"");
        else
                r->user_info = strdup(v);
}

void cw_cfg_load_registry(struct loader *L, const config_setting_t *g) {
        struct cw_registry_conf *r;
        const config_setting_t *s;
        const char *v;
        double ms;

        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                DIAG(L, g,
                     "'schema_registry' must be a group: schema_registry = "
                     "{ url = \"http://registry:8081\"; };");
                return;
        }
        if (!(r = L->c->registry = calloc(1, sizeof(*r))))
                return;
        r->auto_register = 1;
        r->timeout_ms = 10000;
        r->line = cw_cfg_src_line(g);
        cw_cfg_check_keys(L, g, "schema_registry", registry_keys,
                          CW_COUNT_OF(registry_keys));
        if ((s = cw_cfg_get_str(L, g, "schema_registry", "url", 1, &v)))
                load_urls(L, s, v, r);
        load_user_info(L, g, r);
        if ((s = config_setting_get_member(g, "auto_register"))) {
                if (config_setting_type(s) != CONFIG_TYPE_BOOL)
                        DIAG(L, s,
                             "schema_registry.auto_register must be true or "
                             "false");
                else
                        r->auto_register = config_setting_get_bool(s);
        }
        if (cw_cfg_get_str(L, g, "schema_registry", "ssl_ca_location", 0, &v))
                r->ssl_ca_location = strdup(v);
        if (cw_cfg_get_num(L, g, "schema_registry", "timeout_ms", 0, &ms)) {
                if (ms < 1 || ms > 300000 || ms != (int)ms)
                        DIAG(L, config_setting_get_member(g, "timeout_ms"),
                             "schema_registry.timeout_ms = %g must be a whole "
                             "number of milliseconds from 1 to 300000",
                             ms);
                else
                        r->timeout_ms = (int)ms;
        }
}

void cw_registry_conf_destroy(struct cw_registry_conf *r) {
        if (!r)
                return;
        for (int i = 0; i < r->n_urls; i++)
                free(r->urls[i]);
        free(r->urls);
        free(r->user_info);
        free(r->ssl_ca_location);
        free(r);
}
