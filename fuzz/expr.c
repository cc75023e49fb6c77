/*
 * The expression language (CONTRACT.md section 3; features/expr.c) as
 * `when`, `clear`, `expr` and `where` use it. Byte 0 picks the scope:
 * features (names below) or the fields of one stream, as in `where`; the
 * rest is the source. A program that compiles runs on a few rows.
 *
 * Properties: a refusal has a sentence; a program reads only slots of its
 * scope.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features/expr.h"
#include "fuzz.h"

static const char *const features[] = {
        "purchases_30d",  "purchases_90d",  "spend_90d",          "nps_last",
        "complaints_30d", "purchase_trend", "days_since_purchase"};
#define N_FEATURES ((int)(sizeof(features) / sizeof(*features)))

static int feature_lookup(void *opaque, const char *name, size_t len,
                          struct cw_expr_var *out) {
        (void)opaque;
        for (int i = 0; i < N_FEATURES; i++)
                if (strlen(features[i]) == len &&
                    !memcmp(features[i], name, len)) {
                        out->kind = CW_EXPR_VAR_NUM;
                        out->slot = i;
                        out->symbols = NULL;
                        return 0;
                }
        return -1;
}

/* A stream's fields by their type, as `where` sees them. */
static int field_lookup(void *opaque, const char *name, size_t len,
                        struct cw_expr_var *out) {
        cw_stream_t s = *(const cw_stream_t *)opaque;
        int slot = cw_stream_field(s, name, len);
        cw_field_type_t t;

        if (slot < 0)
                return -1;
        t = cw_streams[s].fields[slot].type;
        out->slot = slot;
        out->symbols = cw_streams[s].fields[slot].symbols;
        out->kind = t == CW_FIELD_STR    ? CW_EXPR_VAR_STR
                    : t == CW_FIELD_ENUM ? CW_EXPR_VAR_ENUM
                                         : CW_EXPR_VAR_NUM;
        return 0;
}

/* Runs e on rows of ordinary, missing, extreme and string values. */
static void run(const cw_expr_t *e) {
        static const double fill[] = {0, 1, NAN, -1e308, INFINITY, 3.5};
        double num[16];
        cw_str_t str[16];

        for (size_t k = 0; k < sizeof(fill) / sizeof(*fill); k++) {
                for (int i = 0; i < 16; i++) {
                        num[i] = fill[(k + (size_t)i) % 6];
                        str[i] = k % 2 ? (cw_str_t){"complaint", 9}
                                       : (cw_str_t){NULL, 0};
                }
                (void)cw_expr_eval(e, num, str);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct cw_expr_scope scope = {"feature", feature_lookup, NULL};
        cw_stream_t stream;
        char err[512] = "", *src;
        const int *slots;
        cw_expr_t *e;
        int n;

        if (size < 1 || !(src = malloc(size)))
                return 0;
        memcpy(src, data + 1, size - 1);
        src[size - 1] = 0;
        if (data[0] % 5) {
                stream = (cw_stream_t)(data[0] % 5 - 1);
                scope = (struct cw_expr_scope){"field", field_lookup, &stream};
        }
        e = cw_expr_compile(src, &scope, err, sizeof(err));
        free(src);
        if (!e) {
                if (!*err)
                        cw_fuzz_fail("a refusal without a sentence");
                return 0;
        }
        slots = cw_expr_slots(e, &n);
        for (int i = 0; i < n; i++)
                if (slots[i] < 0 || slots[i] >= 16)
                        cw_fuzz_fail("slot %d out of its scope", slots[i]);
        run(e);
        cw_expr_destroy(e);
        return 0;
}
