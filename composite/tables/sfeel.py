"""S-FEEL for decision tables: input entries (unary tests) and output entries, parsed once.

A unary test answers true, false or null for one value (FEEL's three-valued logic), and the
same test answers for a whole numpy column at once; both paths give the same answers.

Numbers are `Decimal`s in FEEL's decimal128 context. Supported input entries: `-`, literals
(numbers, "strings", true, false, null), comparisons (`< 18`, `>= 2.5`, `= 3`, `!= "x"`), ranges
(`[1..10]`, `(1..10]`, `]1..10[`), lists of those (`"A", "B"`) and `not(...)`. Dates, times and
durations are literals too: `date("2026-03-01")`, `date and time("2026-03-01T14:30:00")`,
`time("14:30:00")`, `duration("P90D")`, as in `< date("2020-01-01")` or `[duration("P0D")..duration("P90D")]`.
Output entries are literals or simple arithmetic (`+ - * / **`, parentheses) over literals and
input names.

>>> parse_unary_tests('>= 18').test(Decimal("18"))
True
>>> parse_unary_tests('not("A", "B")').test(None)
True
>>> parse_output_entry("amount * 0.1").evaluate({"amount": Decimal("250")})
Decimal('25.0')
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import operator
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from composite import temporal
from composite.errors import ExpressionSyntaxError

# FEEL numbers are IEEE 754-2008 decimal128: 34 significant digits, round half even.
FEEL_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emax=6144, Emin=-6143)

_FLOAT_EXACT_LIMIT = 2**53


# ---------------------------------------------------------------------------------------------
# values


def to_feel(value: Any) -> Any:
    """A Python, numpy or pandas value as FEEL sees it: numbers become Decimal, NaN becomes null.

    Floats convert through their shortest repr, so 0.1 is Decimal("0.1"), as a user typed it.

    >>> to_feel(0.1), to_feel(3), to_feel(float("nan")), to_feel(True)
    (Decimal('0.1'), Decimal('3'), None, True)
    """
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return value
    if kind is Decimal:
        return None if value.is_nan() else value
    if kind is int:
        return Decimal(value)
    if kind is float:
        return None if value != value else Decimal(repr(value))
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return None if number != number else Decimal(repr(number))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if kind.__name__ in ("NAType", "NaTType"):  # pandas' missing markers, without importing pandas
        return None
    if isinstance(value, (_dt.datetime, np.datetime64)) and kind is not _dt.datetime:
        return _plain_moment(value)  # a pandas Timestamp or a numpy date: Python's own date or date-time
    if isinstance(value, Mapping):
        return {key: to_feel(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_feel(item) for item in value]
    return value


def _plain_moment(value: Any) -> Any:
    from composite.expr._temporal import plain

    found = plain(value)
    return value if found is None else found


def from_feel(value: Any) -> Any:
    """A FEEL value made JSON-friendly: an integral Decimal becomes int, any other Decimal float.

    >>> from_feel(Decimal("1100")), from_feel(Decimal("64.32")), from_feel([Decimal("1.0")])
    (1100, 64.32, [1])
    """
    if type(value) is Decimal:
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {key: from_feel(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_feel(item) for item in value]
    return value


def kind_of(value: Any) -> str:
    """FEEL's type of a value already passed through `to_feel`."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    kind = type(value)
    if kind is Decimal:
        return "number"
    if kind is str:
        return "string"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, list):
        return "list"
    return kind.__name__


def feel_equal(a: Any, b: Any) -> bool | None:
    """FEEL `a = b`: null equals only null; values of different types compare to null."""
    if a is None or b is None:
        return a is None and b is None
    if kind_of(a) != kind_of(b):
        return None
    try:
        return bool(a == b)
    except TypeError:  # pragma: no cover - exotic values
        return None


_ORDERED = ("number", "string", "date", "datetime", "time", "DayTimeDuration", "YearMonthDuration")
_DURATIONS = ("DayTimeDuration", "YearMonthDuration")
# What the temporal literals of an entry are called, by the kind `kind_of` gives them.
_CONSTRUCTORS = {"date": "date", "datetime": "date and time", "time": "time", "DayTimeDuration": "duration",
                 "YearMonthDuration": "duration"}


def feel_compare(op: Callable[[Any, Any], bool], a: Any, b: Any) -> bool | None:
    """FEEL `a < b` and friends: null when either side is null or the types are not ordered alike."""
    if a is None or b is None:
        return None
    kind = kind_of(a)
    if kind not in _ORDERED or kind != kind_of(b):
        return None
    if kind in _DURATIONS:
        return bool(op(a.compare(b), 0))
    try:
        return bool(op(a, b))
    except TypeError:  # a date-time with an offset against one without: FEEL's null
        return None


def format_literal(value: Any) -> str:
    """A literal as S-FEEL text: strings double-quoted and escaped, numbers plain."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return f'"{escaped}"'
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value() and abs(value) < Decimal("1e21"):
            return str(value.quantize(Decimal(1)))
        return format(value, "f") if value.is_finite() else str(value)
    constructor = _CONSTRUCTORS.get(kind_of(value))
    if constructor is not None:
        return f'{constructor}("{temporal.iso(value)}")'
    return repr(value)


def _and3(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


# ---------------------------------------------------------------------------------------------
# tokens

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<squote>'(?:[^'\\]|\\.)*')
  | (?P<name>[^\W\d][\w]*)
  | (?P<op>\.\.|<=|>=|!=|\*\*|[<>=(),\[\]+\-*/])
    """,
    re.VERBOSE,
)

_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, name, op, end
    text: str
    column: int  # 1-based
    value: Any = None


def _unescape(body: str, column: int, text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        following = body[index + 1: index + 2]
        if following == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[index + 2: index + 6] or ""):
            out.append(chr(int(body[index + 2: index + 6], 16)))
            index += 6
        elif following in _ESCAPES:
            out.append(_ESCAPES[following])
            index += 2
        else:
            raise _syntax(f"unknown escape '\\{following}' in a string", text, column + index + 1)
    return "".join(out)


def _syntax(message: str, text: str, column: int | None) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(f"{message} in '{text}'", code="sfeel_syntax", column=column)


def _tokenize(text: str, *, single_quotes: bool) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position] == '"' or (single_quotes and text[position] == "'"):
                raise _syntax("a string is not closed", text, position + 1)
            raise _syntax(f"unexpected character {text[position]!r}", text, position + 1)
        kind = match.lastgroup or ""
        lexeme = match.group()
        column = position + 1
        position = match.end()
        if kind == "space":
            continue
        if kind == "number":
            tokens.append(_Token("number", lexeme, column, Decimal(lexeme)))
        elif kind == "string":
            tokens.append(_Token("string", lexeme, column, _unescape(lexeme[1:-1], column, text)))
        elif kind == "squote":
            if not single_quotes:
                raise _syntax(f"strings are written in double quotes: \"{lexeme[1:-1]}\", not {lexeme}", text, column)
            tokens.append(_Token("string", lexeme, column, _unescape(lexeme[1:-1], column, text)))
        else:
            tokens.append(_Token(kind, lexeme, column))
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Cursor:
    def __init__(self, text: str, tokens: list[_Token], *, single_quotes: bool) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.single_quotes = single_quotes

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.current
        return token.kind == kind and (text is None or token.text == text)

    def expect(self, kind: str, text: str, what: str) -> _Token:
        if not self.at(kind, text):
            raise self.error(f"expected {what}")
        return self.advance()

    def error(self, message: str, token: _Token | None = None) -> ExpressionSyntaxError:
        token = token or self.current
        found = "the end" if token.kind == "end" else f"'{token.text}'"
        return _syntax(f"{message}, found {found}", self.text, token.column)

    def name_error(self, token: _Token) -> ExpressionSyntaxError:
        quote = "'" if self.single_quotes else '"'
        hint = f"; a string is written in quotes: {quote}{token.text}{quote}"
        return _syntax(f"'{token.text}' is not a value{hint}", self.text, token.column)


def _literal(cursor: _Cursor) -> Any:
    """number, -number, string, true, false, null."""
    token = cursor.current
    if token.kind == "op" and token.text in ("-", "+") and cursor.peek().kind == "number":
        cursor.advance()
        number = cursor.advance().value
        return -number if token.text == "-" else number
    if token.kind in ("number", "string"):
        cursor.advance()
        return token.value
    if token.kind == "name":
        if token.text in ("true", "false"):
            cursor.advance()
            return token.text == "true"
        if token.text == "null":
            cursor.advance()
            return None
        if token.text in ("date", "time", "duration") and cursor.peek().kind in ("op", "name"):
            return _temporal_literal(cursor)
        raise cursor.name_error(token)
    raise cursor.error("expected a value (a number, a \"string\", true, false, null or a date such as "
                       "date(\"2026-03-01\"))")


def _temporal_literal(cursor: _Cursor) -> Any:
    """`date("2026-03-01")`, `date and time("2026-03-01T14:30:00")`, `time("14:30")`, `duration("P90D")`."""
    start = cursor.advance()
    function = start.text
    if function == "date" and cursor.at("name", "and") and cursor.peek().kind == "name" \
            and cursor.peek().text == "time":
        cursor.advance()
        cursor.advance()
        function = "date and time"
    if not cursor.at("op", "("):
        raise cursor.name_error(start)
    cursor.advance()
    text = cursor.current
    if text.kind != "string":
        raise cursor.error(f'{function}() takes its value as a "string", as in {_EXAMPLE[function]}')
    cursor.advance()
    cursor.expect("op", ")", f"')' to close {function}(")
    kind = {"date": temporal.DATE, "date and time": temporal.DATETIME, "time": temporal.TIME}.get(function)
    try:
        return temporal.parse(kind, text.value) if kind else temporal.parse_any_duration(text.value)
    except ValueError as exc:
        raise _syntax(f"{function}() {exc}, found {text.text}", cursor.text, text.column) from None


_EXAMPLE = {"date": 'date("2026-03-01")', "date and time": 'date and time("2026-03-01T14:30:00")',
            "time": 'time("14:30:00")', "duration": 'duration("P90D")'}


# ---------------------------------------------------------------------------------------------
# unary tests

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _float_exact(value: Any) -> float | None:
    """The float that compares with any float column exactly as `value` compares with its Decimals.

    True when `value` is the shortest repr of a float: then, for every float x,
    Decimal(repr(x)) <op> value  <=>  x <op> float(value) (rounding is monotone).
    """
    if type(value) is not Decimal or not value.is_finite():
        return None
    number = float(value)
    if math.isinf(number) or Decimal(repr(number)) != value:
        return None
    return number


class PositiveTest:
    """One test of a list: a value, a comparison or a range."""

    text: str

    def test(self, value: Any) -> bool | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def vector(self, numbers: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(true, null) masks over a float column (NaN = null), or None when not vectorisable."""
        return None

    def literals(self) -> list[Any]:
        return []


@dataclass(frozen=True, slots=True)
class Equal(PositiveTest):
    """`"A"`, `18`, `null`, or `= 18`: the input equals the value."""

    value: Any
    text: str

    def test(self, value: Any) -> bool | None:
        return feel_equal(value, self.value)

    def vector(self, numbers: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if self.value is None:
            return missing.copy(), np.zeros_like(missing)
        if kind_of(self.value) != "number":
            return np.zeros_like(missing), ~missing
        exact = _float_exact(self.value)
        if exact is None:
            return None
        return numbers == exact, np.zeros_like(missing)

    def literals(self) -> list[Any]:
        return [self.value]


@dataclass(frozen=True, slots=True)
class NotEqual(PositiveTest):
    """`!= "A"`: FEEL's not(x = value); null when the types differ."""

    value: Any
    text: str

    def test(self, value: Any) -> bool | None:
        result = feel_equal(value, self.value)
        return None if result is None else not result

    def vector(self, numbers: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if self.value is None:
            return ~missing, np.zeros_like(missing)
        if kind_of(self.value) != "number":
            return missing.copy(), ~missing
        exact = _float_exact(self.value)
        if exact is None:
            return None
        return (numbers != exact) | missing, np.zeros_like(missing)

    def literals(self) -> list[Any]:
        return [self.value]


@dataclass(frozen=True, slots=True)
class Comparison(PositiveTest):
    """`< 18`, `>= 2.5`, `> "m"`."""

    op: str
    value: Any
    text: str

    def test(self, value: Any) -> bool | None:
        return feel_compare(_OPS[self.op], value, self.value)

    def vector(self, numbers: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if kind_of(self.value) != "number":
            return np.zeros_like(missing), np.ones_like(missing)
        exact = _float_exact(self.value)
        if exact is None:
            return None
        with np.errstate(invalid="ignore"):
            return _OPS[self.op](numbers, exact), missing.copy()

    def literals(self) -> list[Any]:
        return [self.value]


@dataclass(frozen=True, slots=True)
class Interval(PositiveTest):
    """`[1..10]`, `(1..10]`, `]1..10[`: low and high end, each closed or open."""

    low: Any
    low_closed: bool
    high: Any
    high_closed: bool
    text: str

    def test(self, value: Any) -> bool | None:
        low = feel_compare(operator.ge if self.low_closed else operator.gt, value, self.low)
        high = feel_compare(operator.le if self.high_closed else operator.lt, value, self.high)
        return _and3(low, high)

    def vector(self, numbers: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if kind_of(self.low) != "number":
            return np.zeros_like(missing), np.ones_like(missing)
        low, high = _float_exact(self.low), _float_exact(self.high)
        if low is None or high is None:
            return None
        with np.errstate(invalid="ignore"):
            above = numbers >= low if self.low_closed else numbers > low
            below = numbers <= high if self.high_closed else numbers < high
        return above & below, missing.copy()

    def literals(self) -> list[Any]:
        return [self.low, self.high]


@dataclass(frozen=True)
class UnaryTests:
    """One input entry: `-`, a list of positive tests, or `not(...)` of such a list."""

    text: str
    tests: tuple[PositiveTest, ...] = ()
    negated: bool = False

    @property
    def is_any(self) -> bool:
        return not self.tests and not self.negated

    def test(self, value: Any) -> bool | None:
        """FEEL's answer for one value (already through `to_feel`): True, False or None (null)."""
        if not self.tests:
            return True
        result: bool | None = False
        for positive in self.tests:
            answer = positive.test(value)
            if answer is True:
                result = True
                break
            if answer is None:
                result = None
        if self.negated:
            return None if result is None else not result
        return result

    def matches(self, value: Any) -> bool:
        return self.test(value) is True

    def mask(self, column: "ColumnView") -> np.ndarray:
        """True where the entry matches, for every row of the column."""
        if not self.tests:
            return np.ones(column.size, dtype=bool)
        true, null = self._masks(column)
        if self.negated:
            return ~true & ~null
        return true

    def _masks(self, column: "ColumnView") -> tuple[np.ndarray, np.ndarray]:
        if column.numbers is not None:
            any_true = np.zeros(column.size, dtype=bool)
            any_null = np.zeros(column.size, dtype=bool)
            for positive in self.tests:
                pair = positive.vector(column.numbers, column.missing)
                if pair is None:
                    break
                any_true |= pair[0]
                any_null |= pair[1]
            else:
                return any_true, any_null & ~any_true
        uniques, codes = column.factorized()
        answers = [self._positive(value) for value in uniques]
        true = np.fromiter((a is True for a in answers), dtype=bool, count=len(answers))
        null = np.fromiter((a is None for a in answers), dtype=bool, count=len(answers))
        return true[codes], null[codes]

    def _positive(self, value: Any) -> bool | None:
        result: bool | None = False
        for positive in self.tests:
            answer = positive.test(value)
            if answer is True:
                return True
            if answer is None:
                result = None
        return result

    def literals(self) -> list[Any]:
        return [value for positive in self.tests for value in positive.literals()]

    def describe(self, name: str) -> str:
        """The entry as a condition on `name`, for evidence: `age >= 18`, `status in ("a", "b")`."""
        if not self.tests:
            return f"{name} is anything"
        if len(self.tests) == 1:
            only = self.tests[0]
            if isinstance(only, Equal):
                if only.value is None:
                    return f"{name} is not null" if self.negated else f"{name} is null"
                return f"{name} {'!=' if self.negated else '='} {format_literal(only.value)}"
            if isinstance(only, NotEqual) and not self.negated:
                return f"{name} != {format_literal(only.value)}"
            if isinstance(only, Comparison) and not self.negated:
                return f"{name} {only.op} {format_literal(only.value)}"
            if isinstance(only, Interval):
                return f"{name} {'not in' if self.negated else 'in'} {only.text}"
        listed = ", ".join(positive.text for positive in self.tests)
        return f"{name} {'not in' if self.negated else 'in'} ({listed})"


def parse_unary_tests(text: str, *, single_quotes: bool = False) -> UnaryTests:
    """Parse one input entry. An empty entry means `-` (any value).

    `single_quotes` also accepts 'text' strings (for CSV cells, where double quotes are CSV's).
    Raises ExpressionSyntaxError with the column of the problem.

    >>> parse_unary_tests('[1..10)').test(Decimal(10))
    False
    """
    source = text if isinstance(text, str) else str(text)
    stripped = source.strip()
    if stripped in ("", "-"):
        return UnaryTests("-")
    cursor = _Cursor(source, _tokenize(source, single_quotes=single_quotes), single_quotes=single_quotes)
    negated = False
    if cursor.at("name", "not") and cursor.peek().kind == "op" and cursor.peek().text == "(":
        cursor.advance()
        cursor.advance()
        negated = True
    tests = [_positive_test(cursor)]
    while cursor.at("op", ","):
        cursor.advance()
        tests.append(_positive_test(cursor))
    if negated:
        cursor.expect("op", ")", "')' to close not(")
    if not cursor.at("end"):
        raise cursor.error("expected ',' between tests or the end of the entry")
    return UnaryTests(stripped, tuple(tests), negated)


def _positive_test(cursor: _Cursor) -> PositiveTest:
    start = cursor.current
    if start.kind == "op" and start.text in ("<", "<=", ">", ">=", "=", "!="):
        cursor.advance()
        if start.text in ("<", "<=", ">", ">="):
            value = _literal(cursor)
            if value is None or isinstance(value, bool):
                raise _syntax(f"'{start.text}' needs a number or a string, not {format_literal(value)}",
                              cursor.text, start.column)
            return Comparison(start.text, value, _span(cursor, start))
        value = _literal(cursor)
        if start.text == "=":
            return Equal(value, _span(cursor, start))
        return NotEqual(value, _span(cursor, start))
    if start.kind == "op" and start.text in ("[", "(", "]"):
        cursor.advance()
        low = _literal(cursor)
        cursor.expect("op", "..", "'..' between the ends of a range")
        high = _literal(cursor)
        end = cursor.current
        if not (end.kind == "op" and end.text in ("]", ")", "[")):
            raise cursor.error("expected ']', ')' or '[' to close the range")
        cursor.advance()
        for bound in (low, high):
            if kind_of(bound) not in _ORDERED:
                raise _syntax(f"a range needs numbers, strings, dates, times or durations at both ends, not "
                              f"{format_literal(bound)}",
                              cursor.text, start.column)
        if kind_of(low) != kind_of(high):
            raise _syntax("both ends of a range must be of one type", cursor.text, start.column)
        return Interval(low, start.text == "[", high, end.text == "]", _span(cursor, start))
    value = _literal(cursor)
    return Equal(value, _span(cursor, start))


def _span(cursor: _Cursor, start: _Token) -> str:
    end = cursor.tokens[cursor.index - 1]
    return cursor.text[start.column - 1: end.column - 1 + len(end.text)]


# ---------------------------------------------------------------------------------------------
# columns


class ColumnView:
    """One input column prepared for vectorised tests: floats when numeric, else unique values.

    Integer columns become floats only when every value is exactly representable (|x| <= 2**53).
    """

    __slots__ = ("size", "numbers", "missing", "_uniques", "_codes")

    def __init__(self, size: int, *, numbers: np.ndarray | None = None,
                 uniques: Sequence[Any] | None = None, codes: np.ndarray | None = None) -> None:
        self.size = size
        self.numbers = numbers
        self.missing = np.isnan(numbers) if numbers is not None else None
        self._uniques = list(uniques) if uniques is not None else None
        self._codes = codes

    @classmethod
    def of(cls, array: Any, size: int) -> "ColumnView":
        if array is None:
            return cls(size, uniques=[None], codes=np.zeros(size, dtype=np.intp))
        if isinstance(array, Categorical):
            return cls(size, uniques=[to_feel(v) for v in array.uniques], codes=array.codes)
        values = np.asarray(array)
        if values.ndim != 1 or values.shape[0] != size:
            raise ValueError(f"a column of shape {values.shape} where {size} values were expected")
        kind = values.dtype.kind
        if kind == "M":  # numpy dates: Python dates (day precision) or date-times, NaT as null
            values = values.astype(object) if np.datetime_data(values.dtype)[0] in "YMWD" else \
                values.astype("datetime64[us]").astype(object)
            kind = "O"
        if kind == "b":
            return cls(size, uniques=[False, True], codes=values.astype(np.intp))
        if kind == "f":
            return cls(size, numbers=values.astype(np.float64, copy=False))
        if kind in "iu" and (size == 0 or max(abs(int(values.min())), abs(int(values.max()))) <= _FLOAT_EXACT_LIMIT):
            return cls(size, numbers=values.astype(np.float64))
        if kind == "O" and size:
            found = _dates_by_hash(values, size)
            if found is not None:
                return found
        return cls.factorize([to_feel(item) for item in values.tolist()] if kind != "O" else
                             [to_feel(item) for item in values], size)

    @classmethod
    def factorize(cls, values: Sequence[Any], size: int) -> "ColumnView":
        index: dict[Any, int] = {}
        uniques: list[Any] = []
        codes = np.empty(size, dtype=np.intp)
        for position, value in enumerate(values):
            key = _hash_key(value, position)
            code = index.get(key)
            if code is None:
                code = index[key] = len(uniques)
                uniques.append(value)
            codes[position] = code
        return cls(size, uniques=uniques, codes=codes)

    def factorized(self) -> tuple[list[Any], np.ndarray]:
        if self._uniques is None:
            assert self.numbers is not None
            distinct, inverse = np.unique(self.numbers, return_inverse=True)
            self._uniques = [to_feel(float(number)) for number in distinct]
            self._codes = inverse.reshape(-1).astype(np.intp)
        assert self._codes is not None
        return self._uniques, self._codes

    def value(self, row: int) -> Any:
        if self.numbers is not None:
            return to_feel(float(self.numbers[row]))
        uniques, codes = self.factorized()
        return uniques[codes[row]]


def _dates_by_hash(values: np.ndarray, size: int) -> "ColumnView | None":
    """A column of dates only (or of durations only) factorized by pandas' hash table: equal values
    are the same FEEL value there, which is not so for a mixed column (True == 1 to Python)."""
    types = set(map(type, values.tolist()))
    if len(types) != 1:
        return None
    kind = types.pop()
    if kind is not _dt.date and kind.__name__ not in ("DayTimeDuration", "YearMonthDuration"):
        return None
    import pandas as pd

    codes, uniques = pd.factorize(values)
    return ColumnView(size, uniques=list(uniques), codes=codes.astype(np.intp, copy=False))


def _hash_key(value: Any, position: int) -> Any:
    kind = kind_of(value)
    if kind in ("number", "string", "boolean", "null"):
        return (kind, value)
    try:
        hash(value)
    except TypeError:
        return ("row", position)
    return (kind, value)


@dataclass(frozen=True, slots=True)
class Categorical:
    """A column given as distinct values and one code per row (how decision results flow on)."""

    uniques: Sequence[Any]
    codes: np.ndarray

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def to_array(self) -> np.ndarray:
        table = np.empty(len(self.uniques), dtype=object)
        for position, item in enumerate(self.uniques):
            table[position] = item
        return table[self.codes]


# ---------------------------------------------------------------------------------------------
# output entries


class OutputEntry:
    """An output entry: a literal, or arithmetic over literals and input names."""

    text: str
    names: frozenset[str]
    is_literal: bool
    literal: Any

    def evaluate(self, values: Mapping[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Literal(OutputEntry):
    literal: Any
    text: str
    names: frozenset[str] = frozenset()
    is_literal: bool = True

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        return self.literal


@dataclass(frozen=True, slots=True)
class Computed(OutputEntry):
    """Arithmetic: evaluated per decision with FEEL's null propagation and decimal context."""

    text: str
    tree: tuple
    names: frozenset[str]
    is_literal: bool = False
    literal: Any = None

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        return _evaluate(self.tree, values)


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    ka, kb = kind_of(a), kind_of(b)
    if op == "+" and ka == kb == "string":
        return a + b
    if ka in _CONSTRUCTORS or kb in _CONSTRUCTORS:
        return _temporal_arith(op, a, b)
    if ka != "number" or kb != "number":
        return None
    try:
        if op == "+":
            return FEEL_CONTEXT.add(a, b)
        if op == "-":
            return FEEL_CONTEXT.subtract(a, b)
        if op == "*":
            return FEEL_CONTEXT.multiply(a, b)
        if op == "/":
            return FEEL_CONTEXT.divide(a, b)
        return FEEL_CONTEXT.power(a, b)
    except (ArithmeticError, ValueError):  # division by zero and friends are null in FEEL
        return None


def _temporal_arith(op: str, a: Any, b: Any) -> Any:
    """`policy_start + duration("P1Y")`, `loss_date - policy_start`: the expression language's date
    arithmetic; anything it refuses (a date plus a date) is FEEL's null."""
    from composite.expr._temporal import BINARY, TemporalError

    scalar = BINARY.get(op)
    if scalar is None:
        return None
    a, b = (_plain_number(a), _plain_number(b))
    try:
        return scalar(a, b)
    except (TemporalError, ArithmeticError, ValueError, TypeError):
        return None


def _plain_number(value: Any) -> Any:
    if type(value) is Decimal:
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _evaluate(tree: tuple, values: Mapping[str, Any]) -> Any:
    tag = tree[0]
    if tag == "lit":
        return tree[1]
    if tag == "name":
        return to_feel(values.get(tree[1]))
    if tag == "neg":
        operand = _evaluate(tree[1], values)
        return FEEL_CONTEXT.minus(operand) if kind_of(operand) == "number" else None
    return _arith(tag, _evaluate(tree[1], values), _evaluate(tree[2], values))


def parse_output_entry(text: Any, *, single_quotes: bool = False) -> OutputEntry:
    """Parse one output entry: a literal or simple arithmetic.

    >>> parse_output_entry('"Approved"').literal
    'Approved'
    >>> sorted(parse_output_entry("(base + bonus) * 2").names)
    ['base', 'bonus']
    """
    source = text if isinstance(text, str) else str(text)
    if not source.strip():
        raise _syntax("an output entry needs a value (write null for none)", source, 1)
    cursor = _Cursor(source, _tokenize(source, single_quotes=single_quotes), single_quotes=single_quotes)
    tree = _additive(cursor)
    if not cursor.at("end"):
        raise cursor.error("expected an operator or the end of the entry")
    if tree[0] == "lit":
        return Literal(tree[1], source.strip())
    if tree[0] == "neg" and tree[1][0] == "lit" and kind_of(tree[1][1]) == "number":
        return Literal(-tree[1][1], source.strip())
    return Computed(source.strip(), tree, frozenset(_names(tree)))


def _names(tree: tuple) -> Iterable[str]:
    if tree[0] == "name":
        yield tree[1]
    elif tree[0] != "lit":
        for child in tree[1:]:
            yield from _names(child)


def _additive(cursor: _Cursor) -> tuple:
    left = _multiplicative(cursor)
    while cursor.current.kind == "op" and cursor.current.text in ("+", "-"):
        op = cursor.advance().text
        left = (op, left, _multiplicative(cursor))
    return left


def _multiplicative(cursor: _Cursor) -> tuple:
    left = _power(cursor)
    while cursor.current.kind == "op" and cursor.current.text in ("*", "/"):
        op = cursor.advance().text
        left = (op, left, _power(cursor))
    return left


def _power(cursor: _Cursor) -> tuple:
    left = _unary(cursor)
    while cursor.at("op", "**"):
        cursor.advance()
        left = ("**", left, _unary(cursor))
    return left


def _unary(cursor: _Cursor) -> tuple:
    if cursor.at("op", "-"):
        cursor.advance()
        return ("neg", _unary(cursor))
    return _primary(cursor)


def _primary(cursor: _Cursor) -> tuple:
    token = cursor.current
    if token.kind in ("number", "string"):
        cursor.advance()
        return ("lit", token.value)
    if token.kind == "name":
        if token.text in ("date", "time", "duration") and cursor.peek().kind in ("op", "name") \
                and (cursor.peek().text == "(" or cursor.peek().text == "and"):
            return ("lit", _temporal_literal(cursor))
        cursor.advance()
        if token.text in ("true", "false"):
            return ("lit", token.text == "true")
        if token.text == "null":
            return ("lit", None)
        return ("name", token.text)
    if cursor.at("op", "("):
        cursor.advance()
        inner = _additive(cursor)
        cursor.expect("op", ")", "')'")
        return inner
    raise cursor.error("expected a value, a name or '('")


__all__ = [
    "Categorical",
    "ColumnView",
    "Comparison",
    "Computed",
    "Equal",
    "FEEL_CONTEXT",
    "Interval",
    "Literal",
    "NotEqual",
    "OutputEntry",
    "PositiveTest",
    "UnaryTests",
    "feel_compare",
    "feel_equal",
    "format_literal",
    "from_feel",
    "kind_of",
    "parse_output_entry",
    "parse_unary_tests",
    "to_feel",
]
