/*
 * Gradient-boosted trees as XGBoost 1.7's predict() evaluates them for a
 * binary:logistic gbtree model (CONTRACT.md section 11), stored for speed.
 *
 * Every tree is one block of 8-byte nodes in breadth-first order, so the
 * top levels, which every row walks, share a cache line or two, and a
 * split's right child is always the node after its left child. A walk is a
 * loop of a fixed number of steps (the tree's depth), never a recursion,
 * and the walks of 8 trees interleave: a 100-tree, depth-6 model is 600
 * node visits in about 100 KB. Arithmetic is float32 as in XGBoost: the
 * inputs, the thresholds, the sum of the leaf values and the sigmoid. The
 * cover-weighted expected value of every node sits in a second array: a
 * leaf's is its value, and a split's serves the Saabas contributions that
 * predict(pred_contribs=True, approx_contribs=True) gives.
 *
 * config/ reads the JSON file and hands the trees over in XGBoost's own
 * layout (parallel arrays indexed by node id); this module checks that
 * they form trees and lays them out. It knows no JSON.
 */
#ifndef CW_TREES_H
#define CW_TREES_H

#include <stddef.h>
#include <stdint.h>

/* Most model features (the engine takes at most 64 inputs per model). */
#define CW_TREES_MAX_FEATURES 64
/* Most nodes in one tree: child indexes have 23 bits. */
#define CW_TREES_MAX_NODES (1 << 23)

/*
 * One node. ctl: bits 0-7 the split's feature, bit 8 whether a missing
 * (NaN) input goes left, bits 9-31 the index of the left child inside the
 * tree's block. value: the split's threshold (x < value goes left). A leaf
 * is a split whose left child is itself, on a feature that is always 0
 * (the slot after the inputs) below +inf: a walk that reaches it stays.
 */
struct cw_tree_node {
        float value;
        uint32_t ctl;
};

#define CW_TREE_FEATURE(ctl) ((ctl)&0xffu)
#define CW_TREE_DEFAULT_LEFT(ctl) (((ctl) >> 8) & 1u)
#define CW_TREE_LEFT(ctl) ((ctl) >> 9)

/* One tree as XGBoost's JSON holds it: node i's children left[i] and
 * right[i] (-1 for a leaf), its feature, threshold or leaf value, default
 * direction and sum of hessians (cover). Node 0 is the root. */
struct cw_tree_spec {
        int n_nodes;
        const int32_t *left;
        const int32_t *right;
        const int32_t *feature;
        const float *value;
        const uint8_t *default_left;
        const float *hess;
};

typedef struct cw_trees cw_trees_t;

/* A model without trees over n_features inputs (1 to
 * CW_TREES_MAX_FEATURES) whose base_score (the probability before any
 * tree) is base_score, strictly between 0 and 1. NULL with a sentence. */
cw_trees_t *cw_trees_new(int n_features, float base_score, char *errstr,
                         size_t errstr_size);
void cw_trees_destroy(cw_trees_t *t);

/*
 * Appends one tree. Checks that the nodes reachable from the root form a
 * tree (children in range, no node reached twice, a leaf has no child, a
 * split has two) and that every split's feature is below n_features;
 * nodes no path reaches (XGBoost's deleted nodes) are dropped. Returns 0,
 * or -1 with a sentence naming the node.
 */
int cw_trees_add(cw_trees_t *t, const struct cw_tree_spec *spec, char *errstr,
                 size_t errstr_size);

int cw_trees_count(const cw_trees_t *t);
int cw_trees_features(const cw_trees_t *t);

/* The margin: logit(base_score) plus the leaf value of every tree, in
 * float32 and in tree order, for inputs x[n_features] (NaN: missing). */
float cw_trees_margin(const cw_trees_t *t, const float *x);

/* The score predict() gives: the sigmoid of the margin, as XGBoost 1.7
 * computes it (float32, exponent clamped at 88.7). */
double cw_trees_score(const cw_trees_t *t, const float *x);

/* The Saabas contribution of each feature to the margin, summed over the
 * trees in float32 as approx_contribs does: along each tree's path, the
 * split's feature gets the child's expected value minus the node's. */
void cw_trees_contrib(const cw_trees_t *t, const float *x, float *contrib);

#endif
