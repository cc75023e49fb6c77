/* A small xgboost model file for the suites that load one through a
 * configuration, and edits of it. */
#ifndef CW_TEST_XGB_FIXTURE_H
#define CW_TEST_XGB_FIXTURE_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * What XGBoost 1.7's save_model("m.json") writes, less the fields
 * churnwatch does not read: features logins and nps, one tree
 * logins < 1.5 (missing: left) -> 2.0, else -1.0, covers 1 and 1, so the
 * root's expected value is 0.5.
 */
#define XGB_MODEL_JSON                                                         \
        "{\"learner\":{\"attributes\":{},"                                     \
        "\"feature_names\":[\"logins\",\"nps\"],\"feature_types\":[],"         \
        "\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{"            \
        "\"num_parallel_tree\":\"1\",\"num_trees\":\"1\","                     \
        "\"size_leaf_vector\":\"0\"},\"tree_info\":[0],\"trees\":[{"           \
        "\"base_weights\":[0E0,0E0,0E0],\"categories\":[],"                    \
        "\"default_left\":[1,0,0],\"id\":0,\"left_children\":[1,-1,-1],"       \
        "\"loss_changes\":[1E0,0E0,0E0],\"parents\":[2147483647,0,0],"         \
        "\"right_children\":[2,-1,-1],"                                        \
        "\"split_conditions\":[1.5E0,2E0,-1E0],\"split_indices\":[0,0,0],"     \
        "\"split_type\":[0,0,0],\"sum_hessian\":[2E0,1E0,1E0],"                \
        "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"2\","         \
        "\"num_nodes\":\"3\",\"size_leaf_vector\":\"0\"}}]},"                  \
        "\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":"        \
        "\"5E-1\",\"boost_from_average\":\"1\",\"num_class\":\"0\","           \
        "\"num_feature\":\"2\",\"num_target\":\"1\"},\"objective\":{"          \
        "\"name\":\"binary:logistic\",\"reg_loss_param\":{"                    \
        "\"scale_pos_weight\":\"1\"}}},\"version\":[1,7,4]}"

/* Writes XGB_MODEL_JSON with `from` replaced by `to` (NULL: as it is) to
 * a new file under /tmp; its name goes to path (at least 32 bytes). */
static inline void xgb_write_model(char *path, const char *from,
                                   const char *to) {
        const char *text = XGB_MODEL_JSON, *at = from ? strstr(text, from) : 0;
        int fd;
        strcpy(path, "/tmp/cw_xgb_model_XXXXXX");
        fd = mkstemp(path);
        cr_assert(fd >= 0);
        cr_assert(!from || at, "the fixture has no '%s'", from);
        size_t head = at ? (size_t)(at - text) : strlen(text);
        cr_assert_eq(write(fd, text, head), (ssize_t)head);
        if (at) {
                const char *rest = at + strlen(from);
                cr_assert_eq(write(fd, to, strlen(to)), (ssize_t)strlen(to));
                cr_assert_eq(write(fd, rest, strlen(rest)),
                             (ssize_t)strlen(rest));
        }
        close(fd);
}

#endif
