/*
 * cw_fuzz_seeds EVENTS_DIR OUT_DIR: the seeds of the `state` and
 * `changelog` harnesses, made from real state: the Avro files of
 * `churnwatch gen` in EVENTS_DIR go through an engine of the contract's
 * example configuration, as file replay does (one file after another,
 * which is not the contract's order: only the states matter here), then
 * OUT_DIR/state/ gets some customers' encoded state (each after 8 bytes of
 * stream time, as fuzz/state.c reads it) and OUT_DIR/changelog/ a few
 * shard metadata records. fuzz/make-corpus.sh runs it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "features/engine.h"
#include "pipeline/changelog.h"
#include "schemas/decode.h"

static void on_warning(void *opaque, const struct cw_warning *w) {
        (void)opaque;
        (void)w;
}

static int write_file(const char *dir, const char *name, const void *a,
                      size_t na, const void *b, size_t nb) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (!(f = fopen(path, "wb")) || fwrite(a, 1, na, f) != na ||
            fwrite(b, 1, nb, f) != nb || fclose(f)) {
                fprintf(stderr, "cw_fuzz_seeds: cannot write %s\n", path);
                return -1;
        }
        return 0;
}

/* Every record of every .avro file in dir into the engine. */
static int replay(cw_engine_t *e, const char *dir, const cw_schemas_t *s) {
        struct dirent **names;
        int n = scandir(dir, &names, NULL, alphasort);
        char path[4096], err[1024];

        for (int i = 0; i < n; i++) {
                cw_avro_input_t *in;
                struct cw_event ev;
                int rc;
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                free(names[i]);
                if (!strstr(path, ".avro") ||
                    !(in = cw_avro_input_open(path, s, err, sizeof(err))))
                        continue;
                while ((rc = cw_avro_input_next(in, &ev, err, sizeof(err))))
                        if (rc > 0)
                                cw_engine_process(e, &ev);
                cw_avro_input_close(in);
        }
        free(names);
        return n < 0 ? -1 : 0;
}

/* 12 customers' states, spread over the table, and 3 metadata records. */
static int write_seeds(cw_engine_t *e, const char *out) {
        int64_t now = cw_engine_stream_time(e);
        size_t n = cw_engine_customers(e);
        uint8_t when[8], buf[65536], meta[CW_CHANGELOG_META_LEN];
        char dir[4096], name[64];
        int rc = 0;

        for (int i = 0; i < 8; i++)
                when[i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
        snprintf(dir, sizeof(dir), "%s/state", out);
        for (size_t k = 0; k < 12 && k < n; k++) {
                size_t len = cw_engine_encode_customer(e, k * n / 12, buf,
                                                       sizeof(buf));
                snprintf(name, sizeof(name), "customer-%zu", k);
                rc |= len <= sizeof(buf)
                              ? write_file(dir, name, when, 8, buf, len)
                              : 0;
        }
        snprintf(dir, sizeof(dir), "%s/changelog", out);
        for (int k = 0; k < 3; k++) {
                struct cw_shard_meta m = {.stream_time = k ? now : CW_TIME_NONE,
                                          .applied = (uint64_t)k * 1000};
                for (int s = 0; s < CW_STREAM_COUNT; s++)
                        m.pos.next[s] = k ? k * 100 + s : -1;
                cw_changelog_encode_meta(&m, meta);
                snprintf(name, sizeof(name), "meta-%d", k);
                rc |= write_file(dir, name, meta, sizeof(meta), "", 0);
        }
        return rc;
}

int main(int argc, char **argv) {
        struct cw_diags d;
        cw_config_t *c;
        cw_schemas_t *s;
        cw_engine_t *e;
        char err[1024];
        int rc = 1;

        if (argc != 3) {
                fprintf(stderr, "usage: cw_fuzz_seeds EVENTS_DIR OUT_DIR\n");
                return 2;
        }
        cw_diags_init(&d);
        c = cw_config_load(
                CW_SOURCE_DIR "/tests/data/configs/good/contract.cfg", &d);
        s = cw_schemas_load(err, sizeof(err));
        e = c ? cw_engine_new(&c->engine, on_warning, NULL, err, sizeof(err))
              : NULL;
        if (e && s && replay(e, argv[1], s) == 0)
                rc = write_seeds(e, argv[2]) ? 1 : 0;
        else
                fprintf(stderr, "cw_fuzz_seeds: %s\n", d.n ? d.msgs[0] : err);
        cw_engine_destroy(e);
        cw_schemas_destroy(s);
        cw_config_destroy(c);
        cw_diags_free(&d);
        return rc;
}
