"""The static type pass: what type each sub-expression has, and the mistakes that shows before a run.

`infer(tree, env)` gives the type of an expression from the types of the names it reads (built from
knowledge/ concepts and from what the nodes before it write) and lists, per offending node: a
number compared with text, arithmetic on text, `and`/`or`/`not`/`if` on something that is not
true/false, a text compared with a value its concept does not allow (with the nearest allowed one),
and a number compared with a constant outside its concept's range (never true or always true).
`check_expression` locates those issues in the file the expression came from.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping

from composite.errors import Problem
from composite.expr._ast import (
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
    unparse,
)

if TYPE_CHECKING:
    from composite.expr._parser import Expression
    from composite.knowledge import Concept

NUMBER, TEXT, BOOLEAN, NULL, ANY = "number", "text", "boolean", "null", "any"
# The kinds of dates, times and durations (composite.temporal's concept types).
DATE, DATETIME, TIME, DURATION, YEARS_MONTHS = "date", "datetime", "time", "duration", "years_months"
_TEMPORAL = frozenset({DATE, DATETIME, TIME, DURATION, YEARS_MONTHS})
_MOMENTS = frozenset({DATE, DATETIME, TIME})
_DURATIONS = frozenset({DURATION, YEARS_MONTHS})
# What each date function gives, and the kinds its argument may be (text is parsed).
_TEMPORAL_FUNCTIONS = {
    "date": (DATE, frozenset({TEXT, DATE, DATETIME})),
    "datetime": (DATETIME, frozenset({TEXT, DATE, DATETIME})),
    "time": (TIME, frozenset({TEXT, TIME, DATETIME})),
    "duration": (ANY, frozenset({TEXT, DURATION, YEARS_MONTHS})),
    "days": (NUMBER, frozenset({DURATION})),
    "year": (NUMBER, frozenset({DATE, DATETIME})),
    "month": (NUMBER, frozenset({DATE, DATETIME})),
    "day": (NUMBER, frozenset({DATE, DATETIME})),
}

COMPARE = "type.compare"
ARITHMETIC = "type.arithmetic"
NOT_BOOLEAN = "type.not_boolean"
FUNCTION = "type.function"
VALUE_NOT_ALLOWED = "type.value_not_allowed"
OUTSIDE_RANGE = "type.outside_range"
TEXT_ORDER = "type.text_order"

_NUMBER_FUNCTIONS = frozenset({"abs", "ceil", "clip", "exp", "floor", "log", "max", "min", "round", "sqrt"})
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class ValueType:
    """What a name or sub-expression can be.

    `kind`: number, text, boolean, null or any (unknown, never reported). `values`: the values it
    can take when that list is known (a category's allowed values, the texts a rule assigns).
    `low`/`high`: an inclusive numeric range. `nullable`: it can be null as well. `source`: where
    this is known from, for messages ("knowledge/claims.yaml:12", "node 'suspicion' (fuzzy)").
    """

    kind: str = ANY
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    nullable: bool = False
    source: str = ""
    ordered: bool = field(default=False, compare=False)  # knowledge/ lists the values in an order
    dates: tuple[Any, Any] | None = field(default=None, compare=False)  # a date or duration concept's range

    @property
    def known(self) -> bool:
        return self.kind not in (ANY, NULL)


UNKNOWN = ValueType()


def of_concept(concept: "Concept") -> ValueType:
    """A knowledge/ concept's type: category and string are text; integer is a number."""
    kind = {"number": NUMBER, "integer": NUMBER, "boolean": BOOLEAN}.get(concept.type, TEXT)
    if concept.type in _TEMPORAL:
        kind = concept.type
    low, high = concept.range if concept.range is not None and kind == NUMBER else (None, None)
    where = f"{concept.file}:{concept.line}" if concept.file and concept.line else (concept.file or "knowledge/")
    dates = tuple(concept.range) if concept.range is not None and kind in _TEMPORAL else None
    return ValueType(kind, tuple(concept.values) if concept.values is not None else None, low, high,
                     nullable=not concept.required, source=where, ordered=concept.ordered, dates=dates)


def of_value(value: Any, source: str = "") -> ValueType:
    """The type of one constant, with that constant as its only value."""
    if value is None:
        return ValueType(NULL, nullable=True, source=source)
    if isinstance(value, bool):
        return ValueType(BOOLEAN, (value,), source=source)
    if isinstance(value, (int, float)):
        number = float(value)
        return ValueType(NUMBER, (value,), number, number, source=source)
    if isinstance(value, str):
        return ValueType(TEXT, (value,), source=source)
    from composite import temporal

    kind = temporal.kind_of(value)
    if kind is not None:
        return ValueType(kind, (value,), source=source)
    return ValueType(source=source)


def join(a: ValueType, b: ValueType) -> ValueType:
    """A value that is sometimes `a`, sometimes `b` (the branches of `if`, rules assigning a name)."""
    if a.kind == NULL:
        return replace(b, nullable=True, source=b.source or a.source)
    if b.kind == NULL:
        return replace(a, nullable=True)
    if a.kind != b.kind or ANY in (a.kind, b.kind):
        return ValueType(nullable=a.nullable or b.nullable, source=a.source)
    values = None
    if a.values is not None and b.values is not None:
        values = tuple(a.values) + tuple(v for v in b.values if not any(_same(v, w) for w in a.values))
    low = None if a.low is None or b.low is None else min(a.low, b.low)
    high = None if a.high is None or b.high is None else max(a.high, b.high)
    return ValueType(a.kind, values, low, high, nullable=a.nullable or b.nullable,
                     source=a.source if a.source == b.source else "")


@dataclass(frozen=True)
class TypeIssue:
    """One mistake the types show, at `node` of the tree."""

    node: Node
    code: str
    message: str
    fix: str | None = None
    severity: str = "error"


def describe(kind: str) -> str:
    return {NUMBER: "a number", TEXT: "text", BOOLEAN: "true/false", NULL: "null", DATE: "a date",
            DATETIME: "a date and time", TIME: "a time", DURATION: "a duration in days and time",
            YEARS_MONTHS: "a duration in years and months"}.get(kind, "a value")


def infer(tree: Node, env: Mapping[str, ValueType]) -> tuple[ValueType, list[TypeIssue]]:
    """The type of `tree` given the types of the names in `env`, and every issue found on the way.

    Examples
    --------
    >>> from composite.expr import parse
    >>> kind, issues = infer(parse('suspicion > "60"').ast, {"suspicion": ValueType("number")})
    >>> issues[0].message, issues[0].fix
    ('suspicion is a number; "60" is text', 'write suspicion > 60')
    """
    issues: list[TypeIssue] = []
    return _Inference(env, issues).type_of(tree), issues


class _Inference:
    def __init__(self, env: Mapping[str, ValueType], issues: list[TypeIssue]) -> None:
        self.env = env
        self.issues = issues

    def report(self, node: Node, code: str, message: str, fix: str | None = None, severity: str = "error") -> None:
        self.issues.append(TypeIssue(node, code, message, fix, severity))

    def type_of(self, node: Node) -> ValueType:
        if isinstance(node, Literal):
            return of_value(node.value)
        if isinstance(node, Name):
            return self.env.get(node.name, UNKNOWN)
        if isinstance(node, Unary):
            operand = self.type_of(node.operand)
            self.need_number(node.operand, operand, f"'{node.op}'")
            return ValueType(NUMBER)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Compare):
            self.compare(node)
            return ValueType(BOOLEAN)
        if isinstance(node, In):
            self.membership(node)
            return ValueType(BOOLEAN)
        if isinstance(node, BoolOp):
            for operand in node.operands:
                self.need_boolean(operand, self.type_of(operand), f"'{node.op}'")
            return ValueType(BOOLEAN)
        if isinstance(node, Not):
            self.need_boolean(node.operand, self.type_of(node.operand), "'not'")
            return ValueType(BOOLEAN)
        if isinstance(node, IfElse):
            self.need_boolean(node.condition, self.type_of(node.condition), "the condition of 'if'")
            return join(self.type_of(node.then), self.type_of(node.orelse))
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, ListLiteral):
            for item in node.items:
                self.type_of(item)
            return UNKNOWN
        return UNKNOWN

    # -- operations --------------------------------------------------------------------------

    def binary(self, node: Binary) -> ValueType:
        left, right = self.type_of(node.left), self.type_of(node.right)
        if node.op == "+" and TEXT in (left.kind, right.kind):
            if left.kind == right.kind == TEXT or ANY in (left.kind, right.kind):
                return ValueType(TEXT) if left.kind == right.kind else UNKNOWN
            text_side = node.left if left.kind == TEXT else node.right
            self.report(node, ARITHMETIC,
                        f"'+' joins two texts or adds two numbers; here {_shown(node.left)} is {describe(left.kind)} "
                        f"and {_shown(node.right)} is {describe(right.kind)}",
                        _as_number_fix(node, text_side) or "make both sides numbers, or both text")
            return UNKNOWN
        if left.kind in _TEMPORAL or right.kind in _TEMPORAL:
            return self.temporal_binary(node, left, right)
        for side, kind in ((node.left, left), (node.right, right)):
            if kind.kind in (TEXT, BOOLEAN):
                fix = _as_number_fix(node, side)
                self.report(side, ARITHMETIC, f"'{node.op}' needs numbers; {_shown(side)} is {describe(kind.kind)}",
                            fix or f"use a number in place of {_shown(side)}")
                return UNKNOWN
        return ValueType(NUMBER)

    def temporal_binary(self, node: Binary, left: ValueType, right: ValueType) -> ValueType:
        """Date arithmetic: date - date is a duration, date + duration a date, duration * number a duration."""
        a, b, op = left.kind, right.kind, node.op
        if ANY in (a, b) or NULL in (a, b):
            return UNKNOWN
        result: str | None = None
        if op in ("+", "-") and a in _MOMENTS and b in _DURATIONS and not (a == TIME and b == YEARS_MONTHS):
            result = a
        elif op == "+" and b in _MOMENTS and a in _DURATIONS and not (b == TIME and a == YEARS_MONTHS):
            result = b
        elif op == "-" and a == b and a in _MOMENTS:
            result = DURATION
        elif op in ("+", "-") and a == b and a in _DURATIONS:
            result = a
        elif op == "*" and ((a in _DURATIONS and b == NUMBER) or (b in _DURATIONS and a == NUMBER)):
            result = a if a in _DURATIONS else b
        if result is not None:
            return ValueType(result)
        fix = None
        if op == "+" and a == b and a in _MOMENTS:
            fix = f"subtract them for the time between: {_shown(node.left)} - {_shown(node.right)}"
        elif op in ("+", "-") and a in _MOMENTS and b == NUMBER:
            fix = f"write {_shown(node.left)} {op} duration(\"P{_shown(node.right)}D\") for days"
        self.report(node, ARITHMETIC, f"'{op}' cannot take {describe(a)} and {describe(b)}: {_shown(node.left)} is "
                    f"{describe(a)}, {_shown(node.right)} is {describe(b)}",
                    fix or "a date plus or minus a duration is a date; a date minus a date is a duration")
        return UNKNOWN

    def compare(self, node: Compare) -> None:
        left, right = self.type_of(node.left), self.type_of(node.right)
        if not (left.known and right.known):
            return
        if {left.kind, right.kind} == {DURATION, NUMBER}:
            side = node.left if left.kind == DURATION else node.right
            number = node.right if side is node.left else node.left
            self.report(node, COMPARE, f"{_shown(side)} is a duration; {_shown(number)} is a number",
                        f"count its days: days({_shown(side)}), or compare with a duration such as "
                        f"duration(\"P{_shown(number)}D\")")
            return
        if left.kind != right.kind:
            fix = _as_number_fix(node, node.right if right.kind == TEXT else node.left)
            fix = fix or _as_text_fix(node, left, right)
            self.report(node, COMPARE, f"{_shown(node.left)} is {describe(left.kind)}; {_shown(node.right)} is "
                        f"{describe(right.kind)}",
                        fix or f"compare {_shown(node.left)} with {describe(left.kind)}")
            return
        if node.op not in ("==", "!=") and left.kind == BOOLEAN:
            self.report(node, COMPARE, f"'{node.op}' orders numbers or texts; {_shown(node.left)} is true/false",
                        f"write {_shown(node.left)} == true or == false")
            return
        sides = ((node.left, node.right, node.op), (node.right, node.left, _MIRROR[node.op]))
        for name_side, constant_side, op in sides:
            if isinstance(name_side, Name) and isinstance(constant_side, Literal):
                self.against_constant(node, name_side, self.env.get(name_side.name, UNKNOWN), op,
                                      constant_side.value)
                break
            if isinstance(name_side, Name) and isinstance(constant_side, Call) and left.kind in _TEMPORAL:
                from composite.expr._compile import constant_call

                constant = constant_call(constant_side)  # date("1980-01-01"): a constant too
                if constant is not None:
                    self.against_moment(node, name_side, self.env.get(name_side.name, UNKNOWN), op, constant[0])
                break

    def against_moment(self, node: Node, name: Name, kind: ValueType, op: str, value: Any) -> None:
        """`loss_date < date("1980-01-01")` against the range of `loss_date`: never or always true."""
        from composite import temporal

        if kind.kind not in _TEMPORAL or temporal.kind_of(value) != kind.kind or kind.dates is None:
            return
        low, high = kind.dates
        try:
            above = high is not None and temporal.order(value, high) > 0
            below = low is not None and temporal.order(value, low) < 0
        except TypeError:  # a date-time with an offset against a range without
            return
        verdict = _verdict(op, above, below)
        if verdict is not None:
            shown = lambda v: "..." if v is None else temporal.iso(v)  # noqa: E731
            self.outside_range(node, name, kind, verdict, temporal.iso(value), shown(low), shown(high))

    def against_constant(self, node: Node, name: Name, kind: ValueType, op: str, value: Any) -> None:
        """`name op value` against what `name` can be: allowed values, range, order of text."""
        if value is None or isinstance(value, bool):
            return
        if kind.kind == TEXT and isinstance(value, str):
            if op in ("==", "!="):
                self.allowed(node, name, kind, value, lambda good: _replaced(node, value, good))
            elif kind.values is not None:
                self.report(node, TEXT_ORDER,
                            f"'{op}' orders {name.name} letter by letter, not in the order knowledge/ lists its values",
                            f"list the values instead: {name.name} in [...]", severity="warning")
            return
        if kind.kind == NUMBER and isinstance(value, (int, float)):
            verdict = _outside(op, float(value), kind.low, kind.high)
            if verdict is not None:
                self.outside_range(node, name, kind, verdict, _num(value), _num(kind.low), _num(kind.high))

    def outside_range(self, node: Node, name: Name, kind: ValueType, verdict: str, value: str, low: str,
                      high: str) -> None:
        where = f" ({kind.source})" if kind.source else ""
        self.report(node, OUTSIDE_RANGE,
                    f"{unparse(node)} is {verdict}: {value} lies outside the range [{low}, {high}] of {name.name}{where}",
                    f"compare {name.name} with a value inside [{low}, {high}], or widen the range where it is declared",
                    severity="warning")

    def allowed(self, node: Node, name: Name, kind: ValueType, value: str, fixed: Any) -> None:
        if kind.values is None or any(_same(value, v) for v in kind.values):
            return
        texts = [v for v in kind.values if isinstance(v, str)]
        listed = ", ".join(_literal(v) for v in kind.values[:12]) + (", ..." if len(kind.values) > 12 else "")
        where = f" ({kind.source})" if kind.source else ""
        close = difflib.get_close_matches(value, texts, n=1, cutoff=0.6)
        fix = f"did you mean {_literal(close[0])}? write {fixed(close[0])}" if close else \
            f"use one of {listed}, or add {_literal(value)} to the values of {name.name}"
        self.report(node, VALUE_NOT_ALLOWED, f"{_literal(value)} is not a value of {name.name}{where}: it is one of "
                    f"{listed}", fix)

    def membership(self, node: In) -> None:
        item = self.type_of(node.item)
        for option in node.options.items:
            kind = self.type_of(option)
            if item.known and kind.known and kind.kind != item.kind:
                self.report(option, COMPARE, f"{_shown(node.item)} is {describe(item.kind)}; the option "
                            f"{_shown(option)} is {describe(kind.kind)}, so it never matches",
                            _as_number_fix(node, option) or f"list {describe(item.kind)} values only")
            elif isinstance(node.item, Name) and isinstance(option, Literal) and isinstance(option.value, str) \
                    and item.kind == TEXT:
                value = option.value
                self.allowed(option, node.item, item, value, lambda good, v=value: _replaced(node, v, good))

    def call(self, node: Call) -> ValueType:
        kinds = [self.type_of(arg) for arg in node.args]
        if node.function == "coalesce":
            result = kinds[0]
            for kind in kinds[1:]:
                result = join(replace(result, nullable=False), kind)
            return result
        if node.function in _TEMPORAL_FUNCTIONS:
            result, accepted = _TEMPORAL_FUNCTIONS[node.function]
            kind = kinds[0]
            if kind.known and kind.kind not in accepted:
                names = " or ".join(describe(k) for k in sorted(accepted))
                self.report(node.args[0], FUNCTION, f"{node.function}() needs {names}; {_shown(node.args[0])} is "
                            f"{describe(kind.kind)}", f"pass {names} to {node.function}()")
            if node.function == "duration" and isinstance(node.args[0], Literal):
                text = node.args[0].value
                result = YEARS_MONTHS if isinstance(text, str) and ("Y" in text or "M" in text.split("T")[0]) \
                    else DURATION
            return ValueType(result) if result != ANY else UNKNOWN
        if node.function in _NUMBER_FUNCTIONS:
            for arg, kind in zip(node.args, kinds):
                if kind.kind in (TEXT, BOOLEAN) or kind.kind in _TEMPORAL:
                    self.report(arg, FUNCTION, f"{node.function}() needs numbers; {_shown(arg)} is "
                                f"{describe(kind.kind)}", f"pass a number to {node.function}()")
            return ValueType(NUMBER)
        return UNKNOWN

    # -- what a place needs ------------------------------------------------------------------

    def need_number(self, node: Node, kind: ValueType, what: str) -> None:
        if kind.kind in (TEXT, BOOLEAN) or kind.kind in _TEMPORAL:
            self.report(node, ARITHMETIC, f"{what} needs a number; {_shown(node)} is {describe(kind.kind)}",
                        _as_number_fix(node, node) or f"use a number in place of {_shown(node)}")

    def need_boolean(self, node: Node, kind: ValueType, what: str) -> None:
        if kind.kind in _TEMPORAL:
            self.report(node, NOT_BOOLEAN, f"{what} needs true or false; {_shown(node)} is {describe(kind.kind)}",
                        f"compare it, e.g. {_shown(node)} < ...")
            return
        if kind.kind in (NUMBER, TEXT):
            fix = f"compare it, e.g. {_shown(node)} > 0" if kind.kind == NUMBER else \
                f"compare it, e.g. {_shown(node)} == \"...\""
            self.report(node, NOT_BOOLEAN, f"{what} needs true or false; {_shown(node)} is {describe(kind.kind)}", fix)


def check_expression(expression: "Expression", env: Mapping[str, ValueType], *, expect: str | None = None,
                     what: str = "the expression", field: str | None = None,
                     ) -> tuple[ValueType, list[Problem]]:
    """The type of a parsed expression and its issues as located problems.

    `expect="boolean"`: the expression is a condition (a rule's `when`), so a number or text there
    is reported too.
    """
    kind, issues = infer(expression.ast, env)
    if expect == BOOLEAN and kind.kind in (NUMBER, TEXT):
        shown = _shown(expression.ast)
        issues.append(TypeIssue(expression.ast, NOT_BOOLEAN, f"{what} must be true or false; {shown} is "
                                f"{describe(kind.kind)}", f"compare it, e.g. {shown} > 0"
                                if kind.kind == NUMBER else f"compare it, e.g. {shown} == \"...\""))
    problems = []
    for issue in issues:
        line, column = expression.location(issue.node)
        problems.append(Problem(issue.code, issue.message, file=expression.source, line=line, column=column,
                                field=field, severity=issue.severity, fix=issue.fix))
    return kind, problems


# -- helpers -------------------------------------------------------------------------------------


def _outside(op: str, c: float, low: float | None, high: float | None) -> str | None:
    """"never true" / "always true" when the constant `c` lies outside [low, high], else None."""
    if not math.isfinite(c):
        return None
    return _verdict(op, high is not None and c > high, low is not None and c < low)


def _verdict(op: str, above: bool, below: bool) -> str | None:
    """What `name op c` always is when `c` lies above or below every value `name` can take."""
    if above:
        return "never true" if op in (">", ">=", "==") else "always true"
    if below:
        return "never true" if op in ("<", "<=", "==") else "always true"
    return None


def _as_number_fix(node: Node, side: Node) -> str | None:
    """`write suspicion > 60` when the text side is a quoted number."""
    if not (isinstance(side, Literal) and isinstance(side.value, str)):
        return None
    number = _parse_number(side.value)
    if number is None:
        return None
    return f"write {_replaced(node, side.value, number)}"


def _as_text_fix(node: Compare, left: ValueType, right: ValueType) -> str | None:
    """`write kind == "3"` when a category is compared with a bare number that is one of its values."""
    for text_side, other, kind in ((left, node.right, node.left), (right, node.left, node.right)):
        if text_side.kind == TEXT and isinstance(other, Literal) and isinstance(other.value, (int, float)) \
                and not isinstance(other.value, bool):
            text = _num(other.value)
            if text_side.values is not None and text not in text_side.values:
                return None  # quoting it would only trade one mistake for another
            return f"write {_replaced(node, other.value, text)}"
    return None


def _replaced(tree: Node, old: Any, new: Any) -> str:
    """The text of `tree` with the literal `old` written as `new`."""
    return unparse(_swap(tree, old, new))


def _swap(tree: Node, old: Any, new: Any) -> Node:
    if isinstance(tree, Literal):
        return Literal(new) if _same(tree.value, old) else tree
    if isinstance(tree, Compare):
        return Compare(tree.op, _swap(tree.left, old, new), _swap(tree.right, old, new))
    if isinstance(tree, Binary):
        return Binary(tree.op, _swap(tree.left, old, new), _swap(tree.right, old, new))
    if isinstance(tree, In):
        return In(_swap(tree.item, old, new), ListLiteral(tuple(_swap(i, old, new) for i in tree.options.items)),
                  tree.negated)
    if isinstance(tree, Unary):
        return Unary(tree.op, _swap(tree.operand, old, new))
    return tree


def _parse_number(text: str) -> int | float | None:
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        pass
    try:
        number = float(stripped)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _shown(node: Node) -> str:
    text = unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _literal(value: Any) -> str:
    return unparse(Literal(value)) if isinstance(value, (str, bool, int, float)) or value is None else str(value)


def _num(value: Any) -> str:
    if value is None:
        return "..."
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:g}"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


__all__ = [
    "ANY",
    "BOOLEAN",
    "DATE",
    "DATETIME",
    "DURATION",
    "NULL",
    "NUMBER",
    "TEXT",
    "TIME",
    "TypeIssue",
    "YEARS_MONTHS",
    "ValueType",
    "check_expression",
    "infer",
    "join",
    "of_concept",
    "of_value",
]
