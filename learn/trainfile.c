#include "trainfile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/timeparse.h"
#include "features/engine_conf.h"

/* One CSV record at a time: the text of its lines, split into fields in
 * place (unquoted, NUL-terminated). */
struct reader {
        FILE *f;
        const char *path;
        char *text, *lbuf;
        size_t cap, lcap;
        long line, next_line; /* the record's first line; the next one */
        char **field;
        int n_fields, cap_fields;
        char *err;
        size_t err_size;
};

/* "file:line: sentence" in r->err; returns -1. */
__attribute__((format(printf, 2, 3))) static int fail(struct reader *r,
                                                      const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(r->err, r->err_size, "%s:%ld: %s", r->path, r->line, msg);
        return -1;
}

static int push_field(struct reader *r, char *p) {
        if (r->n_fields == r->cap_fields) {
                int cap = r->cap_fields ? r->cap_fields * 2 : 32;
                char **a = realloc(r->field, (size_t)cap * sizeof(*a));
                if (!a)
                        return -1;
                r->field = a;
                r->cap_fields = cap;
        }
        r->field[r->n_fields++] = p;
        return 0;
}

/* Splits r->text into fields, unquoting in place. 0, or -1 with a
 * sentence. */
static int split(struct reader *r) {
        char *p = r->text, *w;

        r->n_fields = 0;
        for (;;) {
                if (push_field(r, p))
                        return fail(r, "out of memory");
                if (*p != '"') {
                        p += strcspn(p, ",");
                } else {
                        for (w = p++;; p++) {
                                if (*p == '"' && p[1] == '"')
                                        p++;
                                else if (*p == '"')
                                        break;
                                else if (!*p)
                                        return fail(r, "a quoted field has no "
                                                       "closing quote");
                                *w++ = *p;
                        }
                        *w = 0;
                        if (*++p && *p != ',')
                                return fail(r, "text after the closing quote "
                                               "of a field");
                }
                if (!*p)
                        return 0;
                *p++ = 0;
        }
}

static size_t count_quotes(const char *s, size_t n) {
        size_t q = 0;
        for (size_t i = 0; i < n; i++)
                q += s[i] == '"';
        return q;
}

/* The next record: 1, 0 at the end of the file, -1 with a sentence. Lines
 * are joined while a quoted field is open (an odd number of quotes). */
static int next_record(struct reader *r) {
        size_t len = 0, quotes = 0;
        ssize_t n;

        r->line = r->next_line;
        while ((n = getline(&r->lbuf, &r->lcap, r->f)) > 0) {
                r->next_line++;
                if (len + (size_t)n + 1 > r->cap) {
                        size_t cap = (len + (size_t)n + 1) * 2;
                        char *t = realloc(r->text, cap);
                        if (!t)
                                return fail(r, "out of memory");
                        r->text = t;
                        r->cap = cap;
                }
                memcpy(r->text + len, r->lbuf, (size_t)n);
                len += (size_t)n;
                quotes += count_quotes(r->lbuf, (size_t)n);
                if (quotes % 2 == 0)
                        break;
        }
        if (len == 0)
                return 0;
        if (quotes % 2)
                return fail(r, "a quoted field has no closing quote");
        if (r->text[len - 1] == '\n')
                len--;
        if (len && r->text[len - 1] == '\r')
                len--;
        r->text[len] = 0;
        return split(r) ? -1 : 1;
}

/* Where the wanted columns are: col[j] the field of input j; label the
 * field of the label, or -1. */
struct layout {
        int n_fields;
        int *col;
        int label;
};

static int find_column(struct reader *r, int first, int end, const char *name) {
        for (int i = first; i < end; i++)
                if (!strcmp(r->field[i], name))
                        return i;
        return -1;
}

/* Checks the header, then sets tf's input names and the layout. */
static int read_header(struct reader *r, struct cw_trainfile *tf,
                       char *const *inputs, int n_inputs, struct layout *l) {
        int end, rc = next_record(r);

        if (rc <= 0)
                return rc ? -1
                          : fail(r, "empty; the first line must be "
                                    "customer_id,as_of,<features>"
                                    "[,label]");
        if (r->n_fields < 2 || strcmp(r->field[0], "customer_id") ||
            strcmp(r->field[1], "as_of"))
                return fail(r, "the header must start with "
                               "customer_id,as_of: this is not a training "
                               "set of replay --features");
        l->n_fields = r->n_fields;
        end = r->n_fields;
        l->label = -1;
        if (!strcmp(r->field[end - 1], "label"))
                l->label = --end;
        tf->has_label = l->label >= 0;
        for (int i = 2; i < end; i++)
                if (!cw_engine_conf_valid_name(r->field[i]) ||
                    find_column(r, 2, i, r->field[i]) >= 0)
                        return fail(r,
                                    "column %d, '%s', is not a feature "
                                    "name, or appears twice",
                                    i + 1, r->field[i]);
        tf->n_inputs = inputs ? n_inputs : end - 2;
        tf->inputs = calloc((size_t)tf->n_inputs + 1, sizeof(char *));
        tf->inf_line = calloc((size_t)tf->n_inputs + 1, sizeof(long));
        l->col = calloc((size_t)tf->n_inputs + 1, sizeof(int));
        if (!tf->inputs || !tf->inf_line || !l->col)
                return fail(r, "out of memory");
        for (int j = 0; j < tf->n_inputs; j++) {
                const char *name = inputs ? inputs[j] : r->field[2 + j];
                if ((l->col[j] = find_column(r, 2, end, name)) < 0)
                        return fail(r, "no column '%s' in the header", name);
                if (!(tf->inputs[j] = strdup(name)))
                        return fail(r, "out of memory");
        }
        return 0;
}

/* Room for one more row. */
static int grow_rows(struct cw_trainfile *tf, size_t *cap) {
        size_t n = *cap ? *cap * 2 : 4096, d = (size_t)tf->n_inputs;
        int64_t *a = realloc(tf->as_of, n * sizeof(*a));
        if (a)
                tf->as_of = a;
        uint8_t *y = realloc(tf->label, n);
        if (y)
                tf->label = y;
        double *x = realloc(tf->x, n * (d ? d : 1) * sizeof(*x));
        if (x)
                tf->x = x;
        if (!a || !y || !x)
                return -1;
        *cap = n;
        return 0;
}

static int read_number(struct reader *r, struct cw_trainfile *tf, int j,
                       const char *s, double *out) {
        char *end;

        if (!*s) {
                *out = NAN;
                return 0;
        }
        errno = 0;
        *out = strtod(s, &end);
        if (*end || end == s)
                return fail(r, "column '%s': '%s' is not a number",
                            tf->inputs[j], s);
        if (isinf(*out) && !tf->inf_line[j])
                tf->inf_line[j] = r->line;
        return 0;
}

/* One data record into row tf->n_rows. `last` caches the as_of text
 * parsed last: rows of one sample time share it. */
static int read_row(struct reader *r, struct cw_trainfile *tf,
                    const struct layout *l, char **last, int64_t *last_t) {
        size_t row = tf->n_rows, d = (size_t)tf->n_inputs;
        const char *as_of = r->field[1], *y;
        char err[256];

        if (r->n_fields != l->n_fields)
                return fail(r, "%d fields where the header has %d", r->n_fields,
                            l->n_fields);
        if (!*last || strcmp(*last, as_of)) {
                if (cw_time_parse(as_of, last_t, err, sizeof(err)))
                        return fail(r, "as_of: %s", err);
                free(*last);
                if (!(*last = strdup(as_of)))
                        return fail(r, "out of memory");
        }
        tf->as_of[row] = *last_t;
        for (size_t j = 0; j < d; j++)
                if (read_number(r, tf, (int)j, r->field[l->col[j]],
                                &tf->x[row * d + j]))
                        return -1;
        tf->label[row] = 0;
        if (l->label >= 0) {
                y = r->field[l->label];
                if (strcmp(y, "0") && strcmp(y, "1"))
                        return fail(r, "label: '%s'; a label is 0 or 1", y);
                tf->label[row] = *y == '1';
        }
        tf->n_rows++;
        return 0;
}

static int read_rows(struct reader *r, struct cw_trainfile *tf,
                     const struct layout *l) {
        size_t cap = 0;
        char *last = NULL;
        int64_t last_t = 0;
        int rc;

        while ((rc = next_record(r)) > 0) {
                if (r->n_fields == 1 && !*r->field[0])
                        continue; /* a blank line */
                if (tf->n_rows == cap && grow_rows(tf, &cap)) {
                        rc = fail(r, "out of memory");
                        break;
                }
                if ((rc = read_row(r, tf, l, &last, &last_t)))
                        break;
        }
        free(last);
        if (rc == 0 && ferror(r->f)) {
                snprintf(r->err, r->err_size, "%s: %s", r->path,
                         strerror(errno));
                rc = -1;
        }
        return rc;
}

struct cw_trainfile *cw_trainfile_read(const char *path, char *const *inputs,
                                       int n_inputs, char *errstr,
                                       size_t errstr_size) {
        struct reader r = {.path = path,
                           .next_line = 1,
                           .err = errstr,
                           .err_size = errstr_size};
        struct cw_trainfile *tf = calloc(1, sizeof(*tf));
        struct layout l = {0};
        char why[128];
        int rc = -1;

        if (!tf) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (cw_file_special(path, why, sizeof(why))) {
                snprintf(errstr, errstr_size, "%s: %s", path, why);
                goto out;
        }
        if (!(r.f = fopen(path, "r"))) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                goto out;
        }
        if (!read_header(&r, tf, inputs, n_inputs, &l) &&
            !read_rows(&r, tf, &l))
                rc = 0;
out:
        if (r.f)
                fclose(r.f);
        free(r.text);
        free(r.lbuf);
        free(r.field);
        free(l.col);
        if (rc) {
                cw_trainfile_destroy(tf);
                return NULL;
        }
        return tf;
}

void cw_trainfile_destroy(struct cw_trainfile *f) {
        if (!f)
                return;
        for (int j = 0; f->inputs && j < f->n_inputs; j++)
                free(f->inputs[j]);
        free(f->inputs);
        free(f->inf_line);
        free(f->as_of);
        free(f->x);
        free(f->label);
        free(f);
}
