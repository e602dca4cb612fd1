"""The expression grammar: precedence, literals, names, and syntax errors located in the file."""

from __future__ import annotations

import pickle

import pytest

from composite import expr
from composite.errors import ExpressionSyntaxError, ProjectError
from composite.expr import (
    FUNCTIONS,
    Binary,
    BoolOp,
    Call,
    Compare,
    IfElse,
    In,
    ListLiteral,
    Literal,
    Name,
    Node,
    Not,
    Unary,
    parse,
    unparse,
    walk,
)


def shape(node: Node) -> str:
    """A fully parenthesised prefix form, so that a test states the grouping it expects."""
    if isinstance(node, Literal):
        return repr(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, (Binary, Compare)):
        return f"({node.op} {shape(node.left)} {shape(node.right)})"
    if isinstance(node, Unary):
        return f"({node.op} {shape(node.operand)})"
    if isinstance(node, Not):
        return f"(not {shape(node.operand)})"
    if isinstance(node, BoolOp):
        return f"({node.op} {' '.join(shape(o) for o in node.operands)})"
    if isinstance(node, In):
        items = " ".join(shape(i) for i in node.options.items)
        return f"({'not-in' if node.negated else 'in'} {shape(node.item)} [{items}])"
    if isinstance(node, IfElse):
        return f"(if {shape(node.condition)} {shape(node.then)} {shape(node.orelse)})"
    if isinstance(node, Call):
        return f"({node.function} {' '.join(shape(a) for a in node.args)})"
    raise AssertionError(node)


PRECEDENCE = [
    ("a + b * c", "(+ a (* b c))"),
    ("a * b + c", "(+ (* a b) c)"),
    ("a - b - c", "(- (- a b) c)"),
    ("a / b * c", "(* (/ a b) c)"),
    ("a % b + c % d", "(+ (% a b) (% c d))"),
    ("-2 ** 2", "(- (** 2 2))"),
    ("-x ** 2", "(- (** x 2))"),
    ("(-2) ** 2", "(** -2 2)"),
    ("2 ** 3 ** 2", "(** 2 (** 3 2))"),
    ("2 ** -1", "(** 2 -1)"),
    ("a * -b", "(* a (- b))"),
    ("a - -b", "(- a (- b))"),
    ("- - 3", "3"),
    ("+x", "(+ x)"),
    ("a + b < c * d", "(< (+ a b) (* c d))"),
    ("a == b", "(== a b)"),
    ("a != -1", "(!= a -1)"),
    ("not a == b", "(not (== a b))"),
    ("not not a", "(not (not a))"),
    ("not a and b", "(and (not a) b)"),
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c", "(or (and a b) c)"),
    ("a and b and c", "(and a b c)"),
    ("a or b or c and d", "(or a b (and c d))"),
    ("(a or b) and c", "(and (or a b) c)"),
    ("not x in [1]", "(not (in x [1]))"),
    ("x + 1 in [1, 2]", "(in (+ x 1) [1 2])"),
    ("x in [1, 2] and y not in ['a']", "(and (in x [1 2]) (not-in y ['a']))"),
    ("x in []", "(in x [])"),
    ("if a then b else c", "(if a b c)"),
    ("if a then b else if c then d else e", "(if a b (if c d e))"),
    ("if a or b then x + 1 else y * 2", "(if (or a b) (+ x 1) (* y 2))"),
    ("(if a then 1 else 2) + 3", "(+ (if a 1 2) 3)"),
    ("min(a, b + 1) * 2", "(* (min a (+ b 1)) 2)"),
    ("max(1, 2, 3)", "(max 1 2 3)"),
    ("round(x, -2)", "(round x -2)"),
    ("clip(if a then 1 else 2, 0, 3)", "(clip (if a 1 2) 0 3)"),
    ("(a)", "a"),
]


@pytest.mark.parametrize("text, expected", PRECEDENCE)
def test_operators_group_by_the_precedence_table(text: str, expected: str) -> None:
    assert shape(parse(text).ast) == expected


@pytest.mark.parametrize("text, expected", PRECEDENCE)
def test_unparse_gives_text_that_parses_to_the_same_tree(text: str, expected: str) -> None:
    tree = parse(text).ast
    assert parse(unparse(tree)).ast == tree


def test_unparse_adds_only_needed_parentheses() -> None:
    assert unparse(parse("(a + b) * (c)").ast) == "(a + b) * c"
    assert unparse(parse("(-2) ** 2").ast) == "(-2) ** 2"
    assert unparse(parse("(a < b) == c").ast) == "(a < b) == c"
    assert unparse(parse("x not in ['a', \"b\\n\"]").ast) == 'x not in ["a", "b\\n"]'


@pytest.mark.parametrize(
    "text, value",
    [
        ("7", 7),
        ("007", 7),
        ("1.5", 1.5),
        ("1.", 1.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("-4", -4),
        ("-0.5", -0.5),
        ('"double"', "double"),
        ("'single'", "single"),
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"a\nb\tc\\d"', "a\nb\tc\\d"),
        ("''", ""),
        ("true", True),
        ("false", False),
        ("null", None),
    ],
)
def test_literals_have_their_value_and_type(text: str, value: object) -> None:
    tree = parse(text).ast
    assert isinstance(tree, Literal)
    assert type(tree.value) is type(value)
    assert tree.value == value


def test_an_integer_literal_is_an_int_and_a_decimal_is_a_float() -> None:
    assert type(parse("10").ast.value) is int  # type: ignore[attr-defined]
    assert type(parse("10.0").ast.value) is float  # type: ignore[attr-defined]
    assert type(parse("1e1").ast.value) is float  # type: ignore[attr-defined]


def test_names_are_the_free_variables_only() -> None:
    e = parse("if min(credit_amount, cap) > 0 and status in [\"a\", other] then _x1 else null")
    assert e.names == frozenset({"credit_amount", "cap", "status", "other", "_x1"})
    assert parse("1 + 2").names == frozenset()
    assert parse("round(x, 2)").names == frozenset({"x"})


@pytest.mark.parametrize("text, written, meant", [("True", "True", "true"), ("a AND b", "AND", "and"),
                                                   ("a Or b", "Or", "or"), ("NOT a", "NOT", "not"),
                                                   ("x == None", "None", "null"), ("x == NULL", "NULL", "null")])
def test_keywords_in_another_case_are_refused_with_the_lower_case_spelling(text: str, written: str, meant: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    problem = caught.value.problems[0]
    assert problem.message == f"unexpected '{written}'; write '{meant}' (keywords are lower case)"
    assert (problem.column, problem.fix) == (text.index(written) + 1, meant)


def test_a_lower_case_none_is_still_a_name() -> None:
    assert parse("none").ast == Name("none")


def test_literal_equality_respects_type() -> None:
    assert Literal(True) != Literal(1)
    assert Literal(1) != Literal(1.0)
    assert Literal("a") == Literal("a", start=3, end=6)
    assert len({Literal(True), Literal(1), Literal(1.0)}) == 3


def test_nodes_record_their_span_including_parentheses() -> None:
    e = parse("( a + b ) * c")
    assert e.snippet(e.ast) == "( a + b ) * c"
    assert e.snippet(e.ast.left) == "( a + b )"  # type: ignore[attr-defined]
    assert e.snippet(e.ast.right) == "c"  # type: ignore[attr-defined]


def test_location_maps_a_node_into_the_file() -> None:
    e = parse("a +\n  b / c", source="rules/x.yaml", line=12, column=5)
    division = e.ast.right  # type: ignore[attr-defined]
    assert e.location(e.ast) == (12, 5)
    assert e.location(division) == (13, 3)


def test_walk_visits_parents_before_children_left_to_right() -> None:
    tree = parse("a + f * 2 > 1 and x in [y]").ast
    names = [n.name for n in walk(tree) if isinstance(n, Name)]
    assert names == ["a", "f", "x", "y"]
    assert isinstance(next(iter(walk(tree))), BoolOp)
    assert any(isinstance(n, ListLiteral) for n in walk(tree))


def test_expression_is_immutable_and_pickles_by_reparsing() -> None:
    e = parse("x * 2", source="f.yaml", line=3, column=9)
    with pytest.raises(AttributeError):
        e.text = "y"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(e))
    assert (copy.text, copy.source, copy.line, copy.column) == ("x * 2", "f.yaml", 3, 9)
    assert copy.ast == e.ast
    assert copy.evaluate({"x": 4}) == 8
    assert repr(e) == "Expression('x * 2')"


def test_public_names_are_complete_and_sorted() -> None:
    public = {n for n in vars(expr) if not n.startswith("_") and n != "annotations"}
    assert set(expr.__all__) == public
    # isort order, as ruff keeps it: CONSTANTS, then Classes, then functions.
    assert expr.__all__ == sorted(expr.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n))


# -- syntax errors -----------------------------------------------------------------------------

SYNTAX_ERRORS = [
    # text, start of the message, line, column (all within the expression)
    ("", "expected an expression, found end of expression", 1, 1),
    ("   ", "expected an expression, found end of expression", 1, 1),
    ("a +", "expected an expression, found end of expression", 1, 4),
    ("a + * b", "expected an expression, found '*'", 1, 5),
    ("then", "expected an expression, found 'then'", 1, 1),
    ("a b", "expected an operator or the end of the expression, found name 'b'", 1, 3),
    ("a 12", "expected an operator or the end of the expression, found number 12", 1, 3),
    ("(a) (b)", "expected an operator or the end of the expression, found '('", 1, 5),
    ("if a > 1 else 2", "expected 'then' after the condition of 'if', found 'else'", 1, 10),
    ("if a then b", "expected 'else' after the 'then' branch of 'if', found end of expression", 1, 12),
    ("if a then b otherwise c", "expected 'else' after the 'then' branch of 'if', found name 'otherwise'", 1, 13),
    ("(a + b", "expected ')' to close the '(' at line 1, column 1, found end of expression", 1, 7),
    ("x * (a + b]", "expected ')' to close the '(' at line 1, column 5, found ']'", 1, 11),
    ("x in y", "expected a list like [\"a\", \"b\"] after 'in', found name 'y'", 1, 6),
    ("x not in 'a'", "expected a list like [\"a\", \"b\"] after 'not in', found string 'a'", 1, 10),
    ("[1, 2]", "a list [...] can only follow 'in' or 'not in'", 1, 1),
    (
        "x in [1, 2",
        "expected ',' or ']' in the list after 'in' (opened at line 1, column 6), found end of expression",
        1,
        11,
    ),
    ("x in [1,]", "expected an expression, found ']'", 1, 9),
    ("min(1 2)", "expected ',' or ')' in the arguments of min() (opened at line 1, column 4), found number 2", 1, 7),
    ("min(1, )", "expected an expression, found ')'", 1, 8),
    ("a not b", "expected 'in' after 'not', found name 'b'", 1, 7),
    ("1 + if a then 1 else 2", "an 'if' inside a larger expression needs parentheses", 1, 5),
    ("a = 1", "unexpected '='; write '==' to compare", 1, 3),
    ("a =< 1", "unexpected '=<'; write '<=' (less than or equal)", 1, 3),
    ("a => 1", "unexpected '=>'; write '>=' (greater than or equal)", 1, 3),
    ("a <> 1", "unexpected '<>'; write '!=' (not equal)", 1, 3),
    ("a && b", "unexpected '&&'; write 'and'", 1, 3),
    ("a & b", "unexpected '&'; write 'and'", 1, 3),
    ("a || b", "unexpected '||'; write 'or'", 1, 3),
    ("!a", "unexpected '!'; write 'not', or '!=' to compare", 1, 1),
    ("a // b", "integer division '//' is not supported; write floor(a / b)", 1, 3),
    ("a ^ 2", "unexpected '^'; write '**' for a power", 1, 3),
    ("a $ b", "unexpected character '$'", 1, 3),
    ("'abc", "unterminated string: no closing ' on this line", 1, 1),
    ('x == "abc\nd"', 'unterminated string: no closing " on this line', 1, 6),
    (r'"a\qb"', "unknown escape '\\q' in string", 1, 3),
    ("12abc", "invalid number '12abc'", 1, 1),
    ("x + 1.2.3", "invalid number '1.2.3'", 1, 5),
    ("1e", "invalid number '1e'", 1, 1),
    ("99999999999999999999", "integer 99999999999999999999 does not fit in 64 bits", 1, 1),
    ("round(x, n)", "the digits of round() must be a whole number written out, from -15 to 15, found 'n'", 1, 10),
    ("round(x, 1.5)", "the digits of round() must be a whole number written out", 1, 10),
    ("round(x, 16)", "the digits of round() must be a whole number written out", 1, 10),
]


@pytest.mark.parametrize("text, message, line, column", SYNTAX_ERRORS)
def test_syntax_errors_say_what_was_expected_and_where(
    text: str, message: str, line: int, column: int
) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse(text)
    error = info.value
    assert error.message.startswith(message)
    assert (error.line, error.column) == (line, column)
    assert error.code == "expression_syntax"
    assert isinstance(error, ProjectError)


def test_chained_comparison_is_an_error_with_a_fix() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("0 < x < 10")
    error = info.value
    assert error.code == "expression_chained_comparison"
    assert (error.line, error.column) == (1, 7)
    assert error.message == (
        "comparisons cannot be chained ('<' after '<'); "
        "join two comparisons with 'and', e.g. 'a < b and b < c'"
    )
    with pytest.raises(ExpressionSyntaxError, match=r"\('in' after '=='\)"):
        parse("a == b in [true]")
    with pytest.raises(ExpressionSyntaxError, match=r"\('==' after 'not in'\)"):
        parse("a not in [1] == b")


def test_unknown_function_is_named_with_the_known_ones() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("1 + average(a, b)")
    error = info.value
    assert error.code == "expression_unknown_function"
    assert (error.line, error.column) == (1, 5)
    assert error.message == (
        "unknown function 'average'; the functions are: "
        "abs, ceil, clip, coalesce, date, datetime, day, days, duration, exp, floor, log, max, min, month, round, sqrt, "
        "time, year"
    )
    assert sorted(FUNCTIONS) == ["abs", "ceil", "clip", "coalesce", "date", "datetime", "day", "days", "duration", "exp",
                                 "floor", "log", "max", "min", "month", "round", "sqrt", "time", "year"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("min(1)", "min() takes at least 2 arguments, as in min(a, b, ...); got 1"),
        ("max()", "max() takes at least 2 arguments, as in max(a, b, ...); got 0"),
        ("abs(1, 2)", "abs() takes 1 argument, as in abs(x); got 2"),
        ("sqrt()", "sqrt() takes 1 argument, as in sqrt(x); got 0"),
        ("clip(x, 1)", "clip() takes 3 arguments, as in clip(x, lo, hi); got 2"),
        ("round(x, 2, 3)", "round() takes 1 or 2 arguments, as in round(x, digits); got 3"),
    ],
)
def test_wrong_arity_is_a_parse_error(text: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("  " + text)
    assert info.value.code == "expression_arity"
    assert info.value.message == message
    assert (info.value.line, info.value.column) == (1, 3)


def test_errors_in_multi_line_text_have_the_right_line() -> None:
    text = "if income > 0\n  then debt / income\n  els 0\n"
    with pytest.raises(ExpressionSyntaxError) as info:
        parse(text)
    error = info.value
    assert (error.line, error.column) == (3, 3)
    assert error.message == "expected 'else' after the 'then' branch of 'if', found name 'els'"


def test_a_missing_piece_is_reported_where_the_text_stops_not_after_blank_lines() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("a +\n\n\n")
    assert (info.value.line, info.value.column) == (1, 4)


def test_errors_are_located_in_the_file_the_text_came_from() -> None:
    # The column offset applies to the first line only: later lines start at the file's margin.
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("a b", source="rules/x.yaml", line=12, column=5)
    error = info.value
    assert (error.file, error.line, error.column) == ("rules/x.yaml", 12, 7)
    assert str(error).startswith("rules/x.yaml:12:7: expected an operator")

    with pytest.raises(ExpressionSyntaxError) as info:
        parse("if income > 0\n  then debt / income\n  els 0", source="rules/x.yaml", line=12, column=5)
    error = info.value
    assert (error.file, error.line, error.column) == ("rules/x.yaml", 14, 3)
    assert str(error) == (
        "rules/x.yaml:14:3: expected 'else' after the 'then' branch of 'if', found name 'els' "
        "[expression_syntax]"
    )


def test_an_unclosed_parenthesis_names_where_it_was_opened_in_the_file() -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse("x *\n  (a + b", source="f.yaml", line=4, column=11)
    assert info.value.message == "expected ')' to close the '(' at line 5, column 3, found end of expression"
    assert (info.value.line, info.value.column) == (5, 9)
