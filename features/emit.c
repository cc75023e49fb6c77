/* Warnings out of the engine: built from an alert's transition, delivered
 * at once, or held during a day sweep and delivered sorted at its end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "model.h"

static int push_pending(cw_engine_t *e, const struct cw_warning *w, int alert) {
        if (e->n_pend == e->cap_pend) {
                size_t cap = e->cap_pend ? e->cap_pend * 2 : 256;
                struct cw_pending *a = realloc(e->pend, cap * sizeof(*a));
                if (!a)
                        return -1;
                e->pend = a;
                e->cap_pend = cap;
        }
        if (e->n_pfeat + (size_t)w->n_features > e->cap_pfeat) {
                size_t cap = (e->cap_pfeat + (size_t)w->n_features) * 2;
                struct cw_warning_feature *a =
                        realloc(e->pfeat, cap * sizeof(*a));
                if (!a)
                        return -1;
                e->pfeat = a;
                e->cap_pfeat = cap;
        }
        if (w->n_features)
                memcpy(e->pfeat + e->n_pfeat, w->features,
                       (size_t)w->n_features * sizeof(*w->features));
        e->pend[e->n_pend].w = *w;
        e->pend[e->n_pend].alert = alert;
        e->pend[e->n_pend].feat_off = e->n_pfeat;
        e->n_pfeat += (size_t)w->n_features;
        e->n_pend++;
        return 0;
}

void cw_engine_emit(cw_engine_t *e, struct cw_customer *c, int ai, int state,
                    int64_t t, cw_trigger_t trigger, double score,
                    const double *contrib) {
        const cw_engine_conf_t *cfg = e->config;
        const struct cw_alert *a = &cfg->alerts[ai];
        struct cw_warning w;
        int n = 0;

        memset(&w, 0, sizeof(w));
        w.customer_id.p = cw_cust_id(e->plan, c);
        w.customer_id.len = c->id_len;
        w.alert = a->name;
        w.kind = a->kind == CW_ALERT_MODEL ? CW_KIND_MODEL : CW_KIND_RULE;
        w.state = (cw_warning_state_t)state;
        w.severity = a->severity;
        w.eval_ts = t;
        w.emitted_at = t;
        w.trigger = trigger;
        w.alert_index = ai;
        cw_warning_id(w.warning_id, w.customer_id, a->name, w.state, t);
        if (a->kind == CW_ALERT_MODEL) {
                double own[64];
                /* A variant shares its model's score, and an xgboost
                 * model computes contributions only for its warnings. */
                if (!contrib) {
                        cw_model_contrib(a, e->values, own);
                        contrib = own;
                }
                w.has_score = 1;
                w.score = score;
                w.n_reasons = cw_model_reasons(cfg, a, contrib, w.reasons,
                                               CW_WARNING_MAX_REASONS);
        }
        for (int k = 0; k < a->n_refs; k++) {
                int f = e->alert_refs[ai][k];
                if (!isfinite(e->values[f]))
                        continue;
                e->wfeat[n].name = cfg->features[f].name;
                e->wfeat[n++].value = e->values[f];
        }
        w.features = e->wfeat;
        w.n_features = n;
        e->stats.warnings[ai * 2 + state]++;
        if (!e->cb)
                return;
        if (!e->collecting || push_pending(e, &w, ai))
                e->cb(e->opaque, &w);
}

static int pending_cmp(const void *a, const void *b) {
        const struct cw_pending *x = a, *y = b;
        size_t n = x->w.customer_id.len < y->w.customer_id.len
                           ? x->w.customer_id.len
                           : y->w.customer_id.len;
        int r = memcmp(x->w.customer_id.p, y->w.customer_id.p, n);
        if (r)
                return r;
        if (x->w.customer_id.len != y->w.customer_id.len)
                return x->w.customer_id.len < y->w.customer_id.len ? -1 : 1;
        return x->alert - y->alert;
}

void cw_engine_deliver_pending(cw_engine_t *e) {
        if (!e->n_pend)
                return;
        for (size_t i = 0; i < e->n_pend; i++)
                e->pend[i].w.features = e->pfeat + e->pend[i].feat_off;
        qsort(e->pend, e->n_pend, sizeof(*e->pend), pending_cmp);
        for (size_t i = 0; i < e->n_pend; i++)
                if (e->cb)
                        e->cb(e->opaque, &e->pend[i].w);
        e->n_pend = 0;
        e->n_pfeat = 0;
}
