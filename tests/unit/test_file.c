/* common/file.c: what churnwatch reads must be a regular file, and lines
 * of text are read into a bounded buffer. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

static char dir[64], path[128];

static void setup(void) {
        snprintf(dir, sizeof(dir), "/tmp/cw_test_file_XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        cr_assert_eq(system(cmd), 0);
}

TestSuite(file, .init = setup, .fini = teardown);

static const char *in_dir(const char *name) {
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return path;
}

static FILE *text_file(const char *text, size_t len) {
        FILE *f = fopen(in_dir("text"), "w+b");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(text, 1, len, f), len);
        rewind(f);
        return f;
}

Test(file, folders_fifos_and_devices_are_special_with_a_sentence) {
        char why[128];

        cr_assert_eq(cw_file_special(dir, why, sizeof(why)), 1);
        cr_assert_str_eq(why, "is a folder, not a file");
        cr_assert_eq(mkfifo(in_dir("fifo"), 0600), 0);
        cr_assert_eq(cw_file_special(path, why, sizeof(why)), 1);
        cr_assert_str_eq(why, "is a FIFO (named pipe), not a regular file");
        cr_assert_eq(cw_file_is_regular(path), 0);
        cr_assert_eq(cw_file_special("/dev/null", why, sizeof(why)), 1);
        cr_assert_str_eq(why, "is a character device, not a regular file");
        cr_assert_eq(cw_file_is_regular("/dev/full"), 0);
}

Test(file, a_regular_file_or_a_link_to_one_is_not_special) {
        char why[128] = "", plain[128];
        FILE *f = fopen(in_dir("plain"), "w");

        fclose(f);
        snprintf(plain, sizeof(plain), "%s", path);
        cr_assert_eq(cw_file_special(plain, why, sizeof(why)), 0);
        cr_assert_eq(cw_file_is_regular(plain), 1);
        cr_assert_eq(symlink(plain, in_dir("link")), 0);
        cr_assert_eq(cw_file_special(path, why, sizeof(why)), 0);
        cr_assert_eq(cw_file_is_regular(path), 1);
        /* A missing file is for the open to report. */
        cr_assert_eq(cw_file_special(in_dir("missing"), why, sizeof(why)), 0);
        cr_assert_eq(cw_file_is_regular(path), 0);
}

Test(file, lines_lose_their_end_and_the_last_needs_none) {
        FILE *f = text_file("a,1\r\n\nb,2\nc,3", 13);
        char buf[16];

        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_OK);
        cr_assert_str_eq(buf, "a,1");
        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_OK);
        cr_assert_str_eq(buf, "");
        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_OK);
        cr_assert_str_eq(buf, "b,2");
        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_OK);
        cr_assert_str_eq(buf, "c,3");
        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_END);
        fclose(f);
}

Test(file, a_line_too_long_is_read_no_further_than_the_buffer) {
        static char text[1 << 20];
        char buf[16];
        FILE *f;

        memset(text, 'x', sizeof(text));
        memcpy(text, "fifteen bytes!!\n", 16);
        f = text_file(text, sizeof(text));
        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_OK);
        cr_assert_str_eq(buf, "fifteen bytes!!");
        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_LONG);
        cr_assert_lt(ftell(f), 64, "read %ld bytes of the long line", ftell(f));
        fclose(f);
}

Test(file, a_nul_byte_is_not_text) {
        FILE *f = text_file("ok\nb\0d\n", 7);
        char buf[16];

        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_OK);
        cr_assert_eq(cw_file_line(f, buf, sizeof(buf)), CW_LINE_NUL);
        fclose(f);
}
