#include "warning_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk_int.h"

const char *const cw_warning_field_names[CW_WF_COUNT] = {
        "warning_id", "customer_id", "alert",   "kind",
        "state",      "severity",    "eval_ts", "trigger",
        "score",      "features",    "reasons", "emitted_at",
};

/* A malformed warning is refused here rather than turned into a crash or
 * a file no reader accepts. */
int cw_warning_check(const struct cw_warning *w, char *errstr,
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

int cw_warning_score_is_null(const struct cw_warning *w) {
        return !w->has_score || !isfinite(w->score);
}

/* ---- Avro binary encoding of one warning --------------------------- */

struct cw_warning_encoder {
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
                if (strcmp(avro_schema_record_field_name(s, f),
                           cw_warning_field_names[f]))
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
                 f < CW_WF_COUNT ? cw_warning_field_names[f] : "count");
        return -1;
}

cw_warning_encoder_t *cw_warning_encoder_new(const cw_schemas_t *s,
                                             char *errstr, size_t errstr_size) {
        avro_schema_t schema = cw_schemas_get(s, CW_SCHEMA_WARNING);
        cw_warning_encoder_t *enc = calloc(1, sizeof(*enc));

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
        cw_warning_encoder_destroy(enc);
        return NULL;
}

void cw_warning_encoder_destroy(cw_warning_encoder_t *enc) {
        if (!enc)
                return;
        cw_avro_out_free(&enc->o);
        free(enc->str);
        free(enc);
}

static int set_string(cw_warning_encoder_t *enc, int f, const char *s) {
        avro_value_t v;
        return avro_value_get_by_index(&enc->o.rec, (size_t)f, &v, NULL) ||
               avro_value_set_string(&v, s);
}

static int set_long(cw_warning_encoder_t *enc, int f, int64_t n) {
        avro_value_t v;
        return avro_value_get_by_index(&enc->o.rec, (size_t)f, &v, NULL) ||
               avro_value_set_long(&v, n);
}

static int set_enum(cw_warning_encoder_t *enc, int f, int sym) {
        avro_value_t v;
        return avro_value_get_by_index(&enc->o.rec, (size_t)f, &v, NULL) ||
               avro_value_set_enum(&v, sym);
}

/*
 * customer_id is not NUL-terminated, and avro-c's set_string_len copies
 * `size` bytes counting a NUL; copy it into a reused buffer first, which
 * also keeps any NUL bytes inside the id.
 */
static int set_customer_id(cw_warning_encoder_t *enc, cw_str_t id) {
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

static int set_score(cw_warning_encoder_t *enc, const struct cw_warning *w) {
        avro_value_t v, branch;

        if (avro_value_get_by_index(&enc->o.rec, CW_WF_SCORE, &v, NULL))
                return -1;
        if (cw_warning_score_is_null(w))
                return avro_value_set_branch(&v, 0, &branch) ||
                       avro_value_set_null(&branch);
        return avro_value_set_branch(&v, 1, &branch) ||
               avro_value_set_double(&branch, w->score);
}

static int set_lists(cw_warning_encoder_t *enc, const struct cw_warning *w) {
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

static int fill_record(cw_warning_encoder_t *enc, const struct cw_warning *w) {
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

int cw_warning_encode(cw_warning_encoder_t *enc, const struct cw_warning *w,
                      const void **buf, size_t *len, char *errstr,
                      size_t errstr_size) {
        if (cw_warning_check(w, errstr, errstr_size))
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

/* ---- decoding ChurnWarning records ---------------------------------- */

struct cw_warning_decoder {
        avro_schema_t schema; /* borrowed from the schemas */
        avro_value_iface_t *iface;
        avro_value_t rec;
        struct cw_warning_feature *features;
        size_t features_cap;
};

cw_warning_decoder_t *cw_warning_decoder_new(const cw_schemas_t *s,
                                             char *errstr, size_t errstr_size) {
        cw_warning_decoder_t *d = calloc(1, sizeof(*d));
        if (!d)
                goto out_nomem;
        d->schema = cw_schemas_get(s, CW_SCHEMA_WARNING);
        d->iface = avro_generic_class_from_schema(d->schema);
        if (!d->iface || avro_generic_value_new(d->iface, &d->rec))
                goto out_destroy;
        return d;
out_destroy:
        cw_warning_decoder_destroy(d);
out_nomem:
        snprintf(errstr, errstr_size, "cannot build the ChurnWarning decoder");
        return NULL;
}

void cw_warning_decoder_destroy(cw_warning_decoder_t *d) {
        if (!d)
                return;
        if (d->rec.iface)
                avro_value_decref(&d->rec);
        if (d->iface)
                avro_value_iface_decref(d->iface);
        free(d->features);
        free(d);
}

static int get(cw_warning_decoder_t *d, int f, avro_value_t *v) {
        return avro_value_get_by_index(&d->rec, (size_t)f, v, NULL);
}

static int get_string(cw_warning_decoder_t *d, int f, const char **p,
                      size_t *len) {
        avro_value_t v;
        size_t n;
        if (get(d, f, &v) || avro_value_get_string(&v, p, &n) || !n)
                return -1;
        if (len)
                *len = n - 1; /* avro-c counts the NUL */
        return 0;
}

static int get_enum(cw_warning_decoder_t *d, int f, int n, int *out) {
        avro_value_t v;
        return get(d, f, &v) || avro_value_get_enum(&v, out) || *out < 0 ||
               *out >= n;
}

static int get_long(cw_warning_decoder_t *d, int f, int64_t *out) {
        avro_value_t v;
        return get(d, f, &v) || avro_value_get_long(&v, out);
}

static int get_features(cw_warning_decoder_t *d, struct cw_warning *w) {
        avro_value_t map, v;
        size_t n;
        if (get(d, CW_WF_FEATURES, &map) || avro_value_get_size(&map, &n))
                return -1;
        if (n > d->features_cap) {
                void *a = realloc(d->features, n * sizeof(*d->features));
                if (!a)
                        return -1;
                d->features = a;
                d->features_cap = n;
        }
        for (size_t i = 0; i < n; i++) {
                const char *name;
                if (avro_value_get_by_index(&map, i, &v, &name) ||
                    avro_value_get_double(&v, &d->features[i].value))
                        return -1;
                d->features[i].name = name;
        }
        w->features = d->features;
        w->n_features = (int)n;
        return 0;
}

static int get_rest(cw_warning_decoder_t *d, struct cw_warning *w) {
        avro_value_t v, branch, arr;
        const char *id;
        size_t len, n;
        int kind, state, trigger, disc;

        if (get_string(d, CW_WF_WARNING_ID, &id, &len) || len != 32 ||
            strspn(id, "0123456789abcdef") != 32)
                return -1;
        memcpy(w->warning_id, id, 33);
        if (get_string(d, CW_WF_CUSTOMER_ID, &w->customer_id.p,
                       &w->customer_id.len) ||
            get_string(d, CW_WF_ALERT, &w->alert, NULL) ||
            get_enum(d, CW_WF_KIND, 2, &kind) ||
            get_enum(d, CW_WF_STATE, 2, &state) ||
            get_string(d, CW_WF_SEVERITY, &w->severity, NULL) ||
            get_long(d, CW_WF_EVAL_TS, &w->eval_ts) ||
            get_enum(d, CW_WF_TRIGGER, 2, &trigger) ||
            get_long(d, CW_WF_EMITTED_AT, &w->emitted_at))
                return -1;
        w->kind = (cw_warning_kind_t)kind;
        w->state = (cw_warning_state_t)state;
        w->trigger = (cw_trigger_t)trigger;
        if (get(d, CW_WF_SCORE, &v) || avro_value_get_discriminant(&v, &disc))
                return -1;
        w->has_score = disc == 1;
        if (w->has_score && (avro_value_get_current_branch(&v, &branch) ||
                             avro_value_get_double(&branch, &w->score)))
                return -1;
        if (get_features(d, w) || get(d, CW_WF_REASONS, &arr) ||
            avro_value_get_size(&arr, &n))
                return -1;
        w->n_reasons = 0;
        for (size_t i = 0; i < n && i < CW_WARNING_MAX_REASONS; i++) {
                if (avro_value_get_by_index(&arr, i, &v, NULL) ||
                    avro_value_get_string(&v, &w->reasons[i], &len))
                        return -1;
                w->n_reasons++;
        }
        return 0;
}

int cw_warning_decode(cw_warning_decoder_t *d, const void *buf, size_t len,
                      struct cw_warning *w, char *errstr, size_t errstr_size) {
        avro_reader_t r = avro_reader_memory(buf, (int64_t)len);
        char why[256];
        size_t used;
        int walked, rc = -1;

        memset(w, 0, sizeof(*w));
        w->alert_index = -1;
        if (!r) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        avro_value_reset(&d->rec);
        /* avro-c trusts lengths and counts: walk the bytes first, as the
         * event decoder does (walk_int.h), so corrupt input cannot make it
         * allocate what it claims; then nothing may be left over. */
        walked = cw_avro_walk(d->schema, buf, len, &used, why, sizeof(why));
        if (!walked && used != len) {
                snprintf(why, sizeof(why), "%zu bytes left over", len - used);
                walked = -1;
        }
        if (walked) {
                snprintf(errstr, errstr_size,
                         "%zu bytes that are not one ChurnWarning record: %s",
                         len, why);
                goto out_free;
        }
        if (avro_value_read(r, &d->rec) || get_rest(d, w)) {
                snprintf(errstr, errstr_size,
                         "a ChurnWarning record with invalid fields");
                goto out_free;
        }
        rc = 0;
out_free:
        avro_reader_free(r);
        return rc;
}
