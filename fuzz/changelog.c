/*
 * The shard metadata records of the state changelog
 * (pipeline/changelog.c: stream time, events applied, input positions).
 *
 * Property: a record that decodes encodes to the same bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "pipeline/changelog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cw_shard_meta m;
        uint8_t again[CW_CHANGELOG_META_LEN];

        if (cw_changelog_decode_meta(data, size, &m))
                return 0;
        cw_changelog_encode_meta(&m, again);
        if (size != sizeof(again) || memcmp(data, again, size))
                cw_fuzz_fail("the metadata record does not encode back");
        return 0;
}
