"""The parsed form of a FEEL expression or unary-tests text: plain nodes, no behaviour.

The row evaluator (_eval) and the column evaluator (_vector) both compile from these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Node:
    start: int = field(default=0, kw_only=True)
    end: int = field(default=0, kw_only=True)


@dataclass(slots=True)
class Literal(Node):
    value: Any  # Decimal, str, bool or None


@dataclass(slots=True)
class Temporal(Node):
    text: str  # @"..." literal: a date, time, date and time or duration


@dataclass(slots=True)
class Name(Node):
    name: str


@dataclass(slots=True)
class Negate(Node):
    operand: Node


@dataclass(slots=True)
class Arithmetic(Node):
    op: str  # + - * / **
    left: Node
    right: Node


@dataclass(slots=True)
class Comparison(Node):
    op: str  # = != < <= > >=
    left: Node
    right: Node


@dataclass(slots=True)
class Logic(Node):
    op: str  # and / or
    left: Node
    right: Node


@dataclass(slots=True)
class Between(Node):
    value: Node
    low: Node
    high: Node


@dataclass(slots=True)
class In(Node):
    value: Node
    tests: list[Node]  # positive unary tests: any of them matching is a match


@dataclass(slots=True)
class TypeRef(Node):
    name: str  # number, list, context, function, range, Any, a user type ...
    params: list[TypeRef] = field(default_factory=list)  # list<T>, range<T>, function<A, B>
    fields: list[tuple[str, TypeRef]] = field(default_factory=list)  # context<a: T>
    result: TypeRef | None = None  # function<...> -> T


@dataclass(slots=True)
class InstanceOf(Node):
    value: Node
    type: TypeRef


@dataclass(slots=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(slots=True)
class Iteration(Node):
    name: str
    domain: Node
    upper: Node | None = None  # `for i in 1..n`: domain is the lower end


@dataclass(slots=True)
class For(Node):
    iterations: list[Iteration]
    body: Node


@dataclass(slots=True)
class Quantified(Node):
    every: bool
    iterations: list[Iteration]
    condition: Node


@dataclass(slots=True)
class ListLiteral(Node):
    items: list[Node]


@dataclass(slots=True)
class ContextLiteral(Node):
    entries: list[tuple[str, Node]]


@dataclass(slots=True)
class Interval(Node):
    start_included: bool
    low: Node | None  # None: open below (a `< x` test used as a range)
    high: Node | None
    end_included: bool
    # a unary comparison used as a range value (`< 10`, `(=10)`, `(!=10)`): the range keeps its
    # operator, so `(=10)` is not `[10..10]` and `(< 10)` is not `(null..10)` (DMN 1.5 10.3.2.7)
    operator: str | None = field(default=None, kw_only=True)


@dataclass(slots=True)
class Filter(Node):
    target: Node
    condition: Node


@dataclass(slots=True)
class Path(Node):
    target: Node
    name: str


@dataclass(slots=True)
class Call(Node):
    callee: Node
    args: list[Node]
    named: list[tuple[str, Node]] | None = None  # f(a: 1, b: 2)


@dataclass(slots=True)
class FunctionDefinition(Node):
    params: list[tuple[str, TypeRef | None]]
    body: Node
    external: bool = False


@dataclass(slots=True)
class UnaryComparison(Node):
    op: str  # < <= > >= = !=
    operand: Node


@dataclass(slots=True)
class AnyValue(Node):
    """The `-` unary test: matches every value."""


@dataclass(slots=True)
class NotTests(Node):
    tests: list[Node]


@dataclass(slots=True)
class ExpressionTest(Node):
    """A unary test written as an expression (`[1, 2]`, `? > 3`, `f(?)`): matched by value."""

    expression: Node
    uses_input: bool  # mentions `?`: its boolean result is the answer
