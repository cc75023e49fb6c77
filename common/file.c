#include "file.h"

#include <stdio.h>
#include <sys/stat.h>

enum cw_line cw_file_line(FILE *f, char *buf, size_t size) {
        size_t n = 0;
        int c;

        while ((c = getc_unlocked(f)) != EOF && c != '\n') {
                if (c == 0)
                        return CW_LINE_NUL;
                if (n + 1 >= size)
                        return CW_LINE_LONG;
                buf[n++] = (char)c;
        }
        if (c == EOF && n == 0)
                return CW_LINE_END;
        if (n > 0 && buf[n - 1] == '\r')
                n--;
        buf[n] = '\0';
        return CW_LINE_OK;
}

int cw_file_is_regular(const char *path) {
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cw_file_special(const char *path, char *why, size_t why_size) {
        struct stat st;
        const char *kind;

        if (stat(path, &st) || S_ISREG(st.st_mode))
                return 0;
        if (S_ISDIR(st.st_mode)) {
                snprintf(why, why_size, "is a folder, not a file");
                return 1;
        }
        kind = S_ISFIFO(st.st_mode)   ? "a FIFO (named pipe)"
               : S_ISCHR(st.st_mode)  ? "a character device"
               : S_ISBLK(st.st_mode)  ? "a block device"
               : S_ISSOCK(st.st_mode) ? "a socket"
                                      : "a special file";
        snprintf(why, why_size, "is %s, not a regular file", kind);
        return 1;
}
