#include <avro.h>
#include <criterion/criterion.h>

#include "test_util.h"
#include <criterion/redirect.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "features/warning.h"
#include "schemas/schemas.h"
#include "schemas/warning_codec.h"
#include "sinks/sink.h"

/* Debian's interpreter, which has python3-avro (the one on PATH may not). */
#define SYSTEM_PYTHON "/usr/bin/python3"

static cw_schemas_t *schemas;
static char dir[64];

static void setup(void) {
        schemas = schemas_or_fail();
        tmpdir_make(dir, "sink");
}

static void teardown(void) {
        tmpdir_remove(dir);
        cw_schemas_destroy(schemas);
}

TestSuite(sink, .init = setup, .fini = teardown);

/* ---- fixtures ------------------------------------------------------ */

static const struct cw_warning_feature rule_features[] = {
        {"purchases_90d", 3},
        {"purchase_trend", 0.1 + 0.2},
};

static const struct cw_warning rule_warning = {
        .warning_id = "0123456789abcdef0123456789abcdef",
        .customer_id = {"c-42", 4},
        .alert = "purchase_drop",
        .kind = CW_KIND_RULE,
        .state = CW_STATE_FIRING,
        .severity = "high",
        .eval_ts = 1700000000000LL,
        .trigger = CW_TRIGGER_EVENT,
        .features = rule_features,
        .n_features = 2,
        .emitted_at = 1700000000000LL,
};

static const struct cw_warning_feature model_features[] = {
        {"purchases_30d", 0},
        {"nps_last", 1e-7},
        {"days_since_purchase", 120.5},
};

static const struct cw_warning model_warning = {
        .warning_id = "fedcba9876543210fedcba9876543210",
        .customer_id = {"c-7", 3},
        .alert = "churn_lr_v1",
        .kind = CW_KIND_MODEL,
        .state = CW_STATE_RESOLVED,
        .severity = "medium",
        .eval_ts = 1700006400000LL,
        .trigger = CW_TRIGGER_TIMER,
        .has_score = 1,
        .score = 0.8,
        .features = model_features,
        .n_features = 3,
        .reasons = {"days_since_purchase", "nps_last"},
        .n_reasons = 2,
        .emitted_at = 1700006400123LL,
};

/* Quote, backslash, newline, tab, NUL, 0x1f and UTF-8 "é" and "€". */
static const char odd_id[] = "say \"hi\"\\\n\t\0\x1f caf\xc3\xa9 \xe2\x82\xac";

static const struct cw_warning odd_warning = {
        .warning_id = "00000000000000000000000000000000",
        .customer_id = {odd_id, sizeof(odd_id) - 1},
        .alert = "rule \"q\"",
        .kind = CW_KIND_RULE,
        .state = CW_STATE_RESOLVED,
        .severity = "low",
        .eval_ts = -1,
        .trigger = CW_TRIGGER_TIMER,
        .emitted_at = 0,
};

/* ---- helpers ------------------------------------------------------- */

static void path_in_dir(char *out, size_t n, const char *name) {
        snprintf(out, n, "%s/%s", dir, name);
}

static void write_all(const char *path, const struct cw_warning *ws, int n) {
        char err[512] = "";
        cw_sink_t *sink = cw_sink_open(path, schemas, err, sizeof(err));
        cr_assert_not_null(sink, "%s", err);
        for (int i = 0; i < n; i++)
                cr_assert_eq(cw_sink_write(sink, &ws[i], err, sizeof(err)), 0,
                             "%s", err);
        cr_assert_eq(cw_sink_count(sink), n);
        cr_assert_eq(cw_sink_close(sink, err, sizeof(err)), 0, "%s", err);
}

static void assert_jsonl(const struct cw_warning *ws, int n,
                         const char *expected) {
        char path[512];
        size_t len;
        char *text;
        path_in_dir(path, sizeof(path), "out.jsonl");
        write_all(path, ws, n);
        text = slurp(path, &len);
        cr_assert_eq(len, strlen(expected), "got:\n%s\nwanted:\n%s", text,
                     expected);
        cr_assert_str_eq(text, expected);
        free(text);
}

static const char *get_string(avro_value_t *rec, const char *field,
                              size_t *len) {
        avro_value_t v;
        const char *s;
        size_t size;
        cr_assert_eq(avro_value_get_by_name(rec, field, &v, NULL), 0);
        cr_assert_eq(avro_value_get_string(&v, &s, &size), 0);
        if (len)
                *len = size - 1;
        return s;
}

static int64_t get_long(avro_value_t *rec, const char *field) {
        avro_value_t v;
        int64_t n;
        cr_assert_eq(avro_value_get_by_name(rec, field, &v, NULL), 0);
        cr_assert_eq(avro_value_get_long(&v, &n), 0);
        return n;
}

static int get_enum(avro_value_t *rec, const char *field) {
        avro_value_t v;
        int sym;
        cr_assert_eq(avro_value_get_by_name(rec, field, &v, NULL), 0);
        cr_assert_eq(avro_value_get_enum(&v, &sym), 0);
        return sym;
}

/* Every field of a decoded ChurnWarning equals the warning written. */
static void assert_record_is(avro_value_t *rec, const struct cw_warning *w) {
        avro_value_t v, child;
        const char *s, *key;
        size_t len, size;
        double d;
        int disc, k = 0;

        cr_assert_str_eq(get_string(rec, "warning_id", NULL), w->warning_id);
        s = get_string(rec, "customer_id", &len);
        cr_assert_eq(len, w->customer_id.len);
        cr_assert_eq(memcmp(s, w->customer_id.p, len), 0);
        cr_assert_str_eq(get_string(rec, "alert", NULL), w->alert);
        cr_assert_eq(get_enum(rec, "kind"), (int)w->kind);
        cr_assert_eq(get_enum(rec, "state"), (int)w->state);
        cr_assert_str_eq(get_string(rec, "severity", NULL), w->severity);
        cr_assert_eq(get_long(rec, "eval_ts"), w->eval_ts);
        cr_assert_eq(get_enum(rec, "trigger"), (int)w->trigger);
        cr_assert_eq(get_long(rec, "emitted_at"), w->emitted_at);

        cr_assert_eq(avro_value_get_by_name(rec, "score", &v, NULL), 0);
        cr_assert_eq(avro_value_get_discriminant(&v, &disc), 0);
        if (w->has_score && isfinite(w->score)) {
                cr_assert_eq(disc, 1);
                cr_assert_eq(avro_value_get_current_branch(&v, &child), 0);
                cr_assert_eq(avro_value_get_double(&child, &d), 0);
                cr_assert_eq(d, w->score);
        } else {
                cr_assert_eq(disc, 0, "score should be null");
        }

        cr_assert_eq(avro_value_get_by_name(rec, "features", &v, NULL), 0);
        for (int i = 0; i < w->n_features; i++) {
                if (!isfinite(w->features[i].value))
                        continue;
                cr_assert_eq(avro_value_get_by_index(&v, k++, &child, &key), 0);
                cr_assert_str_eq(key, w->features[i].name);
                cr_assert_eq(avro_value_get_double(&child, &d), 0);
                cr_assert_eq(d, w->features[i].value);
        }
        cr_assert_eq(avro_value_get_size(&v, &size), 0);
        cr_assert_eq(size, (size_t)k);

        cr_assert_eq(avro_value_get_by_name(rec, "reasons", &v, NULL), 0);
        cr_assert_eq(avro_value_get_size(&v, &size), 0);
        cr_assert_eq(size, (size_t)w->n_reasons);
        for (int i = 0; i < w->n_reasons; i++) {
                cr_assert_eq(avro_value_get_by_index(&v, i, &child, NULL), 0);
                cr_assert_eq(avro_value_get_string(&child, &s, &len), 0);
                cr_assert_str_eq(s, w->reasons[i]);
        }
}

/* Reads `path` with avro-c's own container reader. */
static void assert_avro_file_holds(const char *path,
                                   const struct cw_warning *ws, int n) {
        avro_file_reader_t reader;
        avro_schema_t schema;
        avro_value_iface_t *iface;
        avro_value_t rec;
        int got = 0, rc;

        cr_assert_eq(avro_file_reader(path, &reader), 0, "%s", avro_strerror());
        schema = avro_file_reader_get_writer_schema(reader);
        cr_assert_str_eq(avro_schema_name(schema), "ChurnWarning");
        iface = avro_generic_class_from_schema(schema);
        cr_assert_eq(avro_generic_value_new(iface, &rec), 0);
        while ((rc = avro_file_reader_read_value(reader, &rec)) == 0) {
                cr_assert_lt(got, n, "more records than written");
                assert_record_is(&rec, &ws[got]);
                got++;
        }
        cr_assert_eq(got, n, "read %d of %d records: %s", got, n,
                     avro_strerror());
        avro_value_decref(&rec);
        avro_value_iface_decref(iface);
        avro_schema_decref(schema);
        avro_file_reader_close(reader);
}

static int64_t read_varint(const unsigned char **p) {
        uint64_t z = 0;
        int shift = 0;
        do {
                z |= (uint64_t)(**p & 0x7f) << shift;
                shift += 7;
        } while (*(*p)++ & 0x80);
        return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

/*
 * Walks the container's blocks: returns their number, checks each sync,
 * and gives the records in all and the largest block's byte size.
 */
static int count_blocks(const unsigned char *buf, size_t len, int64_t *records,
                        int64_t *max_size) {
        const unsigned char *p = buf + 4, *sync, *end = buf + len;
        int64_t n;
        int blocks = 0;

        cr_assert_eq(memcmp(buf, "Obj\x01", 4), 0);
        while ((n = read_varint(&p)) != 0) {
                for (int64_t i = 0; i < (n < 0 ? -n : n); i++) {
                        int64_t k = read_varint(&p);
                        p += k;
                        k = read_varint(&p);
                        p += k;
                }
                if (n < 0)
                        (void)read_varint(&p);
        }
        sync = p;
        p += 16;
        *records = 0;
        *max_size = 0;
        while (p < end) {
                int64_t count = read_varint(&p), size = read_varint(&p);
                cr_assert_leq(count, 1000);
                if (size > *max_size)
                        *max_size = size;
                p += size;
                cr_assert_eq(memcmp(p, sync, 16), 0, "block %d: bad sync",
                             blocks);
                p += 16;
                *records += count;
                blocks++;
        }
        cr_assert_eq(p, end);
        return blocks;
}

/* ---- JSON lines ---------------------------------------------------- */

Test(sink, a_rule_warning_is_one_json_line_with_null_score_and_no_reasons) {
        assert_jsonl(
                &rule_warning, 1,
                "{\"warning_id\":\"0123456789abcdef0123456789abcdef\","
                "\"customer_id\":\"c-42\",\"alert\":\"purchase_drop\","
                "\"kind\":\"RULE\",\"state\":\"FIRING\",\"severity\":\"high\","
                "\"eval_ts\":1700000000000,\"trigger\":\"EVENT\","
                "\"score\":null,\"features\":{\"purchases_90d\":3,"
                "\"purchase_trend\":0.30000000000000004},\"reasons\":[],"
                "\"emitted_at\":1700000000000}\n");
}

Test(sink, a_model_warning_has_its_score_features_and_reasons_in_order) {
        assert_jsonl(&model_warning, 1,
                     "{\"warning_id\":\"fedcba9876543210fedcba9876543210\","
                     "\"customer_id\":\"c-7\",\"alert\":\"churn_lr_v1\","
                     "\"kind\":\"MODEL\",\"state\":\"RESOLVED\","
                     "\"severity\":\"medium\",\"eval_ts\":1700006400000,"
                     "\"trigger\":\"TIMER\",\"score\":0.8,"
                     "\"features\":{\"purchases_30d\":0,\"nps_last\":1e-07,"
                     "\"days_since_purchase\":120.5},"
                     "\"reasons\":[\"days_since_purchase\",\"nps_last\"],"
                     "\"emitted_at\":1700006400123}\n");
}

Test(sink, quotes_backslashes_and_control_bytes_are_escaped_and_utf8_kept) {
        assert_jsonl(&odd_warning, 1,
                     "{\"warning_id\":\"00000000000000000000000000000000\","
                     "\"customer_id\":\"say \\\"hi\\\"\\\\\\u000a\\u0009"
                     "\\u0000\\u001f caf\xc3\xa9 \xe2\x82\xac\","
                     "\"alert\":\"rule \\\"q\\\"\",\"kind\":\"RULE\","
                     "\"state\":\"RESOLVED\",\"severity\":\"low\","
                     "\"eval_ts\":-1,\"trigger\":\"TIMER\",\"score\":null,"
                     "\"features\":{},\"reasons\":[],\"emitted_at\":0}\n");
}

Test(sink, doubles_are_printed_in_the_shortest_form_that_reads_back) {
        static const struct cw_warning_feature f[] = {
                {"a", 0.8},       {"b", 1e-7},        {"c", 3},
                {"d", 0.1 + 0.2}, {"e", -2.5},        {"f", 1.0 / 3},
                {"g", 1e21},      {"h", 123456789.0}, {"i", -0.0},
        };
        struct cw_warning w = rule_warning;
        char path[512], *text, *features;
        size_t len;

        w.features = f;
        w.n_features = (int)(sizeof(f) / sizeof(f[0]));
        path_in_dir(path, sizeof(path), "doubles.jsonl");
        write_all(path, &w, 1);
        text = slurp(path, &len);
        features = strstr(text, "\"features\":");
        cr_assert_not_null(features);
        cr_assert_eq(strncmp(features,
                             "\"features\":{\"a\":0.8,\"b\":1e-07,\"c\":3,"
                             "\"d\":0.30000000000000004,\"e\":-2.5,"
                             "\"f\":0.3333333333333333,\"g\":1e+21,"
                             "\"h\":123456789,\"i\":-0},",
                             strlen("\"features\":{\"a\":0.8,\"b\":1e-07,\"c\":"
                                    "3,\"d\":0.30000000000000004,\"e\":-2.5,"
                                    "\"f\":0.3333333333333333,\"g\":1e+21,"
                                    "\"h\":123456789,\"i\":-0},")),
                     0, "got %s", features);
        free(text);
}

Test(sink, a_non_finite_score_is_null_and_non_finite_features_are_left_out) {
        static const struct cw_warning_feature f[] = {
                {"nan", NAN}, {"x", 2}, {"inf", INFINITY}};
        struct cw_warning w = model_warning;
        char path[512];

        w.score = NAN;
        w.features = f;
        w.n_features = 3;
        w.n_reasons = 0;
        assert_jsonl(&w, 1,
                     "{\"warning_id\":\"fedcba9876543210fedcba9876543210\","
                     "\"customer_id\":\"c-7\",\"alert\":\"churn_lr_v1\","
                     "\"kind\":\"MODEL\",\"state\":\"RESOLVED\","
                     "\"severity\":\"medium\",\"eval_ts\":1700006400000,"
                     "\"trigger\":\"TIMER\",\"score\":null,"
                     "\"features\":{\"x\":2},\"reasons\":[],"
                     "\"emitted_at\":1700006400123}\n");
        path_in_dir(path, sizeof(path), "nonfinite.avro");
        write_all(path, &w, 1);
        assert_avro_file_holds(path, &w, 1);
}

Test(sink, several_warnings_are_one_line_each_in_the_order_written) {
        const struct cw_warning ws[] = {rule_warning, model_warning,
                                        rule_warning};
        char path[512], *text;
        size_t len;
        int lines = 0;

        path_in_dir(path, sizeof(path), "three.jsonl");
        write_all(path, ws, 3);
        text = slurp(path, &len);
        for (size_t i = 0; i < len; i++)
                lines += text[i] == '\n';
        cr_assert_eq(lines, 3);
        cr_assert(strstr(text, "\"kind\":\"MODEL\"") >
                  strstr(text, "\"kind\":\"RULE\""));
        free(text);
}

Test(sink, dash_writes_json_lines_to_stdout, .init = cr_redirect_stdout) {
        char err[512] = "";
        cw_sink_t *sink;

        sink = cw_sink_open("-", schemas, err, sizeof(err));
        cr_assert_not_null(sink, "%s", err);
        cr_assert_eq(cw_sink_write(sink, &rule_warning, err, sizeof(err)), 0,
                     "%s", err);
        cr_assert_eq(cw_sink_close(sink, err, sizeof(err)), 0, "%s", err);
        fflush(stdout);
        cr_assert_stdout_eq_str(
                "{\"warning_id\":\"0123456789abcdef0123456789abcdef\","
                "\"customer_id\":\"c-42\",\"alert\":\"purchase_drop\","
                "\"kind\":\"RULE\",\"state\":\"FIRING\",\"severity\":\"high\","
                "\"eval_ts\":1700000000000,\"trigger\":\"EVENT\","
                "\"score\":null,\"features\":{\"purchases_90d\":3,"
                "\"purchase_trend\":0.30000000000000004},\"reasons\":[],"
                "\"emitted_at\":1700000000000}\n");
}

/* ---- opening and closing ------------------------------------------- */

Test(sink, an_unsupported_extension_is_rejected_naming_jsonl_and_avro) {
        static const char *const names[] = {"out.csv", "out.json", "out",
                                            "out.avro.gz", "out.jsonl.txt"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char path[512], err[512] = "";
                path_in_dir(path, sizeof(path), names[i]);
                cr_assert_null(cw_sink_open(path, schemas, err, sizeof(err)));
                cr_assert_not_null(strstr(err, path), "%s", err);
                cr_assert_not_null(strstr(err, ".jsonl"), "%s", err);
                cr_assert_not_null(strstr(err, ".avro"), "%s", err);
                cr_assert_neq(access(path, F_OK), 0, "%s was created", path);
        }
}

Test(sink, an_output_in_a_missing_folder_is_an_error_naming_it) {
        char path[512], err[512] = "";
        path_in_dir(path, sizeof(path), "no/such/dir/out.avro");
        cr_assert_null(cw_sink_open(path, schemas, err, sizeof(err)));
        cr_assert_not_null(strstr(err, path), "%s", err);
        path_in_dir(path, sizeof(path), "no/such/dir/out.jsonl");
        cr_assert_null(cw_sink_open(path, schemas, err, sizeof(err)));
        cr_assert_not_null(strstr(err, path), "%s", err);
}

Test(sink, a_full_disk_is_reported_when_the_sink_closes) {
        static const char *const names[] = {"full.jsonl", "full.avro"};
        for (int i = 0; i < 2; i++) {
                char path[512], err[512] = "";
                cw_sink_t *sink;
                int rc = 0;
                path_in_dir(path, sizeof(path), names[i]);
                cr_assert_eq(symlink("/dev/full", path), 0);
                sink = cw_sink_open(path, schemas, err, sizeof(err));
                cr_assert_not_null(sink, "%s", err);
                for (int k = 0; k < 2000 && rc == 0; k++)
                        rc = cw_sink_write(sink, &model_warning, err,
                                           sizeof(err));
                if (rc == 0)
                        rc = cw_sink_close(sink, err, sizeof(err));
                else
                        cw_sink_close(sink, err, sizeof(err));
                cr_assert_eq(rc, -1, "%s: no error reported", names[i]);
                cr_assert_not_null(strstr(err, "No space left"), "%s", err);
                cr_assert_not_null(strstr(err, path), "%s", err);
        }
}

Test(sink, closing_null_is_a_no_op_and_the_count_follows_writes) {
        char path[512], err[512] = "";
        cw_sink_t *sink;

        cr_assert_eq(cw_sink_close(NULL, err, sizeof(err)), 0);
        path_in_dir(path, sizeof(path), "count.avro");
        sink = cw_sink_open(path, schemas, err, sizeof(err));
        cr_assert_not_null(sink, "%s", err);
        cr_assert_eq(cw_sink_count(sink), 0);
        cr_assert_eq(cw_sink_write(sink, &rule_warning, err, sizeof(err)), 0);
        cr_assert_eq(cw_sink_write(sink, &model_warning, err, sizeof(err)), 0);
        cr_assert_eq(cw_sink_count(sink), 2);
        cr_assert_eq(cw_sink_close(sink, err, sizeof(err)), 0, "%s", err);
}

Test(sink, a_malformed_warning_is_refused_with_a_sentence) {
        static const char *const names[] = {"bad.jsonl", "bad.avro"};
        struct cw_warning w = rule_warning;

        w.kind = (cw_warning_kind_t)7;
        for (int i = 0; i < 2; i++) {
                char path[512], err[512] = "";
                cw_sink_t *sink;
                path_in_dir(path, sizeof(path), names[i]);
                sink = cw_sink_open(path, schemas, err, sizeof(err));
                cr_assert_not_null(sink, "%s", err);
                cr_assert_eq(cw_sink_write(sink, &w, err, sizeof(err)), -1);
                cr_assert_not_null(strstr(err, "purchase_drop"), "%s", err);
                cr_assert_eq(cw_sink_count(sink), 0);
                cr_assert_eq(cw_sink_close(sink, err, sizeof(err)), 0, "%s",
                             err);
        }
}

/* ---- Avro container files ------------------------------------------ */

Test(sink, the_avro_file_reads_back_with_avro_c_field_for_field) {
        const struct cw_warning ws[] = {rule_warning, model_warning,
                                        odd_warning};
        char path[512];
        path_in_dir(path, sizeof(path), "out.avro");
        write_all(path, ws, 3);
        assert_avro_file_holds(path, ws, 3);
}

Test(sink, an_avro_file_without_warnings_is_still_a_valid_container) {
        char path[512];
        size_t len;
        int64_t records, max_size;
        unsigned char *buf;

        path_in_dir(path, sizeof(path), "empty.avro");
        write_all(path, NULL, 0);
        assert_avro_file_holds(path, NULL, 0);
        buf = (unsigned char *)slurp(path, &len);
        cr_assert_eq(count_blocks(buf, len, &records, &max_size), 0);
        free(buf);
}

Test(sink, the_same_warnings_give_byte_identical_avro_files) {
        const struct cw_warning ws[] = {rule_warning, model_warning,
                                        odd_warning, rule_warning};
        char a[512], b[512];
        char *x, *y;
        size_t nx, ny;

        path_in_dir(a, sizeof(a), "first.avro");
        path_in_dir(b, sizeof(b), "second-run.avro");
        write_all(a, ws, 4);
        write_all(b, ws, 4);
        x = slurp(a, &nx);
        y = slurp(b, &ny);
        cr_assert_eq(nx, ny);
        cr_assert_eq(memcmp(x, y, nx), 0, "the two files differ");
        free(x);
        free(y);
}

Test(sink, a_stream_over_64_kib_spans_several_blocks_and_reads_back_whole) {
        enum { N = 2500 };
        struct cw_warning *ws = calloc(N, sizeof(*ws));
        char(*ids)[32] = calloc(N, sizeof(*ids));
        char path[512];
        unsigned char *buf;
        size_t len;
        int64_t records, max_size;
        int blocks;

        for (int i = 0; i < N; i++) {
                ws[i] = i % 2 ? model_warning : rule_warning;
                ws[i].customer_id.len = (size_t)snprintf(ids[i], sizeof(ids[i]),
                                                         "customer-%06d", i);
                ws[i].customer_id.p = ids[i];
                ws[i].eval_ts += (int64_t)i * 86400000;
        }
        path_in_dir(path, sizeof(path), "big.avro");
        write_all(path, ws, N);
        buf = (unsigned char *)slurp(path, &len);
        cr_assert_gt(len, 64 * 1024);
        blocks = count_blocks(buf, len, &records, &max_size);
        cr_assert_gt(blocks, 2, "only %d blocks", blocks);
        cr_assert_eq(records, N);
        cr_assert_leq(max_size, 64 * 1024);
        assert_avro_file_holds(path, ws, N);
        free(buf);
        free(ids);
        free(ws);
}

Test(sink, a_record_bigger_than_a_block_gets_a_block_of_its_own) {
        enum { BIG = 100 * 1024 };
        struct cw_warning ws[3] = {rule_warning, model_warning, rule_warning};
        char *id = malloc(BIG), path[512];
        unsigned char *buf;
        size_t len;
        int64_t records, max_size;

        memset(id, 'y', BIG);
        ws[1].customer_id.p = id;
        ws[1].customer_id.len = BIG;
        path_in_dir(path, sizeof(path), "huge.avro");
        write_all(path, ws, 3);
        buf = (unsigned char *)slurp(path, &len);
        cr_assert_eq(count_blocks(buf, len, &records, &max_size), 3);
        cr_assert_eq(records, 3);
        cr_assert_gt(max_size, BIG);
        assert_avro_file_holds(path, ws, 3);
        free(buf);
        free(id);
}

/* Python's avro reads the .avro, and each record equals the JSONL line. */
static const char python_check[] =
        "import datetime, json, sys\n"
        "from avro.datafile import DataFileReader\n"
        "from avro.io import DatumReader\n"
        "epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)\n"
        "def millis(v):\n"
        "    if isinstance(v, datetime.datetime):\n"
        "        return (v - epoch) // datetime.timedelta(milliseconds=1)\n"
        "    return v\n"
        "with open(sys.argv[1], 'rb') as f:\n"
        "    recs = list(DataFileReader(f, DatumReader()))\n"
        "with open(sys.argv[2], encoding='utf-8') as f:\n"
        "    lines = [json.loads(l) for l in f]\n"
        "assert len(recs) == len(lines), (len(recs), len(lines))\n"
        "for r, j in zip(recs, lines):\n"
        "    for k in ('eval_ts', 'emitted_at'):\n"
        "        r[k] = millis(r[k])\n"
        "    assert list(r) == list(j), (list(r), list(j))\n"
        "    assert list(r['features']) == list(j['features'])\n"
        "    assert r == j, (r, j)\n"
        "print('ok', len(recs))\n";

Test(sink, python_avro_reads_the_same_records_as_the_json_lines) {
        const struct cw_warning ws[] = {rule_warning, model_warning,
                                        odd_warning};
        char avro_path[512], jsonl_path[512], script[512], cmd[2048];
        char out[256] = "";
        FILE *f, *p;
        int status;

        path_in_dir(avro_path, sizeof(avro_path), "py.avro");
        path_in_dir(jsonl_path, sizeof(jsonl_path), "py.jsonl");
        path_in_dir(script, sizeof(script), "check.py");
        write_all(avro_path, ws, 3);
        write_all(jsonl_path, ws, 3);
        f = fopen(script, "w");
        cr_assert_not_null(f);
        fputs(python_check, f);
        fclose(f);
        /* -I: ignore PYTHON* variables and user site-packages. */
        snprintf(cmd, sizeof(cmd), SYSTEM_PYTHON " -I %s %s %s 2>&1", script,
                 avro_path, jsonl_path);
        p = popen(cmd, "r");
        cr_assert_not_null(p);
        while (fgets(out + strlen(out), (int)(sizeof(out) - strlen(out)), p))
                ;
        status = pclose(p);
        cr_assert_eq(status, 0, "%s failed:\n%s", cmd, out);
        cr_assert_str_eq(out, "ok 3\n");
}

/* ---- single-record encoding ---------------------------------------- */

static void assert_round_trip(cw_warning_encoder_t *enc,
                              const struct cw_warning *w) {
        char err[512] = "";
        const void *buf;
        size_t len, size;
        avro_value_iface_t *iface;
        avro_value_t rec;
        avro_reader_t r;

        cr_assert_eq(cw_warning_encode(enc, w, &buf, &len, err, sizeof(err)), 0,
                     "%s", err);
        iface = avro_generic_class_from_schema(
                cw_schemas_get(schemas, CW_SCHEMA_WARNING));
        cr_assert_eq(avro_generic_value_new(iface, &rec), 0);
        r = avro_reader_memory(buf, (int64_t)len);
        cr_assert_eq(avro_value_read(r, &rec), 0, "%s", avro_strerror());
        cr_assert_eq(avro_value_sizeof(&rec, &size), 0);
        cr_assert_eq(size, len, "%zu bytes encoded, the record has %zu", len,
                     size);
        assert_record_is(&rec, w);
        avro_reader_free(r);
        avro_value_decref(&rec);
        avro_value_iface_decref(iface);
}

Test(sink, a_warning_encoded_alone_round_trips_through_avro_value_read) {
        char err[512] = "";
        cw_warning_encoder_t *enc =
                cw_warning_encoder_new(schemas, err, sizeof(err));
        cr_assert_not_null(enc, "%s", err);
        assert_round_trip(enc, &model_warning);
        assert_round_trip(enc, &rule_warning);
        assert_round_trip(enc, &odd_warning);
        cw_warning_encoder_destroy(enc);
        cw_warning_encoder_destroy(NULL);
}

Test(sink, reusing_the_encoder_leaks_nothing_from_the_previous_warning) {
        enum { NF = 200 };
        static struct cw_warning_feature many[NF];
        static char names[NF][16];
        static char long_id[5000];
        struct cw_warning big = model_warning;
        char err[512] = "";
        const void *buf;
        size_t len, first_len;
        void *first;
        cw_warning_encoder_t *enc =
                cw_warning_encoder_new(schemas, err, sizeof(err));

        cr_assert_not_null(enc, "%s", err);
        for (int i = 0; i < NF; i++) {
                snprintf(names[i], sizeof(names[i]), "feature_%d", i);
                many[i].name = names[i];
                many[i].value = i * 0.25;
        }
        memset(long_id, 'x', sizeof(long_id));
        big.customer_id.p = long_id;
        big.customer_id.len = sizeof(long_id);
        big.features = many;
        big.n_features = NF;

        cr_assert_eq(cw_warning_encode(enc, &rule_warning, &buf, &len, err,
                                       sizeof(err)),
                     0, "%s", err);
        first = malloc(len);
        memcpy(first, buf, len);
        first_len = len;
        /* Bigger than the encoder's first buffer: it has to grow. */
        assert_round_trip(enc, &big);
        cr_assert_eq(cw_warning_encode(enc, &rule_warning, &buf, &len, err,
                                       sizeof(err)),
                     0, "%s", err);
        cr_assert_eq(len, first_len);
        cr_assert_eq(memcmp(buf, first, len), 0);
        free(first);
        cw_warning_encoder_destroy(enc);
}

Test(sink, the_output_of_a_failed_run_is_removed_but_a_device_is_kept) {
        static const char *const names[] = {"failed.jsonl", "failed.avro"};
        char path[512], err[512] = "";
        cw_sink_t *sink;

        for (int i = 0; i < 2; i++) {
                path_in_dir(path, sizeof(path), names[i]);
                sink = cw_sink_open(path, schemas, err, sizeof(err));
                cr_assert_not_null(sink, "%s", err);
                cr_assert_eq(
                        cw_sink_write(sink, &rule_warning, err, sizeof(err)), 0,
                        "%s", err);
                cr_assert_eq(cw_sink_discard(sink), 1, "%s", names[i]);
                cr_assert_neq(access(path, F_OK), 0, "%s is still there", path);
        }
        path_in_dir(path, sizeof(path), "null.jsonl");
        cr_assert_eq(symlink("/dev/null", path), 0);
        sink = cw_sink_open(path, schemas, err, sizeof(err));
        cr_assert_not_null(sink, "%s", err);
        cr_assert_eq(cw_sink_discard(sink), 0);
        cr_assert_eq(access("/dev/null", F_OK), 0);
        cr_assert_eq(cw_sink_discard(NULL), 0);
}
