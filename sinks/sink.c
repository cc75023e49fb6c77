#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avro_file.h"
#include "common/file.h"
#include "common/numfmt.h"
#include "schemas/warning_codec.h"

/* ---- JSON lines ---------------------------------------------------- */

/*
 * A growable line buffer reused for every warning: after the first few
 * lines it is big enough and writing costs no allocation. Out of memory is
 * remembered and checked once per line instead of after every append.
 */
struct cw_buf {
        char *p;
        size_t len, cap;
        int oom;
};

static int buf_reserve(struct cw_buf *b, size_t n) {
        size_t cap;
        char *p;

        if (b->len + n <= b->cap)
                return 0;
        if (b->oom)
                return -1;
        cap = b->cap ? b->cap : 512;
        while (cap < b->len + n)
                cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
                b->oom = 1;
                return -1;
        }
        b->p = p;
        b->cap = cap;
        return 0;
}

static void buf_put(struct cw_buf *b, const char *s, size_t n) {
        if (n == 0 || buf_reserve(b, n))
                return;
        memcpy(b->p + b->len, s, n);
        b->len += n;
}

static void buf_puts(struct cw_buf *b, const char *s) {
        buf_put(b, s, strlen(s));
}

/*
 * A JSON string: '"' and '\' are backslash-escaped, control characters
 * become \u00XX, and every other byte, UTF-8 included, passes unchanged.
 * Runs of plain bytes are copied at once.
 */
static void buf_json_str(struct cw_buf *b, const char *s, size_t n) {
        static const char hex[] = "0123456789abcdef";
        size_t run = 0;

        buf_put(b, "\"", 1);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                buf_put(b, s + run, i - run);
                if (c < 0x20) {
                        buf_put(b, esc, 6);
                } else {
                        esc[1] = (char)c;
                        buf_put(b, esc, 2);
                }
                run = i + 1;
        }
        buf_put(b, s + run, n - run);
        buf_put(b, "\"", 1);
}

/* cw_double_format(): the shortest text strtod reads back as v. */
static void buf_double(struct cw_buf *b, double v) {
        char tmp[CW_DOUBLE_BUF];
        size_t n = cw_double_format(v, tmp);
        buf_put(b, tmp, n);
}

static void buf_long(struct cw_buf *b, int64_t v) {
        char tmp[24];
        int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
        buf_put(b, tmp, (size_t)n);
}

static void buf_key(struct cw_buf *b, int field) {
        buf_put(b, field == 0 ? "{\"" : ",\"", 2);
        buf_puts(b, cw_warning_field_names[field]);
        buf_put(b, "\":", 2);
}

static void buf_json_cstr(struct cw_buf *b, const char *s) {
        buf_json_str(b, s, strlen(s));
}

static void json_warning(struct cw_buf *b, const struct cw_warning *w) {
        int first = 1;

        b->len = 0;
        buf_key(b, CW_WF_WARNING_ID);
        buf_json_cstr(b, w->warning_id);
        buf_key(b, CW_WF_CUSTOMER_ID);
        buf_json_str(b, w->customer_id.p, w->customer_id.len);
        buf_key(b, CW_WF_ALERT);
        buf_json_cstr(b, w->alert);
        buf_key(b, CW_WF_KIND);
        buf_json_cstr(b, cw_warning_kind_names[w->kind]);
        buf_key(b, CW_WF_STATE);
        buf_json_cstr(b, cw_warning_state_names[w->state]);
        buf_key(b, CW_WF_SEVERITY);
        buf_json_cstr(b, w->severity);
        buf_key(b, CW_WF_EVAL_TS);
        buf_long(b, w->eval_ts);
        buf_key(b, CW_WF_TRIGGER);
        buf_json_cstr(b, cw_trigger_names[w->trigger]);
        buf_key(b, CW_WF_SCORE);
        if (cw_warning_score_is_null(w))
                buf_puts(b, "null");
        else
                buf_double(b, w->score);
        buf_key(b, CW_WF_FEATURES);
        buf_put(b, "{", 1);
        for (int i = 0; i < w->n_features; i++) {
                if (!isfinite(w->features[i].value))
                        continue;
                if (!first)
                        buf_put(b, ",", 1);
                first = 0;
                buf_json_cstr(b, w->features[i].name);
                buf_put(b, ":", 1);
                buf_double(b, w->features[i].value);
        }
        buf_put(b, "}", 1);
        buf_key(b, CW_WF_REASONS);
        buf_put(b, "[", 1);
        for (int i = 0; i < w->n_reasons; i++) {
                if (i)
                        buf_put(b, ",", 1);
                buf_json_cstr(b, w->reasons[i]);
        }
        buf_put(b, "]", 1);
        buf_key(b, CW_WF_EMITTED_AT);
        buf_long(b, w->emitted_at);
        buf_put(b, "}\n", 2);
}

/* ---- the sink ------------------------------------------------------ */

enum cw_sink_format { CW_SINK_JSONL, CW_SINK_AVRO };

struct cw_sink {
        enum cw_sink_format format;
        char *name;  /* the path, or "standard output" */
        int regular; /* a regular file: removed when left incomplete */
        long long count;
        /* JSONL */
        FILE *fp;
        int write_errno; /* first write error, 0 if none */
        struct cw_buf line;
        /* Avro */
        cw_warning_encoder_t *enc;
        cw_avro_file_t *file;
};

static int ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int open_jsonl(cw_sink_t *sink, const char *path, char *errstr,
                      size_t errstr_size) {
        if (strcmp(path, "-") == 0) {
                sink->fp = stdout;
                return 0;
        }
        sink->fp = fopen(path, "w");
        if (!sink->fp) {
                snprintf(errstr, errstr_size, "cannot create %s: %s", path,
                         strerror(errno));
                return -1;
        }
        return 0;
}

static int open_avro(cw_sink_t *sink, const char *path, const cw_schemas_t *s,
                     char *errstr, size_t errstr_size) {
        sink->enc = cw_warning_encoder_new(s, errstr, errstr_size);
        if (!sink->enc)
                return -1;
        sink->file = cw_avro_file_open(path, cw_schemas_text(CW_SCHEMA_WARNING),
                                       errstr, errstr_size);
        return sink->file ? 0 : -1;
}

cw_sink_t *cw_sink_open(const char *path, const cw_schemas_t *s, char *errstr,
                        size_t errstr_size) {
        int is_stdout = strcmp(path, "-") == 0;
        cw_sink_t *sink;

        if (!is_stdout && !ends_with(path, ".jsonl") &&
            !ends_with(path, ".avro")) {
                snprintf(errstr, errstr_size,
                         "cannot tell the output format of %s: name the "
                         "output file *.jsonl for JSON lines or *.avro for an "
                         "Avro container file (or - for JSON lines on "
                         "standard output)",
                         path);
                return NULL;
        }
        sink = calloc(1, sizeof(*sink));
        if (!sink ||
            !(sink->name = strdup(is_stdout ? "standard output" : path))) {
                snprintf(errstr, errstr_size, "out of memory opening %s", path);
                goto out_free_sink;
        }
        sink->format = is_stdout || ends_with(path, ".jsonl") ? CW_SINK_JSONL
                                                              : CW_SINK_AVRO;
        if (sink->format == CW_SINK_JSONL
                    ? open_jsonl(sink, path, errstr, errstr_size)
                    : open_avro(sink, path, s, errstr, errstr_size))
                goto out_free_sink;
        sink->regular = !is_stdout && cw_file_is_regular(path);
        return sink;

out_free_sink:
        if (sink) {
                cw_warning_encoder_destroy(sink->enc);
                free(sink->name);
                free(sink);
        }
        return NULL;
}

static int write_jsonl(cw_sink_t *sink, const struct cw_warning *w,
                       char *errstr, size_t errstr_size) {
        if (cw_warning_check(w, errstr, errstr_size))
                return -1;
        json_warning(&sink->line, w);
        if (sink->line.oom) {
                sink->line.oom = 0;
                snprintf(errstr, errstr_size, "out of memory writing %s",
                         sink->name);
                return -1;
        }
        errno = 0;
        if (!sink->write_errno &&
            fwrite(sink->line.p, 1, sink->line.len, sink->fp) != sink->line.len)
                sink->write_errno = errno ? errno : EIO;
        if (sink->write_errno) {
                snprintf(errstr, errstr_size, "cannot write %s: %s", sink->name,
                         strerror(sink->write_errno));
                return -1;
        }
        return 0;
}

int cw_sink_write(cw_sink_t *sink, const struct cw_warning *w, char *errstr,
                  size_t errstr_size) {
        const void *buf;
        size_t len;

        if (sink->format == CW_SINK_JSONL) {
                if (write_jsonl(sink, w, errstr, errstr_size))
                        return -1;
        } else if (cw_warning_encode(sink->enc, w, &buf, &len, errstr,
                                     errstr_size) ||
                   cw_avro_file_append(sink->file, buf, len, errstr,
                                       errstr_size)) {
                return -1;
        }
        sink->count++;
        return 0;
}

/* Flushes, and closes unless it is stdout; the first error wins. */
static int close_jsonl(cw_sink_t *sink, char *errstr, size_t errstr_size) {
        errno = 0;
        if (fflush(sink->fp) && !sink->write_errno)
                sink->write_errno = errno ? errno : EIO;
        if (ferror(sink->fp) && !sink->write_errno)
                sink->write_errno = EIO;
        errno = 0;
        if (sink->fp != stdout && fclose(sink->fp) && !sink->write_errno)
                sink->write_errno = errno ? errno : EIO;
        if (!sink->write_errno)
                return 0;
        snprintf(errstr, errstr_size, "cannot write %s: %s", sink->name,
                 strerror(sink->write_errno));
        return -1;
}

/*
 * Flushes and closes; a regular file that a write failure or the caller
 * (discard) leaves incomplete is removed. 0; -1 with a sentence when a
 * write failed; with discard, whether the file was removed.
 */
static int finish(cw_sink_t *sink, int discard, char *errstr,
                  size_t errstr_size) {
        char ignored[256];
        int rc, removed;

        if (discard) {
                errstr = ignored;
                errstr_size = sizeof(ignored);
        }
        if (sink->format == CW_SINK_JSONL)
                rc = close_jsonl(sink, errstr, errstr_size);
        else
                rc = cw_avro_file_close(sink->file, errstr, errstr_size);
        removed = (rc || discard) && sink->regular && unlink(sink->name) == 0;
        if (rc && removed && !discard) {
                size_t n = strlen(errstr);
                snprintf(errstr + n, errstr_size - n,
                         "; removed it, as it is incomplete");
        }
        cw_warning_encoder_destroy(sink->enc);
        free(sink->line.p);
        free(sink->name);
        free(sink);
        return discard ? removed : rc;
}

int cw_sink_close(cw_sink_t *sink, char *errstr, size_t errstr_size) {
        return sink ? finish(sink, 0, errstr, errstr_size) : 0;
}

int cw_sink_discard(cw_sink_t *sink) {
        return sink ? finish(sink, 1, NULL, 0) : 0;
}

long long cw_sink_count(const cw_sink_t *sink) {
        return sink->count;
}
