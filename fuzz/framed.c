/*
 * Kafka values in the Confluent wire format (CONTRACT.md section 8),
 * decoded by cw_framed_decode() (registry/framed.c) as consumers/ does
 * with a Schema Registry: byte 0 of the input picks the stream, the rest
 * is the value (magic byte, schema id, Avro body).
 *
 * The writer schemas come from a registry double on 127.0.0.1 (libmicro-
 * httpd, in this process) through the real cache and client: ids 1-4 are
 * our schemas (the fast path), 5-7 other writer schemas that resolve (the
 * walk and avro-c), 8 one that does not resolve (fuzz/writers/), 9 an id
 * the registry does not know, 10 a schema that is not Avro. Any other positive
 * id is mapped onto 1-10, so that the cache stays small and every id is known
 * before the fuzzing starts: a lookup never waits.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "registry/framed.h"
#include "schemas/decode.h"

#define N_IDS 10

/* The writer schemas of ids 5-8: fuzz/writers/id5.avsc ... id8.avsc. */
static char *other_schemas[4];

static struct MHD_Daemon *daemon_;
static struct cw_registry_conf conf;
static char url[64], *urls[1] = {url};
static cw_schema_cache_t *cache;
static cw_framed_t *framed;
static uint8_t *value;

/* The answer to GET /schemas/ids/{id}: its status and a JSON body. */
static unsigned answer(int id, char **body) {
        json_t *j;

        if (id >= 1 && id <= 4)
                j = json_pack("{s:s}", "schema",
                              cw_schemas_text((cw_schema_id_t)(id - 1)));
        else if (id >= 5 && id <= 8)
                j = json_pack("{s:s}", "schema", other_schemas[id - 5]);
        else if (id == 10)
                j = json_pack("{s:s,s:s}", "schemaType", "PROTOBUF", "schema",
                              "syntax = \"proto3\";");
        else
                j = json_pack("{s:i,s:s}", "error_code", 40403, "message",
                              "Schema not found");
        *body = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        return j && id >= 1 && id <= N_IDS && id != 9 ? 200 : 404;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *path, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **state) {
        struct MHD_Response *r;
        enum MHD_Result ok;
        unsigned status;
        char *body;
        int id = 0;

        (void)cls;
        (void)method;
        (void)version;
        (void)upload;
        (void)upload_size;
        (void)state;
        sscanf(path, "/schemas/ids/%d", &id);
        status = answer(id, &body);
        r = MHD_create_response_from_buffer(body ? strlen(body) : 0, body,
                                            MHD_RESPMEM_MUST_FREE);
        ok = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ok;
}

static void start_registry(void) {
        const union MHD_DaemonInfo *info;

        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

        daemon_ = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
                                   on_request, NULL, MHD_OPTION_SOCK_ADDR, &a,
                                   MHD_OPTION_END);
        if (!daemon_ ||
            !(info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)))
                cw_fuzz_fail("cannot start the registry double");
        snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)info->port);
}

/* Asks for every id once and waits until the cache knows them all. */
static void warm_cache(void) {
        for (int tries = 0; tries < 10000; tries++) {
                int pending = 0;
                for (int id = 1; id <= N_IDS; id++) {
                        avro_schema_t s;
                        const char *why;
                        pending += cw_schema_cache_get(cache, id, &s, &why) ==
                                   CW_SCHEMA_PENDING;
                }
                if (!pending)
                        return;
                nanosleep(&(struct timespec){0, 1000000}, NULL);
        }
        cw_fuzz_fail("the registry double did not answer within 10 s");
}

/* The text of fuzz/writers/id<N>.avsc. */
static char *read_writer(int id) {
        char path[512], *text;
        long n;
        FILE *f;

        snprintf(path, sizeof(path), "%s/fuzz/writers/id%d.avsc", CW_SOURCE_DIR,
                 id);
        if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) ||
            (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
            !(text = calloc(1, (size_t)n + 1)) ||
            fread(text, 1, (size_t)n, f) != (size_t)n)
                cw_fuzz_fail("cannot read %s", path);
        fclose(f);
        return text;
}

void cw_fuzz_init(void) {
        static cw_schemas_t *schemas;
        char err[512];

        for (int id = 5; id <= 8; id++)
                other_schemas[id - 5] = read_writer(id);
        start_registry();
        conf.urls = urls;
        conf.n_urls = 1;
        conf.timeout_ms = 10000;
        if (!(schemas = cw_schemas_load(err, sizeof(err))) ||
            !(cache = cw_schema_cache_new(&conf, err, sizeof(err))))
                cw_fuzz_fail("set-up: %s", err);
        if (!(framed = cw_framed_new(cache, schemas)))
                cw_fuzz_fail("out of memory");
        warm_cache();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        cw_framed_result_t rc;
        struct cw_event ev;
        cw_stream_t stream;
        char why[1024] = "";
        int32_t id;

        if (size < 1)
                return 0;
        stream = (cw_stream_t)(data[0] % CW_STREAM_COUNT);
        /* A copy of exactly the value's size, so that ASan sees any read
         * past its end. */
        free(value);
        if (!(value = malloc(size - 1 ? size - 1 : 1)))
                return 0;
        memcpy(value, data + 1, size - 1);
        if (cw_frame_id(value, size - 1, &id, why, sizeof(why)) == 0)
                cw_frame_header(value, 1 + (id - 1) % N_IDS);
        rc = cw_framed_decode(framed, stream, value, size - 1, &ev, why,
                              sizeof(why));
        if (rc == CW_FRAMED_WAIT || rc == CW_FRAMED_REFUSED)
                cw_fuzz_fail("a known id gave %d: %s", (int)rc, why);
        if (rc == CW_FRAMED_BAD && !*why)
                cw_fuzz_fail("a bad value without a sentence");
        if (rc == CW_FRAMED_OK)
                cw_event_check(&ev, why, sizeof(why));
        return 0;
}
