/*
 * Files churnwatch reads whole (its configuration, model files, label
 * files, training sets, input files) must be regular files: a folder
 * cannot be read as one, opening a FIFO without a writer blocks for ever,
 * and a device such as /dev/zero never ends. The check comes before the
 * open.
 */
#ifndef CW_FILE_H
#define CW_FILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * 1 when path exists and is not a regular file (symbolic links followed),
 * with a sentence without the path in why: "is a folder, not a file", "is
 * a FIFO (named pipe), not a regular file", ...; else 0: a regular file,
 * or one stat() cannot see, whose open then says why.
 */
int cw_file_special(const char *path, char *why, size_t why_size);

/*
 * Whether path names a regular file (symbolic links followed). An output
 * that a failure leaves incomplete is removed when it is one, and left
 * alone when it is a device (/dev/full) or a FIFO.
 */
int cw_file_is_regular(const char *path);

/* What cw_file_line() read. */
enum cw_line {
        CW_LINE_OK = 0,    /* a line, in buf */
        CW_LINE_END = -1,  /* the end of the file, or a read error */
        CW_LINE_LONG = -2, /* longer than size - 1 bytes */
        CW_LINE_NUL = -3,  /* a NUL byte: not text */
};

/*
 * Reads one line of text into buf (size bytes, NUL-terminated, without its
 * "\n" or "\r\n"); a file's last line needs no "\n". A line too long or
 * not text is read no further than where that shows: a line of a gigabyte
 * costs what one of `size` bytes does, and the caller stops there.
 */
enum cw_line cw_file_line(FILE *f, char *buf, size_t size);

#endif
