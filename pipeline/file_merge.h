/*
 * File replay input: Avro container files (or folders of them) merged into
 * the contract's processing order: ascending ts, ties by stream (purchase,
 * login, ticket, survey), then by file (in command-line order, a folder's
 * files by name), then by position in the file.
 *
 * Each file must already be in ascending ts order, which keeps the merge a
 * streaming k-way merge in constant memory. With `sort`, each file is
 * instead read into memory whole and sorted (stably) first.
 */
#ifndef CW_FILE_MERGE_H
#define CW_FILE_MERGE_H

#include <stddef.h>

#include "features/event.h"
#include "schemas/schemas.h"

typedef struct cw_file_merge cw_file_merge_t;

/*
 * Opens every file of `paths` (files or folders; a folder contributes its
 * "*.avro" files). Returns NULL with a sentence naming the file on error.
 */
cw_file_merge_t *cw_file_merge_open(char *const *paths, int n_paths,
                                    const cw_schemas_t *s, int sort,
                                    char *errstr, size_t errstr_size);

/*
 * The next event in processing order: 1, 0 at the end of every file, -1 on
 * an error that stops the replay (a file out of ts order without `sort`, a
 * corrupt file). Invalid records are logged with their file and record
 * index, counted and skipped. ev's strings are valid until the next call.
 */
int cw_file_merge_next(cw_file_merge_t *m, struct cw_event *ev, char *errstr,
                       size_t errstr_size);

/* Where the event last returned came from: file path and record index. */
const char *cw_file_merge_file(const cw_file_merge_t *m);
long long cw_file_merge_position(const cw_file_merge_t *m);

/* Records read, and records skipped as invalid. */
unsigned long long cw_file_merge_read(const cw_file_merge_t *m);
unsigned long long cw_file_merge_invalid(const cw_file_merge_t *m);
int cw_file_merge_files(const cw_file_merge_t *m);

void cw_file_merge_close(cw_file_merge_t *m);

#endif
