/* The two clocks: monotonic for durations and timeouts, wall (UTC) for
 * timestamps compared with Kafka's and events'. */
#ifndef CW_CLOCK_H
#define CW_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t cw_clock_us(clockid_t id) {
        struct timespec ts;
        clock_gettime(id, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Monotonic milliseconds and seconds. */
static inline int64_t cw_mono_ms(void) {
        return cw_clock_us(CLOCK_MONOTONIC) / 1000;
}
static inline double cw_mono_s(void) {
        return (double)cw_clock_us(CLOCK_MONOTONIC) / 1e6;
}

/* Wall clock, epoch milliseconds and microseconds. */
static inline int64_t cw_wall_ms(void) {
        return cw_clock_us(CLOCK_REALTIME) / 1000;
}
static inline int64_t cw_wall_us(void) {
        return cw_clock_us(CLOCK_REALTIME);
}

#endif
