/*
 * Churn label files of backtests and training sets (CONTRACT.md section
 * 7: customer_id,churned_at), read by backtest/labels.c. The input is
 * the file.
 *
 * Properties: a refusal names the file; every customer read is found
 * again with the time read for it.
 */
#include <string.h>

#include "backtest/labels.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *path = cw_fuzz_file("labels.csv", data, size);
        char err[1024] = "";
        cw_labels_t *l = cw_labels_read(path, err, sizeof(err));

        if (!l) {
                if (!strstr(err, path))
                        cw_fuzz_fail("a refusal without the file: %s", err);
                return 0;
        }
        for (size_t i = 0; i < cw_labels_count(l); i++) {
                const char *id;
                size_t len;
                int64_t at, found;
                cw_labels_entry(l, i, &id, &len, &at);
                if (!cw_labels_find(l, id, len, &found) || found != at)
                        cw_fuzz_fail("customer %zu is not found again", i);
        }
        cw_labels_destroy(l);
        return 0;
}
