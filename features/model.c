#include "model.h"

#include <string.h>

void cw_model_contrib(const struct cw_alert *a, const double *values,
                      double *contrib) {
        float x[CW_TREES_MAX_FEATURES], c[CW_TREES_MAX_FEATURES];

        if (!a->trees) {
                cw_model_score(a, values, contrib);
                return;
        }
        cw_model_row(a, values, x);
        cw_trees_contrib(a->trees, x, c);
        for (int i = 0; i < a->n_inputs; i++)
                contrib[i] = c[i];
}

int cw_model_reasons(const cw_engine_conf_t *cfg, const struct cw_alert *a,
                     const double *contrib, const char **out, int max) {
        int n = 0;
        while (n < max) {
                int best = -1;
                for (int i = 0; i < a->n_inputs; i++) {
                        const char *name =
                                cfg->features[a->inputs[i].feature].name;
                        int taken = 0;
                        if (!(contrib[i] > 0))
                                continue;
                        for (int k = 0; k < n && !taken; k++)
                                taken = !strcmp(out[k], name);
                        if (taken)
                                continue;
                        if (best < 0 || contrib[i] > contrib[best] ||
                            (contrib[i] == contrib[best] &&
                             strcmp(name, cfg->features[a->inputs[best].feature]
                                                  .name) < 0))
                                best = i;
                }
                if (best < 0)
                        break;
                out[n++] = cfg->features[a->inputs[best].feature].name;
        }
        return n;
}
