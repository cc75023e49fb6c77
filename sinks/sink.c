#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_file.h"

static const char *const field_names[CW_WF_COUNT] = {
        "warning_id", "customer_id", "alert",   "kind",
        "state",      "severity",    "eval_ts", "trigger",
        "score",      "features",    "reasons", "emitted_at",
};

/*
 * Sinks index the enum-name tables with the warning's enums and read its
 * borrowed strings, so a malformed warning is refused here rather than
 * turned into a crash or a file no reader accepts.
 */
static int check_warning(const struct cw_warning *w, char *errstr,
                         size_t errstr_size) {
        const char *what = NULL;

        if (memchr(w->warning_id, '\0', sizeof(w->warning_id)) == NULL)
                what = "an unterminated warning_id";
        else if (!w->alert || !w->severity)
                what = "no alert name or severity";
        else if (!w->customer_id.p && w->customer_id.len)
                what = "a customer_id without bytes";
        else if ((unsigned)w->kind > CW_KIND_MODEL ||
                 (unsigned)w->state > CW_STATE_RESOLVED ||
                 (unsigned)w->trigger > CW_TRIGGER_TIMER)
                what = "an unknown kind, state or trigger";
        else if (w->n_features < 0 || (w->n_features && !w->features))
                what = "a bad feature list";
        else if (w->n_reasons < 0 || w->n_reasons > CW_WARNING_MAX_REASONS)
                what = "a bad reasons list";
        for (int i = 0; !what && i < w->n_features; i++)
                if (!w->features[i].name)
                        what = "a feature without a name";
        for (int i = 0; !what && i < w->n_reasons; i++)
                if (!w->reasons[i])
                        what = "a missing reason";
        if (!what)
                return 0;
        snprintf(errstr, errstr_size,
                 "cannot write a warning with %s (alert %s); this is a bug "
                 "in churnwatch",
                 what, w->alert ? w->alert : "unnamed");
        return -1;
}

/* A non-finite score has no JSON form; the contract's "null" fits best. */
static int score_is_null(const struct cw_warning *w) {
        return !w->has_score || !isfinite(w->score);
}

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

/*
 * The shortest of %.15g, %.16g and %.17g that strtod reads back as the
 * same double (17 digits always do), so 0.8 stays 0.8 and 3 stays 3, and
 * the text depends on the value alone. Costs up to three conversions.
 * Like all of churnwatch it assumes the "C" numeric locale (no setlocale).
 */
static void buf_double(struct cw_buf *b, double v) {
        char tmp[32];
        int n = 0;

        for (int prec = 15; prec <= 17; prec++) {
                n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
                if (strtod(tmp, NULL) == v)
                        break;
        }
        buf_put(b, tmp, (size_t)n);
}

static void buf_long(struct cw_buf *b, int64_t v) {
        char tmp[24];
        int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
        buf_put(b, tmp, (size_t)n);
}

static void buf_key(struct cw_buf *b, int field) {
        buf_put(b, field == 0 ? "{\"" : ",\"", 2);
        buf_puts(b, field_names[field]);
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
        if (score_is_null(w))
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

/* ---- Avro binary encoding of one warning --------------------------- */

struct cw_avro_warning_encoder {
        struct cw_avro_out o; /* the record, refilled for every warning */
        char *str;            /* customer_id plus the NUL avro-c wants */
        size_t str_cap;
};

/*
 * The encoder addresses fields by their F_* position, enum symbols by the
 * C enum value and the score union by branch (0 null, 1 double), so that
 * encoding never looks a name up. Checked once here against the schema.
 */
static int check_schema(avro_schema_t s, char *errstr, size_t errstr_size) {
        const char *const *symbols[CW_WF_COUNT] = {
                [CW_WF_KIND] = cw_warning_kind_names,
                [CW_WF_STATE] = cw_warning_state_names,
                [CW_WF_TRIGGER] = cw_trigger_names,
        };
        avro_schema_t t;
        int f = 0;

        if (!is_avro_record(s) || avro_schema_record_size(s) != CW_WF_COUNT)
                goto out_mismatch;
        for (f = 0; f < CW_WF_COUNT; f++) {
                t = avro_schema_record_field_get_by_index(s, f);
                if (strcmp(avro_schema_record_field_name(s, f), field_names[f]))
                        goto out_mismatch;
                for (int i = 0; symbols[f] && i < 2; i++) {
                        const char *sym = is_avro_enum(t)
                                                  ? avro_schema_enum_get(t, i)
                                                  : NULL;
                        if (!sym || strcmp(sym, symbols[f][i]))
                                goto out_mismatch;
                }
        }
        f = CW_WF_SCORE;
        t = avro_schema_record_field_get_by_index(s, f);
        if (!is_avro_union(t) || avro_schema_union_size(t) != 2 ||
            !is_avro_null(avro_schema_union_branch(t, 0)) ||
            !is_avro_double(avro_schema_union_branch(t, 1)))
                goto out_mismatch;
        return 0;

out_mismatch:
        snprintf(errstr, errstr_size,
                 "churn_warning.avsc does not match the warning encoder "
                 "(at field %s)",
                 f < CW_WF_COUNT ? field_names[f] : "count");
        return -1;
}

cw_avro_warning_encoder_t *cw_avro_warning_encoder_new(const cw_schemas_t *s,
                                                       char *errstr,
                                                       size_t errstr_size) {
        avro_schema_t schema = cw_schemas_get(s, CW_SCHEMA_WARNING);
        cw_avro_warning_encoder_t *enc = calloc(1, sizeof(*enc));

        if (!enc)
                goto out_oom;
        if (check_schema(schema, errstr, errstr_size))
                goto out_destroy;
        /* Most warnings fit in 1 KiB; a bigger one grows it once. */
        if (cw_avro_out_init(&enc->o, schema, 1024)) {
                snprintf(errstr, errstr_size,
                         "cannot build the ChurnWarning encoder: %s",
                         avro_strerror());
                goto out_destroy;
        }
        return enc;

out_oom:
        snprintf(errstr, errstr_size,
                 "out of memory building the ChurnWarning encoder");
out_destroy:
        cw_avro_warning_encoder_destroy(enc);
        return NULL;
}

void cw_avro_warning_encoder_destroy(cw_avro_warning_encoder_t *enc) {
        if (!enc)
                return;
        cw_avro_out_free(&enc->o);
        free(enc->str);
        free(enc);
}

static int set_string(cw_avro_warning_encoder_t *enc, int f, const char *s) {
        avro_value_t v;
        return avro_value_get_by_index(&enc->o.rec, (size_t)f, &v, NULL) ||
               avro_value_set_string(&v, s);
}

static int set_long(cw_avro_warning_encoder_t *enc, int f, int64_t n) {
        avro_value_t v;
        return avro_value_get_by_index(&enc->o.rec, (size_t)f, &v, NULL) ||
               avro_value_set_long(&v, n);
}

static int set_enum(cw_avro_warning_encoder_t *enc, int f, int sym) {
        avro_value_t v;
        return avro_value_get_by_index(&enc->o.rec, (size_t)f, &v, NULL) ||
               avro_value_set_enum(&v, sym);
}

/*
 * customer_id is not NUL-terminated, and avro-c's set_string_len copies
 * `size` bytes counting a NUL; copy it into a reused buffer first, which
 * also keeps any NUL bytes inside the id.
 */
static int set_customer_id(cw_avro_warning_encoder_t *enc, cw_str_t id) {
        avro_value_t v;

        if (id.len + 1 > enc->str_cap) {
                char *p = realloc(enc->str, id.len + 1);
                if (!p) {
                        avro_set_error("out of memory");
                        return -1;
                }
                enc->str = p;
                enc->str_cap = id.len + 1;
        }
        if (id.len)
                memcpy(enc->str, id.p, id.len);
        enc->str[id.len] = '\0';
        return avro_value_get_by_index(&enc->o.rec, CW_WF_CUSTOMER_ID, &v,
                                       NULL) ||
               avro_value_set_string_len(&v, enc->str, id.len + 1);
}

static int set_score(cw_avro_warning_encoder_t *enc,
                     const struct cw_warning *w) {
        avro_value_t v, branch;

        if (avro_value_get_by_index(&enc->o.rec, CW_WF_SCORE, &v, NULL))
                return -1;
        if (score_is_null(w))
                return avro_value_set_branch(&v, 0, &branch) ||
                       avro_value_set_null(&branch);
        return avro_value_set_branch(&v, 1, &branch) ||
               avro_value_set_double(&branch, w->score);
}

static int set_lists(cw_avro_warning_encoder_t *enc,
                     const struct cw_warning *w) {
        avro_value_t map, arr, child;

        if (avro_value_get_by_index(&enc->o.rec, CW_WF_FEATURES, &map, NULL) ||
            avro_value_get_by_index(&enc->o.rec, CW_WF_REASONS, &arr, NULL))
                return -1;
        /* avro-c's generic map keeps insertion order, as JSONL does. */
        for (int i = 0; i < w->n_features; i++) {
                if (!isfinite(w->features[i].value))
                        continue;
                if (avro_value_add(&map, w->features[i].name, &child, NULL,
                                   NULL) ||
                    avro_value_set_double(&child, w->features[i].value))
                        return -1;
        }
        for (int i = 0; i < w->n_reasons; i++)
                if (avro_value_append(&arr, &child, NULL) ||
                    avro_value_set_string(&child, w->reasons[i]))
                        return -1;
        return 0;
}

static int fill_record(cw_avro_warning_encoder_t *enc,
                       const struct cw_warning *w) {
        avro_value_reset(&enc->o.rec);
        return set_string(enc, CW_WF_WARNING_ID, w->warning_id) ||
               set_customer_id(enc, w->customer_id) ||
               set_string(enc, CW_WF_ALERT, w->alert) ||
               set_enum(enc, CW_WF_KIND, (int)w->kind) ||
               set_enum(enc, CW_WF_STATE, (int)w->state) ||
               set_string(enc, CW_WF_SEVERITY, w->severity) ||
               set_long(enc, CW_WF_EVAL_TS, w->eval_ts) ||
               set_enum(enc, CW_WF_TRIGGER, (int)w->trigger) ||
               set_score(enc, w) || set_lists(enc, w) ||
               set_long(enc, CW_WF_EMITTED_AT, w->emitted_at);
}

int cw_warning_to_avro(cw_avro_warning_encoder_t *enc,
                       const struct cw_warning *w, const void **buf,
                       size_t *len, char *errstr, size_t errstr_size) {
        if (check_warning(w, errstr, errstr_size))
                return -1;
        if (fill_record(enc, w) || cw_avro_out_write(&enc->o, len)) {
                snprintf(errstr, errstr_size,
                         "cannot encode the warning of alert %s as Avro: %s",
                         w->alert, avro_strerror());
                return -1;
        }
        *buf = enc->o.out;
        return 0;
}

/* ---- the sink ------------------------------------------------------ */

enum cw_sink_format { CW_SINK_JSONL, CW_SINK_AVRO };

struct cw_sink {
        enum cw_sink_format format;
        char *name; /* the path, or "standard output" */
        long long count;
        /* JSONL */
        FILE *fp;
        int write_errno; /* first write error, 0 if none */
        struct cw_buf line;
        /* Avro */
        cw_avro_warning_encoder_t *enc;
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
        sink->enc = cw_avro_warning_encoder_new(s, errstr, errstr_size);
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
        return sink;

out_free_sink:
        if (sink) {
                cw_avro_warning_encoder_destroy(sink->enc);
                free(sink->name);
                free(sink);
        }
        return NULL;
}

static int write_jsonl(cw_sink_t *sink, const struct cw_warning *w,
                       char *errstr, size_t errstr_size) {
        if (check_warning(w, errstr, errstr_size))
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
        } else if (cw_warning_to_avro(sink->enc, w, &buf, &len, errstr,
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

int cw_sink_close(cw_sink_t *sink, char *errstr, size_t errstr_size) {
        int rc;

        if (!sink)
                return 0;
        if (sink->format == CW_SINK_JSONL)
                rc = close_jsonl(sink, errstr, errstr_size);
        else
                rc = cw_avro_file_close(sink->file, errstr, errstr_size);
        cw_avro_warning_encoder_destroy(sink->enc);
        free(sink->line.p);
        free(sink->name);
        free(sink);
        return rc;
}

long long cw_sink_count(const cw_sink_t *sink) {
        return sink->count;
}
