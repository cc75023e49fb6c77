/* metrics/: the Prometheus text of a snapshot, the health rules, and the
 * HTTP server's method and path rules over a real socket on loopback. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "features/engine.h"
#include "metrics/exposition.h"
#include "metrics/http.h"

static char tmp_path[64];

/* Two alerts; a topic name that needs escaping in a label. */
static cw_config_t *load_config(void) {
        static const char text[] =
                "features = ( { name = \"a\"; stream = \"login\"; agg = "
                "\"count\"; window = \"7d\"; } );\n"
                "rules = ( { name = \"r1\"; when = \"a > 1\"; },\n"
                "          { name = \"r2\"; when = \"a > 2\"; } );\n"
                "topics = { login = \"we\\\"ird\\\\logins\"; };\n";
        struct cw_diags d;
        cw_config_t *c;
        int fd;

        strcpy(tmp_path, "/tmp/cw_test_metrics_XXXXXX");
        cr_assert((fd = mkstemp(tmp_path)) >= 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        cw_diags_init(&d);
        c = cw_config_load(tmp_path, &d);
        cr_assert_not_null(c, "%s", d.n ? d.msgs[0] : "");
        cw_diags_free(&d);
        unlink(tmp_path);
        return c;
}

static int has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        for (const char *p = text; (p = strstr(p, line)); p += n)
                if ((p == text || p[-1] == '\n') && p[n] == '\n')
                        return 1;
        return 0;
}

Test(exposition, every_sample_has_its_labels_and_value) {
        static const double bounds[] = {0.01, 0.1, 1};
        cw_config_t *c = load_config();
        uint64_t warnings[4] = {7, 1, 0, 3};
        int64_t lag[3 * CW_STREAM_COUNT] = {CW_LAG_UNASSIGNED,
                                            CW_LAG_UNASSIGNED,
                                            CW_LAG_UNASSIGNED,
                                            CW_LAG_UNASSIGNED,
                                            5,
                                            -1,
                                            0,
                                            12,
                                            1,
                                            2,
                                            3,
                                            4};
        int64_t stream_time[3] = {CW_TIME_NONE, 1700000000123, CW_TIME_NONE};
        struct cw_pipeline_stats st = {.applied = {10, 20, 30, 40},
                                       .late = {0, 2, 0, 0},
                                       .dead_letters = {0, 0, 1, 0},
                                       .txn_committed = 9,
                                       .txn_aborted = 1,
                                       .customers = 1234,
                                       .shards = 2,
                                       .restore_seconds = 0.5,
                                       .n_alerts = 2,
                                       .alert_warnings = warnings,
                                       .partitions = 3,
                                       .partition_lag = lag,
                                       .stream_time = stream_time};
        struct cw_pipeline_health h = {.phase = CW_PHASE_RUNNING};
        size_t len;
        char *t;

        cw_hist_init(&st.latency, bounds, 3);
        cw_hist_observe(&st.latency, 0.005);
        cw_hist_observe(&st.latency, 0.05);
        cw_hist_observe(&st.latency, 0.06);
        cw_hist_observe(&st.latency, 5);
        cw_hist_init(&st.commit, bounds, 3);
        t = cw_metrics_text(c, &st, &h, &len);
        cr_assert_not_null(t);
        cr_assert_eq(strlen(t), len);
        cr_assert(has_line(t, "churnwatch_build_info{version=\"" CW_VERSION
                              "\"} 1"));
        cr_assert(has_line(t, "# TYPE churnwatch_events_applied_total "
                              "counter"));
        cr_assert(has_line(t, "churnwatch_events_applied_total{stream="
                              "\"survey\"} 40"));
        cr_assert(has_line(t, "churnwatch_events_late_total{stream="
                              "\"login\"} 2"));
        cr_assert(has_line(t, "churnwatch_dead_letters_total{stream="
                              "\"ticket\"} 1"));
        cr_assert(has_line(t, "churnwatch_warnings_total{alert=\"r1\","
                              "state=\"FIRING\"} 7"));
        cr_assert(has_line(t, "churnwatch_warnings_total{alert=\"r2\","
                              "state=\"RESOLVED\"} 3"));
        cr_assert(has_line(t, "churnwatch_transactions_total{result="
                              "\"aborted\"} 1"));
        cr_assert(has_line(t, "churnwatch_customers 1234"));
        cr_assert(has_line(t, "churnwatch_assigned_shards 2"));
        cr_assert(has_line(t, "churnwatch_restore_seconds_total 0.5"));
        cr_assert(has_line(t, "churnwatch_ready 1"));
        /* Lag: assigned partitions with a known watermark only. */
        cr_assert(has_line(t, "churnwatch_consumer_lag_records{topic="
                              "\"purchases\",partition=\"1\"} 5"));
        cr_assert(has_line(t, "churnwatch_consumer_lag_records{topic="
                              "\"support-tickets\",partition=\"1\"} 0"));
        cr_assert(has_line(t, "churnwatch_consumer_lag_records{topic="
                              "\"we\\\"ird\\\\logins\",partition=\"2\"} 2"));
        cr_assert_null(strstr(t, "partition=\"0\""));
        cr_assert(!has_line(t, "churnwatch_consumer_lag_records{topic="
                               "\"we\\\"ird\\\\logins\",partition=\"1\"} -1"));
        cr_assert(has_line(t, "churnwatch_stream_time_seconds{shard=\"1\"} "
                              "1700000000.123"));
        cr_assert_null(strstr(t, "churnwatch_stream_time_seconds{shard=\"0\""));
        /* Histogram buckets are cumulative; +Inf is the count. */
        cr_assert(has_line(t, "churnwatch_event_to_warning_seconds_bucket"
                              "{le=\"0.01\"} 1"));
        cr_assert(has_line(t, "churnwatch_event_to_warning_seconds_bucket"
                              "{le=\"0.1\"} 3"));
        cr_assert(has_line(t, "churnwatch_event_to_warning_seconds_bucket"
                              "{le=\"1\"} 3"));
        cr_assert(has_line(t, "churnwatch_event_to_warning_seconds_bucket"
                              "{le=\"+Inf\"} 4"));
        cr_assert(has_line(t, "churnwatch_event_to_warning_seconds_count 4"));
        cr_assert(has_line(t, "churnwatch_event_to_warning_seconds_sum "
                              "5.115"));
        cr_assert(has_line(t, "churnwatch_commit_duration_seconds_count 0"));
        free(t);
        cw_config_destroy(c);
}

Test(exposition, every_metric_has_one_help_and_one_type) {
        cw_config_t *c = load_config();
        struct cw_pipeline_stats st = {0};
        struct cw_pipeline_health h = {.phase = CW_PHASE_JOINING};
        size_t len;
        char *t, *line, *save = NULL, names[64][96];
        int n = 0;

        t = cw_metrics_text(c, &st, &h, &len);
        cr_assert_not_null(t);
        for (line = strtok_r(t, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char name[96];
                if (sscanf(line, "# TYPE %95s", name) != 1)
                        continue;
                for (int i = 0; i < n; i++)
                        cr_assert_str_neq(names[i], name, "%s twice", name);
                cr_assert_lt(n, 64);
                strcpy(names[n++], name);
        }
        cr_assert_geq(n, 17, "only %d metrics", n);
        free(t);
        cw_config_destroy(c);
}

Test(health, readiness_says_why_in_one_line) {
        struct cw_pipeline_health h = {.phase = CW_PHASE_JOINING};
        char why[64];

        cr_assert_not(cw_metrics_ready(&h, why, sizeof(why)));
        cr_assert_str_eq(why, "joining");
        h = (struct cw_pipeline_health){
                .phase = CW_PHASE_RESTORING, .restoring = 3, .assigned = 8};
        cr_assert_not(cw_metrics_ready(&h, why, sizeof(why)));
        cr_assert_str_eq(why, "restoring 3 of 8 shards");
        h.phase = CW_PHASE_STOPPING;
        cr_assert_not(cw_metrics_ready(&h, why, sizeof(why)));
        cr_assert_str_eq(why, "stopping");
        h.phase = CW_PHASE_RUNNING;
        cr_assert(cw_metrics_ready(&h, why, sizeof(why)));
}

Test(health, live_while_the_loop_turned_within_30_s) {
        struct cw_pipeline_health h = {.heartbeat_ms = 100000};

        cr_assert(cw_metrics_live(&h, 100000));
        cr_assert(cw_metrics_live(&h, 100000 + CW_LIVE_WITHIN_MS));
        cr_assert_not(cw_metrics_live(&h, 100001 + CW_LIVE_WITHIN_MS));
}

/* ---- the HTTP server ------------------------------------------------------
 */

static void answer(void *opaque, const char *path, struct cw_http_response *r) {
        (*(int *)opaque)++;
        if (strcmp(path, "/hello")) {
                r->status = 404;
                return;
        }
        r->body = strdup("hi\n");
        r->len = 3;
}

/* Sends METHOD PATH (with `body`, or none) to 127.0.0.1:port and reads
 * the whole answer. */
static char *exchange(int port, const char *method, const char *path,
                      const char *body) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port)};
        static char buf[4096];
        char req[512];
        size_t n = 0;
        ssize_t got;
        int fd = socket(AF_INET, SOCK_STREAM, 0), len;

        len = snprintf(req, sizeof(req),
                       "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Content-Length: %zu\r\n\r\n%s",
                       method, path, body ? strlen(body) : 0, body ? body : "");
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cr_assert(fd >= 0);
        cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        cr_assert_eq(write(fd, req, (size_t)len), (ssize_t)len);
        while (n < sizeof(buf) - 1 &&
               (got = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
                n += (size_t)got;
        buf[n] = 0;
        close(fd);
        return buf;
}

/* Whether answer r has status line "HTTP/1.1 <status> ...". */
static int status_is(const char *r, int status) {
        char want[16];

        snprintf(want, sizeof(want), "HTTP/1.1 %d ", status);
        return !strncmp(r, want, strlen(want));
}

Test(http, get_and_head_reach_the_handler_other_methods_get_405) {
        char err[256];
        int calls = 0;
        cw_http_t *s =
                cw_http_start("127.0.0.1:0", answer, &calls, err, sizeof(err));
        char *r;
        int port;

        cr_assert_not_null(s, "%s", err);
        cr_assert_gt((port = cw_http_port(s)), 0);
        r = exchange(port, "GET", "/hello", NULL);
        cr_assert(status_is(r, 200), "%s", r);
        cr_assert_not_null(strstr(r, "\r\n\r\nhi\n"), "%s", r);
        r = exchange(port, "GET", "/hello?x=1", NULL);
        cr_assert(status_is(r, 200), "%s", r);
        r = exchange(port, "HEAD", "/hello", NULL);
        cr_assert(status_is(r, 200), "%s", r);
        cr_assert_null(strstr(r, "hi\n"), "HEAD has no body: %s", r);
        r = exchange(port, "GET", "/nope", NULL);
        cr_assert(status_is(r, 404), "%s", r);
        cr_assert_eq(calls, 4);
        r = exchange(port, "POST", "/hello", "abc");
        cr_assert(status_is(r, 405), "%s", r);
        cr_assert_not_null(strstr(r, "Allow: GET, HEAD\r\n"), "%s", r);
        r = exchange(port, "DELETE", "/nope", NULL);
        cr_assert(status_is(r, 405), "%s", r);
        cr_assert_eq(calls, 4, "the handler saw only GET and HEAD");
        cw_http_stop(s);
}

Test(http, a_port_in_use_or_a_bad_address_is_a_sentence) {
        char err[256], want[64];
        int calls = 0;
        cw_http_t *s =
                cw_http_start("127.0.0.1:0", answer, &calls, err, sizeof(err));
        cw_http_t *t;

        cr_assert_not_null(s, "%s", err);
        snprintf(want, sizeof(want), "127.0.0.1:%d", cw_http_port(s));
        t = cw_http_start(want, answer, &calls, err, sizeof(err));
        cr_assert_null(t);
        cr_assert_not_null(strstr(err, "cannot listen there: Address already "
                                       "in use"),
                           "%s", err);
        cr_assert_null(
                cw_http_start("127.0.0.1", answer, &calls, err, sizeof(err)));
        cr_assert_not_null(strstr(err, "is not HOST:PORT"), "%s", err);
        cr_assert_null(cw_http_start("no-such-host.invalid:9464", answer,
                                     &calls, err, sizeof(err)));
        cr_assert_not_null(strstr(err, "cannot resolve no-such-host.invalid"),
                           "%s", err);
        cw_http_stop(s);
        cw_http_stop(NULL);
}
