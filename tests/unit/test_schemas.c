#include <avro.h>
#include <criterion/criterion.h>

#include "test_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemas/parse.h"
#include "schemas/schemas.h"
#include "schemas/warning_codec.h"

static cw_schemas_t *schemas;

static void setup(void) {
        schemas = schemas_or_fail();
}

static void teardown(void) {
        cw_schemas_destroy(schemas);
}

TestSuite(schemas, .init = setup, .fini = teardown);

Test(schemas, the_embedded_schemas_equal_the_files_in_schemas_dir) {
        for (int id = 0; id < CW_SCHEMA_COUNT; id++) {
                char path[512];
                avro_schema_t from_file;
                char *text;
                snprintf(path, sizeof(path), "%s/schemas/%s", CW_SOURCE_DIR,
                         cw_schemas_file((cw_schema_id_t)id));
                text = slurp(path, NULL);
                cr_assert_str_eq(text, cw_schemas_text((cw_schema_id_t)id),
                                 "%s is stale in the binary", path);
                cr_assert_eq(avro_schema_from_json_length(text, strlen(text),
                                                          &from_file),
                             0, "%s: %s", path, avro_strerror());
                cr_assert(avro_schema_equal(
                        from_file,
                        cw_schemas_get(schemas, (cw_schema_id_t)id)));
                avro_schema_decref(from_file);
                free(text);
        }
}

static void assert_fields(avro_schema_t s, const char *name, const char *ns,
                          const char *const *fields, const char *const *types) {
        cr_assert_str_eq(avro_schema_name(s), name);
        cr_assert_str_eq(avro_schema_namespace(s), ns);
        int n = 0;
        while (fields[n])
                n++;
        cr_assert_eq((int)avro_schema_record_size(s), n, "%s", name);
        for (int i = 0; i < n; i++) {
                avro_schema_t t = avro_schema_record_field_get_by_index(s, i);
                cr_assert_str_eq(avro_schema_record_field_name(s, i), fields[i],
                                 "%s field %d", name, i);
                cr_assert_str_eq(avro_schema_type_name(t), types[i], "%s.%s",
                                 name, fields[i]);
        }
}

Test(schemas, input_records_have_the_contract_fields_in_order) {
        static const char *const pf[] = {
                "event_id", "customer_id", "ts", "amount_cents",
                "currency", "channel",     NULL};
        static const char *const pt[] = {"string", "string", "long",
                                         "long",   "string", "union"};
        static const char *const lf[] = {
                "event_id", "customer_id", "ts", "session_seconds",
                "success",  "device",      NULL};
        static const char *const lt[] = {"string", "string",  "long",
                                         "int",    "boolean", "union"};
        static const char *const tf[] = {"event_id",  "customer_id", "ts",
                                         "ticket_id", "status",      "category",
                                         "severity",  NULL};
        static const char *const tt[] = {"string", "string",       "long",
                                         "string", "TicketStatus", "string",
                                         "int"};
        static const char *const sf[] = {"event_id", "customer_id", "ts",
                                         "kind",     "score",       "comment",
                                         NULL};
        static const char *const st[] = {"string",     "string", "long",
                                         "SurveyKind", "int",    "union"};
        assert_fields(cw_schemas_get(schemas, CW_SCHEMA_PURCHASE), "Purchase",
                      "churnwatch.events", pf, pt);
        assert_fields(cw_schemas_get(schemas, CW_SCHEMA_LOGIN), "Login",
                      "churnwatch.events", lf, lt);
        assert_fields(cw_schemas_get(schemas, CW_SCHEMA_TICKET),
                      "SupportTicket", "churnwatch.events", tf, tt);
        assert_fields(cw_schemas_get(schemas, CW_SCHEMA_SURVEY), "Survey",
                      "churnwatch.events", sf, st);
}

Test(schemas, the_warning_record_has_the_contract_fields_in_order) {
        static const char *const wf[] = {
                "warning_id", "customer_id", "alert",   "kind",  "state",
                "severity",   "eval_ts",     "trigger", "score", "features",
                "reasons",    "emitted_at",  NULL};
        static const char *const wt[] = {"string",    "string",     "string",
                                         "AlertKind", "AlertState", "string",
                                         "long",      "Trigger",    "union",
                                         "map",       "array",      "long"};
        avro_schema_t w = cw_schemas_get(schemas, CW_SCHEMA_WARNING);
        assert_fields(w, "ChurnWarning", "churnwatch", wf, wt);
        avro_schema_t kind = avro_schema_record_field_get(w, "kind");
        cr_assert_str_eq(avro_schema_enum_get(kind, 0), "RULE");
        cr_assert_str_eq(avro_schema_enum_get(kind, 1), "MODEL");
}

Test(schemas, enum_symbols_are_in_contract_order) {
        avro_schema_t st = avro_schema_record_field_get(
                cw_schemas_get(schemas, CW_SCHEMA_TICKET), "status");
        avro_schema_t kind = avro_schema_record_field_get(
                cw_schemas_get(schemas, CW_SCHEMA_SURVEY), "kind");
        static const char *const ts[] = {"OPENED", "UPDATED", "RESOLVED",
                                         "REOPENED"};
        static const char *const ks[] = {"NPS", "CSAT", "CES"};
        cr_assert_eq(avro_schema_enum_number_of_symbols(st), 4);
        for (int i = 0; i < 4; i++)
                cr_assert_str_eq(avro_schema_enum_get(st, i), ts[i]);
        cr_assert_eq(avro_schema_enum_number_of_symbols(kind), 3);
        for (int i = 0; i < 3; i++)
                cr_assert_str_eq(avro_schema_enum_get(kind, i), ks[i]);
}

Test(schemas, a_purchase_round_trips_through_avro_binary) {
        avro_schema_t s = cw_schemas_get(schemas, CW_SCHEMA_PURCHASE);
        avro_value_iface_t *iface = avro_generic_class_from_schema(s);
        avro_value_t in, out, f, branch;
        char buf[256];
        const char *str;
        size_t len;
        int64_t l;
        int disc;

        avro_generic_value_new(iface, &in);
        avro_generic_value_new(iface, &out);
        avro_value_get_by_name(&in, "event_id", &f, NULL);
        avro_value_set_string(&f, "e-1");
        avro_value_get_by_name(&in, "customer_id", &f, NULL);
        avro_value_set_string(&f, "c-42");
        avro_value_get_by_name(&in, "ts", &f, NULL);
        avro_value_set_long(&f, 1700000000000);
        avro_value_get_by_name(&in, "amount_cents", &f, NULL);
        avro_value_set_long(&f, 1999);
        avro_value_get_by_name(&in, "currency", &f, NULL);
        avro_value_set_string(&f, "EUR");
        avro_value_get_by_name(&in, "channel", &f, NULL);
        avro_value_set_branch(&f, 1, &branch);
        avro_value_set_string(&branch, "web");

        avro_writer_t w = avro_writer_memory(buf, sizeof(buf));
        cr_assert_eq(avro_value_write(w, &in), 0, "%s", avro_strerror());
        avro_reader_t r = avro_reader_memory(buf, (int64_t)avro_writer_tell(w));
        cr_assert_eq(avro_value_read(r, &out), 0, "%s", avro_strerror());
        cr_assert(avro_value_equal(&in, &out));

        avro_value_get_by_index(&out, 3, &f, NULL);
        avro_value_get_long(&f, &l);
        cr_assert_eq(l, 1999);
        avro_value_get_by_index(&out, 5, &f, NULL);
        avro_value_get_discriminant(&f, &disc);
        cr_assert_eq(disc, 1);
        avro_value_get_current_branch(&f, &branch);
        avro_value_get_string(&branch, &str, &len);
        cr_assert_str_eq(str, "web");

        avro_reader_free(r);
        avro_writer_free(w);
        avro_value_decref(&in);
        avro_value_decref(&out);
        avro_value_iface_decref(iface);
}

Test(schemas, a_warning_whose_lengths_the_bytes_cannot_back_is_refused) {
        /* fuzz/regressions/warning/negative-warning-id-length: avro-c
         * would have taken a length of -2 for a size near 2^64. */
        struct cw_warning w = {.warning_id = "0123456789abcdef0123456789abcdef",
                               .customer_id = {"c1", 2},
                               .alert = "purchase_drop",
                               .severity = "high",
                               .eval_ts = 1767225600000,
                               .emitted_at = 1767225600000};
        char err[512] = "";
        cw_warning_encoder_t *enc =
                cw_warning_encoder_new(schemas, err, sizeof(err));
        cw_warning_decoder_t *dec =
                cw_warning_decoder_new(schemas, err, sizeof(err));
        struct cw_warning back;
        const void *buf;
        uint8_t copy[512];
        size_t len;

        cr_assert_eq(cw_warning_encode(enc, &w, &buf, &len, err, sizeof(err)),
                     0, "%s", err);
        cr_assert(len <= sizeof(copy));
        memcpy(copy, buf, len);
        cr_assert_eq(copy[0], 64, "warning_id's length, 32");
        copy[0] = 3; /* -2 */
        cr_assert_eq(cw_warning_decode(dec, copy, len, &back, err, sizeof(err)),
                     -1);
        cr_assert(strstr(err, "warning_id: string length -2 is negative"), "%s",
                  err);
        copy[0] = 64;
        cr_assert_eq(
                cw_warning_decode(dec, copy, len - 1, &back, err, sizeof(err)),
                -1);
        cr_assert_eq(cw_warning_decode(dec, copy, len, &back, err, sizeof(err)),
                     0, "%s", err);
        cr_assert_str_eq(back.alert, "purchase_drop");
        cw_warning_decoder_destroy(dec);
        cw_warning_encoder_destroy(enc);
}

/* ---- writer schemas from outside (schemas/parse.h) -------------------- */

static int parse(const char *json, char *why, size_t size) {
        avro_schema_t s;

        why[0] = 0;
        if (cw_schema_parse(json, strlen(json), &s, why, size))
                return -1;
        avro_schema_decref(s);
        return 0;
}

Test(schemas, a_writer_schema_defining_a_type_twice_is_refused_by_name) {
        /* fuzz/regressions/registry/enum-defined-twice-leaks-in-avro-c:
         * avro-c refuses these too, but leaks the second definition, which
         * this suite's LeakSanitizer would report. */
        static const char *const twice[][2] = {
                {"{'type':'record','name':'Survey','fields':["
                 "{'name':'a','type':{'type':'enum','name':'K','symbols':['X']}"
                 "},"
                 "{'name':'b','type':{'type':'enum','name':'K','symbols':['X']}"
                 "}]}",
                 "type K is defined twice"},
                {"{'type':'record','name':'R','namespace':'n','fields':["
                 "{'name':'a','type':{'type':'fixed','name':'F','size':1}},"
                 "{'name':'b','type':['null',{'type':'fixed','name':'n.F',"
                 "'size':1}]}]}",
                 "type n.F is defined twice"},
                {"{'type':'record','name':'R','fields':[{'name':'a','type':"
                 "{'type':'array','items':{'type':'record','name':'R',"
                 "'fields':[{'name':'x','type':'int'}]}}}]}",
                 "type R is defined twice"},
                {"{'type':'record','name':'R','fields':[{'name':'a','type':"
                 "{'type':'map','values':{'type':'enum','name':'E','namespace'"
                 ":'m','symbols':['X']}}},{'name':'b','type':{'type':'enum',"
                 "'name':'m.E','symbols':['Y']}}]}",
                 "type m.E is defined twice"},
        };
        char json[1024], why[256];

        for (size_t i = 0; i < sizeof(twice) / sizeof(*twice); i++) {
                snprintf(json, sizeof(json), "%s", twice[i][0]);
                for (char *q = json; (q = strchr(q, '\''));)
                        *q = '"';
                cr_assert_eq(parse(json, why, sizeof(why)), -1, "%s", json);
                cr_assert_str_eq(why, twice[i][1]);
        }
}

Test(schemas,
     names_in_other_namespaces_and_references_are_no_second_definition) {
        char why[256];

        cr_assert_eq(parse("{\"type\":\"record\",\"name\":\"R\",\"namespace\":"
                           "\"a\",\"fields\":[{\"name\":\"x\",\"type\":{"
                           "\"type\":\"enum\",\"name\":\"K\",\"symbols\":["
                           "\"X\"]}},{\"name\":\"y\",\"type\":{\"type\":"
                           "\"enum\",\"name\":\"b.K\",\"symbols\":[\"X\"]}},"
                           "{\"name\":\"z\",\"type\":\"K\"}]}",
                           why, sizeof(why)),
                     0, "%s", why);
        cr_assert_eq(parse("{\"type\":\"nope\"}", why, sizeof(why)), -1);
        cr_assert_str_eq(why, "Unknown Avro \"type\": nope");
        cr_assert_eq(parse("{\"type\":", why, sizeof(why)), -1);
        cr_assert(!strncmp(why, "not JSON: ", 10), "%s", why);
}
