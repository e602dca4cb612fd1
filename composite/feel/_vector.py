"""FEEL over whole columns: numbers, booleans and strings a column at a time, the rest per row.

Each node compiles to a function of a `Batch` returning a `Column`; a node this module does not
vectorise (or whose operands are of mixed types) runs its row closure on every row instead, and
its parent carries on with columns. The answers are `Expression.evaluate`'s, row for row.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from composite.feel import _ast as ast
from composite.feel._eval import Compiler, Env, RowFn, TypeResolver
from composite.feel import builtin
from composite.feel.values import FEEL_CONTEXT, FeelRuntimeError, parse_temporal, to_feel

_ZERO = Decimal(0)
_ONE = Decimal(1)
# The column kinds: every non-null value of a column is of its kind; "null" holds only nulls and
# "any" anything (a list of FEEL values, handled per row by the nodes above it).
# Dates (exactly datetime.date: no zone, no far years) order and compare as Python's dates do.
_PLACEHOLDER = {"number": _ZERO, "string": "", "boolean": False, "date": dt.date(1, 1, 1)}
_KIND_OF = {Decimal: "number", str: "string", bool: "boolean", dt.date: "date"}


@dataclass(slots=True)
class Column:
    kind: str  # number, integer, string, boolean, null, any
    # numpy array: object (Decimals) for number, int64 for integer (whole numbers known exactly, from a
    # numpy integer column or a whole literal), object for string, bool for boolean; a list for "any"
    values: Any
    mask: Any  # numpy bool array, True where the value is null
    decimals: Any = None  # an integer column's values as Decimals, once some operation needed them

    def to_list(self) -> list[Any]:
        if self.kind == "any":
            return list(self.values)
        if self.kind == "null":
            return [None] * len(self.mask)
        if self.kind == "integer":
            out = np.fromiter(map(Decimal, self.values.tolist()), dtype=object, count=len(self.values))
            out[self.mask] = None
            return out.tolist()
        out = self.values.astype(object)
        out[self.mask] = None
        return out.tolist()


class Batch:
    """The input columns, each read as FEEL values when a node first asks for it, and their rows
    (built only if some node runs per row)."""

    def __init__(self, columns: Mapping[str, Any], notes: list[str] | None, size: int) -> None:
        self._given = columns
        self.size = size
        self.notes = notes
        self._values: dict[str, list[Any]] = {}
        self._columns: dict[str, Column] = {}
        self._rows: list[dict[str, Any]] | None = None
        self.computed: dict[str, Column] = {}

    def values(self, name: str) -> list[Any]:
        if name not in self._values:
            column = self._given[name]
            dtype = getattr(column, "dtype", None)
            if isinstance(dtype, np.dtype) and dtype.kind in "mM" and not str(dtype).endswith("[D]"):
                # numpy's nanosecond datetimes list as integers; in microseconds they list as datetimes
                column = np.asarray(column).astype("datetime64[us]" if dtype.kind == "M" else "timedelta64[us]")
            values = column.tolist() if hasattr(column, "tolist") else list(column)
            if not set(map(type, values)) <= _PLAIN:
                values = [None if type(v).__name__ == "NAType" else to_feel(v) for v in values]
            self._values[name] = values
        return self._values[name]

    def column(self, name: str) -> Column | None:
        if name not in self._given:
            return None
        if name not in self._columns:
            given = self._given[name]
            dtype = getattr(given, "dtype", None)
            if isinstance(dtype, np.dtype) and dtype.kind in "iu" and (dtype.kind == "i" or dtype.itemsize < 8):
                # whole numbers stay machine integers until an operation needs decimals
                values = np.asarray(given, dtype=np.int64)
                self._columns[name] = Column("integer", values, np.zeros(len(values), dtype=bool))
            else:
                self._columns[name] = classify(self.values(name))
        return self._columns[name]

    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            names = list(self._given)
            columns = [self.values(name) for name in names]
            self._rows = [dict(zip(names, values)) for values in zip(*columns)] if names else [
                {} for _ in range(self.size)]
        return self._rows


_PLAIN = frozenset({type(None), Decimal, str, bool, dt.date})


def classify(values: list[Any]) -> Column:
    """A list of FEEL values as the narrowest column kind that holds them."""
    n = len(values)
    kinds = set(map(type, values))
    has_null = type(None) in kinds
    kinds.discard(type(None))
    if has_null:
        mask = np.fromiter(map(operator.is_, values, itertools.repeat(None)), dtype=bool, count=n)
    else:
        mask = np.zeros(n, dtype=bool)
    if not kinds:
        return Column("null", None, mask)
    if len(kinds) == 1:
        kind = _KIND_OF.get(kinds.pop())
        if kind == "boolean":
            data = np.fromiter(map(operator.is_, values, itertools.repeat(True)), dtype=bool, count=n)
            return Column("boolean", data, mask)
        if kind is not None:
            data = np.fromiter(values, dtype=object, count=n)
            if has_null:
                data[mask] = _PLACEHOLDER[kind]
            return Column(kind, data, mask)
    return Column("any", values, mask)


_INT_SAFE = 2**53  # whole literals up to here become integer columns
_ADD_SAFE = 2**62  # operands below this add and subtract in int64 without overflow
_MUL_SAFE = 2**31  # ... and multiply


def as_decimal(column: Column) -> Column:
    """An integer column as decimals (what FEEL's own arithmetic would hold)."""
    if column.kind != "integer":
        return column
    if column.decimals is None:
        column.decimals = np.fromiter(map(Decimal, column.values.tolist()), dtype=object, count=len(column.values))
    return Column("number", column.decimals, column.mask)


def unify(a: Column, b: Column) -> tuple[Column, Column]:
    """Two numeric columns in one representation: int64 if both are integer, else decimals."""
    if a.kind == "integer" and b.kind == "number":
        return as_decimal(a), b
    if a.kind == "number" and b.kind == "integer":
        return a, as_decimal(b)
    return a, b


def _magnitude(column: Column) -> int:
    values = column.values[~column.mask] if column.mask.any() else column.values
    # in Python integers: np.abs of the most negative int64 is itself
    return max(abs(int(values.max())), abs(int(values.min()))) if len(values) else 0


class Fallback(Exception):
    """This node runs per row (its operands are not of one vectorised kind)."""


ColumnFn = Callable[[Batch], Column]


def _feel_context() -> decimal.Context:
    context = FEEL_CONTEXT.copy()
    context.clear_flags()
    return context


class VectorCompiler:
    def __init__(self, text: str, types: TypeResolver | None = None) -> None:
        self.rows = Compiler(text, types)

    def compile(self, node: ast.Node) -> ColumnFn:
        method = getattr(self, "_" + type(node).__name__, None)
        row = self.rows.compile(node)
        try:
            vector = method(node) if method is not None else None
        except Fallback:  # a form this module leaves to the row path whatever the data
            vector = None
        if vector is None:
            return lambda batch: per_row(row, batch)
        if isinstance(node, (ast.Literal, ast.Name)):
            def run(batch: Batch) -> Column:
                try:
                    return vector(batch)
                except Fallback:
                    return per_row(row, batch)

            return run
        # Vectorised nodes all sit in the expression's own scope (for, filters and functions run
        # per row), and FEEL has no side effects: one text is one column, computed once.
        key = " ".join(self.rows.text[node.start:node.end].split())

        def shared(batch: Batch) -> Column:
            found = batch.computed.get(key)
            if found is None:
                try:
                    found = vector(batch)
                except Fallback:
                    found = per_row(row, batch)
                batch.computed[key] = found
            return found

        return shared

    def _Literal(self, node: ast.Literal) -> ColumnFn:
        value = node.value
        kind = "null" if value is None else _KIND_OF[type(value)]
        if kind == "number" and value.as_tuple().exponent == 0 and abs(value) < _INT_SAFE:
            kind = "integer"

        def literal(batch: Batch) -> Column:
            mask = np.full(batch.size, value is None, dtype=bool)
            if kind == "null":
                return Column("null", None, mask)
            if kind == "integer":
                decimals = np.empty(batch.size, dtype=object)
                decimals[:] = value
                return Column(kind, np.full(batch.size, int(value), dtype=np.int64), mask, decimals)
            if kind == "boolean":
                return Column(kind, np.full(batch.size, value, dtype=bool), mask)
            data = np.empty(batch.size, dtype=object)
            data[:] = [value] * batch.size if kind == "string" else value
            return Column(kind, data, mask)

        return literal

    def _Temporal(self, node: ast.Temporal) -> ColumnFn:
        try:
            value = parse_temporal(node.text)
        except FeelRuntimeError:
            value = None
        if type(value) is not dt.date:
            raise Fallback  # times, date-times, durations and bad literals: the row path

        def literal(batch: Batch) -> Column:
            data = np.empty(batch.size, dtype=object)
            data[:] = [value] * batch.size
            return Column("date", data, np.zeros(batch.size, dtype=bool))

        return literal

    def _Name(self, node: ast.Name) -> ColumnFn:
        name = node.name

        def column(batch: Batch) -> Column:
            found = batch.column(name)
            if found is None:
                raise Fallback  # a built-in function, or a missing name: the row path says which
            return found

        return column

    def _Negate(self, node: ast.Negate) -> ColumnFn:
        operand = self.compile(node.operand)

        def negate(batch: Batch) -> Column:
            a = operand(batch)
            if a.kind == "null":
                return a
            if a.kind == "integer" and _magnitude(a) < _ADD_SAFE:
                return Column("integer", -a.values, a.mask)
            a = as_decimal(a)
            if a.kind != "number":
                raise Fallback
            with decimal.localcontext(_feel_context()):
                values = -a.values  # negation is exact: no flag to watch
            return Column("number", _no_negative_zero(values), a.mask)

        return negate

    def _Arithmetic(self, node: ast.Arithmetic) -> ColumnFn:
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op
        raise_fallback = op == "**"  # powers stay exact per row (integer exponents, decimal128)
        quoted = self.rows.quote(node)

        def arithmetic(batch: Batch) -> Column:
            if raise_fallback:
                raise Fallback
            a, b = left(batch), right(batch)
            if a.kind == "null" or b.kind == "null":
                return Column("null", None, np.ones(batch.size, dtype=bool))  # null op x is null
            mask = a.mask | b.mask
            if a.kind == "any" or b.kind == "any":
                raise Fallback
            if a.kind == b.kind == "string" and op == "+":
                return Column("string", a.values + b.values, mask)
            if a.kind == b.kind == "integer" and op != "/":
                bound = _MUL_SAFE if op == "*" else _ADD_SAFE
                if _magnitude(a) < bound and _magnitude(b) < bound:
                    x, y = np.where(mask, 0, a.values), np.where(mask, 0, b.values)
                    values = x + y if op == "+" else x - y if op == "-" else x * y
                    return Column("integer", values, mask)
            if a.kind in ("integer", "number") and b.kind in ("integer", "number"):
                a, b = as_decimal(a), as_decimal(b)
            if a.kind != "number" or b.kind != "number":
                raise Fallback
            divisor = b.values
            if op == "/":
                zero = divisor == _ZERO
                if zero.any():
                    # nulls' placeholders are zeros too: divide them by one, and say so only for
                    # the rows where a real zero divides
                    divisor = np.where(zero, _ONE, divisor)
                    _note_rows(batch, zero & ~mask, f"{quoted}: division by zero -> null")
                    mask = mask | zero
            with decimal.localcontext(_feel_context()) as context:
                if op == "+":
                    values = a.values + divisor
                elif op == "-":
                    values = a.values - divisor
                elif op == "*":
                    values = a.values * divisor
                else:
                    values = a.values / divisor
            if context.flags[decimal.Overflow] or context.flags[decimal.InvalidOperation]:
                raise Fallback  # some row is out of decimal128's range: the row path says which
            return Column("number", _no_negative_zero(values), mask)

        return arithmetic

    def _Comparison(self, node: ast.Comparison) -> ColumnFn:
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op
        return lambda batch: compare_columns(op, left(batch), right(batch), batch.size)

    def _Logic(self, node: ast.Logic) -> ColumnFn:
        left, right = self.compile(node.left), self.compile(node.right)
        conjunction = node.op == "and"

        def logic(batch: Batch) -> Column:
            a, b = as_boolean(left(batch)), as_boolean(right(batch))
            a_true, a_false = a.values & ~a.mask, ~a.values & ~a.mask
            b_true, b_false = b.values & ~b.mask, ~b.values & ~b.mask
            if conjunction:
                true, false = a_true & b_true, a_false | b_false
            else:
                true, false = a_true | b_true, a_false & b_false
            return Column("boolean", true, ~(true | false))

        return logic

    def _Between(self, node: ast.Between) -> ColumnFn:
        value, low, high = self.compile(node.value), self.compile(node.low), self.compile(node.high)

        def between(batch: Batch) -> Column:
            v = value(batch)
            return and_columns(compare_columns("<=", low(batch), v, batch.size),
                               compare_columns("<=", v, high(batch), batch.size))

        return between

    def _If(self, node: ast.If) -> ColumnFn:
        condition, then, otherwise = (self.compile(node.condition), self.compile(node.then),
                                      self.compile(node.otherwise))

        def choose(batch: Batch) -> Column:
            c = as_boolean(condition(batch))
            chosen = c.values & ~c.mask
            a, b = unify(then(batch), otherwise(batch))
            if a.kind == b.kind and a.kind not in ("any", "null"):
                return Column(a.kind, np.where(chosen, a.values, b.values), np.where(chosen, a.mask, b.mask))
            if "null" in (a.kind, b.kind) and {a.kind, b.kind} <= {"null", "number", "integer", "string", "boolean",
                                                                   "date"}:
                if a.kind == b.kind:
                    return a
                base = a if a.kind != "null" else b
                return Column(base.kind, base.values, np.where(chosen, a.mask, b.mask))
            merged = [x if pick else y for pick, x, y in zip(chosen.tolist(), a.to_list(), b.to_list())]
            return classify(merged)

        return choose

    def _In(self, node: ast.In) -> ColumnFn:
        value = self.compile(node.value)
        tests = [self._test(test) for test in node.tests]

        def membership(batch: Batch) -> Column:
            v = value(batch)
            results = [test(v, batch) for test in tests]
            return any_columns(results, batch.size)

        return membership

    def _test(self, node: ast.Node) -> Callable[[Column, Batch], Column]:
        if isinstance(node, ast.UnaryComparison):
            operand = self.compile(node.operand)
            op = node.op
            return lambda v, batch: compare_columns(op, v, operand(batch), batch.size)
        if isinstance(node, ast.Interval) and node.low is not None and node.high is not None:
            low, high = self.compile(node.low), self.compile(node.high)
            low_op = "<=" if node.start_included else "<"
            high_op = "<=" if node.end_included else "<"

            def interval(v: Column, batch: Batch) -> Column:
                lo, hi = low(batch), high(batch)
                kinds = {lo.kind, hi.kind} - {"null"}
                if kinds == {"integer", "number"}:
                    kinds = {"number"}
                if len(kinds) > 1 or not kinds <= {"number", "integer", "string", "date"}:
                    raise Fallback
                inside = and_columns(compare_columns(low_op, lo, v, batch.size),
                                     compare_columns(high_op, v, hi, batch.size))
                no_range = lo.mask | hi.mask  # a null end makes no range: the test is null
                return Column("boolean", inside.values & ~no_range, inside.mask | no_range)

            return interval
        if isinstance(node, ast.ExpressionTest) and not node.uses_input:
            expression = node.expression
            if isinstance(expression, ast.ListLiteral) and all(
                    isinstance(item, ast.Literal) for item in expression.items):
                items = [self.compile(item) for item in expression.items]

                def listed(v: Column, batch: Batch) -> Column:
                    return any_columns([equal_columns(v, item(batch), batch.size, membership=True)
                                        for item in items], batch.size)

                return listed
            if isinstance(expression, (ast.Literal, ast.Name, ast.Arithmetic)):
                single = self.compile(expression)

                def equal(v: Column, batch: Batch) -> Column:
                    other = single(batch)
                    if other.kind == "any":
                        raise Fallback  # a list or range per row
                    return equal_columns(v, other, batch.size)

                return equal
        raise Fallback

    def _Call(self, node: ast.Call) -> ColumnFn:
        if (isinstance(node.callee, ast.Name) and node.callee.name in ("abs",) and not node.named
                and len(node.args) == 1):
            operand = self.compile(node.args[0])

            def absolute(batch: Batch) -> Column:
                if batch.column("abs") is not None or builtin("abs") is None:
                    raise Fallback  # a value named abs hides the built-in
                a = operand(batch)
                if a.kind == "integer" and _magnitude(a) < _ADD_SAFE:
                    return Column("integer", np.abs(a.values), a.mask)
                a = as_decimal(a)
                if a.kind != "number":
                    raise Fallback
                with decimal.localcontext(_feel_context()):
                    return Column("number", np.abs(a.values), a.mask)

            return absolute
        if isinstance(node.callee, ast.Name) and node.callee.name in ("min", "max") and not node.named:
            items = node.args
            if len(items) == 1 and isinstance(items[0], ast.ListLiteral):
                items = items[0].items
            if len(items) >= 2:
                return self._extreme(node.callee.name, [self.compile(item) for item in items])
        if (isinstance(node.callee, ast.Name) and node.callee.name == "not" and not node.named
                and len(node.args) == 1):
            operand = self.compile(node.args[0])

            def negation(batch: Batch) -> Column:
                if batch.column("not") is not None or builtin("not") is None:
                    raise Fallback
                a = as_boolean(operand(batch))
                return Column("boolean", ~a.values & ~a.mask, a.mask)

            return negation
        if isinstance(node.callee, ast.Name) and not node.named:
            return self._elementwise(node.callee.name, [self.compile(arg) for arg in node.args],
                                     self.rows.quote(node))
        raise Fallback

    def _elementwise(self, name: str, args: list[ColumnFn], quoted: str) -> ColumnFn:
        """Any other built-in: its arguments as columns, then the built-in itself on each row (the
        very call the row path makes, without walking the expression for every row)."""
        def call(batch: Batch) -> Column:
            function = builtin(name)
            if function is None or batch.column(name) is not None:
                raise Fallback  # not a built-in here: the row path says what the name is
            rows = zip(*(arg(batch).to_list() for arg in args)) if args else ([] for _ in range(batch.size))
            values = []
            for i, given in enumerate(rows):
                try:
                    values.append(function.call(list(given)))
                except RecursionError:
                    values.append(None)
                    _note_row(batch, i, f"{quoted}: recursion too deep (a function that never stops calling "
                                        "itself?) -> null")
                except Exception as error:  # as the row path: a built-in's failure is a null and a note
                    values.append(None)
                    _note_row(batch, i, f"{quoted}: {str(error) or type(error).__name__} -> null")
            return classify(values)

        return call

    def _extreme(self, name: str, items: list[ColumnFn]) -> ColumnFn:
        def extreme(batch: Batch) -> Column:
            if batch.column(name) is not None or builtin(name) is None:
                raise Fallback
            columns = [item(batch) for item in items]
            if any(column.kind not in ("number", "integer") for column in columns):
                raise Fallback  # nulls, strings, dates: the built-in says what each row gets
            kind = "integer" if all(column.kind == "integer" for column in columns) else "number"
            if kind == "number":
                columns = [as_decimal(column) for column in columns]
            best, mask = columns[0].values, columns[0].mask
            for column in columns[1:]:
                # a later item replaces the best only when strictly better, as the built-in does
                better = column.values > best if name == "max" else column.values < best
                best = np.where(np.asarray(better, dtype=bool), column.values, best)
                mask = mask | column.mask  # a null item is an error: null for that row
            return Column(kind, best, mask)

        return extreme


def _note_row(batch: Batch, row: int, message: str) -> None:
    if batch.notes is not None:
        batch.notes.append(f"row {row}: {message}")


def per_row(row: RowFn, batch: Batch) -> Column:
    notes = batch.notes
    values = []
    for i, scope in enumerate(batch.rows()):
        if notes is None:
            values.append(row(Env(scope, None, None)))
        else:
            mine: list[str] = []
            values.append(row(Env(scope, None, mine)))
            notes.extend(f"row {i}: {message}" for message in mine)
    return classify(values)


def _note_rows(batch: Batch, rows: Any, message: str) -> None:
    if batch.notes is not None:
        batch.notes.extend(f"row {i}: {message}" for i in np.flatnonzero(rows).tolist())


def _no_negative_zero(values: Any) -> Any:
    # FEEL has one zero; decimal keeps a sign on it (0 * -1 is Decimal('-0')).
    zero = np.flatnonzero(values == _ZERO)
    if not len(zero):
        return values
    signed = [i for i in zero.tolist() if values[i].is_signed()]
    if signed:
        values = values.copy()
        values[signed] = [values[i].copy_abs() for i in signed]  # -0.0 is 0.0, as plus() gives
    return values


def as_boolean(column: Column) -> Column:
    """A column as `and`, `or` and `if` read it: true, false, or null for anything else."""
    if column.kind == "boolean":
        return column
    n = len(column.mask) if column.mask is not None else len(column.values)
    if column.kind == "any":
        values = np.fromiter((v is True for v in column.values), dtype=bool, count=n)
        known = np.fromiter((v is True or v is False for v in column.values), dtype=bool, count=n)
        return Column("boolean", values, ~known)
    return Column("boolean", np.zeros(n, dtype=bool), np.ones(n, dtype=bool))


def and_columns(a: Column, b: Column) -> Column:
    a, b = as_boolean(a), as_boolean(b)
    true = a.values & ~a.mask & b.values & ~b.mask
    false = (~a.values & ~a.mask) | (~b.values & ~b.mask)
    return Column("boolean", true, ~(true | false))


def any_columns(results: list[Column], size: int) -> Column:
    true = np.zeros(size, dtype=bool)
    unknown = np.zeros(size, dtype=bool)
    for result in results:
        result = as_boolean(result)
        true |= result.values & ~result.mask
        unknown |= result.mask
    return Column("boolean", true, unknown & ~true)


def equal_columns(a: Column, b: Column, size: int, membership: bool = False) -> Column:
    """FEEL `=`: null equals null, null against a value is false, different kinds are null."""
    a, b = unify(a, b)
    if a.kind == "any" or b.kind == "any":
        raise Fallback
    if a.kind == "null" or b.kind == "null":
        both = a.mask & b.mask
        return Column("boolean", both, np.zeros(size, dtype=bool))
    if a.kind != b.kind:
        # different kinds: null where both hold values (false for membership of a list, as
        # `list contains` says), false where just one is null
        one_null = a.mask ^ b.mask
        both_null = a.mask & b.mask
        if membership:
            return Column("boolean", both_null, np.zeros(size, dtype=bool))
        return Column("boolean", both_null, ~(one_null | both_null))
    if a.kind == "boolean":
        same = a.values == b.values
    else:
        same = np.asarray(a.values == b.values, dtype=bool)
    values = np.where(a.mask | b.mask, a.mask & b.mask, same)
    return Column("boolean", values, np.zeros(size, dtype=bool))


def compare_columns(op: str, a: Column, b: Column, size: int) -> Column:
    if op in ("=", "!="):
        equal = equal_columns(a, b, size)
        if op == "=":
            return equal
        return Column("boolean", ~equal.values & ~equal.mask, equal.mask)
    a, b = unify(a, b)
    if a.kind == "any" or b.kind == "any":
        raise Fallback
    if a.kind == "null" or b.kind == "null" or a.kind != b.kind:
        return Column("boolean", np.zeros(size, dtype=bool), np.ones(size, dtype=bool))
    if a.kind == "boolean":
        raise Fallback  # booleans are equal or not; the row path says null for an order
    x, y = a.values, b.values
    if op == "<":
        values = x < y
    elif op == "<=":
        values = x <= y
    elif op == ">":
        values = x > y
    else:
        values = x >= y
    return Column("boolean", np.asarray(values, dtype=bool), a.mask | b.mask)


def evaluate_columns(compiled: ColumnFn, columns: Mapping[str, Any], notes: list[str] | None,
                     reads: frozenset[str] | None = None) -> list[Any]:
    """The compiled expression on every row; `reads`: the names it can read (other columns are
    never converted, nor put in the rows of a per-row part)."""
    sizes = {len(column) for column in columns.values()}
    if len(sizes) > 1:
        raise ValueError(f"columns of different lengths: {sorted(sizes)}")
    if reads is not None:
        columns = {name: column for name, column in columns.items() if name in reads}
    batch = Batch(columns, notes, sizes.pop() if sizes else 0)
    if not batch.size:
        return []
    return compiled(batch).to_list()

