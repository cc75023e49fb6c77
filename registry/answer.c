#include "answer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cw_registry_answer_schema(const char *body, size_t len, char *why,
                                size_t why_size) {
        json_t *j = json_loadb(body, len, 0, NULL);
        const char *text = json_string_value(json_object_get(j, "schema"));
        const char *type = json_string_value(json_object_get(j, "schemaType"));
        char *out = NULL;

        if (!text)
                snprintf(why, why_size, "the answer has no \"schema\"");
        else if (type && strcmp(type, "AVRO"))
                snprintf(why, why_size, "not an Avro schema");
        else if (!(out = strdup(text)))
                snprintf(why, why_size, "out of memory");
        json_decref(j);
        return out;
}

int32_t cw_registry_answer_id(const char *body, size_t len) {
        json_t *j = json_loadb(body, len, 0, NULL);
        json_int_t v = json_integer_value(json_object_get(j, "id"));

        json_decref(j);
        return v > 0 && v <= INT32_MAX ? (int32_t)v : 0;
}

void cw_registry_answer_message(const char *body, size_t len, char *buf,
                                size_t size) {
        json_t *j = json_loadb(body, len, 0, NULL);
        const char *msg = json_string_value(json_object_get(j, "message"));
        json_int_t code = json_integer_value(json_object_get(j, "error_code"));

        if (msg && code)
                snprintf(buf, size, "%s (error %lld)", msg, (long long)code);
        else if (msg)
                snprintf(buf, size, "%s", msg);
        else if (len)
                snprintf(buf, size, "%.*s", (int)(len < 200 ? len : 200), body);
        else
                snprintf(buf, size, "no message");
        json_decref(j);
}
