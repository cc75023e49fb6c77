/*
 * A bounded memory of recently seen warning ids, as an at-least-once
 * subscriber needs to drop redelivered warnings (`tail --dedup`). Two
 * generations of hash sets: when the newer holds capacity/2 ids it becomes
 * the older and the older is forgotten, so memory stays below `capacity`
 * ids (24 bytes each) and any id seen within the last capacity/2 is found.
 */
#ifndef CW_DEDUP_H
#define CW_DEDUP_H

#include <stddef.h>

typedef struct cw_dedup cw_dedup_t;

/* NULL when out of memory; capacity at least 2. */
cw_dedup_t *cw_dedup_new(size_t capacity);
void cw_dedup_destroy(cw_dedup_t *d);

/* 1 when `warning_id` (32 hex digits) was seen recently; otherwise
 * remembers it and returns 0. An id that is not 32 hex digits is never
 * a duplicate. */
int cw_dedup_seen(cw_dedup_t *d, const char *warning_id);

#endif
