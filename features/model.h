/*
 * A model's score and the contributions behind its reasons (CONTRACT.md
 * sections 3, 4 and 11): what the engine computes at every evaluation and
 * when it emits a warning. Public so that tests drive the very same lines.
 */
#ifndef CW_MODEL_H
#define CW_MODEL_H

#include <math.h>

#include "engine_conf.h"
#include "trees.h"

/*
 * An xgboost model's inputs as the float32 row XGBoost sees: model
 * feature i is the value of inputs[i]'s feature. NaN is missing, and so is
 * a value that is infinite as a float (a division by zero in an expression
 * feature): XGBoost's predict() refuses infinite inputs, training treats
 * them as missing (tools/train_xgboost.py), and a warning's features map
 * omits them, so that the map alone reproduces the score.
 */
static inline void cw_model_row(const struct cw_alert *a, const double *values,
                                float *x) {
        for (int i = 0; i < a->n_inputs; i++) {
                float v = (float)values[a->inputs[i].feature];
                x[i] = isinf(v) ? NAN : v;
        }
}

/* A logistic model's input: its feature's value x through `missing`,
 * `clip` and `transform`, times its weight. Every step is non-decreasing
 * in x, the weight's sign aside, which the sweeps rely on (wake.c). */
static inline double cw_model_input_contrib(const struct cw_model_input *in,
                                            double x) {
        if (isnan(x))
                x = in->missing;
        if (in->has_clip)
                x = x < in->clip_lo   ? in->clip_lo
                    : x > in->clip_hi ? in->clip_hi
                                      : x;
        if (in->transform == CW_TRANSFORM_LOG1P)
                x = log1p(x);
        else if (in->transform == CW_TRANSFORM_STANDARDIZE)
                x = (x - in->mean) / in->std;
        return in->weight * x;
}

/*
 * The score of model a over the feature values. A logistic model also
 * fills contrib[n_inputs] with each input's weight * x, which costs it
 * nothing; an xgboost model leaves contrib alone (its contributions cost
 * another walk of every tree: cw_model_contrib, when a warning needs
 * them). Inline: the engine computes one per evaluation.
 */
static inline double cw_model_score(const struct cw_alert *a,
                                    const double *values, double *contrib) {
        double z = a->intercept;

        if (a->trees) {
                float x[CW_TREES_MAX_FEATURES];
                cw_model_row(a, values, x);
                return cw_trees_score(a->trees, x);
        }
        for (int i = 0; i < a->n_inputs; i++) {
                contrib[i] = cw_model_input_contrib(
                        &a->inputs[i], values[a->inputs[i].feature]);
                z += contrib[i];
        }
        return 1.0 / (1.0 + exp(-z));
}

/* Fills contrib[n_inputs] with each input's contribution: weight * x for
 * a logistic model, the Saabas contribution (approx_contribs) for an
 * xgboost one. */
void cw_model_contrib(const struct cw_alert *a, const double *values,
                      double *contrib);

/*
 * The warning's reasons: up to `max` input features with the largest
 * positive contribution, largest first, ties by name; a feature named by
 * two inputs is listed once. Returns how many were written to out.
 */
int cw_model_reasons(const cw_engine_conf_t *cfg, const struct cw_alert *a,
                     const double *contrib, const char **out, int max);

#endif
