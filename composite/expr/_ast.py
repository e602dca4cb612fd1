"""The syntax tree of an expression: frozen nodes that evaluators, compilers and checkers walk.

Every node carries `start`/`end`, character offsets of its text (excluded from equality).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal as Choice
from typing import TypeAlias

Scalar: TypeAlias = "bool | int | float | str | None"
ArithmeticOp: TypeAlias = Choice["+", "-", "*", "/", "%", "**"]
CompareOp: TypeAlias = Choice["==", "!=", "<", "<=", ">", ">="]

KEYWORDS = frozenset({"and", "or", "not", "in", "if", "then", "else", "true", "false", "null"})


@dataclass(frozen=True)
class Node:
    """Base of every node. `start` and `end` delimit the node's text, parentheses included."""

    start: int = field(default=0, kw_only=True, compare=False, repr=False)
    end: int = field(default=0, kw_only=True, compare=False, repr=False)

    def children(self) -> tuple[Node, ...]:
        """The direct sub-expressions, left to right."""
        return ()


@dataclass(frozen=True, eq=False)
class Literal(Node):
    """`12`, `1.5`, `"text"`, `true`, `null`. A minus sign before a number is folded in."""

    value: Scalar

    def __eq__(self, other: object) -> bool:
        # The dataclass default would make `Literal(True) == Literal(1)`; the language does not.
        if not isinstance(other, Literal):
            return NotImplemented
        return type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))


@dataclass(frozen=True)
class Name(Node):
    """A free variable, read from the row or the columns at evaluation time."""

    name: str


@dataclass(frozen=True)
class ListLiteral(Node):
    """`[a, b, c]`; the grammar allows it only as the right side of `in` / `not in`."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True)
class Unary(Node):
    """`-x` or `+x` on a number (a literal number absorbs its sign instead)."""

    op: Choice["-", "+"]
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic: `+ - * / % **`; `+` also joins two strings."""

    op: ArithmeticOp
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Compare(Node):
    """One comparison, `== != < <= > >=`; comparisons never chain."""

    op: CompareOp
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class In(Node):
    """`item in [options]`, or `item not in [options]` when `negated`."""

    item: Node
    options: ListLiteral
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.item, self.options)


@dataclass(frozen=True)
class BoolOp(Node):
    """`a and b and c` (or `or`): two or more operands, evaluated left to right, short-circuit."""

    op: Choice["and", "or"]
    operands: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True)
class Not(Node):
    """`not x` on a boolean."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class IfElse(Node):
    """`if condition then a else b`; only the selected branch is evaluated."""

    condition: Node
    then: Node
    orelse: Node

    def children(self) -> tuple[Node, ...]:
        return (self.condition, self.then, self.orelse)


@dataclass(frozen=True)
class Call(Node):
    """A call of one of `FUNCTIONS`; the parser has checked the name and the arity."""

    function: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True)
class Function:
    """One function of the language: how many arguments it takes and how to write it."""

    name: str
    min_args: int
    max_args: int | None  # None: no upper limit
    signature: str
    summary: str

    def arity_message(self, got: int) -> str:
        """Says what the function takes, for a call with `got` arguments."""
        if self.max_args is None:
            takes = f"at least {self.min_args} arguments"
        elif self.min_args == self.max_args:
            takes = f"{self.min_args} argument" + ("s" if self.min_args != 1 else "")
        else:
            takes = f"{self.min_args} or {self.max_args} arguments"
        return f"{self.name}() takes {takes}, as in {self.signature}; got {got}"


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("abs", 1, 1, "abs(x)", "absolute value"),
        Function("ceil", 1, 1, "ceil(x)", "smallest whole number >= x, of x's type"),
        Function("clip", 3, 3, "clip(x, lo, hi)", "x limited to [lo, hi]; lo > hi is an error"),
        Function("coalesce", 2, None, "coalesce(x, y, ...)",
                 "the first argument that is not null (null if all are); later ones are evaluated only if needed"),
        Function("exp", 1, 1, "exp(x)", "e to the power x"),
        Function("floor", 1, 1, "floor(x)", "largest whole number <= x, of x's type"),
        Function("log", 1, 1, "log(x)", "natural logarithm; x must be > 0"),
        Function("max", 2, None, "max(a, b, ...)", "largest argument; NaN if any is NaN"),
        Function("min", 2, None, "min(a, b, ...)", "smallest argument; NaN if any is NaN"),
        Function("round", 1, 2, "round(x, digits)", "round half away from zero"),
        Function("sqrt", 1, 1, "sqrt(x)", "square root; x must be >= 0"),
        Function("date", 1, 1, 'date("2026-03-01")', "a date, from ISO text or from a date and time"),
        Function("datetime", 1, 1, 'datetime("2026-03-01T14:30:00")', "a date and time, from ISO text or a date"),
        Function("time", 1, 1, 'time("14:30:00")', "a time of day, from ISO text or from a date and time"),
        Function("duration", 1, 1, 'duration("P90D")',
                 "a duration: in days and time (P90D, PT36H) or in years and months (P1Y6M)"),
        Function("days", 1, 1, "days(d)",
                 "the days (a number, with any fraction) of a days-and-time duration, such as a date minus a date"),
        Function("year", 1, 1, "year(d)", "the year of a date or a date and time"),
        Function("month", 1, 1, "month(d)", "the month (1 to 12) of a date or a date and time"),
        Function("day", 1, 1, "day(d)", "the day of the month of a date or a date and time"),
    )
}

ROUND_DIGITS_LIMIT = 15  # digits of round() must be a literal in [-15, 15]


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


# Binding strength, for unparse: a child weaker than its slot needs parentheses.
_IF, _OR, _AND, _NOT, _COMPARE, _ADD, _MUL, _UNARY, _POWER, _ATOM = range(10)
_BINARY_LEVEL = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "%": _MUL, "**": _POWER}


def unparse(node: Node) -> str:
    """Canonical text for a tree, with only the parentheses it needs.

    `parse(unparse(tree)).ast == tree` for every tree the parser builds.

    >>> unparse(Binary("*", Binary("+", Name("a"), Literal(1)), Literal(2)))
    '(a + 1) * 2'
    """
    text, _ = _unparse(node)
    return text


def _wrap(node: Node, level: int) -> str:
    text, own = _unparse(node)
    return f"({text})" if own < level else text


def _unparse(node: Node) -> tuple[str, int]:
    if isinstance(node, Literal):
        return _literal_text(node.value)
    if isinstance(node, Name):
        return node.name, _ATOM
    if isinstance(node, Call):
        return f"{node.function}({', '.join(_wrap(a, _IF) for a in node.args)})", _ATOM
    if isinstance(node, ListLiteral):
        return f"[{', '.join(_wrap(i, _IF) for i in node.items)}]", _ATOM
    if isinstance(node, Binary):
        level = _BINARY_LEVEL[node.op]
        if node.op == "**":  # right-associative, and the base cannot carry a sign
            return f"{_wrap(node.left, _ATOM)} ** {_wrap(node.right, _UNARY)}", level
        return f"{_wrap(node.left, level)} {node.op} {_wrap(node.right, level + 1)}", level
    if isinstance(node, Unary):
        return f"{node.op}{_wrap(node.operand, _UNARY)}", _UNARY
    if isinstance(node, Compare):
        return f"{_wrap(node.left, _ADD)} {node.op} {_wrap(node.right, _ADD)}", _COMPARE
    if isinstance(node, In):
        op = "not in" if node.negated else "in"
        return f"{_wrap(node.item, _ADD)} {op} {_wrap(node.options, _ATOM)}", _COMPARE
    if isinstance(node, Not):
        return f"not {_wrap(node.operand, _NOT)}", _NOT
    if isinstance(node, BoolOp):
        level = _OR if node.op == "or" else _AND
        return f" {node.op} ".join(_wrap(o, level + 1) for o in node.operands), level
    if isinstance(node, IfElse):
        parts = (_wrap(node.condition, _IF), _wrap(node.then, _IF), _wrap(node.orelse, _IF))
        return "if {} then {} else {}".format(*parts), _IF
    raise TypeError(f"not an expression node: {node!r}")


def _literal_text(value: Scalar) -> tuple[str, int]:
    if value is None:
        return "null", _ATOM
    if isinstance(value, bool):
        return ("true" if value else "false"), _ATOM
    if isinstance(value, str):
        escaped = (
            value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        )
        return f'"{escaped}"', _ATOM
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("NaN has no literal in the expression language")
        text = repr(value) if math.isfinite(value) else ("1e999" if value > 0 else "-1e999")
    else:
        text = str(value)
    return text, (_UNARY if text.startswith("-") else _ATOM)


__all__ = [
    "FUNCTIONS",
    "KEYWORDS",
    "ROUND_DIGITS_LIMIT",
    "Binary",
    "BoolOp",
    "Call",
    "Compare",
    "Function",
    "IfElse",
    "In",
    "ListLiteral",
    "Literal",
    "Name",
    "Node",
    "Not",
    "Scalar",
    "Unary",
    "unparse",
    "walk",
]
