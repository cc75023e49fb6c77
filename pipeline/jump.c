#include "jump_int.h"

#include <inttypes.h>

#include "common/log.h"
#include "common/timeparse.h"

#define DAY_MS INT64_C(86400000)
#define LOG_JUMPS_MAX 20

void cw_jump_warn(const cw_engine_conf_t *c, const char *where, int64_t before,
                  int64_t ts, uint64_t *logged) {
        char from[40], to[40], quiet[40], late[40];

        if (++*logged > LOG_JUMPS_MAX)
                return;
        cw_time_format(before, from, sizeof(from));
        cw_time_format(ts, to, sizeof(to));
        cw_time_format(ts - c->state_ttl_ms, quiet, sizeof(quiet));
        cw_time_format(ts - c->lateness_ms, late, sizeof(late));
        cw_warn("%s: clock jump: ts %s moves stream time %" PRId64
                " days ahead, from %s: every customer without an event since "
                "%s is evicted (state_ttl), and events before %s are late "
                "from now on; check the clock of this record's producer, or "
                "of the one before%s",
                where, to, (ts - before) / DAY_MS, from, quiet, late,
                *logged == LOG_JUMPS_MAX
                        ? " (further clock jumps are only applied)"
                        : "");
}
