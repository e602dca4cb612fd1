"""Conditions of rule files, compiled from the expression language to durable-rules conditions.

A condition's tree is walked once into a small normal form (`Comparison`, `AllOf`, `AnyOf`, `Const`)
with negations pushed down to the comparisons; that form is what durable-rules receives (as
JSON-style data), what `holds` evaluates in Python (for why-not and the tests) and what the
static checks of `composite validate` reason about.

durable-rules compares one value of the fact with a constant, nothing more: its same-fact
references (`{"m": "other"}`) and arithmetic silently match every fact, so a condition that
compares two names, computes with a name or calls a function on one is refused at load time,
with the file, line and column of the offending part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from composite.errors import CompositeError, ProjectError
from composite.temporal import moment
from composite.expr import (
    Binary,
    BoolOp,
    Call,
    Compare,
    Expression,
    IfElse,
    In,
    Literal,
    Name,
    Node,
    Not,
    Unary,
    parse,
    unparse,
    walk,
)

UNSUPPORTED = "rules.unsupported_condition"

# The field every fact carries, so that `true` and `false` compile to plain equality tests.
ALWAYS_FIELD = "~"

_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_DURABLE_OP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


# -- the normal form -------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """`name op value`: one value of the fact against one constant (`value` None only for ==, !=).

    `node` is the comparison in the condition's tree, for locations and messages.
    """

    name: str
    op: str
    value: Any
    node: Node | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.name} {self.op} {_literal(self.value)}"


@dataclass(frozen=True)
class AllOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Const:
    value: bool


Condition = Comparison | AllOf | AnyOf | Const


def tests(condition: Condition) -> Iterator[Comparison]:
    """Every comparison of a condition, left to right."""
    if isinstance(condition, Comparison):
        yield condition
    elif isinstance(condition, (AllOf, AnyOf)):
        for item in condition.items:
            yield from tests(item)


# -- from the expression language ------------------------------------------------------------


def compile_condition(expression: Expression) -> Condition:
    """The condition of `expression` in normal form, or a ProjectError located in the rule file.

    Examples
    --------
    >>> compile_condition(parse("age < 18 and not (x in ['a', 'b'])"))   # doctest: +ELLIPSIS
    AllOf(items=(Comparison(name='age', op='<', value=18), AllOf(items=(Comparison(name='x', op='!=', ...
    """
    return compile_node(expression, expression.ast)


def compile_node(expression: Expression, node: Node) -> Condition:
    """Like `compile_condition`, for one part of the expression's tree (a conjunct, for why-not)."""
    return _Compiler(expression).condition(node, negate=False)


class _Compiler:
    def __init__(self, expression: Expression) -> None:
        self.expression = expression

    def fail(self, node: Node, message: str) -> ProjectError:
        line, column = self.expression.location(node)
        return ProjectError(message, code=UNSUPPORTED, file=self.expression.source, line=line, column=column)

    def snippet(self, node: Node) -> str:
        return " ".join(self.expression.snippet(node).split()).strip("() ") or unparse(node)

    def condition(self, node: Node, *, negate: bool) -> Condition:
        if isinstance(node, Not):
            return self.condition(node.operand, negate=not negate)
        if isinstance(node, BoolOp):
            conjunction = (node.op == "and") != negate  # De Morgan
            items = [self.condition(operand, negate=negate) for operand in node.operands]
            return _combine(conjunction, items)
        if isinstance(node, Compare):
            return self.compare(node, negate)
        if isinstance(node, In):
            return self.membership(node, negate)
        if isinstance(node, Name):
            # A bare name is a yes/no value: `flag` reads `flag == true`.
            return Comparison(node.name, "==", not negate, node)
        if isinstance(node, Literal):
            if isinstance(node.value, bool):
                return Const(node.value != negate)
            raise self.fail(node, f"a condition must be true or false, but '{self.snippet(node)}' is "
                                  f"{_describe(node.value)}; compare it, as in `x == {self.snippet(node)}`")
        if not _has_name(node):
            value = self.constant(node)
            if isinstance(value, bool):
                return Const(value != negate)
            raise self.fail(node, f"a condition must be true or false, but '{self.snippet(node)}' is "
                                  f"{_describe(value)}")
        raise self.unsupported(node)

    def unsupported(self, node: Node) -> ProjectError:
        text = self.snippet(node)
        if isinstance(node, IfElse):
            why = "'if ... then ... else' cannot be a rule condition in durable-rules; write it with and/or"
        elif isinstance(node, Call):
            why = f"durable-rules cannot call {node.function}() on a value in a condition"
        elif isinstance(node, (Binary, Unary)):
            why = "durable-rules cannot compute with a value in a condition"
        else:
            why = "durable-rules cannot express this in a condition"
        return self.fail(node, f"'{text}': {why}; compute it in an expression node and compare the result "
                               "with a constant here")

    def compare(self, node: Compare, negate: bool) -> Condition:
        op = _NEGATED[node.op] if negate else node.op
        left, right = node.left, node.right
        left_named, right_named = _has_name(left), _has_name(right)
        if not left_named and not right_named:
            value = self.constant(node)
            return Const(bool(value) != negate)
        if left_named and right_named:
            if isinstance(left, Name) and isinstance(right, Name):
                # `status == approved` is more often text left unquoted than two values compared.
                quote = (f"; if '{right.name}' is a text, quote it: {left.name} {node.op} \"{right.name}\""
                         if node.op in ("==", "!=") else "")
                raise self.fail(node, f"'{self.snippet(node)}' compares two values ('{left.name}' and '{right.name}'): "
                                      "durable-rules conditions compare one value with a constant; compute the "
                                      f"difference in an expression node and compare it here{quote}")
            raise self.unsupported(left if not isinstance(left, Name) else right)
        if right_named:
            left, right, op = right, left, _FLIPPED[op]
        if not isinstance(left, Name):
            raise self.unsupported(left)
        value = self.constant(right)
        return self.test(left.name, op, value, node)

    def test(self, name: str, op: str, value: Any, node: Node) -> Comparison:
        if value is None and op not in ("==", "!="):
            raise self.fail(node, f"'{self.snippet(node)}' orders a value against null, which is never true or "
                                  f"false; test `{name} == null` or `{name} != null` instead")
        if isinstance(value, bool) and op not in ("==", "!="):
            raise self.fail(node, f"'{self.snippet(node)}': true and false have no order; use == or !=")
        return Comparison(name, op, value, node)

    def membership(self, node: In, negate: bool) -> Condition:
        negated = node.negated != negate
        if not _has_name(node.item):
            value = self.constant(node)
            return Const(bool(value) != negate)
        if not isinstance(node.item, Name):
            raise self.unsupported(node.item)
        options = []
        for item in node.options.items:
            if _has_name(item):
                raise self.fail(item, f"'{self.snippet(item)}': the options of 'in' must be constants in a rule "
                                      "condition")
            options.append(self.constant(item))
        name = node.item.name
        if negated:
            return _combine(True, [self.test(name, "!=", value, node) for value in _unique(options)])
        return _combine(False, [self.test(name, "==", value, node) for value in _unique(options)])

    def constant(self, node: Node) -> Any:
        """The value of a part without names, computed once at load time by the language itself."""
        if isinstance(node, Literal):
            value = node.value
        else:
            try:
                value = parse(unparse(node)).evaluate({})
            except CompositeError as exc:
                raise self.fail(node, f"'{self.snippet(node)}' cannot be computed: {exc.message}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, f"'{self.snippet(node)}' is not a finite number; durable-rules cannot compare "
                                  "with it")
        if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
            raise self.fail(node, f"'{self.snippet(node)}' does not fit in 64 bits")
        return value


def _has_name(node: Node) -> bool:
    return any(isinstance(n, Name) for n in walk(node))


def _unique(values: list[Any]) -> list[Any]:
    seen: list[tuple[type, Any]] = []
    out = []
    for value in values:
        key = (type(value), value)
        if key not in seen:
            seen.append(key)
            out.append(value)
    return out


def _combine(conjunction: bool, items: list[Condition]) -> Condition:
    """AllOf / AnyOf of `items`, with constants folded and nested groups of the same kind flattened."""
    kind = AllOf if conjunction else AnyOf
    flat: list[Condition] = []
    for item in items:
        if isinstance(item, Const):
            if item.value != conjunction:  # false in an and, true in an or: decides the whole
                return Const(item.value)
            continue
        flat.extend(item.items if isinstance(item, kind) else (item,))
    if not flat:
        return Const(conjunction)
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'the text "{value}"'
    return f"the number {value!r}"


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return unparse(Literal(value))
    from composite import temporal

    if temporal.is_temporal(value):  # as the condition was written: date("2026-03-01"), duration("P90D")
        return temporal.written(value)
    return repr(value)


# -- what durable-rules receives -------------------------------------------------------------


def to_durable(condition: Condition) -> dict[str, Any]:
    """The condition as a durable-rules expression on one fact (JSON-style data, never source).

    Null and a missing value are the same thing: `x != "a"` also holds when `x` is null.
    """
    if isinstance(condition, Const):
        return {ALWAYS_FIELD: 1 if condition.value else 0}
    if isinstance(condition, AllOf):
        return {"$and": [to_durable(item) for item in condition.items]}
    if isinstance(condition, AnyOf):
        return {"$or": [to_durable(item) for item in condition.items]}
    name, op, value = condition.name, condition.op, condition.value
    if op == "==":
        return {"$nex": {name: 1}} if value is None else {name: value}
    if op == "!=":
        if value is None:
            return {"$ex": {name: 1}}
        return {"$or": [{"$neq": {name: value}}, {"$nex": {name: 1}}]}
    return {_DURABLE_OP[op]: {name: value}}


# -- the same semantics in Python ------------------------------------------------------------


def holds(condition: Condition, facts: Mapping[str, Any]) -> bool:
    """Whether the condition holds on `facts` (missing names are null), as durable-rules decides it.

    A comparison with null, or between a number and a text, is simply false (`!=`: true).
    """
    if isinstance(condition, Comparison):
        return test_holds(condition, facts.get(condition.name))
    if isinstance(condition, AllOf):
        return all(holds(item, facts) for item in condition.items)
    if isinstance(condition, AnyOf):
        return any(holds(item, facts) for item in condition.items)
    return condition.value


def test_holds(test: Comparison, value: Any) -> bool:
    op, constant = test.op, test.value
    if op == "==":
        return equal(value, constant)
    if op == "!=":
        return not equal(value, constant)
    if value is None or isinstance(value, bool) or isinstance(constant, bool):
        return False
    value, constant = _as_number(value), _as_number(constant)
    numbers = isinstance(value, (int, float)) and isinstance(constant, (int, float))
    if not numbers and not (isinstance(value, str) and isinstance(constant, str)):
        return False
    if op == "<":
        return value < constant
    if op == "<=":
        return value <= constant
    if op == ">":
        return value > constant
    return value >= constant


def _as_number(value: Any) -> Any:
    """A date, time or duration as the number durable-rules compares (composite.temporal.moment)."""
    if type(value) in (str, int, float, bool):
        return value
    number = moment(value)
    return value if number is None else number


def equal(a: Any, b: Any) -> bool:
    """Equality as rules see it: numbers by value, otherwise same type and value (true is not 1)."""
    if a is None or b is None:
        return a is None and b is None
    a, b = _as_number(a), _as_number(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def names(condition: Condition) -> list[str]:
    """The names a condition reads, in order of first appearance."""
    out: list[str] = []
    for test in tests(condition):
        if test.name not in out:
            out.append(test.name)
    return out


__all__ = [
    "ALWAYS_FIELD",
    "AllOf",
    "AnyOf",
    "Condition",
    "Const",
    "Comparison",
    "UNSUPPORTED",
    "compile_condition",
    "compile_node",
    "equal",
    "holds",
    "names",
    "test_holds",
    "tests",
    "to_durable",
]
