/*
 * Avro object container files as `replay` reads them (schemas/decode.c's
 * cw_avro_input: avro-c reads the header, then the fast reader of
 * schemas/fastread.c takes the blocks of a file written with our schema,
 * and avro-c's resolver any other). The input is the whole file.
 *
 * Properties: an error comes with a sentence naming the file; after a
 * final error every later call gives it again; the record position only
 * moves forward.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "schemas/decode.h"

static cw_schemas_t *schemas;

void cw_fuzz_init(void) {
        char err[512];

        if (!(schemas = cw_schemas_load(err, sizeof(err))))
                cw_fuzz_fail("schemas: %s", err);
}

/* Reads every record; returns after the end or a final error (one that
 * does not move the position: nothing after it can be read). */
static void read_all(cw_avro_input_t *in, const char *path) {
        struct cw_event ev;
        char err[1024], again[1024];

        for (;;) {
                long long before = cw_avro_input_position(in);
                int rc = cw_avro_input_next(in, &ev, err, sizeof(err));

                if (cw_avro_input_position(in) < before)
                        cw_fuzz_fail("the position went back");
                if (rc >= 0) {
                        if (rc == 0)
                                return;
                        continue;
                }
                if (!strstr(err, path))
                        cw_fuzz_fail("an error without the file: %s", err);
                if (cw_avro_input_position(in) != before)
                        continue;
                if (cw_avro_input_next(in, &ev, again, sizeof(again)) != -1 ||
                    strcmp(again, err))
                        cw_fuzz_fail("a final error did not stay: %s", err);
                return;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *path = cw_fuzz_file("input.avro", data, size);
        cw_avro_input_t *in;
        char err[1024] = "";

        if (!(in = cw_avro_input_open(path, schemas, err, sizeof(err)))) {
                if (!strstr(err, path))
                        cw_fuzz_fail("an error without the file: %s", err);
                return 0;
        }
        read_all(in, path);
        cw_avro_input_close(in);
        return 0;
}
