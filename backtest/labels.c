#include "labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/idtab.h"
#include "common/timeparse.h"

struct cw_labels {
        cw_idtab_t *ids; /* the customers, numbered in file order */
        int64_t *at;     /* [number]: churned_at */
        size_t cap;
};

/* Sets id's churned_at, adding it when new. 0, or -1 out of memory.
 * Room for a new one is made first, so that the table and at[] agree. */
static int put(cw_labels_t *l, const char *id, size_t len, int64_t at) {
        int added;
        long i;

        if (cw_idtab_count(l->ids) == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 1024;
                int64_t *a = realloc(l->at, cap * sizeof(*a));
                if (!a)
                        return -1;
                l->at = a;
                l->cap = cap;
        }
        if ((i = cw_idtab_add(l->ids, id, len, &added)) < 0)
                return -1;
        l->at[i] = at;
        return 0;
}

/* One line after the header: 0, or -1 with "file:line: sentence". */
static int read_line(cw_labels_t *l, const char *path, int ln, char *line,
                     char *errstr, size_t errstr_size) {
        char *comma = strrchr(line, ','), err[256];
        int64_t at;

        if (!comma || comma == line) {
                snprintf(errstr, errstr_size,
                         "%s:%d: expected customer_id,churned_at", path, ln);
                return -1;
        }
        if (cw_time_parse(comma + 1, &at, err, sizeof(err))) {
                snprintf(errstr, errstr_size, "%s:%d: churned_at: %s", path, ln,
                         err);
                return -1;
        }
        if (put(l, line, (size_t)(comma - line), at)) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        return 0;
}

/* A line that cw_file_line() refused: -1 with "file:line: sentence". */
static int bad_line(enum cw_line rc, const char *path, int ln, char *errstr,
                    size_t errstr_size) {
        if (rc == CW_LINE_LONG)
                snprintf(errstr, errstr_size,
                         "%s:%d: a line longer than %d bytes: a label is a "
                         "customer_id (at most 256 bytes), a comma and a time",
                         path, ln, CW_LABELS_LINE_MAX - 1);
        else
                snprintf(errstr, errstr_size,
                         "%s:%d: a NUL byte: a label file is text", path, ln);
        return -1;
}

static int read_file(cw_labels_t *l, FILE *f, const char *path, char *errstr,
                     size_t errstr_size) {
        char line[CW_LABELS_LINE_MAX];
        enum cw_line rc;
        int ln = 0;

        while ((rc = cw_file_line(f, line, sizeof(line))) != CW_LINE_END) {
                if (rc != CW_LINE_OK)
                        return bad_line(rc, path, ln + 1, errstr, errstr_size);
                if (++ln == 1) {
                        if (strcmp(line, "customer_id,churned_at")) {
                                snprintf(errstr, errstr_size,
                                         "%s:1: the header must be "
                                         "customer_id,churned_at",
                                         path);
                                return -1;
                        }
                        continue;
                }
                if (*line && read_line(l, path, ln, line, errstr, errstr_size))
                        return -1;
        }
        if (ferror(f)) {
                snprintf(errstr, errstr_size, "%s:%d: %s", path, ln + 1,
                         strerror(errno ? errno : EIO));
                return -1;
        }
        if (ln == 0) {
                snprintf(errstr, errstr_size,
                         "%s: empty; the first line must be "
                         "customer_id,churned_at",
                         path);
                return -1;
        }
        return 0;
}

cw_labels_t *cw_labels_read(const char *path, char *errstr,
                            size_t errstr_size) {
        cw_labels_t *l = calloc(1, sizeof(*l));
        char why[128];
        FILE *f;

        if (!l) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (cw_file_special(path, why, sizeof(why))) {
                snprintf(errstr, errstr_size, "%s: %s", path, why);
                cw_labels_destroy(l);
                return NULL;
        }
        if (!(f = fopen(path, "r"))) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                cw_labels_destroy(l);
                return NULL;
        }
        if (!(l->ids = cw_idtab_new())) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_fail;
        }
        if (read_file(l, f, path, errstr, errstr_size))
                goto out_fail;
        fclose(f);
        return l;

out_fail:
        fclose(f);
        cw_labels_destroy(l);
        return NULL;
}

void cw_labels_destroy(cw_labels_t *l) {
        if (!l)
                return;
        cw_idtab_destroy(l->ids);
        free(l->at);
        free(l);
}

size_t cw_labels_count(const cw_labels_t *l) {
        return cw_idtab_count(l->ids);
}

void cw_labels_entry(const cw_labels_t *l, size_t i, const char **id,
                     size_t *len, int64_t *churned_at) {
        *id = cw_idtab_id(l->ids, i, len);
        *churned_at = l->at[i];
}

int cw_labels_find(const cw_labels_t *l, const char *id, size_t len,
                   int64_t *churned_at) {
        long i = cw_idtab_find(l->ids, id, len);
        if (i < 0)
                return 0;
        *churned_at = l->at[i];
        return 1;
}
