/*
 * The JSON bodies of the Schema Registry's answers (CONTRACT.md section 8),
 * read apart from the HTTP that carried them (client.c), so that hostile
 * or broken answers can be checked without a server (fuzz/registry.c).
 * Bodies are `len` bytes, not necessarily NUL-terminated.
 */
#ifndef CW_REGISTRY_ANSWER_H
#define CW_REGISTRY_ANSWER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The schema text of an answer to GET /schemas/ids/{id} (the caller frees
 * it), or NULL with why: "the answer has no \"schema\"", or "not an Avro
 * schema" when its schemaType names another kind.
 */
char *cw_registry_answer_schema(const char *body, size_t len, char *why,
                                size_t why_size);

/* The schema id of an answer to POST /subjects/..., or 0 when it has none
 * that is a positive 32-bit number. */
int32_t cw_registry_answer_id(const char *body, size_t len);

/* The registry's own words in an error answer: "message (error N)", the
 * message alone, or else the body's first 200 bytes ("no message" when
 * empty). */
void cw_registry_answer_message(const char *body, size_t len, char *buf,
                                size_t size);

#endif
