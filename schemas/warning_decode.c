#include "warning_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        char probe;
        int rc = -1;

        memset(w, 0, sizeof(*w));
        w->alert_index = -1;
        if (!r) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        avro_value_reset(&d->rec);
        /* avro-c trusts length prefixes: walk the bytes first, as the
         * event decoder does, so corrupt input cannot make it allocate
         * what it claims; then nothing may be left over. */
        if (avro_skip_data(r, d->schema) || avro_read(r, &probe, 1) == 0) {
                snprintf(errstr, errstr_size,
                         "%zu bytes that are not one ChurnWarning record", len);
                goto out_free;
        }
        avro_reader_reset(r);
        avro_reader_memory_set_source(r, buf, (int64_t)len);
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
