#include "engine_helpers.h"
#include "xgb_fixture.h"

static struct recorder rec;
static cw_config_t *cfg;
static cw_engine_t *eng;

static void start(const char *text) {
        char err[256];
        memset(&rec, 0, sizeof(rec));
        cfg = config_from(text);
        eng = cw_engine_new(&cfg->engine, record, &rec, err, sizeof(err));
        cr_assert_not_null(eng, "%s", err);
}

static void stop(void) {
        cw_engine_destroy(eng);
        cw_config_destroy(cfg);
        eng = NULL;
        cfg = NULL;
}

TestSuite(windows, .fini = stop);
TestSuite(sweeps, .fini = stop);
TestSuite(aggregations, .fini = stop);
TestSuite(alerts, .fini = stop);
TestSuite(models, .fini = stop);

#define LOGIN_COUNT_3D                                                         \
        "features = ( { name = \"c\"; stream = \"login\"; agg = \"count\"; "   \
        "window = \"3d\"; } );\n"

Test(windows, event_exactly_n_days_old_has_left_the_window) {
        start(LOGIN_COUNT_3D
              "rules = ( { name = \"r\"; when = \"c >= 1\"; } );");
        login(eng, "A", 10 * DAY + 12 * HOUR, 60, 1);
        login(eng, "B", 20 * DAY, 60, 1);
        /* Day 10's event counts at days 10, 11 and 12; at 13 it is gone. */
        assert_lines(&rec, "EVENT A r FIRING t=907200000 c=1",
                     "TIMER A r RESOLVED t=1123200000 c=0",
                     "EVENT B r FIRING t=1728000000 c=1");
}

Test(windows, a_late_event_within_lateness_counts_in_its_own_day) {
        start(LOGIN_COUNT_3D
              "rules = ( { name = \"r\"; when = \"c >= 2\"; } );");
        login(eng, "A", 10 * DAY, 60, 1);
        /* Two days late (lateness 7d): lands on day 8, inside [8, 10], and is
         * evaluated at the customer's previous evaluation time. */
        login(eng, "A", 8 * DAY + HOUR, 60, 1);
        assert_lines(&rec, "EVENT A r FIRING t=864000000 c=2");
        login(eng, "C", 11 * DAY, 60, 1);
        /* At day 11 the window is [9, 11]: day 8 left. */
        cr_assert(has_line(&rec, "TIMER A r RESOLVED t=950400000 c=1"));
}

Test(windows, events_later_than_lateness_are_counted_and_not_applied) {
        start(LOGIN_COUNT_3D
              "lateness = \"1d\";\n"
              "rules = ( { name = \"r\"; when = \"c >= 1\"; } );");
        login(eng, "A", 10 * DAY, 60, 1);
        login(eng, "B", 9 * DAY - 1, 60, 1); /* < stream time - 1d: late */
        login(eng, "C", 9 * DAY, 60, 1);     /* exactly at the edge: applied */
        assert_lines(&rec, "EVENT A r FIRING t=864000000 c=1",
                     "EVENT C r FIRING t=777600000 c=1");
        cr_assert_eq(cw_engine_stats(eng)->late, 1);
        cr_assert_eq(cw_engine_stats(eng)->applied, 2);
        cr_assert_eq(cw_engine_stats(eng)->customers, 2);
}

Test(windows, min_and_max_stay_correct_as_days_leave) {
        start("features = ( { name = \"mx\"; stream = \"purchase\"; agg = "
              "\"max\"; "
              "field = \"amount_cents\"; window = \"3d\"; },\n"
              "  { name = \"mn\"; stream = \"purchase\"; agg = \"min\"; "
              "field = \"amount_cents\"; window = \"3d\"; } );\n"
              "rules = ( { name = \"big\"; when = \"mx >= 400\"; },\n"
              "          { name = \"small\"; when = \"mn <= 150\"; } );");
        purchase(eng, "A", 1 * DAY, 500);
        purchase(eng, "A", 2 * DAY, 100);
        purchase(eng, "A", 3 * DAY, 200);
        purchase(eng, "Z", 5 * DAY, 1000);
        assert_lines(&rec, "EVENT A big FIRING t=86400000 mx=500",
                     "EVENT A small FIRING t=172800000 mn=100",
                     /* day 4: window [2, 4], the 500 of day 1 left */
                     "TIMER A big RESOLVED t=345600000 mx=200",
                     /* day 5: window [3, 5], the 100 of day 2 left */
                     "TIMER A small RESOLVED t=432000000 mn=200",
                     "EVENT Z big FIRING t=432000000 mx=1000");
}

Test(sweeps, a_gap_of_many_days_sweeps_every_day_boundary) {
        start("features = ( { name = \"f\"; stream = \"login\"; "
              "agg = \"days_since_last\"; } );\n"
              "rules = ( { name = \"quiet\"; when = \"f >= 30\"; clear = \"f < "
              "1\"; } );");
        login(eng, "A", 1 * DAY, 60, 1);
        login(eng, "B", 100 * DAY, 60, 1);
        login(eng, "A", 100 * DAY + HOUR, 60, 1);
        assert_lines(&rec, "TIMER A quiet FIRING t=2678400000 f=30",
                     "EVENT A quiet RESOLVED t=8643600000 f=0");
        cr_assert_eq(cw_engine_stats(eng)->sweeps, 99);
}

Test(sweeps, state_ttl_evicts_idle_customers_silently) {
        start("features = ( { name = \"f\"; stream = \"login\"; "
              "agg = \"days_since_last\"; } );\n"
              "rules = ( { name = \"quiet\"; when = \"f >= 5\"; } );\n"
              "state_ttl = \"10d\";");
        login(eng, "A", 1 * DAY, 60, 1);
        login(eng, "B", 11 * DAY - 1, 60, 1);
        cr_assert_eq(cw_engine_stats(eng)->customers, 2);
        login(eng, "B", 11 * DAY, 60, 1); /* boundary 11: A is 10 days idle */
        cr_assert_eq(cw_engine_stats(eng)->evicted, 1);
        cr_assert_eq(cw_engine_stats(eng)->customers, 1);
        login(eng, "A", 12 * DAY, 60, 1); /* a fresh start for A */
        assert_lines(&rec, "TIMER A quiet FIRING t=518400000 f=5");
}

Test(sweeps, sweep_warnings_come_in_customer_order) {
        start(LOGIN_COUNT_3D
              "rules = ( { name = \"r\"; when = \"c >= 1\"; } );");
        login(eng, "zed", 1 * DAY, 60, 1);
        login(eng, "amy", 1 * DAY, 60, 1);
        login(eng, "mo", 1 * DAY, 60, 1);
        login(eng, "x", 4 * DAY, 60, 1);
        cr_assert_eq(rec.n, 7);
        cr_assert_str_eq(rec.lines[3], "TIMER amy r RESOLVED t=345600000 c=0");
        cr_assert_str_eq(rec.lines[4], "TIMER mo r RESOLVED t=345600000 c=0");
        cr_assert_str_eq(rec.lines[5], "TIMER zed r RESOLVED t=345600000 c=0");
}

Test(sweeps, the_replay_horizon_runs_the_sweeps_up_to_it) {
        start(LOGIN_COUNT_3D
              "rules = ( { name = \"r\"; when = \"c >= 1\"; } );");
        login(eng, "A", 1 * DAY, 60, 1);
        cw_engine_advance(eng, 3 * DAY + 5);
        cr_assert_eq(rec.n, 1);
        cw_engine_advance(eng, 4 * DAY);
        assert_lines(&rec, "EVENT A r FIRING t=86400000 c=1",
                     "TIMER A r RESOLVED t=345600000 c=0");
        cr_assert_eq(cw_engine_stream_time(eng), 4 * DAY);
}

static void buy(const char *cust, int64_t ts, double amount,
                const char *channel) {
        double nums[3] = {amount, 0, 0};
        const char *strs[3] = {NULL, "EUR", channel};
        struct cw_event ev =
                make_event(CW_STREAM_PURCHASE, cust, ts, nums, strs);
        cw_engine_process(eng, &ev);
}

#define ALL_AGGS(WHERE)                                                        \
        "features = (\n"                                                       \
        " { name = \"n\"; stream = \"purchase\"; agg = \"count\"; window = "   \
        "\"7d\"; " WHERE " },\n"                                               \
        " { name = \"s\"; stream = \"purchase\"; agg = \"sum\"; field = "      \
        "\"amount_cents\"; window = \"7d\"; " WHERE " },\n"                    \
        " { name = \"a\"; stream = \"purchase\"; agg = \"avg\"; field = "      \
        "\"amount_cents\"; window = \"7d\"; " WHERE " },\n"                    \
        " { name = \"lo\"; stream = \"purchase\"; agg = \"min\"; field = "     \
        "\"amount_cents\"; window = \"7d\"; " WHERE " },\n"                    \
        " { name = \"hi\"; stream = \"purchase\"; agg = \"max\"; field = "     \
        "\"amount_cents\"; window = \"7d\"; " WHERE " },\n"                    \
        " { name = \"dd\"; stream = \"purchase\"; agg = \"distinct_days\"; "   \
        "window = \"7d\"; " WHERE " },\n"                                      \
        " { name = \"l\"; stream = \"purchase\"; agg = \"last\"; field = "     \
        "\"amount_cents\"; " WHERE " },\n"                                     \
        " { name = \"ds\"; stream = \"purchase\"; agg = "                      \
        "\"days_since_last\"; " WHERE " }\n"                                   \
        ");\n"                                                                 \
        "rules = ( { name = \"r\"; when = \"n >= 3 && s + a + lo + hi + dd + " \
        "l + ds > -1\"; } );"

Test(aggregations, every_aggregation_without_a_filter) {
        start(ALL_AGGS(""));
        buy("A", 1 * DAY, 100, "web");
        buy("A", 3 * DAY, 300, "web");
        buy("A", 3 * DAY + HOUR, 50, NULL);
        assert_lines(&rec,
                     "EVENT A r FIRING t=262800000 a=150 dd=2 ds=0 hi=300 "
                     "l=50 lo=50 n=3 s=450");
}

Test(aggregations, every_aggregation_with_a_filter) {
        start(ALL_AGGS("where = \"channel == 'web'\";"));
        buy("A", 1 * DAY, 100, "web");
        buy("A", 3 * DAY, 300, "app");
        buy("A", 3 * DAY + HOUR, 50, NULL); /* null channel: no match */
        buy("A", 4 * DAY, 70, "web");
        buy("A", 4 * DAY + 1, 900, "web");
        assert_lines(&rec, "EVENT A r FIRING t=345600001 a=356.667 dd=2 ds=0 "
                           "hi=900 l=900 lo=70 n=3 s=1070");
}

Test(aggregations, sums_of_hostile_longs_wrap_and_come_back_as_they_leave) {
        /* A long near 2^63 arrives as the double 2^63, which no int64 holds:
         * it saturates; two of them add up beyond int64, which C leaves
         * undefined (UBSan fails this suite): the sum wraps, and is exact
         * again once they have left the window. */
        start(ALL_AGGS(""));
        buy("A", 1 * DAY, 9223372036854775808.0, "web");
        buy("A", 1 * DAY + 1, 9223372036854775808.0, "web");
        buy("A", 3 * DAY, 100, "web");
        cw_engine_advance(eng, 8 * DAY);
        assert_lines(&rec,
                     "EVENT A r FIRING t=259200000 a=32.6667 dd=2 ds=0 "
                     "hi=9.22337e+18 l=100 lo=100 n=3 s=98",
                     "TIMER A r RESOLVED t=691200000 a=100 dd=1 ds=5 hi=100 "
                     "l=100 lo=100 n=1 s=100");
}

Test(aggregations, empty_windows_are_zero_counts_and_missing_values) {
        start("features = (\n"
              " { name = \"n\"; stream = \"purchase\"; agg = \"count\"; window "
              "= \"2d\"; },\n"
              " { name = \"a\"; stream = \"purchase\"; agg = \"avg\"; field = "
              "\"amount_cents\"; window = \"2d\"; },\n"
              " { name = \"l\"; stream = \"login\"; agg = \"last\"; field = "
              "\"session_seconds\"; },\n"
              " { name = \"ds\"; stream = \"login\"; agg = "
              "\"days_since_last\"; }\n"
              ");\n"
              "rules = ( { name = \"r\"; when = \"n == 0 && coalesce(a, -1) == "
              "-1 "
              "&& coalesce(l, -1) == -1 && coalesce(ds, -1) == -1\"; } );");
        purchase(eng, "A", 1 * DAY, 10);
        purchase(eng, "B", 3 * DAY, 10);
        /* At day 3, A's window [2, 3] is empty: a, l and ds are NaN and left
         * out of the features map. */
        assert_lines(&rec, "TIMER A r FIRING t=259200000 n=0");
}

Test(aggregations, last_takes_the_latest_ts_and_ties_go_to_the_later_event) {
        start("features = ( { name = \"l\"; stream = \"login\"; agg = "
              "\"last\"; "
              "field = \"session_seconds\"; where = \"success\"; } );\n"
              "rules = ( { name = \"r\"; when = \"l >= 0\"; clear = \"l >= "
              "40\"; } );");
        login(eng, "A", 5 * DAY, 10, 1);
        login(eng, "A", 4 * DAY, 50, 1); /* older: l stays 10 */
        login(eng, "A", 5 * DAY, 45, 0); /* filtered out */
        login(eng, "A", 5 * DAY, 40, 1); /* same ts, processed later: wins */
        login(eng, "B", 6 * DAY, 1, 1);
        /* Resolved by the 40 alone; fires again at the next evaluation, as
         * `when` still holds and there is no cooldown. */
        assert_lines(&rec, "EVENT A r FIRING t=432000000 l=10",
                     "EVENT A r RESOLVED t=432000000 l=40",
                     "TIMER A r FIRING t=518400000 l=40",
                     "EVENT B r FIRING t=518400000 l=1");
        cr_assert_eq(cw_engine_stats(eng)->applied, 5);
}

Test(aggregations, nan_and_infinity_flow_through_expressions) {
        start("features = (\n"
              " { name = \"n\"; stream = \"login\"; agg = \"count\"; window = "
              "\"5d\"; },\n"
              " { name = \"inf\"; expr = \"n / 0\"; },\n"
              " { name = \"nan\"; expr = \"(n - n) / 0\"; },\n"
              " { name = \"back\"; expr = \"coalesce(nan, 7) + min(inf, 2)\"; "
              "}\n"
              ");\n"
              "rules = ( { name = \"r\"; when = \"inf > 1e308 && !(nan == nan) "
              "&& back == 9\"; } );");
        login(eng, "A", DAY, 1, 1);
        /* inf and NaN are left out of the warning, back = 7 + 2 is kept. */
        assert_lines(&rec, "EVENT A r FIRING t=86400000 back=9");
}

#define FOR_RULE(extra)                                                        \
        "features = ( { name = \"c\"; stream = \"login\"; agg = \"count\"; "   \
        "window = \"1d\"; } );\n"                                              \
        "rules = ( { name = \"r\"; when = \"c >= 1\"; " extra " } );"

Test(alerts, for_holds_pending_until_the_condition_lasted_long_enough) {
        start("features = ( { name = \"c\"; stream = \"login\"; agg = "
              "\"count\"; "
              "window = \"5d\"; } );\n"
              "rules = ( { name = \"r\"; when = \"c >= 1\"; for = \"2d\"; } "
              ");");
        login(eng, "A", 1 * DAY, 1, 1); /* OK -> PENDING since day 1 */
        login(eng, "A", 2 * DAY + HOUR, 1, 1);
        cr_assert_eq(rec.n, 0);
        login(eng, "B", 3 * DAY, 1, 1); /* boundary 3: 2d held -> FIRING */
        assert_lines(&rec, "TIMER A r FIRING t=259200000 c=2");
}

Test(alerts, pending_returns_to_ok_when_the_condition_breaks) {
        start("features = ( { name = \"c\"; stream = \"login\"; agg = "
              "\"count\"; "
              "window = \"1d\"; } );\n"
              "rules = ( { name = \"r\"; when = \"c >= 1\"; for = \"36h\"; } "
              ");");
        login(eng, "A", 1 * DAY, 1, 1); /* PENDING since day 1 */
        login(eng, "A", 3 * DAY, 1, 1); /* boundary 2: c = 0 -> OK */
        login(eng, "Z", 4 * DAY + 12 * HOUR, 1, 1); /* day 3 + 36h: not held */
        login(eng, "Z", 6 * DAY, 1, 1);
        /* A re-entered PENDING at day 3 and left at boundary 4. Z entered at
         * 4d12h, left at boundary 5: nothing ever fired. */
        cr_assert_eq(rec.n, 0);
}

Test(alerts, cooldown_keeps_a_resolved_alert_quiet) {
        start(FOR_RULE("cooldown = \"3d\";"));
        login(eng, "A", 1 * DAY, 1, 1); /* FIRING */
        login(eng, "A", 3 * DAY, 1,
              1); /* boundary 2 resolves; day 3 in cooldown */
        login(eng, "A", 5 * DAY, 1, 1); /* 2d + 3d = 5d: fires again */
        assert_lines(&rec, "EVENT A r FIRING t=86400000 c=1",
                     "TIMER A r RESOLVED t=172800000 c=0",
                     "EVENT A r FIRING t=432000000 c=1");
}

Test(alerts, clear_gives_hysteresis) {
        start("features = ( { name = \"c\"; stream = \"login\"; agg = "
              "\"count\"; "
              "window = \"10d\"; } );\n"
              "rules = ( { name = \"r\"; when = \"c >= 3\"; clear = \"c < 2\"; "
              "severity = \"high\"; } );");
        for (int d = 1; d <= 3; d++)
                login(eng, "A", d * DAY, 1, 1);
        /* Day 11: window [2, 11], c = 2: no longer `when`, not yet `clear`.
         * Day 12: window [3, 12], c = 1 clears. */
        login(eng, "Z", 13 * DAY, 1, 1);
        assert_lines(&rec, "EVENT A r FIRING t=259200000 c=3",
                     "TIMER A r RESOLVED t=1036800000 c=1");
}

Test(alerts, warning_ids_are_deterministic_and_distinct) {
        char a[33], b[33], c[33], d[33];
        cw_str_t x = {"cust-1", 6}, y = {"cust-", 5};
        cw_warning_id(a, x, "r", CW_STATE_FIRING, 1000);
        cw_warning_id(b, x, "r", CW_STATE_FIRING, 1000);
        cw_warning_id(c, x, "r", CW_STATE_RESOLVED, 1000);
        cw_warning_id(d, y, "1r", CW_STATE_FIRING, 1000);
        cr_assert_str_eq(a, b);
        cr_assert_str_neq(a, c);
        cr_assert_str_neq(a, d);
        cr_assert_eq(strlen(a), 32);
        cr_assert_eq(strspn(a, "0123456789abcdef"), 32);
}

#define MODEL_CFG                                                              \
        "features = (\n"                                                       \
        " { name = \"logins\"; stream = \"login\"; agg = \"count\"; window = " \
        "\"30d\"; },\n"                                                        \
        " { name = \"b_fails\"; stream = \"login\"; agg = \"count\"; window "  \
        "= \"30d\"; where = \"!success\"; },\n"                                \
        " { name = \"a_fails\"; expr = \"b_fails\"; },\n"                      \
        " { name = \"secs\"; stream = \"login\"; agg = \"last\"; field = "     \
        "\"session_seconds\"; },\n"                                            \
        " { name = \"nps\"; stream = \"survey\"; agg = \"last\"; field = "     \
        "\"score\"; }\n"                                                       \
        ");\n"                                                                 \
        "models = ( { name = \"m\"; type = \"logistic\"; intercept = -1.5;\n"  \
        "  inputs = ( { feature = \"logins\"; weight = -0.5; transform = "     \
        "\"log1p\"; },\n"                                                      \
        "             { feature = \"b_fails\"; weight = 1.0; },\n"             \
        "             { feature = \"a_fails\"; weight = 1.0; },\n"             \
        "             { feature = \"secs\"; weight = 0.005; clip = [0.0, "     \
        "100.0]; },\n"                                                         \
        "             { feature = \"nps\"; weight = -0.2; missing = 5.0; "     \
        "transform = \"standardize\"; mean = 7.0; std = 2.0; } );\n"           \
        "  fire = 0.5; clear = 0.3; severity = \"high\"; } );"

Test(models, score_follows_missing_clip_and_transforms) {
        start(MODEL_CFG);
        login(eng, "A", DAY, 500, 0);
        /* logins 1: -0.5*log1p(1); fails 1 twice: +2; secs 500 clipped to
         * 100: +0.5; nps NaN -> 5 -> (5-7)/2 = -1: +0.2. */
        double z = -1.5 - 0.5 * log1p(1.0) + 2.0 + 0.5 + 0.2;
        char want[320];
        snprintf(want, sizeof(want),
                 "EVENT A m FIRING t=86400000 score=%.6f a_fails=1 b_fails=1 "
                 "logins=1 secs=500 reasons=a_fails,b_fails,secs",
                 1.0 / (1.0 + exp(-z)));
        assert_lines(&rec, want);
}

Test(models, reasons_are_positive_contributions_largest_first_ties_by_name) {
        start(MODEL_CFG);
        login(eng, "A", DAY, 0, 0);
        /* a_fails and b_fails tie at +1: by name; then nps at +0.2. secs
         * contributes 0 and logins is negative: neither is a reason. */
        cr_assert_eq(rec.n, 1);
        cr_assert(strstr(rec.lines[0], " reasons=a_fails,b_fails,nps"), "%s",
                  rec.lines[0]);
}

Test(models, a_model_resolves_below_its_clear_threshold) {
        start(MODEL_CFG);
        login(eng, "A", DAY, 0, 0);
        login(eng, "Z", 31 * DAY, 0, 1);
        /* Day 31: the failure left the 30d window, secs = 0 stays, so
         * z = -1.5 + 0.2 and the score drops under 0.3. */
        cr_assert_eq(rec.n, 2);
        char want[320];
        snprintf(want, sizeof(want),
                 "TIMER A m RESOLVED t=2678400000 score=%.6f a_fails=0 "
                 "b_fails=0 logins=0 secs=0 reasons=nps",
                 1.0 / (1.0 + exp(-(-1.5 + 0.2))));
        cr_assert_str_eq(rec.lines[1], want);
}

Test(models, nan_and_infinite_inputs_use_missing_and_clip) {
        start("features = (\n"
              " { name = \"n\"; stream = \"login\"; agg = \"count\"; window = "
              "\"5d\"; },\n"
              " { name = \"big\"; expr = \"n / 0\"; },\n"
              " { name = \"gone\"; expr = \"0 / 0\"; }\n"
              ");\n"
              "models = ( { name = \"m\"; type = \"logistic\"; intercept = "
              "-4.0;\n"
              "  inputs = ( { feature = \"big\"; weight = 0.5; clip = [0.0, "
              "6.0]; },\n"
              "             { feature = \"gone\"; weight = 1.0; missing = 1.5; "
              "} );\n"
              "  fire = 0.5; } );");
        login(eng, "A", DAY, 1, 1);
        /* inf clipped to 6: +3; NaN -> missing 1.5: +1.5; z = 0.5. Both
         * features are non-finite, so the features map is empty. */
        char want[320];
        snprintf(want, sizeof(want),
                 "EVENT A m FIRING t=86400000 score=%.6f reasons=big,gone",
                 1.0 / (1.0 + exp(-0.5)));
        assert_lines(&rec, want);
}

/* The fixture's model over logins (30 d) and nps, from its absolute path;
 * `extra` goes into the model's group. */
static void start_xgboost(char *model, const char *extra) {
        char text[1024];
        xgb_write_model(model, NULL, NULL);
        snprintf(text, sizeof(text),
                 "features = (\n"
                 " { name = \"nps\"; stream = \"survey\"; agg = \"last\"; "
                 "field = \"score\"; },\n"
                 " { name = \"logins\"; stream = \"login\"; agg = "
                 "\"count\"; window = \"30d\"; }\n);\n"
                 "models = ( { name = \"m\"; type = \"xgboost\"; "
                 "file = \"%s\";\n  inputs = [\"logins\", \"nps\"]; "
                 "fire = 0.5; severity = \"high\"; %s } );",
                 model, extra);
        start(text);
}

/* What XGBoost gives for a margin m: 1 / (exp(-m) + 1) in float. */
static double xgb_sigmoid(float m) {
        return (double)(1.0f / (expf(-m) + 1.0f + 1e-16f));
}

Test(models, an_xgboost_model_scores_with_its_trees_and_gives_saabas_reasons) {
        char model[32], want[320];
        start_xgboost(model, "");
        unlink(model);
        login(eng, "A", DAY, 0, 1);
        login(eng, "A", DAY + HOUR, 0, 1);
        /* logins 1 < 1.5: leaf 2.0; logins gets 2.0 - 0.5 (the root's
         * expected value). Then logins 2: leaf -1.0, a negative
         * contribution, no reason. nps is missing: not in the map. */
        snprintf(want, sizeof(want),
                 "EVENT A m FIRING t=86400000 score=%.6f logins=1 "
                 "reasons=logins",
                 xgb_sigmoid(2.0f));
        char resolved[320];
        snprintf(resolved, sizeof(resolved),
                 "EVENT A m RESOLVED t=90000000 score=%.6f logins=2",
                 xgb_sigmoid(-1.0f));
        assert_lines(&rec, want, resolved);
}

Test(models, a_sweep_variant_of_an_xgboost_model_shares_its_score) {
        char model[32], err[256];
        start_xgboost(model, "clear = 0.3;");
        unlink(model);
        cw_engine_destroy(eng);
        cr_assert_eq(cw_engine_conf_add_variant(&cfg->engine, 0, 0.2, err,
                                                sizeof(err)),
                     0, "%s", err);
        eng = cw_engine_new(&cfg->engine, record, &rec, err, sizeof(err));
        cr_assert_not_null(eng, "%s", err);
        login(eng, "A", DAY, 0, 1);
        login(eng, "A", DAY + HOUR, 0, 1);
        char fired[320];
        snprintf(fired, sizeof(fired),
                 "EVENT A m FIRING t=86400000 score=%.6f logins=1 "
                 "reasons=logins",
                 xgb_sigmoid(2.0f));
        /* Both fire at the first login, the variant (second) with the
         * model's score and its own reasons; at the second login the model
         * resolves (0.269 < clear 0.3) while the variant (clear 0.2)
         * stays. */
        cr_assert_eq(rec.n, 3, "%d warnings", rec.n);
        cr_assert_str_eq(rec.lines[0], fired);
        cr_assert_str_eq(rec.lines[1], fired);
        cr_assert(strstr(rec.lines[2], "EVENT A m RESOLVED t=90000000"), "%s",
                  rec.lines[2]);
}

Test(alerts, an_event_that_changes_no_feature_still_drives_time_transitions) {
        start("features = ( { name = \"n\"; stream = \"purchase\"; agg = "
              "\"count\"; "
              "window = \"5d\"; } );\n"
              "rules = ( { name = \"r\"; when = \"n >= 1\"; for = \"1h\"; } "
              ");");
        purchase(eng, "A", DAY + 10 * HOUR, 100); /* PENDING since 10:00 */
        login(eng, "A", DAY + 10 * HOUR + 30 * 60000, 1, 1); /* 30 min: no */
        cr_assert_eq(rec.n, 0);
        /* Logins feed no feature, yet time has passed `for`. */
        login(eng, "A", DAY + 11 * HOUR + 30 * 60000, 1, 1);
        assert_lines(&rec, "EVENT A r FIRING t=127800000 n=1");
}

Test(sweeps, a_sweep_warning_with_an_empty_features_map_is_delivered) {
        /* f stays NaN (no purchase), so `when` holds and the map is empty. */
        start("features = ( { name = \"f\"; stream = \"purchase\"; "
              "agg = \"days_since_last\"; } );\n"
              "rules = ( { name = \"r\"; when = \"!(f < 5)\"; for = \"1d\"; } "
              ");");
        login(eng, "A", 1 * DAY, 1, 1);
        login(eng, "B", 2 * DAY, 1, 1);
        assert_lines(&rec, "TIMER A r FIRING t=172800000");
}

Test(windows, bucket_areas_of_several_streams_stay_aligned) {
        /* An even number of count columns gives a 12-byte bucket; the login
         * area behind three purchase buckets must still hold aligned int64. */
        start("features = (\n"
              " { name = \"n\"; stream = \"purchase\"; agg = \"count\"; window "
              "= \"3d\"; },\n"
              " { name = \"big\"; stream = \"purchase\"; agg = \"count\"; "
              "window = \"3d\"; "
              "where = \"amount_cents > 5\"; },\n"
              " { name = \"secs\"; stream = \"login\"; agg = \"sum\"; "
              "field = \"session_seconds\"; window = \"3d\"; } );\n"
              "rules = ( { name = \"r\"; when = \"n >= 3 && big >= 3 && secs "
              "== 42\"; } );");
        purchase(eng, "A", 1 * DAY, 10);
        purchase(eng, "A", 2 * DAY, 10);
        purchase(eng, "A", 3 * DAY, 10);
        login(eng, "A", 3 * DAY + 1, 42, 1);
        assert_lines(&rec, "EVENT A r FIRING t=259200001 big=3 n=3 secs=42");
}

Test(windows, more_than_64_aggregations_of_one_window_are_refused) {
        char text[8192], err[256];
        size_t pos = (size_t)snprintf(text, sizeof(text), "features = (\n");
        for (int k = 0; k < 22; k++)
                pos += (size_t)snprintf(
                        text + pos, sizeof(text) - pos,
                        " { name = \"lo%d\"; stream = \"purchase\"; agg = "
                        "\"min\"; "
                        "field = \"amount_cents\"; window = \"3d\"; where = "
                        "\"amount_cents > %d\"; },\n"
                        " { name = \"hi%d\"; stream = \"purchase\"; agg = "
                        "\"max\"; "
                        "field = \"amount_cents\"; window = \"3d\"; where = "
                        "\"amount_cents > %d\"; },\n",
                        k, k, k, k);
        pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
                                " { name = \"n\"; stream = \"purchase\"; "
                                "agg = \"count\"; window = \"4d\"; } );\n"
                                "rules = ( { name = \"r\"; when = \"n");
        /* Only features an alert reads are planned: read them all. */
        for (int k = 0; k < 22; k++)
                pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
                                        " + lo%d + hi%d", k, k);
        snprintf(text + pos, sizeof(text) - pos, " > 0\"; } );\n");
        cfg = config_from(text);
        eng = cw_engine_new(&cfg->engine, record, &rec, err, sizeof(err));
        cr_assert_null(eng);
        cr_assert(strstr(err, "more than 64 aggregations of one window length"),
                  "%s", err);
}

Test(windows, events_after_the_year_9999_are_invalid_not_applied) {
        start(LOGIN_COUNT_3D
              "rules = ( { name = \"r\"; when = \"c >= 1\"; } );");
        double nums[3] = {1, 1, 0};
        struct cw_event ev = make_event(
                CW_STREAM_LOGIN, "A", INT64_C(1700000000000000000), nums, NULL);
        cr_assert_eq(cw_engine_process(eng, &ev), CW_PROCESS_INVALID);
        cr_assert_eq(cw_engine_stream_time(eng), CW_TIME_NONE);
        cr_assert_eq(rec.n, 0);
}
