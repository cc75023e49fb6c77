#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/duration.h"
#include "config/config.h"
#include "features/trees.h"
#include "xgb_fixture.h"

#define CONTRACT_CFG CW_SOURCE_DIR "/tests/data/configs/good/contract.cfg"

static struct cw_diags diags;
static char tmp_path[64];

static void setup(void) {
        cw_diags_init(&diags);
}

static void teardown(void) {
        cw_diags_free(&diags);
        if (tmp_path[0])
                unlink(tmp_path);
        tmp_path[0] = '\0';
}

/* Writes `text` to a temporary file and loads it. */
static cw_config_t *load_text(const char *text) {
        int fd;
        strcpy(tmp_path, "/tmp/cw_test_config_XXXXXX");
        fd = mkstemp(tmp_path);
        cr_assert(fd >= 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        return cw_config_load(tmp_path, &diags);
}

static int has_diag(const char *needle) {
        for (int i = 0; i < diags.n; i++)
                if (strstr(diags.msgs[i], needle))
                        return 1;
        return 0;
}

TestSuite(config, .init = setup, .fini = teardown);

Test(config, contract_example_loads_into_the_expected_structure) {
        cw_config_t *c = cw_config_load(CONTRACT_CFG, &diags);
        cr_assert_not_null(c, "first problem: %s",
                           diags.n ? diags.msgs[0] : "");
        cr_assert_eq(c->engine.n_features, 7);
        cr_assert_eq(c->engine.n_rules, 1);
        cr_assert_eq(c->engine.n_alerts, 2);

        const struct cw_feature *spend = &c->engine.features[2];
        cr_assert_str_eq(spend->name, "spend_90d");
        cr_assert_eq(spend->agg, CW_AGG_SUM);
        cr_assert_eq(spend->stream, CW_STREAM_PURCHASE);
        cr_assert_eq(spend->field, 3);
        cr_assert_eq(spend->window_days, 90);
        cr_assert_null(spend->where);

        const struct cw_feature *dsp = &c->engine.features[3];
        cr_assert_eq(dsp->agg, CW_AGG_DAYS_SINCE_LAST);
        cr_assert_eq(dsp->window_days, 0);
        cr_assert_eq(dsp->field, -1);

        cr_assert_not_null(c->engine.features[4].where);
        cr_assert_eq(c->engine.features[6].agg, CW_AGG_EXPR);
        cr_assert_not_null(c->engine.features[6].expr);
        cr_assert_eq(c->engine.max_window_days, 90);
        cr_assert_eq(c->engine.lateness_ms, 7 * CW_MS_PER_DAY);
        cr_assert_eq(c->engine.state_ttl_ms, 365 * CW_MS_PER_DAY);
        cr_assert_eq(c->warmup_ms, 97 * CW_MS_PER_DAY);
        cr_assert_eq(c->max_idle_ms, 1000);
        cw_config_destroy(c);
}

Test(config, rule_settings_and_references_are_kept) {
        cw_config_t *c = cw_config_load(CONTRACT_CFG, &diags);
        cr_assert_not_null(c);
        const struct cw_alert *r = &c->engine.alerts[0];
        cr_assert_str_eq(r->name, "purchase_drop");
        cr_assert_eq(r->kind, CW_ALERT_RULE);
        cr_assert_str_eq(r->severity, "high");
        cr_assert_eq(r->for_ms, 0);
        cr_assert_eq(r->cooldown_ms, 14 * CW_MS_PER_DAY);
        cr_assert_not_null(r->when);
        cr_assert_not_null(r->clear);
        /* when names purchases_90d then purchase_trend; clear adds none. */
        cr_assert_eq(r->n_refs, 2);
        cr_assert_eq(r->refs[0], 1);
        cr_assert_eq(r->refs[1], 6);
        cw_config_destroy(c);
}

Test(config, model_inputs_are_parsed_with_their_defaults) {
        cw_config_t *c = cw_config_load(CONTRACT_CFG, &diags);
        cr_assert_not_null(c);
        const struct cw_alert *m = &c->engine.alerts[1];
        cr_assert_str_eq(m->name, "churn_lr_v1");
        cr_assert_eq(m->kind, CW_ALERT_MODEL);
        cr_assert_float_eq(m->intercept, -2.0, 1e-12);
        cr_assert_float_eq(m->fire, 0.8, 1e-12);
        cr_assert_float_eq(m->clear_below, 0.6, 1e-12);
        cr_assert_eq(m->n_inputs, 3);
        cr_assert_eq(m->inputs[0].feature, 0);
        cr_assert_eq(m->inputs[0].transform, CW_TRANSFORM_LOG1P);
        cr_assert_float_eq(m->inputs[0].missing, 0.0, 1e-12);
        cr_assert_eq(m->inputs[1].feature, 5);
        cr_assert_float_eq(m->inputs[1].missing, 7.0, 1e-12);
        cr_assert_eq(m->inputs[1].transform, CW_TRANSFORM_NONE);
        cr_assert(m->inputs[2].has_clip);
        cr_assert_float_eq(m->inputs[2].clip_lo, 0.0, 1e-12);
        cr_assert_float_eq(m->inputs[2].clip_hi, 365.0, 1e-12);
        cr_assert_eq(m->n_refs, 3);
        cw_config_destroy(c);
}

Test(config, alert_defaults_follow_the_contract) {
        cw_config_t *c = load_text(
                "features = ( { name = \"a\"; stream = \"login\"; agg = "
                "\"count\"; "
                "window = \"7d\"; } );\n"
                "rules = ( { name = \"r\"; when = \"a < 1\"; } );\n"
                "models = ( { name = \"m\"; type = \"logistic\"; fire = 0.7;\n"
                "  inputs = ( { feature = \"a\"; weight = 1; } ); } );\n");
        cr_assert_not_null(c, "first problem: %s",
                           diags.n ? diags.msgs[0] : "");
        cr_assert_str_eq(c->engine.alerts[0].severity, "medium");
        cr_assert_null(c->engine.alerts[0].clear);
        cr_assert_eq(c->engine.alerts[0].for_ms, 0);
        cr_assert_eq(c->engine.alerts[0].cooldown_ms, 0);
        cr_assert_float_eq(c->engine.alerts[1].clear_below, 0.7, 1e-12);
        cr_assert_float_eq(c->engine.alerts[1].intercept, 0.0, 1e-12);
        cr_assert_float_eq(c->engine.alerts[1].inputs[0].weight, 1.0, 1e-12);
        cw_config_destroy(c);
}

Test(config, expression_features_are_evaluated_after_their_inputs) {
        cw_config_t *c =
                load_text("features = (\n"
                          "  { name = \"ratio\"; expr = \"trend * 2\"; },\n"
                          "  { name = \"trend\"; expr = \"a / b\"; },\n"
                          "  { name = \"a\"; stream = \"login\"; agg = "
                          "\"count\"; window = \"7d\"; },\n"
                          "  { name = \"b\"; stream = \"login\"; agg = "
                          "\"count\"; window = \"28d\"; }\n"
                          ");\n");
        int pos[4];
        cr_assert_not_null(c, "first problem: %s",
                           diags.n ? diags.msgs[0] : "");
        for (int i = 0; i < 4; i++)
                pos[c->engine.eval_order[i]] = i;
        cr_assert_lt(pos[2], pos[1]);
        cr_assert_lt(pos[3], pos[1]);
        cr_assert_lt(pos[1], pos[0]);
        cw_config_destroy(c);
}

Test(config, kafka_properties_use_dots_and_topics_have_defaults) {
        cw_config_t *c = load_text(
                "features = ( { name = \"a\"; stream = \"login\"; agg = "
                "\"count\"; "
                "window = \"7d\"; } );\n"
                "kafka = { bootstrap_servers = \"127.0.0.1:9092\"; "
                "session_timeout_ms = 6000; enable_auto_commit = false; };\n"
                "topics = { login = \"app-logins\"; };\n");
        cr_assert_not_null(c, "first problem: %s",
                           diags.n ? diags.msgs[0] : "");
        cr_assert_eq(c->n_kafka, 3);
        cr_assert_str_eq(c->kafka[0].name, "bootstrap.servers");
        cr_assert_str_eq(c->kafka[1].name, "session.timeout.ms");
        cr_assert_str_eq(c->kafka[1].value, "6000");
        cr_assert_str_eq(c->kafka[2].value, "false");
        cr_assert_str_eq(c->topics[CW_STREAM_LOGIN], "app-logins");
        cr_assert_str_eq(c->topics[CW_STREAM_PURCHASE], "purchases");
        cr_assert_str_eq(c->warnings_topic, "churn-warnings");
        cr_assert_str_eq(c->dead_letter_topic, "churnwatch-dlq");
        cw_config_destroy(c);
}

Test(config, every_problem_is_reported_not_just_the_first) {
        cw_config_t *c =
                load_text("features = (\n"
                          "  { name = \"a\"; stream = \"nope\"; agg = "
                          "\"count\"; window = \"7d\"; },\n"
                          "  { name = \"b\"; stream = \"login\"; agg = "
                          "\"avg\"; window = \"7d\"; },\n"
                          "  { name = \"c\"; stream = \"login\"; agg = "
                          "\"count\"; window = \"7\"; }\n"
                          ");\n"
                          "rules = ( { name = \"r\"; when = \"zz > 1\"; } );\n"
                          "state_ttl = \"0d\";\n");
        cr_assert_null(c);
        cr_assert_eq(diags.n, 5, "got %d problems", diags.n);
        cr_assert(has_diag(":2: feature 'a': unknown stream \"nope\""));
        cr_assert(has_diag(":3: feature 'b' has no 'field'"));
        cr_assert(has_diag(":4: feature 'c': bad window \"7\""));
        cr_assert(has_diag(":6: rule 'r': when: unknown feature 'zz'"));
        cr_assert(has_diag(":7: state_ttl must be longer than 0"));
}

Test(config, model_clear_above_fire_is_rejected) {
        cw_config_t *c = load_text(
                "features = ( { name = \"a\"; stream = \"login\"; agg = "
                "\"count\"; "
                "window = \"7d\"; } );\n"
                "models = ( { name = \"m\"; type = \"logistic\"; fire = 0.5; "
                "clear = 0.7;\n"
                "  inputs = ( { feature = \"a\"; weight = 1.0; } ); } );\n");
        cr_assert_null(c);
        cr_assert(has_diag(":2: model 'm': clear = 0.7 is above fire = 0.5"));
}

Test(config, standardize_needs_mean_and_std) {
        cw_config_t *c = load_text(
                "features = ( { name = \"a\"; stream = \"login\"; agg = "
                "\"count\"; "
                "window = \"7d\"; } );\n"
                "models = ( { name = \"m\"; type = \"logistic\"; fire = 0.5;\n"
                "  inputs = ( { feature = \"a\"; weight = 1.0;\n"
                "               transform = \"standardize\"; } ); } );\n");
        cr_assert_null(c);
        cr_assert(has_diag("model 'm' input #1 has no 'mean'"));
        cr_assert(has_diag("model 'm' input #1 has no 'std'"));
}

Test(config, where_filters_compile_against_the_stream_fields) {
        cw_config_t *c = load_text("features = ( { name = \"failed\"; stream = "
                                   "\"login\"; agg = \"count\";\n"
                                   "  window = \"7d\"; where = \"!success && "
                                   "device == 'ios'\"; } );\n");
        double num[CW_EVENT_MAX_FIELDS] = {0};
        cw_str_t str[CW_EVENT_MAX_FIELDS] = {{0}};
        cr_assert_not_null(c, "first problem: %s",
                           diags.n ? diags.msgs[0] : "");
        num[4] = 0; /* success = false */
        str[5].p = "ios";
        str[5].len = 3;
        cr_assert_float_eq(cw_expr_eval(c->engine.features[0].where, num, str),
                           1.0, 0);
        str[5].p = NULL; /* device null */
        cr_assert_float_eq(cw_expr_eval(c->engine.features[0].where, num, str),
                           0.0, 0);
        cw_config_destroy(c);
}

Test(config, a_missing_file_is_reported_without_a_line) {
        cw_config_t *c = cw_config_load("/nonexistent/churnwatch.cfg", &diags);
        cr_assert_null(c);
        cr_assert_eq(diags.n, 1);
        cr_assert_str_eq(diags.msgs[0],
                         "/nonexistent/churnwatch.cfg: cannot "
                         "read the file: No such file or directory");
}

Test(config, schema_registry_lists_base_urls_and_takes_defaults) {
        cw_config_t *c =
                load_text("features = ( { name = \"a\"; stream = \"purchase\"; "
                          "agg = \"count\"; window = \"3d\"; } );\n"
                          "schema_registry = { url = \" http://r1:8081/ , "
                          "https://u:p@r2:8443/sr/ \"; };\n");
        cr_assert_not_null(c, "%s", diags.n ? diags.msgs[0] : "");
        cr_assert_not_null(c->registry);
        cr_assert_eq(c->registry->n_urls, 2);
        cr_assert_str_eq(c->registry->urls[0], "http://r1:8081");
        cr_assert_str_eq(c->registry->urls[1], "https://u:p@r2:8443/sr");
        cr_assert_null(c->registry->user_info);
        cr_assert_eq(c->registry->auto_register, 1);
        cr_assert_eq(c->registry->timeout_ms, 10000);
        cr_assert_null(c->registry->ssl_ca_location);
        cw_config_destroy(c);
}

Test(config, without_schema_registry_values_stay_raw) {
        cw_config_t *c = cw_config_load(CONTRACT_CFG, &diags);
        cr_assert_not_null(c);
        cr_assert_null(c->registry);
        cw_config_destroy(c);
}

Test(config, schema_registry_problems_name_the_line_but_never_the_secret) {
        cw_config_t *c = load_text(
                "features = ( { name = \"a\"; stream = \"purchase\"; "
                "agg = \"count\"; window = \"3d\"; } );\n"
                "schema_registry = { url = \"registry:8081\";\n"
                "  basic_auth_user_info = \"secretvalue\"; auto_register = 1; "
                "};\n");
        cr_assert_null(c);
        cr_assert(has_diag(":2: schema_registry.url: 'registry:8081' is not"));
        cr_assert(has_diag(":3: schema_registry.basic_auth_user_info must be"));
        cr_assert(has_diag(":3: schema_registry.auto_register must be true"));
        for (int i = 0; i < diags.n; i++)
                cr_assert_null(strstr(diags.msgs[i], "secretvalue"), "%s",
                               diags.msgs[i]);
}

/* A configuration whose model m reads the model file `model` (a name
 * relative to /tmp, where load_text writes the configuration). */
static cw_config_t *load_xgboost(const char *model) {
        char text[1024];
        snprintf(text, sizeof(text),
                 "features = (\n"
                 " { name = \"nps\"; stream = \"survey\"; agg = \"last\"; "
                 "field = \"score\"; },\n"
                 " { name = \"logins\"; stream = \"login\"; agg = \"count\"; "
                 "window = \"30d\"; }\n);\n"
                 "models = ( { name = \"m\"; type = \"xgboost\";\n"
                 "  file = \"%s\";\n"
                 "  inputs = [\"logins\", \"nps\"]; fire = 0.7; } );\n",
                 model);
        return load_text(text);
}

Test(config, an_xgboost_model_file_is_read_relative_to_the_configuration) {
        char model[32];
        xgb_write_model(model, NULL, NULL);
        cw_config_t *c = load_xgboost(model + strlen("/tmp/"));
        unlink(model);
        cr_assert_not_null(c, "%s", diags.n ? diags.msgs[0] : "?");
        const struct cw_alert *m = &c->engine.alerts[0];
        cr_assert_eq(m->kind, CW_ALERT_MODEL);
        cr_assert_not_null(m->trees);
        cr_assert_eq(cw_trees_count(m->trees), 1);
        cr_assert_eq(cw_trees_features(m->trees), 2);
        cr_assert_eq(m->n_inputs, 2);
        cr_assert_eq(m->inputs[0].feature, 1); /* logins */
        cr_assert_eq(m->inputs[1].feature, 0); /* nps */
        cr_assert_eq(m->n_refs, 2);
        cr_assert_float_eq(m->fire, 0.7, 1e-12);
        cr_assert_float_eq(m->clear_below, 0.7, 1e-12);
        cw_config_destroy(c);
}

Test(config, xgboost_files_without_names_and_with_boolean_directions_load) {
        static const char *const edits[][2] = {
                {"\"feature_names\":[\"logins\",\"nps\"],", ""},
                {"\"feature_names\":[\"logins\",\"nps\"]",
                 "\"feature_names\":[]"},
                {"\"default_left\":[1,0,0]",
                 "\"default_left\":[true,false,false]"},
                {"\"split_type\":[0,0,0],", ""},
                /* XGBoost's bare tokens inside a string stay as they are. */
                {"\"attributes\":{}",
                 "\"attributes\":{\"a\":\"NaN \\\" -Infinity\"}"},
        };
        for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
                char model[32];
                xgb_write_model(model, edits[i][0], edits[i][1]);
                cw_config_t *c = load_xgboost(model);
                unlink(model);
                cr_assert_not_null(c, "edit %zu: %s", i,
                                   diags.n ? diags.msgs[0] : "?");
                cw_config_destroy(c);
                teardown();
                setup();
        }
}

Test(config, xgboost_infinity_and_nan_tokens_are_read_as_floats) {
        char model[32];
        xgb_write_model(model, "\"split_conditions\":[1.5E0,2E0,-1E0]",
                        "\"split_conditions\":[Infinity,NaN,-Infinity]");
        cw_config_t *c = load_xgboost(model);
        unlink(model);
        cr_assert_not_null(c, "%s", diags.n ? diags.msgs[0] : "?");
        const cw_trees_t *t = c->engine.alerts[0].trees;
        /* Every finite input is below Infinity: left, to the NaN leaf;
         * only an infinite one goes right, to -Infinity. */
        cr_assert(isnan(cw_trees_margin(t, (float[]){3e38f, 0})));
        cr_assert_eq(cw_trees_margin(t, (float[]){INFINITY, 0}), -INFINITY);
        cw_config_destroy(c);
}

Test(config, a_broken_xgboost_file_is_an_error_at_the_file_line) {
        static const char *const cases[][3] = {
                {"\"learner\":", "\"trainer\":", "learner is missing"},
                {"\"name\":\"gbtree\"", "\"name\":\"dart\"",
                 "the booster is \"dart\"; churnwatch reads gbtree models "
                 "only"},
                {"\"base_score\":\"5E-1\"", "\"base_score\":\"1E0\"",
                 "base_score = 1 is not strictly between 0 and 1"},
                {"\"base_score\":\"5E-1\"", "\"base_score\":\"[5E-1]\"",
                 "base_score is \"[5E-1]\", not a number"},
                {"\"num_feature\":\"2\",\"num_target\"",
                 "\"num_feature\":\"3\",\"num_target\"",
                 "the model has 3 features (num_feature) but inputs names 2"},
                {"\"feature_names\":[\"logins\",\"nps\"]",
                 "\"feature_names\":[\"logins\",\"nps\",\"x\"]",
                 "feature_names has 3 names but inputs 2"},
                {"\"left_children\":[1,-1,-1]", "\"left_children\":[1,-1]",
                 "trees[0].left_children has 2 entries, not num_nodes = 3"},
                {"\"split_conditions\":[1.5E0,", "\"split_conditions\":[\"x\",",
                 "trees[0].split_conditions[0] is not a number"},
                {"\"split_type\":[0,0,0]", "\"split_type\":[1,0,0]",
                 "trees[0] node 0 is a categorical split"},
                {"\"tree_info\":[0]", "\"tree_info\":[1]",
                 "tree_info[0] is not 0"},
                {"\"left_children\":[1,-1,-1]", "\"left_children\":[0,-1,-1]",
                 "trees[0]: node 0 is the child of two splits"},
                {"\"num_nodes\":\"3\"", "\"num_nodes\":\"0\"",
                 "trees[0] has num_nodes = 0"},
                {"{\"learner\"", "[{\"learner\"", "not valid JSON"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char model[32], want[256];
                xgb_write_model(model, cases[i][0], cases[i][1]);
                cw_config_t *c = load_xgboost(model);
                unlink(model);
                cr_assert_null(c, "case %zu was accepted", i);
                snprintf(want, sizeof(want), "%s:6: model 'm': %s", tmp_path,
                         model);
                cr_assert(diags.n == 1 && strstr(diags.msgs[0], want) &&
                                  strstr(diags.msgs[0], cases[i][2]),
                          "case %zu: '%s' does not say '%s' at '%s'", i,
                          diags.n ? diags.msgs[0] : "-", cases[i][2], want);
                teardown();
                setup();
        }
}

/* ---- ${NAME} from the environment, http_listen ---------------------------
 * Criterion runs each test in its own process: setenv stays in the test. */

#define ONE_FEATURE                                                            \
        "features = ( { name = \"a\"; stream = \"login\"; agg = \"count\"; "   \
        "window = \"7d\"; } );\n"

Test(config, env_variables_expand_in_every_string_setting) {
        setenv("CW_TEST_PASSWORD", "s3cr$t {x}", 1);
        setenv("CW_TEST_POD", "churnwatch-1", 1);
        setenv("CW_TEST_SEVERITY", "high", 1);
        setenv("CW_TEST_RAW", "${NOT_EXPANDED_AGAIN}", 1);
        cw_config_t *c = load_text(
                ONE_FEATURE
                "rules = ( { name = \"r\"; when = \"a > 1\"; "
                "severity = \"${CW_TEST_SEVERITY}\"; } );\n"
                "kafka = { sasl_password = \"${CW_TEST_PASSWORD}\";\n"
                "  group_instance_id = \"${CW_TEST_POD}\";\n"
                "  client_id = \"${CW_TEST_RAW}\"; };\n"
                "topics = { login = \"in-${CW_TEST_POD}-${CW_TEST_SEVERITY}\"; "
                "};\n"
                "http_listen = \"127.0.0.1:9464\";\n");
        cr_assert_not_null(c, "first problem: %s",
                           diags.n ? diags.msgs[0] : "");
        cr_assert_str_eq(cw_config_kafka_get(c, "sasl.password"), "s3cr$t {x}");
        cr_assert_str_eq(cw_config_kafka_get(c, "group.instance.id"),
                         "churnwatch-1");
        /* A value is not expanded again. */
        cr_assert_str_eq(cw_config_kafka_get(c, "client.id"),
                         "${NOT_EXPANDED_AGAIN}");
        cr_assert_str_eq(c->topics[CW_STREAM_LOGIN], "in-churnwatch-1-high");
        cr_assert_str_eq(c->engine.alerts[0].severity, "high");
        cr_assert_str_eq(c->http_listen, "127.0.0.1:9464");
        cw_config_destroy(c);
}

Test(config, an_unset_variable_is_an_error_naming_file_and_line) {
        char want[256];

        unsetenv("CW_TEST_UNSET");
        cw_config_t *c = load_text(ONE_FEATURE
                                   "kafka = {\n"
                                   "  sasl_password = \"${CW_TEST_UNSET}\";\n"
                                   "};\n");
        cr_assert_null(c);
        cr_assert_eq(diags.n, 1, "got %d problems", diags.n);
        snprintf(want, sizeof(want),
                 "%s:3: kafka.sasl_password: environment variable "
                 "CW_TEST_UNSET is not set",
                 tmp_path);
        cr_assert(!strncmp(diags.msgs[0], want, strlen(want)), "got: %s",
                  diags.msgs[0]);
}

Test(config, an_unset_variable_in_a_list_names_its_place) {
        unsetenv("CW_TEST_UNSET");
        cw_config_t *c = load_text(
                ONE_FEATURE "rules = ( { name = \"r\"; when = \"a > 1\";\n"
                            "  severity = \"${CW_TEST_UNSET}\"; } );\n");
        cr_assert_null(c);
        cr_assert(has_diag(":3: rules[0].severity: environment variable "
                           "CW_TEST_UNSET is not set"));
}

Test(config, dollar_dollar_brace_is_a_literal_and_other_dollars_stay) {
        setenv("CW_TEST_POD", "p", 1);
        cw_config_t *c = load_text(
                ONE_FEATURE "kafka = { sasl_password = \"$${CW_TEST_POD}\";\n"
                            "  client_id = \"a$b$$c$\"; sasl_username = "
                            "\"$$${CW_TEST_POD}\"; };\n");
        cr_assert_not_null(c, "first problem: %s",
                           diags.n ? diags.msgs[0] : "");
        cr_assert_str_eq(cw_config_kafka_get(c, "sasl.password"),
                         "${CW_TEST_POD}");
        cr_assert_str_eq(cw_config_kafka_get(c, "client.id"), "a$b$$c$");
        /* "$" then the escape "$${": a dollar and a literal "${". */
        cr_assert_str_eq(cw_config_kafka_get(c, "sasl.username"),
                         "$${CW_TEST_POD}");
        cw_config_destroy(c);
}

Test(config, a_malformed_reference_is_an_error) {
        cw_config_t *c =
                load_text(ONE_FEATURE "kafka = { sasl_password = \"${OPEN\";\n"
                                      "  client_id = \"${1ABC}\";\n"
                                      "  sasl_username = \"${A-B}\"; };\n");
        cr_assert_null(c);
        cr_assert_eq(diags.n, 3, "got %d problems", diags.n);
        cr_assert(has_diag(":2: kafka.sasl_password: \"${\" without a "
                           "closing \"}\""));
        cr_assert(has_diag(":3: kafka.client_id: \"${1ABC}\" is not "
                           "${NAME}"));
        cr_assert(has_diag(":4: kafka.sasl_username: \"${A-B}\" is not "
                           "${NAME}"));
}

/* A file of one feature and http_listen = "addr", loaded afresh. */
static cw_config_t *load_listen(const char *addr) {
        char text[512];

        snprintf(text, sizeof(text), ONE_FEATURE "http_listen = \"%s\";\n",
                 addr);
        teardown();
        setup();
        return load_text(text);
}

Test(config, http_listen_is_host_and_port) {
        static const char *const good[] = {"0.0.0.0:9464", "[::]:9464",
                                           "localhost:0", "10.1.2.3:65535"};
        static const char *const bad[] = {
                "9464",       "host:",    ":9464",
                "host:65536", "::1:9464", "host:94x4"};
        cw_config_t *c = load_text(ONE_FEATURE);

        cr_assert_not_null(c);
        cr_assert_null(c->http_listen, "absent: no HTTP server");
        cw_config_destroy(c);
        for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
                c = load_listen(good[i]);
                cr_assert_not_null(c, "%s: %s", good[i],
                                   diags.n ? diags.msgs[0] : "");
                cr_assert_str_eq(c->http_listen, good[i]);
                cw_config_destroy(c);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                cr_assert_null(load_listen(bad[i]), "%s accepted", bad[i]);
                cr_assert(has_diag(":2: http_listen: \""), "%s: %s", bad[i],
                          diags.n ? diags.msgs[0] : "none");
        }
}

Test(config, a_folder_or_a_fifo_is_no_configuration_file) {
        /* A FIFO nothing writes would block the open for ever. */
        char d[64] = "/tmp/cw_test_config_XXXXXX", fifo[96];

        cr_assert_not_null(mkdtemp(d));
        cr_assert_null(cw_config_load(d, &diags));
        cr_assert(has_diag(": is a folder, not a file; give the configuration "
                           "file itself"));
        snprintf(fifo, sizeof(fifo), "%s/fifo.cfg", d);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        cr_assert_null(cw_config_load(fifo, &diags));
        cr_assert(has_diag("/fifo.cfg: is a FIFO (named pipe), not a regular "
                           "file"));
        unlink(fifo);
        rmdir(d);
}

Test(config, an_xgboost_model_file_that_is_a_device_is_refused_at_its_line) {
        /* /dev/zero would never end: read whole, it took all memory. */
        cr_assert_null(load_xgboost("/dev/zero"));
        cr_assert(has_diag(":6: model 'm': cannot read /dev/zero (as "
                           "/dev/zero): is a character device, not a regular "
                           "file"),
                  "%s", diags.n ? diags.msgs[0] : "?");
}
