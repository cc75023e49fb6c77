/*
 * Expressions: a hand-written tokenizer and a precedence-climbing parser
 * that emit a postfix program, and a switch loop that runs it.
 *
 * Compilation happens once per configuration load, so it favours clear
 * error messages over speed. Evaluation happens for every customer at every
 * event and day sweep, so it allocates nothing, never recurses and touches
 * only the instruction array, the constant pool and the caller's slots.
 *
 * Strings and enums never reach the evaluation stack: the only thing the
 * language allows with them is `var == 'literal'` (or !=), which the parser
 * fuses into one instruction. That keeps the stack all doubles and moves
 * every type error to compile time.
 */
#include "expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_int.h"

/* Deepest parser recursion (parentheses, calls, unary operators): bounds
 * the C stack that compiling hostile input can use. */
#define CW_EXPR_MAX_NEST 256
/* Longest name or literal echoed in an error, so that the column survives. */
#define CW_EXPR_ECHO_MAX 40

enum cw_tok {
        T_END,
        T_NUM,
        T_IDENT,
        T_STR,
        T_LPAREN,
        T_RPAREN,
        T_COMMA,
        T_BANG,  /* unary only */
        T_MINUS, /* unary or binary */
        T_BINARY,
};

/* Operators, longest first so that "<=" is not read as "<" then "=".
 * prec: binding strength as a binary operator (0: not one), loosest 1. */
static const struct cw_opdef {
        const char *text;
        enum cw_tok kind;
        int prec;
        enum cw_expr_op op;
} cw_ops[] = {
        {"||", T_BINARY, 1, OP_OR},   {"&&", T_BINARY, 2, OP_AND},
        {"==", T_BINARY, 3, OP_EQ},   {"!=", T_BINARY, 3, OP_NE},
        {"<=", T_BINARY, 4, OP_LE},   {">=", T_BINARY, 4, OP_GE},
        {"<", T_BINARY, 4, OP_LT},    {">", T_BINARY, 4, OP_GT},
        {"+", T_BINARY, 5, OP_ADD},   {"-", T_MINUS, 5, OP_SUB},
        {"*", T_BINARY, 6, OP_MUL},   {"/", T_BINARY, 6, OP_DIV},
        {"!", T_BANG, 0, OP_NOT},     {"(", T_LPAREN, 0, OP_CONST},
        {")", T_RPAREN, 0, OP_CONST}, {",", T_COMMA, 0, OP_CONST},
};

struct cw_token {
        enum cw_tok kind;
        size_t off; /* byte offset in src; the column is off + 1 */
        size_t len; /* whole token, quotes included */
        double num;
        const struct cw_opdef *def; /* operators and punctuation */
};

/* What a parsed subexpression is, for compile-time typing. Only V_NUM has
 * code emitted; the others wait for the comparison that consumes them. */
enum cw_vtype { V_NUM, V_STRVAR, V_ENUMVAR, V_STRLIT };

struct cw_operand {
        enum cw_vtype type;
        size_t off, len; /* the token: a name, or a literal with its quotes */
        int slot;
        const char *const *symbols;
};

struct cw_parser {
        const char *src;
        size_t pos; /* where the lexer resumes */
        struct cw_token tok;
        const struct cw_expr_scope *scope;
        const char *noun;
        struct cw_expr *e;
        int cap_code, cap_k, cap_lit, cap_slots;
        int depth; /* evaluation stack depth after the code emitted so far */
        int nest;
        char *errstr;
        size_t errstr_size;
};

static const struct cw_func {
        const char *name;
        int nargs;
        enum cw_expr_op op;
} cw_funcs[] = {
        {"coalesce", 2, OP_COALESCE}, {"min", 2, OP_MIN},
        {"max", 2, OP_MAX},           {"abs", 1, OP_ABS},
        {"log1p", 1, OP_LOG1P},
};
#define CW_FUNCS_KNOWN "coalesce, min, max, abs, log1p"

#define CW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline double cw_bool(int b) {
        return b ? 1.0 : 0.0;
}

static int cw_is_digit(int c) {
        return c >= '0' && c <= '9';
}

static int cw_is_alnum(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               cw_is_digit(c);
}

static int cw_echo_len(size_t len) {
        return len > CW_EXPR_ECHO_MAX ? CW_EXPR_ECHO_MAX : (int)len;
}

/*
 * Records the error (one sentence ending "at column N") and returns -1 so
 * that callers can `return fail(...)`. Each failing path calls it once.
 */
__attribute__((format(printf, 3, 4))) static int
fail(struct cw_parser *p, size_t off, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        if (!p->errstr || !p->errstr_size)
                return -1;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(p->errstr, p->errstr_size, "%s at column %zu", msg, off + 1);
        return -1;
}

static int fail_unexpected(struct cw_parser *p) {
        const struct cw_token *t = &p->tok;
        const char *text = p->src + t->off;
        int n = cw_echo_len(t->len);

        switch (t->kind) {
        case T_END:
                return fail(p, t->off, "unexpected end of expression");
        case T_STR: /* the text has its quotes */
                return fail(p, t->off, "unexpected string %.*s", n, text);
        case T_NUM:
                return fail(p, t->off, "unexpected number '%.*s'", n, text);
        case T_IDENT:
                return fail(p, t->off, "unexpected name '%.*s'", n, text);
        default:
                return fail(p, t->off, "unexpected '%.*s'", n, text);
        }
}

/* Grows *arr (elements of `size` bytes) so that it holds n + 1. */
static int grow(struct cw_parser *p, void **arr, int *cap, int n, size_t size) {
        if (n < *cap)
                return 0;
        int ncap = *cap ? *cap * 2 : 16;
        void *na = realloc(*arr, (size_t)ncap * size);
        if (!na)
                return fail(p, p->tok.off, "out of memory");
        *arr = na;
        *cap = ncap;
        return 0;
}

/* Decimal only: digits, an optional fraction, an optional exponent. */
static int lex_number(struct cw_parser *p, size_t i) {
        const char *s = p->src;
        size_t j = i;
        char *end;

        while (cw_is_digit(s[j]))
                j++;
        if (s[j] == '.')
                for (j++; cw_is_digit(s[j]); j++)
                        ;
        if (s[j] == 'e' || s[j] == 'E') {
                size_t k = j + 1;
                if (s[k] == '+' || s[k] == '-')
                        k++;
                if (!cw_is_digit(s[k]))
                        goto out_malformed;
                while (cw_is_digit(s[k]))
                        k++;
                j = k;
        }
        if (cw_is_alnum(s[j]) || s[j] == '.')
                goto out_malformed;
        /* The scan above rejected whatever strtod accepts beyond plain
         * decimals (hex, inf, nan), so strtod only converts. Overflow
         * gives inf, as in C. */
        p->tok.num = strtod(s + i, &end);
        if (end != s + j)
                goto out_malformed;
        p->tok.kind = T_NUM;
        p->tok.len = j - i;
        p->pos = j;
        return 0;

out_malformed:
        while (cw_is_alnum(s[j]) || s[j] == '.' || s[j] == '+' || s[j] == '-')
                j++;
        return fail(p, i, "malformed number '%.*s'", cw_echo_len(j - i), s + i);
}

static int lex_operator(struct cw_parser *p, size_t i) {
        const char *s = p->src;
        unsigned char c = (unsigned char)s[i];

        for (size_t o = 0; o < CW_ARRAY_LEN(cw_ops); o++) {
                size_t n = strlen(cw_ops[o].text);
                if (!strncmp(s + i, cw_ops[o].text, n)) {
                        p->tok.kind = cw_ops[o].kind;
                        p->tok.def = &cw_ops[o];
                        p->tok.len = n;
                        p->pos = i + n;
                        return 0;
                }
        }
        if (c == '=' || c == '&' || c == '|')
                return fail(p, i,
                            "unexpected character '%c' (did you mean '%c%c'?)",
                            c, c, c);
        if (c >= 0x20 && c < 0x7f)
                return fail(p, i, "unexpected character '%c'", c);
        return fail(p, i, "unexpected byte 0x%02X", c);
}

/* Reads the next token into p->tok. */
static int lex(struct cw_parser *p) {
        const char *s = p->src;
        size_t i = p->pos, len = 0;

        while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
                i++;
        p->tok = (struct cw_token){T_END, i, 0, 0, NULL};
        if (cw_is_digit(s[i]) || (s[i] == '.' && cw_is_digit(s[i + 1])))
                return lex_number(p, i);
        if (cw_is_alnum(s[i])) {
                while (cw_is_alnum(s[i + len]))
                        len++;
                p->tok.kind = T_IDENT;
        } else if (s[i] == '\'') {
                const char *q = strchr(s + i + 1, '\'');
                if (!q)
                        return fail(p, i, "unterminated string literal");
                len = (size_t)(q - (s + i)) + 1;
                p->tok.kind = T_STR;
        } else if (s[i]) {
                return lex_operator(p, i);
        }
        p->tok.len = len;
        p->pos = i + len;
        return 0;
}

/* Appends one instruction; `delta` is its effect on the stack depth. */
static int emit(struct cw_parser *p, enum cw_expr_op op, unsigned a, uint32_t b,
                int delta, size_t off) {
        struct cw_expr *e = p->e;

        p->depth += delta;
        if (p->depth > CW_EXPR_MAX_STACK)
                return fail(p, off, "expression is nested too deeply");
        if (grow(p, (void **)&e->code, &p->cap_code, e->n_code,
                 sizeof(*e->code)))
                return -1;
        e->code[e->n_code++] = (struct cw_insn){(uint8_t)op, (uint16_t)a, b};
        return 0;
}

/*
 * Appends a binary instruction. Its right operand's code is what was
 * emitted last; when that is a single push, the push is the whole operand
 * and becomes the instruction's fused right operand instead.
 */
static int emit_binary(struct cw_parser *p, enum cw_expr_op op, size_t off) {
        struct cw_insn *last = &p->e->code[p->e->n_code - 1];

        if (last->op != OP_CONST && last->op != OP_VAR)
                return emit(p, op, CW_RHS_STACK, 0, -1, off);
        last->a = last->op == OP_CONST ? CW_RHS_K : CW_RHS_VAR;
        last->op = (uint8_t)op;
        p->depth--;
        return 0;
}

static int emit_const(struct cw_parser *p, double v, size_t off) {
        struct cw_expr *e = p->e;

        if (grow(p, (void **)&e->k, &p->cap_k, e->n_k, sizeof(*e->k)))
                return -1;
        e->k[e->n_k] = v;
        return emit(p, OP_CONST, 0, (uint32_t)e->n_k++, 1, off);
}

static int add_slot(struct cw_parser *p, int slot) {
        struct cw_expr *e = p->e;

        for (int i = 0; i < e->n_slots; i++)
                if (e->slots[i] == slot)
                        return 0;
        if (grow(p, (void **)&e->slots, &p->cap_slots, e->n_slots,
                 sizeof(*e->slots)))
                return -1;
        e->slots[e->n_slots++] = slot;
        return 0;
}

/* Fails unless `o` is a number; the message names the offending operand. */
static int need_number(struct cw_parser *p, const struct cw_operand *o) {
        const char *text = p->src + o->off;
        int n = cw_echo_len(o->len);

        if (o->type == V_NUM)
                return 0;
        if (o->type == V_STRLIT)
                return fail(p, o->off,
                            "the string %.*s can only be compared with == or "
                            "!= against a string or enum %s",
                            n, text, p->noun);
        return fail(p, o->off,
                    "%s '%.*s' is %s and can only be compared with == or != "
                    "against a quoted literal",
                    p->noun, n, text,
                    o->type == V_STRVAR ? "a string" : "an enum");
}

/* Finds `lit` (with its quotes) among an enum's symbols, or fails listing
 * them: a misspelt symbol would otherwise silently never match. */
static int enum_index(struct cw_parser *p, const struct cw_operand *var,
                      const struct cw_operand *lit, unsigned *idx) {
        const char *text = p->src + lit->off + 1;
        size_t len = lit->len - 2, used = 0;
        char list[256] = "";

        for (unsigned i = 0; var->symbols && var->symbols[i]; i++) {
                const char *sym = var->symbols[i];
                if (strlen(sym) == len && !memcmp(sym, text, len) &&
                    i <= UINT16_MAX) {
                        *idx = i;
                        return 0;
                }
                if (used < sizeof(list))
                        used += (size_t)snprintf(list + used,
                                                 sizeof(list) - used, "%s%s",
                                                 i ? ", " : "", sym);
        }
        return fail(p, lit->off, "'%.*s' is not a value of %.*s (%s)",
                    cw_echo_len(len), text, cw_echo_len(var->len),
                    p->src + var->off, list);
}

/* Emits `var == 'lit'` (or !=) for a string or enum variable. */
static int emit_match(struct cw_parser *p, enum cw_expr_op op,
                      const struct cw_operand *var,
                      const struct cw_operand *lit) {
        struct cw_expr *e = p->e;
        unsigned idx;

        if (var->type == V_ENUMVAR) {
                if (enum_index(p, var, lit, &idx) || add_slot(p, var->slot))
                        return -1;
                return emit(p, op == OP_EQ ? OP_ENUM_EQ : OP_ENUM_NE, idx,
                            (uint32_t)var->slot, 1, var->off);
        }
        if (e->n_lit > UINT16_MAX)
                return fail(p, lit->off, "too many string literals");
        if (grow(p, (void **)&e->lit, &p->cap_lit, e->n_lit, sizeof(*e->lit)))
                return -1;
        e->lit[e->n_lit] = (cw_str_t){p->src + lit->off + 1, lit->len - 2};
        return emit(p, op == OP_EQ ? OP_STR_EQ : OP_STR_NE,
                    (unsigned)e->n_lit++, (uint32_t)var->slot, 1, var->off);
}

/* Emits `l op r` once both sides are parsed; l becomes the result. */
static int combine(struct cw_parser *p, enum cw_expr_op op, size_t off,
                   struct cw_operand *l, const struct cw_operand *r) {
        int eq = op == OP_EQ || op == OP_NE;
        int err;

        if (eq && (l->type == V_STRVAR || l->type == V_ENUMVAR) &&
            r->type == V_STRLIT)
                err = emit_match(p, op, l, r);
        else if (eq && (r->type == V_STRVAR || r->type == V_ENUMVAR) &&
                 l->type == V_STRLIT)
                err = emit_match(p, op, r, l);
        else
                err = need_number(p, l) || need_number(p, r) ||
                      emit_binary(p, op, off);
        l->type = V_NUM;
        return err ? -1 : 0;
}

static int parse_binary(struct cw_parser *p, int min_prec,
                        struct cw_operand *out);

static int enter(struct cw_parser *p) {
        if (++p->nest > CW_EXPR_MAX_NEST)
                return fail(p, p->tok.off, "expression is nested too deeply");
        return 0;
}

/* name(args...), with the name already read and p->tok on '('. The name is
 * checked first so that a typo is reported as such. */
static int parse_call(struct cw_parser *p, const struct cw_token *name,
                      struct cw_operand *out) {
        const struct cw_func *f = NULL;
        struct cw_operand arg;
        int nargs = 0;

        for (size_t i = 0; i < CW_ARRAY_LEN(cw_funcs); i++)
                if (strlen(cw_funcs[i].name) == name->len &&
                    !memcmp(cw_funcs[i].name, p->src + name->off, name->len))
                        f = &cw_funcs[i];
        if (!f)
                return fail(p, name->off,
                            "unknown function '%.*s' (known: " CW_FUNCS_KNOWN
                            ")",
                            cw_echo_len(name->len), p->src + name->off);
        if (enter(p) || lex(p))
                return -1;
        while (p->tok.kind != T_RPAREN) {
                if (parse_binary(p, 1, &arg) || need_number(p, &arg))
                        return -1;
                nargs++;
                if (p->tok.kind == T_RPAREN)
                        break;
                /* After a comma another argument must follow: "f(a,)" is
                 * an error, not f(a). */
                if (p->tok.kind != T_COMMA)
                        return fail(p, p->tok.off, "expected ',' or ')'");
                if (lex(p))
                        return -1;
                if (p->tok.kind == T_RPAREN)
                        return fail_unexpected(p);
        }
        if (nargs != f->nargs)
                return fail(p, name->off,
                            "%s() takes %d argument%s but was given %d",
                            f->name, f->nargs, f->nargs == 1 ? "" : "s", nargs);
        p->nest--;
        out->type = V_NUM;
        if (nargs == 2 ? emit_binary(p, f->op, name->off)
                       : emit(p, f->op, 0, 0, 0, name->off))
                return -1;
        return lex(p);
}

static int parse_name(struct cw_parser *p, struct cw_operand *out) {
        const struct cw_token name = p->tok;
        const struct cw_expr_scope *sc = p->scope;
        struct cw_expr_var var = {0};

        if (lex(p))
                return -1;
        if (p->tok.kind == T_LPAREN)
                return parse_call(p, &name, out);
        if (!sc || !sc->lookup ||
            sc->lookup(sc->opaque, p->src + name.off, name.len, &var) ||
            var.slot < 0)
                return fail(p, name.off, "unknown %s '%.*s'", p->noun,
                            cw_echo_len(name.len), p->src + name.off);
        *out = (struct cw_operand){V_NUM, name.off, name.len, var.slot,
                                   var.symbols};
        if (var.kind == CW_EXPR_VAR_STR || var.kind == CW_EXPR_VAR_ENUM) {
                out->type = var.kind == CW_EXPR_VAR_STR ? V_STRVAR : V_ENUMVAR;
                return 0;
        }
        return add_slot(p, var.slot) ||
               emit(p, OP_VAR, 0, (uint32_t)var.slot, 1, name.off);
}

static int parse_primary(struct cw_parser *p, struct cw_operand *out) {
        const struct cw_token t = p->tok;

        *out = (struct cw_operand){V_NUM, t.off, t.len, -1, NULL};
        switch (t.kind) {
        case T_NUM:
                return emit_const(p, t.num, t.off) || lex(p);
        case T_STR:
                out->type = V_STRLIT;
                return lex(p);
        case T_IDENT:
                return parse_name(p, out);
        case T_LPAREN:
                if (enter(p) || lex(p) || parse_binary(p, 1, out))
                        return -1;
                if (p->tok.kind != T_RPAREN)
                        return fail(p, p->tok.off, "expected ')'");
                p->nest--;
                return lex(p);
        default:
                return fail_unexpected(p);
        }
}

static int parse_unary(struct cw_parser *p, struct cw_operand *out) {
        const struct cw_token t = p->tok;
        enum cw_expr_op op = t.kind == T_MINUS ? OP_NEG : OP_NOT;

        if (t.kind != T_MINUS && t.kind != T_BANG)
                return parse_primary(p, out);
        if (enter(p) || lex(p) || parse_unary(p, out) || need_number(p, out))
                return -1;
        p->nest--;
        /* Fold "-2.5" and "!0" into their constant: a negative literal would
         * otherwise cost an instruction at every evaluation. */
        struct cw_insn *last = &p->e->code[p->e->n_code - 1];
        if (last->op == OP_CONST) {
                double *k = &p->e->k[last->b];
                *k = op == OP_NEG ? -*k : cw_bool(!cw_expr_truthy(*k));
                return 0;
        }
        return emit(p, op, 0, 0, 0, t.off);
}

/* Precedence climbing: parses operators binding at least as tightly as
 * min_prec; a right operand only takes tighter ones, hence left
 * associativity. */
static int parse_binary(struct cw_parser *p, int min_prec,
                        struct cw_operand *out) {
        if (parse_unary(p, out))
                return -1;
        for (;;) {
                const struct cw_opdef *d = p->tok.def;
                size_t off = p->tok.off;
                struct cw_operand rhs;

                if (!d || !d->prec || d->prec < min_prec)
                        return 0;
                /* A misused string on the left is reported before anything
                 * the right operand may hold. */
                if (d->op != OP_EQ && d->op != OP_NE && need_number(p, out))
                        return -1;
                if (lex(p) || parse_binary(p, d->prec + 1, &rhs) ||
                    combine(p, d->op, off, out, &rhs))
                        return -1;
        }
}

void cw_expr_destroy(cw_expr_t *e) {
        if (!e)
                return;
        free(e->src);
        free(e->code);
        free(e->k);
        free(e->lit);
        free(e->slots);
        free(e);
}

cw_expr_t *cw_expr_compile(const char *src, const struct cw_expr_scope *scope,
                           char *errstr, size_t errstr_size) {
        struct cw_parser p = {.scope = scope,
                              .noun = scope && scope->noun ? scope->noun
                                                           : "name",
                              .errstr = errstr,
                              .errstr_size = errstr_size};
        struct cw_operand o;
        size_t len = src ? strlen(src) : 0;

        if (errstr && errstr_size)
                errstr[0] = '\0';
        p.e = calloc(1, sizeof(*p.e));
        if (!p.e || !(p.e->src = malloc(len + 1))) {
                fail(&p, 0, "out of memory");
                goto out_destroy;
        }
        memcpy(p.e->src, src ? src : "", len + 1);
        p.src = p.e->src;
        if (lex(&p))
                goto out_destroy;
        if (p.tok.kind == T_END) {
                fail(&p, 0, "empty expression");
                goto out_destroy;
        }
        if (parse_binary(&p, 1, &o))
                goto out_destroy;
        if (p.tok.kind != T_END) {
                fail_unexpected(&p);
                goto out_destroy;
        }
        if (need_number(&p, &o))
                goto out_destroy;
        return p.e;

out_destroy:
        cw_expr_destroy(p.e);
        return NULL;
}

/* `!=` that is false, not true, when either side is NaN. */
static inline double cw_ne(double x, double y) {
        return cw_bool(x < y || x > y);
}

static inline double cw_and(double x, double y) {
        return cw_bool(cw_expr_truthy(x) & cw_expr_truthy(y));
}

static inline double cw_or(double x, double y) {
        return cw_bool(cw_expr_truthy(x) | cw_expr_truthy(y));
}

static double str_match(const cw_expr_t *e, const struct cw_insn *in,
                        const cw_str_t *str) {
        const cw_str_t *lit = &e->lit[in->a];
        const cw_str_t *v = str ? &str[in->b] : NULL;

        if (!v || !v->p)
                return 0.0; /* null equals nothing and differs from nothing */
        int eq = v->len == lit->len && !memcmp(v->p, lit->p, lit->len);
        return cw_bool(in->op == OP_STR_EQ ? eq : !eq);
}

/*
 * Pops a binary instruction's right operand (its fused constant or variable,
 * or the top of the stack) into *y and returns the left one, which stays in
 * place to receive the result.
 */
static inline double cw_operands(const cw_expr_t *e, const struct cw_insn *in,
                                 const double *num, const double *s, int *sp,
                                 double *y) {
        if (in->a == CW_RHS_K)
                *y = e->k[in->b];
        else if (in->a == CW_RHS_VAR)
                *y = num[in->b];
        else
                *y = s[--*sp];
        return s[*sp - 1];
}

/*
 * One flat switch, so one indirect branch per instruction; each binary case
 * fetches its own operands, which measured faster than fetching them before
 * the switch. The stack cannot overflow: compilation rejected any program
 * deeper than CW_EXPR_MAX_STACK, and every program leaves exactly one value.
 */
double cw_expr_eval(const cw_expr_t *e, const double *num,
                    const cw_str_t *str) {
        double s[CW_EXPR_MAX_STACK], x, y;
        int sp = 0;

        if (!e)
                return NAN;
#define TOP s[sp - 1]
#define BINARY(r) (x = cw_operands(e, in, num, s, &sp, &y), TOP = (r))
        for (const struct cw_insn *in = e->code, *end = in + e->n_code;
             in < end; in++) {
                /* A table, one opcode a line. */
                /* clang-format off */
                switch ((enum cw_expr_op)in->op) {
                case OP_CONST: s[sp++] = e->k[in->b]; break;
                case OP_VAR: s[sp++] = num[in->b]; break;
                case OP_STR_EQ:
                case OP_STR_NE: s[sp++] = str_match(e, in, str); break;
                case OP_ENUM_EQ: s[sp++] = cw_bool(num[in->b] == in->a); break;
                case OP_ENUM_NE: s[sp++] = cw_ne(num[in->b], in->a); break;
                case OP_NEG: TOP = -TOP; break;
                case OP_NOT: TOP = cw_bool(!cw_expr_truthy(TOP)); break;
                case OP_ABS: TOP = fabs(TOP); break;
                case OP_LOG1P: TOP = log1p(TOP); break;
                case OP_ADD: BINARY(x + y); break;
                case OP_SUB: BINARY(x - y); break;
                case OP_MUL: BINARY(x * y); break;
                case OP_DIV: BINARY(x / y); break;
                case OP_LT: BINARY(cw_bool(x < y)); break;
                case OP_LE: BINARY(cw_bool(x <= y)); break;
                case OP_GT: BINARY(cw_bool(x > y)); break;
                case OP_GE: BINARY(cw_bool(x >= y)); break;
                case OP_EQ: BINARY(cw_bool(x == y)); break;
                case OP_NE: BINARY(cw_ne(x, y)); break;
                case OP_AND: BINARY(cw_and(x, y)); break;
                case OP_OR: BINARY(cw_or(x, y)); break;
                case OP_COALESCE: BINARY(isnan(x) ? y : x); break;
                case OP_MIN: BINARY(fmin(x, y)); break;
                case OP_MAX: BINARY(fmax(x, y)); break;
                }
                /* clang-format on */
        }
#undef TOP
#undef BINARY
        return s[0];
}

const int *cw_expr_slots(const cw_expr_t *e, int *n) {
        if (n)
                *n = e ? e->n_slots : 0;
        return e ? e->slots : NULL;
}

const char *cw_expr_source(const cw_expr_t *e) {
        return e ? e->src : NULL;
}
