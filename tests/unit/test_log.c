#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* 2026-11-23T13:33:18.123Z */
#define NOW 1795440798123LL

Test(log, text_lines_carry_time_level_and_message) {
        char buf[256];
        cw_log_format_line(buf, sizeof(buf), CW_LOG_TEXT, CW_LOG_WARN, NOW,
                           "consumer lag 42");
        cr_assert_str_eq(buf,
                         "2026-11-23T13:33:18.123Z warn  consumer lag 42\n");
}

Test(log, json_lines_are_escaped_json_objects) {
        char buf[256];
        cw_log_format_line(buf, sizeof(buf), CW_LOG_JSON, CW_LOG_ERROR, NOW,
                           "bad \"key\"\n\\ at purchases/3@17");
        cr_assert_str_eq(buf, "{\"ts\":\"2026-11-23T13:33:18.123Z\",\"level\":"
                              "\"error\",\"msg\":\"bad \\\"key\\\"\\u000a\\\\ "
                              "at purchases/3@17\"}\n");
}

Test(log, overlong_messages_are_truncated_but_end_the_line) {
        char buf[64], msg[200];
        memset(msg, 'x', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = '\0';
        cw_log_format_line(buf, sizeof(buf), CW_LOG_TEXT, CW_LOG_INFO, NOW,
                           msg);
        cr_assert_eq(strlen(buf), sizeof(buf) - 1);
        cr_assert_eq(buf[strlen(buf) - 1], '\n');
        cw_log_format_line(buf, sizeof(buf), CW_LOG_JSON, CW_LOG_INFO, NOW,
                           msg);
        cr_assert(strstr(buf, "\"}\n"), "json stays closed: %s", buf);
}

Test(log, levels_and_formats_parse_by_name) {
        cw_log_level_t l;
        cw_log_format_t f;
        cr_assert_eq(cw_log_level_parse("debug", &l), 0);
        cr_assert_eq(l, CW_LOG_DEBUG);
        cr_assert_eq(cw_log_level_parse("error", &l), 0);
        cr_assert_eq(l, CW_LOG_ERROR);
        cr_assert_eq(cw_log_level_parse("loud", &l), -1);
        cr_assert_eq(cw_log_format_parse("json", &f), 0);
        cr_assert_eq(f, CW_LOG_JSON);
        cr_assert_eq(cw_log_format_parse("xml", &f), -1);
}

Test(log, messages_below_the_level_are_dropped) {
        char path[] = "/tmp/cw_test_log_XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fdopen(fd, "w+");
        char line[256] = "";
        cw_log_setup(CW_LOG_WARN, CW_LOG_TEXT, f);
        cw_info("not shown");
        cw_warn("shown %d", 7);
        fflush(f);
        rewind(f);
        cr_assert_not_null(fgets(line, sizeof(line), f));
        cr_assert(strstr(line, " warn  shown 7\n"), "%s", line);
        cr_assert_null(fgets(line, sizeof(line), f));
        fclose(f);
        unlink(path);
}
