/*
 * Ranges: the expression language over sets of values (range.h). Each
 * case answers one question: which values can this operation give for any
 * operands in these ranges? When the answer would take more care than it
 * is worth (a division by a range holding zero, an infinity meeting its
 * opposite), the range is every value and NaN: that is always sound, and
 * only costs a customer a visit it might have skipped.
 */
#include "range.h"

#include <math.h>

#include "expr_int.h"

static const struct cw_range anything = {-INFINITY, INFINITY, 1, 1};
static const struct cw_range nothing = {0, 0, 0, 0};

static struct cw_range boolean(int may_true, int may_false) {
        struct cw_range r = {may_false ? 0 : 1, may_true ? 1 : 0, 1, 0};
        return r;
}

struct cw_range cw_range_union(struct cw_range a, struct cw_range b) {
        struct cw_range r = a.num ? a : b;
        if (a.num && b.num) {
                r.lo = fmin(a.lo, b.lo);
                r.hi = fmax(a.hi, b.hi);
        }
        r.num = a.num || b.num;
        r.nan = a.nan || b.nan;
        return r;
}

/* The numbers of x, without its NaN. */
static struct cw_range numbers(struct cw_range x) {
        x.nan = 0;
        return x;
}

static double arith(cw_range_op_t op, double x, double y) {
        switch (op) {
        case CW_RANGE_ADD:
                return x + y;
        case CW_RANGE_SUB:
                return x - y;
        case CW_RANGE_MUL:
                return x * y;
        default:
                return x / y;
        }
}

static int holds_zero(const struct cw_range *r) {
        return r->lo <= 0 && r->hi >= 0;
}

static int holds_inf(const struct cw_range *r) {
        return isinf(r->lo) || isinf(r->hi);
}

/*
 * + - * / are monotone in each operand (for / once the divisor's sign is
 * fixed), so over a box of operands they take their extremes at its
 * corners. NaN comes from inf - inf, 0 * inf, inf / inf and 0 / 0: a
 * corner shows the first and the third; 0 * inf may hide inside the box,
 * and a divisor range holding zero gives up.
 */
struct cw_range cw_range_arith(cw_range_op_t op, struct cw_range x,
                               struct cw_range y) {
        struct cw_range r = {0, 0, 1, x.nan || y.nan};
        double c[4];

        if (!x.num || !y.num) {
                r.num = 0;
                r.nan = 1;
                return r;
        }
        if (op == CW_RANGE_DIV && holds_zero(&y))
                return anything;
        if (op == CW_RANGE_MUL && ((holds_zero(&x) && holds_inf(&y)) ||
                                   (holds_zero(&y) && holds_inf(&x))))
                r.nan = 1;
        c[0] = arith(op, x.lo, y.lo);
        c[1] = arith(op, x.lo, y.hi);
        c[2] = arith(op, x.hi, y.lo);
        c[3] = arith(op, x.hi, y.hi);
        r.lo = r.hi = c[0];
        for (int i = 0; i < 4; i++) {
                if (isnan(c[i]))
                        return anything;
                r.lo = c[i] < r.lo ? c[i] : r.lo;
                r.hi = c[i] > r.hi ? c[i] : r.hi;
        }
        return r;
}

/* log1p is increasing on [-1, inf], NaN below -1. */
struct cw_range cw_range_log1p(struct cw_range x) {
        struct cw_range r = {0, 0, 0, x.nan};

        if (!x.num)
                return r;
        if (x.lo < -1)
                r.nan = 1;
        if (x.hi < -1)
                return r;
        r.num = 1;
        r.lo = log1p(x.lo < -1 ? -1 : x.lo);
        r.hi = log1p(x.hi);
        return cw_range_widen(r);
}

static struct cw_range neg(struct cw_range x) {
        double lo = x.lo;
        x.lo = -x.hi;
        x.hi = -lo;
        return x;
}

static struct cw_range absval(struct cw_range x) {
        if (!x.num || x.lo >= 0)
                return x;
        if (x.hi <= 0)
                return neg(x);
        x.hi = fmax(-x.lo, x.hi);
        x.lo = 0;
        return x;
}

/* A comparison: false whenever either side is NaN. */
static struct cw_range compare(enum cw_expr_op op, struct cw_range x,
                               struct cw_range y) {
        int nums = x.num && y.num, nans = x.nan || y.nan;
        int same = nums && x.lo == x.hi && y.lo == y.hi && x.lo == y.lo;
        int overlap = nums && x.lo <= y.hi && y.lo <= x.hi;
        struct cw_range t;

        switch (op) {
        case OP_GT: /* y < x */
        case OP_GE:
                t = x;
                x = y;
                y = t;
                op = op == OP_GT ? OP_LT : OP_LE;
                break;
        default:
                break;
        }
        switch (op) {
        case OP_LT:
                return boolean(nums && x.lo < y.hi,
                               nans || (nums && !(x.hi < y.lo)));
        case OP_LE:
                return boolean(nums && x.lo <= y.hi,
                               nans || (nums && !(x.hi <= y.lo)));
        case OP_EQ:
                return boolean(overlap, nans || !same);
        default: /* OP_NE: x < y || x > y */
                return boolean(nums && !same, nans || overlap);
        }
}

static struct cw_range logic(enum cw_expr_op op, struct cw_range x,
                             struct cw_range y) {
        int xt = cw_range_may_true(&x), xf = cw_range_may_false(&x);
        int yt = cw_range_may_true(&y), yf = cw_range_may_false(&y);

        if (op == OP_AND)
                return boolean(xt && yt, xf || yf);
        return boolean(xt || yt, xf && yf);
}

/* fmin/fmax: a NaN operand gives the other one. */
static struct cw_range extreme(enum cw_expr_op op, struct cw_range x,
                               struct cw_range y) {
        struct cw_range r = nothing;

        if (x.num && y.num) {
                struct cw_range both = {0, 0, 1, 0};
                both.lo = op == OP_MIN ? fmin(x.lo, y.lo) : fmax(x.lo, y.lo);
                both.hi = op == OP_MIN ? fmin(x.hi, y.hi) : fmax(x.hi, y.hi);
                r = both;
        }
        if (x.nan)
                r = cw_range_union(r, numbers(y));
        if (y.nan)
                r = cw_range_union(r, numbers(x));
        r.nan = x.nan && y.nan;
        return r;
}

static struct cw_range binary(enum cw_expr_op op, struct cw_range x,
                              struct cw_range y) {
        switch (op) {
        case OP_ADD:
                return cw_range_arith(CW_RANGE_ADD, x, y);
        case OP_SUB:
                return cw_range_arith(CW_RANGE_SUB, x, y);
        case OP_MUL:
                return cw_range_arith(CW_RANGE_MUL, x, y);
        case OP_DIV:
                return cw_range_arith(CW_RANGE_DIV, x, y);
        case OP_AND:
        case OP_OR:
                return logic(op, x, y);
        case OP_COALESCE:
                return x.nan ? cw_range_union(numbers(x), y) : x;
        case OP_MIN:
        case OP_MAX:
                return extreme(op, x, y);
        default:
                return compare(op, x, y);
        }
}

static struct cw_range unary(enum cw_expr_op op, struct cw_range x) {
        switch (op) {
        case OP_NEG:
                return neg(x);
        case OP_NOT:
                return boolean(cw_range_may_false(&x), cw_range_may_true(&x));
        case OP_ABS:
                return absval(x);
        default:
                return cw_range_log1p(x);
        }
}

/* The same walk as cw_expr_eval(), over ranges. */
struct cw_range cw_expr_eval_range(const cw_expr_t *e,
                                   const struct cw_range *vars) {
        struct cw_range s[CW_EXPR_MAX_STACK], y;
        int sp = 0;

        if (!e)
                return cw_range_point(NAN);
        for (const struct cw_insn *in = e->code, *end = in + e->n_code;
             in < end; in++) {
                enum cw_expr_op op = (enum cw_expr_op)in->op;
                switch (op) {
                case OP_CONST:
                        s[sp++] = cw_range_point(e->k[in->b]);
                        break;
                case OP_VAR:
                        s[sp++] = vars[in->b];
                        break;
                case OP_STR_EQ:
                case OP_STR_NE:
                case OP_ENUM_EQ:
                case OP_ENUM_NE:
                        s[sp++] = boolean(1, 1);
                        break;
                case OP_NEG:
                case OP_NOT:
                case OP_ABS:
                case OP_LOG1P:
                        s[sp - 1] = unary(op, s[sp - 1]);
                        break;
                default:
                        if (in->a == CW_RHS_K)
                                y = cw_range_point(e->k[in->b]);
                        else if (in->a == CW_RHS_VAR)
                                y = vars[in->b];
                        else
                                y = s[--sp];
                        s[sp - 1] = binary(op, s[sp - 1], y);
                }
        }
        return s[0];
}
