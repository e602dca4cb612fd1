"""The recursive-descent parser and `Expression`, the parsed text with its two evaluators.

User text is only ever tokenized and parsed here; nothing is handed to Python's eval or ast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from composite.errors import EvaluationError, ExpressionSyntaxError
from composite.expr._ast import (
    FUNCTIONS,
    ROUND_DIGITS_LIMIT,
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
    walk,
)
from composite.expr._compile import Failure, RowFn, compile_row
from composite.expr._lexer import Positions, SyntaxProblem, Token, tokenize
from composite.expr._temporal import LITERAL_TEXT, check_literal
from composite.expr._vector import Batch, ColumnFn, compile_columns

UNKNOWN_FUNCTION = "expression_unknown_function"
ARITY = "expression_arity"
CHAINED_COMPARISON = "expression_chained_comparison"

_COMPARE_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})

# How deeply sub-expressions may nest: parentheses, function arguments, list items, `if`
# branches, and chains of prefix `-`, `not` and `**`. The parser recurses once per level (about
# a dozen Python frames for a parenthesis), so a bound here keeps it well inside Python's
# recursion limit. Flat chains (`a + b + ...`, `x and y and ...`) are not nesting: any length.
MAX_EXPRESSION_DEPTH = 50
TOO_DEEP = "expression_too_deep"
_ROWS_LISTED = 5


def parse(text: str, *, source: str | None = None, line: int = 1, column: int = 1,
          written: str | None = None) -> Expression:
    """Parse expression text once, for evaluation on rows or on columns.

    Parameters
    ----------
    text : str
        The expression, possibly over several lines (a YAML block scalar).
    source : str, optional
        The file the text comes from; errors carry it as their `file`.
    line, column : int
        Where the text starts in that file (1-based). Error lines are shifted by `line - 1`;
        error columns by `column - 1` on the first line only.
    written : str, optional
        The text as the file has it, when YAML changed its whitespace (a folded `>` block, a `|`
        block's stripped indentation): positions are then those of `written`, starting at
        `line`, `column`, while `text` stays the expression's text.

    Raises
    ------
    ExpressionSyntaxError
        With the file position of the offending token and what was expected there.

    Examples
    --------
    >>> e = parse("credit_amount / duration_months")
    >>> sorted(e.names)
    ['credit_amount', 'duration_months']
    >>> e.evaluate({"credit_amount": 1200, "duration_months": 24})
    50.0
    >>> parse("if age < 25 then 10 else 20").evaluate({"age": 30})
    20
    """
    positions = Positions(text, line, column, written)
    try:
        parser = _Parser(text, tokenize(text), positions)
        try:
            tree = parser.parse()
            return Expression(text, tree, source=source, line=line, column=column, written=written)
        except RecursionError:  # the caller's own stack was already deep: still a located error
            raise parser.too_deep() from None
    except SyntaxProblem as problem:
        at_line, at_column = positions(problem.offset)
        raise ExpressionSyntaxError(
            problem.message, code=problem.code, file=source, line=at_line, column=at_column, fix=problem.fix
        ) from None


class Expression:
    """A parsed expression: its text, tree and free names, and its row and column evaluators.

    Build it with `parse`. Instances are immutable and can be pickled (they re-parse).
    """

    __slots__ = ("_columns", "_positions", "_row", "ast", "column", "line", "names", "source", "text", "written")

    text: str
    ast: Node
    names: frozenset[str]
    source: str | None
    line: int
    column: int
    written: str | None  # the text as the file has it, when YAML changed its whitespace
    _positions: Positions
    _row: RowFn
    _columns: ColumnFn

    def __init__(
        self, text: str, tree: Node, *, source: str | None = None, line: int = 1, column: int = 1,
        written: str | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "text", text)
        set_(self, "ast", tree)
        set_(self, "names", frozenset(n.name for n in walk(tree) if isinstance(n, Name)))
        set_(self, "source", source)
        set_(self, "line", line)
        set_(self, "column", column)
        set_(self, "written", written if written != text else None)
        set_(self, "_positions", Positions(text, line, column, self.written))
        set_(self, "_row", compile_row(tree))
        set_(self, "_columns", compile_columns(tree))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Expression is immutable")

    def __reduce__(self) -> tuple[Callable[..., Expression], tuple[Any, ...]]:
        return _reparse, (self.text, self.source, self.line, self.column, self.written)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """Evaluate on one row of scalars (Python or numpy); returns bool, int, float, str or None.

        Raises `EvaluationError` naming the expression, the failing operation and its position.
        """
        try:
            return self._row(values)
        except Failure as failure:
            raise self._error(failure) from None

    def evaluate_columns(self, columns: Mapping[str, Any], size: int) -> np.ndarray:
        """Evaluate on columns of length `size`; returns a bool, int64, float64 or object array.

        Agrees with `evaluate` row by row. Branches of `if` and the right side of `and`/`or`
        are evaluated only for the rows that select them, so they fail only for those rows.
        Values mixing ints and floats (e.g. the two branches of an `if`) are carried as float64,
        as numpy does: there, ints beyond 2**53 lose precision and an int64 overflow that the
        row evaluator reports goes unseen. Raises `EvaluationError` whose `rows` attribute
        holds the offending row indices (the message lists at most five).
        """
        batch = Batch(columns, size)
        try:
            with np.errstate(all="ignore"):  # failures are detected explicitly, on live rows only
                result = self._columns(batch, None)
        except Failure as failure:
            raise self._error(failure) from None
        if batch.is_input(result):  # never hand out the caller's own array
            result = result.copy()
        return result

    def location(self, node: Node) -> tuple[int, int]:
        """The (line, column) of a node of `ast` in the file the expression came from."""
        return self._positions(node.start)

    def snippet(self, node: Node) -> str:
        """The text of a node of `ast`, as written."""
        return self.text[node.start : node.end]

    def _error(self, failure: Failure) -> EvaluationError:
        shown = " ".join(self.text.split())
        message = f"expression '{shown}': {failure.message}"
        snippet = " ".join(self.snippet(failure.node).split())
        if snippet != shown and not isinstance(failure.node, Name):
            message += f", at '{snippet}'"
        rows = failure.rows
        if rows is not None:
            listed = ", ".join(str(r) for r in rows[:_ROWS_LISTED])
            more = f" and {len(rows) - _ROWS_LISTED} more" if len(rows) > _ROWS_LISTED else ""
            message += f" (row{'s' if len(rows) > 1 else ''} {listed}{more})"
        line, column = self.location(failure.node)
        error = EvaluationError(
            message, code=failure.code, file=self.source, line=line, column=column
        )
        error.rows = tuple(rows) if rows is not None else ()  # type: ignore[attr-defined]
        error.missing = failure.missing  # type: ignore[attr-defined]  # the name that held a null
        return error


def _reparse(text: str, source: str | None, line: int, column: int, written: str | None = None) -> Expression:
    return parse(text, source=source, line=line, column=column, written=written)


class _Parser:
    """One method per precedence level, lowest first; each returns a node with its span."""

    def __init__(self, text: str, tokens: list[Token], positions: Positions) -> None:
        self.text = text
        self.tokens = tokens
        self.positions = positions
        self.index = 0
        self.depth = -1  # the whole expression is level 0

    def nested(self, parse: Callable[[], Node]) -> Node:
        """`parse()` one level deeper; past MAX_EXPRESSION_DEPTH a located error, not a RecursionError."""
        self.depth += 1
        try:
            if self.depth > MAX_EXPRESSION_DEPTH:
                raise self.too_deep()
            return parse()
        finally:
            self.depth -= 1

    def too_deep(self) -> SyntaxProblem:
        return SyntaxProblem(f"the expression nests more than {MAX_EXPRESSION_DEPTH} levels deep here "
                             "(parentheses, function calls, if, -, not, **); compute parts of it in "
                             "separate expression nodes", self.token.start, TOO_DEEP)

    # -- token access -------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: str, value: Any = None) -> bool:
        token = self.tokens[self.index]
        return token.kind == kind and (value is None or token.value == value)

    def found(self) -> str:
        return self.token.describe(self.text)

    def fail(self, message: str, token: Token | None = None, code: str | None = None) -> SyntaxProblem:
        token = token or self.token
        return SyntaxProblem(message, token.start, code) if code else SyntaxProblem(message, token.start)

    def expect(self, kind: str, value: str, context: str) -> Token:
        if not self.at(kind, value):
            raise self.fail(f"expected '{value}' {context}, found {self.found()}")
        return self.advance()

    def opened_at(self, token: Token) -> str:
        line, column = self.positions(token.start)
        return f"line {line}, column {column}"

    # -- grammar ------------------------------------------------------------------------------

    def parse(self) -> Node:
        if self.at("end"):
            raise self.fail("expected an expression, found end of expression")
        node = self.expression()
        if not self.at("end"):
            raise self.fail(f"expected an operator or the end of the expression, found {self.found()}")
        return node

    def expression(self) -> Node:
        return self.nested(self._expression)

    def _expression(self) -> Node:
        if self.at("keyword", "if"):
            return self.if_else()
        return self.disjunction()

    def if_else(self) -> Node:
        start = self.advance()
        condition = self.expression()
        self.expect("keyword", "then", "after the condition of 'if'")
        then = self.expression()
        self.expect("keyword", "else", "after the 'then' branch of 'if'")
        orelse = self.expression()  # an `else if` chain nests to the right
        return IfElse(condition, then, orelse, start=start.start, end=orelse.end)

    def disjunction(self) -> Node:
        return self.bool_op("or", self.conjunction)

    def conjunction(self) -> Node:
        return self.bool_op("and", self.negation)

    def bool_op(self, op: str, operand: Callable[[], Node]) -> Node:
        operands = [operand()]
        while self.at("keyword", op):
            self.advance()
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        return BoolOp(op, tuple(operands), start=operands[0].start, end=operands[-1].end)  # type: ignore[arg-type]

    def negation(self) -> Node:
        if self.at("keyword", "not"):
            start = self.advance()
            operand = self.nested(self.negation)
            return Not(operand, start=start.start, end=operand.end)
        return self.comparison()

    def comparison_op(self) -> str | None:
        token = self.token
        if token.kind == "op" and token.value in _COMPARE_OPS:
            return token.value
        if token.kind == "keyword" and token.value == "in":
            return "in"
        if token.kind == "keyword" and token.value == "not":
            if self.peek().kind == "keyword" and self.peek().value == "in":
                return "not in"
            raise self.fail(f"expected 'in' after 'not', found {self.peek().describe(self.text)}", self.peek())
        return None

    def comparison(self) -> Node:
        left = self.additive()
        op = self.comparison_op()
        if op is None:
            return left
        op_token = self.advance()
        node: Node
        if op in ("in", "not in"):
            if op == "not in":
                self.advance()
            options = self.list_literal(op)
            node = In(left, options, op == "not in", start=left.start, end=options.end)
        else:
            right = self.additive()
            node = Compare(op, left, right, start=left.start, end=right.end)  # type: ignore[arg-type]
        second = self.comparison_op()
        if second is not None:
            first = "not in" if op == "not in" else op_token.value
            raise self.fail(
                f"comparisons cannot be chained ('{second}' after '{first}'); "
                "join two comparisons with 'and', e.g. 'a < b and b < c'",
                code=CHAINED_COMPARISON,
            )
        return node

    def list_literal(self, op: str) -> ListLiteral:
        if not self.at("op", "["):
            raise self.fail(f"expected a list like [\"a\", \"b\"] after '{op}', found {self.found()}")
        start = self.advance()
        items = self.sequence("]", f"in the list after '{op}'", start)
        end = self.advance()
        return ListLiteral(tuple(items), start=start.start, end=end.end)

    def sequence(self, closer: str, context: str, opener: Token) -> list[Node]:
        """Comma-separated expressions up to (not including) `closer`."""
        items: list[Node] = []
        if self.at("op", closer):
            return items
        while True:
            items.append(self.expression())
            if self.at("op", ","):
                self.advance()
                continue
            if self.at("op", closer):
                return items
            raise self.fail(
                f"expected ',' or '{closer}' {context} (opened at {self.opened_at(opener)}), "
                f"found {self.found()}"
            )

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.token.kind == "op" and self.token.value in ("+", "-"):
            op = self.advance().value
            right = self.multiplicative()
            node = Binary(op, node, right, start=node.start, end=right.end)
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.token.kind == "op" and self.token.value in ("*", "/", "%"):
            op = self.advance().value
            right = self.unary()
            node = Binary(op, node, right, start=node.start, end=right.end)
        return node

    def unary(self) -> Node:
        if self.token.kind == "op" and self.token.value in ("-", "+"):
            sign = self.advance()
            operand = self.nested(self.unary)
            if isinstance(operand, Literal) and type(operand.value) in (int, float):
                # A signed number is one literal: simpler trees, and `round(x, -1)` stays literal.
                value = -operand.value if sign.value == "-" else operand.value  # type: ignore[operator]
                return Literal(value, start=sign.start, end=operand.end)
            return Unary(sign.value, operand, start=sign.start, end=operand.end)
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.at("op", "**"):
            self.advance()
            exponent = self.nested(self.unary)  # right-associative; `2 ** -1` is allowed
            return Binary("**", base, exponent, start=base.start, end=exponent.end)
        return base

    def primary(self) -> Node:
        token = self.token
        if token.kind in ("number", "string"):
            self.advance()
            return Literal(token.value, start=token.start, end=token.end)
        if token.kind == "keyword" and token.value in ("true", "false", "null"):
            self.advance()
            value = {"true": True, "false": False, "null": None}[token.value]
            return Literal(value, start=token.start, end=token.end)
        if token.kind == "name":
            if self.peek().kind == "op" and self.peek().value == "(":
                return self.call()
            self.advance()
            return Name(token.value, start=token.start, end=token.end)
        if token.kind == "op" and token.value == "(":
            self.advance()
            inner = self.expression()
            if not self.at("op", ")"):
                raise self.fail(
                    f"expected ')' to close the '(' at {self.opened_at(token)}, found {self.found()}"
                )
            close = self.advance()
            # The span takes in the parentheses so that a parent's span is well-formed text.
            return dataclasses.replace(inner, start=token.start, end=close.end)
        if token.kind == "op" and token.value == "[":
            raise self.fail("a list [...] can only follow 'in' or 'not in'")
        if token.kind == "keyword" and token.value == "if":
            raise self.fail(
                "an 'if' inside a larger expression needs parentheses: (if c then a else b)"
            )
        raise self.fail(f"expected an expression, found {self.found()}")

    def call(self) -> Node:
        name = self.advance()
        function = FUNCTIONS.get(name.value)
        if function is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.fail(
                f"unknown function '{name.value}'; the functions are: {known}",
                name,
                UNKNOWN_FUNCTION,
            )
        opener = self.advance()
        args = self.sequence(")", f"in the arguments of {name.value}()", opener)
        close = self.advance()
        if len(args) < function.min_args or (
            function.max_args is not None and len(args) > function.max_args
        ):
            raise self.fail(function.arity_message(len(args)), name, ARITY)
        if function.name == "round" and len(args) == 2:
            digits = args[1]
            if not (
                isinstance(digits, Literal)
                and type(digits.value) is int
                and -ROUND_DIGITS_LIMIT <= digits.value <= ROUND_DIGITS_LIMIT
            ):
                raise SyntaxProblem(
                    "the digits of round() must be a whole number written out, "
                    f"from -{ROUND_DIGITS_LIMIT} to {ROUND_DIGITS_LIMIT}, "
                    f"found '{self.text[digits.start:digits.end]}'",
                    digits.start,
                )
        if function.name in LITERAL_TEXT and isinstance(args[0], Literal) and type(args[0].value) is str:
            # date("2026-02-30") is a mistake of the file, found when it loads, not on some later decision
            wrong = check_literal(function.name, args[0].value)
            if wrong is not None:
                raise SyntaxProblem(wrong, args[0].start)
        return Call(function.name, tuple(args), start=name.start, end=close.end)
