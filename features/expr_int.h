/*
 * Inside the expression module: the compiled program, shared by expr.c
 * (compiling, evaluating) and range.c (evaluating over ranges). Not
 * a public API.
 */
#ifndef CW_EXPR_INT_H
#define CW_EXPR_INT_H

#include <stdint.h>

#include "expr.h"

/* Deepest evaluation stack a program may need; the eval stack is this big. */
#define CW_EXPR_MAX_STACK 64

enum cw_expr_op {
        OP_CONST,   /* push k[b] */
        OP_VAR,     /* push num[b] */
        OP_STR_EQ,  /* push str[b] == lit[a] (0 when str[b] is null) */
        OP_STR_NE,  /* push str[b] != lit[a] (0 when str[b] is null) */
        OP_ENUM_EQ, /* push num[b] == a */
        OP_ENUM_NE, /* push num[b] != a (0 when num[b] is NaN) */
        OP_NEG,
        OP_NOT,
        OP_ABS,
        OP_LOG1P,
        /* Binary from here on; `a` says where the right operand is. */
        OP_ADD,
        OP_SUB,
        OP_MUL,
        OP_DIV,
        OP_LT,
        OP_LE,
        OP_GT,
        OP_GE,
        OP_EQ,
        OP_NE,
        OP_AND,
        OP_OR,
        OP_COALESCE,
        OP_MIN,
        OP_MAX,
};

/* Where a binary instruction finds its right operand. Fusing a constant or
 * variable operand saves a dispatch: "x >= 3" is two instructions, not 3,
 * which measured a third faster on a typical rule. */
enum { CW_RHS_STACK, CW_RHS_K, CW_RHS_VAR };

/* 8 bytes: a typical rule is a dozen of these, one or two cache lines. */
struct cw_insn {
        uint8_t op;
        uint16_t a; /* literal or enum symbol index; binary ops: CW_RHS_* */
        uint32_t b; /* constant pool index or slot */
};

struct cw_expr {
        char *src; /* our copy; string literals point into it */
        struct cw_insn *code;
        int n_code;
        double *k; /* numeric constant pool */
        int n_k;
        cw_str_t *lit; /* string literal pool */
        int n_lit;
        int *slots; /* distinct num/enum slots, first appearance first */
        int n_slots;
};

#endif
