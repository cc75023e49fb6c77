/* Shared by the engine suites: configurations from text, events, and the
 * warnings an engine emits, recorded as one readable line each. */
#ifndef CW_TEST_ENGINE_HELPERS_H
#define CW_TEST_ENGINE_HELPERS_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/duration.h"
#include "config/config.h"
#include "features/engine.h"

#define DAY CW_MS_PER_DAY
#define HOUR CW_MS_PER_HOUR

/* Loads configuration text; fails the test with the first problem. */
static inline cw_config_t *config_from(const char *text) {
        char path[] = "/tmp/cw_engine_cfg_XXXXXX";
        struct cw_diags d;
        cw_config_t *c;
        int fd = mkstemp(path);
        cr_assert(fd >= 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        cw_diags_init(&d);
        c = cw_config_load(path, &d);
        unlink(path);
        cr_assert_not_null(c, "config: %s", d.n ? d.msgs[0] : "?");
        cw_diags_free(&d);
        return c;
}

/* Lines of text, each its own copy: what engines wrote, to compare. */
struct lines {
        char **v;
        size_t n, cap;
};

static inline void lines_add(struct lines *l, const char *s) {
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 256;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                cr_assert_not_null(l->v);
        }
        l->v[l->n++] = strdup(s);
}

static inline void lines_free(struct lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        memset(l, 0, sizeof(*l));
}

/* Warnings as lines: "<trigger> <customer> <alert> <STATE> t=<ms> ...". */
struct recorder {
        char lines[4096][320];
        int n;
};

static inline void record(void *opaque, const struct cw_warning *w) {
        struct recorder *r = opaque;
        char *l;
        size_t pos;
        cr_assert_lt(r->n, 4096);
        l = r->lines[r->n++];
        pos = (size_t)snprintf(
                l, 320, "%s %.*s %s %s t=%lld", cw_trigger_names[w->trigger],
                (int)w->customer_id.len, w->customer_id.p, w->alert,
                cw_warning_state_names[w->state], (long long)w->eval_ts);
        if (w->has_score)
                pos += (size_t)snprintf(l + pos, 320 - pos, " score=%.6f",
                                        w->score);
        for (int i = 0; i < w->n_features; i++)
                pos += (size_t)snprintf(l + pos, 320 - pos, " %s=%g",
                                        w->features[i].name,
                                        w->features[i].value);
        for (int i = 0; i < w->n_reasons; i++)
                pos += (size_t)snprintf(l + pos, 320 - pos, "%s%s",
                                        i ? "," : " reasons=", w->reasons[i]);
}

/* An event of `stream` for `customer` at ts, numeric fields from `nums`
 * (slot 3 on), string fields from `strs` (slot 3 on; NULL is null). */
static inline struct cw_event make_event(cw_stream_t stream,
                                         const char *customer, int64_t ts,
                                         const double *nums,
                                         const char *const *strs) {
        struct cw_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.stream = stream;
        ev.ts = ts;
        ev.customer_id.p = customer;
        ev.customer_id.len = strlen(customer);
        ev.num[CW_FIELD_TS] = (double)ts;
        ev.str[CW_FIELD_CUSTOMER_ID] = ev.customer_id;
        ev.str[CW_FIELD_EVENT_ID].p = "e";
        ev.str[CW_FIELD_EVENT_ID].len = 1;
        for (int i = 3; i < cw_streams[stream].n_fields; i++) {
                if (nums)
                        ev.num[i] = nums[i - 3];
                if (strs && strs[i - 3]) {
                        ev.str[i].p = strs[i - 3];
                        ev.str[i].len = strlen(strs[i - 3]);
                }
        }
        return ev;
}

static inline void purchase(cw_engine_t *e, const char *cust, int64_t ts,
                            double amount) {
        double nums[3] = {amount, 0, 0};
        const char *strs[3] = {NULL, "EUR", "web"};
        struct cw_event ev =
                make_event(CW_STREAM_PURCHASE, cust, ts, nums, strs);
        cw_engine_process(e, &ev);
}

static inline void login(cw_engine_t *e, const char *cust, int64_t ts,
                         double seconds, int success) {
        double nums[3] = {seconds, success, 0};
        struct cw_event ev = make_event(CW_STREAM_LOGIN, cust, ts, nums, NULL);
        cw_engine_process(e, &ev);
}

static inline int has_line(const struct recorder *r, const char *want) {
        for (int i = 0; i < r->n; i++)
                if (!strcmp(r->lines[i], want))
                        return 1;
        return 0;
}

#define assert_lines(r, ...)                                                   \
        do {                                                                   \
                const char *want_[] = {__VA_ARGS__};                           \
                int n_ = (int)(sizeof(want_) / sizeof(want_[0]));              \
                for (int i_ = 0; i_ < n_ && i_ < (r)->n; i_++)                 \
                        cr_assert_str_eq((r)->lines[i_], want_[i_],            \
                                         "warning %d", i_);                    \
                cr_assert_eq((r)->n, n_, "got %d warnings, first extra: %s",   \
                             (r)->n, (r)->n > n_ ? (r)->lines[n_] : "-");      \
        } while (0)

#endif
