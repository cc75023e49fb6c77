/*
 * The root settings of the configuration file, as one table (name, type,
 * default, bounds, help), as librdkafka's rd_kafka_properties[] and
 * Redis's static_configs[]: the loader sets the defaults and reads and
 * checks every setting from it, `check-config` names the known ones from
 * it, and the reference in docs/configuration.md is generated from it
 * (tools/settings_doc.c; tests/source/settings_doc.sh keeps them equal).
 */
#ifndef CW_SETTINGS_H
#define CW_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cw_setting_kind {
        CW_SETTING_SECTION,  /* a list of groups, read by its own loader */
        CW_SETTING_GROUP,    /* kafka, topics: read by their own loader */
        CW_SETTING_DURATION, /* "<n>d" or "<n>h", at least `lo` ms */
        CW_SETTING_MS,       /* a whole number of milliseconds, lo to hi */
        CW_SETTING_CHOICE,   /* one of `choices`; the index is stored */
        CW_SETTING_ADDRESS,  /* "HOST:PORT" (common/hostport.h); a copy is
                                stored, NULL when absent */
};

struct cw_setting {
        const char *name;
        enum cw_setting_kind kind;
        /* Where the value goes in cw_config_t (offsetof), or -1 for
         * sections and groups. DURATION: int64_t; MS and CHOICE: int;
         * ADDRESS: char *. */
        long offset;
        /* The default as a file would write it, parsed by the loader;
         * NULL when none or when it follows from other settings (then
         * `default_doc` says how). */
        const char *default_value;
        const char *default_doc;
        int64_t lo, hi;             /* MS bounds; DURATION minimum (lo) */
        const char *const *choices; /* CHOICE: NULL-terminated */
        const char *type_doc;       /* the type, for the reference */
        const char *help;           /* one sentence or two, markdown */
};

extern const struct cw_setting cw_settings[];
extern const int cw_n_settings;

/* The setting named `name`, or NULL. */
const struct cw_setting *cw_setting_find(const char *name);

/* Writes the reference table (markdown) of every root setting. */
void cw_settings_markdown(FILE *out);

#endif
