#include "table.h"

#include "common/timeparse.h"

void cw_table_header(FILE *out) {
        fprintf(out, "%-24s  %-18s %-20s %-8s %-5s %-8s %s\n", "eval_ts (UTC)",
                "customer", "alert", "state", "trig", "severity",
                "score, reasons (models); features");
}

void cw_table_print(FILE *out, const struct cw_warning *w) {
        char when[40];

        cw_time_format(w->eval_ts, when, sizeof(when));
        fprintf(out, "%s  %-18.*s %-20s %-8s %-5s %-8s", when,
                (int)w->customer_id.len, w->customer_id.p, w->alert,
                cw_warning_state_names[w->state], cw_trigger_names[w->trigger],
                w->severity);
        if (w->has_score)
                fprintf(out, " score=%.3f", w->score);
        for (int i = 0; i < w->n_reasons; i++)
                fprintf(out, "%s%s", i ? "," : " reasons=", w->reasons[i]);
        for (int i = 0; i < w->n_features; i++)
                fprintf(out, " %s=%g", w->features[i].name,
                        w->features[i].value);
        fputc('\n', out);
}
