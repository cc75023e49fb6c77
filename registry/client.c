#include "client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer.h"
#include "common/log.h"

/* Answers larger than this are refused: a schema is kilobytes. */
#define MAX_BODY (16u << 20)

struct cw_registry_client {
        const struct cw_registry_conf *conf;
        CURL *curl;
        struct curl_slist *headers;
        char **shown; /* each base URL as messages show it: no user info */
        char curl_err[CURL_ERROR_SIZE]; /* curl's own words on a failure */
        char *body;                     /* the last answer */
        size_t len, cap;
        int too_big;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* "https://user:pw@host/x" is shown as "https://host/x". */
static char *shown_url(const char *url) {
        const char *scheme = strstr(url, "://"), *host, *at;
        char *out;

        host = scheme ? scheme + 3 : url;
        at = strchr(host, '@');
        if (!at || (strchr(host, '/') && strchr(host, '/') < at))
                return strdup(url);
        if (!(out = malloc(strlen(url) + 1)))
                return NULL;
        snprintf(out, strlen(url) + 1, "%.*s%s", (int)(host - url), url,
                 at + 1);
        return out;
}

static size_t on_body(char *p, size_t size, size_t n, void *opaque) {
        cw_registry_client_t *c = opaque;
        size_t add = size * n;

        if (c->len + add + 1 > MAX_BODY) {
                c->too_big = 1;
                return 0;
        }
        if (c->len + add + 1 > c->cap) {
                size_t cap = (c->len + add + 1) * 2;
                char *b = realloc(c->body, cap);
                if (!b)
                        return 0;
                c->body = b;
                c->cap = cap;
        }
        memcpy(c->body + c->len, p, add);
        c->len += add;
        c->body[c->len] = 0;
        return add;
}

cw_registry_client_t *
cw_registry_client_new(const struct cw_registry_conf *conf, char *errstr,
                       size_t errstr_size) {
        cw_registry_client_t *c = calloc(1, sizeof(*c));

        pthread_once(&curl_once, curl_init);
        if (!c || !(c->curl = curl_easy_init()) ||
            !(c->shown = calloc((size_t)conf->n_urls + 1, sizeof(char *))))
                goto out_oom;
        c->conf = conf;
        for (int i = 0; i < conf->n_urls; i++)
                if (!(c->shown[i] = shown_url(conf->urls[i])))
                        goto out_oom;
        c->headers = curl_slist_append(
                NULL, "Accept: application/vnd.schemaregistry.v1+json");
        c->headers = curl_slist_append(
                c->headers,
                "Content-Type: application/vnd.schemaregistry.v1+json");
        if (!c->headers)
                goto out_oom;
        return c;
out_oom:
        snprintf(errstr, errstr_size,
                 "out of memory making the Schema Registry client");
        cw_registry_client_destroy(c);
        return NULL;
}

void cw_registry_client_destroy(cw_registry_client_t *c) {
        if (!c)
                return;
        if (c->curl)
                curl_easy_cleanup(c->curl);
        curl_slist_free_all(c->headers);
        for (int i = 0; c->shown && i < c->conf->n_urls; i++)
                free(c->shown[i]);
        free(c->shown);
        free(c->body);
        free(c);
}

/* Sets up one request to base URL `u` + path. */
static void prepare(cw_registry_client_t *c, int u, const char *path,
                    const char *post) {
        const struct cw_registry_conf *conf = c->conf;
        char url[2048];

        snprintf(url, sizeof(url), "%s%s", conf->urls[u], path);
        curl_easy_reset(c->curl);
        curl_easy_setopt(c->curl, CURLOPT_URL, url);
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
        curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->curl_err);
        c->curl_err[0] = 0;
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)conf->timeout_ms);
        curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)conf->timeout_ms);
        curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        if (conf->user_info) {
                curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
                curl_easy_setopt(c->curl, CURLOPT_USERPWD, conf->user_info);
        }
        if (conf->ssl_ca_location)
                curl_easy_setopt(c->curl, CURLOPT_CAINFO,
                                 conf->ssl_ca_location);
        if (post)
                curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, post);
        c->len = 0;
        c->too_big = 0;
        if (c->body)
                c->body[0] = 0;
}

/*
 * Sends the request to each base URL in turn until one answers below 500.
 * OK with the answer in c->body for 2xx; REFUSED for 4xx (and other
 * answers, e.g. 3xx); UNAVAILABLE when none answered.
 */
static cw_registry_status_t request(cw_registry_client_t *c, const char *method,
                                    const char *path, const char *post,
                                    int *http_status, char *errstr,
                                    size_t errstr_size) {
        char msg[512];
        long status = 0;

        for (int u = 0; u < c->conf->n_urls; u++) {
                CURLcode rc;
                prepare(c, u, path, post);
                rc = curl_easy_perform(c->curl);
                curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
                if (rc != CURLE_OK) {
                        snprintf(errstr, errstr_size, "%s %s%s: %s", method,
                                 c->shown[u], path,
                                 c->too_big       ? "answer over 16 MB"
                                 : c->curl_err[0] ? c->curl_err
                                                  : curl_easy_strerror(rc));
                        continue;
                }
                if (status >= 500) {
                        cw_registry_answer_message(c->body, c->len, msg,
                                                   sizeof(msg));
                        snprintf(errstr, errstr_size, "%s %s%s: HTTP %ld: %s",
                                 method, c->shown[u], path, status, msg);
                        continue;
                }
                if (http_status)
                        *http_status = (int)status;
                if (status >= 200 && status < 300)
                        return CW_REGISTRY_OK;
                cw_registry_answer_message(c->body, c->len, msg, sizeof(msg));
                snprintf(errstr, errstr_size, "%s %s%s: HTTP %ld: %s", method,
                         c->shown[u], path, status, msg);
                return CW_REGISTRY_REFUSED;
        }
        return CW_REGISTRY_UNAVAILABLE;
}

cw_registry_status_t cw_registry_schema(cw_registry_client_t *c, int32_t id,
                                        char **schema, int *http_status,
                                        char *errstr, size_t errstr_size) {
        char path[64], why[128];
        cw_registry_status_t st;

        snprintf(path, sizeof(path), "/schemas/ids/%d", (int)id);
        *schema = NULL;
        *http_status = 0;
        st = request(c, "GET", path, NULL, http_status, errstr, errstr_size);
        if (st != CW_REGISTRY_OK)
                return st;
        if (!(*schema = cw_registry_answer_schema(c->body, c->len, why,
                                                  sizeof(why)))) {
                snprintf(errstr, errstr_size, "GET %s%s: %s", c->shown[0], path,
                         why);
                *http_status = 404;
                return CW_REGISTRY_REFUSED;
        }
        return CW_REGISTRY_OK;
}

/* A subject as a URL path segment: every byte outside [A-Za-z0-9._~-]
 * percent-encoded. */
static void path_segment(char *out, size_t size, const char *s) {
        size_t o = 0;
        for (; *s && o + 4 < size; s++) {
                unsigned char ch = (unsigned char)*s;
                if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || strchr("._~-", ch))
                        out[o++] = (char)ch;
                else
                        o += (size_t)snprintf(out + o, size - o, "%%%02X", ch);
        }
        out[o] = 0;
}

cw_registry_status_t cw_registry_register(cw_registry_client_t *c,
                                          const char *subject,
                                          const char *schema, int lookup_only,
                                          int32_t *id, char *errstr,
                                          size_t errstr_size) {
        char path[1024], seg[900], *post;
        json_t *req = json_pack("{s:s}", "schema", schema);
        cw_registry_status_t st;
        int32_t v;

        path_segment(seg, sizeof(seg), subject);
        snprintf(path, sizeof(path), "/subjects/%s%s", seg,
                 lookup_only ? "" : "/versions");
        if (!req || !(post = json_dumps(req, JSON_COMPACT))) {
                json_decref(req);
                snprintf(errstr, errstr_size, "out of memory");
                return CW_REGISTRY_REFUSED;
        }
        json_decref(req);
        st = request(c, "POST", path, post, NULL, errstr, errstr_size);
        free(post);
        if (st != CW_REGISTRY_OK)
                return st;
        if (!(v = cw_registry_answer_id(c->body, c->len))) {
                snprintf(errstr, errstr_size,
                         "POST %s%s: the answer has no schema id", c->shown[0],
                         path);
                return CW_REGISTRY_REFUSED;
        }
        *id = v;
        return CW_REGISTRY_OK;
}

/* Sleeps ms in slices of 100, giving up when *stop is set: 1 then. */
static int sleep_unless(volatile sig_atomic_t *stop, int ms) {
        for (int slept = 0; slept < ms; slept += 100) {
                struct timespec t = {0, 100 * 1000000L};
                if (stop && *stop)
                        return 1;
                nanosleep(&t, NULL);
        }
        return stop && *stop;
}

int cw_registry_subject_id(const struct cw_registry_conf *conf,
                           const char *subject, const char *schema,
                           volatile sig_atomic_t *stop, int32_t *id,
                           char *errstr, size_t errstr_size) {
        cw_registry_client_t *c =
                cw_registry_client_new(conf, errstr, errstr_size);
        cw_registry_status_t st = CW_REGISTRY_UNAVAILABLE;
        int backoff = 100;

        while (c) {
                st = cw_registry_register(c, subject, schema,
                                          !conf->auto_register, id, errstr,
                                          errstr_size);
                if (st != CW_REGISTRY_UNAVAILABLE)
                        break;
                cw_warn("registry: subject %s: %s; trying again in %.1f s",
                        subject, errstr, backoff / 1000.0);
                if (sleep_unless(stop, backoff)) {
                        snprintf(errstr, errstr_size,
                                 "stopped while waiting for the Schema "
                                 "Registry (subject %s)",
                                 subject);
                        break;
                }
                backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
        }
        cw_registry_client_destroy(c);
        if (st != CW_REGISTRY_OK)
                return -1;
        cw_info("registry: subject %s: schema id %d (%s)", subject, (int)*id,
                conf->auto_register ? "registered" : "looked up");
        return 0;
}
