/*
 * Logging: one line per event on stderr, as text or JSON.
 *
 * The level and format are set once by main() before any thread starts and
 * only read afterwards, so logging needs no lock; each line is written with
 * a single fputs of a preformatted buffer so lines from threads don't mix.
 */
#ifndef CW_LOG_H
#define CW_LOG_H

#include <stdio.h>

typedef enum cw_log_level {
        CW_LOG_DEBUG = 0,
        CW_LOG_INFO,
        CW_LOG_WARN,
        CW_LOG_ERROR,
} cw_log_level_t;

typedef enum cw_log_format {
        CW_LOG_TEXT = 0,
        CW_LOG_JSON,
} cw_log_format_t;

/* Parses "debug|info|warn|error" / "text|json"; returns 0 or -1. */
int cw_log_level_parse(const char *s, cw_log_level_t *out);
int cw_log_format_parse(const char *s, cw_log_format_t *out);

void cw_log_setup(cw_log_level_t level, cw_log_format_t format, FILE *out);
int cw_log_enabled(cw_log_level_t level);
cw_log_level_t cw_log_level_current(void);
cw_log_format_t cw_log_format_current(void);

void cw_log(cw_log_level_t level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

#define cw_debug(...) cw_log(CW_LOG_DEBUG, __VA_ARGS__)
#define cw_info(...) cw_log(CW_LOG_INFO, __VA_ARGS__)
#define cw_warn(...) cw_log(CW_LOG_WARN, __VA_ARGS__)
#define cw_error(...) cw_log(CW_LOG_ERROR, __VA_ARGS__)

/*
 * Formats one log line into buf (always NUL-terminated, newline included,
 * truncated with "..." when it does not fit). Exposed for tests.
 */
size_t cw_log_format_line(char *buf, size_t size, cw_log_format_t format,
                          cw_log_level_t level, long long now_ms,
                          const char *msg);

#endif
