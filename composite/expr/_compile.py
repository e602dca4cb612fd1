"""The language's semantics on scalars, and the compiler of a tree into nested row closures.

The column evaluator reuses these scalar operations wherever numpy has no exact equivalent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from composite import temporal
from composite.expr import _temporal
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
)

RowFn = Callable[[Mapping[str, Any]], Any]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

TYPE = "expression_type"
DIVISION_BY_ZERO = "expression_division_by_zero"
DOMAIN = "expression_domain"
OVERFLOW = "expression_overflow"
MISSING_NAME = "expression_missing_name"
BAD_INPUT = "expression_bad_input"
NULL = "expression_null"  # a null (missing) value reached arithmetic, an ordering or a condition

INT_OVERFLOW = "integer overflow: the result does not fit in 64 bits"

_NUMBER = frozenset({int, float})
_PLAIN = frozenset({bool, int, float, str, type(None)})
_PYTHON_SPELLINGS = {"True": "true", "False": "false", "None": "null", "AND": "and", "OR": "or"}


class OpError(Exception):
    """An operation refused its operands; the caller adds the node (and, for columns, rows)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NullOperand(OpError):
    """An operation got null (a missing value) as its operand number `position` (from 0)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message, NULL)
        self.position = position


class Failure(Exception):
    """Evaluation failed at `node`; `Expression` turns it into an `EvaluationError`.

    `missing`: for a null that reached an operation, the name that held it (None if the null
    came from a sub-expression or a literal).
    """

    def __init__(self, node: Node, message: str, code: str, rows: list[int] | None = None,
                 missing: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.code = code
        self.rows = rows
        self.missing = missing


def operands(node: Node) -> tuple[Node, ...]:
    """The operand nodes an operation's scalar function takes, in its argument order."""
    if isinstance(node, (Binary, Compare)):
        return (node.left, node.right)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


def null_failure(operand: Node, what: str, rows: list[int] | None = None, detail: str = "") -> Failure:
    """The language's one rule for a missing value: null reaching `what` (an operator, a function,
    a condition) is an error naming the name (or sub-expression) that held it."""
    if isinstance(operand, Name):
        held, missing = f"'{operand.name}'", operand.name
        fix = f"coalesce({operand.name}, ...) or if {operand.name} == null then ... else ..."
    else:
        held, missing = "a value", None
        fix = "coalesce(..., ...) or == null"
    message = f"{held} is null (a missing value), which {what} cannot take"
    if detail:
        message += f" ({detail})"
    message += f"; handle null explicitly: {fix}"
    return Failure(operand, message, NULL, rows=rows, missing=missing)


def op_failure(node: Node, e: OpError, rows: list[int] | None = None) -> Failure:
    """An operation's refusal as a failure at `node`, or at its null operand."""
    if isinstance(e, NullOperand):
        nodes = operands(node)
        if e.position < len(nodes):
            return null_failure(nodes[e.position], _what(node), rows, e.message)
    return Failure(node, e.message, e.code, rows=rows)


def _what(node: Node) -> str:
    if isinstance(node, Call):
        return f"{node.function}()"
    return f"'{node.op}'"  # type: ignore[attr-defined]


def _null_position(*values: Any) -> int | None:
    for position, value in enumerate(values):
        if value is None:
            return position
    return None


def as_op_error(exc: BaseException) -> OpError:
    """Python's own arithmetic errors, in the language's terms."""
    if isinstance(exc, OpError):
        return exc
    if isinstance(exc, ZeroDivisionError):
        return OpError("division by zero", DIVISION_BY_ZERO)
    if isinstance(exc, OverflowError):
        return OpError("numeric overflow: the result is too large", OVERFLOW)
    return OpError(str(exc), DOMAIN)


def describe(value: Any) -> str:
    """A value as messages show it: `number 3`, `string "a"`, `null`, `true`."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is str:
        shown = value if len(value) <= 40 else value[:37] + "..."
        return 'string "' + shown.replace('"', '\\"') + '"'
    if type(value) in _NUMBER:
        return f"number {value!r}"
    kind = _temporal.kind(value)
    if kind is not None:
        return f"{_temporal.NAMES[kind]} {temporal.iso(value)}"
    return f"{type(value).__name__} {value!r}"


def missing_message(name: str, what: str = "value") -> str:
    hint = _PYTHON_SPELLINGS.get(name)
    return f"no {what} for '{name}'" + (f" (did you mean '{hint}'?)" if hint else "")


def normalize(value: Any) -> Any:
    """A row value as the language sees it: numpy scalars and subclasses become plain Python."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, np.generic):
        value = value.item()  # np.int64, np.bool_, np.float32 are no int / bool / float subclasses
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if _temporal.kind(value) is not None:
        return value
    plain = _temporal.plain(value)
    if plain is not None:
        return plain
    raise OpError(
        f"unsupported value {value!r} of type {type(value).__name__}; "
        "expected true/false, a number, a string, a date, a time, a duration or null",
        BAD_INPUT,
    )


# -- scalar operations -------------------------------------------------------------------------


def _operands(op: str, a: Any, b: Any, strings: bool = False) -> OpError:
    wanted = "two numbers or two strings" if strings else "two numbers"
    message = f"'{op}' needs {wanted}, got {describe(a)} and {describe(b)}"
    position = _null_position(a, b)
    if position is not None:
        return NullOperand(message, position)
    return OpError(message, TYPE)


def _other(op: str, a: Any, b: Any, strings: bool = False) -> Any:
    """The operation on dates, times and durations, or the language's refusal of its operands."""
    if a is not None and b is not None and (_temporal.kind(a) is not None or _temporal.kind(b) is not None):
        try:
            return _temporal.BINARY[op](a, b)
        except _temporal.TemporalError as e:
            raise OpError(e.message, e.code) from None
    raise _operands(op, a, b, strings=strings)


def add(a: Any, b: Any) -> Any:
    ta = type(a)
    tb = type(b)
    if ta is int and tb is int:
        r = a + b
        if INT64_MIN <= r <= INT64_MAX:
            return r
        raise OpError(INT_OVERFLOW, OVERFLOW)
    if (ta in _NUMBER and tb in _NUMBER) or (ta is str and tb is str):
        return a + b
    return _other("+", a, b, strings=True)


def sub(a: Any, b: Any) -> Any:
    ta = type(a)
    tb = type(b)
    if ta is int and tb is int:
        r = a - b
        if INT64_MIN <= r <= INT64_MAX:
            return r
        raise OpError(INT_OVERFLOW, OVERFLOW)
    if ta in _NUMBER and tb in _NUMBER:
        return a - b
    return _other("-", a, b)


def mul(a: Any, b: Any) -> Any:
    ta = type(a)
    tb = type(b)
    if ta is int and tb is int:
        r = a * b
        if INT64_MIN <= r <= INT64_MAX:
            return r
        raise OpError(INT_OVERFLOW, OVERFLOW)
    if ta in _NUMBER and tb in _NUMBER:
        return a * b
    return _other("*", a, b)


def div(a: Any, b: Any) -> Any:
    if type(a) in _NUMBER and type(b) in _NUMBER:
        if b == 0:
            raise OpError("division by zero", DIVISION_BY_ZERO)
        return a / b
    raise _operands("/", a, b)


def mod(a: Any, b: Any) -> Any:
    if type(a) in _NUMBER and type(b) in _NUMBER:
        if b == 0:
            raise OpError("modulo by zero", DIVISION_BY_ZERO)
        return a % b
    raise _operands("%", a, b)


def power(a: Any, b: Any) -> Any:
    ta = type(a)
    tb = type(b)
    if ta is int and tb is int:
        if b >= 0:
            if b > 63 and (a > 1 or a < -1):  # certain overflow; do not build a huge int first
                raise OpError(INT_OVERFLOW, OVERFLOW)
            r = a**b
            if INT64_MIN <= r <= INT64_MAX:
                return r
            raise OpError(INT_OVERFLOW, OVERFLOW)
        return float_power(float(a), float(b))  # as Python does: 2 ** -1 == 0.5
    if ta in _NUMBER and tb in _NUMBER:
        return float_power(float(a), float(b))
    raise _operands("**", a, b)


def float_power(a: float, b: float) -> float:
    if a == 0.0 and b < 0.0:
        raise OpError("zero raised to a negative power", DIVISION_BY_ZERO)
    if a < 0.0 and a != -math.inf and math.isfinite(b) and b != math.floor(b):
        raise OpError(f"a negative number ({a!r}) raised to a fractional power ({b!r})", DOMAIN)
    try:
        return a**b
    except OverflowError:
        raise OpError("numeric overflow: the power is too large", OVERFLOW) from None


def neg(a: Any) -> Any:
    ta = type(a)
    if ta is int:
        if a == INT64_MIN:
            raise OpError(INT_OVERFLOW, OVERFLOW)
        return -a
    if ta is float:
        return -a
    if a is None:
        raise NullOperand(f"'-' needs a number, got null", 0)
    raise OpError(f"'-' needs a number, got {describe(a)}", TYPE)


def pos(a: Any) -> Any:
    if type(a) in _NUMBER:
        return a
    if a is None:
        raise NullOperand(f"'+' needs a number, got null", 0)
    raise OpError(f"'+' needs a number, got {describe(a)}", TYPE)


def eq(a: Any, b: Any) -> bool:
    """`==`: values of different types are simply unequal (and `true` is not `1`)."""
    ta = type(a)
    tb = type(b)
    if ta is tb or (ta in _NUMBER and tb in _NUMBER):
        return a == b
    return False


def ne(a: Any, b: Any) -> bool:
    return not eq(a, b)


def _orderable(op: str, a: Any, b: Any) -> None:
    ta = type(a)
    tb = type(b)
    if not ((ta in _NUMBER and tb in _NUMBER) or (ta is str and tb is str)):
        if _temporal.orderable(a, b):
            raise _Temporal()
        message = f"'{op}' compares two numbers or two strings, got {describe(a)} and {describe(b)}"
        if _temporal.kind(a) is not None or _temporal.kind(b) is not None:
            message = f"'{op}' compares two dates, two date-times, two times or two durations of one kind, got " \
                      f"{describe(a)} and {describe(b)}"
        position = _null_position(a, b)
        if position is not None:
            raise NullOperand(message, position)
        raise OpError(message, TYPE)


class _Temporal(Exception):
    """Raised by `_orderable` for two dates (times, durations): ordered by `_ordered`, off the hot path."""


def _ordered(op: str, a: Any, b: Any) -> bool:
    try:
        return _temporal.compare(op, a, b)
    except _temporal.TemporalError as e:
        raise OpError(e.message, e.code) from None


def lt(a: Any, b: Any) -> bool:
    try:
        _orderable("<", a, b)
    except _Temporal:
        return _ordered("<", a, b)
    return a < b


def le(a: Any, b: Any) -> bool:
    try:
        _orderable("<=", a, b)
    except _Temporal:
        return _ordered("<=", a, b)
    return a <= b


def gt(a: Any, b: Any) -> bool:
    try:
        _orderable(">", a, b)
    except _Temporal:
        return _ordered(">", a, b)
    return a > b


def ge(a: Any, b: Any) -> bool:
    try:
        _orderable(">=", a, b)
    except _Temporal:
        return _ordered(">=", a, b)
    return a >= b


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": add, "-": sub, "*": mul, "/": div, "%": mod, "**": power,
    "==": eq, "!=": ne, "<": lt, "<=": le, ">": gt, ">=": ge,
}  # fmt: skip
UNARY: dict[str, Callable[[Any], Any]] = {"-": neg, "+": pos}


class Membership:
    """`x in [literals]`, answered by type-aware set lookups (so `true in [1]` is false)."""

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.strings = frozenset(v for v in values if type(v) is str)
        self.numbers = frozenset(v for v in values if type(v) in _NUMBER)
        self.booleans = frozenset(v for v in values if type(v) is bool)
        self.null = any(v is None for v in values)

    def __call__(self, value: Any) -> bool:
        t = type(value)
        if t is str:
            return value in self.strings
        if t is int or t is float:
            return value in self.numbers
        if t is bool:
            return value in self.booleans
        return self.null and value is None


# -- functions ---------------------------------------------------------------------------------


def _number(function: str, x: Any, position: int = 0) -> None:
    if type(x) not in _NUMBER:
        if x is None:
            raise NullOperand(f"{function}() needs a number, got null", position)
        raise OpError(f"{function}() needs a number, got {describe(x)}", TYPE)


def fn_abs(x: Any) -> Any:
    _number("abs", x)
    if type(x) is int and x == INT64_MIN:
        raise OpError(INT_OVERFLOW, OVERFLOW)
    return abs(x)


def _promoted(result: Any, args: tuple[Any, ...]) -> Any:
    # The result's type follows the arguments' types, as in arithmetic: min(1, 2.5) is 1.0.
    if type(result) is int and any(type(a) is float for a in args):
        return float(result)
    return result


def fn_min(*args: Any) -> Any:
    for i, x in enumerate(args):
        _number("min", x, i)
    for x in args:
        if type(x) is float and math.isnan(x):  # NaN wins, as with numpy.minimum
            return x
    return _promoted(min(args), args)


def fn_max(*args: Any) -> Any:
    for i, x in enumerate(args):
        _number("max", x, i)
    for x in args:
        if type(x) is float and math.isnan(x):
            return x
    return _promoted(max(args), args)


def fn_clip(x: Any, lo: Any, hi: Any) -> Any:
    _number("clip", x)
    _number("clip", lo, 1)
    _number("clip", hi, 2)
    if lo > hi:
        raise OpError(f"clip() needs lo <= hi, got lo {lo!r} and hi {hi!r}", DOMAIN)
    if x < lo:
        result = lo
    elif x > hi:
        result = hi
    else:
        result = x  # NaN too, as numpy.where(x < lo, lo, numpy.where(x > hi, hi, x)) keeps it
    return _promoted(result, (x, lo, hi))


def fn_log(x: Any) -> float:
    _number("log", x)
    if x <= 0:
        raise OpError(f"log() needs a number > 0, got {x!r}", DOMAIN)
    return math.log(x)


def fn_exp(x: Any) -> float:
    _number("exp", x)
    try:
        return math.exp(x)
    except OverflowError:
        raise OpError(f"numeric overflow: exp({x!r}) is too large", OVERFLOW) from None


def fn_sqrt(x: Any) -> float:
    _number("sqrt", x)
    if x < 0:
        raise OpError(f"sqrt() needs a number >= 0, got {x!r}", DOMAIN)
    return math.sqrt(x)


def fn_floor(x: Any) -> Any:
    _number("floor", x)
    if type(x) is int or not math.isfinite(x):
        return x
    return float(math.floor(x))


def fn_ceil(x: Any) -> Any:
    _number("ceil", x)
    if type(x) is int or not math.isfinite(x):
        return x
    return float(math.ceil(x))


# round(): a float within about four units in the last place below a half is taken to be that
# half (2.675 is stored as 2.67499999999999982236431605997495353221893310546875 but meant as
# 2.675), then rounded away from zero. The column evaluator repeats these float operations
# exactly, so both evaluators give bit-identical results.
ROUND_TOLERANCE = 2.0**-50  # relative
ROUND_TOLERANCE_CAP = 2.0**-20  # absolute, so that large values with a true fraction stay exact
ROUND_EXACT = 2.0**52  # at and above this, a float has no fraction left to round


def make_round(digits: int) -> Callable[[Any], Any]:
    """round(x, digits), half away from zero; ints stay ints, floats stay floats."""
    scale = 10.0 ** abs(digits)
    step = 10 ** -digits if digits < 0 else 1

    def round_(x: Any) -> Any:
        t = type(x)
        if t is int:
            if digits >= 0:
                return x
            q, rem = divmod(x, step)
            if (2 * rem >= step) if x >= 0 else (2 * rem > step):
                q += 1
            r = q * step
            if INT64_MIN <= r <= INT64_MAX:
                return r
            raise OpError(INT_OVERFLOW, OVERFLOW)
        if t is float:
            a = abs(x) * scale if digits >= 0 else abs(x) / scale
            if not a < ROUND_EXACT:  # also NaN and infinities, which round to themselves
                return x
            f = float(math.floor(a))
            if a - f >= 0.5 - min(a * ROUND_TOLERANCE, ROUND_TOLERANCE_CAP):
                f += 1.0
            return math.copysign(f / scale if digits >= 0 else f * scale, x)
        if x is None:
            raise NullOperand("round() needs a number, got null", 0)
        raise OpError(f"round() needs a number, got {describe(x)}", TYPE)

    return round_


FUNCTIONS_IMPL: dict[str, Callable[..., Any]] = {
    "abs": fn_abs,
    "min": fn_min,
    "max": fn_max,
    "clip": fn_clip,
    "log": fn_log,
    "exp": fn_exp,
    "sqrt": fn_sqrt,
    "floor": fn_floor,
    "ceil": fn_ceil,
}


def _temporal_function(name: str, scalar: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A date, time or duration function in the language's terms: null and refusals as OpError."""

    def run(x: Any) -> Any:
        if x is None:
            raise NullOperand(f"{name}() needs a value, got null", 0)
        try:
            return scalar(x)
        except _temporal.TemporalError as e:
            raise OpError(e.message, e.code) from None

    return run


FUNCTIONS_IMPL.update({name: _temporal_function(name, f) for name, f in _temporal.FUNCTIONS.items()})


def function_impl(node: Call) -> Callable[..., Any]:
    """The scalar implementation of a call; `round` is specialised on its literal digits."""
    if node.function == "round":
        return make_round(round_digits(node))
    return FUNCTIONS_IMPL[node.function]


def round_digits(node: Call) -> int:
    """The digits of a `round` call; the parser has checked they are an int literal."""
    return node.args[1].value if len(node.args) == 2 else 0  # type: ignore[attr-defined]


# -- the row compiler --------------------------------------------------------------------------


def compile_row(node: Node) -> RowFn:
    """A closure computing `node` on one row; the tree is not consulted again at run time."""
    return _BUILDERS[type(node)](node)


def _literal(node: Literal) -> RowFn:
    value = node.value
    return lambda row: value


def _name(node: Name) -> RowFn:
    name = node.name

    def load(row: Mapping[str, Any]) -> Any:
        try:
            value = row[name]
        except KeyError:
            raise Failure(node, missing_message(name), MISSING_NAME) from None
        if type(value) in _PLAIN:
            return value
        try:
            return normalize(value)
        except OpError as e:
            raise Failure(node, f"'{name}': {e.message}", e.code) from None

    return load


def _unary(node: Unary) -> RowFn:
    operand = compile_row(node.operand)
    op = UNARY[node.op]

    def run(row: Mapping[str, Any]) -> Any:
        a = operand(row)
        try:
            return op(a)
        except (OpError, ArithmeticError) as e:
            raise _fail(node, e) from None

    return run


def _fail(node: Node, exc: BaseException) -> Failure:
    return op_failure(node, as_op_error(exc))


# A left-nested run of arithmetic (`a + b - c * d + ...`, as the parser builds it) longer than
# this is compiled by `_chain`, iteratively: a 5,000-term scorecard sum must not recurse.
CHAIN_MIN = 16


def left_spine(node: Node) -> list[Binary]:
    """The Binary nodes down the left side of `node`, outermost first (empty if it is not one)."""
    spine = []
    while isinstance(node, Binary):
        spine.append(node)
        node = node.left
    return spine


def _chain(spine: list[Binary]) -> RowFn:
    first = compile_row(spine[-1].left)
    steps = tuple((step, BINARY[step.op], compile_row(step.right)) for step in reversed(spine))

    def run(row: Mapping[str, Any]) -> Any:
        a = first(row)
        for step, op, right in steps:
            b = right(row)
            try:
                a = op(a, b)
            except (OpError, ArithmeticError) as e:
                raise _fail(step, e) from None
        return a

    return run


def _binary(node: Binary | Compare) -> RowFn:
    if isinstance(node, Binary) and isinstance(node.left, Binary) and len(spine := left_spine(node)) > CHAIN_MIN:
        return _chain(spine)
    op = BINARY[node.op]
    # A literal operand is bound as a constant: one call fewer on the hot path.
    if isinstance(node.right, Literal):
        left, constant = compile_row(node.left), node.right.value

        def run_constant(row: Mapping[str, Any]) -> Any:
            a = left(row)
            try:
                return op(a, constant)
            except (OpError, ArithmeticError) as e:
                raise _fail(node, e) from None

        return run_constant
    left, right = compile_row(node.left), compile_row(node.right)

    def run(row: Mapping[str, Any]) -> Any:
        a = left(row)
        b = right(row)
        try:
            return op(a, b)
        except (OpError, ArithmeticError) as e:
            raise _fail(node, e) from None

    return run


def _in(node: In) -> RowFn:
    item = compile_row(node.item)
    negated = node.negated
    options = node.options.items
    if all(isinstance(o, Literal) for o in options):
        member = Membership(tuple(o.value for o in options))  # type: ignore[attr-defined]

        def run_literal(row: Mapping[str, Any]) -> bool:
            return member(item(row)) is not negated

        return run_literal
    compiled = tuple(compile_row(o) for o in options)

    def run(row: Mapping[str, Any]) -> bool:
        x = item(row)
        values = [f(row) for f in compiled]
        return any(eq(x, v) for v in values) is not negated

    return run


def _not_boolean(node: Node, context: str, value: Any) -> Failure:
    if value is None:
        return null_failure(node, context, detail=f"{context} needs true or false, got null")
    return Failure(node, f"{context} needs true or false, got {describe(value)}", TYPE)


def _bool_op(node: BoolOp) -> RowFn:
    operands = tuple(compile_row(o) for o in node.operands)
    nodes = node.operands
    decisive = node.op == "or"  # the operand value that settles the result: true for `or`
    neutral = not decisive
    context = f"'{node.op}'"

    def run(row: Mapping[str, Any]) -> bool:
        for i, operand in enumerate(operands):
            v = operand(row)
            if v is decisive:
                return decisive
            if v is not neutral:
                raise _not_boolean(nodes[i], context, v)
        return neutral

    if len(operands) != 2:
        return run
    first, second = operands

    def run_two(row: Mapping[str, Any]) -> bool:
        v = first(row)
        if v is decisive:
            return decisive
        if v is not neutral:
            raise _not_boolean(nodes[0], context, v)
        w = second(row)
        if w is True or w is False:
            return w
        raise _not_boolean(nodes[1], context, w)

    return run_two


def _not(node: Not) -> RowFn:
    operand = compile_row(node.operand)

    def run(row: Mapping[str, Any]) -> bool:
        v = operand(row)
        if v is True:
            return False
        if v is False:
            return True
        raise _not_boolean(node.operand, "'not'", v)

    return run


def _if_else(node: IfElse) -> RowFn:
    condition = compile_row(node.condition)
    then = compile_row(node.then)
    orelse = compile_row(node.orelse)

    def run(row: Mapping[str, Any]) -> Any:
        c = condition(row)
        if c is True:
            return then(row)
        if c is False:
            return orelse(row)
        raise _not_boolean(node.condition, "the condition of 'if'", c)

    return run


def _coalesce(node: Call) -> RowFn:
    args = tuple(compile_row(a) for a in node.args)

    def run(row: Mapping[str, Any]) -> Any:
        for arg in args:  # left to right, only as far as the first value that is not null
            value = arg(row)
            if value is not None:
                return value
        return None

    return run


def constant_call(node: Call) -> tuple[Any] | None:
    """(the value,) of `date("2026-03-01")`, `duration("P90D")` and their kin on a text literal, made
    once; None for any other call (or when making it fails: the call then fails where it runs)."""
    if node.function not in _temporal.LITERAL_TEXT or len(node.args) != 1:
        return None
    arg = node.args[0]
    if not isinstance(arg, Literal) or type(arg.value) is not str:
        return None
    try:
        return (FUNCTIONS_IMPL[node.function](arg.value),)
    except (OpError, ImportError):
        return None


def _call(node: Call) -> RowFn:
    if node.function == "coalesce":
        return _coalesce(node)
    constant = constant_call(node)
    if constant is not None:
        value = constant[0]
        return lambda row: value
    impl = function_impl(node)
    # round's digits are a literal, already bound into `impl`.
    arg_nodes = node.args[:1] if node.function == "round" else node.args
    args = tuple(compile_row(a) for a in arg_nodes)
    if len(args) == 1:
        (arg,) = args

        def run_one(row: Mapping[str, Any]) -> Any:
            x = arg(row)
            try:
                return impl(x)
            except (OpError, ArithmeticError) as e:
                raise _fail(node, e) from None

        return run_one

    def run(row: Mapping[str, Any]) -> Any:
        values = [f(row) for f in args]
        try:
            return impl(*values)
        except (OpError, ArithmeticError) as e:
            raise _fail(node, e) from None

    return run


def _list(node: ListLiteral) -> RowFn:
    raise TypeError("a list is evaluated only as the options of 'in'")


_BUILDERS: dict[type, Callable[[Any], RowFn]] = {
    Literal: _literal,
    Name: _name,
    Unary: _unary,
    Binary: _binary,
    Compare: _binary,
    In: _in,
    BoolOp: _bool_op,
    Not: _not,
    IfElse: _if_else,
    Call: _call,
    ListLiteral: _list,
}
