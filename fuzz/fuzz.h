/*
 * What the harnesses share (docs/fuzzing.md): libFuzzer's entry point, a
 * set-up, a scratch folder for the parsers that read files, configurations
 * and engines, and a way to report a broken property as a crash.
 */
#ifndef CW_FUZZ_H
#define CW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "features/warning.h"

/* Each harness's input; util.c defines LLVMFuzzerInitialize(). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness's own set-up, once before the first input, after logs below
 * errors are turned off (a harness runs millions of inputs). util.c has
 * one that does nothing, for the harnesses that need none. */
void cw_fuzz_init(void);

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

/* The configuration `text` (written to `name` in the scratch folder), or
 * with text NULL the file `name`; a failure to load it is a crash. */
cw_config_t *cw_fuzz_config(const char *name, const char *text);

/* The engines' warning callback: the harnesses look at state, not at
 * warnings. */
void cw_fuzz_no_warning(void *opaque, const struct cw_warning *w);

#endif
