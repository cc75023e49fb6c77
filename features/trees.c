#include "trees.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cw_trees {
        int n_features;
        float base_margin; /* logit(base_score), as XGBoost computes it */
        int n_trees, cap_trees;
        uint32_t *start; /* [n_trees + 1] each tree's first node */
        uint32_t *depth; /* [n_trees] the longest path, in splits */
        struct cw_tree_node *nodes;
        float *mean; /* per node: cover-weighted expected value; a leaf's
                        is its value */
        size_t n_nodes, cap_nodes;
};

cw_trees_t *cw_trees_new(int n_features, float base_score, char *errstr,
                         size_t errstr_size) {
        cw_trees_t *t;

        if (n_features < 1 || n_features > CW_TREES_MAX_FEATURES) {
                snprintf(errstr, errstr_size,
                         "a tree model takes 1 to %d features, not %d",
                         CW_TREES_MAX_FEATURES, n_features);
                return NULL;
        }
        if (!(base_score > 0.0f && base_score < 1.0f)) {
                snprintf(errstr, errstr_size,
                         "base_score = %g is not strictly between 0 and 1",
                         (double)base_score);
                return NULL;
        }
        if (!(t = calloc(1, sizeof(*t))) ||
            !(t->start = calloc(1, sizeof(*t->start)))) {
                free(t);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        t->n_features = n_features;
        /* XGBoost's LogisticRegression::ProbToMargin, in float. */
        t->base_margin = -logf(1.0f / base_score - 1.0f);
        return t;
}

void cw_trees_destroy(cw_trees_t *t) {
        if (!t)
                return;
        free(t->start);
        free(t->depth);
        free(t->nodes);
        free(t->mean);
        free(t);
}

int cw_trees_count(const cw_trees_t *t) {
        return t->n_trees;
}

int cw_trees_features(const cw_trees_t *t) {
        return t->n_features;
}

static int grow(cw_trees_t *t, size_t nodes) {
        if (t->n_trees + 1 >= t->cap_trees) {
                int cap = t->cap_trees ? t->cap_trees * 2 : 64;
                uint32_t *s = realloc(t->start, (size_t)(cap + 1) * sizeof(*s));
                if (!s)
                        return -1;
                t->start = s;
                if (!(s = realloc(t->depth, (size_t)cap * sizeof(*s))))
                        return -1;
                t->depth = s;
                t->cap_trees = cap;
        }
        if (t->n_nodes + nodes > t->cap_nodes) {
                size_t cap = (t->n_nodes + nodes) * 2;
                struct cw_tree_node *n = realloc(t->nodes, cap * sizeof(*n));
                if (!n)
                        return -1;
                t->nodes = n;
                float *m = realloc(t->mean, cap * sizeof(*m));
                if (!m)
                        return -1;
                t->mean = m;
                t->cap_nodes = cap;
        }
        return 0;
}

/*
 * Checks node `id` of the spec, reached as the child of a split: in range,
 * not reached before, a leaf with no child or a split with two and a
 * feature below n_features. Returns 0, or -1 with a sentence.
 */
static int check_node(const cw_trees_t *t, const struct cw_tree_spec *s,
                      int32_t id, const uint8_t *seen, char *errstr,
                      size_t errstr_size) {
        if (id < 0 || id >= s->n_nodes) {
                snprintf(errstr, errstr_size,
                         "a child index %ld is outside the %d nodes", (long)id,
                         s->n_nodes);
                return -1;
        }
        if (seen[id]) {
                snprintf(errstr, errstr_size,
                         "node %ld is the child of two splits (or of itself)",
                         (long)id);
                return -1;
        }
        if ((s->left[id] < 0) != (s->right[id] < 0)) {
                snprintf(errstr, errstr_size,
                         "node %ld has one child; a split has two, a leaf "
                         "none",
                         (long)id);
                return -1;
        }
        if (s->left[id] >= 0 &&
            (s->feature[id] < 0 || s->feature[id] >= t->n_features)) {
                snprintf(errstr, errstr_size,
                         "node %ld splits on feature index %ld, but the "
                         "model has %d inputs",
                         (long)id, (long)s->feature[id], t->n_features);
                return -1;
        }
        return 0;
}

/* Leaf i of a tree: a split on the row's constant 0 (the slot after the
 * features) below +inf, whose left child is itself, so that a walk of a
 * fixed number of steps stays on it; its value is in `mean`. */
static struct cw_tree_node leaf(const cw_trees_t *t, uint32_t i) {
        struct cw_tree_node n = {INFINITY,
                                 (uint32_t)t->n_features | 1u << 8 | i << 9};
        return n;
}

/*
 * Cover-weighted expected values, bottom up: a leaf's is its value, a
 * split's is (mean(left) * hess(left) + mean(right) * hess(right)) /
 * hess(split), in float and in this order, as XGBoost's FillNodeMeanValues.
 * Breadth-first order puts every child after its parent, so one backward
 * pass sees children first. `orig` maps each new index to the spec's.
 */
static void fill_means(const struct cw_tree_spec *s,
                       const struct cw_tree_node *n, const int32_t *orig,
                       float *mean, uint32_t count) {
        for (uint32_t i = count; i-- > 0;) {
                uint32_t l = CW_TREE_LEFT(n[i].ctl);
                if (l == i) {
                        mean[i] = s->value[orig[i]];
                        continue;
                }
                float r = mean[l] * s->hess[orig[l]];
                r += mean[l + 1] * s->hess[orig[l + 1]];
                r /= s->hess[orig[i]];
                mean[i] = r;
        }
}

int cw_trees_add(cw_trees_t *t, const struct cw_tree_spec *s, char *errstr,
                 size_t errstr_size) {
        uint8_t *seen = NULL;
        int32_t *orig = NULL; /* breadth-first order: new index -> spec's */
        uint32_t *level = NULL, count = 1;
        struct cw_tree_node *n;
        int rc = -1;

        if (s->n_nodes < 1 || s->n_nodes > CW_TREES_MAX_NODES) {
                snprintf(errstr, errstr_size,
                         "a tree has 1 to %d nodes, not %d", CW_TREES_MAX_NODES,
                         s->n_nodes);
                return -1;
        }
        seen = calloc((size_t)s->n_nodes, 1);
        orig = malloc((size_t)s->n_nodes * sizeof(*orig));
        level = malloc((size_t)s->n_nodes * sizeof(*level));
        if (!seen || !orig || !level || grow(t, (size_t)s->n_nodes))
                goto out_nomem;
        n = t->nodes + t->n_nodes;
        if (check_node(t, s, 0, seen, errstr, errstr_size))
                goto out_free;
        seen[0] = 1;
        orig[0] = 0;
        level[0] = 0;
        t->depth[t->n_trees] = 0;
        /* The queue is `orig` itself: node i's children go to the end. */
        for (uint32_t i = 0; i < count; i++) {
                int32_t id = orig[i];
                if (s->left[id] < 0) {
                        n[i] = leaf(t, i);
                        continue;
                }
                for (int k = 0; k < 2; k++) {
                        int32_t c = k ? s->right[id] : s->left[id];
                        if (check_node(t, s, c, seen, errstr, errstr_size))
                                goto out_free;
                        seen[c] = 1;
                        orig[count + (uint32_t)k] = c;
                        level[count + (uint32_t)k] = level[i] + 1;
                }
                if (level[i] + 1 > t->depth[t->n_trees])
                        t->depth[t->n_trees] = level[i] + 1;
                n[i].value = s->value[id];
                n[i].ctl = (uint32_t)s->feature[id] |
                           (s->default_left[id] ? 1u << 8 : 0) | count << 9;
                count += 2;
        }
        fill_means(s, n, orig, t->mean + t->n_nodes, count);
        t->n_nodes += count;
        t->start[++t->n_trees] = (uint32_t)t->n_nodes;
        rc = 0;
        goto out_free;
out_nomem:
        snprintf(errstr, errstr_size, "out of memory");
out_free:
        free(seen);
        free(orig);
        free(level);
        return rc;
}

/* One step of a walk from node i: a split sends a missing input (NaN) its
 * default way, else right unless x < threshold; a leaf stays. No branch:
 * the walks of several trees interleave. */
static inline uint32_t step(const struct cw_tree_node *n, uint32_t i,
                            const float *row) {
        uint32_t ctl = n[i].ctl;
        float v = row[CW_TREE_FEATURE(ctl)];
        uint32_t right = !(v < n[i].value);
        uint32_t default_left = (uint32_t)isnan(v) & CW_TREE_DEFAULT_LEFT(ctl);
        return CW_TREE_LEFT(ctl) + (right & ~default_left);
}

/* The row x with the constant 0 that leaves read after its features. */
static void make_row(const cw_trees_t *t, const float *x, float *row) {
        memcpy(row, x, (size_t)t->n_features * sizeof(*row));
        row[t->n_features] = 0.0f;
}

/*
 * The walks of LANES trees interleave: each step of one is a chain of two
 * dependent loads (the node, then its input), so independent chains keep
 * the core busy where one would wait, and no branch depends on the data.
 * Every tree of a group takes the group's largest depth in steps (leaves
 * stay put); the leaf values are then added in tree order, so the float
 * sum is XGBoost's. For 100 trees of depth 6, 8 lanes took 1.0 us per
 * score where 4 took 1.24, 16 took 1.15, and one walk per tree with a
 * branch per split 1.69 (one core of the project's VM).
 */
#define LANES 8

float cw_trees_margin(const cw_trees_t *t, const float *x) {
        float row[CW_TREES_MAX_FEATURES + 1], m = t->base_margin;
        int k = 0;

        make_row(t, x, row);
        for (; k + LANES <= t->n_trees; k += LANES) {
                const struct cw_tree_node *n[LANES];
                uint32_t i[LANES], d = 0;
                for (int j = 0; j < LANES; j++) {
                        n[j] = t->nodes + t->start[k + j];
                        i[j] = 0;
                        d = t->depth[k + j] > d ? t->depth[k + j] : d;
                }
                for (uint32_t s = 0; s < d; s++)
                        for (int j = 0; j < LANES; j++)
                                i[j] = step(n[j], i[j], row);
                for (int j = 0; j < LANES; j++)
                        m += t->mean[t->start[k + j] + i[j]];
        }
        for (; k < t->n_trees; k++) {
                const struct cw_tree_node *n = t->nodes + t->start[k];
                uint32_t i = 0;
                for (uint32_t s = 0; s < t->depth[k]; s++)
                        i = step(n, i, row);
                m += t->mean[t->start[k] + i];
        }
        return m;
}

double cw_trees_score(const cw_trees_t *t, const float *x) {
        /* common::Sigmoid of XGBoost 1.7: std::min(-x, 88.7f), then
         * 1 / (exp + 1 + 1e-16), all in float. */
        float z = -cw_trees_margin(t, x);
        z = 88.7f < z ? 88.7f : z;
        return (double)(1.0f / (expf(z) + 1.0f + 1e-16f));
}

void cw_trees_contrib(const cw_trees_t *t, const float *x, float *contrib) {
        float tree[CW_TREES_MAX_FEATURES], row[CW_TREES_MAX_FEATURES + 1];

        make_row(t, x, row);
        for (int f = 0; f < t->n_features; f++)
                contrib[f] = 0.0f;
        for (int k = 0; k < t->n_trees; k++) {
                const struct cw_tree_node *n = t->nodes + t->start[k];
                const float *mean = t->mean + t->start[k];
                uint32_t i = 0, next;

                /* One tree's contributions first, then added to the sum,
                 * as XGBoost's this_tree_contribs. */
                memset(tree, 0, (size_t)t->n_features * sizeof(*tree));
                while ((next = step(n, i, row)) != i) {
                        tree[CW_TREE_FEATURE(n[i].ctl)] += mean[next] - mean[i];
                        i = next;
                }
                for (int f = 0; f < t->n_features; f++)
                        contrib[f] += tree[f];
        }
}
