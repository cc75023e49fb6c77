/*
 * Sets of values, and the expression language evaluated over them: what
 * the day sweeps use to prove that an alert cannot change on the days to
 * come (wake.c).
 *
 * A range is every double in [lo, hi] when `num` is set, and NaN when
 * `nan` is set. Every operation returns a range holding every value the
 * same operation of cw_expr_eval() or the model code could give for inputs
 * drawn from its operands' ranges (a sound over-approximation, never an
 * under-approximation): IEEE-754's + - * / are correctly rounded, hence
 * monotone, so the results at the corners bound the rest; infinities and
 * NaN are followed case by case; library functions that are not correctly
 * rounded (log1p, exp) get their bounds widened by 2^-40 relative, a
 * thousand times their documented error.
 */
#ifndef CW_RANGE_H
#define CW_RANGE_H

#include <math.h>

#include "expr.h"

struct cw_range {
        double lo, hi; /* when num: never NaN, lo <= hi */
        unsigned char num, nan;
};

static inline struct cw_range cw_range_point(double v) {
        struct cw_range r = {v, v, 1, 0};
        if (isnan(v)) {
                r.lo = r.hi = 0;
                r.num = 0;
                r.nan = 1;
        }
        return r;
}

/* Adds the value v to r. */
static inline void cw_range_add(struct cw_range *r, double v) {
        if (isnan(v)) {
                r->nan = 1;
        } else if (!r->num) {
                r->lo = r->hi = v;
                r->num = 1;
        } else {
                r->lo = v < r->lo ? v : r->lo;
                r->hi = v > r->hi ? v : r->hi;
        }
}

/* Whether a value of r may be true (non-zero, not NaN), and may be false. */
static inline int cw_range_may_true(const struct cw_range *r) {
        return r->num && !(r->lo == 0 && r->hi == 0);
}
static inline int cw_range_may_false(const struct cw_range *r) {
        return r->nan || (r->num && r->lo <= 0 && r->hi >= 0);
}

/* Every value of a and of b. */
struct cw_range cw_range_union(struct cw_range a, struct cw_range b);

typedef enum cw_range_op {
        CW_RANGE_ADD = 0,
        CW_RANGE_SUB,
        CW_RANGE_MUL,
        CW_RANGE_DIV
} cw_range_op_t;

/* x op y, as C's double arithmetic. */
struct cw_range cw_range_arith(cw_range_op_t op, struct cw_range x,
                               struct cw_range y);
struct cw_range cw_range_log1p(struct cw_range x);
/* Widens the bounds by 2^-40 relative (and 2^-1000 absolute): for
 * results of library functions and of code the compiler may contract
 * (a * b + c into one fma). */
static inline struct cw_range cw_range_widen(struct cw_range x) {
        if (x.num) {
                if (!isinf(x.lo))
                        x.lo = x.lo - fabs(x.lo) * 0x1p-40 - 0x1p-1000;
                if (!isinf(x.hi))
                        x.hi = x.hi + fabs(x.hi) * 0x1p-40 + 0x1p-1000;
        }
        return x;
}

/*
 * Evaluates e over ranges: vars[slot] is the range of the variable of that
 * slot. For expressions over numbers (features); a string or enum match,
 * which only `where` filters hold, may be true and false.
 */
struct cw_range cw_expr_eval_range(const cw_expr_t *e,
                                   const struct cw_range *vars);

#endif
