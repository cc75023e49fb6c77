/*
 * Ids (byte strings, e.g. customer ids) numbered 0, 1, 2, ... in order of
 * first appearance and found by hash: open addressing over 4-byte slots at
 * most half full, the ids end to end in one growing buffer. The backtest's
 * population and the churn labels index their arrays with these numbers.
 * Not thread-safe.
 */
#ifndef CW_IDTAB_H
#define CW_IDTAB_H

#include <stddef.h>

typedef struct cw_idtab cw_idtab_t;

cw_idtab_t *cw_idtab_new(void);       /* NULL: out of memory */
void cw_idtab_destroy(cw_idtab_t *t); /* NULL is a no-op */

/* The id's number, or -1 when it is not in the table. */
long cw_idtab_find(const cw_idtab_t *t, const char *id, size_t len);

/* The id's number, the next one when it is new (*added set to 1, else 0);
 * -1 when memory runs out. */
long cw_idtab_add(cw_idtab_t *t, const char *id, size_t len, int *added);

/* Ids held; id number i and its length. */
size_t cw_idtab_count(const cw_idtab_t *t);
const char *cw_idtab_id(const cw_idtab_t *t, size_t i, size_t *len);

#endif
