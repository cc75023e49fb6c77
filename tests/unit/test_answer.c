/* registry/answer.c: the JSON bodies of the Schema Registry's answers,
 * whatever they hold. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "registry/answer.h"

TestSuite(answer);

static char *schema_of(const char *body, char *why, size_t size) {
        return cw_registry_answer_schema(body, strlen(body), why, size);
}

Test(answer, the_schema_of_an_answer_is_its_text) {
        char why[128] = "";
        char *s = schema_of("{\"schema\":\"\\\"long\\\"\"}", why, sizeof(why));
        cr_assert_str_eq(s, "\"long\"");
        free(s);
        s = schema_of("{\"schemaType\":\"AVRO\",\"schema\":\"\\\"int\\\"\"}",
                      why, sizeof(why));
        cr_assert_str_eq(s, "\"int\"");
        free(s);
}

Test(answer, an_answer_without_an_avro_schema_says_so) {
        char why[128];
        cr_assert_null(schema_of("{\"id\":1}", why, sizeof(why)));
        cr_assert_str_eq(why, "the answer has no \"schema\"");
        cr_assert_null(schema_of("[\"schema\"", why, sizeof(why)));
        cr_assert_str_eq(why, "the answer has no \"schema\"");
        cr_assert_null(schema_of("{\"schema\":3}", why, sizeof(why)));
        cr_assert_null(
                schema_of("{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax\"}",
                          why, sizeof(why)));
        cr_assert_str_eq(why, "not an Avro schema");
}

Test(answer, an_id_is_a_positive_32_bit_number_or_none) {
        cr_assert_eq(cw_registry_answer_id("{\"id\":42}", 9), 42);
        cr_assert_eq(cw_registry_answer_id("{\"id\":0}", 8), 0);
        cr_assert_eq(cw_registry_answer_id("{\"id\":-5}", 9), 0);
        cr_assert_eq(cw_registry_answer_id("{\"id\":2147483648}", 17), 0);
        cr_assert_eq(cw_registry_answer_id("{\"id\":\"7\"}", 10), 0);
        cr_assert_eq(cw_registry_answer_id("{\"id\":42", 8), 0);
}

Test(answer, the_message_is_the_registrys_own_words_or_the_body) {
        static const char cut[] = "{\"message\":\"no\"} and more";
        static const char found[] =
                "{\"error_code\":40403,\"message\":\"Schema not found\"}";
        char buf[256];

        cw_registry_answer_message(found, strlen(found), buf, sizeof(buf));
        cr_assert_str_eq(buf, "Schema not found (error 40403)");
        cw_registry_answer_message(cut, 16, buf, sizeof(buf));
        cr_assert_str_eq(buf, "no", "only the body's 16 bytes count");
        cw_registry_answer_message("<html>bad gateway</html>", 24, buf,
                                   sizeof(buf));
        cr_assert_str_eq(buf, "<html>bad gateway</html>");
        cw_registry_answer_message(NULL, 0, buf, sizeof(buf));
        cr_assert_str_eq(buf, "no message");
}
