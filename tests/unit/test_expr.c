/*
 * The expression language of CONTRACT.md section 3: grammar, precedence,
 * IEEE semantics with NaN-false comparisons, string and enum typing, and
 * every error a user can make, each with its column.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "features/expr.h"

static const char *const status_symbols[] = {"OPENED", "UPDATED", "RESOLVED",
                                             "REOPENED", NULL};

enum { SLOT_A, SLOT_B, SLOT_C, SLOT_NAN, SLOT_INF, SLOT_STATUS, N_NUM };
enum { SLOT_S, SLOT_T, N_STR };

static const struct {
        const char *name;
        struct cw_expr_var var;
} test_vars[] = {
        {"a", {CW_EXPR_VAR_NUM, SLOT_A, NULL}},
        {"b", {CW_EXPR_VAR_NUM, SLOT_B, NULL}},
        {"c", {CW_EXPR_VAR_NUM, SLOT_C, NULL}},
        {"nan_var", {CW_EXPR_VAR_NUM, SLOT_NAN, NULL}},
        {"inf_var", {CW_EXPR_VAR_NUM, SLOT_INF, NULL}},
        {"status", {CW_EXPR_VAR_ENUM, SLOT_STATUS, status_symbols}},
        {"s", {CW_EXPR_VAR_STR, SLOT_S, NULL}},
        {"t", {CW_EXPR_VAR_STR, SLOT_T, NULL}},
};

static int test_lookup(void *opaque, const char *name, size_t len,
                       struct cw_expr_var *out) {
        (void)opaque;
        for (size_t i = 0; i < sizeof(test_vars) / sizeof(test_vars[0]); i++)
                if (strlen(test_vars[i].name) == len &&
                    !memcmp(test_vars[i].name, name, len)) {
                        *out = test_vars[i].var;
                        return 0;
                }
        return -1;
}

static const struct cw_expr_scope scope = {"feature", test_lookup, NULL};

/* a = 2, b = 3, c = 5, status = RESOLVED, s = "abc" (borrowed from a longer
 * buffer, so a comparison that reads past len would notice), t = "xyz". */
static double num_vals[N_NUM];
static cw_str_t str_vals[N_STR];

static void set_defaults(void) {
        num_vals[SLOT_A] = 2;
        num_vals[SLOT_B] = 3;
        num_vals[SLOT_C] = 5;
        num_vals[SLOT_NAN] = NAN;
        num_vals[SLOT_INF] = INFINITY;
        num_vals[SLOT_STATUS] = 2;
        str_vals[SLOT_S] = (cw_str_t){"abcdef", 3};
        str_vals[SLOT_T] = (cw_str_t){"xyz", 3};
}

TestSuite(expr, .init = set_defaults);

static double ev(const char *src) {
        char err[256];
        cw_expr_t *e = cw_expr_compile(src, &scope, err, sizeof(err));
        cr_assert_not_null(e, "'%s' should compile: %s", src, err);
        double v = cw_expr_eval(e, num_vals, str_vals);
        cw_expr_destroy(e);
        return v;
}

/* Exact: the language promises exactly 1.0 and 0.0, and IEEE results that
 * are exactly representable. */
#define assert_ev(src, want)                                                   \
        do {                                                                   \
                double got_ = ev(src);                                         \
                cr_assert(got_ == (want), "%s = %.17g, want %.17g", src, got_, \
                          (double)(want));                                     \
        } while (0)

#define assert_ev_near(src, want)                                              \
        cr_assert_float_eq(ev(src), (want), 1e-12, "%s", src)

#define assert_ev_nan(src)                                                     \
        do {                                                                   \
                double got_ = ev(src);                                         \
                cr_assert(isnan(got_), "%s = %.17g, want NaN", src, got_);     \
        } while (0)

/* Compilation must fail with a message holding `fragment` and the column. */
static void assert_error(const char *src, const char *fragment, int column) {
        char err[256], col[32];
        cw_expr_t *e = cw_expr_compile(src, &scope, err, sizeof(err));
        cr_assert_null(e, "'%s' should not compile", src);
        snprintf(col, sizeof(col), "at column %d", column);
        cr_assert(strstr(err, fragment), "'%s': '%s' lacks '%s'", src, err,
                  fragment);
        cr_assert(strstr(err, col), "'%s': '%s' lacks '%s'", src, err, col);
}

Test(expr, decimal_literals_in_every_form_parse) {
        assert_ev("12", 12);
        assert_ev("0.5", 0.5);
        assert_ev(".5", 0.5);
        assert_ev("5.", 5);
        assert_ev("1e3", 1000);
        assert_ev("1E+3", 1000);
        assert_ev_near("2.5E-3", 0.0025);
        assert_ev("007", 7);
}

Test(expr, a_literal_too_large_for_a_double_is_infinity) {
        assert_ev("1e999", INFINITY);
}

Test(expr, whitespace_of_every_kind_is_ignored) {
        assert_ev(" \t1\n+\t2 \n", 3);
        assert_ev("a+b*c", 17);
}

Test(expr, names_read_their_slots) {
        assert_ev("a", 2);
        assert_ev("b", 3);
        assert_ev("c", 5);
        num_vals[SLOT_A] = -7.25;
        assert_ev("a", -7.25);
}

Test(expr, arithmetic_operators_follow_c) {
        assert_ev("a + b", 5);
        assert_ev("a - b", -1);
        assert_ev("a * b", 6);
        assert_ev("b / a", 1.5);
        assert_ev("-a", -2);
        assert_ev("--a", 2);
        assert_ev("1 / 3", 1.0 / 3.0);
}

/* The compiler fuses a constant or variable right operand into its
 * operator and folds unary operators on literals; every form must keep
 * the operands in order. */
Test(expr, operands_keep_their_order_whatever_their_form) {
        assert_ev("c - a", 3);
        assert_ev("c - 2", 3);
        assert_ev("7 - a", 5);
        assert_ev("c - (a + 0)", 3);
        assert_ev("(a + 3) - a", 3);
        assert_ev("c / (1 + 1)", 2.5);
        assert_ev("1 / a", 0.5);
        assert_ev("a < 3", 1.0);
        assert_ev("3 < a", 0.0);
        assert_ev("coalesce(nan_var, b)", 3);
        assert_ev("coalesce(b, nan_var)", 3);
        assert_ev("-2.5 * a", -5);
        assert_ev("a * -2.5", -5);
        assert_ev("!5 + !0 + !0", 2);
        assert_ev("- -3 - - 3", 6);
}

Test(expr, comparisons_yield_exactly_one_or_zero) {
        assert_ev("a < b", 1.0);
        assert_ev("b < a", 0.0);
        assert_ev("a < a", 0.0);
        assert_ev("a <= a", 1.0);
        assert_ev("b <= a", 0.0);
        assert_ev("b > a", 1.0);
        assert_ev("a > b", 0.0);
        assert_ev("a >= a", 1.0);
        assert_ev("a >= b", 0.0);
        assert_ev("a == 2", 1.0);
        assert_ev("a == b", 0.0);
        assert_ev("a != b", 1.0);
        assert_ev("a != 2", 0.0);
}

Test(expr, logic_yields_exactly_one_or_zero) {
        assert_ev("a && b", 1.0);
        assert_ev("a && 0", 0.0);
        assert_ev("0 && a", 0.0);
        assert_ev("0 || c", 1.0);
        assert_ev("c || 0", 1.0);
        assert_ev("0 || 0", 0.0);
        assert_ev("!0", 1.0);
        assert_ev("!c", 0.0);
        assert_ev("!!c", 1.0);
        assert_ev("!-0.5", 0.0);
}

Test(expr, negative_zero_is_false_and_equals_zero) {
        assert_ev("!-0", 1.0);
        assert_ev("-0 == 0", 1.0);
        assert_ev("-0 != 0", 0.0);
}

Test(expr, multiplication_binds_tighter_than_addition) {
        assert_ev("2 + 3 * 4", 14);
        assert_ev("2 * 3 + 4", 10);
        assert_ev("10 - 6 / 2", 7);
}

Test(expr, parentheses_override_precedence) {
        assert_ev("(2 + 3) * 4", 20);
        assert_ev("((((2))))", 2);
        assert_ev("8 / (4 / 2)", 4);
}

Test(expr, binary_operators_are_left_associative) {
        assert_ev("1 - 2 - 3 == -4", 1.0);
        assert_ev("1 - 2 - 3", -4);
        assert_ev("8 / 4 / 2", 1);
        assert_ev("3 > 2 > 1", 0.0);
        assert_ev("1 == 2 == 0", 1.0);
        assert_ev("2 < 1 < 1", 1.0);
}

Test(expr, unary_operators_bind_tightest) {
        assert_ev("-2 * 3", -6);
        assert_ev("-1 + 3", 2);
        assert_ev("!0 == 1", 1.0);
        assert_ev("!0 + 1", 2);
        assert_ev("-a * -b", 6);
        assert_ev("- -1", 1);
}

Test(expr, additive_binds_tighter_than_relational) {
        assert_ev("1 + 1 < 3", 1.0);
        assert_ev("3 > 1 + 1", 1.0);
}

Test(expr, relational_binds_tighter_than_equality) {
        assert_ev("1 < 2 == 1", 1.0);
        assert_ev("2 == 2 < 3", 0.0);
}

Test(expr, equality_binds_tighter_than_and) {
        assert_ev("1 && 2 == 2", 1.0);
        assert_ev("2 == 2 && 0", 0.0);
}

Test(expr, and_binds_tighter_than_or) {
        assert_ev("1 || 0 && 0", 1.0);
        assert_ev("0 && 0 || 1", 1.0);
        assert_ev("(1 || 0) && 0", 0.0);
}

Test(expr, division_by_zero_follows_ieee) {
        assert_ev("1 / 0", INFINITY);
        assert_ev("-1 / 0", -INFINITY);
        assert_ev("1 / -0", -INFINITY);
        assert_ev_nan("0 / 0");
        assert_ev_nan("inf_var - inf_var");
        assert_ev_nan("inf_var * 0");
        assert_ev("inf_var + 1", INFINITY);
        assert_ev("1 / inf_var", 0);
}

Test(expr, nan_propagates_through_arithmetic) {
        assert_ev_nan("nan_var + 1");
        assert_ev_nan("1 - nan_var");
        assert_ev_nan("nan_var * 0");
        assert_ev_nan("0 / nan_var");
        assert_ev_nan("-nan_var");
}

Test(expr, comparison_with_nan_is_false) {
        const char *ops[] = {"<", "<=", ">", ">=", "==", "!="};
        char src[64];
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                snprintf(src, sizeof(src), "nan_var %s 1", ops[i]);
                assert_ev(src, 0.0);
                snprintf(src, sizeof(src), "1 %s nan_var", ops[i]);
                assert_ev(src, 0.0);
                snprintf(src, sizeof(src), "nan_var %s nan_var", ops[i]);
                assert_ev(src, 0.0);
                snprintf(src, sizeof(src), "0/0 %s inf_var", ops[i]);
                assert_ev(src, 0.0);
        }
}

Test(expr, infinities_compare_like_numbers) {
        assert_ev("1/0 > 1e308", 1.0);
        assert_ev("1/0 == inf_var", 1.0);
        assert_ev("1/0 != inf_var", 0.0);
        assert_ev("-1/0 < -1e308", 1.0);
        assert_ev("-1/0 != 1/0", 1.0);
        assert_ev("inf_var >= inf_var", 1.0);
}

Test(expr, nan_is_false_and_infinity_is_true) {
        assert_ev("!nan_var", 1.0);
        assert_ev("nan_var && 1", 0.0);
        assert_ev("1 && nan_var", 0.0);
        assert_ev("nan_var || 0", 0.0);
        assert_ev("nan_var || 1", 1.0);
        assert_ev("!inf_var", 0.0);
        assert_ev("inf_var && -inf_var", 1.0);
}

Test(expr, coalesce_replaces_only_nan) {
        assert_ev("coalesce(nan_var, 7)", 7);
        assert_ev("coalesce(0/0, -1)", -1);
        assert_ev("coalesce(a, 7)", 2);
        assert_ev("coalesce(0, 7)", 0);
        assert_ev("coalesce(1/0, 7)", INFINITY);
        assert_ev_nan("coalesce(nan_var, nan_var)");
}

Test(expr, min_and_max_ignore_a_nan_argument) {
        assert_ev("min(a, b)", 2);
        assert_ev("min(b, a)", 2);
        assert_ev("max(a, b)", 3);
        assert_ev("max(b, a)", 3);
        assert_ev("min(nan_var, 3)", 3);
        assert_ev("min(3, nan_var)", 3);
        assert_ev("max(nan_var, 3)", 3);
        assert_ev("max(3, nan_var)", 3);
        assert_ev_nan("min(nan_var, nan_var)");
        assert_ev_nan("max(0/0, nan_var)");
        assert_ev("min(-1/0, 0)", -INFINITY);
        assert_ev("max(inf_var, 0)", INFINITY);
}

Test(expr, abs_is_fabs) {
        assert_ev("abs(-3)", 3);
        assert_ev("abs(3)", 3);
        assert_ev("abs(-1/0)", INFINITY);
        assert_ev_nan("abs(nan_var)");
        cr_assert(!signbit(ev("abs(-0)")));
}

Test(expr, log1p_is_c_log1p) {
        assert_ev("log1p(0)", 0);
        assert_ev_near("log1p(a)", log1p(2.0));
        assert_ev_near("log1p(1e-10)", 1e-10);
        assert_ev("log1p(-1)", -INFINITY);
        assert_ev_nan("log1p(-2)");
        assert_ev_nan("log1p(nan_var)");
        assert_ev("log1p(inf_var)", INFINITY);
}

Test(expr, functions_take_expressions_and_nest) {
        assert_ev("max(min(a, b), c - 4) * 2", 4);
        assert_ev("abs (-2)", 2);
        assert_ev("coalesce(nan_var, a + b) == 5", 1.0);
}

Test(expr, string_equals_a_literal_byte_for_byte) {
        assert_ev("s == 'abc'", 1.0);
        assert_ev("'abc' == s", 1.0);
        assert_ev("s != 'abc'", 0.0);
        assert_ev("s == 'ab'", 0.0);
        assert_ev("s == 'abcd'", 0.0);
        assert_ev("s == 'ABC'", 0.0);
        assert_ev("s != 'abd'", 1.0);
        assert_ev("'xyz' != s", 1.0);
        assert_ev("s == ''", 0.0);
        assert_ev("t == 'xyz' && s == 'abc'", 1.0);
        assert_ev("(s) == 'abc'", 1.0);
        str_vals[SLOT_S] = (cw_str_t){"", 0};
        assert_ev("s == ''", 1.0);
        assert_ev("s != ''", 0.0);
}

Test(expr, literals_keep_spaces_and_operators) {
        str_vals[SLOT_S] = (cw_str_t){"a == b && (c", 12};
        assert_ev("s == 'a == b && (c'", 1.0);
}

Test(expr, null_string_equals_no_literal_and_differs_from_none) {
        str_vals[SLOT_S] = (cw_str_t){NULL, 0};
        assert_ev("s == 'abc'", 0.0);
        assert_ev("s != 'abc'", 0.0);
        assert_ev("s == ''", 0.0);
        assert_ev("s != ''", 0.0);
        assert_ev("!(s == 'abc')", 1.0);
}

Test(expr, a_missing_string_array_reads_as_null) {
        char err[128];
        cw_expr_t *e = cw_expr_compile("s != 'x'", &scope, err, sizeof(err));
        cr_assert_not_null(e, "%s", err);
        cr_assert(cw_expr_eval(e, num_vals, NULL) == 0.0);
        cw_expr_destroy(e);
}

Test(expr, enum_compares_with_its_symbols) {
        assert_ev("status == 'RESOLVED'", 1.0);
        assert_ev("'RESOLVED' == status", 1.0);
        assert_ev("status == 'OPENED'", 0.0);
        assert_ev("status != 'OPENED'", 1.0);
        assert_ev("status != 'RESOLVED'", 0.0);
        num_vals[SLOT_STATUS] = 0;
        assert_ev("status == 'OPENED'", 1.0);
        num_vals[SLOT_STATUS] = 3;
        assert_ev("status == 'REOPENED' && a == 2", 1.0);
        num_vals[SLOT_STATUS] = NAN;
        assert_ev("status == 'OPENED'", 0.0);
        assert_ev("status != 'OPENED'", 0.0);
}

Test(expr, enum_literal_must_be_one_of_its_symbols) {
        assert_error("a > 1 && status == 'OPENNED'",
                     "'OPENNED' is not a value of status (OPENED, UPDATED, "
                     "RESOLVED, REOPENED)",
                     20);
        assert_error("'opened' != status", "'opened' is not a value of status",
                     1);
}

Test(expr, unknown_name_is_reported_with_the_scope_noun) {
        assert_error("purchses_30d", "unknown feature 'purchses_30d'", 1);
        assert_error("a + bb * 2", "unknown feature 'bb'", 5);
        assert_error("inf", "unknown feature 'inf'", 1);
        assert_error("nan", "unknown feature 'nan'", 1);
}

Test(expr, unknown_function_lists_the_known_ones) {
        assert_error("foo(1)", "unknown function 'foo'", 1);
        assert_error("1 + exp(a)", "coalesce, min, max, abs, log1p", 5);
        assert_error("a(1)", "unknown function 'a'", 1);
}

Test(expr, function_with_wrong_argument_count_is_rejected) {
        assert_error("abs(1, 2)", "abs() takes 1 argument but was given 2", 1);
        assert_error("a + log1p()", "log1p() takes 1 argument but was given 0",
                     5);
        assert_error("min(1)", "min() takes 2 arguments but was given 1", 1);
        assert_error("max(1, 2, 3)", "max() takes 2 arguments", 1);
        assert_error("coalesce()", "coalesce() takes 2 arguments", 1);
}

Test(expr, unbalanced_parentheses_are_rejected) {
        assert_error("(a + b", "expected ')'", 7);
        assert_error("((a + b)", "expected ')'", 9);
        assert_error("(a b)", "expected ')'", 4);
        assert_error("a + b)", "unexpected ')'", 6);
        assert_error(")", "unexpected ')'", 1);
        assert_error("()", "unexpected ')'", 2);
        assert_error("min(a, b", "expected ',' or ')'", 9);
        assert_error("min(a b)", "expected ',' or ')'", 7);
        assert_error("abs(,)", "unexpected ','", 5);
        assert_error("abs(1,)", "unexpected ')'", 7);
        assert_error("min(a,, b)", "unexpected ','", 7);
}

Test(expr, trailing_tokens_are_rejected) {
        assert_error("a b", "unexpected name 'b'", 3);
        assert_error("1 2", "unexpected number '2'", 3);
        assert_error("a + b 'x'", "unexpected string 'x'", 7);
        assert_error("a, b", "unexpected ','", 2);
}

Test(expr, missing_operand_is_an_unexpected_end) {
        assert_error("a +", "unexpected end of expression", 4);
        assert_error("a + b * ", "unexpected end of expression", 9);
        assert_error("-", "unexpected end of expression", 2);
        assert_error("a < * b", "unexpected '*'", 5);
        assert_error("a && || b", "unexpected '||'", 6);
}

Test(expr, empty_expression_is_rejected) {
        assert_error("", "empty expression", 1);
        assert_error("  \t\n", "empty expression", 1);
}

Test(expr, a_null_source_is_an_empty_expression) {
        assert_error(NULL, "empty expression", 1);
}

Test(expr, unexpected_characters_are_named) {
        assert_error("a # b", "unexpected character '#'", 3);
        assert_error("a = 1", "unexpected character '=' (did you mean '=='?)",
                     3);
        assert_error("a & b", "did you mean '&&'?", 3);
        assert_error("a | b", "did you mean '||'?", 3);
        assert_error("s == \"abc\"", "unexpected character '\"'", 6);
        assert_error("a + \x01", "unexpected byte 0x01", 5);
        assert_error("a \xc3\xa9", "unexpected byte 0xC3", 3);
        assert_error("a ? b : c", "unexpected character '?'", 3);
}

Test(expr, malformed_numbers_are_rejected) {
        assert_error("1e", "malformed number '1e'", 1);
        assert_error("a + 2e+", "malformed number '2e+'", 5);
        assert_error("12abc", "malformed number '12abc'", 1);
        assert_error("0x1F", "malformed number '0x1F'", 1);
        assert_error("1.2.3", "malformed number '1.2.3'", 1);
        assert_error("a + .", "unexpected character '.'", 5);
}

Test(expr, unterminated_string_is_rejected) {
        assert_error("s == 'abc", "unterminated string literal", 6);
        assert_error("'", "unterminated string literal", 1);
}

Test(expr, strings_cannot_be_used_as_numbers) {
        assert_error("s + 1", "feature 's' is a string", 1);
        assert_error("1 + s", "feature 's' is a string", 5);
        assert_error("-s", "feature 's' is a string", 2);
        assert_error("!s", "feature 's' is a string", 2);
        assert_error("s", "feature 's' is a string", 1);
        assert_error("s && 1", "feature 's' is a string", 1);
        assert_error("abs(s)", "feature 's' is a string", 5);
        assert_error("s < 'abc'", "only be compared with == or !=", 1);
        assert_error("s == 1", "feature 's' is a string", 1);
        assert_error("2 != s", "feature 's' is a string", 6);
}

Test(expr, a_string_compares_only_with_a_literal) {
        assert_error("s == t",
                     "feature 's' is a string and can only be "
                     "compared with == or != against a quoted literal",
                     1);
        assert_error("s == status", "feature 's' is a string", 1);
}

Test(expr, string_literals_cannot_be_used_as_numbers) {
        assert_error("'abc'", "the string 'abc' can only be compared", 1);
        assert_error("'a' == 'a'", "the string 'a'", 1);
        assert_error("a == 'x'", "the string 'x'", 6);
        assert_error("'x' + 1", "the string 'x'", 1);
        assert_error("coalesce(a, 'x')", "the string 'x'", 13);
        assert_error("a == 1 || 'x'", "the string 'x'", 11);
}

Test(expr, enums_cannot_be_used_as_numbers) {
        assert_error("status == 2", "feature 'status' is an enum", 1);
        assert_error("2 == status", "feature 'status' is an enum", 6);
        assert_error("status + 1", "feature 'status' is an enum", 1);
        assert_error("status", "feature 'status' is an enum", 1);
        assert_error("status < 'OPENED'", "feature 'status' is an enum", 1);
        assert_error("log1p(status)", "feature 'status' is an enum", 7);
}

/* "1+(1+(1+ ... (1+1)))": n additions need n + 1 stack slots. */
static void right_nested_sum(char *buf, int n) {
        char *p = buf;
        for (int i = 0; i < n; i++)
                p += sprintf(p, "1+(");
        p += sprintf(p, "1");
        for (int i = 0; i < n; i++)
                *p++ = ')';
        *p = '\0';
}

Test(expr, sixty_four_stack_slots_are_allowed) {
        char src[512];
        right_nested_sum(src, 63);
        assert_ev(src, 64);
}

Test(expr, needing_more_than_sixty_four_stack_slots_is_too_deep) {
        char src[512];
        right_nested_sum(src, 64);
        /* The 65th operand, the last "1", is where the stack overflows. */
        assert_error(src, "expression is nested too deeply", 64 * 3 + 1);
}

Test(expr, thousands_of_parentheses_are_too_deep_not_a_crash) {
        static char src[20001];
        memset(src, '(', 10000);
        src[10000] = 'a';
        memset(src + 10001, ')', 9999);
        src[20000] = '\0';
        char err[128];
        cw_expr_t *e = cw_expr_compile(src, &scope, err, sizeof(err));
        cr_assert_null(e);
        cr_assert(strstr(err, "expression is nested too deeply at column"),
                  "%s", err);
        memset(src, '-', 10000);
        src[10000] = '\0';
        cr_assert_null(cw_expr_compile(src, &scope, err, sizeof(err)));
        cr_assert(strstr(err, "nested too deeply"), "%s", err);
}

Test(expr, a_hundred_thousand_levels_of_any_nesting_are_refused_at_257) {
        /* Parentheses, unary minus, not, and function calls: the parser
         * stops at CW_EXPR_MAX_NEST (256) before its recursion can grow
         * the C stack (issue 16). */
        static const char *const open[] = {"(", "-", "!", "abs("};
        static char src[500016];
        char err[128];

        for (size_t k = 0; k < sizeof(open) / sizeof(*open); k++) {
                size_t n = strlen(open[k]), at = 0;
                for (int i = 0; i < 100000; i++, at += n)
                        memcpy(src + at, open[k], n);
                src[at++] = 'a';
                for (int i = 0; i < 100000 && open[k][n - 1] == '('; i++)
                        src[at++] = ')';
                src[at] = '\0';
                cr_assert_null(cw_expr_compile(src, &scope, err, sizeof(err)),
                               "%s", open[k]);
                cr_assert(strstr(err, "expression is nested too deeply at "
                                      "column"),
                          "%s: %s", open[k], err);
        }
}

Test(expr, deep_parentheses_without_stack_use_are_fine) {
        char src[512];
        memset(src, '(', 200);
        src[200] = 'c';
        memset(src + 201, ')', 200);
        src[401] = '\0';
        assert_ev(src, 5);
}

Test(expr, slots_are_distinct_in_order_of_first_appearance) {
        char err[128];
        cw_expr_t *e = cw_expr_compile(
                "c + a * c > 0 && t == 'x' && status == 'UPDATED' && b < a",
                &scope, err, sizeof(err));
        cr_assert_not_null(e, "%s", err);
        int n;
        const int *slots = cw_expr_slots(e, &n);
        cr_assert_eq(n, 4);
        cr_assert_eq(slots[0], SLOT_C);
        cr_assert_eq(slots[1], SLOT_A);
        cr_assert_eq(slots[2], SLOT_STATUS);
        cr_assert_eq(slots[3], SLOT_B);
        cw_expr_destroy(e);
}

Test(expr, constant_expression_reads_no_slots) {
        cw_expr_t *e = cw_expr_compile("1 + 2", &scope, NULL, 0);
        cr_assert_not_null(e);
        int n = -1;
        cw_expr_slots(e, &n);
        cr_assert_eq(n, 0);
        cr_assert(cw_expr_eval(e, NULL, NULL) == 3);
        cw_expr_destroy(e);
}

Test(expr, source_is_a_copy_of_the_input) {
        char src[] = "a + 1";
        cw_expr_t *e = cw_expr_compile(src, &scope, NULL, 0);
        cr_assert_not_null(e);
        src[0] = 'b';
        cr_assert_str_eq(cw_expr_source(e), "a + 1");
        cr_assert(cw_expr_eval(e, num_vals, str_vals) == 3);
        cw_expr_destroy(e);
}

Test(expr, string_literals_survive_the_caller_freeing_the_source) {
        char src[] = "s == 'abc'";
        cw_expr_t *e = cw_expr_compile(src, &scope, NULL, 0);
        cr_assert_not_null(e);
        memset(src, 'z', sizeof(src) - 1);
        cr_assert(cw_expr_eval(e, num_vals, str_vals) == 1.0);
        cw_expr_destroy(e);
}

Test(expr, destroying_null_does_nothing) {
        cw_expr_destroy(NULL);
}

Test(expr, a_small_error_buffer_is_truncated_not_overrun) {
        char err[12];
        memset(err, 'x', sizeof(err));
        cr_assert_null(cw_expr_compile("unknown_name", &scope, err, 8));
        cr_assert_eq(strlen(err), 7);
        cr_assert_eq(err[8], 'x');
        cr_assert_null(cw_expr_compile("unknown_name", &scope, NULL, 0));
}

Test(expr, long_names_are_shortened_in_errors_so_the_column_survives) {
        char src[600], err[256];
        memset(src, 'q', 500);
        strcpy(src + 500, " + 1 +");
        cr_assert_null(cw_expr_compile(src, &scope, err, sizeof(err)));
        cr_assert(strstr(err, "at column 1"), "%s", err);
}

/* Every prefix of a valid expression either compiles or says where it
 * stopped making sense; none crashes or leaks (run under ASan). */
Test(expr, every_prefix_compiles_or_names_a_column) {
        const char *full = "coalesce(a, 1) * -(b + 2.5e1) >= max(c, 0) && "
                           "(s == 'x y' || status != 'UPDATED') || !(a < 1)";
        char buf[256], err[256];
        size_t len = strlen(full);
        for (size_t i = 0; i <= len; i++) {
                memcpy(buf, full, i);
                buf[i] = '\0';
                cw_expr_t *e = cw_expr_compile(buf, &scope, err, sizeof(err));
                if (e) {
                        (void)cw_expr_eval(e, num_vals, str_vals);
                        cw_expr_destroy(e);
                } else {
                        cr_assert(strstr(err, " at column "), "'%s': %s", buf,
                                  err);
                }
        }
        assert_ev(full, 1.0);
}
