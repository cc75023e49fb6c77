#include "avro_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

#define SYNC_SIZE 16
/* A zig-zag varint long takes at most 10 bytes. */
#define VARINT_MAX 10

struct cw_avro_file {
        FILE *fp;
        char *path; /* for error messages */
        unsigned char sync[SYNC_SIZE];
        unsigned char *block; /* encoded records of the pending block */
        size_t block_len, block_cap;
        long long block_count; /* records in the pending block */
        int write_errno;       /* first write error, 0 if none */
};

/* Avro's long encoding: zig-zag, then 7 bits per byte, low bits first. */
static size_t put_varint(unsigned char *out, int64_t n) {
        uint64_t z = ((uint64_t)n << 1) ^ (n < 0 ? UINT64_MAX : 0);
        size_t i = 0;
        while (z >= 0x80) {
                out[i++] = (unsigned char)(z | 0x80);
                z >>= 7;
        }
        out[i++] = (unsigned char)z;
        return i;
}

/*
 * The sync marker only has to be unlikely to occur in record data, not
 * secret, so a hash of the schema text serves as well as random bytes and
 * keeps the file reproducible.
 */
static void derive_sync(unsigned char sync[SYNC_SIZE], const char *text) {
        uint64_t h[2];
        cw_hash128(text, strlen(text), h);
        for (int i = 0; i < 8; i++) {
                sync[i] = (unsigned char)(h[0] >> (8 * i));
                sync[8 + i] = (unsigned char)(h[1] >> (8 * i));
        }
}

/*
 * stdio keeps the bytes, so a failure (say ENOSPC) may surface only at a
 * later write or at fclose; the first errno is kept so close reports it.
 */
static int put(cw_avro_file_t *f, const void *p, size_t n, char *errstr,
               size_t errstr_size) {
        errno = 0;
        if (!f->write_errno && n && fwrite(p, 1, n, f->fp) != n)
                f->write_errno = errno ? errno : EIO;
        if (f->write_errno) {
                snprintf(errstr, errstr_size, "cannot write %s: %s", f->path,
                         strerror(f->write_errno));
                return -1;
        }
        return 0;
}

static int put_string(cw_avro_file_t *f, const char *s, char *errstr,
                      size_t errstr_size) {
        unsigned char len[VARINT_MAX];
        size_t n = strlen(s);
        if (put(f, len, put_varint(len, (int64_t)n), errstr, errstr_size))
                return -1;
        return put(f, s, n, errstr, errstr_size);
}

static int write_header(cw_avro_file_t *f, const char *schema_json,
                        char *errstr, size_t errstr_size) {
        unsigned char n[VARINT_MAX];

        /* The metadata map: one block of two entries, then an empty one. */
        if (put(f, "Obj\x01", 4, errstr, errstr_size) ||
            put(f, n, put_varint(n, 2), errstr, errstr_size) ||
            put_string(f, "avro.schema", errstr, errstr_size) ||
            put_string(f, schema_json, errstr, errstr_size) ||
            put_string(f, "avro.codec", errstr, errstr_size) ||
            put_string(f, "null", errstr, errstr_size) ||
            put(f, n, put_varint(n, 0), errstr, errstr_size) ||
            put(f, f->sync, SYNC_SIZE, errstr, errstr_size))
                return -1;
        return 0;
}

cw_avro_file_t *cw_avro_file_open(const char *path, const char *schema_json,
                                  char *errstr, size_t errstr_size) {
        cw_avro_file_t *f = calloc(1, sizeof(*f));

        if (!f || !(f->path = strdup(path)) ||
            !(f->block = malloc(CW_AVRO_FILE_BLOCK_BYTES))) {
                snprintf(errstr, errstr_size, "out of memory opening %s", path);
                goto out_free;
        }
        f->block_cap = CW_AVRO_FILE_BLOCK_BYTES;
        f->fp = fopen(path, "wb");
        if (!f->fp) {
                snprintf(errstr, errstr_size, "cannot create %s: %s", path,
                         strerror(errno));
                goto out_free;
        }
        derive_sync(f->sync, schema_json);
        if (write_header(f, schema_json, errstr, errstr_size))
                goto out_close;
        return f;

out_close:
        fclose(f->fp);
out_free:
        if (f) {
                free(f->block);
                free(f->path);
                free(f);
        }
        return NULL;
}

/* Block layout: record count, byte size, the records, the sync marker. */
static int flush_block(cw_avro_file_t *f, char *errstr, size_t errstr_size) {
        unsigned char hdr[2 * VARINT_MAX];
        size_t n;

        if (!f->block_count)
                return 0;
        n = put_varint(hdr, f->block_count);
        n += put_varint(hdr + n, (int64_t)f->block_len);
        if (put(f, hdr, n, errstr, errstr_size) ||
            put(f, f->block, f->block_len, errstr, errstr_size) ||
            put(f, f->sync, SYNC_SIZE, errstr, errstr_size))
                return -1;
        f->block_len = 0;
        f->block_count = 0;
        return 0;
}

int cw_avro_file_append(cw_avro_file_t *f, const void *rec, size_t len,
                        char *errstr, size_t errstr_size) {
        /* Blocks stay within CW_AVRO_FILE_BLOCK_BYTES: the pending records
         * go out first when this one would not fit, and a record bigger
         * than that gets a block, and a buffer, of its own. */
        if (f->block_count && f->block_len + len > CW_AVRO_FILE_BLOCK_BYTES &&
            flush_block(f, errstr, errstr_size))
                return -1;
        if (f->block_len + len > f->block_cap) {
                unsigned char *b = realloc(f->block, f->block_len + len);
                if (!b) {
                        snprintf(errstr, errstr_size,
                                 "out of memory writing %s", f->path);
                        return -1;
                }
                f->block = b;
                f->block_cap = f->block_len + len;
        }
        memcpy(f->block + f->block_len, rec, len);
        f->block_len += len;
        f->block_count++;
        if (f->block_count >= CW_AVRO_FILE_BLOCK_RECORDS ||
            f->block_len >= CW_AVRO_FILE_BLOCK_BYTES)
                return flush_block(f, errstr, errstr_size);
        return 0;
}

int cw_avro_file_close(cw_avro_file_t *f, char *errstr, size_t errstr_size) {
        int rc = 0;

        if (!f)
                return 0;
        if (flush_block(f, errstr, errstr_size))
                rc = -1;
        errno = 0;
        if (fflush(f->fp) && !f->write_errno)
                f->write_errno = errno ? errno : EIO;
        errno = 0;
        if (fclose(f->fp) && !f->write_errno)
                f->write_errno = errno ? errno : EIO;
        if (f->write_errno && !rc) {
                snprintf(errstr, errstr_size, "cannot write %s: %s", f->path,
                         strerror(f->write_errno));
                rc = -1;
        }
        free(f->block);
        free(f->path);
        free(f);
        return rc;
}
