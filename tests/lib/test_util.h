/* Helpers shared by the Criterion suites: temporary folders and files. */
#ifndef CW_TEST_UTIL_H
#define CW_TEST_UTIL_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "schemas/schemas.h"

/* Makes a fresh folder /tmp/cw_test_<name>_XXXXXX in dir (64 bytes). */
static inline void tmpdir_make(char dir[64], const char *name) {
        snprintf(dir, 64, "/tmp/cw_test_%s_XXXXXX", name);
        cr_assert_not_null(mkdtemp(dir), "mkdtemp");
}

static inline int tmpdir_remove_entry(const char *path, const struct stat *st,
                                      int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

/* Removes the folder and everything in it. */
static inline void tmpdir_remove(const char *dir) {
        nftw(dir, tmpdir_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The whole file, NUL-terminated; *len gets its size (len may be NULL). */
static inline char *slurp(const char *path, size_t *len) {
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;
        cr_assert_not_null(f, "cannot open %s", path);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t)n + 1);
        cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        if (len)
                *len = (size_t)n;
        return buf;
}

/* Our schemas, or the test fails. */
static inline cw_schemas_t *schemas_or_fail(void) {
        char err[512] = "";
        cw_schemas_t *s = cw_schemas_load(err, sizeof(err));
        cr_assert_not_null(s, "%s", err);
        return s;
}

#endif
