/*
 * Configuration files (CONTRACT.md section 3, docs/configuration.md):
 * libconfig text, expressions, durations, models and every root setting,
 * through cw_config_load() (config/). The input is the file.
 *
 * Property: a file that does not load says why, each problem as
 * "file:line: sentence" (line 0 for the file as a whole).
 */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *path = cw_fuzz_file("churnwatch.cfg", data, size);
        struct cw_diags d;
        cw_config_t *c;

        cw_diags_init(&d);
        c = cw_config_load(path, &d);
        if (!c && d.n == 0)
                cw_fuzz_fail("a configuration refused without a message");
        for (int i = 0; i < d.n; i++)
                if (!strchr(d.msgs[i], ':'))
                        cw_fuzz_fail("a message without its place: %s",
                                     d.msgs[i]);
        cw_config_destroy(c);
        cw_diags_free(&d);
        return 0;
}
