/*
 * The Schema Registry's answers (CONTRACT.md section 8): the JSON bodies
 * of registry/answer.c, and what the cache and the framed decoder then do
 * with a schema the registry hands out (cw_schema_parse() and avro-c parse it,
 * then cw_decoder_new() resolves it against each of our streams). The input is
 * the body of an answer, then optionally a NUL byte and an Avro body to
 * decode with every decoder the schema gave.
 *
 * Properties: each refusal has a sentence; an id is positive; nothing
 * leaks (avro-c leaks on a type defined twice: cw_schema_parse() refuses
 * those first).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry/answer.h"
#include "schemas/decode.h"
#include "schemas/parse.h"

static cw_schemas_t *schemas;

void cw_fuzz_init(void) {
        char err[512];

        if (!(schemas = cw_schemas_load(err, sizeof(err))))
                cw_fuzz_fail("schemas: %s", err);
}

/* Builds a decoder of each stream for writer w and decodes body. */
static void resolve(avro_schema_t w, const uint8_t *body, size_t len) {
        char err[1024];
        struct cw_event ev;

        for (int s = 0; s < CW_STREAM_COUNT; s++) {
                cw_decoder_t *d;
                err[0] = 0;
                d = cw_decoder_new(schemas, (cw_stream_t)s, w, err,
                                   sizeof(err));
                if (!d) {
                        if (!*err)
                                cw_fuzz_fail("a writer refused without a "
                                             "sentence");
                        continue;
                }
                if (body)
                        cw_decoder_decode(d, body, len, &ev, err, sizeof(err));
                cw_decoder_destroy(d);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *nul = memchr(data, 0, size);
        size_t json_len = nul ? (size_t)(nul - data) : size;
        char why[256] = "", msg[512];
        avro_schema_t w;
        char *text;

        cw_registry_answer_message((const char *)data, json_len, msg,
                                   sizeof(msg));
        if (cw_registry_answer_id((const char *)data, json_len) < 0)
                cw_fuzz_fail("a negative schema id");
        text = cw_registry_answer_schema((const char *)data, json_len, why,
                                         sizeof(why));
        if (!text) {
                if (!*why)
                        cw_fuzz_fail("no schema and no sentence");
                return 0;
        }
        *why = 0;
        if (cw_schema_parse(text, strlen(text), &w, why, sizeof(why)) == 0) {
                resolve(w, nul ? nul + 1 : NULL, nul ? size - json_len - 1 : 0);
                avro_schema_decref(w);
        } else if (!*why) {
                cw_fuzz_fail("a schema refused without a sentence");
        }
        free(text);
        return 0;
}
