#include "event.h"

#include <string.h>

static const char *const ticket_status[] = {"OPENED", "UPDATED", "RESOLVED",
                                            "REOPENED", NULL};
static const char *const survey_kind[] = {"NPS", "CSAT", "CES", NULL};

#define COMMON_FIELDS                                                          \
        {"event_id", CW_FIELD_STR, 0, NULL},                                   \
                {"customer_id", CW_FIELD_STR, 0, NULL}, {                      \
                "ts", CW_FIELD_NUM, 0, NULL                                    \
        }

const struct cw_stream_def cw_streams[CW_STREAM_COUNT] = {
        [CW_STREAM_PURCHASE] = {"purchase",
                                "Purchase",
                                6,
                                {COMMON_FIELDS,
                                 {"amount_cents", CW_FIELD_NUM, 0, NULL},
                                 {"currency", CW_FIELD_STR, 0, NULL},
                                 {"channel", CW_FIELD_STR, 1, NULL}}},
        [CW_STREAM_LOGIN] = {"login",
                             "Login",
                             6,
                             {COMMON_FIELDS,
                              {"session_seconds", CW_FIELD_NUM, 0, NULL},
                              {"success", CW_FIELD_BOOL, 0, NULL},
                              {"device", CW_FIELD_STR, 1, NULL}}},
        [CW_STREAM_TICKET] = {"ticket",
                              "SupportTicket",
                              7,
                              {COMMON_FIELDS,
                               {"ticket_id", CW_FIELD_STR, 0, NULL},
                               {"status", CW_FIELD_ENUM, 0, ticket_status},
                               {"category", CW_FIELD_STR, 0, NULL},
                               {"severity", CW_FIELD_NUM, 0, NULL}}},
        [CW_STREAM_SURVEY] = {"survey",
                              "Survey",
                              6,
                              {COMMON_FIELDS,
                               {"kind", CW_FIELD_ENUM, 0, survey_kind},
                               {"score", CW_FIELD_NUM, 0, NULL},
                               {"comment", CW_FIELD_STR, 1, NULL}}},
};

int cw_stream_by_name(const char *name) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (!strcmp(cw_streams[s].name, name))
                        return s;
        return -1;
}

int cw_stream_by_record(const char *record) {
        for (int s = 0; s < CW_STREAM_COUNT; s++)
                if (!strcmp(cw_streams[s].record, record))
                        return s;
        return -1;
}

int cw_stream_field(cw_stream_t stream, const char *name, size_t len) {
        const struct cw_stream_def *d = &cw_streams[stream];
        for (int i = 0; i < d->n_fields; i++)
                if (strlen(d->fields[i].name) == len &&
                    !memcmp(d->fields[i].name, name, len))
                        return i;
        return -1;
}
