/*
 * XGBoost model files (CONTRACT.md section 11): the JSON that
 * save_model() writes, read by config/xgboost.c into features/trees.c
 * while a configuration loads. The input is the model file; the
 * configuration naming it is the one of tests/data/configs/good/
 * xgboost.cfg. A model that loads is scored on a few rows.
 *
 * Properties: a model refused says why at the line of its `file`
 * setting; a score is a probability (or NaN).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "features/model.h"
#include "fuzz.h"

static const char config_text[] =
        "features = (\n"
        "  { name = \"purchases_30d\"; stream = \"purchase\"; agg = "
        "\"count\"; window = \"30d\"; },\n"
        "  { name = \"nps_last\"; stream = \"survey\"; agg = \"last\"; "
        "field = \"score\"; },\n"
        "  { name = \"days_since_purchase\"; stream = \"purchase\"; agg = "
        "\"days_since_last\"; },\n"
        "  { name = \"complaints_30d\"; stream = \"ticket\"; agg = "
        "\"count\"; window = \"30d\"; }\n"
        ");\n"
        "models = (\n"
        "  { name = \"churn_xgb\"; type = \"xgboost\"; file = \"model.json\";\n"
        "    inputs = [\"purchases_30d\", \"nps_last\", "
        "\"days_since_purchase\", \"complaints_30d\"];\n"
        "    fire = 0.6; }\n"
        ");\n";

static char config_path[512];

void cw_fuzz_init(void) {
        snprintf(config_path, sizeof(config_path), "%s",
                 cw_fuzz_file("xgboost.cfg", config_text,
                              sizeof(config_text) - 1));
}

static void score(const cw_trees_t *t) {
        static const float rows[][4] = {{0, 0, 0, 0},
                                        {3, 7, 12, 1},
                                        {NAN, NAN, NAN, NAN},
                                        {-1e30f, 1e30f, 365, -2}};
        float contrib[CW_TREES_MAX_FEATURES + 1];

        for (size_t r = 0; r < sizeof(rows) / sizeof(*rows); r++) {
                double p = cw_trees_score(t, rows[r]);
                if (!(p >= 0 && p <= 1) && !isnan(p))
                        cw_fuzz_fail("score %g is not a probability", p);
                cw_trees_contrib(t, rows[r], contrib);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cw_diags d;
        cw_config_t *c;

        cw_fuzz_file("model.json", data, size);
        cw_diags_init(&d);
        c = cw_config_load(config_path, &d);
        if (!c) {
                if (d.n == 0 || !strstr(d.msgs[0], "xgboost.cfg:"))
                        cw_fuzz_fail("a model refused without its place: %s",
                                     d.n ? d.msgs[0] : "(nothing)");
        } else {
                for (int i = 0; i < c->engine.n_alerts; i++)
                        if (c->engine.alerts[i].trees)
                                score(c->engine.alerts[i].trees);
        }
        cw_config_destroy(c);
        cw_diags_free(&d);
        return 0;
}
