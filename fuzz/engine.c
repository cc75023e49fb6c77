/*
 * Event values (CONTRACT.md sections 1 and 6) as the engine gets them:
 * the input is a sequence of records, each a byte whose low 2 bits pick
 * the stream, a byte of length n, then n bytes of Avro binary value. Each
 * value the fast reader (schemas/fastread.c) takes, and cw_event_check()
 * passes, goes to one engine (features/engine.c), in input order, so late
 * events, clock jumps and hostile numbers all reach it; then the engine
 * is swept 400 days past the last event. The configuration aggregates
 * every numeric field every way (sums, extremes, averages, last values,
 * distinct days, days since), all read by one rule.
 *
 * Property: no undefined behaviour (UBSan), no leak; the stream time is
 * the largest ts applied.
 */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "features/engine.h"
#include "fuzz.h"
#include "schemas/decode.h"
#include "schemas/fastread.h"

#define DAY_MS INT64_C(86400000)

static const char config_text[] =
        "features = (\n"
        "{ name = \"p_sum\"; stream = \"purchase\"; agg = \"sum\"; field = "
        "\"amount_cents\"; window = \"30d\"; },\n"
        "{ name = \"p_min\"; stream = \"purchase\"; agg = \"min\"; field = "
        "\"amount_cents\"; window = \"7d\"; },\n"
        "{ name = \"p_max\"; stream = \"purchase\"; agg = \"max\"; field = "
        "\"amount_cents\"; window = \"7d\"; },\n"
        "{ name = \"p_avg\"; stream = \"purchase\"; agg = \"avg\"; field = "
        "\"amount_cents\"; window = \"90d\"; },\n"
        "{ name = \"p_last\"; stream = \"purchase\"; agg = \"last\"; field = "
        "\"amount_cents\"; },\n"
        "{ name = \"l_sum\"; stream = \"login\"; agg = \"sum\"; field = "
        "\"session_seconds\"; window = \"30d\"; where = \"success\"; },\n"
        "{ name = \"l_days\"; stream = \"login\"; agg = \"distinct_days\"; "
        "window = \"30d\"; },\n"
        "{ name = \"t_max\"; stream = \"ticket\"; agg = \"max\"; field = "
        "\"severity\"; window = \"30d\"; where = \"status == 'OPENED'\"; },\n"
        "{ name = \"t_since\"; stream = \"ticket\"; agg = \"days_since_last\"; "
        "},\n"
        "{ name = \"s_min\"; stream = \"survey\"; agg = \"min\"; field = "
        "\"score\"; window = \"90d\"; },\n"
        "{ name = \"s_last\"; stream = \"survey\"; agg = \"last\"; field = "
        "\"score\"; where = \"kind == 'NPS'\"; }\n"
        ");\n"
        "rules = ( { name = \"r\"; when = \"p_sum + p_min + p_max + p_avg + "
        "p_last + l_sum + l_days + t_max + t_since + s_min + s_last > 0\"; "
        "for = \"2d\"; cooldown = \"3d\"; } );\n"
        "lateness = \"2d\";\n"
        "state_ttl = \"60d\";\n";

static cw_config_t *config;

void cw_fuzz_init(void) {
        config = cw_fuzz_config("engine.cfg", config_text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int64_t latest = CW_TIME_NONE;
        char err[256];
        cw_engine_t *e = cw_engine_new(&config->engine, cw_fuzz_no_warning,
                                       NULL, err, sizeof(err));

        if (!e)
                cw_fuzz_fail("engine: %s", err);
        while (size >= 2 && (size_t)data[1] <= size - 2) {
                cw_stream_t stream = (cw_stream_t)(data[0] % CW_STREAM_COUNT);
                struct cw_event ev;
                size_t n = data[1];

                if (!cw_fast_decode(stream, data + 2, n, &ev) &&
                    !cw_event_check(&ev, err, sizeof(err)) &&
                    cw_engine_process(e, &ev) == CW_PROCESS_APPLIED &&
                    ev.ts > latest)
                        latest = ev.ts;
                data += 2 + n;
                size -= 2 + n;
        }
        if (cw_engine_stream_time(e) != latest)
                cw_fuzz_fail("stream time %lld, latest ts applied %lld",
                             (long long)cw_engine_stream_time(e),
                             (long long)latest);
        if (latest != CW_TIME_NONE)
                cw_engine_advance(e, latest < CW_TS_MAX - 400 * DAY_MS
                                             ? latest + 400 * DAY_MS
                                             : CW_TS_MAX);
        cw_engine_destroy(e);
        return 0;
}
