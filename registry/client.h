/*
 * A Confluent Schema Registry client (CONTRACT.md section 8) on libcurl and
 * jansson: the three calls churnwatch makes, with the
 * application/vnd.schemaregistry.v1+json content type, several base URLs
 * tried in turn, HTTP Basic auth, HTTPS verified against the system's CAs
 * or ssl_ca_location, and a timeout per request.
 *
 * Messages name the base URL without any user info, and never the
 * credentials. Not thread-safe: one client per thread.
 */
#ifndef CW_REGISTRY_CLIENT_H
#define CW_REGISTRY_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

typedef enum cw_registry_status {
        CW_REGISTRY_OK = 0,
        /* Not reached, timed out, or an answer 5xx (every base URL):
         * try again later. */
        CW_REGISTRY_UNAVAILABLE,
        /* The registry answered no (4xx): its status and message. */
        CW_REGISTRY_REFUSED,
} cw_registry_status_t;

typedef struct cw_registry_client cw_registry_client_t;

/* `conf` must outlive the client. NULL with a sentence. */
cw_registry_client_t *
cw_registry_client_new(const struct cw_registry_conf *conf, char *errstr,
                       size_t errstr_size);

/* NULL is a no-op. */
void cw_registry_client_destroy(cw_registry_client_t *c);

/*
 * GET /schemas/ids/{id}: the schema's text (an Avro schema as JSON; the
 * caller frees *schema). REFUSED with *http_status 404 when the registry
 * does not know the id, and for a schema that is not Avro. A sentence in
 * errstr unless OK.
 */
cw_registry_status_t cw_registry_schema(cw_registry_client_t *c, int32_t id,
                                        char **schema, int *http_status,
                                        char *errstr, size_t errstr_size);

/*
 * POST /subjects/{subject}/versions (register, returning the id of the
 * schema, new or not), or with lookup_only POST /subjects/{subject}
 * (the id of that schema under the subject, which must exist). A sentence
 * in errstr (with the registry's own message when it refused) unless OK.
 */
cw_registry_status_t cw_registry_register(cw_registry_client_t *c,
                                          const char *subject,
                                          const char *schema, int lookup_only,
                                          int32_t *id, char *errstr,
                                          size_t errstr_size);

/*
 * The id of `schema` under `subject` for a producer: registered
 * (auto_register, the default) or only looked up, trying again with a
 * backoff growing to 30 s, one log line a failure, while the registry
 * cannot be reached, times out or answers 5xx, until *stop is set (stop
 * may be NULL: until it answers). 0 with *id; -1 with a sentence when the
 * registry refused (409 incompatible, 404 unknown, 401/403: its message)
 * or a stop was asked for.
 */
int cw_registry_subject_id(const struct cw_registry_conf *conf,
                           const char *subject, const char *schema,
                           volatile sig_atomic_t *stop, int32_t *id,
                           char *errstr, size_t errstr_size);

#endif
