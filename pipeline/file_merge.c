#include "file_merge.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "schemas/decode.h"

/* Invalid records beyond this many are counted but not logged one by one. */
#define LOG_INVALID_MAX 20

/* Stable storage for the strings of sorted (in-memory) events. */
struct arena {
        struct arena *next;
        size_t used, cap;
        char data[];
};

struct source {
        cw_avro_input_t *in;
        const char *path;
        int file; /* order among inputs */
        /* the head event */
        struct cw_event ev;
        long long pos;
        int64_t prev_ts;
        /* --sort: the whole file, sorted */
        struct cw_event *evs;
        long long *poss;
        size_t n, i;
        struct arena *arena;
};

struct cw_file_merge {
        struct source *src;
        int n_src;
        int *heap; /* source indexes, min-heap by processing order */
        int n_heap;
        int last; /* source of the event last returned, or -1 */
        unsigned long long read, invalid;
};

static char *arena_copy(struct arena **a, const char *p, size_t len) {
        char *out;
        if (!*a || (*a)->used + len + 1 > (*a)->cap) {
                size_t cap = len + 1 > (1 << 20) ? len + 1 : (1 << 20);
                struct arena *na = malloc(sizeof(*na) + cap);
                if (!na)
                        return NULL;
                na->next = *a;
                na->used = 0;
                na->cap = cap;
                *a = na;
        }
        out = (*a)->data + (*a)->used;
        memcpy(out, p, len);
        out[len] = '\0';
        (*a)->used += len + 1;
        return out;
}

static int before(const struct cw_file_merge *m, int a, int b) {
        const struct source *x = &m->src[a], *y = &m->src[b];
        if (x->ev.ts != y->ev.ts)
                return x->ev.ts < y->ev.ts;
        if (x->ev.stream != y->ev.stream)
                return x->ev.stream < y->ev.stream;
        if (x->file != y->file)
                return x->file < y->file;
        return x->pos < y->pos;
}

static void heap_push(cw_file_merge_t *m, int s) {
        int i = m->n_heap++;
        m->heap[i] = s;
        while (i > 0 && before(m, m->heap[i], m->heap[(i - 1) / 2])) {
                int p = (i - 1) / 2, t = m->heap[p];
                m->heap[p] = m->heap[i];
                m->heap[i] = t;
                i = p;
        }
}

static int heap_pop(cw_file_merge_t *m) {
        int top = m->heap[0], i = 0;
        m->heap[0] = m->heap[--m->n_heap];
        for (;;) {
                int l = 2 * i + 1, r = l + 1, s = i, t;
                if (l < m->n_heap && before(m, m->heap[l], m->heap[s]))
                        s = l;
                if (r < m->n_heap && before(m, m->heap[r], m->heap[s]))
                        s = r;
                if (s == i)
                        break;
                t = m->heap[s];
                m->heap[s] = m->heap[i];
                m->heap[i] = t;
                i = s;
        }
        return top;
}

/*
 * Reads the next valid record of a file. Returns 1, 0 at its end, or -1 on
 * a final error. Invalid records are logged and skipped.
 */
static int read_valid(cw_file_merge_t *m, struct source *s, struct cw_event *ev,
                      char *errstr, size_t errstr_size) {
        for (;;) {
                long long before_pos = cw_avro_input_position(s->in);
                int r = cw_avro_input_next(s->in, ev, errstr, errstr_size);
                if (r >= 0) {
                        if (r)
                                m->read++;
                        return r;
                }
                /* A final error repeats without moving on. */
                if (cw_avro_input_position(s->in) == before_pos)
                        return -1;
                m->read++;
                if (++m->invalid <= LOG_INVALID_MAX)
                        cw_warn("%s; record skipped", errstr);
                if (m->invalid == LOG_INVALID_MAX)
                        cw_warn("further invalid records are counted but not "
                                "logged");
        }
}

/* Moves a source to its next event: 1, 0 at its end, -1 on error. */
static int advance(cw_file_merge_t *m, struct source *s, char *errstr,
                   size_t errstr_size) {
        int r;
        if (s->evs) {
                if (s->i == s->n)
                        return 0;
                s->pos = s->poss[s->i];
                s->ev = s->evs[s->i++];
                return 1;
        }
        r = read_valid(m, s, &s->ev, errstr, errstr_size);
        if (r <= 0)
                return r;
        s->pos = cw_avro_input_position(s->in);
        if (s->ev.ts < s->prev_ts) {
                snprintf(
                        errstr, errstr_size,
                        "%s: record %lld: ts %lld is earlier than the previous "
                        "record's %lld; the file is not in ascending ts order "
                        "(pass --sort to sort it in memory)",
                        s->path, s->pos, (long long)s->ev.ts,
                        (long long)s->prev_ts);
                return -1;
        }
        s->prev_ts = s->ev.ts;
        return 1;
}

static int by_ts_then_position(const void *a, const void *b, void *ctx) {
        const struct source *s = ctx;
        size_t i = (size_t)(*(const struct cw_event *const *)a - s->evs);
        size_t j = (size_t)(*(const struct cw_event *const *)b - s->evs);
        if (s->evs[i].ts != s->evs[j].ts)
                return s->evs[i].ts < s->evs[j].ts ? -1 : 1;
        return i < j ? -1 : i > j;
}

/* --sort: reads a whole file, copying strings into an arena, and sorts it
 * by ts keeping file order for ties. Costs the file's size in memory. */
static int load_sorted(cw_file_merge_t *m, struct source *s, char *errstr,
                       size_t errstr_size) {
        size_t cap = 0;
        struct cw_event ev, **order = NULL, *sorted = NULL;
        long long *pos = NULL;
        int r;

        while ((r = read_valid(m, s, &ev, errstr, errstr_size)) == 1) {
                if (s->n == cap) {
                        cap = cap ? cap * 2 : 1024;
                        void *a = realloc(s->evs, cap * sizeof(*s->evs));
                        void *b = realloc(s->poss, cap * sizeof(*s->poss));
                        if (a)
                                s->evs = a;
                        if (b)
                                s->poss = b;
                        if (!a || !b)
                                goto out_nomem;
                }
                for (int f = 0; f < cw_streams[ev.stream].n_fields; f++)
                        if (cw_streams[ev.stream].fields[f].type ==
                                    CW_FIELD_STR &&
                            ev.str[f].p &&
                            !(ev.str[f].p = arena_copy(&s->arena, ev.str[f].p,
                                                       ev.str[f].len)))
                                goto out_nomem;
                ev.customer_id = ev.str[CW_FIELD_CUSTOMER_ID];
                s->poss[s->n] = cw_avro_input_position(s->in);
                s->evs[s->n++] = ev;
        }
        if (r < 0)
                return -1;
        if (!s->n)
                return 0;
        order = malloc(s->n * sizeof(*order));
        sorted = malloc(s->n * sizeof(*sorted));
        pos = malloc(s->n * sizeof(*pos));
        if (!order || !sorted || !pos)
                goto out_nomem;
        for (size_t i = 0; i < s->n; i++)
                order[i] = &s->evs[i];
        qsort_r(order, s->n, sizeof(*order), by_ts_then_position, s);
        for (size_t i = 0; i < s->n; i++) {
                sorted[i] = *order[i];
                pos[i] = s->poss[order[i] - s->evs];
        }
        free(order);
        free(s->evs);
        free(s->poss);
        s->evs = sorted;
        s->poss = pos;
        return 0;

out_nomem:
        free(order);
        free(sorted);
        free(pos);
        snprintf(errstr, errstr_size, "%s: out of memory sorting the file",
                 s->path);
        return -1;
}

static int ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && !strcmp(s + n - k, suffix);
}

static int by_name(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends path, or a folder's *.avro files by name, to *files. */
static int expand(const char *path, char ***files, int *n, char *errstr,
                  size_t errstr_size) {
        struct stat st;
        DIR *dir;
        struct dirent *de;
        int first = *n;

        if (stat(path, &st)) {
                snprintf(errstr, errstr_size, "%s: cannot open: %m", path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                char **f = realloc(*files, (size_t)(*n + 1) * sizeof(*f));
                if (!f || !(f[*n] = strdup(path)))
                        goto out_nomem_f;
                *files = f;
                (*n)++;
                return 0;
        out_nomem_f:
                if (f)
                        *files = f;
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        if (!(dir = opendir(path))) {
                snprintf(errstr, errstr_size, "%s: cannot open folder: %m",
                         path);
                return -1;
        }
        while ((de = readdir(dir))) {
                char **f;
                if (de->d_name[0] == '.' || !ends_with(de->d_name, ".avro"))
                        continue;
                f = realloc(*files, (size_t)(*n + 1) * sizeof(*f));
                if (!f) {
                        closedir(dir);
                        snprintf(errstr, errstr_size, "out of memory");
                        return -1;
                }
                *files = f;
                if (asprintf(&f[*n], "%s/%s", path, de->d_name) < 0) {
                        closedir(dir);
                        snprintf(errstr, errstr_size, "out of memory");
                        return -1;
                }
                (*n)++;
        }
        closedir(dir);
        if (*n == first) {
                snprintf(errstr, errstr_size,
                         "%s: the folder has no .avro files", path);
                return -1;
        }
        qsort(*files + first, (size_t)(*n - first), sizeof(char *), by_name);
        return 0;
}

cw_file_merge_t *cw_file_merge_open(char *const *paths, int n_paths,
                                    const cw_schemas_t *s, int sort,
                                    char *errstr, size_t errstr_size) {
        cw_file_merge_t *m = calloc(1, sizeof(*m));
        char **files = NULL;
        int n = 0;

        if (!m)
                return NULL;
        m->last = -1;
        for (int i = 0; i < n_paths; i++)
                if (expand(paths[i], &files, &n, errstr, errstr_size))
                        goto out_close;
        m->src = calloc((size_t)n + 1, sizeof(*m->src));
        m->heap = calloc((size_t)n + 1, sizeof(int));
        if (!m->src || !m->heap) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out_close;
        }
        for (int i = 0; i < n; i++) {
                struct source *src = &m->src[m->n_src];
                int r;
                if (!(src->in = cw_avro_input_open(files[i], s, errstr,
                                                   errstr_size)))
                        goto out_close;
                m->n_src++;
                src->path = cw_avro_input_path(src->in);
                src->file = i;
                src->prev_ts = INT64_MIN;
                if (sort && load_sorted(m, src, errstr, errstr_size))
                        goto out_close;
                r = advance(m, src, errstr, errstr_size);
                if (r < 0)
                        goto out_close;
                if (r)
                        heap_push(m, m->n_src - 1);
        }
        for (int i = 0; i < n; i++)
                free(files[i]);
        free(files);
        return m;

out_close:
        for (int i = 0; i < n; i++)
                free(files[i]);
        free(files);
        cw_file_merge_close(m);
        return NULL;
}

int cw_file_merge_next(cw_file_merge_t *m, struct cw_event *ev, char *errstr,
                       size_t errstr_size) {
        int s;
        /* The source returned last time moves on only now: its event's
         * strings had to stay valid until this call. */
        if (m->last >= 0) {
                int r = advance(m, &m->src[m->last], errstr, errstr_size);
                if (r < 0)
                        return -1;
                if (r)
                        heap_push(m, m->last);
                m->last = -1;
        }
        if (!m->n_heap)
                return 0;
        s = heap_pop(m);
        *ev = m->src[s].ev;
        m->last = s;
        return 1;
}

const char *cw_file_merge_file(const cw_file_merge_t *m) {
        return m->last >= 0 ? m->src[m->last].path : "";
}

long long cw_file_merge_position(const cw_file_merge_t *m) {
        return m->last >= 0 ? m->src[m->last].pos : -1;
}

unsigned long long cw_file_merge_read(const cw_file_merge_t *m) {
        return m->read;
}

unsigned long long cw_file_merge_invalid(const cw_file_merge_t *m) {
        return m->invalid;
}

int cw_file_merge_files(const cw_file_merge_t *m) {
        return m->n_src;
}

void cw_file_merge_close(cw_file_merge_t *m) {
        if (!m)
                return;
        for (int i = 0; i < m->n_src; i++) {
                struct source *s = &m->src[i];
                cw_avro_input_close(s->in);
                free(s->evs);
                free(s->poss);
                while (s->arena) {
                        struct arena *next = s->arena->next;
                        free(s->arena);
                        s->arena = next;
                }
        }
        free(m->src);
        free(m->heap);
        free(m);
}
