/*
 * The replay driver (CONTRACT.md sections 5 and 7): every shard of a
 * source (source.h) through an engine of its own, exactly as live
 * processing would have run, warnings to a sink and, for backtests, to the
 * scoring. One per-event loop for files and Kafka.
 */
#ifndef CW_REPLAY_H
#define CW_REPLAY_H

#include <stdint.h>

#include "backtest/backtest.h"
#include "config/config.h"
#include "learn/trainset.h"
#include "sinks/sink.h"
#include "source.h"

struct cw_replay_opts {
        int has_from; /* --from: write only warnings with eval_ts >= from */
        int64_t from;
        int has_to; /* --to: ignore later events; the horizon */
        int64_t to;
        cw_sink_t *sink;   /* the warnings of the configuration as written,
                              or NULL (--features without --output) */
        cw_backtest_t *bt; /* also scores them and the sweep variants; or
                              NULL */
        cw_trainset_t *ts; /* --features: point-in-time rows at sample
                              times (the engines plan every feature); or
                              NULL */
};

/*
 * Replays `src` shard by shard (one engine in memory at a time, so the
 * output is deterministic), then logs a summary: what was read, applied,
 * late, evicted and held, the warnings per alert, the time taken. A
 * progress line goes to stderr when it is a terminal. `c` must hold the
 * sweep variants before the call. 0, or -1 after logging why.
 */
int cw_replay_run(const cw_config_t *c, cw_source_t *src,
                  const struct cw_replay_opts *o);

#endif
