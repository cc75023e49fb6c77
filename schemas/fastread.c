#include "fastread.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "common/file.h"
#include "decode.h"
#include "walk_int.h"

#define SYNC_SIZE 16
/* A block larger than this is taken for corruption, not data. */
#define MAX_BLOCK (256u << 20)

struct cursor {
        const unsigned char *p, *end;
};

struct cw_fast_file {
        FILE *fp;
        int64_t size; /* of the file: every length must fit in it */
        int deflate;
        char *schema; /* the header's avro.schema, NUL-terminated */
        unsigned char sync[SYNC_SIZE];
        unsigned char *raw, *data; /* block as read, and inflated */
        size_t raw_cap, data_cap;
        struct cursor cur; /* the current block's records */
        long long left;    /* records left in the block */
};

/* ---- the container --------------------------------------------------------
 * Every length and count is checked against the bytes left in the file
 * before anything is allocated or skipped for it. */

static int file_long(FILE *fp, int64_t *out) {
        uint64_t v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
                int c = getc(fp);
                if (c == EOF)
                        return shift ? -1 : 1; /* 1: clean end of file */
                v |= (uint64_t)(c & 0x7f) << shift;
                if (!(c & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return 0;
                }
        }
        return -1;
}

/* Whether n bytes are left in the file. */
static int fits(cw_fast_file_t *f, int64_t n) {
        long at = ftell(f->fp);
        return n >= 0 && at >= 0 && n <= f->size - at;
}

/* A metadata string or bytes value: its length, checked. */
static int meta_len(cw_fast_file_t *f, int64_t *n) {
        return file_long(f->fp, n) || !fits(f, *n) ? -1 : 0;
}

/* Reads a value of n bytes into buf (size bytes, NUL-terminated): what
 * does not fit is skipped, and the value is then "?" (no codec or key of
 * ours is that long). */
static int read_short(cw_fast_file_t *f, int64_t n, char *buf, size_t size) {
        size_t keep = (uint64_t)n < size ? (size_t)n : 0;

        if (fread(buf, 1, keep, f->fp) != keep ||
            fseek(f->fp, (long)(n - (int64_t)keep), SEEK_CUR))
                return -1;
        buf[keep] = '\0';
        if ((uint64_t)n >= size)
                snprintf(buf, size, "?");
        return 0;
}

/* One metadata entry: avro.codec and avro.schema are kept. */
static int read_entry(cw_fast_file_t *f, char *codec, size_t codec_size) {
        char key[32];
        int64_t n;

        if (meta_len(f, &n) || read_short(f, n, key, sizeof(key)) ||
            meta_len(f, &n))
                return -1;
        if (!strcmp(key, "avro.codec"))
                return read_short(f, n, codec, codec_size);
        if (strcmp(key, "avro.schema") || f->schema)
                return fseek(f->fp, (long)n, SEEK_CUR);
        if (!(f->schema = malloc((size_t)n + 1)) ||
            fread(f->schema, 1, (size_t)n, f->fp) != (size_t)n)
                return -1;
        f->schema[n] = '\0';
        return 0;
}

/* Magic, the metadata map and the sync marker. */
static int read_header(cw_fast_file_t *f, char *errstr, size_t errstr_size) {
        unsigned char magic[4];
        char codec[32] = "null";
        int64_t count, size;

        if (fread(magic, 1, 4, f->fp) != 4 || memcmp(magic, "Obj\x01", 4)) {
                snprintf(errstr, errstr_size,
                         "not an Avro object container file");
                return -1;
        }
        for (;;) {
                if (file_long(f->fp, &count) || count == INT64_MIN)
                        goto out_bad;
                if (!count)
                        break;
                if (count < 0) {
                        count = -count;
                        if (file_long(f->fp, &size))
                                goto out_bad;
                }
                for (int64_t i = 0; i < count; i++)
                        if (read_entry(f, codec, sizeof(codec)))
                                goto out_bad;
        }
        if (fread(f->sync, 1, SYNC_SIZE, f->fp) != SYNC_SIZE || !f->schema)
                goto out_bad;
        if (!strcmp(codec, "deflate"))
                f->deflate = 1;
        else if (strcmp(codec, "null")) {
                snprintf(errstr, errstr_size,
                         "codec %s is not supported (churnwatch reads the "
                         "null and deflate codecs)",
                         codec);
                return -1;
        }
        return 0;
out_bad:
        snprintf(errstr, errstr_size,
                 "not a valid Avro container header (metadata map, "
                 "avro.schema and sync marker)");
        return -1;
}

static int grow(unsigned char **buf, size_t *cap, size_t need) {
        unsigned char *b;
        if (need <= *cap)
                return 0;
        if (!(b = realloc(*buf, need)))
                return -1;
        *buf = b;
        *cap = need;
        return 0;
}

/* Raw deflate (RFC 1951), as the Avro spec says, into f->data. */
static int inflate_block(cw_fast_file_t *f, size_t n) {
        z_stream z;
        int rc;

        memset(&z, 0, sizeof(z));
        if (inflateInit2(&z, -15) != Z_OK)
                return -1;
        z.next_in = f->raw;
        z.avail_in = (uInt)n;
        if (grow(&f->data, &f->data_cap, n * 4 + 4096))
                goto out_end;
        for (;;) {
                z.next_out = f->data + z.total_out;
                z.avail_out = (uInt)(f->data_cap - z.total_out);
                rc = inflate(&z, Z_NO_FLUSH);
                if (rc == Z_STREAM_END)
                        break;
                if ((rc != Z_OK && rc != Z_BUF_ERROR) ||
                    (rc == Z_BUF_ERROR && z.avail_in == 0) ||
                    f->data_cap * 2 > MAX_BLOCK * 4 ||
                    grow(&f->data, &f->data_cap, f->data_cap * 2))
                        goto out_end;
        }
        f->cur.p = f->data;
        f->cur.end = f->data + z.total_out;
        inflateEnd(&z);
        return 0;
out_end:
        inflateEnd(&z);
        return -1;
}

/* Loads the next block: 1, 0 at the end of the file, -1 when corrupt. */
static int next_block(cw_fast_file_t *f) {
        unsigned char sync[SYNC_SIZE];
        int64_t count, size;
        int rc = file_long(f->fp, &count);

        if (rc)
                return rc > 0 ? 0 : -1;
        if (count < 0 || file_long(f->fp, &size) || !fits(f, size) ||
            (uint64_t)size > MAX_BLOCK ||
            grow(&f->raw, &f->raw_cap, (size_t)size + 1) ||
            fread(f->raw, 1, (size_t)size, f->fp) != (size_t)size ||
            fread(sync, 1, SYNC_SIZE, f->fp) != SYNC_SIZE ||
            memcmp(sync, f->sync, SYNC_SIZE))
                return -1;
        if (f->deflate) {
                if (inflate_block(f, (size_t)size))
                        return -1;
        } else {
                f->cur.p = f->raw;
                f->cur.end = f->raw + size;
        }
        f->left = count;
        return 1;
}

/* ---- records --------------------------------------------------------------
 */

/* The slots of our schemas' int fields, per stream (the other numbers are
 * longs): an int of more than 5 bytes or beyond 32 bits is no Avro int,
 * and avro-c refuses it. test_decode.c checks this against the .avsc
 * files. */
static const uint8_t int_slots[CW_STREAM_COUNT] = {
        [CW_STREAM_LOGIN] = 1u << 3,  /* session_seconds */
        [CW_STREAM_TICKET] = 1u << 6, /* severity */
        [CW_STREAM_SURVEY] = 1u << 4, /* score */
};

/* A zig-zag varint of at most max_bytes bytes: 10 for a long, 5 for an
 * int (an enum index is an int too). */
static int rd_varint(struct cursor *f, int max_bytes, int64_t *out) {
        uint64_t v = 0;
        for (int shift = 0; shift < 7 * max_bytes && f->p < f->end;
             shift += 7) {
                unsigned char c = *f->p++;
                v |= (uint64_t)(c & 0x7f) << shift;
                if (!(c & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return 0;
                }
        }
        return -1;
}

static int rd_long(struct cursor *f, int64_t *out) {
        return rd_varint(f, 10, out);
}

static int rd_int(struct cursor *f, int64_t *out) {
        return rd_varint(f, 5, out) || *out < INT32_MIN || *out > INT32_MAX ? -1
                                                                            : 0;
}

static int rd_str(struct cursor *f, cw_str_t *out) {
        int64_t n;
        if (rd_long(f, &n) || n < 0 || n > f->end - f->p)
                return -1;
        out->p = (const char *)f->p;
        out->len = (size_t)n;
        f->p += n;
        return 0;
}

/* Decodes one record of our schema; -1 when the bytes run short or hold
 * a value our schema cannot have. */
static int decode(struct cursor *f, cw_stream_t stream, struct cw_event *ev) {
        const struct cw_stream_def *d = &cw_streams[stream];
        int64_t v;

        ev->stream = stream;
        for (int i = 0; i < d->n_fields; i++) {
                const struct cw_field_def *fd = &d->fields[i];
                switch (fd->type) {
                case CW_FIELD_NUM: /* int and long share the encoding */
                        if ((int_slots[stream] >> i & 1) ? rd_int(f, &v)
                                                         : rd_long(f, &v))
                                return -1;
                        ev->num[i] = (double)v;
                        if (i == CW_FIELD_TS)
                                ev->ts = v;
                        break;
                case CW_FIELD_BOOL:
                        if (f->p >= f->end || *f->p > 1)
                                return -1;
                        ev->num[i] = *f->p++;
                        break;
                case CW_FIELD_ENUM: {
                        int n = 0;
                        while (fd->symbols[n])
                                n++;
                        if (rd_int(f, &v) || v < 0 || v >= n)
                                return -1;
                        ev->num[i] = (double)v;
                        break;
                }
                case CW_FIELD_STR:
                        if (fd->nullable) {
                                if (rd_long(f, &v) || (v != 0 && v != 1))
                                        return -1;
                                if (!v) {
                                        ev->str[i].p = NULL;
                                        ev->str[i].len = 0;
                                        break;
                                }
                        }
                        if (rd_str(f, &ev->str[i]))
                                return -1;
                        break;
                }
        }
        ev->customer_id = ev->str[CW_FIELD_CUSTOMER_ID];
        return 0;
}

int cw_fast_decode(cw_stream_t stream, const void *buf, size_t len,
                   struct cw_event *ev) {
        struct cursor c = {buf, (const unsigned char *)buf + len};
        return decode(&c, stream, ev) || c.p != c.end ? -1 : 0;
}

/* Moves to the next record, loading blocks as needed: 1, 0 at the end, -1
 * with a sentence. */
static int next_record(cw_fast_file_t *f, char *errstr, size_t errstr_size) {
        while (f->left == 0) {
                int rc = next_block(f);
                if (rc == 0)
                        return 0;
                if (rc < 0) {
                        snprintf(errstr, errstr_size,
                                 "corrupt block (bad length, sync marker or "
                                 "compressed data)");
                        return -1;
                }
        }
        f->left--;
        return 1;
}

int cw_fast_file_next(cw_fast_file_t *f, cw_stream_t stream,
                      struct cw_event *ev, int *final, char *errstr,
                      size_t errstr_size) {
        int rc;

        *final = 1;
        if ((rc = next_record(f, errstr, errstr_size)) <= 0)
                return rc;
        if (decode(&f->cur, stream, ev)) {
                snprintf(errstr, errstr_size,
                         "the record's bytes do not decode with its schema");
                return -1;
        }
        if (f->left == 0 && f->cur.p != f->cur.end) {
                snprintf(errstr, errstr_size,
                         "the block has bytes after its last record");
                return -1;
        }
        *final = 0;
        return cw_event_check(ev, errstr, errstr_size) ? -1 : 1;
}

int cw_fast_file_next_raw(cw_fast_file_t *f, avro_schema_t writer,
                          const void **rec, size_t *len, char *errstr,
                          size_t errstr_size) {
        char why[256];
        int rc;

        if ((rc = next_record(f, errstr, errstr_size)) <= 0)
                return rc;
        if (cw_avro_walk(writer, f->cur.p, (size_t)(f->cur.end - f->cur.p), len,
                         why, sizeof(why))) {
                snprintf(errstr, errstr_size,
                         "the record's bytes do not decode with the file's "
                         "schema: %s",
                         why);
                return -1;
        }
        *rec = f->cur.p;
        f->cur.p += *len;
        if (f->left == 0 && f->cur.p != f->cur.end) {
                snprintf(errstr, errstr_size,
                         "the block has bytes after its last record");
                return -1;
        }
        return 1;
}

cw_fast_file_t *cw_fast_file_open(const char *path, char *errstr,
                                  size_t errstr_size) {
        cw_fast_file_t *f = calloc(1, sizeof(*f));
        struct stat st;

        if (!f) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (cw_file_special(path, errstr, errstr_size))
                goto out_close;
        if (!(f->fp = fopen(path, "rb")) || fstat(fileno(f->fp), &st)) {
                snprintf(errstr, errstr_size, "%s", strerror(errno));
                goto out_close;
        }
        f->size = st.st_size;
        setvbuf(f->fp, NULL, _IOFBF, 1 << 20);
        if (read_header(f, errstr, errstr_size))
                goto out_close;
        return f;
out_close:
        cw_fast_file_close(f);
        return NULL;
}

const char *cw_fast_file_schema(const cw_fast_file_t *f) {
        return f->schema;
}

void cw_fast_file_close(cw_fast_file_t *f) {
        if (!f)
                return;
        if (f->fp)
                fclose(f->fp);
        free(f->schema);
        free(f->raw);
        free(f->data);
        free(f);
}
