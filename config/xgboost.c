/*
 * The JSON file of a `type = "xgboost"` model (CONTRACT.md section 11):
 * what XGBoost's save_model("x.json") writes for a gbtree booster with the
 * binary:logistic objective, read with jansson and handed to the engine's
 * trees (features/trees.h). Every problem is one diagnostic at the line of
 * the model's `file` setting, naming the JSON field.
 *
 * jansson reads a number as the double nearest its text, XGBoost as the
 * nearest float; converting the double to float gives the same float
 * unless the text lies within 2^-53 (relative) of the midpoint between two
 * floats, which XGBoost's shortest round-trip output does not produce in
 * practice.
 *
 * XGBoost's JSON is not strict JSON: a threshold above every training
 * value can be written as Infinity (and any float as -Infinity or NaN).
 * Before jansson reads the text, each such token outside a string becomes
 * a marker string of the same length, so that jansson's line and column in
 * an error still point into the file as it is.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "loader_int.h"

/* What reading one file needs: where problems go and the model's inputs. */
struct xgb_read {
        char err[512];
        const char *const *inputs;
        int n_inputs;
};

#define FAIL(r, ...)                                                           \
        do {                                                                   \
                snprintf((r)->err, sizeof((r)->err), __VA_ARGS__);             \
                return -1;                                                     \
        } while (0)

/* XGBoost's bare tokens, the strings that replace them (the token's
 * length less the two quotes) and their values. */
static const struct special {
        const char *token, *marker;
        float value;
} specials[] = {{"NaN", "N", NAN},
                {"Infinity", "+Infin", INFINITY},
                {"+Infinity", "+Infini", INFINITY},
                {"-Infinity", "-Infini", -INFINITY}};

/* Replaces XGBoost's NaN and Infinity tokens outside strings in place. */
static void quote_specials(char *text, size_t len) {
        int in_string = 0;
        for (size_t i = 0; i < len; i++) {
                if (in_string) {
                        if (text[i] == '\\')
                                i++;
                        else if (text[i] == '"')
                                in_string = 0;
                        continue;
                }
                if (text[i] == '"') {
                        in_string = 1;
                        continue;
                }
                for (int k = 0; k < CW_COUNT_OF(specials); k++) {
                        size_t n = strlen(specials[k].token);
                        if (n <= len - i &&
                            !memcmp(text + i, specials[k].token, n)) {
                                text[i] = '"';
                                memcpy(text + i + 1, specials[k].marker, n - 2);
                                text[i + n - 1] = '"';
                                i += n - 1;
                                break;
                        }
                }
        }
}

/* An element of a float array: a JSON number or a special's marker. */
static int float_of(const json_t *v, float *out) {
        if (json_is_number(v)) {
                *out = (float)json_number_value(v);
                return 0;
        }
        for (int k = 0; json_is_string(v) && k < CW_COUNT_OF(specials); k++)
                if (!strcmp(json_string_value(v), specials[k].marker)) {
                        *out = specials[k].value;
                        return 0;
                }
        return -1;
}

/* Member `key` of object o, of type `type`; `name` is its path. */
static json_t *need(struct xgb_read *r, json_t *o, const char *key,
                    json_type type, const char *name) {
        static const char *const types[] = {
                "an object", "an array", "a string", "an integer",
                "a number",  "true",     "false",    "null"};
        json_t *v = json_object_get(o, key);
        if (!v)
                snprintf(r->err, sizeof(r->err), "%s is missing", name);
        else if (json_typeof(v) != type &&
                 !(type == JSON_REAL && json_is_number(v)))
                snprintf(r->err, sizeof(r->err), "%s is not %s", name,
                         types[type]);
        else
                return v;
        return NULL;
}

/* A string member holding a number, as XGBoost writes its parameters. */
static int need_num(struct xgb_read *r, json_t *o, const char *key,
                    const char *name, int is_float, double *out) {
        json_t *v = need(r, o, key, JSON_STRING, name);
        const char *s, *end;

        if (!v)
                return -1;
        s = json_string_value(v);
        errno = 0;
        if (is_float) {
                float f = strtof(s, (char **)&end);
                *out = f;
        } else {
                *out = (double)strtol(s, (char **)&end, 10);
        }
        if (!*s || *end || errno)
                FAIL(r, "%s is \"%s\", not a number", name, s);
        return 0;
}

/* Object `key` of parent, whose "name" must be `want`; `what` is what it
 * names (objective, booster). NULL when not. */
static json_t *need_named(struct xgb_read *r, json_t *parent, const char *key,
                          const char *what, const char *want) {
        char path[64];
        json_t *o, *v;

        snprintf(path, sizeof(path), "learner.%s", key);
        if (!(o = need(r, parent, key, JSON_OBJECT, path)))
                return NULL;
        snprintf(path, sizeof(path), "learner.%s.name", key);
        if (!(v = need(r, o, "name", JSON_STRING, path)))
                return NULL;
        if (strcmp(json_string_value(v), want)) {
                snprintf(r->err, sizeof(r->err),
                         "the %s is \"%s\"; churnwatch reads %s models only",
                         what, json_string_value(v), want);
                return NULL;
        }
        return o;
}

static int check_learner(struct xgb_read *r, json_t *learner, float *base) {
        json_t *obj, *v, *names;
        double x;

        if (!need_named(r, learner, "objective", "objective",
                        "binary:logistic"))
                return -1;
        if (!(obj = need(r, learner, "learner_model_param", JSON_OBJECT,
                         "learner.learner_model_param")) ||
            need_num(r, obj, "base_score", "base_score", 1, &x))
                return -1;
        *base = (float)x;
        names = json_object_get(learner, "feature_names");
        for (size_t i = 0; i < json_array_size(names); i++) {
                v = json_array_get(names, i);
                if (i >= (size_t)r->n_inputs)
                        break;
                if (!json_is_string(v) ||
                    strcmp(json_string_value(v), r->inputs[i]))
                        FAIL(r,
                             "feature_names[%zu] is \"%s\" but inputs[%zu] is "
                             "\"%s\"; inputs must equal the model's "
                             "feature_names",
                             i, json_is_string(v) ? json_string_value(v) : "?",
                             i, r->inputs[i]);
        }
        if (json_array_size(names) &&
            json_array_size(names) != (size_t)r->n_inputs)
                FAIL(r,
                     "feature_names has %zu names but inputs %d; inputs must "
                     "equal the model's feature_names",
                     json_array_size(names), r->n_inputs);
        if (need_num(r, obj, "num_feature", "num_feature", 0, &x))
                return -1;
        if (x != r->n_inputs)
                FAIL(r,
                     "the model has %.0f features (num_feature) but inputs "
                     "names %d; list one input per model feature, in order",
                     x, r->n_inputs);
        return 0;
}

/* Array member `key` of tree k with exactly n elements. */
static json_t *tree_array(struct xgb_read *r, json_t *tree, int k,
                          const char *key, int n) {
        char name[96];
        json_t *a;

        snprintf(name, sizeof(name), "trees[%d].%s", k, key);
        if (!(a = need(r, tree, key, JSON_ARRAY, name)))
                return NULL;
        if (json_array_size(a) != (size_t)n) {
                snprintf(r->err, sizeof(r->err),
                         "%s has %zu entries, not num_nodes = %d", name,
                         json_array_size(a), n);
                return NULL;
        }
        return a;
}

/* Reads the integers (or booleans) of a into out[]. */
static int ints_of(struct xgb_read *r, json_t *a, int k, const char *key,
                   int32_t *out) {
        size_t i;
        json_t *v;

        json_array_foreach(a, i, v) {
                json_int_t x = json_is_boolean(v) ? json_is_true(v)
                                                  : json_integer_value(v);
                if ((!json_is_integer(v) && !json_is_boolean(v)) ||
                    x < INT32_MIN || x > INT32_MAX)
                        FAIL(r, "trees[%d].%s[%zu] is not an integer", k, key,
                             i);
                out[i] = (int32_t)x;
        }
        return 0;
}

static int floats_of(struct xgb_read *r, json_t *a, int k, const char *key,
                     float *out) {
        size_t i;
        json_t *v;

        json_array_foreach(a, i, v) {
                if (float_of(v, &out[i]))
                        FAIL(r, "trees[%d].%s[%zu] is not a number", k, key, i);
        }
        return 0;
}

/* The arrays of one tree, in XGBoost's layout. */
struct tree_buf {
        int32_t *left, *right, *feature, *dflt, *type;
        float *value, *hess;
        uint8_t *default_left;
};

static void tree_buf_free(struct tree_buf *b) {
        free(b->left);
        free(b->right);
        free(b->feature);
        free(b->dflt);
        free(b->type);
        free(b->value);
        free(b->hess);
        free(b->default_left);
}

static int read_tree_arrays(struct xgb_read *r, json_t *tree, int k, int n,
                            struct tree_buf *b) {
        json_t *a;

        b->left = malloc((size_t)n * sizeof(int32_t));
        b->right = malloc((size_t)n * sizeof(int32_t));
        b->feature = malloc((size_t)n * sizeof(int32_t));
        b->dflt = malloc((size_t)n * sizeof(int32_t));
        b->type = calloc((size_t)n, sizeof(int32_t));
        b->value = malloc((size_t)n * sizeof(float));
        b->hess = malloc((size_t)n * sizeof(float));
        b->default_left = malloc((size_t)n);
        if (!b->left || !b->right || !b->feature || !b->dflt || !b->type ||
            !b->value || !b->hess || !b->default_left)
                FAIL(r, "out of memory");
        if (!(a = tree_array(r, tree, k, "left_children", n)) ||
            ints_of(r, a, k, "left_children", b->left) ||
            !(a = tree_array(r, tree, k, "right_children", n)) ||
            ints_of(r, a, k, "right_children", b->right) ||
            !(a = tree_array(r, tree, k, "split_indices", n)) ||
            ints_of(r, a, k, "split_indices", b->feature) ||
            !(a = tree_array(r, tree, k, "default_left", n)) ||
            ints_of(r, a, k, "default_left", b->dflt) ||
            !(a = tree_array(r, tree, k, "split_conditions", n)) ||
            floats_of(r, a, k, "split_conditions", b->value) ||
            !(a = tree_array(r, tree, k, "sum_hessian", n)) ||
            floats_of(r, a, k, "sum_hessian", b->hess))
                return -1;
        if (json_object_get(tree, "split_type") &&
            (!(a = tree_array(r, tree, k, "split_type", n)) ||
             ints_of(r, a, k, "split_type", b->type)))
                return -1;
        for (int i = 0; i < n; i++) {
                if (b->type[i] != 0)
                        FAIL(r,
                             "trees[%d] node %d is a categorical split; "
                             "churnwatch reads numerical splits only",
                             k, i);
                b->default_left[i] = b->dflt[i] != 0;
        }
        return 0;
}

static int read_tree(struct xgb_read *r, json_t *tree, int k, cw_trees_t *t) {
        char name[64], why[256];
        struct tree_buf b = {0};
        json_t *param;
        double n;
        int rc = -1;

        snprintf(name, sizeof(name), "trees[%d].tree_param", k);
        if (!json_is_object(tree))
                FAIL(r, "trees[%d] is not an object", k);
        if (!(param = need(r, tree, "tree_param", JSON_OBJECT, name)) ||
            need_num(r, param, "num_nodes", "num_nodes", 0, &n))
                return -1;
        if (n < 1 || n > CW_TREES_MAX_NODES)
                FAIL(r, "trees[%d] has num_nodes = %.0f", k, n);
        if (!read_tree_arrays(r, tree, k, (int)n, &b)) {
                struct cw_tree_spec s = {(int)n,    b.left,  b.right,
                                         b.feature, b.value, b.default_left,
                                         b.hess};
                if (cw_trees_add(t, &s, why, sizeof(why)))
                        snprintf(r->err, sizeof(r->err), "trees[%d]: %s", k,
                                 why);
                else
                        rc = 0;
        }
        tree_buf_free(&b);
        return rc;
}

static int read_booster(struct xgb_read *r, json_t *learner, float base,
                        cw_trees_t **out) {
        json_t *gb, *model, *trees, *v;
        size_t k;

        if (!(gb = need_named(r, learner, "gradient_booster", "booster",
                              "gbtree")))
                return -1;
        if (!(model = need(r, gb, "model", JSON_OBJECT,
                           "learner.gradient_booster.model")) ||
            !(trees = need(r, model, "trees", JSON_ARRAY, "trees")))
                return -1;
        if (!(*out = cw_trees_new(r->n_inputs, base, r->err, sizeof(r->err))))
                return -1;
        json_array_foreach(trees, k, v) {
                json_t *info =
                        json_array_get(json_object_get(model, "tree_info"), k);
                if (info && json_integer_value(info) != 0)
                        FAIL(r,
                             "tree_info[%zu] is not 0: a model of one output "
                             "has one group of trees",
                             k);
                if (read_tree(r, v, (int)k, *out))
                        return -1;
        }
        return 0;
}

/* The whole file at path, or NULL with a sentence in why. */
static char *read_all(const char *path, size_t *len, char *why,
                      size_t why_size) {
        char *buf = NULL, *grown;
        size_t cap = 0, n;
        FILE *f;

        if (cw_file_special(path, why, why_size))
                return NULL;
        if (!(f = fopen(path, "rb"))) {
                snprintf(why, why_size, "%s", strerror(errno));
                return NULL;
        }
        *len = 0;
        do {
                if (*len == cap) {
                        cap = cap ? cap * 2 : 65536;
                        if (!(grown = realloc(buf, cap))) {
                                snprintf(why, why_size, "out of memory");
                                goto out_fail;
                        }
                        buf = grown;
                }
                *len += n = fread(buf + *len, 1, cap - *len, f);
        } while (n);
        if (ferror(f)) {
                snprintf(why, why_size, "%s", strerror(errno ? errno : EIO));
                goto out_fail;
        }
        fclose(f);
        return buf;
out_fail:
        fclose(f);
        free(buf);
        return NULL;
}

/* The file named by `file`, relative to the folder of the configuration
 * file that holds the setting. Returns a malloc'd path. */
static char *model_path(const struct loader *L, const config_setting_t *s,
                        const char *file) {
        const char *cfg = cw_cfg_src_file(L, s), *slash = strrchr(cfg, '/');
        size_t dir = file[0] == '/' || !slash ? 0 : (size_t)(slash - cfg) + 1;
        char *p = malloc(dir + strlen(file) + 1);

        if (p) {
                memcpy(p, cfg, dir);
                strcpy(p + dir, file);
        }
        return p;
}

cw_trees_t *cw_cfg_load_xgboost(struct loader *L, const config_setting_t *s,
                                const char *what, const char *const *inputs,
                                int n_inputs) {
        struct xgb_read r = {.inputs = inputs, .n_inputs = n_inputs};
        const char *name = config_setting_get_string(s); /* as written */
        char *path = model_path(L, s, name);
        cw_trees_t *t = NULL;
        json_error_t jerr;
        json_t *root = NULL, *learner;
        char *text = NULL, why[256];
        size_t len;
        float base;

        if (!path) {
                DIAG(L, s, "%s: out of memory", what);
                return NULL;
        }
        if (!(text = read_all(path, &len, why, sizeof(why)))) {
                DIAG(L, s, "%s: cannot read %s (as %s): %s", what, name, path,
                     why);
                goto out_free;
        }
        quote_specials(text, len);
        if (!(root = json_loadb(text, len, 0, &jerr))) {
                DIAG(L, s,
                     "%s: %s:%d:%d: not valid JSON: %s; give the file "
                     "XGBoost's save_model(\"model.json\") writes",
                     what, name, jerr.line, jerr.column, jerr.text);
                goto out_free;
        }
        if (!(learner = need(&r, root, "learner", JSON_OBJECT, "learner")) ||
            check_learner(&r, learner, &base) ||
            read_booster(&r, learner, base, &t)) {
                DIAG(L, s, "%s: %s: %s", what, name, r.err);
                cw_trees_destroy(t);
                t = NULL;
        }
out_free:
        json_decref(root);
        free(text);
        free(path);
        return t;
}
