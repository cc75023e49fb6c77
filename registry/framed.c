#include "framed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemas/decode.h"
#include "schemas/fastread.h"

/* What the decoder knows of one schema id, per stream. */
struct known {
        int32_t id;
        int built[CW_STREAM_COUNT]; /* the stream's decoder was tried */
        int fast[CW_STREAM_COUNT];  /* the writer is our schema */
        cw_decoder_t *dec[CW_STREAM_COUNT];
        char *why[CW_STREAM_COUNT]; /* it does not resolve: why */
};

struct cw_framed {
        cw_schema_cache_t *cache;
        const cw_schemas_t *s;
        struct known *known;
        size_t n, cap;
        int last; /* index of the last id used: consecutive records mostly
                     share it */
};

void cw_frame_header(uint8_t out[CW_FRAME_HEADER_LEN], int32_t id) {
        uint32_t u = (uint32_t)id;
        out[0] = 0;
        out[1] = (uint8_t)(u >> 24);
        out[2] = (uint8_t)(u >> 16);
        out[3] = (uint8_t)(u >> 8);
        out[4] = (uint8_t)u;
}

int cw_frame_value(struct cw_frame_buf *b, int32_t id, const void *body,
                   size_t len, const void **value, size_t *value_len) {
        size_t need = CW_FRAME_HEADER_LEN + len;

        if (need > b->cap) {
                uint8_t *p = realloc(b->p, need * 2);
                if (!p)
                        return -1;
                b->p = p;
                b->cap = need * 2;
        }
        cw_frame_header(b->p, id);
        if (len)
                memcpy(b->p + CW_FRAME_HEADER_LEN, body, len);
        *value = b->p;
        *value_len = need;
        return 0;
}

void cw_frame_buf_free(struct cw_frame_buf *b) {
        free(b->p);
        b->p = NULL;
        b->cap = 0;
}

int cw_frame_id(const void *value, size_t len, int32_t *id, char *why,
                size_t why_size) {
        const uint8_t *p = value;

        if (len < CW_FRAME_HEADER_LEN) {
                snprintf(why, why_size,
                         "a value of %zu bytes is shorter than the 5-byte "
                         "Confluent header (magic byte 0, schema id)",
                         len);
                return -1;
        }
        if (p[0] != 0) {
                snprintf(why, why_size,
                         "the first byte is 0x%02x, not the Confluent magic "
                         "byte 0: the value is not in the Schema Registry "
                         "wire format",
                         p[0]);
                return -1;
        }
        *id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                        (uint32_t)p[3] << 8 | (uint32_t)p[4]);
        if (*id <= 0) {
                snprintf(why, why_size,
                         "schema id %d is not a Schema Registry id (they "
                         "are positive)",
                         *id);
                return -1;
        }
        return 0;
}

cw_framed_t *cw_framed_new(cw_schema_cache_t *cache, const cw_schemas_t *s) {
        cw_framed_t *f = calloc(1, sizeof(*f));

        if (f) {
                f->cache = cache;
                f->s = s;
        }
        return f;
}

void cw_framed_destroy(cw_framed_t *f) {
        if (!f)
                return;
        for (size_t i = 0; i < f->n; i++)
                for (int s = 0; s < CW_STREAM_COUNT; s++) {
                        cw_decoder_destroy(f->known[i].dec[s]);
                        free(f->known[i].why[s]);
                }
        free(f->known);
        free(f);
}

/* What the decoder knows of id (a new entry when nothing yet), or NULL
 * when memory runs out. */
static struct known *known_of(cw_framed_t *f, int32_t id) {
        if (f->n && f->known[f->last].id == id)
                return &f->known[f->last];
        for (size_t i = 0; i < f->n; i++)
                if (f->known[i].id == id) {
                        f->last = (int)i;
                        return &f->known[i];
                }
        if (f->n == f->cap) {
                size_t cap = f->cap ? f->cap * 2 : 8;
                struct known *k = realloc(f->known, cap * sizeof(*k));
                if (!k)
                        return NULL;
                f->known = k;
                f->cap = cap;
        }
        memset(&f->known[f->n], 0, sizeof(f->known[f->n]));
        f->known[f->n].id = id;
        f->last = (int)f->n;
        return &f->known[f->n++];
}

/* Builds the stream's decoder of writer schema w, once. */
static void build(cw_framed_t *f, struct known *k, cw_stream_t stream,
                  avro_schema_t w) {
        avro_schema_t ours = cw_schemas_get(f->s, (cw_schema_id_t)stream);
        char err[512];

        k->built[stream] = 1;
        k->fast[stream] = avro_schema_equal(w, ours);
        if (!(k->dec[stream] =
                      cw_decoder_new(f->s, stream, w, err, sizeof(err))))
                k->why[stream] = strdup(err);
}

cw_framed_result_t cw_framed_decode(cw_framed_t *f, cw_stream_t stream,
                                    const void *value, size_t len,
                                    struct cw_event *ev, char *why,
                                    size_t why_size) {
        const uint8_t *body = (const uint8_t *)value + CW_FRAME_HEADER_LEN;
        size_t blen = len - CW_FRAME_HEADER_LEN;
        char err[512];
        struct known *k;
        int32_t id;

        if (cw_frame_id(value, len, &id, why, why_size))
                return CW_FRAMED_BAD;
        if (!(k = known_of(f, id))) {
                snprintf(why, why_size, "schema id %d: out of memory", id);
                return CW_FRAMED_BAD;
        }
        if (!k->built[stream]) {
                avro_schema_t w;
                const char *no;
                switch (cw_schema_cache_get(f->cache, id, &w, &no)) {
                case CW_SCHEMA_PENDING:
                        return CW_FRAMED_WAIT;
                case CW_SCHEMA_UNKNOWN:
                        snprintf(why, why_size, "schema id %d: %s", id, no);
                        return CW_FRAMED_BAD;
                case CW_SCHEMA_REFUSED:
                        snprintf(why, why_size, "schema id %d: %s", id, no);
                        return CW_FRAMED_REFUSED;
                case CW_SCHEMA_READY:
                        build(f, k, stream, w);
                }
        }
        if (k->why[stream]) {
                snprintf(why, why_size,
                         "schema id %d: the writer schema does not resolve "
                         "against churnwatch's %s: %s",
                         id, cw_streams[stream].record, k->why[stream]);
                return CW_FRAMED_BAD;
        }
        if (k->fast[stream] && !cw_fast_decode(stream, body, blen, ev))
                return CW_FRAMED_OK;
        if (cw_decoder_decode(k->dec[stream], body, blen, ev, err,
                              sizeof(err))) {
                snprintf(why, why_size, "schema id %d: %s", id, err);
                return CW_FRAMED_BAD;
        }
        if (k->fast[stream]) {
                /* The strict reader refused what avro-c accepts: still
                 * refused, as for raw values. */
                snprintf(why, why_size,
                         "schema id %d: %zu bytes are not a valid %s record",
                         id, blen, cw_streams[stream].record);
                return CW_FRAMED_BAD;
        }
        return CW_FRAMED_OK;
}
