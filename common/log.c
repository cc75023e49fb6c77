#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Set once by main() before threads start; read-only afterwards. */
static struct {
        cw_log_level_t level;
        cw_log_format_t format;
        FILE *out;
} log_conf = {CW_LOG_INFO, CW_LOG_TEXT, NULL};

int cw_log_level_parse(const char *s, cw_log_level_t *out) {
        for (int i = 0; i <= CW_LOG_ERROR; i++)
                if (!strcmp(s, level_names[i])) {
                        *out = (cw_log_level_t)i;
                        return 0;
                }
        return -1;
}

int cw_log_format_parse(const char *s, cw_log_format_t *out) {
        if (!strcmp(s, "text"))
                *out = CW_LOG_TEXT;
        else if (!strcmp(s, "json"))
                *out = CW_LOG_JSON;
        else
                return -1;
        return 0;
}

void cw_log_setup(cw_log_level_t level, cw_log_format_t format, FILE *out) {
        log_conf.level = level;
        log_conf.format = format;
        if (out)
                log_conf.out = out;
}

int cw_log_enabled(cw_log_level_t level) {
        return level >= log_conf.level;
}
cw_log_level_t cw_log_level_current(void) {
        return log_conf.level;
}
cw_log_format_t cw_log_format_current(void) {
        return log_conf.format;
}

/* Appends s to buf at *pos as the inside of a JSON string. */
static void append_json(char *buf, size_t size, size_t *pos, const char *s) {
        for (; *s && *pos + 7 < size; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\') {
                        buf[(*pos)++] = '\\';
                        buf[(*pos)++] = (char)c;
                } else if (c < 0x20) {
                        *pos += (size_t)snprintf(buf + *pos, size - *pos,
                                                 "\\u%04x", c);
                } else {
                        buf[(*pos)++] = (char)c;
                }
        }
        buf[*pos] = '\0';
}

size_t cw_log_format_line(char *buf, size_t size, cw_log_format_t format,
                          cw_log_level_t level, long long now_ms,
                          const char *msg) {
        time_t secs = (time_t)(now_ms / 1000);
        struct tm tm;
        char ts[80];
        size_t pos;

        gmtime_r(&secs, &tm);
        snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int)(now_ms % 1000));
        if (format == CW_LOG_JSON) {
                pos = (size_t)snprintf(buf, size,
                                       "{\"ts\":\"%s\",\"level\":\"%s\","
                                       "\"msg\":\"",
                                       ts, level_names[level]);
                if (pos >= size)
                        pos = size - 1;
                /* Room for the closing "}\n is kept by append_json's margin. */
                append_json(buf, size - 3, &pos, msg);
                pos += (size_t)snprintf(buf + pos, size - pos, "\"}\n");
        } else {
                pos = (size_t)snprintf(buf, size, "%s %-5s %s\n", ts,
                                       level_names[level], msg);
        }
        if (pos >= size) {
                /* Truncated: end the line visibly and keep the newline. */
                memcpy(buf + size - 5, "...\n", 5);
                pos = size - 1;
        }
        return pos;
}

void cw_log(cw_log_level_t level, const char *fmt, ...) {
        char msg[2048], line[4096];
        struct timespec now;
        va_list ap;

        if (level < log_conf.level)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        clock_gettime(CLOCK_REALTIME, &now);
        cw_log_format_line(line, sizeof(line), log_conf.format, level,
                           (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000,
                           msg);
        fputs(line, log_conf.out ? log_conf.out : stderr);
}
