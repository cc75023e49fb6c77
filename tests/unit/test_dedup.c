#include <criterion/criterion.h>
#include <stdio.h>

#include "common/dedup.h"

static void id_of(int n, char out[33]) {
        snprintf(out, 33, "%016x%016x", n * 2654435761u, n);
}

Test(dedup, an_id_seen_again_is_a_duplicate) {
        cw_dedup_t *d = cw_dedup_new(100);
        char a[33], b[33];
        id_of(1, a);
        id_of(2, b);
        cr_assert_eq(cw_dedup_seen(d, a), 0);
        cr_assert_eq(cw_dedup_seen(d, b), 0);
        cr_assert_eq(cw_dedup_seen(d, a), 1);
        cr_assert_eq(cw_dedup_seen(d, b), 1);
        cw_dedup_destroy(d);
}

Test(dedup, memory_is_bounded_and_keeps_the_last_half_capacity) {
        cw_dedup_t *d = cw_dedup_new(1000);
        char id[33];
        for (int i = 1; i <= 10000; i++) {
                id_of(i, id);
                cr_assert_eq(cw_dedup_seen(d, id), 0, "id %d", i);
        }
        /* The last 500 are always remembered; the first ones are gone. */
        for (int i = 9501; i <= 10000; i++) {
                id_of(i, id);
                cr_assert_eq(cw_dedup_seen(d, id), 1, "id %d", i);
        }
        id_of(1, id);
        cr_assert_eq(cw_dedup_seen(d, id), 0);
        cw_dedup_destroy(d);
}

Test(dedup, malformed_ids_are_never_duplicates) {
        cw_dedup_t *d = cw_dedup_new(10);
        const char *bad[] = {"", "xyz", "0123456789ABCDEF0123456789abcdef",
                             "00000000000000000000000000000000",
                             "0123456789abcdef0123456789abcdef0"};
        for (int i = 0; i < 5; i++) {
                cr_assert_eq(cw_dedup_seen(d, bad[i]), 0);
                cr_assert_eq(cw_dedup_seen(d, bad[i]), 0);
        }
        cw_dedup_destroy(d);
}
