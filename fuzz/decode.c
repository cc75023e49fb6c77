/*
 * Kafka values of the four input streams without framing (CONTRACT.md
 * section 6), decoded as consumers/merge.c decodes them: byte 0 picks the
 * stream, the rest is the value. Both readers see every value: the strict
 * fast reader (schemas/fastread.c) and avro-c behind the walk of
 * cw_decoder_decode() (schemas/decode.c).
 *
 * Property: a value the fast reader takes, and whose event passes
 * cw_event_check(), decodes through avro-c to the same event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "schemas/decode.h"
#include "schemas/fastread.h"

static cw_schemas_t *schemas;
static cw_decoder_t *decoders[CW_STREAM_COUNT];

void cw_fuzz_init(void) {
        char err[512];

        if (!(schemas = cw_schemas_load(err, sizeof(err))))
                cw_fuzz_fail("schemas: %s", err);
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (!(decoders[s] = cw_decoder_new(
                              schemas, (cw_stream_t)s,
                              cw_schemas_get(schemas, (cw_schema_id_t)s), err,
                              sizeof(err))))
                        cw_fuzz_fail("decoder: %s", err);
}

static int same_str(cw_str_t a, cw_str_t b) {
        if (!a.p || !b.p)
                return !a.p && !b.p;
        return a.len == b.len && !memcmp(a.p, b.p, a.len);
}

/* The fast reader's strings must lie inside the value. */
static void check_inside(const struct cw_event *ev, const uint8_t *v,
                         size_t len) {
        const struct cw_stream_def *d = &cw_streams[ev->stream];

        for (int i = 0; i < d->n_fields; i++) {
                const cw_str_t *s = &ev->str[i];
                if (d->fields[i].type == CW_FIELD_STR && s->p &&
                    ((const uint8_t *)s->p < v ||
                     (const uint8_t *)s->p + s->len > v + len))
                        cw_fuzz_fail("field %s points outside the value",
                                     d->fields[i].name);
        }
}

static void compare(const struct cw_event *fast, const struct cw_event *slow) {
        const struct cw_stream_def *d = &cw_streams[fast->stream];

        if (fast->ts != slow->ts ||
            !same_str(fast->customer_id, slow->customer_id))
                cw_fuzz_fail("ts or customer_id differ");
        for (int i = 0; i < d->n_fields; i++) {
                int same = d->fields[i].type == CW_FIELD_STR
                                   ? same_str(fast->str[i], slow->str[i])
                                   : fast->num[i] == slow->num[i];
                if (!same)
                        cw_fuzz_fail("field %s differs between the readers",
                                     d->fields[i].name);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cw_event fast, slow;
        char err[512];
        cw_stream_t stream;
        int fast_rc, slow_rc;

        if (size < 1)
                return 0;
        stream = (cw_stream_t)(data[0] % CW_STREAM_COUNT);
        data++;
        size--;
        fast_rc = cw_fast_decode(stream, data, size, &fast);
        slow_rc = cw_decoder_decode(decoders[stream], data, size, &slow, err,
                                    sizeof(err));
        if (slow_rc && !*err)
                cw_fuzz_fail("cw_decoder_decode failed without a sentence");
        if (fast_rc || cw_event_check(&fast, err, sizeof(err)))
                return 0;
        check_inside(&fast, data, size);
        if (slow_rc)
                cw_fuzz_fail("avro-c refused what the fast reader took: %s",
                             err);
        compare(&fast, &slow);
        return 0;
}
