/*
 * ChurnWarning values of the warning topic (CONTRACT.md section 4), as
 * `tail` decodes them (schemas/warning_codec.c).
 *
 * Property: a warning that decodes and encodes again decodes to the same
 * warning, and encodes to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "schemas/warning_codec.h"

static cw_warning_decoder_t *dec;
static cw_warning_encoder_t *enc;

void cw_fuzz_init(void) {
        static cw_schemas_t *schemas;
        char err[512];

        if (!(schemas = cw_schemas_load(err, sizeof(err))) ||
            !(dec = cw_warning_decoder_new(schemas, err, sizeof(err))) ||
            !(enc = cw_warning_encoder_new(schemas, err, sizeof(err))))
                cw_fuzz_fail("set-up: %s", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cw_warning w;
        const void *buf;
        size_t len, len2;
        char err[512];
        void *first;

        if (cw_warning_decode(dec, data, size, &w, err, sizeof(err)))
                return 0;
        if (cw_warning_encode(enc, &w, &buf, &len, err, sizeof(err)))
                return 0; /* a warning churnwatch would not write */
        if (!(first = malloc(len ? len : 1)))
                return 0;
        memcpy(first, buf, len);
        if (cw_warning_decode(dec, first, len, &w, err, sizeof(err)))
                cw_fuzz_fail("its own encoding does not decode: %s", err);
        if (cw_warning_encode(enc, &w, &buf, &len2, err, sizeof(err)) ||
            len2 != len || memcmp(buf, first, len))
                cw_fuzz_fail("the second encoding differs from the first");
        free(first);
        return 0;
}
