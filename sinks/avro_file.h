/*
 * A writer of Avro object container files whose bytes depend only on what
 * is written: the sync marker is derived from the schema text instead of
 * being random (as avro-c's avro_file_writer makes it), so replaying the
 * same input twice gives byte-identical files.
 *
 * Records arrive already encoded (Avro binary, one record per call) and
 * are grouped into uncompressed ("null" codec) blocks.
 */
#ifndef CW_AVRO_FILE_H
#define CW_AVRO_FILE_H

#include <stddef.h>

typedef struct cw_avro_file cw_avro_file_t;

/*
 * Creates (or truncates) `path` and writes the header: magic, metadata
 * (avro.schema = schema_json verbatim, avro.codec = null) and sync marker.
 * Returns NULL and fills errstr when the file cannot be created.
 */
cw_avro_file_t *cw_avro_file_open(const char *path, const char *schema_json,
                                  char *errstr, size_t errstr_size);

/*
 * Appends one encoded record. It is buffered; a block goes to the file
 * when it holds CW_AVRO_FILE_BLOCK_RECORDS records or
 * CW_AVRO_FILE_BLOCK_BYTES bytes. Returns 0, or -1 and fills errstr.
 */
int cw_avro_file_append(cw_avro_file_t *f, const void *rec, size_t len,
                        char *errstr, size_t errstr_size);

/*
 * Writes the last block, flushes and closes. Returns -1 and fills errstr
 * when any write failed (a full disk shows up here at the latest); frees
 * `f` either way. NULL is a no-op.
 */
int cw_avro_file_close(cw_avro_file_t *f, char *errstr, size_t errstr_size);

#define CW_AVRO_FILE_BLOCK_RECORDS 1000
#define CW_AVRO_FILE_BLOCK_BYTES (64 * 1024)

#endif
