/*
 * The expression language of CONTRACT.md section 3 (`when`, `clear`,
 * `where`, `expr`).
 *
 * An expression is compiled once, at configuration load, into a flat postfix
 * program over a fixed-size stack; evaluating it allocates nothing and costs
 * one pass over a few bytes per operator.
 *
 * Semantics: IEEE-754 double arithmetic as in C (1/0 = inf, 0/0 = NaN); any
 * comparison with a NaN operand is false (0), `!=` included; a value is true
 * when it is non-zero and not NaN; comparisons and logic yield 1 or 0;
 * coalesce(x, d) is d when x is NaN; min/max are C's fmin/fmax (a NaN
 * argument yields the other one); abs is fabs; log1p is C's log1p.
 * Precedence, loosest first: ||, &&, == !=, < <= > >=, + -, * /, unary - !.
 */
#ifndef CW_EXPR_H
#define CW_EXPR_H

#include <stddef.h>

#include "event.h"

/* What a name in an expression refers to. */
typedef enum cw_expr_var_kind {
        CW_EXPR_VAR_NUM,  /* a number: num[slot] (also booleans, 1 or 0) */
        CW_EXPR_VAR_STR,  /* a string: str[slot]; p == NULL is null */
        CW_EXPR_VAR_ENUM, /* an enum: num[slot] is the symbol's index */
} cw_expr_var_kind_t;

struct cw_expr_var {
        cw_expr_var_kind_t kind;
        int slot;
        const char *const *symbols; /* ENUM: NULL-terminated symbol names */
};

/*
 * The names an expression may use. lookup() fills *out and returns 0 when
 * `name` (len bytes, not NUL-terminated) is known, -1 otherwise. `noun`
 * names what the names are in error messages ("feature", "purchase field").
 */
struct cw_expr_scope {
        const char *noun;
        int (*lookup)(void *opaque, const char *name, size_t len,
                      struct cw_expr_var *out);
        void *opaque;
};

typedef struct cw_expr cw_expr_t;

/*
 * Compiles `src`. On error returns NULL and writes one sentence to errstr
 * saying what is wrong and at which column (1-based), e.g.
 * "unknown feature 'purchses_30d' at column 1".
 */
cw_expr_t *cw_expr_compile(const char *src, const struct cw_expr_scope *scope,
                           char *errstr, size_t errstr_size);
void cw_expr_destroy(cw_expr_t *e);

/*
 * Evaluates `e`. num and str are indexed by the slots lookup() returned;
 * str may be NULL when the expression uses no string variable.
 */
double cw_expr_eval(const cw_expr_t *e, const double *num, const cw_str_t *str);

/*
 * The distinct number/enum slots `e` reads, in order of first appearance;
 * *n receives their count. The array lives as long as `e`.
 */
const int *cw_expr_slots(const cw_expr_t *e, int *n);

/* The source text `e` was compiled from. */
const char *cw_expr_source(const cw_expr_t *e);

/* Truth of a value: non-zero and not NaN. */
static inline int cw_expr_truthy(double v) {
        return v != 0 && v == v;
}

#endif
