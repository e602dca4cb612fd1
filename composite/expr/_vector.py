"""Compiles an expression tree into numpy closures that evaluate whole columns at once.

Each closure gets the rows still live; it fails only for those, and leaves junk in the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

from composite.errors import EvaluationError
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
from composite.expr import _temporal
from composite.expr._compile import (
    BAD_INPUT,
    BINARY,
    CHAIN_MIN,
    DIVISION_BY_ZERO,
    DOMAIN,
    INT64_MAX,
    INT64_MIN,
    INT_OVERFLOW,
    MISSING_NAME,
    OVERFLOW,
    ROUND_EXACT,
    ROUND_TOLERANCE,
    ROUND_TOLERANCE_CAP,
    TYPE,
    UNARY,
    Failure,
    Membership,
    OpError,
    as_op_error,
    constant_call,
    describe,
    function_impl,
    missing_message,
    left_spine,
    normalize,
    null_failure,
    op_failure,
    round_digits,
)

Live: TypeAlias = "np.ndarray | None"  # a bool mask of the rows that matter; None: all rows
ColumnFn: TypeAlias = "Callable[[Batch, Live], np.ndarray]"
FastFn: TypeAlias = "Callable[[Node, Sequence[np.ndarray], Live], np.ndarray]"

_BOOL = np.dtype(bool)
_INT = np.dtype(np.int64)
_FLOAT = np.dtype(np.float64)
_OBJECT = np.dtype(object)
_PLAIN = frozenset({bool, int, float, str, type(None)})
_TWO63 = 2.0**63


class Batch:
    """The input columns of one evaluation, each normalised once, on first use.

    After loading, a column is bool, int64, float64, or object holding only Python bool, int,
    float, str and None.
    """

    def __init__(self, columns: Mapping[str, Any], size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise EvaluationError(
                f"size must be a whole number >= 0, got {size!r}", code=BAD_INPUT
            )
        self.columns = columns
        self.size = int(size)
        self._loaded: dict[str, np.ndarray] = {}
        self._raw: list[Any] = []

    def load(self, node: Name) -> np.ndarray:
        column = self._loaded.get(node.name)
        if column is None:
            try:
                raw = self.columns[node.name]
            except KeyError:
                raise Failure(node, missing_message(node.name, "column"), MISSING_NAME) from None
            self._raw.append(raw)
            column = self._loaded[node.name] = _normalize_column(node, raw, self.size)
        return column

    def is_input(self, array: np.ndarray) -> bool:
        """Whether `array` is one of the caller's own arrays, which a result must not alias."""
        return any(array is raw for raw in self._raw)


def _normalize_column(node: Name, raw: Any, size: int) -> np.ndarray:
    if isinstance(raw, np.ndarray):
        array = raw
    else:
        # Not np.asarray: it would turn [True, 1] into [1, 1] and lose what the values are.
        values = list(raw)
        array = np.empty(len(values), dtype=object)
        array[:] = values
    if array.ndim != 1 or array.shape[0] != size:
        raise Failure(
            node, f"column '{node.name}' has shape {array.shape}, expected ({size},)", BAD_INPUT
        )
    kind = array.dtype.kind
    if kind == "b":
        return array
    if kind == "i" or (kind == "u" and (array.dtype.itemsize < 8 or not size or array.max() <= INT64_MAX)):
        return array.astype(np.int64, copy=False)
    if kind == "f":
        return array.astype(np.float64, copy=False)
    if kind == "U":
        return array.astype(object)
    if kind in "Ou":
        return _normalize_objects(node, array if kind == "O" else array.astype(object))
    if kind == "M":  # numpy dates: Python dates (day precision) or date-times, NaT as null
        return _normalize_objects(node, array.astype(object) if np.datetime_data(array.dtype)[0] in "YMWD"
                                  else array.astype("datetime64[us]").astype(object))
    raise Failure(
        node,
        f"column '{node.name}' has dtype {array.dtype}; expected bool, integer, float, "
        "string or object",
        BAD_INPUT,
    )


def _normalize_objects(node: Name, array: np.ndarray) -> np.ndarray:
    values = array.tolist()
    types = set(map(type, values))
    if not types <= _PLAIN and all(t in _PLAIN or _temporal.kind_of_type(t) for t in types):
        return array  # dates, times and durations (and plain values) are the language's own values
    converted = not types <= _PLAIN
    if converted:
        values, bad, first = [], [], None
        for i, value in enumerate(array.tolist()):
            try:
                values.append(normalize(value))
            except OpError as e:
                bad.append(i)
                first = first or e
                values.append(None)
        if first is not None:
            raise Failure(node, f"column '{node.name}': {first.message}", first.code, rows=bad)
        types = set(map(type, values))
    # A column of one type gets the fast paths; a mixed one stays exact, element by element.
    if types == {bool}:
        return np.array(values, dtype=bool)
    if types == {float}:
        return np.array(values, dtype=np.float64)
    if types == {int} and _fit_int64(values):
        return np.array(values, dtype=np.int64)
    if not converted:
        return array
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# -- helpers -----------------------------------------------------------------------------------


def _fit_int64(values: list[int]) -> bool:
    return min(values) >= INT64_MIN and max(values) <= INT64_MAX


def _live_rows(live: Live, size: int) -> np.ndarray:
    return np.arange(size) if live is None else np.flatnonzero(live)


def _refuse(node: Node, bad: np.ndarray, live: Live, message: str, code: str) -> None:
    """Fail if any live row is `bad`."""
    if live is not None:
        bad = bad & live
    if bad.any():
        raise Failure(node, message, code, rows=np.flatnonzero(bad).tolist())


def _full(value: Any, size: int) -> np.ndarray:
    if type(value) is bool:
        return np.full(size, value, dtype=bool)
    if type(value) is int:
        return np.full(size, value, dtype=np.int64)
    if type(value) is float:
        return np.full(size, value, dtype=np.float64)
    out = np.empty(size, dtype=object)
    out.fill(value)
    return out


def _pack(values: list[Any], rows: np.ndarray, size: int) -> np.ndarray:
    """Scalar results for the live `rows`, in the tightest array that holds them.

    A mix of ints and floats becomes float64, as numpy would make it.
    """
    types = set(map(type, values))
    out: np.ndarray | None = None
    if types == {bool}:
        out = np.zeros(size, dtype=bool)
    elif types == {int} and _fit_int64(values):
        out = np.zeros(size, dtype=np.int64)
    elif types and types <= {int, float}:
        out = np.zeros(size, dtype=np.float64)
    if out is not None:
        try:
            out[rows] = values
            return out
        except OverflowError:  # an int too large for a float; keep it exact
            pass
    out = np.empty(size, dtype=object)
    for i, v in zip(rows.tolist(), values):  # one by one: numpy would turn a list of str into U
        out[i] = v
    return out


def _elementwise(
    node: Node, fn: Callable[..., Any], args: Sequence[np.ndarray], live: Live, size: int
) -> np.ndarray:
    """The scalar operation on each live row: exact semantics for object and bool columns."""
    rows = _live_rows(live, size)
    columns = [a[rows].tolist() for a in args]
    results: list[Any] = []
    failure: OpError | None = None
    bad: list[int] = []
    for i, values in zip(rows.tolist(), zip(*columns)):
        try:
            results.append(fn(*values))
        except (OpError, ArithmeticError) as exc:
            e = as_op_error(exc)
            failure = failure or e
            if e.code == failure.code:
                bad.append(i)
            results.append(None)
    if failure is not None:
        raise op_failure(node, failure, rows=bad)
    return _pack(results, rows, size)


def _booleans(node: Node, array: np.ndarray, live: Live, size: int, context: str) -> np.ndarray:
    """`array` as a bool array, failing for live rows that hold anything but true or false."""
    if array.dtype == _BOOL:
        return array
    rows = _live_rows(live, size)
    if array.dtype == _OBJECT:
        values = array[rows].tolist()
        bad = [i for i, v in zip(rows.tolist(), values) if type(v) is not bool]
        if not bad:
            out = np.zeros(size, dtype=bool)
            out[rows] = values
            return out
    else:
        bad = rows.tolist()
        if not bad:
            return np.zeros(size, dtype=bool)
    first = array[bad[0]]
    first = first.item() if isinstance(first, np.generic) else first
    if first is None:  # the rows holding null, as the row evaluator reports each of them
        nulls = [i for i in bad if array[i] is None]
        raise null_failure(node, context, nulls, detail=f"{context} needs true or false, got null")
    raise Failure(node, f"{context} needs true or false, got {describe(first)}", TYPE, rows=bad)


def _numeric(*arrays: np.ndarray) -> bool:
    return all(a.dtype.kind in "if" for a in arrays)


# -- arithmetic on int64 / float64 columns -----------------------------------------------------
# The int64 checks report exactly the overflows that Python's unbounded ints reveal in the row
# evaluator, which raises for any int result outside 64 bits.


def _add(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    a, b = args
    r = a + b
    if r.dtype == _INT:
        _refuse(node, ((a ^ r) & (b ^ r)) < 0, live, INT_OVERFLOW, OVERFLOW)
    return r


def _sub(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    a, b = args
    r = a - b
    if r.dtype == _INT:
        _refuse(node, ((a ^ b) & (a ^ r)) < 0, live, INT_OVERFLOW, OVERFLOW)
    return r


def _mul(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    a, b = args
    r = a * b
    if r.dtype == _INT:
        # A wrapped product differs from a*b by a multiple of 2**64, so r // a != b exposes it;
        # MIN * -1 wraps to itself and needs naming.
        wrapped = (a != 0) & (r // np.where(a == 0, 1, a) != b)
        wrapped |= ((a == -1) & (b == INT64_MIN)) | ((b == -1) & (a == INT64_MIN))
        _refuse(node, wrapped, live, INT_OVERFLOW, OVERFLOW)
    return r


def _div(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    a, b = args
    _refuse(node, b == 0, live, "division by zero", DIVISION_BY_ZERO)
    return np.true_divide(a, b)


def _mod(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    a, b = args
    _refuse(node, b == 0, live, "modulo by zero", DIVISION_BY_ZERO)
    return np.remainder(a, b)  # the sign of the divisor, as Python's %


def _power(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    a, b = args
    fa = a.astype(np.float64)
    fb = b.astype(np.float64)
    if a.dtype == _INT and b.dtype == _INT:
        whole = b >= 0  # int ** non-negative int stays int, as in Python
        approx = fa**fb
        _refuse(node, whole & ((approx >= _TWO63) | (approx < -_TWO63)), live, INT_OVERFLOW, OVERFLOW)
        negative = ~whole if live is None else ~whole & live
        if not negative.any():
            return np.power(a, np.where(whole, b, 0))  # junk rows may hold negative exponents
        _refuse(node, negative & (a == 0), live, "zero raised to a negative power", DIVISION_BY_ZERO)
        return approx  # 2 ** -1 is 0.5; the column is float64
    _refuse(node, (fa == 0) & (fb < 0), live, "zero raised to a negative power", DIVISION_BY_ZERO)
    fractional = (fa < 0) & (fa != -np.inf) & np.isfinite(fb) & (fb != np.floor(fb))
    _refuse(node, fractional, live, "a negative number raised to a fractional power", DOMAIN)
    r = fa**fb
    _refuse(
        node,
        np.isinf(r) & np.isfinite(fa) & np.isfinite(fb),
        live,
        "numeric overflow: the power is too large",
        OVERFLOW,
    )
    return r


_FAST_BINARY: dict[str, FastFn] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _div,
    "%": _mod,
    "**": _power,
}
_COMPARE_UFUNC = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


# -- functions on int64 / float64 columns ------------------------------------------------------


def _abs(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    (x,) = args
    if x.dtype == _INT:
        _refuse(node, x == INT64_MIN, live, INT_OVERFLOW, OVERFLOW)
    return np.abs(x)


def _min(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    result = args[0]
    for x in args[1:]:
        result = np.minimum(result, x)  # propagates NaN, like the row evaluator
    return result


def _max(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    result = args[0]
    for x in args[1:]:
        result = np.maximum(result, x)
    return result


def _clip(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    x, lo, hi = args
    _refuse(node, lo > hi, live, "clip() needs lo <= hi", DOMAIN)
    return np.where(x < lo, lo, np.where(x > hi, hi, x))


def _log(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    (x,) = args
    _refuse(node, x <= 0, live, "log() needs a number > 0", DOMAIN)
    return np.log(x.astype(np.float64))


def _exp(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    x = args[0].astype(np.float64)
    r = np.exp(x)
    _refuse(node, np.isinf(r) & np.isfinite(x), live, "numeric overflow: exp() is too large", OVERFLOW)
    return r


def _sqrt(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    (x,) = args
    _refuse(node, x < 0, live, "sqrt() needs a number >= 0", DOMAIN)
    return np.sqrt(x.astype(np.float64))


def _floor(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    (x,) = args
    return x if x.dtype == _INT else np.floor(x)


def _ceil(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
    (x,) = args
    return x if x.dtype == _INT else np.ceil(x)


def _round(digits: int) -> FastFn:
    """round(x, digits): the same float operations as `_compile.make_round`, on columns."""
    scale = 10.0 ** abs(digits)
    step = 10 ** -digits if digits < 0 else 1
    highest, lowest = INT64_MAX // step, -(2**63 // step)

    def round_(node: Node, args: Sequence[np.ndarray], live: Live) -> np.ndarray:
        (x,) = args
        if x.dtype == _INT:
            if digits >= 0:
                return x
            q = np.floor_divide(x, step)
            rem = x - q * step
            q = q + np.where(x >= 0, 2 * rem >= step, 2 * rem > step)
            _refuse(node, (q > highest) | (q < lowest), live, INT_OVERFLOW, OVERFLOW)
            return q * step
        a = np.abs(x) * scale if digits >= 0 else np.abs(x) / scale
        f = np.floor(a)
        f = np.where(a - f >= 0.5 - np.minimum(a * ROUND_TOLERANCE, ROUND_TOLERANCE_CAP), f + 1.0, f)
        y = f / scale if digits >= 0 else f * scale
        return np.where(a < ROUND_EXACT, np.copysign(y, x), x)

    return round_


_FAST_FUNCTIONS: dict[str, FastFn] = {
    "abs": _abs,
    "min": _min,
    "max": _max,
    "clip": _clip,
    "log": _log,
    "exp": _exp,
    "sqrt": _sqrt,
    "floor": _floor,
    "ceil": _ceil,
}


# -- the column compiler -----------------------------------------------------------------------


def compile_columns(node: Node) -> ColumnFn:
    """A closure computing `node` on a `Batch` for the rows of a live mask."""
    return _BUILDERS[type(node)](node)


def _literal(node: Literal) -> ColumnFn:
    value = node.value
    return lambda batch, live: _full(value, batch.size)


def _name(node: Name) -> ColumnFn:
    return lambda batch, live: batch.load(node)


def _unary(node: Unary) -> ColumnFn:
    operand = compile_columns(node.operand)
    scalar = UNARY[node.op]
    negate = node.op == "-"

    def run(batch: Batch, live: Live) -> np.ndarray:
        a = operand(batch, live)
        if a.dtype == _INT and negate:
            _refuse(node, a == INT64_MIN, live, INT_OVERFLOW, OVERFLOW)
        if a.dtype.kind in "if":
            return -a if negate else a
        return _elementwise(node, scalar, [a], live, batch.size)

    return run


def _chain(spine: list[Binary]) -> ColumnFn:
    """A long left-nested arithmetic run (see `_compile.CHAIN_MIN`), folded without recursion."""
    first = compile_columns(spine[-1].left)
    steps = [(step, BINARY[step.op], _FAST_BINARY[step.op], compile_columns(step.right)) for step in reversed(spine)]

    def run(batch: Batch, live: Live) -> np.ndarray:
        a = first(batch, live)
        for step, scalar, fast, right in steps:
            b = right(batch, live)
            a = fast(step, (a, b), live) if _numeric(a, b) else _elementwise(step, scalar, [a, b], live, batch.size)
        return a

    return run


def _dates(op: str, a: np.ndarray, b: np.ndarray, live: Live, size: int) -> np.ndarray | None:
    """`a op b` on two columns of dates (or of durations) with numpy, or None: see `_temporal.columns`."""
    if a.dtype != _OBJECT or b.dtype != _OBJECT or not size:
        return None
    rows = _live_rows(live, size)
    if not len(rows) or (_temporal.kind(a[rows[0]]) is None and _temporal.kind(b[rows[0]]) is None):
        return None
    result = _temporal.columns(op, a[rows].tolist(), b[rows].tolist())
    if result is None or live is None:
        return result
    out = np.zeros(size, dtype=bool) if result.dtype == _BOOL else np.empty(size, dtype=object)
    out[rows] = result
    return out


def _binary(node: Binary) -> ColumnFn:
    if isinstance(node.left, Binary) and len(spine := left_spine(node)) > CHAIN_MIN:
        return _chain(spine)
    left, right = compile_columns(node.left), compile_columns(node.right)
    scalar, fast = BINARY[node.op], _FAST_BINARY[node.op]

    def run(batch: Batch, live: Live) -> np.ndarray:
        a = left(batch, live)
        b = right(batch, live)
        if _numeric(a, b):
            return fast(node, (a, b), live)
        dated = _dates(node.op, a, b, live, batch.size)
        if dated is not None:
            return dated
        return _elementwise(node, scalar, [a, b], live, batch.size)

    return run


def _equality(node: Node, a: np.ndarray, b: np.ndarray, live: Live, size: int, strings: bool) -> np.ndarray:
    """`a == b` with the language's rule that values of different types are unequal.

    `strings`: one side is a string literal, so Python's own `==` is already type-exact.
    """
    ka, kb = a.dtype.kind, b.dtype.kind
    if (ka in "if" and kb in "if") or ka == kb == "b":
        return np.equal(a, b)
    if ka != "O" and kb != "O":  # a bool column against a number column
        return np.zeros(size, dtype=bool)
    if strings:
        if ka == kb == "O":
            return np.equal(a, b).astype(bool, copy=False)
        return np.zeros(size, dtype=bool)
    return _elementwise(node, BINARY["=="], [a, b], live, size)


def _is_string(node: Node) -> bool:
    return isinstance(node, Literal) and type(node.value) is str


def _compare(node: Compare) -> ColumnFn:
    left, right = compile_columns(node.left), compile_columns(node.right)
    scalar, ufunc = BINARY[node.op], _COMPARE_UFUNC[node.op]
    equality = node.op in ("==", "!=")
    negate = node.op == "!="
    strings = _is_string(node.left) or _is_string(node.right)

    def run(batch: Batch, live: Live) -> np.ndarray:
        a = left(batch, live)
        b = right(batch, live)
        if _numeric(a, b):
            return ufunc(a, b)
        dated = _dates(node.op, a, b, live, batch.size)
        if dated is not None:
            return dated
        if equality:
            equal = _equality(node, a, b, live, batch.size, strings)
            return ~equal if negate else equal
        return _elementwise(node, scalar, [a, b], live, batch.size)

    return run


def _in(node: In) -> ColumnFn:
    item = compile_columns(node.item)
    negated = node.negated
    options = node.options.items
    if not all(isinstance(o, Literal) for o in options):
        compiled = [(o, compile_columns(o)) for o in options]

        def run_general(batch: Batch, live: Live) -> np.ndarray:
            x = item(batch, live)
            found = np.zeros(batch.size, dtype=bool)
            for option, f in compiled:
                found = found | _equality(node, x, f(batch, live), live, batch.size, _is_string(option))
            return ~found if negated else found

        return run_general

    values = tuple(o.value for o in options)  # type: ignore[attr-defined]
    member = Membership(values)
    numbers = np.array(sorted(member.numbers)) if member.numbers else None
    true, false = True in member.booleans, False in member.booleans

    def run(batch: Batch, live: Live) -> np.ndarray:
        x = item(batch, live)
        kind = x.dtype.kind
        if kind in "if":
            found = np.isin(x, numbers) if numbers is not None else np.zeros(batch.size, dtype=bool)
        elif kind == "b":
            if true and false:
                found = np.ones(batch.size, dtype=bool)
            elif true or false:
                found = x.copy() if true else ~x
            else:
                found = np.zeros(batch.size, dtype=bool)
        else:
            found = np.fromiter(map(member, x.tolist()), dtype=bool, count=batch.size)
        return ~found if negated else found

    return run


def _bool_op(node: BoolOp) -> ColumnFn:
    operands = [(o, compile_columns(o)) for o in node.operands]
    is_and = node.op == "and"
    context = f"'{node.op}'"

    def run(batch: Batch, live: Live) -> np.ndarray:
        (first_node, first), rest = operands[0], operands[1:]
        result = _booleans(first_node, first(batch, live), live, batch.size, context)
        for operand_node, operand in rest:
            # Rows whose outcome is still open; only they evaluate the next operand.
            pending = result if is_and else ~result
            if live is not None:
                pending = pending & live
            if not pending.any():
                break
            value = _booleans(operand_node, operand(batch, pending), pending, batch.size, context)
            result = (result & value) if is_and else (result | value)
        return result

    return run


def _not(node: Not) -> ColumnFn:
    operand = compile_columns(node.operand)

    def run(batch: Batch, live: Live) -> np.ndarray:
        return ~_booleans(node.operand, operand(batch, live), live, batch.size, "'not'")

    return run


def _if_else(node: IfElse) -> ColumnFn:
    condition = compile_columns(node.condition)
    then = compile_columns(node.then)
    orelse = compile_columns(node.orelse)

    def run(batch: Batch, live: Live) -> np.ndarray:
        size = batch.size
        chosen = _booleans(
            node.condition, condition(batch, live), live, size, "the condition of 'if'"
        )
        then_live = chosen if live is None else chosen & live
        else_live = ~chosen if live is None else ~chosen & live
        if not then_live.any():
            return orelse(batch, else_live)
        if not else_live.any():
            return then(batch, then_live)
        a = then(batch, then_live)
        b = orelse(batch, else_live)
        if a.dtype == b.dtype or _numeric(a, b):
            return np.where(chosen, a, b)
        rows = _live_rows(live, size)
        merged = np.where(chosen, a.astype(object), b.astype(object))
        return _pack(merged[rows].tolist(), rows, size)

    return run


def _nulls(array: np.ndarray, live: Live) -> np.ndarray:
    """The live rows of `array` that hold null (only an object column can)."""
    if array.dtype != _OBJECT:
        return np.zeros(array.shape[0], dtype=bool)
    found = np.fromiter((v is None for v in array.tolist()), dtype=bool, count=array.shape[0])
    return found if live is None else found & live


def _coalesce(node: Call) -> ColumnFn:
    args = [compile_columns(a) for a in node.args]

    def run(batch: Batch, live: Live) -> np.ndarray:
        size = batch.size
        result = args[0](batch, live)
        for arg in args[1:]:
            pending = _nulls(result, live)  # only these rows evaluate the next argument
            if not pending.any():
                break
            value = arg(batch, pending)
            if result.dtype == value.dtype or _numeric(result, value):
                result = np.where(pending, value, result)
            else:
                rows = _live_rows(live, size)
                merged = np.where(pending, value.astype(object), result.astype(object))
                result = _pack(merged[rows].tolist(), rows, size)
        return result

    return run


def _call(node: Call) -> ColumnFn:
    if node.function == "coalesce":
        return _coalesce(node)
    constant = constant_call(node)
    if constant is not None:  # date("2026-03-01"): one value, made when the expression compiles
        value = constant[0]
        return lambda batch, live: _full(value, batch.size)
    scalar = function_impl(node)
    if node.function == "round":
        fast, arg_nodes = _round(round_digits(node)), node.args[:1]
    else:
        fast, arg_nodes = _FAST_FUNCTIONS.get(node.function), node.args
    args = [compile_columns(a) for a in arg_nodes]

    def run(batch: Batch, live: Live) -> np.ndarray:
        values = [f(batch, live) for f in args]
        if fast is not None and _numeric(*values):
            return fast(node, values, live)
        return _elementwise(node, scalar, values, live, batch.size)

    return run


def _list(node: ListLiteral) -> ColumnFn:
    raise TypeError("a list is evaluated only as the options of 'in'")


_BUILDERS: dict[type, Callable[[Any], ColumnFn]] = {
    Literal: _literal,
    Name: _name,
    Unary: _unary,
    Binary: _binary,
    Compare: _compare,
    In: _in,
    BoolOp: _bool_op,
    Not: _not,
    IfElse: _if_else,
    Call: _call,
    ListLiteral: _list,
}
