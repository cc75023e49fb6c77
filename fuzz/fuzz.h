/*
 * What the harnesses share (docs/fuzzing.md): libFuzzer's two entry
 * points, a scratch folder for the parsers that read files, and a way to
 * report a broken property as a crash.
 */
#ifndef CW_FUZZ_H
#define CW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Logs below errors off: a harness runs millions of inputs. */
void cw_fuzz_quiet(void);

/* The path of `name` in the process's scratch folder, made on first use
 * (in /dev/shm when there is one, else $TMPDIR or /tmp) and removed with
 * its files at exit. The buffer is static: valid until the next call. */
const char *cw_fuzz_path(const char *name);

/* Writes `size` bytes to `name` in the scratch folder; its path. */
const char *cw_fuzz_file(const char *name, const void *data, size_t size);

/* A property the harness checks does not hold: says which on stderr and
 * aborts, which libFuzzer reports as a crash with the input. */
void cw_fuzz_fail(const char *fmt, ...)
        __attribute__((format(printf, 1, 2), noreturn));

#endif
