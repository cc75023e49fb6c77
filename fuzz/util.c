#include "fuzz.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static char scratch[256];
static char path[512];

__attribute__((weak)) void cw_fuzz_init(void) {}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        cw_log_setup(CW_LOG_ERROR, CW_LOG_TEXT, stderr);
        cw_fuzz_init();
        return 0;
}

void cw_fuzz_fail(const char *fmt, ...) {
        va_list ap;

        fputs("fuzz: property broken: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        abort();
}

static void remove_scratch(void) {
        DIR *d = opendir(scratch);
        struct dirent *e;

        if (!d)
                return;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                        snprintf(path, sizeof(path), "%s/%s", scratch,
                                 e->d_name);
                        unlink(path);
                }
        closedir(d);
        rmdir(scratch);
}

static void make_scratch(void) {
        const char *tmp = getenv("TMPDIR");

        if (access("/dev/shm", W_OK) == 0)
                tmp = "/dev/shm";
        else if (!tmp || !*tmp)
                tmp = "/tmp";
        snprintf(scratch, sizeof(scratch), "%s/cw-fuzz-XXXXXX", tmp);
        if (!mkdtemp(scratch))
                cw_fuzz_fail("cannot make a scratch folder in %s", tmp);
        atexit(remove_scratch);
}

const char *cw_fuzz_path(const char *name) {
        if (!scratch[0])
                make_scratch();
        snprintf(path, sizeof(path), "%s/%s", scratch, name);
        return path;
}

const char *cw_fuzz_file(const char *name, const void *data, size_t size) {
        const char *p = cw_fuzz_path(name);
        FILE *f = fopen(p, "wb");

        if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
                cw_fuzz_fail("cannot write %s", p);
        return p;
}

cw_config_t *cw_fuzz_config(const char *name, const char *text) {
        const char *path = text ? cw_fuzz_file(name, text, strlen(text)) : name;
        struct cw_diags d;
        cw_config_t *c;

        cw_diags_init(&d);
        if (!(c = cw_config_load(path, &d)))
                cw_fuzz_fail("%s: %s", name, d.n ? d.msgs[0] : "?");
        cw_diags_free(&d);
        return c;
}

void cw_fuzz_no_warning(void *opaque, const struct cw_warning *w) {
        (void)opaque;
        (void)w;
}
