/*
 * Clock jumps in event time: one event whose ts lies far ahead of the
 * stream time (a producer's clock set to the year 9999, or a stream time
 * still in 1970 from an earlier event). The contract applies it like any
 * other, and it moves stream time there: every customer quiet for
 * state_ttl is evicted at once, and the events before the new stream time
 * minus lateness are late from then on. replay.c and pipeline.c warn,
 * naming the record, so that a wrong clock is found where it shows.
 */
#ifndef CW_PIPELINE_JUMP_INT_H
#define CW_PIPELINE_JUMP_INT_H

#include <stdint.h>

#include "features/engine.h"
#include "features/engine_conf.h"

/* Whether an applied event of ts `ts` moved the stream time ahead from
 * `before` (CW_TIME_NONE: none yet) by more than state_ttl: a test cheap
 * enough for every event. */
static inline int cw_jump_is(const cw_engine_conf_t *c, int64_t before,
                             int64_t ts) {
        return before != CW_TIME_NONE && ts > before &&
               ts - before > c->state_ttl_ms;
}

/* Logs the jump of the event at `where` (file and record, or topic,
 * partition and offset): the first 20 of a process (*logged counts). */
void cw_jump_warn(const cw_engine_conf_t *c, const char *where, int64_t before,
                  int64_t ts, uint64_t *logged);

#endif
