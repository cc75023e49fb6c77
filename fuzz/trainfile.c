/*
 * Training sets as `churnwatch train` reads them back (CONTRACT.md
 * section 10; learn/trainfile.c): a CSV with customer_id, as_of, feature
 * columns and maybe label. The input is the file; the inputs asked for
 * are three features of the contract's example.
 *
 * Properties: a refusal names the file; what is read is consistent (a
 * label is 0 or 1).
 */
#include <string.h>

#include "fuzz.h"
#include "learn/trainfile.h"

static char *const inputs[] = {"purchases_30d", "nps_last",
                               "days_since_purchase"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *path = cw_fuzz_file("train.csv", data, size);
        char err[1024] = "";
        struct cw_trainfile *f =
                cw_trainfile_read(path, inputs, 3, err, sizeof(err));

        if (!f) {
                if (!strstr(err, path))
                        cw_fuzz_fail("a refusal without the file: %s", err);
                return 0;
        }
        for (size_t r = 0; r < f->n_rows; r++)
                if (f->label[r] > 1)
                        cw_fuzz_fail("row %zu has label %d", r, f->label[r]);
        cw_trainfile_destroy(f);
        return 0;
}
